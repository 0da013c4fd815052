//! The fold of a trace equals the live model at every checkpoint.

use swarmlb_engine::SimTime;
use swarmlb_trace::fold::{Cursor, Item, State};

use crate::{events_of, reader, record, small};

/// Ten minutes: more than 20 checkpoints at the smallest interval (1024 events).
fn checkpoints_match(overrides: &[&str], seed: u64) -> usize {
    let mut all = vec!["duration=\"10m\""];
    all.extend_from_slice(overrides);
    let sc = small(&all);
    let bytes = record(&sc, seed, 1024);
    let r = reader(&bytes).unwrap();
    let mut state = State::new(r.layout());
    let mut cursor = Cursor::new(r);
    let mut checked = 0;
    while let Some(item) = cursor.next_item().unwrap() {
        match item {
            Item::Event(e) => state.apply(&e),
            Item::Checkpoint { index, state_hash } => {
                assert_eq!(index, state.events);
                assert_eq!(
                    state.observed.hash(),
                    state_hash,
                    "fold differs from the live state after {index} events"
                );
                checked += 1;
            }
            Item::Footer(f) => assert_eq!(state.observed.hash(), f.final_hash),
        }
    }
    checked
}

#[test]
fn fold_equals_live_state_at_every_checkpoint() {
    assert!(checkpoints_match(&[], 1) > 20);
}

#[test]
fn fold_equals_live_state_with_crashes_loss_and_a_coordinator() {
    assert!(
        checkpoints_match(
            &[
                "network.loss=0.1",
                "crashes=[{ at = \"30s\", servers = [0, 1] }]"
            ],
            2
        ) > 20
    );
    assert!(
        checkpoints_match(
            &[
                "policy=\"least-connections\"",
                "coordinator.crash_at=\"1m\""
            ],
            3
        ) > 10
    );
}

/// `fold_until` folds every event at or before the time, across checkpoints, and stops at
/// the first later event: the same state as folding the events by hand.
#[test]
fn fold_until_crosses_checkpoints_and_stops_at_the_time() {
    let bytes = record(&small(&[]), 1, 1024);
    let events = events_of(&bytes);
    let layout = reader(&bytes).unwrap().layout();
    let mut cursor = Cursor::new(reader(&bytes).unwrap());
    let (mut folded, mut by_hand) = (State::new(layout), State::new(layout));
    let mut applied = 0;
    for t in [0, 1_000_000, 7_777_777, 30_000_000, 60_000_000, u64::MAX] {
        cursor.fold_until(&mut folded, SimTime(t)).unwrap();
        while applied < events.len() && events[applied].time.0 <= t {
            by_hand.apply(&events[applied]);
            applied += 1;
        }
        assert_eq!(folded.events, applied as u64, "at {t} us");
        assert_eq!(folded.observed.hash(), by_hand.observed.hash(), "at {t} us");
    }
    assert_eq!(applied, events.len());
    assert!(events.len() > 3 * 1024, "several checkpoints were crossed");
}

/// The fast path (`has_buffered_event`, `next_buffered_event`) yields the block in memory,
/// never an item that `peek` holds, and together with `next_item` every event in order.
#[test]
fn buffered_events_are_the_rest_of_the_block_in_memory() {
    let bytes = record(&small(&["duration=\"8m\""]), 1, 1024);
    let events = events_of(&bytes);
    let mut cursor = Cursor::new(reader(&bytes).unwrap());
    let (mut seen, mut buffered, mut checkpoints) = (Vec::new(), 0, 0);
    loop {
        while cursor.has_buffered_event() {
            seen.push(cursor.next_buffered_event().expect("a buffered event"));
            buffered += 1;
        }
        assert_eq!(cursor.next_buffered_event(), None);
        if let Ok(Some(Item::Event(_))) = cursor.peek() {
            // A peeked event is pending: it comes before the buffer.
            assert!(!cursor.has_buffered_event());
            assert_eq!(cursor.next_buffered_event(), None);
        }
        match cursor.next_item().unwrap() {
            Some(Item::Event(e)) => seen.push(e),
            Some(Item::Checkpoint { .. }) => checkpoints += 1,
            Some(Item::Footer(_)) => {}
            None => break,
        }
    }
    assert_eq!(seen, events);
    assert!(
        buffered > events.len() / 2,
        "{buffered} of {}",
        events.len()
    );
    assert!(checkpoints > 20, "{checkpoints} checkpoints");
}
