//! EMR on EC2: a transient cluster per job.
//!
//! The executors are packed onto core nodes by YARN vcores and memory
//! (`yarn.nodemanager.resource.*` per instance type), and one primary node
//! that holds the driver (client mode) is added. Every node is billed from
//! launch to termination: provisioning, the run and teardown, per second
//! with a 1-minute minimum, EC2 + EMR uplift + EBS.
//!
//! Two sizing policies ([`Ec2Sizing`]):
//! - **peak**: enough core nodes for the peak executors, for the whole run;
//! - **managed scaling**: the core nodes the job uses on average, plus, for
//!   each node above that, its start-up and its scale-in lag.
//!
//! Like for like ([`Ec2Arch::Same`]): an x86_64 run is placed on x86_64
//! types, an arm64 run on Graviton.

use std::sync::Arc;

use serde::Serialize;

use super::{Assumptions, BillingCurve, CostError, Ec2Arch, Ec2Sizing, InstanceChoice};
use crate::model::{Architecture, JobShape, WorkerSize};
use crate::pricing::PriceBook;

/// Per-instance billing minimum, in seconds (EMR pricing page, 3p copy).
pub const MINIMUM_SECONDS: f64 = 60.0;

/// One instance type's hourly cost in a region, split into its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeRate {
    pub instance_type: Arc<str>,
    pub architecture: Architecture,
    pub vcpu: u32,
    pub yarn_vcores: u32,
    pub yarn_memory_mb: u32,
    pub ec2_hour_usd: f64,
    pub emr_hour_usd: f64,
    /// EMR's default EBS for the type, GiB.
    pub ebs_default_gib: f64,
    /// The family's number within its catalog (types of one family share it).
    #[serde(skip)]
    family_id: u16,
}

impl NodeRate {
    /// How many executors of this size YARN fits on one node.
    pub fn executors_per_node(&self, executor: &WorkerSize) -> u32 {
        self.fits(&YarnRequest::of(executor))
    }

    pub(super) fn fits(&self, req: &YarnRequest) -> u32 {
        (self.yarn_vcores / req.vcores).min(self.yarn_memory_mb / req.memory_mb)
    }

    /// Whether the driver (client mode) fits in what the node gives to
    /// processes: its vCPU and YARN memory.
    fn holds_driver(&self, driver: &WorkerSize) -> bool {
        let req = YarnRequest::of(driver);
        self.vcpu >= req.vcores && self.yarn_memory_mb >= req.memory_mb
    }
}

/// How many executors of this size (memory with overhead) YARN fits on
/// one node of the type, by its YARN vcores and memory.
pub fn executors_on(it: &crate::pricing::InstanceType, executor: &WorkerSize) -> u32 {
    let req = YarnRequest::of(executor);
    (it.yarn_vcores / req.vcores).min(it.yarn_memory_mb / req.memory_mb)
}

/// The family of an instance type name: `r7g` of `r7g.4xlarge`.
pub fn family_of(instance_type: &str) -> &str {
    instance_type
        .split_once('.')
        .map_or(instance_type, |(f, _)| f)
}

/// One executor as a YARN container request: whole vcores and MB.
pub(super) struct YarnRequest {
    pub(super) vcores: u32,
    pub(super) memory_mb: u32,
}

