//! `emrcost collect emr` with the real SDK client against the emulator,
//! which answers ListClusters, DescribeCluster, ListInstances and ListSteps
//! for seeded clusters (moto's instances never end and its steps never
//! finish).

use serde_json::{json, Value};

use crate::emulator::Emulator;

/// m5.xlarge and r5.2xlarge in us-east-1 as the price book has them: EC2,
/// EMR uplift, and EMR's default EBS (64 and 128 GiB gp3 at $0.08 per
/// GB-month over 730 hours). Spot m5.xlarge from the seeded history: $0.05.
const EBS: f64 = 0.08 / 730.0;
const M5: f64 = 0.192 + 0.048 + 64.0 * EBS;
const R5: f64 = 0.504 + 0.126 + 128.0 * EBS;
const M5_SPOT: f64 = 0.05 + 0.048 + 64.0 * EBS;

fn instance(id: &str, t: &str, role: &str, market: &str, from: i64, to: i64) -> Value {
    json!({"Id": id, "InstanceType": t, "Market": market, "Role": role,
           "Status": {"State": "TERMINATED", "Timeline": {"CreationDateTime": from, "ReadyDateTime": from + 60, "EndDateTime": to}}})
}

fn step(id: &str, name: &str, from: i64, to: i64, args: &[&str]) -> Value {
    json!({"Id": id, "Name": name, "Config": {"Jar": "command-runner.jar", "Args": args},
           "Status": {"State": "COMPLETED", "Timeline": {"CreationDateTime": from - 5, "StartDateTime": from, "EndDateTime": to}}})
}

