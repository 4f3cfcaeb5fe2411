#!/usr/bin/env bash
# Fuzz the CSV, JSON and event-log readers for a bounded time: the property
# tests in tests/fuzz_parsers.rs with many more cases than `cargo test`
# runs (256). A failure prints the smallest damaged input proptest found.
#
# Usage: benches/fuzz.sh [CASES] [SECONDS]     e.g. benches/fuzz.sh 50000 600
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-50000}
seconds=${2:-600}
PROPTEST_CASES=$cases timeout "$seconds" cargo test --test tests fuzz_parsers -- --test-threads 2
