//! Known answers for the pure parts of the butterfly analysis (issues 13 and 21): every
//! verdict boundary on both sides, with and without a null model, the distances,
//! reconvergence, the growth rate and its interval, and Student's t.

use swarmlb_engine::SimTime;
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_model::{Layout, Observed};
use swarmlb_trace::diff::{
    self, CONTAINED_CASCADE_PERCENT, CONTAINED_MACRO_MAX, DISSIPATED_HOLD_SAMPLES, Evidence,
    NullEvidence, OBSERVED_SAMPLES_MIN, Perturbation, Point, Verdict, verdict,
};

/// Evidence of a run whose trajectory did not heal and is too large for `contained` by
/// the fixed rule, with no null model: every later test moves one field across one
/// threshold.
fn diverged() -> Evidence {
    Evidence {
        perturbation: Some(Perturbation {
            time: SimTime::from_secs(10),
            victim: Some(3),
            disconnected: true,
        }),
        diverged: true,
        samples_after: OBSERVED_SAMPLES_MIN,
        differed_beyond_victim: 30,
        cascade_beyond_victim: 40,
        reconverged: false,
        peak_macro: CONTAINED_MACRO_MAX + 1,
        cascade_size: 41,
        agents_total: 100,
        null: None,
    }
}

#[test]
fn without_a_null_a_large_lasting_difference_is_undetermined() {
    assert_eq!(verdict(&diverged()), Verdict::Undetermined);
    assert!(!Verdict::Undetermined.determined());
}

#[test]
fn with_a_null_decorrelated_from_the_band_s_lower_edge_on() {
    let null = |phi_end: f64| Evidence {
        null: Some(NullEvidence {
            phi_end,
            band: (0.8, 1.1),
        }),
        ..diverged()
    };
    assert_eq!(verdict(&null(0.8)), Verdict::Decorrelated);
    assert_eq!(verdict(&null(1.5)), Verdict::Decorrelated);
    assert_eq!(verdict(&null(0.799_999)), Verdict::Contained);
    assert_eq!(verdict(&null(0.0)), Verdict::Contained);
    // The null never overrides the verdicts before it.
    let healed = Evidence {
        reconverged: true,
        ..null(1.0)
    };
    assert_eq!(verdict(&healed), Verdict::Dissipated);
    let short = Evidence {
        samples_after: OBSERVED_SAMPLES_MIN - 1,
        ..null(1.0)
    };
    assert_eq!(verdict(&short), Verdict::Undetermined);
    for v in [
        Verdict::Decorrelated,
        Verdict::Contained,
        Verdict::Dissipated,
        Verdict::NoEffect,
    ] {
        assert!(v.determined(), "{v:?}");
    }
    for v in [Verdict::NoOp, Verdict::Identical] {
        assert!(!v.determined(), "{v:?}");
    }
}

#[test]
fn identical_only_without_perturbation_and_divergence() {
    let none = Evidence {
        perturbation: None,
        diverged: false,
        ..diverged()
    };
    assert_eq!(verdict(&none), Verdict::Identical);
    let differs = Evidence {
        perturbation: None,
        ..diverged()
    };
    assert_eq!(verdict(&differs), Verdict::Undetermined);
}

#[test]
fn no_op_when_nobody_was_disconnected_and_nothing_else_moved() {
    let nobody = Perturbation {
        time: SimTime::ZERO,
        victim: None,
        disconnected: false,
    };
    let e = Evidence {
        perturbation: Some(nobody),
        cascade_beyond_victim: 0,
        samples_after: 0,
        ..diverged()
    };
    assert_eq!(verdict(&e), Verdict::NoOp);
    // A named user that was not connected: also no-op.
    let not_connected = Evidence {
        perturbation: Some(Perturbation {
            victim: Some(3),
            ..nobody
        }),
        ..e.clone()
    };
    assert_eq!(verdict(&not_connected), Verdict::NoOp);
    // If anything beyond the victim diverged, something happened after all.
    let moved = Evidence {
        cascade_beyond_victim: 1,
        ..e
    };
    assert_eq!(verdict(&moved), Verdict::Undetermined);
}

