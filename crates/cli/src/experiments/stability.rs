//! `swarmlb stability`: for each cell of a two-parameter grid, K butterfly runs at seeded
//! random times against one baseline; how often one disconnected user cascades, how far,
//! and how long a dissipating perturbation takes to heal. A heatmap shows the map.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use rayon::prelude::*;
use swarmlb_engine::{KeyedDraw, SimTime};
use swarmlb_model::scenario::Dur;
use swarmlb_trace::TraceReader;
use swarmlb_trace::diff::{self, Verdict};

use super::chart;
use super::grid::{self, Param};
use crate::progress::{self, Progress};
use crate::scenario_args::ScenarioArgs;

/// Map where one disconnected user is enough to shake the system.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/stability.csv, DIR/stability.png and DIR/stability.svg.\n\n\
    Example:\n  swarmlb stability seed-classic --param servers.capacity=8,10,12 --param users.count=10,20 --perturbations 8 --out st"
)]
pub struct StabilityArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The x parameter, then the y parameter (like servers.capacity=5,10,20).
    #[arg(long = "param", value_name = "KEY=V1,V2,...", required = true)]
    params: Vec<Param>,
    /// Butterfly runs per cell, at times drawn uniformly from 10% to 60% of the run.
    #[arg(long, default_value_t = 8)]
    perturbations: u32,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "stability-out")]
    out: PathBuf,
}

/// The outcome of one cell.
#[derive(Clone, Debug, Default)]
struct CellResult {
    dissipated: u32,
    contained: u32,
    cascaded: u32,
    diverged: u32,
    undetermined: u32,
    no_op: u32,
    cascade_sizes: Vec<u64>,
    dissipate_times_s: Vec<f64>,
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

pub fn stability(args: StabilityArgs) -> anyhow::Result<()> {
    if args.params.is_empty() || args.params.len() > 2 {
        bail!("stability takes one or two --param (x, then y)");
    }
    anyhow::ensure!(
        args.perturbations >= 1,
        "--perturbations must be at least 1"
    );
    grid::validate(&args.scenario, &args.params)?;
    progress::install_ctrl_c();
    let cells = grid::cells(&args.params);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let total = cells.len() as u64 * u64::from(args.perturbations + 1);
    let bar = std::sync::Mutex::new(Progress::new(total, "stability").with_unit("runs"));
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        bar.lock().expect("not poisoned").set(n);
    };
    // Baselines first (one per cell), then every perturbation, all in parallel.
    let baselines: Vec<anyhow::Result<(swarmlb_model::Scenario, u64, Vec<u8>)>> =
        pool.install(|| {
            cells
                .par_iter()
                .map(|cell| {
                    let (scenario, seed) =
                        args.scenario.with_overrides(&cell.overrides).resolve()?;
                    let bytes = swarmlb_trace::write::record_to_vec(&scenario, seed, 1 << 20)?;
                    tick();
                    Ok((scenario, seed, bytes))
                })
                .collect()
        });
    let baselines: Vec<_> = baselines.into_iter().collect::<anyhow::Result<_>>()?;
    let runs: Vec<(usize, u32)> = (0..cells.len())
        .flat_map(|c| (0..args.perturbations).map(move |k| (c, k)))
        .collect();
    let outcomes: Vec<anyhow::Result<(usize, diff::Report, SimTime)>> = pool.install(|| {
        runs.par_iter()
            .map(|&(c, k)| {
                if progress::stopped() {
                    return Err(crate::Interrupted.into());
                }
                let (scenario, seed, base) = &baselines[c];
                // The perturbation time: drawn from the cell and the run number only.
                let span = scenario.duration.us();
                let at =
                    span / 10 + KeyedDraw::new(*seed, &[c as u64, u64::from(k)]).below(span / 2);
                let perturbed = scenario.perturbed_at(Dur(at), None);
                let bytes = swarmlb_trace::write::record_to_vec(&perturbed, *seed, 1 << 20)?;
                let report = diff::diff(
                    || {
                        Ok((
                            TraceReader::new(&base[..], "baseline")?,
                            TraceReader::new(&bytes[..], "perturbed")?,
                        ))
                    },
                    None,
                )?;
                tick();
                Ok((c, report, SimTime(at)))
            })
            .collect()
    });
    bar.into_inner().expect("not poisoned").finish();
    let mut results = vec![CellResult::default(); cells.len()];
    for outcome in outcomes {
        let (c, report, at) = outcome?;
        let r = &mut results[c];
        match report.verdict {
            // Nothing was perturbed: not a sample of the system's stability.
            Verdict::NoOp => {
                r.no_op += 1;
                continue;
            }
            Verdict::Undetermined => r.undetermined += 1,
            Verdict::Dissipated | Verdict::Identical | Verdict::NoEffect => {
                r.dissipated += 1;
                let healed = report.reconverged_at.unwrap_or(at);
                r.dissipate_times_s.push(healed.since(at) as f64 / 1e6);
            }
            Verdict::Contained => r.contained += 1,
            Verdict::Diverged => r.diverged += 1,
            Verdict::Cascaded => r.cascaded += 1,
        }
        r.cascade_sizes.push(report.cascade_size);
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let keys: Vec<&str> = args.params.iter().map(|p| p.key.as_str()).collect();
    let mut csv = format!(
        "{},runs,cascade_probability,mean_cascade_size,mean_time_to_dissipate_s,dissipated,contained,cascaded,diverged,undetermined,no_op\n",
        keys.join(",")
    );
    for (cell, r) in cells.iter().zip(&results) {
        let n = f64::from(args.perturbations - r.no_op).max(1.0);
        let sizes: Vec<f64> = r.cascade_sizes.iter().map(|&s| s as f64).collect();
        csv.push_str(&format!(
            "{},{},{:.4},{:.2},{},{},{},{},{},{},{}\n",
            cell.values.join(","),
            args.perturbations,
            f64::from(r.cascaded) / n,
            mean(&sizes).unwrap_or(0.0),
            mean(&r.dissipate_times_s).map_or("n/a".into(), |t| format!("{t:.2}")),
            r.dissipated,
            r.contained,
            r.cascaded,
            r.diverged,
            r.undetermined,
            r.no_op
        ));
    }
    std::fs::write(args.out.join("stability.csv"), &csv)?;
    // The map: x = first parameter, y = second (or a single row).
    let x = &args.params[0];
    let (y_label, y_values) = match args.params.get(1) {
        Some(y) => (y.key.clone(), y.values.clone()),
        None => (String::new(), vec![String::new()]),
    };
    let mut grid_values = vec![vec![0.0; x.values.len()]; y_values.len()];
    for (cell, r) in cells.iter().zip(&results) {
        let (i, j) = (cell.index / y_values.len(), cell.index % y_values.len());
        grid_values[j][i] =
            f64::from(r.cascaded) / f64::from(args.perturbations - r.no_op).max(1.0);
    }
    let (sc, _) = args.scenario.resolve()?;
    let title = format!(
        "{}: cascade probability of one disconnected user ({} runs per cell)",
        sc.name, args.perturbations
    );
    for ext in ["png", "svg"] {
        chart::heatmap(
            &args.out.join(format!("stability.{ext}")),
            &title,
            &x.key,
            &x.values,
            &y_label,
            &y_values,
            &grid_values,
        )?;
    }
    print!("{csv}");
    println!(
        "wrote {0}/stability.csv, {0}/stability.png, {0}/stability.svg",
        args.out.display()
    );
    Ok(())
}
