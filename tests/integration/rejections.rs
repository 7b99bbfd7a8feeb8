//! One rejection story: every refusal the crate makes keeps its error (so
//! `ErrorHandlers` recognise it), goes through the `on_rejection` hook, and
//! an outage fails closed only where auth is read. Plus the handle in
//! handlers, `SessionAuth`, configuration errors and diagnostics.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{test, web, App, HttpResponse};
use clerk_actix::client::ClerkClient;
use clerk_actix::error::AuthError;
use clerk_actix::testing::StandIn;
use clerk_actix::{
    guard, require_auth, Auth, Clerk, ClerkMiddleware, ForbiddenError, OptionalAuth, Require,
    SessionAuth, UnauthorizedError,
};
use serde_json::{json, Value};

async fn get<S, B>(app: &S, uri: &str, token: Option<&str>) -> ServiceResponse<B>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = test::TestRequest::get().uri(uri);
    if let Some(token) = token {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    test::call_service(app, req.to_request()).await
}

async fn text<B: MessageBody>(res: ServiceResponse<B>) -> String {
    String::from_utf8_lossy(&test::read_body(res).await).into_owned()
}

fn header_of<B>(res: &ServiceResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An app's own 401/403 bodies, chosen by recognising the crate's errors.
fn plain<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let error = res.response().error();
    let body = if error.is_some_and(|e| e.as_error::<UnauthorizedError>().is_some()) {
        "ours: unauthorized"
    } else if error.is_some_and(|e| e.as_error::<ForbiddenError>().is_some()) {
        "ours: forbidden"
    } else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, HttpResponse::build(status).body(body));
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}

#[actix_web::test]
async fn error_handlers_recognise_every_rejection() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let member = stand_in
        .session_token("user_1")
        .org("org_1", "member")
        .sign();
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/scope")
                    .wrap(clerk_actix::require_permission("org:admin:manage"))
                    .route("/x", web::get().to(HttpResponse::Ok)),
            )
            .service(
                web::resource("/resource")
                    .wrap(Require::auth())
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .service(
                web::scope("/from-fn")
                    .wrap(from_fn(require_auth))
                    .route("/x", web::get().to(HttpResponse::Ok)),
            )
            .route("/extractor", web::get().to(|_: Auth| async { "hi" }))
            .wrap(ClerkMiddleware::new(clerk))
            .wrap(
                ErrorHandlers::new()
                    .handler(StatusCode::UNAUTHORIZED, plain)
                    .handler(StatusCode::FORBIDDEN, plain),
            ),
    )
    .await;
    for uri in ["/scope/x", "/resource", "/from-fn/x", "/extractor"] {
        let res = get(&app, uri, None).await;
        assert_eq!(res.status(), 401, "{uri}");
        assert_eq!(text(res).await, "ours: unauthorized", "{uri}");
    }
    let res = get(&app, "/scope/x", Some(&member)).await;
    assert_eq!(res.status(), 403);
    assert_eq!(text(res).await, "ours: forbidden");
}

fn shaped_app_middleware(clerk: Clerk) -> ClerkMiddleware {
    ClerkMiddleware::builder(clerk)
        .on_rejection(|rejection, mut res| {
            res.json(json!({
                "status": rejection.status().as_u16(),
                "reason": rejection.reason(),
                "user": rejection.auth().and_then(|a| a.user_id()),
            }))
        })
        .build()
}

