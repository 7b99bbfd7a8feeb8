//! A logger that keeps every line, so tests can assert on what was logged.
//! Installed once for the whole test binary; tests look for their own lines.

use std::sync::{Mutex, OnceLock, PoisonError};

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        if log::set_logger(capture).is_ok() {
            log::set_max_level(log::LevelFilter::Trace);
        }
        capture
    })
}

/// Starts capturing (idempotent).
pub(crate) fn install() {
    capture();
}

/// Every line logged since the start that contains `needle`.
pub(crate) fn lines_with(needle: &str) -> Vec<String> {
    capture()
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|line| line.contains(needle))
        .cloned()
        .collect()
}
