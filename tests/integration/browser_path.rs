//! The cookie path through `ClerkMiddleware` against the stand-in: Clerk's
//! security fixes on this path (../shared/spec/lessons.md), each a
//! regression test, and the places where this crate does better (outages,
//! API-only, the `azp` option, proxies).

use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{test, web, App, HttpResponse};
use base64::Engine as _;
use clerk_actix::testing::{Browser, Fault, StandIn};
use clerk_actix::{ClerkBuilder, ClerkMiddleware};

/// A production key whose Frontend API is the stand-in issuer's host, so its
/// tokens' cookies are this instance's.
fn live_key(stand_in: &StandIn) -> String {
    let host = stand_in.issuer().iss().trim_start_matches("https://");
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{host}$"));
    format!("pk_live_{encoded}")
}

fn production(stand_in: &StandIn) -> ClerkBuilder {
    stand_in.clerk_builder().publishable_key(live_key(stand_in))
}

async fn app(
    builder: ClerkBuilder,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    let clerk = builder.build().unwrap();
    test::init_service(
        App::new()
            .default_service(web::to(
                |req: actix_web::HttpRequest, body: web::Bytes| async move {
                    let auth = clerk_actix::get_auth(&req)?;
                    Ok::<_, actix_web::Error>(HttpResponse::Ok().body(format!(
                        "{}|{}|{}",
                        auth.user_id().unwrap_or("-"),
                        auth.signed_out_reason().unwrap_or("-"),
                        String::from_utf8_lossy(&body)
                    )))
                },
            ))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await
}

fn cookie_request(cookie: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri("/page")
        .insert_header((header::HOST, "app.example.com"))
        .insert_header((header::COOKIE, cookie.to_owned()))
}

fn navigation(req: test::TestRequest) -> test::TestRequest {
    req.insert_header(("sec-fetch-dest", "document"))
}

fn head<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn body<B: actix_web::body::MessageBody>(res: ServiceResponse<B>) -> String {
    String::from_utf8_lossy(&test::read_body(res).await).into_owned()
}

fn cookies(token: &str) -> String {
    format!("__session={token}; __client_uat=1")
}

#[actix_web::test]
async fn a_valid_session_cookie_signs_in() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let token = stand_in.session_token("user_1").sign();
    let res = test::call_service(
        &app,
        navigation(cookie_request(&cookies(&token))).to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(head(&res, "x-clerk-auth-status"), None);
    assert!(body(res).await.starts_with("user_1|"));
    // The testing kit's cookie header for the development instance too.
    let app = self::app(stand_in.clerk_builder()).await;
    let req = cookie_request(&stand_in.browser_cookies(&token));
    let res = test::call_service(&app, navigation(req).to_request()).await;
    assert!(body(res).await.starts_with("user_1|"));
}

/// 3.2.7 (#8045): only GET is ever redirected; a POST form is signed out,
/// its body untouched (3.5.0: authentication never reads the body).
#[actix_web::test]
async fn a_post_form_navigation_is_never_sent_through_the_handshake() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let expired = stand_in
        .session_token("user_1")
        .expired(Duration::from_secs(60))
        .sign();
    let req = navigation(cookie_request(&cookies(&expired)))
        .method(actix_web::http::Method::POST)
        .set_payload("name=form-body");
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(head(&res, "location"), None);
    assert_eq!(
        body(res).await,
        "-|session-token-expired-refresh-non-eligible-non-get|name=form-body"
    );
    // The same as a GET navigation: the handshake.
    let res = test::call_service(
        &app,
        navigation(cookie_request(&cookies(&expired))).to_request(),
    )
    .await;
    assert_eq!(res.status(), 307);
}

