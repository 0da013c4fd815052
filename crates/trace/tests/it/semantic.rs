//! Semantic checks on read (issue 23): traces whose checksums, chain and state hashes are
//! all honest (written by the format's own writer) but whose events say what no run can:
//! a time past the run's duration, an agent, server or user slot outside the layout. Every
//! reader refuses them as damage with the file and the block's offset, and the two-trace
//! commands (`diff`, `why`) end with that error instead of hanging or panicking.

use std::time::{Duration, Instant};

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind};
use swarmlb_trace::TraceError;
use swarmlb_trace::diff::{DiffError, diff};
use swarmlb_trace::format::{Ending, Header};
use swarmlb_trace::verify::verify;

use crate::{events_of, reader, record, small};

/// A recorded five-minute run and its header.
fn five_minutes() -> (Vec<u8>, Header) {
    let bytes = record(&small(&["duration=\"5m\""]), 1, 1024);
    let header = reader(&bytes).unwrap().header().clone();
    (bytes, header)
}

/// The run's events with `edit` applied, written again by the format's writer (every
/// checksum, checkpoint and final hash recomputed: only the reader's checks can object).
fn rewritten(bytes: &[u8], header: &Header, edit: impl FnOnce(&mut Vec<Event>)) -> Vec<u8> {
    let mut events = events_of(bytes);
    edit(&mut events);
    swarmlb_trace::write::events_to_vec(header, &events, Ending::Complete).unwrap()
}

