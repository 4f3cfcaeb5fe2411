//! Which offer-file products the price book needs (FACTS.md section 7).

use super::parse::Product;
use crate::model::Architecture;
use crate::pricing::GlueClass;

/// One EMR Serverless price component, from the product's `meterunit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Meter {
    Vcpu(Architecture),
    Memory(Architecture),
    Storage,
}

/// A product the price book uses, keyed as the book keys it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    Serverless {
        region: String,
        meter: Meter,
    },
    EmrUplift {
        region: String,
        instance_type: String,
    },
    Ec2 {
        region: String,
        instance_type: String,
        vcpu: u32,
        memory_gib: f64,
        architecture: Architecture,
    },
    Ebs {
        region: String,
        volume_type: String,
    },
    Glue {
        region: String,
        class: GlueClass,
    },
    /// EMR on EKS uplift on EC2 compute: per vCPU-hour or per GB-hour.
    Eks {
        region: String,
        vcpu: bool,
    },
}

impl Kept {
    pub fn region(&self) -> &str {
        match self {
            Kept::Serverless { region, .. }
            | Kept::EmrUplift { region, .. }
            | Kept::Ec2 { region, .. }
            | Kept::Ebs { region, .. }
            | Kept::Glue { region, .. }
            | Kept::Eks { region, .. } => region,
        }
    }

    /// The book's key for the row, for conflict messages.
    pub fn key(&self) -> String {
        match self {
            Kept::Serverless { region, meter } => format!("EMR Serverless {region} {meter:?}"),
            Kept::EmrUplift {
                region,
                instance_type,
            } => format!("EMR uplift {region} {instance_type}"),
            Kept::Ec2 {
                region,
                instance_type,
                ..
            } => format!("EC2 {region} {instance_type}"),
            Kept::Ebs {
                region,
                volume_type,
            } => format!("EBS {region} {volume_type}"),
            Kept::Glue { region, class } => format!("Glue {region} {class}"),
            Kept::Eks { region, vcpu } => format!(
                "EMR on EKS {region} {}",
                if *vcpu { "vCPU" } else { "memory" }
            ),
        }
    }
}

fn is(v: &Option<String>, want: &str) -> bool {
    v.as_deref() == Some(want)
}

/// `"16 GiB"` -> 16.0.
fn gib(raw: &str) -> Option<f64> {
    let n = raw.trim().trim_end_matches("GiB").trim().replace(',', "");
    n.parse::<f64>().ok().filter(|v| *v > 0.0)
}

/// Picks a product for `service` in one of `regions`, or `None`.
pub fn select(service: &str, regions: &[String], p: &Product) -> Option<Kept> {
    let a = &p.attributes;
    let region = a.region_code.clone()?;
    if !regions.contains(&region) {
        return None;
    }
    match service {
        "ElasticMapReduce" => {
            let family = p.family.as_deref().unwrap_or("");
            let serverless = family == "EMR Serverless"
                || a.usagetype
                    .as_deref()
                    .is_some_and(|u| u.contains("EMR-SERVERLESS-"));
            if serverless {
                let meter = match a.meterunit.as_deref()? {
                    "CPUHours" => Meter::Vcpu(Architecture::X86_64),
                    "GBHours" => Meter::Memory(Architecture::X86_64),
                    "ARMCPUHours" => Meter::Vcpu(Architecture::Arm64),
                    "ARMGBHours" => Meter::Memory(Architecture::Arm64),
                    "StorageGBHours" => Meter::Storage,
                    _ => return None,
                };
                return Some(Kept::Serverless { region, meter });
            }
            // EMR on EKS (FACTS.md section 13): family "EMR Containers",
            // meter CPUHours or GBHours, EC2 compute only (Fargate pods are
            // not modelled).
            if family == "EMR Containers" {
                let ec2 = a
                    .computeprovider
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("EC2"));
                if !ec2 {
                    return None;
                }
                let vcpu = match a.meterunit.as_deref()? {
                    "CPUHours" => true,
                    "GBHours" => false,
                    _ => return None,
                };
                return Some(Kept::Eks { region, vcpu });
            }
            if family == "Elastic Map Reduce Instance" && is(&a.software_type, "EMR") {
                return Some(Kept::EmrUplift {
                    region,
                    instance_type: a.instance_type.clone()?,
                });
            }
            None
        }
        "AmazonEC2" => match p.family.as_deref()? {
            "Compute Instance" => {
                let linux = is(&a.operating_system, "Linux")
                    && is(&a.tenancy, "Shared")
                    && is(&a.pre_installed_sw, "NA")
                    && is(&a.capacitystatus, "Used");
                if !linux {
                    return None;
                }
                let graviton = a
                    .physical_processor
                    .as_deref()
                    .is_some_and(|p| p.contains("Graviton"))
                    || a.processor_architecture
                        .as_deref()
                        .is_some_and(|p| p.contains("ARM") || p.contains("arm64"));
                Some(Kept::Ec2 {
                    region,
                    instance_type: a.instance_type.clone()?,
                    vcpu: a.vcpu.as_deref()?.trim().parse().ok()?,
                    memory_gib: gib(a.memory.as_deref()?)?,
                    architecture: if graviton {
                        Architecture::Arm64
                    } else {
                        Architecture::X86_64
                    },
                })
            }
            "Storage" if is(&a.volume_api_name, "gp3") => Some(Kept::Ebs {
                region,
                volume_type: "gp3".to_string(),
            }),
            _ => None,
        },
        "AWSGlue" => {
            let usage = a.usagetype.as_deref()?;
            // "<REGION>-ETL-DPU-Hour" (FACTS.md section 7); Flex is assumed
            // to follow the same pattern as "...-ETL-Flex-DPU-Hour".
            let class = if usage.ends_with("-ETL-DPU-Hour") {
                GlueClass::Standard
            } else if usage.ends_with("-ETL-Flex-DPU-Hour") {
                GlueClass::Flex
            } else {
                return None;
            };
            Some(Kept::Glue { region, class })
        }
        _ => None,
    }
}
