//! `emrcost collect emr`: EMR on EC2 clusters and their steps into the same
//! dataset. Each step is a run of the one run table whose EMR on EC2 cost
//! is its share of its cluster's; each cluster's whole cost, and what of it
//! no step used (provisioning, idle time between steps, teardown), goes to
//! the dataset's state for the report.
//!
//! Calls: ListClusters (created in the window), DescribeCluster (release,
//! availability zone), ListInstances (every instance's type, market and
//! lifetime; the core and task ones again for the executors they hold) and
//! ListSteps. ListInstances covers instances ended in the last 30 days
//! (FACTS.md section 13): collect on a schedule to keep a longer history.
//!
//! Cost of an instance: its lifetime, at least a minute (EMR bills per
//! second with a one-minute minimum), at EC2 on-demand (or Spot) plus the
//! EMR uplift plus EMR's default EBS volume for the type. Spot is priced
//! from a Spot price history file (`aws ec2 describe-spot-price-history`
//! output) where given, else at on-demand less `--spot-discount`, else at
//! on-demand (an upper bound), and the cluster says which.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_emr as emr;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::emr_serverless::{classify, describe, with_iam_action};
use super::pacing::{paced, Backoff, Bucket, CallStats, Rate};
use crate::model::{Architecture, JobRun, JobState, UsageSource, WorkerSize};
use crate::pricing::PriceBook;

/// EMR bills each instance per second, at least a minute.
const MINIMUM_SECONDS: f64 = crate::cost::ec2::MINIMUM_SECONDS;

/// What to collect and how fast.
#[derive(Debug, Clone)]
pub struct EmrOptions {
    pub regions: Vec<String>,
    /// Empty: every state.
    pub cluster_states: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub rate: Rate,
    pub backoff: Backoff,
    /// A fraction: Spot at on-demand less this, where no history says.
    pub spot_discount: Option<f64>,
    pub spot_history: Option<SpotHistory>,
    /// The account the runs are recorded under.
    pub account_id: Option<String>,
    /// The executor and driver assumed where a step's arguments give no
    /// size, the memory overhead, the EBS volume type and hours a month.
    pub assumptions: crate::cost::Assumptions,
}

/// One cluster's cost, and what of it its steps used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterCost {
    pub region: String,
    pub cluster_id: String,
    pub name: Option<String>,
    pub state: String,
    pub created: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub instances: usize,
    pub instance_hours: f64,
    pub steps: usize,
    /// Every instance over its lifetime.
    pub total_usd: f64,
    /// The steps' shares (the instances over each step's time).
    pub steps_usd: f64,
    /// The rest: provisioning, time between steps, teardown.
    pub idle_usd: f64,
    /// Cluster lifetime with no step running.
    pub idle_hours: f64,
    /// How Spot instances were priced: none, history, discount, on-demand.
    pub spot: String,
    /// Instance types the price book lacks (left out of the figures).
    #[serde(default)]
    pub unpriced: Vec<String>,
    /// The price book snapshot the figures were priced with.
    pub price_snapshot: String,
}

/// A Spot price series: (from, USD per hour), sorted by time.
type Series = Vec<(DateTime<Utc>, f64)>;

