//! A deterministic generator of realistic EMR Serverless job-run histories.
//!
//! `emrcost synth --runs N --seed S` writes what this returns; the bundled
//! sample (`samples/jobruns.csv`) is its output for the default seed, and the
//! benches reuse it at scale. The same seed always gives the same runs.
//!
//! The fleet (documented in the README):
//! - six applications in us-east-1, us-west-2 and eu-west-1, x86_64 and arm64;
//! - job classes from 30-second compactions to 3-hour feature builds, each
//!   with a log-normal runtime around its median and a log-normal average
//!   executor count (dynamic allocation rarely holds its maximum);
//! - 92% SUCCESS, 5% FAILED and 3% CANCELLED; failed and cancelled runs stop
//!   part-way through;
//! - queue times log-normal around 8 s, with 5% of runs waiting 2-5 minutes
//!   (the scheduling waits users report even with warm workers);
//! - 2% of runs still lack `billedResourceUtilization` (it arrives late), so
//!   the total-usage path is exercised.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use crate::cost::serverless;
use crate::model::{Architecture, JobRun, JobState, ResourceUsage, UsageSource, WorkerSize};

/// Settings for [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub runs: usize,
    pub seed: u64,
    /// Runs are spread evenly over `days` days from `start`.
    pub start: DateTime<Utc>,
    pub days: u32,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            runs: 2000,
            seed: 42,
            start: Utc
                .with_ymd_and_hms(2026, 8, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            days: 92,
        }
    }
}

struct App {
    id: &'static str,
    name: &'static str,
    region: &'static str,
    arch: Architecture,
    release: &'static str,
}

struct JobClass {
    app: usize,
    name: &'static str,
    /// Share of all runs.
    weight: f64,
    median_runtime_s: f64,
    runtime_sigma: f64,
    median_executors: f64,
    executor_sigma: f64,
    max_executors: u32,
    executor_vcpu: f64,
    executor_heap_gb: f64,
    executor_disk_gb: f64,
}

const APPS: [App; 6] = [
    App {
        id: "00fkq3etl0000001",
        name: "etl-nightly",
        region: "us-east-1",
        arch: Architecture::X86_64,
        release: "emr-7.1.0",
    },
    App {
        id: "00fkq3adh0000002",
        name: "adhoc-analytics",
        region: "us-east-1",
        arch: Architecture::Arm64,
        release: "emr-7.2.0",
    },
    App {
        id: "00fkq3cmp0000003",
        name: "lake-compaction",
        region: "us-west-2",
        arch: Architecture::X86_64,
        release: "emr-6.15.0",
    },
    App {
        id: "00fkq3mlf0000004",
        name: "ml-features",
        region: "eu-west-1",
        arch: Architecture::Arm64,
        release: "emr-7.1.0",
    },
    App {
        id: "00fkq3rpt0000005",
        name: "finance-reporting",
        region: "eu-west-1",
        arch: Architecture::X86_64,
        release: "emr-6.15.0",
    },
    App {
        id: "00fkq3cdc0000006",
        name: "cdc-ingest",
        region: "us-west-2",
        arch: Architecture::Arm64,
        release: "emr-7.2.0",
    },
];

