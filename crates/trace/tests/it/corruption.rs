//! Any flipped byte is found with its offset; any truncation reads back a clean prefix.

use std::sync::OnceLock;

use proptest::prelude::*;
use swarmlb_model::Event;
use swarmlb_trace::TraceError;
use swarmlb_trace::fold::Cursor;
use swarmlb_trace::verify::verify;

use crate::{reader, record, small};

fn golden() -> &'static (Vec<u8>, Vec<Event>, Vec<u64>) {
    static G: OnceLock<(Vec<u8>, Vec<Event>, Vec<u64>)> = OnceLock::new();
    G.get_or_init(|| {
        let bytes = record(&small(&["duration=\"40s\""]), 1, 1024);
        // Block boundaries, to check that a reported offset points at the damaged block.
        let mut r = reader(&bytes).unwrap();
        let mut starts = vec![0, r.offset()];
        while r.next_block().unwrap().is_some() {
            starts.push(r.offset());
        }
        let mut cursor = Cursor::new(reader(&bytes).unwrap());
        let mut events = vec![];
        while let Some(e) = cursor.next_event().unwrap() {
            events.push(e);
        }
        (bytes, events, starts)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn any_flipped_byte_is_detected_at_its_block(position in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let (bytes, _, starts) = golden();
        let flip = position.index(bytes.len());
        let mut damaged = bytes.clone();
        damaged[flip] ^= mask;
        let result = reader(&damaged).and_then(|mut r| verify(&mut r).map_err(|(_, e)| e));
        let offset = match result {
            Ok(report) => return Err(TestCaseError::fail(format!("flip at {flip} went unnoticed: {report:?}"))),
            Err(TraceError::BadMagic { .. }) => 0,
            Err(e @ (TraceError::UnsupportedVersion { .. } | TraceError::OldVersion { .. })) => {
                return Err(TestCaseError::fail(format!("flip at {flip} read as another version: {e}")))
            }
            Err(TraceError::Corrupt { offset, .. }) | Err(TraceError::Truncated { offset, .. }) => offset,
            Err(e @ (TraceError::Io { .. } | TraceError::TooLarge { .. })) => unreachable!("not from reading a slice: {e}"),
        };
        // The reported block starts at or before the flipped byte, and the next block
        // starts after it.
        let block = starts.iter().rposition(|&s| s as usize <= flip).unwrap();
        prop_assert!(offset <= flip as u64, "offset {} after flip {}", offset, flip);
        prop_assert!(offset >= starts[block.saturating_sub(1)], "offset {} far before flip {} (block at {})", offset, flip, starts[block]);
    }

    #[test]
    fn any_truncation_reads_back_a_clean_prefix(cut in any::<prop::sample::Index>()) {
        let (bytes, events, _) = golden();
        let len = cut.index(bytes.len());
        let Ok(r) = reader(&bytes[..len]) else {
            return Ok(()); // cut inside the header: nothing to read, an error, no panic
        };
        let mut cursor = Cursor::new(r);
        let mut prefix = vec![];
        let error = loop {
            match cursor.next_event() {
                Ok(Some(e)) => prefix.push(e),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        prop_assert_eq!(&prefix[..], &events[..prefix.len()]);
        match error {
            Some(TraceError::Truncated { events_intact, .. }) => prop_assert_eq!(events_intact, prefix.len() as u64),
            other => prop_assert!(false, "expected a truncation report, got {:?}", other),
        }
    }
}

/// The trace with its version fields set to `major` and the header checksum recomputed.
fn with_version(major: u16) -> Vec<u8> {
    let mut bytes = golden().0.clone();
    bytes[8..10].copy_from_slice(&major.to_le_bytes());
    let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
    let crc = swarmlb_trace::format::header_crc(major, minor, &bytes[20..20 + len]);
    bytes[16..20].copy_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn a_newer_major_version_is_refused_with_a_clear_message() {
    let bytes = with_version(9);
    let e = reader(&bytes).err().expect("refused");
    assert!(
        matches!(e, TraceError::UnsupportedVersion { found_major: 9, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("upgrade swarmlb"), "{e}");
}

#[test]
fn garbage_is_not_a_trace() {
    assert!(matches!(
        reader(b"hello world, not a trace at all").err(),
        Some(TraceError::BadMagic { .. })
    ));
    // Empty, or cut inside the magic bytes: truncated (a run killed before its header).
    assert!(matches!(
        reader(b"").err(),
        Some(TraceError::Truncated { .. })
    ));
    assert!(matches!(
        reader(b"SWARM").err(),
        Some(TraceError::Truncated { .. })
    ));
    assert!(matches!(
        reader(b"SWAXM").err(),
        Some(TraceError::BadMagic { .. })
    ));
}

#[test]
fn data_after_the_footer_is_reported() {
    let mut bytes = golden().0.clone();
    bytes.push(0);
    let (_, e) = verify(&mut reader(&bytes).unwrap()).unwrap_err();
    assert!(e.to_string().contains("after the footer"), "{e}");
}

#[test]
fn an_older_major_version_is_refused_with_a_clear_message() {
    let e = reader(&with_version(1)).err().expect("refused");
    assert!(
        matches!(e, TraceError::OldVersion { found_major: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("record the run again"), "{e}");
}

/// Regression (issue 10): a flipped version bit said "newer format, upgrade" instead of
/// "corrupt"; the header checksum is now checked before the version.
#[test]
fn regression_a_flipped_version_bit_is_damage_not_a_newer_format() {
    let mut bytes = golden().0.clone();
    bytes[9] ^= 0x40;
    let e = reader(&bytes).err().expect("refused");
    assert!(matches!(e, TraceError::Corrupt { offset: 0, .. }), "{e}");
    assert!(e.to_string().contains("header checksum"), "{e}");
}
