//! `emrcost collect`: EMR Serverless job runs (and CloudWatch metrics) into
//! a local dataset, with a progress bar.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::super::args::{
    CollectArgs, CollectEmrArgs, CollectGlueArgs, CollectService, GlobalArgs,
};
use super::super::output::note;
use super::super::settings;
use emrcost::collect::collector::{collect, CollectOptions, Progress};
use emrcost::collect::dataset::{Dataset, RUNS_FILE};
use emrcost::collect::pacing::{Backoff, Quotas, Rate};
use emrcost::input::csv::write_csv;
use emrcost::model::JobState;

struct Bar {
    bar: ProgressBar,
    found: std::sync::atomic::AtomicU64,
    skipped: std::sync::atomic::AtomicU64,
}

impl Bar {
    fn new(visible: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} fetched, {msg} ({per_sec}, ETA {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        Bar {
            bar,
            found: 0.into(),
            skipped: 0.into(),
        }
    }
}

impl Progress for Bar {
    fn listed(&self, found: u64, to_fetch: u64) {
        let f = self.found.fetch_add(found, Ordering::Relaxed) + found;
        let s = self.skipped.fetch_add(found - to_fetch, Ordering::Relaxed) + found - to_fetch;
        self.bar.inc_length(to_fetch);
        self.bar
            .set_message(format!("{f} found, {s} already final"));
    }
    fn fetched(&self) {
        self.bar.inc(1);
    }
    fn phase(&self, message: &str) {
        self.bar.set_prefix(message.to_string());
    }
}

fn rate(flag: &str, raw: &str, default_burst: u32) -> anyhow::Result<Rate> {
    Rate::parse(raw, default_burst).map_err(|e| anyhow::anyhow!("{flag} {e}"))
}

fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

pub fn run(g: &GlobalArgs, a: &CollectArgs) -> anyhow::Result<ExitCode> {
    match &a.service {
        Some(CollectService::Glue(glue)) => return run_glue(g, glue),
        Some(CollectService::Emr(emr)) => return run_emr(g, emr),
        None => {}
    }
    let now = chrono::Utc::now();
    let (since, until) = window(&a.since, a.until.as_deref(), now)?;
    let states = a
        .states
        .iter()
        .map(|s| {
            s.parse::<JobState>()
                .map_err(|e| anyhow::anyhow!("--states: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if states.len() > 8 {
        bail!(
            "--states: ListJobRuns takes at most 8 states; {} given",
            states.len()
        );
    }
    let defaults = Quotas::default();
    let quotas = Quotas {
        get: rate("--get-rate", &a.get_rate, defaults.get.burst)?,
        list_runs: rate("--list-rate", &a.list_rate, defaults.list_runs.burst)?,
        metrics: rate("--metrics-rate", &a.metrics_rate, defaults.metrics.burst)?,
    };
    if a.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let opts = CollectOptions {
        regions: a.regions.clone(),
        profile: None,
        endpoint_url: a.endpoint_url.clone(),
        application_ids: a.application_ids.clone(),
        since: Some(since),
        until,
        states,
        metrics: a.metrics,
        quotas,
        backoff: Backoff::default(),
        concurrency: a.concurrency,
        late_billed_retries: a.late_billed_retries,
        attempt_timeout: Duration::from_secs(a.attempt_timeout.max(1)),
        account_id: None,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut worst = ExitCode::SUCCESS;
    for profile in profiles_of(&a.profiles) {
        let mut opts = CollectOptions {
            profile: profile.clone(),
            ..opts.clone()
        };
        let code = runtime.block_on(collect_serverless(g, a, &mut opts))?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
        worst = code;
    }
    Ok(worst)
}

/// `--since` and `--until` as times; an empty window is refused.
fn window(
    since: &str,
    until: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
)> {
    let since = settings::when("--since", since, now)?;
    let until = until
        .map(|u| settings::when("--until", u, now))
        .transpose()?;
    if until.is_some_and(|u| u <= since) {
        bail!("--until is not after --since: nothing to collect");
    }
    Ok((since, until))
}

/// Each `--profile`, or the default credential chain when none is given.
fn profiles_of(profiles: &[String]) -> Vec<Option<String>> {
    if profiles.is_empty() {
        vec![None]
    } else {
        profiles.iter().cloned().map(Some).collect()
    }
}

/// The account a configuration's credentials belong to; a warning (and no
/// account on the runs) when STS cannot say.
async fn account(
    g: &GlobalArgs,
    config: &aws_config::SdkConfig,
    profile: &Option<String>,
) -> Option<String> {
    match emrcost::collect::collector::account_of(config).await {
        Ok(a) => {
            if let Some(p) = profile {
                note(g.quiet, &format!("--profile {p}: account {a}"));
            }
            Some(a)
        }
        Err(e) => {
            note(
                g.quiet,
                &format!("warning: the runs are recorded without their account: {e}"),
            );
            None
        }
    }
}

/// One EMR Serverless collection (one profile).
async fn collect_serverless(
    g: &GlobalArgs,
    a: &CollectArgs,
    opts: &mut CollectOptions,
) -> anyhow::Result<ExitCode> {
    {
        if opts.regions.is_empty() {
            let config = emrcost::collect::collector::aws_config(opts).await;
            match config.region() {
                Some(r) => opts.regions.push(r.to_string()),
                None => bail!(
                    "no region: pass --region (repeatable) or set AWS_REGION or a region in your AWS profile"
                ),
            }
        }
        for r in &opts.regions {
            if !valid_region(r) {
                bail!("--region {r}: not a region name (like us-east-1 or eu-west-2)");
            }
        }
        if let Ok(book) = settings::price_book(g) {
            for r in &opts.regions {
                if !book.knows_region(r) {
                    eprintln!("warning: --region {r}: collecting, but the price book has no prices for it, so `report` cannot price these runs until `emrcost pricing update` adds them");
                }
            }
        }

        let config = emrcost::collect::collector::aws_config(opts).await;
        opts.account_id = account(g, &config, &opts.profile).await;
        let mut ds = open_dataset(g, &a.out)?;
        let before = ds.len();
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = stop.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, Ordering::Relaxed);
                }
            });
        }
        let bar = Bar::new(!g.quiet && std::io::stderr().is_terminal());
        let summary = collect(opts, &mut ds, &bar, stop.clone()).await;
        bar.bar.finish_and_clear();
        let summary = summary.with_context(|| {
            format!(
                "collection stopped; what was fetched is kept in {}, re-run the same command to continue",
                a.out.display()
            )
        })?;
        if a.csv {
            let mut runs: Vec<_> = ds.runs().cloned().collect();
            runs.sort_by(|x, y| (x.created_at, &x.job_run_id).cmp(&(y.created_at, &y.job_run_id)));
            let path = a.out.join(emrcost::collect::dataset::RUNS_CSV);
            let mut buf = Vec::new();
            write_csv(&mut buf, &runs).context("writing jobruns.csv")?;
            emrcost::files::write(&path, &buf)?;
        }
        for w in &summary.warnings {
            note(g.quiet, &format!("warning: {w}"));
        }
        let rate = if summary.fetch_elapsed.as_secs_f64() > 0.0 {
            summary.fetched as f64 / summary.fetch_elapsed.as_secs_f64()
        } else {
            0.0
        };
        note(
            g.quiet,
            &format!(
                "{} application(s); {} run(s) listed, {} fetched ({:.1}/s), {} already final; {} new in {}/{}",
                summary.applications,
                summary.listed,
                summary.fetched,
                rate,
                summary.already_final,
                ds.len() - before,
                a.out.display(),
                RUNS_FILE
            ),
        );
        note(
            g.quiet,
            &format!(
                "{} API call(s), {} throttled and {} failed transiently (all retried); {:.1} s",
                summary.calls,
                summary.throttled,
                summary.transient,
                summary.elapsed.as_secs_f64()
            ),
        );
        if a.metrics {
            note(
                g.quiet,
                &format!(
                    "CloudWatch: peak executors for {} run(s); idle pre-initialized capacity for {} application(s)",
                    summary.jobs_with_metrics, summary.idle_applications
                ),
            );
        }
        if summary.interrupted {
            eprintln!(
                "interrupted: {} run(s) kept in {}; re-run the same command to continue",
                ds.len(),
                a.out.display()
            );
            return Ok(ExitCode::from(130));
        }
        if !summary.failures.is_empty() {
            for f in summary.failures.iter().take(20) {
                eprintln!("error: {f}");
            }
            if summary.failures.len() > 20 {
                eprintln!("... and {} more", summary.failures.len() - 20);
            }
            eprintln!(
                "{} run(s) could not be read; the rest are kept. Re-run to retry them.",
                summary.failures.len()
            );
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    }
}

struct GlueBar {
    bar: ProgressBar,
}

impl emrcost::collect::glue::Progress for GlueBar {
    fn page(&self, runs: u64, recorded: u64) {
        self.bar.inc(runs);
        if recorded > 0 {
            self.bar.set_message(format!("+{recorded} new or changed"));
        }
    }
    fn phase(&self, message: &str) {
        self.bar.set_prefix(message.to_string());
    }
}

/// `emrcost collect glue`.
fn run_glue(g: &GlobalArgs, a: &CollectGlueArgs) -> anyhow::Result<ExitCode> {
    use emrcost::collect::glue::{collect_glue, GlueOptions};
    let now = chrono::Utc::now();
    let (since, until) = window(&a.since, a.until.as_deref(), now)?;
    if a.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let book = settings::price_book(g)?;
    let mut opts = GlueOptions {
        regions: a.regions.clone(),
        profile: None,
        endpoint_url: a.endpoint_url.clone(),
        jobs: a.jobs.clone(),
        since: Some(since),
        until,
        rate: rate("--rate", &a.rate, 20)?,
        backoff: Backoff::default(),
        concurrency: a.concurrency,
        attempt_timeout: Duration::from_secs(a.attempt_timeout.max(1)),
        heap_gb_per_dpu: emrcost::cost::Assumptions::default().glue_heap_gb_per_dpu,
        account_id: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut code = ExitCode::SUCCESS;
    for profile in profiles_of(&a.profiles) {
        code = runtime.block_on(async {
        let config = sdk_config(&mut opts.regions, &profile, &a.endpoint_url, a.attempt_timeout, &book).await?;
        opts.account_id = account(g, &config, &profile).await;
        let mut ds = open_dataset(g, &a.out)?;
        let before = ds.len();
        let stop = ctrl_c();
        let bar = spinner(g, "{prefix} {spinner} {pos} run(s) listed, {msg} ({per_sec})");
        let progress = GlueBar { bar };
        let summary = collect_glue(&opts, &config, &mut ds, &book.glue_workers, &progress, stop).await;
        progress.bar.finish_and_clear();
        let summary = summary.map_err(|e| {
            anyhow::anyhow!(
                "{e}\ncollection stopped; what was fetched is kept in {}, re-run the same command to continue",
                a.out.display()
            )
        })?;
        if a.csv {
            write_runs_csv(&ds, &a.out)?;
        }
        for s in &summary.skipped_jobs {
            note(g.quiet, &format!("skipped {s}: not a Spark (glueetl) job"));
        }
        for t in summary.tag_notes.iter().take(5) {
            note(g.quiet, &format!("warning: {t}"));
        }
        if summary.tag_notes.len() > 5 {
            note(
                g.quiet,
                &format!("warning: and {} more job(s) without their tags", summary.tag_notes.len() - 5),
            );
        }
        note(
            g.quiet,
            &format!(
                "{} Glue job(s) ({} with their tags read); {} run(s) listed in {} page(s), {} recorded, {} already final; {} new in {}/{}",
                summary.jobs,
                summary.tagged_jobs,
                summary.listed,
                summary.pages,
                summary.recorded,
                summary.already_final,
                ds.len() - before,
                a.out.display(),
                RUNS_FILE
            ),
        );
        note(
            g.quiet,
            &format!(
                "{} API call(s), {} throttled and {} failed transiently (all retried); {:.1} s. Glue keeps 90 days of runs: collect on a schedule to keep more.",
                summary.calls,
                summary.throttled,
                summary.transient,
                summary.elapsed.as_secs_f64()
            ),
        );
        if summary.interrupted {
            eprintln!(
                "interrupted: {} run(s) kept in {}; re-run the same command to continue",
                ds.len(),
                a.out.display()
            );
            return Ok(ExitCode::from(130));
        }
        if !summary.failures.is_empty() {
            for f in summary.failures.iter().take(20) {
                eprintln!("error: {f}");
            }
            eprintln!(
                "{} run(s) could not be read; the rest are kept.",
                summary.failures.len()
            );
            return Ok(ExitCode::from(1));
        }
        Ok::<ExitCode, anyhow::Error>(ExitCode::SUCCESS)
    })?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    Ok(code)
}

/// `emrcost collect emr`.
fn run_emr(g: &GlobalArgs, a: &CollectEmrArgs) -> anyhow::Result<ExitCode> {
    use emrcost::collect::emr_ec2::{collect_emr, EmrOptions, SpotHistory};
    let now = chrono::Utc::now();
    let (since, until) = window(&a.since, a.until.as_deref(), now)?;
    if let Some(d) = a.spot_discount {
        if !(0.0..1.0).contains(&d) {
            bail!("--spot-discount {d}: give the fraction off the on-demand price, from 0 to below 1 (e.g. 0.6)");
        }
    }
    let known = [
        "STARTING",
        "BOOTSTRAPPING",
        "RUNNING",
        "WAITING",
        "TERMINATING",
        "TERMINATED",
        "TERMINATED_WITH_ERRORS",
    ];
    for s in &a.cluster_states {
        if !known.contains(&s.as_str()) {
            bail!("--cluster-states {s}: use {}", known.join(", "));
        }
    }
    let spot_history = match &a.spot_history {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("--spot-history {}", p.display()))?;
            Some(
                SpotHistory::parse(&p.display().to_string(), &text)
                    .map_err(|e| anyhow::anyhow!(e))?,
            )
        }
        None => None,
    };
    let book = settings::price_book(g)?;
    let mut opts = EmrOptions {
        regions: a.regions.clone(),
        cluster_states: a.cluster_states.clone(),
        since: Some(since),
        until,
        rate: rate("--rate", &a.rate, 10)?,
        backoff: Backoff::default(),
        spot_discount: a.spot_discount,
        spot_history,
        assumptions: emrcost::cost::Assumptions::default(),
        account_id: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut code = ExitCode::SUCCESS;
    for profile in profiles_of(&a.profiles) {
        code = runtime.block_on(async {
        let config = sdk_config(&mut opts.regions, &profile, &a.endpoint_url, a.attempt_timeout, &book).await?;
        opts.account_id = account(g, &config, &profile).await;
        let mut ds = open_dataset(g, &a.out)?;
        let before = ds.len();
        let stop = ctrl_c();
        let bar = spinner(g, "{spinner} {msg} ({elapsed})");
        let summary = collect_emr(&opts, &config, &mut ds, &book, &|m: &str| bar.set_message(m.to_string()), stop).await;
        bar.finish_and_clear();
        let summary = summary.map_err(|e| {
            anyhow::anyhow!(
                "{e}\ncollection stopped; what was fetched is kept in {}, re-run the same command to continue",
                a.out.display()
            )
        })?;
        if a.csv {
            write_runs_csv(&ds, &a.out)?;
        }
        for w in &summary.warnings {
            note(g.quiet, &format!("warning: {w}"));
        }
        let clusters: Vec<_> = ds.state.clusters.iter().collect();
        let idle: f64 = clusters.iter().map(|c| c.idle_usd).sum::<f64>() + 0.0;
        let total: f64 = clusters.iter().map(|c| c.total_usd).sum::<f64>() + 0.0;
        note(
            g.quiet,
            &format!(
                "{} cluster(s) read, {} already final; {} step(s); {} new run(s) in {}/{}; the dataset's {} cluster(s) cost ${total:.2}, of which ${idle:.2} with no step running",
                summary.clusters,
                summary.already_final,
                summary.steps,
                ds.len() - before,
                a.out.display(),
                RUNS_FILE,
                clusters.len(),
            ),
        );
        note(
            g.quiet,
            &format!(
                "{} API call(s), {} throttled and {} failed transiently (all retried); {:.1} s. ListInstances covers instances ended in the last 30 days: collect on a schedule to keep more.",
                summary.calls,
                summary.throttled,
                summary.transient,
                summary.elapsed.as_secs_f64()
            ),
        );
        if summary.interrupted {
            eprintln!(
                "interrupted: what was read is kept in {}; re-run the same command to continue",
                a.out.display()
            );
            return Ok(ExitCode::from(130));
        }
        Ok::<ExitCode, anyhow::Error>(ExitCode::SUCCESS)
    })?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    Ok(code)
}

/// The AWS configuration for a collector, and its regions (the
/// configuration's when none is given), each checked.
async fn sdk_config(
    regions: &mut Vec<String>,
    profile: &Option<String>,
    endpoint_url: &Option<String>,
    attempt_timeout: u64,
    book: &emrcost::pricing::PriceBook,
) -> anyhow::Result<aws_config::SdkConfig> {
    let shared = CollectOptions {
        regions: regions.clone(),
        profile: profile.clone(),
        endpoint_url: endpoint_url.clone(),
        application_ids: Vec::new(),
        since: None,
        until: None,
        states: Vec::new(),
        metrics: false,
        quotas: Quotas::default(),
        backoff: Backoff::default(),
        concurrency: 1,
        late_billed_retries: 0,
        attempt_timeout: Duration::from_secs(attempt_timeout.max(1)),
        account_id: None,
    };
    let config = emrcost::collect::collector::aws_config(&shared).await;
    if regions.is_empty() {
        match config.region() {
            Some(r) => regions.push(r.to_string()),
            None => bail!(
                "no region: pass --region (repeatable) or set AWS_REGION or a region in your AWS profile"
            ),
        }
    }
    for r in regions.iter() {
        if !valid_region(r) {
            bail!("--region {r}: not a region name (like us-east-1 or eu-west-2)");
        }
        if !book.knows_region(r) {
            eprintln!("warning: --region {r}: collecting, but the price book has no prices for it, so these runs cannot be priced until `emrcost pricing update` adds them");
        }
    }
    Ok(config)
}

/// A spinner on stderr (hidden with --quiet or when stderr is not a
/// terminal) drawn with `template`.
pub(super) fn spinner(g: &GlobalArgs, template: &str) -> ProgressBar {
    let visible = !g.quiet && std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        None,
        if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// Opens (or creates) the dataset `--out` names, saying which journal
/// lines a killed collection left torn.
pub(super) fn open_dataset(g: &GlobalArgs, out: &std::path::Path) -> anyhow::Result<Dataset> {
    let ds = Dataset::open(out).with_context(|| format!("--out {}", out.display()))?;
    for (at, why) in &ds.skipped_journal_lines {
        note(g.quiet, &format!("{at}: {why}"));
    }
    Ok(ds)
}

/// Set on Ctrl-C.
fn ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::Relaxed);
        }
    });
    stop
}

/// `--csv`: the dataset's runs as jobruns.csv beside the Parquet file.
fn write_runs_csv(ds: &Dataset, out: &std::path::Path) -> anyhow::Result<()> {
    let mut runs: Vec<_> = ds.runs().cloned().collect();
    runs.sort_by(|x, y| (x.created_at, &x.job_run_id).cmp(&(y.created_at, &y.job_run_id)));
    let path = out.join(emrcost::collect::dataset::RUNS_CSV);
    let mut buf = Vec::new();
    write_csv(&mut buf, &runs).context("writing jobruns.csv")?;
    emrcost::files::write(&path, &buf)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_region;

    #[test]
    fn region_names() {
        assert!(valid_region("us-east-1"));
        assert!(valid_region("us-gov-west-1"));
        assert!(!valid_region("useast1"));
        assert!(!valid_region("us-east-x"));
        assert!(!valid_region("US-EAST-1"));
    }
}
