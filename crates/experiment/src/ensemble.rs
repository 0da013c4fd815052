//! Ensembles of butterfly pairs: per pair a trajectory verdict against its null, and over
//! the ensemble the only place an outcome may be called worse or better — a paired
//! sign-flip test of each outcome's branch − baseline deltas, Holm-corrected across
//! outcomes, with its power and the memory ratio Var(Δ branch) / Var(Δ independent).

use std::fmt;

use rayon::prelude::*;
use swarmlb_engine::SimTime;
use swarmlb_model::scenario::Dur;
use swarmlb_trace::diff::{Outcome, Verdict};
use swarmlb_trace::interval::{MeanCi, mean_ci, wilson};

use crate::pair::{self, PairResult, PairSpec, References};
use crate::stats::{self, PValue, VarianceRatio};
use crate::{ExperimentError, Hooks};

/// An ensemble: one pair per seed.
#[derive(Clone, Debug)]
pub struct EnsembleSpec {
    /// What each pair is made of.
    pub pair: PairSpec,
    /// The baseline seeds, one pair each.
    pub seeds: Vec<u64>,
}

/// The test of one outcome over an ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeTest {
    /// Which outcome (after the perturbation time).
    pub outcome: Outcome,
    /// Mean branch − baseline delta with its 95% t interval (pairs where it is defined).
    pub delta: MeanCi,
    /// Sign-flip test of mean delta = 0.
    pub p: PValue,
    /// Rejected by Holm's correction across the outcomes at [`stats::ALPHA`]: only then is
    /// the outcome called worse or better.
    pub shifted: bool,
    /// The smallest mean shift this many pairs would detect with 80% power.
    pub smallest_detectable: Option<f64>,
    /// Var(Δ branch) / Var(Δ independent), Δ independent = reference 0 − baseline.
    pub memory: Option<VarianceRatio>,
}

impl OutcomeTest {
    /// "worse" or "better" for a shifted outcome (more of every outcome is worse for users
    /// or the operator, but for migrations and hand-offs, which only say the system moved
    /// users: "more" / "fewer"); None when no shift was detected.
    pub fn direction(&self) -> Option<&'static str> {
        if !self.shifted {
            return None;
        }
        let up = self.delta.mean > 0.0;
        Some(match (self.outcome, up) {
            (Outcome::Migrations | Outcome::Handoffs, true) => "more",
            (Outcome::Migrations | Outcome::Handoffs, false) => "fewer",
            (
                Outcome::Rejections
                | Outcome::GaveUp
                | Outcome::ScaleOuts
                | Outcome::TtcP99
                | Outcome::LoadSpread,
                true,
            ) => "worse",
            (
                Outcome::Rejections
                | Outcome::GaveUp
                | Outcome::ScaleOuts
                | Outcome::TtcP99
                | Outcome::LoadSpread,
                false,
            ) => "better",
        })
    }
}

/// The result of an ensemble.
#[derive(Clone, Debug)]
pub struct Ensemble {
    /// Every pair, in seed order.
    pub pairs: Vec<PairResult>,
    /// One test per outcome, in [`Outcome::ALL`] order (empty below two perturbing pairs).
    pub tests: Vec<OutcomeTest>,
}

/// True when the pair perturbed something (it counts in the statistics).
pub fn perturbed(p: &PairResult) -> bool {
    !matches!(p.report.verdict, Verdict::NoOp | Verdict::Identical)
}

/// Run an ensemble: the pairs in parallel, then the outcome tests.
pub fn ensemble(spec: &EnsembleSpec, hooks: Hooks) -> Result<Ensemble, ExperimentError> {
    let pairs = spec
        .seeds
        .par_iter()
        .map(|&seed| pair::run_pair(&spec.pair, seed, hooks))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ensemble::new(pairs))
}

impl Ensemble {
    /// The statistics of these pairs.
    pub fn new(pairs: Vec<PairResult>) -> Ensemble {
        let seed = pairs.first().map_or(0, |p| p.seed);
        let tests = outcome_tests(&pairs, seed);
        Ensemble { pairs, tests }
    }

    /// How many pairs got each verdict, in [`Verdict::ALL`] order.
    pub fn verdict_counts(&self) -> Vec<(Verdict, usize)> {
        Verdict::ALL
            .iter()
            .map(|&v| {
                (
                    v,
                    self.pairs.iter().filter(|p| p.report.verdict == v).count(),
                )
            })
            .collect()
    }

    /// Decorrelated pairs and determined pairs (the denominator): P(decorrelated) is
    /// their ratio, never over all pairs.
    pub fn decorrelated(&self) -> (u64, u64) {
        let determined = self.pairs.iter().filter(|p| p.report.verdict.determined());
        let (mut k, mut n) = (0, 0);
        for p in determined {
            n += 1;
            k += u64::from(p.report.verdict == Verdict::Decorrelated);
        }
        (k, n)
    }

    /// P(decorrelated) over the determined pairs with its 95% Wilson interval, as
    /// (p, low, high); None when no pair was determined.
    pub fn p_decorrelated(&self) -> Option<(f64, f64, f64)> {
        let (k, n) = self.decorrelated();
        (n > 0).then(|| {
            let (lo, hi) = wilson(k, n);
            (k as f64 / n as f64, lo, hi)
        })
    }

