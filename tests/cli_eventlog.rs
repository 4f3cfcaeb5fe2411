//! `emrcost import eventlog` on real Spark event logs
//! (tests/fixtures/spark-events, written by tests/spark/make_logs.py; see
//! tests/fixtures/spark-events.md).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::util::{emrcost, repo};

pub(crate) fn events() -> PathBuf {
    repo().join("tests/fixtures/spark-events")
}

fn one_file(dir: &str) -> PathBuf {
    let d = events().join(dir);
    std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .unwrap()
}

/// The expected figures, worked out from the log's own timestamps:
/// every executor's (removed - added) x its Total Cores, executors still
/// alive at the end counted to ApplicationEnd, plus the driver's cores
/// (spark.driver.cores, default 1) over ApplicationStart..ApplicationEnd;
/// the peak is the most executors between an add and a remove.
pub(crate) struct Expected {
    pub raw_vcpu_hours: f64,
    pub peak: u32,
}

pub(crate) fn expected_from(text: &str) -> Expected {
    let (mut start, mut end, mut driver_cores) = (0i64, 0i64, 1.0);
    let mut alive: HashMap<String, (i64, f64)> = HashMap::new();
    let (mut core_ms, mut live, mut peak) = (0.0, 0u32, 0u32);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        match v["Event"].as_str().unwrap() {
            "SparkListenerApplicationStart" => start = v["Timestamp"].as_i64().unwrap(),
            "SparkListenerApplicationEnd" => end = v["Timestamp"].as_i64().unwrap(),
            "SparkListenerEnvironmentUpdate" => {
                if let Some(c) = v["Spark Properties"]["spark.driver.cores"].as_str() {
                    driver_cores = c.parse().unwrap();
                }
            }
            "SparkListenerExecutorAdded" if v["Executor ID"] != "driver" => {
                let cores = v["Executor Info"]["Total Cores"].as_f64().unwrap();
                alive.insert(
                    v["Executor ID"].as_str().unwrap().into(),
                    (v["Timestamp"].as_i64().unwrap(), cores),
                );
                live += 1;
                peak = peak.max(live);
            }
            "SparkListenerExecutorRemoved" => {
                if let Some((added, cores)) = alive.remove(v["Executor ID"].as_str().unwrap()) {
                    core_ms += (v["Timestamp"].as_i64().unwrap() - added) as f64 * cores;
                    live -= 1;
                }
            }
            _ => {}
        }
    }
    for (added, cores) in alive.values() {
        core_ms += (end - added) as f64 * cores;
    }
    core_ms += (end - start) as f64 * driver_cores;
    Expected {
        raw_vcpu_hours: core_ms / 3_600_000.0,
        peak,
    }
}

