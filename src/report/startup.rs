//! Why EMR Serverless runs waited before they ran, and what the waiting
//! costs: each run's startup (creation to RUNNING, less time QUEUED) given
//! one likely cause by rules written here and printed in the report, per
//! application percentiles by cause, and what-ifs priced by the cost model.
//!
//! It needs what only a collected dataset has: each application's
//! configuration (pre-initialized capacity, auto-stop, scheduler) and what
//! each run asked for. FACTS.md sections 2, 5 and 11.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::collect::dataset::{self, ApplicationInfo, DatasetState, InitialCapacity, RunRequest};
use crate::cost::Pricer;
use crate::input::Source;
use crate::model::JobRun;
use crate::pipeline::Window;

/// A start this quick is a warm start, not a wait (AWS: pre-initialized
/// workers start jobs "in seconds"). emrcost's threshold.
pub const WARM_START_SECONDS: f64 = 30.0;
/// Time in QUEUED shorter than this is not called queueing.
const QUEUED_MS: u64 = 1000;
/// EMR Serverless's Spark defaults (FACTS.md section 2): 4 cores and 14 GB
/// of heap for driver and executors, 3 initial executors, overhead factor
/// 0.1 with Spark's 384 MB floor; auto-stop after 15 idle minutes.
const DEFAULT_CORES: f64 = 4.0;
const DEFAULT_HEAP_GB: f64 = 14.0;
const DEFAULT_INITIAL_EXECUTORS: u32 = 3;
const OVERHEAD_FACTOR: f64 = 0.1;
const OVERHEAD_FLOOR_GB: f64 = 0.375;
const DEFAULT_IDLE_TIMEOUT_MIN: u32 = 15;
/// What a cold start takes when the data has none to measure: the low end
/// of the 2-5 minutes users report. emrcost's assumption, printed.
pub const ASSUMED_COLD_START_SECONDS: f64 = 120.0;
/// What a warm start takes when the data has none to measure: AWS says
/// "seconds". emrcost's assumption, printed.
pub const ASSUMED_WARM_START_SECONDS: f64 = 10.0;
/// The runs shown one by one (slowest first) and in the waterfall.
pub const LISTED_RUNS: usize = 25;

/// The rules, in the order they are tried; the report prints them.
pub const RULES: [(&str, &str); 7] = [
    ("queued", "queued behind the concurrency limit: time in QUEUED (queuedDurationMilliseconds) of at least 1 s and longer than the startup after it; QUEUED happens only while maxConcurrentRuns runs are running"),
    ("warm", "no wait: RUNNING within 30 s of creation, less any queueing"),
    ("no_pool", "no pre-initialized capacity: the application has no initialCapacity, so every worker is started for the job"),
    ("size_mismatch", "size does not fit the warm pool: the job's driver or executor (cores, and heap plus Spark's overhead of 10%, at least 384 MB) is not the pool's worker of that type (same vCPU, memory at least that), so the job cannot use the pool whatever its state (the documented shape of the rule, from AWS's samples; EMR Serverless's defaults, 4 cores and 14 GB, where the job sets none)"),
    ("pool_released", "pool released by auto-stop: no run of the application was running, and the last one ended longer before this run was created than the auto-stop idle timeout (15 minutes unless set), so the pre-initialized workers had been released and were started again"),
    ("demand_above_pool", "demand above the pool: the job's initial executors (spark.dynamicAllocation.initialExecutors or spark.executor.instances, else 3) plus those of the application's runs running at the time are more than the pool's executor workers (or its drivers are all taken), so on-demand workers were started"),
    ("unexplained", "unexplained: a wait of more than 30 s that none of the rules above accounts for"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Queued,
    Warm,
    NoPool,
    PoolReleased,
    SizeMismatch,
    DemandAbovePool,
    Unexplained,
}

impl Cause {
    /// The rule's short name, as in the JSON.
    pub fn key(self) -> &'static str {
        match self {
            Cause::Queued => "queued",
            Cause::Warm => "warm",
            Cause::NoPool => "no_pool",
            Cause::PoolReleased => "pool_released",
            Cause::SizeMismatch => "size_mismatch",
            Cause::DemandAbovePool => "demand_above_pool",
            Cause::Unexplained => "unexplained",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cause::Queued => "queued behind the concurrency limit",
            Cause::Warm => "no wait (warm start)",
            Cause::NoPool => "no pre-initialized capacity",
            Cause::PoolReleased => "pool released by auto-stop",
            Cause::SizeMismatch => "size does not fit the warm pool",
            Cause::DemandAbovePool => "demand above the pool",
            Cause::Unexplained => "unexplained",
        }
    }
}

