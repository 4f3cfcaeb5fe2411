//! Raw command-line arguments, as clap parses them. [`super::settings`]
//! turns them into the library's types; nothing else reads these.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "emrcost",
    version,
    about = "What your Spark jobs cost on EMR Serverless, EMR on EC2 and AWS Glue, and where the crossover lies",
    after_help = "Exit codes: 0 success, 1 error, 2 usage error, 3 some records not priced (with --strict)."
)]
pub struct Args {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(ClapArgs, Debug)]
pub struct GlobalArgs {
    /// Price book folder to use instead of the one built in (same layout as pricing/).
    #[arg(long, global = true, value_name = "DIR", env = "EMRCOST_PRICING")]
    pub pricing: Option<PathBuf>,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More detail on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Price job runs on every option and write the report: HTML with charts,
    /// Markdown, CSV, JSON, and the charts as SVG or PNG.
    Report(ReportArgs),
    /// Price job runs and print one row per run.
    Price(PriceArgs),
    /// Find the runtimes at which the cheapest option changes for one job shape.
    Crossover(CrossoverArgs),
    /// Inspect the price book.
    Pricing {
        #[command(subcommand)]
        command: PricingCommand,
    },
    /// Collect job runs (and optionally CloudWatch metrics) from EMR Serverless
    /// into a local dataset; `collect glue` and `collect emr` add Glue job
    /// runs and EMR on EC2 clusters. Read-only; resumable; paced.
    Collect(CollectArgs),
    /// Write a deterministic synthetic job-run history (emrcost CSV format).
    Synth(SynthArgs),
    /// Import job records from other sources into a dataset folder.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Run one Spark job in several configurations on EMR Serverless and
    /// measure startup, runtime and billed cost side by side. Prints the
    /// plan and its worst-case cost unless --yes is given.
    Bench(BenchArgs),
    /// Set EMR Serverless line items of a Cost and Usage Report 2.0 export
    /// beside what emrcost computed from the collected runs, and explain
    /// the gap.
    Reconcile(ReconcileArgs),
}

#[derive(ClapArgs, Debug)]
pub struct ReconcileArgs {
    /// CUR 2.0 / Data Exports files (Parquet, or CSV gzipped or not).
    #[arg(value_name = "CUR_FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The dataset `emrcost collect` filled for the same period.
    #[arg(long, value_name = "DIR", default_value = "dataset")]
    pub dataset: PathBuf,
    /// Also write the per-application table here as CSV (atomically).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// The plan (TOML; see examples/bench-plan.toml).
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Results folder (resumed if it holds an earlier, unfinished run of the plan) [default: bench/PLAN-NAME].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print every call and the worst-case cost; submit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Submit the runs (without it, bench only prints the dry run).
    #[arg(long)]
    pub yes: bool,
    /// Stop submitting once the measured spend reaches this many dollars
    /// (runs already in flight finish: with `concurrency = N` the spend can
    /// pass it by up to N runs).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Repeats per arm, instead of the plan's.
    #[arg(long, value_name = "N")]
    pub repeat: Option<u32>,
    /// Named profile from the AWS config and credentials files.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Endpoint to call instead of AWS's (AWS_ENDPOINT_URL is also honoured).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Exit 0 when the candidate is no worse than the baseline in cost per
    /// successful run and median latency (arms matched by label), 4 if it is.
    Compare {
        /// bench.json (or its folder) of the baseline.
        baseline: PathBuf,
        /// bench.json (or its folder) of the candidate.
        candidate: PathBuf,
        /// How much worse counts as worse, e.g. 10% or 0.1.
        #[arg(long, default_value = "10%")]
        threshold: String,
    },
}

