//! The world: every agent plus the network, wired to the engine. It only routes each
//! event to the one agent it is addressed to; agents never see each other.

use std::collections::BTreeMap;

use swarmlb_engine::{Context, Delivery, Payload, SimTime, Simulation};
use thin_vec::ThinVec;

use crate::coordinator::Coordinator;
use crate::env::{Env, Perturber};
use crate::ids::{Agent, ENV, PERTURBER};
use crate::metrics::{Sample, Stats, load_stats};
use crate::msg::{Body, Msg, Timer};
use crate::net::{Net, Out};
use crate::params::Params;
use crate::purpose::Purpose;
use crate::record::Kind;
use crate::scenario::Scenario;
use crate::server::{Server, ServerStatus};
use crate::user::{User, UserState};

/// Observations of the run that no agent reads: the time-integral of connected users
/// and the users orphaned by crashes.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Users connected now.
    pub connected: u32,
    /// ∫ connected dt, in user-µs.
    pub connected_area: u128,
    last_time: SimTime,
    /// Users whose server crashed, and when, until they reconnect or die.
    orphans: BTreeMap<u32, SimTime>,
    /// Users orphaned by crashes.
    pub orphans_total: u64,
    /// Orphans that reconnected.
    pub orphans_reconnected: u64,
    /// Longest time an orphan took to reconnect, in µs.
    pub orphan_reconnect_us_max: u64,
}

impl Tally {
    fn advance(&mut self, now: SimTime) {
        self.connected_area += u128::from(self.connected) * u128::from(now.since(self.last_time));
        self.last_time = now;
    }

    /// Orphans that neither reconnected nor died yet.
    pub fn orphans_pending(&self) -> usize {
        self.orphans.len()
    }
}

/// Every agent of a run.
pub struct World {
    /// Parameters shared by all agents.
    pub params: Params,
    /// Servers by index (slots for scale-out included).
    pub servers: Vec<Server>,
    /// Users by slot.
    pub users: Vec<User>,
    /// The coordinator (idle under the decentralized policy).
    pub coordinator: Coordinator,
    env: Env,
    perturber: Perturber,
    net: Net,
    directory: Vec<u32>,
    /// Counters.
    pub stats: Stats,
    /// Observations.
    pub tally: Tally,
}

/// Build a ready-to-run simulation of `scenario`, with its `seed` as the master seed.
pub fn build(scenario: &Scenario) -> Simulation<World> {
    let params = Params::new(scenario);
    let seed = params.seed();
    let layout = params.layout;
    let initial = scenario.servers.initial;
    let world = World {
        servers: (0..layout.max_servers).map(Server::new).collect(),
        users: (0..layout.n_users).map(User::new).collect(),
        coordinator: Coordinator::new(initial),
        env: Env::new(initial),
        perturber: Perturber,
        net: Net::default(),
        directory: (0..initial).collect(),
        stats: Stats::default(),
        tally: Tally::default(),
        params,
    };
    let mut sim = Simulation::new(world, layout.n_agents());
    sim.act_as(ENV, |w, ctx| {
        let World {
            params, env, stats, ..
        } = w;
        let idle = Net::default();
        let mut out = Out::new(ctx, &idle, stats, params, &[]);
        env.schedule(&mut out);
        // Initial servers start at time zero, each with a random partial view drawn
        // from its own stream so that no server's choice shifts another's.
        let k = out.params.scenario.servers.view_size;
        for idx in 0..initial {
            let mut rng = swarmlb_engine::keyed_rng(
                seed,
                u64::from(layout.server(idx).0),
                &[Purpose::InitialView.code()],
            );
            let mut peers = ThinVec::new();
            let wanted = k.min(initial - 1);
            while (peers.len() as u32) < wanted {
                let p = rng.below(u64::from(initial)) as u32;
                if p != idx && !peers.contains(&p) {
                    peers.push(p);
                }
            }
            out.send_reliable(layout.server(idx), 0, Body::Start { peers });
        }
    });
    sim.act_as(PERTURBER, |w, ctx| {
        let World {
            params,
            perturber,
            stats,
            ..
        } = w;
        let idle = Net::default();
        let mut out = Out::new(ctx, &idle, stats, params, &[]);
        perturber.schedule(&mut out);
    });
    for slot in 0..layout.n_users {
        sim.act_as(layout.user(slot), |w, ctx| {
            let World {
                params,
                users,
                stats,
                net,
                directory,
                ..
            } = w;
            let mut out = Out::new(ctx, net, stats, params, directory);
            users[slot as usize].schedule_first(&mut out);
        });
    }
    sim
}

