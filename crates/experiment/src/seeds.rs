//! The seeds an experiment derives from the seed it was given, declared once: reference
//! runs of the null model and the independent "branch" of the negative control.

use swarmlb_engine::KeyedDraw;

/// Key of reference seeds ("null" in ASCII).
const REFERENCE_KEY: u64 = 0x6e75_6c6c;
/// Key of the negative control's independent branch ("indp").
const INDEPENDENT_KEY: u64 = 0x696e_6470;
/// Key of the positive control's choice of servers to crash ("crsh").
pub(crate) const CRASH_KEY: u64 = 0x6372_7368;

/// The seed of reference run `j` of baseline seed `seed`: 1 + a SplitMix64 hash of
/// (`seed`, "null", `j`) below 2^64 − 1. A hash, not `seed + j`, so the references of one
/// pair are not the baselines of the next pairs of an ensemble (seeds N, N+1, ...).
pub fn reference(seed: u64, j: u64) -> u64 {
    KeyedDraw::new(seed, &[REFERENCE_KEY, j]).between(1, u64::MAX)
}

/// The seed of the negative control's "branch" of baseline seed `seed`: an independent
/// run, derived like [`reference()`] under another key so it is none of the references.
pub fn independent(seed: u64) -> u64 {
    KeyedDraw::new(seed, &[INDEPENDENT_KEY]).between(1, u64::MAX)
}
