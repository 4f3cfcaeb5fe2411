//! emrcost's CSV format: one row per run, a header naming run-table
//! columns (any order, any subset that holds the required ones).
//!
//! The reader streams: the file is read in blocks, each cut after the last
//! line end that is outside quotes, and the blocks are parsed in parallel
//! into text columns (empty cells are missing). Typing the cells (numbers,
//! times) is the check's job, so a bad cell reads the same in CSV as in any
//! other format. Memory stays flat however long the file is.

use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use polars::prelude::*;
use polars_arrow::array::{Utf8ViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::buffer::Buffer;
use rayon::prelude::*;

use super::{Batch, Locator, Part};
use crate::model::{schema, JobRun, Reject, ResourceUsage};

/// Bytes per block (one parallel task; about 6,000 rows of emrcost's CSV).
const BLOCK: usize = 2 << 20;
/// Blocks parsed together, one batch.
const BLOCKS_PER_BATCH: usize = 32;
/// The longest row read (a quote left open would otherwise read the whole
/// file as one row).
pub const MAX_ROW_BYTES: usize = 64 << 20;

/// A CSV that cannot be read at all (the header, or the file itself).
#[derive(Debug)]
pub struct CsvError {
    pub line: u64,
    pub message: String,
}

fn err(line: u64, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

/// The header: column names of the run table, each once.
fn header(line: &[u8]) -> Result<Vec<String>, CsvError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut rec = csv::StringRecord::new();
    match r.read_record(&mut rec) {
        Ok(true) => {}
        Ok(false) => return Err(err(1, "no header line")),
        Err(e) => {
            let why = if line.starts_with(b"\xff\xfe")
                || line.starts_with(b"\xfe\xff")
                || line.get(1) == Some(&0)
            {
                "it is UTF-16 text; CSV must be UTF-8: save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"
                    .to_string()
            } else if line.starts_with(b"\x1f\x8b") || line.starts_with(b"\x28\xb5\x2f\xfd") {
                "it is compressed (gzip or zstd); decompress it first".to_string()
            } else {
                format!("the header is not readable: {e}")
            };
            return Err(err(1, why));
        }
    }
    let mut names: Vec<String> = Vec::with_capacity(rec.len());
    for h in rec.iter() {
        let h = h.trim().trim_start_matches('\u{feff}').to_string();
        if names.contains(&h) {
            return Err(err(1, format!("column '{h}' appears twice")));
        }
        if schema::column(&h).is_none() {
            return Err(err(
                1,
                format!(
                    "unknown column '{h}'. Known columns: {}",
                    schema::names().collect::<Vec<_>>().join(",")
                ),
            ));
        }
        names.push(h);
    }
    Ok(names)
}

/// The line ends of `buf` (which starts at a row) that end a row, read as
/// the csv crate reads quotes: a quote opens a quoted field only at the
/// start of a field; inside one, `""` is a quote and a lone `"` closes it;
/// elsewhere a quote is a plain character (`6" disk`).
fn row_ends(buf: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut inside = false;
    let mut skip = None;
    // Commas need not be visited: whether a quote starts a field is read
    // from the byte before it.
    memchr::memchr2_iter(b'"', b'\n', buf).filter_map(move |i| {
        if skip == Some(i) {
            return None;
        }
        match buf[i] {
            b'"' if inside => {
                if buf.get(i + 1) == Some(&b'"') {
                    skip = Some(i + 1);
                } else {
                    inside = false;
                }
                None
            }
            b'"' => {
                inside = i == 0 || matches!(buf[i - 1], b',' | b'\n' | b'\r');
                None
            }
            b'\n' if !inside => Some(i + 1),
            _ => None,
        }
    })
}

/// Where to cut `buf` so that every row before the cut is whole: just
/// after the last line end that ends a row.
fn cut(buf: &[u8]) -> Option<usize> {
    row_ends(buf).last()
}

/// Just after the first line end that ends a row.
fn first_line_end(buf: &[u8]) -> Option<usize> {
    row_ends(buf).next()
}

/// One block of whole rows, with the line number of its first row.
struct Block {
    bytes: Vec<u8>,
    first_line: u64,
}

/// The common block, read without the csv crate: no quote anywhere, no
/// carriage return but before a line end, and every row holding the
/// header's number of fields. Each cell becomes a view into the block
/// itself, nothing is copied. `None` sends the block to [`parse_block`],
/// which reads any CSV and says what is wrong with a row; both read the
/// same rows the same way (blank rows skipped, cells trimmed, empty cells
/// missing).
fn parse_plain(
    names: &[String],
    want: &[bool],
    bytes: &Buffer<u8>,
    first_line: u64,
) -> Option<Part> {
    // Checked as UTF-8 once, as a whole: rows and cells are cut at line
    // ends and commas (ASCII), so each is text too.
    if memchr::memchr(b'"', bytes).is_some() {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let rows_guess = bytes.len() / 128 + 1;
    let mut views: Vec<Vec<View>> = want
        .iter()
        .map(|w| Vec::with_capacity(if *w { rows_guess } else { 0 }))
        .collect();
    // Whether a column has an empty cell: only then is its mask of empty
    // cells built, from the views' lengths at the end (pushing a bit per
    // cell as it was read was a tenth of the parse).
    let mut some_empty = vec![false; names.len()];
    let mut text_len = vec![0usize; names.len()];
    let mut lines = Vec::with_capacity(rows_guess);
    let base = bytes.as_ptr() as usize;
    // Most files have no carriage return at all: rows are looked into for
    // one only when the block has some.
    let has_cr = memchr::memchr(b'\r', bytes).is_some();
    let mut at = 0;
    let mut line = first_line;
    while at < text.len() {
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(text.len(), |i| at + i);
        let mut row = &text[at..end];
        at = end + 1;
        let this_line = line;
        line += 1;
        if let Some(r) = row.strip_suffix('\r') {
            row = r;
        }
        if has_cr && memchr::memchr(b'\r', row.as_bytes()).is_some() {
            return None;
        }
        if row.bytes().all(|b| b == b',' || b.is_ascii_whitespace()) {
            continue;
        }
        let mut field = 0;
        let mut from = 0;
        for to in memchr::memchr_iter(b',', row.as_bytes()).chain(std::iter::once(row.len())) {
            if field >= names.len() {
                return None;
            }
            if want[field] {
                let cell = crate::model::trim_cell(&row[from..to]).as_bytes();
                let offset = u32::try_from(cell.as_ptr() as usize - base).ok()?;
                views[field].push(View::new_from_bytes(cell, 0, offset));
                some_empty[field] |= cell.is_empty();
                text_len[field] += cell.len();
            }
            field += 1;
            from = to + 1;
        }
        if field != names.len() {
            return None;
        }
        lines.push(this_line);
    }
    let buffers: std::sync::Arc<[Buffer<u8>]> = std::sync::Arc::from([bytes.clone()]);
    let mut columns = Vec::with_capacity(names.len());
    let columns_wanted = names
        .iter()
        .zip(views)
        .zip(some_empty)
        .zip(text_len)
        .zip(want)
        .filter_map(|(c, w)| w.then_some(c));
    for (((name, views), some_empty), text_len) in columns_wanted {
        let validity: Option<Bitmap> = some_empty.then(|| {
            let mut valid = MutableBitmap::with_capacity(views.len());
            valid.extend_from_trusted_len_iter(views.iter().map(|v| v.length > 0));
            valid.into()
        });
        // SAFETY: every view was made by `View::new_from_bytes` from a
        // slice of `bytes` at its own offset (so it lies inside buffer 0),
        // each is UTF-8 (the block is, and cells are cut at ASCII bytes and
        // character bounds), `text_len` is the sum of their lengths and the
        // one buffer is `bytes.len()` long. Debug builds check the bounds.
        let array = unsafe {
            Utf8ViewArray::new_unchecked(
                ArrowDataType::Utf8View,
                views.into(),
                buffers.clone(),
                validity,
                text_len,
                bytes.len(),
            )
        };
        columns.push(StringChunked::with_chunk(name.as_str().into(), array).into_column());
    }
    let frame = DataFrame::new(columns).ok()?;
    Some(Part {
        frame,
        at: Locator::Lines(lines),
        unreadable: Vec::new(),
    })
}

/// Parses a block into one part: a text column per wanted header column.
fn parse_block(
    name: &str,
    names: &[String],
    want: &[bool],
    bytes: &[u8],
    first_line: u64,
) -> Result<Part, String> {
    let mut builders: Vec<Option<StringChunkedBuilder>> = names
        .iter()
        .zip(want)
        .map(|(n, w)| w.then(|| StringChunkedBuilder::new(n.as_str().into(), BLOCK / 256)))
        .collect();
    let mut lines = Vec::new();
    let mut unreadable = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    loop {
        let line = first_line + reader.position().line() - 1;
        match reader.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                unreadable.push((
                    format!("{name}:{line}"),
                    Reject::Unreadable {
                        message: format!("not a CSV row: {e}"),
                    },
                ));
                continue;
            }
        }
        // The reader's position is where it started looking, before any
        // blank lines it skipped: the record starts after them.
        let (start_line, start_byte) = rec
            .position()
            .map_or((1, 0), |p| (p.line(), p.byte() as usize));
        let blank = bytes[start_byte.min(bytes.len())..]
            .iter()
            .take_while(|b| **b == b'\n' || **b == b'\r')
            .filter(|b| **b == b'\n')
            .count() as u64;
        let line = first_line + start_line - 1 + blank;
        if rec.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if rec.len() != names.len() {
            // A quote left open swallows the lines after it into one row:
            // say so, with how far it reaches, or the lost rows go unseen.
            let inner: usize = rec
                .iter()
                .map(|c| memchr::memchr_iter(b'\n', c).count())
                .sum::<usize>()
                - usize::from(rec.as_slice().ends_with(b"\n"));
            let reach = if inner > 0 {
                format!(
                    "; it runs over {} lines, to line {}: a quote opened in it is not closed, so those lines were read as one row. Close the quote",
                    inner + 1,
                    line + inner as u64
                )
            } else {
                String::new()
            };
            unreadable.push((
                format!("{name}:{line}"),
                Reject::Unreadable {
                    message: format!(
                        "the row has {} fields but the header has {}{reach}",
                        rec.len(),
                        names.len()
                    ),
                },
            ));
            continue;
        }
        // The record is checked as UTF-8 once, as a whole.
        let text = match csv::StringRecord::from_byte_record(std::mem::take(&mut rec)) {
            Ok(t) => t,
            Err(e) => {
                let field = e.utf8_error().field();
                rec = e.into_byte_record();
                unreadable.push((
                    format!("{name}:{line}"),
                    Reject::Unreadable {
                        message: format!(
                            "column '{}' is not UTF-8 text; save the file as UTF-8",
                            names.get(field).map_or("?", String::as_str)
                        ),
                    },
                ));
                continue;
            }
        };
        for (cell, b) in text.iter().zip(builders.iter_mut()) {
            let Some(b) = b else { continue };
            let cell = cell.trim();
            if cell.is_empty() {
                b.append_null();
            } else {
                b.append_value(cell);
            }
        }
        rec = text.into_byte_record();
        lines.push(line);
    }
    let columns: Vec<Column> = builders
        .into_iter()
        .flatten()
        .map(|b| b.finish().into_column())
        .collect();
    let frame = DataFrame::new(columns).map_err(|e| e.to_string())?;
    Ok(Part {
        frame,
        at: Locator::Lines(lines),
        unreadable,
    })
}

