//! Spark event logs: what jobs that ran elsewhere (EMR on EC2, Glue, any
//! cluster) used, and what they would cost on EMR Serverless, EMR on EC2 and
//! Glue. FACTS.md section 8.
//!
//! Each application's log (a file, or a rolled `eventlog_v2_<appId>/`
//! folder) is read as a stream, in parallel across applications. Odd input
//! never stops the others: every problem is listed with its file and line.

mod codec;
mod derive;
mod parse;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use codec::Codec;
pub use derive::{estimate, AppEstimate, Sizes};
pub use parse::{AppLog, Problem};

use crate::model::{JobRun, JobState, UsageSource};
use crate::pipeline::Defaults as InputDefaults;

/// One application's log: its files in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSource {
    /// The file, or the rolled-log folder.
    pub path: PathBuf,
    pub files: Vec<PathBuf>,
}

/// What importing one application gave.
#[derive(Debug)]
pub struct Imported {
    pub source: LogSource,
    pub log: AppLog,
    /// The estimate, or why there is none.
    pub estimate: Result<AppEstimate, String>,
    /// File-level problems (unreadable, wrong suffix, empty).
    pub errors: Vec<String>,
}

/// A path that could not be used at all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathProblem {
    pub path: String,
    pub message: String,
}

fn is_rolled_dir(p: &Path) -> bool {
    p.is_dir()
        && p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("eventlog_v2_"))
}

fn skip_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with('.') || name.ends_with(".crc") || name.starts_with("appstatus_")
}

/// The `events_<n>_...` files of a rolled log, by `n`.
fn rolled_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && !skip_file(p))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_string();
                    let n = name
                        .strip_prefix("events_")?
                        .split('_')
                        .next()?
                        .parse()
                        .ok()?;
                    Some((n, p))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// A walk over the inputs: what was found, what could not be used, and
/// every file and folder already seen (by device and inode), so that a
/// file reached twice (through a symlink, or named twice) is read once and
/// a symlink loop ends.
#[derive(Default)]
struct Walk {
    out: Vec<LogSource>,
    problems: Vec<PathProblem>,
    seen: std::collections::HashSet<(u64, u64)>,
}

impl Walk {
    fn problem(&mut self, path: &Path, message: impl Into<String>) {
        self.problems.push(PathProblem {
            path: path.display().to_string(),
            message: message.into(),
        });
    }

    /// `path` as named by the user (`top`) or found inside a folder. A
    /// symlink inside a folder is followed to a file, never to a folder:
    /// folders are walked only as given, so the walk stays in the tree.
    fn visit(&mut self, path: &Path, top: bool) {
        use std::os::unix::fs::MetadataExt;
        let link = std::fs::symlink_metadata(path);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                let message = match (&link, e.raw_os_error()) {
                    (_, Some(libc::ELOOP)) => "a loop of symbolic links; skipped".to_string(),
                    (Ok(l), _) if l.file_type().is_symlink() => {
                        "a symbolic link to nothing; skipped".to_string()
                    }
                    (Err(_), _) if e.kind() == std::io::ErrorKind::NotFound => {
                        "no such file or folder".to_string()
                    }
                    _ => format!("cannot read it: {e}"),
                };
                return self.problem(path, message);
            }
        };
        let is_link = link.is_ok_and(|l| l.file_type().is_symlink());
        if meta.is_dir() && is_link && !top {
            return self.problem(
                path,
                "a symbolic link to a folder; not followed (name the folder itself to read it)",
            );
        }
        if !self.seen.insert((meta.dev(), meta.ino())) {
            if top {
                self.problem(
                    path,
                    "named more than once (or the same file under another name); read once",
                );
            }
            return;
        }
        if is_rolled_dir(path) {
            let files = rolled_files(path);
            if files.is_empty() {
                self.problem(
                    path,
                    "a rolled event-log folder with no events_<n>_<appId> files",
                );
            } else {
                self.out.push(LogSource {
                    path: path.to_path_buf(),
                    files,
                });
            }
        } else if meta.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
                Err(e) => return self.problem(path, format!("cannot list the folder: {e}")),
            };
            entries.sort();
            for p in entries {
                if p.is_dir() || !skip_file(&p) {
                    self.visit(&p, false);
                }
            }
        } else if meta.is_file() {
            self.out.push(LogSource {
                path: path.to_path_buf(),
                files: vec![path.to_path_buf()],
            });
        } else {
            self.problem(
                path,
                format!("{}, not a regular file; skipped", crate::files::kind(&meta)),
            );
        }
    }
}

