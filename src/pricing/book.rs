//! The loaded price book and its lookups.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use super::error::{LookupError, PriceBookError};
use super::table::{Row, Table};
use crate::model::Architecture;

/// How far a price can be trusted. Reports print it beside the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Confidence {
    /// Read from an AWS document.
    #[serde(rename = "aws")]
    Aws,
    /// From a file generated from AWS price data.
    #[serde(rename = "gen")]
    Generated,
    /// A third party quoting AWS.
    #[serde(rename = "3p")]
    ThirdParty,
    /// Computed by emrcost from other rows by a stated rule.
    #[serde(rename = "derived")]
    Derived,
    /// Not checked against AWS price data yet.
    #[serde(rename = "unverified")]
    Unverified,
}

impl Confidence {
    fn parse(raw: &str) -> Option<Confidence> {
        match raw {
            "aws" => Some(Confidence::Aws),
            "gen" => Some(Confidence::Generated),
            "3p" => Some(Confidence::ThirdParty),
            "derived" => Some(Confidence::Derived),
            "unverified" => Some(Confidence::Unverified),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Aws => "aws",
            Confidence::Generated => "gen",
            Confidence::ThirdParty => "3p",
            Confidence::Derived => "derived",
            Confidence::Unverified => "unverified",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row came from: a `sources.csv` id, a confidence, a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    pub source: String,
    pub confidence: Confidence,
    pub effective_date: NaiveDate,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.source, self.confidence, self.effective_date
        )
    }
}

/// A row of `sources.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub id: String,
    pub confidence: Confidence,
    pub title: String,
    pub reference: String,
}

/// The price book's identity, printed in every report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub id: String,
    pub captured_on: NaiveDate,
    pub notes: String,
    /// `embedded` or the folder it was loaded from.
    pub location: String,
}

/// EMR Serverless rates for one region and architecture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerlessRate {
    pub region: String,
    pub architecture: Architecture,
    pub vcpu_hour_usd: f64,
    pub memory_gb_hour_usd: f64,
    pub storage_gb_hour_usd: f64,
    pub provenance: Provenance,
}

/// An EC2 instance type as YARN on EMR sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceType {
    pub name: String,
    pub architecture: Architecture,
    pub vcpu: u32,
    pub memory_gib: f64,
    pub yarn_memory_mb: u32,
    pub yarn_vcores: u32,
    pub ebs_default_gib: f64,
    pub provenance: Provenance,
    pub notes: Option<String>,
}

/// On-demand EC2 rate and EMR uplift for one instance type in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ec2Rate {
    pub region: String,
    pub instance_type: String,
    pub ec2_hour_usd: f64,
    pub emr_hour_usd: f64,
    pub provenance: Provenance,
    pub notes: Option<String>,
}

/// EBS rate per GB-month for one volume type in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EbsRate {
    pub region: String,
    pub volume_type: String,
    pub gb_month_usd: f64,
    pub provenance: Provenance,
}

/// A Glue worker type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlueWorker {
    pub name: String,
    pub dpu: f64,
    pub vcpu: f64,
    pub memory_gb: f64,
    pub disk_gb: f64,
    /// Usable by batch (glueetl) jobs; G.025X is for streaming only.
    pub batch: bool,
    pub provenance: Provenance,
}

/// Glue execution class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GlueClass {
    Standard,
    Flex,
}

impl GlueClass {
    pub fn as_str(self) -> &'static str {
        match self {
            GlueClass::Standard => "standard",
            GlueClass::Flex => "flex",
        }
    }
}

impl fmt::Display for GlueClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Glue rate per DPU-hour for one region and execution class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlueRate {
    pub region: String,
    pub class: GlueClass,
    pub dpu_hour_usd: f64,
    pub provenance: Provenance,
}

/// EMR on EKS uplift for one region, on pods' requested vCPU and memory
/// (EC2 compute; the nodes themselves are EC2 prices).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EksRate {
    pub region: String,
    pub vcpu_hour_usd: f64,
    pub memory_gb_hour_usd: f64,
    pub provenance: Provenance,
}