/// Reads a CSV stream in batches, handing each to `each` in file order.
/// `columns` limits the columns built (all when `None`). A bad header or an
/// I/O error is fatal; a bad row is an unreadable record and the rest go on.
pub fn read(
    name: &str,
    mut input: impl Read + Send,
    columns: Option<&[&str]>,
    each: &mut dyn FnMut(Batch) -> Result<(), super::FileError>,
) -> Result<(), super::FileError> {
    let fatal = |e: CsvError| super::FileError::BadCsv {
        file: name.to_string(),
        line: e.line,
        message: e.message,
    };
    let io = |source: std::io::Error| super::FileError::Io {
        path: name.into(),
        source,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK * 2);
    let mut eof = false;
    // The header: the first line (quotes in it are not expected, but a
    // quoted name with a line end in it still reads).
    let header_end = loop {
        if let Some(end) = first_line_end(&buf) {
            break end;
        }
        if eof {
            break buf.len();
        }
        if buf.len() > MAX_ROW_BYTES {
            return Err(super::FileError::LineTooLong {
                file: name.to_string(),
                line: 1,
                limit_mb: MAX_ROW_BYTES >> 20,
            });
        }
        eof = fill(&mut input, &mut buf).map_err(io)?;
    };
    let header_bytes: Vec<u8> = buf.drain(..header_end).collect();
    if header_bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(super::FileError::Empty {
            file: name.to_string(),
        });
    }
    let names = header(&header_bytes).map_err(fatal)?;
    let want: Vec<bool> = names
        .iter()
        .map(|n| columns.is_none_or(|c| c.contains(&n.as_str())))
        .collect();
    let first_line = header_bytes.iter().filter(|b| **b == b'\n').count() as u64;
    // A reader thread cuts the next blocks while this one parses and the
    // caller prices the last (reading is the one step that cannot be
    // spread over cores).
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Block>, super::FileError>>(1);
        scope.spawn(move || {
            let mut reader = Blocks {
                input,
                buf,
                eof,
                line: first_line,
            };
            loop {
                let next = reader.next_batch(name);
                let done = matches!(&next, Ok(b) if b.is_empty()) || next.is_err();
                if tx.send(next).is_err() || done {
                    return;
                }
            }
        });
        for blocks in rx {
            let blocks = blocks?;
            if blocks.is_empty() {
                return Ok(());
            }
            let parts: Result<Vec<Part>, String> = blocks
                .into_par_iter()
                .map(|b| {
                    let bytes = Buffer::from(b.bytes);
                    match parse_plain(&names, &want, &bytes, b.first_line) {
                        Some(part) => Ok(part),
                        None => parse_block(name, &names, &want, &bytes, b.first_line),
                    }
                })
                .collect();
            each(parts.map_err(|message| super::FileError::BadTable {
                file: name.to_string(),
                message,
            })?)?;
        }
        Ok(())
    })
}