#[derive(ClapArgs, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CollectArgs {
    #[command(subcommand)]
    pub service: Option<CollectService>,
    /// Region to collect from (repeatable). Default: the region of the AWS
    /// configuration (AWS_REGION, the profile).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Named profile from the AWS config and credentials files
    /// (repeatable: several accounts into one dataset, each run recorded
    /// with its account).
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Endpoint to call instead of AWS's (AWS_ENDPOINT_URL is also honoured).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Only this application (repeatable). Default: every application.
    #[arg(long = "application-id", value_name = "ID")]
    pub application_ids: Vec<String>,
    /// Runs created at or after this: 30d (days ago), 2026-09-01 or an RFC 3339 time.
    #[arg(long, value_name = "30d|DATE", default_value = "30d")]
    pub since: String,
    /// Runs created before this.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only runs in these states (comma-separated, e.g. SUCCESS,FAILED).
    #[arg(long, value_name = "STATE,...", value_delimiter = ',')]
    pub states: Vec<String>,
    /// Dataset folder (created if missing; collecting again adds to it).
    #[arg(long, value_name = "DIR", default_value = "dataset")]
    pub out: PathBuf,
    /// Also pull CloudWatch metrics: peak executors per job and idle
    /// pre-initialized capacity per application.
    #[arg(long)]
    pub metrics: bool,
    /// Also write the runs as jobruns.csv beside jobruns.parquet.
    #[arg(long)]
    pub csv: bool,
    /// GetJobRun/GetApplication/ListApplications pace: calls per second[/burst].
    #[arg(long, value_name = "RATE[/BURST]", default_value = "10/50")]
    pub get_rate: String,
    /// ListJobRuns pace: calls per second[/burst].
    #[arg(long, value_name = "RATE[/BURST]", default_value = "1/25")]
    pub list_rate: String,
    /// CloudWatch ListMetrics/GetMetricData pace.
    #[arg(long, value_name = "RATE[/BURST]", default_value = "10/20")]
    pub metrics_rate: String,
    /// GetJobRun calls in flight at once (all within --get-rate).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// How many more times a finished run whose billed usage has not arrived
    /// yet is fetched on later collections.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub late_billed_retries: u32,
    /// Give up on one HTTP attempt after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub attempt_timeout: u64,
}

#[derive(Subcommand, Debug)]
pub enum CollectService {
    /// Glue Spark job runs (GetJobs, GetJobRuns) into the same dataset:
    /// their Glue cost is what Glue billed, EMR Serverless and EMR on EC2
    /// are estimated from their workers. Glue keeps 90 days of runs.
    Glue(CollectGlueArgs),
    /// EMR on EC2 clusters and their steps (ListClusters, DescribeCluster,
    /// ListInstances, ListSteps) into the same dataset: each step priced at
    /// its share of its cluster, each cluster's idle time and cost.
    /// ListInstances covers instances ended in the last 30 days.
    Emr(CollectEmrArgs),
}

#[derive(ClapArgs, Debug)]
pub struct CollectEmrArgs {
    /// Region to collect from (repeatable). Default: the region of the AWS
    /// configuration (AWS_REGION, the profile).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Named profile from the AWS config and credentials files
    /// (repeatable: several accounts into one dataset, each run recorded
    /// with its account).
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Endpoint to call instead of AWS's (AWS_ENDPOINT_URL is also honoured).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Only clusters in these states (comma-separated, e.g.
    /// TERMINATED,WAITING). Default: every state.
    #[arg(long, value_name = "STATE,...", value_delimiter = ',')]
    pub cluster_states: Vec<String>,
    /// Clusters created at or after this: 30d (days ago), 2026-09-01 or an RFC 3339 time.
    #[arg(long, value_name = "30d|DATE", default_value = "30d")]
    pub since: String,
    /// Clusters created before this.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Dataset folder (created if missing; collecting again adds to it).
    #[arg(long, value_name = "DIR", default_value = "dataset")]
    pub out: PathBuf,
    /// Also write the runs as jobruns.csv beside jobruns.parquet.
    #[arg(long)]
    pub csv: bool,
    /// Spot prices: the JSON `aws ec2 describe-spot-price-history` prints,
    /// for the instance types and zones of the Spot instances.
    #[arg(long, value_name = "FILE")]
    pub spot_history: Option<PathBuf>,
    /// Spot at this fraction off the EC2 on-demand price (e.g. 0.6) where
    /// the history does not say. Without either, Spot is priced at
    /// on-demand (an upper bound).
    #[arg(long, value_name = "FRACTION")]
    pub spot_discount: Option<f64>,
    /// EMR call pace: calls per second[/burst]. EMR's Describe and List
    /// rates are unpublished (FACTS.md section 13).
    #[arg(long, value_name = "RATE[/BURST]", default_value = "5/10")]
    pub rate: String,
    /// Give up on one HTTP attempt after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub attempt_timeout: u64,
}

