//! swarmlb traces as tidy Arrow tables and Parquet files, streamed block by block.
//!
//! Three tables come out of one pass over a trace (columns documented in
//! `traces/FORMAT.md`, "Tables"): `events` (one row per event), `servers` (one row per
//! started server per sample time) and `users` (one row per change of a user's state),
//! plus `agents`, which names every agent id. [`Filter`] cuts any of them by time, kind
//! and agent; the `swarmlb` command uses the same filter for every export format.
//!
//! This crate is the only one that links Arrow and Parquet; engine, model and trace never
//! see them.

pub mod files;
pub mod filter;
pub mod tables;

pub use filter::{Filter, KindSet};
pub use tables::{Sink, Tables, export_tables};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The trace is unreadable or damaged (the message names the file and offset).
    #[error(transparent)]
    Trace(#[from] swarmlb_trace::TraceError),
    /// Building a table failed (a bug: the schemas are fixed).
    #[error("cannot build the {table} table: {source}")]
    Arrow {
        /// Which table.
        table: &'static str,
        /// What Arrow said.
        source: arrow_schema::ArrowError,
    },
    /// Writing a Parquet file failed.
    #[error("cannot write {path}: {source}")]
    Parquet {
        /// The file.
        path: String,
        /// What Parquet said.
        source: parquet::errors::ParquetError,
    },
}
