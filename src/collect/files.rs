//! Job runs from files: `aws emr-serverless get-job-run` JSON (one object,
//! an array, or JSON Lines) and emrcost's CSV format.
//!
//! A file that cannot be read as a whole (missing, empty, truncated JSON, a
//! wrong CSV header) is a [`FileError`] naming the file and line. A single bad
//! record is [`Rejected`] with its location and the rest are kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::csv_format;
use super::jobrun_json::Document;
use crate::model::{Architecture, JobRun};

/// Values for fields a source may not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDefaults {
    /// Used when a record has no region (no `arn`, empty CSV cell).
    pub region: Option<String>,
    /// Used when a record does not say (GetJobRun never does: the
    /// architecture belongs to the application).
    pub architecture: Architecture,
}

impl Default for InputDefaults {
    fn default() -> Self {
        InputDefaults {
            region: None,
            architecture: Architecture::X86_64,
        }
    }
}

/// A record that was read but not kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    /// `file:line`.
    pub location: String,
    pub reason: String,
}

/// What a set of files yielded.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub runs: Vec<JobRun>,
    pub rejected: Vec<Rejected>,
    pub files: Vec<String>,
    /// Idle pre-initialized capacity from collected datasets (with metrics).
    pub idle_capacity: Vec<super::dataset::IdleCapacity>,
}

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: no such file or folder; check the path", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: cannot read it: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{file}: the file is empty; expected get-job-run JSON or an emrcost CSV with a header line"
    )]
    Empty { file: String },

    #[error("{file}: not UTF-8 text; is it compressed? Decompress it first")]
    NotText { file: String },

    #[error("{file}:{line}:{column}: {message}")]
    MalformedJson {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{file}: {message}")]
    BadParquet { file: String, message: String },

    #[error("{file}:{line}: {message}")]
    BadCsv {
        file: String,
        line: u64,
        message: String,
    },
}

/// Loads every file (folders: their `.json`, `.jsonl`, `.ndjson`, `.csv`
/// and `.parquet` files, sorted), then drops repeats of (region, application, job run,
/// attempt), keeping the first.
pub fn load_files(paths: &[PathBuf], defaults: &InputDefaults) -> Result<Loaded, FileError> {
    let mut files = Vec::new();
    let mut datasets = Vec::new();
    for p in paths {
        expand(p, &mut files, &mut datasets)?;
    }
    let mut out = Loaded::default();
    let mut located = Vec::new();
    for dir in datasets {
        let (runs, state, skipped) = super::dataset::read(&dir).map_err(|e| match e {
            super::dataset::DatasetError::File(f) => f,
            other => FileError::BadParquet {
                file: dir.display().to_string(),
                message: other.to_string(),
            },
        })?;
        let name = dir.join(super::dataset::RUNS_FILE).display().to_string();
        located.extend(
            runs.into_iter()
                .enumerate()
                .map(|(i, run)| (format!("{name}: record {}", i + 1), run)),
        );
        out.rejected.extend(skipped);
        out.idle_capacity.extend(state.idle_capacity);
        out.files.push(dir.display().to_string());
    }
    for path in files {
        if path.extension().is_some_and(|e| e == "parquet") {
            let (runs, rejected) = super::parquet::read_parquet(&path)?;
            let name = path.display().to_string();
            located.extend(
                runs.into_iter()
                    .map(|(row, run)| (format!("{name}: row {row}"), run)),
            );
            out.rejected.extend(rejected);
            out.files.push(name);
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound { path: path.clone() },
            _ => FileError::Io {
                path: path.clone(),
                source,
            },
        })?;
        let name = path.display().to_string();
        let text =
            String::from_utf8(bytes).map_err(|_| FileError::NotText { file: name.clone() })?;
        let (runs, rejected) = parse(&name, &text, defaults, is_csv(&path, &text))?;
        located.extend(
            runs.into_iter()
                .map(|(line, run)| (format!("{name}:{line}"), run)),
        );
        out.rejected.extend(rejected);
        out.files.push(name);
    }
    dedupe(located, &mut out);
    Ok(out)
}

/// Loads records from text already in memory (e.g. the bundled sample).
pub fn load_text(name: &str, text: &str, defaults: &InputDefaults) -> Result<Loaded, FileError> {
    let csv = name.ends_with(".csv") || !looks_like_json(text);
    let (runs, rejected) = parse(name, text, defaults, csv)?;
    let mut out = Loaded {
        rejected,
        files: vec![name.to_string()],
        ..Loaded::default()
    };
    let located = runs
        .into_iter()
        .map(|(line, run)| (format!("{name}:{line}"), run))
        .collect();
    dedupe(located, &mut out);
    Ok(out)
}

