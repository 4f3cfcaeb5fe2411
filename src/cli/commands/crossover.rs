//! `emrcost crossover`: exact crossover runtimes for one job shape.

use std::process::ExitCode;

use anyhow::bail;
use emrcost::model::limits;

use super::super::args::{CrossoverArgs, Format, GlobalArgs};
use super::super::output::emit;
use super::super::settings;
use emrcost::cost::Pricer;
use emrcost::model::{JobShape, ShapeBasis, WorkerSize};
use emrcost::report::crossover_report;
use emrcost::report::export::{csv, json, markdown, table};

/// A flag's value within `min..=max` (the check's limits, model/limits.rs).
fn within(flag: &str, v: f64, min: f64, max: f64) -> anyhow::Result<f64> {
    if !(v.is_finite() && v >= min && v <= max) {
        bail!("{flag} must be between {min} and {max}, not {v}");
    }
    Ok(v)
}

fn vcpu(flag: &str, v: f64) -> anyhow::Result<f64> {
    within(flag, v, limits::MIN_WORKER_VCPU, limits::MAX_WORKER_VCPU)
}

fn memory(flag: &str, v: f64) -> anyhow::Result<f64> {
    within(flag, v, limits::MIN_WORKER_GB, limits::MAX_WORKER_GB)
}

pub fn run(g: &GlobalArgs, a: &CrossoverArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    let assumptions = settings::assumptions(&book, &a.model)?;
    let book = settings::discounted(book, &assumptions);
    let region = settings::region(&book, &a.region)?;
    let arch = settings::architecture("--arch", &a.arch)?;
    within("--executors", a.executors, 0.0, limits::MAX_EXECUTORS)?;
    let peak = match a.peak_executors {
        Some(p) => within("--peak-executors", p, a.executors, limits::MAX_EXECUTORS)?,
        None => a.executors,
    };
    within(
        "--executor-disk-gb",
        a.executor_disk_gb,
        0.0,
        limits::MAX_WORKER_GB,
    )?;
    let shape = JobShape::steady(
        WorkerSize {
            vcpu: vcpu("--driver-vcpu", a.driver_vcpu)?,
            memory_gb: assumptions
                .with_overhead_gb(memory("--driver-memory-gb", a.driver_memory_gb)?),
            disk_gb: 20.0,
        },
        WorkerSize {
            vcpu: vcpu("--executor-vcpu", a.executor_vcpu)?,
            memory_gb: assumptions
                .with_overhead_gb(memory("--executor-memory-gb", a.executor_memory_gb)?),
            disk_gb: a.executor_disk_gb,
        },
        a.executors,
        ShapeBasis::Declared,
    );
    let shape = JobShape {
        peak_executors: peak,
        ..shape
    };
    let pricer = Pricer::new(&book, assumptions);
    let report = crossover_report(&pricer, &region, arch, &shape)
        .map_err(|e| anyhow::anyhow!("cannot price this shape in {region}: {e}"))?;
    let text = match a.format {
        Format::Table => table::crossover_report(&report),
        Format::Json => json::render(&report),
        Format::Md => markdown::crossover(&report),
        Format::Csv => csv::crossover_samples(&report),
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}
