//! The local dataset `emrcost collect` writes and `price`/`report` read.
//!
//! A dataset folder holds:
//! - `jobruns.parquet`: every collected run, one row per (region,
//!   application, job run, attempt), in the columns of the emrcost CSV;
//! - `.jobruns.journal`: runs fetched since the last compaction, one JSON
//!   line each, appended and fsynced as they arrive;
//! - `.emrcost-dataset.json`: applications, CloudWatch-derived figures and
//!   the collector's bookkeeping.
//!
//! A killed collection loses at most the line being written: a torn last
//! journal line is ignored, and a later line for the same key replaces an
//! earlier one, so replaying twice changes nothing. Compaction writes the
//! Parquet file and the state file to temporary names, fsyncs and renames
//! them, and only then removes the journal.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::input::FileError;
use crate::model::Reject;
use crate::model::{Architecture, JobRun};
use crate::pipeline::Defaults;

pub const RUNS_FILE: &str = "jobruns.parquet";
/// The CSV copy of the runs that `collect --csv` writes beside them.
pub const RUNS_CSV: &str = "jobruns.csv";
pub const JOURNAL_FILE: &str = ".jobruns.journal";
pub const STATE_FILE: &str = ".emrcost-dataset.json";
pub const STATE_VERSION: u32 = 1;

/// (region, application, job run, attempt): a record's identity.
pub type RunKey = (String, String, String, u32);

pub fn key_of(run: &JobRun) -> RunKey {
    (
        run.region.clone(),
        run.application_id.clone(),
        run.job_run_id.clone(),
        run.attempt,
    )
}

fn key_text(k: &RunKey) -> String {
    format!("{}/{}/{}#{}", k.0, k.1, k.2, k.3)
}

/// One worker type's pre-initialized capacity, from GetApplication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitialCapacity {
    pub worker_type: String,
    pub workers: u32,
    pub vcpu: f64,
    pub memory_gb: f64,
    pub disk_gb: f64,
}

/// What the collector learned about an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInfo {
    pub region: String,
    pub application_id: String,
    pub name: Option<String>,
    pub architecture: Architecture,
    pub release_label: Option<String>,
    pub initial_capacity: Vec<InitialCapacity>,
    /// `maximumCapacity`: vCPU, memory and disk across all workers at once.
    #[serde(default)]
    pub maximum_capacity: Option<MaximumCapacity>,
    /// `autoStartConfiguration.enabled` (AWS's default: on).
    #[serde(default)]
    pub auto_start: Option<bool>,
    /// `autoStopConfiguration`: enabled, and after how many idle minutes
    /// (AWS's default: on, 15).
    #[serde(default)]
    pub auto_stop: Option<bool>,
    #[serde(default)]
    pub idle_timeout_minutes: Option<u32>,
    /// `schedulerConfiguration` (emr-7.0.0+): concurrent runs and queue timeout.
    #[serde(default)]
    pub max_concurrent_runs: Option<u32>,
    #[serde(default)]
    pub queue_timeout_minutes: Option<u32>,
    /// When the collector read this configuration.
    #[serde(default)]
    pub observed_at: Option<DateTime<Utc>>,
    /// The application's tags (its runs carry them beneath their own).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl ApplicationInfo {
    /// The same configuration, whenever it was read.
    pub fn same_config(&self, other: &ApplicationInfo) -> bool {
        let mut a = self.clone();
        a.observed_at = other.observed_at;
        &a == other
    }
}

/// `maximumCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MaximumCapacity {
    pub vcpu: f64,
    pub memory_gb: f64,
    pub disk_gb: Option<f64>,
}

/// What a run asked for when it was submitted, for the startup analysis:
/// its Spark sizes as given (`None`: not set, so EMR Serverless's
/// defaults), its initial executors, and its attempt's times.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    pub attempt_created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub executor_cores: Option<f64>,
    /// Heap (`spark.executor.memory`), GB.
    pub executor_memory_gb: Option<f64>,
    pub driver_cores: Option<f64>,
    pub driver_memory_gb: Option<f64>,
    /// `spark.dynamicAllocation.initialExecutors`, else
    /// `spark.executor.instances`.
    pub initial_executors: Option<u32>,
}

