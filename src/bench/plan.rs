//! The benchmark plan: a TOML file naming the job, the arms to compare and
//! how often to run each. Everything a run needs is checked here, before
//! anything is submitted, and every refusal names the plan's line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cost::{serverless, Assumptions};
use crate::model::{Architecture, WorkerSize};
use crate::pricing::PriceBook;

/// The order runs are submitted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// All repeats of one arm, then the next arm.
    #[default]
    Sequential,
    /// A B C A B C: drift in the service hits every arm alike.
    Interleaved,
}

/// A Spark process's size as Spark is told it: cores, heap, disk.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SparkSize {
    pub cores: f64,
    pub memory_gb: f64,
    #[serde(default = "default_disk")]
    pub disk_gb: f64,
}

fn default_disk() -> f64 {
    20.0
}

/// Workers started with the application and kept until it stops.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InitialCapacity {
    pub drivers: u32,
    pub executors: u32,
}

/// The job every arm runs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub entry_point: String,
    #[serde(default)]
    pub arguments: Vec<String>,
    #[serde(default)]
    pub spark_conf: BTreeMap<String, String>,
    pub release_label: String,
    pub execution_role: Option<String>,
    pub log_uri: Option<String>,
}

/// One configuration to measure.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub label: String,
    /// `emr-serverless`, `glue` or `emr-on-ec2`.
    pub service: String,
    #[serde(default = "default_arch")]
    pub architecture: String,
    /// EMR Serverless: the executor and driver sizes.
    pub executor: Option<SparkSize>,
    pub driver: Option<SparkSize>,
    /// Glue: worker type, count (the driver's included), version, class.
    pub worker_type: Option<String>,
    pub workers: Option<u32>,
    pub glue_version: Option<String>,
    /// `standard` or `flex`.
    pub execution_class: Option<String>,
    /// Glue: run this existing job instead of one created and deleted.
    pub job_name: Option<String>,
    /// `spark.executor.instances` with dynamic allocation off.
    pub executors: Option<u32>,
    /// Dynamic allocation bounds (min, max), instead of `executors`.
    pub dynamic: Option<[u32; 2]>,
    pub initial_capacity: Option<InitialCapacity>,
    /// Run on this existing application instead of one created and deleted.
    pub application_id: Option<String>,
    /// EMR on EC2: add the runs as steps to this running cluster, instead
    /// of a transient cluster per run.
    pub cluster_id: Option<String>,
    /// EMR on EC2, transient clusters: the primary node's type, the core
    /// nodes' type and count.
    pub primary_instance_type: Option<String>,
    pub core_instance_type: Option<String>,
    pub core_nodes: Option<u32>,
    /// EMR on EC2: the service role and the nodes' instance profile
    /// (default: AWS's EMR_DefaultRole and EMR_EC2_DefaultRole).
    pub service_role: Option<String>,
    pub instance_profile: Option<String>,
}

fn default_arch() -> String {
    "x86_64".into()
}

/// The plan as written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub name: String,
    pub region: String,
    #[serde(default = "one")]
    pub repeat: u32,
    #[serde(default)]
    pub order: Order,
    /// Runs in flight at once (default 1: concurrent runs contaminate each
    /// other's timings).
    #[serde(default = "one")]
    pub concurrency: u32,
    /// Each run's `executionTimeoutMinutes`; bounds the worst-case cost.
    #[serde(default = "default_timeout")]
    pub timeout_minutes: u32,
    /// Seconds between GetJobRun polls of a run in flight.
    #[serde(default = "default_poll")]
    pub poll_seconds: f64,
    /// How long to keep asking for billed usage after a run ends.
    #[serde(default = "default_billed_wait")]
    pub billed_wait_seconds: f64,
    pub job: Job,
    #[serde(rename = "arm")]
    pub arms: Vec<Arm>,
}

fn one() -> u32 {
    1
}
fn default_timeout() -> u32 {
    60
}
fn default_poll() -> f64 {
    5.0
}
fn default_billed_wait() -> f64 {
    600.0
}

/// A refused plan: the file, the line, and what to change.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PlanError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// An EMR Serverless arm, checked: its worker sizes as billed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerlessArm {
    pub driver: SparkSize,
    pub executor: SparkSize,
    pub driver_worker: serverless::ServerlessWorker,
    pub executor_worker: serverless::ServerlessWorker,
    /// The most executors a run can have.
    pub max_executors: u32,
}

/// A Glue arm, checked against the worker types and prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlueArm {
    pub worker_type: String,
    pub workers: u32,
    pub dpu_per_worker: f64,
    /// The worker type's vCPU (its Spark processes' cores).
    pub vcpu_per_worker: f64,
    pub version: crate::cost::GlueVersion,
    pub class: crate::pricing::GlueClass,
    pub dpu_hour_usd: f64,
}

