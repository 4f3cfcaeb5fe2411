//! `emrcost reconcile`: a CUR 2.0 export the test writes in the documented
//! column layout (FACTS.md section 14), against a dataset of collected runs;
//! every figure reconciles to the cent.

use std::io::Write;

use emrcost::collect::dataset::Dataset;
use emrcost::model::{Architecture, ResourceUsage};

const ARN: &str = "arn:aws:emr-serverless:us-east-1:123456789012:/applications";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn dataset(dir: &std::path::Path) {
    let mut runs = emrcost::synth::generate(&emrcost::synth::SynthConfig {
        runs: 4,
        seed: 3,
        ..Default::default()
    });
    let at = chrono::DateTime::parse_from_rfc3339("2026-10-12T08:00:00Z")
        .unwrap()
        .to_utc();
    for (r, (app, id, v, m, s)) in runs.iter_mut().zip([
        ("appA", "r1", 1.0, 4.0, 0.0),
        ("appA", "r2", 2.0, 8.0, 10.0),
        ("appB", "r3", 0.5, 2.0, 0.0),
        ("etl-glue", "jr_1", 0.0, 0.0, 0.0),
    ]) {
        r.region = "us-east-1".into();
        r.architecture = Architecture::X86_64;
        r.application_id = app.into();
        r.job_run_id = id.into();
        r.attempt = 1;
        r.created_at = Some(at);
        r.started_at = Some(at);
        r.ended_at = Some(at + chrono::Duration::minutes(30));
        r.billed = Some(ResourceUsage {
            vcpu_hours: v,
            memory_gb_hours: m,
            storage_gb_hours: s,
        });
        r.glue = None;
        r.ec2_cost_usd = None;
    }
    // A Glue 4.0 run of 10 DPU for 600 s: 6000 DPU-seconds, standard class.
    let g = &mut runs[3];
    g.glue = Some(emrcost::model::GlueUse {
        dpu: 10.0,
        workers: 10,
        version: (4, 0),
        flex: false,
        dpu_seconds: None,
    });
    g.billed = None;
    g.total = None;
    g.duration_s = Some(600.0);
    let mut ds = Dataset::open(dir).unwrap();
    ds.record_all(runs).unwrap();
    ds.compact().unwrap();
}

const HEADER: &str = "bill_billing_period_start_date,line_item_usage_start_date,product_servicecode,line_item_usage_type,line_item_resource_id,line_item_line_item_type,line_item_unblended_cost,line_item_currency_code";

fn line(
    app: &str,
    run: Option<&str>,
    usage: &str,
    kind: &str,
    cost: &str,
    currency: &str,
    month: &str,
) -> String {
    let resource = match run {
        Some(r) => format!("{ARN}/{app}/jobruns/{r}"),
        None => format!("{ARN}/{app}"),
    };
    format!("{month}-01T00:00:00Z,{month}-12T08:00:00Z,ElasticMapReduce,USE1-EMR-SERVERLESS-{usage},{resource},{kind},{cost},{currency}")
}

