//! `swarmlb diff`, `swarmlb butterfly` and `swarmlb why`: does one disconnected user
//! change the system, how far, against what null, and along which messages did it travel?
//! The experiments themselves are `swarmlb_experiment`'s; this module parses and prints.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use clap::Args;
use clap::builder::TypedValueParser as _;
use swarmlb_engine::SimTime;
use swarmlb_experiment::ensemble::{self, Ensemble, EnsembleSpec};
use swarmlb_experiment::pair::{self, PairSpec, REFERENCES_DEFAULT, REFERENCES_MAX};
use swarmlb_experiment::{Hooks, Perturb};
use swarmlb_model::scenario::Dur;
use swarmlb_trace::diff::{Outcome, Report, Verdict};
use swarmlb_trace::interval::{MeanCi, wilson};

use crate::Interrupted;
use crate::progress::{self, Progress};
use crate::record::{self, Outputs};
use crate::scenario_args::ScenarioArgs;

/// The null model's options, shared by `diff` and `butterfly`.
#[derive(Args, Clone, Copy)]
pub struct NullArgs {
    /// Reference runs of the same scenario with other seeds, for the null model (how far
    /// independent runs are from the baseline). 0 = none.
    #[arg(long, value_name = "J", default_value_t = REFERENCES_DEFAULT,
          value_parser = clap::value_parser!(u16).range(0..=REFERENCES_MAX as i64).map(usize::from))]
    references: usize,
    /// No reference runs: no null model, and no verdict above `contained`.
    #[arg(long, conflicts_with = "references")]
    no_reference: bool,
    /// Parallel runs (default: the number of cores). Results do not depend on it.
    #[arg(long, value_parser = crate::experiments::jobs_parser())]
    jobs: Option<usize>,
}

impl NullArgs {
    /// Reference runs per baseline (0 with `--no-reference`).
    pub fn references(&self) -> usize {
        if self.no_reference {
            0
        } else {
            self.references
        }
    }

    /// `--jobs`.
    pub fn jobs(&self) -> Option<usize> {
        self.jobs
    }
}

/// Compare two traces of one scenario: first divergence, divergence per sample, verdict.
#[derive(Args)]
#[command(
    after_help = "The null model: J runs of the baseline's scenario with other seeds (derived from the \
    baseline's seed, see ARCHITECTURE.md) are compared with the baseline the same way; phi = the pair's \
    distance / the independent runs' mean distance. decorrelated = phi over the final window inside \
    their band.\n\nExample:\n  swarmlb diff bf/baseline.swlb bf/perturbed.swlb --csv divergence.csv"
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
    #[command(flatten)]
    null: NullArgs,
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

/// A progress bar of `total` runs and the hooks that advance it and stop on Ctrl-C.
struct Bar {
    bar: Mutex<Progress>,
    done: AtomicU64,
}

impl Bar {
    fn new(total: u64, what: &str) -> Bar {
        progress::install_ctrl_c();
        Bar {
            bar: Mutex::new(Progress::new(total, what).with_unit("runs")),
            done: AtomicU64::new(0),
        }
    }

    fn tick(&self) {
        let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        self.bar.lock().expect("not poisoned").set(n);
    }

    fn finish(self) {
        self.bar.into_inner().expect("not poisoned").finish();
    }
}

/// Run `f` with hooks that tick `bar` and stop on Ctrl-C, on `jobs` threads; an
/// interruption becomes [`Interrupted`].
fn with_hooks<T: Send>(
    bar: &Bar,
    jobs: Option<usize>,
    f: impl FnOnce(Hooks) -> Result<T, swarmlb_experiment::ExperimentError> + Send,
) -> anyhow::Result<T> {
    let stop = progress::stopped;
    let tick = || bar.tick();
    let hooks = Hooks {
        stop: &stop,
        tick: &tick,
    };
    let pool = crate::experiments::pool(jobs)?;
    match pool.install(|| f(hooks)) {
        Ok(t) => Ok(t),
        Err(swarmlb_experiment::ExperimentError::Interrupted) => Err(Interrupted.into()),
        Err(e) => Err(e.into()),
    }
}