/// Every price emrcost knows, keyed for lookup.
#[derive(Debug, Clone, Serialize)]
pub struct PriceBook {
    pub snapshot: Snapshot,
    pub sources: BTreeMap<String, Source>,
    pub serverless: BTreeMap<(String, Architecture), ServerlessRate>,
    pub instance_types: BTreeMap<String, InstanceType>,
    pub ec2: BTreeMap<(String, String), Ec2Rate>,
    pub ebs: BTreeMap<(String, String), EbsRate>,
    pub glue_workers: Vec<GlueWorker>,
    pub glue: BTreeMap<(String, GlueClass), GlueRate>,
    /// EMR on EKS uplift per region; empty for a book folder written
    /// before `eks_prices.csv` existed (the option then has no figure).
    pub eks: BTreeMap<String, EksRate>,
}

impl PriceBook {
    /// The book with an enterprise discount (EDP, private pricing) taken
    /// off every price: EC2, the EMR uplift, EBS, EMR Serverless and Glue.
    /// The snapshot's notes say so, so a report never shows a discounted
    /// price as the list price.
    pub fn with_edp_discount(&self, discount: f64) -> PriceBook {
        if discount == 0.0 {
            return self.clone();
        }
        let f = 1.0 - discount;
        let mut b = self.clone();
        for r in b.serverless.values_mut() {
            r.vcpu_hour_usd *= f;
            r.memory_gb_hour_usd *= f;
            r.storage_gb_hour_usd *= f;
        }
        for r in b.ec2.values_mut() {
            r.ec2_hour_usd *= f;
            r.emr_hour_usd *= f;
        }
        for r in b.ebs.values_mut() {
            r.gb_month_usd *= f;
        }
        for r in b.glue.values_mut() {
            r.dpu_hour_usd *= f;
        }
        for r in b.eks.values_mut() {
            r.vcpu_hour_usd *= f;
            r.memory_gb_hour_usd *= f;
        }
        b.snapshot.notes = format!(
            "{} [every price {:.1}% below list: --edp-discount]",
            b.snapshot.notes,
            discount * 100.0
        );
        b
    }
}

/// The files of a price book, in load order, with their columns.
pub(crate) const FILES: &[(&str, &[&str])] = &[
    ("snapshot.csv", &["snapshot_id", "captured_on", "notes"]),
    (
        "sources.csv",
        &["source_id", "confidence", "title", "reference"],
    ),
    (
        "serverless.csv",
        &[
            "region",
            "architecture",
            "vcpu_hour_usd",
            "memory_gb_hour_usd",
            "storage_gb_hour_usd",
            "source",
            "confidence",
            "effective_date",
        ],
    ),
    (
        "instance_types.csv",
        &[
            "instance_type",
            "architecture",
            "vcpu",
            "memory_gib",
            "yarn_memory_mb",
            "yarn_vcores",
            "ebs_default_gib",
            "source",
            "confidence",
            "effective_date",
            "notes",
        ],
    ),
    (
        "ec2_prices.csv",
        &[
            "region",
            "instance_type",
            "ec2_hour_usd",
            "emr_hour_usd",
            "source",
            "confidence",
            "effective_date",
            "notes",
        ],
    ),
    (
        "ebs.csv",
        &[
            "region",
            "volume_type",
            "gb_month_usd",
            "source",
            "confidence",
            "effective_date",
        ],
    ),
    (
        "glue_workers.csv",
        &[
            "worker_type",
            "dpu",
            "vcpu",
            "memory_gb",
            "disk_gb",
            "batch",
            "source",
            "confidence",
            "effective_date",
        ],
    ),
    (
        "glue_prices.csv",
        &[
            "region",
            "execution_class",
            "dpu_hour_usd",
            "source",
            "confidence",
            "effective_date",
        ],
    ),
    (
        EKS_FILE,
        &[
            "region",
            "compute",
            "vcpu_hour_usd",
            "memory_gb_hour_usd",
            "source",
            "confidence",
            "effective_date",
        ],
    ),
];

/// The one optional file: a book folder written before it existed still
/// loads, without EMR on EKS rates.
pub(crate) const EKS_FILE: &str = "eks_prices.csv";

