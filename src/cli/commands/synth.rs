//! `emrcost synth`: a deterministic synthetic job-run history.

use std::process::ExitCode;

use anyhow::{bail, Context};

use super::super::args::{GlobalArgs, SynthArgs};
use super::super::output::{emit, note};
use emrcost::collect::write_csv;
use emrcost::synth::{generate, SynthConfig};

pub fn run(g: &GlobalArgs, a: &SynthArgs) -> anyhow::Result<ExitCode> {
    if a.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if a.days == 0 {
        bail!("--days must be at least 1");
    }
    let runs = generate(&SynthConfig {
        runs: a.runs,
        seed: a.seed,
        days: a.days,
        ..SynthConfig::default()
    });
    let mut buf = Vec::new();
    write_csv(&mut buf, &runs).context("cannot format the runs as CSV")?;
    let text = String::from_utf8(buf).context("CSV output is not UTF-8")?;
    emit(&text, a.out.as_deref())?;
    if let Some(out) = &a.out {
        note(
            g.quiet,
            &format!("wrote {} job runs to {}", runs.len(), out.display()),
        );
    }
    Ok(ExitCode::SUCCESS)
}
