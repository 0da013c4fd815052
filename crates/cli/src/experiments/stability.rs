//! `swarmlb stability`: for each cell of a one- or two-parameter grid, B baseline seeds ×
//! K butterfly runs at seeded random times, each judged against a null of J independent
//! runs of its baseline; how often one disconnected user decorrelates the system (over the
//! determined branches, with its 95% Wilson interval), how fast, and whether any outcome
//! shifts over the cell's ensemble. A heatmap shows the map with n per cell, and
//! `branches.csv` holds every branch so each figure can be recomputed.

use std::path::PathBuf;

use clap::Args;
use rayon::prelude::*;
use swarmlb_engine::{KeyedDraw, SimTime};
use swarmlb_experiment::ensemble::Ensemble;
use swarmlb_experiment::pair::{self, PairSpec, References};
use swarmlb_experiment::{Hooks, PairResult, Perturb};
use swarmlb_model::{Policy, Scenario};
use swarmlb_trace::diff::{self, Verdict};

use super::chart;
use super::grid::{self, Param};
use super::plan::Plan;
use super::stats::{self, MEAN_CI_COLUMNS};
use crate::butterfly::NullArgs;
use crate::progress::{self, Progress};
use crate::scenario_args::ScenarioSpec;

/// Map where one disconnected user is enough to shake the system.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/stability.csv, DIR/branches.csv, DIR/stability.png, DIR/stability.svg and DIR/plan.json.\n\n\
    Each cell runs --seeds baselines (seeds 1..=B) and, against each, --perturbations butterfly branches \
    (one user disconnected at a time drawn from 10% to 60% of the run, the same times in every cell), \
    and --references J runs of other seeds per baseline as its null model. \
    P(decorrelated) = decorrelated / determined branches (no effect, dissipated, contained, decorrelated; \
    never over no-op or undetermined ones, which are counted in columns of their own), with its 95% Wilson \
    interval: repeated with fresh seeds, about 95% of such intervals would contain the true probability. \
    The map shows it as \"0.33 [0.10, 0.65] n=12\". stability.csv also has, per outcome (rejections, gave_up, \
    migrations, handoffs, scale_outs, ttc_p99_ms, load_spread_cov), the branch-minus-baseline change after \
    the perturbation over the cell's branches: n, mean, sd, 95% t interval, sign-flip p and whether Holm's \
    correction across outcomes calls it shifted. branches.csv has one row per branch.\n\n\
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
    #[command(flatten)]
    null: NullArgs,
    /// Output directory.
    #[arg(long, default_value = "stability-out")]
    out: PathBuf,
    /// Delete the results of an earlier plan in the output directory before starting.
    #[arg(long)]
    fresh: bool,
}

/// One branch: its number against its baseline, its perturbation time, its result.
type Branch = (u32, SimTime, PairResult);

/// The outcome of one cell over all its branches.
#[derive(Clone, Debug, Default)]
struct CellResult {
    /// Every branch with the time it was perturbed at and its index against its baseline.
    branches: Vec<Branch>,
}

impl CellResult {
    fn count(&self, v: Verdict) -> u64 {
        self.branches
            .iter()
            .filter(|(_, _, p)| p.report.verdict == v)
            .count() as u64
    }

    /// No-op branches (nothing perturbed; an identical pair counts here too).
    fn no_op(&self) -> u64 {
        self.count(Verdict::NoOp) + self.count(Verdict::Identical)
    }

    fn ensemble(&self) -> Ensemble {
        Ensemble::new(self.branches.iter().map(|(_, _, p)| p.clone()).collect())
    }

    fn dissipate_times_s(&self) -> Vec<f64> {
        self.branches
            .iter()
            .filter(|(_, _, p)| p.report.verdict == Verdict::Dissipated)
            .filter_map(|(_, at, p)| Some(p.report.reconverged_at?.since(*at) as f64 / 1e6))
            .collect()
    }

