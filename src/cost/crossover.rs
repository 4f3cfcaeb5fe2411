//! Exact crossover runtimes between deployment options.
//!
//! Every option's cost is a continuous piecewise-linear function of runtime
//! ([`BillingCurve`]): flat up to its minimum, then linear. The difference of
//! two such curves is linear between the union of their breakpoints, so each
//! sign change is found by solving one linear equation: no sampling.
//!
//! A crossover is reported at the exact runtime where the two costs are equal,
//! with the option that is cheaper just below it and the one cheaper just above.

use serde::Serialize;

use super::{BillingCurve, DeploymentOption};

/// Costs closer than this (USD) count as equal.
const EPS_USD: f64 = 1e-12;

/// A runtime at which the cheaper of two options changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crossover {
    /// Reference runtime, in seconds (fractional: the exact solution).
    pub runtime_s: f64,
    pub cheaper_below: DeploymentOption,
    pub cheaper_above: DeploymentOption,
    /// Both options' cost at that runtime.
    pub cost_usd: f64,
}

/// All crossovers between two options; empty when one is always cheaper
/// (or they never differ).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairCrossovers {
    pub a: DeploymentOption,
    pub b: DeploymentOption,
    pub crossovers: Vec<Crossover>,
    /// Cheaper of the two for very short jobs (`None` if they tie there).
    pub cheaper_at_start: Option<DeploymentOption>,
}

/// A runtime range over which one option is the cheapest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CheapestRange {
    pub from_s: f64,
    /// `None`: from `from_s` on, for ever.
    pub to_s: Option<f64>,
    pub option: DeploymentOption,
}

/// The full answer for a set of options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossoverAnalysis {
    pub pairs: Vec<PairCrossovers>,
    /// Every change of the cheapest option overall, in runtime order.
    pub cheapest_changes: Vec<Crossover>,
    pub cheapest_ranges: Vec<CheapestRange>,
}

/// Solves every pair and the cheapest-option envelope.
pub fn analyse(curves: &[(DeploymentOption, BillingCurve)]) -> CrossoverAnalysis {
    let mut pairs = Vec::new();
    let mut points: Vec<f64> = vec![0.0];
    points.extend(curves.iter().filter_map(|(_, c)| c.breakpoint_s()));
    for (i, (a, fa)) in curves.iter().enumerate() {
        for (b, fb) in &curves[i + 1..] {
            let (crossovers, zeros) = pair(*a, fa, *b, fb);
            points.extend(zeros);
            points.extend(crossovers.iter().map(|c| c.runtime_s));
            let start = probe_start(&points_of(fa, fb));
            let d = fa.cost_linear_usd(start) - fb.cost_linear_usd(start);
            pairs.push(PairCrossovers {
                a: *a,
                b: *b,
                crossovers,
                cheaper_at_start: match sign(d) {
                    -1 => Some(*a),
                    1 => Some(*b),
                    _ => None,
                },
            });
        }
    }
    let points = sorted_unique(points);
    let (cheapest_changes, cheapest_ranges) = envelope(curves, &points);
    CrossoverAnalysis {
        pairs,
        cheapest_changes,
        cheapest_ranges,
    }
}

fn sign(d: f64) -> i8 {
    if d > EPS_USD {
        1
    } else if d < -EPS_USD {
        -1
    } else {
        0
    }
}

fn sorted_unique(mut v: Vec<f64>) -> Vec<f64> {
    v.retain(|t| t.is_finite() && *t >= 0.0);
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * b.abs().max(1.0));
    v
}

fn points_of(f: &BillingCurve, g: &BillingCurve) -> Vec<f64> {
    let mut p = vec![0.0];
    p.extend(f.breakpoint_s());
    p.extend(g.breakpoint_s());
    sorted_unique(p)
}

/// A runtime inside the first linear piece (0, first breakpoint).
fn probe_start(points: &[f64]) -> f64 {
    match points.get(1) {
        Some(&next) => next / 2.0,
        None => 1.0,
    }
}

/// A runtime past every point, where only slopes matter.
fn probe_after(last: f64) -> f64 {
    last + last.max(1.0)
}