/// One run's wait.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStartup {
    pub region: String,
    pub application_id: String,
    pub job_run_id: String,
    pub job_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub queued_s: f64,
    /// Creation to RUNNING, less the time QUEUED.
    pub startup_s: f64,
    pub runtime_s: f64,
    /// With `collect --metrics`: creation to the first minute with an
    /// executor, and to the first minute at the run's peak (CloudWatch's
    /// one-minute resolution).
    pub to_first_executor_s: Option<f64>,
    pub to_peak_s: Option<f64>,
    pub cause: Cause,
    /// The figures the rule used.
    pub detail: String,
}

impl RunStartup {
    pub fn wait_s(&self) -> f64 {
        self.queued_s + self.startup_s
    }
}

/// One cause's share of an application's runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseStats {
    pub cause: Cause,
    pub runs: usize,
    /// Queue plus startup, seconds.
    pub wait_p50_s: f64,
    pub wait_p95_s: f64,
    pub wait_hours: f64,
}

/// A change to the application, priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    pub name: String,
    /// What keeping pre-initialized workers started would cost over the
    /// period, against today's (positive: more).
    pub pool_cost_change_usd: f64,
    /// Startup seconds the runs would save (negative: they would wait more).
    pub startup_seconds_saved: f64,
    pub how: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppStartup {
    pub region: String,
    pub application_id: String,
    pub name: Option<String>,
    /// The configuration the runs were judged against.
    pub pool: String,
    pub runs: usize,
    pub causes: Vec<CauseStats>,
    /// Hours the pre-initialized workers were billed with nothing usable
    /// to the runs that waited on a size mismatch, and what that cost.
    pub idle_pool_while_waiting_hours: f64,
    pub idle_pool_while_waiting_usd: f64,
    /// The runs' waiting time at `--wait-cost-per-hour` (none if unset).
    pub wait_cost_usd: Option<f64>,
    pub what_ifs: Vec<WhatIf>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StartupReport {
    pub rules: Vec<String>,
    pub assumptions: Vec<String>,
    pub applications: Vec<AppStartup>,
    /// The slowest runs, longest wait first.
    pub slowest: Vec<RunStartup>,
}

/// Settings from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// What an hour of a run's waiting costs the user (people, SLAs).
    pub wait_cost_per_hour: Option<f64>,
    /// Right-sizing's headroom over the observed peak (0.2 = 20%).
    pub headroom: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            wait_cost_per_hour: None,
            headroom: 0.2,
        }
    }
}

/// A collected run and the state of the dataset it came from.
pub type Collected = (JobRun, Arc<DatasetState>);

/// The EMR Serverless runs of the collected datasets among `sources` in
/// the window, each with its dataset's state (applications, requests,
/// metrics): what the startup and right-sizing analyses read.
pub fn collected_runs(sources: &[Source], window: Window) -> Vec<Collected> {
    let mut out = Vec::new();
    for s in sources {
        let Source::Dataset(dir) = s else { continue };
        let Ok((runs, state, _)) = dataset::read(dir) else {
            continue;
        };
        let state = Arc::new(state);
        for r in runs {
            let t = r.created_at.map(|t| t.timestamp_millis());
            let inside = t.is_some_and(|t| {
                window.since_ms.is_none_or(|s| t >= s) && window.until_ms.is_none_or(|u| t < u)
            });
            if inside && r.glue.is_none() && r.ec2_cost_usd.is_none() {
                out.push((r, state.clone()));
            }
        }
    }
    out
}

