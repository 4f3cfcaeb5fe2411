//! Every modelling choice that is not a price: a named setting with a default
//! and the reason for that default. Reports print all of them.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::model::WorkerSize;

/// Which instance type EMR on EC2 core nodes use.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceChoice {
    /// The cheapest type in the region that fits at least one executor.
    Auto,
    Fixed(String),
}

impl fmt::Display for InstanceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceChoice::Auto => f.write_str("auto"),
            InstanceChoice::Fixed(t) => f.write_str(t),
        }
    }
}

impl FromStr for InstanceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("instance type is empty: use auto or a type such as m5.xlarge".into());
        }
        Ok(if s.eq_ignore_ascii_case("auto") {
            InstanceChoice::Auto
        } else {
            InstanceChoice::Fixed(s.to_string())
        })
    }
}

/// A two-way choice named on the command line, printed in every output.
macro_rules! named_choice {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("'{other}' is not one of {}", $name::NAMES.join(", "))),
                }
            }
        }
    };
}

named_choice! {
    /// How an EMR on EC2 cluster is sized for a job.
    Ec2Sizing {
        /// Enough core nodes for the job's peak executors, for the whole run.
        Peak => "peak",
        /// Managed scaling: the nodes the job uses on average, plus the
        /// burst nodes' start-up and scale-in lag.
        ManagedScaling => "managed-scaling",
    }
}

named_choice! {
    /// How Glue workers are billed for a job.
    GlueSizing {
        /// `NumberOfWorkers` holds the peak for the whole run.
        Peak => "peak",
        /// Auto scaling (Glue 3.0+): `DPUSeconds`, the executors' lifetime,
        /// so the average executor capacity plus the driver's worker.
        AutoScaling => "auto-scaling",
    }
}

named_choice! {
    /// Which instance architectures EMR on EC2 may use for a job.
    Ec2Arch {
        /// Like for like: x86_64 jobs on x86_64 types, arm64 on Graviton.
        Same => "same",
        /// Any type in the price book (the move to Graviton included).
        Any => "any",
    }
}

named_choice! {
    /// How a job's executors become Glue workers.
    GlueMapping {
        /// The fewest workers of the cheapest type that hold the executors'
        /// total vCPU and memory, plus a driver worker that holds the driver.
        Capacity => "capacity",
        /// One worker per executor plus one for the driver (emrcost before 0.2).
        PerExecutor => "per-executor",
    }
}

/// Where the peak-to-average executor factor came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PeakFactorBasis {
    /// `--peak-factor`.
    Flag,
    /// The median peak / average of the input's runs that have a measured
    /// peak (CloudWatch metrics or a Spark event log).
    Measured { runs: usize },
    /// Nothing measured: the documented default.
    Default,
}

/// A Glue version, which sets the billing minimum and whether Flex exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GlueVersion {
    pub major: u8,
    pub minor: u8,
}

impl GlueVersion {
    /// Billing minimum: 10 minutes on Glue 0.9 and 1.0, 1 minute from 2.0 on
    /// (FACTS.md section 4).
    pub fn minimum_seconds(self) -> f64 {
        if self.major < 2 {
            600.0
        } else {
            60.0
        }
    }

    /// Flex applies to Glue 3.0 and later (FACTS.md section 4, AWS).
    pub fn has_flex(self) -> bool {
        self.major >= 3
    }
}

impl fmt::Display for GlueVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for GlueVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("unknown Glue version '{s}': use 0.9, 1.0, 2.0, 3.0, 4.0 or 5.0");
        let (major, minor) = s.trim().split_once('.').ok_or_else(err)?;
        let v = GlueVersion {
            major: major.parse().map_err(|_| err())?,
            minor: minor.parse().map_err(|_| err())?,
        };
        let known = [(0, 9), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)];
        if known.contains(&(v.major, v.minor)) {
            Ok(v)
        } else {
            Err(err())
        }
    }
}

