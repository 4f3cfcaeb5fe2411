//! EMR Serverless: actual cost from a job run's usage, and an estimate from a
//! shape.
//!
//! Billing rules (FACTS.md section 2, AWS): each worker is billed for vCPU,
//! memory and storage from ready to end, per second, with a 1-minute minimum;
//! the first 20 GB of storage per worker is free.

use serde::Serialize;

use super::{Assumptions, BillingCurve, CostError};
use crate::model::{JobShape, ResourceUsage, WorkerSize};
use crate::pricing::ServerlessRate;

/// Per-worker billing minimum, in seconds.
pub const MINIMUM_SECONDS: f64 = 60.0;
/// Storage per worker that is not billed, in GB.
pub const FREE_STORAGE_GB: f64 = 20.0;

/// A valid EMR Serverless worker configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServerlessWorker {
    pub vcpu: u32,
    pub memory_gb: u32,
    pub disk_gb: u32,
}

/// (vCPU, min memory GB, max memory GB, memory step GB) from the EMR
/// Serverless worker-configuration table (FACTS.md section 2, AWS app-behavior).
const SIZES: [(u32, u32, u32, u32); 5] = [
    (1, 2, 8, 1),
    (2, 4, 16, 1),
    (4, 8, 30, 1),
    (8, 16, 60, 4),
    (16, 32, 120, 8),
];
const DISK_MIN_GB: u32 = 20;
const DISK_MAX_GB: u32 = 200;

/// What EMR Serverless bills for one worker of the requested size alive
/// for `seconds`: the size rounded up to a valid worker, at least a minute,
/// storage above the free 20 GB (FACTS.md section 2).
pub fn worker_billed_usage(req: &WorkerSize, seconds: f64) -> Result<ResourceUsage, CostError> {
    let w = round_worker(req)?;
    let hours = seconds.max(MINIMUM_SECONDS) / 3600.0;
    Ok(ResourceUsage {
        vcpu_hours: f64::from(w.vcpu) * hours,
        memory_gb_hours: f64::from(w.memory_gb) * hours,
        storage_gb_hours: (f64::from(w.disk_gb) - FREE_STORAGE_GB).max(0.0) * hours,
    })
}

/// Rounds a requested size (memory with overhead) up to the smallest valid
/// EMR Serverless worker that holds it.
pub fn round_worker(req: &WorkerSize) -> Result<ServerlessWorker, CostError> {
    // A fleet asks for a few sizes millions of times (twice a run): the
    // last few answers are kept per thread, keyed by the exact bits.
    type Seen = ([Option<([u64; 3], ServerlessWorker)>; 4], usize);
    thread_local! {
        static SEEN: std::cell::RefCell<Seen> = const { std::cell::RefCell::new(([None; 4], 0)) };
    }
    let key = [
        req.vcpu.to_bits(),
        req.memory_gb.to_bits(),
        req.disk_gb.to_bits(),
    ];
    let hit = SEEN.with_borrow(|(seen, _)| {
        seen.iter()
            .flatten()
            .find(|(k, _)| *k == key)
            .map(|(_, w)| *w)
    });
    if let Some(w) = hit {
        return Ok(w);
    }
    let w = round_worker_uncached(req)?;
    SEEN.with_borrow_mut(|(seen, next)| {
        seen[*next] = Some((key, w));
        *next = (*next + 1) % seen.len();
    });
    Ok(w)
}

fn round_worker_uncached(req: &WorkerSize) -> Result<ServerlessWorker, CostError> {
    let finite = req.vcpu.is_finite() && req.memory_gb.is_finite() && req.disk_gb.is_finite();
    if !(finite && req.vcpu > 0.0 && req.memory_gb > 0.0 && req.disk_gb >= 0.0) {
        return Err(CostError::InvalidShape(format!(
            "worker sizes must be positive numbers (got {} vCPU, {} GB memory, {} GB disk)",
            req.vcpu, req.memory_gb, req.disk_gb
        )));
    }
    let disk = req.disk_gb.ceil().max(f64::from(DISK_MIN_GB));
    if disk > f64::from(DISK_MAX_GB) {
        return Err(CostError::ServerlessDiskTooLarge {
            disk_gb: req.disk_gb,
        });
    }
    for (vcpu, min_mem, max_mem, step) in SIZES {
        if f64::from(vcpu) + 1e-9 < req.vcpu || f64::from(max_mem) + 1e-9 < req.memory_gb {
            continue;
        }
        let above_min = (req.memory_gb - f64::from(min_mem)).max(0.0);
        let steps = (above_min / f64::from(step) - 1e-9).ceil().max(0.0) as u32;
        return Ok(ServerlessWorker {
            vcpu,
            memory_gb: min_mem + steps * step,
            disk_gb: disk as u32,
        });
    }
    Err(CostError::ServerlessWorkerTooLarge {
        vcpu: req.vcpu,
        memory_gb: req.memory_gb,
    })
}

