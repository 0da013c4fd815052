//! The ensemble test's two controls, recorded (issue 21): pairs of independent seeds
//! treated as branches are rarely flagged (its false-positive rate), and servers crashing
//! are found (its power). Small versions of the README's measurement, on `seed-classic`
//! shortened to 10 minutes so they run in seconds.

use swarmlb_engine::SimTime;
use swarmlb_experiment::ensemble::{EnsembleSpec, detection, ensemble};
use swarmlb_experiment::pair::{PairSpec, run_pair};
use swarmlb_experiment::{Hooks, Perturb};
use swarmlb_model::Scenario;
use swarmlb_model::scenario::Dur;
use swarmlb_trace::diff::{Outcome, Verdict};

fn spec(perturb: Perturb, references: usize) -> PairSpec {
    let mut scenario = Scenario::builtin("seed-classic").unwrap();
    scenario.duration = Dur::from(SimTime::from_secs(600));
    PairSpec {
        scenario,
        at: SimTime::from_secs(300),
        user: None,
        perturb,
        references,
    }
}

/// 10 ensembles of 10 pairs of independent runs: the sign-flip test is exact under
/// exchangeability and Holm keeps the family-wise rate at or below 5%, so one or two
/// flagged ensembles in ten would already be unusual; seeds 1..=100.
#[test]
fn negative_control_independent_branches_are_rarely_flagged() {
    let found = detection(&spec(Perturb::Independent, 0), 1, 10, 10, Hooks::NONE).unwrap();
    let (hits, n) = found.rate();
    assert_eq!(n, 10);
    assert!(hits <= 1, "{found:?}");
}

/// Two of the few servers crashing at once: every ensemble of 10 pairs sees it.
#[test]
fn positive_control_crashed_servers_are_found() {
    let found = detection(&spec(Perturb::CrashServers(2), 0), 1, 10, 10, Hooks::NONE).unwrap();
    let (hits, n) = found.rate();
    assert!(hits >= 8 && n == 10, "{found:?}");
}

/// One pair with its null: an independent "branch" is as far as the references are, so
/// it decorrelates; the crashed servers are named and were running.
#[test]
fn a_pair_is_judged_against_its_null() {
    let p = run_pair(&spec(Perturb::Independent, 5), 3, Hooks::NONE).unwrap();
    assert_eq!(p.report.null.as_ref().unwrap().references(), 5);
    assert_eq!(p.report.verdict, Verdict::Decorrelated, "{}", p.report);
    let crash = run_pair(&spec(Perturb::CrashServers(1), 2), 3, Hooks::NONE).unwrap();
    assert_eq!(crash.crashed.len(), 1);
    assert!(
        crash.report.to_string().contains("Crash"),
        "{}",
        crash.report
    );
}

/// The memory ratio of independent "branches" is near 1 (they keep nothing of their
/// baseline); an ensemble is the same for the same seeds.
#[test]
fn ensembles_are_deterministic_and_independent_branches_forget() {
    let s = EnsembleSpec {
        pair: spec(Perturb::Independent, 1),
        seeds: (1..=12).collect(),
    };
    let a = ensemble(&s, Hooks::NONE).unwrap();
    let b = ensemble(&s, Hooks::NONE).unwrap();
    assert_eq!(a.to_string(), b.to_string());
    let migrations = a
        .tests
        .iter()
        .find(|t| t.outcome == Outcome::Migrations)
        .unwrap();
    let m = migrations.memory.unwrap();
    assert!(m.ci.0 < 1.0 && 1.0 < m.ci.1, "{m:?}");
}
