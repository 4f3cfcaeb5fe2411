//! `emrcost report`: price job runs and write the report files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::super::args::{GlobalArgs, ReportArgs};
use super::super::output::{emit, note};
use emrcost::files::{self, FolderKind};
use emrcost::report::export::{self, table};

pub fn run(g: &GlobalArgs, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let group_by: emrcost::report::GroupBy = a
        .group_by
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--group-by: {e}"))?;
    if let Some(v) = a.wait_cost_per_hour {
        if !(v.is_finite() && (0.0..=1e6).contains(&v)) {
            anyhow::bail!("--wait-cost-per-hour {v}: give a dollar amount from 0 to 1000000");
        }
    }
    if !(a.headroom.is_finite() && (0.0..=2.0).contains(&a.headroom)) {
        anyhow::bail!(
            "--headroom {}: a fraction above the peak from 0 to 2 (0.2 for 20%)",
            a.headroom
        );
    }
    let sources = super::sources(&a.files, a.sample)?;
    let setup = super::setup(g, &a.input, &a.model, &a.window)?;
    let (report, not_priced) = super::generate_report(
        g,
        &sources,
        &setup,
        group_by,
        emrcost::report::export::MAX_JOB_ROWS,
        emrcost::report::startup::Settings {
            wait_cost_per_hour: a.wait_cost_per_hour,
            headroom: a.headroom,
        },
    )?;
    let out = a.out.clone().unwrap_or_else(|| {
        if a.sample {
            PathBuf::from("reports/sample")
        } else {
            PathBuf::from("reports")
        }
    });
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "report built");
    let mut files = export::render(&report, &a.format).map_err(|e| anyhow::anyhow!(e))?;
    let want = |f: &str| a.format.iter().any(|x| x == f);
    let written = files.len();
    files.push((export::REPORT_MARKER.into(), export::report_marker(&files)));
    // The folder is swapped in whole: no file of an earlier run is left
    // beside this one's, and a reader never sees a mix of two runs.
    let replaced = files::replace_folder(
        &out,
        &files,
        &FolderKind {
            marker: export::REPORT_MARKER,
            managed: &export::report_managed,
        },
    )
    .with_context(|| format!("--out {}: nothing was written", out.display()))?;
    if !replaced.recovered.is_empty() {
        note(
            g.quiet,
            &format!(
                "recovered {} from a report write that was interrupted",
                replaced.recovered.join(", ")
            ),
        );
    }

    let mut screen = table::summary(&report);
    screen.push_str("\n\nCrossovers (median run of each application):\n");
    screen.push_str(&table::crossovers(&report));
    // The settings as priced (the peak factor may have been measured).
    let setting = |name: &str| {
        report
            .assumptions
            .iter()
            .find(|l| l.name == name)
            .map_or("?", |l| l.value.as_str())
    };
    screen.push_str(&format!(
        "\nPrices: snapshot {}{}. Assumptions: EMR on EC2 sizing {} (peak factor {}), architecture {}, provisioning {} s + teardown {} s, instance {}; Glue {} by {}, {}; Spot {}; all settings are in the report.\n",
        report.price_snapshot.id,
        if report.price_snapshot.uses_unverified_prices { " (some prices unverified)" } else { "" },
        setting("ec2_sizing"),
        setting("peak_factor"),
        setting("ec2_arch"),
        setting("ec2_provisioning_seconds"),
        setting("ec2_teardown_seconds"),
        setting("ec2_instance"),
        setting("glue_version"),
        setting("glue_mapping"),
        setting("glue_sizing"),
        setting("ec2_spot_discount"),
    ));
    if !g.quiet {
        emit(&screen, None)?;
    }
    note(
        g.quiet,
        &format!(
            "wrote {} file(s) to {}: {}",
            written,
            out.display(),
            if want("html") {
                "open report.html in a browser"
            } else {
                "see the list with ls"
            }
        ),
    );
    Ok(super::exit_code(a.strict, not_priced))
}
