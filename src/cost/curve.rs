//! The cost of a job as a function of its runtime.

use serde::Serialize;

/// `cost(t) = usd_per_second * max(t * time_scale + offset_s, minimum_s)`.
///
/// Every option emrcost models has this shape:
/// - EMR Serverless: the workers' rate, a 60 s minimum, no offset.
/// - EMR on EC2: the cluster's rate, provisioning time as the offset, 60 s minimum.
/// - Glue: DPUs x rate, a 60 s (2.0+) or 600 s (0.9/1.0) minimum.
///
/// `time_scale` is the option's runtime speed factor: the job takes
/// `t * time_scale` seconds there if it took `t` on the reference platform.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BillingCurve {
    pub usd_per_second: f64,
    pub time_scale: f64,
    pub offset_s: f64,
    pub minimum_s: f64,
}

impl BillingCurve {
    /// Seconds billed for a reference runtime: per-second billing rounds the
    /// last partial second up, then the minimum applies.
    pub fn billed_seconds(&self, runtime_s: f64) -> f64 {
        (runtime_s * self.time_scale + self.offset_s)
            .ceil()
            .max(self.minimum_s)
    }

    /// What a job of `runtime_s` seconds is billed.
    pub fn cost_usd(&self, runtime_s: f64) -> f64 {
        self.usd_per_second * self.billed_seconds(runtime_s)
    }

    /// The piecewise-linear cost without rounding the last partial second.
    /// Crossovers are solved on this; it equals [`cost_usd`](Self::cost_usd)
    /// at every whole billed second.
    pub fn cost_linear_usd(&self, runtime_s: f64) -> f64 {
        self.usd_per_second * (runtime_s * self.time_scale + self.offset_s).max(self.minimum_s)
    }

    /// The runtime below which the minimum applies, if it is above zero.
    pub fn breakpoint_s(&self) -> Option<f64> {
        let t = (self.minimum_s - self.offset_s) / self.time_scale;
        (t > 0.0 && t.is_finite()).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_then_per_second() {
        let c = BillingCurve {
            usd_per_second: 0.01,
            time_scale: 1.0,
            offset_s: 0.0,
            minimum_s: 60.0,
        };
        assert_eq!(c.billed_seconds(1.0), 60.0);
        assert_eq!(c.billed_seconds(60.2), 61.0);
        assert!((c.cost_usd(120.0) - 1.2).abs() < 1e-12);
        assert_eq!(c.breakpoint_s(), Some(60.0));
    }

    #[test]
    fn provisioning_offset_hides_the_minimum() {
        let c = BillingCurve {
            usd_per_second: 1.0,
            time_scale: 1.0,
            offset_s: 210.0,
            minimum_s: 60.0,
        };
        assert_eq!(c.billed_seconds(0.0), 210.0);
        assert_eq!(c.breakpoint_s(), None);
    }
}