/// Per-job figures derived from CloudWatch worker metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMetrics {
    pub region: String,
    pub application_id: String,
    pub job_run_id: String,
    /// Minutes with at least one executor datapoint.
    pub minutes: u32,
    pub peak_executors: u32,
    pub avg_executors: f64,
    pub peak_vcpu: f64,
    pub avg_vcpu: f64,
    pub peak_memory_gb: f64,
    pub avg_memory_gb: f64,
    /// The first minute with an executor, and the first at the peak
    /// (epoch seconds, minute resolution).
    #[serde(default)]
    pub first_executor_minute: Option<i64>,
    #[serde(default)]
    pub peak_minute: Option<i64>,
    /// Executors' allocated and used vCPU-hours and GB-hours
    /// (WorkerCpu/MemoryAllocated and WorkerCpu/MemoryUsed, summed per
    /// minute); used is `None` where the metrics were not published.
    #[serde(default)]
    pub vcpu_hours_allocated: Option<f64>,
    #[serde(default)]
    pub memory_gb_hours_allocated: Option<f64>,
    #[serde(default)]
    pub vcpu_hours_used: Option<f64>,
    #[serde(default)]
    pub memory_gb_hours_used: Option<f64>,
    /// The most any one executor used in a minute (Maximum).
    #[serde(default)]
    pub peak_worker_vcpu_used: Option<f64>,
    #[serde(default)]
    pub peak_worker_memory_used_gb: Option<f64>,
}

/// Pre-initialized capacity that was allocated while none of the
/// application's collected runs was running: billed to the application,
/// in no job's billed usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleCapacity {
    pub region: String,
    pub application_id: String,
    pub application_name: Option<String>,
    pub architecture: Architecture,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Minutes with pre-initialized capacity allocated and no run running.
    pub idle_minutes: u32,
    pub vcpu_hours: f64,
    pub memory_gb_hours: f64,
    /// Storage above the 20 GB each worker gets free.
    pub billable_storage_gb_hours: f64,
}

/// How far complete `collect glue` passes covered one job.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GlueMark {
    /// The window's start of the pass that set the mark (`None`: all).
    pub since: Option<DateTime<Utc>>,
    pub mark: DateTime<Utc>,
}

/// An EMR Serverless run's event log, read beside its billed record
/// (`import eventlog` on the run's `sparklogs/`): what the billed capacity
/// did, which EMR Serverless's own monitoring does not show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventLogBeside {
    pub region: String,
    pub application_id: String,
    pub job_run_id: String,
    pub attempt: u32,
    pub architecture: Architecture,
    pub created_at: Option<DateTime<Utc>>,
    /// Where the log was read (a path or an `s3://` name).
    pub log: String,
    /// What EMR Serverless billed (GetJobRun's billedResourceUtilization).
    pub billed: crate::model::ResourceUsage,
    /// What the log's drivers and executors would be billed, by EMR
    /// Serverless's rules.
    pub log_billed: crate::model::ResourceUsage,
    pub peak_executors: u32,
    pub avg_executors: f64,
    /// Executors' cores x their lifetimes, and the part tasks ran in
    /// (`None`: the log has no task ends).
    pub executor_core_seconds: f64,
    pub task_core_seconds: Option<f64>,
    /// The log had no ApplicationEnd.
    pub incomplete: bool,
}