/// Why the runs (each with its dataset's state, [`collected_runs`])
/// waited, or `None` when none of them ran.
pub fn analyse(
    runs: &[Collected],
    pricer: &Pricer<'_>,
    settings: Settings,
) -> Option<StartupReport> {
    // Per application, its runs in creation order.
    let mut by_app: BTreeMap<(String, String), Vec<&Collected>> = BTreeMap::new();
    for item in runs {
        let r = &item.0;
        if r.created_at.is_none() || r.started_at.is_none() {
            continue;
        }
        if item
            .1
            .application_at(&r.region, &r.application_id, r.created_at)
            .is_none()
        {
            continue;
        }
        by_app
            .entry((r.region.clone(), r.application_id.clone()))
            .or_default()
            .push(item);
    }
    if by_app.is_empty() {
        return None;
    }
    let mut applications = Vec::new();
    let mut every = Vec::new();
    for ((region, app_id), mut items) in by_app {
        items.sort_by_key(|(r, _)| (r.created_at, r.job_run_id.clone()));
        let state = &items[0].1;
        let lines: Vec<(RunStartup, &ApplicationInfo, RunRequest)> = items
            .iter()
            .map(|(r, st)| {
                let app = st
                    .application_at(&r.region, &r.application_id, r.created_at)
                    .expect("filtered above");
                let req = st.request(r).cloned().unwrap_or_default();
                let mut line = classify(r, app, &req, &items);
                if let Some(m) = st.job_metrics.iter().find(|m| {
                    m.region == r.region
                        && m.application_id == r.application_id
                        && m.job_run_id == r.job_run_id
                }) {
                    let since = |minute: Option<i64>| {
                        minute.map(|t| (t as f64 - line.created_at.timestamp() as f64).max(0.0))
                    };
                    line.to_first_executor_s = since(m.first_executor_minute);
                    line.to_peak_s = since(m.peak_minute);
                }
                (line, app, req)
            })
            .collect();
        let latest = state
            .application_at(&region, &app_id, Some(Utc::now()))
            .expect("filtered above");
        applications.push(summarise(latest, &lines, &items, pricer, settings));
        every.extend(lines.into_iter().map(|(l, _, _)| l));
    }
    every.sort_by(|a, b| b.wait_s().total_cmp(&a.wait_s()));
    every.truncate(LISTED_RUNS);
    Some(StartupReport {
        rules: RULES.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        assumptions: vec![
            format!("A wait under {WARM_START_SECONDS:.0} s is a warm start (AWS: pre-initialized workers start jobs in seconds); emrcost's threshold."),
            "Where a run sets no Spark sizes, EMR Serverless's defaults apply: 4 cores and 14 GB heap for driver and executors, 3 initial executors (AWS: Spark defaults on EMR Serverless).".into(),
            format!("What-ifs take a warm start as the median startup of the application's warm runs (with none, {ASSUMED_WARM_START_SECONDS:.0} s: AWS says seconds), and a cold start as the median of its runs that had no pool or a released one (with none, {ASSUMED_COLD_START_SECONDS:.0} s, the low end of the 2-5 minutes users report); both fallbacks are emrcost's assumptions."),
            "The pool is billed while the application is started: from a run's creation until the auto-stop idle timeout after the last run ends (auto-start on). Its cost is each worker's vCPU, memory and storage above 20 GB at the application's region's EMR Serverless rates.".into(),
        ],
        applications,
        slowest: every,
    })
}

fn secs(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<f64> {
    Some((b? - a?).num_milliseconds() as f64 / 1000.0)
}

fn pool_of<'a>(app: &'a ApplicationInfo, role: &str) -> Option<&'a InitialCapacity> {
    app.initial_capacity
        .iter()
        .find(|c| c.worker_type.eq_ignore_ascii_case(role))
}

