//! The fleet view's numbers for runs too large for one box per server: the load histogram,
//! server groups, and message flows aggregated between groups.

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::observe::ServerView;
use swarmlb_model::{Event, Kind, Layout, Value};

/// Above this many server slots the viewer starts in the fleet view: at 1280×720 a panel
/// of 100 boxes leaves each about 60 pixels, the least that shows a label and a bar.
pub const FLEET_SERVERS_MIN: u32 = 100;

/// True if a run with `n` server slots opens in the fleet view.
pub fn starts_in_fleet(n: u32) -> bool {
    n > FLEET_SERVERS_MIN
}

/// Most rows of the heat map texture: more servers than this share rows (showing their
/// highest load), which keeps the texture within what any OpenGL accepts.
pub const HEAT_ROWS_MAX: u32 = 4096;

/// The servers drawn in heat map texture row `row` of `rows`, for `n` servers.
pub fn heat_row_servers(row: u32, rows: u32, n: u32) -> std::ops::Range<u32> {
    let rows = u64::from(rows.max(1));
    let n64 = u64::from(n);
    let first = (u64::from(row) * n64 / rows) as u32;
    let last = ((u64::from(row) + 1) * n64 / rows) as u32;
    first..last.max(first + 1).min(n.max(first + 1))
}

/// Bins of the load histogram (tenths of capacity; the last also holds full servers).
pub const HISTOGRAM_BINS: usize = 10;

/// Server groups between which flows are aggregated.
pub const GROUPS_MAX: u32 = 10;

/// Most recent events examined for flows per frame, so a frame's cost is bounded however
/// fast playback runs.
pub const FLOW_EVENTS_MAX: usize = 50_000;

/// The message classes drawn as lines and flows, in legend order.
pub const FLOW_KINDS: usize = 4;

/// Servers running per tenth of capacity: bin `k` holds loads in
/// `[k/10, (k+1)/10)` of capacity, the last bin also full (and over-full) servers.
pub fn histogram(servers: &[(ServerView, u32)], capacity: u32) -> [u32; HISTOGRAM_BINS] {
    let mut bins = [0; HISTOGRAM_BINS];
    for &(view, load) in servers {
        if !view.is_running() {
            continue;
        }
        let bin = if capacity == 0 {
            HISTOGRAM_BINS - 1
        } else {
            (load as usize * HISTOGRAM_BINS / capacity as usize).min(HISTOGRAM_BINS - 1)
        };
        bins[bin] += 1;
    }
    bins
}

/// How many groups `n` server slots form, and the group of slot `idx`: contiguous ranges
/// of ids of near-equal size.
pub fn groups(n: u32) -> u32 {
    n.clamp(1, GROUPS_MAX)
}

/// The group of server slot `idx` among `n`.
pub fn group_of(idx: u32, n: u32) -> u32 {
    let g = groups(n);
    ((u64::from(idx.min(n.max(1) - 1)) * u64::from(g)) / u64::from(n.max(1))) as u32
}

/// The first slot of group `group` among `n` slots (the last group ends at `n`).
pub fn group_start(group: u32, n: u32) -> u32 {
    let g = u64::from(groups(n));
    (u64::from(group) * u64::from(n)).div_ceil(g) as u32
}