#[test]
fn the_bill_reconciles_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    dataset(&ds);
    // us-east-1 x86_64 rates (FACTS.md section 1): $0.052624 a vCPU-hour,
    // $0.0057785 a GB-hour, $0.000111 a storage GB-hour.
    // r1: 1 vCPU-h + 4 GB-h = 0.052624 + 0.023114; r2: 2 + 8 + 10 storage
    // = 0.105248 + 0.046228 + 0.00111; r3 on the bill at 0.05 more than its
    // usage comes to. appA also has pre-initialized capacity (0.40), a run
    // the dataset lacks (0.25) and a credit (-0.10).
    let october = [
        line(
            "appA",
            Some("r1"),
            "vCPUHours",
            "Usage",
            "0.052624",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            Some("r1"),
            "MemoryGBHours",
            "Usage",
            "0.023114",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            Some("r2"),
            "vCPUHours",
            "Usage",
            "0.105248",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            Some("r2"),
            "MemoryGBHours",
            "Usage",
            "0.046228",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            Some("r2"),
            "StorageGBHours",
            "Usage",
            "0.00111",
            "USD",
            "2026-10",
        ),
        line("appA", None, "vCPUHours", "Usage", "0.30", "USD", "2026-10"),
        line(
            "appA",
            None,
            "MemoryGBHours",
            "Usage",
            "0.10",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            Some("r9"),
            "vCPUHours",
            "Usage",
            "0.20",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            Some("r9"),
            "MemoryGBHours",
            "Usage",
            "0.05",
            "USD",
            "2026-10",
        ),
        line(
            "appA",
            None,
            "vCPUHours",
            "Credit",
            "-0.10",
            "USD",
            "2026-10",
        ),
        line(
            "appB",
            Some("r3"),
            "vCPUHours",
            "Usage",
            "0.076312",
            "USD",
            "2026-10",
        ),
        line(
            "appB",
            Some("r3"),
            "MemoryGBHours",
            "Usage",
            "0.011557",
            "USD",
            "2026-10",
        ),
        // Glue bills the job: 6000 DPU-s = 1.6667 DPU-h x $0.44 (us-east-1).
        "2026-10-01T00:00:00Z,2026-10-12T08:00:00Z,AWSGlue,USE1-ETL-DPU-Hour,arn:aws:glue:us-east-1:123456789012:job/etl-glue,Usage,0.733333,USD".to_string(),
    ];
    // The rest must be counted and left out, never crash the run.
    let odd = [
        line("appA", Some("r1"), "vCPUHours", "Usage", "0.05", "EUR", "2026-10"),
        line("appA", Some("r1"), "vCPUHours", "Usage", "0.05", "USD", "2026-08"),
        line("appA", Some("r1"), "vCPUHours", "Usage", "abc", "USD", "2026-10"),
        "2026-10-01T00:00:00Z,2026-10-12T08:00:00Z,AmazonEC2,USE1-BoxUsage:m5.xlarge,i-0abc,Usage,0.192,USD".to_string(),
    ];
    // One file plain, one gzipped.
    let plain = dir.path().join("cur-1.csv");
    std::fs::write(&plain, format!("{HEADER}\n{}\n", october[..6].join("\n"))).unwrap();
    let gz = dir.path().join("cur-2.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    write!(
        enc,
        "{HEADER}\n{}\n{}\n",
        october[6..].join("\n"),
        odd.join("\n")
    )
    .unwrap();
    enc.finish().unwrap();

    let out = dir.path().join("reconcile.csv");
    let run = crate::util::emrcost()
        .args(["reconcile", "--dataset"])
        .arg(&ds)
        .arg("--out")
        .arg(&out)
        .arg(&plain)
        .arg(&gz)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        stderr.contains("17 line item(s) read from 2 file(s)"),
        "{stderr}"
    );
    assert!(stderr.contains("1 of other services, 1 in another currency, 1 outside the dataset's months, 1 unreadable"), "{stderr}");
    assert!(
        stderr.contains("cur-2.csv.gz: row 11: line_item_unblended_cost \"abc\" cannot be read"),
        "the unreadable row is named: {stderr}"
    );

    let mut rows = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let get = |app: &str, col: usize| -> f64 {
        rows.iter().find(|r| &r[0] == app).unwrap()[col]
            .parse()
            .unwrap()
    };
    // appA: usage 0.075738 + 0.152586 + 0.40 + 0.25; emrcost 0.228324;
    // nothing unexplained; the credit apart.
    assert!(close(get("appA", 2), 0.878324));
    assert!(close(get("appA", 3), 0.075738 + 0.152586));
    assert!(close(get("appA", 4), 0.40));
    assert!(close(get("appA", 5), 0.25));
    assert_eq!(&rows.iter().find(|r| &r[0] == "appA").unwrap()[6], "1");
    assert!(close(get("appA", 7), 0.0));
    assert!(close(get("appA", 8), -0.10));
    // appB: 0.05 unexplained, listed run by run.
    assert!(close(get("appB", 2), 0.087869));
    assert!(close(get("appB", 3), 0.037869));
    assert!((get("appB", 7) - 0.05).abs() < 1e-9);
    assert!(stdout.contains("r3 (appB)"), "{stdout}");
    // The Glue job: the bill's job line against its run, nothing left.
    assert!(close(get("etl-glue", 2), 0.733333));
    assert!((get("etl-glue", 3) - 6000.0 / 3600.0 * 0.44).abs() < 1e-6);
    assert!(close(get("etl-glue", 7), 0.0));
    assert_eq!(
        &rows.iter().find(|r| &r[0] == "etl-glue").unwrap()[9],
        "Glue"
    );

    // The same line items as a Parquet export (the billing period a
    // timestamp, the cost a number, as Data Exports writes them) give the
    // same reconciliation.
    let parquet = dir.path().join("cur.parquet");
    write_parquet(&parquet, &october);
    assert_same_reconciliation(&ds, &out, &parquet);
}

