//! A server's periodic decision, as a pure function of what it knows: hand its users off,
//! pull users from a peer, or do nothing. Kept apart from the agent so that every branch
//! is tested without running a world.

use swarmlb_engine::KeyedDraw;

use crate::msg::PeerEntry;
use crate::scenario::{HandoffStyle, PullStyle};

/// What a server knows when its periodic check runs.
#[derive(Clone, Debug)]
pub struct Situation<'a> {
    /// Users it holds.
    pub load: u32,
    /// Pull below this load (`low_watermark × capacity`).
    pub low_load: u32,
    /// A pull aims for this load; peers above it are asked (`pull_target × capacity`).
    pub pull_target_load: u32,
    /// A peer taking all users must stay below this load (`high_watermark × capacity`).
    pub high_load: u32,
    /// It has been below `terminate_watermark` for `terminate_grace`.
    pub may_terminate: bool,
    /// Its previous check asked for a pull.
    pub pulled_last: bool,
    /// `servers.pull`.
    pub pull: PullStyle,
    /// `servers.handoff`.
    pub handoff: HandoffStyle,
    /// Its fresh peers (entries younger than `peer_ttl`), in view order.
    pub peers: &'a [PeerEntry],
}

/// The outcome of a periodic check.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Offer `users` users to peer `peer` and terminate if it agrees.
    Offer {
        /// The peer asked.
        peer: u32,
        /// Users it would take.
        users: u32,
    },
    /// Ask peer `peer` for up to `want` users.
    Pull {
        /// The peer asked.
        peer: u32,
        /// Users that would bring the load to the pull target.
        want: u32,
    },
    /// Nothing to do.
    Nothing,
}

/// Decide. `pick` draws the peer of a classic pull (a random one above the target).
///
/// Greedy pulls consider handing off first, then pull from the most loaded peer. Classic
/// pulls (the original model's order) pull first and consider handing off at the next
/// check, to see what the pull brought; a server with nobody to pull from hands off at
/// once.
pub fn decide(s: &Situation<'_>, pick: KeyedDraw) -> Decision {
    let offer = || offer(s);
    let pull = || pull(s, pick);
    let decision = match s.pull {
        PullStyle::Greedy => offer().or_else(pull),
        PullStyle::Classic if s.pulled_last => offer().or_else(pull),
        PullStyle::Classic => pull().or_else(offer),
        PullStyle::Off => offer(),
    };
    decision.unwrap_or(Decision::Nothing)
}

/// The hand-off the server would offer now, if it may terminate and its peers have room.
fn offer(s: &Situation<'_>) -> Option<Decision> {
    if !s.may_terminate {
        return None;
    }
    match s.handoff {
        // The fresh peer with the most room that can take them all.
        HandoffStyle::OnePeer => s
            .peers
            .iter()
            .filter(|e| e.load + s.load < s.high_load)
            .min_by_key(|e| (e.load, e.idx))
            .map(|e| Decision::Offer {
                peer: e.idx,
                users: s.load,
            }),
        // The original model's test: the peers' room up to the pull target, summed, holds
        // all its users; a peer above the target counts against the room (its room is
        // negative, as in the original's sum). The least loaded is asked, for its share
        // of the spread.
        HandoffStyle::Spread => {
            if s.peers.is_empty() || spread_room(s.pull_target_load, s.peers) < i64::from(s.load) {
                return None;
            }
            let plan = spread(s.load, s.peers);
            let anchor = s.peers.iter().min_by_key(|e| (e.load, e.idx))?.idx;
            let users = plan.iter().filter(|&&peer| peer == anchor).count() as u32;
            Some(Decision::Offer {
                peer: anchor,
                users,
            })
        }
        HandoffStyle::Off => None,
    }
}

/// The pull the server would ask for now, if it is below the low watermark.
fn pull(s: &Situation<'_>, pick: KeyedDraw) -> Option<Decision> {
    if s.load >= s.low_load {
        return None;
    }
    let above = || s.peers.iter().filter(|e| e.load > s.pull_target_load);
    let peer = match s.pull {
        PullStyle::Greedy => above().max_by_key(|e| (e.load, std::cmp::Reverse(e.idx)))?,
        PullStyle::Classic => {
            let n = above().count() as u64;
            if n == 0 {
                return None;
            }
            above().nth(pick.below(n) as usize)?
        }
        PullStyle::Off => return None,
    };
    Some(Decision::Pull {
        peer: peer.idx,
        want: s.pull_target_load - s.load,
    })
}

/// The room of `peers` up to `target`, summed: negative for a peer above the target, as
/// in the original model's sum of `upper_threshold - load` over its peers.
pub fn spread_room(target: u32, peers: &[PeerEntry]) -> i64 {
    peers
        .iter()
        .map(|e| i64::from(target) - i64::from(e.load))
        .sum()
}

/// The spread of `users` users after peer `anchor` agreed to take `agreed` of them: the
/// first `agreed` (at most `users`) go to it, the rest one by one to the currently
/// least-loaded of the other `peers` (to the anchor when there is no other). The peer that
/// agreed receives what it agreed to, even if the view changed since the offer.
pub fn spread_agreed(users: u32, peers: &[PeerEntry], anchor: u32, agreed: u32) -> Vec<u32> {
    let pinned = agreed.min(users);
    let others: Vec<PeerEntry> = peers.iter().filter(|e| e.idx != anchor).copied().collect();
    let mut plan = vec![anchor; pinned as usize];
    if others.is_empty() {
        plan.resize(users as usize, anchor);
    } else {
        plan.extend(spread(users - pinned, &others));
    }
    plan
}

/// Where `users` users go when spread one by one, each to the currently least-loaded of
/// `peers` (ties to the lower index): the peer index of each user, in order.
pub fn spread(users: u32, peers: &[PeerEntry]) -> Vec<u32> {
    let mut loads: Vec<(u32, u32)> = peers.iter().map(|e| (e.load, e.idx)).collect();
    let mut plan = Vec::with_capacity(users as usize);
    if loads.is_empty() {
        return plan;
    }
    for _ in 0..users {
        let least = (0..loads.len())
            .min_by_key(|&i| loads[i])
            .expect("peers is not empty");
        plan.push(loads[least].1);
        loads[least].0 += 1;
    }
    plan
}
