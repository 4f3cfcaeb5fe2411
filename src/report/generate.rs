//! `report::generate`: inputs in, the report value out. The CLI calls this;
//! so do tests and benches. Every input takes the one pipeline
//! ([`crate::pipeline`]); priced runs go into fleet columns (aggregated by
//! polars), and the most expensive are kept whole for the per-run tables.

use std::sync::atomic::{AtomicU64, Ordering};

use super::build::{
    finish, group_key_of, job_line, snapshot_from_rows, Finish, GroupParts, RunIdentity,
};
use super::export::rows::Spare;
use super::fleet::FleetBuilder;
use super::model::{GroupBy, JobLine, Report};
use crate::cost::{CompactCost, Pricer};
use crate::input::Source;
use crate::pipeline::{self, Defaults, Input, PipelineError, Priced, RunColumns, Sink, Window};

/// What to report on, and how.
pub struct Config<'a> {
    pub sources: &'a [Source],
    pub defaults: &'a Defaults,
    pub window: Window,
    pub pricer: &'a Pricer<'a>,
    pub group_by: GroupBy,
    /// How many runs the per-run tables keep (the most expensive).
    pub top: usize,
    pub startup: super::startup::Settings,
}

/// A report and what it left out.
pub struct Generated {
    pub report: Report,
    /// Records not priced (rejected or unpriced), all counted.
    pub not_priced: usize,
    /// Rows read, and runs inside `--since`/`--until`.
    pub rows: usize,
    pub in_window: usize,
}

/// Why there is no report.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Input(#[from] PipelineError),
    /// Nothing could be priced.
    #[error("{0}")]
    NoRuns(String),
    #[error("could not aggregate the runs: {0}")]
    Aggregate(#[from] polars::prelude::PolarsError),
}

/// A run kept for the per-run tables: EMR Serverless cost, input order.
type Kept = (f64, u64, JobLine);

