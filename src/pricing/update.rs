//! Builds a new price-book snapshot from AWS Price List offer files.
//!
//! The new book starts as a copy of the old one. Every row the offers cover
//! for the chosen regions is replaced by the offer's price, with the offer as
//! its source (confidence `aws`) and the term's effective date. Rows the
//! offers do not cover are kept exactly as they were: an `unverified` row is
//! only ever confirmed by real offer data, never promoted by hand.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDate;

use super::offer::{self, Kept, Meter, OfferError, OfferPrice, OfferSource, SERVICES};
use super::{
    Confidence, EbsRate, Ec2Rate, GlueRate, InstanceType, PriceBook, Provenance, ServerlessRate,
    Snapshot, Source,
};
use crate::model::Architecture;

/// What to refresh.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub source: OfferSource,
    pub regions: Vec<String>,
}

/// How one offer file was read.
#[derive(Debug, Clone, PartialEq)]
pub struct FileStat {
    pub location: String,
    pub bytes: u64,
    pub seconds: f64,
    pub rows: usize,
}

/// The new book, what was read, and every row dropped with its reason.
#[derive(Debug)]
pub struct Updated {
    pub book: PriceBook,
    pub files: Vec<FileStat>,
    pub dropped: Vec<String>,
}

/// The source id rows refreshed from a service's offer carry.
pub fn source_id(service: &str) -> String {
    format!("aws-price-list-{service}")
}

const DERIVED_YARN: &str = "derived-yarn-defaults";

/// YARN memory EMR leaves for containers: total minus a reserve of a quarter
/// of memory, at least 2 GiB and at most 8 GiB. This is aws-emr-advisor's
/// rule (3p); it gives exactly the Release Guide's value for every m5, r5 and
/// c5 size in pricing/instance_types.csv.
pub fn derived_yarn_memory_mb(memory_gib: f64) -> u32 {
    let total = memory_gib * 1024.0;
    let reserved = (0.25 * total).clamp(2048.0, 8192.0);
    (total - reserved.round()).max(0.0) as u32
}

/// EMR's default EBS per instance size (emr-plan-storage; aws-emr-advisor's
/// table for the sizes FACTS.md does not list), GiB.
pub fn default_ebs_gib(instance_type: &str) -> f64 {
    match instance_type.split('.').nth(1).unwrap_or("") {
        "large" => 32.0,
        "xlarge" => 64.0,
        "2xlarge" => 128.0,
        "4xlarge" => 256.0,
        "8xlarge" => 512.0,
        "9xlarge" => 576.0,
        "10xlarge" => 640.0,
        "12xlarge" => 768.0,
        "16xlarge" => 1024.0,
        "18xlarge" => 1152.0,
        "24xlarge" => 1536.0,
        _ => 512.0,
    }
}

struct ServiceRows {
    version: String,
    publication_date: String,
    /// Book key -> (kept product, price, SKU).
    rows: BTreeMap<String, (Kept, OfferPrice, String)>,
}

/// Reads every service's offer for every region and merges the result onto `old`.
pub fn update(old: &PriceBook, opts: &UpdateOptions) -> Result<Updated, OfferError> {
    let mut files = Vec::new();
    let mut dropped = Vec::new();
    let mut services: BTreeMap<&str, ServiceRows> = BTreeMap::new();
    for service in SERVICES {
        let mut acc = ServiceRows {
            version: String::new(),
            publication_date: String::new(),
            rows: BTreeMap::new(),
        };
        for region in &opts.regions {
            let path = opts.source.region_file(service, region)?;
            let location = opts.source.location(&path);
            let started = Instant::now();
            let regions = std::slice::from_ref(region);
            let parsed = offer::parse(
                &location,
                || opts.source.open(&path),
                |p| offer::select(service, regions, p),
            )?;
            for sku in &parsed.unpriced {
                dropped.push(format!("{location}: SKU {sku} dropped: no on-demand price"));
            }
            let mut kept = 0;
            for (sku, k, price) in parsed.rows {
                let unit_ok = match &k {
                    Kept::Ebs { .. } => price.unit.eq_ignore_ascii_case("GB-Mo"),
                    Kept::Serverless { .. } | Kept::Glue { .. } | Kept::Eks { .. } => true,
                    Kept::Ec2 { .. } | Kept::EmrUplift { .. } => {
                        price.unit.eq_ignore_ascii_case("Hrs")
                            || price.unit.eq_ignore_ascii_case("Hours")
                    }
                };
                if !unit_ok {
                    dropped.push(format!(
                        "{location}: SKU {sku} ({}) dropped: unit '{}' is not the one the book uses",
                        k.key(),
                        price.unit
                    ));
                    continue;
                }
                let key = k.key();
                match acc.rows.get(&key) {
                    Some((_, first, first_sku)) if first.usd != price.usd => {
                        return Err(OfferError::Conflict {
                            location,
                            key,
                            prices: Box::new([first.usd.clone(), first_sku.clone(), price.usd, sku]),
                        });
                    }
                    Some((_, _, first_sku)) => dropped.push(format!(
                        "{location}: SKU {sku} dropped: same key and price as SKU {first_sku} ({key})"
                    )),
                    None => {
                        acc.rows.insert(key, (k, price, sku));
                        kept += 1;
                    }
                }
            }
            if kept == 0 {
                return Err(OfferError::NoRows {
                    location,
                    service: service.to_string(),
                    region: region.clone(),
                });
            }
            acc.version = acc.version.max(parsed.meta.version);
            acc.publication_date = acc.publication_date.max(parsed.meta.publication_date);
            files.push(FileStat {
                location,
                bytes: parsed.bytes,
                seconds: started.elapsed().as_secs_f64(),
                rows: kept,
            });
        }
        services.insert(service, acc);
    }
    let book = merge(old, &services, opts, &mut dropped);
    Ok(Updated {
        book,
        files,
        dropped,
    })
}

