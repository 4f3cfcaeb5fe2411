//! The one pricer: a run's cost on every option. Region data (rates,
//! instance catalogs) is built once per region; EMR on EC2 and Glue plans
//! depend only on a run's shape, so each distinct shape is planned once
//! (per thread) and its billing curve applied to each run's runtime.

use std::sync::Arc;

use serde::Serialize;

use super::ec2::{Ec2Catalog, Ec2Plan};
use super::eks::EksPlan;
use super::glue::{GlueCatalog, GluePlan};
use super::serverless::{self, ServerlessCost, ServerlessWorker, UsageBasis};
use super::{shape, Assumptions, BillingCurve, CostError, DeploymentOption};
use crate::model::{Architecture, JobRun, JobShape, ResourceUsage, RunFacts};
use crate::pricing::{EksRate, GlueClass, PriceBook, ServerlessRate};

/// A run that could not be priced, and why. The rest are still priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnpricedReason {
    pub index: usize,
    pub job: String,
    pub reason: String,
}

/// A shape's cost curve on every option that can run it, with the plans
/// behind them and the reasons for the options that cannot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionCurves {
    pub curves: Vec<(DeploymentOption, BillingCurve)>,
    pub serverless_driver: ServerlessWorker,
    pub serverless_executor: ServerlessWorker,
    pub ec2: Option<Ec2Plan>,
    /// For an x86_64 shape: the EMR on EC2 plan on Graviton, a what-if.
    pub ec2_graviton: Option<Ec2Plan>,
    pub glue: Option<GluePlan>,
    pub eks: Option<EksPlan>,
    pub unavailable: Vec<(DeploymentOption, String)>,
}

/// Everything about one region that pricing needs.
struct RegionCatalog {
    serverless: [Result<ServerlessRate, CostError>; 2],
    ec2: Result<Ec2Catalog, CostError>,
    glue: Result<GlueCatalog, CostError>,
    eks: Result<EksRate, CostError>,
}

/// Prices job runs against one price book under one set of assumptions.
pub struct Pricer<'b> {
    book: &'b PriceBook,
    assumptions: Assumptions,
}

