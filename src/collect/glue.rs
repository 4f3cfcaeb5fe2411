//! `emrcost collect glue`: Glue Spark job runs into the same dataset as
//! EMR Serverless runs, as rows of the one run table with the `glue_*`
//! columns, so `report` prices them like any other runs (their Glue cost is
//! their own; EMR Serverless and EMR on EC2 are estimated).
//!
//! GetJobs lists the jobs (Spark ones only: `glueetl`); GetJobRuns pages
//! each job's runs, newest first, so paging stops at `--since`, and at the
//! point a previous complete pass reached (the job's mark): runs older than
//! it were final then and are not recorded again. Every page's runs are
//! journalled before the next call; the dataset is compacted at the end.
//! Glue keeps 90 days of runs (FACTS.md section 12): collect on a schedule
//! to keep a longer history. Glue's per-call quotas are not published; the
//! pace is `--rate`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_glue as glue;
use chrono::{DateTime, Utc};

use super::dataset::{key_of, Dataset};
use super::emr_serverless::{classify, describe, with_iam_action};
use super::pacing::{paced, Backoff, Bucket, CallStats, Rate};
use crate::model::{Architecture, GlueUse, JobRun, JobState, UsageSource};
use crate::pricing::GlueWorker;

/// What to collect and how fast.
#[derive(Debug, Clone)]
pub struct GlueOptions {
    pub regions: Vec<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// Empty: every Spark job.
    pub jobs: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub rate: Rate,
    pub backoff: Backoff,
    /// Jobs paged at once (all within `rate`).
    pub concurrency: usize,
    pub attempt_timeout: Duration,
    /// The account the runs are recorded under.
    pub account_id: Option<String>,
    /// Heap Glue gives a Spark process per DPU (the Glue cost model's
    /// `glue_heap_gb_per_dpu`): the executor size recorded for a run.
    pub heap_gb_per_dpu: f64,
}

/// Progress as the collection goes.
pub trait Progress: Send + Sync {
    /// A page of runs: how many, and how many were recorded.
    fn page(&self, runs: u64, recorded: u64);
    fn phase(&self, message: &str);
}

/// What a collection did.
#[derive(Debug, Default)]
pub struct GlueSummary {
    pub jobs: usize,
    /// Jobs that are not Spark (pythonshell, Ray, streaming): skipped.
    pub skipped_jobs: Vec<String>,
    pub listed: u64,
    pub recorded: u64,
    pub already_final: u64,
    pub pages: u64,
    pub calls: u64,
    pub throttled: u64,
    pub transient: u64,
    pub elapsed: Duration,
    pub interrupted: bool,
    pub failures: Vec<String>,
    /// Jobs whose tags were read (GetTags), and why they were not where
    /// they could not be (the runs are recorded untagged then).
    pub tagged_jobs: usize,
    pub tag_notes: Vec<String>,
}

use crate::collect::emr_serverless::utc as time;

/// A job's defaults, for runs that do not say.
#[derive(Debug, Clone)]
struct JobInfo {
    name: String,
    version: Option<String>,
    worker_type: Option<String>,
    workers: Option<i32>,
    max_capacity: Option<f64>,
}

/// Glue's run states as the run table's (FACTS.md section 12): WAITING is
/// queued for capacity, TIMEOUT, ERROR and EXPIRED failed.
fn state_of(s: &str) -> JobState {
    match s {
        "SUCCEEDED" => JobState::Success,
        "FAILED" | "TIMEOUT" | "ERROR" | "EXPIRED" => JobState::Failed,
        "STOPPED" => JobState::Cancelled,
        "STOPPING" => JobState::Cancelling,
        "WAITING" => JobState::Queued,
        "STARTING" => JobState::Scheduled,
        _ => JobState::Running,
    }
}