fn date(raw: &str) -> NaiveDate {
    NaiveDate::parse_from_str(raw.get(..10).unwrap_or(raw), "%Y-%m-%d").unwrap_or_default()
}

fn usd(p: &OfferPrice) -> f64 {
    // Validated by the parser: a non-negative decimal.
    p.usd.parse().unwrap_or(0.0)
}

fn merge(
    old: &PriceBook,
    services: &BTreeMap<&str, ServiceRows>,
    opts: &UpdateOptions,
    dropped: &mut Vec<String>,
) -> PriceBook {
    let mut book = old.clone();
    let prov = |service: &str, effective: &str| Provenance {
        source: source_id(service),
        confidence: Confidence::Aws,
        effective_date: date(effective),
    };
    for (service, acc) in services {
        book.sources.insert(
            source_id(service),
            Source {
                id: source_id(service),
                confidence: Confidence::Aws,
                title: format!(
                    "AWS Price List offer {service}, version {}, published {}",
                    acc.version, acc.publication_date
                ),
                reference: opts.source.location(&format!(
                    "/offers/v1.0/aws/{service}/current/region_index.json"
                )),
            },
        );
    }

    // EMR Serverless: a region/architecture row needs vCPU and memory; the
    // storage rate is shared by both architectures.
    let emr = &services["ElasticMapReduce"];
    let mut meters: BTreeMap<(String, Meter), &OfferPrice> = BTreeMap::new();
    let mut uplift: BTreeMap<(String, String), &OfferPrice> = BTreeMap::new();
    let mut eks: BTreeMap<(String, bool), &OfferPrice> = BTreeMap::new();
    for (k, price, _) in emr.rows.values() {
        match k {
            Kept::Eks { region, vcpu } => {
                eks.insert((region.clone(), *vcpu), price);
            }
            Kept::Serverless { region, meter } => {
                meters.insert((region.clone(), *meter), price);
            }
            Kept::EmrUplift {
                region,
                instance_type,
            } => {
                uplift.insert((region.clone(), instance_type.clone()), price);
            }
            _ => {}
        }
    }
    for region in &opts.regions {
        let storage = meters.get(&(region.clone(), Meter::Storage));
        for arch in [Architecture::X86_64, Architecture::Arm64] {
            let (Some(cpu), Some(mem), Some(storage)) = (
                meters.get(&(region.clone(), Meter::Vcpu(arch))),
                meters.get(&(region.clone(), Meter::Memory(arch))),
                storage,
            ) else {
                dropped.push(format!(
                    "EMR Serverless {region} {arch}: the offer lacks vCPU, memory or storage prices; the old row (if any) is kept as it was"
                ));
                continue;
            };
            let effective = [
                &cpu.effective_date,
                &mem.effective_date,
                &storage.effective_date,
            ]
            .into_iter()
            .max()
            .cloned()
            .unwrap_or_default();
            book.serverless.insert(
                (region.clone(), arch),
                ServerlessRate {
                    region: region.clone(),
                    architecture: arch,
                    vcpu_hour_usd: usd(cpu),
                    memory_gb_hour_usd: usd(mem),
                    storage_gb_hour_usd: usd(storage),
                    provenance: prov("ElasticMapReduce", &effective),
                },
            );
        }
    }

    // EMR on EKS: a region's row needs both meters.
    for region in &opts.regions {
        let (Some(cpu), Some(mem)) = (
            eks.get(&(region.clone(), true)),
            eks.get(&(region.clone(), false)),
        ) else {
            dropped.push(format!(
                "EMR on EKS {region}: the offer lacks the EMR Containers (EC2) vCPU or GB-hour price; the old row (if any) is kept as it was"
            ));
            continue;
        };
        let effective = cpu.effective_date.clone().max(mem.effective_date.clone());
        book.eks.insert(
            region.clone(),
            crate::pricing::EksRate {
                region: region.clone(),
                vcpu_hour_usd: usd(cpu),
                memory_gb_hour_usd: usd(mem),
                provenance: prov("ElasticMapReduce", &effective),
            },
        );
    }

    // EC2: instance types EMR offers (has an uplift), with their EC2 price.
    let mut derived_used = false;
    for (k, price, _) in services["AmazonEC2"].rows.values() {
        match k {
            Kept::Ec2 {
                region,
                instance_type,
                vcpu,
                memory_gib,
                architecture,
            } => {
                let Some(emr_price) = uplift.get(&(region.clone(), instance_type.clone())) else {
                    dropped.push(format!(
                        "EC2 {region} {instance_type} dropped: no EMR uplift in the ElasticMapReduce offer (EMR does not offer this type there)"
                    ));
                    continue;
                };
                let entry = book.instance_types.entry(instance_type.clone());
                let it = entry.or_insert_with(|| {
                    derived_used = true;
                    InstanceType {
                        name: instance_type.clone(),
                        architecture: *architecture,
                        vcpu: *vcpu,
                        memory_gib: *memory_gib,
                        yarn_memory_mb: derived_yarn_memory_mb(*memory_gib),
                        yarn_vcores: *vcpu,
                        ebs_default_gib: default_ebs_gib(instance_type),
                        provenance: Provenance {
                            source: DERIVED_YARN.to_string(),
                            confidence: Confidence::Derived,
                            effective_date: date(&price.effective_date),
                        },
                        notes: Some(
                            "added by pricing update: vCPU and memory from the EC2 offer; YARN memory and vcores derived; EBS from the size table".to_string(),
                        ),
                    }
                });
                if it.vcpu != *vcpu || it.memory_gib != *memory_gib {
                    dropped.push(format!(
                        "instance type {instance_type}: the offer says {vcpu} vCPU / {memory_gib} GiB but the book has {} / {}; the book's row is kept, check it",
                        it.vcpu, it.memory_gib
                    ));
                }
                let effective = price
                    .effective_date
                    .clone()
                    .max(emr_price.effective_date.clone());
                book.ec2.insert(
                    (region.clone(), instance_type.clone()),
                    Ec2Rate {
                        region: region.clone(),
                        instance_type: instance_type.clone(),
                        ec2_hour_usd: usd(price),
                        emr_hour_usd: usd(emr_price),
                        provenance: prov("AmazonEC2", &effective),
                        notes: Some(format!(
                            "EC2 Linux shared on-demand and EMR uplift from the AWS Price List ({})",
                            source_id("ElasticMapReduce")
                        )),
                    },
                );
            }
            Kept::Ebs {
                region,
                volume_type,
            } => {
                book.ebs.insert(
                    (region.clone(), volume_type.clone()),
                    EbsRate {
                        region: region.clone(),
                        volume_type: volume_type.clone(),
                        gb_month_usd: usd(price),
                        provenance: prov("AmazonEC2", &price.effective_date),
                    },
                );
            }
            _ => {}
        }
    }
    if derived_used {
        book.sources.insert(
            DERIVED_YARN.to_string(),
            Source {
                id: DERIVED_YARN.to_string(),
                confidence: Confidence::Derived,
                title: "YARN memory = memory - clamp(25% of memory, 2 GiB, 8 GiB) (aws-emr-advisor's rule, matches the EMR Release Guide for m5/r5/c5); vcores = vCPU; EBS from EMR's per-size defaults".to_string(),
                reference: "src/pricing/update.rs derived_yarn_memory_mb".to_string(),
            },
        );
    }

    for (k, price, _) in services["AWSGlue"].rows.values() {
        if let Kept::Glue { region, class } = k {
            book.glue.insert(
                (region.clone(), *class),
                GlueRate {
                    region: region.clone(),
                    class: *class,
                    dpu_hour_usd: usd(price),
                    provenance: prov("AWSGlue", &price.effective_date),
                },
            );
        }
    }

    let published = services
        .values()
        .map(|s| s.publication_date.clone())
        .max()
        .unwrap_or_default();
    let versions: Vec<String> = services
        .iter()
        .map(|(s, acc)| format!("{s} {}", acc.version))
        .collect();
    book.snapshot = Snapshot {
        id: format!("aws-price-list-{}", date(&published)),
        captured_on: date(&published),
        notes: format!(
            "Refreshed by emrcost pricing update from the AWS Price List ({}) for {}. Rows outside those regions, and rows the offers lack, are kept from the previous snapshot with their own source and confidence.",
            versions.join(", "),
            opts.regions.join(", ")
        ),
        location: old.snapshot.location.clone(),
    };
    book
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived YARN memory equals the EMR Release Guide's value for every
    /// m5, r5 and c5 type in the built-in book (those rows come from the
    /// guide). Later generations get less from the guide (m6i.xlarge 11712
    /// MB against 12288), so the rule is only a fallback for types the book
    /// does not list.
    #[test]
    fn derived_yarn_matches_the_release_guide() {
        let book = PriceBook::embedded().unwrap();
        let mut checked = 0;
        for t in book.instance_types.values().filter(|t| {
            t.provenance.source == "emr-task-config"
                && ["m5.", "r5.", "c5."].iter().any(|f| t.name.starts_with(f))
        }) {
            assert_eq!(
                derived_yarn_memory_mb(t.memory_gib),
                t.yarn_memory_mb,
                "{}",
                t.name
            );
            checked += 1;
        }
        assert_eq!(checked, 21);
        assert_eq!(default_ebs_gib("m5.2xlarge"), 128.0);
    }
}
