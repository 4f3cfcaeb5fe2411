//! The one check: a batch of the run table, typed ([`super::typed`]) and
//! validated row by row.
//!
//! Every source's batches come through here, so a row is accepted or
//! refused with the same words whatever file it came in. [`RunColumns::new`]
//! types the frame once (numbers as `f64`, times as epoch milliseconds,
//! text as string views; a text cell in a number or time column is parsed
//! here, not by the reader), then [`RunColumns::facts`] checks one row and
//! returns its figures without allocating. [`RunColumns::job_run`] builds
//! the full record only where one is wanted.
//!
//! What the check enforces:
//! - required cells: region (after `--region`), application_id,
//!   job_run_id, state;
//! - numbers finite and not negative; worker sizes above zero; counts whole;
//! - `ended_at` not before `started_at`.

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray};

use super::typed::{flags, numbers, texts, times, Nums, Texts, Times};
use crate::model::limits;
use crate::model::schema::{self, REQUIRED_COLUMNS};
use crate::model::{
    Architecture, GlueUse, JobRun, JobState, Reject, ResourceUsage, RunFacts, UsageSource,
};

/// Values for fields a source may not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// Used when a row has no region (no column, an empty cell, no `arn`).
    pub region: Option<String>,
    /// Used when a row does not say (GetJobRun never does: the
    /// architecture belongs to the application).
    pub architecture: Architecture,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            region: None,
            architecture: Architecture::X86_64,
        }
    }
}

/// The columns of one batch, typed for reading row by row.
pub struct RunColumns {
    rows: usize,
    default_region: Option<String>,
    default_architecture: Architecture,
    region: Texts,
    application_id: Texts,
    application_name: Texts,
    architecture: Texts,
    job_run_id: Texts,
    job_name: Texts,
    state: Texts,
    release_label: Texts,
    source: Texts,
    attempt: Nums,
    queued_ms: Nums,
    duration_s: Nums,
    max_executors: Nums,
    peak_executors: Nums,
    billed: [Nums; 3],
    total: [Nums; 3],
    executor_vcpu: Nums,
    executor_memory_gb: Nums,
    executor_disk_gb: Nums,
    driver_vcpu: Nums,
    driver_memory_gb: Nums,
    created_at: Times,
    started_at: Times,
    ended_at: Times,
    incomplete: Option<BooleanArray>,
    glue_dpu: Nums,
    glue_workers: Nums,
    glue_dpu_seconds: Nums,
    glue_worker_type: Texts,
    glue_version: Texts,
    glue_execution_class: Texts,
    ec2_cost_usd: Nums,
    ec2_cluster_id: Texts,
    account_id: Texts,
    tags: Texts,
    /// Cells that could not be typed, by row (sorted; rare).
    bad_cells: Vec<(usize, Reject)>,
}

