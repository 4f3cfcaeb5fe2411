//! AWS Glue (Spark ETL jobs): workers of one type, the driver's included in
//! the count, billed per DPU-hour by the second after a minimum that depends
//! on the Glue version.
//!
//! A job's executors become Glue workers by **capacity** ([`GlueMapping`]):
//! Glue runs one executor per G worker (FACTS.md section 12, AWS) with its
//! own heap, so what must match is the executors' total vCPU and memory,
//! not their count. The cheapest worker type and count that hold them, plus
//! one worker that holds the driver, is the plan. Under auto scaling
//! ([`GlueSizing::AutoScaling`]) the bill follows the executors alive.

use std::sync::Arc;

use serde::Serialize;

use super::{Assumptions, BillingCurve, CostError, GlueMapping, GlueSizing};
use crate::model::{JobShape, WorkerSize};
use crate::pricing::{GlueClass, GlueWorker, PriceBook};

/// Glue needs at least two workers (one driver, one executor).
pub const MINIMUM_WORKERS: u32 = 2;

/// The Glue configuration chosen for one job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GluePlan {
    pub worker_type: Arc<str>,
    /// `NumberOfWorkers`: the driver's worker and enough for the peak.
    pub workers: u32,
    /// DPU billed over the run: `workers` x the type's DPU at peak sizing;
    /// the driver's worker and the average executors' share under auto scaling.
    pub dpu: f64,
    pub minimum_seconds: f64,
    pub standard_dpu_hour_usd: f64,
    /// `None` when the Glue version has no Flex or the region has no Flex price.
    pub flex_dpu_hour_usd: Option<f64>,
}

impl GluePlan {
    fn curve_at(&self, dpu_hour: f64, a: &Assumptions) -> BillingCurve {
        BillingCurve {
            usd_per_second: self.dpu * dpu_hour / 3600.0,
            time_scale: a.speed_factor_glue,
            offset_s: 0.0,
            minimum_s: self.minimum_seconds,
        }
    }

    pub fn curve(&self, class: GlueClass, a: &Assumptions) -> Option<BillingCurve> {
        match class {
            GlueClass::Standard => Some(self.curve_at(self.standard_dpu_hour_usd, a)),
            GlueClass::Flex => self.flex_dpu_hour_usd.map(|p| self.curve_at(p, a)),
        }
    }
}

/// One batch worker type with the memory Glue gives its Spark process.
#[derive(Debug, Clone)]
struct WorkerOption {
    name: Arc<str>,
    worker: GlueWorker,
    /// Heap plus overhead of the executor (or driver) on one worker, GB.
    process_gb: f64,
}

/// Glue worker types and prices for one region, looked up once.
#[derive(Debug, Clone)]
pub struct GlueCatalog {
    /// Batch-capable worker types, smallest first.
    workers: Vec<WorkerOption>,
    standard: f64,
    flex: Option<f64>,
    /// The region's Flex rate whatever the assumed version: a Glue run's
    /// own cost when it ran Flex.
    flex_rate: Option<f64>,
    minimum_seconds: f64,
    mapping: GlueMapping,
    sizing: GlueSizing,
}

impl GlueCatalog {
    pub fn build(
        book: &PriceBook,
        region: &str,
        a: &Assumptions,
    ) -> Result<GlueCatalog, CostError> {
        let standard = book.glue_rate(region, GlueClass::Standard)?.dpu_hour_usd;
        let flex = if a.glue_version.has_flex() {
            book.glue_rate(region, GlueClass::Flex)
                .ok()
                .map(|r| r.dpu_hour_usd)
        } else {
            None
        };
        Ok(GlueCatalog {
            workers: book
                .glue_workers
                .iter()
                .filter(|w| w.batch)
                .map(|w| WorkerOption {
                    name: Arc::from(w.name.as_str()),
                    worker: w.clone(),
                    process_gb: a.with_overhead_gb(a.glue_heap_gb_per_dpu * w.dpu),
                })
                .collect(),
            standard,
            flex,
            flex_rate: book
                .glue_rate(region, GlueClass::Flex)
                .ok()
                .map(|r| r.dpu_hour_usd),
            minimum_seconds: a.glue_version.minimum_seconds(),
            mapping: a.glue_mapping,
            sizing: a.glue_sizing,
        })
    }

    /// What a Glue run cost: the DPU-seconds Glue bills (`DPUSeconds`, else
    /// DPU x execution time after the version's minimum) at its class's
    /// rate in the region; `None` for Flex where the book has no Flex rate.
    pub fn actual_usd(&self, g: &crate::model::GlueUse, execution_s: f64) -> Option<f64> {
        let rate = if g.flex {
            self.flex_rate?
        } else {
            self.standard
        };
        Some(g.billed_dpu_seconds(execution_s) / 3600.0 * rate)
    }

