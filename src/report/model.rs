//! The report value every exporter renders.

use serde::Serialize;

use crate::cost::crossover::CrossoverAnalysis;
use crate::cost::{AssumptionLine, DeploymentOption, UnpricedReason};
use crate::model::Rejected;

/// Version of the JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What the report's main table groups runs by.
///
/// `Tag` and `Nested` carry text from the command line; it is leaked once
/// at parse time (a few bytes for the process's life) so that the value
/// stays `Copy` like the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Application,
    JobName,
    Month,
    State,
    Region,
    /// The AWS account (collected runs carry it; others are "(no account)").
    Account,
    /// One tag's value (`tag:team`); runs without it are "(untagged)".
    Tag {
        key: &'static str,
        name: &'static str,
    },
    /// Several groupings, outermost first (`account,tag:team`).
    Nested {
        parts: &'static [GroupBy],
        name: &'static str,
    },
}

impl Serialize for GroupBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl GroupBy {
    /// Whether this grouping, or one of its nested parts, is one that
    /// `part` picks out (so a run's text it does not read is left unread).
    pub fn reads(self, part: impl Fn(GroupBy) -> bool + Copy) -> bool {
        match self {
            GroupBy::Nested { parts, .. } => parts.iter().any(|p| p.reads(part)),
            other => part(other),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Application => "application",
            GroupBy::JobName => "job-name",
            GroupBy::Month => "month",
            GroupBy::State => "state",
            GroupBy::Region => "region",
            GroupBy::Account => "account",
            GroupBy::Tag { name, .. } | GroupBy::Nested { name, .. } => name,
        }
    }

    /// Groups that are workloads, for which moving to another option and a
    /// median run's crossovers mean something.
    pub fn is_workload(self) -> bool {
        matches!(self, GroupBy::Application | GroupBy::JobName)
    }

    fn one(s: &str) -> Result<GroupBy, String> {
        Ok(match s.trim() {
            "application" => GroupBy::Application,
            "job-name" => GroupBy::JobName,
            "month" => GroupBy::Month,
            "state" => GroupBy::State,
            "region" => GroupBy::Region,
            "account" => GroupBy::Account,
            t if t.starts_with("tag:") => {
                let key = t["tag:".len()..].trim();
                if key.is_empty() {
                    return Err("tag: needs a tag key, like tag:team".into());
                }
                GroupBy::Tag {
                    key: Box::leak(key.to_string().into_boxed_str()),
                    name: Box::leak(format!("tag:{key}").into_boxed_str()),
                }
            }
            other => {
                return Err(format!(
                    "unknown grouping '{other}': use application, job-name, month, state, region, account or tag:KEY, or several joined by commas (account,tag:team)"
                ))
            }
        })
    }
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() == 1 {
            return GroupBy::one(s);
        }
        let parsed = parts
            .iter()
            .map(|p| GroupBy::one(p))
            .collect::<Result<Vec<_>, _>>()?;
        let name = parsed
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Ok(GroupBy::Nested {
            parts: Box::leak(parsed.into_boxed_slice()),
            name: Box::leak(name.into_boxed_str()),
        })
    }
}

/// A source row used by this report's prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceLine {
    pub id: String,
    pub confidence: String,
    pub title: String,
    pub reference: String,
}

/// Which price book produced the numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceSnapshotInfo {
    pub id: String,
    pub captured_on: String,
    pub location: String,
    /// Every price row used, `kind region key: value [source confidence date]`.
    pub prices_used: Vec<String>,
    pub sources: Vec<SourceLine>,
    /// True when any price used is marked unverified.
    pub uses_unverified_prices: bool,
}

/// Dollar totals per option. `None`: the option is off, or could not be
/// priced for at least one run of the group (a partial sum would compare
/// unequal sets of runs); [`GroupSummary::not_priced_on`] says why.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct OptionTotals {
    pub emr_serverless_usd: f64,
    pub ec2_on_demand_usd: Option<f64>,
    pub ec2_spot_usd: Option<f64>,
    pub glue_standard_usd: Option<f64>,
    pub glue_flex_usd: Option<f64>,
    pub emr_on_eks_usd: Option<f64>,
}

