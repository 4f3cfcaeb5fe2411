//! `emrcost bench PLAN` and `emrcost bench compare`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};

use super::super::args::{BenchArgs, BenchCommand, GlobalArgs};
use super::super::output::{emit, note};
use super::super::settings;
use emrcost::bench::{self, plan, runner, summary};

/// Exit code of `compare` when the candidate is worse.
const WORSE: u8 = 4;
/// Exit code when Ctrl-C stopped the benchmark.
const INTERRUPTED: u8 = 130;

pub fn run(g: &GlobalArgs, a: &BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(BenchCommand::Compare {
        baseline,
        candidate,
        threshold,
    }) = &a.command
    {
        return compare(g, baseline, candidate, threshold);
    }
    let Some(plan_path) = &a.plan else {
        bail!("give a plan file (emrcost bench PLAN.toml) or `emrcost bench compare BASELINE CANDIDATE`");
    };
    let book = settings::price_book(g)?;
    let checked = plan::load(plan_path, &book, a.repeat)?;
    if let Some(m) = a.max_cost {
        if !(m.is_finite() && m > 0.0) {
            bail!("--max-cost must be a number of dollars above zero, not {m}");
        }
    }
    if a.dry_run || !a.yes {
        emit(&bench::dry_run(&checked), None)?;
        if !a.dry_run {
            note(
                g.quiet,
                "nothing was submitted: this was the dry run; add --yes to run the plan",
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("bench").join(&checked.plan.name));
    if out.exists() && !out.is_dir() {
        bail!("--out {}: exists and is not a folder", out.display());
    }
    let pricer = emrcost::cost::Pricer::new(&book, emrcost::cost::Assumptions::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let quiet = g.quiet;
    let outcome = runtime.block_on(async {
        let config = aws_config(a, &checked.plan.region).await;
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = stop.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, Ordering::Relaxed);
                }
            });
        }
        runner::run(
            &checked,
            &config,
            &pricer,
            &runner::Options {
                max_cost_usd: a.max_cost,
                out: out.clone(),
            },
            &Lines { quiet },
            stop,
        )
        .await
    });
    let outcome = outcome.map_err(anyhow::Error::msg).with_context(|| {
        format!(
            "the benchmark stopped; what was measured is kept in {}, and the same command resumes it",
            out.display()
        )
    })?;
    let s = summary::summarise(&checked, &outcome, &book);
    write_results(&out, &s, &outcome)?;
    if let Some(svg) = summary::chart(&checked, &outcome) {
        emrcost::files::write(&out.join("bench.svg"), svg.as_bytes())?;
        let png = emrcost::report::chart::png(&svg).map_err(anyhow::Error::msg)?;
        emrcost::files::write(&out.join("bench.png"), &png)?;
    }
    if !quiet {
        emit(&summary::markdown(&s), None)?;
    }
    note(
        quiet,
        &format!(
            "wrote bench.json, bench.md, bench.svg, bench.png and runs.csv to {}",
            out.display()
        ),
    );
    Ok(if outcome.interrupted {
        note(
            quiet,
            "interrupted: runs in flight were cancelled; run the same command to finish",
        );
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    })
}

struct Lines {
    quiet: bool,
}

impl runner::Progress for Lines {
    fn event(&self, line: &str) {
        note(self.quiet, line);
    }
}

async fn aws_config(a: &BenchArgs, region: &str) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(std::time::Duration::from_secs(30))
                .build(),
        );
    if let Some(p) = &a.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &a.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// bench.json, bench.md and the runs in the one run table (runs.csv).
fn write_results(
    out: &Path,
    s: &summary::BenchSummary,
    outcome: &runner::Outcome,
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(s)?;
    emrcost::files::write(&out.join("bench.json"), json.as_bytes())?;
    emrcost::files::write(&out.join("bench.md"), summary::markdown(s).as_bytes())?;
    let mut runs: Vec<_> = outcome
        .measured
        .iter()
        .filter_map(|m| m.run.clone())
        .collect();
    runs.sort_by(|x, y| (x.created_at, &x.job_run_id).cmp(&(y.created_at, &y.job_run_id)));
    let mut buf = Vec::new();
    emrcost::input::csv::write_csv(&mut buf, &runs).context("writing runs.csv")?;
    emrcost::files::write(&out.join("runs.csv"), &buf)?;
    Ok(())
}

fn read_summary(path: &Path) -> anyhow::Result<summary::BenchSummary> {
    let file = if path.is_dir() {
        path.join("bench.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a bench.json written by emrcost bench",
            file.display()
        )
    })
}

fn compare(
    g: &GlobalArgs,
    baseline: &Path,
    candidate: &Path,
    threshold: &str,
) -> anyhow::Result<ExitCode> {
    let t = threshold.trim();
    let value: f64 = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .ok()
    .filter(|v| v.is_finite() && *v >= 0.0)
    .ok_or_else(|| {
        anyhow::anyhow!(
            "--threshold {threshold}: use a percentage such as 10% or a fraction such as 0.1"
        )
    })?;
    let base = read_summary(baseline)?;
    let cand = read_summary(candidate)?;
    let (ok, lines) = summary::compare(&base, &cand, value);
    if !g.quiet {
        emit(&(lines.join("\n") + "\n"), None)?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(WORSE)
    })
}
