//! `emrcost collect` with the real SDK clients against the emulator
//! (moto behind tests/emulator/front.py) on loopback.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::emulator::{job_run_of, operations, Emulator};
use emrcost::collect::dataset;
use emrcost::model::{JobRun, JobState};

/// The read calls the README's IAM policy allows.
const READ_CALLS: [&str; 7] = [
    // Which account the credentials are (no permission needed).
    "GetCallerIdentity",
    "ListApplications",
    "GetApplication",
    "ListJobRuns",
    "GetJobRun",
    "ListMetrics",
    "GetMetricData",
];

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A finished run whose figures derive from `i`, so each is distinct.
fn run_spec(i: usize, created: f64) -> Value {
    json!({
        "name": format!("etl-{}", i % 5),
        "state": "SUCCESS",
        "createdAt": created,
        "startedAt": created + 30.0,
        "endedAt": created + 30.0 + 60.0 * (1 + i % 7) as f64,
        "queuedDurationMilliseconds": 1000 * (i % 9),
        "totalExecutionDurationSeconds": 60 * (1 + i % 7),
        "billedResourceUtilization": {"vCPUHour": 0.25 * (i + 1) as f64, "memoryGBHour": 1.0 * (i + 1) as f64, "storageGBHour": 0.0},
        "totalResourceUtilization": {"vCPUHour": 0.2 * (i + 1) as f64, "memoryGBHour": 0.8 * (i + 1) as f64, "storageGBHour": 20.0},
        "sparkSubmitParameters": "--conf spark.executor.cores=4 --conf spark.executor.memory=16g --conf spark.dynamicAllocation.maxExecutors=20",
    })
}

/// Seeds `apps` applications with `runs` runs each; returns
/// job-run id -> the seed index, and the application ids.
fn seed(emu: &Emulator, apps: usize, runs: usize) -> (HashMap<String, usize>, Vec<String>) {
    let t0 = now() - 86_400.0;
    let mut n = 0;
    let applications: Vec<Value> = (0..apps)
        .map(|a| {
            let specs: Vec<Value> = (0..runs)
                .map(|_| {
                    n += 1;
                    run_spec(n - 1, t0 + 5.0 * n as f64)
                })
                .collect();
            json!({"name": format!("app-{a}"), "architecture": if a % 2 == 1 { "ARM64" } else { "X86_64" }, "runs": specs})
        })
        .collect();
    let out = emu.post("/_emu/seed", &json!({ "applications": applications }));
    let mut index = HashMap::new();
    let mut ids = Vec::new();
    let mut k = 0;
    for app in out["applications"].as_array().unwrap() {
        ids.push(app["id"].as_str().unwrap().to_string());
        for r in app["runs"].as_array().unwrap() {
            index.insert(r.as_str().unwrap().to_string(), k);
            k += 1;
        }
    }
    (index, ids)
}

fn collected(dir: &Path) -> Vec<JobRun> {
    let (runs, _, skipped) = dataset::read(dir).expect("dataset reads");
    assert!(skipped.is_empty(), "{skipped:?}");
    runs
}

fn assert_unique(runs: &[JobRun]) {
    let keys: HashSet<_> = runs.iter().map(dataset::key_of).collect();
    assert_eq!(keys.len(), runs.len(), "duplicate records in the dataset");
}

fn only_read_calls(log: &[Value]) {
    for e in log {
        let op = e["operation"].as_str().unwrap_or("");
        assert!(READ_CALLS.contains(&op), "the collector called {op}: {e}");
    }
}

