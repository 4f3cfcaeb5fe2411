//! Reports on fleets too big to hold as records: Parquet files are read in
//! batches, each batch is converted and priced in parallel chunks straight
//! into [`FleetBuilder`] columns, and only the most expensive runs are kept
//! as records, for the per-run tables.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use polars::prelude::{DataFrame, IdxCa, IdxSize};
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

/// The identifying text of a chunk, borrowed from the frame.
struct Texts<'a> {
    region: Vec<Option<&'a str>>,
    application_id: Vec<Option<&'a str>>,
    application_name: Vec<Option<&'a str>>,
    job_name: Vec<Option<&'a str>>,
}

fn texts(df: &DataFrame) -> Texts<'_> {
    let col = |name: &str| -> Vec<Option<&str>> {
        match df.column(name).ok().and_then(|c| c.str().ok()) {
            Some(ca) => ca.into_iter().collect(),
            None => vec![None; df.height()],
        }
    };
    Texts {
        region: col("region"),
        application_id: col("application_id"),
        application_name: col("application_name"),
        job_name: col("job_name"),
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
    // Records without their strings (no allocation per run); the text is
    // read from the frame, and full records are made only for runs that
    // may be among the most expensive.
    let text = texts(part);
    let mut out = Chunk {
        fleet: FleetBuilder::with_capacity(part.height()),
        top: Vec::new(),
        unpriced: Vec::new(),
        rejected: Vec::new(),
        used: RowsUsed::default(),
        runs: 0,
    };
    let windowed = input.since.is_some() || input.until.is_some();
    let mut candidates: Vec<(f64, u64, u32)> = Vec::new();
    // Each run is priced as it is made: no buffer of records.
    let rejected = parquet::frame_runs_each(part, name, first_row, false, |row, run| {
        let at = row as usize - 1 - first_row;
        if windowed {
            match run.started_at.or(run.created_at) {
                Some(t)
                    if input.since.is_none_or(|s| t >= s) && input.until.is_none_or(|u| t < u) => {}
                Some(_) => return,
                None => {
                    out.rejected.push(Rejected {
                        location: format!("{name}: row {row}"),
                        reason: "no start or creation time, so --since/--until cannot place it; left out".into(),
                    });
                    return;
                }
            }
        }
        out.runs += 1;
        let region = text.region[at].unwrap_or_default();
        match fleet_pricer.price_in(&run, region, cache, &mut out.used) {
            Ok(c) => {
                let key: std::borrow::Cow<'_, str> = match input.group_by {
                    GroupBy::Application => text.application_id[at].unwrap_or_default().into(),
                    GroupBy::JobName => text.job_name[at].unwrap_or("(unnamed)").into(),
                    GroupBy::Region => region.into(),
                    _ => group_key_ref(&run, input.group_by),
                };
                out.fleet
                    .push_parts(&run, &c, &key, region, text.application_name[at]);
                candidates.push((c.serverless_usd, row, at as u32));
            }
            Err(reason) => out.unpriced.push(UnpricedReason {
                index: row as usize,
                job: format!("{name}: row {row}"),
                reason,
            }),
        }
    })?;
    out.rejected.extend(rejected);
    // The chunk's most expensive runs, read again with their strings.
    if input.top > 0 && candidates.len() > input.top {
        candidates
            .select_nth_unstable_by(input.top, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        candidates.truncate(input.top);
    }
    if input.top > 0 && !candidates.is_empty() {
        let idx = IdxCa::from_vec(
            "at".into(),
            candidates.iter().map(|c| c.2 as IdxSize).collect(),
        );
        let picked = part.take(&idx).map_err(|e| FileError::BadParquet {
            file: name.to_string(),
            message: e.to_string(),
        })?;
        let (full, _) = parquet::frame_runs(&picked, name, 0)?;
        for (n, run) in full {
            // frame_runs numbers the picked rows from 1, in `idx` order.
            if let Some((usd, row, _)) = candidates.get(n as usize - 1) {
                out.top.push((*usd, *row, run));
            }
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
                    price_chunk(&fleet_pricer, input, cache, &part, offset + start, &name)
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
