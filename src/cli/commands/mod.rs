//! One file per subcommand.

mod collect;
mod crossover;
mod import;
mod price;
mod pricing;
mod report;
mod synth;

use std::process::ExitCode;

use super::args::{Args, Command, ImportCommand, PricingCommand};

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Command::Report(a) => report::run(&args.global, a),
        Command::Price(a) => price::run(&args.global, a),
        Command::Crossover(a) => crossover::run(&args.global, a),
        Command::Pricing {
            command: PricingCommand::Show(a),
        } => pricing::show(&args.global, a),
        Command::Pricing {
            command: PricingCommand::Update(a),
        } => pricing::update(&args.global, a),
        Command::Pricing {
            command: PricingCommand::Diff(a),
        } => pricing::diff(&args.global, a),
        Command::Synth(a) => synth::run(&args.global, a),
        Command::Collect(a) => collect::run(&args.global, a),
        Command::Import {
            command: ImportCommand::Eventlog(a),
        } => import::eventlog(&args.global, a),
    }
}

/// Loads job runs, prices them and builds the report value: what `price`
/// and `report` share. Returns the report and how many records were not
/// priced (rejected or unpriced), and the assumptions used.
fn priced_report(
    g: &super::args::GlobalArgs,
    input: &super::args::InputArgs,
    model: &super::args::ModelArgs,
    window: &super::args::WindowArgs,
    group_by: emrcost::report::GroupBy,
    load: impl FnOnce(&emrcost::collect::InputDefaults) -> anyhow::Result<emrcost::collect::Loaded>,
) -> anyhow::Result<(emrcost::report::Report, usize, emrcost::cost::Assumptions)> {
    let book = super::settings::price_book(g)?;
    let assumptions = super::settings::assumptions(&book, model)?;
    let defaults = super::settings::input_defaults(&book, input)?;
    let mut loaded = load(&defaults)?;
    let (since, until) = window_bounds(window)?;
    if since.is_some() || until.is_some() {
        let before = loaded.runs.len();
        let mut undated = Vec::new();
        loaded.runs.retain(|r| match r.started_at.or(r.created_at) {
            Some(t) => since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u),
            None => {
                undated.push(r.label());
                false
            }
        });
        for label in undated {
            loaded.rejected.push(emrcost::collect::Rejected {
                location: label,
                reason: "no start or creation time, so --since/--until cannot place it; left out"
                    .into(),
            });
        }
        if !g.quiet {
            eprintln!(
                "note: {} of {} run(s) fall inside --since/--until",
                loaded.runs.len(),
                before
            );
        }
    }
    if loaded.runs.is_empty() {
        anyhow::bail!(
            "no job runs to price in {} ({} record(s) rejected{})",
            loaded.files.join(", "),
            loaded.rejected.len(),
            loaded
                .rejected
                .first()
                .map(|r| format!("; first: {}: {}", r.location, r.reason))
                .unwrap_or_default()
        );
    }
    let pricer = emrcost::cost::Pricer::new(&book, assumptions);
    let (costs, unpriced) = pricer.price_all(&loaded.runs);
    let left_out = emrcost::report::NotPriced::from_lists(loaded.rejected, unpriced);
    list_unpriced(g.quiet, &left_out);
    let not_priced = left_out.total();
    let report = emrcost::report::build(emrcost::report::BuildInput {
        runs: &loaded.runs,
        costs: &costs,
        not_priced: left_out,
        inputs: loaded.files,
        pricer: &pricer,
        group_by,
        idle_capacity: &loaded.idle_capacity,
    })
    .map_err(|e| anyhow::anyhow!("could not aggregate the runs: {e}"))?;
    Ok((report, not_priced, pricer.assumptions().clone()))
}

/// `--since` and `--until` as times.
type Bounds = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);

fn window_bounds(window: &super::args::WindowArgs) -> anyhow::Result<Bounds> {
    let now = chrono::Utc::now();
    let at = |flag: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|r| super::settings::when(flag, r, now))
            .transpose()
    };
    Ok((at("--since", &window.since)?, at("--until", &window.until)?))
}

/// Whether `report` should stream these inputs: Parquet files only, read
/// in batches and priced into columns, never held as records.
fn scannable(files: &[std::path::PathBuf]) -> bool {
    !files.is_empty()
        && files
            .iter()
            .all(|f| f.is_file() && f.extension().is_some_and(|e| e == "parquet"))
}

