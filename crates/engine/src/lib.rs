//! Deterministic discrete-event simulation kernel: simulated time, a causally ordered
//! scheduler with cancellable timers, per-agent RNG streams, and a run loop with limits.
//!
//! The engine knows nothing about load balancing and does no I/O. A model implements
//! [`Handler`]; the engine delivers one event at a time to it through a [`Context`] that
//! is the model's only way to act on the world (send a message, set or cancel a timer).

mod buckets;
pub mod phold;
pub mod prefetch;
pub mod rng;
pub mod scheduler;
pub mod sim;
pub mod time;

pub use prefetch::prefetch;
pub use rng::{AgentRng, KeyedDraw, agent_rng, keyed_rng};
pub use scheduler::{AgentId, Context, Delivery, EventKey, Payload, Scheduler, TimerKind};
pub use sim::{Handler, Limits, Observer, RunOutcome, Simulation, StopReason};
pub use time::{DurationError, SimTime, parse_duration};
