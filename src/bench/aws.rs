//! The EMR Serverless calls `bench` makes, paced: writes (create, start,
//! stop, delete applications; start and cancel runs) at the write quota,
//! reads (GetApplication, GetJobRun) at the read quota, each retried with
//! backoff on throttling and server errors.

use std::sync::Arc;

use aws_sdk_emrserverless as emr;
use emr::types;

use super::call;
use super::plan::{CheckedArm, Plan};
use crate::collect::dataset::ApplicationInfo;
use crate::collect::emr_serverless::convert;
use crate::collect::pacing::{CallStats, Rate};
use crate::model::{Architecture, JobRun};

/// Write calls: 1 per second, burst 25; reads 10 per second, burst 50
/// (FACTS.md sections 5 and 11, AWS endpoints and quotas).
pub const WRITE_RATE: Rate = Rate {
    per_second: 1.0,
    burst: 25,
};
pub const READ_RATE: Rate = Rate {
    per_second: 10.0,
    burst: 50,
};

/// The tag every resource and run `bench` creates carries.
pub const TAG: &str = "emrcost:bench";

pub struct Serverless {
    client: emr::Client,
    region: String,
    pub pacer: super::Pacer,
}

impl Serverless {
    pub fn new(config: &aws_config::SdkConfig, region: &str) -> Serverless {
        let conf = emr::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Serverless {
            client: emr::Client::from_conf(conf),
            region: region.to_string(),
            pacer: super::Pacer::new(region, Arc::new(CallStats::default())),
        }
    }

    /// CreateApplication for an arm, tagged, with its pre-initialized
    /// capacity. The client token makes a retried create idempotent.
    pub async fn create_application(
        &self,
        plan: &Plan,
        arm: &CheckedArm,
        token: &str,
    ) -> Result<String, String> {
        let name = format!("emrcost-bench-{}-{}", plan.name, slug(&arm.arm.label));
        let mut req = self
            .client
            .create_application()
            .name(&name)
            .release_label(&plan.job.release_label)
            .r#type("SPARK")
            .architecture(match arm.architecture {
                Architecture::X86_64 => types::Architecture::X8664,
                Architecture::Arm64 => types::Architecture::Arm64,
            })
            .client_token(token)
            .tags(TAG, &plan.name)
            .tags("emrcost:arm", &arm.arm.label);
        let sized = arm
            .serverless
            .as_ref()
            .ok_or("CreateApplication: not an EMR Serverless arm")?;
        if let Some(c) = arm.arm.initial_capacity {
            let worker = |w: &crate::cost::serverless::ServerlessWorker| {
                types::WorkerResourceConfig::builder()
                    .cpu(format!("{} vCPU", w.vcpu))
                    .memory(format!("{} GB", w.memory_gb))
                    .disk(format!("{} GB", w.disk_gb))
                    .build()
                    .map_err(|e| e.to_string())
            };
            for (kind, count, w) in [
                ("Driver", c.drivers, &sized.driver_worker),
                ("Executor", c.executors, &sized.executor_worker),
            ] {
                if count == 0 {
                    continue;
                }
                let config = types::InitialCapacityConfig::builder()
                    .worker_count(i64::from(count))
                    .worker_configuration(worker(w)?)
                    .build()
                    .map_err(|e| e.to_string())?;
                req = req.initial_capacity(kind, config);
            }
        }
        let out = call!(self.pacer, write, "CreateApplication", req.clone().send())?;
        Ok(out.application_id().to_string())
    }

