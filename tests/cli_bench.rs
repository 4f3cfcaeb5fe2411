//! `emrcost bench` with the real SDK client against the emulator, whose
//! scripted runs move through their states over the scripted seconds.

use std::path::Path;

use serde_json::{json, Value};

use crate::emulator::{operations, Emulator};

const ROLE: &str = "arn:aws:iam::123456789012:role/emrcost-test";

fn plan(dir: &Path, repeat: u32, extra: &str) -> std::path::PathBuf {
    let text = format!(
        r#"name = "t"
region = "us-east-1"
repeat = {repeat}
order = "interleaved"
timeout_minutes = 5
poll_seconds = 0.1
billed_wait_seconds = 5
{extra}
[job]
entry_point = "s3://bucket/job.py"
release_label = "emr-7.5.0"
execution_role = "{ROLE}"

[[arm]]
label = "x86"
service = "emr-serverless"
architecture = "x86_64"
executor = {{ cores = 4, memory_gb = 14 }}
driver = {{ cores = 4, memory_gb = 14 }}
executors = 4

[[arm]]
label = "arm-warm"
service = "emr-serverless"
architecture = "arm64"
executor = {{ cores = 4, memory_gb = 14 }}
driver = {{ cores = 4, memory_gb = 14 }}
executors = 4
initial_capacity = {{ drivers = 1, executors = 4 }}

[[arm]]
label = "glue-flex"
service = "glue"
worker_type = "G.1X"
workers = 6
glue_version = "4.0"
execution_class = "flex"
"#
    );
    let path = dir.join("plan.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The scripted runs: x86 waits 0.6 s queued and 0.4 s to start and runs
/// 1.5 s; the warm arm starts in 0.2 s and runs 1.2 s. Billed usage is
/// (driver + 4 executors) x 4 vCPU / 16 GB x a 60 s minimum, arriving
/// 0.5 s after the end for x86 (late: re-polled).
fn script(emu: &Emulator) {
    let billed = json!({"vCPUHour": 20.0 * 60.0 / 3600.0, "memoryGBHour": 80.0 * 60.0 / 3600.0, "storageGBHour": 0.0});
    emu.post(
        "/_emu/script",
        &json!({"arm": "x86", "runs": [{"queue_s": 0.6, "pending_s": 0.4, "run_s": 1.5, "billed": billed, "billed_delay_s": 0.5}]}),
    );
    emu.post(
        "/_emu/script",
        &json!({"arm": "arm-warm", "runs": [{"queue_s": 0.0, "pending_s": 0.2, "run_s": 1.2, "billed": billed}]}),
    );
    // Glue Flex waits 0.5 s for spare capacity, starts in 0.3 s, runs 2 s
    // and reports 12 DPU-seconds.
    emu.post(
        "/_emu/script",
        &json!({"glue_job": "emrcost-bench-t-glue-flex", "runs": [{"wait_s": 0.5, "start_s": 0.3, "run_s": 2, "dpu_seconds": 12.0}]}),
    );
}

fn bench(emu: &Emulator, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = emu.emrcost();
    cmd.arg("bench").args(args);
    cmd
}

/// Runs `bench PLAN --yes --out OUT` in the background and sends it
/// SIGINT once `submitted` runs are in its journal (and a moment more).
fn interrupt_after(
    emu: &Emulator,
    plan: &Path,
    out: &Path,
    submitted: usize,
) -> std::process::ExitStatus {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("emrcost"));
    for (k, v) in emu.env() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    let mut child = command
        .env_remove("EMRCOST_PRICING")
        .arg("bench")
        .arg(plan)
        .arg("--yes")
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = out.join("journal.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&journal).map_or(0, |t| t.matches("\"submitted\"").count())
        < submitted
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "{submitted} run(s) were not submitted"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: sends SIGINT to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    child.wait().unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Three arms (EMR Serverless x86, arm64 with pre-initialized capacity,
/// Glue Flex) x 3 repeats: every run's measured startup parts, runtime and
/// billed cost equal the scripted ones; late billed usage is re-polled; the
/// created applications are deleted; the ranking and speed factor follow.
#[test]
fn three_arms_measure_what_the_service_did() {
    let emu = Emulator::start();
    script(&emu);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    bench(
        &emu,
        &[
            plan(dir.path(), 3, "").to_str().unwrap(),
            "--yes",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .assert()
    .success();
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let arm = |label: &str| {
        s["arms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["label"] == label)
            .unwrap()
            .clone()
    };
    let x86 = arm("x86");
    let warm = arm("arm-warm");
    let flex = arm("glue-flex");
    // Glue: waited StartedOn -> CompletedOn less ExecutionTime, 0.5 s of it
    // in WAITING; cost: the 12 DPU-seconds reported are under Glue 4.0's
    // one-minute minimum for the 6 DPU, so 360 DPU-seconds at the Flex rate.
    assert_eq!(
        (flex["runs"].as_u64(), flex["succeeded"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(
        close(flex["startup_s"]["median"].as_f64().unwrap(), 0.8, 0.02),
        "{flex}"
    );
    assert!(
        close(flex["runtime_s"]["median"].as_f64().unwrap(), 2.0, 1e-9),
        "{flex}"
    );
    assert!(
        close(flex["queued_s"]["median"].as_f64().unwrap(), 0.5, 0.3),
        "{flex}"
    );
    assert!(
        close(
            flex["cost_usd"]["median"].as_f64().unwrap(),
            6.0 * 60.0 * 0.29 / 3600.0,
            1e-12
        ),
        "{flex}"
    );
    assert_eq!(
        (x86["runs"].as_u64(), x86["succeeded"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(
        (warm["runs"].as_u64(), warm["succeeded"].as_u64()),
        (Some(3), Some(3))
    );
    // Startup = queue + pending, from the service's own timestamps.
    let tol = 0.02;
    for (a, startup, queued, runtime) in [(&x86, 1.0, 0.6, 1.5), (&warm, 0.2, 0.0, 1.2)] {
        for k in ["min", "max"] {
            assert!(
                close(a["startup_s"][k].as_f64().unwrap(), startup, tol),
                "{a}"
            );
            assert!(
                close(a["runtime_s"][k].as_f64().unwrap(), runtime, tol),
                "{a}"
            );
        }
        if queued > 0.0 {
            assert!(
                close(a["queued_s"]["median"].as_f64().unwrap(), queued, tol),
                "{a}"
            );
        }
    }
    // Billed cost: 20 vCPU-min and 80 GB-min, at each architecture's rates.
    let x86_usd = (20.0 * 0.052624 + 80.0 * 0.0057785) / 60.0;
    let arm_usd = (20.0 * 0.042094 + 80.0 * 0.004628) / 60.0;
    assert!(
        close(x86["cost_usd"]["median"].as_f64().unwrap(), x86_usd, 1e-9),
        "{x86}"
    );
    assert!(
        close(warm["cost_usd"]["median"].as_f64().unwrap(), arm_usd, 1e-9),
        "{warm}"
    );
    assert_eq!(x86["not_billed"], 0, "late billed usage was waited for");
    // Per successful run the warm arm ($0.0202 billed, its idle capacity
    // short) is cheapest, then x86 ($0.0253); Glue Flex pays its minute
    // for a 2 s job ($0.029). The speed factors are 1.2 / 1.5 and 2 / 1.5.
    assert_eq!(s["ranking"], json!(["arm-warm", "x86", "glue-flex"]));
    let f = s["speed_factors"].as_array().unwrap();
    assert!(close(f[1][1].as_f64().unwrap(), 0.8, 0.02), "{f:?}");
    assert!(close(f[2][1].as_f64().unwrap(), 2.0 / 1.5, 0.02), "{f:?}");
    // The crossover with Glue Flex, solved with the measured factor.
    let x = s["measured_crossovers"].as_array().unwrap();
    assert!(
        x.iter().any(|l| l.as_str().unwrap().starts_with("x86 against glue-flex (Glue 1.333x the runtime, measured): EMR Serverless vs Glue Flex")),
        "{x:?}"
    );

    let log = emu.log();
    let glue: Vec<&Value> = log.iter().filter(|e| e["service"] == "glue").collect();
    assert_eq!(
        glue.iter()
            .filter(|e| e["operation"] == "StartJobRun")
            .count(),
        3
    );
    assert_eq!(
        glue.iter()
            .filter(|e| e["operation"] == "CreateJob")
            .count(),
        1
    );
    assert_eq!(
        glue.iter()
            .filter(|e| e["operation"] == "DeleteJob")
            .count(),
        1
    );
    let log: Vec<Value> = log
        .into_iter()
        .filter(|e| e["service"] == "emr-serverless")
        .collect();
    assert_eq!(operations(&log, "StartJobRun").len(), 6);
    assert_eq!(operations(&log, "CreateApplication").len(), 2);
    assert_eq!(operations(&log, "DeleteApplication").len(), 2);
    assert_eq!(
        operations(&log, "StartApplication").len(),
        1,
        "only the warm arm is started"
    );
    // Interleaved: x86, arm-warm, x86, ...
    let submitted: Vec<String> = operations(&log, "StartJobRun")
        .iter()
        .map(|e| {
            e["path"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(2)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_ne!(submitted[0], submitted[1]);
    assert_eq!(submitted[0], submitted[2]);
    // Every run is in the one run table, the Glue ones too: `report`
    // prices them, the Glue runs at what Glue billed.
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 10, "{runs}");
    crate::util::emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(dir.path().join("rep"))
        .arg(out.join("runs.csv"))
        .assert()
        .success();
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rep").join("report.json")).unwrap())
            .unwrap();
    let glue = report["total"]["glue_billed_usd"].as_f64().unwrap();
    assert!(
        close(glue, 3.0 * 6.0 * 60.0 * 0.29 / 3600.0, 1e-9),
        "{glue}"
    );
}

/// Without --yes nothing is submitted: the request log is empty.
#[test]
fn dry_run_submits_nothing() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path(), 2, "");
    let out = bench(&emu, &[p.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Worst case: $"), "{text}");
    assert!(
        text.contains("2 x StartJobRun s3://bucket/job.py"),
        "{text}"
    );
    assert!(emu.log().is_empty(), "{:?}", emu.log());
    bench(&emu, &[p.to_str().unwrap(), "--dry-run", "--yes"])
        .assert()
        .success();
    assert!(emu.log().is_empty());
}

/// --max-cost stops submitting once the spend reaches it; the same
/// command resumes and submits only the runs not finished.
#[test]
fn budget_stops_and_a_rerun_resumes() {
    let emu = Emulator::start();
    script(&emu);
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path(), 2, "");
    let out = dir.path().join("out");
    // One x86 run costs about $0.025: a $0.01 budget stops after it.
    bench(
        &emu,
        &[
            p.to_str().unwrap(),
            "--yes",
            "--max-cost",
            "0.01",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .assert()
    .success()
    .stderr(predicates::str::contains("budget reached"));
    assert_eq!(operations(&emu.log(), "StartJobRun").len(), 1);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    assert_eq!(s["stopped_by_budget"], true);
    emu.clear_log();
    bench(
        &emu,
        &[p.to_str().unwrap(), "--yes", "--out", out.to_str().unwrap()],
    )
    .assert()
    .success();
    assert_eq!(
        operations(&emu.log(), "StartJobRun").len(),
        5,
        "the finished run is not submitted again"
    );
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let total: u64 = s["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["runs"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 6);
}

/// A plan error names the file and line, and nothing is called.
#[test]
fn a_bad_plan_is_refused_before_any_call() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path(), 2, "");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "cores = 4, memory_gb = 14 }\ndriver",
        "cores = 3, memory_gb = 14 }\ndriver",
    );
    std::fs::write(&p, text).unwrap();
    bench(&emu, &[p.to_str().unwrap(), "--yes"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("plan.toml:18:"))
        .stderr(predicates::str::contains(
            "3 cores is not an EMR Serverless worker size",
        ));
    assert!(emu.log().is_empty());
}

/// compare exits 4 on a candidate 20% slower, 0 within the threshold.
#[test]
fn compare_gates_on_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let summary = |latency: f64, cost: f64| {
        json!({"plan": "t", "region": "us-east-1", "generated_by": "test", "ranking": ["a"], "speed_factors": [],
               "measured_crossovers": [], "spent_usd": cost, "stopped_by_budget": false, "interrupted": false, "calls": [0, 0, 0],
               "arms": [{"label": "a", "architecture": "x86_64", "runs": 3, "succeeded": 3, "failures": [],
                         "startup_s": null, "queued_s": null, "submit_to_created_s": null, "runtime_s": null,
                         "latency_s": {"median": latency, "min": latency, "max": latency, "n": 3},
                         "cost_usd": null, "idle_capacity_usd": 0.0, "cost_per_success_usd": cost, "not_billed": 0}]})
    };
    let write = |name: &str, v: Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p
    };
    let base = write("base.json", summary(100.0, 1.0));
    let slow = write("slow.json", summary(120.0, 1.0));
    let fine = write("fine.json", summary(105.0, 0.9));
    crate::util::emrcost()
        .args(["bench", "compare"])
        .arg(&base)
        .arg(&slow)
        .assert()
        .code(4);
    crate::util::emrcost()
        .args(["bench", "compare"])
        .arg(&base)
        .arg(&fine)
        .assert()
        .success();
    crate::util::emrcost()
        .args(["bench", "compare", "--threshold", "25%"])
        .arg(&base)
        .arg(&slow)
        .assert()
        .success();
}

/// Ctrl-C cancels the run in flight and deletes the application the
/// runner created; the same command then resumes, submitting the
/// cancelled run again and the ones never started, nothing else.
#[test]
fn ctrl_c_cancels_cleans_up_and_resumes() {
    let emu = Emulator::start();
    // A run that would take a minute: it is in flight when interrupted.
    emu.post(
        "/_emu/script",
        &json!({"arm": "x86", "runs": [{"queue_s": 0.0, "pending_s": 0.1, "run_s": 60.0, "billed": {"vCPUHour": 1.0, "memoryGBHour": 4.0, "storageGBHour": 0.0}}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path(), 1, "");
    let out = dir.path().join("out");
    let status = interrupt_after(&emu, &p, &out, 1);
    assert_eq!(status.code(), Some(130));
    let log = emu.log();
    assert_eq!(operations(&log, "CancelJobRun").len(), 1);
    assert_eq!(operations(&log, "DeleteApplication").len(), 1);
    assert_eq!(operations(&log, "StartJobRun").len(), 1);

    // Resumed with a quick script: the cancelled x86 run and the warm arm.
    script(&emu);
    emu.clear_log();
    bench(
        &emu,
        &[p.to_str().unwrap(), "--yes", "--out", out.to_str().unwrap()],
    )
    .assert()
    .success();
    let log = emu.log();
    assert_eq!(operations(&log, "StartJobRun").len(), 3);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    for a in s["arms"].as_array().unwrap() {
        assert_eq!(
            (a["runs"].as_u64(), a["succeeded"].as_u64()),
            (Some(1), Some(1)),
            "{a}"
        );
    }
}

/// The rate the price book gives m5.xlarge in us-east-1 as EMR on EC2
/// bills it: $0.192 EC2 + $0.048 EMR uplift + its 64 GiB default gp3
/// volume at $0.08 per GB-month over 730 hours.
const M5_XLARGE_HOUR: f64 = 0.192 + 0.048 + 64.0 * 0.08 / 730.0;

/// EMR on EC2 arms, two runs of each with two in flight at once: a
/// transient cluster per run (provisioning, the step's wait, its runtime
/// and the teardown measured from the cluster's and step's timelines;
/// cost from three instances' lifetimes with the one-minute minimum), and
/// steps on an existing cluster (cost: the instances' time during the
/// step). The transient clusters end themselves; the existing one is left.
#[test]
fn emr_on_ec2_arms_measure_provisioning_and_instance_cost() {
    let emu = Emulator::start();
    // The user's long-running cluster: a primary and two core m5.xlarge.
    let group = |role: &str, n: u32| json!({"InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": n, "Market": "ON_DEMAND"});
    let cluster = emu.aws_json(
        "elasticmapreduce",
        "ElasticMapReduce.RunJobFlow",
        &json!({"Name": "shared", "ReleaseLabel": "emr-7.5.0",
                "Instances": {"InstanceGroups": [group("MASTER", 1), group("CORE", 2)],
                              "KeepJobFlowAliveWhenNoSteps": true},
                "JobFlowRole": "EMR_EC2_DefaultRole", "ServiceRole": "EMR_DefaultRole"}),
    )["JobFlowId"]
        .as_str()
        .unwrap()
        .to_string();
    emu.post(
        "/_emu/script",
        &json!({"emr_arm": "ec2-transient", "runs": [{"provision_s": 1.0, "pending_s": 0.3, "run_s": 1.5, "teardown_s": 0.5}]}),
    );
    emu.post(
        "/_emu/script",
        &json!({"emr_cluster": cluster, "runs": [{"pending_s": 0.2, "run_s": 1.0}]}),
    );
    // An EMR Serverless arm to compare with: 1.0 s runs, (driver + 2
    // executors) x 2 vCPU / 8 GB billed for the one-minute minimum.
    let billed = json!({"vCPUHour": 6.0 * 60.0 / 3600.0, "memoryGBHour": 24.0 * 60.0 / 3600.0, "storageGBHour": 0.0});
    emu.post(
        "/_emu/script",
        &json!({"arm": "x86", "runs": [{"queue_s": 0.0, "pending_s": 0.5, "run_s": 1.0, "billed": billed}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"name = "t"
region = "us-east-1"
repeat = 2
order = "interleaved"
concurrency = 2
timeout_minutes = 5
poll_seconds = 0.1

[job]
entry_point = "s3://bucket/job.py"
arguments = ["--day", "2026-11-01"]
release_label = "emr-7.5.0"
execution_role = "{ROLE}"

[[arm]]
label = "x86"
service = "emr-serverless"
executor = {{ cores = 2, memory_gb = 7 }}
driver = {{ cores = 2, memory_gb = 7 }}
executors = 2

[[arm]]
label = "ec2-transient"
service = "emr-on-ec2"
primary_instance_type = "m5.xlarge"
core_instance_type = "m5.xlarge"
core_nodes = 2
executor = {{ cores = 4, memory_gb = 10 }}
executors = 2

[[arm]]
label = "ec2-existing"
service = "emr-on-ec2"
cluster_id = "{cluster}"
"#
    );
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, text).unwrap();
    let out = dir.path().join("out");
    bench(
        &emu,
        &[
            plan.to_str().unwrap(),
            "--yes",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .assert()
    .success();
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let arm = |label: &str| {
        s["arms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["label"] == label)
            .unwrap()
            .clone()
    };
    let transient = arm("ec2-transient");
    let existing = arm("ec2-existing");
    assert_eq!(transient["succeeded"], 2, "{transient}");
    assert_eq!(existing["succeeded"], 2, "{existing}");
    let tol = 0.02;
    let f = |a: &Value, k: &str| a[k]["median"].as_f64().unwrap_or(f64::NAN);
    // Provisioning 1.0 s, then 0.3 s waiting for the step: startup 1.3 s.
    for (k, want) in [
        ("provisioning_s", 1.0),
        ("queued_s", 0.3),
        ("startup_s", 1.3),
        ("runtime_s", 1.5),
        ("teardown_s", 0.5),
    ] {
        assert!(close(f(&transient, k), want, tol), "{k}: {transient}");
    }
    // Three instances up 3.3 s each, billed the one-minute minimum.
    assert!(
        close(
            f(&transient, "cost_usd"),
            3.0 * 60.0 / 3600.0 * M5_XLARGE_HOUR,
            1e-9
        ),
        "{transient}"
    );
    for (k, want) in [("startup_s", 0.2), ("runtime_s", 1.0)] {
        assert!(close(f(&existing, k), want, tol), "{k}: {existing}");
    }
    assert!(existing["provisioning_s"].is_null(), "{existing}");
    // Three instances for the step's 1.0 s, no minimum (the cluster runs on).
    assert!(
        close(
            f(&existing, "cost_usd"),
            3.0 * 1.0 / 3600.0 * M5_XLARGE_HOUR,
            1e-9
        ),
        "{existing}"
    );
    // Two runs were in flight at once: both first runs were submitted
    // before either finished.
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    let events: Vec<String> = journal
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let first_end = events.iter().position(|e| e == "finished").unwrap();
    assert!(
        events[..first_end]
            .iter()
            .filter(|e| *e == "submitted")
            .count()
            >= 2,
        "{journal}"
    );
    // The step: spark-submit in client mode with the arm's settings.
    let log = emu.log();
    assert_eq!(
        operations(&log, "RunJobFlow").len(),
        3,
        "the test's own and two transient clusters"
    );
    assert_eq!(operations(&log, "AddJobFlowSteps").len(), 2);
    assert!(
        operations(&log, "TerminateJobFlows").is_empty(),
        "clusters end themselves"
    );
    // The EMR on EC2 runs are in the run table at their instances' cost.
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let transient_rows: Vec<&str> = runs
        .lines()
        .filter(|l| l.contains("emrcost-bench-t-ec2-transient-"))
        .collect();
    assert_eq!(transient_rows.len(), 2, "{runs}");
    let cost = format!("{}", 3.0 * 60.0 / 3600.0 * M5_XLARGE_HOUR);
    assert!(
        transient_rows.iter().all(|l| l.contains(&cost[..8])),
        "{runs}"
    );
    let md = std::fs::read_to_string(out.join("bench.md")).unwrap();
    assert!(md.contains("## EMR on EC2 provisioning, measured"), "{md}");
    assert!(
        md.contains("`--provisioning-seconds 1` `--teardown-seconds 0.5`"),
        "{md}"
    );
    // The crossover is solved again with what the transient arm measured:
    // 1.5 s against 1.0 s, 1 s provisioning, 0.5 s teardown, on m5.xlarge.
    let x = s["measured_crossovers"].as_array().unwrap();
    assert!(
        x.iter().any(|l| l.as_str().unwrap().starts_with(
            "x86 against ec2-transient (EMR on EC2 on m5.xlarge 1.500x the runtime, 1 s provisioning and 0.5 s teardown, measured)"
        )),
        "{x:?}"
    );
}

/// Two runs in flight at once (an EMR Serverless run and a transient EMR on
/// EC2 cluster): Ctrl-C cancels the one and terminates the other, exits
/// 130, and the resumed benchmark runs both again.
#[test]
fn ctrl_c_ends_every_run_in_flight() {
    let emu = Emulator::start();
    let billed = json!({"vCPUHour": 1.0, "memoryGBHour": 4.0, "storageGBHour": 0.0});
    emu.post(
        "/_emu/script",
        &json!({"arm": "x86", "runs": [{"pending_s": 0.1, "run_s": 60.0, "billed": billed}]}),
    );
    emu.post(
        "/_emu/script",
        &json!({"emr_arm": "ec2", "runs": [{"provision_s": 0.5, "run_s": 60.0, "teardown_s": 0.2}]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plan.toml");
    std::fs::write(
        &p,
        format!(
            r#"name = "t"
region = "us-east-1"
order = "interleaved"
concurrency = 2
timeout_minutes = 5
poll_seconds = 0.1
billed_wait_seconds = 5

[job]
entry_point = "s3://bucket/job.py"
release_label = "emr-7.5.0"
execution_role = "{ROLE}"

[[arm]]
label = "x86"
service = "emr-serverless"
executor = {{ cores = 2, memory_gb = 7 }}
driver = {{ cores = 2, memory_gb = 7 }}
executors = 2

[[arm]]
label = "ec2"
service = "emr-on-ec2"
primary_instance_type = "m5.xlarge"
core_instance_type = "m5.xlarge"
core_nodes = 1
"#
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    assert_eq!(interrupt_after(&emu, &p, &out, 2).code(), Some(130));
    let log = emu.log();
    assert_eq!(operations(&log, "CancelJobRun").len(), 1);
    assert_eq!(operations(&log, "TerminateJobFlows").len(), 1);
    assert_eq!(operations(&log, "DeleteApplication").len(), 1);

    // Resumed with quick runs: both are submitted again and finish.
    emu.post(
        "/_emu/script",
        &json!({"arm": "x86", "runs": [{"pending_s": 0.1, "run_s": 0.5, "billed": billed}]}),
    );
    emu.post(
        "/_emu/script",
        &json!({"emr_arm": "ec2", "runs": [{"provision_s": 0.3, "run_s": 0.5, "teardown_s": 0.2}]}),
    );
    emu.clear_log();
    bench(
        &emu,
        &[p.to_str().unwrap(), "--yes", "--out", out.to_str().unwrap()],
    )
    .assert()
    .success();
    let log = emu.log();
    assert_eq!(operations(&log, "StartJobRun").len(), 1);
    assert_eq!(operations(&log, "RunJobFlow").len(), 1);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    for a in s["arms"].as_array().unwrap() {
        assert_eq!(
            (a["runs"].as_u64(), a["succeeded"].as_u64()),
            (Some(1), Some(1)),
            "{a}"
        );
    }
}
