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
use std::sync::Arc;
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
    /// An EMR Serverless run as a record of the one run table (a Glue run
    /// has none: the table is EMR Serverless's).
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

    /// A run submitted and neither finished nor cancelled: follow it again.
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

/// Runs the plan. `stop` is set on Ctrl-C: the run in flight is cancelled,
/// created applications are stopped and deleted, and the journal says what
/// is left for a resumed run.
pub async fn run(
    checked: &CheckedPlan,
    config: &aws_config::SdkConfig,
    pricer: &Pricer<'_>,
    opts: &Options,
    progress: &dyn Progress,
    stop: Arc<AtomicBool>,
) -> Result<Outcome, String> {
    let plan = &checked.plan;
    let aws = Serverless::new(config, &plan.region);
    let mut journal = Journal::open(&opts.out)?;
    let mut outcome = Outcome::default();
    // Spend so far, counting runs finished in an earlier, resumed run.
    for e in &journal.events {
        if let Event::Finished(m) = e {
            outcome.spent_usd += m.cost_usd.unwrap_or(0.0);
        }
    }
    let mut apps: HashMap<String, (ApplicationInfo, bool, Option<std::time::Instant>)> =
        HashMap::new();
    let glue = super::glue::Glue::new(config, &plan.region, aws.pacer.stats.clone());
    // arm label -> (job name, created by the runner)
    let mut glue_jobs: HashMap<String, (String, bool)> = HashMap::new();
    let fleet = pricer.fleet();
    let mut cache = crate::cost::PlanCache::default();
    let mut used = crate::cost::RowsUsed::default();

    // The run in flight: (arm, application or job, run id, on Glue).
    let mut current: Option<(String, String, String, bool)> = None;
    // Each arm's last scheduled repeat: its resources go once it is done.
    let mut last_of: HashMap<usize, u32> = HashMap::new();
    for (a, r) in checked.schedule() {
        last_of.insert(a, r);
    }
    let result: Result<(), String> = async {
        for (arm_i, repeat) in checked.schedule() {
            let arm = &checked.arms[arm_i];
            let label = &arm.arm.label;
            if journal.finished(label, repeat) {
                continue;
            }
            if stop.load(Ordering::Relaxed) {
                outcome.interrupted = true;
                break;
            }
            if let Some(max) = opts.max_cost_usd {
                // Pre-initialized capacity bills while it is up.
                let capacity: f64 = apps
                    .iter()
                    .filter_map(|(label, (_, _, started))| {
                        let arm = checked.arms.iter().find(|a| &a.arm.label == label)?;
                        Some(arm.initial_hour_usd * started.as_ref()?.elapsed().as_secs_f64() / 3600.0)
                    })
                    .sum();
                if outcome.spent_usd + capacity >= max {
                    outcome.stopped_by_budget = true;
                    progress.event(&format!(
                        "budget reached: ${:.2} spent of --max-cost ${max:.2}; no more runs are submitted",
                        outcome.spent_usd
                    ));
                    break;
                }
            }
            if let Some(g) = &arm.glue {
                if !glue_jobs.contains_key(label) {
                    let job = match (&arm.arm.job_name, journal.created_app(label)) {
                        (Some(name), _) => (name.clone(), false),
                        (None, Some(name)) => (name, true),
                        (None, None) => {
                            let name = glue.create_job(plan, arm, g).await?;
                            journal.append(Event::Application {
                                arm: label.clone(),
                                application_id: name.clone(),
                            })?;
                            progress.event(&format!("{label}: created Glue job {name}"));
                            (name, true)
                        }
                    };
                    glue_jobs.insert(label.clone(), job);
                }
                let job = glue_jobs[label].0.clone();
                let (run_id, submitted_at_ms) = match journal.in_flight(label, repeat) {
                    Some((j, run_id, at)) if j == job => (run_id, at),
                    _ => {
                        let at = now_ms();
                        let run_id = glue.start_job_run(plan, &job, g).await?;
                        journal.append(Event::Submitted {
                            arm: label.clone(),
                            repeat,
                            application_id: job.clone(),
                            job_run_id: run_id.clone(),
                            submitted_at_ms: at,
                        })?;
                        progress.event(&format!("{label} #{}: submitted {run_id}", repeat + 1));
                        (run_id, at)
                    }
                };
                current = Some((label.clone(), job.clone(), run_id.clone(), true));
                match follow_glue(&glue, plan, &job, &run_id, &stop).await? {
                    None => {
                        glue.stop(&job, &run_id).await?;
                        journal.append(Event::Cancelled {
                            arm: label.clone(),
                            repeat,
                            job_run_id: run_id.clone(),
                        })?;
                        progress.event(&format!("{label} #{}: stopped {run_id}", repeat + 1));
                        current = None;
                        outcome.interrupted = true;
                        break;
                    }
                    Some((run, transitions)) => {
                        let m = measure_glue(label, repeat, &job, &run_id, g, &run, transitions, submitted_at_ms);
                        outcome.spent_usd += m.cost_usd.unwrap_or(0.0);
                        progress.event(&format!(
                            "{label} #{}: {} in {}, waited {}, ${:.4}",
                            repeat + 1,
                            run.state,
                            m.runtime_s.map_or("-".into(), |s| format!("{s:.1} s")),
                            m.startup_s.map_or("-".into(), |s| format!("{s:.1} s")),
                            m.cost_usd.unwrap_or(0.0)
                        ));
                        journal.append(Event::Finished(Box::new(m)))?;
                        current = None;
                    }
                }
                if last_of.get(&arm_i) == Some(&repeat) && glue_jobs.get(label).is_some_and(|j| j.1) {
                    let job = glue_jobs.remove(label).map(|j| j.0).unwrap_or_default();
                    release(&aws, &glue, checked, &mut journal, label, &job, None, progress).await?;
                }
                continue;
            }
            if !apps.contains_key(label) {
                match application_for(&aws, checked, arm, &mut journal, progress, &stop).await {
                    Ok(entry) => {
                        apps.insert(label.clone(), entry);
                    }
                    // Ctrl-C while the application was starting: nothing
                    // was submitted; clean-up deletes the application.
                    Err(_) if stop.load(Ordering::Relaxed) => {
                        outcome.interrupted = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            let app = apps[label].0.clone();
            if stop.load(Ordering::Relaxed) {
                outcome.interrupted = true;
                break;
            }
            let (run_id, submitted_at_ms) = match journal.in_flight(label, repeat) {
                Some((app_id, run_id, at)) if app_id == app.application_id => {
                    progress.event(&format!("{label} #{}: following {run_id} again", repeat + 1));
                    (run_id, at)
                }
                _ => {
                    // Fixed within one attempt (a retried or resumed submit
                    // is the same run), new for each attempt and benchmark.
                    let token = format!(
                        "{}-{}-{}-{}",
                        journal.nonce().unwrap_or("0"),
                        arm_i,
                        repeat + 1,
                        journal.attempts(label, repeat) + 1
                    );
                    let at = now_ms();
                    let run_id = aws.start_job_run(plan, arm, &app.application_id, &token).await?;
                    journal.append(Event::Submitted {
                        arm: label.clone(),
                        repeat,
                        application_id: app.application_id.clone(),
                        job_run_id: run_id.clone(),
                        submitted_at_ms: at,
                    })?;
                    progress.event(&format!("{label} #{}: submitted {run_id}", repeat + 1));
                    (run_id, at)
                }
            };
            current = Some((label.clone(), app.application_id.clone(), run_id.clone(), false));
            match follow(&aws, plan, &app, &run_id, &stop).await? {
                Followed::Cancelled => {
                    aws.cancel_job_run(&app.application_id, &run_id).await?;
                    journal.append(Event::Cancelled {
                        arm: label.clone(),
                        repeat,
                        job_run_id: run_id.clone(),
                    })?;
                    progress.event(&format!("{label} #{}: cancelled {run_id}", repeat + 1));
                    current = None;
                    outcome.interrupted = true;
                    break;
                }
                Followed::Done {
                    run,
                    reason,
                    transitions,
                    billed_polls,
                } => {
                    let m = measure(MeasureInput {
                        arm: label,
                        repeat,
                        run: *run,
                        reason,
                        transitions,
                        billed_polls,
                        submitted_at_ms,
                        fleet: &fleet,
                        cache: &mut cache,
                        used: &mut used,
                    });
                    outcome.spent_usd += m.cost_usd.unwrap_or(0.0);
                    progress.event(&format!(
                        "{label} #{}: {} in {}, startup {}, ${:.4}",
                        repeat + 1,
                        m.state,
                        m.runtime_s.map_or("-".into(), |s| format!("{s:.1} s")),
                        m.startup_s.map_or("-".into(), |s| format!("{s:.1} s")),
                        m.cost_usd.unwrap_or(0.0)
                    ));
                    journal.append(Event::Finished(Box::new(m)))?;
                    current = None;
                }
            }
            // The arm's last run is done: its application goes now, so
            // pre-initialized capacity does not bill through other arms.
            if last_of.get(&arm_i) == Some(&repeat) && apps.get(label).is_some_and(|a| a.1) {
                if let Some((app, _, started)) = apps.remove(label) {
                    release(&aws, &glue, checked, &mut journal, label, &app.application_id, started, progress)
                        .await?;
                }
            }
        }
        Ok(())
    }
    .await;

    // Whatever happened: a run left in flight by an error is cancelled,
    // and everything the runner created (in this process or an earlier
    // one) is stopped and deleted.
    let mut cleanup_errors = Vec::new();
    if let (Err(_), Some((label, container, run_id, is_glue))) = (&result, current.take()) {
        let cancelled = if is_glue {
            glue.stop(&container, &run_id).await
        } else {
            aws.cancel_job_run(&container, &run_id).await
        };
        if let Err(e) = cancelled {
            cleanup_errors.push(format!(
                "run {run_id} (arm {label}) could not be cancelled: {e}"
            ));
        }
    }
    for (label, id) in journal.created() {
        let started = apps.get(&label).and_then(|a| a.2);
        if let Err(e) = release(
            &aws,
            &glue,
            checked,
            &mut journal,
            &label,
            &id,
            started,
            progress,
        )
        .await
        {
            cleanup_errors.push(e);
        }
    }
    outcome.calls = aws.pacer.stats.snapshot();
    for e in &journal.events {
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

/// The arm's application: the plan's, or one created (or, on a resumed
/// run, the one created before), started when it has pre-initialized
/// capacity so that runs meet warm workers.
async fn application_for(
    aws: &Serverless,
    checked: &CheckedPlan,
    arm: &CheckedArm,
    journal: &mut Journal,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<(ApplicationInfo, bool, Option<std::time::Instant>), String> {
    let label = &arm.arm.label;
    let (id, created) = match (&arm.arm.application_id, journal.created_app(label)) {
        (Some(id), _) => (id.clone(), false),
        (None, Some(id)) => (id, true),
        (None, None) => {
            let token = format!(
                "{}-app-{}",
                journal.nonce().unwrap_or("0"),
                super::aws::slug(label)
            );
            let id = aws.create_application(&checked.plan, arm, &token).await?;
            journal.append(Event::Application {
                arm: label.clone(),
                application_id: id.clone(),
            })?;
            progress.event(&format!("{label}: created application {id}"));
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
        wait_for_state(aws, &id, &["STARTED"], Duration::from_secs(900), Some(stop)).await?;
        started = Some(std::time::Instant::now());
        progress.event(&format!(
            "{label}: application {id} started with its pre-initialized capacity"
        ));
    }
    Ok((info, created, started))
}

/// Stops and deletes what the runner created for an arm (an application,
/// or a Glue job), noting how long pre-initialized capacity was up.
#[allow(clippy::too_many_arguments)]
async fn release(
    aws: &Serverless,
    glue: &super::glue::Glue,
    checked: &CheckedPlan,
    journal: &mut Journal,
    label: &str,
    id: &str,
    started: Option<std::time::Instant>,
    progress: &dyn Progress,
) -> Result<(), String> {
    if let Some(at) = started {
        journal.append(Event::CapacityUp {
            arm: label.to_string(),
            seconds: at.elapsed().as_secs_f64(),
        })?;
    }
    let is_glue = checked
        .arms
        .iter()
        .any(|a| a.arm.label == label && a.glue.is_some());
    let done = if is_glue {
        glue.delete_job(id).await
    } else {
        async {
            aws.stop_application(id).await?;
            wait_for_state(
                aws,
                id,
                &["STOPPED", "CREATED"],
                Duration::from_secs(300),
                None,
            )
            .await?;
            aws.delete_application(id).await
        }
        .await
    };
    match done {
        Ok(()) => {
            progress.event(&format!(
                "{label}: deleted {} {id}",
                if is_glue { "Glue job" } else { "application" }
            ));
            journal.append(Event::Deleted {
                arm: label.to_string(),
                application_id: id.to_string(),
            })
        }
        Err(e) => Err(format!(
            "{} {id} (arm {label}) could not be deleted: {e}; delete it by hand (it is tagged {}={})",
            if is_glue { "Glue job" } else { "application" },
            super::aws::TAG,
            checked.plan.name
        )),
    }
}

async fn wait_for_state(
    aws: &Serverless,
    id: &str,
    states: &[&str],
    limit: Duration,
    stop: Option<&AtomicBool>,
) -> Result<(), String> {
    let begun = std::time::Instant::now();
    loop {
        let (state, _) = aws.application(id).await?;
        if states.contains(&state.as_str()) {
            return Ok(());
        }
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
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
async fn follow(
    aws: &Serverless,
    plan: &super::plan::Plan,
    app: &ApplicationInfo,
    run_id: &str,
    stop: &AtomicBool,
) -> Result<Followed, String> {
    let poll = Duration::from_secs_f64(plan.poll_seconds);
    let mut transitions: Vec<(String, i64)> = Vec::new();
    loop {
        if stop.load(Ordering::Relaxed) {
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
                if stop.load(Ordering::Relaxed) {
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
        run: Some(run),
    }
}

/// Polls a Glue run until it ends; `None` when stopped by Ctrl-C.
async fn follow_glue(
    glue: &super::glue::Glue,
    plan: &super::plan::Plan,
    job: &str,
    run_id: &str,
    stop: &AtomicBool,
) -> Result<Option<(super::glue::GlueRun, Vec<(String, i64)>)>, String> {
    let poll = Duration::from_secs_f64(plan.poll_seconds);
    let mut transitions: Vec<(String, i64)> = Vec::new();
    loop {
        if stop.load(Ordering::Relaxed) {
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
        run: None,
    }
}
