//! Reports: one plain, serialisable [`Report`] value built from priced jobs,
//! and one exporter per format ([`export`]). Every number in a report can be
//! traced to its usage record, its price rows (snapshot, source, date) and the
//! printed assumptions.

mod build;
pub mod chart;
mod crossover;
pub mod export;
pub mod fleet;
mod model;
pub mod not_priced;
pub mod scan;

pub use build::{build, finish, group_key, snapshot_from_rows, BuildInput, Finish};
pub use crossover::crossover_report;
pub use model::{
    AppCrossovers, CrossoverReport, GroupBy, GroupSummary, JobLine, OptionGap, OptionTotals,
    PastCrossover, PriceSnapshotInfo, Report, SamplePoint, SourceLine, SCHEMA_VERSION,
};
pub use not_priced::{NotPriced, NotPricedSummary, ReasonCount};