/// Most expensive first, then input order.
fn by_cost(a: &(f64, u64), b: &(f64, u64)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

fn keep_top<T>(v: &mut Vec<T>, n: usize, key: impl Fn(&T) -> (f64, u64)) {
    if v.len() > n {
        v.select_nth_unstable_by(n, |a, b| by_cost(&key(a), &key(b)));
        v.truncate(n);
    }
}

struct FleetSink {
    group_by: GroupBy,
    top: usize,
    /// What the merged parts hold (merged on one thread while others
    /// price the next parts).
    merged: std::sync::Mutex<Merged>,
    /// The cheapest run on the merged top list once it is full (f64 bits),
    /// else -inf: a run below it is beaten by `top` earlier runs and
    /// cannot make the list, so no part keeps or builds it.
    floor: AtomicU64,
}

#[derive(Default)]
struct Merged {
    fleet: FleetBuilder,
    jobs: Vec<Kept>,
}

impl FleetSink {
    fn new(group_by: GroupBy, top: usize) -> FleetSink {
        FleetSink {
            group_by,
            top,
            merged: Default::default(),
            floor: AtomicU64::new(f64::NEG_INFINITY.to_bits()),
        }
    }

    fn floor(&self) -> f64 {
        f64::from_bits(self.floor.load(Ordering::Relaxed))
    }
}

struct FleetChunk {
    fleet: FleetBuilder,
    /// Candidates for the per-run tables: (usd, row, row in part, cost).
    candidates: Vec<(f64, u64, u32, CompactCost)>,
    /// Below this cost a run cannot make this chunk's top list.
    floor: f64,
    kept: Vec<Kept>,
}

impl Sink for FleetSink {
    type Chunk = FleetChunk;

    fn chunk(&self, rows: usize) -> FleetChunk {
        FleetChunk {
            fleet: FleetBuilder::with_capacity(rows),
            candidates: Vec::new(),
            floor: f64::NEG_INFINITY,
            kept: Vec::new(),
        }
    }

    fn add(&self, c: &mut FleetChunk, run: Priced<'_>) {
        let Priced {
            cols,
            at,
            row,
            facts,
            cost,
            region,
        } = run;
        // Only the text the grouping reads is looked at.
        let g = self.group_by;
        let key = group_key_of(
            g,
            GroupParts {
                application_id: cols.application_id(at).unwrap_or_default(),
                job_name: g
                    .reads(|p| p == GroupBy::JobName)
                    .then(|| cols.job_name(at))
                    .flatten(),
                region,
                account_id: g
                    .reads(|p| p == GroupBy::Account)
                    .then(|| cols.account_id(at))
                    .flatten(),
                tags: g
                    .reads(|p| matches!(p, GroupBy::Tag { .. }))
                    .then(|| cols.tags(at))
                    .flatten(),
            },
            facts,
        );
        c.fleet.push_parts(facts, cost, &key, region, || {
            cols.application_name(at).map(str::to_string)
        });
        if self.top > 0 && cost.serverless_usd >= c.floor.max(self.floor()) {
            c.candidates
                .push((cost.serverless_usd, row, at as u32, cost.clone()));
            if c.candidates.len() >= self.top.max(64).saturating_mul(2) {
                keep_top(&mut c.candidates, self.top, |x| (x.0, x.1));
                c.floor = c
                    .candidates
                    .iter()
                    .map(|x| x.0)
                    .fold(f64::INFINITY, f64::min);
            }
        }
    }

    fn close(&self, c: &mut FleetChunk, cols: &RunColumns) {
        let floor = self.floor();
        c.candidates.retain(|x| x.0 >= floor);
        keep_top(&mut c.candidates, self.top, |x| (x.0, x.1));
        for (usd, row, at, cost) in c.candidates.drain(..) {
            let at = at as usize;
            if let Ok(facts) = cols.facts(at) {
                let id = RunIdentity::of_row(cols, at);
                let group = group_key_of(self.group_by, id.parts(), &facts).into_owned();
                c.kept.push((usd, row, job_line(&id, &facts, &cost, group)));
            }
        }
    }

    fn expect(&self, rows: usize) {
        if let Ok(mut m) = self.merged.lock() {
            m.fleet.reserve(rows);
        }
    }

    fn merge(&self, c: FleetChunk) -> Result<(), PipelineError> {
        let mut m = self
            .merged
            .lock()
            .map_err(|_| PipelineError::Sink("a pricing thread failed".into()))?;
        m.fleet.merge(c.fleet);
        m.jobs.extend(c.kept);
        keep_top(&mut m.jobs, self.top, |x| (x.0, x.1));
        if self.top > 0 && m.jobs.len() >= self.top {
            let least = m.jobs.iter().map(|j| j.0).fold(f64::INFINITY, f64::min);
            self.floor.store(least.to_bits(), Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Nothing was priced: what was read, what the window left, the first reason.
fn no_runs(outcome: &pipeline::Outcome, window: Window) -> GenerateError {
    let outside = if window.is_set() && outcome.in_window == 0 {
        format!(
            "; of the {} row(s) read, none falls inside {window}: widen the window",
            outcome.rows
        )
    } else {
        String::new()
    };
    GenerateError::NoRuns(format!(
        "no job runs to price in {} ({} record(s) rejected, {} not priced{outside}{})",
        outcome.inputs.join(", "),
        outcome.not_priced.rejected_count(),
        outcome.not_priced.unpriced_count(),
        outcome
            .not_priced
            .first()
            .map(|(at, why)| format!("; first: {at}: {why}"))
            .unwrap_or_default()
    ))
}

/// Reads every source, prices every run once, and builds the report.
pub fn generate(cfg: &Config<'_>) -> Result<Generated, GenerateError> {
    let input = Input {
        sources: cfg.sources,
        defaults: cfg.defaults,
        window: cfg.window,
    };
    let (sink, outcome) = pipeline::run(&input, cfg.pricer, || {
        Ok(FleetSink::new(cfg.group_by, cfg.top))
    })?;
    let sink = sink
        .merged
        .into_inner()
        .map_err(|_| PipelineError::Sink("a pricing thread failed".into()))?;
    if sink.fleet.is_empty() {
        return Err(no_runs(&outcome, cfg.window));
    }
    // The pipeline may have measured the peak factor from the input.
    let measured = outcome
        .assumptions
        .clone()
        .map(|a| Pricer::new(cfg.pricer.book(), a));
    let pricer = measured.as_ref().unwrap_or(cfg.pricer);
    let mut jobs = sink.jobs;
    jobs.sort_by_key(|j| j.1);
    let listed = jobs.len();
    let priced = sink.fleet.len();
    let not_priced = outcome.not_priced.total();
    let mut report = finish(Finish {
        fleet: &sink.fleet,
        price_snapshot: snapshot_from_rows(&outcome.rows_used, pricer),
        jobs: jobs.into_iter().map(|j| j.2).collect(),
        not_priced: outcome.not_priced,
        inputs: outcome.inputs,
        pricer,
        group_by: cfg.group_by,
        idle_capacity: &outcome.idle_capacity,
        clusters: &outcome.clusters,
        event_logs: &outcome.event_logs,
    })?;
    let collected = super::startup::collected_runs(cfg.sources, cfg.window);
    if !collected.is_empty() {
        report.startup = super::startup::analyse(&collected, pricer, cfg.startup);
        report.rightsizing = super::rightsize::analyse(&collected, pricer, cfg.startup.headroom);
    }
    if priced > listed {
        report.notes.push(format!(
            "The per-run tables (jobs.csv, and the job lists in HTML, Markdown and JSON) hold the {listed} most expensive of {priced} priced runs, by EMR Serverless cost; every figure above covers all of them. `emrcost price FILE --format csv` lists every run."
        ));
    }
    Ok(Generated {
        report,
        not_priced,
        rows: outcome.rows,
        in_window: outcome.in_window,
    })
}

/// `price`'s sink: parts are encoded on the pricing threads and written,
/// in input order, by a thread of their own, so compressing and writing
/// one part overlaps with pricing the next.
struct RowSink<'s, W, T, E> {
    /// Encoded parts on their way to the writer (a few at most).
    to_writer: std::sync::Mutex<Option<std::sync::mpsc::SyncSender<(usize, T)>>>,
    writer: std::sync::Mutex<Option<std::thread::ScopedJoinHandle<'s, Result<W, String>>>>,
    encode: E,
    /// Parts' line vectors, emptied, for the next parts.
    spare: Spare<JobLine>,
}

/// Encoded parts waiting for the writer: enough to ride out a slow write,
/// few enough to keep memory flat (a part is 65,536 rows).
const WRITE_QUEUE: usize = 2;

impl<W, T, E> RowSink<'_, W, T, E> {
    /// Waits for the writer to write what it was given; its output, or
    /// why it stopped.
    fn finish(&self) -> Result<W, String> {
        if let Ok(mut tx) = self.to_writer.lock() {
            *tx = None;
        }
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        match handle {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err("the output writer failed".into())),
            None => Err("the output writer was already finished".into()),
        }
    }

    fn is_running(&self) -> bool {
        self.writer.lock().is_ok_and(|w| w.is_some())
    }
}

/// A sink dropped unfinished (the pipeline starting over) waits for its
/// writer, so the output is not written to after it is opened afresh.
impl<W, T, E> Drop for RowSink<'_, W, T, E> {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.finish();
        }
    }
}

