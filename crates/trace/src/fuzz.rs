//! Fuzz harnesses, shared by the cargo-fuzz targets in `fuzz/` and by ordinary tests that
//! run their corpora on stable. Each must return normally for every input.

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind, Scenario};

use crate::fold::{Cursor, State};
use crate::format::{Ending, Header};
use crate::read::TraceReader;
use crate::write::TraceWriter;

/// Read arbitrary bytes as a trace: every block, folding every event.
pub fn trace_reader(bytes: &[u8]) {
    let Ok(reader) = TraceReader::new(bytes, "fuzz") else {
        return;
    };
    let mut state = State::new(reader.layout());
    let mut cursor = Cursor::new(reader);
    while let Ok(Some(event)) = cursor.next_event() {
        state.apply(&event);
    }
    let _ = state.observed.hash();
}

/// Parse arbitrary bytes as a scenario (and run it briefly when it is valid and small).
pub fn scenario_parser(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(scenario) = Scenario::parse(text, "fuzz", &[]) else {
        return;
    };
    if scenario.user_slots() <= 200 && scenario.servers.max_servers <= 50 {
        let mut sim = swarmlb_model::build(&scenario, 1);
        sim.run(
            swarmlb_engine::Limits {
                until: SimTime::MAX,
                events_max: 2_000,
            },
            &mut (),
        );
    }
}

/// Encode events derived from arbitrary bytes and check they decode to the same events
/// (the reference model is the plain `Vec<Event>`).
pub fn trace_roundtrip(bytes: &[u8]) {
    let scenario = Scenario::default();
    let layout = swarmlb_model::params::Params::new(&scenario, 1).layout;
    let n_agents = layout.n_agents() as u32;
    let mut time = 0u64;
    let events: Vec<Event> = bytes
        .chunks_exact(8)
        .map(|c| {
            time += u64::from(u16::from_le_bytes([c[0], c[1]]));
            let kind = Kind::ALL[usize::from(c[2]) % Kind::ALL.len()];
            let source = u32::from(u16::from_le_bytes([c[3], c[4]])) % n_agents;
            let target = u32::from(u16::from_le_bytes([c[5], c[6]])) % n_agents;
            Event {
                time: SimTime(time),
                source: AgentId(source),
                target: AgentId(target),
                kind,
                value: u32::from(c[7]),
            }
        })
        .collect();
    let header = Header {
        producer: "fuzz".into(),
        seed: 1,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every: 64,
    };
    let mut writer = TraceWriter::new(Vec::new(), "fuzz", &header).expect("memory");
    for e in &events {
        writer
            .push(e.time.0, e.source.0, e.target.0, e.kind, e.value)
            .expect("memory");
    }
    let encoded = writer.finish(0, Ending::Complete).expect("memory");
    let mut cursor = Cursor::new(TraceReader::new(&encoded[..], "fuzz").expect("own header"));
    let mut decoded = Vec::with_capacity(events.len());
    while let Some(e) = cursor.next_event().expect("own trace") {
        decoded.push(e);
    }
    assert_eq!(decoded, events, "decode(encode(events)) != events");
}
