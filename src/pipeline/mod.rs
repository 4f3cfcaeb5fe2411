//! The one path every run takes: **source -> batches of the run table ->
//! the one check -> the one pricer -> a sink** (the report's fleet columns,
//! or `price`'s per-run rows).
//!
//! Sources hand on batches in input order; each batch's parts are checked
//! and priced in parallel and handed to the sink in input order, so the
//! result does not depend on which thread finished first. Memory is the
//! sink's and one batch's, whatever the input's size.
//!
//! **Duplicates.** A run is unique by (region, application, job run,
//! attempt). When it appears more than once, the last record in input
//! order (files in the order given, rows in file order) that passes the
//! check is the one kept, and each earlier one is left out as superseded:
//! a later export or collection knows more (a final state, usage that
//! arrived late). A record the check refuses is listed with its reason and
//! pushes out nothing. Every
//! run's key is hashed while the input is priced; only when two hashes
//! match is the input read again (keys only, then in full), so the usual
//! input without repeats is read once.

pub mod check;
mod not_priced;
mod typed;

pub use check::{Defaults, RunColumns};
pub use not_priced::{NotPriced, NotPricedSummary, ReasonCount, LISTED};

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::collect::dataset::IdleCapacity;
use crate::cost::{CompactCost, FleetPricer, PlanCache, Pricer, RowsUsed, UnpricedReason};
use crate::input::{FileError, Part, Source};
use crate::model::{Reject, RunFacts};

/// `--since`/`--until` as epoch milliseconds: a run is inside when its
/// start (else creation) time is at or after `since` and before `until`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

impl Window {
    pub fn is_set(&self) -> bool {
        self.since_ms.is_some() || self.until_ms.is_some()
    }
}

impl std::fmt::Display for Window {
    /// `--since 2026-09-01T00:00:00Z --until ...`, the bounds that are set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms).map_or_else(
                || ms.to_string(),
                |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
        };
        let parts: Vec<String> = [("--since", self.since_ms), ("--until", self.until_ms)]
            .into_iter()
            .filter_map(|(flag, ms)| ms.map(|ms| format!("{flag} {}", at(ms))))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

/// What to read and how to check it.
pub struct Input<'a> {
    pub sources: &'a [Source],
    pub defaults: &'a Defaults,
    pub window: Window,
}

/// One priced run, as a sink sees it.
pub struct Priced<'a> {
    pub cols: &'a RunColumns,
    /// The row in its part.
    pub at: usize,
    /// The row's place in the whole input (0-based): input order.
    pub row: u64,
    pub facts: &'a RunFacts,
    pub cost: &'a CompactCost,
    pub region: &'a str,
}

/// Where priced runs go. A sink keeps one `Chunk` per part (filled in
/// parallel) and takes them back in input order, on one thread, while
/// other threads fill the next chunks.
pub trait Sink: Sync {
    type Chunk: Send;
    /// An empty chunk for a part of `rows` rows.
    fn chunk(&self, rows: usize) -> Self::Chunk;
    fn add(&self, chunk: &mut Self::Chunk, run: Priced<'_>);
    /// The part is done (its columns are still there to read).
    fn close(&self, _chunk: &mut Self::Chunk, _cols: &RunColumns) {}
    /// The next chunk, in input order (never two at once).
    fn merge(&self, chunk: Self::Chunk) -> Result<(), PipelineError>;
    /// About `rows` more rows are coming (a source that knows its size
    /// says so before it is read).
    fn expect(&self, _rows: usize) {}
}

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{0}")]
    Sink(String),
}

