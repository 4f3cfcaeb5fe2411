//! Bad input: a clear message naming the file, line or flag; never a panic.

use predicates::prelude::*;

use crate::util::{emrcost, fixture, write};

fn fails_with(args: &[&str], extra: Option<&std::path::Path>, expected: &str) {
    let mut cmd = emrcost();
    cmd.args(args);
    if let Some(p) = extra {
        cmd.arg(p);
    }
    cmd.assert()
        .code(1)
        .stderr(predicate::str::contains(expected))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn truncated_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(fixture("get-job-run.json")).unwrap();
    let cut = write(dir.path(), "cut.json", &full[..full.len() / 2]);
    let expected = format!("{}:", cut.display());
    fails_with(&["price"], Some(&cut), &expected);
    fails_with(&["price"], Some(&cut), "truncated JSON");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.json", "");
    fails_with(&["price"], Some(&empty), "the file is empty");
}

#[test]
fn wrong_csv_header_names_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "bad.csv",
        "application_id,job_run_id,state,vcpu_hours\na,b,SUCCESS,1\n",
    );
    fails_with(
        &["price"],
        Some(&csv),
        "bad.csv:1: unknown column 'vcpu_hours'",
    );
}

#[test]
fn missing_file() {
    fails_with(
        &["price", "no/such/file.json"],
        None,
        "no/such/file.json: no such file or folder",
    );
}

#[test]
fn negative_usage_is_listed_and_the_rest_priced() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "runs.csv",
        "region,application_id,job_run_id,state,duration_s,billed_vcpu_hours,billed_memory_gb_hours\n\
         us-east-1,a,r1,SUCCESS,600,1.0,4.0\n\
         us-east-1,a,r2,SUCCESS,600,1.0,-4.0\n\
         mars-north-1,a,r3,SUCCESS,600,1.0,4.0\n",
    );
    emrcost()
        .args(["price", "--format", "csv"])
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains(",r1,"))
        .stdout(predicate::str::contains(",r2,").not())
        .stderr(predicate::str::contains(
            "runs.csv:3: billed_memory_gb_hours is -4; it cannot be negative",
        ))
        .stderr(predicate::str::contains(
            "runs.csv:4: no EMR Serverless x86_64 price for region 'mars-north-1'",
        ));
}

#[test]
fn unknown_region_and_instance_type_flags_are_named() {
    fails_with(
        &[
            "crossover",
            "--executors",
            "4",
            "--executor-vcpu",
            "4",
            "--executor-memory-gb",
            "14",
            "--region",
            "xx-nowhere-1",
        ],
        None,
        "--region xx-nowhere-1: the price book has no prices for this region",
    );
    fails_with(
        &[
            "crossover",
            "--executors",
            "4",
            "--executor-vcpu",
            "4",
            "--executor-memory-gb",
            "14",
            "--instance-type",
            "z9.huge",
        ],
        None,
        "--instance-type: unknown instance type 'z9.huge'",
    );
    fails_with(
        &[
            "crossover",
            "--executors",
            "4",
            "--executor-vcpu",
            "4",
            "--executor-memory-gb",
            "14",
            "--spot-discount",
            "2",
        ],
        None,
        "--spot-discount",
    );
    fails_with(
        &[
            "crossover",
            "--executors",
            "4",
            "--executor-vcpu",
            "4",
            "--executor-memory-gb",
            "500",
        ],
        None,
        "larger than any EMR Serverless worker",
    );
}

#[test]
fn bad_price_book_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(crate::util::repo().join("pricing")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let glue = dir.path().join("glue_prices.csv");
    let text = std::fs::read_to_string(&glue)
        .unwrap()
        .replace("us-west-2,standard,0.44", "us-west-2,standard,-0.44");
    std::fs::write(&glue, text).unwrap();
    emrcost()
        .args(["pricing", "show", "--pricing"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("glue_prices.csv:"))
        .stderr(predicate::str::contains("cannot be negative"));
}

#[test]
fn usage_errors_exit_2() {
    emrcost()
        .args(["crossover", "--executors", "many"])
        .assert()
        .code(2);
    emrcost().arg("price").assert().code(2);
}

/// `price --out` onto its own input would replace the runs with their
/// prices: refused, and the input is left as it was.
#[test]
fn price_will_not_write_over_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::util::repo().join("samples/jobruns.csv")).unwrap();
    let runs = write(dir.path(), "runs.csv", &text);
    emrcost()
        .args(["price", "--format", "csv", "--out"])
        .arg(&runs)
        .arg(&runs)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("that is one of the inputs"));
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), text);
}

/// A folder with nothing to read is named, not left blank.
#[test]
fn an_empty_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    fails_with(
        &["price"],
        Some(&empty),
        &format!(
            "{}: no .csv, .json, .jsonl, .ndjson or .parquet files here",
            empty.display()
        ),
    );
}

/// --since after --until leaves nothing to price: said as such.
#[test]
fn a_reversed_window_is_refused() {
    fails_with(
        &[
            "report",
            "--sample",
            "--since",
            "2026-10-01",
            "--until",
            "2026-09-01",
        ],
        None,
        "--since is not before --until",
    );
}