const CLASSES: [JobClass; 10] = [
    JobClass {
        app: 0,
        name: "orders-daily",
        weight: 0.06,
        median_runtime_s: 2700.0,
        runtime_sigma: 0.25,
        median_executors: 18.0,
        executor_sigma: 0.3,
        max_executors: 40,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 20.0,
    },
    JobClass {
        app: 0,
        name: "customers-merge",
        weight: 0.08,
        median_runtime_s: 900.0,
        runtime_sigma: 0.35,
        median_executors: 8.0,
        executor_sigma: 0.3,
        max_executors: 20,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 20.0,
    },
    JobClass {
        app: 1,
        name: "adhoc-query",
        weight: 0.22,
        median_runtime_s: 150.0,
        runtime_sigma: 0.8,
        median_executors: 3.0,
        executor_sigma: 0.5,
        max_executors: 10,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 20.0,
    },
    JobClass {
        app: 2,
        name: "compact-small-files",
        weight: 0.30,
        median_runtime_s: 60.0,
        runtime_sigma: 0.5,
        median_executors: 2.0,
        executor_sigma: 0.3,
        max_executors: 4,
        executor_vcpu: 2.0,
        executor_heap_gb: 7.0,
        executor_disk_gb: 20.0,
    },
    JobClass {
        app: 2,
        name: "compact-partitions",
        weight: 0.06,
        median_runtime_s: 1200.0,
        runtime_sigma: 0.4,
        median_executors: 10.0,
        executor_sigma: 0.3,
        max_executors: 24,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 100.0,
    },
    JobClass {
        app: 3,
        name: "feature-build",
        weight: 0.03,
        median_runtime_s: 9000.0,
        runtime_sigma: 0.3,
        median_executors: 30.0,
        executor_sigma: 0.25,
        max_executors: 60,
        executor_vcpu: 8.0,
        executor_heap_gb: 28.0,
        executor_disk_gb: 100.0,
    },
    JobClass {
        app: 3,
        name: "feature-backfill",
        weight: 0.01,
        median_runtime_s: 14400.0,
        runtime_sigma: 0.3,
        median_executors: 50.0,
        executor_sigma: 0.2,
        max_executors: 80,
        executor_vcpu: 8.0,
        executor_heap_gb: 28.0,
        executor_disk_gb: 150.0,
    },
    JobClass {
        app: 4,
        name: "ledger-close",
        weight: 0.05,
        median_runtime_s: 1500.0,
        runtime_sigma: 0.3,
        median_executors: 12.0,
        executor_sigma: 0.3,
        max_executors: 30,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 20.0,
    },
    JobClass {
        app: 4,
        name: "fx-revaluation",
        weight: 0.04,
        median_runtime_s: 420.0,
        runtime_sigma: 0.4,
        median_executors: 4.0,
        executor_sigma: 0.3,
        max_executors: 8,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 20.0,
    },
    JobClass {
        app: 5,
        name: "cdc-merge",
        weight: 0.15,
        median_runtime_s: 240.0,
        runtime_sigma: 0.5,
        median_executors: 4.0,
        executor_sigma: 0.4,
        max_executors: 12,
        executor_vcpu: 4.0,
        executor_heap_gb: 14.0,
        executor_disk_gb: 20.0,
    },
];

/// Memory overhead the generator applies to executor heaps (Spark's 10%).
const OVERHEAD: f64 = 0.1;

fn lognormal(median: f64, sigma: f64) -> LogNormal<f64> {
    // Parameters are constants above: always valid.
    LogNormal::new(median.ln(), sigma).unwrap_or_else(|_| LogNormal::new(0.0, 0.1).expect("valid"))
}

fn pick_class(rng: &mut ChaCha8Rng) -> &'static JobClass {
    let total: f64 = CLASSES.iter().map(|c| c.weight).sum();
    let mut x = rng.gen::<f64>() * total;
    for c in &CLASSES {
        if x < c.weight {
            return c;
        }
        x -= c.weight;
    }
    &CLASSES[CLASSES.len() - 1]
}

/// Generates `cfg.runs` job runs, in creation-time order.
pub fn generate(cfg: &SynthConfig) -> Vec<JobRun> {
    Synth::new(cfg).collect()
}

/// The runs of [`generate`], one at a time, so that large histories can be
/// written without holding them (`synth --runs 10000000`).
pub struct Synth {
    rng: ChaCha8Rng,
    cfg: SynthConfig,
    span_s: f64,
    queue: LogNormal<f64>,
    i: usize,
}

impl Synth {
    pub fn new(cfg: &SynthConfig) -> Synth {
        Synth {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            cfg: cfg.clone(),
            span_s: f64::from(cfg.days) * 86_400.0,
            queue: lognormal(8_000.0, 0.8),
            i: 0,
        }
    }
}

impl Iterator for Synth {
    type Item = JobRun;