/// One GetJobRuns entry as a record of the run table. The executor and
/// driver sizes are the worker type's (one Spark process per worker, its
/// heap `heap_gb_per_dpu` per DPU); a worker type the price book does not
/// know is sized by its DPU as a G type would be (4 vCPU per DPU).
fn convert(
    region: &str,
    job: &JobInfo,
    r: &glue::types::JobRun,
    workers_book: &[GlueWorker],
    heap_gb_per_dpu: f64,
) -> Result<JobRun, String> {
    let id = r.id().ok_or("a run without an Id")?.to_string();
    let state = r.job_run_state().map_or("RUNNING", |s| s.as_str());
    let version = r
        .glue_version()
        .map(str::to_string)
        .or_else(|| job.version.clone())
        // Glue's default for a job that names no version (AWS API docs).
        .unwrap_or_else(|| "0.9".into());
    let parsed = version
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u8>().ok()?, b.parse::<u8>().ok()?)))
        .ok_or_else(|| format!("{id}: Glue version '{version}' is not a version"))?;
    let worker_type = r
        .worker_type()
        .map(|w| w.as_str().to_string())
        .or_else(|| job.worker_type.clone());
    let workers = r.number_of_workers().or(job.workers).filter(|n| *n > 0);
    let book = worker_type
        .as_deref()
        .and_then(|t| workers_book.iter().find(|w| w.name == t));
    let (dpu, workers, dpu_per_worker) = match (workers, &book) {
        (Some(n), Some(w)) => (f64::from(n) * w.dpu, n as u32, w.dpu),
        (Some(n), None) => {
            let total = r
                .max_capacity()
                .or(job.max_capacity)
                .unwrap_or(f64::from(n));
            (total, n as u32, total / f64::from(n))
        }
        // MaxCapacity only (Standard workers, or older jobs): a DPU per worker.
        (None, _) => {
            let total = r
                .max_capacity()
                .or(job.max_capacity)
                .filter(|c| *c > 0.0)
                .ok_or_else(|| format!("{id}: neither NumberOfWorkers nor MaxCapacity"))?;
            (total, total.ceil() as u32, 1.0)
        }
    };
    let (vcpu, heap) = match book {
        Some(w) => (w.vcpu, heap_gb_per_dpu * w.dpu),
        None => (4.0 * dpu_per_worker, heap_gb_per_dpu * dpu_per_worker),
    };
    let js = state_of(state);
    let execution = f64::from(r.execution_time().max(0));
    let started = time(r.started_on());
    let ended = time(r.completed_on());
    Ok(JobRun {
        region: region.to_string(),
        application_id: job.name.clone(),
        application_name: Some(job.name.clone()),
        architecture: Architecture::X86_64,
        job_run_id: id,
        attempt: (r.attempt().max(0) as u32) + 1,
        job_name: Some(job.name.clone()),
        state: js,
        release_label: Some(format!("glue-{version}")),
        created_at: started,
        started_at: started,
        ended_at: if js.is_final() { ended } else { None },
        queued_ms: None,
        duration_s: (js.is_final() || execution > 0.0).then_some(execution),
        billed: None,
        total: None,
        executor_vcpu: Some(vcpu),
        executor_memory_gb: Some(heap),
        executor_disk_gb: None,
        driver_vcpu: Some(vcpu),
        driver_memory_gb: Some(heap),
        max_executors: Some(workers.saturating_sub(1)),
        peak_executors: None,
        incomplete: false,
        source: UsageSource::GlueApi,
        glue: Some(GlueUse {
            dpu,
            workers,
            version: parsed,
            flex: r
                .execution_class()
                .is_some_and(|c| *c == glue::types::ExecutionClass::Flex),
            dpu_seconds: r.dpu_seconds().filter(|d| *d > 0.0),
        }),
        glue_worker_type: worker_type,
        ec2_cost_usd: None,
        ec2_cluster_id: None,
        account_id: None,
        tags: None,
    })
}

/// Runs Glue lists late (eventual consistency) must not fall below a
/// mark: it is kept this far behind the newest final run.
const MARK_MARGIN_HOURS: i64 = 1;

