//! Queueing theory on fixed seeds: Little's law and the Erlang B formula.

use swarmlb_model::Summary;

use crate::{run, scenario};

/// One server of capacity `c`, Poisson arrivals at `rate` per second into many slots
/// (so busy slots barely thin the stream), exponential lifespans, no retries, no
/// heartbeats, 1 ms latency.
fn single_server(c: u32, rate: f64, mean_life_s: u64, hours: u64) -> (Summary, f64) {
    let overrides = [
        "servers.initial=1".to_string(),
        "servers.max_servers=1".to_string(),
        format!("servers.capacity={c}"),
        "servers.max_hops=0".to_string(),
        "users.count=0".to_string(),
        "users.diurnal.amplitude=0".to_string(),
        "users.arrival_slots=20000".to_string(),
        format!("users.arrival_rate={rate}"),
        format!("users.lifespan={{ dist = \"exponential\", mean = \"{mean_life_s}s\" }}"),
        "users.retries_max=0".to_string(),
        "users.heartbeat_interval=\"1000h\"".to_string(),
        "network.latency_min=\"1ms\"".to_string(),
        "network.latency_max=\"1ms\"".to_string(),
        "network.loss=0".to_string(),
        format!("duration=\"{hours}h\""),
        "sample_interval=\"1h\"".to_string(),
    ];
    let refs: Vec<&str> = overrides.iter().map(String::as_str).collect();
    let summary = run(scenario("default", &refs), 11).summary();
    (summary, mean_life_s as f64)
}

fn erlang_b(c: u32, offered: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| offered * b / (f64::from(k) + offered * b))
}

#[test]
fn erlang_b_and_littles_law_hold() {
    let (c, rate, life) = (10, 1.0, 8);
    let (s, mean_life) = single_server(c, rate, life, 60);
    let arrivals = s.spawned as f64;
    assert!(arrivals > 200_000.0, "{arrivals} arrivals");
    let rejected = s.gave_up as f64 / arrivals;
    let expected = erlang_b(c, rate * mean_life);
    assert!(
        (rejected / expected - 1.0).abs() < 0.02,
        "rejected fraction {rejected:.5}, Erlang B({c}, {}) = {expected:.5}",
        rate * mean_life
    );
    let accepted_rate = s.connects as f64 / s.simulated.as_secs_f64();
    let little = accepted_rate * mean_life;
    assert!(
        (s.users_connected_mean / little - 1.0).abs() < 0.02,
        "mean connected {:.3}, λ·W = {little:.3}",
        s.users_connected_mean
    );
}