    fn next(&mut self) -> Option<JobRun> {
        if self.i >= self.cfg.runs {
            return None;
        }
        let i = self.i;
        self.i += 1;
        let (rng, cfg, span_s, queue) = (&mut self.rng, &self.cfg, self.span_s, &self.queue);
        let class = pick_class(rng);
        let app = &APPS[class.app];
        let full_runtime = lognormal(class.median_runtime_s, class.runtime_sigma)
            .sample(rng)
            .clamp(5.0, 6.0 * 3600.0);
        let roll: f64 = rng.gen();
        let (state, runtime_s) = if roll < 0.92 {
            (JobState::Success, full_runtime)
        } else if roll < 0.97 {
            (JobState::Failed, full_runtime * rng.gen_range(0.05..0.9))
        } else {
            (JobState::Cancelled, full_runtime * rng.gen_range(0.05..0.9))
        };
        let runtime_s = runtime_s.max(1.0).round();
        let executors = lognormal(class.median_executors, class.executor_sigma)
            .sample(rng)
            .clamp(0.5, f64::from(class.max_executors));
        let queued_ms = if rng.gen::<f64>() < 0.05 {
            rng.gen_range(120_000.0..300_000.0)
        } else {
            queue.sample(rng).min(120_000.0)
        } as u64;
        let offset = span_s * (i as f64 + rng.gen::<f64>()) / cfg.runs as f64;
        let created = cfg.start + Duration::milliseconds((offset * 1000.0) as i64);
        let started = created + Duration::milliseconds(queued_ms as i64);
        let ended = started + Duration::seconds(runtime_s as i64);

        let executor = WorkerSize {
            vcpu: class.executor_vcpu,
            memory_gb: class.executor_heap_gb * (1.0 + OVERHEAD),
            disk_gb: class.executor_disk_gb,
        };
        let driver = WorkerSize {
            vcpu: 4.0,
            memory_gb: 14.0 * (1.0 + OVERHEAD),
            disk_gb: 20.0,
        };
        let (total, billed) = usage(&driver, &executor, executors, runtime_s);
        let billed = (rng.gen::<f64>() >= 0.02).then_some(billed);

        Some(JobRun {
            region: app.region.to_string(),
            application_id: app.id.to_string(),
            application_name: Some(app.name.to_string()),
            architecture: app.arch,
            job_run_id: format!("00f{:013x}", rng.gen::<u64>() >> 12),
            attempt: 1,
            job_name: Some(class.name.to_string()),
            state,
            release_label: Some(app.release.to_string()),
            created_at: Some(created),
            started_at: Some(started),
            ended_at: Some(ended),
            queued_ms: Some(queued_ms),
            duration_s: Some(runtime_s),
            billed,
            total: Some(total),
            executor_vcpu: Some(class.executor_vcpu),
            executor_memory_gb: Some(class.executor_heap_gb),
            executor_disk_gb: Some(class.executor_disk_gb),
            driver_vcpu: Some(4.0),
            driver_memory_gb: Some(14.0),
            max_executors: Some(class.max_executors),
            peak_executors: None,
            incomplete: false,
            source: UsageSource::Synthetic,
            glue: None,
            glue_worker_type: None,
            ec2_cost_usd: None,
            ec2_cluster_id: None,
            account_id: None,
            tags: None,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.cfg.runs - self.i;
        (left, Some(left))
    }
}

/// Raw and billed usage of a driver plus `executors` (average) executors on
/// the EMR Serverless workers their sizes round up to.
fn usage(
    driver: &WorkerSize,
    executor: &WorkerSize,
    executors: f64,
    runtime_s: f64,
) -> (ResourceUsage, ResourceUsage) {
    let round = |w: &WorkerSize| {
        serverless::round_worker(w).unwrap_or(serverless::ServerlessWorker {
            vcpu: 16,
            memory_gb: 120,
            disk_gb: 200,
        })
    };
    let (d, e) = (round(driver), round(executor));
    let hours = runtime_s / 3600.0;
    let total = ResourceUsage {
        vcpu_hours: (f64::from(d.vcpu) + executors * f64::from(e.vcpu)) * hours,
        memory_gb_hours: (f64::from(d.memory_gb) + executors * f64::from(e.memory_gb)) * hours,
        storage_gb_hours: (f64::from(d.disk_gb) + executors * f64::from(e.disk_gb)) * hours,
    };
    let billed = serverless::billed_from_total(&total, runtime_s, 1.0 + executors);
    (total, billed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_runs_and_realistic_mix() {
        let cfg = SynthConfig {
            runs: 5000,
            ..SynthConfig::default()
        };
        let a = generate(&cfg);
        assert_eq!(a, generate(&cfg));
        let other = generate(&SynthConfig {
            seed: 7,
            ..cfg.clone()
        });
        assert_ne!(a, other);

        let count = |f: &dyn Fn(&JobRun) -> bool| a.iter().filter(|r| f(r)).count() as f64 / 5000.0;
        let failed = count(&|r| r.state == JobState::Failed);
        let cancelled = count(&|r| r.state == JobState::Cancelled);
        let arm = count(&|r| r.architecture == Architecture::Arm64);
        let short = count(&|r| r.duration_s.unwrap() < 120.0);
        let long = count(&|r| r.duration_s.unwrap() > 3600.0);
        let slow_queue = count(&|r| r.queued_ms.unwrap() >= 120_000);
        assert!((0.03..0.07).contains(&failed), "failed {failed}");
        assert!((0.015..0.045).contains(&cancelled), "cancelled {cancelled}");
        assert!((0.3..0.5).contains(&arm), "arm64 {arm}");
        assert!(short > 0.2, "short jobs {short}");
        assert!(long > 0.02, "long jobs {long}");
        assert!(
            (0.03..0.07).contains(&slow_queue),
            "slow queue {slow_queue}"
        );
        let regions: std::collections::BTreeSet<&str> =
            a.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(regions.len(), 3);
    }
}
