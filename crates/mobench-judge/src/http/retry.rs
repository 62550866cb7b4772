//! When to try again: exponential backoff with jitter, and the server's own `Retry-After`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The wait before retry number `retry` (0 for the first retry): `base * 2^retry`, capped at
/// `cap`, then drawn uniformly from its upper half so that clients failing together do not all
/// come back at the same instant.
pub(crate) fn backoff(base: Duration, cap: Duration, retry: u32) -> Duration {
    let full = base
        .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(cap)
        .min(cap);
    full.mul_f64(0.5 + 0.5 * random_unit())
}

/// The wait a server asked for, spread by up to a tenth more (never less than asked).
pub(crate) fn spread(asked: Duration) -> Duration {
    asked + asked.mul_f64(0.1 * random_unit())
}

/// A number in [0, 1), different on each call. Jitter needs no more than this; std's hasher keys
/// are random per process and per thread, and the counter makes each call differ.
fn random_unit() -> f64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// How long a `Retry-After` value asks the client to wait, measured from `now`: either a number
/// of seconds or an HTTP date (a date already past asks for no wait). `None` when the value is
/// neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    // Some servers send fractional seconds though the RFC has only integers.
    if let Ok(seconds) = value.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Some(Duration::from_secs_f64(seconds.min(1e9)));
        }
        return None;
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date in any of the three forms RFC 9110 has recipients accept:
/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850) and
/// `Sun Nov  6 08:49:37 1994` (asctime). The weekday is not checked.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mut month = None;
    let mut time = None;
    let mut numbers = Vec::new();
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '-')
        .filter(|t| !t.is_empty())
    {
        if token.contains(':') {
            let parts: Vec<&str> = token.split(':').collect();
            let [h, m, s] = parts.as_slice() else {
                return None;
            };
            time = Some((
                h.parse::<u64>().ok()?,
                m.parse::<u64>().ok()?,
                s.parse::<u64>().ok()?,
            ));
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(token);
        } else if let Some(i) = MONTHS.iter().position(|m| token.eq_ignore_ascii_case(m)) {
            month = Some(i as u32 + 1);
        }
        // Weekday names and the "GMT" zone are skipped.
    }
    let (hour, minute, second) = time?;
    // The day comes before the year in all three forms.
    let [day, year] = numbers.as_slice() else {
        return None;
    };
    let day: u32 = day.parse().ok()?;
    let mut year: i64 = year.parse().ok()?;
    if year < 100 {
        // RFC 850's two-digit years: the nearest century that is not more than 50 years ahead.
        year += if year < 70 { 2000 } else { 1900 };
    }
    let month = month?;
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_since_epoch(year, month, day);
    let seconds = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    let seconds = u64::try_from(seconds).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_since_epoch(year: i64, month: u32, day: u32) -> i64 {
    // Count from 1 March so that the leap day is the last day of the (shifted) year.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m as i64 + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days separate 0000-03-01 from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn the_three_date_forms_agree() {
        // 1994-11-06T08:49:37Z
        let expected = at(784_111_777);
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn dates_around_leap_days_and_the_epoch() {
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(at(0))
        );
        // 2024-02-29T12:00:00Z and 2024-03-01T00:00:00Z
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(at(1_709_208_000))
        );
        assert_eq!(
            parse_http_date("Fri, 01 Mar 2024 00:00:00 GMT"),
            Some(at(1_709_251_200))
        );
        // 2000-12-31T23:59:59Z
        assert_eq!(
            parse_http_date("Sun, 31 Dec 2000 23:59:59 GMT"),
            Some(at(978_307_199))
        );
    }

    #[test]
    fn garbage_is_not_a_date() {
        for text in [
            "",
            "soon",
            "Sun, 06 Nov 1994",
            "06 Foo 1994 08:49:37",
            "1:2",
        ] {
            assert_eq!(parse_http_date(text), None, "{text}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = at(1_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("later", now), None);
        // 1970-01-12T13:46:50Z is 1_000_010.
        assert_eq!(
            parse_retry_after("Mon, 12 Jan 1970 13:46:50 GMT", now),
            Some(Duration::from_secs(10))
        );
        // A date in the past asks for no wait.
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn backoff_doubles_within_its_cap_and_jitters_in_the_upper_half() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        for (retry, full) in [
            (0, 100),
            (1, 200),
            (2, 400),
            (3, 800),
            (4, 1000),
            (40, 1000),
        ] {
            let full = Duration::from_millis(full);
            for _ in 0..50 {
                let wait = backoff(base, cap, retry);
                assert!(wait >= full / 2 && wait <= full, "retry {retry}: {wait:?}");
            }
        }
        let waits: std::collections::HashSet<Duration> =
            (0..20).map(|_| backoff(base, cap, 3)).collect();
        assert!(waits.len() > 1, "no jitter");
    }

    #[test]
    fn spread_never_waits_less_than_asked() {
        for _ in 0..50 {
            let wait = spread(Duration::from_secs(2));
            assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_millis(2200));
        }
    }
}
