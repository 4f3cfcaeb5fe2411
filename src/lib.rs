//! emrcost: what Spark jobs cost on Amazon EMR Serverless, and what the same
//! jobs would cost on EMR on EC2 and on AWS Glue.
//!
//! The data flows one way:
//!
//! ```text
//! input (CSV, JSON, Parquet, datasets) / collect (AWS)  ->  batches of the run table
//!        -> pipeline (the one check, de-duplication, window)
//!        -> cost::FleetPricer (price book + assumptions)  ->  cost::CompactCost per run
//!        -> report::generate  ->  report::Report  ->  report::export::{table, csv, json, markdown, html}
//! ```
//!
//! Prices never live in code: they are loaded into a [`pricing::PriceBook`]
//! from the versioned CSV files in `pricing/` (compiled in as the default).
//! Every modelling choice that is not a price is a named setting in
//! [`cost::Assumptions`] and is printed beside every result.

pub mod bench;
pub mod collect;
pub mod cost;
pub mod files;
pub mod input;
pub mod model;
pub mod pipeline;
pub mod pricing;
pub mod reconcile;
pub mod report;
pub mod sample;
pub mod synth;
