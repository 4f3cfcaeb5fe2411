//! Fleet aggregation: what a report needs of every priced run.
//!
//! Each run is priced once (by the caller) and pushed. Its counts and sums
//! go straight into its (group, month) [`Cell`]: runs by state, runs with
//! no figure on an option, the runtime's maximum, and the exact sums of
//! runtime and of its cost on every option. A group's figures, a month's
//! and the total are then sums of cells (exact, so they do not depend on
//! the order anything was added in). Only what percentiles and charts
//! need is kept per run, as plain columns: group, month, runtime, queue
//! time, EMR Serverless cost and the shape. Percentiles are nearest rank
//! (the smallest value with at least p of the values at or below it,
//! polars' `Equiprobable`).
//!
//! Builders fill in parallel (one per chunk of runs) and merge, so a fleet
//! of millions never exists as records, only as these columns.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

use polars::prelude::*;

use super::model::{GroupSummary, OptionGap, OptionTotals};
use super::ranks;
use crate::cost::serverless::UsageBasis;
use crate::cost::{CompactCost, DeploymentOption};
use crate::model::{month_of_ms, Architecture, JobRun, JobState, RunFacts, ShapeBasis, WorkerSize};

/// The options that can be missing for a run.
pub(crate) const OPTIONAL: [DeploymentOption; N_OPTIONAL] = crate::cost::SIZED_OPTIONS;
const N_OPTIONAL: usize = crate::cost::SIZED_OPTIONS.len();

/// What a group is, from its first run.
#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub key: String,
    pub application_name: Option<String>,
    pub region: String,
    pub architecture: Architecture,
}

/// Sums kept per (group, month) cell: runtime, EMR Serverless, the
/// [`OPTIONAL`] options, the same sized to the average executors, and EMR
/// on EC2 on Graviton.
const SUMS: usize = 6 + 2 * N_OPTIONAL;
const AT_AVERAGE: usize = 2 + N_OPTIONAL;
const GRAVITON: usize = AT_AVERAGE + N_OPTIONAL;
/// What the runs cost where they ran, and of that what Glue billed.
const CURRENT: usize = GRAVITON + 1;
const GLUE_BILLED: usize = GRAVITON + 2;
const EC2_BILLED: usize = GRAVITON + 3;

/// Executor and driver size of a run's shape.
type Sizes = (WorkerSize, WorkerSize);

fn size_key(s: &Sizes) -> [u64; 6] {
    [
        s.0.vcpu.to_bits(),
        s.0.memory_gb.to_bits(),
        s.0.disk_gb.to_bits(),
        s.1.vcpu.to_bits(),
        s.1.memory_gb.to_bits(),
        s.1.disk_gb.to_bits(),
    ]
}

/// A sum of figures that does not depend on the order they are added in,
/// or on how the runs were cut into parts (CSV and Parquet are cut
/// differently): each figure is held as a whole number of 2^-64 units
/// (rounded down: exact for anything from 2^-12 up, smaller figures lose
/// under 2^-64), so adding is exact, and the sum is rounded to `f64` once,
/// when read.
/// The check bounds every figure (1e9 USD, 30 days), so 10 billion of
/// them fit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Exact(i128);

impl Exact {
    const UNIT: f64 = 18_446_744_073_709_551_616.0; // 2^64

    /// `v` in 2^-64 units: its whole part and its fraction apart, two
    /// cheap conversions instead of a float-to-i128 call.
    fn units(v: f64) -> i128 {
        if !v.is_finite() {
            return 0;
        }
        let mut whole = v as i64;
        // Exact: a float less its whole part.
        let mut frac = v - whole as f64;
        if frac < 0.0 {
            whole -= 1;
            frac += 1.0;
        }
        (i128::from(whole) << 64) + i128::from((frac * Self::UNIT) as u64)
    }

    #[cfg(test)]
    fn add(&mut self, v: f64) {
        self.add_units(Self::units(v));
    }

    fn add_units(&mut self, u: i128) {
        // Cannot overflow within the check's bounds (above); wrapping is a
        // plain add with carry.
        self.0 = self.0.wrapping_add(u);
    }

    fn merge(&mut self, other: Exact) {
        self.add_units(other.0);
    }

    fn merge_all(sums: &mut [Exact; SUMS], other: &[Exact; SUMS]) {
        for (s, a) in sums.iter_mut().zip(other) {
            s.merge(*a);
        }
    }

    fn value(self) -> f64 {
        self.0 as f64 / Self::UNIT
    }
}

