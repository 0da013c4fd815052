//! Integration tests of the engine: ordering contract, timers, RNG streams, PHOLD.

mod duration;
mod phold;
mod rng;
mod scheduler;
