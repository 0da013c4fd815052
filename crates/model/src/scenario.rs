//! Scenarios: the TOML description of a run (servers, users, network, faults), its
//! validation with errors that name the file, line and field, and the built-in set.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use swarmlb_engine::parse_duration;
use swarmlb_engine::time::{DURATION_MAX_US, format_duration};

/// A duration in simulated microseconds, written in TOML as `"250ms"`, `"1h30m"` or a
/// bare number of seconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub u64);

impl Dur {
    /// `s` seconds.
    pub const fn secs(s: u64) -> Dur {
        Dur(s * 1_000_000)
    }
    /// `ms` milliseconds.
    pub const fn millis(ms: u64) -> Dur {
        Dur(ms * 1_000)
    }
    /// Microseconds.
    pub const fn us(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl std::str::FromStr for Dur {
    type Err = swarmlb_engine::DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_duration(s).map(Dur)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a duration like \"250ms\", \"90s\", \"5m\", \"1h30m\" or a number of seconds",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dur, E> {
                u64::try_from(v)
                    .ok()
                    .and_then(|s| s.checked_mul(1_000_000))
                    .filter(|&us| us <= DURATION_MAX_US)
                    .map(Dur)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "duration {v} is negative or too long: durations are at most 366 days"
                        ))
                    })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dur, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dur, E> {
                if v.is_finite() && (0.0..=DURATION_MAX_US as f64 / 1e6).contains(&v) {
                    Ok(Dur((v * 1e6).round() as u64))
                } else {
                    Err(E::custom(format!(
                        "duration {v} is negative or too long: durations are at most 366 days"
                    )))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The shape of a random duration.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    /// Always `mean`.
    Fixed,
    /// Exponential with `mean`.
    Exponential,
    /// Uniform between `min` and `max`.
    Uniform,
}

/// A random duration: `{ dist = "exponential", mean = "3m" }` or
/// `{ dist = "uniform", min = "10s", max = "20s" }` or `{ dist = "fixed", mean = "1s" }`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dist {
    /// The shape.
    pub dist: DistKind,
    /// Mean (exponential, fixed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Dur>,
    /// Lower bound (uniform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Dur>,
    /// Upper bound (uniform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Dur>,
}

impl Dist {
    /// An exponential distribution.
    pub const fn exponential(mean: Dur) -> Dist {
        Dist {
            dist: DistKind::Exponential,
            mean: Some(mean),
            min: None,
            max: None,
        }
    }
    /// The mean in microseconds (after validation every kind has one).
    pub fn mean_us(&self) -> u64 {
        match self.dist {
            DistKind::Fixed | DistKind::Exponential => self.mean.unwrap_or_default().us(),
            DistKind::Uniform => {
                (self.min.unwrap_or_default().us() + self.max.unwrap_or_default().us()) / 2
            }
        }
    }
    /// Draw one value in microseconds.
    pub fn sample(&self, rng: &mut swarmlb_engine::AgentRng) -> u64 {
        match self.dist {
            DistKind::Fixed => self.mean_us(),
            DistKind::Exponential => rng.exponential(self.mean_us()),
            DistKind::Uniform => rng.between(
                self.min.unwrap_or_default().us(),
                self.max.unwrap_or_default().us(),
            ),
        }
    }
    fn check(&self, field: &str) -> Result<(), String> {
        match self.dist {
            DistKind::Fixed | DistKind::Exponential if self.mean.is_none() => Err(format!(
                "{field}: `mean` is required for dist = \"{:?}\"",
                self.dist
            )
            .to_lowercase()),
            DistKind::Uniform => match (self.min, self.max) {
                (Some(min), Some(max)) if min <= max => Ok(()),
                (Some(_), Some(_)) => Err(format!("{field}: `min` must not exceed `max`")),
                _ => Err(format!(
                    "{field}: `min` and `max` are required for dist = \"uniform\""
                )),
            },
            _ => Ok(()),
        }
    }
}

/// Who routes users to servers.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// No coordinator: servers delegate, pull, hand off and scale out by themselves.
    #[default]
    Decentralized,
    /// A coordinator assigns servers in turn.
    RoundRobin,
    /// A coordinator assigns the server with the fewest users it believes connected.
    LeastConnections,
    /// A coordinator samples two servers and assigns the less loaded.
    PowerOfTwo,
    /// A coordinator assigns a uniformly random server.
    Random,
}

impl Policy {
    /// Every policy, decentralized first.
    pub const ALL: [Policy; 5] = [
        Policy::Decentralized,
        Policy::RoundRobin,
        Policy::LeastConnections,
        Policy::PowerOfTwo,
        Policy::Random,
    ];
    /// The name used on the command line and in scenarios.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Decentralized => "decentralized",
            Policy::RoundRobin => "round-robin",
            Policy::LeastConnections => "least-connections",
            Policy::PowerOfTwo => "power-of-two",
            Policy::Random => "random",
        }
    }
    /// True when a coordinator routes users.
    pub fn is_centralized(self) -> bool {
        self != Policy::Decentralized
    }
}