/// Crossings of `fa - fb`, and the isolated points where it is zero.
fn pair(
    a: DeploymentOption,
    fa: &BillingCurve,
    b: DeploymentOption,
    fb: &BillingCurve,
) -> (Vec<Crossover>, Vec<f64>) {
    let d = |t: f64| fa.cost_linear_usd(t) - fb.cost_linear_usd(t);
    let pts = points_of(fa, fb);

    // Candidate zeros: breakpoints where d = 0 and roots inside each piece.
    let mut zeros: Vec<f64> = pts.iter().copied().filter(|&t| sign(d(t)) == 0).collect();
    let last = *pts.last().unwrap_or(&0.0);
    let mut pieces: Vec<(f64, f64)> = pts.windows(2).map(|w| (w[0], w[1])).collect();
    pieces.push((last, probe_after(last)));
    for (i, &(lo, hi)) in pieces.iter().enumerate() {
        let (dl, dh) = (d(lo), d(hi));
        let tail = i == pieces.len() - 1;
        if sign(dl) * sign(dh) < 0 || (tail && sign(dl) != 0 && sign(dh - dl) == -sign(dl)) {
            // Linear on [lo, hi] (and beyond hi on the tail).
            let root = lo + dl * (hi - lo) / (dl - dh);
            if root.is_finite() && root > lo {
                zeros.push(root);
            }
        }
    }
    let zeros = sorted_unique(zeros);

    // Sign on each open interval between zeros; a crossover wherever the
    // non-zero sign flips, placed where the earlier sign's interval ended.
    let mut crossovers = Vec::new();
    let mut prev: Option<(i8, f64)> = None;
    let mut bounds = vec![0.0];
    bounds.extend(zeros.iter().copied());
    let bounds = sorted_unique(bounds);
    for (k, &lo) in bounds.iter().enumerate() {
        let hi = bounds.get(k + 1).copied();
        let probe = hi.map_or_else(|| probe_after(lo), |hi| (lo + hi) / 2.0);
        let s = sign(d(probe));
        if s == 0 {
            continue;
        }
        if let Some((p, end)) = prev {
            if p != s {
                let (below, above) = if p < 0 { (a, b) } else { (b, a) };
                crossovers.push(Crossover {
                    runtime_s: end,
                    cheaper_below: below,
                    cheaper_above: above,
                    cost_usd: fa.cost_linear_usd(end),
                });
            }
        }
        prev = Some((s, hi.unwrap_or(f64::INFINITY)));
    }
    (crossovers, zeros)
}

