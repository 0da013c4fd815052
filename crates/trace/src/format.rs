//! The byte layout: magic, versioned header, framed blocks. The one place that knows the
//! codec. See traces/FORMAT.md, which documents this file byte by byte.

use bincode::{Decode, Encode};

/// The first eight bytes of every trace.
pub const MAGIC: [u8; 8] = *b"SWARMLB\0";
/// Major format version: a reader refuses files with another one. Version 2 chains the
/// block checksums and requires checkpoints at the declared interval.
pub const FORMAT_MAJOR: u16 = 2;
/// Minor format version: additions a reader of the same major may ignore.
pub const FORMAT_MINOR: u16 = 1;
/// Events per event block.
pub const EVENTS_PER_BLOCK: usize = 1024;
/// Events between checkpoints for a run of `n_agents` agents: a checkpoint hashes every
/// agent, so it comes every 8 events per agent (at least 1024, at most 2^20 events),
/// which keeps its cost a small, constant share of recording.
pub fn checkpoint_interval(n_agents: usize) -> u64 {
    (n_agents as u64)
        .saturating_mul(8)
        .clamp(CHECKPOINT_EVERY_MIN, checkpoint_interval_max())
}
/// Fewest events between two checkpoints that a header may declare: what
/// [`checkpoint_interval`] never goes below. A checkpoint hashes every agent, so a smaller
/// interval would let a few bytes of events ask for a whole state's hash each (a 9 KB file
/// declaring 10M users and a checkpoint after every event took `verify` 29 s); with it, a
/// checkpoint costs at most `n_agents / 1024` agent hashes per event read.
pub const CHECKPOINT_EVERY_MIN: u64 = 1024;
const _: () = assert!(CHECKPOINT_EVERY_MIN == EVENTS_PER_BLOCK as u64);
/// Most events between two checkpoints that a header may declare; also what in-memory
/// branches use (butterflies, stability, the viewer's forks), which are never verified
/// from disk and need the fewest checkpoints.
pub const CHECKPOINT_EVERY_MAX: u64 = 1 << 20;
/// Largest block payload a reader accepts; a larger length field means corruption. The
/// largest block a writer makes is a full event block (checked below at compile time).
pub const BLOCK_LEN_MAX: u32 = 32 << 10;
/// Largest header a reader accepts (and a writer writes).
pub const HEADER_LEN_MAX: u32 = 4 << 20;
/// Longest bincode prefix of an event block: variant, two u64, a u32 and a length.
const EVENTS_PREFIX_LEN_MAX: usize = 1 + 9 + 9 + 5 + 9;
const _: () =
    assert!(EVENTS_PREFIX_LEN_MAX + EVENTS_PER_BLOCK * PACKED_EVENT_MAX <= BLOCK_LEN_MAX as usize);
const _: () = assert!(checkpoint_interval_max() <= CHECKPOINT_EVERY_MAX);
const fn checkpoint_interval_max() -> u64 {
    1 << 20
}
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
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
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

/// Longest packed event: a 64-bit varint (10 bytes), three 32-bit ones (5 each), the kind.
pub const PACKED_EVENT_MAX: usize = 10 + 5 + 5 + 1 + 5;

/// Write `v` as a LEB128 varint at `buf[at..]`; returns the index after it.
#[inline]
fn put_varint(buf: &mut [u8; PACKED_EVENT_MAX], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        buf[at] = (v as u8) | 0x80;
        v >>= 7;
        at += 1;
    }
    buf[at] = v as u8;
    at + 1
}

/// Append one event in its packed form: `dt`, `source`, `target` as LEB128 varints, the
/// kind byte, then `value` as a varint. Hand-packed rather than field-by-field bincode: it
/// is smaller (ids below 16,384 take two bytes, not three) and decodes several times
/// faster. Packed on the stack and
/// appended at full width, then cut to length: one capacity check and a fixed-size copy
/// the compiler inlines, instead of a check per byte or a `memmove` call per event
/// (measured: those were most of the cost of recording).
#[inline]
pub fn pack_event(out: &mut Vec<u8>, e: &StoredEvent) {
    let start = out.len();
    let mut buf = [0u8; PACKED_EVENT_MAX];
    let mut at = put_varint(&mut buf, 0, e.dt);
    at = put_varint(&mut buf, at, u64::from(e.source));
    at = put_varint(&mut buf, at, u64::from(e.target));
    buf[at] = e.kind;
    at = put_varint(&mut buf, at + 1, u64::from(e.value));
    out.extend_from_slice(&buf);
    out.truncate(start + at);
}

