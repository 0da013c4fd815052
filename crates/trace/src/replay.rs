//! `replay`: re-simulate a run from its trace header and compare every event and every
//! checkpoint with the recording; report the first mismatch.

use std::io::Read;
use std::ops::ControlFlow;

use swarmlb_engine::{EventKey, Limits, Observer, SimTime};
use swarmlb_model::{Event, Kind, Observed, World, build};

use crate::error::TraceError;
use crate::fold::{Cursor, Item};
use crate::format::{Ending, Footer};
use crate::read::TraceReader;
use crate::text::Style;

/// Where a replay first disagreed with the recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Index of the event (or of the checkpoint's last event).
    pub index: u64,
    /// Simulated time.
    pub time: SimTime,
    /// What the trace recorded.
    pub expected: String,
    /// What the re-simulation did.
    pub actual: String,
}

/// The outcome of a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every event and checkpoint matched.
    Identical {
        /// Events compared.
        events: u64,
        /// Checkpoints compared.
        checkpoints: u64,
    },
    /// The first difference.
    Mismatch(Mismatch),
}

struct Comparer<'a, R: Read> {
    cursor: &'a mut Cursor<R>,
    style: Style,
    compared: u64,
    checkpoints: u64,
    footer: Option<Footer>,
    mismatch: Option<Mismatch>,
    error: Option<TraceError>,
    progress: &'a mut dyn FnMut(SimTime),
}

impl<R: Read> Comparer<'_, R> {
    fn compare(&mut self, live: Event, world: &World) -> Result<ControlFlow<()>, TraceError> {
        let index = self.compared;
        let next = match self.cursor.next_buffered_event() {
            Some(e) => Some(Item::Event(e)),
            None => self.cursor.next_item()?,
        };
        match next {
            Some(Item::Event(recorded)) if recorded == live => {}
            Some(Item::Event(recorded)) => {
                self.mismatch = Some(Mismatch {
                    index,
                    time: live.time,
                    expected: self.style.line(&recorded),
                    actual: self.style.line(&live),
                });
                return Ok(ControlFlow::Break(()));
            }
            _ => {
                self.mismatch = Some(Mismatch {
                    index,
                    time: live.time,
                    expected: format!("the end of the trace after {index} events"),
                    actual: self.style.line(&live),
                });
                return Ok(ControlFlow::Break(()));
            }
        }
        self.compared += 1;
        if self.compared.is_multiple_of(65_536) {
            (self.progress)(live.time);
        }
        // Checkpoints and the footer only ever follow the last event of a block.
        if self.cursor.has_buffered_event() {
            return Ok(ControlFlow::Continue(()));
        }
        loop {
            match self.cursor.peek()? {
                Some(Item::Checkpoint { index, state_hash }) => {
                    let (index, recorded) = (*index, *state_hash);
                    self.cursor.next_item()?;
                    let actual = Observed::of_world(world).hash();
                    if actual != recorded {
                        self.mismatch = Some(Mismatch {
                            index,
                            time: live.time,
                            expected: format!("checkpoint state hash {recorded:016x}"),
                            actual: format!("state hash {actual:016x}"),
                        });
                        return Ok(ControlFlow::Break(()));
                    }
                    self.checkpoints += 1;
                }
                Some(Item::Footer(footer)) => {
                    self.footer = Some(*footer);
                    return Ok(ControlFlow::Break(()));
                }
                _ => return Ok(ControlFlow::Continue(())),
            }
        }
    }
}

impl<R: Read> Observer<World> for Comparer<'_, R> {
    fn on_event(&mut self, key: &EventKey, record: &(Kind, u32), world: &World) -> ControlFlow<()> {
        let live = Event {
            time: key.time,
            source: key.source,
            target: key.target,
            kind: record.0,
            value: record.1,
        };
        self.compare(live, world).unwrap_or_else(|e| {
            self.error = Some(e);
            ControlFlow::Break(())
        })
    }
}

