//! `swarmlb sweep`: a parameter grid × seeds, one CSV row per run, and per cell the mean
//! of every metric with its 95% confidence interval. Runs go in parallel (rayon), each
//! writes its own row file, and the CSV is assembled in grid order, so the result is the
//! same whatever `--jobs`, after a resume, or when the runs were done on a cluster from
//! `--emit-jobs` and merged with `--collect`. The output directory's plan (see `plan.rs`)
//! makes sure a resume or a merge never mixes runs of two plans.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use clap::Args;
use rayon::prelude::*;
use swarmlb_model::{Policy, Scenario, Summary};

use super::grid::{self, Param};
use super::plan::{Plan, SweepLayout};
use super::stats::{self, MEAN_CI_COLUMNS};
use crate::Interrupted;
use crate::progress::{self, Progress};
use crate::scenario_args::ScenarioSpec;

/// Sweep a parameter grid over seeds.
#[derive(Args, Clone)]
#[command(
    after_help = "Examples:\n  swarmlb sweep default --param servers.capacity=40,50 --param servers.low_watermark=0.3,0.5 --seeds 4 --out sw\n  \
    swarmlb sweep default --param users.count=600,800 --seeds 8 --emit-jobs cluster/   # then sbatch cluster/sweep.sbatch\n  \
    swarmlb sweep --collect cluster/\n\n\
    Output: DIR/sweep.csv (one row per run), DIR/summary.csv (per cell and metric: n, mean, sd and a 95% \
    confidence interval), DIR/cells/ (one file per finished run), DIR/plan.json (what the results depend on).\n\n\
    The interval is Student's t interval of the mean over the seeds: repeated with fresh seeds, about 95% \
    of such intervals would contain the metric's true mean. It needs at least 2 seeds.\n\n\
    Rerunning into the same DIR resumes the same plan; a different plan (scenario, overrides, grid, seeds, \
    duration or binary) is refused unless --fresh."
)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioSpec,
    /// Who routes users: decentralized, round-robin, least-connections, power-of-two, random.
    #[arg(long)]
    pub policy: Option<Policy>,
    /// A swept scenario field and its values, like servers.capacity=5,10,20 (repeatable).
    #[arg(long = "param", value_name = "KEY=V1,V2,...")]
    pub params: Vec<Param>,
    /// Seeds 1..=N for every cell.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub seeds: u64,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long, conflicts_with_all = ["emit_jobs", "only"], value_parser = super::jobs_parser())]
    pub jobs: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "sweep-out", conflicts_with = "emit_jobs")]
    pub out: PathBuf,
    /// Delete the results of an earlier plan in the output directory before starting.
    #[arg(long, conflicts_with = "only")]
    pub fresh: bool,
    /// Instead of running, write DIR/jobs.txt (one command per run), a Slurm job-array
    /// script DIR/sweep.sbatch and the plan; outputs go to DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "only")]
    pub emit_jobs: Option<PathBuf>,
    /// Merge the run files in DIR (from --emit-jobs) into DIR/sweep.csv and DIR/summary.csv;
    /// refuses run files of another plan.
    #[arg(long, value_name = "DIR", conflicts_with_all = [
        "scenario", "duration", "overrides", "policy", "params", "seeds", "jobs", "out",
        "fresh", "emit_jobs", "only",
    ])]
    pub collect: Option<PathBuf>,
    /// Run only this cell and seed (`INDEX:SEED`); what each emitted job does.
    #[arg(long, value_name = "INDEX:SEED", hide = true)]
    pub only: Option<String>,
}

/// One per-run figure of a sweep: its CSV column and how it is read from a summary.
pub struct Metric {
    /// CSV column name (the unit is its suffix, if any).
    pub name: &'static str,
    /// Decimals written.
    pub digits: usize,
    /// Shown in the printed table.
    pub headline: bool,
    /// The value of one run.
    pub value: fn(&Summary) -> f64,
}