/// Seconds a new EKS node bills before pods run on it (see `lines`).
pub const DEFAULT_EKS_NODE_PROVISIONING_SECONDS: f64 = 90.0;
/// Peak over average executors when nothing measured says otherwise.
pub const DEFAULT_PEAK_FACTOR: f64 = 1.5;
/// Seconds from step end to instance termination (see `lines`).
pub const DEFAULT_TEARDOWN_SECONDS: f64 = 60.0;
/// Seconds an idle node keeps billing under managed scaling (see `lines`).
pub const DEFAULT_SCALE_IN_LAG_SECONDS: f64 = 75.0;

/// The settings behind every estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    /// Seconds from cluster request to a running step, billed on every node.
    pub ec2_provisioning_seconds: f64,
    /// Seconds from the end of the step to the instances' termination,
    /// billed on every node of a transient cluster.
    pub ec2_teardown_seconds: f64,
    pub ec2_instance: InstanceChoice,
    /// Primary node of the transient cluster; the driver runs here (client
    /// mode). `Auto`: the smallest type of the core nodes' family that holds
    /// the driver.
    pub ec2_primary_instance: InstanceChoice,
    pub ec2_sizing: Ec2Sizing,
    /// Under managed scaling, seconds a node that is no longer needed keeps
    /// billing before it is released.
    pub ec2_scale_in_lag_seconds: f64,
    pub ec2_arch: Ec2Arch,
    /// EMR on EKS: seconds a new node bills before the job's pods start on
    /// it (launch, join the cluster, pull the image).
    pub eks_node_provisioning_seconds: f64,
    pub glue_sizing: GlueSizing,
    pub glue_mapping: GlueMapping,
    /// Heap Glue gives the executor (and the driver) on a worker, per DPU.
    pub glue_heap_gb_per_dpu: f64,
    /// Peak executors over average executors, for runs whose peak is not
    /// measured.
    pub peak_factor: f64,
    pub peak_factor_basis: PeakFactorBasis,
    /// Fraction off the EC2 part of core-node prices on Spot (e.g. 0.6). The
    /// EMR uplift and the primary node stay on-demand.
    pub ec2_spot_discount: Option<f64>,
    /// Fraction off the EC2 part of on-demand instances (Savings Plans,
    /// Reserved Instances). Not Spot, not the EMR uplift, not EBS.
    pub ec2_discount: f64,
    /// Fraction off every charge (an enterprise discount): applied to the
    /// price book itself (`PriceBook::with_edp_discount`).
    pub edp_discount: f64,
    pub ec2_ebs_volume_type: String,
    /// Hours in the month used to turn EBS GB-month prices into hourly ones.
    pub hours_per_month: f64,
    pub speed_factor_serverless: f64,
    pub speed_factor_ec2: f64,
    pub speed_factor_glue: f64,
    /// Spark `memoryOverheadFactor`, added to executor and driver memory.
    pub memory_overhead_factor: f64,
    /// Spark's floor for the overhead, in GB (384 MiB).
    pub memory_overhead_min_gb: f64,
    pub glue_version: GlueVersion,
    /// Executor size when a record does not say (`spark.executor.*`).
    pub default_executor: WorkerSize,
    /// Driver size when a record does not say.
    pub default_driver: WorkerSize,
}

impl Default for Assumptions {
    fn default() -> Self {
        // EMR Serverless Spark defaults: 4 cores, 14 GB heap, 20 GB disk for
        // both driver and executors (FACTS.md section 2).
        let spark_default = WorkerSize {
            vcpu: 4.0,
            memory_gb: 14.0,
            disk_gb: 20.0,
        };
        Assumptions {
            ec2_provisioning_seconds: 210.0,
            ec2_teardown_seconds: DEFAULT_TEARDOWN_SECONDS,
            ec2_instance: InstanceChoice::Auto,
            ec2_primary_instance: InstanceChoice::Auto,
            ec2_sizing: Ec2Sizing::Peak,
            ec2_scale_in_lag_seconds: DEFAULT_SCALE_IN_LAG_SECONDS,
            ec2_arch: Ec2Arch::Same,
            eks_node_provisioning_seconds: DEFAULT_EKS_NODE_PROVISIONING_SECONDS,
            glue_sizing: GlueSizing::Peak,
            glue_mapping: GlueMapping::Capacity,
            glue_heap_gb_per_dpu: 10.0,
            peak_factor: DEFAULT_PEAK_FACTOR,
            peak_factor_basis: PeakFactorBasis::Default,
            ec2_spot_discount: None,
            ec2_discount: 0.0,
            edp_discount: 0.0,
            ec2_ebs_volume_type: "gp3".to_string(),
            hours_per_month: 730.0,
            speed_factor_serverless: 1.0,
            speed_factor_ec2: 1.0,
            speed_factor_glue: 1.0,
            memory_overhead_factor: 0.1,
            memory_overhead_min_gb: 0.375,
            glue_version: GlueVersion { major: 4, minor: 0 },
            default_executor: spark_default,
            default_driver: spark_default,
        }
    }
}

