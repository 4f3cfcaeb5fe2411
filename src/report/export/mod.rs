//! One exporter per format, each a pure function of a report value, plus
//! the number formatting they share.

pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod markup;
pub mod rows;
pub mod table;

use crate::cost::crossover::CrossoverAnalysis;
use crate::cost::DeploymentOption;
use crate::report::chart::{self, Chart};
use crate::report::Report;

/// One format of `emrcost report`: a function of the report value (and
/// the charts drawn from it) to the files it writes.
pub trait Exporter {
    /// Its `--format` name.
    fn name(&self) -> &'static str;
    /// Whether it shows the charts (they are drawn only if one does).
    fn shows_charts(&self) -> bool {
        false
    }
    /// The files it writes: paths relative to the output folder, contents.
    fn files(&self, report: &Report, charts: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String>;
}

struct Html;
struct Markdown;
struct Json;
struct Csv;
struct Svg;
struct Png;

impl Exporter for Html {
    fn name(&self) -> &'static str {
        "html"
    }
    fn shows_charts(&self) -> bool {
        true
    }
    fn files(&self, r: &Report, charts: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
        Ok(vec![(
            "report.html".into(),
            html::report(r, charts).into_bytes(),
        )])
    }
}

impl Exporter for Markdown {
    fn name(&self) -> &'static str {
        "md"
    }
    fn files(&self, r: &Report, _: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
        Ok(vec![("report.md".into(), markdown::report(r).into_bytes())])
    }
}

impl Exporter for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn files(&self, r: &Report, _: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
        Ok(vec![("report.json".into(), json::render(r).into_bytes())])
    }
}

impl Exporter for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn files(&self, r: &Report, _: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
        Ok(vec![
            ("summary.csv".into(), csv::summary(r).into_bytes()),
            ("jobs.csv".into(), csv::jobs(r).into_bytes()),
            ("crossovers.csv".into(), csv::crossovers(r).into_bytes()),
        ])
    }
}

impl Exporter for Svg {
    fn name(&self) -> &'static str {
        "svg"
    }
    fn shows_charts(&self) -> bool {
        true
    }
    fn files(&self, _: &Report, charts: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
        Ok(charts
            .iter()
            .map(|c| (format!("charts/{}.svg", c.id), c.svg.clone().into_bytes()))
            .collect())
    }
}

impl Exporter for Png {
    fn name(&self) -> &'static str {
        "png"
    }
    fn shows_charts(&self) -> bool {
        true
    }
    fn files(&self, _: &Report, charts: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
        charts
            .iter()
            .map(|c| {
                let png = chart::png(&c.svg).map_err(|e| format!("chart {}: {e}", c.id))?;
                Ok((format!("charts/{}.png", c.id), png))
            })
            .collect()
    }
}

/// Every report format, in the order their files are written.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(Html),
        Box::new(Markdown),
        Box::new(Csv),
        Box::new(Json),
        Box::new(Svg),
        Box::new(Png),
    ]
}

/// The files of the formats named in `formats` (in [`exporters`] order),
/// with the charts drawn once if any of them shows charts. An unknown
/// name is an error that lists the known ones.
pub fn render(report: &Report, formats: &[String]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let all = exporters();
    if let Some(bad) = formats
        .iter()
        .find(|f| !all.iter().any(|e| e.name() == f.as_str()))
    {
        let names: Vec<&str> = all.iter().map(|e| e.name()).collect();
        return Err(format!("--format {bad}: use any of {}", names.join(", ")));
    }
    let chosen: Vec<&Box<dyn Exporter>> = all
        .iter()
        .filter(|e| formats.iter().any(|f| f == e.name()))
        .collect();
    let charts = if chosen.iter().any(|e| e.shows_charts()) {
        chart::all(report)
    } else {
        Vec::new()
    };
    let mut files = Vec::new();
    for e in chosen {
        files.extend(e.files(report, &charts)?);
    }
    Ok(files)
}

/// `$1,234.56`; amounts under a dollar keep four decimals so that per-job
/// figures do not round to zero.
pub fn usd(v: f64) -> String {
    if v == 0.0 {
        return "$0.00".to_string();
    }
    if v.abs() < 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}${:.4}", v.abs());
    }
    let cents = format!("{:.2}", v.abs());
    let (whole, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}${grouped}.{frac}")
}

