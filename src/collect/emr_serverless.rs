//! EMR Serverless through `aws-sdk-emrserverless`: applications, job-run
//! listings and GetJobRun, converted to [`JobRun`]s. Only read calls:
//! ListApplications, GetApplication, ListJobRuns, GetJobRun.

use std::sync::Arc;

use aws_sdk_emrserverless as emr;
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, TimeZone, Utc};

use super::dataset::{ApplicationInfo, InitialCapacity, RunRequest};
use super::pacing::{paced, Backoff, Bucket, CallStats, Failure};
use super::spark_params::{parse_memory_gb, SparkParams};
use crate::model::{Architecture, JobRun, JobState, ResourceUsage, UsageSource};

/// One region's client and buckets.
pub struct Emr {
    pub region: String,
    client: emr::Client,
    get: Bucket,
    list_runs: Bucket,
    backoff: Backoff,
    pub stats: Arc<CallStats>,
}

/// A run as ListJobRuns names it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub application_id: String,
    pub job_run_id: String,
    pub attempt: u32,
    pub state: JobState,
}

/// A failed call, with what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{operation} in {region}: {message}")]
pub struct ApiError {
    pub operation: &'static str,
    pub region: String,
    pub message: String,
    pub not_found: bool,
}

impl Emr {
    pub fn new(
        config: &aws_config::SdkConfig,
        region: &str,
        quotas: &super::pacing::Quotas,
        backoff: Backoff,
        stats: Arc<CallStats>,
    ) -> Emr {
        let conf = emr::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Emr {
            region: region.to_string(),
            client: emr::Client::from_conf(conf),
            get: Bucket::new(quotas.get),
            list_runs: Bucket::new(quotas.list_runs),
            backoff,
            stats,
        }
    }

    fn fail<E>(&self, operation: &'static str, e: emr::error::SdkError<E>) -> ApiError
    where
        E: emr::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let not_found =
            emr::error::ProvideErrorMetadata::code(&e) == Some("ResourceNotFoundException");
        ApiError {
            operation,
            region: self.region.clone(),
            message: describe(&e),
            not_found,
        }
    }