/// The runs of one group in one month: counts, the runtime's maximum and
/// exact sums. Cells add up (in any order) to a group's figures, a month's
/// and the total.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    runs: usize,
    succeeded: usize,
    failed: usize,
    cancelled: usize,
    /// `None` until a run is added.
    runtime_max: Option<f64>,
    /// Runs with no figure on each [`OPTIONAL`] option, and on EMR on EC2
    /// on Graviton.
    missing: [usize; N_OPTIONAL],
    graviton_missing: usize,
    from_total: usize,
    peak_estimated: usize,
    sums: [Exact; SUMS],
}

impl Cell {
    fn merge(&mut self, o: &Cell) {
        self.runs += o.runs;
        self.succeeded += o.succeeded;
        self.failed += o.failed;
        self.cancelled += o.cancelled;
        self.runtime_max = match (self.runtime_max, o.runtime_max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (m, n) in self.missing.iter_mut().zip(o.missing) {
            *m += n;
        }
        self.graviton_missing += o.graviton_missing;
        self.from_total += o.from_total;
        self.peak_estimated += o.peak_estimated;
        Exact::merge_all(&mut self.sums, &o.sums);
    }
}

/// Per-run columns plus the small tables their codes point into.
#[derive(Default)]
pub struct FleetBuilder {
    groups: Vec<GroupInfo>,
    group_index: PlHashMap<String, u32>,
    months: Vec<String>,
    month_index: PlHashMap<String, u32>,
    /// [start, end) of a month in epoch milliseconds -> its month code (no
    /// date arithmetic per run); `None` for runs with no time.
    month_codes: Vec<(Option<(i64, i64)>, u32)>,
    sizes: Vec<Sizes>,
    size_index: PlHashMap<[u64; 6], u32>,

    group: Vec<u32>,
    month: Vec<u32>,
    runtime: Vec<f64>,
    queue: Vec<Option<f64>>,
    serverless: Vec<f64>,
    executors: Vec<f64>,
    peak: Vec<f64>,
    /// Runs per (group, size code): the group's most common size.
    size_counts: Vec<Vec<usize>>,

    /// Counts and sums per group code, then month code. The sums are
    /// exact ([`Exact`]): polars' parallel sums round differently from run
    /// to run, and float sums kept per part differ with where the input was
    /// cut; these are the same every time and from every format, so reports
    /// are byte-for-byte reproducible.
    cells: Vec<Vec<Cell>>,
    /// First reason EMR on EC2 / Glue had no figure, per group and month.
    gaps: BTreeMap<(u8, u32, usize), String>,
    pub(crate) average_shapes: usize,
    pub(crate) from_total_count: usize,
    pub(crate) event_log_count: usize,
    /// Glue runs: their Glue cost is their own, EMR Serverless estimated.
    pub(crate) glue_count: usize,
    /// EMR on EC2 steps: their EMR on EC2 cost is their cluster's share.
    pub(crate) ec2_count: usize,
    pub(crate) flex_cheapest: usize,
}

const BY_GROUP: u8 = 0;
const BY_MONTH: u8 = 1;

fn intern(index: &mut PlHashMap<String, u32>, table_len: usize, key: &str) -> (u32, bool) {
    match index.get(key) {
        Some(i) => (*i, false),
        None => {
            let i = table_len as u32;
            index.insert(key.to_string(), i);
            (i, true)
        }
    }
}

impl FleetBuilder {
    pub fn with_capacity(n: usize) -> FleetBuilder {
        let mut b = FleetBuilder::default();
        b.reserve(n);
        b
    }

    /// Room for `n` more runs (a source that knows its size says so, and
    /// the columns are not copied as they grow).
    pub fn reserve(&mut self, n: usize) {
        self.group.reserve(n);
        self.month.reserve(n);
        self.runtime.reserve(n);
        self.queue.reserve(n);
        self.serverless.reserve(n);
        self.executors.reserve(n);
        self.peak.reserve(n);
    }

