//! `diff`: where two runs of one scenario part ways, how far apart they drift, what it
//! changed in the run's outcomes, and a verdict. Streaming: three passes over both traces,
//! one block of each in memory.

use std::fmt;
use std::io::Read;

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::ids::NONE;
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Event, Fold, Kind, Layout, Observed};

use crate::error::TraceError;
use crate::fold::{Cursor, Item, State};
use crate::null::Measure;
use crate::read::TraceReader;
use swarmlb_model::metrics::ConnectTimes;
use swarmlb_model::scenario::limits;

/// Macro distance must stay at zero for this many samples up to the end of the run for
/// the difference to count as dissipated.
pub const DISSIPATED_HOLD_SAMPLES: usize = 3;
/// A difference is contained when its per-server macro distance never exceeds this many
/// users...
pub const CONTAINED_MACRO_MAX: u64 = 20;
/// ...and the cascade touched at most this fraction of the agents (in per cent).
pub const CONTAINED_CASCADE_PERCENT: u64 = 5;
/// Fewer samples than this after the perturbation: too early to tell (`undetermined`).
/// Ten samples leave room for the three zero samples of a dissipation plus the seven or so
/// a healing perturbation needs in `seed-classic` (the golden pair heals in 14 s, 14
/// samples; ten is a floor, not a guarantee).
pub const OBSERVED_SAMPLES_MIN: usize = 10;
/// The final window: φ and the null's band are compared over this many samples at the
/// end of the run (`decorrelated` needs φ inside the band there).
pub const FINAL_WINDOW_SAMPLES: usize = 10;
/// The per-sample band of the null is widened over this many samples on each side (the
/// least and greatest reference ratio among the neighbours), so one quiet sample of a
/// reference does not decide a decorrelation time.
pub const BAND_WIDEN_SAMPLES: usize = 2;

const _: () = assert!(DISSIPATED_HOLD_SAMPLES < OBSERVED_SAMPLES_MIN);
const _: () = assert!(FINAL_WINDOW_SAMPLES <= OBSERVED_SAMPLES_MIN);
const _: () = assert!(CONTAINED_CASCADE_PERCENT < 100);

/// Why two traces could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// One of them could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// Two sound traces that cannot be compared as asked (another scenario's layout, or
    /// the perturbed branch given first).
    #[error("{0}")]
    Mismatch(String),
}

/// The first event at which two traces differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstDivergence {
    /// Event index.
    pub index: u64,
    /// Time of the earlier of the two differing events.
    pub time: SimTime,
    /// The event in the first trace (None: it ended).
    pub a: Option<Event>,
    /// The event in the second trace (None: it ended).
    pub b: Option<Event>,
}

impl FirstDivergence {
    /// Agents named by either differing event, the perturbed user of a butterfly included.
    pub fn agents(&self, layout: &Layout) -> Vec<AgentId> {
        let mut agents: Vec<AgentId> = [self.a, self.b]
            .iter()
            .flatten()
            .flat_map(|e| [e.source, e.target])
            .collect();
        for e in [self.a, self.b].iter().flatten() {
            if e.kind == swarmlb_model::Kind::Butterfly && e.value < layout.n_users {
                agents.push(layout.user(e.value));
            }
        }
        agents.sort();
        agents.dedup();
        agents
    }
}

/// The butterfly perturbation as recorded in the perturbed (second) trace.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Perturbation {
    /// When it fired.
    pub time: SimTime,
    /// The user slot it chose (None: nobody was connected).
    pub victim: Option<u32>,
    /// True when the victim was connected and lost its connection.
    pub disconnected: bool,
}

/// Divergence at one sample time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// Sample time.
    pub time: SimTime,
    /// Agents whose state differs.
    pub micro: u64,
    /// L1 distance between the server-load vectors, server by server (by number).
    pub macro_l1: u64,
    /// L1 distance between the sorted load vectors of running servers: the per-server
    /// distance under the best renumbering of servers (n × the Wasserstein-1 distance of
    /// the two load distributions).
    pub macro_sorted: u64,
    /// Users whose server differs (connected to another server, or connected in one
    /// branch only).
    pub users_moved: u64,
    /// Servers running in B minus servers running in A.
    pub servers_alive_diff: i64,
}

/// A run outcome compared between branch and baseline.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Connects refused by servers (`ConnectReject`).
    Rejections,
    /// Users that gave up after too many failures (`GaveUp`).
    GaveUp,
    /// Users told to move (`Migrated`).
    Migrations,
    /// Hand-offs completed (`HandoffDone`).
    Handoffs,
    /// New servers granted (`ProvisionGrant`).
    ScaleOuts,
    /// 99th percentile of time to connect, ms (to 0.1%: the model's streaming histogram);
    /// NaN (printed n/a, never worse) when no user connected in the span. The perturbed
    /// user's own reconnection is left out: it is the perturbation, not a consequence.
    TtcP99,
    /// Mean over samples of the coefficient of variation of running servers' loads.
    LoadSpread,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Rejections,
        Outcome::GaveUp,
        Outcome::Migrations,
        Outcome::Handoffs,
        Outcome::ScaleOuts,
        Outcome::TtcP99,
        Outcome::LoadSpread,
    ];

    /// Name in reports and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Rejections => "rejections",
            Outcome::GaveUp => "gave_up",
            Outcome::Migrations => "migrations",
            Outcome::Handoffs => "handoffs",
            Outcome::ScaleOuts => "scale_outs",
            Outcome::TtcP99 => "ttc_p99_ms",
            Outcome::LoadSpread => "load_spread_cov",
        }
    }

    /// The record kind an outcome counts, for counted outcomes.
    pub fn counted_kind(self) -> Option<Kind> {
        match self {
            Outcome::Rejections => Some(Kind::ConnectReject),
            Outcome::GaveUp => Some(Kind::GaveUp),
            Outcome::Migrations => Some(Kind::Migrated),
            Outcome::Handoffs => Some(Kind::HandoffDone),
            Outcome::ScaleOuts => Some(Kind::ProvisionGrant),
            Outcome::TtcP99 | Outcome::LoadSpread => None,
        }
    }
}

