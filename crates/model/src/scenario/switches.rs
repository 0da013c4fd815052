//! Mechanism switches: a scenario with some of the servers' balancing mechanisms switched
//! off, by setting scenario fields (ARCHITECTURE.md lists which), so "is it the
//! balancing?" can be answered by running the same ensemble with and without them.

use super::{HandoffStyle, Invalid, Overflow, PullStyle, Scenario};

/// A mechanism [`Scenario::without`] can switch off. The users' population (the workload
/// itself) is not one: without it a scenario has no users, or other ones, which answers
/// another question.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Switch {
    /// Pulls: `servers.pull = "off"` (no server asks, a server asked refuses).
    Pull,
    /// Hand-offs and so terminations: `servers.handoff = "off"`.
    Handoff,
    /// Delegation of connect requests: `servers.max_hops = 0`.
    Delegation,
    /// New servers: `servers.overflow = "reject"` and `servers.scale_out_after` at its
    /// largest (4,294,967,295 refusals in a row, never reached).
    ScaleOut,
    /// The gossip exchange of peer views: `servers.gossip = false`.
    Gossip,
}

impl Switch {
    /// Every switch, in the order of [`Switch::name`]'s list.
    pub const ALL: [Switch; 5] = [
        Switch::Pull,
        Switch::Handoff,
        Switch::Delegation,
        Switch::ScaleOut,
        Switch::Gossip,
    ];

    /// The name used on the command line (`--without pull,handoff`).
    pub fn name(self) -> &'static str {
        match self {
            Switch::Pull => "pull",
            Switch::Handoff => "handoff",
            Switch::Delegation => "delegation",
            Switch::ScaleOut => "scale-out",
            Switch::Gossip => "gossip",
        }
    }

    /// The record mechanisms ([`crate::Mechanism`]) this switch stops: with it, a run
    /// has no record of them (server starts at time zero, the initial servers', aside).
    pub fn stops(self) -> &'static [crate::Mechanism] {
        use crate::Mechanism;
        match self {
            Switch::Pull => &[Mechanism::Pull],
            Switch::Handoff => &[Mechanism::Handoff],
            Switch::Delegation => &[Mechanism::Delegation],
            Switch::ScaleOut => &[Mechanism::ScaleOut],
            Switch::Gossip => &[Mechanism::Gossip],
        }
    }

    /// Switches from a comma-separated list of names (`pull,handoff`), each once.
    pub fn parse_list(text: &str) -> Result<Vec<Switch>, UnknownSwitch> {
        let mut out: Vec<Switch> = Vec::new();
        for name in text.split(',').map(str::trim) {
            let switch = name.parse()?;
            if out.contains(&switch) {
                return Err(UnknownSwitch::Twice(name.to_string()));
            }
            out.push(switch);
        }
        Ok(out)
    }
}

impl std::fmt::Display for Switch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A list of switches that names something else.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnknownSwitch {
    /// Not a switch's name.
    #[error(
        "no mechanism switch {0:?}; the switches are {names}",
        names = names()
    )]
    Unknown(String),
    /// One switch named twice.
    #[error("mechanism switch {0:?} is named twice")]
    Twice(String),
}

/// The switches' names, for messages.
fn names() -> String {
    Switch::ALL.map(Switch::name).join(", ")
}

impl std::str::FromStr for Switch {
    type Err = UnknownSwitch;
    fn from_str(s: &str) -> Result<Self, UnknownSwitch> {
        Switch::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownSwitch::Unknown(s.to_string()))
    }
}

impl Scenario {
    /// This scenario with `switches` off, each by the fields its [`Switch`] names,
    /// checked valid. Under a centralized policy the servers do none of these anyway:
    /// the result is the same run.
    pub fn without(&self, switches: &[Switch]) -> Result<Scenario, Invalid> {
        let mut s = self.clone();
        for switch in switches {
            let servers = &mut s.servers;
            match switch {
                Switch::Pull => servers.pull = PullStyle::Off,
                Switch::Handoff => servers.handoff = HandoffStyle::Off,
                Switch::Delegation => servers.max_hops = 0,
                Switch::ScaleOut => {
                    servers.overflow = Overflow::Reject;
                    servers.scale_out_after = u32::MAX;
                }
                Switch::Gossip => servers.gossip = false,
            }
        }
        s.validate()?;
        Ok(s)
    }
}
