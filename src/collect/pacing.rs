//! Client-side pacing and retries for AWS calls.
//!
//! Every attempt (first tries and retries alike) waits for a token from the
//! bucket of its call kind, so the collector stays inside the account's
//! quota however many calls are in flight. The SDK's own retries are off
//! (`RetryConfig::disabled()`), so each attempt here is one HTTP request.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;

/// Calls per second and burst for one call kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    /// Parses `10` or `10/50` (rate per second, then burst).
    pub fn parse(raw: &str, default_burst: u32) -> Result<Rate, String> {
        let (rate, burst) = match raw.split_once('/') {
            Some((r, b)) => (r, Some(b)),
            None => (raw, None),
        };
        let per_second: f64 = rate
            .trim()
            .parse()
            .map_err(|_| format!("'{raw}': expected calls per second, e.g. 10 or 10/50"))?;
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(format!("'{raw}': the rate must be above zero"));
        }
        let burst = match burst {
            Some(b) => b.trim().parse().ok().filter(|b| *b >= 1).ok_or_else(|| {
                format!("'{raw}': the burst must be a whole number of calls, at least 1")
            })?,
            None => default_burst,
        };
        Ok(Rate { per_second, burst })
    }
}

/// The EMR Serverless quotas per account and region (FACTS.md section 5,
/// AWS endpoints-and-quotas): GetJobRun, GetApplication and ListApplications
/// 10/s burst 50; ListJobRuns 1/s burst 25.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quotas {
    pub get: Rate,
    pub list_runs: Rate,
    /// CloudWatch GetMetricData and ListMetrics. AWS's default quota for
    /// GetMetricData is far above what one collection needs; 10/s keeps the
    /// collector polite.
    pub metrics: Rate,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            get: Rate {
                per_second: 10.0,
                burst: 50,
            },
            list_runs: Rate {
                per_second: 1.0,
                burst: 25,
            },
            metrics: Rate {
                per_second: 10.0,
                burst: 20,
            },
        }
    }
}

/// One token bucket.
pub struct Bucket {
    limiter: DefaultDirectRateLimiter,
}

impl Bucket {
    pub fn new(rate: Rate) -> Bucket {
        // governor counts in whole cells per period: express the rate as one
        // cell every 1/rate seconds.
        let period = Duration::from_secs_f64(1.0 / rate.per_second);
        let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Bucket {
            limiter: RateLimiter::direct(quota),
        }
    }

    pub async fn ready(&self) {
        self.limiter.until_ready().await;
    }
}

/// How a failed attempt should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Throttled: back off and try again.
    Throttled,
    /// A 5xx, a timeout or a dropped connection: try again.
    Transient,
    /// Anything else (access denied, validation, not found): give up.
    Permanent,
}

/// Backoff policy: full jitter on an exponential ceiling.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(20),
        }
    }
}

impl Backoff {
    fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let ms = ceiling.as_millis().max(1) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms))
    }
}

/// Counts of what happened, for the summary and the benchmarks.
#[derive(Debug, Default)]
pub struct CallStats {
    pub calls: AtomicU64,
    pub throttled: AtomicU64,
    pub transient: AtomicU64,
}

impl CallStats {
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.calls.load(Ordering::Relaxed),
            self.throttled.load(Ordering::Relaxed),
            self.transient.load(Ordering::Relaxed),
        )
    }
}

/// Runs `call` paced by `bucket`, retrying throttles and transient failures
/// with backoff. `classify` decides what a failure is.
pub async fn paced<T, E, F, Fut>(
    bucket: &Bucket,
    backoff: &Backoff,
    stats: &Arc<CallStats>,
    classify: impl Fn(&E) -> Failure,
    mut call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        bucket.ready().await;
        stats.calls.fetch_add(1, Ordering::Relaxed);
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let kind = classify(&e);
                match kind {
                    Failure::Throttled => stats.throttled.fetch_add(1, Ordering::Relaxed),
                    Failure::Transient => stats.transient.fetch_add(1, Ordering::Relaxed),
                    Failure::Permanent => return Err(e),
                };
                attempt += 1;
                if attempt >= backoff.max_attempts {
                    return Err(e);
                }
                tracing::debug!(?kind, attempt, "retrying after a failed call");
                tokio::time::sleep(backoff.delay(attempt)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_and_without_burst() {
        assert_eq!(
            Rate::parse("10", 50),
            Ok(Rate {
                per_second: 10.0,
                burst: 50
            })
        );
        assert_eq!(
            Rate::parse("0.5/3", 50),
            Ok(Rate {
                per_second: 0.5,
                burst: 3
            })
        );
        assert!(Rate::parse("0", 1).unwrap_err().contains("above zero"));
        assert!(Rate::parse("ten", 1).unwrap_err().contains("e.g. 10"));
        assert!(Rate::parse("5/0", 1).unwrap_err().contains("burst"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff::default();
        for attempt in 1..30 {
            let d = b.delay(attempt);
            let ceiling = (b.base.as_millis() as u64) << attempt.min(16);
            let ceiling = ceiling.min(b.cap.as_millis() as u64);
            assert!(d.as_millis() as u64 >= ceiling / 2 && d.as_millis() as u64 <= ceiling);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_bucket_holds_calls_to_the_rate_after_the_burst() {
        let bucket = Bucket::new(Rate {
            per_second: 100.0,
            burst: 5,
        });
        let start = std::time::Instant::now();
        for _ in 0..25 {
            bucket.ready().await;
        }
        // 5 at once, then 20 more at 100/s: at least 0.19 s (a lower bound,
        // so a slow machine cannot fail it).
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
    }
}