/// Dollars per hour for one worker, storage above the free 20 GB included.
pub fn worker_hour_usd(w: &ServerlessWorker, rate: &ServerlessRate) -> f64 {
    f64::from(w.vcpu) * rate.vcpu_hour_usd
        + f64::from(w.memory_gb) * rate.memory_gb_hour_usd
        + (f64::from(w.disk_gb) - FREE_STORAGE_GB).max(0.0) * rate.storage_gb_hour_usd
}

/// The cost curve of a shape on EMR Serverless: driver plus (average)
/// executors, each rounded to a valid worker, all alive for the run.
pub fn curve(
    shape: &JobShape,
    rate: &ServerlessRate,
    a: &Assumptions,
) -> Result<BillingCurve, CostError> {
    let driver = round_worker(&shape.driver)?;
    let executor = round_worker(&shape.executor)?;
    let hourly =
        worker_hour_usd(&driver, rate) + shape.executors * worker_hour_usd(&executor, rate);
    Ok(BillingCurve {
        usd_per_second: hourly / 3600.0,
        time_scale: a.speed_factor_serverless,
        offset_s: 0.0,
        minimum_s: MINIMUM_SECONDS,
    })
}

/// Which usage figure an actual cost was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageBasis {
    /// `billedResourceUtilization`, as AWS bills it.
    Billed,
    /// `totalResourceUtilization` with the billing rules applied by emrcost:
    /// an estimate, flagged in reports.
    TotalWithRules,
    /// Estimated by emrcost from a Spark event log's executor timeline.
    EventLogEstimate,
    /// Estimated by emrcost for a Glue run: its workers as EMR Serverless
    /// workers of the same Spark sizes, for its execution time.
    GlueEstimate,
    /// Estimated by emrcost for an EMR on EC2 step: the executors its
    /// cluster holds, for the step's runtime (an upper bound: the step may
    /// have used less of the cluster).
    Ec2Estimate,
}

impl UsageBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageBasis::Billed => "billed",
            UsageBasis::TotalWithRules => "total_with_rules",
            UsageBasis::EventLogEstimate => "event_log_estimate",
            UsageBasis::GlueEstimate => "glue_estimate",
            UsageBasis::Ec2Estimate => "ec2_estimate",
        }
    }
}

/// What a job run cost (or was billed) on EMR Serverless.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServerlessCost {
    pub usd: f64,
    pub vcpu_usd: f64,
    pub memory_usd: f64,
    pub storage_usd: f64,
    /// The billed-equivalent usage the dollars were computed from.
    pub usage: ResourceUsage,
    pub basis: UsageBasis,
}

/// Prices billed usage directly.
pub fn price_usage(
    usage: &ResourceUsage,
    rate: &ServerlessRate,
    basis: UsageBasis,
) -> ServerlessCost {
    let vcpu_usd = usage.vcpu_hours * rate.vcpu_hour_usd;
    let memory_usd = usage.memory_gb_hours * rate.memory_gb_hour_usd;
    let storage_usd = usage.storage_gb_hours * rate.storage_gb_hour_usd;
    ServerlessCost {
        usd: vcpu_usd + memory_usd + storage_usd,
        vcpu_usd,
        memory_usd,
        storage_usd,
        usage: *usage,
        basis,
    }
}

