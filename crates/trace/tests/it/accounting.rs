//! What the writer and `verify` count: the writer's bytes, events and checkpoint
//! countdown against what it actually wrote, and verify's events, blocks, checkpoints,
//! bytes and end time against a trace whose block structure is worked out by hand.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind};
use swarmlb_trace::format::{self, Ending, Footer};
use swarmlb_trace::verify::{Report, verify};
use swarmlb_trace::{TraceError, TraceReader, TraceWriter};

use crate::{header, reader};

/// `n` events 7 µs apart, cycling through kinds and agents 0..50, with values 0..40 (a
/// valid agent id, server index or user slot of the default layout, whatever the kind).
fn events(n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| Event {
            time: SimTime(7 * i as u64 + 3),
            source: AgentId(i as u32 % 50),
            target: AgentId((3 * i as u32) % 50),
            kind: Kind::ALL[i % Kind::ALL.len()],
            value: i as u32 % 40,
        })
        .collect()
}

/// A `Write` whose bytes stay readable while a writer owns it.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn len(&self) -> u64 {
        self.0.borrow().len() as u64
    }
}

/// `bytes()` is what reached the output (the block being filled excluded), `events()`
/// what was pushed, and a checkpoint falls due exactly every `checkpoint_every` events.
#[test]
fn the_writer_counts_bytes_events_and_the_checkpoint_countdown() {
    let out = Shared::default();
    let every = format::CHECKPOINT_EVERY_MIN as usize;
    let header = header(every as u64);
    let mut w = TraceWriter::new(out.clone(), "shared", &header).unwrap();
    let header_len = format::PREAMBLE_LEN + format::encode(&header).len() as u64;
    assert_eq!(w.bytes(), header_len);
    assert_eq!(out.len(), header_len);
    assert_eq!((w.events(), w.checkpoint_due()), (0, false));
    let mut due = vec![];
    for (i, e) in events(2 * every + 1).iter().enumerate() {
        w.push(e.time.0, e.source.0, e.target.0, e.kind, e.value)
            .unwrap();
        assert_eq!(w.events(), i as u64 + 1);
        // Events wait in the block being filled.
        assert_eq!(w.bytes(), out.len());
        due.push(w.checkpoint_due());
        if w.checkpoint_due() {
            let before = out.len();
            w.checkpoint(0).unwrap();
            assert!(!w.checkpoint_due());
            // The block of events went out when it was full (a checkpoint interval is a
            // whole number of blocks); the checkpoint follows it, framed.
            assert!(out.len() > before + format::FRAME_LEN);
            assert_eq!(w.bytes(), out.len());
        }
    }
    let due_at: Vec<usize> = (0..due.len()).filter(|&i| due[i]).collect();
    assert_eq!(due_at, [every - 1, 2 * every - 1]);
    let written = w.bytes();
    // `finish` writes the footer and hands back the same output.
    let returned = w.finish(0, Ending::Complete).unwrap();
    assert!(returned.len() > written);
    assert_eq!(returned.len(), out.len());
    // Two checkpoints, three event blocks (1024, 1024 and 1 events) and the footer.
    let all = out.0.borrow().clone();
    let mut r = reader(&all).unwrap();
    let mut kinds = vec![];
    while let Some(block) = r.next_block().unwrap() {
        kinds.push(match block {
            swarmlb_trace::Block::Events { events, .. } => events.len(),
            swarmlb_trace::Block::Checkpoint { .. } => 0,
            swarmlb_trace::Block::Footer(_) => usize::MAX,
        });
    }
    assert_eq!(kinds, [every, 0, every, 0, 1, usize::MAX]);
}

