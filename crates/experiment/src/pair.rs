//! One butterfly pair in memory — a baseline, its perturbed branch and J reference runs of
//! other seeds — diffed and judged against the null model the references make.

use rayon::prelude::*;
use swarmlb_engine::SimTime;
use swarmlb_model::Scenario;
use swarmlb_trace::TraceReader;
use swarmlb_trace::diff::{self, Report};
use swarmlb_trace::format::CHECKPOINT_EVERY_MAX;
use swarmlb_trace::null::Null;
use swarmlb_trace::write::record_to_vec;

use crate::perturb::{self, Perturb};
use crate::{ExperimentError, Hooks};

/// Reference runs per pair unless told otherwise.
pub const REFERENCES_DEFAULT: usize = 5;
/// At most this many reference runs per pair.
pub const REFERENCES_MAX: usize = 100;

/// What one pair is made of (every field but the seed, which varies over an ensemble).
#[derive(Clone, Debug)]
pub struct PairSpec {
    /// The scenario as configured, with its `butterfly` table (whom to disconnect, how
    /// long the victim waits); its seed is replaced by each pair's.
    pub scenario: Scenario,
    /// When the branch is perturbed.
    pub at: SimTime,
    /// A named victim (disconnect-user only).
    pub user: Option<u32>,
    /// What the branch changes.
    pub perturb: Perturb,
    /// Reference runs of the null model (0: none, and no verdict above `contained`).
    pub references: usize,
}

impl PairSpec {
    /// The baseline of seed `seed`: the scenario with nothing perturbed or configured.
    pub fn baseline(&self, seed: u64) -> Scenario {
        Scenario {
            butterfly: None,
            ..self.scenario.clone()
        }
        .with_seed(seed)
    }
}

/// A pair's result: its report, judged against its null when references were made.
#[derive(Clone, Debug)]
pub struct PairResult {
    /// The baseline's seed.
    pub seed: u64,
    /// The diff of baseline and branch (with its null).
    pub report: Report,
    /// Servers crashed by a crash-server perturbation.
    pub crashed: Vec<u32>,
}

fn record(scenario: &Scenario, hooks: Hooks) -> Result<Vec<u8>, ExperimentError> {
    hooks.check()?;
    let bytes = record_to_vec(scenario, CHECKPOINT_EVERY_MAX)?;
    (hooks.tick)();
    Ok(bytes)
}

/// Record the baseline of `seed`; the first step of [`run_pair`], shared by scans and
/// stability maps that perturb one baseline many times.
pub fn record_baseline(
    spec: &PairSpec,
    seed: u64,
    hooks: Hooks,
) -> Result<Vec<u8>, ExperimentError> {
    record(&spec.baseline(seed), hooks)
}

/// The reference runs of one baseline, recorded once and kept in memory, so that every
/// branch of that baseline (a scan, a stability map) is compared with the same runs at its
/// own sample times and window.
#[derive(Clone, Debug)]
pub struct References {
    /// Their seeds ([`crate::seeds::reference`] of the baseline's seed, j = 0..J).
    pub seeds: Vec<u64>,
    /// Their traces.
    pub traces: Vec<Vec<u8>>,
}

impl References {
    /// Record `spec.references` runs of other seeds than `seed`, in parallel.
    pub fn record(spec: &PairSpec, seed: u64, hooks: Hooks) -> Result<References, ExperimentError> {
        let seeds: Vec<u64> = (0..spec.references as u64)
            .map(|j| crate::seeds::reference(seed, j))
            .collect();
        let traces = seeds
            .par_iter()
            .map(|&s| record(&spec.baseline(s), hooks))
            .collect::<Result<Vec<_>, ExperimentError>>()?;
        Ok(References { seeds, traces })
    }

