//! The tables of a trace, built in one streaming pass: `events`, `servers` (sampled),
//! `users` (state changes) and `agents`. Rows go out in batches of [`BATCH_ROWS`], so
//! memory holds one batch per table whatever the trace's length.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

use arrow_array::types::UInt8Type;
use arrow_array::{
    ArrayRef, DictionaryArray, RecordBatch, StringArray, UInt8Array, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_model::record::Category;
use swarmlb_model::{Agent, Event, Kind, Layout};
use swarmlb_trace::TraceReader;
use swarmlb_trace::fold::{Cursor, Item, State};
use swarmlb_trace::format::Ending;

use crate::{ExportError, Filter};

/// Rows per record batch (and per Parquet row group at most).
pub const BATCH_ROWS: usize = 1 << 16;

/// The tables written for a trace, in the order they are listed to users.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Table {
    /// One row per event.
    Events,
    /// One row per started server per sample time.
    Servers,
    /// One row per change of a user's state.
    Users,
    /// One row per agent id: its name and class.
    Agents,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 4] = [Table::Events, Table::Servers, Table::Users, Table::Agents];

    /// The table's name (its Parquet file is `NAME.parquet`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Events => "events",
            Table::Servers => "servers",
            Table::Users => "users",
            Table::Agents => "agents",
        }
    }

    /// The table's columns.
    pub fn schema(self) -> SchemaRef {
        let dict = || DataType::Dictionary(Box::new(DataType::UInt8), Box::new(DataType::Utf8));
        let fields = match self {
            Table::Events => vec![
                Field::new("index", DataType::UInt64, false),
                Field::new("time_us", DataType::UInt64, false),
                Field::new("kind", dict(), false),
                Field::new("category", dict(), false),
                Field::new("source", DataType::UInt32, false),
                Field::new("target", DataType::UInt32, false),
                Field::new("value", DataType::UInt32, false),
            ],
            Table::Servers => vec![
                Field::new("time_us", DataType::UInt64, false),
                Field::new("server", DataType::UInt32, false),
                Field::new("status", dict(), false),
                Field::new("load", DataType::UInt32, false),
                Field::new("capacity", DataType::UInt32, false),
            ],
            Table::Users => vec![
                Field::new("time_us", DataType::UInt64, false),
                Field::new("user", DataType::UInt32, false),
                Field::new("state", dict(), false),
                Field::new("server", DataType::UInt32, true),
                Field::new("kind", dict(), false),
            ],
            Table::Agents => vec![
                Field::new("id", DataType::UInt32, false),
                Field::new("name", DataType::Utf8, false),
                Field::new("class", dict(), false),
                Field::new("index", DataType::UInt32, true),
            ],
        };
        Arc::new(Schema::new(fields))
    }
}

/// Where batches go: Parquet files, memory, anything.
pub trait Sink {
    /// Take one batch of `table`.
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), ExportError>;
}

/// Tables in memory (for Python, tests and small traces).
#[derive(Default)]
pub struct Tables {
    /// Batches of `events`.
    pub events: Vec<RecordBatch>,
    /// Batches of `servers`.
    pub servers: Vec<RecordBatch>,
    /// Batches of `users`.
    pub users: Vec<RecordBatch>,
    /// Batches of `agents`.
    pub agents: Vec<RecordBatch>,
}

impl Tables {
    /// The batches of `table`.
    pub fn get(&self, table: Table) -> &[RecordBatch] {
        match table {
            Table::Events => &self.events,
            Table::Servers => &self.servers,
            Table::Users => &self.users,
            Table::Agents => &self.agents,
        }
    }

    /// Rows of `table`.
    pub fn rows(&self, table: Table) -> usize {
        self.get(table).iter().map(RecordBatch::num_rows).sum()
    }
}

impl Sink for Tables {
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), ExportError> {
        match table {
            Table::Events => self.events.push(batch),
            Table::Servers => self.servers.push(batch),
            Table::Users => self.users.push(batch),
            Table::Agents => self.agents.push(batch),
        }
        Ok(())
    }
}