const EMBEDDED: &[(&str, &str)] = &[
    ("snapshot.csv", include_str!("../../pricing/snapshot.csv")),
    ("sources.csv", include_str!("../../pricing/sources.csv")),
    (
        "serverless.csv",
        include_str!("../../pricing/serverless.csv"),
    ),
    (
        "instance_types.csv",
        include_str!("../../pricing/instance_types.csv"),
    ),
    (
        "ec2_prices.csv",
        include_str!("../../pricing/ec2_prices.csv"),
    ),
    ("ebs.csv", include_str!("../../pricing/ebs.csv")),
    (
        "glue_workers.csv",
        include_str!("../../pricing/glue_workers.csv"),
    ),
    (
        "glue_prices.csv",
        include_str!("../../pricing/glue_prices.csv"),
    ),
    (EKS_FILE, include_str!("../../pricing/eks_prices.csv")),
];

impl PriceBook {
    /// The price book compiled into the binary from `pricing/`.
    pub fn embedded() -> Result<PriceBook, PriceBookError> {
        Self::load("embedded", |name| {
            EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| Ok((format!("pricing/{name}"), text.to_string())))
                .unwrap_or_else(|| {
                    Err(PriceBookError::MissingFile {
                        path: Path::new("pricing").join(name),
                        expected: file_names(),
                    })
                })
        })
    }

    /// Loads a price book from its files' texts, named as in `pricing/`
    /// and shown in errors as `label/name`.
    pub fn from_texts(label: &str, files: &[(&str, String)]) -> Result<PriceBook, PriceBookError> {
        Self::load(label, |name| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| Ok((format!("{label}/{name}"), text.clone())))
                .unwrap_or_else(|| {
                    Err(PriceBookError::MissingFile {
                        path: Path::new(label).join(name),
                        expected: file_names(),
                    })
                })
        })
    }

    /// Loads a price book folder (same layout as `pricing/`).
    pub fn from_dir(dir: &Path) -> Result<PriceBook, PriceBookError> {
        Self::load(&dir.display().to_string(), |name| {
            let path = dir.join(name);
            if let Ok(meta) = std::fs::metadata(&path) {
                if !meta.is_file() {
                    return Err(PriceBookError::Io {
                        source: std::io::Error::other(format!(
                            "it is {}, not a regular file",
                            crate::files::kind(&meta)
                        )),
                        path,
                    });
                }
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok((path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(PriceBookError::MissingFile {
                        path,
                        expected: file_names(),
                    })
                }
                Err(source) => Err(PriceBookError::Io { path, source }),
            }
        })
    }

    fn load(
        location: &str,
        mut read: impl FnMut(&str) -> Result<(String, String), PriceBookError>,
    ) -> Result<PriceBook, PriceBookError> {
        let mut tables = HashMap::new();
        for (name, columns) in FILES {
            let (display, text) = match read(name) {
                Err(PriceBookError::MissingFile { path, .. }) if *name == EKS_FILE => {
                    (path.display().to_string(), columns.join(","))
                }
                read => read?,
            };
            tables.insert(*name, Table::parse(&display, &text, columns)?);
        }
        let snapshot = load_snapshot(&tables["snapshot.csv"], location)?;
        let sources = load_sources(&tables["sources.csv"])?;
        let ctx = Ctx { sources: &sources };
        let serverless = load_serverless(&tables["serverless.csv"], &ctx)?;
        let instance_types = load_instance_types(&tables["instance_types.csv"], &ctx)?;
        let ec2 = load_ec2(&tables["ec2_prices.csv"], &ctx, &instance_types)?;
        let ebs = load_ebs(&tables["ebs.csv"], &ctx)?;
        let glue_workers = load_glue_workers(&tables["glue_workers.csv"], &ctx)?;
        let glue = load_glue(&tables["glue_prices.csv"], &ctx)?;
        let eks = load_eks(&tables[EKS_FILE], &ctx)?;
        Ok(PriceBook {
            snapshot,
            sources,
            serverless,
            instance_types,
            ec2,
            ebs,
            glue_workers,
            glue,
            eks,
        })
    }

    /// EMR Serverless rates for a region and architecture.
    pub fn serverless_rate(
        &self,
        region: &str,
        architecture: Architecture,
    ) -> Result<&ServerlessRate, LookupError> {
        self.serverless
            .get(&(region.to_string(), architecture))
            .ok_or_else(|| LookupError::Serverless {
                region: region.to_string(),
                architecture: architecture.to_string(),
                known: join(
                    self.serverless
                        .keys()
                        .filter(|(_, a)| *a == architecture)
                        .map(|(r, _)| r.as_str()),
                ),
            })
    }

    pub fn instance_type(&self, name: &str) -> Result<&InstanceType, LookupError> {
        self.instance_types
            .get(name)
            .ok_or_else(|| LookupError::InstanceType {
                instance_type: name.to_string(),
                known: join(self.instance_types.keys().map(String::as_str)),
            })
    }

    pub fn ec2_rate(&self, region: &str, instance_type: &str) -> Result<&Ec2Rate, LookupError> {
        self.instance_type(instance_type)?;
        self.ec2
            .get(&(region.to_string(), instance_type.to_string()))
            .ok_or_else(|| {
                let in_region: Vec<&str> = self
                    .ec2
                    .keys()
                    .filter(|(r, _)| r == region)
                    .map(|(_, t)| t.as_str())
                    .collect();
                if in_region.is_empty() {
                    LookupError::Ec2Region {
                        region: region.to_string(),
                        known: join(self.ec2_regions().into_iter()),
                    }
                } else {
                    LookupError::Ec2 {
                        region: region.to_string(),
                        instance_type: instance_type.to_string(),
                        known: join(in_region.into_iter()),
                    }
                }
            })
    }

    /// All EC2 rates for a region, in instance-type order.
    pub fn ec2_rates_in(&self, region: &str) -> Vec<&Ec2Rate> {
        self.ec2
            .iter()
            .filter(|((r, _), _)| r == region)
            .map(|(_, rate)| rate)
            .collect()
    }

    fn ec2_regions(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self.ec2.keys().map(|(r, _)| r.as_str()).collect();
        set.into_iter().collect()
    }

    pub fn ebs_rate(&self, region: &str, volume_type: &str) -> Result<&EbsRate, LookupError> {
        self.ebs
            .get(&(region.to_string(), volume_type.to_string()))
            .ok_or_else(|| LookupError::Ebs {
                region: region.to_string(),
                volume_type: volume_type.to_string(),
            })
    }

    /// The EMR on EKS uplift in a region.
    pub fn eks_rate(&self, region: &str) -> Result<&EksRate, LookupError> {
        self.eks.get(region).ok_or_else(|| LookupError::NoEksRate {
            region: region.to_string(),
            known: join(self.eks.keys().map(String::as_str)),
        })
    }

    pub fn glue_rate(&self, region: &str, class: GlueClass) -> Result<&GlueRate, LookupError> {
        self.glue
            .get(&(region.to_string(), class))
            .ok_or_else(|| LookupError::Glue {
                region: region.to_string(),
                class: class.to_string(),
            })
    }

    /// Every region that has at least one price of any kind.
    pub fn regions(&self) -> BTreeSet<&str> {
        let mut set = BTreeSet::new();
        set.extend(self.serverless.keys().map(|(r, _)| r.as_str()));
        set.extend(self.ec2.keys().map(|(r, _)| r.as_str()));
        set.extend(self.glue.keys().map(|(r, _)| r.as_str()));
        set
    }

    /// True when the region is known to the price book at all. Used to tell a
    /// typo in `--region` from a region that merely lacks one kind of price.
    pub fn knows_region(&self, region: &str) -> bool {
        self.regions().contains(region)
    }
}