/// 3.11.1 (#8877): with authorized parties set, a cookie token without
/// `azp` is rejected; the documented option lets it through (cookies only).
#[actix_web::test]
async fn cookie_tokens_without_azp_are_rejected_unless_allowed() {
    let stand_in = StandIn::start().unwrap();
    let token = stand_in.session_token("user_1").without_claim("azp").sign();
    let strict = app(production(&stand_in).authorized_parties(["https://app.example.com"])).await;
    let res = test::call_service(&strict, cookie_request(&cookies(&token)).to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("token-invalid-authorized-parties")
    );
    let lenient = app(production(&stand_in)
        .authorized_parties(["https://app.example.com"])
        .allow_cookie_tokens_without_azp(true))
    .await;
    let res = test::call_service(&lenient, cookie_request(&cookies(&token)).to_request()).await;
    assert!(body(res).await.starts_with("user_1|"));
    // A wrong azp is still wrong, and the header path is not affected.
    let other = stand_in
        .session_token("user_1")
        .azp("https://evil.example")
        .sign();
    let res = test::call_service(&lenient, cookie_request(&cookies(&other)).to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("token-invalid-authorized-parties")
    );
    let req = test::TestRequest::get()
        .uri("/api")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    let res = test::call_service(&lenient, req.to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("token-invalid-authorized-parties")
    );
}

/// 3.11.7 (#9168) and 3.16.9 (#9469): the cookie path takes session tokens
/// only.
#[actix_web::test]
async fn machine_and_template_tokens_in_the_session_cookie_are_a_type_mismatch() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let m2m = stand_in.session_token("mch_1").sign();
    let oauth = stand_in
        .session_token("user_1")
        .header("typ", "at+jwt")
        .sign();
    let template = stand_in
        .session_token("user_1")
        .header("cat", "cl_B7d4PD222AAA")
        .sign();
    for token in [
        m2m.as_str(),
        &oauth,
        &template,
        "ak_123",
        "mt_123",
        "oat_123",
    ] {
        let res = test::call_service(&app, cookie_request(&cookies(token)).to_request()).await;
        assert_eq!(
            head(&res, "x-clerk-auth-reason").as_deref(),
            Some("token-type-mismatch"),
            "{token}"
        );
    }
    // Refused before verification: no machine token from a cookie ever
    // reaches a Backend API verify endpoint.
    assert!(
        stand_in
            .requests()
            .iter()
            .all(|r| !r.path().ends_with("/verify")),
        "{:?}",
        stand_in
            .requests()
            .iter()
            .map(|r| r.path().to_owned())
            .collect::<Vec<_>>()
    );
}

/// 3.12.0 (#9145): the cross-origin check trusts an exact list of Clerk
/// origins, not any `accounts.*` host.
#[actix_web::test]
async fn only_clerk_origins_skip_the_cross_origin_handshake() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let token = stand_in.session_token("user_1").sign();
    // With a proxy, the proxy is the Frontend API (as in Clerk).
    let frontend = format!("{}/v1/client", stand_in.url());
    let from = |referer: &str| {
        navigation(cookie_request(&cookies(&token)))
            .insert_header((header::REFERER, referer.to_owned()))
    };
    for (referer, handshake) in [
        ("https://accounts.example.com/sign-in", true),
        ("https://satellite.example/", true),
        ("https://accounts.stand-in.test/sign-in", false),
        (frontend.as_str(), false),
        ("http://app.example.com/other", false),
        ("not a url", false),
        // A dev Account Portal is trusted on development instances only.
        ("https://foo-bar-13.accounts.dev/", true),
    ] {
        let res = test::call_service(&app, from(referer).to_request()).await;
        assert_eq!(res.status() == 307, handshake, "{referer}");
        if handshake {
            assert_eq!(
                head(&res, "x-clerk-auth-reason").as_deref(),
                Some("primary-domain-cross-origin-sync")
            );
        }
    }
    let dev = self::app(stand_in.clerk_builder()).await;
    let req = navigation(cookie_request(&stand_in.browser_cookies(&token)))
        .insert_header((header::REFERER, "https://foo-bar-13.accounts.dev/"));
    assert_eq!(
        test::call_service(&dev, req.to_request()).await.status(),
        200
    );
}