/// One EC2 instance type's hourly cost in the plan's region, as EMR on
/// EC2 bills it: EC2 on-demand + EMR uplift + EMR's default EBS volume.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeHour {
    pub ec2_hour_usd: f64,
    pub emr_hour_usd: f64,
    pub ebs_gib: f64,
    pub ebs_gib_hour_usd: f64,
}

impl NodeHour {
    pub fn hour_usd(&self) -> f64 {
        self.ec2_hour_usd + self.emr_hour_usd + self.ebs_gib * self.ebs_gib_hour_usd
    }
}

/// An EMR on EC2 arm, checked: its cluster (transient or existing) and the
/// rates its instances' lifetimes are priced at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ec2Arm {
    /// An existing cluster the runs are added to as steps.
    pub cluster_id: Option<String>,
    /// Transient clusters: (primary type, core type, core nodes).
    pub transient: Option<(String, String, u32)>,
    pub service_role: String,
    pub instance_profile: String,
    /// Every instance type the book prices in the region.
    #[serde(skip)]
    pub rates: BTreeMap<String, NodeHour>,
}

/// Minutes a transient cluster may take to provision before the runner
/// gives up on it and terminates it (emrcost's bound, not an AWS figure:
/// EMR documents no limit).
pub const PROVISION_LIMIT_MINUTES: f64 = 30.0;

/// An arm, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedArm {
    pub arm: Arm,
    pub architecture: Architecture,
    pub serverless: Option<ServerlessArm>,
    pub glue: Option<GlueArm>,
    pub ec2: Option<Ec2Arm>,
    /// Hourly cost at the most capacity a run can take.
    pub max_hour_usd: f64,
    /// Hourly cost of the pre-initialized workers.
    pub initial_hour_usd: f64,
}

/// A plan that passed every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedPlan {
    pub plan: Plan,
    pub arms: Vec<CheckedArm>,
    /// The most the whole plan can cost: every run at its timeout with the
    /// most executors, plus pre-initialized capacity for the whole time
    /// and the 15 idle minutes before auto-stop.
    pub worst_case_usd: f64,
}

/// Minutes an idle application keeps its pre-initialized workers before
/// auto-stop (FACTS.md section 2, AWS).
pub const AUTO_STOP_MINUTES: f64 = 15.0;

impl CheckedPlan {
    /// Runs in submission order: (arm index, repeat index).
    pub fn schedule(&self) -> Vec<(usize, u32)> {
        let arms = self.arms.len();
        let repeat = self.plan.repeat;
        match self.plan.order {
            Order::Sequential => (0..arms)
                .flat_map(|a| (0..repeat).map(move |r| (a, r)))
                .collect(),
            Order::Interleaved => (0..repeat)
                .flat_map(|r| (0..arms).map(move |a| (a, r)))
                .collect(),
        }
    }
}

/// Reads and checks a plan against the price book; `repeat` (from
/// `--repeat`) replaces the plan's.
pub fn load(path: &Path, book: &PriceBook, repeat: Option<u32>) -> Result<CheckedPlan, PlanError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| PlanError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read the plan: {e}"),
    })?;
    check(&file, &text, book, repeat)
}