/// One value per [`Outcome`], indexed by `Outcome as usize`.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Outcomes(pub [f64; 7]);

impl Outcomes {
    /// The value of one outcome.
    pub fn get(&self, o: Outcome) -> f64 {
        self.0[o as usize]
    }
}

/// Outcomes of both branches over one span of the run.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct OutcomePair {
    /// The first (baseline) trace.
    pub baseline: Outcomes,
    /// The second (perturbed) trace.
    pub branch: Outcomes,
}

impl OutcomePair {
    /// Branch minus baseline (NaN when either is undefined).
    pub fn delta(&self, o: Outcome) -> f64 {
        self.branch.get(o) - self.baseline.get(o)
    }
}

/// How a perturbation ended, as a trajectory: the verdicts are tried in declaration order
/// (after `Identical`); the first that applies is given. A verdict says how far the branch
/// moved from its baseline, never whether an outcome got worse: one pair of runs of a
/// chaotic system cannot show that (an ensemble against a null can, see the experiment
/// crate).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No perturbation and no divergence: the traces are event-for-event identical.
    Identical,
    /// Nothing was perturbed (nobody connected, or the named user was not connected).
    NoOp,
    /// Too early to tell (fewer than [`OBSERVED_SAMPLES_MIN`] samples after the
    /// perturbation), or a lasting difference too large for `contained` by the fixed rule
    /// with no null model to compare it with.
    Undetermined,
    /// No agent but the perturbed user differed at any sample.
    NoEffect,
    /// Per-server macro distance back to zero and staying there.
    Dissipated,
    /// Still different at the end, but closer to the baseline than independent runs are
    /// (φ below the null's band over the final window); without a null, small and local by
    /// the fixed rule.
    Contained,
    /// As far from its baseline as an independent run: φ inside the null's band over the
    /// final window. Says nothing about outcomes.
    Decorrelated,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 7] = [
        Verdict::Identical,
        Verdict::NoOp,
        Verdict::Undetermined,
        Verdict::NoEffect,
        Verdict::Dissipated,
        Verdict::Contained,
        Verdict::Decorrelated,
    ];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::NoOp => "no-op",
            Verdict::Undetermined => "undetermined",
            Verdict::NoEffect => "no effect",
            Verdict::Dissipated => "dissipated",
            Verdict::Contained => "contained",
            Verdict::Decorrelated => "decorrelated",
        }
    }

    /// True when the difference never healed (a growth rate means something).
    pub fn grew(self) -> bool {
        match self {
            Verdict::Contained | Verdict::Decorrelated => true,
            Verdict::Identical
            | Verdict::NoOp
            | Verdict::Undetermined
            | Verdict::NoEffect
            | Verdict::Dissipated => false,
        }
    }

    /// True for a branch whose trajectory could be judged: a perturbation that perturbed
    /// someone, observed long enough and, if lasting, compared with a null. The
    /// denominator of P(decorrelated).
    pub fn determined(self) -> bool {
        match self {
            Verdict::NoEffect
            | Verdict::Dissipated
            | Verdict::Contained
            | Verdict::Decorrelated => true,
            Verdict::Identical | Verdict::NoOp | Verdict::Undetermined => false,
        }
    }
}

/// What the null model says about the end of the run, for the verdict: the branch's
/// distance as a fraction of the independent runs' (φ over the final window), and the
/// band the references themselves span.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct NullEvidence {
    /// φ over the final window: the branch's summed distance over the mean reference's.
    pub phi_end: f64,
    /// The least and greatest reference's own ratio over the same window.
    pub band: (f64, f64),
}

/// What the verdict is decided from (a pure function of these, for testing).
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// The perturbation, if the second trace has one.
    pub perturbation: Option<Perturbation>,
    /// True when the traces differ at all.
    pub diverged: bool,
    /// Samples strictly after the perturbation (or the first divergence).
    pub samples_after: usize,
    /// Agents other than the perturbed user that differed at some sample.
    pub differed_beyond_victim: u64,
    /// Agents other than the perturbed user whose handled events differ.
    pub cascade_beyond_victim: u64,
    /// The per-server macro distance returned to zero for good.
    pub reconverged: bool,
    /// Largest per-server macro distance.
    pub peak_macro: u64,
    /// Diverged agents (event level).
    pub cascade_size: u64,
    /// Agents that could have diverged.
    pub agents_total: u64,
    /// The null model's comparison over the final window, when reference runs were made.
    pub null: Option<NullEvidence>,
}

/// True for a difference that lasted to the end and was observed long enough: a growth
/// rate means something (a lasting difference without a null is `undetermined`, and
/// still grew).
fn lasting(e: &Evidence, v: Verdict) -> bool {
    v.grew() || (v == Verdict::Undetermined && e.samples_after >= OBSERVED_SAMPLES_MIN)
}

/// The verdict: the first of [`Verdict`]'s cases that applies.
pub fn verdict(e: &Evidence) -> Verdict {
    let perturbed_nobody = e.perturbation.is_some_and(|p| !p.disconnected);
    if !e.diverged && e.perturbation.is_none() {
        Verdict::Identical
    } else if perturbed_nobody && e.cascade_beyond_victim == 0 {
        Verdict::NoOp
    } else if e.samples_after < OBSERVED_SAMPLES_MIN {
        Verdict::Undetermined
    } else if e.differed_beyond_victim == 0 {
        Verdict::NoEffect
    } else if e.reconverged {
        Verdict::Dissipated
    } else {
        match e.null {
            Some(n) if n.phi_end >= n.band.0 => Verdict::Decorrelated,
            Some(_) => Verdict::Contained,
            None if e.peak_macro <= CONTAINED_MACRO_MAX
                && e.cascade_size * 100 <= CONTAINED_CASCADE_PERCENT * e.agents_total.max(1) =>
            {
                Verdict::Contained
            }
            None => Verdict::Undetermined,
        }
    }
}

