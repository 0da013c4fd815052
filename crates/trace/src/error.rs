//! Everything that can be wrong with a trace file, each with the byte offset where it was found.

use std::path::PathBuf;

/// Why a trace could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The first bytes are not a swarmlb trace.
    #[error("not a swarmlb trace: bad magic bytes at offset 0")]
    BadMagic,
    /// Written by a newer, incompatible version.
    #[error(
        "trace format {found_major}.{found_minor} is newer than this swarmlb understands ({major}.x); upgrade swarmlb to read it"
    )]
    UnsupportedVersion {
        /// Major version in the file.
        found_major: u16,
        /// Minor version in the file.
        found_minor: u16,
        /// The major version this build reads.
        major: u16,
    },
    /// A checksum, length or value is wrong.
    #[error("corrupt trace at byte offset {offset}: {reason}")]
    Corrupt {
        /// Where the bad block or field starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The file ends in the middle of a block (a run that crashed or was killed).
    #[error(
        "truncated trace: ends inside the block at byte offset {offset}; {events_intact} events intact before it"
    )]
    Truncated {
        /// Where the incomplete block starts.
        offset: u64,
        /// Events in the complete blocks before it.
        events_intact: u64,
    },
}

impl TraceError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> TraceError {
        TraceError::Io {
            path: path.into(),
            source,
        }
    }
}
