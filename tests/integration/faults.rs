//! Backend API faults under a real `HttpServer` with several workers: the
//! JWKS down, slow, answering garbage or 429, keys rotating, a flood of
//! made-up `kid`s, and the machine-token verify endpoints failing.
//!
//! Every test is bounded in time (short intervals and timeouts set through
//! the builder) and in count (the stand-in records every request), and talks
//! to the app over real sockets with awc.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::Engine as _;
use clerk_actix::machine::{ApiKeyAuth, M2mAuth, OAuthAuth};
use clerk_actix::testing::{Fault, StandIn, TestIssuer};
use clerk_actix::{Auth, Clerk, ClerkMiddleware};
use futures_util::future::join_all;
use futures_util::StreamExt as _;

use crate::logs;

const JWKS: &str = "/v1/jwks";
const WORKERS: usize = 3;

/// An app behind `ClerkMiddleware` on 127.0.0.1, with `WORKERS` workers.
/// Rejections carry Clerk's reason in `x-test-reason` (through the
/// `on_rejection` hook, as an app would shape them).
pub(crate) struct Server {
    base: String,
    handle: ServerHandle,
    client: awc::Client,
}

/// What came back.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) reason: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) auth_status: Option<String>,
    pub(crate) body: String,
}

async fn me(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().body(auth.user_id().unwrap_or_default().to_owned())
}

pub(crate) async fn serve(clerk: Clerk) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .route("/me", web::get().to(me))
            .route(
                "/key",
                web::get().to(|key: ApiKeyAuth| async move { key.id().to_owned() }),
            )
            .route(
                "/m2m",
                web::get().to(|token: M2mAuth| async move { token.machine_id().to_owned() }),
            )
            .route(
                "/oauth",
                web::get().to(|token: OAuthAuth| async move { token.user_id().to_owned() }),
            )
            .route("/open", web::get().to(|| async { "open" }))
            .route(
                "/echo",
                web::post().to(|body: web::Bytes| async move { HttpResponse::Ok().body(body) }),
            )
            .wrap(
                ClerkMiddleware::builder(clerk.clone())
                    .on_rejection(|rejection, mut res| {
                        res.insert_header(("x-test-reason", rejection.reason().unwrap_or("none")))
                            .finish()
                    })
                    .build(),
            )
    })
    .workers(WORKERS)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    Server {
        base: format!("http://{addr}"),
        handle,
        client,
    }
}