/// The categories in code order (`Category as u8`).
const CATEGORIES: [Category; 5] = [
    Category::Comm,
    Category::Collab,
    Category::Transfer,
    Category::Nego,
    Category::Butterfly,
];

/// Server statuses in dictionary order.
const STATUSES: [&str; 6] = [
    "off",
    "alive",
    "handoff",
    "draining",
    "terminated",
    "crashed",
];

fn status_key(view: ServerView) -> u8 {
    match view {
        ServerView::Off => 0,
        ServerView::Alive => 1,
        ServerView::Handoff => 2,
        ServerView::Draining => 3,
        ServerView::Terminated => 4,
        ServerView::Crashed => 5,
    }
}

/// User states in dictionary order.
const STATES: [&str; 4] = ["dead", "connecting", "connected", "backoff"];

fn state_key(view: UserView) -> u8 {
    match view {
        UserView::Dead => 0,
        UserView::Connecting(_) => 1,
        UserView::Connected(_) => 2,
        UserView::Backoff => 3,
    }
}

/// Agent classes in dictionary order.
const CLASSES: [&str; 5] = [
    "environment",
    "coordinator",
    "perturbation",
    "server",
    "user",
];

/// Dictionary values shared by every batch (one allocation per export).
struct Dictionaries {
    kinds: ArrayRef,
    categories: ArrayRef,
    statuses: ArrayRef,
    states: ArrayRef,
    classes: ArrayRef,
}

impl Dictionaries {
    fn new() -> Dictionaries {
        let max_code = Kind::ALL.iter().map(|&k| k as usize).max().unwrap_or(0);
        let mut kinds = vec![""; max_code + 1];
        for &k in Kind::ALL {
            kinds[k as usize] = k.name();
        }
        for (i, c) in CATEGORIES.iter().enumerate() {
            assert_eq!(*c as usize, i, "CATEGORIES is in code order");
        }
        let strings = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
        Dictionaries {
            kinds: strings(&kinds),
            categories: strings(&CATEGORIES.map(Category::name)),
            statuses: strings(&STATUSES),
            states: strings(&STATES),
            classes: strings(&CLASSES),
        }
    }
}

fn dict(keys: Vec<u8>, values: &ArrayRef) -> ArrayRef {
    Arc::new(
        DictionaryArray::<UInt8Type>::try_new(UInt8Array::from(keys), values.clone())
            .expect("keys index their dictionary"),
    )
}

fn batch(table: Table, columns: Vec<ArrayRef>) -> Result<RecordBatch, ExportError> {
    RecordBatch::try_new(table.schema(), columns).map_err(|source| ExportError::Arrow {
        table: table.name(),
        source,
    })
}

/// Column buffers of the events table.
#[derive(Default)]
struct EventRows {
    index: Vec<u64>,
    time_us: Vec<u64>,
    kind: Vec<u8>,
    category: Vec<u8>,
    source: Vec<u32>,
    target: Vec<u32>,
    value: Vec<u32>,
}

impl EventRows {
    fn push(&mut self, index: u64, e: &Event) {
        self.index.push(index);
        self.time_us.push(e.time.as_micros());
        self.kind.push(e.kind as u8);
        self.category.push(e.kind.category() as u8);
        self.source.push(e.source.0);
        self.target.push(e.target.0);
        self.value.push(e.value);
    }

    fn take(&mut self, d: &Dictionaries) -> Result<RecordBatch, ExportError> {
        let rows = std::mem::take(self);
        batch(
            Table::Events,
            vec![
                Arc::new(UInt64Array::from(rows.index)),
                Arc::new(UInt64Array::from(rows.time_us)),
                dict(rows.kind, &d.kinds),
                dict(rows.category, &d.categories),
                Arc::new(UInt32Array::from(rows.source)),
                Arc::new(UInt32Array::from(rows.target)),
                Arc::new(UInt32Array::from(rows.value)),
            ],
        )
    }
}

/// Column buffers of the servers table.
#[derive(Default)]
struct ServerRows {
    time_us: Vec<u64>,
    server: Vec<u32>,
    status: Vec<u8>,
    load: Vec<u32>,
    capacity: Vec<u32>,
}

