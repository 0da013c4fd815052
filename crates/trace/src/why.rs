//! `why`: the causal chain of a divergence. For every agent whose handled events differ
//! between a baseline and a perturbed trace, its first differing event and the message
//! that carried the difference to it, as a tree rooted at the perturbation. Streaming:
//! memory grows with the number of agents, never with the length of the traces.
//!
//! An agent *diverged* when the sequence of events it handled (those whose target it is)
//! differs between the two traces. Events at one instant are compared per agent, in
//! trace order; because every earlier event of that agent matched, the first mismatch
//! is where its history starts to differ. The perturbation agent `P` is the root and is
//! not counted; every other diverged agent is one node, so the node count is the
//! cascade size that `diff` reports. A record holds a message's kind and one number, not
//! its whole content, so some differences arrive in messages whose records match: those
//! links ([`Link::Content`]) name the likeliest carrier and say so.
//!
//! One channel stays invisible: content relayed by an agent whose own events all match
//! (a server whose view changed through gossip content, and which gossips it on before
//! any of its own events differs). The agent it reaches has no carrier from a diverged
//! agent; it hangs under the root and is counted as *unexplained*, never guessed. On the
//! default scenario's 30-minute cascade this is about 1 node in 400.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Read;
use std::iter::Peekable;

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::ids::{ENV, PERTURBER};
use swarmlb_model::{Event, Kind, Layout, Mechanism};

use crate::diff::DiffError;
use crate::error::TraceError;
use crate::fold::Cursor;
use crate::read::TraceReader;
use crate::text::Style;

/// Most events at one instant that [`tree`] holds from each trace (instants are compared
/// whole); past it, the comparison is refused rather than taking memory without bound.
/// A million events of 32 bytes, about 32 MB per trace: far above an instant of any
/// scenario in `scenarios/` (a 40M-event instant in a 200 MB file took 1.26 GB before).
pub const INSTANT_EVENTS_MAX: usize = 1 << 20;

/// The tree is printed this many levels deep unless asked otherwise.
pub const DEPTH_DEFAULT: usize = 4;

/// How a difference reached an agent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// A message from another agent, as handled in the perturbed trace, that the baseline
    /// did not have at that point (new, or with another outcome or value).
    Message(Event),
    /// A message from another agent that the baseline handled and the perturbed branch
    /// did not (its sender had already diverged and did not send it, or not then).
    Missing(Event),
    /// The agent's own timer, or a message from an agent that had not diverged, had
    /// another outcome although every event it handled so far matched: a trace record does
    /// not hold a message's whole content (the piggybacked load, a gossiped view), so the
    /// difference came in a message whose record matched.
    /// The event is the latest message the agent handled from an agent that had already
    /// diverged (in the perturbed trace): the likeliest carrier, not a proven one.
    Content(Event),
    /// No message from another agent: the agent's own timer had another outcome, because
    /// it read shared environment state (the directory) that had diverged, or ground
    /// truth (the environment itself). The event is the perturbed one when it exists.
    Local(Event),
}

impl Link {
    /// The event behind the link.
    pub fn event(&self) -> Event {
        match *self {
            Link::Message(e) | Link::Missing(e) | Link::Content(e) | Link::Local(e) => e,
        }
    }

    /// Short name of the link type.
    pub fn name(&self) -> &'static str {
        match self {
            Link::Message(_) => "message",
            Link::Missing(_) => "missing message",
            Link::Content(_) => "message content",
            Link::Local(_) => "local",
        }
    }
}

/// What carried the difference along one edge of the tree, as `why --by mechanism`
/// counts it ([`Tree::by_mechanism`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Carried {
    /// A message (or a message that did not come) of this mechanism, by its record's kind
    /// ([`Kind::carrier`]); a user's pick from the diverged directory is
    /// [`Mechanism::Directory`]; the environment's own differing choice is the mechanism
    /// of its own event.
    By(Mechanism),
    /// A [`Link::Content`] edge: the difference came in a message whose record matched;
    /// its named carrier is the likeliest, not a proven one, so it is not attributed.
    Content,
    /// No carrier found (the node is not [`Node::explained`]).
    Unexplained,
}

impl Carried {
    /// The name printed.
    pub fn name(self) -> &'static str {
        match self {
            Carried::By(m) => m.name(),
            Carried::Content => "message content",
            Carried::Unexplained => "unexplained",
        }
    }
}

