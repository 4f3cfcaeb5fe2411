//! `emrcost pricing show`: every price with its source and date.

use std::process::ExitCode;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;

use std::path::Path;

use anyhow::Context;

use super::super::args::{Format, GlobalArgs, PricingDiffArgs, PricingShowArgs, PricingUpdateArgs};
use super::super::output::{emit, note};
use super::super::settings;
use emrcost::pricing::offer::OfferSource;
use emrcost::pricing::update::{update as refresh, UpdateOptions};
use emrcost::pricing::{diff as price_diff, write, PriceBook};

pub fn show(g: &GlobalArgs, a: &PricingShowArgs) -> anyhow::Result<ExitCode> {
    let book = settings::price_book(g)?;
    if let Some(r) = &a.region {
        settings::region(&book, r)?;
    }
    let wanted = |region: &str| a.region.as_deref().is_none_or(|r| r == region);
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "Service",
        "Region",
        "Key",
        "Price (USD)",
        "Source",
        "Confidence",
        "Effective",
    ]);
    for r in book.serverless.values().filter(|r| wanted(&r.region)) {
        t.add_row(vec![
            "EMR Serverless".to_string(),
            r.region.clone(),
            r.architecture.to_string(),
            format!(
                "{}/vCPU-h, {}/GB-h, {}/storage GB-h",
                r.vcpu_hour_usd, r.memory_gb_hour_usd, r.storage_gb_hour_usd
            ),
            r.provenance.source.clone(),
            r.provenance.confidence.to_string(),
            r.provenance.effective_date.to_string(),
        ]);
    }
    for r in book.ec2.values().filter(|r| wanted(&r.region)) {
        t.add_row(vec![
            "EMR on EC2".to_string(),
            r.region.clone(),
            r.instance_type.clone(),
            format!("EC2 {}/h + EMR {}/h", r.ec2_hour_usd, r.emr_hour_usd),
            r.provenance.source.clone(),
            r.provenance.confidence.to_string(),
            r.provenance.effective_date.to_string(),
        ]);
    }
    for r in book.ebs.values().filter(|r| wanted(&r.region)) {
        t.add_row(vec![
            "EBS".to_string(),
            r.region.clone(),
            r.volume_type.clone(),
            format!("{}/GB-month", r.gb_month_usd),
            r.provenance.source.clone(),
            r.provenance.confidence.to_string(),
            r.provenance.effective_date.to_string(),
        ]);
    }
    for r in book.glue.values().filter(|r| wanted(&r.region)) {
        t.add_row(vec![
            "Glue".to_string(),
            r.region.clone(),
            r.class.to_string(),
            format!("{}/DPU-h", r.dpu_hour_usd),
            r.provenance.source.clone(),
            r.provenance.confidence.to_string(),
            r.provenance.effective_date.to_string(),
        ]);
    }
    let mut it = Table::new();
    it.load_preset(UTF8_FULL_CONDENSED);
    it.set_header([
        "Instance type",
        "Arch",
        "vCPU",
        "Memory GiB",
        "YARN MB",
        "YARN vcores",
        "EBS GiB",
        "Source",
        "Confidence",
    ]);
    for i in book.instance_types.values() {
        it.add_row(vec![
            i.name.clone(),
            i.architecture.to_string(),
            i.vcpu.to_string(),
            i.memory_gib.to_string(),
            i.yarn_memory_mb.to_string(),
            i.yarn_vcores.to_string(),
            i.ebs_default_gib.to_string(),
            i.provenance.source.clone(),
            i.provenance.confidence.to_string(),
        ]);
    }
    let mut st = Table::new();
    st.load_preset(UTF8_FULL_CONDENSED);
    st.set_header(["Source", "Confidence", "What it is", "Reference"]);
    for s in book.sources.values() {
        st.add_row(vec![
            s.id.clone(),
            s.confidence.to_string(),
            s.title.clone(),
            s.reference.clone(),
        ]);
    }
    let text = format!(
        "Price snapshot {} captured {} ({})\n{}\n\n{}\n\nInstance types:\n{}\n\nSources:\n{}\n",
        book.snapshot.id,
        book.snapshot.captured_on,
        book.snapshot.location,
        book.snapshot.notes,
        t,
        it,
        st
    );
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn load(raw: &str, what: &str) -> anyhow::Result<PriceBook> {
    if raw == "builtin" {
        return Ok(PriceBook::embedded()?);
    }
    PriceBook::from_dir(Path::new(raw))
        .with_context(|| format!("cannot load the {what} snapshot {raw}"))
}

