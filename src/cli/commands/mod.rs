//! One file per subcommand.

mod bench;
mod collect;
mod crossover;
mod import;
mod price;
mod pricing;
mod reconcile;
mod report;
mod synth;

use std::process::ExitCode;

use super::args::{Args, Command, ImportCommand, PricingCommand};
use super::output::printable;

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
        Command::Bench(a) => bench::run(&args.global, a),
        Command::Reconcile(a) => reconcile::run(&args.global, a),
    }
}

/// The sources behind `FILE...` (or the bundled sample).
fn sources(
    files: &[std::path::PathBuf],
    sample: bool,
) -> anyhow::Result<Vec<emrcost::input::Source>> {
    if sample {
        return Ok(vec![emrcost::input::Source::Text {
            name: emrcost::sample::NAME.into(),
            text: emrcost::sample::CSV.into(),
        }]);
    }
    Ok(emrcost::input::discover(files)?)
}

/// What `price` and `report` share: the price book, the assumptions, the
/// input defaults and the window, from the flags.
struct Setup {
    book: emrcost::pricing::PriceBook,
    assumptions: emrcost::cost::Assumptions,
    defaults: emrcost::pipeline::Defaults,
    window: emrcost::pipeline::Window,
}

fn setup(
    g: &super::args::GlobalArgs,
    input: &super::args::InputArgs,
    model: &super::args::ModelArgs,
    window: &super::args::WindowArgs,
) -> anyhow::Result<Setup> {
    let book = super::settings::price_book(g)?;
    let assumptions = super::settings::assumptions(&book, model)?;
    let book = super::settings::discounted(book, &assumptions);
    let defaults = super::settings::input_defaults(&book, input)?;
    let now = chrono::Utc::now();
    let at = |flag: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|r| super::settings::when(flag, r, now).map(|t| t.timestamp_millis()))
            .transpose()
    };
    let window = emrcost::pipeline::Window {
        since_ms: at("--since", &window.since)?,
        until_ms: at("--until", &window.until)?,
    };
    if let (Some(since), Some(until)) = (window.since_ms, window.until_ms) {
        if since >= until {
            anyhow::bail!(
                "--since is not before --until, so no run could fall between them; swap them"
            );
        }
    }
    Ok(Setup {
        book,
        assumptions,
        defaults,
        window,
    })
}

/// Runs `report::generate` on the sources, says on stderr what the window
/// and the check left out, and returns the report and how many records
/// were not priced.
fn generate_report(
    g: &super::args::GlobalArgs,
    sources: &[emrcost::input::Source],
    s: &Setup,
    group_by: emrcost::report::GroupBy,
    top: usize,
    startup: emrcost::report::startup::Settings,
) -> anyhow::Result<(emrcost::report::Report, usize)> {
    let pricer = emrcost::cost::Pricer::new(&s.book, s.assumptions.clone());
    let started = std::time::Instant::now();
    let generated = emrcost::report::generate(&emrcost::report::Config {
        sources,
        defaults: &s.defaults,
        window: s.window,
        pricer: &pricer,
        group_by,
        top,
        startup,
    })?;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "report generated"
    );
    window_note(g.quiet, s.window, generated.in_window, generated.rows);
    for gap in &generated.report.total.not_priced_on {
        super::output::note(
            g.quiet,
            &format!(
                "note: {} has no figure for {} run(s), so its totals are left out; first reason: {}",
                gap.option, gap.runs, gap.reason
            ),
        );
    }
    peak_factor_note(
        g.quiet,
        generated
            .report
            .assumptions
            .iter()
            .find(|a| a.name == "peak_factor" && a.basis.starts_with("median")),
    );
    list_unpriced(g.quiet, &generated.report);
    Ok((generated.report, generated.not_priced))
}

/// Says on stderr when the peak factor was measured from the input.
fn peak_factor_note(quiet: bool, measured: Option<&emrcost::cost::AssumptionLine>) {
    if let Some(line) = measured {
        super::output::note(
            quiet,
            &format!(
                "note: peak factor {} measured from the input's runs with a measured peak; the runs without one are sized for it",
                line.value
            ),
        );
    }
}

fn window_note(quiet: bool, window: emrcost::pipeline::Window, inside: usize, rows: usize) {
    if window.is_set() {
        super::output::note(
            quiet,
            &format!("note: {inside} of {rows} run(s) fall inside --since/--until"),
        );
    }
}

/// Lists records that were rejected or could not be priced, on stderr:
/// the first few, and the count by reason.
fn list_unpriced(quiet: bool, report: &emrcost::report::Report) {
    list_left_out(
        quiet,
        &report.not_priced,
        report
            .rejected
            .iter()
            .map(|r| (r.location.as_str(), r.reason.as_str()))
            .chain(
                report
                    .unpriced
                    .iter()
                    .map(|u| (u.job.as_str(), u.reason.as_str())),
            ),
    );
}

fn list_left_out<'a>(
    quiet: bool,
    summary: &emrcost::report::NotPricedSummary,
    listed: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let total = summary.rejected + summary.unpriced;
    if quiet || total == 0 {
        return;
    }
    eprintln!(
        "{}",
        printable(&format!(
            "warning: {total} record(s) not priced; the rest were:"
        ))
    );
    const SHOW: usize = 5;
    for (at, why) in listed.take(SHOW) {
        eprintln!("{}", printable(&format!("  {at}: {why}")));
    }
    if total > SHOW {
        eprintln!("  by reason (all are counted in the report):");
        for r in summary.by_reason.iter().take(SHOW) {
            eprintln!(
                "{}",
                printable(&format!("  {:>10}  {}", r.records, r.reason))
            );
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
