//! Invariants (the model's own checker) after every single event of random small
//! scenarios, and a checker that can fail.

use proptest::prelude::*;
use swarmlb_engine::Limits;
use swarmlb_model::invariants::Checked;
use swarmlb_model::server::ServerStatus;
use swarmlb_model::{Scenario, build};

/// Run `scenario` event by event with the model's own invariant checker.
fn run_checked(scenario: &Scenario, seed: u64) -> Result<u64, String> {
    Checked::new(&scenario.clone().with_seed(seed))
        .run_to_end()
        .map_err(|v| v.to_string())
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
        any::<u8>(),
    )
        .prop_map(
            |(
                (initial, capacity, extra_servers, users),
                (life_s, loss_per_mille, latency_ms, policy),
                (crash_s, partition, grace_s, pin),
                original,
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
                swarmlb_model::variants::apply(&mut sc, original);
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

/// Proptest's saved failure (proptest-regressions/invariants.txt), kept as a named test: two
/// servers of capacity 6 at their quota, no termination grace, 3% loss, a 7 ms attempt
/// time-out and a crash at 30 s, seed 32.
#[test]
fn regression_a_crash_at_the_quota_with_no_grace_keeps_every_invariant() {
    let text = r#"
        name = "prop"
        duration = "4m"
        [network]
        latency_max = "13ms"
        loss = 0.03
        directory_refresh = "10s"
        [servers]
        initial = 2
        capacity = 6
        max_servers = 2
        terminate_grace = "0s"
        scale_out_after = 1
        provisioning_delay = "3s"
        [users]
        count = 10
        spawn_spread = "5s"
        lifespan = { dist = "exponential", mean = "43s" }
        respawn_delay = { dist = "exponential", mean = "2s" }
        attempt_timeout = "7ms"
        retries_max = 3
        heartbeat_interval = "3s"
        [[crashes]]
        at = "30s"
        servers = [0]
    "#;
    let sc = Scenario::parse(text, "prop", &[]).unwrap();
    let events = run_checked(&sc, 32).unwrap();
    assert!(events > 1_000, "{events} events");
}

/// The original model's variants together (seed-classic with a crowd that forces
/// overflow and culls above a small cap, and a butterfly), checked after every event.
#[test]
fn invariants_hold_with_the_original_models_population_overflow_and_culls() {
    let sc = crate::scenario(
        "seed-classic",
        &[
            "duration=\"3m\"",
            "users.population.cap=15",
            "users.population.initial=10",
            r#"users.flash={at="1m", extra=60, duration="1s"}"#,
            "butterfly.at=\"90s\"",
        ],
    );
    let events = run_checked(&sc, 1).unwrap();
    assert!(events > 5_000, "{events} events");
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
    let mut sim = build(&sc.clone().with_seed(5));
    let end = sc.duration.time();
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

/// The checker bites: a world made inconsistent on purpose is reported.
#[test]
fn the_checker_reports_a_broken_world() {
    let sc = crate::scenario("seed-classic", &["duration=\"1m\""]);
    let mut checked = Checked::new(&sc);
    for _ in 0..2_000 {
        checked.step().unwrap();
    }
    checked.sim.model.tally.connected += 1;
    let v = checked.step().unwrap_err();
    assert!(v.what.contains("tally says"), "{v}");
    assert!(
        v.to_string()
            .starts_with("invariant violated after event 2001"),
        "{v}"
    );
    let mut checked = Checked::new(&sc);
    for _ in 0..2_000 {
        checked.step().unwrap();
    }
    checked.sim.model.stats.spawned += 1;
    assert!(
        checked
            .step()
            .unwrap_err()
            .what
            .contains("users not conserved")
    );
}