/// The newest start time below which every run seen is final, less a
/// margin: where the next pass can stop.
fn mark_of(
    seen: &[(Option<DateTime<Utc>>, bool)],
    old: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let oldest_open = seen
        .iter()
        .filter(|(_, done)| !done)
        .filter_map(|(t, _)| *t)
        .min();
    let newest_done = seen
        .iter()
        .filter(|(t, done)| *done && oldest_open.is_none_or(|o| t.is_some_and(|t| t < o)))
        .filter_map(|(t, _)| *t)
        .max();
    let newest_done = newest_done.map(|n| n - chrono::Duration::hours(MARK_MARGIN_HOURS));
    match (newest_done, old) {
        (Some(n), Some(o)) => Some(n.max(o)),
        (n, o) => n.or(o),
    }
}

struct Client {
    client: glue::Client,
    region: String,
    bucket: Bucket,
    backoff: Backoff,
    stats: Arc<CallStats>,
}

impl Client {
    async fn jobs(&self) -> Result<Vec<(JobInfo, String)>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = paced(&self.bucket, &self.backoff, &self.stats, classify, || {
                self.client
                    .get_jobs()
                    .max_results(1000)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| {
                with_iam_action(
                    format!("GetJobs in {}: {}", self.region, describe(&e)),
                    "glue:GetJobs",
                )
            })?;
            for j in page.jobs() {
                let command = j
                    .command()
                    .and_then(|c| c.name())
                    .unwrap_or("glueetl")
                    .to_string();
                out.push((
                    JobInfo {
                        name: j.name().unwrap_or_default().to_string(),
                        version: j.glue_version().map(str::to_string),
                        worker_type: j.worker_type().map(|w| w.as_str().to_string()),
                        workers: j.number_of_workers(),
                        max_capacity: j.max_capacity(),
                    },
                    command,
                ));
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// A job's tags (GetTags on the job's ARN).
    async fn tags(&self, account: &str, job: &str) -> Result<Tags, String> {
        let arn = format!(
            "arn:{}:glue:{}:{account}:job/{job}",
            partition(&self.region),
            self.region
        );
        let out = paced(&self.bucket, &self.backoff, &self.stats, classify, || {
            self.client.get_tags().resource_arn(&arn).send()
        })
        .await
        .map_err(|e| {
            with_iam_action(
                format!("GetTags {job} in {}: {}", self.region, describe(&e)),
                "glue:GetTags",
            )
        })?;
        Ok(out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn runs_page(
        &self,
        job: &str,
        token: Option<String>,
    ) -> Result<(Vec<glue::types::JobRun>, Option<String>), String> {
        let page = paced(&self.bucket, &self.backoff, &self.stats, classify, || {
            self.client
                .get_job_runs()
                .job_name(job)
                .max_results(200)
                .set_next_token(token.clone())
                .send()
        })
        .await
        .map_err(|e| {
            with_iam_action(
                format!("GetJobRuns {job} in {}: {}", self.region, describe(&e)),
                "glue:GetJobRuns",
            )
        })?;
        Ok((
            page.job_runs().to_vec(),
            page.next_token().map(str::to_string),
        ))
    }
}

type Tags = BTreeMap<String, String>;

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// What paging one job did.
#[derive(Default)]
struct JobPass {
    listed: u64,
    recorded: u64,
    already_final: u64,
    pages: u64,
    failures: Vec<String>,
}

/// Pages one job's runs and records what is new or changed.
#[allow(clippy::too_many_arguments)]
async fn pass(
    client: &Client,
    opts: &GlueOptions,
    (job, tags): &(JobInfo, Option<String>),
    ds: &Mutex<&mut Dataset>,
    workers_book: &[GlueWorker],
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<JobPass, String> {
    let mark_key = format!("{}/{}", client.region, job.name);
    let stored = lock(ds).state.glue_marks.get(&mark_key).copied();
    // The mark may end this pass only when the pass that set it reached at
    // least as far back as this one's window starts; otherwise older runs
    // were never seen.
    let old_mark = stored
        .filter(|m| m.since.is_none_or(|s| opts.since.is_some_and(|o| o >= s)))
        .map(|m| m.mark);
    let mut out = JobPass::default();
    let mut seen: Vec<(Option<DateTime<Utc>>, bool)> = Vec::new();
    let mut stopped_at_mark = false;
    let mut token = None;
    let complete = loop {
        if stop.load(Ordering::Relaxed) {
            break false;
        }
        let (runs, next) = client.runs_page(&job.name, token).await?;
        out.pages += 1;
        let mut fresh = Vec::new();
        let mut reached_old = false;
        {
            let ds = lock(ds);
            for r in &runs {
                let started = time(r.started_on());
                // Newest first: the window's start ends the paging.
                if let (Some(since), Some(t)) = (opts.since, started) {
                    if t < since {
                        reached_old = true;
                        continue;
                    }
                }
                if let (Some(until), Some(t)) = (opts.until, started) {
                    if t >= until {
                        continue;
                    }
                }
                out.listed += 1;
                let run = match convert(&client.region, job, r, workers_book, opts.heap_gb_per_dpu)
                {
                    Ok(run) => run,
                    Err(e) => {
                        out.failures.push(format!("{}: {e}", job.name));
                        continue;
                    }
                };
                let final_before = ds.get(&key_of(&run)).is_some_and(|o| o.state.is_final());
                // A run with no start time cannot be placed: it holds the
                // mark back (seen as open at the epoch).
                seen.push((
                    started.or(DateTime::from_timestamp(0, 0)),
                    run.state.is_final(),
                ));
                if final_before {
                    out.already_final += 1;
                    // Every run older than the mark was final at the last
                    // complete pass: nothing further back is new.
                    if old_mark.is_some_and(|m| started.is_some_and(|t| t <= m)) {
                        reached_old = true;
                        stopped_at_mark = true;
                    }
                    continue;
                }
                fresh.push(JobRun {
                    account_id: opts.account_id.clone(),
                    tags: tags.clone(),
                    ..run
                });
            }
        }
        let recorded = fresh.len() as u64;
        // The page's runs in one write and one fsync.
        lock(ds).record_all(fresh).map_err(|e| e.to_string())?;
        out.recorded += recorded;
        progress.page(runs.len() as u64, recorded);
        token = next;
        if reached_old || token.is_none() {
            break true;
        }
    };
    if complete {
        // Stopped at the old mark: the old pass's reach holds; else this
        // pass reached back to its own window's start.
        let since = if stopped_at_mark {
            stored.and_then(|m| m.since)
        } else {
            opts.since
        };
        if let Some(mark) = mark_of(&seen, old_mark) {
            lock(ds)
                .state
                .glue_marks
                .insert(mark_key, super::dataset::GlueMark { since, mark });
        }
    }
    Ok(out)
}

fn lock<'a, 'b>(m: &'a Mutex<&'b mut Dataset>) -> std::sync::MutexGuard<'a, &'b mut Dataset> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Collects Glue runs into `ds`; `stop` is set on Ctrl-C: pages in flight
/// finish and are recorded, and the dataset is compacted.
pub async fn collect_glue(
    opts: &GlueOptions,
    config: &aws_config::SdkConfig,
    ds: &mut Dataset,
    workers_book: &[GlueWorker],
    progress: &dyn Progress,
    stop: Arc<AtomicBool>,
) -> Result<GlueSummary, String> {
    use futures_util::StreamExt;

    let started = Instant::now();
    let stats = Arc::new(CallStats::default());
    let mut summary = GlueSummary::default();
    let shared = Mutex::new(ds);
    let result: Result<(), String> = async {
        for region in &opts.regions {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            progress.phase(&format!("{region}: Glue jobs"));
            let conf = glue::config::Builder::from(config)
                .region(aws_config::Region::new(region.clone()))
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .build();
            let client = Client {
                client: glue::Client::from_conf(conf),
                region: region.clone(),
                bucket: Bucket::new(opts.rate),
                backoff: opts.backoff,
                stats: stats.clone(),
            };
            let mut jobs = Vec::new();
            let listed = client.jobs().await?;
            for name in &opts.jobs {
                if !listed.iter().any(|(j, _)| &j.name == name) {
                    return Err(format!(
                        "--job {name}: no such Glue job in {region}; list them with `aws glue list-jobs --region {region}`"
                    ));
                }
            }
            for (job, command) in listed {
                if !opts.jobs.is_empty() && !opts.jobs.contains(&job.name) {
                    continue;
                }
                if command != "glueetl" {
                    summary
                        .skipped_jobs
                        .push(format!("{region}/{} ({command})", job.name));
                    continue;
                }
                jobs.push(job);
            }
            summary.jobs += jobs.len();
            // Each job's tags, for `report --group-by tag:KEY`; the ARN
            // needs the account. A job whose tags cannot be read still has
            // its runs collected.
            progress.phase(&format!("{region}: Glue job tags"));
            let jobs: Vec<(JobInfo, Option<String>)> = match &opts.account_id {
                None => {
                    summary.tag_notes.push(format!(
                        "{region}: the account is unknown, so the jobs' tags (GetTags on the job's ARN) were not read"
                    ));
                    jobs.into_iter().map(|j| (j, None)).collect()
                }
                Some(account) => {
                    let read: Vec<(JobInfo, Result<Tags, String>)> =
                        futures_util::stream::iter(jobs)
                            .map(|j| async {
                                let t = client.tags(account, &j.name).await;
                                (j, t)
                            })
                            .buffered(opts.concurrency.max(1))
                            .collect()
                            .await;
                    read.into_iter()
                        .map(|(j, t)| match t {
                            Ok(t) => {
                                summary.tagged_jobs += 1;
                                (j, crate::model::tags_text(&t))
                            }
                            Err(e) => {
                                summary.tag_notes.push(format!("{e}; its runs are recorded untagged"));
                                (j, None)
                            }
                        })
                        .collect()
                }
            };
            progress.phase(&format!("{region}: Glue job runs"));
            let passes: Vec<Result<JobPass, String>> = futures_util::stream::iter(&jobs)
                .map(|job| pass(&client, opts, job, &shared, workers_book, progress, &stop))
                .buffer_unordered(opts.concurrency.max(1))
                .collect()
                .await;
            for p in passes {
                let p = p?;
                summary.listed += p.listed;
                summary.recorded += p.recorded;
                summary.already_final += p.already_final;
                summary.pages += p.pages;
                summary.failures.extend(p.failures);
            }
        }
        Ok(())
    }
    .await;
    // Whatever happened, what was recorded is compacted.
    let ds = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    ds.compact().map_err(|e| e.to_string())?;
    let (calls, throttled, transient) = stats.snapshot();
    summary.calls = calls;
    summary.throttled = throttled;
    summary.transient = transient;
    summary.elapsed = started.elapsed();
    summary.interrupted = stop.load(Ordering::Relaxed);
    result?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> Option<DateTime<Utc>> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).single()
    }

    #[test]
    fn the_mark_stops_below_the_oldest_run_still_going() {
        // Newest first: a run still going at 300 s; final runs at 400, 200
        // and 100: the next pass must see 300 again, so the mark is 200.
        let seen = [
            (at(400), true),
            (at(300), false),
            (at(200), true),
            (at(100), true),
        ];
        // (Less the hour's margin for runs listed late.)
        let hour = chrono::Duration::hours(1);
        assert_eq!(mark_of(&seen, None), at(200).map(|t| t - hour));
        // All final: the newest.
        let seen = [(at(400), true), (at(200), true)];
        assert_eq!(mark_of(&seen, None), at(400).map(|t| t - hour));
        // Nothing final above an old mark keeps it.
        assert_eq!(mark_of(&[(at(500), false)], at(50)), at(50));
    }

    #[test]
    fn glue_states_map_to_the_run_table() {
        assert_eq!(state_of("SUCCEEDED"), JobState::Success);
        assert_eq!(state_of("TIMEOUT"), JobState::Failed);
        assert_eq!(state_of("STOPPED"), JobState::Cancelled);
        assert_eq!(state_of("WAITING"), JobState::Queued);
    }
}