/// [`usd`], or `-` where the option has no figure.
pub fn opt_usd(v: Option<f64>) -> String {
    v.map(usd).unwrap_or_else(|| "-".into())
}

/// `$1.20 – $1.80`: a figure that depends on an unknown, low to high; one
/// figure when both ends print the same, `-` when either is missing.
pub fn usd_range(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (lo_s, hi_s) = (usd(lo), usd(hi));
            if lo_s == hi_s {
                hi_s
            } else {
                format!("{lo_s} – {hi_s}")
            }
        }
        _ => "-".into(),
    }
}

/// `45s`, `12m 30s`, `2h 05m 09s`, rounded to the second.
pub fn duration(seconds: f64) -> String {
    let s = seconds.round() as i64;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h {m:02}m {sec:02}s")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    }
}

/// `p50 / p95 / max` of a group's runtimes.
pub fn runtime_spread(g: &crate::report::GroupSummary) -> String {
    format!(
        "{} / {} / {}",
        duration(g.runtime_p50_s),
        duration(g.runtime_p95_s),
        duration(g.runtime_max_s)
    )
}

/// `p50 / p95` of a group's queue times, or `-`.
pub fn queue_spread(g: &crate::report::GroupSummary) -> String {
    match (g.queue_p50_s, g.queue_p95_s) {
        (Some(a), Some(b)) => format!("{} / {}", duration(a), duration(b)),
        _ => "-".to_string(),
    }
}

/// A number without trailing zeros (up to 2 decimals).
pub fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Job runs a report lists (the most expensive); `emrcost price` lists every run.
pub const MAX_JOB_ROWS: usize = 2000;

/// Records left out that HTML and Markdown list one by one (the table by
/// reason above the list counts them all; the JSON lists more).
pub const MAX_LISTED_RECORDS: usize = 100;

/// The records left out that HTML and Markdown list: (where, why).
pub fn listed_records(r: &crate::report::Report) -> Vec<(&str, &str)> {
    r.unpriced
        .iter()
        .map(|u| (u.job.as_str(), u.reason.as_str()))
        .chain(
            r.rejected
                .iter()
                .map(|x| (x.location.as_str(), x.reason.as_str())),
        )
        .take(MAX_LISTED_RECORDS)
        .collect()
}

