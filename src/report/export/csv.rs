//! CSV: one file per table. Dollar amounts keep six decimals so that sums
//! can be checked against the per-job rows.

use crate::report::{CrossoverReport, GroupSummary, JobLine, Report};

fn f6(v: f64) -> String {
    let mut s = Vec::with_capacity(16);
    push_fixed(&mut s, v, 6);
    // Digits, a sign, a point or "NaN"/"inf": ASCII.
    String::from_utf8(s).unwrap_or_default()
}

fn opt6(v: Option<f64>) -> String {
    v.map(f6).unwrap_or_default()
}

/// Appends `v` with `places` (1 to 6) decimals, the text
/// `format!("{v:.places$}")` gives. Millions of per-run cells: the usual
/// values are written from an integer of units of the last place. That is
/// the correctly rounded value whenever the scaled product is further than
/// 1e-3 from a half (its error is below 1.2e-4 up to 1e12 units); anything
/// else takes the standard path.
fn push_fixed(out: &mut Vec<u8>, v: f64, places: usize) {
    use std::io::Write;
    const SCALE: [u64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
    const ZEROS: &[u8; 8] = b"0.000000";
    let places = places.clamp(1, 6);
    if v == 0.0 && v.is_sign_positive() {
        out.extend_from_slice(&ZEROS[..places + 2]);
        return;
    }
    let x = v * SCALE[places] as f64;
    if !(v.is_finite() && v > 0.0 && x < 1e12) {
        let _ = write!(out, "{v:.places$}");
        return;
    }
    // x is positive and below 1e12: its whole part fits a u64 exactly.
    let whole = x as u64;
    let frac = x - whole as f64;
    if (frac - 0.5).abs() <= 1e-3 {
        let _ = write!(out, "{v:.places$}");
        return;
    }
    let n = whole + u64::from(frac > 0.5);
    // The units' digits, with the point put in before the last `places`
    // (and zeros before them when there are fewer digits than that).
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n).as_bytes();
    if digits.len() > places {
        let (int, dec) = digits.split_at(digits.len() - places);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(dec);
    } else {
        out.extend_from_slice(&ZEROS[..2 + places - digits.len()]);
        out.extend_from_slice(digits);
    }
}