/// The tree's edges counted by what carried them: one edge per node, so the counts sum
/// to the node count ([`Tree::cascade_size`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByMechanism {
    /// Nonzero counts, most frequent first (ties in [`Carried`]'s order).
    pub counts: Vec<(Carried, u64)>,
}

impl ByMechanism {
    /// Edges counted (the tree's nodes).
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&(_, n)| n).sum()
    }

    /// Edges carried by `carried`.
    pub fn get(&self, carried: Carried) -> u64 {
        self.counts
            .iter()
            .find(|&&(c, _)| c == carried)
            .map_or(0, |&(_, n)| n)
    }

    /// Edges carried by the servers' balancing mechanisms ([`Mechanism::is_balancing`]).
    pub fn balancing(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(c, _)| matches!(c, Carried::By(m) if m.is_balancing()))
            .map(|&(_, n)| n)
            .sum()
    }
}

/// One diverged agent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The agent.
    pub agent: AgentId,
    /// When its history first differs.
    pub time: SimTime,
    /// The agent's first differing event in the baseline (None: it had no event there).
    pub baseline: Option<Event>,
    /// The agent's first differing event in the perturbed trace (None: no event there).
    pub perturbed: Option<Event>,
    /// How the difference reached it.
    pub link: Link,
    /// The agent it came from (`P`, the root, for the perturbation's own victims and for
    /// differences that no diverged agent carried).
    pub parent: AgentId,
    /// False when no carrier was found (the link names a sender that had not diverged
    /// before this agent and no diverged agent had sent it anything, or a local
    /// difference outside the directory); then the node hangs under the root. Rare: a
    /// difference can travel through an agent whose records all match (a gossiped view
    /// relayed by a server whose own events did not change); `default` at 10 m showed 0
    /// or 1 such agent per cascade of about 1,150 over seeds 1, 3, 4 and 16.
    pub explained: bool,
    /// Depth in the tree (1 = a child of the root).
    pub depth: usize,
}

/// The causal tree of two traces.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    /// Id layout shared by both traces.
    pub layout: Layout,
    /// Server capacity (for printing loads).
    pub capacity: u32,
    /// The perturbation's own event in the perturbed trace, if it has one.
    pub root: Option<Event>,
    /// Diverged agents, in the order their histories started to differ.
    pub nodes: Vec<Node>,
}

/// Agents whose handled events differ, with their first differing events, in order.
pub fn tree<R: Read>(
    baseline: TraceReader<R>,
    perturbed: TraceReader<R>,
) -> Result<Tree, DiffError> {
    let layout = baseline.layout();
    if layout != perturbed.layout() {
        return Err(DiffError::Mismatch(
            "the traces come from different layouts; why compares runs of one scenario".into(),
        ));
    }
    let capacity = baseline.scenario()?.servers.capacity;
    let too_many = |t: SimTime| {
        DiffError::Mismatch(format!(
            "more than {INSTANT_EVENTS_MAX} events at the one instant {t}; why and diff \
             compare an instant's events in memory and stop there"
        ))
    };
    let read = |r| events(r).map(|e| e.map_err(DiffError::from));
    let (tree, baseline_perturbed) = build(
        layout,
        capacity,
        read(baseline),
        read(perturbed),
        Some((INSTANT_EVENTS_MAX, &too_many)),
    )?;
    // As `diff` refuses it: the perturbed branch given first reads as a tree of the
    // baseline's differences, rooted at nothing.
    if baseline_perturbed && tree.root.is_none() {
        return Err(DiffError::Mismatch(
            "the first trace has the butterfly perturbation and the second has none; \
             pass the baseline first, then the perturbed branch"
                .into(),
        ));
    }
    Ok(tree)
}

/// The same tree as [`tree`], from the events of two runs already in memory (the viewer
/// holds them): `baseline` and `perturbed` are every event of two runs of `layout`, in
/// trace order, and `capacity` is the baseline's server capacity. One implementation
/// serves both: [`tree`] feeds this function's core from its readers.
pub fn tree_of_events(
    layout: Layout,
    capacity: u32,
    baseline: &[Event],
    perturbed: &[Event],
) -> Tree {
    let ok = |e: &Event| Ok::<Event, Infallible>(*e);
    // The events are in memory already: no limit on an instant.
    match build(
        layout,
        capacity,
        baseline.iter().map(ok),
        perturbed.iter().map(ok),
        None,
    ) {
        Ok((tree, _)) => tree,
        Err(never) => match never {},
    }
}