impl ServerRows {
    fn take(&mut self, d: &Dictionaries) -> Result<RecordBatch, ExportError> {
        let rows = std::mem::take(self);
        batch(
            Table::Servers,
            vec![
                Arc::new(UInt64Array::from(rows.time_us)),
                Arc::new(UInt32Array::from(rows.server)),
                dict(rows.status, &d.statuses),
                Arc::new(UInt32Array::from(rows.load)),
                Arc::new(UInt32Array::from(rows.capacity)),
            ],
        )
    }
}

/// Column buffers of the users table.
#[derive(Default)]
struct UserRows {
    time_us: Vec<u64>,
    user: Vec<u32>,
    state: Vec<u8>,
    server: Vec<Option<u32>>,
    kind: Vec<u8>,
}

impl UserRows {
    fn take(&mut self, d: &Dictionaries) -> Result<RecordBatch, ExportError> {
        let rows = std::mem::take(self);
        batch(
            Table::Users,
            vec![
                Arc::new(UInt64Array::from(rows.time_us)),
                Arc::new(UInt32Array::from(rows.user)),
                dict(rows.state, &d.states),
                Arc::new(UInt32Array::from(rows.server)),
                dict(rows.kind, &d.kinds),
            ],
        )
    }
}

/// The agents table of `layout`: every id, its name (`S4`), class and index.
pub fn agents_batch(layout: Layout) -> Result<RecordBatch, ExportError> {
    let d = Dictionaries::new();
    let n = layout.n_agents();
    let (mut id, mut name, mut class, mut index) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for i in 0..n as u32 {
        let agent = layout.agent(AgentId(i));
        let (c, idx) = match agent {
            Agent::Env => (0, None),
            Agent::Coordinator => (1, None),
            Agent::Perturber => (2, None),
            Agent::Server(s) => (3, Some(s)),
            Agent::User(u) => (4, Some(u)),
        };
        id.push(i);
        name.push(agent.to_string());
        class.push(c);
        index.push(idx);
    }
    batch(
        Table::Agents,
        vec![
            Arc::new(UInt32Array::from(id)),
            Arc::new(StringArray::from(name)),
            dict(class, &d.classes),
            Arc::new(UInt32Array::from(index)),
        ],
    )
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events read from the trace.
    pub events_read: u64,
    /// Rows of `events` written.
    pub events: u64,
    /// Rows of `servers` written.
    pub servers: u64,
    /// Rows of `users` written.
    pub users: u64,
}