/// The state file's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetState {
    pub schema_version: u32,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub applications: Vec<ApplicationInfo>,
    /// How often a final run was fetched with its billed usage still
    /// missing or zero (`region/app/run#attempt` -> count).
    #[serde(default)]
    pub late_billed_fetches: BTreeMap<String, u32>,
    #[serde(default)]
    pub job_metrics: Vec<JobMetrics>,
    #[serde(default)]
    pub idle_capacity: Vec<IdleCapacity>,
    /// Glue: per `region/job`, what complete passes covered: back to
    /// `since`, and every run started at or before `mark` was final then
    /// (`collect glue` stops paging there).
    #[serde(default)]
    pub glue_marks: BTreeMap<String, GlueMark>,
    /// EMR on EC2 clusters (`collect emr`): each one's cost and what of it
    /// no step used.
    #[serde(default)]
    pub clusters: Vec<super::emr_ec2::ClusterCost>,
    /// EMR Serverless runs' event logs, read beside them.
    #[serde(default)]
    pub event_logs: Vec<EventLogBeside>,
    /// Earlier configurations of applications, each as first read, when a
    /// later collection found it changed (`applications` holds the latest).
    #[serde(default)]
    pub application_history: Vec<ApplicationInfo>,
    /// What each EMR Serverless run asked for (`region/app/run#attempt`).
    #[serde(default)]
    pub requests: BTreeMap<String, RunRequest>,
}

impl DatasetState {
    /// An application's configuration in effect when a run was created:
    /// the last one read before it, else the first one read after it.
    pub fn application_at(
        &self,
        region: &str,
        application_id: &str,
        at: Option<DateTime<Utc>>,
    ) -> Option<&ApplicationInfo> {
        let mut all: Vec<&ApplicationInfo> = self
            .application_history
            .iter()
            .chain(&self.applications)
            .filter(|a| a.region == region && a.application_id == application_id)
            .collect();
        all.sort_by_key(|a| a.observed_at);
        let at = at?;
        all.iter()
            .rev()
            .find(|a| a.observed_at.is_some_and(|o| o <= at))
            .or_else(|| all.first())
            .copied()
    }

    /// Records a newly read configuration; the one it replaces goes to the
    /// history if it differs.
    pub fn observe_application(&mut self, info: ApplicationInfo) {
        if let Some(i) = self
            .applications
            .iter()
            .position(|a| a.region == info.region && a.application_id == info.application_id)
        {
            let old = self.applications.remove(i);
            if !old.same_config(&info) {
                self.application_history.push(old);
            } else {
                // Unchanged: keep when it was first seen in effect.
                let mut info = info;
                info.observed_at = old.observed_at.or(info.observed_at);
                self.applications.push(info);
                return;
            }
        }
        self.applications.push(info);
    }

    pub fn request(&self, run: &JobRun) -> Option<&RunRequest> {
        self.requests.get(&key_text(&key_of(run)))
    }
}