/// A full block (1024 events) is written as soon as it is full, before any checkpoint.
#[test]
fn a_full_block_is_written_at_once() {
    let out = Shared::default();
    let mut w = TraceWriter::new(out.clone(), "shared", &header(1 << 20)).unwrap();
    let header_len = out.len();
    for (i, e) in events(format::EVENTS_PER_BLOCK + 1).iter().enumerate() {
        w.push(e.time.0, e.source.0, e.target.0, e.kind, e.value)
            .unwrap();
        let full = i + 1 >= format::EVENTS_PER_BLOCK;
        assert_eq!(out.len() > header_len, full, "after event {i}");
        assert_eq!(w.bytes(), out.len());
    }
    assert!(!w.checkpoint_due());
}

/// Checkpoints every 1500 events and blocks of at most 1024: 3500 events make blocks of
/// 1024, 476 | checkpoint | 1024, 476 | checkpoint | 500, then the footer.
#[test]
fn verify_counts_events_blocks_checkpoints_and_bytes() {
    let events = events(3500);
    let bytes =
        swarmlb_trace::write::events_to_vec(&header(1500), &events, Ending::Complete).unwrap();
    let report = verify(&mut reader(&bytes).unwrap()).unwrap();
    let end = events.last().unwrap().time;
    assert_eq!(report.events, 3500);
    assert_eq!(report.blocks, 5);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.bytes, bytes.len() as u64);
    assert_eq!(report.end_time, end);
    let footer: Footer = report.footer.unwrap();
    assert_eq!((footer.events, footer.end_time_us), (3500, end.0));
    assert_eq!(footer.ending, Ending::Complete);
    assert_eq!(
        report.describe(),
        format!(
            "ok: 3500 events in 5 blocks, 2 checkpoints, {} bytes, simulated time 0s..{end}, complete",
            bytes.len()
        )
    );
    let interrupted =
        swarmlb_trace::write::events_to_vec(&header(1500), &events, Ending::Interrupted).unwrap();
    let report = verify(&mut reader(&interrupted).unwrap()).unwrap();
    assert!(
        report
            .describe()
            .ends_with(", interrupted (valid up to the interruption)"),
        "{}",
        report.describe()
    );
    let none = Report {
        footer: None,
        ..report
    };
    assert!(none.describe().ends_with(", no footer"));
}

/// Byte offsets at which each block of `bytes` ends.
fn block_ends(bytes: &[u8]) -> Vec<u64> {
    let mut r: TraceReader<&[u8]> = reader(bytes).unwrap();
    let mut ends = vec![r.offset()];
    while r.next_block().unwrap().is_some() {
        ends.push(r.offset());
    }
    ends
}

/// Cut after the third event block (before the second checkpoint): the intact part is
/// counted, and `bytes` says where it ends.
#[test]
fn verify_reports_the_intact_prefix_of_a_cut_trace() {
    let events = events(3500);
    let bytes =
        swarmlb_trace::write::events_to_vec(&header(1500), &events, Ending::Complete).unwrap();
    let ends = block_ends(&bytes);
    assert_eq!(
        ends.len(),
        1 + 8,
        "header, 5 event blocks, 2 checkpoints, footer"
    );
    let cut = ends[4] as usize;
    let (report, e) = verify(&mut reader(&bytes[..cut + 3]).unwrap()).unwrap_err();
    assert_eq!(report.events, 1024 + 476 + 1024);
    assert_eq!((report.blocks, report.checkpoints), (3, 1));
    assert_eq!(report.bytes, cut as u64);
    assert_eq!(report.end_time, events[1024 + 476 + 1024 - 1].time);
    assert_eq!(report.footer, None);
    match e {
        TraceError::Truncated {
            offset,
            events_intact,
            ..
        } => assert_eq!((offset, events_intact), (cut as u64, 2524)),
        other => panic!("{other}"),
    }
}

