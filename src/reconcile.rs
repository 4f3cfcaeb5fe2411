//! Reconciling against the bill: the EMR Serverless, Glue and EMR on EC2
//! line items of a Cost and Usage Report 2.0 (Data Exports; CSV, gzip or
//! not, or Parquet) set beside what emrcost computed from the collected
//! runs and clusters, per application (Glue: job; EMR on EC2: cluster) and
//! month, and per job run where job-level cost allocation put the run's ARN
//! in `line_item_resource_id`. FACTS.md sections 13 and 14.
//!
//! The gap is explained in parts: application-level lines (pre-initialized
//! capacity, idle between runs, and runs billed without job-level
//! allocation), runs or clusters on the bill the dataset lacks, discounts
//! and credits, rounding; what is left is listed, largest first.
//!
//! An EMR on EC2 cluster's lines are the EMR uplift (`ElasticMapReduce`,
//! `BoxUsage:<type>`, the cluster in the resource id) and whatever carries
//! the cluster's id in its resource tags (EMR tags the cluster's EC2
//! instances with it: the instance hours, Spot hours and volumes). The
//! tag reaches the export only when activated as a cost allocation tag.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::collect::emr_ec2::ClusterCost;
use crate::cost::serverless::{price_usage, UsageBasis};
use crate::model::JobRun;
use crate::pricing::PriceBook;

/// The CUR 2.0 columns read; the first five are required.
const REQUIRED: [&str; 5] = [
    "bill_billing_period_start_date",
    "line_item_usage_type",
    "line_item_unblended_cost",
    "line_item_line_item_type",
    "line_item_resource_id",
];
const CURRENCY: &str = "line_item_currency_code";
const USAGE_START: &str = "line_item_usage_start_date";
/// The service of a line: CUR 2.0 has `product_servicecode` (in the product
/// map, flattened by some exports) and `line_item_product_code`.
const PRODUCT: [&str; 2] = ["product_servicecode", "line_item_product_code"];
/// The activated cost allocation tags: a JSON object in CSV, a map in
/// Parquet.
const TAGS: &str = "resource_tags";
/// A gap under this (USD) per application and month is rounding.
pub const ROUNDING_USD: f64 = 0.01;

/// One EMR Serverless line item.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    service: Service,
    month: String,
    application_id: Option<String>,
    job_run_id: Option<String>,
    kind: String,
    cost: f64,
}

/// The services whose lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Service {
    #[serde(rename = "EMR Serverless")]
    EmrServerless,
    /// Glue's lines are per job (`job/<name>`), not per run.
    Glue,
    /// EMR on EC2's lines are per cluster (`j-...`).
    #[serde(rename = "EMR on EC2")]
    EmrOnEc2,
}

impl Service {
    /// The service a usage type is (FACTS.md section 14's types).
    fn of(usage_type: &str) -> Option<Service> {
        if usage_type.contains("EMR-SERVERLESS-") {
            Some(Service::EmrServerless)
        } else if usage_type.contains("ETL-") && usage_type.contains("DPU-Hour") {
            Some(Service::Glue)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::EmrServerless => "EMR Serverless",
            Service::Glue => "Glue",
            Service::EmrOnEc2 => "EMR on EC2",
        }
    }
}

/// The EMR cluster a line belongs to: the cluster id in its resource tags
/// (EMR's `aws:elasticmapreduce:job-flow-id`, whatever form the export
/// gives the key: FACTS.md section 14 does not say, so any key ending in
/// job-flow-id or job_flow_id), else, for an ElasticMapReduce instance-hour
/// line, the cluster in its resource id (`...:cluster/j-...`, or a `j-`
/// token; [unverified] form).
fn cluster_of(usage_type: &str, product: &str, resource: &str, tags: &str) -> Option<String> {
    if let Some(id) = cluster_tag(tags) {
        return Some(id);
    }
    let emr = product.eq_ignore_ascii_case("ElasticMapReduce")
        || (product.is_empty() && resource.contains("elasticmapreduce"));
    if !(emr && usage_type.contains("BoxUsage")) {
        return None;
    }
    let id = resource
        .split_once("cluster/")
        .map(|(_, id)| id)
        .or_else(|| resource.split([':', '/']).find(|t| t.starts_with("j-")))
        .filter(|id| !id.is_empty())
        .unwrap_or("(no cluster)");
    Some(id.to_string())
}

