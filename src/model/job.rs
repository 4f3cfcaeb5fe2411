//! One EMR Serverless job run (or a job imported from elsewhere) and its usage.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// CPU architecture of an EMR Serverless application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// Intel/AMD, the EMR Serverless default.
    X86_64,
    /// AWS Graviton.
    Arm64,
}

impl Architecture {
    /// The spelling used in the price book and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Architecture {
    type Err = String;

    /// Accepts the price-book spelling and the API's (`X86_64`, `ARM64`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The usual spellings first, without allocating (millions of rows).
        match s {
            "x86_64" | "X86_64" => return Ok(Architecture::X86_64),
            "arm64" | "ARM64" => return Ok(Architecture::Arm64),
            _ => {}
        }
        match s.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "x86" | "amd64" => Ok(Architecture::X86_64),
            "arm64" | "aarch64" | "graviton" => Ok(Architecture::Arm64),
            other => Err(format!(
                "unknown architecture '{other}': use x86_64 or arm64"
            )),
        }
    }
}

/// Job-run state as the EMR Serverless API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Submitted,
    Pending,
    Scheduled,
    Running,
    Success,
    Failed,
    Cancelling,
    Cancelled,
    Queued,
}

impl JobState {
    /// Final states: usage no longer changes (though it may arrive late).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Success | JobState::Failed | JobState::Cancelled
        )
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Submitted => "SUBMITTED",
            JobState::Pending => "PENDING",
            JobState::Scheduled => "SCHEDULED",
            JobState::Running => "RUNNING",
            JobState::Success => "SUCCESS",
            JobState::Failed => "FAILED",
            JobState::Cancelling => "CANCELLING",
            JobState::Cancelled => "CANCELLED",
            JobState::Queued => "QUEUED",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "SUCCESS" => return Ok(JobState::Success),
            "FAILED" => return Ok(JobState::Failed),
            "CANCELLED" => return Ok(JobState::Cancelled),
            "RUNNING" => return Ok(JobState::Running),
            _ => {}
        }
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "SUBMITTED" => JobState::Submitted,
            "PENDING" => JobState::Pending,
            "SCHEDULED" => JobState::Scheduled,
            "RUNNING" => JobState::Running,
            "SUCCESS" => JobState::Success,
            "FAILED" => JobState::Failed,
            "CANCELLING" => JobState::Cancelling,
            "CANCELLED" => JobState::Cancelled,
            "QUEUED" => JobState::Queued,
            other => {
                return Err(format!(
                    "unknown job state '{other}': expected one of SUBMITTED, PENDING, SCHEDULED, \
                     RUNNING, SUCCESS, FAILED, CANCELLING, CANCELLED, QUEUED"
                ))
            }
        })
    }
}

/// vCPU-hours, memory-GB-hours and storage-GB-hours, the three things EMR
/// Serverless bills for.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceUsage {
    pub vcpu_hours: f64,
    pub memory_gb_hours: f64,
    pub storage_gb_hours: f64,
}

impl ResourceUsage {
    /// All three figures are zero: the API's "not reported yet".
    pub fn is_zero(&self) -> bool {
        self.vcpu_hours == 0.0 && self.memory_gb_hours == 0.0 && self.storage_gb_hours == 0.0
    }

    /// The first negative or non-finite field, by name, if any.
    pub fn invalid_field(&self) -> Option<(&'static str, f64)> {
        [
            ("vcpu_hours", self.vcpu_hours),
            ("memory_gb_hours", self.memory_gb_hours),
            ("storage_gb_hours", self.storage_gb_hours),
        ]
        .into_iter()
        .find(|(_, v)| !v.is_finite() || *v < 0.0)
    }
}

/// What Glue reported about a run it ran: the record of a Glue job run
/// (`emrcost collect glue`, or a file with the `glue_*` columns). Its
/// actual cost is Glue's; EMR Serverless and EMR on EC2 are estimated from
/// its workers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GlueUse {
    /// DPU the run was given: workers x DPU per worker (or MaxCapacity).
    pub dpu: f64,
    /// Workers, the driver's included.
    pub workers: u32,
    /// The Glue version as (major, minor): it sets the billing minimum.
    pub version: (u8, u8),
    /// The Flex execution class.
    pub flex: bool,
    /// `DPUSeconds`: Glue reports it for auto-scaled and Flex runs.
    pub dpu_seconds: Option<f64>,
}

