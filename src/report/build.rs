//! Builds the [`Report`] from priced jobs: per-job lines, per-application and
//! per-month totals, crossovers and provenance. Each job's costs are computed
//! once (by the pricer) and only summed here.

use std::collections::{BTreeSet, HashMap};

use super::fleet::{FleetBuilder, GroupInfo, Row};
use super::model::{
    AppCrossovers, GroupBy, GroupSummary, IdlePreinit, JobLine, OptionTotals, PastCrossover,
    PriceSnapshotInfo, Report, SourceLine, SCHEMA_VERSION,
};
use crate::cost::{crossover, Assumptions, CompactCost, DeploymentOption, Pricer, RowsUsed};
use crate::model::{month_of_ms, Architecture, JobShape, RunFacts, ShapeBasis, WorkerSize};
use crate::pipeline::NotPriced;
use crate::pricing::{Confidence, GlueClass, PriceBook, Provenance};

/// The price rows a fleet pricer recorded, with their provenance.
pub fn snapshot_from_rows(rows: &RowsUsed, pricer: &Pricer<'_>) -> PriceSnapshotInfo {
    PricesUsed::from_rows(rows).finish(pricer.book(), pricer.assumptions())
}

/// What a run's group is made from (a scan reads it from columns, with
/// no record).
#[derive(Clone, Copy)]
pub(crate) struct GroupParts<'a> {
    pub application_id: &'a str,
    pub job_name: Option<&'a str>,
    pub region: &'a str,
    pub account_id: Option<&'a str>,
    pub tags: Option<&'a str>,
}

/// The group a run belongs to.
pub(crate) fn group_key_of<'a>(
    group_by: GroupBy,
    p: GroupParts<'a>,
    facts: &RunFacts,
) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    match group_by {
        GroupBy::Application => Cow::Borrowed(p.application_id),
        GroupBy::JobName => Cow::Borrowed(p.job_name.unwrap_or("(unnamed)")),
        GroupBy::Month => Cow::Owned(
            facts
                .start_ms
                .and_then(month_of_ms)
                .unwrap_or_else(|| "unknown".to_string()),
        ),
        GroupBy::State => Cow::Borrowed(facts.state.as_str()),
        GroupBy::Region => Cow::Borrowed(p.region),
        GroupBy::Account => Cow::Borrowed(p.account_id.unwrap_or("(no account)")),
        GroupBy::Tag { key, .. } => Cow::Owned(
            p.tags
                .and_then(|t| crate::model::tag_value(t, key))
                .unwrap_or_else(|| "(untagged)".to_string()),
        ),
        GroupBy::Nested { parts, .. } => Cow::Owned(
            parts
                .iter()
                .map(|g| group_key_of(*g, p, facts).into_owned())
                .collect::<Vec<_>>()
                .join(" / "),
        ),
    }
}

/// What [`finish`] needs: the fleet's columns and everything per run that
/// the caller already has.
pub struct Finish<'a> {
    pub fleet: &'a FleetBuilder,
    pub price_snapshot: PriceSnapshotInfo,
    pub jobs: Vec<JobLine>,
    pub not_priced: NotPriced,
    pub inputs: Vec<String>,
    pub pricer: &'a Pricer<'a>,
    pub group_by: GroupBy,
    pub idle_capacity: &'a [crate::collect::dataset::IdleCapacity],
    pub clusters: &'a [crate::collect::emr_ec2::ClusterCost],
    pub event_logs: &'a [crate::collect::dataset::EventLogBeside],
}

