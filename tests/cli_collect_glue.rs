//! `emrcost collect glue` with the real SDK client against the emulator,
//! which answers GetJobs and GetJobRuns from a seeded history (moto's Glue
//! runs have no DPUSeconds and a fixed ExecutionTime).

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::emulator::{operations, Emulator};

/// Four jobs x 40 runs and a Python shell job: G.1X x 10 (Standard), G.2X x
/// 20 auto-scaled (DPUSeconds), G.1X x 5 Flex (DPUSeconds), and a Glue 1.0
/// job of MaxCapacity 10 whose 120 s runs pay the 10-minute minimum.
fn history(now: i64) -> (Value, HashMap<&'static str, f64>) {
    let mut jobs = Vec::new();
    let mut want: HashMap<&'static str, f64> = HashMap::new();
    let job = |name: &str, extra: Value| {
        let mut j = json!({"Name": name, "Command": {"Name": "glueetl"}});
        j.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        j
    };
    let mut runs = |name: &'static str, f: &dyn Fn(i64) -> (Value, f64)| {
        let mut out = Vec::new();
        for i in 0..40i64 {
            let started = now - 86_400 * 5 + i * 3600;
            let (mut r, usd) = f(i);
            let o = r.as_object_mut().unwrap();
            o.insert("Id".into(), json!(format!("jr_{name}_{i:02}")));
            o.insert("Attempt".into(), json!(0));
            o.insert("StartedOn".into(), json!(started));
            o.insert("JobRunState".into(), json!("SUCCEEDED"));
            let exec = o["ExecutionTime"].as_i64().unwrap();
            o.insert("CompletedOn".into(), json!(started + exec + 20));
            *want.entry(name).or_default() += usd;
            out.push(r);
        }
        out
    };
    let g1x = runs("g1x", &|i| {
        let t = 300 + 10 * i;
        (
            json!({"ExecutionTime": t, "WorkerType": "G.1X", "NumberOfWorkers": 10, "GlueVersion": "4.0", "MaxCapacity": 10.0}),
            10.0 * t as f64 / 3600.0 * 0.44,
        )
    });
    let auto = runs("g2x_auto", &|i| {
        let t = 600 + 5 * i;
        // 12 of the 20 G.2X workers on average.
        let dpu_s = 2.0 * 12.0 * t as f64;
        (
            json!({"ExecutionTime": t, "WorkerType": "G.2X", "NumberOfWorkers": 20, "GlueVersion": "4.0", "MaxCapacity": 40.0, "DPUSeconds": dpu_s}),
            dpu_s / 3600.0 * 0.44,
        )
    });
    let flex = runs("flex", &|i| {
        let t = 200 + i;
        let dpu_s = 5.0 * t as f64;
        (
            json!({"ExecutionTime": t, "WorkerType": "G.1X", "NumberOfWorkers": 5, "GlueVersion": "4.0", "ExecutionClass": "FLEX", "DPUSeconds": dpu_s}),
            dpu_s / 3600.0 * 0.29,
        )
    });
    let legacy = runs("legacy", &|_| {
        (
            json!({"ExecutionTime": 120, "MaxCapacity": 10.0, "GlueVersion": "1.0"}),
            10.0 * 600.0 / 3600.0 * 0.44,
        )
    });
    jobs.push(job(
        "g1x",
        json!({"runs": g1x, "GlueVersion": "4.0", "Tags": {"team": "etl", "env": "prod"}}),
    ));
    jobs.push(job("g2x_auto", json!({"runs": auto})));
    jobs.push(job("flex", json!({"runs": flex})));
    jobs.push(job(
        "legacy",
        json!({"runs": legacy, "GlueVersion": "1.0", "MaxCapacity": 10.0}),
    ));
    jobs.push(json!({"Name": "shell", "Command": {"Name": "pythonshell"}, "runs": []}));
    (json!({"jobs": jobs, "page_size": 10}), want)
}

fn collect(emu: &Emulator, out: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = emu.emrcost();
    cmd.args(["collect", "glue", "--region", "us-east-1", "--out"])
        .arg(out);
    cmd
}

