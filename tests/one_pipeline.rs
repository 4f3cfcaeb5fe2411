//! Issue 11: one pipeline for every input. The same runs give the same
//! report whatever file they came in, and `price` agrees with `report`.

use std::path::{Path, PathBuf};

use chrono::SecondsFormat;
use emrcost::cost::{Assumptions, DeploymentOption, Pricer};
use emrcost::input::Source;
use emrcost::model::JobRun;
use emrcost::pipeline::{Defaults, Window};
use emrcost::pricing::PriceBook;
use emrcost::report::{GroupBy, Report};
use polars::prelude::SerReader;
use proptest::prelude::*;

use crate::util::{emrcost, stdout_of, write};

/// Ten runs, each written twice: the drift cases below start from these.
fn ten() -> Vec<JobRun> {
    emrcost::synth::generate(&emrcost::synth::SynthConfig {
        runs: 10,
        seed: 5,
        ..Default::default()
    })
}

fn csv_text(runs: &[JobRun]) -> String {
    let mut out = Vec::new();
    emrcost::input::csv::write_csv(&mut out, runs).unwrap();
    String::from_utf8(out).unwrap()
}

fn parquet(path: &Path, runs: &[JobRun]) {
    let f = std::fs::File::create(path).unwrap();
    emrcost::input::parquet::write_parquet(f, runs.iter().cloned(), 7).unwrap();
}

fn report_json(args: &[&str], input: &Path) -> serde_json::Value {
    let out = tempfile::tempdir().unwrap();
    emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(out.path())
        .args(args)
        .arg(input)
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap()
}

/// `report dup.parquet` counted every copy (20 runs, twice the EMR
/// Serverless total) where CSV and `price` counted 10.
#[test]
fn issue11_repeated_runs_count_once_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let runs = ten();
    let twice: Vec<JobRun> = runs.iter().chain(runs.iter()).cloned().collect();
    let csv = write(dir.path(), "dup.csv", &csv_text(&twice));
    let pq = dir.path().join("dup.parquet");
    parquet(&pq, &twice);
    let once = write(dir.path(), "once.csv", &csv_text(&runs));
    let want = report_json(&[], &once);
    let want_usd = want["total"]["costs"]["emr_serverless_usd"]
        .as_f64()
        .unwrap();
    for input in [&csv, &pq] {
        let got = report_json(&[], input);
        assert_eq!(got["total"]["runs"], 10, "{}", input.display());
        assert_eq!(
            got["total"]["costs"]["emr_serverless_usd"]
                .as_f64()
                .unwrap(),
            want_usd,
            "{}",
            input.display()
        );
        assert_eq!(got["not_priced"]["rejected"], 10);
        assert!(got["not_priced"]["by_reason"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("superseded by a later record of the same run"));
        let priced = stdout_of(
            emrcost()
                .args(["price", "--format", "csv", "-q"])
                .arg(input),
        );
        assert_eq!(priced.lines().count(), 11, "{priced}");
    }
}

/// A Parquet file without a `region` column was refused row by row even
/// with `--region`; the same rows as CSV took the flag.
#[test]
fn issue11_region_flag_fills_a_missing_region_column() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("runs.parquet");
    parquet(&pq, &ten());
    let mut df = polars::prelude::ParquetReader::new(std::fs::File::open(&pq).unwrap())
        .finish()
        .unwrap()
        .drop("region")
        .unwrap();
    let no_region = dir.path().join("no-region.parquet");
    polars::prelude::ParquetWriter::new(std::fs::File::create(&no_region).unwrap())
        .finish(&mut df)
        .unwrap();
    // emrcost's CSV starts with the region column: drop it.
    let text: String = csv_text(&ten())
        .lines()
        .map(|l| l.split_once(',').unwrap().1.to_string() + "\n")
        .collect();
    let csv_no_region = write(dir.path(), "no-region.csv", &text);
    for input in [&no_region, &csv_no_region] {
        let r = report_json(&["--region", "eu-west-1"], input);
        assert_eq!(r["total"]["runs"], 10, "{}", input.display());
        assert_eq!(r["groups"][0]["region"], "eu-west-1");
        emrcost()
            .args(["report", "--quiet", "--format", "json", "--out"])
            .arg(dir.path().join("x"))
            .arg(input)
            .assert()
            .failure()
            .stderr(predicates::str::contains(
                "region is empty; fill it in or pass --region",
            ));
    }
}

