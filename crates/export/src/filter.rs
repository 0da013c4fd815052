//! Which events an export keeps: a time window, a set of kinds, one agent.

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::{Event, Kind, Layout};

/// A set of event kinds, by code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindSet {
    codes: [bool; 256],
}

impl KindSet {
    /// Every kind.
    pub fn all() -> KindSet {
        KindSet { codes: [true; 256] }
    }

    /// A kind by its name (`ConnectAccept`, any case) or a category by its upper-case
    /// name (`BUTTERFLY` is the category, `Butterfly` the kind); a category in another
    /// case when no kind has that name. The error lists what is accepted.
    pub fn parse(text: &str) -> Result<KindSet, String> {
        let of = |keep: &dyn Fn(Kind) -> bool| {
            let mut codes = [false; 256];
            for &k in Kind::ALL {
                codes[k as usize] = keep(k);
            }
            KindSet { codes }
        };
        if let Some(c) = Kind::ALL
            .iter()
            .map(|k| k.category())
            .find(|c| c.name() == text)
        {
            return Ok(of(&|k| k.category() == c));
        }
        if let Some(&kind) = Kind::ALL
            .iter()
            .find(|k| k.name().eq_ignore_ascii_case(text))
        {
            return Ok(of(&|k| k == kind));
        }
        match Kind::ALL
            .iter()
            .map(|k| k.category())
            .find(|c| c.name().eq_ignore_ascii_case(text))
        {
            Some(c) => Ok(of(&|k| k.category() == c)),
            None => Err(format!(
                "unknown kind {text:?}; kinds are {} and categories COMM, COLLAB, TRANSFER, NEGO, BUTTERFLY",
                Kind::ALL
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// True if `kind` is in the set.
    #[inline]
    pub fn contains(&self, kind: Kind) -> bool {
        self.codes[kind as usize]
    }
}

/// What to keep. The default keeps everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Events at or after this time.
    pub from: SimTime,
    /// Events at or before this time.
    pub to: SimTime,
    /// Events of these kinds.
    pub kinds: KindSet,
    /// Events whose source or target is this agent.
    pub agent: Option<AgentId>,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            from: SimTime::ZERO,
            to: SimTime::MAX,
            kinds: KindSet::all(),
            agent: None,
        }
    }
}

impl Filter {
    /// True if the filter keeps `event`.
    #[inline]
    pub fn keeps(&self, event: &Event) -> bool {
        self.keeps_time(event.time)
            && self.kinds.contains(event.kind)
            && self
                .agent
                .is_none_or(|a| event.source == a || event.target == a)
    }

    /// True if `time` is inside the window.
    #[inline]
    pub fn keeps_time(&self, time: SimTime) -> bool {
        self.from <= time && time <= self.to
    }

    /// True if rows about `agent` (a server's samples, a user's changes) are kept.
    #[inline]
    pub fn keeps_agent(&self, agent: AgentId) -> bool {
        self.agent.is_none_or(|a| a == agent)
    }
}

/// An agent by its name in `layout` (`S4`, `U12`, `E`, `C`, `P`); the error says what is
/// accepted.
pub fn parse_agent(layout: Layout, text: &str) -> Result<AgentId, String> {
    layout
        .parse(text)
        .ok_or_else(|| format!("unknown agent {text:?}; use S<n>, U<n>, E, C or P"))
}
