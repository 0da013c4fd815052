//! The coordinator of the centralized baselines: one agent that routes every user to a
//! server with a classic policy, knowing loads only from periodic reports. It can crash,
//! and then nobody is admitted: the point of the comparison.

use swarmlb_engine::{AgentId, SimTime};

use crate::ids::NONE;
use crate::msg::Body;
use crate::net::Out;
use crate::purpose::Purpose;
use crate::record::Kind;
use crate::scenario::Policy;

/// A server silent for this many report intervals is taken for dead by the coordinator.
const REPORTS_MISSED_MAX: u64 = 3;

#[derive(Clone, Debug)]
struct Known {
    idx: u32,
    reported_load: u32,
    assigned_since_report: u32,
    last_report: SimTime,
}

impl Known {
    fn estimate(&self) -> u32 {
        self.reported_load + self.assigned_since_report
    }
}

/// The coordinator.
#[derive(Clone, Debug)]
pub struct Coordinator {
    /// False after a crash.
    pub alive: bool,
    servers: Vec<Known>,
    cursor: usize,
}

impl Coordinator {
    /// A coordinator that knows the initial servers `0..n_servers`.
    pub fn new(n_servers: u32) -> Coordinator {
        let servers = (0..n_servers)
            .map(|idx| Known {
                idx,
                reported_load: 0,
                assigned_since_report: 0,
                last_report: SimTime::ZERO,
            })
            .collect();
        Coordinator {
            alive: true,
            servers,
            cursor: 0,
        }
    }

    /// Handle a message from `from`.
    pub fn on_message(
        &mut self,
        out: &mut Out,
        from: AgentId,
        sender_load: u32,
        body: Body,
    ) -> (Kind, u32) {
        match body {
            Body::Connect { user, session, .. } => self.route(out, user, session),
            Body::LoadReport => {
                let idx = out
                    .params
                    .layout
                    .server_idx(from)
                    .expect("reports come from servers");
                if let Some(k) = self.servers.iter_mut().find(|k| k.idx == idx) {
                    k.reported_load = sender_load;
                    k.assigned_since_report = 0;
                    k.last_report = out.now();
                }
                (Kind::LoadReport, sender_load)
            }
            Body::Crash => {
                self.alive = false;
                (Kind::Crash, 0)
            }
            other => unreachable!("coordinator got {other:?}"),
        }
    }

    fn route(&mut self, out: &mut Out, user: u32, session: u32) -> (Kind, u32) {
        let p = out.params;
        // A server silent for three report intervals is presumed dead.
        let silence = REPORTS_MISSED_MAX * p.scenario.servers.report_interval.us();
        let now = out.now();
        let live: Vec<usize> = (0..self.servers.len())
            .filter(|&i| now.since(self.servers[i].last_report) <= silence || now.0 <= silence)
            .collect();
        if live.is_empty() {
            out.send(p.layout.user(user), 0, Body::Rejected { session });
            return (Kind::CoordRoute, NONE);
        }
        let chosen = match p.policy {
            Policy::RoundRobin => {
                self.cursor = (self.cursor + 1) % live.len();
                live[self.cursor]
            }
            Policy::LeastConnections => *live
                .iter()
                .min_by_key(|&&i| (self.servers[i].estimate(), self.servers[i].idx))
                .expect("non-empty"),
            Policy::PowerOfTwo => {
                let mut rng = out.rng(
                    Purpose::CoordinatorPick,
                    &[u64::from(user), u64::from(session)],
                );
                let a = live[rng.below(live.len() as u64) as usize];
                let b = live[rng.below(live.len() as u64) as usize];
                if (self.servers[b].estimate(), b) < (self.servers[a].estimate(), a) {
                    b
                } else {
                    a
                }
            }
            Policy::Random => {
                live[out
                    .rng(
                        Purpose::CoordinatorPick,
                        &[u64::from(user), u64::from(session)],
                    )
                    .below(live.len() as u64) as usize]
            }
            Policy::Decentralized => unreachable!("no coordinator in the decentralized policy"),
        };
        self.servers[chosen].assigned_since_report += 1;
        let idx = self.servers[chosen].idx;
        let hops = p.scenario.servers.max_hops;
        out.send(
            p.layout.server(idx),
            0,
            Body::Connect {
                user,
                session,
                hops,
                direct: true,
            },
        );
        (Kind::CoordRoute, idx)
    }
}