#[actix_web::test]
async fn the_rejection_hook_shapes_extractors_require_and_from_fn() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let member = stand_in
        .session_token("user_1")
        .org("org_1", "member")
        .sign();
    let app = test::init_service(
        App::new()
            .route("/extractor", web::get().to(|_: Auth| async { "hi" }))
            .route("/session", web::get().to(|_: SessionAuth| async { "hi" }))
            .service(
                web::resource("/admin")
                    .wrap(clerk_actix::require_role("org:admin"))
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .service(
                web::scope("/from-fn")
                    .wrap(from_fn(require_auth))
                    .route("/x", web::get().to(HttpResponse::Ok)),
            )
            .wrap(shaped_app_middleware(clerk)),
    )
    .await;
    for uri in ["/extractor", "/session", "/admin", "/from-fn/x"] {
        let res = get(&app, uri, Some("not-a-jwt")).await;
        assert_eq!(res.status(), 401, "{uri}");
        // The crate's headers are kept by the pre-filled builder.
        assert_eq!(
            header_of(&res, "www-authenticate").as_deref(),
            Some("Bearer error=\"invalid_token\""),
            "{uri}"
        );
        assert_eq!(
            header_of(&res, "x-clerk-auth-reason").as_deref(),
            Some("token-invalid"),
            "{uri}"
        );
        // Once, not twice: the middleware adds nothing to its own rejections.
        assert_eq!(res.headers().get_all("x-clerk-auth-status").count(), 1);
        let body: Value = serde_json::from_str(&text(res).await).unwrap();
        assert_eq!(
            body,
            json!({"status": 401, "reason": "token-invalid", "user": null})
        );
    }
    let res = get(&app, "/admin", Some(&member)).await;
    assert_eq!(res.status(), 403);
    let body: Value = serde_json::from_str(&text(res).await).unwrap();
    assert_eq!(
        body,
        json!({"status": 403, "reason": null, "user": "user_1"})
    );
}

#[actix_web::test]
async fn a_hook_that_builds_its_own_response_drops_the_crate_headers() {
    let stand_in = StandIn::start().unwrap();
    let middleware = ClerkMiddleware::builder(stand_in.clerk().unwrap())
        .on_rejection(|rejection, _| HttpResponse::build(rejection.status()).body("nope"))
        .build();
    let app = test::init_service(
        App::new()
            .route("/me", web::get().to(|_: Auth| async { "hi" }))
            .wrap(middleware),
    )
    .await;
    let res = get(&app, "/me", Some("not-a-jwt")).await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_none());
    assert!(res.headers().get("x-clerk-auth-status").is_none());
    assert_eq!(text(res).await, "nope");
}

