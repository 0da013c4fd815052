//! Driving a run: step the simulation from one sample time to the next, and fold the
//! samples and counters into the run's [`Summary`].

use std::fmt;
use std::ops::ControlFlow;

use swarmlb_engine::{Limits, Observer, SimTime, Simulation, StopReason};

use crate::metrics::Sample;
use crate::observe::Observed;
use crate::scenario::Scenario;
use crate::world::{World, build};

/// After a crash, the run has recovered once this share (per cent) of the users connected
/// just before it are connected again.
const RECOVERED_PERCENT: u64 = 95;

/// A run in progress, advanced one sample interval at a time.
pub struct Runner {
    /// The simulation.
    pub sim: Simulation<World>,
    next_sample: SimTime,
    acc: Accumulator,
    stopped_early: bool,
}

#[derive(Default)]
struct Accumulator {
    samples: u64,
    servers_start: u32,
    servers_max: u32,
    load_max: u32,
    load_mean_sum: f64,
    load_cov_sum: f64,
    jain_sum: f64,
    recovery: Vec<(SimTime, u32, Option<SimTime>)>,
    last: Option<Sample>,
    server_us: u128,
    gave_up_at_coordinator_crash: Option<u64>,
}

impl Runner {
    /// Build the simulation of `scenario` (overrides applied), run with its `seed`.
    pub fn new(scenario: &Scenario) -> Runner {
        Runner {
            sim: build(scenario),
            next_sample: SimTime::ZERO,
            acc: Accumulator::default(),
            stopped_early: false,
        }
    }

    /// The scenario being run (its `seed` is the run's).
    pub fn scenario(&self) -> &Scenario {
        &self.sim.model.params.scenario
    }

    /// The simulated end time: the scenario's duration.
    pub fn end(&self) -> SimTime {
        self.scenario().duration.time()
    }

    /// Run to the next sample time and take the sample; `None` once the run is over.
    /// The observer sees every event; if it breaks, the run ends after this step.
    pub fn step(&mut self, observer: &mut impl Observer<World>) -> Option<Sample> {
        let end = self.end();
        if self.stopped_early || self.next_sample > end {
            return None;
        }
        let at = self.next_sample;
        // A sample at `t` sees every event at or before `t`.
        let outcome = self.sim.run(Limits::until(at.plus(1)), observer);
        if outcome.reason == StopReason::Observer {
            self.stopped_early = true;
        }
        let sample = self.sim.model.sample(at);
        self.absorb(&sample);
        let interval = self.scenario().sample_interval.us();
        self.next_sample = if at == end {
            SimTime::MAX
        } else {
            at.plus(interval).min(end)
        };
        Some(sample)
    }

    /// Run to the end (or until the observer stops it), calling `on_sample` per sample.
    pub fn run_to_end(
        &mut self,
        observer: &mut impl Observer<World>,
        mut on_sample: impl FnMut(&Sample) -> ControlFlow<()>,
    ) {
        while let Some(sample) = self.step(observer) {
            if on_sample(&sample).is_break() {
                self.stopped_early = true;
                break;
            }
        }
    }

