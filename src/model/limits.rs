//! Plausibility limits: the largest value of each kind the check accepts.
//!
//! They are far above anything EMR Serverless, EMR on EC2 or Glue runs
//! (a worker there has at most 16 vCPU, 120 GB and 200 GB of disk; a queue
//! times out after at most 720 minutes; FACTS.md §5, §11), so a value past
//! one is a unit mistake or a broken export, not a big job. A row past a
//! limit is refused with the column, the value and the limit, instead of
//! being priced as an astronomic cost. The README lists them.

/// A run's duration, and its queue time: 30 days.
pub const MAX_SECONDS: f64 = 30.0 * 24.0 * 3600.0;
/// The same limit's words, for messages.
pub const MAX_SECONDS_TEXT: &str = "limit of 2592000 s (30 days)";

/// Any usage figure (vCPU-hours, GB-hours): a thousand million.
pub const MAX_USAGE: f64 = 1e9;
pub const MAX_USAGE_TEXT: &str = "limit of 1e9 (vCPU- or GB-hours)";

/// The smallest worker (executor or driver) the check accepts: a quarter
/// of a vCPU and a quarter of a GB (Spark's smallest practical executor;
/// the smallest EMR Serverless worker is 1 vCPU and 2 GB).
pub const MIN_WORKER_VCPU: f64 = 0.25;
pub const MIN_WORKER_GB: f64 = 0.25;

/// vCPU of one worker (executor or driver).
pub const MAX_WORKER_VCPU: f64 = 1024.0;
pub const MAX_WORKER_VCPU_TEXT: &str = "limit of 1024 vCPU per worker";

/// Memory or disk of one worker, in GB.
pub const MAX_WORKER_GB: f64 = 65536.0;
pub const MAX_WORKER_GB_TEXT: &str = "limit of 65536 GB per worker";

/// Executors of one run.
pub const MAX_EXECUTORS: f64 = 100_000.0;
pub const MAX_EXECUTORS_TEXT: &str = "limit of 100000 executors";

/// A price per hour (of an instance, a DPU, a vCPU or a GB) in USD: no
/// AWS rate in the price book comes near it.
pub const MAX_HOURLY_USD: f64 = 10_000.0;

/// `--provisioning-seconds`: a day (EMR on EC2 clusters start in minutes).
pub const MAX_PROVISIONING_SECONDS: f64 = 86_400.0;

/// A Glue run's DPU: at most 10,000 workers (bench's own bound, Glue's
/// per-job ceiling is lower) of the largest type, 16 DPU.
pub const MAX_GLUE_DPU: f64 = 160_000.0;
pub const MAX_GLUE_DPU_TEXT: &str = "limit of 160000 DPU";