    /// The month code of a run that started at `start_ms`.
    fn month_code(&mut self, start_ms: Option<i64>) -> u32 {
        let hit = self
            .month_codes
            .iter()
            .find(|(range, _)| match (range, start_ms) {
                (Some((lo, hi)), Some(t)) => *lo <= t && t < *hi,
                (None, None) => true,
                _ => false,
            });
        if let Some((_, m)) = hit {
            return *m;
        }
        let start = start_ms.and_then(DateTime::<Utc>::from_timestamp_millis);
        let range = start.and_then(|t| {
            let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1)?;
            let next = first.checked_add_months(Months::new(1))?;
            let ms = |d: NaiveDate| {
                d.and_hms_opt(0, 0, 0)
                    .map(|d| d.and_utc().timestamp_millis())
            };
            Some((ms(first)?, ms(next)?))
        });
        let month = start_ms
            .and_then(month_of_ms)
            .unwrap_or_else(|| "unknown".to_string());
        let (m, new) = intern(&mut self.month_index, self.months.len(), &month);
        if new {
            self.months.push(month);
        }
        self.month_codes.push((range, m));
        m
    }

    pub fn len(&self) -> usize {
        self.runtime.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runtime.is_empty()
    }

    /// Adds one priced run under `group_key`.
    pub fn push(&mut self, run: &JobRun, c: &CompactCost, group_key: &str) {
        self.push_parts(&run.facts(), c, group_key, &run.region, || {
            run.application_name.clone()
        });
    }

    /// [`FleetBuilder::push`] from a run's figures, with its region and
    /// application name given apart (a scan reads them from columns; the
    /// name is asked for only by a group's first run).
    pub fn push_parts(
        &mut self,
        run: &RunFacts,
        c: &CompactCost,
        group_key: &str,
        region: &str,
        application_name: impl FnOnce() -> Option<String>,
    ) {
        let (g, new) = intern(&mut self.group_index, self.groups.len(), group_key);
        if new {
            self.groups.push(GroupInfo {
                key: group_key.to_string(),
                application_name: application_name(),
                region: region.to_string(),
                architecture: run.architecture,
            });
        }
        let m = self.month_code(run.start_ms);
        let sizes = (c.shape.executor, c.shape.driver);
        let sk = size_key(&sizes);
        let s = match self.size_index.get(&sk) {
            Some(i) => *i,
            None => {
                let i = self.sizes.len() as u32;
                self.size_index.insert(sk, i);
                self.sizes.push(sizes);
                i
            }
        };
        let mut add = [0.0; SUMS];
        add[0] = c.runtime_s;
        add[1] = c.serverless_usd;
        for (i, option) in OPTIONAL.iter().enumerate() {
            add[2 + i] = c.usd(*option).unwrap_or(0.0);
            add[AT_AVERAGE + i] = c.usd_at_average(*option).unwrap_or(0.0);
        }
        add[GRAVITON] = c.ec2_graviton_usd.unwrap_or(0.0);
        add[CURRENT] = c.current_usd();
        match c.current {
            DeploymentOption::GlueStandard | DeploymentOption::GlueFlex => {
                add[GLUE_BILLED] = c.current_usd()
            }
            DeploymentOption::Ec2OnDemand | DeploymentOption::Ec2Spot => {
                add[EC2_BILLED] = c.current_usd()
            }
            DeploymentOption::EmrServerless | DeploymentOption::EmrOnEks => {}
        }
        let cell = Self::cell(&mut self.cells, g, m);
        for (s, a) in cell.sums.iter_mut().zip(add) {
            s.add_units(Exact::units(a));
        }
        cell.runs += 1;
        match run.state {
            JobState::Success => cell.succeeded += 1,
            JobState::Failed => cell.failed += 1,
            JobState::Cancelled => cell.cancelled += 1,
            _ => {}
        }
        cell.runtime_max = Some(cell.runtime_max.map_or(c.runtime_s, |x| x.max(c.runtime_s)));
        cell.graviton_missing += usize::from(c.ec2_graviton_usd.is_none());
        cell.from_total += usize::from(c.basis == UsageBasis::TotalWithRules);
        cell.peak_estimated += usize::from(c.shape.peak_estimated);
        for (i, option) in OPTIONAL.iter().enumerate() {
            if c.usd(*option).is_none() {
                cell.missing[i] += 1;
                if let Some(reason) = c.gap(*option) {
                    for key in [(BY_GROUP, g, i), (BY_MONTH, m, i)] {
                        self.gaps.entry(key).or_insert_with(|| reason.to_string());
                    }
                }
            }
        }
        self.group.push(g);
        self.month.push(m);
        self.runtime.push(c.runtime_s);
        self.queue.push(run.queued_ms.map(|q| q as f64 / 1000.0));
        self.serverless.push(c.serverless_usd);
        self.executors.push(c.shape.executors);
        self.peak.push(c.shape.peak_executors);
        if self.size_counts.len() <= g as usize {
            self.size_counts.resize(g as usize + 1, Vec::new());
        }
        let counts = &mut self.size_counts[g as usize];
        if counts.len() <= s as usize {
            counts.resize(s as usize + 1, 0);
        }
        counts[s as usize] += 1;
        if c.shape.basis == ShapeBasis::AverageFromUsage {
            self.average_shapes += 1;
        }
        match c.basis {
            UsageBasis::TotalWithRules => self.from_total_count += 1,
            UsageBasis::EventLogEstimate => self.event_log_count += 1,
            UsageBasis::GlueEstimate => self.glue_count += 1,
            UsageBasis::Ec2Estimate => self.ec2_count += 1,
            UsageBasis::Billed => {}
        }
        if c.cheapest == DeploymentOption::GlueFlex {
            self.flex_cheapest += 1;
        }
    }

