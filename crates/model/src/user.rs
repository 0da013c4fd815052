//! The user agent, one per slot: searches for a server through the (possibly stale)
//! directory, retries with exponential back-off and jitter, keeps its session alive with
//! heartbeats, follows migrations, dies after its lifespan and is replaced.

use swarmlb_engine::{AgentId, SimTime};

use crate::ids::{COORDINATOR, NONE};
use crate::msg::{Body, Timer};
use crate::net::Out;
use crate::purpose::Purpose;
use crate::record::Kind;
use crate::scenario::LifespanClock;

/// Where a user is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UserState {
    /// Not alive (not yet spawned, or between lives).
    Dead,
    /// Waiting for the answer of `target` (a server or the coordinator).
    Connecting {
        /// Who the connect went to.
        target: AgentId,
        /// The attempt's session number.
        session: u32,
    },
    /// Connected to server `server`.
    Connected {
        /// Server index.
        server: u32,
        /// Session number.
        session: u32,
    },
    /// Waiting before the next attempt.
    Backoff,
}

/// One user slot.
#[derive(Clone, Debug)]
pub struct User {
    slot: u32,
    /// Current state.
    pub state: UserState,
    /// Lives started in this slot.
    pub generation: u32,
    session: u32,
    attempts: u32,
    failures: u32,
    search_since: SimTime,
    life: Life,
}

/// Where a user's lifespan clock stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Life {
    /// Not connected yet in this life.
    NotStarted,
    /// Counting: the lifespan ends at this time.
    Running(SimTime),
    /// Stopped while disconnected (`users.lifespan_clock = "while-connected"`), with
    /// this many µs left.
    Paused(u64),
}

type Outcome = (Kind, u32);

impl User {
    /// Slot `slot`, not yet alive.
    pub fn new(slot: u32) -> User {
        User {
            slot,
            state: UserState::Dead,
            generation: 0,
            session: 0,
            attempts: 0,
            failures: 0,
            search_since: SimTime::ZERO,
            life: Life::NotStarted,
        }
    }

    /// True unless dead.
    pub fn is_alive(&self) -> bool {
        self.state != UserState::Dead
    }

    /// Schedule this slot's first life (called once at set-up).
    pub fn schedule_first(&mut self, out: &mut Out) {
        let p = out.params;
        let u = &p.scenario.users;
        let initial = u.initial.unwrap_or(u.count);
        let mut rng = out.rng(Purpose::FirstSpawn, &[]);
        if p.is_population_slot(self.slot) {
            // The population rule starts every later life (`Body::Spawn`).
            let initial = u.population.as_ref().map_or(0, |pop| pop.initial);
            if self.slot - p.population_start < initial {
                let delay = rng.below(u.spawn_spread.us().max(1));
                out.set_timer(Timer::Spawn, delay);
            }
        } else if p.is_arrival_slot(self.slot) {
            let delay = if self.slot - p.steady_slots < u.arrivals_initial {
                rng.below(u.spawn_spread.us().max(1))
            } else {
                rng.exponential(p.arrival_slot_gap_us)
            };
            out.set_timer(Timer::Spawn, delay);
        } else if self.slot < initial {
            let delay = rng.below(u.spawn_spread.us().max(1));
            out.set_timer(Timer::Spawn, delay);
        } else if self.slot < u.count {
            let delay = u.respawn_delay.sample(&mut rng);
            out.set_timer(Timer::Spawn, delay);
        } else if let Some(at) = p.next_active(self.slot, out.now()) {
            out.set_timer(Timer::Spawn, at.since(out.now()));
        }
    }

