//! Builds the [`Report`] from priced jobs: per-job lines, per-application and
//! per-month totals, crossovers and provenance. Each job's costs are computed
//! once (by the pricer) and only summed here.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{
    AppCrossovers, GroupBy, GroupSummary, IdlePreinit, JobLine, OptionGap, OptionTotals,
    PastCrossover, PriceSnapshotInfo, Report, SourceLine, SCHEMA_VERSION,
};
use crate::collect::Rejected;
use crate::cost::serverless::UsageBasis;
use crate::cost::{crossover, Assumptions, DeploymentOption, JobCost, Pricer, UnpricedReason};
use crate::model::{Architecture, JobRun, JobShape, JobState, ShapeBasis};
use crate::pricing::{Confidence, GlueClass, PriceBook, Provenance};

/// What [`build`] needs.
pub struct BuildInput<'a> {
    pub runs: &'a [JobRun],
    pub costs: &'a [JobCost],
    pub unpriced: Vec<UnpricedReason>,
    pub rejected: Vec<Rejected>,
    pub inputs: Vec<String>,
    pub pricer: &'a Pricer<'a>,
    pub group_by: GroupBy,
    /// From a collected dataset with metrics; empty otherwise.
    pub idle_capacity: &'a [crate::collect::dataset::IdleCapacity],
}

/// The options that can be missing for a run, with their index in `Acc`.
const OPTIONAL: [DeploymentOption; 4] = [
    DeploymentOption::Ec2OnDemand,
    DeploymentOption::Ec2Spot,
    DeploymentOption::GlueStandard,
    DeploymentOption::GlueFlex,
];

#[derive(Default)]
struct Acc {
    runs: usize,
    succeeded: usize,
    failed: usize,
    cancelled: usize,
    runtime_s: f64,
    serverless_usd: f64,
    sums: [f64; 4],
    /// Runs without a figure per optional option, and the first reason.
    missing: [(usize, Option<String>); 4],
    from_total: usize,
    runtimes: Vec<f64>,
    queues: Vec<f64>,
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least `p` of the values at or below it.
pub(crate) fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

impl Acc {
    fn add(&mut self, run: &JobRun, c: &JobCost) {
        self.runs += 1;
        match run.state {
            JobState::Success => self.succeeded += 1,
            JobState::Failed => self.failed += 1,
            JobState::Cancelled => self.cancelled += 1,
            _ => {}
        }
        self.runtime_s += c.runtime_s;
        self.runtimes.push(c.runtime_s);
        if let Some(q) = run.queued_ms {
            self.queues.push(q as f64 / 1000.0);
        }
        self.serverless_usd += c.serverless.usd;
        for (i, option) in OPTIONAL.iter().enumerate() {
            match c.usd(*option) {
                Some(v) => self.sums[i] += v,
                None => {
                    let slot = &mut self.missing[i];
                    slot.0 += 1;
                    if slot.1.is_none() {
                        slot.1 = c.gap(*option).map(str::to_string);
                    }
                }
            }
        }
        if c.serverless.basis == UsageBasis::TotalWithRules {
            self.from_total += 1;
        }
    }