fn file_names() -> String {
    FILES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

struct Ctx<'a> {
    sources: &'a BTreeMap<String, Source>,
}

impl Ctx<'_> {
    fn provenance(&self, row: &Row<'_>) -> Result<Provenance, PriceBookError> {
        let source = row.text("source")?;
        if !self.sources.contains_key(&source) {
            return Err(row.err(format!(
                "source '{source}' is not defined in sources.csv; add it there with its title and reference"
            )));
        }
        let raw = row.text("confidence")?;
        let confidence = Confidence::parse(&raw).ok_or_else(|| {
            row.err(format!(
                "confidence is '{raw}'; expected aws, gen, 3p, derived or unverified"
            ))
        })?;
        Ok(Provenance {
            source,
            confidence,
            effective_date: row.date("effective_date")?,
        })
    }
}

/// Inserts into a keyed map, rejecting duplicates with both line numbers.
fn insert_unique<K: Ord + fmt::Debug + Clone, V>(
    map: &mut BTreeMap<K, V>,
    lines: &mut BTreeMap<K, u64>,
    key: K,
    value: V,
    row: &Row<'_>,
    file: &str,
    describe: impl Fn(&K) -> String,
) -> Result<(), PriceBookError> {
    if let Some(first) = lines.get(&key) {
        return Err(PriceBookError::Duplicate {
            file: file.to_string(),
            line: row.line,
            key: describe(&key),
            first_line: *first,
        });
    }
    lines.insert(key.clone(), row.line);
    map.insert(key, value);
    Ok(())
}

