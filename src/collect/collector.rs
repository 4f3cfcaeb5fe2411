//! `emrcost collect`: list, fetch and record job runs region by region,
//! then (with metrics) derive peak shapes and idle pre-initialized capacity.
//!
//! Listing and fetching overlap: each ListJobRuns page is handed to the
//! fetchers as it arrives, and up to `concurrency` GetJobRun calls are in
//! flight, all paced by the region's buckets. Every fetched run goes to the
//! dataset's journal before it counts as fetched.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::cloudwatch::{self, CloudWatch};
use super::dataset::{key_of, ApplicationInfo, Dataset, DatasetError, RunKey, RunRequest};
use super::emr_serverless::{ApiError, Emr, Listed};
use super::pacing::{Backoff, CallStats, Quotas};
use crate::model::{JobRun, JobState};

/// What to collect and how fast.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub regions: Vec<String>,
    pub profile: Option<String>,
    /// Overrides AWS_ENDPOINT_URL (which the SDK reads by itself).
    pub endpoint_url: Option<String>,
    /// Empty: every application in the region.
    pub application_ids: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Empty: every state.
    pub states: Vec<JobState>,
    pub metrics: bool,
    pub quotas: Quotas,
    pub backoff: Backoff,
    /// GetJobRun calls in flight at once.
    pub concurrency: usize,
    /// How often a final run whose billed usage has not arrived is fetched again.
    pub late_billed_retries: u32,
    /// Per-attempt timeout.
    pub attempt_timeout: Duration,
    /// The account the runs are recorded under.
    pub account_id: Option<String>,
}

/// Progress as the collection goes; the CLI draws it.
pub trait Progress: Send + Sync {
    /// A page of runs was listed: how many, and how many of them need fetching.
    fn listed(&self, found: u64, to_fetch: u64);
    /// One run was fetched and recorded.
    fn fetched(&self);
    /// A new phase started (e.g. "us-east-1: metrics").
    fn phase(&self, message: &str);
}

/// What a collection did.
#[derive(Debug, Default)]
pub struct CollectSummary {
    pub applications: usize,
    pub listed: u64,
    pub fetched: u64,
    /// Listed runs already final in the dataset, so not fetched again.
    pub already_final: u64,
    pub failures: Vec<String>,
    pub warnings: Vec<String>,
    pub calls: u64,
    pub throttled: u64,
    pub transient: u64,
    pub elapsed: Duration,
    pub fetch_elapsed: Duration,
    pub jobs_with_metrics: usize,
    pub idle_applications: usize,
    pub interrupted: bool,
    pub dataset_runs: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("--application-id {id}: no such application in {region}; list them with `aws emr-serverless list-applications --region {region}`")]
    NoSuchApplication { id: String, region: String },
}

/// Loads the shared AWS configuration: the standard credential chain,
/// `--profile`, and `AWS_ENDPOINT_URL` or `--endpoint-url`.
pub async fn aws_config(opts: &CollectOptions) -> aws_config::SdkConfig {
    aws_config_for(
        opts.profile.as_deref(),
        opts.endpoint_url.as_deref(),
        opts.regions.first().map(String::as_str),
        opts.attempt_timeout,
    )
    .await
}

/// The SDK configuration from the standard chain (environment, profile,
/// SSO, instance role), with the flags that override it.
pub async fn aws_config_for(
    profile: Option<&str>,
    endpoint_url: Option<&str>,
    region: Option<&str>,
    attempt_timeout: Duration,
) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(
        aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(attempt_timeout)
            .build(),
    );
    if let Some(p) = profile {
        // A named profile wins over credentials in the environment (as
        // with the AWS CLI's --profile): the default chain would read
        // AWS_ACCESS_KEY_ID first and silently use another account.
        loader = loader.profile_name(p).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(p)
                .build(),
        );
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    loader.load().await
}

/// The account the configuration's credentials belong to (STS
/// GetCallerIdentity, which needs no permission).
pub async fn account_of(config: &aws_config::SdkConfig) -> Result<String, String> {
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("GetCallerIdentity: {}", super::emr_serverless::describe(&e)))?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| "GetCallerIdentity: the answer names no account".to_string())
}

