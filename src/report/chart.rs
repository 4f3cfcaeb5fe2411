//! Charts (plotters, SVG): cost against runtime with the crossovers marked,
//! monthly cost by option, the runtime histogram with the crossover lines,
//! and the distribution of queue times. Each is a function of the report.

use plotters::prelude::*;
use serde::Serialize;

use super::export::duration;
use super::{GroupSummary, Report};
use crate::cost::DeploymentOption;

const SIZE: (u32, u32) = (820, 440);

/// One rendered chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// File stem, e.g. `cost-vs-runtime-etl-nightly`.
    pub id: String,
    pub title: String,
    pub svg: String,
}

fn colour(o: DeploymentOption) -> RGBColor {
    match o {
        DeploymentOption::EmrServerless => RGBColor(31, 119, 180),
        DeploymentOption::Ec2OnDemand => RGBColor(214, 39, 40),
        DeploymentOption::Ec2Spot => RGBColor(255, 127, 14),
        DeploymentOption::GlueStandard => RGBColor(44, 160, 44),
        DeploymentOption::GlueFlex => RGBColor(148, 103, 189),
        DeploymentOption::EmrOnEks => RGBColor(23, 190, 207),
    }
}

fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    match out.trim_matches('-') {
        "" => "unnamed".to_string(),
        s => s.to_string(),
    }
}

pub(crate) type Drawn = Result<(), Box<dyn std::error::Error>>;

pub(crate) fn render(
    draw: impl FnOnce(DrawingArea<SVGBackend, plotters::coord::Shift>) -> Drawn,
) -> Option<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(root).ok()?;
    }
    Some(svg)
}

/// The label of a category axis at `v`: the category whose index `v` is,
/// nothing between categories.
fn category<S: AsRef<str>>(labels: &[S], v: f64) -> String {
    let i = v.round();
    match labels.get(i as usize) {
        Some(label) if (v - i).abs() < 1e-6 && i >= 0.0 => label.as_ref().to_string(),
        _ => String::new(),
    }
}

fn app_name(g: &GroupSummary) -> &str {
    g.name.as_deref().unwrap_or(&g.key)
}

