//! `swarmlb compare`: the decentralized model against every centralized policy, on the
//! same workload and seeds.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use swarmlb_model::{Policy, Summary};

use super::chart;
use crate::progress;
use crate::scenario_args::ScenarioArgs;

/// Compare the decentralized model with every centralized policy.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/compare.md, DIR/compare.csv and DIR/compare.png; prints the Markdown table.\n\n\
    Examples:\n  swarmlb compare default --seeds 4 --out cmp\n  swarmlb compare coordinator-crash --seeds 2 --duration 20m"
)]
pub struct CompareArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Seeds 1..=K per policy.
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "compare-out")]
    out: PathBuf,
}

/// Mean figures of one policy over the seeds.
#[derive(Clone, Debug)]
pub struct Row {
    /// The policy.
    pub policy: Policy,
    /// Mean time to connect, ms.
    pub ttc_mean_ms: f64,
    /// 99th percentile time to connect, ms (mean over seeds).
    pub ttc_p99_ms: f64,
    /// Load coefficient of variation.
    pub load_cov: f64,
    /// Messages per successful connection.
    pub messages_per_connection: f64,
    /// Migrations.
    pub migrations: f64,
    /// Server-seconds used.
    pub server_seconds: f64,
    /// Mean recovery time after crashes, seconds, if the scenario crashes servers.
    pub recovery_s: Option<f64>,
    /// Users refused (gave up) after the coordinator crash time, if there is one.
    pub refused: Option<f64>,
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}

fn row(policy: Policy, runs: &[Summary]) -> Row {
    let m = |f: &dyn Fn(&Summary) -> f64| mean(runs.iter().map(f));
    let recoveries: Vec<f64> = runs
        .iter()
        .flat_map(|s| s.recovery_us.iter().flatten().map(|us| *us as f64 / 1e6))
        .collect();
    let any_crash = runs.iter().any(|s| !s.recovery_us.is_empty());
    let refused: Vec<f64> = runs
        .iter()
        .filter_map(|s| s.refused_after_coordinator_crash.map(|r| r as f64))
        .collect();
    Row {
        policy,
        ttc_mean_ms: m(&|s| s.ttc_mean_us as f64 / 1e3),
        ttc_p99_ms: m(&|s| s.ttc_p99_us as f64 / 1e3),
        load_cov: m(&|s| s.load_cov),
        messages_per_connection: m(&|s| s.messages_per_connection()),
        migrations: m(&|s| s.migrations as f64),
        server_seconds: m(&|s| s.server_seconds as f64),
        recovery_s: any_crash.then(|| mean(recoveries.into_iter())),
        refused: (!refused.is_empty()).then(|| mean(refused.into_iter())),
    }
}

/// Run every policy over seeds 1..=`seeds` (in parallel; the result does not depend on it).
pub fn run_all(args: &ScenarioArgs, seeds: u64, jobs: Option<usize>) -> anyhow::Result<Vec<Row>> {
    let (base, _) = args.resolve()?;
    let runs: Vec<(Policy, u64)> = Policy::ALL
        .iter()
        .flat_map(|&p| (1..=seeds).map(move |s| (p, s)))
        .collect();
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let summaries: Option<Vec<Summary>> = pool.install(|| {
        runs.par_iter()
            .map(|&(policy, seed)| {
                let mut scenario = base.clone();
                scenario.policy = policy;
                super::run_to_summary(scenario, seed)
            })
            .collect()
    });
    let summaries = summaries.ok_or(crate::Interrupted)?;
    Ok(Policy::ALL
        .iter()
        .enumerate()
        .map(|(i, &p)| row(p, &summaries[i * seeds as usize..(i + 1) * seeds as usize]))
        .collect())
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.digits$}"))
}

/// The Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| policy | time to connect mean (ms) | p99 (ms) | load CoV | messages / connection | migrations | server-seconds | recovery after crash (s) | refused after coordinator crash |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.2} | {:.2} | {:.4} | {:.2} | {:.1} | {:.0} | {} | {} |\n",
            r.policy.name(),
            r.ttc_mean_ms,
            r.ttc_p99_ms,
            r.load_cov,
            r.messages_per_connection,
            r.migrations,
            r.server_seconds,
            opt(r.recovery_s, 1),
            opt(r.refused, 1)
        ));
    }
    out
}

/// The CSV.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "policy,ttc_mean_ms,ttc_p99_ms,load_cov,messages_per_connection,migrations,server_seconds,recovery_s,refused_after_coordinator_crash\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{},{:.3},{:.3},{:.5},{:.3},{:.2},{:.0},{},{}\n",
            r.policy.name(),
            r.ttc_mean_ms,
            r.ttc_p99_ms,
            r.load_cov,
            r.messages_per_connection,
            r.migrations,
            r.server_seconds,
            opt(r.recovery_s, 3),
            opt(r.refused, 2)
        ));
    }
    out
}

pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.seeds >= 1, "--seeds must be at least 1");
    progress::install_ctrl_c();
    let rows = run_all(&args.scenario, args.seeds, args.jobs)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let md = markdown(&rows);
    std::fs::write(args.out.join("compare.md"), &md)?;
    std::fs::write(args.out.join("compare.csv"), csv(&rows))?;
    let categories: Vec<String> = rows.iter().map(|r| r.policy.name().to_string()).collect();
    let series = vec![
        (
            "load CoV".to_string(),
            rows.iter().map(|r| r.load_cov).collect(),
        ),
        (
            "time to connect p99".to_string(),
            rows.iter().map(|r| r.ttc_p99_ms).collect(),
        ),
        (
            "messages / connection".to_string(),
            rows.iter().map(|r| r.messages_per_connection).collect(),
        ),
        (
            "server-seconds".to_string(),
            rows.iter().map(|r| r.server_seconds).collect(),
        ),
    ];
    let (sc, _) = args.scenario.resolve()?;
    chart::grouped_bars(
        &args.out.join("compare.png"),
        &format!("{}: policies compared over {} seeds", sc.name, args.seeds),
        &categories,
        &series,
    )?;
    println!("compare: {} over seeds 1..={}", sc.name, args.seeds);
    print!("{md}");
    println!(
        "wrote {0}/compare.md, {0}/compare.csv, {0}/compare.png",
        args.out.display()
    );
    Ok(())
}
