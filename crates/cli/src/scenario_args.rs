//! The scenario options shared by every command that runs a simulation.

use std::path::Path;

use anyhow::Context;
use clap::Args;
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Policy, Scenario};

/// Which scenario to run, and how.
#[derive(Args, Clone, Debug)]
pub struct ScenarioArgs {
    /// A built-in scenario name (see `swarmlb scenarios`) or a path to a TOML file.
    #[arg(default_value = "default")]
    pub scenario: String,
    /// Master seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time to run, like 90s, 5m or 1h30m (default: the scenario's `duration`).
    #[arg(long, value_parser = parse_dur)]
    pub duration: Option<Dur>,
    /// Who routes users: decentralized, round-robin, least-connections, power-of-two, random.
    #[arg(long)]
    pub policy: Option<Policy>,
    /// Override a scenario field, like `--set servers.capacity=10` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// Read a scenario file, refusing what cannot be one before reading it all: a directory,
/// a file over the size limit, text that is not UTF-8.
fn read_scenario_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let max = swarmlb_model::scenario::limits::SCENARIO_FILE_MAX;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(Error::new(ErrorKind::InvalidInput, "it is a directory"));
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "it is larger than 1 MiB, the limit for a scenario file",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!("it is not UTF-8 text ({e})"),
        )
    })
}

fn parse_dur(text: &str) -> Result<Dur, String> {
    text.parse::<Dur>().map_err(|e| e.to_string())
}

impl ScenarioArgs {
    /// Load the scenario with every option applied, and the seed to use.
    pub fn resolve(&self) -> anyhow::Result<(Scenario, u64)> {
        let mut empty_file = false;
        let read = |path: &Path| {
            let text = read_scenario_file(path)?;
            empty_file = text.trim().is_empty();
            Ok(text)
        };
        let mut scenario = swarmlb_model::scenario::load(&self.scenario, &self.overrides, read)
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
        }
        if let Some(p) = self.policy {
            scenario.policy = p;
        }
        for warning in scenario.warnings() {
            eprintln!("swarmlb: warning: {warning}");
        }
        let seed = self.seed.unwrap_or(scenario.seed);
        Ok((scenario, seed))
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
}

impl ScenarioArgs {
    /// The same options with more `--set` overrides after the given ones.
    pub fn with_overrides(&self, more: &[String]) -> ScenarioArgs {
        let mut args = self.clone();
        args.overrides.extend(more.iter().cloned());
        args
    }

    /// The options as command-line arguments (the seed excluded), to re-run elsewhere.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = vec![self.scenario.clone()];
        if let Some(d) = self.duration {
            out.extend(["--duration".to_string(), d.to_string()]);
        }
        if let Some(p) = self.policy {
            out.extend(["--policy".to_string(), p.name().to_string()]);
        }
        for o in &self.overrides {
            out.extend(["--set".to_string(), o.clone()]);
        }
        out
    }
}
