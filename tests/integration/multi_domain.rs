//! Multi-domain apps: satellite domains, organization sync, the instance per
//! request, and the recorded @clerk/backend scenarios for them.

use clerk_actix::multi_domain::OrganizationSync;
use clerk_actix::ClerkBuilder;
use serde_json::Value;

/// Clerk's multi-domain options, as recorded, on a builder.
pub(crate) fn apply_options(mut builder: ClerkBuilder, options: &Value) -> ClerkBuilder {
    if let Some(satellite) = options["isSatellite"].as_bool() {
        builder = builder.is_satellite(satellite);
    }
    if let Some(domain) = options["domain"].as_str() {
        builder = builder.domain(domain);
    }
    if let Some(url) = options["signInUrl"].as_str() {
        builder = builder.sign_in_url(url);
    }
    if let Some(url) = options["proxyUrl"].as_str() {
        builder = builder.proxy_url(url);
    }
    if let Some(auto_sync) = options["satelliteAutoSync"].as_bool() {
        builder = builder.satellite_auto_sync(auto_sync);
    }
    let sync = &options["organizationSyncOptions"];
    if sync.is_object() {
        let list = |key: &str| -> Vec<String> {
            sync[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        builder = builder.organization_sync(
            OrganizationSync::new()
                .organization_patterns(list("organizationPatterns"))
                .personal_account_patterns(list("personalAccountPatterns")),
        );
    }
    builder
}

use std::sync::{Arc, Mutex};

use actix_web::{test, web, App, HttpRequest, HttpResponse, HttpServer};
use clerk_actix::clock::Clock;
use clerk_actix::multi_domain::FrontendApiProxy;
use clerk_actix::testing::{StandIn, TestIssuer};
use clerk_actix::{get_auth, Clerk, ClerkMiddleware};
use futures_util::StreamExt as _;

use crate::fixtures::{self, FROZEN_MS};

const VECTORS: &str = "oracle.multi-domain.backend-3.25.0.json";

/// The recorded scenarios where Clerk throws (a 500 in Express): here the
/// request is answered signed out, and Clerk's diagnostic is logged.
fn clerk_throws(case: &Value) -> bool {
    case["result"].get("threw").is_some()
}

#[actix_web::test]
async fn satellite_and_organization_sync_scenarios_agree_with_clerk_backend() {
    let oracle = fixtures::json(VECTORS);
    let stand_in = StandIn::builder()
        .issuer(fixtures::clerk_test_issuer())
        .secret_key("sk_test_deadbeef")
        .start()
        .unwrap();
    let mut agree = 0;
    let mut failures = Vec::new();
    let cases = oracle["cases"].as_array().expect("cases");
    for case in cases.iter().filter(|c| !clerk_throws(c)) {
        match crate::oracle::replay(case, &stand_in).await {
            Ok(()) => agree += 1,
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(agree, 31);
    assert_eq!(cases.len(), 33);
}

/// Where Clerk throws on what the request carries, this crate answers
/// signed out (never a 5xx).
#[actix_web::test]
async fn requests_clerk_throws_on_are_signed_out_not_5xx() {
    let oracle = fixtures::json(VECTORS);
    let stand_in = StandIn::builder()
        .issuer(fixtures::clerk_test_issuer())
        .start()
        .unwrap();
    let mut seen = 0;
    for case in oracle["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| clerk_throws(c))
    {
        seen += 1;
        let options = &case["options"];
        let clerk = apply_options(
            Clerk::builder()
                .secret_key(options["secretKey"].as_str().unwrap())
                .publishable_key(options["publishableKey"].as_str().unwrap())
                .api_url(stand_in.url())
                .jwt_key(fixtures::text("signing-key.public.pem"))
                .clock(Clock::fixed_millis(FROZEN_MS)),
            options,
        )
        .build()
        .unwrap();
        let app = auth_app(clerk).await;
        let request = &case["request"];
        let mut req = test::TestRequest::get().uri(request["url"].as_str().unwrap());
        for (name, value) in request["headers"].as_object().unwrap() {
            req = req.insert_header((name.as_str(), value.as_str().unwrap()));
        }
        let res = test::call_service(&app, req.to_request()).await;
        let name = case["name"].as_str().unwrap();
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(
            res.headers().get("x-clerk-auth-status").unwrap(),
            "signed-out",
            "{name}"
        );
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["isAuthenticated"], false, "{name}");
    }
    assert_eq!(seen, 2);
}

async fn auth_app(
    clerk: Clerk,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .default_service(web::to(|req: HttpRequest| async move {
                Ok::<_, actix_web::Error>(HttpResponse::Ok().json(get_auth(&req)?))
            }))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await
}

/// Two instances behind one middleware, chosen by host: each verifies only
/// its own tokens, with its own keys.
#[actix_web::test]
async fn an_instance_per_request_never_mixes_key_caches() {
    let a = StandIn::builder()
        .issuer(TestIssuer::generate().unwrap())
        .start()
        .unwrap();
    let b = StandIn::builder()
        .issuer(TestIssuer::generate().unwrap())
        .start()
        .unwrap();
    let clerk_a = a.clerk().unwrap();
    let clerk_b = b.clerk().unwrap();
    let app = test::init_service(
        App::new()
            .default_service(web::to(|req: HttpRequest| async move {
                Ok::<_, actix_web::Error>(HttpResponse::Ok().json(get_auth(&req)?))
            }))
            .wrap(
                ClerkMiddleware::builder(clerk_a)
                    .instance_fn(move |req| {
                        (req.connection_info().host() == "b.example").then(|| clerk_b.clone())
                    })
                    .build(),
            ),
    )
    .await;
    let call = |host: &'static str, token: String| {
        test::TestRequest::get()
            .uri("/")
            .insert_header(("host", host))
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request()
    };
    let token_a = a.session_token("user_a").sign();
    let token_b = b.session_token("user_b").sign();
    // Each host's own token: signed in.
    for (host, token, user) in [
        ("a.example", &token_a, "user_a"),
        ("b.example", &token_b, "user_b"),
    ] {
        let res = test::call_service(&app, call(host, token.clone())).await;
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["userId"], user, "{host}");
    }
    // Crossed: signed out, though both instances' keys are cached now.
    for (host, token) in [("b.example", &token_a), ("a.example", &token_b)] {
        let res = test::call_service(&app, call(host, token.clone())).await;
        assert_eq!(
            res.headers().get("x-clerk-auth-status").unwrap(),
            "signed-out"
        );
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["isAuthenticated"], false, "{host}");
    }
    // Each instance fetched only its own JWKS.
    assert!(a.count("/v1/jwks") >= 1 && b.count("/v1/jwks") >= 1);
    assert!(a
        .requests()
        .iter()
        .all(|r| r.header("authorization") != Some(&format!("Bearer {}", b.secret_key())[..])));
}

/// What the stand-in Frontend API saw.
#[derive(Default, Clone)]
struct Seen {
    headers: Vec<(String, String)>,
    path: String,
    body_len: usize,
}

/// A stand-in upstream for the proxy: records the request, streams the body
/// count back, with two `Set-Cookie`s and a `Location` on itself.
async fn upstream() -> (String, Arc<Mutex<Seen>>, actix_web::dev::ServerHandle) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    let server = HttpServer::new(move || {
        let seen = shared.clone();
        App::new().default_service(web::to(move |req: HttpRequest, mut body: web::Payload| {
            let seen = seen.clone();
            async move {
                let mut len = 0;
                while let Some(chunk) = body.next().await {
                    len += chunk.map(|c| c.len()).unwrap_or_default();
                }
                // Its own host (not the forwarded one).
                let host = req
                    .headers()
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                *seen.lock().unwrap() = Seen {
                    headers: req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                        .collect(),
                    path: req.uri().to_string(),
                    body_len: len,
                };
                HttpResponse::Ok()
                    .append_header(("set-cookie", "__client=one; Path=/; HttpOnly"))
                    .append_header(("set-cookie", "__client_uat=1; Path=/"))
                    .append_header(("location", format!("http://{host}/v1/next?x=1")))
                    .append_header(("x-upstream", "yes"))
                    .body(format!("received {len}"))
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (url, seen, handle)
}

fn proxied_clerk(stand_in: &StandIn) -> Clerk {
    stand_in
        .clerk_builder()
        .proxy_url("/__clerk")
        .build()
        .unwrap()
}

#[actix_web::test]
async fn the_proxy_streams_both_ways_with_clerks_headers_and_every_cookie() {
    let stand_in = StandIn::start().unwrap();
    let (fapi, seen, handle) = upstream().await;
    let clerk = proxied_clerk(&stand_in);
    // A small limit for the buffered extractors; the proxy streams past it.
    let proxy = FrontendApiProxy::new(&clerk)
        .unwrap()
        .fapi_url(&fapi)
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::PayloadConfig::new(64 * 1024))
            .service(proxy.clone())
            .wrap(
                ClerkMiddleware::builder(clerk)
                    .frontend_api_proxy(&proxy)
                    .build(),
            ),
    )
    .await;
    let big = vec![b'x'; 1024 * 1024];
    let req = test::TestRequest::post()
        .uri("/__clerk/v1/client/sign_ins?_clerk_js_version=5")
        .insert_header(("host", "app.example"))
        .insert_header(("connection", "keep-alive, x-hop"))
        .insert_header(("x-hop", "secret-hop"))
        .insert_header(("x-real-ip", "203.0.113.7"))
        .insert_header(("cookie", "__client=abc"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(big.clone())
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 200);
    // Not authenticated by the middleware.
    assert!(res.headers().get("x-clerk-auth-status").is_none());
    let cookies: Vec<_> = res.headers().get_all("set-cookie").collect();
    assert_eq!(cookies.len(), 2, "every Set-Cookie is kept");
    assert_eq!(
        res.headers().get("location").unwrap(),
        "http://app.example/__clerk/v1/next?x=1"
    );
    assert!(res.headers().get("clerk-secret-key").is_none());
    let body = test::read_body(res).await;
    assert_eq!(body, format!("received {}", big.len()));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.path, "/v1/client/sign_ins?_clerk_js_version=5");
    assert_eq!(seen.body_len, big.len());
    let header = |name: &str| {
        seen.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("clerk-proxy-url"),
        Some("http://app.example/__clerk")
    );
    assert_eq!(header("clerk-secret-key"), Some(stand_in.secret_key()));
    assert_eq!(header("x-forwarded-for"), Some("203.0.113.7"));
    assert_eq!(header("x-forwarded-host"), Some("app.example"));
    assert_eq!(header("x-forwarded-proto"), Some("http"));
    assert_eq!(header("cookie"), Some("__client=abc"));
    assert_eq!(header("x-hop"), None);
    assert_eq!(header("accept-encoding"), Some("identity"));
    handle.stop(false).await;
}

#[actix_web::test]
async fn the_proxy_is_bounded() {
    let stand_in = StandIn::start().unwrap();
    let clerk = proxied_clerk(&stand_in);
    // Nothing listens on port 9 of the loopback.
    let proxy = FrontendApiProxy::new(&clerk)
        .unwrap()
        .fapi_url("http://127.0.0.1:9")
        .unwrap()
        .body_limit(1024);
    let app = test::init_service(App::new().service(proxy)).await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/__clerk/v1/environment")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 502);
    let body = test::read_body(res).await;
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("proxy_request_failed"), "{text}");
    assert!(
        !text.contains(stand_in.secret_key()) && !text.contains("127.0.0.1"),
        "{text}"
    );
    let res = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/__clerk/v1/client")
            .set_payload(vec![0u8; 2048])
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 413);
    // Only its path.
    let res =
        test::call_service(&app, test::TestRequest::get().uri("/__clerkx").to_request()).await;
    assert_eq!(res.status(), 404);
}

/// The handshake of a proxied app goes through the proxy path.
#[actix_web::test]
async fn handshakes_point_at_the_proxy() {
    let stand_in = StandIn::start().unwrap();
    let app = auth_app(proxied_clerk(&stand_in)).await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/page")
            .insert_header(("host", "app.example"))
            .insert_header(("sec-fetch-dest", "document"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 307);
    let location = res.headers().get("location").unwrap().to_str().unwrap();
    assert!(
        location.starts_with("http://app.example/__clerk/v1/client/handshake?"),
        "{location}"
    );
}
