//! The model alone, for before/after comparisons under a profiler: builds a built-in
//! scenario, runs it for the given simulated seconds with no observer, and prints the
//! events handled. Counted rather than timed, it is immune to a noisy machine:
//!
//! ```sh
//! cargo build --release -p swarmlb-model --example speed
//! valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes \
//!     target/release/examples/speed default 1200
//! ```
//!
//! (BENCHMARKS.md, "Before and after"; `swarmlb bench` is the timed suite.)

use swarmlb_engine::{Limits, SimTime};
use swarmlb_model::Scenario;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(secs)) = (args.get(1), args.get(2).and_then(|s| s.parse().ok())) else {
        eprintln!("usage: speed SCENARIO SIMULATED_SECONDS");
        std::process::exit(2);
    };
    let Some(scenario) = Scenario::builtin(name) else {
        eprintln!(
            "no built-in scenario {name:?}; one of {}",
            Scenario::builtin_names()
        );
        std::process::exit(2);
    };
    let mut sim = swarmlb_model::build(&scenario);
    let started = std::time::Instant::now();
    let limits = Limits {
        until: SimTime::from_secs(secs),
        events_max: u64::MAX,
    };
    sim.run(limits, &mut ());
    let wall = started.elapsed().as_secs_f64();
    let events = sim.events_total();
    println!(
        "{events} events in {wall:.3} s ({:.2} M events/s)",
        events as f64 / wall / 1e6
    );
}
