//! `diff`: where two runs of one scenario part ways, and whether the difference cascades
//! or dissipates. Streaming: two passes over both traces, one block of each in memory.

use std::fmt;
use std::io::Read;

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_model::{Event, Layout, Observed};

use crate::error::TraceError;
use crate::fold::{Cursor, State};
use crate::read::TraceReader;

/// Macro distance must stay at zero for this many samples up to the end of the run for
/// the difference to count as dissipated.
pub const DISSIPATED_HOLD_SAMPLES: usize = 3;
/// A difference is contained when its macro distance never exceeds this many users...
pub const CONTAINED_MACRO_MAX: u64 = 20;
/// ...and the cascade touched at most this fraction of the agents (in per cent).
pub const CONTAINED_CASCADE_PERCENT: u64 = 5;

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

/// Divergence at one sample time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// Sample time.
    pub time: SimTime,
    /// Agents whose state differs.
    pub micro: u64,
    /// L1 distance between the server-load vectors.
    pub macro_l1: u64,
    /// Servers running in B minus servers running in A.
    pub servers_alive_diff: i64,
}

/// How a perturbation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No divergence at all.
    Identical,
    /// Macro distance back to zero and staying there.
    Dissipated,
    /// Still different at the end, but small and local.
    Contained,
    /// Spread to a large part of the system.
    Cascaded,
}

impl Verdict {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Dissipated => "dissipated",
            Verdict::Contained => "contained",
            Verdict::Cascaded => "cascaded",
        }
    }
}

/// Everything `diff` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Id layout shared by both traces.
    pub layout: Layout,
    /// Events in each trace.
    pub events: (u64, u64),
    /// The first differing event, if any.
    pub first: Option<FirstDivergence>,
    /// Divergence per sample.
    pub points: Vec<Point>,
    /// Distinct agents that ever differed at a sample.
    pub cascade_size: u64,
    /// Distinct servers among them.
    pub reach_servers: u64,
    /// Agents that could have differed: started servers plus users ever alive in either.
    pub agents_total: u64,
    /// Since when the macro distance has been zero up to the end, if it returned there
    /// after diverging.
    pub reconverged_at: Option<SimTime>,
    /// Slope of ln(micro) per simulated second from the first divergent sample to the peak.
    pub growth_rate: Option<f64>,
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
    /// The sample with the largest macro divergence.
    pub fn peak_macro(&self) -> Option<&Point> {
        self.points
            .iter()
            .max_by_key(|p| (p.macro_l1, std::cmp::Reverse(p.time)))
    }
    /// The last sample.
    pub fn last(&self) -> Option<&Point> {
        self.points.last()
    }

    /// CSV of the per-sample divergence.
    pub fn csv(&self) -> String {
        let mut out = String::from("time_s,micro,macro_l1,servers_alive_diff\n");
        for p in &self.points {
            out.push_str(&format!(
                "{:.6},{},{},{}\n",
                p.time.as_secs_f64(),
                p.micro,
                p.macro_l1,
                p.servers_alive_diff
            ));
        }
        out
    }

    /// The thresholds behind the verdict, printed with it.
    pub fn thresholds() -> String {
        format!(
            "dissipated = macro distance back to 0 for the last {DISSIPATED_HOLD_SAMPLES}+ samples; \
             contained = peak macro <= {CONTAINED_MACRO_MAX} users and cascade <= {CONTAINED_CASCADE_PERCENT}% of agents; \
             cascaded = otherwise"
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |id: AgentId| self.layout.agent(id).to_string();
        writeln!(f, "events: {} vs {}", self.events.0, self.events.1)?;
        let Some(first) = &self.first else {
            writeln!(f, "no divergence: the traces are event-for-event identical")?;
            return writeln!(f, "verdict: identical");
        };
        let agents: Vec<String> = first.agents(&self.layout).into_iter().map(name).collect();
        writeln!(
            f,
            "first divergence: event {} at t={} involving {}",
            first.index,
            first.time,
            agents.join(", ")
        )?;
        let show = |e: &Option<Event>| {
            e.map_or("(end of trace)".to_string(), |e| {
                format!(
                    "{} {} -> {} {} {}",
                    e.time,
                    name(e.source),
                    name(e.target),
                    e.kind,
                    e.value
                )
            })
        };
        writeln!(f, "  A: {}", show(&first.a))?;
        writeln!(f, "  B: {}", show(&first.b))?;
        if let (Some(pm), Some(peak_macro), Some(last)) =
            (self.peak_micro(), self.peak_macro(), self.last())
        {
            writeln!(
                f,
                "peak micro divergence: {} agents at t={}",
                pm.micro, pm.time
            )?;
            writeln!(
                f,
                "peak macro divergence: L1 {} at t={}",
                peak_macro.macro_l1, peak_macro.time
            )?;
            writeln!(
                f,
                "final divergence: micro {}, macro L1 {}, servers alive {:+}",
                last.micro, last.macro_l1, last.servers_alive_diff
            )?;
        }
        writeln!(
            f,
            "cascade size: {} of {} agents ({} servers reached)",
            self.cascade_size, self.agents_total, self.reach_servers
        )?;
        match self.reconverged_at {
            Some(t) => writeln!(f, "macro distance back to 0 at t={t} and stayed there")?,
            None => writeln!(f, "macro distance did not return to 0 for good")?,
        }
        match self.growth_rate {
            Some(g) => writeln!(
                f,
                "growth rate: {g:.4} per simulated second (slope of ln micro)"
            )?,
            None => writeln!(f, "growth rate: n/a")?,
        }
        writeln!(f, "verdict: {}", self.verdict.name())?;
        writeln!(f, "  ({})", Report::thresholds())
    }
}

