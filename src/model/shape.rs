//! Resource shapes: the size of one worker and how many of them a job used.

use serde::{Deserialize, Serialize};

/// What one Spark process asks for: vCPU, memory (GB, overhead included) and
/// local disk (GB).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorkerSize {
    pub vcpu: f64,
    pub memory_gb: f64,
    pub disk_gb: f64,
}

/// How the executor count of a [`JobShape`] was obtained. Reports print it,
/// because an average understates the peak that EC2 and Glue must provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeBasis {
    /// Given explicitly (command line, `spark.executor.instances`).
    Declared,
    /// vCPU-hours / runtime: the average number of executors. The peak is
    /// estimated (average x peak factor).
    AverageFromUsage,
    /// Nothing to go on but the configured maximum executors.
    ConfiguredMaximum,
    /// The peak is measured (CloudWatch metrics, a Spark event log's
    /// timeline); the average comes from usage where there is some.
    Peak,
}

impl ShapeBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            ShapeBasis::Declared => "declared",
            ShapeBasis::AverageFromUsage => "average_from_usage",
            ShapeBasis::ConfiguredMaximum => "configured_maximum",
            ShapeBasis::Peak => "peak",
        }
    }
}

/// A Spark job's resources: one driver plus executors of one size.
///
/// `executors` is how many are alive on average over the run (what EMR
/// Serverless bills; fractional when derived from usage). `peak_executors`
/// is how many are alive at once at most: what a fixed cluster or a fixed
/// Glue worker count must hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JobShape {
    pub driver: WorkerSize,
    pub executor: WorkerSize,
    pub executors: f64,
    pub basis: ShapeBasis,
    pub peak_executors: f64,
    /// True when `peak_executors` is the average times a peak factor, not
    /// a measured or declared figure.
    pub peak_estimated: bool,
}

impl JobShape {
    /// A shape whose peak is its executor count (declared, or all alive
    /// for the whole run).
    pub fn steady(
        driver: WorkerSize,
        executor: WorkerSize,
        executors: f64,
        basis: ShapeBasis,
    ) -> JobShape {
        JobShape {
            driver,
            executor,
            executors,
            basis,
            peak_executors: executors,
            peak_estimated: false,
        }
    }

    /// The same job with its peak taken to be its average: the low end of
    /// the range where the peak is estimated.
    pub fn at_average(&self) -> JobShape {
        JobShape {
            peak_executors: self.executors,
            peak_estimated: false,
            ..*self
        }
    }

    /// Executors to provision on fixed-size capacity (EC2 nodes, Glue
    /// workers): the peak rounded up, at least one.
    pub fn provisioned_executors(&self) -> u32 {
        whole(self.peak_executors)
    }

    /// The average executor count rounded up, at least one.
    pub fn average_executors_whole(&self) -> u32 {
        whole(self.executors)
    }
}

fn whole(n: f64) -> u32 {
    // A tiny epsilon keeps 3.0000000001 (float noise from hours/seconds) at 3.
    let n = (n - 1e-9).ceil();
    if n.is_nan() {
        return 1;
    }
    n.clamp(1.0, f64::from(u32::MAX - 1)) as u32
}