/// Judge a report whose baseline is the file `a` against a null of the baseline's own
/// scenario, with a progress bar.
fn judge_files(a: &Path, report: Report, null: NullArgs) -> anyhow::Result<Report> {
    let j = null.references();
    if j == 0 {
        return Ok(report);
    }
    let baseline = std::fs::read(a).with_context(|| format!("cannot read {}", a.display()))?;
    let bar = Bar::new(j as u64, "null model");
    let judged = with_hooks(&bar, null.jobs, |hooks| {
        pair::judge_trace(&baseline, report, j, hooks)
    });
    bar.finish();
    judged
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
    let report = judge_files(&args.a, report, args.null)?;
    println!("diff: {} vs {}", args.a.display(), args.b.display());
    print!("{report}");
    if let Some(path) = &args.csv {
        write_csv(path, &report)?;
        println!("divergence per sample: {}", path.display());
    }
    Ok(())
}

/// The mechanisms `--without` switches off.
#[derive(Clone, Debug)]
pub struct Switches(Vec<swarmlb_model::scenario::Switch>);

fn parse_switches(text: &str) -> Result<Switches, String> {
    swarmlb_model::scenario::Switch::parse_list(text)
        .map(Switches)
        .map_err(|e| e.to_string())
}

/// Perturbation times of a scan: FROM..TO/STEP.
#[derive(Clone, Debug)]
pub struct Scan {
    times: Vec<SimTime>,
}

/// At most this many times in one scan.
const SCAN_TIMES_MAX: usize = 200;

fn parse_scan(text: &str) -> Result<Scan, String> {
    let err = || format!("{text:?} is not FROM..TO/STEP (like 1m..10m/1m)");
    let (range, step) = text.split_once('/').ok_or_else(err)?;
    let (from, to) = range.split_once("..").ok_or_else(err)?;
    let (from, to, step) = (parse_time(from)?, parse_time(to)?, parse_time(step)?);
    if step.0 == 0 || to < from {
        return Err(format!(
            "{text}: STEP must be positive and TO not before FROM"
        ));
    }
    let n = (to.0 - from.0) / step.0 + 1;
    if n as usize > SCAN_TIMES_MAX {
        return Err(format!("{text} makes {n} times; at most {SCAN_TIMES_MAX}"));
    }
    Ok(Scan {
        times: (0..n).map(|i| SimTime(from.0 + i * step.0)).collect(),
    })
}

