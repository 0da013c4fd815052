//! Fuzz target: see `swarmlb_trace::fuzz::scenario_parser`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| swarmlb_trace::fuzz::scenario_parser(data));
