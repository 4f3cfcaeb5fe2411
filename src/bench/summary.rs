//! What a benchmark found, per arm: startup, runtime and cost (median, min,
//! max), cost per successful run with idle pre-initialized capacity, the
//! arms ranked, and the measured speed factors between them.

use serde::{Deserialize, Serialize};

use super::plan::CheckedPlan;
use super::runner::{Measured, Outcome};
use crate::model::JobState;

/// Median, minimum and maximum of a set of figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }
}

/// One arm's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    pub label: String,
    /// `emr-serverless`, `glue` or `emr-on-ec2`.
    #[serde(default)]
    pub service: String,
    pub architecture: String,
    pub runs: usize,
    pub succeeded: usize,
    /// `job run id: state: reason` of each run that did not succeed.
    pub failures: Vec<String>,
    /// createdAt -> startedAt (queue included).
    pub startup_s: Option<Spread>,
    pub queued_s: Option<Spread>,
    /// StartJobRun sent -> createdAt, on the local clock against AWS's.
    pub submit_to_created_s: Option<Spread>,
    pub runtime_s: Option<Spread>,
    /// Startup plus runtime: what a caller waits.
    pub latency_s: Option<Spread>,
    /// EMR on EC2 transient clusters: request to ready, and the step's end
    /// to the last instance's end, measured.
    #[serde(default)]
    pub provisioning_s: Option<Spread>,
    #[serde(default)]
    pub teardown_s: Option<Spread>,
    pub cost_usd: Option<Spread>,
    /// Pre-initialized capacity up while no run used it, priced at the
    /// workers' rate (an estimate: up time less the runs' time).
    pub idle_capacity_usd: f64,
    /// (billed cost of every run + idle capacity) / successful runs.
    pub cost_per_success_usd: Option<f64>,
    /// Runs whose cost came from total usage because billed usage never
    /// arrived in the wait.
    pub not_billed: usize,
}

/// The whole benchmark's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchSummary {
    pub plan: String,
    pub region: String,
    pub generated_by: String,
    pub arms: Vec<ArmSummary>,
    /// Arm labels, cheapest per successful run first.
    pub ranking: Vec<String>,
    /// Each arm's median runtime over the first arm's: a measured
    /// `--speed-*` factor for `emrcost report` and `crossover`.
    pub speed_factors: Vec<(String, f64)>,
    /// The crossover between the first EMR Serverless arm and each Glue or
    /// transient EMR on EC2 arm, recomputed with what was measured.
    pub measured_crossovers: Vec<String>,
    pub spent_usd: f64,
    pub stopped_by_budget: bool,
    pub interrupted: bool,
    /// Calls made, throttled answers, retries.
    pub calls: (u64, u64, u64),
}