fn expand(
    path: &Path,
    files: &mut Vec<PathBuf>,
    datasets: &mut Vec<PathBuf>,
) -> Result<(), FileError> {
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound {
            path: path.to_path_buf(),
        },
        _ => FileError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let dataset = super::dataset::is_dataset(path);
    if dataset {
        datasets.push(path.to_path_buf());
    }
    let entries = std::fs::read_dir(path).map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        // Hidden files are a dataset's bookkeeping (journal, state).
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        // A collected dataset's runs are read through its journal too.
        .filter(|p| {
            !(dataset
                && p.file_name()
                    .is_some_and(|n| n == super::dataset::RUNS_FILE))
        })
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl" | "ndjson" | "csv" | "parquet")
            )
        })
        .collect();
    found.sort();
    files.extend(found);
    Ok(())
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('{' | '['))
}

fn is_csv(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => true,
        Some("json" | "jsonl" | "ndjson") => false,
        _ => !looks_like_json(text),
    }
}

use super::csv_format::Parsed;

fn parse(name: &str, text: &str, defaults: &InputDefaults, csv: bool) -> Result<Parsed, FileError> {
    if text.trim().is_empty() {
        return Err(FileError::Empty {
            file: name.to_string(),
        });
    }
    if csv {
        return csv_format::read(name, text, defaults).map_err(|(line, message)| {
            FileError::BadCsv {
                file: name.to_string(),
                line,
                message,
            }
        });
    }
    parse_json(name, text, defaults)
}

fn json_error(name: &str, e: &serde_json::Error, line_offset: usize) -> FileError {
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!(
            "truncated JSON ({e}); the file ends in the middle of a value. Was it cut short?"
        ),
        _ => format!("malformed JSON: {e}"),
    };
    FileError::MalformedJson {
        file: name.to_string(),
        line: e.line() + line_offset,
        column: e.column(),
        message,
    }
}

fn parse_json(name: &str, text: &str, defaults: &InputDefaults) -> Result<Parsed, FileError> {
    let mut runs = Vec::new();
    let mut rejected = Vec::new();
    let mut convert = |line: u64, doc: serde_json::Value, rejected: &mut Vec<Rejected>| {
        let result = serde_json::from_value::<Document>(doc)
            .map_err(|e| format!("not a job run: {e}"))
            .and_then(|d| d.into_job_run().into_job_run(defaults));
        match result {
            Ok(run) => runs.push((line, run)),
            Err(reason) => rejected.push(Rejected {
                location: format!("{name}:{line}"),
                reason,
            }),
        }
    };

    let trimmed = text.trim_start();
    let first_line = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0);
    if trimmed.starts_with('[') {
        // A JSON array: all or nothing.
        let values: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| json_error(name, &e, 0))?;
        for v in values {
            // Arrays carry no per-element line; use the array's first line.
            convert(first_line as u64 + 1, v, &mut rejected);
        }
        return Ok((runs, rejected));
    }

    let first = text.lines().nth(first_line).unwrap_or("");
    let is_json_lines = serde_json::from_str::<serde_json::Value>(first).is_ok();
    if is_json_lines {
        // JSON Lines: a bad line is one rejected record, not a lost file.
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(v) => convert(i as u64 + 1, v, &mut rejected),
                Err(e) => {
                    let what = if e.classify() == serde_json::error::Category::Eof {
                        "truncated JSON line (cut short?)"
                    } else {
                        "malformed JSON line"
                    };
                    rejected.push(Rejected {
                        location: format!("{name}:{}", i + 1),
                        reason: format!("{what}: {e}"),
                    });
                }
            }
        }
        return Ok((runs, rejected));
    }

    // One or more pretty-printed documents, as `get-job-run` prints them.
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let mut stream = stream;
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let skipped = text[start..].len() - text[start..].trim_start().len();
                let line = text[..start + skipped].matches('\n').count() + 1;
                convert(line as u64, v, &mut rejected)
            }
            Some(Err(e)) => return Err(json_error(name, &e, 0)),
        }
    }
    Ok((runs, rejected))
}

