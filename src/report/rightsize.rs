//! Right-sizing EMR Serverless executors from what they used: per job
//! class (application and job name), the executors' allocated vCPU and
//! memory against `WorkerCpuUsed` / `WorkerMemoryUsed` (CloudWatch, from
//! `collect --metrics`), and a worker size and executor bound that hold the
//! observed peak plus a headroom, with the monthly saving. FACTS.md
//! sections 2 and 6.
//!
//! It never recommends below the busiest executor's peak plus the headroom:
//! an undersized job that fails costs more than the saving.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::collect::dataset::JobMetrics;
use crate::cost::Pricer;
use crate::model::JobRun;

/// A class needs this many runs with usage metrics for a recommendation.
pub const MIN_RUNS: usize = 5;
/// Spark's overhead on the heap: 10%, at least 384 MB (FACTS.md section 2).
const OVERHEAD_FACTOR: f64 = 0.1;
const OVERHEAD_FLOOR_GB: f64 = 0.375;
/// EMR Serverless's default executor when a run sets none: 4 cores, 14 GB.
const DEFAULT_CORES: f64 = 4.0;
const DEFAULT_HEAP_GB: f64 = 14.0;
/// Worker vCPU sizes and each one's memory range and step (FACTS.md
/// section 2's table).
const SIZES: [(f64, f64, f64, f64); 5] = [
    (1.0, 2.0, 8.0, 1.0),
    (2.0, 4.0, 16.0, 1.0),
    (4.0, 8.0, 30.0, 1.0),
    (8.0, 16.0, 60.0, 4.0),
    (16.0, 32.0, 120.0, 8.0),
];

/// One job class's figures and what to do about them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassSizing {
    pub region: String,
    pub application_id: String,
    pub job_name: String,
    /// Runs in the class, and of them those with usage metrics.
    pub runs: usize,
    pub runs_with_metrics: usize,
    /// What EMR Serverless billed the class (all workers).
    pub billed_vcpu_hours: f64,
    pub billed_memory_gb_hours: f64,
    /// The executors' allocated and used capacity, over the runs with metrics.
    pub executor_vcpu_hours: f64,
    pub executor_memory_gb_hours: f64,
    pub used_vcpu_hours: f64,
    pub used_memory_gb_hours: f64,
    /// The executor worker today (vCPU, GB with overhead) and the most any
    /// one executor used.
    pub worker_vcpu: f64,
    pub worker_memory_gb: f64,
    pub peak_worker_vcpu_used: f64,
    pub peak_worker_memory_used_gb: f64,
    pub peak_executors: u32,
    /// Where event logs were read beside the class's runs: the share of
    /// their executors' core-hours tasks ran in, and over how many runs.
    pub event_log_busy_share: Option<f64>,
    pub event_log_runs: usize,
    pub recommendation: Option<Recommendation>,
    /// Why there is none, when there is none.
    pub no_recommendation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub worker_vcpu: f64,
    pub worker_memory_gb: f64,
    /// The Spark settings that give that worker.
    pub spark_executor_cores: u32,
    pub spark_executor_memory_gb: u32,
    pub max_executors: u32,
    /// What the executors would have cost less over the period, and that
    /// scaled to 30 days.
    pub saving_usd: f64,
    pub monthly_saving_usd: f64,
    pub period_days: f64,
    /// What else must change with it (the application's pool).
    pub caveat: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RightSizing {
    pub headroom: f64,
    pub min_runs: usize,
    pub method: String,
    pub classes: Vec<ClassSizing>,
}

/// A run of a class: its metrics, its event log's executor and task
/// core-seconds where one was read beside it, the executor it asked for
/// (cores, heap GB) and its application's pre-initialized executor worker.
struct Member<'a> {
    run: &'a JobRun,
    metrics: Option<&'a JobMetrics>,
    log: Option<(f64, f64)>,
    executor: (f64, f64),
    pool: Option<(f64, f64)>,
}

