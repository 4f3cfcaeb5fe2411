//! The EMR on EC2 calls `bench` makes, paced like the others: a transient
//! cluster per run (RunJobFlow with the step, ended by EMR when the step
//! is done) or a step on an existing cluster (AddJobFlowSteps); the step
//! and the cluster polled; the instances' lifetimes read (ListInstances)
//! for the cost; TerminateJobFlows or CancelSteps on Ctrl-C.
//!
//! EMR's per-call rates are listed in Service Quotas, the Describe and List
//! figures unverified (FACTS.md section 13): writes go at 0.5 per second,
//! burst 5 (AddInstanceFleet's published figure, the lowest we know),
//! reads at 5 per second, burst 10 (emrcost's choice, below the EMR
//! Serverless read quota).

use std::sync::Arc;

use aws_sdk_emr as emr;
use chrono::{DateTime, Utc};
use emr::types;

use super::aws::TAG;
use super::call;
use super::plan::{CheckedArm, Ec2Arm, NodeHour, Plan};
use crate::collect::pacing::{Backoff, Bucket, CallStats, Rate};

pub const WRITE_RATE: Rate = Rate {
    per_second: 0.5,
    burst: 5,
};
pub const READ_RATE: Rate = Rate {
    per_second: 5.0,
    burst: 10,
};

/// EMR on EC2 bills each instance per second with a one-minute minimum
/// (the same rule as the EMR on EC2 model, `cost::ec2::MINIMUM_SECONDS`).
pub use crate::cost::ec2::MINIMUM_SECONDS;

/// The cluster name `bench` gives a transient cluster.
pub fn cluster_name(plan: &Plan, label: &str, repeat: u32) -> String {
    format!(
        "emrcost-bench-{}-{}-{}",
        plan.name,
        super::aws::slug(label),
        repeat + 1
    )
}

/// A cluster's state and timeline (DescribeCluster).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterStatus {
    pub state: String,
    pub created: Option<DateTime<Utc>>,
    pub ready: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl ClusterStatus {
    pub fn is_ended(&self) -> bool {
        matches!(self.state.as_str(), "TERMINATED" | "TERMINATED_WITH_ERRORS")
    }
}

/// A step's state and timeline (DescribeStep).
#[derive(Debug, Clone, PartialEq)]
pub struct StepStatus {
    pub state: String,
    pub created: Option<DateTime<Utc>>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl StepStatus {
    /// COMPLETED, CANCELLED, FAILED and INTERRUPTED end a step.
    pub fn is_final(&self) -> bool {
        matches!(
            self.state.as_str(),
            "COMPLETED" | "CANCELLED" | "FAILED" | "INTERRUPTED"
        )
    }
}

/// One instance's type and lifetime (ListInstances).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceLife {
    pub instance_type: String,
    pub market: String,
    pub created: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
}

pub struct Emr {
    client: emr::Client,
    pacer: super::Pacer,
}

use crate::collect::emr_serverless::utc as time;

impl Emr {
    pub fn new(config: &aws_config::SdkConfig, region: &str, stats: Arc<CallStats>) -> Emr {
        let conf = emr::config::Builder::from(config)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Emr {
            client: emr::Client::from_conf(conf),
            pacer: super::Pacer {
                region: region.to_string(),
                write: Bucket::new(WRITE_RATE),
                read: Bucket::new(READ_RATE),
                backoff: Backoff::default(),
                stats,
            },
        }
    }

    fn step(plan: &Plan, arm: &CheckedArm, repeat: u32) -> types::StepConfig {
        let jar = types::HadoopJarStepConfig::builder()
            .jar("command-runner.jar")
            .set_args(Some(super::plan::step_args(plan, &arm.arm)))
            .build();
        types::StepConfig::builder()
            .name(format!("emrcost-bench {} #{}", arm.arm.label, repeat + 1))
            .action_on_failure(types::ActionOnFailure::Continue)
            .hadoop_jar_step(jar)
            .build()
    }

