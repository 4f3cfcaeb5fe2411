//! `emrcost pricing show`: every price with its source and date.

use std::process::ExitCode;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;

use super::super::args::{GlobalArgs, PricingShowArgs};
use super::super::output::emit;
use super::super::settings;

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