#[derive(ClapArgs, Debug)]
pub struct CollectGlueArgs {
    /// Region to collect from (repeatable). Default: the region of the AWS
    /// configuration (AWS_REGION, the profile).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Named profile from the AWS config and credentials files
    /// (repeatable: several accounts into one dataset, each run recorded
    /// with its account).
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Endpoint to call instead of AWS's (AWS_ENDPOINT_URL is also honoured).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Only this job (repeatable). Default: every Spark (glueetl) job.
    #[arg(long = "job", value_name = "NAME")]
    pub jobs: Vec<String>,
    /// Runs started at or after this: 30d (days ago), 2026-09-01 or an RFC 3339 time.
    #[arg(long, value_name = "30d|DATE", default_value = "30d")]
    pub since: String,
    /// Runs started before this.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Dataset folder (created if missing; collecting again adds to it).
    #[arg(long, value_name = "DIR", default_value = "dataset")]
    pub out: PathBuf,
    /// Also write the runs as jobruns.csv beside jobruns.parquet.
    #[arg(long)]
    pub csv: bool,
    /// GetJobs/GetJobRuns pace: calls per second[/burst]. Glue publishes no
    /// per-call rates; throttled calls are retried with backoff.
    #[arg(long, value_name = "RATE[/BURST]", default_value = "10/20")]
    pub rate: String,
    /// Jobs paged at once (all within --rate).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Give up on one HTTP attempt after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub attempt_timeout: u64,
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Estimate what Spark applications would cost, from their event logs.
    Eventlog(ImportEventlogArgs),
}

#[derive(ClapArgs, Debug)]
pub struct ImportEventlogArgs {
    /// Event-log files, folders (searched, rolled eventlog_v2_* folders
    /// included), glob patterns or s3://bucket/prefix (listed and read
    /// from S3: an EMR Serverless log URI, an EMR cluster's log folder, a
    /// history-server folder); plain or .gz, .zstd, .lz4, .snappy.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,
    /// Dataset folder to add the job records to (eventlog-jobruns.csv) and
    /// write the per-application details in (details/eventlog-apps.csv).
    #[arg(long, value_name = "DIR", default_value = "dataset")]
    pub out: PathBuf,
    /// Skip applications whose log has no ApplicationEnd instead of pricing
    /// them up to their last event.
    #[arg(long)]
    pub complete_only: bool,
    /// Region to price the applications in (an EMR Serverless run found in
    /// the dataset is priced in its own).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    /// EMR Serverless architecture to price them on.
    #[arg(long, value_name = "ARCH", default_value = "x86_64")]
    pub arch: String,
    /// For s3:// paths: a named profile from the AWS config and
    /// credentials files.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// For s3:// paths: an endpoint to call instead of AWS's (an S3-compatible
    /// store; AWS_ENDPOINT_URL is also honoured). Buckets are then
    /// addressed as paths.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Subcommand, Debug)]
pub enum PricingCommand {
    /// List the prices in use, each with its source, confidence and effective date.
    Show(PricingShowArgs),
    /// Build a new snapshot from AWS Price List offer files.
    Update(PricingUpdateArgs),
    /// List the prices added, removed and changed between two snapshots.
    Diff(PricingDiffArgs),
}

#[derive(ClapArgs, Debug)]
pub struct PricingUpdateArgs {
    /// A folder laid out like the Price List (offers/v1.0/aws/index.json, ...),
    /// a base URL, or `public` for https://pricing.us-east-1.amazonaws.com.
    #[arg(long, value_name = "SOURCE")]
    pub from: String,
    /// Regions to refresh.
    #[arg(
        long,
        value_name = "REGION,...",
        value_delimiter = ',',
        default_value = "us-east-1,us-west-2,eu-west-1"
    )]
    pub regions: Vec<String>,
    /// Folder to write the snapshot to (files are replaced atomically).
    #[arg(long, value_name = "DIR", default_value = "pricing")]
    pub out: PathBuf,
    /// Snapshot to start from [default: the one in --out, else the built-in one].
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
pub struct PricingDiffArgs {
    /// Old snapshot folder, or `builtin`.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// New snapshot folder, or `builtin`.
    #[arg(value_name = "NEW")]
    pub new: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(ClapArgs, Debug)]
