//! report.json and `price --format json` match schema/report.schema.json.

use crate::util::{emrcost, fixture, repo, stdout_of};

pub(crate) fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

pub(crate) fn assert_valid(what: &str, doc: &serde_json::Value) {
    let v = validator();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sample_report_matches_the_schema() {
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("reports/sample/report.json")).unwrap(),
    )
    .unwrap();
    assert_valid("reports/sample/report.json", &doc);
}

#[test]
fn price_json_with_spot_gaps_and_event_logs_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let csv = crate::util::write(
        dir.path(),
        "runs.csv",
        "region,application_id,job_run_id,state,duration_s,billed_vcpu_hours,billed_memory_gb_hours\n\
         us-east-2,a,r1,SUCCESS,3600,20,80\n\
         us-east-1,a,r2,FAILED,60,1,4\n",
    );
    let out = stdout_of(
        emrcost()
            .args(["price", "--format", "json", "--spot-discount", "0.6"])
            .arg(&csv)
            .arg(fixture("get-job-run.json")),
    );
    assert_valid("price --format json", &serde_json::from_str(&out).unwrap());

    let ds = dir.path().join("ds");
    emrcost()
        .args(["import", "eventlog", "--quiet", "--out"])
        .arg(&ds)
        .arg(repo().join("tests/fixtures/spark-events"))
        .assert()
        .success();
    let out = stdout_of(emrcost().args(["price", "--format", "json"]).arg(&ds));
    assert_valid(
        "price --format json on event logs",
        &serde_json::from_str(&out).unwrap(),
    );
}

/// The schema is strict enough to catch drift: an unknown field fails it.
#[test]
fn schema_rejects_unknown_fields() {
    let mut doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("reports/sample/report.json")).unwrap(),
    )
    .unwrap();
    doc["surprise"] = serde_json::json!(1);
    assert!(!validator().is_valid(&doc));
}
