//! No token, secret key, machine secret or webhook secret reaches a log line
//! or a `Debug` output, on any failure path.
//!
//! The capturing logger keeps every line of every level from the whole test
//! binary; the secrets here are random, so the check covers every line any
//! test logged up to that point, not only this test's.

use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{test, web, App, HttpResponse};
use clerk_actix::machine::{ApiKeyAuth, M2mAuth, OAuthAuth};
use clerk_actix::testing::{Fault, StandIn, TestIssuer, WebhookSigner};
use clerk_actix::webhooks::{Webhook, WebhookEvent, WebhookVerifier};
use clerk_actix::{Auth, Clerk, ClerkMiddleware};

use crate::logs;

/// What must never show.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, secret: impl Into<String>) {
        let secret = secret.into();
        assert!(secret.len() >= 16, "{what}: too short to look for");
        self.0.push((what.to_owned(), secret));
    }

    /// A token, and its signature on its own (what makes it usable).
    fn token(&mut self, what: &str, token: &str) {
        self.add(what, token);
        if let Some(signature) = token.rsplit('.').next().filter(|s| s.len() >= 16) {
            self.add(&format!("{what} (signature)"), signature);
        }
    }

    fn assert_absent(&self, place: &str, text: &str) {
        for (what, secret) in &self.0 {
            assert!(
                !text.contains(secret.as_str()),
                "{what} appears in {place}: {text}"
            );
        }
    }
}

async fn call<S, B>(app: &S, method: &str, uri: &str, headers: &[(&str, String)]) -> u16
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let mut req = test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(uri);
    for (name, value) in headers {
        req = req.insert_header((*name, value.clone()));
    }
    test::call_service(app, req.to_request())
        .await
        .status()
        .as_u16()
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