/// Cost against runtime for one application's median run, each option a
/// line, each change of the cheapest option marked and labelled.
pub fn cost_vs_runtime(app: &GroupSummary) -> Option<Chart> {
    let x = app.crossovers.as_ref()?;
    let low = x.at_average.as_ref();
    let analyses = std::iter::once(&x.analysis).chain(low.map(|l| &l.analysis));
    let last_cross = analyses
        .flat_map(|a| {
            a.cheapest_changes
                .iter()
                .chain(a.pairs.iter().flat_map(|p| p.crossovers.iter()))
        })
        .map(|c| c.runtime_s)
        .fold(0.0, f64::max);
    let x_max_s = drawable((last_cross * 1.6).max(x.median_runtime_s * 3.0).max(600.0))?;
    let y_max = drawable(
        x.curves
            .iter()
            .map(|(_, c)| c.cost_linear_usd(x_max_s))
            .fold(0.0, f64::max)
            * 1.08,
    )?;
    let title = format!("{}: cost of the median run against runtime", app_name(app));
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..x_max_s / 60.0, 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_desc("runtime (minutes)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("cost per run (USD)")
            .y_label_formatter(&|v| format!("${v:.2}"))
            .draw()?;
        for (option, curve) in &x.curves {
            let mut ts = vec![0.0, x_max_s];
            ts.extend(curve.breakpoint_s().filter(|b| *b < x_max_s));
            ts.sort_by(f64::total_cmp);
            let c = colour(*option);
            chart
                .draw_series(LineSeries::new(
                    ts.iter().map(|t| (t / 60.0, curve.cost_linear_usd(*t))),
                    c.stroke_width(2),
                ))?
                .label(option.label())
                .legend(move |(lx, ly)| {
                    PathElement::new(vec![(lx, ly), (lx + 18, ly)], c.stroke_width(3))
                });
        }
        // Where the peak is estimated, the options sized to the average:
        // thin, pale lines, the other end of the range.
        if let Some(low) = low {
            for (option, curve) in &low.curves {
                if *option == DeploymentOption::EmrServerless {
                    continue;
                }
                let mut ts = vec![0.0, x_max_s];
                ts.extend(curve.breakpoint_s().filter(|b| *b < x_max_s));
                ts.sort_by(f64::total_cmp);
                // Dashed and lighter: sampled densely so the dashes show.
                let c = colour(*option).mix(0.7);
                let (first, last) = (ts[0], ts[ts.len() - 1]);
                let mut times: Vec<f64> = (0..=200)
                    .map(|i| first + (last - first) * f64::from(i) / 200.0)
                    .chain(ts.iter().copied())
                    .collect();
                times.sort_by(f64::total_cmp);
                let points: Vec<(f64, f64)> = times
                    .into_iter()
                    .map(|t| (t / 60.0, curve.cost_linear_usd(t)))
                    .collect();
                chart
                    .draw_series(DashedLineSeries::new(points, 6, 4, c.stroke_width(2)))?
                    .label(format!("{} (sized to the average)", option.label()))
                    .legend(move |(lx, ly)| {
                        PathElement::new(vec![(lx, ly), (lx + 6, ly)], c.stroke_width(2))
                    });
            }
            for p in &low.analysis.pairs {
                if p.a != DeploymentOption::EmrServerless {
                    continue;
                }
                for c in &p.crossovers {
                    let (t, usd) = (c.runtime_s / 60.0, c.cost_usd);
                    chart.draw_series(std::iter::once(Circle::new(
                        (t, usd),
                        4,
                        colour(p.b).mix(0.6).stroke_width(2),
                    )))?;
                    chart.draw_series(std::iter::once(Text::new(
                        format!(
                            "{} at average sizing: {}",
                            p.b.label(),
                            duration(c.runtime_s)
                        ),
                        (t, usd - y_max * 0.05),
                        ("sans-serif", 11),
                    )))?;
                }
            }
        }
        for change in &x.analysis.cheapest_changes {
            let (t, usd) = (change.runtime_s / 60.0, change.cost_usd);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(t, 0.0), (t, y_max)],
                BLACK.mix(0.35).stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((t, usd), 5, BLACK.filled())))?;
            chart.draw_series(std::iter::once(Text::new(
                format!(
                    "crossover {}: {} -> {}",
                    duration(change.runtime_s),
                    change.cheaper_below.label(),
                    change.cheaper_above.label()
                ),
                (t, usd + y_max * 0.04),
                ("sans-serif", 12),
            )))?;
        }
        // Crossovers of EMR Serverless with each other option, hollow.
        for p in &x.analysis.pairs {
            if p.a != DeploymentOption::EmrServerless {
                continue;
            }
            for c in &p.crossovers {
                chart.draw_series(std::iter::once(Circle::new(
                    (c.runtime_s / 60.0, c.cost_usd),
                    4,
                    colour(p.b).stroke_width(2),
                )))?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()?;
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: format!("cost-vs-runtime-{}", slug(app_name(app))),
        title,
        svg,
    })
}