/// 3.16.7 (#9466): RFC 6265 cookies; a non-string `iss` never throws.
#[actix_web::test]
async fn odd_cookies_and_issuers_never_fail_the_request() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let token = stand_in.session_token("user_1").sign();
    let numeric_iss = stand_in.session_token("user_1").claim("iss", 5).sign();
    for cookie in [
        format!("theme=dark%3B%20__session%3D{token}"),
        format!("__session=\"{token}\"; __client_uat=1"),
        format!("__session={numeric_iss}; __client_uat=1"),
        "__session=%E0%A4%A; __client_uat=%zz".to_owned(),
        format!("__session = {token} ; __client_uat = 1 ; __session=other"),
    ] {
        let res = test::call_service(&app, cookie_request(&cookie).to_request()).await;
        assert_eq!(res.status(), 200, "{cookie}");
    }
    let res = test::call_service(
        &app,
        cookie_request(&format!(
            "__session = {token} ; __client_uat = 1 ; __session=other"
        ))
        .to_request(),
    )
    .await;
    assert!(body(res).await.starts_with("user_1|"));
}

/// A nonce the Backend API cannot answer for infrastructure reasons is an
/// outage, not a sign-out; an unknown nonce stays `session-token-missing`.
#[actix_web::test]
async fn a_failed_nonce_fetch_is_an_outage() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let req = || cookie_request("__clerk_handshake_nonce=n_1");
    stand_in.inject(Fault::status(503).on_path("/v1/clients/handshake_payload"));
    let res = test::call_service(&app, req().to_request()).await;
    assert_eq!(res.status(), 503);
    stand_in.clear_faults();
    stand_in.inject(Fault::drop_connection().on_path("/v1/clients/handshake_payload"));
    assert_eq!(
        test::call_service(&app, req().to_request()).await.status(),
        503
    );
    stand_in.clear_faults();
    stand_in.with_store(|store| store.use_handshake_nonces(true));
    stand_in.with_store(|store| {
        // Make the stand-in answer 404 for nonces it did not issue.
        store.canned(
            "GET",
            "/v1/clients/handshake_payload",
            404,
            serde_json::json!({"errors": [{"code": "resource_not_found", "message": "not found"}]}),
        )
    });
    let res = test::call_service(&app, req().to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("session-token-missing")
    );
}

/// Handshake resolution by nonce: one `Set-Cookie` per directive, signed in.
#[actix_web::test]
async fn a_nonce_resolves_into_cookies_and_a_session() {
    let stand_in = StandIn::start().unwrap();
    let token = stand_in.session_token("user_1").sign();
    stand_in.with_store(|store| {
        store.set_handshake_directives([
            format!("__session={token}; Path=/; SameSite=Lax"),
            "__client_uat=1; Path=/".to_owned(),
        ])
    });
    let app = app(production(&stand_in)).await;
    let res = test::call_service(
        &app,
        cookie_request("__clerk_handshake_nonce=n_1").to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let set: Vec<_> = res.headers().get_all("set-cookie").collect();
    assert_eq!(set.len(), 2);
    assert_eq!(
        head(&res, "access-control-allow-origin").as_deref(),
        Some("null")
    );
    assert!(body(res).await.starts_with("user_1|"));
}

/// Development: the page again without the handshake parameters (307), and
/// a one-day clock-skew retry for the handshake's session token.
#[actix_web::test]
async fn development_handshakes_clean_the_url_and_forgive_clock_skew() {
    let stand_in = StandIn::start().unwrap();
    let issued = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600;
    let stale = stand_in.session_token("user_1").issued_at(issued).sign();
    let payload =
        serde_json::json!({"handshake": [format!("__session={stale}; Path=/")]}).to_string();
    let handshake = stand_in.session_token("x").raw_payload(payload).sign();
    let app = app(stand_in.clerk_builder()).await;
    let req = test::TestRequest::get()
        .uri(&format!(
            "/page?a=1&__clerk_handshake={handshake}&__clerk_db_jwt=db&b=2"
        ))
        .insert_header((header::HOST, "app.example.com"));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        head(&res, "location").as_deref(),
        Some("http://app.example.com/page?a=1&b=2")
    );
    assert_eq!(head(&res, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(res.headers().get_all("set-cookie").count(), 1);
    // A handshake token of another key on a development instance: Clerk
    // throws (a 500); here the request goes on signed out, with Clerk's
    // advice in the log. What a request carries never makes a 5xx.
    let foreign = clerk_actix::testing::TestIssuer::generate().unwrap();
    let forged = stand_in
        .session_token("x")
        .raw_payload("{\"handshake\":[]}")
        .signed_by(&foreign)
        .sign();
    let req = test::TestRequest::get().uri(&format!("/page?__clerk_handshake={forged}"));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        head(&res, "x-clerk-auth-status").as_deref(),
        Some("signed-out")
    );
    // A JWT-template token is not a handshake token (3.16.9).
    let template = stand_in
        .session_token("x")
        .header("cat", "cl_B7d4PD222AAA")
        .raw_payload("{\"handshake\":[]}")
        .sign();
    let req = test::TestRequest::get().uri(&format!("/page?__clerk_handshake={template}"));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        head(&res, "x-clerk-auth-status").as_deref(),
        Some("signed-out")
    );
}

