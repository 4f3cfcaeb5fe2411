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
    let s = super::trim_cell(raw);
    // Millions of cells take the common forms: read those by hand.
    if let Some(ms) = fast_iso(s.as_bytes()) {
        return in_range(ms, raw);
    }
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

/// Days from 1970-01-01 to a civil date (Howard Hinnant's
/// `days_from_civil`, proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year and month (UTC) of a time in epoch milliseconds, from 0000
/// to 9999 (Howard Hinnant's `civil_from_days`).
pub fn year_month(ms: i64) -> Option<(i64, u32)> {
    let days = ms.div_euclid(86_400_000) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (0..=9999).contains(&y).then_some((y, m as u32))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn number(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]` with `Z`, `+HH:MM`, `+HHMM`, `+HH` or
/// no zone (UTC), read without chrono; `None` for anything else (which the
/// general path then reads or refuses). Fractions below the millisecond
/// are dropped, as chrono's `timestamp_millis` drops them.
fn fast_iso(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (number(&b[0..4])?, number(&b[5..7])?, number(&b[8..10])?);
    let (h, mi, se) = (
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59
    {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = &b[start..i];
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        for k in 0..3 {
            ms = ms * 10 + frac.get(k).map_or(0, |c| i64::from(c - b'0'));
        }
    }
    let offset_min = match &b[i..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hh, mm) = match rest {
                [h1, h2] => (number(&[*h1, *h2])?, 0),
                [h1, h2, m1, m2] => (number(&[*h1, *h2])?, number(&[*m1, *m2])?),
                [h1, h2, b':', m1, m2] => (number(&[*h1, *h2])?, number(&[*m1, *m2])?),
                _ => return None,
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            let m = hh * 60 + mm;
            if *sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some((((days * 24 + h) * 60 + mi) * 60 + se) * 1000 + ms - offset_min * 60_000)
}

/// Whether `ms` is between 1970-01-01 and 9999-12-31.
pub fn in_range_ms(ms: i64) -> bool {
    (0..=MAX_MS).contains(&ms)
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

    /// The hand-written reader of the common forms agrees with chrono's
    /// parser on every form, over four centuries of random instants.
    #[test]
    fn the_fast_reader_agrees_with_chrono() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ms = (x % 12_000_000_000_000) as i64;
            let t = chrono::DateTime::from_timestamp_millis(ms).unwrap();
            let zoned =
                t.with_timezone(&chrono::FixedOffset::east_opt(-(5 * 3600 + 30 * 60)).unwrap());
            for s in [
                t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                t.format("%Y-%m-%dT%H:%M:%S%.9f+0000").to_string(),
                zoned.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
                zoned.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(),
            ] {
                let by_hand = fast_iso(s.as_bytes());
                let t_form = s.replace(' ', "T");
                let by_chrono = DateTime::parse_from_rfc3339(&t_form)
                    .or_else(|_| DateTime::parse_from_str(&t_form, "%Y-%m-%dT%H:%M:%S%.f%z"))
                    .map(|t| t.timestamp_millis())
                    .or_else(|_| {
                        NaiveDateTime::parse_from_str(&t_form, "%Y-%m-%dT%H:%M:%S%.f")
                            .map(|t| t.and_utc().timestamp_millis())
                    });
                assert_eq!(by_hand, by_chrono.ok(), "{s}");
                assert_eq!(by_hand, Some(ms), "{s}");
            }
        }
        assert_eq!(fast_iso(b"2026-02-29T00:00:00Z"), None);
        // Months by hand against chrono's, on the same instants.
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let ms = (x >> 20) as i64 % 250_000_000_000_000 - 50_000_000_000_000;
            let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
                continue;
            };
            use chrono::Datelike;
            let want = (t.year() >= 0).then(|| (i64::from(t.year()), t.month()));
            assert_eq!(year_month(ms), want, "{ms}");
        }
        assert_eq!(fast_iso(b"2024-02-29T00:00:00Z"), Some(19_782 * 86_400_000));
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
