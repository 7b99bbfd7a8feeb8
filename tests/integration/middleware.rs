//! ClerkMiddleware, the extractors, guards and wrap helpers, in-process.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{test, web, App, HttpRequest, HttpResponse};
use clerk_actix::error::AuthError;
use clerk_actix::testing::{StandIn, TestOrg};
use clerk_actix::{
    guard, require_auth, require_permission, require_role, Auth, Clerk, ClerkMiddleware, Has,
    OptionalAuth, Require,
};

async fn whoami(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().body(auth.user_id().unwrap_or_default().to_owned())
}

async fn auth_json(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().json(&auth)
}

fn bearer(token: &str) -> (header::HeaderName, String) {
    (header::AUTHORIZATION, format!("Bearer {token}"))
}

fn header<'a, B>(res: &'a ServiceResponse<B>, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn get<S, B>(app: &S, uri: &str, token: Option<&str>) -> ServiceResponse<B>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(token) = token {
        req = req.insert_header(bearer(token));
    }
    test::call_service(app, req.to_request()).await
}

async fn text<B: MessageBody>(res: ServiceResponse<B>) -> String {
    String::from_utf8_lossy(&test::read_body(res).await).into_owned()
}

fn stand_in() -> (StandIn, Clerk) {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    (stand_in, clerk)
}

#[actix_web::test]
async fn extractor_answers_401_without_token_and_200_with_one() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;

    let res = get(&app, "/me", None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "www-authenticate"), Some("Bearer"));
    assert_eq!(header(&res, "x-clerk-auth-status"), Some("signed-out"));
    // The stand-in is a development instance: a request without the
    // dev-browser cookie is signed out for that reason, as with Clerk.
    assert_eq!(
        header(&res, "x-clerk-auth-reason"),
        Some("dev-browser-missing")
    );
    assert_eq!(header(&res, "x-clerk-auth-message"), None);
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body["errors"][0]["code"], "unauthorized");

    let token = stand_in.session_token("user_1").sign();
    let res = get(&app, "/me", Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "x-clerk-auth-status"), None);
    assert_eq!(test::read_body(res).await, "user_1");
}

#[actix_web::test]
async fn rejected_tokens_carry_reason_headers_and_invalid_token_challenge() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let other = clerk_actix::testing::TestIssuer::generate().unwrap();
    let cases = [
        (
            stand_in
                .session_token("u")
                .expired(Duration::from_secs(60))
                .sign(),
            "session-token-expired-refresh-non-eligible-no-refresh-cookie",
        ),
        (
            stand_in.session_token("u").signed_by(&other).sign(),
            "token-invalid-signature",
        ),
        ("not-a-token".to_owned(), "token-invalid"),
        (
            stand_in
                .session_token("u")
                .header("cat", "cl_B7d4PD222AAA")
                .sign(),
            "token-type-mismatch",
        ),
        // (An `at+jwt` token signed with the instance's key is a valid OAuth
        // access token: see machine::session_routes_refuse_machine_tokens.)
    ];
    for (token, reason) in cases {
        let res = get(&app, "/me", Some(&token)).await;
        assert_eq!(res.status(), 401, "{reason}");
        assert_eq!(
            header(&res, "www-authenticate"),
            Some("Bearer error=\"invalid_token\""),
            "{reason}"
        );
        assert_eq!(header(&res, "x-clerk-auth-reason"), Some(reason));
        assert_eq!(header(&res, "x-clerk-auth-status"), Some("signed-out"));
    }
    let res = get(&app, "/me", Some("not-a-token")).await;
    assert_eq!(
        header(&res, "x-clerk-auth-message"),
        Some(
            "Invalid JWT form. A JWT consists of three parts separated by dots. \
             (reason=token-invalid, token-carrier=header)"
        )
    );
}

#[actix_web::test]
async fn pending_sessions_are_signed_out_unless_configured() {
    let (stand_in, clerk) = stand_in();
    let token = stand_in.session_token("user_1").pending().sign();
    let strict = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .route(
                "/any",
                web::get().to(|req: HttpRequest| async move {
                    let auth = clerk_actix::get_auth(&req)?;
                    Ok::<_, actix_web::Error>(HttpResponse::Ok().json(serde_json::json!({
                        "default": auth.is_authenticated(),
                        "status": auth.session_status(),
                        "with_pending": auth.treat_pending_as_signed_out(false).user_id(),
                    })))
                }),
            )
            .wrap(ClerkMiddleware::new(clerk.clone())),
    )
    .await;
    assert_eq!(get(&strict, "/me", Some(&token)).await.status(), 401);
    let res = get(&strict, "/any", Some(&token)).await;
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(
        body,
        serde_json::json!({"default": false, "status": "pending", "with_pending": "user_1"})
    );

    let lenient = test::init_service(
        App::new().route("/me", web::get().to(whoami)).wrap(
            ClerkMiddleware::builder(clerk)
                .treat_pending_as_signed_out(false)
                .build(),
        ),
    )
    .await;
    assert_eq!(get(&lenient, "/me", Some(&token)).await.status(), 200);
}

