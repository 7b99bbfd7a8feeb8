//! Counting an event that is logged at most once per interval: the Backend
//! API budget's refusals, the fleet's rejected entries. A leaf: anything
//! that logs a repeated event can use it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// At most one log line per event kind in this interval.
pub(crate) const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Counts an event and says when to log it: the first time, then at most
/// once per [`LOG_INTERVAL`], with the count since the last log.
pub(crate) struct Tally {
    count: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl Tally {
    pub(crate) fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            last: Mutex::new(None),
        }
    }

    /// Notes one event; `Some(count)` when it is time to log.
    pub(crate) fn note(&self) -> Option<u64> {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < LOG_INTERVAL) {
            return None;
        }
        *last = Some(now);
        Some(self.count.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_logs_first_then_counts_ok() {
        let tally = Tally::new();
        assert_eq!(tally.note(), Some(1));
        assert_eq!(tally.note(), None);
        assert_eq!(tally.note(), None);
        assert_eq!(tally.count.load(Ordering::Relaxed), 2);
    }
}
