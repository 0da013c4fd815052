use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind};
use swarmlb_trace::fold::Cursor;

use crate::{encode, header, reader, record, small};

fn events_strategy() -> impl Strategy<Value = Vec<Event>> {
    proptest::collection::vec(
        (
            0u64..5_000_000,
            0u32..50,
            0u32..50,
            0usize..Kind::ALL.len(),
            any::<u32>(),
        ),
        0..10_000,
    )
    .prop_map(|raw| {
        let h = header(1024);
        let layout = swarmlb_model::Layout {
            max_servers: h.max_servers,
            n_users: h.n_users,
        };
        let mut time = 0;
        raw.into_iter()
            .map(|(dt, s, t, k, value)| {
                time += dt;
                Event {
                    time: SimTime(time),
                    source: AgentId(s),
                    target: AgentId(t),
                    kind: Kind::ALL[k],
                    value: valid(layout, Kind::ALL[k], value),
                }
            })
            .collect()
    })
}

/// `value` made valid for `kind` in `layout` (an index below its bound, kept as it is when
/// the kind's value is not an index), as a reader requires.
fn valid(layout: swarmlb_model::Layout, kind: Kind, value: u32) -> u32 {
    match swarmlb_trace::read::value_bound(layout, kind) {
        Some((_, bound)) => (u64::from(value) % bound) as u32,
        None => value,
    }
}

/// Encodes `events`, verifies the bytes (event and checkpoint counts) and decodes them
/// back to the same events.
fn decodes_to_what_was_encoded(events: &[Event]) -> Result<(), TestCaseError> {
    let bytes = encode(&header(1024), events);
    let report = swarmlb_trace::verify::verify(&mut reader(&bytes).unwrap()).unwrap();
    prop_assert_eq!(report.checkpoints, events.len() as u64 / 1024);
    prop_assert_eq!(report.events, events.len() as u64);
    let mut cursor = Cursor::new(reader(&bytes).unwrap());
    let mut back = vec![];
    while let Some(e) = cursor.next_event().unwrap() {
        back.push(e);
    }
    prop_assert_eq!(back, events);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn decode_of_encode_is_identity(events in events_strategy()) {
        decodes_to_what_was_encoded(&events)?;
    }
}

/// Proptest's saved failure (proptest-regressions/roundtrip.txt, `cc facb39b7…`), kept as a
/// named test: the case its ChaCha seed generates (3,068 events, the case proptest replays
/// before shrinking it), run through the same check. It spans two checkpoints and runs
/// past 2^32 µs (72 minutes), where a 32-bit time would wrap.
#[test]
fn regression_facb39b7_several_checkpoints_past_two_to_the_32_microseconds() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    const SEED: &str = "facb39b7491c56d2ee23aeb5c8982c1ff0168f8d675835bda62fdbb4c690d4a3";
    let seed: Vec<u8> = (0..SEED.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&SEED[i..i + 2], 16).unwrap())
        .collect();
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(ProptestConfig::default(), rng);
    let events = events_strategy().new_tree(&mut runner).unwrap().current();
    assert_eq!(events.len(), 3_068);
    assert!(events.last().unwrap().time.0 > u64::from(u32::MAX));
    decodes_to_what_was_encoded(&events).unwrap();
}

#[test]
fn same_seed_gives_byte_identical_traces_in_one_process() {
    let sc = small(&[]);
    let a = record(&sc, 5, 1024);
    let b = record(&sc, 5, 1024);
    assert_eq!(a, b);
    assert_ne!(a, record(&sc, 6, 1024), "another seed is another run");
}

#[test]
fn model_traces_are_compact() {
    let sc = small(&[]);
    let bytes = record(&sc, 1, 65_536);
    let verify = swarmlb_trace::verify::verify(&mut reader(&bytes).unwrap()).unwrap();
    let per_event = bytes.len() as f64 / verify.events as f64;
    assert!(verify.events > 1_000, "{} events", verify.events);
    assert!(per_event < 16.0, "{per_event:.2} bytes per event");
}

#[test]
fn the_in_place_block_prefix_is_bincode_of_the_block() {
    use swarmlb_trace::format::{self, RawBlock};
    for (first, base, count, packed) in [
        (0u64, 0u64, 1u32, vec![7u8]),
        (1024, 3_600_000_000, 1024, vec![1; 300]),
        (u64::MAX / 3, 250, 17, vec![0; 70_000]),
    ] {
        let whole = format::encode(&RawBlock::Events {
            first_index: first,
            base_time_us: base,
            count,
            packed: packed.clone(),
        });
        let mut framed = format::events_block_prefix(first, base, count, packed.len());
        framed.extend_from_slice(&packed);
        assert_eq!(framed, whole);
    }
}