#[actix_web::test]
async fn permission_and_role_helpers_answer_401_403_200() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/path")
                    .wrap(require_permission("org:admin:testpermission"))
                    .route(web::get().to(auth_json)),
            )
            .service(
                web::resource("/admins")
                    .wrap(require_role("admin"))
                    .route(web::get().to(whoami)),
            )
            .service(
                web::resource("/business")
                    .wrap(Require::has(Has::plan("o:business")))
                    .route(web::get().to(whoami)),
            )
            .service(
                web::resource("/acme")
                    .wrap(Require::check(|auth| auth.org_slug() == Some("acme")))
                    .route(web::get().to(whoami)),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let admin = stand_in
        .session_token("user_admin")
        .organization(
            TestOrg::new("org_1", "admin")
                .slug("acme")
                .permissions(["org:admin:testpermission"]),
        )
        .plans(["o:business"])
        .sign();
    let member = stand_in
        .session_token("user_member")
        .organization(TestOrg::new("org_1", "member").slug("other"))
        .sign();

    let res = get(&app, "/path", Some(&admin)).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body["userId"], "user_admin");
    assert_eq!(body["orgRole"], "org:admin");
    assert_eq!(
        body["orgPermissions"],
        serde_json::json!(["org:admin:testpermission"])
    );
    assert_eq!(body["isAuthenticated"], true);

    for uri in ["/path", "/admins", "/business", "/acme"] {
        assert_eq!(get(&app, uri, Some(&admin)).await.status(), 200, "{uri}");
        let res = get(&app, uri, Some(&member)).await;
        assert_eq!(res.status(), 403, "{uri}");
        assert_eq!(
            header(&res, "www-authenticate"),
            Some("Bearer error=\"insufficient_scope\"")
        );
        assert_eq!(get(&app, uri, None).await.status(), 401, "{uri}");
    }
}

#[actix_web::test]
async fn scoped_protection_with_from_fn_and_transform() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/api")
                    .wrap(from_fn(require_auth))
                    .route("/me", web::get().to(|| async { "api" })),
            )
            .service(
                web::scope("/app")
                    .wrap(Require::auth())
                    .route("/me", web::get().to(|| async { "app" })),
            )
            .route("/public", web::get().to(|| async { "public" }))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let token = stand_in.session_token("user_1").sign();
    for uri in ["/api/me", "/app/me"] {
        let res = get(&app, uri, None).await;
        assert_eq!(res.status(), 401, "{uri}");
        assert_eq!(header(&res, "x-clerk-auth-status"), Some("signed-out"));
        assert_eq!(get(&app, uri, Some(&token)).await.status(), 200, "{uri}");
    }
    assert_eq!(get(&app, "/public", None).await.status(), 200);
}