/// Everything `diff` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Id layout shared by both traces.
    pub layout: Layout,
    /// Server capacity of the first trace's scenario (for printing loads).
    pub capacity: u32,
    /// Events in each trace.
    pub events: (u64, u64),
    /// The perturbation recorded in the second trace, if any.
    pub perturbation: Option<Perturbation>,
    /// How long its victim waits before searching again (`butterfly.reconnect_after` of
    /// the second trace's scenario); None: at once.
    pub reconnect_after: Option<SimTime>,
    /// The first differing event, if any.
    pub first: Option<FirstDivergence>,
    /// Start of the "after" window: the perturbation, else the first divergence, else
    /// the end.
    pub window_start: SimTime,
    /// Divergence per sample.
    pub points: Vec<Point>,
    /// Distinct agents whose handled events differ (the perturbation agent excluded):
    /// the node count of `why`'s tree.
    pub cascade_size: u64,
    /// Distinct servers among them.
    pub reach_servers: u64,
    /// Distinct agents whose state differed at some sample (a subset of the cascade:
    /// agents that differed only between samples are not in it).
    pub differed_at_sample: u64,
    /// Agents that could have differed: servers started and users alive in either trace,
    /// plus any other diverged agent (the environment or the coordinator).
    pub agents_total: u64,
    /// Since when the per-server macro distance has been zero up to the end, if it
    /// returned there after diverging.
    pub reconverged_at: Option<SimTime>,
    /// The growth phase's least-squares slope of ln(micro); only when the difference did
    /// not heal.
    pub growth: Option<Growth>,
    /// The null model (reference runs of other seeds), when it was made.
    pub null: Option<crate::null::Null>,
    /// The first sample time after the perturbation at which φ entered the null's band.
    pub decorrelation_time: Option<SimTime>,
    /// Outcomes over the whole run.
    pub outcomes_run: OutcomePair,
    /// Outcomes from [`Report::window_start`] on.
    pub outcomes_after: OutcomePair,
    /// What the verdict was decided from.
    pub evidence: Evidence,
    /// The verdict.
    pub verdict: Verdict,
}

impl Report {
    /// The sample with the largest micro divergence.
    pub fn peak_micro(&self) -> Option<&Point> {
        self.points
            .iter()
            .max_by_key(|p| (p.micro, std::cmp::Reverse(p.time)))
    }
    /// The sample with the largest per-server macro divergence.
    pub fn peak_macro(&self) -> Option<&Point> {
        self.points
            .iter()
            .max_by_key(|p| (p.macro_l1, std::cmp::Reverse(p.time)))
    }
    /// The sample with the largest sorted (numbering-invariant) macro divergence.
    pub fn peak_sorted(&self) -> Option<&Point> {
        self.points
            .iter()
            .max_by_key(|p| (p.macro_sorted, std::cmp::Reverse(p.time)))
    }
    /// The last sample.
    pub fn last(&self) -> Option<&Point> {
        self.points.last()
    }

    /// The columns of [`Report::csv`], in order.
    pub const CSV_COLUMNS: &'static str = "time_s,micro,macro_l1,macro_sorted,users_moved,servers_alive_diff,\
        null_micro,null_macro_l1,null_users_moved,phi_micro,phi_macro_l1,phi_users_moved,\
        band_low,band_high";

    /// CSV of the per-sample divergence: the pair's distances, then (empty without a null)
    /// the references' mean distances, φ of each measure and the band of the verdict's
    /// measure.
    pub fn csv(&self) -> String {
        let mut out = format!("{}\n", Self::CSV_COLUMNS);
        let phis: Vec<Vec<Option<f64>>> = match &self.null {
            Some(null) => crate::null::Measure::ALL
                .iter()
                .map(|&m| null.phi(m, &self.points))
                .collect(),
            None => Vec::new(),
        };
        for (i, p) in self.points.iter().enumerate() {
            out.push_str(&format!(
                "{:.6},{},{},{},{},{}",
                p.time.as_secs_f64(),
                p.micro,
                p.macro_l1,
                p.macro_sorted,
                p.users_moved,
                p.servers_alive_diff
            ));
            let opt = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.4}"));
            match &self.null {
                Some(null) => {
                    for m in crate::null::Measure::ALL {
                        out.push_str(&format!(",{:.2}", null.mean(m, i)));
                    }
                    for phi in &phis {
                        out.push_str(&format!(",{}", opt(phi[i])));
                    }
                    let band = null.band(crate::null::VERDICT_MEASURE, i);
                    out.push_str(&format!(
                        ",{},{}",
                        opt(band.map(|b| b.0)),
                        opt(band.map(|b| b.1))
                    ));
                }
                None => out.push_str(",,,,,,,,"),
            }
            out.push('\n');
        }
        out
    }

    /// This report judged against a null model: φ over the final window, the verdict
    /// again, the decorrelation time, and the growth phase up to half the null's level.
    pub fn with_null(mut self, null: crate::null::Null) -> Report {
        let m = crate::null::VERDICT_MEASURE;
        self.evidence.null = null.final_window(m, &self.points);
        self.verdict = verdict(&self.evidence);
        self.decorrelation_time = null.decorrelation_time(m, &self.points, self.window_start);
        self.growth = if lasting(&self.evidence, self.verdict) {
            growth(&self.points, Some(null.saturation(Measure::Micro)))
        } else {
            None
        };
        self.null = Some(null);
        self
    }

    /// The verdict ladder and its thresholds, printed with every verdict.
    pub fn thresholds() -> String {
        format!(
            "verdicts, the first that applies: no-op = nobody was disconnected; \
             undetermined = fewer than {OBSERVED_SAMPLES_MIN} samples after the perturbation, or a lasting \
             difference with no null model to compare it with; \
             no effect = no agent but the disconnected user differed at any sample; \
             dissipated = per-server L1 back to 0 for the last {DISSIPATED_HOLD_SAMPLES}+ samples; \
             decorrelated = phi (agents differing from the baseline / agents differing between the \
             baseline and independent runs) over the last {FINAL_WINDOW_SAMPLES} samples inside the band \
             of the independent runs' own ratios (at or above the lowest); \
             contained = otherwise: closer to the baseline than any independent run (without a null: \
             peak per-server L1 <= {CONTAINED_MACRO_MAX} users and cascade <= {CONTAINED_CASCADE_PERCENT}% of agents).\n\
             A verdict describes the trajectory, not outcomes: whether anything got worse is a test \
             over an ensemble (butterfly --repeat)."
        )
    }

    fn style(&self) -> crate::text::Style {
        crate::text::Style {
            layout: self.layout,
            capacity: self.capacity,
        }
    }

    /// "U9 disconnected at t=20s", "nobody disconnected at t=0s (no user was connected)".
    pub fn perturbation_line(&self) -> Option<String> {
        let p = self.perturbation?;
        Some(match (p.victim, p.disconnected) {
            (Some(u), true) => match self.reconnect_after {
                Some(wait) => format!(
                    "U{u} disconnected at t={}, searching again after {}",
                    p.time,
                    Dur(wait.0)
                ),
                None => format!("U{u} disconnected at t={}", p.time),
            },
            (Some(u), false) => format!(
                "nobody disconnected at t={} (U{u} was not connected)",
                p.time
            ),
            (None, _) => format!(
                "nobody disconnected at t={} (no user was connected)",
                p.time
            ),
        })
    }
}

