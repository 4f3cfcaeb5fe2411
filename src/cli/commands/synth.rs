//! `emrcost synth`: a deterministic synthetic job-run history.

use std::process::ExitCode;

use anyhow::{bail, Context};

use super::super::args::{GlobalArgs, SynthArgs};
use super::super::output::{emit, note};
use emrcost::input::csv::write_csv;
use emrcost::input::parquet::write_parquet;
use emrcost::synth::{generate, Synth, SynthConfig};

pub fn run(g: &GlobalArgs, a: &SynthArgs) -> anyhow::Result<ExitCode> {
    if a.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if a.days == 0 {
        bail!("--days must be at least 1");
    }
    let cfg = SynthConfig {
        runs: a.runs,
        seed: a.seed,
        days: a.days,
        ..SynthConfig::default()
    };
    if let Some(out) = a
        .out
        .as_ref()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
    {
        // Streamed in row groups: 10 million runs never sit in memory at once.
        let mut written = 0;
        emrcost::files::write_with(out, |w| {
            written = write_parquet(w, Synth::new(&cfg), 1_000_000)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            Ok(())
        })
        .context("cannot write the Parquet file")?;
        note(
            g.quiet,
            &format!("wrote {written} job runs to {}", out.display()),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let runs = generate(&cfg);
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