/// Aggregates the fleet (polars), adds crossovers, notes and idle capacity.
pub fn finish(input: Finish<'_>) -> polars::prelude::PolarsResult<Report> {
    let Finish {
        fleet,
        price_snapshot,
        jobs,
        not_priced,
        inputs,
        pricer,
        group_by,
        idle_capacity,
        clusters,
        event_logs,
    } = input;
    // The passes over every run that do not depend on each other, side by side.
    let (agg, (common, distributions)) = rayon::join(
        || fleet.aggregate(),
        || rayon::join(|| fleet.common_sizes(), || fleet.distributions()),
    );
    let mut summaries = Vec::with_capacity(agg.groups.len());
    let mut analyses = HashMap::new();
    for row in &agg.groups {
        let info = fleet.group_info(row.code);
        let mut summary = fleet.summary(row, Some(true));
        match group_by {
            GroupBy::Application => {
                summary.name = info.application_name.clone();
                summary.region = Some(info.region.clone());
                summary.architecture = Some(info.architecture.to_string());
            }
            GroupBy::JobName => {
                summary.region = Some(info.region.clone());
                summary.architecture = Some(info.architecture.to_string());
            }
            _ => {}
        }
        if group_by.is_workload() {
            if let Some(sizes) = common.get(&row.code) {
                if let Some(x) = app_crossovers(row, *sizes, info, pricer) {
                    analyses.insert(row.code, (summaries.len(), x));
                }
            }
        }
        summaries.push(summary);
    }
    // Shares of runs and cost past each crossover: one pass over the runs.
    // Each end of a range has its own changes: the estimated peak's first,
    // then the average's.
    let changes = |x: &AppCrossovers| -> Vec<crate::cost::crossover::Crossover> {
        let low = x
            .at_average
            .iter()
            .flat_map(|l| &l.analysis.cheapest_changes);
        x.analysis
            .cheapest_changes
            .iter()
            .chain(low)
            .copied()
            .collect()
    };
    let thresholds: HashMap<u32, Vec<f64>> = analyses
        .iter()
        .map(|(g, (_, x))| (*g, changes(x).iter().map(|c| c.runtime_s).collect()))
        .collect();
    let past = fleet.past(&thresholds);
    for (g, (at, mut x)) in analyses {
        let row = agg.groups.iter().find(|r| r.code == g);
        let (runs, cost) = row.map_or((1.0, 0.0), |r| (r.runs.max(1) as f64, r.serverless));
        let peak_changes = x.analysis.cheapest_changes.len();
        let all: Vec<PastCrossover> = changes(&x)
            .iter()
            .zip(past.get(&g).into_iter().flatten())
            .map(|(c, (n, usd))| PastCrossover {
                runtime_s: c.runtime_s,
                cheaper_below: c.cheaper_below,
                cheaper_above: c.cheaper_above,
                runs_share: *n as f64 / runs,
                serverless_cost_share: if cost > 0.0 { usd / cost } else { 0.0 },
            })
            .collect();
        let (peak, low) = all.split_at(peak_changes.min(all.len()));
        x.past = peak.to_vec();
        if let Some(end) = x.at_average.as_mut() {
            end.past = low.to_vec();
        }
        summaries[at].crossovers = Some(x);
    }
    summaries.sort_by(|a, b| a.key.cmp(&b.key));
    let mut months: Vec<GroupSummary> = agg
        .months
        .iter()
        .map(|r| fleet.summary(r, Some(false)))
        .collect();
    months.sort_by(|a, b| a.key.cmp(&b.key));

    let mut total = match &agg.total {
        Some(r) if r.runs > 0 => fleet.summary(r, None),
        _ => empty_total(),
    };
    let mut notes = notes(fleet, &price_snapshot);
    for gap in &total.not_priced_on {
        notes.push(format!(
            "{} could not be priced for {} run(s) (first reason: {}). Its totals are left out of any group with such a run; the runs' other figures stand.",
            gap.option, gap.runs, gap.reason
        ));
    }
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
    let chargeback = chargeback_of(group_by, fleet, &summaries);
    Ok(Report {
        chargeback,
        schema_version: SCHEMA_VERSION,
        generated_by: format!("emrcost {}", env!("CARGO_PKG_VERSION")),
        inputs,
        price_snapshot,
        assumptions: pricer.assumptions().lines(),
        notes,
        total,
        group_by,
        best_mix_saving_usd: if group_by.is_workload() {
            // A group already cheaper where it ran than on any single
            // option saves nothing by moving.
            summaries.iter().map(|a| a.saving_usd.max(0.0)).sum()
        } else {
            0.0
        },
        groups: summaries,
        months,
        jobs,
        not_priced: not_priced.summary(),
        unpriced: not_priced.unpriced,
        rejected: not_priced.rejected,
        idle_preinit,
        clusters: clusters.to_vec(),
        event_logs: event_log_lines(pricer, event_logs),
        startup: None,
        rightsizing: None,
        distributions,
    })
}

