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
