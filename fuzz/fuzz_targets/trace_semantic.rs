//! Fuzz target: see `swarmlb_trace::fuzz::trace_semantic`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| swarmlb_trace::fuzz::trace_semantic(data));