/// The chargeback view when the groups are accounts or tag values.
fn chargeback_of(
    group_by: GroupBy,
    fleet: &FleetBuilder,
    summaries: &[GroupSummary],
) -> Option<super::model::Chargeback> {
    let by_owner = match group_by {
        GroupBy::Account | GroupBy::Tag { .. } => true,
        GroupBy::Nested { parts, .. } => parts
            .iter()
            .all(|p| matches!(p, GroupBy::Account | GroupBy::Tag { .. })),
        _ => false,
    };
    if !by_owner {
        return None;
    }
    let cells = fleet.group_months();
    let months: Vec<String> = cells
        .iter()
        .map(|c| c.1.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let total: f64 = summaries.iter().map(|g| g.current_usd).sum();
    let mut rows: Vec<super::model::ChargebackRow> = summaries
        .iter()
        .map(|g| super::model::ChargebackRow {
            key: g.key.clone(),
            by_month_usd: months
                .iter()
                .map(|m| {
                    cells
                        .iter()
                        .filter(|c| c.0 == g.key && &c.1 == m)
                        .map(|c| c.2)
                        .sum()
                })
                .collect(),
            total_usd: g.current_usd,
            share: if total > 0.0 {
                g.current_usd / total
            } else {
                0.0
            },
            cheapest: g.cheapest,
            saving_usd: g.saving_usd.max(0.0),
        })
        .collect();
    rows.sort_by(|a, b| b.total_usd.total_cmp(&a.total_usd).then(a.key.cmp(&b.key)));
    Some(super::model::Chargeback { months, rows })
}

/// Each run beside its log, priced at its region's EMR Serverless rates
/// (a run in a region the book lacks is left out of the table).
fn event_log_lines(
    pricer: &Pricer<'_>,
    logs: &[crate::collect::dataset::EventLogBeside],
) -> Vec<super::model::EventLogLine> {
    let mut out: Vec<_> = logs
        .iter()
        .filter_map(|e| {
            let rate = pricer
                .book()
                .serverless_rate(&e.region, e.architecture)
                .ok()?;
            let price = |u: &crate::model::ResourceUsage| {
                crate::cost::serverless::price_usage(
                    u,
                    rate,
                    crate::cost::serverless::UsageBasis::Billed,
                )
                .usd
            };
            let busy = e
                .task_core_seconds
                .filter(|_| e.executor_core_seconds > 0.0)
                .map(|t| (t / e.executor_core_seconds).clamp(0.0, 1.0));
            Some(super::model::EventLogLine {
                region: e.region.clone(),
                application_id: e.application_id.clone(),
                job_run_id: e.job_run_id.clone(),
                attempt: e.attempt,
                log: e.log.clone(),
                billed_usd: price(&e.billed),
                log_usd: price(&e.log_billed),
                billed_vcpu_hours: e.billed.vcpu_hours,
                log_vcpu_hours: e.log_billed.vcpu_hours,
                peak_executors: e.peak_executors,
                avg_executors: e.avg_executors,
                executor_core_hours: e.executor_core_seconds / 3600.0,
                busy_share: busy,
                idle_core_hours: busy.map(|b| (1.0 - b) * e.executor_core_seconds / 3600.0),
                incomplete: e.incomplete,
            })
        })
        .collect();
    out.sort_by(|a, b| b.billed_usd.total_cmp(&a.billed_usd));
    out
}

fn empty_total() -> GroupSummary {
    GroupSummary {
        key: "all".into(),
        name: None,
        region: None,
        architecture: None,
        runs: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        runtime_hours: 0.0,
        runtime_p50_s: 0.0,
        runtime_p95_s: 0.0,
        runtime_max_s: 0.0,
        queue_p50_s: None,
        queue_p95_s: None,
        costs: OptionTotals::default(),
        cheapest: DeploymentOption::EmrServerless,
        saving_usd: 0.0,
        current_usd: 0.0,
        glue_billed_usd: 0.0,
        ec2_billed_usd: 0.0,
        peak_estimated_runs: 0,
        costs_at_average: None,
        saving_at_average_usd: None,
        ec2_graviton_usd: None,
        estimated_from_total: 0,
        not_priced_on: Vec::new(),
        crossovers: None,
        idle_preinit_usd: None,
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

/// Who a run is, borrowed from a record or from a batch's columns.
pub(crate) struct RunIdentity<'a> {
    pub region: &'a str,
    pub application_id: &'a str,
    pub application_name: Option<&'a str>,
    pub job_run_id: &'a str,
    pub attempt: u32,
    pub job_name: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub tags: Option<&'a str>,
}

impl<'a> RunIdentity<'a> {
    pub(crate) fn parts(&self) -> GroupParts<'a> {
        GroupParts {
            application_id: self.application_id,
            job_name: self.job_name,
            region: self.region,
            account_id: self.account_id,
            tags: self.tags,
        }
    }

    pub(crate) fn of_row(cols: &'a crate::pipeline::RunColumns, i: usize) -> RunIdentity<'a> {
        RunIdentity {
            region: cols.region(i).unwrap_or_default(),
            application_id: cols.application_id(i).unwrap_or_default(),
            application_name: cols.application_name(i),
            job_run_id: cols.job_run_id(i).unwrap_or_default(),
            attempt: cols.attempt(i).unwrap_or(1),
            job_name: cols.job_name(i),
            account_id: cols.account_id(i),
            tags: cols.tags(i),
        }
    }
}

/// One run's line in the per-run tables.
pub(crate) fn job_line(
    id: &RunIdentity<'_>,
    facts: &RunFacts,
    c: &CompactCost,
    group: String,
) -> JobLine {
    JobLine {
        group,
        region: id.region.to_string(),
        application_id: id.application_id.to_string(),
        application_name: id.application_name.map(str::to_string),
        job_run_id: id.job_run_id.to_string(),
        attempt: id.attempt,
        job_name: id.job_name.map(str::to_string),
        state: facts.state.as_str().to_string(),
        architecture: facts.architecture.as_str().to_string(),
        month: facts.start_ms.and_then(month_of_ms),
        runtime_s: c.runtime_s,
        queued_s: facts.queued_ms.map(|q| q as f64 / 1000.0),
        shape_basis: c.shape.basis.as_str().to_string(),
        executors: c.shape.executors,
        peak_executors: c.shape.peak_executors,
        peak_estimated: c.shape.peak_estimated,
        executor_vcpu: c.shape.executor.vcpu,
        executor_memory_gb: c.shape.executor.memory_gb,
        serverless_usd: c.serverless_usd,
        serverless_basis: c.basis.as_str().to_string(),
        billed_vcpu_hours: c.usage.vcpu_hours,
        billed_memory_gb_hours: c.usage.memory_gb_hours,
        billed_storage_gb_hours: c.usage.storage_gb_hours,
        ec2_instance_type: c.ec2_plan.as_ref().map(|(t, _)| t.to_string()),
        ec2_core_nodes: c.ec2_plan.as_ref().map(|(_, n)| *n),
        ec2_usd: c.usd(DeploymentOption::Ec2OnDemand),
        ec2_spot_usd: c.usd(DeploymentOption::Ec2Spot),
        glue_worker_type: c.glue_plan.as_ref().map(|(t, _)| t.to_string()),
        glue_workers: c.glue_plan.as_ref().map(|(_, n)| *n),
        glue_usd: c.usd(DeploymentOption::GlueStandard),
        glue_flex_usd: c.usd(DeploymentOption::GlueFlex),
        eks_instance_type: c.eks_plan.as_ref().map(|(t, _)| t.to_string()),
        eks_nodes: c.eks_plan.as_ref().map(|(_, n)| *n),
        eks_usd: c.usd(DeploymentOption::EmrOnEks),
        ec2_usd_at_average: c.usd_at_average(DeploymentOption::Ec2OnDemand),
        glue_usd_at_average: c.usd_at_average(DeploymentOption::GlueStandard),
        ec2_graviton_usd: c.ec2_graviton_usd,
        cheapest: c.cheapest,
        not_priced_on: [
            DeploymentOption::Ec2OnDemand,
            DeploymentOption::GlueStandard,
            DeploymentOption::EmrOnEks,
        ]
        .into_iter()
        .filter_map(|o| c.gap(o).map(|e| format!("{o}: {e}")))
        .collect(),
    }
}

/// Crossovers for the group's median run: median executor count on the
/// most common executor size, median runtime.
fn app_crossovers(
    row: &Row,
    (executor, driver): (WorkerSize, WorkerSize),
    info: &GroupInfo,
    pricer: &Pricer<'_>,
) -> Option<AppCrossovers> {
    let executors = row.executors_median;
    let runtime = row.runtime_median;
    let shape = JobShape {
        peak_executors: row.peak_executors_median.max(executors),
        // As the group's figures: a range wherever any run's peak is estimated.
        peak_estimated: row.peak_estimated > 0,
        ..JobShape::steady(driver, executor, executors, ShapeBasis::AverageFromUsage)
    };
    let curves = pricer
        .curves(&info.region, info.architecture, &shape)
        .ok()?;
    let analysis = crossover::analyse(&curves.curves);
    let at_average = if shape.peak_estimated {
        pricer
            .curves(&info.region, info.architecture, &shape.at_average())
            .ok()
            .map(|c| crate::report::model::CrossoverEnd {
                analysis: crossover::analyse(&c.curves),
                curves: c.curves,
                past: Vec::new(),
            })
    } else {
        None
    };
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
            info.architecture,
        ),
        median_runtime_s: runtime,
        past: Vec::new(),
        analysis,
        curves: curves.curves.clone(),
        at_average,
    })
}