/// One printed assumption: its setting name, value and where the default comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssumptionLine {
    pub name: &'static str,
    pub value: String,
    pub basis: &'static str,
}

impl Assumptions {
    /// Rejects values that would make nonsense of the arithmetic, naming the flag.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("--speed-serverless", self.speed_factor_serverless),
            ("--speed-ec2", self.speed_factor_ec2),
            ("--speed-glue", self.speed_factor_glue),
            ("--hours-per-month", self.hours_per_month),
        ];
        for (flag, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{flag} must be a number above zero, not {v}"));
            }
        }
        // A speed factor scales runtimes; past 1000x either way it is a typo.
        for (flag, v) in &positive[..3] {
            if !(1e-3..=1e3).contains(v) {
                return Err(format!("{flag} must be between 0.001 and 1000, not {v}"));
            }
        }
        if !(24.0..=744.0).contains(&self.hours_per_month) {
            return Err(format!(
                "--hours-per-month must be between 24 and 744 (31 days), not {}",
                self.hours_per_month
            ));
        }
        if !(self.ec2_provisioning_seconds.is_finite()
            && (0.0..=crate::model::limits::MAX_PROVISIONING_SECONDS)
                .contains(&self.ec2_provisioning_seconds))
        {
            return Err(format!(
                "--provisioning-seconds must be between 0 and {} (a day), not {}",
                crate::model::limits::MAX_PROVISIONING_SECONDS,
                self.ec2_provisioning_seconds
            ));
        }
        for (flag, v) in [
            ("--teardown-seconds", self.ec2_teardown_seconds),
            ("--scale-in-lag-seconds", self.ec2_scale_in_lag_seconds),
            (
                "--eks-node-provisioning-seconds",
                self.eks_node_provisioning_seconds,
            ),
        ] {
            if !(v.is_finite()
                && (0.0..=crate::model::limits::MAX_PROVISIONING_SECONDS).contains(&v))
            {
                return Err(format!(
                    "{flag} must be between 0 and {} (a day), not {v}",
                    crate::model::limits::MAX_PROVISIONING_SECONDS
                ));
            }
        }
        if !(self.peak_factor.is_finite() && (1.0..=100.0).contains(&self.peak_factor)) {
            return Err(format!(
                "--peak-factor is the peak executor count over the average, between 1 and 100, not {}",
                self.peak_factor
            ));
        }
        if self.glue_sizing == GlueSizing::AutoScaling && !self.glue_version.has_flex() {
            return Err(format!(
                "--glue-sizing auto-scaling needs Glue 3.0 or later (AWS Glue auto scaling), not --glue-version {}",
                self.glue_version
            ));
        }
        for (flag, d) in [
            ("--ec2-discount", self.ec2_discount),
            ("--edp-discount", self.edp_discount),
        ] {
            if !(d.is_finite() && (0.0..0.95).contains(&d)) {
                return Err(format!(
                    "{flag} is a fraction off the price from 0 to 0.95 (e.g. 0.3 for 30%), not {d}"
                ));
            }
        }
        if let Some(d) = self.ec2_spot_discount {
            if !(0.0..1.0).contains(&d) {
                return Err(format!(
                    "--spot-discount is a fraction off the EC2 price between 0 and 1 (e.g. 0.6), not {d}"
                ));
            }
        }
        if !(self.memory_overhead_factor.is_finite()
            && (0.0..=10.0).contains(&self.memory_overhead_factor))
        {
            return Err(format!(
                "--memory-overhead-factor must be between 0 and 10, not {}",
                self.memory_overhead_factor
            ));
        }
        Ok(())
    }

    /// Memory a Spark process needs from its host: heap plus overhead.
    pub fn with_overhead_gb(&self, heap_gb: f64) -> f64 {
        heap_gb + (heap_gb * self.memory_overhead_factor).max(self.memory_overhead_min_gb)
    }

    /// Every setting, for printing beside results.
    pub fn lines(&self) -> Vec<AssumptionLine> {
        let size = |w: &WorkerSize| {
            format!(
                "{} vCPU, {} GB heap, {} GB disk",
                fmt_num(w.vcpu),
                fmt_num(w.memory_gb),
                fmt_num(w.disk_gb)
            )
        };
        vec![
            AssumptionLine {
                name: "ec2_provisioning_seconds",
                value: fmt_num(self.ec2_provisioning_seconds),
                basis: PROVISIONING_BASIS,
            },
            AssumptionLine {
                name: "ec2_teardown_seconds",
                value: fmt_num(self.ec2_teardown_seconds),
                basis: TEARDOWN_BASIS,
            },
            AssumptionLine {
                name: "ec2_sizing",
                value: self.ec2_sizing.to_string(),
                basis: match self.ec2_sizing {
                    Ec2Sizing::Peak => "peak: core nodes for the peak executor count, alive for the whole run (a fixed-size transient cluster)",
                    Ec2Sizing::ManagedScaling => "managed-scaling: core nodes for the average executor count, plus each burst node's start-up and scale-in lag (ec2_scale_in_lag_seconds)",
                },
            },
            AssumptionLine {
                name: "ec2_scale_in_lag_seconds",
                value: fmt_num(self.ec2_scale_in_lag_seconds),
                basis: SCALE_IN_LAG_BASIS,
            },
            AssumptionLine {
                name: "ec2_arch",
                value: self.ec2_arch.to_string(),
                basis: match self.ec2_arch {
                    Ec2Arch::Same => "like for like: x86_64 runs on x86_64 instance types, arm64 runs on Graviton; the move to Graviton is a separate what-if column",
                    Ec2Arch::Any => "any architecture: x86_64 runs may be placed on Graviton types when those are cheaper",
                },
            },
            AssumptionLine {
                name: "eks_node_provisioning_seconds",
                value: fmt_num(self.eks_node_provisioning_seconds),
                basis: "EMR on EKS: seconds a new EC2 node bills before the job's pods start (launch, join the cluster, pull the image); emrcost's choice, not measured: set it from your cluster, 0 for spare nodes already running. Nodes are the EMR on EC2 types (ec2_instance, ec2_arch, ec2_sizing, ec2_discount) packed the same way without a primary node, on-demand, billed EC2 and the executors' disks (no per-instance EMR uplift), each for its provisioning, the run and ec2_scale_in_lag_seconds; the uplift is per requested vCPU and GB of the driver and the average executor pods, per second, 1-minute minimum (FACTS.md section 13); the EKS control plane fee is shared by the cluster's jobs and not counted; runtimes scale by speed_factor_ec2",
            },
            AssumptionLine {
                name: "ec2_instance",
                value: self.ec2_instance.to_string(),
                basis: "auto = the cheapest core-node type of the run's architecture in the price book that fits the executors (by YARN vcores and memory)",
            },
            AssumptionLine {
                name: "ec2_primary_instance",
                value: match &self.ec2_primary_instance {
                    InstanceChoice::Auto => "auto".to_string(),
                    InstanceChoice::Fixed(t) => format!(
                        "{t} (for runs of its architecture unless ec2_arch is any; auto for the others)"
                    ),
                },
                basis: "one primary node per transient cluster; the Spark driver runs on it (client mode, spark-submit's default; in cluster mode it would take a core-node container instead); auto = the cheapest type in the core nodes' family whose vCPU and YARN memory hold the driver",
            },
            AssumptionLine {
                name: "peak_factor",
                value: fmt_num(self.peak_factor),
                basis: match self.peak_factor_basis {
                    PeakFactorBasis::Flag => "--peak-factor: peak executors over the average, for runs with no measured peak",
                    PeakFactorBasis::Measured { .. } => "median peak / average of this input's runs that have a measured peak (CloudWatch metrics or an event log); used for the runs that have none",
                    PeakFactorBasis::Default => PEAK_FACTOR_BASIS,
                },
            },
            AssumptionLine {
                name: "glue_heap_gb_per_dpu",
                value: fmt_num(self.glue_heap_gb_per_dpu),
                basis: "G.1X: each executor is configured with 10 GB and the driver with at most 10 GB (an AWS Support answer quoted in apache/hudi issue 3431, 3p); one executor per G worker (AWS CDK WorkerType reference); larger types scaled per DPU (G.2X 20 GB is the figure usually quoted, unverified). Overhead is added as for Spark. The driver's worker must hold the driver, so EMR Serverless's default 14 GB driver needs G.2X or larger",
            },
            AssumptionLine {
                name: "glue_sizing",
                value: self.glue_sizing.to_string(),
                basis: match self.glue_sizing {
                    GlueSizing::Peak => "peak: NumberOfWorkers holds the peak executors for the whole run",
                    GlueSizing::AutoScaling => "auto-scaling (Glue 3.0+): billed DPUSeconds follow the executors alive, so the average executor capacity plus the driver worker (FACTS.md section 4, AWS)",
                },
            },
            AssumptionLine {
                name: "glue_mapping",
                value: self.glue_mapping.to_string(),
                basis: match self.glue_mapping {
                    GlueMapping::Capacity => "the cheapest worker type and count whose executors hold the job's total executor vCPU and memory (Glue's executor memory per worker type), plus a driver worker that holds the driver",
                    GlueMapping::PerExecutor => "one worker per executor plus one for the driver (the old mapping): compares an executor with the worker's whole memory rather than the heap Glue gives its executor, and gives small executors a worker each",
                },
            },
            AssumptionLine {
                name: "ec2_spot_discount",
                value: self
                    .ec2_spot_discount
                    .map(|d| format!("{:.0}% off the EC2 part of core nodes", d * 100.0))
                    .unwrap_or_else(|| "off".to_string()),
                basis: "on Spot the EC2 price changes and the EMR uplift stays fixed (AWS EMR guide); the primary node stays on-demand",
            },
            AssumptionLine {
                name: "ec2_discount",
                value: if self.ec2_discount > 0.0 {
                    format!("{:.1}% off the EC2 part of on-demand instances", self.ec2_discount * 100.0)
                } else {
                    "none".to_string()
                },
                basis: "Savings Plans and Reserved Instances (--ec2-discount) cover EC2 instance usage only (EMR on EC2's instances and EMR on EKS's nodes): not Spot (already discounted), not the EMR uplift, EBS, EMR Serverless or Glue, which Compute Savings Plans do not cover (they cover EC2, Fargate and Lambda: AWS Savings Plans user guide, sp-applying, via 3p summaries); EMR on EC2 costs collected from clusters (collect emr) are as collected",
            },
            AssumptionLine {
                name: "edp_discount",
                value: if self.edp_discount > 0.0 {
                    format!("{:.1}% off every price", self.edp_discount * 100.0)
                } else {
                    "none".to_string()
                },
                basis: "an enterprise or private-pricing discount (--edp-discount) on every charge: every rate above is that much below the list price. It scales every option alike, so it moves no crossover",
            },
            AssumptionLine {
                name: "ec2_ebs_volume_type",
                value: self.ec2_ebs_volume_type.clone(),
                basis: "EMR's default EBS per instance size (emr-plan-storage, 3p), priced per GB-month",
            },
            AssumptionLine {
                name: "hours_per_month",
                value: fmt_num(self.hours_per_month),
                basis: "converts EBS GB-month prices to hourly (AWS's 730-hour month)",
            },
            AssumptionLine {
                name: "speed_factor_serverless",
                value: fmt_num(self.speed_factor_serverless),
                basis: "runtime multiplier on EMR Serverless relative to the measured runtime",
            },
            AssumptionLine {
                name: "speed_factor_ec2",
                value: fmt_num(self.speed_factor_ec2),
                basis: "runtime multiplier on EMR on EC2 relative to the measured runtime",
            },
            AssumptionLine {
                name: "speed_factor_glue",
                value: fmt_num(self.speed_factor_glue),
                basis: "runtime multiplier on Glue relative to the measured runtime",
            },
            AssumptionLine {
                name: "memory_overhead_factor",
                value: format!(
                    "{} (at least {} GB)",
                    fmt_num(self.memory_overhead_factor),
                    fmt_num(self.memory_overhead_min_gb)
                ),
                basis: "spark.emr-serverless.memoryOverheadFactor default 0.1 (AWS); Spark's 384 MiB floor",
            },
            AssumptionLine {
                name: "glue_version",
                value: self.glue_version.to_string(),
                basis: "sets the billing minimum (10 min on 0.9/1.0, 1 min from 2.0) and whether Flex exists (3.0+)",
            },
            AssumptionLine {
                name: "default_executor",
                value: size(&self.default_executor),
                basis: "EMR Serverless Spark default when a record does not give spark.executor.* (AWS jobs-spark)",
            },
            AssumptionLine {
                name: "default_driver",
                value: size(&self.default_driver),
                basis: "EMR Serverless Spark default when a record does not give spark.driver.* (AWS jobs-spark)",
            },
            AssumptionLine {
                name: "executor_count_from_usage",
                value: "average = (vCPU-hours / runtime - driver vCPU) / executor vCPU; peak = measured, else average x peak_factor".to_string(),
                basis: "EMR Serverless bills the executors alive (the average); a fixed cluster or worker count must hold the peak. Where the peak is estimated, reports give the range from the average to the estimated peak",
            },
        ]
    }
}

