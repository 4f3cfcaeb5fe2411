//! Runs a checked plan: one run at a time in the plan's order, each polled
//! to its end, its billed usage awaited, its startup split into parts and
//! its cost priced by the one pricer. Every step is appended to a journal
//! in the output folder, so a stopped benchmark resumes where it stopped:
//! finished runs are not submitted again, a run still in flight is
//! followed again, and cancelled runs are submitted anew.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::aws::Serverless;
use super::plan::{CheckedArm, CheckedPlan};
use crate::collect::dataset::ApplicationInfo;
use crate::cost::Pricer;
use crate::model::{JobRun, JobState};

/// The journal's file name in the output folder.
pub const JOURNAL: &str = "journal.jsonl";

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The journal's first line: a random tag that makes this benchmark's
    /// idempotency tokens its own (a new --out never picks up old runs).
    Begun {
        nonce: String,
    },
    /// The runner created this application for the arm (and will delete it).
    Application {
        arm: String,
        application_id: String,
    },
    /// The application was stopped and deleted.
    Deleted {
        arm: String,
        application_id: String,
    },
    Submitted {
        arm: String,
        repeat: u32,
        application_id: String,
        job_run_id: String,
        submitted_at_ms: i64,
    },
    Cancelled {
        arm: String,
        repeat: u32,
        job_run_id: String,
    },
    Finished(Box<Measured>),
    /// The pre-initialized capacity of an arm's application was up for this
    /// long (started to stopped), for its idle cost.
    CapacityUp {
        arm: String,
        seconds: f64,
    },
}

/// What one run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub arm: String,
    /// `emr-serverless` or `glue`.
    pub service: String,
    pub repeat: u32,
    pub application_id: String,
    pub job_run_id: String,
    pub state: JobState,
    /// Why AWS says it failed or was cancelled.
    pub reason: Option<String>,
    /// Local clock when StartJobRun was sent, epoch ms.
    pub submitted_at_ms: i64,
    /// Every state seen, with the local time it was first seen (epoch ms).
    pub transitions: Vec<(String, i64)>,
    /// StartJobRun sent -> the service's createdAt (two clocks).
    pub submit_to_created_s: Option<f64>,
    /// createdAt -> startedAt, less the time queued: the start itself.
    pub start_s: Option<f64>,
    /// queuedDurationMilliseconds, in seconds.
    pub queued_s: Option<f64>,
    /// createdAt -> startedAt: what the job waited in all.
    pub startup_s: Option<f64>,
    /// startedAt -> endedAt.
    pub runtime_s: Option<f64>,
    /// EMR Serverless cost from billed usage (or total usage under the
    /// billing rules when billed never arrived: see `cost_basis`).
    pub cost_usd: Option<f64>,
    pub cost_basis: Option<String>,
    /// GetJobRun calls made for billed usage after the run ended.
    pub billed_polls: u32,
    /// EMR on EC2, transient cluster: requested (CreationDateTime) to ready
    /// (ReadyDateTime), measured.
    #[serde(default)]
    pub provisioning_s: Option<f64>,
    /// EMR on EC2, transient cluster: the step's end to the last
    /// instance's end.
    #[serde(default)]
    pub teardown_s: Option<f64>,
    /// The run as a record of the one run table (EMR Serverless, Glue or
    /// EMR on EC2 alike), for `runs.csv` and `report`.
    pub run: Option<JobRun>,
}

/// What a benchmark did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub measured: Vec<Measured>,
    /// Seconds each arm's pre-initialized capacity was up.
    pub capacity_up: HashMap<String, f64>,
    pub stopped_by_budget: bool,
    pub interrupted: bool,
    pub spent_usd: f64,
    pub calls: (u64, u64, u64),
}

/// The journal: read back on start, appended (and flushed to disk) as the
/// benchmark goes.
pub struct Journal {
    path: PathBuf,
    pub events: Vec<Event>,
}

impl Journal {
    pub fn open(dir: &Path) -> Result<Journal, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(JOURNAL);
        let mut events = Vec::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            // A line cut short by a crash is the last one: it is dropped,
            // and the file cut back to the last whole line so the next
            // append starts on a line of its own.
            let whole = text.rfind('\n').map_or(0, |i| i + 1);
            if whole < text.len() {
                tracing::warn!("{}: an unfinished last line was dropped", path.display());
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| format!("cannot repair {}: {e}", path.display()))?;
                f.set_len(whole as u64)
                    .and_then(|_| f.sync_data())
                    .map_err(|e| format!("cannot repair {}: {e}", path.display()))?;
            }
            for (i, line) in text[..whole].lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                events.push(
                    serde_json::from_str(line)
                        .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?,
                );
            }
        }
        let mut journal = Journal { path, events };
        if journal.nonce().is_none() {
            let nonce = format!("{:08x}", rand::random::<u32>());
            journal.append(Event::Begun { nonce })?;
        }
        Ok(journal)
    }

    /// This benchmark's tag for idempotency tokens.
    pub fn nonce(&self) -> Option<&str> {
        self.events.iter().find_map(|e| match e {
            Event::Begun { nonce } => Some(nonce.as_str()),
            _ => None,
        })
    }

    /// Times a run was cancelled: each new attempt gets a token of its own.
    fn attempts(&self, arm: &str, repeat: u32) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::Cancelled { arm: a, repeat: r, .. } if a == arm && *r == repeat))
            .count()
    }

    /// Every application or Glue job the runner created and has not deleted.
    pub fn created(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in &self.events {
            match e {
                Event::Application {
                    arm,
                    application_id,
                } => {
                    out.retain(|(a, _)| a != arm);
                    out.push((arm.clone(), application_id.clone()));
                }
                Event::Deleted { arm, .. } => out.retain(|(a, _)| a != arm),
                _ => {}
            }
        }
        out
    }

    pub fn append(&mut self, event: Event) -> Result<(), String> {
        let mut line = serde_json::to_string(&event).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        f.write_all(line.as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        self.events.push(event);
        Ok(())
    }

    fn finished(&self, arm: &str, repeat: u32) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::Finished(m) if m.arm == arm && m.repeat == repeat))
    }

    /// A run submitted and neither finished nor cancelled: follow it again
    /// (or, at clean-up, cancel it).
    fn in_flight(&self, arm: &str, repeat: u32) -> Option<(String, String, i64)> {
        let mut found = None;
        for e in &self.events {
            match e {
                Event::Submitted {
                    arm: a,
                    repeat: r,
                    application_id,
                    job_run_id,
                    submitted_at_ms,
                } if a == arm && *r == repeat => {
                    found = Some((application_id.clone(), job_run_id.clone(), *submitted_at_ms))
                }
                Event::Cancelled {
                    arm: a, repeat: r, ..
                } if a == arm && *r == repeat => found = None,
                // The application or job it ran on is gone: so is the run.
                Event::Deleted { arm: a, .. } if a == arm => found = None,
                Event::Finished(m) if m.arm == arm && m.repeat == repeat => found = None,
                _ => {}
            }
        }
        found
    }

    /// The application the runner created for an arm and has not deleted.
    fn created_app(&self, arm: &str) -> Option<String> {
        self.created()
            .into_iter()
            .find_map(|(a, id)| (a == arm).then_some(id))
    }
}