/// CSV refused `2026-08-01T09:01:21.712000+0000`, what polars and pandas
/// write by default.
#[test]
fn issue11_csv_reads_the_timestamps_polars_and_pandas_write() {
    let dir = tempfile::tempdir().unwrap();
    let header = "region,application_id,job_run_id,state,started_at,ended_at,billed_vcpu_hours,billed_memory_gb_hours,billed_storage_gb_hours";
    let rows = [
        "us-east-1,a,r1,SUCCESS,2026-08-01T09:01:21.712000+0000,2026-08-01T09:31:21.712000+0000,2,8,0",
        "us-east-1,a,r2,SUCCESS,2026-08-01 09:01:21,2026-08-01 09:31:21,2,8,0",
        "us-east-1,a,r3,SUCCESS,1785574881712,1785576681712,2,8,0",
    ];
    let f = write(
        dir.path(),
        "t.csv",
        &format!("{header}\n{}\n", rows.join("\n")),
    );
    let out = stdout_of(emrcost().args(["price", "--format", "jsonl"]).arg(&f));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    for l in &lines {
        // 09:01:21 to 09:31:21: half an hour, in August 2026.
        assert_eq!(l["runtime_s"], 1800.0);
        assert_eq!(l["month"], "2026-08");
    }
}

/// CSV refused `executor_vcpu = 0`; Parquet accepted it. Both refuse it now,
/// in the same words.
#[test]
fn issue11_zero_executor_vcpu_is_refused_in_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = ten();
    runs[3].executor_vcpu = Some(0.0);
    let csv = write(dir.path(), "z.csv", &csv_text(&runs));
    let pq = dir.path().join("z.parquet");
    parquet(&pq, &runs);
    for input in [&csv, &pq] {
        let r = report_json(&[], input);
        assert_eq!(r["total"]["runs"], 9, "{}", input.display());
        assert_eq!(
            r["rejected"][0]["reason"],
            "executor_vcpu is 0; a worker needs more than nothing"
        );
    }
    let r = report_json(&[], &csv);
    assert_eq!(r["rejected"][0]["location"], format!("{}:5", csv.display()));
    let r = report_json(&[], &pq);
    assert_eq!(
        r["rejected"][0]["location"],
        format!("{}: row 4", pq.display())
    );
}

// ---------------------------------------------------------------------
// Same runs, same report, in every format.

fn iso(t: chrono::DateTime<chrono::Utc>, form: usize) -> String {
    match form % 4 {
        0 => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        1 => t.format("%Y-%m-%dT%H:%M:%S%.6f+0000").to_string(),
        2 => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        _ => t.timestamp_millis().to_string(),
    }
}

/// emrcost's CSV with the time forms varied row by row.
fn odd_csv(runs: &[JobRun]) -> String {
    let mut text = csv_text(runs);
    // Rewrite the three time columns of each row in another accepted form.
    let mut out = String::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for (i, (rec, run)) in reader.records().zip(runs).enumerate() {
        let rec = rec.unwrap();
        let cells: Vec<String> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| match h {
                "created_at" => run.created_at.map(|t| iso(t, i)).unwrap_or_default(),
                "started_at" => run.started_at.map(|t| iso(t, i + 1)).unwrap_or_default(),
                "ended_at" => run.ended_at.map(|t| iso(t, i + 2)).unwrap_or_default(),
                _ => v.to_string(),
            })
            .collect();
        w.write_record(&cells).unwrap();
    }
    out.push_str(&String::from_utf8(w.into_inner().unwrap()).unwrap());
    text.clear();
    out
}

