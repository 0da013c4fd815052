//! `swarmlb diff`, `swarmlb butterfly` and `swarmlb why`: does one disconnected user
//! cascade or dissipate, what did it change, and along which messages did it travel?

use std::path::{Path, PathBuf};
use swarmlb_trace::format::CHECKPOINT_EVERY_MAX;

use anyhow::Context;
use clap::Args;
use swarmlb_engine::SimTime;
use swarmlb_model::Scenario;
use swarmlb_model::scenario::Dur;
use swarmlb_trace::diff::{Outcome, OutcomePair, Report, Verdict, mean_ci95};

use crate::Interrupted;
use crate::progress;
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
    /// Sample interval (default: the first trace's scenario `sample_interval`); at least
    /// 1ms, and at most 1,000,000 samples over the run.
    #[arg(long, value_parser = parse_interval)]
    interval: Option<SimTime>,
}

fn parse_interval(text: &str) -> Result<SimTime, String> {
    let t = parse_time(text)?;
    if t.as_micros() < swarmlb_model::scenario::limits::SAMPLE_INTERVAL_MIN_US {
        return Err(format!(
            "{text} is shorter than the shortest sample interval, 1ms"
        ));
    }
    Ok(t)
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

/// Write the divergence CSV through `.partial` and a rename, like every output.
fn write_csv(path: &Path, report: &Report) -> anyhow::Result<()> {
    record::write_whole(path, report.csv())
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
    after_help = "Writes DIR/baseline.swlb, DIR/perturbed.swlb and DIR/divergence.csv.\n\
    With --repeat K, runs K pairs in memory (seeds N, N+1, ..., N+K-1) and writes no traces:\n\
    verdict counts and the mean outcome deltas with 95% intervals (Student t).\n\n\
    Exit code 1 when nothing was perturbed (no user connected at TIME, or --user not connected).\n\n\
    Examples:\n  swarmlb butterfly --at 10m\n  swarmlb butterfly seed-classic --seed 2 --at 5m --user 3 --out bf/\n  \
    swarmlb butterfly default --at 10m --seed 1 --repeat 30"
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
    /// Output directory [default: butterfly-out] (not with --repeat, which writes no traces).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run K baseline/branch pairs with seeds N..N+K-1 and report statistics over them.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(2..=1000),
          conflicts_with = "out")]
    repeat: Option<u32>,
}

/// The two scenarios of one butterfly: the baseline without perturbation, the branch with.
fn branches(args: &ButterflyArgs) -> anyhow::Result<(Scenario, Scenario)> {
    let scenario = args.scenario.resolve()?;
    anyhow::ensure!(
        args.at.as_micros() < scenario.duration.us(),
        "--at {} is not before the end of the run ({})",
        args.at,
        scenario.duration
    );
    scenario
        .butterfly_branches(Dur::from(args.at), args.user)
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.field()))
}

fn reproduce(args: &ButterflyArgs, seed: u64) -> String {
    let mut line = format!(
        "swarmlb butterfly {} --at {}",
        args.scenario.reproduce(seed),
        Dur::from(args.at)
    );
    if let Some(u) = args.user {
        line.push_str(&format!(" --user {u}"));
    }
    line
}

/// The error for a butterfly that perturbed nobody: nothing was measured.
fn no_op_error(report: &Report) -> anyhow::Error {
    anyhow::anyhow!(
        "nothing was perturbed: {}; choose a later --at or a connected --user",
        report
            .perturbation_line()
            .unwrap_or_else(|| "no perturbation fired".into())
    )
}

/// Scenario fields `butterfly` sets itself: a `--set` of them would be ignored.
const RESERVED: crate::scenario_args::Reserved<'static> =
    &[("butterfly.at", "--at says when the user is disconnected")];

