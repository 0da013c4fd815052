//! The fold of a trace equals the live model at every checkpoint.

use swarmlb_trace::fold::{Cursor, Item, State};

use crate::{reader, record, small};

fn checkpoints_match(overrides: &[&str], seed: u64) -> usize {
    let sc = small(overrides);
    let bytes = record(&sc, seed, 97);
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
        ) > 20
    );
}
