//! Job runs as typed columns of a polars frame in emrcost's column layout
//! (the CSV format's columns; Parquet datasets use them too).
//!
//! A frame is typed once (numbers as `f64`, times as epoch milliseconds,
//! text as string views) and then read row by row: [`RunColumns::facts`]
//! checks a row and returns its figures without allocating, and
//! [`RunColumns::job_run`] builds the full record only where one is wanted.
//! Both Parquet paths go through here (the record reader behind `price`,
//! and the fleet scan behind `report`), so a Parquet row is accepted or
//! rejected with the same words on both.

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray, Utf8ViewArray};

use super::csv_format::CSV_REQUIRED;
use crate::model::{Architecture, JobRun, JobState, ResourceUsage, RunFacts, UsageSource};

/// A numeric column as `f64`, or absent.
struct Nums(Option<PrimitiveArray<f64>>);

impl Nums {
    #[inline]
    fn get(&self, i: usize) -> Option<f64> {
        let a = self.0.as_ref()?;
        a.is_valid(i).then(|| a.value(i))
    }
}

/// A time column as epoch milliseconds, or absent.
struct Times(Option<PrimitiveArray<i64>>);

impl Times {
    #[inline]
    fn get(&self, i: usize) -> Option<i64> {
        let a = self.0.as_ref()?;
        a.is_valid(i).then(|| a.value(i))
    }
}

/// A text column, or absent.
struct Texts(Option<Utf8ViewArray>);

impl Texts {
    #[inline]
    fn get(&self, i: usize) -> Option<&str> {
        let a = self.0.as_ref()?;
        a.is_valid(i).then(|| a.value(i))
    }
}

/// The columns of one frame, typed for reading row by row.
pub struct RunColumns {
    rows: usize,
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
}

/// A column's one chunk (the caller's frame may hold several).
fn single<T: PolarsDataType>(ca: &ChunkedArray<T>) -> Option<T::Array>
where
    T::Array: Clone,
{
    ca.rechunk().downcast_iter().next().cloned()
}

