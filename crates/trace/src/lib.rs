//! The swarmlb trace: a streaming, checksummed, crash-tolerant record of every event of a
//! run, and what can be done with one (verify, fold, replay, diff, render as text).
//!
//! This is the only crate that encodes or decodes bytes. The byte layout is in
//! `traces/FORMAT.md`; the codec (bincode 2) stays behind [`format`](mod@format) so it can be replaced
//! with a format-version bump.

pub mod diff;
pub mod error;
pub mod files;
pub mod fold;
pub mod format;
pub mod fuzz;
pub mod interval;
pub mod null;
pub mod read;
pub mod replay;
pub mod stats;
pub mod text;
pub mod verify;
pub mod why;
pub mod write;

pub use error::TraceError;
pub use fold::State;
pub use format::{FORMAT_MAJOR, FORMAT_MINOR, Footer, Header};
pub use read::{Block, TraceReader};
pub use write::TraceWriter;