/// Summarises the measured runs of a plan.
pub fn summarise(
    checked: &CheckedPlan,
    outcome: &Outcome,
    book: &crate::pricing::PriceBook,
) -> BenchSummary {
    let mut arms = Vec::new();
    for arm in &checked.arms {
        let label = &arm.arm.label;
        let mut runs: Vec<&Measured> = outcome
            .measured
            .iter()
            .filter(|m| &m.arm == label)
            .collect();
        runs.sort_by_key(|m| m.repeat);
        let ok: Vec<&&Measured> = runs
            .iter()
            .filter(|m| m.state == JobState::Success)
            .collect();
        let spread =
            |f: &dyn Fn(&Measured) -> Option<f64>| Spread::of(ok.iter().filter_map(|m| f(m)));
        let run_hours: f64 = runs.iter().filter_map(|m| m.runtime_s).sum::<f64>() / 3600.0;
        let up_hours = outcome.capacity_up.get(label).copied().unwrap_or(0.0) / 3600.0;
        let idle = arm.initial_hour_usd * (up_hours - run_hours).max(0.0);
        let billed: f64 = runs.iter().filter_map(|m| m.cost_usd).sum();
        // A run with no cost (no usage ever reported) leaves the arm's cost
        // per successful run unknown rather than understated.
        let unpriced = runs.iter().filter(|m| m.cost_usd.is_none()).count();
        arms.push(ArmSummary {
            label: label.clone(),
            service: arm.arm.service.clone(),
            architecture: arm.architecture.to_string(),
            runs: runs.len(),
            succeeded: ok.len(),
            failures: runs
                .iter()
                .filter(|m| m.state != JobState::Success)
                .map(|m| {
                    format!(
                        "{}: {}: {}",
                        m.job_run_id,
                        m.state,
                        m.reason.as_deref().unwrap_or("no reason given")
                    )
                })
                .collect(),
            startup_s: spread(&|m| m.startup_s),
            queued_s: spread(&|m| m.queued_s),
            submit_to_created_s: spread(&|m| m.submit_to_created_s),
            runtime_s: spread(&|m| m.runtime_s),
            latency_s: spread(&|m| Some(m.startup_s? + m.runtime_s?)),
            // Provisioning does not depend on the step's success.
            provisioning_s: Spread::of(runs.iter().filter_map(|m| m.provisioning_s)),
            teardown_s: Spread::of(runs.iter().filter_map(|m| m.teardown_s)),
            cost_usd: spread(&|m| m.cost_usd),
            idle_capacity_usd: idle,
            cost_per_success_usd: (!ok.is_empty() && unpriced == 0)
                .then(|| (billed + idle) / ok.len() as f64),
            not_billed: runs
                .iter()
                .filter(|m| {
                    m.service == "emr-serverless" && m.cost_basis.as_deref() != Some("billed")
                })
                .count(),
        });
    }
    let mut ranking: Vec<&ArmSummary> = arms
        .iter()
        .filter(|a| a.cost_per_success_usd.is_some())
        .collect();
    ranking.sort_by(|a, b| {
        a.cost_per_success_usd
            .unwrap_or(f64::INFINITY)
            .total_cmp(&b.cost_per_success_usd.unwrap_or(f64::INFINITY))
    });
    let base = arms.first().and_then(|a| a.runtime_s).map(|s| s.median);
    let speed_factors = match base {
        Some(b) if b > 0.0 => arms
            .iter()
            .filter_map(|a| Some((a.label.clone(), a.runtime_s?.median / b)))
            .collect(),
        _ => Vec::new(),
    };
    let measured_crossovers = measured_crossovers(checked, outcome, &arms, book);
    BenchSummary {
        measured_crossovers,
        plan: checked.plan.name.clone(),
        region: checked.plan.region.clone(),
        generated_by: format!("emrcost {}", env!("CARGO_PKG_VERSION")),
        ranking: ranking.iter().map(|a| a.label.clone()).collect(),
        arms,
        speed_factors,
        spent_usd: outcome.spent_usd,
        stopped_by_budget: outcome.stopped_by_budget,
        interrupted: outcome.interrupted,
        calls: outcome.calls,
    }
}

/// Seconds to a tenth, without trailing zeros.
fn tenths(v: f64) -> String {
    crate::cost::fmt_num((v * 10.0).round() / 10.0)
}

fn spread_text(s: Option<Spread>, unit: &dyn Fn(f64) -> String) -> String {
    match s {
        Some(s) => format!("{} ({} – {})", unit(s.median), unit(s.min), unit(s.max)),
        None => "-".into(),
    }
}