/// A trace's events in order, checkpoints skipped, ending at the footer.
fn events<R: Read>(reader: TraceReader<R>) -> impl Iterator<Item = Result<Event, TraceError>> {
    let mut cursor = Cursor::new(reader);
    std::iter::from_fn(move || cursor.next_event().transpose()).fuse()
}

/// The tree of two event streams, and whether the baseline has a perturbation event; the
/// streams' only failure is reading, or an instant over `limit`'s count (the error it
/// makes).
fn build<E, I>(
    layout: Layout,
    capacity: u32,
    baseline: I,
    perturbed: I,
    limit: Option<(usize, &dyn Fn(SimTime) -> E)>,
) -> Result<(Tree, bool), E>
where
    I: Iterator<Item = Result<Event, E>>,
{
    let (mut ca, mut cb) = (baseline.peekable(), perturbed.peekable());
    let mut diverged: Vec<Option<u32>> = vec![None; layout.n_agents()];
    // Per agent not yet diverged, the latest message it handled from one that had.
    let mut last_from_diverged: Vec<Option<Event>> = vec![None; layout.n_agents()];
    let mut found: Vec<(Node, usize, Option<Event>)> = Vec::new();
    let mut next_order = 0u32;
    let mut root = None;
    let mut baseline_perturbed = false;
    let (mut ga, mut gb) = (Vec::new(), Vec::new());
    loop {
        let (ta, tb) = (peek_time(&mut ca)?, peek_time(&mut cb)?);
        let t = match (ta, tb) {
            (None, None) => break,
            (Some(x), Some(y)) => x.min(y),
            (Some(x), None) | (None, Some(x)) => x,
        };
        group(&mut ca, t, &mut ga, limit)?;
        group(&mut cb, t, &mut gb, limit)?;
        baseline_perturbed |= ga.iter().any(|(_, e)| e.kind == Kind::Butterfly);
        if root.is_none() {
            root = gb
                .iter()
                .find(|(_, e)| e.kind == Kind::Butterfly)
                .map(|&(_, e)| e);
        }
        // Per target, in trace order (a stable sort keeps each agent's own order).
        ga.sort_by_key(|(_, e)| e.target);
        gb.sort_by_key(|(_, e)| e.target);
        let mut new = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < ga.len() || j < gb.len() {
            let target = match (ga.get(i), gb.get(j)) {
                (Some(a), Some(b)) => a.1.target.min(b.1.target),
                (Some(a), None) => a.1.target,
                (None, Some(b)) => b.1.target,
                (None, None) => unreachable!(),
            };
            let i_end = i + ga[i..]
                .iter()
                .take_while(|(_, e)| e.target == target)
                .count();
            let j_end = j + gb[j..]
                .iter()
                .take_while(|(_, e)| e.target == target)
                .count();
            if diverged[target.0 as usize].is_none() {
                let (xa, xb) = (&ga[i..i_end], &gb[j..j_end]);
                let k = (0..xa.len().max(xb.len()))
                    .find(|&k| xa.get(k).map(|x| x.1) != xb.get(k).map(|x| x.1));
                if let Some(k) = k {
                    // Order of appearance: the perturbed trace's position when it has the
                    // event, else the baseline's (both are execution orders).
                    let position = xb.get(k).or(xa.get(k)).map_or(0, |x| x.0);
                    new.push((
                        position,
                        target,
                        xa.get(k).map(|x| x.1),
                        xb.get(k).map(|x| x.1),
                    ));
                }
            }
            (i, j) = (i_end, j_end);
        }
        new.sort_by_key(|&(position, target, ..)| (position, target));
        for (_, agent, a, b) in new {
            let order = next_order;
            next_order += 1;
            diverged[agent.0 as usize] = Some(order);
            if agent == PERTURBER {
                continue;
            }
            let is_user = matches!(layout.agent(agent), swarmlb_model::ids::Agent::User(_));
            let reads_directory = is_user && diverged[ENV.0 as usize].is_some();
            let link = match (a, b) {
                (_, Some(e)) if e.source != agent => Link::Message(e),
                (Some(e), _) if e.source != agent => Link::Missing(e),
                // Users pick servers from the directory: when it diverged, that is the
                // carrier; otherwise a message whose record matched must have been.
                (_, Some(e)) | (Some(e), None) => match last_from_diverged[agent.0 as usize] {
                    Some(carrier) if !reads_directory => Link::Content(carrier),
                    _ => Link::Local(e),
                },
                (None, None) => unreachable!("a difference has an event on one side"),
            };
            found.push((
                Node {
                    agent,
                    time: t,
                    baseline: a,
                    perturbed: b,
                    link,
                    parent: PERTURBER,
                    explained: true,
                    depth: 1,
                },
                order as usize,
                last_from_diverged[agent.0 as usize],
            ));
        }
        // Messages to agents that have not diverged, from agents that have (after this
        // instant's detection, so a carrier always precedes the difference it explains).
        for &(_, e) in &gb {
            if e.source != e.target
                && diverged[e.target.0 as usize].is_none()
                && diverged[e.source.0 as usize].is_some()
            {
                last_from_diverged[e.target.0 as usize] = Some(e);
            }
        }
    }
    // Parents: the sender of the carrying message; for a user's own pick, the directory
    // (the environment) once it diverged; the environment's own listing reads ground
    // truth and hangs under the root. A parent must have diverged first; a difference
    // with no carrier found hangs under the root, marked unexplained.
    let mut depth_of: Vec<usize> = vec![0; layout.n_agents()];
    let mut nodes = Vec::with_capacity(found.len());
    for (mut node, order, carrier) in found {
        let before = |id: AgentId| diverged[id.0 as usize].is_some_and(|o| (o as usize) < order);
        let is_user = matches!(layout.agent(node.agent), swarmlb_model::ids::Agent::User(_));
        (node.parent, node.explained) = match node.link {
            Link::Message(e) | Link::Missing(e) | Link::Content(e)
                if e.source == PERTURBER || before(e.source) =>
            {
                (e.source, true)
            }
            // A message from an agent that had not diverged had another outcome: the
            // receiver's state differed already, by a message whose record matched.
            Link::Message(_) | Link::Missing(_) | Link::Content(_) => match carrier {
                Some(c) => {
                    node.link = Link::Content(c);
                    (c.source, true)
                }
                None => (PERTURBER, false),
            },
            Link::Local(_) if is_user && before(ENV) => (ENV, true),
            Link::Local(_) if node.agent == ENV => (PERTURBER, true),
            Link::Local(_) => (PERTURBER, false),
        };
        node.depth = if node.parent == PERTURBER {
            1
        } else {
            depth_of[node.parent.0 as usize] + 1
        };
        depth_of[node.agent.0 as usize] = node.depth;
        nodes.push(node);
    }
    Ok((
        Tree {
            layout,
            capacity,
            root,
            nodes,
        },
        baseline_perturbed,
    ))
}

