//! EMR on EKS: the job's pods on the EC2 nodes of an EKS cluster.
//!
//! Two charges (FACTS.md section 13):
//! - the EMR on EKS uplift on each pod's requested vCPU and memory, per
//!   second with a 1-minute minimum: the driver pod and the executor pods
//!   alive on average (pods come and go with the executors, as EMR
//!   Serverless workers do);
//! - the EC2 nodes the pods are placed on, packed as YARN packs executors on
//!   EMR on EC2 (the type's vcores and memory, the same [`Ec2Catalog`]),
//!   without a primary node: the driver is a pod beside the executors. A
//!   node bills EC2 (after `--ec2-discount`) and the executors' disks; there
//!   is no per-instance EMR uplift. Each node bills its provisioning time
//!   (`eks_node_provisioning_seconds`) before the pods start and the
//!   scale-in lag after they end, until the autoscaler removes it.
//!
//! The EKS control plane (a fee per cluster-hour) is shared by every job on
//! the cluster and is not counted.

use std::sync::Arc;

use serde::Serialize;

use super::ec2::{Ec2Catalog, Ec2Plan, NodeRate, YarnRequest};
use super::{Assumptions, BillingCurve, CostError, Ec2Arch, Ec2Sizing};
use crate::model::{Architecture, JobShape, WorkerSize};
use crate::pricing::EksRate;

/// The nodes and pods chosen for one job on EMR on EKS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EksPlan {
    pub instance_type: Arc<str>,
    pub executors_per_node: u32,
    /// Nodes that hold the peak executor pods and the driver pod.
    pub nodes: u32,
    /// Nodes billed for the run on average (all of them when sized for the
    /// peak; under managed scaling those the average pods need).
    pub billed_nodes: f64,
    /// EBS on each node: the disks of the executors placed on it.
    pub node_ebs_gib: f64,
    /// EC2 (after `--ec2-discount`) and EBS of one node.
    pub node_hour_usd: f64,
    /// The EMR on EKS uplift an hour of the driver pod and of one executor
    /// pod, on their requested vCPU and memory.
    pub driver_pod_hour_usd: f64,
    pub executor_pod_hour_usd: f64,
    /// The billed nodes and the driver and average executor pods an hour.
    pub hour_usd: f64,
    /// Dollars billed outside the run: every node's provisioning and
    /// scale-in lag.
    pub fixed_usd: f64,
}

impl EksPlan {
    /// The cost curve with the shape's own average executor pods.
    pub fn curve(&self, a: &Assumptions) -> BillingCurve {
        Ec2Plan::curve_at(self.hour_usd, self.fixed_usd, a)
    }

    /// The cost curve of a run with `executors` executor pods on average
    /// on this plan's nodes (runs that share a plan differ in it).
    pub fn curve_with(&self, executors: f64, a: &Assumptions) -> BillingCurve {
        let hour = self.billed_nodes * self.node_hour_usd
            + self.driver_pod_hour_usd
            + executors * self.executor_pod_hour_usd;
        Ec2Plan::curve_at(hour, self.fixed_usd, a)
    }
}

/// The uplift an hour for pods of these sizes: one driver and `executors`
/// executors on average.
pub fn uplift_hour_usd(
    rate: &EksRate,
    driver: &WorkerSize,
    executor: &WorkerSize,
    executors: f64,
) -> f64 {
    pod_hour_usd(rate, driver) + executors * pod_hour_usd(rate, executor)
}

/// The uplift an hour of one pod of this size.
pub fn pod_hour_usd(rate: &EksRate, pod: &WorkerSize) -> f64 {
    pod.vcpu * rate.vcpu_hour_usd + pod.memory_gb * rate.memory_gb_hour_usd
}

/// Nodes of one type for `peak` executors and the driver: the executors
/// fill nodes, and the driver goes into the room left on the last one, or
/// onto a node of its own.
fn nodes_for(
    node: &NodeRate,
    per_node: u32,
    peak: u32,
    exec: &YarnRequest,
    driver: &YarnRequest,
) -> u32 {
    let nodes = peak.div_ceil(per_node);
    let on_last = peak - (nodes - 1) * per_node;
    let left_vcores = node.yarn_vcores - on_last * exec.vcores;
    let left_mb = node.yarn_memory_mb - on_last * exec.memory_mb;
    if driver.vcores <= left_vcores && driver.memory_mb <= left_mb {
        nodes
    } else {
        nodes + 1
    }
}

