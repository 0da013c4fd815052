//! Fuzz target: see `swarmlb_trace::fuzz::trace_blocks`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| swarmlb_trace::fuzz::trace_blocks(data));
