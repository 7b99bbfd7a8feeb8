//! When a failed request is tried again, and after how long.
//!
//! * Only idempotent methods (GET, HEAD, DELETE, PUT, OPTIONS) are retried;
//!   POST and PATCH never are, since a lost answer does not mean the change
//!   was not made.
//! * 429: after `Retry-After` seconds when the header holds an integer no
//!   larger than the delay cap; a longer wait is not worth blocking a request
//!   handler for, so the 429 is returned at once (its
//!   [`retry_after`](super::ApiError::retry_after) tells the caller). Without
//!   the header: the backoff below.
//! * 5xx, connection failures, timeouts and broken responses: exponential
//!   backoff, `base × 2^(attempt-1)`, multiplied by a random factor in
//!   `[0.5, 1.5)` so that many clients do not retry in step, and capped.
//! * Never: other 4xx answers, a body over the size limit, decode errors.

use std::time::Duration;

use awc::http::Method;

use crate::backend::transport::TransportError;

/// The retry settings of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts in total, the first included (1 = no retries).
    pub(crate) max_attempts: u32,
    /// The first backoff delay.
    pub(crate) base_delay: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub(crate) max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// What the last attempt produced, as far as retrying is concerned.
#[derive(Debug)]
pub(crate) enum Attempt<'a> {
    /// An answer with a non-2xx status.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// No answer.
    Transport(&'a TransportError),
}

/// Whether `method` may be sent twice without changing the outcome.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::DELETE,
        Method::PUT,
        Method::OPTIONS,
    ]
    .contains(method)
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1`, or `None` to give up.
    ///
    /// `attempt` counts from 1 (the attempt that just failed); `jitter` is a
    /// random number in `[0, 1)`.
    pub(crate) fn delay(
        &self,
        method: &Method,
        outcome: &Attempt<'_>,
        attempt: u32,
        jitter: f64,
    ) -> Option<Duration> {
        if !is_idempotent(method) || attempt >= self.max_attempts {
            return None;
        }
        match outcome {
            Attempt::Status {
                status: 429,
                retry_after: Some(seconds),
            } => {
                let wait = Duration::from_secs(*seconds);
                (wait <= self.max_delay).then_some(wait)
            }
            Attempt::Status { status: 429, .. } => Some(self.backoff(attempt, jitter)),
            Attempt::Status { status, .. } if (500..=599).contains(status) => {
                Some(self.backoff(attempt, jitter))
            }
            Attempt::Status { .. } => None,
            Attempt::Transport(TransportError::TooLarge(_)) => None,
            Attempt::Transport(
                TransportError::Connect(_) | TransportError::Timeout(_) | TransportError::Other(_),
            ) => Some(self.backoff(attempt, jitter)),
        }
    }

    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let nominal = self.base_delay.saturating_mul(1 << exponent);
        let factor = 0.5 + jitter.clamp(0.0, 1.0);
        nominal.mul_f64(factor).min(self.max_delay)
    }
}

/// A random number in `[0, 1)` from the system's secure random generator
/// (0.5 if it is unavailable: the delay is then simply not jittered).
pub(crate) fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    fn status(status: u16) -> Attempt<'static> {
        Attempt::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn get_on_500_retries() {
        assert!(policy().delay(&Method::GET, &status(500), 1, 0.5).is_some());
    }

    #[test]
    fn post_on_500_does_not_retry() {
        assert_eq!(policy().delay(&Method::POST, &status(500), 1, 0.5), None);
    }

    #[test]
    fn patch_on_503_does_not_retry() {
        assert_eq!(policy().delay(&Method::PATCH, &status(503), 1, 0.5), None);
    }

    #[test]
    fn put_and_delete_on_502_retry() {
        assert!(policy().delay(&Method::PUT, &status(502), 1, 0.5).is_some());
        assert!(policy()
            .delay(&Method::DELETE, &status(502), 1, 0.5)
            .is_some());
    }

    #[test]
    fn client_errors_do_not_retry() {
        for code in [400, 401, 403, 404, 409, 422] {
            assert_eq!(policy().delay(&Method::GET, &status(code), 1, 0.5), None);
        }
    }

    #[test]
    fn last_attempt_does_not_retry() {
        assert!(policy().delay(&Method::GET, &status(500), 2, 0.5).is_some());
        assert_eq!(policy().delay(&Method::GET, &status(500), 3, 0.5), None);
    }

    #[test]
    fn one_attempt_never_retries() {
        let policy = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay(&Method::GET, &status(503), 1, 0.5), None);
    }

    #[test]
    fn rate_limit_waits_retry_after() {
        let outcome = Attempt::Status {
            status: 429,
            retry_after: Some(3),
        };
        assert_eq!(
            policy().delay(&Method::GET, &outcome, 1, 0.9),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn rate_limit_over_the_cap_gives_up() {
        let outcome = Attempt::Status {
            status: 429,
            retry_after: Some(11),
        };
        assert_eq!(policy().delay(&Method::GET, &outcome, 1, 0.5), None);
    }

    #[test]
    fn rate_limit_without_header_backs_off() {
        assert_eq!(
            policy().delay(&Method::GET, &status(429), 1, 0.5),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn rate_limited_post_does_not_retry() {
        let outcome = Attempt::Status {
            status: 429,
            retry_after: Some(1),
        };
        assert_eq!(policy().delay(&Method::POST, &outcome, 1, 0.5), None);
    }

    #[test]
    fn backoff_doubles_and_jitters() {
        let policy = RetryPolicy {
            max_attempts: 10,
            ..RetryPolicy::default()
        };
        let at = |attempt, jitter| policy.delay(&Method::GET, &status(500), attempt, jitter);
        assert_eq!(at(1, 0.0), Some(Duration::from_millis(125)));
        assert_eq!(at(1, 0.5), Some(Duration::from_millis(250)));
        assert_eq!(at(2, 0.5), Some(Duration::from_millis(500)));
        assert_eq!(at(3, 0.5), Some(Duration::from_millis(1000)));
        assert!(at(3, 0.999).unwrap() < Duration::from_millis(1500));
    }

    #[test]
    fn backoff_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 100,
            ..RetryPolicy::default()
        };
        assert_eq!(
            policy.delay(&Method::GET, &status(500), 60, 0.9),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn connection_errors_retry_for_get_only() {
        let refused = TransportError::Connect("refused".into());
        let dropped = TransportError::Other("reset".into());
        let timeout = TransportError::Timeout(Duration::from_secs(1));
        for error in [&refused, &dropped, &timeout] {
            let outcome = Attempt::Transport(error);
            assert!(policy().delay(&Method::GET, &outcome, 1, 0.5).is_some());
            assert_eq!(policy().delay(&Method::POST, &outcome, 1, 0.5), None);
        }
    }

    #[test]
    fn too_large_does_not_retry() {
        let error = TransportError::TooLarge(10);
        assert_eq!(
            policy().delay(&Method::GET, &Attempt::Transport(&error), 1, 0.5),
            None
        );
    }

    #[test]
    fn jitter_is_in_unit_interval() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn idempotent_methods() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::HEAD));
        assert!(is_idempotent(&Method::DELETE));
        assert!(is_idempotent(&Method::PUT));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }
}
