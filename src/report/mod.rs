//! Reports: one plain, serialisable [`Report`] value built by [`generate`],
//! and one exporter per format ([`export`]). Every number in a report can be
//! traced to its usage record, its price rows (snapshot, source, date) and the
//! printed assumptions.

mod build;
pub mod chart;
mod crossover;
pub mod export;
pub mod fleet;
mod generate;
mod model;
mod ranks;
pub mod rightsize;
pub mod startup;

pub use crate::pipeline::{NotPriced, NotPricedSummary, ReasonCount};
pub use build::{finish, snapshot_from_rows, Finish};
pub use crossover::crossover_report;
pub use generate::{generate, price_rows, Config, GenerateError, Generated};
pub use model::{
    AppCrossovers, CrossoverReport, GroupBy, GroupSummary, JobLine, OptionGap, OptionTotals,
    PastCrossover, PriceSnapshotInfo, Report, SamplePoint, SourceLine, SCHEMA_VERSION,
};