#[actix_web::test]
async fn percent_encoded_paths_cannot_bypass_scope_protection() {
    let (_stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/admin")
                    .wrap(Require::auth())
                    .route("/users", web::get().to(|| async { "secret" })),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    for uri in [
        "/admin/users",
        "/%61dmin/users",
        "/adm%69n/users",
        "/admin/%75sers",
    ] {
        let res = get(&app, uri, None).await;
        assert!(
            res.status() == 401 || res.status() == 404,
            "{uri} answered {}",
            res.status()
        );
        assert_ne!(test::read_body(res).await, "secret", "{uri}");
    }
}

#[actix_web::test]
async fn guards_select_routes_and_fall_back() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/dashboard")
                    .route(
                        web::get()
                            .guard(guard::permission("org:reports:read"))
                            .to(|| async { "reports" }),
                    )
                    .route(
                        web::get()
                            .guard(guard::role("org:admin"))
                            .to(|| async { "admin" }),
                    )
                    .route(
                        web::get()
                            .guard(guard::authenticated())
                            .to(|| async { "member" }),
                    )
                    .route(
                        web::get().to(|| async { HttpResponse::Unauthorized().body("anonymous") }),
                    ),
            )
            .route(
                "/impersonated",
                web::get()
                    .guard(guard::check(|auth| auth.actor().is_some()))
                    .to(|| async { "acting" }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let reader = stand_in
        .session_token("u1")
        .organization(TestOrg::new("org_1", "member").permissions(["org:reports:read"]))
        .sign();
    let admin = stand_in.session_token("u2").org("org_1", "admin").sign();
    let member = stand_in.session_token("u3").sign();
    let acting = stand_in.session_token("u4").actor("user_support").sign();

    assert_eq!(
        text(get(&app, "/dashboard", Some(&reader)).await).await,
        "reports"
    );
    assert_eq!(
        text(get(&app, "/dashboard", Some(&admin)).await).await,
        "admin"
    );
    assert_eq!(
        text(get(&app, "/dashboard", Some(&member)).await).await,
        "member"
    );
    let res = get(&app, "/dashboard", None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(test::read_body(res).await, "anonymous");
    // A failing guard with no fallback means "no route": 404.
    assert_eq!(
        get(&app, "/impersonated", Some(&member)).await.status(),
        404
    );
    assert_eq!(
        get(&app, "/impersonated", Some(&acting)).await.status(),
        200
    );
}

#[actix_web::test]
async fn extractors_without_middleware_answer_500_with_the_fix() {
    let app = test::init_service(
        App::new()
            .route("/auth", web::get().to(whoami))
            .route(
                "/optional",
                web::get().to(|auth: OptionalAuth| async move { format!("{}", auth.is_some()) }),
            )
            .route(
                "/get-auth",
                web::get().to(|req: HttpRequest| async move {
                    clerk_actix::get_auth(&req).map(|_| HttpResponse::Ok().finish())
                }),
            )
            .service(
                web::resource("/required")
                    .wrap(Require::auth())
                    .route(web::get().to(|| async { "never" })),
            ),
    )
    .await;
    crate::logs::install();
    for uri in ["/auth", "/optional", "/get-auth", "/required"] {
        let before = crate::logs::lines_with("ClerkMiddleware must run before").len();
        let res = get(&app, uri, None).await;
        assert_eq!(res.status(), 500, "{uri}");
        let body = test::read_body(res).await;
        let text = String::from_utf8_lossy(&body);
        // The client gets a generic body; the fix goes to the log.
        assert!(text.contains("internal_error"), "{uri}: {text}");
        assert!(!text.contains("ClerkMiddleware"), "{uri}: {text}");
        let logged = crate::logs::lines_with("ClerkMiddleware must run before");
        assert!(logged.len() > before, "{uri}: the set-up advice is logged");
        assert!(
            logged.iter().all(|line| line.starts_with("ERROR")),
            "{logged:?}"
        );
    }
}

#[actix_web::test]
async fn optional_and_result_extractors_hand_control_to_the_handler() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .route(
                "/optional",
                web::get().to(|auth: OptionalAuth| async move {
                    auth.into_inner()
                        .and_then(|a| a.user_id().map(str::to_owned))
                        .unwrap_or_else(|| "stranger".to_owned())
                }),
            )
            .route(
                "/result",
                web::get().to(|auth: Result<Auth, AuthError>| async move {
                    match auth {
                        Ok(_) => "in".to_owned(),
                        Err(AuthError::Unauthorized(e)) => format!("out:{}", e.token_presented()),
                        Err(other) => format!("{other}"),
                    }
                }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let token = stand_in.session_token("user_9").sign();
    assert_eq!(
        text(get(&app, "/optional", Some(&token)).await).await,
        "user_9"
    );
    assert_eq!(text(get(&app, "/optional", None).await).await, "stranger");
    assert_eq!(text(get(&app, "/result", Some(&token)).await).await, "in");
    assert_eq!(
        text(get(&app, "/result", Some("bad")).await).await,
        "out:true"
    );
    assert_eq!(text(get(&app, "/result", None).await).await, "out:false");
}

#[actix_web::test]
async fn per_request_options_choose_authorized_parties_by_host() {
    let (stand_in, clerk) = stand_in();
    let admin_only = Arc::new(
        clerk
            .verify_options()
            .clone()
            .authorized_parties(["https://admin.example.com"]),
    );
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    let middleware = ClerkMiddleware::builder(clerk)
        .options_fn(move |req| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (req.connection_info().host() == "admin.example.com").then(|| admin_only.clone())
        })
        .build();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(middleware),
    )
    .await;
    let token = stand_in
        .session_token("user_1")
        .azp("https://app.example.com")
        .sign();
    let req = |host: &str| {
        test::TestRequest::get()
            .uri("/me")
            .insert_header((header::HOST, host))
            .insert_header(bearer(&token))
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, req("app.example.com"))
            .await
            .status(),
        200
    );
    let res = test::call_service(&app, req("admin.example.com")).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        header(&res, "x-clerk-auth-reason"),
        Some("token-invalid-authorized-parties")
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn handler_hook_runs_after_authentication_and_may_end_the_request() {
    let (stand_in, clerk) = stand_in();
    let middleware = ClerkMiddleware::builder(clerk)
        .on_authenticated(|req, auth| {
            if req.path().starts_with("/internal") && !auth.has(Has::role("admin")) {
                return Err(actix_web::error::ErrorNotFound("no such page"));
            }
            Ok(())
        })
        .build();
    let app = test::init_service(
        App::new()
            .route("/internal/stats", web::get().to(|| async { "stats" }))
            .wrap(middleware),
    )
    .await;
    let admin = stand_in.session_token("u1").org("org_1", "admin").sign();
    let member = stand_in.session_token("u2").sign();
    assert_eq!(
        get(&app, "/internal/stats", Some(&admin)).await.status(),
        200
    );
    assert_eq!(
        get(&app, "/internal/stats", Some(&member)).await.status(),
        404
    );
    let res = get(&app, "/internal/stats", None).await;
    assert_eq!(res.status(), 404);
    assert_eq!(header(&res, "x-clerk-auth-status"), Some("signed-out"));
}

#[actix_web::test]
async fn cors_still_decorates_rejections() {
    let (_stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/path")
                    .wrap(require_permission("org:admin:testpermission"))
                    .route(web::get().to(auth_json)),
            )
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk))
            .wrap(actix_cors::Cors::default().allowed_origin("https://app.example.com")),
    )
    .await;
    for uri in ["/path", "/me"] {
        let req = test::TestRequest::get()
            .uri(uri)
            .insert_header((header::ORIGIN, "https://app.example.com"))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 401, "{uri}");
        assert_eq!(
            header(&res, "access-control-allow-origin"),
            Some("https://app.example.com"),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn hostile_authorization_headers_never_panic() {
    let (_stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let mut values: Vec<Vec<u8>> = vec![
        b"Bearer \xff\xfe\xfd".to_vec(),
        b"\x80\x81.\x82.\x83".to_vec(),
        b"Bearer \xc3\xa9.\xc3\xa9.\xc3\xa9".to_vec(),
        format!("Bearer {}", "a".repeat(64 * 1024)).into_bytes(),
        b"Bearer a.b.c.d.e".to_vec(),
        b"Bearer ....".to_vec(),
        b"Bearer \t".to_vec(),
    ];
    values.push(b"Bearer eyJhbGciOiJub25lIn0.e30.".to_vec());
    for value in values {
        let Ok(value) = HeaderValue::from_bytes(&value) else {
            continue;
        };
        let req = test::TestRequest::get()
            .uri("/me")
            .insert_header((header::AUTHORIZATION, value.clone()))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 401, "{value:?}");
    }
    // Odd cookies and forwarding headers are not a problem either.
    let req = test::TestRequest::get()
        .uri("/me")
        .insert_header((
            header::COOKIE,
            HeaderValue::from_bytes(b"\xff=\xfe; ;=;__session").unwrap(),
        ))
        .insert_header((
            "x-forwarded-host",
            HeaderValue::from_bytes(b"\xff").unwrap(),
        ))
        .insert_header(("sec-fetch-dest", "document"))
        .to_request();
    // A page navigation of a development instance without its dev-browser
    // cookie: the handshake, whatever the cookie bytes.
    assert_eq!(test::call_service(&app, req).await.status(), 307);
}

#[actix_web::test]
async fn oversized_header_on_a_real_socket_gets_a_clean_error() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = actix_web::HttpServer::new(move || {
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk.clone()))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = awc::Client::default();
    let url = format!("http://{addr}/me");
    let res = client
        .get(&url)
        .insert_header((
            header::AUTHORIZATION,
            format!("Bearer {}", "a".repeat(64 * 1024)),
        ))
        .send()
        .await;
    // actix-http refuses headers this large before any handler runs (431),
    // or drops the connection: either way, no panic, and the server lives on.
    if let Ok(res) = res {
        assert!(
            res.status() == 431 || res.status() == 400 || res.status() == 401,
            "{}",
            res.status()
        );
    }
    let token = stand_in.session_token("user_1").sign();
    let res = client
        .get(&url)
        .insert_header(bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    handle.stop(false).await;
}

#[actix_web::test]
async fn backend_api_down_at_cold_start_answers_503_not_401() {
    let mut stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    stand_in.shutdown();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let res = get(&app, "/me", Some(&token)).await;
    assert_eq!(res.status(), 503);
    assert_eq!(header(&res, "retry-after"), Some("1"));
    let body = test::read_body(res).await;
    let text = String::from_utf8_lossy(&body);
    // The body stays generic: no URL, no key, no internal cause.
    assert!(!text.contains("127.0.0.1"), "{text}");
    assert!(text.contains("authentication_unavailable"), "{text}");

    // Requests without a token are not affected by the outage.
    assert_eq!(get(&app, "/me", None).await.status(), 401);
}

#[actix_web::test]
async fn wrong_secret_key_answers_500() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .secret_key("sk_test_wrong")
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let token = stand_in.session_token("user_1").sign();
    assert_eq!(get(&app, "/me", Some(&token)).await.status(), 500);
}

