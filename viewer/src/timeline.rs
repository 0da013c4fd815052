//! A trace loaded for viewing: its events in memory, keyframes of folded state so that any
//! time can be shown quickly, and a sampled history (servers alive, users connected, CoV).

use std::io::Read;
use std::path::Path;
use swarmlb_trace::format::CHECKPOINT_EVERY_MAX;

use swarmlb_engine::SimTime;
use swarmlb_model::metrics::load_stats;
use swarmlb_model::{Event, Fold, Layout, Scenario};
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
    /// When each server index started (for fading in).
    pub started_at: Vec<Option<SimTime>>,
    /// When each server index stopped (terminated or crashed; for fading out).
    pub stopped_at: Vec<Option<SimTime>>,
    /// Loads sampled for the fleet heat map, see [`Heat`].
    pub heat: Heat,
}

/// Server loads sampled at a fixed number of columns over the scenario's duration, for the
/// fleet view's heat map (servers × time).
#[derive(Clone, Debug, PartialEq)]
pub struct Heat {
    /// Time between columns.
    pub interval: SimTime,
    /// Server rows per column (the layout's `max_servers`).
    pub rows: u32,
    /// Column-major cells: 0 for a server not running, else its load plus one (saturating).
    pub cells: Vec<u16>,
}

/// The fewest bytes an event takes in a trace: one byte each for its time step, kind,
/// source, target and value (see traces/FORMAT.md, "Events").
pub const PACKED_EVENT_MIN: u64 = 5;
/// The most bytes an event held by a timeline takes: the event (24 bytes) in a vector that
/// may have doubled, and its share of the keyframes (a state every four events per agent).
pub const EVENT_BYTES_HELD: u64 = 2 * 24 + 8;

/// Memory the system has available (Linux `MemAvailable`), or `None` where unknown.
pub fn memory_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Columns of the heat map over a run's full duration.
pub const HEAT_COLUMNS: u64 = 256;

impl Heat {
    /// Columns sampled so far.
    pub fn columns(&self) -> usize {
        self.cells.len() / self.rows.max(1) as usize
    }

    /// Server `idx`'s cell in `column`: `None` when not running, else its load.
    pub fn load(&self, column: usize, idx: u32) -> Option<u32> {
        let cell = *self.cells.get(column * self.rows as usize + idx as usize)?;
        cell.checked_sub(1).map(u32::from)
    }

    /// The highest load among the servers in `idx` running in `column`, or `None` when
    /// none of them runs: one heat map row for a group of servers when there are more
    /// servers than rows.
    pub fn max_load(&self, column: usize, idx: std::ops::Range<u32>) -> Option<u32> {
        idx.filter_map(|i| self.load(column, i)).max()
    }

    /// The column showing time `t` (the last sample at or before it).
    pub fn column_at(&self, t: SimTime) -> usize {
        (t.0 / self.interval.0.max(1)) as usize
    }

    fn push(&mut self, state: &State) {
        self.cells
            .extend(state.observed.servers.iter().map(|(view, load)| {
                if view.is_running() {
                    u16::try_from(*load).unwrap_or(u16::MAX - 1) + 1
                } else {
                    0
                }
            }));
    }
}

impl Timeline {
    /// Load a trace file. A file that is not a readable trace at all is an error; a
    /// damaged tail keeps the intact prefix and sets `problem`.
    pub fn load(path: &Path) -> Result<Timeline, String> {
        Timeline::load_within(path, memory_available())
    }

    /// Load a trace file if what it could need in memory ([`Timeline::memory_needed`])
    /// fits in `budget` bytes (`None`: unknown, no check); otherwise refuse it in one line
    /// before reading any event, rather than grow until the allocator aborts.
    pub fn load_within(path: &Path, budget: Option<u64>) -> Result<Timeline, String> {
        let reader = TraceReader::open(path).map_err(|e| e.to_string())?;
        let file_len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
        let needed = Timeline::memory_needed(file_len, reader.layout());
        if let Some(budget) = budget
            && needed > budget
        {
            return Err(format!(
                "{}: showing this trace could take up to {} MB of memory ({} bytes of trace \
                 and {} agents); {} MB are available",
                path.display(),
                needed >> 20,
                file_len,
                reader.layout().n_agents(),
                budget >> 20
            ));
        }
        Timeline::from_reader(reader, &path.display().to_string())
    }

    /// An upper bound on the memory a timeline of a trace file of `file_len` bytes and
    /// `layout` takes: every event held (at least [`PACKED_EVENT_MIN`] bytes each on disk,
    /// [`EVENT_BYTES_HELD`] in memory with the vector's growth and the keyframes), the
    /// heat map's columns and a few states.
    pub fn memory_needed(file_len: u64, layout: Layout) -> u64 {
        let events = file_len / PACKED_EVENT_MIN;
        let n_agents = layout.n_agents() as u64;
        events
            .saturating_mul(EVENT_BYTES_HELD)
            .saturating_add((HEAT_COLUMNS + 1) * 2 * u64::from(layout.max_servers))
            .saturating_add(64 * n_agents)
    }

