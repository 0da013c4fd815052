use swarmlb_engine::phold::{PholdConfig, build};
use swarmlb_engine::{Limits, SimTime, StopReason};

fn config(seed: u64) -> PholdConfig {
    PholdConfig {
        n_lps: 64,
        events_per_lp: 4,
        delay_us_mean: 1_000,
        seed,
    }
}

fn run(seed: u64) -> (Vec<u64>, Vec<(u64, u32, u32)>) {
    let mut sim = build(config(seed));
    let mut keys = vec![];
    let mut last = SimTime::ZERO;
    let outcome = sim.run(
        Limits::until(SimTime::from_millis(50)),
        &mut |key: &swarmlb_engine::EventKey, _: &(), _: &_| {
            assert!(key.time >= last, "time went back");
            last = key.time;
            keys.push((key.time.0, key.target.0, key.source.0));
            std::ops::ControlFlow::Continue(())
        },
    );
    assert_eq!(outcome.reason, StopReason::TimeLimit);
    (sim.model.received.clone(), keys)
}

#[test]
fn phold_is_deterministic_and_seed_sensitive() {
    let a = run(1);
    assert_eq!(a, run(1));
    assert_ne!(a.1, run(2).1);
    // The population is constant: 256 tokens × ~25 hops each in 50ms.
    assert!(a.1.len() > 5_000, "only {} events", a.1.len());
}

#[test]
fn event_limit_stops_exactly() {
    let mut sim = build(config(1));
    let outcome = sim.run(
        Limits {
            until: SimTime::MAX,
            events_max: 1_234,
        },
        &mut (),
    );
    assert_eq!(outcome.reason, StopReason::EventLimit);
    assert_eq!(outcome.events, 1_234);
    assert_eq!(sim.model.received.iter().sum::<u64>(), 1_234);
}
