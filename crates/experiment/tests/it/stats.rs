//! Known answers for the ensemble statistics (issue 21): the sign-flip test (exact and
//! Monte Carlo), Holm's correction on both sides of each step, t quantiles, the smallest
//! detectable shift and the variance ratio's F interval.

use swarmlb_experiment::stats::{
    self, ALPHA, EXACT_PAIRS_MAX, MONTE_CARLO_DRAWS, Method, holm, median, sign_flip,
    smallest_detectable, t_quantile, variance_ratio,
};

#[test]
fn sign_flip_enumerates_every_pattern() {
    // ±1 ±2 ±3: sums 6, 4, 2, 0, 0, -2, -4, -6; |sum| >= 6 in 2 of 8.
    let p = sign_flip(&[1.0, 2.0, 3.0], 7);
    assert_eq!((p.p, p.method), (0.25, Method::Exact));
    // Five equal deltas: only all-plus and all-minus are as extreme.
    assert_eq!(sign_flip(&[1.0; 5], 7).p, 2.0 / 32.0);
    // An observed sum of 0: every pattern is as extreme.
    assert_eq!(sign_flip(&[-1.0, -2.0, 3.0, 0.0], 7).p, 1.0);
    // An observed |sum| of 2 from ±1 ±2 ±3: 6 of 8.
    assert_eq!(sign_flip(&[1.0, -2.0, 3.0], 7).p, 0.75);
    // Nothing moved: p = 1.
    assert_eq!(sign_flip(&[0.0, 0.0, 0.0], 7).p, 1.0);
    assert_eq!(sign_flip(&[], 7).p, 1.0);
    // The sign of the mean does not matter (two-sided).
    assert_eq!(sign_flip(&[-1.0; 5], 7).p, 2.0 / 32.0);
}

#[test]
fn sign_flip_tolerates_rounding_in_sums() {
    // 0.1 + 0.2 + 0.3 in another order differs in the last bit; the observed pattern and
    // its mirror must still count.
    let p = sign_flip(&[0.1, 0.2, 0.3], 1);
    assert_eq!(p.p, 0.25);
}

#[test]
fn sign_flip_draws_at_random_beyond_the_exact_limit() {
    let k = EXACT_PAIRS_MAX + 5;
    // All deltas equal: no random pattern of 25 signs reaches |sum| = 25 but the two
    // extreme ones (chance 2^-24 per draw): p = (1 + 0) / (1 + draws).
    let p = sign_flip(&vec![1.0; k], 3);
    assert_eq!(
        p.method,
        Method::MonteCarlo {
            draws: MONTE_CARLO_DRAWS
        }
    );
    assert_eq!(p.p, 1.0 / (1 + MONTE_CARLO_DRAWS) as f64);
    // Balanced deltas: most patterns are as extreme as a sum of 0 (every one is).
    // 13 ones and 12 minus ones (and a zero): the observed |sum| is 1, and every pattern
    // of 25 signs sums to an odd number, so all are as extreme.
    let mut balanced: Vec<f64> = (0..k)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    balanced.push(0.0);
    assert_eq!(sign_flip(&balanced, 3).p, 1.0);
    // Seeded: the same seed, the same p; the estimate is near the exact value.
    let mixed: Vec<f64> = (0..k).map(|i| (i % 7) as f64 - 2.5).collect();
    assert_eq!(sign_flip(&mixed, 9).p, sign_flip(&mixed, 9).p);
    let exact_small = sign_flip(&mixed[..EXACT_PAIRS_MAX], 9).p;
    assert!(exact_small > 0.0 && exact_small <= 1.0);
}

#[test]
fn holm_steps_down_and_stops_at_the_first_failure() {
    // Sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop.
    assert_eq!(
        holm(&[0.01, 0.04, 0.03, 0.005], ALPHA),
        [true, false, false, true]
    );
    // At each boundary exactly: rejected; just above: not.
    assert_eq!(holm(&[0.0125, 0.05 / 3.0, 0.025, 0.05], ALPHA), [true; 4]);
    // Two hypotheses: the smaller p against 0.025, the larger against 0.05.
    assert_eq!(holm(&[0.05, 0.001], ALPHA), [true, true]);
    assert_eq!(holm(&[0.050_001, 0.001], ALPHA), [false, true]);
    assert_eq!(holm(&[0.025, 0.03], ALPHA), [true, true]);
    assert_eq!(holm(&[0.025_001, 0.03], ALPHA), [false, false]);
    // A later small p is not rejected once an earlier step failed.
    assert_eq!(holm(&[0.02, 0.02, 0.02], ALPHA), [false, false, false]);
    assert_eq!(holm(&[], ALPHA), Vec::<bool>::new());
}

#[test]
fn t_quantiles_match_the_tables() {
    // R: qt(0.975, 10), qt(0.8, 10), qt(0.8, 29), qt(0.975, 29).
    for (q, df, want) in [
        (0.975, 10, 2.228_138_852),
        (0.8, 10, 0.879_057_828),
        (0.8, 29, 0.854_192_215),
        (0.975, 29, 2.045_229_642),
    ] {
        assert!(
            (t_quantile(q, df) - want).abs() < 1e-6,
            "{q} {df}: {}",
            t_quantile(q, df)
        );
    }
}

#[test]
fn smallest_detectable_shift_at_30_pairs() {
    // (2.045229642 + 0.854192215) × 1 / √30
    let want = (2.045_229_642 + 0.854_192_215) / 30f64.sqrt();
    assert!((smallest_detectable(1.0, 30).unwrap() - want).abs() < 1e-6);
    assert!((smallest_detectable(2.0, 30).unwrap() - 2.0 * want).abs() < 1e-6);
    assert_eq!(smallest_detectable(1.0, 1), None);
}

#[test]
fn variance_ratio_and_its_f_interval() {
    // Var [1,2,3,4] = 5/3, Var [2,4,6,8] = 20/3: ratio 1/4. F(0.975; 3, 3) = 15.43918 (R: qf(0.975, 3, 3)).
    let r = variance_ratio(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0]).unwrap();
    assert!((r.ratio - 0.25).abs() < 1e-12);
    let f = 15.439_18;
    assert!((r.ci.0 - 0.25 / f).abs() < 1e-6, "{r:?}");
    assert!((r.ci.1 - 0.25 * f).abs() < 1e-5, "{r:?}");
    assert_eq!(variance_ratio(&[1.0], &[1.0, 2.0]), None);
    assert_eq!(variance_ratio(&[1.0, 2.0], &[3.0, 3.0]), None);
    assert_eq!(stats::variance(&[1.0, 2.0, 3.0, 4.0]), Some(5.0 / 3.0));
}

#[test]
fn medians() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(median(&[]), None);
}
