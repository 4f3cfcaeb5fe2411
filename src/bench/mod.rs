//! `emrcost bench`: runs one Spark job in several configurations (arms) on
//! EMR Serverless and measures startup, runtime and billed cost side by
//! side. [`plan`] reads and checks the plan; [`aws`] makes the paced calls;
//! [`runner`] runs it resumably; [`summary`] turns the runs into results.
//! Benchmark runs are runs: they are priced by the one pricer and written
//! in the one run table (`runs.csv`), so `emrcost report` reads them too.

pub mod aws;
pub mod plan;
pub mod runner;
pub mod summary;

use plan::CheckedPlan;

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
                        a.driver_worker.vcpu,
                        a.driver_worker.memory_gb,
                        c.executors,
                        a.executor_worker.vcpu,
                        a.executor_worker.memory_gb,
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
            plan::spark_submit_parameters(p, arm)
        ));
        out.push_str(&format!(
            "    then GetJobRun every {} s until the run ends, and until billed usage arrives (at most {} s more)\n",
            crate::cost::fmt_num(p.poll_seconds),
            crate::cost::fmt_num(p.billed_wait_seconds)
        ));
        if arm.application_id.is_none() {
            out.push_str("  StopApplication, DeleteApplication when done (or interrupted)\n");
        }
        out.push_str(&format!(
            "  at most ${:.2} an hour per run (driver + {} executors of {} vCPU / {} GB)\n\n",
            a.max_hour_usd, a.max_executors, a.executor_worker.vcpu, a.executor_worker.memory_gb
        ));
    }
    out.push_str(&format!(
        "Worst case: ${:.2} (every run at its {}-minute timeout with the most executors, plus pre-initialized capacity for that time and {} idle minutes before auto-stop).\n\n",
        checked.worst_case_usd,
        p.timeout_minutes,
        crate::cost::fmt_num(plan::AUTO_STOP_MINUTES)
    ));
    out
}
