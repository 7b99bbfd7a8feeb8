//! An opaque-token flood is not a Backend API flood: the budget of calls
//! that requests trigger, the negative cache of Clerk's definitive answers,
//! and the local refusal of tokens that cannot be Clerk's. Each is counted
//! at the stand-in.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{test, web, App, HttpResponse};
use clerk_actix::clock::Clock;
use clerk_actix::machine::ApiKeyAuth;
use clerk_actix::testing::{Fault, StandIn};
use clerk_actix::{ClerkMiddleware, Reason};

async fn get<S, B>(app: &S, token: &str) -> ServiceResponse<B>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = test::TestRequest::get()
        .uri("/")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    test::call_service(app, req.to_request()).await
}

/// A well-formed key nobody issued: `ak_` and 32 random hex digits.
pub(crate) fn random_key(i: usize) -> String {
    use std::hash::{BuildHasher, RandomState};
    let state = RandomState::new();
    let (a, b) = (state.hash_one(i), state.hash_one(!i));
    format!("ak_{a:016x}{b:016x}")
}

fn retry_after(res: &ServiceResponse<impl MessageBody>) -> Option<u64> {
    res.headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[actix_web::test]
async fn a_flood_of_random_keys_spends_the_budget_and_a_cached_key_keeps_answering() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .backend_call_budget(20, Duration::from_secs(3600))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .route(
                "/",
                web::get().to(|key: ApiKeyAuth| async move { key.id().to_owned() }),
            )
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let cached = stand_in.api_key("user_1", ["read"]);
    assert_eq!(get(&app, &cached).await.status(), 200);
    assert_eq!(stand_in.count("/api_keys/verify"), 1);

    crate::logs::install();
    // The middleware's line for each refused request: at debug, since the
    // budget logged the episode.
    let per_request = || {
        crate::logs::lines_with("cannot verify the request's token")
            .iter()
            .filter(|l| l.starts_with("DEBUG"))
            .count()
    };
    let budget_lines = || crate::logs::lines_with("clerk_actix::budget").len();
    let (per_request_before, budget_before) = (per_request(), budget_lines());
    let (mut unknown, mut unavailable, mut cached_ok) = (0, 0, 0);
    for i in 0..300 {
        let res = get(&app, &random_key(i)).await;
        match res.status().as_u16() {
            401 => unknown += 1,
            503 => {
                let wait = retry_after(&res).expect("Retry-After on the 503");
                assert!(wait >= 1, "{wait}");
                unavailable += 1;
            }
            other => panic!("a random key answered {other}"),
        }
        if i % 10 == 0 {
            assert_eq!(get(&app, &cached).await.status(), 200);
            cached_ok += 1;
        }
    }
    // One bucket of 20 for the first verification and 19 flood keys; the
    // hour-long refill adds none during the test.
    let calls = stand_in.count("/api_keys/verify");
    assert!(calls <= 21, "{calls} calls");
    assert_eq!(unknown, calls - 1);
    assert_eq!(unavailable, 300 - unknown);
    assert_eq!(cached_ok, 30);
    // Logged once per interval with the count, not per request (other
    // tests, running meanwhile, may add a few lines of their own).
    assert!(budget_lines() - budget_before <= 5, "{}", budget_lines());
    assert!(
        per_request() - per_request_before >= unavailable,
        "debug lines"
    );
}

#[actix_web::test]
async fn the_budget_also_bounds_handshake_nonces() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .backend_call_budget(10, Duration::from_secs(3600))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                clerk_actix::get_auth(&req)?;
                Ok::<_, actix_web::Error>(HttpResponse::Ok().finish())
            }))
            .wrap(ClerkMiddleware::new(clerk)),
    )
    .await;
    let mut unavailable = 0;
    for i in 0..100 {
        let req = test::TestRequest::get()
            .uri("/page")
            .insert_header((header::HOST, "app.example.com"))
            .insert_header((header::COOKIE, format!("__clerk_handshake_nonce=n_{i}")));
        let res = test::call_service(&app, req.to_request()).await;
        if res.status() == 503 {
            assert!(retry_after(&res).is_some());
            unavailable += 1;
        }
    }
    assert_eq!(stand_in.count("/v1/clients/handshake_payload"), 10);
    assert_eq!(unavailable, 90);
}

