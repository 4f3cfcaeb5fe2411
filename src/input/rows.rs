//! Rows built one record at a time (JSON documents), as a run-table frame.
//! Every cell may be missing: defaults and checks come later.

use polars::prelude::*;

use super::{Locator, Part};
use crate::model::Reject;

/// One record as a source read it, before any check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRun {
    pub region: Option<String>,
    pub application_id: Option<String>,
    pub application_name: Option<String>,
    pub architecture: Option<String>,
    pub job_run_id: Option<String>,
    pub attempt: Option<f64>,
    pub job_name: Option<String>,
    pub state: Option<String>,
    pub release_label: Option<String>,
    /// Times as the source wrote them; the check reads them.
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub queued_ms: Option<f64>,
    pub duration_s: Option<f64>,
    pub billed: [Option<f64>; 3],
    pub total: [Option<f64>; 3],
    pub executor_vcpu: Option<f64>,
    pub executor_memory_gb: Option<f64>,
    pub executor_disk_gb: Option<f64>,
    pub driver_vcpu: Option<f64>,
    pub driver_memory_gb: Option<f64>,
    pub max_executors: Option<f64>,
    pub source: Option<String>,
}

fn text<'a>(
    name: &str,
    rows: &'a [RawRun],
    f: impl Fn(&'a RawRun) -> &'a Option<String>,
) -> Column {
    Column::new(
        name.into(),
        rows.iter().map(|r| f(r).as_deref()).collect::<Vec<_>>(),
    )
}

fn num(name: &str, rows: &[RawRun], f: impl Fn(&RawRun) -> Option<f64>) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
}

/// The records as one frame of the run table.
pub fn frame(rows: &[RawRun]) -> PolarsResult<DataFrame> {
    DataFrame::new(vec![
        text("region", rows, |r| &r.region),
        text("application_id", rows, |r| &r.application_id),
        text("application_name", rows, |r| &r.application_name),
        text("architecture", rows, |r| &r.architecture),
        text("job_run_id", rows, |r| &r.job_run_id),
        num("attempt", rows, |r| r.attempt),
        text("job_name", rows, |r| &r.job_name),
        text("state", rows, |r| &r.state),
        text("release_label", rows, |r| &r.release_label),
        text("created_at", rows, |r| &r.created_at),
        text("started_at", rows, |r| &r.started_at),
        text("ended_at", rows, |r| &r.ended_at),
        num("queued_ms", rows, |r| r.queued_ms),
        num("duration_s", rows, |r| r.duration_s),
        num("billed_vcpu_hours", rows, |r| r.billed[0]),
        num("billed_memory_gb_hours", rows, |r| r.billed[1]),
        num("billed_storage_gb_hours", rows, |r| r.billed[2]),
        num("total_vcpu_hours", rows, |r| r.total[0]),
        num("total_memory_gb_hours", rows, |r| r.total[1]),
        num("total_storage_gb_hours", rows, |r| r.total[2]),
        num("executor_vcpu", rows, |r| r.executor_vcpu),
        num("executor_memory_gb", rows, |r| r.executor_memory_gb),
        num("executor_disk_gb", rows, |r| r.executor_disk_gb),
        num("driver_vcpu", rows, |r| r.driver_vcpu),
        num("driver_memory_gb", rows, |r| r.driver_memory_gb),
        num("max_executors", rows, |r| r.max_executors),
        text("source", rows, |r| &r.source),
    ])
}

/// Gathers records into parts of at most [`super::PART_ROWS`] rows.
#[derive(Default)]
pub struct PartBuilder {
    rows: Vec<RawRun>,
    lines: Vec<u64>,
    unreadable: Vec<(String, Reject)>,
}

impl PartBuilder {
    pub fn push(&mut self, line: u64, row: RawRun) {
        self.rows.push(row);
        self.lines.push(line);
    }

    pub fn unreadable(&mut self, location: String, why: Reject) {
        self.unreadable.push((location, why));
    }

    pub fn is_full(&self) -> bool {
        self.rows.len() >= super::PART_ROWS
    }

    /// The part so far; the builder starts again empty.
    pub fn take(&mut self) -> PolarsResult<Part> {
        let rows = std::mem::take(&mut self.rows);
        Ok(Part {
            frame: frame(&rows)?,
            at: Locator::Lines(std::mem::take(&mut self.lines)),
            unreadable: std::mem::take(&mut self.unreadable),
        })
    }
}