/// Every reader's verdict on `bytes`: verify, the cursor, stats, replay, and diff and why
/// against `original` in both orders. Each must be the same damage error, quickly.
fn every_reader_refuses(bytes: &[u8], original: &[u8], expect: &str) {
    let started = Instant::now();
    let check = |what: &str, e: &TraceError| {
        assert!(e.is_damage(), "{what}: {e}");
        let text = e.to_string();
        assert!(
            text.contains("test: corrupt trace at byte offset"),
            "{what}: {text}"
        );
        assert!(text.contains(expect), "{what}: {text}");
    };
    let (_, e) = verify(&mut reader(bytes).unwrap()).unwrap_err();
    check("verify", &e);
    let mut cursor = swarmlb_trace::fold::Cursor::new(reader(bytes).unwrap());
    let e = loop {
        match cursor.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the cursor read it whole"),
            Err(e) => break e,
        }
    };
    check("cursor", &e);
    let (_, e) = swarmlb_trace::stats::count(reader(bytes).unwrap());
    check("stats", &e.expect("stats refuses"));
    let e = swarmlb_trace::replay::replay(reader(bytes).unwrap(), &mut |_| {}).unwrap_err();
    check("replay", &e);
    for (a, b) in [(original, bytes), (bytes, original)] {
        match diff(|| Ok((reader(a)?, reader(b)?)), None) {
            Err(DiffError::Trace(e)) => check("diff", &e),
            other => panic!("diff: {:?}", other.map(|r| r.verdict)),
        }
        match swarmlb_trace::why::tree(reader(a).unwrap(), reader(b).unwrap()) {
            Err(DiffError::Trace(e)) => check("why", &e),
            other => panic!("why: {:?}", other.map(|t| t.nodes.len())),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

/// Regression (issue 23): a five-minute trace plus one event at 2^62 µs, hashes honest,
/// passed `verify`, and `diff` against the original sampled up to 2^62 µs, growing ~20 MB/s
/// for ever. So did 366 days + 1 µs. An event one microsecond past the duration is refused,
/// and one at the duration exactly is not.
#[test]
fn regression_23_an_event_past_the_duration_is_damage_in_every_reader() {
    let (original, header) = five_minutes();
    let duration_us = 300_000_000;
    for late in [1u64 << 62, 366 * 86_400_000_000 + 1, duration_us + 1] {
        let bytes = rewritten(&original, &header, |events| {
            let mut last = *events.last().unwrap();
            last.time = SimTime(late);
            events.push(last);
        });
        every_reader_refuses(&bytes, &original, "past the run's duration of 300000000 µs");
    }
    let at_end = rewritten(&original, &header, |events| {
        let mut last = *events.last().unwrap();
        last.time = SimTime(duration_us);
        events.push(last);
    });
    verify(&mut reader(&at_end).unwrap()).expect("an event at the duration itself is valid");
}

/// Regression (issue 23): `diff` panicked (index out of bounds, exit 101) on a Butterfly
/// record naming a user slot at or past the header's user count, which `verify` accepted.
#[test]
fn regression_23_a_butterfly_slot_past_the_users_is_damage_in_every_reader() {
    let (original, header) = five_minutes();
    let n_users = header.n_users;
    for slot in [n_users, n_users + 1, u32::MAX - 1] {
        let bytes = rewritten(&original, &header, |events| {
            let at = events.len() / 2;
            let mut e = events[at];
            e.kind = Kind::Butterfly;
            e.source = AgentId(2);
            e.target = AgentId(2);
            e.value = slot;
            events.insert(at + 1, e);
        });
        every_reader_refuses(&bytes, &original, "Butterfly value");
    }
}

/// Every value that names an agent, a server or a user slot is checked against the layout
/// (NONE excepted); loads and counts are not indices and pass.
#[test]
fn every_index_valued_kind_is_checked_against_the_layout() {
    let (original, header) = five_minutes();
    let layout = reader(&original).unwrap().layout();
    for &kind in Kind::ALL {
        let Some((what, bound)) = swarmlb_trace::read::value_bound(layout, kind) else {
            continue;
        };
        for (value, valid) in [
            (bound as u32 - 1, true),
            (swarmlb_model::ids::NONE, true),
            (bound as u32, false),
        ] {
            let bytes = rewritten(&original, &header, |events| {
                let mut e = *events.last().unwrap();
                e.kind = kind;
                e.value = value;
                events.push(e);
            });
            let result = swarmlb_trace::stats::count(reader(&bytes).unwrap()).1;
            match (valid, result) {
                (true, None) => {}
                (false, Some(e)) => {
                    assert!(e.is_damage());
                    assert!(e.to_string().contains(what), "{kind}: {e}");
                }
                (valid, e) => panic!("{kind} value {value}: valid {valid}, got {e:?}"),
            }
        }
    }
}

/// A header of `servers` servers over `duration` with a sample interval making about a
/// million samples, and a hand-made trace of two events: at 0 and at the end.
fn two_events_a_year_apart() -> Vec<u8> {
    use swarmlb_model::Scenario;
    let scenario = Scenario::parse(
        "",
        "huge",
        &[
            "duration=\"366d\"".into(),
            "sample_interval=\"32s\"".into(),
            "servers.max_servers=100000".into(),
            "servers.initial=100000".into(),
            "users.count=0".into(),
        ],
    )
    .unwrap();
    let layout = swarmlb_model::params::Params::new(&scenario).layout;
    let header = Header {
        producer: "test".into(),
        seed: scenario.seed,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every: swarmlb_trace::format::checkpoint_interval(layout.n_agents()),
    };
    let start = |time| Event {
        time: SimTime(time),
        source: layout.server(0),
        target: layout.server(0),
        kind: Kind::ServerStart,
        value: 0,
    };
    let events = [start(0), start(scenario.duration.us())];
    swarmlb_trace::write::events_to_vec(&header, &events, Ending::Complete).unwrap()
}

/// Regression (issue 23): a 1.4 KB header declaring 100k servers over 366 days kept `diff`
/// busy for hours (~988k samples, each a pass over every agent). A sample after which
/// neither trace moved repeats the last point: the same report, in well under a second of
/// work per million samples.
#[test]
fn regression_23_a_year_of_quiet_samples_over_100k_servers_diffs_quickly() {
    let bytes = two_events_a_year_apart();
    assert!(bytes.len() < 4096, "{} bytes", bytes.len());
    let started = Instant::now();
    let (report, peak) =
        crate::peak_bytes(|| diff(|| Ok((reader(&bytes)?, reader(&bytes)?)), None).unwrap());
    // The report's points (a million) and two states of 100k servers; nothing per sample
    // beyond its point.
    assert!(peak < 300 << 20, "diff held {} MB", peak >> 20);
    assert!(
        report.points.len() > 980_000,
        "{} samples",
        report.points.len()
    );
    assert!(
        report
            .points
            .iter()
            .all(|p| p.micro == 0 && p.macro_l1 == 0)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// Regression (issue 23): `why` and `diff` hold every event of one instant: 40M events at
/// t = 0 (a 200 MB file) took 1.26 GB. Past `INSTANT_EVENTS_MAX` events at one instant
/// they stop with an error that names the limit, having held at most that many.
#[test]
fn regression_23_an_instant_over_the_limit_is_refused_by_why_and_diff() {
    use swarmlb_trace::why::INSTANT_EVENTS_MAX;
    let header = crate::header(1 << 20);
    let tick = Event {
        time: SimTime(5),
        source: AgentId(3),
        target: AgentId(3),
        kind: Kind::Tick,
        value: 0,
    };
    let events = vec![tick; INSTANT_EVENTS_MAX + 1];
    let bytes = swarmlb_trace::write::events_to_vec(&header, &events, Ending::Complete).unwrap();
    let started = Instant::now();
    let expect = format!("more than {INSTANT_EVENTS_MAX} events at the one instant");
    let (tree, peak) = crate::peak_bytes(|| {
        swarmlb_trace::why::tree(reader(&bytes).unwrap(), reader(&bytes).unwrap())
    });
    match tree {
        Err(DiffError::Mismatch(m)) => assert!(m.contains(&expect), "{m}"),
        other => panic!("why: {:?}", other.map(|t| t.nodes.len())),
    }
    // Two instants of at most 2^20 events of 32 bytes (one per trace), and small change:
    // holding one event more would double a buffer's capacity.
    assert!(peak < 80 << 20, "why held {} MB", peak >> 20);
    match diff(|| Ok((reader(&bytes)?, reader(&bytes)?)), None) {
        Err(DiffError::Mismatch(m)) => assert!(m.contains(&expect), "{m}"),
        other => panic!("diff: {:?}", other.map(|r| r.verdict)),
    }
    // At the limit itself, an instant is compared.
    let events = vec![tick; INSTANT_EVENTS_MAX];
    let bytes = swarmlb_trace::write::events_to_vec(&header, &events, Ending::Complete).unwrap();
    let tree = swarmlb_trace::why::tree(reader(&bytes).unwrap(), reader(&bytes).unwrap()).unwrap();
    assert!(tree.nodes.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}
