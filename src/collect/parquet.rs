//! Parquet datasets (through polars): the same columns as the CSV format,
//! typed, with times as UTC timestamps. `synth --out x.parquet` writes them
//! in batches; `price` and `report` read them like CSV.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::csv_format::{Parsed, CSV_REQUIRED};
use super::files::{FileError, Rejected};
use crate::model::{Architecture, JobRun, JobState, ResourceUsage, UsageSource};

fn ms(t: &Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

fn strs<'a>(name: &str, v: impl Iterator<Item = Option<&'a str>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<Option<&str>>>())
}

fn f64s(name: &str, v: impl Iterator<Item = Option<f64>>) -> Column {
    Column::new(name.into(), v.collect::<Vec<Option<f64>>>())
}

fn times(name: &str, v: impl Iterator<Item = Option<i64>>) -> PolarsResult<Column> {
    let ca = Int64Chunked::from_iter_options(name.into(), v);
    Ok(ca
        .into_datetime(TimeUnit::Milliseconds, Some("UTC".into()))
        .into_column())
}

/// One batch of runs as a data frame.
pub fn frame(runs: &[JobRun]) -> PolarsResult<DataFrame> {
    let usage = |f: fn(&JobRun) -> Option<ResourceUsage>, g: fn(&ResourceUsage) -> f64| {
        runs.iter().map(move |r| f(r).as_ref().map(g))
    };
    let cols = vec![
        strs("region", runs.iter().map(|r| Some(r.region.as_str()))),
        strs(
            "application_id",
            runs.iter().map(|r| Some(r.application_id.as_str())),
        ),
        strs(
            "application_name",
            runs.iter().map(|r| r.application_name.as_deref()),
        ),
        strs(
            "architecture",
            runs.iter().map(|r| Some(r.architecture.as_str())),
        ),
        strs(
            "job_run_id",
            runs.iter().map(|r| Some(r.job_run_id.as_str())),
        ),
        Column::new(
            "attempt".into(),
            runs.iter().map(|r| r.attempt).collect::<Vec<u32>>(),
        ),
        strs("job_name", runs.iter().map(|r| r.job_name.as_deref())),
        strs("state", runs.iter().map(|r| Some(r.state.as_str()))),
        strs(
            "release_label",
            runs.iter().map(|r| r.release_label.as_deref()),
        ),
        times("created_at", runs.iter().map(|r| ms(&r.created_at)))?,
        times("started_at", runs.iter().map(|r| ms(&r.started_at)))?,
        times("ended_at", runs.iter().map(|r| ms(&r.ended_at)))?,
        Column::new(
            "queued_ms".into(),
            runs.iter()
                .map(|r| r.queued_ms)
                .collect::<Vec<Option<u64>>>(),
        ),
        f64s("duration_s", runs.iter().map(|r| r.duration_s)),
        f64s("billed_vcpu_hours", usage(|r| r.billed, |u| u.vcpu_hours)),
        f64s(
            "billed_memory_gb_hours",
            usage(|r| r.billed, |u| u.memory_gb_hours),
        ),
        f64s(
            "billed_storage_gb_hours",
            usage(|r| r.billed, |u| u.storage_gb_hours),
        ),
        f64s("total_vcpu_hours", usage(|r| r.total, |u| u.vcpu_hours)),
        f64s(
            "total_memory_gb_hours",
            usage(|r| r.total, |u| u.memory_gb_hours),
        ),
        f64s(
            "total_storage_gb_hours",
            usage(|r| r.total, |u| u.storage_gb_hours),
        ),
        f64s("executor_vcpu", runs.iter().map(|r| r.executor_vcpu)),
        f64s(
            "executor_memory_gb",
            runs.iter().map(|r| r.executor_memory_gb),
        ),
        f64s("executor_disk_gb", runs.iter().map(|r| r.executor_disk_gb)),
        f64s("driver_vcpu", runs.iter().map(|r| r.driver_vcpu)),
        f64s("driver_memory_gb", runs.iter().map(|r| r.driver_memory_gb)),
        Column::new(
            "max_executors".into(),
            runs.iter()
                .map(|r| r.max_executors)
                .collect::<Vec<Option<u32>>>(),
        ),
        Column::new(
            "peak_executors".into(),
            runs.iter()
                .map(|r| r.peak_executors)
                .collect::<Vec<Option<u32>>>(),
        ),
        Column::new(
            "incomplete".into(),
            runs.iter().map(|r| r.incomplete).collect::<Vec<bool>>(),
        ),
        strs("source", runs.iter().map(|r| Some(r.source.as_str()))),
    ];
    DataFrame::new(cols)
}

