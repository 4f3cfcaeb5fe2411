//! Tables declared once and drawn by each format: the description says
//! which columns there are and what each cell holds; a [`Markup`] says how
//! its format draws a label, the total, a row and the header (as
//! hyperfine's `MarkupExporter` lets each format override only its row
//! and divider).

use super::{opt_usd, queue_spread, runtime_spread, usd, usd_range};
use crate::cost::DeploymentOption;
use crate::report::GroupSummary;

/// Where a column is shown: report pages have room for more than a
/// terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Everywhere,
    /// Markdown and HTML.
    Page,
    /// The terminal.
    Screen,
    /// Nowhere (a column with nothing to say in this table).
    Never,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    /// Figures are right-aligned.
    pub numeric: bool,
    pub show: Show,
}

/// What a cell holds, before a format draws it.
#[derive(Debug, Clone)]
pub enum Cell {
    /// A group of runs, named.
    Label {
        name: Option<String>,
        key: String,
        region: Option<String>,
        architecture: Option<String>,
    },
    /// A group known by its key alone (a month).
    Key(String),
    /// The total row's label.
    Total,
    /// Text as it is shown (escaped by the format).
    Plain(String),
}

/// A table: columns and rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// How one format draws tables.
pub trait Markup {
    /// Whether this is the terminal (which shows [`Show::Screen`] columns
    /// and not [`Show::Page`] ones).
    fn screen(&self) -> bool {
        false
    }
    fn escape(&self, s: &str) -> String;
    fn label(
        &self,
        name: Option<&str>,
        key: &str,
        region: Option<&str>,
        architecture: Option<&str>,
    ) -> String;
    fn total(&self) -> String;
    /// The drawn table from its visible columns and drawn cells.
    fn layout(&self, columns: &[Column], rows: Vec<Vec<String>>) -> String;

    /// Draws `t`.
    fn render(&self, t: &Table) -> String {
        let visible: Vec<usize> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| match c.show {
                Show::Everywhere => true,
                Show::Page => !self.screen(),
                Show::Screen => self.screen(),
                Show::Never => false,
            })
            .map(|(i, _)| i)
            .collect();
        let columns: Vec<Column> = visible.iter().map(|i| t.columns[*i]).collect();
        let rows = t
            .rows
            .iter()
            .map(|row| {
                visible
                    .iter()
                    .map(|i| match &row[*i] {
                        Cell::Label {
                            name,
                            key,
                            region,
                            architecture,
                        } => self.label(
                            name.as_deref(),
                            key,
                            region.as_deref(),
                            architecture.as_deref(),
                        ),
                        Cell::Key(k) => self.escape(k),
                        Cell::Total => self.total(),
                        Cell::Plain(s) => self.escape(s),
                    })
                    .collect()
            })
            .collect();
        self.layout(&columns, rows)
    }
}

const fn col(title: &'static str, numeric: bool, show: Show) -> Column {
    Column {
        title,
        numeric,
        show,
    }
}

/// The summary table of groups (and the total, if given): runs, runtimes,
/// queue times, the cost on every option, the cheapest and the saving.
/// `first` titles the label column; `named` groups are labelled with their
/// name, region and architecture, the others (months) by their key.
pub fn groups(
    first: &'static str,
    groups: &[GroupSummary],
    total: Option<&GroupSummary>,
    named: bool,
) -> Table {
    let columns = vec![
        col(first, false, Show::Everywhere),
        // Groups by month, state or region have no one region and
        // architecture to show.
        col(
            "Region / arch",
            false,
            if groups.iter().any(|g| g.region.is_some()) {
                Show::Screen
            } else {
                Show::Never
            },
        ),
        col("Runs (ok/failed/cancelled)", true, Show::Everywhere),
        col("Runtime h", true, Show::Page),
        col("Runtime p50 / p95 / max", true, Show::Everywhere),
        col("Queue p50 / p95", true, Show::Page),
        col(
            if groups
                .iter()
                .chain(total)
                .any(|g| g.glue_billed_usd > 0.0 || g.ec2_billed_usd > 0.0)
            {
                "EMR Serverless (billed; estimated for runs elsewhere)"
            } else {
                "EMR Serverless (billed)"
            },
            true,
            Show::Everywhere,
        ),
        col("EMR on EC2", true, Show::Everywhere),
        col("EC2 Spot", true, Show::Everywhere),
        col("Glue", true, Show::Everywhere),
        col("Glue Flex", true, Show::Everywhere),
        col("EMR on EKS", true, Show::Everywhere),
        col("Cheapest", false, Show::Everywhere),
        col("Saving if moved", true, Show::Everywhere),
        col(
            "What-if: EMR on EC2 on Graviton",
            true,
            if groups
                .iter()
                .any(|g| g.architecture.as_deref() == Some("x86_64"))
                || total.is_some()
            {
                Show::Page
            } else {
                Show::Never
            },
        ),
    ];
    // Where a peak is estimated, the low end: sized to the average executors.
    let ranged = |g: &GroupSummary, o: DeploymentOption| {
        let high = g.costs.get(o);
        match g.costs_at_average {
            Some(low) => usd_range(low.get(o), high),
            None => opt_usd(high),
        }
    };
    let row = |label: Cell, where_: String, g: &GroupSummary| {
        vec![
            label,
            Cell::Plain(where_),
            Cell::Plain(format!(
                "{} ({}/{}/{})",
                g.runs, g.succeeded, g.failed, g.cancelled
            )),
            Cell::Plain(format!("{:.1}", g.runtime_hours)),
            Cell::Plain(runtime_spread(g)),
            Cell::Plain(queue_spread(g)),
            Cell::Plain(usd(g.costs.emr_serverless_usd)),
            Cell::Plain(ranged(g, DeploymentOption::Ec2OnDemand)),
            Cell::Plain(ranged(g, DeploymentOption::Ec2Spot)),
            Cell::Plain(ranged(g, DeploymentOption::GlueStandard)),
            Cell::Plain(ranged(g, DeploymentOption::GlueFlex)),
            Cell::Plain(ranged(g, DeploymentOption::EmrOnEks)),
            Cell::Plain(match g.costs_at_average.map(|low| low.cheapest().0) {
                Some(low) if low != g.cheapest => {
                    format!("{} ({} at the average)", g.cheapest.label(), low.label())
                }
                _ => g.cheapest.label().to_string(),
            }),
            Cell::Plain(usd_range(
                Some(g.saving_usd),
                g.saving_at_average_usd.or(Some(g.saving_usd)),
            )),
            Cell::Plain(opt_usd(g.ec2_graviton_usd)),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = groups
        .iter()
        .map(|g| {
            let where_ = format!(
                "{} / {}",
                g.region.as_deref().unwrap_or("-"),
                g.architecture.as_deref().unwrap_or("-")
            );
            let label = if named {
                Cell::Label {
                    name: g.name.clone(),
                    key: g.key.clone(),
                    region: g.region.clone(),
                    architecture: g.architecture.clone(),
                }
            } else {
                Cell::Key(g.key.clone())
            };
            row(label, where_, g)
        })
        .collect();
    if let Some(t) = total {
        rows.push(row(Cell::Total, String::new(), t));
    }
    Table { columns, rows }
}