/// What a run of the pipeline saw, beside what the sink kept.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Records left out, by reason.
    pub not_priced: NotPriced,
    /// Price rows used, for provenance.
    pub rows_used: RowsUsed,
    /// Rows the sources gave (records that could not be read aside).
    pub rows: usize,
    /// Rows that passed the check and fall inside the window.
    pub in_window: usize,
    /// Runs priced.
    pub priced: usize,
    /// Idle pre-initialized capacity from collected datasets.
    pub idle_capacity: Vec<IdleCapacity>,
    /// EMR on EC2 clusters' costs from collected datasets.
    pub clusters: Vec<crate::collect::emr_ec2::ClusterCost>,
    /// EMR Serverless runs' event logs read beside them, in the window.
    pub event_logs: Vec<crate::collect::dataset::EventLogBeside>,
    /// The sources' names, in order.
    pub inputs: Vec<String>,
    /// Peak over average executors of each priced run with a measured
    /// peak and usage to average over.
    pub peak_ratios: Vec<f64>,
    /// The assumptions the runs were priced under, when the pipeline
    /// changed them: the peak factor measured from `peak_ratios`.
    pub assumptions: Option<crate::cost::Assumptions>,
}

struct PartOut<C> {
    chunk: C,
    peak_ratios: Vec<f64>,
    not_priced: NotPriced,
    used: RowsUsed,
    hashes: Vec<u64>,
    in_window: usize,
    priced: usize,
}

/// One plan cache per worker thread, kept for a whole pass: planning is
/// done once per shape per thread, not once per part.
struct PlanCaches(Vec<std::sync::Mutex<PlanCache>>);

impl PlanCaches {
    fn new() -> PlanCaches {
        let n = rayon::current_num_threads().max(1) + 1;
        PlanCaches((0..n).map(|_| Default::default()).collect())
    }

    /// This thread's cache (one thread each; the last slot serves a caller
    /// outside the pool). Never waits: if the thread already holds its
    /// cache (a task stolen while a part is being read), it gets a fresh one.
    fn mine(&self) -> CacheHandle<'_> {
        let i = rayon::current_thread_index().unwrap_or(self.0.len() - 1) % self.0.len();
        match self.0[i].try_lock() {
            Ok(guard) => CacheHandle::Shared(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => CacheHandle::Shared(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => CacheHandle::Own(PlanCache::default()),
        }
    }
}

enum CacheHandle<'a> {
    Shared(std::sync::MutexGuard<'a, PlanCache>),
    Own(PlanCache),
}

impl std::ops::Deref for CacheHandle<'_> {
    type Target = PlanCache;
    fn deref(&self) -> &PlanCache {
        match self {
            CacheHandle::Shared(g) => g,
            CacheHandle::Own(c) => c,
        }
    }
}

impl std::ops::DerefMut for CacheHandle<'_> {
    fn deref_mut(&mut self) -> &mut PlanCache {
        match self {
            CacheHandle::Shared(g) => g,
            CacheHandle::Own(c) => c,
        }
    }
}

/// The hasher of runs' identities: ahash with fixed seeds, so every pass
/// gives a run the same hash (a collision only costs a second look).
fn key_hasher() -> polars::prelude::PlRandomState {
    polars::prelude::PlRandomState::with_seeds(
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    )
}

/// The run's identity hashed (never 0, which marks a row the check
/// refused).
fn key_hash(cols: &RunColumns, i: usize) -> u64 {
    let (Some(region), Some(app), Some(run), Some(attempt)) = (
        cols.region(i),
        cols.application_id(i),
        cols.job_run_id(i),
        cols.attempt(i),
    ) else {
        return 0;
    };
    key_hasher().hash_one((region, app, run, attempt)).max(1)
}

fn label(cols: &RunColumns, i: usize) -> String {
    format!(
        "{}/{}#{}",
        cols.application_id(i).unwrap_or_default(),
        cols.job_run_id(i).unwrap_or_default(),
        cols.attempt(i).unwrap_or(1)
    )
}

