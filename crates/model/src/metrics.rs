//! Metrics: counters the agents add to while they act, samples of the whole system taken
//! at a fixed interval, and the summary of a run.

use swarmlb_engine::SimTime;

use crate::msg::{BODY_NAMES, Body};

/// Running counters of a run. Agents only add to them; nothing reads them to decide.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Messages sent, by kind ([`BODY_NAMES`]).
    pub messages: [u64; BODY_NAMES.len()],
    /// Heartbeats among them ([`Body::is_heartbeat`]).
    pub heartbeats: u64,
    /// Requests lost in the network.
    pub messages_lost: u64,
    /// Connects accepted by servers.
    pub accepts: u64,
    /// Connects refused by servers.
    pub rejections: u64,
    /// Connects a full server forwarded to a peer (one per hop).
    pub delegations: u64,
    /// Users told to move to another server.
    pub migrations: u64,
    /// Pulls granted.
    pub pulls: u64,
    /// Hand-offs completed.
    pub handoffs: u64,
    /// Servers terminated after a hand-off.
    pub terminations: u64,
    /// New servers granted.
    pub scale_outs: u64,
    /// Users spawned.
    pub spawned: u64,
    /// Users that died at the end of their life.
    pub deaths: u64,
    /// Users that gave up after too many failures.
    pub gave_up: u64,
    /// Successful connections (users that reached Connected).
    pub connects: u64,
    /// Time from starting a search to being connected, over all connections.
    pub time_to_connect: ConnectTimes,
}

/// Times to connect, in µs, in bounded memory whatever the length of the run: a streaming
/// histogram (HdrHistogram, 3 significant digits: quantiles within 0.1%, exact below
/// 2,048 µs) and an exact sum for the mean. Integer-only, so deterministic.
#[derive(Clone, Debug)]
pub struct ConnectTimes {
    histogram: hdrhistogram::Histogram<u64>,
    sum_us: u128,
}

impl Default for ConnectTimes {
    fn default() -> Self {
        let histogram =
            hdrhistogram::Histogram::new_with_max(swarmlb_engine::time::DURATION_MAX_US, 3)
                .expect("valid histogram bounds");
        ConnectTimes {
            histogram,
            sum_us: 0,
        }
    }
}

impl ConnectTimes {
    /// Record one connection that took `us`.
    pub fn record(&mut self, us: u64) {
        self.histogram.saturating_record(us);
        self.sum_us += u128::from(us);
    }

    /// Connections recorded.
    pub fn len(&self) -> u64 {
        self.histogram.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The `q`-quantile (0..=1) by nearest rank, as the lowest value of its histogram
    /// bucket (so a value recorded exactly comes back exactly); 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.is_empty() {
            return 0;
        }
        self.histogram
            .lowest_equivalent(self.histogram.value_at_quantile(q))
    }

    /// The exact mean; 0 when empty.
    pub fn mean(&self) -> u64 {
        match self.len() {
            0 => 0,
            n => (self.sum_us / u128::from(n)) as u64,
        }
    }
}

impl Stats {
    /// Count one message sent.
    pub fn count_message(&mut self, body: &Body) {
        self.messages[body.code()] += 1;
        if body.is_heartbeat() {
            self.heartbeats += 1;
        }
    }

    /// Count one successful connection that took `us` to make.
    pub fn record_connect(&mut self, us: u64) {
        self.connects += 1;
        self.time_to_connect.record(us);
    }

    /// All messages sent.
    pub fn messages_total(&self) -> u64 {
        self.messages.iter().sum()
    }
}

/// The system at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// When.
    pub time: SimTime,
    /// Servers running.
    pub servers_alive: u32,
    /// Users connected.
    pub users_connected: u32,
    /// Users alive but not connected.
    pub users_searching: u32,
    /// Largest server load.
    pub load_max: u32,
    /// Mean load over running servers.
    pub load_mean: f64,
    /// Coefficient of variation of the loads.
    pub load_cov: f64,
    /// Jain's fairness index of the loads (1 = perfectly even).
    pub jain: f64,
    /// Users held over total capacity of running servers.
    pub utilization: f64,
    /// Messages sent so far.
    pub messages: u64,
    /// Migrations so far.
    pub migrations: u64,
    /// Rejections so far.
    pub rejections: u64,
}

/// Load statistics of one set of loads: (max, mean, CoV, Jain).
pub fn load_stats(loads: &[u32]) -> (u32, f64, f64, f64) {
    if loads.is_empty() {
        return (0, 0.0, 0.0, 1.0);
    }
    let n = loads.len() as f64;
    let sum: f64 = loads.iter().map(|&l| f64::from(l)).sum();
    let sum_sq: f64 = loads.iter().map(|&l| f64::from(l) * f64::from(l)).sum();
    let mean = sum / n;
    let variance = (sum_sq / n - mean * mean).max(0.0);
    let cov = if mean > 0.0 {
        variance.sqrt() / mean
    } else {
        0.0
    };
    let jain = if sum_sq > 0.0 {
        sum * sum / (n * sum_sq)
    } else {
        1.0
    };
    (loads.iter().copied().max().unwrap_or(0), mean, cov, jain)
}

/// CSV header of [`Sample::csv_row`].
pub const SAMPLE_CSV_HEADER: &str = "time_s,servers_alive,users_connected,users_searching,load_max,load_mean,load_cov,jain,utilization,messages,migrations,rejections";

impl Sample {
    /// One CSV row, fixed precision so files compare byte for byte.
    pub fn csv_row(&self) -> String {
        format!(
            "{:.6},{},{},{},{},{:.4},{:.4},{:.4},{:.4},{},{},{}",
            self.time.as_secs_f64(),
            self.servers_alive,
            self.users_connected,
            self.users_searching,
            self.load_max,
            self.load_mean,
            self.load_cov,
            self.jain,
            self.utilization,
            self.messages,
            self.migrations,
            self.rejections
        )
    }
}
