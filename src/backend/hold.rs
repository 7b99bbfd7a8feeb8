//! Holding off a Backend API endpoint that asked to wait.
//!
//! Clerk answers 429 with `Retry-After` when an application instance goes
//! over its rate limit, and blocks the endpoint until then: every call made
//! meanwhile is wasted and prolongs nothing but the log. So the road
//! ([`execute`](super::executor::execute)) remembers, per endpoint:
//!
//! * a **429**: held off for its `Retry-After` (at most [`MAX_HOLD`]; Clerk
//!   always sends one, and without it nothing is held: the deadline is
//!   unknown);
//! * a **burst of 5xx** answers ([`BURST`] in a row within
//!   [`BURST_WINDOW`]): held off for the last answer's `Retry-After`, else
//!   [`BURST_HOLD`]. Not the JWKS (`GET /v1/jwks`): it has no rate limit,
//!   and the key store backs off on its own.
//!
//! While held, a call to the endpoint is not sent: it fails at once with
//! [`ErrorKind::HeldOff`](super::error::ErrorKind::HeldOff), an outage,
//! which the request path answers with a 503 whose `Retry-After` is the
//! time left. The hold is logged once when it starts, not per request.
//!
//! The endpoint is the method and the path with ids replaced by `:id`
//! (a segment such as `sess_2x…` or `user_2x…`: lowercase letters, `_`, then
//! a rest holding a digit or an uppercase letter), so that a hold covers the
//! endpoint, not one resource.
//!
//! With the `redis` feature and a shared cache, a hold is written to Redis
//! and read before each call, so one replica's 429 holds off the whole fleet.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest hold a `Retry-After` (or a shared entry) may ask for.
pub(crate) const MAX_HOLD: Duration = Duration::from_secs(300);
/// How many 5xx answers in a row make a burst.
pub(crate) const BURST: u32 = 3;
/// Within how long.
pub(crate) const BURST_WINDOW: Duration = Duration::from_secs(10);
/// The hold after a burst without `Retry-After`.
pub(crate) const BURST_HOLD: Duration = Duration::from_secs(2);

#[derive(Default)]
struct State {
    /// ms since the epoch.
    until: i64,
    streak: u32,
    streak_started: i64,
}

/// The holds of one Backend API (one secret key).
#[derive(Default)]
pub(crate) struct Holds {
    local: Mutex<HashMap<String, State>>,
    #[cfg(feature = "redis")]
    pub(crate) fleet: Option<std::sync::Arc<crate::fleet::Fleet>>,
}

impl std::fmt::Debug for Holds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holds").finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `POST /v1/sessions/sess_2x…/refresh` → `POST /v1/sessions/:id/refresh`.
pub(crate) fn endpoint_key(endpoint: &str) -> String {
    let (method, path) = endpoint.split_once(' ').unwrap_or(("", endpoint));
    let mut key = String::with_capacity(endpoint.len());
    key.push_str(method);
    key.push(' ');
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            key.push('/');
        }
        key.push_str(if is_id(segment) { ":id" } else { segment });
    }
    key
}

