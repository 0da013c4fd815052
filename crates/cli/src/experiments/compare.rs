//! `swarmlb compare`: the decentralized model against every centralized policy, on the
//! same workload and seeds, each figure with its 95% confidence interval over the seeds.

use std::path::PathBuf;

use clap::Args;
use rayon::prelude::*;
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Policy, Scenario, Summary};

use super::chart::{self, Panel};
use super::plan::Plan;
use super::stats::{self, MEAN_CI_COLUMNS, MeanCi};
use crate::progress;
use crate::scenario_args::ScenarioSpec;

/// Compare the decentralized model with every centralized policy.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/compare.md, DIR/compare.csv (per view, policy and metric: n, mean, sd, 95% \
    confidence interval), DIR/compare.png, DIR/compare-matched.png and DIR/plan.json; prints the tables.\n\n\
    Two views: as configured (the centralized policies route to the scenario's fixed pool of servers, \
    while the decentralized servers scale out and in), and capacity-matched (each centralized policy gets, \
    per seed, a fixed pool of ⌈decentralized server-seconds / duration⌉ servers, so it pays about the same \
    server-seconds and the rows differ in routing and in when the capacity is there).\n\n\
    Every figure is a mean over the seeds with its 95% Student t interval: repeated with fresh seeds, about \
    95% of such intervals would contain the policy's true mean. It needs at least 2 seeds.\n\n\
    Examples:\n  swarmlb compare default --seeds 4 --out cmp\n  swarmlb compare coordinator-crash --seeds 2 --duration 20m"
)]
pub struct CompareArgs {
    #[command(flatten)]
    scenario: ScenarioSpec,
    /// Seeds 1..=K per policy; at least 2 (an interval over one seed is undefined).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(2..=10_000))]
    seeds: u64,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long, value_parser = super::jobs_parser())]
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
pub const METRICS: [Metric; 11] = [
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
        name: "messages_per_connection_without_heartbeats",
        label: "messages / connection, no heartbeats",
        unit: "",
        digits: 2,
        value: |s| Some(s.messages_per_connection_without_heartbeats()),
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
        name: "rejections",
        label: "connects refused by a server",
        unit: "",
        digits: 1,
        value: |s| Some(s.rejections as f64),
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

/// Which capacity the centralized policies get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The scenario as given: a fixed pool of `servers.initial` servers, while the
    /// decentralized servers scale out and terminate.
    Configured,
    /// Per seed, a fixed pool of ⌈decentralized server-seconds / duration⌉ servers: about
    /// the server-seconds the decentralized run used, so rows differ in routing (and in
    /// when the capacity is there), not in how much capacity was paid for.
    CapacityMatched,
}

impl View {
    /// Both views, in table order.
    pub const ALL: [View; 2] = [View::Configured, View::CapacityMatched];

    /// Name in compare.csv.
    pub fn name(self) -> &'static str {
        match self {
            View::Configured => "configured",
            View::CapacityMatched => "capacity-matched",
        }
    }

    /// Heading in compare.md.
    pub fn heading(self) -> &'static str {
        match self {
            View::Configured => "As configured (centralized: the scenario's fixed pool)",
            View::CapacityMatched => {
                "Capacity-matched (centralized: a fixed pool of ⌈decentralized server-seconds / duration⌉ servers, per seed)"
            }
        }
    }
}

/// The figures of one policy over the seeds, in one view.
#[derive(Clone, Debug)]
pub struct Row {
    /// The view.
    pub view: View,
    /// The policy.
    pub policy: Policy,
    /// Per metric of [`METRICS`]: statistics over the runs that have it (`None`: none has).
    pub stats: Vec<Option<MeanCi>>,
}

fn row(view: View, policy: Policy, runs: &[Summary]) -> Row {
    let stats = METRICS
        .iter()
        .map(|m| {
            let values: Vec<f64> = runs.iter().filter_map(|s| (m.value)(s)).collect();
            (!values.is_empty()).then(|| stats::mean_ci(&values))
        })
        .collect();
    Row {
        view,
        policy,
        stats,
    }
}

/// The fixed pool that matches a decentralized run's server-seconds.
fn matched_pool(duration: Dur, server_seconds: u64) -> u32 {
    let seconds = (duration.us() / 1_000_000).max(1);
    let pool = server_seconds.div_ceil(seconds).max(1);
    u32::try_from(pool).expect("a pool never exceeds the servers limit")
}

/// Run every (seed, scenario) in parallel, in order; `Interrupted` on Ctrl-C.
fn run_batch(pool: &rayon::ThreadPool, runs: Vec<(u64, Scenario)>) -> anyhow::Result<Vec<Summary>> {
    let summaries: Option<Vec<Summary>> = pool.install(|| {
        runs.into_par_iter()
            .map(|(seed, scenario)| super::run_to_summary(scenario, seed))
            .collect()
    });
    summaries.ok_or_else(|| crate::Interrupted.into())
}

