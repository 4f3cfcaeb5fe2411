//! emrcost's CSV format for job runs: one row per run, documented header.
//!
//! The same format is read by `price`/`report` and written by `synth`.
//! Empty cells mean "not known". Times are ISO 8601 (RFC 3339) in UTC.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::files::{InputDefaults, Rejected};
use crate::model::{Architecture, JobRun, ResourceUsage, UsageSource};

/// Every column, in the order `synth` writes them. See the README for units.
pub const CSV_COLUMNS: &[&str] = &[
    "region",
    "application_id",
    "application_name",
    "architecture",
    "job_run_id",
    "attempt",
    "job_name",
    "state",
    "release_label",
    "created_at",
    "started_at",
    "ended_at",
    "queued_ms",
    "duration_s",
    "billed_vcpu_hours",
    "billed_memory_gb_hours",
    "billed_storage_gb_hours",
    "total_vcpu_hours",
    "total_memory_gb_hours",
    "total_storage_gb_hours",
    "executor_vcpu",
    "executor_memory_gb",
    "executor_disk_gb",
    "driver_vcpu",
    "driver_memory_gb",
    "max_executors",
    "peak_executors",
    "incomplete",
    "source",
];

/// Columns a file must have; every other column may be left out.
pub const CSV_REQUIRED: &[&str] = &["application_id", "job_run_id", "state"];

/// Records with their line numbers, and the rows that were rejected.
pub(crate) type Parsed = (Vec<(u64, JobRun)>, Vec<Rejected>);

/// A header problem: fatal for the file.
pub(crate) fn check_header(headers: &csv::StringRecord) -> Result<HashMap<String, usize>, String> {
    let mut index = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        if !CSV_COLUMNS.contains(&h) {
            return Err(format!(
                "unknown column '{h}'. Known columns: {}",
                CSV_COLUMNS.join(",")
            ));
        }
        if index.insert(h.to_string(), i).is_some() {
            return Err(format!("column '{h}' appears twice"));
        }
    }
    for col in CSV_REQUIRED {
        if !index.contains_key(*col) {
            return Err(format!(
                "missing required column '{col}' (required: {})",
                CSV_REQUIRED.join(", ")
            ));
        }
    }
    Ok(index)
}

struct Cells<'r> {
    record: &'r csv::StringRecord,
    index: &'r HashMap<String, usize>,
}

impl Cells<'_> {
    fn get(&self, col: &str) -> Option<&str> {
        let i = *self.index.get(col)?;
        self.record.get(i).map(str::trim).filter(|v| !v.is_empty())
    }

    fn text(&self, col: &str) -> Option<String> {
        self.get(col).map(str::to_string)
    }

    fn number(&self, col: &str) -> Result<Option<f64>, String> {
        self.get(col)
            .map(|v| match v.parse::<f64>() {
                Ok(n) if !n.is_finite() => Err(format!("{col} is '{v}', not a finite number")),
                Ok(n) if n < 0.0 => Err(format!("{col} is {v}; it cannot be negative")),
                Ok(n) => Ok(n),
                Err(_) => Err(format!("{col} is '{v}', which is not a number")),
            })
            .transpose()
    }

    fn whole(&self, col: &str) -> Result<Option<u64>, String> {
        self.get(col)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| format!("{col} is '{v}'; expected a whole number of zero or more"))
            })
            .transpose()
    }

    fn time(&self, col: &str) -> Result<Option<DateTime<Utc>>, String> {
        self.get(col)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| format!("{col} is '{v}'; expected an ISO 8601 time such as 2026-01-31T12:00:00Z"))
            })
            .transpose()
    }

    fn usage(&self, prefix: &str) -> Result<Option<ResourceUsage>, String> {
        let v = self.number(&format!("{prefix}_vcpu_hours"))?;
        let m = self.number(&format!("{prefix}_memory_gb_hours"))?;
        let s = self.number(&format!("{prefix}_storage_gb_hours"))?;
        if v.is_none() && m.is_none() && s.is_none() {
            return Ok(None);
        }
        Ok(Some(ResourceUsage {
            vcpu_hours: v.unwrap_or(0.0),
            memory_gb_hours: m.unwrap_or(0.0),
            storage_gb_hours: s.unwrap_or(0.0),
        }))
    }
}

