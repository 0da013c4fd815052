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
/// An outcome got worse when branch minus baseline exceeds this percentage of the
/// baseline's value, and the outcome's absolute slack ([`Outcome::slack`]).
pub const WORSE_PERCENT: f64 = 10.0;

const _: () = assert!(DISSIPATED_HOLD_SAMPLES < OBSERVED_SAMPLES_MIN);
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

    /// True when more of it is worse for users or the operator, so that an increase
    /// beyond tolerance makes the verdict `cascaded`. Migrations and hand-offs are how the
    /// system rebalances, not harm: they are reported and do not decide.
    pub fn decides(self) -> bool {
        match self {
            Outcome::Rejections
            | Outcome::GaveUp
            | Outcome::ScaleOuts
            | Outcome::TtcP99
            | Outcome::LoadSpread => true,
            Outcome::Migrations | Outcome::Handoffs => false,
        }
    }

    /// Absolute tolerance: an increase up to this is noise whatever the baseline.
    pub fn slack(self) -> f64 {
        match self {
            Outcome::Rejections
            | Outcome::GaveUp
            | Outcome::Migrations
            | Outcome::Handoffs
            | Outcome::ScaleOuts => 3.0,
            Outcome::TtcP99 => 1.0,
            Outcome::LoadSpread => 0.01,
        }
    }

    /// True when `branch` is worse than `baseline` beyond tolerance: the increase exceeds
    /// both [`Outcome::slack`] and [`WORSE_PERCENT`] of the baseline.
    pub fn worse(self, baseline: f64, branch: f64) -> bool {
        branch - baseline > self.slack().max(baseline.abs() * WORSE_PERCENT / 100.0)
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

    /// Outcomes that got worse beyond tolerance, among those that decide.
    pub fn worse(&self) -> Vec<Outcome> {
        Outcome::ALL
            .into_iter()
            .filter(|&o| o.decides() && o.worse(self.baseline.get(o), self.branch.get(o)))
            .collect()
    }

    /// Outcomes that got better by the same tolerance (the mirror of [`Self::worse`]),
    /// among those that decide: how often the dynamics alone move outcomes that far.
    pub fn better(&self) -> Vec<Outcome> {
        Outcome::ALL
            .into_iter()
            .filter(|&o| o.decides() && o.worse(self.branch.get(o), self.baseline.get(o)))
            .collect()
    }
}

