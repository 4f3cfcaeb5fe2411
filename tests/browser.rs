//! The HTML report in a real browser: headless Chromium from Debian's
//! packages, installed here if it is missing (CI runs as root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::util::{emrcost, repo};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium() -> &'static Path {
    static READY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        if Path::new(CHROMIUM).exists() {
            return Ok(PathBuf::from(CHROMIUM));
        }
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "-q", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|s| s.success())
        };
        if !install() {
            let _ = Command::new("apt-get").args(["update", "-q"]).status();
            install();
        }
        if Path::new(CHROMIUM).exists() {
            Ok(PathBuf::from(CHROMIUM))
        } else {
            Err("headless Chromium is needed for this test and could not be installed: run `apt-get install chromium` as root".into())
        }
    });
    match ready {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// Loads a page headless; returns the DOM after scripts ran and the
/// console messages the page produced.
fn open(page: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8(out.stdout).unwrap(), console)
}

#[test]
fn sample_report_renders_with_its_charts_and_no_console_errors() {
    let (dom, console) = open(&repo().join("reports/sample/report.html"));
    assert!(console.is_empty(), "console messages: {console:?}");
    assert_eq!(
        dom.matches("<svg").count(),
        8,
        "all eight charts are in the rendered page"
    );
    assert!(dom.contains("EMR Serverless billed"));
    assert!(dom.contains("crossover"), "crossover labels rendered");
}

#[test]
fn injected_markup_in_names_does_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let csv = crate::util::write(
        dir.path(),
        "evil.csv",
        "region,application_id,application_name,job_run_id,job_name,state,created_at,queued_ms,duration_s,billed_vcpu_hours,billed_memory_gb_hours\n\
         us-east-1,app1,\"<img src=x onerror=\"\"document.documentElement.setAttribute('data-pwned','img');console.error('pwned-img')\"\">\",r1,\"<script>document.documentElement.setAttribute('data-pwned','script');console.error('pwned-script')</script>\",SUCCESS,2026-10-01T00:00:00Z,5000,600,1.0,4.0\n",
    );
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--out"])
        .arg(&out)
        .arg(&csv)
        .assert()
        .success();
    let (dom, console) = open(&out.join("report.html"));
    // Had either run, the root element would carry data-pwned="...". The
    // names themselves contain the text data-pwned, escaped, which is fine.
    let root = &dom[dom.find("<html").unwrap()..];
    let root = &root[..root.find('>').unwrap()];
    assert!(
        !root.contains("data-pwned"),
        "an injected script or handler ran: {root}"
    );
    assert!(
        !dom.contains("data-pwned=\""),
        "an injected attribute was set"
    );
    assert!(
        console.iter().all(|l| !l.contains("pwned")),
        "console: {console:?}"
    );
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(
        dom.contains("&lt;script&gt;document.documentElement"),
        "the job name shows as text"
    );
}
