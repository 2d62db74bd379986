//! Human-readable ages, as kubectl prints them (apimachinery
//! `pkg/util/duration.HumanDuration`): what the server puts in the `Age` column, and what a
//! client shows for any other time.
//!
//! ```
//! use foo_sdk::age;
//! use foo_sdk::deps::k8s_openapi::jiff::{SignedDuration, Timestamp};
//!
//! let created = Timestamp::from_second(1_700_000_000).unwrap();
//! assert_eq!(age::since(created, created + SignedDuration::from_secs(150)), "2m30s");
//! assert_eq!(age::human_duration(SignedDuration::from_hours(49)), "2d1h");
//! ```

use k8s_openapi::jiff::{SignedDuration, Timestamp};

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

/// A succinct duration with ~2-3 significant figures: `59s`, `2m30s`,
/// `3h`, `2d1h`, `2y1d`...
pub fn human_duration(d: SignedDuration) -> String {
    // Go durations are i64 nanoseconds and `time.Sub` saturates.
    let d = d.as_nanos().clamp(i64::MIN.into(), i64::MAX.into()) as i64;
    let seconds = d / SECOND;
    // Up to 2s in the future (excluded) is clock skew, i.e. now.
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 2 * 60 {
        return format!("{seconds}s");
    }
    let minutes = d / MINUTE;
    if minutes < 10 {
        return with_remainder(minutes, "m", seconds % 60, "s");
    }
    if minutes < 3 * 60 {
        return format!("{minutes}m");
    }
    let hours = d / HOUR;
    if hours < 8 {
        return with_remainder(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return with_remainder(days, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return with_remainder(years, "y", days % 365, "d");
    }
    format!("{years}y")
}

fn with_remainder(value: i64, unit: &str, remainder: i64, remainder_unit: &str) -> String {
    if remainder == 0 {
        format!("{value}{unit}")
    } else {
        format!("{value}{unit}{remainder}{remainder_unit}")
    }
}

/// The age of `t` at `now`, as in kubectl's AGE column.
pub fn since(t: Timestamp, now: Timestamp) -> String {
    human_duration(now.duration_since(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: i64) -> SignedDuration {
        SignedDuration::from_millis(ms)
    }

    #[test]
    fn matches_go_boundaries() {
        let s = 1000;
        let m = 60 * s;
        let h = 60 * m;
        let d = 24 * h;
        let y = 365 * d;
        let cases = [
            (ms(-2 * s), "<invalid>"),
            (ms(-2 * s) + SignedDuration::from_nanos(1), "0s"),
            (ms(-1), "0s"),
            (ms(0), "0s"),
            (ms(s - 1), "0s"),
            (ms(s), "1s"),
            (ms(59 * s), "59s"),
            (ms(70 * s), "70s"),
            (ms(2 * m - 1), "119s"),
            (ms(2 * m), "2m"),
            (ms(2 * m + s), "2m1s"),
            (ms(2 * m + 30 * s), "2m30s"),
            (ms(190 * s), "3m10s"),
            (ms(10 * m - 1), "9m59s"),
            (ms(10 * m), "10m"),
            (ms(10 * m + s), "10m"),
            (ms(70 * m), "70m"),
            (ms(3 * h - 1), "179m"),
            (ms(3 * h), "3h"),
            (ms(3 * h + m), "3h1m"),
            (ms(8 * h - 1), "7h59m"),
            (ms(8 * h), "8h"),
            (ms(8 * h + 59 * m), "8h"),
            (ms(47 * h), "47h"),
            (ms(2 * d - 1), "47h"),
            (ms(2 * d), "2d"),
            (ms(49 * h), "2d1h"),
            (ms(8 * d - 1), "7d23h"),
            (ms(8 * d), "8d"),
            (ms(8 * d + 2 * h), "8d"),
            (ms(8 * d + 23 * h), "8d"),
            (ms(367 * d), "367d"),
            (ms(2 * y - 1), "729d"),
            (ms(2 * y), "2y"),
            (ms(2 * y + 23 * h + 59 * m), "2y"),
            (ms(2 * y + d - 1), "2y"),
            (ms(2 * y + d), "2y1d"),
            (ms(2 * y + 25 * h), "2y1d"),
            (ms(7 * y), "7y"),
            (ms(8 * y - 1), "7y364d"),
            (ms(8 * y), "8y"),
            (ms(8 * y + 364 * d), "8y"),
            (ms(9 * y), "9y"),
            (SignedDuration::MAX, "292y"),
            (SignedDuration::MIN, "<invalid>"),
        ];
        for (d, want) in cases {
            assert_eq!(human_duration(d), want, "{d:?}");
        }
    }

    #[test]
    fn since_measures_from_t_to_now() {
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        let at = |s: i64| t + SignedDuration::from_secs(s);
        assert_eq!(since(t, at(150)), "2m30s");
        assert_eq!(since(t, at(-1)), "0s");
        assert_eq!(since(t, at(-5)), "<invalid>");
    }
}