#[test]
fn a_cur_file_without_its_columns_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    dataset(&ds);
    let bad = dir.path().join("export.csv");
    std::fs::write(
        &bad,
        "lineItem/UsageType,lineItem/UnblendedCost\nUSE1-EMR-SERVERLESS-vCPUHours,1.0\n",
    )
    .unwrap();
    let out = crate::util::emrcost()
        .args(["reconcile", "--dataset"])
        .arg(&ds)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("export.csv"), "{err}");
    assert!(
        err.contains("missing column(s) bill_billing_period_start_date, line_item_usage_type"),
        "{err}"
    );
    // And a folder that is not a dataset.
    let out = crate::util::emrcost()
        .args(["reconcile", "--dataset"])
        .arg(dir.path())
        .arg(&bad)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a dataset"));
}

/// CSV lines in HEADER's layout as a Parquet file with CUR 2.0's types.
fn write_parquet(path: &std::path::Path, lines: &[String]) {
    use polars::prelude::*;
    let cells: Vec<Vec<&str>> = lines.iter().map(|l| l.split(',').collect()).collect();
    let col = |i: usize| cells.iter().map(|c| c[i]).collect::<Vec<&str>>();
    let period: Vec<i64> = col(0)
        .iter()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .timestamp_millis()
        })
        .collect();
    let cost: Vec<f64> = col(6).iter().map(|v| v.parse().unwrap()).collect();
    let mut df = DataFrame::new(vec![
        Column::new("bill_billing_period_start_date".into(), period)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap(),
        Column::new("line_item_usage_start_date".into(), col(1)),
        Column::new("product_servicecode".into(), col(2)),
        Column::new("line_item_usage_type".into(), col(3)),
        Column::new("line_item_resource_id".into(), col(4)),
        Column::new("line_item_line_item_type".into(), col(5)),
        Column::new("line_item_unblended_cost".into(), cost),
        Column::new("line_item_currency_code".into(), col(7)),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

fn cluster(id: &str, created: &str, total_usd: f64) -> emrcost::collect::emr_ec2::ClusterCost {
    let at = chrono::DateTime::parse_from_rfc3339(created)
        .unwrap()
        .to_utc();
    emrcost::collect::emr_ec2::ClusterCost {
        region: "us-east-1".into(),
        cluster_id: id.into(),
        name: None,
        state: "TERMINATED".into(),
        created: Some(at),
        ended: Some(at + chrono::Duration::hours(2)),
        instances: 3,
        instance_hours: 6.0,
        steps: 1,
        total_usd,
        steps_usd: total_usd,
        idle_usd: 0.0,
        idle_hours: 0.0,
        spot: "none".into(),
        unpriced: Vec::new(),
        price_snapshot: "test".into(),
    }
}

/// `dataset`'s runs in `dir/ds`, with these clusters (id, created, cost)
/// as `collect emr` would have recorded them.
fn dataset_with_clusters(
    dir: &std::path::Path,
    clusters: &[(&str, &str, f64)],
) -> std::path::PathBuf {
    let ds_dir = dir.join("ds");
    dataset(&ds_dir);
    let mut ds = Dataset::open(&ds_dir).unwrap();
    for (id, created, usd) in clusters {
        ds.state.clusters.push(cluster(id, created, *usd));
    }
    ds.compact().unwrap();
    ds_dir
}

const EMR_HEADER: &str = "bill_billing_period_start_date,line_item_usage_start_date,line_item_product_code,line_item_usage_type,line_item_resource_id,line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,resource_tags";

/// The EMR on EC2 part of a bill: the uplift per cluster, the instances and
/// volumes tagged with the cluster id (FACTS.md section 13), against the
/// clusters `collect emr` priced.
#[test]
fn emr_clusters_reconcile_with_their_uplift_and_tagged_instances() {
    let dir = tempfile::tempdir().unwrap();
    // j-AAA: 3 x m5.xlarge for 2 h: EC2 3 x 2 x $0.192 = 1.152, EMR
    // 3 x 2 x $0.048 = 0.288, volumes 0.05: 1.49 as collected. j-CCC:
    // collected at 0.50, billed 0.45. j-SEP: a September cluster. Its
    // month is EMR on EC2's, not the EMR Serverless runs' (October only):
    // September's EMR Serverless line is outside what was collected of
    // that service.
    let ds_dir = dataset_with_clusters(
        dir.path(),
        &[
            ("j-AAA", "2026-10-31T23:00:00Z", 1.49),
            ("j-CCC", "2026-10-12T08:00:00Z", 0.50),
            ("j-SEP", "2026-09-10T08:00:00Z", 0.20),
        ],
    );

    let tag = |id: &str| {
        format!(r#""{{""user_team"":""data"",""aws_elasticmapreduce_job_flow_id"":""{id}""}}""#)
    };
    let emr_arn = "arn:aws:elasticmapreduce:us-east-1:123456789012:cluster";
    let lines = [
        // The instance hours, on the EC2 bill with the cluster's tag.
        format!("2026-10-01T00:00:00Z,2026-10-31T23:00:00Z,AmazonEC2,USE1-BoxUsage:m5.xlarge,i-01,Usage,0.576,USD,{}", tag("j-AAA")),
        // Its second hour is in November: still the cluster's, in October.
        format!("2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,AmazonEC2,USE1-BoxUsage:m5.xlarge,i-01,Usage,0.576,USD,{}", tag("j-AAA")),
        format!("2026-10-01T00:00:00Z,2026-10-31T23:00:00Z,AmazonEC2,USE1-EBS:VolumeUsage.gp2,vol-01,Usage,0.05,USD,{}", tag("j-AAA")),
        // EMR's uplift: the cluster in the resource id, no tags needed.
        format!("2026-10-01T00:00:00Z,2026-10-31T23:00:00Z,ElasticMapReduce,USE1-BoxUsage:m5.xlarge,{emr_arn}/j-AAA,Usage,0.144,USD,"),
        format!("2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,ElasticMapReduce,USE1-BoxUsage:m5.xlarge,{emr_arn}/j-AAA,Usage,0.144,USD,"),
        // A Savings Plan covered the instances: its negation is a discount.
        format!("2026-10-01T00:00:00Z,2026-10-31T23:00:00Z,AmazonEC2,USE1-BoxUsage:m5.xlarge,i-01,SavingsPlanNegation,-0.30,USD,{}", tag("j-AAA")),
        format!("2026-10-01T00:00:00Z,2026-10-12T08:00:00Z,AmazonEC2,USE1-BoxUsage:m5.xlarge,i-02,Usage,0.40,USD,{}", tag("j-CCC")),
        format!("2026-10-01T00:00:00Z,2026-10-12T08:00:00Z,ElasticMapReduce,USE1-BoxUsage:m5.xlarge,{emr_arn}/j-CCC,Usage,0.05,USD,"),
        // A cluster the dataset does not hold.
        format!("2026-10-01T00:00:00Z,2026-10-20T08:00:00Z,ElasticMapReduce,USE1-BoxUsage:m5.xlarge,{emr_arn}/j-BBB,Usage,0.10,USD,"),
        // An instance that is not EMR's.
        "2026-10-01T00:00:00Z,2026-10-12T08:00:00Z,AmazonEC2,USE1-BoxUsage:m5.xlarge,i-09,Usage,0.192,USD,{}".to_string(),
        format!("2026-09-01T00:00:00Z,2026-09-10T08:00:00Z,ElasticMapReduce,USE1-BoxUsage:m5.xlarge,{emr_arn}/j-SEP,Usage,0.20,USD,"),
        format!("2026-09-01T00:00:00Z,2026-09-10T08:00:00Z,ElasticMapReduce,USE1-EMR-SERVERLESS-vCPUHours,{ARN}/appA/jobruns/r7,Usage,0.33,USD,"),
    ];
    let csv_path = dir.path().join("cur-emr.csv");
    std::fs::write(&csv_path, format!("{EMR_HEADER}\n{}\n", lines.join("\n"))).unwrap();
    let out = dir.path().join("emr.csv");
    let run = crate::util::emrcost()
        .args(["reconcile", "--dataset"])
        .arg(&ds_dir)
        .arg("--out")
        .arg(&out)
        .arg(&csv_path)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(stdout.contains("EMR on EC2"), "{stdout}");
    assert!(stdout.contains("(the cluster)"), "{stdout}");
    assert!(stderr.contains("1 of other services"), "{stderr}");
    assert!(
        stderr.contains("1 outside the dataset's months"),
        "{stderr}"
    );
    // Some lines carry the tag, so the untagged instance is just another
    // instance: no advice to activate the tag.
    assert!(!stderr.contains("carry no EMR cluster id tag"), "{stderr}");
    // The runs of services this bill has no lines for are not compared.
    assert!(
        stderr.contains(
            "the bill has no EMR Serverless line items in the months collected: 3 collected run(s)"
        ),
        "{stderr}"
    );
    assert!(!stdout.contains("appA"), "{stdout}");

    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&out)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let row = |id: &str| rows.iter().find(|r| &r[0] == id).unwrap().clone();
    let num = |r: &csv::StringRecord, i: usize| -> f64 { r[i].parse().unwrap() };
    // j-AAA: 0.576 x 2 + 0.05 + 0.144 x 2 = 1.49 billed, all in October,
    // 1.49 computed, nothing left; the Savings Plan apart.
    let a = row("j-AAA");
    assert_eq!(&a[1], "2026-10");
    assert_eq!(&a[9], "EMR on EC2");
    assert!(close(num(&a, 2), 1.49), "{a:?}");
    assert!(close(num(&a, 3), 1.49), "{a:?}");
    assert!(close(num(&a, 7), 0.0), "{a:?}");
    assert!(close(num(&a, 8), -0.30), "{a:?}");
    // j-CCC: 0.45 billed against 0.50 computed: 0.05 under, unexplained.
    let c = row("j-CCC");
    assert!(close(num(&c, 2), 0.45), "{c:?}");
    assert!(close(num(&c, 3), 0.50), "{c:?}");
    assert!((num(&c, 7) + 0.05).abs() < 1e-9, "{c:?}");
    let sep = row("j-SEP");
    assert_eq!(&sep[1], "2026-09");
    assert!(
        close(num(&sep, 2), 0.20) && close(num(&sep, 3), 0.20),
        "{sep:?}"
    );
    // j-BBB: on the bill only, so not collected, nothing unexplained.
    let b = row("j-BBB");
    assert!(close(num(&b, 5), 0.10), "{b:?}");
    assert_eq!(&b[6], "1");
    assert!(close(num(&b, 7), 0.0), "{b:?}");

    // The same lines as Parquet, the tags a map column (a list of key and
    // value structs, as Parquet stores a map), reconcile the same.
    let parquet = dir.path().join("cur-emr.parquet");
    write_parquet_with_tags(&parquet, &lines);
    assert_same_reconciliation(&ds_dir, &out, &parquet);
}

/// `reconcile --out` on `other` writes the very file `want` holds.
fn assert_same_reconciliation(
    ds: &std::path::Path,
    want: &std::path::Path,
    other: &std::path::Path,
) {
    let out = other.with_extension("reconciled.csv");
    crate::util::emrcost()
        .args(["reconcile", "--quiet", "--dataset"])
        .arg(ds)
        .arg("--out")
        .arg(&out)
        .arg(other)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(want).unwrap(),
        std::fs::read_to_string(&out).unwrap()
    );
}

/// EMR_HEADER's lines as Parquet: the tags a list of {key, value} structs.
fn write_parquet_with_tags(path: &std::path::Path, lines: &[String]) {
    use polars::prelude::*;
    let mut cells: Vec<Vec<String>> = Vec::new();
    for l in lines {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(l.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        cells.push(rec.iter().map(str::to_string).collect());
    }
    let col = |i: usize| cells.iter().map(|c| c[i].clone()).collect::<Vec<String>>();
    let cost: Vec<f64> = col(6).iter().map(|v| v.parse().unwrap()).collect();
    let tags: Vec<Series> = col(8)
        .iter()
        .map(|t| {
            let map: serde_json::Map<String, serde_json::Value> = if t.is_empty() {
                serde_json::Map::new()
            } else {
                serde_json::from_str(t).unwrap()
            };
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            let values: Vec<&str> = map.values().map(|v| v.as_str().unwrap()).collect();
            let fields = [
                Series::new("key".into(), keys),
                Series::new("value".into(), values),
            ];
            StructChunked::from_series("entries".into(), map.len(), fields.iter())
                .unwrap()
                .into_series()
        })
        .collect();
    let mut df = DataFrame::new(vec![
        Column::new("bill_billing_period_start_date".into(), col(0)),
        Column::new("line_item_usage_start_date".into(), col(1)),
        Column::new("line_item_product_code".into(), col(2)),
        Column::new("line_item_usage_type".into(), col(3)),
        Column::new("line_item_resource_id".into(), col(4)),
        Column::new("line_item_line_item_type".into(), col(5)),
        Column::new("line_item_unblended_cost".into(), cost),
        Column::new("line_item_currency_code".into(), col(7)),
        Column::new("resource_tags".into(), tags),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// A Parquet export with real MAP columns (`product`, `discount`,
/// `resource_tags`), written by pyarrow (tests/fixtures/cur/
/// make_map_parquet.py): it reads, and the tagged lines find their cluster.
/// The cluster ran into November and the export covers October only, which
/// the reconciliation says.
#[test]
fn a_parquet_export_with_map_columns_reads() {
    let dir = tempfile::tempdir().unwrap();
    let ds_dir = dataset_with_clusters(dir.path(), &[("j-AAA", "2026-10-31T23:00:00Z", 1.49)]);
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cur/cur-map.parquet");
    let out = dir.path().join("map.csv");
    let run = crate::util::emrcost()
        .args(["reconcile", "--dataset"])
        .arg(&ds_dir)
        .arg("--out")
        .arg(&out)
        .arg(&fixture)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).to_string();
    assert!(
        stderr.contains(
            "cluster(s) j-AAA (2026-10 to 2026-11) ran in months the bill files do not cover"
        ),
        "{stderr}"
    );
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&out)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(&rows[0][0], "j-AAA");
    let num = |i: usize| -> f64 { rows[0][i].parse().unwrap() };
    assert!(close(num(2), 1.49), "{rows:?}");
    assert!(close(num(3), 1.49), "{rows:?}");
    assert!(close(num(7), 0.0), "{rows:?}");
}