/// Re-simulate the run recorded by `reader` and compare. `progress` is called now and
/// then with the simulated time reached.
pub fn replay<R: Read>(
    reader: TraceReader<R>,
    progress: &mut dyn FnMut(SimTime),
) -> Result<Outcome, TraceError> {
    let scenario = reader.scenario()?;
    // The reader has checked that the header's seed is the scenario's.
    let mut sim = build(&scenario);
    let layout = sim.model.params.layout;
    if layout != reader.layout() {
        return Ok(Outcome::Mismatch(Mismatch {
            index: 0,
            time: SimTime::ZERO,
            expected: format!("layout {:?}", reader.layout()),
            actual: format!("layout {layout:?} from the header's scenario"),
        }));
    }
    let style = Style {
        layout,
        capacity: scenario.servers.capacity,
    };
    let mut cursor = Cursor::new(reader);
    // A trace with no events at all ends at once.
    if let Some(Item::Footer(footer)) = cursor.peek()? {
        let footer = *footer;
        return finish(&mut sim, style, 0, 0, footer, scenario.duration.time());
    }
    let mut comparer = Comparer {
        cursor: &mut cursor,
        style,
        compared: 0,
        checkpoints: 0,
        footer: None,
        mismatch: None,
        error: None,
        progress,
    };
    let end = scenario.duration.time();
    sim.run(Limits::until(end.plus(1)), &mut comparer);
    if let Some(e) = comparer.error {
        return Err(e);
    }
    if let Some(m) = comparer.mismatch {
        return Ok(Outcome::Mismatch(m));
    }
    let (compared, checkpoints) = (comparer.compared, comparer.checkpoints);
    match comparer.footer {
        Some(footer) => finish(&mut sim, style, compared, checkpoints, footer, end),
        None => Ok(Outcome::Mismatch(Mismatch {
            index: compared,
            time: sim.now(),
            expected: "more events in the trace".into(),
            actual: "the simulation ended".into(),
        })),
    }
}

/// After the last recorded event: the final hash must match, and a complete trace must
/// also be the end of the simulation.
fn finish(
    sim: &mut swarmlb_engine::Simulation<World>,
    style: Style,
    compared: u64,
    checkpoints: u64,
    footer: Footer,
    end: SimTime,
) -> Result<Outcome, TraceError> {
    let hash = Observed::of_world(&sim.model).hash();
    if hash != footer.final_hash {
        return Ok(Outcome::Mismatch(Mismatch {
            index: compared,
            time: sim.now(),
            expected: format!("final state hash {:016x}", footer.final_hash),
            actual: format!("state hash {hash:016x}"),
        }));
    }
    // A complete trace must be the end of the simulation; an interrupted one must not be.
    let mut extra = None;
    sim.run(
        Limits {
            until: end.plus(1),
            events_max: sim.events_total() + 1,
        },
        &mut |key: &EventKey, r: &(Kind, u32), _: &World| {
            extra = Some(Event {
                time: key.time,
                source: key.source,
                target: key.target,
                kind: r.0,
                value: r.1,
            });
            ControlFlow::Continue(())
        },
    );
    match (footer.ending, extra) {
        (Ending::Complete, Some(live)) => {
            return Ok(Outcome::Mismatch(Mismatch {
                index: compared,
                time: live.time,
                expected: format!("the end of the trace after {compared} events"),
                actual: style.line(&live),
            }));
        }
        (Ending::Interrupted, None) => {
            return Ok(Outcome::Mismatch(Mismatch {
                index: compared,
                time: sim.now(),
                expected: "a run interrupted before its end, as the footer says".into(),
                actual: "the run ends here: it was complete".into(),
            }));
        }
        (Ending::Complete, None) | (Ending::Interrupted, Some(_)) => {}
    }
    Ok(Outcome::Identical {
        events: compared,
        checkpoints,
    })
}
