//! Named purposes of random draws. Every keyed draw and keyed stream of an agent starts its
//! key with one of these, so two different decisions never draw the same numbers (design
//! rule 3), and adding a decision never shifts another's.

/// What a random draw decides. The numbers are part of what a seed means: a trace recorded
/// with one numbering does not replay under another, so never renumber, only append.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u64)]
pub enum Purpose {
    /// A message's latency and loss (with sender, target, kind, time and rank).
    Message = 1,
    /// When a user slot's first life starts.
    FirstSpawn = 2,
    /// Which server from the directory a user asks.
    PickServer = 3,
    /// The jitter of a user's back-off.
    Backoff = 4,
    /// How long a user lives.
    Lifespan = 5,
    /// When a connected user first pings.
    FirstPing = 6,
    /// When a dead slot's next life starts.
    Respawn = 7,
    /// The peers an initial server starts with.
    InitialView = 8,
    /// The phases of a server's gossip and periodic timers.
    TimerPhase = 9,
    /// The phase of a server's load reports (centralized policies).
    ReportPhase = 10,
    /// Which peer a full server delegates a request to.
    Delegate = 11,
    /// Which peer a server gossips with in one round.
    GossipPeer = 12,
    /// The coordinator's random and power-of-two choices.
    CoordinatorPick = 13,
    /// The butterfly's victim.
    ButterflyVictim = 14,
    /// Which users a server gives away to a pull.
    PullUsers = 15,
    /// How many users a server gives away to a pull (`servers.pull = "classic"`).
    PullAmount = 16,
    /// Which peer an idle server pulls from (`servers.pull = "classic"`).
    PullPeer = 17,
    /// Which free slots the population step fills, and whether it adds one.
    PopulationSpawn = 18,
    /// Which user the population step removes above its cap.
    PopulationCull = 19,
}

// Codes are dense from 1, so the last one counts them: a purpose missing from `ALL` (or
// numbered out of turn) does not compile.
const _: () = assert!(Purpose::ALL.len() as u64 == Purpose::PopulationCull as u64);

impl Purpose {
    /// Every purpose, in number order.
    pub const ALL: &'static [Purpose] = &[
        Purpose::Message,
        Purpose::FirstSpawn,
        Purpose::PickServer,
        Purpose::Backoff,
        Purpose::Lifespan,
        Purpose::FirstPing,
        Purpose::Respawn,
        Purpose::InitialView,
        Purpose::TimerPhase,
        Purpose::ReportPhase,
        Purpose::Delegate,
        Purpose::GossipPeer,
        Purpose::CoordinatorPick,
        Purpose::ButterflyVictim,
        Purpose::PullUsers,
        Purpose::PullAmount,
        Purpose::PullPeer,
        Purpose::PopulationSpawn,
        Purpose::PopulationCull,
    ];

    /// The number that starts a draw's key.
    pub fn code(self) -> u64 {
        self as u64
    }
}

/// Longest key, purpose included, that [`key`] builds.
pub const KEY_MAX: usize = 8;

/// `purpose` followed by `parts`, as a key for a keyed draw or stream.
pub fn key(purpose: Purpose, parts: &[u64]) -> ([u64; KEY_MAX], usize) {
    debug_assert!(parts.len() < KEY_MAX, "a key of {} parts", parts.len());
    let mut key = [0; KEY_MAX];
    key[0] = purpose.code();
    key[1..=parts.len()].copy_from_slice(parts);
    (key, parts.len() + 1)
}
