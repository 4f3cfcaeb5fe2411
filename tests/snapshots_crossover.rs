//! Golden output of `emrcost crossover` (insta snapshots in tests/snapshots).
//! After an intended change: `cargo insta review` (or INSTA_UPDATE=always).

use crate::util::{emrcost, stdout_of};

fn crossover(format: &str) -> String {
    stdout_of(emrcost().args([
        "crossover",
        "--executors",
        "10",
        "--executor-vcpu",
        "4",
        "--executor-memory-gb",
        "14",
        "--spot-discount",
        "0.6",
        "--format",
        format,
    ]))
}

#[test]
fn crossover_markdown() {
    insta::assert_snapshot!(crossover("md"));
}

#[test]
fn crossover_table() {
    insta::assert_snapshot!(crossover("table"));
}

#[test]
fn crossover_csv() {
    insta::assert_snapshot!(crossover("csv"));
}
