//! `swarmlb diff` and `swarmlb butterfly`: does one disconnected user cascade or dissipate?

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use swarmlb_engine::SimTime;
use swarmlb_model::Kind;
use swarmlb_model::scenario::{Butterfly, Dur};
use swarmlb_trace::diff::Report;

use crate::Interrupted;
use crate::record::{self, Outputs};
use crate::scenario_args::ScenarioArgs;

/// Compare two traces of one scenario: first divergence, divergence per sample, verdict.
#[derive(Args)]
#[command(
    after_help = "Example:\n  swarmlb diff bf/baseline.swlb bf/perturbed.swlb --csv divergence.csv"
)]
pub struct DiffArgs {
    /// The first (baseline) trace.
    a: PathBuf,
    /// The second (perturbed) trace.
    b: PathBuf,
    /// Write the per-sample divergence as CSV here.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Sample interval (default: the first trace's scenario `sample_interval`).
    #[arg(long, value_parser = parse_time)]
    interval: Option<SimTime>,
}

fn parse_time(text: &str) -> Result<SimTime, String> {
    swarmlb_engine::parse_duration(text)
        .map(SimTime)
        .map_err(|e| e.to_string())
}

fn diff_files(a: &Path, b: &Path, interval: Option<SimTime>) -> anyhow::Result<Report> {
    let open = || {
        Ok((
            swarmlb_trace::TraceReader::open(a)?,
            swarmlb_trace::TraceReader::open(b)?,
        ))
    };
    swarmlb_trace::diff::diff(open, interval)
        .with_context(|| format!("cannot diff {} and {}", a.display(), b.display()))
}

fn write_csv(path: &Path, report: &Report) -> anyhow::Result<()> {
    std::fs::write(path, report.csv()).with_context(|| format!("cannot write {}", path.display()))
}

pub fn diff(args: DiffArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.csv {
        record::check_writable(path)?;
    }
    let report = diff_files(&args.a, &args.b, args.interval)?;
    println!("diff: {} vs {}", args.a.display(), args.b.display());
    print!("{report}");
    if let Some(path) = &args.csv {
        write_csv(path, &report)?;
        println!("divergence per sample: {}", path.display());
    }
    Ok(())
}

/// Run a baseline and a branch where one user is disconnected at TIME; diff them.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/baseline.swlb, DIR/perturbed.swlb and DIR/divergence.csv.\n\n\
    Examples:\n  swarmlb butterfly --at 10m\n  swarmlb butterfly seed-classic --seed 2 --at 5m --user 3 --out bf/"
)]
pub struct ButterflyArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// When the user is disconnected (like 90s or 10m).
    #[arg(long, value_parser = parse_time)]
    at: SimTime,
    /// Which user slot; by default one connected user drawn from the perturbation's own stream.
    #[arg(long)]
    user: Option<u32>,
    /// Output directory.
    #[arg(long, default_value = "butterfly-out")]
    out: PathBuf,
}

pub fn butterfly(args: ButterflyArgs) -> anyhow::Result<()> {
    let (mut baseline, seed) = args.scenario.resolve()?;
    baseline.butterfly = None;
    anyhow::ensure!(
        args.at.as_micros() < baseline.duration.us(),
        "--at {} is not before the end of the run ({})",
        args.at,
        baseline.duration
    );
    let mut perturbed = baseline.clone();
    perturbed.butterfly = Some(Butterfly {
        at: Dur(args.at.as_micros()),
        user: args.user,
    });
    perturbed
        .validate()
        .map_err(|(field, message)| anyhow::anyhow!("{field}: {message}"))?;
    let base_path = record::in_dir(&args.out, "baseline.swlb")?;
    let pert_path = record::in_dir(&args.out, "perturbed.swlb")?;
    let csv_path = args.out.join("divergence.csv");
    // The two branches are independent: run them side by side.
    let (base, pert) = std::thread::scope(|s| {
        let b = s.spawn(|| {
            record::run(
                &baseline,
                seed,
                &Outputs {
                    trace: Some(&base_path),
                    ..Outputs::default()
                },
            )
        });
        let p = record::run(
            &perturbed,
            seed,
            &Outputs {
                trace: Some(&pert_path),
                ..Outputs::default()
            },
        );
        (b.join().expect("baseline thread"), p)
    });
    let (base, pert) = (base?, pert?);
    if base.interrupted || pert.interrupted {
        return Err(Interrupted.into());
    }
    let report = diff_files(&base_path, &pert_path, None)?;
    write_csv(&csv_path, &report)?;
    let victim = report
        .first
        .as_ref()
        .and_then(|f| f.b.filter(|e| e.kind == Kind::Butterfly))
        .map_or("no user".to_string(), |e| {
            if e.value == swarmlb_model::ids::NONE {
                "no user".into()
            } else {
                format!("U{}", e.value)
            }
        });
    println!(
        "butterfly: {} ({}), seed {seed}, {victim} disconnected at t={}",
        baseline.name,
        baseline.policy.name(),
        args.at
    );
    println!(
        "baseline:   {} ({} events)",
        base_path.display(),
        base.summary.events
    );
    println!(
        "perturbed:  {} ({} events)",
        pert_path.display(),
        pert.summary.events
    );
    println!("divergence: {}", csv_path.display());
    print!("{report}");
    let mut reproduce = format!(
        "swarmlb butterfly {} --at {}",
        args.scenario.reproduce(seed),
        Dur(args.at.as_micros())
    );
    if let Some(u) = args.user {
        reproduce.push_str(&format!(" --user {u}"));
    }
    println!("reproduce with: {reproduce}");
    Ok(())
}
