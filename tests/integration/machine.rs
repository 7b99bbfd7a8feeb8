//! Machine tokens: the verify endpoints' wire format, Clerk's vectors, the
//! `acceptsToken` matrix through the extractors, and the opaque-token cache.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{test, web, App, HttpRequest, HttpResponse};
use clerk_actix::clock::Clock;
use clerk_actix::machine::{AcceptsToken, ApiKeyAuth, M2mAuth, MachineAuth, OAuthAuth, TokenType};
use clerk_actix::testing::{Fault, StandIn};
use clerk_actix::{
    get_auth_with, guard, Auth, ClerkMiddleware, Has, Reason, Require, VerifyOptions,
};
use serde_json::{json, Value};

use crate::fixtures::{self, FROZEN_MS};
use crate::oracle::{accepts_of, seed_machine_tokens};

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
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    test::call_service(app, req.to_request()).await
}

fn mock_tokens() -> Value {
    fixtures::json("machine-tokens.json")
}

/// A stand-in with Clerk's test key and the recorded machine tokens.
fn recorded_stand_in() -> StandIn {
    let stand_in = StandIn::builder()
        .issuer(fixtures::clerk_test_issuer())
        .secret_key("sk_test_deadbeef")
        .start()
        .unwrap();
    seed_machine_tokens(&stand_in);
    stand_in
}

