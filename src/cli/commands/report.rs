//! `emrcost report`: price job runs and write the report files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::super::args::{GlobalArgs, ReportArgs};
use super::super::output::{emit, note};
use emrcost::collect::{load_files, load_text};
use emrcost::report::chart;
use emrcost::report::export::{csv, html, json, markdown, table, write_atomic};

pub fn run(g: &GlobalArgs, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let group_by: emrcost::report::GroupBy = a
        .group_by
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--group-by: {e}"))?;
    let (report, not_priced, assumptions) =
        super::priced_report(g, &a.input, &a.model, &a.window, group_by, |defaults| {
            Ok(if a.sample {
                load_text(emrcost::sample::NAME, emrcost::sample::CSV, defaults)
                    .context("the bundled sample is invalid (a build problem)")?
            } else {
                load_files(&a.files, defaults)?
            })
        })?;
    let out = a.out.clone().unwrap_or_else(|| {
        if a.sample {
            PathBuf::from("reports/sample")
        } else {
            PathBuf::from("reports")
        }
    });
    let charts = chart::all(&report);
    let mut files = vec![
        ("report.html".to_string(), html::report(&report, &charts)),
        ("report.md".to_string(), markdown::report(&report)),
        ("report.json".to_string(), json::render(&report)),
        ("summary.csv".to_string(), csv::summary(&report)),
        ("jobs.csv".to_string(), csv::jobs(&report)),
        ("crossovers.csv".to_string(), csv::crossovers(&report)),
    ];
    files.extend(
        charts
            .iter()
            .map(|c| (format!("charts/{}.svg", c.id), c.svg.clone())),
    );
    for (name, text) in &files {
        let path = out.join(name);
        write_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let mut screen = table::summary(&report);
    screen.push_str("\n\nCrossovers (median run of each application):\n");
    screen.push_str(&table::crossovers(&report));
    screen.push_str(&format!(
        "\nPrices: snapshot {}{}. Assumptions: provisioning {} s, instance {}, Glue {}, Spot {}; all settings are in the report.\n",
        report.price_snapshot.id,
        if report.price_snapshot.uses_unverified_prices { " (some prices unverified)" } else { "" },
        assumptions.ec2_provisioning_seconds,
        assumptions.ec2_instance,
        assumptions.glue_version,
        assumptions.ec2_spot_discount.map_or("off".into(), |d| format!("{:.0}% off EC2", d * 100.0)),
    ));
    if !g.quiet {
        emit(&screen, None)?;
    }
    note(
        g.quiet,
        &format!(
            "wrote {} (open it in a browser) and {}/{{report.md, report.json, summary.csv, jobs.csv, crossovers.csv, charts/}}",
            out.join("report.html").display(),
            out.display()
        ),
    );
    Ok(super::exit_code(a.strict, not_priced))
}