/// Memory a Spark process of `heap_gb` needs: heap plus overhead.
fn with_overhead(heap_gb: f64) -> f64 {
    heap_gb + (heap_gb * OVERHEAD_FACTOR).max(OVERHEAD_FLOOR_GB)
}

fn idle_timeout(app: &ApplicationInfo) -> Option<u32> {
    match app.auto_stop {
        Some(false) => None,
        _ => Some(app.idle_timeout_minutes.unwrap_or(DEFAULT_IDLE_TIMEOUT_MIN)),
    }
}

/// Whether `other` was running at `t`.
fn running_at(other: &JobRun, t: DateTime<Utc>) -> bool {
    other.started_at.is_some_and(|s| s <= t) && other.ended_at.is_none_or(|e| e > t)
}

fn classify(
    run: &JobRun,
    app: &ApplicationInfo,
    req: &RunRequest,
    siblings: &[&Collected],
) -> RunStartup {
    // A retried attempt waits from its own creation (attemptCreatedAt).
    let created = req
        .attempt_created_at
        .filter(|_| run.attempt > 1)
        .or(run.created_at)
        .expect("filtered");
    let queued_s = run.queued_ms.unwrap_or(0) as f64 / 1000.0;
    let to_running = secs(Some(created), run.started_at).unwrap_or(0.0).max(0.0);
    let startup_s = (to_running - queued_s).max(0.0);
    let runtime_s = secs(run.started_at, run.ended_at)
        .or(run.duration_s)
        .unwrap_or(0.0)
        .max(0.0);
    let others: Vec<&JobRun> = siblings
        .iter()
        .map(|(r, _)| r)
        .filter(|r| r.job_run_id != run.job_run_id && r.created_at.is_some_and(|c| c <= created))
        .collect();
    let line = |cause: Cause, detail: String| RunStartup {
        region: run.region.clone(),
        application_id: run.application_id.clone(),
        job_run_id: run.job_run_id.clone(),
        job_name: run.job_name.clone(),
        created_at: created,
        queued_s,
        startup_s,
        runtime_s,
        to_first_executor_s: None,
        to_peak_s: None,
        cause,
        detail,
    };
    if run.queued_ms.unwrap_or(0) >= QUEUED_MS && queued_s > startup_s {
        return line(
            Cause::Queued,
            format!(
                "{queued_s:.0} s in QUEUED, then {startup_s:.0} s to start; the application runs at most {} at once",
                app.max_concurrent_runs
                    .map_or("15 (the default)".to_string(), |n| n.to_string())
            ),
        );
    }
    if startup_s < WARM_START_SECONDS {
        return line(
            Cause::Warm,
            format!("RUNNING {startup_s:.0} s after creation"),
        );
    }
    if app.initial_capacity.is_empty() {
        return line(
            Cause::NoPool,
            format!("{startup_s:.0} s to start; the application has no pre-initialized capacity"),
        );
    }
    if let Some((role, cores, heap, need, pool)) = misfit(req, &app.initial_capacity) {
        {
            return line(
                Cause::SizeMismatch,
                format!(
                    "{startup_s:.0} s to start; the {} asks {cores} vCPU and {heap} GB + {:.2} GB overhead = {need:.2} GB, the pool's {} workers are {} vCPU, {} GB",
                    role.to_ascii_lowercase(),
                    need - heap,
                    pool.worker_type,
                    pool.vcpu,
                    pool.memory_gb
                ),
            );
        }
    }
    let busy = others.iter().any(|o| running_at(o, created));
    if let (Some(timeout), false) = (idle_timeout(app), busy) {
        let last_end = others
            .iter()
            .filter_map(|o| o.ended_at)
            .filter(|e| *e <= created)
            .max();
        if let Some(end) = last_end {
            let idle_s = (created - end).num_milliseconds() as f64 / 1000.0;
            if idle_s > f64::from(timeout) * 60.0 {
                return line(
                    Cause::PoolReleased,
                    format!(
                        "{startup_s:.0} s to start; the application had been idle {} (auto-stop after {timeout} min), so its pool had been released",
                        crate::report::export::duration(idle_s)
                    ),
                );
            }
        }
    }
    let initial = |r: &RunRequest| r.initial_executors.unwrap_or(DEFAULT_INITIAL_EXECUTORS);
    let concurrent: Vec<&JobRun> = others
        .iter()
        .copied()
        .filter(|o| running_at(o, created))
        .collect();
    let held: u32 = concurrent
        .iter()
        .map(|o| {
            siblings
                .iter()
                .find(|(r, _)| r.job_run_id == o.job_run_id && r.attempt == o.attempt)
                .and_then(|(r, st)| st.request(r))
                .map_or(DEFAULT_INITIAL_EXECUTORS, initial)
        })
        .sum();
    let want = initial(req);
    if let Some(pool) = pool_of(app, "Executor") {
        if want + held > pool.workers {
            return line(
                Cause::DemandAbovePool,
                format!(
                    "{startup_s:.0} s to start; the job asks {want} initial executors, the pool has {} executor workers{}",
                    pool.workers,
                    if held > 0 {
                        format!(" and {held} were held by {} run(s) running then", concurrent.len())
                    } else {
                        String::new()
                    }
                ),
            );
        }
    }
    if let Some(pool) = pool_of(app, "Driver") {
        if concurrent.len() as u32 + 1 > pool.workers {
            return line(
                Cause::DemandAbovePool,
                format!(
                    "{startup_s:.0} s to start; the pool's {} driver worker(s) were all taken by {} run(s) running then",
                    pool.workers,
                    concurrent.len()
                ),
            );
        }
    }
    line(
        Cause::Unexplained,
        format!(
            "{startup_s:.0} s to start with the pool fitting the job and nothing queued{}",
            if others.is_empty() {
                "; no earlier run of the application is in the data, so whether auto-stop had released the pool is unknown"
            } else {
                " while the application was in use"
            }
        ),
    )
}