#[test]
fn every_seeded_run_is_collected_once_with_its_figures() {
    let emu = Emulator::start();
    // 3 applications of 70 runs: two ListJobRuns pages each. One more
    // application has no runs at all.
    let (index, _) = seed(&emu, 3, 70);
    emu.post(
        "/_emu/seed",
        &json!({"applications": [{"name": "idle-app"}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    emu.collect(dir.path())
        .args(["--get-rate", "200/50", "--list-rate", "50/25", "--csv"])
        .assert()
        .success();
    let runs = collected(dir.path());
    assert_eq!(runs.len(), 210);
    assert_unique(&runs);
    for r in &runs {
        let i = index[&r.job_run_id];
        let billed = r.billed.expect("billed usage");
        assert_eq!(billed.vcpu_hours, 0.25 * (i + 1) as f64, "{}", r.job_run_id);
        assert_eq!(billed.memory_gb_hours, (i + 1) as f64);
        assert_eq!(r.total.unwrap().storage_gb_hours, 20.0);
        assert_eq!(r.duration_s, Some(60.0 * (1 + i % 7) as f64));
        assert_eq!(r.queued_ms, Some(1000 * (i % 9) as u64));
        assert_eq!(r.state, JobState::Success);
        assert_eq!(r.executor_vcpu, Some(4.0));
        assert_eq!(r.max_executors, Some(20));
        let started =
            r.started_at.unwrap().timestamp_millis() - r.created_at.unwrap().timestamp_millis();
        assert_eq!(started, 30_000);
    }
    // Architecture comes from the application.
    assert!(runs.iter().any(|r| r.architecture.as_str() == "arm64"));
    let log = emu.log();
    only_read_calls(&log);
    assert_eq!(
        operations(&log, "GetJobRun").len(),
        210,
        "one GetJobRun per run"
    );
    assert!(
        operations(&log, "ListJobRuns").len() >= 7,
        "3 x 2 pages + the empty application"
    );
    // price reads the dataset folder directly; --csv wrote a copy.
    let out = crate::util::emrcost()
        .args(["price", "--format", "csv"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 211);
    assert!(dir.path().join("jobruns.csv").is_file());
}

#[test]
fn a_rerun_fetches_only_new_and_unfinished_runs() {
    let emu = Emulator::start();
    let t0 = now() - 3600.0;
    let mut specs: Vec<Value> = (0..20).map(|i| run_spec(i, t0 + i as f64)).collect();
    for s in specs.iter_mut().take(5) {
        s["state"] = json!("RUNNING");
        s.as_object_mut().unwrap().remove("endedAt");
        s.as_object_mut()
            .unwrap()
            .remove("totalExecutionDurationSeconds");
        s["billedResourceUtilization"] =
            json!({"vCPUHour": 0.0, "memoryGBHour": 0.0, "storageGBHour": 0.0});
    }
    // One finished run whose billed usage has not arrived yet.
    specs[5]["billedResourceUtilization"] =
        json!({"vCPUHour": 0.0, "memoryGBHour": 0.0, "storageGBHour": 0.0});
    let out = emu.post(
        "/_emu/seed",
        &json!({"applications": [{"name": "a", "runs": specs}]}),
    );
    let app = out["applications"][0]["id"].as_str().unwrap().to_string();
    let ids: Vec<String> = out["applications"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let collect = |emu: &Emulator| {
        emu.clear_log();
        emu.collect(dir.path())
            .args(["--get-rate", "200/50", "--late-billed-retries", "2"])
            .assert()
            .success();
        let log = emu.log();
        only_read_calls(&log);
        let mut fetched: Vec<String> = operations(&log, "GetJobRun")
            .iter()
            .map(|e| job_run_of(e))
            .collect();
        fetched.sort();
        fetched
    };
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    assert_eq!(collect(&emu).len(), 20);

    // The running runs finish; two new runs arrive.
    for id in &ids[..5] {
        emu.post(
            "/_emu/update",
            &json!({"applicationId": app, "jobRunId": id, "state": "SUCCESS", "endedAt": t0 + 600.0,
                    "totalExecutionDurationSeconds": 570,
                    "billedResourceUtilization": {"vCPUHour": 9.5, "memoryGBHour": 38.0, "storageGBHour": 0.0}}),
        );
    }
    let added = emu.post(
        "/_emu/seed",
        &json!({"applications": [{"name": "b", "runs": [run_spec(100, t0 + 100.0), run_spec(101, t0 + 101.0)]}]}),
    );
    let mut expected: Vec<String> = ids[..6].to_vec();
    for v in added["applications"][0]["runs"].as_array().unwrap() {
        expected.push(v.as_str().unwrap().to_string());
    }
    // Second run: the 5 that were running, the late-billed one (1st retry) and the 2 new.
    assert_eq!(collect(&emu), sorted(&expected));
    // Third: only the late-billed one (2nd retry); fourth: nothing.
    assert_eq!(collect(&emu), vec![ids[5].clone()]);
    assert_eq!(collect(&emu), Vec::<String>::new());

    let runs = collected(dir.path());
    assert_eq!(runs.len(), 22);
    assert_unique(&runs);
    for r in runs.iter().filter(|r| ids[..5].contains(&r.job_run_id)) {
        assert_eq!(r.state, JobState::Success);
        assert_eq!(r.billed.unwrap().vcpu_hours, 9.5);
    }
}

#[test]
fn a_killed_collection_resumes_without_loss_duplicates_or_refetching() {
    let emu = Emulator::start();
    let (index, _) = seed(&emu, 2, 150);
    let dir = tempfile::tempdir().unwrap();
    // 30 runs a second after a burst of 5: about 10 s for 300 runs.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("emrcost"))
        .env("AWS_ENDPOINT_URL", emu.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .args([
            "-q",
            "collect",
            "--region",
            "us-east-1",
            "--since",
            "7d",
            "--get-rate",
            "30/5",
            "--out",
        ])
        .arg(dir.path())
        .spawn()
        .unwrap();
    let journal = dir.path().join(dataset::JOURNAL_FILE);
    let started = Instant::now();
    loop {
        let lines = std::fs::read(&journal)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0);
        if lines >= 60 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the collector recorded nothing in 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let (kept, _, _) = dataset::read(dir.path()).unwrap();
    assert!(
        kept.len() >= 60 && kept.len() < 300,
        "{} runs kept",
        kept.len()
    );
    let kept: HashSet<String> = kept.into_iter().map(|r| r.job_run_id).collect();

    emu.clear_log();
    emu.collect(dir.path())
        .arg("--get-rate")
        .arg("200/50")
        .assert()
        .success();
    let log = emu.log();
    let refetched: Vec<String> = operations(&log, "GetJobRun")
        .iter()
        .map(|e| job_run_of(e))
        .collect();
    assert!(
        refetched.iter().all(|id| !kept.contains(id)),
        "runs recorded before the kill were fetched again"
    );
    assert_eq!(refetched.len(), 300 - kept.len());
    let runs = collected(dir.path());
    assert_eq!(runs.len(), 300);
    assert_unique(&runs);
    assert!(runs.iter().all(|r| index.contains_key(&r.job_run_id)));
    assert!(!journal.exists(), "the journal is compacted away");
}

#[test]
fn with_a_fifth_of_calls_failing_every_run_is_still_collected() {
    let emu = Emulator::start();
    let (index, _) = seed(&emu, 2, 60);
    emu.configure(json!({"fault_rate": 0.2, "seed": 11}));
    let dir = tempfile::tempdir().unwrap();
    emu.collect(dir.path())
        .args(["--get-rate", "200/50", "--list-rate", "50/25"])
        .assert()
        .success();
    let runs = collected(dir.path());
    assert_eq!(runs.len(), 120);
    assert_unique(&runs);
    for r in &runs {
        assert_eq!(
            r.billed.unwrap().vcpu_hours,
            0.25 * (index[&r.job_run_id] + 1) as f64
        );
    }
    let log = emu.log();
    let throttled = log.iter().filter(|e| e["status"] == 429).count();
    let failed = log.iter().filter(|e| e["status"] == 500).count();
    assert!(
        throttled > 5 && failed > 5,
        "{throttled} throttled, {failed} failed"
    );
}

#[test]
fn paced_to_the_quota_the_collector_is_rarely_throttled() {
    let emu = Emulator::start();
    seed(&emu, 2, 200);
    // The emulator enforces the AWS quotas scaled 10x: GetJobRun 100/s
    // burst 50, ListJobRuns 10/s burst 25. The collector is told the same.
    emu.configure(json!({"enforce_quotas": true, "quota_scale": 10.0}));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    emu.collect(dir.path())
        .args([
            "--get-rate",
            "100/50",
            "--list-rate",
            "10/25",
            "--concurrency",
            "32",
        ])
        .assert()
        .success();
    let elapsed = started.elapsed();
    assert_eq!(collected(dir.path()).len(), 400);
    let log = emu.log();
    let throttled = log.iter().filter(|e| e["status"] == 429).count();
    assert!(throttled <= 5, "{throttled} calls throttled");
    // 400 GetJobRun (+ 2 GetApplication + ListApplications) at 100/s after a
    // burst of 50: no less than 3.5 s.
    assert!(
        elapsed >= Duration::from_millis(3500),
        "{elapsed:?}: faster than the quota allows"
    );
}

/// Seeds one application with pre-initialized capacity and one run, plus
/// metrics whose derived figures are worked out by hand below.
#[test]
fn cloudwatch_gives_the_peak_shape_and_the_idle_pre_initialized_cost() {
    let emu = Emulator::start();
    let t0 = ((now() as i64) / 60 * 60 - 7200) as f64;
    let out = emu.post(
        "/_emu/seed",
        &json!({"applications": [{
            "name": "warm",
            "initialCapacity": {"Driver": {"workerCount": 2, "workerConfiguration": {"cpu": "4 vCPU", "memory": "16 GB", "disk": "30 GB"}}},
            "runs": [{
                "name": "peaky", "state": "SUCCESS",
                "createdAt": t0 + 170.0, "startedAt": t0 + 180.0, "endedAt": t0 + 480.0,
                "totalExecutionDurationSeconds": 300,
                "billedResourceUtilization": {"vCPUHour": 2.0, "memoryGBHour": 8.0, "storageGBHour": 0.0},
                "sparkSubmitParameters": "--conf spark.executor.cores=4 --conf spark.executor.memory=16g"
            }]
        }]}),
    );
    let app = out["applications"][0]["id"].as_str().unwrap().to_string();
    let job = out["applications"][0]["runs"][0]
        .as_str()
        .unwrap()
        .to_string();
    let mut data = Vec::new();
    // Executors alive in the job's five minutes: 2, 5, 8, 3, 1 (one datapoint
    // per executor and minute, 4 vCPU and 16 GB each).
    for (m, k) in [2, 5, 8, 3, 1].into_iter().enumerate() {
        for w in 0..k {
            for (name, value) in [("WorkerCpuAllocated", 4.0), ("WorkerMemoryAllocated", 16.0)] {
                data.push(json!({"MetricName": name, "Value": value, "Timestamp": t0 + 180.0 + 60.0 * m as f64 + w as f64,
                    "Dimensions": [{"Name": "ApplicationId", "Value": app}, {"Name": "JobId", "Value": job},
                                   {"Name": "WorkerType", "Value": "Spark_Executor"}, {"Name": "CapacityAllocationType", "Value": "OnDemandCapacity"}]}));
            }
        }
    }
    // Pre-initialized: 2 workers, 8 vCPU, 32 GB, 60 GB of disk, for ten
    // minutes; the job runs in minutes 3-7, so 5 minutes are idle.
    for m in 0..10 {
        for (name, value) in [
            ("CPUAllocated", 8.0),
            ("MemoryAllocated", 32.0),
            ("StorageAllocated", 60.0),
            ("IdleWorkerCount", 2.0),
            ("RunningWorkerCount", 0.0),
        ] {
            data.push(json!({"MetricName": name, "Value": value, "Timestamp": t0 + 60.0 * m as f64,
                "Dimensions": [{"Name": "ApplicationId", "Value": app}, {"Name": "WorkerType", "Value": "Spark_Driver"},
                               {"Name": "CapacityAllocationType", "Value": "PreInitCapacity"}]}));
        }
    }
    emu.post("/_emu/metrics", &json!({"metricData": data}));
    let dir = tempfile::tempdir().unwrap();
    emu.collect(dir.path())
        .args(["--since", "1d", "--metrics", "--get-rate", "100/50"])
        .assert()
        .success();
    let log = emu.log();
    only_read_calls(&log);
    assert!(!operations(&log, "GetMetricData").is_empty());

    let (runs, state, _) = dataset::read(dir.path()).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].peak_executors, Some(8));
    let m = &state.job_metrics[0];
    assert_eq!((m.minutes, m.peak_executors), (5, 8));
    assert_eq!(m.avg_executors, 19.0 / 5.0);
    assert_eq!((m.peak_vcpu, m.peak_memory_gb), (32.0, 128.0));
    assert_eq!(m.avg_vcpu, 4.0 * 19.0 / 5.0);

    // Idle: 5 minutes x 8 vCPU = 40/60 vCPU-h; 5 x 32 GB = 160/60 GB-h;
    // storage 60 GB - 2 workers x 20 GB free = 20 GB, x 5 min = 100/60 GB-h.
    let idle = &state.idle_capacity[0];
    assert_eq!(idle.idle_minutes, 5);
    assert!((idle.vcpu_hours - 40.0 / 60.0).abs() < 1e-12);
    assert!((idle.memory_gb_hours - 160.0 / 60.0).abs() < 1e-12);
    assert!((idle.billable_storage_gb_hours - 100.0 / 60.0).abs() < 1e-12);

    // The EC2 and Glue estimates use the peak, and say so.
    let out = crate::util::emrcost()
        .args(["price", "--format", "json"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let priced: Value = serde_json::from_slice(&out).unwrap();
    let text = priced.to_string();
    assert!(text.contains("\"peak\""), "shape basis: {text}");

    // The report prices the idle capacity at us-east-1 x86_64 rates
    // (FACTS.md section 1): $0.052624/vCPU-h, $0.0057785/GB-h, $0.000111/GB-h.
    let reports = tempfile::tempdir().unwrap();
    crate::util::emrcost()
        .args(["report", "--format", "json,md"])
        .arg(dir.path())
        .arg("--out")
        .arg(reports.path())
        .assert()
        .success();
    let report: Value =
        serde_json::from_slice(&std::fs::read(reports.path().join("report.json")).unwrap())
            .unwrap();
    let expected = 40.0 / 60.0 * 0.052624 + 160.0 / 60.0 * 0.0057785 + 100.0 / 60.0 * 0.000111;
    let cost = report["idle_preinit"][0]["cost_usd"].as_f64().unwrap();
    assert!((cost - expected).abs() < 1e-12, "{cost} vs {expected}");
    assert_eq!(format!("{expected:.4}"), "0.0507");
    assert_eq!(report["groups"][0]["idle_preinit_usd"].as_f64(), Some(cost));
    assert_eq!(report["total"]["idle_preinit_usd"].as_f64(), Some(cost));
    let md = std::fs::read_to_string(reports.path().join("report.md")).unwrap();
    assert!(md.contains("## Idle pre-initialized capacity"), "{md}");
}

/// Tags: a run keeps its application's tags beneath its own; `report
/// --group-by tag:team` sums by the tag, runs without it as (untagged);
/// `account,tag:team` nests the two.
#[test]
fn runs_carry_their_tags_and_the_report_groups_by_them() {
    let emu = Emulator::start();
    let t0 = now() - 3600.0;
    let tagged = |i: usize, tags: Value| {
        let mut r = run_spec(i, t0 + 60.0 * i as f64);
        r["tags"] = tags;
        r
    };
    emu.post(
        "/_emu/seed",
        &json!({"applications": [
            {"name": "etl", "tags": {"team": "data", "env": "prod"}, "runs": [
                tagged(0, json!({"team": "ml"})),
                tagged(1, json!({"cost-center": "42"})),
                tagged(2, json!({})),
            ]},
            {"name": "adhoc", "runs": [tagged(3, json!({}))]},
        ]}),
    );
    let dir = tempfile::tempdir().unwrap();
    emu.collect(dir.path())
        .args(["--since", "1d"])
        .assert()
        .success();
    let runs = collected(dir.path());
    let tags_of = |i: usize| {
        let name = format!("etl-{}", i % 5);
        let r = runs
            .iter()
            .find(|r| r.job_name.as_deref() == Some(name.as_str()))
            .unwrap();
        emrcost::model::parse_tags(r.tags.as_deref().unwrap_or("{}")).unwrap()
    };
    assert_eq!(tags_of(0)["team"], "ml", "the run's own tag wins");
    assert_eq!(
        (
            tags_of(1)["team"].as_str(),
            tags_of(1)["cost-center"].as_str()
        ),
        ("data", "42")
    );
    assert_eq!(tags_of(2)["env"], "prod");

    let report = |group: &str| -> Value {
        let out = dir
            .path()
            .join(format!("rep-{}", group.replace([':', ','], "-")));
        crate::util::emrcost()
            .args([
                "report",
                "--quiet",
                "--format",
                "json",
                "--group-by",
                group,
                "--out",
            ])
            .arg(&out)
            .arg(dir.path())
            .assert()
            .success();
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
    };
    let r = report("tag:team");
    assert_eq!(r["group_by"], "tag:team");
    let mut keys: Vec<(String, u64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["runs"].as_u64().unwrap(),
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("(untagged)".to_string(), 1),
            ("data".into(), 2),
            ("ml".into(), 1)
        ]
    );
    let r = report("account,tag:team");
    let keys: Vec<&str> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"123456789012 / data"), "{keys:?}");
    assert!(keys.contains(&"123456789012 / (untagged)"), "{keys:?}");
}