    /// The (group, month) cell, made when first asked for.
    fn cell(cells: &mut Vec<Vec<Cell>>, g: u32, m: u32) -> &mut Cell {
        let (g, m) = (g as usize, m as usize);
        if cells.len() <= g {
            cells.resize(g + 1, Vec::new());
        }
        let row = &mut cells[g];
        if row.len() <= m {
            row.resize(m + 1, Cell::default());
        }
        &mut row[m]
    }

    /// Appends another builder's rows, remapping its codes.
    pub fn merge(&mut self, other: FleetBuilder) {
        let gmap: Vec<u32> = other
            .groups
            .into_iter()
            .map(|info| {
                let (g, new) = intern(&mut self.group_index, self.groups.len(), &info.key);
                if new {
                    self.groups.push(info);
                }
                g
            })
            .collect();
        let mmap: Vec<u32> = other
            .months
            .into_iter()
            .map(|m| {
                let (i, new) = intern(&mut self.month_index, self.months.len(), &m);
                if new {
                    self.months.push(m);
                }
                i
            })
            .collect();
        let smap: Vec<u32> = other
            .sizes
            .into_iter()
            .map(|s| {
                let k = size_key(&s);
                match self.size_index.get(&k) {
                    Some(i) => *i,
                    None => {
                        let i = self.sizes.len() as u32;
                        self.size_index.insert(k, i);
                        self.sizes.push(s);
                        i
                    }
                }
            })
            .collect();
        for (g, row) in other.cells.iter().enumerate() {
            for (m, cell) in row.iter().enumerate() {
                if cell.runs > 0 {
                    Self::cell(&mut self.cells, gmap[g], mmap[m]).merge(cell);
                }
            }
        }
        self.group
            .extend(other.group.iter().map(|g| gmap[*g as usize]));
        self.month
            .extend(other.month.iter().map(|m| mmap[*m as usize]));
        for (code, counts) in other.size_counts.iter().enumerate() {
            let g = gmap[code] as usize;
            if self.size_counts.len() <= g {
                self.size_counts.resize(g + 1, Vec::new());
            }
            for (s, n) in counts.iter().enumerate() {
                let s = smap[s] as usize;
                let mine = &mut self.size_counts[g];
                if mine.len() <= s {
                    mine.resize(s + 1, 0);
                }
                mine[s] += n;
            }
        }
        self.runtime.extend(other.runtime);
        self.queue.extend(other.queue);
        self.serverless.extend(other.serverless);
        self.executors.extend(other.executors);
        self.peak.extend(other.peak);
        for ((kind, code, i), reason) in other.gaps {
            let code = if kind == BY_GROUP {
                gmap[code as usize]
            } else {
                mmap[code as usize]
            };
            self.gaps.entry((kind, code, i)).or_insert(reason);
        }
        self.average_shapes += other.average_shapes;
        self.from_total_count += other.from_total_count;
        self.event_log_count += other.event_log_count;
        self.glue_count += other.glue_count;
        self.ec2_count += other.ec2_count;
        self.flex_cheapest += other.flex_cheapest;
    }