fn signed(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        "n/a".into()
    } else if x == 0.0 {
        format!("{:.decimals$}", 0.0)
    } else {
        format!("{x:+.decimals$}")
    }
}

fn decimals(o: Outcome) -> usize {
    match o {
        Outcome::Rejections
        | Outcome::GaveUp
        | Outcome::Migrations
        | Outcome::Handoffs
        | Outcome::ScaleOuts => 0,
        Outcome::TtcP99 => 3,
        Outcome::LoadSpread => 4,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let style = self.style();
        writeln!(f, "events: {} vs {}", self.events.0, self.events.1)?;
        if let Some(line) = self.perturbation_line() {
            writeln!(f, "perturbation: {line}")?;
        }
        let Some(first) = &self.first else {
            writeln!(f, "no divergence: the traces are event-for-event identical")?;
            writeln!(f, "verdict: {}", self.verdict.name())?;
            return writeln!(f, "  ({})", Report::thresholds());
        };
        writeln!(
            f,
            "first divergence: event {} at t={}",
            first.index, first.time
        )?;
        let show = |e: &Option<Event>| e.map_or("(end of trace)".to_string(), |e| style.line(&e));
        writeln!(f, "  perturbed: {}", show(&first.b))?;
        writeln!(f, "  baseline:  {}", show(&first.a))?;
        if let (Some(pm), Some(peak_macro), Some(peak_sorted), Some(last)) = (
            self.peak_micro(),
            self.peak_macro(),
            self.peak_sorted(),
            self.last(),
        ) {
            writeln!(
                f,
                "peak micro divergence: {} agents at t={}",
                pm.micro, pm.time
            )?;
            writeln!(
                f,
                "peak macro divergence: per-server L1 {} at t={}; sorted L1 {} at t={}",
                peak_macro.macro_l1, peak_macro.time, peak_sorted.macro_sorted, peak_sorted.time
            )?;
            writeln!(
                f,
                "final divergence: micro {}, per-server L1 {}, sorted L1 {}, users on another server {}, servers alive {:+}",
                last.micro,
                last.macro_l1,
                last.macro_sorted,
                last.users_moved,
                last.servers_alive_diff
            )?;
        }
        writeln!(
            f,
            "cascade size: {} of {} agents diverged ({} servers reached), {} differed at a sample",
            self.cascade_size, self.agents_total, self.reach_servers, self.differed_at_sample
        )?;
        match self.reconverged_at {
            Some(t) => writeln!(f, "per-server L1 back to 0 at t={t} and stayed there")?,
            None => writeln!(f, "per-server L1 did not return to 0 for good")?,
        }
        if let Some(null) = &self.null {
            let m = crate::null::VERDICT_MEASURE;
            writeln!(
                f,
                "null model: {} independent runs (other seeds) against the baseline",
                null.references()
            )?;
            for measure in Measure::ALL {
                if let Some(e) = null.final_window(measure, &self.points) {
                    writeln!(
                        f,
                        "  phi {:<12} {:.2} over the last {FINAL_WINDOW_SAMPLES} samples (independent runs: {:.2}..{:.2}){}",
                        measure.name(),
                        e.phi_end,
                        e.band.0,
                        e.band.1,
                        if measure == m { "  <- verdict" } else { "" }
                    )?;
                }
            }
            match self.decorrelation_time {
                Some(t) => writeln!(
                    f,
                    "decorrelation time: {} after the perturbation (phi entered the band at t={t})",
                    Dur(t.since(self.window_start))
                )?,
                None => writeln!(f, "decorrelation time: n/a (phi never entered the band)")?,
            }
        } else {
            writeln!(
                f,
                "null model: none (no reference runs: no verdict above contained)"
            )?;
        }
        match self.growth {
            Some(g) => writeln!(
                f,
                "growth rate: {:.4}{} per simulated second (slope of ln micro over {} samples, t={}..{})",
                g.rate,
                g.ci.map_or(String::new(), |(lo, hi)| format!(" [{lo:.4}, {hi:.4}]")),
                g.samples,
                g.from,
                g.to
            )?,
            None => writeln!(
                f,
                "growth rate: n/a (only for a lasting difference: contained, decorrelated)"
            )?,
        }
        writeln!(
            f,
            "outcomes, branch - baseline (branch vs baseline): whole run | after t={}{}",
            self.window_start,
            if self.null.is_some() {
                " | delta / sd of independent runs' deltas"
            } else {
                ""
            }
        )?;
        for o in Outcome::ALL {
            let d = decimals(o);
            let cell = |pair: &OutcomePair| {
                let value = |x: f64| {
                    if x.is_nan() {
                        "n/a".to_string()
                    } else {
                        format!("{x:.d$}")
                    }
                };
                format!(
                    "{:>8} ({} vs {})",
                    signed(pair.delta(o), d),
                    value(pair.branch.get(o)),
                    value(pair.baseline.get(o))
                )
            };
            let z = self.null.as_ref().map(|null| {
                match (null.outcome_sd(o), self.outcomes_after.delta(o)) {
                    (Some(sd), delta) if sd > 0.0 && delta.is_finite() => {
                        format!(" | {:+.2} (sd {sd:.prec$})", delta / sd, prec = d + 2)
                    }
                    _ => " | n/a".to_string(),
                }
            });
            let line = format!(
                "  {:<16} {:<30} | {:<28}{}",
                o.name(),
                cell(&self.outcomes_run),
                cell(&self.outcomes_after),
                z.unwrap_or_default()
            );
            writeln!(f, "{}", line.trim_end())?;
        }
        writeln!(f, "verdict: {}", self.verdict.name())?;
        writeln!(f, "  ({})", Report::thresholds())
    }
}