#[actix_web::test]
async fn unauthorized_error_carries_the_signed_out_reason() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let app = test::init_service(
        App::new()
            .route(
                "/me",
                web::get().to(|auth: Result<Auth, AuthError>| async move {
                    match auth {
                        Ok(_) => "signed in".to_owned(),
                        Err(AuthError::Unauthorized(e)) => {
                            format!("{} {}", e.reason().unwrap_or("?"), e.token_presented())
                        }
                        Err(other) => format!("other: {other}"),
                    }
                }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let expired = stand_in
        .session_token("user_1")
        .expired(std::time::Duration::from_secs(60))
        .sign();
    assert_eq!(
        text(get(&app, "/me", Some(&expired)).await).await,
        "session-token-expired-refresh-non-eligible-no-refresh-cookie true"
    );
    // A development instance without the dev-browser cookie, as Clerk says.
    assert_eq!(
        text(get(&app, "/me", None).await).await,
        "dev-browser-missing false"
    );
}

#[actix_web::test]
async fn an_outage_fails_closed_only_where_auth_is_read() {
    let mut stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    stand_in.shutdown();
    let app = test::init_service(
        App::new()
            .route("/public", web::get().to(|| async { "public" }))
            .route("/me", web::get().to(|_: Auth| async { "me" }))
            .route(
                "/optional",
                web::get().to(|_: OptionalAuth| async { "optional" }),
            )
            .route(
                "/get-auth",
                web::get().to(|req: actix_web::HttpRequest| async move {
                    clerk_actix::get_auth(&req).map(|_| "read")
                }),
            )
            .service(
                web::resource("/required")
                    .wrap(Require::auth())
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .wrap(shaped_app_middleware(clerk)),
    )
    .await;
    // A route that never looks at auth is served, token or not.
    let res = get(&app, "/public", Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(text(res).await, "public");
    for uri in ["/me", "/optional", "/get-auth", "/required"] {
        let res = get(&app, uri, Some(&token)).await;
        assert_eq!(res.status(), 503, "{uri}");
        assert_eq!(
            header_of(&res, "retry-after").as_deref(),
            Some("1"),
            "{uri}"
        );
        // Through the hook, like every rejection.
        let body: Value = serde_json::from_str(&text(res).await).unwrap();
        assert_eq!(body["status"], 503, "{uri}");
        assert_eq!(body["reason"], "jwk-remote-failed-to-load", "{uri}");
    }
}

#[actix_web::test]
async fn the_handle_and_the_client_are_extractors() {
    let stand_in = StandIn::builder()
        .user(json!({"id": "user_1", "first_name": "Ada"}))
        .start()
        .unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    let app = test::init_service(
        App::new()
            .route(
                "/url",
                web::get().to(|clerk: Clerk| async move { clerk.api_url().to_owned() }),
            )
            .route(
                "/name",
                web::get().to(|session: SessionAuth, client: ClerkClient| async move {
                    let user = client.users().get(session.user_id()).await.unwrap();
                    user.first_name.unwrap_or_default()
                }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    assert_eq!(text(get(&app, "/url", None).await).await, stand_in.url());
    assert_eq!(text(get(&app, "/name", Some(&token)).await).await, "Ada");

    // Without the middleware: a 500 whose advice goes to the log.
    let bare =
        test::init_service(App::new().route("/url", web::get().to(|_: Clerk| async { "never" })))
            .await;
    assert_eq!(get(&bare, "/url", None).await.status(), 500);
}

#[actix_web::test]
async fn session_auth_reads_without_options() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").session_id("sess_9").sign();
    let app = test::init_service(
        App::new()
            .route(
                "/me",
                web::get().to(|s: SessionAuth| async move {
                    format!(
                        "{} {} {}",
                        s.user_id(),
                        s.session_id(),
                        s.claims().user_id()
                    )
                }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    assert_eq!(
        text(get(&app, "/me", Some(&token)).await).await,
        "user_1 sess_9 user_1"
    );
    assert_eq!(get(&app, "/me", None).await.status(), 401);
}

#[actix_web::test]
async fn guards_and_option_auth_without_the_middleware_say_how_to_fix_it() {
    crate::logs::install();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/guarded")
                    .guard(guard::authenticated())
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .route(
                "/option",
                web::get().to(|auth: Option<Auth>| async move { format!("{}", auth.is_some()) }),
            ),
    )
    .await;
    assert_eq!(get(&app, "/guarded", None).await.status(), 404);
    assert_eq!(text(get(&app, "/option", None).await).await, "false");
    let warned = crate::logs::lines_with("ClerkMiddleware did not authenticate");
    assert!(
        warned.iter().any(|l| l.starts_with("WARN")),
        "a one-time warning names the fix: {warned:?}"
    );
}

#[actix_web::test]
async fn config_errors_debug_like_display_and_catch_swapped_keys() {
    let missing = Clerk::builder().build().unwrap_err();
    assert_eq!(format!("{missing:?}"), missing.to_string());
    assert!(format!("{missing:?}").contains("CLERK_SECRET_KEY"));

    let pk_as_secret = Clerk::builder()
        .secret_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
        .build()
        .unwrap_err();
    assert!(
        pk_as_secret.to_string().contains("publishable key"),
        "{pk_as_secret}"
    );
    let sk_as_publishable = Clerk::builder()
        .secret_key("sk_test_x")
        .publishable_key("sk_test_x")
        .build()
        .unwrap_err();
    assert!(
        sk_as_publishable.to_string().contains("secret key"),
        "{sk_as_publishable}"
    );
}

/// During an outage `on_authenticated` does not run: a route that handles
/// `AuthError::Unavailable` itself is served as without the hook.
#[actix_web::test]
async fn on_authenticated_does_not_turn_an_outage_into_503s() {
    let mut stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    stand_in.shutdown();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let middleware = ClerkMiddleware::builder(clerk)
        .on_authenticated(move |_, _| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
        .build();
    let app = test::init_service(
        App::new()
            .route(
                "/tolerant",
                web::get().to(|auth: Result<OptionalAuth, AuthError>| async move {
                    match auth {
                        Err(AuthError::Unavailable(_)) => "degraded",
                        _ => "normal",
                    }
                }),
            )
            .route("/me", web::get().to(|_: Auth| async { "me" }))
            .wrap(middleware),
    )
    .await;
    let res = get(&app, "/tolerant", Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(text(res).await, "degraded");
    assert_eq!(get(&app, "/me", Some(&token)).await.status(), 503);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// The `ClerkClient` extractor hands out the client given to the
/// middleware: a hanging Backend API holds the request no longer than its
/// timeout, with no retry.
#[actix_web::test]
async fn the_client_extractor_is_the_middlewares_client() {
    use clerk_actix::testing::Fault;
    let stand_in = StandIn::builder()
        .user(json!({"id": "user_1", "first_name": "Ada"}))
        .start()
        .unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    let client = ClerkClient::builder(clerk.clone())
        .timeout(std::time::Duration::from_millis(300))
        .max_attempts(1)
        .build();
    let app = test::init_service(
        App::new()
            .route(
                "/name",
                web::get().to(|session: SessionAuth, client: ClerkClient| async move {
                    match client.users().get(session.user_id()).await {
                        Ok(user) => user.first_name.unwrap_or_default(),
                        Err(err) => format!("error: {}", err.status().is_none()),
                    }
                }),
            )
            .wrap(ClerkMiddleware::builder(clerk).client(client).build()),
    )
    .await;
    // Warm the keys, then make the users endpoint hang for 2 s, twice.
    assert_eq!(text(get(&app, "/name", Some(&token)).await).await, "Ada");
    stand_in.inject(
        Fault::delay(std::time::Duration::from_secs(2))
            .on_path("/v1/users")
            .times(2),
    );
    let res = get(&app, "/name", Some(&token)).await;
    assert_eq!(text(res).await, "error: true");
    // One attempt only: the second delayed answer is still unused.
    assert_eq!(stand_in.count("/v1/users/user_1"), 2);
}

/// The rejection hook sees the request (to answer pages and APIs
/// differently) and, on a 403, what was required.
#[actix_web::test]
async fn the_rejection_hook_negotiates_and_names_what_was_required() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let member = stand_in
        .session_token("user_1")
        .org("org_1", "org:member")
        .sign();
    let middleware = ClerkMiddleware::builder(clerk)
        .on_rejection(|rejection, mut res| {
            let html = rejection.request().is_some_and(|r| r.accepts_html());
            let path = rejection.request().map(|r| r.path().to_owned());
            let required = rejection.required().map(|has| format!("{has:?}"));
            if html {
                res.content_type("text/html")
                    .body(format!("<p>{path:?}</p>"))
            } else {
                res.json(json!({"path": path, "required": required}))
            }
        })
        .build();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/reports")
                    .wrap(clerk_actix::require_permission("org:reports:read"))
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .wrap(middleware),
    )
    .await;
    let res = get(&app, "/reports", Some(&member)).await;
    assert_eq!(res.status(), 403);
    let body: Value = serde_json::from_str(&text(res).await).unwrap();
    assert_eq!(body["path"], "/reports");
    assert!(
        body["required"]
            .as_str()
            .is_some_and(|r| r.contains("org:reports:read")),
        "{body}"
    );
    let page = test::TestRequest::get()
        .uri("/reports")
        .insert_header(("accept", "text/html,application/xhtml+xml"))
        // Not a navigation (those go through the handshake first).
        .insert_header(("sec-fetch-dest", "empty"))
        .to_request();
    let res = test::call_service(&app, page).await;
    assert_eq!(res.status(), 401);
    assert_eq!(text(res).await, "<p>Some(\"/reports\")</p>");
}
