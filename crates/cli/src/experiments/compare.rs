//! `swarmlb compare`: the decentralized model against every centralized policy, on the
//! same workload and seeds, each figure with its 95% confidence interval over the seeds.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use swarmlb_model::{Policy, Scenario, Summary};

use super::chart::{self, Panel};
use super::plan::Plan;
use super::stats::{self, MEAN_CI_COLUMNS, MeanCi};
use crate::progress;
use crate::scenario_args::ScenarioSpec;

/// Compare the decentralized model with every centralized policy.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/compare.md, DIR/compare.csv (per policy and metric: n, mean, sd, 95% confidence \
    interval), DIR/compare.png and DIR/plan.json; prints the Markdown table.\n\n\
    Every figure is a mean over the seeds with its 95% Student t interval: repeated with fresh seeds, about \
    95% of such intervals would contain the policy's true mean. It needs at least 2 seeds.\n\n\
    Examples:\n  swarmlb compare default --seeds 4 --out cmp\n  swarmlb compare coordinator-crash --seeds 2 --duration 20m"
)]
pub struct CompareArgs {
    #[command(flatten)]
    scenario: ScenarioSpec,
    /// Seeds 1..=K per policy.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    seeds: u64,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "compare-out")]
    out: PathBuf,
    /// Delete the results of an earlier plan in the output directory before starting.
    #[arg(long)]
    fresh: bool,
}

/// One compared figure: its name, unit, decimals, and its value in one run (`None` when
/// the run has no such figure, like a recovery time without crashes).
pub struct Metric {
    /// Column name in compare.csv.
    pub name: &'static str,
    /// Heading in the table and the chart.
    pub label: &'static str,
    /// Unit, shown with the values.
    pub unit: &'static str,
    /// Decimals shown.
    pub digits: usize,
    /// The value of one run.
    pub value: fn(&Summary) -> Option<f64>,
}

/// Every compared figure, in column order.
pub const METRICS: [Metric; 9] = [
    Metric {
        name: "ttc_mean_ms",
        label: "time to connect, mean",
        unit: "ms",
        digits: 2,
        value: |s| Some(s.ttc_mean_us as f64 / 1e3),
    },
    Metric {
        name: "ttc_p99_ms",
        label: "time to connect, p99",
        unit: "ms",
        digits: 2,
        value: |s| Some(s.ttc_p99_us as f64 / 1e3),
    },
    Metric {
        name: "load_cov",
        label: "load CoV",
        unit: "",
        digits: 4,
        value: |s| Some(s.load_cov),
    },
    Metric {
        name: "messages_per_connection",
        label: "messages / connection",
        unit: "",
        digits: 2,
        value: |s| Some(s.messages_per_connection()),
    },
    Metric {
        name: "migrations",
        label: "migrations",
        unit: "",
        digits: 1,
        value: |s| Some(s.migrations as f64),
    },
    Metric {
        name: "server_seconds",
        label: "server-seconds",
        unit: "s",
        digits: 0,
        value: |s| Some(s.server_seconds as f64),
    },
    Metric {
        name: "gave_up",
        label: "users who gave up",
        unit: "",
        digits: 1,
        value: |s| Some(s.gave_up as f64),
    },
    Metric {
        name: "recovery_s",
        label: "recovery after crash",
        unit: "s",
        digits: 1,
        // The mean over the run's crashes (a crash never recovered from is left out).
        value: |s| {
            let r: Vec<f64> = s
                .recovery_us
                .iter()
                .flatten()
                .map(|us| *us as f64 / 1e6)
                .collect();
            (!r.is_empty()).then(|| r.iter().sum::<f64>() / r.len() as f64)
        },
    },
    Metric {
        name: "refused_after_coordinator_crash",
        label: "refused after coordinator crash",
        unit: "users",
        digits: 1,
        value: |s| s.refused_after_coordinator_crash.map(|r| r as f64),
    },
];

/// The figures of one policy over the seeds.
#[derive(Clone, Debug)]
pub struct Row {
    /// The policy.
    pub policy: Policy,
    /// Per metric of [`METRICS`]: statistics over the runs that have it (`None`: none has).
    pub stats: Vec<Option<MeanCi>>,
}