    /// Handle one of this user's timers.
    pub fn on_timer(&mut self, out: &mut Out, timer: Timer) -> Outcome {
        match timer {
            Timer::Spawn => self.spawn(out),
            Timer::Retry => {
                debug_assert_eq!(self.state, UserState::Backoff);
                (Kind::Retry, self.attempt(out))
            }
            Timer::AttemptTimeout => self.fail(out, Kind::AttemptTimeout),
            Timer::Lifespan => self.die(out, Death::Natural),
            Timer::Heartbeat => {
                let UserState::Connected { server, session } = self.state else {
                    unreachable!("heartbeat while not connected")
                };
                let p = out.params;
                out.send(p.layout.server(server), 0, Body::Ping { session });
                out.set_timer(Timer::PingTimeout, p.scenario.users.heartbeat_timeout.us());
                out.set_timer(Timer::Heartbeat, p.scenario.users.heartbeat_interval.us());
                (Kind::HeartbeatSent, server)
            }
            Timer::PingTimeout => {
                self.drop_connection(out);
                self.search_again(out, Kind::ServerLost)
            }
            other => unreachable!("user timer {other:?}"),
        }
    }

    /// Handle a message from `from`.
    pub fn on_message(&mut self, out: &mut Out, from: AgentId, body: Body) -> Outcome {
        let layout = out.params.layout;
        match body {
            Body::Accepted { session } => {
                let server = layout.server_idx(from).expect("accepts come from servers");
                match self.state {
                    UserState::Connecting { session: s, .. } if s == session => {
                        self.connected(out, server, session);
                        (Kind::Connected, from.0)
                    }
                    _ => {
                        // An answer to an attempt we gave up on: release it at once.
                        out.send(from, 0, Body::Leave { session });
                        (Kind::StaleAccept, server)
                    }
                }
            }
            Body::Rejected { session } => match self.state {
                UserState::Connecting { session: s, .. } if s == session => {
                    out.cancel_timer(Timer::AttemptTimeout);
                    self.fail(out, Kind::Rejected)
                }
                _ => (Kind::StaleReject, 0),
            },
            Body::Pong { session } => {
                if matches!(self.state, UserState::Connected { session: s, .. } if s == session) {
                    out.cancel_timer(Timer::PingTimeout);
                }
                (Kind::Pong, 0)
            }
            Body::NotConnected { session } => match self.state {
                UserState::Connected { session: s, .. } if s == session => {
                    self.drop_connection(out);
                    self.search_again(out, Kind::Disowned)
                }
                _ => (Kind::Pong, 0),
            },
            Body::Migrate { session, to } => {
                let current = match self.state {
                    UserState::Connected { session: s, server } => {
                        s == session && layout.server(server) == from
                    }
                    UserState::Connecting { session: s, .. } => s == session,
                    _ => false,
                };
                if !current {
                    return (Kind::StaleMigrate, 0);
                }
                // Release the old session (a no-op at the server if it never got there).
                out.send(from, 0, Body::Leave { session });
                self.stop_session_timers(out);
                out.stats.migrations += 1;
                self.search_since = out.now();
                let target = layout.server(to);
                self.connect_to(out, target, true);
                (Kind::Migrated, target.0)
            }
            Body::Perturb => match self.state {
                UserState::Connected { server, session } => {
                    out.send(layout.server(server), 0, Body::Leave { session });
                    self.stop_session_timers(out);
                    self.search_since = out.now();
                    self.failures = 0;
                    let wait = reconnect_after_us(out);
                    if wait == 0 {
                        (Kind::Perturbed, self.attempt(out))
                    } else {
                        // The original model's victim waits before searching again.
                        self.state = UserState::Backoff;
                        out.set_timer(Timer::Retry, wait);
                        (Kind::Perturbed, NONE)
                    }
                }
                _ => (Kind::PerturbNoop, 0),
            },
            Body::Spawn => {
                debug_assert!(out.params.is_population_slot(self.slot));
                debug_assert_eq!(self.state, UserState::Dead, "spawn into a live slot");
                self.spawn(out)
            }
            Body::Cull => {
                debug_assert!(self.is_alive(), "the population rule culls live users");
                self.die(out, Death::Culled)
            }
            other => unreachable!("user got {other:?}"),
        }
    }

