//! Known answers: load statistics, agent names, the CSV row, durations and the slot rules
//! on hand-worked inputs, and the summaries and record counts of eight short runs pinned
//! by snapshot (any change of behaviour, however small, changes one of them; update them
//! with `INSTA_UPDATE=always` only when the change is meant, together with the golden
//! traces).

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::Observed;
use swarmlb_model::metrics::{SAMPLE_CSV_HEADER, Sample, Stats, load_stats};
use swarmlb_model::msg::Body;
use swarmlb_model::params::Params;
use swarmlb_model::scenario::Dur;

use crate::{run, scenario};

#[test]
fn load_stats_on_hand_worked_loads() {
    assert_eq!(load_stats(&[]), (0, 0.0, 0.0, 1.0));
    assert_eq!(load_stats(&[0, 0]), (0, 0.0, 0.0, 1.0));
    assert_eq!(load_stats(&[4, 4, 4, 4]), (4, 4.0, 0.0, 1.0));
    // [1, 3]: mean 2, variance (1 + 9) / 2 - 4 = 1, CoV 1/2, Jain 16 / (2 * 10).
    assert_eq!(load_stats(&[1, 3]), (3, 2.0, 0.5, 0.8));
    // [0, 6, 0]: mean 2, variance 36 / 3 - 4 = 8, CoV sqrt(8) / 2, Jain 36 / (3 * 36).
    let (max, mean, cov, jain) = load_stats(&[0, 6, 0]);
    assert_eq!((max, mean), (6, 2.0));
    assert!((cov - 8f64.sqrt() / 2.0).abs() < 1e-12, "{cov}");
    assert!((jain - 1.0 / 3.0).abs() < 1e-12, "{jain}");
}

#[test]
fn agent_names_parse_back_and_out_of_range_names_do_not() {
    let layout = Params::new(&scenario("default", &[])).layout;
    for i in 0..layout.n_agents() as u32 {
        let name = layout.agent(AgentId(i)).to_string();
        assert_eq!(layout.parse(&name), Some(AgentId(i)), "{name}");
    }
    let last_server = format!("S{}", layout.max_servers - 1);
    assert_eq!(
        layout.parse(&last_server),
        Some(layout.server(layout.max_servers - 1))
    );
    let last_user = format!("U{}", layout.n_users - 1);
    assert_eq!(
        layout.parse(&last_user),
        Some(layout.user(layout.n_users - 1))
    );
    let past = [
        format!("S{}", layout.max_servers),
        format!("U{}", layout.n_users),
    ];
    for bad in [
        "", "S", "U", "P1", "E0", "C ", "X1", "S-1", "u3", &past[0], &past[1],
    ] {
        assert_eq!(layout.parse(bad), None, "{bad:?}");
    }
}

#[test]
fn a_sample_row_has_fixed_precision_in_header_order() {
    let sample = Sample {
        time: SimTime(90_500_000),
        servers_alive: 3,
        users_connected: 25,
        users_searching: 2,
        load_max: 10,
        load_mean: 8.333_333,
        load_cov: 0.2,
        jain: 0.96,
        utilization: 0.833_333,
        messages: 1234,
        migrations: 5,
        rejections: 1,
    };
    assert_eq!(
        sample.csv_row(),
        "90.500000,3,25,2,10,8.3333,0.2000,0.9600,0.8333,1234,5,1"
    );
    assert_eq!(
        SAMPLE_CSV_HEADER.split(',').count(),
        sample.csv_row().split(',').count()
    );
}

#[test]
fn messages_are_counted_per_body_and_heartbeats_apart() {
    let mut stats = Stats::default();
    stats.count_message(&Body::Cull);
    stats.count_message(&Body::Ping { session: 1 });
    stats.count_message(&Body::Ping { session: 2 });
    assert_eq!(stats.messages[Body::Cull.code()], 1);
    assert_eq!(stats.messages[Body::Ping { session: 0 }.code()], 2);
    assert_eq!(stats.messages_total(), 3);
    assert_eq!(stats.heartbeats, 2);
}