    /// Every application in the region (ListApplications pages).
    pub async fn applications(&self) -> Result<Vec<String>, ApiError> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = paced(&self.get, &self.backoff, &self.stats, classify, || {
                self.client
                    .list_applications()
                    .max_results(50)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| self.fail("ListApplications", e))?;
            ids.extend(out.applications().iter().map(|a| a.id().to_string()));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(ids);
            }
        }
    }

    /// GetApplication: name, architecture, release and initial capacity.
    pub async fn application(&self, id: &str) -> Result<ApplicationInfo, ApiError> {
        let out = paced(&self.get, &self.backoff, &self.stats, classify, || {
            self.client.get_application().application_id(id).send()
        })
        .await
        .map_err(|e| self.fail("GetApplication", e))?;
        let app = out.application().ok_or_else(|| ApiError {
            operation: "GetApplication",
            region: self.region.clone(),
            message: format!("the answer for {id} carries no application"),
            not_found: false,
        })?;
        let architecture = match app.architecture() {
            Some(emr::types::Architecture::Arm64) => Architecture::Arm64,
            _ => Architecture::X86_64,
        };
        let mut initial_capacity: Vec<InitialCapacity> = app
            .initial_capacity()
            .into_iter()
            .flatten()
            .filter_map(|(worker_type, c)| {
                let w = c.worker_configuration()?;
                Some(InitialCapacity {
                    worker_type: worker_type.clone(),
                    workers: c.worker_count().max(0) as u32,
                    vcpu: parse_vcpu(w.cpu())?,
                    memory_gb: parse_gb(w.memory())?,
                    disk_gb: w.disk().and_then(parse_gb).unwrap_or(20.0),
                })
            })
            .collect();
        initial_capacity.sort_by(|a, b| a.worker_type.cmp(&b.worker_type));
        let positive = |v: Option<i32>| v.filter(|v| *v > 0).map(|v| v as u32);
        Ok(ApplicationInfo {
            region: self.region.clone(),
            application_id: id.to_string(),
            name: app.name().map(str::to_string),
            architecture,
            release_label: Some(app.release_label().to_string()),
            initial_capacity,
            maximum_capacity: app.maximum_capacity().and_then(|m| {
                Some(crate::collect::dataset::MaximumCapacity {
                    vcpu: parse_vcpu(m.cpu())?,
                    memory_gb: parse_gb(m.memory())?,
                    disk_gb: m.disk().and_then(parse_gb),
                })
            }),
            auto_start: app.auto_start_configuration().and_then(|c| c.enabled()),
            auto_stop: app.auto_stop_configuration().and_then(|c| c.enabled()),
            idle_timeout_minutes: positive(
                app.auto_stop_configuration()
                    .and_then(|c| c.idle_timeout_minutes()),
            ),
            max_concurrent_runs: positive(
                app.scheduler_configuration()
                    .and_then(|c| c.max_concurrent_runs()),
            ),
            queue_timeout_minutes: positive(
                app.scheduler_configuration()
                    .and_then(|c| c.queue_timeout_minutes()),
            ),
            observed_at: Some(Utc::now()),
            tags: app
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })
    }

    /// ListJobRuns for one application in the window, page by page; each
    /// page is handed to `page` as it arrives so fetching can start early.
    pub async fn list_runs(
        &self,
        application_id: &str,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        states: &[JobState],
        mut page: impl FnMut(Vec<Listed>),
    ) -> Result<(), ApiError> {
        let states: Option<Vec<emr::types::JobRunState>> = (!states.is_empty()).then(|| {
            states
                .iter()
                .map(|s| emr::types::JobRunState::from(s.as_str()))
                .collect()
        });
        let mut token: Option<String> = None;
        loop {
            let out = paced(
                &self.list_runs,
                &self.backoff,
                &self.stats,
                classify,
                || {
                    self.client
                        .list_job_runs()
                        .application_id(application_id)
                        .max_results(50)
                        .set_next_token(token.clone())
                        .set_created_at_after(since.map(smithy_time))
                        .set_created_at_before(until.map(smithy_time))
                        .set_states(states.clone())
                        .send()
                },
            )
            .await
            .map_err(|e| self.fail("ListJobRuns", e))?;
            let listed = out
                .job_runs()
                .iter()
                .filter_map(|s| {
                    Some(Listed {
                        application_id: s.application_id().to_string(),
                        job_run_id: s.id().to_string(),
                        attempt: s.attempt().unwrap_or(1).max(1) as u32,
                        state: s.state().as_str().parse().ok()?,
                    })
                })
                .collect();
            page(listed);
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(());
            }
        }
    }

    /// GetJobRun, converted. `app` fills what the run does not say.
    pub async fn job_run(
        &self,
        listed: &Listed,
        app: &ApplicationInfo,
    ) -> Result<(JobRun, RunRequest), ApiError> {
        let out = paced(&self.get, &self.backoff, &self.stats, classify, || {
            self.client
                .get_job_run()
                .application_id(&listed.application_id)
                .job_run_id(&listed.job_run_id)
                .attempt(listed.attempt as i32)
                .send()
        })
        .await
        .map_err(|e| self.fail("GetJobRun", e))?;
        let run = out.job_run().ok_or_else(|| ApiError {
            operation: "GetJobRun",
            region: self.region.clone(),
            message: format!("the answer for {} carries no jobRun", listed.job_run_id),
            not_found: false,
        })?;
        let request = request_of(run);
        convert(run, app)
            .map(|r| (r, request))
            .map_err(|message| ApiError {
                operation: "GetJobRun",
                region: self.region.clone(),
                message: format!("{}/{}: {message}", listed.application_id, listed.job_run_id),
                not_found: false,
            })
    }
}

/// Throttling and 5xx are retried; so are timeouts and dropped connections.
pub(crate) fn classify<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Failure
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
    R: HasStatus,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Failure::Transient,
        SdkError::ResponseError(r) => {
            if r.raw().status() >= 500 {
                Failure::Transient
            } else {
                Failure::Permanent
            }
        }
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("");
            let status = s.raw().status();
            if status == 429
                || matches!(
                    code,
                    "ThrottlingException"
                        | "Throttling"
                        | "TooManyRequestsException"
                        | "RequestLimitExceeded"
                        | "LimitExceededException"
                )
            {
                Failure::Throttled
            } else if status >= 500 {
                Failure::Transient
            } else {
                Failure::Permanent
            }
        }
        _ => Failure::Permanent,
    }
}