#[actix_web::test]
async fn no_secret_reaches_a_log_line_on_any_failure_path() {
    logs::install();
    let mut secrets = Secrets::default();
    let mut stand_in = StandIn::start().unwrap();
    secrets.add("secret key", stand_in.secret_key());
    let machine = stand_in.machine("log-hygiene");
    secrets.add("machine secret", machine.secret_key());
    let clerk = stand_in
        .clerk_builder()
        .machine_secret_key(machine.secret_key())
        .build()
        .unwrap();
    let signer = WebhookSigner::generate().unwrap();
    secrets.add("webhook secret", signer.secret());
    secrets.add(
        "webhook secret body",
        signer.secret().trim_start_matches("whsec_"),
    );
    let verifier = signer.verifier_builder().build().unwrap();

    let app = test::init_service(
        App::new()
            .app_data(web::ThinData(verifier.clone()))
            .route(
                "/me",
                web::get()
                    .to(|auth: Auth| async move { auth.user_id().unwrap_or_default().to_owned() }),
            )
            .route(
                "/key",
                web::get().to(|key: ApiKeyAuth| async move { key.id().to_owned() }),
            )
            .route(
                "/m2m",
                web::get().to(|t: M2mAuth| async move { t.machine_id().to_owned() }),
            )
            .route(
                "/oauth",
                web::get().to(|t: OAuthAuth| async move { t.user_id().to_owned() }),
            )
            .route(
                "/hook",
                web::post().to(|hook: Webhook<WebhookEvent>| async move { hook.id().to_owned() }),
            )
            .wrap(ClerkMiddleware::new(clerk.clone())),
    )
    .await;

    // Session tokens: good, expired (plain and on a navigation, which takes
    // the handshake), forged, tampered, garbage.
    let other = TestIssuer::generate().unwrap();
    let valid = stand_in.session_token("user_1").sign();
    let expired = stand_in
        .session_token("user_1")
        .expired(Duration::from_secs(120))
        .sign();
    let forged = stand_in.session_token("user_1").signed_by(&other).sign();
    let unknown_kid = stand_in
        .session_token("user_1")
        .header("kid", "ins_log_hygiene_unknown")
        .sign();
    let garbage = "garbage.token.that_is_long_enough_to_find".to_owned();
    for (what, token) in [
        ("valid token", &valid),
        ("expired token", &expired),
        ("forged token", &forged),
        ("unknown-kid token", &unknown_kid),
        ("garbage token", &garbage),
    ] {
        secrets.token(what, token);
        call(&app, "GET", "/me", &[bearer(token)]).await;
        call(
            &app,
            "GET",
            "/me",
            &[
                bearer(token),
                ("sec-fetch-dest", "document".to_owned()),
                ("host", "app.example.com".to_owned()),
                ("cookie", "__clerk_redirect_loop=3".to_owned()),
            ],
        )
        .await;
        // A session token where a machine token is expected.
        call(&app, "GET", "/key", &[bearer(token)]).await;
    }

    // Machine tokens: unknown, revoked, and each verify endpoint down.
    let api_key = stand_in.api_key("user_1", ["read"]);
    let revoked = stand_in.api_key("user_1", ["read"]);
    stand_in.revoke(&revoked);
    let m2m = stand_in.m2m_token(machine.id(), ["mch_other"]);
    let oauth = stand_in.oauth_token("user_1", ["read"]);
    for (what, token) in [
        ("api key", &api_key),
        ("revoked api key", &revoked),
        ("m2m token", &m2m),
        ("oauth token", &oauth),
    ] {
        secrets.add(what, token.as_str());
    }
    let unknown = "ak_log_hygiene_unknown_key_0123456789".to_owned();
    secrets.add("unknown api key", unknown.as_str());
    call(&app, "GET", "/key", &[bearer(&unknown)]).await;
    call(&app, "GET", "/key", &[bearer(&revoked)]).await;
    for (route, endpoint, token) in [
        ("/key", "/api_keys/verify", &api_key),
        ("/m2m", "/m2m_tokens/verify", &m2m),
        ("/oauth", "/oauth_applications/access_tokens/verify", &oauth),
    ] {
        for fault in [
            Fault::status(503),
            Fault::status(401),
            Fault::status(422),
            Fault::drop_connection(),
        ] {
            stand_in.inject(fault.on_path(endpoint).times(1));
            call(&app, "GET", route, &[bearer(token)]).await;
        }
    }

    // Webhooks: no headers, a bad signature, an old timestamp, a body that
    // is not JSON, and a route without a verifier.
    let signed = signer.sign(r#"{"type":"user.created","object":"event","data":{}}"#);
    let hook = |headers: Vec<(&'static str, String)>, body: &'static [u8]| {
        let mut req = test::TestRequest::post().uri("/hook");
        for header in headers {
            req = req.insert_header(header);
        }
        req.set_payload(body).to_request()
    };
    let mut bad_signature = signed.headers().to_vec();
    bad_signature[2].1 = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
    let mut old = signed.headers().to_vec();
    old[1].1 = "1000000000".to_owned();
    for req in [
        hook(vec![], b"{}"),
        hook(bad_signature, b"{}"),
        hook(old, b"{}"),
        hook(signed.headers().to_vec(), b"not json at all"),
    ] {
        test::call_service(&app, req).await;
    }
    let unconfigured = test::init_service(App::new().route(
        "/hook",
        web::post().to(|hook: Webhook<WebhookEvent>| async move { hook.id().to_owned() }),
    ))
    .await;
    test::call_service(&unconfigured, hook(signed.headers().to_vec(), b"{}")).await;

    // Missing middleware.
    let bare = test::init_service(App::new().route(
        "/me",
        web::get().to(|auth: Auth| async move { auth.user_id().unwrap_or_default().to_owned() }),
    ))
    .await;
    call(&bare, "GET", "/me", &[bearer(&valid)]).await;

    // A wrong secret key, for the JWKS, the machine endpoints and the client.
    let wrong_key = format!("sk_test_wrong_{}", stand_in.issuer().kid());
    secrets.add("wrong secret key", wrong_key.as_str());
    let wrong = stand_in
        .clerk_builder()
        .secret_key(wrong_key.as_str())
        .build()
        .unwrap();
    let wrong_app = test::init_service(
        App::new()
            .route(
                "/me",
                web::get().to(|_: Auth| async { HttpResponse::Ok().finish() }),
            )
            .route("/key", web::get().to(|_: ApiKeyAuth| async { "" }))
            .wrap(ClerkMiddleware::new(wrong.clone())),
    )
    .await;
    call(&wrong_app, "GET", "/me", &[bearer(&valid)]).await;
    call(&wrong_app, "GET", "/key", &[bearer(&api_key)]).await;
    let client_error = wrong.client().users().get("user_1").await.unwrap_err();
    secrets.assert_absent(
        "a client error",
        &format!("{client_error} {client_error:?}"),
    );

    // The Backend API down: a cold JWKS, and the client retrying.
    stand_in.inject(Fault::status(503));
    let cold = stand_in.clerk().unwrap();
    let cold_app = test::init_service(
        App::new()
            .route(
                "/me",
                web::get().to(|_: Auth| async { HttpResponse::Ok().finish() }),
            )
            .wrap(ClerkMiddleware::new(cold.clone())),
    )
    .await;
    call(&cold_app, "GET", "/me", &[bearer(&valid)]).await;
    let err = cold.client().users().get("user_1").await.unwrap_err();
    secrets.assert_absent("a client error", &format!("{err} {err:?}"));
    stand_in.shutdown();
    let fresh = TestIssuer::generate().unwrap().session("user_2").sign();
    secrets.token("a token during the outage", &fresh);
    call(&cold_app, "GET", "/me", &[bearer(&fresh)]).await;
    let new_key = "ak_log_hygiene_during_outage_0123456789".to_owned();
    secrets.add("an api key during the outage", new_key.as_str());
    call(&app, "GET", "/key", &[bearer(&new_key)]).await;

    // Errors the caller gets, in both forms.
    for token in [&expired, &forged, &garbage, &fresh] {
        if let Err(err) = cold.verify_token(token).await {
            secrets.assert_absent("a VerifyError", &format!("{err} {err:?}"));
        }
        if let Err(err) = clerk.verify_machine_token(token).await {
            secrets.assert_absent("a VerifyError", &format!("{err} {err:?}"));
        }
    }
    for token in [&api_key, &m2m, &oauth, &new_key] {
        if let Err(err) = clerk.verify_machine_token(token).await {
            secrets.assert_absent("a machine VerifyError", &format!("{err} {err:?}"));
        }
    }
    let webhook_err = verifier
        .verify(signed.webhook_headers(), b"tampered")
        .unwrap_err();
    secrets.assert_absent("a WebhookError", &format!("{webhook_err} {webhook_err:?}"));
    let config_err = WebhookVerifier::new(&format!("{}!", signer.secret())).unwrap_err();
    secrets.assert_absent(
        "a WebhookConfigError",
        &format!("{config_err} {config_err:?}"),
    );
    let config_err = Clerk::builder()
        .secret_key(format!("{} with a space", stand_in.secret_key()))
        .build()
        .unwrap_err();
    secrets.assert_absent("a ConfigError", &format!("{config_err} {config_err:?}"));

    // Something was logged on these paths (the check is not vacuous) ...
    let lines = logs::lines_with("");
    for expected in [
        "clerk_actix::jwks",
        "clerk_actix::machine",
        "clerk_actix::middleware",
        "clerk_actix::client",
        "clerk_actix::rejection",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "nothing logged under {expected}"
        );
    }
    // ... and none of it holds a secret.
    for line in &lines {
        secrets.assert_absent("a log line", line);
    }
}

#[actix_web::test]
async fn debug_output_never_holds_a_secret() {
    let stand_in = StandIn::start().unwrap();
    let machine = stand_in.machine("debug-hygiene");
    let mut secrets = Secrets::default();
    secrets.add("secret key", stand_in.secret_key());
    secrets.add("machine secret", machine.secret_key());
    let builder = stand_in
        .clerk_builder()
        .machine_secret_key(machine.secret_key());
    let clerk = builder.clone().build().unwrap();
    secrets.assert_absent("ClerkBuilder", &format!("{builder:?}"));
    secrets.assert_absent(
        "ClerkBuilder",
        &format!("{:?}", Clerk::builder().secret_key(stand_in.secret_key())),
    );
    secrets.assert_absent("Clerk", &format!("{clerk:?}"));
    secrets.assert_absent("ClerkClient", &format!("{:?}", clerk.client()));
    secrets.assert_absent(
        "ClerkClientBuilder",
        &format!(
            "{:?}",
            clerk_actix::client::ClerkClient::builder(clerk.clone())
        ),
    );
    secrets.assert_absent(
        "ClerkMiddleware",
        &format!("{:?}", ClerkMiddleware::new(clerk.clone())),
    );

    let signer = WebhookSigner::generate().unwrap();
    secrets.add("webhook secret", signer.secret());
    secrets.add(
        "webhook secret body",
        signer.secret().trim_start_matches("whsec_"),
    );
    let verifier_builder = signer.verifier_builder();
    secrets.assert_absent("WebhookVerifierBuilder", &format!("{verifier_builder:?}"));
    let verifier = verifier_builder.build().unwrap();
    secrets.assert_absent("WebhookVerifier", &format!("{verifier:?}"));
    secrets.assert_absent("WebhookSigner", &format!("{signer:?}"));

    // Auth objects and what the middleware attaches, for each kind of token.
    let token = stand_in.session_token("user_1").sign();
    let api_key = stand_in.api_key("user_1", ["read"]);
    let m2m = stand_in.m2m_token(machine.id(), ["mch_other"]);
    let oauth = stand_in.oauth_token("user_1", ["read"]);
    secrets.token("session token", &token);
    for (what, secret) in [("api key", &api_key), ("m2m", &m2m), ("oauth", &oauth)] {
        secrets.add(what, secret.as_str());
    }
    let claims = clerk.verify_token(&token).await.unwrap();
    secrets.assert_absent("SessionClaims", &format!("{claims:?}"));
    for secret in [&api_key, &m2m, &oauth] {
        let machine_token = clerk.verify_machine_token(secret).await.unwrap();
        secrets.assert_absent("MachineToken", &format!("{machine_token:?}"));
    }
    let app = test::init_service(
        App::new()
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                let auth =
                    clerk_actix::get_auth_with(&req, clerk_actix::machine::AcceptsToken::Any);
                HttpResponse::Ok().body(format!("{auth:?}"))
            }))
            .wrap(ClerkMiddleware::new(clerk.clone())),
    )
    .await;
    for secret in [&token, &api_key, &m2m, &oauth] {
        let req = test::TestRequest::get()
            .uri("/")
            .insert_header((header::AUTHORIZATION, format!("Bearer {secret}")))
            .to_request();
        let body = test::call_and_read_body(&app, req).await;
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Auth"), "{text}");
        secrets.assert_absent("Auth", &text);
    }
}