/// Checks and prices one part.
#[allow(clippy::too_many_arguments)]
fn run_part<S: Sink>(
    sink: &S,
    input: &Input<'_>,
    fleet: &FleetPricer<'_, '_>,
    cache: &mut PlanCache,
    superseded: &HashMap<u64, u64>,
    name: &str,
    part: &Part,
    first_row: u64,
) -> Result<PartOut<S::Chunk>, FileError> {
    let cols =
        RunColumns::new(&part.frame, input.defaults).map_err(|message| FileError::BadTable {
            file: name.to_string(),
            message,
        })?;
    let mut out = PartOut {
        chunk: sink.chunk(cols.len()),
        peak_ratios: Vec::new(),
        not_priced: NotPriced::default(),
        used: RowsUsed::default(),
        hashes: Vec::with_capacity(cols.len()),
        in_window: 0,
        priced: 0,
    };
    for (at, why) in &part.unreadable {
        out.not_priced.reject(at.clone(), why);
    }
    let w = input.window;
    for i in 0..cols.len() {
        let row = first_row + i as u64;
        // Only a row that passes the check stands for its run: a broken
        // later copy does not push out a good earlier one.
        let facts = cols.facts(i);
        let hash = if facts.is_ok() { key_hash(&cols, i) } else { 0 };
        out.hashes.push(hash);
        if let Some(was) = superseded.get(&row) {
            // The input is read again to leave repeats out: the row must
            // still be the run it was.
            if *was != hash {
                return Err(FileError::BadTable {
                    file: name.to_string(),
                    message: format!(
                        "{} changed while it was being read; run again",
                        part.at.describe(name, i)
                    ),
                });
            }
            out.not_priced.reject(
                part.at.describe(name, i),
                &Reject::Superseded {
                    run: label(&cols, i),
                },
            );
            continue;
        }
        let facts = match facts {
            Ok(f) => f,
            Err(why) => {
                out.not_priced.reject(part.at.describe(name, i), &why);
                continue;
            }
        };
        if w.is_set() {
            match facts.start_ms {
                Some(t)
                    if w.since_ms.is_none_or(|s| t >= s) && w.until_ms.is_none_or(|u| t < u) => {}
                Some(_) => continue,
                None => {
                    out.not_priced
                        .reject(part.at.describe(name, i), &Reject::NoTimeForWindow);
                    continue;
                }
            }
        }
        out.in_window += 1;
        // The check made sure there is a region.
        let region = cols.region(i).unwrap_or_default();
        match fleet.price_in(&facts, region, cache, &mut out.used) {
            Ok(cost) => {
                out.priced += 1;
                if let Some(r) = crate::cost::shape::measured_peak_ratio(&facts, &cost.shape) {
                    out.peak_ratios.push(r);
                }
                sink.add(
                    &mut out.chunk,
                    Priced {
                        cols: &cols,
                        at: i,
                        row,
                        facts: &facts,
                        cost: &cost,
                        region,
                    },
                );
            }
            Err(reason) => out.not_priced.unprice(UnpricedReason {
                index: row as usize,
                job: part.at.describe(name, i),
                reason,
            }),
        }
    }
    sink.close(&mut out.chunk, &cols);
    Ok(out)
}

/// Checks and prices one batch into `sink`. Each part is checked and
/// priced as a task of its own; this thread merges the parts in input
/// order as they are done, while the pool goes on with the later ones (a
/// batch is at most a few hundred thousand rows, so what waits to be
/// merged stays small).
#[allow(clippy::too_many_arguments)]
fn take_batch<S: Sink>(
    input: &Input<'_>,
    fleet: &FleetPricer<'_, '_>,
    caches: &PlanCaches,
    superseded: &HashMap<u64, u64>,
    sink: &S,
    name: &str,
    batch: &[Part],
    next_row: &mut u64,
    out: &mut Outcome,
    hashes: &mut Vec<u64>,
) -> Result<(), PipelineError> {
    let mut first = Vec::with_capacity(batch.len());
    for part in batch {
        first.push(*next_row);
        *next_row += part.frame.height() as u64;
    }
    let one = |part: &Part, first: u64| {
        let mut cache = caches.mine();
        run_part(
            sink, input, fleet, &mut cache, superseded, name, part, first,
        )
    };
    let mut merge = |r: Result<PartOut<S::Chunk>, FileError>| -> Result<(), PipelineError> {
        let p = r?;
        out.rows += p.hashes.len();
        out.in_window += p.in_window;
        out.priced += p.priced;
        out.not_priced.merge(p.not_priced);
        out.rows_used.merge(p.used);
        out.peak_ratios.extend(p.peak_ratios);
        hashes.extend(p.hashes);
        sink.merge(p.chunk)
    };
    if rayon::current_thread_index().is_some() {
        // Called from a pool thread, which must not wait on the pool's
        // tasks: the parts in parallel, then merged.
        let results: Vec<_> = batch
            .par_iter()
            .zip(first.par_iter())
            .map(|(part, first)| one(part, *first))
            .collect();
        return results.into_iter().try_for_each(merge);
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel();
    rayon::in_place_scope(|scope| {
        for (i, (part, first)) in batch.iter().zip(&first).enumerate() {
            let (tx, stop, one) = (tx.clone(), &stop, &one);
            scope.spawn(move |_| {
                // After a failure the rest are not worth doing.
                if !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = tx.send((i, one(part, *first)));
                }
            });
        }
        drop(tx);
        let mut done: Vec<Option<Result<PartOut<S::Chunk>, FileError>>> =
            (0..batch.len()).map(|_| None).collect();
        let mut next = 0;
        let mut failed = None;
        for (i, r) in rx {
            done[i] = Some(r);
            while let Some(r) = done.get_mut(next).and_then(Option::take) {
                next += 1;
                if failed.is_none() {
                    if let Err(e) = merge(r) {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        failed = Some(e);
                    }
                }
            }
        }
        failed.map_or(Ok(()), Err)
    })
}

