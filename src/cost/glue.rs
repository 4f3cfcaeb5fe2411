//! AWS Glue (Spark ETL jobs): workers of one type, the driver included in
//! the count, billed per DPU-hour by the second after a minimum that depends
//! on the Glue version.

use std::sync::Arc;

use serde::Serialize;

use super::{Assumptions, BillingCurve, CostError};
use crate::model::{JobShape, WorkerSize};
use crate::pricing::{GlueClass, GlueWorker, PriceBook};

/// Glue needs at least two workers (one driver, one executor).
pub const MINIMUM_WORKERS: u32 = 2;

/// The Glue configuration chosen for one job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GluePlan {
    pub worker_type: Arc<str>,
    pub workers: u32,
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

/// Glue worker types and prices for one region, looked up once.
#[derive(Debug, Clone)]
pub struct GlueCatalog {
    /// Batch-capable worker types, smallest first, with their shared names.
    workers: Vec<(Arc<str>, GlueWorker)>,
    standard: f64,
    flex: Option<f64>,
    minimum_seconds: f64,
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
                .map(|w| (Arc::from(w.name.as_str()), w.clone()))
                .collect(),
            standard,
            flex,
            minimum_seconds: a.glue_version.minimum_seconds(),
        })
    }

    /// Smallest worker type that holds one executor; executors + driver workers.
    pub fn plan(&self, shape: &JobShape) -> Result<GluePlan, CostError> {
        let (name, worker) = self.fit(&shape.executor)?;
        let workers = shape
            .provisioned_executors()
            .saturating_add(1)
            .max(MINIMUM_WORKERS);
        Ok(GluePlan {
            worker_type: Arc::clone(name),
            workers,
            dpu: f64::from(workers) * worker.dpu,
            minimum_seconds: self.minimum_seconds,
            standard_dpu_hour_usd: self.standard,
            flex_dpu_hour_usd: self.flex,
        })
    }

    fn fit(&self, executor: &WorkerSize) -> Result<&(Arc<str>, GlueWorker), CostError> {
        self.workers
            .iter()
            .find(|(_, w)| {
                w.vcpu + 1e-9 >= executor.vcpu && w.memory_gb + 1e-9 >= executor.memory_gb
            })
            .ok_or(CostError::NoGlueWorkerFits {
                vcpu: executor.vcpu,
                memory_gb: executor.memory_gb,
            })
    }
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
        JobShape {
            driver: w,
            executor: w,
            executors,
            basis: ShapeBasis::Declared,
        }
    }

    /// FACTS.md section 9, Glue pricing page: 6 DPU for 15 minutes at $0.44
    /// is $0.66. (The circulating "10 DPU for 15 minutes = $0.66" is wrong:
    /// that job costs $1.10.)
    #[test]
    fn glue_pricing_page_example() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        // 5 executors that fit G.1X + the driver = 6 G.1X workers = 6 DPU.
        let plan = cat.plan(&shape(5.0, 4.0, 15.4)).unwrap();
        assert_eq!(
            (&*plan.worker_type, plan.workers, plan.dpu),
            ("G.1X", 6, 6.0)
        );
        let usd = plan
            .curve(GlueClass::Standard, &a)
            .unwrap()
            .cost_usd(15.0 * 60.0);
        assert_eq!(format!("{usd:.2}"), "0.66");
        let ten = cat.plan(&shape(9.0, 4.0, 15.4)).unwrap();
        let usd = ten.curve(GlueClass::Standard, &a).unwrap().cost_usd(900.0);
        assert_eq!(format!("{usd:.2}"), "1.10");
    }

    #[test]
    fn worker_type_fits_the_executor_and_minimums_follow_version() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = GlueCatalog::build(&book, "us-east-1", &a).unwrap();
        assert_eq!(
            &*cat.plan(&shape(2.0, 8.0, 30.0)).unwrap().worker_type,
            "G.2X"
        );
        assert_eq!(
            &*cat.plan(&shape(2.0, 4.0, 17.0)).unwrap().worker_type,
            "G.2X"
        );
        // One executor still needs two workers.
        assert_eq!(cat.plan(&shape(0.2, 4.0, 15.4)).unwrap().workers, 2);
        assert!(cat.plan(&shape(1.0, 4.0, 300.0)).is_err());

        let old = Assumptions {
            glue_version: "1.0".parse().unwrap(),
            ..Assumptions::default()
        };
        let cat = GlueCatalog::build(&book, "us-east-1", &old).unwrap();
        let plan = cat.plan(&shape(1.0, 4.0, 15.4)).unwrap();
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
