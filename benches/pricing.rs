//! Pricing and crossover benchmarks. Each bench checks its answer before it
//! is timed, so a fast wrong result cannot pass for a result.
//!
//! `cargo bench --bench pricing`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use emrcost::cost::crossover::analyse;
use emrcost::cost::{Assumptions, BillingCurve, DeploymentOption, PlanCache, Pricer, RowsUsed};
use emrcost::pricing::PriceBook;
use emrcost::synth::{generate, SynthConfig};

const RUNS: usize = 1_000_000;

fn price_million_runs(c: &mut Criterion) {
    let book = PriceBook::embedded().expect("built-in price book");
    let runs = generate(&SynthConfig {
        runs: RUNS,
        ..SynthConfig::default()
    });
    // Spot on, so every option (five of them) is priced for every run.
    let pricer = Pricer::new(
        &book,
        Assumptions {
            ec2_spot_discount: Some(0.6),
            ..Assumptions::default()
        },
    );

    // The one pricer, one thread, its plan cache warm after the first runs.
    let price_all = |runs: &[emrcost::model::JobRun]| {
        let fleet = pricer.fleet();
        let mut cache = PlanCache::default();
        let mut used = RowsUsed::default();
        runs.iter()
            .map(|r| fleet.price(r, &mut cache, &mut used))
            .collect::<Vec<_>>()
    };
    let costs = price_all(&runs);
    assert!(
        costs.iter().all(|c| c.is_ok()),
        "synthetic runs all price: {:?}",
        costs.iter().find(|c| c.is_err())
    );
    assert_eq!(costs.len(), RUNS);
    assert!(costs
        .iter()
        .flatten()
        .all(|c| DeploymentOption::ALL.iter().all(|o| c.usd(*o).is_some())));
    let total: f64 = costs.iter().flatten().map(|c| c.serverless_usd).sum();
    assert!(total > 0.0);

    let mut g = c.benchmark_group("pricing");
    g.sample_size(10);
    g.throughput(Throughput::Elements(RUNS as u64));
    g.bench_function("fleet_pricer/1M_runs/5_options", |b| {
        b.iter(|| price_all(black_box(&runs)))
    });
    g.finish();
}

fn crossover_solver(c: &mut Criterion) {
    let curve = |usd_per_hour: f64, offset_s: f64, minimum_s: f64| BillingCurve {
        usd_per_second: usd_per_hour / 3600.0,
        time_scale: 1.0,
        offset_s,
        minimum_s,
    };
    let curves = [
        (DeploymentOption::EmrServerless, curve(3.33, 0.0, 60.0)),
        (DeploymentOption::Ec2OnDemand, curve(4.2, 210.0, 60.0)),
        (DeploymentOption::Ec2Spot, curve(2.0, 210.0, 60.0)),
        (DeploymentOption::GlueStandard, curve(5.28, 0.0, 60.0)),
        (DeploymentOption::GlueFlex, curve(3.48, 0.0, 60.0)),
    ];
    let r = analyse(&curves);
    // Serverless is cheapest until Spot's provisioning is paid off:
    // 3.33 t = 2.0 (t + 210) -> t = 315.79 s.
    assert_eq!(r.cheapest_changes.len(), 1);
    assert!((r.cheapest_changes[0].runtime_s - 2.0 * 210.0 / 1.33).abs() < 1e-6);

    c.bench_function("crossover/analyse/5_options", |b| {
        b.iter(|| analyse(black_box(&curves)))
    });
}

criterion_group!(benches, price_million_runs, crossover_solver);
criterion_main!(benches);
