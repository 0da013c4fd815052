//! Agent identities: how servers, users and the fixed agents map onto the engine's
//! dense `AgentId`s, and how they print (`S4`, `U1203`).

use std::fmt;

use swarmlb_engine::AgentId;

/// The environment: directory (DNS), provisioning quota, faults, partitions.
pub const ENV: AgentId = AgentId(0);
/// The coordinator of the centralized policies.
pub const COORDINATOR: AgentId = AgentId(1);
/// The butterfly perturbation, a separate agent so that it shifts no other stream.
pub const PERTURBER: AgentId = AgentId(2);
const SERVER_BASE: u32 = 3;

/// A value that means "none" in records (no target, no peer).
pub const NONE: u32 = u32::MAX;

/// The id space of one run: servers `0..max_servers`, then user slots `0..n_users`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Server indices ever possible.
    pub max_servers: u32,
    /// User slots.
    pub n_users: u32,
}

/// Which agent an id names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Agent {
    /// The environment.
    Env,
    /// The coordinator.
    Coordinator,
    /// The perturbation.
    Perturber,
    /// Server by index.
    Server(u32),
    /// User by slot.
    User(u32),
}

impl Layout {
    /// Total agents.
    pub fn n_agents(&self) -> usize {
        (SERVER_BASE + self.max_servers + self.n_users) as usize
    }

    /// The engine id of server `idx`.
    pub fn server(&self, idx: u32) -> AgentId {
        debug_assert!(idx < self.max_servers);
        AgentId(SERVER_BASE + idx)
    }

    /// The engine id of user slot `slot`.
    pub fn user(&self, slot: u32) -> AgentId {
        debug_assert!(slot < self.n_users);
        AgentId(SERVER_BASE + self.max_servers + slot)
    }

    /// Which agent `id` is.
    #[inline]
    pub fn agent(&self, id: AgentId) -> Agent {
        match id.0 {
            0 => Agent::Env,
            1 => Agent::Coordinator,
            2 => Agent::Perturber,
            n if n < SERVER_BASE + self.max_servers => Agent::Server(n - SERVER_BASE),
            n => Agent::User(n - SERVER_BASE - self.max_servers),
        }
    }

    /// The server index of `id`, if it is a server.
    pub fn server_idx(&self, id: AgentId) -> Option<u32> {
        match self.agent(id) {
            Agent::Server(i) => Some(i),
            _ => None,
        }
    }

    /// The id named by `S4`, `U12`, `E`, `C` or `P`.
    pub fn parse(&self, text: &str) -> Option<AgentId> {
        let number = |s: &str| s.parse::<u32>().ok();
        match text.split_at_checked(1)? {
            ("E", "") => Some(ENV),
            ("C", "") => Some(COORDINATOR),
            ("P", "") => Some(PERTURBER),
            ("S", n) => number(n)
                .filter(|&i| i < self.max_servers)
                .map(|i| self.server(i)),
            ("U", n) => number(n)
                .filter(|&i| i < self.n_users)
                .map(|i| self.user(i)),
            _ => None,
        }
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Agent::Env => f.write_str("E"),
            Agent::Coordinator => f.write_str("C"),
            Agent::Perturber => f.write_str("P"),
            Agent::Server(i) => write!(f, "S{i}"),
            Agent::User(i) => write!(f, "U{i}"),
        }
    }
}
