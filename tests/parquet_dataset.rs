//! Parquet datasets: `synth --out x.parquet`, read by `report` like CSV.

use polars::prelude::*;

use crate::util::{emrcost, repo};

/// The same 2000 runs as Parquet give exactly the committed sample report:
/// the tables, and in the JSON every figure, note and price row used (the
/// input file names aside).
#[test]
fn parquet_and_csv_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.parquet");
    crate::util::synth_to(&data, 2000, 42);
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--format", "csv,json", "--out"])
        .arg(&out)
        .arg(&data)
        .assert()
        .success();
    let json = |path: std::path::PathBuf| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("inputs");
        v
    };
    let from_parquet = json(out.join("report.json"));
    let committed = json(repo().join("reports/sample/report.json"));
    assert_eq!(
        from_parquet["price_snapshot"], committed["price_snapshot"],
        "price rows used differ between Parquet and CSV input"
    );
    assert!(
        from_parquet == committed,
        "report.json differs between Parquet and CSV input"
    );
    for table in ["summary.csv", "jobs.csv", "crossovers.csv"] {
        let from_parquet = std::fs::read_to_string(out.join(table)).unwrap();
        let committed = std::fs::read_to_string(repo().join("reports/sample").join(table)).unwrap();
        assert!(
            from_parquet == committed,
            "{table} differs between Parquet and CSV input"
        );
    }
}

#[test]
fn bad_parquet_rows_and_columns_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = emrcost::synth::generate(&emrcost::synth::SynthConfig {
        runs: 3,
        ..Default::default()
    });
    runs[1].billed.as_mut().unwrap().vcpu_hours = -2.0;
    let path = dir.path().join("bad.parquet");
    let file = std::fs::File::create(&path).unwrap();
    emrcost::input::parquet::write_parquet(file, runs.into_iter(), 2).unwrap();
    emrcost()
        .args(["price", "--format", "csv"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "bad.parquet: row 2: billed_vcpu_hours is -2; it cannot be negative",
        ));
    // `report` streams Parquet: the same row is left out with the same
    // words, and the other two are reported.
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["total"]["runs"], 2);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let r = serde_json::to_string(&rejected[0]).unwrap();
    assert!(r.contains("bad.parquet: row 2"), "{r}");
    assert!(
        r.contains("billed_vcpu_hours is -2; it cannot be negative"),
        "{r}"
    );

    let mut df = df!("application_id" => &["a"], "state" => &["SUCCESS"]).unwrap();
    let missing = dir.path().join("missing.parquet");
    ParquetWriter::new(std::fs::File::create(&missing).unwrap())
        .finish(&mut df)
        .unwrap();
    emrcost()
        .arg("price")
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("missing.parquet"))
        .stderr(predicates::str::contains(
            "missing required column 'job_run_id'",
        ));
}

/// Past 2000 runs the per-run tables keep the most expensive ones, in file
/// order, and say so; the totals still cover every run.
#[test]
fn a_big_parquet_fleet_lists_its_most_expensive_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.parquet");
    crate::util::synth_to(&data, 2600, 5);
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(&out)
        .arg(&data)
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["total"]["runs"], 2600);
    let jobs = report["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2000);
    assert!(report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("2000 most expensive of 2600")));
    // Every run, priced one by one: the listed ones are the 2000 costliest.
    let all = emrcost()
        .args(["price", "--format", "json"])
        .arg(&data)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let all: serde_json::Value = serde_json::from_slice(&all).unwrap();
    let mut costs: Vec<f64> = all["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["serverless_usd"].as_f64().unwrap())
        .collect();
    costs.sort_by(|a, b| b.total_cmp(a));
    let cutoff = costs[1999];
    let listed: Vec<f64> = jobs
        .iter()
        .map(|j| j["serverless_usd"].as_f64().unwrap())
        .collect();
    assert!(listed.iter().all(|c| *c >= cutoff));
    let listed_sum: f64 = listed.iter().sum();
    let top_sum: f64 = costs[..2000].iter().sum();
    assert!(
        (listed_sum - top_sum).abs() < 1e-6,
        "{listed_sum} vs {top_sum}"
    );
}

/// 1,500 of 2,500 runs in a region the price book lacks: every one is
/// counted under its reason, with its first row; JSON lists the first
/// 1,000, Markdown and HTML the first 100, and the rest are priced.
#[test]
fn many_unpriced_runs_are_counted_by_reason_not_listed_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = emrcost::synth::generate(&emrcost::synth::SynthConfig {
        runs: 2500,
        seed: 3,
        ..Default::default()
    });
    for run in runs.iter_mut().skip(1000) {
        run.region = "mars-north-1".into();
        run.architecture = emrcost::model::Architecture::X86_64;
    }
    let path = dir.path().join("mars.parquet");
    let file = std::fs::File::create(&path).unwrap();
    emrcost::input::parquet::write_parquet(file, runs.into_iter(), 700).unwrap();
    let out = dir.path().join("out");
    let assert = emrcost()
        .args(["report", "--format", "json,md,html", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("warning: 1500 record(s) not priced"),
        "{stderr}"
    );
    assert!(stderr.contains("      1500  no EMR Serverless"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    crate::json_schema::assert_valid("report with unpriced runs", &report);
    assert_eq!(report["total"]["runs"], 1000);
    assert_eq!(report["not_priced"]["unpriced"], 1500);
    assert_eq!(report["not_priced"]["rejected"], 0);
    let reasons = report["not_priced"]["by_reason"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons[0]["records"], 1500);
    assert_eq!(reasons[0]["first"], format!("{}: row 1001", path.display()));
    assert!(reasons[0]["reason"]
        .as_str()
        .unwrap()
        .contains("no EMR Serverless x86_64 price for region 'mars-north-1'"));
    assert_eq!(report["unpriced"].as_array().unwrap().len(), 1000);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Records not priced (1500)"));
    assert!(md.contains("| 1500 | no EMR Serverless x86_64 price for region 'mars-north-1'"));
    assert!(md.contains("The first 100 of 1500 are listed"));
    assert_eq!(md.matches(": no EMR Serverless x86_64 price").count(), 100);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Records not priced (1500)</h2>"));
    assert_eq!(html.matches("<li><code>").count(), 100);
}
