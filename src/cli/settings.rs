//! Turns raw arguments into the library's settings, checking each value and
//! naming the flag at fault.

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};

use super::args::{GlobalArgs, InputArgs, ModelArgs};
use emrcost::cost::{Assumptions, InstanceChoice, PeakFactorBasis};
use emrcost::model::Architecture;
use emrcost::pipeline::Defaults as InputDefaults;
use emrcost::pricing::PriceBook;

/// The built-in price book, or the folder given by `--pricing`.
pub fn price_book(g: &GlobalArgs) -> anyhow::Result<PriceBook> {
    match &g.pricing {
        Some(dir) => PriceBook::from_dir(dir).with_context(|| {
            format!(
                "cannot load the price book given by --pricing {}",
                dir.display()
            )
        }),
        None => {
            PriceBook::embedded().context("the built-in price book is invalid (a build problem)")
        }
    }
}

pub fn architecture(flag: &str, raw: &str) -> anyhow::Result<Architecture> {
    raw.parse::<Architecture>()
        .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

/// Checks a `--region` value against the price book.
pub fn region(book: &PriceBook, raw: &str) -> anyhow::Result<String> {
    if !book.knows_region(raw) {
        let known: Vec<&str> = book.regions().into_iter().collect();
        bail!(
            "--region {raw}: the price book has no prices for this region; regions with prices: {}",
            known.join(", ")
        );
    }
    Ok(raw.to_string())
}

pub fn input_defaults(book: &PriceBook, i: &InputArgs) -> anyhow::Result<InputDefaults> {
    Ok(InputDefaults {
        region: i.region.as_deref().map(|r| region(book, r)).transpose()?,
        architecture: architecture("--arch", &i.arch)?,
    })
}

/// `30d`, `2026-09-01` or an RFC 3339 time, relative to `now`.
pub fn when(flag: &str, raw: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    let raw = raw.trim();
    if let Some(days) = raw.strip_suffix('d').and_then(|d| d.parse::<i64>().ok()) {
        return chrono::Duration::try_days(days)
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| {
                anyhow::anyhow!("{flag} {raw}: that many days from today is not a date; use fewer")
            });
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!("{flag} {raw}: use 30d (days ago), 2026-09-01 or an RFC 3339 time")
        })
}

/// The assumptions from the flags, checked against the price book.
/// The book the options are priced with: the list prices, less the
/// enterprise discount when one is given.
pub fn discounted(book: PriceBook, a: &Assumptions) -> PriceBook {
    if a.edp_discount > 0.0 {
        book.with_edp_discount(a.edp_discount)
    } else {
        book
    }
}

pub fn assumptions(book: &PriceBook, m: &ModelArgs) -> anyhow::Result<Assumptions> {
    let defaults = Assumptions::default();
    let ec2_instance: InstanceChoice = m
        .instance_type
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--instance-type: {e}"))?;
    if let InstanceChoice::Fixed(t) = &ec2_instance {
        book.instance_type(t)
            .map_err(|e| anyhow::anyhow!("--instance-type: {e}"))?;
    }
    let ec2_primary_instance: InstanceChoice = m
        .primary_instance_type
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--primary-instance-type: {e}"))?;
    if let InstanceChoice::Fixed(t) = &ec2_primary_instance {
        book.instance_type(t)
            .map_err(|e| anyhow::anyhow!("--primary-instance-type: {e}"))?;
    }
    fn choice<T: std::str::FromStr<Err = String>>(flag: &str, raw: &str) -> anyhow::Result<T> {
        raw.parse()
            .map_err(|e: String| anyhow::anyhow!("{flag}: {e}"))
    }
    let (peak_factor, peak_factor_basis) = match m.peak_factor {
        Some(f) => (f, PeakFactorBasis::Flag),
        None => (defaults.peak_factor, defaults.peak_factor_basis.clone()),
    };
    let a = Assumptions {
        ec2_provisioning_seconds: m
            .provisioning_seconds
            .unwrap_or(defaults.ec2_provisioning_seconds),
        ec2_teardown_seconds: m.teardown_seconds.unwrap_or(defaults.ec2_teardown_seconds),
        ec2_scale_in_lag_seconds: m
            .scale_in_lag_seconds
            .unwrap_or(defaults.ec2_scale_in_lag_seconds),
        eks_node_provisioning_seconds: m
            .eks_node_provisioning_seconds
            .unwrap_or(defaults.eks_node_provisioning_seconds),
        ec2_sizing: choice("--ec2-sizing", &m.ec2_sizing)?,
        ec2_arch: choice("--ec2-arch", &m.ec2_arch)?,
        glue_sizing: choice("--glue-sizing", &m.glue_sizing)?,
        glue_mapping: choice("--glue-mapping", &m.glue_mapping)?,
        peak_factor,
        peak_factor_basis,
        ec2_instance,
        ec2_primary_instance,
        ec2_spot_discount: m.spot_discount,
        ec2_discount: m.ec2_discount,
        edp_discount: m.edp_discount,
        speed_factor_serverless: m.speed_serverless,
        speed_factor_ec2: m.speed_ec2,
        speed_factor_glue: m.speed_glue,
        memory_overhead_factor: m.memory_overhead_factor,
        glue_version: m
            .glue_version
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--glue-version: {e}"))?,
        hours_per_month: m.hours_per_month,
        ..defaults
    };
    a.validate().map_err(anyhow::Error::msg)?;
    Ok(a)
}
