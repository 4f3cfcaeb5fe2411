//! CSV: one file per table. Dollar amounts keep six decimals so that sums
//! can be checked against the per-job rows.

use crate::report::{CrossoverReport, GroupSummary, JobLine, Report};

fn f6(v: f64) -> String {
    let mut s = String::with_capacity(16);
    push_f6(&mut s, v);
    s
}

fn opt6(v: Option<f64>) -> String {
    v.map(f6).unwrap_or_default()
}

/// Appends `v` with six decimals, the text `format!("{v:.6}")` gives.
fn push_f6(out: &mut String, v: f64) {
    push_fixed(out, v, 6);
}

/// Appends `v` with `places` (1 to 6) decimals, the text
/// `format!("{v:.places$}")` gives. Millions of per-run cells: the usual
/// values are written from an integer of units of the last place. That is
/// the correctly rounded value whenever the scaled product is further than
/// 1e-3 from a half (its error is below 1.2e-4 up to 1e12 units); anything
/// else takes the standard path.
fn push_fixed(out: &mut String, v: f64, places: usize) {
    use std::fmt::Write;
    const SCALE: [u64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    let places = places.clamp(1, 6);
    let x = v * SCALE[places] as f64;
    let near_half = ((x - x.trunc()).abs() - 0.5).abs() <= 1e-3;
    if !(v.is_finite() && v > 0.0 && x < 1e12) || near_half {
        let _ = write!(out, "{v:.places$}");
        return;
    }
    let n = x.round() as u64;
    let unit = SCALE[places];
    let _ = write!(out, "{}.{:0places$}", n / unit, n % unit);
}

/// A text cell made safe to open in a spreadsheet: a cell that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a
/// formula, so it gets a leading `'` (OWASP's advice on CSV injection).
/// Only text cells (names, ids): numbers are written as they are.
pub fn text_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

fn finish(w: ::csv::Writer<Vec<u8>>) -> String {
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The columns of the per-run table (`jobs.csv`, `price --format csv`).
pub const JOB_COLUMNS: [&str; 38] = [
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
    "peak_executors",
    "peak_estimated",
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
    "eks_instance_type",
    "eks_nodes",
    "eks_usd",
    "ec2_usd_at_average",
    "glue_usd_at_average",
    "ec2_graviton_usd",
    "cheapest",
    "not_priced_on",
];

/// Writes one run's row, in [`JOB_COLUMNS`] order. `buf` is scratch
/// space for the figures (no allocation per cell: `price` writes millions).
pub fn write_job<W: std::io::Write>(
    w: &mut ::csv::Writer<W>,
    j: &JobLine,
    buf: &mut String,
) -> ::csv::Result<()> {
    use std::fmt::Write;
    let text = |w: &mut ::csv::Writer<W>, s: &str| w.write_field(text_cell(s).as_bytes());
    let num = |w: &mut ::csv::Writer<W>, buf: &mut String, f: &dyn Fn(&mut String)| {
        buf.clear();
        f(buf);
        w.write_field(buf.as_str())
    };
    let six = |v: f64| move |b: &mut String| push_f6(b, v);
    let opt_six = |v: Option<f64>| {
        move |b: &mut String| {
            if let Some(v) = v {
                push_f6(b, v)
            }
        }
    };
    text(w, &j.region)?;
    text(w, &j.application_id)?;
    text(w, j.application_name.as_deref().unwrap_or_default())?;
    text(w, &j.job_run_id)?;
    num(w, buf, &|b| {
        let _ = write!(b, "{}", j.attempt);
    })?;
    text(w, j.job_name.as_deref().unwrap_or_default())?;
    text(w, &j.state)?;
    text(w, &j.architecture)?;
    text(w, j.month.as_deref().unwrap_or_default())?;
    num(w, buf, &|b| {
        let _ = write!(b, "{}", j.runtime_s);
    })?;
    num(w, buf, &|b| {
        if let Some(q) = j.queued_s {
            let _ = write!(b, "{q}");
        }
    })?;
    text(w, &j.shape_basis)?;
    num(w, buf, &|b| {
        push_fixed(b, j.executors, 4);
    })?;
    num(w, buf, &|b| {
        push_fixed(b, j.peak_executors, 4);
    })?;
    num(w, buf, &|b| {
        b.push_str(if j.peak_estimated { "true" } else { "false" })
    })?;
    num(w, buf, &|b| {
        let _ = write!(b, "{}", j.executor_vcpu);
    })?;
    num(w, buf, &|b| {
        push_fixed(b, j.executor_memory_gb, 3);
    })?;
    num(w, buf, &six(j.serverless_usd))?;
    text(w, &j.serverless_basis)?;
    num(w, buf, &six(j.billed_vcpu_hours))?;
    num(w, buf, &six(j.billed_memory_gb_hours))?;
    num(w, buf, &six(j.billed_storage_gb_hours))?;
    text(w, j.ec2_instance_type.as_deref().unwrap_or_default())?;
    num(w, buf, &|b| {
        if let Some(n) = j.ec2_core_nodes {
            let _ = write!(b, "{n}");
        }
    })?;
    num(w, buf, &opt_six(j.ec2_usd))?;
    num(w, buf, &opt_six(j.ec2_spot_usd))?;
    text(w, j.glue_worker_type.as_deref().unwrap_or_default())?;
    num(w, buf, &|b| {
        if let Some(n) = j.glue_workers {
            let _ = write!(b, "{n}");
        }
    })?;
    num(w, buf, &opt_six(j.glue_usd))?;
    num(w, buf, &opt_six(j.glue_flex_usd))?;
    text(w, j.eks_instance_type.as_deref().unwrap_or_default())?;
    num(w, buf, &|b| {
        if let Some(n) = j.eks_nodes {
            let _ = write!(b, "{n}");
        }
    })?;
    num(w, buf, &opt_six(j.eks_usd))?;
    num(w, buf, &opt_six(j.ec2_usd_at_average))?;
    num(w, buf, &opt_six(j.glue_usd_at_average))?;
    num(w, buf, &opt_six(j.ec2_graviton_usd))?;
    text(w, j.cheapest.key())?;
    num(w, buf, &|b| b.push_str(&j.not_priced_on.join("; ")))?;
    w.write_record(None::<&[u8]>)
}

/// One row per priced job run.
pub fn jobs(report: &Report) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(JOB_COLUMNS);
    let mut buf = String::new();
    for j in &report.jobs {
        let _ = write_job(&mut w, j, &mut buf);
    }
    finish(w)
}

fn group_row(kind: &str, g: &GroupSummary) -> Vec<String> {
    vec![
        kind.to_string(),
        text_cell(&g.key).into_owned(),
        text_cell(g.name.as_deref().unwrap_or_default()).into_owned(),
        text_cell(g.region.as_deref().unwrap_or_default()).into_owned(),
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
        opt6(g.costs.emr_on_eks_usd),
        g.cheapest.key().to_string(),
        f6(g.saving_usd),
        g.peak_estimated_runs.to_string(),
        opt6(g.costs_at_average.and_then(|c| c.ec2_on_demand_usd)),
        opt6(g.costs_at_average.and_then(|c| c.ec2_spot_usd)),
        opt6(g.costs_at_average.and_then(|c| c.glue_standard_usd)),
        opt6(g.costs_at_average.and_then(|c| c.glue_flex_usd)),
        opt6(g.costs_at_average.and_then(|c| c.emr_on_eks_usd)),
        opt6(g.saving_at_average_usd),
        opt6(g.ec2_graviton_usd),
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
        "emr_on_eks_usd",
        "cheapest",
        "saving_usd",
        "peak_estimated_runs",
        "ec2_on_demand_at_average_usd",
        "ec2_spot_at_average_usd",
        "glue_standard_at_average_usd",
        "glue_flex_at_average_usd",
        "emr_on_eks_at_average_usd",
        "saving_at_average_usd",
        "ec2_graviton_usd",
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
                    text_cell(&g.key).into_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast six-decimal writer gives `format!("{:.6}")`'s text, which
    /// rounds the exact binary value: over random magnitudes, ties and
    /// their neighbours, zero, negatives and huge values.
    #[test]
    fn six_decimals_match_the_standard_formatter() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut values = vec![
            0.0,
            -0.0,
            0.5e-6,
            1.5e-6,
            2.5e-6,
            0.0000125,
            1.0000005,
            123.4565,
            1e12,
            -3.25,
            f64::NAN,
        ];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mantissa = (x >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi((x % 15) as i32 - 6);
            values.push(mantissa * scale);
            // Exactly representable halves of a millionth and their
            // neighbours.
            for scale in [1e6, 1e4, 1e3] {
                let half = ((x % 10_000_000) as f64 + 0.5) / scale;
                values.push(half);
                values.push(f64::from_bits(half.to_bits() + 1));
                values.push(f64::from_bits(half.to_bits() - 1));
            }
        }
        for v in values {
            assert_eq!(f6(v), format!("{v:.6}"), "{v:e}");
            for places in [3, 4] {
                let mut s = String::new();
                push_fixed(&mut s, v, places);
                assert_eq!(s, format!("{v:.places$}"), "{v:e} to {places}");
            }
        }
    }
}
