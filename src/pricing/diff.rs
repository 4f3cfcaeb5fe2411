//! What changed between two price books: added, removed and changed prices,
//! with the percentage change and any change of confidence.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Confidence, PriceBook, Provenance};

/// One price that differs between two books.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceChange {
    pub kind: &'static str,
    pub key: String,
    pub field: &'static str,
    pub old_usd: Option<f64>,
    pub new_usd: Option<f64>,
    pub old_confidence: Option<Confidence>,
    pub new_confidence: Option<Confidence>,
}

impl PriceChange {
    /// `added`, `removed`, `changed` or `confirmed` (same price, stronger source).
    pub fn what(&self) -> &'static str {
        match (self.old_usd, self.new_usd) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(a), Some(b)) if a != b => "changed",
            _ => "confirmed",
        }
    }

    /// Percentage change, for a changed price that was not zero.
    pub fn percent(&self) -> Option<f64> {
        match (self.old_usd, self.new_usd) {
            (Some(a), Some(b)) if a != 0.0 && a != b => Some((b - a) / a * 100.0),
            _ => None,
        }
    }
}

type Flat = BTreeMap<(&'static str, String, &'static str), (f64, Confidence)>;

fn flatten(book: &PriceBook) -> Flat {
    let mut out = Flat::new();
    let mut put = |kind, key: String, field, v: f64, p: &Provenance| {
        out.insert((kind, key, field), (v, p.confidence));
    };
    for r in book.serverless.values() {
        let key = format!("{} {}", r.region, r.architecture);
        put(
            "EMR Serverless",
            key.clone(),
            "vcpu_hour_usd",
            r.vcpu_hour_usd,
            &r.provenance,
        );
        put(
            "EMR Serverless",
            key.clone(),
            "memory_gb_hour_usd",
            r.memory_gb_hour_usd,
            &r.provenance,
        );
        put(
            "EMR Serverless",
            key,
            "storage_gb_hour_usd",
            r.storage_gb_hour_usd,
            &r.provenance,
        );
    }
    for r in book.ec2.values() {
        let key = format!("{} {}", r.region, r.instance_type);
        put(
            "EMR on EC2",
            key.clone(),
            "ec2_hour_usd",
            r.ec2_hour_usd,
            &r.provenance,
        );
        put(
            "EMR on EC2",
            key,
            "emr_hour_usd",
            r.emr_hour_usd,
            &r.provenance,
        );
    }
    for r in book.ebs.values() {
        put(
            "EBS",
            format!("{} {}", r.region, r.volume_type),
            "gb_month_usd",
            r.gb_month_usd,
            &r.provenance,
        );
    }
    for r in book.glue.values() {
        put(
            "Glue",
            format!("{} {}", r.region, r.class),
            "dpu_hour_usd",
            r.dpu_hour_usd,
            &r.provenance,
        );
    }
    for r in book.eks.values() {
        let key = r.region.clone();
        put(
            "EMR on EKS",
            key.clone(),
            "vcpu_hour_usd",
            r.vcpu_hour_usd,
            &r.provenance,
        );
        put(
            "EMR on EKS",
            key,
            "memory_gb_hour_usd",
            r.memory_gb_hour_usd,
            &r.provenance,
        );
    }
    out
}

/// Every price that was added, removed, changed, or confirmed at a
/// different confidence, in key order.
pub fn diff(old: &PriceBook, new: &PriceBook) -> Vec<PriceChange> {
    let (a, b) = (flatten(old), flatten(new));
    let mut keys: Vec<_> = a.keys().chain(b.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (o, n) = (a.get(&k), b.get(&k));
            if o == n {
                return None;
            }
            Some(PriceChange {
                kind: k.0,
                key: k.1,
                field: k.2,
                old_usd: o.map(|v| v.0),
                new_usd: n.map(|v| v.0),
                old_confidence: o.map(|v| v.1),
                new_confidence: n.map(|v| v.1),
            })
        })
        .collect()
}