/// [`priced_report`] for Parquet files of any size: the fleet is priced in
/// parallel chunks into columns and aggregated with polars; the per-run
/// tables keep the most expensive runs.
fn scanned_report(
    g: &super::args::GlobalArgs,
    files: &[std::path::PathBuf],
    model: &super::args::ModelArgs,
    window: &super::args::WindowArgs,
    group_by: emrcost::report::GroupBy,
) -> anyhow::Result<(emrcost::report::Report, usize, emrcost::cost::Assumptions)> {
    let book = super::settings::price_book(g)?;
    let assumptions = super::settings::assumptions(&book, model)?;
    let (since, until) = window_bounds(window)?;
    let pricer = emrcost::cost::Pricer::new(&book, assumptions);
    let top = emrcost::report::export::MAX_JOB_ROWS;
    let started = std::time::Instant::now();
    let scanned = emrcost::report::scan::scan(&emrcost::report::scan::ScanInput {
        files,
        pricer: &pricer,
        group_by,
        since,
        until,
        top,
    })?;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        runs = scanned.runs,
        "read and priced"
    );
    let inputs: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    if since.is_some() || until.is_some() {
        super::output::note(
            g.quiet,
            &format!(
                "note: {} of {} run(s) fall inside --since/--until",
                scanned.runs, scanned.rows
            ),
        );
    }
    if scanned.fleet.is_empty() {
        anyhow::bail!(
            "no job runs to price in {} ({} record(s) rejected, {} not priced{})",
            inputs.join(", "),
            scanned.not_priced.rejected_count(),
            scanned.not_priced.unpriced_count(),
            scanned
                .not_priced
                .first()
                .map(|(at, why)| format!("; first: {at}: {why}"))
                .unwrap_or_default()
        );
    }
    list_unpriced(g.quiet, &scanned.not_priced);
    let not_priced = scanned.not_priced.total();
    let priced = scanned.fleet.len();
    let listed = scanned.jobs.len();
    let mut report = emrcost::report::finish(emrcost::report::Finish {
        fleet: &scanned.fleet,
        price_snapshot: emrcost::report::snapshot_from_rows(&scanned.rows_used, &pricer),
        jobs: scanned.jobs,
        not_priced: scanned.not_priced,
        inputs,
        pricer: &pricer,
        group_by,
        idle_capacity: &[],
    })
    .map_err(|e| anyhow::anyhow!("could not aggregate the runs: {e}"))?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "aggregated");
    if priced > listed {
        report.notes.push(format!(
            "The per-run tables (jobs.csv, and the job lists in HTML, Markdown and JSON) hold the {listed} most expensive of {priced} priced runs, by EMR Serverless cost; every figure above covers all of them. `emrcost price FILE --format csv` lists every run."
        ));
    }
    Ok((report, not_priced, pricer.assumptions().clone()))
}

/// Lists records that were rejected or could not be priced, on stderr:
/// the first few, and the count by reason.
fn list_unpriced(quiet: bool, left_out: &emrcost::report::NotPriced) {
    if quiet || left_out.total() == 0 {
        return;
    }
    eprintln!(
        "warning: {} record(s) not priced; the rest were:",
        left_out.total()
    );
    const SHOW: usize = 5;
    let listed = left_out
        .rejected
        .iter()
        .map(|r| (&r.location, &r.reason))
        .chain(left_out.unpriced.iter().map(|u| (&u.job, &u.reason)));
    for (at, why) in listed.take(SHOW) {
        eprintln!("  {at}: {why}");
    }
    let summary = left_out.summary();
    if left_out.total() > SHOW {
        eprintln!("  by reason (all are counted in the report):");
        for r in summary.by_reason.iter().take(SHOW) {
            eprintln!("  {:>10}  {}", r.records, r.reason);
        }
        if summary.by_reason.len() > SHOW {
            eprintln!(
                "  ... and {} more reason(s)",
                summary.by_reason.len() - SHOW
            );
        }
    }
}

fn exit_code(strict: bool, not_priced: usize) -> ExitCode {
    if strict && not_priced > 0 {
        ExitCode::from(super::EXIT_UNPRICED)
    } else {
        ExitCode::SUCCESS
    }
}
