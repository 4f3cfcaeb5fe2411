//! Working out a job's shape (driver, executor size, executor count) from
//! what a job-run record tells us.

use super::{serverless, Assumptions, CostError};
use crate::model::{JobShape, ResourceUsage, RunFacts, ShapeBasis, WorkerSize};

/// The driver and executor sizes a record asked for, overhead included,
/// falling back to the Spark defaults in `a`.
pub fn requested_sizes(job: &RunFacts, a: &Assumptions) -> (WorkerSize, WorkerSize) {
    let driver = WorkerSize {
        vcpu: job.driver_vcpu.unwrap_or(a.default_driver.vcpu),
        memory_gb: a.with_overhead_gb(job.driver_memory_gb.unwrap_or(a.default_driver.memory_gb)),
        disk_gb: a.default_driver.disk_gb,
    };
    let executor = WorkerSize {
        vcpu: job.executor_vcpu.unwrap_or(a.default_executor.vcpu),
        memory_gb: a.with_overhead_gb(
            job.executor_memory_gb
                .unwrap_or(a.default_executor.memory_gb),
        ),
        disk_gb: job.executor_disk_gb.unwrap_or(a.default_executor.disk_gb),
    };
    (driver, executor)
}

/// Usage to derive the shape from: raw usage if present, else billed usage.
fn usage_for_shape(job: &RunFacts) -> Option<(ResourceUsage, bool)> {
    match (job.total, job.billed) {
        (Some(t), _) if !t.is_zero() => Some((t, false)),
        (_, Some(b)) if !b.is_zero() => Some((b, true)),
        _ => None,
    }
}

/// The job's shape.
///
/// - The executor count alive on average, from usage and runtime:
///   `(vCPU-hours / runtime - driver vCPU) / executor vCPU`, using the vCPU
///   of the EMR Serverless workers that actually billed.
/// - The peak: measured (CloudWatch metrics, an event log) when the record
///   has it; otherwise the average times `a.peak_factor`, marked estimated.
/// - Without usage: the measured peak, else the configured maximum, as both.
pub fn infer(job: &RunFacts, a: &Assumptions) -> Result<JobShape, CostError> {
    let (driver, executor) = requested_sizes(job, a);
    let driver_vcpu = f64::from(serverless::round_worker(&driver)?.vcpu);
    let executor_vcpu = f64::from(serverless::round_worker(&executor)?.vcpu);
    // A Glue run had its workers: one executor on each but the driver's
    // (FACTS.md section 4), all of them for the run, or on average what
    // DPUSeconds says for an auto-scaled run; the peak is the configured
    // count.
    if let Some(g) = job.glue {
        let configured = f64::from(g.workers.saturating_sub(1));
        let average = job.runtime_s.map_or(configured, |t| {
            (g.average_workers(t) - 1.0).clamp(0.0, configured)
        });
        return Ok(JobShape {
            peak_executors: configured,
            ..JobShape::steady(driver, executor, average, ShapeBasis::ConfiguredMaximum)
        });
    }
    // A peak of 0 measures nothing (an event log with no executor).
    let measured_peak = job.peak_executors.filter(|p| *p > 0).map(f64::from);

    if let (Some((usage, billed)), Some(runtime_s)) = (usage_for_shape(job), job.runtime_s) {
        if runtime_s > 0.0 {
            // Billed usage includes the 1-minute minimum; divide by what was billed.
            let seconds = if billed {
                runtime_s.max(serverless::MINIMUM_SECONDS)
            } else {
                runtime_s
            };
            let avg_vcpu = usage.vcpu_hours * 3600.0 / seconds;
            let executors = ((avg_vcpu - driver_vcpu) / executor_vcpu).max(0.0);
            if executors.is_nan() || executors > crate::model::limits::MAX_EXECUTORS {
                return Err(CostError::InvalidShape(format!(
                    "its usage over its runtime implies {executors:.3e} executors, above the {}; \
                     check duration_s and the usage figures",
                    crate::model::limits::MAX_EXECUTORS_TEXT
                )));
            }
            return Ok(match measured_peak {
                Some(peak) => JobShape {
                    peak_executors: peak.max(executors),
                    ..JobShape::steady(driver, executor, executors, ShapeBasis::Peak)
                },
                None => JobShape {
                    peak_executors: executors * a.peak_factor,
                    // Estimated even at a factor of 1: nothing measured it.
                    peak_estimated: executors > 0.0,
                    ..JobShape::steady(driver, executor, executors, ShapeBasis::AverageFromUsage)
                },
            });
        }
    }
    if let Some(peak) = measured_peak {
        return Ok(JobShape::steady(driver, executor, peak, ShapeBasis::Peak));
    }
    if let Some(max) = job.max_executors {
        return Ok(JobShape::steady(
            driver,
            executor,
            f64::from(max),
            ShapeBasis::ConfiguredMaximum,
        ));
    }
    Err(CostError::InvalidShape(
        "no usage with a runtime and no executor count: cannot tell how many executors ran".into(),
    ))
}