#[test]
fn undetermined_below_the_minimum_of_samples_after_the_perturbation() {
    let short = Evidence {
        samples_after: OBSERVED_SAMPLES_MIN - 1,
        ..diverged()
    };
    assert_eq!(verdict(&short), Verdict::Undetermined);
    // Even a run that looks healed is too young to call.
    let healed = Evidence {
        reconverged: true,
        ..short
    };
    assert_eq!(verdict(&healed), Verdict::Undetermined);
    let enough = Evidence {
        samples_after: OBSERVED_SAMPLES_MIN,
        reconverged: true,
        ..diverged()
    };
    assert_eq!(verdict(&enough), Verdict::Dissipated);
}

#[test]
fn no_effect_when_only_the_victim_ever_differed_at_a_sample() {
    let e = Evidence {
        differed_beyond_victim: 0,
        ..diverged()
    };
    assert_eq!(verdict(&e), Verdict::NoEffect);
    let one = Evidence {
        differed_beyond_victim: 1,
        reconverged: true,
        ..diverged()
    };
    assert_eq!(verdict(&one), Verdict::Dissipated);
}

#[test]
fn contained_on_both_sides_of_both_thresholds() {
    let agents_total = 200;
    let cascade_max = CONTAINED_CASCADE_PERCENT * agents_total / 100;
    let at_limits = Evidence {
        peak_macro: CONTAINED_MACRO_MAX,
        cascade_size: cascade_max,
        agents_total,
        ..diverged()
    };
    assert_eq!(verdict(&at_limits), Verdict::Contained);
    let macro_over = Evidence {
        peak_macro: CONTAINED_MACRO_MAX + 1,
        ..at_limits.clone()
    };
    assert_eq!(verdict(&macro_over), Verdict::Undetermined);
    let cascade_over = Evidence {
        cascade_size: cascade_max + 1,
        ..at_limits
    };
    assert_eq!(verdict(&cascade_over), Verdict::Undetermined);
}

fn observed(loads: &[(ServerView, u32)], users: &[UserView]) -> Observed {
    let layout = Layout {
        max_servers: 4,
        n_users: 3,
    };
    let mut o = Observed::new(layout);
    o.servers[..loads.len()].copy_from_slice(loads);
    o.users[..users.len()].copy_from_slice(users);
    o
}

#[test]
fn distances_by_number_and_after_the_best_renumbering() {
    use ServerView::{Alive, Crashed, Off};
    let s = |i: u32| swarmlb_engine::AgentId(3 + i);
    let a = observed(
        &[(Alive, 3), (Alive, 1), (Off, 0)],
        &[
            UserView::Connected(s(0)),
            UserView::Connected(s(1)),
            UserView::Backoff,
        ],
    );
    // The same loads on swapped servers: far apart by number, identical sorted.
    let swapped = observed(
        &[(Alive, 1), (Alive, 3), (Off, 0)],
        &[
            UserView::Connected(s(1)),
            UserView::Connected(s(0)),
            UserView::Backoff,
        ],
    );
    assert_eq!(diff::macro_distance(&a, &swapped), (4, 0));
    assert_eq!(diff::sorted_distance(&a, &swapped), 0);
    assert_eq!(diff::users_moved(&a, &swapped), 2);
    // A third server in the branch, S0 crashed: running loads [1, 2] against [3, 1].
    let other = observed(
        &[(Crashed, 0), (Alive, 1), (Alive, 2)],
        &[
            UserView::Backoff,
            UserView::Connected(s(1)),
            UserView::Connected(s(2)),
        ],
    );
    // By number: |3-0| + |1-1| + |0-2| = 5; sorted: [1,3] vs [1,2] = 1.
    assert_eq!(diff::macro_distance(&a, &other), (5, 0));
    assert_eq!(diff::sorted_distance(&a, &other), 1);
    // U0 lost its server, U1 kept S1, U2 found S2.
    assert_eq!(diff::users_moved(&a, &other), 2);
    // Searching in two different ways is not being on another server.
    let connecting = observed(&[], &[UserView::Connecting(s(0)), UserView::Backoff]);
    let backoff = observed(&[], &[UserView::Backoff, UserView::Dead]);
    assert_eq!(diff::users_moved(&connecting, &backoff), 0);
    assert_eq!(diff::micro_distance(&connecting, &backoff), 2);
    // Padding: one running server against two.
    let one = observed(&[(Alive, 4)], &[]);
    let two = observed(&[(Alive, 1), (Alive, 3)], &[]);
    assert_eq!(diff::sorted_distance(&one, &two), 1 + 1);
    assert_eq!(diff::macro_distance(&one, &two), (3 + 3, 1));
}

