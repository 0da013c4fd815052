//! The null model of a butterfly: how far *independent* runs of the same scenario (other
//! seeds) are from the baseline, sample by sample, and the branch's distance as a fraction
//! of theirs, φ(t) = d(t) / mean D∞(t). φ ≈ 0: the branch is where its baseline is; φ ≈ 1:
//! it is as far away as a run that shares nothing with it. Pure functions of distance
//! series; the reference runs themselves are made by the experiment crate.

use swarmlb_engine::SimTime;

use crate::diff::{
    BAND_WIDEN_SAMPLES, FINAL_WINDOW_SAMPLES, NullEvidence, Outcome, OutcomePair, Point,
};

/// A distance between two runs at one sample time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Agents whose state differs now (servers and users).
    Micro,
    /// L1 distance of the server-load vectors, server by server.
    MacroL1,
    /// Users connected to another server (or connected in one run only).
    UsersMoved,
}

/// The distance the verdict and the decorrelation time are decided on: agents differing,
/// the most complete of the three (a load vector can match while users sit elsewhere).
pub const VERDICT_MEASURE: Measure = Measure::Micro;

impl Measure {
    /// Every measure, in report order.
    pub const ALL: [Measure; 3] = [Measure::Micro, Measure::MacroL1, Measure::UsersMoved];

    /// Name in reports and CSV columns.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Micro => "micro",
            Measure::MacroL1 => "macro_l1",
            Measure::UsersMoved => "users_moved",
        }
    }

    /// This distance of one sample.
    pub fn of(self, p: &Point) -> u64 {
        match self {
            Measure::Micro => p.micro,
            Measure::MacroL1 => p.macro_l1,
            Measure::UsersMoved => p.users_moved,
        }
    }
}

/// Distances between a baseline and J reference runs, at the pair's own sample times, and
/// the reference runs' outcomes beside the baseline's.
#[derive(Clone, Debug, PartialEq)]
pub struct Null {
    /// The reference runs' seeds.
    pub seeds: Vec<u64>,
    /// Per reference, per sample: the baseline ↔ reference distances.
    pub points: Vec<Vec<Point>>,
    /// Per reference: baseline (as `baseline`) and reference (as `branch`) outcomes after
    /// the perturbation time.
    pub outcomes: Vec<OutcomePair>,
}

impl Null {
    /// A null of at least one reference whose series all have the same sample times.
    pub fn new(seeds: Vec<u64>, points: Vec<Vec<Point>>, outcomes: Vec<OutcomePair>) -> Null {
        assert!(!seeds.is_empty(), "a null needs at least one reference run");
        assert_eq!(seeds.len(), points.len(), "one series per reference");
        assert_eq!(
            seeds.len(),
            outcomes.len(),
            "one outcome pair per reference"
        );
        for series in &points[1..] {
            assert_eq!(
                series.len(),
                points[0].len(),
                "references share sample times"
            );
        }
        Null {
            seeds,
            points,
            outcomes,
        }
    }

    /// Number of reference runs (J).
    pub fn references(&self) -> usize {
        self.seeds.len()
    }

    /// Samples per series.
    pub fn samples(&self) -> usize {
        self.points[0].len()
    }

    /// Mean over the references of `m` at sample `i`: the decorrelation limit D∞.
    pub fn mean(&self, m: Measure, i: usize) -> f64 {
        let sum: u64 = self.points.iter().map(|s| m.of(&s[i])).sum();
        sum as f64 / self.references() as f64
    }

    /// The references' own ratios D_j / mean D∞ at sample `i`, widened over
    /// [`BAND_WIDEN_SAMPLES`] neighbours each side: (least, greatest). None when the mean
    /// is 0 at every sample of the window (the references match the baseline there).
    pub fn band(&self, m: Measure, i: usize) -> Option<(f64, f64)> {
        let from = i.saturating_sub(BAND_WIDEN_SAMPLES);
        let to = (i + BAND_WIDEN_SAMPLES).min(self.samples() - 1);
        let mut band: Option<(f64, f64)> = None;
        for k in from..=to {
            let mean = self.mean(m, k);
            if mean <= 0.0 {
                continue;
            }
            for series in &self.points {
                let r = m.of(&series[k]) as f64 / mean;
                band = Some(band.map_or((r, r), |(lo, hi)| (lo.min(r), hi.max(r))));
            }
        }
        band
    }

    /// φ at every sample of `points` (the pair's series): d / mean D∞, None where D∞ is 0.
    pub fn phi(&self, m: Measure, points: &[Point]) -> Vec<Option<f64>> {
        assert_eq!(
            points.len(),
            self.samples(),
            "the pair and the null share sample times"
        );
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mean = self.mean(m, i);
                (mean > 0.0).then(|| m.of(p) as f64 / mean)
            })
            .collect()
    }

    /// φ and the band over the final window (the last [`FINAL_WINDOW_SAMPLES`] samples):
    /// summed distances over summed D∞, and the least and greatest reference's own ratio
    /// over the same samples. None when the window is shorter or D∞ sums to 0 there.
    pub fn final_window(&self, m: Measure, points: &[Point]) -> Option<NullEvidence> {
        let n = points.len();
        if n < FINAL_WINDOW_SAMPLES || n != self.samples() {
            return None;
        }
        let window = n - FINAL_WINDOW_SAMPLES..n;
        let mean: f64 = window.clone().map(|i| self.mean(m, i)).sum();
        if mean <= 0.0 {
            return None;
        }
        let branch: u64 = points[window.clone()].iter().map(|p| m.of(p)).sum();
        let ratios = self.points.iter().map(|s| {
            let sum: u64 = s[window.clone()].iter().map(|p| m.of(p)).sum();
            sum as f64 / mean
        });
        let band = ratios.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(r), hi.max(r))
        });
        Some(NullEvidence {
            phi_end: branch as f64 / mean,
            band,
        })
    }

    /// The first sample time after `start` at which φ enters the (widened) band: the
    /// branch is as far from its baseline as the nearest independent run.
    pub fn decorrelation_time(
        &self,
        m: Measure,
        points: &[Point],
        start: SimTime,
    ) -> Option<SimTime> {
        let phi = self.phi(m, points);
        points.iter().enumerate().find_map(|(i, p)| {
            let (lo, _) = self.band(m, i)?;
            (p.time > start && phi[i]? >= lo).then_some(p.time)
        })
    }

    /// The decorrelation limit over the final window: mean D∞ there (the level a growing
    /// difference saturates at).
    pub fn saturation(&self, m: Measure) -> f64 {
        let n = self.samples();
        let from = n.saturating_sub(FINAL_WINDOW_SAMPLES);
        let k = (n - from).max(1);
        (from..n).map(|i| self.mean(m, i)).sum::<f64>() / k as f64
    }

    /// The standard deviation of reference − baseline for `o` over the references: how
    /// far an outcome moves between independent runs (σ_null). None below two defined
    /// values.
    pub fn outcome_sd(&self, o: Outcome) -> Option<f64> {
        let values: Vec<f64> = self
            .outcomes
            .iter()
            .map(|pair| pair.delta(o))
            .filter(|x| x.is_finite())
            .collect();
        if values.len() < 2 {
            return None;
        }
        crate::interval::mean_ci(&values).sd
    }
}