impl std::str::FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Policy::ALL.iter().map(|p| p.name()).collect();
                format!("unknown policy {s:?}; expected one of {}", names.join(", "))
            })
    }
}

/// How an underloaded server pulls users from its peers (`servers.pull`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullStyle {
    /// Ask the most loaded fresh peer above `pull_target` for enough users to reach it;
    /// the peer gives as many as it can spare. Handing off is considered before pulling.
    #[default]
    Greedy,
    /// The original model's: ask a random fresh peer above `pull_target`; it gives a
    /// random number of users between 0 and its excess (at most what was asked). A server
    /// pulls before it considers handing off: after a pull it waits one `pull_interval`
    /// to see what came before it offers its users.
    Classic,
}

/// Where a terminating server sends its users (`servers.handoff`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandoffStyle {
    /// All to the fresh peer with the most room that can take them all (below
    /// `high_watermark`).
    #[default]
    OnePeer,
    /// The original model's: one by one, each to the currently least-loaded fresh peer,
    /// when the peers' room up to `pull_target` is at least the users to move. The
    /// least-loaded peer is asked first and must agree, so two servers never hand off to
    /// each other and vanish.
    Spread,
}

/// What a full server does with a request it cannot delegate (`servers.overflow`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    /// Refuse it (the user backs off); after `scale_out_after` refusals in a row, ask for
    /// a new server.
    #[default]
    Reject,
    /// The original model's: ask the environment for a new server at once and hand it
    /// the request (refused only when `max_servers` are running).
    ScaleOut,
}

/// When a user's lifespan counts (`users.lifespan_clock`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifespanClock {
    /// From its first connection on, connected or not.
    #[default]
    SinceFirstConnect,
    /// The original model's: only while connected (it stops while the user searches).
    WhileConnected,
}

/// Whom the butterfly disconnects when `butterfly.user` is not named (`butterfly.victim`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VictimPick {
    /// A connected user, uniformly.
    #[default]
    AnyUser,
    /// The original model's: a random server holding users, then one of its users.
    ServerThenUser,
}

/// The original model's population rule, checked by the environment every `step` before
/// the agents act: fewer than `floor` users alive: add users up to `floor`; otherwise,
/// below `cap`: add one user with probability `spawn_chance`; above `cap`: remove a random
/// user. Its users occupy `cap` slots of their own (after the arrival slots) and are never
/// replaced when they die: a new user is a new life in a free slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Users alive at time zero (spread over `users.spawn_spread`).
    pub initial: u32,
    /// Fewer users alive than this: add users up to it.
    pub floor: u32,
    /// Most users of the rule alive at once (and its number of slots); above it, remove one.
    pub cap: u32,
    /// Probability of adding one user per step, between `floor` and `cap`.
    pub spawn_chance: f64,
    /// How often the rule is checked (the original's step).
    pub step: Dur,
}

/// Message latency, loss and the user-facing directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Network {
    /// Smallest one-way latency.
    pub latency_min: Dur,
    /// Largest one-way latency (uniform in between).
    pub latency_max: Dur,
    /// Probability that a request (connect, delegation, gossip, pull, hand-off offer) is
    /// lost. Established sessions (accept, leave, migrate, heartbeat) are reliable.
    pub loss: f64,
    /// How often the bootstrap directory (DNS) is refreshed; users see it this stale.
    pub directory_refresh: Dur,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            latency_min: Dur::millis(1),
            latency_max: Dur::millis(5),
            loss: 0.0,
            directory_refresh: Dur::secs(30),
        }
    }
}

/// Server parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Servers {
    /// Servers running at time zero.
    pub initial: u32,
    /// Most users a server holds at once.
    pub capacity: u32,
    /// Quota of servers ever alive at once (scale-out stops here).
    pub max_servers: u32,
    /// Above this fraction of capacity a server delegates new requests if it can.
    pub high_watermark: f64,
    /// Below this fraction a server pulls users from overloaded peers.
    pub low_watermark: f64,
    /// A pull asks for enough users to reach this fraction.
    pub pull_target: f64,
    /// Below this fraction for `terminate_grace`, a server hands off and terminates.
    pub terminate_watermark: f64,
    /// How long a server must stay below `terminate_watermark` before terminating.
    pub terminate_grace: Dur,
    /// Most times one request is delegated before it is refused.
    pub max_hops: u32,
    /// Peers in a server's partial view.
    pub view_size: u32,
    /// Period of the gossip exchange of peer views.
    pub gossip_interval: Dur,
    /// Period of the check for pulling users and for termination.
    pub pull_interval: Dur,
    /// Load estimates older than this are ignored and the peer forgotten.
    pub peer_ttl: Dur,
    /// Failed delegations in a row (while full) before asking for a new server.
    pub scale_out_after: u32,
    /// Delay between asking for a server and its start.
    pub provisioning_delay: Dur,
    /// Period of load reports to the coordinator (centralized policies only).
    pub report_interval: Dur,
    /// How an underloaded server pulls users.
    pub pull: PullStyle,
    /// Where a terminating server sends its users.
    pub handoff: HandoffStyle,
    /// What a full server does with a request it cannot delegate.
    pub overflow: Overflow,
}

