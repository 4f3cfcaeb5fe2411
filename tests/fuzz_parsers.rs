//! The readers survive arbitrary bytes: CSV, JSON (documents and JSON
//! Lines) and Spark event logs are fed valid files with random damage
//! (bytes changed, cut, repeated, spliced in) and plain random bytes. Each
//! must return records or an error, never panic, and a refused record must
//! say where it was. `PROPTEST_CASES` sets the number of cases (256 by
//! default; `benches/fuzz.sh` runs many more for a bounded time).

use std::path::Path;

use emrcost::input::eventlog::{import_one, LogSource};
use emrcost::input::Source;
use emrcost::pipeline::{each_record, Defaults};
use proptest::prelude::*;

use crate::util::repo;

/// Damage to a valid file.
#[derive(Debug, Clone)]
enum Damage {
    Set(usize, u8),
    Cut(usize),
    Repeat(usize, usize),
    Splice(usize, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Set(i, b)),
        any::<usize>().prop_map(Damage::Cut),
        (any::<usize>(), 1usize..200).prop_map(|(i, n)| Damage::Repeat(i, n)),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..40),
                Just(b"\"".to_vec()),
                Just(b",,,,\n".to_vec()),
                Just(b"\r".to_vec()),
                Just(b"\xef\xbb\xbf".to_vec()),
                Just(b"1e309".to_vec()),
                Just(b"-0".to_vec()),
                Just(b"NaN".to_vec()),
                Just(b"{\"Event\":\"SparkListenerExecutorAdded\",\"Timestamp\":-9223372036854775808,\"Executor ID\":\"1\",\"Executor Info\":{\"Total Cores\":4294967296}}\n".to_vec()),
                Just(b"[[[[[[[[[[[[[[[[[[[[".to_vec()),
            ]
        )
            .prop_map(|(i, b)| Damage::Splice(i, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match d {
            Damage::Set(i, b) if !bytes.is_empty() => {
                let k = i % bytes.len();
                bytes[k] = *b;
            }
            Damage::Set(..) => {}
            Damage::Cut(i) => bytes.truncate(at(*i, bytes.len())),
            Damage::Repeat(i, n) => {
                let k = at(*i, bytes.len());
                let end = (k + n).min(bytes.len());
                let piece = bytes[k..end].to_vec();
                bytes.splice(k..k, piece);
            }
            Damage::Splice(i, b) => {
                let k = at(*i, bytes.len());
                bytes.splice(k..k, b.iter().copied());
            }
        }
    }
    bytes
}

fn valid_csv() -> Vec<u8> {
    emrcost::sample::CSV
        .lines()
        .take(30)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn valid_json() -> Vec<u8> {
    std::fs::read(repo().join("tests/fixtures/get-job-run.json")).unwrap()
}

fn valid_eventlog() -> Vec<u8> {
    let dir = repo().join("tests/fixtures/spark-events/dynamic-none");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    std::fs::read(file).unwrap()
}

/// Reads `bytes` as `make(path)` through the one check; every refused
/// record names its place in the file.
fn read_runs(dir: &Path, name: &str, bytes: &[u8], make: fn(std::path::PathBuf) -> Source) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut seen = 0usize;
    let result = each_record(&make(path), &Defaults::default(), &mut |r| {
        seen += 1;
        if let Err((at, why)) = r {
            assert!(
                at.contains(name),
                "a refused record without its place: {at}: {why}"
            );
        }
    });
    if let Err(e) = result {
        assert!(
            e.to_string().contains(name),
            "an error without the file: {e}"
        );
    }
}

fn read_eventlog(dir: &Path, bytes: &[u8]) {
    let path = dir.join("app-1");
    std::fs::write(&path, bytes).unwrap();
    let imported = import_one(LogSource {
        path: path.clone(),
        files: vec![path],
        serverless: None,
    });
    // An estimate, if any, is a finite, non-negative figure.
    if let Ok(e) = &imported.estimate {
        let text = format!("{e:?}");
        assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn damaged_csv_is_read_or_refused(d in proptest::collection::vec(damage(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        read_runs(dir.path(), "runs.csv", &apply(valid_csv(), &d), Source::Csv);
    }

    #[test]
    fn damaged_json_is_read_or_refused(d in proptest::collection::vec(damage(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        read_runs(dir.path(), "run.json", &apply(valid_json(), &d), Source::Json);
        // The same run as one JSON line among others.
        let line: serde_json::Value = serde_json::from_slice(&valid_json()).unwrap();
        let mut lines = serde_json::to_vec(&line).unwrap();
        lines.push(b'\n');
        let lines = lines.repeat(3);
        read_runs(dir.path(), "runs.jsonl", &apply(lines, &d), Source::Json);
    }

    #[test]
    fn damaged_event_logs_are_read_or_refused(d in proptest::collection::vec(damage(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        read_eventlog(dir.path(), &apply(valid_eventlog(), &d));
    }

    #[test]
    fn random_bytes_are_refused_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let dir = tempfile::tempdir().unwrap();
        read_runs(dir.path(), "x.csv", &bytes, Source::Csv);
        read_runs(dir.path(), "x.json", &bytes, Source::Json);
        read_runs(dir.path(), "x.parquet", &bytes, Source::Parquet);
        read_eventlog(dir.path(), &bytes);
    }
}
