//! Everything that can be wrong with a trace file, each with the byte offset where it was found.

use std::path::PathBuf;

/// Why a trace could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be opened, read or written. (The OS error is part of the message,
    /// not a `source`, so an error chain does not print it twice.)
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        cause: std::io::Error,
    },
    /// The first bytes are not a swarmlb trace.
    #[error("{}: not a swarmlb trace: bad magic bytes at offset 0", file.display())]
    BadMagic {
        /// The trace.
        file: PathBuf,
    },
    /// Written by a newer, incompatible version.
    #[error(
        "{}: trace format {found_major}.{found_minor} is newer than this swarmlb understands ({major}.x); upgrade swarmlb to read it", file.display()
    )]
    UnsupportedVersion {
        /// The trace.
        file: PathBuf,
        /// Major version in the file.
        found_major: u16,
        /// Minor version in the file.
        found_minor: u16,
        /// The major version this build reads.
        major: u16,
    },
    /// Written by an older, incompatible version.
    #[error(
        "{}: trace format {found_major}.{found_minor} is older than this swarmlb reads ({major}.x); record the run again with this version", file.display()
    )]
    OldVersion {
        /// The trace.
        file: PathBuf,
        /// Major version in the file.
        found_major: u16,
        /// Minor version in the file.
        found_minor: u16,
        /// The major version this build reads.
        major: u16,
    },
    /// A trace would break a limit its readers enforce, so it is not written at all.
    #[error(
        "cannot write the trace: {what} is {actual} bytes; a trace reader accepts at most {max}"
    )]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// Its size.
        actual: u64,
        /// The limit.
        max: u64,
    },
    /// A checksum, length or value is wrong.
    #[error("{}: corrupt trace at byte offset {offset}: {reason}", file.display())]
    Corrupt {
        /// The trace.
        file: PathBuf,
        /// Where the bad block or field starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The file ends in the middle of a block (a run that crashed or was killed).
    #[error(
        "{}: truncated trace: ends inside the block at byte offset {offset}; {events_intact} events intact before it", file.display()
    )]
    Truncated {
        /// The trace.
        file: PathBuf,
        /// Where the incomplete block starts.
        offset: u64,
        /// Events in the complete blocks before it.
        events_intact: u64,
    },
}

impl TraceError {
    /// True when the error is damage in the trace (exit code 3 in the CLI), false for an
    /// I/O error or a trace that could not be written (exit code 1).
    pub fn is_damage(&self) -> bool {
        match self {
            TraceError::Io { .. } | TraceError::TooLarge { .. } => false,
            TraceError::BadMagic { .. }
            | TraceError::UnsupportedVersion { .. }
            | TraceError::OldVersion { .. }
            | TraceError::Corrupt { .. }
            | TraceError::Truncated { .. } => true,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> TraceError {
        TraceError::Io {
            path: path.into(),
            cause,
        }
    }
}