/// The smallest worker (vCPU, GB) that holds `vcpu` and `memory_gb`.
fn smallest_worker(vcpu: f64, memory_gb: f64) -> Option<(f64, f64)> {
    SIZES.iter().find_map(|&(c, lo, hi, step)| {
        if c + 1e-9 < vcpu || memory_gb > hi + 1e-9 {
            return None;
        }
        let m = (((memory_gb - lo) / step).ceil().max(0.0) * step + lo).min(hi);
        Some((c, m))
    })
}

fn with_overhead(heap: f64) -> f64 {
    heap + (heap * OVERHEAD_FACTOR).max(OVERHEAD_FLOOR_GB)
}

/// The heap whose worker (heap + overhead) fits in `memory_gb`, whole GB.
fn heap_for(memory_gb: f64) -> u32 {
    let mut heap = (memory_gb / (1.0 + OVERHEAD_FACTOR)).floor();
    while heap > 1.0 && with_overhead(heap) > memory_gb + 1e-9 {
        heap -= 1.0;
    }
    heap.max(1.0) as u32
}

/// Right-sizing of every job class in the runs (each with its dataset's
/// state), or `None` when no run has usage metrics.
pub fn analyse(
    runs: &[super::startup::Collected],
    pricer: &Pricer<'_>,
    headroom: f64,
) -> Option<RightSizing> {
    let mut classes: BTreeMap<(String, String, String), Vec<Member<'_>>> = BTreeMap::new();
    let mut any = false;
    for (r, st) in runs {
        if r.glue.is_some() || r.ec2_cost_usd.is_some() || !r.state.is_final() {
            continue;
        }
        let m = st.job_metrics.iter().find(|m| {
            m.region == r.region
                && m.application_id == r.application_id
                && m.job_run_id == r.job_run_id
        });
        any |= m.is_some_and(|m| m.vcpu_hours_used.is_some());
        // (executor core-seconds, task core-seconds) from its event log.
        let log = st
            .event_logs
            .iter()
            .find(|e| {
                e.region == r.region
                    && e.application_id == r.application_id
                    && e.job_run_id == r.job_run_id
                    && e.attempt == r.attempt
            })
            .and_then(|e| Some((e.executor_core_seconds, e.task_core_seconds?)));
        // What the run asked for (its request, else its record; EMR
        // Serverless's defaults where neither says), as the startup
        // analysis reads it: the record's sizes may be the pool's worker.
        let executor = match st.request(r) {
            Some(q) => (
                q.executor_cores.unwrap_or(DEFAULT_CORES),
                q.executor_memory_gb.unwrap_or(DEFAULT_HEAP_GB),
            ),
            None => (
                r.executor_vcpu.unwrap_or(DEFAULT_CORES),
                r.executor_memory_gb.unwrap_or(DEFAULT_HEAP_GB),
            ),
        };
        let pool = st
            .application_at(&r.region, &r.application_id, r.created_at)
            .and_then(|a| {
                a.initial_capacity
                    .iter()
                    .find(|c| c.worker_type.eq_ignore_ascii_case("Executor"))
            })
            .map(|c| (c.vcpu, c.memory_gb));
        classes
            .entry((
                r.region.clone(),
                r.application_id.clone(),
                r.job_name.clone().unwrap_or_else(|| "(unnamed)".into()),
            ))
            .or_default()
            .push(Member {
                run: r,
                metrics: m,
                log,
                executor,
                pool,
            });
    }
    if !any {
        return None;
    }
    let mut out = Vec::new();
    for ((region, application_id, job_name), members) in classes {
        out.push(class(
            region,
            application_id,
            job_name,
            &members,
            pricer,
            headroom,
        ));
    }
    out.sort_by(|a, b| {
        b.recommendation
            .as_ref()
            .map_or(0.0, |r| r.monthly_saving_usd)
            .total_cmp(
                &a.recommendation
                    .as_ref()
                    .map_or(0.0, |r| r.monthly_saving_usd),
            )
            .then(b.billed_vcpu_hours.total_cmp(&a.billed_vcpu_hours))
    });
    Some(RightSizing {
        headroom,
        min_runs: MIN_RUNS,
        method: format!(
            "Per job class (application and job name). The executor worker is the class's most common executor size (cores, heap plus 10% overhead, at least 384 MB, rounded up to a valid worker); EMR Serverless's default 4 cores and 14 GB where a run sets none. The recommendation is the smallest valid worker that holds the busiest executor's peak vCPU and memory (WorkerCpuUsed and WorkerMemoryUsed, Maximum per minute, over every run) plus {:.0}% headroom, never less; maxExecutors is the largest executor count seen plus the same headroom. The saving is the executors' allocated vCPU-hours and GB-hours (WorkerCpuAllocated and WorkerMemoryAllocated) scaled by the smaller worker, at the run's region's EMR Serverless rates, over the period the class's runs span, and that scaled to 30 days. A class with fewer than {MIN_RUNS} runs with usage metrics gets no recommendation.",
            headroom * 100.0
        ),
        classes: out,
    })
}

