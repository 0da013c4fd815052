//! Crafted input (issue 10): lengths that ask for the impossible, blocks removed, repeated
//! or re-chained by a forger, footers flipped, and replay's event-by-event comparison.

use swarmlb_model::{Event, Kind};
use swarmlb_trace::format::{self, Ending, Header};
use swarmlb_trace::fuzz::frame_blocks;
use swarmlb_trace::replay::{Outcome, replay};
use swarmlb_trace::verify::verify;
use swarmlb_trace::{TraceError, TraceReader};

use crate::{encode, events_of, reader, record, small};

/// A small recorded run with a checkpoint every 1024 events (the least a header may
/// declare), long enough for several.
fn golden() -> Vec<u8> {
    record(&small(&["duration=\"3m\""]), 1, 1024)
}

/// The header payload and every block payload of a trace, as framed.
fn blocks_of(bytes: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let header_len = u32_at(12);
    let header = bytes[20..20 + header_len].to_vec();
    let mut at = 20 + header_len;
    let mut blocks = vec![];
    while at < bytes.len() {
        let len = u32_at(at);
        blocks.push(bytes[at + 8..at + 8 + len].to_vec());
        at += 8 + len;
    }
    (header, blocks)
}

fn reframe(header: &[u8], blocks: &[Vec<u8>]) -> Vec<u8> {
    let parts: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
    frame_blocks(header, &parts)
}

fn verify_bytes(bytes: &[u8]) -> Result<swarmlb_trace::verify::Report, TraceError> {
    verify(&mut reader(bytes)?).map_err(|(_, e)| e)
}

fn replay_bytes(bytes: &[u8]) -> Outcome {
    replay(reader(bytes).unwrap(), &mut |_| {}).unwrap()
}

/// A bincode varint claiming `len` elements: tag 253, then eight bytes.
fn huge_length(len: u64) -> Vec<u8> {
    let mut out = vec![253];
    out.extend_from_slice(&len.to_le_bytes());
    out
}

const HUGE: [u64; 3] = [1 << 40, 1 << 63, u64::MAX];

/// Regression (issue 10): a 29-byte file whose CRC-valid header claims a 2^40-byte
/// producer string aborted every reader ("memory allocation failed").
#[test]
fn regression_crc_valid_header_with_a_huge_length_prefix_is_corrupt_not_an_abort() {
    for len in HUGE {
        let file = frame_blocks(&huge_length(len), &[]);
        assert!(file.len() <= 36);
        let e = TraceReader::new(&file[..], "crafted")
            .err()
            .expect("refused");
        assert!(matches!(e, TraceError::Corrupt { .. }), "{len}: {e}");
        assert!(e.to_string().contains("header does not decode"), "{e}");
    }
}

