//! What agents say to each other (messages) and to themselves (timers).
//!
//! Every pending event carries one [`Msg`] inline in the event queue, so its size is
//! paid on every queue operation: lists are [`ThinVec`]s (one pointer, where a `Vec` is
//! three) and keep a message at 24 bytes.

use thin_vec::ThinVec;

use crate::record::{Carrier, Mechanism};

/// A peer's load as one server last heard it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PeerEntry {
    /// Server index.
    pub idx: u32,
    /// Its load (users held).
    pub load: u32,
    /// When the load was true, in µs.
    pub seen_us: u64,
}

/// A message on the wire. Every message carries its sender's load (servers piggyback
/// their load on everything they send; other agents send 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    /// The sender's load when it sent this.
    pub load: u32,
    /// What it says.
    pub body: Body,
}

/// Message contents. Variants are declared in the order of their codes (`bodies!` below),
/// so that [`Body::code`] compiles to reading the discriminant: out of order, it became a
/// jump table on every message sent (measured: 0.5 more mispredicted indirect branches per
/// event, BENCHMARKS.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A user asks for a connection: from the user, or forwarded by a server or the
    /// coordinator. `direct` requests are never delegated further.
    Connect {
        /// User slot.
        user: u32,
        /// The user's session number for this attempt.
        session: u32,
        /// Delegations so far.
        hops: u32,
        /// Accept or refuse, never delegate.
        direct: bool,
    },
    /// Server to user: you are connected (session `session`).
    Accepted {
        /// The attempt this answers.
        session: u32,
    },
    /// Server or coordinator to user: refused.
    Rejected {
        /// The attempt this answers.
        session: u32,
    },
    /// User to server: this session is over.
    Leave {
        /// The session that ends.
        session: u32,
    },
    /// User to server: are you there?
    Ping {
        /// The user's session.
        session: u32,
    },
    /// Server to user: yes.
    Pong {
        /// The user's session.
        session: u32,
    },
    /// Server to user: I hold no such session.
    NotConnected {
        /// The user's session.
        session: u32,
    },
    /// Server to user: reconnect to server `to`.
    Migrate {
        /// The session being moved.
        session: u32,
        /// Target server index.
        to: u32,
    },
    /// Gossip: my view of peers (the reply carries the receiver's).
    GossipPush(ThinVec<PeerEntry>),
    /// Gossip answer.
    GossipReply(ThinVec<PeerEntry>),
    /// Underloaded server to overloaded peer: send me up to `want` users.
    PullRequest {
        /// How many users would bring the puller to its pull target.
        want: u32,
    },
    /// How many users the peer is sending.
    PullReply {
        /// Users migrated.
        granted: u32,
    },
    /// Terminating server: will you take my `users` users?
    HandoffOffer {
        /// Users to be handed off.
        users: u32,
    },
    /// Answer to a hand-off offer.
    HandoffReply {
        /// True: send them.
        accepted: bool,
    },
    /// A terminating server says goodbye to its peers.
    Goodbye,
    /// Server to environment: please start a new server (my peers come along).
    ScaleOut {
        /// The requester and its peers, to seed the new server's view.
        peers: ThinVec<u32>,
    },
    /// Environment to server: you are running now, with these peers.
    Start {
        /// Initial peer view.
        peers: ThinVec<u32>,
    },
    /// Environment to server or coordinator: you crash now.
    Crash,
    /// Server to coordinator: my load.
    LoadReport,
    /// Perturbation to user: your connection drops now.
    Perturb,
    /// Environment to a free population slot: a new user starts its life here now.
    Spawn,
    /// Environment to a user above the population cap: you are removed now.
    Cull,
    /// Full server to environment: start a new server for this request
    /// (`servers.overflow = "scale-out"`).
    Overflow {
        /// User slot.
        user: u32,
        /// The user's session number for this attempt.
        session: u32,
    },
    /// Environment to itself: start a user in population slot `slot`. One event per
    /// started user, so its record says which slot (a trace shows every choice).
    StartUser {
        /// The free slot.
        slot: u32,
    },
}

// A bigger message makes every queued event bigger (see the module docs).
const _: () = assert!(std::mem::size_of::<Msg>() <= 24);

impl Body {
    /// Heartbeats keep a session alive (a user's ping, its server's pong); they are not
    /// part of making a connection.
    pub fn is_heartbeat(&self) -> bool {
        matches!(self, Body::Ping { .. } | Body::Pong { .. })
    }

    /// Requests can be lost; established-session messages and control-plane messages
    /// cannot (they ride on a reliable session). Lost requests only cause time-outs.
    pub fn is_lossy(&self) -> bool {
        matches!(
            self,
            Body::Connect { .. }
                | Body::Rejected { .. }
                | Body::GossipPush(_)
                | Body::GossipReply(_)
                | Body::PullRequest { .. }
                | Body::PullReply { .. }
                | Body::HandoffOffer { .. }
                | Body::HandoffReply { .. }
        )
    }
}

