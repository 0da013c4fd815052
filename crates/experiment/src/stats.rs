//! The statistics of an ensemble of paired runs, as pure functions with known answers: the
//! paired sign-flip permutation test, Holm's step-down correction, the smallest shift a test
//! of K pairs would detect, and the ratio of two variances with its F interval.
//! Student t and Wilson intervals are in `swarmlb_trace::interval`.

use statrs::distribution::{ContinuousCDF, FisherSnedecor, StudentsT};
use swarmlb_engine::KeyedDraw;

/// The significance level of every test (two-sided), before Holm's correction.
pub const ALPHA: f64 = 0.05;
/// Up to this many pairs, the sign-flip test enumerates all 2^K sign patterns.
pub const EXACT_PAIRS_MAX: usize = 20;
/// Beyond [`EXACT_PAIRS_MAX`] pairs, this many seeded random sign patterns.
pub const MONTE_CARLO_DRAWS: u64 = 20_000;
/// The power the smallest detectable shift is computed for.
pub const POWER: f64 = 0.8;

const _: () = assert!(EXACT_PAIRS_MAX < 31);
const _: () = assert!(MONTE_CARLO_DRAWS >= 10_000);

/// How a permutation p-value was computed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Every sign pattern enumerated.
    Exact,
    /// Seeded random sign patterns: (1 + hits) / (1 + draws).
    MonteCarlo {
        /// Sign patterns drawn.
        draws: u64,
    },
}

impl Method {
    /// "exact" or "Monte Carlo, 20000 draws".
    pub fn describe(self) -> String {
        match self {
            Method::Exact => "exact".into(),
            Method::MonteCarlo { draws } => format!("Monte Carlo, {draws} draws"),
        }
    }
}

/// A p-value and how it was computed.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct PValue {
    /// Two-sided p-value.
    pub p: f64,
    /// Exact enumeration or Monte Carlo.
    pub method: Method,
}

/// The paired sign-flip permutation test of H0: E(Δ) = 0, two-sided, on the mean of the
/// deltas. Under H0 each Δ is as likely to have either sign (a branch and its baseline are
/// exchangeable), so the p-value is the share of sign patterns whose |sum| is at least the
/// observed |sum|. Exact for up to [`EXACT_PAIRS_MAX`] deltas; otherwise
/// [`MONTE_CARLO_DRAWS`] patterns drawn from `seed`. No deltas, or all zero: p = 1.
pub fn sign_flip(deltas: &[f64], seed: u64) -> PValue {
    let observed = deltas.iter().sum::<f64>().abs();
    // Sums of the same values in another order differ in their last bits: a pattern
    // counts as extreme within that rounding.
    let scale: f64 = deltas.iter().map(|d| d.abs()).sum();
    let tolerance = scale * 1e-12;
    let k = deltas.len();
    if k <= EXACT_PAIRS_MAX {
        let patterns = 1u64 << k;
        let hits = (0..patterns)
            .filter(|&bits| {
                let sum: f64 = deltas
                    .iter()
                    .enumerate()
                    .map(|(i, d)| if bits >> i & 1 == 1 { -d } else { *d })
                    .sum();
                sum.abs() >= observed - tolerance
            })
            .count() as u64;
        return PValue {
            p: hits as f64 / patterns as f64,
            method: Method::Exact,
        };
    }
    let hits = (0..MONTE_CARLO_DRAWS)
        .filter(|&draw| {
            let mut sum = 0.0;
            let mut bits = 0u64;
            for (i, d) in deltas.iter().enumerate() {
                if i % 64 == 0 {
                    bits = KeyedDraw::new(seed, &[draw, (i / 64) as u64]).mix(0);
                }
                sum += if bits >> (i % 64) & 1 == 1 { -d } else { *d };
            }
            sum.abs() >= observed - tolerance
        })
        .count() as u64;
    PValue {
        p: (1 + hits) as f64 / (1 + MONTE_CARLO_DRAWS) as f64,
        method: Method::MonteCarlo {
            draws: MONTE_CARLO_DRAWS,
        },
    }
}

/// Holm's step-down correction at level `alpha`: sort the p-values, reject while
/// p(k) ≤ α / (m − k + 1) (k from 1), stop at the first that is not. Returns, in the input
/// order, whether each hypothesis is rejected.
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut rejected = vec![false; m];
    for (k, &i) in order.iter().enumerate() {
        if p_values[i] <= alpha / (m - k) as f64 {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

/// The `q` quantile of Student's t with `df` degrees of freedom (df ≥ 1).
pub fn t_quantile(q: f64, df: u64) -> f64 {
    assert!(df >= 1, "a t quantile needs at least one degree of freedom");
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("valid t parameters")
        .inverse_cdf(q)
}

/// The smallest mean shift a two-sided test at [`ALPHA`] of `k` paired deltas with
/// standard deviation `sd` detects with probability [`POWER`]:
/// (t(1 − α/2, k − 1) + t(power, k − 1)) · sd / √k. None below two pairs.
pub fn smallest_detectable(sd: f64, k: usize) -> Option<f64> {
    if k < 2 {
        return None;
    }
    let df = k as u64 - 1;
    Some((t_quantile(1.0 - ALPHA / 2.0, df) + t_quantile(POWER, df)) * sd / (k as f64).sqrt())
}

/// A ratio of two sample variances with its 95% interval.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct VarianceRatio {
    /// Var(first) / Var(second).
    pub ratio: f64,
    /// 95% interval from the F distribution with (n1 − 1, n2 − 1) degrees of freedom;
    /// exact for independent normal samples.
    pub ci: (f64, f64),
}

/// Sample variance (n − 1 in the denominator); None below two values.
pub fn variance(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    Some(values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64)
}

/// Var(`a`) / Var(`b`) with its 95% F interval: [r / F(0.975), r / F(0.025)]. None when
/// either has fewer than two values or `b` does not vary.
pub fn variance_ratio(a: &[f64], b: &[f64]) -> Option<VarianceRatio> {
    let (va, vb) = (variance(a)?, variance(b)?);
    if vb <= 0.0 {
        return None;
    }
    let ratio = va / vb;
    let f = FisherSnedecor::new((a.len() - 1) as f64, (b.len() - 1) as f64)
        .expect("valid F parameters");
    Some(VarianceRatio {
        ratio,
        ci: (
            ratio / f.inverse_cdf(1.0 - ALPHA / 2.0),
            ratio / f.inverse_cdf(ALPHA / 2.0),
        ),
    })
}

/// The median of `values` (the mean of the middle two for an even count); None when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}