fn load_snapshot(table: &Table, location: &str) -> Result<Snapshot, PriceBookError> {
    let mut found = None;
    for row in table.rows() {
        if found.is_some() {
            return Err(row.err("snapshot.csv must have exactly one row"));
        }
        found = Some(Snapshot {
            id: row.text("snapshot_id")?,
            captured_on: row.date("captured_on")?,
            notes: row.opt_text("notes").unwrap_or_default(),
            location: location.to_string(),
        });
    }
    found.ok_or_else(|| PriceBookError::Invalid {
        file: table.file.clone(),
        line: 2,
        message: "snapshot.csv has no row; it needs one naming the snapshot".into(),
    })
}

fn load_sources(table: &Table) -> Result<BTreeMap<String, Source>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let id = row.text("source_id")?;
        let raw = row.text("confidence")?;
        let confidence = Confidence::parse(&raw).ok_or_else(|| {
            row.err(format!(
                "confidence is '{raw}'; expected aws, gen, 3p, derived or unverified"
            ))
        })?;
        let source = Source {
            id: id.clone(),
            confidence,
            title: row.text("title")?,
            reference: row.text("reference")?,
        };
        insert_unique(&mut map, &mut lines, id, source, &row, &table.file, |k| {
            format!("source '{k}'")
        })?;
    }
    Ok(map)
}

fn architecture(row: &Row<'_>) -> Result<Architecture, PriceBookError> {
    let raw = row.text("architecture")?;
    raw.parse().map_err(|e: String| row.err(e))
}

fn load_serverless(
    table: &Table,
    ctx: &Ctx<'_>,
) -> Result<BTreeMap<(String, Architecture), ServerlessRate>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let rate = ServerlessRate {
            region: row.text("region")?,
            architecture: architecture(&row)?,
            vcpu_hour_usd: row.price("vcpu_hour_usd")?,
            memory_gb_hour_usd: row.price("memory_gb_hour_usd")?,
            storage_gb_hour_usd: row.price("storage_gb_hour_usd")?,
            provenance: ctx.provenance(&row)?,
        };
        let key = (rate.region.clone(), rate.architecture);
        insert_unique(
            &mut map,
            &mut lines,
            key,
            rate,
            &row,
            &table.file,
            |(r, a)| format!("region {r}, architecture {a}"),
        )?;
    }
    Ok(map)
}

fn load_instance_types(
    table: &Table,
    ctx: &Ctx<'_>,
) -> Result<BTreeMap<String, InstanceType>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let it = InstanceType {
            name: row.text("instance_type")?,
            architecture: architecture(&row)?,
            vcpu: row.positive_u32("vcpu")?,
            memory_gib: row.positive("memory_gib")?,
            yarn_memory_mb: row.positive_u32("yarn_memory_mb")?,
            yarn_vcores: row.positive_u32("yarn_vcores")?,
            ebs_default_gib: row.non_negative("ebs_default_gib")?,
            provenance: ctx.provenance(&row)?,
            notes: row.opt_text("notes"),
        };
        if f64::from(it.yarn_memory_mb) > it.memory_gib * 1024.0 {
            return Err(row.err(format!(
                "yarn_memory_mb {} exceeds the instance's memory ({} GiB)",
                it.yarn_memory_mb, it.memory_gib
            )));
        }
        insert_unique(
            &mut map,
            &mut lines,
            it.name.clone(),
            it,
            &row,
            &table.file,
            |k| format!("instance type {k}"),
        )?;
    }
    Ok(map)
}

