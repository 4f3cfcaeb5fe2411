//! The Glue calls `bench` makes, paced like the EMR Serverless ones: a job
//! created for the arm (or an existing one), StartJobRun with the arm's
//! workers and class, GetJobRun polled, BatchStopJobRun on Ctrl-C,
//! DeleteJob at the end. Glue's per-call quotas are not published
//! (FACTS.md section 12): writes go at 1 per second, reads at 10.

use std::sync::Arc;

use aws_sdk_glue as glue;
use chrono::{DateTime, Utc};

use super::aws::TAG;
use super::call;
use super::plan::{CheckedArm, GlueArm, Plan};
use crate::collect::pacing::CallStats;

/// The job name `bench` creates for an arm.
pub fn job_name(plan: &Plan, label: &str) -> String {
    format!("emrcost-bench-{}-{}", plan.name, super::aws::slug(label))
}

/// One GetJobRun answer, as bench needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct GlueRun {
    pub state: String,
    pub started_on: Option<DateTime<Utc>>,
    pub completed_on: Option<DateTime<Utc>>,
    /// Seconds the run consumed resources.
    pub execution_time_s: f64,
    pub dpu_seconds: Option<f64>,
    pub error: Option<String>,
}

impl GlueRun {
    /// SUCCEEDED, FAILED, TIMEOUT, STOPPED, ERROR and EXPIRED end a run
    /// (FACTS.md section 12).
    pub fn is_final(&self) -> bool {
        matches!(
            self.state.as_str(),
            "SUCCEEDED" | "FAILED" | "TIMEOUT" | "STOPPED" | "ERROR" | "EXPIRED"
        )
    }
}

pub struct Glue {
    client: glue::Client,
    pacer: super::Pacer,
}

use crate::collect::emr_serverless::utc as time;

impl Glue {
    pub fn new(config: &aws_config::SdkConfig, region: &str, stats: Arc<CallStats>) -> Glue {
        let conf = glue::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Glue {
            client: glue::Client::from_conf(conf),
            pacer: super::Pacer::new(region, stats),
        }
    }

    /// CreateJob: a glueetl job running the plan's entry point, tagged.
    pub async fn create_job(
        &self,
        plan: &Plan,
        arm: &CheckedArm,
        g: &GlueArm,
    ) -> Result<String, String> {
        let name = job_name(plan, &arm.arm.label);
        let command = glue::types::JobCommand::builder()
            .name("glueetl")
            .script_location(&plan.job.entry_point)
            .python_version("3")
            .build();
        let req = self
            .client
            .create_job()
            .name(&name)
            .role(plan.job.execution_role.clone().unwrap_or_default())
            .command(command)
            .glue_version(g.version.to_string())
            .worker_type(glue::types::WorkerType::from(g.worker_type.as_str()))
            .number_of_workers(g.workers as i32)
            .timeout(plan.timeout_minutes as i32)
            .tags(TAG, &plan.name)
            .tags("emrcost:arm", &arm.arm.label);
        match call!(self.pacer, write, "CreateJob", req.clone().send(), once) {
            Ok(_) => Ok(name),
            // A create that went through before its answer was lost.
            Err(e) if e.contains("AlreadyExistsException") => Ok(name),
            Err(e) => Err(e),
        }
    }

    pub async fn delete_job(&self, name: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "DeleteJob",
            self.client.delete_job().job_name(name).send()
        )
        .map(|_| ())
    }

    /// StartJobRun with the arm's workers and class and the job's arguments
    /// (`--key value` pairs become Glue arguments).
    pub async fn start_job_run(
        &self,
        plan: &Plan,
        job: &str,
        g: &GlueArm,
    ) -> Result<String, String> {
        let mut req = self
            .client
            .start_job_run()
            .job_name(job)
            .worker_type(glue::types::WorkerType::from(g.worker_type.as_str()))
            .number_of_workers(g.workers as i32)
            .timeout(plan.timeout_minutes as i32)
            .execution_class(match g.class {
                crate::pricing::GlueClass::Standard => glue::types::ExecutionClass::Standard,
                crate::pricing::GlueClass::Flex => glue::types::ExecutionClass::Flex,
            });
        // Glue takes `--key value` pairs (the plan check refused anything
        // else for a Glue arm).
        let mut args = plan.job.arguments.iter().peekable();
        while let Some(a) = args.next() {
            let value = match args.peek() {
                Some(v) if !v.starts_with("--") => args.next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            req = req.arguments(a, value);
        }
        // Glue's arguments are a map: every Spark setting in one --conf.
        if !plan.job.spark_conf.is_empty() {
            let conf: Vec<String> = plan
                .job
                .spark_conf
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.arguments("--conf", conf.join(" --conf "));
        }
        // Not retried after a timeout: a second run could start unseen.
        let out = call!(self.pacer, write, "StartJobRun", req.clone().send(), once)?;
        out.job_run_id()
            .map(str::to_string)
            .ok_or_else(|| format!("StartJobRun {job}: the answer carries no JobRunId"))
    }

    pub async fn stop(&self, job: &str, run: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "BatchStopJobRun",
            self.client
                .batch_stop_job_run()
                .job_name(job)
                .job_run_ids(run)
                .send()
        )
        .map(|_| ())
    }

    pub async fn job_run(&self, job: &str, run: &str) -> Result<GlueRun, String> {
        let out = call!(
            self.pacer,
            read,
            "GetJobRun",
            self.client.get_job_run().job_name(job).run_id(run).send()
        )?;
        let r = out
            .job_run()
            .ok_or_else(|| format!("GetJobRun {run}: the answer carries no JobRun"))?;
        Ok(GlueRun {
            state: r
                .job_run_state()
                .map_or("STARTING".to_string(), |s| s.as_str().to_string()),
            started_on: time(r.started_on()),
            completed_on: time(r.completed_on()),
            execution_time_s: f64::from(r.execution_time().max(0)),
            dpu_seconds: r.dpu_seconds(),
            error: r.error_message().map(str::to_string),
        })
    }
}

/// What a Glue run cost: the DPU-seconds Glue bills for it (the one rule,
/// [`crate::model::GlueUse::billed_dpu_seconds`]) at the class's rate.
pub fn cost_usd(g: &GlueArm, run: &GlueRun) -> f64 {
    let used = crate::model::GlueUse {
        dpu: f64::from(g.workers) * g.dpu_per_worker,
        workers: g.workers,
        version: (g.version.major, g.version.minor),
        flex: g.class == crate::pricing::GlueClass::Flex,
        dpu_seconds: run.dpu_seconds,
    };
    used.billed_dpu_seconds(run.execution_time_s) / 3600.0 * g.dpu_hour_usd
}