/// Turns `totalResourceUtilization` into what AWS would bill: applies the
/// 1-minute minimum per worker and takes off 20 GB of storage per worker.
///
/// `workers` is the (average) number of workers alive over `runtime_s`.
pub fn billed_from_total(total: &ResourceUsage, runtime_s: f64, workers: f64) -> ResourceUsage {
    let scale = if runtime_s > 0.0 && runtime_s < MINIMUM_SECONDS {
        MINIMUM_SECONDS / runtime_s
    } else {
        1.0
    };
    let billed_hours = runtime_s.max(MINIMUM_SECONDS) / 3600.0;
    let free_storage = workers * FREE_STORAGE_GB * billed_hours;
    ResourceUsage {
        vcpu_hours: total.vcpu_hours * scale,
        memory_gb_hours: total.memory_gb_hours * scale,
        storage_gb_hours: (total.storage_gb_hours * scale - free_storage).max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Architecture;
    use crate::pricing::{Confidence, Provenance};

    fn rate_use1() -> ServerlessRate {
        ServerlessRate {
            region: "us-east-1".into(),
            architecture: Architecture::X86_64,
            vcpu_hour_usd: 0.052624,
            memory_gb_hour_usd: 0.0057785,
            storage_gb_hour_usd: 0.000111,
            provenance: Provenance {
                source: "test".into(),
                confidence: Confidence::Generated,
                effective_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            },
        }
    }

    #[test]
    fn rounds_to_valid_worker_sizes() {
        let w = |vcpu, memory_gb, disk_gb| WorkerSize {
            vcpu,
            memory_gb,
            disk_gb,
        };
        // Spark default: 4 cores, 14 GB heap + 10% = 15.4 GB -> 4 vCPU / 16 GB.
        assert_eq!(
            round_worker(&w(4.0, 15.4, 20.0)).unwrap(),
            ServerlessWorker {
                vcpu: 4,
                memory_gb: 16,
                disk_gb: 20
            }
        );
        // 4 vCPU tops out at 30 GB, so 33 GB needs an 8 vCPU worker in 4 GB steps.
        assert_eq!(
            round_worker(&w(4.0, 33.0, 20.0)).unwrap(),
            ServerlessWorker {
                vcpu: 8,
                memory_gb: 36,
                disk_gb: 20
            }
        );
        // 3 cores round up to 4; memory below the minimum rises to 8 GB.
        assert_eq!(
            round_worker(&w(3.0, 2.0, 5.0)).unwrap(),
            ServerlessWorker {
                vcpu: 4,
                memory_gb: 8,
                disk_gb: 20
            }
        );
        assert_eq!(
            round_worker(&w(16.0, 100.0, 150.0)).unwrap(),
            ServerlessWorker {
                vcpu: 16,
                memory_gb: 104,
                disk_gb: 150
            }
        );
        assert!(matches!(
            round_worker(&w(16.0, 121.0, 20.0)),
            Err(CostError::ServerlessWorkerTooLarge { .. })
        ));
        assert!(matches!(
            round_worker(&w(4.0, 16.0, 500.0)),
            Err(CostError::ServerlessDiskTooLarge { .. })
        ));
    }

    /// The answers kept per thread are the sizes' own: six sizes asked for
    /// in turn (more than are kept) and again in reverse, each still
    /// rounds as worked out by hand, and a refused size stays refused.
    #[test]
    fn remembered_sizes_round_as_when_first_asked() {
        let w = |vcpu, memory_gb, disk_gb| WorkerSize {
            vcpu,
            memory_gb,
            disk_gb,
        };
        let sw = |vcpu, memory_gb, disk_gb| ServerlessWorker {
            vcpu,
            memory_gb,
            disk_gb,
        };
        let cases = [
            (w(4.0, 15.4, 20.0), sw(4, 16, 20)),
            (w(4.0, 33.0, 20.0), sw(8, 36, 20)),
            (w(3.0, 2.0, 5.0), sw(4, 8, 20)),
            (w(16.0, 100.0, 150.0), sw(16, 104, 150)),
            (w(1.0, 2.0, 20.0), sw(1, 2, 20)),
            (w(2.0, 7.5, 21.5), sw(2, 8, 22)),
        ];
        for _ in 0..3 {
            for (req, want) in cases.iter().chain(cases.iter().rev()) {
                assert_eq!(round_worker(req).unwrap(), *want, "{req:?}");
                assert!(round_worker(&w(16.0, 121.0, 20.0)).is_err());
            }
        }
    }

    /// FACTS.md section 9: a 4 vCPU / 16 GB worker for one hour costs
    /// $0.302952 on EMR Serverless x86 in us-east-1.
    #[test]
    fn four_vcpu_sixteen_gb_worker_hour() {
        let w = ServerlessWorker {
            vcpu: 4,
            memory_gb: 16,
            disk_gb: 20,
        };
        let usd = worker_hour_usd(&w, &rate_use1());
        assert_eq!(format!("{usd:.6}"), "0.302952");
        // ... against $0.44 for a Glue G.1X DPU-hour: ratio 1.452.
        assert_eq!(format!("{:.3}", 0.44 / usd), "1.452");
    }

    /// FACTS.md section 9, EMR Serverless Estimator README: 79705
    /// core-seconds and 146901918 MB-seconds at us-east-1 x86 rates.
    #[test]
    fn estimator_readme_example() {
        let usage = ResourceUsage {
            vcpu_hours: 79705.0 / 3600.0,
            memory_gb_hours: 146_901_918.0 / 1024.0 / 3600.0,
            storage_gb_hours: 0.0,
        };
        assert_eq!(format!("{:.4}", usage.vcpu_hours), "22.1403");
        assert_eq!(format!("{:.4}", usage.memory_gb_hours), "39.8497");
        let c = price_usage(&usage, &rate_use1(), UsageBasis::Billed);
        assert_eq!(format!("{:.5}", c.vcpu_usd), "1.16511");
        assert_eq!(format!("{:.6}", c.memory_usd), "0.230271");
    }

    #[test]
    fn total_usage_gets_minimum_and_free_storage() {
        // 2 workers x 4 vCPU for 30 s: raw 240 vCPU-s; billed as 60 s each.
        let total = ResourceUsage {
            vcpu_hours: 240.0 / 3600.0,
            memory_gb_hours: 960.0 / 3600.0,
            storage_gb_hours: 2.0 * 30.0 * 30.0 / 3600.0,
        };
        let billed = billed_from_total(&total, 30.0, 2.0);
        assert!((billed.vcpu_hours - 480.0 / 3600.0).abs() < 1e-12);
        assert!((billed.memory_gb_hours - 1920.0 / 3600.0).abs() < 1e-12);
        // 30 GB disks for 60 s billed, 20 GB each free: 2 x 10 GB x 60 s.
        assert!((billed.storage_gb_hours - 2.0 * 10.0 * 60.0 / 3600.0).abs() < 1e-12);
    }
}
