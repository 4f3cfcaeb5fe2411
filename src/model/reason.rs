//! Why a record was left out, as a type: the offending value is a field,
//! so ten thousand different negative durations are one reason with ten
//! thousand records, not ten thousand reasons.

use std::fmt;

use serde::Serialize;

/// A record that was read but not kept, as reports list it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    /// `file:line`, `file: row N` or the run.
    pub location: String,
    pub reason: String,
}

/// Why the one check refused a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Reject {
    /// A required cell is empty.
    Missing { column: &'static str },
    /// A cell that must be a number is not one.
    NotANumber { column: &'static str, value: String },
    /// A number that cannot be negative, or is not finite.
    Negative { column: &'static str, value: f64 },
    /// A worker size of zero.
    Zero { column: &'static str },
    /// A number above the plausibility limit for its column (see
    /// [`crate::model::limits`]).
    TooLarge {
        column: &'static str,
        value: f64,
        limit: &'static str,
    },
    /// A worker size below the smallest the check accepts.
    TooSmall {
        column: &'static str,
        value: f64,
        min: f64,
    },
    /// Some figures of a usage triple are given and others are empty (an
    /// empty figure is unknown, not zero).
    PartialUsage {
        missing: &'static str,
        present: &'static str,
    },
    /// A count with a fraction, or too large.
    NotWhole { column: &'static str, value: f64 },
    /// A time cell that is not a time.
    BadTime {
        column: &'static str,
        message: String,
    },
    /// `true`/`false` expected.
    BadFlag { column: &'static str, value: String },
    /// Not one of the API's job states.
    UnknownState { value: String },
    /// Not x86_64 or arm64.
    UnknownArchitecture { value: String },
    /// Not one of emrcost's source names.
    UnknownSource { value: String },
    /// A text cell that is not one of its column's values.
    UnknownValue {
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    /// `ended_at` is before `started_at`.
    EndBeforeStart { started: String, ended: String },
    /// `--since`/`--until` are set and the run has no time to place it by.
    NoTimeForWindow,
    /// A later record of the same run (region, application, job run,
    /// attempt) supersedes this one.
    Superseded { run: String },
    /// The row itself could not be read (wrong number of cells, a JSON line
    /// that does not parse, a JSON value of the wrong type).
    Unreadable { message: String },
}

impl Reject {
    /// The reason without the value, for counting records by reason.
    pub fn kind(&self) -> String {
        match self {
            Reject::Missing { column } => Reject::Missing { column }.to_string(),
            Reject::NotANumber { column, .. } => format!("{column} is not a number"),
            Reject::Negative { column, .. } => format!("{column} is negative or not finite"),
            Reject::Zero { column } => Reject::Zero { column }.to_string(),
            Reject::TooLarge { column, .. } => format!("{column} is above its limit"),
            Reject::TooSmall { column, .. } => format!("{column} is below the smallest worker"),
            Reject::PartialUsage { missing, .. } => {
                format!("{missing} is empty while others of its kind are given")
            }
            Reject::NotWhole { column, .. } => format!("{column} is not a whole number"),
            Reject::BadTime { column, .. } => format!("{column} is not a time"),
            Reject::BadFlag { column, .. } => format!("{column} is not true or false"),
            Reject::UnknownState { .. } => "unknown job state".into(),
            Reject::UnknownArchitecture { .. } => "unknown architecture".into(),
            Reject::UnknownSource { .. } => "unknown source".into(),
            Reject::UnknownValue { column, .. } => format!("unknown {column}"),
            Reject::EndBeforeStart { .. } => "ended_at is before started_at".into(),
            Reject::NoTimeForWindow => Reject::NoTimeForWindow.to_string(),
            Reject::Superseded { .. } => {
                "superseded by a later record of the same run (region, application, job run, attempt)".into()
            }
            Reject::Unreadable { .. } => "unreadable record".into(),
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::Missing { column: "region" } => {
                f.write_str("region is empty; fill it in or pass --region")
            }
            Reject::Missing { column } => write!(f, "{column} is empty"),
            Reject::NotANumber { column, value } => {
                write!(f, "{column} is '{value}', which is not a number")
            }
            Reject::Negative { column, value } if value.is_finite() => {
                write!(f, "{column} is {}; it cannot be negative", shown(*value))
            }
            Reject::Negative { column, value } => {
                write!(f, "{column} is {value}; expected a finite number")
            }
            Reject::Zero { column } => {
                write!(f, "{column} is 0; a worker needs more than nothing")
            }
            Reject::NotWhole { column, value } => {
                write!(f, "{column} is {}; expected a whole number", shown(*value))
            }
            Reject::TooLarge {
                column,
                value,
                limit,
            } => write!(
                f,
                "{column} is {}, above the {limit} emrcost accepts; check the unit (or the value)",
                shown(*value)
            ),
            Reject::TooSmall { column, value, min } => write!(
                f,
                "{column} is {}, below the smallest worker emrcost accepts ({min}); check the unit",
                shown(*value)
            ),
            Reject::PartialUsage { missing, present } => write!(
                f,
                "{missing} is empty but {present} is given: a missing figure is unknown, not 0; \
                 fill it in, or give total_* usage to price the run from the billing rules"
            ),
            Reject::BadTime { column, message } => write!(f, "{column}: {message}"),
            Reject::BadFlag { column, value } => {
                write!(f, "{column} is '{value}'; expected true or false")
            }
            Reject::UnknownState { value } => write!(
                f,
                "unknown job state '{value}': expected one of SUBMITTED, PENDING, SCHEDULED, \
                 RUNNING, SUCCESS, FAILED, CANCELLING, CANCELLED, QUEUED"
            ),
            Reject::UnknownArchitecture { value } => {
                write!(f, "unknown architecture '{value}': use x86_64 or arm64")
            }
            Reject::UnknownSource { value } => write!(
                f,
                "unknown source '{value}': expected job_run_api, csv, synthetic, event_log, glue_api or emr_api"
            ),
            Reject::UnknownValue {
                column,
                value,
                expected,
            } => write!(f, "{column} '{value}': expected {expected}"),
            Reject::EndBeforeStart { started, ended } => write!(
                f,
                "ended_at {ended} is before started_at {started}; one of them is wrong"
            ),
            Reject::NoTimeForWindow => f.write_str(
                "no start or creation time, so --since/--until cannot place it; left out",
            ),
            Reject::Superseded { run } => write!(
                f,
                "{run} appears again later in the input (same region, application, job run and \
                 attempt); the last record of a run that passes the check is the one kept"
            ),
            Reject::Unreadable { message } => f.write_str(message),
        }
    }
}

/// A value as a person reads it: `1e300`, not three hundred digits.
fn shown(v: f64) -> String {
    if v.abs() >= 1e15 || (v != 0.0 && v.abs() < 1e-6) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_make_messages_not_kinds() {
        let a = Reject::Negative {
            column: "duration_s",
            value: -5.0,
        };
        let b = Reject::Negative {
            column: "duration_s",
            value: -7.0,
        };
        assert_eq!(a.to_string(), "duration_s is -5; it cannot be negative");
        assert_ne!(a.to_string(), b.to_string());
        assert_eq!(a.kind(), b.kind());
        assert_eq!(
            Reject::Negative {
                column: "x",
                value: f64::NAN
            }
            .to_string(),
            "x is NaN; expected a finite number"
        );
    }
}