/// Cuts a stream into blocks of whole rows.
struct Blocks<R> {
    input: R,
    /// Bytes read and not yet handed on.
    buf: Vec<u8>,
    eof: bool,
    /// Lines handed on so far.
    line: u64,
}

impl<R: Read> Blocks<R> {
    /// Up to [`BLOCKS_PER_BATCH`] blocks; none at the end of the input.
    fn next_batch(&mut self, name: &str) -> Result<Vec<Block>, super::FileError> {
        let io = |source: std::io::Error| super::FileError::Io {
            path: name.into(),
            source,
        };
        let mut blocks = Vec::with_capacity(BLOCKS_PER_BATCH);
        while blocks.len() < BLOCKS_PER_BATCH {
            while self.buf.len() < BLOCK && !self.eof {
                self.eof = fill(&mut self.input, &mut self.buf).map_err(io)?;
            }
            if self.buf.is_empty() {
                break;
            }
            let end = match cut(&self.buf) {
                Some(end) => end,
                // No line end outside quotes in a whole block: read on,
                // up to a bound (an unclosed quote would take the file).
                None if self.buf.len() > MAX_ROW_BYTES => {
                    return Err(super::FileError::LineTooLong {
                        file: name.to_string(),
                        line: self.line + 1,
                        limit_mb: MAX_ROW_BYTES >> 20,
                    });
                }
                None if !self.eof => {
                    self.eof = fill(&mut self.input, &mut self.buf).map_err(io)?;
                    continue;
                }
                None => self.buf.len(),
            };
            // The block keeps the buffer; the rest (less than a row, as a
            // rule) moves to a new one.
            let rest = self.buf.split_off(end);
            let bytes = std::mem::replace(&mut self.buf, rest);
            let lines = memchr::memchr_iter(b'\n', &bytes).count() as u64;
            blocks.push(Block {
                bytes,
                first_line: self.line + 1,
            });
            self.line += lines;
        }
        Ok(blocks)
    }
}