/// Files, folders (searched for logs and rolled-log folders) and glob
/// patterns, expanded to one source per application.
pub fn discover(inputs: &[String]) -> (Vec<LogSource>, Vec<PathProblem>) {
    let mut walk = Walk::default();
    for input in inputs {
        if input.contains(['*', '?', '[']) {
            match glob::glob(input) {
                Ok(paths) => {
                    let mut any = false;
                    for p in paths.filter_map(Result::ok) {
                        any = true;
                        walk.visit(&p, true);
                    }
                    if !any {
                        walk.problems.push(PathProblem {
                            path: input.clone(),
                            message: "the pattern matches nothing".into(),
                        });
                    }
                }
                Err(e) => walk.problems.push(PathProblem {
                    path: input.clone(),
                    message: format!("not a valid pattern: {e}"),
                }),
            }
        } else {
            walk.visit(Path::new(input), true);
        }
    }
    (walk.out, walk.problems)
}

/// Reads one application's files and derives its estimate.
pub fn import_one(source: LogSource) -> Imported {
    let mut log = AppLog::default();
    let mut errors = Vec::new();
    for file in &source.files {
        let before = log.bytes;
        match codec::open(file).and_then(|mut r| log.read(&mut *r)) {
            Ok(()) if log.bytes == before => {
                errors.push(format!("{}: the file is empty", file.display()))
            }
            Ok(()) => {}
            Err(e) => errors.push(format!("{}: {e}", file.display())),
        }
    }
    let estimate = if log.bytes == 0 {
        Err("nothing could be read".to_string())
    } else {
        estimate(&log)
    };
    Imported {
        source,
        log,
        estimate,
        errors,
    }
}

/// Imports every source, in parallel, keeping the input order.
pub fn import_all(sources: Vec<LogSource>) -> Vec<Imported> {
    sources.into_par_iter().map(import_one).collect()
}

impl Imported {
    /// The job record for this application, or `None` if it has no estimate.
    pub fn job_run(&self, defaults: &InputDefaults) -> Option<JobRun> {
        let e = self.estimate.as_ref().ok()?;
        let name = self.log.app_name.clone();
        let app_id = self
            .log
            .app_id
            .clone()
            .unwrap_or_else(|| self.source.path.display().to_string());
        let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms);
        let state = if !e.complete {
            JobState::Running
        } else if self.log.jobs_failed > 0 {
            JobState::Failed
        } else {
            JobState::Success
        };
        let max = self
            .log
            .properties
            .get("spark.dynamicAllocation.maxExecutors")
            .or_else(|| self.log.properties.get("spark.executor.instances"))
            .and_then(|v| v.parse().ok());
        Some(JobRun {
            region: defaults
                .region
                .clone()
                .unwrap_or_else(|| "us-east-1".to_string()),
            application_id: format!("eventlog:{}", name.as_deref().unwrap_or("unnamed")),
            application_name: name.clone(),
            architecture: defaults.architecture,
            job_run_id: app_id,
            attempt: 1,
            job_name: name,
            state,
            release_label: self
                .log
                .spark_version
                .as_ref()
                .map(|v| format!("spark-{v}")),
            created_at: time(e.start_ms),
            started_at: time(e.start_ms),
            ended_at: time(e.end_ms),
            queued_ms: None,
            duration_s: Some(e.duration_s),
            billed: Some(e.serverless_billed),
            total: Some(e.raw),
            executor_vcpu: Some(e.sizes.executor_cores),
            executor_memory_gb: Some(e.sizes.executor_heap_gb),
            executor_disk_gb: Some(e.sizes.executor_disk_gb),
            driver_vcpu: Some(e.sizes.driver_cores),
            driver_memory_gb: Some(e.sizes.driver_heap_gb),
            max_executors: max,
            peak_executors: Some(e.peak_executors),
            incomplete: !e.complete,
            source: UsageSource::EventLog,
            glue: None,
            glue_worker_type: None,
            ec2_cost_usd: None,
            ec2_cluster_id: None,
            account_id: None,
        })
    }

    /// Problems in reading order: file errors, then the log's own.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.errors.clone();
        let shown = self.source.path.display().to_string();
        for p in &self.log.problems {
            out.push(match p.line {
                Some(l) => format!("{shown}: line {l}: {}", p.message),
                None => format!("{shown}: {}", p.message),
            });
        }
        if self.log.removed_never_added > 1 {
            out.push(format!(
                "{shown}: {} ExecutorRemoved events for executors never added (ignored)",
                self.log.removed_never_added
            ));
        }
        if let Ok(e) = &self.estimate {
            if !e.complete {
                out.push(format!(
                    "{shown}: no SparkListenerApplicationEnd (crashed, still running or cut short): priced up to the last event and marked incomplete"
                ));
            }
        }
        if let Err(why) = &self.estimate {
            out.push(format!("{shown}: not priced: {why}"));
        }
        out
    }
}
