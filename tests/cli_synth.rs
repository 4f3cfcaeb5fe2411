//! `emrcost synth` is deterministic and the bundled sample is its output.

use crate::util::{emrcost, repo, stdout_of};

#[test]
fn bundled_sample_is_synth_seed_42() {
    let out = stdout_of(emrcost().args(["synth", "--runs", "2000", "--seed", "42"]));
    let committed = std::fs::read_to_string(repo().join("samples/jobruns.csv")).unwrap();
    assert!(
        out == committed,
        "samples/jobruns.csv is stale: run `cargo run -- synth --out samples/jobruns.csv`"
    );
}

#[test]
fn other_seeds_differ_and_zero_runs_is_refused() {
    let a = stdout_of(emrcost().args(["synth", "--runs", "50", "--seed", "1"]));
    let b = stdout_of(emrcost().args(["synth", "--runs", "50", "--seed", "2"]));
    assert_ne!(a, b);
    assert_eq!(a.lines().count(), 51);
    emrcost().args(["synth", "--runs", "0"]).assert().code(1);
}
