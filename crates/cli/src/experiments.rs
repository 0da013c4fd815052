//! Experiments over many runs: parameter sweeps (locally with rayon, or as a job list for
//! a cluster), the decentralized model against every centralized policy, the stability
//! map of butterfly cascades, and plots.

pub mod chart;
pub mod compare;
pub mod grid;
pub mod plot;
pub mod stability;
pub mod sweep;

/// Run `scenario` with `seed` to its end, stopping early on Ctrl-C; `None` if stopped.
pub fn run_to_summary(
    scenario: swarmlb_model::Scenario,
    seed: u64,
) -> Option<swarmlb_model::Summary> {
    let mut runner = swarmlb_model::run::Runner::new(swarmlb_model::RunConfig { scenario, seed });
    runner.run_to_end(&mut (), |_| {
        if crate::progress::stopped() {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    });
    (!runner.stopped_early()).then(|| runner.summary())
}
