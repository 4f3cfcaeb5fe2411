//! Timestamps as the sources write them, read into one form: milliseconds
//! since the Unix epoch, UTC.
//!
//! Accepted, in text:
//! - RFC 3339 (`2026-08-01T09:01:21Z`, `...+02:00`, with 0-9 fraction digits);
//! - ISO 8601 with a zone of `+0000`/`+02`/`-0530` (what polars and pandas
//!   write by default: `2026-08-01T09:01:21.712000+0000`);
//! - no zone at all (`2026-08-01T09:01:21`): read as UTC;
//! - a space instead of the `T` in any of the above;
//! - a bare number: epoch seconds, or milliseconds (see [`epoch_ms`]).
//!
//! Anything else is an error that shows the value and the expected form.

use chrono::{DateTime, NaiveDateTime};

/// The largest time a run may carry: the year 9999. Beyond it chrono and
/// every report format stop making sense.
const MAX_MS: i64 = 253_402_300_799_999;

/// Below this magnitude a bare number is epoch seconds (up to the year
/// 5138), at or above it milliseconds (from 1973 on). No fleet mixes runs
/// from before 1973 with runs after 5138, so the rule is never ambiguous.
pub const EPOCH_MS_FROM: f64 = 1e11;

/// A number of epoch seconds or milliseconds (by [`EPOCH_MS_FROM`]) as
/// milliseconds, or why it is not a time.
pub fn epoch_ms(v: f64) -> Result<i64, String> {
    if !v.is_finite() {
        return Err(format!("{v} is not a time"));
    }
    let ms = if v.abs() >= EPOCH_MS_FROM {
        v
    } else {
        v * 1000.0
    };
    let ms = ms.round();
    if !(0.0..=MAX_MS as f64).contains(&ms) {
        return Err(format!(
            "{v} is outside 1970-01-01 to 9999-12-31 as epoch seconds or milliseconds"
        ));
    }
    Ok(ms as i64)
}

/// Parses a timestamp in any accepted form (module docs) to epoch ms.
pub fn parse_ms(raw: &str) -> Result<i64, String> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return in_range(t.timestamp_millis(), raw);
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !s.contains("--")
    {
        if let Ok(v) = s.parse::<f64>() {
            return epoch_ms(v).map_err(|e| format!("'{raw}': {e}"));
        }
    }
    // The date and time may be split by a space; chrono's formats below
    // expect the `T`.
    let owned;
    let s = if s.len() > 10 && s.as_bytes()[10] == b' ' {
        owned = format!("{}T{}", &s[..10], &s[11..]);
        owned.as_str()
    } else {
        s
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return in_range(t.timestamp_millis(), raw);
    }
    // +0000, +02 and the like (no colon, or hours only).
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return in_range(t.timestamp_millis(), raw);
        }
    }
    // No zone: UTC.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return in_range(t.and_utc().timestamp_millis(), raw);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return in_range(t.and_utc().timestamp_millis(), raw);
        }
    }
    Err(format!(
        "'{raw}' is not a time; use ISO 8601 such as 2026-01-31T12:00:00Z (a zone of Z, +00:00 or \
         +0000, or none for UTC; a space may replace the T) or epoch seconds or milliseconds"
    ))
}

fn in_range(ms: i64, raw: &str) -> Result<i64, String> {
    if (0..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(format!("'{raw}' is before 1970 or after 9999"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-08-01T09:01:21.712Z in epoch milliseconds, worked out by hand:
    /// 20,666 days from 1970-01-01 to 2026-08-01 x 86,400,000 ms, plus
    /// 9 h 1 min 21.712 s.
    const T: i64 = 20_666 * 86_400_000 + (9 * 3600 + 60 + 21) * 1000 + 712;

    #[test]
    fn every_accepted_form_gives_the_same_instant() {
        for s in [
            "2026-08-01T09:01:21.712Z",
            "2026-08-01T09:01:21.712+00:00",
            "2026-08-01T09:01:21.712000+0000",
            "2026-08-01T11:01:21.712+0200",
            "2026-08-01T11:01:21.712+02",
            "2026-08-01 09:01:21.712",
            "2026-08-01T09:01:21.712",
            "2026-08-01 09:01:21.712+00:00",
            "  2026-08-01T09:01:21.712Z ",
            "1785574881.712",
            "1785574881712",
        ] {
            assert_eq!(parse_ms(s), Ok(T), "{s}");
        }
        assert_eq!(parse_ms("2026-08-01"), Ok(20_666 * 86_400_000));
    }

    #[test]
    fn bad_times_say_what_is_expected() {
        for s in [
            "yesterday",
            "2026-13-01T00:00:00Z",
            "01/08/2026",
            "",
            "1e400",
        ] {
            let e = parse_ms(s).unwrap_err();
            assert!(e.contains(&format!("'{s}'")), "{e}");
        }
        assert!(parse_ms("-5").unwrap_err().contains("outside 1970"));
        assert!(epoch_ms(f64::NAN).is_err());
        assert!(epoch_ms(1e300).is_err());
    }
}
