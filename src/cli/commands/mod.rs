//! One file per subcommand.

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
        Command::Import {
            command: ImportCommand::Eventlog(a),
        } => import::eventlog(&args.global, a),
    }
}

/// Lists records that were rejected or could not be priced, on stderr.
fn list_unpriced(
    quiet: bool,
    rejected: &[emrcost::collect::Rejected],
    unpriced: &[emrcost::cost::UnpricedReason],
) {
    if quiet || (rejected.is_empty() && unpriced.is_empty()) {
        return;
    }
    eprintln!(
        "warning: {} record(s) not priced; the rest were:",
        rejected.len() + unpriced.len()
    );
    const SHOW: usize = 20;
    for r in rejected.iter().take(SHOW) {
        eprintln!("  {}: {}", r.location, r.reason);
    }
    for u in unpriced.iter().take(SHOW.saturating_sub(rejected.len())) {
        eprintln!("  {}: {}", u.job, u.reason);
    }
    let shown = rejected.len().min(SHOW) + unpriced.len().min(SHOW.saturating_sub(rejected.len()));
    if rejected.len() + unpriced.len() > shown {
        eprintln!(
            "  ... and {} more (all are listed in the report)",
            rejected.len() + unpriced.len() - shown
        );
    }
}

fn exit_code(strict: bool, not_priced: usize) -> ExitCode {
    if strict && not_priced > 0 {
        ExitCode::from(super::EXIT_UNPRICED)
    } else {
        ExitCode::SUCCESS
    }
}