/// Run every policy over seeds 1..=`seeds` in both views (in parallel; the result does not
/// depend on it). Rows: every policy as configured, then every policy capacity-matched
/// (the decentralized row is the same runs in both).
pub fn run_all(base: &Scenario, seeds: u64, jobs: Option<usize>) -> anyhow::Result<Vec<Row>> {
    let pool = super::pool(jobs)?;
    let with_policy = |policy: Policy| {
        let mut s = base.clone();
        s.policy = policy;
        s
    };
    let configured: Vec<(u64, Scenario)> = Policy::ALL
        .iter()
        .flat_map(|&p| (1..=seeds).map(move |seed| (seed, with_policy(p))))
        .collect();
    let summaries = run_batch(&pool, configured)?;
    let k = seeds as usize;
    let of = |i: usize| &summaries[i * k..(i + 1) * k];
    let decentralized_idx = Policy::ALL
        .iter()
        .position(|p| !p.is_centralized())
        .expect("one policy is decentralized");
    let decentralized = of(decentralized_idx);
    let centralized: Vec<Policy> = Policy::ALL
        .iter()
        .copied()
        .filter(|p| p.is_centralized())
        .collect();
    let matched_runs: Vec<(u64, Scenario)> = centralized
        .iter()
        .flat_map(|&p| {
            decentralized.iter().map(move |d| {
                let mut s = with_policy(p);
                let servers = matched_pool(base.duration, d.server_seconds);
                s.servers.initial = servers;
                s.servers.max_servers = s.servers.max_servers.max(servers);
                (d.seed, s)
            })
        })
        .collect();
    for (_, s) in &matched_runs {
        s.validate().map_err(|e| {
            anyhow::anyhow!(
                "the capacity-matched scenario is invalid: {}: {e}",
                e.field()
            )
        })?;
    }
    let matched = run_batch(&pool, matched_runs)?;
    let mut rows: Vec<Row> = Policy::ALL
        .iter()
        .enumerate()
        .map(|(i, &p)| row(View::Configured, p, of(i)))
        .collect();
    rows.push(row(
        View::CapacityMatched,
        Policy::ALL[decentralized_idx],
        decentralized,
    ));
    rows.extend(
        centralized
            .iter()
            .enumerate()
            .map(|(i, &p)| row(View::CapacityMatched, p, &matched[i * k..(i + 1) * k])),
    );
    Ok(rows)
}

/// The Markdown tables, one per view: mean [95% interval] per policy and metric.
pub fn markdown(rows: &[Row]) -> String {
    let heading = |m: &Metric| {
        if m.unit.is_empty() {
            m.label.to_string()
        } else {
            format!("{} ({})", m.label, m.unit)
        }
    };
    let mut out = String::new();
    for view in View::ALL {
        out.push_str(&format!(
            "{}{}:\n\n| policy | {} |\n|---|{}\n",
            if out.is_empty() { "" } else { "\n" },
            view.heading(),
            METRICS.iter().map(heading).collect::<Vec<_>>().join(" | "),
            "---|".repeat(METRICS.len())
        ));
        for r in rows.iter().filter(|r| r.view == view) {
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
    }
    out
}

/// The CSV: one row per view, policy and metric.
pub fn csv(rows: &[Row]) -> String {
    let mut out = format!("view,policy,metric,unit,{MEAN_CI_COLUMNS}\n");
    for r in rows {
        for (m, s) in METRICS.iter().zip(&r.stats) {
            let fields = s.map_or("0,n/a,n/a,n/a,n/a".into(), |s| s.csv(m.digits + 2));
            out.push_str(&format!(
                "{},{},{},{},{fields}\n",
                r.view.name(),
                r.policy.name(),
                m.name,
                m.unit
            ));
        }
    }
    out
}

/// Reserved scenario fields: compare sets the seeds and runs every policy.
const RESERVED: crate::scenario_args::Reserved<'static> = &[
    ("seed", "the seeds are 1..=K from --seeds"),
    ("policy", "it runs every policy"),
];

/// The charts, one per view ([`View::ALL`] order).
const CHARTS: [&str; 2] = ["compare.png", "compare-matched.png"];

/// Files compare writes in its directory (what `--fresh` deletes).
const OUTPUTS: [&str; 4] = ["compare.md", "compare.csv", CHARTS[0], CHARTS[1]];

/// `swarmlb compare`.
pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    crate::scenario_args::check_fields("compare", &args.scenario, false, &[], RESERVED);
    let base = args.scenario.load(&[])?;
    let mut parts = super::scenario_parts(&args.scenario, None, &[&base]);
    parts.push(("seeds", format!("1..={}", args.seeds)));
    Plan::new("compare", parts).claim(&args.out, args.fresh, &OUTPUTS)?;
    progress::install_ctrl_c();
    let rows = run_all(&base, args.seeds, args.jobs)?;
    let md = markdown(&rows);
    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        crate::record::write_whole(&path, text)
    };
    write("compare.md", &md)?;
    write("compare.csv", &csv(&rows))?;
    for (view, file) in View::ALL.into_iter().zip(CHARTS) {
        let rows: Vec<&Row> = rows.iter().filter(|r| r.view == view).collect();
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
            &args.out.join(file),
            &format!(
                "{}, {}: mean and 95% interval over seeds 1..={}",
                base.name,
                view.name(),
                args.seeds
            ),
            &categories,
            &panels,
        )?;
    }
    println!(
        "compare: {} over seeds 1..={} (mean [95% confidence interval over seeds])",
        base.name, args.seeds
    );
    print!("{md}");
    println!(
        "wrote {0}/compare.md, {0}/compare.csv, {0}/compare.png, {0}/compare-matched.png",
        args.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matched_pool_covers_the_server_seconds_in_whole_servers() {
        let twenty_minutes = Dur(1_200_000_000);
        assert_eq!(matched_pool(twenty_minutes, 24_000), 20);
        assert_eq!(matched_pool(twenty_minutes, 24_001), 21);
        assert_eq!(matched_pool(twenty_minutes, 23_999), 20);
        assert_eq!(matched_pool(twenty_minutes, 0), 1);
        assert_eq!(
            matched_pool(Dur(500_000), 3),
            3,
            "under a second counts as one"
        );
    }
}