/// Collects into `ds`. `stop` is set on Ctrl-C: no new calls are started,
/// calls in flight finish and are recorded, and the dataset is compacted.
pub async fn collect(
    opts: &CollectOptions,
    ds: &mut Dataset,
    progress: &dyn Progress,
    stop: Arc<AtomicBool>,
) -> Result<CollectSummary, CollectError> {
    let started = Instant::now();
    let config = aws_config(opts).await;
    let stats = Arc::new(CallStats::default());
    let mut summary = CollectSummary::default();
    let result = async {
        for region in &opts.regions {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            progress.phase(&format!("{region}: job runs"));
            let emr = Arc::new(Emr::new(
                &config,
                region,
                &opts.quotas,
                opts.backoff,
                stats.clone(),
            ));
            let apps = applications(opts, &emr, ds, &mut summary).await?;
            summary.applications += apps.len();
            let fetch_started = Instant::now();
            runs(opts, emr, &apps, ds, progress, &stop, &mut summary).await?;
            summary.fetch_elapsed += fetch_started.elapsed();
            if opts.metrics && !stop.load(Ordering::Relaxed) {
                progress.phase(&format!("{region}: CloudWatch metrics"));
                let cw =
                    CloudWatch::new(&config, region, &opts.quotas, opts.backoff, stats.clone());
                metrics(opts, &cw, &apps, ds, &mut summary).await?;
            }
        }
        Ok::<(), CollectError>(())
    }
    .await;
    // Whatever happened, keep what was fetched.
    ds.compact()?;
    result?;
    let (calls, throttled, transient) = stats.snapshot();
    summary.calls = calls;
    summary.throttled = throttled;
    summary.transient = transient;
    summary.elapsed = started.elapsed();
    summary.interrupted = stop.load(Ordering::Relaxed);
    summary.dataset_runs = ds.len();
    Ok(summary)
}

