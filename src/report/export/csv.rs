//! CSV: one file per table. Dollar amounts keep six decimals so that sums
//! can be checked against the per-job rows.

use crate::report::{CrossoverReport, GroupSummary, JobLine, Report};

fn f6(v: f64) -> String {
    format!("{v:.6}")
}

fn opt6(v: Option<f64>) -> String {
    v.map(f6).unwrap_or_default()
}

fn finish(w: ::csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The columns of the per-run table (`jobs.csv`, `price --format csv`).
pub const JOB_COLUMNS: [&str; 30] = [
    "region",
    "application_id",
    "application_name",
    "job_run_id",
    "attempt",
    "job_name",
    "state",
    "architecture",
    "month",
    "runtime_s",
    "queued_s",
    "shape_basis",
    "executors",
    "executor_vcpu",
    "executor_memory_gb",
    "serverless_usd",
    "serverless_basis",
    "billed_vcpu_hours",
    "billed_memory_gb_hours",
    "billed_storage_gb_hours",
    "ec2_instance_type",
    "ec2_core_nodes",
    "ec2_usd",
    "ec2_spot_usd",
    "glue_worker_type",
    "glue_workers",
    "glue_usd",
    "glue_flex_usd",
    "cheapest",
    "not_priced_on",
];

/// One run's cells, in [`JOB_COLUMNS`] order.
pub fn job_record(j: &JobLine) -> [String; 30] {
    [
        j.region.clone(),
        j.application_id.clone(),
        j.application_name.clone().unwrap_or_default(),
        j.job_run_id.clone(),
        j.attempt.to_string(),
        j.job_name.clone().unwrap_or_default(),
        j.state.clone(),
        j.architecture.clone(),
        j.month.clone().unwrap_or_default(),
        format!("{}", j.runtime_s),
        j.queued_s.map(|q| format!("{q}")).unwrap_or_default(),
        j.shape_basis.clone(),
        format!("{:.4}", j.executors),
        format!("{}", j.executor_vcpu),
        format!("{:.3}", j.executor_memory_gb),
        f6(j.serverless_usd),
        j.serverless_basis.clone(),
        f6(j.billed_vcpu_hours),
        f6(j.billed_memory_gb_hours),
        f6(j.billed_storage_gb_hours),
        j.ec2_instance_type.clone().unwrap_or_default(),
        j.ec2_core_nodes.map(|n| n.to_string()).unwrap_or_default(),
        opt6(j.ec2_usd),
        opt6(j.ec2_spot_usd),
        j.glue_worker_type.clone().unwrap_or_default(),
        j.glue_workers.map(|n| n.to_string()).unwrap_or_default(),
        opt6(j.glue_usd),
        opt6(j.glue_flex_usd),
        j.cheapest.key().to_string(),
        j.not_priced_on.join("; "),
    ]
}

/// One row per priced job run.
pub fn jobs(report: &Report) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(JOB_COLUMNS);
    for j in &report.jobs {
        let _ = w.write_record(job_record(j));
    }
    finish(w)
}

fn group_row(kind: &str, g: &GroupSummary) -> Vec<String> {
    vec![
        kind.to_string(),
        g.key.clone(),
        g.name.clone().unwrap_or_default(),
        g.region.clone().unwrap_or_default(),
        g.architecture.clone().unwrap_or_default(),
        g.runs.to_string(),
        g.succeeded.to_string(),
        g.failed.to_string(),
        g.cancelled.to_string(),
        format!("{:.4}", g.runtime_hours),
        format!("{}", g.runtime_p50_s),
        format!("{}", g.runtime_p95_s),
        format!("{}", g.runtime_max_s),
        g.queue_p50_s.map(|q| format!("{q}")).unwrap_or_default(),
        g.queue_p95_s.map(|q| format!("{q}")).unwrap_or_default(),
        f6(g.costs.emr_serverless_usd),
        opt6(g.costs.ec2_on_demand_usd),
        opt6(g.costs.ec2_spot_usd),
        opt6(g.costs.glue_standard_usd),
        opt6(g.costs.glue_flex_usd),
        g.cheapest.key().to_string(),
        f6(g.saving_usd),
    ]
}

/// Totals per application, per month, and overall.
pub fn summary(report: &Report) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "group",
        "key",
        "name",
        "region",
        "architecture",
        "runs",
        "succeeded",
        "failed",
        "cancelled",
        "runtime_hours",
        "runtime_p50_s",
        "runtime_p95_s",
        "runtime_max_s",
        "queue_p50_s",
        "queue_p95_s",
        "emr_serverless_usd",
        "ec2_on_demand_usd",
        "ec2_spot_usd",
        "glue_standard_usd",
        "glue_flex_usd",
        "cheapest",
        "saving_usd",
    ]);
    for g in &report.groups {
        let _ = w.write_record(group_row(report.group_by.as_str(), g));
    }
    for g in &report.months {
        let _ = w.write_record(group_row("month", g));
    }
    let _ = w.write_record(group_row("total", &report.total));
    finish(w)
}

/// Every crossover of every application, one row each.
pub fn crossovers(report: &Report) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "application_id",
        "option_a",
        "option_b",
        "runtime_s",
        "cheaper_below",
        "cheaper_above",
        "cost_usd",
    ]);
    for g in &report.groups {
        let Some(x) = &g.crossovers else { continue };
        for p in &x.analysis.pairs {
            for c in &p.crossovers {
                let _ = w.write_record([
                    g.key.clone(),
                    p.a.key().to_string(),
                    p.b.key().to_string(),
                    format!("{:.3}", c.runtime_s),
                    c.cheaper_below.key().to_string(),
                    c.cheaper_above.key().to_string(),
                    f6(c.cost_usd),
                ]);
            }
        }
    }
    finish(w)
}

/// The crossover command's sample table: runtime, then one column per option.
pub fn crossover_samples(r: &CrossoverReport) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["runtime_s".to_string()];
    header.extend(r.options.iter().map(|o| format!("{}_usd", o.key())));
    header.push("cheapest".into());
    let _ = w.write_record(&header);
    for s in &r.samples {
        let mut row = vec![format!("{}", s.runtime_s)];
        row.extend(s.costs_usd.iter().map(|(_, v)| f6(*v)));
        row.push(s.cheapest.key().to_string());
        let _ = w.write_record(&row);
    }
    finish(w)
}