    /// Median time from the perturbation to decorrelation (φ first in the band), seconds,
    /// over the pairs whose verdict is `decorrelated` (a pair whose φ touched the band once
    /// and left it again is not counted).
    pub fn median_decorrelation_s(&self) -> Option<f64> {
        let times: Vec<f64> = self
            .pairs
            .iter()
            .filter(|p| p.report.verdict == Verdict::Decorrelated)
            .filter_map(|p| {
                let t = p.report.decorrelation_time?;
                Some(t.since(p.report.window_start) as f64 / 1e6)
            })
            .collect();
        stats::median(&times)
    }

    /// Mean φ (the verdict's measure) over the final window, over pairs that have it.
    pub fn phi_end(&self) -> Option<MeanCi> {
        let values: Vec<f64> = self
            .pairs
            .iter()
            .filter(|p| perturbed(p))
            .filter_map(|p| p.report.evidence.null.map(|n| n.phi_end))
            .collect();
        (!values.is_empty()).then(|| mean_ci(&values))
    }

    /// Mean cascade size over the perturbing pairs.
    pub fn cascade_size(&self) -> Option<MeanCi> {
        let values: Vec<f64> = self
            .pairs
            .iter()
            .filter(|p| perturbed(p))
            .map(|p| p.report.cascade_size as f64)
            .collect();
        (!values.is_empty()).then(|| mean_ci(&values))
    }

    /// The outcomes whose shift was detected.
    pub fn shifted(&self) -> Vec<&OutcomeTest> {
        self.tests.iter().filter(|t| t.shifted).collect()
    }
}

/// The tests of every outcome over the perturbing pairs: sign-flip p-values (Monte Carlo
/// draws seeded by `seed` and the outcome), Holm across the outcomes tested, power and
/// memory ratio.
pub fn outcome_tests(pairs: &[PairResult], seed: u64) -> Vec<OutcomeTest> {
    let counted: Vec<&PairResult> = pairs.iter().filter(|p| perturbed(p)).collect();
    let mut tests = Vec::new();
    for o in Outcome::ALL {
        let deltas: Vec<f64> = counted
            .iter()
            .map(|p| p.report.outcomes_after.delta(o))
            .filter(|x| x.is_finite())
            .collect();
        if deltas.len() < 2 {
            continue;
        }
        let independent: Vec<f64> = counted
            .iter()
            .filter_map(|p| p.report.null.as_ref()?.outcomes.first().map(|q| q.delta(o)))
            .filter(|x| x.is_finite())
            .collect();
        let delta = mean_ci(&deltas);
        tests.push(OutcomeTest {
            outcome: o,
            delta,
            p: stats::sign_flip(&deltas, seed ^ (o as u64)),
            shifted: false,
            smallest_detectable: delta
                .sd
                .and_then(|sd| stats::smallest_detectable(sd, deltas.len())),
            memory: stats::variance_ratio(&deltas, &independent),
        });
    }
    let ps: Vec<f64> = tests.iter().map(|t| t.p.p).collect();
    for (t, rejected) in tests.iter_mut().zip(stats::holm(&ps, stats::ALPHA)) {
        t.shifted = rejected;
    }
    tests
}