/// Refresh failures are labelled as Clerk labels them, then handshake.
#[actix_web::test]
async fn refresh_failures_carry_clerks_labels() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    let suffix: clerk_actix::config::PublishableKey = live_key(&stand_in).parse().unwrap();
    let suffix = suffix.cookie_suffix().to_owned();
    let expired = stand_in
        .session_token("user_1")
        .session_id("sess_gone")
        .expired(Duration::from_secs(60))
        .sign();
    let req = || {
        navigation(cookie_request(&format!(
            "{}; __refresh_{suffix}=r",
            cookies(&expired)
        )))
    };
    let res = test::call_service(&app, req().to_request()).await;
    assert_eq!(res.status(), 307);
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("session-token-expired-refresh-resource_not_found")
    );
    stand_in.inject(Fault::drop_connection().on_path("/v1/sessions"));
    let res = test::call_service(&app, req().to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("session-token-expired-refresh-fetch-error")
    );
    let no_sid = stand_in
        .session_token("user_1")
        .without_claim("sid")
        .expired(Duration::from_secs(60))
        .sign();
    let req = navigation(cookie_request(&format!(
        "{}; __refresh_{suffix}=r",
        cookies(&no_sid)
    )));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("session-token-expired-refresh-expired-session-token-missing-sid-claim")
    );
}

/// The budget of Backend API calls bounds refreshes too (issue 22): beyond
/// it the refresh fails as when the Backend API cannot be reached
/// (`fetch-error`), without a call.
#[actix_web::test]
async fn the_budget_bounds_session_refreshes() {
    let stand_in = StandIn::start().unwrap();
    let builder = production(&stand_in).backend_call_budget(5, Duration::from_secs(3600));
    let app = app(builder).await;
    let suffix: clerk_actix::config::PublishableKey = live_key(&stand_in).parse().unwrap();
    let suffix = suffix.cookie_suffix().to_owned();
    let mut reasons = Vec::new();
    for i in 0..30 {
        let expired = stand_in
            .session_token("user_1")
            .session_id(format!("sess_gone{i}"))
            .expired(Duration::from_secs(60))
            .sign();
        let req = navigation(cookie_request(&format!(
            "{}; __refresh_{suffix}=r",
            cookies(&expired)
        )));
        let res = test::call_service(&app, req.to_request()).await;
        reasons.push(head(&res, "x-clerk-auth-reason").unwrap_or_default());
    }
    let refreshes = stand_in
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/refresh"))
        .count();
    assert_eq!(refreshes, 5);
    let label = |l: &str| reasons.iter().filter(|r| r.ends_with(l)).count();
    assert_eq!(label("refresh-resource_not_found"), 5);
    assert_eq!(label("refresh-fetch-error"), 25);
}

