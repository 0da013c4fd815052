//! The invariants that hold between any two events of any run, checkable at any time:
//! capacity, sessions accounted for, no user on two servers, users conserved, time
//! monotone, and the fold of the records equal to the live state. Used by the property
//! tests after every event, by `swarmlb run --check`, and by the model fuzz target.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use swarmlb_engine::{EventKey, Limits, SimTime, Simulation};

use crate::msg::{Body, Msg};
use crate::observe::Observed;
use crate::record::{Event, Kind};
use crate::scenario::Scenario;
use crate::user::UserState;
use crate::world::{World, build};

/// The first invariant that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Events handled before the check that failed (the index of the next event).
    pub events: u64,
    /// Simulated time of the last event.
    pub time: SimTime,
    /// The event after which it failed, if any.
    pub event: Option<Event>,
    /// What does not hold.
    pub what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invariant violated after event {} at t={}",
            self.events, self.time
        )?;
        if let Some(e) = &self.event {
            write!(
                f,
                " ({:?} {} -> {}, value {})",
                e.kind, e.source.0, e.target.0, e.value
            )?;
        }
        write!(f, ": {}", self.what)
    }
}

fn user_slot(layout: crate::ids::Layout, id: swarmlb_engine::AgentId) -> Option<u32> {
    match layout.agent(id) {
        crate::ids::Agent::User(slot) => Some(slot),
        _ => None,
    }
}

/// Check every invariant of the state between two events. The messages in flight are
/// read from the engine's queue: a session a server holds may be accepted (the user has
/// not heard yet) or left (the server has not heard yet).
pub fn check_state(sim: &Simulation<World>) -> Result<(), String> {
    let w = &sim.model;
    let layout = w.params.layout;
    // (server, user, session) of accepts and leaves on their way.
    let mut accepted = BTreeSet::new();
    let mut leaving = BTreeSet::new();
    for (key, msg) in sim.scheduler().messages_in_flight() {
        let msg: &Msg = msg;
        match msg.body {
            Body::Accepted { session } => {
                if let (Some(s), Some(u)) =
                    (layout.server_idx(key.source), user_slot(layout, key.target))
                {
                    accepted.insert((s, u, session));
                }
            }
            Body::Leave { session } => {
                if let (Some(s), Some(u)) =
                    (layout.server_idx(key.target), user_slot(layout, key.source))
                {
                    leaving.insert((s, u, session));
                }
            }
            _ => {}
        }
    }
    let mut seen = BTreeSet::new();
    for (idx, server) in w.servers.iter().enumerate() {
        let idx = idx as u32;
        if server.load() > w.params.capacity {
            return Err(format!("S{idx} above capacity: {}", server.load()));
        }
        if !server.status.is_running() {
            continue;
        }
        for &(user, session) in &server.sessions {
            if !seen.insert((user, session)) {
                return Err(format!("U{user} session {session} held by two servers"));
            }
            let connected_here = w.users[user as usize].state
                == UserState::Connected {
                    server: idx,
                    session,
                };
            let key = (idx, user, session);
            if !(connected_here || accepted.contains(&key) || leaving.contains(&key)) {
                return Err(format!(
                    "S{idx} holds U{user}/{session}, which is neither connected, accepted nor leaving"
                ));
            }
        }
    }
    let mut connected = 0;
    for (slot, user) in w.users.iter().enumerate() {
        if let UserState::Connected { server, session } = user.state {
            connected += 1;
            let s = &w.servers[server as usize];
            if s.status.is_running() && !s.sessions.contains(&(slot as u32, session)) {
                return Err(format!(
                    "U{slot} connected to S{server}, which does not hold it"
                ));
            }
        }
    }
    if connected != w.tally.connected {
        return Err(format!(
            "tally says {} connected, agents say {connected}",
            w.tally.connected
        ));
    }
    let alive = w.users_alive() as u64;
    let s = &w.stats;
    if s.spawned != alive + s.deaths + s.gave_up {
        return Err(format!(
            "users not conserved: spawned {} != alive {alive} + died {} + gave up {}",
            s.spawned, s.deaths, s.gave_up
        ));
    }
    Ok(())
}

/// Runs a simulation one event at a time and checks every invariant after each: the
/// state, time never going back, and the fold of the records so far equal to the live
/// observable state.
pub struct Checked {
    /// The simulation.
    pub sim: Simulation<World>,
    folded: Observed,
    last_time: SimTime,
    end: SimTime,
}

impl Checked {
    /// Build `scenario` (with its seed), to run until its duration.
    pub fn new(scenario: &Scenario) -> Checked {
        let sim = build(scenario);
        let folded = Observed::new(sim.model.params.layout);
        Checked {
            sim,
            folded,
            last_time: SimTime::ZERO,
            end: scenario.duration.time(),
        }
    }

    /// Handle one event and check; `Ok(None)` at the end of the run.
    pub fn step(&mut self) -> Result<Option<Event>, Violation> {
        let mut event = None;
        let limits = Limits {
            until: self.end,
            events_max: self.sim.events_total() + 1,
        };
        self.sim.run(limits, &mut |key: &EventKey,
                                   rec: &(Kind, u32),
                                   _: &World| {
            event = Some(Event {
                time: key.time,
                source: key.source,
                target: key.target,
                kind: rec.0,
                value: rec.1,
            });
            ControlFlow::Continue(())
        });
        let Some(event) = event else {
            return Ok(None);
        };
        let fail = |what: String| Violation {
            events: self.sim.events_total(),
            time: event.time,
            event: Some(event),
            what,
        };
        if event.time < self.last_time {
            return Err(fail(format!("time went back from {}", self.last_time)));
        }
        self.last_time = event.time;
        check_state(&self.sim).map_err(fail)?;
        self.folded.apply(&event);
        if self.folded != Observed::of_world(&self.sim.model) {
            return Err(fail(
                "the fold of the records differs from the live state".into(),
            ));
        }
        Ok(Some(event))
    }

    /// Run to the end, checking after every event; returns the events handled.
    pub fn run_to_end(&mut self) -> Result<u64, Violation> {
        while self.step()?.is_some() {}
        Ok(self.sim.events_total())
    }
}