    fn finish(
        mut self,
        key: String,
        name: Option<String>,
        region: Option<String>,
        architecture: Option<String>,
    ) -> GroupSummary {
        let mut costs = OptionTotals {
            emr_serverless_usd: self.serverless_usd,
            ..OptionTotals::default()
        };
        let mut not_priced_on = Vec::new();
        for (i, option) in OPTIONAL.iter().enumerate() {
            let (missing, reason) = &self.missing[i];
            // A partial total would compare unequal sets of runs: leave it out.
            costs.set(*option, (*missing == 0).then_some(self.sums[i]));
            // Options that are merely switched off (Spot, Flex) have no reason.
            if let (true, Some(reason)) = (*missing > 0, reason) {
                not_priced_on.push(OptionGap {
                    option: *option,
                    runs: *missing,
                    reason: reason.clone(),
                });
            }
        }
        let (cheapest, best) = costs.cheapest();
        self.runtimes.sort_by(f64::total_cmp);
        self.queues.sort_by(f64::total_cmp);
        GroupSummary {
            key,
            name,
            region,
            architecture,
            runs: self.runs,
            succeeded: self.succeeded,
            failed: self.failed,
            cancelled: self.cancelled,
            runtime_hours: self.runtime_s / 3600.0,
            runtime_p50_s: nearest_rank(&self.runtimes, 0.5).unwrap_or(0.0),
            runtime_p95_s: nearest_rank(&self.runtimes, 0.95).unwrap_or(0.0),
            runtime_max_s: self.runtimes.last().copied().unwrap_or(0.0),
            queue_p50_s: nearest_rank(&self.queues, 0.5),
            queue_p95_s: nearest_rank(&self.queues, 0.95),
            costs,
            cheapest,
            saving_usd: self.serverless_usd - best,
            estimated_from_total: self.from_total,
            not_priced_on,
            crossovers: None,
            idle_preinit_usd: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{build, nearest_rank, BuildInput, GroupBy};
    use crate::cost::{Assumptions, Pricer};
    use crate::pricing::PriceBook;
    use crate::synth::{generate, SynthConfig};
    use proptest::prelude::*;

    fn report_of(
        runs: &[crate::model::JobRun],
        book: &PriceBook,
        group_by: GroupBy,
    ) -> crate::report::Report {
        let pricer = Pricer::new(
            book,
            Assumptions {
                ec2_spot_discount: Some(0.5),
                ..Assumptions::default()
            },
        );
        let (costs, unpriced) = pricer.price_all(runs);
        build(BuildInput {
            runs,
            costs: &costs,
            unpriced,
            rejected: Vec::new(),
            inputs: Vec::new(),
            pricer: &pricer,
            group_by,
            idle_capacity: &[],
        })
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(1.0)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Totals are the sum of the groups, for every grouping and every
        /// option; shuffling the runs changes no total.
        #[test]
        fn totals_are_sums_and_order_free(seed in 0u64..1000, n in 1usize..300, shuffle_seed in any::<u64>()) {
            let book = PriceBook::embedded().unwrap();
            let runs = generate(&SynthConfig { runs: n, seed, ..SynthConfig::default() });
            for group_by in [GroupBy::Application, GroupBy::JobName, GroupBy::Month, GroupBy::State, GroupBy::Region] {
                let r = report_of(&runs, &book, group_by);
                for option in crate::cost::DeploymentOption::ALL {
                    let parts: Option<f64> = r.groups.iter().map(|g| g.costs.get(option)).sum();
                    prop_assert_eq!(parts.is_some(), r.total.costs.get(option).is_some());
                    if let (Some(p), Some(t)) = (parts, r.total.costs.get(option)) {
                        prop_assert!(close(p, t), "{:?} {:?}: {} vs {}", group_by, option, p, t);
                    }
                }
                prop_assert_eq!(r.groups.iter().map(|g| g.runs).sum::<usize>(), r.total.runs);
            }
            let mut shuffled = runs.clone();
            let mut state = shuffle_seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let a = report_of(&runs, &book, GroupBy::Application);
            let b = report_of(&shuffled, &book, GroupBy::Application);
            prop_assert!(close(a.total.costs.emr_serverless_usd, b.total.costs.emr_serverless_usd));
            prop_assert!(close(a.total.costs.ec2_on_demand_usd.unwrap(), b.total.costs.ec2_on_demand_usd.unwrap()));
            prop_assert_eq!(a.total.runtime_p95_s, b.total.runtime_p95_s);
            for (ga, gb) in a.groups.iter().zip(&b.groups) {
                prop_assert_eq!(&ga.key, &gb.key);
                prop_assert!(close(ga.costs.emr_serverless_usd, gb.costs.emr_serverless_usd));
                prop_assert!(close(ga.costs.glue_standard_usd.unwrap(), gb.costs.glue_standard_usd.unwrap()));
            }
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 0.5), Some(10.0));
        assert_eq!(nearest_rank(&v, 0.95), Some(19.0));
        assert_eq!(nearest_rank(&v, 1.0), Some(20.0));
        assert_eq!(nearest_rank(&[7.0], 0.5), Some(7.0));
        assert_eq!(nearest_rank(&[], 0.5), None);
    }
}

/// Builds the report value.
pub fn build(input: BuildInput<'_>) -> Report {
    let BuildInput {
        runs,
        costs,
        unpriced,
        rejected,
        inputs,
        pricer,
        group_by,
        idle_capacity,
    } = input;
    let mut total = Acc::default();
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    let mut members: BTreeMap<String, Vec<&JobCost>> = BTreeMap::new();
    let mut months: BTreeMap<String, Acc> = BTreeMap::new();
    let mut jobs = Vec::with_capacity(costs.len());
    for c in costs {
        let run = &runs[c.index];
        total.add(run, c);
        let month = run.month().unwrap_or_else(|| "unknown".to_string());
        let key = match group_by {
            GroupBy::Application => run.application_id.clone(),
            GroupBy::JobName => run
                .job_name
                .clone()
                .unwrap_or_else(|| "(unnamed)".to_string()),
            GroupBy::Month => month.clone(),
            GroupBy::State => run.state.to_string(),
            GroupBy::Region => run.region.clone(),
        };
        groups.entry(key.clone()).or_default().add(run, c);
        members.entry(key.clone()).or_default().push(c);
        months.entry(month).or_default().add(run, c);
        jobs.push(job_line(run, c, key));
    }

    let mut summaries = Vec::new();
    for (key, acc) in groups {
        let members = &members[&key];
        let first = &runs[members[0].index];
        let (name, region, arch) = match group_by {
            GroupBy::Application => (
                first.application_name.clone(),
                Some(first.region.clone()),
                Some(first.architecture.to_string()),
            ),
            GroupBy::JobName => (
                None,
                Some(first.region.clone()),
                Some(first.architecture.to_string()),
            ),
            _ => (None, None, None),
        };
        let mut summary = acc.finish(key, name, region, arch);
        if group_by.is_workload() {
            summary.crossovers = app_crossovers(members, first, pricer);
        }
        summaries.push(summary);
    }
    let months = months
        .into_iter()
        .map(|(m, acc)| acc.finish(m, None, None, None))
        .collect();

    let price_snapshot =
        PricesUsed::from_costs(runs, costs).finish(pricer.book(), pricer.assumptions());
    let mut total = total.finish("all".into(), None, None, None);
    let idle_preinit = idle_lines(idle_capacity, pricer);
    if !idle_preinit.is_empty() {
        total.idle_preinit_usd = Some(idle_preinit.iter().filter_map(|i| i.cost_usd).sum());
        if group_by == GroupBy::Application {
            for g in summaries.iter_mut() {
                let cost: Vec<f64> = idle_preinit
                    .iter()
                    .filter(|i| i.application_id == g.key)
                    .filter_map(|i| i.cost_usd)
                    .collect();
                if !cost.is_empty() {
                    g.idle_preinit_usd = Some(cost.iter().sum());
                }
            }
        }
    }
    let mut notes = notes(costs, &price_snapshot);
    for gap in &total.not_priced_on {
        notes.push(format!(
            "{} could not be priced for {} run(s) (first reason: {}). Its totals are left out of any group with such a run; the runs' other figures stand.",
            gap.option, gap.runs, gap.reason
        ));
    }
    Report {
        schema_version: SCHEMA_VERSION,
        generated_by: format!("emrcost {}", env!("CARGO_PKG_VERSION")),
        inputs,
        price_snapshot,
        assumptions: pricer.assumptions().lines(),
        notes,
        total,
        group_by,
        best_mix_saving_usd: if group_by.is_workload() {
            summaries.iter().map(|a| a.saving_usd).sum()
        } else {
            0.0
        },
        groups: summaries,
        months,
        jobs,
        unpriced,
        rejected,
        idle_preinit,
    }
}

/// Prices idle pre-initialized capacity at the EMR Serverless rates.
fn idle_lines(
    idle: &[crate::collect::dataset::IdleCapacity],
    pricer: &Pricer<'_>,
) -> Vec<IdlePreinit> {
    idle.iter()
        .map(|i| {
            let cost_usd = pricer
                .book()
                .serverless_rate(&i.region, i.architecture)
                .ok()
                .map(|r| {
                    i.vcpu_hours * r.vcpu_hour_usd
                        + i.memory_gb_hours * r.memory_gb_hour_usd
                        + i.billable_storage_gb_hours * r.storage_gb_hour_usd
                });
            IdlePreinit {
                region: i.region.clone(),
                application_id: i.application_id.clone(),
                application_name: i.application_name.clone(),
                architecture: i.architecture.to_string(),
                from: i.from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                to: i.to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                idle_minutes: i.idle_minutes,
                vcpu_hours: i.vcpu_hours,
                memory_gb_hours: i.memory_gb_hours,
                billable_storage_gb_hours: i.billable_storage_gb_hours,
                cost_usd,
            }
        })
        .collect()
}

fn job_line(run: &JobRun, c: &JobCost, group: String) -> JobLine {
    JobLine {
        group,
        region: run.region.clone(),
        application_id: run.application_id.clone(),
        application_name: run.application_name.clone(),
        job_run_id: run.job_run_id.clone(),
        attempt: run.attempt,
        job_name: run.job_name.clone(),
        state: run.state.to_string(),
        architecture: run.architecture.to_string(),
        month: run.month(),
        runtime_s: c.runtime_s,
        queued_s: run.queued_ms.map(|q| q as f64 / 1000.0),
        shape_basis: c.shape.basis.as_str().to_string(),
        executors: c.shape.executors,
        executor_vcpu: c.shape.executor.vcpu,
        executor_memory_gb: c.shape.executor.memory_gb,
        serverless_usd: c.serverless.usd,
        serverless_basis: c.serverless.basis.as_str().to_string(),
        billed_vcpu_hours: c.serverless.usage.vcpu_hours,
        billed_memory_gb_hours: c.serverless.usage.memory_gb_hours,
        billed_storage_gb_hours: c.serverless.usage.storage_gb_hours,
        ec2_instance_type: c
            .ec2
            .as_ref()
            .ok()
            .map(|e| e.plan.instance_type.to_string()),
        ec2_core_nodes: c.ec2.as_ref().ok().map(|e| e.plan.core_nodes),
        ec2_usd: c.usd(DeploymentOption::Ec2OnDemand),
        ec2_spot_usd: c.usd(DeploymentOption::Ec2Spot),
        glue_worker_type: c.glue.as_ref().ok().map(|g| g.plan.worker_type.to_string()),
        glue_workers: c.glue.as_ref().ok().map(|g| g.plan.workers),
        glue_usd: c.usd(DeploymentOption::GlueStandard),
        glue_flex_usd: c.usd(DeploymentOption::GlueFlex),
        cheapest: c.cheapest,
        not_priced_on: [
            (DeploymentOption::Ec2OnDemand, &c.ec2.as_ref().err()),
            (DeploymentOption::GlueStandard, &c.glue.as_ref().err()),
        ]
        .into_iter()
        .filter_map(|(o, e)| e.map(|e| format!("{o}: {e}")))
        .collect(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Crossovers for the application's median run: median executor count on
/// the most common executor size, median runtime.
fn app_crossovers(
    members: &[&JobCost],
    first: &JobRun,
    pricer: &Pricer<'_>,
) -> Option<AppCrossovers> {
    let executors = median(members.iter().map(|c| c.shape.executors).collect());
    let runtime = median(members.iter().map(|c| c.runtime_s).collect());
    let mut sizes: BTreeMap<String, (usize, &JobShape)> = BTreeMap::new();
    for c in members {
        let key = format!("{:?}{:?}", c.shape.executor, c.shape.driver);
        sizes.entry(key).or_insert((0, &c.shape)).0 += 1;
    }
    let (_, common) = sizes.values().max_by_key(|(n, _)| *n)?;
    let shape = JobShape {
        executors,
        basis: ShapeBasis::AverageFromUsage,
        ..**common
    };
    let curves = pricer
        .curves(&first.region, first.architecture, &shape)
        .ok()?;
    let analysis = crossover::analyse(&curves.curves);
    let ec2 = curves
        .ec2
        .as_ref()
        .map_or("EMR on EC2 not priced".to_string(), |p| {
            format!(
                "{} core node(s) of {} on EC2",
                p.core_nodes, p.instance_type
            )
        });
    let glue = curves
        .glue
        .as_ref()
        .map_or("Glue not priced".to_string(), |p| {
            format!("{} x {} on Glue", p.workers, p.worker_type)
        });
    Some(AppCrossovers {
        representative: format!(
            "median run: {:.1} executors of {} vCPU / {:.1} GB (driver {} vCPU / {:.1} GB), {} on {}, {ec2}, {glue}",
            executors,
            shape.executor.vcpu,
            shape.executor.memory_gb,
            shape.driver.vcpu,
            shape.driver.memory_gb,
            crate::report::export::duration(runtime),
            first.architecture,
        ),
        median_runtime_s: runtime,
        past: past_shares(members, &analysis),
        analysis,
        curves: curves.curves.clone(),
    })
}

/// The share of a group's runs, and of its serverless cost, that ran longer
/// than each change of the cheapest option.
fn past_shares(
    members: &[&JobCost],
    analysis: &crossover::CrossoverAnalysis,
) -> Vec<PastCrossover> {
    let runs = members.len().max(1) as f64;
    let cost: f64 = members.iter().map(|c| c.serverless.usd).sum();
    analysis
        .cheapest_changes
        .iter()
        .map(|x| {
            let past: Vec<&&JobCost> = members
                .iter()
                .filter(|c| c.runtime_s > x.runtime_s)
                .collect();
            let past_cost: f64 = past.iter().map(|c| c.serverless.usd).sum();
            PastCrossover {
                runtime_s: x.runtime_s,
                cheaper_below: x.cheaper_below,
                cheaper_above: x.cheaper_above,
                runs_share: past.len() as f64 / runs,
                serverless_cost_share: if cost > 0.0 { past_cost / cost } else { 0.0 },
            }
        })
        .collect()
}

/// The price rows a report used, gathered while building it.
#[derive(Default)]
pub(crate) struct PricesUsed<'a> {
    serverless: BTreeSet<(&'a str, Architecture)>,
    ec2: BTreeSet<(&'a str, &'a str)>,
    regions: BTreeSet<&'a str>,
    glue_types: BTreeSet<&'a str>,
}

impl<'a> PricesUsed<'a> {
    pub(crate) fn add(
        &mut self,
        region: &'a str,
        arch: Architecture,
        ec2: &'a [&'a str],
        glue_type: &'a str,
    ) {
        self.serverless.insert((region, arch));
        self.ec2.extend(ec2.iter().map(|t| (region, *t)));
        self.regions.insert(region);
        self.glue_types.insert(glue_type);
    }

    fn from_costs(runs: &'a [JobRun], costs: &'a [JobCost]) -> PricesUsed<'a> {
        let mut used = PricesUsed::default();
        for c in costs {
            let run = &runs[c.index];
            used.serverless
                .insert((run.region.as_str(), run.architecture));
            if let Ok(e) = &c.ec2 {
                used.ec2
                    .insert((run.region.as_str(), &*e.plan.instance_type));
                used.ec2
                    .insert((run.region.as_str(), &*e.plan.primary_instance_type));
            }
            used.regions.insert(run.region.as_str());
            if let Ok(g) = &c.glue {
                used.glue_types.insert(&*g.plan.worker_type);
            }
        }
        used
    }

    /// Every row used, with its provenance, and the sources behind them.
    pub(crate) fn finish(&self, book: &PriceBook, a: &Assumptions) -> PriceSnapshotInfo {
        let mut lines = Vec::new();
        let mut provs: Vec<&Provenance> = Vec::new();
        let tag = |p: &Provenance| format!("[{} {} {}]", p.source, p.confidence, p.effective_date);
        for (region, arch) in &self.serverless {
            if let Ok(r) = book.serverless_rate(region, *arch) {
                lines.push(format!(
                    "EMR Serverless {region} {arch}: ${}/vCPU-h, ${}/GB-h, ${}/storage GB-h {}",
                    r.vcpu_hour_usd,
                    r.memory_gb_hour_usd,
                    r.storage_gb_hour_usd,
                    tag(&r.provenance)
                ));
                provs.push(&r.provenance);
            }
        }
        for (region, it) in &self.ec2 {
            if let (Ok(r), Ok(t)) = (book.ec2_rate(region, it), book.instance_type(it)) {
                lines.push(format!(
                    "EMR on EC2 {region} {it}: EC2 ${}/h + EMR ${}/h {}; {} vCPU, YARN {} vcores / {} MB, {} GiB EBS {}",
                    r.ec2_hour_usd, r.emr_hour_usd, tag(&r.provenance), t.vcpu, t.yarn_vcores,
                    t.yarn_memory_mb, t.ebs_default_gib, tag(&t.provenance)
                ));
                provs.push(&r.provenance);
                provs.push(&t.provenance);
            }
        }
        for region in &self.regions {
            if let Ok(r) = book.ebs_rate(region, &a.ec2_ebs_volume_type) {
                lines.push(format!(
                    "EBS {region} {}: ${}/GB-month {}",
                    r.volume_type,
                    r.gb_month_usd,
                    tag(&r.provenance)
                ));
                provs.push(&r.provenance);
            }
            for class in [GlueClass::Standard, GlueClass::Flex] {
                if class == GlueClass::Flex && !a.glue_version.has_flex() {
                    continue;
                }
                if let Ok(r) = book.glue_rate(region, class) {
                    lines.push(format!(
                        "Glue {region} {class}: ${}/DPU-h {}",
                        r.dpu_hour_usd,
                        tag(&r.provenance)
                    ));
                    provs.push(&r.provenance);
                }
            }
        }
        for w in book
            .glue_workers
            .iter()
            .filter(|w| self.glue_types.contains(w.name.as_str()))
        {
            lines.push(format!(
                "Glue worker {}: {} DPU, {} vCPU, {} GB {}",
                w.name,
                w.dpu,
                w.vcpu,
                w.memory_gb,
                tag(&w.provenance)
            ));
            provs.push(&w.provenance);
        }
        let used: BTreeSet<&str> = provs.iter().map(|p| p.source.as_str()).collect();
        let sources = used
            .iter()
            .filter_map(|id| book.sources.get(*id))
            .map(|s| SourceLine {
                id: s.id.clone(),
                confidence: s.confidence.to_string(),
                title: s.title.clone(),
                reference: s.reference.clone(),
            })
            .collect();
        PriceSnapshotInfo {
            id: book.snapshot.id.clone(),
            captured_on: book.snapshot.captured_on.to_string(),
            location: book.snapshot.location.clone(),
            prices_used: lines,
            sources,
            uses_unverified_prices: provs.iter().any(|p| p.confidence == Confidence::Unverified),
        }
    }
}

fn notes(costs: &[JobCost], snapshot: &PriceSnapshotInfo) -> Vec<String> {
    let mut notes = vec![
        "EMR Serverless cost is what AWS billed (billedResourceUtilization). EMR on EC2 and Glue costs are estimates for the same runtime under the assumptions listed.".to_string(),
    ];
    if costs
        .iter()
        .any(|c| c.shape.basis == ShapeBasis::AverageFromUsage)
    {
        notes.push("Executor counts are averages derived from usage (vCPU-hours / runtime). Peak concurrency is unknown until CloudWatch metrics are collected; EMR on EC2 and Glue are sized for the average rounded up, which understates a job whose executors spike.".to_string());
    }
    let from_total = costs
        .iter()
        .filter(|c| c.serverless.basis == UsageBasis::TotalWithRules)
        .count();
    if from_total > 0 {
        notes.push(format!("{from_total} run(s) had no billedResourceUtilization yet; their EMR Serverless cost applies the billing rules (1-minute minimum, 20 GB free storage per worker) to totalResourceUtilization and is marked total_with_rules."));
    }
    let from_logs = costs
        .iter()
        .filter(|c| c.serverless.basis == UsageBasis::EventLogEstimate)
        .count();
    if from_logs > 0 {
        notes.push(format!("{from_logs} run(s) were imported from Spark event logs: their EMR Serverless cost is estimated from the executor timeline (workers rounded up to valid sizes, a 1-minute minimum per worker, 20 GB free storage per worker) and marked event_log_estimate; EMR on EC2 and Glue are sized for their peak executors."));
    }
    if snapshot.uses_unverified_prices {
        notes.push("Some prices used are marked unverified in the price book (see Prices used). Refresh the price book from the AWS Price List before relying on them.".to_string());
    }
    notes.push("Crossovers are solved exactly for each application's median run shape, on the measured runtime (before speed factors). Below a crossover runtime the first-named option is cheaper.".to_string());
    if costs
        .iter()
        .any(|c| c.cheapest == DeploymentOption::GlueFlex)
    {
        notes.push("Glue Flex runs on spare capacity: start times are not guaranteed, so it suits only jobs that can wait.".to_string());
    }
    notes
}
