//! `emrcost import eventlog`: Spark event logs to priced job records.

use std::process::ExitCode;

use anyhow::{bail, Context};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

use super::super::args::{GlobalArgs, ImportEventlogArgs};
use super::super::output::{emit, note, printable};
use super::super::settings;
use emrcost::collect::dataset::EventLogBeside;
use emrcost::collect::s3_logs::{S3Logs, S3Url};
use emrcost::cost::{DeploymentOption, Pricer};
use emrcost::files;
use emrcost::input::csv::write_csv;
use emrcost::input::eventlog::{discover, import_all_with, Imported, PathProblem};
use emrcost::model::JobRun;
use emrcost::pipeline::Defaults as InputDefaults;
use emrcost::report::export::{duration, usd};

pub fn eventlog(g: &GlobalArgs, a: &ImportEventlogArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    let assumptions = settings::assumptions(&book, &a.model)?;
    let book = settings::discounted(book, &assumptions);
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
    let imported = read_logs(g, a)?;
    let bytes: u64 = imported.iter().map(|i| i.log.bytes).sum();
    let seconds = started.elapsed().as_secs_f64();

    // EMR Serverless runs the dataset already holds: the log goes beside
    // the billed record instead of becoming a second record of the run.
    let beside = beside_collected(g, a, &imported)?;

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
        if beside.matched.contains(&i) {
            continue;
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
    if runs.is_empty() && beside.matched.is_empty() {
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
    all.retain(|r| {
        !new_keys.contains(&key(r))
            && !beside
                .ids
                .contains(&(r.application_id.clone(), r.job_run_id.clone()))
    });
    all.extend(runs.iter().cloned());
    if !all.is_empty() || dataset.exists() {
        let mut buf = Vec::new();
        write_csv(&mut buf, &all)?;
        files::write(&dataset, &buf)?;
    }
    let apps_path = a.out.join("details").join("eventlog-apps.csv");
    files::write(&apps_path, &apps.into_inner()?)?;

    if !g.quiet {
        if !costs.is_empty() {
            emit(&format!("{t}\n"), None)?;
        }
        if let Some(table) = &beside.table {
            emit(
                &format!("EMR Serverless runs beside their event logs (billed by EMR Serverless against what the log's executors held and used):\n{table}\n"),
                None,
            )?;
        }
    }
    if beside.unmatched_serverless > 0 {
        note(
            g.quiet,
            &format!(
                "{} log(s) are EMR Serverless runs {} does not hold (yet): imported as estimates under the runs' own ids in {} (attempt 1). After `emrcost collect --out {}`, the collected record replaces each estimate in reports when the run is in that region and on its first attempt (pass the applications' region with --region); importing the logs again puts them beside their runs whatever the region.",
                beside.unmatched_serverless,
                a.out.display(),
                a.region,
                a.out.display()
            ),
        );
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

/// Reads every log the paths name, local and in S3, with a progress bar
/// over the applications; the paths' problems are printed as warnings.
fn read_logs(g: &GlobalArgs, a: &ImportEventlogArgs) -> anyhow::Result<Vec<Imported>> {
    let mut local = Vec::new();
    let mut urls = Vec::new();
    for p in &a.paths {
        match S3Url::parse(p) {
            Some(Ok(u)) => urls.push(u),
            Some(Err(e)) => bail!("{e}"),
            None => local.push(p.clone()),
        }
    }
    let warn = |problems: &[PathProblem]| {
        for p in problems {
            eprintln!(
                "{}",
                printable(&format!("warning: {}: {}", p.path, p.message))
            );
        }
    };
    let (sources, path_problems) = discover(&local);
    warn(&path_problems);
    let mut imported = Vec::new();
    let count = |bar: &indicatif::ProgressBar| {
        let bar = bar.clone();
        move |_: &Imported| bar.inc(1)
    };
    if !sources.is_empty() {
        let bar =
            super::collect::spinner(g, "{spinner} reading event logs: {pos}/{len} applications");
        bar.set_length(sources.len() as u64);
        imported = import_all_with(sources, &emrcost::input::eventlog::open_local, &count(&bar));
        bar.finish_and_clear();
    }
    if !urls.is_empty() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let config = runtime.block_on(emrcost::collect::collector::aws_config_for(
            a.profile.as_deref(),
            a.endpoint_url.as_deref(),
            None,
            std::time::Duration::from_secs(60),
        ));
        let s3 = S3Logs::new(config, runtime.handle().clone());
        let bar = super::collect::spinner(g, "{spinner} listing {msg}");
        bar.set_message(
            urls.iter()
                .map(|u| format!("s3://{}/{}", u.bucket, u.key))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let found = runtime.block_on(s3.discover(&urls));
        bar.finish_and_clear();
        warn(&found.problems);
        if found.skipped.not_event_logs > 0 {
            note(
                g.quiet,
                &format!(
                    "{} object(s) outside sparklogs/ folders (driver, executor and step logs) left out",
                    found.skipped.not_event_logs
                ),
            );
        }
        if !found.sources.is_empty() {
            let bar = super::collect::spinner(
                g,
                "{spinner} reading event logs from S3: {pos}/{len} applications",
            );
            bar.set_length(found.sources.len() as u64);
            let open =
                |name: &std::path::Path| -> std::io::Result<Box<dyn std::io::BufRead + Send>> {
                    emrcost::input::eventlog::decode(name, s3.open(name)?)
                };
            imported.extend(import_all_with(found.sources, &open, &count(&bar)));
            bar.finish_and_clear();
        }
    }
    if imported.is_empty() {
        bail!("no event logs found in {}", a.paths.join(", "));
    }
    Ok(imported)
}

/// What `beside_collected` did.
#[derive(Default)]
struct Beside {
    /// Indexes (into the imported logs) put beside their collected runs.
    matched: std::collections::HashSet<usize>,
    /// (application, job run) of those runs: earlier estimates of them go.
    ids: std::collections::HashSet<(String, String)>,
    /// EMR Serverless logs whose run the dataset does not hold.
    unmatched_serverless: usize,
    table: Option<Table>,
}

/// Puts each EMR Serverless log whose run `--out` holds (a collected
/// dataset) beside that run: the dataset's state keeps both, and the run
/// takes the log's measured peak if it had none.
fn beside_collected(
    g: &GlobalArgs,
    a: &ImportEventlogArgs,
    imported: &[Imported],
) -> anyhow::Result<Beside> {
    let mut out = Beside::default();
    let serverless: Vec<usize> = (0..imported.len())
        .filter(|&i| imported[i].source.serverless.is_some() && imported[i].estimate.is_ok())
        .collect();
    if serverless.is_empty() {
        return Ok(out);
    }
    if !emrcost::collect::dataset::is_dataset(&a.out) {
        out.unmatched_serverless = serverless.len();
        return Ok(out);
    }
    let mut ds = super::collect::open_dataset(g, &a.out)?;
    // The newest attempt of each (application, job run).
    let mut runs: std::collections::HashMap<(String, String), JobRun> = Default::default();
    for r in ds.runs() {
        let id = (r.application_id.clone(), r.job_run_id.clone());
        if runs.get(&id).is_none_or(|o| o.attempt < r.attempt) {
            runs.insert(id, r.clone());
        }
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "Job run",
        "Billed vCPU-h / GB-h",
        "From the log",
        "Executors peak / avg",
        "Executor core-h",
        "Busy",
    ]);
    let mut enriched = Vec::new();
    for i in serverless {
        let imp = &imported[i];
        let (Some(id), Ok(e)) = (&imp.source.serverless, &imp.estimate) else {
            continue;
        };
        let key = (id.application_id.clone(), id.job_run_id.clone());
        let Some(run) = runs.get(&key) else {
            out.unmatched_serverless += 1;
            continue;
        };
        let Some(billed) = run.billed.filter(|b| !b.is_zero()) else {
            // No billed usage yet: nothing to set the log beside.
            out.unmatched_serverless += 1;
            continue;
        };
        let b = EventLogBeside {
            region: run.region.clone(),
            application_id: run.application_id.clone(),
            job_run_id: run.job_run_id.clone(),
            attempt: run.attempt,
            architecture: run.architecture,
            created_at: run.created_at,
            log: imp.source.path.display().to_string(),
            billed,
            log_billed: e.serverless_billed,
            peak_executors: e.peak_executors,
            avg_executors: e.avg_executors,
            executor_core_seconds: e.executor_core_seconds,
            task_core_seconds: e.task_core_seconds,
            incomplete: !e.complete,
        };
        t.add_row(vec![
            format!(
                "{} ({})",
                run.job_run_id,
                run.job_name.as_deref().unwrap_or("-")
            ),
            format!("{:.3} / {:.3}", billed.vcpu_hours, billed.memory_gb_hours),
            format!(
                "{:.3} / {:.3}",
                e.serverless_billed.vcpu_hours, e.serverless_billed.memory_gb_hours
            ),
            format!("{} / {:.2}", e.peak_executors, e.avg_executors),
            format!("{:.3}", e.executor_core_seconds / 3600.0),
            e.idle_share()
                .map(|idle| format!("{:.0}%", (1.0 - idle) * 100.0))
                .unwrap_or_else(|| "-".into()),
        ]);
        ds.state.event_logs.retain(|o| {
            !(o.region == b.region
                && o.application_id == b.application_id
                && o.job_run_id == b.job_run_id
                && o.attempt == b.attempt)
        });
        ds.state.event_logs.push(b);
        if run.peak_executors.is_none() {
            let mut r = run.clone();
            r.peak_executors = Some(e.peak_executors);
            enriched.push(r);
        }
        out.matched.insert(i);
        out.ids.insert(key);
    }
    if out.matched.is_empty() {
        return Ok(out);
    }
    ds.record_all(enriched)
        .with_context(|| format!("--out {}", a.out.display()))?;
    ds.compact()
        .with_context(|| format!("--out {}", a.out.display()))?;
    for col in t.column_iter_mut().skip(1) {
        col.set_cell_alignment(CellAlignment::Right);
    }
    out.table = Some(t);
    Ok(out)
}