/// Spot prices from `aws ec2 describe-spot-price-history` JSON.
#[derive(Debug, Clone, Default)]
pub struct SpotHistory {
    /// (instance type, availability zone) -> its series.
    prices: BTreeMap<(String, String), Series>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SpotFile {
    spot_price_history: Vec<SpotRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SpotRow {
    availability_zone: String,
    product_description: String,
    instance_type: String,
    spot_price: String,
    timestamp: String,
}

impl SpotHistory {
    /// Parses the CLI's JSON; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<SpotHistory, String> {
        let parsed: SpotFile = serde_json::from_str(text).map_err(|e| {
            format!("{file}: not the JSON `aws ec2 describe-spot-price-history` prints: {e}")
        })?;
        let mut h = SpotHistory::default();
        for (i, row) in parsed.spot_price_history.into_iter().enumerate() {
            // EMR runs Linux: other products' prices (Windows, SUSE, RHEL)
            // are not its price.
            if !row.product_description.starts_with("Linux/UNIX") {
                continue;
            }
            let at = DateTime::parse_from_rfc3339(&row.timestamp)
                .map_err(|e| {
                    format!(
                        "{file}: SpotPriceHistory[{i}].Timestamp '{}': {e}",
                        row.timestamp
                    )
                })?
                .with_timezone(&Utc);
            let price: f64 = row
                .spot_price
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| {
                    format!(
                        "{file}: SpotPriceHistory[{i}].SpotPrice '{}' is not a price",
                        row.spot_price
                    )
                })?;
            h.prices
                .entry((row.instance_type, row.availability_zone))
                .or_default()
                .push((at, price));
        }
        for v in h.prices.values_mut() {
            v.sort_by_key(|(t, _)| *t);
        }
        Ok(h)
    }

    /// What one instance of `instance_type` in `az` cost from `from` to
    /// `to` at the Spot price in effect each moment (a price holds from its
    /// timestamp to the next); `None` when the history does not reach back
    /// to `from`.
    pub fn cost(
        &self,
        instance_type: &str,
        az: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<f64> {
        let v = self
            .prices
            .get(&(instance_type.to_string(), az.to_string()))?;
        let first = v.iter().rposition(|(t, _)| *t <= from)?;
        let mut usd = 0.0;
        for (k, (t, price)) in v.iter().enumerate().skip(first) {
            let start = (*t).max(from);
            let end = v.get(k + 1).map_or(to, |(n, _)| (*n).min(to));
            if end > start {
                usd += (end - start).num_milliseconds() as f64 / 3_600_000.0 * price;
            }
            if end >= to {
                break;
            }
        }
        Some(usd)
    }
}

/// What a collection did.
#[derive(Debug, Default)]
pub struct EmrSummary {
    pub clusters: usize,
    pub already_final: usize,
    pub steps: u64,
    pub calls: u64,
    pub throttled: u64,
    pub transient: u64,
    pub elapsed: Duration,
    pub interrupted: bool,
    pub warnings: Vec<String>,
}

use crate::collect::emr_serverless::utc as time;

/// One instance as the cost needs it.
#[derive(Debug, Clone)]
struct Life {
    instance_type: String,
    spot: bool,
    created: DateTime<Utc>,
    ended: DateTime<Utc>,
}

/// An instance's hourly rate parts in the region.
struct Rates<'b> {
    book: &'b PriceBook,
    region: String,
    ebs_gib_hour: f64,
}

impl Rates<'_> {
    /// (EC2 on-demand, EMR uplift + default EBS) per hour.
    fn of(&self, instance_type: &str) -> Option<(f64, f64)> {
        let rate = self.book.ec2_rate(&self.region, instance_type).ok()?;
        let it = self.book.instance_type(instance_type).ok()?;
        Some((
            rate.ec2_hour_usd,
            rate.emr_hour_usd + it.ebs_default_gib * self.ebs_gib_hour,
        ))
    }
}

/// An instance's cost over `[from, to]` (its lifetime, or the part of it
/// in a step's window); `whole` applies the one-minute minimum.
fn instance_usd(
    life: &Life,
    rates: &Rates<'_>,
    opts: &EmrOptions,
    az: &str,
    window: (DateTime<Utc>, DateTime<Utc>),
    whole: bool,
    spot_basis: &mut Vec<&'static str>,
) -> Option<f64> {
    let from = life.created.max(window.0);
    let to = life.ended.min(window.1);
    let mut seconds = (to - from).num_milliseconds().max(0) as f64 / 1000.0;
    if whole {
        seconds = seconds.max(MINIMUM_SECONDS);
    }
    let (ec2_hour, other_hour) = rates.of(&life.instance_type)?;
    let other = seconds / 3600.0 * other_hour;
    if !life.spot {
        return Some(seconds / 3600.0 * ec2_hour + other);
    }
    // Spot over the same span (stretched to the minimum at its end).
    let to = from + chrono::Duration::milliseconds((seconds * 1000.0) as i64);
    if let Some(usd) = opts
        .spot_history
        .as_ref()
        .and_then(|h| h.cost(&life.instance_type, az, from, to))
    {
        spot_basis.push("history");
        return Some(usd + other);
    }
    let discount = opts.spot_discount.unwrap_or(0.0);
    spot_basis.push(if opts.spot_discount.is_some() {
        "discount"
    } else {
        "on-demand"
    });
    Some(seconds / 3600.0 * ec2_hour * (1.0 - discount) + other)
}