fn points(macro_l1: &[u64]) -> Vec<Point> {
    macro_l1
        .iter()
        .enumerate()
        .map(|(i, &m)| Point {
            time: SimTime::from_secs(i as u64),
            micro: m,
            macro_l1: m,
            macro_sorted: m,
            users_moved: 0,
            servers_alive_diff: 0,
        })
        .collect()
}

#[test]
fn reconvergence_needs_the_hold_of_zero_samples() {
    let hold = DISSIPATED_HOLD_SAMPLES;
    let mut m = vec![0, 2, 1];
    m.extend(std::iter::repeat_n(0, hold));
    assert_eq!(
        diff::reconverged(&points(&m), SimTime::from_secs(1)),
        Some(SimTime::from_secs(3))
    );
    m.pop();
    assert_eq!(diff::reconverged(&points(&m), SimTime::from_secs(1)), None);
    // A difference that never moved a load is back at zero from the divergence on.
    let flat = vec![0; hold + 1];
    assert_eq!(
        diff::reconverged(&points(&flat), SimTime::from_secs(1)),
        Some(SimTime::from_secs(1))
    );
}

#[test]
fn growth_rate_is_the_slope_of_ln_micro_up_to_the_first_peak() {
    // micro doubles every second up to the peak at t=4, then falls: slope ln 2.
    let p = points(&[0, 1, 2, 4, 8, 3, 8, 1]);
    let g = diff::growth(&p, None).unwrap();
    assert!((g.rate - std::f64::consts::LN_2).abs() < 1e-12, "{g:?}");
    // On the line: a zero-width interval; the fit runs t=1..4.
    let (lo, hi) = g.ci.unwrap();
    assert!((hi - lo).abs() < 1e-9, "{g:?}");
    assert_eq!(
        (g.from, g.to, g.samples),
        (SimTime::from_secs(1), SimTime::from_secs(4), 4)
    );
    // With a saturation level of 8, the phase ends at the first sample at or above 4.
    let g = diff::growth(&p, Some(8.0)).unwrap();
    assert_eq!((g.to, g.samples), (SimTime::from_secs(3), 3));
    let g = diff::growth(&p, Some(8.1)).unwrap();
    assert_eq!(g.to, SimTime::from_secs(4));
    // One divergent sample: no slope to fit.
    let one = diff::growth(&points(&[0, 5, 0]), None).unwrap();
    assert_eq!((one.rate, one.ci), (0.0, None));
    assert_eq!(diff::growth(&points(&[0, 0]), None), None);
}

