//! `emrcost crossover`: exact crossover runtimes for one job shape.

use std::process::ExitCode;

use anyhow::bail;

use super::super::args::{CrossoverArgs, Format, GlobalArgs};
use super::super::output::emit;
use super::super::settings;
use emrcost::cost::Pricer;
use emrcost::model::{JobShape, ShapeBasis, WorkerSize};
use emrcost::report::crossover_report;
use emrcost::report::export::{csv, json, markdown, table};

fn positive(flag: &str, v: f64) -> anyhow::Result<f64> {
    if !(v.is_finite() && v > 0.0) {
        bail!("{flag} must be a number above zero, not {v}");
    }
    Ok(v)
}

pub fn run(g: &GlobalArgs, a: &CrossoverArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    let assumptions = settings::assumptions(&book, &a.model)?;
    let region = settings::region(&book, &a.region)?;
    let arch = settings::architecture("--arch", &a.arch)?;
    if !(a.executors.is_finite() && a.executors >= 0.0) {
        bail!("--executors must be zero or more, not {}", a.executors);
    }
    if a.executor_disk_gb < 0.0 || !a.executor_disk_gb.is_finite() {
        bail!(
            "--executor-disk-gb must be zero or more, not {}",
            a.executor_disk_gb
        );
    }
    let shape = JobShape {
        driver: WorkerSize {
            vcpu: positive("--driver-vcpu", a.driver_vcpu)?,
            memory_gb: assumptions
                .with_overhead_gb(positive("--driver-memory-gb", a.driver_memory_gb)?),
            disk_gb: 20.0,
        },
        executor: WorkerSize {
            vcpu: positive("--executor-vcpu", a.executor_vcpu)?,
            memory_gb: assumptions
                .with_overhead_gb(positive("--executor-memory-gb", a.executor_memory_gb)?),
            disk_gb: a.executor_disk_gb,
        },
        executors: a.executors,
        basis: ShapeBasis::Declared,
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