fn step_state(s: &str) -> JobState {
    match s {
        "COMPLETED" => JobState::Success,
        "FAILED" => JobState::Failed,
        "CANCELLED" | "INTERRUPTED" => JobState::Cancelled,
        "CANCEL_PENDING" => JobState::Cancelling,
        "PENDING" => JobState::Pending,
        _ => JobState::Running,
    }
}

struct Client {
    client: emr::Client,
    region: String,
    bucket: Bucket,
    backoff: Backoff,
    stats: Arc<CallStats>,
}

macro_rules! paced_call {
    ($c:expr, $op:literal, $send:expr) => {
        paced(&$c.bucket, &$c.backoff, &$c.stats, classify, || $send)
            .await
            .map_err(|e| {
                with_iam_action(
                    format!("{} in {}: {}", $op, $c.region, describe(&e)),
                    concat!("elasticmapreduce:", $op),
                )
            })
    };
}

impl Client {
    async fn clusters(&self, opts: &EmrOptions) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        let states: Vec<emr::types::ClusterState> = opts
            .cluster_states
            .iter()
            .map(|s| emr::types::ClusterState::from(s.as_str()))
            .collect();
        loop {
            let page = paced_call!(
                self,
                "ListClusters",
                self.client
                    .list_clusters()
                    .set_created_after(
                        opts.since
                            .map(|t| aws_smithy_types::DateTime::from_millis(t.timestamp_millis()))
                    )
                    .set_created_before(
                        opts.until
                            .map(|t| aws_smithy_types::DateTime::from_millis(t.timestamp_millis()))
                    )
                    .set_cluster_states((!states.is_empty()).then(|| states.clone()))
                    .set_marker(marker.clone())
                    .send()
            )?;
            out.extend(
                page.clusters()
                    .iter()
                    .filter_map(|c| c.id().map(str::to_string)),
            );
            marker = page.marker().map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    async fn instances(
        &self,
        cluster: &str,
        roles: Option<Vec<emr::types::InstanceGroupType>>,
        fleet: Option<emr::types::InstanceFleetType>,
    ) -> Result<Vec<emr::types::Instance>, String> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = paced_call!(
                self,
                "ListInstances",
                self.client
                    .list_instances()
                    .cluster_id(cluster)
                    .set_instance_group_types(roles.clone())
                    .set_instance_fleet_type(fleet.clone())
                    .set_marker(marker.clone())
                    .send()
            )?;
            out.extend(page.instances().iter().cloned());
            marker = page.marker().map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    async fn steps(&self, cluster: &str) -> Result<Vec<emr::types::StepSummary>, String> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = paced_call!(
                self,
                "ListSteps",
                self.client
                    .list_steps()
                    .cluster_id(cluster)
                    .set_marker(marker.clone())
                    .send()
            )?;
            out.extend(page.steps().iter().cloned());
            marker = page.marker().map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }
}

