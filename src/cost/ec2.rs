//! EMR on EC2: a transient cluster per job.
//!
//! The executors are packed onto core nodes by YARN vcores and memory
//! (`yarn.nodemanager.resource.*` per instance type), one primary node is
//! added, and every node is billed from launch: runtime plus provisioning
//! time, per second with a 1-minute minimum, EC2 + EMR uplift + EBS.

use std::sync::Arc;

use serde::Serialize;

use super::{Assumptions, BillingCurve, CostError, InstanceChoice};
use crate::model::{JobShape, WorkerSize};
use crate::pricing::PriceBook;

/// Per-instance billing minimum, in seconds (EMR pricing page, 3p copy).
pub const MINIMUM_SECONDS: f64 = 60.0;

/// One instance type's hourly cost in a region, split into its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeRate {
    pub instance_type: Arc<str>,
    pub yarn_vcores: u32,
    pub yarn_memory_mb: u32,
    pub ec2_hour_usd: f64,
    pub emr_hour_usd: f64,
    pub ebs_hour_usd: f64,
}

impl NodeRate {
    pub fn on_demand_hour_usd(&self) -> f64 {
        self.ec2_hour_usd + self.emr_hour_usd + self.ebs_hour_usd
    }

    /// Spot changes the EC2 part only; the EMR uplift stays fixed.
    pub fn spot_hour_usd(&self, discount: f64) -> f64 {
        self.ec2_hour_usd * (1.0 - discount) + self.emr_hour_usd + self.ebs_hour_usd
    }

    /// How many executors of this size YARN fits on one node.
    pub fn executors_per_node(&self, executor: &WorkerSize) -> u32 {
        self.fits(&YarnRequest::of(executor))
    }

    fn fits(&self, req: &YarnRequest) -> u32 {
        (self.yarn_vcores / req.vcores).min(self.yarn_memory_mb / req.memory_mb)
    }
}

/// One executor as a YARN container request: whole vcores and MB.
struct YarnRequest {
    vcores: u32,
    memory_mb: u32,
}

impl YarnRequest {
    fn of(executor: &WorkerSize) -> YarnRequest {
        YarnRequest {
            vcores: (executor.vcpu - 1e-9).ceil().max(1.0) as u32,
            memory_mb: (executor.memory_gb * 1024.0 - 1e-6).ceil().max(1.0) as u32,
        }
    }
}

/// The cluster chosen for one job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ec2Plan {
    pub instance_type: Arc<str>,
    pub executors_per_node: u32,
    pub core_nodes: u32,
    pub primary_instance_type: Arc<str>,
    /// EC2 + EMR + EBS of one core node, on-demand.
    pub core_node_hour_usd: f64,
    pub primary_hour_usd: f64,
    /// All nodes, on-demand.
    pub cluster_hour_usd: f64,
    /// Core nodes on Spot, primary on-demand; `None` when Spot is off.
    pub spot_cluster_hour_usd: Option<f64>,
}

impl Ec2Plan {
    fn curve_at(hourly: f64, a: &Assumptions) -> BillingCurve {
        BillingCurve {
            usd_per_second: hourly / 3600.0,
            time_scale: a.speed_factor_ec2,
            offset_s: a.ec2_provisioning_seconds,
            minimum_s: MINIMUM_SECONDS,
        }
    }

    pub fn curve(&self, a: &Assumptions) -> BillingCurve {
        Self::curve_at(self.cluster_hour_usd, a)
    }

    pub fn spot_curve(&self, a: &Assumptions) -> Option<BillingCurve> {
        self.spot_cluster_hour_usd.map(|h| Self::curve_at(h, a))
    }
}

/// The instance types (and primary node) available in one region, priced
/// once so that pricing many jobs does no lookups.
#[derive(Debug, Clone)]
pub struct Ec2Catalog {
    region: String,
    candidates: Vec<NodeRate>,
    primary: NodeRate,
    spot_discount: Option<f64>,
}