impl YarnRequest {
    pub(super) fn of(executor: &WorkerSize) -> YarnRequest {
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
    /// Core nodes that hold the peak executors.
    pub core_nodes: u32,
    /// Core nodes billed for the run on average: `core_nodes` when sized
    /// for the peak, the average executors' share under managed scaling.
    pub billed_core_nodes: f64,
    /// EBS on each core node: EMR's default, or the executors' disks when larger.
    pub core_ebs_gib: f64,
    pub primary_instance_type: Arc<str>,
    /// EC2 + EMR + EBS of one core node, on-demand.
    pub core_node_hour_usd: f64,
    pub primary_hour_usd: f64,
    /// All nodes the run bills for on average, on-demand.
    pub cluster_hour_usd: f64,
    /// Core nodes on Spot, primary on-demand; `None` when Spot is off.
    pub spot_cluster_hour_usd: Option<f64>,
    /// Dollars billed outside the run itself, on-demand: provisioning and
    /// teardown of every node, and under managed scaling each burst node's
    /// start-up and scale-in lag.
    pub fixed_usd: f64,
    pub spot_fixed_usd: Option<f64>,
}

impl Ec2Plan {
    /// Nodes billed by the second at `hourly`, plus `fixed_usd`, at EC2's
    /// speed and one-minute minimum (EMR on EC2, and EMR on EKS's nodes).
    pub(super) fn curve_at(hourly: f64, fixed_usd: f64, a: &Assumptions) -> BillingCurve {
        let usd_per_second = hourly / 3600.0;
        BillingCurve {
            usd_per_second,
            time_scale: a.speed_factor_ec2,
            // Fixed dollars as seconds of the whole cluster: the curve stays
            // linear in runtime, so crossovers remain exact.
            offset_s: if usd_per_second > 0.0 {
                fixed_usd / usd_per_second
            } else {
                0.0
            },
            minimum_s: MINIMUM_SECONDS,
        }
    }

    pub fn curve(&self, a: &Assumptions) -> BillingCurve {
        Self::curve_at(self.cluster_hour_usd, self.fixed_usd, a)
    }

    pub fn spot_curve(&self, a: &Assumptions) -> Option<BillingCurve> {
        Some(Self::curve_at(
            self.spot_cluster_hour_usd?,
            self.spot_fixed_usd?,
            a,
        ))
    }
}

/// The instance types available in one region, priced once so that
/// pricing many jobs does no lookups.
#[derive(Debug, Clone)]
pub struct Ec2Catalog {
    region: String,
    /// Core-node candidates: every type in the region, or the one fixed by
    /// `--instance-type`.
    candidates: Vec<NodeRate>,
    /// Every priced type in the region, for the primary node, cheapest
    /// first (on-demand with its default EBS).
    all: Vec<NodeRate>,
    primary: InstanceChoice,
    ebs_gib_hour_usd: f64,
    spot_discount: Option<f64>,
    /// The on-demand EC2 share after Savings Plans / RIs (1 - discount).
    on_demand_share: f64,
    sizing: Ec2Sizing,
    arch: Ec2Arch,
    /// Seconds every node bills outside the run: provisioning + teardown.
    overhead_s: f64,
    provisioning_s: f64,
    scale_in_lag_s: f64,
}

impl Ec2Catalog {
    /// Prices every type in the region and notes the settings plans need.
    pub fn build(book: &PriceBook, region: &str, a: &Assumptions) -> Result<Ec2Catalog, CostError> {
        let ebs = book.ebs_rate(region, &a.ec2_ebs_volume_type)?;
        let mut families: Vec<String> = Vec::new();
        let mut node = |name: &str| -> Result<NodeRate, CostError> {
            let it = book.instance_type(name)?;
            let rate = book.ec2_rate(region, name)?;
            let family = family_of(&it.name);
            let family_id = match families.iter().position(|f| f == family) {
                Some(i) => i,
                None => {
                    families.push(family.to_string());
                    families.len() - 1
                }
            };
            Ok(NodeRate {
                instance_type: Arc::from(it.name.as_str()),
                architecture: it.architecture,
                vcpu: it.vcpu,
                yarn_vcores: it.yarn_vcores,
                yarn_memory_mb: it.yarn_memory_mb,
                ec2_hour_usd: rate.ec2_hour_usd,
                emr_hour_usd: rate.emr_hour_usd,
                ebs_default_gib: it.ebs_default_gib,
                family_id: u16::try_from(family_id).unwrap_or(u16::MAX),
            })
        };
        let rates = book.ec2_rates_in(region);
        if rates.is_empty() {
            // Surface the "no prices for this region" message.
            book.ec2_rate(region, "m5.xlarge")?;
        }
        let mut all = rates
            .iter()
            .map(|r| node(&r.instance_type))
            .collect::<Result<Vec<_>, _>>()?;
        let candidates = match &a.ec2_instance {
            InstanceChoice::Fixed(name) => vec![node(name)?],
            InstanceChoice::Auto => all.clone(),
        };
        if let InstanceChoice::Fixed(name) = &a.ec2_primary_instance {
            node(name)?;
        }
        let ebs_gib_hour_usd = ebs.gb_month_usd / a.hours_per_month;
        let default_hour =
            |n: &NodeRate| n.ec2_hour_usd + n.emr_hour_usd + n.ebs_default_gib * ebs_gib_hour_usd;
        // Stable: equal prices keep name order.
        all.sort_by(|x, y| default_hour(x).total_cmp(&default_hour(y)));
        Ok(Ec2Catalog {
            region: region.to_string(),
            candidates,
            all,
            primary: a.ec2_primary_instance.clone(),
            ebs_gib_hour_usd,
            spot_discount: a.ec2_spot_discount,
            on_demand_share: 1.0 - a.ec2_discount,
            sizing: a.ec2_sizing,
            arch: a.ec2_arch,
            overhead_s: a.ec2_provisioning_seconds + a.ec2_teardown_seconds,
            provisioning_s: a.ec2_provisioning_seconds,
            scale_in_lag_s: a.ec2_scale_in_lag_seconds,
        })
    }