/// Collects EMR on EC2 clusters into `ds`. A cluster already recorded as
/// ended is not read again; `stop` (Ctrl-C) ends the collection between
/// clusters, and the dataset is compacted.
pub async fn collect_emr(
    opts: &EmrOptions,
    config: &aws_config::SdkConfig,
    ds: &mut Dataset,
    book: &PriceBook,
    progress: &dyn Fn(&str),
    stop: Arc<AtomicBool>,
) -> Result<EmrSummary, String> {
    let started = Instant::now();
    let stats = Arc::new(CallStats::default());
    let mut summary = EmrSummary::default();
    let result: Result<(), String> = async {
        for region in &opts.regions {
            let conf = emr::config::Builder::from(config)
                .region(aws_config::Region::new(region.clone()))
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .build();
            let client = Client {
                client: emr::Client::from_conf(conf),
                region: region.clone(),
                bucket: Bucket::new(opts.rate),
                backoff: opts.backoff,
                stats: stats.clone(),
            };
            let a = &opts.assumptions;
            let ebs = book
                .ebs_rate(region, &a.ec2_ebs_volume_type)
                .map_err(|e| e.to_string())?;
            let rates = Rates {
                book,
                region: region.clone(),
                ebs_gib_hour: ebs.gb_month_usd / a.hours_per_month,
            };
            let mut ids = client.clusters(opts).await?;
            // Clusters still up at the last collection are read again,
            // however long ago they were created.
            for c in &ds.state.clusters {
                if c.region == *region
                    && !c.state.starts_with("TERMINATED")
                    && !ids.contains(&c.cluster_id)
                {
                    ids.push(c.cluster_id.clone());
                }
            }
            for (n, id) in ids.iter().enumerate() {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let known_final = ds.state.clusters.iter().any(|c| {
                    &c.cluster_id == id && c.region == *region && c.state.starts_with("TERMINATED")
                });
                if known_final {
                    summary.already_final += 1;
                    continue;
                }
                progress(&format!(
                    "{region}: cluster {} of {}: {id}",
                    n + 1,
                    ids.len()
                ));
                let (cost, runs, warnings) = cluster(&client, opts, &rates, book, id).await?;
                summary.clusters += 1;
                summary.steps += runs.len() as u64;
                summary.warnings.extend(warnings);
                // A step recorded as final keeps its figures: a later pass
                // may see fewer instances (ListInstances forgets those
                // ended over 30 days ago).
                let runs: Vec<JobRun> = runs
                    .into_iter()
                    .filter(|r| {
                        ds.get(&super::dataset::key_of(r))
                            .is_none_or(|old| !old.state.is_final())
                    })
                    .collect();
                let runs = runs
                    .into_iter()
                    .map(|r| JobRun {
                        account_id: opts.account_id.clone(),
                        ..r
                    })
                    .collect();
                ds.record_all(runs).map_err(|e| e.to_string())?;
                ds.state
                    .clusters
                    .retain(|c| !(c.cluster_id == cost.cluster_id && c.region == cost.region));
                ds.state.clusters.push(cost);
            }
        }
        Ok(())
    }
    .await;
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

/// One cluster: its cost, its steps as runs, and what could not be priced.
async fn cluster(
    client: &Client,
    opts: &EmrOptions,
    rates: &Rates<'_>,
    book: &PriceBook,
    id: &str,
) -> Result<(ClusterCost, Vec<JobRun>, Vec<String>), String> {
    let described = paced_call!(
        client,
        "DescribeCluster",
        client.client.describe_cluster().cluster_id(id).send()
    )?;
    let c = described
        .cluster()
        .ok_or_else(|| format!("DescribeCluster {id}: no cluster in the answer"))?;
    let status = c.status();
    let state = status
        .and_then(|s| s.state())
        .map_or("STARTING".to_string(), |s| s.as_str().to_string());
    let timeline = status.and_then(|s| s.timeline());
    let created = time(timeline.and_then(|t| t.creation_date_time()));
    let ended = time(timeline.and_then(|t| t.end_date_time()));
    // The cluster's tags: each of its steps carries them.
    let tags: std::collections::BTreeMap<String, String> = c
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let tags = crate::model::tags_text(&tags);
    let az = c
        .ec2_instance_attributes()
        .and_then(|a| a.ec2_availability_zone())
        .unwrap_or_default()
        .to_string();
    let now = Utc::now();
    let life = |i: &emr::types::Instance| -> Option<Life> {
        let t = i.status()?.timeline()?;
        let created = time(t.creation_date_time())?;
        Some(Life {
            instance_type: i.instance_type()?.to_string(),
            spot: i.market() == Some(&emr::types::MarketType::Spot),
            created,
            ended: time(t.end_date_time()).or(ended).unwrap_or(now),
        })
    };
    let all = client.instances(id, None, None).await?;
    // The core and task nodes: by instance group, or by fleet (ListInstances
    // takes one fleet type a call).
    let fleets =
        c.instance_collection_type() == Some(&emr::types::InstanceCollectionType::InstanceFleet);
    let workers = if fleets {
        let mut w = client
            .instances(id, None, Some(emr::types::InstanceFleetType::Core))
            .await?;
        w.extend(
            client
                .instances(id, None, Some(emr::types::InstanceFleetType::Task))
                .await?,
        );
        w
    } else {
        client
            .instances(
                id,
                Some(vec![
                    emr::types::InstanceGroupType::Core,
                    emr::types::InstanceGroupType::Task,
                ]),
                None,
            )
            .await?
    };
    let lives: Vec<Life> = all.iter().filter_map(life).collect();
    let worker_lives: Vec<Life> = workers.iter().filter_map(life).collect();
    let mut warnings = Vec::new();
    if lives.len() < all.len() {
        warnings.push(format!(
            "{id}: {} instance(s) without a type or creation time are left out",
            all.len() - lives.len()
        ));
    }
    let mut spot_basis = Vec::new();
    let mut unpriced: Vec<String> = Vec::new();
    let forever = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let mut total = 0.0;
    let mut hours = 0.0;
    for l in &lives {
        hours += (l.ended - l.created).num_milliseconds().max(0) as f64 / 3_600_000.0;
        match instance_usd(l, rates, opts, &az, forever, true, &mut spot_basis) {
            Some(usd) => total += usd,
            None => unpriced.push(l.instance_type.clone()),
        }
    }
    unpriced.sort();
    unpriced.dedup();
    // The cluster's architecture and executors per node, from its core and
    // task types (YARN's memory and vcores, from the price book).
    let architecture = worker_lives
        .first()
        .and_then(|l| book.instance_type(&l.instance_type).ok())
        .map_or(Architecture::X86_64, |t| t.architecture);
    let steps = client.steps(id).await?;
    let mut runs = Vec::new();
    let mut steps_usd = 0.0;
    let mut step_windows = Vec::new();
    for s in &steps {
        let Some(step_id) = s.id() else { continue };
        let st = s.status();
        let t = st.and_then(|x| x.timeline());
        let step_created = time(t.and_then(|x| x.creation_date_time()));
        let step_started = time(t.and_then(|x| x.start_date_time()));
        let step_ended = time(t.and_then(|x| x.end_date_time()));
        let js = step_state(st.and_then(|x| x.state()).map_or("PENDING", |x| x.as_str()));
        let args: Vec<String> = s.config().map(|c| c.args().to_vec()).unwrap_or_default();
        let params = super::SparkParams::parse(&spark_conf_of(&args)).unwrap_or_default();
        let a = &opts.assumptions;
        let executor = WorkerSize {
            vcpu: params.executor_cores.unwrap_or(a.default_executor.vcpu),
            memory_gb: params
                .executor_memory_gb
                .unwrap_or(a.default_executor.memory_gb),
            disk_gb: a.default_executor.disk_gb,
        };
        let driver_vcpu = params.driver_cores.unwrap_or(a.default_driver.vcpu);
        let driver_memory = params
            .driver_memory_gb
            .unwrap_or(a.default_driver.memory_gb);
        let placed = WorkerSize {
            memory_gb: a.with_overhead_gb(executor.memory_gb),
            ..executor
        };
        // What the cluster's workers held during the step, in executors of
        // the step's size (YARN's figures for each type), or the step's own
        // limit where it sets one.
        let window = (step_started.unwrap_or(now), step_ended.unwrap_or(now));
        let held: u32 = worker_lives
            .iter()
            .filter(|l| l.created < window.1 && l.ended > window.0)
            .filter_map(|l| book.instance_type(&l.instance_type).ok())
            .map(|t| crate::cost::ec2::executors_on(t, &placed))
            .sum();
        // The step's own limit, where it sets one, within what the cluster held.
        let max_executors = match params.executor_limit() {
            Some(l) if held > 0 => l.min(held),
            Some(l) => l,
            None => held,
        };
        match (step_started, step_ended) {
            (Some(a), Some(b)) if b > a => step_windows.push(Some((a, b))),
            _ => step_windows.push(None),
        }
        runs.push(JobRun {
            region: client.region.clone(),
            application_id: id.to_string(),
            application_name: c.name().map(str::to_string),
            architecture,
            job_run_id: step_id.to_string(),
            attempt: 1,
            job_name: s.name().map(str::to_string),
            state: js,
            release_label: c.release_label().map(str::to_string),
            created_at: step_created,
            started_at: step_started,
            ended_at: step_ended,
            queued_ms: match (step_created, step_started) {
                (Some(a), Some(b)) if b >= a => Some((b - a).num_milliseconds() as u64),
                _ => None,
            },
            duration_s: match (step_started, step_ended) {
                (Some(a), Some(b)) if b >= a => Some((b - a).num_milliseconds() as f64 / 1000.0),
                _ => None,
            },
            billed: None,
            total: None,
            executor_vcpu: Some(executor.vcpu),
            executor_memory_gb: Some(executor.memory_gb),
            executor_disk_gb: None,
            driver_vcpu: Some(driver_vcpu),
            driver_memory_gb: Some(driver_memory),
            max_executors: Some(max_executors.max(1)),
            peak_executors: None,
            incomplete: false,
            source: UsageSource::EmrApi,
            glue: None,
            glue_worker_type: None,
            ec2_cost_usd: None,
            ec2_cluster_id: Some(id.to_string()),
            account_id: None,
            tags: tags.clone(),
        });
    }
    // Each step's share: the cluster's cost in each slice of time, split
    // evenly among the steps running then (steps may run at once).
    let mut bounds: Vec<DateTime<Utc>> = step_windows
        .iter()
        .flatten()
        .flat_map(|(a, b)| [*a, *b])
        .collect();
    bounds.sort();
    bounds.dedup();
    let mut shares = vec![0.0; runs.len()];
    let mut basis = Vec::new();
    for slice in bounds.windows(2) {
        let (from, to) = (slice[0], slice[1]);
        let running: Vec<usize> = step_windows
            .iter()
            .enumerate()
            .filter(|(_, w)| w.is_some_and(|(a, b)| a <= from && b >= to))
            .map(|(i, _)| i)
            .collect();
        if running.is_empty() {
            continue;
        }
        let usd: f64 = lives
            .iter()
            .filter_map(|l| instance_usd(l, rates, opts, &az, (from, to), false, &mut basis))
            .sum();
        for i in &running {
            shares[*i] += usd / running.len() as f64;
        }
        steps_usd += usd;
    }
    if unpriced.is_empty() {
        for ((run, share), w) in runs.iter_mut().zip(&shares).zip(&step_windows) {
            if w.is_some() {
                run.ec2_cost_usd = Some(*share);
            }
        }
    }
    // Cluster time with no step running: its lifetime less the union of
    // the steps' windows.
    let (life_from, life_to) = (
        lives
            .iter()
            .map(|l| l.created)
            .min()
            .or(created)
            .unwrap_or(now),
        ended.unwrap_or(now),
    );
    let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        step_windows.into_iter().flatten().collect();
    windows.sort();
    let mut busy = 0.0;
    let mut reach = life_from;
    for (a, b) in windows {
        let a = a.max(reach);
        if b > a {
            busy += (b - a).num_milliseconds() as f64 / 3_600_000.0;
            reach = b;
        }
    }
    let life_hours = (life_to - life_from).num_milliseconds().max(0) as f64 / 3_600_000.0;
    spot_basis.sort();
    spot_basis.dedup();
    let cost = ClusterCost {
        region: client.region.clone(),
        cluster_id: id.to_string(),
        name: c.name().map(str::to_string),
        state,
        created,
        ended,
        instances: lives.len(),
        instance_hours: hours,
        steps: runs.len(),
        total_usd: total,
        steps_usd,
        idle_usd: (total - steps_usd).max(0.0),
        idle_hours: (life_hours - busy).max(0.0),
        spot: if spot_basis.is_empty() {
            "none".into()
        } else {
            spot_basis.join(", ")
        },
        unpriced,
        price_snapshot: book.snapshot.id.clone(),
    };
    if !cost.unpriced.is_empty() {
        warnings.push(format!(
            "{id}: instance types not in the price book: {} (the cluster's figures leave them out; its steps have no EMR on EC2 cost)",
            cost.unpriced.join(", ")
        ));
    }
    Ok((cost, runs, warnings))
}

/// The `--conf k=v` and `--executor-*` settings of a step's spark-submit
/// arguments, as one sparkSubmitParameters string.
fn spark_conf_of(args: &[String]) -> String {
    let start = args
        .iter()
        .position(|a| a == "spark-submit")
        .map_or(0, |i| i + 1);
    let mut out = Vec::new();
    let mut it = args[start..].iter();
    while let Some(a) = it.next() {
        if a.starts_with("--") {
            match it.next() {
                Some(v) if !v.starts_with("--") => {
                    out.push(a.clone());
                    out.push(v.clone());
                }
                _ => {}
            }
        } else {
            // The application and its own arguments follow.
            break;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: f64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap()
            + chrono::Duration::milliseconds((h * 3_600_000.0) as i64)
    }

    #[test]
    fn spot_is_charged_at_the_price_in_effect() {
        // FACTS.md section 9: 4 nodes for 8 h at $0.20 and 2 h at $0.37 is
        // $9.36 (charging the bid, $0.37 throughout, would be $14.80).
        let h = SpotHistory::parse(
            "spot.json",
            &format!(
                r#"{{"SpotPriceHistory": [
                {{"AvailabilityZone": "us-east-1a", "InstanceType": "m5.xlarge", "ProductDescription": "Linux/UNIX (Amazon VPC)", "SpotPrice": "0.370000", "Timestamp": "{}"}},
                {{"AvailabilityZone": "us-east-1a", "InstanceType": "m5.xlarge", "ProductDescription": "Linux/UNIX (Amazon VPC)", "SpotPrice": "0.200000", "Timestamp": "{}"}}]}}"#,
                at(8.0).to_rfc3339(),
                at(-1.0).to_rfc3339()
            ),
        )
        .unwrap();
        let one = h
            .cost("m5.xlarge", "us-east-1a", at(0.0), at(10.0))
            .unwrap();
        assert!((4.0 * one - 9.36).abs() < 1e-9, "{}", 4.0 * one);
        // Before the history starts: unknown, not guessed.
        assert_eq!(h.cost("m5.xlarge", "us-east-1a", at(-2.0), at(1.0)), None);
        assert_eq!(h.cost("m5.xlarge", "us-east-1b", at(0.0), at(1.0)), None);
    }

    #[test]
    fn a_bad_spot_file_names_the_row() {
        let e = SpotHistory::parse(
            "spot.json",
            r#"{"SpotPriceHistory": [{"AvailabilityZone": "a", "InstanceType": "m5.xlarge", "ProductDescription": "Linux/UNIX", "SpotPrice": "cheap", "Timestamp": "2026-01-01T00:00:00Z"}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("SpotPriceHistory[0].SpotPrice 'cheap'"), "{e}");
    }

    #[test]
    fn a_steps_spark_settings_are_read_from_its_arguments() {
        let args: Vec<String> = "spark-submit --deploy-mode cluster --conf spark.executor.cores=2 --executor-memory 6g s3://b/job.py --day 1"
            .split(' ')
            .map(str::to_string)
            .collect();
        assert_eq!(
            spark_conf_of(&args),
            "--deploy-mode cluster --conf spark.executor.cores=2 --executor-memory 6g"
        );
    }
}