/// For the first EMR Serverless arm's median successful run: its shape
/// (from its billed usage) priced against each Glue arm's version and each
/// transient EMR on EC2 arm's instance types, with the other arm's measured
/// runtime over the EMR Serverless arm's as the speed factor (and, for EMR
/// on EC2, the measured provisioning and teardown), and the crossovers
/// solved again.
fn measured_crossovers(
    checked: &CheckedPlan,
    outcome: &Outcome,
    arms: &[ArmSummary],
    book: &crate::pricing::PriceBook,
) -> Vec<String> {
    let Some((s_i, s_arm)) = checked
        .arms
        .iter()
        .enumerate()
        .find(|(_, a)| a.serverless.is_some())
    else {
        return Vec::new();
    };
    let Some(base) = arms[s_i].runtime_s.map(|r| r.median).filter(|r| *r > 0.0) else {
        return Vec::new();
    };
    // The run nearest the median runtime stands for the arm.
    let Some(run) = outcome
        .measured
        .iter()
        .filter(|m| m.arm == s_arm.arm.label && m.state == JobState::Success)
        .filter_map(|m| Some((m.run.as_ref()?, (m.runtime_s? - base).abs())))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| r.clone())
    else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (o_i, other) in checked.arms.iter().enumerate() {
        let Some(runtime) = arms[o_i].runtime_s else {
            continue;
        };
        let factor = (runtime.median / base).clamp(1e-3, 1e3);
        let defaults = crate::cost::Assumptions::default();
        let (a, want, what) = match (&other.glue, &other.ec2) {
            (Some(g), _) => (
                crate::cost::Assumptions {
                    speed_factor_glue: factor,
                    glue_version: g.version,
                    ..defaults
                },
                match g.class {
                    crate::pricing::GlueClass::Standard => {
                        crate::cost::DeploymentOption::GlueStandard
                    }
                    crate::pricing::GlueClass::Flex => crate::cost::DeploymentOption::GlueFlex,
                },
                format!("Glue {factor:.3}x the runtime, measured"),
            ),
            // A transient cluster: its instance types, and its provisioning
            // and teardown as measured, in place of the defaults.
            (_, Some(e)) if e.transient.is_some() => {
                let (primary, core, _) = e.transient.clone().unwrap_or_default();
                let provisioning = arms[o_i]
                    .provisioning_s
                    .map_or(defaults.ec2_provisioning_seconds, |p| p.median);
                let teardown = arms[o_i]
                    .teardown_s
                    .map_or(defaults.ec2_teardown_seconds, |t| t.median);
                (
                    crate::cost::Assumptions {
                        speed_factor_ec2: factor,
                        ec2_instance: crate::cost::InstanceChoice::Fixed(core.clone()),
                        ec2_primary_instance: crate::cost::InstanceChoice::Fixed(primary),
                        ec2_provisioning_seconds: provisioning,
                        ec2_teardown_seconds: teardown,
                        ec2_arch: crate::cost::Ec2Arch::Any,
                        ..defaults
                    },
                    crate::cost::DeploymentOption::Ec2OnDemand,
                    format!(
                        "EMR on EC2 on {core} {factor:.3}x the runtime, {} s provisioning and {} s teardown, measured",
                        tenths(provisioning),
                        tenths(teardown)
                    ),
                )
            }
            _ => continue,
        };
        let Ok(shape) = crate::cost::shape::infer(&run.facts(), &a) else {
            continue;
        };
        let pricer = crate::cost::Pricer::new(book, a);
        let Ok(curves) = pricer.curves(&run.region, run.architecture, &shape) else {
            continue;
        };
        if !curves.curves.iter().any(|(o, _)| *o == want) {
            lines.push(format!(
                "{} against {}: no {} figure for the EMR Serverless arm's run on these instance types (its executors or driver do not fit on a node)",
                s_arm.arm.label, other.arm.label, want
            ));
            continue;
        }
        let pair: Vec<_> = curves
            .curves
            .iter()
            .filter(|(o, _)| *o == crate::cost::DeploymentOption::EmrServerless || *o == want)
            .cloned()
            .collect();
        let analysis = crate::cost::crossover::analyse(&pair);
        for line in crate::report::export::crossover_sentences(&analysis) {
            if line.starts_with("Cheapest") {
                continue;
            }
            lines.push(format!(
                "{} against {} ({what}): {line}",
                s_arm.arm.label, other.arm.label
            ));
        }
    }
    lines
}