impl<'b> Pricer<'b> {
    pub fn new(book: &'b PriceBook, assumptions: Assumptions) -> Pricer<'b> {
        Pricer { book, assumptions }
    }

    pub fn assumptions(&self) -> &Assumptions {
        &self.assumptions
    }

    pub fn book(&self) -> &PriceBook {
        self.book
    }

    fn catalog(&self, region: &str) -> RegionCatalog {
        let rate = |arch| {
            self.book
                .serverless_rate(region, arch)
                .cloned()
                .map_err(CostError::from)
        };
        RegionCatalog {
            serverless: [rate(Architecture::X86_64), rate(Architecture::Arm64)],
            ec2: Ec2Catalog::build(self.book, region, &self.assumptions),
            glue: GlueCatalog::build(self.book, region, &self.assumptions),
            eks: self.book.eks_rate(region).cloned().map_err(CostError::from),
        }
    }

    /// Every option's cost curve for a shape in a region and architecture.
    pub fn curves(
        &self,
        region: &str,
        architecture: Architecture,
        shape: &JobShape,
    ) -> Result<OptionCurves, CostError> {
        let a = &self.assumptions;
        let rate = self.book.serverless_rate(region, architecture)?;
        let serverless = serverless::curve(shape, rate, a)?;
        let mut curves = vec![(DeploymentOption::EmrServerless, serverless)];
        let mut unavailable = Vec::new();
        let catalog = Ec2Catalog::build(self.book, region, a);
        let ec2_graviton =
            if architecture == Architecture::X86_64 || a.ec2_arch == super::Ec2Arch::Any {
                catalog
                    .as_ref()
                    .ok()
                    .and_then(|c| c.plan_graviton(shape).ok())
            } else {
                None
            };
        let eks = match (&catalog, self.book.eks_rate(region)) {
            (Ok(c), Ok(rate)) => c.plan_eks(shape, architecture, rate, a),
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(e.into()),
        };
        let ec2 = catalog.and_then(|c| c.plan(shape, architecture));
        let ec2 = match ec2 {
            Ok(plan) => {
                curves.push((DeploymentOption::Ec2OnDemand, plan.curve(a)));
                if let Some(c) = plan.spot_curve(a) {
                    curves.push((DeploymentOption::Ec2Spot, c));
                }
                Some(plan)
            }
            Err(e) => {
                unavailable.push((DeploymentOption::Ec2OnDemand, e.to_string()));
                None
            }
        };
        let glue = match GlueCatalog::build(self.book, region, a).and_then(|c| c.plan(shape)) {
            Ok(plan) => {
                if let Some(c) = plan.curve(GlueClass::Standard, a) {
                    curves.push((DeploymentOption::GlueStandard, c));
                }
                if let Some(c) = plan.curve(GlueClass::Flex, a) {
                    curves.push((DeploymentOption::GlueFlex, c));
                }
                Some(plan)
            }
            Err(e) => {
                unavailable.push((DeploymentOption::GlueStandard, e.to_string()));
                None
            }
        };
        let eks = match eks {
            Ok(plan) => {
                curves.push((DeploymentOption::EmrOnEks, plan.curve(a)));
                Some(plan)
            }
            Err(e) => {
                unavailable.push((DeploymentOption::EmrOnEks, e.to_string()));
                None
            }
        };
        Ok(OptionCurves {
            curves,
            serverless_driver: serverless::round_worker(&shape.driver)?,
            serverless_executor: serverless::round_worker(&shape.executor)?,
            ec2,
            ec2_graviton,
            glue,
            eks,
            unavailable,
        })
    }
}

/// What every pricing path does first: check the record, find its
/// runtime, infer its shape and price it on EMR Serverless.
fn checked_serverless(
    job: &RunFacts,
    cat: &RegionCatalog,
    a: &Assumptions,
) -> Result<(f64, JobShape, ServerlessCost), String> {
    for usage in [job.billed, job.total].into_iter().flatten() {
        if let Some((field, v)) = usage.invalid_field() {
            return Err(format!("{field} is {v}; usage cannot be negative"));
        }
    }
    let runtime_s = job
        .runtime_s
        .ok_or("no runtime: the record has neither a duration nor startedAt and endedAt")?;
    if !(runtime_s.is_finite() && runtime_s >= 0.0) {
        return Err(format!("runtime is {runtime_s} s; it must be zero or more"));
    }
    let rate = match job.architecture {
        Architecture::X86_64 => &cat.serverless[0],
        Architecture::Arm64 => &cat.serverless[1],
    }
    .as_ref()
    .map_err(|e| e.to_string())?;
    let reported = |u: Option<crate::model::ResourceUsage>| u.is_some_and(|u| !u.is_zero());
    // A Glue run or an EMR on EC2 step: EMR Serverless is estimated from
    // its workers or its cluster's executors.
    let elsewhere = job.glue.is_some() || job.ec2_cost_usd.is_some();
    if elsewhere && !reported(job.billed) && !reported(job.total) {
        let shape = shape::infer(job, a).map_err(|e| e.to_string())?;
        let driver =
            serverless::worker_billed_usage(&shape.driver, runtime_s).map_err(|e| e.to_string())?;
        let executor = serverless::worker_billed_usage(&shape.executor, runtime_s)
            .map_err(|e| e.to_string())?;
        let n = shape.executors;
        let usage = ResourceUsage {
            vcpu_hours: driver.vcpu_hours + n * executor.vcpu_hours,
            memory_gb_hours: driver.memory_gb_hours + n * executor.memory_gb_hours,
            storage_gb_hours: driver.storage_gb_hours + n * executor.storage_gb_hours,
        };
        let basis = if job.glue.is_some() {
            UsageBasis::GlueEstimate
        } else {
            UsageBasis::Ec2Estimate
        };
        let cost = serverless::price_usage(&usage, rate, basis);
        return Ok((runtime_s, shape, cost));
    }
    if !reported(job.billed) && !reported(job.total) {
        return Err(
            "no usage reported: billedResourceUtilization and totalResourceUtilization \
                        are missing or zero (AWS fills them in shortly after a run ends; collect \
                        again later)"
                .into(),
        );
    }
    let shape = shape::infer(job, a).map_err(|e| e.to_string())?;
    let serverless = actual_serverless(job, &shape, runtime_s, rate).ok_or("no usage reported")?;
    Ok((runtime_s, shape, serverless))
}

/// Billed usage if AWS reported it; otherwise total usage with the billing
/// rules applied (flagged as such); `None` when neither is there.
fn actual_serverless(
    job: &RunFacts,
    shape: &JobShape,
    runtime_s: f64,
    rate: &ServerlessRate,
) -> Option<ServerlessCost> {
    if let Some(b) = job.billed.filter(|b| !b.is_zero()) {
        let basis = if job.source == crate::model::UsageSource::EventLog {
            UsageBasis::EventLogEstimate
        } else {
            UsageBasis::Billed
        };
        return Some(serverless::price_usage(&b, rate, basis));
    }
    let total = job.total.filter(|t| !t.is_zero())?;
    let workers = 1.0 + shape.executors;
    let billed = serverless::billed_from_total(&total, runtime_s, workers);
    Some(serverless::price_usage(
        &billed,
        rate,
        UsageBasis::TotalWithRules,
    ))
}

/// One run's costs as plain numbers: what fleet aggregation needs, without
/// the plans (which a fleet report reads from the price book once).
#[derive(Debug, Clone, PartialEq)]
pub struct CompactCost {
    pub runtime_s: f64,
    pub shape: JobShape,
    pub serverless_usd: f64,
    /// The billed (or billed-equivalent) usage behind `serverless_usd`.
    pub usage: ResourceUsage,
    pub basis: UsageBasis,
    /// Core instance type and node count of the EMR on EC2 plan.
    pub ec2_plan: Option<(Arc<str>, u32)>,
    /// Worker type and count of the Glue plan.
    pub glue_plan: Option<(Arc<str>, u32)>,
    /// On-demand and Spot; the error says why EMR on EC2 has no figure.
    pub ec2: Result<(f64, Option<f64>), Arc<str>>,
    /// Standard and Flex; the error says why Glue has no figure.
    pub glue: Result<(f64, Option<f64>), Arc<str>>,
    /// Node type and count of the EMR on EKS plan.
    pub eks_plan: Option<(Arc<str>, u32)>,
    /// EMR on EKS; the error says why it has no figure.
    pub eks: Result<f64, Arc<str>>,
    /// Where the peak is estimated: EMR on EC2, Spot, Glue, Flex and EMR on
    /// EKS sized to the average instead (the other end of the range).
    pub at_average: Option<[Option<f64>; 5]>,
    /// EMR on EC2 on Graviton (on-demand), a what-if for x86_64 runs; the
    /// EMR on EC2 figure itself for arm64 runs.
    pub ec2_graviton_usd: Option<f64>,
    pub cheapest: DeploymentOption,
    /// Where the run ran: EMR Serverless, or Glue (Standard or Flex) for a
    /// Glue run. Its figure there is what it cost; the others are estimates.
    pub current: DeploymentOption,
}

/// The options with a figure of their own beside EMR Serverless, in the
/// order of [`CompactCost::at_average`].
pub const SIZED_OPTIONS: [DeploymentOption; 5] = [
    DeploymentOption::Ec2OnDemand,
    DeploymentOption::Ec2Spot,
    DeploymentOption::GlueStandard,
    DeploymentOption::GlueFlex,
    DeploymentOption::EmrOnEks,
];

impl CompactCost {
    /// A Glue run's own cost in place of the Glue plan's estimate: the
    /// DPU-seconds Glue billed at the class it ran in, and the same
    /// DPU-seconds at the other class's rate (Flex from Glue 3.0) as that
    /// option's figure. No range: nothing about it is estimated.
    fn set_glue_actual(
        &mut self,
        g: &crate::model::GlueUse,
        cat: &RegionCatalog,
        runtime_s: f64,
    ) -> Result<(), String> {
        let glue = cat.glue.as_ref().map_err(|e| e.to_string())?;
        let standard = glue
            .actual_usd(&crate::model::GlueUse { flex: false, ..*g }, runtime_s)
            .ok_or("no Glue rate for the region")?;
        let flex = if g.version.0 >= 3 {
            glue.actual_usd(&crate::model::GlueUse { flex: true, ..*g }, runtime_s)
        } else {
            None
        };
        if g.flex && flex.is_none() {
            return Err(
                "a Flex Glue run, and the price book has no Flex rate for its region".into(),
            );
        }
        self.glue = Ok((standard, flex));
        if let Some(avg) = &mut self.at_average {
            avg[2] = Some(standard);
            avg[3] = flex;
        }
        Ok(())
    }