/// Run a baseline and a branch where one user is disconnected at TIME; diff them.
#[derive(Args)]
#[command(
    after_help = "Writes DIR/baseline.swlb, DIR/perturbed.swlb and DIR/divergence.csv.\n\
    Each pair is judged against a null model: J runs of other seeds compared with the baseline \
    (--references, default 5). Verdicts describe the trajectory (no effect, dissipated, contained, \
    decorrelated); no single pair says whether anything got worse.\n\
    With --repeat K, runs K pairs in memory (seeds N, N+1, ..., N+K-1) and writes no traces: \
    verdict counts, P(decorrelated) over the determined pairs (Wilson 95%), and per outcome the mean \
    branch - baseline delta (t 95%), a paired sign-flip test Holm-corrected across outcomes, the \
    smallest shift it could detect, and the memory ratio. Only a shift that test detects is called \
    worse or better.\n\
    --perturb crash-server[:N] (a positive control: N running servers crash) and --perturb independent \
    (a negative control: the branch is another seed) show what the test can and cannot see.\n\
    --scan FROM..TO/STEP (with --repeat) perturbs the same baselines at every time: when is the \
    system fragile?\n\n\
    Exit code 1 when nothing was perturbed (no user connected at TIME, or --user not connected).\n\n\
    Examples:\n  swarmlb butterfly --at 10m\n  swarmlb butterfly seed-classic --seed 2 --at 5m --user 3 --out bf/\n  \
    swarmlb butterfly default --at 10m --seed 1 --repeat 30\n  \
    swarmlb butterfly default --duration 20m --at 10m --repeat 30 --perturb crash-server:2\n  \
    swarmlb butterfly seed-classic --duration 10m --scan 1m..8m/1m --repeat 20 --csv scan.csv --plot scan.png"
)]
pub struct ButterflyArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// When the user is disconnected (like 90s or 10m); not with --scan.
    #[arg(long, value_parser = parse_time, required_unless_present = "scan", conflicts_with = "scan")]
    at: Option<SimTime>,
    /// Which user slot; by default one connected user drawn from the perturbation's own stream.
    #[arg(long)]
    user: Option<u32>,
    /// What the branch changes: disconnect-user (the butterfly), crash-server:N (positive
    /// control), independent (negative control: another seed, nothing perturbed).
    #[arg(long, default_value = "disconnect-user")]
    perturb: Perturb,
    /// Output directory [default: butterfly-out] (not with --repeat, which writes no traces).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run K baseline/branch pairs with seeds N..N+K-1 and report statistics over them.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(2..=1000),
          conflicts_with = "out")]
    repeat: Option<u32>,
    /// Perturbation times FROM..TO/STEP, an ensemble of --repeat K pairs at each.
    #[arg(long, value_name = "FROM..TO/STEP", value_parser = parse_scan, requires = "repeat")]
    scan: Option<Scan>,
    /// With --repeat: one CSV row per pair (or per time with --scan).
    #[arg(long, value_name = "FILE", requires = "repeat")]
    csv: Option<PathBuf>,
    /// With --repeat K: run E ensembles of K pairs on consecutive blocks of seeds and report
    /// how many detected an outcome shift (with --perturb independent: the test's
    /// false-positive rate; with a known effect such as crash-server: its power).
    #[arg(long, value_name = "E", value_parser = clap::value_parser!(u64).range(1..=1000),
          requires = "repeat", conflicts_with_all = ["scan", "csv"])]
    ensembles: Option<u64>,
    /// With --repeat K: run the same ensemble again with these mechanisms switched off
    /// (pull, handoff, delegation, scale-out, gossip; comma-separated) and print both side by
    /// side: is it the balancing that carries the cascade?
    #[arg(long, value_name = "LIST", value_parser = parse_switches, requires = "repeat",
          conflicts_with_all = ["scan", "ensembles", "csv"])]
    without: Option<Switches>,
    /// With --scan: P(decorrelated) against the perturbation time, as PNG or SVG.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    null: NullArgs,
}

/// The pair every run of this command makes (the seed varies over an ensemble).
fn pair_spec(args: &ButterflyArgs, at: SimTime) -> anyhow::Result<PairSpec> {
    let scenario = args.scenario.resolve()?;
    anyhow::ensure!(
        at.as_micros() < scenario.duration.us(),
        "--at {} is not before the end of the run ({})",
        at,
        scenario.duration
    );
    if args.user.is_some() && args.perturb != Perturb::DisconnectUser {
        crate::scenario_args::usage_error(
            "butterfly",
            format!(
                "--user names the disconnected user; --perturb {} disconnects nobody",
                args.perturb
            ),
        );
    }
    // Checked here so a mistake is named before anything runs.
    scenario
        .butterfly_branches(Dur::from(at), args.user)
        .map_err(|e| anyhow::anyhow!("{}: {e}", e.field()))?;
    Ok(PairSpec {
        scenario,
        at,
        user: args.user,
        perturb: args.perturb,
        references: args.null.references(),
    })
}