impl Ec2Catalog {
    /// The cheapest EMR on EKS placement for the shape on `arch`: the node
    /// type (of the candidates, as for EMR on EC2) whose nodes cost least
    /// for an hour-long run, plus the uplift, which no type changes.
    pub fn plan_eks(
        &self,
        shape: &JobShape,
        arch: Architecture,
        rate: &EksRate,
        a: &Assumptions,
    ) -> Result<EksPlan, CostError> {
        let peak = shape.provisioned_executors();
        let req = YarnRequest::of(&shape.executor);
        let driver = YarnRequest::of(&shape.driver);
        let rule = self.arch_rule();
        let mut best: Option<(f64, &NodeRate, u32, u32, f64)> = None;
        for node in self
            .candidates()
            .iter()
            .filter(|n| rule == Ec2Arch::Any || n.architecture == arch)
        {
            let per_node = node.fits(&req);
            if per_node == 0 || node.fits(&driver) == 0 {
                continue;
            }
            let nodes = nodes_for(node, per_node, peak, &req, &driver);
            let ebs = f64::from(per_node.min(peak)) * shape.executor.disk_gb;
            let node_hour = self.node_hour_ec2_only(node, ebs);
            let billed = self.eks_billed_nodes(shape, per_node, nodes);
            let (hourly, fixed) = self.eks_totals(billed, nodes, node_hour, a);
            if best.is_none_or(|(b, ..)| hourly + fixed < b) {
                best = Some((hourly + fixed, node, per_node, nodes, ebs));
            }
        }
        let Some((_, node, per_node, nodes, ebs)) = best else {
            return Err(self.no_fit(&shape.executor, arch));
        };
        let node_hour = self.node_hour_ec2_only(node, ebs);
        let billed = self.eks_billed_nodes(shape, per_node, nodes);
        let (nodes_hour, fixed) = self.eks_totals(billed, nodes, node_hour, a);
        let driver_pod = pod_hour_usd(rate, &shape.driver);
        let executor_pod = pod_hour_usd(rate, &shape.executor);
        Ok(EksPlan {
            instance_type: node.instance_type.clone(),
            executors_per_node: per_node,
            nodes,
            billed_nodes: billed,
            node_ebs_gib: ebs,
            node_hour_usd: node_hour,
            driver_pod_hour_usd: driver_pod,
            executor_pod_hour_usd: executor_pod,
            hour_usd: nodes_hour + driver_pod + shape.executors * executor_pod,
            fixed_usd: fixed,
        })
    }

    /// Nodes billed for the length of the run: all under peak sizing; under
    /// managed scaling the nodes the average executors need, at least one.
    fn eks_billed_nodes(&self, shape: &JobShape, per_node: u32, nodes: u32) -> f64 {
        match self.sizing() {
            Ec2Sizing::Peak => f64::from(nodes),
            Ec2Sizing::ManagedScaling => {
                let average = shape.average_executors_whole();
                f64::from(average.div_ceil(per_node).clamp(1, nodes.max(1)))
            }
        }
    }

