//! File formats: each turns its input into batches of the run table
//! ([`crate::model::schema`]) and nothing else. No AWS, no pricing, no
//! validation beyond "this cell is not a number": the one check in
//! [`crate::pipeline`] does the rest, the same way for every format.
//!
//! | format | how it is read |
//! |---|---|
//! | CSV | streamed in blocks, parsed in parallel |
//! | JSON Lines | streamed line by line |
//! | get-job-run JSON (one object, an array, or several objects) | read whole: a JSON value has no record boundary to stream by |
//! | Parquet | streamed in row batches |
//! | dataset folder (`emrcost collect`) | the journal applied on top of the Parquet file, in memory (a dataset holds at most what one account's API returns) |
//!
//! [`eventlog`] reads Spark event logs (for `emrcost import eventlog`) into
//! runs, which it writes to a dataset folder as CSV.

pub mod csv;
pub mod eventlog;
pub mod json;
pub mod parquet;
mod rows;
mod source;

pub use rows::RawRun;
pub use source::{discover, FileError, Source, SourceExtras};

use polars::prelude::DataFrame;

use crate::model::Reject;

/// How the rows of a part are named in messages.
#[derive(Debug, Clone)]
pub enum Locator {
    /// Text formats: each row's line number.
    Lines(Vec<u64>),
    /// Parquet: rows counted from 1, the first one given.
    Rows { first: u64 },
    /// Records of a dataset, counted from 1.
    Records { first: u64 },
}

impl Locator {
    /// `file:line`, `file: row N` or `file: record N` for row `i`.
    pub fn describe(&self, name: &str, i: usize) -> String {
        match self {
            Locator::Lines(lines) => format!("{name}:{}", lines.get(i).copied().unwrap_or(0)),
            Locator::Rows { first } => format!("{name}: row {}", first + i as u64),
            Locator::Records { first } => format!("{name}: record {}", first + i as u64),
        }
    }
}

/// A piece of a batch, small enough to check and price on one thread.
pub struct Part {
    pub frame: DataFrame,
    pub at: Locator,
    /// Records the reader could not turn into a row at all (location,
    /// reason): they are not in `frame`.
    pub unreadable: Vec<(String, Reject)>,
}

/// What a source hands on at a time: parts in input order, which the
/// pipeline checks and prices in parallel.
pub type Batch = Vec<Part>;

/// Rows per part (one parallel task).
pub const PART_ROWS: usize = 1 << 16;