pub fn butterfly(args: ButterflyArgs) -> anyhow::Result<()> {
    args.scenario.check("butterfly", RESERVED);
    let user_set = args
        .scenario
        .spec
        .overrides
        .iter()
        .any(|o| swarmlb_model::scenario::override_key(o) == Some("butterfly.user"));
    if user_set && args.user.is_some() {
        crate::scenario_args::usage_error(
            "butterfly",
            "--set butterfly.user=... contradicts --user; give only one".into(),
        );
    }
    if let Some(k) = args.repeat {
        return repeat(&args, k);
    }
    let (baseline, perturbed) = branches(&args)?;
    let seed = baseline.seed;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("butterfly-out"));
    let base_path = record::in_dir(&out, "baseline.swlb")?;
    let pert_path = record::in_dir(&out, "perturbed.swlb")?;
    let csv_path = out.join("divergence.csv");
    // The two branches are independent: run them side by side.
    let (base, pert) = std::thread::scope(|s| {
        let b = s.spawn(|| {
            record::run(
                &baseline,
                &Outputs {
                    trace: Some(&base_path),
                    ..Outputs::default()
                },
            )
        });
        let p = record::run(
            &perturbed,
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
    println!(
        "butterfly: {} ({}), seed {seed}, {}",
        baseline.name,
        baseline.policy.name(),
        report
            .perturbation_line()
            .unwrap_or_else(|| format!("no perturbation at t={}", args.at))
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
    println!("reproduce with: {}", reproduce(&args, seed));
    if report.verdict == Verdict::NoOp {
        return Err(no_op_error(&report));
    }
    Ok(())
}

/// `--repeat K`: K pairs with consecutive seeds, in memory.
fn repeat(args: &ButterflyArgs, k: u32) -> anyhow::Result<()> {
    let (baseline, perturbed) = branches(args)?;
    let seed0 = baseline.seed;
    let seed_last = seed0.checked_add(u64::from(k) - 1).ok_or_else(|| {
        anyhow::anyhow!("--seed {seed0} leaves no room for {k} consecutive seeds")
    })?;
    progress::install_ctrl_c();
    println!(
        "butterfly: {} ({}), seeds {seed0}..={}, disconnect at t={}{}",
        baseline.name,
        baseline.policy.name(),
        seed_last,
        args.at,
        args.user.map_or(String::new(), |u| format!(", user U{u}"))
    );
    let mut reports = Vec::new();
    for i in 0..u64::from(k) {
        if progress::stopped() {
            return Err(Interrupted.into());
        }
        let seed = seed0 + i;
        let (base, pert) = std::thread::scope(|s| {
            let b = s.spawn(|| {
                let baseline = baseline.clone().with_seed(seed);
                swarmlb_trace::write::record_to_vec(&baseline, CHECKPOINT_EVERY_MAX)
            });
            let perturbed = perturbed.clone().with_seed(seed);
            let p = swarmlb_trace::write::record_to_vec(&perturbed, CHECKPOINT_EVERY_MAX);
            (b.join().expect("baseline thread"), p)
        });
        let (base, pert) = (base?, pert?);
        let report = swarmlb_trace::diff::diff(
            || {
                Ok((
                    swarmlb_trace::TraceReader::new(&base[..], "baseline")?,
                    swarmlb_trace::TraceReader::new(&pert[..], "perturbed")?,
                ))
            },
            None,
        )?;
        let names = |v: Vec<Outcome>| -> String {
            v.iter().map(|o| o.name()).collect::<Vec<_>>().join(" ")
        };
        let worse = names(report.evidence.worse.clone());
        let better = names(report.outcomes_after.better());
        println!(
            "  seed {seed}: {:<12} cascade {:>5} of {:>5}{}{}{}",
            report.verdict.name(),
            report.cascade_size,
            report.agents_total,
            report
                .perturbation_line()
                .map_or(String::new(), |l| format!(", {l}")),
            if worse.is_empty() {
                String::new()
            } else {
                format!(", worse: {worse}")
            },
            if better.is_empty() {
                String::new()
            } else {
                format!(", better: {better}")
            }
        );
        reports.push(report);
    }
    print!("{}", repeat_summary(&reports));
    println!(
        "reproduce one run with: {} (its seed in place of {seed0})",
        reproduce(args, seed0)
    );
    Ok(())
}

/// Verdict counts and outcome deltas (mean ± 95% interval) over many butterflies; no-op
/// runs are counted and left out of everything else.
fn repeat_summary(reports: &[Report]) -> String {
    let mut out = String::new();
    let counted: Vec<&Report> = reports
        .iter()
        .filter(|r| r.verdict != Verdict::NoOp)
        .collect();
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| (v, reports.iter().filter(|r| r.verdict == v).count()))
        .filter(|&(_, n)| n > 0)
        .map(|(v, n)| format!("{} {n}", v.name()))
        .collect();
    out.push_str(&format!(
        "verdicts over {} runs: {} (no-op runs are left out below)\n",
        reports.len(),
        counts.join(", ")
    ));
    let interval = |values: &[f64], d: usize| match mean_ci95(values) {
        None => "n/a".to_string(),
        Some((m, None)) => format!("{m:+.d$}"),
        Some((m, Some(h))) => format!("{m:+.d$} ± {h:.d$}"),
    };
    let worse = counted
        .iter()
        .filter(|r| !r.evidence.worse.is_empty())
        .count();
    let better = counted
        .iter()
        .filter(|r| !r.outcomes_after.better().is_empty())
        .count();
    out.push_str(&format!(
        "runs with an outcome worse beyond tolerance: {worse}; better by the same tolerance: {better}\n"
    ));
    let sizes: Vec<f64> = counted.iter().map(|r| r.cascade_size as f64).collect();
    out.push_str(&format!(
        "cascade size: mean {} ({} runs)\n",
        match mean_ci95(&sizes) {
            None => "n/a".to_string(),
            Some((m, None)) => format!("{m:.1}"),
            Some((m, Some(h))) => format!("{m:.1} ± {h:.1}"),
        },
        counted.len()
    ));
    out.push_str("outcome deltas, branch - baseline, mean ± 95% interval (Student t): whole run | after the perturbation\n");
    for o in Outcome::ALL {
        let d = match o {
            Outcome::TtcP99 => 3,
            Outcome::LoadSpread => 4,
            Outcome::Rejections
            | Outcome::GaveUp
            | Outcome::Migrations
            | Outcome::Handoffs
            | Outcome::ScaleOuts => 2,
        };
        // A percentile of no connections is undefined (NaN): such runs are left out.
        let finite = |span: fn(&Report) -> &OutcomePair| -> Vec<f64> {
            counted
                .iter()
                .map(|r| span(r).delta(o))
                .filter(|x| x.is_finite())
                .collect()
        };
        let run = finite(|r| &r.outcomes_run);
        let after = finite(|r| &r.outcomes_after);
        out.push_str(&format!(
            "  {:<16} {} | {}\n",
            o.name(),
            interval(&run, d),
            interval(&after, d)
        ));
    }
    out
}

/// Explain a divergence: the causal tree of which agent passed the difference to which.
#[derive(Args)]
#[command(
    after_help = "Every agent whose handled events differ is one node, under the agent whose \
    message carried the difference to it (or, for a message that did not come, the agent that \
    did not send it). The node count equals diff's cascade size.\n\n\
    Examples:\n  swarmlb why bf/baseline.swlb bf/perturbed.swlb\n  \
    swarmlb why bf/baseline.swlb bf/perturbed.swlb --dot | dot -Tsvg > why.svg\n  \
    swarmlb why bf/baseline.swlb bf/perturbed.swlb --by mechanism"
)]
pub struct WhyArgs {
    /// The baseline trace.
    baseline: PathBuf,
    /// The perturbed trace.
    perturbed: PathBuf,
    /// Levels of the tree to print; 0 prints all (the summary always counts all). Not
    /// with --dot, which always prints the whole tree.
    #[arg(long, default_value_t = swarmlb_trace::why::DEPTH_DEFAULT, conflicts_with = "dot")]
    depth: usize,
    /// Print the whole tree in Graphviz DOT instead.
    #[arg(long)]
    dot: bool,
    /// Instead of the tree, count its edges by what carried them: `mechanism` (delegation,
    /// pull, hand-off, migration, gossip, directory, population, scale-out, user retries
    /// and connections, ...; message content and unexplained edges as they are).
    #[arg(long, value_enum, conflicts_with_all = ["dot", "depth"])]
    by: Option<WhyBy>,
}