    /// (nodes' hourly rate for the run, dollars outside it): every node
    /// bills its provisioning and the scale-in lag once.
    fn eks_totals(&self, billed: f64, nodes: u32, node_hour: f64, a: &Assumptions) -> (f64, f64) {
        let outside_s = a.eks_node_provisioning_seconds + a.ec2_scale_in_lag_seconds;
        let started = f64::from(nodes).max(billed);
        (billed * node_hour, started * node_hour * outside_s / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ShapeBasis;
    use crate::pricing::PriceBook;

    fn worker(vcpu: f64, memory_gb: f64) -> WorkerSize {
        WorkerSize {
            vcpu,
            memory_gb,
            disk_gb: 20.0,
        }
    }

    /// AWS's EMR best-practices guide prices a 3-hour job on 25 r5.4xlarge
    /// (16 vCPU, 128 GB) in us-west-2 as 1200 vCPU-hours x $0.01012 +
    /// 9600 GB-hours x $0.00111125 of uplift (its table prints $10.69 for
    /// the second; 9600 x 0.00111125 is $10.668) plus 25 x 3 x $1.008 of
    /// EC2. The uplift part, by hand: 12.144 + 10.668 = $22.812.
    #[test]
    fn uplift_reproduces_the_best_practices_example() {
        let book = PriceBook::embedded().unwrap();
        let rate = book.eks_rate("us-west-2").unwrap();
        // 25 pods of a whole node each, for 3 hours, no driver of its own:
        // 24 executors plus a driver of the same size.
        let pod = worker(16.0, 128.0);
        let per_hour = uplift_hour_usd(rate, &pod, &pod, 24.0);
        assert!((per_hour * 3.0 - 22.812).abs() < 1e-9, "{}", per_hour * 3.0);
    }

    /// Four executors of 4 vCPU / 14 GB and a driver of the same size on
    /// m5.4xlarge (16 YARN vcores, 57344 MB of YARN memory in the book):
    /// the node count and rates are checked by hand against the book's rows.
    #[test]
    fn pods_pack_without_a_primary_node() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: super::super::InstanceChoice::Fixed("m5.4xlarge".into()),
            eks_node_provisioning_seconds: 0.0,
            ec2_scale_in_lag_seconds: 0.0,
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let it = book.instance_type("m5.4xlarge").unwrap();
        let ec2 = book.ec2_rate("us-east-1", "m5.4xlarge").unwrap();
        let exec = worker(4.0, 14.0);
        let shape = JobShape::steady(exec, exec, 4.0, ShapeBasis::Declared);
        let plan = cat
            .plan_eks(
                &shape,
                Architecture::X86_64,
                book.eks_rate("us-east-1").unwrap(),
                &a,
            )
            .unwrap();
        // By vcores 16 / 4 = 4 executors a node, by memory 57344 / 14336
        // = 4: four executors fill one node, so the driver pod needs a
        // second.
        let per_node = (it.yarn_vcores / 4).min(it.yarn_memory_mb / 14336);
        assert_eq!(plan.executors_per_node, per_node);
        assert_eq!(per_node, 4, "m5.4xlarge holds four 4-vCPU executors");
        assert_eq!(plan.nodes, 2);
        // No EMR uplift per instance: EC2 and 4 x 20 GB of gp3 a node.
        let ebs = book.ebs_rate("us-east-1", "gp3").unwrap().gb_month_usd / 730.0;
        let node_hour = ec2.ec2_hour_usd + 80.0 * ebs;
        assert!((plan.node_hour_usd - node_hour).abs() < 1e-12);
        let pod = 4.0 * 0.01012 + 14.0 * 0.00111125;
        let uplift = 5.0 * pod;
        assert!((plan.executor_pod_hour_usd - pod).abs() < 1e-12);
        assert!((plan.driver_pod_hour_usd - pod).abs() < 1e-12);
        assert!((plan.hour_usd - (2.0 * node_hour + uplift)).abs() < 1e-12);
        assert_eq!(plan.fixed_usd, 0.0);
    }

    /// A driver that fits in the room the executors leave shares their node.
    #[test]
    fn a_small_driver_shares_the_last_node() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: super::super::InstanceChoice::Fixed("m5.4xlarge".into()),
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let shape = JobShape::steady(
            worker(2.0, 4.0),
            worker(4.0, 14.0),
            3.0,
            ShapeBasis::Declared,
        );
        let rate = book.eks_rate("us-east-1").unwrap();
        let plan = cat
            .plan_eks(&shape, Architecture::X86_64, rate, &a)
            .unwrap();
        assert_eq!(plan.nodes, 1);
        // Provisioning (90 s) and scale-in lag (75 s) on that one node.
        let outside = (a.eks_node_provisioning_seconds + a.ec2_scale_in_lag_seconds) / 3600.0;
        assert!((plan.fixed_usd - plan.node_hour_usd * outside).abs() < 1e-12);
    }

