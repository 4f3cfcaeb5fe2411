//! Per-run rows streamed to a file as they are priced (`emrcost price
//! --format csv|jsonl|parquet`): memory stays flat however many runs.
//!
//! Rows go to a temporary file; [`RowFile::finish`] syncs it and hands it
//! back to be renamed into place (or copied to standard output). A file
//! dropped unfinished is removed.

use std::fs::File;
use std::io::{BufWriter, Write};

use polars::prelude::*;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};

use super::csv::{push_job, JOB_COLUMNS};
use crate::report::JobLine;

/// The streamable formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    Csv,
    JsonLines,
    Parquet,
}

enum Out {
    /// CSV and JSON Lines: rows arrive as encoded bytes.
    Text(BufWriter<File>),
    Parquet {
        writer: Box<Option<polars::io::parquet::write::BatchedWriter<File>>>,
        file: Option<File>,
        /// Parts not written yet: a CSV part is a few thousand rows, and
        /// each write is a row group, so parts are gathered to at least
        /// [`ROW_GROUP`] rows first.
        pending: Option<DataFrame>,
    },
}

/// The fewest rows in a Parquet row group but the last (the Parquet
/// reader's part size). Row groups of a CSV block's few thousand rows made
/// `price` from CSV to Parquet about a third slower than to CSV, and its
/// file larger.
const ROW_GROUP: usize = crate::input::PART_ROWS;

/// Emptied vectors kept for reuse. A part's rows are some 20-30 MB (its
/// lines, then its text), and a fresh vector each part had the kernel
/// fault in and zero its pages every time.
pub struct Spare<T> {
    pool: std::sync::Mutex<Vec<Vec<T>>>,
    /// The most kept: more are dropped.
    keep: usize,
}

/// Text buffers the writer hands back once written, for later parts.
pub type Buffers = Spare<u8>;

/// Vectors kept by default: those being filled on the pricing threads and
/// those waiting for the writer.
const KEPT: usize = 8;

impl<T> Default for Spare<T> {
    fn default() -> Self {
        Spare::new(KEPT)
    }
}

impl<T> Spare<T> {
    pub fn new(keep: usize) -> Self {
        Spare {
            pool: Default::default(),
            keep,
        }
    }

    /// An empty vector with room for at least `room` items.
    pub fn take(&self, room: usize) -> Vec<T> {
        let mut v = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        v.reserve(room);
        v
    }

    /// Empties `v` and keeps it, unless enough are kept already.
    pub fn give(&self, mut v: Vec<T>) {
        v.clear();
        if let Ok(mut pool) = self.pool.lock() {
            if pool.len() < self.keep {
                pool.push(v);
            }
        }
    }
}

/// Rows encoded for a file (in parallel, away from the writer).
pub enum Encoded {
    Bytes(Vec<u8>),
    Frame(DataFrame),
}

impl RowFormat {
    /// Encodes `lines` as this format: CSV rows (no header), JSON lines, or
    /// a Parquet row group's frame.
    /// Text formats fill a buffer from `buffers`.
    pub fn encode(self, lines: &[JobLine], buffers: &Buffers) -> std::io::Result<Encoded> {
        match self {
            RowFormat::Csv => {
                let mut out = buffers.take(lines.len() * 400);
                for l in lines {
                    push_job(&mut out, l);
                }
                Ok(Encoded::Bytes(out))
            }
            RowFormat::JsonLines => {
                let mut out = buffers.take(lines.len() * 640);
                for l in lines {
                    serde_json::to_writer(&mut out, l).map_err(io_err)?;
                    out.push(b'\n');
                }
                Ok(Encoded::Bytes(out))
            }
            RowFormat::Parquet => Ok(Encoded::Frame(frame(lines).map_err(io_err)?)),
        }
    }
}

/// A row file being written.
pub struct RowFile {
    out: Out,
    rows: usize,
    buffers: std::sync::Arc<Buffers>,
    /// The same open file, to start its write-out as it grows.
    disk: Option<File>,
    /// Rows written since the write-out was last started.
    unsent: usize,
}