#[actix_web::test]
async fn each_verify_endpoint_is_called_in_clerks_wire_format() {
    let stand_in = recorded_stand_in();
    let tokens = mock_tokens()["mockTokens"].clone();
    let cases = [
        (
            "api_key",
            "/api_keys/verify",
            "secret",
            "Bearer sk_test_deadbeef",
        ),
        (
            "m2m_token",
            "/m2m_tokens/verify",
            "token",
            "Bearer ak_machine_secret",
        ),
        (
            "oauth_token",
            "/oauth_applications/access_tokens/verify",
            "access_token",
            "Bearer sk_test_deadbeef",
        ),
    ];
    let clerk = stand_in
        .clerk_builder()
        .machine_secret_key("ak_machine_secret")
        .clock(Clock::fixed_millis(FROZEN_MS))
        .build()
        .unwrap();
    for (kind, path, field, authorization) in cases {
        stand_in.clear_requests();
        let token = tokens[kind].as_str().unwrap();
        clerk.verify_machine_token(token).await.expect(kind);
        let sent = stand_in.requests();
        assert_eq!(sent.len(), 1, "{kind}");
        let request = &sent[0];
        assert_eq!((request.method(), request.path()), ("POST", path), "{kind}");
        assert_eq!(request.json(), Some(json!({ field: token })), "{kind}");
        assert_eq!(
            request.header("authorization"),
            Some(authorization),
            "{kind}"
        );
        assert_eq!(
            request.header("clerk-api-version"),
            Some("2026-05-12"),
            "{kind}"
        );
        assert_eq!(
            request.header("content-type"),
            Some("application/json"),
            "{kind}"
        );
    }
    // Without a machine secret key, M2M tokens are verified with the secret key.
    let plain = stand_in.clerk_builder().build().unwrap();
    stand_in.clear_requests();
    plain
        .verify_machine_token(tokens["m2m_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        stand_in.requests()[0].header("authorization"),
        Some("Bearer sk_test_deadbeef")
    );
}

#[actix_web::test]
async fn verified_tokens_carry_clerks_mock_verification_results() {
    let stand_in = recorded_stand_in();
    let clerk = stand_in.clerk().unwrap();
    let vectors = mock_tokens();
    let mut agree = 0;
    for kind in ["api_key", "m2m_token", "oauth_token"] {
        let expected = &vectors["mockVerificationResults"][kind];
        let token = clerk
            .verify_machine_token(vectors["mockTokens"][kind].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(token.token_type().as_str(), kind);
        assert_eq!(token.id(), expected["id"], "{kind}");
        assert_eq!(token.subject(), expected["subject"], "{kind}");
        assert_eq!(json!(token.scopes()), expected["scopes"], "{kind}");
        assert_eq!(token.claims(), expected.get("claims"), "{kind}");
        assert_eq!(token.expiration(), None, "{kind}");
        if kind == "api_key" {
            assert_eq!(token.name(), expected["name"].as_str());
            assert_eq!(token.user_id(), expected["subject"].as_str());
            assert_eq!(token.org_id(), None);
        }
        if kind == "oauth_token" {
            assert_eq!(token.client_id(), expected["clientId"].as_str());
            assert_eq!(token.user_id(), expected["subject"].as_str());
        }
        if kind == "m2m_token" {
            assert_eq!(token.machine_id(), expected["subject"].as_str());
        }
        agree += 1;
    }
    assert_eq!(agree, 3);
}

#[actix_web::test]
async fn backend_errors_map_to_clerks_machine_codes() {
    let stand_in = StandIn::start().unwrap();
    let shapes = fixtures::json("machine-verify-responses.bapi-shape.json");
    let clerk = stand_in
        .clerk_builder()
        .machine_token_cache_ttl(Duration::ZERO)
        .build()
        .unwrap();
    let endpoints = [
        ("ak_x", "/api_keys/verify", "API key not found"),
        ("mt_x", "/m2m_tokens/verify", "Machine token not found"),
        (
            "oat_x",
            "/oauth_applications/access_tokens/verify",
            "OAuth token not found",
        ),
    ];
    let mut checked = 0;
    for (token, path, not_found) in endpoints {
        for (case, status) in [
            ("error 404 (any of the three)", 404),
            ("error 401", 401),
            ("error 500", 500),
        ] {
            let expected = &shapes[case];
            stand_in.with_store(|s| {
                s.clear_canned();
                s.canned("POST", path, status, json!({}));
            });
            let err = clerk.verify_machine_token(token).await.unwrap_err();
            assert_eq!(
                err.reason().as_str(),
                expected["expected_reason"],
                "{path} {status}"
            );
            assert_eq!(err.status(), Some(status));
            let message = expected["expected_message"].as_str().unwrap().replace(
                "<API key not found | Machine token not found | OAuth token not found>",
                not_found,
            );
            assert_eq!(
                format!("{} (code={}, status={status})", err.message(), err.reason()),
                message
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
    // The 401 message is the Backend API's own when it gives one.
    stand_in.with_store(|s| s.clear_canned());
    let wrong = stand_in
        .clerk_builder()
        .secret_key("sk_test_wrong")
        .build()
        .unwrap();
    let err = wrong.verify_machine_token("ak_x").await.unwrap_err();
    assert_eq!(err.reason(), Reason::SecretKeyInvalid);
    assert!(
        err.message()
            .starts_with("The provided Clerk Secret Key is invalid"),
        "{err}"
    );
}

#[actix_web::test]
async fn oauth_jwt_vectors_verify_as_oauth_tokens() {
    let clerk = fixtures::networkless_clerk(FROZEN_MS);
    let payloads = fixtures::json("payloads.json");
    let expected = &payloads["mockOAuthAccessTokenJwtPayload"];
    for file in [
        "oauth-access-token.typ-at-jwt.jwt",
        "oauth-access-token.typ-application-at-jwt.jwt",
    ] {
        let token = clerk
            .verify_machine_token(&fixtures::token(file))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(token.token_type(), TokenType::OAuthToken);
        assert_eq!(token.id(), expected["jti"]);
        assert_eq!(token.client_id(), expected["client_id"].as_str());
        assert_eq!(token.subject(), expected["sub"]);
        assert_eq!(token.scopes(), ["read:foo", "write:bar"]);
        assert_eq!(token.expiration(), Some(1_666_648_550_000));
        assert_eq!(token.created_at(), Some(1_666_648_250_000));
    }
    // `verify_token` (session rules) refuses them: their `typ` is not JWT.
    let err = clerk
        .verify_token(&fixtures::token("oauth-access-token.typ-at-jwt.jwt"))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalid);
    // And an expired one is `token-verification-failed`, Clerk's machine code.
    let late = fixtures::networkless_clerk(1_666_648_550_000 + 5_000);
    let err = late
        .verify_machine_token(&fixtures::token("oauth-access-token.typ-at-jwt.jwt"))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    assert!(err.message().starts_with("JWT is expired."), "{err}");
}

#[actix_web::test]
async fn m2m_jwt_rules_of_3_25_0() {
    let stand_in = StandIn::start().unwrap();
    let issuer = stand_in.issuer();
    // Session options never reject a machine JWT: only audience and skew apply.
    let clerk = stand_in
        .clerk_builder()
        .verify_options(
            clerk_actix::VerifyOptions::default().issuer(["https://elsewhere.example.com"]),
        )
        .authorized_parties(["https://app.example.com"])
        .build()
        .unwrap();
    let token = issuer.m2m_jwt("mch_worker").scopes(["mch_api"]).sign();
    let verified = clerk.verify_machine_token(&token).await.unwrap();
    assert_eq!(verified.machine_id(), Some("mch_worker"));
    assert!(verified.id().starts_with("mt_"));
    assert_eq!(
        verified.claims(),
        Some(&json!({"aud": ["mch_api"], "scopes": "mch_api"}))
    );
    // No `cat` (the rollout window) is accepted.
    let no_cat = issuer.m2m_jwt("mch_worker").without_header("cat").sign();
    assert!(clerk.verify_machine_token(&no_cat).await.is_ok());
    // Any other category is refused before a key is fetched.
    let fresh = stand_in.clerk().unwrap();
    stand_in.clear_requests();
    for cat in ["cl_B7d4PD111AAA", "cl_B7d4PD222AAA", "cl_unknown"] {
        let token = issuer.m2m_jwt("mch_worker").header("cat", cat).sign();
        let err = fresh.verify_machine_token(&token).await.unwrap_err();
        assert_eq!(
            (err.reason(), err.message()),
            (Reason::TokenInvalid, "Invalid M2M JWT category."),
            "{cat}"
        );
    }
    assert_eq!(stand_in.count("/v1/jwks"), 0);
    // `alg: none` and expiry are `token-verification-failed`.
    let none = issuer.m2m_jwt("mch_worker").header("alg", "none").sign();
    let err = clerk.verify_machine_token(&none).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    assert!(err.message().starts_with("Invalid JWT algorithm"), "{err}");
    let expired = issuer
        .m2m_jwt("mch_worker")
        .expired(Duration::from_secs(60))
        .sign();
    let err = clerk.verify_machine_token(&expired).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    // The audience applies (the M2M `aud` lists the machines it may call).
    let strict = stand_in
        .clerk_builder()
        .verify_options(clerk_actix::VerifyOptions::default().audience(["mch_other"]))
        .build()
        .unwrap();
    let err = strict.verify_machine_token(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    // A session JWT is no machine token.
    let session = stand_in.session_token("user_1").sign();
    let err = clerk.verify_machine_token(&session).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    assert!(err.message().starts_with("Invalid JWT type: JWT."), "{err}");
}

#[actix_web::test]
async fn oauth_audience_is_checked_when_configured() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .verify_options(clerk_actix::VerifyOptions::default().audience(["https://api.example.com"]))
        .build()
        .unwrap();
    let jwt = |aud: &[&str]| {
        stand_in
            .issuer()
            .oauth_jwt("user_1", "client_1")
            .audience(aud.iter().copied())
            .sign()
    };
    assert!(clerk
        .verify_machine_token(&jwt(&["https://api.example.com"]))
        .await
        .is_ok());
    let err = clerk
        .verify_machine_token(&jwt(&["https://other.example.com"]))
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::TokenVerificationFailed);
    // Opaque: the `aud` the Backend API returns must name it too.
    let without = stand_in.oauth_token("user_1", ["email"]);
    let err = clerk.verify_machine_token(&without).await.unwrap_err();
    assert!(
        err.message().starts_with("OAuth audience mismatch"),
        "{err}"
    );
    let with = stand_in.with_store(|s| {
        s.issue_oauth_token(json!({"subject": "user_1", "aud": ["https://api.example.com"]}))
    });
    assert!(clerk.verify_machine_token(&with).await.is_ok());
}

/// Every kind of token, and what each extractor says of it.
#[actix_web::test]
async fn accepts_token_matrix_through_the_extractors() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    async fn json_of(req: HttpRequest, accepts: AcceptsToken) -> HttpResponse {
        let auth = get_auth_with(&req, accepts).unwrap();
        let status = if auth.is_authenticated() { 200 } else { 401 };
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(&auth)
    }
    let app = test::init_service(
        App::new()
            .route(
                "/session",
                web::get().to(|auth: Auth| async move { HttpResponse::Ok().json(&auth) }),
            )
            .route(
                "/api_key",
                web::get().to(|a: ApiKeyAuth| async move { HttpResponse::Ok().json(&a) }),
            )
            .route(
                "/m2m",
                web::get().to(|a: M2mAuth| async move { HttpResponse::Ok().json(&a) }),
            )
            .route(
                "/oauth",
                web::get().to(|a: OAuthAuth| async move { HttpResponse::Ok().json(&a) }),
            )
            .route(
                "/machine",
                web::get().to(|a: MachineAuth| async move { HttpResponse::Ok().json(&a) }),
            )
            .route(
                "/any",
                web::get().to(|r: HttpRequest| json_of(r, AcceptsToken::Any)),
            )
            .route(
                "/integrations",
                web::get().to(|r: HttpRequest| {
                    json_of(
                        r,
                        AcceptsToken::list([TokenType::ApiKey, TokenType::OAuthToken]),
                    )
                }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let issuer = stand_in.issuer();
    let tokens: Vec<(&str, Option<String>)> = vec![
        ("none", None),
        ("session", Some(stand_in.session_token("user_1").sign())),
        ("api_key", Some(stand_in.api_key("user_1", ["read"]))),
        ("m2m", Some(stand_in.m2m_token("mch_worker", ["mch_api"]))),
        ("m2m_jwt", Some(issuer.m2m_jwt("mch_worker").sign())),
        ("oauth", Some(stand_in.oauth_token("user_1", ["email"]))),
        (
            "oauth_jwt",
            Some(issuer.oauth_jwt("user_1", "client_1").sign()),
        ),
        (
            "template",
            Some(
                stand_in
                    .session_token("user_1")
                    .header("cat", "cl_B7d4PD222AAA")
                    .sign(),
            ),
        ),
    ];
    let kind_of = |name: &str| match name {
        "session" => Some(TokenType::SessionToken),
        "api_key" => Some(TokenType::ApiKey),
        "m2m" | "m2m_jwt" => Some(TokenType::M2mToken),
        "oauth" | "oauth_jwt" => Some(TokenType::OAuthToken),
        _ => None,
    };
    let routes: [(&str, AcceptsToken); 7] = [
        ("/session", AcceptsToken::SESSION_TOKEN),
        ("/api_key", TokenType::ApiKey.into()),
        ("/m2m", TokenType::M2mToken.into()),
        ("/oauth", TokenType::OAuthToken.into()),
        ("/machine", AcceptsToken::MACHINE),
        ("/any", AcceptsToken::Any),
        (
            "/integrations",
            AcceptsToken::list([TokenType::ApiKey, TokenType::OAuthToken]),
        ),
    ];
    let mut cells = 0;
    for (name, token) in &tokens {
        for (route, accepts) in &routes {
            let res = get(&app, route, token.as_deref()).await;
            let accepted = kind_of(name).is_some_and(|kind| accepts.accepts(kind));
            assert_eq!(
                res.status() == 200,
                accepted,
                "{name} on {route}: {}",
                res.status()
            );
            if accepted {
                let body: Value = test::read_body_json(res).await;
                assert_eq!(body["isAuthenticated"], true, "{name} on {route}");
                assert_eq!(
                    body["tokenType"],
                    kind_of(name).unwrap().as_str(),
                    "{name} on {route}"
                );
            } else if *route == "/any" || *route == "/integrations" {
                // Clerk's unauthenticated objects: the kind the token was
                // taken for ("any"), or `tokenType: null` (a list).
                let body: Value = test::read_body_json(res).await;
                assert_eq!(body["isAuthenticated"], false, "{name} on {route}");
                if *route == "/integrations" {
                    assert_eq!(body, json!({"isAuthenticated": false, "tokenType": null}));
                }
            } else {
                assert_eq!(res.status(), 401, "{name} on {route}");
            }
            cells += 1;
        }
    }
    assert_eq!(cells, 8 * 7);
}

/// §4.4 as the middleware's own `accepts_token` (authenticateRequest's
/// `acceptsToken`): reasons and token types on the debug headers.
#[actix_web::test]
async fn middleware_accepts_token_follows_the_dispatch_table() {
    let stand_in = StandIn::start().unwrap();
    let key = stand_in.api_key("user_1", ["read"]);
    let session = stand_in.session_token("user_1").sign();
    let oauth_jwt = stand_in.issuer().oauth_jwt("user_1", "client_1").sign();
    // (what the middleware accepts, header token, debug reason, tokenType)
    type Case<'a> = (AcceptsToken, Option<&'a str>, Option<&'a str>, Value);
    let cases: Vec<Case<'_>> = vec![
        // Session only: a machine JWT is a type mismatch, an opaque token not a JWT.
        (
            AcceptsToken::SESSION_TOKEN,
            Some(&oauth_jwt),
            Some("token-type-mismatch"),
            json!("session_token"),
        ),
        (
            AcceptsToken::SESSION_TOKEN,
            Some(&key),
            Some("token-invalid"),
            json!("session_token"),
        ),
        // One machine kind.
        (TokenType::ApiKey.into(), Some(&key), None, json!("api_key")),
        (
            TokenType::ApiKey.into(),
            Some(&session),
            Some("token-type-mismatch"),
            json!("api_key"),
        ),
        (
            TokenType::ApiKey.into(),
            None,
            Some("No token in header"),
            json!("api_key"),
        ),
        (
            TokenType::OAuthToken.into(),
            Some(&key),
            Some("token-type-mismatch"),
            json!("oauth_token"),
        ),
        // A list.
        (
            AcceptsToken::list([TokenType::OAuthToken]),
            Some(&key),
            Some("token-type-mismatch"),
            Value::Null,
        ),
        (
            AcceptsToken::list([TokenType::ApiKey]),
            None,
            Some("token-type-mismatch"),
            Value::Null,
        ),
        (
            AcceptsToken::list([TokenType::ApiKey, TokenType::SessionToken]),
            Some(&session),
            None,
            json!("session_token"),
        ),
        // Any.
        (
            AcceptsToken::Any,
            Some(&oauth_jwt),
            None,
            json!("oauth_token"),
        ),
    ];
    for (accepts, token, reason, token_type) in cases {
        let clerk = stand_in.clerk().unwrap();
        let app = test::init_service(
            App::new()
                .default_service(web::to(|req: HttpRequest| async move {
                    HttpResponse::Ok().json(get_auth_with(&req, AcceptsToken::Any).unwrap())
                }))
                .wrap(
                    ClerkMiddleware::builder(clerk)
                        .accepts_token(accepts)
                        .build(),
                ),
        )
        .await;
        stand_in.clear_requests();
        let res = get(&app, "/", token).await;
        assert_eq!(res.status(), 200, "{accepts:?} {token:?}");
        assert_eq!(
            header(&res, "x-clerk-auth-reason"),
            reason,
            "{accepts:?} {token:?}"
        );
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body["tokenType"], token_type, "{accepts:?} {token:?}");
        if reason == Some("token-type-mismatch") || reason == Some("token-invalid") {
            // Refused by kind: the Backend API was never asked.
            assert_eq!(stand_in.count("/api_keys/verify"), 0, "{accepts:?}");
        }
    }
}

#[actix_web::test]
async fn session_routes_refuse_machine_tokens() {
    let stand_in = StandIn::start().unwrap();
    let app = test::init_service(
        App::new()
            .route(
                "/me",
                web::get().to(|auth: Auth| async move { HttpResponse::Ok().json(&auth) }),
            )
            .service(
                web::resource("/protected")
                    .wrap(Require::auth())
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .wrap(ClerkMiddleware::new(stand_in.clerk().unwrap())),
    )
    .await;
    for token in [
        stand_in.api_key("user_1", ["read"]),
        stand_in.oauth_token("user_1", ["email"]),
        stand_in
            .session_token("user_1")
            .header("typ", "at+jwt")
            .sign(),
        stand_in.issuer().m2m_jwt("mch_1").sign(),
    ] {
        for route in ["/me", "/protected"] {
            let res = get(&app, route, Some(&token)).await;
            assert_eq!(res.status(), 401, "{route}");
            assert_eq!(
                header(&res, "www-authenticate"),
                Some("Bearer error=\"invalid_token\"")
            );
        }
    }
}

#[actix_web::test]
async fn require_guards_and_has_scope_on_machine_tokens() {
    let stand_in = StandIn::start().unwrap();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/reports")
                    .wrap(Require::scope("read:reports").accepts_token(TokenType::ApiKey))
                    .route(web::get().to(HttpResponse::Ok)),
            )
            .service(
                web::resource("/keys")
                    .wrap(Require::auth().accepts_token(TokenType::ApiKey))
                    .route(web::get().to(|r: HttpRequest| async move {
                        let auth = get_auth_with(&r, TokenType::ApiKey).unwrap();
                        // `has()` is false for machine tokens, as in Clerk.
                        assert!(!auth.has(Has::role("org:admin")));
                        HttpResponse::Ok().body(auth.user_id().unwrap_or_default().to_owned())
                    })),
            )
            .service(
                web::resource("/guarded")
                    .route(
                        web::get()
                            .guard(guard::scope("write"))
                            .to(|| async { "writer" }),
                    )
                    .route(
                        web::get()
                            .guard(guard::authenticated().accepts_token(AcceptsToken::MACHINE))
                            .to(|| async { "machine" }),
                    )
                    .route(web::get().to(|| async { "anyone" })),
            )
            .wrap(ClerkMiddleware::new(stand_in.clerk().unwrap())),
    )
    .await;
    let reader = stand_in.api_key("user_1", ["read:reports"]);
    let writer = stand_in.api_key("org_1", ["write"]);
    let session = stand_in.session_token("user_1").sign();
    assert_eq!(get(&app, "/reports", Some(&reader)).await.status(), 200);
    assert_eq!(get(&app, "/reports", Some(&writer)).await.status(), 403);
    assert_eq!(get(&app, "/reports", Some(&session)).await.status(), 401);
    assert_eq!(get(&app, "/reports", None).await.status(), 401);
    let res = get(&app, "/keys", Some(&reader)).await;
    assert_eq!(test::read_body(res).await, "user_1");
    assert_eq!(get(&app, "/keys", Some(&session)).await.status(), 401);
    for (token, expected) in [
        (Some(&writer), "writer"),
        (Some(&reader), "machine"),
        (Some(&session), "anyone"),
        (None, "anyone"),
    ] {
        let res = get(&app, "/guarded", token.map(String::as_str)).await;
        assert_eq!(test::read_body(res).await, expected);
    }
}

/// The Express oracle: `getAuth(req)`, `{acceptsToken: 'any'}`, `'api_key'`
/// and `['api_key', 'm2m_token']` on requests with a header token.
#[actix_web::test]
async fn express_get_auth_views_agree() {
    let oracle = fixtures::json("oracle.express-2.1.70.json");
    let now = oracle["now_ms"].as_i64().unwrap_or(FROZEN_MS);
    let stand_in = recorded_stand_in();
    let clerk = stand_in
        .clerk_builder()
        .clock(Clock::fixed_millis(now))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .default_service(web::to(|req: HttpRequest| async move {
                let view = |accepts: AcceptsToken| {
                    let mut value =
                        serde_json::to_value(get_auth_with(&req, accepts).unwrap()).unwrap();
                    // The recording dropped `sessionClaims`.
                    value.as_object_mut().map(|o| o.remove("sessionClaims"));
                    value
                };
                HttpResponse::Ok().json(json!({
                    "getAuth": view(AcceptsToken::SESSION_TOKEN),
                    "any": view(AcceptsToken::Any),
                    "api_key": view(TokenType::ApiKey.into()),
                    "arr": view(accepts_of(&json!(["api_key", "m2m_token"]))),
                }))
            }))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let mut agree = 0;
    let mut total = 0;
    for case in oracle["cases"].as_array().unwrap() {
        let headers = &case["request"]["headers"];
        let Some(authorization) = headers["authorization"].as_str() else {
            continue; // the cookie path is another issue's
        };
        total += 1;
        let mut req = test::TestRequest::get()
            .uri("/path?x=1")
            .insert_header((header::AUTHORIZATION, authorization));
        if let Some(dest) = headers["sec-fetch-dest"].as_str() {
            req = req.insert_header(("sec-fetch-dest", dest));
        }
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(
            res.status(),
            case["response"]["status"].as_u64().unwrap_or(0) as u16
        );
        let body: Value = test::read_body_json(res).await;
        assert_eq!(body, case["response"]["body"], "{}", case["name"]);
        agree += 1;
    }
    assert_eq!((agree, total), (6, 6));
}

fn counting_clock() -> (Clock, Arc<AtomicI64>) {
    let start = Clock::system().now_millis();
    let now = Arc::new(AtomicI64::new(start));
    let read = now.clone();
    (Clock::from_fn(move || read.load(Ordering::SeqCst)), now)
}

#[actix_web::test]
async fn cache_hits_expire_and_never_outlive_the_token() {
    let stand_in = StandIn::start().unwrap();
    let (clock, now) = counting_clock();
    let clerk = stand_in.clerk_builder().clock(clock).build().unwrap();
    let key = stand_in.api_key("user_1", ["read"]);
    for _ in 0..3 {
        clerk.verify_machine_token(&key).await.unwrap();
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 1, "hits");
    // Revoked at Clerk: still valid here until the TTL (30 s) runs out.
    assert!(stand_in.revoke(&key));
    now.fetch_add(29_000, Ordering::SeqCst);
    assert!(clerk.verify_machine_token(&key).await.is_ok());
    now.fetch_add(1_000, Ordering::SeqCst);
    let err = clerk.verify_machine_token(&key).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalid);
    assert_eq!(stand_in.count("/api_keys/verify"), 2);
    // Clerk's "no" is remembered briefly (the negative TTL, 5 s), then
    // asked again.
    assert!(clerk.verify_machine_token(&key).await.is_err());
    assert_eq!(stand_in.count("/api_keys/verify"), 2);
    now.fetch_add(5_000, Ordering::SeqCst);
    assert!(clerk.verify_machine_token(&key).await.is_err());
    assert_eq!(stand_in.count("/api_keys/verify"), 3);
    // A token that expires before the TTL is kept only until then.
    let expiring = stand_in.with_store(|s| {
        s.issue_api_key(
            json!({"subject": "user_1", "expiration": now.load(Ordering::SeqCst) + 5_000}),
        )
    });
    stand_in.clear_requests();
    clerk.verify_machine_token(&expiring).await.unwrap();
    now.fetch_add(4_000, Ordering::SeqCst);
    clerk.verify_machine_token(&expiring).await.unwrap();
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    now.fetch_add(1_000, Ordering::SeqCst);
    clerk.verify_machine_token(&expiring).await.unwrap();
    assert_eq!(stand_in.count("/api_keys/verify"), 2);
}

#[actix_web::test]
async fn cache_ttl_zero_disables_it() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .machine_token_cache_ttl(Duration::ZERO)
        .build()
        .unwrap();
    let key = stand_in.api_key("user_1", ["read"]);
    clerk.verify_machine_token(&key).await.unwrap();
    clerk.verify_machine_token(&key).await.unwrap();
    assert_eq!(stand_in.count("/api_keys/verify"), 2);
}