/// Regression (issue 10): the same in an event block behind a valid header.
#[test]
fn regression_crc_valid_block_with_a_huge_length_prefix_is_corrupt_not_an_abort() {
    let (header, _) = blocks_of(&golden());
    for len in HUGE {
        // Events { first_index: 0, base_time_us: 0, count: 1, packed: <len bytes> }
        let mut block = vec![0, 0, 0, 1];
        block.extend(huge_length(len));
        let file = frame_blocks(&header, &[&block]);
        let e = verify_bytes(&file).expect_err("refused");
        assert!(matches!(e, TraceError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("block does not decode"), "{e}");
    }
}

#[test]
fn a_removed_repeated_or_moved_block_breaks_the_chain() {
    let bytes = golden();
    let (header, blocks) = blocks_of(&bytes);
    assert!(blocks.len() > 6);
    type Edit = Box<dyn Fn(&mut Vec<Vec<u8>>)>;
    let edits: [(&str, Edit); 3] = [
        ("removed", Box::new(|b| drop(b.remove(3)))),
        ("repeated", Box::new(|b| b.insert(3, b[3].clone()))),
        ("moved", Box::new(|b| b.swap(2, 4))),
    ];
    for (what, edit) in edits {
        // Framed one by one with per-block checksums, as a block-level edit of the file
        // leaves them: each block's own checksum is intact, the chain is not.
        let mut edited = blocks.clone();
        edit(&mut edited);
        let mut file = bytes[..20 + header.len()].to_vec();
        for payload in &edited {
            let original = blocks.iter().position(|b| b == payload).unwrap();
            let at = frame_offset(&bytes, original);
            file.extend_from_slice(&bytes[at..at + 8 + payload.len()]);
        }
        let e = verify_bytes(&file).expect_err(what);
        assert!(e.to_string().contains("checksum mismatch"), "{what}: {e}");
    }
}

/// Byte offset of the frame of block `index`.
fn frame_offset(bytes: &[u8], index: usize) -> usize {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut at = 20 + u32_at(12);
    for _ in 0..index {
        at += 8 + u32_at(at);
    }
    at
}

#[test]
fn a_forger_who_rechains_still_cannot_drop_the_checkpoints() {
    let (header, blocks) = blocks_of(&golden());
    let without: Vec<Vec<u8>> = blocks.into_iter().filter(|b| b[0] != 1).collect();
    let e = verify_bytes(&reframe(&header, &without)).expect_err("refused");
    assert!(
        e.to_string().contains("checkpoint due after event 1024"),
        "{e}"
    );
}

/// A checkpoint must claim the events read *and* the time of the last one: a rechained
/// checkpoint with the right count but another time is refused, and so is the reverse.
#[test]
fn a_checkpoint_with_the_wrong_time_or_count_is_refused() {
    use format::RawBlock;
    let (header, blocks) = blocks_of(&golden());
    let at = blocks.iter().position(|b| b[0] == 1).unwrap();
    let RawBlock::Checkpoint {
        index,
        time_us,
        state_hash,
    } = format::decode::<RawBlock>(&blocks[at]).unwrap()
    else {
        panic!("block {at} is a checkpoint");
    };
    for (index, time_us) in [(index, time_us + 1), (index + 1, time_us)] {
        let mut edited = blocks.clone();
        edited[at] = format::encode(&RawBlock::Checkpoint {
            index,
            time_us,
            state_hash,
        });
        let e = verify_bytes(&reframe(&header, &edited)).expect_err("refused");
        assert!(e.to_string().contains("checkpoint claims"), "{e}");
    }
}

#[test]
fn a_checkpoint_or_footer_hash_that_the_events_do_not_fold_to_fails_verify() {
    let (header, blocks) = blocks_of(&golden());
    let checkpoint = blocks.iter().position(|b| b[0] == 1).unwrap();
    let last = blocks.len() - 1;
    for index in [checkpoint, last] {
        let mut edited = blocks.clone();
        // The hash is the last field of both; its last byte is part of it.
        *edited[index].last_mut().unwrap() ^= 1;
        if index == last {
            // The footer ends with the `ending` byte; the hash is the field before it.
            let n = edited[index].len();
            edited[index][n - 1] ^= 1;
            edited[index][n - 2] ^= 1;
        }
        let e = verify_bytes(&reframe(&header, &edited)).expect_err("refused");
        assert!(e.to_string().contains("events fold to"), "{e}");
    }
    assert!(verify_bytes(&reframe(&header, &blocks)).is_ok());
}

#[test]
fn a_flipped_footer_ending_is_found_by_replay() {
    let bytes = golden();
    let header: Header = reader(&bytes).unwrap().header().clone();
    let events = events_of(&bytes);
    // Complete, relabelled as interrupted.
    let relabelled = swarmlb_trace::write::events_to_vec(&header, &events, Ending::Interrupted);
    match replay_bytes(&relabelled.unwrap()) {
        Outcome::Mismatch(m) => assert!(m.actual.contains("it was complete"), "{m:?}"),
        other => panic!("{other:?}"),
    }
    // Interrupted after 1,000 events, relabelled as complete.
    let prefix = &events[..1000];
    let interrupted = swarmlb_trace::write::events_to_vec(&header, prefix, Ending::Interrupted);
    assert!(matches!(
        replay_bytes(&interrupted.unwrap()),
        Outcome::Identical { events: 1000, .. }
    ));
    match replay_bytes(&encode(&header, prefix)) {
        Outcome::Mismatch(m) => {
            assert_eq!(m.index, 1000);
            assert!(m.expected.contains("end of the trace"), "{m:?}");
        }
        other => panic!("{other:?}"),
    }
}

/// Replay must report the first differing event, not only a final hash.
#[test]
fn replay_reports_the_first_changed_event_for_value_kind_time_and_order() {
    let bytes = golden();
    let header: Header = reader(&bytes).unwrap().header().clone();
    let events = events_of(&bytes);
    const AT: usize = 500;
    /// Changes the events and returns the index of the first changed one.
    type Change = Box<dyn Fn(&mut Vec<Event>) -> usize>;
    let changes: [(&str, Change); 4] = [
        (
            "value",
            Box::new(|e| {
                e[AT].value ^= 1;
                AT
            }),
        ),
        (
            "kind",
            Box::new(|e| {
                e[AT].kind = if e[AT].kind == Kind::Tick {
                    Kind::Pong
                } else {
                    Kind::Tick
                };
                AT
            }),
        ),
        (
            "time",
            Box::new(|e| {
                let i = (AT..e.len() - 1)
                    .find(|&i| e[i + 1].time > e[i].time && e[i].time > e[i - 1].time)
                    .unwrap();
                e[i].time.0 -= 1;
                i
            }),
        ),
        (
            "order",
            Box::new(|e| {
                let i = (AT..e.len() - 1)
                    .find(|&i| e[i + 1].time == e[i].time && e[i + 1] != e[i])
                    .unwrap();
                e.swap(i, i + 1);
                i
            }),
        ),
    ];
    for (what, change) in changes {
        let mut edited = events.clone();
        let index = change(&mut edited);
        match replay_bytes(&encode(&header, &edited)) {
            Outcome::Mismatch(m) => {
                assert_eq!(m.index, index as u64, "{what}: {m:?}");
                assert_ne!(m.expected, m.actual, "{what}");
            }
            other => panic!("{what}: a changed event replayed as {other:?}"),
        }
    }
    assert!(matches!(
        replay_bytes(&encode(&header, &events)),
        Outcome::Identical { .. }
    ));
}

#[test]
fn a_damaged_length_field_is_corruption_not_truncation() {
    let bytes = golden();
    // The footer's length field, made larger than the rest of the file.
    let last = frame_offset(&bytes, blocks_of(&bytes).1.len() - 1);
    let footer_len = u32::from_le_bytes(bytes[last..last + 4].try_into().unwrap());
    let mut damaged = bytes.clone();
    damaged[last] += 40;
    let e = verify_bytes(&damaged).expect_err("refused");
    assert!(matches!(e, TraceError::Corrupt { .. }), "{e}");
    assert!(e.is_damage(), "{e}");
    // The message names both lengths: the field's and the intact block's.
    let says = format!(
        "says {} bytes, but the intact block is {footer_len}",
        footer_len + 40
    );
    assert!(e.to_string().contains(&says), "{e}");
    // The header's length field likewise.
    let (header, _) = blocks_of(&bytes);
    let short = frame_blocks(&header, &[]);
    let mut damaged = short.clone();
    damaged[12] += 1;
    let e = reader(&damaged).err().expect("refused");
    assert!(matches!(e, TraceError::Corrupt { offset: 12, .. }), "{e}");
    let says = format!(
        "says {} bytes, but the intact header is {}",
        header.len() + 1,
        header.len()
    );
    assert!(e.to_string().contains(&says), "{e}");
    // A real cut is still a truncation, and damage too.
    let e = verify_bytes(&bytes[..bytes.len() - 3]).expect_err("refused");
    assert!(matches!(e, TraceError::Truncated { .. }), "{e}");
    assert!(e.is_damage(), "{e}");
}

#[test]
fn a_header_checkpoint_interval_out_of_range_is_corrupt() {
    let bytes = golden();
    let mut header: Header = reader(&bytes).unwrap().header().clone();
    // Below 1024 (issue 23: a checkpoint after every event made 9 KB cost 29 s to verify)
    // or above 2^20: no writer makes either.
    for every in [
        0,
        1,
        format::CHECKPOINT_EVERY_MIN - 1,
        format::CHECKPOINT_EVERY_MAX + 1,
    ] {
        header.checkpoint_every = every;
        let e = reader(&frame_blocks(&format::encode(&header), &[]))
            .err()
            .expect("refused");
        assert!(e.to_string().contains("checkpoint every"), "{e}");
    }
    for every in [format::CHECKPOINT_EVERY_MIN, format::CHECKPOINT_EVERY_MAX] {
        header.checkpoint_every = every;
        reader(&frame_blocks(&format::encode(&header), &[])).expect("accepted");
    }
}

#[test]
fn data_after_the_footer_stops_every_reader() {
    let mut bytes = golden();
    bytes.extend_from_slice(b"extra");
    let mut cursor = swarmlb_trace::fold::Cursor::new(reader(&bytes).unwrap());
    let error = loop {
        match cursor.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("read to the end without noticing the extra bytes"),
            Err(e) => break e,
        }
    };
    assert!(
        error.to_string().contains("data after the footer"),
        "{error}"
    );
    assert!(replay(reader(&bytes).unwrap(), &mut |_| {}).is_err());
}