/// Settings of one benchmark run (beyond the plan).
pub struct Options {
    pub max_cost_usd: Option<f64>,
    pub out: PathBuf,
}

/// Something to tell the user as the benchmark goes.
pub trait Progress: Sync {
    fn event(&self, line: &str);
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What an arm holds while its runs go: the application, Glue job or
/// existing cluster they run on, and how many of its runs are still to
/// come in this process (its resources go after the last).
#[derive(Default)]
struct ArmSlot {
    held: Option<Held>,
    remaining: u32,
}

#[derive(Clone)]
struct Held {
    id: String,
    /// The runner created it (and deletes it).
    created: bool,
    app: Option<ApplicationInfo>,
    /// When its pre-initialized capacity came up.
    started: Option<std::time::Instant>,
}

/// A run in flight, for clean-up after an error: what to cancel.
#[derive(Clone)]
enum Flight {
    Serverless {
        app: String,
        run: String,
    },
    Glue {
        job: String,
        run: String,
    },
    /// A transient cluster (terminated) or a step on an existing one
    /// (cancelled).
    Cluster {
        cluster: String,
        step: Option<String>,
        transient: bool,
    },
}

/// Everything the runs share. The journal and the pricer's caches sit
/// behind locks held only for a write or a price, never across a call.
struct Ctx<'a> {
    checked: &'a CheckedPlan,
    aws: Serverless,
    glue: super::glue::Glue,
    emr: super::emr::Emr,
    journal: Mutex<Journal>,
    slots: Vec<tokio::sync::Mutex<ArmSlot>>,
    /// Held for a whole run by arms whose runs must not overlap.
    serial: Vec<tokio::sync::Mutex<()>>,
    flights: Mutex<HashMap<(usize, u32), Flight>>,
    spent: Mutex<f64>,
    fleet: crate::cost::FleetPricer<'a, 'a>,
    caches: Mutex<(crate::cost::PlanCache, crate::cost::RowsUsed)>,
    opts: &'a Options,
    progress: &'a dyn Progress,
    stop: Arc<AtomicBool>,
    /// Set by an error in any run: the others cancel theirs and no more
    /// are submitted.
    failed: AtomicBool,
    /// Set when the budget is reached: no more are submitted, runs in
    /// flight finish.
    budget_hit: AtomicBool,
}

impl Ctx<'_> {
    fn halted(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.failed.load(Ordering::Relaxed)
    }

    fn append(&self, event: Event) -> Result<(), String> {
        lock(&self.journal).append(event)
    }

    fn say(&self, line: &str) {
        self.progress.event(line)
    }
}