impl Default for DatasetState {
    fn default() -> Self {
        DatasetState {
            schema_version: STATE_VERSION,
            updated_at: None,
            applications: Vec::new(),
            late_billed_fetches: BTreeMap::new(),
            job_metrics: Vec::new(),
            idle_capacity: Vec::new(),
            glue_marks: BTreeMap::new(),
            clusters: Vec::new(),
            event_logs: Vec::new(),
            application_history: Vec::new(),
            requests: BTreeMap::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct JournalLine {
    run: JobRun,
    /// What the run asked for (EMR Serverless runs), kept with it so a
    /// killed collection loses neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<RunRequest>,
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{}: {source}; check the folder exists and is writable", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(transparent)]
    File(#[from] FileError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `dir` is a dataset folder written by `emrcost collect`.
pub fn is_dataset(dir: &Path) -> bool {
    dir.join(STATE_FILE).is_file() || dir.join(JOURNAL_FILE).is_file()
}

/// A dataset opened for collecting into.
pub struct Dataset {
    dir: PathBuf,
    runs: HashMap<RunKey, JobRun>,
    pub state: DatasetState,
    journal: Option<File>,
    /// Journal lines that could not be read (a torn last line after a kill).
    /// With where each was, and why.
    pub skipped_journal_lines: Vec<(String, Reject)>,
}

impl Dataset {
    /// Opens (or creates) the dataset in `dir`, replaying any journal left
    /// by an interrupted collection.
    pub fn open(dir: &Path) -> Result<Dataset, DatasetError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let (runs, state, skipped) = read(dir)?;
        let mut ds = Dataset {
            dir: dir.to_path_buf(),
            runs: HashMap::with_capacity(runs.len()),
            state,
            journal: None,
            skipped_journal_lines: skipped,
        };
        for run in runs {
            ds.runs.insert(key_of(&run), run);
        }
        Ok(ds)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub fn get(&self, key: &RunKey) -> Option<&JobRun> {
        self.runs.get(key)
    }

    pub fn runs(&self) -> impl Iterator<Item = &JobRun> {
        self.runs.values()
    }

    pub fn runs_mut(&mut self) -> impl Iterator<Item = &mut JobRun> {
        self.runs.values_mut()
    }

    /// Whether a run listed with `key` must be (re)fetched: it is new, it
    /// was not final when last fetched, or it is final but its billed usage
    /// had not arrived and it has been re-fetched fewer than
    /// `late_billed_retries` times.
    pub fn needs_fetch(&self, key: &RunKey, late_billed_retries: u32) -> bool {
        match self.runs.get(key) {
            None => true,
            Some(run) if !run.state.is_final() => true,
            Some(run) if billed_missing(run) => {
                self.state
                    .late_billed_fetches
                    .get(&key_text(key))
                    .copied()
                    .unwrap_or(0)
                    <= late_billed_retries
            }
            Some(_) => false,
        }
    }

    /// Records a fetched run: appended to the journal and fsynced before
    /// this returns, so a kill after it loses nothing.
    pub fn record(&mut self, run: JobRun) -> Result<(), DatasetError> {
        self.record_all(vec![run])
    }

    /// Records several runs with one write and one fsync (a page of a
    /// listing that carries whole runs, as Glue's does).
    pub fn record_all(&mut self, runs: Vec<JobRun>) -> Result<(), DatasetError> {
        self.record_requests(runs.into_iter().map(|r| (r, None)).collect())
    }

    /// Records runs with what each asked for.
    pub fn record_requests(
        &mut self,
        runs: Vec<(JobRun, Option<RunRequest>)>,
    ) -> Result<(), DatasetError> {
        if runs.is_empty() {
            return Ok(());
        }
        let path = self.dir.join(JOURNAL_FILE);
        if self.journal.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(&path))?;
            self.journal = Some(f);
        }
        let mut lines = Vec::new();
        for (run, request) in &runs {
            let line = JournalLine {
                run: run.clone(),
                request: request.clone(),
            };
            serde_json::to_writer(&mut lines, &line).map_err(|e| DatasetError::Corrupt {
                path: path.clone(),
                message: format!("cannot encode {}: {e}", run.label()),
            })?;
            lines.push(b'\n');
        }
        if let Some(f) = self.journal.as_mut() {
            f.write_all(&lines).map_err(io(&path))?;
            f.sync_data().map_err(io(&path))?;
        }
        for (run, request) in runs {
            apply(&mut self.runs, &mut self.state, run, request);
        }
        Ok(())
    }

    /// Writes everything into `jobruns.parquet` and the state file
    /// atomically, then drops the journal.
    pub fn compact(&mut self) -> Result<(), DatasetError> {
        let mut runs: Vec<JobRun> = self.runs.values().cloned().collect();
        runs.sort_by(|a, b| {
            (
                a.created_at,
                &a.region,
                &a.application_id,
                &a.job_run_id,
                a.attempt,
            )
                .cmp(&(
                    b.created_at,
                    &b.region,
                    &b.application_id,
                    &b.job_run_id,
                    b.attempt,
                ))
        });
        let parquet = self.dir.join(RUNS_FILE);
        write_atomic(&parquet, |f| {
            crate::input::parquet::write_parquet(f, runs.into_iter(), 1_000_000)
                .map(|_| ())
                .map_err(|e| std::io::Error::other(e.to_string()))
        })?;
        self.state.updated_at = Some(Utc::now());
        self.state.schema_version = STATE_VERSION;
        let state = serde_json::to_vec_pretty(&self.state).map_err(|e| DatasetError::Corrupt {
            path: self.dir.join(STATE_FILE),
            message: e.to_string(),
        })?;
        write_atomic(&self.dir.join(STATE_FILE), |f| f.write_all(&state))?;
        self.journal = None;
        let journal = self.dir.join(JOURNAL_FILE);
        match std::fs::remove_file(&journal) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&journal)(e)),
        }
        Ok(())
    }
}