    pub async fn start_application(&self, id: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "StartApplication",
            self.client.start_application().application_id(id).send()
        )
        .map(|_| ())
    }

    pub async fn stop_application(&self, id: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "StopApplication",
            self.client.stop_application().application_id(id).send()
        )
        .map(|_| ())
    }

    pub async fn delete_application(&self, id: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "DeleteApplication",
            self.client.delete_application().application_id(id).send()
        )
        .map(|_| ())
    }

    /// GetApplication: its state and what a run record needs of it.
    pub async fn application(&self, id: &str) -> Result<(String, ApplicationInfo), String> {
        let out = call!(
            self.pacer,
            read,
            "GetApplication",
            self.client.get_application().application_id(id).send()
        )?;
        let app = out
            .application()
            .ok_or_else(|| format!("GetApplication {id}: the answer carries no application"))?;
        let architecture = match app.architecture() {
            Some(types::Architecture::Arm64) => Architecture::Arm64,
            _ => Architecture::X86_64,
        };
        Ok((
            app.state().as_str().to_string(),
            ApplicationInfo {
                region: self.region.clone(),
                application_id: id.to_string(),
                name: app.name().map(str::to_string),
                architecture,
                release_label: Some(app.release_label().to_string()),
                initial_capacity: Vec::new(),
                maximum_capacity: None,
                auto_start: None,
                auto_stop: None,
                idle_timeout_minutes: None,
                max_concurrent_runs: None,
                queue_timeout_minutes: None,
                observed_at: None,
                tags: Default::default(),
            },
        ))
    }

    /// StartJobRun, tagged with the plan, the arm and the repeat. `token`
    /// makes a retried submission idempotent.
    pub async fn start_job_run(
        &self,
        plan: &Plan,
        arm: &CheckedArm,
        application_id: &str,
        token: &str,
        repeat: u32,
    ) -> Result<String, String> {
        let sized = arm
            .serverless
            .as_ref()
            .ok_or("StartJobRun: not an EMR Serverless arm")?;
        let mut submit = types::SparkSubmit::builder()
            .entry_point(&plan.job.entry_point)
            .spark_submit_parameters(super::plan::spark_submit_parameters(plan, &arm.arm, sized));
        for a in &plan.job.arguments {
            submit = submit.entry_point_arguments(a);
        }
        let driver = types::JobDriver::SparkSubmit(submit.build().map_err(|e| e.to_string())?);
        let mut req = self
            .client
            .start_job_run()
            .application_id(application_id)
            .client_token(token)
            .execution_role_arn(plan.job.execution_role.clone().unwrap_or_default())
            .job_driver(driver)
            .execution_timeout_minutes(i64::from(plan.timeout_minutes))
            // The run's name says its plan, arm and repeat: it is the
            // job_name of the run in `runs.csv` and in `report`.
            .name(format!(
                "emrcost-bench-{}-{}-{}",
                plan.name,
                slug(&arm.arm.label),
                repeat + 1
            ))
            .tags(TAG, &plan.name)
            .tags("emrcost:arm", &arm.arm.label);
        if let Some(uri) = &plan.job.log_uri {
            req = req.configuration_overrides(
                types::ConfigurationOverrides::builder()
                    .monitoring_configuration(
                        types::MonitoringConfiguration::builder()
                            .s3_monitoring_configuration(
                                types::S3MonitoringConfiguration::builder()
                                    .log_uri(uri)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
        let out = call!(self.pacer, write, "StartJobRun", req.clone().send())?;
        Ok(out.job_run_id().to_string())
    }

    pub async fn cancel_job_run(&self, application_id: &str, run: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "CancelJobRun",
            self.client
                .cancel_job_run()
                .application_id(application_id)
                .job_run_id(run)
                .send()
        )
        .map(|_| ())
    }

    /// GetJobRun as a record, with the state details AWS gives (why a run
    /// failed).
    pub async fn job_run(
        &self,
        app: &ApplicationInfo,
        run: &str,
    ) -> Result<(JobRun, Option<String>), String> {
        let out = call!(
            self.pacer,
            read,
            "GetJobRun",
            self.client
                .get_job_run()
                .application_id(&app.application_id)
                .job_run_id(run)
                .send()
        )?;
        let jr = out
            .job_run()
            .ok_or_else(|| format!("GetJobRun {run}: the answer carries no jobRun"))?;
        let details = Some(jr.state_details().to_string()).filter(|s| !s.is_empty());
        Ok((convert(jr, app)?, details))
    }
}

/// A label as it may appear in an application name.
pub fn slug(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