/// Writes runs as Parquet, `batch` runs per row group, never holding more
/// than one batch.
pub fn write_parquet<W: Write>(
    out: W,
    runs: impl Iterator<Item = JobRun>,
    batch: usize,
) -> PolarsResult<usize> {
    let mut written = 0;
    let mut buf = Vec::with_capacity(batch);
    let mut writer: Option<polars::io::parquet::write::BatchedWriter<W>> = None;
    let mut out = Some(out);
    let mut flush = |buf: &mut Vec<JobRun>,
                     writer: &mut Option<polars::io::parquet::write::BatchedWriter<W>>|
     -> PolarsResult<()> {
        let df = frame(buf)?;
        if writer.is_none() {
            let w = out
                .take()
                .ok_or_else(|| polars_err!(ComputeError: "writer already used"))?;
            *writer = Some(ParquetWriter::new(w).batched(df.schema())?);
        }
        if let Some(w) = writer.as_mut() {
            w.write_batch(&df)?;
        }
        buf.clear();
        Ok(())
    };
    for run in runs {
        buf.push(run);
        written += 1;
        if buf.len() >= batch {
            flush(&mut buf, &mut writer)?;
        }
    }
    if !buf.is_empty() || writer.is_none() {
        flush(&mut buf, &mut writer)?;
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    Ok(written)
}

/// Reads a Parquet dataset. A missing required column is fatal; a bad row
/// is rejected with its row number and the rest are kept.
pub fn read_parquet(path: &Path) -> Result<Parsed, FileError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| FileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| FileError::BadParquet {
            file: name.clone(),
            message: format!("not a readable Parquet file: {e}"),
        })?;
    frame_runs(&df, &name, 0)
}

/// Reads a Parquet file in batches of `batch` rows, handing each batch's
/// frame and its first row's index to `f`; never holds more than a batch.
pub fn scan_batches(
    path: &Path,
    batch: usize,
    mut f: impl FnMut(DataFrame, usize) -> Result<(), FileError>,
) -> Result<usize, FileError> {
    let name = path.display().to_string();
    let bad = |message: String| FileError::BadParquet {
        file: name.clone(),
        message,
    };
    if !path.is_file() {
        return Err(FileError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let lf = LazyFrame::scan_parquet(path, ScanArgsParquet::default())
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let rows = lf
        .clone()
        .select([len()])
        .collect()
        .and_then(|df| {
            df.column("len")?
                .cast(&DataType::UInt64)?
                .u64()?
                .get(0)
                .ok_or_else(|| polars_err!(ComputeError: "no row count"))
        })
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))? as usize;
    let mut offset = 0;
    while offset < rows {
        let df = lf
            .clone()
            .slice(offset as i64, batch as IdxSize)
            .collect()
            .map_err(|e| bad(format!("rows {} to {}: {e}", offset + 1, offset + batch)))?;
        let n = df.height();
        if n == 0 {
            break;
        }
        f(df, offset)?;
        offset += n;
    }
    Ok(rows)
}

/// Converts a frame in the emrcost columns to job runs; `row_base` is the
/// index of its first row in the file, for messages.
pub fn frame_runs(df: &DataFrame, name: &str, row_base: usize) -> Result<Parsed, FileError> {
    frame_runs_with(df, name, row_base, true)
}

/// [`frame_runs`]; with `strings` false the identifying text (region,
/// application, names, job-run id, release) is checked but left empty in
/// the records, for callers that read it from the frame themselves: no
/// allocation per run.
pub fn frame_runs_with(
    df: &DataFrame,
    name: &str,
    row_base: usize,
    strings: bool,
) -> Result<Parsed, FileError> {
    let mut runs = Vec::with_capacity(df.height());
    let rejected = frame_runs_each(df, name, row_base, strings, |row, run| {
        runs.push((row, run))
    })?;
    Ok((runs, rejected))
}

