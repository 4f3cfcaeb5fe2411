//! CloudWatch metrics of EMR Serverless (namespace `AWS/EMRServerless`)
//! through `aws-sdk-cloudwatch` (Smithy RPC v2 CBOR): ListMetrics to
//! discover the dimension sets, GetMetricData in batches of up to 500
//! queries, and what can be derived from them:
//!
//! - per job, from `WorkerCpuAllocated` / `WorkerMemoryAllocated` of its
//!   executor workers: the executors alive each minute (the datapoint count,
//!   one per worker and minute), and the vCPU and memory they held;
//! - per application, from `CPUAllocated`, `MemoryAllocated`,
//!   `StorageAllocated` and the worker counts with
//!   `CapacityAllocationType=PreInitCapacity`: the pre-initialized capacity
//!   allocated in minutes when none of its collected runs was running.
//!
//! Worker type spellings differ between sources (`SPARK_EXECUTORS`,
//! `Spark_Executor`), so they are matched loosely, never hard-coded.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_cloudwatch as cw;
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, TimeZone, Utc};

use super::dataset::{ApplicationInfo, IdleCapacity, JobMetrics};
use super::emr_serverless::{classify, describe, ApiError};
use super::pacing::{paced, Backoff, Bucket, CallStats, Quotas};
use crate::model::JobRun;

pub const NAMESPACE: &str = "AWS/EMRServerless";
/// GetMetricData takes at most 500 queries per call.
pub const MAX_QUERIES: usize = 500;
/// Free ephemeral storage per worker, GB (FACTS.md section 2).
const FREE_STORAGE_GB: f64 = 20.0;

/// One metric stream: name and dimensions, as ListMetrics returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub name: String,
    pub dims: Vec<(String, String)>,
}

impl Stream {
    pub fn dim(&self, name: &str) -> Option<&str> {
        self.dims
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn worker_type_is(&self, what: &str) -> bool {
        self.dim("WorkerType")
            .is_some_and(|w| w.to_ascii_lowercase().contains(what))
    }
    fn pre_init(&self) -> bool {
        self.dim("CapacityAllocationType")
            .is_some_and(|c| c.eq_ignore_ascii_case("PreInitCapacity"))
    }
}

/// Per-minute values (minute start, epoch seconds -> value).
pub type Series = BTreeMap<i64, f64>;

pub struct CloudWatch {
    region: String,
    client: cw::Client,
    bucket: Bucket,
    backoff: Backoff,
    pub stats: Arc<CallStats>,
}

impl CloudWatch {
    pub fn new(
        config: &aws_config::SdkConfig,
        region: &str,
        quotas: &Quotas,
        backoff: Backoff,
        stats: Arc<CallStats>,
    ) -> CloudWatch {
        let conf = cw::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        CloudWatch {
            region: region.to_string(),
            client: cw::Client::from_conf(conf),
            bucket: Bucket::new(quotas.metrics),
            backoff,
            stats,
        }
    }

    fn fail<E>(&self, operation: &'static str, e: cw::error::SdkError<E>) -> ApiError
    where
        E: cw::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        ApiError {
            operation,
            region: self.region.clone(),
            message: describe(&e),
            not_found: false,
        }
    }

    /// Every stream in the namespace for one application.
    pub async fn streams(&self, application_id: &str) -> Result<Vec<Stream>, ApiError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = paced(&self.bucket, &self.backoff, &self.stats, classify, || {
                self.client
                    .list_metrics()
                    .namespace(NAMESPACE)
                    .dimensions(
                        cw::types::DimensionFilter::builder()
                            .name("ApplicationId")
                            .value(application_id)
                            .build(),
                    )
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| self.fail("ListMetrics", e))?;
            for m in page.metrics() {
                // Kept in the order ListMetrics gave: CloudWatch ignores the
                // order, but moto 5.2.5 matches dimension lists with a broken
                // sort, so a reordered list finds nothing there.
                let dims: Vec<(String, String)> = m
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                    .collect();
                if let Some(name) = m.metric_name() {
                    out.push(Stream {
                        name: name.to_string(),
                        dims,
                    });
                }
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                // One entry per stream, whatever the server repeats.
                let mut seen = std::collections::HashSet::new();
                out.retain(|st| {
                    let mut key = st.dims.clone();
                    key.sort();
                    seen.insert((st.name.clone(), key))
                });
                return Ok(out);
            }
        }
    }