/// How a perturbation ended. The verdicts are tried in declaration order (after
/// `Identical`); the first that applies is given.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No perturbation and no divergence: the traces are event-for-event identical.
    Identical,
    /// Nothing was perturbed (nobody connected, or the named user was not connected).
    NoOp,
    /// Fewer than [`OBSERVED_SAMPLES_MIN`] samples after the perturbation.
    Undetermined,
    /// No agent but the perturbed user differed at any sample.
    NoEffect,
    /// Per-server macro distance back to zero and staying there.
    Dissipated,
    /// Still different at the end, but small and local.
    Contained,
    /// Trajectories decorrelated; no outcome worse beyond tolerance.
    Diverged,
    /// Trajectories decorrelated and an outcome got worse beyond tolerance.
    Cascaded,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 8] = [
        Verdict::Identical,
        Verdict::NoOp,
        Verdict::Undetermined,
        Verdict::NoEffect,
        Verdict::Dissipated,
        Verdict::Contained,
        Verdict::Diverged,
        Verdict::Cascaded,
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
            Verdict::Diverged => "diverged",
            Verdict::Cascaded => "cascaded",
        }
    }

    /// True when the difference never healed (a growth rate means something).
    pub fn grew(self) -> bool {
        match self {
            Verdict::Contained | Verdict::Diverged | Verdict::Cascaded => true,
            Verdict::Identical
            | Verdict::NoOp
            | Verdict::Undetermined
            | Verdict::NoEffect
            | Verdict::Dissipated => false,
        }
    }
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
    /// Outcomes after the perturbation that got worse beyond tolerance.
    pub worse: Vec<Outcome>,
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
    } else if e.peak_macro <= CONTAINED_MACRO_MAX
        && e.cascade_size * 100 <= CONTAINED_CASCADE_PERCENT * e.agents_total.max(1)
    {
        Verdict::Contained
    } else if !e.worse.is_empty() {
        Verdict::Cascaded
    } else {
        Verdict::Diverged
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
    /// Slope of ln(micro) per simulated second from the first divergent sample to the
    /// peak; only when the difference did not heal.
    pub growth_rate: Option<f64>,
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

    /// CSV of the per-sample divergence.
    pub fn csv(&self) -> String {
        let mut out =
            String::from("time_s,micro,macro_l1,macro_sorted,users_moved,servers_alive_diff\n");
        for p in &self.points {
            out.push_str(&format!(
                "{:.6},{},{},{},{},{}\n",
                p.time.as_secs_f64(),
                p.micro,
                p.macro_l1,
                p.macro_sorted,
                p.users_moved,
                p.servers_alive_diff
            ));
        }
        out
    }

    /// The verdict ladder and its thresholds, printed with every verdict.
    pub fn thresholds() -> String {
        let slack = |o: Outcome| format!("{} {}", o.name(), o.slack());
        let deciding: Vec<String> = Outcome::ALL
            .into_iter()
            .filter(|o| o.decides())
            .map(slack)
            .collect();
        format!(
            "verdicts, the first that applies: no-op = nobody was disconnected; \
             undetermined = fewer than {OBSERVED_SAMPLES_MIN} samples after the perturbation; \
             no effect = no agent but the disconnected user differed at any sample; \
             dissipated = per-server L1 back to 0 for the last {DISSIPATED_HOLD_SAMPLES}+ samples; \
             contained = peak per-server L1 <= {CONTAINED_MACRO_MAX} users and cascade <= {CONTAINED_CASCADE_PERCENT}% of agents; \
             cascaded = an outcome after the perturbation got worse by more than {WORSE_PERCENT}% of the baseline and more than its slack ({}); \
             diverged = otherwise (trajectories decorrelated, no outcome worse beyond tolerance).\n\
             Distances: dissipated and contained use the per-server L1, because they ask whether the same \
             servers carry the same loads again; the sorted L1 (best renumbering) and users on another server \
             are shown beside it to tell a relabelling from a redistribution.",
            deciding.join(", ")
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
        match self.growth_rate {
            Some(g) => writeln!(
                f,
                "growth rate: {g:.4} per simulated second (slope of ln micro)"
            )?,
            None => writeln!(
                f,
                "growth rate: n/a (only for a lasting difference: contained, diverged, cascaded)"
            )?,
        }
        writeln!(
            f,
            "outcomes, branch - baseline (branch vs baseline): whole run | after t={}",
            self.window_start
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
            writeln!(
                f,
                "  {:<16} {:<30} | {}{}",
                o.name(),
                cell(&self.outcomes_run),
                cell(&self.outcomes_after),
                if self.evidence.worse.contains(&o) {
                    "  worse"
                } else if self.outcomes_after.better().contains(&o) {
                    "  better"
                } else {
                    ""
                }
            )?;
        }
        writeln!(f, "verdict: {}", self.verdict.name())?;
        writeln!(f, "  ({})", Report::thresholds())
    }
}

/// Outcomes of one trace, over the whole run and from the window's start on.
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
    mut open: impl FnMut() -> Result<(TraceReader<R>, TraceReader<R>), TraceError>,
    interval: Option<SimTime>,
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
    let (a, b) = open()?;
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    let (mut sa, mut sb) = (State::new(layout), State::new(layout));
    let (mut ta, mut tb) = (
        Tally::new(layout, window_start),
        Tally::new(layout, window_start),
    );
    let n_servers = layout.max_servers as usize;
    let mut ever = vec![false; n_servers + layout.n_users as usize];
    let mut ever_alive = vec![false; ever.len()];
    let mut points = Vec::new();
    let mut t = SimTime::ZERO;
    // Events folded at the last sample: a sample after which neither trace moved repeats
    // it, so a long quiet span costs a copy per sample, not a pass over every agent (a
    // header of 100k servers over 366 days and two events took hours before).
    let mut folded_at_last = None;
    let mut spread_at_last = (0.0, 0.0);
    loop {
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
            if t >= end {
                break;
            }
            t = t.plus(interval.0).min(end);
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
        if t >= end {
            break;
        }
        t = t.plus(interval.0).min(end);
    }
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
        worse: outcomes_after.worse(),
    };
    let verdict = verdict(&evidence);
    let growth_rate = if verdict.grew() {
        growth(&points)
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
        growth_rate,
        outcomes_run,
        outcomes_after,
        evidence,
        verdict,
    })
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

/// Least-squares slope of ln(micro) against time (seconds) from the first sample with
/// micro > 0 to the peak (the first peak when several samples share it); 0 when that
/// phase has fewer than two samples.
pub fn growth(points: &[Point]) -> Option<f64> {
    let start = points.iter().position(|p| p.micro > 0)?;
    let peak = start
        + points[start..]
            .iter()
            .enumerate()
            .max_by_key(|(i, p)| (p.micro, std::cmp::Reverse(*i)))?
            .0;
    let phase: Vec<(f64, f64)> = points[start..=peak]
        .iter()
        .filter(|p| p.micro > 0)
        .map(|p| (p.time.as_secs_f64(), (p.micro as f64).ln()))
        .collect();
    if phase.len() < 2 {
        return Some(0.0);
    }
    let n = phase.len() as f64;
    let (sx, sy) = phase
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = phase.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    Some(if den > 0.0 { num / den } else { 0.0 })
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