impl OptionTotals {
    pub fn get(&self, option: DeploymentOption) -> Option<f64> {
        match option {
            DeploymentOption::EmrServerless => Some(self.emr_serverless_usd),
            DeploymentOption::Ec2OnDemand => self.ec2_on_demand_usd,
            DeploymentOption::Ec2Spot => self.ec2_spot_usd,
            DeploymentOption::GlueStandard => self.glue_standard_usd,
            DeploymentOption::GlueFlex => self.glue_flex_usd,
            DeploymentOption::EmrOnEks => self.emr_on_eks_usd,
        }
    }

    /// Sets an option's total (the serverless total is never optional).
    pub fn set(&mut self, option: DeploymentOption, usd: Option<f64>) {
        match option {
            DeploymentOption::EmrServerless => self.emr_serverless_usd = usd.unwrap_or(0.0),
            DeploymentOption::Ec2OnDemand => self.ec2_on_demand_usd = usd,
            DeploymentOption::Ec2Spot => self.ec2_spot_usd = usd,
            DeploymentOption::GlueStandard => self.glue_standard_usd = usd,
            DeploymentOption::GlueFlex => self.glue_flex_usd = usd,
            DeploymentOption::EmrOnEks => self.emr_on_eks_usd = usd,
        }
    }

    /// The cheapest available option and its total.
    pub fn cheapest(&self) -> (DeploymentOption, f64) {
        let mut best = (DeploymentOption::EmrServerless, self.emr_serverless_usd);
        for o in DeploymentOption::ALL {
            if let Some(v) = self.get(o) {
                if v < best.1 {
                    best = (o, v);
                }
            }
        }
        best
    }
}

/// How much of a group lies past one change of the cheapest option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PastCrossover {
    pub runtime_s: f64,
    pub cheaper_below: DeploymentOption,
    pub cheaper_above: DeploymentOption,
    /// Share of the group's runs that ran longer than `runtime_s`.
    pub runs_share: f64,
    /// Share of the group's EMR Serverless cost that those runs account for.
    pub serverless_cost_share: f64,
}

/// Crossovers for an application's representative (median) run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppCrossovers {
    /// The shape the curves were drawn for, in words.
    pub representative: String,
    pub median_runtime_s: f64,
    /// Each option's cost curve for the representative shape.
    pub curves: Vec<(DeploymentOption, crate::cost::BillingCurve)>,
    pub analysis: CrossoverAnalysis,
    /// For each change of the cheapest option: the runs and cost past it.
    pub past: Vec<PastCrossover>,
    /// Where the peak is estimated: the same with EMR on EC2 and Glue sized
    /// to the average executors, the other end of the range.
    pub at_average: Option<CrossoverEnd>,
}

/// Curves and crossovers of one end of a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossoverEnd {
    pub curves: Vec<(DeploymentOption, crate::cost::BillingCurve)>,
    pub analysis: CrossoverAnalysis,
    /// For each change of the cheapest option: the runs and cost past it.
    pub past: Vec<PastCrossover>,
}

/// An option that could not be priced for some runs of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionGap {
    pub option: DeploymentOption,
    pub runs: usize,
    /// The reason given for the first such run.
    pub reason: String,
}