    pub(super) fn candidates(&self) -> &[NodeRate] {
        &self.candidates
    }

    pub(super) fn arch_rule(&self) -> Ec2Arch {
        self.arch
    }

    pub(super) fn sizing(&self) -> Ec2Sizing {
        self.sizing
    }

    /// A node's hour without the EMR uplift (EMR on EKS bills none per
    /// instance): EC2 after `--ec2-discount`, and its EBS.
    pub(super) fn node_hour_ec2_only(&self, node: &NodeRate, ebs_gib: f64) -> f64 {
        node.ec2_hour_usd * self.on_demand_share + ebs_gib * self.ebs_gib_hour_usd
    }

    fn node_hour(&self, node: &NodeRate, ebs_gib: f64, ec2_share: f64) -> f64 {
        node.ec2_hour_usd * ec2_share + node.emr_hour_usd + ebs_gib * self.ebs_gib_hour_usd
    }

    /// The cheapest cluster for the shape on `arch`: core nodes of a
    /// candidate type of that architecture (any, under `--ec2-arch any`)
    /// that fits one executor per node or more, with the primary node that
    /// holds the driver for that type, compared on what an hour-long run
    /// costs (the cluster's rate, its primary included, plus what it bills
    /// outside the run). Ties go to the first type in name order.
    pub fn plan(&self, shape: &JobShape, arch: Architecture) -> Result<Ec2Plan, CostError> {
        self.plan_on(shape, arch, self.arch)
    }

    /// The what-if of the move to Graviton: the cheapest cluster of arm64
    /// types only, whatever `--ec2-arch` says.
    pub fn plan_graviton(&self, shape: &JobShape) -> Result<Ec2Plan, CostError> {
        self.plan_on(shape, Architecture::Arm64, Ec2Arch::Same)
    }

