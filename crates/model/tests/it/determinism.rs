use std::ops::ControlFlow;

use swarmlb_model::Observed;
use swarmlb_model::run::Runner;

use crate::scenario;

/// The summary and the state hash at every sample.
fn fingerprint(seed: u64) -> (String, Vec<u64>) {
    let sc = scenario("default", &["duration=\"10m\""]);
    let mut runner = Runner::new(&sc.with_seed(seed));
    let mut hashes = vec![];
    while runner.step(&mut ()).is_some() {
        hashes.push(Observed::of_world(&runner.sim.model).hash());
    }
    (runner.summary().to_string(), hashes)
}

#[test]
fn same_seed_same_summary_and_state_hashes() {
    let a = fingerprint(7);
    let b = fingerprint(7);
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(
        a.1.len(),
        61,
        "one hash per 10 s sample over 10 min, plus t=0"
    );
}

#[test]
fn different_seed_different_run() {
    let a = fingerprint(7);
    let b = fingerprint(8);
    assert_ne!(a.0, b.0);
    assert_ne!(a.1.last(), b.1.last());
}

#[test]
fn observer_can_stop_a_run() {
    let sc = scenario("default", &[]);
    let mut runner = Runner::new(&sc.with_seed(1));
    let mut seen = 0u64;
    let mut stop_after_1000 = |_: &swarmlb_engine::EventKey, _: &_, _: &_| {
        seen += 1;
        if seen == 1_000 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    runner.run_to_end(&mut stop_after_1000, |_| ControlFlow::Continue(()));
    assert!(runner.stopped_early());
    assert_eq!(runner.sim.events_total(), 1_000);
}
