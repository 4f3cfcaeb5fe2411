//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `emrcost` binary under test, with no price-book override from the
/// environment.
pub fn emrcost() -> Command {
    let mut cmd = Command::cargo_bin("emrcost").expect("binary builds");
    cmd.env_remove("EMRCOST_PRICING");
    cmd
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8 output")
}

/// Writes `runs` synthetic runs (seed `seed`) to `path`: CSV, or Parquet
/// when it ends in `.parquet`.
pub fn synth_to(path: &Path, runs: usize, seed: u64) {
    emrcost()
        .args(["synth", "--quiet", "--runs", &runs.to_string()])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(path)
        .assert()
        .success();
}