/// The results as Markdown.
pub fn markdown(s: &BenchSummary) -> String {
    let secs = |v: f64| format!("{v:.1} s");
    let usd = |v: f64| format!("${v:.4}");
    let mut out = format!(
        "# Benchmark `{}` ({})\n\n{} spent in all{}{}.\n\n",
        s.plan,
        s.region,
        usd(s.spent_usd),
        if s.stopped_by_budget {
            "; stopped at --max-cost"
        } else {
            ""
        },
        if s.interrupted {
            "; interrupted (run again with the same --out to finish)"
        } else {
            ""
        },
    );
    out.push_str("Figures are median (min – max) over successful runs. Startup is createdAt to startedAt (queue included); for EMR on EC2 it is the cluster request (or the step's submission on an existing cluster) to the step's start. Cost is what AWS billed, priced by the price book; for EMR on EC2, the instances' lifetimes at EC2 + EMR + EBS rates.\n\n");
    out.push_str("| Arm | Arch | Runs (ok) | Startup | of which queued | Runtime | Cost per run | Idle pre-initialized | Cost per successful run |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for a in &s.arms {
        out.push_str(&format!(
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} | {} |\n",
            crate::report::export::markdown::escape(&a.label),
            a.architecture,
            a.runs,
            a.succeeded,
            spread_text(a.startup_s, &secs),
            spread_text(a.queued_s, &secs),
            spread_text(a.runtime_s, &secs),
            spread_text(a.cost_usd, &usd),
            usd(a.idle_capacity_usd),
            a.cost_per_success_usd.map_or("-".into(), usd),
        ));
    }
    out.push_str("\n## Ranking (cost per successful run)\n\n");
    for (i, label) in s.ranking.iter().enumerate() {
        out.push_str(&format!(
            "{}. {}\n",
            i + 1,
            crate::report::export::markdown::escape(label)
        ));
    }
    if !s.speed_factors.is_empty() {
        out.push_str("\n## Measured speed factors (median runtime over the first arm's)\n\n");
        for (label, f) in &s.speed_factors {
            out.push_str(&format!(
                "- {}: {f:.3}\n",
                crate::report::export::markdown::escape(label)
            ));
        }
        out.push_str("\nPass them to `emrcost report` and `crossover` (`--speed-serverless`, `--speed-ec2`, `--speed-glue`) instead of guesses.\n");
    }
    let clusters: Vec<&ArmSummary> = s
        .arms
        .iter()
        .filter(|a| a.provisioning_s.is_some())
        .collect();
    if !clusters.is_empty() {
        out.push_str("\n## EMR on EC2 provisioning, measured\n\n");
        for a in &clusters {
            out.push_str(&format!(
                "- {}: provisioning {}, teardown {}\n",
                crate::report::export::markdown::escape(&a.label),
                spread_text(a.provisioning_s, &secs),
                spread_text(a.teardown_s, &secs),
            ));
        }
        if let Some(p) = clusters[0].provisioning_s {
            out.push_str(&format!(
                "\nemrcost's estimates assume {} s of provisioning and {} s of teardown per cluster; pass the measured `--provisioning-seconds {}`{} to `report` and `crossover`.\n",
                crate::cost::fmt_num(crate::cost::Assumptions::default().ec2_provisioning_seconds),
                crate::cost::fmt_num(crate::cost::Assumptions::default().ec2_teardown_seconds),
                tenths(p.median),
                clusters[0]
                    .teardown_s
                    .map_or(String::new(), |t| format!(" `--teardown-seconds {}`", tenths(t.median))),
            ));
        }
    }
    if !s.measured_crossovers.is_empty() {
        out.push_str("\n## Crossover with the measured speed factors\n\nThe first EMR Serverless arm's median run, sized from its billed usage, against each Glue arm and each transient EMR on EC2 arm at its measured speed (EMR on EC2 also with its measured provisioning and teardown):\n\n");
        for line in &s.measured_crossovers {
            out.push_str(&format!(
                "- {}\n",
                crate::report::export::markdown::escape(line)
            ));
        }
    }
    let failures: Vec<&String> = s.arms.iter().flat_map(|a| &a.failures).collect();
    if !failures.is_empty() {
        out.push_str("\n## Runs that did not succeed\n\n");
        for f in failures {
            out.push_str(&format!(
                "- {}\n",
                crate::report::export::markdown::escape(f)
            ));
        }
    }
    out.push_str(&format!(
        "\nAPI calls: {} ({} throttled, {} retried).\n",
        s.calls.0, s.calls.1, s.calls.2
    ));
    out
}

