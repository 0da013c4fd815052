//! Streaming trace reader: one block in memory at a time, every byte checked (CRC, lengths,
//! indices, time order, kinds, agent ids) and every event checked against its header
//! (times within the run's duration, agent, server and user-slot values within its
//! layout). Problems come back as errors with the byte offset of the block where they were
//! found, never as panics.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind, Layout, Scenario, Value};

use swarmlb_model::ids::NONE;

use crate::error::TraceError;
use crate::format::{
    self, BLOCK_LEN_MAX, CHECKPOINT_EVERY_MAX, CHECKPOINT_EVERY_MIN, FORMAT_MAJOR, Footer,
    HEADER_LEN_MAX, Header, MAGIC, RawBlock,
};

/// A decoded block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// Events with absolute times, starting at trace index `first_index`.
    Events {
        /// Index of the first event.
        first_index: u64,
        /// The events.
        events: Vec<Event>,
    },
    /// The state hash after the first `index` events.
    Checkpoint {
        /// Events before the checkpoint.
        index: u64,
        /// Time of the last of them.
        time: SimTime,
        /// Hash of the observable state.
        state_hash: u64,
    },
    /// The end of the trace.
    Footer(Footer),
}

/// Reads a trace block by block.
pub struct TraceReader<R: Read> {
    input: R,
    name: PathBuf,
    header: Header,
    layout: Layout,
    /// The run's duration: no event of it happens later.
    duration_us: u64,
    offset: u64,
    /// The checksum of the last block read (the header's at first), which the next
    /// block's checksum covers.
    chain: u32,
    /// True after the event that completes a checkpoint interval, until its checkpoint.
    checkpoint_due: bool,
    events_seen: u64,
    last_time_us: u64,
    finished: bool,
    payload: Vec<u8>,
}

impl TraceReader<BufReader<File>> {
    /// Open a trace file and read its header.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(|e| TraceError::io(path, e))?;
        TraceReader::new(BufReader::with_capacity(1 << 16, file), path)
    }
}

/// The length of the prefix of `bytes` whose CRC32, after `before`, is `crc`: a block that
/// is intact but whose length field was damaged. Only run when a file ends inside a block,
/// so its linear cost (one byte at a time, at most the block's length) is paid once.
fn intact_prefix(before: &[&[u8]], bytes: &[u8], crc: u32) -> Option<usize> {
    let mut h = crc32fast::Hasher::new();
    for part in before {
        h.update(part);
    }
    for (i, byte) in bytes.iter().enumerate() {
        h.update(std::slice::from_ref(byte));
        if h.clone().finalize() == crc {
            return Some(i + 1);
        }
    }
    None
}

/// Check an event's value against the layout where its kind says it names an agent, a
/// server or a user slot (or [`NONE`]): every consumer may then index by it. Loads and
/// counts are not bounded here; nothing indexes by them.
fn check_value(layout: Layout, kind: Kind, value: u32) -> Result<(), String> {
    let Some((what, bound)) = value_bound(layout, kind) else {
        return Ok(());
    };
    if value == NONE || u64::from(value) < bound {
        Ok(())
    } else {
        Err(format!("{what} out of range (there are {bound})"))
    }
}

/// What an event of `kind` names by its value, and how many of those the layout has
/// (values below it, or [`NONE`], are valid); `None` when the value is not an index.
pub fn value_bound(layout: Layout, kind: Kind) -> Option<(&'static str, u64)> {
    match kind.value() {
        Value::Agent(_) => Some(("agent id", layout.n_agents() as u64)),
        Value::Server(_) => Some(("server index", u64::from(layout.max_servers))),
        Value::Slot => Some(("user slot", u64::from(layout.n_users))),
        Value::None
        | Value::Load
        | Value::ReportedLoad
        | Value::Count(_)
        | Value::Flag(_)
        | Value::Body => None,
    }
}

