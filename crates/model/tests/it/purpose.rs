//! Named randomness: every keyed draw starts with its purpose, and no two purposes share a
//! number, so no two decisions draw the same numbers.

use swarmlb_engine::KeyedDraw;
use swarmlb_model::purpose::{self, Purpose};

#[test]
fn purposes_are_distinct_dense_and_start_every_key() {
    let codes: Vec<u64> = Purpose::ALL.iter().map(|p| p.code()).collect();
    let expected: Vec<u64> = (1..=Purpose::ALL.len() as u64).collect();
    assert_eq!(codes, expected, "dense from 1, in order, each once");
    for &p in Purpose::ALL {
        let (key, len) = purpose::key(p, &[7, 9]);
        assert_eq!(&key[..len], &[p.code(), 7, 9]);
    }
}

#[test]
fn two_purposes_with_the_same_parts_draw_different_numbers() {
    // The same agent and the same request identity under two purposes.
    let draws: Vec<u64> = Purpose::ALL
        .iter()
        .map(|&p| {
            let (key, len) = purpose::key(p, &[3, 1_000_000]);
            KeyedDraw::new(1, &[42]).extend(&key[..len]).mix(0)
        })
        .collect();
    let mut unique = draws.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), draws.len(), "a collision between purposes");
}