fn load_ec2(
    table: &Table,
    ctx: &Ctx<'_>,
    types: &BTreeMap<String, InstanceType>,
) -> Result<BTreeMap<(String, String), Ec2Rate>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let rate = Ec2Rate {
            region: row.text("region")?,
            instance_type: row.text("instance_type")?,
            ec2_hour_usd: row.price("ec2_hour_usd")?,
            emr_hour_usd: row.price("emr_hour_usd")?,
            provenance: ctx.provenance(&row)?,
            notes: row.opt_text("notes"),
        };
        if !types.contains_key(&rate.instance_type) {
            return Err(row.err(format!(
                "instance type '{}' has a price but no row in instance_types.csv; add its vCPU, memory and YARN settings there",
                rate.instance_type
            )));
        }
        let key = (rate.region.clone(), rate.instance_type.clone());
        insert_unique(
            &mut map,
            &mut lines,
            key,
            rate,
            &row,
            &table.file,
            |(r, t)| format!("region {r}, instance type {t}"),
        )?;
    }
    Ok(map)
}

fn load_ebs(
    table: &Table,
    ctx: &Ctx<'_>,
) -> Result<BTreeMap<(String, String), EbsRate>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let rate = EbsRate {
            region: row.text("region")?,
            volume_type: row.text("volume_type")?,
            gb_month_usd: row.price("gb_month_usd")?,
            provenance: ctx.provenance(&row)?,
        };
        let key = (rate.region.clone(), rate.volume_type.clone());
        insert_unique(
            &mut map,
            &mut lines,
            key,
            rate,
            &row,
            &table.file,
            |(r, v)| format!("region {r}, volume type {v}"),
        )?;
    }
    Ok(map)
}

fn load_glue_workers(table: &Table, ctx: &Ctx<'_>) -> Result<Vec<GlueWorker>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let w = GlueWorker {
            name: row.text("worker_type")?,
            dpu: row.positive("dpu")?,
            vcpu: row.positive("vcpu")?,
            memory_gb: row.positive("memory_gb")?,
            disk_gb: row.non_negative("disk_gb")?,
            batch: row.boolean("batch")?,
            provenance: ctx.provenance(&row)?,
        };
        insert_unique(
            &mut map,
            &mut lines,
            w.name.clone(),
            w,
            &row,
            &table.file,
            |k| format!("worker type {k}"),
        )?;
    }
    let mut workers: Vec<GlueWorker> = map.into_values().collect();
    // Smallest first, so the first that fits is the cheapest that fits.
    workers.sort_by(|a, b| a.dpu.total_cmp(&b.dpu));
    Ok(workers)
}

fn load_glue(
    table: &Table,
    ctx: &Ctx<'_>,
) -> Result<BTreeMap<(String, GlueClass), GlueRate>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let raw = row.text("execution_class")?;
        let class = match raw.as_str() {
            "standard" => GlueClass::Standard,
            "flex" => GlueClass::Flex,
            _ => {
                return Err(row.err(format!(
                    "execution_class is '{raw}'; expected standard or flex"
                )))
            }
        };
        let rate = GlueRate {
            region: row.text("region")?,
            class,
            dpu_hour_usd: row.price("dpu_hour_usd")?,
            provenance: ctx.provenance(&row)?,
        };
        let key = (rate.region.clone(), class);
        insert_unique(
            &mut map,
            &mut lines,
            key,
            rate,
            &row,
            &table.file,
            |(r, c)| format!("region {r}, class {c}"),
        )?;
    }
    Ok(map)
}

