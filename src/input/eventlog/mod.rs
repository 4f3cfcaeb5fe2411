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

pub use codec::{decode, open as open_local, Codec};
pub use derive::{estimate, AppEstimate, Sizes};
pub use parse::{AppLog, Problem};

use crate::model::{JobRun, JobState, UsageSource};
use crate::pipeline::Defaults as InputDefaults;

/// One application's log: its files in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSource {
    /// The file, or the rolled-log folder (a local path, or an
    /// `s3://bucket/key` name).
    pub path: PathBuf,
    pub files: Vec<PathBuf>,
    /// The EMR Serverless job run this log belongs to, when it sits in
    /// EMR Serverless's layout.
    pub serverless: Option<ServerlessRun>,
}

/// An EMR Serverless job run, named by where its log is:
/// `<logUri>/applications/<appId>/jobs/<jobRunId>/sparklogs/...`
/// (FACTS.md section 11), in S3 or copied to a local disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ServerlessRun {
    pub application_id: String,
    pub job_run_id: String,
}

/// The EMR Serverless job run a log's path names, if it follows the layout.
pub fn serverless_run_of(path: &str) -> Option<ServerlessRun> {
    let parts: Vec<&str> = path.split('/').collect();
    let run = |app: &str, run: &str| {
        (!app.is_empty() && !run.is_empty()).then(|| ServerlessRun {
            application_id: app.to_string(),
            job_run_id: run.to_string(),
        })
    };
    parts
        .windows(5)
        .rev()
        .find_map(|w| match w {
            ["applications", app, "jobs", r, "sparklogs"] => run(app, r),
            _ => None,
        })
        // A retried run's attempts may keep their logs apart
        // (`jobs/<run>/attempts/<n>/sparklogs/`; unverified, so both are read).
        .or_else(|| {
            parts.windows(7).rev().find_map(|w| match w {
                ["applications", app, "jobs", r, "attempts", _, "sparklogs"] => run(app, r),
                _ => None,
            })
        })
}

fn source(path: PathBuf, files: Vec<PathBuf>) -> LogSource {
    let serverless = serverless_run_of(&path.to_string_lossy());
    LogSource {
        path,
        files,
        serverless,
    }
}

/// The number in a rolled log's `events_<n>_<appId>` file name.
fn rolled_number(name: &str) -> Option<u64> {
    name.strip_prefix("events_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}

fn skip_name(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".crc") || name.starts_with("appstatus_")
}

/// What [`group_names`] left out, and why.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Skipped {
    /// Spark's bookkeeping (`appstatus_*`, `.crc`, hidden names) and
    /// folder markers.
    pub bookkeeping: usize,
    /// Other logs beside the event logs (EMR's driver, executor and step
    /// logs), left out because the prefix holds `sparklogs/` folders.
    pub not_event_logs: usize,
}

