//! The Backend API client's errors, retries, timeouts and limits, against
//! the stand-in's faults.

use std::time::{Duration, Instant};

use clerk_actix::client::{
    ClerkClient, CreateOrganization, CreateUser, ErrorKind, ListUsers, Method, UpdateUser, User,
};
use clerk_actix::testing::{Fault, StandIn};
use clerk_actix::Clerk;
use serde_json::{json, Value};

use crate::client::client;

fn stand_in() -> StandIn {
    StandIn::builder()
        .user(json!({"id": "user_1", "first_name": "Ada"}))
        .start()
        .unwrap()
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

// ------------------------------------------------------------ API errors --

#[actix_web::test]
async fn wrong_secret_key_is_401_clerk_key_invalid_and_not_retried() {
    let stand_in = stand_in();
    let clerk = stand_in
        .clerk_builder()
        .secret_key("sk_test_wrong")
        .build()
        .unwrap();
    let error = clerk.client().users().get("user_1").await.unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.code(), Some("clerk_key_invalid"));
    assert_eq!(stand_in.requests().len(), 1);
    let text = format!("{error} {error:?}");
    assert!(!text.contains("sk_test_wrong"), "{text}");
}

#[actix_web::test]
async fn unknown_id_is_404_with_trace_and_endpoint_in_the_message() {
    let stand_in = stand_in();
    let error = client(&stand_in).users().get("user_404").await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    let api = error.api_error().unwrap();
    assert_eq!(api.code(), Some("resource_not_found"));
    let trace = api.clerk_trace_id().unwrap();
    assert_eq!(error.endpoint(), Some("GET /v1/users/user_404"));
    assert_eq!(
        error.to_string(),
        format!(
            "Clerk Backend API answered 404 resource_not_found: Resource not found \
             (GET /v1/users/user_404, trace {trace})"
        )
    );
    assert_eq!(stand_in.requests().len(), 1, "a 404 is not retried");
    let text = format!("{error} {error:?}");
    assert!(!text.contains(stand_in.secret_key()), "{text}");
}

#[actix_web::test]
async fn recorded_422_body_maps_every_field() {
    let stand_in = stand_in();
    stand_in.with_store(|store| store.canned("POST", "/v1/users", 422, fixture("error-422.json")));
    let error = client(&stand_in)
        .users()
        .create(&CreateUser::default().first_name("X"))
        .await
        .unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.status(), 422);
    assert_eq!(api.errors().len(), 1);
    let detail = &api.errors()[0];
    assert_eq!(detail.code, "whatever_error");
    assert_eq!(detail.message, "whatever error");
    assert_eq!(detail.long_message.as_deref(), Some("some long message"));
    assert_eq!(detail.meta, json!({"param_name": "some param"}));
    assert_eq!(api.clerk_trace_id(), Some("trace_id_123"));
    assert_eq!(api.retry_after(), None);
    assert_eq!(
        error.to_string(),
        "Clerk Backend API answered 422 whatever_error: some long message \
         (POST /v1/users, trace trace_id_123)"
    );
}

#[actix_web::test]
async fn organization_without_name_is_422_form_param_missing() {
    let stand_in = stand_in();
    let error = client(&stand_in)
        .organizations()
        .create(&CreateOrganization::new(""))
        .await
        .unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.status(), 422);
    assert_eq!(api.code(), Some("form_param_missing"));
    assert_eq!(api.errors()[0].meta["param_name"], "name");
    assert!(api.clerk_trace_id().is_some());
}

#[actix_web::test]
async fn taken_email_is_422_form_identifier_exists() {
    let stand_in = stand_in();
    let client = client(&stand_in);
    let params = CreateUser::default().email_address(["ada@example.com"]);
    client.users().create(&params).await.unwrap();
    let error = client.users().create(&params).await.unwrap_err();
    assert_eq!(
        error.api_error().and_then(|a| a.code()),
        Some("form_identifier_exists")
    );
}

// --------------------------------------------------------------- retries --

#[actix_web::test]
async fn get_is_retried_after_500_then_succeeds() {
    let stand_in = stand_in();
    stand_in.inject(Fault::status(500).times(1).on_path("/v1/users/user_1"));
    let user = client(&stand_in).users().get("user_1").await.unwrap();
    assert_eq!(user.id, "user_1");
    assert_eq!(stand_in.count("/v1/users/user_1"), 2);
}