    /// RunJobFlow: a cluster of the arm's instance groups (on-demand) that
    /// runs the step and ends itself when the step is done. RunJobFlow has
    /// no idempotency token, so it is never retried after a timeout.
    pub async fn run_cluster(
        &self,
        plan: &Plan,
        arm: &CheckedArm,
        e: &Ec2Arm,
        repeat: u32,
    ) -> Result<String, String> {
        let (primary, core, nodes) = e
            .transient
            .as_ref()
            .ok_or("RunJobFlow: the arm names an existing cluster")?;
        let group = |role: types::InstanceRoleType, t: &str, n: u32| {
            types::InstanceGroupConfig::builder()
                .instance_role(role)
                .instance_type(t)
                .instance_count(n as i32)
                .market(types::MarketType::OnDemand)
                .build()
        };
        let instances = types::JobFlowInstancesConfig::builder()
            .instance_groups(group(types::InstanceRoleType::Master, primary, 1))
            .instance_groups(group(types::InstanceRoleType::Core, core, *nodes))
            .keep_job_flow_alive_when_no_steps(false)
            .build();
        let tag = |k: &str, v: &str| types::Tag::builder().key(k).value(v).build();
        let mut req = self
            .client
            .run_job_flow()
            .name(cluster_name(plan, &arm.arm.label, repeat))
            .release_label(&plan.job.release_label)
            .applications(types::Application::builder().name("Spark").build())
            .instances(instances)
            .steps(Self::step(plan, arm, repeat))
            .service_role(&e.service_role)
            .job_flow_role(&e.instance_profile)
            .visible_to_all_users(true)
            .tags(tag(TAG, &plan.name))
            .tags(tag("emrcost:arm", &arm.arm.label));
        if let Some(uri) = &plan.job.log_uri {
            req = req.log_uri(uri);
        }
        let out = call!(self.pacer, write, "RunJobFlow", req.clone().send(), once)?;
        out.job_flow_id()
            .map(str::to_string)
            .ok_or_else(|| "RunJobFlow: the answer carries no JobFlowId".to_string())
    }

    /// AddJobFlowSteps on an existing cluster (not retried after a timeout:
    /// a second step could run unseen).
    pub async fn add_step(
        &self,
        plan: &Plan,
        arm: &CheckedArm,
        cluster: &str,
        repeat: u32,
    ) -> Result<String, String> {
        let req = self
            .client
            .add_job_flow_steps()
            .job_flow_id(cluster)
            .steps(Self::step(plan, arm, repeat));
        let out = call!(
            self.pacer,
            write,
            "AddJobFlowSteps",
            req.clone().send(),
            once
        )?;
        out.step_ids()
            .first()
            .cloned()
            .ok_or_else(|| format!("AddJobFlowSteps {cluster}: the answer carries no step id"))
    }

    /// The cluster's first step (a transient cluster runs exactly one).
    pub async fn first_step(&self, cluster: &str) -> Result<Option<String>, String> {
        let out = call!(
            self.pacer,
            read,
            "ListSteps",
            self.client.list_steps().cluster_id(cluster).send()
        )?;
        // ListSteps answers newest first: the first step is the last.
        Ok(out.steps().last().and_then(|s| s.id()).map(str::to_string))
    }

    pub async fn cluster(&self, id: &str) -> Result<ClusterStatus, String> {
        let out = call!(
            self.pacer,
            read,
            "DescribeCluster",
            self.client.describe_cluster().cluster_id(id).send()
        )?;
        let status = out.cluster().and_then(|c| c.status());
        let timeline = status.and_then(|s| s.timeline());
        Ok(ClusterStatus {
            state: status
                .and_then(|s| s.state())
                .map_or("STARTING".into(), |s| s.as_str().to_string()),
            created: time(timeline.and_then(|t| t.creation_date_time())),
            ready: time(timeline.and_then(|t| t.ready_date_time())),
            ended: time(timeline.and_then(|t| t.end_date_time())),
            reason: status
                .and_then(|s| s.state_change_reason())
                .and_then(|r| r.message())
                .filter(|m| !m.is_empty())
                .map(str::to_string),
        })
    }