    /// Percentile sets, in this order: per group runtime, queue, executors
    /// and peak executors; per month runtime and queue; in all runtime and
    /// queue. Each set is one pass over the runs; they run in parallel.
    fn rank_sets(&self) -> Vec<Vec<ranks::Ranks>> {
        use rayon::prelude::*;
        let n = self.runtime.len();
        let (n_groups, n_months) = (self.groups.len(), self.months.len());
        let group = Some(self.group.as_slice());
        let month = Some(self.month.as_slice());
        let runtime = |i: usize| Some(self.runtime[i]);
        let queue = |i: usize| self.queue[i];
        (0..8usize)
            .into_par_iter()
            .map(|set| match set {
                0 => ranks::by_key(group, n_groups, n, runtime, true),
                1 => ranks::by_key(group, n_groups, n, queue, false),
                2 => ranks::by_key(group, n_groups, n, |i| Some(self.executors[i]), true),
                3 => ranks::by_key(group, n_groups, n, |i| Some(self.peak[i]), true),
                4 => ranks::by_key(month, n_months, n, runtime, false),
                5 => ranks::by_key(month, n_months, n, queue, false),
                6 => ranks::by_key(None, 1, n, runtime, false),
                _ => ranks::by_key(None, 1, n, queue, false),
            })
            .collect()
    }

    /// The cells added up by group code, by month code, and in all.
    fn cell_totals(&self) -> (Vec<Cell>, Vec<Cell>, Cell) {
        let mut groups = vec![Cell::default(); self.groups.len()];
        let mut months = vec![Cell::default(); self.months.len()];
        let mut total = Cell::default();
        for (g, row) in self.cells.iter().enumerate() {
            for (m, cell) in row.iter().enumerate().filter(|(_, c)| c.runs > 0) {
                groups[g].merge(cell);
                months[m].merge(cell);
                total.merge(cell);
            }
        }
        (groups, months, total)
    }

    /// Aggregates into group, month and total summaries (groups and months
    /// in code order), with the crossover inputs of each group.
    pub fn aggregate(&self) -> Aggregated {
        // Medians feed the crossovers, which only groups have.
        let mut ranked = self.rank_sets().into_iter();
        let mut take = |k: usize| ranked.by_ref().take(k).collect::<Vec<_>>();
        let (group_ranks, month_ranks, total_ranks) = (take(4), take(2), take(2));
        let (groups, months, total) = self.cell_totals();
        // One row from a key's cell and its percentiles (runtime, queue, and
        // for groups executors and peak).
        let row = |code: u32, c: &Cell, ranks: &[Vec<ranks::Ranks>]| {
            let s = c.sums.map(Exact::value);
            let rank = |set: usize| {
                ranks
                    .get(set)
                    .and_then(|r| r.get(code as usize))
                    .copied()
                    .unwrap_or_default()
            };
            let (runtime, queue) = (rank(0), rank(1));
            let value = |v: Option<f64>| v.unwrap_or(0.0);
            Row {
                code,
                runs: c.runs,
                succeeded: c.succeeded,
                failed: c.failed,
                cancelled: c.cancelled,
                runtime_sum: s[0],
                runtime_p50: value(runtime.p50),
                runtime_p95: value(runtime.p95),
                runtime_max: value(c.runtime_max),
                runtime_median: value(runtime.median),
                queue_p50: queue.p50,
                queue_p95: queue.p95,
                serverless: s[1],
                current: s[CURRENT],
                glue_billed: s[GLUE_BILLED],
                ec2_billed: s[EC2_BILLED],
                optional: std::array::from_fn(|o| (s[2 + o], c.missing[o])),
                optional_at_average: std::array::from_fn(|o| s[AT_AVERAGE + o]),
                graviton: (s[GRAVITON], c.graviton_missing),
                from_total: c.from_total,
                executors_median: value(rank(2).median),
                peak_executors_median: value(rank(3).median),
                peak_estimated: c.peak_estimated,
            }
        };
        let rows = |cells: &[Cell], ranks: &[Vec<ranks::Ranks>]| {
            cells
                .iter()
                .enumerate()
                .filter(|(_, c)| c.runs > 0)
                .map(|(code, c)| row(code as u32, c, ranks))
                .collect()
        };
        Aggregated {
            groups: rows(&groups, &group_ranks),
            months: rows(&months, &month_ranks),
            total: Some(row(0, &total, &total_ranks)),
        }
    }

    /// What each group's runs cost where they ran, per month: (group key,
    /// month, USD), by key then month.
    pub fn group_months(&self) -> Vec<(String, String, f64)> {
        let mut out: Vec<(String, String, f64)> = Vec::new();
        for (g, row) in self.cells.iter().enumerate() {
            for (m, cell) in row.iter().enumerate().filter(|(_, c)| c.runs > 0) {
                out.push((
                    self.groups[g].key.clone(),
                    self.months[m].clone(),
                    cell.sums[CURRENT].value(),
                ));
            }
        }
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }

    /// Runtimes per group key and every queue time, for the charts.
    pub fn distributions(&self) -> super::model::Distributions {
        let mut by_code: Vec<Vec<f64>> = vec![Vec::new(); self.groups.len()];
        for (g, r) in self.group.iter().zip(&self.runtime) {
            by_code[*g as usize].push(*r);
        }
        super::model::Distributions {
            runtimes_s: self
                .groups
                .iter()
                .zip(by_code)
                .map(|(info, v)| (info.key.clone(), v))
                .collect(),
            queued_s: self.queue.iter().flatten().copied().collect(),
        }
    }

    pub fn group_info(&self, code: u32) -> &GroupInfo {
        &self.groups[code as usize]
    }

    pub fn month_name(&self, code: u32) -> &str {
        &self.months[code as usize]
    }

    /// The most common (executor, driver) size of each group.
    pub fn common_sizes(&self) -> HashMap<u32, Sizes> {
        let counts = self.size_counts.iter().enumerate().flat_map(|(g, c)| {
            c.iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(move |(s, n)| ((g as u32, s as u32), *n))
        });
        // Ties go to the size whose printed form sorts last, so the answer
        // depends on neither hash nor input order.
        let label = |s: u32| {
            let (e, d) = self.sizes[s as usize];
            format!("{e:?}{d:?}")
        };
        let mut best: HashMap<u32, (usize, String, u32)> = HashMap::new();
        for ((g, s), n) in counts {
            let l = label(s);
            match best.get_mut(&g) {
                Some(e) if (n, &l) <= (e.0, &e.1) => {}
                Some(e) => *e = (n, l, s),
                None => {
                    best.insert(g, (n, l, s));
                }
            }
        }
        best.into_iter()
            .map(|(g, (_, _, s))| (g, self.sizes[s as usize]))
            .collect()
    }

    /// For each group with thresholds: how many runs, and how much
    /// serverless cost, ran longer than each threshold.
    pub fn past(&self, thresholds: &HashMap<u32, Vec<f64>>) -> HashMap<u32, Vec<(usize, f64)>> {
        // By group code, so a run costs an index, not a hash.
        let codes = thresholds
            .keys()
            .map(|g| *g as usize + 1)
            .max()
            .unwrap_or(0)
            .max(self.groups.len());
        // A group's thresholds, and the runs and cost past each.
        type Past<'t> = Option<(&'t [f64], Vec<(usize, f64)>)>;
        let mut by_code: Vec<Past<'_>> = vec![None; codes];
        for (g, t) in thresholds {
            if let Some(slot) = by_code.get_mut(*g as usize) {
                *slot = Some((t.as_slice(), vec![(0, 0.0); t.len()]));
            }
        }
        for i in 0..self.len() {
            if let Some(Some((t, acc))) = by_code.get_mut(self.group[i] as usize) {
                for (x, a) in t.iter().zip(acc.iter_mut()) {
                    if self.runtime[i] > *x {
                        a.0 += 1;
                        a.1 += self.serverless[i];
                    }
                }
            }
        }
        by_code
            .into_iter()
            .enumerate()
            .filter_map(|(g, slot)| slot.map(|(_, acc)| (g as u32, acc)))
            .collect()
    }

    /// The first reason an option had no figure in a group or month.
    fn gap(&self, kind: u8, code: u32, option: usize) -> Option<&String> {
        self.gaps.get(&(kind, code, option))
    }

    /// First reason over the whole fleet.
    fn any_gap(&self, option: usize) -> Option<&String> {
        self.gaps
            .iter()
            .find(|((kind, _, o), _)| *kind == BY_GROUP && *o == option)
            .map(|(_, r)| r)
    }

    pub fn summary(&self, row: &Row, kind: Option<bool>) -> GroupSummary {
        let (key, name, region, arch) = match kind {
            Some(true) => {
                let info = self.group_info(row.code);
                (info.key.clone(), None, None, None)
            }
            Some(false) => (self.month_name(row.code).to_string(), None, None, None),
            None => ("all".to_string(), None, None, None),
        };
        let mut costs = OptionTotals {
            emr_serverless_usd: row.serverless,
            ..OptionTotals::default()
        };
        let mut not_priced_on = Vec::new();
        for (i, option) in OPTIONAL.iter().enumerate() {
            let (sum, missing) = row.optional[i];
            costs.set(*option, (missing == 0).then_some(sum));
            let reason = match kind {
                Some(true) => self.gap(BY_GROUP, row.code, i),
                Some(false) => self.gap(BY_MONTH, row.code, i),
                None => self.any_gap(i),
            };
            if let (true, Some(reason)) = (missing > 0, reason) {
                not_priced_on.push(OptionGap {
                    option: *option,
                    runs: missing,
                    reason: reason.clone(),
                });
            }
        }
        let (cheapest, best) = costs.cheapest();
        let at_average = (row.peak_estimated > 0).then(|| {
            let mut low = costs;
            for (i, option) in OPTIONAL.iter().enumerate() {
                if costs.get(*option).is_some() {
                    low.set(*option, Some(row.optional_at_average[i]));
                }
            }
            low
        });
        GroupSummary {
            key,
            name,
            region,
            architecture: arch,
            runs: row.runs,
            succeeded: row.succeeded,
            failed: row.failed,
            cancelled: row.cancelled,
            runtime_hours: row.runtime_sum / 3600.0,
            runtime_p50_s: row.runtime_p50,
            runtime_p95_s: row.runtime_p95,
            runtime_max_s: row.runtime_max,
            queue_p50_s: row.queue_p50,
            queue_p95_s: row.queue_p95,
            costs,
            cheapest,
            saving_usd: row.current - best,
            current_usd: row.current,
            glue_billed_usd: row.glue_billed,
            ec2_billed_usd: row.ec2_billed,
            peak_estimated_runs: row.peak_estimated,
            saving_at_average_usd: at_average.map(|low| row.current - low.cheapest().1),
            costs_at_average: at_average,
            ec2_graviton_usd: (row.graviton.1 == 0).then_some(row.graviton.0),
            estimated_from_total: row.from_total,
            not_priced_on,
            crossovers: None,
            idle_preinit_usd: None,
        }
    }
}