/// Every metric, in CSV column order (after the parameters and the seed).
pub const METRICS: [Metric; 17] = [
    Metric {
        name: "servers_end",
        digits: 0,
        headline: false,
        value: |s| f64::from(s.servers_end),
    },
    Metric {
        name: "servers_max",
        digits: 0,
        headline: false,
        value: |s| f64::from(s.servers_max),
    },
    Metric {
        name: "users_connected_mean",
        digits: 3,
        headline: false,
        value: |s| s.users_connected_mean,
    },
    Metric {
        name: "load_cov",
        digits: 4,
        headline: true,
        value: |s| s.load_cov,
    },
    Metric {
        name: "jain",
        digits: 4,
        headline: false,
        value: |s| s.jain,
    },
    Metric {
        name: "ttc_mean_ms",
        digits: 3,
        headline: true,
        value: |s| s.ttc_mean_us as f64 / 1e3,
    },
    Metric {
        name: "ttc_p99_ms",
        digits: 3,
        headline: false,
        value: |s| s.ttc_p99_us as f64 / 1e3,
    },
    Metric {
        name: "messages_per_connection",
        digits: 3,
        headline: true,
        value: |s| s.messages_per_connection(),
    },
    Metric {
        name: "messages_per_connection_without_heartbeats",
        digits: 3,
        headline: false,
        value: |s| s.messages_per_connection_without_heartbeats(),
    },
    Metric {
        name: "delegations",
        digits: 0,
        headline: false,
        value: |s| s.delegations as f64,
    },
    Metric {
        name: "migrations",
        digits: 0,
        headline: false,
        value: |s| s.migrations as f64,
    },
    Metric {
        name: "rejections",
        digits: 0,
        headline: false,
        value: |s| s.rejections as f64,
    },
    Metric {
        name: "gave_up",
        digits: 0,
        headline: true,
        value: |s| s.gave_up as f64,
    },
    Metric {
        name: "terminations",
        digits: 0,
        headline: false,
        value: |s| s.terminations as f64,
    },
    Metric {
        name: "scale_outs",
        digits: 0,
        headline: false,
        value: |s| s.scale_outs as f64,
    },
    Metric {
        name: "server_seconds",
        digits: 0,
        headline: true,
        value: |s| s.server_seconds as f64,
    },
    Metric {
        name: "events",
        digits: 0,
        headline: false,
        value: |s| s.events as f64,
    },
];

/// The per-run columns after the parameters: the seed, every metric, the state hash.
pub fn run_columns() -> Vec<&'static str> {
    let mut out = vec!["seed"];
    out.extend(METRICS.iter().map(|m| m.name));
    out.push("state_hash");
    out
}

/// One summary as CSV fields (fixed precision: rows compare byte for byte).
pub fn summary_fields(seed: u64, s: &Summary) -> Vec<String> {
    let mut out = vec![seed.to_string()];
    out.extend(
        METRICS
            .iter()
            .map(|m| format!("{:.*}", m.digits, (m.value)(s))),
    );
    out.push(format!("{:016x}", s.state_hash));
    out
}

fn run_file(cell: usize, seed: u64) -> String {
    format!("cells/{cell:05}-s{seed}.csv")
}

/// The first line of a run file: the plan it belongs to.
fn run_file_tag(fingerprint: &str) -> String {
    format!("# plan {fingerprint}\n")
}

/// The last line of a run file: the BLAKE3 digest of everything before it, so an edited
/// or cut run file is found instead of flowing into sweep.csv.
fn run_file_checksum(before: &str) -> String {
    format!("# blake3 {}\n", blake3::hash(before.as_bytes()).to_hex())
}

/// A run file's whole text: the plan tag, the row, the checksum.
fn run_file_text(fingerprint: &str, row: &str) -> String {
    let body = format!("{}{row}\n", run_file_tag(fingerprint));
    let checksum = run_file_checksum(&body);
    body + &checksum
}