impl RunColumns {
    /// Types `df`'s columns. A missing required column, a column the run
    /// table does not know, or a column of a type that cannot hold its
    /// values is an error for the whole batch, in words for the user; a
    /// missing optional column reads as empty.
    pub fn new(df: &DataFrame, defaults: &Defaults) -> Result<RunColumns, String> {
        for col in REQUIRED_COLUMNS {
            if df.column(col).is_err() {
                return Err(format!(
                    "missing required column '{col}' (required: {})",
                    REQUIRED_COLUMNS.join(", ")
                ));
            }
        }
        let mut bad = Vec::new();
        if let Some(c) = df
            .get_column_names()
            .into_iter()
            .find(|c| schema::column(c).is_none())
        {
            return Err(format!(
                "unknown column '{c}'. Known columns: {}",
                schema::names().collect::<Vec<_>>().join(",")
            ));
        }
        let mut num = |c: &str| numbers(df, c, &mut bad);
        let attempt = num("attempt")?;
        let queued_ms = num("queued_ms")?;
        let duration_s = num("duration_s")?;
        let max_executors = num("max_executors")?;
        let peak_executors = num("peak_executors")?;
        let billed = [
            num("billed_vcpu_hours")?,
            num("billed_memory_gb_hours")?,
            num("billed_storage_gb_hours")?,
        ];
        let total = [
            num("total_vcpu_hours")?,
            num("total_memory_gb_hours")?,
            num("total_storage_gb_hours")?,
        ];
        let executor_vcpu = num("executor_vcpu")?;
        let executor_memory_gb = num("executor_memory_gb")?;
        let executor_disk_gb = num("executor_disk_gb")?;
        let driver_vcpu = num("driver_vcpu")?;
        let driver_memory_gb = num("driver_memory_gb")?;
        let glue_dpu = num("glue_dpu")?;
        let glue_workers = num("glue_workers")?;
        let glue_dpu_seconds = num("glue_dpu_seconds")?;
        let ec2_cost_usd = num("ec2_cost_usd")?;
        let created_at = times(df, "created_at", &mut bad)?;
        let started_at = times(df, "started_at", &mut bad)?;
        let ended_at = times(df, "ended_at", &mut bad)?;
        let incomplete = flags(df, "incomplete", &mut bad)?;
        // Several bad cells in one row: the first column's is reported.
        bad.sort_by_key(|(i, _)| *i);
        bad.dedup_by_key(|(i, _)| *i);
        Ok(RunColumns {
            rows: df.height(),
            default_region: defaults.region.clone(),
            default_architecture: defaults.architecture,
            region: texts(df, "region")?,
            application_id: texts(df, "application_id")?,
            application_name: texts(df, "application_name")?,
            architecture: texts(df, "architecture")?,
            job_run_id: texts(df, "job_run_id")?,
            job_name: texts(df, "job_name")?,
            state: texts(df, "state")?,
            release_label: texts(df, "release_label")?,
            source: texts(df, "source")?,
            attempt,
            queued_ms,
            duration_s,
            max_executors,
            peak_executors,
            billed,
            total,
            executor_vcpu,
            executor_memory_gb,
            executor_disk_gb,
            driver_vcpu,
            driver_memory_gb,
            created_at,
            started_at,
            ended_at,
            incomplete,
            glue_dpu,
            glue_workers,
            glue_dpu_seconds,
            glue_worker_type: texts(df, "glue_worker_type")?,
            glue_version: texts(df, "glue_version")?,
            glue_execution_class: texts(df, "glue_execution_class")?,
            ec2_cost_usd,
            ec2_cluster_id: texts(df, "ec2_cluster_id")?,
            account_id: texts(df, "account_id")?,
            tags: texts(df, "tags")?,
            bad_cells: bad,
        })
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The row's region, or `--region` where it has none.
    pub fn region(&self, i: usize) -> Option<&str> {
        self.region.get(i).or(self.default_region.as_deref())
    }

    pub fn application_id(&self, i: usize) -> Option<&str> {
        self.application_id.get(i)
    }

    pub fn application_name(&self, i: usize) -> Option<&str> {
        self.application_name.get(i)
    }

    pub fn job_run_id(&self, i: usize) -> Option<&str> {
        self.job_run_id.get(i)
    }

    pub fn job_name(&self, i: usize) -> Option<&str> {
        self.job_name.get(i)
    }

    pub fn account_id(&self, i: usize) -> Option<&str> {
        self.account_id.get(i)
    }

    pub fn tags(&self, i: usize) -> Option<&str> {
        self.tags.get(i)
    }

    /// The attempt, 1 when the row does not say; `None` when it is not a
    /// whole number (the row is refused by [`RunColumns::facts`]).
    pub fn attempt(&self, i: usize) -> Option<u32> {
        whole(self.attempt.get(i), "attempt")
            .ok()
            .map(|a| a.unwrap_or(1))
    }

    /// Row `i`'s figures, after every check (module docs). The error is
    /// the reason, for a message that names the row.
    pub fn facts(&self, i: usize) -> Result<RunFacts, Reject> {
        if !self.bad_cells.is_empty() {
            if let Ok(k) = self.bad_cells.binary_search_by_key(&i, |(r, _)| *r) {
                return Err(self.bad_cells[k].1.clone());
            }
        }
        if self.region(i).is_none() {
            return Err(Reject::Missing { column: "region" });
        }
        if let Some(t) = self.tags(i) {
            if crate::model::parse_tags(t).is_none() {
                return Err(Reject::UnknownValue {
                    column: "tags",
                    value: t.chars().take(60).collect(),
                    expected: "a JSON object of strings, like {\"team\":\"data\"}",
                });
            }
        }
        if self.application_id.get(i).is_none() {
            return Err(Reject::Missing {
                column: "application_id",
            });
        }
        let architecture = match self.architecture.get(i) {
            Some(a) => a
                .parse::<Architecture>()
                .map_err(|_| Reject::UnknownArchitecture {
                    value: a.trim().to_string(),
                })?,
            None => self.default_architecture,
        };
        if self.job_run_id.get(i).is_none() {
            return Err(Reject::Missing {
                column: "job_run_id",
            });
        }
        whole(self.attempt.get(i), "attempt")?;
        let state = self
            .state
            .get(i)
            .ok_or(Reject::Missing { column: "state" })?;
        let state = state
            .parse::<JobState>()
            .map_err(|_| Reject::UnknownState {
                value: state.trim().to_ascii_uppercase(),
            })?;
        let created = self.created_at.get(i);
        let started = self.started_at.get(i);
        let ended = self.ended_at.get(i);
        if let (Some(s), Some(e)) = (started, ended) {
            if e < s {
                return Err(Reject::EndBeforeStart {
                    started: iso(s),
                    ended: iso(e),
                });
            }
        }
        let queued_ms = at_most(
            non_neg(self.queued_ms.get(i), "queued_ms")?,
            "queued_ms",
            limits::MAX_SECONDS * 1000.0,
            "limit of 2592000000 ms (30 days)",
        )?
        .map(|q| q as u64);
        let duration_s = seconds(non_neg(self.duration_s.get(i), "duration_s")?, "duration_s")?;
        let runtime_s = match (duration_s, started, ended) {
            (Some(d), _, _) => Some(d),
            (None, Some(s), Some(e)) => {
                seconds(Some((e - s) as f64 / 1000.0), "ended_at - started_at")?
            }
            _ => None,
        };
        let (billed, total) = usages(
            usage(&self.billed, i, BILLED)?,
            usage(&self.total, i, TOTAL)?,
        )?;
        let facts = RunFacts {
            architecture,
            state,
            start_ms: started.or(created),
            queued_ms,
            runtime_s,
            billed,
            total,
            executor_vcpu: vcpu(
                size(self.executor_vcpu.get(i), "executor_vcpu")?,
                "executor_vcpu",
            )?,
            executor_memory_gb: memory(
                size(self.executor_memory_gb.get(i), "executor_memory_gb")?,
                "executor_memory_gb",
            )?,
            executor_disk_gb: gb(
                non_neg(self.executor_disk_gb.get(i), "executor_disk_gb")?,
                "executor_disk_gb",
            )?,
            driver_vcpu: vcpu(size(self.driver_vcpu.get(i), "driver_vcpu")?, "driver_vcpu")?,
            driver_memory_gb: memory(
                size(self.driver_memory_gb.get(i), "driver_memory_gb")?,
                "driver_memory_gb",
            )?,
            max_executors: executors(self.max_executors.get(i), "max_executors")?,
            peak_executors: executors(self.peak_executors.get(i), "peak_executors")?,
            source: match self.source.get(i) {
                Some(s) => s.parse().map_err(|_| Reject::UnknownSource {
                    value: s.to_string(),
                })?,
                None => UsageSource::Csv,
            },
            glue: self.glue(i)?,
            ec2_cost_usd: at_most(
                non_neg(self.ec2_cost_usd.get(i), "ec2_cost_usd")?,
                "ec2_cost_usd",
                limits::MAX_USAGE,
                "limit of 1e9 USD",
            )?,
        };
        Ok(facts)
    }

    /// A Glue run's figures: present when `glue_dpu` is.
    fn glue(&self, i: usize) -> Result<Option<GlueUse>, Reject> {
        let Some(dpu) = at_most(
            size(self.glue_dpu.get(i), "glue_dpu")?,
            "glue_dpu",
            limits::MAX_GLUE_DPU,
            limits::MAX_GLUE_DPU_TEXT,
        )?
        else {
            // Glue's figures without its DPU cannot be priced as Glue.
            if self.glue_workers.get(i).is_some() || self.glue_version.get(i).is_some() {
                return Err(Reject::Missing { column: "glue_dpu" });
            }
            return Ok(None);
        };
        let workers = whole(self.glue_workers.get(i), "glue_workers")?.ok_or(Reject::Missing {
            column: "glue_workers",
        })?;
        if workers == 0 {
            return Err(Reject::Zero {
                column: "glue_workers",
            });
        }
        if f64::from(workers) > limits::MAX_EXECUTORS {
            return Err(Reject::TooLarge {
                column: "glue_workers",
                value: f64::from(workers),
                limit: limits::MAX_EXECUTORS_TEXT,
            });
        }
        let version = self.glue_version.get(i).ok_or(Reject::Missing {
            column: "glue_version",
        })?;
        let parsed = version
            .trim()
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<u8>().ok()?, b.parse::<u8>().ok()?)))
            .filter(|v| [(0, 9), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)].contains(v))
            .ok_or_else(|| Reject::UnknownValue {
                column: "glue_version",
                value: version.trim().to_string(),
                expected: "0.9, 1.0, 2.0, 3.0, 4.0 or 5.0",
            })?;
        let flex = match self.glue_execution_class.get(i).map(str::trim) {
            None => false,
            Some(c) if c.eq_ignore_ascii_case("standard") => false,
            Some(c) if c.eq_ignore_ascii_case("flex") => true,
            Some(c) => {
                return Err(Reject::UnknownValue {
                    column: "glue_execution_class",
                    value: c.to_string(),
                    expected: "STANDARD or FLEX",
                })
            }
        };
        if flex && parsed.0 < 3 {
            return Err(Reject::UnknownValue {
                column: "glue_execution_class",
                value: "FLEX".into(),
                expected: "STANDARD: Flex needs Glue 3.0 or later",
            });
        }
        if let Some(v) = self.ec2_cost_usd.get(i) {
            return Err(Reject::UnknownValue {
                column: "ec2_cost_usd",
                value: format!("{v}"),
                expected: "empty on a Glue run (a run is on Glue or on EMR on EC2)",
            });
        }
        let dpu_seconds = at_most(
            non_neg(self.glue_dpu_seconds.get(i), "glue_dpu_seconds")?,
            "glue_dpu_seconds",
            limits::MAX_USAGE,
            limits::MAX_USAGE_TEXT,
        )?;
        Ok(Some(GlueUse {
            dpu,
            workers,
            version: parsed,
            flex,
            dpu_seconds,
        }))
    }

    /// Row `i` as a full record (with its text), after the checks of
    /// [`RunColumns::facts`].
    pub fn job_run(&self, i: usize) -> Result<JobRun, Reject> {
        let f = self.facts(i)?;
        let time = |c: &Times| c.get(i).and_then(chrono::DateTime::from_timestamp_millis);
        let text = |c: &Texts| c.get(i).map(str::to_string);
        Ok(JobRun {
            region: self.region(i).unwrap_or_default().to_string(),
            application_id: text(&self.application_id).unwrap_or_default(),
            application_name: text(&self.application_name),
            architecture: f.architecture,
            job_run_id: text(&self.job_run_id).unwrap_or_default(),
            attempt: self.attempt(i).unwrap_or(1),
            job_name: text(&self.job_name),
            state: f.state,
            release_label: text(&self.release_label),
            created_at: time(&self.created_at),
            started_at: time(&self.started_at),
            ended_at: time(&self.ended_at),
            queued_ms: f.queued_ms,
            duration_s: self.duration_s.get(i),
            billed: f.billed,
            total: f.total,
            executor_vcpu: f.executor_vcpu,
            executor_memory_gb: f.executor_memory_gb,
            executor_disk_gb: f.executor_disk_gb,
            driver_vcpu: f.driver_vcpu,
            driver_memory_gb: f.driver_memory_gb,
            max_executors: f.max_executors,
            peak_executors: f.peak_executors,
            incomplete: self
                .incomplete
                .as_ref()
                .and_then(|a| a.is_valid(i).then(|| a.value(i)))
                .unwrap_or(false),
            source: f.source,
            glue: f.glue,
            glue_worker_type: text(&self.glue_worker_type),
            ec2_cost_usd: f.ec2_cost_usd,
            ec2_cluster_id: text(&self.ec2_cluster_id),
            account_id: text(&self.account_id),
            tags: text(&self.tags),
        })
    }
}