impl RunColumns {
    /// Types `df`'s columns. A missing required column or a column of the
    /// wrong type is an error, in words for the user; a missing optional
    /// column reads as empty.
    pub fn new(df: &DataFrame) -> Result<RunColumns, String> {
        for col in CSV_REQUIRED {
            if df.column(col).is_err() {
                return Err(format!("missing required column '{col}'"));
            }
        }
        let text = |c: &str| -> Result<Texts, String> {
            let Ok(col) = df.column(c) else {
                return Ok(Texts(None));
            };
            let cast = col
                .cast(&DataType::String)
                .map_err(|e| format!("column '{c}': {e}"))?;
            let ca = cast.str().map_err(|e| format!("column '{c}': {e}"))?;
            Ok(Texts(single(ca)))
        };
        let num = |c: &str| -> Result<Nums, String> {
            let Ok(col) = df.column(c) else {
                return Ok(Nums(None));
            };
            let cast = col
                .cast(&DataType::Float64)
                .map_err(|e| format!("column '{c}': {e}"))?;
            let ca = cast.f64().map_err(|e| format!("column '{c}': {e}"))?;
            Ok(Nums(single(ca)))
        };
        let time = |c: &str| -> Result<Times, String> {
            let Ok(col) = df.column(c) else {
                return Ok(Times(None));
            };
            let cast = col
                .cast(&DataType::Datetime(
                    TimeUnit::Milliseconds,
                    Some("UTC".into()),
                ))
                .and_then(|c| c.cast(&DataType::Int64))
                .map_err(|e| format!("column '{c}': {e}"))?;
            let ca = cast.i64().map_err(|e| format!("column '{c}': {e}"))?;
            Ok(Times(single(ca)))
        };
        let incomplete = match df.column("incomplete") {
            Err(_) => None,
            Ok(col) => {
                let ca = col
                    .bool()
                    .map_err(|e| format!("column 'incomplete': {e}"))?;
                single(ca)
            }
        };
        Ok(RunColumns {
            rows: df.height(),
            region: text("region")?,
            application_id: text("application_id")?,
            application_name: text("application_name")?,
            architecture: text("architecture")?,
            job_run_id: text("job_run_id")?,
            job_name: text("job_name")?,
            state: text("state")?,
            release_label: text("release_label")?,
            source: text("source")?,
            attempt: num("attempt")?,
            queued_ms: num("queued_ms")?,
            duration_s: num("duration_s")?,
            max_executors: num("max_executors")?,
            peak_executors: num("peak_executors")?,
            billed: [
                num("billed_vcpu_hours")?,
                num("billed_memory_gb_hours")?,
                num("billed_storage_gb_hours")?,
            ],
            total: [
                num("total_vcpu_hours")?,
                num("total_memory_gb_hours")?,
                num("total_storage_gb_hours")?,
            ],
            executor_vcpu: num("executor_vcpu")?,
            executor_memory_gb: num("executor_memory_gb")?,
            executor_disk_gb: num("executor_disk_gb")?,
            driver_vcpu: num("driver_vcpu")?,
            driver_memory_gb: num("driver_memory_gb")?,
            created_at: time("created_at")?,
            started_at: time("started_at")?,
            ended_at: time("ended_at")?,
            incomplete,
        })
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn region(&self, i: usize) -> Option<&str> {
        self.region.get(i)
    }

    pub fn application_id(&self, i: usize) -> Option<&str> {
        self.application_id.get(i)
    }

    pub fn application_name(&self, i: usize) -> Option<&str> {
        self.application_name.get(i)
    }

    pub fn job_name(&self, i: usize) -> Option<&str> {
        self.job_name.get(i)
    }

    /// Row `i`'s figures, after the checks every reader applies: the
    /// identifying columns are filled in, the words parse, and no figure is
    /// negative or fractional where it must be whole. The error is the
    /// reason, for a message that names the row.
    pub fn facts(&self, i: usize) -> Result<RunFacts, String> {
        if self.region.get(i).is_none() {
            return Err("region is empty".into());
        }
        if self.application_id.get(i).is_none() {
            return Err("application_id is empty".into());
        }
        let architecture = match self.architecture.get(i) {
            Some(a) => a.parse::<Architecture>()?,
            None => Architecture::X86_64,
        };
        if self.job_run_id.get(i).is_none() {
            return Err("job_run_id is empty".into());
        }
        whole(self.attempt.get(i), "attempt")?;
        let state = self
            .state
            .get(i)
            .ok_or("state is empty")?
            .parse::<JobState>()?;
        let created = self.created_at.get(i);
        let started = self.started_at.get(i);
        let ended = self.ended_at.get(i);
        let queued_ms = non_neg(self.queued_ms.get(i), "queued_ms")?.map(|q| q as u64);
        let duration_s = non_neg(self.duration_s.get(i), "duration_s")?;
        let billed = usage(&self.billed, i, "billed")?;
        let total = usage(&self.total, i, "total")?;
        let facts = RunFacts {
            architecture,
            state,
            start_ms: started.or(created),
            queued_ms,
            runtime_s: duration_s.or(match (started, ended) {
                (Some(s), Some(e)) if e >= s => Some((e - s) as f64 / 1000.0),
                _ => None,
            }),
            billed,
            total,
            executor_vcpu: non_neg(self.executor_vcpu.get(i), "executor_vcpu")?,
            executor_memory_gb: non_neg(self.executor_memory_gb.get(i), "executor_memory_gb")?,
            executor_disk_gb: non_neg(self.executor_disk_gb.get(i), "executor_disk_gb")?,
            driver_vcpu: non_neg(self.driver_vcpu.get(i), "driver_vcpu")?,
            driver_memory_gb: non_neg(self.driver_memory_gb.get(i), "driver_memory_gb")?,
            max_executors: whole(self.max_executors.get(i), "max_executors")?,
            peak_executors: whole(self.peak_executors.get(i), "peak_executors")?,
            source: match self.source.get(i) {
                Some(s) => s.parse()?,
                None => UsageSource::Csv,
            },
        };
        Ok(facts)
    }

    /// Row `i` as a full record (with its text), after the checks of
    /// [`RunColumns::facts`].
    pub fn job_run(&self, i: usize) -> Result<JobRun, String> {
        let f = self.facts(i)?;
        let time = |c: &Times| c.get(i).and_then(chrono::DateTime::from_timestamp_millis);
        let text = |c: &Texts| c.get(i).map(str::to_string);
        Ok(JobRun {
            region: text(&self.region).unwrap_or_default(),
            application_id: text(&self.application_id).unwrap_or_default(),
            application_name: text(&self.application_name),
            architecture: f.architecture,
            job_run_id: text(&self.job_run_id).unwrap_or_default(),
            attempt: whole(self.attempt.get(i), "attempt")?.unwrap_or(1),
            job_name: text(&self.job_name),
            state: f.state,
            release_label: text(&self.release_label),
            created_at: time(&self.created_at),
            started_at: time(&self.started_at),
            ended_at: time(&self.ended_at),
            queued_ms: f.queued_ms,
            // Checked by `facts` above.
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
        })
    }
}

/// A usage triple: absent when all three are; a missing figure among
/// present ones reads as zero.
fn usage(cols: &[Nums; 3], i: usize, what: &str) -> Result<Option<ResourceUsage>, String> {
    let (v, m, s) = (cols[0].get(i), cols[1].get(i), cols[2].get(i));
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
}

fn non_neg(v: Option<f64>, what: &str) -> Result<Option<f64>, String> {
    match v {
        Some(x) if !(x.is_finite() && x >= 0.0) => {
            Err(format!("{what} is {x}; it cannot be negative"))
        }
        other => Ok(other),
    }
}

fn whole(v: Option<f64>, what: &str) -> Result<Option<u32>, String> {
    match v {
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => Ok(Some(x as u32)),
        Some(x) => Err(format!("{what} is {x}; expected a whole number")),
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
            "max_executors" => &[Some(4.0), None, None, None, Some(2.5)],
            "started_at" => &[Some(1_700_000_000_000i64), None, None, None, Some(1_700_000_060_000)],
            "ended_at" => &[Some(1_700_000_100_000i64), None, None, None, Some(1_700_000_030_000)],
        )
        .unwrap()
    }

