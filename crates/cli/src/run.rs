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
    /// Check every model invariant after every event (capacity, sessions, users
    /// conserved, time, fold = live state); much slower. The first violation is printed
    /// with its event index, and the exit status is 3.
    #[arg(long, conflicts_with_all = ["trace", "metrics"])]
    check: bool,
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    args.scenario.check("run", &[]);
    let scenario = args.scenario.resolve()?;
    let seed = scenario.seed;
    if args.check {
        return run_checked(&args, &scenario);
    }
    let outputs = Outputs {
        trace: args.trace.as_deref(),
        metrics: args.metrics.as_deref(),
        progress: Some("running"),
    };
    let recorded = record::run(&scenario, &outputs)?;
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

/// `run --check`: one event at a time, every invariant after each.
fn run_checked(args: &RunArgs, scenario: &Scenario) -> anyhow::Result<()> {
    crate::progress::install_ctrl_c();
    let seed = scenario.seed;
    let mut checked = swarmlb_model::invariants::Checked::new(scenario);
    let mut bar = crate::progress::Progress::new(scenario.duration.us() / 1_000_000, "checking");
    let reproduce = format!(
        "reproduce with: swarmlb run {} --check",
        args.scenario.reproduce(seed)
    );
    loop {
        match checked.step() {
            Ok(Some(event)) => {
                if checked.sim.events_total().is_multiple_of(4096) {
                    bar.set(event.time.as_micros() / 1_000_000);
                    if crate::progress::stopped() {
                        bar.finish();
                        println!(
                            "check interrupted after {} events",
                            checked.sim.events_total()
                        );
                        return Err(Interrupted.into());
                    }
                }
            }
            Ok(None) => break,
            Err(violation) => {
                bar.finish();
                println!("{reproduce}");
                return Err(crate::CheckFailed(violation.to_string()).into());
            }
        }
    }
    bar.finish();
    println!(
        "check: {} ({}), seed {seed}: every invariant held after each of {} events",
        scenario.name,
        scenario.policy.name(),
        checked.sim.events_total()
    );
    println!("{reproduce}");
    Ok(())
}

/// List the built-in scenarios.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  swarmlb scenarios\n  swarmlb scenarios --show node-loss > my.toml   # a starting point for your own\n  swarmlb scenarios --reference                  # every field: meaning, unit, default, range\n  swarmlb scenarios --show default --full        # every field's effective value"
)]
pub struct ScenariosArgs {
    /// Print this scenario's full TOML instead of the list.
    #[arg(long, value_name = "NAME", conflicts_with = "reference")]
    show: Option<String>,
    /// With --show: every field with its effective value (defaults included), as canonical
    /// TOML, instead of the file as written.
    #[arg(long, requires = "show")]
    full: bool,
    /// Print the scenario reference (Markdown, as in docs/scenarios.md): every field with
    /// its meaning, unit, default and allowed range; the original model's terms; every
    /// CSV column; the divergence measures.
    #[arg(long)]
    reference: bool,
}

pub fn scenarios(args: ScenariosArgs) -> anyhow::Result<()> {
    if args.reference {
        print!("{}", swarmlb_model::reference::markdown());
        return Ok(());
    }
    if let Some(name) = args.show {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            anyhow::anyhow!(
                "no built-in scenario {name:?}; built-ins: {}",
                Scenario::builtin_names()
            )
        })?;
        if args.full {
            let scenario = Scenario::builtin(&name).expect("a listed built-in parses");
            print!("{}", scenario.to_toml());
        } else {
            print!("{text}");
        }
        return Ok(());
    }
    let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, _) in BUILTINS {
        let sc = Scenario::builtin(name).expect("built-ins are valid");
        println!("{name:<width$}  {}", sc.description);
    }
    Ok(())
}
