//! `swarmlb sweep`: a parameter grid × seeds, one CSV row per run. Runs go in parallel
//! (rayon), each writes its own row file, and the CSV is assembled in grid order, so the
//! result is the same whatever `--jobs`, after a resume, or when the runs were done on a
//! cluster from `--emit-jobs` and merged with `--collect`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use clap::Args;
use rayon::prelude::*;
use swarmlb_model::Summary;

use super::grid::{self, Param};
use crate::Interrupted;
use crate::progress::{self, Progress};
use crate::scenario_args::ScenarioArgs;

/// Sweep a parameter grid over seeds.
#[derive(Args, Clone)]
#[command(
    after_help = "Examples:\n  swarmlb sweep default --param servers.capacity=40,50 --param servers.low_watermark=0.3,0.5 --seeds 4 --out sw\n  \
    swarmlb sweep default --param users.count=600,800 --seeds 8 --emit-jobs cluster/   # then sbatch cluster/sweep.sbatch\n  \
    swarmlb sweep --collect cluster/\n\nOutput: DIR/sweep.csv (one row per run), DIR/cells/ (one file per finished run; a rerun skips them)."
)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A swept scenario field and its values, like servers.capacity=5,10,20 (repeatable).
    #[arg(long = "param", value_name = "KEY=V1,V2,...")]
    pub params: Vec<Param>,
    /// Seeds 1..=N for every cell.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "sweep-out")]
    pub out: PathBuf,
    /// Instead of running, write DIR/jobs.txt (one command per run) and a Slurm job-array
    /// script DIR/sweep.sbatch; outputs go to DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "collect")]
    pub emit_jobs: Option<PathBuf>,
    /// Merge the run files in DIR (from --emit-jobs) into DIR/sweep.csv.
    #[arg(long, value_name = "DIR")]
    pub collect: Option<PathBuf>,
    /// Run only this cell and seed (`INDEX:SEED`); what each emitted job does.
    #[arg(long, value_name = "INDEX:SEED", hide = true)]
    pub only: Option<String>,
}

/// CSV columns after the parameters.
const COLUMNS: &str = "seed,servers_end,servers_max,users_connected_mean,load_cov,jain,ttc_mean_ms,ttc_p99_ms,messages_per_connection,migrations,rejections,gave_up,terminations,scale_outs,server_seconds,events,state_hash";

/// One summary as a CSV row (fixed precision: rows compare byte for byte).
pub fn summary_row(seed: u64, s: &Summary) -> String {
    format!(
        "{seed},{},{},{:.3},{:.4},{:.4},{:.3},{:.3},{:.3},{},{},{},{},{},{},{},{:016x}",
        s.servers_end,
        s.servers_max,
        s.users_connected_mean,
        s.load_cov,
        s.jain,
        s.ttc_mean_us as f64 / 1e3,
        s.ttc_p99_us as f64 / 1e3,
        s.messages_per_connection(),
        s.migrations,
        s.rejections,
        s.gave_up,
        s.terminations,
        s.scale_outs,
        s.server_seconds,
        s.events,
        s.state_hash
    )
}

fn run_file(dir: &Path, cell: usize, seed: u64) -> PathBuf {
    dir.join("cells").join(format!("{cell:05}-s{seed}.csv"))
}

/// Run one (cell, seed) and write its row file atomically.
fn run_one(args: &SweepArgs, cell: &grid::Cell, seed: u64, dir: &Path) -> anyhow::Result<()> {
    let (scenario, _) = args.scenario.with_overrides(&cell.overrides).resolve()?;
    let summary = super::run_to_summary(scenario, seed).ok_or(Interrupted)?;
    let row = format!(
        "{},{}\n",
        cell.values.join(","),
        summary_row(seed, &summary)
    );
    let path = run_file(dir, cell.index, seed);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, row).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The header and the ordered list of runs, saved as DIR/plan.txt.
fn plan(args: &SweepArgs) -> (String, Vec<(grid::Cell, u64)>) {
    let keys: Vec<&str> = args.params.iter().map(|p| p.key.as_str()).collect();
    let header = if keys.is_empty() {
        COLUMNS.to_string()
    } else {
        format!("{},{COLUMNS}", keys.join(","))
    };
    let runs = grid::cells(&args.params)
        .into_iter()
        .flat_map(|c| (1..=args.seeds).map(move |s| (c.clone(), s)))
        .collect();
    (header, runs)
}

fn write_plan(dir: &Path, header: &str, runs: &[(grid::Cell, u64)]) -> anyhow::Result<()> {
    let mut text = format!("{header}\n");
    for (cell, seed) in runs {
        text.push_str(&format!(
            "{}\n",
            run_file(Path::new(""), cell.index, *seed).display()
        ));
    }
    std::fs::write(dir.join("plan.txt"), text).context("cannot write plan.txt")
}