#[test]
fn a_header_over_the_read_limit_is_never_written() {
    let mut header: Header = reader(&golden()).unwrap().header().clone();
    header.producer = "x".repeat(format::HEADER_LEN_MAX as usize);
    let e = swarmlb_trace::TraceWriter::new(Vec::new(), "memory", &header)
        .err()
        .expect("refused");
    assert!(matches!(e, TraceError::TooLarge { .. }), "{e}");
    assert!(!e.is_damage());
}

/// SplitMix64: a tiny deterministic generator for the campaign below.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Thousands of random and targeted edits of a trace's bytes: every one is caught, with a
/// byte offset inside the file, and nothing panics.
#[test]
fn a_campaign_of_random_and_targeted_edits_is_always_caught_with_an_offset() {
    let bytes = golden();
    let n_blocks = blocks_of(&bytes).1.len();
    let frames: Vec<usize> = (0..n_blocks).map(|i| frame_offset(&bytes, i)).collect();
    let mut rng = Mix(10);
    let mut edits: Vec<(String, Vec<u8>)> = vec![];
    for _ in 0..2000 {
        let mut b = bytes.clone();
        let at = rng.below(b.len());
        b[at] ^= 1 << rng.below(8);
        edits.push((format!("flip at {at}"), b));
    }
    for _ in 0..500 {
        let mut b = bytes.clone();
        let at = rng.below(b.len());
        let len = 1 + rng.below(16).min(b.len() - at - 1);
        for byte in &mut b[at..at + len] {
            *byte = rng.next() as u8;
        }
        edits.push((format!("overwrite {len} at {at}"), b));
    }
    for _ in 0..500 {
        let cut = rng.below(bytes.len());
        edits.push((format!("cut at {cut}"), bytes[..cut].to_vec()));
    }
    for _ in 0..300 {
        let mut b = bytes.clone();
        let at = rng.below(b.len() + 1);
        let extra: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
        b.splice(at..at, extra);
        edits.push((format!("insert at {at}"), b));
    }
    for _ in 0..300 {
        let mut b = bytes.clone();
        let at = rng.below(b.len());
        let len = 1 + rng.below(64).min(b.len() - at - 1);
        b.drain(at..at + len);
        edits.push((format!("delete {len} at {at}"), b));
    }
    // Targeted: every length and checksum field, and whole blocks removed, repeated, moved.
    for (i, &frame) in frames.iter().enumerate() {
        for delta in [1u32, 2, 7, 1 << 8, 1 << 15, 1 << 24, u32::MAX] {
            let mut b = bytes.clone();
            let len = u32::from_le_bytes(b[frame..frame + 4].try_into().unwrap());
            b[frame..frame + 4].copy_from_slice(&len.wrapping_add(delta).to_le_bytes());
            edits.push((format!("block {i} length +{delta}"), b.clone()));
            b[frame..frame + 4].copy_from_slice(&len.wrapping_sub(delta).to_le_bytes());
            edits.push((format!("block {i} length -{delta}"), b));
        }
        let mut b = bytes.clone();
        b[frame + 4] ^= 0x80;
        edits.push((format!("block {i} checksum"), b));
        let end = frames.get(i + 1).copied().unwrap_or(bytes.len());
        let mut b = bytes.clone();
        b.drain(frame..end);
        edits.push((format!("block {i} removed"), b));
        let mut b = bytes.clone();
        b.splice(frame..frame, bytes[frame..end].to_vec());
        edits.push((format!("block {i} repeated"), b));
        if i + 2 < frames.len() {
            let next_end = frames[i + 2];
            let mut b = bytes[..frame].to_vec();
            b.extend_from_slice(&bytes[end..next_end]);
            b.extend_from_slice(&bytes[frame..end]);
            b.extend_from_slice(&bytes[next_end..]);
            edits.push((format!("blocks {i} and {} swapped", i + 1), b));
        }
    }
    for at in 0..20 {
        for mask in [0x01, 0x80] {
            let mut b = bytes.clone();
            b[at] ^= mask;
            edits.push((format!("preamble byte {at}"), b));
        }
    }
    assert!(edits.len() > 3500, "{} edits", edits.len());
    let mut caught = 0;
    for (what, edited) in &edits {
        if edited == &bytes {
            continue;
        }
        let offset = match verify_bytes(edited) {
            Ok(report) => panic!("{what}: went unnoticed ({report:?})"),
            Err(TraceError::BadMagic { .. }) => 0,
            Err(TraceError::Corrupt { offset, .. } | TraceError::Truncated { offset, .. }) => {
                offset
            }
            Err(e) => panic!("{what}: {e}"),
        };
        assert!(offset <= edited.len() as u64, "{what}: offset {offset}");
        caught += 1;
    }
    assert!(caught > 3500);
}

