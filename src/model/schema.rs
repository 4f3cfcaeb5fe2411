//! The run table: every column a source may fill, declared once.
//!
//! Readers (CSV, JSON, Parquet, dataset folders, event-log imports, the
//! sample) turn their input into batches with these columns; the one check
//! types and validates them; writers (`synth`, `import eventlog`, the
//! collector's Parquet) write them. A new field is added here first.

/// How a column's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// A finite number.
    Number,
    /// A whole number of zero or more.
    Whole,
    /// A time: see [`crate::model::time`] for the accepted forms.
    Time,
    /// `true` or `false`.
    Bool,
}

/// One column of the run table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// The unit, or the form of the text.
    pub unit: &'static str,
    /// A row without it is rejected (after `--region`/`--arch` defaults).
    pub required: bool,
}

const fn col(name: &'static str, kind: Kind, unit: &'static str, required: bool) -> Column {
    Column {
        name,
        kind,
        unit,
        required,
    }
}

/// Every column, in the order emrcost writes them.
pub const RUN_TABLE: &[Column] = &[
    col("region", Kind::Text, "AWS region (default --region)", true),
    col("application_id", Kind::Text, "text", true),
    col("application_name", Kind::Text, "text", false),
    col(
        "architecture",
        Kind::Text,
        "x86_64 or arm64 (default --arch)",
        false,
    ),
    col("job_run_id", Kind::Text, "text", true),
    col("attempt", Kind::Whole, "whole number (default 1)", false),
    col("job_name", Kind::Text, "text", false),
    col(
        "state",
        Kind::Text,
        "SUCCESS, FAILED, CANCELLED, ... as the API spells them",
        true,
    ),
    col("release_label", Kind::Text, "text", false),
    col("created_at", Kind::Time, "time", false),
    col("started_at", Kind::Time, "time", false),
    col("ended_at", Kind::Time, "time", false),
    col("queued_ms", Kind::Number, "milliseconds", false),
    col(
        "duration_s",
        Kind::Number,
        "seconds (else ended_at - started_at)",
        false,
    ),
    col(
        "billed_vcpu_hours",
        Kind::Number,
        "vCPU-hours (billedResourceUtilization)",
        false,
    ),
    col(
        "billed_memory_gb_hours",
        Kind::Number,
        "GB-hours (billedResourceUtilization)",
        false,
    ),
    col(
        "billed_storage_gb_hours",
        Kind::Number,
        "GB-hours (billedResourceUtilization)",
        false,
    ),
    col(
        "total_vcpu_hours",
        Kind::Number,
        "vCPU-hours (totalResourceUtilization)",
        false,
    ),
    col(
        "total_memory_gb_hours",
        Kind::Number,
        "GB-hours (totalResourceUtilization)",
        false,
    ),
    col(
        "total_storage_gb_hours",
        Kind::Number,
        "GB-hours (totalResourceUtilization)",
        false,
    ),
    col(
        "executor_vcpu",
        Kind::Number,
        "vCPU (spark.executor.cores)",
        false,
    ),
    col(
        "executor_memory_gb",
        Kind::Number,
        "GB of heap (spark.executor.memory)",
        false,
    ),
    col("executor_disk_gb", Kind::Number, "GB", false),
    col(
        "driver_vcpu",
        Kind::Number,
        "vCPU (spark.driver.cores)",
        false,
    ),
    col(
        "driver_memory_gb",
        Kind::Number,
        "GB of heap (spark.driver.memory)",
        false,
    ),
    col(
        "max_executors",
        Kind::Whole,
        "spark.dynamicAllocation.maxExecutors or spark.executor.instances",
        false,
    ),
    col(
        "peak_executors",
        Kind::Whole,
        "most executors alive at once",
        false,
    ),
    col(
        "incomplete",
        Kind::Bool,
        "true when the end of the run was not seen",
        false,
    ),
    col(
        "source",
        Kind::Text,
        "job_run_api, csv, synthetic, event_log, glue_api or emr_api",
        false,
    ),
    // A Glue run: `glue_dpu` marks one; its cost is then Glue's.
    col(
        "glue_dpu",
        Kind::Number,
        "DPU the Glue run had (workers x DPU per worker, or MaxCapacity)",
        false,
    ),
    col(
        "glue_workers",
        Kind::Whole,
        "Glue workers, the driver's included",
        false,
    ),
    col("glue_worker_type", Kind::Text, "G.1X, G.2X, ...", false),
    col("glue_version", Kind::Text, "0.9, 1.0, 2.0 ... 5.0", false),
    col(
        "glue_execution_class",
        Kind::Text,
        "STANDARD or FLEX",
        false,
    ),
    col(
        "glue_dpu_seconds",
        Kind::Number,
        "DPUSeconds (auto-scaled and Flex runs)",
        false,
    ),
    // An EMR on EC2 step: `ec2_cost_usd` marks one; its cost is then its
    // share of its cluster's.
    col(
        "ec2_cost_usd",
        Kind::Number,
        "USD: the step's share of its cluster's instances",
        false,
    ),
    col("ec2_cluster_id", Kind::Text, "j-...", false),
    col(
        "account_id",
        Kind::Text,
        "AWS account the run was collected from",
        false,
    ),
    col(
        "tags",
        Kind::Text,
        "the run's tags (its application's beneath them) as a JSON object of strings",
        false,
    ),
];

/// Columns a file must have. `region` is required of a row, not of a file:
/// `--region` fills it in.
pub const REQUIRED_COLUMNS: &[&str] = &["application_id", "job_run_id", "state"];

/// The column called `name`, if the run table has one.
pub fn column(name: &str) -> Option<&'static Column> {
    RUN_TABLE.iter().find(|c| c.name == name)
}

/// The run table's column names, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    RUN_TABLE.iter().map(|c| c.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_required_columns_exist() {
        let mut seen = std::collections::HashSet::new();
        for c in RUN_TABLE {
            assert!(seen.insert(c.name), "{} twice", c.name);
        }
        for r in REQUIRED_COLUMNS {
            assert!(column(r).is_some_and(|c| c.required), "{r}");
        }
    }
}
