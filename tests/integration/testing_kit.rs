//! The testing kit itself: tokens it mints verify, each hostile override is
//! rejected for its reason, and the stand-in records and fails on request.

use std::time::Duration;

use clerk_actix::config::PublishableKey;
use clerk_actix::testing::{Fault, Segment, StandIn, TestIssuer, TestOrg};
use clerk_actix::{Auth, Clerk, Has, Reason};

#[actix_web::test]
async fn minted_tokens_verify_networkless_and_through_the_stand_in() {
    let issuer = TestIssuer::generate().unwrap();
    let networkless = Clerk::builder()
        .jwt_key(issuer.public_key_pem())
        .build()
        .unwrap();
    let claims = networkless
        .verify_token(&issuer.session("user_1").session_id("sess_1").sign())
        .await
        .unwrap();
    assert_eq!(claims.user_id(), "user_1");
    assert_eq!(claims.session_id(), Some("sess_1"));
    assert_eq!(
        claims.get("iss").and_then(|v| v.as_str()),
        Some(issuer.iss())
    );
    assert_eq!(
        claims.get("azp").and_then(|v| v.as_str()),
        Some("http://localhost:3000")
    );

    let stand_in = StandIn::builder().issuer(issuer.clone()).start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let claims = clerk
        .verify_token(&issuer.session("user_2").sign())
        .await
        .unwrap();
    assert_eq!(claims.user_id(), "user_2");
}

#[actix_web::test]
async fn organization_claims_in_v1_and_v2_read_back_the_same() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = Clerk::builder()
        .jwt_key(issuer.public_key_pem())
        .build()
        .unwrap();
    let org = TestOrg::new("org_1", "admin")
        .slug("acme")
        .permissions([
            "org:invoices:read",
            "org:invoices:manage",
            "org:reports:read",
        ])
        .features(["analytics"]);
    for token in [
        issuer.session("u").organization(org.clone()).sign(),
        issuer.session("u").organization(org.clone()).v1().sign(),
    ] {
        let auth = Auth::from_claims(clerk.verify_token(&token).await.unwrap());
        assert_eq!(auth.org_id(), Some("org_1"));
        assert_eq!(auth.org_role(), Some("org:admin"));
        assert_eq!(auth.org_slug(), Some("acme"));
        let mut perms = auth.org_permissions().unwrap_or_default().to_vec();
        perms.sort();
        assert_eq!(
            perms,
            [
                "org:invoices:manage",
                "org:invoices:read",
                "org:reports:read"
            ]
        );
        assert!(auth.has(Has::permission("invoices:manage")));
        assert!(auth.has(Has::role("admin")));
    }
    let v2 = issuer
        .session("u")
        .organization(org)
        .user_features(["beta"])
        .plans(["u:pro"]);
    let claims = v2.claims();
    assert_eq!(claims["fea"], "o:invoices,o:reports,o:analytics,u:beta");
    assert_eq!(claims["o"]["per"], "read,manage");
    assert_eq!(claims["o"]["fpm"], "3,1,0");
    let auth = Auth::from_claims(clerk.verify_token(&v2.sign()).await.unwrap());
    assert!(auth.has(Has::feature("user:beta")));
    assert!(auth.has(Has::feature("org:analytics")));
    assert!(auth.has(Has::plan("pro")));
}

