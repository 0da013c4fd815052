//! `swarmlb stability`: for each cell of a one- or two-parameter grid, B baseline seeds ×
//! K butterfly runs at seeded random times; how often one disconnected user cascades (with
//! its 95% Wilson interval), how far, and how long a dissipating perturbation takes to
//! heal. A heatmap shows the map, each cell labelled with its probability and interval.

use std::path::PathBuf;
use swarmlb_trace::format::CHECKPOINT_EVERY_MAX;

use clap::Args;
use rayon::prelude::*;
use swarmlb_engine::{KeyedDraw, SimTime};
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Policy, Scenario};
use swarmlb_trace::TraceReader;
use swarmlb_trace::diff::{self, Verdict};

use super::chart;
use super::grid::{self, Param};
use super::plan::Plan;
use super::stats::{self, MEAN_CI_COLUMNS};
use crate::progress::{self, Progress};
use crate::scenario_args::ScenarioSpec;

/// Map where one disconnected user is enough to shake the system.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/stability.csv, DIR/stability.png, DIR/stability.svg and DIR/plan.json.\n\n\
    Each cell runs --seeds baselines (seeds 1..=B) and, against each, --perturbations butterfly branches \
    (one user disconnected at a time drawn from 10% to 60% of the run, the same times in every cell). \
    P(cascade) is the fraction of the B × K branches that cascaded, with its 95% Wilson score interval: \
    repeated with fresh seeds, about 95% of such intervals would contain the true probability. \
    The map shows it as \"0.33 [0.10, 0.65]\". Branches that perturbed nobody (no-op) are left out. \
    stability.csv also has, per outcome (rejections, gave_up, migrations, handoffs, scale_outs, ttc_p99_ms, \
    load_spread_cov), the branch-minus-baseline change after the perturbation: n, mean, sd and 95% t interval.\n\n\
    Example:\n  swarmlb stability seed-classic --param servers.capacity=8,10,12 --param users.count=10,20 --seeds 4 --perturbations 6 --out st"
)]
pub struct StabilityArgs {
    #[command(flatten)]
    scenario: ScenarioSpec,
    /// Who routes users: decentralized, round-robin, least-connections, power-of-two, random.
    #[arg(long)]
    policy: Option<Policy>,
    /// The x parameter, then the y parameter (like servers.capacity=5,10,20).
    #[arg(long = "param", value_name = "KEY=V1,V2,...", required = true)]
    params: Vec<Param>,
    /// Baseline seeds 1..=B per cell.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    seeds: u64,
    /// Butterfly runs per baseline, at times drawn uniformly from 10% to 60% of the run.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    perturbations: u32,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long, value_parser = super::jobs_parser())]
    jobs: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "stability-out")]
    out: PathBuf,
    /// Delete the results of an earlier plan in the output directory before starting.
    #[arg(long)]
    fresh: bool,
}

/// The outcome of one cell over all its branches.
#[derive(Clone, Debug, Default)]
struct CellResult {
    dissipated: u64,
    contained: u64,
    cascaded: u64,
    diverged: u64,
    undetermined: u64,
    /// Branches where nobody was disconnected: not samples of stability, left out of `runs`.
    no_op: u64,
    cascade_sizes: Vec<f64>,
    dissipate_times_s: Vec<f64>,
    /// Per outcome (`diff::Outcome::ALL`), branch minus baseline after the perturbation,
    /// one value per branch where it is defined.
    deltas: [Vec<f64>; diff::Outcome::ALL.len()],
}

impl CellResult {
    /// Branches that perturbed someone (the denominator of P(cascade)).
    fn runs(&self) -> u64 {
        self.dissipated + self.contained + self.cascaded + self.diverged + self.undetermined
    }

    fn count(&mut self, report: &diff::Report, at: SimTime) {
        // Exhaustive on purpose: a new verdict must be placed in one of the counts.
        match report.verdict {
            // Nothing was perturbed: not a sample of the system's stability.
            Verdict::NoOp => {
                self.no_op += 1;
                return;
            }
            Verdict::Undetermined => self.undetermined += 1,
            Verdict::Dissipated | Verdict::Identical | Verdict::NoEffect => {
                self.dissipated += 1;
                let healed = report.reconverged_at.unwrap_or(at);
                self.dissipate_times_s.push(healed.since(at) as f64 / 1e6);
            }
            Verdict::Contained => self.contained += 1,
            Verdict::Diverged => self.diverged += 1,
            Verdict::Cascaded => self.cascaded += 1,
        }
        self.cascade_sizes.push(report.cascade_size as f64);
        for (values, outcome) in self.deltas.iter_mut().zip(diff::Outcome::ALL) {
            let delta = report.outcomes_after.delta(outcome);
            if delta.is_finite() {
                values.push(delta);
            }
        }
    }
}

