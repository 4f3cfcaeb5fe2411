//! Per-run rows streamed to a file as they are priced (`emrcost price
//! --format csv|jsonl|parquet`): memory stays flat however many runs.
//!
//! Rows go to a temporary file; [`RowFile::finish`] syncs it and hands it
//! back to be renamed into place (or copied to standard output). A file
//! dropped unfinished is removed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::csv::{job_record, JOB_COLUMNS};
use crate::report::JobLine;

/// The streamable formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    Csv,
    JsonLines,
    Parquet,
}

/// Rows per Parquet row group.
const PARQUET_ROWS: usize = 1 << 16;

enum Out {
    Csv(Box<::csv::Writer<BufWriter<File>>>),
    JsonLines(BufWriter<File>),
    Parquet {
        writer: Box<Option<polars::io::parquet::write::BatchedWriter<File>>>,
        file: Option<File>,
        buffer: Vec<JobLine>,
    },
}

/// A row file being written.
pub struct RowFile {
    path: PathBuf,
    out: Out,
    rows: usize,
    done: bool,
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl RowFile {
    /// Creates `path` (a temporary name; the caller renames it).
    pub fn create(path: &Path, format: RowFormat) -> std::io::Result<RowFile> {
        let file = File::create(path)?;
        let out = match format {
            RowFormat::Csv => {
                let mut w = ::csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
                w.write_record(JOB_COLUMNS)?;
                Out::Csv(Box::new(w))
            }
            RowFormat::JsonLines => Out::JsonLines(BufWriter::with_capacity(1 << 20, file)),
            RowFormat::Parquet => Out::Parquet {
                writer: Box::new(None),
                file: Some(file),
                buffer: Vec::with_capacity(PARQUET_ROWS),
            },
        };
        Ok(RowFile {
            path: path.to_path_buf(),
            out,
            rows: 0,
            done: false,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn write(&mut self, line: &JobLine) -> std::io::Result<()> {
        self.rows += 1;
        match &mut self.out {
            Out::Csv(w) => w.write_record(job_record(line)).map_err(io_err),
            Out::JsonLines(w) => {
                serde_json::to_writer(&mut *w, line).map_err(io_err)?;
                w.write_all(b"\n")
            }
            Out::Parquet {
                writer,
                file,
                buffer,
            } => {
                buffer.push(line.clone());
                if buffer.len() >= PARQUET_ROWS {
                    flush_parquet(writer, file, buffer)?;
                }
                Ok(())
            }
        }
    }

    /// Flushes and syncs the file and returns its path.
    pub fn finish(mut self) -> std::io::Result<PathBuf> {
        match &mut self.out {
            Out::Csv(w) => w.flush()?,
            Out::JsonLines(w) => w.flush()?,
            Out::Parquet {
                writer,
                file,
                buffer,
            } => {
                if !buffer.is_empty() || writer.is_none() {
                    flush_parquet(writer, file, buffer)?;
                }
                if let Some(w) = writer.take() {
                    w.finish().map_err(io_err)?;
                }
            }
        }
        File::open(&self.path)?.sync_all()?;
        self.done = true;
        Ok(self.path.clone())
    }
}

impl Drop for RowFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn flush_parquet(
    writer: &mut Option<polars::io::parquet::write::BatchedWriter<File>>,
    file: &mut Option<File>,
    buffer: &mut Vec<JobLine>,
) -> std::io::Result<()> {
    let df = frame(buffer).map_err(io_err)?;
    if writer.is_none() {
        let f = file
            .take()
            .ok_or_else(|| io_err("the Parquet writer was already used"))?;
        *writer = Some(ParquetWriter::new(f).batched(df.schema()).map_err(io_err)?);
    }
    if let Some(w) = writer.as_mut() {
        w.write_batch(&df).map_err(io_err)?;
    }
    buffer.clear();
    Ok(())
}

/// Per-run lines as a frame, typed (the CSV's columns).
fn frame(lines: &[JobLine]) -> PolarsResult<DataFrame> {
    let s = |n: &str, f: &dyn Fn(&JobLine) -> Option<String>| {
        Column::new(n.into(), lines.iter().map(f).collect::<Vec<_>>())
    };
    let n = |name: &str, f: &dyn Fn(&JobLine) -> Option<f64>| {
        Column::new(name.into(), lines.iter().map(f).collect::<Vec<_>>())
    };
    let u = |name: &str, f: &dyn Fn(&JobLine) -> Option<u32>| {
        Column::new(name.into(), lines.iter().map(f).collect::<Vec<_>>())
    };
    DataFrame::new(vec![
        s("region", &|j| Some(j.region.clone())),
        s("application_id", &|j| Some(j.application_id.clone())),
        s("application_name", &|j| j.application_name.clone()),
        s("job_run_id", &|j| Some(j.job_run_id.clone())),
        u("attempt", &|j| Some(j.attempt)),
        s("job_name", &|j| j.job_name.clone()),
        s("state", &|j| Some(j.state.clone())),
        s("architecture", &|j| Some(j.architecture.clone())),
        s("month", &|j| j.month.clone()),
        n("runtime_s", &|j| Some(j.runtime_s)),
        n("queued_s", &|j| j.queued_s),
        s("shape_basis", &|j| Some(j.shape_basis.clone())),
        n("executors", &|j| Some(j.executors)),
        n("executor_vcpu", &|j| Some(j.executor_vcpu)),
        n("executor_memory_gb", &|j| Some(j.executor_memory_gb)),
        n("serverless_usd", &|j| Some(j.serverless_usd)),
        s("serverless_basis", &|j| Some(j.serverless_basis.clone())),
        n("billed_vcpu_hours", &|j| Some(j.billed_vcpu_hours)),
        n("billed_memory_gb_hours", &|j| {
            Some(j.billed_memory_gb_hours)
        }),
        n("billed_storage_gb_hours", &|j| {
            Some(j.billed_storage_gb_hours)
        }),
        s("ec2_instance_type", &|j| j.ec2_instance_type.clone()),
        u("ec2_core_nodes", &|j| j.ec2_core_nodes),
        n("ec2_usd", &|j| j.ec2_usd),
        n("ec2_spot_usd", &|j| j.ec2_spot_usd),
        s("glue_worker_type", &|j| j.glue_worker_type.clone()),
        u("glue_workers", &|j| j.glue_workers),
        n("glue_usd", &|j| j.glue_usd),
        n("glue_flex_usd", &|j| j.glue_flex_usd),
        s("cheapest", &|j| Some(j.cheapest.key().to_string())),
        s("not_priced_on", &|j| Some(j.not_priced_on.join("; "))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Parquet file has the CSV's columns, in the same order.
    #[test]
    fn parquet_rows_have_the_csv_columns() {
        let names: Vec<String> = frame(&[])
            .unwrap()
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, JOB_COLUMNS);
    }
}
