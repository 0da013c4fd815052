//! The byte layout: magic, versioned header, framed blocks. The one place that knows the
//! codec. See traces/FORMAT.md, which documents this file byte by byte.

use bincode::{Decode, Encode};

/// The first eight bytes of every trace.
pub const MAGIC: [u8; 8] = *b"SWARMLB\0";
/// Major format version: a reader refuses files with a larger one.
pub const FORMAT_MAJOR: u16 = 1;
/// Minor format version: additions a reader of the same major may ignore.
pub const FORMAT_MINOR: u16 = 0;
/// Events per event block.
pub const EVENTS_PER_BLOCK: usize = 1024;
/// Events between checkpoints for a run of `n_agents` agents: a checkpoint hashes every
/// agent, so it comes every 8 events per agent (at least 1024, at most 2^20 events),
/// which keeps its cost a small, constant share of recording.
pub fn checkpoint_interval(n_agents: usize) -> u64 {
    (n_agents as u64 * 8).clamp(1024, 1 << 20)
}
/// Largest block payload a reader accepts; a larger length field means corruption.
pub const BLOCK_LEN_MAX: u32 = 16 << 20;
/// Largest header a reader accepts.
pub const HEADER_LEN_MAX: u32 = 4 << 20;
/// Bytes before the header payload: magic, major, minor, length, CRC.
pub const PREAMBLE_LEN: u64 = 8 + 2 + 2 + 4 + 4;
/// Bytes before a block payload: length, CRC.
pub const FRAME_LEN: u64 = 4 + 4;

/// What a trace says about the run that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Header {
    /// `swarmlb X.Y.Z`.
    pub producer: String,
    /// Master seed.
    pub seed: u64,
    /// The effective scenario, as canonical TOML (overrides applied).
    pub scenario_toml: String,
    /// Server index space of the layout.
    pub max_servers: u32,
    /// User slots of the layout.
    pub n_users: u32,
    /// Events between checkpoints.
    pub checkpoint_every: u64,
}

/// One event as stored: times are deltas from the previous event of the block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct StoredEvent {
    /// µs since the previous event (or the block's base time).
    pub dt: u64,
    /// Source agent id.
    pub source: u32,
    /// Target agent id.
    pub target: u32,
    /// Kind code.
    pub kind: u8,
    /// Kind-specific value.
    pub value: u32,
}

/// How a trace ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Ending {
    /// The run reached its end.
    Complete,
    /// The run was interrupted (Ctrl-C) and flushed what it had.
    Interrupted,
}

/// The last block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Footer {
    /// Events in the trace.
    pub events: u64,
    /// Time of the last event, µs.
    pub end_time_us: u64,
    /// Hash of the observable state after the last event.
    pub final_hash: u64,
    /// Complete or interrupted.
    pub ending: Ending,
}

/// A framed block's payload.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum RawBlock {
    /// A run of events.
    Events {
        /// Index of the first event in the whole trace.
        first_index: u64,
        /// Time the first delta counts from, µs.
        base_time_us: u64,
        /// The events.
        events: Vec<StoredEvent>,
    },
    /// The state after event `index - 1`.
    Checkpoint {
        /// Events before this checkpoint.
        index: u64,
        /// Time of the last event before it, µs.
        time_us: u64,
        /// Hash of the observable state.
        state_hash: u64,
    },
    /// The end.
    Footer(Footer),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
}

/// Encode a value with the trace codec.
pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    bincode::encode_to_vec(value, config()).expect("encoding into a Vec cannot fail")
}

/// Decode a value that must fill `bytes` exactly.
pub fn decode<T: Decode<()>>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) = bincode::decode_from_slice(bytes, config()).map_err(|e| e.to_string())?;
    if used != bytes.len() {
        return Err(format!(
            "{} trailing bytes after the payload",
            bytes.len() - used
        ));
    }
    Ok(value)
}

/// The header CRC covers the version fields too, so a flipped version byte is caught.
pub fn header_crc(major: u16, minor: u16, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&major.to_le_bytes());
    h.update(&minor.to_le_bytes());
    h.update(payload);
    h.finalize()
}