/// A poisoned lock only means another run panicked while holding it; the
/// data (a journal, a cache) is still whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs the plan. `stop` is set on Ctrl-C: runs in flight are cancelled,
/// created resources are stopped and deleted, and the journal says what
/// is left for a resumed run. Up to the plan's `concurrency` runs are in
/// flight at once, submitted in the plan's order.
pub async fn run(
    checked: &CheckedPlan,
    config: &aws_config::SdkConfig,
    pricer: &Pricer<'_>,
    opts: &Options,
    progress: &dyn Progress,
    stop: Arc<AtomicBool>,
) -> Result<Outcome, String> {
    use futures_util::StreamExt;

    let plan = &checked.plan;
    let aws = Serverless::new(config, &plan.region);
    let stats = aws.pacer.stats.clone();
    let journal = Journal::open(&opts.out)?;
    let mut spent = 0.0;
    // Spend so far, counting runs finished in an earlier, resumed run.
    for e in &journal.events {
        if let Event::Finished(m) = e {
            spent += m.cost_usd.unwrap_or(0.0);
        }
    }
    let pending: Vec<(usize, u32)> = checked
        .schedule()
        .into_iter()
        .filter(|(a, r)| !journal.finished(&checked.arms[*a].arm.label, *r))
        .collect();
    let mut slots: Vec<ArmSlot> = checked.arms.iter().map(|_| ArmSlot::default()).collect();
    for (a, _) in &pending {
        slots[*a].remaining += 1;
    }
    let ctx = Ctx {
        checked,
        glue: super::glue::Glue::new(config, &plan.region, stats.clone()),
        emr: super::emr::Emr::new(config, &plan.region, stats.clone()),
        aws,
        journal: Mutex::new(journal),
        serial: checked
            .arms
            .iter()
            .map(|_| tokio::sync::Mutex::new(()))
            .collect(),
        slots: slots.into_iter().map(tokio::sync::Mutex::new).collect(),
        flights: Mutex::new(HashMap::new()),
        spent: Mutex::new(spent),
        fleet: pricer.fleet(),
        caches: Mutex::new(Default::default()),
        opts,
        progress,
        stop: stop.clone(),
        failed: AtomicBool::new(false),
        budget_hit: AtomicBool::new(false),
    };
    let concurrency = plan.concurrency.max(1) as usize;
    let results: Vec<Result<(), String>> = futures_util::stream::iter(pending)
        .map(|(a, r)| {
            let ctx = &ctx;
            async move {
                let done = one_run(ctx, a, r).await;
                if done.is_err() {
                    ctx.failed.store(true, Ordering::Relaxed);
                }
                done
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let result = results.into_iter().find(Result::is_err).unwrap_or(Ok(()));

    // Whatever happened: runs left in flight by an error are cancelled,
    // and everything the runner created (in this process or an earlier
    // one) is stopped and deleted.
    let mut cleanup_errors = Vec::new();
    // Runs still in flight: this process's, and any an earlier process
    // left that this one did not reach (after Ctrl-C or an error).
    let mut flights: Vec<((usize, u32), Flight)> = lock(&ctx.flights).drain().collect();
    for (a, r) in checked.schedule() {
        if flights.iter().any(|(k, _)| *k == (a, r)) {
            continue;
        }
        let arm = &checked.arms[a];
        let Some((container, run, _)) = lock(&ctx.journal).in_flight(&arm.arm.label, r) else {
            continue;
        };
        let flight = match (&arm.glue, &arm.ec2) {
            (Some(_), _) => Flight::Glue {
                job: container,
                run,
            },
            (_, Some(e)) => Flight::Cluster {
                cluster: container,
                step: (!run.is_empty()).then_some(run),
                transient: e.transient.is_some(),
            },
            _ => Flight::Serverless {
                app: container,
                run,
            },
        };
        flights.push(((a, r), flight));
    }
    for ((a, r), flight) in flights {
        match cancel(&ctx, &flight).await {
            // Journalled, so a resumed benchmark submits it anew.
            Ok(()) => {
                if let Err(e) = cancelled(&ctx, a, r, flight.id(), "cancelled") {
                    cleanup_errors.push(e);
                }
            }
            Err(e) => cleanup_errors.push(format!(
                "run {} of arm {} could not be cancelled: {e}",
                flight.id(),
                checked.arms[a].arm.label
            )),
        }
    }
    let created = lock(&ctx.journal).created();
    for (label, id) in created {
        let started = match checked.arms.iter().position(|a| a.arm.label == label) {
            Some(i) => ctx.slots[i]
                .lock()
                .await
                .held
                .as_ref()
                .and_then(|h| h.started),
            None => None,
        };
        if let Err(e) = release(&ctx, &label, &id, started).await {
            cleanup_errors.push(e);
        }
    }
    let mut outcome = Outcome {
        stopped_by_budget: ctx.budget_hit.load(Ordering::Relaxed),
        interrupted: stop.load(Ordering::Relaxed),
        spent_usd: *lock(&ctx.spent),
        calls: stats.snapshot(),
        ..Outcome::default()
    };
    for e in &lock(&ctx.journal).events {
        match e {
            Event::Finished(m) => outcome.measured.push((**m).clone()),
            Event::CapacityUp { arm, seconds } => {
                *outcome.capacity_up.entry(arm.clone()).or_default() += seconds
            }
            _ => {}
        }
    }
    result?;
    if !cleanup_errors.is_empty() {
        return Err(cleanup_errors.join("; "));
    }
    Ok(outcome)
}

impl Flight {
    /// The id a Cancelled event carries: the run, the step on an existing
    /// cluster, or the transient cluster.
    fn id(&self) -> &str {
        match self {
            Flight::Serverless { run, .. } | Flight::Glue { run, .. } => run,
            Flight::Cluster {
                cluster,
                step,
                transient,
            } => match (transient, step) {
                (false, Some(step)) => step,
                _ => cluster,
            },
        }
    }
}

/// Cancels a run left in flight.
async fn cancel(ctx: &Ctx<'_>, flight: &Flight) -> Result<(), String> {
    match flight {
        Flight::Serverless { app, run } => ctx.aws.cancel_job_run(app, run).await,
        Flight::Glue { job, run } => ctx.glue.stop(job, run).await,
        Flight::Cluster {
            cluster,
            transient: true,
            ..
        } => ctx.emr.terminate(cluster).await,
        Flight::Cluster {
            cluster,
            step: Some(step),
            ..
        } => ctx.emr.cancel_step(cluster, step).await,
        Flight::Cluster { .. } => Ok(()),
    }
}

/// Whether a new run may be submitted: not after Ctrl-C, an error or the
/// budget.
fn may_submit(ctx: &Ctx<'_>) -> bool {
    if ctx.halted() || ctx.budget_hit.load(Ordering::Relaxed) {
        return false;
    }
    let Some(max) = ctx.opts.max_cost_usd else {
        return true;
    };
    // Pre-initialized capacity bills while it is up.
    let capacity: f64 = ctx
        .checked
        .arms
        .iter()
        .zip(&ctx.slots)
        .filter_map(|(arm, slot)| {
            let slot = slot.try_lock().ok()?;
            let started = slot.held.as_ref()?.started?;
            Some(arm.initial_hour_usd * started.elapsed().as_secs_f64() / 3600.0)
        })
        .sum();
    let spent = *lock(&ctx.spent);
    if spent + capacity >= max {
        if !ctx.budget_hit.swap(true, Ordering::Relaxed) {
            ctx.say(&format!(
                "budget reached: ${spent:.2} spent of --max-cost ${max:.2}; no more runs are submitted"
            ));
        }
        return false;
    }
    true
}

/// One run of one arm: its arm's resources found or made, the run
/// submitted (or followed again after a resume), measured and journalled;
/// the arm's resources released after its last run.
async fn one_run(ctx: &Ctx<'_>, arm_i: usize, repeat: u32) -> Result<(), String> {
    let arm = &ctx.checked.arms[arm_i];
    let done = run_once(ctx, arm_i, repeat).await;
    // Every run counts down its arm, whichever way it ended: the arm's last
    // run releases what it ran on, so pre-initialized capacity does not
    // bill through other arms (after Ctrl-C or an error, clean-up does).
    let mut slot = ctx.slots[arm_i].lock().await;
    slot.remaining = slot.remaining.saturating_sub(1);
    if done.is_ok() && slot.remaining == 0 && !ctx.halted() {
        if let Some(h) = slot.held.take() {
            if h.created {
                release(ctx, &arm.arm.label, &h.id, h.started).await?;
            }
        }
    }
    done
}

async fn run_once(ctx: &Ctx<'_>, arm_i: usize, repeat: u32) -> Result<(), String> {
    let arm = &ctx.checked.arms[arm_i];
    // A run an earlier process left in flight is followed whatever the
    // budget says (it is already spending); only new runs are gated.
    let resumed = lock(&ctx.journal)
        .in_flight(&arm.arm.label, repeat)
        .is_some();
    if ctx.halted() || (!resumed && !may_submit(ctx)) {
        return Ok(());
    }
    // Steps on an existing cluster run one at a time: overlapping steps
    // would each be charged the whole cluster, and queue behind each other.
    let _serial = match &arm.ec2 {
        Some(e) if e.cluster_id.is_some() => Some(ctx.serial[arm_i].lock().await),
        _ => None,
    };
    let held = {
        let mut slot = ctx.slots[arm_i].lock().await;
        if slot.held.is_none() {
            match hold(ctx, arm).await {
                Ok(h) => slot.held = h,
                // Ctrl-C (or another run's error) while an application was
                // starting: nothing was submitted; clean-up deletes it.
                Err(_) if ctx.halted() => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        slot.held.clone()
    };
    // The budget again: holding the arm's resources may have taken minutes.
    if ctx.halted() || (!resumed && !may_submit(ctx)) {
        return Ok(());
    }
    let finished = match (&arm.serverless, &arm.glue, &arm.ec2) {
        (Some(_), _, _) => {
            let held = held.ok_or("an EMR Serverless arm without an application")?;
            serverless_run(ctx, arm_i, repeat, &held).await?
        }
        (_, Some(g), _) => {
            let held = held.ok_or("a Glue arm without a job")?;
            glue_run(ctx, arm_i, repeat, &held.id, g).await?
        }
        (_, _, Some(e)) => cluster_run(ctx, arm_i, repeat, e, held.as_ref()).await?,
        _ => return Err(format!("arm {}: no service", arm.arm.label)),
    };
    if let Some(m) = finished {
        *lock(&ctx.spent) += m.cost_usd.unwrap_or(0.0);
        ctx.append(Event::Finished(Box::new(m)))?;
    }
    lock(&ctx.flights).remove(&(arm_i, repeat));
    Ok(())
}

/// What an arm's runs go on: its application (EMR Serverless), its job
/// (Glue) or its existing cluster (EMR on EC2); none for transient
/// clusters, which are one per run.
async fn hold(ctx: &Ctx<'_>, arm: &CheckedArm) -> Result<Option<Held>, String> {
    let label = &arm.arm.label;
    if arm.serverless.is_some() {
        let (app, created, started) = application_for(ctx, arm).await?;
        return Ok(Some(Held {
            id: app.application_id.clone(),
            created,
            app: Some(app),
            started,
        }));
    }
    if let Some(g) = &arm.glue {
        let created_before = lock(&ctx.journal).created_app(label);
        let (id, created) = match (&arm.arm.job_name, created_before) {
            (Some(name), _) => (name.clone(), false),
            (None, Some(name)) => (name, true),
            (None, None) => {
                let name = ctx.glue.create_job(&ctx.checked.plan, arm, g).await?;
                ctx.append(Event::Application {
                    arm: label.clone(),
                    application_id: name.clone(),
                })?;
                ctx.say(&format!("{label}: created Glue job {name}"));
                (name, true)
            }
        };
        return Ok(Some(Held {
            id,
            created,
            app: None,
            started: None,
        }));
    }
    if let Some(e) = &arm.ec2 {
        if let Some(id) = &e.cluster_id {
            let status = ctx.emr.cluster(id).await?;
            if !matches!(status.state.as_str(), "WAITING" | "RUNNING") {
                return Err(format!(
                    "arm {label}: cluster {id} is {} (it must be WAITING or RUNNING to take steps)",
                    status.state
                ));
            }
            return Ok(Some(Held {
                id: id.clone(),
                created: false,
                app: None,
                started: None,
            }));
        }
    }
    Ok(None)
}

/// Submits (or follows again) one EMR Serverless run and measures it;
/// `None` when it was cancelled.
async fn serverless_run(
    ctx: &Ctx<'_>,
    arm_i: usize,
    repeat: u32,
    held: &Held,
) -> Result<Option<Measured>, String> {
    let arm = &ctx.checked.arms[arm_i];
    let label = &arm.arm.label;
    let app = held.app.clone().ok_or("no application")?;
    let in_flight = lock(&ctx.journal).in_flight(label, repeat);
    let (run_id, submitted_at_ms) = match in_flight {
        Some((app_id, run_id, at)) if app_id == app.application_id => {
            ctx.say(&format!(
                "{label} #{}: following {run_id} again",
                repeat + 1
            ));
            (run_id, at)
        }
        _ => {
            // Fixed within one attempt (a retried or resumed submit is the
            // same run), new for each attempt and benchmark.
            let token = {
                let j = lock(&ctx.journal);
                format!(
                    "{}-{}-{}-{}",
                    j.nonce().unwrap_or("0"),
                    arm_i,
                    repeat + 1,
                    j.attempts(label, repeat) + 1
                )
            };
            let at = now_ms();
            let run_id = ctx
                .aws
                .start_job_run(&ctx.checked.plan, arm, &app.application_id, &token, repeat)
                .await?;
            ctx.append(Event::Submitted {
                arm: label.clone(),
                repeat,
                application_id: app.application_id.clone(),
                job_run_id: run_id.clone(),
                submitted_at_ms: at,
            })?;
            ctx.say(&format!("{label} #{}: submitted {run_id}", repeat + 1));
            (run_id, at)
        }
    };
    lock(&ctx.flights).insert(
        (arm_i, repeat),
        Flight::Serverless {
            app: app.application_id.clone(),
            run: run_id.clone(),
        },
    );
    match follow(ctx, &app, &run_id).await? {
        Followed::Cancelled => {
            ctx.aws.cancel_job_run(&app.application_id, &run_id).await?;
            cancelled(ctx, arm_i, repeat, &run_id, "cancelled")?;
            Ok(None)
        }
        Followed::Done {
            run,
            reason,
            transitions,
            billed_polls,
        } => {
            let m = {
                let mut caches = lock(&ctx.caches);
                let (cache, used) = &mut *caches;
                measure(MeasureInput {
                    arm: label,
                    repeat,
                    run: *run,
                    reason,
                    transitions,
                    billed_polls,
                    submitted_at_ms,
                    fleet: &ctx.fleet,
                    cache,
                    used,
                })
            };
            report_line(ctx, &m, "startup");
            Ok(Some(m))
        }
    }
}

/// A run cancelled by Ctrl-C (or another run's error): journalled, so a
/// resumed benchmark submits it anew.
fn cancelled(
    ctx: &Ctx<'_>,
    arm_i: usize,
    repeat: u32,
    run_id: &str,
    what: &str,
) -> Result<(), String> {
    let label = &ctx.checked.arms[arm_i].arm.label;
    ctx.append(Event::Cancelled {
        arm: label.clone(),
        repeat,
        job_run_id: run_id.to_string(),
    })?;
    lock(&ctx.flights).remove(&(arm_i, repeat));
    ctx.say(&format!("{label} #{}: {what} {run_id}", repeat + 1));
    Ok(())
}

fn report_line(ctx: &Ctx<'_>, m: &Measured, waited: &str) {
    ctx.say(&format!(
        "{} #{}: {} in {}, {waited} {}, ${:.4}",
        m.arm,
        m.repeat + 1,
        m.state,
        m.runtime_s.map_or("-".into(), |s| format!("{s:.1} s")),
        m.startup_s.map_or("-".into(), |s| format!("{s:.1} s")),
        m.cost_usd.unwrap_or(0.0)
    ));
}

/// Submits (or follows again) one Glue run and measures it.
async fn glue_run(
    ctx: &Ctx<'_>,
    arm_i: usize,
    repeat: u32,
    job: &str,
    g: &super::plan::GlueArm,
) -> Result<Option<Measured>, String> {
    let label = &ctx.checked.arms[arm_i].arm.label;
    let in_flight = lock(&ctx.journal).in_flight(label, repeat);
    let (run_id, submitted_at_ms) = match in_flight {
        Some((j, run_id, at)) if j == job => (run_id, at),
        _ => {
            let at = now_ms();
            let run_id = ctx.glue.start_job_run(&ctx.checked.plan, job, g).await?;
            ctx.append(Event::Submitted {
                arm: label.clone(),
                repeat,
                application_id: job.to_string(),
                job_run_id: run_id.clone(),
                submitted_at_ms: at,
            })?;
            ctx.say(&format!("{label} #{}: submitted {run_id}", repeat + 1));
            (run_id, at)
        }
    };
    lock(&ctx.flights).insert(
        (arm_i, repeat),
        Flight::Glue {
            job: job.to_string(),
            run: run_id.clone(),
        },
    );
    match follow_glue(ctx, job, &run_id).await? {
        None => {
            ctx.glue.stop(job, &run_id).await?;
            cancelled(ctx, arm_i, repeat, &run_id, "stopped")?;
            Ok(None)
        }
        Some((run, transitions)) => {
            let mut m = measure_glue(
                label,
                repeat,
                job,
                &run_id,
                g,
                &run,
                transitions,
                submitted_at_ms,
            );
            m.run = Some(glue_record(ctx, arm_i, repeat, g, &m, &run));
            report_line(ctx, &m, "waited");
            Ok(Some(m))
        }
    }
}

/// Submits (or follows again) one EMR on EC2 run: a transient cluster
/// with the step, or the step on the arm's existing cluster; then measures
/// it from the cluster's and the step's timelines and the instances'
/// lifetimes.
async fn cluster_run(
    ctx: &Ctx<'_>,
    arm_i: usize,
    repeat: u32,
    e: &super::plan::Ec2Arm,
    held: Option<&Held>,
) -> Result<Option<Measured>, String> {
    let plan = &ctx.checked.plan;
    let arm = &ctx.checked.arms[arm_i];
    let label = &arm.arm.label;
    let in_flight = lock(&ctx.journal).in_flight(label, repeat);
    let transient = held.is_none();
    let (cluster, step, submitted_at_ms) = match (in_flight, held) {
        (Some((cluster, step, at)), _) => {
            ctx.say(&format!(
                "{label} #{}: following {cluster} again",
                repeat + 1
            ));
            (cluster, step, at)
        }
        (None, Some(h)) => {
            let at = now_ms();
            let step = ctx.emr.add_step(plan, arm, &h.id, repeat).await?;
            ctx.append(Event::Submitted {
                arm: label.clone(),
                repeat,
                application_id: h.id.clone(),
                job_run_id: step.clone(),
                submitted_at_ms: at,
            })?;
            ctx.say(&format!(
                "{label} #{}: added step {step} to {}",
                repeat + 1,
                h.id
            ));
            (h.id.clone(), step, at)
        }
        (None, None) => {
            let at = now_ms();
            let cluster = match ctx.emr.run_cluster(plan, arm, e, repeat).await {
                Ok(id) => id,
                // The answer may have been lost after EMR made the cluster
                // (RunJobFlow has no idempotency token): look for it.
                Err(err) => {
                    let name = super::emr::cluster_name(plan, label, repeat);
                    let since = chrono::DateTime::from_timestamp_millis(at - 60_000)
                        .unwrap_or_else(chrono::Utc::now);
                    match ctx.emr.find_cluster(&name, since).await {
                        Ok(Some(id)) => id,
                        _ => return Err(err),
                    }
                }
            };
            // In flight before journalled: if the journal cannot be
            // written, clean-up still ends the cluster.
            lock(&ctx.flights).insert(
                (arm_i, repeat),
                Flight::Cluster {
                    cluster: cluster.clone(),
                    step: None,
                    transient: true,
                },
            );
            ctx.append(Event::Submitted {
                arm: label.clone(),
                repeat,
                application_id: cluster.clone(),
                job_run_id: String::new(),
                submitted_at_ms: at,
            })?;
            ctx.say(&format!(
                "{label} #{}: requested cluster {cluster}",
                repeat + 1
            ));
            (cluster, String::new(), at)
        }
    };
    lock(&ctx.flights).insert(
        (arm_i, repeat),
        Flight::Cluster {
            cluster: cluster.clone(),
            step: (!step.is_empty()).then(|| step.clone()),
            transient,
        },
    );
    match follow_cluster(ctx, &cluster, step, transient, submitted_at_ms).await? {
        ClusterFollowed::Cancelled(step) => {
            if transient {
                ctx.emr.terminate(&cluster).await?;
            } else if let Some(step) = &step {
                ctx.emr.cancel_step(&cluster, step).await?;
            }
            let what = if transient { "terminated" } else { "cancelled" };
            cancelled(ctx, arm_i, repeat, &cluster, what)?;
            Ok(None)
        }
        ClusterFollowed::Done(done) => {
            let times = done
                .step
                .as_ref()
                .map_or((None, None, None), |s| (s.created, s.started, s.ended));
            let mut m = measure_cluster(
                label,
                repeat,
                e,
                &cluster,
                transient,
                *done,
                submitted_at_ms,
            );
            m.run = Some(cluster_record(ctx, arm_i, &m, times));
            report_line(ctx, &m, "startup");
            if let Some(p) = m.provisioning_s {
                ctx.say(&format!(
                    "{label} #{}: cluster provisioned in {p:.1} s",
                    repeat + 1
                ));
            }
            Ok(Some(m))
        }
    }
}

/// The arm's application: the plan's, or one created (or, on a resumed
/// run, the one created before), started when it has pre-initialized
/// capacity so that runs meet warm workers.
async fn application_for(
    ctx: &Ctx<'_>,
    arm: &CheckedArm,
) -> Result<(ApplicationInfo, bool, Option<std::time::Instant>), String> {
    let label = &arm.arm.label;
    let aws = &ctx.aws;
    let created_before = lock(&ctx.journal).created_app(label);
    let (id, created) = match (&arm.arm.application_id, created_before) {
        (Some(id), _) => (id.clone(), false),
        (None, Some(id)) => (id, true),
        (None, None) => {
            let token = {
                let j = lock(&ctx.journal);
                format!(
                    "{}-app-{}",
                    j.nonce().unwrap_or("0"),
                    super::aws::slug(label)
                )
            };
            let id = aws
                .create_application(&ctx.checked.plan, arm, &token)
                .await?;
            ctx.append(Event::Application {
                arm: label.clone(),
                application_id: id.clone(),
            })?;
            ctx.say(&format!("{label}: created application {id}"));
            (id, true)
        }
    };
    let (_, mut info) = aws.application(&id).await?;
    if info.architecture != arm.architecture {
        return Err(format!(
            "arm {label}: application {id} is {} but the arm asks for {}",
            info.architecture, arm.architecture
        ));
    }
    info.name = Some(label.clone());
    let mut started = None;
    if arm.arm.initial_capacity.is_some() {
        aws.start_application(&id).await?;
        wait_for_state(aws, &id, &["STARTED"], Duration::from_secs(900), &|| {
            ctx.halted()
        })
        .await?;
        started = Some(std::time::Instant::now());
        ctx.say(&format!(
            "{label}: application {id} started with its pre-initialized capacity"
        ));
    }
    Ok((info, created, started))
}

/// Stops and deletes what the runner created for an arm (an application,
/// or a Glue job), noting how long pre-initialized capacity was up.
async fn release(
    ctx: &Ctx<'_>,
    label: &str,
    id: &str,
    started: Option<std::time::Instant>,
) -> Result<(), String> {
    if let Some(at) = started {
        ctx.append(Event::CapacityUp {
            arm: label.to_string(),
            seconds: at.elapsed().as_secs_f64(),
        })?;
    }
    let is_glue = ctx
        .checked
        .arms
        .iter()
        .any(|a| a.arm.label == label && a.glue.is_some());
    let aws = &ctx.aws;
    let done = if is_glue {
        ctx.glue.delete_job(id).await
    } else {
        async {
            aws.stop_application(id).await?;
            wait_for_state(
                aws,
                id,
                &["STOPPED", "CREATED"],
                Duration::from_secs(300),
                &|| false,
            )
            .await?;
            aws.delete_application(id).await
        }
        .await
    };
    match done {
        Ok(()) => {
            ctx.say(&format!(
                "{label}: deleted {} {id}",
                if is_glue { "Glue job" } else { "application" }
            ));
            ctx.append(Event::Deleted {
                arm: label.to_string(),
                application_id: id.to_string(),
            })
        }
        Err(e) => Err(format!(
            "{} {id} (arm {label}) could not be deleted: {e}; delete it by hand (it is tagged {}={})",
            if is_glue { "Glue job" } else { "application" },
            super::aws::TAG,
            ctx.checked.plan.name
        )),
    }
}

async fn wait_for_state(
    aws: &Serverless,
    id: &str,
    states: &[&str],
    limit: Duration,
    halted: &dyn Fn() -> bool,
) -> Result<(), String> {
    let begun = std::time::Instant::now();
    loop {
        let (state, _) = aws.application(id).await?;
        if states.contains(&state.as_str()) {
            return Ok(());
        }
        if halted() {
            return Err(format!("interrupted while application {id} was {state}"));
        }
        if state == "TERMINATED" {
            return Err(format!(
                "application {id} is TERMINATED (waiting for {})",
                states.join(" or ")
            ));
        }
        if begun.elapsed() > limit {
            return Err(format!(
                "application {id} is still {state} after {} s (waiting for {})",
                limit.as_secs(),
                states.join(" or ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

enum Followed {
    Cancelled,
    Done {
        run: Box<JobRun>,
        reason: Option<String>,
        transitions: Vec<(String, i64)>,
        billed_polls: u32,
    },
}

/// Polls a run until it ends (or `stop`), then until its billed usage
/// arrives or the plan's wait runs out.
async fn follow(ctx: &Ctx<'_>, app: &ApplicationInfo, run_id: &str) -> Result<Followed, String> {
    let aws = &ctx.aws;
    let plan = &ctx.checked.plan;
    let poll = Duration::from_secs_f64(plan.poll_seconds);
    let mut transitions: Vec<(String, i64)> = Vec::new();
    loop {
        if ctx.halted() {
            return Ok(Followed::Cancelled);
        }
        let (run, reason) = aws.job_run(app, run_id).await?;
        let state = run.state.to_string();
        if transitions.last().is_none_or(|(s, _)| *s != state) {
            transitions.push((state, now_ms()));
        }
        if run.state.is_final() {
            let mut run = run;
            let mut reason = reason;
            let mut billed_polls = 0;
            let waited = std::time::Instant::now();
            let billed = |r: &JobRun| r.billed.is_some_and(|b| !b.is_zero());
            while !billed(&run) && waited.elapsed().as_secs_f64() < plan.billed_wait_seconds {
                if ctx.halted() {
                    break;
                }
                tokio::time::sleep(poll).await;
                let (again, why) = aws.job_run(app, run_id).await?;
                billed_polls += 1;
                run = again;
                reason = why.or(reason);
            }
            return Ok(Followed::Done {
                run: Box::new(run),
                reason,
                transitions,
                billed_polls,
            });
        }
        tokio::time::sleep(poll).await;
    }
}

struct MeasureInput<'a, 'f, 'b> {
    arm: &'a str,
    repeat: u32,
    run: JobRun,
    reason: Option<String>,
    transitions: Vec<(String, i64)>,
    billed_polls: u32,
    submitted_at_ms: i64,
    fleet: &'a crate::cost::FleetPricer<'f, 'b>,
    cache: &'a mut crate::cost::PlanCache,
    used: &'a mut crate::cost::RowsUsed,
}

/// The run's startup parts from the service's own times, and its cost
/// from the one pricer.
fn measure(i: MeasureInput<'_, '_, '_>) -> Measured {
    let run = i.run;
    let secs = |a: Option<chrono::DateTime<chrono::Utc>>,
                b: Option<chrono::DateTime<chrono::Utc>>| {
        Some((b? - a?).num_milliseconds() as f64 / 1000.0)
    };
    let queued_s = run.queued_ms.map(|q| q as f64 / 1000.0);
    let startup_s = secs(run.created_at, run.started_at);
    let start_s = startup_s.map(|s| (s - queued_s.unwrap_or(0.0)).max(0.0));
    let runtime_s = secs(run.started_at, run.ended_at).or(run.duration_s);
    let submit_to_created_s = run
        .created_at
        .map(|c| (c.timestamp_millis() - i.submitted_at_ms) as f64 / 1000.0);
    let priced = i.fleet.price(&run, i.cache, i.used);
    let (cost_usd, cost_basis) = match &priced {
        Ok(c) => (Some(c.serverless_usd), Some(c.basis.as_str().to_string())),
        Err(_) => (None, None),
    };
    let reason = i
        .reason
        .or_else(|| priced.err().filter(|_| run.state.is_final()));
    Measured {
        arm: i.arm.to_string(),
        service: "emr-serverless".into(),
        repeat: i.repeat,
        application_id: run.application_id.clone(),
        job_run_id: run.job_run_id.clone(),
        state: run.state,
        reason,
        submitted_at_ms: i.submitted_at_ms,
        transitions: i.transitions,
        submit_to_created_s,
        start_s,
        queued_s,
        startup_s,
        runtime_s,
        cost_usd,
        cost_basis,
        billed_polls: i.billed_polls,
        provisioning_s: None,
        teardown_s: None,
        run: Some(run),
    }
}

/// Polls a Glue run until it ends; `None` when stopped by Ctrl-C.
async fn follow_glue(
    ctx: &Ctx<'_>,
    job: &str,
    run_id: &str,
) -> Result<Option<(super::glue::GlueRun, Vec<(String, i64)>)>, String> {
    let glue = &ctx.glue;
    let poll = Duration::from_secs_f64(ctx.checked.plan.poll_seconds);
    let mut transitions: Vec<(String, i64)> = Vec::new();
    loop {
        if ctx.halted() {
            return Ok(None);
        }
        let run = glue.job_run(job, run_id).await?;
        if transitions.last().is_none_or(|(s, _)| *s != run.state) {
            transitions.push((run.state.clone(), now_ms()));
        }
        if run.is_final() {
            return Ok(Some((run, transitions)));
        }
        tokio::time::sleep(poll).await;
    }
}

/// A Glue run of a bench arm as a record of the one run table: Glue's
/// figures, and its workers' Spark sizes (one executor per worker but the
/// driver's, the Glue model's heap per DPU).
fn glue_record(
    ctx: &Ctx<'_>,
    arm_i: usize,
    repeat: u32,
    g: &super::plan::GlueArm,
    m: &Measured,
    run: &super::glue::GlueRun,
) -> JobRun {
    let plan = &ctx.checked.plan;
    let label = &ctx.checked.arms[arm_i].arm.label;
    let heap = crate::cost::Assumptions::default().glue_heap_gb_per_dpu * g.dpu_per_worker;
    JobRun {
        region: plan.region.clone(),
        application_id: m.application_id.clone(),
        application_name: Some(label.clone()),
        architecture: crate::model::Architecture::X86_64,
        job_run_id: m.job_run_id.clone(),
        attempt: 1,
        job_name: Some(format!(
            "emrcost-bench-{}-{}-{}",
            plan.name,
            super::aws::slug(label),
            repeat + 1
        )),
        state: m.state,
        release_label: Some(format!("glue-{}", g.version)),
        created_at: run.started_on,
        started_at: run.started_on,
        ended_at: run.completed_on,
        queued_ms: m.queued_s.map(|q| (q * 1000.0) as u64),
        duration_s: m.runtime_s,
        billed: None,
        total: None,
        executor_vcpu: Some(g.vcpu_per_worker),
        executor_memory_gb: Some(heap),
        executor_disk_gb: None,
        driver_vcpu: Some(g.vcpu_per_worker),
        driver_memory_gb: Some(heap),
        max_executors: Some(g.workers.saturating_sub(1)),
        peak_executors: None,
        incomplete: false,
        source: crate::model::UsageSource::GlueApi,
        glue: Some(crate::model::GlueUse {
            dpu: f64::from(g.workers) * g.dpu_per_worker,
            workers: g.workers,
            version: (g.version.major, g.version.minor),
            flex: g.class == crate::pricing::GlueClass::Flex,
            dpu_seconds: run.dpu_seconds.filter(|d| *d > 0.0),
        }),
        glue_worker_type: Some(g.worker_type.clone()),
        ec2_cost_usd: None,
        ec2_cluster_id: None,
        account_id: None,
        tags: None,
    }
}

/// A step's created, started and ended times.
type StepTimes = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// An EMR on EC2 run of a bench arm as a record of the one run table: the
/// step's times, its cost on its cluster, the arm's Spark sizes.
fn cluster_record(
    ctx: &Ctx<'_>,
    arm_i: usize,
    m: &Measured,
    (created, started, ended): StepTimes,
) -> JobRun {
    let plan = &ctx.checked.plan;
    let arm = &ctx.checked.arms[arm_i];
    let a = crate::cost::Assumptions::default();
    let executor = arm.arm.executor;
    let driver = arm.arm.driver;
    JobRun {
        region: plan.region.clone(),
        application_id: m.application_id.clone(),
        application_name: Some(arm.arm.label.clone()),
        architecture: arm.architecture,
        job_run_id: m.job_run_id.clone(),
        attempt: 1,
        job_name: Some(format!(
            "emrcost-bench-{}-{}-{}",
            plan.name,
            super::aws::slug(&arm.arm.label),
            m.repeat + 1
        )),
        state: m.state,
        release_label: Some(plan.job.release_label.clone()),
        created_at: created,
        started_at: started,
        ended_at: ended,
        queued_ms: m.queued_s.map(|q| (q * 1000.0) as u64),
        duration_s: m.runtime_s,
        billed: None,
        total: None,
        executor_vcpu: Some(executor.map_or(a.default_executor.vcpu, |e| e.cores)),
        executor_memory_gb: Some(executor.map_or(a.default_executor.memory_gb, |e| e.memory_gb)),
        executor_disk_gb: None,
        driver_vcpu: Some(driver.map_or(a.default_driver.vcpu, |d| d.cores)),
        driver_memory_gb: Some(driver.map_or(a.default_driver.memory_gb, |d| d.memory_gb)),
        max_executors: arm.arm.executors.or(arm.arm.dynamic.map(|[_, hi]| hi)),
        peak_executors: None,
        incomplete: false,
        source: crate::model::UsageSource::EmrApi,
        glue: None,
        glue_worker_type: None,
        ec2_cost_usd: m.cost_usd,
        ec2_cluster_id: Some(m.application_id.clone()),
        account_id: None,
        tags: None,
    }
}

/// A Glue run's parts: it waited (for capacity, or Flex's spare capacity)
/// for its time from StartedOn to CompletedOn less its ExecutionTime; the
/// time seen in WAITING is its queue.
#[allow(clippy::too_many_arguments)]
fn measure_glue(
    arm: &str,
    repeat: u32,
    job: &str,
    run_id: &str,
    g: &super::plan::GlueArm,
    run: &super::glue::GlueRun,
    transitions: Vec<(String, i64)>,
    submitted_at_ms: i64,
) -> Measured {
    let total = match (run.started_on, run.completed_on) {
        (Some(a), Some(b)) => Some((b - a).num_milliseconds() as f64 / 1000.0),
        _ => None,
    };
    let startup_s = total.map(|t| (t - run.execution_time_s).max(0.0));
    let waiting: f64 = transitions
        .windows(2)
        .filter(|w| w[0].0 == "WAITING")
        .map(|w| (w[1].1 - w[0].1) as f64 / 1000.0)
        .sum();
    let state = match run.state.as_str() {
        "SUCCEEDED" => JobState::Success,
        "STOPPED" => JobState::Cancelled,
        _ => JobState::Failed,
    };
    Measured {
        arm: arm.to_string(),
        service: "glue".into(),
        repeat,
        application_id: job.to_string(),
        job_run_id: run_id.to_string(),
        state,
        reason: run
            .error
            .clone()
            .or_else(|| (state != JobState::Success).then(|| run.state.clone())),
        submitted_at_ms,
        transitions,
        submit_to_created_s: run
            .started_on
            .map(|s| (s.timestamp_millis() - submitted_at_ms) as f64 / 1000.0),
        start_s: startup_s.map(|s| (s - waiting).max(0.0)),
        queued_s: (waiting > 0.0).then_some(waiting),
        startup_s,
        runtime_s: Some(run.execution_time_s),
        cost_usd: Some(super::glue::cost_usd(g, run)),
        cost_basis: Some(
            if run.dpu_seconds.is_some_and(|d| d > 0.0) {
                "dpu_seconds"
            } else {
                "workers_x_time"
            }
            .into(),
        ),
        billed_polls: 0,
        provisioning_s: None,
        teardown_s: None,
        run: None,
    }
}

/// What following an EMR on EC2 run saw.
struct ClusterDone {
    step_id: String,
    cluster: Option<super::emr::ClusterStatus>,
    step: Option<super::emr::StepStatus>,
    instances: Vec<super::emr::InstanceLife>,
    transitions: Vec<(String, i64)>,
    timed_out: bool,
}

enum ClusterFollowed {
    /// Stopped by Ctrl-C or another run's error; the step, when known.
    Cancelled(Option<String>),
    Done(Box<ClusterDone>),
}

/// Polls a step (and a transient cluster) until the step has ended and a
/// transient cluster has terminated, so its instances' end times are
/// known. A run past the plan's timeout (plus the provisioning bound for a
/// transient cluster) is ended by the runner: EMR steps have no timeout.
async fn follow_cluster(
    ctx: &Ctx<'_>,
    cluster: &str,
    step: String,
    transient: bool,
    submitted_at_ms: i64,
) -> Result<ClusterFollowed, String> {
    let plan = &ctx.checked.plan;
    let poll = Duration::from_secs_f64(plan.poll_seconds);
    let provision_min = if transient {
        super::plan::PROVISION_LIMIT_MINUTES
    } else {
        0.0
    };
    let limit_ms =
        submitted_at_ms + ((f64::from(plan.timeout_minutes) + provision_min) * 60_000.0) as i64;
    let mut transitions: Vec<(String, i64)> = Vec::new();
    let note = |what: String, transitions: &mut Vec<(String, i64)>| {
        if !transitions.iter().any(|(s, _)| *s == what) {
            transitions.push((what, now_ms()));
        }
    };
    let mut step_id = step;
    let mut timed_out: Option<i64> = None;
    let mut step_done = false;
    let mut told = false;
    loop {
        // A transient cluster whose step has ended costs nothing more to
        // wait for: its teardown is followed to the end so the run is
        // measured, not thrown away.
        if ctx.halted() && !(transient && step_done) {
            return Ok(ClusterFollowed::Cancelled(
                (!step_id.is_empty()).then_some(step_id),
            ));
        }
        if ctx.halted() && !told {
            told = true;
            ctx.say(&format!(
                "{cluster}: its step has ended; waiting for the cluster to terminate to measure it"
            ));
        }
        // An existing cluster is watched too: if it ends, so does the step.
        let status = ctx.emr.cluster(cluster).await?;
        note(format!("cluster {}", status.state), &mut transitions);
        if transient && step_id.is_empty() {
            step_id = ctx.emr.first_step(cluster).await?.unwrap_or_default();
        }
        let step = if step_id.is_empty() {
            None
        } else {
            let s = ctx.emr.step_status(cluster, &step_id).await?;
            note(format!("step {}", s.state), &mut transitions);
            Some(s)
        };
        step_done = step.as_ref().is_some_and(|s| s.is_final());
        let cluster_done = status.is_ended();
        if cluster_done || (!transient && step_done) {
            let instances = ctx.emr.instances(cluster).await?;
            return Ok(ClusterFollowed::Done(Box::new(ClusterDone {
                step_id,
                cluster: transient.then_some(status),
                step,
                instances,
                transitions,
                timed_out: timed_out.is_some(),
            })));
        }
        let now = now_ms();
        match timed_out {
            // Only a step still going is past its time: a cluster tearing
            // down after its step ended is not.
            None if now > limit_ms && !step_done => {
                timed_out = Some(now);
                ctx.say(&format!(
                    "{cluster}: past the plan's {} minutes{}; ending it",
                    plan.timeout_minutes,
                    if transient {
                        " (plus provisioning)"
                    } else {
                        ""
                    }
                ));
                if transient {
                    ctx.emr.terminate(cluster).await?;
                } else {
                    ctx.emr.cancel_step(cluster, &step_id).await?;
                }
            }
            Some(at) if now - at > END_GRACE_MS => {
                return Err(format!(
                    "{cluster}: {} {} minutes after emrcost asked to end it; end it in the EMR console (it is tagged {}={})",
                    if transient { "still not terminated" } else { "the step is still running" },
                    END_GRACE_MS / 60_000,
                    super::aws::TAG,
                    plan.name
                ));
            }
            _ => {}
        }
        tokio::time::sleep(poll).await;
    }
}

/// How long a cluster may take to terminate (or a step to cancel) after
/// emrcost asks, before the run is given up with an error: emrcost's bound.
const END_GRACE_MS: i64 = 15 * 60_000;

/// An EMR on EC2 run's parts: a transient cluster's provisioning (request
/// to ready), the step's wait, its runtime and the teardown after it; its
/// cost from the instances' lifetimes at the book's EC2 + EMR + EBS rates
/// (a step on an existing cluster: the instances' time during the step).
fn measure_cluster(
    arm: &str,
    repeat: u32,
    e: &super::plan::Ec2Arm,
    cluster_id: &str,
    transient: bool,
    done: ClusterDone,
    submitted_at_ms: i64,
) -> Measured {
    let secs = |a: Option<chrono::DateTime<chrono::Utc>>,
                b: Option<chrono::DateTime<chrono::Utc>>| {
        Some((b? - a?).num_milliseconds() as f64 / 1000.0)
    };
    let cluster = done.cluster.as_ref();
    let step = done.step.as_ref();
    let created = if transient {
        cluster.and_then(|c| c.created)
    } else {
        step.and_then(|s| s.created)
    };
    let ready = cluster.and_then(|c| c.ready);
    let step_started = step.and_then(|s| s.started);
    let step_ended = step.and_then(|s| s.ended);
    let provisioning_s = if transient {
        secs(created, ready)
    } else {
        None
    };
    let wait_from = match (ready, step.and_then(|s| s.created)) {
        (Some(r), Some(c)) if transient => Some(r.max(c)),
        (_, c) => c,
    };
    let state = match step.map(|s| s.state.as_str()) {
        Some("COMPLETED") if !done.timed_out => JobState::Success,
        Some("CANCELLED") => JobState::Cancelled,
        _ => JobState::Failed,
    };
    let mut reason = if done.timed_out {
        Some("ended by emrcost: past the plan's timeout".to_string())
    } else {
        step.and_then(|s| s.reason.clone())
    };
    if state != JobState::Success && reason.is_none() {
        reason = cluster
            .and_then(|c| c.reason.clone())
            .or_else(|| Some(step.map_or("the step never started".into(), |s| s.state.clone())));
    }
    let now = chrono::Utc::now();
    let window = if transient {
        let from = done
            .instances
            .iter()
            .filter_map(|i| i.created)
            .min()
            .or(created)
            .unwrap_or(now);
        (from, cluster.and_then(|c| c.ended).unwrap_or(now))
    } else {
        (
            step_started.or(created).unwrap_or(now),
            step_ended.unwrap_or(now),
        )
    };
    let cost = super::emr::cost_of(&done.instances, &e.rates, window, transient);
    let (cost_usd, cost_basis) = if cost.missing_times > 0 {
        reason = reason.or_else(|| {
            Some(format!(
                "no cost: {} instance(s) without a creation time in ListInstances",
                cost.missing_times
            ))
        });
        (None, None)
    } else if !cost.unpriced.is_empty() {
        let mut types = cost.unpriced.clone();
        types.sort();
        types.dedup();
        reason = reason.or_else(|| {
            Some(format!(
                "no cost: instance types not in the price book: {}",
                types.join(", ")
            ))
        });
        (None, None)
    } else if done.instances.is_empty() {
        (None, None)
    } else {
        let mut basis = if transient {
            "instance_lifetimes".to_string()
        } else {
            "instances_during_step".to_string()
        };
        if cost.spot > 0 {
            basis.push_str("; spot priced at on-demand");
        }
        (Some(cost.usd), Some(basis))
    };
    let teardown_s = if transient {
        let last_end = done.instances.iter().filter_map(|i| i.ended).max();
        secs(step_ended, last_end.or(cluster.and_then(|c| c.ended)))
    } else {
        None
    };
    Measured {
        arm: arm.to_string(),
        service: "emr-on-ec2".into(),
        repeat,
        application_id: cluster_id.to_string(),
        job_run_id: done.step_id.clone(),
        state,
        reason,
        submitted_at_ms,
        transitions: done.transitions.clone(),
        submit_to_created_s: created
            .map(|c| (c.timestamp_millis() - submitted_at_ms) as f64 / 1000.0),
        start_s: provisioning_s,
        queued_s: secs(wait_from, step_started),
        startup_s: secs(created, step_started),
        runtime_s: secs(step_started, step_ended),
        cost_usd,
        cost_basis,
        billed_polls: 0,
        provisioning_s,
        teardown_s,
        run: None,
    }
}
