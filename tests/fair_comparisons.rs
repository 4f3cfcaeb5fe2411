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
