//! Integration tests of the engine: ordering contract, timers, the run loop and its
//! limits, RNG streams (with known-answer vectors), durations, PHOLD.

mod duration;
mod phold;
mod rng;
mod scheduler;
mod sim;
