//! What the user named on the command line, as sources: files by format,
//! collected dataset folders, the bundled sample. One dispatcher hands each
//! source to its reader; adding a format is a reader and a line here.

use std::path::{Path, PathBuf};

use super::{csv, json, parquet, Batch, Locator, Part};
use crate::collect::dataset::{self, IdleCapacity};

/// A file or folder that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}: no such file or folder; check the path", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: {what}, not a regular file: emrcost may read an input twice (to settle repeated runs), so save it to a file first", path.display())]
    NotRegular { path: PathBuf, what: &'static str },

    #[error("{}: a loop of symbolic links; point at the file itself", path.display())]
    LinkLoop { path: PathBuf },

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

    #[error("{file}: not UTF-8 text: {detail}")]
    NotText { file: String, detail: String },

    #[error("{file}:{line}:{column}: {message}")]
    MalformedJson {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{file}:{line}: a line longer than {limit_mb} MB; is this the right file?")]
    LineTooLong {
        file: String,
        line: u64,
        limit_mb: usize,
    },

    #[error("{file}: {message}")]
    BadParquet { file: String, message: String },

    #[error("{file}:{line}: {message}")]
    BadCsv {
        file: String,
        line: u64,
        message: String,
    },

    /// The file's columns do not make a run table (a required column is
    /// missing, an unknown column, a column of an unusable type).
    #[error("{file}: {message}")]
    BadTable { file: String, message: String },

    #[error("{dir}: {message}")]
    Dataset { dir: String, message: String },

    #[error(
        "{}: no .csv, .json, .jsonl, .ndjson or .parquet files here and not a collected dataset (subfolders are not read); name the files or their folder", path.display()
    )]
    NoInputs { path: PathBuf },

    /// Whoever took the batches stopped the reading (its own error says why).
    #[error("reading stopped")]
    Stopped,
}

/// One input.
#[derive(Debug, Clone)]
pub enum Source {
    Csv(PathBuf),
    Json(PathBuf),
    Parquet(PathBuf),
    /// A folder written by `emrcost collect` (its Parquet file and journal).
    Dataset(PathBuf),
    /// Text compiled into the binary (the sample), in emrcost's CSV format.
    Text {
        name: String,
        text: std::borrow::Cow<'static, str>,
    },
}

/// What a source carries beside its runs.
#[derive(Debug, Default)]
pub struct SourceExtras {
    /// Idle pre-initialized capacity, from a dataset collected with metrics.
    pub idle_capacity: Vec<IdleCapacity>,
    /// EMR on EC2 clusters' costs, from a dataset collected with
    /// `collect emr`.
    pub clusters: Vec<crate::collect::emr_ec2::ClusterCost>,
    /// EMR Serverless runs' event logs read beside them (`import eventlog`).
    pub event_logs: Vec<crate::collect::dataset::EventLogBeside>,
}

impl Source {
    /// The file or folder it reads.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Csv(p) | Source::Json(p) | Source::Parquet(p) | Source::Dataset(p) => Some(p),
            Source::Text { .. } => None,
        }
    }

    /// The name messages and reports use.
    pub fn name(&self) -> String {
        match self {
            Source::Csv(p) | Source::Json(p) | Source::Parquet(p) | Source::Dataset(p) => {
                p.display().to_string()
            }
            Source::Text { name, .. } => name.clone(),
        }
    }

    /// How many rows the source holds, where that is known without reading
    /// it (a Parquet file's metadata).
    pub fn rows_hint(&self) -> Option<usize> {
        match self {
            Source::Parquet(p) => parquet::row_count(p).ok(),
            _ => None,
        }
    }

    /// Reads the source, handing each batch to `each` in input order.
    /// `columns`, when given, are the only run-table columns wanted (a
    /// reader may still give more).
    pub fn read(
        &self,
        columns: Option<&[&str]>,
        each: &mut dyn FnMut(Batch) -> Result<(), FileError>,
    ) -> Result<SourceExtras, FileError> {
        let name = self.name();
        match self {
            Source::Csv(p) => csv::read(&name, open(p)?, columns, each)?,
            Source::Json(p) => json::read(&name, open(p)?, each)?,
            Source::Parquet(p) => {
                parquet::read(p, columns, each)?;
            }
            Source::Text { text, .. } => csv::read(&name, text.as_bytes(), columns, each)?,
            Source::Dataset(dir) => {
                let (runs, state, skipped) =
                    dataset::read(dir).map_err(|e| FileError::Dataset {
                        dir: name.clone(),
                        message: e.to_string(),
                    })?;
                let mut batch: Batch = runs
                    .chunks(super::PART_ROWS)
                    .enumerate()
                    .map(|(n, chunk)| {
                        Ok(Part {
                            frame: parquet::frame(chunk).map_err(|e| FileError::Dataset {
                                dir: name.clone(),
                                message: format!("cannot build the run table: {e}"),
                            })?,
                            at: Locator::Records {
                                first: (n * super::PART_ROWS) as u64 + 1,
                            },
                            unreadable: Vec::new(),
                        })
                    })
                    .collect::<Result<_, FileError>>()?;
                match batch.first_mut() {
                    Some(p) => p.unreadable = skipped,
                    None => batch.push(Part {
                        frame: parquet::frame(&[]).map_err(|e| FileError::Dataset {
                            dir: name.clone(),
                            message: e.to_string(),
                        })?,
                        at: Locator::Records { first: 1 },
                        unreadable: skipped,
                    }),
                }
                each(batch)?;
                return Ok(SourceExtras {
                    idle_capacity: state.idle_capacity,
                    clusters: state.clusters,
                    event_logs: state.event_logs,
                });
            }
        }
        Ok(SourceExtras::default())
    }
}

