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

/// The settings behind every estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    /// Seconds from cluster request to a running step, billed on every node.
    pub ec2_provisioning_seconds: f64,
    pub ec2_instance: InstanceChoice,
    /// Primary node of the transient cluster; the driver runs here (client mode).
    pub ec2_primary_instance_type: String,
    /// Fraction off the EC2 part of core-node prices on Spot (e.g. 0.6). The
    /// EMR uplift and the primary node stay on-demand.
    pub ec2_spot_discount: Option<f64>,
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
            ec2_instance: InstanceChoice::Auto,
            ec2_primary_instance_type: "m5.xlarge".to_string(),
            ec2_spot_discount: None,
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
                basis: "aws-emr-advisor assumes 210 s from request to running (3p); users report 5-10 minutes (unverified). Billed on every node of a transient cluster.",
            },
            AssumptionLine {
                name: "ec2_instance",
                value: self.ec2_instance.to_string(),
                basis: "auto = the cheapest core-node type in the price book that fits the executors (by YARN vcores and memory)",
            },
            AssumptionLine {
                name: "ec2_primary_instance_type",
                value: self.ec2_primary_instance_type.clone(),
                basis: "one primary node per transient cluster; the Spark driver runs on it (client mode, the EMR step default)",
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
                value: "average = (vCPU-hours / runtime - driver vCPU) / executor vCPU".to_string(),
                basis: "peak concurrency is unknown until CloudWatch metrics are collected; EC2 and Glue provision the average rounded up, which understates a spiky job",
            },
        ]
    }
}

/// Formats a number without trailing zeros: 210, 0.1, 14.5.
pub(crate) fn fmt_num(v: f64) -> String {
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