/// Walks the sorted critical points and records where the cheapest option
/// changes. Between two consecutive points every curve is linear and no
/// pair crosses, so one probe per interval decides it.
fn envelope(
    curves: &[(DeploymentOption, BillingCurve)],
    points: &[f64],
) -> (Vec<Crossover>, Vec<CheapestRange>) {
    let cheapest = |t: f64| -> usize {
        let mut best = 0;
        for (i, (_, c)) in curves.iter().enumerate().skip(1) {
            if c.cost_linear_usd(t) < curves[best].1.cost_linear_usd(t) - EPS_USD {
                best = i;
            }
        }
        best
    };
    let mut changes = Vec::new();
    let mut ranges: Vec<CheapestRange> = Vec::new();
    if curves.is_empty() {
        return (changes, ranges);
    }
    for (k, &lo) in points.iter().enumerate() {
        let probe = match points.get(k + 1) {
            Some(&hi) => (lo + hi) / 2.0,
            None => probe_after(lo),
        };
        let i = cheapest(probe);
        let option = curves[i].0;
        match ranges.last_mut() {
            Some(r) if r.option == option => {}
            Some(r) => {
                r.to_s = Some(lo);
                changes.push(Crossover {
                    runtime_s: lo,
                    cheaper_below: r.option,
                    cheaper_above: option,
                    cost_usd: curves[i].1.cost_linear_usd(lo),
                });
                ranges.push(CheapestRange {
                    from_s: lo,
                    to_s: None,
                    option,
                });
            }
            None => ranges.push(CheapestRange {
                from_s: lo,
                to_s: None,
                option,
            }),
        }
    }
    (changes, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use DeploymentOption::*;

    fn curve(usd_per_hour: f64, offset_s: f64, minimum_s: f64) -> BillingCurve {
        BillingCurve {
            usd_per_second: usd_per_hour / 3600.0,
            time_scale: 1.0,
            offset_s,
            minimum_s,
        }
    }

    #[test]
    fn serverless_versus_ec2_with_provisioning() {
        // Serverless $3/h, 60 s minimum. EC2 $2/h plus 210 s provisioning.
        // 3t = 2(t + 210) -> t = 420 s.
        let s = curve(3.0, 0.0, 60.0);
        let e = curve(2.0, 210.0, 60.0);
        let r = analyse(&[(EmrServerless, s), (Ec2OnDemand, e)]);
        let x = &r.pairs[0].crossovers;
        assert_eq!(x.len(), 1);
        assert!((x[0].runtime_s - 420.0).abs() < 1e-9);
        assert_eq!(
            (x[0].cheaper_below, x[0].cheaper_above),
            (EmrServerless, Ec2OnDemand)
        );
        assert!((x[0].cost_usd - 0.35).abs() < 1e-12);
        assert_eq!(r.cheapest_changes.len(), 1);
        assert_eq!(r.cheapest_ranges[0].option, EmrServerless);
        assert_eq!(r.cheapest_ranges[1].option, Ec2OnDemand);
    }

    #[test]
    fn no_crossover_when_one_is_always_cheaper() {
        let r = analyse(&[
            (GlueStandard, curve(2.0, 0.0, 60.0)),
            (GlueFlex, curve(1.0, 0.0, 60.0)),
        ]);
        assert!(r.pairs[0].crossovers.is_empty());
        assert_eq!(r.pairs[0].cheaper_at_start, Some(GlueFlex));
        assert!(r.cheapest_changes.is_empty());
        assert_eq!(r.cheapest_ranges.len(), 1);
    }

    #[test]
    fn crossover_inside_a_minimum() {
        // A: $6/h with a 600 s minimum ($1 flat) then linear.
        // B: $9/h with a 60 s minimum. B < A while 9t/3600 < 1 -> t < 400 s.
        // From 600 s on, B (9/h) stays dearer than A (6/h): one crossover.
        let r = analyse(&[
            (GlueStandard, curve(6.0, 0.0, 600.0)),
            (EmrServerless, curve(9.0, 0.0, 60.0)),
        ]);
        let x = &r.pairs[0].crossovers;
        assert_eq!(x.len(), 1, "{x:?}");
        assert!((x[0].runtime_s - 400.0).abs() < 1e-9);
        assert_eq!(x[0].cheaper_below, EmrServerless);
    }

    #[test]
    fn several_changes_of_the_cheapest() {
        // A: flat-ish start, steep; B: provisioning offset, cheap rate;
        // C: big minimum, middling rate. Cheapest goes A -> C -> B.
        let a = curve(10.0, 0.0, 60.0); // $10/h
        let b = curve(1.0, 3600.0, 60.0); // $1 for the first hour's offset, $1/h
        let c = curve(4.0, 0.0, 300.0); // $0.333 flat to 300 s, $4/h
        let r = analyse(&[(EmrServerless, a), (Ec2OnDemand, b), (GlueStandard, c)]);
        let seq: Vec<_> = r.cheapest_ranges.iter().map(|r| r.option).collect();
        assert_eq!(seq, vec![EmrServerless, GlueStandard, Ec2OnDemand]);
        // A = C at 10t/3600 = 1/3 -> t = 120 s; C = B at 4t = t + 3600 -> 1200 s.
        assert!((r.cheapest_changes[0].runtime_s - 120.0).abs() < 1e-9);
        assert!((r.cheapest_changes[1].runtime_s - 1200.0).abs() < 1e-9);
    }

    #[test]
    fn one_pair_can_cross_twice() {
        // G: $2 flat to 1200 s (a 1200 s minimum at $6/h), then $6/h.
        // H: $3/h with 1800 s provisioning: $1.50 at t = 0.
        // H < G until H reaches $2 at 600 s; G < H until G catches up at
        // 6t = 3(t + 1800) -> 1800 s; H < G after that.
        let g = curve(6.0, 0.0, 1200.0);
        let h = curve(3.0, 1800.0, 0.0);
        let r = analyse(&[(GlueStandard, g), (Ec2OnDemand, h)]);
        let x = &r.pairs[0].crossovers;
        assert_eq!(x.len(), 2, "{x:?}");
        assert!((x[0].runtime_s - 600.0).abs() < 1e-9);
        assert_eq!(x[0].cheaper_below, Ec2OnDemand);
        assert!((x[1].runtime_s - 1800.0).abs() < 1e-9);
        assert_eq!(x[1].cheaper_below, GlueStandard);
        assert_eq!(r.cheapest_changes.len(), 2);
    }

    #[test]
    fn curves_equal_at_the_start_then_diverging_do_not_cross() {
        // Both $1 at t = 0; A stays flat to 300 s while B rises.
        let a = curve(12.0, 0.0, 300.0);
        let b = curve(2.0, 1800.0, 0.0);
        let r = analyse(&[(EmrServerless, a), (Ec2OnDemand, b)]);
        let x = &r.pairs[0].crossovers;
        // A is cheaper from just above 0 until 12t = 2(t + 1800) at 360 s.
        assert_eq!(x.len(), 1, "{x:?}");
        assert!((x[0].runtime_s - 360.0).abs() < 1e-9);
        assert_eq!(x[0].cheaper_below, EmrServerless);
    }

    fn arb_curve() -> impl Strategy<Value = BillingCurve> {
        (0.01f64..50.0, 0.5f64..2.0, 0.0f64..900.0, 0.0f64..1200.0).prop_map(
            |(usd_per_hour, time_scale, offset_s, minimum_s)| BillingCurve {
                usd_per_second: usd_per_hour / 3600.0,
                time_scale,
                offset_s,
                minimum_s,
            },
        )
    }

    proptest! {
        /// At each reported crossover the two options cost the same to the
        /// cent; just below and just above it, the order flips.
        #[test]
        fn crossovers_are_exact_and_flip(curves in prop::collection::vec(arb_curve(), 2..5)) {
            let opts: Vec<(DeploymentOption, BillingCurve)> =
                DeploymentOption::ALL.iter().copied().zip(curves).collect();
            let r = analyse(&opts);
            let cost = |o: DeploymentOption, t: f64| {
                opts.iter().find(|(x, _)| *x == o).unwrap().1.cost_linear_usd(t)
            };
            for p in &r.pairs {
                for (k, x) in p.crossovers.iter().enumerate() {
                    let t = x.runtime_s;
                    prop_assert!((cost(p.a, t) - cost(p.b, t)).abs() < 0.005);
                    // Step to the side, staying clear of neighbouring crossings.
                    let gap_below = if k == 0 { t } else { t - p.crossovers[k - 1].runtime_s };
                    let gap_above = p.crossovers.get(k + 1).map_or(1.0, |n| n.runtime_s - t);
                    let dl = (gap_below / 2.0).min(1.0);
                    let du = (gap_above / 2.0).min(1.0);
                    if dl < 1e-6 || du < 1e-6 { continue; }
                    let below = cost(x.cheaper_below, t - dl) - cost(x.cheaper_above, t - dl);
                    let above = cost(x.cheaper_below, t + du) - cost(x.cheaper_above, t + du);
                    prop_assert!(below <= 1e-12, "below {below} at {t}");
                    prop_assert!(above >= -1e-12, "above {above} at {t}");
                    prop_assert!(below < 0.0 || above > 0.0);
                }
            }
        }

        /// Dense sampling never finds a change of the cheapest option that the
        /// solver missed.
        #[test]
        fn envelope_matches_dense_sampling(curves in prop::collection::vec(arb_curve(), 2..5)) {
            let opts: Vec<(DeploymentOption, BillingCurve)> =
                DeploymentOption::ALL.iter().copied().zip(curves).collect();
            let r = analyse(&opts);
            for step in 0..2000 {
                let t = step as f64 * 7.3 + 0.37;
                let costs: Vec<f64> = opts.iter().map(|(_, c)| c.cost_linear_usd(t)).collect();
                let min = costs.iter().copied().fold(f64::INFINITY, f64::min);
                let range = r.cheapest_ranges.iter().rev().find(|g| g.from_s <= t).unwrap();
                let claimed = cost_of(&opts, range.option, t);
                prop_assert!(claimed - min < 1e-9, "at {t}: {claimed} vs {min}");
            }
        }
    }

    fn cost_of(opts: &[(DeploymentOption, BillingCurve)], o: DeploymentOption, t: f64) -> f64 {
        opts.iter()
            .find(|(x, _)| *x == o)
            .unwrap()
            .1
            .cost_linear_usd(t)
    }
}