/// The row of a finished run of `plan`, `None` if the file is missing or damaged (a
/// checksum that does not match, a cut file: it is run again, with a warning); an error
/// if it belongs to another plan.
fn read_run(dir: &Path, file: &str, plan: &Plan) -> anyhow::Result<Option<String>> {
    let bytes = match std::fs::read(dir.join(file)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {file}")),
    };
    let damaged = |why: &str| {
        eprintln!(
            "sweep: warning: {}/{file} is damaged ({why}); it counts as not run and is run again",
            dir.display()
        );
        Ok(None)
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return damaged("not UTF-8");
    };
    // Another plan's file is whole: a tag line of the same shape with another fingerprint.
    let other_plan = text
        .strip_prefix("# plan ")
        .and_then(|t| t.split_once('\n'))
        .is_some_and(|(fp, _)| fp != plan.fingerprint && fp.len() == plan.fingerprint.len());
    let body_end = text.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
    let (body, checksum) = text.split_at(body_end);
    if !other_plan && checksum != run_file_checksum(body) {
        return damaged("its checksum does not match its content");
    }
    match body.strip_prefix(&run_file_tag(&plan.fingerprint)) {
        Some(row) => Ok(Some(row.to_string())),
        None if !other_plan => damaged("no plan line"),
        None => bail!(
            "{}/{file} was written by another plan than {}/plan.json (made by: {}); \
             rerun its job with this plan, or start again with --fresh",
            dir.display(),
            dir.display(),
            plan.command
        ),
    }
}

/// Run one (cell, seed) and write its run file atomically.
fn run_one(
    cell: &grid::Cell,
    scenario: &Scenario,
    seed: u64,
    dir: &Path,
    plan: &Plan,
) -> anyhow::Result<()> {
    let summary = super::run_to_summary(scenario.clone(), seed).ok_or(Interrupted)?;
    let mut fields = cell.values.clone();
    fields.extend(summary_fields(seed, &summary));
    let text = run_file_text(&plan.fingerprint, &fields.join(","));
    let path = dir.join(run_file(cell.index, seed));
    crate::record::write_whole(&path, text)
}

/// The plan: what the results depend on, the CSV header and the run files in order.
fn plan(args: &SweepArgs, cells: &[(grid::Cell, Scenario)]) -> Plan {
    let scenarios: Vec<&Scenario> = cells.iter().map(|(_, s)| s).collect();
    let mut parts = super::scenario_parts(&args.scenario, args.policy, &scenarios);
    parts.push(("grid", grid::describe(&args.params)));
    parts.push(("seeds", format!("1..={}", args.seeds)));
    let mut plan = Plan::new("sweep", parts);
    let mut header: Vec<&str> = args.params.iter().map(|p| p.key.as_str()).collect();
    header.extend(run_columns());
    plan.sweep = Some(SweepLayout {
        header: header.join(","),
        runs: cells
            .iter()
            .flat_map(|(c, _)| (1..=args.seeds).map(move |s| run_file(c.index, s)))
            .collect(),
    });
    plan
}

/// Files and folders a sweep writes in its directory (what `--fresh` deletes).
const OUTPUTS: [&str; 6] = [
    "cells",
    "sweep.csv",
    "summary.csv",
    "jobs.txt",
    "sweep.sbatch",
    "plan.txt",
];