/// Appends `v` as `format!("{v}")` writes it: the shortest text that
/// reads back as `v`, never with an exponent. Whole numbers below 1e15 are
/// written as integers. Others with at most 15 significant digits are
/// written by `ryu`: at that length only one candidate reads back as `v`,
/// so its shortest digits are the standard ones (at 16 and 17 digits two
/// can, and `ryu` breaks the tie to even where the standard formatter
/// rounds up). The rest take the standard path.
pub(crate) fn push_shortest(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    if v.fract() == 0.0 && v.abs() < 1e15 && v.is_sign_positive() {
        out.extend_from_slice(itoa::Buffer::new().format(v as i64).as_bytes());
        return;
    }
    if v.is_finite() {
        let mut buf = ryu::Buffer::new();
        let text = buf.format_finite(v).as_bytes();
        // ryu writes a whole number with ".0"; the standard text has none.
        let text = text.strip_suffix(b".0").unwrap_or(text);
        let significant = text
            .iter()
            .filter(|b| b.is_ascii_digit())
            .skip_while(|b| **b == b'0')
            .count();
        if significant <= 15 && !text.contains(&b'e') {
            out.extend_from_slice(text);
            return;
        }
    }
    let _ = write!(out, "{v}");
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

/// Appends a field as the csv crate writes it: quoted only when it holds a
/// comma, a quote or a line end, with its quotes doubled.
fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    if !bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for &b in bytes {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends one run's row, in [`JOB_COLUMNS`] order, with its line end.
/// Written straight to bytes (no allocation, no per-cell writer call):
/// `price` writes millions of rows.
pub fn push_job(out: &mut Vec<u8>, j: &JobLine) {
    let sep = |out: &mut Vec<u8>| out.push(b',');
    let text = |out: &mut Vec<u8>, s: &str| {
        push_field(out, text_cell(s).as_bytes());
        out.push(b',');
    };
    let opt_six = |out: &mut Vec<u8>, v: Option<f64>| {
        if let Some(v) = v {
            push_fixed(out, v, 6);
        }
        out.push(b',');
    };
    let opt_count = |out: &mut Vec<u8>, v: Option<u32>| {
        if let Some(n) = v {
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
        out.push(b',');
    };
    text(out, &j.region);
    text(out, &j.application_id);
    text(out, j.application_name.as_deref().unwrap_or_default());
    text(out, &j.job_run_id);
    opt_count(out, Some(j.attempt));
    text(out, j.job_name.as_deref().unwrap_or_default());
    text(out, &j.state);
    text(out, &j.architecture);
    text(out, j.month.as_deref().unwrap_or_default());
    push_shortest(out, j.runtime_s);
    sep(out);
    if let Some(q) = j.queued_s {
        push_shortest(out, q);
    }
    sep(out);
    text(out, &j.shape_basis);
    push_fixed(out, j.executors, 4);
    sep(out);
    push_fixed(out, j.peak_executors, 4);
    sep(out);
    out.extend_from_slice(if j.peak_estimated {
        b"true,"
    } else {
        b"false,"
    });
    push_shortest(out, j.executor_vcpu);
    sep(out);
    push_fixed(out, j.executor_memory_gb, 3);
    sep(out);
    opt_six(out, Some(j.serverless_usd));
    text(out, &j.serverless_basis);
    opt_six(out, Some(j.billed_vcpu_hours));
    opt_six(out, Some(j.billed_memory_gb_hours));
    opt_six(out, Some(j.billed_storage_gb_hours));
    text(out, j.ec2_instance_type.as_deref().unwrap_or_default());
    opt_count(out, j.ec2_core_nodes);
    opt_six(out, j.ec2_usd);
    opt_six(out, j.ec2_spot_usd);
    text(out, j.glue_worker_type.as_deref().unwrap_or_default());
    opt_count(out, j.glue_workers);
    opt_six(out, j.glue_usd);
    opt_six(out, j.glue_flex_usd);
    text(out, j.eks_instance_type.as_deref().unwrap_or_default());
    opt_count(out, j.eks_nodes);
    opt_six(out, j.eks_usd);
    opt_six(out, j.ec2_usd_at_average);
    opt_six(out, j.glue_usd_at_average);
    opt_six(out, j.ec2_graviton_usd);
    text(out, j.cheapest.key());
    // Not passed through `text_cell`: "option: reason" starts with a name.
    push_field(out, j.not_priced_on.join("; ").as_bytes());
    out.push(b'\n');
}

/// One row per priced job run.
pub fn jobs(report: &Report) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(JOB_COLUMNS);
    let mut out = w.into_inner().unwrap_or_default();
    for j in &report.jobs {
        push_job(&mut out, j);
    }
    String::from_utf8(out).unwrap_or_default()
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

    /// The next of a fixed xorshift sequence (the tests' random values).
    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

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
            let x = next(&mut x);
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
                let mut s = Vec::new();
                push_fixed(&mut s, v, places);
                assert_eq!(s, format!("{v:.places$}").into_bytes(), "{v:e} to {places}");
            }
        }
    }

    /// The shortest-text writer gives `format!("{v}")`'s text: whole
    /// numbers, millisecond runtimes, random magnitudes from 1e-9 to 1e20
    /// (ryu's exponent range on both sides), zeros, negatives and
    /// non-finite values.
    #[test]
    fn shortest_text_matches_the_standard_formatter() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.30000000000000004,
            1e15,
            1e15 - 1.0,
            1e16,
            123456789012345680.0,
            1e-5,
            1e-7,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for _ in 0..200_000 {
            let x = next(&mut x);
            values.push((x % 100_000_000) as f64 / 1000.0);
            values.push((x % 1_000_000) as f64);
            let mantissa = (x >> 11) as f64 / (1u64 << 53) as f64;
            values.push(mantissa * 10f64.powi((x % 30) as i32 - 9));
            values.push(-mantissa);
        }
        for v in values {
            let mut s = Vec::new();
            push_shortest(&mut s, v);
            assert_eq!(s, format!("{v}").into_bytes(), "{v:e}");
        }
    }

    /// The row the csv crate writes from the same cells, each formatted by
    /// the standard formatter: the reference `push_job` must match.
    fn reference_row(j: &JobLine) -> Vec<u8> {
        let o6 = |v: Option<f64>| v.map(|v| format!("{v:.6}")).unwrap_or_default();
        let on = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let t = |s: &str| text_cell(s).into_owned();
        let t_opt = |s: &Option<String>| t(s.as_deref().unwrap_or_default());
        let cells = vec![
            t(&j.region),
            t(&j.application_id),
            t_opt(&j.application_name),
            t(&j.job_run_id),
            j.attempt.to_string(),
            t_opt(&j.job_name),
            t(&j.state),
            t(&j.architecture),
            t_opt(&j.month),
            j.runtime_s.to_string(),
            j.queued_s.map(|q| q.to_string()).unwrap_or_default(),
            t(&j.shape_basis),
            format!("{:.4}", j.executors),
            format!("{:.4}", j.peak_executors),
            j.peak_estimated.to_string(),
            j.executor_vcpu.to_string(),
            format!("{:.3}", j.executor_memory_gb),
            format!("{:.6}", j.serverless_usd),
            t(&j.serverless_basis),
            format!("{:.6}", j.billed_vcpu_hours),
            format!("{:.6}", j.billed_memory_gb_hours),
            format!("{:.6}", j.billed_storage_gb_hours),
            t_opt(&j.ec2_instance_type),
            on(j.ec2_core_nodes),
            o6(j.ec2_usd),
            o6(j.ec2_spot_usd),
            t_opt(&j.glue_worker_type),
            on(j.glue_workers),
            o6(j.glue_usd),
            o6(j.glue_flex_usd),
            t_opt(&j.eks_instance_type),
            on(j.eks_nodes),
            o6(j.eks_usd),
            o6(j.ec2_usd_at_average),
            o6(j.glue_usd_at_average),
            o6(j.ec2_graviton_usd),
            j.cheapest.key().to_string(),
            j.not_priced_on.join("; "),
        ];
        assert_eq!(cells.len(), JOB_COLUMNS.len());
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record(&cells).unwrap();
        w.into_inner().unwrap()
    }

    /// Rows written straight to bytes are the csv crate's rows: text that
    /// needs quotes (commas, quotes, line ends, a formula start), missing
    /// figures, and figures of every size.
    #[test]
    fn job_rows_match_the_csv_crate() {
        use crate::cost::DeploymentOption;
        let texts = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\rhere",
            "=SUM(A1)",
            "-dash",
            "é ünï",
            "\"",
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || next(&mut x);
        for n in 0..5_000 {
            let text = |i: u64| texts[i as usize % texts.len()].to_string();
            let some_text = |i: u64| (i % 3 != 0).then(|| text(i));
            let figure = |i: u64| {
                let m = (i >> 8) as f64 / (1u64 << 56) as f64;
                m * 10f64.powi((i % 14) as i32 - 6)
            };
            let some_figure = |i: u64| (i % 4 != 0).then(|| figure(i));
            let j = JobLine {
                group: text(next() % 100),
                region: text(next() % 100),
                application_id: text(next() % 100),
                application_name: some_text(next() % 100),
                job_run_id: text(next() % 100),
                attempt: (next() % 5) as u32,
                job_name: some_text(next() % 100),
                state: text(next() % 100),
                architecture: text(next() % 100),
                month: some_text(next() % 100),
                runtime_s: figure(next()),
                queued_s: some_figure(next()),
                shape_basis: text(next() % 100),
                executors: figure(next()),
                peak_executors: figure(next()),
                peak_estimated: n % 2 == 0,
                executor_vcpu: [1.0, 2.0, 4.0, 0.5, 16.0][n % 5],
                executor_memory_gb: figure(next()),
                serverless_usd: figure(next()),
                serverless_basis: text(next() % 100),
                billed_vcpu_hours: figure(next()),
                billed_memory_gb_hours: figure(next()),
                billed_storage_gb_hours: figure(next()),
                ec2_instance_type: some_text(next() % 100),
                ec2_core_nodes: (n % 3 != 0).then_some(n as u32),
                ec2_usd: some_figure(next()),
                ec2_spot_usd: some_figure(next()),
                glue_worker_type: some_text(next() % 100),
                glue_workers: (n % 4 != 0).then_some(n as u32 * 7),
                glue_usd: some_figure(next()),
                glue_flex_usd: some_figure(next()),
                eks_instance_type: some_text(next() % 100),
                eks_nodes: (n % 5 != 0).then_some(u32::MAX - n as u32),
                eks_usd: some_figure(next()),
                ec2_usd_at_average: some_figure(next()),
                glue_usd_at_average: some_figure(next()),
                ec2_graviton_usd: some_figure(next()),
                cheapest: DeploymentOption::ALL[n % 6],
                not_priced_on: (0..n % 3).map(|k| text(k as u64 + n as u64)).collect(),
            };
            let mut got = Vec::new();
            push_job(&mut got, &j);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&reference_row(&j)),
                "{j:?}"
            );
        }
    }
}