/// Monthly cost on each option, grouped bars.
pub fn monthly_cost(report: &Report) -> Option<Chart> {
    if report.months.is_empty() {
        return None;
    }
    let options: Vec<DeploymentOption> = DeploymentOption::ALL
        .into_iter()
        .filter(|o| report.months.iter().all(|m| m.costs.get(*o).is_some()))
        .collect();
    let y_max = drawable(
        report
            .months
            .iter()
            .flat_map(|m| options.iter().filter_map(|o| m.costs.get(*o)))
            .fold(0.0, f64::max)
            * 1.35,
    )?;
    let months: Vec<String> = report.months.iter().map(|m| m.key.clone()).collect();
    let n = months.len() as f64;
    let width = 0.8 / options.len().max(1) as f64;
    let title = "Monthly cost by option".to_string();
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..y_max.max(1.0))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(months.len().max(1))
            .x_label_formatter(&|v| category(&months, *v))
            .x_desc("month")
            .y_desc("cost (USD)")
            .y_label_formatter(&|v| format!("${v:.0}"))
            .draw()?;
        for (k, option) in options.iter().enumerate() {
            let c = colour(*option);
            let bars = report.months.iter().enumerate().filter_map(|(i, m)| {
                let v = m.costs.get(*option)?;
                let left = i as f64 - 0.4 + k as f64 * width;
                Some(Rectangle::new(
                    [(left, 0.0), (left + width * 0.92, v)],
                    c.filled(),
                ))
            });
            chart
                .draw_series(bars)?
                .label(option.label())
                .legend(move |(lx, ly)| {
                    Rectangle::new([(lx, ly - 5), (lx + 14, ly + 5)], c.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()?;
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: "monthly-cost".into(),
        title,
        svg,
    })
}

/// Runtimes of one application's runs, with its crossover runtimes drawn.
pub fn runtime_histogram(report: &Report, app: &GroupSummary) -> Option<Chart> {
    let mut runtimes: Vec<f64> = report
        .distributions
        .runtimes_s
        .get(&app.key)?
        .iter()
        .map(|r| r / 60.0)
        .collect();
    if runtimes.is_empty() {
        return None;
    }
    let crossings: Vec<(f64, String)> = app
        .crossovers
        .iter()
        .flat_map(|x| x.analysis.cheapest_changes.iter())
        .map(|c| {
            (
                c.runtime_s / 60.0,
                format!("{} -> {}", c.cheaper_below.label(), c.cheaper_above.label()),
            )
        })
        .collect();
    // The nearest-rank 99th percentile, by selection (no sort: a group can
    // have millions of runs).
    let k = (runtimes.len() * 99 / 100).min(runtimes.len() - 1);
    let p99 = *runtimes.select_nth_unstable_by(k, f64::total_cmp).1;
    let x_max = drawable(
        crossings
            .iter()
            .map(|c| c.0 * 1.15)
            .fold(p99 * 1.05, f64::max)
            .max(1.0),
    )?;
    let bins = 30usize;
    let w = x_max / bins as f64;
    let mut counts = vec![0u32; bins];
    for r in &runtimes {
        let b = ((r / w) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let y_max = f64::from(counts.iter().copied().max().unwrap_or(1)) * 1.15;
    let title = format!(
        "{}: runtimes of {} runs, with crossovers",
        app_name(app),
        runtimes.len()
    );
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_desc("runtime (minutes)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("runs")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let bar = colour(DeploymentOption::EmrServerless).mix(0.7);
        chart.draw_series(counts.iter().enumerate().map(|(i, c)| {
            let left = i as f64 * w;
            Rectangle::new(
                [(left, 0.0), (left + w * 0.95, f64::from(*c))],
                bar.filled(),
            )
        }))?;
        for (t, label) in &crossings {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(*t, 0.0), (*t, y_max)],
                BLACK.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("crossover {}: {label}", duration(t * 60.0)),
                (*t, y_max * 0.95),
                ("sans-serif", 12),
            )))?;
        }
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: format!("runtime-histogram-{}", slug(app_name(app))),
        title,
        svg,
    })
}

/// How long runs waited before they started.
pub fn queue_times(report: &Report) -> Option<Chart> {
    const EDGES: [(f64, &str); 8] = [
        (5.0, "<5s"),
        (10.0, "5-10s"),
        (30.0, "10-30s"),
        (60.0, "30-60s"),
        (120.0, "1-2m"),
        (300.0, "2-5m"),
        (900.0, "5-15m"),
        (f64::INFINITY, ">15m"),
    ];
    let queued = &report.distributions.queued_s;
    if queued.is_empty() {
        return None;
    }
    let mut counts = [0u32; EDGES.len()];
    for q in queued {
        let i = EDGES
            .iter()
            .position(|(edge, _)| q < edge)
            .unwrap_or(EDGES.len() - 1);
        counts[i] += 1;
    }
    let y_max = f64::from(counts.iter().copied().max().unwrap_or(1)) * 1.15;
    let title = format!("Queue time before start, {} runs", queued.len());
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..EDGES.len() as f64 - 0.5, 0f64..y_max)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(EDGES.len())
            .x_label_formatter(&|v| category(&EDGES.map(|(_, label)| label), *v))
            .x_desc("queue time (queuedDurationMilliseconds)")
            .y_desc("runs")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let bar = RGBColor(127, 127, 127);
        chart.draw_series(counts.iter().enumerate().map(|(i, c)| {
            Rectangle::new(
                [(i as f64 - 0.4, 0.0), (i as f64 + 0.4, f64::from(*c))],
                bar.filled(),
            )
        }))?;
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: "queue-times".into(),
        title,
        svg,
    })
}

