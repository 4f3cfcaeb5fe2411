//! Terminal tables (comfy-table) for the summary, per-job rows and the
//! crossover command.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

use super::markup::{self, Column, Markup};
use super::{duration, opt_usd, usd};
use crate::cost::AssumptionLine;
use crate::report::{CrossoverReport, Report};

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.iter().copied());
    t
}

fn right_align_from(t: &mut Table, first: usize) {
    let n = t.column_count();
    for i in first..n {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// The terminal's way of drawing a table: comfy-table, figures
/// right-aligned.
struct Terminal;

impl Markup for Terminal {
    fn screen(&self) -> bool {
        true
    }

    fn escape(&self, s: &str) -> String {
        s.to_string()
    }

    fn label(&self, name: Option<&str>, key: &str, _: Option<&str>, _: Option<&str>) -> String {
        name.map_or(key.to_string(), |n| format!("{n} ({key})"))
    }

    fn total(&self) -> String {
        "Total".into()
    }

    fn layout(&self, columns: &[Column], rows: Vec<Vec<String>>) -> String {
        let titles: Vec<&str> = columns.iter().map(|c| c.title).collect();
        let mut t = table(&titles);
        for r in rows {
            t.add_row(r);
        }
        // Everything from the first figure on (the cheapest option too).
        let first = columns
            .iter()
            .position(|c| c.numeric)
            .unwrap_or(columns.len());
        right_align_from(&mut t, first);
        t.to_string()
    }
}

/// Per-application and total costs on every option.
pub fn summary(report: &Report) -> String {
    let first = match report.group_by {
        crate::report::GroupBy::Application => "Application",
        crate::report::GroupBy::JobName => "Job",
        crate::report::GroupBy::Month => "Month",
        crate::report::GroupBy::State => "State",
        crate::report::GroupBy::Region => "Region",
        crate::report::GroupBy::Account => "Account",
        crate::report::GroupBy::Tag { name, .. } | crate::report::GroupBy::Nested { name, .. } => {
            name
        }
    };
    Terminal.render(&markup::groups(
        first,
        &report.groups,
        Some(&report.total),
        true,
    ))
}

/// Crossover sentences per application.
pub fn crossovers(report: &Report) -> String {
    let mut out = String::new();
    for g in &report.groups {
        let name = g.name.as_deref().unwrap_or(&g.key);
        match &g.crossovers {
            Some(x) => {
                out.push_str(&format!("{name}: {}\n", x.representative));
                for line in super::group_crossover_sentences(x) {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            None => out.push_str(&format!(
                "{name}: no crossover (the median shape could not be priced)\n"
            )),
        }
    }
    out
}

/// One row per priced job.
pub fn jobs(report: &Report) -> String {
    let mut t = table(&[
        "Job run",
        "Job",
        "State",
        "Runtime",
        "Executors",
        "EMR Serverless",
        "EMR on EC2",
        "EC2 Spot",
        "Glue",
        "Glue Flex",
        "EMR on EKS",
        "Cheapest",
    ]);
    for j in &report.jobs {
        t.add_row(vec![
            format!("{}/{}", j.application_id, j.job_run_id),
            j.job_name.clone().unwrap_or_default(),
            j.state.clone(),
            duration(j.runtime_s),
            super::executors_cell(j),
            format!(
                "{}{}",
                usd(j.serverless_usd),
                super::basis_note(&j.serverless_basis)
            ),
            super::ec2_cell(j),
            opt_usd(j.ec2_spot_usd),
            super::glue_cell(j),
            opt_usd(j.glue_flex_usd),
            opt_usd(j.eks_usd),
            j.cheapest.label().to_string(),
        ]);
    }
    right_align_from(&mut t, 3);
    t.to_string()
}

/// The assumptions, one per row.
pub fn assumptions(lines: &[AssumptionLine]) -> String {
    let mut t = table(&["Setting", "Value", "Why"]);
    for a in lines {
        t.add_row(vec![
            a.name.to_string(),
            a.value.clone(),
            a.basis.to_string(),
        ]);
    }
    t.to_string()
}

/// The whole crossover answer for a terminal.
pub fn crossover_report(r: &CrossoverReport) -> String {
    let mut out = format!(
        "Shape: {} in {} ({})\n\n",
        r.shape, r.region, r.architecture
    );
    for (o, plan) in &r.plans {
        out.push_str(&format!("  {:<18} {plan}\n", o.label()));
    }
    out.push_str("\nCrossovers (exact, to the second):\n");
    for p in &r.analysis.pairs {
        if p.crossovers.is_empty() {
            let w = p.cheaper_at_start.map_or("neither", |o| o.label());
            out.push_str(&format!(
                "  {} vs {}: none ({} is cheaper at every runtime)\n",
                p.a, p.b, w
            ));
        }
        for x in &p.crossovers {
            out.push_str(&format!(
                "  {} vs {}: at {} ({:.0} s, {}): {} below, {} above\n",
                p.a,
                p.b,
                duration(x.runtime_s),
                x.runtime_s,
                usd(x.cost_usd),
                x.cheaper_below,
                x.cheaper_above
            ));
        }
    }
    out.push_str("\nCheapest option by runtime:\n");
    for g in &r.analysis.cheapest_ranges {
        match g.to_s {
            Some(to) => out.push_str(&format!(
                "  {} to {}: {}\n",
                duration(g.from_s),
                duration(to),
                g.option
            )),
            None => out.push_str(&format!(
                "  {} and longer: {}\n",
                duration(g.from_s),
                g.option
            )),
        }
    }
    let mut header = vec!["Runtime".to_string()];
    header.extend(r.options.iter().map(|o| o.label().to_string()));
    header.push("Cheapest".into());
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    for s in &r.samples {
        let mut row = vec![duration(s.runtime_s)];
        row.extend(s.costs_usd.iter().map(|(_, v)| usd(*v)));
        row.push(s.cheapest.label().to_string());
        t.add_row(row);
    }
    right_align_from(&mut t, 0);
    out.push_str(&format!("\nCost by runtime:\n{t}\n"));
    out.push_str(&format!(
        "\nPrices: snapshot {} ({}){}\n",
        r.price_snapshot.id,
        r.price_snapshot.location,
        if r.price_snapshot.uses_unverified_prices {
            "; some prices used are marked unverified"
        } else {
            ""
        }
    ));
    for line in &r.price_snapshot.prices_used {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!(
        "\nAssumptions:\n{}\n",
        assumptions(&r.assumptions)
    ));
    out
}