/// The value of a job-flow-id tag in a JSON object of tags.
fn cluster_tag(tags: &str) -> Option<String> {
    let tags = tags.trim();
    if !tags.starts_with('{') {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(tags).ok()?;
    map.iter().find_map(|(k, v)| {
        let k = k.to_ascii_lowercase().replace(['-', ':'], "_");
        let id = v.as_str()?.trim();
        (k.ends_with("job_flow_id") && !id.is_empty()).then(|| id.to_string())
    })
}

/// What could not be used, counted by reason, with the first few places.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Skipped {
    pub other_currency: usize,
    pub unreadable: usize,
    pub outside_dataset_months: usize,
    pub other_services: usize,
    /// Of the other services: EC2 lines without a cluster id tag.
    pub untagged_ec2: usize,
    /// Lines that carried a cluster id tag (so the tag is activated).
    pub tagged_lines: usize,
    /// EMR on EC2 lines covered by a Reserved Instance (DiscountedUsage).
    pub reserved_lines: usize,
    /// The first problems, with file and row.
    pub examples: Vec<String>,
}

/// One application and month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppMonth {
    pub service: Service,
    /// The EMR Serverless application, the Glue job or the EMR cluster.
    pub application_id: String,
    pub month: String,
    /// Usage line items on the bill (before discounts and credits).
    pub billed_usd: f64,
    /// What emrcost computed from the collected runs' billed usage.
    pub computed_usd: f64,
    /// Of the bill: lines for the application with no job run
    /// (pre-initialized capacity, and runs without job-level allocation).
    pub application_level_usd: f64,
    /// Of the bill: job runs (EMR on EC2: the cluster) the dataset does not
    /// hold.
    pub not_collected_usd: f64,
    pub not_collected_runs: usize,
    /// Discounts, credits and refunds (negative).
    pub discounts_usd: f64,
    /// What is left: bill usage - application-level - not collected - computed.
    pub unexplained_usd: f64,
}

impl AppMonth {
    fn new(service: Service, application_id: &str, month: &str) -> AppMonth {
        AppMonth {
            service,
            application_id: application_id.to_string(),
            month: month.to_string(),
            billed_usd: 0.0,
            computed_usd: 0.0,
            application_level_usd: 0.0,
            not_collected_usd: 0.0,
            not_collected_runs: 0,
            discounts_usd: 0.0,
            unexplained_usd: 0.0,
        }
    }
}

/// One job run where the bill has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunGap {
    pub application_id: String,
    pub job_run_id: String,
    pub billed_usd: f64,
    pub computed_usd: f64,
    pub gap_usd: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub files: Vec<String>,
    pub line_items: usize,
    pub months: Vec<String>,
    pub apps: Vec<AppMonth>,
    /// Runs on the bill and in the dataset whose figures differ by a cent or
    /// more, largest first.
    pub run_gaps: Vec<RunGap>,
    pub skipped: Skipped,
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("{file}: cannot read it: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: not a CUR 2.0 export: missing column(s) {missing}; export with them (Data Exports, CUR 2.0 table)")]
    Columns { file: PathBuf, missing: String },
    #[error("{file}: row {row}: {message}")]
    Row {
        file: PathBuf,
        row: u64,
        message: String,
    },
}

fn io(file: &Path) -> impl FnOnce(std::io::Error) -> ReconcileError + '_ {
    move |source| ReconcileError::Io {
        file: file.to_path_buf(),
        source,
    }
}

/// `arn:aws:emr-serverless:<region>:<acct>:/applications/<app>[/jobruns/<id>]`
/// -> (application, job run). FACTS.md section 14 ([unverified] form).
fn ids_of(resource: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = resource.split('/').collect();
    let after = |name: &str| {
        parts
            .iter()
            .position(|p| *p == name)
            .and_then(|i| parts.get(i + 1))
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
    };
    (after("applications"), after("jobruns"))
}