impl Default for Servers {
    fn default() -> Self {
        Servers {
            initial: 20,
            capacity: 50,
            max_servers: 40,
            high_watermark: 0.9,
            low_watermark: 0.5,
            pull_target: 0.6,
            terminate_watermark: 0.3,
            terminate_grace: Dur::secs(60),
            max_hops: 3,
            view_size: 8,
            gossip_interval: Dur::secs(5),
            pull_interval: Dur::secs(5),
            peer_ttl: Dur::secs(30),
            scale_out_after: 3,
            provisioning_delay: Dur::secs(30),
            report_interval: Dur::secs(1),
            pull: PullStyle::Greedy,
            handoff: HandoffStyle::OnePeer,
            overflow: Overflow::Reject,
        }
    }
}

/// A flash crowd: `extra` more users arrive over `ramp` from `at`, for `duration`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flash {
    /// Start of the crowd.
    pub at: Dur,
    /// Additional users at the peak.
    pub extra: u32,
    /// Time over which they arrive.
    #[serde(default)]
    pub ramp: Dur,
    /// How long the crowd stays.
    pub duration: Dur,
}

/// A daily cycle: the population swings by `amplitude` around `count` with `period`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diurnal {
    /// Length of one cycle.
    pub period: Dur,
    /// Relative swing in `[0, 1]`.
    pub amplitude: f64,
}

/// User parameters and the workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Users {
    /// Target population: each of these slots holds one user at a time, and a user that
    /// dies is replaced after `respawn_delay`.
    pub count: u32,
    /// Slots occupied at time zero (the rest start after a respawn delay).
    pub initial: Option<u32>,
    /// Spread of the initial spawns, so they do not all arrive at once.
    pub spawn_spread: Dur,
    /// Time a user lives once it first connected.
    pub lifespan: Dist,
    /// When the lifespan counts.
    pub lifespan_clock: LifespanClock,
    /// Time between a user's death and its replacement.
    pub respawn_delay: Dist,
    /// Extra Poisson arrivals per simulated second, on top of `count`.
    pub arrival_rate: f64,
    /// Most such arrivals alive at once.
    pub arrival_slots: u32,
    /// Arrival slots already occupied at time zero (spread over `spawn_spread`).
    pub arrivals_initial: u32,
    /// A connection attempt with no answer after this long has failed.
    pub attempt_timeout: Dur,
    /// First back-off delay after a failure; it doubles with each retry.
    pub backoff_base: Dur,
    /// Largest back-off delay.
    pub backoff_max: Dur,
    /// Failures in a row before a user gives up and leaves (0: no retry at all).
    pub retries_max: u32,
    /// A connected user pings its server this often.
    pub heartbeat_interval: Dur,
    /// A ping unanswered after this long means the server is gone.
    pub heartbeat_timeout: Dur,
    /// Optional flash crowd.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flash: Option<Flash>,
    /// Optional daily cycle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diurnal: Option<Diurnal>,
    /// Optional population rule of the original model (floor, spawn chance, cap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<Population>,
}

impl Default for Users {
    fn default() -> Self {
        Users {
            count: 800,
            initial: None,
            spawn_spread: Dur::secs(10),
            lifespan: Dist::exponential(Dur::secs(180)),
            lifespan_clock: LifespanClock::SinceFirstConnect,
            respawn_delay: Dist::exponential(Dur::secs(5)),
            arrival_rate: 0.0,
            arrival_slots: 0,
            arrivals_initial: 0,
            attempt_timeout: Dur::secs(1),
            backoff_base: Dur::millis(500),
            backoff_max: Dur::secs(30),
            retries_max: 10,
            heartbeat_interval: Dur::secs(10),
            heartbeat_timeout: Dur::secs(1),
            flash: None,
            diurnal: None,
            population: None,
        }
    }
}

/// Servers that crash (vanish without hand-off) at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// When.
    pub at: Dur,
    /// Server indices.
    pub servers: Vec<u32>,
}

/// Servers cut off from all other servers for a while (users still reach everyone).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// When the cut starts.
    pub at: Dur,
    /// How long it lasts.
    pub duration: Dur,
    /// The servers on one side of the cut.
    pub servers: Vec<u32>,
}

/// The coordinator of the centralized policies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coordinator {
    /// When the coordinator crashes, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_at: Option<Dur>,
}

