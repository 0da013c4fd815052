//! The packed event form, byte by byte: LEB128 known answers, the largest event, and
//! every way a packed block can be malformed (over-long and overflowing varints, a field
//! wider than 32 bits, a block that ends early or has bytes left over), and the codec's
//! errors in words.

use swarmlb_trace::format::{PACKED_EVENT_MAX, StoredEvent, pack_event, unpack_events};

fn packed(e: &StoredEvent) -> Vec<u8> {
    let mut out = vec![0xEE];
    pack_event(&mut out, e);
    assert_eq!(out[0], 0xEE, "appends, leaves what was there");
    out.remove(0);
    out
}

fn unpacked(bytes: &[u8], count: u32) -> Result<Vec<StoredEvent>, String> {
    let mut out = vec![];
    unpack_events(bytes, count, |e| {
        out.push(e);
        Ok(())
    })
    .map(|()| out)
}

fn event(dt: u64, source: u32, target: u32, kind: u8, value: u32) -> StoredEvent {
    StoredEvent {
        dt,
        source,
        target,
        kind,
        value,
    }
}

/// LEB128: seven bits per byte, low first, the high bit set on all but the last (300 is
/// `AC 02`, the example of the protobuf encoding guide); the kind is one plain byte.
#[test]
fn packed_event_known_answers() {
    assert_eq!(packed(&event(0, 0, 0, 0, 0)), [0, 0, 0, 0, 0]);
    assert_eq!(
        packed(&event(300, 1, 127, 7, 128)),
        [0xAC, 0x02, 0x01, 0x7F, 0x07, 0x80, 0x01]
    );
    assert_eq!(
        packed(&event(16_383, 16_384, 0x80, 0xFF, 1)),
        [0xFF, 0x7F, 0x80, 0x80, 0x01, 0x80, 0x01, 0xFF, 0x01]
    );
}

/// The largest event (a gap of 2^64 − 1 µs, the largest ids and value) takes exactly
/// [`PACKED_EVENT_MAX`] bytes and reads back.
#[test]
fn the_worst_case_event_fills_the_maximum_and_reads_back() {
    let worst = event(u64::MAX, u32::MAX, u32::MAX, u8::MAX, u32::MAX);
    let bytes = packed(&worst);
    assert_eq!(bytes.len(), PACKED_EVENT_MAX);
    let mut expect = vec![0xFF; 9];
    expect.push(0x01);
    for _ in 0..2 {
        expect.extend([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
    }
    expect.push(0xFF);
    expect.extend([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
    assert_eq!(bytes, expect);
    assert_eq!(unpacked(&bytes, 1), Ok(vec![worst]));
    // Back to back with a small one.
    let small = event(1, 2, 3, 4, 5);
    let mut two = bytes.clone();
    pack_event(&mut two, &small);
    assert_eq!(unpacked(&two, 2), Ok(vec![worst, small]));
}

#[test]
fn packing_round_trips_at_every_varint_length() {
    let mut all = vec![];
    let mut bytes = vec![];
    for shift in 0..64 {
        for v in [1u64 << shift, (1u64 << shift) - 1, (1u64 << shift) + 1] {
            let small = u32::try_from(v).unwrap_or(u32::MAX);
            let e = event(v, small, small / 2, shift as u8, small ^ 1);
            pack_event(&mut bytes, &e);
            all.push(e);
        }
    }
    assert_eq!(unpacked(&bytes, all.len() as u32), Ok(all));
}

/// A continuation bit on the tenth byte (an eleventh would follow) is refused, and so is
/// a tenth byte carrying more than the 64th bit.
#[test]
fn an_over_long_varint_is_refused() {
    let tail = [0, 0, 0, 0];
    let with = |dt: &[u8]| [dt, &tail[..]].concat();
    let mut eleven = vec![0x80; 10];
    eleven.push(0x00);
    assert_eq!(
        unpacked(&with(&eleven), 1),
        Err("varint longer than 10 bytes".into())
    );
    let mut overflow = vec![0xFF; 9];
    overflow.push(0x02);
    assert_eq!(
        unpacked(&with(&overflow), 1),
        Err("varint overflows 64 bits".into())
    );
    // The largest value is the tenth byte 1: accepted.
    let mut max = vec![0xFF; 9];
    max.push(0x01);
    assert_eq!(unpacked(&with(&max), 1).unwrap()[0].dt, u64::MAX);
    // A padded but in-range encoding reads as its value.
    assert_eq!(unpacked(&with(&[0x81, 0x80, 0x00]), 1).unwrap()[0].dt, 1);
}

#[test]
fn a_32_bit_field_wider_than_32_bits_is_refused() {
    // Source 2^32: five bytes, the last 0x10.
    let bytes = [0x00, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00, 0x00];
    assert_eq!(unpacked(&bytes, 1), Err("a 32-bit field overflows".into()));
    let value = [0x00, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10];
    assert_eq!(unpacked(&value, 1), Err("a 32-bit field overflows".into()));
}

#[test]
fn a_block_that_ends_early_or_has_bytes_left_over_is_refused() {
    let one = packed(&event(300, 1, 2, 3, 400));
    assert_eq!(unpacked(&one, 1).map(|v| v.len()), Ok(1));
    for cut in 0..one.len() {
        assert_eq!(
            unpacked(&one[..cut], 1),
            Err("packed events end early".into()),
            "cut at {cut}"
        );
    }
    assert_eq!(unpacked(&one, 2), Err("packed events end early".into()));
    let mut extra = one.clone();
    extra.extend([0, 0]);
    assert_eq!(
        unpacked(&extra, 1),
        Err("2 bytes after the last packed event".into())
    );
    assert_eq!(
        unpacked(&one, 0),
        Err(format!("{} bytes after the last packed event", one.len()))
    );
    // The visitor's own error stops the unpacking.
    let stop = unpack_events(&one, 1, |_| Err("stop".into()));
    assert_eq!(stop, Err("stop".into()));
}

/// Codec errors are said in words, not in the codec's Rust type names.
#[test]
fn decoding_errors_in_words() {
    use swarmlb_trace::format::{RawBlock, decode, encode};
    let checkpoint = RawBlock::Checkpoint {
        index: 1,
        time_us: 2,
        state_hash: 3,
    };
    let bytes = encode(&checkpoint);
    assert_eq!(decode::<RawBlock>(&bytes), Ok(checkpoint));
    assert_eq!(
        decode::<RawBlock>(&[bytes.as_slice(), &[0, 0]].concat()),
        Err("2 trailing bytes after the payload".into())
    );
    assert_eq!(
        decode::<RawBlock>(&bytes[..bytes.len() - 1]),
        Err("it ends 1 bytes before what its fields claim".into())
    );
    assert_eq!(decode::<RawBlock>(&[9]), Err("unknown variant 9".into()));
    assert_eq!(
        decode::<String>(&[1, 0xFF]),
        Err("a text field is not UTF-8".into())
    );
    assert_eq!(
        decode::<u16>(&[252, 0, 0, 1, 0]),
        Err("an integer is wider than its field".into())
    );
    assert_eq!(
        decode::<Vec<u8>>(&[253, 0, 0, 0, 0, 1, 0, 0, 0]),
        Err("a length inside claims more than 4194304 bytes, the most a reader accepts".into())
    );
}