    /// Load a trace held in memory.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Timeline, String> {
        let reader = TraceReader::new(bytes, name).map_err(|e| e.to_string())?;
        Timeline::from_reader(reader, name)
    }

    fn from_reader<R: Read>(reader: TraceReader<R>, name: &str) -> Result<Timeline, String> {
        let header = reader.header().clone();
        let scenario = reader.scenario().map_err(|e| e.to_string())?;
        let layout = reader.layout();
        let keyframe_every = (layout.n_agents() * 4).max(2048);
        // History at the scenario's sample interval, or finer for runs with few samples,
        // so that the plots show more than a handful of points.
        let interval = scenario
            .sample_interval
            .us()
            .min(scenario.duration.us() / HEAT_COLUMNS)
            .max(1_000);
        let mut cursor = Cursor::new(reader);
        let mut state = State::new(layout);
        let mut events = Vec::new();
        let mut keyframes = vec![(0, state.clone())];
        let mut history = Vec::new();
        let mut next_sample = SimTime::ZERO;
        let mut last_point_events = 0;
        let mut servers_used = 0;
        let mut started_at = vec![None; layout.max_servers as usize];
        let mut stopped_at = vec![None; layout.max_servers as usize];
        let mut heat = Heat {
            interval: SimTime((scenario.duration.us() / HEAT_COLUMNS).max(1_000)),
            rows: layout.max_servers,
            cells: Vec::new(),
        };
        let mut next_column = SimTime::ZERO;
        let problem = loop {
            match cursor.next_item() {
                Ok(Some(Item::Event(e))) => {
                    // A quiet span repeats the last point: a copy per sample, not a pass
                    // over every server (100k servers over a year took hours before).
                    while e.time > next_sample {
                        let point = match history.last() {
                            Some(&last) if state.events == last_point_events => HistoryPoint {
                                time: next_sample,
                                ..last
                            },
                            _ => history_point(&state, next_sample),
                        };
                        last_point_events = state.events;
                        history.push(point);
                        next_sample = next_sample.plus(interval);
                    }
                    while e.time > next_column {
                        heat.push(&state);
                        next_column = next_column.plus(heat.interval.0);
                    }
                    if let Some(i) = layout.server_idx(e.target) {
                        // When a server starts and stops, as the fold sees it.
                        match e.kind.fold() {
                            Fold::Start => {
                                servers_used = servers_used.max(i + 1);
                                started_at[i as usize] = Some(e.time);
                            }
                            Fold::Terminate | Fold::Crash => stopped_at[i as usize] = Some(e.time),
                            Fold::Nothing
                            | Fold::Search
                            | Fold::Connect
                            | Fold::Backoff
                            | Fold::Die
                            | Fold::Load
                            | Fold::Offer
                            | Fold::Refused
                            | Fold::Drain => {}
                        }
                    }
                    state.apply(&e);
                    events.push(e);
                    if events.len() % keyframe_every == 0 {
                        keyframes.push((events.len(), state.clone()));
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break None,
                // A run that crashed or was killed is worth watching up to where it
                // stopped; a damaged file is not trusted at all.
                Err(e @ TraceError::Truncated { .. }) => {
                    break Some(format!("{e}; showing the intact prefix"));
                }
                Err(e) => return Err(e.to_string()),
            }
        };
        history.push(history_point(&state, next_sample.max(state.time)));
        heat.push(&state);
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
            started_at,
            stopped_at,
            heat,
        })
    }

    /// Time of the last event.
    pub fn end(&self) -> SimTime {
        self.events.last().map_or(SimTime::ZERO, |e| e.time)
    }

    /// True if server `idx` was ever started in this run.
    pub fn ever_started(&self, idx: u32) -> bool {
        self.started_at
            .get(idx as usize)
            .is_some_and(Option::is_some)
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
    let loads = o.running_loads();
    let (_, _, cov, _) = load_stats(&loads);
    HistoryPoint {
        time,
        servers_alive: loads.len() as u32,
        users_connected: o.users_connected(),
        load_cov: cov,
    }
}

/// Fork a butterfly branch of `base` at `at`: re-simulate from its header (scenario and
/// seed) with one connected user, drawn by the perturbation's own stream, disconnected at
/// `at`. Returns the branch's trace bytes (to save) and the branch.
pub fn fork(base: &Timeline, at: SimTime) -> Result<(Vec<u8>, Timeline), String> {
    let scenario = base
        .scenario
        .perturbed_at(swarmlb_model::scenario::Dur::from(at), None);
    let bytes = swarmlb_trace::write::record_to_vec(&scenario, CHECKPOINT_EVERY_MAX)
        .map_err(|e| e.to_string())?;
    let timeline = Timeline::from_bytes(&bytes, &format!("butterfly at {at}"))?;
    Ok((bytes, timeline))
}

/// How visible server `idx` is at `t`: fading in over `fade` after its start and out over
/// `fade` after it stopped (0.25 at least, so a gone server stays faintly in its place).
pub fn server_alpha(tl: &Timeline, idx: u32, t: SimTime, fade: SimTime) -> f32 {
    let fade = fade.0.max(1) as f32;
    let i = idx as usize;
    let since = |at: Option<SimTime>| at.filter(|&a| a <= t).map(|a| t.since(a) as f32 / fade);
    match (
        since(tl.started_at.get(i).copied().flatten()),
        since(tl.stopped_at.get(i).copied().flatten()),
    ) {
        (_, Some(gone)) => (1.0 - gone).max(0.25),
        (Some(up), None) => up.clamp(0.25, 1.0),
        (None, None) => 0.25,
    }
}