    pub async fn step_status(&self, cluster: &str, step: &str) -> Result<StepStatus, String> {
        let out = call!(
            self.pacer,
            read,
            "DescribeStep",
            self.client
                .describe_step()
                .cluster_id(cluster)
                .step_id(step)
                .send()
        )?;
        let status = out.step().and_then(|s| s.status());
        let timeline = status.and_then(|s| s.timeline());
        let failure = status.and_then(|s| s.failure_details()).and_then(|f| {
            let parts: Vec<&str> = [f.reason(), f.message()].into_iter().flatten().collect();
            (!parts.is_empty()).then(|| parts.join(": "))
        });
        Ok(StepStatus {
            state: status
                .and_then(|s| s.state())
                .map_or("PENDING".into(), |s| s.as_str().to_string()),
            created: time(timeline.and_then(|t| t.creation_date_time())),
            started: time(timeline.and_then(|t| t.start_date_time())),
            ended: time(timeline.and_then(|t| t.end_date_time())),
            reason: failure.or_else(|| {
                status
                    .and_then(|s| s.state_change_reason())
                    .and_then(|r| r.message())
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
            }),
        })
    }

    /// Every instance the cluster had, with its lifetime (all pages).
    pub async fn instances(&self, cluster: &str) -> Result<Vec<InstanceLife>, String> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = call!(
                self.pacer,
                read,
                "ListInstances",
                self.client
                    .list_instances()
                    .cluster_id(cluster)
                    .set_marker(marker.clone())
                    .send()
            )?;
            for i in page.instances() {
                let timeline = i.status().and_then(|s| s.timeline());
                out.push(InstanceLife {
                    instance_type: i.instance_type().unwrap_or_default().to_string(),
                    market: i
                        .market()
                        .map_or("ON_DEMAND".into(), |m| m.as_str().to_string()),
                    created: time(timeline.and_then(|t| t.creation_date_time())),
                    ended: time(timeline.and_then(|t| t.end_date_time())),
                });
            }
            marker = page.marker().map(str::to_string);
            if marker.is_none() {
                return Ok(out);
            }
        }
    }

    pub async fn terminate(&self, cluster: &str) -> Result<(), String> {
        call!(
            self.pacer,
            write,
            "TerminateJobFlows",
            self.client
                .terminate_job_flows()
                .job_flow_ids(cluster)
                .send()
        )
        .map(|_| ())
    }

    /// CancelSteps. EMR may refuse to cancel a running step (releases
    /// before 5.28 cancel only pending ones): that is an error, since the
    /// step would go on.
    pub async fn cancel_step(&self, cluster: &str, step: &str) -> Result<(), String> {
        let out = call!(
            self.pacer,
            write,
            "CancelSteps",
            self.client
                .cancel_steps()
                .cluster_id(cluster)
                .step_ids(step)
                .send()
        )?;
        match out
            .cancel_steps_info_list()
            .iter()
            .find(|i| i.step_id() == Some(step))
        {
            Some(i) if i.status() == Some(&types::CancelStepsRequestStatus::Failed) => {
                Err(format!(
                "CancelSteps {step} on {cluster}: EMR refused ({}); cancel it in the EMR console",
                i.reason().unwrap_or("no reason given")
            ))
            }
            _ => Ok(()),
        }
    }

    /// The cluster a RunJobFlow whose answer was lost created: one of ours
    /// by name, created at or after `after`.
    pub async fn find_cluster(
        &self,
        name: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<String>, String> {
        let mut marker: Option<String> = None;
        loop {
            let page = call!(
                self.pacer,
                read,
                "ListClusters",
                self.client
                    .list_clusters()
                    .created_after(aws_smithy_types::DateTime::from_millis(
                        after.timestamp_millis()
                    ))
                    .set_marker(marker.clone())
                    .send()
            )?;
            if let Some(c) = page.clusters().iter().find(|c| c.name() == Some(name)) {
                return Ok(c.id().map(str::to_string));
            }
            marker = page.marker().map(str::to_string);
            if marker.is_none() {
                return Ok(None);
            }
        }
    }
}

