//! Known answers for the null model (issue 21): φ, the band and its widening, the final
//! window, the decorrelation time and σ_null, on hand-made distance series.

use swarmlb_engine::SimTime;
use swarmlb_trace::diff::{FINAL_WINDOW_SAMPLES, Outcome, OutcomePair, Outcomes, Point};
use swarmlb_trace::null::{Measure, Null};

fn series(micro: &[u64]) -> Vec<Point> {
    micro
        .iter()
        .enumerate()
        .map(|(i, &m)| Point {
            time: SimTime::from_secs(i as u64),
            micro: m,
            macro_l1: 2 * m,
            macro_sorted: m,
            users_moved: m / 2,
            servers_alive_diff: 0,
        })
        .collect()
}

fn pair_of(rejections: f64) -> OutcomePair {
    let mut branch = [0.0; 7];
    branch[Outcome::Rejections as usize] = rejections;
    branch[Outcome::TtcP99 as usize] = f64::NAN;
    OutcomePair {
        baseline: Outcomes([0.0; 7]),
        branch: Outcomes(branch),
    }
}

/// Two references at 10 and 20 agents from the baseline: D∞ = 15, their own ratios 2/3
/// and 4/3.
fn null_of(n: usize) -> Null {
    Null::new(
        vec![11, 12],
        vec![series(&vec![10; n]), series(&vec![20; n])],
        vec![pair_of(2.0), pair_of(4.0)],
    )
}

#[test]
fn phi_is_the_distance_over_the_mean_reference() {
    let null = null_of(4);
    assert_eq!(null.mean(Measure::Micro, 0), 15.0);
    assert_eq!(null.mean(Measure::MacroL1, 0), 30.0);
    let phi = null.phi(Measure::Micro, &series(&[0, 3, 15, 30]));
    assert_eq!(phi, vec![Some(0.0), Some(0.2), Some(1.0), Some(2.0)]);
    let band = null.band(Measure::Micro, 1).unwrap();
    assert!((band.0 - 2.0 / 3.0).abs() < 1e-12 && (band.1 - 4.0 / 3.0).abs() < 1e-12);
}

#[test]
fn no_phi_where_the_references_match_the_baseline() {
    let n = FINAL_WINDOW_SAMPLES + 2;
    let null = Null::new(vec![1], vec![series(&vec![0; n])], vec![pair_of(0.0)]);
    let pair = series(&vec![5; n]);
    assert!(null.phi(Measure::Micro, &pair).iter().all(Option::is_none));
    assert_eq!(null.band(Measure::Micro, 3), None);
    assert_eq!(null.final_window(Measure::Micro, &pair), None);
    assert_eq!(
        null.decorrelation_time(Measure::Micro, &pair, SimTime::ZERO),
        None
    );
}

#[test]
fn the_band_is_widened_over_neighbouring_samples() {
    // Reference 1 dips to 2 at sample 3 only (mean 11 there, ratio 2/11); the widened
    // band reaches it from samples 1 to 5, not from 0 or 6.
    let n = 8;
    let mut dip = vec![10; n];
    dip[3] = 2;
    let null = Null::new(
        vec![1, 2],
        vec![series(&dip), series(&vec![20; n])],
        vec![pair_of(0.0), pair_of(0.0)],
    );
    let low = |i| null.band(Measure::Micro, i).unwrap().0;
    for i in 1..=5 {
        assert!(
            (low(i) - 2.0 / 11.0).abs() < 1e-12,
            "sample {i}: {}",
            low(i)
        );
    }
    for i in [0, 6, 7] {
        assert!((low(i) - 2.0 / 3.0).abs() < 1e-12, "sample {i}: {}", low(i));
    }
}

#[test]
fn the_final_window_sums_its_samples() {
    let n = FINAL_WINDOW_SAMPLES + 3;
    let null = null_of(n);
    // 12 agents in the window (150 × 0.8), far more before it: only the window counts.
    let mut d = vec![100; 3];
    d.extend(vec![12; FINAL_WINDOW_SAMPLES]);
    let e = null.final_window(Measure::Micro, &series(&d)).unwrap();
    assert!((e.phi_end - 0.8).abs() < 1e-12, "{e:?}");
    assert!((e.band.0 - 2.0 / 3.0).abs() < 1e-12 && (e.band.1 - 4.0 / 3.0).abs() < 1e-12);
    // Too short for a window.
    let short = null_of(FINAL_WINDOW_SAMPLES - 1);
    assert_eq!(
        short.final_window(Measure::Micro, &series(&[1; FINAL_WINDOW_SAMPLES - 1])),
        None
    );
}

#[test]
fn decorrelation_time_is_the_first_sample_after_the_start_inside_the_band() {
    let null = null_of(6);
    // The band's low edge is 2/3 × 15 = 10 agents.
    let pair = series(&[12, 4, 9, 10, 30, 2]);
    // Sample 0 is inside the band but not after the start.
    assert_eq!(
        null.decorrelation_time(Measure::Micro, &pair, SimTime::ZERO),
        Some(SimTime::from_secs(3))
    );
    assert_eq!(
        null.decorrelation_time(Measure::Micro, &series(&[0, 9, 9, 9, 9, 9]), SimTime::ZERO),
        None
    );
    assert_eq!(null.saturation(Measure::Micro), 15.0);
}

#[test]
fn sigma_null_is_the_spread_of_reference_minus_baseline() {
    let null = null_of(3);
    // Deltas 2 and 4: sd √2.
    let sd = null.outcome_sd(Outcome::Rejections).unwrap();
    assert!((sd - 2f64.sqrt()).abs() < 1e-12, "{sd}");
    // Undefined values (no connection, no p99) are left out: fewer than two, no sd.
    assert_eq!(null.outcome_sd(Outcome::TtcP99), None);
    let one = Null::new(vec![1], vec![series(&[1])], vec![pair_of(3.0)]);
    assert_eq!(one.outcome_sd(Outcome::Rejections), None);
}
