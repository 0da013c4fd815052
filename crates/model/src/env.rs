//! The environment: the parts of the world that are not negotiating agents. The
//! directory (DNS), the cloud's provisioning quota, scheduled faults and partitions,
//! and the butterfly perturbation (its own agent and random stream).

use thin_vec::ThinVec;

use crate::ids::{COORDINATOR, NONE};
use crate::msg::{Body, Timer};
use crate::net::{Net, Out};
use crate::record::Kind;

/// The environment's own state.
#[derive(Clone, Debug)]
pub struct Env {
    /// Next server index to hand out.
    next_server: u32,
}

impl Env {
    /// The environment of a run whose first `initial` servers exist.
    pub fn new(initial: u32) -> Env {
        Env {
            next_server: initial,
        }
    }

    /// Next server index to hand out (all below it were granted).
    pub fn next_server(&self) -> u32 {
        self.next_server
    }

    /// Schedule every planned fault and the first directory refresh.
    pub fn schedule(&mut self, out: &mut Out) {
        let sc = &out.params.scenario;
        out.set_timer(Timer::DirectoryRefresh, sc.network.directory_refresh.us());
        for (i, c) in sc.crashes.iter().enumerate() {
            out.set_timer(Timer::Crash(i as u16), c.at.us());
        }
        for (i, p) in sc.partitions.iter().enumerate() {
            out.set_timer(Timer::PartitionStart(i as u16), p.at.us());
        }
        if let (true, Some(at)) = (sc.policy.is_centralized(), sc.coordinator.crash_at) {
            out.set_timer(Timer::CoordinatorCrash, at.us());
        }
    }

    /// Handle an environment timer. On refresh, `directory` is replaced by `listed`: the
    /// servers that accept users now (ground truth: the cloud knows what it runs).
    pub fn on_timer(
        &mut self,
        out: &mut Out,
        net: &mut Net,
        timer: Timer,
        directory: &mut Vec<u32>,
        listed: impl FnOnce() -> Vec<u32>,
    ) -> (Kind, u32) {
        let p = out.params;
        match timer {
            Timer::DirectoryRefresh => {
                out.set_timer(
                    Timer::DirectoryRefresh,
                    p.scenario.network.directory_refresh.us(),
                );
                *directory = listed();
                (Kind::DirectoryRefresh, directory.len() as u32)
            }
            Timer::Crash(i) => {
                let crash = &p.scenario.crashes[usize::from(i)];
                for &idx in &crash.servers {
                    out.send_reliable(p.layout.server(idx), 0, Body::Crash);
                }
                (Kind::CrashFire, crash.servers.len() as u32)
            }
            Timer::PartitionStart(i) => {
                let part = &p.scenario.partitions[usize::from(i)];
                let mut cut = vec![false; p.layout.max_servers as usize];
                for &idx in &part.servers {
                    cut[idx as usize] = true;
                }
                net.cut = Some(cut);
                out.set_timer(Timer::PartitionEnd(i), part.duration.us());
                (Kind::PartitionStart, part.servers.len() as u32)
            }
            Timer::PartitionEnd(_) => {
                net.cut = None;
                (Kind::PartitionEnd, 0)
            }
            Timer::CoordinatorCrash => {
                out.send_reliable(COORDINATOR, 0, Body::Crash);
                (Kind::CrashFire, 1)
            }
            other => unreachable!("environment timer {other:?}"),
        }
    }

    /// A server asks for a new server; grant it within the quota.
    /// `servers_in_use` counts granted servers that are running or starting.
    pub fn on_scale_out(
        &mut self,
        out: &mut Out,
        servers_in_use: u32,
        peers: ThinVec<u32>,
    ) -> (Kind, u32) {
        let p = out.params;
        if servers_in_use >= p.scenario.servers.max_servers
            || self.next_server >= p.layout.max_servers
        {
            return (Kind::ProvisionRefuse, servers_in_use);
        }
        let idx = self.next_server;
        self.next_server += 1;
        out.stats.scale_outs += 1;
        out.send_reliable(
            p.layout.server(idx),
            p.scenario.servers.provisioning_delay.us(),
            Body::Start { peers },
        );
        (Kind::ProvisionGrant, idx)
    }
}

/// The butterfly perturbation: an agent of its own, so choosing its victim draws from a
/// stream nobody else uses.
#[derive(Clone, Debug, Default)]
pub struct Perturber;

impl Perturber {
    /// Schedule the perturbation, if the scenario has one.
    pub fn schedule(&mut self, out: &mut Out) {
        if let Some(at) = out.params.scenario.butterfly.as_ref().and_then(|b| b.at) {
            out.set_timer(Timer::Butterfly, at.us());
        }
    }

    /// Fire: disconnect the named user, or one drawn among `connected` (sorted slots).
    pub fn fire(&mut self, out: &mut Out, connected: &[u32]) -> (Kind, u32) {
        let named = out.params.scenario.butterfly.as_ref().and_then(|b| b.user);
        let victim = named.or_else(|| {
            (!connected.is_empty())
                .then(|| connected[out.rng(&[0]).below(connected.len() as u64) as usize])
        });
        match victim {
            Some(slot) => {
                out.send_reliable(out.params.layout.user(slot), 0, Body::Perturb);
                (Kind::Butterfly, slot)
            }
            None => (Kind::Butterfly, NONE),
        }
    }
}