    /// GetMetricData for `(stream, stat)` pairs over one window at 60 s,
    /// in batches of [`MAX_QUERIES`], following NextToken.
    pub async fn fetch(
        &self,
        queries: &[(Stream, &'static str)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Series>, ApiError> {
        // Periods start at StartTime: align it to the minute so each period
        // is one clock minute, as CloudWatch stores them.
        let from = utc(from.timestamp() - from.timestamp().rem_euclid(60));
        let mut results = vec![Series::new(); queries.len()];
        for (batch_no, batch) in queries.chunks(MAX_QUERIES).enumerate() {
            let base = batch_no * MAX_QUERIES;
            let built: Vec<cw::types::MetricDataQuery> = batch
                .iter()
                .enumerate()
                .map(|(i, (s, stat))| {
                    let dims = s
                        .dims
                        .iter()
                        .map(|(n, v)| cw::types::Dimension::builder().name(n).value(v).build())
                        .collect();
                    cw::types::MetricDataQuery::builder()
                        .id(format!("q{}", base + i))
                        .metric_stat(
                            cw::types::MetricStat::builder()
                                .metric(
                                    cw::types::Metric::builder()
                                        .namespace(NAMESPACE)
                                        .metric_name(&s.name)
                                        .set_dimensions(Some(dims))
                                        .build(),
                                )
                                .period(60)
                                .stat(*stat)
                                .build(),
                        )
                        .return_data(true)
                        .build()
                })
                .collect();
            let mut token: Option<String> = None;
            loop {
                let page = paced(&self.bucket, &self.backoff, &self.stats, classify, || {
                    self.client
                        .get_metric_data()
                        .set_metric_data_queries(Some(built.clone()))
                        .start_time(SmithyTime::from_secs(from.timestamp()))
                        .end_time(SmithyTime::from_secs(to.timestamp()))
                        .scan_by(cw::types::ScanBy::TimestampAscending)
                        .set_next_token(token.clone())
                        .send()
                })
                .await
                .map_err(|e| self.fail("GetMetricData", e))?;
                for r in page.metric_data_results() {
                    let Some(idx) = r
                        .id()
                        .and_then(|id| id.strip_prefix('q'))
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|i| *i < results.len())
                    else {
                        continue;
                    };
                    for (t, v) in r.timestamps().iter().zip(r.values()) {
                        let minute = t.secs() - t.secs().rem_euclid(60);
                        *results[idx].entry(minute).or_insert(0.0) += v;
                    }
                }
                token = page.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(results)
    }
}

/// The queries needed for one job's executors.
pub fn job_queries(streams: &[Stream], job_run_id: &str) -> Vec<(Stream, &'static str)> {
    let mut q = Vec::new();
    for s in streams {
        if s.dim("JobId") != Some(job_run_id) || !s.worker_type_is("executor") {
            continue;
        }
        match s.name.as_str() {
            "WorkerCpuAllocated" => {
                q.push((s.clone(), "SampleCount"));
                q.push((s.clone(), "Sum"));
            }
            "WorkerMemoryAllocated" => q.push((s.clone(), "Sum")),
            // What the executors used: in all (Sum) and the busiest one
            // (Maximum), for right-sizing.
            "WorkerCpuUsed" | "WorkerMemoryUsed" => {
                q.push((s.clone(), "Sum"));
                q.push((s.clone(), "Maximum"));
            }
            _ => {}
        }
    }
    q
}

/// Peak and average executors, vCPU and memory from one job's series, in
/// the order [`job_queries`] made them.
pub fn job_metrics(
    run: &JobRun,
    queries: &[(Stream, &'static str)],
    series: &[Series],
) -> Option<JobMetrics> {
    let mut executors = Series::new();
    let mut vcpu = Series::new();
    let mut memory = Series::new();
    let mut cpu_used = Series::new();
    let mut memory_used = Series::new();
    let mut cpu_used_max = Series::new();
    let mut memory_used_max = Series::new();
    for ((s, stat), values) in queries.iter().zip(series) {
        let (target, max) = match (s.name.as_str(), *stat) {
            ("WorkerCpuAllocated", "SampleCount") => (&mut executors, false),
            ("WorkerCpuAllocated", "Sum") => (&mut vcpu, false),
            ("WorkerMemoryAllocated", "Sum") => (&mut memory, false),
            ("WorkerCpuUsed", "Sum") => (&mut cpu_used, false),
            ("WorkerMemoryUsed", "Sum") => (&mut memory_used, false),
            ("WorkerCpuUsed", "Maximum") => (&mut cpu_used_max, true),
            ("WorkerMemoryUsed", "Maximum") => (&mut memory_used_max, true),
            _ => continue,
        };
        for (t, v) in values {
            let e = target.entry(*t).or_insert(0.0);
            *e = if max { e.max(*v) } else { *e + v };
        }
    }
    if executors.is_empty() {
        return None;
    }
    let peak = |s: &Series| s.values().copied().fold(0.0, f64::max);
    let avg = |s: &Series| {
        if s.is_empty() {
            0.0
        } else {
            s.values().sum::<f64>() / s.len() as f64
        }
    };
    let peak_value = peak(&executors);
    let used = |s: &Series| (!s.is_empty()).then(|| s.values().sum::<f64>() / 60.0);
    Some(JobMetrics {
        region: run.region.clone(),
        application_id: run.application_id.clone(),
        job_run_id: run.job_run_id.clone(),
        minutes: executors.len() as u32,
        peak_executors: peak_value.round() as u32,
        avg_executors: avg(&executors),
        peak_vcpu: peak(&vcpu),
        avg_vcpu: avg(&vcpu),
        peak_memory_gb: peak(&memory),
        avg_memory_gb: avg(&memory),
        first_executor_minute: executors.keys().next().copied(),
        peak_minute: executors
            .iter()
            .find(|(_, v)| **v >= peak_value)
            .map(|(t, _)| *t),
        vcpu_hours_allocated: Some(vcpu.values().sum::<f64>() / 60.0),
        memory_gb_hours_allocated: Some(memory.values().sum::<f64>() / 60.0),
        vcpu_hours_used: used(&cpu_used),
        memory_gb_hours_used: used(&memory_used),
        peak_worker_vcpu_used: (!cpu_used_max.is_empty()).then(|| peak(&cpu_used_max)),
        peak_worker_memory_used_gb: (!memory_used_max.is_empty()).then(|| peak(&memory_used_max)),
    })
}

/// The application-level pre-initialized capacity queries: CPU, memory and
/// storage allocated, and the running and idle worker counts.
pub fn idle_queries(streams: &[Stream]) -> Vec<(Stream, &'static str)> {
    streams
        .iter()
        .filter(|s| s.pre_init() && s.dim("JobId").is_none())
        .filter(|s| {
            matches!(
                s.name.as_str(),
                "CPUAllocated"
                    | "MemoryAllocated"
                    | "StorageAllocated"
                    | "RunningWorkerCount"
                    | "IdleWorkerCount"
            )
        })
        .map(|s| (s.clone(), "Average"))
        .collect()
}

/// Pre-initialized capacity allocated in minutes when none of `runs` (the
/// application's collected runs) was running. A run counts as running in
/// every minute its [started, ended) interval touches.
pub fn idle_capacity(
    app: &ApplicationInfo,
    runs: &[&JobRun],
    queries: &[(Stream, &'static str)],
    series: &[Series],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<IdleCapacity> {
    let mut by_name: HashMap<&str, Series> = HashMap::new();
    for ((s, _), values) in queries.iter().zip(series) {
        let target = by_name.entry(s.name.as_str()).or_default();
        for (t, v) in values {
            *target.entry(*t).or_insert(0.0) += v;
        }
    }
    let cpu = by_name.get("CPUAllocated")?;
    let empty = Series::new();
    let memory = by_name.get("MemoryAllocated").unwrap_or(&empty);
    let storage = by_name.get("StorageAllocated").unwrap_or(&empty);
    let running = by_name.get("RunningWorkerCount").unwrap_or(&empty);
    let idle = by_name.get("IdleWorkerCount").unwrap_or(&empty);
    let busy: Vec<(i64, i64)> = runs
        .iter()
        .filter_map(|r| {
            let s = r.started_at?.timestamp();
            let e = r.ended_at.map(|e| e.timestamp()).unwrap_or(i64::MAX);
            Some((s, e))
        })
        .collect();
    let mut out = IdleCapacity {
        region: app.region.clone(),
        application_id: app.application_id.clone(),
        application_name: app.name.clone(),
        architecture: app.architecture,
        from,
        to,
        idle_minutes: 0,
        vcpu_hours: 0.0,
        memory_gb_hours: 0.0,
        billable_storage_gb_hours: 0.0,
    };
    for (&minute, &vcpu) in cpu {
        if vcpu <= 0.0 {
            continue;
        }
        let end = minute + 60;
        if busy.iter().any(|&(s, e)| s < end && e > minute) {
            continue;
        }
        let workers = running.get(&minute).copied().unwrap_or(0.0)
            + idle.get(&minute).copied().unwrap_or(0.0);
        let gb = storage.get(&minute).copied().unwrap_or(0.0);
        out.idle_minutes += 1;
        out.vcpu_hours += vcpu / 60.0;
        out.memory_gb_hours += memory.get(&minute).copied().unwrap_or(0.0) / 60.0;
        out.billable_storage_gb_hours += (gb - FREE_STORAGE_GB * workers).max(0.0) / 60.0;
    }
    Some(out)
}

pub fn utc(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(name: &str, dims: &[(&str, &str)]) -> Stream {
        Stream {
            name: name.into(),
            dims: dims
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn executor_streams_are_found_whatever_the_worker_type_spelling() {
        let streams = vec![
            stream(
                "WorkerCpuAllocated",
                &[("JobId", "j1"), ("WorkerType", "Spark_Executor")],
            ),
            stream(
                "WorkerCpuAllocated",
                &[("JobId", "j1"), ("WorkerType", "SPARK_EXECUTORS")],
            ),
            stream(
                "WorkerCpuAllocated",
                &[("JobId", "j1"), ("WorkerType", "SPARK_DRIVER")],
            ),
            stream(
                "WorkerMemoryAllocated",
                &[("JobId", "j1"), ("WorkerType", "Spark_Executor")],
            ),
            stream(
                "WorkerCpuAllocated",
                &[("JobId", "j2"), ("WorkerType", "Spark_Executor")],
            ),
        ];
        let q = job_queries(&streams, "j1");
        // Two CPU streams (count and sum each) and one memory stream.
        assert_eq!(q.len(), 5);
        assert!(q.iter().all(|(s, _)| s.dim("JobId") == Some("j1")));
        assert!(q.iter().all(|(s, _)| !s.worker_type_is("driver")));
    }
}