/// Appends up to a block of input to `buf`; `true` at the end of input.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    // Reserved first, so the read does not grow the buffer past a block;
    // `read_to_end` reads into the spare room without zeroing it.
    buf.reserve(BLOCK);
    let got = input.by_ref().take(BLOCK as u64).read_to_end(buf)?;
    Ok(got == 0)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn time(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Writes job runs in emrcost's CSV format, every run-table column present.
pub fn write_csv<W: Write>(out: W, runs: &[JobRun]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(schema::names())?;
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
            opt(&r.glue.map(|g| g.dpu)),
            opt(&r.glue.map(|g| g.workers)),
            opt(&r.glue_worker_type),
            r.glue
                .map(|g| format!("{}.{}", g.version.0, g.version.1))
                .unwrap_or_default(),
            r.glue
                .map(|g| if g.flex { "FLEX" } else { "STANDARD" }.to_string())
                .unwrap_or_default(),
            opt(&r.glue.and_then(|g| g.dpu_seconds)),
            opt(&r.ec2_cost_usd),
            opt(&r.ec2_cluster_id),
            opt(&r.account_id),
            opt(&r.tags),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<Part> {
        let mut out = Vec::new();
        read("t.csv", text.as_bytes(), None, &mut |b| {
            out.extend(b);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn rows_keep_their_line_numbers_across_quoted_line_ends() {
        let text = "application_id,job_run_id,state,job_name\n\
                    a,r1,SUCCESS,\"two\nlines\"\n\
                    \n\
                    a,r2,SUCCESS,plain\n\
                    a,r3,SUCCESS\n";
        let p = parts(text);
        let rows: usize = p.iter().map(|p| p.frame.height()).sum();
        assert_eq!(rows, 2);
        let Locator::Lines(lines) = &p[0].at else {
            panic!("text formats carry lines")
        };
        assert_eq!(lines, &vec![2, 5]);
        assert_eq!(p[0].unreadable[0].0, "t.csv:6");
        assert_eq!(
            p[0].unreadable[0].1.to_string(),
            "the row has 3 fields but the header has 4"
        );
        let names = p[0].frame.column("job_name").unwrap();
        assert_eq!(names.str().unwrap().get(0), Some("two\nlines"));
    }

    #[test]
    fn the_cut_is_after_the_last_line_end_outside_quotes() {
        assert_eq!(cut(b"a,b\nc,\"d\ne\""), Some(4));
        assert_eq!(cut(b"x,\"\ny\"\nz\n"), Some(9));
        assert_eq!(cut(b"no line end"), None);
        // A quote inside an unquoted field is a plain character.
        assert_eq!(cut(b"a,6\" disk,b\nc,d\n"), Some(16));
        // An escaped quote inside a quoted field does not close it.
        assert_eq!(cut(b"a,\"x\"\"\ny\"\nz\n"), Some(12));
        assert_eq!(first_line_end(b"h,\"a\nb\"\nr\n"), Some(8));
    }

    /// Blocks are cut at [`BLOCK`] bytes: a file of several blocks reads
    /// every row once, with the right line numbers.
    #[test]
    fn long_files_read_every_row_once() {
        let mut text = String::from("application_id,job_run_id,state\n");
        // Rows of 22 to 27 bytes: more than two blocks.
        let n = 2 * BLOCK / 22;
        for i in 0..n {
            text.push_str(&format!("app,\"run\n{i}\",SUCCESS\n"));
        }
        let p = parts(&text);
        let mut all = Vec::new();
        for part in &p {
            let Locator::Lines(l) = &part.at else {
                panic!()
            };
            all.extend(l.iter().copied());
            assert!(part.unreadable.is_empty());
        }
        assert_eq!(all.len(), n);
        for (i, l) in all.iter().enumerate() {
            assert_eq!(*l, 2 + 2 * i as u64);
        }
        assert!(p.len() > 1);
    }

    /// A quote left open reads the lines after it as one row, and the
    /// reason says how far it reaches.
    #[test]
    fn an_open_quote_says_how_many_lines_it_swallowed() {
        let text = "application_id,job_run_id,state\na,r1,SUCCESS\na,\"r2,SUCCESS\na,r3,SUCCESS\na,r4,SUCCESS\n";
        let p = parts(text);
        let rows: usize = p.iter().map(|p| p.frame.height()).sum();
        assert_eq!(rows, 1);
        let bad: Vec<&(String, Reject)> = p.iter().flat_map(|p| &p.unreadable).collect();
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "t.csv:3");
        assert_eq!(
            bad[0].1.to_string(),
            "the row has 2 fields but the header has 3; it runs over 3 lines, to line 5: a quote opened in it is not closed, so those lines were read as one row. Close the quote"
        );
    }

    /// A quote left open does not read the whole file as one row.
    #[test]
    fn an_unclosed_quote_stops_at_the_row_bound() {
        let mut text = String::from("application_id,job_run_id,state\na,\"r1,SUCCESS\n");
        let line = "x".repeat(1 << 20) + "\n";
        while text.len() <= MAX_ROW_BYTES + (4 << 20) {
            text.push_str(&line);
        }
        let e = read("q.csv", text.as_bytes(), None, &mut |_| Ok(())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "q.csv:2: a line longer than 64 MB; is this the right file?"
        );
    }

    #[test]
    fn a_repeated_column_is_fatal() {
        let e = read("d.csv", &b"state,state\n"[..], None, &mut |_| Ok(())).unwrap_err();
        assert_eq!(e.to_string(), "d.csv:1: column 'state' appears twice");
    }

    fn header_of(names: &[&str]) -> (Vec<String>, Vec<bool>) {
        (
            names.iter().map(|n| n.to_string()).collect(),
            vec![true; names.len()],
        )
    }

    fn cells(part: &Part, column: &str) -> Vec<Option<String>> {
        let c = part.frame.column(column).unwrap().str().unwrap().clone();
        c.into_iter().map(|v| v.map(str::to_string)).collect()
    }

    /// The plain path's answer on a block it takes: cells trimmed (ASCII
    /// and Unicode spaces), empty cells missing, blank rows and rows of
    /// bare commas skipped, CRLF line ends, and long cells (views into the
    /// block) kept whole.
    #[test]
    fn plain_blocks_are_read_without_the_csv_crate() {
        let (names, want) = header_of(&["application_id", "job_run_id", "state"]);
        let text = "app, run-with-a-long-identifier-0001 ,SUCCESS\r\n\
                    \n\
                    ,,\n\
                    \u{a0}x\u{a0},,FAILED\n\
                    b,r2,\t";
        let bytes = Buffer::from(text.as_bytes().to_vec());
        let part = parse_plain(&names, &want, &bytes, 7).expect("a plain block");
        assert_eq!(
            cells(&part, "job_run_id"),
            vec![
                Some("run-with-a-long-identifier-0001".to_string()),
                None,
                Some("r2".to_string())
            ]
        );
        assert_eq!(
            cells(&part, "application_id"),
            vec![Some("app".into()), Some("x".into()), Some("b".into())]
        );
        assert_eq!(
            cells(&part, "state"),
            vec![Some("SUCCESS".into()), Some("FAILED".into()), None]
        );
        let Locator::Lines(lines) = &part.at else {
            panic!("text formats carry lines")
        };
        assert_eq!(lines, &vec![7, 10, 11]);
    }

    /// Blocks the plain path leaves to the csv crate: quotes, a carriage
    /// return inside a row, a row with too few or too many fields, text
    /// that is not UTF-8.
    #[test]
    fn other_blocks_go_to_the_csv_crate() {
        let (names, want) = header_of(&["application_id", "job_run_id", "state"]);
        for text in [
            &b"a,\"r1\",SUCCESS\n"[..],
            b"a,6\" disk,SUCCESS\n",
            b"a,r\r1,SUCCESS\n",
            b"a,r1\n",
            b"a,r1,SUCCESS,extra\n",
            b"a,r\xff1,SUCCESS\n",
            b"a,r\xffwith-a-long-tail-past-twelve,SUCCESS\n",
        ] {
            let bytes = Buffer::from(text.to_vec());
            assert!(
                parse_plain(&names, &want, &bytes, 2).is_none(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    /// Both paths read a plain block to the same rows, line numbers and
    /// cells, over random blocks of short, long, padded and empty cells,
    /// blank rows and CRLF line ends; only the wanted columns are built.
    #[test]
    fn the_plain_path_reads_what_the_csv_crate_reads() {
        let names: Vec<String> = ["application_id", "job_run_id", "state", "job_name", "tags"]
            .iter()
            .map(|n| n.to_string())
            .collect();
        let pieces = [
            "",
            "a",
            " padded ",
            "exactly-12ch",
            "thirteen-char",
            "a-much-longer-cell-than-twelve-bytes",
            "\u{2003}em space\u{2003}",
            "ünï",
            "\t",
        ];
        let mut x: u64 = 0xD1B5_4A32_D192_ED03;
        let mut next = |k: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % k
        };
        for round in 0..300 {
            let mut text = String::new();
            for _ in 0..next(40) + 1 {
                match next(12) {
                    0 => text.push('\n'),
                    1 => text.push_str(" ,\t,,,\n"),
                    _ => {
                        let row: Vec<&str> = (0..names.len())
                            .map(|_| pieces[next(pieces.len() as u64) as usize])
                            .collect();
                        text.push_str(&row.join(","));
                        text.push_str(if next(4) == 0 { "\r\n" } else { "\n" });
                    }
                }
            }
            if next(3) == 0 {
                // No line end after the last row.
                text = text.trim_end_matches(['\r', '\n']).to_string();
            }
            let want: Vec<bool> = (0..names.len()).map(|i| i != round % 5).collect();
            let bytes = Buffer::from(text.as_bytes().to_vec());
            let plain = parse_plain(&names, &want, &bytes, 2).expect("a plain block");
            let general = parse_block("t.csv", &names, &want, &bytes, 2).unwrap();
            assert!(general.unreadable.is_empty());
            assert!(
                plain.frame.equals_missing(&general.frame),
                "{text:?}: {:?} against {:?}",
                plain.frame,
                general.frame
            );
            let (Locator::Lines(a), Locator::Lines(b)) = (&plain.at, &general.at) else {
                panic!("text formats carry lines")
            };
            assert_eq!(a, b, "{text:?}");
        }
    }
}
