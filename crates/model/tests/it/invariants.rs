//! Invariants checked after every single event of random small scenarios.

use proptest::prelude::*;
use swarmlb_engine::{Limits, Payload, SimTime, Simulation};
use swarmlb_model::msg::{Body, Msg, Timer};
use swarmlb_model::record::Event;
use swarmlb_model::server::ServerStatus;
use swarmlb_model::user::UserState;
use swarmlb_model::{Layout, Observed, Scenario, World, build};

/// Everything that must hold between any two events.
fn check(sim: &Simulation<World>) -> Result<(), String> {
    let w = &sim.model;
    let layout = w.params.layout;
    let in_flight: Vec<(u32, u32, &Body)> = sim
        .scheduler()
        .messages_in_flight()
        .map(|(k, m): (_, &Msg)| (k.source.0, k.target.0, &m.body))
        .collect();
    let accept_in_flight = |server: u32, user: u32, session: u32| {
        in_flight.iter().any(|&(s, t, b)| {
            s == layout.server(server).0
                && t == layout.user(user).0
                && *b == Body::Accepted { session }
        })
    };
    let leave_in_flight = |server: u32, user: u32, session: u32| {
        in_flight.iter().any(|&(s, t, b)| {
            s == layout.user(user).0
                && t == layout.server(server).0
                && *b == Body::Leave { session }
        })
    };
    let mut seen = std::collections::BTreeSet::new();
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
            if !(connected_here
                || accept_in_flight(idx, user, session)
                || leave_in_flight(idx, user, session))
            {
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

/// Run `scenario` event by event, checking the invariants, the clock and the fold.
fn run_checked(scenario: &Scenario, seed: u64) -> Result<u64, String> {
    let mut sim = build(scenario, seed);
    let layout: Layout = sim.model.params.layout;
    let mut folded = Observed::new(layout);
    let end = SimTime(scenario.duration.us());
    let mut last_time = SimTime::ZERO;
    loop {
        let mut event = None;
        let limits = Limits {
            until: end,
            events_max: sim.events_total() + 1,
        };
        sim.run(limits, &mut |key: &swarmlb_engine::EventKey,
                              rec: &(swarmlb_model::Kind, u32),
                              _: &World| {
            event = Some(Event {
                time: key.time,
                source: key.source,
                target: key.target,
                kind: rec.0,
                value: rec.1,
            });
            std::ops::ControlFlow::Continue(())
        });
        let Some(event) = event else { break };
        if event.time < last_time {
            return Err(format!("time went back: {} after {last_time}", event.time));
        }
        last_time = event.time;
        check(&sim).map_err(|e| format!("after event {} ({event:?}): {e}", sim.events_total()))?;
        folded.apply(&event);
        let live = Observed::of_world(&sim.model);
        if folded != live {
            return Err(format!(
                "fold differs from live state after event {} ({event:?})",
                sim.events_total()
            ));
        }
    }
    // Silence unused warnings for the timer type: every timer is one of ours.
    let _ = Payload::<Msg, Timer>::Timer(Timer::Spawn);
    Ok(sim.events_total())
}

fn small_scenario() -> impl Strategy<Value = Scenario> {
    (
        (1u32..5, 1u32..9, 0u32..4, 1u32..40),
        (5u64..90, 0u32..200, 1u64..400, 0usize..5),
        (
            0u64..240,
            proptest::option::of((0u64..240, 0u32..6)),
            0u64..3,
            0usize..2,
        ),
    )
        .prop_map(
            |(
                (initial, capacity, extra_servers, users),
                (life_s, loss_per_mille, latency_ms, policy),
                (crash_s, partition, grace_s, pin),
            )| {
                let mut sc = Scenario {
                    name: "prop".into(),
                    duration: swarmlb_model::scenario::Dur::secs(240),
                    ..Scenario::default()
                };
                sc.servers.initial = initial;
                sc.servers.capacity = capacity;
                sc.servers.max_servers = initial + extra_servers;
                sc.servers.terminate_grace = swarmlb_model::scenario::Dur::secs(grace_s * 5);
                sc.servers.provisioning_delay = swarmlb_model::scenario::Dur::secs(3);
                sc.servers.scale_out_after = 1;
                sc.users.count = users;
                sc.users.spawn_spread = swarmlb_model::scenario::Dur::secs(5);
                sc.users.lifespan = swarmlb_model::scenario::Dist::exponential(
                    swarmlb_model::scenario::Dur::secs(life_s),
                );
                sc.users.respawn_delay = swarmlb_model::scenario::Dist::exponential(
                    swarmlb_model::scenario::Dur::secs(2),
                );
                sc.users.heartbeat_interval = swarmlb_model::scenario::Dur::secs(3);
                sc.users.retries_max = 3;
                // Short patience against long latencies: answers often arrive too late.
                sc.users.attempt_timeout = swarmlb_model::scenario::Dur::millis(latency_ms / 2 + 1);
                sc.network.loss = f64::from(loss_per_mille) / 1000.0;
                sc.network.latency_max = swarmlb_model::scenario::Dur::millis(latency_ms);
                sc.network.directory_refresh = swarmlb_model::scenario::Dur::secs(10);
                sc.policy = swarmlb_model::Policy::ALL[policy];
                sc.crashes = vec![swarmlb_model::scenario::Crash {
                    at: swarmlb_model::scenario::Dur::secs(crash_s),
                    servers: vec![0],
                }];
                if let Some((at, count)) = partition {
                    sc.partitions = vec![swarmlb_model::scenario::Partition {
                        at: swarmlb_model::scenario::Dur::secs(at),
                        duration: swarmlb_model::scenario::Dur::secs(30),
                        servers: (0..count.min(initial)).collect(),
                    }];
                }
                if pin == 1 {
                    sc.coordinator.crash_at = Some(swarmlb_model::scenario::Dur::secs(crash_s / 2));
                }
                sc.validate().expect("generated scenarios are valid");
                sc
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_event(sc in small_scenario(), seed in 0u64..1_000) {
        if let Err(e) = run_checked(&sc, seed) {
            return Err(TestCaseError::fail(format!("{e}\nreproduce with seed {seed} and scenario:\n{}", sc.to_toml())));
        }
    }
}

#[test]
fn invariants_hold_on_builtin_seed_classic() {
    let sc = crate::scenario("seed-classic", &["duration=\"5m\"", "network.loss=0.05"]);
    let events = run_checked(&sc, 3).unwrap();
    assert!(events > 10_000);
}

#[test]
fn at_least_one_server_always_runs_without_crashes() {
    // Idle servers hand off and terminate, but never the last one.
    let sc = crate::scenario(
        "default",
        &[
            "users.count=20",
            "users.diurnal.amplitude=0",
            "duration=\"20m\"",
        ],
    );
    let mut sim = build(&sc, 5);
    let end = SimTime(sc.duration.us());
    while sim
        .run(
            Limits {
                until: end,
                events_max: sim.events_total() + 500,
            },
            &mut (),
        )
        .events
        > 0
    {
        let running = sim
            .model
            .servers
            .iter()
            .filter(|s| s.status.is_running() && s.status != ServerStatus::Draining)
            .count();
        assert!(running >= 1, "no server left at {}", sim.now());
    }
    assert!(
        sim.model.servers_running() <= 3,
        "20 users need one server, {} still run",
        sim.model.servers_running()
    );
}