/// A flash crowd's slot is active from its start (inclusive) to its end (exclusive);
/// slots past `extra` never are; steady slots always are without a diurnal cycle.
#[test]
fn flash_slots_are_active_exactly_in_their_window() {
    let sc = scenario(
        "flash-crowd",
        &[r#"users.flash={at="60s", extra=5, duration="10s"}"#],
    );
    assert!(sc.users.diurnal.is_none());
    let params = Params::new(&sc);
    let count = sc.users.count;
    let (start, end) = (SimTime::from_secs(60), SimTime::from_secs(70));
    let before = |t: SimTime| SimTime(t.0 - 1);
    for slot in count..count + 5 {
        assert!(!params.slot_active(slot, before(start)), "slot {slot}");
        assert!(params.slot_active(slot, start), "slot {slot}");
        assert!(params.slot_active(slot, before(end)), "slot {slot}");
        assert!(!params.slot_active(slot, end), "slot {slot}");
    }
    assert!(!params.slot_active(count + 5, start));
    assert!(params.slot_active(0, start) && params.slot_active(count - 1, end));
    // A 10 s ramp: the j-th of 5 arrives 2j s after the start.
    let ramped = scenario(
        "flash-crowd",
        &[r#"users.flash={at="60s", extra=5, ramp="10s", duration="20s"}"#],
    );
    let params = Params::new(&ramped);
    for j in 0..5 {
        let arrives = SimTime::from_secs(60 + 2 * u64::from(j));
        assert!(!params.slot_active(count + j, before(arrives)), "slot {j}");
        assert!(params.slot_active(count + j, arrives), "slot {j}");
        assert_eq!(params.next_active(count + j, start), Some(arrives));
    }
}

/// The daily cycle: 800 users ± 50% over 30 minutes are 1,200 at a quarter period and
/// 400 at three quarters.
#[test]
fn the_daily_cycle_peaks_and_dips_where_the_sine_does() {
    let sc = scenario("default", &[]);
    let d = sc
        .users
        .diurnal
        .as_ref()
        .expect("default has a daily cycle");
    assert_eq!(
        (sc.users.count, d.amplitude, d.period.us()),
        (800, 0.5, 1_800_000_000)
    );
    let params = Params::new(&sc);
    let (peak, dip) = (SimTime::from_secs(450), SimTime::from_secs(1350));
    assert!(params.slot_active(1199, peak) && !params.slot_active(1200, peak));
    assert!(params.slot_active(399, dip) && !params.slot_active(400, dip));
    assert!(params.slot_active(799, SimTime::ZERO) && !params.slot_active(800, SimTime::ZERO));
}

#[test]
fn messages_per_connection_with_and_without_heartbeats() {
    let mut summary = run(scenario("seed-classic", &["duration=\"1m\""]), 1).summary();
    (summary.messages, summary.heartbeats, summary.connects) = (1000, 400, 8);
    assert_eq!(summary.messages_per_connection(), 125.0);
    assert_eq!(summary.messages_per_connection_without_heartbeats(), 75.0);
    summary.connects = 0;
    assert_eq!(summary.messages_per_connection(), 1000.0);
    // The orphans row appears only when a crash left orphans.
    let orphans_row = |s: &swarmlb_model::Summary| {
        s.rows()
            .iter()
            .any(|(label, _)| *label == "orphans reconnected / max wait")
    };
    assert!(!orphans_row(&summary));
    (summary.orphans, summary.orphans_reconnected) = (3, 2);
    summary.orphan_reconnect_us_max = 1_250_000;
    assert!(orphans_row(&summary));
    let row = summary
        .rows()
        .into_iter()
        .find(|r| r.0.starts_with("orphans"));
    assert_eq!(row.unwrap().1, "2 of 3 / 1.25 s");
}

/// Short runs, each summary and count of records by kind pinned: the default scenario, the original model's variants
/// with a butterfly, a coordinator under loss and crashes, a partition, a coordinator
/// crash, the loss of three servers in four, a crowd that makes the original model's
/// servers overflow to new ones, and a crowd routed by a coordinator past the servers'
/// high watermarks.
#[test]
fn summaries_of_short_runs_are_pinned() {
    let runs = [
        ("default", vec!["duration=\"5m\""], 1),
        ("seed-classic", vec!["duration=\"5m\""], 2),
        (
            "default",
            vec![
                "duration=\"3m\"",
                "policy=\"power-of-two\"",
                "network.loss=0.05",
                "crashes=[{ at = \"1m\", servers = [0, 3] }]",
            ],
            3,
        ),
        (
            "partition",
            vec![
                "duration=\"3m\"",
                "partitions=[{ at = \"1m\", duration = \"1m\", servers = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }]",
            ],
            4,
        ),
        (
            "coordinator-crash",
            vec!["duration=\"2m\"", "coordinator.crash_at=\"1m\""],
            5,
        ),
        (
            "node-loss",
            vec![
                "duration=\"3m\"",
                "crashes=[{ at = \"1m\", servers = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14] }]",
            ],
            6,
        ),
        (
            "seed-classic",
            vec![
                "duration=\"2m\"",
                r#"users.flash={at="30s", extra=60, duration="1s"}"#,
            ],
            7,
        ),
        (
            "flash-crowd",
            vec![
                "duration=\"2m\"",
                "policy=\"least-connections\"",
                r#"users.flash={at="30s", extra=1200, ramp="10s", duration="1m"}"#,
            ],
            8,
        ),
    ];
    for (i, (name, overrides, seed)) in runs.into_iter().enumerate() {
        let mut sc = scenario(name, &overrides);
        if i == 1 {
            sc = sc.perturbed_at(Dur(SimTime::from_secs(90).0), None);
        }
        let mut runner = swarmlb_model::run::Runner::new(&sc.with_seed(seed));
        let records = crate::count_records(&mut runner, |_| {});
        let summary = runner.summary();
        insta::assert_snapshot!(
            format!("run_{i}_{name}"),
            format!("{summary:#?}\nrecords by kind: {records:#?}")
        );
    }
}

/// The observed state (what a trace folds to) counts what the world holds: the running
/// servers' loads in server order and the users connected.
#[test]
fn the_observed_state_counts_what_the_world_holds() {
    let runner = run(scenario("default", &["duration=\"5m\""]), 1);
    let world = &runner.sim.model;
    let observed = Observed::of_world(world);
    let sample = world.sample(runner.sim.now());
    assert!(sample.users_connected > 100, "{sample:?}");
    assert_eq!(observed.users_connected(), sample.users_connected);
    assert_eq!(observed.servers_running(), sample.servers_alive);
    let loads = observed.running_loads();
    assert_eq!(
        load_stats(&loads),
        (
            sample.load_max,
            sample.load_mean,
            sample.load_cov,
            sample.jain
        )
    );
    let running: Vec<u32> = world
        .servers
        .iter()
        .filter(|s| s.status.is_running())
        .map(|s| s.load())
        .collect();
    assert_eq!(loads, running);
    // Per server index, 0 where none runs.
    let by_index: Vec<u32> = world
        .servers
        .iter()
        .map(|s| if s.status.is_running() { s.load() } else { 0 })
        .collect();
    assert_eq!(observed.loads().collect::<Vec<_>>(), by_index);
}

/// A summary before any event: no events, nothing simulated, and a mean of 0 (not 0/0).
#[test]
fn a_summary_before_the_first_event_is_all_zero() {
    let runner = swarmlb_model::run::Runner::new(&scenario("default", &[]));
    let summary = runner.summary();
    assert_eq!((summary.events, summary.simulated), (0, SimTime::ZERO));
    assert_eq!(summary.users_connected_mean, 0.0);
}

/// Durations: the constructors, the text form, and the numbers a deserializer may hand
/// over (TOML gives i64 seconds; other formats give u64 or f64 seconds).
#[test]
fn durations_from_text_and_from_numbers() {
    use serde::Deserialize;
    use serde::de::value::{Error, F64Deserializer, I64Deserializer, U64Deserializer};
    assert_eq!(Dur::millis(3).us(), 3_000);
    assert_eq!(Dur::secs(3).us(), 3_000_000);
    assert_eq!("1h30m".parse::<Dur>().unwrap(), Dur::secs(5_400));
    assert_eq!("250ms".parse::<Dur>().unwrap(), Dur::millis(250));
    assert!("ten seconds".parse::<Dur>().is_err());
    let from_u64 = |v: u64| Dur::deserialize(U64Deserializer::<Error>::new(v));
    let from_i64 = |v: i64| Dur::deserialize(I64Deserializer::<Error>::new(v));
    let from_f64 = |v: f64| Dur::deserialize(F64Deserializer::<Error>::new(v));
    assert_eq!(from_u64(90).unwrap(), Dur::secs(90));
    assert!(from_u64(u64::MAX).is_err());
    assert!(from_i64(-1).is_err());
    assert_eq!(from_f64(1.5).unwrap(), Dur::millis(1_500));
    let year = 366 * 24 * 3600;
    assert_eq!(from_f64(year as f64).unwrap(), Dur::secs(year));
    assert!(from_f64(year as f64 + 1.0).is_err());
    assert!(from_f64(-0.5).is_err() && from_f64(f64::NAN).is_err());
    assert!(from_u64(year + 1).is_err());
}

/// With every server crashed and none allowed to start, samples say 0 servers and a
/// utilization of 0 (not 0/0).
#[test]
fn a_world_without_servers_samples_zero_utilization() {
    let sc = scenario(
        "default",
        &[
            "duration=\"30s\"",
            "servers.initial=2",
            "servers.max_servers=2",
            "crashes=[{ at = \"10s\", servers = [0, 1] }]",
        ],
    );
    let mut runner = swarmlb_model::run::Runner::new(&sc);
    let mut last = None;
    runner.run_to_end(&mut (), |s| {
        assert!(s.utilization.is_finite(), "{s:?}");
        last = Some(s.clone());
        std::ops::ControlFlow::Continue(())
    });
    let last = last.expect("samples");
    assert_eq!((last.servers_alive, last.utilization), (0, 0.0), "{last:?}");
}

/// `variants::apply` switches on the variant each bit names, with the values its
/// documentation gives, and no bits change nothing.
#[test]
fn variant_bits_switch_on_exactly_their_variants() {
    use swarmlb_model::scenario::{HandoffStyle, LifespanClock, Overflow, PullStyle, VictimPick};
    let base = scenario("default", &["duration=\"10m\""]);
    let with = |bits: u8| {
        let mut sc = base.clone();
        swarmlb_model::variants::apply(&mut sc, bits);
        sc
    };
    assert_eq!(with(0), base);
    assert_eq!(with(1).servers.pull, PullStyle::Classic);
    assert_eq!(with(2).servers.handoff, HandoffStyle::Spread);
    assert_eq!(with(4).servers.overflow, Overflow::ScaleOut);
    assert_eq!(with(4).servers.provisioning_delay, Dur::millis(10));
    // Patience for a provisioned server: 10 ms plus (max_hops + 2) latencies, at least.
    let answer = 10_000 + u64::from(base.servers.max_hops + 2) * base.network.latency_max.us();
    assert!(with(4).users.attempt_timeout.us() > answer);
    assert_eq!(with(8).users.lifespan_clock, LifespanClock::WhileConnected);
    let population = with(16).users.population.expect("bit 4");
    let cap = 1 + base.users.count / 2;
    assert_eq!(
        (population.cap, population.initial, population.floor),
        (cap, cap / 2, cap / 3)
    );
    let butterfly = with(32).butterfly.expect("bit 5");
    assert_eq!(butterfly.at, Some(Dur::secs(300)));
    assert_eq!(butterfly.victim, VictimPick::ServerThenUser);
    assert_eq!(with(64).servers.terminate_grace, Dur::secs(0));
    for bit in 0..7 {
        let one = with(1 << bit);
        assert_ne!(one, base, "bit {bit} changes nothing");
    }
}