#[actix_web::test]
async fn one_hundred_first_requests_with_one_new_key_make_one_call() {
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::delay(Duration::from_millis(200)).on_path("/api_keys/verify"));
    let app = test::init_service(
        App::new()
            .route(
                "/",
                web::get().to(|key: ApiKeyAuth| async move { key.id().to_owned() }),
            )
            .wrap(ClerkMiddleware::new(stand_in.clerk().unwrap())),
    )
    .await;
    let key = stand_in.api_key("user_1", ["read"]);
    let requests = (0..100).map(|_| get(&app, "/", Some(&key)));
    let responses = futures_util::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    assert_eq!(stand_in.count("/api_keys/verify"), 1);

    // Failures in flight are shared too: an unknown key costs one call.
    stand_in.clear_requests();
    let requests = (0..20).map(|_| get(&app, "/", Some("ak_unknown")));
    let responses = futures_util::future::join_all(requests).await;
    assert!(responses.iter().all(|r| r.status() == 401));
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
}

#[actix_web::test]
async fn backend_api_outage_answers_503_not_401() {
    let mut stand_in = StandIn::start().unwrap();
    let app = test::init_service(
        App::new()
            .route(
                "/",
                web::get().to(|key: ApiKeyAuth| async move { key.id().to_owned() }),
            )
            .wrap(ClerkMiddleware::new(stand_in.clerk().unwrap())),
    )
    .await;
    let key = stand_in.api_key("user_1", ["read"]);
    stand_in.inject(Fault::status(502).on_path("/api_keys/verify").times(1));
    let res = get(&app, "/", Some(&key)).await;
    assert_eq!(res.status(), 503);
    assert_eq!(header(&res, "retry-after"), Some("1"));
    assert_eq!(header(&res, "x-clerk-auth-status"), None);
    // A 429 is an outage too; another 4xx signs out with `unexpected-error`.
    stand_in.inject(Fault::status(429).on_path("/api_keys/verify").times(1));
    assert_eq!(get(&app, "/", Some(&key)).await.status(), 503);
    stand_in.inject(Fault::status(422).on_path("/api_keys/verify").times(1));
    let res = get(&app, "/", Some(&key)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        header(&res, "x-clerk-auth-reason"),
        Some("unexpected-error")
    );
    assert_eq!(
        header(&res, "x-clerk-auth-message"),
        Some("Unexpected error (code=unexpected-error, status=422)")
    );
    // Recovered: verified and cached.
    assert_eq!(get(&app, "/", Some(&key)).await.status(), 200);
    // Cached keys keep working through an outage; new ones get a 503.
    stand_in.shutdown();
    assert_eq!(get(&app, "/", Some(&key)).await.status(), 200);
    assert_eq!(get(&app, "/", Some("ak_new")).await.status(), 503);
}

#[actix_web::test]
async fn machine_auth_objects_serialise_with_clerks_keys() {
    let stand_in = recorded_stand_in();
    let clerk = stand_in.clerk().unwrap();
    let oracle = fixtures::oracle();
    let case = |name: &str| {
        oracle["cases"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == name))
            .map(|c| c["result"]["toAuth"][0]["authObject"].clone())
            .unwrap()
    };
    let key = clerk
        .verify_machine_token(mock_tokens()["mockTokens"]["api_key"].as_str().unwrap())
        .await
        .unwrap();
    let auth = Auth::from_machine_token(key);
    assert_eq!(
        serde_json::to_value(&auth).unwrap(),
        case("machine: api key, acceptsToken any")
    );
    assert!(!auth.has(Has::permission("org:x:y")));
    assert!(auth.has_scope("read:foo") && !auth.has_scope("read"));
    assert_eq!(
        serde_json::to_value(Auth::signed_out().accepting(TokenType::M2mToken)).unwrap(),
        case("machine: session JWT where m2m_token expected")
    );
    assert_eq!(
        serde_json::to_value(Auth::signed_out().accepting(TokenType::OAuthToken)).unwrap(),
        case("machine: api key where oauth_token expected")
    );
    let _ = VerifyOptions::default();
}