/// The price rows a report used, gathered while building it.
#[derive(Default)]
pub(crate) struct PricesUsed<'a> {
    serverless: BTreeSet<(&'a str, Architecture)>,
    ec2: BTreeSet<(&'a str, &'a str)>,
    regions: BTreeSet<&'a str>,
    glue_types: BTreeSet<&'a str>,
    eks: BTreeSet<&'a str>,
}

impl<'a> PricesUsed<'a> {
    pub(crate) fn add(
        &mut self,
        region: &'a str,
        arch: Architecture,
        ec2: &'a [&'a str],
        glue_type: &'a str,
        eks: bool,
    ) {
        if eks {
            self.eks.insert(region);
        }
        self.serverless.insert((region, arch));
        self.ec2.extend(ec2.iter().map(|t| (region, *t)));
        self.regions.insert(region);
        self.glue_types.insert(glue_type);
    }

    fn from_rows(rows: &'a RowsUsed) -> PricesUsed<'a> {
        PricesUsed {
            serverless: rows
                .serverless
                .iter()
                .map(|(r, a)| (r.as_str(), *a))
                .collect(),
            ec2: rows
                .ec2
                .iter()
                .map(|(r, t)| (r.as_str(), t.as_str()))
                .collect(),
            regions: rows.regions.iter().map(String::as_str).collect(),
            glue_types: rows.glue_types.iter().map(String::as_str).collect(),
            eks: rows.eks.iter().map(String::as_str).collect(),
        }
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
        for region in &self.eks {
            if let Ok(r) = book.eks_rate(region) {
                lines.push(format!(
                    "EMR on EKS {region}: ${}/requested vCPU-h, ${}/requested GB-h (nodes as EMR on EC2 types, EC2 and EBS only) {}",
                    r.vcpu_hour_usd,
                    r.memory_gb_hour_usd,
                    tag(&r.provenance)
                ));
                provs.push(&r.provenance);
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

fn notes(fleet: &FleetBuilder, snapshot: &PriceSnapshotInfo) -> Vec<String> {
    let mut notes = vec![
        "EMR Serverless cost is what AWS billed (billedResourceUtilization). EMR on EC2 and Glue costs are estimates for the same runtime under the assumptions listed.".to_string(),
    ];
    if fleet.average_shapes > 0 {
        notes.push("Executor counts are averages derived from usage (vCPU-hours / runtime): what EMR Serverless bills. A fixed EMR on EC2 cluster or Glue worker count must hold the peak, which is measured only by CloudWatch metrics (collect --metrics) or an event log; where it is not, it is estimated as the average times peak_factor, and EMR on EC2 and Glue are shown as a range from the average to that estimate.".to_string());
    }
    let from_total = fleet.from_total_count;
    if from_total > 0 {
        notes.push(format!("{from_total} run(s) had no billedResourceUtilization yet; their EMR Serverless cost applies the billing rules (1-minute minimum, 20 GB free storage per worker) to totalResourceUtilization and is marked total_with_rules."));
    }
    let from_logs = fleet.event_log_count;
    if from_logs > 0 {
        notes.push(format!("{from_logs} run(s) were imported from Spark event logs: their EMR Serverless cost is estimated from the executor timeline (workers rounded up to valid sizes, a 1-minute minimum per worker, 20 GB free storage per worker) and marked event_log_estimate; EMR on EC2 and Glue are sized for their peak executors."));
    }
    let glue = fleet.glue_count;
    if glue > 0 {
        notes.push(format!("{glue} run(s) ran on Glue: their Glue cost is what Glue billed (DPUSeconds where Glue reports them, else DPU x ExecutionTime after the version's minimum) in the class they ran, with the same DPU-seconds at the other class's rate beside it; their EMR Serverless cost is estimated from their workers (one executor per worker but the driver's, at the worker's Spark sizes, for the execution time; auto-scaled runs at their average from DPUSeconds) and marked glue_estimate; EMR on EC2 is sized for the configured workers."));
    }
    let ec2 = fleet.ec2_count;
    if ec2 > 0 {
        notes.push(format!("{ec2} run(s) are EMR on EC2 steps: their EMR on EC2 cost is their share of their cluster's cost (each instance's EC2, Spot and EMR uplift and default EBS over the step's time, priced when collected); their EMR Serverless and Glue costs are estimated as if the step used the whole cluster's executors (an upper bound) and marked ec2_estimate. What the clusters cost outside their steps (provisioning, idle time) is in the EMR on EC2 clusters section."));
    }
    if snapshot.uses_unverified_prices {
        notes.push("Some prices used are marked unverified in the price book (see Prices used). Refresh the price book from the AWS Price List before relying on them.".to_string());
    }
    notes.push("Crossovers are solved exactly for each application's median run shape, on the measured runtime (before speed factors). Below a crossover runtime the first-named option is cheaper.".to_string());
    if fleet.flex_cheapest > 0 {
        notes.push("Glue Flex runs on spare capacity: start times are not guaranteed, so it suits only jobs that can wait.".to_string());
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::GroupBy;
    use crate::cost::{Assumptions, Pricer};
    use crate::input::Source;
    use crate::pipeline::{Defaults, Window};
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
        let mut text = Vec::new();
        crate::input::csv::write_csv(&mut text, runs).unwrap();
        let sources = [Source::Text {
            name: "runs.csv".into(),
            text: String::from_utf8(text).unwrap().into(),
        }];
        crate::report::generate(&crate::report::Config {
            sources: &sources,
            defaults: &Defaults::default(),
            window: Window::default(),
            pricer: &pricer,
            group_by,
            top: 10,
            startup: Default::default(),
        })
        .unwrap()
        .report
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
}
