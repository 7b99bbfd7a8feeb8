//! A short concurrency soak (the long one is `scripts/soak.sh`): client
//! tasks send a mix of valid, expired, forged, garbage and unknown-kid
//! session tokens, session cookies, and valid and unknown API keys to a real `HttpServer`
//! with several workers for a bounded time, with an API-key outage half-way.
//! Every answer is the expected one for its kind, no 5xx but the outage's,
//! and the JWKS is fetched exactly twice.

use std::time::{Duration, Instant};

use clerk_actix::testing::{Fault, StandIn, TestIssuer};
use futures_util::future::join_all;

use crate::faults::serve;

const SOAK: Duration = Duration::from_millis(2500);
const CLIENTS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Valid,
    Expired,
    Forged,
    Garbage,
    UnknownKid,
    /// A valid session in the browser's cookies.
    Cookie,
    ApiKey,
    UnknownApiKey,
}

#[actix_web::test]
async fn mixed_traffic_gets_the_expected_answers_and_two_jwks_fetches() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in
        .clerk_builder()
        .jwks_refetch_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let server = serve(clerk).await;
    let other = TestIssuer::generate().unwrap();
    let mut requests: Vec<(Kind, &str, String)> = Vec::new();
    for i in 0..40 {
        let user = format!("user_{i}");
        let valid = stand_in.session_token(&user).sign();
        requests.push((Kind::Cookie, "/me", stand_in.browser_cookies(&valid)));
        requests.push((Kind::Valid, "/me", valid));
        let expired = stand_in
            .session_token(&user)
            .expired(Duration::from_secs(60))
            .sign();
        requests.push((Kind::Expired, "/me", expired));
        let forged = stand_in.session_token(&user).signed_by(&other).sign();
        requests.push((Kind::Forged, "/me", forged));
        requests.push((Kind::Garbage, "/me", format!("garbage.{i}.token")));
        let unknown = stand_in
            .session_token(&user)
            .header("kid", format!("ins_unknown_{i}"))
            .sign();
        requests.push((Kind::UnknownKid, "/me", unknown));
        if i % 8 == 0 {
            requests.push((Kind::ApiKey, "/key", stand_in.api_key(&user, ["read"])));
        }
    }
    // Warm up: the cold JWKS fetch, and each API key verified (and cached).
    for (kind, path, token) in &requests {
        if matches!(kind, Kind::Valid | Kind::ApiKey) {
            assert_eq!(server.get(path, Some(token)).await.status, 200);
        }
    }
    assert_eq!(stand_in.count("/v1/jwks"), 1);

    let started = Instant::now();
    let outage_at = started + SOAK / 2;
    let clients = (0..CLIENTS).map(|client| {
        let requests = &requests;
        let server = &server;
        let stand_in = &stand_in;
        async move {
            let mut answers = Vec::new();
            let mut i = client * 31;
            let mut unknown_keys = 0;
            let mut injected = false;
            while started.elapsed() < SOAK {
                let outage = Instant::now() >= outage_at;
                if client == 0 && outage && !injected {
                    stand_in.inject(Fault::status(503).on_path("/api_keys/verify"));
                    injected = true;
                }
                let (kind, path, token) = if i % 10 == 9 {
                    unknown_keys += 1;
                    let key = format!("ak_unknown_{client}_{unknown_keys}");
                    (Kind::UnknownApiKey, "/key", key)
                } else {
                    let (kind, path, token) = &requests[i % requests.len()];
                    (*kind, *path, token.clone())
                };
                i += 1;
                let answer = if kind == Kind::Cookie {
                    server.get_with_cookie(path, &token).await
                } else {
                    server.get(path, Some(&token)).await
                };
                answers.push((kind, answer.status, answer.reason));
            }
            answers
        }
    });
    let answers: Vec<_> = join_all(clients).await.into_iter().flatten().collect();
    let took = started.elapsed();

    let mut outage_answers = 0;
    for (kind, status, reason) in &answers {
        let reason = reason.as_deref();
        match kind {
            Kind::Valid | Kind::Cookie | Kind::ApiKey => {
                assert_eq!(*status, 200, "{kind:?}: {reason:?}");
            }
            Kind::Expired => {
                assert_eq!(*status, 401);
                assert!(reason.is_some_and(|r| r.contains("expired")), "{reason:?}");
            }
            Kind::Forged => {
                assert_eq!((*status, reason), (401, Some("token-invalid-signature")));
            }
            Kind::Garbage => assert_eq!((*status, reason), (401, Some("token-invalid"))),
            Kind::UnknownKid => assert_eq!((*status, reason), (401, Some("jwk-kid-mismatch"))),
            // Unknown before the outage, an outage after it: never a 500.
            Kind::UnknownApiKey => match status {
                401 => {}
                503 => outage_answers += 1,
                other => panic!("unknown API key answered {other}"),
            },
        }
    }
    let five_xx = answers.iter().filter(|(_, s, _)| *s >= 500).count();
    assert_eq!(five_xx, outage_answers, "5xx besides the outage's");
    assert!(outage_answers > 0, "the outage was not exercised");
    assert!(answers.len() > 500, "{} answers in {took:?}", answers.len());
    eprintln!(
        "soak: {} answers in {took:?}, {outage_answers} outage 503s, {} JWKS fetches",
        answers.len(),
        stand_in.count("/v1/jwks")
    );
    // The cold fetch, and one refetch for the first unknown kid.
    assert_eq!(stand_in.count("/v1/jwks"), 2);
    server.stop().await;
}