/// A checkpoint whose hash the events do not fold to: the report stops before it.
#[test]
fn verify_stops_before_a_checkpoint_with_a_wrong_hash() {
    let every = format::CHECKPOINT_EVERY_MIN as usize;
    let header = header(every as u64);
    let events = events(every + 1);
    let mut w = TraceWriter::new(Vec::new(), "hand", &header).unwrap();
    for e in &events[..every] {
        w.push(e.time.0, e.source.0, e.target.0, e.kind, e.value)
            .unwrap();
    }
    w.checkpoint(12345).unwrap();
    let e = &events[every];
    w.push(e.time.0, e.source.0, e.target.0, e.kind, e.value)
        .unwrap();
    let bytes = w.finish(0, Ending::Complete).unwrap();
    // The reader checks structure, not hashes: it reads this trace whole.
    let ends = block_ends(&bytes);
    let (report, e) = verify(&mut reader(&bytes).unwrap()).unwrap_err();
    assert_eq!(
        (report.events, report.blocks, report.checkpoints),
        (every as u64, 1, 0)
    );
    assert_eq!(report.bytes, ends[1]);
    assert!(
        e.to_string()
            .contains(&format!("checkpoint after event {every}")),
        "{e}"
    );
}

/// A checkpoint every 8 events per agent, at least 1024 and at most 2^20 events.
#[test]
fn the_checkpoint_interval_grows_with_the_agents_within_its_bounds() {
    let cases = [
        (0, 1024),
        (128, 1024),
        (129, 1032),
        (10_000, 80_000),
        (1 << 17, 1 << 20),
        ((1 << 17) + 1, 1 << 20),
        (usize::MAX, 1 << 20),
    ];
    for (n_agents, every) in cases {
        assert_eq!(format::checkpoint_interval(n_agents), every, "{n_agents}");
    }
    assert_eq!(format::CHECKPOINT_EVERY_MAX, 1 << 20);
}

/// The largest event block a writer can make (every event the worst case, the largest
/// index and base time) is within what a reader accepts.
#[test]
fn the_largest_event_block_fits_the_block_limit() {
    let packed = format::EVENTS_PER_BLOCK * format::PACKED_EVENT_MAX;
    let prefix =
        format::events_block_prefix(u64::MAX, u64::MAX, format::EVENTS_PER_BLOCK as u32, packed);
    assert!(prefix.len() + packed <= format::BLOCK_LEN_MAX as usize);
    assert_eq!(format::PREAMBLE_LEN, 20);
    assert_eq!(format::FRAME_LEN, 8);
}

/// `stats::count`: events by kind code and by target, first and last time, total; on a
/// cut trace, the counts of the intact blocks and the error.
#[test]
fn stats_count_by_kind_and_agent() {
    let events = events(3500);
    let bytes =
        swarmlb_trace::write::events_to_vec(&header(1500), &events, Ending::Complete).unwrap();
    let (c, e) = swarmlb_trace::stats::count(reader(&bytes).unwrap());
    assert!(e.is_none());
    assert_eq!(c.total, 3500);
    assert_eq!(c.first, Some(events[0].time));
    assert_eq!(c.last, events[3499].time);
    for &kind in Kind::ALL.iter() {
        let n = events.iter().filter(|e| e.kind == kind).count() as u64;
        assert_eq!(c.by_kind[kind as usize], n, "{kind:?}");
    }
    assert_eq!(c.by_kind.iter().sum::<u64>(), 3500);
    for agent in [0u32, 1, 3, 49] {
        let n = events.iter().filter(|e| e.target.0 == agent).count() as u64;
        assert_eq!(c.by_agent[agent as usize], n, "agent {agent}");
    }
    let cut = block_ends(&bytes)[2] as usize + 1;
    let (c, e) = swarmlb_trace::stats::count(reader(&bytes[..cut]).unwrap());
    assert!(matches!(e, Some(TraceError::Truncated { .. })));
    assert_eq!((c.total, c.last), (1500, events[1499].time));
    let mut r = reader(&bytes).unwrap();
    r.next_block().unwrap();
    assert_eq!(r.events_seen(), 1024);
}