    /// The cheapest plan for the shape under the mapping and sizing policy.
    pub fn plan(&self, shape: &JobShape) -> Result<GluePlan, CostError> {
        let (option, workers, dpu) = match self.mapping {
            GlueMapping::PerExecutor => self.per_executor(shape)?,
            GlueMapping::Capacity => self.by_capacity(shape)?,
        };
        Ok(GluePlan {
            worker_type: Arc::clone(&option.name),
            workers,
            dpu,
            minimum_seconds: self.minimum_seconds,
            standard_dpu_hour_usd: self.standard,
            flex_dpu_hour_usd: self.flex,
        })
    }

    /// Executor workers of type `w` that hold `executors` executors' vCPU
    /// and memory (fractional: the capacity share).
    fn capacity_share(w: &WorkerOption, executor: &WorkerSize, executors: f64) -> f64 {
        (executors * executor.vcpu / w.worker.vcpu)
            .max(executors * executor.memory_gb / w.process_gb)
    }

    fn by_capacity(&self, shape: &JobShape) -> Result<(&WorkerOption, u32, f64), CostError> {
        let mut best: Option<(&WorkerOption, u32, f64)> = None;
        for w in &self.workers {
            let holds_driver = w.worker.vcpu + 1e-9 >= shape.driver.vcpu
                && w.process_gb + 1e-9 >= shape.driver.memory_gb;
            if !holds_driver {
                continue;
            }
            // Whole executors are what a fixed worker count must hold.
            let executors = f64::from(shape.provisioned_executors());
            let peak = Self::capacity_share(w, &shape.executor, executors);
            let executor_workers = whole(peak).max(1);
            let workers = executor_workers.saturating_add(1).max(MINIMUM_WORKERS);
            let billed = match self.sizing {
                GlueSizing::Peak => f64::from(workers),
                GlueSizing::AutoScaling => {
                    let average = Self::capacity_share(w, &shape.executor, shape.executors);
                    1.0 + average.clamp(1.0, f64::from(executor_workers))
                }
            };
            let dpu = billed * w.worker.dpu;
            if best.is_none_or(|(_, _, d)| dpu < d - 1e-9) {
                best = Some((w, workers, dpu));
            }
        }
        best.ok_or(CostError::NoGlueWorkerFits {
            vcpu: shape.driver.vcpu,
            memory_gb: shape.driver.memory_gb,
        })
    }

    /// The old mapping: the smallest type whose worker (not its executor
    /// heap) holds one executor; one worker per executor plus the driver.
    fn per_executor(&self, shape: &JobShape) -> Result<(&WorkerOption, u32, f64), CostError> {
        let executor = &shape.executor;
        let w = self
            .workers
            .iter()
            .find(|w| {
                w.worker.vcpu + 1e-9 >= executor.vcpu
                    && w.worker.memory_gb + 1e-9 >= executor.memory_gb
            })
            .ok_or(CostError::NoGlueWorkerFits {
                vcpu: executor.vcpu,
                memory_gb: executor.memory_gb,
            })?;
        let workers = shape
            .provisioned_executors()
            .saturating_add(1)
            .max(MINIMUM_WORKERS);
        let billed = match self.sizing {
            GlueSizing::Peak => f64::from(workers),
            GlueSizing::AutoScaling => 1.0 + shape.executors.clamp(1.0, f64::from(workers - 1)),
        };
        Ok((w, workers, billed * w.worker.dpu))
    }
}