/// One aggregated group, month or the total.
#[derive(Debug, Clone)]
pub struct Row {
    pub code: u32,
    pub runs: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub runtime_sum: f64,
    pub runtime_p50: f64,
    pub runtime_p95: f64,
    pub runtime_max: f64,
    pub runtime_median: f64,
    pub queue_p50: Option<f64>,
    pub queue_p95: Option<f64>,
    pub serverless: f64,
    /// What the runs cost where they ran (EMR Serverless billed, Glue
    /// billed), and of that Glue's part.
    pub current: f64,
    pub glue_billed: f64,
    pub ec2_billed: f64,
    /// (sum, runs without a figure) per [`OPTIONAL`] option.
    pub optional: [(f64, usize); N_OPTIONAL],
    /// The same sums with EMR on EC2 and Glue sized to the average
    /// executors where the peak is estimated.
    pub optional_at_average: [f64; N_OPTIONAL],
    /// EMR on EC2 on Graviton: (sum, runs without a figure).
    pub graviton: (f64, usize),
    pub from_total: usize,
    pub executors_median: f64,
    pub peak_executors_median: f64,
    /// Runs whose peak executors are estimated (average x peak factor).
    pub peak_estimated: usize,
}

pub struct Aggregated {
    pub groups: Vec<Row>,
    pub months: Vec<Row>,
    pub total: Option<Row>,
}

#[cfg(test)]
mod tests {
    use super::Exact;
    use polars::prelude::*;

    /// polars' Equiprobable quantile is the nearest rank: the smallest value
    /// with at least p of the values at or below it.
    #[test]
    fn equiprobable_is_nearest_rank() {
        let df = df!("v" => (1..=20).map(f64::from).collect::<Vec<_>>()).unwrap();
        let q = |p: f64| {
            df.clone()
                .lazy()
                .select([col("v").quantile(lit(p), QuantileMethod::Equiprobable)])
                .collect()
                .unwrap()
                .column("v")
                .unwrap()
                .f64()
                .unwrap()
                .get(0)
                .unwrap()
        };
        assert_eq!(q(0.5), 10.0);
        assert_eq!(q(0.95), 19.0);
        assert_eq!(q(1.0), 20.0);
        assert_eq!(q(0.01), 1.0);
    }