/// The bincode encoding of `RawBlock::Events` up to (not including) its packed bytes, so
/// that a writer can frame the bytes it packed in place without copying them into a
/// block first. Equal to the prefix of `encode(&RawBlock::Events { .. })` (tested).
pub fn events_block_prefix(
    first_index: u64,
    base_time_us: u64,
    count: u32,
    packed_len: usize,
) -> Vec<u8> {
    encode(&(0u32, first_index, base_time_us, count, packed_len as u64))
}

struct Unpacker<'a> {
    bytes: &'a [u8],
    at: usize,
}

const END: &str = "packed events end early";

impl Unpacker<'_> {
    #[inline(always)]
    fn byte(&mut self) -> Result<u8, &'static str> {
        let byte = *self.bytes.get(self.at).ok_or(END)?;
        self.at += 1;
        Ok(byte)
    }

    #[inline(always)]
    fn varint(&mut self) -> Result<u64, &'static str> {
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(u64::from(first));
        }
        self.varint_slow(u64::from(first & 0x7f))
    }

    #[inline(never)]
    fn varint_slow(&mut self, mut value: u64) -> Result<u64, &'static str> {
        for shift in (7..64).step_by(7) {
            let byte = self.byte()?;
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err("varint overflows 64 bits");
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes")
    }

    #[inline(always)]
    fn varint32(&mut self) -> Result<u32, &'static str> {
        u32::try_from(self.varint()?).map_err(|_| "a 32-bit field overflows")
    }
}

/// Unpack exactly `count` events from `bytes`, calling `f` on each; a malformed varint or
/// a byte left over is an error.
pub fn unpack_events(
    bytes: &[u8],
    count: u32,
    mut f: impl FnMut(StoredEvent) -> Result<(), String>,
) -> Result<(), String> {
    let mut u = Unpacker { bytes, at: 0 };
    for _ in 0..count {
        let dt = u.varint()?;
        let source = u.varint32()?;
        let target = u.varint32()?;
        let kind = u.byte()?;
        let value = u.varint32()?;
        f(StoredEvent {
            dt,
            source,
            target,
            kind,
            value,
        })?;
    }
    if u.at != bytes.len() {
        return Err(format!(
            "{} bytes after the last packed event",
            bytes.len() - u.at
        ));
    }
    Ok(())
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
        /// Number of events.
        count: u32,
        /// The events, each packed by [`pack_event`].
        packed: Vec<u8>,
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

/// The decoding configuration: no length read from a file may claim more bytes than the
/// largest payload a reader accepts, so a crafted length prefix (2^40, 2^64 − 1) is an
/// error, never an allocation.
fn decode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ HEADER_LEN_MAX as usize }>()
}

/// Encode a value with the trace codec.
pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    bincode::encode_to_vec(value, config()).expect("encoding into a Vec cannot fail")
}

/// Decode a value that must fill `bytes` exactly.
pub fn decode<T: Decode<()>>(bytes: &[u8]) -> Result<T, String> {
    let (value, used) = bincode::decode_from_slice(bytes, decode_config()).map_err(describe)?;
    if used != bytes.len() {
        return Err(format!(
            "{} trailing bytes after the payload",
            bytes.len() - used
        ));
    }
    Ok(value)
}

/// A decoding error in words (the codec's own text names Rust types).
fn describe(e: bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError as E;
    match e {
        E::LimitExceeded => format!(
            "a length inside claims more than {} bytes, the most a reader accepts",
            HEADER_LEN_MAX
        ),
        E::UnexpectedEnd { additional } => {
            format!("it ends {additional} bytes before what its fields claim")
        }
        E::Utf8 { .. } => "a text field is not UTF-8".into(),
        E::InvalidIntegerType { .. } => "an integer is wider than its field".into(),
        E::UnexpectedVariant { found, .. } => format!("unknown variant {found}"),
        other => other.to_string(),
    }
}

/// The checksum of a block: CRC32 over the previous block's checksum (the header's for the
/// first block) and then the payload `parts`. Chaining makes a deleted, duplicated or
/// reordered block as visible as a flipped bit.
pub fn block_crc(previous: u32, parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&previous.to_le_bytes());
    for part in parts {
        h.update(part);
    }
    h.finalize()
}

/// The header CRC covers the version fields too, so a flipped version byte is caught.
pub fn header_crc(major: u16, minor: u16, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&major.to_le_bytes());
    h.update(&minor.to_le_bytes());
    h.update(payload);
    h.finalize()
}
