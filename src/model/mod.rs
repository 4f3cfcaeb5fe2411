//! The project's own records: job-run usage, resource shapes and units.
//! Nothing from an AWS SDK or a file format leaks past this boundary.

mod job;
pub mod limits;
mod reason;
pub mod schema;
mod shape;
pub mod time;

pub use job::{
    month_of_ms, parse_tags, tag_value, tags_text, Architecture, GlueUse, JobRun, JobState,
    ResourceUsage, RunFacts, UsageSource,
};
pub use reason::{Reject, Rejected};
pub use shape::{JobShape, ShapeBasis, WorkerSize};

/// A cell without the white space around it (`str::trim`'s answer). Most
/// cells start and end with a visible ASCII character and are returned
/// without a look at the rest; millions are read.
#[inline(always)]
pub fn trim_cell(s: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::trim_cell;

    #[test]
    fn cells_are_trimmed_as_str_trim_does() {
        for (cell, want) in [
            ("us-east-1", "us-east-1"),
            (" us-east-1", "us-east-1"),
            ("us-east-1\t", "us-east-1"),
            ("\u{a0}x\u{2003}", "x"),
            ("é", "é"),
            ("  ", ""),
            ("", ""),
        ] {
            assert_eq!(trim_cell(cell), want, "{cell:?}");
        }
    }
}