/// Totals for a group of runs (an application, a month, or everything).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    pub key: String,
    pub name: Option<String>,
    pub region: Option<String>,
    pub architecture: Option<String>,
    pub runs: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub runtime_hours: f64,
    /// Runtime percentiles (nearest rank) and maximum, seconds.
    pub runtime_p50_s: f64,
    pub runtime_p95_s: f64,
    pub runtime_max_s: f64,
    /// Queue-time percentiles (nearest rank), seconds; `None` without queue times.
    pub queue_p50_s: Option<f64>,
    pub queue_p95_s: Option<f64>,
    pub costs: OptionTotals,
    pub cheapest: DeploymentOption,
    /// What the runs cost where they ran minus the cheapest option's: what
    /// moving would save (zero when where they ran is already cheapest).
    pub saving_usd: f64,
    /// What the runs cost where they ran: EMR Serverless billed for its
    /// runs, Glue billed for Glue runs.
    pub current_usd: f64,
    /// Of that, what Glue billed (0 with no Glue runs).
    pub glue_billed_usd: f64,
    /// Of that, what EMR on EC2 steps cost on their clusters (0 with none).
    pub ec2_billed_usd: f64,
    /// Runs whose peak executor count is estimated (average x peak factor),
    /// not measured.
    pub peak_estimated_runs: usize,
    /// Where some peak is estimated: the totals with EMR on EC2 and Glue
    /// sized to the average executors instead, the other end of the range.
    pub costs_at_average: Option<OptionTotals>,
    /// The saving at that end of the range.
    pub saving_at_average_usd: Option<f64>,
    /// What-if: EMR on EC2 (on-demand) with Graviton instance types; the
    /// EMR on EC2 figure itself for arm64 runs.
    pub ec2_graviton_usd: Option<f64>,
    /// Runs whose serverless cost came from total usage, not billed usage.
    pub estimated_from_total: usize,
    /// Options left out of the totals because some runs could not be priced on them.
    pub not_priced_on: Vec<OptionGap>,
    pub crossovers: Option<AppCrossovers>,
    /// Pre-initialized capacity allocated while none of the group's runs
    /// ran (from CloudWatch, with `collect --metrics`): in no run's bill.
    pub idle_preinit_usd: Option<f64>,
}

/// One priced job run, flat, for tables and CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobLine {
    /// The key of the group the run is in (see `Report::group_by`).
    pub group: String,
    pub region: String,
    pub application_id: String,
    pub application_name: Option<String>,
    pub job_run_id: String,
    pub attempt: u32,
    pub job_name: Option<String>,
    pub state: String,
    pub architecture: String,
    pub month: Option<String>,
    pub runtime_s: f64,
    pub queued_s: Option<f64>,
    pub shape_basis: String,
    pub executors: f64,
    /// Peak executors: measured, declared, or the average x peak factor.
    pub peak_executors: f64,
    pub peak_estimated: bool,
    pub executor_vcpu: f64,
    pub executor_memory_gb: f64,
    pub serverless_usd: f64,
    pub serverless_basis: String,
    pub billed_vcpu_hours: f64,
    pub billed_memory_gb_hours: f64,
    pub billed_storage_gb_hours: f64,
    pub ec2_instance_type: Option<String>,
    pub ec2_core_nodes: Option<u32>,
    pub ec2_usd: Option<f64>,
    pub ec2_spot_usd: Option<f64>,
    pub glue_worker_type: Option<String>,
    pub glue_workers: Option<u32>,
    pub glue_usd: Option<f64>,
    pub glue_flex_usd: Option<f64>,
    pub eks_instance_type: Option<String>,
    pub eks_nodes: Option<u32>,
    pub eks_usd: Option<f64>,
    /// Where the peak is estimated: EMR on EC2 and Glue sized to the
    /// average executors (the other end of the range).
    pub ec2_usd_at_average: Option<f64>,
    pub glue_usd_at_average: Option<f64>,
    /// What-if: EMR on EC2 on Graviton (on-demand).
    pub ec2_graviton_usd: Option<f64>,
    pub cheapest: DeploymentOption,
    /// `option: reason` for each option this run could not be priced on.
    pub not_priced_on: Vec<String>,
}