/// The legend class of a message kind drawn as a line: delegate, pull, hand-off, migrate
/// (the colours are [`crate::style::FLOWS`], in this order). Every kind is listed, so a new
/// kind does not compile until it is placed here.
pub fn flow_kind(kind: Kind) -> Option<usize> {
    match kind {
        Kind::ConnectDelegate => Some(0),
        Kind::PullAsk | Kind::PullGrant => Some(1),
        Kind::HandoffOffer | Kind::HandoffDone => Some(2),
        Kind::Migrated => Some(3),
        Kind::UserSpawn
        | Kind::SlotIdle
        | Kind::Retry
        | Kind::ConnectAccept
        | Kind::ConnectReject
        | Kind::Connected
        | Kind::StaleAccept
        | Kind::Rejected
        | Kind::StaleReject
        | Kind::AttemptTimeout
        | Kind::GaveUp
        | Kind::Death
        | Kind::Leave
        | Kind::StaleLeave
        | Kind::HeartbeatSent
        | Kind::PingReply
        | Kind::Pong
        | Kind::ServerLost
        | Kind::Disowned
        | Kind::Dropped
        | Kind::CoordRoute
        | Kind::LoadReport
        | Kind::GossipTick
        | Kind::GossipPush
        | Kind::GossipReply
        | Kind::PeerGone
        | Kind::StaleMigrate
        | Kind::PullRefuse
        | Kind::PullReply
        | Kind::Tick
        | Kind::HandoffAccept
        | Kind::HandoffRefuse
        | Kind::HandoffRefused
        | Kind::HandoffTimeout
        | Kind::ProvisionGrant
        | Kind::ProvisionRefuse
        | Kind::ServerStart
        | Kind::Terminated
        | Kind::ScaleOutReady
        | Kind::DirectoryRefresh
        | Kind::CrashFire
        | Kind::Crash
        | Kind::PartitionStart
        | Kind::PartitionEnd
        | Kind::LoadReportSent
        | Kind::Butterfly
        | Kind::Perturbed
        | Kind::PerturbNoop
        | Kind::StaleHandoffReply
        | Kind::PopulationStep
        | Kind::PopulationCull
        | Kind::ConnectOverflow
        | Kind::OverflowRoute
        | Kind::PopulationStart => None,
    }
}

/// The two server slots a line-drawn message connects, if both are servers: a kind whose
/// value names a peer (a server index, or the agent a user moves to: [`Kind::value`]) goes
/// from the acting server to that peer; the others go from source to target.
pub fn message_servers(layout: Layout, e: &Event) -> Option<(u32, u32)> {
    flow_kind(e.kind)?;
    let acting = || {
        layout
            .server_idx(e.source)
            .or_else(|| layout.server_idx(e.target))
    };
    let (from, to) = match e.kind.value() {
        Value::Server(_) => (
            acting()?,
            layout.server_idx(layout.server(e.value.min(layout.max_servers.saturating_sub(1))))?,
        ),
        Value::Agent(_) => (acting()?, layout.server_idx(AgentId(e.value))?),
        Value::None
        | Value::Load
        | Value::ReportedLoad
        | Value::Slot
        | Value::Count(_)
        | Value::Flag(_)
        | Value::Body => (layout.server_idx(e.source)?, layout.server_idx(e.target)?),
    };
    Some((from, to))
}

/// Messages between groups in `events` (the recent window), per (from group, to group,
/// class), flattened as `(from * groups + to) * FLOW_KINDS + class`; only slots below `n`
/// count. At most [`FLOW_EVENTS_MAX`] events from the end are examined.
pub fn flows(layout: Layout, events: &[Event], n: u32) -> Vec<u32> {
    let g = groups(n) as usize;
    let mut counts = vec![0; g * g * FLOW_KINDS];
    let start = events.len().saturating_sub(FLOW_EVENTS_MAX);
    for e in &events[start..] {
        let Some(class) = flow_kind(e.kind) else {
            continue;
        };
        let Some((from, to)) = message_servers(layout, e) else {
            continue;
        };
        if from >= n || to >= n {
            continue;
        }
        let (a, b) = (group_of(from, n) as usize, group_of(to, n) as usize);
        counts[(a * g + b) * FLOW_KINDS + class] += 1;
    }
    counts
}

/// The window of recent messages shown at playback `speed`: half a wall second of
/// simulated time, between 50 ms and 60 s.
pub fn message_window(speed: f64) -> SimTime {
    SimTime(((speed * 0.5 * 1e6) as u64).clamp(50_000, 60_000_000))
}