    fn spawn(&mut self, out: &mut Out) -> Outcome {
        debug_assert_eq!(self.state, UserState::Dead);
        let p = out.params;
        let steady = !p.is_arrival_slot(self.slot) && !p.is_population_slot(self.slot);
        if steady && !p.slot_active(self.slot, out.now()) {
            if let Some(at) = p.next_active(self.slot, out.now()) {
                out.set_timer(Timer::Spawn, at.since(out.now()).max(1));
            }
            return (Kind::SlotIdle, 0);
        }
        self.generation += 1;
        self.attempts = 0;
        self.failures = 0;
        self.life = Life::NotStarted;
        self.search_since = out.now();
        out.stats.spawned += 1;
        (Kind::UserSpawn, self.attempt(out))
    }

    /// Send a connect to a server from the directory (or the coordinator); returns the
    /// target agent, or NONE when there is nobody to ask and the user backs off.
    fn attempt(&mut self, out: &mut Out) -> u32 {
        let target = if out.params.policy.is_centralized() {
            COORDINATOR
        } else if out.directory.is_empty() {
            self.back_off(out);
            return NONE;
        } else {
            let key = [u64::from(self.generation), u64::from(self.attempts)];
            let server = stable_pick(
                out.keyed(Purpose::PickServer, &key),
                out.directory,
                out.params.layout.max_servers,
            );
            out.params.layout.server(server)
        };
        self.connect_to(out, target, false);
        target.0
    }

    fn connect_to(&mut self, out: &mut Out, target: AgentId, direct: bool) {
        self.session += 1;
        self.attempts += 1;
        let session = self.session;
        self.state = UserState::Connecting { target, session };
        let body = Body::Connect {
            user: self.slot,
            session,
            hops: 0,
            direct,
        };
        out.send(target, 0, body);
        // One round trip at the worst latency, plus the configured patience. A delegated
        // request that takes longer is answered after the user gave up (a stale accept).
        let p = out.params;
        let timeout =
            p.scenario.users.attempt_timeout.us() + 2 * p.scenario.network.latency_max.us();
        out.set_timer(Timer::AttemptTimeout, timeout);
    }

    fn connected(&mut self, out: &mut Out, server: u32, session: u32) {
        out.cancel_timer(Timer::AttemptTimeout);
        self.state = UserState::Connected { server, session };
        self.failures = 0;
        out.stats.record_connect(out.now().since(self.search_since));
        let u = &out.params.scenario.users;
        let left = match self.life {
            Life::NotStarted => {
                let mut rng = out.rng(Purpose::Lifespan, &[u64::from(self.generation)]);
                Some(out.params.lifespan().sample(&mut rng).max(1))
            }
            Life::Paused(left) => Some(left),
            Life::Running(_) => None,
        };
        if let Some(left) = left {
            out.set_timer(Timer::Lifespan, left);
            self.life = Life::Running(out.now().plus(left));
        }
        let key = [u64::from(self.generation), u64::from(self.attempts)];
        let first_ping = out
            .rng(Purpose::FirstPing, &key)
            .between(1, u.heartbeat_interval.us());
        out.set_timer(Timer::Heartbeat, first_ping);
    }

    fn fail(&mut self, out: &mut Out, kind: Kind) -> Outcome {
        self.failures += 1;
        if self.failures > out.params.scenario.users.retries_max {
            out.stats.gave_up += 1;
            self.end_life(out);
            return (Kind::GaveUp, 0);
        }
        self.back_off(out);
        (kind, self.failures)
    }

    fn back_off(&mut self, out: &mut Out) {
        let u = &out.params.scenario.users;
        let exponent = self.failures.saturating_sub(1).min(32);
        let ceiling = u
            .backoff_base
            .us()
            .saturating_mul(1 << exponent)
            .min(u.backoff_max.us())
            .max(1);
        // "Equal jitter": half the delay fixed, half random, so retries spread out.
        let key = [u64::from(self.generation), u64::from(self.attempts)];
        let delay = ceiling / 2 + out.rng(Purpose::Backoff, &key).below(ceiling / 2 + 1);
        self.state = UserState::Backoff;
        out.set_timer(Timer::Retry, delay.max(1));
    }

