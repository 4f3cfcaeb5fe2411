//! From an application's log to what it used and what EMR Serverless would
//! bill for it.

use serde::Serialize;

use super::parse::AppLog;
use crate::collect::parse_memory_gb;
use crate::cost::serverless::worker_billed_usage;
use crate::model::{ResourceUsage, WorkerSize};

/// Executor and driver sizes, from the resource profile, the Spark
/// properties, or Spark's own defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizes {
    pub executor_cores: f64,
    pub executor_heap_gb: f64,
    pub executor_overhead_gb: f64,
    pub executor_disk_gb: f64,
    pub driver_cores: f64,
    pub driver_heap_gb: f64,
    pub driver_overhead_gb: f64,
}

/// Everything derived from one application's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppEstimate {
    pub start_ms: i64,
    pub end_ms: i64,
    /// False when the log has no ApplicationEnd: the end is the last event seen.
    pub complete: bool,
    pub duration_s: f64,
    pub sizes: Sizes,
    pub peak_executors: u32,
    /// Executor-seconds / application seconds.
    pub avg_executors: f64,
    /// Executors' and driver's lifetimes x their requested sizes (memory with
    /// overhead), no rounding, no minimum.
    pub raw: ResourceUsage,
    /// What EMR Serverless would bill: each worker rounded up to a valid size,
    /// a 1-minute minimum per worker, 20 GB of storage free per worker.
    pub serverless_billed: ResourceUsage,
    /// The EMR Serverless Estimator's simpler arithmetic: core-seconds and
    /// MB-seconds of executors and driver, vCPU and memory only.
    pub estimator_core_seconds: f64,
    pub estimator_mb_seconds: f64,
    /// Executors' cores x their lifetimes: the executor capacity that was up.
    pub executor_core_seconds: f64,
    /// Tasks' run times x `spark.task.cpus`: the part of it that worked.
    /// `None` when the log has no task ends (a log cut before its tasks,
    /// or one written without them).
    pub task_core_seconds: Option<f64>,
}

impl AppEstimate {
    /// The share of executor capacity no task used (0 to 1): executors
    /// kept alive with nothing to run, or with fewer tasks than cores.
    pub fn idle_share(&self) -> Option<f64> {
        let busy = self.task_core_seconds?;
        (self.executor_core_seconds > 0.0)
            .then(|| (1.0 - busy / self.executor_core_seconds).clamp(0.0, 1.0))
    }
}

fn prop_gb(log: &AppLog, key: &str) -> Option<f64> {
    log.properties
        .get(key)
        .and_then(|v| parse_memory_gb(v).ok())
}

fn prop_f64(log: &AppLog, key: &str) -> Option<f64> {
    log.properties.get(key).and_then(|v| v.trim().parse().ok())
}

fn overhead_gb(log: &AppLog, role: &str, heap_gb: f64) -> f64 {
    if let Some(explicit) = prop_gb(log, &format!("spark.{role}.memoryOverhead")) {
        return explicit;
    }
    let factor = prop_f64(log, &format!("spark.{role}.memoryOverheadFactor"))
        .or_else(|| prop_f64(log, "spark.emr-serverless.memoryOverheadFactor"))
        .unwrap_or(0.1);
    (heap_gb * factor).max(0.375)
}

/// Sizes from the default resource profile, then the properties, then
/// Spark's defaults (1 core and 1 GB for executor and driver).
pub fn sizes(log: &AppLog) -> Sizes {
    let profile = log.profiles.get(&0);
    let executor_heap_gb = profile
        .and_then(|p| p.memory_mb)
        .map(|mb| mb / 1024.0)
        .or_else(|| prop_gb(log, "spark.executor.memory"))
        .unwrap_or(1.0);
    let executor_overhead_gb = profile
        .and_then(|p| p.overhead_mb)
        .map(|mb| mb / 1024.0)
        .unwrap_or_else(|| overhead_gb(log, "executor", executor_heap_gb));
    let driver_heap_gb = prop_gb(log, "spark.driver.memory").unwrap_or(1.0);
    Sizes {
        executor_cores: profile
            .and_then(|p| p.cores)
            .or_else(|| prop_f64(log, "spark.executor.cores"))
            .unwrap_or(1.0),
        executor_heap_gb,
        executor_overhead_gb,
        executor_disk_gb: prop_gb(log, "spark.emr-serverless.executor.disk").unwrap_or(20.0),
        driver_cores: prop_f64(log, "spark.driver.cores").unwrap_or(1.0),
        driver_heap_gb,
        driver_overhead_gb: overhead_gb(log, "driver", driver_heap_gb),
    }
}

