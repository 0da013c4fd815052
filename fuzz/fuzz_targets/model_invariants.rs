//! Fuzz target: see `swarmlb_trace::fuzz::model_invariants`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| swarmlb_trace::fuzz::model_invariants(data));