#[actix_web::test]
async fn post_is_not_retried_after_500() {
    let stand_in = stand_in();
    stand_in.inject(Fault::status(500).times(1).on_path("/v1/users"));
    let error = client(&stand_in)
        .users()
        .create(&CreateUser::default().first_name("Grace"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(stand_in.requests().len(), 1);
    assert_eq!(stand_in.with_store(|s| s.users().len()), 1);
}

#[actix_web::test]
async fn patch_is_not_retried_after_503() {
    let stand_in = stand_in();
    stand_in.inject(Fault::status(503).times(1));
    let error = client(&stand_in)
        .users()
        .update("user_1", &UpdateUser::default().first_name("B"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(stand_in.requests().len(), 1);
}

#[actix_web::test]
async fn delete_and_put_are_retried_after_502() {
    let stand_in = stand_in();
    let client = client(&stand_in);
    stand_in.inject(Fault::status(502).times(1));
    client
        .request(Method::PUT, "/users/user_1/metadata")
        .json(&json!({"public_metadata": {"a": 1}}))
        .send::<Value>()
        .await
        .unwrap();
    assert_eq!(stand_in.requests().len(), 2);
    stand_in.clear_requests();
    stand_in.inject(Fault::status(502).times(1));
    assert!(client.users().delete("user_1").await.unwrap().deleted);
    assert_eq!(stand_in.requests().len(), 2);
}

#[actix_web::test]
async fn persistent_500_stops_at_the_attempt_cap() {
    let stand_in = stand_in();
    stand_in.inject(Fault::status(500));
    let error = client(&stand_in).users().get("user_1").await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(stand_in.requests().len(), 3, "default: 3 attempts");

    stand_in.clear_requests();
    let five = ClerkClient::builder(stand_in.clerk().unwrap())
        .retry_base_delay(Duration::from_millis(1))
        .max_attempts(5)
        .build();
    five.users().get("user_1").await.unwrap_err();
    assert_eq!(stand_in.requests().len(), 5);

    stand_in.clear_requests();
    let once = ClerkClient::builder(stand_in.clerk().unwrap())
        .max_attempts(1)
        .build();
    once.users().get("user_1").await.unwrap_err();
    assert_eq!(stand_in.requests().len(), 1);
}

#[actix_web::test]
async fn rate_limit_waits_retry_after_then_succeeds() {
    let stand_in = stand_in();
    stand_in.inject(Fault::rate_limited(1).times(1));
    let started = Instant::now();
    let user = client(&stand_in).users().get("user_1").await.unwrap();
    assert_eq!(user.id, "user_1");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stand_in.requests().len(), 2);
}

#[actix_web::test]
async fn rate_limit_longer_than_the_cap_is_returned_with_retry_after() {
    let stand_in = stand_in();
    stand_in.inject(Fault::rate_limited(30));
    let started = Instant::now();
    let error = client(&stand_in).users().get("user_1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let api = error.api_error().unwrap();
    assert_eq!(api.status(), 429);
    assert_eq!(api.retry_after(), Some(30));
    assert_eq!(api.code(), Some("too_many_requests"));
    assert!(error.to_string().contains("retry after 30s"), "{error}");
    assert_eq!(stand_in.requests().len(), 1);
}

#[actix_web::test]
async fn rate_limited_post_is_not_retried() {
    let stand_in = stand_in();
    stand_in.inject(Fault::rate_limited(1).times(1));
    let error = client(&stand_in).users().ban("user_1").await.unwrap_err();
    assert_eq!(error.api_error().unwrap().retry_after(), Some(1));
    assert_eq!(stand_in.requests().len(), 1);
}

#[actix_web::test]
async fn dropped_connection_is_retried_for_get() {
    let stand_in = stand_in();
    stand_in.inject(Fault::drop_connection().times(1));
    let user = client(&stand_in).users().get("user_1").await.unwrap();
    assert_eq!(user.id, "user_1");
    assert_eq!(stand_in.requests().len(), 2);
}

#[actix_web::test]
async fn dropped_connection_is_a_transport_error_for_post() {
    let stand_in = stand_in();
    stand_in.inject(Fault::drop_connection().times(1));
    let error = client(&stand_in).users().lock("user_1").await.unwrap_err();
    // awc reports a connection closed before the answer's head as a
    // connect-phase failure, and one closed during the body as a transport
    // failure; either way it is no API answer, and a POST is not repeated.
    assert!(
        matches!(
            error.kind(),
            ErrorKind::Transport(_) | ErrorKind::Connect(_)
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), None);
    assert!(
        error.to_string().contains("POST /v1/users/user_1/lock"),
        "{error}"
    );
    assert_eq!(stand_in.requests().len(), 1);
}

#[test]
fn one_thread_can_run_several_actix_systems_in_turn() {
    let stand_in = stand_in();
    let client = client(&stand_in);
    for _ in 0..2 {
        let user = actix_web::rt::System::new()
            .block_on(client.users().get("user_1"))
            .unwrap();
        assert_eq!(user.id, "user_1");
    }
}

#[actix_web::test]
async fn connection_refused_is_a_connect_error() {
    let mut stand_in = stand_in();
    let client = client(&stand_in);
    stand_in.shutdown();
    let error = client.users().get("user_1").await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Connect(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("could not connect to the Clerk Backend API for GET /v1/users/user_1"),
        "{error}"
    );
}

// ------------------------------------------------------ timeouts, limits --

#[actix_web::test]
async fn slow_answer_times_out() {
    let stand_in = stand_in();
    stand_in.inject(Fault::delay(Duration::from_millis(800)));
    let client = ClerkClient::builder(stand_in.clerk().unwrap())
        .timeout(Duration::from_millis(100))
        .max_attempts(1)
        .build();
    let started = Instant::now();
    let error = client.users().get("user_1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(700));
    assert!(
        matches!(error.kind(), ErrorKind::Timeout(after) if *after == Duration::from_millis(100)),
        "{error:?}"
    );
}

#[actix_web::test]
async fn handle_http_timeout_is_the_default() {
    let stand_in = stand_in();
    stand_in.inject(Fault::delay(Duration::from_millis(800)));
    let clerk = stand_in
        .clerk_builder()
        .http_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let client = ClerkClient::builder(clerk).max_attempts(1).build();
    let error = client.users().get("user_1").await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Timeout(_)), "{error:?}");
}

#[actix_web::test]
async fn answers_above_the_body_limit_fail_and_are_not_retried() {
    let stand_in = stand_in();
    for i in 0..20 {
        stand_in.with_store(|s| s.insert_user(json!({"first_name": format!("user {i}")})));
    }
    let client = ClerkClient::builder(stand_in.clerk().unwrap())
        .body_limit(1024)
        .build();
    let error = client
        .users()
        .list(&ListUsers::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::BodyTooLarge(1024)),
        "{error:?}"
    );
    assert_eq!(stand_in.count("/v1/users"), 1);
}

#[actix_web::test]
async fn default_body_limit_accepts_a_large_page() {
    let stand_in = stand_in();
    stand_in.with_store(|s| {
        for i in 0..500 {
            s.insert_user(json!({"first_name": format!("user {i}"),
                                 "public_metadata": {"padding": "x".repeat(4096)}}));
        }
    });
    let page = client(&stand_in)
        .users()
        .list(&ListUsers::default().limit(500))
        .await
        .unwrap();
    assert_eq!(page.data.len(), 500);
    assert_eq!(page.total_count, 501);
}

// ------------------------------------------------------ local failures --

#[actix_web::test]
async fn answer_of_the_wrong_shape_is_a_decode_error() {
    let stand_in = stand_in();
    let error = client(&stand_in)
        .request(Method::GET, "/users/count")
        .send::<Vec<User>>()
        .await
        .unwrap_err();
    match error.kind() {
        ErrorKind::Decode(message) => assert!(message.contains("invalid type"), "{message}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("could not decode the Clerk Backend API answer to GET /v1/users/count"),
        "{error}"
    );
}

#[actix_web::test]
async fn missing_secret_key_fails_before_sending() {
    let stand_in = stand_in();
    let clerk = Clerk::builder()
        .jwt_key(stand_in.issuer().public_key_pem())
        .api_url(stand_in.url())
        .build()
        .unwrap();
    let error = clerk.client().users().get("user_1").await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::MissingSecretKey),
        "{error:?}"
    );
    assert!(error.to_string().contains("CLERK_SECRET_KEY"), "{error}");
    assert!(stand_in.requests().is_empty());
}