/// The slowest starts as a waterfall: per run, time QUEUED, then startup
/// (to RUNNING), then its runtime, on one time axis from its creation.
pub fn startup_waterfall(report: &Report) -> Option<Chart> {
    let s = report.startup.as_ref()?;
    // Slowest at the top: plotters counts rows upwards.
    let mut runs: Vec<_> = s
        .slowest
        .iter()
        .filter(|r| r.wait_s() > 0.0)
        .take(12)
        .collect();
    if runs.is_empty() {
        return None;
    }
    runs.reverse();
    // The axis is for the waits: a long run's bar is cut at the edge.
    let x_max = runs.iter().map(|r| r.wait_s()).fold(0.0, f64::max).max(1.0) * 1.6;
    let labels: Vec<String> = runs
        .iter()
        .map(|r| {
            let name: String = r
                .job_name
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(14)
                .collect();
            let id: String = r.job_run_id.chars().take(8).collect();
            format!("{name} {id} {}", r.created_at.format("%m-%d %H:%M"))
        })
        .collect();
    let title = format!(
        "Slowest starts: queued, starting, running ({} runs)",
        runs.len()
    );
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(230)
            .build_cartesian_2d(0f64..x_max, -0.5f64..runs.len() as f64 - 0.5)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(runs.len())
            .y_label_formatter(&|v| category(&labels, *v))
            .x_desc("time from the run's creation (running bars cut at the edge)")
            .x_label_formatter(&|v| duration(*v))
            .draw()?;
        let parts = [
            ("queued", RGBColor(127, 127, 127)),
            ("starting", RGBColor(230, 120, 20)),
            ("running", RGBColor(31, 119, 180)),
        ];
        for (k, (name, colour)) in parts.into_iter().enumerate() {
            let bars = runs.iter().enumerate().filter_map(|(i, r)| {
                let (from, to) = match k {
                    0 => (0.0, r.queued_s),
                    1 => (r.queued_s, r.wait_s()),
                    _ => (r.wait_s(), (r.wait_s() + r.runtime_s).min(x_max)),
                };
                // A zero-width bar is no bar (and an invalid SVG rect).
                let y = i as f64;
                (to > from)
                    .then(|| Rectangle::new([(from, y - 0.35), (to, y + 0.35)], colour.filled()))
            });
            chart.draw_series(bars)?.label(name).legend(swatch(colour));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: "startup-waterfall".into(),
        title,
        svg,
    })
}

/// Per job class, the executors' vCPU-hours allocated against used, and
/// the same for memory, as shares of the allocation.
pub fn used_against_billed(report: &Report) -> Option<Chart> {
    let s = report.rightsizing.as_ref()?;
    let classes: Vec<_> = s
        .classes
        .iter()
        .filter(|c| c.executor_vcpu_hours > 0.0)
        .take(10)
        .collect();
    if classes.is_empty() {
        return None;
    }
    let labels: Vec<String> = classes
        .iter()
        .map(|c| c.job_name.chars().take(18).collect())
        .collect();
    let title =
        "Executors: share of their allocated (billed) capacity used, per job class".to_string();
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(150)
            .build_cartesian_2d(0f64..100.0, -0.5f64..classes.len() as f64 - 0.5)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(classes.len())
            .y_label_formatter(&|v| category(&labels, *v))
            .x_desc("% of the executors' allocated vCPU-hours / GB-hours used (100% = all billed capacity used)")
            .x_label_formatter(&|v| format!("{v:.0}%"))
            .draw()?;
        let series = [
            ("vCPU", RGBColor(31, 119, 180), 0.0),
            ("memory", RGBColor(230, 120, 20), 0.36),
        ];
        for (name, colour, offset) in series {
            let bars = classes.iter().enumerate().filter_map(|(i, c)| {
                let share = if name == "vCPU" {
                    c.used_vcpu_hours / c.executor_vcpu_hours
                } else if c.executor_memory_gb_hours > 0.0 {
                    c.used_memory_gb_hours / c.executor_memory_gb_hours
                } else {
                    0.0
                };
                let y = i as f64 - 0.35 + offset;
                let x = (share * 100.0).min(100.0);
                (x > 0.0).then(|| Rectangle::new([(0.0, y), (x, y + 0.34)], colour.filled()))
            });
            chart.draw_series(bars)?.label(name).legend(swatch(colour));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: "used-against-billed".into(),
        title,
        svg,
    })
}

