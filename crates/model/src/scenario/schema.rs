//! The schema: the serde structs and enums a scenario file is made of, with the accessors
//! derived from them (user slots, a butterfly branch, the canonical TOML). Defaults are in
//! `defaults.rs`, checks in `validate.rs`.

use serde::{Deserialize, Serialize};

use super::Dur;

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
/// `{ dist = "uniform", min = "10s", max = "20s" }` or `{ dist = "fixed", mean = "1s" }`;
/// a uniform one may count whole steps: `{ dist = "uniform", min = "10s", max = "20s",
/// step = "1s" }` draws 10, 11, ... or 20 s, as the original model's integer step counts.
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
    /// Draw a whole number of these between `min` and `max`, both included (uniform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Dur>,
}

impl Dist {
    /// An exponential distribution.
    pub const fn exponential(mean: Dur) -> Dist {
        Dist {
            dist: DistKind::Exponential,
            mean: Some(mean),
            min: None,
            max: None,
            step: None,
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
            DistKind::Uniform => {
                let (min, max) = (self.min.unwrap_or_default(), self.max.unwrap_or_default());
                match self.step {
                    // Validation keeps at least one whole step between the bounds.
                    Some(step) => {
                        let step = step.us();
                        rng.between(min.us().div_ceil(step), max.us() / step) * step
                    }
                    None => rng.between(min.us(), max.us()),
                }
            }
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

/// Scenario fields only the decentralized policy reads: under a coordinator, servers accept
/// every request they have room for (`direct`) and report their load; they never delegate,
/// pull, hand off, gossip or scale out, and never read their peer view. Declared once,
/// beside the schema: `--set` and `--param` refuse them under a centralized policy (see
/// [`Policy::ignores`]); a test checks each is a field of the schema.
pub const DECENTRALIZED_ONLY: &[&str] = &[
    "servers.high_watermark",
    "servers.low_watermark",
    "servers.pull_target",
    "servers.terminate_watermark",
    "servers.terminate_grace",
    "servers.max_hops",
    "servers.view_size",
    "servers.gossip_interval",
    "servers.gossip",
    "servers.pull_interval",
    "servers.peer_ttl",
    "servers.scale_out_after",
    "servers.provisioning_delay",
    "servers.pull",
    "servers.handoff",
    "servers.overflow",
];

/// Scenario fields (or tables) only the centralized policies read: the coordinator's and
/// the servers' load reports to it.
pub const CENTRALIZED_ONLY: &[&str] = &["servers.report_interval", "coordinator"];

impl Policy {
    /// Why a run under this policy ignores the dotted field `key` (a table stands for its
    /// fields), or `None` when the run reads it.
    pub fn ignores(self, key: &str) -> Option<&'static str> {
        let under = |list: &[&str]| {
            list.iter().any(|f| {
                key == *f
                    || key
                        .strip_prefix(f)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        };
        if self.is_centralized() && under(DECENTRALIZED_ONLY) {
            Some(
                "under a coordinator, servers never delegate, pull, hand off, gossip or scale out; only the decentralized policy reads it",
            )
        } else if !self.is_centralized() && under(CENTRALIZED_ONLY) {
            Some("there is no coordinator; only the centralized policies read it")
        } else {
            None
        }
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
    /// Never pull, and refuse a peer's pull (`butterfly --without pull`). Handing off is
    /// considered as with `greedy`.
    Off,
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
    /// Never hand off, so never terminate (`butterfly --without handoff`).
    Off,
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
    /// Servers exchange peer views by gossip (and announce themselves when they start).
    /// Off, a server's view is its start peers, refreshed only by the loads piggybacked on
    /// the messages it receives (`butterfly --without gossip`). Written to the canonical
    /// TOML only when off, so scenarios and traces from before the field read the same.
    #[serde(skip_serializing_if = "is_true")]
    pub gossip: bool,
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

fn is_true(value: &bool) -> bool {
    *value
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
    /// The run's master seed (`--seed` and the experiments set it: there is no other).
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

impl Scenario {
    /// User slots: the steady population at its peak, plus arrival slots.
    pub fn user_slots(&self) -> u32 {
        self.steady_slots() + self.users.arrival_slots + self.population_slots()
    }

    /// Slots of the population rule (`users.population.cap`), after the arrival slots.
    pub fn population_slots(&self) -> u32 {
        self.users.population.as_ref().map_or(0, |p| p.cap)
    }

    /// Slots of the steady population at its peak (flash crowd and daily cycle included).
    /// Validation keeps it within [`super::limits::USERS_MAX`].
    pub fn steady_slots(&self) -> u32 {
        let u = &self.users;
        let flash = u.flash.as_ref().map_or(0, |f| f.extra);
        let diurnal = u
            .diurnal
            .as_ref()
            .map_or(0, |d| (u.count as f64 * d.amplitude).ceil() as u32);
        u.count.saturating_add(flash.max(diurnal))
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

    /// The two scenarios of one butterfly: the baseline (nothing scheduled, nothing
    /// configured) and the branch perturbed at `at` ([`Scenario::perturbed_at`]), checked
    /// valid.
    pub fn butterfly_branches(
        &self,
        at: Dur,
        user: Option<u32>,
    ) -> Result<(Scenario, Scenario), super::Invalid> {
        let perturbed = self.perturbed_at(at, user);
        perturbed.validate()?;
        let baseline = Scenario {
            butterfly: None,
            ..self.clone()
        };
        Ok((baseline, perturbed))
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
}
