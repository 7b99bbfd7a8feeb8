//! The shared key store against a stand-in Backend API.

use std::time::Duration;

use clerk_actix::testing::{Fault, StandIn, TestIssuer};
use clerk_actix::Reason;
use futures_util::future::join_all;

const JWKS: &str = "/v1/jwks";

#[actix_web::test]
async fn jwks_request_carries_clerk_headers() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    clerk
        .verify_token(&stand_in.session_token("user_1").sign())
        .await
        .unwrap();
    let requests = stand_in.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method(), "GET");
    assert_eq!(request.path(), JWKS);
    let bearer = format!("Bearer {}", stand_in.secret_key());
    assert_eq!(request.header("authorization"), Some(bearer.as_str()));
    assert_eq!(request.header("clerk-api-version"), Some("2026-05-12"));
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("clerk-actix/", env!("CARGO_PKG_VERSION")))
    );
}

#[actix_web::test]
async fn cache_hit_makes_no_request() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    for user in ["user_1", "user_2", "user_3"] {
        let claims = clerk
            .verify_token(&stand_in.session_token(user).sign())
            .await
            .unwrap();
        assert_eq!(claims.user_id(), user);
    }
    assert_eq!(stand_in.count(JWKS), 1);
}

#[actix_web::test]
async fn cold_start_concurrent_verifications_make_one_request() {
    let stand_in = StandIn::start().unwrap();
    // A slow answer keeps the fetch in flight while every verification asks.
    stand_in.inject(Fault::delay(Duration::from_millis(100)).on_path(JWKS));
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    let results = join_all((0..100).map(|_| clerk.verify_token(&token))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(stand_in.count(JWKS), 1);
}

#[test]
fn cold_start_across_worker_threads_makes_one_request() {
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::delay(Duration::from_millis(200)).on_path(JWKS));
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let clerk = clerk.clone();
            let token = token.clone();
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    join_all((0..25).map(|_| clerk.verify_token(&token)))
                        .await
                        .into_iter()
                        .all(|r| r.is_ok())
                })
            })
        })
        .collect();
    for thread in threads {
        assert!(thread.join().unwrap());
    }
    assert_eq!(stand_in.count(JWKS), 1);
}

#[actix_web::test]
async fn unknown_kid_refetches_once_then_is_rate_limited() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    clerk
        .verify_token(&stand_in.session_token("user_1").sign())
        .await
        .unwrap();
    assert_eq!(stand_in.count(JWKS), 1);

    // A flood of made-up kids: one refetch, then the rate limit answers.
    for i in 0..50 {
        let token = stand_in
            .session_token("user_1")
            .header("kid", format!("ins_made_up_{i}"))
            .sign();
        let err = clerk.verify_token(&token).await.unwrap_err();
        assert_eq!(err.reason(), Reason::JwkKidMismatch);
        assert!(!err.reason().is_server_fault());
    }
    assert_eq!(stand_in.count(JWKS), 2);
}

#[actix_web::test]
async fn kid_miss_after_the_interval_refetches_again_and_finds_rotated_key() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .jwks_refetch_interval(Duration::from_millis(50))
        .build()
        .unwrap();
    clerk
        .verify_token(&stand_in.session_token("user_1").sign())
        .await
        .unwrap();

    // Clerk rotates: the new key is published, tokens signed with it arrive.
    let next = TestIssuer::generate().unwrap();
    stand_in.publish_keys([stand_in.issuer().clone(), next.clone()]);
    actix_web::rt::time::sleep(Duration::from_millis(60)).await;
    let claims = clerk
        .verify_token(&next.session("user_2").sign())
        .await
        .unwrap();
    assert_eq!(claims.user_id(), "user_2");
    assert_eq!(stand_in.count(JWKS), 2);
}

#[actix_web::test]
async fn retired_key_stops_verifying_after_refresh() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .jwks_cache_ttl(Duration::from_millis(50))
        .build()
        .unwrap();
    let old_token = stand_in.session_token("user_1").sign();
    clerk.verify_token(&old_token).await.unwrap();

    let next = TestIssuer::generate().unwrap();
    stand_in.publish_keys([next.clone()]);
    actix_web::rt::time::sleep(Duration::from_millis(60)).await;
    // The stale set is refreshed; the old kid is gone.
    clerk
        .verify_token(&next.session("user_2").sign())
        .await
        .unwrap();
    let err = clerk.verify_token(&old_token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::JwkKidMismatch);
}

#[actix_web::test]
async fn outage_after_keys_are_cached_keeps_tokens_verifying() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .jwks_cache_ttl(Duration::from_millis(20))
        .jwks_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let token = stand_in.session_token("user_1").sign();
    clerk.verify_token(&token).await.unwrap();

    stand_in.inject(Fault::status(503).on_path(JWKS));
    actix_web::rt::time::sleep(Duration::from_millis(30)).await;
    for i in 0..5 {
        // Fresh tokens, so the verified-token cache does not answer for the keys.
        let user = format!("user_{i}");
        let token = stand_in.session_token(user.as_str()).sign();
        let claims = clerk
            .verify_token(&token)
            .await
            .expect("stale keys still verify");
        assert_eq!(claims.user_id(), user);
    }
    // The refresh was attempted (with retries) but not on every request.
    let fetches = stand_in.count(JWKS);
    assert!((2..=4).contains(&fetches), "{fetches} fetches");
}