/// Outcomes of one trace, over the whole run and from the window's start on.
#[derive(Clone)]
struct Tally {
    window_start: SimTime,
    counts: [[u64; 7]; 2],
    /// Time to connect, in the model's own streaming histogram: memory stays flat.
    ttc: [ConnectTimes; 2],
    /// Per user slot, when its current search started; None for a search the
    /// perturbation started (its length is the perturbation, not a consequence).
    since: Vec<Option<SimTime>>,
    spread: [(f64, u64); 2],
}

impl Tally {
    fn new(layout: Layout, window_start: SimTime) -> Tally {
        Tally {
            window_start,
            counts: [[0; 7]; 2],
            ttc: [ConnectTimes::default(), ConnectTimes::default()],
            since: vec![Some(SimTime::ZERO); layout.n_users as usize],
            spread: [(0.0, 0); 2],
        }
    }

    fn spans(&self, time: SimTime) -> &'static [usize] {
        if time >= self.window_start {
            &[0, 1]
        } else {
            &[0]
        }
    }

    fn event(&mut self, layout: &Layout, e: &Event) {
        let spans = self.spans(e.time);
        for o in Outcome::ALL {
            if o.counted_kind() == Some(e.kind) {
                for &s in spans {
                    self.counts[s][o as usize] += 1;
                }
            }
        }
        // Time to connect as the users measure it: from the start of a search (spawn,
        // lost or refused server, migration, perturbation) to Connected.
        if let swarmlb_model::ids::Agent::User(slot) = layout.agent(e.target) {
            let slot = slot as usize;
            match (e.kind.fold(), e.kind) {
                // A retry goes on with the same search.
                (Fold::Search, Kind::Retry) => {}
                // The victim's own way back (with `butterfly.reconnect_after`, a forced
                // wait) is the perturbation itself: left out.
                (Fold::Search, Kind::Perturbed) => self.since[slot] = None,
                (Fold::Search, _) => self.since[slot] = Some(e.time),
                (Fold::Connect, _) => {
                    if let Some(since) = self.since[slot] {
                        for &s in spans {
                            self.ttc[s].record(e.time.since(since));
                        }
                    }
                }
                (
                    Fold::Nothing
                    | Fold::Backoff
                    | Fold::Die
                    | Fold::Start
                    | Fold::Load
                    | Fold::Offer
                    | Fold::Refused
                    | Fold::Drain
                    | Fold::Terminate
                    | Fold::Crash,
                    _,
                ) => {}
            }
        }
    }

    /// Count the load spread of `observed` at `time`, and return it.
    fn sample(&mut self, time: SimTime, observed: &Observed) -> f64 {
        let (_, _, cov, _) = swarmlb_model::metrics::load_stats(&observed.running_loads());
        self.add_spread(time, cov);
        cov
    }

    fn add_spread(&mut self, time: SimTime, cov: f64) {
        for &s in self.spans(time) {
            self.spread[s].0 += cov;
            self.spread[s].1 += 1;
        }
    }

    fn outcomes(&self, span: usize) -> Outcomes {
        let mut v = [0.0; 7];
        for o in Outcome::ALL {
            v[o as usize] = match o {
                Outcome::Rejections
                | Outcome::GaveUp
                | Outcome::Migrations
                | Outcome::Handoffs
                | Outcome::ScaleOuts => self.counts[span][o as usize] as f64,
                // No connection, no percentile: NaN compares as neither better nor worse.
                Outcome::TtcP99 if self.ttc[span].is_empty() => f64::NAN,
                Outcome::TtcP99 => self.ttc[span].quantile(0.99) as f64 / 1000.0,
                Outcome::LoadSpread => {
                    let (sum, n) = self.spread[span];
                    if n == 0 { 0.0 } else { sum / n as f64 }
                }
            };
        }
        Outcomes(v)
    }
}

/// Fold every event at or before `time` into `state`, counting outcomes on the way.
fn fold_counting<R: Read>(
    cursor: &mut Cursor<R>,
    state: &mut State,
    tally: &mut Tally,
    time: SimTime,
) -> Result<(), TraceError> {
    loop {
        match cursor.peek()? {
            Some(Item::Event(e)) if e.time <= time => {
                let e = *e;
                cursor.next_item()?;
                tally.event(&state.observed.layout, &e);
                state.apply(&e);
            }
            Some(Item::Checkpoint { .. }) => {
                cursor.next_item()?;
            }
            _ => return Ok(()),
        }
    }
}