    fn cascade_sizes(&self) -> Vec<f64> {
        self.branches
            .iter()
            .filter(|(_, _, p)| swarmlb_experiment::ensemble::perturbed(p))
            .map(|(_, _, p)| p.report.cascade_size as f64)
            .collect()
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
const OUTPUTS: [&str; 4] = [
    "stability.csv",
    "branches.csv",
    "stability.png",
    "stability.svg",
];

/// The columns of `branches.csv` before the outcome deltas.
const BRANCH_COLUMNS: &str = "seed,branch,at_s,victim,verdict,determined,phi_end,band_low,band_high,\
decorrelation_s,reconverged_s,cascade_size,agents_total";

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
    let references = args.null.references();
    let mut parts = super::scenario_parts(&args.scenario, args.policy, &scenarios);
    parts.push(("grid", grid::describe(&args.params)));
    parts.push(("seeds", format!("1..={}", args.seeds)));
    parts.push(("perturbations", args.perturbations.to_string()));
    parts.push(("references", references.to_string()));
    Plan::new("stability", parts).claim(&args.out, args.fresh, &OUTPUTS)?;
    progress::install_ctrl_c();
    let pool = super::pool(args.null.jobs())?;
    let (b, k) = (args.seeds, args.perturbations);
    let total = cells.len() as u64 * b * (1 + references as u64 + u64::from(k));
    let bar = std::sync::Mutex::new(Progress::new(total, "stability").with_unit("runs"));
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        bar.lock().expect("not poisoned").set(n);
    };
    let stop = progress::stopped;
    let hooks = Hooks {
        stop: &stop,
        tick: &tick,
    };
    // Each baseline and its references, then its K branches against them, all in
    // parallel; a baseline's traces are dropped as soon as its branches are judged, so
    // memory holds a few baselines' runs, not B × cells of them.
    let baseline_runs: Vec<(usize, u64)> = (0..cells.len())
        .flat_map(|c| (1..=b).map(move |seed| (c, seed)))
        .collect();
    let spec_of = |c: usize, at: SimTime| PairSpec {
        scenario: cells[c].1.clone(),
        at,
        user: None,
        perturb: Perturb::DisconnectUser,
        references,
    };
    let outcomes: Vec<Result<Vec<Branch>, swarmlb_experiment::ExperimentError>> =
        pool.install(|| {
            baseline_runs
                .par_iter()
                .map(|&(c, seed)| {
                    let spec = spec_of(c, SimTime::ZERO);
                    let (base, refs) = rayon::join(
                        || pair::record_baseline(&spec, seed, hooks),
                        || References::record(&spec, seed, hooks),
                    );
                    let (base, refs) = (base?, refs?);
                    (0..k)
                        .into_par_iter()
                        .map(|j| {
                            let at = SimTime(perturbation_at(&cells[c].1, seed, j));
                            let result =
                                pair::branch_of(&spec_of(c, at), seed, &base, &refs, hooks)?;
                            Ok((j, at, result))
                        })
                        .collect()
                })
                .collect()
        });
    bar.into_inner().expect("not poisoned").finish();
    let mut results = vec![CellResult::default(); cells.len()];
    for (&(c, _), outcome) in baseline_runs.iter().zip(outcomes) {
        match outcome {
            Ok(branches) => results[c].branches.extend(branches),
            Err(swarmlb_experiment::ExperimentError::Interrupted) => {
                return Err(crate::Interrupted.into());
            }
            Err(e) => return Err(e.into()),
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
        .map(|o| {
            let name = format!("delta_after_{}", o.name());
            format!("{},{name}_p,{name}_shifted", prefixed(&name))
        })
        .collect();
    let mut csv = format!(
        "{},seeds,perturbations,references,branches,no_op,undetermined,no_effect,dissipated,contained,\
         decorrelated,determined,p_decorrelated,p_decorrelated_ci95_low,p_decorrelated_ci95_high,\
         median_decorrelation_s,{},{},{}\n",
        keys.join(","),
        prefixed("cascade_size"),
        prefixed("time_to_dissipate_s"),
        delta_columns.join(","),
    );
    let mut branches_csv = format!("{},{BRANCH_COLUMNS}", keys.join(","));
    for o in diff::Outcome::ALL {
        branches_csv.push_str(&format!(",delta_after_{}", o.name()));
    }
    branches_csv.push('\n');
    let mut labels = Vec::new();
    let mut table = vec![
        keys.iter()
            .map(|k| k.to_string())
            .chain(
                [
                    "branches",
                    "determined",
                    "P(decorrelated) [95% Wilson]",
                    "median decorrelation s",
                    "outcome shift",
                ]
                .map(String::from),
            )
            .collect::<Vec<_>>(),
    ];
    let mean_ci_or_none = |values: &[f64], digits| {
        if values.is_empty() {
            "0,n/a,n/a,n/a,n/a".to_string()
        } else {
            stats::mean_ci(values).csv(digits)
        }
    };
    let mut grid_p = Vec::new();
    for ((cell, _), r) in cells.iter().zip(results.iter_mut()) {
        r.branches.sort_by_key(|(j, _, p)| (p.seed, *j));
        let total = r.branches.len() as u64;
        assert_eq!(total, b * u64::from(k), "every branch has a verdict");
        let ensemble = r.ensemble();
        let (dec, determined) = ensemble.decorrelated();
        let (p, lo, hi) = if determined == 0 {
            (f64::NAN, 0.0, 1.0)
        } else {
            let (lo, hi) = stats::wilson(dec, determined);
            (dec as f64 / determined as f64, lo, hi)
        };
        let median = ensemble.median_decorrelation_s();
        let deltas: Vec<String> = diff::Outcome::ALL
            .iter()
            .map(|&o| match ensemble.tests.iter().find(|t| t.outcome == o) {
                Some(t) => format!("{},{:.6},{}", t.delta.csv(4), t.p.p, t.shifted),
                None => "0,n/a,n/a,n/a,n/a,,".to_string(),
            })
            .collect();
        let opt = |x: f64| {
            if x.is_finite() {
                format!("{x:.4}")
            } else {
                String::new()
            }
        };
        csv.push_str(&format!(
            "{},{b},{k},{references},{total},{},{},{},{},{},{},{determined},{},{lo:.4},{hi:.4},{},{},{},{}\n",
            cell.values.join(","),
            r.no_op(),
            r.count(Verdict::Undetermined),
            r.count(Verdict::NoEffect),
            r.count(Verdict::Dissipated),
            r.count(Verdict::Contained),
            r.count(Verdict::Decorrelated),
            opt(p),
            median.map_or(String::new(), |m| format!("{m:.3}")),
            mean_ci_or_none(&r.cascade_sizes(), 2),
            mean_ci_or_none(&r.dissipate_times_s(), 2),
            deltas.join(","),
        ));
        for (j, at, pr) in &r.branches {
            let rep = &pr.report;
            let n = rep.evidence.null;
            let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x}"));
            branches_csv.push_str(&format!(
                "{},{},{j},{},{},{},{},{},{},{},{},{},{},{}",
                cell.values.join(","),
                pr.seed,
                at.as_secs_f64(),
                rep.perturbation
                    .and_then(|p| p.victim)
                    .map_or(String::new(), |u| u.to_string()),
                rep.verdict.name(),
                rep.verdict.determined(),
                f(n.map(|n| n.phi_end)),
                f(n.map(|n| n.band.0)),
                f(n.map(|n| n.band.1)),
                f(rep.decorrelation_time.map(|t| t.since(*at) as f64 / 1e6)),
                f(rep.reconverged_at.map(|t| t.since(*at) as f64 / 1e6)),
                rep.cascade_size,
                rep.agents_total,
            ));
            for o in diff::Outcome::ALL {
                let d = rep.outcomes_after.delta(o);
                branches_csv.push_str(&format!(",{}", f(Some(d).filter(|x| x.is_finite()))));
            }
            branches_csv.push('\n');
        }
        let label = if determined == 0 {
            format!("n/a n={determined}")
        } else {
            format!("{p:.2} [{lo:.2}, {hi:.2}] n={determined}")
        };
        let shifted: Vec<String> = ensemble
            .shifted()
            .iter()
            .map(|t| format!("{} {}", t.outcome.name(), t.direction().unwrap_or("-")))
            .collect();
        let mut line = cell.values.clone();
        line.push(total.to_string());
        line.push(determined.to_string());
        line.push(label.clone());
        line.push(median.map_or("n/a".into(), |m| format!("{m:.1}")));
        line.push(if shifted.is_empty() {
            "none detected".into()
        } else {
            shifted.join(", ")
        });
        table.push(line);
        labels.push(label);
        grid_p.push(if p.is_finite() { p } else { 0.0 });
    }
    crate::record::write_whole(&args.out.join("stability.csv"), &csv)?;
    crate::record::write_whole(&args.out.join("branches.csv"), &branches_csv)?;
    // The map: x = first parameter, y = second (or a single row).
    let x = &args.params[0];
    let (y_label, y_values) = match args.params.get(1) {
        Some(y) => (y.key.clone(), y.values.clone()),
        None => (String::new(), vec![String::new()]),
    };
    let mut grid_values = vec![vec![0.0; x.values.len()]; y_values.len()];
    let mut grid_labels = vec![vec![String::new(); x.values.len()]; y_values.len()];
    for (((cell, _), p), label) in cells.iter().zip(grid_p).zip(labels) {
        let (i, j) = (cell.index / y_values.len(), cell.index % y_values.len());
        grid_values[j][i] = p;
        grid_labels[j][i] = label;
    }
    let title = format!(
        "{}: P(decorrelated) [95% Wilson], n determined, {b} seeds × {k} per cell",
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
        "stability: {b} baseline seeds × {k} perturbations per cell, {references} reference runs per \
         baseline; P(decorrelated) is over the determined branches (Wilson 95%); an outcome shift is a \
         sign-flip test over the cell's branches, Holm-corrected"
    );
    print!("{}", super::align(&table));
    println!(
        "wrote {0}/stability.csv, {0}/branches.csv, {0}/stability.png, {0}/stability.svg",
        args.out.display()
    );
    Ok(())
}
