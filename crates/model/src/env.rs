//! The environment: the parts of the world that are not negotiating agents. The
//! directory (DNS), the cloud's provisioning quota, scheduled faults and partitions,
//! and the butterfly perturbation (its own agent and random stream).

use thin_vec::ThinVec;

use crate::ids::{COORDINATOR, ENV, NONE};
use crate::msg::{Body, Timer};
use crate::net::{Net, Out};
use crate::purpose::Purpose;
use crate::record::Kind;
use crate::scenario::VictimPick;

/// The environment's own state.
#[derive(Clone, Debug)]
pub struct Env {
    /// Next server index to hand out.
    next_server: u32,
    /// The server started last for overflowing requests, and how many it was sent.
    overflow_server: Option<(u32, u32)>,
}

impl Env {
    /// The environment of a run whose first `initial` servers exist.
    pub fn new(initial: u32) -> Env {
        Env {
            next_server: initial,
            overflow_server: None,
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
        if let Some(pop) = &sc.users.population {
            // The first step comes once the initial users have all appeared.
            let step = pop.step.us();
            let first = sc.users.spawn_spread.us().max(step).div_ceil(step) * step;
            out.set_timer(Timer::Population, first);
        }
    }

    /// The population rule's step (`users.population`): `alive(slot)` says whether a user
    /// slot holds a live user (ground truth: the world knows its users).
    pub fn on_population(&mut self, out: &mut Out, alive: impl Fn(u32) -> bool) -> (Kind, u32) {
        let p = out.params;
        let pop = p
            .scenario
            .users
            .population
            .as_ref()
            .expect("the population timer runs only with a population rule");
        out.set_timer(Timer::Population, pop.step.us());
        let step = out.now().0 / pop.step.us();
        let alive_total = (0..p.layout.n_users).filter(|&slot| alive(slot)).count() as u32;
        if alive_total > pop.cap {
            let live: Vec<u32> = (0..p.layout.n_users).filter(|&slot| alive(slot)).collect();
            let draw = out.keyed(Purpose::PopulationCull, &[step]);
            let victim = live[draw.below(live.len() as u64) as usize];
            out.send_reliable(p.layout.user(victim), 0, Body::Cull);
            return (Kind::PopulationCull, victim);
        }
        let mut free: Vec<u32> = (p.population_start..p.layout.n_users)
            .filter(|&slot| !alive(slot))
            .collect();
        debug_assert!(free.is_sorted());
        let wanted = if alive_total < pop.floor {
            pop.floor - alive_total
        } else {
            let ppm = (pop.spawn_chance * 1e6).round() as u32;
            u32::from(
                alive_total < pop.cap
                    && out.keyed(Purpose::PopulationSpawn, &[step]).chance_ppm(ppm),
            )
        };
        let adding = (wanted as usize).min(free.len());
        // Which free slots: by rendezvous hashing on (step, rank), so no slot is favoured
        // and a slot freed or taken elsewhere changes a pick only where it would win: two
        // branches whose free slots differ slightly still start most users in the same
        // slots (a shuffle would relabel every later user).
        for rank in 0..adding {
            let draw = out.keyed(Purpose::PopulationSpawn, &[step, rank as u64 + 1]);
            let (i, &slot) = free
                .iter()
                .enumerate()
                .max_by_key(|&(_, &slot)| (draw.mix(u64::from(slot)), slot))
                .expect("fewer picks than free slots");
            free.swap_remove(i);
            out.send_reliable(ENV, 0, Body::StartUser { slot });
        }
        (Kind::PopulationStep, adding as u32)
    }

    /// Start the user the population step chose for `slot`.
    pub fn on_start_user(&mut self, out: &mut Out, slot: u32) -> (Kind, u32) {
        debug_assert!(out.params.is_population_slot(slot));
        out.send_reliable(out.params.layout.user(slot), 0, Body::Spawn);
        (Kind::PopulationStart, slot)
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
        match self.provision(out, servers_in_use, peers) {
            Some(idx) => (Kind::ProvisionGrant, idx),
            None => (Kind::ProvisionRefuse, servers_in_use),
        }
    }

    /// A full server hands over a request it could not place
    /// (`servers.overflow = "scale-out"`): send it to the server started last for such
    /// requests while that one has room (`running(idx)` says it has not stopped), else
    /// start a new server, seeded with the requester and the running servers as peers, and
    /// send it there; refuse the user when the quota is reached.
    ///
    /// The original model's new server is at once visible to every server, so the next
    /// overflowing request is delegated to it; here the cloud, which knows what it started,
    /// stands in for that global view until gossip spreads the news.
    pub fn on_overflow(
        &mut self,
        out: &mut Out,
        servers_in_use: u32,
        peers: ThinVec<u32>,
        request: (u32, u32),
        running: impl Fn(u32) -> bool,
    ) -> (Kind, u32) {
        let p = out.params;
        let (user, session) = request;
        let reuse = self
            .overflow_server
            .filter(|&(idx, sent)| sent < p.capacity && running(idx));
        let (kind, idx) = match reuse {
            Some((idx, _)) => (Kind::OverflowRoute, idx),
            None => match self.provision(out, servers_in_use, peers) {
                Some(idx) => (Kind::ProvisionGrant, idx),
                None => {
                    out.stats.rejections += 1;
                    out.send_reliable(p.layout.user(user), 0, Body::Rejected { session });
                    return (Kind::ProvisionRefuse, servers_in_use);
                }
            },
        };
        let sent = reuse.map_or(0, |(_, sent)| sent) + 1;
        self.overflow_server = Some((idx, sent));
        // Sent after `Start` with the same delay, so the server runs when it arrives.
        out.send_reliable(
            p.layout.server(idx),
            p.scenario.servers.provisioning_delay.us(),
            Body::Connect {
                user,
                session,
                hops: p.scenario.servers.max_hops,
                direct: true,
            },
        );
        (kind, idx)
    }

    /// Start the next server within the quota; its index, or `None` at the quota.
    fn provision(
        &mut self,
        out: &mut Out,
        servers_in_use: u32,
        peers: ThinVec<u32>,
    ) -> Option<u32> {
        let p = out.params;
        if servers_in_use >= p.scenario.servers.max_servers
            || self.next_server >= p.layout.max_servers
        {
            return None;
        }
        let idx = self.next_server;
        self.next_server += 1;
        out.stats.scale_outs += 1;
        out.send_reliable(
            p.layout.server(idx),
            p.scenario.servers.provisioning_delay.us(),
            Body::Start { peers },
        );
        Some(idx)
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

    /// Fire: disconnect the named user, or one drawn among `connected` (pairs of user slot
    /// and server, sorted by slot) as `butterfly.victim` says.
    pub fn fire(&mut self, out: &mut Out, connected: &[(u32, u32)]) -> (Kind, u32) {
        let butterfly = out.params.scenario.butterfly.as_ref();
        let named = butterfly.and_then(|b| b.user);
        let pick = butterfly.map(|b| b.victim).unwrap_or_default();
        let victim = named.or_else(|| draw_victim(out, connected, pick));
        match victim {
            Some(slot) => {
                out.send_reliable(out.params.layout.user(slot), 0, Body::Perturb);
                (Kind::Butterfly, slot)
            }
            None => (Kind::Butterfly, NONE),
        }
    }
}

/// One connected user, uniformly, or (the original model's way) a random server holding
/// users and then one of its users.
fn draw_victim(out: &Out, connected: &[(u32, u32)], pick: VictimPick) -> Option<u32> {
    if connected.is_empty() {
        return None;
    }
    let mut rng = out.rng(Purpose::ButterflyVictim, &[]);
    let chosen = match pick {
        VictimPick::AnyUser => connected[rng.below(connected.len() as u64) as usize],
        VictimPick::ServerThenUser => {
            let mut servers: Vec<u32> = connected.iter().map(|&(_, server)| server).collect();
            servers.sort_unstable();
            servers.dedup();
            let server = servers[rng.below(servers.len() as u64) as usize];
            let users: Vec<&(u32, u32)> = connected.iter().filter(|c| c.1 == server).collect();
            *users[rng.below(users.len() as u64) as usize]
        }
    };
    Some(chosen.0)
}
