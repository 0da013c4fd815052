//! The trace record of one event: what kind of thing happened at the target, and one
//! number (a load, a server, a count). Together with the event's time, source and target
//! it is enough to rebuild every agent's observable state (see [`crate::observe`]).

use std::fmt;

use swarmlb_engine::{AgentId, SimTime};

/// The log category of a kind, as in the original model's event log.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// Users and servers talking: connects, accepts, heartbeats.
    Comm,
    /// Servers cooperating: delegation, gossip.
    Collab,
    /// Users moving between servers: migrations, pulls, hand-offs.
    Transfer,
    /// Negotiation and lifecycle: hand-off offers, provisioning, termination, faults.
    Nego,
    /// The butterfly perturbation.
    Butterfly,
}

impl Category {
    /// Upper-case name (`COMM`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Comm => "COMM",
            Category::Collab => "COLLAB",
            Category::Transfer => "TRANSFER",
            Category::Nego => "NEGO",
            Category::Butterfly => "BUTTERFLY",
        }
    }
}

macro_rules! kinds {
    ($($name:ident = $code:literal, $cat:ident, $doc:literal;)*) => {
        /// What happened at the target of an event. The numeric codes are part of the
        /// trace format (traces/FORMAT.md): never renumber, only append.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Kind {
            $(#[doc = $doc] $name = $code,)*
        }

        impl Kind {
            /// Every kind, in code order (codes are dense from 0, so a code indexes it).
            pub const ALL: &'static [Kind] = &[$(Kind::$name,)*];

            /// The kind with this code.
            #[inline]
            pub fn from_code(code: u8) -> Option<Kind> {
                Kind::ALL.get(usize::from(code)).copied()
            }

            /// The name used in logs (`ConnectAccept`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$name => stringify!($name),)*
                }
            }

            /// The log category.
            pub fn category(self) -> Category {
                match self {
                    $(Kind::$name => Category::$cat,)*
                }
            }
        }
    };
}

kinds! {
    UserSpawn = 0, Comm, "A user appears and sends its first connect (value: target agent).";
    SlotIdle = 1, Comm, "A slot outside the current population curve stays empty.";
    Retry = 2, Comm, "Back-off over; the user tries again (value: target agent, or NONE).";
    ConnectAccept = 3, Comm, "Server accepts a connect (value: its load after).";
    ConnectDelegate = 4, Collab, "Server forwards a connect to a peer (value: peer index).";
    ConnectReject = 5, Comm, "Server refuses a connect (value: its load).";
    Connected = 6, Comm, "User is connected (value: server agent).";
    StaleAccept = 7, Comm, "User got an accept it no longer wants and leaves again.";
    Rejected = 8, Comm, "User's attempt was refused; it backs off.";
    StaleReject = 9, Comm, "User ignores a refusal of an old attempt.";
    AttemptTimeout = 10, Comm, "User's attempt went unanswered; it backs off.";
    GaveUp = 11, Comm, "User failed too often and leaves the system.";
    Death = 12, Comm, "User reaches the end of its life (value: 1 when the population rule removed it).";
    Leave = 13, Comm, "Server lets a session go (value: its load after).";
    StaleLeave = 14, Comm, "Server gets a leave for a session it no longer holds.";
    HeartbeatSent = 15, Comm, "User pings its server.";
    PingReply = 16, Comm, "Server answers a ping (value: 1 if it holds the session).";
    Pong = 17, Comm, "User hears its server is alive.";
    ServerLost = 18, Comm, "User's ping timed out; it searches again (value: target agent).";
    Disowned = 19, Comm, "Server does not know the user's session; it searches again (value: target).";
    Dropped = 20, Comm, "A message reached a dead agent and was lost (value: message kind).";
    CoordRoute = 21, Comm, "Coordinator forwards a user to a server (value: server index).";
    LoadReport = 22, Comm, "Coordinator learns a server's load (value: load).";
    GossipTick = 23, Collab, "Server starts a gossip exchange (value: peer index or NONE).";
    GossipPush = 24, Collab, "Server receives a peer's view and answers with its own.";
    GossipReply = 25, Collab, "Server receives the answer to its gossip.";
    PeerGone = 26, Collab, "Server forgets a peer that said goodbye.";
    Migrated = 27, Transfer, "User is told to move and reconnects (value: target agent).";
    StaleMigrate = 28, Transfer, "User ignores a migrate for an old session.";
    PullGrant = 29, Transfer, "Server grants a pull (value: users sent).";
    PullRefuse = 30, Transfer, "Server refuses a pull.";
    PullReply = 31, Transfer, "Puller hears how many users come (value: granted).";
    HandoffDone = 32, Transfer, "Terminating server migrates all users and drains (value: load).";
    Tick = 33, Nego, "Server's periodic check found nothing to do.";
    PullAsk = 34, Nego, "Underloaded server asks a peer for users (value: peer index).";
    HandoffOffer = 35, Nego, "Idle server offers its users to a peer (value: peer index).";
    HandoffAccept = 36, Nego, "Server accepts a peer's hand-off.";
    HandoffRefuse = 37, Nego, "Server refuses a peer's hand-off.";
    HandoffRefused = 38, Nego, "Offering server hears no and keeps running.";
    HandoffTimeout = 39, Nego, "Offering server heard nothing and keeps running.";
    ProvisionGrant = 40, Nego, "Environment grants a new server (value: its index).";
    ProvisionRefuse = 41, Nego, "Environment refuses a new server: quota reached.";
    ServerStart = 42, Nego, "A server starts running.";
    Terminated = 43, Nego, "A drained server terminates.";
    ScaleOutReady = 44, Nego, "Server may ask for another server again.";
    DirectoryRefresh = 45, Nego, "The directory is refreshed (value: servers listed).";
    CrashFire = 46, Nego, "Environment crashes servers (value: how many).";
    Crash = 47, Nego, "An agent crashes.";
    PartitionStart = 48, Nego, "A partition between servers starts (value: servers cut off).";
    PartitionEnd = 49, Nego, "A partition heals.";
    LoadReportSent = 50, Comm, "Server reports its load to the coordinator.";
    Butterfly = 51, Butterfly, "The perturbation fires (value: user slot, or NONE).";
    Perturbed = 52, Butterfly, "User's connection drops; it searches again (value: target agent).";
    PerturbNoop = 53, Butterfly, "The perturbed user was not connected.";
    StaleHandoffReply = 54, Nego, "Server ignores a hand-off answer it no longer waits for.";
    PopulationStep = 55, Comm, "The population rule's step (value: users it will start).";
    PopulationCull = 56, Comm, "The population rule removes a user above its cap (value: user slot).";
    ConnectOverflow = 57, Nego, "Full server asks for a new server to take this request (value: its load).";
    OverflowRoute = 58, Nego, "Environment sends an overflowing request to the server it started last for one (value: server index).";
    PopulationStart = 59, Comm, "The population rule starts a user in a free slot (value: user slot).";
}

/// One event of a run, as recorded in a trace.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When.
    pub time: SimTime,
    /// Who caused it (the target itself for timers).
    pub source: AgentId,
    /// Who handled it.
    pub target: AgentId,
    /// What happened.
    pub kind: Kind,
    /// Kind-specific number.
    pub value: u32,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