    fn plan_on(
        &self,
        shape: &JobShape,
        arch: Architecture,
        rule: Ec2Arch,
    ) -> Result<Ec2Plan, CostError> {
        let peak = shape.provisioned_executors();
        let req = YarnRequest::of(&shape.executor);
        let allowed = |n: &NodeRate| rule == Ec2Arch::Any || n.architecture == arch;
        // The primary depends on the core type's family only: found once each.
        let mut primaries: Vec<(u16, Result<&NodeRate, CostError>)> = Vec::new();
        let mut best: Option<(f64, &NodeRate, &NodeRate, u32, u32, f64)> = None;
        let mut primary_error = None;
        for node in self.candidates.iter().filter(|n| allowed(n)) {
            let per_node = node.fits(&req);
            if per_node == 0 {
                continue;
            }
            let primary = match primaries.iter().find(|(f, _)| *f == node.family_id) {
                Some((_, p)) => p.clone(),
                None => {
                    let p = self.primary_for(node, &shape.driver, rule);
                    primaries.push((node.family_id, p.clone()));
                    p
                }
            };
            let primary = match primary {
                Ok(p) => p,
                Err(e) => {
                    primary_error.get_or_insert(e);
                    continue;
                }
            };
            let nodes = peak.div_ceil(per_node);
            let ebs = self.core_ebs(node, per_node.min(peak), &shape.executor);
            let billed = self.billed_nodes(shape, per_node, nodes);
            let primary_hour =
                self.node_hour(primary, primary.ebs_default_gib, self.on_demand_share);
            let (hourly, fixed) = self.totals(
                billed,
                nodes,
                self.node_hour(node, ebs, self.on_demand_share),
                primary_hour,
            );
            let hour_long_run = hourly + fixed;
            if best.is_none_or(|(b, ..)| hour_long_run < b) {
                best = Some((hour_long_run, node, primary, per_node, nodes, ebs));
            }
        }
        let Some((_, node, primary, per_node, nodes, ebs)) = best else {
            return Err(match primary_error {
                Some(e) => e,
                None => self.no_fit(&shape.executor, arch),
            });
        };
        let primary_hour = self.node_hour(primary, primary.ebs_default_gib, self.on_demand_share);
        let core_hour = self.node_hour(node, ebs, self.on_demand_share);
        let billed = self.billed_nodes(shape, per_node, nodes);
        let (cluster_hour, fixed) = self.totals(billed, nodes, core_hour, primary_hour);
        let spot = self.spot_discount.map(|d| {
            let spot_core = self.node_hour(node, ebs, 1.0 - d);
            self.totals(billed, nodes, spot_core, primary_hour)
        });
        Ok(Ec2Plan {
            instance_type: node.instance_type.clone(),
            executors_per_node: per_node,
            core_nodes: nodes,
            billed_core_nodes: billed,
            core_ebs_gib: ebs,
            primary_instance_type: primary.instance_type.clone(),
            core_node_hour_usd: core_hour,
            primary_hour_usd: primary_hour,
            cluster_hour_usd: cluster_hour,
            spot_cluster_hour_usd: spot.map(|s| s.0),
            fixed_usd: fixed,
            spot_fixed_usd: spot.map(|s| s.1),
        })
    }

    /// EBS on a core node: EMR's default for the type, or the disks of the
    /// executors placed on it when larger.
    fn core_ebs(&self, node: &NodeRate, placed: u32, executor: &WorkerSize) -> f64 {
        node.ebs_default_gib
            .max(f64::from(placed) * executor.disk_gb)
    }

    /// Core nodes billed for the length of the run.
    fn billed_nodes(&self, shape: &JobShape, per_node: u32, peak_nodes: u32) -> f64 {
        match self.sizing {
            Ec2Sizing::Peak => f64::from(peak_nodes),
            // The nodes the average executors need (whole nodes: a node is
            // billed whole while any executor runs on it), at least one.
            Ec2Sizing::ManagedScaling => {
                let average = shape.average_executors_whole();
                f64::from(average.div_ceil(per_node).clamp(1, peak_nodes.max(1)))
            }
        }
    }

    /// (hourly rate for the run, dollars outside it).
    fn totals(
        &self,
        billed: f64,
        peak_nodes: u32,
        core_hour: f64,
        primary_hour: f64,
    ) -> (f64, f64) {
        let hourly = primary_hour + billed * core_hour;
        // The nodes the cluster starts with (the billed share rounded up)
        // and the primary are billed for provisioning and teardown.
        let base_nodes = (billed - 1e-9).ceil().max(1.0);
        let mut fixed = self.overhead_s / 3600.0 * (primary_hour + base_nodes * core_hour);
        // Under managed scaling each node above that is billed while it
        // starts and for the scale-in lag after it is no longer needed.
        let burst = (f64::from(peak_nodes) - base_nodes).max(0.0);
        fixed += burst * core_hour * (self.provisioning_s + self.scale_in_lag_s) / 3600.0;
        (hourly, fixed)
    }