/// A part's rows, and once the part is done, the rows encoded.
struct RowChunk<T> {
    lines: Vec<JobLine>,
    encoded: Option<Result<(usize, T), String>>,
}

impl<W, T, E> Sink for RowSink<'_, W, T, E>
where
    W: Send,
    T: Send,
    E: Fn(&[JobLine]) -> Result<T, String> + Sync,
{
    type Chunk = RowChunk<T>;

    fn chunk(&self, rows: usize) -> RowChunk<T> {
        RowChunk {
            lines: self.spare.take(rows),
            encoded: None,
        }
    }

    fn add(&self, c: &mut RowChunk<T>, run: Priced<'_>) {
        let id = RunIdentity::of_row(run.cols, run.at);
        let group = id.application_id.to_string();
        c.lines.push(job_line(&id, run.facts, run.cost, group));
    }

    /// Encodes the part's rows on the worker thread, so the writer only
    /// writes.
    fn close(&self, c: &mut RowChunk<T>, _: &RunColumns) {
        let lines = std::mem::take(&mut c.lines);
        c.encoded = Some((self.encode)(&lines).map(|t| (lines.len(), t)));
        self.spare.give(lines);
    }

    fn merge(&self, c: RowChunk<T>) -> Result<(), PipelineError> {
        let Some(encoded) = c.encoded else {
            return Ok(());
        };
        let part = encoded.map_err(PipelineError::Sink)?;
        // Cloned out of the lock: sending waits while the writer is behind.
        let tx = self.to_writer.lock().ok().and_then(|tx| tx.clone());
        let sent = match tx {
            Some(tx) => tx.send(part).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer stopped: say why.
        match self.finish() {
            Err(e) => Err(PipelineError::Sink(e)),
            Ok(_) => Err(PipelineError::Sink("the output writer stopped".into())),
        }
    }
}

/// Prices every run and hands its line, encoded by `encode` (in parallel,
/// a part at a time), to `write` (on a thread of its own), in input order,
/// as it goes (`emrcost price` to CSV, JSON Lines or Parquet): memory
/// stays flat. `make` opens the output; if the input repeats runs it is
/// called again (after the first output's writer has stopped) and the
/// first output dropped, so it must start afresh.
pub fn price_rows<W, T, E, F>(
    cfg: &Config<'_>,
    mut make: impl FnMut() -> Result<W, String>,
    encode: E,
    write: F,
) -> Result<(W, pipeline::Outcome), GenerateError>
where
    W: Send,
    T: Send,
    E: Fn(&[JobLine]) -> Result<T, String> + Sync,
    F: Fn(&mut W, usize, T) -> Result<(), String> + Sync,
{
    let input = Input {
        sources: cfg.sources,
        defaults: cfg.defaults,
        window: cfg.window,
    };
    let write = &write;
    std::thread::scope(|scope| {
        let (sink, outcome) = pipeline::run(&input, cfg.pricer, || {
            let mut out = make().map_err(PipelineError::Sink)?;
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, T)>(WRITE_QUEUE);
            let writer = scope.spawn(move || {
                for (rows, part) in rx {
                    write(&mut out, rows, part)?;
                }
                Ok(out)
            });
            Ok(RowSink {
                to_writer: std::sync::Mutex::new(Some(tx)),
                writer: std::sync::Mutex::new(Some(writer)),
                encode: &encode,
                // One per pricing thread is all that is ever in use.
                spare: Spare::new(rayon::current_num_threads() + 1),
            })
        })?;
        let out = sink.finish().map_err(PipelineError::Sink)?;
        if outcome.priced == 0 {
            return Err(no_runs(&outcome, cfg.window));
        }
        Ok((out, outcome))
    })
}