fn reproduce(args: &ButterflyArgs, seed: u64, at: SimTime) -> String {
    let mut line = format!(
        "swarmlb butterfly {} --at {}",
        args.scenario.reproduce(seed),
        Dur::from(at)
    );
    if let Some(u) = args.user {
        line.push_str(&format!(" --user {u}"));
    }
    if args.perturb != Perturb::DisconnectUser {
        line.push_str(&format!(" --perturb {}", args.perturb));
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
    // Checked by hand: clap skips `requires` when the required option conflicts with one
    // given (--scan with --at).
    if args.plot.is_some() && args.scan.is_none() {
        crate::scenario_args::usage_error(
            "butterfly",
            "--plot draws a --scan; give --scan FROM..TO/STEP".into(),
        );
    }
    if let Some(k) = args.repeat {
        return repeat(&args, k);
    }
    let at = args.at.expect("clap requires --at without --scan");
    let spec = pair_spec(&args, at)?;
    let seed = spec.scenario.seed;
    let baseline = spec.baseline(seed);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("butterfly-out"));
    let base_path = record::in_dir(&out, "baseline.swlb")?;
    let pert_path = record::in_dir(&out, "perturbed.swlb")?;
    let csv_path = out.join("divergence.csv");
    let base = record::run(
        &baseline,
        &Outputs {
            trace: Some(&base_path),
            ..Outputs::default()
        },
    )?;
    if base.interrupted {
        return Err(Interrupted.into());
    }
    let baseline_trace = std::fs::read(&base_path)
        .with_context(|| format!("cannot read {}", base_path.display()))?;
    let perturbed = swarmlb_experiment::perturb::branch(
        spec.perturb,
        &baseline,
        &spec.scenario,
        at,
        spec.user,
        &baseline_trace,
    )?
    .ok_or_else(|| anyhow::anyhow!("nothing to perturb: no server was running at {at}"))?;
    let pert = record::run(
        &perturbed,
        &Outputs {
            trace: Some(&pert_path),
            ..Outputs::default()
        },
    )?;
    if pert.interrupted {
        return Err(Interrupted.into());
    }
    let report = swarmlb_trace::diff::diff_from(
        || {
            Ok((
                swarmlb_trace::TraceReader::open(&base_path)?,
                swarmlb_trace::TraceReader::open(&pert_path)?,
            ))
        },
        None,
        Some(at),
    )
    .with_context(|| {
        format!(
            "cannot diff {} and {}",
            base_path.display(),
            pert_path.display()
        )
    })?;
    let report = judge_files(&base_path, report, args.null)?;
    write_csv(&csv_path, &report)?;
    println!(
        "butterfly: {} ({}), seed {seed}, {}",
        baseline.name,
        baseline.policy.name(),
        match spec.perturb {
            Perturb::DisconnectUser => report
                .perturbation_line()
                .unwrap_or_else(|| format!("no perturbation at t={at}")),
            Perturb::CrashServers(_) => format!(
                "{} crashed at t={at}",
                perturbed
                    .crashes
                    .last()
                    .map(|c| c
                        .servers
                        .iter()
                        .map(|s| format!("S{s}"))
                        .collect::<Vec<_>>()
                        .join(" "))
                    .unwrap_or_default()
            ),
            Perturb::Independent =>
                format!("negative control: the branch is seed {}", perturbed.seed),
        }
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
    println!("reproduce with: {}", reproduce(&args, seed, at));
    if report.verdict == Verdict::NoOp {
        return Err(no_op_error(&report));
    }
    Ok(())
}

/// `--repeat K` (and `--scan`): K pairs with consecutive seeds, in memory.
fn repeat(args: &ButterflyArgs, k: u32) -> anyhow::Result<()> {
    if let Some(path) = &args.csv {
        record::check_writable(path)?;
    }
    if let Some(path) = &args.plot {
        record::check_writable(path)?;
    }
    let times = match &args.scan {
        Some(scan) => scan.times.clone(),
        None => vec![args.at.expect("clap requires --at without --scan")],
    };
    let spec = pair_spec(args, times[0])?;
    for &t in &times {
        anyhow::ensure!(
            t.as_micros() < spec.scenario.duration.us(),
            "--scan time {t} is not before the end of the run ({})",
            spec.scenario.duration
        );
    }
    let seed0 = spec.scenario.seed;
    let blocks = args.ensembles.unwrap_or(1);
    let seed_last = seed0
        .checked_add(u64::from(k) * blocks - 1)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--seed {seed0} leaves no room for {} consecutive seeds",
                u64::from(k) * blocks
            )
        })?;
    if let Some(e) = args.ensembles {
        return detection(args, &spec, k, e);
    }
    if let Some(Switches(switches)) = &args.without {
        return without(args, &spec, seed0..=seed_last, switches);
    }
    let ensemble_spec = EnsembleSpec {
        pair: spec.clone(),
        seeds: (seed0..=seed_last).collect(),
    };
    println!(
        "butterfly: {} ({}), seeds {seed0}..={seed_last}, {} at {}{}; null model: {}",
        spec.scenario.name,
        spec.scenario.policy.name(),
        spec.perturb,
        if times.len() == 1 {
            format!("t={}", times[0])
        } else {
            format!(
                "{} times from t={} to t={}",
                times.len(),
                times[0],
                times[times.len() - 1]
            )
        },
        args.user.map_or(String::new(), |u| format!(", user U{u}")),
        if spec.references == 0 {
            "none".to_string()
        } else {
            format!("{} reference runs per seed", spec.references)
        }
    );
    let runs_per_seed = 1 + spec.references as u64 + times.len() as u64;
    let bar = Bar::new(u64::from(k) * runs_per_seed, "butterfly");
    let result = if args.scan.is_some() {
        with_hooks(&bar, args.null.jobs, |hooks| {
            ensemble::scan(&ensemble_spec, &times, hooks)
        })
    } else {
        with_hooks(&bar, args.null.jobs, |hooks| {
            ensemble::ensemble(&ensemble_spec, hooks).map(|e| vec![(times[0], e)])
        })
    };
    bar.finish();
    let results = result?;
    if args.scan.is_some() {
        print_scan(&results);
        if let Some(path) = &args.csv {
            record::write_whole(path, scan_csv(&results))?;
            println!("per time: {}", path.display());
        }
        if let Some(path) = &args.plot {
            plot_scan(path, &spec.scenario.name, k, &results)?;
            println!("plot: {}", path.display());
        }
    } else {
        let (_, ens) = &results[0];
        for p in &ens.pairs {
            println!("  {}", pair_line(p));
        }
        print!("{ens}");
        if let Some(path) = &args.csv {
            record::write_whole(path, pairs_csv(ens))?;
            println!("per pair: {}", path.display());
        }
    }
    println!(
        "reproduce one pair with: {} (its seed in place of {seed0})",
        reproduce(args, seed0, times[0])
    );
    Ok(())
}

