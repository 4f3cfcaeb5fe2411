//! Why EMR Serverless runs waited: applications and runs seeded in the
//! emulator (one run per cause), collected with the real SDK, and the
//! report's startup section checked against figures worked out by hand.

use serde_json::{json, Value};

use crate::emulator::Emulator;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// A finished run created at `t0 + created`, RUNNING `startup` seconds
/// later (after `queued` seconds QUEUED), ended at `t0 + ended`.
fn run(
    name: &str,
    t0: f64,
    created: f64,
    queued: f64,
    startup: f64,
    ended: f64,
    params: &str,
) -> Value {
    let mut r = json!({
        "name": name, "state": "SUCCESS",
        "createdAt": t0 + created,
        "startedAt": t0 + created + queued + startup,
        "endedAt": t0 + ended,
        "queuedDurationMilliseconds": (queued * 1000.0) as u64,
        "totalExecutionDurationSeconds": (ended - created - queued - startup) as u64,
        "billedResourceUtilization": {"vCPUHour": 0.5, "memoryGBHour": 2.0, "storageGBHour": 0.0},
        "totalResourceUtilization": {"vCPUHour": 0.4, "memoryGBHour": 1.6, "storageGBHour": 0.0},
    });
    if !params.is_empty() {
        r["sparkSubmitParameters"] = json!(params);
    }
    r
}

fn worker(n: u32) -> Value {
    json!({"workerCount": n, "workerConfiguration": {"cpu": "4 vCPU", "memory": "16 GB"}})
}

