//! The causal chain of a divergence, computed in the viewer from the two traces it shows:
//! for every agent, the first event it handled that differs between the runs, and the
//! message (source and kind) that carried the difference to it. The edges form a tree
//! rooted at the perturbation, so one can watch a cascade travel.
//!
//! The panel consumes only a list of `(time, from, to, kind)` edges; if the trace crate
//! grows its own causal chain (`swarmlb why`), it can feed the same list.

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind, Layout};

/// One step of the chain: at `time`, a `kind` event from `from` first made `to` differ.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// When `to` first handled a differing event.
    pub time: SimTime,
    /// Who sent it (the agent itself for its own timers).
    pub from: AgentId,
    /// The agent it reached.
    pub to: AgentId,
    /// What kind of event it was (the branch's, or the baseline's when the branch has
    /// none there).
    pub kind: Kind,
    /// Steps from the root: 0 for an edge whose sender never differed before it.
    pub depth: u32,
}

/// The chain of `b` against `a` (two runs of one layout): one edge per agent whose stream
/// of handled events differs, at its first differing event, sorted by time (ties by the
/// receiving agent). Empty when the runs are identical.
pub fn edges(layout: Layout, a: &[Event], b: &[Event]) -> Vec<Edge> {
    let n = layout.n_agents();
    let slot = |id: AgentId| (id.0 as usize).min(n);
    // The events each agent handled in `b`, in order.
    let mut handled_b: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
    for (i, e) in b.iter().enumerate() {
        handled_b[slot(e.target)].push(i as u32);
    }
    let mut first: Vec<Option<(SimTime, AgentId, Kind)>> = vec![None; n + 1];
    let mut seen = vec![0usize; n + 1];
    for e in a {
        let t = slot(e.target);
        let k = seen[t];
        seen[t] += 1;
        if first[t].is_some() {
            continue;
        }
        first[t] = match handled_b[t].get(k).map(|&i| b[i as usize]) {
            Some(other) if other == *e => None,
            Some(other) => Some(if other.time <= e.time {
                (other.time, other.source, other.kind)
            } else {
                (e.time, e.source, e.kind)
            }),
            None => Some((e.time, e.source, e.kind)),
        };
    }
    // Agents that handled more events in `b` than in `a` differ at the first extra one.
    for (t, list) in handled_b.iter().enumerate() {
        if first[t].is_none()
            && let Some(&i) = list.get(seen[t])
        {
            let e = b[i as usize];
            first[t] = Some((e.time, e.source, e.kind));
        }
    }
    let mut edges: Vec<Edge> = first
        .iter()
        .enumerate()
        .take(n)
        .filter_map(|(t, f)| {
            f.map(|(time, from, kind)| Edge {
                time,
                from,
                to: AgentId(t as u32),
                kind,
                depth: 0,
            })
        })
        .collect();
    edges.sort_by_key(|e| (e.time, e.to));
    // Depth: one more than the edge that reached the sender, if it was reached earlier.
    let mut depth_of: Vec<Option<u32>> = vec![None; n + 1];
    for e in &mut edges {
        e.depth = match depth_of[slot(e.from)] {
            Some(d) if e.from != e.to => d + 1,
            _ => 0,
        };
        depth_of[slot(e.to)] = Some(e.depth);
    }
    edges
}

/// The time of the first edge after `t`, for "jump to the next node".
pub fn next_node(edges: &[Edge], t: SimTime) -> Option<SimTime> {
    edges.iter().find(|e| e.time > t).map(|e| e.time)
}

/// How many edges happened at or before `t`.
pub fn reached(edges: &[Edge], t: SimTime) -> usize {
    edges.partition_point(|e| e.time <= t)
}