/// [`frame_runs_with`], handing each run (with its 1-based row number) to
/// `each` as it is made instead of collecting them: no buffer of records.
/// Returns the rejected rows.
pub fn frame_runs_each(
    df: &DataFrame,
    name: &str,
    row_base: usize,
    strings: bool,
    mut each: impl FnMut(u64, JobRun),
) -> Result<Vec<Rejected>, FileError> {
    let bad = |message: String| FileError::BadParquet {
        file: name.to_string(),
        message,
    };
    for col in CSV_REQUIRED {
        if df.column(col).is_err() {
            return Err(bad(format!("missing required column '{col}'")));
        }
    }
    // Text is borrowed from polars and copied once, into the JobRun.
    let text = |c: &str| -> Result<Option<Vec<Option<&str>>>, FileError> {
        match df.column(c) {
            Err(_) => Ok(None),
            Ok(col) => {
                let ca = col.str().map_err(|e| bad(format!("column '{c}': {e}")))?;
                Ok(Some(ca.into_iter().collect()))
            }
        }
    };
    let num = |c: &str| -> Result<Option<Vec<Option<f64>>>, FileError> {
        match df.column(c) {
            Err(_) => Ok(None),
            Ok(col) => {
                let cast = col
                    .cast(&DataType::Float64)
                    .map_err(|e| bad(format!("column '{c}': {e}")))?;
                let ca = cast.f64().map_err(|e| bad(format!("column '{c}': {e}")))?;
                Ok(Some(ca.into_iter().collect()))
            }
        }
    };
    let time = |c: &str| -> Result<Option<Vec<Option<i64>>>, FileError> {
        match df.column(c) {
            Err(_) => Ok(None),
            Ok(col) => {
                let cast = col
                    .cast(&DataType::Datetime(
                        TimeUnit::Milliseconds,
                        Some("UTC".into()),
                    ))
                    .and_then(|c| c.cast(&DataType::Int64))
                    .map_err(|e| bad(format!("column '{c}': {e}")))?;
                let ca = cast.i64().map_err(|e| bad(format!("column '{c}': {e}")))?;
                Ok(Some(ca.into_iter().collect()))
            }
        }
    };
    let flag = |c: &str| -> Result<Option<Vec<Option<bool>>>, FileError> {
        match df.column(c) {
            Err(_) => Ok(None),
            Ok(col) => {
                let ca = col.bool().map_err(|e| bad(format!("column '{c}': {e}")))?;
                Ok(Some(ca.into_iter().collect()))
            }
        }
    };
    let n = df.height();
    let own = |s: &str| {
        if strings {
            s.to_string()
        } else {
            String::new()
        }
    };
    fn at_str<'a>(v: &Option<Vec<Option<&'a str>>>, i: usize) -> Option<&'a str> {
        v.as_ref().and_then(|v| v[i])
    }
    let atf = |v: &Option<Vec<Option<f64>>>, i: usize| v.as_ref().and_then(|v| v[i]);
    let att = |v: &Option<Vec<Option<i64>>>, i: usize| {
        v.as_ref()
            .and_then(|v| v[i])
            .and_then(DateTime::from_timestamp_millis)
    };
    let (region, app, app_name, arch, run_id, job, state, release, source) = (
        text("region")?,
        text("application_id")?,
        text("application_name")?,
        text("architecture")?,
        text("job_run_id")?,
        text("job_name")?,
        text("state")?,
        text("release_label")?,
        text("source")?,
    );
    let (attempt, queued, duration, max_e, peak_e) = (
        num("attempt")?,
        num("queued_ms")?,
        num("duration_s")?,
        num("max_executors")?,
        num("peak_executors")?,
    );
    let (bv, bm, bs, tv, tm, ts) = (
        num("billed_vcpu_hours")?,
        num("billed_memory_gb_hours")?,
        num("billed_storage_gb_hours")?,
        num("total_vcpu_hours")?,
        num("total_memory_gb_hours")?,
        num("total_storage_gb_hours")?,
    );
    let (ev, em, ed, dv, dm) = (
        num("executor_vcpu")?,
        num("executor_memory_gb")?,
        num("executor_disk_gb")?,
        num("driver_vcpu")?,
        num("driver_memory_gb")?,
    );
    let (created, started, ended) = (time("created_at")?, time("started_at")?, time("ended_at")?);
    let incomplete = flag("incomplete")?;

    let mut rejected = Vec::new();
    for i in 0..n {
        let row = (|| -> Result<JobRun, String> {
            let usage = |v: Option<f64>,
                         m: Option<f64>,
                         s: Option<f64>,
                         what: &str|
             -> Result<Option<ResourceUsage>, String> {
                if v.is_none() && m.is_none() && s.is_none() {
                    return Ok(None);
                }
                let u = ResourceUsage {
                    vcpu_hours: v.unwrap_or(0.0),
                    memory_gb_hours: m.unwrap_or(0.0),
                    storage_gb_hours: s.unwrap_or(0.0),
                };
                if let Some((f, x)) = u.invalid_field() {
                    return Err(format!("{what}_{f} is {x}; it cannot be negative"));
                }
                Ok(Some(u))
            };
            let non_neg = |v: Option<f64>, what: &str| match v {
                Some(x) if !(x.is_finite() && x >= 0.0) => {
                    Err(format!("{what} is {x}; it cannot be negative"))
                }
                other => Ok(other),
            };
            let whole = |v: Option<f64>, what: &str| -> Result<Option<u32>, String> {
                match v {
                    Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => {
                        Ok(Some(x as u32))
                    }
                    Some(x) => Err(format!("{what} is {x}; expected a whole number")),
                    None => Ok(None),
                }
            };
            Ok(JobRun {
                region: own(at_str(&region, i).ok_or("region is empty")?),
                application_id: own(at_str(&app, i).ok_or("application_id is empty")?),
                application_name: at_str(&app_name, i).filter(|_| strings).map(str::to_string),
                architecture: match at_str(&arch, i) {
                    Some(a) => a.parse::<Architecture>()?,
                    None => Architecture::X86_64,
                },
                job_run_id: own(at_str(&run_id, i).ok_or("job_run_id is empty")?),
                attempt: whole(atf(&attempt, i), "attempt")?.unwrap_or(1),
                job_name: at_str(&job, i).filter(|_| strings).map(str::to_string),
                state: at_str(&state, i)
                    .ok_or("state is empty")?
                    .parse::<JobState>()?,
                release_label: at_str(&release, i).filter(|_| strings).map(str::to_string),
                created_at: att(&created, i),
                started_at: att(&started, i),
                ended_at: att(&ended, i),
                queued_ms: non_neg(atf(&queued, i), "queued_ms")?.map(|q| q as u64),
                duration_s: non_neg(atf(&duration, i), "duration_s")?,
                billed: usage(atf(&bv, i), atf(&bm, i), atf(&bs, i), "billed")?,
                total: usage(atf(&tv, i), atf(&tm, i), atf(&ts, i), "total")?,
                executor_vcpu: non_neg(atf(&ev, i), "executor_vcpu")?,
                executor_memory_gb: non_neg(atf(&em, i), "executor_memory_gb")?,
                executor_disk_gb: non_neg(atf(&ed, i), "executor_disk_gb")?,
                driver_vcpu: non_neg(atf(&dv, i), "driver_vcpu")?,
                driver_memory_gb: non_neg(atf(&dm, i), "driver_memory_gb")?,
                max_executors: whole(atf(&max_e, i), "max_executors")?,
                peak_executors: whole(atf(&peak_e, i), "peak_executors")?,
                incomplete: incomplete.as_ref().and_then(|v| v[i]).unwrap_or(false),
                source: match at_str(&source, i) {
                    Some(s) => s.parse()?,
                    None => UsageSource::Csv,
                },
            })
        })();
        match row {
            Ok(run) => each((row_base + i) as u64 + 1, run),
            Err(reason) => rejected.push(Rejected {
                location: format!("{name}: row {}", row_base + i + 1),
                reason,
            }),
        }
    }
    Ok(rejected)
}