#[actix_web::test]
async fn expired_token_on_a_page_navigation_gets_the_handshake_redirect() {
    let (stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .route("/page", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let token = stand_in
        .session_token("u")
        .expired(Duration::from_secs(60))
        .sign();
    let req = || {
        test::TestRequest::get()
            .uri("/page?x=1")
            .insert_header((header::HOST, "app.example.com"))
            .insert_header(("sec-fetch-dest", "document"))
            .insert_header(bearer(&token))
    };
    let res = test::call_service(&app, req().to_request()).await;
    assert_eq!(res.status(), 307);
    let location = header(&res, "location").unwrap_or_default().to_owned();
    // The stand-in's handle sends handshakes to the stand-in (its proxy URL).
    let frontend = stand_in.url();
    assert!(
        location.starts_with(&format!(
            "{frontend}/v1/client/handshake?redirect_url=http%3A%2F%2Fapp.example.com%2Fpage%3Fx%3D1&__clerk_api_version=2026-05-12&suffixed_cookies=false&__clerk_hs_reason=session-token-expired-refresh-non-eligible-no-refresh-cookie&format=nonce&__session="
        )),
        "{location}"
    );
    assert_eq!(header(&res, "cache-control"), Some("no-store"));
    assert_eq!(
        header(&res, "set-cookie"),
        Some("__clerk_redirect_count=1; HttpOnly; SameSite=Lax; Max-Age=2")
    );
    assert_eq!(header(&res, "x-clerk-auth-status"), Some("handshake"));

    // The loop guard: the third redirect in a row gives up and signs out.
    let res = test::call_service(
        &app,
        req()
            .insert_header((header::COOKIE, "__clerk_redirect_count=3"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(header(&res, "x-clerk-auth-status"), Some("signed-out"));
}

#[actix_web::test]
async fn random_header_bytes_never_panic() {
    let (_stand_in, clerk) = stand_in();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(whoami))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut sent = 0;
    for _ in 0..1_500 {
        let len = (next() % 300) as usize;
        // Every byte a header value may hold: visible ASCII, space, and 0x80..=0xFF.
        let mut bytes: Vec<u8> = (0..len)
            .map(|_| match (next() % 223) as u8 {
                b @ 0..=94 => 0x20 + b,
                b => 0x80 + (b - 95),
            })
            .collect();
        if next() % 2 == 0 {
            bytes.splice(0..0, b"Bearer ".iter().copied());
        }
        let Ok(value) = HeaderValue::from_bytes(&bytes) else {
            continue;
        };
        let cookie = HeaderValue::from_bytes(&bytes[..bytes.len() / 2]).ok();
        let mut req = test::TestRequest::get()
            .uri("/me")
            .insert_header((header::AUTHORIZATION, value))
            .insert_header(("sec-fetch-dest", "document"));
        if let Some(cookie) = cookie {
            req = req.insert_header((header::COOKIE, cookie));
        }
        let res = test::call_service(&app, req.to_request()).await;
        // 401, or the handshake of a page navigation that fell through to
        // the cookie path (another scheme than Bearer): never a 5xx.
        assert!(
            matches!(res.status().as_u16(), 401 | 307),
            "{}",
            res.status()
        );
        sent += 1;
    }
    assert!(sent > 1_000, "{sent}");
}