impl swarmlb_engine::Handler for World {
    type Msg = Msg;
    type Timer = Timer;
    type Record = (Kind, u32);

    // Large worlds do not fit in the cache; small ones lose little to the hints.
    const PREFETCH: bool = true;

    fn prefetch(&self, agent: swarmlb_engine::AgentId) {
        match self.params.layout.agent(agent) {
            Agent::User(slot) => swarmlb_engine::prefetch(&self.users[slot as usize]),
            Agent::Server(idx) => {
                let server = &self.servers[idx as usize];
                swarmlb_engine::prefetch(server);
                server.sessions.prefetch();
            }
            _ => {}
        }
    }

    fn handle(
        &mut self,
        ctx: &mut Context<'_, Msg, Timer>,
        delivery: Delivery<Msg, Timer>,
    ) -> (Kind, u32) {
        let key = delivery.key;
        self.tally.advance(key.time);
        let World {
            params,
            servers,
            users,
            coordinator,
            env,
            perturber,
            net,
            directory,
            stats,
            tally,
        } = self;
        match params.layout.agent(key.target) {
            Agent::User(slot) => {
                let user = &mut users[slot as usize];
                let was_connected = matches!(user.state, UserState::Connected { .. });
                let mut out = Out::new(ctx, net, stats, params, directory);
                let record = match delivery.payload {
                    Payload::Message(msg) => user.on_message(&mut out, key.source, msg.body),
                    Payload::Timer(t) => user.on_timer(&mut out, t),
                };
                let is_connected = matches!(user.state, UserState::Connected { .. });
                tally.connected =
                    tally.connected + u32::from(is_connected) - u32::from(was_connected);
                if is_connected && !was_connected {
                    if let Some(since) = tally.orphans.remove(&slot) {
                        tally.orphans_reconnected += 1;
                        tally.orphan_reconnect_us_max =
                            tally.orphan_reconnect_us_max.max(key.time.since(since));
                    }
                } else if user.state == UserState::Dead {
                    tally.orphans.remove(&slot);
                }
                record
            }
            Agent::Server(idx) => {
                let server = &mut servers[idx as usize];
                let mut out = Out::new(ctx, net, stats, params, directory);
                match delivery.payload {
                    Payload::Message(msg) => {
                        let starting = server.status == ServerStatus::Off
                            && matches!(msg.body, Body::Start { .. });
                        if !server.status.is_running() && !starting {
                            return (Kind::Dropped, msg.body.code() as u32);
                        }
                        if msg.body == Body::Crash {
                            for &(slot, _) in &server.sessions {
                                if tally.orphans.insert(slot, key.time).is_none() {
                                    tally.orphans_total += 1;
                                }
                            }
                        }
                        server.on_message(&mut out, key.source, msg.load, msg.body)
                    }
                    Payload::Timer(t) => server.on_timer(&mut out, t),
                }
            }
            Agent::Coordinator => {
                let mut out = Out::new(ctx, net, stats, params, directory);
                match delivery.payload {
                    Payload::Message(msg) if coordinator.alive => {
                        coordinator.on_message(&mut out, key.source, msg.load, msg.body)
                    }
                    Payload::Message(msg) => (Kind::Dropped, msg.body.code() as u32),
                    Payload::Timer(t) => unreachable!("coordinator timer {t:?}"),
                }
            }
            Agent::Env => {
                let idle = Net::default();
                let mut out = Out::new(ctx, &idle, stats, params, &[]);
                match delivery.payload {
                    Payload::Message(Msg {
                        body: Body::ScaleOut { peers },
                        ..
                    }) => {
                        let in_use = servers_in_use(servers, env.next_server());
                        env.on_scale_out(&mut out, in_use, peers)
                    }
                    Payload::Message(Msg {
                        body: Body::Overflow { user, session },
                        ..
                    }) => {
                        let in_use = servers_in_use(servers, env.next_server());
                        // The new server's peers: the requester first, then running servers.
                        let requester = params.layout.server_idx(key.source);
                        let k = params.scenario.servers.view_size as usize;
                        let peers = requester
                            .into_iter()
                            .chain(
                                (0..servers.len() as u32)
                                    .filter(|&i| servers[i as usize].status == ServerStatus::Alive)
                                    .filter(|&i| Some(i) != requester),
                            )
                            .take(k)
                            .collect();
                        let running = |idx: u32| {
                            !matches!(
                                servers[idx as usize].status,
                                ServerStatus::Terminated | ServerStatus::Crashed
                            )
                        };
                        env.on_overflow(&mut out, in_use, peers, (user, session), running)
                    }
                    Payload::Message(Msg {
                        body: Body::StartUser { slot },
                        ..
                    }) => env.on_start_user(&mut out, slot),
                    Payload::Message(msg) => unreachable!("environment got {msg:?}"),
                    Payload::Timer(Timer::Population) => {
                        env.on_population(&mut out, |slot| users[slot as usize].is_alive())
                    }
                    Payload::Timer(t) => env.on_timer(&mut out, net, t, directory, || {
                        (0..servers.len() as u32)
                            .filter(|&i| servers[i as usize].status == ServerStatus::Alive)
                            .collect()
                    }),
                }
            }
            Agent::Perturber => {
                let connected: Vec<(u32, u32)> = (0..users.len() as u32)
                    .filter_map(|i| match users[i as usize].state {
                        UserState::Connected { server, .. } => Some((i, server)),
                        _ => None,
                    })
                    .collect();
                let idle = Net::default();
                let mut out = Out::new(ctx, &idle, stats, params, &[]);
                perturber.fire(&mut out, &connected)
            }
        }
    }
}