    /// What the run cost where it ran.
    pub fn current_usd(&self) -> f64 {
        self.usd(self.current).unwrap_or(self.serverless_usd)
    }

    pub fn usd(&self, option: DeploymentOption) -> Option<f64> {
        match option {
            DeploymentOption::EmrServerless => Some(self.serverless_usd),
            DeploymentOption::Ec2OnDemand => self.ec2.as_ref().ok().map(|e| e.0),
            DeploymentOption::Ec2Spot => self.ec2.as_ref().ok().and_then(|e| e.1),
            DeploymentOption::GlueStandard => self.glue.as_ref().ok().map(|g| g.0),
            DeploymentOption::GlueFlex => self.glue.as_ref().ok().and_then(|g| g.1),
            DeploymentOption::EmrOnEks => self.eks.as_ref().ok().copied(),
        }
    }

    /// The option's figure with EMR on EC2 and Glue sized to the average
    /// executors: the low end of the range where the peak is estimated,
    /// the figure itself elsewhere.
    pub fn usd_at_average(&self, option: DeploymentOption) -> Option<f64> {
        match (
            &self.at_average,
            SIZED_OPTIONS.iter().position(|o| *o == option),
        ) {
            (Some(low), Some(i)) => low[i],
            _ => self.usd(option),
        }
    }