/// Compare two traces; `open` reopens them for the second pass (streaming, so each
/// pass reads the files from the start). Samples every `interval`.
pub fn diff<R: Read>(
    mut open: impl FnMut() -> Result<(TraceReader<R>, TraceReader<R>), TraceError>,
    interval: Option<SimTime>,
) -> Result<Report, TraceError> {
    // Pass 1: the first differing event.
    let (a, b) = open()?;
    let layout = a.layout();
    if layout != b.layout() {
        return Err(TraceError::Incompatible(format!(
            "{} and {} come from different layouts ({:?} vs {:?}); diff compares runs of one scenario",
            a.name().display(),
            b.name().display(),
            a.layout(),
            b.layout()
        )));
    }
    let interval = interval
        .unwrap_or(SimTime(a.scenario()?.sample_interval.us()))
        .max(SimTime(1));
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    let mut first = None;
    let mut index = 0;
    let (mut end_a, mut end_b) = (SimTime::ZERO, SimTime::ZERO);
    let (mut n_a, mut n_b) = (0u64, 0u64);
    loop {
        let (ea, eb) = (ca.next_event()?, cb.next_event()?);
        if let Some(e) = ea {
            n_a += 1;
            end_a = e.time;
        }
        if let Some(e) = eb {
            n_b += 1;
            end_b = e.time;
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
    // Pass 2: fold both to each sample time and compare.
    let (a, b) = open()?;
    let (mut ca, mut cb) = (Cursor::new(a), Cursor::new(b));
    let (mut sa, mut sb) = (State::new(layout), State::new(layout));
    let end = end_a.max(end_b);
    let n_servers = layout.max_servers as usize;
    let mut ever = vec![false; n_servers + layout.n_users as usize];
    let mut ever_alive = vec![false; ever.len()];
    let mut points = Vec::new();
    let mut t = SimTime::ZERO;
    loop {
        ca.fold_until(&mut sa, t)?;
        cb.fold_until(&mut sb, t)?;
        let (oa, ob) = (&sa.observed, &sb.observed);
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
            servers_alive_diff,
        });
        if t >= end {
            break;
        }
        t = t.plus(interval.0).min(end);
    }
    let cascade_size = ever.iter().filter(|&&x| x).count() as u64;
    let reach_servers = ever[..n_servers].iter().filter(|&&x| x).count() as u64;
    let agents_total = ever_alive.iter().filter(|&&x| x).count() as u64;
    let reconverged_at = first.as_ref().and_then(|f| reconverged(&points, f.time));
    let growth_rate = growth(&points);
    let verdict = if first.is_none() {
        Verdict::Identical
    } else if reconverged_at.is_some() {
        Verdict::Dissipated
    } else {
        let peak_macro = points.iter().map(|p| p.macro_l1).max().unwrap_or(0);
        if peak_macro <= CONTAINED_MACRO_MAX
            && cascade_size * 100 <= CONTAINED_CASCADE_PERCENT * agents_total.max(1)
        {
            Verdict::Contained
        } else {
            Verdict::Cascaded
        }
    };
    Ok(Report {
        layout,
        events: (n_a, n_b),
        first,
        points,
        cascade_size,
        reach_servers,
        agents_total,
        reconverged_at,
        growth_rate,
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

/// Macro divergence: the L1 distance of the server-load vectors (a server not running
/// counts as load 0) and servers running in `b` minus in `a`.
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

/// Micro and macro divergence of two states at `time`.
pub fn point(time: SimTime, a: &Observed, b: &Observed) -> Point {
    let (macro_l1, servers_alive_diff) = macro_distance(a, b);
    Point {
        time,
        micro: micro_distance(a, b),
        macro_l1,
        servers_alive_diff,
    }
}

/// Micro divergence of two states: how many agents differ.
pub fn micro_distance(a: &Observed, b: &Observed) -> u64 {
    let mut n = 0;
    for_each_agent(a, b, |_, _, differs| n += u64::from(differs));
    n
}

/// The start of the final run of zero macro distance after the first divergence, if it
/// lasts at least [`DISSIPATED_HOLD_SAMPLES`] samples (a difference that never moved a
/// load counts as back at zero from the divergence on).
fn reconverged(points: &[Point], first: SimTime) -> Option<SimTime> {
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
/// micro > 0 to the peak.
fn growth(points: &[Point]) -> Option<f64> {
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