fn class(
    region: String,
    application_id: String,
    job_name: String,
    members: &[Member<'_>],
    pricer: &Pricer<'_>,
    headroom: f64,
) -> ClassSizing {
    let with: Vec<(&JobRun, &JobMetrics)> = members
        .iter()
        .filter_map(|x| {
            x.metrics
                .filter(|m| m.vcpu_hours_used.is_some())
                .map(|m| (x.run, m))
        })
        .collect();
    let sum =
        |f: &dyn Fn(&JobMetrics) -> Option<f64>| with.iter().filter_map(|(_, m)| f(m)).sum::<f64>();
    let max = |f: &dyn Fn(&JobMetrics) -> Option<f64>| {
        with.iter().filter_map(|(_, m)| f(m)).fold(0.0, f64::max)
    };
    // The most common executor worker among the runs.
    let mut counts: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for x in members {
        let (cores, heap) = x.executor;
        let worker = smallest_worker(cores, with_overhead(heap))
            .unwrap_or((cores, with_overhead(DEFAULT_HEAP_GB)));
        *counts
            .entry((worker.0.to_bits(), worker.1.to_bits()))
            .or_default() += 1;
    }
    let (wc, wm) = counts
        .iter()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
        .map_or((DEFAULT_CORES, 16.0), |((c, m), _)| {
            (f64::from_bits(*c), f64::from_bits(*m))
        });
    let billed = members
        .iter()
        .filter_map(|x| x.run.billed)
        .fold((0.0, 0.0), |(v, m), b| {
            (v + b.vcpu_hours, m + b.memory_gb_hours)
        });
    let peak_vcpu = max(&|m| m.peak_worker_vcpu_used);
    let peak_mem = max(&|m| m.peak_worker_memory_used_gb);
    let peak_executors = with
        .iter()
        .map(|(_, m)| m.peak_executors)
        .max()
        .unwrap_or(0);
    let logs: Vec<(f64, f64)> = members.iter().filter_map(|x| x.log).collect();
    let held: f64 = logs.iter().map(|l| l.0).sum();
    let mut c = ClassSizing {
        region,
        application_id,
        job_name,
        runs: members.len(),
        runs_with_metrics: with.len(),
        billed_vcpu_hours: billed.0,
        billed_memory_gb_hours: billed.1,
        executor_vcpu_hours: sum(&|m| m.vcpu_hours_allocated),
        executor_memory_gb_hours: sum(&|m| m.memory_gb_hours_allocated),
        used_vcpu_hours: sum(&|m| m.vcpu_hours_used),
        used_memory_gb_hours: sum(&|m| m.memory_gb_hours_used),
        worker_vcpu: wc,
        worker_memory_gb: wm,
        peak_worker_vcpu_used: peak_vcpu,
        peak_worker_memory_used_gb: peak_mem,
        peak_executors,
        event_log_busy_share: (held > 0.0)
            .then(|| (logs.iter().map(|l| l.1).sum::<f64>() / held).clamp(0.0, 1.0)),
        event_log_runs: logs.len(),
        recommendation: None,
        no_recommendation: None,
    };
    if with.len() < MIN_RUNS {
        c.no_recommendation = Some(format!(
            "too little data: {} run(s) with WorkerCpuUsed/WorkerMemoryUsed metrics, {MIN_RUNS} needed",
            with.len()
        ));
        return c;
    }
    if with
        .iter()
        .any(|(_, m)| m.peak_worker_memory_used_gb.is_none())
    {
        c.no_recommendation =
            Some("WorkerMemoryUsed is missing for some runs: memory cannot be sized".into());
        return c;
    }
    let Some((rc, rm)) = smallest_worker(peak_vcpu * (1.0 + headroom), peak_mem * (1.0 + headroom))
    else {
        c.no_recommendation = Some("the peak plus headroom is above the largest worker".into());
        return c;
    };
    if rc >= wc && rm >= wm {
        c.no_recommendation = Some(format!(
            "no change: the busiest executor's peak ({peak_vcpu:.2} vCPU, {peak_mem:.2} GB) plus {:.0}% needs the worker it has",
            headroom * 100.0
        ));
        return c;
    }
    let (rc, rm) = (rc.min(wc), rm.min(wm));
    let Ok(rate) = pricer
        .book()
        .serverless_rate(&c.region, members[0].run.architecture)
    else {
        c.no_recommendation = Some(format!(
            "the price book has no EMR Serverless rates for {}",
            c.region
        ));
        return c;
    };
    let saving = c.executor_vcpu_hours * (1.0 - rc / wc) * rate.vcpu_hour_usd
        + c.executor_memory_gb_hours * (1.0 - rm / wm) * rate.memory_gb_hour_usd;
    let first = with.iter().filter_map(|(r, _)| r.created_at).min();
    let last = with
        .iter()
        .filter_map(|(r, _)| r.ended_at.or(r.created_at))
        .max();
    let days = match (first, last) {
        (Some(a), Some(b)) => ((b - a).num_seconds() as f64 / 86_400.0).max(1.0),
        _ => 1.0,
    };
    c.recommendation = Some(Recommendation {
        worker_vcpu: rc,
        worker_memory_gb: rm,
        spark_executor_cores: rc as u32,
        spark_executor_memory_gb: heap_for(rm),
        max_executors: ((f64::from(peak_executors) * (1.0 + headroom)).ceil() as u32).max(1),
        saving_usd: saving,
        monthly_saving_usd: saving * 30.0 / days,
        period_days: days,
        // A job sized off the pool no longer uses it (the startup
        // section's size rule): the pool must change too.
        caveat: members
            .iter()
            .find_map(|x| x.pool)
            .filter(|(pc, pm)| *pc != rc || *pm < with_overhead(f64::from(heap_for(rm))))
            .map(|(pc, pm)| {
                format!(
                    "the application's pre-initialized executor workers are {pc} vCPU, {pm} GB: at this size the job no longer uses them, so resize the pool with it (or the saving comes with cold starts)"
                )
            }),
    });
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_worker_holds_the_need() {
        assert_eq!(smallest_worker(1.2, 4.8), Some((2.0, 5.0)));
        assert_eq!(smallest_worker(3.0, 31.0), Some((8.0, 32.0)));
        assert_eq!(smallest_worker(0.5, 1.0), Some((1.0, 2.0)));
        assert_eq!(smallest_worker(20.0, 10.0), None);
    }

    #[test]
    fn the_heap_leaves_room_for_the_overhead() {
        assert_eq!(heap_for(16.0), 14);
        assert_eq!(heap_for(5.0), 4);
        assert!(with_overhead(f64::from(heap_for(8.0))) <= 8.0);
    }
}