/// The time of the next event; `None` at the end.
fn peek_time<E, I>(c: &mut Peekable<I>) -> Result<Option<SimTime>, E>
where
    I: Iterator<Item = Result<Event, E>>,
{
    match c.peek() {
        None => Ok(None),
        Some(Ok(e)) => Ok(Some(e.time)),
        Some(Err(_)) => match c.next() {
            Some(Err(e)) => Err(e),
            other => unreachable!("peeked an error, got {:?}", other.map(|r| r.is_ok())),
        },
    }
}

/// Every event at exactly `t`, with its position in the group; past `limit`'s count, its
/// error.
fn group<E, I>(
    c: &mut Peekable<I>,
    t: SimTime,
    out: &mut Vec<(usize, Event)>,
    limit: Option<(usize, &dyn Fn(SimTime) -> E)>,
) -> Result<(), E>
where
    I: Iterator<Item = Result<Event, E>>,
{
    out.clear();
    while peek_time(c)? == Some(t) {
        if let Some((max, too_many)) = limit
            && out.len() >= max
        {
            return Err(too_many(t));
        }
        match c.next() {
            Some(Ok(e)) => out.push((out.len(), e)),
            _ => unreachable!("peek_time saw an event"),
        }
    }
    Ok(())
}

impl Tree {
    /// Diverged agents, the perturbation excluded: `diff`'s cascade size.
    pub fn cascade_size(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// The deepest level.
    pub fn depth(&self) -> usize {
        self.nodes.iter().map(|n| n.depth).max().unwrap_or(0)
    }

    /// Nodes per depth (index 0 = depth 1).
    pub fn per_depth(&self) -> Vec<u64> {
        let mut counts = vec![0; self.depth()];
        for n in &self.nodes {
            counts[n.depth - 1] += 1;
        }
        counts
    }

    /// Links per kind of the carrying event, most frequent first (ties by kind code).
    pub fn per_kind(&self) -> Vec<(Kind, u64)> {
        let mut counts: BTreeMap<Kind, u64> = BTreeMap::new();
        for n in &self.nodes {
            *counts.entry(n.link.event().kind).or_default() += 1;
        }
        let mut v: Vec<(Kind, u64)> = counts.into_iter().collect();
        v.sort_by_key(|&(k, n)| (std::cmp::Reverse(n), k));
        v
    }

    /// What carried the difference to `node` (see [`Carried`]).
    pub fn carried(&self, node: &Node) -> Carried {
        if !node.explained {
            return Carried::Unexplained;
        }
        match node.link {
            Link::Message(e) | Link::Missing(e) => Carried::By(e.mechanism(&self.layout)),
            Link::Content(_) => Carried::Content,
            Link::Local(_) if node.parent == ENV => Carried::By(Mechanism::Directory),
            Link::Local(e) => Carried::By(e.mechanism(&self.layout)),
        }
    }

    /// Edges per carrying mechanism, most frequent first; they sum to the node count.
    pub fn by_mechanism(&self) -> ByMechanism {
        let mut counts: BTreeMap<Carried, u64> = BTreeMap::new();
        for n in &self.nodes {
            *counts.entry(self.carried(n)).or_default() += 1;
        }
        let mut counts: Vec<(Carried, u64)> = counts.into_iter().collect();
        counts.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
        ByMechanism { counts }
    }

    /// Links per category of the carrying event, most frequent first.
    pub fn per_category(&self) -> Vec<(&'static str, u64)> {
        let mut counts: BTreeMap<swarmlb_model::record::Category, u64> = BTreeMap::new();
        for n in &self.nodes {
            *counts.entry(n.link.event().kind.category()).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
        v.into_iter().map(|(c, n)| (c.name(), n)).collect()
    }

    fn style(&self) -> Style {
        Style {
            layout: self.layout,
            capacity: self.capacity,
        }
    }

    /// One node's line, without indentation: which message carried the difference to
    /// which agent (`swarmlb why` prints these, and the viewer's chain panel).
    pub fn describe(&self, n: &Node) -> String {
        let s = self.style();
        let value = |e: &Event| {
            let v = s.value(e);
            if v.is_empty() { v } else { format!(" {v}") }
        };
        let name = s.agent(n.agent);
        match n.link {
            Link::Message(e) => format!(
                "t={} {name} <- {} {}{}{}",
                e.time,
                s.agent(e.source),
                e.kind,
                value(&e),
                if n.explained {
                    ""
                } else {
                    " (sender had not diverged)"
                }
            ),
            Link::Missing(e) => format!(
                "t={} {name}: no {} from {} (baseline had it{}){}",
                n.time,
                e.kind,
                s.agent(e.source),
                value(&e),
                if n.explained {
                    ""
                } else {
                    " (sender had not diverged)"
                }
            ),
            Link::Content(carrier) => {
                let own = n.perturbed.or(n.baseline).expect("a node has an event");
                format!(
                    "t={} {name}: {}{} differs, after {} from {} at t={} (same record, other content)",
                    n.time,
                    own.kind,
                    value(&own),
                    carrier.kind,
                    s.agent(carrier.source),
                    carrier.time
                )
            }
            Link::Local(e) => format!(
                "t={} {name}: own {}{} differs{}",
                e.time,
                e.kind,
                value(&e),
                if n.parent == ENV {
                    " (read the diverged directory)"
                } else if n.agent == ENV {
                    " (the environment reads the world's ground truth: servers running, users alive)"
                } else {
                    " (no carrier found)"
                }
            ),
        }
    }

    /// The root's line: the perturbation.
    pub fn root_line(&self) -> String {
        match &self.root {
            Some(e) => format!("t={} P: perturbation, {}", e.time, self.style().value(e)),
            None => "P: (no perturbation event in the second trace)".into(),
        }
    }

    /// The indented tree down to `depth_max` levels (0: all), children in order of
    /// divergence, then the summary counts.
    pub fn render(&self, depth_max: usize) -> String {
        let mut children: BTreeMap<AgentId, Vec<usize>> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            children.entry(n.parent).or_default().push(i);
        }
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.root_line());
        let mut hidden = 0u64;
        // Depth-first without recursion: a stack of (node index, depth).
        let mut stack: Vec<usize> = children
            .get(&PERTURBER)
            .map(|c| c.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(i) = stack.pop() {
            let n = &self.nodes[i];
            // A hidden node's descendants are deeper still: walk on to count them all.
            if depth_max > 0 && n.depth > depth_max {
                hidden += 1;
            } else {
                let _ = writeln!(out, "{}{}", "  ".repeat(n.depth), self.describe(n));
            }
            if let Some(c) = children.get(&n.agent) {
                stack.extend(c.iter().rev().copied());
            }
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "  ... {hidden} more agents deeper than {depth_max} levels (--depth 0 shows all)"
            );
        }
        out.push_str(&self.summary());
        out
    }