#[actix_web::test]
async fn each_hostile_override_is_rejected_for_its_reason() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let other = TestIssuer::generate().unwrap();
    let now = clerk_actix::clock::Clock::system().now_millis() / 1000;
    let session = || stand_in.session_token("user_1");
    let cases = [
        (
            "alg none",
            session().header("alg", "none").sign(),
            Reason::TokenInvalidAlgorithm,
        ),
        (
            "hs256",
            session().hs256_with_public_key().sign(),
            Reason::TokenInvalidAlgorithm,
        ),
        (
            "rs512 header",
            session().header("alg", "RS512").sign(),
            Reason::TokenVerificationFailed,
        ),
        (
            "unknown kid",
            session().header("kid", "ins_nope").sign(),
            Reason::JwkKidMismatch,
        ),
        (
            "no kid",
            session().without_header("kid").sign(),
            Reason::JwkKidMismatch,
        ),
        (
            "typ",
            session().header("typ", "at+jwt").sign(),
            Reason::TokenInvalid,
        ),
        (
            "other key",
            session().signed_by(&other).sign(),
            Reason::TokenInvalidSignature,
        ),
        (
            "raw header",
            session().raw_header("nope").sign(),
            Reason::TokenInvalid,
        ),
        (
            "raw payload",
            session().raw_payload("[]").sign(),
            Reason::TokenInvalid,
        ),
        (
            "bad header",
            session().corrupt(Segment::Header).sign(),
            Reason::TokenInvalid,
        ),
        (
            "bad payload",
            session().corrupt(Segment::Payload).sign(),
            Reason::TokenInvalid,
        ),
        (
            "bad signature",
            session().corrupt(Segment::Signature).sign(),
            Reason::TokenInvalid,
        ),
        (
            "expired",
            session().expired(Duration::from_secs(30)).sign(),
            Reason::TokenExpired,
        ),
        (
            "future",
            session().issued_at(now + 3600).sign(),
            Reason::TokenNotActiveYet,
        ),
        (
            "no sub",
            session().without_claim("sub").sign(),
            Reason::TokenVerificationFailed,
        ),
    ];
    for (name, token, reason) in cases {
        let err = clerk.verify_token(&token).await.unwrap_err();
        assert_eq!(err.reason(), reason, "{name}: {err}");
    }
}