/// `--without LIST`: the same ensemble with and without the named mechanisms, side by side.
fn without(
    args: &ButterflyArgs,
    spec: &PairSpec,
    seeds: std::ops::RangeInclusive<u64>,
    switches: &[swarmlb_model::scenario::Switch],
) -> anyhow::Result<()> {
    let names: Vec<&str> = switches.iter().map(|s| s.name()).collect();
    let off = PairSpec {
        scenario: spec
            .scenario
            .without(switches)
            .map_err(|e| anyhow::anyhow!("{}: {e}", e.field()))?,
        ..spec.clone()
    };
    let seeds: Vec<u64> = seeds.collect();
    println!(
        "butterfly: {} ({}), seeds {}..={}, {} at t={}; as configured, then without {}; null model: {} reference runs per seed",
        spec.scenario.name,
        spec.scenario.policy.name(),
        seeds[0],
        seeds[seeds.len() - 1],
        spec.perturb,
        spec.at,
        names.join(", "),
        spec.references
    );
    let runs = seeds.len() as u64 * (2 + spec.references as u64);
    let bar = Bar::new(2 * runs, "butterfly");
    let result = with_hooks(&bar, args.null.jobs, |hooks| {
        let run = |pair: &PairSpec| {
            ensemble::ensemble(
                &EnsembleSpec {
                    pair: pair.clone(),
                    seeds: seeds.clone(),
                },
                hooks,
            )
        };
        Ok((run(spec)?, run(&off)?))
    });
    bar.finish();
    let (with, without) = result?;
    let column = |ens: &Ensemble| -> Vec<String> {
        let (k, n) = ens.decorrelated();
        let counts: Vec<String> = ens
            .verdict_counts()
            .into_iter()
            .filter(|&(_, c)| c > 0)
            .map(|(v, c)| format!("{} {c}", v.name()))
            .collect();
        let mean = |m: Option<MeanCi>, d: usize| {
            m.map_or("n/a".into(), |m| match m.ci {
                Some((lo, hi)) => format!("{:.d$} [{lo:.d$}, {hi:.d$}]", m.mean),
                None => format!("{:.d$}", m.mean),
            })
        };
        let shifted: Vec<String> = ens
            .shifted()
            .iter()
            .map(|t| format!("{} {}", t.outcome.name(), t.direction().unwrap_or("-")))
            .collect();
        vec![
            counts.join(", "),
            ens.p_decorrelated().map_or("n/a".into(), |(p, lo, hi)| {
                format!("{k}/{n} = {p:.2} [{lo:.2}, {hi:.2}]")
            }),
            mean(ens.phi_end(), 2),
            mean(ens.cascade_size(), 1),
            ens.median_decorrelation_s().map_or("n/a".into(), |s| {
                format!("{}", Dur((s * 1e6).round() as u64))
            }),
            if shifted.is_empty() {
                "none detected".into()
            } else {
                shifted.join(", ")
            },
        ]
    };
    let rows = [
        "verdicts",
        "P(decorrelated) [95% Wilson]",
        "phi at the end [95% t]",
        "cascade size [95% t]",
        "median decorrelation time",
        "outcome shift (Holm)",
    ];
    let (a, b) = (column(&with), column(&without));
    let mut table = vec![vec![
        String::new(),
        "as configured".to_string(),
        format!("without {}", names.join(", ")),
    ]];
    for (i, row) in rows.iter().enumerate() {
        table.push(vec![row.to_string(), a[i].clone(), b[i].clone()]);
    }
    print!("{}", crate::experiments::align(&table));
    Ok(())
}

