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

/// One semantic edit of a recorded trace: an operator on fields, not bytes. The edited
/// trace is written again by the format's own writer, so every checksum, the chain, the
/// checkpoints and the final hash are honest: only the reader's semantic checks (and
/// `replay`) stand between it and every consumer.
#[derive(Debug, arbitrary::Arbitrary)]
pub enum SemanticOp {
    /// Set an event's time (the events are then put back in time order).
    Time {
        /// Which event (modulo the count).
        at: u16,
        /// The new time: small values near the run, large ones far past it.
        time: TimeChoice,
    },
    /// Set an event's kind code (modulo the kinds).
    Kind {
        /// Which event.
        at: u16,
        /// The kind code.
        code: u8,
    },
    /// Set an event's source.
    Source {
        /// Which event.
        at: u16,
        /// The agent id (anything).
        agent: u32,
    },
    /// Set an event's target.
    Target {
        /// Which event.
        at: u16,
        /// The agent id (anything).
        agent: u32,
    },
    /// Set an event's value.
    Value {
        /// Which event.
        at: u16,
        /// The value (anything).
        value: u32,
    },
    /// Copy an event to another place.
    Duplicate {
        /// Which event.
        at: u16,
        /// Where the copy goes.
        to: u16,
    },
    /// Remove an event.
    Remove {
        /// Which event.
        at: u16,
    },
    /// Set the header's checkpoint interval (any value: those a writer cannot make are
    /// framed by hand).
    CheckpointEvery {
        /// The interval.
        every: u64,
    },
    /// Set a header field: the seed, the layout's counts, or a scenario field.
    Header(HeaderEdit),
    /// Mark the run interrupted instead of complete.
    Interrupted,
}

/// A time for [`SemanticOp::Time`].
#[derive(Copy, Clone, Debug, arbitrary::Arbitrary)]
pub enum TimeChoice {
    /// Microseconds from 0 (within the run or just past it).
    Near(u32),
    /// Any time at all.
    Any(u64),
    /// The run's duration plus this many µs.
    PastEnd(u16),
}

/// A header field for [`SemanticOp::Header`].
#[derive(Copy, Clone, Debug, arbitrary::Arbitrary)]
pub enum HeaderEdit {
    /// The header's copy of the seed.
    Seed(u64),
    /// The layout's server count.
    MaxServers(u32),
    /// The layout's user count.
    Users(u32),
    /// The scenario's duration, in ms.
    DurationMs(u32),
    /// The scenario's server capacity (a relabel no event depends on).
    Capacity(u32),
}

/// A small recorded run that [`trace_semantic`] edits: seed-classic for 20 s.
fn semantic_original() -> &'static (Vec<u8>, Header, Vec<Event>) {
    static ORIGINAL: std::sync::OnceLock<(Vec<u8>, Header, Vec<Event>)> =
        std::sync::OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let scenario = Scenario {
            duration: swarmlb_model::scenario::Dur::secs(20),
            ..Scenario::builtin("seed-classic").expect("built-in")
        };
        let bytes =
            crate::write::record_to_vec(&scenario, format::CHECKPOINT_EVERY_MIN).expect("memory");
        let reader = TraceReader::new(&bytes[..], "original").expect("own trace");
        let header = reader.header().clone();
        let mut cursor = Cursor::new(reader);
        let mut events = Vec::new();
        while let Some(e) = cursor.next_event().expect("own trace") {
            events.push(e);
        }
        (bytes, header, events)
    })
}