fn row_to_job(cells: &Cells<'_>, defaults: &InputDefaults) -> Result<JobRun, String> {
    let required = |col: &str| cells.text(col).ok_or_else(|| format!("{col} is empty"));
    let architecture = match cells.get("architecture") {
        Some(a) => a.parse::<Architecture>()?,
        None => defaults.architecture,
    };
    let region = cells
        .text("region")
        .or_else(|| defaults.region.clone())
        .ok_or("region is empty; fill it in or pass --region")?;
    let attempt = match cells.whole("attempt")? {
        Some(a) => u32::try_from(a).map_err(|_| format!("attempt {a} is too large"))?,
        None => 1,
    };
    let max_executors = match cells.whole("max_executors")? {
        Some(n) => Some(u32::try_from(n).map_err(|_| format!("max_executors {n} is too large"))?),
        None => None,
    };
    let peak_executors = match cells.whole("peak_executors")? {
        Some(n) => Some(u32::try_from(n).map_err(|_| format!("peak_executors {n} is too large"))?),
        None => None,
    };
    let incomplete = match cells.get("incomplete") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(format!("incomplete is '{other}'; expected true or false")),
    };
    let source = match cells.get("source") {
        Some(s) => s.parse()?,
        None => UsageSource::Csv,
    };
    Ok(JobRun {
        region,
        application_id: required("application_id")?,
        application_name: cells.text("application_name"),
        architecture,
        job_run_id: required("job_run_id")?,
        attempt,
        job_name: cells.text("job_name"),
        state: required("state")?.parse()?,
        release_label: cells.text("release_label"),
        created_at: cells.time("created_at")?,
        started_at: cells.time("started_at")?,
        ended_at: cells.time("ended_at")?,
        queued_ms: cells.whole("queued_ms")?,
        duration_s: cells.number("duration_s")?,
        billed: cells.usage("billed")?,
        total: cells.usage("total")?,
        executor_vcpu: positive(cells.number("executor_vcpu")?, "executor_vcpu")?,
        executor_memory_gb: positive(cells.number("executor_memory_gb")?, "executor_memory_gb")?,
        executor_disk_gb: cells.number("executor_disk_gb")?,
        driver_vcpu: positive(cells.number("driver_vcpu")?, "driver_vcpu")?,
        driver_memory_gb: positive(cells.number("driver_memory_gb")?, "driver_memory_gb")?,
        max_executors,
        peak_executors,
        incomplete,
        source,
    })
}

fn positive(v: Option<f64>, col: &str) -> Result<Option<f64>, String> {
    match v {
        Some(0.0) => Err(format!("{col} is 0; a worker needs more than nothing")),
        other => Ok(other),
    }
}

/// Reads a CSV text. A bad header is fatal (`Err`); a bad row is rejected
/// with its line number and the other rows are kept.
pub(crate) fn read(
    file: &str,
    text: &str,
    defaults: &InputDefaults,
) -> Result<Parsed, (u64, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| (1, e.to_string()))?.clone();
    let index = check_header(&headers).map_err(|e| (1, e))?;
    let mut runs = Vec::new();
    let mut rejected = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let cells = Cells {
                    record: &record,
                    index: &index,
                };
                match row_to_job(&cells, defaults) {
                    Ok(run) => runs.push((line, run)),
                    Err(reason) => rejected.push(Rejected {
                        location: format!("{file}:{line}"),
                        reason,
                    }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("the row has {len} fields but the header has {expected_len}"),
                    _ => e.to_string(),
                };
                rejected.push(Rejected {
                    location: format!("{file}:{line}"),
                    reason,
                });
            }
        }
    }
    Ok((runs, rejected))
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn time(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Writes job runs in emrcost's CSV format, every column present.
pub fn write_csv<W: Write>(out: W, runs: &[JobRun]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    for r in runs {
        let usage = |u: &Option<ResourceUsage>| -> [String; 3] {
            match u {
                Some(u) => [
                    format!("{}", u.vcpu_hours),
                    format!("{}", u.memory_gb_hours),
                    format!("{}", u.storage_gb_hours),
                ],
                None => Default::default(),
            }
        };
        let [bv, bm, bs] = usage(&r.billed);
        let [tv, tm, ts] = usage(&r.total);
        w.write_record([
            r.region.clone(),
            r.application_id.clone(),
            opt(&r.application_name),
            r.architecture.to_string(),
            r.job_run_id.clone(),
            r.attempt.to_string(),
            opt(&r.job_name),
            r.state.to_string(),
            opt(&r.release_label),
            time(&r.created_at),
            time(&r.started_at),
            time(&r.ended_at),
            opt(&r.queued_ms),
            opt(&r.duration_s),
            bv,
            bm,
            bs,
            tv,
            tm,
            ts,
            opt(&r.executor_vcpu),
            opt(&r.executor_memory_gb),
            opt(&r.executor_disk_gb),
            opt(&r.driver_vcpu),
            opt(&r.driver_memory_gb),
            opt(&r.max_executors),
            opt(&r.peak_executors),
            r.incomplete.to_string(),
            r.source.as_str().to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
