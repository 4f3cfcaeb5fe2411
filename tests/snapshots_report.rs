//! Golden output of every report exporter on one small, fixed report
//! (insta snapshots in tests/snapshots). Twelve hand-written runs in two
//! applications, one refused row and one run in a region without prices,
//! so every section has something in it.
//! After an intended change: `cargo insta review` (or INSTA_UPDATE=always).

use emrcost::cost::{Assumptions, Pricer};
use emrcost::input::Source;
use emrcost::pipeline::{Defaults, Window};
use emrcost::pricing::PriceBook;
use emrcost::report::export::{csv, html, json, markdown, table};
use emrcost::report::{GroupBy, Report};

const RUNS: &str = "\
region,application_id,application_name,architecture,job_run_id,state,started_at,ended_at,queued_ms,billed_vcpu_hours,billed_memory_gb_hours,billed_storage_gb_hours,executor_vcpu,executor_memory_gb
us-east-1,app-etl,nightly-etl,x86_64,r01,SUCCESS,2026-09-01T01:00:00Z,2026-09-01T01:30:00Z,4000,10,40,0,4,14
us-east-1,app-etl,nightly-etl,x86_64,r02,SUCCESS,2026-09-02T01:00:00Z,2026-09-02T01:45:00Z,6000,15,60,0,4,14
us-east-1,app-etl,nightly-etl,x86_64,r03,FAILED,2026-09-03T01:00:00Z,2026-09-03T01:10:00Z,3000,3,12,0,4,14
us-east-1,app-etl,nightly-etl,x86_64,r04,SUCCESS,2026-10-01T01:00:00Z,2026-10-01T02:00:00Z,5000,20,80,0,4,14
us-east-1,app-etl,nightly-etl,x86_64,r05,SUCCESS,2026-10-02T01:00:00Z,2026-10-02T01:20:00Z,,7,28,0,4,14
us-east-1,app-etl,nightly-etl,x86_64,r06,CANCELLED,2026-10-03T01:00:00Z,2026-10-03T01:05:00Z,1000,1.5,6,0,4,14
eu-west-1,app-adhoc,adhoc,arm64,q01,SUCCESS,2026-09-05T10:00:00Z,2026-09-05T10:02:00Z,2000,0.3,1.2,0,2,6
eu-west-1,app-adhoc,adhoc,arm64,q02,SUCCESS,2026-09-06T10:00:00Z,2026-09-06T10:03:00Z,2500,0.4,1.6,0,2,6
eu-west-1,app-adhoc,adhoc,arm64,q03,SUCCESS,2026-10-05T10:00:00Z,2026-10-05T10:01:00Z,1500,0.2,0.8,0,2,6
eu-west-1,app-adhoc,adhoc,arm64,q04,SUCCESS,2026-10-06T10:00:00Z,2026-10-06T10:04:00Z,3500,0.5,2,0,2,6
eu-west-1,app-adhoc,adhoc,arm64,q05,SUCCESS,2026-10-07T10:00:00Z,2026-10-07T09:04:00Z,3500,0.5,2,0,2,6
mars-north-1,app-adhoc,adhoc,arm64,q06,SUCCESS,2026-10-08T10:00:00Z,2026-10-08T10:04:00Z,3500,0.5,2,0,2,6
";

fn report() -> Report {
    let book = PriceBook::embedded().unwrap();
    let pricer = Pricer::new(&book, Assumptions::default());
    let sources = [Source::Text {
        name: "runs.csv".into(),
        text: RUNS.into(),
    }];
    emrcost::report::generate(&emrcost::report::Config {
        sources: &sources,
        defaults: &Defaults::default(),
        window: Window::default(),
        pricer: &pricer,
        group_by: GroupBy::Application,
        top: 2000,
        startup: Default::default(),
    })
    .unwrap()
    .report
}

#[test]
fn report_table() {
    let r = report();
    insta::assert_snapshot!(format!("{}\n{}", table::summary(&r), table::crossovers(&r)));
}

#[test]
fn report_markdown() {
    insta::assert_snapshot!(markdown::report(&report()));
}

#[test]
fn report_html_without_charts() {
    insta::assert_snapshot!(html::report(&report(), &[]));
}

#[test]
fn report_json() {
    insta::assert_snapshot!(json::render(&report()));
}

#[test]
fn report_csv() {
    let r = report();
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        csv::summary(&r),
        csv::jobs(&r),
        csv::crossovers(&r)
    ));
}

/// The figures the snapshots hold, checked by hand: nightly-etl's six
/// runs billed 56.5 vCPU-h and 226 GB-h at the us-east-1 x86 rates of
/// FACTS.md section 1 (0.052624, 0.0057785): 2.973256 + 1.305941 =
/// $4.279197.
#[test]
fn the_snapshots_hold_hand_checked_figures() {
    let r = report();
    let etl = r.groups.iter().find(|g| g.key == "app-etl").unwrap();
    assert_eq!(etl.runs, 6);
    assert_eq!((etl.succeeded, etl.failed, etl.cancelled), (4, 1, 1));
    let want = 56.5 * 0.052624 + 226.0 * 0.0057785;
    assert!((etl.costs.emr_serverless_usd - want).abs() < 1e-9);
    assert_eq!(format!("{want:.6}"), "4.279197");
    // q05 ends before it starts; q06 is in a region without prices.
    assert_eq!(r.not_priced.rejected, 1);
    assert_eq!(r.not_priced.unpriced, 1);
    assert_eq!(r.total.runs, 10);
}