/// API-only: never a handshake; the cookie problem signs the request out.
#[actix_web::test]
async fn api_only_never_redirects() {
    let stand_in = StandIn::start().unwrap();
    let app = app(stand_in.clerk_builder().api_only(true)).await;
    let expired = stand_in
        .session_token("user_1")
        .expired(Duration::from_secs(60))
        .sign();
    for cookie in [
        cookies(&expired),
        "__client_uat=5".to_owned(),
        String::new(),
    ] {
        let res = test::call_service(&app, navigation(cookie_request(&cookie)).to_request()).await;
        assert_eq!(res.status(), 200, "{cookie}");
        assert_eq!(
            head(&res, "x-clerk-auth-status").as_deref(),
            Some("signed-out")
        );
    }
    // No dev-browser noise for anonymous requests of an API.
    let res = test::call_service(&app, navigation(cookie_request("")).to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("session-token-and-uat-missing")
    );
    let token = stand_in.session_token("user_1").sign();
    let res = test::call_service(&app, cookie_request(&cookies(&token)).to_request()).await;
    assert!(body(res).await.starts_with("user_1|"));
}

/// The handshake base: a relative proxy URL against the public origin, and
/// `X-Forwarded-*` only when trusted.
#[actix_web::test]
async fn proxies_and_forwarded_headers() {
    let stand_in = StandIn::start().unwrap();
    let req = || {
        navigation(cookie_request("__client_uat=5"))
            .insert_header(("x-forwarded-host", "public.example"))
            .insert_header(("x-forwarded-proto", "https"))
    };
    let app = self::app(production(&stand_in).proxy_url("/__clerk/")).await;
    let res = test::call_service(&app, req().to_request()).await;
    let location = head(&res, "location").unwrap();
    assert!(
        location.starts_with("https://public.example/__clerk/v1/client/handshake?redirect_url=https%3A%2F%2Fpublic.example%2Fpage&"),
        "{location}"
    );
    let app = self::app(
        production(&stand_in)
            .proxy_url("/__clerk")
            .trust_forwarded_headers(false),
    )
    .await;
    let res = test::call_service(&app, req().to_request()).await;
    let location = head(&res, "location").unwrap();
    assert!(
        location.starts_with("http://app.example.com/__clerk/v1/client/handshake?redirect_url=http%3A%2F%2Fapp.example.com%2Fpage&"),
        "{location}"
    );
}

/// Every key of conformance/publishable-keys.json: its suffixed cookies are
/// the ones read, and handshakes go to its Frontend API.
#[actix_web::test]
async fn publishable_key_vectors_choose_their_cookies_and_frontend_api() {
    let stand_in = StandIn::start().unwrap();
    let vectors = crate::fixtures::json("publishable-keys.json");
    let keys = vectors["keys"].as_array().unwrap();
    assert!(keys.len() >= 6);
    for key in keys {
        let pk = key["publishable_key"].as_str().unwrap();
        let suffix = key["cookie_suffix"].as_str().unwrap();
        let app = app(clerk_actix::Clerk::builder()
            .secret_key(stand_in.secret_key())
            .api_url(stand_in.url())
            .publishable_key(pk))
        .await;
        let req = navigation(cookie_request(&format!(
            "__client_uat_{suffix}=5; __client_uat=0"
        )));
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), 307, "{pk}");
        let location = head(&res, "location").unwrap();
        let base = key["handshake_base"].as_str().unwrap();
        assert!(
            location.starts_with(&format!("{base}?redirect_url=")),
            "{location}"
        );
        assert!(location.contains("&suffixed_cookies=true&"), "{location}");
        let reason = if key["instance_type"] == "production" {
            "client-uat-but-no-session-token"
        } else {
            "dev-browser-missing"
        };
        assert_eq!(
            head(&res, "x-clerk-auth-reason").as_deref(),
            Some(reason),
            "{pk}"
        );
    }
}