#[actix_web::test]
async fn outage_with_dropped_connections_keeps_tokens_verifying() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .jwks_cache_ttl(Duration::from_millis(20))
        .build()
        .unwrap();
    let token = stand_in.session_token("user_1").sign();
    clerk.verify_token(&token).await.unwrap();
    stand_in.inject(Fault::drop_connection().on_path(JWKS));
    actix_web::rt::time::sleep(Duration::from_millis(30)).await;
    let fresh = stand_in.session_token("user_2").sign();
    clerk
        .verify_token(&fresh)
        .await
        .expect("stale keys still verify");
    assert!(stand_in.count(JWKS) >= 2);
}

#[actix_web::test]
async fn cold_start_outage_is_a_server_fault() {
    let mut stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").sign();
    stand_in.shutdown();
    let err = clerk.verify_token(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::JwkRemoteFailedToLoad);
    assert!(err.reason().is_server_fault());
}

#[actix_web::test]
async fn cold_start_5xx_is_retried_then_succeeds() {
    let stand_in = StandIn::start().unwrap();
    stand_in.inject(Fault::status(502).on_path(JWKS).times(1));
    let clerk = stand_in.clerk().unwrap();
    clerk
        .verify_token(&stand_in.session_token("user_1").sign())
        .await
        .expect("second attempt succeeds");
    assert_eq!(stand_in.count(JWKS), 2);
}

#[actix_web::test]
async fn rejected_secret_key_is_secret_key_invalid() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .secret_key("sk_test_not_the_right_one")
        .build()
        .unwrap();
    let err = clerk
        .verify_token(&stand_in.session_token("user_1").sign())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::SecretKeyInvalid);
    assert!(err.reason().is_server_fault());
    // Not retried: a wrong key does not become right.
    assert_eq!(stand_in.count(JWKS), 1);
    assert_eq!(
        clerk.load_keys().await.unwrap_err().reason(),
        Reason::SecretKeyInvalid
    );
}

#[actix_web::test]
async fn load_keys_fetches_ahead_of_the_first_request() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    clerk.load_keys().await.unwrap();
    assert_eq!(stand_in.count(JWKS), 1);
    clerk
        .verify_token(&stand_in.session_token("user_1").sign())
        .await
        .unwrap();
    assert_eq!(stand_in.count(JWKS), 1);
}

#[actix_web::test]
async fn skip_jwks_cache_fetches_every_time() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let options = clerk.verify_options().clone().skip_jwks_cache(true);
    let token = stand_in.session_token("user_1").sign();
    for _ in 0..3 {
        clerk.verify_token_with(&token, &options).await.unwrap();
    }
    assert_eq!(stand_in.count(JWKS), 3);
}

#[actix_web::test]
async fn cached_tokens_skip_the_key_store_but_not_the_clock() {
    let stand_in = StandIn::start().unwrap();
    let now = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
        clerk_actix::clock::Clock::system().now_millis(),
    ));
    let clock = {
        let now = now.clone();
        clerk_actix::clock::Clock::from_fn(move || now.load(std::sync::atomic::Ordering::SeqCst))
    };
    let clerk = stand_in
        .clerk_builder()
        .clock(clock)
        .jwks_cache_ttl(Duration::from_millis(1))
        .build()
        .unwrap();
    let token = stand_in.session_token("user_1").sign();
    clerk.verify_token(&token).await.unwrap();
    // The keys are stale at once and the Backend API is down, yet the cached
    // token needs neither.
    stand_in.inject(Fault::status(503).on_path(JWKS));
    actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    for _ in 0..3 {
        clerk.verify_token(&token).await.unwrap();
    }
    assert_eq!(stand_in.count(JWKS), 1);
    // The clock still rules: two minutes later the cached token is expired.
    now.fetch_add(120_000, std::sync::atomic::Ordering::SeqCst);
    let err = clerk.verify_token(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenExpired);
}

#[actix_web::test]
async fn cached_tokens_are_rechecked_against_stricter_options() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in
        .session_token("user_1")
        .azp("https://app.example.com")
        .sign();
    clerk.verify_token(&token).await.unwrap();
    let strict = clerk
        .verify_options()
        .clone()
        .authorized_parties(["https://admin.example.com"]);
    let err = clerk.verify_token_with(&token, &strict).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalidAuthorizedParties);
    let audience = clerk.verify_options().clone().issuer(["https://elsewhere"]);
    let err = clerk
        .verify_token_with(&token, &audience)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalidIssuer);
    clerk.verify_token(&token).await.unwrap();
}

#[actix_web::test]
async fn cache_capacity_zero_verifies_every_time() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .token_cache_capacity(0)
        .jwks_cache_ttl(Duration::from_millis(1))
        .jwks_refetch_interval(Duration::from_millis(1))
        .build()
        .unwrap();
    let token = stand_in.session_token("user_1").sign();
    clerk.verify_token(&token).await.unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    clerk.verify_token(&token).await.unwrap();
    // Without the cache, the second verification needed the (stale) keys.
    assert_eq!(stand_in.count(JWKS), 2);
}
