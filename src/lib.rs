//! emrcost: what Spark jobs cost on Amazon EMR Serverless, and what the same
//! jobs would cost on EMR on EC2 and on AWS Glue.
//!
//! The data flows one way:
//!
//! ```text
//! collect (files, later the AWS APIs)  ->  model::JobRun
//!        -> cost::Pricer (price book + assumptions)  ->  cost::JobCost
//!        -> report::build  ->  report::Report  ->  report::export::{table, csv, json, markdown}
//! ```
//!
//! Prices never live in code: they are loaded into a [`pricing::PriceBook`]
//! from the versioned CSV files in `pricing/` (compiled in as the default).
//! Every modelling choice that is not a price is a named setting in
//! [`cost::Assumptions`] and is printed beside every result.

pub mod collect;
pub mod cost;
pub mod model;
pub mod pricing;
pub mod report;
pub mod sample;
pub mod synth;
