//! Counting a trace's events by kind and by agent, block by block (what `swarmlb stats`
//! prints; fast because it never builds one item at a time).

use std::io::Read;

use swarmlb_engine::SimTime;

use crate::error::TraceError;
use crate::read::{Block, TraceReader};

/// Event counts of a trace (or of its intact prefix).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events by kind code.
    pub by_kind: Vec<u64>,
    /// Events by handling (target) agent id.
    pub by_agent: Vec<u64>,
    /// Time of the first event.
    pub first: Option<SimTime>,
    /// Time of the last event.
    pub last: SimTime,
    /// Events counted.
    pub total: u64,
}

/// Count every event; on a damaged tail, the counts of the intact prefix and the error.
pub fn count<R: Read>(mut reader: TraceReader<R>) -> (Counts, Option<TraceError>) {
    let mut c = Counts {
        by_kind: vec![0; 256],
        by_agent: vec![0; reader.layout().n_agents()],
        ..Counts::default()
    };
    loop {
        match reader.next_block() {
            Ok(Some(Block::Events { events, .. })) => {
                for e in &events {
                    c.by_kind[e.kind as usize] += 1;
                    c.by_agent[e.target.idx()] += 1;
                }
                c.first = c.first.or(events.first().map(|e| e.time));
                c.last = events.last().map_or(c.last, |e| e.time);
                c.total += events.len() as u64;
            }
            Ok(Some(_)) => {}
            Ok(None) => return (c, None),
            Err(e) => return (c, Some(e)),
        }
    }
}