/// A run as `aws emr-serverless get-job-run` prints it, with emrcost's
/// region, architecture and application-name fields.
fn get_job_run(r: &JobRun) -> serde_json::Value {
    let mut conf = Vec::new();
    let mut add = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            conf.push(format!("--conf {k}={v}"));
        }
    };
    add(
        "spark.executor.cores",
        r.executor_vcpu.map(|v| v.to_string()),
    );
    add(
        "spark.executor.memory",
        r.executor_memory_gb.map(|v| format!("{v}g")),
    );
    add(
        "spark.emr-serverless.executor.disk",
        r.executor_disk_gb.map(|v| format!("{v}g")),
    );
    add("spark.driver.cores", r.driver_vcpu.map(|v| v.to_string()));
    add(
        "spark.driver.memory",
        r.driver_memory_gb.map(|v| format!("{v}g")),
    );
    add(
        "spark.dynamicAllocation.maxExecutors",
        r.max_executors.map(|v| v.to_string()),
    );
    let usage = |u: &Option<emrcost::model::ResourceUsage>| {
        u.map(|u| {
            serde_json::json!({"vCPUHour": u.vcpu_hours, "memoryGBHour": u.memory_gb_hours, "storageGBHour": u.storage_gb_hours})
        })
    };
    let secs =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp_millis() as f64 / 1000.0);
    serde_json::json!({"jobRun": {
        "applicationId": r.application_id,
        "jobRunId": r.job_run_id,
        "arn": format!("arn:aws:emr-serverless:{}:123456789012:/applications/{}/jobruns/{}", r.region, r.application_id, r.job_run_id),
        "name": r.job_name,
        "applicationName": r.application_name,
        "architecture": r.architecture.as_str(),
        "state": r.state.as_str(),
        "releaseLabel": r.release_label,
        "createdAt": secs(r.created_at),
        "startedAt": secs(r.started_at),
        "endedAt": secs(r.ended_at),
        "totalExecutionDurationSeconds": r.duration_s,
        "queuedDurationMilliseconds": r.queued_ms,
        "attempt": r.attempt,
        "billedResourceUtilization": usage(&r.billed),
        "totalResourceUtilization": usage(&r.total),
        "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/x.py", "sparkSubmitParameters": conf.join(" ")}},
    }})
}

/// Random runs with what real inputs have: repeats whose later copy
/// differs, missing optional fields, and bad rows.
fn fleet(seed: u64, n: usize) -> Vec<JobRun> {
    let mut runs = emrcost::synth::generate(&emrcost::synth::SynthConfig {
        runs: n,
        seed,
        ..Default::default()
    });
    for (i, r) in runs.iter_mut().enumerate() {
        // get-job-run JSON says memory in whole GB or MB; keep it exact.
        r.executor_memory_gb = r.executor_memory_gb.map(f64::round);
        r.driver_memory_gb = r.driver_memory_gb.map(f64::round);
        r.source = emrcost::model::UsageSource::JobRunApi;
        match (seed as usize + i) % 7 {
            0 => {
                r.executor_vcpu = None;
                r.executor_memory_gb = None;
                r.release_label = None;
            }
            1 => r.queued_ms = None,
            2 => r.duration_s = Some(-5.0),
            3 => r.job_name = None,
            _ => {}
        }
    }
    // Repeats: the later copy has other billed usage and wins.
    // (Copies of runs the check refuses are left out: a dataset folder holds
    // one record per run by design, so it could not carry both.)
    let mut copies: Vec<JobRun> = runs
        .iter()
        .step_by(5)
        .filter(|r| r.duration_s.is_none_or(|d| d >= 0.0))
        .cloned()
        .collect();
    for c in &mut copies {
        if let Some(b) = c.billed.as_mut() {
            b.vcpu_hours *= 1.5;
        }
    }
    runs.extend(copies);
    runs
}

fn generate(sources: &[Source], pricer: &Pricer<'_>) -> Report {
    emrcost::report::generate(&emrcost::report::Config {
        sources,
        defaults: &Defaults::default(),
        window: Window::default(),
        pricer,
        group_by: GroupBy::Application,
        top: 2000,
        startup: Default::default(),
    })
    .unwrap()
    .report
}

/// The report as JSON, without what names the input (file names, the
/// locations of left-out records).
fn comparable(r: &Report) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("inputs");
    for list in ["rejected", "unpriced"] {
        for rec in o[list].as_array_mut().unwrap() {
            rec.as_object_mut().unwrap().remove("location");
            rec.as_object_mut().unwrap().remove("job");
            rec.as_object_mut().unwrap().remove("index");
        }
    }
    for reason in o["not_priced"]["by_reason"].as_array_mut().unwrap() {
        reason.as_object_mut().unwrap().remove("first");
    }
    v
}

/// Equal, numbers to 1e-9 relative: a dataset folder holds its runs in
/// creation order, and sums in another order may differ in the last bit.
fn same(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0) {
                Ok(())
            } else {
                Err(format!("{at}: {x} vs {y}"))
            }
        }
        (Array(x), Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (x, y))| same(x, y, &format!("{at}[{i}]"))),
        (Object(x), Object(y)) if x.len() == y.len() => x.iter().try_for_each(|(k, v)| {
            same(
                v,
                y.get(k).ok_or(format!("{at}.{k} missing"))?,
                &format!("{at}.{k}"),
            )
        }),
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} vs {b}")),
    }
}

