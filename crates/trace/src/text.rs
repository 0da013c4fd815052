//! The one-line-per-event text form (`t=12.003417s S4 -> U1203 ConnectAccept load=7/10`),
//! documented in traces/FORMAT.md so that a person can grep a run.

use swarmlb_engine::AgentId;
use swarmlb_model::ids::NONE;
use swarmlb_model::{Event, Kind, Layout};

/// How to name agents and print loads.
#[derive(Copy, Clone, Debug)]
pub struct Style {
    /// Id layout of the run.
    pub layout: Layout,
    /// Server capacity, printed after loads.
    pub capacity: u32,
}

impl Style {
    /// `S4`, `U12`, `E`, `C`, `P`.
    pub fn agent(&self, id: AgentId) -> String {
        self.layout.agent(id).to_string()
    }

    /// The value of `event` with its meaning (`load=7/10`, `server=S4`), or nothing.
    pub fn value(&self, event: &Event) -> String {
        let v = event.value;
        let agent_or_none = |v: u32| {
            if v == NONE {
                "none".to_string()
            } else {
                self.agent(AgentId(v))
            }
        };
        let server = |v: u32| {
            if v == NONE {
                "none".to_string()
            } else {
                format!("S{v}")
            }
        };
        match event.kind {
            Kind::ConnectAccept
            | Kind::ConnectReject
            | Kind::Leave
            | Kind::StaleLeave
            | Kind::HandoffDone => {
                format!("load={v}/{}", self.capacity)
            }
            Kind::UserSpawn
            | Kind::Retry
            | Kind::ServerLost
            | Kind::Disowned
            | Kind::Migrated
            | Kind::Perturbed => {
                format!("target={}", agent_or_none(v))
            }
            Kind::Connected => format!("server={}", agent_or_none(v)),
            Kind::ConnectDelegate
            | Kind::GossipTick
            | Kind::PullAsk
            | Kind::HandoffOffer
            | Kind::PeerGone => {
                format!("peer={}", server(v))
            }
            Kind::CoordRoute | Kind::ProvisionGrant => format!("server={}", server(v)),
            Kind::Butterfly => format!(
                "user={}",
                if v == NONE {
                    "none".into()
                } else {
                    format!("U{v}")
                }
            ),
            Kind::PullGrant | Kind::PullReply => format!("granted={v}"),
            Kind::Rejected | Kind::AttemptTimeout => format!("failures={v}"),
            Kind::LoadReport | Kind::LoadReportSent => format!("load={v}"),
            Kind::DirectoryRefresh => format!("listed={v}"),
            Kind::CrashFire | Kind::PartitionStart => format!("servers={v}"),
            Kind::HeartbeatSent => format!("server=S{v}"),
            Kind::PingReply => format!("held={v}"),
            Kind::Dropped => format!(
                "message={}",
                swarmlb_model::msg::BODY_NAMES
                    .get(v as usize)
                    .copied()
                    .unwrap_or("?")
            ),
            Kind::GossipPush | Kind::GossipReply => format!("entries={v}"),
            Kind::ProvisionRefuse => format!("in_use={v}"),
            Kind::HandoffAccept => format!("users={v}"),
            _ => String::new(),
        }
    }

    /// The whole line.
    pub fn line(&self, event: &Event) -> String {
        let value = self.value(event);
        let sep = if value.is_empty() { "" } else { " " };
        format!(
            "t={} {} -> {} {}{sep}{value}",
            event.time,
            self.agent(event.source),
            self.agent(event.target),
            event.kind
        )
    }
}
