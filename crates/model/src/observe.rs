//! The observable state of a run (per-server status and load, per-user state) and its
//! hash. It is computed two ways that must agree: from the live agents, and by folding
//! the event records alone (what traces, diff and the viewer use).

use swarmlb_engine::AgentId;

use crate::ids::{Agent, Layout, NONE};
use crate::record::{Event, Fold};
use crate::server::ServerStatus;
use crate::user::UserState;
use crate::world::World;

/// A server as seen from outside.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ServerView {
    /// Never started.
    #[default]
    Off,
    /// Running.
    Alive,
    /// Running, waiting for a hand-off answer.
    Handoff,
    /// Handing its users off.
    Draining,
    /// Gone after a hand-off.
    Terminated,
    /// Gone in a crash.
    Crashed,
}

impl ServerView {
    /// True while running.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ServerView::Alive | ServerView::Handoff | ServerView::Draining
        )
    }
}

/// A user as seen from outside.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum UserView {
    /// Not alive.
    #[default]
    Dead,
    /// Waiting for an answer from this agent.
    Connecting(AgentId),
    /// Connected to this server agent.
    Connected(AgentId),
    /// Backing off.
    Backoff,
}

/// Everything diff and the viewer need to know about one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// Id layout.
    pub layout: Layout,
    /// Status and load per server index.
    pub servers: Vec<(ServerView, u32)>,
    /// State per user slot.
    pub users: Vec<UserView>,
    /// False once the coordinator crashed.
    pub coordinator_alive: bool,
}

impl Observed {
    /// The state before any event: nothing started, nobody alive.
    pub fn new(layout: Layout) -> Observed {
        Observed {
            layout,
            servers: vec![(ServerView::Off, 0); layout.max_servers as usize],
            users: vec![UserView::Dead; layout.n_users as usize],
            coordinator_alive: true,
        }
    }

    /// The live state of `world`.
    pub fn of_world(world: &World) -> Observed {
        let layout = world.params.layout;
        let servers = world
            .servers
            .iter()
            .map(|s| {
                let view = match s.status {
                    ServerStatus::Off => ServerView::Off,
                    ServerStatus::Alive => ServerView::Alive,
                    ServerStatus::Handoff { .. } => ServerView::Handoff,
                    ServerStatus::Draining => ServerView::Draining,
                    ServerStatus::Terminated => ServerView::Terminated,
                    ServerStatus::Crashed => ServerView::Crashed,
                };
                (view, s.load())
            })
            .collect();
        let users = world
            .users
            .iter()
            .map(|u| match u.state {
                UserState::Dead => UserView::Dead,
                UserState::Connecting { target, .. } => UserView::Connecting(target),
                UserState::Connected { server, .. } => UserView::Connected(layout.server(server)),
                UserState::Backoff => UserView::Backoff,
            })
            .collect();
        Observed {
            layout,
            servers,
            users,
            coordinator_alive: world.coordinator.alive,
        }
    }

    /// Fold one event into the state: the effect its kind declares ([`crate::Kind::fold`]).
    #[inline]
    pub fn apply(&mut self, event: &Event) {
        let fold = event.kind.fold();
        match self.layout.agent(event.target) {
            Agent::User(slot) => {
                let Some(user) = self.users.get_mut(slot as usize) else {
                    return;
                };
                if let Some(next) = fold.user(event.value) {
                    *user = next;
                }
            }
            Agent::Server(idx) => {
                let Some((view, load)) = self.servers.get_mut(idx as usize) else {
                    return;
                };
                if let Some(next) = fold.server(*view) {
                    *view = next;
                }
                if let Some(next) = fold.server_load(event.value) {
                    *load = next;
                }
            }
            Agent::Coordinator => {
                if fold == Fold::Crash {
                    self.coordinator_alive = false;
                }
            }
            Agent::Env | Agent::Perturber => {}
        }
    }

    /// A hash of the whole observable state (stable across platforms and versions of
    /// this format: little-endian fields, BLAKE3, first 8 bytes).
    pub fn hash(&self) -> u64 {
        // The bytes are laid out in one buffer and hashed at once: BLAKE3 over the
        // concatenation is the same digest as over the pieces, and one call instead of two
        // per agent made checkpoints several times cheaper (they run in recording, replay
        // and verify).
        let mut bytes = Vec::with_capacity(5 * (self.servers.len() + self.users.len()) + 1);
        for (view, load) in &self.servers {
            bytes.push(*view as u8);
            bytes.extend_from_slice(&load.to_le_bytes());
        }
        for user in &self.users {
            let (tag, agent) = match user {
                UserView::Dead => (0u8, 0),
                UserView::Connecting(a) => (1, a.0),
                UserView::Connected(a) => (2, a.0),
                UserView::Backoff => (3, 0),
            };
            bytes.push(tag);
            bytes.extend_from_slice(&agent.to_le_bytes());
        }
        bytes.push(u8::from(self.coordinator_alive));
        let bytes = blake3::hash(&bytes);
        u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"))
    }

    /// Load per server index (0 for servers not running), for macro divergence.
    pub fn loads(&self) -> impl Iterator<Item = u32> + '_ {
        self.servers
            .iter()
            .map(|(v, l)| if v.is_running() { *l } else { 0 })
    }

    /// Loads of the servers running, in server order (what load statistics are over).
    pub fn running_loads(&self) -> Vec<u32> {
        self.servers
            .iter()
            .filter(|(v, _)| v.is_running())
            .map(|(_, l)| *l)
            .collect()
    }

    /// Users connected.
    pub fn users_connected(&self) -> u32 {
        self.users
            .iter()
            .filter(|u| matches!(u, UserView::Connected(_)))
            .count() as u32
    }

    /// Servers running.
    pub fn servers_running(&self) -> u32 {
        self.servers.iter().filter(|(v, _)| v.is_running()).count() as u32
    }
}

impl Fold {
    /// A user's state after an event with this effect and `value`, when it changes.
    #[inline]
    pub fn user(self, value: u32) -> Option<UserView> {
        match self {
            Fold::Search if value == NONE => Some(UserView::Backoff),
            Fold::Search => Some(UserView::Connecting(AgentId(value))),
            Fold::Connect => Some(UserView::Connected(AgentId(value))),
            Fold::Backoff => Some(UserView::Backoff),
            Fold::Die => Some(UserView::Dead),
            Fold::Nothing
            | Fold::Start
            | Fold::Load
            | Fold::Offer
            | Fold::Refused
            | Fold::Drain
            | Fold::Terminate
            | Fold::Crash => None,
        }
    }

    /// A server's status after an event with this effect, from `view`, when it changes
    /// (its load: [`Fold::server_load`]).
    #[inline]
    pub fn server(self, view: ServerView) -> Option<ServerView> {
        match self {
            Fold::Start => Some(ServerView::Alive),
            Fold::Offer => Some(ServerView::Handoff),
            Fold::Refused if view == ServerView::Handoff => Some(ServerView::Alive),
            Fold::Refused => None,
            Fold::Drain => Some(ServerView::Draining),
            Fold::Terminate => Some(ServerView::Terminated),
            Fold::Crash => Some(ServerView::Crashed),
            Fold::Nothing
            | Fold::Search
            | Fold::Connect
            | Fold::Backoff
            | Fold::Die
            | Fold::Load => None,
        }
    }
}
