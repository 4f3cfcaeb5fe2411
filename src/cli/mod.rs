//! The command line: the only module that knows clap.
//!
//! Exit codes: 0 success; 1 an error (unreadable input, bad price book,
//! a flag value that cannot be used); 2 a usage error (clap); 3 with
//! `--strict`, some records could not be priced (they are listed).

mod args;
mod commands;
mod output;
mod settings;

use std::process::ExitCode;

use clap::Parser;
use output::printable;

pub use args::Args;

/// Exit code when `--strict` is set and some records were not priced.
pub const EXIT_UNPRICED: u8 = 3;

pub fn parse() -> Args {
    Args::parse()
}

pub fn init_logging(args: &Args) {
    let level = match (args.global.quiet, args.global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EMRCOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    commands::run(args)
}

/// Prints the error and its causes; exits 0 on a closed pipe (`| head`).
pub fn report_error(err: &anyhow::Error) -> ExitCode {
    if err
        .chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        return ExitCode::SUCCESS;
    }
    eprintln!("{}", printable(&format!("error: {err}")));
    for cause in err.chain().skip(1) {
        eprintln!("{}", printable(&format!("  caused by: {cause}")));
    }
    ExitCode::from(1)
}