/// Assemble DIR/sweep.csv from the plan and the run files; fails listing missing runs.
fn assemble(dir: &Path) -> anyhow::Result<(PathBuf, usize)> {
    let plan = std::fs::read_to_string(dir.join("plan.txt"))
        .with_context(|| format!("no sweep plan in {}", dir.display()))?;
    let mut lines = plan.lines();
    let header = lines.next().context("empty plan")?;
    let mut csv = format!("{header}\n");
    let mut missing = Vec::new();
    let mut rows = 0;
    for file in lines {
        match std::fs::read_to_string(dir.join(file)) {
            Ok(row) => {
                csv.push_str(&row);
                rows += 1;
            }
            Err(_) => missing.push(file.to_string()),
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} of {} runs have no output yet (first: {})",
            missing.len(),
            missing.len() + rows,
            missing[0]
        );
    }
    let path = dir.join("sweep.csv");
    std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?;
    Ok((path, rows))
}

pub fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.collect {
        let (path, rows) = assemble(dir)?;
        println!("collected {rows} runs into {}", path.display());
        return Ok(());
    }
    anyhow::ensure!(args.seeds >= 1, "--seeds must be at least 1");
    grid::validate(&args.scenario, &args.params)?;
    let dir = args.emit_jobs.clone().unwrap_or_else(|| args.out.clone());
    std::fs::create_dir_all(dir.join("cells"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let (header, runs) = plan(&args);
    if let Some(only) = &args.only {
        let (cell, seed) = only.split_once(':').context("--only takes INDEX:SEED")?;
        let (cell, seed): (usize, u64) = (cell.parse()?, seed.parse()?);
        let (c, _) = runs
            .iter()
            .find(|(c, s)| c.index == cell && *s == seed)
            .context("no such cell and seed in this sweep")?;
        progress::install_ctrl_c();
        return run_one(&args, c, seed, &dir);
    }
    write_plan(&dir, &header, &runs)?;
    if args.emit_jobs.is_some() {
        return emit_jobs(&args, &dir, &runs);
    }
    progress::install_ctrl_c();
    let todo: Vec<&(grid::Cell, u64)> = runs
        .iter()
        .filter(|(c, s)| !run_file(&dir, c.index, *s).exists())
        .collect();
    println!(
        "sweep: {} runs ({} cells × {} seeds), {} already done",
        runs.len(),
        runs.len() as u64 / args.seeds,
        args.seeds,
        runs.len() - todo.len()
    );
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let done = AtomicUsize::new(0);
    let bar = std::sync::Mutex::new(Progress::new(todo.len() as u64, "sweeping").with_unit("runs"));
    let results: Vec<anyhow::Result<()>> = pool.install(|| {
        todo.par_iter()
            .map(|(cell, seed)| {
                if progress::stopped() {
                    return Err(Interrupted.into());
                }
                let r = run_one(&args, cell, *seed, &dir);
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                bar.lock().expect("not poisoned").set(n as u64);
                r
            })
            .collect()
    });
    bar.into_inner().expect("not poisoned").finish();
    if let Some(e) = results.into_iter().find_map(Result::err) {
        return Err(e);
    }
    let (path, rows) = assemble(&dir)?;
    println!("wrote {} ({rows} rows)", path.display());
    Ok(())
}

fn emit_jobs(args: &SweepArgs, dir: &Path, runs: &[(grid::Cell, u64)]) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find the swarmlb executable")?;
    let cwd = std::env::current_dir()?;
    let dir_abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        cwd.join(dir)
    };
    let mut base = vec!["sweep".to_string()];
    base.extend(args.scenario.to_args());
    for p in &args.params {
        base.extend([
            "--param".to_string(),
            format!("{}={}", p.key, p.values.join(",")),
        ]);
    }
    base.extend([
        "--seeds".to_string(),
        args.seeds.to_string(),
        "--out".to_string(),
        dir_abs.display().to_string(),
    ]);
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut jobs = String::new();
    for (cell, seed) in runs {
        let mut line = format!(
            "cd {} && {}",
            quote(&cwd.display().to_string()),
            quote(&exe.display().to_string())
        );
        for a in &base {
            line.push(' ');
            line.push_str(&quote(a));
        }
        line.push_str(&format!(" --only {}:{seed}\n", cell.index));
        jobs.push_str(&line);
    }
    std::fs::write(dir.join("jobs.txt"), jobs).context("cannot write jobs.txt")?;
    let script = format!(
        "#!/bin/bash\n# One swarmlb run per array task; outputs land in {dir}/cells.\n\
         #SBATCH --job-name=swarmlb-sweep\n#SBATCH --array=1-{n}\n#SBATCH --output={dir}/slurm-%A_%a.out\n\
         set -euo pipefail\nline=$(sed -n \"${{SLURM_ARRAY_TASK_ID}}p\" {dir}/jobs.txt)\nexec bash -c \"$line\"\n",
        dir = dir_abs.display(),
        n = runs.len()
    );
    std::fs::write(dir.join("sweep.sbatch"), script).context("cannot write sweep.sbatch")?;
    println!(
        "wrote {} jobs to {}/jobs.txt and a Slurm job array to {}/sweep.sbatch",
        runs.len(),
        dir.display(),
        dir.display()
    );
    println!(
        "run them with: sbatch --wait {}/sweep.sbatch   then: swarmlb sweep --collect {}",
        dir.display(),
        dir.display()
    );
    Ok(())
}