const PROVISIONING_BASIS: &str = "aws-emr-advisor assumes 210 s from request to running (3p); users report 5-10 minutes (unverified). Billed on every node of a transient cluster.";
const TEARDOWN_BASIS: &str = "EC2 stops billing an instance once it is shutting down (AWS EC2 guide); how long a transient cluster takes from the step's end to that point (termination, log upload) is not published: emrcost's estimate (unverified). Billed on every node; set it from your clusters' timelines";
const SCALE_IN_LAG_BASIS: &str = "derived, not an AWS figure: Spark releases an executor after 60 s idle (spark.dynamicAllocation.executorIdleTimeout, Apache Spark docs), managed scaling evaluates every 5-10 s and decommissions a node with no containers at once (AWS EMR management guide): about 60-90 s. Nodes still holding containers or shuffle data can take up to the 3600 s graceful-decommission timeout";
const PEAK_FACTOR_BASIS: &str = "no measured peak in this input and no --peak-factor: emrcost's documented default (no published figure exists for Spark's peak-to-average executor ratio); reports show the range down to the average";

/// Formats a number without trailing zeros: 210, 0.1, 14.5.
pub fn fmt_num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glue_minimums_follow_the_version() {
        assert_eq!(
            "1.0".parse::<GlueVersion>().unwrap().minimum_seconds(),
            600.0
        );
        assert_eq!(
            "0.9".parse::<GlueVersion>().unwrap().minimum_seconds(),
            600.0
        );
        assert_eq!(
            "2.0".parse::<GlueVersion>().unwrap().minimum_seconds(),
            60.0
        );
        assert!(!"2.0".parse::<GlueVersion>().unwrap().has_flex());
        assert!("3.0".parse::<GlueVersion>().unwrap().has_flex());
        assert!("6.1".parse::<GlueVersion>().is_err());
    }

    #[test]
    fn overhead_has_a_floor() {
        let a = Assumptions::default();
        assert!((a.with_overhead_gb(14.0) - 15.4).abs() < 1e-12);
        assert!((a.with_overhead_gb(1.0) - 1.375).abs() < 1e-12);
    }

    #[test]
    fn validate_names_the_flag() {
        let a = Assumptions {
            ec2_spot_discount: Some(1.5),
            ..Assumptions::default()
        };
        assert!(a.validate().unwrap_err().contains("--spot-discount"));
    }
}
