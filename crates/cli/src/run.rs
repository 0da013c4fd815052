//! `swarmlb run` and `swarmlb scenarios`.

use std::path::PathBuf;

use clap::Args;
use swarmlb_model::Scenario;
use swarmlb_model::scenario::BUILTINS;

use crate::Interrupted;
use crate::record::{self, Outputs};
use crate::scenario_args::ScenarioArgs;

/// Run a scenario and print its summary.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  swarmlb run\n  swarmlb run seed-classic --seed 3\n  \
    swarmlb run my-scenario.toml --duration 10m --metrics m.csv --trace run.swlb\n  \
    swarmlb run default --policy least-connections --set servers.capacity=40"
)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Write the sampled metrics as CSV to this file.
    #[arg(long, value_name = "FILE.csv")]
    metrics: Option<PathBuf>,
    /// Record every event to this trace file (written as FILE.partial until complete).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    args.scenario.check("run");
    let (scenario, seed) = args.scenario.resolve()?;
    let outputs = Outputs {
        trace: args.trace.as_deref(),
        metrics: args.metrics.as_deref(),
        progress: Some("running"),
    };
    let recorded = record::run(&scenario, seed, &outputs)?;
    let s = &recorded.summary;
    println!(
        "swarmlb run: {} ({}), seed {seed}, {} simulated",
        scenario.name,
        scenario.policy.name(),
        scenario.duration
    );
    print!("{s}");
    if let (Some(path), Some(bytes)) = (&args.trace, recorded.trace_bytes) {
        let per_event = bytes as f64 / s.events.max(1) as f64;
        println!(
            "trace: {} ({bytes} bytes, {per_event:.1} bytes/event)",
            path.display()
        );
    }
    if let Some(path) = &args.metrics {
        println!("metrics: {} ({} samples)", path.display(), recorded.samples);
    }
    println!(
        "reproduce with: swarmlb run {}",
        args.scenario.reproduce(seed)
    );
    eprintln!(
        "{} events in {:.2} s wall time ({:.2} M events/s)",
        s.events,
        recorded.wall_s,
        s.events as f64 / recorded.wall_s.max(1e-9) / 1e6
    );
    if recorded.interrupted {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// List the built-in scenarios.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  swarmlb scenarios\n  swarmlb scenarios --show node-loss > my.toml   # a starting point for your own"
)]
pub struct ScenariosArgs {
    /// Print this scenario's full TOML instead of the list.
    #[arg(long, value_name = "NAME")]
    show: Option<String>,
}

pub fn scenarios(args: ScenariosArgs) -> anyhow::Result<()> {
    if let Some(name) = args.show {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            anyhow::anyhow!(
                "no built-in scenario {name:?}; built-ins: {}",
                Scenario::builtin_names()
            )
        })?;
        print!("{text}");
        return Ok(());
    }
    let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, _) in BUILTINS {
        let sc = Scenario::builtin(name).expect("built-ins are valid");
        println!("{name:<width$}  {}", sc.description);
    }
    Ok(())
}