    /// The cheapest option with a figure; EMR Serverless on a tie, since
    /// it is what the run used.
    pub fn cheapest_option(&self) -> DeploymentOption {
        // Ties go to where the run ran: moving gains nothing.
        let mut best = (self.current, self.current_usd());
        for option in DeploymentOption::ALL {
            if let Some(usd) = self.usd(option) {
                if usd < best.1 {
                    best = (option, usd);
                }
            }
        }
        best.0
    }

    /// Why EMR on EC2 or Glue has no figure for this run. Spot and Flex
    /// have none of their own: they follow their base option (and are
    /// simply absent when switched off).
    pub fn gap(&self, option: DeploymentOption) -> Option<&str> {
        match option {
            DeploymentOption::Ec2OnDemand => self.ec2.as_ref().err().map(|e| &**e),
            DeploymentOption::GlueStandard => self.glue.as_ref().err().map(|e| &**e),
            DeploymentOption::EmrOnEks => self.eks.as_ref().err().map(|e| &**e),
            _ => None,
        }
    }
}

/// What a plan depends on: region, architecture, executor and driver
/// sizes, peak executors, and (under managed or auto scaling only) the
/// average executors.
type PlanKey = (usize, u8, [u64; 5], u32, u64);

/// The EMR on EC2 and Glue billing curves of a plan, shared by every run of
/// the same [`PlanKey`].
#[derive(Clone)]
struct CachedPlan {
    ec2: Result<(BillingCurve, Option<BillingCurve>), Arc<str>>,
    glue: Result<(BillingCurve, Option<BillingCurve>), Arc<str>>,
    /// The EMR on EKS plan: its curve depends on each run's average
    /// executor pods too, so it is applied per run.
    eks: Result<EksPlan, Arc<str>>,
    ec2_types: Option<(Arc<str>, Arc<str>)>,
    ec2_plan: Option<(Arc<str>, u32)>,
    glue_plan: Option<(Arc<str>, u32)>,
}

impl CachedPlan {
    /// `graviton`: the what-if plan, arm64 types only.
    fn build(
        cat: &RegionCatalog,
        shape: &JobShape,
        arch: Architecture,
        graviton: bool,
        a: &Assumptions,
    ) -> CachedPlan {
        let ec2 = cat.ec2.as_ref().map_err(ToString::to_string).and_then(|c| {
            let plan = if graviton {
                c.plan_graviton(shape)
            } else {
                c.plan(shape, arch)
            };
            plan.map_err(|e| e.to_string())
        });
        let glue = cat
            .glue
            .as_ref()
            .map_err(ToString::to_string)
            .and_then(|c| c.plan(shape).map_err(|e| e.to_string()));
        let eks = match (&cat.ec2, &cat.eks) {
            // The Graviton what-if is for EMR on EC2 only.
            _ if graviton => Err(Arc::from("not planned for the Graviton what-if")),
            (Ok(c), Ok(rate)) => c
                .plan_eks(shape, arch, rate, a)
                .map_err(|e| Arc::from(e.to_string().as_str())),
            (Err(e), _) | (_, Err(e)) => Err(Arc::from(e.to_string().as_str())),
        };
        // Every priced run holds its plan's names. The catalog's own `Arc`s
        // are shared by every thread, so counting them on each run made
        // the two cores fight over one cache line; each cache has copies.
        let own = |s: &Arc<str>| Arc::<str>::from(&**s);
        let eks = eks.map(|mut p| {
            p.instance_type = own(&p.instance_type);
            p
        });
        CachedPlan {
            eks,
            ec2_types: ec2.as_ref().ok().map(|p| {
                // Read once a plan (for the price rows used), not a run.
                (
                    Arc::clone(&p.instance_type),
                    Arc::clone(&p.primary_instance_type),
                )
            }),
            ec2_plan: ec2
                .as_ref()
                .ok()
                .map(|p| (own(&p.instance_type), p.core_nodes)),
            glue_plan: glue.as_ref().ok().map(|p| (own(&p.worker_type), p.workers)),
            ec2: ec2
                .map(|p| (p.curve(a), p.spot_curve(a)))
                .map_err(|e| Arc::from(e.as_str())),
            glue: glue
                .and_then(|p| {
                    let standard = p
                        .curve(GlueClass::Standard, a)
                        .ok_or_else(|| "no Glue standard price".to_string())?;
                    Ok((standard, p.curve(GlueClass::Flex, a)))
                })
                .map_err(|e| Arc::from(e.as_str())),
        }
    }