    /// True if the run was stopped before its end.
    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }

    fn absorb(&mut self, s: &Sample) {
        let gave_up = self.sim.model.stats.gave_up;
        let scenario = &self.sim.model.params.scenario;
        let coordinator_crash = scenario.coordinator.crash_at;
        let a = &mut self.acc;
        if let Some(last) = &a.last {
            a.server_us += u128::from(last.servers_alive) * u128::from(s.time.since(last.time));
        }
        if let Some(at) = coordinator_crash
            && a.gave_up_at_coordinator_crash.is_none()
            && s.time.0 >= at.us()
        {
            a.gave_up_at_coordinator_crash = Some(gave_up);
        }
        if a.samples == 0 {
            a.servers_start = s.servers_alive;
        }
        a.samples += 1;
        a.servers_max = a.servers_max.max(s.servers_alive);
        a.load_max = a.load_max.max(s.load_max);
        a.load_mean_sum += s.load_mean;
        a.load_cov_sum += s.load_cov;
        a.jain_sum += s.jain;
        // Recovery after each crash: from the crash to the first sample with at least
        // 95% of the users connected just before it.
        let crashes = &scenario.crashes;
        for c in crashes {
            let at = c.at.time();
            if let Some(last) = &a.last
                && last.time <= at
                && s.time > at
                && !a.recovery.iter().any(|(t, _, _)| *t == at)
            {
                a.recovery.push((at, last.users_connected, None));
            }
        }
        for (_, before, recovered) in a.recovery.iter_mut() {
            if recovered.is_none()
                && u64::from(s.users_connected) * 100 >= u64::from(*before) * RECOVERED_PERCENT
            {
                *recovered = Some(s.time);
            }
        }
        a.last = Some(s.clone());
    }

    /// The summary of the run so far.
    pub fn summary(&self) -> Summary {
        let w = &self.sim.model;
        let a = &self.acc;
        let n = a.samples.max(1) as f64;
        let ttc = &w.stats.time_to_connect;
        let elapsed = self
            .sim
            .now()
            .max(a.last.as_ref().map_or(SimTime::ZERO, |s| s.time));
        let connected_mean = if elapsed.0 > 0 {
            (w.tally.connected_area as f64) / elapsed.0 as f64
        } else {
            0.0
        };
        let recovery_us = a
            .recovery
            .iter()
            .map(|(at, _, done)| done.map(|t| t.since(*at)))
            .collect();
        Summary {
            scenario: self.scenario().name.clone(),
            policy: self.scenario().policy.name(),
            seed: self.scenario().seed,
            simulated: elapsed,
            events: self.sim.events_total(),
            servers_start: a.servers_start,
            servers_end: w.servers_running(),
            servers_max: a.servers_max,
            users_alive_end: w.users_alive(),
            users_connected_end: w.tally.connected,
            users_connected_mean: connected_mean,
            load_max: a.load_max,
            load_mean: a.load_mean_sum / n,
            load_cov: a.load_cov_sum / n,
            jain: a.jain_sum / n,
            spawned: w.stats.spawned,
            deaths: w.stats.deaths,
            gave_up: w.stats.gave_up,
            connects: w.stats.connects,
            accepts: w.stats.accepts,
            rejections: w.stats.rejections,
            migrations: w.stats.migrations,
            pulls: w.stats.pulls,
            handoffs: w.stats.handoffs,
            terminations: w.stats.terminations,
            scale_outs: w.stats.scale_outs,
            messages: w.stats.messages_total(),
            heartbeats: w.stats.heartbeats,
            delegations: w.stats.delegations,
            messages_lost: w.stats.messages_lost,
            ttc_p50_us: ttc.quantile(0.5),
            ttc_p99_us: ttc.quantile(0.99),
            ttc_mean_us: ttc.mean(),
            server_seconds: (a.server_us / 1_000_000) as u64,
            refused_after_coordinator_crash: a
                .gave_up_at_coordinator_crash
                .map(|before| w.stats.gave_up - before),
            recovery_us,
            orphans: w.tally.orphans_total,
            orphans_reconnected: w.tally.orphans_reconnected,
            orphan_reconnect_us_max: w.tally.orphan_reconnect_us_max,
            state_hash: Observed::of_world(w).hash(),
        }
    }
}

/// The figures of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Policy name.
    pub policy: &'static str,
    /// Master seed.
    pub seed: u64,
    /// Simulated time covered.
    pub simulated: SimTime,
    /// Events handled.
    pub events: u64,
    /// Servers running at the first sample.
    pub servers_start: u32,
    /// Servers running at the end.
    pub servers_end: u32,
    /// Most servers running at a sample.
    pub servers_max: u32,
    /// Users alive at the end.
    pub users_alive_end: u32,
    /// Users connected at the end.
    pub users_connected_end: u32,
    /// Time-average of users connected.
    pub users_connected_mean: f64,
    /// Largest load seen at a sample.
    pub load_max: u32,
    /// Mean load of running servers, averaged over samples.
    pub load_mean: f64,
    /// Coefficient of variation of loads, averaged over samples.
    pub load_cov: f64,
    /// Jain's fairness index, averaged over samples.
    pub jain: f64,
    /// Users spawned.
    pub spawned: u64,
    /// Users that died of old age.
    pub deaths: u64,
    /// Users that gave up.
    pub gave_up: u64,
    /// Successful connections.
    pub connects: u64,
    /// Accepts by servers.
    pub accepts: u64,
    /// Rejections by servers.
    pub rejections: u64,
    /// Migrations.
    pub migrations: u64,
    /// Pulls granted.
    pub pulls: u64,
    /// Hand-offs done.
    pub handoffs: u64,
    /// Servers terminated.
    pub terminations: u64,
    /// Servers added.
    pub scale_outs: u64,
    /// Messages sent, of every kind.
    pub messages: u64,
    /// Heartbeats among them (a connected user's pings and its server's pongs).
    pub heartbeats: u64,
    /// Connects a full server forwarded to a peer (one per hop).
    pub delegations: u64,
    /// Requests lost.
    pub messages_lost: u64,
    /// Median time to connect.
    pub ttc_p50_us: u64,
    /// 99th percentile time to connect.
    pub ttc_p99_us: u64,
    /// Mean time to connect.
    pub ttc_mean_us: u64,
    /// Servers running integrated over time (the cost of the capacity used), sampled.
    pub server_seconds: u64,
    /// Users who gave up after the scenario's coordinator crash time (whatever the
    /// policy, so the decentralized model is measured over the same window).
    pub refused_after_coordinator_crash: Option<u64>,
    /// Per crash: time until 95% of the users connected before it were back.
    pub recovery_us: Vec<Option<u64>>,
    /// Users orphaned by crashes.
    pub orphans: u64,
    /// Orphans that reconnected.
    pub orphans_reconnected: u64,
    /// Longest reconnection of an orphan.
    pub orphan_reconnect_us_max: u64,
    /// Hash of the observable state at the end.
    pub state_hash: u64,
}

