//! The JSON that `aws emr-serverless get-job-run` prints (and GetJobRun
//! returns): one object, an array of them, several objects one after the
//! other, or JSON Lines. Each job run becomes a raw row of the run table.
//!
//! JSON Lines are streamed line by line (a bad line is one unreadable
//! record); the other forms are read whole, because a JSON value has no
//! record boundary to stream by.

use std::collections::HashMap;
use std::io::{BufRead, Read};

use serde::Deserialize;

use super::rows::{PartBuilder, RawRun};
use super::{Batch, FileError};
use crate::collect::SparkParams;
use crate::model::Reject;

/// Timestamps come as epoch seconds (the API) or ISO 8601 text (the CLI).
#[derive(Deserialize)]
#[serde(untagged)]
enum Timestamp {
    Epoch(f64),
    Text(String),
}

impl Timestamp {
    /// The cell as the check reads it: text as it is, a number (epoch
    /// seconds with a fraction, from the API) as its digits, which the
    /// check reads by the same rule as a number in any time column.
    fn cell(&self) -> String {
        match self {
            Timestamp::Epoch(v) => v.to_string(),
            Timestamp::Text(s) => s.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
struct ApiUsage {
    #[serde(rename = "vCPUHour")]
    vcpu_hour: Option<f64>,
    #[serde(rename = "memoryGBHour")]
    memory_gb_hour: Option<f64>,
    #[serde(rename = "storageGBHour")]
    storage_gb_hour: Option<f64>,
}

impl ApiUsage {
    fn cells(u: &Option<ApiUsage>) -> [Option<f64>; 3] {
        match u {
            Some(u) => [u.vcpu_hour, u.memory_gb_hour, u.storage_gb_hour],
            None => [None; 3],
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SparkSubmit {
    spark_submit_parameters: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobDriver {
    spark_submit: Option<SparkSubmit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiJobRun {
    application_id: Option<String>,
    job_run_id: Option<String>,
    name: Option<String>,
    arn: Option<String>,
    state: Option<String>,
    release_label: Option<String>,
    created_at: Option<Timestamp>,
    started_at: Option<Timestamp>,
    ended_at: Option<Timestamp>,
    total_execution_duration_seconds: Option<f64>,
    queued_duration_milliseconds: Option<f64>,
    billed_resource_utilization: Option<ApiUsage>,
    total_resource_utilization: Option<ApiUsage>,
    attempt: Option<f64>,
    job_driver: Option<JobDriver>,
    #[serde(default)]
    tags: HashMap<String, String>,
    // Not in the API: emrcost's own additions, so an export can carry what
    // only the application knows.
    region: Option<String>,
    architecture: Option<String>,
    application_name: Option<String>,
}

/// `arn:aws:emr-serverless:REGION:ACCOUNT:/applications/...` -> REGION.
fn region_from_arn(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let ok = parts.next() == Some("arn")
        && parts.next().is_some_and(|p| p.starts_with("aws"))
        && parts.next() == Some("emr-serverless");
    let region = parts.next()?;
    let plausible = region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (ok && plausible && !region.is_empty()).then(|| region.to_string())
}

impl ApiJobRun {
    /// The raw row. Only what cannot be a cell is an error here:
    /// `sparkSubmitParameters` that cannot be read (the record is then
    /// unreadable, as a CSV row with the wrong number of cells is).
    fn into_raw(self) -> Result<RawRun, Reject> {
        let time = |t: &Option<Timestamp>| t.as_ref().map(Timestamp::cell);
        let spark = match self
            .job_driver
            .and_then(|d| d.spark_submit)
            .and_then(|s| s.spark_submit_parameters)
        {
            Some(p) => SparkParams::parse(&p).map_err(|e| Reject::Unreadable {
                message: format!("sparkSubmitParameters: {e}"),
            })?,
            None => SparkParams::default(),
        };
        let region = match (self.region, self.arn.as_deref()) {
            (Some(r), _) => Some(r),
            (None, Some(arn)) => Some(region_from_arn(arn).ok_or_else(|| Reject::Unreadable {
                message: format!(
                    "arn '{arn}' is not an EMR Serverless job-run ARN \
                     (arn:aws:emr-serverless:REGION:ACCOUNT:/applications/ID/jobruns/ID), \
                     so the run's region is unknown"
                ),
            })?),
            (None, None) => None,
        };
        Ok(RawRun {
            region,
            application_id: self.application_id,
            application_name: self.application_name,
            architecture: self
                .architecture
                .or_else(|| self.tags.get("architecture").cloned()),
            job_run_id: self.job_run_id,
            attempt: self.attempt,
            job_name: self.name,
            state: self.state,
            release_label: self.release_label,
            created_at: time(&self.created_at),
            started_at: time(&self.started_at),
            ended_at: time(&self.ended_at),
            queued_ms: self.queued_duration_milliseconds,
            duration_s: self.total_execution_duration_seconds,
            billed: ApiUsage::cells(&self.billed_resource_utilization),
            total: ApiUsage::cells(&self.total_resource_utilization),
            executor_vcpu: spark.executor_cores,
            executor_memory_gb: spark.executor_memory_gb,
            executor_disk_gb: spark.executor_disk_gb,
            driver_vcpu: spark.driver_cores,
            driver_memory_gb: spark.driver_memory_gb,
            max_executors: spark.executor_limit().map(f64::from),
            source: Some("job_run_api".into()),
        })
    }
}

/// One JSON value as a raw row: `{"jobRun": {...}}` (the CLI's output) or a
/// bare job run.
fn to_raw(mut doc: serde_json::Value) -> Result<RawRun, Reject> {
    if !doc.is_object() {
        return Err(Reject::Unreadable {
            message: format!("expected a job run object, found {}", kind_of(&doc)),
        });
    }
    if let Some(inner) = doc.get_mut("jobRun").map(serde_json::Value::take) {
        doc = inner;
    }
    // The path names the field in error: `jobRun.applicationId: invalid
    // type: integer 123, expected a string`.
    serde_path_to_error::deserialize::<_, ApiJobRun>(doc)
        .map_err(|e| {
            let path = e.path().to_string();
            Reject::Unreadable {
                message: if path == "." {
                    format!("not a job run: {}", e.inner())
                } else {
                    format!("field {path}: {}", e.inner())
                },
            }
        })?
        .into_raw()
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true/false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
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

/// Longest JSON line read; longer is an error naming the line.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads get-job-run JSON from `input` in batches.
pub fn read(
    name: &str,
    input: impl Read,
    each: &mut dyn FnMut(Batch) -> Result<(), FileError>,
) -> Result<(), FileError> {
    let mut input = std::io::BufReader::with_capacity(1 << 20, input);
    let io = |source: std::io::Error| FileError::Io {
        path: name.into(),
        source,
    };
    // The first line that is not blank says which form this is.
    let mut first = Vec::new();
    let mut first_line = 0u64;
    loop {
        first.clear();
        let n = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut first)
            .map_err(io)?;
        first_line += 1;
        if n == 0 {
            return Err(FileError::Empty {
                file: name.to_string(),
            });
        }
        if !first.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    // Text from `bytes`, which start on line `line`; a byte that is not
    // UTF-8 is named by its line.
    let text_of = |bytes: &[u8], line: u64| -> Result<String, FileError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        String::from_utf8(bytes.to_vec()).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = line + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
            let utf16 = line == 1
                && (bytes.starts_with(b"\xff\xfe")
                    || bytes.starts_with(b"\xfe\xff")
                    || bytes.get(1) == Some(&0)
                    || bytes.first() == Some(&0));
            let gzip = line == 1 && bytes.starts_with(b"\x1f\x8b");
            FileError::NotText {
                file: name.to_string(),
                detail: if utf16 {
                    "it is UTF-16 text; JSON must be UTF-8: save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)".into()
                } else if gzip {
                    "it is gzip-compressed; decompress it first (gunzip)".into()
                } else {
                    format!("line {line} is not UTF-8; JSON must be UTF-8")
                },
            }
        })
    };
    let head = text_of(&first, first_line)?;
    let trimmed = head.trim_start();
    let one_line_object =
        trimmed.starts_with('{') && serde_json::from_str::<serde_json::Value>(head.trim()).is_ok();
    let mut part = PartBuilder::default();
    if one_line_object {
        // JSON Lines: streamed; a bad line is one unreadable record.
        let mut line_no = first_line;
        let mut line = head.clone().into_bytes();
        loop {
            if !line.iter().all(u8::is_ascii_whitespace) {
                let at = format!("{name}:{line_no}");
                if line.len() > MAX_LINE_BYTES {
                    return Err(FileError::LineTooLong {
                        file: name.to_string(),
                        line: line_no,
                        limit_mb: MAX_LINE_BYTES >> 20,
                    });
                }
                let parsed = std::str::from_utf8(&line)
                    .map_err(|_| Reject::Unreadable {
                        message: "not UTF-8 text".into(),
                    })
                    .and_then(|text| {
                        serde_json::from_str::<serde_json::Value>(text).map_err(|e| {
                            let what = if e.classify() == serde_json::error::Category::Eof {
                                "truncated JSON line (cut short?)"
                            } else {
                                "malformed JSON line"
                            };
                            Reject::Unreadable {
                                message: format!("{what}: {e}"),
                            }
                        })
                    })
                    .and_then(to_raw);
                match parsed {
                    Ok(row) => part.push(line_no, row),
                    Err(why) => part.unreadable(at, why),
                }
                if part.is_full() {
                    each(vec![part.take().map_err(polars_error(name))?])?;
                }
            }
            line.clear();
            let n = (&mut input)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(io)?;
            if n == 0 {
                break;
            }
            line_no += 1;
        }
        return each(vec![part.take().map_err(polars_error(name))?]);
    }
    // A whole document (or several, one after the other).
    let mut rest = Vec::new();
    input.read_to_end(&mut rest).map_err(io)?;
    let mut text = "\n".repeat(first_line as usize - 1);
    text.push_str(&head);
    text.push_str(&text_of(&rest, first_line + 1)?);
    if trimmed.starts_with('[') {
        // An array: all or nothing; its elements carry the array's line.
        let values: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| json_error(name, &e, 0))?;
        for v in values {
            match to_raw(v) {
                Ok(row) => part.push(first_line, row),
                Err(why) => part.unreadable(format!("{name}:{first_line}"), why),
            }
        }
    } else {
        let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
        // Lines are counted on from the last document, not from the top.
        let (mut counted, mut line) = (0usize, 1u64);
        loop {
            let start = stream.byte_offset();
            match stream.next() {
                None => break,
                Some(Ok(v)) => {
                    let skipped = text[start..].len() - text[start..].trim_start().len();
                    let at = start + skipped;
                    line +=
                        memchr::memchr_iter(b'\n', &text.as_bytes()[counted..at]).count() as u64;
                    counted = at;
                    match to_raw(v) {
                        Ok(row) => part.push(line, row),
                        Err(why) => part.unreadable(format!("{name}:{line}"), why),
                    }
                }
                Some(Err(e)) => return Err(json_error(name, &e, 0)),
            }
        }
    }
    each(vec![part.take().map_err(polars_error(name))?])
}

fn polars_error(name: &str) -> impl Fn(polars::prelude::PolarsError) -> FileError + '_ {
    move |e| FileError::BadTable {
        file: name.to_string(),
        message: format!("cannot build the run table: {e}"),
    }
}
