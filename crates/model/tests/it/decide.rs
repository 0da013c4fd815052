//! The periodic decision as a pure function: every branch of `decide` and `spread`.

use swarmlb_engine::KeyedDraw;
use swarmlb_model::decide::{Decision, Situation, decide, spread, spread_agreed, spread_room};
use swarmlb_model::msg::PeerEntry;
use swarmlb_model::scenario::{HandoffStyle, PullStyle};

fn peer(idx: u32, load: u32) -> PeerEntry {
    PeerEntry {
        idx,
        load,
        seen_us: 0,
    }
}

/// Capacity 10: pull below 3 toward 6, a single peer takes all below 10.
fn situation(load: u32, peers: &[PeerEntry]) -> Situation<'_> {
    Situation {
        load,
        low_load: 3,
        pull_target_load: 6,
        high_load: 10,
        may_terminate: false,
        pulled_last: false,
        pull: PullStyle::Greedy,
        handoff: HandoffStyle::OnePeer,
        peers,
    }
}

fn draw(n: u64) -> KeyedDraw {
    KeyedDraw::new(1, &[n])
}

#[test]
fn greedy_hands_off_before_it_pulls_and_pulls_from_the_most_loaded() {
    let peers = [peer(1, 8), peer(2, 9), peer(3, 4)];
    let mut s = situation(2, &peers);
    assert_eq!(
        decide(&s, draw(0)),
        Decision::Pull { peer: 2, want: 4 },
        "the most loaded peer above the target"
    );
    s.may_terminate = true;
    assert_eq!(
        decide(&s, draw(0)),
        Decision::Offer { peer: 3, users: 2 },
        "the least loaded peer that can take all"
    );
    // Nobody can take all 2 below 10 (8+2, 9+2): pull instead.
    let full = [peer(1, 8), peer(2, 9)];
    let s = Situation {
        may_terminate: true,
        ..situation(2, &full)
    };
    assert_eq!(decide(&s, draw(0)), Decision::Pull { peer: 2, want: 4 });
}

#[test]
fn nothing_to_do_at_or_above_the_low_watermark() {
    let peers = [peer(1, 9)];
    assert_eq!(decide(&situation(3, &peers), draw(0)), Decision::Nothing);
    // Below it, but no peer above the pull target.
    let idle = [peer(1, 6), peer(2, 1)];
    assert_eq!(decide(&situation(1, &idle), draw(0)), Decision::Nothing);
    // No peers at all.
    let s = Situation {
        may_terminate: true,
        ..situation(0, &[])
    };
    assert_eq!(decide(&s, draw(0)), Decision::Nothing);
}

#[test]
fn classic_pulls_first_then_hands_off_at_the_next_check() {
    let peers = [peer(1, 8), peer(2, 9), peer(3, 1)];
    let s = Situation {
        pull: PullStyle::Classic,
        may_terminate: true,
        ..situation(2, &peers)
    };
    let Decision::Pull { peer: asked, want } = decide(&s, draw(0)) else {
        panic!("classic pulls before it hands off")
    };
    assert!(
        [1, 2].contains(&asked),
        "a peer above the target, not {asked}"
    );
    assert_eq!(want, 4);
    let after = Situation {
        pulled_last: true,
        ..s.clone()
    };
    assert_eq!(
        decide(&after, draw(0)),
        Decision::Offer { peer: 3, users: 2 }
    );
    // With nobody to pull from it hands off at once.
    let quiet = [peer(3, 1)];
    let s = Situation { peers: &quiet, ..s };
    assert_eq!(decide(&s, draw(0)), Decision::Offer { peer: 3, users: 2 });
}

#[test]
fn classic_pulls_from_a_random_peer_above_the_target() {
    let peers = [peer(1, 7), peer(2, 10), peer(3, 2), peer(4, 8)];
    let s = Situation {
        pull: PullStyle::Classic,
        ..situation(0, &peers)
    };
    let mut asked = std::collections::BTreeSet::new();
    for n in 0..64 {
        match decide(&s, draw(n)) {
            Decision::Pull { peer, want: 6 } => asked.insert(peer),
            other => panic!("{other:?}"),
        };
    }
    assert_eq!(asked, [1, 2, 4].into(), "every peer above 6, never peer 3");
}