impl GlueUse {
    /// Glue's billing minimum: 10 minutes before Glue 2.0, 1 minute after
    /// (FACTS.md section 4).
    pub fn minimum_seconds(&self) -> f64 {
        if self.version.0 < 2 {
            600.0
        } else {
            60.0
        }
    }

    /// DPU-seconds Glue bills: `DPUSeconds` where reported, else the DPU
    /// for the execution time after the version's minimum. A Flex run's
    /// `DPUSeconds` still pay the minimum; an auto-scaled Standard run's
    /// are taken as reported (how the minimum applies to a fleet that
    /// grows and shrinks is not documented).
    pub fn billed_dpu_seconds(&self, execution_s: f64) -> f64 {
        match self.dpu_seconds {
            Some(d) if d > 0.0 && self.flex => d.max(self.dpu * self.minimum_seconds()),
            Some(d) if d > 0.0 => d,
            _ => self.dpu * execution_s.max(self.minimum_seconds()),
        }
    }

    /// Average workers over the run: from `DPUSeconds` where reported (an
    /// auto-scaled run), else all of them.
    pub fn average_workers(&self, execution_s: f64) -> f64 {
        let per_worker = self.dpu / f64::from(self.workers.max(1));
        match self.dpu_seconds {
            Some(d) if d > 0.0 && execution_s > 0.0 && per_worker > 0.0 => {
                (d / per_worker / execution_s).min(f64::from(self.workers))
            }
            _ => f64::from(self.workers),
        }
    }
}

/// Where a record's figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageSource {
    /// `aws emr-serverless get-job-run` output or the GetJobRun API.
    JobRunApi,
    /// A CSV in emrcost's documented format.
    Csv,
    /// `emrcost synth`.
    Synthetic,
    /// Estimated from a Spark event log (`emrcost import eventlog`).
    EventLog,
    /// A Glue job run (GetJobRuns, `emrcost collect glue`).
    GlueApi,
    /// An EMR on EC2 step (`emrcost collect emr`).
    EmrApi,
}

impl UsageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageSource::JobRunApi => "job_run_api",
            UsageSource::Csv => "csv",
            UsageSource::Synthetic => "synthetic",
            UsageSource::EventLog => "event_log",
            UsageSource::GlueApi => "glue_api",
            UsageSource::EmrApi => "emr_api",
        }
    }
}

impl FromStr for UsageSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "job_run_api" => UsageSource::JobRunApi,
            "csv" => UsageSource::Csv,
            "synthetic" => UsageSource::Synthetic,
            "event_log" => UsageSource::EventLog,
            "glue_api" => UsageSource::GlueApi,
            "emr_api" => UsageSource::EmrApi,
            other => {
                return Err(format!(
                    "unknown source '{other}': expected job_run_api, csv, synthetic, event_log, glue_api or emr_api"
                ))
            }
        })
    }
}

/// One job run: identity, timing, usage and the worker configuration it asked for.
///
/// Optional fields are genuinely optional in the sources: the API leaves usage
/// out for a while after a run ends, and CSV exports often lack timestamps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRun {
    pub region: String,
    pub application_id: String,
    pub application_name: Option<String>,
    pub architecture: Architecture,
    pub job_run_id: String,
    pub attempt: u32,
    pub job_name: Option<String>,
    pub state: JobState,
    pub release_label: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub queued_ms: Option<u64>,
    /// `totalExecutionDurationSeconds`, or ended - started.
    pub duration_s: Option<f64>,
    /// `billedResourceUtilization`: includes the 1-minute minimum and the
    /// storage above 20 GB per worker.
    pub billed: Option<ResourceUsage>,
    /// `totalResourceUtilization`: raw usage, no minimum, no free storage.
    pub total: Option<ResourceUsage>,
    pub executor_vcpu: Option<f64>,
    pub executor_memory_gb: Option<f64>,
    pub executor_disk_gb: Option<f64>,
    pub driver_vcpu: Option<f64>,
    pub driver_memory_gb: Option<f64>,
    /// `spark.dynamicAllocation.maxExecutors` or `spark.executor.instances`.
    pub max_executors: Option<u32>,
    /// Most executors alive at once, when known (event logs; later metrics).
    /// EMR on EC2 and Glue are then sized for it instead of the average.
    #[serde(default)]
    pub peak_executors: Option<u32>,
    /// The record describes a run whose end was not seen (an event log with
    /// no ApplicationEnd): usage is up to the last event.
    #[serde(default)]
    pub incomplete: bool,
    pub source: UsageSource,
    /// A Glue run: what Glue reported (its cost is Glue's).
    #[serde(default)]
    pub glue: Option<GlueUse>,
    /// A Glue run's worker type (G.1X, ...), for the reader.
    #[serde(default)]
    pub glue_worker_type: Option<String>,
    /// An EMR on EC2 step: its share of its cluster's cost (the cluster's
    /// instances over the step's time), priced when collected.
    #[serde(default)]
    pub ec2_cost_usd: Option<f64>,
    /// An EMR on EC2 step's cluster.
    #[serde(default)]
    pub ec2_cluster_id: Option<String>,
    /// The AWS account the run was collected from (STS GetCallerIdentity
    /// of the collector's credentials), when known.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The run's tags, the application's beneath them (collected runs), as
    /// a JSON object of strings: `{"team":"data"}`.
    pub tags: Option<String>,
}