/// Compare two traces, the baseline first and the perturbed branch second; `open`
/// reopens them for each of the three passes (streaming: each pass reads the files from
/// the start, one block of each in memory). Samples every `interval`.
pub fn diff<R: Read>(
    open: impl FnMut() -> Result<(TraceReader<R>, TraceReader<R>), TraceError>,
    interval: Option<SimTime>,
) -> Result<Report, DiffError> {
    diff_from(open, interval, None)
}

/// [`diff`] with the "after" window starting at `window_from` when given (an experiment
/// knows when it perturbed, whatever the perturbation; a crash records no butterfly).
pub fn diff_from<R: Read>(
    mut open: impl FnMut() -> Result<(TraceReader<R>, TraceReader<R>), TraceError>,
    interval: Option<SimTime>,
    window_from: Option<SimTime>,
) -> Result<Report, DiffError> {
    // Pass 1: the first differing event, and the perturbation.
    let (a, b) = open()?;
    let layout = a.layout();
    if layout != b.layout() {
        return Err(DiffError::Mismatch(format!(
            "{} and {} come from different layouts ({:?} vs {:?}); diff compares runs of one scenario",
            a.name().display(),
            b.name().display(),
            a.layout(),
            b.layout()
        )));
    }
    let scenario = a.scenario()?;
    let b_scenario = b.scenario()?;
    let interval = interval.unwrap_or(scenario.sample_interval.time());
    // A point is kept per sample: bound their number as scenarios bound theirs.
    let samples = scenario.duration.us() / interval.as_micros().max(1);
    if interval.as_micros() < limits::SAMPLE_INTERVAL_MIN_US || samples > limits::SAMPLES_MAX {
        return Err(DiffError::Mismatch(format!(
            "a sample interval of {} over {} makes {} samples; the interval must be at least 1ms \
             and give at most {} samples",
            interval,
            scenario.duration,
            limits::words(samples),
            limits::words(limits::SAMPLES_MAX)
        )));
    }
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    let mut first = None;
    let mut perturbation: Option<Perturbation> = None;
    let mut index = 0;
    let (mut end_a, mut end_b) = (SimTime::ZERO, SimTime::ZERO);
    let (mut n_a, mut n_b) = (0u64, 0u64);
    let mut perturbed_first = false;
    loop {
        let (ea, eb) = (ca.next_event()?, cb.next_event()?);
        if let Some(e) = ea {
            n_a += 1;
            end_a = e.time;
            perturbed_first |= e.kind == Kind::Butterfly;
        }
        if let Some(e) = eb {
            n_b += 1;
            end_b = e.time;
            match (e.kind, &mut perturbation) {
                (Kind::Butterfly, None) => {
                    perturbation = Some(Perturbation {
                        time: e.time,
                        victim: (e.value != NONE).then_some(e.value),
                        disconnected: false,
                    });
                }
                (Kind::Perturbed, Some(p))
                    if p.victim.map(|u| layout.user(u)) == Some(e.target) =>
                {
                    p.disconnected = true;
                }
                _ => {}
            }
        }
        if ea.is_none() && eb.is_none() {
            break;
        }
        if first.is_none() && ea != eb {
            let time = match (ea, eb) {
                (Some(x), Some(y)) => x.time.min(y.time),
                (Some(x), None) | (None, Some(x)) => x.time,
                (None, None) => unreachable!(),
            };
            first = Some(FirstDivergence {
                index,
                time,
                a: ea,
                b: eb,
            });
        }
        index += 1;
    }
    if perturbed_first && perturbation.is_none() {
        return Err(DiffError::Mismatch(
            "the first trace has the butterfly perturbation and the second has none; \
             pass the baseline first, then the perturbed branch"
                .into(),
        ));
    }
    let reconnect_after = b_scenario
        .butterfly
        .as_ref()
        .and_then(|x| x.reconnect_after)
        .filter(|d| d.us() > 0)
        .map(|d| d.time());
    let end = end_a.max(end_b);
    let window_start = perturbation
        .map(|p| p.time)
        .or(first.as_ref().map(|f| f.time))
        .unwrap_or(end);
    let victim = perturbation.and_then(|p| p.victim).map(|u| layout.user(u));
    // Pass 2: fold both to each sample time and compare.
    let window_start = window_from.unwrap_or(window_start);
    let (a, b) = open()?;
    let mut times = Vec::new();
    let mut t = SimTime::ZERO;
    loop {
        times.push(t);
        if t >= end {
            break;
        }
        t = t.plus(interval.0).min(end);
    }
    let series = Series::fold(a, b, &times, window_start)?;
    let (points, ever, ever_alive, ta, tb) = (
        series.points,
        series.ever,
        series.ever_alive,
        series.tallies[0].clone(),
        series.tallies[1].clone(),
    );
    let n_servers = layout.max_servers as usize;
    // Pass 3: which agents' histories differ (the nodes of `why`'s tree).
    let (a, b) = open()?;
    let tree = crate::why::tree(a, b)?;
    let mut counted = ever_alive.clone();
    let mut specials = 0;
    let mut reach_servers = 0;
    let mut victim_diverged = false;
    for n in &tree.nodes {
        victim_diverged |= Some(n.agent) == victim;
        match layout.agent(n.agent) {
            swarmlb_model::ids::Agent::Server(i) => {
                reach_servers += 1;
                counted[i as usize] = true;
            }
            swarmlb_model::ids::Agent::User(u) => counted[n_servers + u as usize] = true,
            swarmlb_model::ids::Agent::Env
            | swarmlb_model::ids::Agent::Coordinator
            | swarmlb_model::ids::Agent::Perturber => specials += 1,
        }
    }
    let cascade_size = tree.cascade_size();
    let agents_total = counted.iter().filter(|&&x| x).count() as u64 + specials;
    let differed_at_sample = ever.iter().filter(|&&x| x).count() as u64;
    let victim_differed = victim.is_some_and(|v| match layout.agent(v) {
        swarmlb_model::ids::Agent::User(u) => ever[n_servers + u as usize],
        _ => false,
    });
    let reconverged_at = first.as_ref().and_then(|f| reconverged(&points, f.time));
    let outcomes_run = OutcomePair {
        baseline: ta.outcomes(0),
        branch: tb.outcomes(0),
    };
    let outcomes_after = OutcomePair {
        baseline: ta.outcomes(1),
        branch: tb.outcomes(1),
    };
    let evidence = Evidence {
        perturbation,
        diverged: first.is_some(),
        samples_after: points.iter().filter(|p| p.time > window_start).count(),
        differed_beyond_victim: differed_at_sample - u64::from(victim_differed),
        cascade_beyond_victim: cascade_size - u64::from(victim_diverged),
        reconverged: reconverged_at.is_some(),
        peak_macro: points.iter().map(|p| p.macro_l1).max().unwrap_or(0),
        cascade_size,
        agents_total,
        null: None,
    };
    let verdict = verdict(&evidence);
    let growth = if lasting(&evidence, verdict) {
        growth(&points, None)
    } else {
        None
    };
    Ok(Report {
        layout,
        capacity: scenario.servers.capacity,
        events: (n_a, n_b),
        perturbation,
        reconnect_after,
        first,
        window_start,
        points,
        cascade_size,
        reach_servers,
        differed_at_sample,
        agents_total,
        reconverged_at,
        growth,
        null: None,
        decorrelation_time: None,
        outcomes_run,
        outcomes_after,
        evidence,
        verdict,
    })
}