#[test]
fn spread_hands_off_only_with_room_up_to_the_pull_target() {
    // Room up to 6: 6-5 + 6-4 = 3 for 2 users: the least loaded is asked for its share
    // (one goes to it at 4, then the tie at 5 goes to the lower index, peer 1).
    let peers = [peer(1, 5), peer(2, 4)];
    let s = Situation {
        handoff: HandoffStyle::Spread,
        may_terminate: true,
        ..situation(2, &peers)
    };
    assert_eq!(decide(&s, draw(0)), Decision::Offer { peer: 2, users: 1 });
    // Three users over peers at 4 and 2: the plan is [2, 2, 1], so peer 2 is asked for 2.
    let uneven = [peer(1, 4), peer(2, 2)];
    assert_eq!(spread(3, &uneven), vec![2, 2, 1]);
    let three = Situation {
        load: 3,
        peers: &uneven,
        ..s.clone()
    };
    assert_eq!(
        decide(&three, draw(0)),
        Decision::Offer { peer: 2, users: 2 }
    );
    // Room 1 for 2 users: no hand-off (and no peer above 6 to pull from).
    let tight = [peer(1, 5), peer(2, 6)];
    let s = Situation { peers: &tight, ..s };
    assert_eq!(decide(&s, draw(0)), Decision::Nothing);
}

#[test]
fn spread_sends_each_user_to_the_currently_least_loaded_peer() {
    let peers = [peer(7, 3), peer(4, 1), peer(9, 2)];
    assert_eq!(spread(4, &peers), vec![4, 4, 9, 4]);
    assert_eq!(spread(0, &peers), Vec::<u32>::new());
    assert!(spread(3, &[]).is_empty(), "nobody to spread to");
    // Ties go to the lower index.
    assert_eq!(spread(2, &[peer(5, 0), peer(2, 0)]), vec![2, 5]);
}

/// The original model's room test (issue 25): a peer above the pull target counts against
/// the room, so 2 users do not go to peers at 3 and 7 (room 3 - 1 = 2 holds them, 1 does
/// not), where ignoring the peer above the target would have let them.
#[test]
fn spread_counts_a_peer_above_the_target_as_negative_room() {
    assert_eq!(spread_room(6, &[peer(1, 3), peer(2, 7)]), 2);
    assert_eq!(spread_room(6, &[peer(1, 4), peer(2, 9)]), -1);
    assert_eq!(spread_room(6, &[]), 0);
    let offer = |load: u32, peers: &[PeerEntry]| {
        let s = Situation {
            handoff: HandoffStyle::Spread,
            pull: PullStyle::Classic,
            pulled_last: true,
            may_terminate: true,
            ..situation(load, peers)
        };
        decide(&s, draw(0))
    };
    // Room 2: two users go (both to peer 1, the least loaded), three do not.
    let peers = [peer(1, 3), peer(2, 7)];
    assert_eq!(offer(2, &peers), Decision::Offer { peer: 1, users: 2 });
    assert!(!matches!(offer(3, &peers), Decision::Offer { .. }));
    // One more above the target: room 1 holds one user, not two.
    let peers = [peer(1, 3), peer(2, 8)];
    assert_eq!(offer(1, &peers), Decision::Offer { peer: 1, users: 1 });
    assert!(!matches!(offer(2, &peers), Decision::Offer { .. }));
    // Peers below the target only: the room is the plain sum (3 + 2 = 5 holds 2).
    let peers = [peer(1, 3), peer(2, 4)];
    assert_eq!(offer(2, &peers), Decision::Offer { peer: 1, users: 2 });
}

/// The peer that agreed receives the users it agreed to take, even when the view changed
/// between the offer and the answer; the rest are spread over the others (issue 25: one
/// run handed every user to two peers that were never asked).
#[test]
fn the_peer_that_agreed_receives_what_it_agreed_to() {
    // At the answer the anchor (peer 5) looks fuller than the others: a plain spread
    // would give it nothing.
    let peers = [peer(5, 6), peer(2, 1), peer(3, 2)];
    assert!(!spread(2, &peers).contains(&5));
    assert_eq!(spread_agreed(2, &peers, 5, 1), vec![5, 2]);
    assert_eq!(spread_agreed(4, &peers, 5, 2), vec![5, 5, 2, 2]);
    // Fewer users than agreed (one left meanwhile): all to the anchor.
    assert_eq!(spread_agreed(1, &peers, 5, 2), vec![5]);
    // More than agreed and nobody else: the anchor takes them all.
    assert_eq!(spread_agreed(3, &[peer(5, 0)], 5, 1), vec![5, 5, 5]);
    assert!(spread_agreed(0, &peers, 5, 2).is_empty());
}