impl JobRun {
    /// Runtime in seconds: the reported duration, else ended - started.
    pub fn runtime_s(&self) -> Option<f64> {
        self.duration_s
            .or_else(|| match (self.started_at, self.ended_at) {
                (Some(s), Some(e)) if e >= s => Some((e - s).num_milliseconds() as f64 / 1000.0),
                _ => None,
            })
    }

    /// A short label for messages: `application/job-run#attempt`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}#{}",
            self.application_id, self.job_run_id, self.attempt
        )
    }

    /// The month the run belongs to (`YYYY-MM`), from its start or creation time.
    pub fn month(&self) -> Option<String> {
        self.started_at
            .or(self.created_at)
            .and_then(|t| month_of_ms(t.timestamp_millis()))
    }
}

/// What pricing and fleet aggregation read from a run: every figure and
/// none of the identifying text. It is `Copy`, so a fleet read from columns
/// is priced row by row without building a [`JobRun`] for each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunFacts {
    pub architecture: Architecture,
    pub state: JobState,
    /// Start time (else creation time), in milliseconds since the epoch:
    /// what `--since`/`--until` and the month grouping go by.
    pub start_ms: Option<i64>,
    pub queued_ms: Option<u64>,
    /// As [`JobRun::runtime_s`].
    pub runtime_s: Option<f64>,
    pub billed: Option<ResourceUsage>,
    pub total: Option<ResourceUsage>,
    pub executor_vcpu: Option<f64>,
    pub executor_memory_gb: Option<f64>,
    pub executor_disk_gb: Option<f64>,
    pub driver_vcpu: Option<f64>,
    pub driver_memory_gb: Option<f64>,
    pub max_executors: Option<u32>,
    pub peak_executors: Option<u32>,
    pub source: UsageSource,
    pub glue: Option<GlueUse>,
    /// An EMR on EC2 step's actual cost (its share of its cluster's).
    pub ec2_cost_usd: Option<f64>,
}

impl JobRun {
    /// The run's figures, for pricing.
    pub fn facts(&self) -> RunFacts {
        RunFacts {
            architecture: self.architecture,
            state: self.state,
            start_ms: self
                .started_at
                .or(self.created_at)
                .map(|t| t.timestamp_millis()),
            queued_ms: self.queued_ms,
            runtime_s: self.runtime_s(),
            billed: self.billed,
            total: self.total,
            executor_vcpu: self.executor_vcpu,
            executor_memory_gb: self.executor_memory_gb,
            executor_disk_gb: self.executor_disk_gb,
            driver_vcpu: self.driver_vcpu,
            driver_memory_gb: self.driver_memory_gb,
            max_executors: self.max_executors,
            peak_executors: self.peak_executors,
            source: self.source,
            glue: self.glue,
            ec2_cost_usd: self.ec2_cost_usd,
        }
    }
}

/// The month (`YYYY-MM`, UTC) of a time in milliseconds since the epoch.
pub fn month_of_ms(ms: i64) -> Option<String> {
    let (y, m) = super::time::year_month(ms)?;
    Some(format!("{y:04}-{m:02}"))
}

/// A run's `tags` cell: a JSON object of strings, or `None` if it is not one.
pub fn parse_tags(text: &str) -> Option<std::collections::BTreeMap<String, String>> {
    serde_json::from_str(text).ok()
}

/// One tag of a run's `tags` cell.
pub fn tag_value(text: &str, key: &str) -> Option<String> {
    parse_tags(text)?.remove(key)
}

/// Tags as the `tags` cell holds them (`None` when there are none).
pub fn tags_text(tags: &std::collections::BTreeMap<String, String>) -> Option<String> {
    (!tags.is_empty()).then(|| serde_json::to_string(tags).unwrap_or_default())
}
