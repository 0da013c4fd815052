//! The scenario options of the commands that run a simulation: `ScenarioSpec` (what every
//! such command honours) and `ScenarioArgs` (plus `--seed` and `--policy`, for commands
//! that run one seed of one policy). Experiments flatten only the parts they honour; the
//! checks here refuse, as usage errors, options that would be ignored or contradict.

use std::path::Path;

use anyhow::Context;
use clap::Args;
use swarmlb_model::scenario::{Dur, override_key};
use swarmlb_model::{Policy, Scenario};

/// Which scenario, for how long, with which overrides.
#[derive(Args, Clone, Debug)]
pub struct ScenarioSpec {
    /// A built-in scenario name (see `swarmlb scenarios`) or a path to a TOML file.
    #[arg(default_value = "default")]
    pub scenario: String,
    /// Simulated time to run, like 90s, 5m or 1h30m (default: the scenario's `duration`).
    #[arg(long, value_parser = parse_dur)]
    pub duration: Option<Dur>,
    /// Override a scenario field, like `--set servers.capacity=10` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// Which scenario to run with which seed and policy (`run`, `butterfly`).
#[derive(Args, Clone, Debug)]
pub struct ScenarioArgs {
    #[command(flatten)]
    pub spec: ScenarioSpec,
    /// Master seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Who routes users: decentralized, round-robin, least-connections, power-of-two, random.
    #[arg(long)]
    pub policy: Option<Policy>,
}

/// Scenario warnings printed before the rest are summed up in one line.
const WARNINGS_SHOWN: usize = 5;

fn parse_dur(text: &str) -> Result<Dur, String> {
    text.parse::<Dur>().map_err(|e| e.to_string())
}

impl ScenarioSpec {
    /// Load the scenario with the `--set` overrides, then `more`, then `--duration`.
    pub fn load(&self, more: &[String]) -> anyhow::Result<Scenario> {
        let mut empty_file = false;
        let read = |path: &Path| {
            let text = swarmlb_trace::files::read_scenario_file(path)?;
            empty_file = text.trim().is_empty();
            Ok(text)
        };
        let overrides: Vec<String> = self.overrides.iter().chain(more).cloned().collect();
        let mut scenario = swarmlb_model::scenario::load(&self.scenario, &overrides, read)
            .with_context(|| format!("cannot load scenario {:?}", self.scenario))?;
        if empty_file {
            eprintln!(
                "swarmlb: warning: scenario file {:?} is empty: every field has its default",
                self.scenario
            );
        }
        if let Some(d) = self.duration {
            anyhow::ensure!(d.us() > 0, "--duration must be positive");
            scenario.duration = d;
            // The run's length enters relations (the number of samples): check again, so
            // no trace is written that its readers would refuse.
            scenario.validate().map_err(|e| {
                anyhow::anyhow!("--duration {d}: invalid value for `{}`: {e}", e.field())
            })?;
        }
        Ok(scenario)
    }

    /// The options as command-line arguments, to re-run elsewhere.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = vec![self.scenario.clone()];
        if let Some(d) = self.duration {
            out.extend(["--duration".to_string(), d.to_string()]);
        }
        for o in &self.overrides {
            out.extend(["--set".to_string(), o.clone()]);
        }
        out
    }
}

impl ScenarioArgs {
    /// Refuse (usage error) options that contradict each other: `--seed` with
    /// `--set seed=`, `--policy` with `--set policy=`, `--duration` with
    /// `--set duration=`, one field set twice. Without this the option silently wins.
    pub fn check(&self, subcommand: &str, reserved: Reserved<'_>) {
        let seed_set = self
            .spec
            .overrides
            .iter()
            .any(|o| override_key(o) == Some("seed"));
        if seed_set && self.seed.is_some() {
            usage_error(
                subcommand,
                "--set seed=... contradicts --seed; give only one".into(),
            );
        }
        check_fields(subcommand, &self.spec, self.policy.is_some(), &[], reserved);
        // The policy is known once the scenario is read; a scenario that cannot be read is
        // reported by `resolve`, with its place in the file.
        let read = |path: &Path| swarmlb_trace::files::read_scenario_file(path);
        if let Ok(scenario) =
            swarmlb_model::scenario::load(&self.spec.scenario, &self.spec.overrides, read)
        {
            let policy = self.policy.unwrap_or(scenario.policy);
            check_policy_reads(subcommand, &self.spec, &[], &[policy]);
        }
    }

    /// Load the scenario with every option applied; `--seed` becomes its `seed` (the
    /// scenario's seed is the run's, so a trace's header and scenario always agree).
    pub fn resolve(&self) -> anyhow::Result<Scenario> {
        let mut scenario = self.spec.load(&[])?;
        if let Some(p) = self.policy {
            scenario.policy = p;
        }
        // A few warnings say what is wrong; thousands would bury the output.
        let warnings = scenario.warnings();
        for warning in warnings.iter().take(WARNINGS_SHOWN) {
            eprintln!("swarmlb: warning: {warning}");
        }
        if warnings.len() > WARNINGS_SHOWN {
            eprintln!(
                "swarmlb: warning: ... and {} more like these",
                warnings.len() - WARNINGS_SHOWN
            );
        }
        if let Some(seed) = self.seed {
            scenario = scenario.with_seed(seed);
        }
        Ok(scenario)
    }

    /// The arguments that reproduce this run exactly, with the seed made explicit.
    pub fn reproduce(&self, seed: u64) -> String {
        let mut args = self.to_args().into_iter();
        let mut parts = vec![
            args.next().expect("the scenario comes first"),
            format!("--seed {seed}"),
        ];
        while let Some(flag) = args.next() {
            let value = args.next().expect("every option has a value");
            let value = if flag == "--set" {
                format!("'{value}'")
            } else {
                value
            };
            parts.push(format!("{flag} {value}"));
        }
        parts.join(" ")
    }

    /// The options as command-line arguments (the seed excluded), to re-run elsewhere.
    pub fn to_args(&self) -> Vec<String> {
        let spec = &self.spec;
        let mut out = vec![spec.scenario.clone()];
        if let Some(d) = spec.duration {
            out.extend(["--duration".to_string(), d.to_string()]);
        }
        if let Some(p) = self.policy {
            out.extend(["--policy".to_string(), p.name().to_string()]);
        }
        for o in &spec.overrides {
            out.extend(["--set".to_string(), o.clone()]);
        }
        out
    }
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

/// Refuse (usage error) a `--set` or `--param` field that the policy of every run ignores
/// (`policies`: the policies the command runs; the model declares which fields each
/// reads, `Policy::ignores`): a sweep over it would make identical cells.
pub fn check_policy_reads(
    subcommand: &str,
    spec: &ScenarioSpec,
    params: &[crate::experiments::grid::Param],
    policies: &[Policy],
) {
    let given = spec
        .overrides
        .iter()
        .filter_map(|o| override_key(o).map(|k| (k, "--set")))
        .chain(params.iter().map(|p| (p.key.as_str(), "--param")));
    for (key, option) in given {
        let ignored: Vec<_> = policies.iter().filter_map(|p| p.ignores(key)).collect();
        if let (false, Some(why)) = (policies.is_empty(), ignored.first())
            && ignored.len() == policies.len()
        {
            let mut names: Vec<&str> = policies.iter().map(|p| p.name()).collect();
            names.sort_unstable();
            names.dedup();
            usage_error(
                subcommand,
                format!(
                    "{option} {key}=...: policy {} ignores `{key}` ({why})",
                    names.join(", ")
                ),
            );
        }
    }
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
    params: &[crate::experiments::grid::Param],
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
