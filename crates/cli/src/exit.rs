//! The exit-code policy: which error ends the process with which code, and how it is told.
//! One place, so every command reports the same problem with the same code and message.

use std::process::ExitCode;

use swarmlb_export::ExportError;
use swarmlb_trace::TraceError;
use swarmlb_trace::diff::DiffError;

/// Exit code for bad input or I/O errors.
pub const EXIT_ERROR: u8 = 1;
/// Exit code when a check fails: a damaged trace, a replay that differs.
pub const EXIT_CHECK_FAILED: u8 = 3;
/// Exit code when the user interrupted a run (Ctrl-C, SIGTERM); the trace is still valid.
pub const EXIT_INTERRUPTED: u8 = 130;

/// A check that ran and failed (as opposed to an error that stopped it from running).
#[derive(Debug)]
pub struct CheckFailed(pub String);

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for CheckFailed {}

/// The run was interrupted; what was done is saved.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}
impl std::error::Error for Interrupted {}

/// Report `e` on stderr and return its exit code. A damaged trace anywhere in the chain is
/// a failed check (3), told by the trace error alone (it names the file and the offset),
/// whatever the command that found it.
pub fn report(e: &anyhow::Error) -> ExitCode {
    if e.is::<Interrupted>() {
        eprintln!("swarmlb: interrupted; partial results were saved");
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    // `DiffError::Trace` and `ExportError::Trace` are transparent (they show the trace
    // error as their own), so they are looked into as well as the chain.
    if let Some(damage) = e
        .chain()
        .filter_map(|c| {
            c.downcast_ref::<TraceError>()
                .or(match c.downcast_ref::<DiffError>() {
                    Some(DiffError::Trace(t)) => Some(t),
                    _ => None,
                })
                .or(match c.downcast_ref::<ExportError>() {
                    Some(ExportError::Trace(t)) => Some(t),
                    _ => None,
                })
        })
        .find(|t| t.is_damage())
    {
        eprintln!("swarmlb: {damage}");
        return ExitCode::from(EXIT_CHECK_FAILED);
    }
    if e.is::<CheckFailed>() {
        eprintln!("swarmlb: {e}");
        return ExitCode::from(EXIT_CHECK_FAILED);
    }
    eprintln!("swarmlb: error: {e:#}");
    ExitCode::from(EXIT_ERROR)
}
