//! `emrcost import eventlog s3://...`: Spark event logs read straight from
//! S3 (the emulator's moto S3 on loopback, real SDK client), laid out the
//! way EMR Serverless and a history server write them.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::cli_eventlog::{apps_csv, decompressed, events, expected_from};
use crate::emulator::{operations, Emulator};
use emrcost::collect::dataset;

const BUCKET: &str = "team-spark-logs";

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// The committed rolled log (Spark 4.3, zstd): its folder and events file.
fn rolled() -> (std::path::PathBuf, std::path::PathBuf) {
    let folder = std::fs::read_dir(events().join("rolled"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zstd"))
        .unwrap();
    (folder, file)
}

fn one_file(dir: &str) -> std::path::PathBuf {
    std::fs::read_dir(events().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .unwrap()
}

/// `history/` in S3 holds what `local/` holds on disk: the rolled zstd
/// log (with Spark's appstatus and .crc files beside it), a plain log and
/// an lz4 one, under the same names.
fn lay_out_both(emu: &Emulator, local: &Path) {
    let (folder, _) = rolled();
    let folder_name = folder.file_name().unwrap().to_str().unwrap();
    std::fs::create_dir_all(local.join(folder_name)).unwrap();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap();
        std::fs::copy(&p, local.join(folder_name).join(name)).unwrap();
        emu.put_object(BUCKET, &format!("history/{folder_name}/{name}"), &bytes(&p));
    }
    for dir in ["dynamic-none", "dynamic-lz4"] {
        let p = one_file(dir);
        let name = p.file_name().unwrap().to_str().unwrap();
        std::fs::copy(&p, local.join(name)).unwrap();
        emu.put_object(BUCKET, &format!("history/{name}"), &bytes(&p));
    }
}

#[test]
fn logs_read_from_s3_give_what_the_same_logs_give_from_disk() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    lay_out_both(&emu, &local);
    // A prefix that only shares a beginning is not the folder: never read.
    emu.put_object(BUCKET, "history-old/not-this.json", b"{\"Event\":\"x\"}\n");
    // A thousand of Spark's .crc files ahead of one more log: the log is on
    // the second page of ListObjectsV2 (1,000 keys a page).
    for i in 0..1000 {
        emu.put_object(BUCKET, &format!("history/.aaa-{i:04}.crc"), b"crc");
    }
    let snappy = one_file("dynamic-snappy");
    emu.put_object(
        BUCKET,
        &format!("history/{}", snappy.file_name().unwrap().to_str().unwrap()),
        &bytes(&snappy),
    );
    std::fs::copy(&snappy, local.join(snappy.file_name().unwrap())).unwrap();

    let from_disk = dir.path().join("from-disk");
    crate::util::emrcost()
        .args(["import", "eventlog", "--out"])
        .arg(&from_disk)
        .arg(&local)
        .assert()
        .success();
    let from_s3 = dir.path().join("from-s3");
    emu.clear_log();
    let out = emu
        .emrcost()
        .args(["import", "eventlog", "--out"])
        .arg(&from_s3)
        .arg(format!("s3://{BUCKET}/history"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("read 4 log(s)"), "{stderr}");

    // The same runs, byte for byte.
    assert_eq!(
        std::fs::read_to_string(from_disk.join("eventlog-jobruns.csv")).unwrap(),
        std::fs::read_to_string(from_s3.join("eventlog-jobruns.csv")).unwrap()
    );
    // The same per-application figures; only where each log was differs.
    let strip = |rows: Vec<HashMap<String, String>>| -> Vec<Vec<(String, String)>> {
        let mut rows: Vec<Vec<(String, String)>> = rows
            .into_iter()
            .map(|mut r| {
                let log = r.remove("log").unwrap();
                let name = log.rsplit('/').next().unwrap().to_string();
                let mut v: Vec<_> = r.into_iter().collect();
                v.push(("log name".into(), name));
                v.sort();
                v
            })
            .collect();
        rows.sort();
        rows
    };
    let disk = strip(apps_csv(&from_disk));
    let s3 = strip(apps_csv(&from_s3));
    assert_eq!(disk.len(), 4);
    assert_eq!(disk, s3);
    for row in apps_csv(&from_s3) {
        assert!(
            row["log"].starts_with(&format!("s3://{BUCKET}/history/")),
            "{row:?}"
        );
    }

    // Two listing pages; one GetObject per log file, none for Spark's
    // bookkeeping files or for the other prefix.
    let log = emu.log();
    assert_eq!(operations(&log, "ListObjectsV2").len(), 2, "paged listing");
    let gets = operations(&log, "GetObject");
    assert_eq!(gets.len(), 4, "{gets:?}");
    assert!(gets.iter().all(|g| {
        let p = g["path"].as_str().unwrap();
        !p.contains(".crc") && !p.contains("appstatus") && !p.contains("history-old")
    }));
}

#[test]
fn bad_s3_paths_say_what_is_wrong() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let run = |args: &[&str]| {
        let o = emu
            .emrcost()
            .args(["import", "eventlog", "--out"])
            .arg(&out)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (code, err) = run(&["s3://Not_A_Bucket/logs"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("\"Not_A_Bucket\" is not an S3 bucket name"),
        "{err}"
    );
    let (code, err) = run(&["s3://no-such-bucket-here/logs/"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("NoSuchBucket"), "{err}");
    assert!(err.contains("no event logs found"), "{err}");
    emu.put_object(BUCKET, "other/x", b"");
    let (code, err) = run(&[&format!("s3://{BUCKET}/logs/")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("no objects there"), "{err}");
    // Access denied names the permission.
    emu.configure(json!({"deny": ["ListObjectsV2"]}));
    let (code, err) = run(&[&format!("s3://{BUCKET}/other/")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("s3:ListBucket"), "{err}");
    assert!(!out.join("eventlog-jobruns.csv").exists());
}

/// An EMR Serverless run collected from the API, then its own event log
/// read from its S3 log URI: the log sits beside the billed record, and
/// the run takes the log's measured peak.
#[test]
fn an_emr_serverless_log_is_put_beside_its_collected_run() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let now = chrono::Utc::now().timestamp() as f64;
    let seeded = emu.post(
        "/_emu/seed",
        &json!({"applications": [{"name": "nightly", "runs": [{
            "name": "rollup", "state": "SUCCESS",
            "createdAt": now - 3600.0, "startedAt": now - 3570.0, "endedAt": now - 3500.0,
            "totalExecutionDurationSeconds": 70,
            "billedResourceUtilization": {"vCPUHour": 0.25, "memoryGBHour": 1.0, "storageGBHour": 0.0},
            "totalResourceUtilization": {"vCPUHour": 0.2, "memoryGBHour": 0.8, "storageGBHour": 0.0},
        }]}]}),
    );
    let app = seeded["applications"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = seeded["applications"][0]["runs"][0]
        .as_str()
        .unwrap()
        .to_string();
    emu.collect(&ds).arg("--since").arg("2d").assert().success();

    // The layout of FACTS.md section 11: no codec suffix on the events file
    // (its first bytes say zstd), appstatus beside it, the driver's own
    // logs elsewhere under the run.
    let (_, zstd_file) = rolled();
    let base = format!("emr/applications/{app}/jobs/{run}");
    emu.put_object(
        BUCKET,
        &format!("{base}/sparklogs/eventlog_v2_{run}/events_1_{run}"),
        &bytes(&zstd_file),
    );
    emu.put_object(
        BUCKET,
        &format!("{base}/sparklogs/eventlog_v2_{run}/appstatus_{run}"),
        b"",
    );
    emu.put_object(
        BUCKET,
        &format!("{base}/SPARK_DRIVER/stdout.gz"),
        b"\x1f\x8b not a log",
    );
    let out = emu
        .emrcost()
        .args(["import", "eventlog", "--out"])
        .arg(&ds)
        .arg(format!("s3://{BUCKET}/emr/applications/{app}/"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stdout.contains("beside their event logs"), "{stdout}");
    assert!(stdout.contains(&run), "{stdout}");
    assert!(
        stderr.contains("1 object(s) outside sparklogs/"),
        "{stderr}"
    );
    // Not a second record of the run.
    assert!(!ds.join("eventlog-jobruns.csv").exists());

    // Expected from the log's own lines: executor core-seconds from its
    // add/remove timestamps, task time from its task ends.
    let text = decompressed(&zstd_file);
    let want = expected_from(&text);
    let (mut task_ms, mut alive, mut exec_core_ms) = (0i64, HashMap::new(), 0.0);
    let mut end = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        match v["Event"].as_str().unwrap() {
            "SparkListenerTaskEnd" => {
                let i = &v["Task Info"];
                task_ms += i["Finish Time"].as_i64().unwrap() - i["Launch Time"].as_i64().unwrap();
            }
            "SparkListenerExecutorAdded" if v["Executor ID"] != "driver" => {
                alive.insert(
                    v["Executor ID"].as_str().unwrap().to_string(),
                    (
                        v["Timestamp"].as_i64().unwrap(),
                        v["Executor Info"]["Total Cores"].as_f64().unwrap(),
                    ),
                );
            }
            "SparkListenerExecutorRemoved" => {
                if let Some((t, c)) = alive.remove(v["Executor ID"].as_str().unwrap()) {
                    exec_core_ms += (v["Timestamp"].as_i64().unwrap() - t) as f64 * c;
                }
            }
            "SparkListenerApplicationEnd" => end = v["Timestamp"].as_i64().unwrap(),
            _ => {}
        }
    }
    for (t, c) in alive.values() {
        exec_core_ms += (end - t) as f64 * c;
    }
    assert!(task_ms > 0 && exec_core_ms > 0.0);

    let (runs, state, _) = dataset::read(&ds).unwrap();
    assert_eq!(state.event_logs.len(), 1);
    let b = &state.event_logs[0];
    assert_eq!(
        (b.application_id.as_str(), b.job_run_id.as_str()),
        (app.as_str(), run.as_str())
    );
    assert_eq!(b.billed.vcpu_hours, 0.25);
    assert_eq!(b.peak_executors, want.peak);
    assert!((b.executor_core_seconds - exec_core_ms / 1000.0).abs() < 1e-6);
    assert!((b.task_core_seconds.unwrap() - task_ms as f64 / 1000.0).abs() < 1e-6);
    let collected = runs.iter().find(|r| r.job_run_id == run).unwrap();
    assert_eq!(
        collected.peak_executors,
        Some(want.peak),
        "the run takes the log's peak"
    );
    assert_eq!(
        collected.billed.unwrap().vcpu_hours,
        0.25,
        "and keeps its billed usage"
    );

    // The report shows both, priced at us-east-1's x86_64 rates (FACTS.md
    // section 1): billed 0.25 vCPU-h x $0.052624 + 1.0 GB-h x $0.0057785.
    crate::util::emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(dir.path().join("rep"))
        .arg(&ds)
        .assert()
        .success();
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rep/report.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["total"]["runs"], 1,
        "one run, not the run and its log"
    );
    let line = &report["event_logs"][0];
    assert_eq!(line["job_run_id"], run.as_str());
    assert!(
        (line["billed_usd"].as_f64().unwrap() - 0.0189345).abs() < 1e-9,
        "{line}"
    );
    let busy = task_ms as f64 / exec_core_ms;
    assert!(
        (line["busy_share"].as_f64().unwrap() - busy).abs() < 1e-9,
        "{line}"
    );
    assert!(
        (line["idle_core_hours"].as_f64().unwrap() - (exec_core_ms - task_ms as f64) / 3.6e6).abs()
            < 1e-9,
        "{line}"
    );
}