impl Ec2Catalog {
    /// Prices the candidate core-node types (all in the region, or the one
    /// fixed by `--instance-type`) and the primary node.
    pub fn build(book: &PriceBook, region: &str, a: &Assumptions) -> Result<Ec2Catalog, CostError> {
        let ebs = book.ebs_rate(region, &a.ec2_ebs_volume_type)?;
        let ebs_gib_hour = ebs.gb_month_usd / a.hours_per_month;
        let node = |name: &str| -> Result<NodeRate, CostError> {
            let it = book.instance_type(name)?;
            let rate = book.ec2_rate(region, name)?;
            Ok(NodeRate {
                instance_type: Arc::from(it.name.as_str()),
                yarn_vcores: it.yarn_vcores,
                yarn_memory_mb: it.yarn_memory_mb,
                ec2_hour_usd: rate.ec2_hour_usd,
                emr_hour_usd: rate.emr_hour_usd,
                ebs_hour_usd: it.ebs_default_gib * ebs_gib_hour,
            })
        };
        let candidates = match &a.ec2_instance {
            InstanceChoice::Fixed(name) => vec![node(name)?],
            InstanceChoice::Auto => {
                let rates = book.ec2_rates_in(region);
                if rates.is_empty() {
                    // Surface the "no prices for this region" message.
                    book.ec2_rate(region, &a.ec2_primary_instance_type)?;
                }
                rates
                    .iter()
                    .map(|r| node(&r.instance_type))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        Ok(Ec2Catalog {
            region: region.to_string(),
            candidates,
            primary: node(&a.ec2_primary_instance_type)?,
            spot_discount: a.ec2_spot_discount,
        })
    }

    /// The cheapest cluster for the shape: core nodes of the candidate type
    /// with the lowest on-demand cluster price that fits one executor per
    /// node or more. Ties go to the first type in name order.
    pub fn plan(&self, shape: &JobShape) -> Result<Ec2Plan, CostError> {
        let executors = shape.provisioned_executors();
        let req = YarnRequest::of(&shape.executor);
        let mut best: Option<(f64, &NodeRate, u32, u32)> = None;
        for node in &self.candidates {
            let per_node = node.fits(&req);
            if per_node == 0 {
                continue;
            }
            let nodes = executors.div_ceil(per_node);
            let hourly = f64::from(nodes) * node.on_demand_hour_usd();
            if best.is_none_or(|(b, ..)| hourly < b) {
                best = Some((hourly, node, per_node, nodes));
            }
        }
        let Some((core_hourly, node, per_node, nodes)) = best else {
            return Err(self.no_fit(&shape.executor));
        };
        let primary = self.primary.on_demand_hour_usd();
        Ok(Ec2Plan {
            instance_type: node.instance_type.clone(),
            executors_per_node: per_node,
            core_nodes: nodes,
            primary_instance_type: self.primary.instance_type.clone(),
            core_node_hour_usd: node.on_demand_hour_usd(),
            primary_hour_usd: primary,
            cluster_hour_usd: core_hourly + primary,
            spot_cluster_hour_usd: self
                .spot_discount
                .map(|d| f64::from(nodes) * node.spot_hour_usd(d) + primary),
        })
    }

    fn no_fit(&self, executor: &WorkerSize) -> CostError {
        if let [only] = self.candidates.as_slice() {
            return CostError::InstanceTooSmall {
                instance_type: only.instance_type.to_string(),
                vcpu: executor.vcpu,
                memory_gb: executor.memory_gb,
                yarn_vcores: only.yarn_vcores,
                yarn_memory_mb: only.yarn_memory_mb,
            };
        }
        CostError::NoInstanceFits {
            region: self.region.clone(),
            vcpu: executor.vcpu,
            memory_gb: executor.memory_gb,
            checked: self
                .candidates
                .iter()
                .map(|c| &*c.instance_type)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Spot charged at the price actually in force over each period, not at the
/// bid: `nodes x sum(hours x price)`.
pub fn spot_cost_usd(nodes: u32, periods: &[(f64, f64)]) -> f64 {
    f64::from(nodes)
        * periods
            .iter()
            .map(|(hours, price)| hours * price)
            .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ShapeBasis;

    fn shape(executors: f64, vcpu: f64, memory_gb: f64) -> JobShape {
        let w = WorkerSize {
            vcpu,
            memory_gb,
            disk_gb: 20.0,
        };
        JobShape {
            driver: w,
            executor: w,
            executors,
            basis: ShapeBasis::Declared,
        }
    }

    #[test]
    fn yarn_packing_uses_the_tighter_of_cores_and_memory() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: InstanceChoice::Fixed("m5.2xlarge".into()),
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        // m5.2xlarge: 8 vcores, 24576 MB. A 4-core 15.4 GB executor: cores
        // allow 2, memory allows 1 (15770 MB each).
        let plan = cat.plan(&shape(10.0, 4.0, 15.4)).unwrap();
        assert_eq!(plan.executors_per_node, 1);
        assert_eq!(plan.core_nodes, 10);
        // 2-core 5.5 GB executors: cores allow 4, memory allows 4.
        let plan = cat.plan(&shape(10.0, 2.0, 5.5)).unwrap();
        assert_eq!(plan.executors_per_node, 4);
        assert_eq!(plan.core_nodes, 3);
    }

    #[test]
    fn cluster_price_is_core_nodes_plus_primary_with_ebs() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: InstanceChoice::Fixed("m5.xlarge".into()),
            ec2_spot_discount: Some(0.5),
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        // m5.xlarge: 4 vcores, 12288 MB: one 4-core 11 GB executor per node.
        let plan = cat.plan(&shape(3.0, 4.0, 11.0)).unwrap();
        assert_eq!(plan.core_nodes, 3);
        // Node: 0.192 EC2 + 0.048 EMR + 64 GiB x $0.08 / 730 h of gp3.
        let node = 0.192 + 0.048 + 64.0 * 0.08 / 730.0;
        assert!((plan.core_node_hour_usd - node).abs() < 1e-12);
        assert!((plan.cluster_hour_usd - 4.0 * node).abs() < 1e-12);
        // Spot halves the EC2 part of core nodes only.
        let spot = 3.0 * (0.096 + 0.048 + 64.0 * 0.08 / 730.0) + node;
        assert!((plan.spot_cluster_hour_usd.unwrap() - spot).abs() < 1e-12);
        // Provisioning is billed: a 0 s job pays 210 s of the cluster.
        let c = plan.curve(&a);
        assert!((c.cost_usd(0.0) - 4.0 * node * 210.0 / 3600.0).abs() < 1e-12);
    }

    #[test]
    fn auto_picks_the_cheapest_fit() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let plan = cat.plan(&shape(8.0, 4.0, 15.4)).unwrap();
        // Check against brute force over every priced type.
        let mut best = f64::INFINITY;
        for rate in book.ec2_rates_in("us-east-1") {
            let fixed = Assumptions {
                ec2_instance: InstanceChoice::Fixed(rate.instance_type.clone()),
                ..Assumptions::default()
            };
            if let Ok(p) = Ec2Catalog::build(&book, "us-east-1", &fixed)
                .unwrap()
                .plan(&shape(8.0, 4.0, 15.4))
            {
                best = best.min(p.cluster_hour_usd);
            }
        }
        assert_eq!(plan.cluster_hour_usd, best);
    }

    #[test]
    fn executor_too_big_names_the_instance() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: InstanceChoice::Fixed("c5.xlarge".into()),
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let err = cat.plan(&shape(1.0, 4.0, 15.4)).unwrap_err().to_string();
        assert!(err.contains("c5.xlarge cannot hold"), "{err}");
    }

    /// FACTS.md section 9 (emr-cost-calculator issue 3): 4 nodes for 8 h at
    /// $0.20 and 2 h at $0.37 cost $9.36, not the $14.80 of charging the bid.
    #[test]
    fn spot_is_charged_at_the_real_price() {
        let usd = spot_cost_usd(4, &[(8.0, 0.20), (2.0, 0.37)]);
        assert_eq!(format!("{usd:.2}"), "9.36");
        let at_bid = spot_cost_usd(4, &[(10.0, 0.37)]);
        assert_eq!(format!("{at_bid:.2}"), "14.80");
    }
}