/// Read until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl<R: Read> TraceReader<R> {
    /// Read the header from `input` (`name` appears in errors).
    pub fn new(mut input: R, name: impl Into<PathBuf>) -> Result<Self, TraceError> {
        let name = name.into();
        let mut preamble = [0u8; format::PREAMBLE_LEN as usize];
        let n = read_full(&mut input, &mut preamble).map_err(|e| TraceError::io(&name, e))?;
        if n < 8 && MAGIC.starts_with(&preamble[..n]) {
            // Empty, or cut inside the magic bytes: a run killed before its header.
            return Err(TraceError::Truncated {
                file: name,
                offset: 0,
                events_intact: 0,
            });
        }
        if n < 8 || preamble[..8] != MAGIC {
            return Err(TraceError::BadMagic { file: name });
        }
        if n < preamble.len() {
            return Err(TraceError::Truncated {
                file: name,
                offset: 0,
                events_intact: 0,
            });
        }
        let corrupt = |offset, reason: String| TraceError::Corrupt {
            file: name.clone(),
            offset,
            reason,
        };
        let u16_at = |i: usize| u16::from_le_bytes([preamble[i], preamble[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes(preamble[i..i + 4].try_into().expect("4 bytes"));
        let (major, minor, len, crc) = (u16_at(8), u16_at(10), u32_at(12), u32_at(16));
        let other_version = || -> Option<TraceError> {
            match major {
                FORMAT_MAJOR => None,
                0 => Some(corrupt(8, "format major version 0 does not exist".into())),
                m if m > FORMAT_MAJOR => Some(TraceError::UnsupportedVersion {
                    file: name.clone(),
                    found_major: major,
                    found_minor: minor,
                    major: FORMAT_MAJOR,
                }),
                _ => Some(TraceError::OldVersion {
                    file: name.clone(),
                    found_major: major,
                    found_minor: minor,
                    major: FORMAT_MAJOR,
                }),
            }
        };
        // The preamble's layout and the header limit are the same in every version, so an
        // impossible length is damage whatever the version field says.
        if len > HEADER_LEN_MAX {
            return Err(corrupt(
                12,
                format!("header length {len} exceeds the maximum {HEADER_LEN_MAX}"),
            ));
        }
        let mut payload = vec![0u8; len as usize];
        let n = read_full(&mut input, &mut payload).map_err(|e| TraceError::io(&name, e))?;
        if n < payload.len() {
            // An intact header behind a damaged length field is corruption, not a cut.
            let versions = [major.to_le_bytes(), minor.to_le_bytes()].concat();
            if let Some(n) = intact_prefix(&[&versions], &payload[..n], crc) {
                return Err(corrupt(
                    12,
                    format!("header length field says {len} bytes, but the intact header is {n}"),
                ));
            }
            return Err(TraceError::Truncated {
                file: name,
                offset: 0,
                events_intact: 0,
            });
        }
        // The checksum covers the version fields: check it first, so a flipped version
        // bit is reported as damage, not as a newer format.
        let actual = format::header_crc(major, minor, &payload);
        if actual != crc {
            return Err(corrupt(
                0,
                format!("header checksum mismatch (stored {crc:08x}, computed {actual:08x})"),
            ));
        }
        if let Some(e) = other_version() {
            return Err(e);
        }
        let header: Header = format::decode(&payload)
            .map_err(|e| corrupt(format::PREAMBLE_LEN, format!("header does not decode: {e}")))?;
        if !(CHECKPOINT_EVERY_MIN..=CHECKPOINT_EVERY_MAX).contains(&header.checkpoint_every) {
            return Err(corrupt(
                format::PREAMBLE_LEN,
                format!(
                    "header declares a checkpoint every {} events (allowed: \
                     {CHECKPOINT_EVERY_MIN} to {CHECKPOINT_EVERY_MAX})",
                    header.checkpoint_every
                ),
            ));
        }
        let layout = Layout {
            max_servers: header.max_servers,
            n_users: header.n_users,
        };
        // The layout sizes every fold; it must be the one the stored scenario implies,
        // so a damaged header cannot make a reader allocate without bound.
        let scenario = Scenario::parse(&header.scenario_toml, "trace header", &[])
            .map_err(|e| corrupt(format::PREAMBLE_LEN, format!("scenario in header: {e}")))?;
        // One seed: the header's copy (kept for the format) is the scenario's own.
        if header.seed != scenario.seed {
            return Err(corrupt(
                format::PREAMBLE_LEN,
                format!(
                    "header seed {} differs from its scenario's seed {}",
                    header.seed, scenario.seed
                ),
            ));
        }
        let implied = swarmlb_model::params::Params::new(&scenario).layout;
        if implied != layout {
            return Err(corrupt(
                format::PREAMBLE_LEN,
                format!("header layout {layout:?} does not match its scenario's {implied:?}"),
            ));
        }
        Ok(TraceReader {
            input,
            name,
            header,
            layout,
            duration_us: scenario.duration.us(),
            offset: format::PREAMBLE_LEN + u64::from(len),
            chain: crc,
            checkpoint_due: false,
            events_seen: 0,
            last_time_us: 0,
            finished: false,
            payload: Vec::new(),
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The agent id layout of the run.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The scenario stored in the header.
    pub fn scenario(&self) -> Result<Scenario, TraceError> {
        Scenario::parse(&self.header.scenario_toml, "trace header", &[]).map_err(|e| {
            TraceError::Corrupt {
                file: self.name.clone(),
                offset: format::PREAMBLE_LEN,
                reason: format!("scenario in header: {e}"),
            }
        })
    }

    /// The name the trace was opened with (its path), which every error names.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// Byte offset of the next block.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Events read so far.
    pub fn events_seen(&self) -> u64 {
        self.events_seen
    }

    /// The input, as far as it was read (after the footer: to its end).
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next block; `None` after the footer. A file that ends without a footer is
    /// reported as truncated, with the events intact before the end.
    pub fn next_block(&mut self) -> Result<Option<Block>, TraceError> {
        if self.finished {
            return Ok(None);
        }
        let start = self.offset;
        let truncated = TraceError::Truncated {
            file: self.name.clone(),
            offset: start,
            events_intact: self.events_seen,
        };
        let mut frame = [0u8; format::FRAME_LEN as usize];
        let n =
            read_full(&mut self.input, &mut frame).map_err(|e| TraceError::io(&self.name, e))?;
        if n < frame.len() {
            return Err(truncated);
        }
        let len = u32::from_le_bytes(frame[..4].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(frame[4..].try_into().expect("4 bytes"));
        let name = self.name.clone();
        let corrupt = |reason: String| TraceError::Corrupt {
            file: name.clone(),
            offset: start,
            reason,
        };
        if len > BLOCK_LEN_MAX {
            return Err(corrupt(format!(
                "block length {len} exceeds the maximum {BLOCK_LEN_MAX}"
            )));
        }
        self.payload.resize(len as usize, 0);
        let n = read_full(&mut self.input, &mut self.payload)
            .map_err(|e| TraceError::io(&self.name, e))?;
        if n < self.payload.len() {
            // An intact block behind a damaged length field is corruption, not a cut: some
            // shorter prefix of what is there then carries the stored checksum.
            let previous = self.chain.to_le_bytes();
            if let Some(actual) = intact_prefix(&[&previous], &self.payload[..n], crc) {
                return Err(corrupt(format!(
                    "block length field says {len} bytes, but the intact block is {actual}"
                )));
            }
            return Err(truncated);
        }
        let actual = format::block_crc(self.chain, &[&self.payload]);
        if actual != crc {
            return Err(corrupt(format!(
                "block checksum mismatch (stored {crc:08x}, computed {actual:08x}): \
                 the block is damaged, or a block before it was removed, repeated or moved"
            )));
        }
        let raw: RawBlock = format::decode(&self.payload)
            .map_err(|e| corrupt(format!("block does not decode: {e}")))?;
        self.chain = crc;
        self.offset += format::FRAME_LEN + u64::from(len);
        let block = self.check(raw).map_err(corrupt)?;
        if self.finished {
            self.expect_end()?;
        }
        Ok(Some(block))
    }

    fn check(&mut self, raw: RawBlock) -> Result<Block, String> {
        match raw {
            RawBlock::Events {
                first_index,
                base_time_us,
                count,
                packed,
            } => {
                if first_index != self.events_seen {
                    return Err(format!(
                        "block starts at event {first_index}, expected {}",
                        self.events_seen
                    ));
                }
                if base_time_us != self.last_time_us {
                    return Err(format!(
                        "block base time {base_time_us} µs, expected {}",
                        self.last_time_us
                    ));
                }
                if count == 0 || count as usize > format::EVENTS_PER_BLOCK {
                    return Err(format!("event block claims {count} events"));
                }
                if self.checkpoint_due {
                    return Err(self.missing_checkpoint());
                }
                let every = self.header.checkpoint_every;
                let room = every - self.events_seen % every;
                if u64::from(count) > room {
                    return Err(format!(
                        "event block of {count} events runs past the checkpoint due after event {}",
                        self.events_seen + room
                    ));
                }
                let n_agents = self.layout.n_agents() as u64;
                let (layout, duration_us) = (self.layout, self.duration_us);
                let mut time = base_time_us;
                let mut out = Vec::with_capacity(count as usize);
                format::unpack_events(&packed, count, |e| {
                    let index = first_index + out.len() as u64;
                    time = time
                        .checked_add(e.dt)
                        .ok_or_else(|| format!("event {index}: time overflows"))?;
                    let kind = Kind::from_code(e.kind)
                        .ok_or_else(|| format!("event {index}: unknown kind code {}", e.kind))?;
                    if time > duration_us {
                        return Err(format!(
                            "event {index}: time {time} µs is past the run's duration of \
                             {duration_us} µs"
                        ));
                    }
                    if u64::from(e.source) >= n_agents || u64::from(e.target) >= n_agents {
                        return Err(format!(
                            "event {index}: agent id out of range ({n_agents} agents)"
                        ));
                    }
                    check_value(layout, kind, e.value)
                        .map_err(|why| format!("event {index}: {kind} value {}: {why}", e.value))?;
                    out.push(Event {
                        time: SimTime(time),
                        source: AgentId(e.source),
                        target: AgentId(e.target),
                        kind,
                        value: e.value,
                    });
                    Ok(())
                })?;
                self.events_seen += out.len() as u64;
                self.last_time_us = time;
                self.checkpoint_due = self.events_seen.is_multiple_of(every);
                Ok(Block::Events {
                    first_index,
                    events: out,
                })
            }
            RawBlock::Checkpoint {
                index,
                time_us,
                state_hash,
            } => {
                if index != self.events_seen || time_us != self.last_time_us {
                    return Err(format!(
                        "checkpoint claims {index} events at {time_us} µs; {} events read, last at {} µs",
                        self.events_seen, self.last_time_us
                    ));
                }
                if !self.checkpoint_due {
                    return Err(format!(
                        "checkpoint after event {index}, where none is due (one every {} events)",
                        self.header.checkpoint_every
                    ));
                }
                self.checkpoint_due = false;
                Ok(Block::Checkpoint {
                    index,
                    time: SimTime(time_us),
                    state_hash,
                })
            }
            RawBlock::Footer(footer) => {
                if footer.events != self.events_seen || footer.end_time_us != self.last_time_us {
                    return Err(format!(
                        "footer claims {} events ending at {} µs; {} events read, last at {} µs",
                        footer.events, footer.end_time_us, self.events_seen, self.last_time_us
                    ));
                }
                if self.checkpoint_due {
                    return Err(self.missing_checkpoint());
                }
                self.finished = true;
                Ok(Block::Footer(footer))
            }
        }
    }

    fn missing_checkpoint(&self) -> String {
        format!(
            "the checkpoint due after event {} (one every {} events) is missing",
            self.events_seen, self.header.checkpoint_every
        )
    }

    /// Nothing may follow the footer.
    fn expect_end(&mut self) -> Result<(), TraceError> {
        let mut byte = [0u8; 1];
        let n = read_full(&mut self.input, &mut byte).map_err(|e| TraceError::io(&self.name, e))?;
        if n > 0 {
            return Err(TraceError::Corrupt {
                file: self.name.clone(),
                offset: self.offset,
                reason: "data after the footer".into(),
            });
        }
        Ok(())
    }

    /// Visit every event in order (and checkpoints and the footer as blocks); stops at
    /// the first error.
    pub fn for_each_block(
        &mut self,
        mut f: impl FnMut(&Block),
    ) -> Result<Option<Footer>, TraceError> {
        while let Some(block) = self.next_block()? {
            f(&block);
            if let Block::Footer(footer) = block {
                return Ok(Some(footer));
            }
        }
        Ok(None)
    }
}
