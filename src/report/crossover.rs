//! Builds the [`CrossoverReport`] for one job shape.

use super::build::PricesUsed;
use super::model::{CrossoverReport, SamplePoint, SCHEMA_VERSION};
use crate::cost::{crossover, CostError, DeploymentOption, Pricer};
use crate::model::{Architecture, JobShape};

/// Runtimes the sample table always shows, in seconds.
const SAMPLE_RUNTIMES_S: [f64; 10] = [
    30.0, 60.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0,
];

/// Prices `shape` on every option, solves the crossovers and samples the
/// curves at fixed runtimes plus each crossover.
pub fn crossover_report(
    pricer: &Pricer<'_>,
    region: &str,
    architecture: Architecture,
    shape: &JobShape,
) -> Result<CrossoverReport, CostError> {
    let oc = pricer.curves(region, architecture, shape)?;
    let analysis = crossover::analyse(&oc.curves);
    let mut runtimes: Vec<f64> = SAMPLE_RUNTIMES_S.to_vec();
    runtimes.extend(
        analysis
            .cheapest_changes
            .iter()
            .map(|c| c.runtime_s.round()),
    );
    runtimes.sort_by(f64::total_cmp);
    runtimes.dedup();
    let samples = runtimes
        .into_iter()
        .map(|t| {
            let costs_usd: Vec<(DeploymentOption, f64)> =
                oc.curves.iter().map(|(o, c)| (*o, c.cost_usd(t))).collect();
            let cheapest = costs_usd
                .iter()
                .copied()
                .fold(None::<(DeploymentOption, f64)>, |best, (o, v)| match best {
                    Some((_, b)) if b <= v => best,
                    _ => Some((o, v)),
                })
                .map_or(DeploymentOption::EmrServerless, |(o, _)| o);
            SamplePoint {
                runtime_s: t,
                costs_usd,
                cheapest,
            }
        })
        .collect();

    let a = pricer.assumptions();
    let mut plans = vec![(
        DeploymentOption::EmrServerless,
        format!(
            "driver {} vCPU / {} GB / {} GB disk + {} executors of {} vCPU / {} GB / {} GB disk ({})",
            oc.serverless_driver.vcpu,
            oc.serverless_driver.memory_gb,
            oc.serverless_driver.disk_gb,
            super::export::num(shape.executors),
            oc.serverless_executor.vcpu,
            oc.serverless_executor.memory_gb,
            oc.serverless_executor.disk_gb,
            architecture
        ),
    )];
    if let Some(ec2) = &oc.ec2 {
        plans.push((
            DeploymentOption::Ec2OnDemand,
            if (ec2.billed_core_nodes - f64::from(ec2.core_nodes)).abs() < 1e-9 {
                format!(
                    "{} core node(s) of {} ({} executor(s) each) + 1 primary {}; ${:.4}/h on-demand",
                    ec2.core_nodes,
                    ec2.instance_type,
                    ec2.executors_per_node,
                    ec2.primary_instance_type,
                    ec2.cluster_hour_usd
                )
            } else {
                format!(
                    "up to {} core node(s) of {} ({} executor(s) each), {} billed on average (managed scaling), + 1 primary {}; ${:.4}/h on-demand",
                    ec2.core_nodes,
                    ec2.instance_type,
                    ec2.executors_per_node,
                    super::export::num(ec2.billed_core_nodes),
                    ec2.primary_instance_type,
                    ec2.cluster_hour_usd
                )
            },
        ));
        if let Some(h) = ec2.spot_cluster_hour_usd {
            plans.push((
                DeploymentOption::Ec2Spot,
                format!("same cluster, core nodes on Spot; ${h:.4}/h"),
            ));
        }
    }
    if let Some(g) = &oc.ec2_graviton {
        plans.push((
            DeploymentOption::Ec2OnDemand,
            format!(
                "what-if on Graviton: {} core node(s) of {} + 1 primary {}; ${:.4}/h on-demand",
                g.core_nodes, g.instance_type, g.primary_instance_type, g.cluster_hour_usd
            ),
        ));
    }
    if let Some(glue) = &oc.glue {
        plans.push((
            DeploymentOption::GlueStandard,
            if (glue.dpu - f64::from(glue.workers) * dpu_of(pricer, &glue.worker_type)).abs() < 1e-9 {
                format!(
                    "{} x {} = {} DPU (driver included), Glue {}",
                    glue.workers,
                    glue.worker_type,
                    super::export::num(glue.dpu),
                    a.glue_version
                )
            } else {
                format!(
                    "up to {} x {} (driver included), {} DPU billed on average (auto scaling), Glue {}",
                    glue.workers,
                    glue.worker_type,
                    super::export::num(glue.dpu),
                    a.glue_version
                )
            },
        ));
        if glue.flex_dpu_hour_usd.is_some() {
            plans.push((
                DeploymentOption::GlueFlex,
                "same workers, Flex execution class".to_string(),
            ));
        }
    }
    if let Some(eks) = &oc.eks {
        plans.push((
            DeploymentOption::EmrOnEks,
            format!(
                "{} node(s) of {} (up to {} executor pod(s) a node, the driver pod placed with them), {} billed on average, ${:.4}/h EC2 + EBS; uplift ${:.4}/h (driver pod ${:.4}/h + {} executor pods x ${:.4}/h); {} node provisioning",
                eks.nodes,
                eks.instance_type,
                eks.executors_per_node,
                super::export::num(eks.billed_nodes),
                eks.billed_nodes * eks.node_hour_usd,
                eks.hour_usd - eks.billed_nodes * eks.node_hour_usd,
                eks.driver_pod_hour_usd,
                super::export::num(shape.executors),
                eks.executor_pod_hour_usd,
                super::export::duration(a.eks_node_provisioning_seconds)
            ),
        ));
    }
    for (option, reason) in &oc.unavailable {
        plans.push((*option, format!("not priced: {reason}")));
    }

    let ec2_types: Vec<&str> = oc
        .ec2
        .iter()
        .chain(oc.ec2_graviton.iter())
        .flat_map(|e| [&*e.instance_type, &*e.primary_instance_type])
        .chain(oc.eks.iter().map(|e| &*e.instance_type))
        .collect();
    let glue_type = oc.glue.as_ref().map_or("", |g| &*g.worker_type);
    let mut used = PricesUsed::default();
    used.add(
        region,
        architecture,
        &ec2_types,
        glue_type,
        oc.eks.is_some(),
    );
    Ok(CrossoverReport {
        schema_version: SCHEMA_VERSION,
        generated_by: format!("emrcost {}", env!("CARGO_PKG_VERSION")),
        region: region.to_string(),
        architecture: architecture.to_string(),
        shape: format!(
            "{} executors{} of {} vCPU / {:.2} GB (heap + overhead), driver {} vCPU / {:.2} GB",
            super::export::num(shape.executors),
            if shape.peak_executors > shape.executors {
                format!(
                    " on average ({} at the peak{})",
                    super::export::num(shape.peak_executors),
                    if shape.peak_estimated {
                        ", estimated"
                    } else {
                        ""
                    }
                )
            } else {
                String::new()
            },
            shape.executor.vcpu,
            shape.executor.memory_gb,
            shape.driver.vcpu,
            shape.driver.memory_gb
        ),
        plans,
        options: oc.curves.iter().map(|(o, _)| *o).collect(),
        curves: oc.curves.clone(),
        analysis,
        samples,
        price_snapshot: used.finish(pricer.book(), a),
        // The shape is given: its peak comes from --peak-executors, not a factor.
        assumptions: a
            .lines()
            .into_iter()
            .map(|mut l| {
                if l.name == "peak_factor" {
                    l.value = "not used".into();
                    l.basis =
                        "crossover takes the peak from --peak-executors (default: --executors)";
                }
                l
            })
            .collect(),
    })
}

/// DPU of one worker of a type, from the price book (0 if unknown).
fn dpu_of(pricer: &Pricer<'_>, worker_type: &str) -> f64 {
    pricer
        .book()
        .glue_workers
        .iter()
        .find(|w| w.name == worker_type)
        .map_or(0.0, |w| w.dpu)
}