/// Peak over average executors for a run whose peak was measured and whose
/// average comes from its usage: what a peak factor is measured from.
pub fn measured_peak_ratio(job: &RunFacts, shape: &JobShape) -> Option<f64> {
    let averaged = usage_for_shape(job).is_some() && job.runtime_s.is_some_and(|r| r > 0.0);
    // A peak below the average contradicts the usage: it measures nothing.
    let peak = f64::from(job.peak_executors.filter(|p| *p > 0)?);
    (averaged && shape.executors > 0.0)
        .then(|| peak / shape.executors)
        .filter(|r| r.is_finite() && *r >= 1.0 - 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Architecture, JobRun, JobState, UsageSource};

    fn job(runtime_s: f64, vcpu_hours: f64) -> JobRun {
        JobRun {
            region: "us-east-1".into(),
            application_id: "app".into(),
            application_name: None,
            architecture: Architecture::X86_64,
            job_run_id: "run".into(),
            attempt: 1,
            job_name: None,
            state: JobState::Success,
            release_label: None,
            created_at: None,
            started_at: None,
            ended_at: None,
            queued_ms: None,
            duration_s: Some(runtime_s),
            billed: None,
            total: Some(ResourceUsage {
                vcpu_hours,
                memory_gb_hours: vcpu_hours * 4.0,
                storage_gb_hours: 0.0,
            }),
            executor_vcpu: None,
            executor_memory_gb: None,
            executor_disk_gb: None,
            driver_vcpu: None,
            driver_memory_gb: None,
            max_executors: None,
            peak_executors: None,
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

    #[test]
    fn average_executors_from_vcpu_hours() {
        // 1 driver + 10 executors x 4 vCPU for 2 h = 88 vCPU-hours.
        let s = infer(&job(7200.0, 88.0).facts(), &Assumptions::default()).unwrap();
        assert!((s.executors - 10.0).abs() < 1e-9);
        assert_eq!(s.basis, ShapeBasis::AverageFromUsage);
        // No measured peak: the average x the default factor 1.5, marked.
        assert!(s.peak_estimated);
        assert_eq!(s.provisioned_executors(), 15);
        assert_eq!(s.at_average().provisioned_executors(), 10);
        // A measured peak is used as it is.
        let mut j = job(7200.0, 88.0);
        j.peak_executors = Some(12);
        let s = infer(&j.facts(), &Assumptions::default()).unwrap();
        assert_eq!(
            (s.executors, s.peak_executors, s.peak_estimated),
            (10.0, 12.0, false)
        );
        assert_eq!(measured_peak_ratio(&j.facts(), &s), Some(1.2));
        assert!((s.executor.memory_gb - 15.4).abs() < 1e-9);
    }

    #[test]
    fn falls_back_to_configured_maximum() {
        let mut j = job(0.0, 0.0);
        j.total = None;
        j.max_executors = Some(7);
        let s = infer(&j.facts(), &Assumptions::default()).unwrap();
        assert_eq!(s.executors, 7.0);
        assert_eq!(s.basis, ShapeBasis::ConfiguredMaximum);
        j.max_executors = None;
        assert!(infer(&j.facts(), &Assumptions::default()).is_err());
    }
}
