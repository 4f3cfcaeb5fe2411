//! Reports on fleets too big to hold as records: Parquet files are read in
//! batches, each batch is converted and priced in parallel chunks straight
//! into [`FleetBuilder`] columns, and only the most expensive runs are kept
//! as records, for the per-run tables.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use polars::prelude::DataFrame;
use rayon::prelude::*;

use super::build::{group_key, group_key_of, job_line};
use super::fleet::FleetBuilder;
use super::model::{GroupBy, JobLine};
use super::not_priced::NotPriced;
use crate::collect::{parquet, FileError, Rejected, RunColumns};
use crate::cost::{FleetPricer, PlanCache, Pricer, RowsUsed, UnpricedReason};
use crate::model::JobRun;

/// Rows read from Parquet at a time (one polars frame).
const BATCH: usize = 1 << 20;
/// Rows converted and priced per parallel task.
const CHUNK: usize = 1 << 16;

/// What to scan and how.
pub struct ScanInput<'a> {
    pub files: &'a [PathBuf],
    pub pricer: &'a Pricer<'a>,
    pub group_by: GroupBy,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// How many of the most expensive runs to keep as per-run lines.
    pub top: usize,
}

/// A scanned fleet.
pub struct Scanned {
    pub fleet: FleetBuilder,
    /// The `top` most expensive runs by EMR Serverless cost, in file order.
    pub jobs: Vec<JobLine>,
    /// Rows rejected or not priced: counted, and the first listed.
    pub not_priced: NotPriced,
    pub rows_used: RowsUsed,
    /// Rows read, and runs inside the window.
    pub rows: usize,
    pub runs: usize,
}

struct Chunk {
    fleet: FleetBuilder,
    top: Vec<(f64, u64, JobRun)>,
    not_priced: NotPriced,
    used: RowsUsed,
    runs: usize,
}

fn keep_top(v: &mut Vec<(f64, u64, JobRun)>, n: usize) {
    if v.len() > n {
        v.select_nth_unstable_by(n, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v.truncate(n);
    }
}

fn price_chunk(
    fleet_pricer: &FleetPricer<'_, '_>,
    input: &ScanInput<'_>,
    cache: &mut PlanCache,
    part: &DataFrame,
    first_row: usize,
    name: &str,
) -> Result<Chunk, FileError> {
    // Each row is checked and priced from the columns; a full record is
    // made only for the runs that may be among the most expensive.
    let cols = RunColumns::new(part).map_err(|message| FileError::BadParquet {
        file: name.to_string(),
        message,
    })?;
    let mut out = Chunk {
        fleet: FleetBuilder::with_capacity(part.height()),
        top: Vec::new(),
        not_priced: NotPriced::default(),
        used: RowsUsed::default(),
        runs: 0,
    };
    let since = input.since.map(|t| t.timestamp_millis());
    let until = input.until.map(|t| t.timestamp_millis());
    let windowed = since.is_some() || until.is_some();
    let mut candidates: Vec<(f64, u64, u32)> = Vec::new();
    for at in 0..cols.len() {
        let row = (first_row + at) as u64 + 1;
        let facts = match cols.facts(at) {
            Ok(f) => f,
            Err(reason) => {
                out.not_priced.reject(Rejected {
                    location: format!("{name}: row {row}"),
                    reason,
                });
                continue;
            }
        };
        if windowed {
            match facts.start_ms {
                Some(t) if since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u) => {}
                Some(_) => continue,
                None => {
                    out.not_priced.reject(Rejected {
                        location: format!("{name}: row {row}"),
                        reason: "no start or creation time, so --since/--until cannot place it; left out".into(),
                    });
                    continue;
                }
            }
        }
        out.runs += 1;
        let region = cols.region(at).unwrap_or_default();
        match fleet_pricer.price_in(&facts, region, cache, &mut out.used) {
            Ok(c) => {
                let key = group_key_of(
                    input.group_by,
                    cols.application_id(at).unwrap_or_default(),
                    cols.job_name(at),
                    region,
                    &facts,
                );
                out.fleet
                    .push_parts(&facts, &c, &key, region, cols.application_name(at));
                candidates.push((c.serverless_usd, row, at as u32));
            }
            Err(reason) => out.not_priced.unprice(UnpricedReason {
                index: row as usize,
                job: format!("{name}: row {row}"),
                reason,
            }),
        }
    }
    // The chunk's most expensive runs, as full records.
    if input.top > 0 && candidates.len() > input.top {
        candidates
            .select_nth_unstable_by(input.top, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        candidates.truncate(input.top);
    }
    for (usd, row, at) in candidates {
        if let Ok(run) = cols.job_run(at as usize) {
            out.top.push((usd, row, run));
        }
    }
    Ok(out)
}

/// Scans every file, pricing each run once.
pub fn scan(input: &ScanInput<'_>) -> Result<Scanned, FileError> {
    let fleet_pricer = input.pricer.fleet();
    let mut out = Scanned {
        fleet: FleetBuilder::default(),
        jobs: Vec::new(),
        not_priced: NotPriced::default(),
        rows_used: RowsUsed::default(),
        rows: 0,
        runs: 0,
    };
    // The fleet's columns are sized once, from the files' metadata, so
    // they never grow by copying.
    let rows: usize = input
        .files
        .iter()
        .map(|p| parquet::row_count(p))
        .sum::<Result<usize, FileError>>()?;
    out.fleet = FleetBuilder::with_capacity(rows);
    let mut top: Vec<(f64, u64, JobRun)> = Vec::new();
    for path in input.files {
        let name = path.display().to_string();
        out.rows += parquet::scan_batches(path, BATCH, |df, offset| {
            let starts: Vec<usize> = (0..df.height()).step_by(CHUNK).collect();
            let chunks: Vec<Result<Chunk, FileError>> = starts
                .par_iter()
                .map_init(PlanCache::default, |cache, &start| {
                    let part = df.slice(start as i64, CHUNK);
                    price_chunk(&fleet_pricer, input, cache, &part, offset + start, &name)
                })
                .collect();
            // Merged in file order, so the result does not depend on which
            // thread finished first.
            for c in chunks {
                let c = c?;
                out.fleet.merge(c.fleet);
                out.not_priced.merge(c.not_priced);
                out.rows_used.merge(c.used);
                out.runs += c.runs;
                top.extend(c.top);
                keep_top(&mut top, input.top);
            }
            Ok(())
        })?;
    }
    // Listed in file order, as the record path lists them.
    top.sort_by_key(|t| t.1);
    out.jobs = top
        .iter()
        .filter_map(|(_, _, run)| {
            let cost = input.pricer.price(run).ok()?;
            Some(job_line(run, &cost, group_key(run, input.group_by)))
        })
        .collect();
    Ok(out)
}