/// Assemble DIR/sweep.csv and DIR/summary.csv from the plan and the run files; fails
/// listing missing runs, and on a run file of another plan.
fn assemble(dir: &Path) -> anyhow::Result<(PathBuf, usize, String)> {
    let plan = Plan::read(dir)?;
    let layout = plan
        .sweep
        .as_ref()
        .with_context(|| format!("{}/plan.json is not a sweep's plan", dir.display()))?;
    let mut csv = format!("{}\n", layout.header);
    let mut missing = Vec::new();
    let mut rows = 0;
    for file in &layout.runs {
        match read_run(dir, file, &plan)? {
            Some(row) => {
                csv.push_str(&row);
                rows += 1;
            }
            None => missing.push(file.as_str()),
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
    crate::record::write_whole(&path, &csv)?;
    let (summary, table) = summarize(&csv)?;
    crate::record::write_whole(&dir.join("summary.csv"), summary)?;
    Ok((path, rows, table))
}

/// Per cell (the columns before `seed`) and metric: n, mean, sd and the 95% t interval,
/// as CSV, and the printed table of the headline metrics.
pub fn summarize(sweep_csv: &str) -> anyhow::Result<(String, String)> {
    let mut lines = sweep_csv.lines();
    let header: Vec<&str> = lines
        .next()
        .context("empty sweep CSV")?
        .split(',')
        .collect();
    let n_params = header
        .iter()
        .position(|h| *h == "seed")
        .context("not a sweep CSV: no `seed` column")?;
    // Cells in first-seen order (the plan's order), each with its rows.
    let mut cells: Vec<(Vec<&str>, Vec<Vec<&str>>)> = Vec::new();
    let mut index: std::collections::BTreeMap<Vec<&str>, usize> = Default::default();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        anyhow::ensure!(
            fields.len() == header.len(),
            "a row has {} fields, the header {}",
            fields.len(),
            header.len()
        );
        let key = fields[..n_params].to_vec();
        match index.get(&key) {
            Some(&i) => cells[i].1.push(fields),
            None => {
                index.insert(key.clone(), cells.len());
                cells.push((key, vec![fields]));
            }
        }
    }
    let params = &header[..n_params];
    let mut csv = params.iter().map(|p| format!("{p},")).collect::<String>();
    csv.push_str(&format!("metric,{MEAN_CI_COLUMNS}\n"));
    let headline: Vec<&Metric> = METRICS.iter().filter(|m| m.headline).collect();
    let mut table: Vec<Vec<String>> = vec![
        params
            .iter()
            .map(|p| p.to_string())
            .chain(["n".to_string()])
            .chain(headline.iter().map(|m| m.name.to_string()))
            .collect(),
    ];
    for (key, rows) in &cells {
        let mut line: Vec<String> = key.iter().map(|v| v.to_string()).collect();
        line.push(rows.len().to_string());
        for m in &METRICS {
            let col = header
                .iter()
                .position(|h| *h == m.name)
                .with_context(|| format!("no `{}` column", m.name))?;
            let values: Vec<f64> = rows
                .iter()
                .map(|r| r[col].parse::<f64>())
                .collect::<Result<_, _>>()
                .with_context(|| format!("not a number in column {}", m.name))?;
            let s = stats::mean_ci(&values);
            let prefix: String = key.iter().map(|v| format!("{v},")).collect();
            csv.push_str(&format!("{prefix}{},{}\n", m.name, s.csv(m.digits + 2)));
            if m.headline {
                line.push(s.text(m.digits.max(1)));
            }
        }
        table.push(line);
    }
    Ok((csv, super::align(&table)))
}

/// Reserved scenario fields: a sweep sets the seed itself.
const RESERVED: crate::scenario_args::Reserved<'static> =
    &[("seed", "the seeds are 1..=N from --seeds")];

/// `swarmlb sweep`.
pub fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.collect {
        let (path, rows, table) = assemble(dir)?;
        print!("{table}");
        println!(
            "collected {rows} runs into {} and {}",
            path.display(),
            dir.join("summary.csv").display()
        );
        return Ok(());
    }
    crate::scenario_args::check_fields(
        "sweep",
        &args.scenario,
        args.policy.is_some(),
        &args.params,
        RESERVED,
    );
    let cells = grid::resolve(&args.scenario, &args.params, args.policy)?;
    let policies: Vec<_> = cells.iter().map(|(_, s)| s.policy).collect();
    crate::scenario_args::check_policy_reads("sweep", &args.scenario, &args.params, &policies);
    let dir = args.emit_jobs.clone().unwrap_or_else(|| args.out.clone());
    let plan = plan(&args, &cells);
    if let Some(only) = &args.only {
        let (cell, seed) = only.split_once(':').context("--only takes INDEX:SEED")?;
        let (cell, seed): (usize, u64) = (cell.parse()?, seed.parse()?);
        anyhow::ensure!(
            (1..=args.seeds).contains(&seed),
            "no seed {seed} in this sweep"
        );
        let (c, scenario) = cells
            .iter()
            .find(|(c, _)| c.index == cell)
            .context("no such cell in this sweep")?;
        // A job writes into a directory claimed by its own plan only.
        let stored = Plan::read(&dir)?;
        anyhow::ensure!(
            stored.fingerprint == plan.fingerprint,
            "{}/plan.json is not this job's plan, so the job does not write there \
             (the plan was replaced, or the executable changed); made by:\n    {}\n  \
             it differs in:\n    {}",
            dir.display(),
            stored.command,
            plan.differences(&stored).join("\n    ")
        );
        progress::install_ctrl_c();
        return run_one(c, scenario, seed, &dir, &plan);
    }
    plan.claim(&dir, args.fresh, &OUTPUTS)?;
    std::fs::create_dir_all(dir.join("cells"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    if args.emit_jobs.is_some() {
        return emit_jobs(&args, &dir, &cells);
    }
    progress::install_ctrl_c();
    let mut todo = Vec::new();
    for (cell, scenario) in &cells {
        for seed in 1..=args.seeds {
            if read_run(&dir, &run_file(cell.index, seed), &plan)?.is_none() {
                todo.push((cell, scenario, seed));
            }
        }
    }
    let total = cells.len() as u64 * args.seeds;
    println!(
        "sweep: {total} runs ({} cells × {} seeds), {} already done",
        cells.len(),
        args.seeds,
        total - todo.len() as u64
    );
    let pool = super::pool(args.jobs)?;
    let done = AtomicUsize::new(0);
    let bar = std::sync::Mutex::new(Progress::new(todo.len() as u64, "sweeping").with_unit("runs"));
    let results: Vec<anyhow::Result<()>> = pool.install(|| {
        todo.par_iter()
            .map(|(cell, scenario, seed)| {
                if progress::stopped() {
                    return Err(Interrupted.into());
                }
                let r = run_one(cell, scenario, *seed, &dir, &plan);
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
    let (path, rows, table) = assemble(&dir)?;
    println!("per cell: mean [95% confidence interval of the mean over seeds]");
    print!("{table}");
    println!(
        "wrote {} ({rows} rows) and {}",
        path.display(),
        dir.join("summary.csv").display()
    );
    Ok(())
}

fn emit_jobs(args: &SweepArgs, dir: &Path, cells: &[(grid::Cell, Scenario)]) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find the swarmlb executable")?;
    let cwd = std::env::current_dir()?;
    let dir_abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        cwd.join(dir)
    };
    let mut base = vec!["sweep".to_string()];
    base.extend(args.scenario.to_args());
    if let Some(p) = args.policy {
        base.extend(["--policy".to_string(), p.name().to_string()]);
    }
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
    let mut n = 0;
    for (cell, _) in cells {
        for seed in 1..=args.seeds {
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
            n += 1;
        }
    }
    crate::record::write_whole(&dir.join("jobs.txt"), jobs)?;
    let script = format!(
        "#!/bin/bash\n# One swarmlb run per array task; outputs land in {dir}/cells.\n\
         #SBATCH --job-name=swarmlb-sweep\n#SBATCH --array=1-{n}\n#SBATCH --output={dir}/slurm-%A_%a.out\n\
         set -euo pipefail\nline=$(sed -n \"${{SLURM_ARRAY_TASK_ID}}p\" {dir}/jobs.txt)\nexec bash -c \"$line\"\n",
        dir = dir_abs.display(),
    );
    crate::record::write_whole(&dir.join("sweep.sbatch"), script)?;
    println!(
        "wrote {n} jobs to {}/jobs.txt, a Slurm job array to {}/sweep.sbatch and the plan to {}/plan.json",
        dir.display(),
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