/// Regression (issue 10): a 973-byte trace whose CRC-valid header asked for 20M users (a
/// daily peak not counted against the limit) took 3.3 GB before "mismatch". The header's
/// scenario is validated with every source of users counted, before anything is sized.
#[test]
fn regression_a_header_asking_for_20m_users_is_refused_before_allocating() {
    let mut header: Header = reader(&golden()).unwrap().header().clone();
    header.scenario_toml = header.scenario_toml.replace(
        "[users]\n",
        "[users]\ndiurnal = { amplitude = 1.0, period = \"1h\" }\n",
    );
    let users = header.scenario_toml.find("[users]").expect("a users table");
    let count = users
        + header.scenario_toml[users..]
            .find("\ncount = ")
            .expect("users.count")
        + 1;
    let end = count + header.scenario_toml[count..].find('\n').expect("a line");
    header
        .scenario_toml
        .replace_range(count..end, "count = 10000000");
    let file = frame_blocks(&format::encode(&header), &[]);
    assert!(file.len() < 4096, "{} bytes", file.len());
    let e = TraceReader::new(&file[..], "crafted")
        .err()
        .expect("refused");
    assert!(matches!(e, TraceError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("at most 10,000,000 users"), "{e}");
}

/// Regression (issue 10 review): a length field flipped so that the block seemed to run
/// past the end of a whole file was reported as "truncated".
#[test]
fn regression_a_damaged_length_field_in_a_whole_file_is_never_called_a_truncation() {
    let bytes = golden();
    let n_blocks = blocks_of(&bytes).1.len();
    let mut positions: Vec<usize> = (0..n_blocks).map(|i| frame_offset(&bytes, i)).collect();
    positions.push(12); // the header's length field
    for at in positions {
        for bit in 0..32 {
            let mut b = bytes.clone();
            let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) ^ (1 << bit);
            b[at..at + 4].copy_from_slice(&len.to_le_bytes());
            match verify_bytes(&b) {
                Err(TraceError::Corrupt { .. }) => {}
                other => panic!("length at {at}, bit {bit}: {other:?}"),
            }
        }
    }
}

