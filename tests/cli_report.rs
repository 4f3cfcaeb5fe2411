//! `emrcost report`, including the committed sample report.

use crate::util::{emrcost, repo};

const SAMPLE_FILES: [&str; 10] = [
    "report.html",
    "charts/cost-vs-runtime-etl-nightly.svg",
    "charts/monthly-cost.svg",
    "charts/runtime-histogram-etl-nightly.svg",
    "charts/queue-times.svg",
    "report.md",
    "report.json",
    "summary.csv",
    "jobs.csv",
    "crossovers.csv",
];

/// The committed `reports/sample/` is exactly what `report --sample` writes.
/// If this fails, run `cargo run -- report --sample` and commit the result.
#[test]
fn committed_sample_report_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    emrcost()
        .args(["report", "--sample", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for name in SAMPLE_FILES {
        let fresh = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let committed = std::fs::read_to_string(repo().join("reports/sample").join(name))
            .unwrap_or_else(|_| {
                panic!("reports/sample/{name} is missing: run `cargo run -- report --sample`")
            });
        assert!(
            fresh == committed,
            "reports/sample/{name} is out of date: run `cargo run -- report --sample` and commit it"
        );
    }
}

#[test]
fn sample_report_states_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let out = emrcost()
        .args(["report", "--sample", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Six applications plus the total, each with a cheapest option.
    for app in [
        "etl-nightly",
        "adhoc-analytics",
        "lake-compaction",
        "ml-features",
        "finance-reporting",
        "cdc-ingest",
        "Total",
    ] {
        assert!(stdout.contains(app), "{app} missing from:\n{stdout}");
    }
    assert!(stdout.contains("Crossovers"), "{stdout}");
    assert!(
        stdout.contains("provisioning 210 s"),
        "assumptions printed: {stdout}"
    );
    // Issue 12: no run of the sample has a measured peak, so EMR on EC2 and
    // Glue are sized for 1.5 x the average, and the report gives the range
    // down to the average with the assumption beside it.
    assert!(stdout.contains("sizing peak (peak factor 1.5)"), "{stdout}");

    // JSON: the sum of the per-job serverless costs is the reported total,
    // and the total's runs are the job lines.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["schema_version"], 1);
    let jobs = json["jobs"].as_array().unwrap();
    assert_eq!(jobs.len() as u64, json["total"]["runs"].as_u64().unwrap());
    // The range: every run's EMR on EC2 and Glue figure sized to the
    // average is at most its figure sized for the estimated peak, and the
    // totals at both ends are the sums of the runs'.
    let total = &json["total"];
    assert_eq!(total["peak_estimated_runs"], total["runs"]);
    for (high, low, total_high, total_low) in [
        (
            "ec2_usd",
            "ec2_usd_at_average",
            "ec2_on_demand_usd",
            "ec2_on_demand_usd",
        ),
        (
            "glue_usd",
            "glue_usd_at_average",
            "glue_standard_usd",
            "glue_standard_usd",
        ),
    ] {
        let (mut sum_high, mut sum_low) = (0.0, 0.0);
        for j in jobs {
            let (h, l) = (j[high].as_f64().unwrap(), j[low].as_f64().unwrap());
            assert!(l <= h + 1e-9, "{}: {l} > {h}", j["job_run_id"]);
            assert_eq!(j["peak_estimated"], true);
            sum_high += h;
            sum_low += l;
        }
        let want_high = total["costs"][total_high].as_f64().unwrap();
        let want_low = total["costs_at_average"][total_low].as_f64().unwrap();
        assert!(
            (sum_high - want_high).abs() < 1e-6 * want_high,
            "{sum_high} vs {want_high}"
        );
        assert!(
            (sum_low - want_low).abs() < 1e-6 * want_low,
            "{sum_low} vs {want_low}"
        );
        assert!(sum_low < sum_high);
    }
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("For 2000 of 2000 runs the peak executor count is estimated (1.5 x the average), not measured; the EMR on EC2 and Glue figures take that peak."),
        "the range is stated in the headline"
    );
    assert!(
        md.contains("| `peak_factor` | 1.5 |"),
        "and its assumption listed"
    );
    let sum: f64 = jobs
        .iter()
        .map(|j| j["serverless_usd"].as_f64().unwrap())
        .sum();
    let total = json["total"]["costs"]["emr_serverless_usd"]
        .as_f64()
        .unwrap();
    assert!((sum - total).abs() < 1e-6, "{sum} vs {total}");
    let apps: f64 = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["costs"]["ec2_on_demand_usd"].as_f64().unwrap())
        .sum();
    assert!(
        (apps
            - json["total"]["costs"]["ec2_on_demand_usd"]
                .as_f64()
                .unwrap())
        .abs()
            < 1e-6
    );
    assert!(!json["assumptions"].as_array().unwrap().is_empty());
    assert!(
        json["price_snapshot"]["prices_used"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
}

#[test]
fn report_on_files_writes_to_the_out_folder() {
    let dir = tempfile::tempdir().unwrap();
    emrcost()
        .args(["report", "--quiet", "--out"])
        .arg(dir.path())
        .arg(crate::util::fixture("get-job-run.json"))
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("daily-sessionize"), "{md}");
    assert!(
        md.contains("EMR Serverless eu-west-1 x86_64"),
        "prices used are listed"
    );
}

#[test]
fn strict_exits_3_when_records_are_not_priced() {
    let dir = tempfile::tempdir().unwrap();
    let csv = crate::util::write(
        dir.path(),
        "runs.csv",
        "region,application_id,job_run_id,state,duration_s,billed_vcpu_hours,billed_memory_gb_hours\n\
         us-east-1,a,r1,SUCCESS,600,1.0,4.0\n\
         us-east-1,a,r2,SUCCESS,600,-1.0,4.0\n",
    );
    emrcost()
        .args(["report", "--strict", "--out"])
        .arg(dir.path().join("out"))
        .arg(&csv)
        .assert()
        .code(3)
        .stderr(predicates::str::contains(
            "runs.csv:3: billed_vcpu_hours is -1; it cannot be negative",
        ));
}

/// The cost-against-runtime chart has a line per option, the crossover
/// marked and labelled, and labelled axes.
#[test]
fn cost_chart_marks_the_crossover() {
    let svg = std::fs::read_to_string(
        repo().join("reports/sample/charts/cost-vs-runtime-etl-nightly.svg"),
    )
    .unwrap();
    for needle in [
        "EMR Serverless",
        "EMR on EC2",
        "Glue",
        "Glue Flex",
        "runtime (minutes)",
        "cost per run (USD)",
        "<polyline",
        "<circle",
    ] {
        assert!(svg.contains(needle), "{needle} missing from the chart");
    }
    // etl-nightly's cheapest option changes once when EMR on EC2 is sized
    // to the average executors (see report.md); the chart labels that
    // runtime on the dashed average-sized curve.
    let md = std::fs::read_to_string(repo().join("reports/sample/report.md")).unwrap();
    let line = md
        .lines()
        .skip_while(|l| !l.starts_with("### etl-nightly"))
        .find(|l| l.starts_with("- sized to the average executors instead: Cheapest:"))
        .unwrap();
    let at = line
        .split(" from ")
        .nth(2)
        .unwrap()
        .split(" on")
        .next()
        .unwrap();
    assert!(
        svg.contains(&format!("EMR on EC2 at average sizing: {at}")),
        "crossover {at} not labelled"
    );
    assert!(
        svg.contains("(sized to the average)"),
        "the range's other end is drawn"
    );
    let html = std::fs::read_to_string(repo().join("reports/sample/report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 8, "eight charts inlined");
    // Self-contained: no scripts, stylesheets, images or fonts fetched from
    // anywhere (the SVG namespace URI is a name, not a fetch).
    for external in [
        "<script",
        "<link",
        "<img",
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
    ] {
        assert!(!html.contains(external), "{external} in report.html");
    }
}

/// User strings are escaped in every format that renders markup.
#[test]
fn job_names_cannot_inject_markup() {
    let dir = tempfile::tempdir().unwrap();
    let csv = crate::util::write(
        dir.path(),
        "evil.csv",
        "region,application_id,application_name,job_run_id,job_name,state,duration_s,billed_vcpu_hours,billed_memory_gb_hours\n\
         us-east-1,app1,<img src=x onerror=alert(2)>,r1,<script>alert(1)</script>,SUCCESS,600,1.0,4.0\n",
    );
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--out"])
        .arg(&out)
        .arg(&csv)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "job name rendered as markup"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "job name shown as text"
    );
    assert!(
        !html.contains("<img src=x"),
        "application name rendered as markup"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("<script>") && md.contains("&lt;script&gt;"));
    for entry in std::fs::read_dir(out.join("charts")).unwrap() {
        let svg = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!svg.contains("<img src") && !svg.contains("<script>"));
    }
}

fn summary_value(csv_text: &str, group: &str, key: &str, column: &str) -> f64 {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = headers.iter().position(|h| h == column).unwrap();
    r.records()
        .map(|rec| rec.unwrap())
        .find(|rec| &rec[0] == group && &rec[1] == key)
        .map(|rec| rec[col].parse().unwrap())
        .unwrap_or_else(|| panic!("no {group} {key} row"))
}

/// A window over one month gives that month's row of the full report.
#[test]
fn since_until_and_group_by_month() {
    let dir = tempfile::tempdir().unwrap();
    emrcost()
        .args([
            "report",
            "--sample",
            "--quiet",
            "--group-by",
            "month",
            "--since",
            "2026-09-01",
            "--until",
            "2026-10-01",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let windowed = std::fs::read_to_string(dir.path().join("summary.csv")).unwrap();
    let full = std::fs::read_to_string(repo().join("reports/sample/summary.csv")).unwrap();
    for column in [
        "emr_serverless_usd",
        "ec2_on_demand_usd",
        "glue_standard_usd",
        "runs",
    ] {
        assert_eq!(
            summary_value(&windowed, "total", "all", column),
            summary_value(&full, "month", "2026-09", column),
            "{column}"
        );
    }
    assert_eq!(
        summary_value(&windowed, "month", "2026-09", "runs"),
        summary_value(&windowed, "total", "all", "runs")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["group_by"], "month");
    assert!(
        json["groups"][0]["crossovers"].is_null(),
        "no crossovers for a month"
    );
}

#[test]
fn group_by_job_name_gives_each_job_class_its_crossovers() {
    let dir = tempfile::tempdir().unwrap();
    emrcost()
        .args([
            "report",
            "--sample",
            "--quiet",
            "--group-by",
            "job-name",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let groups = json["groups"].as_array().unwrap();
    // The generator's ten job classes.
    assert_eq!(groups.len(), 10);
    assert!(groups.iter().all(|g| !g["crossovers"].is_null()));
    let p95: f64 = groups
        .iter()
        .map(|g| g["runtime_p95_s"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(p95 > 3600.0, "the feature builds run for hours");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert_eq!(
        md.matches("\n### ").count(),
        10,
        "one crossover section per job class"
    );
    assert!(md.contains("## By job-name"), "the main table is by job");
}

#[test]
fn bad_group_by_and_window_name_the_flag() {
    emrcost()
        .args(["report", "--sample", "--group-by", "colour"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--group-by: unknown grouping 'colour'",
        ));
    emrcost()
        .args(["report", "--sample", "--since", "last-week"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--since last-week: use 30d"));
}

/// The share of runs and cost past a crossover, recomputed from the jobs.
#[test]
fn shares_past_each_crossover_match_the_jobs() {
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("reports/sample/report.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    let groups = json["groups"].as_array().unwrap();
    // Both ends of the range: sized for the estimated peak and the average.
    let ends = groups.iter().flat_map(|g| {
        [
            (g, g["crossovers"]["past"].as_array()),
            (g, g["crossovers"]["at_average"]["past"].as_array()),
        ]
    });
    for (g, past) in ends {
        let Some(past) = past else {
            continue;
        };
        let jobs: Vec<&serde_json::Value> = json["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["group"] == g["key"])
            .collect();
        let cost: f64 = jobs
            .iter()
            .map(|j| j["serverless_usd"].as_f64().unwrap())
            .sum();
        for p in past {
            let t = p["runtime_s"].as_f64().unwrap();
            let longer: Vec<_> = jobs
                .iter()
                .filter(|j| j["runtime_s"].as_f64().unwrap() > t)
                .collect();
            let share = longer.len() as f64 / jobs.len() as f64;
            let cost_share = longer
                .iter()
                .map(|j| j["serverless_usd"].as_f64().unwrap())
                .sum::<f64>()
                / cost;
            assert!((p["runs_share"].as_f64().unwrap() - share).abs() < 1e-12);
            assert!((p["serverless_cost_share"].as_f64().unwrap() - cost_share).abs() < 1e-9);
            checked += 1;
        }
    }
    assert!(
        checked >= 1,
        "the sample has at least one crossover inside its runtimes"
    );
}

#[test]
fn png_charts_on_request_and_formats_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    emrcost()
        .args(["report", "--sample", "--quiet", "--format", "png", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let mut pngs = 0;
    for entry in std::fs::read_dir(dir.path().join("charts")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
        // IHDR width and height: the chart size.
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 820);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 440);
        pngs += 1;
    }
    assert_eq!(pngs, 8);
    assert!(
        !dir.path().join("report.html").exists(),
        "only the formats asked for"
    );
    emrcost()
        .args(["report", "--sample", "--format", "html,pdf"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--format pdf: use any of html, md, csv, json, svg, png",
        ));
}

/// Large fleets, from any input (here CSV, as Parquet does): the per-run
/// tables keep the 2000 most expensive runs and every format says so,
/// while every total covers all 2500.
#[test]
fn page_reports_cap_the_job_list_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("runs.csv");
    crate::util::synth_to(&data, 2500, 42);
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--format", "md,html,csv,json", "--out"])
        .arg(&out)
        .arg(&data)
        .assert()
        .success();
    let note = "hold the 2000 most expensive of 2500 priced runs";
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Job runs (2000)") && md.contains(note));
    let listed = md
        .split("## Job runs")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
        .count();
    assert_eq!(listed, 2000);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(note));
    let csv_rows = std::fs::read_to_string(out.join("jobs.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(csv_rows, 2001);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["total"]["runs"], 2500);
}

/// The per-run list is the 2000 costliest runs exactly (ties to the
/// earlier row), also when the runs come in many parts: here ten files of
/// 4,000 runs, each merged before the next is priced, so the parts after
/// the first skip runs below the cheapest already listed.
#[test]
fn the_job_list_is_the_costliest_runs_across_many_parts() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("all.csv");
    crate::util::synth_to(&whole, 40000, 11);
    let text = std::fs::read_to_string(&whole).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 40000);
    let files: Vec<std::path::PathBuf> = rows
        .chunks(4000)
        .enumerate()
        .map(|(n, chunk)| {
            let path = dir.path().join(format!("part-{n}.csv"));
            std::fs::write(&path, format!("{header}\n{}\n", chunk.join("\n"))).unwrap();
            path
        })
        .collect();
    let out = dir.path().join("out");
    emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(&out)
        .args(&files)
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["total"]["runs"], 40000);
    let key = |j: &serde_json::Value| {
        format!(
            "{}/{}#{}",
            j["application_id"].as_str().unwrap(),
            j["job_run_id"].as_str().unwrap(),
            j["attempt"]
        )
    };
    let listed: Vec<String> = report["jobs"].as_array().unwrap().iter().map(key).collect();
    // Every run, in input order, priced one by one.
    let all = emrcost()
        .args(["price", "--format", "json"])
        .args(&files)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let all: serde_json::Value = serde_json::from_slice(&all).unwrap();
    let all = all["jobs"].as_array().unwrap();
    assert_eq!(all.len(), 40000);
    let mut order: Vec<usize> = (0..all.len()).collect();
    let usd = |i: usize| all[i]["serverless_usd"].as_f64().unwrap();
    order.sort_by(|a, b| usd(*b).total_cmp(&usd(*a)).then(a.cmp(b)));
    let mut top: Vec<usize> = order[..2000].to_vec();
    top.sort_unstable();
    let expected: Vec<String> = top.iter().map(|i| key(&all[*i])).collect();
    assert_eq!(listed, expected);
}

/// `--group-by account`: each account's runs are summed on their own, runs
/// without one form "(no account)", and the groups add up to the total.
#[test]
fn group_by_account_splits_the_fleet_by_account() {
    let dir = tempfile::tempdir().unwrap();
    let synth = crate::util::stdout_of(
        crate::util::emrcost().args(["synth", "--runs", "30", "--seed", "7"]),
    );
    let mut reader = csv::Reader::from_reader(synth.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = headers.iter().position(|h| h == "account_id").unwrap();
    let mut writer = csv::Writer::from_path(dir.path().join("runs.csv")).unwrap();
    writer.write_record(&headers).unwrap();
    for (i, rec) in reader.records().enumerate() {
        let mut row: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        row[at] = match i % 3 {
            0 => "111111111111".into(),
            1 => "222222222222".into(),
            _ => String::new(),
        };
        writer.write_record(&row).unwrap();
    }
    writer.flush().unwrap();
    crate::util::emrcost()
        .args([
            "report",
            "--quiet",
            "--group-by",
            "account",
            "--format",
            "json",
            "--out",
        ])
        .arg(dir.path().join("rep"))
        .arg(dir.path().join("runs.csv"))
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rep/report.json")).unwrap())
            .unwrap();
    let groups = r["groups"].as_array().unwrap();
    let mut keys: Vec<&str> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
    keys.sort();
    assert_eq!(keys, ["(no account)", "111111111111", "222222222222"]);
    for g in groups {
        assert_eq!(g["runs"], 10, "{}", g["key"]);
    }
    let sum: f64 = groups
        .iter()
        .map(|g| g["costs"]["emr_serverless_usd"].as_f64().unwrap())
        .sum();
    let total = r["total"]["costs"]["emr_serverless_usd"].as_f64().unwrap();
    assert!((sum - total).abs() < 1e-6, "{sum} vs {total}");
    // The chargeback: each account's months add up to its total, the
    // totals to what the fleet cost where it ran, the shares to 1.
    let c = &r["chargeback"];
    let months = c["months"].as_array().unwrap().len();
    let mut all = 0.0;
    let mut shares = 0.0;
    for row in c["rows"].as_array().unwrap() {
        let by_month: Vec<f64> = row["by_month_usd"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(by_month.len(), months);
        let t = row["total_usd"].as_f64().unwrap();
        assert!((by_month.iter().sum::<f64>() - t).abs() < 1e-6, "{row}");
        all += t;
        shares += row["share"].as_f64().unwrap();
    }
    assert!((all - r["total"]["current_usd"].as_f64().unwrap()).abs() < 1e-6);
    assert!((shares - 1.0).abs() < 1e-9);
}
