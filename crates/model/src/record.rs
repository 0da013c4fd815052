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

/// What an event's `value` means, declared once per kind in the table below. It decides
/// how the value is printed (`label=value` in the text form, traces/FORMAT.md), which
/// viewer lines end at a peer, and it is checked against the fold: a kind whose
/// [`Fold`] effect reads the value as a load declares [`Value::Load`], one that reads it
/// as an agent declares [`Value::Agent`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Nothing: the value is always 0.
    None,
    /// The target server's own load after the event (printed `load=L/capacity`).
    Load,
    /// A load another agent reported to the target (printed `load=L`).
    ReportedLoad,
    /// An agent id, or NONE (printed as the agent, `target=S4`, under this label).
    Agent(&'static str),
    /// A server index, or NONE (printed `peer=S4` under this label).
    Server(&'static str),
    /// A user slot, or NONE (printed `user=U8`).
    Slot,
    /// How many of something (printed `granted=3` under this label).
    Count(&'static str),
    /// 0 or 1 (printed `held=1` under this label).
    Flag(&'static str),
    /// A message body code of [`crate::msg::BODY_NAMES`] (printed `message=connect`).
    Body,
}

impl Value {
    /// The name the text form prints before `=`, or `None` when nothing is printed.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Value::None => None,
            Value::Load | Value::ReportedLoad => Some("load"),
            Value::Agent(label)
            | Value::Server(label)
            | Value::Count(label)
            | Value::Flag(label) => Some(label),
            Value::Slot => Some("user"),
            Value::Body => Some("message"),
        }
    }
}

/// What a kind does to the folded observable state of its target ([`crate::observe`]),
/// declared once per kind in the table below. Effects on users apply at user targets,
/// effects on servers at server targets; anything else is ignored.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fold {
    /// Nothing observable changes.
    Nothing,
    /// User: searching, Connecting(value), or Backoff when the value is NONE.
    Search,
    /// User: Connected(value), a server agent.
    Connect,
    /// User: backing off.
    Backoff,
    /// User: dead.
    Die,
    /// Server: running (Alive).
    Start,
    /// Server: its load is the value.
    Load,
    /// Server: waiting for a hand-off answer (Handoff).
    Offer,
    /// Server: the hand-off failed; Alive again if it was waiting (Handoff).
    Refused,
    /// Server: draining, and its load is the value.
    Drain,
    /// Server: terminated, load 0.
    Terminate,
    /// Server: crashed, load 0. Coordinator: not alive.
    Crash,
}

impl Fold {
    /// The server load after an event with this effect and `value` at a server, when the
    /// effect sets it. The fold and every load counter (the Chrome export) use this one
    /// function, so they agree on which kinds move a load.
    #[inline]
    pub fn server_load(self, value: u32) -> Option<u32> {
        match self {
            Fold::Load | Fold::Drain => Some(value),
            Fold::Terminate | Fold::Crash => Some(0),
            Fold::Nothing
            | Fold::Search
            | Fold::Connect
            | Fold::Backoff
            | Fold::Die
            | Fold::Start
            | Fold::Offer
            | Fold::Refused => None,
        }
    }
}

/// The mechanism a message or timer belongs to: what carried a difference along an edge of
/// `swarmlb why`'s causal tree (`--by mechanism`). Declared per record kind in the table
/// below ([`Kind::carrier`]) and per message body in `msg.rs` ([`crate::msg::Body::carrier`]),
/// so a new kind or body cannot be left out.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mechanism {
    /// A server forwards a connect request to a peer.
    Delegation,
    /// An underloaded server asks a peer for users, and the answers.
    Pull,
    /// Hand-off offers and answers, draining, goodbyes and termination.
    Handoff,
    /// A user told by its server to move (by a pull or a hand-off) reconnects.
    Migration,
    /// Servers exchange peer views.
    Gossip,
    /// The bootstrap directory's refresh (users pick servers from it).
    Directory,
    /// The environment's choices about users: spawns, respawns, lifespans and deaths, the
    /// population curve and rule.
    Population,
    /// Requests for new servers, provisioning, overflow routing, server starts.
    ScaleOut,
    /// Scheduled faults: crashes and partitions.
    Fault,
    /// A user's retries: refusals, time-outs, back-off, giving up, searching again after
    /// losing its server.
    Retry,
    /// A user's own connection traffic: its connect requests and their acceptance, leaves,
    /// heartbeats.
    Connection,
    /// The coordinator's routing and load reports (centralized policies).
    Coordinator,
    /// The butterfly perturbation itself.
    Perturbation,
    /// A server's periodic check (for pulling and terminating) that found nothing to do:
    /// it runs whatever is switched off, so it is no mechanism's.
    Check,
}

