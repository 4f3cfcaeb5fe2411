//! `emrcost bench`: runs one Spark job in several configurations (arms) on
//! EMR Serverless and measures startup, runtime and billed cost side by
//! side. [`plan`] reads and checks the plan; [`aws`] makes the paced calls;
//! [`runner`] runs it resumably; [`summary`] turns the runs into results.
//! Benchmark runs are runs: they are priced by the one pricer and written
//! in the one run table (`runs.csv`), so `emrcost report` reads them too.

pub mod aws;
pub mod emr;
pub mod glue;
pub mod plan;
pub mod runner;
pub mod summary;

use std::sync::Arc;

use crate::collect::pacing::{Backoff, Bucket, CallStats};
use plan::CheckedPlan;

/// The buckets and retries every `bench` call goes through: writes at the
/// write quota, reads at the read quota, one count of calls for the plan.
pub struct Pacer {
    pub region: String,
    pub write: Bucket,
    pub read: Bucket,
    pub backoff: Backoff,
    pub stats: Arc<CallStats>,
}

impl Pacer {
    pub fn new(region: &str, stats: Arc<CallStats>) -> Pacer {
        Pacer {
            region: region.to_string(),
            write: Bucket::new(aws::WRITE_RATE),
            read: Bucket::new(aws::READ_RATE),
            backoff: Backoff::default(),
            stats,
        }
    }
}

/// One paced call: `call!(pacer, write|read, "Operation", request.send())`,
/// its error as a line naming the operation and the region.
macro_rules! call {
    ($p:expr, $bucket:ident, $op:literal, $send:expr) => {
        call!(
            $p,
            $bucket,
            $op,
            $send,
            crate::collect::emr_serverless::classify
        )
    };
    // A write that is not idempotent: retried only when it was refused
    // (throttled), never after a timeout or a server error, when it may
    // have gone through.
    ($p:expr, $bucket:ident, $op:literal, $send:expr, once) => {
        call!(
            $p,
            $bucket,
            $op,
            $send,
            |e| match crate::collect::emr_serverless::classify(e) {
                crate::collect::pacing::Failure::Transient =>
                    crate::collect::pacing::Failure::Permanent,
                other => other,
            }
        )
    };
    ($p:expr, $bucket:ident, $op:literal, $send:expr, $classify:expr) => {
        crate::collect::pacing::paced(&$p.$bucket, &$p.backoff, &$p.stats, $classify, || $send)
            .await
            .map_err(|e| {
                format!(
                    "{} in {}: {}",
                    $op,
                    $p.region,
                    crate::collect::emr_serverless::describe(&e)
                )
            })
    };
}
pub(crate) use call;

/// What the benchmark would do, call by call, and the most it could cost.
pub fn dry_run(checked: &CheckedPlan) -> String {
    let p = &checked.plan;
    let mut out = format!(
        "Plan {} in {}: {} arm(s) x {} repeat(s), {}, each run limited to {} minutes.\n\n",
        p.name,
        p.region,
        checked.arms.len(),
        p.repeat,
        match p.order {
            plan::Order::Sequential => "one arm after another",
            plan::Order::Interleaved => "interleaved (A B C A B C)",
        },
        p.timeout_minutes
    );
    for a in &checked.arms {
        let arm = &a.arm;
        out.push_str(&format!(
            "Arm {} ({}, {}):\n",
            arm.label, arm.service, a.architecture
        ));
        if let Some(s) = &a.serverless {
            serverless_calls(&mut out, checked, a, s);
        }
        if let Some(g) = &a.glue {
            glue_calls(&mut out, checked, a, g);
        }
        if let Some(e) = &a.ec2 {
            cluster_calls(&mut out, checked, a, e);
        }
    }
    if p.concurrency > 1 {
        out.push_str(&format!(
            "Up to {} runs in flight at once, submitted in the order above (concurrent runs share the account's quotas and can slow each other).\n",
            p.concurrency
        ));
    }
    out.push_str(&format!(
        "Worst case: ${:.2} (every run at its {}-minute timeout with the most executors, plus pre-initialized capacity for that time and {} idle minutes before auto-stop{}).\n\n",
        checked.worst_case_usd,
        p.timeout_minutes,
        crate::cost::fmt_num(plan::AUTO_STOP_MINUTES),
        if checked.arms.iter().any(|a| a.ec2.as_ref().is_some_and(|e| e.transient.is_some())) {
            format!(
                "; a transient cluster also for {} minutes of provisioning",
                crate::cost::fmt_num(plan::PROVISION_LIMIT_MINUTES)
            )
        } else {
            String::new()
        }
    ));
    out
}

