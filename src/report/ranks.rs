//! Percentiles of one per-run column within each group, month or the
//! whole fleet, by selection rather than by sorting every run.
//!
//! The definitions are the ones reports have always printed:
//! - p50 and p95 are the **nearest rank**: the smallest value with at least
//!   p of the values at or below it (polars' `Equiprobable`, DuckDB's
//!   `quantile_disc`);
//! - the median that feeds the crossovers is the **linear** one: the middle
//!   value, or halfway between the two middle values (polars' `median`).
//!
//! Runs without a value (no queue time) are left out; a key none of whose
//! runs has a value has no percentile.

use std::cmp::Ordering;

use rayon::prelude::*;

/// A key's percentiles of one column.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Ranks {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// Only when asked for.
    pub median: Option<f64>,
}

/// The percentiles of `value(i)` over the runs of each key: run `i` is in
/// key `keys[i]` (every run in key 0 when `keys` is `None`), `keys` codes
/// are below `n_keys`.
pub(crate) fn by_key(
    keys: Option<&[u32]>,
    n_keys: usize,
    runs: usize,
    value: impl Fn(usize) -> Option<f64>,
    median: bool,
) -> Vec<Ranks> {
    let key = |i: usize| keys.map_or(0, |k| k[i] as usize);
    // Each key's values laid out one after another (one copy of the
    // column, not one per key).
    let mut counts = vec![0usize; n_keys];
    for i in 0..runs {
        if value(i).is_some() {
            counts[key(i)] += 1;
        }
    }
    let mut starts = Vec::with_capacity(n_keys + 1);
    let mut at = 0;
    for c in &counts {
        starts.push(at);
        at += c;
    }
    starts.push(at);
    let mut laid = vec![0.0f64; at];
    let mut next = starts.clone();
    for i in 0..runs {
        if let Some(v) = value(i) {
            let k = key(i);
            laid[next[k]] = v;
            next[k] += 1;
        }
    }
    let mut slices = Vec::with_capacity(n_keys);
    let mut rest = laid.as_mut_slice();
    for k in 0..n_keys {
        let (mine, after) = rest.split_at_mut(starts[k + 1] - starts[k]);
        slices.push(mine);
        rest = after;
    }
    slices
        .into_par_iter()
        .map(|values| of(values, median))
        .collect()
}

fn order(a: &f64, b: &f64) -> Ordering {
    a.total_cmp(b)
}

/// The percentiles of `values` (reordered in place).
fn of(values: &mut [f64], median: bool) -> Ranks {
    let n = values.len();
    if n == 0 {
        return Ranks::default();
    }
    // Nearest rank: the ceil(n p)-th smallest, counted from 1.
    let rank = |p: f64| (((n as f64) * p).ceil() - 1.0).max(0.0) as usize;
    let (r50, r95) = (rank(0.5), rank(0.95));
    let (_, p50, above) = values.select_nth_unstable_by(r50, order);
    let p50 = *p50;
    // The next value up, for the median of an even count.
    let next = above.iter().copied().min_by(order);
    let p95 = if r95 == r50 {
        p50
    } else {
        *above.select_nth_unstable_by(r95 - r50 - 1, order).1
    };
    // The linear median: at (n - 1) / 2, which is the nearest-rank p50's
    // place, and halfway to the next value when n is even.
    let median = median.then(|| {
        let at = (n as f64 - 1.0) * 0.5;
        let lower = p50;
        let upper = if at.fract() == 0.0 {
            p50
        } else {
            next.unwrap_or(p50)
        };
        if lower == upper {
            lower
        } else {
            (at - at.floor()) * (upper - lower) + lower
        }
    });
    Ranks {
        p50: Some(p50),
        p95: Some(p95),
        median,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(values: &[f64]) -> Ranks {
        by_key(None, 1, values.len(), |i| Some(values[i]), true)[0]
    }

    /// Worked by hand: 1..=20 shuffled. Nearest rank p50 is the 10th
    /// smallest (10), p95 the 19th (19); the median is halfway between the
    /// 10th and 11th (10.5).
    #[test]
    fn twenty_values() {
        let v: Vec<f64> = [
            7, 3, 20, 1, 14, 9, 18, 2, 11, 16, 5, 13, 19, 4, 8, 12, 6, 17, 10, 15,
        ]
        .iter()
        .map(|x| f64::from(*x))
        .collect();
        assert_eq!(
            one(&v),
            Ranks {
                p50: Some(10.0),
                p95: Some(19.0),
                median: Some(10.5)
            }
        );
    }

    /// An odd count: the median is the middle value; one value is every
    /// percentile; repeated values.
    #[test]
    fn odd_counts_single_values_and_ties() {
        assert_eq!(
            one(&[30.0, 10.0, 20.0]),
            Ranks {
                p50: Some(20.0),
                p95: Some(30.0),
                median: Some(20.0)
            }
        );
        assert_eq!(
            one(&[42.0]),
            Ranks {
                p50: Some(42.0),
                p95: Some(42.0),
                median: Some(42.0)
            }
        );
        assert_eq!(
            one(&[5.0, 5.0, 1.0, 5.0]),
            Ranks {
                p50: Some(5.0),
                p95: Some(5.0),
                median: Some(5.0)
            }
        );
        // 1, 2: p50 is the 1st smallest, the median halfway.
        assert_eq!(one(&[2.0, 1.0]).median, Some(1.5));
        assert_eq!(one(&[2.0, 1.0]).p50, Some(1.0));
    }

    /// Keys apart; runs without a value left out; a key with none has no
    /// percentile.
    #[test]
    fn keys_and_missing_values() {
        let keys = [0u32, 1, 0, 1, 0, 2];
        let values = [Some(3.0), Some(100.0), Some(1.0), None, Some(2.0), None];
        let r = by_key(Some(&keys), 3, 6, |i| values[i], false);
        assert_eq!(
            r[0],
            Ranks {
                p50: Some(2.0),
                p95: Some(3.0),
                median: None
            }
        );
        assert_eq!(r[1].p50, Some(100.0));
        assert_eq!(r[1].p95, Some(100.0));
        assert_eq!(r[2], Ranks::default());
    }

    /// The same answers as polars' own quantile and median (the way the
    /// reports computed them before) on random columns with nulls.
    #[test]
    fn agrees_with_polars() {
        use polars::prelude::*;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for n in [1usize, 2, 3, 19, 20, 101, 1000] {
            let v: Vec<Option<f64>> = (0..n)
                .map(|_| (rng.gen_range(0..10) > 0).then(|| f64::from(rng.gen_range(0..500u32))))
                .collect();
            let df = df!("v" => v.clone()).unwrap();
            let got = df
                .lazy()
                .select([
                    col("v")
                        .quantile(lit(0.5), QuantileMethod::Equiprobable)
                        .alias("p50"),
                    col("v")
                        .quantile(lit(0.95), QuantileMethod::Equiprobable)
                        .alias("p95"),
                    col("v").median().alias("median"),
                ])
                .collect()
                .unwrap();
            let get = |c: &str| got.column(c).unwrap().f64().unwrap().get(0);
            let mine = by_key(None, 1, n, |i| v[i], true)[0];
            assert_eq!(mine.p50, get("p50"), "n {n}");
            assert_eq!(mine.p95, get("p95"), "n {n}");
            assert_eq!(mine.median, get("median"), "n {n}");
        }
    }
}