pub struct PricingShowArgs {
    /// Only this region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

/// How to read records that do not say everything.
#[derive(ClapArgs, Debug, Clone)]
pub struct InputArgs {
    /// Region for records without one (no arn, empty CSV cell).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Architecture for records that do not say (GetJobRun output never does).
    #[arg(long, value_name = "ARCH", default_value = "x86_64")]
    pub arch: String,
}

/// Which runs to include, by start time (else creation time).
#[derive(ClapArgs, Debug, Clone)]
pub struct WindowArgs {
    /// Only runs that started at or after this: 30d (days ago), 2026-09-01 or an RFC 3339 time.
    #[arg(long, value_name = "30d|DATE")]
    pub since: Option<String>,
    /// Only runs that started before this: 7d, 2026-10-01 or an RFC 3339 time.
    #[arg(long, value_name = "30d|DATE")]
    pub until: Option<String>,
}

/// The modelling assumptions; every one is printed in every output.
#[derive(ClapArgs, Debug, Clone)]
pub struct ModelArgs {
    /// EMR on EC2 core-node type: auto (cheapest that fits) or a type such as m5.2xlarge.
    #[arg(long, value_name = "auto|TYPE", default_value = "auto")]
    pub instance_type: String,
    /// EMR on EC2 primary-node type: auto (the smallest of the core nodes' family that holds the driver) or a type.
    #[arg(long, value_name = "auto|TYPE", default_value = "auto")]
    pub primary_instance_type: String,
    /// Which instance architectures EMR on EC2 may use: same (x86 on x86, arm64 on Graviton) or any.
    #[arg(long, value_name = "same|any", default_value = "same")]
    pub ec2_arch: String,
    /// EMR on EC2 sizing: peak (a fixed cluster for the peak executors) or managed-scaling.
    #[arg(long, value_name = "peak|managed-scaling", default_value = "peak")]
    pub ec2_sizing: String,
    /// Under managed scaling, seconds an unneeded node keeps billing [default: 75, derived from Spark's 60 s executor idle timeout and managed scaling's 5-10 s evaluation].
    #[arg(long, value_name = "SECONDS")]
    pub scale_in_lag_seconds: Option<f64>,
    /// Glue sizing: peak (NumberOfWorkers for the peak) or auto-scaling (billed DPU-seconds follow the executors).
    #[arg(long, value_name = "peak|auto-scaling", default_value = "peak")]
    pub glue_sizing: String,
    /// How executors become Glue workers: capacity (total vCPU and memory) or per-executor (one worker each).
    #[arg(long, value_name = "capacity|per-executor", default_value = "capacity")]
    pub glue_mapping: String,
    /// Peak executors over the average, for runs with no measured peak [default: from the input's runs with a measured peak, else 1.5].
    #[arg(long, value_name = "FACTOR")]
    pub peak_factor: Option<f64>,
    /// Seconds from cluster request to running step, billed on every node [default: 210, from aws-emr-advisor].
    #[arg(long, value_name = "SECONDS")]
    pub provisioning_seconds: Option<f64>,
    /// Seconds from step end to instance termination, billed on every node [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub teardown_seconds: Option<f64>,
    /// EMR on EKS: seconds a new node bills before the job's pods start on it [default: 90, emrcost's choice; 0 for spare nodes].
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub eks_node_provisioning_seconds: Option<f64>,
    /// Also price EMR on EC2 with core nodes on Spot at this fraction off the EC2 price (e.g. 0.6).
    #[arg(long, value_name = "FRACTION")]
    pub spot_discount: Option<f64>,
    /// Savings Plans / Reserved Instances: this fraction off the EC2 part of
    /// on-demand instances (e.g. 0.3). Not the EMR uplift, EBS, Spot, EMR
    /// Serverless or Glue, which they do not cover.
    #[arg(
        long,
        value_name = "FRACTION",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub ec2_discount: f64,
    /// An enterprise discount (EDP, private pricing): this fraction off
    /// every charge of every option (e.g. 0.05).
    #[arg(
        long,
        value_name = "FRACTION",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub edp_discount: f64,
    /// Runtime multiplier on EMR Serverless.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub speed_serverless: f64,
    /// Runtime multiplier on EMR on EC2.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub speed_ec2: f64,
    /// Runtime multiplier on Glue.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub speed_glue: f64,
    /// Spark memory overhead factor added to executor and driver memory.
    #[arg(long, value_name = "FACTOR", default_value_t = 0.1)]
    pub memory_overhead_factor: f64,
    /// Glue version: sets the billing minimum and whether Flex exists.
    #[arg(long, value_name = "VERSION", default_value = "4.0")]
    pub glue_version: String,
    /// Hours per month used to turn EBS GB-month prices into hourly ones.
    #[arg(long, value_name = "HOURS", default_value_t = 730.0)]
    pub hours_per_month: f64,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Md,
}

/// `price`'s formats: CSV, JSON Lines and Parquet stream row by row.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceFormat {
    Table,
    Csv,
    Json,
    Md,
    /// JSON Lines: one run per line.
    Jsonl,
    /// Parquet (needs `--out`).
    Parquet,
}