/// What the instances cost over `window` (the whole lifetime of a
/// transient cluster's instances, or the step's span on an existing
/// cluster): each instance's time inside the window, at least the
/// one-minute minimum for an instance the window holds whole, at the
/// type's EC2 + EMR + default EBS rate. Instance types the price book
/// lacks are returned by name, unpriced; spot instances are priced at
/// on-demand (an upper bound) and counted.
pub fn cost_of(
    instances: &[InstanceLife],
    rates: &std::collections::BTreeMap<String, NodeHour>,
    window: (DateTime<Utc>, DateTime<Utc>),
    whole: bool,
) -> InstanceCost {
    let mut c = InstanceCost::default();
    for i in instances {
        let (Some(created), Some(ended)) = (i.created, i.ended.or(Some(window.1))) else {
            c.missing_times += 1;
            continue;
        };
        let from = created.max(window.0);
        let to = ended.min(window.1);
        let mut seconds = (to - from).num_milliseconds().max(0) as f64 / 1000.0;
        if whole {
            seconds = seconds.max(MINIMUM_SECONDS);
        }
        if seconds <= 0.0 {
            continue;
        }
        match rates.get(&i.instance_type) {
            Some(r) => {
                c.usd += seconds / 3600.0 * r.hour_usd();
                c.instance_seconds += seconds;
            }
            None => c.unpriced.push(i.instance_type.clone()),
        }
        if i.market == "SPOT" {
            c.spot += 1;
        }
    }
    c
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceCost {
    pub usd: f64,
    pub instance_seconds: f64,
    pub unpriced: Vec<String>,
    pub missing_times: usize,
    pub spot: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn life(t: &str, from: i64, to: Option<i64>) -> InstanceLife {
        InstanceLife {
            instance_type: t.into(),
            market: "ON_DEMAND".into(),
            created: Some(at(from)),
            ended: to.map(at),
        }
    }

    fn rates() -> BTreeMap<String, NodeHour> {
        // m5.xlarge in us-east-1 as the embedded book has it: $0.192 EC2,
        // $0.048 EMR, 64 GiB gp3 at $0.08 per GB-month over 730 hours.
        let mut r = BTreeMap::new();
        r.insert(
            "m5.xlarge".to_string(),
            NodeHour {
                ec2_hour_usd: 0.192,
                emr_hour_usd: 0.048,
                ebs_gib: 64.0,
                ebs_gib_hour_usd: 0.08 / 730.0,
            },
        );
        r
    }

    #[test]
    fn a_transient_cluster_pays_each_instance_lifetime_with_the_minute_minimum() {
        // One node up 30 s (billed 60 s), two up an hour.
        let c = cost_of(
            &[
                life("m5.xlarge", 0, Some(30)),
                life("m5.xlarge", 0, Some(3600)),
                life("m5.xlarge", 0, Some(3600)),
            ],
            &rates(),
            (at(0), at(3600)),
            true,
        );
        let hour = 0.192 + 0.048 + 64.0 * 0.08 / 730.0;
        assert!(
            (c.usd - hour * (2.0 + 60.0 / 3600.0)).abs() < 1e-9,
            "{}",
            c.usd
        );
        assert_eq!(c.instance_seconds, 7260.0);
    }

    #[test]
    fn a_step_on_an_existing_cluster_pays_the_instances_time_inside_the_step() {
        // The step ran from 100 s to 400 s; one node came at 200 s.
        let c = cost_of(
            &[life("m5.xlarge", 0, None), life("m5.xlarge", 200, None)],
            &rates(),
            (at(100), at(400)),
            false,
        );
        assert_eq!(c.instance_seconds, 500.0);
    }

    #[test]
    fn an_unknown_instance_type_is_named_not_priced() {
        let c = cost_of(
            &[life("x9.huge", 0, Some(100))],
            &rates(),
            (at(0), at(100)),
            true,
        );
        assert_eq!(c.unpriced, vec!["x9.huge".to_string()]);
        assert_eq!(c.usd, 0.0);
    }
}