/// One pass over every source into `sink`, leaving out `superseded` rows.
/// Returns the outcome and every row's key hash, in input order.
fn pass<S: Sink>(
    input: &Input<'_>,
    fleet: &FleetPricer<'_, '_>,
    superseded: &HashMap<u64, u64>,
    sink: &S,
) -> Result<(Outcome, Vec<u64>), PipelineError> {
    let mut out = Outcome::default();
    let mut hashes: Vec<u64> = Vec::new();
    let mut next_row = 0u64;
    let caches = PlanCaches::new();
    for source in input.sources {
        let name = source.name();
        if let Some(rows) = source.rows_hint() {
            sink.expect(rows);
        }
        // The reader's callback speaks FileError; a sink's own failure is
        // kept here and the reading stopped.
        let mut failed: Option<PipelineError> = None;
        let extras = source.read(None, &mut |batch| {
            take_batch(
                input,
                fleet,
                &caches,
                superseded,
                sink,
                &name,
                &batch,
                &mut next_row,
                &mut out,
                &mut hashes,
            )
            .map_err(|e| match e {
                PipelineError::File(e) => e,
                other => {
                    failed = Some(other);
                    FileError::Stopped
                }
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        let extras = extras?;
        out.idle_capacity.extend(extras.idle_capacity);
        // A cluster is in the report when it overlaps the window; a
        // cluster two inputs hold is one cluster (the later input's).
        let w = input.window;
        for c in extras.clusters {
            let from = c.created.map(|t| t.timestamp_millis());
            let to = c.ended.map(|t| t.timestamp_millis());
            let before = w.since_ms.is_some_and(|s| to.is_some_and(|t| t < s));
            let after = w.until_ms.is_some_and(|u| from.is_some_and(|f| f >= u));
            if before || after {
                continue;
            }
            out.clusters
                .retain(|o| !(o.region == c.region && o.cluster_id == c.cluster_id));
            out.clusters.push(c);
        }
        for e in extras.event_logs {
            let t = e.created_at.map(|t| t.timestamp_millis());
            let inside = t.is_none_or(|t| {
                w.since_ms.is_none_or(|s| t >= s) && w.until_ms.is_none_or(|u| t < u)
            });
            if inside {
                out.event_logs.retain(|o| {
                    !(o.region == e.region
                        && o.application_id == e.application_id
                        && o.job_run_id == e.job_run_id
                        && o.attempt == e.attempt)
                });
                out.event_logs.push(e);
            }
        }
        out.inputs.push(name);
    }
    Ok((out, hashes))
}

/// Hashes that occur more than once (0, a row the check refused, aside).
fn repeated(hashes: &[u64]) -> HashSet<u64> {
    // The hashes are uniform, so their top byte cuts them into 256 buckets
    // of about the same size; each is sorted apart, in cache and in
    // parallel, instead of one sort over every run.
    let bucket = |h: u64| (h >> 56) as usize;
    let mut sizes = [0usize; 256];
    for h in hashes.iter().filter(|h| **h != 0) {
        sizes[bucket(*h)] += 1;
    }
    let mut next = [0usize; 256];
    for b in 1..256 {
        next[b] = next[b - 1] + sizes[b - 1];
    }
    let mut flat = vec![0u64; sizes.iter().sum()];
    for h in hashes.iter().filter(|h| **h != 0) {
        let at = &mut next[bucket(*h)];
        flat[*at] = *h;
        *at += 1;
    }
    let mut buckets = Vec::with_capacity(256);
    let mut rest = flat.as_mut_slice();
    for n in sizes {
        let (b, tail) = rest.split_at_mut(n);
        buckets.push(b);
        rest = tail;
    }
    buckets
        .into_par_iter()
        .flat_map_iter(|b| {
            b.sort_unstable();
            b.windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0])
                .collect::<Vec<u64>>()
        })
        .collect()
}

/// The rows superseded by a later record of the same run, from the real
/// keys of the rows whose hashes repeat (so a hash collision drops nothing),
/// each with its hash (the next read checks it is still the same run).
fn superseded_rows(
    input: &Input<'_>,
    hashes: &[u64],
    repeats: &HashSet<u64>,
) -> Result<HashMap<u64, u64>, PipelineError> {
    // The required columns too, so the check's column test passes.
    const KEY: [&str; 5] = ["region", "application_id", "job_run_id", "attempt", "state"];
    let mut last: HashMap<(String, String, String, u32), u64> = HashMap::new();
    let mut out = HashMap::new();
    let mut next_row = 0u64;
    for source in input.sources {
        let name = source.name();
        source.read(Some(&KEY), &mut |batch| {
            for part in batch {
                let first = next_row;
                next_row += part.frame.height() as u64;
                let wanted = (0..part.frame.height()).any(|i| {
                    hashes
                        .get(first as usize + i)
                        .is_some_and(|h| repeats.contains(h))
                });
                if !wanted {
                    continue;
                }
                let cols = RunColumns::new(&part.frame, input.defaults).map_err(|message| {
                    FileError::BadTable {
                        file: name.clone(),
                        message,
                    }
                })?;
                for i in 0..cols.len() {
                    let row = first + i as u64;
                    if !hashes
                        .get(row as usize)
                        .is_some_and(|h| repeats.contains(h))
                    {
                        continue;
                    }
                    let key = (
                        cols.region(i).unwrap_or_default().to_string(),
                        cols.application_id(i).unwrap_or_default().to_string(),
                        cols.job_run_id(i).unwrap_or_default().to_string(),
                        cols.attempt(i).unwrap_or(1),
                    );
                    if let Some(earlier) = last.insert(key, row) {
                        out.insert(earlier, hashes.get(earlier as usize).copied().unwrap_or(0));
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// Runs the pipeline: every source, checked, de-duplicated, windowed and
/// priced into a sink from `make_sink`. The sink of a pass that met
/// repeated runs is dropped and a fresh one filled again without them.
///
/// **Peak factor.** Where no `--peak-factor` was given and some runs have
/// a measured peak (CloudWatch metrics, an event log) beside their usage,
/// the median of their peak / average becomes the factor for the runs
/// without one, and the input is priced again under it
/// ([`Outcome::assumptions`]). Inputs without measured peaks are read once.
pub fn run<S: Sink>(
    input: &Input<'_>,
    pricer: &Pricer<'_>,
    mut make_sink: impl FnMut() -> Result<S, PipelineError>,
) -> Result<(S, Outcome), PipelineError> {
    let (sink, outcome) = run_once(input, pricer, &mut make_sink)?;
    let Some(measured) = measured_peak_factor(pricer.assumptions(), &outcome.peak_ratios) else {
        return Ok((sink, outcome));
    };
    drop(sink);
    let again = Pricer::new(pricer.book(), measured.clone());
    let (sink, mut outcome) = run_once(input, &again, &mut make_sink)?;
    outcome.assumptions = Some(measured);
    Ok((sink, outcome))
}

/// The assumptions with the peak factor measured from `ratios` (their
/// median, at least 1), when the factor was left to its default.
pub fn measured_peak_factor(
    a: &crate::cost::Assumptions,
    ratios: &[f64],
) -> Option<crate::cost::Assumptions> {
    if a.peak_factor_basis != crate::cost::PeakFactorBasis::Default || ratios.is_empty() {
        return None;
    }
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    };
    Some(crate::cost::Assumptions {
        peak_factor: median.clamp(1.0, 100.0),
        peak_factor_basis: crate::cost::PeakFactorBasis::Measured { runs: sorted.len() },
        ..a.clone()
    })
}

fn run_once<S: Sink>(
    input: &Input<'_>,
    pricer: &Pricer<'_>,
    make_sink: &mut impl FnMut() -> Result<S, PipelineError>,
) -> Result<(S, Outcome), PipelineError> {
    let fleet = pricer.fleet();
    let none = HashMap::new();
    let sink = make_sink()?;
    let (outcome, hashes) = pass(input, &fleet, &none, &sink)?;
    let repeats = repeated(&hashes);
    if repeats.is_empty() {
        return Ok((sink, outcome));
    }
    let superseded = superseded_rows(input, &hashes, &repeats)?;
    drop(hashes);
    if superseded.is_empty() {
        // Only a hash collision: nothing to take out.
        return Ok((sink, outcome));
    }
    drop(sink);
    let sink = make_sink()?;
    let (outcome, _) = pass(input, &fleet, &superseded, &sink)?;
    Ok((sink, outcome))
}

/// Every record of a source, checked, as a record or why not (with where
/// it was): for rewriting a file of runs, not for pricing.
pub fn each_record(
    source: &Source,
    defaults: &Defaults,
    each: &mut dyn FnMut(Result<crate::model::JobRun, (String, Reject)>),
) -> Result<(), FileError> {
    let name = source.name();
    source.read(None, &mut |batch| {
        for part in batch {
            for (at, why) in part.unreadable {
                each(Err((at, why)));
            }
            let cols =
                RunColumns::new(&part.frame, defaults).map_err(|message| FileError::BadTable {
                    file: name.clone(),
                    message,
                })?;
            for i in 0..cols.len() {
                each(
                    cols.job_run(i)
                        .map_err(|why| (part.at.describe(&name, i), why)),
                );
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Every record of the sources that passes the check, as records and not
/// priced (for rewriting a file of runs); the refused ones are counted.
pub fn read_runs(
    sources: &[Source],
    defaults: &Defaults,
) -> Result<(Vec<crate::model::JobRun>, NotPriced), PipelineError> {
    let mut runs = Vec::new();
    let mut left_out = NotPriced::default();
    for source in sources {
        each_record(source, defaults, &mut |r| match r {
            Ok(run) => runs.push(run),
            Err((at, why)) => left_out.reject(at, &why),
        })?;
    }
    Ok((runs, left_out))
}

#[cfg(test)]
mod tests {
    use super::repeated;

    #[test]
    fn repeated_finds_each_hash_seen_twice_in_any_bucket() {
        // Spread over the top byte (the buckets), with 0 (refused rows)
        // repeated but never reported.
        let mut hashes: Vec<u64> = (1..=50_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let twice = [hashes[7], hashes[40_000], u64::MAX, 1 << 63];
        hashes.extend([0, 0, hashes[7], u64::MAX, 1 << 63, u64::MAX]);
        hashes.insert(0, hashes[40_000]);
        hashes.extend([1 << 63]);
        let mut got: Vec<u64> = repeated(&hashes).into_iter().collect();
        got.sort_unstable();
        let mut want = twice.to_vec();
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(repeated(&[0, 0, 5, 6]).is_empty());
        assert!(repeated(&[]).is_empty());
    }
}