impl Server {
    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        Self::answer(req).await
    }

    /// A GET carrying `cookie` as its `Cookie` header (the browser path).
    pub(crate) async fn get_with_cookie(&self, path: &str, cookie: &str) -> Answer {
        let req = self
            .client
            .get(format!("{}{path}", self.base))
            .insert_header((header::COOKIE, cookie.to_owned()));
        Self::answer(req).await
    }

    async fn answer(req: awc::ClientRequest) -> Answer {
        let mut res = req.send().await.expect("the app answers");
        let text = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (reason, retry_after, auth_status) = (
            text("x-test-reason"),
            text("retry-after"),
            text("x-clerk-auth-status"),
        );
        let status = res.status().as_u16();
        let body = res.body().limit(1 << 20).await.unwrap_or_default();
        Answer {
            status,
            reason,
            retry_after,
            auth_status,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub(crate) async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn assert_outage(answer: &Answer, reason: &str) {
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.reason.as_deref(), Some(reason), "{answer:?}");
    assert_eq!(answer.retry_after.as_deref(), Some("1"), "{answer:?}");
    // An outage is not a sign-out.
    assert_eq!(answer.auth_status, None, "{answer:?}");
}

#[actix_web::test]
async fn jwks_down_at_a_cold_start_answers_503_then_recovers_within_one_refetch_interval() {
    logs::install();
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::status(503).on_path(JWKS));
    let interval = Duration::from_millis(250);
    let clerk = stand_in
        .clerk_builder()
        .jwks_refetch_interval(interval)
        .jwks_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let server = serve(clerk).await;
    let token = stand_in.session_token("user_1").sign();

    let answers = join_all((0..12).map(|_| server.get("/me", Some(&token)))).await;
    for answer in &answers {
        assert_outage(answer, "jwk-remote-failed-to-load");
    }
    // One fetch for the whole burst (three attempts), shared by every worker.
    assert_eq!(stand_in.count(JWKS), 3);
    // Routes that do not read auth, and requests without a token, are served.
    assert_eq!(server.get("/open", Some(&token)).await.status, 200);
    assert_eq!(server.get("/me", None).await.status, 401);
    // The outage was logged as an error, with the URL that failed.
    let logged = logs::lines_with(stand_in.url());
    assert!(
        logged
            .iter()
            .any(|l| l.starts_with("ERROR") && l.contains("no keys are cached")),
        "{logged:?}"
    );

    // The Backend API comes back: within one refetch interval (plus the
    // fetch itself), the same token verifies.
    stand_in.clear_faults();
    let back = Instant::now();
    loop {
        let answer = server.get("/me", Some(&token)).await;
        if answer.status == 200 {
            assert_eq!(answer.body, "user_1");
            break;
        }
        assert_outage(&answer, "jwk-remote-failed-to-load");
        assert!(
            back.elapsed() < interval + Duration::from_millis(400),
            "not recovered after {:?}",
            back.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

#[actix_web::test]
async fn slow_jwks_is_bounded_by_the_timeout_with_one_fetch_in_flight() {
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::delay(Duration::from_secs(3)).on_path(JWKS));
    let timeout = Duration::from_millis(200);
    let clerk = stand_in
        .clerk_builder()
        .jwks_timeout(timeout)
        .jwks_refetch_interval(Duration::from_secs(5))
        .build()
        .unwrap();
    let server = serve(clerk).await;
    let token = stand_in.session_token("user_1").sign();

    // 40 requests wait on the one fetch in flight: three attempts of at most
    // `timeout` each, and two backoffs (125 ms and 250 ms, jittered by at
    // most 1.5×): they all end by then, with a 503.
    let bound = timeout * 3 + Duration::from_millis(600);
    let started = Instant::now();
    let answers = join_all((0..40).map(|_| server.get("/me", Some(&token)))).await;
    let took = started.elapsed();
    for answer in &answers {
        assert_outage(answer, "jwk-remote-failed-to-load");
    }
    assert!(
        took < bound + Duration::from_millis(500),
        "{took:?} > {bound:?}"
    );
    assert!(took >= timeout * 3, "{took:?}: the attempts did not wait");
    assert_eq!(stand_in.count(JWKS), 3);

    // Right after the failure, requests do not queue behind a new fetch:
    // they are answered at once, from the failure just seen.
    let started = Instant::now();
    let answers = join_all((0..40).map(|_| server.get("/me", Some(&token)))).await;
    assert!(answers.iter().all(|a| a.status == 503));
    assert!(
        started.elapsed() < timeout,
        "the second burst waited {:?}",
        started.elapsed()
    );
    assert_eq!(stand_in.count(JWKS), 3);
    server.stop().await;
}

/// A Backend API that answers `/v1/jwks` with what `mode` picks: garbage of
/// several kinds, then (mode 4) a real JWKS.
async fn garbage_jwks(issuer: &TestIssuer, mode: Arc<AtomicUsize>) -> (String, ServerHandle) {
    let jwks = issuer.jwks().to_string();
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let mode = mode.clone();
        let jwks = jwks.clone();
        App::new().route(
            JWKS,
            web::get().to(move || {
                let answer = match mode.load(Ordering::SeqCst) {
                    0 => HttpResponse::Ok()
                        .content_type("text/html")
                        .body("<html>502 Bad Gateway</html>"),
                    1 => HttpResponse::Ok()
                        .content_type("application/json")
                        .body(r#"{"keys": "none"}"#),
                    2 => HttpResponse::Ok().content_type("application/json").body(
                        r#"{"keys": [{"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"},
                                      {"kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB"},
                                      {"kty": "EC", "kid": "ec"}, 7, null]}"#,
                    ),
                    3 => HttpResponse::Ok()
                        .content_type("application/json")
                        .body(vec![0xff, 0xfe, b'{', 0]),
                    _ => HttpResponse::Ok()
                        .content_type("application/json")
                        .body(jwks.clone()),
                };
                async move { answer }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://{addr}"), handle)
}

#[actix_web::test]
async fn garbage_jwks_answers_503_and_recovers() {
    let issuer = TestIssuer::generate().unwrap();
    let mode = Arc::new(AtomicUsize::new(0));
    let (url, jwks_server) = garbage_jwks(&issuer, mode.clone()).await;
    let interval = Duration::from_millis(100);
    let clerk = Clerk::builder()
        .secret_key("sk_test_garbage")
        .api_url(url)
        .jwks_refetch_interval(interval)
        .build()
        .unwrap();
    let server = serve(clerk).await;
    let token = issuer.session("user_1").sign();
    for garbage in 0..4 {
        mode.store(garbage, Ordering::SeqCst);
        actix_web::rt::time::sleep(interval + Duration::from_millis(20)).await;
        let answer = server.get("/me", Some(&token)).await;
        assert_outage(&answer, "jwk-remote-failed-to-load");
    }
    mode.store(4, Ordering::SeqCst);
    actix_web::rt::time::sleep(interval + Duration::from_millis(20)).await;
    let answer = server.get("/me", Some(&token)).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "user_1"));
    server.stop().await;
    jwks_server.stop(false).await;
}

#[actix_web::test]
async fn jwks_429_waits_a_short_retry_after_and_gives_up_on_a_long_one() {
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::rate_limited(1).on_path(JWKS).times(1));
    let clerk = stand_in.clerk().unwrap();
    let server = serve(clerk).await;
    let token = stand_in.session_token("user_1").sign();
    let started = Instant::now();
    let answer = server.get("/me", Some(&token)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    // It waited the second Clerk asked for, then fetched again.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(stand_in.count(JWKS), 2);
    server.stop().await;

    // Thirty seconds is more than a request should wait: a 503 at once.
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::rate_limited(30).on_path(JWKS));
    let server = serve(stand_in.clerk().unwrap()).await;
    let token = stand_in.session_token("user_1").sign();
    let started = Instant::now();
    let answer = server.get("/me", Some(&token)).await;
    assert_outage(&answer, "jwk-remote-failed-to-load");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(stand_in.count(JWKS), 1);
    server.stop().await;
}

#[actix_web::test]
async fn key_rotation_new_kid_appears_then_old_kid_is_removed() {
    let stand_in = StandIn::start().unwrap();
    let ttl = Duration::from_millis(200);
    let clerk = stand_in
        .clerk_builder()
        .jwks_cache_ttl(ttl)
        .jwks_refetch_interval(Duration::from_millis(100))
        .build()
        .unwrap();
    let server = serve(clerk).await;
    let old = stand_in.session_token("user_old").sign();
    assert_eq!(server.get("/me", Some(&old)).await.body, "user_old");

    // Clerk publishes a new key next to the old one; tokens signed with it
    // verify at once (one refetch for the unknown kid).
    let next = TestIssuer::generate().unwrap();
    stand_in.publish_keys([stand_in.issuer().clone(), next.clone()]);
    let new = next.session("user_new").sign();
    assert_eq!(server.get("/me", Some(&new)).await.body, "user_new");
    assert_eq!(server.get("/me", Some(&old)).await.body, "user_old");
    assert_eq!(stand_in.count(JWKS), 2);

    // Then it removes the old key: once the set is refreshed, tokens signed
    // with it (even those verified and cached before) are signed out.
    stand_in.publish_keys([next.clone()]);
    actix_web::rt::time::sleep(ttl + Duration::from_millis(20)).await;
    let fresh = next.session("user_fresh").sign();
    assert_eq!(server.get("/me", Some(&fresh)).await.body, "user_fresh");
    let answer = server.get("/me", Some(&old)).await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.reason.as_deref(), Some("jwk-kid-mismatch"));
    assert_eq!(server.get("/me", Some(&new)).await.body, "user_new");
    server.stop().await;
}

