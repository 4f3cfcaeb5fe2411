//! AWS collectors: EMR Serverless job runs and CloudWatch metrics into a
//! local dataset (pacing, journal); Spark event logs imported from
//! anywhere. File formats live in [`crate::input`].

pub mod cloudwatch;
pub mod collector;
pub mod dataset;
pub mod emr_serverless;
pub mod eventlog;
pub mod pacing;
mod spark_params;

pub use spark_params::{parse_memory_gb, SparkParams};
