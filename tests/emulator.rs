//! Starts the project's emulator front (`tests/emulator/front.py`: moto
//! in-process, plus seeding, quotas, faults, CBOR and a request log) on a
//! free loopback port, one per test, and stops it when dropped.
//!
//! The Python environment is made on first use: a venv under
//! `target/emulator-venv` with `tests/emulator/requirements.txt` (moto
//! pinned). `EMRCOST_TEST_PYTHON` points at another interpreter that
//! already has them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::repo;

fn python() -> &'static PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        if let Ok(p) = std::env::var("EMRCOST_TEST_PYTHON") {
            return PathBuf::from(p);
        }
        let venv = repo().join("target/emulator-venv");
        let py = venv.join("bin/python");
        let ready = |py: &Path| {
            Command::new(py)
                .args(["-c", "import moto, cbor2, werkzeug"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ready(&py) {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "python3 -m venv {} failed; install python3-venv",
                venv.display()
            );
            let ok = Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(repo().join("tests/emulator/requirements.txt"))
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "pip could not install tests/emulator/requirements.txt into {}",
                venv.display()
            );
            assert!(
                ready(&py),
                "moto is still not importable from {}",
                py.display()
            );
        }
        py
    })
}

pub struct Emulator {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Emulator {
    pub fn start() -> Emulator {
        let dir = tempfile::tempdir().expect("tempdir");
        let port_file = dir.path().join("port");
        let child = Command::new(python())
            .arg(repo().join("tests/emulator/front.py"))
            .arg("--port-file")
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let started = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Ok(p) = text.trim().parse() {
                    break p;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the emulator did not start in 120 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Emulator {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn post(&self, path: &str, body: &Value) -> Value {
        let resp = ureq::post(&format!("{}{path}", self.url()))
            .send_string(&body.to_string())
            .unwrap_or_else(|e| panic!("emulator {path}: {e}"));
        serde_json::from_str(&resp.into_string().expect("body")).expect("emulator answers JSON")
    }

    /// A JSON 1.1 call the test makes itself (to set up state the way a
    /// user's account would have it): the front routes it by the signing
    /// name in the credential scope and the target header; nothing checks
    /// the signature.
    pub fn aws_json(&self, service: &str, target: &str, body: &Value) -> Value {
        let resp = ureq::post(&format!("{}/", self.url()))
            .set("Content-Type", "application/x-amz-json-1.1")
            .set("X-Amz-Target", target)
            .set(
                "Authorization",
                &format!("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"),
            )
            .send_string(&body.to_string())
            .unwrap_or_else(|e| panic!("emulator {target}: {e}"));
        serde_json::from_str(&resp.into_string().expect("body")).expect("emulator answers JSON")
    }

    pub fn configure(&self, config: Value) {
        self.post("/_emu/config", &config);
    }

    /// Every request the emulator answered, in order.
    pub fn log(&self) -> Vec<Value> {
        let resp = ureq::get(&format!("{}/_emu/log", self.url()))
            .call()
            .expect("log");
        serde_json::from_str(&resp.into_string().expect("body")).expect("log is JSON")
    }

    pub fn clear_log(&self) {
        self.post("/_emu/log/clear", &json!({}));
    }

    /// The environment that points the AWS SDK at this emulator with test
    /// credentials and no profile.
    pub fn env(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("AWS_ENDPOINT_URL", Some(self.url())),
            ("AWS_ACCESS_KEY_ID", Some("testing".into())),
            ("AWS_SECRET_ACCESS_KEY", Some("testing".into())),
            ("AWS_PROFILE", None),
            ("AWS_CONFIG_FILE", Some("/nonexistent".into())),
            ("AWS_SHARED_CREDENTIALS_FILE", Some("/nonexistent".into())),
            ("AWS_EC2_METADATA_DISABLED", Some("true".into())),
        ]
    }

    /// Puts one object into the emulator's S3 (the bucket made on first use).
    pub fn put_object(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let resp = ureq::post(&format!("{}/_emu/s3_put", self.url()))
            .query("bucket", bucket)
            .query("key", key)
            .send_bytes(bytes)
            .expect("put an object into the emulator's S3");
        assert_eq!(resp.status(), 200);
    }

    /// `emrcost` against this emulator.
    pub fn emrcost(&self) -> assert_cmd::Command {
        let mut cmd = crate::util::emrcost();
        for (k, v) in self.env() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    /// `emrcost collect` against this emulator, with test credentials.
    pub fn collect(&self, out: &Path) -> assert_cmd::Command {
        let mut cmd = self.emrcost();
        cmd.args(["collect", "--region", "us-east-1", "--out"])
            .arg(out);
        cmd
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Operations in a request log, optionally only those with `status`.
pub fn operations<'a>(log: &'a [Value], op: &str) -> Vec<&'a Value> {
    log.iter().filter(|e| e["operation"] == op).collect()
}

/// The job-run id a GetJobRun log entry asked for.
pub fn job_run_of(entry: &Value) -> String {
    entry["path"]
        .as_str()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string()
}
