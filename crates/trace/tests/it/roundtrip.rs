use proptest::prelude::*;
use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind};
use swarmlb_trace::fold::Cursor;
use swarmlb_trace::format::Header;

use crate::{encode, reader, record, small};

/// A header whose layout (160 servers, 800 users) has room for agents 0..50.
fn header() -> Header {
    let scenario = swarmlb_model::Scenario::default();
    let layout = swarmlb_model::params::Params::new(&scenario).layout;
    Header {
        producer: "test".into(),
        seed: 1,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every: 1000,
    }
}

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
        let mut time = 0;
        raw.into_iter()
            .map(|(dt, s, t, k, value)| {
                time += dt;
                Event {
                    time: SimTime(time),
                    source: AgentId(s),
                    target: AgentId(t),
                    kind: Kind::ALL[k],
                    value,
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn decode_of_encode_is_identity(events in events_strategy()) {
        let bytes = encode(&header(), &events);
        let report = swarmlb_trace::verify::verify(&mut reader(&bytes).unwrap()).unwrap();
        prop_assert_eq!(report.checkpoints, events.len() as u64 / 1000);
        prop_assert_eq!(report.events, events.len() as u64);
        let mut cursor = Cursor::new(reader(&bytes).unwrap());
        let mut back = vec![];
        while let Some(e) = cursor.next_event().unwrap() {
            back.push(e);
        }
        prop_assert_eq!(back, events);
    }
}

#[test]
fn same_seed_gives_byte_identical_traces_in_one_process() {
    let sc = small(&[]);
    let a = record(&sc, 5, 500);
    let b = record(&sc, 5, 500);
    assert_eq!(a, b);
    assert_ne!(a, record(&sc, 6, 500), "another seed is another run");
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