/// The first of the job's driver and executor that the pool's worker of
/// that type does not hold: (role, cores, heap, heap with overhead, worker).
fn misfit<'a>(
    req: &RunRequest,
    pool: &'a [InitialCapacity],
) -> Option<(&'static str, f64, f64, f64, &'a InitialCapacity)> {
    [
        ("Driver", req.driver_cores, req.driver_memory_gb),
        ("Executor", req.executor_cores, req.executor_memory_gb),
    ]
    .into_iter()
    .find_map(|(role, cores, heap)| {
        let worker = pool
            .iter()
            .find(|c| c.worker_type.eq_ignore_ascii_case(role))?;
        let cores = cores.unwrap_or(DEFAULT_CORES);
        let heap = heap.unwrap_or(DEFAULT_HEAP_GB);
        let need = with_overhead(heap);
        (cores != worker.vcpu || need > worker.memory_gb + 1e-9)
            .then_some((role, cores, heap, need, worker))
    })
}

/// `x`, with -0 as 0 (so nothing prints "-0").
fn tidy(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(percentile(&v, 0.5))
}

/// What the pool costs an hour: each worker's vCPU, memory and storage
/// above the 20 GB free, at the application's rates.
fn pool_usd_per_hour(app: &ApplicationInfo, pool: &[InitialCapacity], pricer: &Pricer<'_>) -> f64 {
    let Ok(rate) = pricer.book().serverless_rate(&app.region, app.architecture) else {
        return 0.0;
    };
    pool.iter()
        .map(|c| {
            f64::from(c.workers)
                * (c.vcpu * rate.vcpu_hour_usd
                    + c.memory_gb * rate.memory_gb_hour_usd
                    + (c.disk_gb - 20.0).max(0.0) * rate.storage_gb_hour_usd)
        })
        .sum()
}

