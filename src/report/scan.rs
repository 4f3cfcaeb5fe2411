//! Reports on fleets too big to hold as records: Parquet files are read in
//! batches, each batch is converted and priced in parallel chunks straight
//! into [`FleetBuilder`] columns, and only the most expensive runs are kept
//! as records, for the per-run tables.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::build::{group_key, group_key_ref, job_line};
use super::fleet::FleetBuilder;
use super::model::{GroupBy, JobLine};
use crate::collect::{parquet, FileError, Rejected};
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
    pub unpriced: Vec<UnpricedReason>,
    pub rejected: Vec<Rejected>,
    pub rows_used: RowsUsed,
    /// Rows read, and runs inside the window.
    pub rows: usize,
    pub runs: usize,
}

struct Chunk {
    fleet: FleetBuilder,
    top: Vec<(f64, u64, JobRun)>,
    unpriced: Vec<UnpricedReason>,
    rejected: Vec<Rejected>,
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
    parsed: Vec<(u64, JobRun)>,
    rejected: Vec<Rejected>,
    name: &str,
) -> Chunk {
    let mut out = Chunk {
        fleet: FleetBuilder::with_capacity(parsed.len()),
        top: Vec::new(),
        unpriced: Vec::new(),
        rejected,
        used: RowsUsed::default(),
        runs: 0,
    };
    let windowed = input.since.is_some() || input.until.is_some();
    // Runs below the N-th largest cost seen so far cannot make the top N.
    let mut floor = f64::NEG_INFINITY;
    for (row, run) in &parsed {
        let row = *row;
        if windowed {
            match run.started_at.or(run.created_at) {
                Some(t)
                    if input.since.is_none_or(|s| t >= s) && input.until.is_none_or(|u| t < u) => {}
                Some(_) => continue,
                None => {
                    out.rejected.push(Rejected {
                        location: format!("{name}: row {row}"),
                        reason: "no start or creation time, so --since/--until cannot place it; left out".into(),
                    });
                    continue;
                }
            }
        }
        out.runs += 1;
        match fleet_pricer.price(run, cache, &mut out.used) {
            Ok(c) => {
                out.fleet.push(run, &c, &group_key_ref(run, input.group_by));
                let usd = c.serverless_usd;
                if input.top > 0 && usd >= floor {
                    out.top.push((usd, row, run.clone()));
                    if out.top.len() >= 2 * input.top {
                        keep_top(&mut out.top, input.top);
                        floor = out.top.iter().map(|t| t.0).fold(f64::INFINITY, f64::min);
                    }
                }
            }
            Err(reason) => out.unpriced.push(UnpricedReason {
                index: row as usize,
                job: format!("{name}: row {row} ({})", run.label()),
                reason,
            }),
        }
    }
    keep_top(&mut out.top, input.top);
    out
}

/// Scans every file, pricing each run once.
pub fn scan(input: &ScanInput<'_>) -> Result<Scanned, FileError> {
    let fleet_pricer = input.pricer.fleet();
    let mut out = Scanned {
        fleet: FleetBuilder::default(),
        jobs: Vec::new(),
        unpriced: Vec::new(),
        rejected: Vec::new(),
        rows_used: RowsUsed::default(),
        rows: 0,
        runs: 0,
    };
    let mut top: Vec<(f64, u64, JobRun)> = Vec::new();
    for path in input.files {
        let name = path.display().to_string();
        out.rows += parquet::scan_batches(path, BATCH, |df, offset| {
            let starts: Vec<usize> = (0..df.height()).step_by(CHUNK).collect();
            let chunks: Vec<Result<Chunk, FileError>> = starts
                .par_iter()
                .map_init(PlanCache::default, |cache, &start| {
                    let part = df.slice(start as i64, CHUNK);
                    let (parsed, rejected) = parquet::frame_runs(&part, &name, offset + start)?;
                    Ok(price_chunk(
                        &fleet_pricer,
                        input,
                        cache,
                        parsed,
                        rejected,
                        &name,
                    ))
                })
                .collect();
            // Merged in file order, so the result does not depend on which
            // thread finished first.
            for c in chunks {
                let c = c?;
                out.fleet.merge(c.fleet);
                out.unpriced.extend(c.unpriced);
                out.rejected.extend(c.rejected);
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
