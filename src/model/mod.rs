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