/// Stream every table of `reader`'s trace, cut by `filter`, into `sink`.
///
/// Samples are taken like the run's own: at 0, every `sample_interval`, and at the end,
/// each after every event at or before its time. A trace without a complete footer gets
/// samples only up to its last event. A damaged trace stops the export with the reader's
/// error, after the batches before the damage.
pub fn export_tables<R: Read>(
    reader: TraceReader<R>,
    filter: &Filter,
    sink: &mut impl Sink,
) -> Result<Counts, ExportError> {
    let d = Dictionaries::new();
    let layout = reader.layout();
    let scenario = reader.scenario()?;
    let capacity = scenario.servers.capacity;
    let interval = scenario.sample_interval.us().max(1);
    let end = scenario.duration.time();
    sink.batch(Table::Agents, agents_batch(layout)?)?;

    let mut cursor = Cursor::new(reader);
    let mut state = State::new(layout);
    let mut counts = Counts::default();
    let (mut events, mut servers, mut users) = (
        EventRows::default(),
        ServerRows::default(),
        UserRows::default(),
    );
    let mut next_sample = Some(SimTime::ZERO);
    // The servers ever started, in index order: a sample visits them, not every server
    // the header allows, so a header of 100k servers over a year with a handful of events
    // costs a handful of rows per sample, not 100k checks (issue 23).
    let mut started: BTreeSet<u32> = BTreeSet::new();
    // Samples due before `time`: every event at or before each was folded.
    let sample_until = |time: Option<SimTime>,
                        state: &State,
                        started: &BTreeSet<u32>,
                        next_sample: &mut Option<SimTime>,
                        servers: &mut ServerRows,
                        sink: &mut dyn FnMut(RecordBatch) -> Result<(), ExportError>|
     -> Result<u64, ExportError> {
        let mut rows = 0;
        while let Some(t) = *next_sample {
            if time.is_some_and(|time| time <= t) {
                break;
            }
            if filter.keeps_time(t) {
                for &idx in started {
                    let (view, load) = state.observed.servers[idx as usize];
                    if view == ServerView::Off || !filter.keeps_agent(layout.server(idx)) {
                        continue;
                    }
                    servers.time_us.push(t.as_micros());
                    servers.server.push(idx);
                    servers.status.push(status_key(view));
                    servers.load.push(load);
                    servers.capacity.push(capacity);
                    rows += 1;
                    if servers.time_us.len() == BATCH_ROWS {
                        sink(servers.take(&d)?)?;
                    }
                }
            }
            *next_sample = if t >= end {
                None
            } else {
                Some(t.plus(interval).min(end))
            };
        }
        Ok(rows)
    };
    let mut ending = None;
    loop {
        // Most events come from the block in memory: take them without the item path.
        let item = match cursor.next_buffered_event() {
            Some(e) => Some(Item::Event(e)),
            None => cursor.next_item()?,
        };
        let e = match item {
            Some(Item::Event(e)) => e,
            Some(Item::Checkpoint { .. }) => continue,
            Some(Item::Footer(footer)) => {
                ending = Some(footer.ending);
                break;
            }
            None => break,
        };
        if next_sample.is_some_and(|t| e.time > t) {
            counts.servers += sample_until(
                Some(e.time),
                &state,
                &started,
                &mut next_sample,
                &mut servers,
                &mut |b| sink.batch(Table::Servers, b),
            )?;
        }
        let before = match layout.agent(e.target) {
            Agent::User(slot) => state.observed.users.get(slot as usize).copied(),
            _ => None,
        };
        state.apply(&e);
        if let Agent::Server(idx) = layout.agent(e.target)
            && state.observed.servers[idx as usize].0 != ServerView::Off
        {
            started.insert(idx);
        }
        if filter.keeps(&e) {
            events.push(counts.events_read, &e);
            counts.events += 1;
            if events.time_us.len() == BATCH_ROWS {
                sink.batch(Table::Events, events.take(&d)?)?;
            }
        }
        if let (Some(before), Agent::User(slot)) = (before, layout.agent(e.target)) {
            let after = state.observed.users[slot as usize];
            let keep = filter.keeps_time(e.time)
                && filter.kinds.contains(e.kind)
                && filter.keeps_agent(e.target);
            if after != before && keep {
                users.time_us.push(e.time.as_micros());
                users.user.push(slot);
                users.state.push(state_key(after));
                users.server.push(match after {
                    UserView::Connecting(a) | UserView::Connected(a) => layout.server_idx(a),
                    UserView::Dead | UserView::Backoff => None,
                });
                users.kind.push(e.kind as u8);
                counts.users += 1;
                if users.time_us.len() == BATCH_ROWS {
                    sink.batch(Table::Users, users.take(&d)?)?;
                }
            }
        }
        counts.events_read += 1;
    }
    // A complete run was sampled up to its end; anything else only up to what it holds.
    let last = (ending == Some(Ending::Complete)).then_some(SimTime::MAX);
    let last = last.or(Some(state.time.plus(1)));
    counts.servers += sample_until(
        last,
        &state,
        &started,
        &mut next_sample,
        &mut servers,
        &mut |b| sink.batch(Table::Servers, b),
    )?;
    if !events.time_us.is_empty() {
        sink.batch(Table::Events, events.take(&d)?)?;
    }
    if !servers.time_us.is_empty() {
        sink.batch(Table::Servers, servers.take(&d)?)?;
    }
    if !users.time_us.is_empty() {
        sink.batch(Table::Users, users.take(&d)?)?;
    }
    Ok(counts)
}