/// Two traces folded side by side to a list of sample times.
struct Series {
    points: Vec<Point>,
    /// Per agent slot (servers, then users): differed at some sample.
    ever: Vec<bool>,
    /// Per agent slot: alive at some sample in either trace.
    ever_alive: Vec<bool>,
    tallies: [Tally; 2],
}

impl Series {
    fn fold<R: Read>(
        a: TraceReader<R>,
        b: TraceReader<R>,
        times: &[SimTime],
        window_start: SimTime,
    ) -> Result<Series, TraceError> {
        let layout = a.layout();
        let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
        let (mut sa, mut sb) = (State::new(layout), State::new(layout));
        let (mut ta, mut tb) = (
            Tally::new(layout, window_start),
            Tally::new(layout, window_start),
        );
        let n_servers = layout.max_servers as usize;
        let mut ever = vec![false; n_servers + layout.n_users as usize];
        let mut ever_alive = vec![false; ever.len()];
        let mut points = Vec::with_capacity(times.len());
        // Events folded at the last sample: a sample after which neither trace moved
        // repeats it, so a long quiet span costs a copy per sample, not a pass over every
        // agent (a header of 100k servers over 366 days and two events took hours before).
        let mut folded_at_last = None;
        let mut spread_at_last = (0.0, 0.0);
        for &t in times {
            fold_counting(&mut ca, &mut sa, &mut ta, t)?;
            fold_counting(&mut cb, &mut sb, &mut tb, t)?;
            if let (Some(last), Some(&previous)) = (folded_at_last, points.last())
                && last == (sa.events, sb.events)
            {
                ta.add_spread(t, spread_at_last.0);
                tb.add_spread(t, spread_at_last.1);
                points.push(Point {
                    time: t,
                    ..previous
                });
                continue;
            }
            folded_at_last = Some((sa.events, sb.events));
            let (oa, ob) = (&sa.observed, &sb.observed);
            spread_at_last = (ta.sample(t, oa), tb.sample(t, ob));
            let mut micro = 0;
            for_each_agent(oa, ob, |i, alive, differs| {
                ever_alive[i] |= alive;
                if differs {
                    micro += 1;
                    ever[i] = true;
                }
            });
            let (macro_l1, servers_alive_diff) = macro_distance(oa, ob);
            points.push(Point {
                time: t,
                micro,
                macro_l1,
                macro_sorted: sorted_distance(oa, ob),
                users_moved: users_moved(oa, ob),
                servers_alive_diff,
            });
        }
        Ok(Series {
            points,
            ever,
            ever_alive,
            tallies: [ta, tb],
        })
    }
}

/// The distances between two runs of one layout at the given sample times, and their
/// outcomes from `window_start` on (the first as `baseline`): what a null model needs of
/// one reference run, without the causal tree.
pub fn distances<R: Read>(
    a: TraceReader<R>,
    b: TraceReader<R>,
    times: &[SimTime],
    window_start: SimTime,
) -> Result<(Vec<Point>, OutcomePair), DiffError> {
    if a.layout() != b.layout() {
        return Err(DiffError::Mismatch(format!(
            "{} and {} come from different layouts; distances compare runs of one scenario",
            a.name().display(),
            b.name().display()
        )));
    }
    let series = Series::fold(a, b, times, window_start)?;
    let pair = OutcomePair {
        baseline: series.tallies[0].outcomes(1),
        branch: series.tallies[1].outcomes(1),
    };
    Ok((series.points, pair))
}

/// Visit every agent slot of two states (servers, then users, as `index` into one
/// sequence): whether it was ever alive in either, and whether its state differs. The one
/// definition of "differs" that `diff` and the viewer share.
pub fn for_each_agent(a: &Observed, b: &Observed, mut f: impl FnMut(usize, bool, bool)) {
    let n_servers = a.servers.len();
    for (i, (x, y)) in a.servers.iter().zip(&b.servers).enumerate() {
        f(i, x.0 != ServerView::Off || y.0 != ServerView::Off, x != y);
    }
    for (j, (x, y)) in a.users.iter().zip(&b.users).enumerate() {
        f(
            n_servers + j,
            *x != UserView::Dead || *y != UserView::Dead,
            x != y,
        );
    }
}