fn open(path: &Path) -> Result<std::fs::File, FileError> {
    // Opening a FIFO would wait for a writer; refuse anything but a file.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(FileError::NotRegular {
                path: path.to_path_buf(),
                what: crate::files::kind(&meta),
            });
        }
    }
    std::fs::File::open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound {
            path: path.to_path_buf(),
        },
        _ => FileError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// The sources behind the paths given: files by extension (else by their
/// first byte), folders as their `.json`, `.jsonl`, `.ndjson`, `.csv` and
/// `.parquet` files in name order, and collected datasets as a whole.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Source>, FileError> {
    let mut out = Vec::new();
    for p in paths {
        expand(p, &mut out)?;
    }
    Ok(out)
}

fn expand(path: &Path, out: &mut Vec<Source>) -> Result<(), FileError> {
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        _ if source.raw_os_error() == Some(libc::ELOOP) => FileError::LinkLoop {
            path: path.to_path_buf(),
        },
        std::io::ErrorKind::NotFound => FileError::NotFound {
            path: path.to_path_buf(),
        },
        _ => FileError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if meta.is_file() {
        out.push(by_format(path)?);
        return Ok(());
    }
    if !meta.is_dir() {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            what: crate::files::kind(&meta),
        });
    }
    let is_dataset = dataset::is_dataset(path);
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
        // A collected dataset's runs are read through its journal; its
        // Parquet file and the CSV copy `collect --csv` writes are the same
        // runs again.
        .filter(|p| {
            !(is_dataset
                && p.file_name()
                    .is_some_and(|n| n == dataset::RUNS_FILE || n == dataset::RUNS_CSV))
        })
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl" | "ndjson" | "csv" | "parquet")
            )
        })
        .filter(|p| match std::fs::metadata(p) {
            Ok(m) if m.is_file() => true,
            Ok(m) if m.is_dir() => false,
            Ok(m) => {
                tracing::warn!(
                    "{}: {}, not a regular file; skipped",
                    p.display(),
                    crate::files::kind(&m)
                );
                false
            }
            Err(e) => {
                tracing::warn!("{}: cannot read it ({e}); skipped", p.display());
                false
            }
        })
        .collect();
    found.sort();
    if found.is_empty() && !is_dataset {
        return Err(FileError::NoInputs {
            path: path.to_path_buf(),
        });
    }
    for f in found {
        out.push(by_format(&f)?);
    }
    // A dataset's collected runs come last: where another file in the
    // folder holds the same run (an event-log estimate of an EMR
    // Serverless run imported before the run was collected), the later
    // record wins, and that is the billed one.
    if is_dataset {
        out.push(Source::Dataset(path.to_path_buf()));
    }
    Ok(())
}

fn by_format(path: &Path) -> Result<Source, FileError> {
    let p = path.to_path_buf();
    Ok(match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => Source::Csv(p),
        Some("json" | "jsonl" | "ndjson") => Source::Json(p),
        Some("parquet") => Source::Parquet(p),
        _ => {
            // No telling extension: JSON starts with `{` or `[`, Parquet
            // with `PAR1`, anything else is taken for CSV.
            let mut head = [0u8; 64];
            let n = {
                use std::io::Read;
                let mut f = open(path)?;
                f.read(&mut head).map_err(|source| FileError::Io {
                    path: p.clone(),
                    source,
                })?
            };
            let head = &head[..n];
            if head.starts_with(b"PAR1") {
                Source::Parquet(p)
            } else if matches!(
                head.iter().find(|b| !b.is_ascii_whitespace()),
                Some(b'{' | b'[')
            ) {
                Source::Json(p)
            } else {
                Source::Csv(p)
            }
        }
    })
}