    /// The null model of a pair whose baseline is `baseline_trace`: each reference compared
    /// with the baseline at `times`, outcomes from `window_start` on. None without
    /// references.
    pub fn null(
        &self,
        baseline_trace: &[u8],
        times: &[SimTime],
        window_start: SimTime,
    ) -> Result<Option<Null>, ExperimentError> {
        if self.seeds.is_empty() {
            return Ok(None);
        }
        let series = self
            .traces
            .par_iter()
            .map(|reference| {
                Ok(diff::distances(
                    TraceReader::new(baseline_trace, "baseline")?,
                    TraceReader::new(&reference[..], "reference")?,
                    times,
                    window_start,
                )?)
            })
            .collect::<Result<Vec<_>, ExperimentError>>()?;
        let (points, outcomes) = series.into_iter().unzip();
        Ok(Some(Null::new(self.seeds.clone(), points, outcomes)))
    }

    /// `report` (a pair whose baseline is `baseline_trace`) judged against these runs;
    /// unchanged without references.
    pub fn judge(&self, baseline_trace: &[u8], report: Report) -> Result<Report, ExperimentError> {
        let times: Vec<SimTime> = report.points.iter().map(|p| p.time).collect();
        Ok(
            match self.null(baseline_trace, &times, report.window_start)? {
                Some(null) => report.with_null(null),
                None => report,
            },
        )
    }
}

/// Diff a baseline and a branch in memory, from the perturbation time on.
pub fn diff_pair(baseline: &[u8], branch: &[u8], at: SimTime) -> Result<Report, ExperimentError> {
    Ok(diff::diff_from(
        || {
            Ok((
                TraceReader::new(baseline, "baseline")?,
                TraceReader::new(branch, "perturbed")?,
            ))
        },
        None,
        Some(at),
    )?)
}

/// One branch of a recorded baseline: perturb, record, diff, and judge against the
/// baseline's reference runs.
pub fn branch_of(
    spec: &PairSpec,
    seed: u64,
    baseline_trace: &[u8],
    references: &References,
    hooks: Hooks,
) -> Result<PairResult, ExperimentError> {
    let baseline = spec.baseline(seed);
    let branch = perturb::branch(
        spec.perturb,
        &baseline,
        &spec.scenario.clone().with_seed(seed),
        spec.at,
        spec.user,
        baseline_trace,
    )?;
    let crashed = match (&branch, spec.perturb) {
        (Some(b), Perturb::CrashServers(_)) => b.crashes.last().map(|c| c.servers.clone()),
        _ => None,
    };
    let report = match branch {
        Some(branch) => {
            let branch_trace = record(&branch, hooks)?;
            diff_pair(baseline_trace, &branch_trace, spec.at)?
        }
        // Nothing to perturb: the branch is the baseline itself.
        None => diff_pair(baseline_trace, baseline_trace, spec.at)?,
    };
    Ok(PairResult {
        seed,
        report: references.judge(baseline_trace, report)?,
        crashed: crashed.unwrap_or_default(),
    })
}

/// One pair of seed `seed`: record the baseline, its references and the branch; diff the
/// pair and judge it against its null.
pub fn run_pair(spec: &PairSpec, seed: u64, hooks: Hooks) -> Result<PairResult, ExperimentError> {
    let (baseline_trace, references) = rayon::join(
        || record_baseline(spec, seed, hooks),
        || References::record(spec, seed, hooks),
    );
    branch_of(spec, seed, &baseline_trace?, &references?, hooks)
}

/// `report` (of a baseline whose recording is `baseline_trace` and some other run) judged
/// against `references` runs of the baseline's own scenario (read from the trace's header)
/// with other seeds; unchanged when `references` is 0. What `swarmlb diff`, `swarmlb
/// butterfly` and the Python package call.
pub fn judge_trace(
    baseline_trace: &[u8],
    report: Report,
    references: usize,
    hooks: Hooks,
) -> Result<Report, ExperimentError> {
    if references == 0 {
        return Ok(report);
    }
    let scenario = TraceReader::new(baseline_trace, "baseline")?.scenario()?;
    let seed = scenario.seed;
    let spec = PairSpec {
        scenario,
        at: report.window_start,
        user: None,
        perturb: Perturb::DisconnectUser,
        references,
    };
    References::record(&spec, seed, hooks)?.judge(baseline_trace, report)
}
