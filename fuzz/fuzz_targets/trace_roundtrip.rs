//! Fuzz target: see `swarmlb_trace::fuzz::trace_roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| swarmlb_trace::fuzz::trace_roundtrip(data));
