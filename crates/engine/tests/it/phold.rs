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

/// Known answer of seed 1 (64 LPs, 4 tokens each, 50 ms): recorded from this
/// implementation; a change to the hop (target, delay) or to the scheduler's order
/// moves it.
#[test]
fn phold_seed_1_known_answer() {
    let (received, keys) = run(1);
    assert_eq!(keys.len(), KNOWN_EVENTS);
    assert_eq!(keys[..3], KNOWN_FIRST);
    assert_eq!(received.iter().sum::<u64>(), KNOWN_EVENTS as u64);
    assert_eq!(received[..4], KNOWN_RECEIVED);
}
const KNOWN_EVENTS: usize = 12_728;
const KNOWN_FIRST: [(u64, u32, u32); 3] = [(29, 53, 30), (42, 15, 51), (49, 53, 58)];
const KNOWN_RECEIVED: [u64; 4] = [187, 201, 188, 224];

/// Delays are uniform in `1..2 × mean`: never zero (no zero-delay loops), mean about the
/// configured one.
#[test]
fn phold_delays_are_positive_with_the_configured_mean() {
    use std::ops::ControlFlow;
    let mut sim = build(PholdConfig {
        n_lps: 1,
        events_per_lp: 1,
        delay_us_mean: 100,
        seed: 4,
    });
    // One LP with one token: each event's time minus the previous is one hop's delay.
    let mut times = vec![0];
    sim.run(
        Limits {
            until: SimTime::MAX,
            events_max: 20_000,
        },
        &mut |key: &swarmlb_engine::EventKey, _: &(), _: &_| {
            times.push(key.time.0);
            ControlFlow::Continue(())
        },
    );
    let delays: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(delays.len(), 20_000);
    assert!(delays.iter().all(|&d| (1..=200).contains(&d)));
    assert!(delays.contains(&1) && delays.contains(&200));
    let mean = delays.iter().sum::<u64>() as f64 / delays.len() as f64;
    assert!((mean - 100.5).abs() < 2.0, "mean {mean}");
}