/// A refused call's message with the IAM action the policy must allow,
/// when the service said access was denied.
pub(crate) fn with_iam_action(message: String, action: &str) -> String {
    let denied = ["AccessDenied", "UnauthorizedOperation", "not authorized"]
        .iter()
        .any(|m| message.contains(m));
    if denied {
        format!("{message}; the IAM policy must allow {action} (see the README's policy)")
    } else {
        message
    }
}

/// An HTTP status, whatever the response type.
pub(crate) trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// A one-line description: the service's code and message, or the cause.
pub(crate) fn describe<E>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let hint = |code: &str| match code {
        "AccessDeniedException" | "AccessDenied" | "UnrecognizedClientException" => {
            " (check the credentials and the IAM policy in the README)"
        }
        "ThrottlingException" => " (still throttled after every retry; lower --get-rate)",
        _ => "",
    };
    let chain = source_chain(e);
    if !matches!(e, SdkError::ServiceError(_)) && chain.to_ascii_lowercase().contains("credential")
    {
        return format!(
            "no usable AWS credentials ({chain}); set --profile or AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with `aws sso login`"
        );
    }
    match e {
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("error");
            format!(
                "{code} (HTTP {}): {}{}",
                s.raw().status().as_u16(),
                s.err().message().unwrap_or("no message"),
                hint(code)
            )
        }
        SdkError::DispatchFailure(_) => format!(
            "could not reach the endpoint ({}); check --region, AWS_ENDPOINT_URL and the network",
            source_chain(e)
        ),
        SdkError::TimeoutError(_) => {
            "timed out after every retry (a slow endpoint: raise --attempt-timeout where the command has it)".to_string()
        }
        other => source_chain(other),
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

fn smithy_time(t: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_millis(t.timestamp_millis())
}

fn chrono_time(t: &SmithyTime) -> Option<DateTime<Utc>> {
    t.to_millis()
        .ok()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

/// An SDK time (any AWS client's), as UTC.
pub(crate) fn utc(t: Option<&SmithyTime>) -> Option<DateTime<Utc>> {
    t.and_then(chrono_time)
}

/// `"4 vCPU"`, `"4vCPU"` or `"4"` -> 4.0.
fn parse_vcpu(raw: &str) -> Option<f64> {
    let t = raw.trim().to_ascii_lowercase();
    let t = t.trim_end_matches("vcpu").trim();
    t.parse().ok().filter(|v: &f64| v.is_finite() && *v > 0.0)
}

/// Worker memory and disk: `"16 GB"`, `"16GB"`, or Spark's `"16g"`.
fn parse_gb(raw: &str) -> Option<f64> {
    let t = raw.trim().to_ascii_lowercase();
    let number = t.trim_end_matches("gb").trim();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Some(v),
        _ => parse_memory_gb(&t).ok(),
    }
}

fn usage(v: Option<f64>, m: Option<f64>, s: Option<f64>) -> ResourceUsage {
    ResourceUsage {
        vcpu_hours: v.unwrap_or(0.0),
        memory_gb_hours: m.unwrap_or(0.0),
        storage_gb_hours: s.unwrap_or(0.0),
    }
}

/// The executor worker configuration of an application's initial capacity.
fn app_worker(app: &ApplicationInfo, driver: bool) -> Option<&InitialCapacity> {
    app.initial_capacity.iter().find(|c| {
        let t = c.worker_type.to_ascii_lowercase();
        if driver {
            t.contains("driver")
        } else {
            t.contains("executor")
        }
    })
}

/// GetJobRun's job run as a [`JobRun`].
/// What the run asked for: its Spark sizes as given and its attempt's
/// times (a `sparkSubmitParameters` that cannot be read gives no sizes;
/// `convert` reports it).
pub(crate) fn request_of(run: &emr::types::JobRun) -> RunRequest {
    let spark = run
        .job_driver()
        .and_then(|d| d.as_spark_submit().ok())
        .and_then(|s| s.spark_submit_parameters())
        .and_then(|p| SparkParams::parse(p).ok())
        .unwrap_or_default();
    RunRequest {
        attempt_created_at: run.attempt_created_at().and_then(chrono_time),
        updated_at: chrono_time(run.updated_at()),
        executor_cores: spark.executor_cores,
        executor_memory_gb: spark.executor_memory_gb,
        driver_cores: spark.driver_cores,
        driver_memory_gb: spark.driver_memory_gb,
        initial_executors: spark.initial_executors.or(spark.executor_instances),
    }
}