    /// (EMR on EC2, Spot, Glue, Flex, EMR on EKS) at a runtime, for a run
    /// with `executors` executors on average.
    fn costs(&self, runtime_s: f64, executors: f64, a: &Assumptions) -> [Option<f64>; 5] {
        let (ec2, spot) = match &self.ec2 {
            Ok((c, s)) => (
                Some(c.cost_usd(runtime_s)),
                s.map(|s| s.cost_usd(runtime_s)),
            ),
            Err(_) => (None, None),
        };
        let (glue, flex) = match &self.glue {
            Ok((c, f)) => (
                Some(c.cost_usd(runtime_s)),
                f.map(|f| f.cost_usd(runtime_s)),
            ),
            Err(_) => (None, None),
        };
        let eks = self
            .eks
            .as_ref()
            .ok()
            .map(|p| p.curve_with(executors, a).cost_usd(runtime_s));
        [ec2, spot, glue, flex, eks]
    }
}

/// Every region's catalog, built once, plus a per-caller cache of plans.
pub struct FleetPricer<'p, 'b> {
    pricer: &'p Pricer<'b>,
    regions: Vec<(String, RegionCatalog)>,
    /// A region's place in `regions` (looked up once a run).
    region_index: polars::prelude::PlHashMap<String, usize>,
}

/// A run's plans: its own, sized to the average where the peak is
/// estimated, and on Graviton for an x86_64 run.
#[derive(Clone)]
struct RunPlans {
    main: CachedPlan,
    low: Option<CachedPlan>,
    graviton: Option<CachedPlan>,
}

/// A plan's key and, where the peak is estimated, the average rounded up.
type RunKey = (PlanKey, u32);

type PlanMap = polars::prelude::PlHashMap<RunKey, RunPlans>;

/// A cache of plans, one per thread.
#[derive(Default)]
pub struct PlanCache {
    plans: PlanMap,
    extra_regions: Vec<(String, RegionCatalog)>,
    /// (region index, architecture) pairs already in [`RowsUsed`].
    serverless_seen: Vec<(usize, Architecture)>,
}

/// Price rows a set of runs used: (region, architecture) serverless rates,
/// (region, instance type) EC2 rows, Glue worker types.
#[derive(Debug, Default, Clone)]
pub struct RowsUsed {
    pub serverless: std::collections::BTreeSet<(String, Architecture)>,
    pub ec2: std::collections::BTreeSet<(String, String)>,
    pub regions: std::collections::BTreeSet<String>,
    pub glue_types: std::collections::BTreeSet<String>,
    /// Regions whose EMR on EKS rate was used.
    pub eks: std::collections::BTreeSet<String>,
}

impl RowsUsed {
    pub fn merge(&mut self, other: RowsUsed) {
        self.serverless.extend(other.serverless);
        self.ec2.extend(other.ec2);
        self.regions.extend(other.regions);
        self.glue_types.extend(other.glue_types);
        self.eks.extend(other.eks);
    }
}

fn plan_key(region_index: usize, arch: Architecture, shape: &JobShape, a: &Assumptions) -> PlanKey {
    let scaled = a.ec2_sizing == super::Ec2Sizing::ManagedScaling
        || a.glue_sizing == super::GlueSizing::AutoScaling;
    (
        region_index,
        arch as u8,
        [
            shape.executor.vcpu.to_bits(),
            shape.executor.memory_gb.to_bits(),
            shape.executor.disk_gb.to_bits(),
            shape.driver.vcpu.to_bits(),
            shape.driver.memory_gb.to_bits(),
        ],
        shape.provisioned_executors(),
        if scaled { shape.executors.to_bits() } else { 0 },
    )
}

impl<'b> Pricer<'b> {
    /// A pricer for fleets: catalogs for every region the book knows.
    pub fn fleet(&self) -> FleetPricer<'_, 'b> {
        let regions = self
            .book
            .regions()
            .into_iter()
            .map(|r| (r.to_string(), self.catalog(r)))
            .collect::<Vec<_>>();
        let region_index = regions
            .iter()
            .enumerate()
            .map(|(i, (r, _))| (r.clone(), i))
            .collect();
        FleetPricer {
            pricer: self,
            regions,
            region_index,
        }
    }
}

impl FleetPricer<'_, '_> {
    pub fn pricer(&self) -> &Pricer<'_> {
        self.pricer
    }

    /// Prices one run to numbers (a record's figures, for records built in
    /// memory: event-log imports, tests); the
    /// EC2 and Glue plans come from `cache` when a run of the same region,
    /// executor size and provisioned count was priced before.
    pub fn price(
        &self,
        job: &JobRun,
        cache: &mut PlanCache,
        used: &mut RowsUsed,
    ) -> Result<CompactCost, String> {
        self.price_in(&job.facts(), &job.region, cache, used)
    }