    /// The primary node: the fixed type, or the smallest (cheapest) type of
    /// the core nodes' family that holds the driver; failing that, the
    /// cheapest of the core nodes' architecture that does.
    fn primary_for<'c>(
        &'c self,
        core: &NodeRate,
        driver: &WorkerSize,
        rule: Ec2Arch,
    ) -> Result<&'c NodeRate, CostError> {
        // `all` is cheapest first: the first that fits is the cheapest.
        let cheapest = |pick: &dyn Fn(&NodeRate) -> bool| {
            self.all.iter().find(|n| pick(n) && n.holds_driver(driver))
        };
        let fixed = match &self.primary {
            // A fixed primary serves the runs of its own architecture (unless
            // any may mix); the others get the automatic choice.
            InstanceChoice::Fixed(name) => self.all.iter().find(|n| {
                &*n.instance_type == name.as_str()
                    && (rule == Ec2Arch::Any || n.architecture == core.architecture)
            }),
            InstanceChoice::Auto => None,
        };
        let found = match fixed {
            Some(f) => cheapest(&|n| std::ptr::eq(n, f)),
            None => cheapest(&|n| n.family_id == core.family_id)
                .or_else(|| cheapest(&|n| n.architecture == core.architecture)),
        };
        found.ok_or_else(|| CostError::NoPrimaryFits {
            region: self.region.clone(),
            vcpu: driver.vcpu,
            memory_gb: driver.memory_gb,
            choice: self.primary.to_string(),
        })
    }

    pub(super) fn no_fit(&self, executor: &WorkerSize, arch: Architecture) -> CostError {
        if let [only] = self.candidates.as_slice() {
            if self.arch == Ec2Arch::Same && only.architecture != arch {
                return CostError::WrongArchitecture {
                    instance_type: only.instance_type.to_string(),
                    instance_arch: only.architecture,
                    run_arch: arch,
                };
            }
            return CostError::InstanceTooSmall {
                instance_type: only.instance_type.to_string(),
                vcpu: executor.vcpu,
                memory_gb: executor.memory_gb,
                yarn_vcores: only.yarn_vcores,
                yarn_memory_mb: only.yarn_memory_mb,
            };
        }
        let checked: Vec<&str> = self
            .candidates
            .iter()
            .filter(|c| self.arch == Ec2Arch::Any || c.architecture == arch)
            .map(|c| &*c.instance_type)
            .collect();
        CostError::NoInstanceFits {
            region: self.region.clone(),
            vcpu: executor.vcpu,
            memory_gb: executor.memory_gb,
            checked: if checked.is_empty() {
                format!("none of architecture {arch}")
            } else {
                checked.join(", ")
            },
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

    const X86: Architecture = Architecture::X86_64;

    fn shape(executors: f64, vcpu: f64, memory_gb: f64) -> JobShape {
        let w = WorkerSize {
            vcpu,
            memory_gb,
            disk_gb: 20.0,
        };
        JobShape::steady(w, w, executors, ShapeBasis::Declared)
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
        let plan = cat.plan(&shape(10.0, 4.0, 15.4), X86).unwrap();
        assert_eq!(plan.executors_per_node, 1);
        assert_eq!(plan.core_nodes, 10);
        // 2-core 5.5 GB executors: cores allow 4, memory allows 4.
        let plan = cat.plan(&shape(10.0, 2.0, 5.5), X86).unwrap();
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
        let plan = cat.plan(&shape(3.0, 4.0, 11.0), X86).unwrap();
        assert_eq!(plan.core_nodes, 3);
        // Node: 0.192 EC2 + 0.048 EMR + 64 GiB x $0.08 / 730 h of gp3.
        let node = 0.192 + 0.048 + 64.0 * 0.08 / 730.0;
        assert!((plan.core_node_hour_usd - node).abs() < 1e-12);
        assert!((plan.cluster_hour_usd - 4.0 * node).abs() < 1e-12);
        // Spot halves the EC2 part of core nodes only.
        let spot = 3.0 * (0.096 + 0.048 + 64.0 * 0.08 / 730.0) + node;
        assert!((plan.spot_cluster_hour_usd.unwrap() - spot).abs() < 1e-12);
        // Provisioning and teardown are billed: a 0 s job pays 210 + 60 s
        // of the cluster.
        let c = plan.curve(&a);
        assert!((c.cost_usd(0.0) - 4.0 * node * 270.0 / 3600.0).abs() < 1e-12);
    }

    #[test]
    fn auto_picks_the_cheapest_fit() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        // A small executor beside a large driver (8 vCPU, 48 GB heap + 10%):
        // the cheapest core type alone (c5.large) would need a c5.9xlarge
        // primary; r5.large cores with an r5.2xlarge primary cost less.
        let w = |vcpu, memory_gb| WorkerSize {
            vcpu,
            memory_gb,
            disk_gb: 20.0,
        };
        let big_driver = JobShape::steady(w(8.0, 52.8), w(2.0, 1.375), 1.0, ShapeBasis::Declared);
        for s in [shape(8.0, 4.0, 15.4), big_driver] {
            let plan = cat.plan(&s, X86).unwrap();
            // Check against brute force over every x86 type as the fixed
            // core type, on an hour-long run (cluster rate + what it bills
            // outside the run).
            let hour = |p: &Ec2Plan| p.cluster_hour_usd + p.fixed_usd;
            let mut best = f64::INFINITY;
            for rate in book.ec2_rates_in("us-east-1") {
                let fixed = Assumptions {
                    ec2_instance: InstanceChoice::Fixed(rate.instance_type.clone()),
                    ..Assumptions::default()
                };
                if let Ok(p) = Ec2Catalog::build(&book, "us-east-1", &fixed)
                    .unwrap()
                    .plan(&s, X86)
                {
                    best = best.min(hour(&p));
                }
            }
            assert_eq!(hour(&plan), best);
        }
        let plan = cat.plan(&big_driver, X86).unwrap();
        assert_eq!(
            (&*plan.instance_type, &*plan.primary_instance_type),
            ("r5.large", "r5.2xlarge")
        );
        // r5.large 0.126 + 0.0315 EMR + 32 GiB; r5.2xlarge 0.504 + 0.126 + 128 GiB.
        let want = node_hour(0.126, 0.0315, 32.0) + node_hour(0.504, 0.126, 128.0);
        assert!((plan.cluster_hour_usd - want).abs() < 1e-9);
    }

    /// Managed scaling bills whole nodes: 25 executors that an m5.24xlarge
    /// holds 24 of need two nodes the whole run, even with no burst.
    #[test]
    fn managed_scaling_bills_whole_nodes() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: InstanceChoice::Fixed("m5.24xlarge".into()),
            ec2_sizing: Ec2Sizing::ManagedScaling,
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let plan = cat.plan(&shape(25.0, 4.0, 15.4), X86).unwrap();
        assert_eq!((plan.executors_per_node, plan.core_nodes), (24, 2));
        assert_eq!(plan.billed_core_nodes, 2.0);
    }

    #[test]
    fn executor_too_big_names_the_instance() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: InstanceChoice::Fixed("c5.xlarge".into()),
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let err = cat
            .plan(&shape(1.0, 4.0, 15.4), X86)
            .unwrap_err()
            .to_string();
        assert!(err.contains("c5.xlarge cannot hold"), "{err}");
    }

    fn node_hour(ec2: f64, emr: f64, ebs_gib: f64) -> f64 {
        ec2 + emr + ebs_gib * 0.08 / 730.0
    }

    /// Issue 12: a job averaging 8 executors whose peak is estimated at
    /// 1.5x (12), on m5.xlarge (one 4-vCPU 11 GB executor per node), for
    /// one hour, under each sizing policy. Hand-computed from the node
    /// price (0.192 + 0.048 + 64 GiB gp3) and 210 s provisioning + 60 s
    /// teardown (+ 75 s scale-in lag for burst nodes).
    #[test]
    fn sizing_policies_on_an_estimated_peak() {
        let book = PriceBook::embedded().unwrap();
        let node = node_hour(0.192, 0.048, 64.0);
        let w = WorkerSize {
            vcpu: 4.0,
            memory_gb: 11.0,
            disk_gb: 20.0,
        };
        let shape = JobShape {
            peak_executors: 12.0,
            peak_estimated: true,
            ..JobShape::steady(w, w, 8.0, ShapeBasis::AverageFromUsage)
        };
        let cost = |sizing, shape: &JobShape| {
            let a = Assumptions {
                ec2_instance: InstanceChoice::Fixed("m5.xlarge".into()),
                ec2_sizing: sizing,
                ..Assumptions::default()
            };
            let plan = Ec2Catalog::build(&book, "us-east-1", &a)
                .unwrap()
                .plan(shape, X86)
                .unwrap();
            assert_eq!(&*plan.primary_instance_type, "m5.xlarge");
            // Linear: the managed-scaling offset is a fraction of a second
            // of the whole cluster, which per-second rounding would round up.
            plan.curve(&a).cost_linear_usd(3600.0)
        };
        // Peak: 12 core nodes + the primary for 3600 + 270 s.
        let peak = 13.0 * node * 3870.0 / 3600.0;
        assert!((cost(Ec2Sizing::Peak, &shape) - peak).abs() < 1e-9);
        // Managed scaling: 8 nodes + primary for the run and its 270 s; the
        // 4 burst nodes for their 210 s start and 75 s scale-in lag.
        let managed = node * (9.0 * 3870.0 + 4.0 * 285.0) / 3600.0;
        assert!((cost(Ec2Sizing::ManagedScaling, &shape) - managed).abs() < 1e-9);
        // The other end of the range: sized to the average, 8 + 1 nodes.
        let low = 9.0 * node * 3870.0 / 3600.0;
        assert!((cost(Ec2Sizing::Peak, &shape.at_average()) - low).abs() < 1e-9);
        assert!(low < managed && managed < peak);
    }

    /// Like for like: an x86_64 run gets x86_64 core and primary nodes, an
    /// arm64 run Graviton; `--ec2-arch any` lets the x86 run move.
    #[test]
    fn architecture_is_like_for_like() {
        let book = PriceBook::embedded().unwrap();
        let arch_of = |t: &str| book.instance_type(t).unwrap().architecture;
        let s = shape(8.0, 4.0, 15.4);
        let cat = Ec2Catalog::build(&book, "us-east-1", &Assumptions::default()).unwrap();
        for arch in [Architecture::X86_64, Architecture::Arm64] {
            let plan = cat.plan(&s, arch).unwrap();
            assert_eq!(arch_of(&plan.instance_type), arch, "{plan:?}");
            assert_eq!(arch_of(&plan.primary_instance_type), arch, "{plan:?}");
            assert_eq!(
                family_of(&plan.instance_type),
                family_of(&plan.primary_instance_type)
            );
        }
        let any = Assumptions {
            ec2_arch: Ec2Arch::Any,
            ..Assumptions::default()
        };
        let cat_any = Ec2Catalog::build(&book, "us-east-1", &any).unwrap();
        let moved = cat_any.plan(&s, X86).unwrap();
        let same = cat.plan(&s, X86).unwrap();
        assert!(moved.cluster_hour_usd <= same.cluster_hour_usd);
        // Graviton is cheaper for this shape, so `any` moves the x86 run.
        assert_eq!(arch_of(&moved.instance_type), Architecture::Arm64);
        // A fixed type of the other architecture is refused, with the fix.
        let fixed = Assumptions {
            ec2_instance: InstanceChoice::Fixed("m6g.xlarge".into()),
            ..Assumptions::default()
        };
        let err = Ec2Catalog::build(&book, "us-east-1", &fixed)
            .unwrap()
            .plan(&s, X86)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--ec2-arch any"), "{err}");
    }

    /// Executors' disks larger than EMR's default EBS are added to the
    /// node: one executor with a 200 GB disk per m5.xlarge needs 200 GiB,
    /// not the default 64.
    #[test]
    fn ebs_holds_the_executors_disks() {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions {
            ec2_instance: InstanceChoice::Fixed("m5.xlarge".into()),
            ..Assumptions::default()
        };
        let cat = Ec2Catalog::build(&book, "us-east-1", &a).unwrap();
        let mut s = shape(2.0, 4.0, 11.0);
        s.executor.disk_gb = 200.0;
        let plan = cat.plan(&s, X86).unwrap();
        assert_eq!(plan.core_ebs_gib, 200.0);
        assert!((plan.core_node_hour_usd - node_hour(0.192, 0.048, 200.0)).abs() < 1e-12);
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
