//! `emrcost price`: one row per job run, every option.

use std::process::ExitCode;

use anyhow::bail;

use super::super::args::{Format, GlobalArgs, PriceArgs};
use super::super::output::emit;
use super::super::settings;
use emrcost::collect::load_files;
use emrcost::cost::Pricer;
use emrcost::report::export::{csv, json, markdown, table};
use emrcost::report::{build, BuildInput};

pub fn run(g: &GlobalArgs, a: &PriceArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    let assumptions = settings::assumptions(&book, &a.model)?;
    let defaults = settings::input_defaults(&book, &a.input)?;
    let loaded = load_files(&a.files, &defaults)?;
    if loaded.runs.is_empty() {
        bail!(
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
    let pricer = Pricer::new(&book, assumptions);
    let (costs, unpriced) = pricer.price_all(&loaded.runs);
    super::list_unpriced(g.quiet, &loaded.rejected, &unpriced);
    let not_priced = loaded.rejected.len() + unpriced.len();
    let report = build(BuildInput {
        runs: &loaded.runs,
        costs: &costs,
        unpriced,
        rejected: loaded.rejected,
        inputs: loaded.files,
        pricer: &pricer,
    });
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