async fn applications(
    opts: &CollectOptions,
    emr: &Emr,
    ds: &mut Dataset,
    summary: &mut CollectSummary,
) -> Result<Vec<Arc<ApplicationInfo>>, CollectError> {
    let ids = if opts.application_ids.is_empty() {
        emr.applications().await?
    } else {
        opts.application_ids.clone()
    };
    let mut out = Vec::new();
    for id in ids {
        match emr.application(&id).await {
            Ok(info) => {
                ds.state.observe_application(info.clone());
                out.push(Arc::new(info));
            }
            Err(e) if e.not_found && !opts.application_ids.is_empty() => {
                return Err(CollectError::NoSuchApplication {
                    id,
                    region: emr.region.clone(),
                })
            }
            Err(e) if e.not_found => summary.warnings.push(format!(
                "application {id} disappeared while listing; skipped"
            )),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// A fetched run and what it asked for.
type Fetched = (JobRun, RunRequest);

async fn runs(
    opts: &CollectOptions,
    emr: Arc<Emr>,
    apps: &[Arc<ApplicationInfo>],
    ds: &mut Dataset,
    progress: &dyn Progress,
    stop: &Arc<AtomicBool>,
    summary: &mut CollectSummary,
) -> Result<(), CollectError> {
    // Pages are small (50 summaries); an unbounded channel lets listing run
    // ahead of fetching without blocking the pacer.
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<Vec<Listed>, ApiError>>();
    let lister = {
        let emr = emr.clone();
        let ids: Vec<String> = apps.iter().map(|a| a.application_id.clone()).collect();
        let (since, until, states) = (opts.since, opts.until, opts.states.clone());
        let stop = stop.clone();
        tokio::spawn(async move {
            for id in ids {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let r = emr
                    .list_runs(&id, since, until, &states, |page| {
                        let _ = tx.send(Ok(page));
                    })
                    .await;
                match r {
                    Ok(()) => {}
                    // Deleted between ListApplications and ListJobRuns.
                    Err(e) if e.not_found => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })
    };
    let by_id: HashMap<&str, Arc<ApplicationInfo>> = apps
        .iter()
        .map(|a| (a.application_id.as_str(), a.clone()))
        .collect();
    let mut scheduled: HashSet<RunKey> = HashSet::new();
    let mut queue: std::collections::VecDeque<Listed> = Default::default();
    let mut inflight: JoinSet<(Listed, Result<Fetched, ApiError>)> = JoinSet::new();
    let mut listing_done = false;
    let mut list_error: Option<ApiError> = None;
    loop {
        // Start as many fetches as allowed.
        while inflight.len() < opts.concurrency.max(1) && !stop.load(Ordering::Relaxed) {
            let Some(item) = queue.pop_front() else { break };
            let Some(app) = by_id.get(item.application_id.as_str()).cloned() else {
                continue;
            };
            let emr = emr.clone();
            inflight.spawn(async move {
                let r = emr.job_run(&item, &app).await;
                (item, r)
            });
        }
        if listing_done && inflight.is_empty() && (queue.is_empty() || stop.load(Ordering::Relaxed))
        {
            break;
        }
        tokio::select! {
            page = rx.recv(), if !listing_done => match page {
                Some(Ok(page)) => {
                    let found = page.len() as u64;
                    let mut to_fetch = 0;
                    for l in page {
                        let key: RunKey = (emr.region.clone(), l.application_id.clone(), l.job_run_id.clone(), l.attempt);
                        if !scheduled.insert(key.clone()) {
                            continue;
                        }
                        if ds.needs_fetch(&key, opts.late_billed_retries) {
                            to_fetch += 1;
                            queue.push_back(l);
                        } else {
                            summary.already_final += 1;
                        }
                    }
                    summary.listed += found;
                    progress.listed(found, to_fetch);
                }
                Some(Err(e)) => { list_error = Some(e); listing_done = true; stop.store(true, Ordering::Relaxed); }
                None => listing_done = true,
            },
            done = inflight.join_next(), if !inflight.is_empty() => {
                if let Some(Ok((item, result))) = done {
                    match result {
                        Ok((run, request)) => {
                            let mut run = run;
                            run.account_id = opts.account_id.clone();
                            ds.record_requests(vec![(run, Some(request))])?;
                            summary.fetched += 1;
                            progress.fetched();
                        }
                        Err(e) if e.not_found => summary.warnings.push(format!(
                            "{}/{}: gone before it could be read; skipped", item.application_id, item.job_run_id
                        )),
                        Err(e) => summary.failures.push(e.to_string()),
                    }
                }
            },
            _ = tokio::time::sleep(Duration::from_millis(200)), if stop.load(Ordering::Relaxed) => {
                listing_done = true;
            }
        }
    }
    lister.abort();
    if let Some(e) = list_error {
        return Err(e.into());
    }
    Ok(())
}

async fn metrics(
    opts: &CollectOptions,
    cw: &CloudWatch,
    apps: &[Arc<ApplicationInfo>],
    ds: &mut Dataset,
    summary: &mut CollectSummary,
) -> Result<(), CollectError> {
    for app in apps {
        let streams = cw.streams(&app.application_id).await?;
        if streams.is_empty() {
            summary.warnings.push(format!(
                "{}: no CloudWatch metrics for application {}; shapes stay the average from usage",
                app.region, app.application_id
            ));
            continue;
        }
        let runs: Vec<JobRun> = ds
            .runs()
            .filter(|r| r.region == app.region && r.application_id == app.application_id)
            .filter(|r| in_window(r, opts))
            .cloned()
            .collect();
        tracing::debug!(app = %app.application_id, streams = streams.len(), runs = runs.len(), "metrics");
        // Per-job executors: one window covering every run, one batch of queries.
        let mut queries = Vec::new();
        let mut spans = Vec::new();
        for r in runs.iter().filter(|r| r.started_at.is_some()) {
            let q = cloudwatch::job_queries(&streams, &r.job_run_id);
            spans.push((r, queries.len(), q.len()));
            queries.extend(q);
        }
        if !queries.is_empty() {
            let from = runs
                .iter()
                .filter_map(|r| r.started_at)
                .min()
                .map(floor_minute);
            let to = runs
                .iter()
                .filter_map(|r| r.ended_at.or(r.started_at))
                .max()
                .map(|t| floor_minute(t) + chrono::Duration::minutes(2));
            if let (Some(from), Some(to)) = (from, to) {
                let series = cw.fetch(&queries, from, to).await?;
                tracing::debug!(
                    queries = queries.len(),
                    points = series.iter().map(|s| s.len()).sum::<usize>(),
                    %from,
                    %to,
                    "per-job worker metrics"
                );
                let mut found: HashMap<RunKey, u32> = HashMap::new();
                for (run, at, n) in spans {
                    if let Some(m) =
                        cloudwatch::job_metrics(run, &queries[at..at + n], &series[at..at + n])
                    {
                        found.insert(key_of(run), m.peak_executors);
                        ds.state.job_metrics.retain(|x| {
                            !(x.region == m.region
                                && x.application_id == m.application_id
                                && x.job_run_id == m.job_run_id)
                        });
                        ds.state.job_metrics.push(m);
                    }
                }
                summary.jobs_with_metrics += found.len();
                for r in ds.runs_mut() {
                    if let Some(peak) = found.get(&key_of(r)) {
                        r.peak_executors = Some(*peak).filter(|p| *p > 0);
                    }
                }
            }
        }
        // Idle pre-initialized capacity over the collection window.
        let q = cloudwatch::idle_queries(&streams);
        if q.is_empty() {
            continue;
        }
        let from = opts
            .since
            .or_else(|| runs.iter().filter_map(|r| r.created_at).min())
            .map(floor_minute);
        let to = opts.until.unwrap_or_else(Utc::now);
        let Some(from) = from else { continue };
        let series = cw.fetch(&q, from, to).await?;
        let busy: Vec<&JobRun> = runs.iter().collect();
        if let Some(idle) = cloudwatch::idle_capacity(app, &busy, &q, &series, from, to) {
            ds.state
                .idle_capacity
                .retain(|x| !(x.region == idle.region && x.application_id == idle.application_id));
            ds.state.idle_capacity.push(idle);
            summary.idle_applications += 1;
        }
    }
    Ok(())
}

fn in_window(r: &JobRun, opts: &CollectOptions) -> bool {
    let t = r.created_at.or(r.started_at);
    match t {
        None => true,
        Some(t) => opts.since.is_none_or(|s| t >= s) && opts.until.is_none_or(|u| t <= u),
    }
}

fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    cloudwatch::utc(t.timestamp() - t.timestamp().rem_euclid(60))
}