pub(crate) fn convert(run: &emr::types::JobRun, app: &ApplicationInfo) -> Result<JobRun, String> {
    let state: JobState = run.state().as_str().parse()?;
    let spark = match run
        .job_driver()
        .and_then(|d| d.as_spark_submit().ok())
        .and_then(|s| s.spark_submit_parameters())
    {
        Some(p) => SparkParams::parse(p).map_err(|e| format!("sparkSubmitParameters: {e}"))?,
        None => SparkParams::default(),
    };
    let queued_ms = match run.queued_duration_milliseconds() {
        Some(q) if q < 0 => {
            return Err(format!(
                "queuedDurationMilliseconds is {q}; it cannot be negative"
            ))
        }
        q => q.map(|q| q as u64),
    };
    let duration_s = match run.total_execution_duration_seconds() {
        Some(d) if d < 0 => {
            return Err(format!(
                "totalExecutionDurationSeconds is {d}; it cannot be negative"
            ))
        }
        d => d.map(f64::from),
    };
    let executor = app_worker(app, false);
    let driver = app_worker(app, true);
    let out = JobRun {
        region: app.region.clone(),
        application_id: run.application_id().to_string(),
        application_name: app.name.clone(),
        architecture: app.architecture,
        job_run_id: run.job_run_id().to_string(),
        attempt: run.attempt().unwrap_or(1).max(1) as u32,
        job_name: run.name().map(str::to_string),
        state,
        release_label: Some(run.release_label().to_string()).filter(|s| !s.is_empty()),
        created_at: chrono_time(run.created_at()),
        started_at: run.started_at().and_then(chrono_time),
        ended_at: run.ended_at().and_then(chrono_time),
        queued_ms,
        duration_s,
        billed: run
            .billed_resource_utilization()
            .map(|u| usage(u.v_cpu_hour(), u.memory_gb_hour(), u.storage_gb_hour())),
        total: run
            .total_resource_utilization()
            .map(|u| usage(u.v_cpu_hour(), u.memory_gb_hour(), u.storage_gb_hour())),
        executor_vcpu: spark.executor_cores.or(executor.map(|c| c.vcpu)),
        executor_memory_gb: spark.executor_memory_gb.or(executor.map(|c| c.memory_gb)),
        executor_disk_gb: spark.executor_disk_gb.or(executor.map(|c| c.disk_gb)),
        driver_vcpu: spark.driver_cores.or(driver.map(|c| c.vcpu)),
        driver_memory_gb: spark.driver_memory_gb.or(driver.map(|c| c.memory_gb)),
        max_executors: spark.executor_limit(),
        peak_executors: None,
        incomplete: false,
        source: UsageSource::JobRunApi,
        glue: None,
        glue_worker_type: None,
        ec2_cost_usd: None,
        ec2_cluster_id: None,
        account_id: None,
        // The application's tags beneath the run's own.
        tags: {
            let mut tags = app.tags.clone();
            if let Some(t) = run.tags() {
                tags.extend(t.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            crate::model::tags_text(&tags)
        },
    };
    for (name, u) in [
        ("billedResourceUtilization", out.billed),
        ("totalResourceUtilization", out.total),
    ] {
        if let Some((field, v)) = u.and_then(|u| u.invalid_field()) {
            return Err(format!("{name}.{field} is {v}; usage cannot be negative"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_cpu_spellings() {
        assert_eq!(parse_vcpu("4 vCPU"), Some(4.0));
        assert_eq!(parse_vcpu("16vCPU"), Some(16.0));
        assert_eq!(parse_vcpu("2"), Some(2.0));
        assert_eq!(parse_vcpu("lots"), None);
        assert_eq!(parse_gb("16 GB"), Some(16.0));
        assert_eq!(parse_gb("200GB"), Some(200.0));
        assert_eq!(parse_gb("8g"), Some(8.0));
        assert_eq!(parse_gb("big"), None);
    }
}
