//! `emrcost price`: one row per job run, every option.
//!
//! CSV, JSON Lines and Parquet stream: each run's row is written as it is
//! priced, so memory stays flat however many runs. The table, Markdown and
//! JSON (the whole report value) hold every run's line in memory.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::super::args::{GlobalArgs, PriceArgs, PriceFormat as Format};
use super::super::output::{emit, note};
use emrcost::files::Staged;
use emrcost::report::export::rows::{Buffers, RowFile, RowFormat};
use emrcost::report::export::{json, markdown, table};

pub fn run(g: &GlobalArgs, a: &PriceArgs) -> anyhow::Result<ExitCode> {
    let sources = super::sources(&a.files, false)?;
    if let Some(out) = &a.out {
        refuse_input_as_output(out, &sources)?;
    }
    let setup = super::setup(g, &a.input, &a.model, &a.window)?;
    let stream = match a.format {
        Format::Csv => Some(RowFormat::Csv),
        Format::Jsonl => Some(RowFormat::JsonLines),
        Format::Parquet => Some(RowFormat::Parquet),
        Format::Table | Format::Json | Format::Md => None,
    };
    if let Some(format) = stream {
        return stream_rows(g, a, &sources, &setup, format);
    }
    let (report, not_priced) = super::generate_report(
        g,
        &sources,
        &setup,
        emrcost::report::GroupBy::Application,
        usize::MAX,
        Default::default(),
    )?;
    let text = match a.format {
        Format::Json => json::render(&report),
        Format::Md => {
            let mut m = markdown::jobs(&report);
            m.push_str("\nSee `emrcost report` for totals, crossovers and the full provenance.\n");
            m
        }
        _ => {
            let mut t = table::jobs(&report);
            t.push_str(&format!(
                "\n{} run(s) priced; figures marked \"from total usage\" or \"estimated from event log\" are not AWS-billed.\nAssumptions:\n{}\n",
                report.jobs.len(),
                table::assumptions(&report.assumptions)
            ));
            t
        }
    };
    emit(&text, a.out.as_deref())?;
    Ok(super::exit_code(a.strict, not_priced))
}

/// `--out` must not be one of the inputs (or inside a dataset folder that
/// is one): the prices would replace the runs they came from.
fn refuse_input_as_output(out: &Path, sources: &[emrcost::input::Source]) -> anyhow::Result<()> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let target = match (out.parent(), out.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            canonical(dir).map(|d| d.join(name))
        }
        _ => canonical(out),
    };
    let Some(target) = target else {
        return Ok(());
    };
    // The same file under another name (a symlink, a hard link) is caught
    // by its device and inode.
    let same_file = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    };
    for s in sources {
        let Some(input) = s.path().and_then(canonical) else {
            continue;
        };
        if target == input
            || same_file(out, &input)
            || (input.is_dir() && target.starts_with(&input))
        {
            anyhow::bail!(
                "--out {}: that is one of the inputs ({}); write the prices to another file",
                out.display(),
                s.name()
            );
        }
    }
    Ok(())
}

fn stream_rows(
    g: &GlobalArgs,
    a: &PriceArgs,
    sources: &[emrcost::input::Source],
    setup: &super::Setup,
    format: RowFormat,
) -> anyhow::Result<ExitCode> {
    if format == RowFormat::Parquet && a.out.is_none() {
        anyhow::bail!("--format parquet writes a file: add --out FILE.parquet");
    }
    // The rows go to a temporary file beside --out (checked first: only a
    // regular file is ever replaced), renamed into place when complete.
    let (staged, _) = match a.out.as_deref() {
        Some(out) => Staged::create(out),
        None => Staged::scratch("price"),
    }?;
    let pricer = emrcost::cost::Pricer::new(&setup.book, setup.assumptions.clone());
    let cfg = emrcost::report::Config {
        sources,
        defaults: &setup.defaults,
        window: setup.window,
        pricer: &pricer,
        group_by: emrcost::report::GroupBy::Application,
        top: 0,
        startup: Default::default(),
    };
    let buffers = std::sync::Arc::new(Buffers::default());
    let (file, outcome) = emrcost::report::price_rows(
        &cfg,
        || {
            // Opened afresh (emptied) if the pipeline starts over.
            std::fs::File::create(staged.path())
                .and_then(|f| RowFile::create(f, format, buffers.clone()))
                .map_err(|e| format!("cannot write {}: {e}", staged.path().display()))
        },
        |lines| {
            format
                .encode(lines, &buffers)
                .map_err(|e| format!("cannot encode rows: {e}"))
        },
        |f, rows, encoded| {
            f.write(rows, encoded)
                .map_err(|e| format!("cannot write rows: {e}"))
        },
    )?;
    let rows = file.rows();
    file.finish().context("cannot finish the output")?;
    match a.out.as_deref() {
        Some(_) => {
            staged.commit()?;
        }
        None => {
            let copied = std::fs::File::open(staged.path())
                .and_then(|mut f| std::io::copy(&mut f, &mut std::io::stdout().lock()));
            copied.context("cannot write to standard output")?;
        }
    }
    super::window_note(g.quiet, setup.window, outcome.in_window, outcome.rows);
    if let Some(a) = &outcome.assumptions {
        let lines = a.lines();
        super::peak_factor_note(g.quiet, lines.iter().find(|l| l.name == "peak_factor"));
    }
    let summary = outcome.not_priced.summary();
    super::list_left_out(
        g.quiet,
        &summary,
        outcome
            .not_priced
            .rejected
            .iter()
            .map(|r| (r.location.as_str(), r.reason.as_str()))
            .chain(
                outcome
                    .not_priced
                    .unpriced
                    .iter()
                    .map(|u| (u.job.as_str(), u.reason.as_str())),
            ),
    );
    if let Some(out) = &a.out {
        note(
            g.quiet,
            &format!("wrote {rows} run(s) to {}", out.display()),
        );
    }
    Ok(super::exit_code(a.strict, outcome.not_priced.total()))
}