/// A transient cluster with three steps (instance groups), and a
/// long-running one (instance fleets) with idle gaps and Spot task nodes: each cluster's cost is the hand-computed
/// sum over its instances' lifetimes, its steps' shares are the instances
/// over each step, the rest is idle; Spot comes from the price history.
#[test]
fn emr_clusters_are_priced_from_their_instances_and_steps() {
    let emu = Emulator::start();
    let t = chrono::Utc::now().timestamp() - 5 * 86_400;
    let spark = [
        "spark-submit",
        "--conf",
        "spark.executor.cores=2",
        "--conf",
        "spark.executor.memory=6g",
        "s3://b/job.py",
    ];
    let transient = json!({
        "Id": "j-TRANSIENT", "Name": "nightly", "ReleaseLabel": "emr-7.5.0",
        "Tags": [{"Key": "team", "Value": "data"}],
        "Status": {"State": "TERMINATED", "Timeline": {"CreationDateTime": t, "ReadyDateTime": t + 300, "EndDateTime": t + 4000}},
        "Ec2InstanceAttributes": {"Ec2AvailabilityZone": "us-east-1a"},
        "instances": [
            instance("ci-1", "m5.xlarge", "MASTER", "ON_DEMAND", t, t + 4000),
            instance("ci-2", "m5.xlarge", "CORE", "ON_DEMAND", t, t + 4000),
            instance("ci-3", "m5.xlarge", "CORE", "ON_DEMAND", t, t + 4000),
        ],
        "steps": [
            step("s-1", "extract", t + 300, t + 1500, &spark),
            step("s-2", "transform", t + 1500, t + 2700, &spark),
            step("s-3", "load", t + 2700, t + 3900, &spark),
        ],
    });
    let long = json!({
        "Id": "j-LONGRUN", "Name": "shared", "ReleaseLabel": "emr-7.5.0",
        "InstanceCollectionType": "INSTANCE_FLEET",
        "Status": {"State": "TERMINATED", "Timeline": {"CreationDateTime": t, "ReadyDateTime": t + 400, "EndDateTime": t + 36_000}},
        "Ec2InstanceAttributes": {"Ec2AvailabilityZone": "us-east-1a"},
        "instances": [
            instance("ci-10", "m5.xlarge", "MASTER", "ON_DEMAND", t, t + 36_000),
            instance("ci-11", "r5.2xlarge", "CORE", "ON_DEMAND", t, t + 36_000),
            instance("ci-12", "r5.2xlarge", "CORE", "ON_DEMAND", t, t + 36_000),
            instance("ci-13", "m5.xlarge", "TASK", "SPOT", t + 3600, t + 7200),
            instance("ci-14", "m5.xlarge", "TASK", "SPOT", t + 3600, t + 7200),
        ],
        "steps": [
            step("s-10", "report", t + 1000, t + 4600, &spark),
            step("s-11", "adhoc", t + 20_000, t + 21_800, &spark),
        ],
    });
    emu.post("/_emu/emr_seed", &json!({"clusters": [transient, long]}));
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("spot.json");
    let since = chrono::DateTime::from_timestamp(t - 86_400, 0)
        .unwrap()
        .to_rfc3339();
    std::fs::write(
        &history,
        json!({"SpotPriceHistory": [{"AvailabilityZone": "us-east-1a", "InstanceType": "m5.xlarge",
            "ProductDescription": "Linux/UNIX (Amazon VPC)", "SpotPrice": "0.050000", "Timestamp": since}]})
        .to_string(),
    )
    .unwrap();
    let out = dir.path().join("ds");
    let done = emu
        .emrcost()
        .args(["collect", "emr", "--region", "us-east-1", "--spot-history"])
        .arg(&history)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).to_string();
    assert!(stderr.contains("2 cluster(s) read"), "{stderr}");
    assert!(stderr.contains("5 step(s)"), "{stderr}");

    let state: Value =
        serde_json::from_slice(&std::fs::read(out.join(".emrcost-dataset.json")).unwrap()).unwrap();
    let cluster = |id: &str| {
        state["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["cluster_id"] == id)
            .unwrap()
            .clone()
    };
    let close = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-9;
    let c = cluster("j-TRANSIENT");
    assert!(close(&c["total_usd"], 3.0 * 4000.0 / 3600.0 * M5), "{c}");
    assert!(close(&c["steps_usd"], 3.0 * 3600.0 / 3600.0 * M5), "{c}");
    assert!(close(&c["idle_usd"], 3.0 * 400.0 / 3600.0 * M5), "{c}");
    assert!(close(&c["idle_hours"], 400.0 / 3600.0), "{c}");
    let c = cluster("j-LONGRUN");
    let total = 10.0 * (M5 + 2.0 * R5) + 2.0 * 1.0 * M5_SPOT;
    assert!(close(&c["total_usd"], total), "{c}");
    // Step one (1 h) had the Spot nodes for its last 1000 s.
    let steps = 1.5 * (M5 + 2.0 * R5) + 2.0 * 1000.0 / 3600.0 * M5_SPOT;
    assert!(close(&c["steps_usd"], steps), "{c}");
    assert!(close(&c["idle_hours"], 10.0 - 1.5), "{c}");
    assert_eq!(c["spot"], "history", "{c}");

    // The steps are runs: their EMR on EC2 cost is their share.
    let priced = emu
        .emrcost()
        .args(["price", "--format", "jsonl"])
        .arg(&out)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&priced.get_output().stdout).to_string();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    let s1 = rows.iter().find(|r| r["job_run_id"] == "s-1").unwrap();
    assert!(close(&s1["ec2_usd"], 3.0 * 1200.0 / 3600.0 * M5), "{s1}");
    assert_eq!(s1["serverless_basis"], "ec2_estimate", "{s1}");
    // Its cluster's tags are the step's.
    let (runs, _, _) = emrcost::collect::dataset::read(&out).unwrap();
    let r1 = runs.iter().find(|r| r.job_run_id == "s-1").unwrap();
    assert_eq!(r1.tags.as_deref(), Some(r#"{"team":"data"}"#));
    // Two core m5.xlarge (12 GB YARN each) hold one 2-vCPU, 6 GB executor
    // (6.6 GB with overhead) each.
    assert_eq!(s1["executors"].as_f64(), Some(2.0), "{s1}");
    // On the fleet cluster, its core and task fleets during step one: 4
    // such executors on each r5.2xlarge (8 vcores) and 1 on each Spot
    // m5.xlarge (12 GB of YARN memory).
    let s10 = rows.iter().find(|r| r["job_run_id"] == "s-10").unwrap();
    assert_eq!(s10["executors"].as_f64(), Some(10.0), "{s10}");

    // The report: the steps' cost where they ran, and the clusters' idle.
    let report = dir.path().join("report");
    emu.emrcost()
        .args(["report", "--quiet", "--format", "md", "--out"])
        .arg(&report)
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("EMR on EC2 steps cost"), "{md}");
    assert!(md.contains("## EMR on EC2 clusters"), "{md}");

    // Collected again: the ended clusters are not read again.
    let again = emu
        .emrcost()
        .args(["collect", "emr", "--region", "us-east-1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&again.get_output().stderr).to_string();
    assert!(
        stderr.contains("0 cluster(s) read, 2 already final"),
        "{stderr}"
    );
}