#[test]
fn each_wait_gets_its_cause_and_the_what_ifs_their_hand_computed_cost() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let t0 = (chrono::Utc::now().timestamp() - 86_400) as f64;
    emu.post(
        "/_emu/seed",
        &json!({"applications": [
            {"name": "cold", "runs": [run("nopool", t0, 0.0, 0.0, 150.0, 450.0, "")]},
            {"name": "pooled",
             "initialCapacity": {"Driver": worker(1), "Executor": worker(4)},
             "autoStopConfiguration": {"enabled": true, "idleTimeoutMinutes": 15},
             "schedulerConfiguration": {"maxConcurrentRuns": 2, "queueTimeoutMinutes": 60},
             "runs": [
                // Default sizes (4 cores, 14 GB + 1.4 GB) fit 16 GB workers.
                run("warm", t0, 0.0, 0.0, 10.0, 600.0, ""),
                // 10 minutes after the last end: the pool is still up, but a
                // 15 GB heap fits 16 GB workers, but not with its 1.5 GB overhead.
                run("big-executors", t0, 1200.0, 0.0, 90.0, 1800.0,
                    "--conf spark.executor.cores=4 --conf spark.executor.memory=15g"),
                // 10 initial executors against a pool of 4.
                run("wide", t0, 2000.0, 0.0, 100.0, 2400.0,
                    "--conf spark.dynamicAllocation.initialExecutors=10"),
                // 60 minutes idle, past the 15-minute auto-stop.
                run("after-lunch", t0, 6000.0, 0.0, 180.0, 6500.0, ""),
                // 120 s QUEUED, then a 10 s start.
                run("queued", t0, 6550.0, 120.0, 10.0, 7000.0, ""),
                // Fits, nothing queued, the application busy: 60 s anyway.
                run("mystery", t0, 7100.0, 0.0, 60.0, 7400.0, ""),
             ]},
        ]}),
    );
    emu.collect(&ds).arg("--since").arg("3d").assert().success();
    let rep = dir.path().join("rep");
    crate::util::emrcost()
        .args([
            "report",
            "--quiet",
            "--format",
            "json,md,html",
            "--wait-cost-per-hour",
            "60",
            "--out",
        ])
        .arg(&rep)
        .arg(&ds)
        .assert()
        .success();
    let report: Value =
        serde_json::from_slice(&std::fs::read(rep.join("report.json")).unwrap()).unwrap();
    let errors: Vec<String> = crate::json_schema::validator()
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let s = &report["startup"];
    let slowest = s["slowest"].as_array().unwrap();
    let cause_of = |name: &str| {
        slowest
            .iter()
            .find(|r| r["job_name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {s}"))["cause"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (name, cause) in [
        ("nopool", "no_pool"),
        ("warm", "warm"),
        ("big-executors", "size_mismatch"),
        ("wide", "demand_above_pool"),
        ("after-lunch", "pool_released"),
        ("queued", "queued"),
        ("mystery", "unexplained"),
    ] {
        assert_eq!(cause_of(name), cause, "{name}");
    }
    let detail = |name: &str| {
        slowest.iter().find(|r| r["job_name"] == name).unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // The figures each rule used.
    assert!(
        detail("big-executors").contains("4 vCPU and 15 GB + 1.50 GB overhead = 16.50 GB"),
        "{}",
        detail("big-executors")
    );
    assert!(detail("big-executors").contains("4 vCPU, 16 GB"));
    assert!(
        detail("wide").contains("asks 10 initial executors, the pool has 4"),
        "{}",
        detail("wide")
    );
    assert!(
        detail("after-lunch").contains("idle 1h 00m 00s (auto-stop after 15 min)"),
        "{}",
        detail("after-lunch")
    );
    assert!(
        detail("queued").contains("at most 2 at once"),
        "{}",
        detail("queued")
    );
    // Slowest first: the queued run waited 130 s in all.
    assert_eq!(slowest[0]["job_name"], "after-lunch");

    let apps = s["applications"].as_array().unwrap();
    let pooled = apps.iter().find(|a| a["name"] == "pooled").unwrap();
    // The pool: 5 workers of 4 vCPU and 16 GB at us-east-1's x86_64 rates
    // (FACTS.md section 1): 5 x (4 x 0.052624 + 16 x 0.0057785) = $1.51476/h.
    let hourly = 5.0 * (4.0 * 0.052624 + 16.0 * 0.0057785);
    // Idle while the size-mismatched run waited 90 s.
    assert!(close(
        pooled["idle_pool_while_waiting_usd"].as_f64().unwrap(),
        hourly * 90.0 / 3600.0
    ));
    // Waits at $60/h, warm starts not counted: 90 + 100 + 180 + 130 + 60 = 560 s.
    assert!(close(
        pooled["wait_cost_usd"].as_f64().unwrap(),
        60.0 * 560.0 / 3600.0
    ));
    let what = |name: &str| {
        pooled["what_ifs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("no what-if {name}: {pooled}"))
            .clone()
    };
    // Started now: each run's creation to its end + 15 min, merged:
    // [0, 3300] and [6000, 8300] = 5600 s.
    let now = 5600.0 / 3600.0 * hourly;
    let none = what("no pool");
    assert!(
        close(none["pool_cost_change_usd"].as_f64().unwrap(), -now),
        "{none}"
    );
    // The one warm run starts cold: the released run's 180 s, not 10 s.
    assert!(
        close(none["startup_seconds_saved"].as_f64().unwrap(), -170.0),
        "{none}"
    );
    // Auto-stop after 5 min: [0,900], [1200,2700], [6000,7700] = 4100 s;
    // no run's gap changes its fate.
    let five = what("auto-stop after 5 min");
    assert!(
        close(
            five["pool_cost_change_usd"].as_f64().unwrap(),
            (4100.0 - 5600.0) / 3600.0 * hourly
        ),
        "{five}"
    );
    assert!(
        close(five["startup_seconds_saved"].as_f64().unwrap(), 0.0),
        "{five}"
    );
    // After 60 min: one span [0, 11000]; the released run (60 min idle, not more than 60)
    // finds the pool warm: 180 - 10 s saved.
    let sixty = what("auto-stop after 60 min");
    assert!(
        close(
            sixty["pool_cost_change_usd"].as_f64().unwrap(),
            (11000.0 - 5600.0) / 3600.0 * hourly
        ),
        "{sixty}"
    );
    assert!(
        close(sixty["startup_seconds_saved"].as_f64().unwrap(), 170.0),
        "{sixty}"
    );
    // Sized to fit: 1 driver + 10 executors of 4 vCPU, 16 GB, for the same
    // 5600 s; the wide run starts warm (100 - 10 s), the 15 GB-heap one still
    // does not fit.
    let fit = what("pool sized to fit the jobs");
    assert!(
        close(
            fit["pool_cost_change_usd"].as_f64().unwrap(),
            11.0 / 5.0 * now - now
        ),
        "{fit}"
    );
    assert!(
        close(fit["startup_seconds_saved"].as_f64().unwrap(), 90.0),
        "{fit}"
    );

    // The application without a pool: no pool what-ifs but the fitted one
    // (1 driver + 3 executors, [0, 450 + 900] s), saving 150 - 10 s (no
    // warm run to measure: the assumed 10 s).
    let cold = apps.iter().find(|a| a["name"] == "cold").unwrap();
    let cold_ifs = cold["what_ifs"].as_array().unwrap();
    assert_eq!(cold_ifs.len(), 1, "{cold}");
    assert!(close(
        cold_ifs[0]["pool_cost_change_usd"].as_f64().unwrap(),
        4.0 / 5.0 * hourly * 1350.0 / 3600.0
    ));
    assert!(close(
        cold_ifs[0]["startup_seconds_saved"].as_f64().unwrap(),
        140.0
    ));

    // The rules and the waterfall are in the pages.
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("## Why runs waited to start"));
    assert!(md.contains("size_mismatch: size does not fit the warm pool"));
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("Slowest starts: queued, starting, running"));
}

/// One executor-minute's datapoints: allocated 4 vCPU / 16 GB, and what it used.
fn executor_minute(app: &str, job: &str, t: f64, cpu_used: f64, memory_used: f64) -> Vec<Value> {
    [
        ("WorkerCpuAllocated", 4.0),
        ("WorkerMemoryAllocated", 16.0),
        ("WorkerCpuUsed", cpu_used),
        ("WorkerMemoryUsed", memory_used),
    ]
    .into_iter()
    .map(|(name, value)| {
        json!({"MetricName": name, "Value": value, "Timestamp": t,
            "Dimensions": [{"Name": "ApplicationId", "Value": app}, {"Name": "JobId", "Value": job},
                           {"Name": "WorkerType", "Value": "Spark_Executor"},
                           {"Name": "CapacityAllocationType", "Value": "OnDemandCapacity"}]})
    })
    .collect()
}

#[test]
fn executors_are_right_sized_from_what_they_used() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    let t0 = (chrono::Utc::now().timestamp() - 5 * 86_400) as f64;
    let params = "--conf spark.executor.cores=4 --conf spark.executor.memory=14g";
    // "etl": 5 runs a day apart; "tiny": 2 runs. Each runs 5 minutes.
    let mut runs = Vec::new();
    for i in 0..5 {
        runs.push(run(
            "etl",
            t0,
            86_400.0 * i as f64,
            0.0,
            20.0,
            86_400.0 * i as f64 + 320.0,
            params,
        ));
    }
    for i in 0..2 {
        runs.push(run(
            "tiny",
            t0,
            3600.0 + 86_400.0 * i as f64,
            0.0,
            20.0,
            3600.0 + 86_400.0 * i as f64 + 320.0,
            params,
        ));
    }
    let seeded = emu.post(
        "/_emu/seed",
        &json!({"applications": [{"name": "sized", "runs": runs}]}),
    );
    let app = seeded["applications"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ids: Vec<String> = seeded["applications"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    // Two executors a minute for five minutes, each using 1 vCPU and 5 GB
    // of its 4 vCPU and 16 GB; in etl's third run one executor peaks at
    // 1.5 vCPU and 6 GB for a minute.
    let mut data = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let created = if k < 5 {
            86_400.0 * k as f64
        } else {
            3600.0 + 86_400.0 * (k - 5) as f64
        };
        let started = t0 + created + 20.0;
        for m in 0..5 {
            for w in 0..2 {
                let peak = k == 2 && m == 2 && w == 0;
                let (cpu, mem) = if peak { (1.5, 6.0) } else { (1.0, 5.0) };
                data.extend(executor_minute(
                    &app,
                    id,
                    started + 60.0 * m as f64 + w as f64,
                    cpu,
                    mem,
                ));
            }
        }
    }
    emu.post("/_emu/metrics", &json!({"metricData": data}));
    emu.collect(&ds)
        .args(["--since", "7d", "--metrics", "--get-rate", "100/50"])
        .assert()
        .success();
    let rep = dir.path().join("rep");
    crate::util::emrcost()
        .args(["report", "--quiet", "--format", "json,md,html", "--out"])
        .arg(&rep)
        .arg(&ds)
        .assert()
        .success();
    let report: Value =
        serde_json::from_slice(&std::fs::read(rep.join("report.json")).unwrap()).unwrap();
    let errors: Vec<String> = crate::json_schema::validator()
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let classes = report["rightsizing"]["classes"].as_array().unwrap();
    let class = |name: &str| {
        classes
            .iter()
            .find(|c| c["job_name"] == name)
            .unwrap()
            .clone()
    };

    let etl = class("etl");
    assert_eq!(etl["runs_with_metrics"], 5);
    // Allocated: 5 runs x 5 min x 2 executors x 4 vCPU / 60 = 10/3 vCPU-h,
    // and 16 GB each: 40/3 GB-h. Used: 1 vCPU and 5 GB each, plus the peak
    // minute's extra 0.5 vCPU and 1 GB.
    assert!(
        close(etl["executor_vcpu_hours"].as_f64().unwrap(), 10.0 / 3.0),
        "{etl}"
    );
    assert!(
        close(
            etl["executor_memory_gb_hours"].as_f64().unwrap(),
            40.0 / 3.0
        ),
        "{etl}"
    );
    assert!(
        close(etl["used_vcpu_hours"].as_f64().unwrap(), 50.5 / 60.0),
        "{etl}"
    );
    assert!(
        close(etl["used_memory_gb_hours"].as_f64().unwrap(), 251.0 / 60.0),
        "{etl}"
    );
    assert_eq!(
        (
            etl["worker_vcpu"].as_f64(),
            etl["worker_memory_gb"].as_f64()
        ),
        (Some(4.0), Some(16.0))
    );
    // The peak plus 20%: 1.8 vCPU and 7.2 GB: a 2 vCPU, 8 GB worker (7 GB
    // heap + 0.7 GB overhead), never the 1 vCPU one the average would give.
    let rec = &etl["recommendation"];
    assert_eq!(
        (
            rec["worker_vcpu"].as_f64(),
            rec["worker_memory_gb"].as_f64()
        ),
        (Some(2.0), Some(8.0)),
        "{etl}"
    );
    assert_eq!(rec["spark_executor_cores"], 2);
    assert_eq!(rec["spark_executor_memory_gb"], 7);
    assert_eq!(
        rec["max_executors"], 3,
        "2 executors at most, + 20%, rounded up"
    );
    // Half the vCPU and half the memory of the executors' allocation, at
    // us-east-1's x86_64 rates, over the 4 days + 320 s the runs span.
    let saving = 10.0 / 3.0 * 0.5 * 0.052624 + 40.0 / 3.0 * 0.5 * 0.0057785;
    assert!(close(rec["saving_usd"].as_f64().unwrap(), saving), "{rec}");
    let days = 4.0 + 320.0 / 86_400.0;
    assert!(
        close(
            rec["monthly_saving_usd"].as_f64().unwrap(),
            saving * 30.0 / days
        ),
        "{rec}"
    );

    // Two runs are too few to recommend anything.
    let tiny = class("tiny");
    assert!(tiny["recommendation"].is_null());
    assert!(
        tiny["no_recommendation"]
            .as_str()
            .unwrap()
            .contains("2 run(s)"),
        "{tiny}"
    );

    // With metrics, the startup section has each run's first executor.
    let slowest = report["startup"]["slowest"].as_array().unwrap();
    assert!(
        slowest
            .iter()
            .all(|r| r["to_first_executor_s"].as_f64().is_some_and(|s| s < 120.0)),
        "{slowest:?}"
    );
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    assert!(md.contains("## Right-sizing"));
    assert!(md.contains("spark.executor.cores=2 spark.executor.memory=7g"));
}
