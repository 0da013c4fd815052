//! The causal chain panel's source: `swarmlb why`'s tree (`trace::why`) of the two runs the
//! viewer shows, built from the events it holds in memory, and where a time stands in it.
//! The tree is computed only in the trace crate; this module asks it questions.

use swarmlb_engine::SimTime;
use swarmlb_trace::why::{self, Tree};

use crate::timeline::Timeline;

/// The causal tree of `branch` against `baseline`, exactly as `swarmlb why baseline
/// branch` finds it; `None` for runs of two layouts (agents are matched by id, so a knobs
/// run that changed the population has no tree).
pub fn tree(baseline: &Timeline, branch: &Timeline) -> Option<Tree> {
    (baseline.layout == branch.layout).then(|| {
        why::tree_of_events(
            baseline.layout,
            baseline.capacity(),
            &baseline.events,
            &branch.events,
        )
    })
}

/// How many nodes the cascade has reached at or before `t` (the tree's nodes are in the
/// order their histories started to differ, so in time order).
pub fn reached(tree: &Tree, t: SimTime) -> usize {
    tree.nodes.partition_point(|n| n.time <= t)
}

/// The time of the first node after `t`, for "jump to the next node".
pub fn next_node(tree: &Tree, t: SimTime) -> Option<SimTime> {
    tree.nodes.get(reached(tree, t)).map(|n| n.time)
}