/// Everything a report says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated_by: String,
    pub inputs: Vec<String>,
    pub price_snapshot: PriceSnapshotInfo,
    pub assumptions: Vec<AssumptionLine>,
    pub notes: Vec<String>,
    pub total: GroupSummary,
    /// What the groups are.
    pub group_by: GroupBy,
    /// With workload groups (application, job name): what moving each group
    /// to its own cheapest option would save, summed.
    pub best_mix_saving_usd: f64,
    pub groups: Vec<GroupSummary>,
    pub months: Vec<GroupSummary>,
    pub jobs: Vec<JobLine>,
    /// The first records that could not be priced, and the first that
    /// could not be read ([`crate::pipeline::LISTED`] of each at most);
    /// `not_priced` counts them all.
    pub unpriced: Vec<UnpricedReason>,
    pub rejected: Vec<Rejected>,
    pub not_priced: crate::pipeline::NotPricedSummary,
    /// Idle pre-initialized capacity per application, when metrics were collected.
    pub idle_preinit: Vec<IdlePreinit>,
    /// EMR on EC2 clusters (`collect emr`): each one's cost, what its steps
    /// used and what they did not.
    pub clusters: Vec<crate::collect::emr_ec2::ClusterCost>,
    /// EMR Serverless runs whose event logs were read beside them: what
    /// was billed against what the executors held and used.
    pub event_logs: Vec<EventLogLine>,
    /// Chargeback, when grouped by account or tag: each group's cost where
    /// its runs ran, per month, and the saving its cheapest option gives.
    pub chargeback: Option<Chargeback>,
    /// Why EMR Serverless runs waited (collected datasets only).
    pub startup: Option<super::startup::StartupReport>,
    /// Executors' used against allocated capacity per job class, with
    /// recommendations (collected with `--metrics` only).
    pub rightsizing: Option<super::rightsize::RightSizing>,
    /// Every run's runtime and queue time, for the charts (not serialized:
    /// the JSON has the percentiles).
    #[serde(skip)]
    pub distributions: Distributions,
}

/// Cost per group (an account, a tag's value) and month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chargeback {
    pub months: Vec<String>,
    pub rows: Vec<ChargebackRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChargebackRow {
    pub key: String,
    /// What its runs cost where they ran, per month (aligned with `months`).
    pub by_month_usd: Vec<f64>,
    pub total_usd: f64,
    pub share: f64,
    pub cheapest: DeploymentOption,
    /// What moving every run to the cheapest option would save.
    pub saving_usd: f64,
}

/// One EMR Serverless run beside its event log. Both usages are priced at
/// the run's region's EMR Serverless rates, so the gap is usage alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventLogLine {
    pub region: String,
    pub application_id: String,
    pub job_run_id: String,
    pub attempt: u32,
    pub log: String,
    /// What EMR Serverless billed (GetJobRun), priced.
    pub billed_usd: f64,
    /// What the log's driver and executors come to under EMR Serverless's
    /// billing rules, priced.
    pub log_usd: f64,
    pub billed_vcpu_hours: f64,
    pub log_vcpu_hours: f64,
    pub peak_executors: u32,
    pub avg_executors: f64,
    pub executor_core_hours: f64,
    /// The share of executor capacity tasks ran in (`None`: the log has no
    /// task ends).
    pub busy_share: Option<f64>,
    /// Executor core-hours no task used.
    pub idle_core_hours: Option<f64>,
    pub incomplete: bool,
}

/// Runtimes by group and queue times of every run in the report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distributions {
    pub runtimes_s: std::collections::HashMap<String, Vec<f64>>,
    pub queued_s: Vec<f64>,
}

/// One application's idle pre-initialized capacity and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdlePreinit {
    pub region: String,
    pub application_id: String,
    pub application_name: Option<String>,
    pub architecture: String,
    pub from: String,
    pub to: String,
    pub idle_minutes: u32,
    pub vcpu_hours: f64,
    pub memory_gb_hours: f64,
    pub billable_storage_gb_hours: f64,
    /// At the EMR Serverless rates of the region and architecture; None
    /// when the price book has none.
    pub cost_usd: Option<f64>,
}

/// Cost of every option at one runtime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplePoint {
    pub runtime_s: f64,
    /// `(option, usd)` in the order of [`CrossoverReport::options`].
    pub costs_usd: Vec<(DeploymentOption, f64)>,
    pub cheapest: DeploymentOption,
}

/// The answer to `emrcost crossover`: one shape, every option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossoverReport {
    pub schema_version: u32,
    pub generated_by: String,
    pub region: String,
    pub architecture: String,
    /// The shape and how each option runs it, in words.
    pub shape: String,
    pub plans: Vec<(DeploymentOption, String)>,
    pub options: Vec<DeploymentOption>,
    pub curves: Vec<(DeploymentOption, crate::cost::BillingCurve)>,
    pub analysis: CrossoverAnalysis,
    pub samples: Vec<SamplePoint>,
    pub price_snapshot: PriceSnapshotInfo,
    pub assumptions: Vec<AssumptionLine>,
}