/// Every run collected once, with Glue's own cost equal to the hand-worked
/// figures (Standard, auto-scaled DPUSeconds, Flex, the Glue 1.0 minimum),
/// and EMR Serverless estimated; a second collection records nothing and
/// stops paging at the first page of each job.
#[test]
fn glue_runs_are_collected_once_and_priced_as_glue_billed_them() {
    let emu = Emulator::start();
    let now = chrono::Utc::now().timestamp();
    let (seed, want) = history(now);
    emu.post("/_emu/glue_seed", &seed);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let done = collect(&emu, &out).assert().success();
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).to_string();
    assert!(
        stderr.contains("skipped us-east-1/shell (pythonshell)"),
        "{stderr}"
    );
    assert!(stderr.contains("160 recorded"), "{stderr}");
    assert!(
        stderr.contains("4 Glue job(s) (4 with their tags read)"),
        "{stderr}"
    );
    // The job's tags are its runs' tags, under the caller's account.
    let (runs, _, _) = emrcost::collect::dataset::read(&out).unwrap();
    for r in &runs {
        let want = (r.application_id == "g1x").then_some(r#"{"env":"prod","team":"etl"}"#);
        assert_eq!(r.tags.as_deref(), want, "{}", r.job_run_id);
        assert_eq!(r.account_id.as_deref(), Some("123456789012"));
    }
    // Four pages of 10 for each job, and GetJobs.
    let log = emu.log();
    assert_eq!(operations(&log, "GetJobRuns").len(), 16);
    assert_eq!(operations(&log, "GetTags").len(), 4);

    // `price` reads the dataset through the one pipeline.
    let priced = emu
        .emrcost()
        .args(["price", "--format", "jsonl"])
        .arg(&out)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&priced.get_output().stdout).to_string();
    let rows: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 160, "{text}");
    let mut got: HashMap<String, f64> = HashMap::new();
    for r in &rows {
        let job = r["application_id"].as_str().unwrap().to_string();
        let usd = if job == "flex" {
            r["glue_flex_usd"].as_f64().unwrap()
        } else {
            r["glue_usd"].as_f64().unwrap()
        };
        *got.entry(job).or_default() += usd;
        assert_eq!(r["serverless_basis"], "glue_estimate", "{r}");
        assert!(r["serverless_usd"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["ec2_usd"].as_f64().is_some(), "{r}");
    }
    for (job, usd) in &want {
        assert!(
            (got[*job] - usd).abs() < 1e-6,
            "{job}: {} against {usd}",
            got[*job]
        );
    }
    // The auto-scaled job: 12 workers on average, 11 executors, peak 19.
    let auto = rows
        .iter()
        .find(|r| r["application_id"] == "g2x_auto")
        .unwrap();
    assert!(
        (auto["executors"].as_f64().unwrap() - 11.0).abs() < 1e-9,
        "{auto}"
    );
    assert_eq!(auto["peak_executors"].as_f64(), Some(19.0), "{auto}");

    // Collected again: nothing new, and each job's paging stops at its
    // first page (its runs were final at the last complete pass).
    emu.clear_log();
    let again = collect(&emu, &out).assert().success();
    let stderr = String::from_utf8_lossy(&again.get_output().stderr).to_string();
    assert!(stderr.contains("0 recorded"), "{stderr}");
    assert_eq!(operations(&emu.log(), "GetJobRuns").len(), 4);
}

/// Killed mid-collection (SIGKILL: no clean-up), then run again: every run
/// is there once.
#[test]
fn a_killed_glue_collection_loses_nothing_and_duplicates_nothing() {
    let emu = Emulator::start();
    let now = chrono::Utc::now().timestamp();
    let (seed, _) = history(now);
    emu.post("/_emu/glue_seed", &seed);
    // Every call answered slowly, so the kill lands mid-way.
    emu.configure(json!({"slow_rate": 1.0, "slow_ms": 250}));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("emrcost"));
    for (k, v) in emu.env() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    let mut child = command
        .args([
            "collect",
            "glue",
            "--region",
            "us-east-1",
            "--concurrency",
            "1",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = out.join(".jobruns.journal");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&journal).map_or(0, |t| t.lines().count()) < 30 {
        assert!(started.elapsed().as_secs() < 60, "nothing was journalled");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert!(
        partial < 160,
        "the kill came too late to test anything ({partial})"
    );
    emu.configure(json!({"slow_rate": 0.0}));
    collect(&emu, &out).assert().success();
    let priced = emu
        .emrcost()
        .args(["price", "--format", "csv"])
        .arg(&out)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&priced.get_output().stdout).to_string();
    let mut ids: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(ids.len(), 160);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 160, "no run twice");
}