const BILLED: [&str; 3] = [
    "billed_vcpu_hours",
    "billed_memory_gb_hours",
    "billed_storage_gb_hours",
];
const TOTAL: [&str; 3] = [
    "total_vcpu_hours",
    "total_memory_gb_hours",
    "total_storage_gb_hours",
];

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// A usage triple: absent when all three figures are; refused when one is
/// negative, not finite or past [`limits::MAX_USAGE`]. Some figures given
/// and others empty is `Err` with the first missing and a present name.
fn usage(
    cols: &[Nums; 3],
    i: usize,
    names: [&'static str; 3],
) -> Result<Option<Result<ResourceUsage, Reject>>, Reject> {
    let (v, m, s) = (cols[0].get(i), cols[1].get(i), cols[2].get(i));
    if v.is_none() && m.is_none() && s.is_none() {
        return Ok(None);
    }
    // A file without the storage column at all (hand-made CSVs often have
    // only vCPU and memory) reads as 0 storage: storage is billed only past
    // 20 GB per worker. An empty cell in a storage column is unknown.
    let s = s.or((!cols[2].present()).then_some(0.0));
    for (value, column) in [v, m, s].into_iter().zip(names) {
        at_most(
            non_neg(value, column)?,
            column,
            limits::MAX_USAGE,
            limits::MAX_USAGE_TEXT,
        )?;
    }
    let figures = [v, m, s];
    if let Some(k) = figures.iter().position(Option::is_none) {
        let present = figures.iter().position(Option::is_some).unwrap_or(0);
        return Ok(Some(Err(Reject::PartialUsage {
            missing: names[k],
            present: names[present],
        })));
    }
    // `+ 0.0` turns -0 into 0.
    Ok(Some(Ok(ResourceUsage {
        vcpu_hours: v.unwrap_or(0.0) + 0.0,
        memory_gb_hours: m.unwrap_or(0.0) + 0.0,
        storage_gb_hours: s.unwrap_or(0.0) + 0.0,
    })))
}

/// Billed and total usage as priced: an incomplete billed triple is set
/// aside when total usage is complete (the run is then priced from total
/// usage under the billing rules, and flagged as such, never with 0 for
/// the missing figure); an incomplete triple with nothing to fall back on
/// is refused.
fn usages(
    billed: Option<Result<ResourceUsage, Reject>>,
    total: Option<Result<ResourceUsage, Reject>>,
) -> Result<(Option<ResourceUsage>, Option<ResourceUsage>), Reject> {
    match (billed, total) {
        (Some(Err(_)), Some(Ok(t))) => Ok((None, Some(t))),
        (Some(Err(why)), _) | (_, Some(Err(why))) => Err(why),
        (b, t) => Ok((b.and_then(Result::ok), t.and_then(Result::ok))),
    }
}

fn at_most(
    v: Option<f64>,
    column: &'static str,
    max: f64,
    limit: &'static str,
) -> Result<Option<f64>, Reject> {
    match v {
        Some(value) if value > max => Err(Reject::TooLarge {
            column,
            value,
            limit,
        }),
        other => Ok(other),
    }
}

fn seconds(v: Option<f64>, column: &'static str) -> Result<Option<f64>, Reject> {
    at_most(v, column, limits::MAX_SECONDS, limits::MAX_SECONDS_TEXT)
}

fn at_least(v: Option<f64>, column: &'static str, min: f64) -> Result<Option<f64>, Reject> {
    match v {
        Some(value) if value < min => Err(Reject::TooSmall { column, value, min }),
        other => Ok(other),
    }
}

fn vcpu(v: Option<f64>, column: &'static str) -> Result<Option<f64>, Reject> {
    at_least(
        at_most(
            v,
            column,
            limits::MAX_WORKER_VCPU,
            limits::MAX_WORKER_VCPU_TEXT,
        )?,
        column,
        limits::MIN_WORKER_VCPU,
    )
}

fn gb(v: Option<f64>, column: &'static str) -> Result<Option<f64>, Reject> {
    at_most(v, column, limits::MAX_WORKER_GB, limits::MAX_WORKER_GB_TEXT)
}

/// Memory of a worker: within the limits, and not below the smallest.
fn memory(v: Option<f64>, column: &'static str) -> Result<Option<f64>, Reject> {
    at_least(gb(v, column)?, column, limits::MIN_WORKER_GB)
}

fn executors(v: Option<f64>, column: &'static str) -> Result<Option<u32>, Reject> {
    at_most(v, column, limits::MAX_EXECUTORS, limits::MAX_EXECUTORS_TEXT)?;
    whole(v, column)
}

fn non_neg(v: Option<f64>, column: &'static str) -> Result<Option<f64>, Reject> {
    match v {
        Some(value) if !(value.is_finite() && value >= 0.0) => {
            Err(Reject::Negative { column, value })
        }
        // -0 is 0 (and is never printed as -0.000000).
        other => Ok(other.map(|v| v + 0.0)),
    }
}

/// A worker size: not negative, and not zero.
fn size(v: Option<f64>, column: &'static str) -> Result<Option<f64>, Reject> {
    match non_neg(v, column)? {
        Some(0.0) => Err(Reject::Zero { column }),
        other => Ok(other),
    }
}

fn whole(v: Option<f64>, column: &'static str) -> Result<Option<u32>, Reject> {
    match v {
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => Ok(Some(x as u32)),
        Some(value) if !(value.is_finite() && value >= 0.0) => {
            Err(Reject::Negative { column, value })
        }
        Some(value) => Err(Reject::NotWhole { column, value }),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!(
            "region" => &[Some("us-east-1"), None, Some("us-east-1"), Some("us-east-1"), Some("eu-west-1")],
            "application_id" => &["a", "a", "a", "a", "b"],
            "job_run_id" => &["r1", "r2", "r3", "r4", "r5"],
            "state" => &["SUCCESS", "SUCCESS", "succeeded?", "FAILED", "cancelled"],
            "architecture" => &[None, None, None, Some("ARM64"), Some("aarch64")],
            "attempt" => &[Some(1u32), None, None, Some(2), None],
            "duration_s" => &[Some(90.0), None, None, Some(-1.0), None],
            "billed_vcpu_hours" => &[Some(1.5), None, None, None, Some(2.0)],
            "billed_memory_gb_hours" => &[Some(6.0), None, None, None, Some(8.0)],
            "billed_storage_gb_hours" => &[Some(0.0), None, None, None, Some(0.0)],
            "max_executors" => &[Some(4.0), None, None, None, Some(2.5)],
            "started_at" => &[Some(1_700_000_000_000i64), None, None, None, Some(1_700_000_000_000)],
            "ended_at" => &[Some(1_700_000_100_000i64), None, None, None, Some(1_700_000_060_000)],
        )
        .unwrap()
    }

    fn reason(cols: &RunColumns, i: usize) -> String {
        cols.facts(i).unwrap_err().to_string()
    }

    /// Each row is accepted or refused with its reason, and the figures
    /// read back as written.
    #[test]
    fn rows_are_checked_and_read() {
        let cols = RunColumns::new(&frame(), &Defaults::default()).unwrap();
        assert_eq!(cols.len(), 5);
        let f = cols.facts(0).unwrap();
        assert_eq!(f.architecture, Architecture::X86_64);
        assert_eq!(f.state, JobState::Success);
        assert_eq!(f.runtime_s, Some(90.0));
        assert_eq!(f.start_ms, Some(1_700_000_000_000));
        assert_eq!(f.billed.unwrap().vcpu_hours, 1.5);
        assert_eq!(f.billed.unwrap().memory_gb_hours, 6.0);
        assert_eq!(f.max_executors, Some(4));
        assert_eq!(f.total, None);
        assert_eq!(
            reason(&cols, 1),
            "region is empty; fill it in or pass --region"
        );
        assert!(reason(&cols, 2).starts_with("unknown job state 'SUCCEEDED?'"));
        assert_eq!(reason(&cols, 3), "duration_s is -1; it cannot be negative");
        assert_eq!(
            reason(&cols, 4),
            "max_executors is 2.5; expected a whole number"
        );
        let run = cols.job_run(0).unwrap();
        assert_eq!(run.region, "us-east-1");
        assert_eq!(run.job_run_id, "r1");
        assert_eq!(run.attempt, 1);
        assert_eq!(run.facts(), f);
    }

    /// `--region` fills a missing region cell or a missing region column.
    #[test]
    fn the_region_default_fills_cells_and_columns() {
        let d = Defaults {
            region: Some("eu-west-1".into()),
            ..Defaults::default()
        };
        let cols = RunColumns::new(&frame(), &d).unwrap();
        assert_eq!(cols.region(1), Some("eu-west-1"));
        assert_eq!(cols.region(0), Some("us-east-1"));
        let no_column = frame().drop("region").unwrap();
        let cols = RunColumns::new(&no_column, &d).unwrap();
        assert_eq!(cols.job_run(0).unwrap().region, "eu-west-1");
        let cols = RunColumns::new(&no_column, &Defaults::default()).unwrap();
        assert_eq!(
            reason(&cols, 0),
            "region is empty; fill it in or pass --region"
        );
    }

    /// A billed triple with a figure missing is never priced with 0 for
    /// it: with total usage it is set aside (the run is priced from total
    /// usage under the billing rules), without it the row is refused.
    /// Values past the plausibility limits are refused with the limit.
    #[test]
    fn partial_usage_and_limits() {
        let df = df!(
            "region" => &["us-east-1"; 5],
            "application_id" => &["a"; 5],
            "job_run_id" => &["1", "2", "3", "4", "5"],
            "state" => &["SUCCESS"; 5],
            "duration_s" => &[Some(60.0), Some(60.0), Some(1e300), Some(60.0), Some(60.0)],
            "billed_vcpu_hours" => &[Some(1.0), Some(1.0), Some(1.0), Some(1.0), Some(1e308)],
            "billed_memory_gb_hours" => &[None, None, Some(4.0), Some(4.0), Some(4.0)],
            "billed_storage_gb_hours" => &[Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(0.0)],
            "total_vcpu_hours" => &[Some(2.0), None, None, None, None],
            "total_memory_gb_hours" => &[Some(8.0), None, None, None, None],
            "total_storage_gb_hours" => &[Some(0.0), None, None, None, None],
            "executor_memory_gb" => &[None, None, None, Some(1e6), None],
        )
        .unwrap();
        let cols = RunColumns::new(&df, &Defaults::default()).unwrap();
        let f = cols.facts(0).unwrap();
        assert_eq!(f.billed, None);
        assert_eq!(f.total.map(|t| t.vcpu_hours), Some(2.0));
        assert_eq!(
            reason(&cols, 1),
            "billed_memory_gb_hours is empty but billed_vcpu_hours is given: a missing figure is \
             unknown, not 0; fill it in, or give total_* usage to price the run from the billing rules"
        );
        assert_eq!(
            reason(&cols, 2),
            "duration_s is 1e300, above the limit of 2592000 s (30 days) emrcost accepts; check the unit (or the value)"
        );
        assert_eq!(
            reason(&cols, 3),
            "executor_memory_gb is 1000000, above the limit of 65536 GB per worker emrcost accepts; check the unit (or the value)"
        );
        assert!(reason(&cols, 4).starts_with("billed_vcpu_hours is 1e308, above the limit of 1e9"));
    }

    /// Text in number and time columns is parsed here, with the cell's
    /// value in the reason; zero sizes, and an end before the start are
    /// caught.
    #[test]
    fn text_cells_are_typed_by_the_check() {
        let df = df!(
            "region" => &["us-east-1"; 6],
            "application_id" => &["a"; 6],
            "job_run_id" => &["1", "2", "3", "4", "5", "6"],
            "state" => &["SUCCESS"; 6],
            "duration_s" => &["60", "abc", "60", "60", "60", " 60 "],
            "executor_vcpu" => &["4", "4", "0", "4", "4", "4"],
            "started_at" => &["2026-08-01T09:01:21.712000+0000", "", "", "2026-08-01 10:00:00", "1785574881712", "yesterday"],
            "ended_at" => &["", "", "", "2026-08-01 09:00:00", "", ""],
            "billed_vcpu_hours" => &["1", "", "", "", "1", ""],
            "billed_memory_gb_hours" => &["4", "", "", "", "4", ""],
            "billed_storage_gb_hours" => &["0", "", "", "", "0", ""],
        )
        .unwrap();
        let cols = RunColumns::new(&df, &Defaults::default()).unwrap();
        let f = cols.facts(0).unwrap();
        assert_eq!(f.start_ms, Some(1_785_574_881_712));
        assert_eq!(f.runtime_s, Some(60.0));
        assert!(f.billed.is_some());
        assert_eq!(
            reason(&cols, 1),
            "duration_s is 'abc', which is not a number"
        );
        assert_eq!(
            reason(&cols, 2),
            "executor_vcpu is 0; a worker needs more than nothing"
        );
        assert_eq!(
            reason(&cols, 3),
            "ended_at 2026-08-01T09:00:00.000Z is before started_at 2026-08-01T10:00:00.000Z; one of them is wrong"
        );
        assert_eq!(cols.facts(4).unwrap().start_ms, Some(1_785_574_881_712));
        assert!(reason(&cols, 5).starts_with("started_at: 'yesterday' is not a time"));
    }

    /// A frame of several chunks (as a Parquet file of many row groups
    /// reads) gives the same rows as one chunk.
    #[test]
    fn chunked_frames_read_like_one_chunk() {
        let one = frame();
        let mut two = one.slice(0, 2);
        two.vstack_mut(&one.slice(2, 3)).unwrap();
        assert!(
            two.column("state")
                .unwrap()
                .as_materialized_series()
                .n_chunks()
                > 1
        );
        let d = Defaults::default();
        let (a, b) = (
            RunColumns::new(&one, &d).unwrap(),
            RunColumns::new(&two, &d).unwrap(),
        );
        for i in 0..5 {
            assert_eq!(a.facts(i), b.facts(i), "row {i}");
        }
    }

    #[test]
    fn missing_and_unknown_columns_are_named() {
        let d = Defaults::default();
        let df = df!("application_id" => &["a"], "state" => &["SUCCESS"]).unwrap();
        let err = RunColumns::new(&df, &d).err().unwrap();
        assert!(
            err.starts_with("missing required column 'job_run_id'"),
            "{err}"
        );
        let df = df!("application_id" => &["a"], "job_run_id" => &["r"], "state" => &["SUCCESS"], "colour" => &["red"]).unwrap();
        let err = RunColumns::new(&df, &d).err().unwrap();
        assert!(err.starts_with("unknown column 'colour'"), "{err}");
        let df = df!("application_id" => &["a"], "job_run_id" => &["r"], "state" => &["SUCCESS"], "duration_s" => &[true]).unwrap();
        let err = RunColumns::new(&df, &d).err().unwrap();
        assert!(
            err.starts_with("column 'duration_s' holds true/false"),
            "{err}"
        );
    }
}
