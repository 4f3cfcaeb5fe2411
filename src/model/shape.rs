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
    /// vCPU-hours / runtime: the average number of executors. Peak concurrency
    /// is unknown until CloudWatch metrics are collected.
    AverageFromUsage,
    /// Nothing to go on but the configured maximum executors.
    ConfiguredMaximum,
    /// The most executors alive at once, from a Spark event log's timeline.
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

/// A Spark job's resources: one driver plus `executors` executors of one size,
/// all alive for the whole run.
///
/// `executors` is fractional when it is an average derived from usage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JobShape {
    pub driver: WorkerSize,
    pub executor: WorkerSize,
    pub executors: f64,
    pub basis: ShapeBasis,
}

impl JobShape {
    /// Executors to provision on fixed-size capacity (EC2 nodes, Glue workers):
    /// the average rounded up, at least one.
    pub fn provisioned_executors(&self) -> u32 {
        // A tiny epsilon keeps 3.0000000001 (float noise from hours/seconds) at 3.
        let n = (self.executors - 1e-9).ceil();
        n.clamp(1.0, f64::from(u32::MAX - 1)) as u32
    }
}