fn serverless_calls(
    out: &mut String,
    checked: &CheckedPlan,
    a: &plan::CheckedArm,
    s: &plan::ServerlessArm,
) {
    let p = &checked.plan;
    let arm = &a.arm;
    match &arm.application_id {
        Some(id) => out.push_str(&format!("  GetApplication {id} (existing; not changed)\n")),
        None => {
            out.push_str(&format!(
                "  CreateApplication emrcost-bench-{}-{} (SPARK, {}, {}), tagged {}={}\n",
                p.name,
                aws::slug(&arm.label),
                p.job.release_label,
                a.architecture,
                aws::TAG,
                p.name
            ));
            if let Some(c) = arm.initial_capacity {
                out.push_str(&format!(
                    "    pre-initialized: {} driver(s) {} vCPU / {} GB, {} executor(s) {} vCPU / {} GB (${:.4}/h while started)\n",
                    c.drivers,
                    s.driver_worker.vcpu,
                    s.driver_worker.memory_gb,
                    c.executors,
                    s.executor_worker.vcpu,
                    s.executor_worker.memory_gb,
                    a.initial_hour_usd
                ));
                out.push_str("  StartApplication, then GetApplication until STARTED\n");
            }
        }
    }
    out.push_str(&format!(
        "  {} x StartJobRun {} with {}\n",
        p.repeat,
        p.job.entry_point,
        plan::spark_submit_parameters(p, arm, s)
    ));
    poll_line(out, p);
    if arm.application_id.is_none() {
        out.push_str("  StopApplication, DeleteApplication when done (or interrupted)\n");
    }
    out.push_str(&format!(
        "  at most ${:.2} an hour per run (driver + {} executors of {} vCPU / {} GB)\n\n",
        a.max_hour_usd, s.max_executors, s.executor_worker.vcpu, s.executor_worker.memory_gb
    ));
}

fn glue_calls(out: &mut String, checked: &CheckedPlan, a: &plan::CheckedArm, g: &plan::GlueArm) {
    let p = &checked.plan;
    let arm = &a.arm;
    let job = match &arm.job_name {
        Some(name) => {
            out.push_str(&format!("  GetJob {name} (existing; not changed)\n"));
            name.clone()
        }
        None => {
            let name = glue::job_name(p, &arm.label);
            out.push_str(&format!(
                "  CreateJob {name} (glueetl {}, Glue {}, {} x {}), tagged {}={}\n",
                p.job.entry_point,
                g.version,
                g.workers,
                g.worker_type,
                aws::TAG,
                p.name
            ));
            name
        }
    };
    out.push_str(&format!(
        "  {} x StartJobRun {job} ({}, {} x {}, timeout {} min)\n",
        p.repeat,
        match g.class {
            crate::pricing::GlueClass::Standard => "standard",
            crate::pricing::GlueClass::Flex => "Flex",
        },
        g.workers,
        g.worker_type,
        p.timeout_minutes
    ));
    out.push_str(&format!(
        "    then GetJobRun every {} s until the run ends (DPUSeconds come with the end)\n",
        crate::cost::fmt_num(p.poll_seconds)
    ));
    if arm.job_name.is_none() {
        out.push_str("  DeleteJob when done (or interrupted; BatchStopJobRun first)\n");
    }
    out.push_str(&format!(
        "  at most ${:.2} an hour per run ({} DPU at ${}/DPU-h; minimum {} s)\n\n",
        a.max_hour_usd,
        crate::cost::fmt_num(f64::from(g.workers) * g.dpu_per_worker),
        crate::cost::fmt_num(g.dpu_hour_usd),
        crate::cost::fmt_num(g.version.minimum_seconds())
    ));
}

fn cluster_calls(out: &mut String, checked: &CheckedPlan, a: &plan::CheckedArm, e: &plan::Ec2Arm) {
    let p = &checked.plan;
    let arm = &a.arm;
    let step = plan::step_args(p, arm).join(" ");
    match (&e.cluster_id, &e.transient) {
        (Some(id), _) => {
            out.push_str(&format!(
                "  DescribeCluster {id} (existing; must be WAITING or RUNNING; not changed)\n"
            ));
            out.push_str(&format!(
                "  {} x AddJobFlowSteps {id}: command-runner.jar {step}\n",
                p.repeat
            ));
            out.push_str(&format!(
                "    then DescribeStep every {} s until the step ends, ListInstances for the cost (the instances' time during the step)\n",
                crate::cost::fmt_num(p.poll_seconds)
            ));
            out.push_str("  CancelSteps on Ctrl-C, or when a step passes the timeout\n");
            out.push_str("  the cluster bills whether or not the benchmark runs: nothing new is added to the worst case\n\n");
        }
        (None, Some((primary, core, nodes))) => {
            out.push_str(&format!(
                "  {} x RunJobFlow emrcost-bench-{}-{}-N ({}, Spark, primary 1 x {primary}, core {nodes} x {core}, on-demand, roles {} / {}), tagged {}={}, ending itself after its one step:\n    command-runner.jar {step}\n",
                p.repeat,
                p.name,
                aws::slug(&arm.label),
                p.job.release_label,
                e.service_role,
                e.instance_profile,
                aws::TAG,
                p.name
            ));
            out.push_str(&format!(
                "    then DescribeCluster and DescribeStep every {} s until the cluster has terminated, ListInstances for the instances' lifetimes\n",
                crate::cost::fmt_num(p.poll_seconds)
            ));
            out.push_str(&format!(
                "  TerminateJobFlows on Ctrl-C, or when a cluster passes the timeout plus {} minutes of provisioning\n",
                crate::cost::fmt_num(plan::PROVISION_LIMIT_MINUTES)
            ));
            out.push_str(&format!(
                "  at most ${:.2} an hour per run (EC2 + EMR + default EBS of every node)\n\n",
                a.max_hour_usd
            ));
        }
        (None, None) => {}
    }
}

fn poll_line(out: &mut String, p: &plan::Plan) {
    out.push_str(&format!(
        "    then GetJobRun every {} s until the run ends, and until billed usage arrives (at most {} s more)\n",
        crate::cost::fmt_num(p.poll_seconds),
        crate::cost::fmt_num(p.billed_wait_seconds)
    ));
}