/// Every month from `first` to `last` (`YYYY-MM`, both included).
fn months_between(first: &str, last: &str) -> Vec<String> {
    let parse = |m: &str| -> Option<(i32, u32)> {
        Some((m.get(..4)?.parse().ok()?, m.get(5..7)?.parse().ok()?))
    };
    let (Some((mut y, mut m)), Some(end)) = (parse(first), parse(last)) else {
        return vec![first.to_string()];
    };
    let mut out = Vec::new();
    // Bounded: a cluster is not up for more than a few years.
    while (y, m) <= end && out.len() < 240 {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The month (`YYYY-MM`) a CUR timestamp falls in.
fn month_of(text: &str) -> Option<String> {
    let t = text.trim();
    let ok = t.len() >= 7
        && t.as_bytes()[4] == b'-'
        && t[..4].bytes().all(|b| b.is_ascii_digit())
        && t[5..7].bytes().all(|b| b.is_ascii_digit());
    ok.then(|| t[..7].to_string())
}

fn open(path: &Path) -> Result<Box<dyn Read>, ReconcileError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if !meta.is_file() {
        return Err(ReconcileError::Io {
            file: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "{}, not a regular file",
                crate::files::kind(&meta)
            )),
        });
    }
    let mut f = BufReader::new(std::fs::File::open(path).map_err(io(path))?);
    let gz = f.fill_buf().map_err(io(path))?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else {
        Box::new(f)
    })
}

/// The rows of a Parquet export as text records (the columns read only),
/// with their header: timestamps and numbers as polars writes them.
fn parquet_records(
    path: &Path,
) -> Result<
    (
        csv::StringRecord,
        Vec<Result<csv::StringRecord, csv::Error>>,
    ),
    ReconcileError,