fn load_eks(table: &Table, ctx: &Ctx<'_>) -> Result<BTreeMap<String, EksRate>, PriceBookError> {
    let (mut map, mut lines) = (BTreeMap::new(), BTreeMap::new());
    for row in table.rows() {
        let compute = row.text("compute")?;
        if compute != "ec2" {
            return Err(row.err(format!(
                "compute is '{compute}'; expected ec2 (EMR on EKS on Fargate is not modelled)"
            )));
        }
        let rate = EksRate {
            region: row.text("region")?,
            vcpu_hour_usd: row.price("vcpu_hour_usd")?,
            memory_gb_hour_usd: row.price("memory_gb_hour_usd")?,
            provenance: ctx.provenance(&row)?,
        };
        insert_unique(
            &mut map,
            &mut lines,
            rate.region.clone(),
            rate,
            &row,
            &table.file,
            |r| format!("region {r}"),
        )?;
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_book(dir: &Path) {
        for (name, text) in EMBEDDED {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    /// A book folder written before `eks_prices.csv` existed still loads:
    /// it has no EMR on EKS rates, and a lookup says where they come from.
    /// A Fargate row is refused, naming the file and line.
    #[test]
    fn the_eks_file_is_optional_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        write_book(dir.path());
        std::fs::remove_file(dir.path().join(EKS_FILE)).unwrap();
        let book = PriceBook::from_dir(dir.path()).unwrap();
        assert!(book.eks.is_empty());
        let err = book.eks_rate("us-east-1").unwrap_err().to_string();
        assert!(
            err.contains("eks_prices.csv") && err.contains("pricing update"),
            "{err}"
        );

        std::fs::write(
            dir.path().join(EKS_FILE),
            "region,compute,vcpu_hour_usd,memory_gb_hour_usd,source,confidence,effective_date\n\
             us-east-1,fargate,0.01012,0.00111125,emr-advisor-eks,3p,2026-12-07\n",
        )
        .unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("eks_prices.csv:2") && err.contains("Fargate"),
            "{err}"
        );
    }

    #[test]
    fn embedded_book_loads_and_has_the_required_coverage() {
        let book = PriceBook::embedded().unwrap();
        for region in ["us-east-1", "us-west-2", "eu-west-1"] {
            book.serverless_rate(region, Architecture::X86_64).unwrap();
            book.serverless_rate(region, Architecture::Arm64).unwrap();
            book.glue_rate(region, GlueClass::Standard).unwrap();
            book.ebs_rate(region, "gp3").unwrap();
            for fam in ["m5", "m6g", "m7g", "r5", "r6g", "c5"] {
                for size in ["xlarge", "2xlarge", "4xlarge"] {
                    book.ec2_rate(region, &format!("{fam}.{size}")).unwrap();
                }
            }
        }
        // FACTS.md section 1: us-east-1 x86 rates, generated from AWS data.
        let r = book
            .serverless_rate("us-east-1", Architecture::X86_64)
            .unwrap();
        assert_eq!(r.vcpu_hour_usd, 0.052624);
        assert_eq!(r.memory_gb_hour_usd, 0.0057785);
        assert_eq!(r.storage_gb_hour_usd, 0.000111);
        // Marked unverified in FACTS.md, so it stays unverified here.
        let arm = book
            .serverless_rate("us-east-1", Architecture::Arm64)
            .unwrap();
        assert_eq!(arm.provenance.confidence, Confidence::Unverified);
    }

    #[test]
    fn duplicate_key_names_both_lines() {
        let dir = tempfile::tempdir().unwrap();
        write_book(dir.path());
        let path = dir.path().join("glue_prices.csv");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("us-east-1,standard,0.44,pkb-glue,gen,2026-11-23\n");
        std::fs::write(&path, text).unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("glue_prices.csv:30"), "{err}");
        assert!(
            err.contains("duplicate entry for region us-east-1, class standard"),
            "{err}"
        );
        assert!(err.contains("already defined on line"), "{err}");
    }

    #[test]
    fn negative_and_non_numeric_prices_are_rejected_with_line() {
        let dir = tempfile::tempdir().unwrap();
        write_book(dir.path());
        let path = dir.path().join("ebs.csv");
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            good.replace("us-west-2,gp3,0.08", "us-west-2,gp3,-0.08"),
        )
        .unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("ebs.csv:5"), "{err}");
        assert!(err.contains("cannot be negative"), "{err}");

        std::fs::write(
            &path,
            good.replace("us-west-2,gp3,0.08", "us-west-2,gp3,cheap"),
        )
        .unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("ebs.csv:5"), "{err}");
        assert!(err.contains("'cheap', which is not a number"), "{err}");
    }

    #[test]
    fn unknown_column_and_missing_file_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_book(dir.path());
        let path = dir.path().join("serverless.csv");
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, good.replacen("effective_date", "effective_dat", 1)).unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("serverless.csv:1: unknown column 'effective_dat'"),
            "{err}"
        );

        std::fs::remove_file(&path).unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("serverless.csv is missing"), "{err}");
    }

    #[test]
    fn price_for_unknown_instance_type_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write_book(dir.path());
        let path = dir.path().join("ec2_prices.csv");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("us-east-1,x9.huge,1,0.25,facts-emr-use1,unverified,2026-11-23,\n");
        std::fs::write(&path, text).unwrap();
        let err = PriceBook::from_dir(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("'x9.huge' has a price but no row in instance_types.csv"),
            "{err}"
        );
    }

    #[test]
    fn lookups_report_what_is_known() {
        let book = PriceBook::embedded().unwrap();
        let err = book
            .serverless_rate("xx-nowhere-1", Architecture::X86_64)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("region 'xx-nowhere-1'") && err.contains("us-east-1"),
            "{err}"
        );
        let err = book
            .ec2_rate("us-east-1", "z9.tiny")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown instance type 'z9.tiny'"), "{err}");
        let err = book
            .ec2_rate("sa-east-1", "m5.xlarge")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no EMR on EC2 prices at all for region 'sa-east-1'"),
            "{err}"
        );
    }

    /// The families and sizes issue 12 asks the book to cover.
    const FAMILIES: [&str; 17] = [
        "m5", "m6i", "m7i", "r5", "r6i", "r7i", "c5", "c6i", "c7i", "m6g", "m7g", "m8g", "r6g",
        "r7g", "r8g", "c6g", "c7g",
    ];

    /// Every size from large to 24xlarge of the 17 families is in the
    /// book, with its YARN settings, and priced in us-east-1, us-west-2
    /// and eu-west-1.
    #[test]
    fn the_book_covers_the_families_people_run() {
        let book = PriceBook::embedded().unwrap();
        for family in FAMILIES {
            let sizes: Vec<&InstanceType> = book
                .instance_types
                .values()
                .filter(|t| t.name.split('.').next() == Some(family))
                .collect();
            let largest = if family.ends_with("6g") || family.ends_with("7g") {
                "16xlarge"
            } else {
                "24xlarge"
            };
            for size in ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", largest] {
                let name = format!("{family}.{size}");
                assert!(
                    sizes.iter().any(|t| t.name == name),
                    "{name} is missing from instance_types.csv"
                );
                for region in ["us-east-1", "us-west-2", "eu-west-1"] {
                    book.ec2_rate(region, &name)
                        .unwrap_or_else(|e| panic!("{region} {name}: {e}"));
                }
            }
        }
    }

    /// m5.12xlarge in us-east-1: $2.304 EC2 + $0.27 EMR = $2.574 an hour
    /// (FACTS.md section 3); c5.4xlarge's uplift is the published $0.170,
    /// not the 0.172 of scaling a rounded rate.
    #[test]
    fn large_types_and_the_c5_uplift() {
        let book = PriceBook::embedded().unwrap();
        let m5 = book.ec2_rate("us-east-1", "m5.12xlarge").unwrap();
        assert_eq!((m5.ec2_hour_usd, m5.emr_hour_usd), (2.304, 0.27));
        assert!((m5.ec2_hour_usd + m5.emr_hour_usd - 2.574).abs() < 1e-12);
        let c5 = book.ec2_rate("us-east-1", "c5.4xlarge").unwrap();
        assert_eq!(c5.emr_hour_usd, 0.17);
        let it = book.instance_type("m5.12xlarge").unwrap();
        assert_eq!(
            (it.vcpu, it.yarn_memory_mb, it.ebs_default_gib),
            (48, 188416, 768.0)
        );
    }

    /// The derived EMR uplift (25% of the EC2 rate, capped at $0.27 for
    /// m5/r5/c5) is checked twice: it must give every uplift that has an
    /// AWS-authored source, and every row marked as derived by it must
    /// follow it.
    #[test]
    fn the_emr_uplift_rule_reproduces_the_sourced_figures() {
        let book = PriceBook::embedded().unwrap();
        let rule = |r: &Ec2Rate| {
            let family = r.instance_type.split('.').next().unwrap_or("");
            let raw = 0.25 * r.ec2_hour_usd;
            if ["m5", "r5", "c5"].contains(&family) {
                raw.min(0.27)
            } else {
                raw
            }
        };
        let mut sourced = 0;
        let mut derived = 0;
        for r in book.ec2.values().filter(|r| r.region == "us-east-1") {
            match r.provenance.source.as_str() {
                "emr-advisor-pricing-test" | "emr-best-practices" => sourced += 1,
                "emr-uplift-rule" => derived += 1,
                _ => continue,
            }
            assert!(
                (rule(r) - r.emr_hour_usd).abs() < 1e-6,
                "{}: {} against the rule's {}",
                r.instance_type,
                r.emr_hour_usd,
                rule(r)
            );
        }
        assert_eq!(sourced, 6);
        assert!(derived > 100, "{derived}");
    }
}