fn write_all(dir: &Path, runs: &[JobRun]) -> Vec<(&'static str, Source)> {
    let csv = write(dir, "runs.csv", &odd_csv(runs));
    let jsonl = dir.join("runs.jsonl");
    std::fs::write(
        &jsonl,
        runs.iter()
            .map(|r| get_job_run(r).to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let array = dir.join("runs.json");
    let values: Vec<serde_json::Value> = runs.iter().map(get_job_run).collect();
    std::fs::write(&array, serde_json::to_string_pretty(&values).unwrap()).unwrap();
    let pq = dir.join("runs.parquet");
    parquet(&pq, runs);
    let ds: PathBuf = dir.join("dataset");
    let mut d = emrcost::collect::dataset::Dataset::open(&ds).unwrap();
    for r in runs {
        d.record(r.clone()).unwrap();
    }
    d.compact().unwrap();
    vec![
        ("csv", Source::Csv(csv)),
        ("json lines", Source::Json(jsonl)),
        ("json array", Source::Json(array)),
        ("parquet", Source::Parquet(pq)),
        ("dataset", Source::Dataset(ds)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// The same runs as CSV (with several time forms), JSON Lines, a
    /// get-job-run JSON array, Parquet and a collected dataset folder give
    /// the same report.json, the input names aside; and `price` agrees with
    /// `report` on every total.
    #[test]
    fn same_runs_same_report_in_every_format(seed in 0u64..10_000, n in 20usize..120) {
        let dir = tempfile::tempdir().unwrap();
        let runs = fleet(seed, n);
        let book = PriceBook::embedded().unwrap();
        let pricer = Pricer::new(&book, Assumptions { ec2_spot_discount: Some(0.5), ..Assumptions::default() });
        let sources = write_all(dir.path(), &runs);
        let reports: Vec<(&str, Report)> = sources
            .iter()
            .map(|(what, s)| (*what, generate(std::slice::from_ref(s), &pricer)))
            .collect();
        let (_, first) = &reports[0];
        let mut want = comparable(first);
        for (what, r) in &reports[1..] {
            let mut got = comparable(r);
            if *what == "dataset" {
                // A dataset keeps one record per run (its journal's last),
                // so it has no superseded records to list; and it holds
                // its runs in creation order.
                for v in [&mut want, &mut got] {
                    strip_superseded(v);
                    sort_jobs(v);
                }
            }
            if let Err(e) = same(&want, &got, what) {
                prop_assert!(false, "csv and {what} differ: {e}");
            }
            want = comparable(first);
        }
        // price: every run's row, summed, is the report's total.
        let cfg = emrcost::report::Config {
            sources: std::slice::from_ref(&sources[0].1),
            defaults: &Defaults::default(),
            window: Window::default(),
            pricer: &pricer,
            group_by: GroupBy::Application,
            top: 0,
            startup: Default::default(),
        };
        let (rows, _) = emrcost::report::price_rows(
            &cfg,
            || Ok(Vec::new()),
            |lines| Ok(lines.to_vec()),
            |v: &mut Vec<emrcost::report::JobLine>, _, lines| {
                v.extend(lines);
                Ok(())
            },
        )
        .unwrap();
        prop_assert_eq!(rows.len(), first.total.runs);
        for option in DeploymentOption::ALL {
            let sum: Option<f64> = rows.iter().map(|j| match option {
                DeploymentOption::EmrServerless => Some(j.serverless_usd),
                DeploymentOption::Ec2OnDemand => j.ec2_usd,
                DeploymentOption::Ec2Spot => j.ec2_spot_usd,
                DeploymentOption::GlueStandard => j.glue_usd,
                DeploymentOption::GlueFlex => j.glue_flex_usd,
                DeploymentOption::EmrOnEks => j.eks_usd,
            }).sum();
            let total = first.total.costs.get(option);
            prop_assert_eq!(sum.is_some(), total.is_some());
            if let (Some(s), Some(t)) = (sum, total) {
                prop_assert!((s - t).abs() <= 1e-9 * t.abs().max(1.0), "{option}: {s} vs {t}");
            }
        }
    }
}

fn strip_superseded(v: &mut serde_json::Value) {
    let np = &mut v["not_priced"];
    let superseded: u64 = np["by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reason"].as_str().unwrap().starts_with("superseded"))
        .map(|r| r["records"].as_u64().unwrap())
        .sum();
    np["rejected"] = (np["rejected"].as_u64().unwrap() - superseded).into();
    np["by_reason"]
        .as_array_mut()
        .unwrap()
        .retain(|r| !r["reason"].as_str().unwrap().starts_with("superseded"));
    v["rejected"].as_array_mut().unwrap().retain(|r| {
        !r["reason"]
            .as_str()
            .unwrap()
            .contains("appears again later")
    });
    v["rejected"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|r| r.to_string());
}

fn sort_jobs(v: &mut serde_json::Value) {
    v["jobs"].as_array_mut().unwrap().sort_by_key(|j| {
        (
            j["application_id"].as_str().unwrap().to_string(),
            j["job_run_id"].as_str().unwrap().to_string(),
        )
    });
}

/// A bad time is refused by the one check whatever the format: JSON hands
/// the cell on as it came, as CSV does, so both give the same reason; and
/// the refused later copy of r1 does not push out the good earlier one.
#[test]
fn a_bad_time_reads_the_same_in_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "t.csv",
        "region,application_id,job_run_id,state,started_at,duration_s,billed_vcpu_hours,billed_memory_gb_hours,billed_storage_gb_hours\n\
         us-east-1,a,r1,SUCCESS,2026-08-01T00:00:00Z,60,1,4,0\n\
         us-east-1,a,r1,SUCCESS,yesterday,60,1,4,0\n\
         us-east-1,a,r2,SUCCESS,2026-08-01T00:00:00Z,60,1,4,0\n",
    );
    let line = |run: &str, started: &str| {
        format!(
            "{{\"jobRun\": {{\"applicationId\": \"a\", \"jobRunId\": \"{run}\", \"state\": \"SUCCESS\", \"region\": \"us-east-1\", \"startedAt\": \"{started}\", \"totalExecutionDurationSeconds\": 60, \"billedResourceUtilization\": {{\"vCPUHour\": 1, \"memoryGBHour\": 4, \"storageGBHour\": 0}}}}}}\n"
        )
    };
    let jsonl = write(
        dir.path(),
        "t.jsonl",
        &[
            line("r1", "2026-08-01T00:00:00Z"),
            line("r1", "yesterday"),
            line("r2", "2026-08-01T00:00:00Z"),
        ]
        .concat(),
    );
    // The CSV has a header line; the JSON Lines file has none.
    for (input, bad_line) in [(&csv, 3), (&jsonl, 2)] {
        let r = report_json(&[], input);
        assert_eq!(r["total"]["runs"], 2, "{}", input.display());
        let reasons: Vec<&str> = r["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["reason"].as_str().unwrap())
            .collect();
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with("started_at: 'yesterday' is not a time"),
            "{reasons:?}"
        );
        assert_eq!(
            r["rejected"][0]["location"],
            format!("{}:{bad_line}", input.display())
        );
    }
}

/// The pipeline merges a batch's parts on the calling thread while the
/// pool prices the later ones; called from a pool thread (which must not
/// wait on its own pool) it prices the parts together, then merges them.
/// Over a CSV of several blocks (parts) with repeats and bad rows, both
/// give the same report.
#[test]
fn a_report_made_from_a_pool_thread_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let runs = fleet(11, 20_000);
    let text = odd_csv(&runs);
    // More than two 2 MB blocks, so more than two parts.
    assert!(text.len() > 5 << 20, "{} bytes", text.len());
    let csv = write(dir.path(), "runs.csv", &text);
    let sources = [Source::Csv(csv)];
    let book = PriceBook::embedded().unwrap();
    let pricer = Pricer::new(&book, Assumptions::default());
    let outside = generate(&sources, &pricer);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let inside = pool.install(|| generate(&sources, &pricer));
    // Each run once (the copies supersede), less those with a negative
    // duration (every seventh).
    let good = runs[..20_000]
        .iter()
        .filter(|r| r.duration_s.is_none_or(|d| d >= 0.0))
        .count();
    assert_eq!(good, 20_000 - 2_857);
    assert_eq!(outside.total.runs, good);
    assert_eq!(comparable(&outside), comparable(&inside));
}