fn dedupe(located: Vec<(String, JobRun)>, out: &mut Loaded) {
    let mut seen: HashMap<(String, String, String, u32), String> =
        HashMap::with_capacity(located.len());
    out.runs.reserve(located.len());
    for (location, run) in located {
        let key = (
            run.region.clone(),
            run.application_id.clone(),
            run.job_run_id.clone(),
            run.attempt,
        );
        if let Some(first) = seen.get(&key) {
            out.rejected.push(Rejected {
                location,
                reason: format!(
                    "duplicate of {first} (same region, application, job run and attempt); counted once"
                ),
            });
            continue;
        }
        seen.insert(key, location);
        out.runs.push(run);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobState;

    const ONE: &str = r#"{
  "jobRun": {
    "applicationId": "00fabc",
    "jobRunId": "00frun1",
    "arn": "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabc/jobruns/00frun1",
    "name": "nightly-etl",
    "state": "SUCCESS",
    "releaseLabel": "emr-7.1.0",
    "createdAt": 1767225600.123,
    "startedAt": "2026-01-01T00:01:00Z",
    "endedAt": "2026-01-01T00:31:00Z",
    "totalExecutionDurationSeconds": 1800,
    "queuedDurationMilliseconds": 4200,
    "attempt": 2,
    "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/x.py",
      "sparkSubmitParameters": "--conf spark.executor.cores=8 --conf spark.executor.memory=28g"}},
    "billedResourceUtilization": {"vCPUHour": 10.5, "memoryGBHour": 42.0, "storageGBHour": 0.0},
    "totalResourceUtilization": {"vCPUHour": 10.2, "memoryGBHour": 40.8, "storageGBHour": 30.0}
  }
}"#;

    #[test]
    fn reads_cli_output() {
        let l = load_text("one.json", ONE, &InputDefaults::default()).unwrap();
        assert!(l.rejected.is_empty(), "{:?}", l.rejected);
        let r = &l.runs[0];
        assert_eq!(r.region, "eu-west-1");
        assert_eq!(r.state, JobState::Success);
        assert_eq!(r.attempt, 2);
        assert_eq!(r.executor_vcpu, Some(8.0));
        assert_eq!(r.executor_memory_gb, Some(28.0));
        assert_eq!(r.billed.unwrap().vcpu_hours, 10.5);
        assert_eq!(r.queued_ms, Some(4200));
        assert_eq!(r.runtime_s(), Some(1800.0));
        assert_eq!(r.created_at.unwrap().timestamp_millis(), 1_767_225_600_123);
    }

    #[test]
    fn truncated_json_names_line_and_column() {
        let cut = &ONE[..ONE.len() - 40];
        let err = load_text("cut.json", cut, &InputDefaults::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cut.json:"), "{msg}");
        assert!(msg.contains("truncated JSON"), "{msg}");
    }

    #[test]
    fn json_lines_keep_good_lines_and_reject_bad_ones() {
        let line = ONE.replace('\n', "");
        let second = line.replace("00frun1", "00frun2");
        let neg = line
            .replace("00frun1", "00frun3")
            .replace("\"vCPUHour\": 10.5", "\"vCPUHour\": -3");
        let text = format!("{line}\n{second}\n{neg}\n{{\"jobRun\": {{\"applicationId\"");
        let l = load_text("runs.jsonl", &text, &InputDefaults::default()).unwrap();
        assert_eq!(l.runs.len(), 2);
        assert_eq!(l.rejected.len(), 2);
        assert_eq!(l.rejected[0].location, "runs.jsonl:3");
        assert!(
            l.rejected[0].reason.contains("vcpu_hours is -3"),
            "{:?}",
            l.rejected
        );
        assert_eq!(l.rejected[1].location, "runs.jsonl:4");
        assert!(
            l.rejected[1].reason.contains("truncated"),
            "{:?}",
            l.rejected
        );
    }

    #[test]
    fn arrays_and_duplicates() {
        let text = format!("[{ONE}, {ONE}]");
        let l = load_text("arr.json", &text, &InputDefaults::default()).unwrap();
        assert_eq!(l.runs.len(), 1);
        assert!(
            l.rejected[0].reason.contains("duplicate of arr.json:1"),
            "{:?}",
            l.rejected
        );
    }

    #[test]
    fn csv_header_and_rows() {
        let ok = "application_id,job_run_id,state,region,duration_s,billed_vcpu_hours\n\
                  a,r1,SUCCESS,us-east-1,60,1\n\
                  a,r2,SUCCESS,us-east-1,-5,1\n\
                  a,r3,DONE,us-east-1,60,1\n\
                  a,r4,SUCCESS,us-east-1,60\n";
        let l = load_text("x.csv", ok, &InputDefaults::default()).unwrap();
        assert_eq!(l.runs.len(), 1);
        let reasons: Vec<String> = l
            .rejected
            .iter()
            .map(|r| format!("{} {}", r.location, r.reason))
            .collect();
        assert!(
            reasons[0].starts_with("x.csv:3 duration_s is -5"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("x.csv:4 unknown job state 'DONE'"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].contains("x.csv:5 the row has 5 fields but the header has 6"),
            "{reasons:?}"
        );

        let bad = "application_id,job_run_id,state,colour\na,b,SUCCESS,red\n";
        let err = load_text("y.csv", bad, &InputDefaults::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("y.csv:1: unknown column 'colour'"), "{err}");
        let missing = "application_id,state\na,SUCCESS\n";
        let err = load_text("z.csv", missing, &InputDefaults::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("missing required column 'job_run_id'"),
            "{err}"
        );
        let err = load_text("e.csv", "  \n", &InputDefaults::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("e.csv: the file is empty"), "{err}");
    }
}
