//! All integration tests, in one binary (as ripgrep does).

mod emulator;
mod util;

mod browser;
mod cli_bench;
mod cli_collect;
mod cli_collect_emr;
mod cli_collect_glue;
mod cli_crossover;
mod cli_errors;
mod cli_eventlog;
mod cli_eventlog_s3;
mod cli_price;
mod cli_pricing_update;
mod cli_report;
mod cli_synth;
mod crash_safety;
mod fair_comparisons;
mod fuzz_parsers;
mod hostile;
mod json_schema;
mod one_pipeline;
mod parquet_dataset;
mod reconcile;
mod snapshots_crossover;
mod snapshots_report;
mod startup;