/// Derives the estimate; `None` (with the reason) when the log has no start.
pub fn estimate(log: &AppLog) -> Result<AppEstimate, String> {
    let start_ms = log
        .start_ms
        .or_else(|| log.executors.values().flatten().map(|e| e.added_ms).min())
        .ok_or("no SparkListenerApplicationStart and no executors: nothing to estimate")?;
    if let (Some(end), Some(start)) = (log.end_ms, log.start_ms) {
        if end < start {
            return Err(format!(
                "SparkListenerApplicationEnd ({end}) is before SparkListenerApplicationStart \
                 ({start}); one of the times is wrong, so the runtime is unknown"
            ));
        }
    }
    let complete = log.end_ms.is_some();
    let end_ms = log.end_ms.or(log.last_ms).unwrap_or(start_ms).max(start_ms);
    let duration_s = (end_ms - start_ms) as f64 / 1000.0;
    let s = sizes(log);

    let mut raw = ResourceUsage::default();
    let mut billed = ResourceUsage::default();
    let mut core_seconds = 0.0;
    let mut mb_seconds = 0.0;
    let mut events: Vec<(i64, i32)> = Vec::new();
    let mut executor_seconds = 0.0;
    let mut executor_core_seconds = 0.0;

    let mut add_worker =
        |cores: f64, heap_gb: f64, overhead_gb: f64, disk_gb: f64, seconds: f64| {
            let memory_gb = heap_gb + overhead_gb;
            raw.vcpu_hours += cores * seconds / 3600.0;
            raw.memory_gb_hours += memory_gb * seconds / 3600.0;
            raw.storage_gb_hours += disk_gb * seconds / 3600.0;
            core_seconds += cores * seconds;
            mb_seconds += memory_gb * 1024.0 * seconds;
            let size = WorkerSize {
                vcpu: cores,
                memory_gb,
                disk_gb,
            };
            let b = worker_billed_usage(&size, seconds).map_err(|e| e.to_string())?;
            billed.vcpu_hours += b.vcpu_hours;
            billed.memory_gb_hours += b.memory_gb_hours;
            billed.storage_gb_hours += b.storage_gb_hours;
            Ok::<(), String>(())
        };

    add_worker(
        s.driver_cores,
        s.driver_heap_gb,
        s.driver_overhead_gb,
        20.0,
        duration_s,
    )?;
    for life in log.executors.values().flatten() {
        let added = life.added_ms.clamp(start_ms, end_ms);
        let removed = life.removed_ms.unwrap_or(end_ms).clamp(added, end_ms);
        let seconds = (removed - added) as f64 / 1000.0;
        let cores = if life.cores > 0 {
            f64::from(life.cores)
        } else {
            s.executor_cores
        };
        let (heap, overhead) = match log
            .profiles
            .get(&life.profile)
            .filter(|_| life.profile != 0)
        {
            Some(p) => (
                p.memory_mb.map_or(s.executor_heap_gb, |m| m / 1024.0),
                p.overhead_mb.map_or(s.executor_overhead_gb, |m| m / 1024.0),
            ),
            None => (s.executor_heap_gb, s.executor_overhead_gb),
        };
        add_worker(cores, heap, overhead, s.executor_disk_gb, seconds)?;
        executor_seconds += seconds;
        executor_core_seconds += cores * seconds;
        events.push((added, 1));
        events.push((removed, -1));
    }
    // Removals sort before additions at the same instant: a replacement is
    // not two executors at once.
    events.sort();
    let (mut live, mut peak) = (0i32, 0i32);
    for (_, delta) in events {
        live += delta;
        peak = peak.max(live);
    }
    Ok(AppEstimate {
        start_ms,
        end_ms,
        complete,
        duration_s,
        sizes: s,
        peak_executors: peak.max(0) as u32,
        avg_executors: if duration_s > 0.0 {
            executor_seconds / duration_s
        } else {
            0.0
        },
        raw,
        serverless_billed: billed,
        estimator_core_seconds: core_seconds,
        estimator_mb_seconds: mb_seconds,
        executor_core_seconds,
        task_core_seconds: (log.tasks > 0).then(|| {
            let task_cpus = prop_f64(log, "spark.task.cpus")
                .filter(|c| *c >= 1.0)
                .unwrap_or(1.0);
            log.task_ms as f64 / 1000.0 * task_cpus
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse::Executor;
    use super::*;

    fn log(executors: &[(&str, i64, Option<i64>, u32)]) -> AppLog {
        let mut log = AppLog {
            start_ms: Some(0),
            end_ms: Some(600_000),
            ..AppLog::default()
        };
        log.properties
            .insert("spark.executor.memory".into(), "14g".into());
        log.properties
            .insert("spark.driver.memory".into(), "14g".into());
        log.properties
            .insert("spark.driver.cores".into(), "4".into());
        for (id, added, removed, cores) in executors {
            log.executors
                .entry(id.to_string())
                .or_default()
                .push(Executor {
                    added_ms: *added,
                    removed_ms: *removed,
                    cores: *cores,
                    profile: 0,
                });
        }
        log
    }

    #[test]
    fn timeline_peak_average_and_billing() {
        // 10-minute app; executor 1 lives 0-300 s, executor 2 100-600 s
        // (never removed: until the end), executor 3 lives 30 s.
        let e = estimate(&log(&[
            ("1", 0, Some(300_000), 4),
            ("2", 100_000, None, 4),
            ("3", 500_000, Some(530_000), 4),
        ]))
        .unwrap();
        assert_eq!(e.peak_executors, 2);
        assert!((e.avg_executors - (300.0 + 500.0 + 30.0) / 600.0).abs() < 1e-12);
        // Raw vCPU-hours: driver 4 x 600 s + executors 4 x 830 s.
        assert!((e.raw.vcpu_hours - (4.0 * 600.0 + 4.0 * 830.0) / 3600.0).abs() < 1e-12);
        // Billed: 4 vCPU / 16 GB workers; executor 3's 30 s is billed as 60 s.
        assert!(
            (e.serverless_billed.vcpu_hours
                - (4.0 * 600.0 + 4.0 * (300.0 + 500.0 + 60.0)) / 3600.0)
                .abs()
                < 1e-12
        );
        assert!(
            (e.serverless_billed.memory_gb_hours - 16.0 * (600.0 + 860.0) / 3600.0).abs() < 1e-12
        );
        assert_eq!(e.serverless_billed.storage_gb_hours, 0.0);
        assert!(e.complete);
    }

    #[test]
    fn replacement_at_the_same_instant_is_not_two_at_once() {
        let e = estimate(&log(&[
            ("1", 0, Some(300_000), 4),
            ("2", 300_000, Some(600_000), 4),
        ]))
        .unwrap();
        assert_eq!(e.peak_executors, 1);
    }
}
