//! Integration tests of the model: determinism, invariants, behaviour, queueing theory,
//! scenario validation, the format-stable kind and body tables.

mod behaviour;
mod decide;
mod determinism;
mod fidelity;
mod invariants;
mod kinds;
mod known;
mod purpose;
mod scenario;
mod sessions;
mod theory;

use swarmlb_model::Scenario;
use swarmlb_model::run::Runner;

/// A builtin scenario with `key=value` overrides.
pub fn scenario(name: &str, overrides: &[&str]) -> Scenario {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let text = swarmlb_model::scenario::BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("builtin")
        .1;
    Scenario::parse(text, name, &overrides).expect("valid scenario")
}

/// Run to the end with no observer.
pub fn run(scenario: Scenario, seed: u64) -> Runner {
    let mut runner = Runner::new(&scenario.with_seed(seed));
    runner.run_to_end(&mut (), |_| std::ops::ControlFlow::Continue(()));
    runner
}
