//! Replay re-simulates from the header and finds the first mismatch.

use swarmlb_trace::format::Header;
use swarmlb_trace::replay::{Outcome, replay};

use crate::{encode, events_of, reader, record, small};

fn replay_bytes(bytes: &[u8]) -> Outcome {
    replay(reader(bytes).unwrap(), &mut |_| {}).unwrap()
}

#[test]
fn replay_of_a_recording_is_identical() {
    let bytes = record(&small(&["network.loss=0.05"]), 4, 1024);
    match replay_bytes(&bytes) {
        Outcome::Identical {
            events,
            checkpoints,
        } => {
            assert!(events > 1000);
            assert!(checkpoints > 0);
        }
        other => panic!("{other:?}"),
    }
}

/// The same events under a header whose scenario was edited (a valid trace otherwise).
fn with_edited_scenario(bytes: &[u8], edit: impl Fn(&str) -> String) -> Vec<u8> {
    let mut header: Header = reader(bytes).unwrap().header().clone();
    header.scenario_toml = edit(&header.scenario_toml);
    encode(&header, &events_of(bytes))
}

#[test]
fn an_edited_scenario_gives_a_precise_first_mismatch() {
    let bytes = record(&small(&[]), 4, 1024);
    let edited = with_edited_scenario(&bytes, |toml| {
        toml.replacen("capacity = 10", "capacity = 9", 1)
    });
    assert_ne!(edited, bytes);
    match replay_bytes(&edited) {
        Outcome::Mismatch(m) => {
            assert!(m.index > 0, "the first events do not depend on lifespans");
            assert_ne!(m.expected, m.actual);
            assert!(
                m.expected.starts_with("t=") || m.expected.contains("hash"),
                "{m:?}"
            );
        }
        Outcome::Identical { .. } => panic!("an edited scenario must not replay identically"),
    }
}

#[test]
fn a_different_seed_in_the_header_and_its_scenario_mismatches_early() {
    let bytes = record(&small(&[]), 4, 1024);
    let mut header = reader(&bytes).unwrap().header().clone();
    header.seed = 5;
    header.scenario_toml = header.scenario_toml.replacen("seed = 4", "seed = 5", 1);
    let out = encode(&header, &events_of(&bytes));
    assert!(matches!(replay_bytes(&out), Outcome::Mismatch(_)));
}

/// Issue 11 ("one seed"): the header's seed is a copy of the scenario's, kept for the
/// format; a file where they differ cannot say which seed ran, so it is refused.
#[test]
fn a_header_seed_that_differs_from_its_scenario_is_corrupt() {
    let bytes = record(&small(&[]), 4, 1024);
    let mut header = reader(&bytes).unwrap().header().clone();
    assert_eq!(header.seed, 4);
    assert!(header.scenario_toml.contains("\nseed = 4\n"));
    header.seed = 5;
    let out = encode(&header, &events_of(&bytes));
    let error = reader(&out).err().expect("refused").to_string();
    assert!(
        error.contains("header seed 5 differs from its scenario's seed 4"),
        "{error}"
    );
}
