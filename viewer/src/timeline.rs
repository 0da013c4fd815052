//! A trace loaded for viewing: its events in memory, keyframes of folded state so that any
//! time can be shown quickly, and a sampled history (servers alive, users connected, CoV).

use std::io::Read;
use std::path::Path;

use swarmlb_engine::SimTime;
use swarmlb_model::metrics::load_stats;
use swarmlb_model::observe::UserView;
use swarmlb_model::{Event, Layout, Scenario};
use swarmlb_trace::fold::{Cursor, Item};
use swarmlb_trace::{Header, State, TraceError, TraceReader};

/// One point of the history plot.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    /// Sample time.
    pub time: SimTime,
    /// Servers running.
    pub servers_alive: u32,
    /// Users connected.
    pub users_connected: u32,
    /// Coefficient of variation of the loads.
    pub load_cov: f64,
}

/// A trace ready to be shown at any time.
pub struct Timeline {
    /// Where it came from (file name, or "butterfly at T").
    pub name: String,
    /// The trace header.
    pub header: Header,
    /// The scenario in the header.
    pub scenario: Scenario,
    /// Id layout.
    pub layout: Layout,
    /// Every intact event.
    pub events: Vec<Event>,
    keyframes: Vec<(usize, State)>,
    /// Sampled history.
    pub history: Vec<HistoryPoint>,
    /// A problem found while reading (a truncated or damaged tail); the intact prefix is
    /// what is shown.
    pub problem: Option<String>,
    /// Highest server index ever started, plus one.
    pub servers_used: u32,
}

impl Timeline {
    /// Load a trace file. A file that is not a readable trace at all is an error; a
    /// damaged tail keeps the intact prefix and sets `problem`.
    pub fn load(path: &Path) -> Result<Timeline, String> {
        let reader = TraceReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Timeline::from_reader(reader, &path.display().to_string())
    }

    /// Load a trace held in memory.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Timeline, String> {
        let reader = TraceReader::new(bytes, name).map_err(|e| format!("{name}: {e}"))?;
        Timeline::from_reader(reader, name)
    }

    fn from_reader<R: Read>(reader: TraceReader<R>, name: &str) -> Result<Timeline, String> {
        let header = reader.header().clone();
        let scenario = reader.scenario().map_err(|e| e.to_string())?;
        let layout = reader.layout();
        let keyframe_every = (layout.n_agents() * 4).max(2048);
        let interval = scenario.sample_interval.us().max(1);
        let mut cursor = Cursor::new(reader);
        let mut state = State::new(layout);
        let mut events = Vec::new();
        let mut keyframes = vec![(0, state.clone())];
        let mut history = Vec::new();
        let mut next_sample = SimTime::ZERO;
        let mut servers_used = 0;
        let problem = loop {
            match cursor.next_item() {
                Ok(Some(Item::Event(e))) => {
                    while e.time > next_sample {
                        history.push(history_point(&state, next_sample));
                        next_sample = next_sample.plus(interval);
                    }
                    if e.kind == swarmlb_model::Kind::ServerStart
                        && let Some(i) = layout.server_idx(e.target)
                    {
                        servers_used = servers_used.max(i + 1);
                    }
                    state.apply(&e);
                    events.push(e);
                    if events.len() % keyframe_every == 0 {
                        keyframes.push((events.len(), state.clone()));
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break None,
                Err(e @ TraceError::Truncated { .. }) => {
                    break Some(format!("{name}: {e}; showing the intact prefix"));
                }
                Err(e) => break Some(format!("{name}: {e}; showing the events before it")),
            }
        };
        history.push(history_point(&state, next_sample.max(state.time)));
        Ok(Timeline {
            name: name.to_string(),
            header,
            scenario,
            layout,
            events,
            keyframes,
            history,
            problem,
            servers_used,
        })
    }

    /// Time of the last event.
    pub fn end(&self) -> SimTime {
        self.events.last().map_or(SimTime::ZERO, |e| e.time)
    }

    /// Server capacity.
    pub fn capacity(&self) -> u32 {
        self.scenario.servers.capacity
    }

    /// How many events happen at or before `t`.
    pub fn events_until(&self, t: SimTime) -> usize {
        self.events.partition_point(|e| e.time <= t)
    }

    /// The state after every event at or before `t`.
    pub fn state_at(&self, t: SimTime) -> State {
        self.state_after(self.events_until(t))
    }

    /// The state after the first `n` events.
    pub fn state_after(&self, n: usize) -> State {
        let k = self.keyframes.partition_point(|(i, _)| *i <= n) - 1;
        let (start, keyframe) = &self.keyframes[k];
        let mut state = keyframe.clone();
        for e in &self.events[*start..n] {
            state.apply(e);
        }
        state
    }

    /// The time of the first event after `t`, if any.
    pub fn next_event_after(&self, t: SimTime) -> Option<SimTime> {
        self.events.get(self.events_until(t)).map(|e| e.time)
    }
}

fn history_point(state: &State, time: SimTime) -> HistoryPoint {
    let o = &state.observed;
    let loads: Vec<u32> = o
        .servers
        .iter()
        .filter(|(v, _)| v.is_running())
        .map(|(_, l)| *l)
        .collect();
    let (_, _, cov, _) = load_stats(&loads);
    let connected = o
        .users
        .iter()
        .filter(|u| matches!(u, UserView::Connected(_)))
        .count() as u32;
    HistoryPoint {
        time,
        servers_alive: loads.len() as u32,
        users_connected: connected,
        load_cov: cov,
    }
}
