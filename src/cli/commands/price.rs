//! `emrcost price`: one row per job run, every option.

use std::process::ExitCode;

use super::super::args::{Format, GlobalArgs, PriceArgs};
use super::super::output::emit;
use emrcost::collect::load_files;
use emrcost::report::export::{csv, json, markdown, table};

pub fn run(g: &GlobalArgs, a: &PriceArgs) -> anyhow::Result<ExitCode> {
    let (report, not_priced, _) = super::priced_report(
        g,
        &a.input,
        &a.model,
        &a.window,
        emrcost::report::GroupBy::Application,
        |defaults| Ok(load_files(&a.files, defaults)?),
    )?;
    let text = match a.format {
        Format::Table => {
            let mut t = table::jobs(&report);
            t.push_str(&format!(
                "\n{} run(s) priced; figures marked \"from total usage\" or \"estimated from event log\" are not AWS-billed.\nAssumptions:\n{}\n",
                report.jobs.len(),
                table::assumptions(&report.assumptions)
            ));
            t
        }
        Format::Csv => csv::jobs(&report),
        Format::Json => json::render(&report),
        Format::Md => {
            let mut m = markdown::jobs(&report);
            m.push_str("\nSee `emrcost report` for totals, crossovers and the full provenance.\n");
            m
        }
    };
    emit(&text, a.out.as_deref())?;
    Ok(super::exit_code(a.strict, not_priced))
}