    fn drop_connection(&mut self, out: &mut Out) {
        self.stop_session_timers(out);
        self.search_since = out.now();
        self.failures = 0;
    }

    fn search_again(&mut self, out: &mut Out, kind: Kind) -> Outcome {
        (kind, self.attempt(out))
    }

    fn stop_session_timers(&mut self, out: &mut Out) {
        out.cancel_timer(Timer::Heartbeat);
        out.cancel_timer(Timer::PingTimeout);
        if let (Life::Running(ends), LifespanClock::WhileConnected) =
            (self.life, out.params.scenario.users.lifespan_clock)
        {
            out.cancel_timer(Timer::Lifespan);
            self.life = Life::Paused(ends.since(out.now()).max(1));
        }
    }

    fn die(&mut self, out: &mut Out, how: Death) -> Outcome {
        match self.state {
            UserState::Connected { server, session } => {
                out.send(out.params.layout.server(server), 0, Body::Leave { session });
            }
            // A request still on its way may be accepted: the accept then finds this slot
            // dead or in a later session, and the user leaves again (a stale accept).
            UserState::Connecting { .. } | UserState::Backoff | UserState::Dead => {}
        }
        out.stats.deaths += 1;
        self.end_life(out);
        (Kind::Death, how as u32)
    }

    fn end_life(&mut self, out: &mut Out) {
        for timer in [
            Timer::Retry,
            Timer::AttemptTimeout,
            Timer::Lifespan,
            Timer::Heartbeat,
            Timer::PingTimeout,
        ] {
            out.cancel_timer(timer);
        }
        self.state = UserState::Dead;
        let p = out.params;
        if p.is_population_slot(self.slot) {
            // A new user is a new agent: the population rule decides when.
            return;
        }
        let mut rng = out.rng(Purpose::Respawn, &[u64::from(self.generation)]);
        let delay = if p.is_arrival_slot(self.slot) {
            rng.exponential(p.arrival_slot_gap_us)
        } else {
            p.scenario.users.respawn_delay.sample(&mut rng)
        };
        out.set_timer(Timer::Spawn, delay.max(1));
    }
}

/// How a user's life ended (the value of its `Death` record).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Death {
    /// Its lifespan ran out.
    Natural = 0,
    /// The population rule removed it (above `users.population.cap`).
    Culled = 1,
}

/// Most probes of [`stable_pick`] before it falls back to a plain uniform pick.
const PROBES_MAX: u64 = 64;

/// Pick a server from the sorted `directory`, uniformly, and stably: keyed probes into the
/// whole id space until one is listed. A server joining or leaving the directory changes
/// the pick only if it is one of the probes before the winner, so two branches whose
/// directories differ slightly still send most users to the same servers. Expected probes:
/// id space / listed servers (about 4 to 8 here), bounded by [`PROBES_MAX`].
fn stable_pick(draw: swarmlb_engine::KeyedDraw, directory: &[u32], id_space: u32) -> u32 {
    debug_assert!(directory.is_sorted());
    for probe in 0..PROBES_MAX {
        let candidate = draw.mix(probe) % u64::from(id_space);
        if let Ok(i) = directory.binary_search(&(candidate as u32)) {
            return directory[i];
        }
    }
    directory[draw.below(directory.len() as u64) as usize]
}

/// How long a perturbed user waits before searching again (`butterfly.reconnect_after`;
/// 0: at once, as after losing a server).
fn reconnect_after_us(out: &Out) -> u64 {
    out.params
        .scenario
        .butterfly
        .as_ref()
        .and_then(|b| b.reconnect_after)
        .map_or(0, |d| d.us())
}
