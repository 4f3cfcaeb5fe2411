//! The price book: versioned prices loaded from `pricing/*.csv`, each with its
//! source, confidence and effective date.
//!
//! The CSV files are compiled into the binary ([`PriceBook::embedded`]);
//! `--pricing DIR` loads another copy ([`PriceBook::from_dir`]). Loading is
//! strict: anything odd is an error naming the file and line.

mod book;
pub mod diff;
mod error;
pub mod offer;
mod table;
pub mod update;
pub mod write;

pub use book::{
    Confidence, EbsRate, Ec2Rate, EksRate, GlueClass, GlueRate, GlueWorker, InstanceType,
    PriceBook, Provenance, ServerlessRate, Snapshot, Source,
};
pub use error::{LookupError, PriceBookError};