#[derive(ClapArgs, Debug)]
pub struct ReportArgs {
    /// get-job-run JSON (object, array or JSON Lines) or emrcost CSV files, or folders of them.
    #[arg(
        value_name = "FILE",
        required_unless_present = "sample",
        conflicts_with = "sample"
    )]
    pub files: Vec<PathBuf>,
    /// Use the bundled sample job-run history (no AWS account needed).
    #[arg(long)]
    pub sample: bool,
    /// Folder for report.md, report.json, summary.csv, jobs.csv and crossovers.csv
    /// [default: reports/sample with --sample, else reports].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Exit with code 3 if any record could not be priced.
    #[arg(long)]
    pub strict: bool,
    /// Files to write: any of html, md, csv, json, svg, png.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "html,md,csv,json,svg"
    )]
    pub format: Vec<String>,
    /// Group the main table by application, job-name, month, state, region or
    /// account (the AWS account collected runs carry).
    #[arg(long, value_name = "GROUP", default_value = "application")]
    pub group_by: String,
    /// What an hour of a job's waiting to start costs you (people, missed
    /// deadlines), in USD: adds the waits' cost to the startup section.
    /// Off by default.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub wait_cost_per_hour: Option<f64>,
    /// Right-sizing (datasets collected with --metrics) never recommends an
    /// executor smaller than the busiest one's peak use plus this fraction
    /// (0.2: 20% above the peak).
    #[arg(
        long,
        value_name = "FRACTION",
        default_value_t = 0.2,
        allow_negative_numbers = true
    )]
    pub headroom: f64,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(ClapArgs, Debug)]
pub struct PriceArgs {
    /// get-job-run JSON (object, array or JSON Lines) or emrcost CSV files, or folders of them.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: PriceFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Exit with code 3 if any record could not be priced.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(ClapArgs, Debug)]
pub struct CrossoverArgs {
    /// Executors running alongside the driver, on average (what EMR Serverless bills).
    #[arg(long, value_name = "N")]
    pub executors: f64,
    /// The most executors alive at once, if more than --executors: what EMR on EC2 and Glue must hold [default: --executors].
    #[arg(long, value_name = "N")]
    pub peak_executors: Option<f64>,
    /// vCPU per executor (spark.executor.cores).
    #[arg(long, value_name = "V")]
    pub executor_vcpu: f64,
    /// Heap per executor in GB (spark.executor.memory); the overhead is added.
    #[arg(long, value_name = "GB")]
    pub executor_memory_gb: f64,
    /// Disk per executor in GB (EMR Serverless; 20 GB are free).
    #[arg(long, value_name = "GB", default_value_t = 20.0)]
    pub executor_disk_gb: f64,
    /// Driver vCPU.
    #[arg(long, value_name = "V", default_value_t = 4.0)]
    pub driver_vcpu: f64,
    /// Driver heap in GB.
    #[arg(long, value_name = "GB", default_value_t = 14.0)]
    pub driver_memory_gb: f64,
    #[arg(long, value_name = "ARCH", default_value = "x86_64")]
    pub arch: String,
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(ClapArgs, Debug)]
pub struct SynthArgs {
    /// Number of job runs.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub runs: usize,
    /// Random seed; the same seed always gives the same runs.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Days the runs are spread over, from 2026-08-01 (1 to 36500).
    #[arg(long, value_name = "DAYS", default_value_t = 92,
          value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    /// Output file (written atomically): CSV, or Parquet when it ends in
    /// .parquet (streamed, for large histories); standard output if absent.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}
