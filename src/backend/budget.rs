//! The budget of Backend API calls that requests may trigger, per process.
//!
//! Three calls are made because of what a request carries: verifying an
//! opaque machine token (`ak_…`, `mt_…`, `oat_…`) that no cache knows, the
//! handshake payload of a `__clerk_handshake_nonce`, and a session refresh
//! (`__refresh_…`). Without a bound, a client sending random tokens turns
//! its traffic into Backend API traffic one for one, trips the application's
//! rate limit, and the 429s that follow refuse everyone's new keys.
//!
//! So these calls spend from one token bucket: `calls` tokens, refilled
//! evenly over `per`. A call that finds the bucket empty is not made; the
//! request is answered as an outage of that step would be (a 503 with
//! `Retry-After` for a machine token or a handshake nonce, `fetch-error` for
//! a refresh), and the refusals are logged at most once per
//! [`LOG_INTERVAL`] with their count. Cached tokens spend nothing.
//!
//! The default comes from Clerk's published Backend API rate limits, per
//! application instance: 1000 requests per 10 seconds in production, 100 in
//! development. A process may spend half of that on calls that requests
//! trigger, leaving the other half to the app's own Backend API calls (the
//! typed client) and to other processes; with several replicas, lower it
//! ([`ClerkBuilder::backend_call_budget`](crate::ClerkBuilder::backend_call_budget)).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::tally::Tally;
#[cfg(doc)]
use crate::tally::LOG_INTERVAL;

/// What a call is spent on, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spend {
    MachineToken,
    HandshakeNonce,
    SessionRefresh,
}

impl Spend {
    fn as_str(self) -> &'static str {
        match self {
            Self::MachineToken => "machine-token verifications",
            Self::HandshakeNonce => "handshake payloads",
            Self::SessionRefresh => "session refreshes",
        }
    }
}

/// The token bucket; `None` inside: no limit.
pub(crate) struct Budget {
    bucket: Option<Bucket>,
    refused: Tally,
}

struct Bucket {
    capacity: f64,
    /// Tokens per second.
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bucket {
            Some(bucket) => f
                .debug_struct("Budget")
                .field("capacity", &bucket.capacity)
                .field("per_second", &bucket.rate)
                .finish(),
            None => f.write_str("Budget(unlimited)"),
        }
    }
}

impl Budget {
    /// `calls` per `per`; 0 calls (or a zero period): no limit.
    pub(crate) fn new(calls: u32, per: Duration) -> Self {
        let bucket = (calls > 0 && !per.is_zero()).then(|| Bucket {
            capacity: f64::from(calls),
            rate: f64::from(calls) / per.as_secs_f64(),
            state: Mutex::new((f64::from(calls), Instant::now())),
        });
        Self {
            bucket,
            refused: Tally::new(),
        }
    }

    /// Takes one call from the budget, or says how long until one is there.
    pub(crate) fn take(&self, spend: Spend) -> Result<(), Duration> {
        let Some(bucket) = &self.bucket else {
            return Ok(());
        };
        let wait = {
            let mut state = bucket.state.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let (tokens, last) = *state;
            let tokens = (tokens + now.duration_since(last).as_secs_f64() * bucket.rate)
                .min(bucket.capacity);
            if tokens >= 1.0 {
                *state = (tokens - 1.0, now);
                return Ok(());
            }
            *state = (tokens, now);
            Duration::from_secs_f64((1.0 - tokens) / bucket.rate)
        };
        if let Some(count) = self.refused.note() {
            log::warn!(
                target: "clerk_actix::budget",
                "the budget of Backend API calls that requests trigger is spent \
                 ({} per second, {:.0} at once): {count} request(s) needing a call were \
                 answered 503 without one since the last report (latest: {}); cached \
                 tokens are unaffected. See ClerkBuilder::backend_call_budget.",
                bucket.rate,
                bucket.capacity,
                spend.as_str(),
            );
        }
        Err(wait)
    }
}

/// Whole seconds for `Retry-After`, rounded up, at least 1.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_beyond_its_burst_ok() {
        let budget = Budget::new(5, Duration::from_secs(3600));
        for _ in 0..5 {
            assert!(budget.take(Spend::MachineToken).is_ok());
        }
        let wait = budget.take(Spend::MachineToken).unwrap_err();
        assert!(wait > Duration::from_secs(600), "{wait:?}");
    }

    #[test]
    fn budget_of_zero_is_unlimited_ok() {
        let budget = Budget::new(0, Duration::from_secs(10));
        for _ in 0..10_000 {
            assert!(budget.take(Spend::SessionRefresh).is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up_ok() {
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }
}