impl Mechanism {
    /// Every mechanism, in declaration order.
    pub const ALL: [Mechanism; 14] = [
        Mechanism::Delegation,
        Mechanism::Pull,
        Mechanism::Handoff,
        Mechanism::Migration,
        Mechanism::Gossip,
        Mechanism::Directory,
        Mechanism::Population,
        Mechanism::ScaleOut,
        Mechanism::Fault,
        Mechanism::Retry,
        Mechanism::Connection,
        Mechanism::Coordinator,
        Mechanism::Perturbation,
        Mechanism::Check,
    ];

    /// The name printed by `swarmlb why --by mechanism`.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Delegation => "delegation",
            Mechanism::Pull => "pull",
            Mechanism::Handoff => "hand-off",
            Mechanism::Migration => "migration",
            Mechanism::Gossip => "gossip",
            Mechanism::Directory => "directory",
            Mechanism::Population => "population",
            Mechanism::ScaleOut => "scale-out",
            Mechanism::Fault => "fault",
            Mechanism::Retry => "user retry",
            Mechanism::Connection => "user connection",
            Mechanism::Coordinator => "coordinator",
            Mechanism::Perturbation => "perturbation",
            Mechanism::Check => "periodic check",
        }
    }

    /// True for the servers' balancing mechanisms (what `butterfly --without` can switch
    /// off, and migration, which pulls and hand-offs cause).
    pub fn is_balancing(self) -> bool {
        match self {
            Mechanism::Delegation
            | Mechanism::Pull
            | Mechanism::Handoff
            | Mechanism::Migration
            | Mechanism::Gossip
            | Mechanism::ScaleOut => true,
            Mechanism::Directory
            | Mechanism::Population
            | Mechanism::Fault
            | Mechanism::Retry
            | Mechanism::Connection
            | Mechanism::Coordinator
            | Mechanism::Perturbation
            | Mechanism::Check => false,
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which mechanism a record kind (or a message body) belongs to, declared once per kind
/// in the table below. Most kinds belong to one; two depend on the record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// Always this mechanism.
    Is(Mechanism),
    /// A connect request as a server handles it: the user's own attempt when a user sent
    /// it, delegation when a peer server forwarded it, the coordinator's routing, or
    /// scale-out when the environment routed an overflowing request.
    Connect,
    /// A message that reached a dead agent: the mechanism of its body (the record's value
    /// is the body's code, [`crate::msg::BODY_NAMES`]).
    Body,
}

impl Carrier {
    /// The mechanism of a record with this carrier, sent by `sender`, with `value`.
    pub fn resolve(self, sender: crate::ids::Agent, value: u32) -> Mechanism {
        use crate::ids::Agent;
        match self {
            Carrier::Is(m) => m,
            Carrier::Connect => match sender {
                Agent::User(_) => Mechanism::Connection,
                Agent::Server(_) => Mechanism::Delegation,
                Agent::Coordinator => Mechanism::Coordinator,
                Agent::Env => Mechanism::ScaleOut,
                Agent::Perturber => Mechanism::Perturbation,
            },
            // A body's carrier is never `Body` (checked in msg.rs); an unknown code (a
            // damaged record) is no mechanism's: it counts as the lost message it is.
            Carrier::Body => match crate::msg::body_carrier(value) {
                Some(Carrier::Is(m)) => m,
                Some(Carrier::Connect) => Carrier::Connect.resolve(sender, value),
                Some(Carrier::Body) | None => Mechanism::Fault,
            },
        }
    }
}

impl Event {
    /// The mechanism that carried this event to its target (`layout` names the sender).
    pub fn mechanism(&self, layout: &crate::ids::Layout) -> Mechanism {
        self.kind
            .carrier()
            .resolve(layout.agent(self.source), self.value)
    }
}

macro_rules! kinds {
    ($($name:ident = $code:literal, $cat:ident, $value:ident $(($label:literal))?, $fold:ident, $carrier:ident $(($mechanism:ident))?, $doc:literal;)*) => {
        /// What happened at the target of an event. The numeric codes and names are part
        /// of the trace format (traces/FORMAT.md), format-stable: never renumber or rename,
        /// only append (the model crate's `kinds` tests pin them).
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

            /// What the event's value means.
            #[inline]
            pub fn value(self) -> Value {
                match self {
                    $(Kind::$name => Value::$value $(($label))?,)*
                }
            }

            /// What the event does to its target's folded state.
            #[inline]
            pub fn fold(self) -> Fold {
                match self {
                    $(Kind::$name => Fold::$fold,)*
                }
            }

            /// Which mechanism the message (or timer) this kind handles belongs to.
            pub fn carrier(self) -> Carrier {
                match self {
                    $(Kind::$name => Carrier::$carrier $((Mechanism::$mechanism))?,)*
                }
            }
        }

        // Codes are dense and in row order, so `ALL[code]` is the kind with that code.
        const _: () = {
            let codes: &[u8] = &[$($code,)*];
            let mut i = 0;
            while i < codes.len() {
                assert!(codes[i] as usize == i, "kind codes are dense and in row order");
                i += 1;
            }
        };
    };
}

