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

/// Runs described by fuzzer bytes (knobs, crashes, partitions, loss, butterflies) keep
/// every model invariant after every event.
#[test]
fn model_invariants_corpus_holds_every_invariant() {
    run_corpus("model_invariants", swarmlb_trace::fuzz::model_invariants);
}

/// The model fuzz target's generator (`ModelOps::scenario`) reaches its whole documented
/// space: over 3,000 random byte strings every scenario is valid and within its bounds,
/// and every bound is reached, so that a fuzzer can find what lies there.
#[test]
fn the_model_fuzz_generator_reaches_its_whole_space() {
    use std::collections::BTreeSet;
    use swarmlb_model::scenario::{Dur, Overflow};
    use swarmlb_trace::fuzz::ModelOps;
    let mut state = 7u64;
    let mut next_byte = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (state ^ (state >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (z ^ (z >> 27)) as u8
    };
    let (mut initial, mut capacity, mut users) = (BTreeSet::new(), BTreeSet::new(), 0);
    let (mut policies, mut seeds) = (BTreeSet::new(), BTreeSet::new());
    let (mut loss, mut latency, mut low, mut crash_at) = (0f64, Dur(0), 0f64, Dur(0));
    let (mut partition_len, mut partition_width, mut population, mut scale_out) = (Dur(0), 0, 0, 0);
    let mut butterflies = 0;
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
        users = users.max(sc.users.count);
        policies.insert(sc.policy.name());
        seeds.insert(sc.seed);
        loss = loss.max(sc.network.loss);
        latency = latency.max(sc.network.latency_max);
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
        population += usize::from(sc.users.population.is_some());
        scale_out += usize::from(s.overflow == Overflow::ScaleOut);
        butterflies += usize::from(sc.butterfly.is_some());
    }
    assert_eq!(initial, (1..=8).collect());
    assert_eq!(capacity, (1..=12).collect());
    assert_eq!(users, 40);
    assert_eq!(policies.len(), swarmlb_model::Policy::ALL.len());
    assert!(seeds.len() > 1_000, "{} seeds", seeds.len());
    assert!((0.29..=0.3).contains(&loss), "{loss}");
    assert_eq!(latency, Dur::millis(200));
    assert_eq!(low, 0.5);
    assert_eq!(crash_at, Dur::secs(59));
    assert_eq!((partition_len, partition_width), (Dur::secs(30), 7));
    assert!(population > 300 && scale_out > 300 && butterflies > 300);
}