pub(crate) fn decompressed(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "zstd") {
        let mut out = String::new();
        zstd::stream::read::Decoder::new(&bytes[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        out
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

fn import(args: &[&std::ffi::OsStr], out: &Path) -> assert_cmd::assert::Assert {
    emrcost()
        .args(["import", "eventlog", "--out"])
        .arg(out)
        .args(args)
        .assert()
}

pub(crate) fn apps_csv(out: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join("details/eventlog-apps.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn app<'a>(apps: &'a [HashMap<String, String>], name: &str) -> &'a HashMap<String, String> {
    apps.iter()
        .find(|a| a["app_name"] == name)
        .unwrap_or_else(|| panic!("{name} not imported"))
}

#[test]
fn real_logs_give_the_vcpu_hours_of_their_own_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    import(&[events().as_os_str()], &out).success();
    let apps = apps_csv(&out);
    assert_eq!(apps.len(), 7);
    let rolled = events().join("rolled");
    let rolled_file = std::fs::read_dir(rolled.read_dir().unwrap().next().unwrap().unwrap().path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zstd"))
        .unwrap();
    for (name, file) in [
        ("dynamic-none", one_file("dynamic-none")),
        ("dynamic-zstd", one_file("dynamic-zstd")),
        ("dynamic-rolled", rolled_file),
        ("fails-part-way", one_file("failed")),
    ] {
        let want = expected_from(&decompressed(&file));
        let got = app(&apps, name);
        let raw: f64 = got["raw_vcpu_hours"].parse().unwrap();
        assert!(
            (raw - want.raw_vcpu_hours).abs() < 1e-6,
            "{name}: {raw} vs {}",
            want.raw_vcpu_hours
        );
        assert_eq!(got["peak_executors"], want.peak.to_string(), "{name}");
    }
    // Executors came and went: 3 at the peak, fewer on average.
    for name in [
        "dynamic-zstd",
        "dynamic-lz4",
        "dynamic-snappy",
        "dynamic-none",
        "dynamic-rolled",
    ] {
        let a = app(&apps, name);
        assert_eq!(a["peak_executors"], "3", "{name}");
        let avg: f64 = a["avg_executors"].parse().unwrap();
        assert!(avg > 0.5 && avg < 3.0, "{name}: average {avg}");
        assert_eq!(a["problems"], "0", "{name}");
        // Billed: 1 vCPU workers, each at least a minute, so billed >= raw.
        let billed: f64 = a["billed_vcpu_hours"].parse().unwrap();
        assert!(billed >= a["raw_vcpu_hours"].parse::<f64>().unwrap());
    }
}

#[test]
fn estimator_column_is_core_and_mb_seconds_at_the_rates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    import(&[events().join("dynamic-none").as_os_str()], &out).success();
    let a = &apps_csv(&out)[0];
    let cs: f64 = a["estimator_core_seconds"].parse().unwrap();
    let mbs: f64 = a["estimator_mb_seconds"].parse().unwrap();
    // us-east-1 x86_64: $0.052624 per vCPU-hour, $0.0057785 per GB-hour.
    let want = cs / 3600.0 * 0.052624 + mbs / 1024.0 / 3600.0 * 0.0057785;
    assert!((a["estimator_usd"].parse::<f64>().unwrap() - want).abs() < 1e-6);
}

#[test]
fn failed_and_crashed_applications() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    import(
        &[
            events().join("failed").as_os_str(),
            events().join("crashed").as_os_str(),
        ],
        &out,
    )
    .success()
    .stderr(predicate::str::contains(
        "no SparkListenerApplicationEnd (crashed, still running or cut short)",
    ));
    let runs = std::fs::read_to_string(out.join("eventlog-jobruns.csv")).unwrap();
    let line = |name: &str| runs.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(line("fails-part-way").contains(",FAILED,"), "{runs}");
    let crashed = line("crashes");
    assert!(
        crashed.contains(",RUNNING,") && crashed.contains(",true,event_log"),
        "{crashed}"
    );

    let skip = dir.path().join("skip");
    import(
        &[
            "--complete-only".as_ref(),
            events().join("failed").as_os_str(),
            events().join("crashed").as_os_str(),
        ],
        &skip,
    )
    .success()
    .stderr(predicate::str::contains(
        "skipped (incomplete, --complete-only)",
    ));
    let runs = std::fs::read_to_string(skip.join("eventlog-jobruns.csv")).unwrap();
    assert!(!runs.contains("crashes") && runs.contains("fails-part-way"));
}

/// Every kind of bad input is reported per file with its reason, and the
/// other files are still imported.
#[test]
fn bad_logs_are_reported_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let good = std::fs::read_to_string(one_file("dynamic-none")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let write = |name: &str, text: String| std::fs::write(logs.join(name), text).unwrap();
    // Cut in the middle of a line: no ApplicationEnd, last line truncated.
    write("truncated", good[..good.len() * 2 / 3].to_string());
    let mut odd = lines[..3].join("\n");
    odd.push_str("\nthis is not json\n{\"Event\":\"com.example.MyEvent\",\"x\":1}\n");
    odd.push_str("{\"Event\":\"SparkListenerExecutorAdded\",\"Executor ID\":\"77\",\"Executor Info\":{\"Total Cores\":2}}\n");
    odd.push_str("{\"Event\":\"SparkListenerExecutorRemoved\",\"Timestamp\":1795464700000,\"Executor ID\":\"99\"}\n");
    odd.push_str(&lines[3..].join("\n"));
    odd.push('\n');
    write("odd", odd);
    write("empty", String::new());
    write("plain-named.zstd", good.clone());
    write("ok", good.clone());

    let out = dir.path().join("ds");
    let assert = import(&[logs.as_os_str()], &out).success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    let has = |file: &str, what: &str| {
        assert!(
            stderr.lines().any(|l| l.contains(file) && l.contains(what)),
            "no '{what}' for {file} in:\n{stderr}"
        )
    };
    has("truncated", "is cut short (the log was truncated)");
    has("truncated", "no SparkListenerApplicationEnd");
    has("odd", "line 4: not a JSON event line");
    has(
        "odd",
        "line 6: SparkListenerExecutorAdded for executor 77 has no Timestamp",
    );
    has("odd", "executor 99 removed but never added");
    has("empty", "the file is empty");
    has(
        "plain-named.zstd",
        "the suffix says zstd but the data does not start like it",
    );
    assert!(
        !stderr.contains("com.example.MyEvent"),
        "unknown events are ignored quietly"
    );
    assert!(!stderr.contains("panicked"));
    let apps = apps_csv(&out);
    let names: Vec<&str> = apps
        .iter()
        .map(|a| a["log"].rsplit('/').next().unwrap())
        .collect();
    assert!(
        names.contains(&"ok") && names.contains(&"odd") && names.contains(&"truncated"),
        "{names:?}"
    );
    assert!(!names.contains(&"empty") && !names.contains(&"plain-named.zstd"));
}

#[test]
fn report_prices_the_imported_dataset_as_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    import(&[events().as_os_str()], &out).success();
    let reports = dir.path().join("reports");
    emrcost()
        .args(["report", "--quiet", "--out"])
        .arg(&reports)
        .arg(&out)
        .assert()
        .success();
    let md = std::fs::read_to_string(reports.join("report.md")).unwrap();
    assert!(md.contains("were imported from Spark event logs"), "{md}");
    assert!(md.contains("(estimated from event log)"));
    assert!(
        md.contains("(peak)"),
        "EC2 and Glue sized for the peak: {md}"
    );
}

/// Importing into a dataset whose runs file has a row that cannot be read
/// stops, names the row, and leaves the file as it was: rewriting it would
/// drop that row without a word.
#[test]
fn an_unreadable_row_in_the_dataset_stops_the_import_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    std::fs::create_dir_all(&out).unwrap();
    let runs = out.join("eventlog-jobruns.csv");
    let text = "region,application_id,job_run_id,state,duration_s\n\
                us-east-1,a,r1,SUCCESS,60\n\
                us-east-1,a,r2,SUCCESS,abc\n";
    std::fs::write(&runs, text).unwrap();
    import(&[one_file("dynamic-zstd").as_os_str()], &out)
        .failure()
        .stderr(predicates::str::contains(
            "eventlog-jobruns.csv:3: duration_s is 'abc', which is not a number",
        ));
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), text);
}