// The one declaration of every record kind: code (append only), name, category, what its
// value means, what it does to the fold, which mechanism carries it, and its documentation. Everything else (text
// form, fold, exports, the viewer, the FORMAT.md check) reads these rows; to add a kind,
// append a row here (see ARCHITECTURE.md, "Adding a record kind").
kinds! {
    UserSpawn = 0, Comm, Agent("target"), Search, Is(Population), "A user appears and sends its first connect (value: target agent).";
    SlotIdle = 1, Comm, None, Nothing, Is(Population), "A slot outside the current population curve stays empty.";
    Retry = 2, Comm, Agent("target"), Search, Is(Retry), "Back-off over; the user tries again (value: target agent, or NONE).";
    ConnectAccept = 3, Comm, Load, Load, Connect, "Server accepts a connect (value: its load after).";
    ConnectDelegate = 4, Collab, Server("peer"), Nothing, Connect, "Server forwards a connect to a peer (value: peer index).";
    ConnectReject = 5, Comm, Load, Load, Connect, "Server refuses a connect (value: its load).";
    Connected = 6, Comm, Agent("server"), Connect, Is(Connection), "User is connected (value: server agent).";
    StaleAccept = 7, Comm, Server("server"), Nothing, Is(Connection), "User got an accept it no longer wants and leaves again.";
    Rejected = 8, Comm, Count("failures"), Backoff, Is(Retry), "User's attempt was refused; it backs off.";
    StaleReject = 9, Comm, None, Nothing, Is(Retry), "User ignores a refusal of an old attempt.";
    AttemptTimeout = 10, Comm, Count("failures"), Backoff, Is(Retry), "User's attempt went unanswered; it backs off.";
    GaveUp = 11, Comm, None, Die, Is(Retry), "User failed too often and leaves the system.";
    Death = 12, Comm, Flag("culled"), Die, Is(Population), "User reaches the end of its life (value: 1 when the population rule removed it).";
    Leave = 13, Comm, Load, Load, Is(Connection), "Server lets a session go (value: its load after).";
    StaleLeave = 14, Comm, Load, Load, Is(Connection), "Server gets a leave for a session it no longer holds.";
    HeartbeatSent = 15, Comm, Server("server"), Nothing, Is(Connection), "User pings its server.";
    PingReply = 16, Comm, Flag("held"), Nothing, Is(Connection), "Server answers a ping (value: 1 if it holds the session).";
    Pong = 17, Comm, None, Nothing, Is(Connection), "User hears its server is alive.";
    ServerLost = 18, Comm, Agent("target"), Search, Is(Retry), "User's ping timed out; it searches again (value: target agent).";
    Disowned = 19, Comm, Agent("target"), Search, Is(Retry), "Server does not know the user's session; it searches again (value: target).";
    Dropped = 20, Comm, Body, Nothing, Body, "A message reached a dead agent and was lost (value: message kind).";
    CoordRoute = 21, Comm, Server("server"), Nothing, Is(Coordinator), "Coordinator forwards a user to a server (value: server index).";
    LoadReport = 22, Comm, ReportedLoad, Nothing, Is(Coordinator), "Coordinator learns a server's load (value: load).";
    GossipTick = 23, Collab, Server("peer"), Nothing, Is(Gossip), "Server starts a gossip exchange (value: peer index or NONE).";
    GossipPush = 24, Collab, Count("entries"), Nothing, Is(Gossip), "Server receives a peer's view and answers with its own.";
    GossipReply = 25, Collab, Count("entries"), Nothing, Is(Gossip), "Server receives the answer to its gossip.";
    PeerGone = 26, Collab, Server("peer"), Nothing, Is(Handoff), "Server forgets a peer that said goodbye.";
    Migrated = 27, Transfer, Agent("target"), Search, Is(Migration), "User is told to move and reconnects (value: target agent).";
    StaleMigrate = 28, Transfer, None, Nothing, Is(Migration), "User ignores a migrate for an old session.";
    PullGrant = 29, Transfer, Count("granted"), Nothing, Is(Pull), "Server grants a pull (value: users sent).";
    PullRefuse = 30, Transfer, None, Nothing, Is(Pull), "Server refuses a pull.";
    PullReply = 31, Transfer, Count("granted"), Nothing, Is(Pull), "Puller hears how many users come (value: granted).";
    HandoffDone = 32, Transfer, Load, Drain, Is(Handoff), "Terminating server migrates all users and drains (value: load).";
    Tick = 33, Nego, None, Nothing, Is(Check), "Server's periodic check found nothing to do.";
    PullAsk = 34, Nego, Server("peer"), Nothing, Is(Pull), "Underloaded server asks a peer for users (value: peer index).";
    HandoffOffer = 35, Nego, Server("peer"), Offer, Is(Handoff), "Idle server offers its users to a peer (value: peer index).";
    HandoffAccept = 36, Nego, Count("users"), Nothing, Is(Handoff), "Server accepts a peer's hand-off.";
    HandoffRefuse = 37, Nego, None, Nothing, Is(Handoff), "Server refuses a peer's hand-off.";
    HandoffRefused = 38, Nego, None, Refused, Is(Handoff), "Offering server hears no and keeps running.";
    HandoffTimeout = 39, Nego, None, Refused, Is(Handoff), "Offering server heard nothing and keeps running.";
    ProvisionGrant = 40, Nego, Server("server"), Nothing, Is(ScaleOut), "Environment grants a new server (value: its index).";
    ProvisionRefuse = 41, Nego, Count("in_use"), Nothing, Is(ScaleOut), "Environment refuses a new server: quota reached.";
    ServerStart = 42, Nego, None, Start, Is(ScaleOut), "A server starts running.";
    Terminated = 43, Nego, None, Terminate, Is(Handoff), "A drained server terminates.";
    ScaleOutReady = 44, Nego, None, Nothing, Is(ScaleOut), "Server may ask for another server again.";
    DirectoryRefresh = 45, Nego, Count("listed"), Nothing, Is(Directory), "The directory is refreshed (value: servers listed).";
    CrashFire = 46, Nego, Count("servers"), Nothing, Is(Fault), "Environment crashes servers (value: how many).";
    Crash = 47, Nego, None, Crash, Is(Fault), "An agent crashes.";
    PartitionStart = 48, Nego, Count("servers"), Nothing, Is(Fault), "A partition between servers starts (value: servers cut off).";
    PartitionEnd = 49, Nego, None, Nothing, Is(Fault), "A partition heals.";
    LoadReportSent = 50, Comm, Load, Load, Is(Coordinator), "Server reports its load to the coordinator.";
    Butterfly = 51, Butterfly, Slot, Nothing, Is(Perturbation), "The perturbation fires (value: user slot, or NONE).";
    Perturbed = 52, Butterfly, Agent("target"), Search, Is(Perturbation), "User's connection drops; it searches again (value: target agent).";
    PerturbNoop = 53, Butterfly, None, Nothing, Is(Perturbation), "The perturbed user was not connected.";
    StaleHandoffReply = 54, Nego, None, Nothing, Is(Handoff), "Server ignores a hand-off answer it no longer waits for.";
    PopulationStep = 55, Comm, Count("starting"), Nothing, Is(Population), "The population rule's step (value: users it will start).";
    PopulationCull = 56, Comm, Slot, Nothing, Is(Population), "The population rule removes a user above its cap (value: user slot).";
    ConnectOverflow = 57, Nego, Load, Load, Connect, "Full server asks for a new server to take this request (value: its load).";
    OverflowRoute = 58, Nego, Server("server"), Nothing, Is(ScaleOut), "Environment sends an overflowing request to the server it started last for one (value: server index).";
    PopulationStart = 59, Comm, Slot, Nothing, Is(Population), "The population rule starts a user in a free slot (value: user slot).";
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