/// The butterfly perturbation: disconnect one user from its server at `at`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Butterfly {
    /// When; when absent, the perturbation is configured but not scheduled
    /// (`swarmlb butterfly --at` schedules it, see [`Scenario::perturbed_at`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Dur>,
    /// Which user slot; when absent, one connected user is drawn from the
    /// perturbation's own random stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<u32>,
    /// How long the disconnected user waits before it searches again; when absent, it
    /// does what the scenario's users do after losing their server: search at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect_after: Option<Dur>,
    /// Whom it disconnects when `user` is not named.
    #[serde(default, skip_serializing_if = "is_default")]
    pub victim: VictimPick,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A complete description of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// One line saying what it shows.
    pub description: String,
    /// Default master seed.
    pub seed: u64,
    /// Simulated time to run.
    pub duration: Dur,
    /// Who routes users.
    pub policy: Policy,
    /// Metrics are sampled this often.
    pub sample_interval: Dur,
    /// Latency and loss.
    pub network: Network,
    /// Server parameters.
    pub servers: Servers,
    /// Users and workload.
    pub users: Users,
    /// Coordinator faults.
    pub coordinator: Coordinator,
    /// Server crashes.
    pub crashes: Vec<Crash>,
    /// Network partitions between servers.
    pub partitions: Vec<Partition>,
    /// The butterfly perturbation, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub butterfly: Option<Butterfly>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "custom".into(),
            description: String::new(),
            seed: 1,
            duration: Dur::secs(3600),
            policy: Policy::Decentralized,
            sample_interval: Dur::secs(10),
            network: Network::default(),
            servers: Servers::default(),
            users: Users::default(),
            coordinator: Coordinator::default(),
            crashes: vec![],
            partitions: vec![],
            butterfly: None,
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not TOML, a wrong type, or an unknown field.
    #[error("{}: {message}", place(origin, *line, Some(*column)))]
    Syntax {
        /// The file name or `builtin:NAME`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value out of range or inconsistent with another.
    #[error("{}: invalid value for `{field}`{}: {message}", place(origin, *line, None), if *line == 0 { " (not set in the file: its default)" } else { "" })]
    Invalid {
        /// The file name or `builtin:NAME`.
        origin: String,
        /// 1-based line of the field, or 0 when it is not in the file (a default).
        line: usize,
        /// Dotted field path, like `servers.capacity`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A `--set KEY=VALUE` override that does not apply.
    #[error("bad override {text:?}: {message}")]
    Override {
        /// The override as given.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// The file exists but cannot be used: a directory, not UTF-8, too large, unreadable.
    #[error("cannot read scenario file {path:?}: {message}")]
    Read {
        /// The path as given.
        path: String,
        /// Why.
        message: String,
    },
    /// No such built-in scenario and no such file.
    #[error("unknown scenario {name:?}: not a built-in ({builtins}) and not a readable file")]
    Unknown {
        /// What was asked for.
        name: String,
        /// The built-in names.
        builtins: String,
    },
}

/// `file:line:column`, `file:line`, or `file` alone when the line is unknown (0).
fn place(origin: &str, line: usize, column: Option<usize>) -> String {
    match (line, column) {
        (0, _) => origin.to_string(),
        (line, Some(column)) if column > 0 => format!("{origin}:{line}:{column}"),
        (line, _) => format!("{origin}:{line}"),
    }
}

/// Built-in scenarios: name and TOML text (the same files as `scenarios/`).
pub const BUILTINS: [(&str, &str); 8] = [
    ("default", include_str!("../../../scenarios/default.toml")),
    (
        "seed-classic",
        include_str!("../../../scenarios/seed-classic.toml"),
    ),
    (
        "flash-crowd",
        include_str!("../../../scenarios/flash-crowd.toml"),
    ),
    ("diurnal", include_str!("../../../scenarios/diurnal.toml")),
    (
        "node-loss",
        include_str!("../../../scenarios/node-loss.toml"),
    ),
    (
        "partition",
        include_str!("../../../scenarios/partition.toml"),
    ),
    (
        "coordinator-crash",
        include_str!("../../../scenarios/coordinator-crash.toml"),
    ),
    ("large", include_str!("../../../scenarios/large.toml")),
];

/// Hard limits that keep every run bounded (TigerBeetle style).
pub mod limits {
    /// Most servers a scenario may allow.
    pub const SERVERS_MAX: u32 = 100_000;
    /// Most user slots.
    pub const USERS_MAX: u32 = 10_000_000;
    /// Most delegation hops.
    pub const HOPS_MAX: u32 = 64;
    /// Most retries of one user.
    pub const RETRIES_MAX: u32 = 1_000;
    /// Largest peer view.
    pub const VIEW_MAX: u32 = 256;
    /// Shortest sample interval, in µs (1 ms).
    pub const SAMPLE_INTERVAL_MIN_US: u64 = 1_000;
    /// Most samples in a run (duration / sample interval), and in a `diff`.
    pub const SAMPLES_MAX: u64 = 1_000_000;
    /// Largest scenario file, in bytes.
    pub const SCENARIO_FILE_MAX: u64 = 1 << 20;
    /// Longest scenario name, in bytes.
    pub const NAME_MAX: usize = 256;
    /// Longest description, in bytes.
    pub const DESCRIPTION_MAX: usize = 64 << 10;
    /// Most entries in `crashes`, and in `partitions`.
    pub const EVENTS_LIST_MAX: usize = 10_000;
    /// Most server indices listed in all crashes and partitions together.
    pub const LISTED_SERVERS_MAX: usize = 100_000;

    /// `n` with thousands separators, for messages that name a limit in words.
    pub fn words(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

impl Scenario {
    /// A built-in scenario by name.
    pub fn builtin(name: &str) -> Option<Scenario> {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name)?;
        Some(
            Scenario::parse(text, &format!("builtin:{name}"), &[])
                .expect("built-in scenarios are valid"),
        )
    }

    /// The names of the built-ins, comma separated.
    pub fn builtin_names() -> String {
        BUILTINS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parse and validate TOML `text`; `origin` names it in errors. `overrides` are
    /// `key.path=value` settings applied before validation (`servers.capacity=10`).
    pub fn parse(
        text: &str,
        origin: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| syntax_error(e, text, origin))?;
        for text in overrides {
            apply_override(&mut table, text)?;
        }
        let overridden;
        let source = if overrides.is_empty() {
            text
        } else {
            overridden = toml::to_string(&table).expect("a table serializes");
            &overridden
        };
        let scenario: Scenario = match toml::from_str(source) {
            Ok(s) => s,
            Err(e) if source == text => return Err(syntax_error(e, text, origin)),
            // The file's own mistakes are reported against its lines; otherwise an
            // override is to blame, and it is named instead.
            Err(e) => match toml::from_str::<Scenario>(text) {
                Err(own) => return Err(syntax_error(own, text, origin)),
                Ok(_) => {
                    return Err(ScenarioError::Override {
                        text: overrides.join(" "),
                        message: e.message().trim().to_string(),
                    });
                }
            },
        };
        scenario.validate().map_err(|(field, message)| {
            // A value set by `--set` is blamed on the override, not on the file.
            match overrides.iter().rev().find(|o| {
                o.split_once('=')
                    .is_some_and(|(key, _)| key.trim() == field.as_str())
            }) {
                Some(text) => ScenarioError::Override {
                    text: text.clone(),
                    message: format!("invalid value for `{field}`: {message}"),
                },
                None => ScenarioError::Invalid {
                    origin: origin.to_string(),
                    line: locate_field(text, &field),
                    field,
                    message,
                },
            }
        })?;
        Ok(scenario)
    }

    /// This scenario with the butterfly perturbation scheduled at `at` (on `user`, else the
    /// configured user, else one drawn), keeping the configured victim behaviour
    /// (`butterfly.reconnect_after`). The one way to make a butterfly branch.
    pub fn perturbed_at(&self, at: Dur, user: Option<u32>) -> Scenario {
        let mut branch = self.clone();
        let configured = branch.butterfly.take().unwrap_or_default();
        branch.butterfly = Some(Butterfly {
            at: Some(at),
            user: user.or(configured.user),
            ..configured
        });
        branch
    }

    /// This scenario run with master seed `seed`: the scenario's `seed` is the run's
    /// seed (`--seed` and the experiments' seeds are applied here, nowhere else).
    pub fn with_seed(mut self, seed: u64) -> Scenario {
        self.seed = seed;
        self
    }

    /// The canonical TOML text of this scenario (what a trace header stores).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a scenario serializes")
    }

    /// Check ranges and relations; the error names the dotted field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |field: &str, message: String| Err((field.to_string(), message));
        let s = &self.servers;
        let u = &self.users;
        let n = &self.network;
        if self.duration.us() == 0 {
            return err("duration", "must be positive".into());
        }
        if self.sample_interval.us() == 0 {
            return err("sample_interval", "must be positive".into());
        }
        // Every reader that samples (metrics, plot, diff, the viewer) keeps a point per
        // sample: bound their number, so a short interval cannot exhaust memory.
        if self.sample_interval.us() < limits::SAMPLE_INTERVAL_MIN_US {
            return err(
                "sample_interval",
                format!(
                    "{} is shorter than the shortest sample interval, 1ms",
                    self.sample_interval
                ),
            );
        }
        if self.duration.us() / self.sample_interval.us() > limits::SAMPLES_MAX {
            return err(
                "sample_interval",
                format!(
                    "{} over {} makes {} samples; at most {} (a longer interval, or a shorter run)",
                    self.sample_interval,
                    self.duration,
                    limits::words(self.duration.us() / self.sample_interval.us()),
                    limits::words(limits::SAMPLES_MAX)
                ),
            );
        }
        if self.name.len() > limits::NAME_MAX {
            return err(
                "name",
                format!(
                    "is {} bytes; at most {} bytes",
                    self.name.len(),
                    limits::NAME_MAX
                ),
            );
        }
        if self.description.len() > limits::DESCRIPTION_MAX {
            return err(
                "description",
                format!(
                    "is {} bytes; at most {} bytes (64 KiB)",
                    limits::words(self.description.len() as u64),
                    limits::words(limits::DESCRIPTION_MAX as u64)
                ),
            );
        }
        if !(1..=limits::SERVERS_MAX).contains(&s.max_servers) {
            return err(
                "servers.max_servers",
                format!(
                    "must be between 1 and {} (at most {} servers)",
                    limits::words(u64::from(limits::SERVERS_MAX)),
                    limits::words(u64::from(limits::SERVERS_MAX))
                ),
            );
        }
        if s.initial == 0 || s.initial > s.max_servers {
            return err(
                "servers.initial",
                format!("must be between 1 and max_servers ({})", s.max_servers),
            );
        }
        if s.capacity == 0 || s.capacity > 1_000_000 {
            return err(
                "servers.capacity",
                "must be between 1 and 1,000,000 users per server".into(),
            );
        }
        for (field, value) in [
            ("servers.high_watermark", s.high_watermark),
            ("servers.low_watermark", s.low_watermark),
            ("servers.pull_target", s.pull_target),
            ("servers.terminate_watermark", s.terminate_watermark),
            ("network.loss", n.loss),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return err(field, format!("{value} is not a fraction in [0, 1]"));
            }
        }
        if s.terminate_watermark > s.low_watermark {
            return err(
                "servers.terminate_watermark",
                "must not exceed low_watermark".into(),
            );
        }
        if s.low_watermark > s.pull_target || s.pull_target > s.high_watermark {
            return err(
                "servers.pull_target",
                "watermarks must satisfy low_watermark <= pull_target <= high_watermark".into(),
            );
        }
        if s.max_hops > limits::HOPS_MAX {
            return err(
                "servers.max_hops",
                format!("must be at most {}", limits::HOPS_MAX),
            );
        }
        if s.view_size == 0 || s.view_size > limits::VIEW_MAX {
            return err(
                "servers.view_size",
                format!("must be in 1..={}", limits::VIEW_MAX),
            );
        }
        for (field, value) in [
            ("servers.gossip_interval", s.gossip_interval),
            ("servers.pull_interval", s.pull_interval),
            ("servers.peer_ttl", s.peer_ttl),
            ("servers.report_interval", s.report_interval),
            ("users.attempt_timeout", u.attempt_timeout),
            ("users.heartbeat_interval", u.heartbeat_interval),
            ("users.heartbeat_timeout", u.heartbeat_timeout),
            ("network.directory_refresh", n.directory_refresh),
        ] {
            if value.us() == 0 {
                return err(field, "must be positive".into());
            }
        }
        if n.latency_min > n.latency_max {
            return err("network.latency_min", "must not exceed latency_max".into());
        }
        // Every source of user slots counts against the limit, in 64 bits so nothing wraps:
        // the steady population, its flash-crowd or daily peak, and the arrival slots.
        let count = u64::from(u.count);
        let flash = u.flash.as_ref().map_or(0, |f| u64::from(f.extra));
        let diurnal = u.diurnal.as_ref().map_or(0, |d| {
            if (0.0..=1.0).contains(&d.amplitude) {
                (count as f64 * d.amplitude).ceil() as u64
            } else {
                0
            }
        });
        let population = u.population.as_ref().map_or(0, |p| u64::from(p.cap));
        let slots = count + flash.max(diurnal) + u64::from(u.arrival_slots) + population;
        if slots > u64::from(limits::USERS_MAX) {
            // Blame the field that pushes the total over.
            let field = if count > u64::from(limits::USERS_MAX) {
                "users.count"
            } else if count + flash.max(diurnal) > u64::from(limits::USERS_MAX) {
                if flash >= diurnal {
                    "users.flash.extra"
                } else {
                    "users.diurnal.amplitude"
                }
            } else if count + flash.max(diurnal) + u64::from(u.arrival_slots)
                > u64::from(limits::USERS_MAX)
            {
                "users.arrival_slots"
            } else {
                "users.population.cap"
            };
            return err(
                field,
                format!(
                    "the run would need {} user slots (count, plus the flash crowd or daily peak, plus arrival slots, plus the population cap); at most {} users",
                    limits::words(slots),
                    limits::words(u64::from(limits::USERS_MAX))
                ),
            );
        }
        if u.initial.is_some_and(|i| i > u.count) {
            return err("users.initial", "must not exceed users.count".into());
        }
        if u.retries_max > limits::RETRIES_MAX {
            return err(
                "users.retries_max",
                format!("must be at most {}", limits::RETRIES_MAX),
            );
        }
        if u.backoff_base > u.backoff_max {
            return err("users.backoff_base", "must not exceed backoff_max".into());
        }
        if !(u.arrival_rate.is_finite() && u.arrival_rate >= 0.0) {
            return err("users.arrival_rate", "must be a non-negative number".into());
        }
        if u.arrivals_initial > u.arrival_slots {
            return err(
                "users.arrivals_initial",
                "must not exceed users.arrival_slots".into(),
            );
        }
        if u.arrival_rate > 0.0 && u.arrival_slots == 0 {
            return err(
                "users.arrival_slots",
                "must be positive when arrival_rate is".into(),
            );
        }
        u.lifespan
            .check("users.lifespan")
            .or_else(|m| err("users.lifespan", m))?;
        u.respawn_delay
            .check("users.respawn_delay")
            .or_else(|m| err("users.respawn_delay", m))?;
        if u.lifespan.mean_us() == 0 {
            return err("users.lifespan", "mean must be positive".into());
        }
        // The longest way to a new server: the user's request, every delegation, the
        // new server's start, its answer.
        let answer_us =
            s.provisioning_delay.us() + (u64::from(s.max_hops) + 2) * n.latency_max.us();
        if s.overflow == Overflow::ScaleOut && answer_us >= u.attempt_timeout.us() {
            return err(
                "servers.provisioning_delay",
                format!(
                    "with overflow = \"scale-out\" a new server must answer before the user gives up: {} plus the latencies of the longest delegation is not shorter than users.attempt_timeout ({})",
                    s.provisioning_delay, u.attempt_timeout
                ),
            );
        }
        if let Some(pop) = &u.population {
            if pop.cap == 0 {
                return err("users.population.cap", "must be positive".into());
            }
            if pop.floor > pop.cap {
                return err(
                    "users.population.floor",
                    format!("must not exceed cap ({})", pop.cap),
                );
            }
            if pop.initial > pop.cap {
                return err(
                    "users.population.initial",
                    format!("must not exceed cap ({})", pop.cap),
                );
            }
            if !(0.0..=1.0).contains(&pop.spawn_chance) {
                return err(
                    "users.population.spawn_chance",
                    format!("{} is not a probability in [0, 1]", pop.spawn_chance),
                );
            }
            if pop.step.us() == 0 {
                return err("users.population.step", "must be positive".into());
            }
        }
        if let Some(d) = &u.diurnal {
            if !(0.0..=1.0).contains(&d.amplitude) {
                return err("users.diurnal.amplitude", "must be in [0, 1]".into());
            }
            if d.period.us() == 0 {
                return err("users.diurnal.period", "must be positive".into());
            }
        }
        for (name, list) in [
            ("crashes", self.crashes.len()),
            ("partitions", self.partitions.len()),
        ] {
            if list > limits::EVENTS_LIST_MAX {
                return err(
                    name,
                    format!(
                        "has {} entries; at most {}",
                        limits::words(list as u64),
                        limits::words(limits::EVENTS_LIST_MAX as u64)
                    ),
                );
            }
        }
        let listed: usize = self.crashes.iter().map(|c| c.servers.len()).sum::<usize>()
            + self
                .partitions
                .iter()
                .map(|p| p.servers.len())
                .sum::<usize>();
        if listed > limits::LISTED_SERVERS_MAX {
            return err(
                if self.crashes.is_empty() {
                    "partitions"
                } else {
                    "crashes"
                },
                format!(
                    "crashes and partitions list {} servers in all; at most {}",
                    limits::words(listed as u64),
                    limits::words(limits::LISTED_SERVERS_MAX as u64)
                ),
            );
        }
        for (i, c) in self.crashes.iter().enumerate() {
            if let Some(bad) = c.servers.iter().find(|&&id| id >= s.max_servers) {
                return err(
                    &format!("crashes[{i}].servers"),
                    format!("server {bad} is not below max_servers ({})", s.max_servers),
                );
            }
        }
        for (i, p) in self.partitions.iter().enumerate() {
            if let Some(bad) = p.servers.iter().find(|&&id| id >= s.max_servers) {
                return err(
                    &format!("partitions[{i}].servers"),
                    format!("server {bad} is not below max_servers ({})", s.max_servers),
                );
            }
        }
        if let Some(wait) = self.butterfly.as_ref().and_then(|b| b.reconnect_after)
            && wait > self.duration
        {
            return err(
                "butterfly.reconnect_after",
                format!("must not exceed the run's duration ({})", self.duration),
            );
        }
        if let Some(b) = &self.butterfly
            && b.user.is_some_and(|user| user >= self.user_slots())
        {
            return err(
                "butterfly.user",
                format!(
                    "no user slot {} (there are {})",
                    b.user.unwrap_or(0),
                    self.user_slots()
                ),
            );
        }
        Ok(())
    }

    /// User slots: the steady population at its peak, plus arrival slots.
    pub fn user_slots(&self) -> u32 {
        self.steady_slots() + self.users.arrival_slots + self.population_slots()
    }

    /// Slots of the population rule (`users.population.cap`), after the arrival slots.
    pub fn population_slots(&self) -> u32 {
        self.users.population.as_ref().map_or(0, |p| p.cap)
    }

    /// Slots of the steady population at its peak (flash crowd and daily cycle included).
    /// Validation keeps it within [`limits::USERS_MAX`].
    pub fn steady_slots(&self) -> u32 {
        let u = &self.users;
        let flash = u.flash.as_ref().map_or(0, |f| f.extra);
        let diurnal = u
            .diurnal
            .as_ref()
            .map_or(0, |d| (u.count as f64 * d.amplitude).ceil() as u32);
        u.count.saturating_add(flash.max(diurnal))
    }

    /// Things in a valid scenario that are probably mistakes: crashes, partitions or a
    /// butterfly scheduled at or after the end of the run (they never happen).
    pub fn warnings(&self) -> Vec<String> {
        let end = self.duration;
        let mut out = Vec::new();
        let late = |what: String, at: Dur| {
            format!("{what} at {at} is at or after the end of the run ({end}): it never happens")
        };
        for (i, c) in self.crashes.iter().enumerate() {
            if c.at >= end {
                out.push(late(format!("crashes[{i}]"), c.at));
            }
        }
        for (i, p) in self.partitions.iter().enumerate() {
            if p.at >= end {
                out.push(late(format!("partitions[{i}]"), p.at));
            }
        }
        if let Some(at) = self.butterfly.as_ref().and_then(|b| b.at)
            && at >= end
        {
            out.push(late("butterfly".into(), at));
        }
        if let Some(at) = self.coordinator.crash_at
            && at >= end
        {
            out.push(late("coordinator.crash_at".into(), at));
        }
        out
    }
}

