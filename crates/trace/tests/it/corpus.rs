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

#[test]
fn trace_reader_corpus_never_panics() {
    let inputs = corpus("trace_reader");
    assert!(inputs.len() >= 5, "the corpus has {} inputs", inputs.len());
    for (_, bytes) in inputs {
        swarmlb_trace::fuzz::trace_reader(&bytes);
    }
}

#[test]
fn scenario_parser_corpus_never_panics() {
    let inputs = corpus("scenario_parser");
    assert!(inputs.len() >= 5, "the corpus has {} inputs", inputs.len());
    for (_, bytes) in inputs {
        swarmlb_trace::fuzz::scenario_parser(&bytes);
    }
}

#[test]
fn trace_roundtrip_corpus_decodes_what_it_encodes() {
    let inputs = corpus("trace_roundtrip");
    assert!(inputs.len() >= 5, "the corpus has {} inputs", inputs.len());
    for (_, bytes) in inputs {
        swarmlb_trace::fuzz::trace_roundtrip(&bytes);
    }
}