fn is_id(segment: &str) -> bool {
    let Some((prefix, rest)) = segment.split_once('_') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && rest
            .bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

impl Holds {
    /// `Err(time left)` when `endpoint` is held off, here or (with a shared
    /// cache) by another replica.
    pub(crate) async fn check(&self, endpoint: &str) -> Result<(), Duration> {
        let key = endpoint_key(endpoint);
        let now = now_ms();
        let local = self
            .local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .map_or(0, |state| state.until);
        if local > now {
            return Err(Duration::from_millis((local - now).unsigned_abs()));
        }
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            if let Some(until) = fleet.hold_get(&key, now).await {
                let until = until.min(now.saturating_add(millis(MAX_HOLD)));
                if until > now {
                    let adopted = {
                        let mut map = self.local.lock().unwrap_or_else(PoisonError::into_inner);
                        let state = map.entry(key.clone()).or_default();
                        let new = state.until < until;
                        state.until = state.until.max(until);
                        new
                    };
                    if adopted {
                        log::warn!(
                            target: "clerk_actix::backend",
                            "another replica holds off {key} for {:.1}s (a 429 or a burst \
                             of 5xx answers): requests needing it are answered 503 until then",
                            (until - now) as f64 / 1000.0
                        );
                    }
                    return Err(Duration::from_millis((until - now).unsigned_abs()));
                }
            }
        }
        Ok(())
    }

    /// Notes the answer of a call to `endpoint`: `None` for a success,
    /// else the failed status and its `Retry-After`.
    pub(crate) async fn record(&self, endpoint: &str, failed: Option<(u16, Option<u64>)>) {
        let key = endpoint_key(endpoint);
        let now = now_ms();
        let hold = {
            let mut map = self.local.lock().unwrap_or_else(PoisonError::into_inner);
            match failed {
                None => {
                    if let Some(state) = map.get_mut(&key) {
                        state.streak = 0;
                    }
                    None
                }
                Some((429, Some(retry_after))) => Some((
                    map.entry(key.clone()).or_default(),
                    Duration::from_secs(retry_after),
                    "a 429",
                )),
                // The JWKS has no rate limit and a back-off of its own
                // (verification/keys.rs), which its 503 advertises.
                Some((status, retry_after)) if status >= 500 && !key.ends_with("/jwks") => {
                    let state = map.entry(key.clone()).or_default();
                    if state.streak == 0 || now - state.streak_started > millis(BURST_WINDOW) {
                        state.streak = 0;
                        state.streak_started = now;
                    }
                    state.streak += 1;
                    if state.streak >= BURST {
                        state.streak = 0;
                        let wait = retry_after.map_or(BURST_HOLD, Duration::from_secs);
                        Some((state, wait, "a burst of 5xx answers"))
                    } else {
                        None
                    }
                }
                Some(_) => None,
            }
            .map(|(state, wait, why)| {
                let until = now.saturating_add(millis(wait.min(MAX_HOLD)));
                state.until = state.until.max(until);
                (state.until, why)
            })
        };
        let Some((until, why)) = hold else {
            return;
        };
        log::warn!(
            target: "clerk_actix::backend",
            "the Clerk Backend API answered {why} to {key}: holding it off for {:.1}s; \
             requests needing it are answered 503 until then",
            (until - now) as f64 / 1000.0
        );
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.fleet {
            fleet.hold_put(&key, until, now).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_key_replaces_ids_ok() {
        assert_eq!(
            endpoint_key("POST /v1/sessions/sess_2xKa9Bgv7N/refresh"),
            "POST /v1/sessions/:id/refresh"
        );
        assert_eq!(
            endpoint_key("POST /api_keys/verify"),
            "POST /api_keys/verify"
        );
        assert_eq!(
            endpoint_key("POST /oauth_applications/access_tokens/verify"),
            "POST /oauth_applications/access_tokens/verify"
        );
        assert_eq!(endpoint_key("GET /v1/m2m_tokens"), "GET /v1/m2m_tokens");
    }

    #[test]
    fn a_429_holds_and_a_5xx_burst_holds_ok() {
        actix_rt::System::new().block_on(async {
            let holds = Holds::default();
            holds
                .record("POST /api_keys/verify", Some((429, Some(7))))
                .await;
            let left = holds.check("POST /api_keys/verify").await.unwrap_err();
            assert!(left > Duration::from_secs(6) && left <= Duration::from_secs(7));
            assert!(holds.check("POST /m2m_tokens/verify").await.is_ok());

            for _ in 0..BURST - 1 {
                holds.record("GET /v1/users", Some((503, None))).await;
                assert!(holds.check("GET /v1/users").await.is_ok());
            }
            holds.record("GET /v1/users", Some((503, None))).await;
            assert!(holds.check("GET /v1/users").await.is_err());
            // Not the JWKS, nor a 429 without Retry-After.
            for _ in 0..BURST {
                holds.record("GET /v1/jwks", Some((503, None))).await;
            }
            holds
                .record("POST /m2m_tokens/verify", Some((429, None)))
                .await;
            assert!(holds.check("GET /v1/jwks").await.is_ok());
            assert!(holds.check("POST /m2m_tokens/verify").await.is_ok());
        });
    }

    #[test]
    fn a_success_breaks_the_streak_ok() {
        actix_rt::System::new().block_on(async {
            let holds = Holds::default();
            for _ in 0..BURST - 1 {
                holds.record("GET /v1/x", Some((502, None))).await;
            }
            holds.record("GET /v1/x", None).await;
            holds.record("GET /v1/x", Some((502, None))).await;
            assert!(holds.check("GET /v1/x").await.is_ok());
        });
    }
}