/// An EMR Serverless run whose billed usage has not arrived (a Glue run or
/// an EMR on EC2 step has none to wait for).
fn billed_missing(run: &JobRun) -> bool {
    run.glue.is_none()
        && run.ec2_cost_usd.is_none()
        && run.source != crate::model::UsageSource::EmrApi
        && run.billed.is_none_or(|b| b.is_zero())
}

fn apply(
    runs: &mut HashMap<RunKey, JobRun>,
    state: &mut DatasetState,
    mut run: JobRun,
    request: Option<RunRequest>,
) {
    let key = key_of(&run);
    if let Some(r) = request {
        state.requests.insert(key_text(&key), r);
    }
    // A run fetched again keeps the peak its event log measured.
    if run.peak_executors.is_none() {
        run.peak_executors = runs.get(&key).and_then(|r| r.peak_executors);
    }
    if run.state.is_final() && billed_missing(&run) {
        *state.late_billed_fetches.entry(key_text(&key)).or_insert(0) += 1;
    } else {
        state.late_billed_fetches.remove(&key_text(&key));
    }
    runs.insert(key, run);
}

/// Reads a dataset without opening it for writing: the Parquet rows, then
/// the journal on top (later lines win), and the state file.
/// A dataset's runs, its state, and the records that could not be read
/// (where each was, and why).
pub type DatasetContents = (Vec<JobRun>, DatasetState, Vec<(String, Reject)>);