#[actix_web::test]
async fn stand_in_records_requests_and_checks_the_secret_key() {
    let stand_in = StandIn::start().unwrap();
    let client = awc::Client::default();
    let url = format!("{}/v1/jwks?x=1&x=2", stand_in.url());
    let res = client
        .get(&url)
        .insert_header(("Authorization", format!("Bearer {}", stand_in.secret_key())))
        .insert_header(("Clerk-API-Version", "2026-05-12"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut res = client
        .get(format!("{}/v1/jwks", stand_in.url()))
        .insert_header(("Authorization", "Bearer sk_test_wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "clerk_key_invalid");
    assert!(body["clerk_trace_id"].is_string());

    let requests = stand_in.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method(), "GET");
    assert_eq!(requests[0].path(), "/v1/jwks");
    assert_eq!(requests[0].query(), "x=1&x=2");
    assert_eq!(
        requests[0].query_pairs(),
        vec![
            ("x".to_owned(), "1".to_owned()),
            ("x".to_owned(), "2".to_owned())
        ]
    );
    assert_eq!(requests[0].header("clerk-api-version"), Some("2026-05-12"));
    stand_in.clear_requests();
    assert!(stand_in.requests().is_empty());
}

#[actix_web::test]
async fn stand_in_injects_faults() {
    let stand_in = StandIn::start().unwrap();
    let client = awc::Client::default();
    let jwks = format!("{}/v1/jwks", stand_in.url());
    let auth = format!("Bearer {}", stand_in.secret_key());
    let get = || {
        client
            .get(&jwks)
            .insert_header(("Authorization", auth.as_str()))
            .send()
    };

    stand_in.inject(Fault::status(500).times(1));
    assert_eq!(get().await.unwrap().status(), 500);
    assert_eq!(get().await.unwrap().status(), 200);

    stand_in.inject(Fault::rate_limited(7).on_path("/v1/jwks").times(1));
    let res = get().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers().get("retry-after").unwrap(), "7");

    stand_in.inject(Fault::status(503).on_path("/v1/users"));
    assert_eq!(get().await.unwrap().status(), 200);
    stand_in.clear_faults();

    stand_in.inject(Fault::delay(Duration::from_millis(150)).times(1));
    let started = std::time::Instant::now();
    assert_eq!(get().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    stand_in.inject(Fault::drop_connection().times(1));
    let broken = async {
        let mut res = get().await?;
        res.body()
            .await
            .map(|_| ())
            .map_err(|e| awc::error::SendRequestError::Custom(Box::new(e), Box::new("body")))
    };
    assert!(broken.await.is_err());
    assert_eq!(get().await.unwrap().status(), 200);
}

#[actix_web::test]
async fn stand_in_configuration_points_at_itself() {
    let stand_in = StandIn::start().unwrap();
    let pk: PublishableKey = stand_in.publishable_key().parse().unwrap();
    // Its tokens' issuer is the key's Frontend API, so their cookies count
    // as the instance's; handshakes go to the stand-in (the proxy URL).
    assert_eq!(
        pk.frontend_api(),
        stand_in.issuer().iss().trim_start_matches("https://")
    );
    let clerk = stand_in.clerk().unwrap();
    assert_eq!(clerk.api_url(), stand_in.url());
    assert_eq!(clerk.publishable_key(), Some(&pk));
}

/// Sends one keep-alive request on `stream` and reads the answer: the status
/// line, or `None` when the connection is closed (EOF or reset) instead.
fn keep_alive_get(stream: &mut std::net::TcpStream, secret_key: &str) -> Option<String> {
    use std::io::{Read, Write};
    let request = format!(
        "GET /v1/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {secret_key}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if answer.len() >= end + 4 + length {
                return text.lines().next().map(str::to_owned);
            }
        }
    }
}

/// `shutdown` is an outage at once, also for a client that keeps its
/// connection alive (awc's pool does): the stand-in's worker thread used to
/// answer such a connection for a moment after `shutdown` returned, which
/// made `machine::backend_api_outage_answers_503_not_401` flaky under load.
#[test]
fn stand_in_shutdown_closes_kept_alive_connections() {
    for _ in 0..20 {
        let mut stand_in = StandIn::start().unwrap();
        let address = stand_in.url().trim_start_matches("http://").to_owned();
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let secret_key = stand_in.secret_key().to_owned();
        assert_eq!(
            keep_alive_get(&mut stream, &secret_key).as_deref(),
            Some("HTTP/1.1 200 OK")
        );
        stand_in.shutdown();
        assert_eq!(keep_alive_get(&mut stream, &secret_key), None);
        assert!(std::net::TcpStream::connect(&address).is_err());
    }
}

/// The kit's browser against a running server (everything over the
/// network): the handshake through the stand-in and back, then the cookies.
#[actix_web::test]
async fn browser_walks_the_handshake_of_a_running_server() {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    use clerk_actix::testing::Browser;
    use clerk_actix::{get_auth, ClerkMiddleware};

    let stand_in = StandIn::start().unwrap();
    stand_in.with_store(|store| store.sign_in_browser("user_7"));
    let clerk = stand_in.clerk().unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .route(
                "/",
                web::get().to(|req: HttpRequest| async move {
                    let user = get_auth(&req)
                        .ok()
                        .and_then(|a| a.user_id().map(str::to_owned));
                    HttpResponse::Ok().body(user.unwrap_or_else(|| "signed out".to_owned()))
                }),
            )
            .wrap(ClerkMiddleware::new(clerk.clone()))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let url = format!("http://127.0.0.1:{port}/");
    let mut browser = Browser::new();
    let page = browser.visit_url(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.text(), "user_7");
    assert_eq!(page.visited().len(), 4, "{:?}", page.visited());
    let page = browser.visit_url(&url).await.unwrap();
    assert_eq!((page.text().as_str(), page.visited().len()), ("user_7", 1));
    // Signed out at the Frontend API (a `__client_uat` newer than the
    // session token says the session changed): the stand-in's handshake
    // deletes the session cookie (`Max-Age=0`), and the browser drops it.
    stand_in.with_store(|store| store.sign_out_browser());
    browser
        .set_cookie(&url, "__client_uat=9999999999; Path=/")
        .unwrap();
    let page = browser.visit_url(&url).await.unwrap();
    assert_eq!(page.text(), "signed out");
    assert!(browser.cookie("__session").is_none(), "{browser:?}");
    handle.stop(false).await;
}
