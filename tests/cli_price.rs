//! `emrcost price` on get-job-run JSON and CSV, in every format.

use crate::util::{emrcost, fixture, stdout_of};

/// The fixture was billed 10.5 vCPU-hours and 42 GB-hours in eu-west-1 on
/// x86_64: 10.5 x 0.052624 + 42 x 0.0057785 = 0.552552 + 0.242697 = $0.795249.
#[test]
fn prices_cli_json_to_the_hand_computed_figure() {
    let out = stdout_of(
        emrcost()
            .args(["price", "--format", "csv"])
            .arg(fixture("get-job-run.json")),
    );
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let row = rows.records().next().unwrap().unwrap();
    let get = |name: &str| {
        row.get(headers.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_string()
    };
    assert_eq!(get("serverless_usd"), "0.795249");
    assert_eq!(get("region"), "eu-west-1");
    assert_eq!(get("serverless_basis"), "billed");
    assert_eq!(get("runtime_s"), "1800");
    // 10.2 vCPU-h over 0.5 h = 20.4 vCPU: driver 4 + 4.1 executors of 4.
    assert_eq!(get("executors"), "4.1000");
    // No measured peak: 4.1 x 1.5 = 6.15, so 7 executors of 4 vCPU and
    // 15.4 GB. The 15.4 GB driver does not fit G.1X (10 GB heap + 1 GB
    // overhead); G.2X holds 8 vCPU and 22 GB: max(28/8, 107.8/22 = 4.9) = 5
    // workers + the driver's = 6 G.2X = 12 DPU x 0.5 h x $0.44 = $2.64.
    assert_eq!(get("peak_executors"), "6.1500");
    assert_eq!(get("peak_estimated"), "true");
    assert_eq!(get("glue_usd"), "2.640000");
    assert_eq!(get("glue_worker_type"), "G.2X");
    assert_eq!(get("glue_workers"), "6");
    // Sized to the average (5 executors): max(20/8, 77/22 = 3.5) = 4 + 1
    // = 5 G.2X = 10 DPU: $2.20, the other end of the range.
    assert_eq!(get("glue_usd_at_average"), "2.200000");
}

#[test]
fn every_format_renders() {
    let f = fixture("get-job-run.json");
    let table = stdout_of(emrcost().arg("price").arg(&f));
    assert!(
        table.contains("daily-sessionize") && table.contains("Assumptions"),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout_of(
        emrcost().args(["price", "--format", "json"]).arg(&f),
    ))
    .unwrap();
    assert_eq!(json["jobs"][0]["job_run_id"], "00fbv7f0a1b2c3d4");
    let md = stdout_of(emrcost().args(["price", "--format", "md"]).arg(&f));
    assert!(md.starts_with("| Application |"), "{md}");
}

#[test]
fn out_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/prices.csv");
    emrcost()
        .args(["price", "--format", "csv", "--out"])
        .arg(&path)
        .arg(fixture("get-job-run.json"))
        .assert()
        .success();
    assert!(std::fs::read_to_string(path).unwrap().contains("0.795249"));
}

#[test]
fn spot_and_fixed_instance_flags_change_the_ec2_figures() {
    let f = fixture("get-job-run.json");
    let out = stdout_of(
        emrcost()
            .args([
                "price",
                "--format",
                "json",
                "--spot-discount",
                "0.6",
                "--instance-type",
                "m5.4xlarge",
            ])
            .arg(&f),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let job = &json["jobs"][0];
    assert_eq!(job["ec2_instance_type"], "m5.4xlarge");
    assert!(job["ec2_spot_usd"].as_f64().unwrap() < job["ec2_usd"].as_f64().unwrap());
    let settings: Vec<String> = json["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}={}",
                a["name"].as_str().unwrap(),
                a["value"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        settings.contains(&"ec2_instance=m5.4xlarge".to_string()),
        "{settings:?}"
    );
    assert!(
        settings
            .iter()
            .any(|s| s.starts_with("ec2_spot_discount=60%")),
        "{settings:?}"
    );
}

/// A run whose region lacks one kind of price keeps its other figures.
#[test]
fn missing_ec2_prices_leave_the_rest_of_the_run_priced() {
    let dir = tempfile::tempdir().unwrap();
    let csv = crate::util::write(
        dir.path(),
        "runs.csv",
        "region,application_id,job_run_id,state,duration_s,billed_vcpu_hours,billed_memory_gb_hours\n\
         us-east-2,a,r1,SUCCESS,3600,20,80\n",
    );
    let out = stdout_of(emrcost().args(["price", "--format", "json"]).arg(&csv));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let job = &v["jobs"][0];
    // 20 x 0.052624 + 80 x 0.0057785 = 1.05248 + 0.46228 = $1.51476.
    assert_eq!(
        format!("{:.5}", job["serverless_usd"].as_f64().unwrap()),
        "1.51476"
    );
    assert!(job["ec2_usd"].is_null());
    assert!(job["glue_usd"].as_f64().unwrap() > 0.0);
    assert!(job["not_priced_on"][0]
        .as_str()
        .unwrap()
        .starts_with("EMR on EC2: no EMR on EC2 prices"));
    assert!(v["total"]["costs"]["ec2_on_demand_usd"].is_null());
    assert_eq!(v["total"]["not_priced_on"][0]["runs"], 1);
}

/// A CSV block is a few thousand rows; `price` to Parquet gathers them into
/// row groups of at least 65,536 rows (the last aside), in input order.
#[test]
fn parquet_rows_from_csv_come_in_large_row_groups() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs.csv");
    let out = dir.path().join("priced.parquet");
    let as_csv = dir.path().join("priced.csv");
    crate::util::synth_to(&runs, 140000, 42);
    for (path, format) in [(&out, "parquet"), (&as_csv, "csv")] {
        emrcost()
            .args(["price", "--quiet", "--format", format])
            .arg(&runs)
            .arg("--out")
            .arg(path)
            .assert()
            .success();
    }
    let mut reader = ParquetReader::new(std::fs::File::open(&out).unwrap());
    let groups: Vec<usize> = reader
        .get_metadata()
        .unwrap()
        .row_groups
        .iter()
        .map(|g| g.num_rows())
        .collect();
    assert_eq!(groups.iter().sum::<usize>(), 140_000);
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert!(groups[0] >= 65_536, "{groups:?}");
    // The same runs in the same order as the CSV rows.
    let ids = reader.finish().unwrap();
    let ids: Vec<String> = ids
        .column("job_run_id")
        .unwrap()
        .str()
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    let mut rows = csv::Reader::from_path(&as_csv).unwrap();
    let at = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "job_run_id")
        .unwrap();
    let want: Vec<String> = rows.records().map(|r| r.unwrap()[at].to_string()).collect();
    assert_eq!(ids, want);
}