#[test]
fn student_t_and_the_interval() {
    // The t quantiles themselves have known-answer tests in `interval`.
    let (mean, half) = diff::mean_ci95(&[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(mean, 2.0);
    assert!((half.unwrap() - 4.302_652_730 / 3f64.sqrt()).abs() < 1e-9);
    assert_eq!(diff::mean_ci95(&[5.0]), Some((5.0, None)));
    assert_eq!(diff::mean_ci95(&[]), None);
}

/// An agent counts as alive when it is alive in either state, and as different when
/// its states differ.
#[test]
fn for_each_agent_sees_alive_in_either_state() {
    use ServerView::{Alive, Off};
    let s0 = swarmlb_engine::AgentId(3);
    let a = observed(
        &[(Alive, 1), (Off, 0), (Off, 0)],
        &[UserView::Connected(s0), UserView::Dead, UserView::Dead],
    );
    let b = observed(
        &[(Off, 0), (Alive, 0), (Off, 0)],
        &[UserView::Connected(s0), UserView::Backoff, UserView::Dead],
    );
    let mut seen = vec![];
    diff::for_each_agent(&a, &b, |i, alive, differs| seen.push((i, alive, differs)));
    assert_eq!(
        seen,
        [
            (0, true, true),
            (1, true, true),
            (2, false, false),
            (3, false, false),
            (4, true, false),
            (5, true, true),
            (6, false, false),
        ]
    );
}

/// Least squares on samples that are not on a line, with a zero sample inside the
/// growth phase (left out: ln 0 has no slope) and a phase of exactly two samples.
#[test]
fn growth_rate_known_answers_off_the_line() {
    // Phase t=1..4 without t=2: (1, ln 1), (3, ln 2), (4, ln 8); worked out by hand:
    // x̄ = 8/3, slope = Σ(x - x̄)(y - ȳ) / Σ(x - x̄)² = (13/3 ln 2) / (14/3) = 13/14 ln 2.
    let g = diff::growth(&points(&[0, 1, 0, 2, 8, 5]), None).unwrap();
    let want = 13.0 / 14.0 * std::f64::consts::LN_2;
    assert!((g.rate - want).abs() < 1e-12, "{g:?} vs {want}");
    // Its interval: residuals of (1, 0), (3, ln 2), (4, ln 8) about the fit, by hand:
    // ȳ = 4/3 ln 2; residual r_i = y_i - ȳ - b (x_i - x̄) = ln 2 × (-4/3 + 65/42,
    // 1 - 4/3 - 13/42, 3 - 4/3 - 52/42) = ln 2 × (9/42, -27/42, 18/42); SSR = ln²2 ×
    // 1134/1764; SE = sqrt(SSR / 1 / (14/3)); t(0.975, 1) = 12.706204736.
    let ssr = std::f64::consts::LN_2.powi(2) * 1134.0 / 1764.0;
    let half = 12.706_204_736 * (ssr / (14.0 / 3.0)).sqrt();
    let (lo, hi) = g.ci.unwrap();
    assert!(
        (lo - (want - half)).abs() < 1e-9 && (hi - (want + half)).abs() < 1e-9,
        "{g:?}"
    );
    // Two samples: the slope between them, no interval.
    let g = diff::growth(&points(&[0, 1, 4]), None).unwrap();
    assert!((g.rate - 4f64.ln()).abs() < 1e-12, "{g:?}");
    assert_eq!(g.ci, None);
}

/// Beyond the table (df > 30) the Cornish–Fisher expansion is within 3e-8 of the exact
/// quantile, as documented (exact values: the root of the regularized incomplete beta
/// function at 30 digits, mpmath; they agree with R's `qt(0.975, df)` to its 10 digits).
#[test]
fn t_quantiles_beyond_the_table_are_within_3e_8() {
    use swarmlb_trace::interval::t_975;
    for (df, exact) in [
        (31, 2.039_513_446_396_41),
        (40, 2.021_075_390_306_27),
        (60, 2.000_297_822_014_26),
        (120, 1.979_930_405_082_44),
        (1000, 1.962_339_080_826_41),
    ] {
        // The expansion's own error is 2.6e-8 at df = 31 and falls as df^-5 after it.
        assert!((t_975(df) - exact).abs() < 3e-8, "df {df}: {}", t_975(df));
    }
}
