//! The JSON that `aws emr-serverless get-job-run` prints (and GetJobRun
//! returns), turned into [`JobRun`]s.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::files::InputDefaults;
use super::spark_params::SparkParams;
use crate::model::{Architecture, JobRun, JobState, ResourceUsage, UsageSource};

/// Either `{"jobRun": {...}}` (the CLI's output) or a bare job run.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Document {
    Wrapped {
        #[serde(rename = "jobRun")]
        job_run: Box<ApiJobRun>,
    },
    Bare(Box<ApiJobRun>),
}

impl Document {
    pub(crate) fn into_job_run(self) -> ApiJobRun {
        match self {
            Document::Wrapped { job_run } | Document::Bare(job_run) => *job_run,
        }
    }
}

/// Timestamps come as epoch seconds (the API) or ISO 8601 text (the CLI).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Timestamp {
    Epoch(f64),
    Text(String),
}

impl Timestamp {
    fn to_utc(&self, field: &str) -> Result<DateTime<Utc>, String> {
        match self {
            Timestamp::Epoch(secs) => {
                let ms = (secs * 1000.0).round() as i64;
                Utc.timestamp_millis_opt(ms)
                    .single()
                    .ok_or_else(|| format!("{field} {secs} is not a valid epoch time"))
            }
            Timestamp::Text(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| format!("{field} '{s}' is not an ISO 8601 time")),
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ApiUsage {
    #[serde(rename = "vCPUHour")]
    vcpu_hour: Option<f64>,
    #[serde(rename = "memoryGBHour")]
    memory_gb_hour: Option<f64>,
    #[serde(rename = "storageGBHour")]
    storage_gb_hour: Option<f64>,
}

impl ApiUsage {
    fn to_usage(&self) -> ResourceUsage {
        ResourceUsage {
            vcpu_hours: self.vcpu_hour.unwrap_or(0.0),
            memory_gb_hours: self.memory_gb_hour.unwrap_or(0.0),
            storage_gb_hours: self.storage_gb_hour.unwrap_or(0.0),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SparkSubmit {
    spark_submit_parameters: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobDriver {
    spark_submit: Option<SparkSubmit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiJobRun {
    application_id: Option<String>,
    job_run_id: Option<String>,
    name: Option<String>,
    arn: Option<String>,
    state: Option<String>,
    release_label: Option<String>,
    created_at: Option<Timestamp>,
    started_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
    total_execution_duration_seconds: Option<f64>,
    queued_duration_milliseconds: Option<f64>,
    billed_resource_utilization: Option<ApiUsage>,
    total_resource_utilization: Option<ApiUsage>,
    attempt: Option<u32>,
    job_driver: Option<JobDriver>,
    #[serde(default)]
    tags: HashMap<String, String>,
    // Not in the API: emrcost's own additions, so an export can carry what
    // only the application knows.
    region: Option<String>,
    architecture: Option<String>,
    application_name: Option<String>,
}

/// `arn:aws:emr-serverless:REGION:ACCOUNT:/applications/...` -> REGION.
fn region_from_arn(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    (!region.is_empty()).then(|| region.to_string())
}

impl ApiJobRun {
    /// Converts to a [`JobRun`], or says which field is missing or wrong.
    pub(crate) fn into_job_run(self, defaults: &InputDefaults) -> Result<JobRun, String> {
        let application_id = self.application_id.ok_or("missing applicationId")?;
        let job_run_id = self.job_run_id.ok_or("missing jobRunId")?;
        let state: JobState = self.state.as_deref().ok_or("missing state")?.parse()?;
        let region = self
            .region
            .or_else(|| self.arn.as_deref().and_then(region_from_arn))
            .or_else(|| defaults.region.clone())
            .ok_or("no region: the record has no arn; pass --region")?;
        let architecture: Architecture = match (&self.architecture, self.tags.get("architecture")) {
            (Some(a), _) | (None, Some(a)) => a.parse()?,
            (None, None) => defaults.architecture,
        };
        let time =
            |t: &Option<Timestamp>, field: &str| t.as_ref().map(|t| t.to_utc(field)).transpose();
        let spark = match self
            .job_driver
            .and_then(|d| d.spark_submit)
            .and_then(|s| s.spark_submit_parameters)
        {
            Some(p) => SparkParams::parse(&p).map_err(|e| format!("sparkSubmitParameters: {e}"))?,
            None => SparkParams::default(),
        };
        let duration_s = self.total_execution_duration_seconds;
        if let Some(d) = duration_s {
            if !(d.is_finite() && d >= 0.0) {
                return Err(format!(
                    "totalExecutionDurationSeconds is {d}; it cannot be negative"
                ));
            }
        }
        let queued_ms = match self.queued_duration_milliseconds {
            Some(q) if q.is_finite() && q >= 0.0 => Some(q as u64),
            Some(q) => {
                return Err(format!(
                    "queuedDurationMilliseconds is {q}; it cannot be negative"
                ))
            }
            None => None,
        };
        let run = JobRun {
            region,
            application_id,
            application_name: self.application_name,
            architecture,
            job_run_id,
            attempt: self.attempt.unwrap_or(1),
            job_name: self.name,
            state,
            release_label: self.release_label,
            created_at: time(&self.created_at, "createdAt")?,
            started_at: time(&self.started_at, "startedAt")?,
            ended_at: time(&self.ended_at, "endedAt")?,
            queued_ms,
            duration_s,
            billed: self.billed_resource_utilization.map(|u| u.to_usage()),
            total: self.total_resource_utilization.map(|u| u.to_usage()),
            executor_vcpu: spark.executor_cores,
            executor_memory_gb: spark.executor_memory_gb,
            executor_disk_gb: spark.executor_disk_gb,
            driver_vcpu: spark.driver_cores,
            driver_memory_gb: spark.driver_memory_gb,
            max_executors: spark.executor_limit(),
            peak_executors: None,
            incomplete: false,
            source: UsageSource::JobRunApi,
        };
        for (name, usage) in [
            ("billedResourceUtilization", run.billed),
            ("totalResourceUtilization", run.total),
        ] {
            if let Some((field, v)) = usage.and_then(|u| u.invalid_field()) {
                return Err(format!("{name}.{field} is {v}; usage cannot be negative"));
            }
        }
        Ok(run)
    }
}
