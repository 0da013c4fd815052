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
mod switches;
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

/// Run `runner` to the end, counting its records by kind; `on_sample` sees every sample.
pub fn count_records(
    runner: &mut Runner,
    mut on_sample: impl FnMut(&swarmlb_model::metrics::Sample),
) -> std::collections::BTreeMap<swarmlb_model::Kind, u64> {
    let mut counts = std::collections::BTreeMap::new();
    let mut observer = |_: &swarmlb_engine::EventKey,
                        record: &(swarmlb_model::Kind, u32),
                        _: &swarmlb_model::World| {
        *counts.entry(record.0).or_insert(0u64) += 1;
        std::ops::ControlFlow::Continue(())
    };
    runner.run_to_end(&mut observer, |s| {
        on_sample(s);
        std::ops::ControlFlow::Continue(())
    });
    counts
}

/// Run to the end with no observer.
pub fn run(scenario: Scenario, seed: u64) -> Runner {
    let mut runner = Runner::new(&scenario.with_seed(seed));
    runner.run_to_end(&mut (), |_| std::ops::ControlFlow::Continue(()));
    runner
}
