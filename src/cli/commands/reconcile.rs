//! `emrcost reconcile`: the bill beside emrcost's figures.

use std::process::ExitCode;

use anyhow::Context;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

use super::super::args::{GlobalArgs, ReconcileArgs};
use super::super::output::{emit, note, printable};
use super::super::settings;
use emrcost::report::export::usd;

pub fn run(g: &GlobalArgs, a: &ReconcileArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    if !emrcost::collect::dataset::is_dataset(&a.dataset) {
        anyhow::bail!(
            "--dataset {}: not a dataset that `emrcost collect` wrote (no .emrcost-dataset.json or journal); collect the same period first",
            a.dataset.display()
        );
    }
    let (runs, state, skipped) = emrcost::collect::dataset::read(&a.dataset)
        .with_context(|| format!("--dataset {}", a.dataset.display()))?;
    for (at, why) in &skipped {
        note(g.quiet, &format!("{at}: {why}"));
    }
    let r = emrcost::reconcile::reconcile(&a.files, &runs, &state.clusters, &book)?;

    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "Service",
        "Application (Glue: job; EMR: cluster)",
        "Month",
        "Bill (usage)",
        "emrcost",
        "Application-level lines",
        "Not collected",
        "Unexplained",
        "Discounts, credits, tax",
    ]);
    for m in &r.apps {
        t.add_row(vec![
            m.service.name().to_string(),
            m.application_id.clone(),
            m.month.clone(),
            usd(m.billed_usd),
            usd(m.computed_usd),
            usd(m.application_level_usd),
            match (m.service, m.not_collected_runs) {
                (_, 0) => usd(m.not_collected_usd),
                (emrcost::reconcile::Service::EmrOnEc2, _) => {
                    format!("{} (the cluster)", usd(m.not_collected_usd))
                }
                (_, n) => format!("{} ({n} run(s))", usd(m.not_collected_usd)),
            },
            usd(m.unexplained_usd),
            usd(m.discounts_usd),
        ]);
    }
    for col in t.column_iter_mut().skip(3) {
        col.set_cell_alignment(CellAlignment::Right);
    }
    if !g.quiet {
        emit(&printable(&format!("{t}\n")), None)?;
        if !r.run_gaps.is_empty() {
            let mut gaps = Table::new();
            gaps.load_preset(UTF8_FULL_CONDENSED);
            gaps.set_header(["Job run", "Bill", "emrcost", "Gap"]);
            for x in r.run_gaps.iter().take(20) {
                gaps.add_row(vec![
                    format!("{} ({})", x.job_run_id, x.application_id),
                    usd(x.billed_usd),
                    usd(x.computed_usd),
                    usd(x.gap_usd),
                ]);
            }
            emit(
                &printable(&format!(
                    "The largest differences run by run (the bill's job-run lines against emrcost's figure):\n{gaps}\n"
                )),
                None,
            )?;
        }
    }
    let s = &r.skipped;
    note(
        g.quiet,
        &format!(
            "{} line item(s) read from {} file(s); EMR Serverless, Glue and EMR on EC2 usage compared for {}. Left out: {} of other services, {} in another currency, {} outside the dataset's months, {} unreadable. emrcost's figure is each collected run's billed usage at the price book's rates, and each collected EMR cluster's whole cost as `collect emr` priced it (in the month it was created); application-level lines are pre-initialized capacity and runs billed without job-level cost allocation.",
            r.line_items,
            r.files.len(),
            if r.months.is_empty() { "no month".to_string() } else { r.months.join(", ") },
            s.other_services,
            s.other_currency,
            s.outside_dataset_months,
            s.unreadable
        ),
    );
    for e in &s.examples {
        note(g.quiet, &format!("  {e}"));
    }
    for n in &r.notes {
        note(g.quiet, n);
    }
    if let Some(out) = &a.out {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "application_id",
            "month",
            "bill_usage_usd",
            "emrcost_usd",
            "application_level_usd",
            "not_collected_usd",
            "not_collected_runs",
            "unexplained_usd",
            "discounts_credits_usd",
            "service",
        ])?;
        let cell = |s: &str| emrcost::report::export::csv::text_cell(s).into_owned();
        for m in &r.apps {
            w.write_record([
                cell(&m.application_id),
                m.month.clone(),
                format!("{:.6}", m.billed_usd),
                format!("{:.6}", m.computed_usd),
                format!("{:.6}", m.application_level_usd),
                format!("{:.6}", m.not_collected_usd),
                m.not_collected_runs.to_string(),
                format!("{:.6}", m.unexplained_usd),
                format!("{:.6}", m.discounts_usd),
                m.service.name().to_string(),
            ])?;
        }
        emrcost::files::write(out, &w.into_inner()?)?;
        note(g.quiet, &format!("wrote {}", out.display()));
    }
    Ok(ExitCode::SUCCESS)
}