/// Clerk's loop guard stops at exactly 3; a larger counter stops too.
#[actix_web::test]
async fn the_loop_guard_stops_at_three_and_beyond() {
    let stand_in = StandIn::start().unwrap();
    let app = app(production(&stand_in)).await;
    for (count, status) in [(0, 307), (2, 307), (3, 200), (7, 200)] {
        let req = navigation(cookie_request(&format!(
            "__client_uat=5; __clerk_redirect_count={count}"
        )));
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status(), status, "{count}");
    }
}

/// An app on its own origin with `authorized_parties`: the stand-in's
/// handshake (and the refresh after it) mint tokens with the builder's `azp`,
/// so the kit's browser lands signed in, as it would on Clerk. They used to
/// say `http://localhost:3000` whatever the builder said: three handshakes,
/// then signed out with `token-invalid-authorized-parties`.
#[actix_web::test]
async fn an_app_on_another_origin_passes_its_handshake_with_authorized_parties() {
    let origin = "https://app.example.com";
    let stand_in = StandIn::builder().azp(origin).start().unwrap();
    stand_in.with_store(|store| store.sign_in_browser("user_1"));
    let app = app(stand_in.clerk_builder().authorized_parties([origin])).await;
    let mut browser = Browser::new();
    let page = browser
        .visit(&app, &format!("{origin}/page"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().starts_with("user_1|-|"), "{}", page.text());
    assert!(page
        .visited()
        .iter()
        .any(|url| url.starts_with(&format!("{}/v1/client/handshake?", stand_in.url()))));
    // The tokens the stand-in minted carry the builder's azp.
    let minted = browser.cookie("__session").unwrap().to_owned();
    let claims = stand_in
        .clerk()
        .unwrap()
        .verify_token(&minted)
        .await
        .unwrap();
    assert_eq!(claims.get("azp").and_then(|v| v.as_str()), Some(origin));
}

/// The stand-in's refresh, asked for suffixed cookies, sets this instance's
/// `__session_<suffix>` (the suffix of the stand-in's publishable key), not
/// a fixed `__session_standin`: the next page load is signed in from it.
#[actix_web::test]
async fn refresh_with_suffixed_cookies_sets_the_instances_cookie_names() {
    let stand_in = StandIn::start().unwrap();
    let suffix = stand_in
        .publishable_key()
        .parse::<clerk_actix::config::PublishableKey>()
        .unwrap()
        .cookie_suffix()
        .to_owned();
    let session = stand_in.with_store(|store| store.sign_in_browser("user_1"));
    let expired = stand_in
        .session_token("user_1")
        .session_id(session)
        .expired(Duration::from_secs(60))
        .sign();
    let app = app(stand_in.clerk_builder()).await;
    let url = "http://app.example.com/page";
    let mut browser = Browser::new();
    for cookie in [
        format!("__session_{suffix}={expired}; Path=/"),
        format!("__client_uat_{suffix}=1; Path=/"),
        format!("__refresh_{suffix}=rft_1; Path=/"),
        format!("__clerk_db_jwt_{suffix}=dvb_1; Path=/"),
    ] {
        browser.set_cookie(url, &cookie).unwrap();
    }
    let page = browser.visit(&app, url).await.unwrap();
    assert!(page.text().starts_with("user_1|-|"), "{}", page.text());
    assert_eq!(page.visited().len(), 1, "refreshed without a handshake");
    assert!(stand_in
        .requests()
        .iter()
        .any(|r| r.path().ends_with("/refresh") && r.query() == "suffixed_cookies=true"));
    let refreshed = browser.cookie(&format!("__session_{suffix}")).unwrap();
    assert_ne!(refreshed, expired);
    assert!(browser.cookie("__session_standin").is_none());
    // The next load is served from the refreshed cookie: no more refresh.
    let before = stand_in.requests().len();
    let page = browser.visit(&app, url).await.unwrap();
    assert!(page.text().starts_with("user_1|-|"), "{}", page.text());
    assert_eq!(stand_in.requests().len(), before);
}

/// When the loop guard gives up, its warning repeats why the handshake the
/// browser came back from could not be resolved (here: the minted tokens'
/// `azp` is not an authorized party), instead of blaming cookies.
#[actix_web::test]
async fn the_loop_guard_names_the_resolution_error() {
    crate::logs::install();
    let stand_in = StandIn::start().unwrap();
    stand_in.with_store(|store| store.sign_in_browser("user_1"));
    let origin = "https://loop-guard.example.com";
    let app = app(stand_in.clerk_builder().authorized_parties([origin])).await;
    let mut browser = Browser::new();
    let page = browser
        .visit(&app, &format!("{origin}/page"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().starts_with("-|"), "{}", page.text());
    let warnings = crate::logs::lines_with("infinite redirect loop");
    assert!(
        warnings
            .iter()
            .any(|line| line.contains("could not be resolved") && line.contains("azp")),
        "{warnings:?}"
    );
}

/// Native and mobile apps' tokens carry no `azp`: with
/// `allow_missing_azp(true)` they pass beside web tokens bound to the
/// authorized parties; a web token of another origin is still refused.
#[actix_web::test]
async fn tokens_without_azp_pass_only_when_allowed() {
    let stand_in = StandIn::start().unwrap();
    let origin = "https://app.example.com";
    let strict = clerk_actix::VerifyOptions::default().authorized_parties([origin]);
    let lenient = strict.clone().allow_missing_azp(true);
    let mobile = stand_in.session_token("user_1").without_claim("azp").sign();
    let web = stand_in.session_token("user_2").azp(origin).sign();
    let elsewhere = stand_in
        .session_token("user_3")
        .azp("https://elsewhere.example.com")
        .sign();
    for (options, expected) in [
        (strict, ["-", "user_2", "-"]),
        (lenient, ["user_1", "user_2", "-"]),
    ] {
        let app = app(stand_in.clerk_builder().verify_options(options)).await;
        for (token, want) in [&mobile, &web, &elsewhere].into_iter().zip(expected) {
            let req = test::TestRequest::get()
                .uri("/api")
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status(), 200);
            let text = body(res).await;
            assert!(text.starts_with(&format!("{want}|")), "{text}");
        }
    }
}

/// A refresh whose new session token does not verify says why in the log
/// (it used to log nothing), and answers with Clerk's label.
#[actix_web::test]
async fn a_refresh_that_does_not_verify_says_why() {
    crate::logs::install();
    let stand_in = StandIn::start().unwrap();
    let session = stand_in.with_store(|store| store.sign_in_browser("user_1"));
    let expired = stand_in
        .session_token("user_1")
        .session_id(session)
        .azp("https://refresh-log.example.com")
        .expired(Duration::from_secs(60))
        .sign();
    // The stand-in's refreshed tokens carry its default azp, not this one.
    let app = app(stand_in
        .clerk_builder()
        .authorized_parties(["https://refresh-log.example.com"]))
    .await;
    let req = cookie_request(&format!(
        "__session={expired}; __client_uat=1; __clerk_db_jwt=dvb_1; __refresh_{}=rft_1",
        stand_in
            .publishable_key()
            .parse::<clerk_actix::config::PublishableKey>()
            .unwrap()
            .cookie_suffix()
    ));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(
        head(&res, "x-clerk-auth-reason").as_deref(),
        Some("session-token-expired-refresh-invalid-session-token")
    );
    let lines = crate::logs::lines_with("the session token of a refresh does not verify");
    assert!(
        lines
            .iter()
            .any(|line| line.contains("token-invalid-authorized-parties")),
        "{lines:?}"
    );
}