/// The report's headline sentences, plain text with names escaped by `esc`:
/// what serverless billed against the cheapest single option, and (for
/// workload groups) the saving of moving each group to its own cheapest.
pub fn headlines(r: &crate::report::Report, esc: impl Fn(&str) -> String) -> Vec<String> {
    let (best, best_usd) = r.total.costs.cheapest();
    let glue = r.total.glue_billed_usd;
    let ec2 = r.total.ec2_billed_usd;
    let serverless = r.total.current_usd - glue - ec2;
    let parts: Vec<String> = [
        ("EMR Serverless billed", serverless),
        ("Glue billed", glue),
        ("EMR on EC2 steps cost", ec2),
    ]
    .iter()
    // Less than half a cent is the residue of subtracting sums, not spend.
    .filter(|(_, v)| *v >= 0.005)
    .map(|(what, v)| format!("{what} {}", usd(*v)))
    .collect();
    let billed = match parts.len() {
        0 => format!(
            "EMR Serverless billed {}",
            usd(r.total.costs.emr_serverless_usd)
        ),
        1 => parts[0].clone(),
        _ => format!(
            "These runs cost {} where they ran: {}",
            usd(r.total.current_usd),
            parts.join(", ")
        ),
    };
    let mut out = vec![format!(
        "{billed}. The cheapest option for the same runs is {} at {} ({}).",
        best,
        usd(best_usd),
        if r.total.saving_usd > 0.0 {
            format!("saving {}", usd(r.total.saving_usd))
        } else if r.total.saving_usd < -0.005 {
            format!(
                "where they ran costs {} less: no single option beats each run where it is",
                usd(-r.total.saving_usd)
            )
        } else {
            format!("difference {}", usd(r.total.saving_usd))
        }
    )];
    if let Some(low) = r.total.costs_at_average {
        let factor = r
            .assumptions
            .iter()
            .find(|a| a.name == "peak_factor")
            .map_or("?", |a| a.value.as_str());
        let (low_best, low_usd) = low.cheapest();
        let low_saving = r.total.saving_at_average_usd.unwrap_or(r.total.saving_usd);
        let then = if usd(low_saving) == usd(r.total.saving_usd) {
            format!("{low_best} at {} is still the cheapest", usd(low_usd))
        } else {
            format!(
                "the cheapest is {low_best} at {}: the saving lies between {}",
                usd(low_usd),
                usd_range(Some(r.total.saving_usd), Some(low_saving)).replace(" – ", " and ")
            )
        };
        out.push(format!(
            "For {} of {} runs the peak executor count is estimated ({factor} x the average), not measured; the EMR on EC2 and Glue figures take that peak. Sized to the average instead, {then}. Collect CloudWatch metrics or event logs to narrow it.",
            r.total.peak_estimated_runs,
            r.total.runs,
        ));
    }
    if !r.clusters.is_empty() {
        let total: f64 = r.clusters.iter().map(|c| c.total_usd).sum();
        let idle: f64 = r.clusters.iter().map(|c| c.idle_usd).sum();
        let hours: f64 = r.clusters.iter().map(|c| c.idle_hours).sum();
        out.push(format!(
            "Their {} EMR on EC2 cluster(s) cost {} in all, of which {} ({:.1} cluster-hours) with no step running: provisioning, idle time and teardown that no step's figure above includes, and that running the steps without a standing cluster would not pay.",
            r.clusters.len(),
            usd(total),
            usd(idle),
            hours
        ));
    }
    if !r.event_logs.is_empty() {
        let core_h: f64 = r.event_logs.iter().map(|e| e.executor_core_hours).sum();
        let with_tasks: Vec<_> = r
            .event_logs
            .iter()
            .filter(|e| e.idle_core_hours.is_some())
            .collect();
        let idle: f64 = with_tasks.iter().filter_map(|e| e.idle_core_hours).sum();
        let held: f64 = with_tasks.iter().map(|e| e.executor_core_hours).sum();
        let busy = if held > 0.0 {
            format!(
                "; of the {held:.2} core-hours of the {} run(s) whose logs have task ends, tasks ran in {:.0}%, so {idle:.2} executor core-hours were held with nothing to run",
                with_tasks.len(),
                (1.0 - idle / held) * 100.0
            )
        } else {
            String::new()
        };
        out.push(format!(
            "{} EMR Serverless run(s) have their event logs beside them (the EMR Serverless runs beside their event logs section): their executors held {core_h:.2} core-hours{busy}.",
            r.event_logs.len()
        ));
    }
    if let (Some(g), Some(x)) = (r.total.ec2_graviton_usd, r.total.costs.ec2_on_demand_usd) {
        let like_for_like = r
            .assumptions
            .iter()
            .any(|a| a.name == "ec2_arch" && a.value == "same");
        if (g - x).abs() >= 0.005 {
            out.push(format!(
                "What-if: EMR on EC2 on Graviton instance types would cost {} against {} {} ({}; both sized for the peak).",
                usd(g),
                usd(x),
                if like_for_like {
                    "like for like"
                } else {
                    "as priced (--ec2-arch any)"
                },
                if g < x { "cheaper" } else { "dearer" }
            ));
        }
    }
    if r.best_mix_saving_usd > 0.0 {
        let noun = match r.group_by {
            crate::report::GroupBy::JobName => "job",
            _ => "application",
        };
        out.push(format!(
            "Moving each {noun} to its own cheapest option would save {}: {}.",
            usd(r.best_mix_saving_usd),
            best_mix_movers(r, esc).join(", ")
        ));
    }
    out
}

/// `name to option ($saving)` for every application that would be cheaper
/// elsewhere, for the best-mix sentence; `esc` escapes names for the format.
pub fn best_mix_movers(r: &crate::report::Report, esc: impl Fn(&str) -> String) -> Vec<String> {
    r.groups
        .iter()
        .filter(|a| a.saving_usd > 0.0)
        .map(|a| {
            format!(
                "{} to {} ({})",
                esc(a.name.as_deref().unwrap_or(&a.key)),
                a.cheapest.label(),
                usd(a.saving_usd)
            )
        })
        .collect()
}

/// `10.0 x 4 vCPU, peak 15 (estimated) (average_from_usage)`: a run's
/// executors on average, its peak where that is more, and how they were
/// found.
pub fn executors_cell(j: &crate::report::JobLine) -> String {
    let peak = if j.peak_executors > j.executors + 1e-9 {
        format!(
            ", {} peak {}",
            if j.peak_estimated {
                "estimated"
            } else {
                "measured"
            },
            num(j.peak_executors)
        )
    } else {
        String::new()
    };
    format!(
        "{:.1} x {} vCPU{peak} ({})",
        j.executors, j.executor_vcpu, j.shape_basis
    )
}

