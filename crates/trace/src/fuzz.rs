//! Fuzz harnesses, shared by the cargo-fuzz targets in `fuzz/` and by ordinary tests that
//! run their corpora on stable. Each must return normally for every input.

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind, Scenario};

use crate::fold::{Cursor, State};
use crate::format::{Ending, Header};

use crate::format::{self, FORMAT_MAJOR, FORMAT_MINOR, MAGIC};
use crate::read::TraceReader;
use crate::write::events_to_vec;

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

/// Frame arbitrary bytes as blocks *with correct chained checksums* behind a valid header,
/// so that they reach the block decoder and the checks after it (a plain byte fuzzer stops
/// at the checksum). The input is a sequence of chunks, each a two-byte little-endian
/// length and that many bytes; a first byte of 0xFF makes the first chunk the header
/// payload instead (with a correct header checksum).
pub fn trace_blocks(bytes: &[u8]) {
    let mut chunks = Vec::new();
    let mut rest = bytes.get(1..).unwrap_or_default();
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        chunks.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    let own_header = bytes.first() != Some(&0xFF) || chunks.is_empty();
    let header_payload = if own_header {
        format::encode(&small_header())
    } else {
        chunks.remove(0).to_vec()
    };
    let file = frame_blocks(&header_payload, &chunks);
    let Ok(mut reader) = TraceReader::new(&file[..], "fuzz") else {
        return;
    };
    let _ = crate::verify::verify(&mut reader);
    trace_reader(&file);
}

/// A valid header of a small run (seed-classic, a few hundred agents), with the checkpoint
/// interval a recording of it has, so recorded blocks read behind it.
fn small_header() -> Header {
    let scenario = Scenario::builtin("seed-classic").expect("built-in");
    let layout = swarmlb_model::params::Params::new(&scenario, 1).layout;
    Header {
        producer: "fuzz".into(),
        seed: 1,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every: format::checkpoint_interval(layout.n_agents()),
    }
}

/// A trace file of the current version: `header_payload`, then each of `blocks` framed
/// with its length and chained checksum.
pub fn frame_blocks(header_payload: &[u8], blocks: &[&[u8]]) -> Vec<u8> {
    let mut file = MAGIC.to_vec();
    file.extend_from_slice(&FORMAT_MAJOR.to_le_bytes());
    file.extend_from_slice(&FORMAT_MINOR.to_le_bytes());
    file.extend_from_slice(&(header_payload.len() as u32).to_le_bytes());
    let mut chain = format::header_crc(FORMAT_MAJOR, FORMAT_MINOR, header_payload);
    file.extend_from_slice(&chain.to_le_bytes());
    file.extend_from_slice(header_payload);
    for payload in blocks {
        chain = format::block_crc(chain, &[payload]);
        file.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        file.extend_from_slice(&chain.to_le_bytes());
        file.extend_from_slice(payload);
    }
    file
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
    let encoded = events_to_vec(&header, &events, Ending::Complete).expect("memory");
    let mut verifier = TraceReader::new(&encoded[..], "fuzz").expect("own header");
    crate::verify::verify(&mut verifier).expect("own trace verifies");
    let mut cursor = Cursor::new(TraceReader::new(&encoded[..], "fuzz").expect("own header"));
    let mut decoded = Vec::with_capacity(events.len());
    while let Some(e) = cursor.next_event().expect("own trace") {
        decoded.push(e);
    }
    assert_eq!(decoded, events, "decode(encode(events)) != events");
}
