//! Experiments over many runs: parameter sweeps (locally with rayon, or as a job list for
//! a cluster), the decentralized model against every centralized policy, the stability
//! map of butterfly cascades, and plots.

pub mod chart;
pub mod compare;
pub mod grid;
pub mod plan;
pub mod plot;
pub mod stability;
/// Replication statistics live in the trace crate, shared with `diff`.
pub use swarmlb_trace::interval as stats;
pub mod sweep;

use crate::scenario_args::ScenarioSpec;

/// Run `scenario` with `seed` to its end, stopping early on Ctrl-C; `None` if stopped.
pub fn run_to_summary(
    scenario: swarmlb_model::Scenario,
    seed: u64,
) -> Option<swarmlb_model::Summary> {
    let mut runner = swarmlb_model::run::Runner::new(&scenario.with_seed(seed));
    runner.run_to_end(&mut (), |_| {
        if crate::progress::stopped() {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    });
    (!runner.stopped_early()).then(|| runner.summary())
}

/// The parser of every `--jobs`: at least one (no threads would run nothing, so 0 is a
/// usage error rather than quietly one).
pub fn jobs_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4096)
}

/// A rayon pool of `jobs` threads (default: the number of cores).
pub fn pool(jobs: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    Ok(rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?)
}

/// The plan parts every experiment shares: the scenario options as given, and a digest
/// of every resolved scenario (so an edited scenario file is a different plan).
pub fn scenario_parts(
    spec: &ScenarioSpec,
    policy: Option<swarmlb_model::Policy>,
    scenarios: &[&swarmlb_model::Scenario],
) -> Vec<(&'static str, String)> {
    let resolved: String = scenarios.iter().map(|s| s.to_toml() + "\n").collect();
    vec![
        ("scenario", spec.scenario.clone()),
        (
            "duration",
            spec.duration
                .map_or("(the scenario's)".into(), |d| d.to_string()),
        ),
        (
            "policy",
            policy.map_or("(the scenario's)".into(), |p| p.name().to_string()),
        ),
        ("set", spec.overrides.join(" ")),
        ("resolved scenarios", plan::digest(&resolved)),
    ]
}

/// A printed table: columns padded to their widest entry, two spaces apart.
pub fn align(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