/// A fractional count rounded up, float noise aside.
fn whole(n: f64) -> u32 {
    let n = (n - 1e-9).ceil();
    if n.is_nan() {
        return 1;
    }
    n.clamp(0.0, f64::from(u32::MAX - 2)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ShapeBasis;

    fn shape(executors: f64, vcpu: f64, memory_gb: f64) -> JobShape {
        let w = WorkerSize {
            vcpu,
            memory_gb,
            disk_gb: 20.0,
        };
        JobShape::steady(w, w, executors, ShapeBasis::Declared)
    }

    fn sized(executors: f64, executor: (f64, f64), driver: (f64, f64)) -> JobShape {
        let w = |(vcpu, memory_gb)| WorkerSize {
            vcpu,
            memory_gb,
            disk_gb: 20.0,
        };
        JobShape::steady(w(driver), w(executor), executors, ShapeBasis::Declared)
    }

    fn plan_of(p: &GluePlan) -> (&str, u32, f64) {
        (&p.worker_type, p.workers, p.dpu)
    }

    /// FACTS.md section 9, Glue pricing page: 6 DPU for 15 minutes at $0.44
    /// is $0.66. (The circulating "10 DPU for 15 minutes = $0.66" is wrong:
    /// that job costs $1.10.)
    #[test]
    fn glue_pricing_page_example() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        // 5 executors of 4 vCPU and 11 GB (10 GB heap + 1 GB overhead: what
        // Glue gives a G.1X executor) + the driver's worker = 6 G.1X = 6 DPU.
        let plan = cat.plan(&sized(5.0, (4.0, 11.0), (4.0, 11.0))).unwrap();
        assert_eq!(plan_of(&plan), ("G.1X", 6, 6.0));
        let usd = plan
            .curve(GlueClass::Standard, &a)
            .unwrap()
            .cost_usd(15.0 * 60.0);
        assert_eq!(format!("{usd:.2}"), "0.66");
        let ten = cat.plan(&sized(9.0, (4.0, 11.0), (4.0, 11.0))).unwrap();
        let usd = ten.curve(GlueClass::Standard, &a).unwrap().cost_usd(900.0);
        assert_eq!(format!("{usd:.2}"), "1.10");
    }

    /// Issue 12: 20 executors of 1 vCPU (2 GB heap, 2.375 GB with the
    /// 384 MiB overhead floor) hold 20 vCPU and 47.5 GB. G.1X executors
    /// hold 4 vCPU and 11 GB each: max(20/4, 47.5/11 = 4.3) = 5 workers,
    /// plus the driver's = 6 G.1X, not the 21 of one worker per executor.
    #[test]
    fn small_executors_share_workers_by_capacity() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        let shape = sized(
            20.0,
            (1.0, a.with_overhead_gb(2.0)),
            (4.0, a.with_overhead_gb(8.0)),
        );
        assert_eq!(plan_of(&cat.plan(&shape).unwrap()), ("G.1X", 6, 6.0));
        let old = Assumptions {
            glue_mapping: GlueMapping::PerExecutor,
            ..Assumptions::default()
        };
        let cat = GlueCatalog::build(&book, "us-east-1", &old).unwrap();
        assert_eq!(plan_of(&cat.plan(&shape).unwrap()), ("G.1X", 21, 21.0));
    }

    /// Issue 12: a 100 GB driver (110 GB with overhead) needs a worker whose
    /// process gets at least that: G.8X gives 80 + 8 = 88 GB, G.12X
    /// 120 + 12 = 132 GB. Four default executors (4 vCPU, 15.4 GB) fit in
    /// one G.12X executor: 2 workers x 12 DPU.
    #[test]
    fn the_driver_sizes_the_worker_type() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        let shape = sized(4.0, (4.0, 15.4), (4.0, a.with_overhead_gb(100.0)));
        assert_eq!(plan_of(&cat.plan(&shape).unwrap()), ("G.12X", 2, 24.0));
        // The default 14 GB driver (15.4 GB) does not fit G.1X's 11 GB:
        // G.2X (22 GB), executors max(16/8, 61.6/22 = 2.8) = 3, + 1.
        let shape = sized(4.0, (4.0, 15.4), (4.0, 15.4));
        assert_eq!(plan_of(&cat.plan(&shape).unwrap()), ("G.2X", 4, 8.0));
        // No worker holds a 300 GB driver.
        let shape = sized(1.0, (4.0, 15.4), (4.0, 300.0));
        assert!(cat.plan(&shape).is_err());
    }

    /// Auto scaling bills the driver's worker and the executors' average
    /// capacity: 6 peak executors averaging 3 (4 vCPU, 11 GB) on G.1X:
    /// 1 + 3 = 4 DPU billed, with 7 workers configured.
    #[test]
    fn auto_scaling_bills_the_average() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            glue_sizing: GlueSizing::AutoScaling,
            ..Assumptions::default()
        };
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        let shape = JobShape {
            peak_executors: 6.0,
            ..sized(3.0, (4.0, 11.0), (4.0, 11.0))
        };
        assert_eq!(plan_of(&cat.plan(&shape).unwrap()), ("G.1X", 7, 4.0));
        let peak = GlueCatalog::build(&book, "us-east-1", &Assumptions::default()).unwrap();
        assert_eq!(plan_of(&peak.plan(&shape).unwrap()), ("G.1X", 7, 7.0));
    }

    #[test]
    fn minimums_follow_version() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        // One executor still needs two workers.
        assert_eq!(cat.plan(&shape(0.2, 4.0, 11.0)).unwrap().workers, 2);

        let old = Assumptions {
            glue_version: "1.0".parse().unwrap(),
            ..Assumptions::default()
        };
        let cat = GlueCatalog::build(&book, "us-east-1", &old).unwrap();
        let plan = cat.plan(&shape(1.0, 4.0, 11.0)).unwrap();
        assert_eq!(plan.minimum_seconds, 600.0);
        assert!(plan.flex_dpu_hour_usd.is_none(), "no Flex before Glue 3.0");
        // 2 DPU for 30 s on Glue 1.0 is billed as 10 minutes.
        let usd = plan
            .curve(GlueClass::Standard, &old)
            .unwrap()
            .cost_usd(30.0);
        assert!((usd - 2.0 * 0.44 / 6.0).abs() < 1e-12);
    }
}