    /// Chunks built apart and merged aggregate exactly as one builder fed
    /// every run: what lets a fleet be priced in parallel.
    #[test]
    fn exact_sums_do_not_depend_on_order_or_parts() {
        // 0.1 + 0.2 + 0.3 as floats depends on the order; summed exactly
        // it is the double nearest 0.6000000000000000055...: 0.6.
        let figures = [0.1, 0.2, 0.3];
        let (mut a, mut b) = (Exact::default(), Exact::default());
        for v in figures {
            a.add(v);
        }
        for v in figures.iter().rev() {
            b.add(*v);
        }
        assert_eq!(a, b);
        assert_eq!(a.value(), 0.6);
        assert_ne!(0.1 + 0.2 + 0.3, 0.3 + 0.2 + 0.1);
        // Cut into parts and merged: the same sum, to the unit.
        let runs: Vec<f64> = (1..=10_000).map(|i| 1.0 / f64::from(i) + 1e6).collect();
        let mut whole = Exact::default();
        runs.iter().for_each(|v| whole.add(*v));
        for cut in [1, 7, 4096, 6000] {
            let mut merged = Exact::default();
            for part in runs.chunks(cut) {
                let mut p = Exact::default();
                part.iter().for_each(|v| p.add(*v));
                merged.merge(p);
            }
            assert_eq!(merged, whole, "parts of {cut}");
        }
        // The fast conversion is the plain one, rounded down.
        for v in [0.0, 1.0, 0.1, 1e9 + 0.37, 2.5e-13, 123_456.789, -0.25, -3.7] {
            assert_eq!(Exact::units(v), (v * Exact::UNIT).floor() as i128, "{v}");
        }
        // 1e6 x 10,000 plus the harmonic number H(10000) = 9.787606036044382.
        assert!((whole.value() - (1e10 + 9.787606036044382)).abs() < 1e-5);
    }

    #[test]
    fn merged_chunks_aggregate_like_one_builder() {
        use crate::cost::{Assumptions, CompactCost, Pricer};
        let book = crate::pricing::PriceBook::embedded().unwrap();
        let pricer = Pricer::new(&book, Assumptions::default());
        let runs = crate::synth::generate(&crate::synth::SynthConfig {
            runs: 1500,
            seed: 3,
            ..crate::synth::SynthConfig::default()
        });
        let fleet = pricer.fleet();
        let mut cache = crate::cost::PlanCache::default();
        let mut used = crate::cost::RowsUsed::default();
        let costs: Vec<(usize, CompactCost)> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, fleet.price(r, &mut cache, &mut used).ok()?)))
            .collect();
        let mut whole = super::FleetBuilder::default();
        let mut parts = vec![
            super::FleetBuilder::default(),
            super::FleetBuilder::default(),
            super::FleetBuilder::default(),
        ];
        for (i, (index, c)) in costs.iter().enumerate() {
            let run = &runs[*index];
            let key = run.job_name.clone().unwrap_or_default();
            whole.push(run, c, &key);
            parts[i * 3 / costs.len()].push(run, c, &key);
        }
        let mut merged = super::FleetBuilder::default();
        for p in parts {
            merged.merge(p);
        }
        let a = whole.aggregate();
        let b = merged.aggregate();
        let by_key = |f: &super::FleetBuilder, rows: &[super::Row]| {
            let mut v: Vec<_> = rows.iter().map(|r| f.summary(r, Some(true))).collect();
            v.sort_by(|x, y| x.key.cmp(&y.key));
            v
        };
        let (sa, sb) = (by_key(&whole, &a.groups), by_key(&merged, &b.groups));
        assert_eq!(sa.len(), 10);
        // Every figure, to the last bit: counts, percentiles and the exact
        // sums of every option.
        assert_eq!(format!("{sa:?}"), format!("{sb:?}"));
        let months = |f: &super::FleetBuilder, rows: &[super::Row]| {
            let mut v: Vec<_> = rows.iter().map(|r| f.summary(r, Some(false))).collect();
            v.sort_by(|x, y| x.key.cmp(&y.key));
            format!("{v:?}")
        };
        assert_eq!(months(&whole, &a.months), months(&merged, &b.months));
        assert_eq!(whole.group_months(), merged.group_months());
        let (ta, tb) = (a.total.unwrap(), b.total.unwrap());
        assert_eq!(ta.runs, 1500);
        assert_eq!(ta.succeeded + ta.failed + ta.cancelled, 1500);
        assert_eq!(format!("{ta:?}"), format!("{tb:?}"));
        // The groups add up to the total.
        assert_eq!(sa.iter().map(|g| g.runs).sum::<usize>(), 1500);
        assert_eq!(
            sa.iter().map(|g| g.runtime_max_s).fold(0.0, f64::max),
            ta.runtime_max
        );
        assert_eq!(whole.common_sizes().len(), merged.common_sizes().len());
    }
}