/// Rows between starts of the disk write (some 20 MB of CSV).
const WRITEBACK_ROWS: usize = 1 << 16;

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl RowFile {
    /// Starts writing rows to `file` (a temporary file; the caller renames
    /// it). Text written is handed back to `buffers`.
    pub fn create(
        file: File,
        format: RowFormat,
        buffers: std::sync::Arc<Buffers>,
    ) -> std::io::Result<RowFile> {
        // Standard output copied from a scratch file has no need of it, but
        // it does no harm there either.
        let disk = file.try_clone().ok();
        let out = match format {
            RowFormat::Csv => {
                let mut w = BufWriter::with_capacity(1 << 20, file);
                let mut header = ::csv::Writer::from_writer(Vec::new());
                header.write_record(JOB_COLUMNS)?;
                w.write_all(&header.into_inner().map_err(io_err)?)?;
                Out::Text(w)
            }
            RowFormat::JsonLines => Out::Text(BufWriter::with_capacity(1 << 20, file)),
            RowFormat::Parquet => Out::Parquet {
                writer: Box::new(None),
                file: Some(file),
                pending: None,
            },
        };
        Ok(RowFile {
            out,
            rows: 0,
            buffers,
            disk,
            unsent: 0,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends rows encoded by [`RowFormat::encode`] for this file's format.
    pub fn write(&mut self, rows: usize, e: Encoded) -> std::io::Result<()> {
        self.rows += rows;
        self.unsent += rows;
        if self.unsent >= WRITEBACK_ROWS {
            self.unsent = 0;
            if let Some(f) = &self.disk {
                crate::files::start_writeback(f);
            }
        }
        match (&mut self.out, e) {
            (Out::Text(w), Encoded::Bytes(b)) => {
                w.write_all(&b)?;
                self.buffers.give(b);
                Ok(())
            }
            (
                Out::Parquet {
                    writer,
                    file,
                    pending,
                },
                Encoded::Frame(df),
            ) => {
                let df = match pending.take() {
                    Some(mut p) => {
                        p.vstack_mut(&df).map_err(io_err)?;
                        p
                    }
                    None => df,
                };
                if df.height() < ROW_GROUP {
                    *pending = Some(df);
                    return Ok(());
                }
                write_group(writer, file, df)
            }
            _ => Err(io_err("rows encoded for another format")),
        }
    }

    /// Flushes the file (the caller syncs and renames it).
    pub fn finish(mut self) -> std::io::Result<()> {
        match &mut self.out {
            Out::Text(w) => w.flush()?,
            Out::Parquet {
                writer,
                file,
                pending,
            } => {
                if let Some(df) = pending.take() {
                    write_group(writer, file, df)?;
                }
                if writer.is_none() {
                    // No rows: an empty file with the columns.
                    let mut df = frame(&[]).map_err(io_err)?;
                    if let Some(f) = file.take() {
                        parquet_writer(f).finish(&mut df).map_err(io_err)?;
                    }
                }
                if let Some(w) = writer.take() {
                    w.finish().map_err(io_err)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes `df` as one row group, starting the writer on the first.
fn write_group(
    writer: &mut Option<polars::io::parquet::write::BatchedWriter<File>>,
    file: &mut Option<File>,
    mut df: DataFrame,
) -> std::io::Result<()> {
    // One chunk, one row group (the writer makes one of each chunk).
    df.as_single_chunk();
    if writer.is_none() {
        let f = file
            .take()
            .ok_or_else(|| io_err("the Parquet writer was already used"))?;
        *writer = Some(parquet_writer(f).batched(df.schema()).map_err(io_err)?);
    }
    match writer.as_mut() {
        Some(w) => w.write_batch(&df).map_err(io_err),
        None => Err(io_err("no Parquet writer")),
    }
}

/// The per-run Parquet writer: zstd at level 1, the fast end of the codec
/// (`price` writes millions of rows; level 3, polars' default, took about
/// a tenth of `price`'s time compressing).
fn parquet_writer(f: File) -> ParquetWriter<File> {
    let level = ZstdLevel::try_new(1).ok();
    ParquetWriter::new(f).with_compression(ParquetCompression::Zstd(level))
}

/// Per-run lines as a frame, typed (the CSV's columns). Text is borrowed
/// from the lines, not copied twice.
/// A column of optional numbers, its values and its mask of empty cells
/// built apart (polars' one-value-at-a-time builder was a tenth of `price`'s
/// time to Parquet). Without an empty cell it has no mask, as polars'
/// builder leaves it.
fn numbers<T: PolarsNumericType>(
    name: &str,
    lines: &[JobLine],
    f: &dyn Fn(&JobLine) -> Option<T::Native>,
) -> Column
where
    ChunkedArray<T>: IntoSeries,
{
    let mut values = Vec::with_capacity(lines.len());
    let mut valid = MutableBitmap::with_capacity(lines.len());
    let mut empty = false;
    for j in lines {
        let v = f(j);
        empty |= v.is_none();
        valid.push(v.is_some());
        values.push(v.unwrap_or_default());
    }
    let mask = empty.then(|| Bitmap::from(valid));
    ChunkedArray::<T>::from_vec_validity(name.into(), values, mask)
        .into_series()
        .into()
}

fn frame(lines: &[JobLine]) -> PolarsResult<DataFrame> {
    let s = |n: &str, f: &dyn Fn(&JobLine) -> Option<&str>| {
        Column::new(n.into(), lines.iter().map(f).collect::<Vec<_>>())
    };
    let n =
        |name: &str, f: &dyn Fn(&JobLine) -> Option<f64>| numbers::<Float64Type>(name, lines, f);
    let u = |name: &str, f: &dyn Fn(&JobLine) -> Option<u32>| numbers::<UInt32Type>(name, lines, f);
    // "option: reason" for each option not priced; most runs have none.
    let not_priced: Vec<std::borrow::Cow<'_, str>> = lines
        .iter()
        .map(|j| match j.not_priced_on.as_slice() {
            [] => "".into(),
            [one] => one.as_str().into(),
            many => many.join("; ").into(),
        })
        .collect();
    DataFrame::new(vec![
        s("region", &|j| Some(&j.region)),
        s("application_id", &|j| Some(&j.application_id)),
        s("application_name", &|j| j.application_name.as_deref()),
        s("job_run_id", &|j| Some(&j.job_run_id)),
        u("attempt", &|j| Some(j.attempt)),
        s("job_name", &|j| j.job_name.as_deref()),
        s("state", &|j| Some(&j.state)),
        s("architecture", &|j| Some(&j.architecture)),
        s("month", &|j| j.month.as_deref()),
        n("runtime_s", &|j| Some(j.runtime_s)),
        n("queued_s", &|j| j.queued_s),
        s("shape_basis", &|j| Some(&j.shape_basis)),
        n("executors", &|j| Some(j.executors)),
        n("peak_executors", &|j| Some(j.peak_executors)),
        Column::new(
            "peak_estimated".into(),
            lines.iter().map(|j| j.peak_estimated).collect::<Vec<_>>(),
        ),
        n("executor_vcpu", &|j| Some(j.executor_vcpu)),
        n("executor_memory_gb", &|j| Some(j.executor_memory_gb)),
        n("serverless_usd", &|j| Some(j.serverless_usd)),
        s("serverless_basis", &|j| Some(&j.serverless_basis)),
        n("billed_vcpu_hours", &|j| Some(j.billed_vcpu_hours)),
        n("billed_memory_gb_hours", &|j| {
            Some(j.billed_memory_gb_hours)
        }),
        n("billed_storage_gb_hours", &|j| {
            Some(j.billed_storage_gb_hours)
        }),
        s("ec2_instance_type", &|j| j.ec2_instance_type.as_deref()),
        u("ec2_core_nodes", &|j| j.ec2_core_nodes),
        n("ec2_usd", &|j| j.ec2_usd),
        n("ec2_spot_usd", &|j| j.ec2_spot_usd),
        s("glue_worker_type", &|j| j.glue_worker_type.as_deref()),
        u("glue_workers", &|j| j.glue_workers),
        n("glue_usd", &|j| j.glue_usd),
        n("glue_flex_usd", &|j| j.glue_flex_usd),
        s("eks_instance_type", &|j| j.eks_instance_type.as_deref()),
        u("eks_nodes", &|j| j.eks_nodes),
        n("eks_usd", &|j| j.eks_usd),
        n("ec2_usd_at_average", &|j| j.ec2_usd_at_average),
        n("glue_usd_at_average", &|j| j.glue_usd_at_average),
        n("ec2_graviton_usd", &|j| j.ec2_graviton_usd),
        s("cheapest", &|j| Some(j.cheapest.key())),
        Column::new(
            "not_priced_on".into(),
            not_priced
                .iter()
                .map(|r| Some(r.as_ref()))
                .collect::<Vec<_>>(),
        ),
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