/// What to append to a serverless figure that AWS did not bill as such.
pub fn basis_note(basis: &str) -> &'static str {
    match basis {
        "total_with_rules" => " (from total usage)",
        "event_log_estimate" => " (estimated from event log)",
        _ => "",
    }
}

/// `$1.23 (4 x m5.xlarge)`, or `not priced` when EMR on EC2 has no figure.
pub fn ec2_cell(j: &crate::report::JobLine) -> String {
    match (j.ec2_usd, j.ec2_core_nodes, &j.ec2_instance_type) {
        (Some(v), Some(n), Some(t)) => format!("{} ({n} x {t})", usd(v)),
        _ => "not priced".to_string(),
    }
}

/// `$1.23 (6 x G.1X)`, or `not priced` when Glue has no figure.
pub fn glue_cell(j: &crate::report::JobLine) -> String {
    match (j.glue_usd, j.glue_workers, &j.glue_worker_type) {
        (Some(v), Some(n), Some(t)) => format!("{} ({n} x {t})", usd(v)),
        _ => "not priced".to_string(),
    }
}

/// The crossover sentences plus, for a group, how much of it lies past
/// each change of the cheapest option.
pub fn group_crossover_sentences(x: &crate::report::AppCrossovers) -> Vec<String> {
    let past = |p: &crate::report::PastCrossover| {
        format!(
            "{:.0}% of runs ({:.0}% of EMR Serverless cost) ran longer than {}, where {} is cheaper than {}",
            p.runs_share * 100.0,
            p.serverless_cost_share * 100.0,
            duration(p.runtime_s),
            p.cheaper_above,
            p.cheaper_below
        )
    };
    let peak = crossover_sentences(&x.analysis);
    let mut out = peak.clone();
    out.extend(x.past.iter().map(past));
    if let Some(low) = &x.at_average {
        // Only what differs at the other end of the range.
        let average = "sized to the average executors instead";
        for line in crossover_sentences(&low.analysis) {
            if !peak.contains(&line) {
                out.push(format!("{average}: {line}"));
            }
        }
        out.extend(low.past.iter().map(|p| format!("{average}: {}", past(p))));
    }
    out
}

/// One line per crossover that involves EMR Serverless, and the changes of
/// the cheapest option, in words. Shared by the table and Markdown.
pub fn crossover_sentences(a: &CrossoverAnalysis) -> Vec<String> {
    let mut out = Vec::new();
    for p in &a.pairs {
        if p.a != DeploymentOption::EmrServerless && p.b != DeploymentOption::EmrServerless {
            continue;
        }
        let other = if p.a == DeploymentOption::EmrServerless {
            p.b
        } else {
            p.a
        };
        if p.crossovers.is_empty() {
            let winner = p.cheaper_at_start.map_or("neither", |o| o.label());
            out.push(format!(
                "EMR Serverless vs {other}: no crossover; {winner} is cheaper at every runtime"
            ));
            continue;
        }
        let parts: Vec<String> = p
            .crossovers
            .iter()
            .map(|x| {
                format!(
                    "{} below {} ({}), {} above",
                    x.cheaper_below,
                    duration(x.runtime_s),
                    usd(x.cost_usd),
                    x.cheaper_above
                )
            })
            .collect();
        out.push(format!(
            "EMR Serverless vs {other}: {}",
            parts.join("; then ")
        ));
    }
    let ranges: Vec<String> = a
        .cheapest_ranges
        .iter()
        .map(|r| match r.to_s {
            Some(to) => format!(
                "{} from {} to {}",
                r.option,
                duration(r.from_s),
                duration(to)
            ),
            None => format!("{} from {} on", r.option, duration(r.from_s)),
        })
        .collect();
    out.push(format!("Cheapest: {}", ranges.join(", ")));
    out
}

/// The file that marks a folder as a report emrcost wrote; the folder is
/// replaced as a whole on the next run into it.
pub const REPORT_MARKER: &str = ".emrcost-report";

/// Whether a top-level name in a report folder is one `emrcost report`
/// writes (and so replaces, or drops when this run does not write it).
pub fn report_managed(name: &str) -> bool {
    matches!(
        name,
        "report.html"
            | "report.md"
            | "report.json"
            | "summary.csv"
            | "jobs.csv"
            | "crossovers.csv"
            | "charts"
    )
}