/// `token` with its header replaced by one naming `kid`: the signature no
/// longer matches, but the kid is looked up first, which is what a flood of
/// made-up kids exercises (and signing 10 000 tokens would take seconds).
fn with_kid(token: &str, kid: &str) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string();
    let (_, rest) = token.split_once('.').unwrap();
    format!(
        "{}.{rest}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header)
    )
}

#[actix_web::test]
async fn a_flood_of_random_kids_is_rate_limited() {
    let stand_in = StandIn::start().unwrap();
    let interval = Duration::from_millis(500);
    let clerk = stand_in
        .clerk_builder()
        .jwks_refetch_interval(interval)
        .build()
        .unwrap();
    let server = serve(clerk).await;
    let token = stand_in.session_token("user_1").sign();
    assert_eq!(server.get("/me", Some(&token)).await.status, 200);
    stand_in.clear_requests();

    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let tokens: Vec<String> = (0..10_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            with_kid(&token, &format!("ins_{seed:016x}"))
        })
        .collect();
    let started = Instant::now();
    let rejected = futures_util::stream::iter(tokens.iter())
        .map(|token| server.get("/me", Some(token)))
        .buffer_unordered(64)
        .filter(|answer| {
            let kid_mismatch =
                answer.status == 401 && answer.reason.as_deref() == Some("jwk-kid-mismatch");
            async move { kid_mismatch }
        })
        .count()
        .await;
    let took = started.elapsed();
    assert_eq!(rejected, 10_000);
    let fetches = stand_in.count(JWKS);
    let allowed = (took.as_secs_f64() / interval.as_secs_f64()).floor() as usize + 1;
    assert!(
        fetches <= allowed,
        "{fetches} JWKS fetches in {took:?} (at most {allowed})"
    );
    assert!(fetches >= 1);
    // The genuine token still verifies (from the cache, no fetch).
    assert_eq!(server.get("/me", Some(&token)).await.status, 200);
    server.stop().await;
}