    /// Summary counts: nodes, depth, per depth, per kind and category of the carrying event.
    pub fn summary(&self) -> String {
        let total = self.nodes.len() as u64;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "diverged agents: {total} (= diff's cascade size), depth {}",
            self.depth()
        );
        let unexplained = self.nodes.iter().filter(|n| !n.explained).count();
        if unexplained > 0 {
            let _ = writeln!(
                out,
                "unexplained: {unexplained} agents with no carrier found"
            );
        }
        if total == 0 {
            return out;
        }
        let depths: Vec<String> = self
            .per_depth()
            .iter()
            .enumerate()
            .map(|(d, n)| format!("{}:{n}", d + 1))
            .collect();
        let _ = writeln!(out, "per depth: {}", depths.join(" "));
        let pct = |n: u64| 100.0 * n as f64 / total as f64;
        let mut by_link = [0u64; 4];
        for n in &self.nodes {
            by_link[match n.link {
                Link::Message(_) => 0,
                Link::Missing(_) => 1,
                Link::Content(_) => 2,
                Link::Local(_) => 3,
            }] += 1;
        }
        let links: Vec<String> = ["message", "missing message", "message content", "local"]
            .iter()
            .zip(by_link)
            .map(|(name, n)| format!("{name} {n} ({:.0}%)", pct(n)))
            .collect();
        let _ = writeln!(out, "per link: {}", links.join(", "));
        let cats: Vec<String> = self
            .per_category()
            .iter()
            .map(|(c, n)| format!("{c} {n} ({:.0}%)", pct(*n)))
            .collect();
        let _ = writeln!(out, "per category: {}", cats.join(", "));
        let kinds: Vec<String> = self
            .per_kind()
            .iter()
            .map(|(k, n)| format!("{k} {n} ({:.0}%)", pct(*n)))
            .collect();
        let _ = writeln!(out, "per kind: {}", kinds.join(", "));
        out
    }

    /// The whole tree for Graphviz (`dot -Tsvg`): solid edges are messages, dashed edges
    /// missing messages, bold edges message content, dotted edges local differences.
    pub fn dot(&self) -> String {
        let s = self.style();
        let mut out = String::from("digraph why {\n  rankdir=LR;\n  node [shape=box];\n");
        let _ = writeln!(
            out,
            "  \"P\" [shape=diamond, label=\"P\\n{}\"];",
            self.root.map_or("-".into(), |e| e.time.to_string())
        );
        for n in &self.nodes {
            let name = s.agent(n.agent);
            let _ = writeln!(out, "  \"{name}\" [label=\"{name}\\n{}\"];", n.time);
            let e = n.link.event();
            let style = match n.link {
                Link::Message(_) => "solid",
                Link::Missing(_) => "dashed",
                Link::Content(_) => "bold",
                Link::Local(_) => "dotted",
            };
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{name}\" [label=\"{} {}\", style={style}];",
                s.agent(n.parent),
                e.kind,
                e.time
            );
        }
        out.push_str("}\n");
        out
    }
}
