//! Experiments over many runs: parameter sweeps (locally with rayon, or as a job list for
//! a cluster), the decentralized model against every centralized policy, the stability
//! map of butterfly cascades, and plots.

pub mod chart;
pub mod compare;
pub mod grid;
pub mod plan;
pub mod plot;
pub mod stability;
pub mod stats;
pub mod sweep;

use crate::scenario_args::{ScenarioSpec, override_key};

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

/// A rayon pool of `jobs` threads (default: the number of cores).
pub fn pool(jobs: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    Ok(rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?)
}

/// Stop with a usage error (exit code 2, clap's format and the command's usage line).
pub fn usage_error(subcommand: &str, message: String) -> ! {
    use clap::CommandFactory;
    let mut cli = crate::Cli::command();
    cli.build();
    let cmd = cli
        .find_subcommand_mut(subcommand)
        .expect("experiments are subcommands");
    cmd.error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

/// Scenario fields an experiment sets itself, with the reason (said in the refusal).
pub type Reserved<'a> = &'a [(&'a str, &'a str)];

/// Refuse (usage error) scenario options that an experiment would silently ignore or
/// that contradict each other: a reserved field in `--set` or `--param`, `duration` or
/// `policy` both as a field and as its own option, one field given twice.
pub fn check_fields(
    subcommand: &str,
    spec: &ScenarioSpec,
    policy_option: bool,
    params: &[grid::Param],
    reserved: Reserved<'_>,
) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let given = spec
        .overrides
        .iter()
        .filter_map(|o| override_key(o).map(|k| (k, "--set")))
        .chain(params.iter().map(|p| (p.key.as_str(), "--param")));
    for (key, option) in given {
        let is = |field: &str| key == field || key.starts_with(&format!("{field}."));
        if let Some((field, why)) = reserved.iter().find(|(field, _)| is(field)) {
            usage_error(
                subcommand,
                format!("{option} {key}=...: {subcommand} sets `{field}` itself ({why})"),
            );
        }
        if is("duration") && spec.duration.is_some() {
            usage_error(
                subcommand,
                format!("{option} duration=... contradicts --duration; give only one"),
            );
        }
        if is("policy") && policy_option {
            usage_error(
                subcommand,
                format!("{option} policy=... contradicts --policy; give only one"),
            );
        }
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            usage_error(
                subcommand,
                format!("`{key}` is given twice ({first} and {option}); give it once"),
            );
        }
        seen.push((key, option));
    }
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