/// Ensembles at several perturbation times over the same baselines (and references):
/// when is the system fragile? Per seed, the baseline and its references are recorded once
/// and perturbed at every time.
pub fn scan(
    spec: &EnsembleSpec,
    times: &[SimTime],
    hooks: Hooks,
) -> Result<Vec<(SimTime, Ensemble)>, ExperimentError> {
    let per_seed = spec
        .seeds
        .par_iter()
        .map(|&seed| {
            let (baseline, references) = rayon::join(
                || pair::record_baseline(&spec.pair, seed, hooks),
                || References::record(&spec.pair, seed, hooks),
            );
            let (baseline, references) = (baseline?, references?);
            times
                .iter()
                .map(|&at| {
                    let at_spec = PairSpec {
                        at,
                        ..spec.pair.clone()
                    };
                    pair::branch_of(&at_spec, seed, &baseline, &references, hooks)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, ExperimentError>>()?;
    Ok(times
        .iter()
        .enumerate()
        .map(|(i, &at)| {
            let pairs = per_seed.iter().map(|results| results[i].clone()).collect();
            (at, Ensemble::new(pairs))
        })
        .collect())
}

fn fmt_mean(m: &MeanCi, d: usize) -> String {
    match m.ci {
        Some((lo, hi)) => format!("{:+.d$} [{lo:+.d$}, {hi:+.d$}]", m.mean),
        None => format!("{:+.d$}", m.mean),
    }
}

/// Decimals an outcome is printed with.
pub fn decimals(o: Outcome) -> usize {
    match o {
        Outcome::Rejections
        | Outcome::GaveUp
        | Outcome::Migrations
        | Outcome::Handoffs
        | Outcome::ScaleOuts => 2,
        Outcome::TtcP99 => 3,
        Outcome::LoadSpread => 4,
    }
}

impl fmt::Display for Ensemble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<String> = self
            .verdict_counts()
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(v, n)| format!("{} {n}", v.name()))
            .collect();
        writeln!(
            f,
            "verdicts over {} pairs: {}",
            self.pairs.len(),
            counts.join(", ")
        )?;
        let (k, n) = self.decorrelated();
        if n > 0 {
            let (lo, hi) = wilson(k, n);
            writeln!(
                f,
                "P(decorrelated) = {k}/{n} determined = {:.2} [{lo:.2}, {hi:.2}] (95% Wilson); median decorrelation time {}",
                k as f64 / n as f64,
                self.median_decorrelation_s()
                    .map_or("n/a".into(), |s| format!(
                        "{}",
                        Dur((s * 1e6).round() as u64)
                    ))
            )?;
        } else {
            writeln!(f, "P(decorrelated): n/a (no determined pair)")?;
        }
        if let Some(phi) = self.phi_end() {
            writeln!(
                f,
                "phi at the end (micro): mean {} (n = {})",
                fmt_mean(&phi, 2),
                phi.n
            )?;
        }
        if let Some(size) = self.cascade_size() {
            writeln!(
                f,
                "cascade size: mean {} agents (n = {})",
                fmt_mean(&size, 1),
                size.n
            )?;
        }
        if self.tests.is_empty() {
            return writeln!(
                f,
                "outcome shift: not tested (fewer than two pairs perturbed anything)"
            );
        }
        writeln!(
            f,
            "outcomes after the perturbation, branch - baseline over {} pairs: mean [95% t], sign-flip p ({}), Holm at {}; memory = Var(delta) / Var(independent delta) [95% F]",
            self.tests[0].delta.n,
            self.tests[0].p.method.describe(),
            stats::ALPHA
        )?;
        for t in &self.tests {
            let d = decimals(t.outcome);
            writeln!(
                f,
                "  {:<16} {:<32} p={:<7.4} {:<7} memory {}",
                t.outcome.name(),
                fmt_mean(&t.delta, d),
                t.p.p,
                t.direction().unwrap_or("-"),
                t.memory.map_or("n/a".into(), |m| format!(
                    "{:.2} [{:.2}, {:.2}]",
                    m.ratio, m.ci.0, m.ci.1
                ))
            )?;
        }
        let shifted = self.shifted();
        if shifted.is_empty() {
            let detectable: Vec<String> = self
                .tests
                .iter()
                .filter_map(|t| {
                    let d = decimals(t.outcome);
                    t.smallest_detectable
                        .map(|x| format!("{} {x:.d$}", t.outcome.name()))
                })
                .collect();
            writeln!(
                f,
                "outcome shift: none detected (smallest shift detectable at this K with 80% power: {})",
                detectable.join(", ")
            )
        } else {
            let list: Vec<String> = shifted
                .iter()
                .map(|t| {
                    format!(
                        "{} {} by {} (p={:.4})",
                        t.outcome.name(),
                        t.direction().unwrap_or("-"),
                        fmt_mean(&t.delta, decimals(t.outcome)),
                        t.p.p
                    )
                })
                .collect();
            writeln!(f, "outcome shift: {}", list.join("; "))
        }
    }
}

/// How often ensembles detect an outcome shift: `ensembles` ensembles of `pairs` pairs
/// each, on consecutive blocks of seeds from `first_seed` (ensemble e uses seeds
/// first_seed + e·pairs ..). With `Perturb::Independent` this is the test's false-positive
/// rate; with a perturbation of known effect, its power.
#[derive(Clone, Debug)]
pub struct Detection {
    /// Per ensemble: its first seed and the outcomes whose shift it detected.
    pub ensembles: Vec<(u64, Vec<Outcome>)>,
}

impl Detection {
    /// Ensembles that detected a shift of any outcome, and ensembles run.
    pub fn rate(&self) -> (u64, u64) {
        let k = self.ensembles.iter().filter(|(_, o)| !o.is_empty()).count() as u64;
        (k, self.ensembles.len() as u64)
    }

    /// Ensembles that detected a shift of `o`.
    pub fn rate_of(&self, o: Outcome) -> u64 {
        self.ensembles
            .iter()
            .filter(|(_, v)| v.contains(&o))
            .count() as u64
    }
}

/// Run `ensembles` ensembles of `pairs` pairs each (see [`Detection`]).
pub fn detection(
    pair: &PairSpec,
    first_seed: u64,
    pairs: u64,
    ensembles: u64,
    hooks: Hooks,
) -> Result<Detection, ExperimentError> {
    let results = (0..ensembles)
        .into_par_iter()
        .map(|e| {
            let seed = first_seed + e * pairs;
            let spec = EnsembleSpec {
                pair: pair.clone(),
                seeds: (seed..seed + pairs).collect(),
            };
            let ens = ensemble(&spec, hooks)?;
            Ok((seed, ens.shifted().iter().map(|t| t.outcome).collect()))
        })
        .collect::<Result<Vec<_>, ExperimentError>>()?;
    Ok(Detection { ensembles: results })
}
