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
    let layout = swarmlb_model::params::Params::new(&scenario).layout;
    Header {
        producer: "fuzz".into(),
        seed: scenario.seed,
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
        let mut sim = swarmlb_model::build(&scenario);
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
    let layout = swarmlb_model::params::Params::new(&scenario).layout;
    let n_agents = layout.n_agents() as u32;
    let mut time = 0u64;
    let events: Vec<Event> = bytes
        .chunks_exact(8)
        .map(|c| {
            time += u64::from(u16::from_le_bytes([c[0], c[1]]));
            let kind = Kind::ALL[usize::from(c[2]) % Kind::ALL.len()];
            let source = u32::from(u16::from_le_bytes([c[3], c[4]])) % n_agents;
            let target = u32::from(u16::from_le_bytes([c[5], c[6]])) % n_agents;
            // A value the reader accepts for the kind (an index below its bound).
            let value = match crate::read::value_bound(layout, kind) {
                Some((_, bound)) => (u64::from(c[7]) % bound) as u32,
                None => u32::from(c[7]),
            };
            Event {
                time: SimTime(time),
                source: AgentId(source),
                target: AgentId(target),
                kind,
                value,
            }
        })
        .collect();
    let header = Header {
        producer: "fuzz".into(),
        seed: scenario.seed,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every: format::CHECKPOINT_EVERY_MIN,
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

/// A small run described by fuzzer bytes: scenario knobs and a list of faults at random
/// times. Every value is bounded, and every combination is a valid scenario.
#[derive(Debug, arbitrary::Arbitrary)]
pub struct ModelOps {
    servers: u8,
    capacity: u8,
    users: u8,
    loss_per_mille: u16,
    latency_ms: u8,
    policy: u8,
    seed: u16,
    low_watermark_percent: u8,
    /// Bits choosing the original model's variants: classic pull, spread hand-off,
    /// scale-out on overflow, lifespan while connected, the population rule, the
    /// server-then-user butterfly victim, no termination grace.
    original: u8,
    faults: Vec<Fault>,
}

/// One fault or perturbation of a [`ModelOps`] run.
#[derive(Debug, arbitrary::Arbitrary)]
pub enum Fault {
    /// A server crashes.
    Crash {
        /// Seconds into the run.
        at_s: u8,
        /// Which server (modulo the servers that exist).
        server: u8,
    },
    /// Some servers are cut off from the others for a while.
    Partition {
        /// Seconds into the run.
        at_s: u8,
        /// How long, in seconds.
        duration_s: u8,
        /// How many servers, from index 0.
        servers: u8,
    },
    /// One user is disconnected (the butterfly).
    Butterfly {
        /// Seconds into the run.
        at_s: u8,
    },
    /// The coordinator crashes (matters to the centralized policies).
    CoordinatorCrash {
        /// Seconds into the run.
        at_s: u8,
    },
}

/// Events one [`model_invariants`] run may handle: bounded so each input runs quickly.
const MODEL_EVENTS_MAX: u64 = 5_000;

impl ModelOps {
    /// The scenario these operations describe (60 simulated seconds, at most 8 servers
    /// and 40 users).
    pub fn scenario(&self) -> Scenario {
        use swarmlb_model::scenario::{Crash, Dur, Partition};
        let mut sc = Scenario {
            name: "fuzz".into(),
            seed: u64::from(self.seed),
            duration: Dur::secs(60),
            ..Scenario::default()
        };
        let initial = 1 + u32::from(self.servers % 8);
        sc.servers.initial = initial;
        sc.servers.max_servers = initial + 2;
        sc.servers.capacity = 1 + u32::from(self.capacity % 12);
        sc.servers.low_watermark = f64::from(self.low_watermark_percent % 51) / 100.0;
        sc.servers.terminate_watermark = sc.servers.low_watermark / 2.0;
        sc.servers.pull_target = sc.servers.low_watermark.max(0.6);
        sc.servers.high_watermark = sc.servers.pull_target.max(0.9);
        sc.servers.provisioning_delay = Dur::secs(2);
        sc.servers.terminate_grace = Dur::secs(5);
        sc.users.count = u32::from(self.users % 41);
        sc.users.spawn_spread = Dur::secs(3);
        sc.users.heartbeat_interval = Dur::secs(3);
        sc.network.loss = f64::from(self.loss_per_mille % 301) / 1000.0;
        sc.network.latency_max = Dur::millis(1 + u64::from(self.latency_ms % 200));
        sc.users.attempt_timeout = Dur::millis(u64::from(self.latency_ms % 200) / 2 + 1);
        sc.network.directory_refresh = Dur::secs(5);
        sc.policy =
            swarmlb_model::Policy::ALL[usize::from(self.policy) % swarmlb_model::Policy::ALL.len()];
        swarmlb_model::variants::apply(&mut sc, self.original);
        for fault in self.faults.iter().take(8) {
            match *fault {
                Fault::Crash { at_s, server } => sc.crashes.push(Crash {
                    at: Dur::secs(u64::from(at_s % 60)),
                    servers: vec![u32::from(server) % initial],
                }),
                Fault::Partition {
                    at_s,
                    duration_s,
                    servers,
                } => sc.partitions.push(Partition {
                    at: Dur::secs(u64::from(at_s % 60)),
                    duration: Dur::secs(1 + u64::from(duration_s % 30)),
                    servers: (0..u32::from(servers) % initial).collect(),
                }),
                Fault::Butterfly { at_s } => {
                    sc = sc.perturbed_at(Dur::secs(u64::from(at_s % 60)), None);
                }
                Fault::CoordinatorCrash { at_s } => {
                    sc.coordinator.crash_at = Some(Dur::secs(u64::from(at_s % 60)))
                }
            }
        }
        sc
    }
}

/// Run the scenario that arbitrary bytes describe ([`ModelOps`]) and check every model
/// invariant after every event; a violation is a bug and panics with how to reproduce it.
pub fn model_invariants(bytes: &[u8]) {
    let Ok(ops) = arbitrary::Unstructured::new(bytes).arbitrary::<ModelOps>() else {
        return;
    };
    let scenario = ops.scenario();
    if let Err(e) = scenario.validate() {
        panic!(
            "fuzz scenarios are valid by construction: {}: {e}\n{ops:?}",
            e.field()
        );
    }
    let mut checked = swarmlb_model::invariants::Checked::new(&scenario);
    while checked.sim.events_total() < MODEL_EVENTS_MAX {
        match checked.step() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(v) => panic!(
                "{v}\nreproduce: seed {} and scenario\n{}",
                ops.seed,
                scenario.to_toml()
            ),
        }
    }
}
