//! Issue 12: comparisons that hold the same job on every option.

use emrcost::cost::{Assumptions, Pricer};
use emrcost::model::{Architecture, JobShape, ShapeBasis, WorkerSize};
use emrcost::pricing::PriceBook;
use proptest::prelude::*;

fn worker(vcpu: f64, heap_gb: f64, a: &Assumptions) -> WorkerSize {
    WorkerSize {
        vcpu,
        memory_gb: a.with_overhead_gb(heap_gb),
        disk_gb: 20.0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With like-for-like architecture and peak sizing, the EMR on EC2
    /// cluster's YARN capacity holds the job's peak executors (vCPU and
    /// memory with overhead), its primary node holds the driver, and every
    /// node is of the job's architecture; the Glue workers hold the peak
    /// executors' vCPU and memory at the heap Glue gives them, plus a
    /// worker that holds the driver.
    #[test]
    fn every_option_holds_the_whole_job(
        executor_vcpu in prop::sample::select(vec![1.0, 2.0, 4.0, 8.0, 16.0]),
        heap_per_vcpu in 1.0f64..7.0,
        driver_vcpu in prop::sample::select(vec![1.0, 2.0, 4.0, 8.0]),
        driver_heap in 1.0f64..100.0,
        average in 0.0f64..300.0,
        peak_factor in 1.0f64..3.0,
        arm in any::<bool>(),
    ) {
        let book = PriceBook::embedded().unwrap();
        let a = Assumptions::default();
        let arch = if arm { Architecture::Arm64 } else { Architecture::X86_64 };
        let executor = worker(executor_vcpu, executor_vcpu * heap_per_vcpu, &a);
        let driver = worker(driver_vcpu, driver_heap, &a);
        let shape = JobShape {
            peak_executors: average * peak_factor,
            peak_estimated: true,
            ..JobShape::steady(driver, executor, average, ShapeBasis::AverageFromUsage)
        };
        let peak = shape.provisioned_executors();
        let pricer = Pricer::new(&book, a.clone());
        let Ok(curves) = pricer.curves("us-east-1", arch, &shape) else {
            // Too large for an EMR Serverless worker: nothing to compare.
            return Ok(());
        };
        if let Some(ec2) = &curves.ec2 {
            let core = book.instance_type(&ec2.instance_type).unwrap();
            let primary = book.instance_type(&ec2.primary_instance_type).unwrap();
            prop_assert_eq!(core.architecture, arch);
            prop_assert_eq!(primary.architecture, arch);
            let nodes = f64::from(ec2.core_nodes);
            prop_assert!(nodes * f64::from(core.yarn_vcores) >= f64::from(peak) * executor.vcpu.ceil());
            prop_assert!(
                nodes * f64::from(core.yarn_memory_mb) >= f64::from(peak) * executor.memory_gb * 1024.0 - 1e-6,
                "{} x {} holds {} executors of {} GB", ec2.core_nodes, core.name, peak, executor.memory_gb
            );
            prop_assert!(f64::from(primary.vcpu) >= driver.vcpu);
            prop_assert!(f64::from(primary.yarn_memory_mb) >= driver.memory_gb * 1024.0 - 1e-6);
        } else {
            // Only when no type of the architecture holds one executor.
            prop_assert!(!curves.unavailable.is_empty());
        }
        if let Some(glue) = &curves.glue {
            let w = book.glue_workers.iter().find(|w| w.name == *glue.worker_type).unwrap();
            let process_gb = a.with_overhead_gb(a.glue_heap_gb_per_dpu * w.dpu);
            let executor_workers = f64::from(glue.workers - 1);
            prop_assert!(executor_workers * w.vcpu >= f64::from(peak) * executor.vcpu - 1e-9);
            prop_assert!(executor_workers * process_gb >= f64::from(peak) * executor.memory_gb - 1e-9);
            prop_assert!(w.vcpu >= driver.vcpu && process_gb >= driver.memory_gb - 1e-9);
            prop_assert!((glue.dpu - f64::from(glue.workers) * w.dpu).abs() < 1e-9);
        }
    }
}

/// Issue 12: a 100 GB driver gets a primary node that holds it (110 GB
/// with overhead): in the m5 family of the core nodes, m5.8xlarge
/// (122880 MB of YARN memory) is the smallest that does.
#[test]
fn a_large_driver_gets_a_primary_that_holds_it() {
    let book = PriceBook::embedded().unwrap();
    let a = Assumptions {
        ec2_instance: "m5.xlarge".parse().unwrap(),
        ..Assumptions::default()
    };
    let executor = worker(4.0, 10.0, &a);
    let driver = worker(4.0, 100.0, &a);
    let shape = JobShape::steady(driver, executor, 4.0, ShapeBasis::Declared);
    let curves = Pricer::new(&book, a)
        .curves("us-east-1", Architecture::X86_64, &shape)
        .unwrap();
    let ec2 = curves.ec2.unwrap();
    assert_eq!(&*ec2.primary_instance_type, "m5.8xlarge");
    // 4 core m5.xlarge + one m5.8xlarge, with their EBS (64 and 512 GiB of
    // gp3 at $0.08 per GB-month over 730 h).
    let node = |ec2: f64, emr: f64, gib: f64| ec2 + emr + gib * 0.08 / 730.0;
    let want = 4.0 * node(0.192, 0.048, 64.0) + node(1.536, 0.27, 512.0);
    assert!(
        (ec2.cluster_hour_usd - want).abs() < 1e-9,
        "{}",
        ec2.cluster_hour_usd
    );
}

/// A run of 10 executors on average: a driver and 10 executors of 4 vCPU
/// and 14 GB heap for an hour bill 44 vCPU-hours.
fn run(id: &str, peak: Option<u32>) -> emrcost::model::JobRun {
    use emrcost::model::{JobRun, JobState, ResourceUsage, UsageSource};
    JobRun {
        region: "us-east-1".into(),
        application_id: "app".into(),
        application_name: Some("etl".into()),
        architecture: Architecture::X86_64,
        job_run_id: id.into(),
        attempt: 1,
        job_name: None,
        state: JobState::Success,
        release_label: None,
        created_at: None,
        started_at: None,
        ended_at: None,
        queued_ms: None,
        duration_s: Some(3600.0),
        billed: Some(ResourceUsage {
            vcpu_hours: 44.0,
            memory_gb_hours: 176.0,
            storage_gb_hours: 0.0,
        }),
        total: None,
        executor_vcpu: Some(4.0),
        executor_memory_gb: Some(14.0),
        executor_disk_gb: None,
        driver_vcpu: Some(4.0),
        driver_memory_gb: Some(14.0),
        max_executors: None,
        peak_executors: peak,
        incomplete: false,
        source: UsageSource::Csv,
        glue: None,
        glue_worker_type: None,
        ec2_cost_usd: None,
        ec2_cluster_id: None,
        account_id: None,
        tags: None,
    }
}

fn report_json(
    dir: &std::path::Path,
    runs: &[emrcost::model::JobRun],
    flags: &[&str],
) -> serde_json::Value {
    let csv = dir.join("runs.csv");
    let mut text = Vec::new();
    emrcost::input::csv::write_csv(&mut text, runs).unwrap();
    std::fs::write(&csv, text).unwrap();
    let out = dir.join("out");
    crate::util::emrcost()
        .args(["report", "--quiet", "--format", "json", "--out"])
        .arg(&out)
        .arg(&csv)
        .args(flags)
        .assert()
        .success();
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

fn setting<'a>(report: &'a serde_json::Value, name: &str) -> (&'a str, &'a str) {
    let line = report["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap();
    (
        line["value"].as_str().unwrap(),
        line["basis"].as_str().unwrap(),
    )
}

/// Issue 12: where some runs have a measured peak (CloudWatch, event
/// logs), the median of their peak / average is the factor for the others,
/// and the report says so. Three runs peak at 20, 30 and 20 executors over
/// an average of 10: ratios 2, 3, 2, median 2, so the two runs without a
/// peak are sized for 20. `--peak-factor` overrides it.
#[test]
fn the_peak_factor_is_measured_from_the_runs_that_have_one() {
    let dir = tempfile::tempdir().unwrap();
    let runs = [
        run("a", Some(20)),
        run("b", Some(30)),
        run("c", Some(20)),
        run("d", None),
        run("e", None),
    ];
    let r = report_json(dir.path(), &runs, &[]);
    let (value, basis) = setting(&r, "peak_factor");
    assert_eq!(value, "2");
    assert!(
        basis.starts_with("median peak / average of this input's runs"),
        "{basis}"
    );
    let peak_of = |r: &serde_json::Value, id: &str| {
        let j = r["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job_run_id"] == id)
            .unwrap();
        (
            j["peak_executors"].as_f64().unwrap(),
            j["peak_estimated"].as_bool().unwrap(),
        )
    };
    assert_eq!(peak_of(&r, "b"), (30.0, false));
    assert_eq!(peak_of(&r, "d"), (20.0, true));
    assert_eq!(r["total"]["peak_estimated_runs"], 2);

    let r = report_json(dir.path(), &runs, &["--peak-factor", "1.2"]);
    assert_eq!(setting(&r, "peak_factor").0, "1.2");
    assert_eq!(peak_of(&r, "d"), (12.0, true));
    assert_eq!(peak_of(&r, "a"), (20.0, false));

    // Without any measured peak, the documented default.
    let r = report_json(dir.path(), &[run("d", None)], &[]);
    let (value, basis) = setting(&r, "peak_factor");
    assert_eq!(value, "1.5");
    assert!(basis.contains("documented default"), "{basis}");
}

/// Flags that choose a policy name the flag and the choices when wrong.
#[test]
fn policy_flags_name_their_choices() {
    for (flag, bad, want) in [
        (
            "--ec2-sizing",
            "average",
            "--ec2-sizing: 'average' is not one of peak, managed-scaling",
        ),
        (
            "--glue-mapping",
            "1:1",
            "--glue-mapping: '1:1' is not one of capacity, per-executor",
        ),
        (
            "--ec2-arch",
            "arm",
            "--ec2-arch: 'arm' is not one of same, any",
        ),
        (
            "--peak-factor",
            "0.5",
            "--peak-factor is the peak executor count over the average, between 1 and 100",
        ),
        (
            "--teardown-seconds",
            "-1",
            "--teardown-seconds must be between 0 and 86400",
        ),
    ] {
        crate::util::emrcost()
            .args(["report", "--sample", "--out", "/nonexistent/never-written"])
            .arg(format!("{flag}={bad}"))
            .assert()
            .code(1)
            .stderr(predicates::str::contains(want));
    }
}

/// The Graviton what-if is on Graviton types whatever `--ec2-arch` says:
/// under `any`, the run's own plan may be on either architecture, but the
/// what-if never is x86.
#[test]
fn the_graviton_what_if_stays_on_graviton() {
    let book = PriceBook::embedded().unwrap();
    let a = Assumptions {
        ec2_arch: "any".parse().unwrap(),
        ..Assumptions::default()
    };
    let executor = worker(4.0, 14.0, &a);
    let shape = JobShape::steady(executor, executor, 30.0, ShapeBasis::Declared);
    for arch in [Architecture::X86_64, Architecture::Arm64] {
        let curves = Pricer::new(&book, a.clone())
            .curves("us-east-1", arch, &shape)
            .unwrap();
        let what_if = curves.ec2_graviton.expect("a Graviton plan");
        for t in [&what_if.instance_type, &what_if.primary_instance_type] {
            assert_eq!(
                book.instance_type(t).unwrap().architecture,
                Architecture::Arm64,
                "{t}"
            );
        }
        // `any` picks the cheaper of the two, so never dearer than Graviton.
        assert!(curves.ec2.unwrap().cluster_hour_usd <= what_if.cluster_hour_usd + 1e-12);
    }
}