/// The marker file's text: what wrote the folder and the files it holds.
pub fn report_marker(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut text = String::from(
        "Written by `emrcost report`. The report files in this folder are replaced\n\
         together on each run (other files you keep here are carried over).\n\n",
    );
    for (name, _) in files {
        text.push_str(name);
        text.push('\n');
    }
    text.into_bytes()
}

/// Column titles of the idle pre-initialized capacity table.
pub const IDLE_HEADER: [&str; 7] = [
    "Application",
    "Region",
    "Idle minutes",
    "vCPU-hours",
    "Memory GB-hours",
    "Storage GB-hours over 20 GB/worker",
    "Cost",
];

/// Rows of the idle pre-initialized capacity table, strings escaped by `esc`.
pub fn idle_rows(r: &crate::report::Report, esc: impl Fn(&str) -> String) -> Vec<[String; 7]> {
    r.idle_preinit
        .iter()
        .map(|i| {
            [
                i.application_name.as_deref().map_or_else(
                    || esc(&i.application_id),
                    |n| format!("{} ({})", esc(n), esc(&i.application_id)),
                ),
                format!("{} {}", esc(&i.region), i.architecture),
                i.idle_minutes.to_string(),
                format!("{:.3}", i.vcpu_hours),
                format!("{:.3}", i.memory_gb_hours),
                format!("{:.3}", i.billable_storage_gb_hours),
                i.cost_usd
                    .map_or_else(|| "not priced (no rates)".to_string(), usd),
            ]
        })
        .collect()
}

/// The sentence under the idle table.
pub const IDLE_NOTE: &str = "Pre-initialized capacity allocated (CloudWatch, CapacityAllocationType=PreInitCapacity) in minutes when none of the application's collected runs was running, priced at the EMR Serverless rates. It is billed to the application and appears in no run's billed usage.";

/// The report's title: what the runs are. Runs that ran on Glue or EMR on
/// EC2 make it a Spark job cost report.
pub fn title(r: &crate::report::Report) -> &'static str {
    if r.total.glue_billed_usd > 0.0 || r.total.ec2_billed_usd > 0.0 || !r.clusters.is_empty() {
        "Spark job cost report"
    } else {
        "EMR Serverless cost report"
    }
}

pub const CLUSTER_HEADER: [&str; 8] = [
    "Cluster",
    "Region",
    "State",
    "Instances (hours)",
    "Cost",
    "Used by steps",
    "Idle (no step running)",
    "Spot priced by",
];

pub const CLUSTER_NOTE: &str = "Each EMR on EC2 cluster's cost over its instances' lifetimes (EC2 on-demand or Spot, EMR uplift, EMR's default EBS; per second, one-minute minimum), priced when collected. Its steps' shares are the instances over each step's time and are in the tables above; the rest (provisioning, time between steps, teardown) is what no step used, and what running the steps elsewhere without a standing cluster would not pay.";

pub const EVENT_LOG_HEADER: [&str; 8] = [
    "Job run",
    "Billed",
    "From the log",
    "Gap",
    "Executors peak / avg",
    "Executor core-hours",
    "Busy",
    "Idle core-hours",
];

pub const EVENT_LOG_NOTE: &str = "EMR Serverless runs whose Spark event logs were read beside them. Billed is what EMR Serverless billed (GetJobRun); from the log is the log's driver and executors under EMR Serverless's billing rules (each worker's lifetime, rounded to a valid size, one-minute minimum, 20 GB of storage free); both at the run's region's rates, so the gap is usage alone (workers the log does not show, such as ones that never registered, and rounding). Busy is the share of the executors' core-hours that tasks ran in (task run times x spark.task.cpus); the rest was held with nothing to run, which dynamic allocation's idle timeout or smaller executors would give back.";