> {
    use polars::prelude::*;
    let bad = |e: PolarsError| ReconcileError::Row {
        file: path.to_path_buf(),
        row: 1,
        message: format!("not a readable Parquet file: {e}"),
    };
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut reader = ParquetReader::new(file);
    // Only the columns read: an export has a hundred or more, and maps
    // (`product`, `discount`, `cost_category`) this does not need.
    let schema = reader.schema().map_err(bad)?;
    let names: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .chain([CURRENCY, USAGE_START, TAGS])
        .chain(PRODUCT)
        .filter(|c| schema.contains(c))
        .collect();
    let df = reader
        .with_columns(Some(names.iter().map(|n| n.to_string()).collect()))
        .finish()
        .map_err(bad)?;
    let mut columns = Vec::new();
    for n in &names {
        let c = df.column(n).map_err(bad)?;
        let text: Vec<Option<String>> = match c.dtype() {
            // A map column (list of key/value structs): as a JSON object,
            // the form CSV exports give it.
            DataType::List(inner) if matches!(**inner, DataType::Struct(_)) => {
                map_as_json(c.list().map_err(bad)?).map_err(bad)?
            }
            _ => {
                let c = c.cast(&DataType::String).map_err(bad)?;
                c.str()
                    .map_err(bad)?
                    .into_iter()
                    .map(|v| v.map(str::to_string))
                    .collect()
            }
        };
        columns.push(text);
    }
    let rows = (0..df.height())
        .map(|i| {
            Ok(csv::StringRecord::from(
                columns
                    .iter()
                    .map(|c| c[i].clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
            ))
        })
        .collect();
    Ok((csv::StringRecord::from(names), rows))
}

/// A Parquet map column (`list<struct<key, value>>`) row by row as JSON
/// objects.
fn map_as_json(
    list: &polars::prelude::ListChunked,
) -> polars::prelude::PolarsResult<Vec<Option<String>>> {
    use polars::prelude::*;
    let mut out = Vec::with_capacity(list.len());
    for row in list.into_iter() {
        let Some(entries) = row else {
            out.push(None);
            continue;
        };
        let entries = entries.struct_()?;
        let fields = entries.fields_as_series();
        let (Some(keys), Some(values)) = (fields.first(), fields.get(1)) else {
            out.push(None);
            continue;
        };
        let keys = keys.cast(&DataType::String)?;
        let values = values.cast(&DataType::String)?;
        let mut map = serde_json::Map::new();
        for (k, v) in keys.str()?.into_iter().zip(values.str()?) {
            if let (Some(k), Some(v)) = (k, v) {
                map.insert(k.to_string(), serde_json::Value::from(v));
            }
        }
        out.push(Some(serde_json::Value::Object(map).to_string()));
    }
    Ok(out)
}

/// Reads the EMR Serverless, Glue and EMR on EC2 line items of one CUR export: CSV
/// (gzip or plain) or Parquet.
fn read_file(
    path: &Path,
    lines: &mut Vec<Line>,
    skipped: &mut Skipped,
) -> Result<usize, ReconcileError> {
    let mut magic = [0u8; 4];
    let is_parquet = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"PAR1";
    let (headers, records): (
        csv::StringRecord,
        Box<dyn Iterator<Item = Result<csv::StringRecord, csv::Error>>>,
    ) = if is_parquet {
        let (h, rows) = parquet_records(path)?;
        (h, Box::new(rows.into_iter()))
    } else {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(open(path)?);
        let h = r
            .headers()
            .map_err(|e| ReconcileError::Row {
                file: path.to_path_buf(),
                row: 1,
                message: format!("the header cannot be read: {e}"),
            })?
            .clone();
        (h, Box::new(r.into_records()))
    };
    let at = |name: &str| headers.iter().position(|h| h.trim() == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| at(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ReconcileError::Columns {
            file: path.to_path_buf(),
            missing: missing.join(", "),
        });
    }
    let [period, usage_type, cost, kind, resource] = REQUIRED.map(|c| at(c).unwrap_or(0));
    let currency = at(CURRENCY);
    let start = at(USAGE_START);
    let products: Vec<usize> = PRODUCT.iter().filter_map(|c| at(c)).collect();
    let tags = at(TAGS);
    let mut count = 0;
    let example = |skipped: &mut Skipped, text: String| {
        if skipped.examples.len() < 10 {
            skipped.examples.push(text);
        }
    };
    // A CSV's first record is on line 2; a Parquet file has no header.
    let first_row = if is_parquet { 1 } else { 2 };
    for (i, rec) in records.enumerate() {
        let row = i as u64 + first_row;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                skipped.unreadable += 1;
                example(skipped, format!("{}: row {row}: {e}", path.display()));
                continue;
            }
        };
        count += 1;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let ut = get(usage_type);
        // The first of the two service columns that says anything.
        let product = products
            .iter()
            .map(|&c| get(c))
            .find(|p| !p.is_empty())
            .unwrap_or("");
        let cluster = || cluster_of(ut, product, get(resource), tags.map(get).unwrap_or(""));
        let (service, cluster) = match Service::of(ut) {
            Some(s) => (s, None),
            None => match cluster() {
                Some(c) => {
                    if cluster_tag(tags.map(get).unwrap_or("")).is_some() {
                        skipped.tagged_lines += 1;
                    }
                    (Service::EmrOnEc2, Some(c))
                }
                None => {
                    skipped.other_services += 1;
                    if product == "AmazonEC2" {
                        skipped.untagged_ec2 += 1;
                    }
                    continue;
                }
            },
        };
        if let Some(c) = currency.map(get).filter(|c| !c.is_empty() && *c != "USD") {
            skipped.other_currency += 1;
            example(
                skipped,
                format!(
                    "{}: row {row}: currency {c}, not USD; left out",
                    path.display()
                ),
            );
            continue;
        }
        let month = month_of(get(period)).or_else(|| start.and_then(|s| month_of(get(s))));
        let value: Option<f64> = get(cost).parse().ok().filter(|v: &f64| v.is_finite());
        let (Some(month), Some(value)) = (month, value) else {
            skipped.unreadable += 1;
            let (column, text) = if value.is_none() {
                ("line_item_unblended_cost", get(cost))
            } else {
                ("bill_billing_period_start_date", get(period))
            };
            example(
                skipped,
                format!(
                    "{}: row {row}: {column} {text:?} cannot be read; left out",
                    path.display()
                ),
            );
            continue;
        };
        let (application_id, job_run_id) = match service {
            Service::EmrServerless => ids_of(get(resource)),
            // arn:aws:glue:<region>:<acct>:job/<name>: the job is the unit.
            Service::Glue => (
                get(resource)
                    .split_once(":job/")
                    .map(|(_, name)| name.to_string())
                    .filter(|n| !n.is_empty()),
                None,
            ),
            Service::EmrOnEc2 => (cluster, None),
        };
        lines.push(Line {
            service,
            month,
            application_id,
            job_run_id,
            kind: get(kind).to_string(),
            cost: value,
        });
    }
    Ok(count)
}