/// Hours the application is started (and a pool billed) when it stops
/// `timeout` minutes after its last run ends: the union of each run's
/// creation to its end plus the timeout.
fn started_hours(runs: &[&JobRun], timeout: Option<u32>) -> f64 {
    let Some(timeout) = timeout else {
        // Never stops: from the first creation to the last end.
        let first = runs.iter().filter_map(|r| r.created_at).min();
        let last = runs
            .iter()
            .filter_map(|r| r.ended_at.or(r.started_at))
            .max();
        return secs(first, last).unwrap_or(0.0).max(0.0) / 3600.0;
    };
    let mut spans: Vec<(i64, i64)> = runs
        .iter()
        .filter_map(|r| {
            let from = r.created_at?.timestamp_millis();
            let to = r.ended_at.or(r.started_at)?.timestamp_millis() + i64::from(timeout) * 60_000;
            Some((from, to.max(from)))
        })
        .collect();
    spans.sort();
    let mut total = 0i64;
    let mut cur: Option<(i64, i64)> = None;
    for (a, b) in spans {
        cur = match cur {
            Some((x, y)) if a <= y => Some((x, y.max(b))),
            Some((x, y)) => {
                total += y - x;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((x, y)) = cur {
        total += y - x;
    }
    total as f64 / 3_600_000.0
}

fn summarise(
    app: &ApplicationInfo,
    lines: &[(RunStartup, &ApplicationInfo, RunRequest)],
    items: &[&Collected],
    pricer: &Pricer<'_>,
    settings: Settings,
) -> AppStartup {
    let mut by_cause: BTreeMap<Cause, Vec<f64>> = BTreeMap::new();
    for (l, _, _) in lines {
        by_cause.entry(l.cause).or_default().push(l.wait_s());
    }
    let causes = by_cause
        .iter()
        .map(|(c, waits)| {
            let mut w = waits.clone();
            w.sort_by(f64::total_cmp);
            CauseStats {
                cause: *c,
                runs: w.len(),
                wait_p50_s: percentile(&w, 0.5),
                wait_p95_s: percentile(&w, 0.95),
                wait_hours: w.iter().sum::<f64>() / 3600.0,
            }
        })
        .collect();
    let pool_hourly = pool_usd_per_hour(app, &app.initial_capacity, pricer);
    let mismatch_hours: f64 = lines
        .iter()
        .filter(|(l, a, _)| l.cause == Cause::SizeMismatch && !a.initial_capacity.is_empty())
        .map(|(l, _, _)| l.startup_s / 3600.0)
        .sum();
    // Warm starts are no wait: only the others are priced.
    let total_wait_h: f64 = lines
        .iter()
        .filter(|(l, _, _)| l.cause != Cause::Warm)
        .map(|(l, _, _)| l.wait_s())
        .sum::<f64>()
        / 3600.0;

    let runs: Vec<&JobRun> = items.iter().map(|(r, _)| r).collect();
    let waits_of = |c: &[Cause]| -> Vec<f64> {
        lines
            .iter()
            .filter(|(l, _, _)| c.contains(&l.cause))
            .map(|(l, _, _)| l.startup_s)
            .collect()
    };
    let warm = median(waits_of(&[Cause::Warm])).unwrap_or(ASSUMED_WARM_START_SECONDS);
    let cold = median(waits_of(&[Cause::NoPool, Cause::PoolReleased]))
        .unwrap_or(ASSUMED_COLD_START_SECONDS);
    let timeout = idle_timeout(app);
    let now_hours = if app.initial_capacity.is_empty() {
        0.0
    } else {
        started_hours(&runs, timeout)
    };
    let now_cost = now_hours * pool_hourly;
    let mut what_ifs = Vec::new();
    if !app.initial_capacity.is_empty() {
        let warm_runs = lines
            .iter()
            .filter(|(l, _, _)| l.cause == Cause::Warm)
            .count();
        what_ifs.push(WhatIf {
            name: "no pool".into(),
            pool_cost_change_usd: tidy(-now_cost),
            startup_seconds_saved: tidy(-(warm_runs as f64) * (cold - warm).max(0.0)),
            how: format!(
                "the pool's {now_hours:.2} started hours at {} an hour are not paid; each of the {warm_runs} warm run(s) starts cold instead ({cold:.0} s against {warm:.0} s)",
                crate::report::export::usd(pool_hourly)
            ),
        });
        for minutes in [5u32, 60] {
            if Some(minutes) == timeout {
                continue;
            }
            let hours = started_hours(&runs, Some(minutes));
            // Released runs whose idle gap the new timeout covers start warm;
            // runs the shorter timeout newly leaves cold start cold.
            let mut saved = 0.0;
            for (l, _, _) in lines {
                let gap = gap_before(&runs, l);
                let released_now = l.cause == Cause::PoolReleased;
                let released_then = gap.is_some_and(|g| g > f64::from(minutes));
                if released_now && !released_then {
                    saved += (l.startup_s - warm).max(0.0);
                } else if !released_now && released_then && l.cause == Cause::Warm {
                    saved -= (cold - warm).max(0.0);
                }
            }
            what_ifs.push(WhatIf {
                name: format!("auto-stop after {minutes} min"),
                pool_cost_change_usd: tidy((hours - now_hours) * pool_hourly),
                startup_seconds_saved: tidy(saved),
                how: format!(
                    "the pool would be started {hours:.2} h instead of {now_hours:.2} h; runs created within {minutes} min of the last run's end find it warm"
                ),
            });
        }
    }
    // A pool sized to fit: the most common job sizes, workers for the
    // largest initial executors seen at once.
    if let Some(fit) = fitted_pool(app, lines, items) {
        let hours = started_hours(&runs, timeout.or(Some(DEFAULT_IDLE_TIMEOUT_MIN)));
        let cost = hours * pool_usd_per_hour(app, &fit, pricer);
        // Runs that waited start warm, unless the fitted pool does not hold
        // them either (a job sized unlike the rest).
        let saved: f64 = lines
            .iter()
            .filter(|(l, _, r)| {
                matches!(
                    l.cause,
                    Cause::SizeMismatch | Cause::DemandAbovePool | Cause::NoPool
                ) && misfit(r, &fit).is_none()
            })
            .map(|(l, _, _)| (l.startup_s - warm).max(0.0))
            .sum();
        what_ifs.push(WhatIf {
            name: "pool sized to fit the jobs".into(),
            pool_cost_change_usd: tidy(cost - now_cost),
            startup_seconds_saved: tidy(saved),
            how: format!(
                "{}, started {hours:.2} h; runs that waited on a size mismatch, on demand above the pool or on having no pool start warm ({warm:.0} s) where it holds them",
                describe_pool(&fit)
            ),
        });
    }
    AppStartup {
        region: app.region.clone(),
        application_id: app.application_id.clone(),
        name: app.name.clone(),
        pool: if app.initial_capacity.is_empty() {
            "no pre-initialized capacity".into()
        } else {
            format!(
                "{}; auto-stop {}",
                describe_pool(&app.initial_capacity),
                timeout.map_or("off".to_string(), |t| format!("after {t} min"))
            )
        },
        runs: lines.len(),
        causes,
        idle_pool_while_waiting_hours: mismatch_hours,
        idle_pool_while_waiting_usd: mismatch_hours * pool_hourly,
        wait_cost_usd: settings.wait_cost_per_hour.map(|r| r * total_wait_h),
        what_ifs,
    }
}

/// Minutes the application had been idle when the run was created (no
/// run running, since the latest end before it).
fn gap_before(runs: &[&JobRun], l: &RunStartup) -> Option<f64> {
    let others = runs.iter().filter(|r| r.job_run_id != l.job_run_id);
    if others.clone().any(|o| running_at(o, l.created_at)) {
        return None;
    }
    let end = others
        .filter_map(|o| o.ended_at)
        .filter(|e| *e <= l.created_at)
        .max()?;
    Some((l.created_at - end).num_milliseconds() as f64 / 60_000.0)
}

fn describe_pool(pool: &[InitialCapacity]) -> String {
    pool.iter()
        .map(|c| {
            format!(
                "{} x {} ({} vCPU, {} GB)",
                c.workers, c.worker_type, c.vcpu, c.memory_gb
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The smallest valid worker memory (FACTS.md section 2's steps) that holds `gb`.
fn worker_memory(vcpu: f64, gb: f64) -> f64 {
    let (lo, hi, step) = match vcpu as u32 {
        1 => (2.0, 8.0, 1.0),
        2 => (4.0, 16.0, 1.0),
        4 => (8.0, 30.0, 1.0),
        8 => (16.0, 60.0, 4.0),
        _ => (32.0, 120.0, 8.0),
    };
    let m = ((gb - lo) / step).ceil().max(0.0) * step + lo;
    m.min(hi)
}

fn fitted_pool(
    app: &ApplicationInfo,
    lines: &[(RunStartup, &ApplicationInfo, RunRequest)],
    items: &[&Collected],
) -> Option<Vec<InitialCapacity>> {
    let waited = lines.iter().any(|(l, _, _)| {
        matches!(
            l.cause,
            Cause::SizeMismatch | Cause::DemandAbovePool | Cause::NoPool
        )
    });
    if !waited {
        return None;
    }
    let common = |f: &dyn Fn(&RunRequest) -> (f64, f64)| -> (f64, f64) {
        let mut counts: HashMap<(u64, u64), usize> = HashMap::new();
        for (_, _, r) in lines {
            let (c, m) = f(r);
            *counts.entry((c.to_bits(), m.to_bits())).or_default() += 1;
        }
        let (c, m) = counts
            .into_iter()
            .max_by_key(|(k, n)| (*n, *k))
            .map_or((DEFAULT_CORES.to_bits(), 16f64.to_bits()), |(k, _)| k);
        (f64::from_bits(c), f64::from_bits(m))
    };
    let size = |cores: Option<f64>, heap: Option<f64>| {
        let c = cores.unwrap_or(DEFAULT_CORES);
        (
            c,
            worker_memory(c, with_overhead(heap.unwrap_or(DEFAULT_HEAP_GB))),
        )
    };
    let (dc, dm) = common(&|r| size(r.driver_cores, r.driver_memory_gb));
    let (ec, em) = common(&|r| size(r.executor_cores, r.executor_memory_gb));
    // Executors asked for at once: each run's initial executors plus those
    // of the runs running at its creation; the largest.
    let mut most = 0u32;
    let mut drivers = 1u32;
    for (l, _, r) in lines {
        let mut n = r.initial_executors.unwrap_or(DEFAULT_INITIAL_EXECUTORS);
        let mut d = 1;
        for (o, st) in items.iter().map(|i| (&i.0, &i.1)) {
            if o.job_run_id != l.job_run_id && running_at(o, l.created_at) {
                n += st
                    .request(o)
                    .and_then(|q| q.initial_executors)
                    .unwrap_or(DEFAULT_INITIAL_EXECUTORS);
                d += 1;
            }
        }
        most = most.max(n);
        drivers = drivers.max(d);
    }
    let disk = |role: &str| pool_of(app, role).map_or(20.0, |c| c.disk_gb);
    Some(vec![
        InitialCapacity {
            worker_type: "Driver".into(),
            workers: drivers,
            vcpu: dc,
            memory_gb: dm,
            disk_gb: disk("Driver"),
        },
        InitialCapacity {
            worker_type: "Executor".into(),
            workers: most,
            vcpu: ec,
            memory_gb: em,
            disk_gb: disk("Executor"),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overhead_is_ten_percent_with_a_384_mb_floor() {
        assert_eq!(with_overhead(14.0), 15.4);
        assert_eq!(with_overhead(2.0), 2.375);
    }

    #[test]
    fn worker_memory_rounds_up_to_a_valid_size() {
        assert_eq!(worker_memory(4.0, 15.4), 16.0);
        assert_eq!(worker_memory(8.0, 17.0), 20.0);
        assert_eq!(worker_memory(1.0, 1.0), 2.0);
    }
}