/// Apply semantically mutated, CRC- and chain-valid edits ([`SemanticOp`]) to a recorded
/// run and run every reader on the result, and the two-trace commands (diff, why) against
/// the original in both orders. None may panic or hang; and a naive reference decides
/// what the reader must refuse: an event past the duration or with an agent, server or
/// slot outside the layout is damage in `verify`, whatever else the edits did.
pub fn trace_semantic(bytes: &[u8]) {
    let Ok(ops) = arbitrary::Unstructured::new(bytes).arbitrary::<Vec<SemanticOp>>() else {
        return;
    };
    let (original, original_header, events) = semantic_original();
    let mut header = original_header.clone();
    let mut events = events.clone();
    let mut every = header.checkpoint_every;
    let mut ending = Ending::Complete;
    let Ok(mut scenario) = Scenario::parse(&header.scenario_toml, "original", &[]) else {
        unreachable!("the original's scenario parses");
    };
    for op in ops.iter().take(16) {
        let n = events.len().max(1);
        match *op {
            SemanticOp::Time { at, time } => {
                if let Some(e) = events.get_mut(usize::from(at) % n) {
                    e.time = SimTime(match time {
                        TimeChoice::Near(us) => u64::from(us),
                        TimeChoice::Any(us) => us,
                        TimeChoice::PastEnd(us) => scenario.duration.us() + u64::from(us),
                    });
                }
            }
            SemanticOp::Kind { at, code } => {
                if let Some(e) = events.get_mut(usize::from(at) % n) {
                    e.kind = Kind::ALL[usize::from(code) % Kind::ALL.len()];
                }
            }
            SemanticOp::Source { at, agent } => {
                if let Some(e) = events.get_mut(usize::from(at) % n) {
                    e.source = AgentId(agent);
                }
            }
            SemanticOp::Target { at, agent } => {
                if let Some(e) = events.get_mut(usize::from(at) % n) {
                    e.target = AgentId(agent);
                }
            }
            SemanticOp::Value { at, value } => {
                if let Some(e) = events.get_mut(usize::from(at) % n) {
                    e.value = value;
                }
            }
            SemanticOp::Duplicate { at, to } => {
                if let Some(&e) = events.get(usize::from(at) % n) {
                    events.insert(usize::from(to) % (events.len() + 1), e);
                }
            }
            SemanticOp::Remove { at } => {
                if !events.is_empty() {
                    events.remove(usize::from(at) % n);
                }
            }
            SemanticOp::CheckpointEvery { every: e } => every = e,
            SemanticOp::Header(edit) => match edit {
                HeaderEdit::Seed(seed) => header.seed = seed,
                HeaderEdit::MaxServers(m) => header.max_servers = m,
                HeaderEdit::Users(u) => header.n_users = u,
                HeaderEdit::DurationMs(ms) => {
                    scenario.duration = swarmlb_model::scenario::Dur::millis(u64::from(ms));
                    header.scenario_toml = scenario.to_toml();
                }
                HeaderEdit::Capacity(c) => {
                    scenario.servers.capacity = c;
                    header.scenario_toml = scenario.to_toml();
                }
            },
            SemanticOp::Interrupted => ending = Ending::Interrupted,
        }
    }
    // The writer keeps time order: put the events back in it (stable, so an edit that
    // keeps the order keeps the events' own order).
    events.sort_by_key(|e| e.time);
    // Written with an interval and a layout the writer accepts (its fold is sized by the
    // layout: an edited count of 2^32 servers would size it, not the reader), then the
    // header re-framed with the asked ones when they differ.
    header.checkpoint_every = every;
    let mut writable = header.clone();
    writable.checkpoint_every =
        every.clamp(format::CHECKPOINT_EVERY_MIN, format::CHECKPOINT_EVERY_MAX);
    writable.max_servers = original_header.max_servers;
    writable.n_users = original_header.n_users;
    let Ok(mut edited) = events_to_vec(&writable, &events, ending) else {
        return;
    };
    if writable != header {
        let (_, blocks) = split_blocks(&edited);
        let blocks: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
        edited = frame_blocks(&format::encode(&header), &blocks);
    }
    // The naive reference: what the reader must refuse, from the header as edited.
    let layout = swarmlb_model::Layout {
        max_servers: header.max_servers,
        n_users: header.n_users,
    };
    let impossible = events.iter().any(|e| {
        let out = |id: AgentId| id.0 as usize >= layout.n_agents();
        let value_out = crate::read::value_bound(layout, e.kind).is_some_and(|(_, bound)| {
            e.value != swarmlb_model::ids::NONE && u64::from(e.value) >= bound
        });
        e.time.0 > scenario.duration.us() || out(e.source) || out(e.target) || value_out
    });
    let verified = TraceReader::new(&edited[..], "edited")
        .map_err(|_| ())
        .and_then(|mut r| crate::verify::verify(&mut r).map_err(|_| ()));
    assert!(
        !(impossible && verified.is_ok()),
        "verify accepted an impossible event: {ops:?}"
    );
    trace_reader(&edited);
    if let Ok(r) = TraceReader::new(&edited[..], "edited") {
        let _ = crate::stats::count(r);
    }
    if verified.is_ok()
        && let Ok(r) = TraceReader::new(&edited[..], "edited")
    {
        let _ = crate::replay::replay(r, &mut |_| {});
    }
    for (a, b) in [(&original[..], &edited[..]), (&edited[..], &original[..])] {
        let open = || Ok((TraceReader::new(a, "a")?, TraceReader::new(b, "b")?));
        let _ = crate::diff::diff(open, None);
        if let (Ok(ra), Ok(rb)) = (TraceReader::new(a, "a"), TraceReader::new(b, "b")) {
            let _ = crate::why::tree(ra, rb);
        }
    }
}

/// The header payload and every block payload of a trace file, as framed (the inverse of
/// [`frame_blocks`]; a frame cut short ends the list).
pub fn split_blocks(bytes: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let u32_at = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let Some(header_len) = u32_at(12) else {
        return (Vec::new(), Vec::new());
    };
    let start = format::PREAMBLE_LEN as usize;
    let header = bytes
        .get(start..start + header_len)
        .unwrap_or_default()
        .to_vec();
    let mut at = start + header_len;
    let mut blocks = Vec::new();
    while let Some(len) = u32_at(at) {
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        blocks.push(payload.to_vec());
        at += 8 + len;
    }
    (header, blocks)
}