/// Reconciles the CUR files against the collected runs, each priced from
/// its billed usage at `book`'s rates, and the collected EMR on EC2
/// clusters, each at the cost `collect emr` computed for its whole life.
pub fn reconcile(
    files: &[PathBuf],
    runs: &[JobRun],
    clusters: &[ClusterCost],
    book: &PriceBook,
) -> Result<Reconciliation, ReconcileError> {
    let mut lines = Vec::new();
    let mut skipped = Skipped::default();
    let mut items = 0;
    for f in files {
        items += read_file(f, &mut lines, &mut skipped)?;
    }
    // What emrcost computed, per run and per application and month (the
    // month a run started in; the bill puts usage in its hour's month).
    // Keyed (service, application or Glue job, run).
    let mut computed: HashMap<(Service, String, String), (String, f64)> = HashMap::new();
    let mut notes = Vec::new();
    let mut unpriced = 0;
    for r in runs {
        if r.ec2_cost_usd.is_some() {
            continue;
        }
        let Some(month) = r
            .started_at
            .or(r.created_at)
            .map(|t| t.format("%Y-%m").to_string())
        else {
            continue;
        };
        let (service, usd) = match (&r.glue, r.billed) {
            // A Glue run: its billed DPU-seconds at the class's rate.
            (Some(g), _) => {
                let class = if g.flex {
                    crate::pricing::GlueClass::Flex
                } else {
                    crate::pricing::GlueClass::Standard
                };
                let Ok(rate) = book.glue_rate(&r.region, class) else {
                    unpriced += 1;
                    continue;
                };
                let dpu_s = g.billed_dpu_seconds(r.duration_s.unwrap_or(0.0));
                (Service::Glue, dpu_s / 3600.0 * rate.dpu_hour_usd)
            }
            (None, Some(billed)) => {
                let Ok(rate) = book.serverless_rate(&r.region, r.architecture) else {
                    unpriced += 1;
                    continue;
                };
                (
                    Service::EmrServerless,
                    price_usage(&billed, rate, UsageBasis::Billed).usd,
                )
            }
            (None, None) => continue,
        };
        let e = computed
            .entry((service, r.application_id.clone(), r.job_run_id.clone()))
            .or_insert((month, 0.0));
        e.1 += usd;
    }
    if unpriced > 0 {
        notes.push(format!(
            "{unpriced} collected run(s) are in regions the price book lacks: not computed"
        ));
    }
    // A cluster is compared whole, in the month it was created: its lines
    // in a later month (a cluster up across a month's end) count there too.
    let mut cluster_month: HashMap<&str, String> = HashMap::new();
    let collected: std::collections::HashSet<&str> =
        clusters.iter().map(|c| c.cluster_id.as_str()).collect();
    // The months the bill files hold lines in: a cluster that ran in a
    // month they lack is compared with part of its bill.
    let bill_months: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l.month.as_str()).collect();
    let mut partial = Vec::new();
    let mut part_billed = Vec::new();
    let mut undated = Vec::new();
    for c in clusters {
        let month_of = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m").to_string();
        let Some(month) = c.created.or(c.ended).map(month_of) else {
            undated.push(c.cluster_id.as_str());
            continue;
        };
        if !c.unpriced.is_empty() {
            partial.push(c.cluster_id.as_str());
        }
        let last = c.ended.map(month_of).unwrap_or_else(|| month.clone());
        let ran_in = months_between(&month, &last);
        if !lines.is_empty() && ran_in.iter().any(|m| !bill_months.contains(m.as_str())) {
            part_billed.push(format!("{} ({} to {})", c.cluster_id, month, last));
        }
        cluster_month.insert(&c.cluster_id, month.clone());
        computed
            .entry((Service::EmrOnEc2, c.cluster_id.clone(), String::new()))
            .or_insert((month, 0.0))
            .1 += c.total_usd;
    }
    if !partial.is_empty() {
        notes.push(format!(
            "cluster(s) {} have instance types the price book lacked when collected: emrcost's figure leaves them out",
            partial.join(", ")
        ));
    }
    if !part_billed.is_empty() {
        notes.push(format!(
            "cluster(s) {} ran in months the bill files do not cover: each is compared whole against only part of its bill; give every month's export",
            part_billed.join(", ")
        ));
    }
    if !undated.is_empty() {
        notes.push(format!(
            "cluster(s) {} have no creation or end time in the dataset: not compared",
            undated.join(", ")
        ));
    }
    // The months each service was collected for: a line is compared when
    // its service's runs cover its month (a service the dataset has none
    // of: any month the dataset covers).
    let mut service_months: BTreeMap<Service, std::collections::BTreeSet<String>> = BTreeMap::new();
    for ((service, _, _), (m, _)) in &computed {
        service_months
            .entry(*service)
            .or_default()
            .insert(m.clone());
    }
    let dataset_months: std::collections::BTreeSet<String> =
        service_months.values().flatten().cloned().collect();

    let mut apps: BTreeMap<(Service, String, String), AppMonth> = BTreeMap::new();
    let mut bill_runs: HashMap<(String, String), f64> = HashMap::new();
    let mut run_month: HashMap<(String, String), String> = HashMap::new();
    for l in &lines {
        let month = match (l.service, &l.application_id) {
            (Service::EmrOnEc2, Some(c)) => cluster_month.get(c.as_str()).unwrap_or(&l.month),
            _ => &l.month,
        };
        let months = service_months.get(&l.service).unwrap_or(&dataset_months);
        if !months.is_empty() && !months.contains(month) {
            skipped.outside_dataset_months += 1;
            continue;
        }
        if l.service == Service::EmrOnEc2 && l.kind == "DiscountedUsage" {
            skipped.reserved_lines += 1;
        }
        let app = l
            .application_id
            .clone()
            .unwrap_or_else(|| "(no application)".into());
        let e = apps
            .entry((l.service, app.clone(), month.clone()))
            .or_insert_with(|| AppMonth::new(l.service, &app, month));
        let usage = matches!(
            l.kind.as_str(),
            "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage" | ""
        );
        if !usage {
            e.discounts_usd += l.cost;
            continue;
        }
        e.billed_usd += l.cost;
        match &l.job_run_id {
            // Glue bills per job, EMR on EC2 per cluster: the whole is
            // compared below.
            None if l.service != Service::EmrServerless => {}
            None => e.application_level_usd += l.cost,
            Some(run) => {
                let key = (app.clone(), run.clone());
                *bill_runs.entry(key.clone()).or_insert(0.0) += l.cost;
                run_month.insert(key, l.month.clone());
            }
        }
    }
    let mut run_gaps = Vec::new();
    for (key, billed) in &bill_runs {
        let month = &run_month[key];
        let e = apps
            .get_mut(&(Service::EmrServerless, key.0.clone(), month.clone()))
            .expect("made above");
        match computed.get(&(Service::EmrServerless, key.0.clone(), key.1.clone())) {
            None => {
                e.not_collected_usd += billed;
                e.not_collected_runs += 1;
            }
            Some((_, usd)) => {
                let gap = billed - usd;
                if gap.abs() >= ROUNDING_USD {
                    run_gaps.push(RunGap {
                        application_id: key.0.clone(),
                        job_run_id: key.1.clone(),
                        billed_usd: *billed,
                        computed_usd: *usd,
                        gap_usd: gap,
                    });
                }
            }
        }
    }
    // A service with no line on the bill was not exported (or not used in
    // the bill's months): its collected runs are not compared.
    let billed: std::collections::BTreeSet<Service> = apps.keys().map(|(s, _, _)| *s).collect();
    let mut absent: BTreeMap<Service, usize> = BTreeMap::new();
    for ((service, app, _run), (month, usd)) in &computed {
        let key = (*service, app.clone(), month.clone());
        if let Some(e) = apps.get_mut(&key) {
            e.computed_usd += usd;
        } else if !billed.contains(service) {
            *absent.entry(*service).or_insert(0) += 1;
        } else {
            // Collected but absent from the bill for that month.
            apps.entry(key)
                .or_insert_with(|| AppMonth::new(*service, app, month))
                .computed_usd += usd;
        }
    }
    let mut apps: Vec<AppMonth> = apps.into_values().collect();
    for a in &mut apps {
        // A cluster on the bill that `collect emr` did not see.
        if a.service == Service::EmrOnEc2
            && !collected.contains(a.application_id.as_str())
            && a.billed_usd != 0.0
        {
            a.not_collected_usd = a.billed_usd;
            a.not_collected_runs = 1;
        }
        let left = a.billed_usd - a.application_level_usd - a.not_collected_usd - a.computed_usd;
        a.unexplained_usd = if left.abs() < ROUNDING_USD { 0.0 } else { left };
    }
    run_gaps.sort_by(|a, b| b.gap_usd.abs().total_cmp(&a.gap_usd.abs()));
    for (service, n) in &absent {
        notes.push(format!(
            "the bill has no {} line items in the months collected: {n} collected run(s) or cluster(s) of it were not compared",
            service.name()
        ));
    }
    // Untagged EC2 lines are only a hint of a missing tag when no line had
    // it: once it is activated, they are other instances.
    if skipped.untagged_ec2 > 0
        && skipped.tagged_lines == 0
        && apps.iter().any(|a| a.service == Service::EmrOnEc2)
    {
        notes.push(format!(
            "{} EC2 line item(s) carry no EMR cluster id tag: if some are EMR on EC2 instances, activate the aws:elasticmapreduce:job-flow-id cost allocation tag and export resource_tags",
            skipped.untagged_ec2
        ));
    }
    if skipped.reserved_lines > 0 {
        notes.push(format!(
            "{} EMR on EC2 line item(s) are Reserved Instance usage (DiscountedUsage): their cost on the bill is the reservation's, not on-demand, so those clusters' gaps include the reservation",
            skipped.reserved_lines
        ));
    }
    if skipped.other_currency > 0 {
        notes.push(format!(
            "{} line item(s) in a currency other than USD were left out: emrcost's prices are USD",
            skipped.other_currency
        ));
    }
    Ok(Reconciliation {
        files: files.iter().map(|f| f.display().to_string()).collect(),
        line_items: items,
        months: dataset_months.into_iter().collect(),
        apps,
        run_gaps,
        skipped,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_give_the_application_and_the_run() {
        assert_eq!(
            ids_of("arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1/jobruns/00r9"),
            (Some("00f1".into()), Some("00r9".into()))
        );
        assert_eq!(
            ids_of("arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1"),
            (Some("00f1".into()), None)
        );
        assert_eq!(ids_of(""), (None, None));
    }

    #[test]
    fn a_line_belongs_to_the_cluster_in_its_tags_or_resource_id() {
        let tags = r#"{"user_team":"data","aws_elasticmapreduce_job_flow_id":"j-2AXXXX"}"#;
        assert_eq!(
            cluster_of("USE1-BoxUsage:m5.xlarge", "AmazonEC2", "i-0abc", tags).as_deref(),
            Some("j-2AXXXX")
        );
        assert_eq!(
            cluster_of(
                "USE1-EBS:VolumeUsage.gp2",
                "AmazonEC2",
                "vol-1",
                r#"{"aws:elasticmapreduce:job-flow-id":"j-9"}"#
            )
            .as_deref(),
            Some("j-9")
        );
        // EMR's uplift: the cluster from the resource id.
        assert_eq!(
            cluster_of(
                "USE1-BoxUsage:m5.xlarge",
                "ElasticMapReduce",
                "arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/j-2AXXXX",
                ""
            )
            .as_deref(),
            Some("j-2AXXXX")
        );
        // An untagged instance is not EMR's; neither is an EMR line that is
        // not instance hours.
        assert_eq!(
            cluster_of("USE1-BoxUsage:m5.xlarge", "AmazonEC2", "i-0abc", "{}"),
            None
        );
        assert_eq!(
            cluster_of("USE1-EMR-EKS-EC2-vCPUHours", "ElasticMapReduce", "x", ""),
            None
        );
    }

    #[test]
    fn a_cluster_runs_in_every_month_between_its_first_and_last() {
        assert_eq!(
            months_between("2026-11", "2027-01"),
            ["2026-11", "2026-12", "2027-01"]
        );
        assert_eq!(months_between("2026-10", "2026-10"), ["2026-10"]);
    }

    #[test]
    fn months_come_from_iso_timestamps() {
        assert_eq!(month_of("2026-10-01T00:00:00Z").as_deref(), Some("2026-10"));
        assert_eq!(
            month_of("2026-10-01 00:00:00.000").as_deref(),
            Some("2026-10")
        );
        assert_eq!(month_of("October"), None);
    }
}