/// `--ensembles E`: how often an ensemble of K pairs detects an outcome shift.
fn detection(args: &ButterflyArgs, spec: &PairSpec, k: u32, e: u64) -> anyhow::Result<()> {
    let seed0 = spec.scenario.seed;
    let k = u64::from(k);
    println!(
        "butterfly: {} ({}), {e} ensembles of {k} pairs, seeds {seed0}..={}, {} at t={}; null model: {}",
        spec.scenario.name,
        spec.scenario.policy.name(),
        seed0 + e * k - 1,
        spec.perturb,
        spec.at,
        if spec.references == 0 {
            "none".to_string()
        } else {
            format!("{} reference runs per seed", spec.references)
        }
    );
    let bar = Bar::new(e * k * (2 + spec.references as u64), "ensembles");
    let result = with_hooks(&bar, args.null.jobs, |hooks| {
        ensemble::detection(spec, seed0, k, e, hooks)
    });
    bar.finish();
    let found = result?;
    for (seed, outcomes) in &found.ensembles {
        let names: Vec<&str> = outcomes.iter().map(|o| o.name()).collect();
        println!(
            "  seeds {seed}..={}: {}",
            seed + k - 1,
            if names.is_empty() {
                "none detected".to_string()
            } else {
                format!("shift in {}", names.join(", "))
            }
        );
    }
    let (hits, n) = found.rate();
    let (lo, hi) = wilson(hits, n);
    println!(
        "ensembles that detected an outcome shift: {hits} of {n} = {:.2} [{lo:.2}, {hi:.2}] (95% Wilson; sign-flip tests, Holm across outcomes at {})",
        hits as f64 / n as f64,
        swarmlb_experiment::stats::ALPHA
    );
    let per: Vec<String> = Outcome::ALL
        .iter()
        .map(|&o| format!("{} {}", o.name(), found.rate_of(o)))
        .collect();
    println!("by outcome: {}", per.join(", "));
    Ok(())
}

fn pair_line(p: &swarmlb_experiment::PairResult) -> String {
    let r = &p.report;
    let phi = r.evidence.null.map_or(String::new(), |n| {
        format!(
            " phi {:.2} (band {:.2}..{:.2})",
            n.phi_end, n.band.0, n.band.1
        )
    });
    let t = r.decorrelation_time.map_or(String::new(), |t| {
        format!(", decorrelated after {}", Dur(t.since(r.window_start)))
    });
    let what = if p.crashed.is_empty() {
        r.perturbation_line()
            .map_or(String::new(), |l| format!(", {l}"))
    } else {
        format!(
            ", crashed {}",
            p.crashed
                .iter()
                .map(|s| format!("S{s}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    format!(
        "seed {}: {:<12} cascade {:>5} of {:>5}{phi}{t}{what}",
        p.seed,
        r.verdict.name(),
        r.cascade_size,
        r.agents_total
    )
}

/// One row per pair: what each verdict and statistic was computed from.
fn pairs_csv(ens: &Ensemble) -> String {
    let mut out = String::from(
        "seed,verdict,phi_end,band_low,band_high,decorrelation_s,cascade_size,agents_total",
    );
    for o in Outcome::ALL {
        out.push_str(&format!(
            ",delta_after_{0},independent_delta_after_{0}",
            o.name()
        ));
    }
    out.push('\n');
    for p in &ens.pairs {
        let r = &p.report;
        let n = r.evidence.null;
        let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x}"));
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}",
            p.seed,
            r.verdict.name(),
            f(n.map(|n| n.phi_end)),
            f(n.map(|n| n.band.0)),
            f(n.map(|n| n.band.1)),
            f(r.decorrelation_time
                .map(|t| t.since(r.window_start) as f64 / 1e6)),
            r.cascade_size,
            r.agents_total
        ));
        for o in Outcome::ALL {
            let d = r.outcomes_after.delta(o);
            let indep = r
                .null
                .as_ref()
                .and_then(|n| n.outcomes.first())
                .map(|q| q.delta(o));
            out.push_str(&format!(
                ",{},{}",
                f(Some(d).filter(|x| x.is_finite())),
                f(indep.filter(|x| x.is_finite()))
            ));
        }
        out.push('\n');
    }
    out
}