pub fn update(g: &GlobalArgs, a: &PricingUpdateArgs) -> anyhow::Result<ExitCode> {
    let base = match &a.base {
        Some(dir) => {
            PriceBook::from_dir(dir).with_context(|| format!("--base {}", dir.display()))?
        }
        None if a.out.join("snapshot.csv").exists() => {
            PriceBook::from_dir(&a.out).with_context(|| {
                format!(
                    "the snapshot in --out {} is invalid; fix it or pass --base",
                    a.out.display()
                )
            })?
        }
        None => PriceBook::embedded()?,
    };
    let opts = UpdateOptions {
        source: OfferSource::parse(&a.from),
        regions: a.regions.clone(),
    };
    let updated = refresh(&base, &opts).context("the snapshot was not changed")?;
    for line in &updated.dropped {
        tracing::info!("{line}");
    }
    for f in &updated.files {
        note(
            g.quiet,
            &format!(
                "read {} ({:.1} MB, {} rows kept, {:.1} MB/s)",
                f.location,
                f.bytes as f64 / 1e6,
                f.rows,
                f.bytes as f64 / 1e6 / f.seconds.max(1e-9)
            ),
        );
    }
    write::write_dir(&updated.book, &a.out)
        .with_context(|| format!("cannot write the snapshot to {}", a.out.display()))?;
    let changes = price_diff::diff(&base, &updated.book);
    note(
        g.quiet,
        &format!(
            "wrote snapshot {} to {}: {} price(s) added, {} changed, {} confirmed at a new confidence; {} row(s) dropped (-v lists them)",
            updated.book.snapshot.id,
            a.out.display(),
            changes.iter().filter(|c| c.what() == "added").count(),
            changes.iter().filter(|c| c.what() == "changed").count(),
            changes.iter().filter(|c| c.what() == "confirmed").count(),
            updated.dropped.len()
        ),
    );
    Ok(ExitCode::SUCCESS)
}

pub fn diff(_g: &GlobalArgs, a: &PricingDiffArgs) -> anyhow::Result<ExitCode> {
    let old = load(&a.old, "old")?;
    let new = load(&a.new, "new")?;
    let changes = price_diff::diff(&old, &new);
    let fmt_usd = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    let fmt_conf =
        |c: Option<emrcost::pricing::Confidence>| c.map(|c| c.to_string()).unwrap_or_default();
    let text = match a.format {
        Format::Json => emrcost::report::export::json::render(&changes),
        Format::Csv | Format::Md | Format::Table => {
            let header = [
                "Change",
                "Service",
                "Key",
                "Price",
                "Old",
                "New",
                "Change %",
                "Confidence",
            ];
            let rows: Vec<Vec<String>> = changes
                .iter()
                .map(|c| {
                    vec![
                        c.what().to_string(),
                        c.kind.to_string(),
                        c.key.clone(),
                        c.field.to_string(),
                        fmt_usd(c.old_usd),
                        fmt_usd(c.new_usd),
                        c.percent().map(|p| format!("{p:+.2}%")).unwrap_or_default(),
                        match (c.old_confidence, c.new_confidence) {
                            (a, b) if a == b => fmt_conf(b),
                            (None, b) => fmt_conf(b),
                            (a, b) => format!("{} -> {}", fmt_conf(a), fmt_conf(b)),
                        },
                    ]
                })
                .collect();
            match a.format {
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(Vec::new());
                    w.write_record(header)?;
                    for r in &rows {
                        // The text columns (change, service, key) are made safe
                        // for spreadsheets; figures are left as they are.
                        w.write_record(r.iter().enumerate().map(|(k, c)| {
                            if k < 3 {
                                emrcost::report::export::csv::text_cell(c.as_ref()).into_owned()
                            } else {
                                c.to_string()
                            }
                        }))?;
                    }
                    String::from_utf8(w.into_inner()?)?
                }
                Format::Md => {
                    let mut out = format!(
                        "| {} |\n|{}\n",
                        header.join(" | "),
                        " --- |".repeat(header.len())
                    );
                    for r in &rows {
                        out.push_str(&format!("| {} |\n", r.join(" | ")));
                    }
                    out
                }
                _ => {
                    let mut t = Table::new();
                    t.load_preset(UTF8_FULL_CONDENSED);
                    t.set_header(header);
                    for r in rows {
                        t.add_row(r);
                    }
                    format!(
                        "{t}\n{} difference(s) between {} and {}\n",
                        changes.len(),
                        a.old,
                        a.new
                    )
                }
            }
        }
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}