macro_rules! bodies {
    ($($variant:ident = $code:literal, $name:literal, $carrier:ident $(($mechanism:ident))?;)*) => {
        impl Body {
            /// The body's code: an index into [`BODY_NAMES`] for message counters, and
            /// written into traces as the value of a `Dropped` record.
            #[inline]
            pub fn code(&self) -> usize {
                match self {
                    $(Body::$variant { .. } => $code,)*
                }
            }
        }

        /// Names of message bodies, indexed by [`Body::code`].
        pub const BODY_NAMES: [&str; [$($code,)*].len()] = [$($name,)*];

        /// The mechanism each message body belongs to, indexed by [`Body::code`] (for
        /// `Dropped` records, whose value is a body code).
        const BODY_CARRIERS: [Carrier; [$($code,)*].len()] =
            [$(Carrier::$carrier $((Mechanism::$mechanism))?,)*];

        // A body's carrier names its mechanism, never "the body's" (that is for records).
        const _: () = {
            let mut i = 0;
            while i < BODY_CARRIERS.len() {
                assert!(!matches!(BODY_CARRIERS[i], Carrier::Body), "a body has a mechanism");
                i += 1;
            }
        };

        // Codes are dense and in row order, so a code indexes BODY_NAMES.
        const _: () = {
            let codes: &[usize] = &[$($code,)*];
            let mut i = 0;
            while i < codes.len() {
                assert!(codes[i] == i, "body codes are dense and in row order");
                i += 1;
            }
        };
    };
}

// The one declaration of every message body's code, name and mechanism. Codes are written into traces
// (the value of `Dropped`, traces/FORMAT.md), so they are format-stable: never renumber or
// rename, only append (the model crate's `kinds` tests pin them). A body variant without a
// row does not compile. Declare a new variant of `Body` last too, in the same order.
bodies! {
    Connect = 0, "connect", Connect;
    Accepted = 1, "accepted", Is(Connection);
    Rejected = 2, "rejected", Is(Retry);
    Leave = 3, "leave", Is(Connection);
    Ping = 4, "ping", Is(Connection);
    Pong = 5, "pong", Is(Connection);
    NotConnected = 6, "not_connected", Is(Retry);
    Migrate = 7, "migrate", Is(Migration);
    GossipPush = 8, "gossip_push", Is(Gossip);
    GossipReply = 9, "gossip_reply", Is(Gossip);
    PullRequest = 10, "pull_request", Is(Pull);
    PullReply = 11, "pull_reply", Is(Pull);
    HandoffOffer = 12, "handoff_offer", Is(Handoff);
    HandoffReply = 13, "handoff_reply", Is(Handoff);
    Goodbye = 14, "goodbye", Is(Handoff);
    ScaleOut = 15, "scale_out", Is(ScaleOut);
    Start = 16, "start", Is(ScaleOut);
    Crash = 17, "crash", Is(Fault);
    LoadReport = 18, "load_report", Is(Coordinator);
    Perturb = 19, "perturb", Is(Perturbation);
    Spawn = 20, "spawn", Is(Population);
    Cull = 21, "cull", Is(Population);
    Overflow = 22, "overflow", Is(ScaleOut);
    StartUser = 23, "start_user", Is(Population);
}

/// The mechanism of the message body with code `code` ([`Body::code`]), if there is one.
pub fn body_carrier(code: u32) -> Option<Carrier> {
    BODY_CARRIERS.get(code as usize).copied()
}

impl Body {
    /// The mechanism this body belongs to.
    pub fn carrier(&self) -> Carrier {
        BODY_CARRIERS[self.code()]
    }
}

/// Timers; each agent has at most one pending timer of each kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// User slot: a new user appears.
    Spawn,
    /// User: back-off over, try again.
    Retry,
    /// User: the connection attempt has failed.
    AttemptTimeout,
    /// User: end of life.
    Lifespan,
    /// User: time to ping the server.
    Heartbeat,
    /// User: the ping went unanswered.
    PingTimeout,
    /// Server: gossip with a peer.
    Gossip,
    /// Server: check for pulling and terminating.
    Periodic,
    /// Server: the hand-off offer went unanswered.
    HandoffTimeout,
    /// Server: may ask for another server again.
    ScaleOutCooldown,
    /// Server: report load to the coordinator.
    Report,
    /// Environment: refresh the directory.
    DirectoryRefresh,
    /// Environment: crash group `n` of the scenario.
    Crash(u16),
    /// Environment: partition `n` starts.
    PartitionStart(u16),
    /// Environment: partition `n` ends.
    PartitionEnd(u16),
    /// Environment: the coordinator crashes.
    CoordinatorCrash,
    /// Perturbation: disconnect a user.
    Butterfly,
    /// Environment: the population rule's step (`users.population`).
    Population,
}

impl swarmlb_engine::TimerKind for Timer {
    // An agent is a user or a server, never both, so their slots can overlap.
    const SLOTS: usize = 6;

    fn slot(&self) -> Option<usize> {
        Some(match self {
            Timer::Spawn | Timer::Gossip => 0,
            Timer::Retry | Timer::Periodic => 1,
            Timer::AttemptTimeout | Timer::HandoffTimeout => 2,
            Timer::Lifespan | Timer::ScaleOutCooldown => 3,
            Timer::Heartbeat | Timer::Report => 4,
            Timer::PingTimeout => 5,
            // The environment's and the perturbation's timers are set once and always fire.
            Timer::DirectoryRefresh
            | Timer::Crash(_)
            | Timer::PartitionStart(_)
            | Timer::PartitionEnd(_)
            | Timer::CoordinatorCrash
            | Timer::Butterfly
            | Timer::Population => return None,
        })
    }
}
