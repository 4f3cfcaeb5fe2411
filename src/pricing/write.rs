//! Writes a [`PriceBook`] back to CSV files the loader reads: the same
//! columns, rows in key order, numbers in their shortest exact form, so that
//! writing the same book twice gives the same bytes.

use std::path::Path;

use super::book::FILES;
use super::{PriceBook, PriceBookError, Provenance};

fn num(v: f64) -> String {
    format!("{v}")
}

fn prov(p: &Provenance) -> [String; 3] {
    [
        p.source.clone(),
        p.confidence.to_string(),
        p.effective_date.to_string(),
    ]
}

fn csv_text(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn columns(name: &str) -> &'static [&'static str] {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, c)| *c)
}

/// Every file of the book, `(name, contents)`, in load order.
pub fn render(book: &PriceBook) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let s = &book.snapshot;
    out.push((
        "snapshot.csv",
        vec![vec![
            s.id.clone(),
            s.captured_on.to_string(),
            s.notes.clone(),
        ]],
    ));
    out.push((
        "sources.csv",
        book.sources
            .values()
            .map(|s| {
                vec![
                    s.id.clone(),
                    s.confidence.to_string(),
                    s.title.clone(),
                    s.reference.clone(),
                ]
            })
            .collect(),
    ));
    out.push((
        "serverless.csv",
        book.serverless
            .values()
            .map(|r| {
                let mut row = vec![
                    r.region.clone(),
                    r.architecture.to_string(),
                    num(r.vcpu_hour_usd),
                    num(r.memory_gb_hour_usd),
                    num(r.storage_gb_hour_usd),
                ];
                row.extend(prov(&r.provenance));
                row
            })
            .collect(),
    ));
    out.push((
        "instance_types.csv",
        book.instance_types
            .values()
            .map(|t| {
                let mut row = vec![
                    t.name.clone(),
                    t.architecture.to_string(),
                    t.vcpu.to_string(),
                    num(t.memory_gib),
                    t.yarn_memory_mb.to_string(),
                    t.yarn_vcores.to_string(),
                    num(t.ebs_default_gib),
                ];
                row.extend(prov(&t.provenance));
                row.push(t.notes.clone().unwrap_or_default());
                row
            })
            .collect(),
    ));
    out.push((
        "ec2_prices.csv",
        book.ec2
            .values()
            .map(|r| {
                let mut row = vec![
                    r.region.clone(),
                    r.instance_type.clone(),
                    num(r.ec2_hour_usd),
                    num(r.emr_hour_usd),
                ];
                row.extend(prov(&r.provenance));
                row.push(r.notes.clone().unwrap_or_default());
                row
            })
            .collect(),
    ));
    out.push((
        "ebs.csv",
        book.ebs
            .values()
            .map(|r| {
                let mut row = vec![r.region.clone(), r.volume_type.clone(), num(r.gb_month_usd)];
                row.extend(prov(&r.provenance));
                row
            })
            .collect(),
    ));
    let mut workers: Vec<_> = book.glue_workers.iter().collect();
    workers.sort_by(|a, b| a.dpu.total_cmp(&b.dpu).then(a.name.cmp(&b.name)));
    out.push((
        "glue_workers.csv",
        workers
            .into_iter()
            .map(|w| {
                let mut row = vec![
                    w.name.clone(),
                    num(w.dpu),
                    num(w.vcpu),
                    num(w.memory_gb),
                    num(w.disk_gb),
                    w.batch.to_string(),
                ];
                row.extend(prov(&w.provenance));
                row
            })
            .collect(),
    ));
    out.push((
        "glue_prices.csv",
        book.glue
            .values()
            .map(|r| {
                let mut row = vec![r.region.clone(), r.class.to_string(), num(r.dpu_hour_usd)];
                row.extend(prov(&r.provenance));
                row
            })
            .collect(),
    ));
    out.push((
        super::book::EKS_FILE,
        book.eks
            .values()
            .map(|r| {
                let mut row = vec![
                    r.region.clone(),
                    "ec2".to_string(),
                    num(r.vcpu_hour_usd),
                    num(r.memory_gb_hour_usd),
                ];
                row.extend(prov(&r.provenance));
                row
            })
            .collect(),
    ));
    out.into_iter()
        .map(|(name, rows)| (name, csv_text(columns(name), rows)))
        .collect()
}

/// Writes the book into `dir` as a whole: the files are rendered and
/// loaded back as any book would be, then written as a new folder that is
/// swapped in for the old one (see [`crate::files::replace_folder`]), so a
/// reader sees the old book or the new one, never a mix. Other files in
/// `dir` (a README) are kept.
pub fn write_dir(book: &PriceBook, dir: &Path) -> Result<(), PriceBookError> {
    let files = render(book);
    // The rendered book must load exactly as any book would.
    PriceBook::from_texts(&dir.display().to_string(), &files)?;
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(name, text)| (name.to_string(), text.into_bytes()))
        .collect();
    let managed = |name: &str| FILES.iter().any(|(n, _)| *n == name);
    crate::files::replace_folder(
        dir,
        &files,
        &crate::files::FolderKind {
            marker: "snapshot.csv",
            managed: &managed,
        },
    )
    .map(|_| ())
    .map_err(PriceBookError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded book survives a write and a reload unchanged, and a
    /// second write gives the same bytes.
    #[test]
    fn round_trip_is_exact() {
        let book = PriceBook::embedded().unwrap();
        let dir = tempfile::tempdir().unwrap();
        write_dir(&book, dir.path()).unwrap();
        let again = PriceBook::from_dir(dir.path()).unwrap();
        assert_eq!(again.serverless, book.serverless);
        assert_eq!(again.ec2, book.ec2);
        assert_eq!(again.instance_types, book.instance_types);
        assert_eq!(again.glue, book.glue);
        assert_eq!(again.eks, book.eks);
        assert_eq!(again.glue_workers, book.glue_workers);
        assert_eq!(again.ebs, book.ebs);
        assert_eq!(again.sources, book.sources);
        let first: Vec<_> = render(&book);
        assert_eq!(first, render(&again));
    }
}