#[actix_web::test]
async fn machine_token_verify_endpoints_failing_answer_503_and_are_logged() {
    logs::install();
    let mut stand_in = StandIn::start().unwrap();
    let server = serve(stand_in.clerk().unwrap()).await;
    let cases = [
        (
            "/key",
            "/api_keys/verify",
            stand_in.api_key("user_1", ["read"]),
        ),
        (
            "/m2m",
            "/m2m_tokens/verify",
            stand_in.m2m_token("mch_1", ["mch_2"]),
        ),
        (
            "/oauth",
            "/oauth_applications/access_tokens/verify",
            stand_in.oauth_token("user_1", ["read"]),
        ),
    ];
    // 507 is a status no other test injects, so the log lines are ours.
    for (route, endpoint, token) in &cases {
        for fault in [Fault::status(507), Fault::drop_connection()] {
            stand_in.inject(fault.on_path(*endpoint));
            let answer = server.get(route, Some(token)).await;
            assert_outage(&answer, "unexpected-error");
            stand_in.clear_faults();
        }
        let logged = logs::lines_with("507");
        assert!(
            logged
                .iter()
                .any(|l| l.starts_with("ERROR") && l.contains(endpoint)),
            "{endpoint}: {:?}",
            logs::lines_with("clerk_actix::machine")
        );
        // Back up: the same token verifies and is cached.
        let answer = server.get(route, Some(token)).await;
        assert_eq!(answer.status, 200, "{route}: {answer:?}");
    }
    // Cached tokens ride out a full outage; new ones get a 503, not a 401.
    stand_in.shutdown();
    for (route, _, token) in &cases {
        assert_eq!(server.get(route, Some(token)).await.status, 200, "{route}");
    }
    for (route, prefix) in [("/key", "ak_"), ("/m2m", "mt_"), ("/oauth", "oat_")] {
        let answer = server.get(route, Some(&format!("{prefix}new_one"))).await;
        assert_outage(&answer, "unexpected-error");
    }
    server.stop().await;
}
