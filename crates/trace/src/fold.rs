//! Rebuilding agent state from a trace alone: [`State`] folds events, [`Cursor`] walks a
//! trace event by event (with one item of look-ahead) and folds it up to any time.

use std::io::Read;

use swarmlb_engine::SimTime;
use swarmlb_model::{Event, Layout, Observed};

use crate::error::TraceError;
use crate::format::Footer;
use crate::read::{Block, TraceReader};

/// The observable state of a run after some prefix of its trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Per-server and per-user state.
    pub observed: Observed,
    /// Events folded.
    pub events: u64,
    /// Time of the last folded event.
    pub time: SimTime,
}

impl State {
    /// The state before the first event.
    pub fn new(layout: Layout) -> State {
        State {
            observed: Observed::new(layout),
            events: 0,
            time: SimTime::ZERO,
        }
    }

    /// Fold one event.
    #[inline]
    pub fn apply(&mut self, event: &Event) {
        self.observed.apply(event);
        self.events += 1;
        self.time = event.time;
    }
}

/// One item of a trace, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// The next event.
    Event(Event),
    /// A checkpoint: the state hash after `index` events.
    Checkpoint {
        /// Events before it.
        index: u64,
        /// The hash.
        state_hash: u64,
    },
    /// The end.
    Footer(Footer),
}

/// Walks a trace item by item, holding one block in memory.
pub struct Cursor<R: Read> {
    reader: TraceReader<R>,
    buffer: Vec<Event>,
    position: usize,
    pending: Option<Item>,
    done: bool,
}

impl<R: Read> Cursor<R> {
    /// A cursor at the start of `reader`'s events.
    pub fn new(reader: TraceReader<R>) -> Self {
        Cursor {
            reader,
            buffer: Vec::new(),
            position: 0,
            pending: None,
            done: false,
        }
    }

    /// The underlying reader (header, layout).
    pub fn reader(&self) -> &TraceReader<R> {
        &self.reader
    }

    /// The next event if it comes from the block in memory (no look-ahead work); `None`
    /// when the next item needs reading or is not an event.
    #[inline]
    pub fn next_buffered_event(&mut self) -> Option<Event> {
        if self.pending.is_none() && self.position < self.buffer.len() {
            self.position += 1;
            Some(self.buffer[self.position - 1])
        } else {
            None
        }
    }

    /// True when the next item is an event of the block in memory (so it is neither a
    /// checkpoint nor the footer).
    #[inline]
    pub fn has_buffered_event(&self) -> bool {
        self.pending.is_none() && self.position < self.buffer.len()
    }

    /// The next item without consuming it; `None` after the footer.
    pub fn peek(&mut self) -> Result<Option<&Item>, TraceError> {
        if self.pending.is_none() {
            self.pending = self.pull()?;
        }
        Ok(self.pending.as_ref())
    }

    /// The next item; `None` after the footer.
    pub fn next_item(&mut self) -> Result<Option<Item>, TraceError> {
        match self.pending.take() {
            Some(item) => Ok(Some(item)),
            None => self.pull(),
        }
    }

    fn pull(&mut self) -> Result<Option<Item>, TraceError> {
        loop {
            if self.position < self.buffer.len() {
                self.position += 1;
                return Ok(Some(Item::Event(self.buffer[self.position - 1])));
            }
            if self.done {
                return Ok(None);
            }
            match self.reader.next_block()? {
                Some(Block::Events { events, .. }) => {
                    self.buffer = events;
                    self.position = 0;
                }
                Some(Block::Checkpoint {
                    index, state_hash, ..
                }) => {
                    return Ok(Some(Item::Checkpoint { index, state_hash }));
                }
                Some(Block::Footer(footer)) => {
                    self.done = true;
                    return Ok(Some(Item::Footer(footer)));
                }
                None => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
    }

    /// The next event, skipping checkpoints; `None` at the end.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        loop {
            match self.next_item()? {
                Some(Item::Event(e)) => return Ok(Some(e)),
                Some(Item::Checkpoint { .. }) => continue,
                Some(Item::Footer(_)) | None => return Ok(None),
            }
        }
    }

    /// Fold every event at or before `time` into `state`.
    pub fn fold_until(&mut self, state: &mut State, time: SimTime) -> Result<(), TraceError> {
        loop {
            match self.peek()? {
                Some(Item::Event(e)) if e.time <= time => {
                    let e = *e;
                    self.pending = None;
                    state.apply(&e);
                }
                Some(Item::Checkpoint { .. }) => {
                    self.pending = None;
                }
                _ => return Ok(()),
            }
        }
    }
}