/// Macro divergence: the L1 distance of the server-load vectors by server number (a
/// server not running counts as load 0) and servers running in `b` minus in `a`.
pub fn macro_distance(a: &Observed, b: &Observed) -> (u64, i64) {
    let l1 = a
        .loads()
        .zip(b.loads())
        .map(|(x, y)| u64::from(x.abs_diff(y)))
        .sum();
    (
        l1,
        i64::from(b.servers_running()) - i64::from(a.servers_running()),
    )
}

/// Numbering-invariant macro divergence: the L1 distance between the sorted loads of the
/// running servers, the shorter list padded with zeros (a server running in one branch
/// only counts against an idle one). It is the smallest per-server L1 over all
/// renumberings of the servers.
pub fn sorted_distance(a: &Observed, b: &Observed) -> u64 {
    let (mut x, mut y) = (a.running_loads(), b.running_loads());
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    x.sort_unstable();
    y.sort_unstable();
    x.iter()
        .zip(&y)
        .map(|(p, q)| u64::from(p.abs_diff(*q)))
        .sum()
}

/// Users whose server differs: connected to different servers, or connected in one
/// branch only.
pub fn users_moved(a: &Observed, b: &Observed) -> u64 {
    let server = |u: &UserView| match u {
        UserView::Connected(s) => Some(*s),
        UserView::Dead | UserView::Connecting(_) | UserView::Backoff => None,
    };
    a.users
        .iter()
        .zip(&b.users)
        .filter(|(x, y)| server(x) != server(y))
        .count() as u64
}

/// Micro and macro divergence of two states at `time`.
pub fn point(time: SimTime, a: &Observed, b: &Observed) -> Point {
    let (macro_l1, servers_alive_diff) = macro_distance(a, b);
    Point {
        time,
        micro: micro_distance(a, b),
        macro_l1,
        macro_sorted: sorted_distance(a, b),
        users_moved: users_moved(a, b),
        servers_alive_diff,
    }
}

/// Micro divergence of two states: how many agents differ.
pub fn micro_distance(a: &Observed, b: &Observed) -> u64 {
    let mut n = 0;
    for_each_agent(a, b, |_, _, differs| n += u64::from(differs));
    n
}

/// The start of the final run of zero per-server macro distance after the first
/// divergence, if it lasts at least [`DISSIPATED_HOLD_SAMPLES`] samples (a difference
/// that never moved a load counts as back at zero from the divergence on).
pub fn reconverged(points: &[Point], first: SimTime) -> Option<SimTime> {
    let start = points.iter().position(|p| p.time >= first)?;
    let after = &points[start..];
    let from = after
        .iter()
        .rposition(|p| p.macro_l1 > 0)
        .map_or(0, |i| i + 1);
    let tail = &after[from..];
    (tail.len() >= DISSIPATED_HOLD_SAMPLES).then(|| tail[0].time)
}

/// The growth rate of a lasting difference: the least-squares slope of ln(micro) per
/// simulated second over the growth phase, with its 95% t interval and the fit window.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Growth {
    /// Slope of ln(micro), per simulated second.
    pub rate: f64,
    /// Its 95% interval (Student t with n − 2 degrees of freedom); None below 3 samples.
    pub ci: Option<(f64, f64)>,
    /// First sample of the fit.
    pub from: SimTime,
    /// Last sample of the fit.
    pub to: SimTime,
    /// Samples in the fit.
    pub samples: usize,
}

/// The growth phase of ln(micro): from the first sample with micro > 0 to the first that
/// reaches half the `saturation` level (the null's D∞; without one, to the first peak),
/// fitted by least squares. A phase of one sample has rate 0.
pub fn growth(points: &[Point], saturation: Option<f64>) -> Option<Growth> {
    let start = points.iter().position(|p| p.micro > 0)?;
    let peak = start
        + points[start..]
            .iter()
            .enumerate()
            .max_by_key(|(i, p)| (p.micro, std::cmp::Reverse(*i)))?
            .0;
    let end = saturation
        .and_then(|s| {
            points[start..]
                .iter()
                .position(|p| p.micro as f64 >= s / 2.0)
                .map(|i| start + i)
        })
        .unwrap_or(peak);
    let phase: Vec<(f64, f64)> = points[start..=end]
        .iter()
        .filter(|p| p.micro > 0)
        .map(|p| (p.time.as_secs_f64(), (p.micro as f64).ln()))
        .collect();
    let (from, to) = (points[start].time, points[end].time);
    let n = phase.len();
    if n < 2 {
        return Some(Growth {
            rate: 0.0,
            ci: None,
            from,
            to,
            samples: n,
        });
    }
    let nf = n as f64;
    let (sx, sy) = phase
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / nf, sy / nf);
    let (sxy, sxx) = phase.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let rate = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let ci = (n >= 3 && sxx > 0.0).then(|| {
        let ssr: f64 = phase
            .iter()
            .map(|(x, y)| (y - my - rate * (x - mx)).powi(2))
            .sum();
        let se = (ssr / (nf - 2.0) / sxx).sqrt();
        let half = crate::interval::t_975(n as u64 - 2) * se;
        (rate - half, rate + half)
    });
    Some(Growth {
        rate,
        ci,
        from,
        to,
        samples: n,
    })
}

/// Mean and half-width of its 95% confidence interval (Student's t, sample standard
/// deviation, from [`crate::interval`]); the half-width is None for fewer than two values.
pub fn mean_ci95(values: &[f64]) -> Option<(f64, Option<f64>)> {
    if values.is_empty() {
        return None;
    }
    let m = crate::interval::mean_ci(values);
    Some((m.mean, m.ci.map(|(low, high)| (high - low) / 2.0)))
}