/// Chargeback: cost per month, stacked by group (the seven largest, the
/// rest together).
pub fn chargeback(report: &Report) -> Option<Chart> {
    let c = report.chargeback.as_ref()?;
    if c.months.is_empty() || c.rows.is_empty() {
        return None;
    }
    const SHOWN: usize = 7;
    let mut series: Vec<(String, Vec<f64>)> = c
        .rows
        .iter()
        .take(SHOWN)
        .map(|r| (r.key.chars().take(24).collect(), r.by_month_usd.clone()))
        .collect();
    if c.rows.len() > SHOWN {
        let mut rest = vec![0.0; c.months.len()];
        for r in &c.rows[SHOWN..] {
            for (a, v) in rest.iter_mut().zip(&r.by_month_usd) {
                *a += v;
            }
        }
        series.push((format!("{} others", c.rows.len() - SHOWN), rest));
    }
    let tops: Vec<f64> = (0..c.months.len())
        .map(|m| series.iter().map(|s| s.1[m]).sum())
        .collect();
    let y_max = tops.iter().copied().fold(0.0, f64::max);
    let y_max = drawable(y_max)? * 1.1;
    let title = format!("Cost per month by {}", report.group_by.as_str());
    let palette = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    let months = c.months.clone();
    let svg = render(|root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(70)
            // Room on the right for the legend.
            .build_cartesian_2d(-0.5f64..months.len() as f64 + 1.0, 0f64..y_max)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(months.len() + 2)
            .x_label_formatter(&|v| category(&months, *v))
            .y_desc("USD, where the runs ran")
            .y_label_formatter(&|v| format!("${v:.0}"))
            .draw()?;
        let mut base = vec![0.0; months.len()];
        for (k, (name, values)) in series.iter().enumerate() {
            let colour = palette[k % palette.len()];
            let bars: Vec<_> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(m, v)| {
                    let x = m as f64;
                    Rectangle::new(
                        [(x - 0.35, base[m]), (x + 0.35, base[m] + v)],
                        colour.filled(),
                    )
                })
                .collect();
            for (b, v) in base.iter_mut().zip(values) {
                *b += v;
            }
            chart
                .draw_series(bars)?
                .label(name.as_str())
                .legend(swatch(colour));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present()?;
        Ok(())
    })?;
    Some(Chart {
        id: "chargeback".into(),
        title,
        svg,
    })
}

/// A filled square for a bar series' legend entry.
fn swatch(colour: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
}

/// The legend box of the bar charts.
fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Drawn
where
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(position)
        .draw()?;
    Ok(())
}

/// DejaVu Sans (Debian fonts-dejavu-core; license in assets/fonts), so that
/// PNG charts render the same everywhere, whatever fonts a machine has.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Rasterises a chart's SVG to PNG with the bundled font.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let mut opt = usvg::Options::default();
    opt.fontdb_mut().load_font_data(FONT.to_vec());
    opt.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| format!("chart SVG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty chart")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("PNG: {e}"))
}

/// Every chart of a report: cost against runtime and the runtime histogram
/// for the three applications with the highest serverless cost, monthly
/// cost, and queue times.
pub fn all(report: &Report) -> Vec<Chart> {
    let mut apps: Vec<&GroupSummary> = report.groups.iter().collect();
    apps.sort_by(|a, b| {
        b.costs
            .emr_serverless_usd
            .total_cmp(&a.costs.emr_serverless_usd)
    });
    let mut charts = Vec::new();
    for app in apps.iter().take(3) {
        charts.extend(cost_vs_runtime(app));
    }
    charts.extend(monthly_cost(report));
    for app in apps.iter().take(3) {
        charts.extend(runtime_histogram(report, app));
    }
    charts.extend(queue_times(report));
    charts.extend(chargeback(report));
    charts.extend(startup_waterfall(report));
    charts.extend(used_against_billed(report));
    unique_ids(&mut charts);
    charts
}

/// Makes chart ids (file names) unique: names that slug alike (`.`, `!!!`
/// and `日本語` all slug to nothing) get `-2`, `-3`, ... in order.
fn unique_ids(charts: &mut [Chart]) {
    let mut seen = std::collections::HashSet::new();
    for c in charts.iter_mut() {
        let base = c.id.clone();
        let mut n = 1;
        while !seen.insert(c.id.clone()) {
            n += 1;
            c.id = format!("{base}-{n}");
        }
    }
}

/// An axis end plotters can draw: finite and below a trillion. Beyond
/// that a chart says nothing a reader can use (and plotters' tick search
/// does not end near f64's range), so the chart is left out.
fn drawable(max: f64) -> Option<f64> {
    (max.is_finite() && max <= 1e12).then_some(max)
}
