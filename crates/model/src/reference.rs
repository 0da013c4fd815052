//! The scenario reference: every field of a scenario with its meaning, unit, default and
//! allowed range, grouped as in the TOML; the original model's terms mapped to fields and
//! commands; every CSV column the tool writes and the divergence measures. One source for
//! `swarmlb scenarios --reference` and docs/scenarios.md (a test keeps both current and
//! checks that every field of the schema is listed here, and nothing else).

use std::fmt::Write as _;

use crate::scenario::Scenario;

/// One scenario field.
#[derive(Copy, Clone, Debug)]
pub struct Field {
    /// Dotted path, as in `--set` (`servers.capacity`); `[]` marks a list of tables.
    pub path: &'static str,
    /// Unit or type.
    pub unit: &'static str,
    /// Allowed values.
    pub allowed: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

const fn f(
    path: &'static str,
    unit: &'static str,
    allowed: &'static str,
    meaning: &'static str,
) -> Field {
    Field {
        path,
        unit,
        allowed,
        meaning,
    }
}

const FRACTION: &str = "fraction in [0, 1]";
const DURATION: &str = "duration (`1ms`, `90s`, `5m`, `1h30m`)";
const DIST: &str = "distribution";
const DISTS: &str = "`{ dist = \"fixed\", mean }`, `{ dist = \"exponential\", mean }` or `{ dist = \"uniform\", min, max }`, the last optionally with `step` (a whole number of steps from min to max, both included)";

/// Every field, grouped by TOML table, in the order of the schema.
pub const FIELDS: &[Field] = &[
    f("name", "text", "at most 256 bytes", "Short name."),
    f(
        "description",
        "text",
        "at most 64 KiB",
        "One line saying what the scenario shows.",
    ),
    f(
        "seed",
        "integer",
        "0 to 2^64-1",
        "Default master seed (`--seed` overrides it).",
    ),
    f(
        "duration",
        DURATION,
        "positive, at most 366 days",
        "Simulated time to run.",
    ),
    f(
        "policy",
        "name",
        "`decentralized`, `round-robin`, `least-connections`, `power-of-two`, `random`",
        "Who routes users: the servers themselves, or a coordinator with one of four rules.",
    ),
    f(
        "sample_interval",
        DURATION,
        "at least 1ms; at most 1,000,000 samples per run",
        "Metrics are sampled this often (the rows of `--metrics`).",
    ),
    f(
        "network.latency_min",
        DURATION,
        "at most latency_max",
        "Smallest one-way latency.",
    ),
    f(
        "network.latency_max",
        DURATION,
        "at least latency_min",
        "Largest one-way latency (uniform in between).",
    ),
    f(
        "network.loss",
        FRACTION,
        "[0, 1]",
        "Probability that a request (connect, delegation, gossip, pull, hand-off offer) is lost; established sessions are reliable.",
    ),
    f(
        "network.directory_refresh",
        DURATION,
        "at least 1ms",
        "How often the bootstrap directory (DNS) is refreshed; users see it this stale.",
    ),
    f(
        "servers.initial",
        "servers",
        "1 to max_servers",
        "Servers running at time zero.",
    ),
    f(
        "servers.capacity",
        "users",
        "1 to 1,000,000",
        "Most users a server holds at once.",
    ),
    f(
        "servers.max_servers",
        "servers",
        "1 to 100,000",
        "Quota of servers alive at once (scale-out stops here).",
    ),
    f(
        "servers.high_watermark",
        FRACTION,
        "at least pull_target",
        "At or above this share of capacity a server delegates new requests if it can.",
    ),
    f(
        "servers.low_watermark",
        FRACTION,
        "terminate_watermark to pull_target",
        "Below this share a server pulls users from loaded peers (the pull threshold).",
    ),
    f(
        "servers.pull_target",
        FRACTION,
        "low_watermark to high_watermark",
        "A pull asks for enough users to reach this share; peers above it are asked.",
    ),
    f(
        "servers.terminate_watermark",
        FRACTION,
        "at most low_watermark",
        "Below this share for terminate_grace, a server hands off its users and terminates.",
    ),
    f(
        "servers.terminate_grace",
        DURATION,
        "0 or more",
        "How long a server must stay below terminate_watermark before it hands off (0: at its next check).",
    ),
    f(
        "servers.max_hops",
        "delegations",
        "0 to 64",
        "Most times one request is delegated before it is refused (or overflows).",
    ),
    f(
        "servers.view_size",
        "peers",
        "1 to 256",
        "Peers in a server's partial view.",
    ),
    f(
        "servers.gossip_interval",
        DURATION,
        "at least 1ms",
        "Period of the gossip exchange of peer views.",
    ),
    f(
        "servers.gossip",
        "boolean",
        "`true`, `false`",
        "Servers exchange peer views by gossip and announce themselves when they start. false: a server's view is its start peers, refreshed only by the loads piggybacked on messages (`Scenario::without`'s gossip switch).",
    ),
    f(
        "servers.pull_interval",
        DURATION,
        "at least 1ms",
        "Period of a server's check for pulling and for handing off.",
    ),
    f(
        "servers.peer_ttl",
        DURATION,
        "at least 1ms",
        "Load estimates older than this are ignored (and twice as old, forgotten).",
    ),
    f(
        "servers.scale_out_after",
        "refusals",
        "0 or more",
        "Refusals in a row (while full) before a server asks for a new server (overflow = \"reject\").",
    ),
    f(
        "servers.provisioning_delay",
        DURATION,
        "0 or more; with overflow = \"scale-out\", shorter than users.attempt_timeout",
        "Delay between asking for a server and its start.",
    ),
    f(
        "servers.report_interval",
        DURATION,
        "at least 1ms",
        "Period of load reports to the coordinator (centralized policies only).",
    ),
    f(
        "servers.pull",
        "name",
        "`greedy`, `classic`, `off`",
        "greedy: ask the most loaded fresh peer for enough users to reach pull_target, hand-off considered first. classic (the original model's): ask a random peer above pull_target, which gives a random number between 0 and its excess; pull before handing off. off: never pull, and refuse a peer's pull.",
    ),
    f(
        "servers.handoff",
        "name",
        "`one-peer`, `spread`, `off`",
        "one-peer: all users to the peer with the most room that can take them all. spread (the original model's): one by one, each to the currently least-loaded peer, when the peers' room up to pull_target covers them. off: never hand off, so never terminate.",
    ),
    f(
        "servers.overflow",
        "name",
        "`reject`, `scale-out`",
        "What a full server does with a request it cannot delegate. reject: refuse (the user backs off). scale-out (the original model's): a new server takes it at once, unless max_servers run.",
    ),
    f(
        "users.count",
        "users",
        "0 to 10,000,000 (all user slots together)",
        "Steady population: each slot holds one user at a time, replaced respawn_delay after it dies.",
    ),
    f(
        "users.initial",
        "users",
        "at most count",
        "Steady slots occupied at time zero (default: all).",
    ),
    f(
        "users.spawn_spread",
        DURATION,
        "0 or more",
        "Spread of the initial spawns over time.",
    ),
    f(
        "users.lifespan",
        DIST,
        DISTS,
        "Time a user lives once it first connected.",
    ),
    f(
        "users.lifespan_clock",
        "name",
        "`since-first-connect`, `while-connected`",
        "When the lifespan counts: from the first connection on, or (the original model's) only while connected.",
    ),
    f(
        "users.respawn_delay",
        DIST,
        DISTS,
        "Time between a steady user's death and its replacement.",
    ),
    f(
        "users.arrival_rate",
        "users per second",
        "0 or more",
        "Extra Poisson arrivals on top of count.",
    ),
    f(
        "users.arrival_slots",
        "users",
        "positive when arrival_rate is",
        "Most such arrivals alive at once.",
    ),
    f(
        "users.arrivals_initial",
        "users",
        "at most arrival_slots",
        "Arrival slots occupied at time zero.",
    ),
    f(
        "users.attempt_timeout",
        DURATION,
        "at least 1ms",
        "A connection attempt with no answer after this long (plus two latencies) has failed.",
    ),
    f(
        "users.backoff_base",
        DURATION,
        "at most backoff_max",
        "First back-off after a failure; it doubles with each retry (half fixed, half random).",
    ),
    f(
        "users.backoff_max",
        DURATION,
        "at least backoff_base",
        "Largest back-off.",
    ),
    f(
        "users.retries_max",
        "failures",
        "0 to 1,000",
        "Failures in a row before a user gives up and leaves.",
    ),
    f(
        "users.heartbeat_interval",
        DURATION,
        "at least 1ms",
        "A connected user pings its server this often.",
    ),
    f(
        "users.heartbeat_timeout",
        DURATION,
        "at least 1ms",
        "A ping unanswered after this long means the server is gone.",
    ),
    f(
        "users.flash.at",
        DURATION,
        "any",
        "Flash crowd: when it starts (table absent: no crowd).",
    ),
    f(
        "users.flash.extra",
        "users",
        "counted in the 10,000,000",
        "Flash crowd: additional users at the peak.",
    ),
    f(
        "users.flash.ramp",
        DURATION,
        "0 or more",
        "Flash crowd: time over which they arrive.",
    ),
    f(
        "users.flash.duration",
        DURATION,
        "any",
        "Flash crowd: how long it stays (users dying after it are not replaced).",
    ),
    f(
        "users.diurnal.period",
        DURATION,
        "at least 1ms",
        "Daily cycle: length of one cycle (table absent: no cycle).",
    ),
    f(
        "users.diurnal.amplitude",
        FRACTION,
        "[0, 1]",
        "Daily cycle: relative swing of the population around count.",
    ),
    f(
        "users.population.initial",
        "users",
        "at most cap",
        "Population rule (table absent: none): users alive at time zero.",
    ),
    f(
        "users.population.floor",
        "users",
        "at most cap",
        "Population rule: fewer users alive than this, add users up to it.",
    ),
    f(
        "users.population.cap",
        "users",
        "positive; its slots count in the 10,000,000",
        "Population rule: most of its users at once; above it, one random user is removed per step.",
    ),
    f(
        "users.population.spawn_chance",
        "probability",
        "[0, 1]",
        "Population rule: chance of adding one user per step between floor and cap.",
    ),
    f(
        "users.population.step",
        DURATION,
        "at least 1ms",
        "Population rule: how often it is checked (the original's step).",
    ),
    f(
        "coordinator.crash_at",
        DURATION,
        "any (absent: never)",
        "When the coordinator of the centralized policies crashes.",
    ),
    f(
        "crashes[].at",
        DURATION,
        "any; at most 10,000 crashes",
        "When a group of servers crashes (vanishes without hand-off).",
    ),
    f(
        "crashes[].servers",
        "server indices",
        "below max_servers; at most 100,000 listed in all",
        "Which servers crash.",
    ),
    f(
        "partitions[].at",
        DURATION,
        "any; at most 10,000 partitions",
        "When servers are cut off from all other servers (users still reach everyone).",
    ),
    f(
        "partitions[].duration",
        DURATION,
        "positive",
        "How long the cut lasts.",
    ),
    f(
        "partitions[].servers",
        "server indices",
        "below max_servers",
        "The servers on one side of the cut.",
    ),
    f(
        "butterfly.at",
        DURATION,
        "any (absent: not scheduled)",
        "When one user is disconnected (`swarmlb butterfly --at` sets it).",
    ),
    f(
        "butterfly.user",
        "user slot",
        "below the number of user slots (absent: drawn)",
        "Which user slot is disconnected.",
    ),
    f(
        "butterfly.reconnect_after",
        DURATION,
        "at most duration (absent: at once)",
        "How long the disconnected user waits before it searches again.",
    ),
    f(
        "butterfly.victim",
        "name",
        "`any-user`, `server-then-user`",
        "Whom it disconnects when user is not named: a connected user uniformly, or (the original's) a random server holding users, then one of its users.",
    ),
];

/// The original model (Mesa, one step) in this tool's terms.
pub const ORIGINAL_TERMS: &[(&str, &str)] = &[
    (
        "one step",
        "1 second of simulated time: `pull_interval`, `gossip_interval`, `users.population.step` = `1s` in `seed-classic`; latency 1 ms so a step's negotiation completes within it",
    ),
    (
        "server capacity 10",
        "`servers.capacity = 10`, `servers.high_watermark = 1.0` (delegate only when full)",
    ),
    (
        "4 servers, 20 users at the start",
        "`servers.initial = 4`, `users.population.initial = 20`",
    ),
    (
        "below 30%: pull, then hand off",
        "`servers.low_watermark = 0.3` (pull threshold), `servers.terminate_watermark = 0.3`, `servers.terminate_grace = \"0s\"`, `servers.pull = \"classic\"`",
    ),
    ("pull target 60%", "`servers.pull_target = 0.6`"),
    (
        "a peer gives a random number (0 to its excess) of random users",
        "`servers.pull = \"classic\"` (users are drawn at random in every scenario)",
    ),
    (
        "hand every user to the least-loaded peer, one by one, if the others' room up to 60% suffices (a peer above 60% counts against it)",
        "`servers.handoff = \"spread\"` (on the server's view, once it has heard from every peer since its first gossip interval)",
    ),
    (
        "never the last server",
        "a server with no fresh peer never hands off; the peer asked first must agree",
    ),
    (
        "full: the first peer below capacity takes the user",
        "delegation to a peer believed below `high_watermark`, up to `servers.max_hops = 3`",
    ),
    (
        "nobody below capacity: a new server takes the user",
        "`servers.overflow = \"scale-out\"`, `servers.provisioning_delay = \"10ms\"`",
    ),
    (
        "population: refill to 10, else +1 with probability 0.5 below 100, else remove one",
        "`[users.population]` floor = 10, spawn_chance = 0.5, cap = 100",
    ),
    (
        "lifespan 10–20 steps, counted while connected",
        "`users.lifespan = { dist = \"uniform\", min = \"10s\", max = \"20s\", step = \"1s\" }` (whole steps), `users.lifespan_clock = \"while-connected\"`",
    ),
    (
        "a user that lost its server waits 10 steps",
        "`users.backoff_base = backoff_max = \"10s\"`; the butterfly victim: `butterfly.reconnect_after = \"10s\"`",
    ),
    (
        "the Butterfly button",
        "`swarmlb butterfly seed-classic --at T` (`butterfly.victim = \"server-then-user\"`: a server holding users, then one of its users; the original's may pick an empty server and do nothing, and keeps the user in its load counter), or the viewer's fork key",
    ),
    (
        "watch the run",
        "`swarmlb run seed-classic --trace run.swlb` then `swarmlb-viewer run.swlb`",
    ),
];

/// A CSV file: its name and who writes it, what one row is, and its columns with their
/// meanings.
pub type CsvFile = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Every CSV the tool writes: the file, what a row is, and its columns with meanings. In
/// a column name, `<param>` stands for a swept field (`servers.capacity`), `<outcome>` for
/// one of rejections, gave_up, migrations, handoffs, scale_outs, ttc_p99_ms,
/// load_spread_cov, and `<stat>` for n, mean, sd, ci95_low, ci95_high.
pub const CSV_FILES: &[CsvFile] = &[
    (
        "metrics (`run --metrics FILE.csv`)",
        "one row per sample",
        &[
            ("time_s", "sample time, seconds"),
            ("servers_alive", "servers running"),
            ("users_connected", "users connected"),
            (
                "users_searching",
                "users alive and not connected (connecting or backing off)",
            ),
            ("load_max", "largest load of a running server"),
            ("load_mean", "mean load of the running servers"),
            (
                "load_cov",
                "coefficient of variation of the loads (sd / mean)",
            ),
            ("jain", "Jain's fairness index of the loads (1 = all equal)"),
            (
                "utilization",
                "users held / total capacity of the running servers",
            ),
            ("messages", "messages sent so far"),
            ("migrations", "users moved so far (pulls and hand-offs)"),
            ("rejections", "connection attempts refused so far"),
        ],
    ),
    (
        "divergence.csv (`butterfly --out DIR`; `diff --csv FILE`)",
        "one row per sample of the two runs",
        &[
            ("time_s", "sample time, seconds"),
            (
                "micro",
                "agents whose state differs at this sample (not cumulative: the cascade size counts every agent that ever differed)",
            ),
            (
                "macro_l1",
                "per-server L1: sum over servers of |baseline load - branch load|",
            ),
            (
                "macro_sorted",
                "sorted-L1: the same on loads sorted by size",
            ),
            (
                "users_moved",
                "users on a different server, or connected in only one run",
            ),
            (
                "servers_alive_diff",
                "servers running in the branch minus in the baseline",
            ),
            (
                "null_micro",
                "the null model: mean over the J reference runs (other seeds) of their micro distance from the baseline (empty without references)",
            ),
            ("null_macro_l1", "the same for macro_l1"),
            ("null_users_moved", "the same for users_moved"),
            (
                "phi_micro",
                "micro / null_micro: 0 = the baseline's state, 1 = as far as an independent run",
            ),
            ("phi_macro_l1", "macro_l1 / null_macro_l1"),
            ("phi_users_moved", "users_moved / null_users_moved"),
            (
                "band_low",
                "least reference's own ratio to null_micro over this and 2 samples each side (where phi_micro enters the band, the branch decorrelated)",
            ),
            ("band_high", "greatest reference's ratio, likewise"),
        ],
    ),
    (
        "pairs (`butterfly --repeat K --csv FILE`)",
        "one row per pair of the ensemble",
        &[
            ("seed", "the baseline's master seed"),
            (
                "verdict",
                "no-op, undetermined, no effect, dissipated, contained or decorrelated",
            ),
            (
                "phi_end",
                "phi_micro over the final 10 samples (summed distances over summed null distances)",
            ),
            (
                "band_low",
                "the least reference's own ratio over the same window",
            ),
            ("band_high", "the greatest reference's own ratio"),
            (
                "decorrelation_s",
                "seconds from the perturbation until phi_micro entered the band",
            ),
            ("cascade_size", "agents whose handled events differ"),
            ("agents_total", "agents that could have differed"),
            (
                "delta_after_<outcome>",
                "branch minus baseline after the perturbation",
            ),
            (
                "independent_delta_after_<outcome>",
                "reference run 0 minus baseline after the perturbation (the memory ratio's denominator)",
            ),
        ],
    ),
    (
        "scan (`butterfly --scan FROM..TO/STEP --repeat K --csv FILE`)",
        "one row per perturbation time",
        &[
            ("at_s", "perturbation time, seconds"),
            ("pairs", "pairs at this time (K)"),
            (
                "determined",
                "pairs whose verdict is no effect, dissipated, contained or decorrelated",
            ),
            ("decorrelated", "pairs that decorrelated"),
            ("p_decorrelated", "decorrelated / determined"),
            (
                "p_decorrelated_ci95_low",
                "its 95% Wilson interval, low end",
            ),
            (
                "p_decorrelated_ci95_high",
                "its 95% Wilson interval, high end",
            ),
            (
                "median_decorrelation_s",
                "median seconds to decorrelation over the pairs that decorrelated",
            ),
            (
                "delta_after_<outcome>_mean",
                "mean branch minus baseline after the perturbation",
            ),
            ("delta_after_<outcome>_p", "paired sign-flip test of mean 0"),
            (
                "delta_after_<outcome>_shifted",
                "true when Holm's correction across the outcomes rejects mean 0",
            ),
        ],
    ),
    (
        "sweep.csv (`sweep`)",
        "one row per run: the cell's parameters, the seed, the run's summary",
        &[
            (
                "<param>",
                "the swept field's value, one column per `--param`",
            ),
            ("seed", "the run's master seed"),
            ("servers_end", "servers running at the end"),
            ("servers_max", "most servers running at once"),
            (
                "users_connected_mean",
                "mean users connected over the samples",
            ),
            (
                "load_cov",
                "mean over samples of the loads' coefficient of variation",
            ),
            ("jain", "mean over samples of Jain's fairness index"),
            ("ttc_mean_ms", "mean time to connect, ms"),
            ("ttc_p99_ms", "99th percentile of the time to connect, ms"),
            (
                "messages_per_connection",
                "messages sent per connection made",
            ),
            (
                "messages_per_connection_without_heartbeats",
                "the same, heartbeats left out",
            ),
            ("delegations", "requests passed to a peer"),
            ("migrations", "users moved (pulls and hand-offs)"),
            ("rejections", "connection attempts refused"),
            ("gave_up", "users that failed too often and left"),
            ("terminations", "servers that handed off and terminated"),
            ("scale_outs", "servers started on request"),
            ("server_seconds", "servers × seconds running (the cost)"),
            ("events", "events simulated"),
            (
                "state_hash",
                "hash of the final state (equal runs, equal hash)",
            ),
        ],
    ),
    (
        "summary.csv (`sweep`)",
        "one row per cell and metric",
        &[
            ("<param>", "the cell's value of each swept field"),
            ("metric", "a sweep.csv column"),
            ("n", "runs (seeds) in the cell"),
            ("mean", "mean over the runs"),
            ("sd", "sample standard deviation"),
            (
                "ci95_low",
                "95% confidence interval of the mean, low end (Student t)",
            ),
            ("ci95_high", "95% confidence interval of the mean, high end"),
        ],
    ),
    (
        "compare.csv (`compare`)",
        "one row per view, policy and metric",
        &[
            (
                "view",
                "`configured` (the scenario as given) or `matched` (same total capacity)",
            ),
            ("policy", "the routing policy"),
            ("metric", "what is measured"),
            ("unit", "its unit"),
            ("n", "runs (seeds)"),
            ("mean", "mean over the runs"),
            ("sd", "sample standard deviation"),
            (
                "ci95_low",
                "95% confidence interval of the mean, low end (Student t)",
            ),
            ("ci95_high", "95% confidence interval of the mean, high end"),
        ],
    ),
    (
        "stability.csv (`stability`)",
        "one row per cell of the B × K design",
        &[
            ("<param>", "the cell's value of each swept field"),
            ("seeds", "baseline seeds (B)"),
            ("perturbations", "butterfly branches per baseline (K)"),
            (
                "references",
                "reference runs per baseline (J, the null model)",
            ),
            ("branches", "branches run in the cell (B × K)"),
            ("no_op", "branches that disconnected nobody"),
            ("undetermined", "branches with that verdict"),
            ("no_effect", "branches with that verdict"),
            ("dissipated", "branches with that verdict"),
            ("contained", "branches with that verdict"),
            ("decorrelated", "branches with that verdict"),
            (
                "determined",
                "no_effect + dissipated + contained + decorrelated: the denominator",
            ),
            ("p_decorrelated", "decorrelated / determined"),
            (
                "p_decorrelated_ci95_low",
                "its 95% Wilson interval, low end",
            ),
            (
                "p_decorrelated_ci95_high",
                "its 95% Wilson interval, high end",
            ),
            (
                "median_decorrelation_s",
                "median seconds to decorrelation over the branches that decorrelated",
            ),
            ("cascade_size_<stat>", "agents that diverged per branch"),
            (
                "time_to_dissipate_s_<stat>",
                "seconds until per-server L1 was back to 0, over the branches that dissipated",
            ),
            (
                "delta_after_<outcome>_<stat>",
                "change of an outcome after the perturbation, branch minus baseline",
            ),
            (
                "delta_after_<outcome>_p",
                "paired sign-flip test of mean 0 over the cell's branches",
            ),
            (
                "delta_after_<outcome>_shifted",
                "true when Holm's correction across the outcomes rejects mean 0",
            ),
        ],
    ),
    (
        "branches.csv (`stability`)",
        "one row per branch: every figure of stability.csv can be recomputed from it",
        &[
            ("<param>", "the cell's value of each swept field"),
            ("seed", "the baseline's master seed"),
            ("branch", "the branch's number against its baseline (0..K)"),
            ("at_s", "perturbation time, seconds"),
            ("victim", "the disconnected user slot (empty: nobody)"),
            (
                "verdict",
                "no-op, identical, undetermined, no effect, dissipated, contained or decorrelated",
            ),
            (
                "determined",
                "true when the verdict counts in the denominator",
            ),
            ("phi_end", "phi_micro over the final 10 samples"),
            (
                "band_low",
                "the least reference's own ratio over the same window",
            ),
            ("band_high", "the greatest reference's own ratio"),
            (
                "decorrelation_s",
                "seconds from the perturbation until phi_micro entered the band",
            ),
            (
                "reconverged_s",
                "seconds from the perturbation until per-server L1 was back to 0 for good",
            ),
            ("cascade_size", "agents whose handled events differ"),
            ("agents_total", "agents that could have differed"),
            (
                "delta_after_<outcome>",
                "branch minus baseline after the perturbation",
            ),
        ],
    ),
];

/// The divergence measures and verdicts, as `diff`, `butterfly` and `stability` use them.
pub const MEASURES: &[(&str, &str)] = &[
    (
        "cascade size",
        "agents (users, servers, the environment) whose handled events differ between the runs; equals the node count of `swarmlb why`",
    ),
    (
        "per-server L1",
        "sum over servers of the absolute load difference at a sample (`macro_l1`)",
    ),
    (
        "sorted-L1",
        "the same on sorted loads: a shuffle of which server holds whom counts 0 (`macro_sorted`)",
    ),
    (
        "users moved",
        "users on a different server, or connected in only one run (`users_moved`)",
    ),
    (
        "outcome deltas",
        "rejections, gave up, migrations, hand-offs, scale-outs, time-to-connect p99, load spread (CoV): branch minus baseline, over the run and after the perturbation",
    ),
    (
        "verdicts",
        "trajectory verdicts, the first that applies: no-op (nobody disconnected), undetermined (under 10 samples after, or a lasting difference with no null model), no effect, dissipated (L1 back to 0 for 3+ samples), decorrelated (phi_micro over the last 10 samples at or above the least reference's own ratio), contained (otherwise; without a null: peak L1 <= 20 users and cascade <= 5% of agents). No verdict speaks of outcomes",
    ),
    (
        "null model",
        "J reference runs of the baseline's scenario with seeds 1 + hash(seed, \"null\", j) (`--references`, default 5), compared with the baseline like the branch; phi = the branch's distance / their mean distance",
    ),
    (
        "decorrelation time",
        "the first sample after the perturbation where phi_micro reaches the band of the references' own ratios (widened over 2 samples each side)",
    ),
    (
        "growth rate",
        "least-squares slope of ln micro per simulated second from the first differing sample until micro reaches half the null's level (without a null: to the first peak), with its 95% t interval",
    ),
    (
        "outcome shift (ensembles only)",
        "per outcome over K pairs: mean branch - baseline delta with its 95% t interval, a paired sign-flip permutation test (exact up to 20 pairs, else 20,000 seeded draws), Holm-corrected across outcomes at 0.05; only a rejected outcome is called worse or better; the smallest shift detectable with 80% power; the memory ratio Var(delta) / Var(reference 0 - baseline) with its F interval",
    ),
];

/// The default of `path` in a scenario that omits it, as TOML text; `None` when absent by
/// default (optional tables and lists).
pub fn default_of(path: &str) -> Option<String> {
    let value = toml::Value::try_from(Scenario::default()).expect("a scenario serializes");
    let mut at = &value;
    for part in path.split('.') {
        at = at.get(part)?;
    }
    Some(match at {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    })
}

/// The reference as Markdown (docs/scenarios.md and `swarmlb scenarios --reference`).
pub fn markdown() -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Scenario reference\n");
    let _ = writeln!(
        w,
        "Generated by `swarmlb scenarios --reference` from `crates/model/src/reference.rs`; a test fails when this file is stale or a field is missing. Override any field with `--set path=value`; durations are written like `1ms`, `90s`, `5m`, `1h30m`. \"absent\" means the field or table is left out unless given.\n"
    );
    let mut group = None;
    for field in FIELDS {
        let table = table_of(field.path);
        if group != Some(table) {
            group = Some(table);
            let title = if table.is_empty() { "top level" } else { table };
            let _ = writeln!(w, "\n## `{title}`\n");
            let _ = writeln!(w, "| field | meaning | unit | default | allowed |");
            let _ = writeln!(w, "|---|---|---|---|---|");
        }
        let default = default_of(field.path).unwrap_or_else(|| "absent".into());
        let _ = writeln!(
            w,
            "| `{}` | {} | {} | `{}` | {} |",
            field.path,
            field.meaning,
            field.unit,
            default.replace('|', "\\|"),
            field.allowed
        );
    }
    let _ = writeln!(w, "\n## The original model in these terms\n");
    let _ = writeln!(
        w,
        "`seed-classic` restates the original Mesa model (one step = 1 s). Its terms, and the fields and commands that express them:\n"
    );
    let _ = writeln!(w, "| original | here |");
    let _ = writeln!(w, "|---|---|");
    for (term, here) in ORIGINAL_TERMS {
        let _ = writeln!(w, "| {term} | {here} |");
    }
    let _ = writeln!(w, "\n## CSV files\n");
    for (file, rows, columns) in CSV_FILES {
        let _ = writeln!(w, "### {file}\n\n{rows}.\n");
        let _ = writeln!(w, "| column | meaning |");
        let _ = writeln!(w, "|---|---|");
        for (column, meaning) in *columns {
            let _ = writeln!(w, "| `{column}` | {meaning} |");
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "## Divergence measures\n");
    let _ = writeln!(w, "| measure | meaning |");
    let _ = writeln!(w, "|---|---|");
    for (measure, meaning) in MEASURES {
        let _ = writeln!(w, "| {measure} | {meaning} |");
    }
    out
}

/// The TOML table a field belongs to (`users.flash` for `users.flash.at`).
fn table_of(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(table, _)| table)
}
