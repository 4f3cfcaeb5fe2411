//! Billing models: pure functions from usage + prices + assumptions to costs.
//!
//! One file per deployment option ([`serverless`], [`ec2`], [`glue`]); each
//! turns a [`JobShape`](crate::model::JobShape) into a [`BillingCurve`], the
//! cost of the job as a function of its runtime. [`crossover`] solves those
//! curves exactly. [`Pricer`] prices whole job runs against a price book.

mod assumptions;
pub mod crossover;
mod curve;
pub mod ec2;
pub mod eks;
mod error;
pub mod glue;
mod option;
mod pricer;
pub mod serverless;
pub mod shape;

pub use assumptions::fmt_num;
pub use assumptions::{
    AssumptionLine, Assumptions, Ec2Arch, Ec2Sizing, GlueMapping, GlueSizing, GlueVersion,
    InstanceChoice, PeakFactorBasis, DEFAULT_EKS_NODE_PROVISIONING_SECONDS, DEFAULT_PEAK_FACTOR,
};
pub use curve::BillingCurve;
pub use error::CostError;
pub use option::DeploymentOption;
pub use pricer::{
    CompactCost, FleetPricer, OptionCurves, PlanCache, Pricer, RowsUsed, UnpricedReason,
    SIZED_OPTIONS,
};