/// The perturbation time of branch `k` against baseline seed `seed`: keyed by those two
/// only, so every cell is perturbed at the same times (a paired comparison across cells).
fn perturbation_at(scenario: &Scenario, seed: u64, k: u32) -> u64 {
    let span = scenario.duration.us();
    span / 10 + KeyedDraw::new(seed, &[u64::from(k)]).below(span / 2)
}

/// Reserved scenario fields: stability sets the seeds and the perturbation.
const RESERVED: crate::scenario_args::Reserved<'static> = &[
    ("seed", "the baseline seeds are 1..=B from --seeds"),
    ("butterfly", "it perturbs every branch itself"),
];

/// Files stability writes in its directory (what `--fresh` deletes).
const OUTPUTS: [&str; 3] = ["stability.csv", "stability.png", "stability.svg"];

/// `swarmlb stability`.
pub fn stability(args: StabilityArgs) -> anyhow::Result<()> {
    if args.params.len() > 2 {
        crate::scenario_args::usage_error(
            "stability",
            "stability takes one or two --param (x, then y)".into(),
        );
    }
    crate::scenario_args::check_fields(
        "stability",
        &args.scenario,
        args.policy.is_some(),
        &args.params,
        RESERVED,
    );
    let cells = grid::resolve(&args.scenario, &args.params, args.policy)?;
    let policies: Vec<_> = cells.iter().map(|(_, s)| s.policy).collect();
    crate::scenario_args::check_policy_reads("stability", &args.scenario, &args.params, &policies);
    let scenarios: Vec<&Scenario> = cells.iter().map(|(_, s)| s).collect();
    let mut parts = super::scenario_parts(&args.scenario, args.policy, &scenarios);
    parts.push(("grid", grid::describe(&args.params)));
    parts.push(("seeds", format!("1..={}", args.seeds)));
    parts.push(("perturbations", args.perturbations.to_string()));
    Plan::new("stability", parts).claim(&args.out, args.fresh, &OUTPUTS)?;
    progress::install_ctrl_c();
    let pool = super::pool(args.jobs)?;
    let (b, k) = (args.seeds, args.perturbations);
    let total = cells.len() as u64 * b * u64::from(k + 1);
    let bar = std::sync::Mutex::new(Progress::new(total, "stability").with_unit("runs"));
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        bar.lock().expect("not poisoned").set(n);
    };
    // Each baseline, then its K branches against it, all in parallel; a baseline's trace is
    // dropped as soon as its branches are compared, so memory holds a few traces, not B ×
    // cells of them.
    let baseline_runs: Vec<(usize, u64)> = (0..cells.len())
        .flat_map(|c| (1..=b).map(move |seed| (c, seed)))
        .collect();
    let branch =
        |c: usize, seed: u64, j: u32, base: &[u8]| -> anyhow::Result<(diff::Report, SimTime)> {
            if progress::stopped() {
                return Err(crate::Interrupted.into());
            }
            let at = perturbation_at(&cells[c].1, seed, j);
            let perturbed = cells[c].1.perturbed_at(Dur(at), None).with_seed(seed);
            let bytes = swarmlb_trace::write::record_to_vec(&perturbed, CHECKPOINT_EVERY_MAX)?;
            let report = diff::diff(
                || {
                    Ok((
                        TraceReader::new(base, "baseline")?,
                        TraceReader::new(&bytes[..], "perturbed")?,
                    ))
                },
                None,
            )?;
            tick();
            Ok((report, SimTime(at)))
        };
    let outcomes: Vec<anyhow::Result<Vec<(diff::Report, SimTime)>>> = pool.install(|| {
        baseline_runs
            .par_iter()
            .map(|&(c, seed)| {
                if progress::stopped() {
                    return Err(crate::Interrupted.into());
                }
                let mut scenario = cells[c].1.clone().with_seed(seed);
                scenario.butterfly = None;
                let base = swarmlb_trace::write::record_to_vec(&scenario, CHECKPOINT_EVERY_MAX)?;
                tick();
                (0..k)
                    .into_par_iter()
                    .map(|j| branch(c, seed, j, &base))
                    .collect()
            })
            .collect()
    });
    bar.into_inner().expect("not poisoned").finish();
    let mut results = vec![CellResult::default(); cells.len()];
    for (&(c, _), outcome) in baseline_runs.iter().zip(outcomes) {
        for (report, at) in outcome? {
            results[c].count(&report, at);
        }
    }
    let keys: Vec<&str> = args.params.iter().map(|p| p.key.as_str()).collect();
    let prefixed = |prefix: &str| {
        MEAN_CI_COLUMNS
            .split(',')
            .map(|c| format!("{prefix}_{c}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let delta_columns: Vec<String> = diff::Outcome::ALL
        .iter()
        .map(|o| prefixed(&format!("delta_after_{}", o.name())))
        .collect();
    let mut csv = format!(
        "{},seeds,perturbations,runs,dissipated,contained,cascaded,diverged,undetermined,no_op,\
         p_cascade,p_cascade_ci95_low,p_cascade_ci95_high,{},{},{}\n",
        keys.join(","),
        prefixed("cascade_size"),
        prefixed("time_to_dissipate_s"),
        delta_columns.join(","),
    );
    let mut labels = Vec::new();
    let mut table = vec![
        keys.iter()
            .map(|k| k.to_string())
            .chain(
                [
                    "branches",
                    "P(cascade) [95% Wilson]",
                    "cascade size [95% t]",
                    "time to dissipate s [95% t]",
                ]
                .map(String::from),
            )
            .collect::<Vec<_>>(),
    ];
    for ((cell, _), r) in cells.iter().zip(&results) {
        let runs = r.runs();
        assert_eq!(
            runs + r.no_op,
            b * u64::from(k),
            "every branch has a verdict"
        );
        let p = r.cascaded as f64 / runs.max(1) as f64;
        let (lo, hi) = stats::wilson(r.cascaded, runs);
        let sizes = stats::mean_ci(&r.cascade_sizes).csv(2);
        let mean_ci_or_none = |values: &[f64], digits| {
            if values.is_empty() {
                "0,n/a,n/a,n/a,n/a".to_string()
            } else {
                stats::mean_ci(values).csv(digits)
            }
        };
        let heal = mean_ci_or_none(&r.dissipate_times_s, 2);
        let deltas: Vec<String> = r.deltas.iter().map(|v| mean_ci_or_none(v, 4)).collect();
        csv.push_str(&format!(
            "{},{b},{k},{runs},{},{},{},{},{},{},{p:.4},{lo:.4},{hi:.4},{sizes},{heal},{}\n",
            cell.values.join(","),
            r.dissipated,
            r.contained,
            r.cascaded,
            r.diverged,
            r.undetermined,
            r.no_op,
            deltas.join(","),
        ));
        let label = format!("{p:.2} [{lo:.2}, {hi:.2}]");
        let mut line = cell.values.clone();
        line.push(runs.to_string());
        line.push(label.clone());
        line.push(stats::mean_ci(&r.cascade_sizes).text(1));
        line.push(if r.dissipate_times_s.is_empty() {
            "n/a".into()
        } else {
            stats::mean_ci(&r.dissipate_times_s).text(1)
        });
        table.push(line);
        labels.push(label);
    }
    crate::record::write_whole(&args.out.join("stability.csv"), &csv)?;
    // The map: x = first parameter, y = second (or a single row).
    let x = &args.params[0];
    let (y_label, y_values) = match args.params.get(1) {
        Some(y) => (y.key.clone(), y.values.clone()),
        None => (String::new(), vec![String::new()]),
    };
    let mut grid_values = vec![vec![0.0; x.values.len()]; y_values.len()];
    let mut grid_labels = vec![vec![String::new(); x.values.len()]; y_values.len()];
    for ((cell, _), (r, label)) in cells.iter().zip(results.iter().zip(labels)) {
        let (i, j) = (cell.index / y_values.len(), cell.index % y_values.len());
        grid_values[j][i] = r.cascaded as f64 / r.runs().max(1) as f64;
        grid_labels[j][i] = label;
    }
    let title = format!(
        "{}: P(cascade) [95% interval], {b} seeds × {k} perturbations per cell",
        cells[0].1.name
    );
    for ext in ["png", "svg"] {
        chart::heatmap(
            &args.out.join(format!("stability.{ext}")),
            &title,
            chart::Axis {
                label: &x.key,
                names: &x.values,
            },
            chart::Axis {
                label: &y_label,
                names: &y_values,
            },
            &grid_values,
            &grid_labels,
        )?;
    }
    println!(
        "stability: {b} baseline seeds × {k} perturbations per cell; the intervals are 95% \
         (Wilson for P(cascade), Student t for means)"
    );
    print!("{}", super::align(&table));
    println!(
        "wrote {0}/stability.csv, {0}/stability.png, {0}/stability.svg",
        args.out.display()
    );
    Ok(())
}