/// `bench compare`: whether a candidate is no worse than a baseline, arm
/// by arm (arms matched by label), in median cost and median latency.
pub fn compare(base: &BenchSummary, cand: &BenchSummary, threshold: f64) -> (bool, Vec<String>) {
    let mut ok = true;
    let mut lines = Vec::new();
    for c in &cand.arms {
        let Some(b) = base.arms.iter().find(|b| b.label == c.label) else {
            lines.push(format!("{}: not in the baseline; skipped", c.label));
            continue;
        };
        for (what, bv, cv) in [
            (
                "cost per successful run",
                b.cost_per_success_usd,
                c.cost_per_success_usd,
            ),
            (
                "median latency",
                b.latency_s.map(|s| s.median),
                c.latency_s.map(|s| s.median),
            ),
        ] {
            match (bv, cv) {
                (Some(bv), Some(cv)) if bv > 0.0 => {
                    let change = cv / bv - 1.0;
                    let worse = change > threshold;
                    ok &= !worse;
                    lines.push(format!(
                        "{}: {what} {:+.1}% ({bv:.4} -> {cv:.4}){}",
                        c.label,
                        change * 100.0,
                        if worse {
                            " WORSE than the threshold"
                        } else {
                            ""
                        }
                    ));
                }
                (Some(_), None) => {
                    ok = false;
                    lines.push(format!(
                        "{}: {what}: the candidate has no successful run",
                        c.label
                    ));
                }
                _ => lines.push(format!(
                    "{}: {what}: the baseline has no figure; skipped",
                    c.label
                )),
            }
        }
    }
    if !cand
        .arms
        .iter()
        .any(|c| base.arms.iter().any(|b| b.label == c.label))
    {
        ok = false;
        lines.push("no arm of the candidate is in the baseline: nothing compared".into());
    }
    (ok, lines)
}

/// Cost against what a caller waited (startup + runtime), one point per
/// successful run, one colour per arm (SVG).
pub fn chart(checked: &CheckedPlan, outcome: &Outcome) -> Option<String> {
    use plotters::prelude::*;
    let points: Vec<(usize, f64, f64)> = outcome
        .measured
        .iter()
        .filter(|m| m.state == JobState::Success)
        .filter_map(|m| {
            let arm = checked.arms.iter().position(|a| a.arm.label == m.arm)?;
            Some((arm, m.startup_s? + m.runtime_s?, m.cost_usd?))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let x_max = points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1 + 1e-9;
    let y_max = points.iter().map(|p| p.2).fold(0.0, f64::max) * 1.15 + 1e-12;
    if !(x_max.is_finite() && y_max.is_finite()) {
        return None;
    }
    let title = format!(
        "{}: cost against startup + runtime, one point per run",
        checked.plan.name
    );
    crate::report::chart::render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_desc("startup + runtime (seconds)")
            .y_desc("cost per run (USD)")
            .y_label_formatter(&|v| format!("${v:.4}"))
            .draw()?;
        for (i, arm) in checked.arms.iter().enumerate() {
            let c = Palette99::pick(i).to_rgba();
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.0 == i)
                        .map(|p| Circle::new((p.1, p.2), 5, c.filled())),
                )?
                .label(arm.arm.label.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        root.present()?;
        Ok(())
    })
}
