//! Collectors: turn outside data into [`JobRun`](crate::model::JobRun)s.
//! One source per file; nothing outside this module sees a file format.

pub mod cloudwatch;
pub mod collector;
mod columns;
mod csv_format;
pub mod dataset;
pub mod emr_serverless;
pub mod eventlog;
mod files;
mod jobrun_json;
pub mod pacing;
pub mod parquet;
mod spark_params;

pub use columns::RunColumns;
pub use csv_format::{write_csv, CSV_COLUMNS, CSV_REQUIRED};
pub use files::{load_files, load_text, FileError, InputDefaults, Loaded, Rejected};
pub use spark_params::{parse_memory_gb, SparkParams};
