//! The bundled sample: `samples/jobruns.csv`, compiled in so that
//! `emrcost report --sample` works anywhere. It is exactly
//! `emrcost synth --runs 2000 --seed 42`; a test keeps it so.

/// How the sample is named in reports.
pub const NAME: &str = "samples/jobruns.csv (bundled; emrcost synth --runs 2000 --seed 42)";

/// The sample's contents.
pub const CSV: &str = include_str!("../samples/jobruns.csv");