#[actix_web::test]
async fn a_repeated_unknown_key_costs_one_call_per_negative_ttl() {
    let stand_in = StandIn::start().unwrap();
    let start = Clock::system().now_millis();
    let now = Arc::new(AtomicI64::new(start));
    let read = now.clone();
    let clerk = stand_in
        .clerk_builder()
        .clock(Clock::from_fn(move || read.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    for _ in 0..50 {
        let err = clerk
            .verify_machine_token("ak_revoked_long_ago")
            .await
            .unwrap_err();
        assert_eq!(
            (err.reason(), err.status()),
            (Reason::TokenInvalid, Some(404))
        );
        assert_eq!(err.message(), "API key not found");
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    now.fetch_add(4_999, Ordering::SeqCst);
    assert!(clerk
        .verify_machine_token("ak_revoked_long_ago")
        .await
        .is_err());
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    now.fetch_add(1, Ordering::SeqCst);
    assert!(clerk
        .verify_machine_token("ak_revoked_long_ago")
        .await
        .is_err());
    assert_eq!(stand_in.count("/api_keys/verify"), 2);

    // A revoked key is a definitive answer too.
    let key = stand_in.api_key("user_1", ["read"]);
    assert!(stand_in.revoke(&key));
    for _ in 0..5 {
        let err = clerk.verify_machine_token(&key).await.unwrap_err();
        assert_eq!(err.reason(), Reason::TokenInvalid);
        assert!(!err.is_server_fault());
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 3);

    // Outages are never remembered.
    stand_in.inject(Fault::status(502).on_path("/api_keys/verify").times(1));
    let outage = clerk
        .verify_machine_token("ak_during_outage")
        .await
        .unwrap_err();
    assert!(outage.is_server_fault());
    let after = clerk
        .verify_machine_token("ak_during_outage")
        .await
        .unwrap_err();
    assert!(!after.is_server_fault());
    assert_eq!(stand_in.count("/api_keys/verify"), 5);
}

#[actix_web::test]
async fn a_negative_ttl_of_zero_remembers_nothing() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .machine_token_negative_cache_ttl(Duration::ZERO)
        .build()
        .unwrap();
    for _ in 0..3 {
        assert!(clerk.verify_machine_token("ak_unknown").await.is_err());
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 3);
}

#[actix_web::test]
async fn tokens_that_cannot_be_clerks_are_refused_without_a_call() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let long = format!("ak_{}", "a".repeat(513));
    for token in [
        "ak_",
        "mt_",
        "oat_",
        "ak_a.b",
        "mt_<x>",
        "oat_a%20b",
        long.as_str(),
    ] {
        let err = clerk.verify_machine_token(token).await.unwrap_err();
        assert_eq!(err.reason(), Reason::TokenInvalid, "{token}");
        assert!(
            err.message().ends_with("not found"),
            "{token}: {}",
            err.message()
        );
        assert!(!err.is_server_fault());
    }
    assert_eq!(stand_in.requests().len(), 0);
    // What Clerk's formats allow still goes to the Backend API.
    let err = clerk
        .verify_machine_token("ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
}

#[actix_web::test]
async fn a_429_holds_off_the_endpoint_until_its_retry_after() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let app = test::init_service(
        App::new()
            .route(
                "/",
                web::get().to(|key: ApiKeyAuth| async move { key.id().to_owned() }),
            )
            .wrap(ClerkMiddleware::new(clerk.clone())),
    )
    .await;
    stand_in.inject(Fault::rate_limited(30).on_path("/api_keys/verify").times(1));
    let first = get(&app, &stand_in.api_key("user_1", ["read"])).await;
    assert_eq!(first.status(), 503);
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    for _ in 0..20 {
        let res = get(&app, &stand_in.api_key("user_2", ["read"])).await;
        assert_eq!(res.status(), 503);
        let wait = retry_after(&res).unwrap();
        assert!((25..=30).contains(&wait), "{wait}");
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    // Other endpoints are not held.
    let m2m = stand_in.m2m_token("mch_1", ["mch_2"]);
    assert!(clerk.verify_machine_token(&m2m).await.is_ok());
}
