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
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = dir.join(format!(".synth-{}.parquet.tmp", std::process::id()));
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let written = write_parquet(std::io::BufWriter::new(file), Synth::new(&cfg), 1_000_000)
            .context("cannot write the Parquet file")?;
        std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
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