/// A reader interrupted by a signal (`ErrorKind::Interrupted`, a short read) is retried and
/// the trace reads whole; any other I/O error is an I/O error, not damage, and not retried.
#[test]
fn an_interrupted_read_is_retried_and_an_io_error_is_not_damage() {
    use std::io::{Error, ErrorKind, Read};
    /// Hands out `bytes` a few at a time, failing with `kind` at every `every`-th call.
    struct Flaky<'a> {
        bytes: &'a [u8],
        calls: u32,
        every: u32,
        kind: ErrorKind,
    }
    impl Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(self.every) {
                return Err(Error::new(self.kind, "flaky"));
            }
            let n = buf.len().min(self.bytes.len()).min(7);
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }
    let bytes = golden();
    let flaky = |every, kind| Flaky {
        bytes: &bytes,
        calls: 0,
        every,
        kind,
    };
    let mut interrupted = TraceReader::new(flaky(3, ErrorKind::Interrupted), "flaky").unwrap();
    assert_eq!(
        verify(&mut interrupted).unwrap(),
        verify_bytes(&bytes).unwrap()
    );
    let failing = |every| match TraceReader::new(flaky(every, ErrorKind::Other), "flaky") {
        Err(e) => e,
        Ok(mut r) => verify(&mut r).expect_err("an I/O error").1,
    };
    for every in [1, 3, 50] {
        let e = failing(every);
        assert!(matches!(e, TraceError::Io { .. }), "{e}");
        assert!(!e.is_damage(), "{e}");
    }
}