fn row(policy: Policy, runs: &[Summary]) -> Row {
    let stats = METRICS
        .iter()
        .map(|m| {
            let values: Vec<f64> = runs.iter().filter_map(|s| (m.value)(s)).collect();
            (!values.is_empty()).then(|| stats::mean_ci(&values))
        })
        .collect();
    Row { policy, stats }
}

/// Run every policy over seeds 1..=`seeds` (in parallel; the result does not depend on it).
pub fn run_all(base: &Scenario, seeds: u64, jobs: Option<usize>) -> anyhow::Result<Vec<Row>> {
    let runs: Vec<(Policy, u64)> = Policy::ALL
        .iter()
        .flat_map(|&p| (1..=seeds).map(move |s| (p, s)))
        .collect();
    let pool = super::pool(jobs)?;
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

/// The Markdown table: mean [95% interval] per policy and metric.
pub fn markdown(rows: &[Row]) -> String {
    let heading = |m: &Metric| {
        if m.unit.is_empty() {
            m.label.to_string()
        } else {
            format!("{} ({})", m.label, m.unit)
        }
    };
    let mut out = format!(
        "| policy | {} |\n|---|{}\n",
        METRICS.iter().map(heading).collect::<Vec<_>>().join(" | "),
        "---|".repeat(METRICS.len())
    );
    for r in rows {
        let cells: Vec<String> = METRICS
            .iter()
            .zip(&r.stats)
            .map(|(m, s)| s.map_or("n/a".into(), |s| s.text(m.digits)))
            .collect();
        out.push_str(&format!(
            "| {} | {} |\n",
            r.policy.name(),
            cells.join(" | ")
        ));
    }
    out
}

/// The CSV: one row per policy and metric.
pub fn csv(rows: &[Row]) -> String {
    let mut out = format!("policy,metric,unit,{MEAN_CI_COLUMNS}\n");
    for r in rows {
        for (m, s) in METRICS.iter().zip(&r.stats) {
            let fields = s.map_or("0,n/a,n/a,n/a,n/a".into(), |s| s.csv(m.digits + 2));
            out.push_str(&format!(
                "{},{},{},{fields}\n",
                r.policy.name(),
                m.name,
                m.unit
            ));
        }
    }
    out
}

/// Reserved scenario fields: compare sets the seeds and runs every policy.
const RESERVED: super::Reserved<'static> = &[
    ("seed", "the seeds are 1..=K from --seeds"),
    ("policy", "it runs every policy"),
];

/// Files compare writes in its directory (what `--fresh` deletes).
const OUTPUTS: [&str; 3] = ["compare.md", "compare.csv", "compare.png"];

/// `swarmlb compare`.
pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    super::check_fields("compare", &args.scenario, false, &[], RESERVED);
    let base = args.scenario.load(&[])?;
    let mut parts = super::scenario_parts(&args.scenario, None, &[&base]);
    parts.push(("seeds", format!("1..={}", args.seeds)));
    Plan::new("compare", parts).claim(&args.out, args.fresh, &OUTPUTS)?;
    progress::install_ctrl_c();
    let rows = run_all(&base, args.seeds, args.jobs)?;
    let md = markdown(&rows);
    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write("compare.md", &md)?;
    write("compare.csv", &csv(&rows))?;
    let categories: Vec<String> = rows.iter().map(|r| r.policy.name().to_string()).collect();
    let panels: Vec<Panel> = METRICS
        .iter()
        .enumerate()
        .filter(|(i, _)| rows.iter().any(|r| r.stats[*i].is_some()))
        .map(|(i, m)| Panel {
            title: m.label.to_string(),
            unit: m.unit.to_string(),
            values: rows.iter().map(|r| r.stats[i]).collect(),
        })
        .collect();
    chart::bar_panels(
        &args.out.join("compare.png"),
        &format!(
            "{}: policies compared, mean and 95% interval over seeds 1..={}",
            base.name, args.seeds
        ),
        &categories,
        &panels,
    )?;
    println!(
        "compare: {} over seeds 1..={} (mean [95% confidence interval over seeds])",
        base.name, args.seeds
    );
    print!("{md}");
    println!(
        "wrote {0}/compare.md, {0}/compare.csv, {0}/compare.png",
        args.out.display()
    );
    Ok(())
}
