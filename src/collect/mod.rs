//! AWS collectors: EMR Serverless job runs and CloudWatch metrics, and Glue
//! job runs, into a local dataset (pacing, journal). File formats, Spark event logs among
//! them, live in [`crate::input`].

pub mod cloudwatch;
pub mod collector;
pub mod dataset;
pub mod emr_ec2;
pub mod emr_serverless;
pub mod glue;
pub mod pacing;
pub mod s3_logs;
mod spark_params;

pub use spark_params::{parse_memory_gb, SparkParams};
