//! Errors from the billing models: shapes no option can run, missing prices.

use crate::pricing::LookupError;

/// Why a shape or a job could not be priced on some option.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostError {
    #[error(transparent)]
    MissingPrice(#[from] LookupError),

    #[error("a {vcpu} vCPU / {memory_gb:.1} GB worker is larger than any EMR Serverless worker (16 vCPU, 120 GB); lower the executor or driver size")]
    ServerlessWorkerTooLarge { vcpu: f64, memory_gb: f64 },

    #[error(
        "a {disk_gb} GB worker disk is above the 200 GB EMR Serverless allows for standard disks"
    )]
    ServerlessDiskTooLarge { disk_gb: f64 },

    #[error("no instance type in region '{region}' fits one {vcpu} vCPU / {memory_gb:.1} GB executor in YARN (checked: {checked}); use a smaller executor or add a larger type to pricing/instance_types.csv")]
    NoInstanceFits {
        region: String,
        vcpu: f64,
        memory_gb: f64,
        checked: String,
    },

    #[error("instance type {instance_type} cannot hold one {vcpu} vCPU / {memory_gb:.1} GB executor (YARN offers {yarn_vcores} vcores and {yarn_memory_mb} MB per node); pick a larger --instance-type or use auto")]
    InstanceTooSmall {
        instance_type: String,
        vcpu: f64,
        memory_gb: f64,
        yarn_vcores: u32,
        yarn_memory_mb: u32,
    },

    #[error("instance type {instance_type} is {instance_arch} and the run is {run_arch}: like-for-like comparison keeps them apart; pick an --instance-type of architecture {run_arch} or allow the move with --ec2-arch any")]
    WrongArchitecture {
        instance_type: String,
        instance_arch: crate::model::Architecture,
        run_arch: crate::model::Architecture,
    },

    #[error("no primary node type in region '{region}' holds a {vcpu} vCPU / {memory_gb:.1} GB driver (--primary-instance-type {choice}); pick a larger one or lower the driver size")]
    NoPrimaryFits {
        region: String,
        vcpu: f64,
        memory_gb: f64,
        choice: String,
    },

    #[error("no Glue worker type holds a {vcpu} vCPU / {memory_gb:.1} GB Spark process (the largest is G.16X, 64 vCPU, 256 GB; see glue_heap_gb_per_dpu among the assumptions)")]
    NoGlueWorkerFits { vcpu: f64, memory_gb: f64 },

    #[error("invalid shape: {0}")]
    InvalidShape(String),
}