/// What `why --by` counts the edges by.
#[derive(Copy, Clone, Debug, clap::ValueEnum)]
pub enum WhyBy {
    /// The mechanism of the carrying message.
    Mechanism,
}

pub fn why(args: WhyArgs) -> anyhow::Result<()> {
    let tree = swarmlb_trace::why::tree(
        swarmlb_trace::TraceReader::open(&args.baseline)?,
        swarmlb_trace::TraceReader::open(&args.perturbed)?,
    )
    .with_context(|| {
        format!(
            "cannot compare {} and {}",
            args.baseline.display(),
            args.perturbed.display()
        )
    })?;
    if let Some(WhyBy::Mechanism) = args.by {
        println!(
            "why: {} vs {}",
            args.baseline.display(),
            args.perturbed.display()
        );
        print!("{}", by_mechanism(&tree.by_mechanism()));
    } else if args.dot {
        print!("{}", tree.dot());
    } else {
        println!(
            "why: {} vs {}",
            args.baseline.display(),
            args.perturbed.display()
        );
        print!("{}", tree.render(args.depth));
    }
    Ok(())
}

/// The `--by mechanism` table: edges, per cent of all, and n.
fn by_mechanism(counts: &swarmlb_trace::why::ByMechanism) -> String {
    let total = counts.total();
    let pct = |n: u64| {
        if total == 0 {
            0.0
        } else {
            100.0 * n as f64 / total as f64
        }
    };
    let mut out = format!("edges by carrier mechanism (n = {total}, one per diverged agent):\n");
    for &(carried, n) in &counts.counts {
        out.push_str(&format!(
            "  {:<16} {n:>7} {:>5.1}%\n",
            carried.name(),
            pct(n)
        ));
    }
    let balancing = counts.balancing();
    out.push_str(&format!(
        "balancing (delegation, pull, hand-off, migration, gossip, scale-out): {balancing} of {total} ({:.1}%)\n",
        pct(balancing)
    ));
    out
}
