//! `emrcost import eventlog`: Spark event logs to priced job records.

use std::process::ExitCode;

use anyhow::{bail, Context};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

use super::super::args::{GlobalArgs, ImportEventlogArgs};
use super::super::output::{emit, note, printable};
use super::super::settings;
use emrcost::cost::{DeploymentOption, Pricer};
use emrcost::files;
use emrcost::input::csv::write_csv;
use emrcost::input::eventlog::{discover, import_all};
use emrcost::model::JobRun;
use emrcost::pipeline::Defaults as InputDefaults;
use emrcost::report::export::{duration, usd};

pub fn eventlog(g: &GlobalArgs, a: &ImportEventlogArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    let assumptions = settings::assumptions(&book, &a.model)?;
    let region = settings::region(&book, &a.region)?;
    let architecture = settings::architecture("--arch", &a.arch)?;
    let rate = book
        .serverless_rate(&region, architecture)
        .map_err(|e| anyhow::anyhow!("--region/--arch: {e}"))?
        .clone();
    let defaults = InputDefaults {
        region: Some(region),
        architecture,
    };

    let started = std::time::Instant::now();
    let (sources, path_problems) = discover(&a.paths);
    for p in &path_problems {
        eprintln!(
            "{}",
            printable(&format!("warning: {}: {}", p.path, p.message))
        );
    }
    if sources.is_empty() {
        bail!("no event logs found in {}", a.paths.join(", "));
    }
    let imported = import_all(sources);
    let bytes: u64 = imported.iter().map(|i| i.log.bytes).sum();
    let seconds = started.elapsed().as_secs_f64();

    let mut runs: Vec<JobRun> = Vec::new();
    let mut owners = Vec::new();
    let mut problems = 0;
    for (i, imp) in imported.iter().enumerate() {
        for p in imp.problems() {
            problems += 1;
            if !g.quiet {
                eprintln!("{}", printable(&format!("warning: {p}")));
            }
        }
        if let Some(run) = imp.job_run(&defaults) {
            if a.complete_only && run.incomplete {
                note(
                    g.quiet,
                    &format!(
                        "skipped (incomplete, --complete-only): {}",
                        imp.source.path.display()
                    ),
                );
                continue;
            }
            runs.push(run);
            owners.push(i);
        }
    }
    if runs.is_empty() {
        bail!(
            "none of the {} event log(s) could be priced (see the warnings above)",
            imported.len()
        );
    }
    let pricer = Pricer::new(&book, assumptions);
    let fleet = pricer.fleet();
    let mut cache = emrcost::cost::PlanCache::default();
    let mut used = emrcost::cost::RowsUsed::default();
    let mut costs = Vec::with_capacity(runs.len());
    for (index, run) in runs.iter().enumerate() {
        match fleet.price(run, &mut cache, &mut used) {
            Ok(c) => costs.push((index, c)),
            Err(reason) => eprintln!(
                "{}",
                printable(&format!("warning: {}: {reason}", run.label()))
            ),
        }
    }

    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "Application",
        "Spark",
        "Runtime",
        "Executors peak / avg",
        "vCPU-h raw -> billed",
        "EMR Serverless",
        "Estimator-style",
        "EMR on EC2",
        "Glue",
        "Notes",
    ]);
    let mut apps = csv::Writer::from_writer(Vec::new());
    apps.write_record([
        "log",
        "app_id",
        "app_name",
        "spark_version",
        "start",
        "end",
        "complete",
        "duration_s",
        "peak_executors",
        "avg_executors",
        "executor_cores",
        "executor_heap_gb",
        "executor_overhead_gb",
        "driver_cores",
        "driver_heap_gb",
        "raw_vcpu_hours",
        "raw_memory_gb_hours",
        "billed_vcpu_hours",
        "billed_memory_gb_hours",
        "billed_storage_gb_hours",
        "serverless_usd",
        "estimator_core_seconds",
        "estimator_mb_seconds",
        "estimator_usd",
        "ec2_usd",
        "glue_usd",
        "problems",
    ])?;
    for (index, c) in &costs {
        let imp = &imported[owners[*index]];
        let Ok(e) = &imp.estimate else { continue };
        let run = &runs[*index];
        // The EMR Serverless Estimator's arithmetic: core-seconds and MB-seconds
        // (MB / 1024 = GB) at the vCPU and memory rates; no storage.
        let estimator = e.estimator_core_seconds / 3600.0 * rate.vcpu_hour_usd
            + e.estimator_mb_seconds / 1024.0 / 3600.0 * rate.memory_gb_hour_usd;
        let notes = [
            (!e.complete).then_some("incomplete"),
            (imp.log.jobs_failed > 0).then_some("failed jobs"),
            (!imp.log.problems.is_empty() || !imp.errors.is_empty()).then_some("see warnings"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let opt = |o: DeploymentOption| c.usd(o).map(usd).unwrap_or_else(|| "-".into());
        t.add_row(vec![
            format!(
                "{} ({})",
                run.job_name.as_deref().unwrap_or("-"),
                run.job_run_id
            ),
            imp.log.spark_version.clone().unwrap_or_default(),
            duration(e.duration_s),
            format!("{} / {:.2}", e.peak_executors, e.avg_executors),
            format!(
                "{:.4} -> {:.4}",
                e.raw.vcpu_hours, e.serverless_billed.vcpu_hours
            ),
            usd(c.serverless_usd),
            usd(estimator),
            opt(DeploymentOption::Ec2OnDemand),
            opt(DeploymentOption::GlueStandard),
            notes,
        ]);
        let cell = |s: &str| emrcost::report::export::csv::text_cell(s).into_owned();
        apps.write_record([
            cell(&imp.source.path.display().to_string()),
            cell(&run.job_run_id),
            cell(run.job_name.as_deref().unwrap_or_default()),
            imp.log.spark_version.clone().unwrap_or_default(),
            run.started_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            run.ended_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            e.complete.to_string(),
            format!("{:.3}", e.duration_s),
            e.peak_executors.to_string(),
            format!("{:.4}", e.avg_executors),
            format!("{}", e.sizes.executor_cores),
            format!("{:.4}", e.sizes.executor_heap_gb),
            format!("{:.4}", e.sizes.executor_overhead_gb),
            format!("{}", e.sizes.driver_cores),
            format!("{:.4}", e.sizes.driver_heap_gb),
            format!("{:.6}", e.raw.vcpu_hours),
            format!("{:.6}", e.raw.memory_gb_hours),
            format!("{:.6}", e.serverless_billed.vcpu_hours),
            format!("{:.6}", e.serverless_billed.memory_gb_hours),
            format!("{:.6}", e.serverless_billed.storage_gb_hours),
            format!("{:.6}", c.serverless_usd),
            format!("{:.3}", e.estimator_core_seconds),
            format!("{:.3}", e.estimator_mb_seconds),
            format!("{estimator:.6}"),
            c.usd(DeploymentOption::Ec2OnDemand)
                .map(|v| format!("{v:.6}"))
                .unwrap_or_default(),
            c.usd(DeploymentOption::GlueStandard)
                .map(|v| format!("{v:.6}"))
                .unwrap_or_default(),
            imp.problems().len().to_string(),
        ])?;
    }
    for t in t.column_iter_mut().skip(2).take(7) {
        t.set_cell_alignment(CellAlignment::Right);
    }

    // Add to the dataset: replace earlier imports of the same runs.
    let dataset = a.out.join("eventlog-jobruns.csv");
    let mut all = if dataset.exists() {
        let (runs, left_out) = emrcost::pipeline::read_runs(
            &[emrcost::input::Source::Csv(dataset.clone())],
            &InputDefaults::default(),
        )
        .with_context(|| format!("cannot read the existing {}", dataset.display()))?;
        if left_out.total() > 0 {
            bail!(
                "{}: {} record(s) cannot be read (first: {}); fix or move the file before importing into it, so that no run is lost",
                dataset.display(),
                left_out.total(),
                left_out
                    .first()
                    .map(|(at, why)| format!("{at}: {why}"))
                    .unwrap_or_default()
            );
        }
        runs
    } else {
        Vec::new()
    };
    let key = |r: &JobRun| {
        (
            r.region.clone(),
            r.application_id.clone(),
            r.job_run_id.clone(),
            r.attempt,
        )
    };
    let new_keys: std::collections::HashSet<_> = runs.iter().map(key).collect();
    all.retain(|r| !new_keys.contains(&key(r)));
    all.extend(runs.iter().cloned());
    let mut buf = Vec::new();
    write_csv(&mut buf, &all)?;
    files::write(&dataset, &buf)?;
    let apps_path = a.out.join("details").join("eventlog-apps.csv");
    files::write(&apps_path, &apps.into_inner()?)?;

    if !g.quiet {
        emit(&format!("{t}\n"), None)?;
    }
    note(
        g.quiet,
        &format!(
            "read {} log(s), {:.1} MB in {:.2} s ({:.0} MB/s); {} problem(s) listed above; wrote {} ({} run(s)) and {}. Price them with: emrcost report {}",
            imported.len(),
            bytes as f64 / 1e6,
            seconds,
            bytes as f64 / 1e6 / seconds.max(1e-9),
            problems,
            dataset.display(),
            all.len(),
            apps_path.display(),
            a.out.display()
        ),
    );
    Ok(ExitCode::SUCCESS)
}
