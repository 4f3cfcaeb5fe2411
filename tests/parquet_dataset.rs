//! Parquet datasets: `synth --out x.parquet`, read by `report` like CSV.

use polars::prelude::*;

use crate::util::{emrcost, repo};

/// The same 2000 runs as Parquet give exactly the committed sample report.
#[test]
fn parquet_and_csv_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.parquet");
    emrcost()
        .args([
            "synth", "--runs", "2000", "--seed", "42", "--quiet", "--out",
        ])
        .arg(&data)
        .assert()
        .success();
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--format", "csv", "--out"])
        .arg(&out)
        .arg(&data)
        .assert()
        .success();
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
    emrcost::collect::parquet::write_parquet(file, runs.into_iter(), 2).unwrap();
    emrcost()
        .args(["price", "--format", "csv"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "bad.parquet: row 2: billed_vcpu_hours is -2; it cannot be negative",
        ));

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