    /// Eight executors and a driver of 4 vCPU / 16 GB in us-east-1 on
    /// m5.4xlarge. By hand:
    /// - EMR Serverless: 9 workers x (4 x 0.052624 + 16 x 0.0057785) =
    ///   $2.726568/h (20 GB disk: no storage charge).
    /// - EMR on EKS: 3 executors a node by memory (57344 / 16384), so 3
    ///   nodes (3 + 3 + 2, and the driver fits beside the last two); a node
    ///   is EC2 plus 3 x 20 GB of gp3; uplift 9 x (4 x 0.01012 + 16 x
    ///   0.00111125) = $0.52434/h; each node bills 90 s provisioning and
    ///   75 s scale-in lag.
    ///
    /// At list prices EMR on EKS costs more an hour than EMR Serverless and
    /// never crosses it; with 30% off EC2 the nodes are cheaper and the
    /// crossover is where the fixed dollars are paid back:
    /// t = fixed / (serverless/s - eks/s).
    #[test]
    fn a_30_percent_ec2_discount_makes_a_crossover_by_hand() {
        let book = PriceBook::embedded().unwrap();
        let w = worker(4.0, 16.0);
        let shape = JobShape::steady(w, w, 8.0, ShapeBasis::Declared);
        let ec2 = book
            .ec2_rate("us-east-1", "m5.4xlarge")
            .unwrap()
            .ec2_hour_usd;
        let ebs = book.ebs_rate("us-east-1", "gp3").unwrap().gb_month_usd / 730.0;
        let serverless_hour = 9.0 * (4.0 * 0.052624 + 16.0 * 0.0057785);
        let uplift = 9.0 * (4.0 * 0.01012 + 16.0 * 0.00111125);
        let crossover = |discount: f64| {
            let a = Assumptions {
                ec2_instance: super::super::InstanceChoice::Fixed("m5.4xlarge".into()),
                ec2_discount: discount,
                ..Assumptions::default()
            };
            let curves = crate::cost::Pricer::new(&book, a)
                .curves("us-east-1", Architecture::X86_64, &shape)
                .unwrap();
            let eks = curves.eks.as_ref().unwrap();
            assert_eq!(eks.nodes, 3);
            let node = ec2 * (1.0 - discount) + 60.0 * ebs;
            assert!((eks.hour_usd - (3.0 * node + uplift)).abs() < 1e-9);
            let fixed = 3.0 * node * (90.0 + 75.0) / 3600.0;
            assert!((eks.fixed_usd - fixed).abs() < 1e-12);
            let pick: Vec<_> = curves
                .curves
                .iter()
                .filter(|(o, _)| {
                    matches!(
                        o,
                        crate::cost::DeploymentOption::EmrServerless
                            | crate::cost::DeploymentOption::EmrOnEks
                    )
                })
                .copied()
                .collect();
            let by_hand = (serverless_hour > 3.0 * node + uplift)
                .then(|| fixed / ((serverless_hour - 3.0 * node - uplift) / 3600.0));
            let solved = crate::cost::crossover::analyse(&pick).pairs[0]
                .crossovers
                .first()
                .map(|c| c.runtime_s);
            (by_hand, solved)
        };
        assert_eq!(crossover(0.0), (None, None));
        let (by_hand, solved) = crossover(0.3);
        let (by_hand, solved) = (by_hand.unwrap(), solved.unwrap());
        assert!((by_hand - solved).abs() < 1e-6, "{by_hand} vs {solved}");
        // About 7m 53s with the book's m5.4xlarge at $0.768/h.
        assert!((400.0..550.0).contains(&solved), "{solved}");
    }

    /// Without a rate for the region, the option has no figure and says why.
    #[test]
    fn a_region_without_a_rate_is_named() {
        let book = PriceBook::embedded().unwrap();
        let err = book.eks_rate("ap-south-1").unwrap_err().to_string();
        assert!(
            err.contains("ap-south-1") && err.contains("pricing update"),
            "{err}"
        );
    }
}
