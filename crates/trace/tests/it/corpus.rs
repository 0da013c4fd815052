//! The fuzz corpora run as ordinary tests on stable: no input may panic the decoders.

use std::path::Path;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

/// Feed every input of fuzz target `name`'s corpus (at least 5) to `target`.
fn run_corpus(name: &str, target: fn(&[u8])) {
    let inputs = corpus(name);
    assert!(inputs.len() >= 5, "the corpus has {} inputs", inputs.len());
    for (_, bytes) in inputs {
        target(&bytes);
    }
}

#[test]
fn trace_reader_corpus_never_panics() {
    run_corpus("trace_reader", swarmlb_trace::fuzz::trace_reader);
}

#[test]
fn scenario_parser_corpus_never_panics() {
    run_corpus("scenario_parser", swarmlb_trace::fuzz::scenario_parser);
}

#[test]
fn trace_roundtrip_corpus_decodes_what_it_encodes() {
    run_corpus("trace_roundtrip", swarmlb_trace::fuzz::trace_roundtrip);
}

/// Regression (issue 10): the reader corpus stops at the checksum; this one reaches the
/// decoder with CRC-valid blocks (huge length prefixes included).
#[test]
fn trace_blocks_corpus_never_panics() {
    run_corpus("trace_blocks", swarmlb_trace::fuzz::trace_blocks);
}

/// Issue 23: semantic edits of a recorded run (times, kinds, agents, values, checkpoint
/// interval, header fields), written with honest checksums and hashes: every reader and
/// diff and why against the original end without a panic, and verify refuses every edit
/// the naive reference calls impossible.
#[test]
fn trace_semantic_corpus_never_panics_and_refuses_the_impossible() {
    run_corpus("trace_semantic", swarmlb_trace::fuzz::trace_semantic);
}

/// Runs described by fuzzer bytes (knobs, crashes, partitions, loss, butterflies) keep
/// every model invariant after every event.
#[test]
fn model_invariants_corpus_holds_every_invariant() {
    run_corpus("model_invariants", swarmlb_trace::fuzz::model_invariants);
}

/// The model fuzz target's generator (`ModelOps::scenario`) reaches its whole documented
/// space: over 3,000 random byte strings every scenario is valid and within its bounds,
/// every value of the small ranges and both ends of the others are reached, and each of
/// the original model's variants is switched on, so that a fuzzer can find what lies there.
#[test]
fn the_model_fuzz_generator_reaches_its_whole_space() {
    use std::collections::BTreeSet;
    use swarmlb_model::scenario::{
        Dur, HandoffStyle, LifespanClock, Overflow, PullStyle, VictimPick,
    };
    use swarmlb_trace::fuzz::ModelOps;
    let mut state = 7u64;
    let mut next_byte = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (state ^ (state >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (z ^ (z >> 27)) as u8
    };
    let (mut initial, mut capacity, mut users) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let (mut policies, mut seeds) = (BTreeSet::new(), BTreeSet::new());
    let (mut loss, mut latency, mut low, mut crash_at) = (0f64, Dur(0), 0f64, Dur(0));
    let (mut partition_len, mut partition_width) = (Dur(0), 0);
    let (mut no_loss, mut fastest) = (false, Dur::secs(1));
    // How often each of the original model's seven variants is on.
    let mut variants = [0usize; 7];
    for _ in 0..3_000 {
        let bytes: Vec<u8> = (0..96).map(|_| next_byte()).collect();
        let Ok(ops) = arbitrary::Unstructured::new(&bytes).arbitrary::<ModelOps>() else {
            continue;
        };
        let sc = ops.scenario();
        sc.validate().expect("valid by construction");
        let s = &sc.servers;
        assert_eq!(sc.duration, Dur::secs(60));
        assert!((1..=8).contains(&s.initial) && s.max_servers == s.initial + 2);
        assert!((1..=12).contains(&s.capacity) && sc.users.count <= 40);
        initial.insert(s.initial);
        capacity.insert(s.capacity);
        users.insert(sc.users.count);
        policies.insert(sc.policy.name());
        seeds.insert(sc.seed);
        loss = loss.max(sc.network.loss);
        no_loss |= sc.network.loss == 0.0;
        latency = latency.max(sc.network.latency_max);
        fastest = fastest.min(sc.network.latency_max);
        low = low.max(s.low_watermark);
        for c in &sc.crashes {
            crash_at = crash_at.max(c.at);
            assert!(c.servers.iter().all(|&i| i < s.initial));
        }
        for p in &sc.partitions {
            partition_len = partition_len.max(p.duration);
            partition_width = partition_width.max(p.servers.len());
            assert!(p.servers.len() < s.initial as usize);
        }
        let on = [
            s.pull == PullStyle::Classic,
            s.handoff == HandoffStyle::Spread,
            s.overflow == Overflow::ScaleOut,
            sc.users.lifespan_clock == LifespanClock::WhileConnected,
            sc.users.population.is_some(),
            sc.butterfly
                .as_ref()
                .is_some_and(|b| b.victim == VictimPick::ServerThenUser),
            s.terminate_grace == Dur(0),
        ];
        for (count, on) in variants.iter_mut().zip(on) {
            *count += usize::from(on);
        }
    }
    assert_eq!(initial, (1..=8).collect());
    assert_eq!(capacity, (1..=12).collect());
    assert_eq!(users, (0..=40).collect());
    assert_eq!(policies.len(), swarmlb_model::Policy::ALL.len());
    assert!(seeds.len() > 1_000, "{} seeds", seeds.len());
    assert!((0.29..=0.3).contains(&loss), "{loss}");
    assert!(no_loss);
    assert_eq!((fastest, latency), (Dur::millis(1), Dur::millis(200)));
    assert_eq!(low, 0.5);
    assert_eq!(crash_at, Dur::secs(59));
    assert_eq!((partition_len, partition_width), (Dur::secs(30), 7));
    // Each variant is on for about half the inputs.
    assert!(variants.iter().all(|&n| n > 300), "{variants:?}");
}