fn print_scan(results: &[(SimTime, Ensemble)]) {
    let mut table = vec![
        [
            "time",
            "determined",
            "P(decorrelated) [95% Wilson]",
            "median decorrelation",
            "outcome shift",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (t, ens) in results {
        let (_, n) = ens.decorrelated();
        let p = ens
            .p_decorrelated()
            .map_or("n/a".to_string(), |(p, lo, hi)| {
                format!("{p:.2} [{lo:.2}, {hi:.2}]")
            });
        let shifted: Vec<String> = ens
            .shifted()
            .iter()
            .map(|t| format!("{} {}", t.outcome.name(), t.direction().unwrap_or("-")))
            .collect();
        table.push(vec![
            format!("{}", Dur(t.0)),
            format!("{n} of {}", ens.pairs.len()),
            p,
            ens.median_decorrelation_s().map_or("n/a".into(), |s| {
                format!("{}", Dur((s * 1e6).round() as u64))
            }),
            if shifted.is_empty() {
                "none detected".into()
            } else {
                shifted.join(", ")
            },
        ]);
    }
    print!("{}", crate::experiments::align(&table));
}

fn scan_csv(results: &[(SimTime, Ensemble)]) -> String {
    let mut out = String::from(
        "at_s,pairs,determined,decorrelated,p_decorrelated,p_decorrelated_ci95_low,p_decorrelated_ci95_high,median_decorrelation_s",
    );
    for o in Outcome::ALL {
        out.push_str(&format!(
            ",delta_after_{0}_mean,delta_after_{0}_p,delta_after_{0}_shifted",
            o.name()
        ));
    }
    out.push('\n');
    for (t, ens) in results {
        let (k, n) = ens.decorrelated();
        let (p, lo, hi) = match ens.p_decorrelated() {
            None => (String::new(), String::new(), String::new()),
            Some((p, lo, hi)) => (format!("{p:.4}"), format!("{lo:.4}"), format!("{hi:.4}")),
        };
        out.push_str(&format!(
            "{},{},{n},{k},{p},{lo},{hi},{}",
            t.as_secs_f64(),
            ens.pairs.len(),
            ens.median_decorrelation_s()
                .map_or(String::new(), |s| format!("{s}"))
        ));
        for o in Outcome::ALL {
            match ens.tests.iter().find(|t| t.outcome == o) {
                Some(t) => out.push_str(&format!(",{},{},{}", t.delta.mean, t.p.p, t.shifted)),
                None => out.push_str(",,,"),
            }
        }
        out.push('\n');
    }
    out
}

fn plot_scan(
    path: &Path,
    name: &str,
    k: u32,
    results: &[(SimTime, Ensemble)],
) -> anyhow::Result<()> {
    let points: Vec<(f64, MeanCi)> = results
        .iter()
        .filter_map(|(t, ens)| {
            let (_, n) = ens.decorrelated();
            let (p, lo, hi) = ens.p_decorrelated()?;
            Some((
                t.as_secs_f64(),
                MeanCi {
                    n: n as usize,
                    mean: p,
                    sd: None,
                    ci: Some((lo, hi)),
                },
            ))
        })
        .collect();
    crate::experiments::chart::bands(
        path,
        &format!("{name}: P(decorrelated) by perturbation time, {k} pairs each, 95% Wilson"),
        "perturbation time (s)",
        "P(decorrelated)",
        &[("P(decorrelated)".to_string(), points)],
    )
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