/// Object names under a prefix (`s3://bucket/key`), grouped into one
/// source per application the way [`discover`] groups a folder: a rolled
/// log's `events_<n>_*` files in order of `n`, any other file on its own.
/// Where some names sit under a `sparklogs/` folder (the EMR Serverless and
/// EMR on EC2 layouts), only those are event logs; the rest is counted.
pub fn group_names(mut names: Vec<String>) -> (Vec<LogSource>, Skipped) {
    names.sort();
    let mut skipped = Skipped::default();
    // The key, without `s3://bucket/` (a bucket may be named sparklogs).
    let key_of = |n: &str| -> String {
        match n.strip_prefix("s3://") {
            Some(rest) => rest.split_once('/').map_or("", |(_, k)| k).to_string(),
            None => n.to_string(),
        }
    };
    // Folders that hold a `sparklogs/` (a job run's, a cluster's): their
    // other files are that run's driver, executor and step logs.
    let roots: std::collections::BTreeSet<String> = names
        .iter()
        .filter_map(|n| {
            let k = format!("/{}", key_of(n));
            k.find("/sparklogs/").map(|i| k[..i + 1].to_string())
        })
        .collect();
    let beside_sparklogs = |n: &str| {
        let k = format!("/{}", key_of(n));
        !k.contains("/sparklogs/") && roots.iter().any(|r| k.starts_with(r.as_str()))
    };
    let mut out: Vec<LogSource> = Vec::new();
    let mut rolled: std::collections::BTreeMap<String, Vec<(u64, String)>> = Default::default();
    for name in names {
        let (parent, file) = name.rsplit_once('/').unwrap_or(("", name.as_str()));
        if file.is_empty() || skip_name(file) {
            skipped.bookkeeping += 1;
            continue;
        }
        if beside_sparklogs(&name) {
            skipped.not_event_logs += 1;
            continue;
        }
        let folder = parent.rsplit('/').next().unwrap_or(parent);
        if folder.starts_with("eventlog_v2_") {
            match rolled_number(file) {
                Some(n) => rolled
                    .entry(parent.to_string())
                    .or_default()
                    .push((n, name.clone())),
                None => skipped.bookkeeping += 1,
            }
        } else {
            out.push(source(PathBuf::from(&name), vec![PathBuf::from(&name)]));
        }
    }
    for (folder, mut files) in rolled {
        files.sort();
        out.push(source(
            PathBuf::from(folder),
            files.into_iter().map(|(_, n)| PathBuf::from(n)).collect(),
        ));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    (out, skipped)
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
    skip_name(p.file_name().and_then(|n| n.to_str()).unwrap_or(""))
}

/// The `events_<n>_...` files of a rolled log, by `n`.
fn rolled_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && !skip_file(p))
                .filter_map(|p| Some((rolled_number(p.file_name()?.to_str()?)?, p)))
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
                self.out.push(source(path.to_path_buf(), files));
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
            self.out
                .push(source(path.to_path_buf(), vec![path.to_path_buf()]));
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

/// Opens one of a source's files as decompressed lines.
pub type Opener<'a> =
    dyn Fn(&Path) -> std::io::Result<Box<dyn std::io::BufRead + Send>> + Sync + 'a;

/// Reads one application's local files and derives its estimate.
pub fn import_one(source: LogSource) -> Imported {
    import_one_with(source, &codec::open)
}

/// Reads one application's files through `open` (local files, S3
/// objects) and derives its estimate.
pub fn import_one_with(source: LogSource, open: &Opener<'_>) -> Imported {
    let mut log = AppLog::default();
    let mut errors = Vec::new();
    for file in &source.files {
        let before = log.bytes;
        match open(file).and_then(|mut r| log.read(&mut *r)) {
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

/// Imports every local source, in parallel, keeping the input order.
pub fn import_all(sources: Vec<LogSource>) -> Vec<Imported> {
    import_all_with(sources, &codec::open, &|_| {})
}

/// Imports every source through `open`, in parallel, keeping the input
/// order; `done` is told of each application as it is read (a progress bar).
pub fn import_all_with(
    sources: Vec<LogSource>,
    open: &Opener<'_>,
    done: &(dyn Fn(&Imported) + Sync),
) -> Vec<Imported> {
    sources
        .into_par_iter()
        .map(|s| {
            let imported = import_one_with(s, open);
            done(&imported);
            imported
        })
        .collect()
}

impl Imported {
    /// The job record for this application, or `None` if it has no estimate.
    pub fn job_run(&self, defaults: &InputDefaults) -> Option<JobRun> {
        let e = self.estimate.as_ref().ok()?;
        let name = self.log.app_name.clone();
        let app_id = match &self.source.serverless {
            Some(r) => r.job_run_id.clone(),
            None => self
                .log
                .app_id
                .clone()
                .unwrap_or_else(|| self.source.path.display().to_string()),
        };
        // An EMR Serverless run's log keeps the run's own ids, so that once
        // the run is collected the billed record supersedes this estimate
        // (a dataset's collected runs are read after its other files).
        let application_id = match &self.source.serverless {
            Some(r) => r.application_id.clone(),
            None => format!("eventlog:{}", name.as_deref().unwrap_or("unnamed")),
        };
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
            application_id,
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
            tags: None,
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