/// A narrow first collection, then a wider one: the wider one pages past
/// the first one's mark (it never saw the older runs) and records them.
#[test]
fn a_wider_window_later_records_the_older_runs() {
    let emu = Emulator::start();
    let now = chrono::Utc::now().timestamp();
    let (seed, _) = history(now);
    emu.post("/_emu/glue_seed", &seed);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    // The runs start 5 days ago, one an hour: from hour 20 on, half of
    // each job's 40.
    let since = chrono::DateTime::from_timestamp(now - 86_400 * 5 + 20 * 3600, 0)
        .unwrap()
        .to_rfc3339();
    let first = collect(&emu, &out)
        .args(["--since", &since])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&first.get_output().stderr).to_string();
    // Runs 20..39 of each of the four jobs.
    assert!(stderr.contains("80 recorded"), "{stderr}");
    let second = collect(&emu, &out).assert().success();
    let stderr = String::from_utf8_lossy(&second.get_output().stderr).to_string();
    assert!(stderr.contains("80 recorded"), "{stderr}");
    assert!(stderr.contains("80 new"), "{stderr}");
}

/// A policy without glue:GetJobRuns: the error names the permission to add.
#[test]
fn access_denied_names_the_missing_permission() {
    let emu = Emulator::start();
    let now = chrono::Utc::now().timestamp();
    let (seed, _) = history(now);
    emu.post("/_emu/glue_seed", &seed);
    emu.configure(json!({"deny": ["GetJobRuns"]}));
    let dir = tempfile::tempdir().unwrap();
    let done = collect(&emu, &dir.path().join("ds")).assert().failure();
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).to_string();
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        stderr.contains("the IAM policy must allow glue:GetJobRuns"),
        "{stderr}"
    );
}

/// A policy without glue:GetTags: every run is still collected, untagged,
/// and the warning names the permission.
#[test]
fn runs_are_collected_untagged_when_tags_cannot_be_read() {
    let emu = Emulator::start();
    let now = chrono::Utc::now().timestamp();
    let (seed, _) = history(now);
    emu.post("/_emu/glue_seed", &seed);
    emu.configure(json!({"deny": ["GetTags"]}));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let done = collect(&emu, &out).assert().success();
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).to_string();
    assert!(stderr.contains("160 recorded"), "{stderr}");
    assert!(
        stderr.contains("4 Glue job(s) (0 with their tags read)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the IAM policy must allow glue:GetTags"),
        "{stderr}"
    );
    let (runs, _, _) = emrcost::collect::dataset::read(&out).unwrap();
    assert!(runs.iter().all(|r| r.tags.is_none()));
}

/// `--profile` twice: each profile's credentials are used in turn and the
/// runs carry the account STS names for them.
#[test]
fn several_profiles_collect_into_one_dataset_with_their_account() {
    let emu = Emulator::start();
    let now = chrono::Utc::now().timestamp();
    let (seed, _) = history(now);
    emu.post("/_emu/glue_seed", &seed);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &config,
        "[profile a]\nregion = us-east-1\n[profile b]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = x\n[b]\naws_access_key_id = AKIAB\naws_secret_access_key = x\n",
    )
    .unwrap();
    let out = dir.path().join("ds");
    let done = collect(&emu, &out)
        .args(["--profile", "a", "--profile", "b", "--csv"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&done.get_output().stderr).to_string();
    assert!(
        stderr.contains("--profile a: account 123456789012"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--profile b: account 123456789012"),
        "{stderr}"
    );
    let mut reader = csv::Reader::from_path(out.join("jobruns.csv")).unwrap();
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "account_id")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 160);
    assert!(
        rows.iter().all(|r| &r[at] == "123456789012"),
        "{:?}",
        rows[0]
    );
}
