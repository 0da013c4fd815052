//! Experiments over many runs: parameter sweeps (locally with rayon, or as a job list for
//! a cluster), the decentralized model against every centralized policy, the stability
//! map of butterfly cascades, and plots.

pub mod chart;
pub mod compare;
pub mod grid;
pub mod plot;
pub mod stability;
pub mod sweep;