pub fn read(dir: &Path) -> Result<DatasetContents, DatasetError> {
    let state_path = dir.join(STATE_FILE);
    let mut state = match std::fs::read(&state_path) {
        Ok(bytes) => {
            serde_json::from_slice::<DatasetState>(&bytes).map_err(|e| DatasetError::Corrupt {
                path: state_path.clone(),
                message: format!(
                    "not a dataset state file ({e}); move it away and re-run `emrcost collect`"
                ),
            })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DatasetState::default(),
        Err(e) => return Err(io(&state_path)(e)),
    };
    if state.schema_version > STATE_VERSION {
        return Err(DatasetError::Corrupt {
            path: state_path,
            message: format!(
                "written by a newer emrcost (state version {}); upgrade emrcost",
                state.schema_version
            ),
        });
    }
    let mut runs: HashMap<RunKey, JobRun> = HashMap::new();
    let mut skipped = Vec::new();
    let parquet = dir.join(RUNS_FILE);
    if parquet.is_file() {
        crate::pipeline::each_record(
            &crate::input::Source::Parquet(parquet.clone()),
            &Defaults::default(),
            &mut |r| match r {
                Ok(run) => {
                    runs.insert(key_of(&run), run);
                }
                Err(skip) => skipped.push(skip),
            },
        )?;
    }
    let journal = dir.join(JOURNAL_FILE);
    match File::open(&journal) {
        Ok(f) => {
            let name = journal.display().to_string();
            for (i, line) in BufReader::new(f).split(b'\n').enumerate() {
                let line = line.map_err(io(&journal))?;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<JournalLine>(&line) {
                    Ok(l) => apply(&mut runs, &mut state, l.run, l.request),
                    Err(e) => skipped.push((
                        format!("{name}:{}", i + 1),
                        Reject::Unreadable {
                            message: format!(
                                "unreadable journal line ({e}), most likely cut off when a collection was killed; that run is fetched again"
                            ),
                        },
                    )),
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&journal)(e)),
    }
    let mut runs: Vec<JobRun> = runs.into_values().collect();
    runs.sort_by(|a, b| {
        (a.created_at, &a.application_id, &a.job_run_id, a.attempt).cmp(&(
            b.created_at,
            &b.application_id,
            &b.job_run_id,
            b.attempt,
        ))
    });
    Ok((runs, state, skipped))
}

/// Writes `path` atomically (see [`crate::files`]).
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), DatasetError> {
    crate::files::write_with(path, write)
        .map(|_| ())
        .map_err(|e| DatasetError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobState, ResourceUsage, UsageSource};

    fn run(id: &str, state: JobState, vcpu: f64) -> JobRun {
        JobRun {
            region: "us-east-1".into(),
            application_id: "app".into(),
            application_name: None,
            architecture: Architecture::X86_64,
            job_run_id: id.into(),
            attempt: 1,
            job_name: Some("j".into()),
            state,
            release_label: None,
            created_at: None,
            started_at: None,
            ended_at: None,
            queued_ms: None,
            duration_s: Some(60.0),
            billed: Some(ResourceUsage {
                vcpu_hours: vcpu,
                memory_gb_hours: vcpu * 4.0,
                storage_gb_hours: 0.0,
            }),
            total: None,
            executor_vcpu: None,
            executor_memory_gb: None,
            executor_disk_gb: None,
            driver_vcpu: None,
            driver_memory_gb: None,
            max_executors: None,
            peak_executors: None,
            incomplete: false,
            source: UsageSource::JobRunApi,
            glue: None,
            glue_worker_type: None,
            ec2_cost_usd: None,
            ec2_cluster_id: None,
            account_id: None,
            tags: None,
        }
    }

    #[test]
    fn a_torn_journal_line_is_skipped_and_later_lines_win() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut ds = Dataset::open(dir.path()).unwrap();
            ds.record(run("a", JobState::Running, 0.0)).unwrap();
            ds.record(run("b", JobState::Success, 2.0)).unwrap();
            ds.record(run("a", JobState::Success, 1.0)).unwrap();
        }
        // A kill in the middle of a write leaves half a line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(JOURNAL_FILE))
            .unwrap();
        f.write_all(br#"{"run":{"region":"us-ea"#).unwrap();
        let ds = Dataset::open(dir.path()).unwrap();
        assert_eq!(ds.len(), 2);
        let a = ds
            .get(&("us-east-1".into(), "app".into(), "a".into(), 1))
            .unwrap();
        assert_eq!(a.state, JobState::Success);
        assert_eq!(a.billed.unwrap().vcpu_hours, 1.0);
        assert_eq!(ds.skipped_journal_lines.len(), 1);
        assert!(ds.skipped_journal_lines[0].0.ends_with(":4"));
    }

    #[test]
    fn compaction_keeps_every_run_once_and_removes_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let mut ds = Dataset::open(dir.path()).unwrap();
        for i in 0..5 {
            ds.record(run(&format!("r{i}"), JobState::Success, 1.0))
                .unwrap();
        }
        ds.record(run("r0", JobState::Success, 3.0)).unwrap();
        ds.compact().unwrap();
        assert!(!dir.path().join(JOURNAL_FILE).exists());
        let (runs, _, skipped) = read(dir.path()).unwrap();
        assert_eq!(runs.len(), 5);
        assert!(skipped.is_empty());
        let r0 = runs.iter().find(|r| r.job_run_id == "r0").unwrap();
        assert_eq!(r0.billed.unwrap().vcpu_hours, 3.0);
    }

    #[test]
    fn late_billed_usage_is_fetched_again_a_bounded_number_of_times() {
        let dir = tempfile::tempdir().unwrap();
        let mut ds = Dataset::open(dir.path()).unwrap();
        let key: RunKey = ("us-east-1".into(), "app".into(), "z".into(), 1);
        assert!(ds.needs_fetch(&key, 2));
        // First fetch, then two re-fetches, all with zero billed usage.
        for expected_more in [true, true, false] {
            ds.record(run("z", JobState::Success, 0.0)).unwrap();
            assert_eq!(ds.needs_fetch(&key, 2), expected_more);
        }
        // A run that is still running is always fetched again.
        let r: RunKey = ("us-east-1".into(), "app".into(), "r".into(), 1);
        ds.record(run("r", JobState::Running, 0.0)).unwrap();
        assert!(ds.needs_fetch(&r, 0));
        // A final run with its usage is never fetched again.
        ds.record(run("r", JobState::Success, 1.0)).unwrap();
        assert!(!ds.needs_fetch(&r, 2));
    }
}