/// Rows of the event-log table, strings escaped by `esc`.
pub fn event_log_rows(r: &crate::report::Report, esc: impl Fn(&str) -> String) -> Vec<[String; 8]> {
    r.event_logs
        .iter()
        .map(|e| {
            let gap = e.billed_usd - e.log_usd;
            [
                format!(
                    "{}{} ({})",
                    esc(&e.job_run_id),
                    if e.incomplete {
                        " (log incomplete)"
                    } else {
                        ""
                    },
                    esc(&e.application_id)
                ),
                format!("{} ({:.3} vCPU-h)", usd(e.billed_usd), e.billed_vcpu_hours),
                format!("{} ({:.3} vCPU-h)", usd(e.log_usd), e.log_vcpu_hours),
                if e.billed_usd > 0.0 {
                    format!("{} ({:+.0}%)", usd(gap), gap / e.billed_usd * 100.0)
                } else {
                    usd(gap)
                },
                format!("{} / {:.2}", e.peak_executors, e.avg_executors),
                format!("{:.3}", e.executor_core_hours),
                e.busy_share
                    .map(|b| format!("{:.0}%", b * 100.0))
                    .unwrap_or_else(|| "-".into()),
                e.idle_core_hours
                    .map(|h| format!("{h:.3}"))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect()
}

pub const STARTUP_APP_HEADER: [&str; 6] = [
    "Application",
    "Pool",
    "Runs",
    "Wait by cause: runs, p50 / p95",
    "Pool idle while size-mismatched runs waited",
    "Waiting at --wait-cost-per-hour",
];

pub const STARTUP_RUN_HEADER: [&str; 7] = [
    "Job run",
    "Created",
    "Queued",
    "Startup",
    "First executor / peak (metrics)",
    "Likely cause",
    "Figures",
];

pub const WHAT_IF_HEADER: [&str; 5] = [
    "Application",
    "What if",
    "Pool cost change",
    "Startup saved",
    "How",
];

/// The startup section's tables: per application, the slowest runs, and
/// the what-ifs; strings escaped by `esc`.
/// The startup section's three tables: applications, slowest runs, what-ifs.
pub type StartupTables = (Vec<[String; 6]>, Vec<[String; 7]>, Vec<[String; 5]>);

pub fn startup_rows(
    s: &crate::report::startup::StartupReport,
    esc: impl Fn(&str) -> String,
) -> StartupTables {
    let app_name = |name: &Option<String>, id: &str| match name {
        Some(n) => format!("{} ({})", esc(n), esc(id)),
        None => esc(id),
    };
    let apps = s
        .applications
        .iter()
        .map(|a| {
            [
                app_name(&a.name, &a.application_id),
                esc(&a.pool),
                a.runs.to_string(),
                a.causes
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: {}, {} / {}",
                            c.cause.name(),
                            c.runs,
                            duration(c.wait_p50_s),
                            duration(c.wait_p95_s)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                if a.idle_pool_while_waiting_hours > 0.0 {
                    format!(
                        "{} over {:.2} h",
                        usd(a.idle_pool_while_waiting_usd),
                        a.idle_pool_while_waiting_hours
                    )
                } else {
                    "-".into()
                },
                a.wait_cost_usd.map(usd).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let runs = s
        .slowest
        .iter()
        .map(|r| {
            [
                format!(
                    "{} ({})",
                    esc(&r.job_run_id),
                    esc(r.job_name.as_deref().unwrap_or(&r.application_id))
                ),
                r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                duration(r.queued_s),
                duration(r.startup_s),
                match (r.to_first_executor_s, r.to_peak_s) {
                    (Some(a), Some(b)) => format!("{} / {}", duration(a), duration(b)),
                    _ => "-".into(),
                },
                esc(r.cause.name()),
                esc(&r.detail),
            ]
        })
        .collect();
    let mut what_ifs = Vec::new();
    for a in &s.applications {
        for w in &a.what_ifs {
            what_ifs.push([
                app_name(&a.name, &a.application_id),
                esc(&w.name),
                usd(w.pool_cost_change_usd),
                format!("{:.0} s", w.startup_seconds_saved),
                esc(&w.how),
            ]);
        }
    }
    (apps, runs, what_ifs)
}

pub const RIGHTSIZE_HEADER: [&str; 8] = [
    "Job class",
    "Runs (with metrics)",
    "Executor vCPU-h used / allocated",
    "Executor GB-h used / allocated",
    "Worker today",
    "Busiest executor's peak",
    "Recommendation",
    "Saving a month",
];

/// Rows of the right-sizing table, strings escaped by `esc`.
pub fn rightsize_rows(
    s: &crate::report::rightsize::RightSizing,
    esc: impl Fn(&str) -> String,
) -> Vec<[String; 8]> {
    let share = |used: f64, of: f64| {
        if of > 0.0 {
            format!("{used:.2} / {of:.2} ({:.0}%)", used / of * 100.0)
        } else {
            "-".into()
        }
    };
    s.classes
        .iter()
        .map(|c| {
            [
                format!("{} ({})", esc(&c.job_name), esc(&c.application_id)),
                format!("{} ({})", c.runs, c.runs_with_metrics),
                share(c.used_vcpu_hours, c.executor_vcpu_hours),
                share(c.used_memory_gb_hours, c.executor_memory_gb_hours),
                format!("{} vCPU, {} GB", c.worker_vcpu, c.worker_memory_gb),
                if c.runs_with_metrics == 0 {
                    "-".to_string()
                } else {
                format!(
                    "{:.2} vCPU, {:.2} GB; {} executors{}",
                    c.peak_worker_vcpu_used,
                    c.peak_worker_memory_used_gb,
                    c.peak_executors,
                    c.event_log_busy_share
                        .map(|b| format!(
                            "; tasks ran in {:.0}% of the executors' core-hours ({} event log(s))",
                            b * 100.0,
                            c.event_log_runs
                        ))
                        .unwrap_or_default()
                )
                },
                match (&c.recommendation, &c.no_recommendation) {
                    (Some(r), _) => format!(
                        "{} vCPU, {} GB workers: spark.executor.cores={} spark.executor.memory={}g spark.dynamicAllocation.maxExecutors={}{}",
                        r.worker_vcpu,
                        r.worker_memory_gb,
                        r.spark_executor_cores,
                        r.spark_executor_memory_gb,
                        r.max_executors,
                        r.caveat
                            .as_deref()
                            .map(|c| format!("; {}", esc(c)))
                            .unwrap_or_default()
                    ),
                    (None, Some(why)) => esc(why),
                    (None, None) => "-".into(),
                },
                c.recommendation
                    .as_ref()
                    .map(|r| {
                        format!(
                            "{} ({} over {:.1} days)",
                            usd(r.monthly_saving_usd),
                            usd(r.saving_usd),
                            r.period_days
                        )
                    })
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect()
}

pub const CHARGEBACK_NOTE: &str = "What each group's runs cost where they ran (EMR Serverless billed usage, Glue and EMR on EC2 as billed), per month, and what moving every run of the group to its cheapest option would save.";

/// The chargeback table: its header and rows, strings escaped by `esc`.
pub fn chargeback_table(
    c: &crate::report::model::Chargeback,
    esc: impl Fn(&str) -> String,
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut head = vec!["Group".to_string()];
    head.extend(c.months.iter().map(|m| esc(m)));
    head.extend(["Total", "Share", "Cheapest option", "Saving there"].map(String::from));
    let rows = c
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![esc(&r.key)];
            cells.extend(r.by_month_usd.iter().map(|v| usd(*v)));
            cells.push(usd(r.total_usd));
            cells.push(format!("{:.1}%", r.share * 100.0));
            cells.push(esc(r.cheapest.label()));
            cells.push(usd(r.saving_usd));
            cells
        })
        .collect();
    (head, rows)
}

/// Rows of the clusters table, strings escaped by `esc`.
pub fn cluster_rows(r: &crate::report::Report, esc: impl Fn(&str) -> String) -> Vec<[String; 8]> {
    r.clusters
        .iter()
        .map(|c| {
            [
                c.name.as_deref().map_or_else(
                    || esc(&c.cluster_id),
                    |n| format!("{} ({})", esc(n), esc(&c.cluster_id)),
                ),
                esc(&c.region),
                esc(&c.state),
                format!("{} ({:.1})", c.instances, c.instance_hours),
                usd(c.total_usd),
                format!("{} in {} step(s)", usd(c.steps_usd), c.steps),
                format!("{} over {:.1} h", usd(c.idle_usd), c.idle_hours),
                esc(&c.spot),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(usd(1234567.891), "$1,234,567.89");
        assert_eq!(usd(0.00421), "$0.0042");
        assert_eq!(usd(-12.5), "-$12.50");
        assert_eq!(usd(-0.6312), "-$0.6312");
        assert_eq!(duration(45.4), "45s");
        assert_eq!(duration(750.0), "12m 30s");
        assert_eq!(duration(7509.0), "2h 05m 09s");
        assert_eq!(num(8.0), "8");
        assert_eq!(num(8.25), "8.25");
    }
}
