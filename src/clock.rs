//! The clock used for time claims, and the date format of Clerk's messages.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where verification reads the current time from.
///
/// The system clock is the default. Tests pin the clock to a fixed instant so
/// that recorded tokens (which expired long ago) verify as they did when they
/// were issued.
///
/// # Examples
///
/// ```
/// use clerk_actix::clock::Clock;
///
/// let frozen = Clock::fixed_millis(1_666_648_250_000);
/// assert_eq!(frozen.now_millis(), 1_666_648_250_000);
/// assert!(Clock::system().now_millis() > 1_666_648_250_000);
/// ```
#[derive(Clone, Default)]
pub struct Clock(ClockKind);

#[derive(Clone, Default)]
enum ClockKind {
    #[default]
    System,
    Fixed(i64),
    Custom(Arc<dyn Fn() -> i64 + Send + Sync>),
}

impl Clock {
    /// The system clock.
    #[must_use]
    pub fn system() -> Self {
        Self(ClockKind::System)
    }

    /// A clock stopped at `millis` milliseconds after the Unix epoch.
    #[must_use]
    pub fn fixed_millis(millis: i64) -> Self {
        Self(ClockKind::Fixed(millis))
    }

    /// A clock that asks `now` for the time, in milliseconds after the Unix epoch.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicI64, Ordering};
    /// use std::sync::Arc;
    /// use clerk_actix::clock::Clock;
    ///
    /// let now = Arc::new(AtomicI64::new(1_000));
    /// let clock = Clock::from_fn({
    ///     let now = now.clone();
    ///     move || now.load(Ordering::Relaxed)
    /// });
    /// now.store(2_000, Ordering::Relaxed);
    /// assert_eq!(clock.now_millis(), 2_000);
    /// ```
    #[must_use]
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(ClockKind::Custom(Arc::new(now)))
    }

    /// The current time in milliseconds after the Unix epoch.
    #[must_use]
    pub fn now_millis(&self) -> i64 {
        match &self.0 {
            ClockKind::System => system_millis(),
            ClockKind::Fixed(ms) => *ms,
            ClockKind::Custom(now) => now(),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ClockKind::System => f.write_str("Clock::system()"),
            ClockKind::Fixed(ms) => write!(f, "Clock::fixed_millis({ms})"),
            ClockKind::Custom(_) => f.write_str("Clock::from_fn(..)"),
        }
    }
}

pub(crate) fn system_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Formats a time (milliseconds after the epoch) like JavaScript's
/// `Date.prototype.toUTCString`, e.g. `Mon, 24 Oct 2022 21:51:50 GMT`, which is
/// what Clerk's verification messages contain. Times outside what a JavaScript
/// `Date` can hold print as `Invalid Date`, as they do there.
pub(crate) struct UtcString(pub(crate) f64);

impl fmt::Display for UtcString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A JavaScript Date holds ±8.64e15 ms around the epoch.
        const JS_DATE_LIMIT_MS: f64 = 8.64e15;
        let ms = self.0;
        if !ms.is_finite() || ms.abs() > JS_DATE_LIMIT_MS {
            return f.write_str("Invalid Date");
        }
        // In range, so the conversion cannot overflow.
        #[allow(clippy::cast_possible_truncation)]
        let secs = (ms / 1000.0).floor() as i64;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday.
        let weekday = (days + 4).rem_euclid(7) as usize;
        const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month_name = MONTHS[(month - 1) as usize];
        write!(f, "{}, {:02} {} ", WEEKDAYS[weekday], day, month_name)?;
        if year < 0 {
            write!(f, "-{:04}", -year)?;
        } else {
            write!(f, "{year:04}")?;
        }
        write!(
            f,
            " {:02}:{:02}:{:02} GMT",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
///
/// This is the well-known era-based conversion: shift the epoch to 0000-03-01
/// so leap days fall at the end of a year, then split into 400-year eras.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // 0..=11, March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_string_matches_javascript() {
        assert_eq!(
            UtcString(1_666_648_310_000.0).to_string(),
            "Mon, 24 Oct 2022 21:51:50 GMT"
        );
        assert_eq!(
            UtcString(1_666_648_250_999.0).to_string(),
            "Mon, 24 Oct 2022 21:50:50 GMT"
        );
        assert_eq!(UtcString(0.0).to_string(), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            UtcString(-1000.0).to_string(),
            "Wed, 31 Dec 1969 23:59:59 GMT"
        );
        assert_eq!(
            UtcString(951_782_400_000.0).to_string(),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            UtcString(253_402_300_800_000.0).to_string(),
            "Sat, 01 Jan 10000 00:00:00 GMT"
        );
    }

    #[test]
    fn utc_string_out_of_range_is_invalid_date() {
        assert_eq!(UtcString(f64::NAN).to_string(), "Invalid Date");
        assert_eq!(UtcString(9e15).to_string(), "Invalid Date");
        assert_eq!(UtcString(f64::INFINITY).to_string(), "Invalid Date");
    }

    #[test]
    fn clock_fixed_and_custom() {
        assert_eq!(Clock::fixed_millis(5).now_millis(), 5);
        assert_eq!(Clock::from_fn(|| 7).now_millis(), 7);
        assert_eq!(
            format!("{:?}", Clock::fixed_millis(5)),
            "Clock::fixed_millis(5)"
        );
    }
}