/// Granted servers that have not stopped: running or still starting.
fn servers_in_use(servers: &[Server], granted: u32) -> u32 {
    servers[..granted as usize]
        .iter()
        .filter(|s| !matches!(s.status, ServerStatus::Terminated | ServerStatus::Crashed))
        .count() as u32
}

impl World {
    /// Sample the whole system at `time`.
    pub fn sample(&self, time: SimTime) -> Sample {
        let loads: Vec<u32> = self
            .servers
            .iter()
            .filter(|s| s.status.is_running())
            .map(|s| s.load())
            .collect();
        let (load_max, load_mean, load_cov, jain) = load_stats(&loads);
        let users_connected = self.tally.connected;
        let alive = self.users.iter().filter(|u| u.is_alive()).count() as u32;
        let capacity = loads.len() as f64 * f64::from(self.params.capacity);
        Sample {
            time,
            servers_alive: loads.len() as u32,
            users_connected,
            users_searching: alive - users_connected,
            load_max,
            load_mean,
            load_cov,
            jain,
            utilization: if capacity > 0.0 {
                loads.iter().map(|&l| f64::from(l)).sum::<f64>() / capacity
            } else {
                0.0
            },
            messages: self.stats.messages_total(),
            migrations: self.stats.migrations,
            rejections: self.stats.rejections,
        }
    }

    /// Users alive now.
    pub fn users_alive(&self) -> u32 {
        self.users.iter().filter(|u| u.is_alive()).count() as u32
    }

    /// Servers running now.
    pub fn servers_running(&self) -> u32 {
        self.servers
            .iter()
            .filter(|s| s.status.is_running())
            .count() as u32
    }
}