    /// Each row is accepted or rejected with the reason the record readers
    /// give, and the figures read back as written.
    #[test]
    fn rows_are_checked_and_read() {
        let cols = RunColumns::new(&frame()).unwrap();
        assert_eq!(cols.len(), 5);
        let f = cols.facts(0).unwrap();
        assert_eq!(f.architecture, Architecture::X86_64);
        assert_eq!(f.state, JobState::Success);
        assert_eq!(f.runtime_s, Some(90.0));
        assert_eq!(f.start_ms, Some(1_700_000_000_000));
        assert_eq!(f.billed.unwrap().vcpu_hours, 1.5);
        assert_eq!(f.billed.unwrap().memory_gb_hours, 0.0);
        assert_eq!(f.max_executors, Some(4));
        assert_eq!(f.total, None);
        assert_eq!(cols.facts(1).unwrap_err(), "region is empty");
        assert!(cols
            .facts(2)
            .unwrap_err()
            .starts_with("unknown job state 'SUCCEEDED?'"));
        assert_eq!(
            cols.facts(3).unwrap_err(),
            "duration_s is -1; it cannot be negative"
        );
        assert_eq!(
            cols.facts(4).unwrap_err(),
            "max_executors is 2.5; expected a whole number"
        );
        let run = cols.job_run(0).unwrap();
        assert_eq!(run.region, "us-east-1");
        assert_eq!(run.job_run_id, "r1");
        assert_eq!(run.attempt, 1);
        assert_eq!(run.facts(), f);
    }

    /// Without a duration the runtime is ended - started, and a run that
    /// ended before it started has none.
    #[test]
    fn runtime_from_timestamps() {
        let mut df = frame();
        df.replace("duration_s", Series::new_null("duration_s".into(), 5))
            .unwrap();
        df.replace(
            "max_executors",
            Series::new(
                "max_executors".into(),
                &[Some(4.0), None, None, None, Some(2.0)],
            ),
        )
        .unwrap();
        let cols = RunColumns::new(&df).unwrap();
        assert_eq!(cols.facts(0).unwrap().runtime_s, Some(100.0));
        assert_eq!(cols.facts(4).unwrap().runtime_s, None);
        assert_eq!(cols.facts(4).unwrap().architecture, Architecture::Arm64);
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
        let (a, b) = (
            RunColumns::new(&one).unwrap(),
            RunColumns::new(&two).unwrap(),
        );
        for i in 0..5 {
            assert_eq!(a.facts(i), b.facts(i), "row {i}");
        }
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let df = df!("application_id" => &["a"], "state" => &["SUCCESS"]).unwrap();
        let err = RunColumns::new(&df).err().unwrap();
        assert_eq!(err, "missing required column 'job_run_id'");
    }
}