    /// [`FleetPricer::price`] from a run's figures and its region (a scan
    /// reads both from columns, with no record).
    pub fn price_in(
        &self,
        job: &RunFacts,
        region: &str,
        cache: &mut PlanCache,
        used: &mut RowsUsed,
    ) -> Result<CompactCost, String> {
        let a = &self.pricer.assumptions;
        let region_index = match self.region_index.get(region) {
            Some(i) => *i,
            None => {
                let pos = match cache.extra_regions.iter().position(|(r, _)| r == region) {
                    Some(p) => p,
                    None => {
                        cache
                            .extra_regions
                            .push((region.to_string(), self.pricer.catalog(region)));
                        cache.extra_regions.len() - 1
                    }
                };
                self.regions.len() + pos
            }
        };
        let cat = if region_index < self.regions.len() {
            &self.regions[region_index].1
        } else {
            &cache.extra_regions[region_index - self.regions.len()].1
        };
        let (runtime_s, shape, serverless) = checked_serverless(job, cat, a)?;
        // One lookup a run: its plan, the plan sized to the average (where
        // the peak is estimated) and the Graviton what-if, built together.
        let key: RunKey = (
            plan_key(region_index, job.architecture, &shape, a),
            if shape.peak_estimated {
                shape.average_executors_whole()
            } else {
                0
            },
        );
        let plans = match cache.plans.get(&key) {
            Some(p) => p,
            None => {
                let mut build = |shape: &JobShape, arch, graviton: bool| {
                    let entry = CachedPlan::build(cat, shape, arch, graviton, a);
                    if let Some((t, p)) = &entry.ec2_types {
                        used.ec2.insert((region.to_string(), t.to_string()));
                        used.ec2.insert((region.to_string(), p.to_string()));
                    }
                    if let Some((g, _)) = &entry.glue_plan {
                        used.glue_types.insert(g.to_string());
                    }
                    if let Ok(p) = &entry.eks {
                        used.ec2
                            .insert((region.to_string(), p.instance_type.to_string()));
                        used.eks.insert(region.to_string());
                    }
                    entry
                };
                let main = build(&shape, job.architecture, false);
                let low = if shape.peak_estimated {
                    Some(build(&shape.at_average(), job.architecture, false))
                } else {
                    None
                };
                // Like for like, an arm64 run's own plan is the what-if.
                let graviton = if job.architecture == Architecture::X86_64
                    || a.ec2_arch == super::Ec2Arch::Any
                {
                    Some(build(&shape, Architecture::Arm64, true))
                } else {
                    None
                };
                let entry = RunPlans {
                    main,
                    low,
                    graviton,
                };
                used.regions.insert(region.to_string());
                cache.plans.entry(key).or_insert(entry)
            }
        };
        let seen = (region_index, job.architecture);
        if !cache.serverless_seen.contains(&seen) {
            cache.serverless_seen.push(seen);
            used.serverless
                .insert((region.to_string(), job.architecture));
            used.regions.insert(region.to_string());
        }
        let plan = &plans.main;
        let n = shape.executors;
        let costs = plan.costs(runtime_s, n, a);
        let at_average = plans.low.as_ref().map(|p| p.costs(runtime_s, n, a));
        let ec2_graviton_usd = match &plans.graviton {
            Some(p) => p.costs(runtime_s, n, a)[0],
            None => costs[0],
        };
        let mut cost = CompactCost {
            runtime_s,
            shape,
            serverless_usd: serverless.usd,
            usage: serverless.usage,
            basis: serverless.basis,
            ec2_plan: plan.ec2_plan.clone(),
            glue_plan: plan.glue_plan.clone(),
            ec2: match &plan.ec2 {
                Ok(_) => Ok((costs[0].unwrap_or(0.0), costs[1])),
                Err(e) => Err(Arc::clone(e)),
            },
            glue: match &plan.glue {
                Ok(_) => Ok((costs[2].unwrap_or(0.0), costs[3])),
                Err(e) => Err(Arc::clone(e)),
            },
            eks_plan: plan
                .eks
                .as_ref()
                .ok()
                .map(|p| (Arc::clone(&p.instance_type), p.nodes)),
            eks: match &plan.eks {
                Ok(_) => Ok(costs[4].unwrap_or(0.0)),
                Err(e) => Err(Arc::clone(e)),
            },
            at_average,
            ec2_graviton_usd,
            cheapest: DeploymentOption::EmrServerless,
            current: DeploymentOption::EmrServerless,
        };
        if let Some(actual) = job.ec2_cost_usd {
            // The step's own cost on its cluster, whatever its markets,
            // priced at list when collected: only the enterprise discount
            // (which the book carries for everything else) applies.
            let actual = actual * (1.0 - self.pricer.assumptions.edp_discount);
            let spot = cost.ec2.as_ref().ok().and_then(|e| e.1);
            cost.ec2 = Ok((actual, spot));
            if let Some(avg) = &mut cost.at_average {
                avg[0] = Some(actual);
            }
            cost.current = DeploymentOption::Ec2OnDemand;
        }
        if let Some(g) = job.glue {
            cost.set_glue_actual(&g, cat, runtime_s)?;
            cost.current = if g.flex {
                DeploymentOption::GlueFlex
            } else {
                DeploymentOption::GlueStandard
            };
        }
        cost.cheapest = cost.cheapest_option();
        Ok(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobState, ResourceUsage, UsageSource};

    fn job() -> JobRun {
        JobRun {
            region: "us-east-1".into(),
            application_id: "app".into(),
            application_name: None,
            architecture: Architecture::X86_64,
            job_run_id: "run".into(),
            attempt: 1,
            job_name: None,
            state: JobState::Success,
            release_label: None,
            created_at: None,
            started_at: None,
            ended_at: None,
            queued_ms: None,
            duration_s: Some(3600.0),
            // Driver + 4 executors, 4 vCPU / 16 GB each, 1 h.
            billed: Some(ResourceUsage {
                vcpu_hours: 20.0,
                memory_gb_hours: 80.0,
                storage_gb_hours: 0.0,
            }),
            total: None,
            executor_vcpu: None,
            executor_memory_gb: None,
            executor_disk_gb: None,
            driver_vcpu: None,
            driver_memory_gb: None,
            max_executors: None,
            peak_executors: None,
            incomplete: false,
            source: UsageSource::Csv,
            glue: None,
            glue_worker_type: None,
            ec2_cost_usd: None,
            ec2_cluster_id: None,
            account_id: None,
            tags: None,
        }
    }

    fn price(p: &Pricer<'_>, run: &JobRun) -> Result<CompactCost, String> {
        p.fleet()
            .price(run, &mut PlanCache::default(), &mut RowsUsed::default())
    }

    /// Each run's EMR on EC2 and Glue figures are the billing curves of its
    /// shape (what the crossover solver reads) at its runtime: the plan
    /// cache changes nothing but the speed.
    #[test]
    fn row_costs_are_the_crossover_curves_at_the_runtime() {
        let book = PriceBook::embedded().unwrap();
        let p = Pricer::new(
            &book,
            Assumptions {
                ec2_spot_discount: Some(0.4),
                ..Assumptions::default()
            },
        );
        let runs = crate::synth::generate(&crate::synth::SynthConfig {
            runs: 3000,
            seed: 9,
            ..crate::synth::SynthConfig::default()
        });
        let fleet = p.fleet();
        let mut cache = PlanCache::default();
        let mut used = RowsUsed::default();
        let mut checked = 0;
        for run in &runs {
            let Ok(c) = fleet.price(run, &mut cache, &mut used) else {
                continue;
            };
            let curves = p.curves(&run.region, run.architecture, &c.shape).unwrap();
            for (option, curve) in &curves.curves {
                if *option == DeploymentOption::EmrServerless {
                    continue;
                }
                let want = curve.cost_usd(c.runtime_s);
                let got = c.usd(*option).unwrap();
                assert!(
                    (want - got).abs() < 1e-9,
                    "{} {option}: {want} vs {got}",
                    run.label()
                );
                checked += 1;
            }
            assert_eq!(
                c.ec2_plan.as_ref().map(|(t, n)| (t.to_string(), *n)),
                curves
                    .ec2
                    .as_ref()
                    .map(|e| (e.instance_type.to_string(), e.core_nodes))
            );
            assert_eq!(
                c.glue_plan.as_ref().map(|(t, n)| (t.to_string(), *n)),
                curves
                    .glue
                    .as_ref()
                    .map(|g| (g.worker_type.to_string(), g.workers))
            );
        }
        assert!(checked > 3000, "{checked}");
        // Far fewer plans than runs: that is the point of the cache.
        assert!(
            cache.plans.len() < runs.len() / 5,
            "{} plans",
            cache.plans.len()
        );
        assert!(used.ec2.len() >= 2 && !used.glue_types.is_empty());
    }

    #[test]
    fn prices_a_run_on_every_option() {
        let book = PriceBook::embedded().unwrap();
        let p = Pricer::new(&book, Assumptions::default());
        let c = price(&p, &job()).unwrap();
        // 5 workers x $0.302952 for one hour.
        assert_eq!(
            format!("{:.6}", c.serverless_usd),
            format!("{:.6}", 5.0 * 0.302952)
        );
        assert!((c.shape.executors - 4.0).abs() < 1e-9);
        // Glue at the estimated peak, 4 x 1.5 = 6 executors of 4 vCPU and
        // 15.4 GB; the 15.4 GB driver does not fit G.1X's 11 GB, so G.2X
        // (8 vCPU, 22 GB): max(24/8, 92.4/22 = 4.2) = 5 + the driver's = 6
        // workers = 12 DPU x $0.44 x 1 h.
        let (glue, flex) = c.glue.clone().unwrap();
        assert!((glue - 12.0 * 0.44).abs() < 1e-9);
        assert!((flex.unwrap() - 12.0 * 0.29).abs() < 1e-9);
        assert_eq!(
            c.glue_plan.as_ref().map(|(t, n)| (&**t, *n)),
            Some(("G.2X", 6))
        );
        // At the average, 4 executors: max(16/8, 61.6/22 = 2.8) = 3 + 1 =
        // 4 workers = 8 DPU: the other end of the range.
        let low = c.usd_at_average(DeploymentOption::GlueStandard).unwrap();
        assert!((low - 8.0 * 0.44).abs() < 1e-9);
        let (ec2, spot) = c.ec2.clone().unwrap();
        assert!(ec2 > 0.0 && spot.is_none());
        assert_eq!(c.cheapest, DeploymentOption::EmrServerless);
    }

    #[test]
    fn bad_records_are_unpriced_not_fatal() {
        let book = PriceBook::embedded().unwrap();
        let p = Pricer::new(&book, Assumptions::default());
        let mut neg = job();
        neg.billed.as_mut().unwrap().vcpu_hours = -1.0;
        let mut region = job();
        region.region = "mars-north-1".into();
        let mut empty = job();
        empty.billed = None;
        // us-east-2 has EMR Serverless prices but no EC2 prices in the book:
        // the run is priced, with EMR on EC2 marked as not priced.
        let mut no_ec2 = job();
        no_ec2.region = "us-east-2".into();
        let c = price(&p, &no_ec2).unwrap();
        assert!(c.usd(DeploymentOption::Ec2OnDemand).is_none());
        let gap = c.gap(DeploymentOption::Ec2OnDemand).unwrap();
        assert!(
            gap.contains("no EMR on EC2 prices at all for region 'us-east-2'"),
            "{gap}"
        );
        assert!(c.usd(DeploymentOption::GlueStandard).is_some());
        let reason = |r: &JobRun| price(&p, r).unwrap_err();
        assert!(
            reason(&neg).contains("vcpu_hours is -1"),
            "{}",
            reason(&neg)
        );
        assert!(reason(&region).contains("region 'mars-north-1'"));
        assert!(reason(&empty).contains("no usage reported"));
    }

    #[test]
    fn total_usage_is_used_and_flagged_when_billed_is_missing() {
        let book = PriceBook::embedded().unwrap();
        let p = Pricer::new(&book, Assumptions::default());
        let mut j = job();
        j.total = j.billed.take();
        let c = price(&p, &j).unwrap();
        assert_eq!(c.basis, UsageBasis::TotalWithRules);
    }

    /// FACTS.md section 9, EMR Serverless pricing calculator README
    /// (us-east-1 Graviton): $100.99 + $83.28 + $15.38 = $199.65, and
    /// $143.75 after a 28% discount.
    #[test]
    fn graviton_calculator_example() {
        let book = PriceBook::embedded().unwrap();
        let rate = book
            .serverless_rate("us-east-1", Architecture::Arm64)
            .unwrap();
        let usage = ResourceUsage {
            vcpu_hours: 2399.311,
            memory_gb_hours: 17994.833,
            storage_gb_hours: 138542.617,
        };
        let c = serverless::price_usage(&usage, rate, UsageBasis::Billed);
        // 2399.311 x 0.042094 = 100.9966: the README prints the vCPU line
        // truncated ($100.99) while its total is rounded; to the cent the
        // line is $101.00 and the total, which is what a bill shows, matches.
        assert_eq!(format!("{:.4}", c.vcpu_usd), "100.9966");
        assert_eq!((c.vcpu_usd * 100.0).trunc() / 100.0, 100.99);
        assert_eq!(format!("{:.2}", c.memory_usd), "83.28");
        assert_eq!(format!("{:.2}", c.storage_usd), "15.38");
        assert_eq!(format!("{:.2}", c.usd), "199.65");
        assert_eq!(format!("{:.2}", c.usd * (1.0 - 0.28)), "143.75");
    }

    /// FACTS.md section 9 (AWS blog, TPC-DS 3 TB): 2670 s on arm64 against
    /// 2959 s on x86 at the lower arm64 price is 27.8% better price-performance.
    #[test]
    fn graviton_price_performance_example() {
        let book = PriceBook::embedded().unwrap();
        let p = Pricer::new(&book, Assumptions::default());
        let a = Assumptions::default();
        let shape = super::shape::infer(&job().facts(), &a).unwrap();
        let x86 = p
            .curves("us-east-1", Architecture::X86_64, &shape)
            .unwrap()
            .curves[0]
            .1;
        let arm = p
            .curves("us-east-1", Architecture::Arm64, &shape)
            .unwrap()
            .curves[0]
            .1;
        let saving = 1.0 - arm.cost_usd(2670.0) / x86.cost_usd(2959.0);
        assert_eq!(format!("{:.1}", saving * 100.0), "27.8");
    }
}
