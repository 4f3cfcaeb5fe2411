//! HTML: one self-contained page (inline CSS and SVG, no scripts, no
//! external assets) that opens offline. Every string that came from users'
//! data (job, application and file names, tags) is escaped.

use super::markup::{self, Column, Markup};
use super::{duration, ec2_cell, glue_cell, opt_usd, usd};
use crate::report::chart::Chart;
use crate::report::Report;

use super::MAX_JOB_ROWS;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}\
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}\
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}th,td{border:1px solid #ddd;padding:.3rem .55rem;vertical-align:top}\
th{background:#f4f6f8;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.headline{font-size:1.1rem;background:#f4f8fc;border-left:4px solid #1f77b4;padding:.8rem 1rem}\
figure{margin:1.2rem 0}figcaption{font-size:.85rem;color:#555}.chart svg{max-width:100%;height:auto}\
.warn{color:#a33}code{background:#f4f4f4;padding:0 .2rem}";

fn th(cols: &[&str]) -> String {
    let cells: String = cols
        .iter()
        .map(|c| format!("<th>{}</th>", escape(c)))
        .collect();
    format!("<tr>{cells}</tr>")
}

/// HTML's way of drawing a table: figures in `td.n` cells.
struct Html;

impl Markup for Html {
    fn escape(&self, s: &str) -> String {
        escape(s)
    }

    fn label(
        &self,
        name: Option<&str>,
        key: &str,
        region: Option<&str>,
        arch: Option<&str>,
    ) -> String {
        format!(
            "{} <code>{}</code> {} {}",
            escape(name.unwrap_or("")),
            escape(key),
            escape(region.unwrap_or("")),
            escape(arch.unwrap_or(""))
        )
    }

    fn total(&self) -> String {
        "<b>Total</b>".into()
    }

    fn layout(&self, columns: &[Column], rows: Vec<Vec<String>>) -> String {
        let titles: Vec<&str> = columns.iter().map(|c| c.title).collect();
        let mut o = th(&titles);
        for r in rows {
            o.push_str("<tr>");
            for (c, cell) in columns.iter().zip(r) {
                if c.numeric {
                    o.push_str(&format!("<td class=n>{cell}</td>"));
                } else {
                    o.push_str(&format!("<td>{cell}</td>"));
                }
            }
            o.push_str("</tr>");
        }
        o
    }
}

/// A section's heading and its explanation.
fn section(o: &mut String, title: &str, note: &str) {
    o.push_str(&format!(
        "<h2>{}</h2><p>{}</p>",
        escape(title),
        escape(note)
    ));
}

/// A table of already-escaped cells.
fn table<const N: usize>(o: &mut String, head: &[&str], rows: Vec<[String; N]>) {
    o.push_str("<table>");
    o.push_str(&th(head));
    for cells in rows {
        o.push_str("<tr>");
        for c in cells {
            o.push_str(&format!("<td>{c}</td>"));
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>\n");
}

/// The full report page, with the given charts inlined.
pub fn report(r: &Report, charts: &[Chart]) -> String {
    let mut o = String::with_capacity(256 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    o.push_str(&format!("<title>{}</title>", super::title(r)));
    o.push_str(&format!("<style>{STYLE}</style></head><body>\n"));
    o.push_str(&format!("<h1>{}</h1>\n", super::title(r)));
    let inputs: Vec<String> = r
        .inputs
        .iter()
        .map(|i| format!("<code>{}</code>", escape(i)))
        .collect();
    o.push_str(&format!(
        "<p>{} job runs priced from {}; {}; price snapshot <code>{}</code>.</p>\n",
        r.total.runs,
        inputs.join(", "),
        escape(&r.generated_by),
        escape(&r.price_snapshot.id)
    ));
    for line in super::headlines(r, escape) {
        o.push_str(&format!("<p class=headline>{line}</p>\n"));
    }
    o.push_str("<h2>Notes</h2><ul>");
    for n in &r.notes {
        o.push_str(&format!("<li>{}</li>", escape(n)));
    }
    o.push_str(&format!(
        "</ul>\n<h2>By {}</h2><table>",
        r.group_by.as_str()
    ));
    o.push_str(&Html.render(&markup::groups("Group", &r.groups, Some(&r.total), true)));
    o.push_str("</table>\n<h2>Charts</h2>\n");
    for c in charts {
        o.push_str(&format!(
            "<figure class=chart id=\"{}\">{}<figcaption>{}</figcaption></figure>\n",
            escape(&c.id),
            strip_xml_declaration(&c.svg),
            escape(&c.title)
        ));
    }
    o.push_str("<h2>By month</h2><table>");
    o.push_str(&Html.render(&markup::groups("Group", &r.months, None, false)));
    o.push_str("</table>\n");
    if !r.idle_preinit.is_empty() {
        section(&mut o, "Idle pre-initialized capacity", super::IDLE_NOTE);
        table(&mut o, &super::IDLE_HEADER, super::idle_rows(r, escape));
    }
    if !r.clusters.is_empty() {
        section(&mut o, "EMR on EC2 clusters", super::CLUSTER_NOTE);
        table(
            &mut o,
            &super::CLUSTER_HEADER,
            super::cluster_rows(r, escape),
        );
    }
    if let Some(c) = &r.chargeback {
        let (head, rows) = super::chargeback_table(c, escape);
        section(&mut o, "Chargeback", super::CHARGEBACK_NOTE);
        let head: Vec<&str> = head.iter().map(String::as_str).collect();
        o.push_str("<table>");
        o.push_str(&th(&head));
        for cells in rows {
            o.push_str("<tr>");
            for c in cells {
                o.push_str(&format!("<td>{c}</td>"));
            }
            o.push_str("</tr>");
        }
        o.push_str("</table>\n");
    }
    if let Some(s) = &r.startup {
        let (apps, runs, what_ifs) = super::startup_rows(s, escape);
        section(&mut o, "Why runs waited to start", "Each run's startup is the time from creation to RUNNING less the time QUEUED; its likely cause is the first of these rules that holds:");
        for list in [&s.rules, &s.assumptions] {
            o.push_str("<ul>");
            for item in list {
                o.push_str(&format!("<li>{}</li>", escape(item)));
            }
            o.push_str("</ul>");
        }
        table(&mut o, &super::STARTUP_APP_HEADER, apps);
        if !what_ifs.is_empty() {
            o.push_str("<h3>What-ifs</h3>");
            table(&mut o, &super::WHAT_IF_HEADER, what_ifs);
        }
        o.push_str("<h3>The slowest starts</h3>");
        table(&mut o, &super::STARTUP_RUN_HEADER, runs);
    }
    if let Some(s) = &r.rightsizing {
        section(
            &mut o,
            "Right-sizing: what executors used against what they were allocated",
            &s.method,
        );
        table(
            &mut o,
            &super::RIGHTSIZE_HEADER,
            super::rightsize_rows(s, escape),
        );
    }
    if !r.event_logs.is_empty() {
        section(
            &mut o,
            "EMR Serverless runs beside their event logs",
            super::EVENT_LOG_NOTE,
        );
        table(
            &mut o,
            &super::EVENT_LOG_HEADER,
            super::event_log_rows(r, escape),
        );
    }
    o.push_str("<h2>Crossovers</h2>\n");
    for g in &r.groups {
        o.push_str(&format!(
            "<h3>{}</h3>",
            escape(g.name.as_deref().unwrap_or(&g.key))
        ));
        match &g.crossovers {
            Some(x) => {
                o.push_str(&format!("<p>{}</p><ul>", escape(&x.representative)));
                for line in super::group_crossover_sentences(x) {
                    o.push_str(&format!("<li>{}</li>", escape(&line)));
                }
                o.push_str("</ul>");
            }
            None => o.push_str("<p>The median shape could not be priced.</p>"),
        }
    }
    o.push_str("\n<h2>Assumptions</h2><table>");
    o.push_str(&th(&["Setting", "Value", "Why"]));
    for a in &r.assumptions {
        o.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(a.name),
            escape(&a.value),
            escape(a.basis)
        ));
    }
    o.push_str("</table>\n<h2>Prices used</h2>");
    let p = &r.price_snapshot;
    o.push_str(&format!(
        "<p>Snapshot <code>{}</code> captured {} (loaded from {}).{}</p><ul>",
        escape(&p.id),
        escape(&p.captured_on),
        escape(&p.location),
        if p.uses_unverified_prices {
            " <span class=warn>Some prices used are marked unverified.</span>"
        } else {
            ""
        }
    ));
    for line in &p.prices_used {
        o.push_str(&format!("<li>{}</li>", escape(line)));
    }
    o.push_str("</ul><table>");
    o.push_str(&th(&["Source", "Confidence", "What it is", "Reference"]));
    for s in &p.sources {
        o.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.id),
            escape(&s.confidence),
            escape(&s.title),
            escape(&s.reference)
        ));
    }
    let np = &r.not_priced;
    let left_out = np.rejected + np.unpriced;
    o.push_str(&format!(
        "</table>\n<h2>Records not priced ({left_out})</h2>"
    ));
    if left_out > 0 {
        o.push_str("<table>");
        o.push_str(&th(&["Records", "Reason", "First"]));
        for reason in &np.by_reason {
            o.push_str(&format!(
                "<tr><td class=n>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                reason.records,
                escape(&reason.reason),
                escape(&reason.first)
            ));
        }
        o.push_str("</table>");
    }
    let listed = super::listed_records(r);
    if listed.len() < left_out {
        o.push_str(&format!(
            "<p>The first {} of {left_out} are listed; the table above counts them all.</p>",
            listed.len()
        ));
    }
    o.push_str("<ul>");
    for (at, why) in listed {
        o.push_str(&format!(
            "<li><code>{}</code>: {}</li>",
            escape(at),
            escape(why)
        ));
    }
    o.push_str(&format!("</ul>\n<h2>Job runs ({})</h2>", r.jobs.len()));
    if r.jobs.len() > MAX_JOB_ROWS {
        o.push_str(&format!(
            "<p>The first {MAX_JOB_ROWS} are listed; <code>emrcost price</code> lists every run.</p>"
        ));
    }
    o.push_str("<table>");
    o.push_str(&th(&[
        "Application",
        "Job run",
        "Job",
        "State",
        "Runtime",
        "Executors (basis)",
        "EMR Serverless",
        "EMR on EC2",
        "EC2 Spot",
        "Glue",
        "Glue Flex",
        "EMR on EKS",
        "Cheapest",
    ]));
    for j in r.jobs.iter().take(MAX_JOB_ROWS) {
        o.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=n>{}</td><td>{}</td><td class=n>{}{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td></tr>",
            escape(j.application_name.as_deref().unwrap_or(&j.application_id)),
            escape(&j.job_run_id),
            escape(j.job_name.as_deref().unwrap_or("")),
            escape(&j.state),
            duration(j.runtime_s),
            escape(&super::executors_cell(j)),
            usd(j.serverless_usd),
            super::basis_note(&j.serverless_basis),
            escape(&ec2_cell(j)),
            opt_usd(j.ec2_spot_usd),
            escape(&glue_cell(j)),
            opt_usd(j.glue_flex_usd),
            opt_usd(j.eks_usd),
            escape(j.cheapest.label()),
        ));
    }
    o.push_str("</table>\n</body></html>\n");
    o
}

/// Inline SVG must not carry an XML declaration.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