/// Parses and checks plan text (`file` names it in errors).
pub fn check(
    file: &str,
    text: &str,
    book: &PriceBook,
    repeat: Option<u32>,
) -> Result<CheckedPlan, PlanError> {
    let err = |line: usize, message: String| PlanError {
        file: file.to_string(),
        line,
        message,
    };
    let mut plan: Plan = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| {
            text.as_bytes()[..s.start.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1
        });
        err(line, e.message().to_string())
    })?;
    if let Some(r) = repeat {
        plan.repeat = r;
    }
    // The line a key's value is on, for the checks below.
    let line_of = |needle: &str| -> usize {
        text.lines()
            .position(|l| l.trim_start().starts_with(needle))
            .map_or(1, |i| i + 1)
    };
    let arm_line = |label: &str, key: &str| -> usize {
        let start = text
            .lines()
            .position(|l| {
                let l = l.trim();
                l.starts_with("label") && l.contains(&format!("\"{label}\""))
            })
            .unwrap_or(0);
        text.lines()
            .enumerate()
            .skip(start)
            .take_while(|(i, l)| *i == start || !l.trim_start().starts_with("[[arm]]"))
            .find(|(_, l)| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(start + 1, |(i, _)| i + 1)
    };

    if plan.name.trim().is_empty()
        || !plan
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(err(
            line_of("name"),
            format!(
                "name '{}' must be letters, digits, - or _ (it names the applications and tags)",
                plan.name
            ),
        ));
    }
    if !book.knows_region(&plan.region) {
        return Err(err(
            line_of("region"),
            format!(
                "region '{}' has no prices in the price book; regions with prices: {}",
                plan.region,
                book.regions().into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if plan
        .job
        .execution_role
        .as_deref()
        .is_none_or(|r| !r.starts_with("arn:"))
    {
        return Err(err(
            line_of("execution_role").max(line_of("[job]")),
            "the job names no execution_role (an IAM role ARN the runs assume): add execution_role = \"arn:aws:iam::ACCOUNT:role/NAME\" under [job]".into(),
        ));
    }
    if plan.job.entry_point.trim().is_empty() {
        return Err(err(line_of("entry_point"), "entry_point is empty".into()));
    }
    if !(1..=100).contains(&plan.concurrency) {
        return Err(err(
            line_of("concurrency"),
            format!("concurrency must be 1 to 100, not {}", plan.concurrency),
        ));
    }
    if !(1..=100).contains(&plan.repeat) {
        return Err(err(
            line_of("repeat"),
            format!("repeat (or --repeat) must be 1 to 100, not {}", plan.repeat),
        ));
    }
    // StartJobRun's executionTimeoutMinutes: at least 5 (AWS; moto agrees).
    if !(5..=10_080).contains(&plan.timeout_minutes) {
        return Err(err(
            line_of("timeout_minutes"),
            format!(
                "timeout_minutes must be 5 to 10080 (a week), not {}",
                plan.timeout_minutes
            ),
        ));
    }
    for (key, v, lo, hi) in [
        ("poll_seconds", plan.poll_seconds, 0.05, 600.0),
        (
            "billed_wait_seconds",
            plan.billed_wait_seconds,
            0.0,
            86_400.0,
        ),
    ] {
        if !(v.is_finite() && (lo..=hi).contains(&v)) {
            return Err(err(
                line_of(key),
                format!("{key} must be {lo} to {hi}, not {v}"),
            ));
        }
    }
    // The arms set sizes and executors themselves: the job may not undo
    // them (nor the worst case that bounds them).
    if let Some(k) = plan.job.spark_conf.keys().find(|k| {
        [
            "spark.executor.",
            "spark.driver.",
            "spark.dynamicAllocation.",
            "spark.emr-serverless.",
        ]
        .iter()
        .any(|p| k.starts_with(p))
    }) {
        return Err(err(
            line_of("spark_conf"),
            format!(
                "spark_conf sets {k}, which the arms set: give sizes and executors in each [[arm]]"
            ),
        ));
    }
    let mut slugs = std::collections::HashMap::new();
    for arm in &plan.arms {
        if let Some(other) = slugs.insert(super::aws::slug(&arm.label), arm.label.clone()) {
            return Err(err(
                arm_line(&arm.label, "label"),
                format!("arm labels '{other}' and '{}' name the same resources; make them differ in letters or digits", arm.label),
            ));
        }
    }
    let mut clusters = std::collections::HashMap::new();
    for arm in &plan.arms {
        if let Some(id) = &arm.cluster_id {
            if let Some(other) = clusters.insert(id.clone(), arm.label.clone()) {
                return Err(err(
                    arm_line(&arm.label, "cluster_id"),
                    format!("arms '{other}' and '{}' both run on cluster {id}: their steps would overlap and each be charged the whole cluster; use one arm", arm.label),
                ));
            }
        }
    }
    if plan.arms.is_empty() {
        return Err(err(
            1,
            "the plan has no [[arm]]: add at least one arm to measure".into(),
        ));
    }
    let a = Assumptions::default();
    let mut labels = std::collections::HashSet::new();
    let mut arms = Vec::new();
    let mut worst = 0.0;
    for arm in &plan.arms {
        let at = |key: &str| At {
            file: file.to_string(),
            line: arm_line(&arm.label, key),
        };
        if arm.label.trim().is_empty() || !labels.insert(arm.label.clone()) {
            return Err(
                at("label").says(format!("arm label '{}' is empty or used twice", arm.label))
            );
        }
        let checked = match arm.service.as_str() {
            "emr-serverless" => serverless_arm(arm, &plan, book, &a, &at)?,
            "glue" => glue_arm(arm, &plan, book, &at)?,
            "emr-on-ec2" => ec2_arm(arm, &plan, book, &a, &at)?,
            other => {
                return Err(at("service").says(format!(
                    "service '{other}': use emr-serverless, glue or emr-on-ec2"
                )))
            }
        };
        // A transient cluster bills while it provisions too, which the
        // runner bounds.
        let provision_hours = if checked.ec2.as_ref().is_some_and(|e| e.transient.is_some()) {
            PROVISION_LIMIT_MINUTES / 60.0
        } else {
            0.0
        };
        let run_hours = f64::from(plan.timeout_minutes) / 60.0 + provision_hours;
        let minimum_hours = checked
            .glue
            .as_ref()
            .map_or(0.0, |g| g.version.minimum_seconds() / 3600.0);
        let repeats = f64::from(plan.repeat);
        worst += repeats * checked.max_hour_usd * run_hours.max(minimum_hours)
            + checked.initial_hour_usd * (repeats * run_hours + AUTO_STOP_MINUTES / 60.0);
        arms.push(checked);
    }
    Ok(CheckedPlan {
        plan,
        arms,
        worst_case_usd: worst,
    })
}

/// Where a refusal points: the plan's file and line.
pub struct At {
    file: String,
    line: usize,
}

impl At {
    fn says(self, message: String) -> PlanError {
        PlanError {
            file: self.file,
            line: self.line,
            message,
        }
    }
}

/// Settings that belong to another kind of arm are refused by name. Each
/// service-specific key is listed once, with the services it applies to.
fn refuse_foreign(at: &dyn Fn(&str) -> At, arm: &Arm) -> Result<(), PlanError> {
    const SERVERLESS: &str = "emr-serverless";
    const GLUE: &str = "glue";
    const EC2: &str = "emr-on-ec2";
    let keys: [(&str, bool, &[&str]); 17] = [
        ("worker_type", arm.worker_type.is_some(), &[GLUE]),
        ("workers", arm.workers.is_some(), &[GLUE]),
        ("glue_version", arm.glue_version.is_some(), &[GLUE]),
        ("execution_class", arm.execution_class.is_some(), &[GLUE]),
        ("job_name", arm.job_name.is_some(), &[GLUE]),
        ("executor", arm.executor.is_some(), &[SERVERLESS, EC2]),
        ("driver", arm.driver.is_some(), &[SERVERLESS, EC2]),
        ("executors", arm.executors.is_some(), &[SERVERLESS, EC2]),
        ("dynamic", arm.dynamic.is_some(), &[SERVERLESS, EC2]),
        (
            "initial_capacity",
            arm.initial_capacity.is_some(),
            &[SERVERLESS],
        ),
        (
            "application_id",
            arm.application_id.is_some(),
            &[SERVERLESS],
        ),
        ("cluster_id", arm.cluster_id.is_some(), &[EC2]),
        (
            "primary_instance_type",
            arm.primary_instance_type.is_some(),
            &[EC2],
        ),
        (
            "core_instance_type",
            arm.core_instance_type.is_some(),
            &[EC2],
        ),
        ("core_nodes", arm.core_nodes.is_some(), &[EC2]),
        ("service_role", arm.service_role.is_some(), &[EC2]),
        ("instance_profile", arm.instance_profile.is_some(), &[EC2]),
    ];
    let kind = arm.service.as_str();
    match keys
        .iter()
        .find(|(_, set, owners)| *set && !owners.contains(&kind))
    {
        Some((key, _, _)) => {
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            Err(at(key).says(format!("{key} does not apply to {article} {kind} arm")))
        }
        None => Ok(()),
    }
}

fn serverless_arm(
    arm: &Arm,
    plan: &Plan,
    book: &PriceBook,
    a: &Assumptions,
    at: &dyn Fn(&str) -> At,
) -> Result<CheckedArm, PlanError> {
    refuse_foreign(at, arm)?;
    let architecture: Architecture = arm
        .architecture
        .parse()
        .map_err(|e: String| at("architecture").says(e))?;
    let rate = book
        .serverless_rate(&plan.region, architecture)
        .map_err(|e| at("architecture").says(e.to_string()))?;
    let (Some(executor), Some(driver)) = (arm.executor, arm.driver) else {
        return Err(at("service").says(
            "an emr-serverless arm needs executor = { cores, memory_gb } and driver = { cores, memory_gb }".into(),
        ));
    };
    let worker = |s: &SparkSize, key: &str| -> Result<serverless::ServerlessWorker, PlanError> {
        let req = WorkerSize {
            vcpu: s.cores,
            memory_gb: a.with_overhead_gb(s.memory_gb),
            disk_gb: s.disk_gb,
        };
        let w = serverless::round_worker(&req).map_err(|e| at(key).says(e.to_string()))?;
        // A bench measures what it asks for: sizes EMR Serverless would
        // round are refused, so the arm runs exactly as written.
        if f64::from(w.vcpu) != s.cores {
            return Err(at(key).says(format!(
                "{key}: {} cores is not an EMR Serverless worker size (1, 2, 4, 8 or 16 vCPU)",
                s.cores
            )));
        }
        Ok(w)
    };
    let driver_worker = worker(&driver, "driver")?;
    let executor_worker = worker(&executor, "executor")?;
    let max_executors = match (arm.executors, arm.dynamic) {
        (Some(n), None) => n,
        (None, Some([lo, hi])) if lo <= hi => hi,
        (None, Some([lo, hi])) => {
            return Err(at("dynamic").says(format!(
                "dynamic = [{lo}, {hi}]: the minimum is above the maximum"
            )))
        }
        _ => {
            return Err(at("executors").says(
                "give either executors = N (a fixed count) or dynamic = [MIN, MAX], not both or neither".into(),
            ))
        }
    };
    if !(1..=crate::model::limits::MAX_EXECUTORS as u32).contains(&max_executors) {
        return Err(
            at("executors").says(format!("{max_executors} executors is outside 1 to 100000"))
        );
    }
    if arm.application_id.is_some() && arm.initial_capacity.is_some() {
        return Err(at("initial_capacity").says(
            "initial_capacity applies to an application the runner creates; an existing application_id keeps its own".into(),
        ));
    }
    let hour = |w: &serverless::ServerlessWorker| serverless::worker_hour_usd(w, rate);
    let max_hour_usd = hour(&driver_worker) + f64::from(max_executors) * hour(&executor_worker);
    let initial_hour_usd = arm.initial_capacity.map_or(0.0, |c| {
        f64::from(c.drivers) * hour(&driver_worker)
            + f64::from(c.executors) * hour(&executor_worker)
    });
    Ok(CheckedArm {
        arm: arm.clone(),
        architecture,
        serverless: Some(ServerlessArm {
            driver,
            executor,
            driver_worker,
            executor_worker,
            max_executors,
        }),
        glue: None,
        ec2: None,
        max_hour_usd,
        initial_hour_usd,
    })
}

fn glue_arm(
    arm: &Arm,
    plan: &Plan,
    book: &PriceBook,
    at: &dyn Fn(&str) -> At,
) -> Result<CheckedArm, PlanError> {
    refuse_foreign(at, arm)?;
    let worker_type = arm.worker_type.clone().ok_or_else(|| {
        at("service").says("a glue arm needs worker_type (e.g. \"G.1X\") and workers".into())
    })?;
    let batch: Vec<&str> = book
        .glue_workers
        .iter()
        .filter(|w| w.batch)
        .map(|w| w.name.as_str())
        .collect();
    let worker = book
        .glue_workers
        .iter()
        .find(|w| w.name == worker_type && w.batch)
        .ok_or_else(|| {
            at("worker_type").says(format!(
                "worker_type '{worker_type}' is not a Glue batch worker type in the price book ({})",
                batch.join(", ")
            ))
        })?;
    let workers = arm.workers.ok_or_else(|| {
        at("service").says("a glue arm needs workers = N (the driver's worker included)".into())
    })?;
    if !(2..=10_000).contains(&workers) {
        return Err(at("workers").says(format!(
            "workers must be 2 to 10000 (Glue counts the driver's worker), not {workers}"
        )));
    }
    let version: crate::cost::GlueVersion = arm
        .glue_version
        .as_deref()
        .unwrap_or("4.0")
        .parse()
        .map_err(|e: String| at("glue_version").says(e))?;
    let class = match arm.execution_class.as_deref().unwrap_or("standard") {
        "standard" => crate::pricing::GlueClass::Standard,
        "flex" if version.has_flex() => crate::pricing::GlueClass::Flex,
        "flex" => {
            return Err(
                at("execution_class").says(format!("Flex needs Glue 3.0 or later, not {version}"))
            )
        }
        other => {
            return Err(at("execution_class")
                .says(format!("execution_class '{other}': use standard or flex")))
        }
    };
    if arm.architecture != "x86_64" {
        return Err(at("architecture").says("Glue runs on x86_64 only".into()));
    }
    let mut args = plan.job.arguments.iter().peekable();
    while let Some(key) = args.next() {
        if !key.starts_with("--") {
            return Err(at("service").says(format!(
                "a Glue job takes --key value arguments; the job's argument '{key}' has no --key"
            )));
        }
        args.next_if(|v| !v.starts_with("--"));
    }
    let dpu_hour_usd = book
        .glue_rate(&plan.region, class)
        .map_err(|e| at("execution_class").says(e.to_string()))?
        .dpu_hour_usd;
    Ok(CheckedArm {
        arm: arm.clone(),
        architecture: Architecture::X86_64,
        serverless: None,
        glue: Some(GlueArm {
            worker_type,
            workers,
            dpu_per_worker: worker.dpu,
            vcpu_per_worker: worker.vcpu,
            version,
            class,
            dpu_hour_usd,
        }),
        ec2: None,
        max_hour_usd: f64::from(workers) * worker.dpu * dpu_hour_usd,
        initial_hour_usd: 0.0,
    })
}

fn ec2_arm(
    arm: &Arm,
    plan: &Plan,
    book: &PriceBook,
    a: &Assumptions,
    at: &dyn Fn(&str) -> At,
) -> Result<CheckedArm, PlanError> {
    refuse_foreign(at, arm)?;
    if arm.executors.is_some() && arm.dynamic.is_some() {
        return Err(at("executors").says(
            "give either executors = N (a fixed count) or dynamic = [MIN, MAX], not both".into(),
        ));
    }
    if let Some([lo, hi]) = arm.dynamic {
        if lo > hi {
            return Err(at("dynamic").says(format!(
                "dynamic = [{lo}, {hi}]: the minimum is above the maximum"
            )));
        }
    }
    if !plan.job.release_label.starts_with("emr-") {
        return Err(at("service").says(format!(
            "release_label '{}' is not an EMR release (emr-7.5.0, say), which an emr-on-ec2 arm needs",
            plan.job.release_label
        )));
    }
    let ebs = book
        .ebs_rate(&plan.region, &a.ec2_ebs_volume_type)
        .map_err(|e| at("service").says(e.to_string()))?;
    let ebs_gib_hour_usd = ebs.gb_month_usd / a.hours_per_month;
    let mut rates = BTreeMap::new();
    for r in book.ec2_rates_in(&plan.region) {
        if let Ok(it) = book.instance_type(&r.instance_type) {
            rates.insert(
                r.instance_type.clone(),
                NodeHour {
                    ec2_hour_usd: r.ec2_hour_usd,
                    emr_hour_usd: r.emr_hour_usd,
                    ebs_gib: it.ebs_default_gib,
                    ebs_gib_hour_usd,
                },
            );
        }
    }
    let node = |key: &str, name: &str| -> Result<(Architecture, f64), PlanError> {
        let it = book
            .instance_type(name)
            .map_err(|_| at(key).says(format!("{key} '{name}' is not in the price book")))?;
        let hour = rates.get(name).map(NodeHour::hour_usd).ok_or_else(|| {
            at(key).says(format!("{key} '{name}' has no price in {}", plan.region))
        })?;
        Ok((it.architecture, hour))
    };
    let transient = (
        &arm.primary_instance_type,
        &arm.core_instance_type,
        arm.core_nodes,
    );
    let (transient, architecture, max_hour_usd) = match (&arm.cluster_id, transient) {
        (Some(id), (None, None, None)) => {
            if !id.starts_with("j-") {
                return Err(at("cluster_id").says(format!(
                    "cluster_id '{id}' is not an EMR cluster id (j-...)"
                )));
            }
            // The cluster bills whether or not the benchmark runs: what a
            // step costs is its share, measured; it adds nothing new.
            let arch = arm
                .architecture
                .parse()
                .map_err(|e: String| at("architecture").says(e))?;
            (None, arch, 0.0)
        }
        (Some(_), _) => {
            return Err(at("cluster_id").says(
                "an existing cluster_id keeps its own instances: drop primary_instance_type, core_instance_type and core_nodes".into(),
            ))
        }
        (None, (Some(primary), Some(core), Some(n))) => {
            let (pa, ph) = node("primary_instance_type", primary)?;
            let (ca, ch) = node("core_instance_type", core)?;
            if pa != ca {
                return Err(at("core_instance_type").says(format!(
                    "the primary node ({primary}, {pa}) and the core nodes ({core}, {ca}) must be of one architecture"
                )));
            }
            if !(1..=500).contains(&n) {
                return Err(at("core_nodes").says(format!("core_nodes must be 1 to 500, not {n}")));
            }
            if arm.architecture != default_arch() && arm.architecture.parse::<Architecture>() != Ok(ca) {
                return Err(at("architecture").says(format!(
                    "architecture '{}' does not match the instance types ({core} is {ca})",
                    arm.architecture
                )));
            }
            (
                Some((primary.clone(), core.clone(), n)),
                ca,
                ph + f64::from(n) * ch,
            )
        }
        (None, _) => {
            return Err(at("service").says(
                "an emr-on-ec2 arm needs cluster_id = \"j-...\" (an existing cluster) or primary_instance_type, core_instance_type and core_nodes (a cluster per run)".into(),
            ))
        }
    };
    Ok(CheckedArm {
        arm: arm.clone(),
        architecture,
        serverless: None,
        glue: None,
        ec2: Some(Ec2Arm {
            cluster_id: arm.cluster_id.clone(),
            transient,
            service_role: arm
                .service_role
                .clone()
                .unwrap_or_else(|| "EMR_DefaultRole".into()),
            instance_profile: arm
                .instance_profile
                .clone()
                .unwrap_or_else(|| "EMR_EC2_DefaultRole".into()),
            rates,
        }),
        max_hour_usd,
        initial_hour_usd: 0.0,
    })
}

/// The Spark settings a run gets: the arm's sizes and executor count
/// (EMR Serverless also its disks), then the job's own.
pub fn spark_conf(plan: &Plan, arm: &Arm, serverless: bool) -> Vec<(String, String)> {
    let mut conf: Vec<(String, String)> = Vec::new();
    for (who, size) in [("driver", arm.driver), ("executor", arm.executor)] {
        let Some(size) = size else { continue };
        conf.push((format!("spark.{who}.cores"), num(size.cores)));
        conf.push((
            format!("spark.{who}.memory"),
            format!("{}g", num(size.memory_gb)),
        ));
    }
    if serverless {
        for (who, size) in [("driver", arm.driver), ("executor", arm.executor)] {
            if let Some(size) = size {
                conf.push((
                    format!("spark.emr-serverless.{who}.disk"),
                    format!("{}g", num(size.disk_gb)),
                ));
            }
        }
    }
    match (arm.executors, arm.dynamic) {
        (Some(n), _) => {
            conf.push(("spark.dynamicAllocation.enabled".into(), "false".into()));
            conf.push(("spark.executor.instances".into(), n.to_string()));
        }
        (None, Some([lo, hi])) => {
            conf.push(("spark.dynamicAllocation.enabled".into(), "true".into()));
            conf.push((
                "spark.dynamicAllocation.minExecutors".into(),
                lo.to_string(),
            ));
            conf.push((
                "spark.dynamicAllocation.maxExecutors".into(),
                hi.to_string(),
            ));
        }
        (None, None) => {}
    }
    conf.extend(
        plan.job
            .spark_conf
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    conf
}

/// `--conf k=v` for an EMR Serverless run.
pub fn spark_submit_parameters(plan: &Plan, arm: &Arm, _s: &ServerlessArm) -> String {
    spark_conf(plan, arm, true)
        .iter()
        .map(|(k, v)| format!("--conf {k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The EMR on EC2 step's command (command-runner.jar): spark-submit in
/// client mode, so the driver runs on the primary node as emrcost's EMR on
/// EC2 model assumes, with the arm's settings and the job's arguments.
pub fn step_args(plan: &Plan, arm: &Arm) -> Vec<String> {
    let mut args = vec![
        "spark-submit".to_string(),
        "--deploy-mode".into(),
        "client".into(),
    ];
    for (k, v) in spark_conf(plan, arm, false) {
        args.push("--conf".into());
        args.push(format!("{k}={v}"));
    }
    args.push(plan.job.entry_point.clone());
    args.extend(plan.job.arguments.iter().cloned());
    args
}

fn num(v: f64) -> String {
    crate::cost::fmt_num(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(arms: &str) -> String {
        format!(
            r#"name = "t"
region = "us-east-1"
repeat = 3
timeout_minutes = 30

[job]
entry_point = "s3://b/job.py"
release_label = "emr-7.5.0"
execution_role = "arn:aws:iam::123456789012:role/r"
{arms}"#
        )
    }

    const ARM: &str = r#"
[[arm]]
label = "x86"
service = "emr-serverless"
executor = { cores = 4, memory_gb = 14 }
driver = { cores = 4, memory_gb = 14 }
executors = 10
"#;

    #[test]
    fn worst_case_is_every_run_at_its_timeout() {
        let book = PriceBook::embedded().unwrap();
        let p = check("p.toml", &plan(ARM), &book, None).unwrap();
        // 11 workers of 4 vCPU / 16 GB (14 GB + 1.4 GB overhead, rounded up)
        // at $0.302952/h, 3 runs of 30 minutes.
        let want = 3.0 * 11.0 * 0.302952 * 0.5;
        assert!(
            (p.worst_case_usd - want).abs() < 1e-9,
            "{}",
            p.worst_case_usd
        );
        assert_eq!(p.schedule(), vec![(0, 0), (0, 1), (0, 2)]);
    }

    #[test]
    fn refusals_name_the_line() {
        let book = PriceBook::embedded().unwrap();
        let no_role = plan(ARM).replace(
            "execution_role = \"arn:aws:iam::123456789012:role/r\"\n",
            "",
        );
        let e = check("p.toml", &no_role, &book, None).unwrap_err();
        assert!(e.to_string().contains("names no execution_role"), "{e}");
        let bad_size = plan(&ARM.replace("executor = { cores = 4", "executor = { cores = 3"));
        let e = check("p.toml", &bad_size, &book, None).unwrap_err();
        assert_eq!(e.line, 14, "{e}");
        assert!(
            e.to_string()
                .contains("3 cores is not an EMR Serverless worker size"),
            "{e}"
        );
        let region = plan(ARM).replace("us-east-1", "mars-1");
        let e = check("p.toml", &region, &book, None).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let typo = plan(&ARM.replace("executors = 10", "executor_count = 10"));
        let e = check("p.toml", &typo, &book, None).unwrap_err();
        assert!(e.to_string().contains("executor_count"), "{e}");
        assert_eq!(e.line, 16, "{e}");
    }

    #[test]
    fn arms_cannot_be_undone_or_confused() {
        let book = PriceBook::embedded().unwrap();
        let conf = plan(ARM).replace(
            "[job]\n",
            "[job]\nspark_conf = { \"spark.dynamicAllocation.maxExecutors\" = \"500\" }\n",
        );
        let e = check("p.toml", &conf, &book, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("spark_conf sets spark.dynamicAllocation.maxExecutors"),
            "{e}"
        );
        let twins = plan(&format!(
            "{}{}",
            ARM.replace("\"x86\"", "\"x 86\""),
            ARM.replace("\"x86\"", "\"x-86\"")
        ));
        let e = check("p.toml", &twins, &book, None).unwrap_err();
        assert!(e.to_string().contains("name the same resources"), "{e}");
        let glue = plan(
            "\n[[arm]]\nlabel = \"g\"\nservice = \"glue\"\nworker_type = \"G.1X\"\nworkers = 3\n",
        )
        .replace(
            "[job]\n",
            "[job]\narguments = [\"--date\", \"2026-11-01\", \"extra\"]\n",
        );
        let e = check("p.toml", &glue, &book, None).unwrap_err();
        assert!(
            e.to_string().contains("argument 'extra' has no --key"),
            "{e}"
        );
    }

    const EC2: &str = r#"
[[arm]]
label = "ec2"
service = "emr-on-ec2"
primary_instance_type = "m5.xlarge"
core_instance_type = "r5.2xlarge"
core_nodes = 3
executor = { cores = 4, memory_gb = 20 }
executors = 6
"#;

    #[test]
    fn an_emr_on_ec2_arm_is_priced_from_its_instances_and_bounded_by_provisioning() {
        let book = PriceBook::embedded().unwrap();
        let p = check("p.toml", &plan(EC2), &book, None).unwrap();
        let e = p.arms[0].ec2.as_ref().unwrap();
        assert_eq!(
            e.transient,
            Some(("m5.xlarge".into(), "r5.2xlarge".into(), 3))
        );
        assert_eq!(e.service_role, "EMR_DefaultRole");
        // 3 runs, each up to its 30-minute timeout plus 30 minutes of
        // provisioning, of the primary and three core nodes.
        let hour = e.rates["m5.xlarge"].hour_usd() + 3.0 * e.rates["r5.2xlarge"].hour_usd();
        assert!((p.worst_case_usd - 3.0 * hour * 1.0).abs() < 1e-9);
        // r5.2xlarge: $0.504 EC2 + $0.126 EMR (pricing/ec2_prices.csv).
        assert_eq!(e.rates["r5.2xlarge"].ec2_hour_usd, 0.504);
        assert_eq!(e.rates["r5.2xlarge"].emr_hour_usd, 0.126);
        let args = step_args(&p.plan, &p.arms[0].arm).join(" ");
        assert_eq!(
            args,
            "spark-submit --deploy-mode client --conf spark.executor.cores=4 --conf spark.executor.memory=20g --conf spark.dynamicAllocation.enabled=false --conf spark.executor.instances=6 s3://b/job.py"
        );
    }

    #[test]
    fn emr_on_ec2_refusals_name_the_line() {
        let book = PriceBook::embedded().unwrap();
        let cases = [
            (
                EC2.replace("\"r5.2xlarge\"", "\"r5.huge\""),
                15,
                "core_instance_type 'r5.huge' is not in the price book",
            ),
            (
                EC2.replace("\"r5.2xlarge\"", "\"r7g.2xlarge\""),
                15,
                "must be of one architecture",
            ),
            (EC2.replace("core_nodes = 3\n", ""), 13, "needs cluster_id"),
            (
                EC2.replace("core_nodes = 3\n", "core_nodes = 3\ncluster_id = \"j-1\"\n"),
                17,
                "an existing cluster_id keeps its own instances",
            ),
            (
                EC2.replace("executors = 6\n", "executors = 6\nworkers = 2\n"),
                19,
                "workers does not apply to an emr-on-ec2 arm",
            ),
        ];
        for (arm, line, says) in cases {
            let e = check("p.toml", &plan(&arm), &book, None).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
            assert_eq!(e.line, line, "{e}");
        }
        let existing =
            "\n[[arm]]\nlabel = \"shared\"\nservice = \"emr-on-ec2\"\ncluster_id = \"abc\"\n";
        let e = check("p.toml", &plan(existing), &book, None).unwrap_err();
        assert!(e.to_string().contains("not an EMR cluster id"), "{e}");
        let many = plan(EC2).replace("repeat = 3\n", "repeat = 3\nconcurrency = 0\n");
        let e = check("p.toml", &many, &book, None).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }
}