/// Load a scenario by built-in name or file path, with overrides. `read` is the caller's
/// file access (the model does no I/O): a file that is not found makes the name unknown;
/// any other error (a directory, not UTF-8, too large) is reported as such.
pub fn load(
    name_or_path: &str,
    overrides: &[String],
    read: impl FnOnce(&Path) -> std::io::Result<String>,
) -> Result<Scenario, ScenarioError> {
    if let Some((name, text)) = BUILTINS.iter().find(|(n, _)| *n == name_or_path) {
        return Scenario::parse(text, &format!("builtin:{name}"), overrides);
    }
    match read(Path::new(name_or_path)) {
        Ok(text) => Scenario::parse(&text, name_or_path, overrides),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ScenarioError::Unknown {
            name: name_or_path.to_string(),
            builtins: Scenario::builtin_names(),
        }),
        Err(e) => Err(ScenarioError::Read {
            path: name_or_path.to_string(),
            message: e.to_string(),
        }),
    }
}

fn syntax_error(e: toml::de::Error, text: &str, origin: &str) -> ScenarioError {
    let (line, column) = match e.span() {
        Some(span) => line_col(text, span.start),
        None => (0, 0),
    };
    ScenarioError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        message: e.message().trim().to_string(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The line where dotted `field` is set in `text`, or 0 if it is not (a default).
/// It looks for `key =` under the `[section]` header, or `section.key =` at the top; a
/// field inside an inline table (`diurnal = { amplitude = 1.6 }`) is on its table's line.
fn locate_field(text: &str, field: &str) -> usize {
    let mut path = field;
    loop {
        let line = locate_key(text, path);
        if line > 0 {
            let inline = path != field;
            let value = text.lines().nth(line - 1).and_then(|l| l.split_once('='));
            if !inline || value.is_some_and(|(_, v)| v.trim_start().starts_with('{')) {
                return line;
            }
        }
        match path.rsplit_once('.') {
            Some((parent, _)) => path = parent,
            None => return 0,
        }
    }
}

/// The line of `key =` (or of a table header) for dotted `field`; 0 if absent.
fn locate_key(text: &str, field: &str) -> usize {
    let clean = |s: &str| s.split('[').next().unwrap_or(s).to_string();
    let parts: Vec<String> = field.split('.').map(clean).collect();
    let (key, section) = parts.split_last().expect("non-empty field");
    let section = section.join(".");
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            current = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            // A whole table or array of tables (`[[crashes]]`) is named by its header.
            if current == field {
                return i + 1;
            }
            continue;
        }
        let Some((lhs, _)) = trimmed.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim();
        let full = if current.is_empty() {
            lhs.to_string()
        } else {
            format!("{current}.{lhs}")
        };
        if full == format!("{section}.{key}").trim_start_matches('.')
            || (lhs == key && current == section)
        {
            return i + 1;
        }
    }
    0
}

/// Apply `a.b.c=value` to a TOML table; the value is read as TOML, or as a string.
fn apply_override(table: &mut toml::Table, text: &str) -> Result<(), ScenarioError> {
    let bad = |message: &str| ScenarioError::Override {
        text: text.to_string(),
        message: message.to_string(),
    };
    let (path, raw) = text
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=VALUE"))?;
    let keys: Vec<&str> = path.trim().split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(bad("empty key"));
    }
    let raw = raw.trim();
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let (last, parents) = keys.split_last().expect("non-empty");
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| bad(&format!("`{key}` is not a table")))?;
    }
    current.insert(last.to_string(), value);
    Ok(())
}