impl Summary {
    /// Messages sent, of every kind (heartbeats, gossip, pulls, ...), per successful
    /// connection: the whole protocol's cost of one connected user.
    pub fn messages_per_connection(&self) -> f64 {
        self.messages as f64 / self.connects.max(1) as f64
    }

    /// The same without heartbeats, which grow with how long users stay, not with how
    /// hard connecting is.
    pub fn messages_per_connection_without_heartbeats(&self) -> f64 {
        (self.messages - self.heartbeats) as f64 / self.connects.max(1) as f64
    }

    /// The rows of the summary table: (label, value).
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let ms = |us: u64| format!("{:.1} ms", us as f64 / 1e3);
        let mut rows = vec![
            ("scenario", format!("{} ({})", self.scenario, self.policy)),
            (
                "simulated",
                format!("{} ({} events)", self.simulated, self.events),
            ),
            (
                "servers alive start/end/max",
                format!(
                    "{} / {} / {}",
                    self.servers_start, self.servers_end, self.servers_max
                ),
            ),
            (
                "users connected end/mean",
                format!(
                    "{} / {:.1} (alive {})",
                    self.users_connected_end, self.users_connected_mean, self.users_alive_end
                ),
            ),
            (
                "load (users on a server) max / mean / CoV",
                format!(
                    "{} / {:.2} / {:.3}",
                    self.load_max, self.load_mean, self.load_cov
                ),
            ),
            ("Jain's fairness index", format!("{:.4}", self.jain)),
            (
                "users spawned / died / gave up",
                format!("{} / {} / {}", self.spawned, self.deaths, self.gave_up),
            ),
            (
                "connections / rejections / delegations",
                format!(
                    "{} / {} / {}",
                    self.connects, self.rejections, self.delegations
                ),
            ),
            (
                "migrations / pulls / hand-offs",
                format!("{} / {} / {}", self.migrations, self.pulls, self.handoffs),
            ),
            (
                "terminations / scale-outs",
                format!("{} / {}", self.terminations, self.scale_outs),
            ),
            (
                "messages per connection",
                format!(
                    "{:.2}, {:.2} without heartbeats (all {} messages sent / {} connections; {} lost)",
                    self.messages_per_connection(),
                    self.messages_per_connection_without_heartbeats(),
                    self.messages,
                    self.connects,
                    self.messages_lost
                ),
            ),
            (
                "time to connect p50 / p99",
                format!("{} / {}", ms(self.ttc_p50_us), ms(self.ttc_p99_us)),
            ),
        ];
        for (i, r) in self.recovery_us.iter().enumerate() {
            let text = r.map_or("not recovered".to_string(), |us| {
                format!("{:.1} s", us as f64 / 1e6)
            });
            rows.push(if i == 0 {
                ("recovery after crash", text)
            } else {
                ("", text)
            });
        }
        if self.orphans > 0 {
            rows.push((
                "orphans reconnected / max wait",
                format!(
                    "{} of {} / {:.2} s",
                    self.orphans_reconnected,
                    self.orphans,
                    self.orphan_reconnect_us_max as f64 / 1e6
                ),
            ));
        }
        rows.push(("final state hash", format!("{:016x}", self.state_hash)));
        rows
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, value) in rows {
            writeln!(f, "  {label:<width$}  {value}")?;
        }
        Ok(())
    }
}
