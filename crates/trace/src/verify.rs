//! `verify`: read a whole trace and check every checksum, index, time and the footer, and
//! fold the state to check every checkpoint's hash and the footer's final hash.

use std::io::Read;

use swarmlb_engine::SimTime;

use crate::error::TraceError;
use crate::fold::State;
use crate::format::{Ending, Footer};
use crate::read::{Block, TraceReader};

/// What a verification found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Events read intact.
    pub events: u64,
    /// Event blocks read.
    pub blocks: u64,
    /// Checkpoints read.
    pub checkpoints: u64,
    /// Time of the last intact event.
    pub end_time: SimTime,
    /// Bytes read intact (header and whole blocks).
    pub bytes: u64,
    /// The footer, when the trace is complete.
    pub footer: Option<Footer>,
}

impl Report {
    /// The one-line verdict of a trace that verified.
    pub fn describe(&self) -> String {
        let ending = match self.footer.map(|f| f.ending) {
            Some(Ending::Complete) => "complete",
            Some(Ending::Interrupted) => "interrupted (valid up to the interruption)",
            None => "no footer",
        };
        format!(
            "ok: {} events in {} blocks, {} checkpoints, {} bytes, simulated time 0s..{}, {ending}",
            self.events, self.blocks, self.checkpoints, self.bytes, self.end_time
        )
    }
}

/// Verify the rest of `reader`; on failure the report says how much was intact.
// The error is large (a report and a trace error), but it is returned once per file.
#[allow(clippy::result_large_err)]
pub fn verify<R: Read>(reader: &mut TraceReader<R>) -> Result<Report, (Report, TraceError)> {
    let mut report = Report::default();
    let mut state = State::new(reader.layout());
    let file = reader.name().to_path_buf();
    loop {
        let start = reader.offset();
        let wrong_hash = |what: String, stored: u64, folded: u64| TraceError::Corrupt {
            file: file.clone(),
            offset: start,
            reason: format!(
                "{what}: stored state hash {stored:016x}, but the events fold to {folded:016x}"
            ),
        };
        let block = match reader.next_block() {
            Ok(Some(block)) => block,
            Ok(None) => break,
            Err(e) => {
                report.bytes = reader.offset();
                return Err((report, e));
            }
        };
        match block {
            Block::Events { events, .. } => {
                for event in &events {
                    state.apply(event);
                }
                report.blocks += 1;
                report.events += events.len() as u64;
                report.end_time = events.last().map_or(report.end_time, |e| e.time);
            }
            Block::Checkpoint {
                index, state_hash, ..
            } => {
                let folded = state.observed.hash();
                if folded != state_hash {
                    let what = format!("checkpoint after event {index}");
                    report.bytes = start;
                    return Err((report, wrong_hash(what, state_hash, folded)));
                }
                report.checkpoints += 1;
            }
            Block::Footer(footer) => {
                let folded = state.observed.hash();
                if folded != footer.final_hash {
                    let what = "footer".to_string();
                    report.bytes = start;
                    return Err((report, wrong_hash(what, footer.final_hash, folded)));
                }
                report.footer = Some(footer);
            }
        }
    }
    report.bytes = reader.offset();
    Ok(report)
}
