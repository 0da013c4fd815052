//! Benchmarks that print ratios against baselines measured in the same process, because
//! these machines are noisy: the engine against a bare `BinaryHeap` PHOLD loop, recording
//! against not recording, replay against the original run. Absolute figures follow.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::BufWriter;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;
use swarmlb_trace::format::CHECKPOINT_EVERY_MAX;

use priority_queue::PriorityQueue;
use swarmlb_engine::phold::{self, PholdConfig};
use swarmlb_engine::{EventKey, Limits, SimTime, agent_rng};
use swarmlb_model::run::Runner;
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Kind, Scenario};
use swarmlb_trace::format::Ending;
use swarmlb_trace::write::{TraceWriter, header_for};

/// How much to measure.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Plan {
    /// The full set (a couple of minutes): the figures BENCHMARKS.md reports.
    #[default]
    Full,
    /// Short runs (about a minute in all).
    Quick,
    /// Every workload at a toy size, in seconds even in a debug build: the figures mean
    /// nothing, but every code path and every key of the report is exercised (tests).
    Smoke,
}

impl Plan {
    /// The value for this plan among the three.
    fn pick<T>(self, full: T, quick: T, smoke: T) -> T {
        match self {
            Plan::Full => full,
            Plan::Quick => quick,
            Plan::Smoke => smoke,
        }
    }
}

/// One figure of the report.
#[derive(Clone, Debug)]
pub struct Figure {
    /// JSON key.
    pub key: &'static str,
    /// What it measures.
    pub label: String,
    /// The value.
    pub value: f64,
    /// How to print it.
    pub unit: Unit,
    /// The target, if the issue sets one.
    pub target: Option<&'static str>,
}

/// Units of figures.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Unit {
    /// A dimensionless ratio.
    Ratio,
    /// Events per second.
    PerSecond,
    /// Bytes.
    Bytes,
    /// Seconds.
    Seconds,
    /// A percentage.
    Percent,
    /// A plain count.
    Count,
}

impl Figure {
    fn show(&self) -> String {
        match self.unit {
            Unit::Ratio => format!("{:.2}×", self.value),
            Unit::PerSecond => format!("{:.2} M/s", self.value / 1e6),
            Unit::Bytes if self.value >= 1e6 => format!("{:.1} MB", self.value / 1e6),
            Unit::Bytes => format!("{:.1} B", self.value),
            Unit::Seconds => format!("{:.2} s", self.value),
            Unit::Percent => format!("{:+.1}%", self.value),
            Unit::Count => format!("{:.0}", self.value),
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The figures, ratios first.
    pub figures: Vec<Figure>,
    /// Machine description.
    pub machine: String,
    /// What was measured.
    pub plan: Plan,
}

impl Report {
    fn add(
        &mut self,
        key: &'static str,
        label: impl Into<String>,
        value: f64,
        unit: Unit,
        target: Option<&'static str>,
    ) {
        self.figures.push(Figure {
            key,
            label: label.into(),
            value,
            unit,
            target,
        });
    }

    /// A Markdown table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} run on {}\n\n| measure | value | target |\n|---|---|---|\n",
            self.plan.pick("Full", "Quick", "Smoke"),
            self.machine
        );
        for f in &self.figures {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                f.label,
                f.show(),
                f.target.unwrap_or("")
            ));
        }
        out
    }

    /// One JSON object, keyed by figure.
    pub fn json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for f in &self.figures {
            map.insert(f.key.to_string(), serde_json::json!(f.value));
        }
        map.insert("quick".into(), serde_json::json!(self.plan != Plan::Full));
        map.insert("machine".into(), serde_json::json!(self.machine));
        serde_json::Value::Object(map)
    }
}

/// Best (smallest) wall time of `runs` runs of `f`, in seconds, with `f`'s last result.
fn best_of<R>(runs: usize, mut f: impl FnMut() -> R) -> (f64, R) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let r = f();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("at least one run"))
}

const PHOLD_LPS: u32 = 1_000;
const PHOLD_EVENTS_PER_LP: u32 = 10;
const PHOLD_DELAY_US: u64 = 1_000;

/// PHOLD on a bare `BinaryHeap` with the same draws as the engine's PHOLD: the practical
/// limit of a sequential kernel.
fn phold_bare(events: u64) -> u64 {
    let n = u64::from(PHOLD_LPS);
    let mut rngs: Vec<_> = (0..n).map(|i| agent_rng(1, i)).collect();
    let mut heap = BinaryHeap::new();
    let hop = |rngs: &mut Vec<swarmlb_engine::AgentRng>, lp: usize| {
        let rng = &mut rngs[lp];
        (rng.below(n) as u32, 1 + rng.below(2 * PHOLD_DELAY_US))
    };
    for lp in 0..PHOLD_LPS as usize {
        for _ in 0..PHOLD_EVENTS_PER_LP {
            let (target, delay) = hop(&mut rngs, lp);
            heap.push(Reverse((delay, target)));
        }
    }
    let mut checksum = 0u64;
    for _ in 0..events {
        let Reverse((time, lp)) = heap.pop().expect("constant population");
        let (target, delay) = hop(&mut rngs, lp as usize);
        checksum = checksum.wrapping_add(u64::from(target));
        heap.push(Reverse((time + delay, target)));
    }
    checksum
}

/// The same loop on `priority-queue` (every push and pop keeps its hash index): the
/// reference for what an indexed queue costs.
fn phold_indexed(events: u64) -> u64 {
    let n = u64::from(PHOLD_LPS);
    let mut rngs: Vec<_> = (0..n).map(|i| agent_rng(1, i)).collect();
    let mut queue = PriorityQueue::new();
    let mut next_id = 0u64;
    for rng in rngs.iter_mut() {
        for _ in 0..PHOLD_EVENTS_PER_LP {
            let (target, delay) = (rng.below(n) as u32, 1 + rng.below(2 * PHOLD_DELAY_US));
            queue.push(next_id, Reverse((delay, target)));
            next_id += 1;
        }
    }
    let mut checksum = 0u64;
    for _ in 0..events {
        let (_, Reverse((time, lp))) = queue.pop().expect("constant population");
        let rng = &mut rngs[lp as usize];
        let (target, delay) = (rng.below(n) as u32, 1 + rng.below(2 * PHOLD_DELAY_US));
        checksum = checksum.wrapping_add(u64::from(target));
        queue.push(next_id, Reverse((time + delay, target)));
        next_id += 1;
    }
    checksum
}

fn phold_config() -> PholdConfig {
    PholdConfig {
        n_lps: PHOLD_LPS,
        events_per_lp: PHOLD_EVENTS_PER_LP,
        delay_us_mean: PHOLD_DELAY_US,
        seed: 1,
    }
}

fn phold_engine(events: u64) -> u64 {
    let mut sim = phold::build(phold_config());
    sim.run(
        Limits {
            until: SimTime::MAX,
            events_max: events,
        },
        &mut (),
    );
    sim.now().0
}

fn phold_engine_traced(events: u64, dir: &Path) -> u64 {
    let mut sim = phold::build(phold_config());
    let scenario = Scenario::default();
    let world = swarmlb_model::build(&scenario);
    let header = header_for(&world.model, CHECKPOINT_EVERY_MAX);
    let file = std::fs::File::create(dir.join("phold.swlb")).expect("temp file");
    let mut writer = TraceWriter::new(BufWriter::with_capacity(1 << 16, file), "phold", &header)
        .expect("header");
    sim.run(
        Limits {
            until: SimTime::MAX,
            events_max: events,
        },
        &mut |key: &EventKey, _: &(), _: &_| {
            // PHOLD LP ids stay below the default layout's agent count. The file is only
            // written, never read, so its checkpoints need no real state hash.
            writer
                .push(key.time.0, key.source.0, key.target.0, Kind::Tick, 0)
                .expect("write");
            if writer.checkpoint_due() {
                writer.checkpoint(0).expect("write");
            }
            ControlFlow::Continue(())
        },
    );
    writer.finish(0, Ending::Complete).expect("finish");
    sim.now().0
}

/// Peak resident memory since the last reset, from /proc (Linux), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Reset the peak-memory mark (Linux `clear_refs` 5); false if not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn scenario(name: &str, overrides: &[String]) -> Scenario {
    swarmlb_model::scenario::load(
        name,
        overrides,
        |_| Err(std::io::ErrorKind::NotFound.into()),
    )
    .expect("bench scenarios are valid")
}

/// Run without a trace; returns (events, seconds).
fn run_plain(sc: &Scenario) -> (u64, f64) {
    let start = Instant::now();
    let mut runner = Runner::new(sc);
    runner.run_to_end(&mut (), |_| ControlFlow::Continue(()));
    (runner.sim.events_total(), start.elapsed().as_secs_f64())
}

/// Run with a trace file; returns (events, seconds, bytes). Written through the same
/// writer as `swarmlb run --trace`, but the closing `fsync` is left out of the timing: it
/// is a one-off cost of the disk (tens of milliseconds here, and erratic), not a cost of
/// recording events.
fn run_traced(sc: &Scenario, path: &Path) -> (u64, f64, u64) {
    let start = Instant::now();
    let file = std::fs::File::create(path).expect("temp trace");
    let out = BufWriter::with_capacity(1 << 16, file);
    let no_stop = |_: &swarmlb_model::metrics::Sample| ControlFlow::Continue(());
    let recorded = swarmlb_trace::write::record_run(sc, out, path, None, None, no_stop)
        .expect("trace written");
    let secs = start.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    (recorded.runner.sim.events_total(), secs, bytes)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("swarmlb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    format!("{cpu}, {cores} cores, {build} build")
}

/// What every workload measures with: the plan, a scratch directory and the report.
struct Bench<'a> {
    plan: Plan,
    dir: PathBuf,
    report: Report,
    progress: &'a mut dyn FnMut(&str),
}

impl Bench<'_> {
    /// Repetitions of a measurement (best of).
    fn runs(&self) -> usize {
        self.plan.pick(3, 2, 1)
    }
}

/// The workloads in report order, each adding its figures. The diff comes before the big
/// models so that the memory it adds is measured against a small process.
const WORKLOADS: [fn(&mut Bench); 4] = [phold, traces, diff, model_sizes];

/// Run every workload and report; `progress` hears what is being measured.
pub fn run(plan: Plan, progress: &mut dyn FnMut(&str)) -> Report {
    let mut cx = Bench {
        plan,
        dir: temp_dir(),
        report: Report {
            machine: machine(),
            plan,
            ..Report::default()
        },
        progress,
    };
    for workload in WORKLOADS {
        workload(&mut cx);
    }
    let _ = std::fs::remove_dir_all(&cx.dir);
    cx.report
}

/// PHOLD: the engine against a bare `BinaryHeap` loop and `priority-queue`, with and
/// without a trace.
fn phold(cx: &mut Bench) {
    (cx.progress)("PHOLD: bare BinaryHeap, priority-queue, engine, engine + trace");
    let n = cx.plan.pick(10_000_000, 2_000_000, 20_000);
    // Interleaved rounds, best of each: this VM's speed drifts by tens of per cent within
    // a minute, and measuring one loop after the other turned that drift into the ratio.
    let (mut bare, mut indexed, mut engine, mut traced) = (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..cx.runs() + 3 {
        bare = bare.min(best_of(1, || phold_bare(n)).0);
        indexed = indexed.min(best_of(1, || phold_indexed(n)).0);
        engine = engine.min(best_of(1, || phold_engine(n)).0);
        traced = traced.min(best_of(1, || phold_engine_traced(n, &cx.dir)).0);
    }
    cx.report.add(
        "phold_ratio_no_trace",
        "PHOLD engine / bare BinaryHeap loop",
        bare / engine,
        Unit::Ratio,
        Some(">= 0.6"),
    );
    cx.report.add(
        "phold_ratio_trace",
        "PHOLD engine writing a trace / bare loop",
        bare / traced,
        Unit::Ratio,
        Some(">= 0.45"),
    );
    cx.report.add(
        "phold_ratio_priority_queue",
        "PHOLD on priority-queue / bare loop (reference)",
        bare / indexed,
        Unit::Ratio,
        None,
    );
}

/// Traces on the default scenario: recording overhead, verify, fold, stats, replay.
fn traces(cx: &mut Bench) {
    (cx.progress)("traces: default scenario with and without recording, verify, fold, replay");
    let short = vec!["duration=\"5m\"".to_string()];
    let sc = scenario("default", cx.plan.pick(&[], &[], &short));
    let trace = cx.dir.join("default.swlb");
    // Interleaved, best of several: plain run, recorded run, replay, so that drift in
    // the machine's speed hits all three alike.
    let (mut plain_s, mut traced_s, mut replay_s) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let (mut events, mut bytes) = (0, 0);
    for _ in 0..cx.runs() + 2 {
        let (s, (e, _)) = best_of(1, || run_plain(&sc));
        plain_s = plain_s.min(s);
        events = e;
        let (s, (_, _, b)) = best_of(1, || run_traced(&sc, &trace));
        traced_s = traced_s.min(s);
        bytes = b;
        let (s, outcome) = best_of(1, || {
            let r = swarmlb_trace::TraceReader::open(&trace).expect("trace");
            swarmlb_trace::replay::replay(r, &mut |_| {}).expect("replay")
        });
        assert!(
            matches!(outcome, swarmlb_trace::replay::Outcome::Identical { .. }),
            "replay must be identical"
        );
        replay_s = replay_s.min(s);
    }
    cx.report.add(
        "recording_overhead_percent",
        "recording overhead (default, 1 h)",
        (traced_s / plain_s - 1.0) * 100.0,
        Unit::Percent,
        Some("<= +20%"),
    );
    let (verify_s, _) = best_of(cx.runs(), || {
        let mut r = swarmlb_trace::TraceReader::open(&trace).expect("trace");
        swarmlb_trace::verify::verify(&mut r).expect("intact")
    });
    let (fold_s, _) = best_of(cx.runs(), || {
        let r = swarmlb_trace::TraceReader::open(&trace).expect("trace");
        let mut state = swarmlb_trace::State::new(r.layout());
        let mut cursor = swarmlb_trace::fold::Cursor::new(r);
        cursor.fold_until(&mut state, SimTime::MAX).expect("intact");
        state.events
    });
    // What `swarmlb stats` does: count every event by kind and by agent.
    let (stats_s, _) = best_of(cx.runs(), || {
        let r = swarmlb_trace::TraceReader::open(&trace).expect("trace");
        swarmlb_trace::stats::count(r).0.total
    });
    cx.report.add(
        "replay_ratio",
        "replay speed / original run speed",
        plain_s / replay_s,
        Unit::Ratio,
        Some(">= 0.8"),
    );
    cx.report.add(
        "trace_bytes_per_event",
        "trace bytes per event (default)",
        bytes as f64 / events as f64,
        Unit::Bytes,
        Some("<= 16"),
    );
    cx.report.add(
        "verify_events_per_s",
        "verify",
        events as f64 / verify_s,
        Unit::PerSecond,
        Some(">= 30 M/s"),
    );
    cx.report.add(
        "stats_events_per_s",
        "stats (count by kind and agent)",
        events as f64 / stats_s,
        Unit::PerSecond,
        Some(">= 30 M/s"),
    );
    cx.report.add(
        "fold_events_per_s",
        "fold (rebuild state from the trace)",
        events as f64 / fold_s,
        Unit::PerSecond,
        None,
    );
    cx.report.add(
        "model_events_per_s_default",
        "model, default (20 servers / 800 users)",
        events as f64 / plain_s,
        Unit::PerSecond,
        None,
    );
}

/// diff of two long traces.
fn diff(cx: &mut Bench) {
    let hours = cx.plan.pick("9h", "1h", "10m");
    (cx.progress)(&format!("diff: two diurnal traces of {hours}"));
    let base = scenario("diurnal", &[format!("duration=\"{hours}\"")]);
    let perturbed = base.perturbed_at(Dur(base.duration.us() / 4), None);
    let (a, b) = (cx.dir.join("a.swlb"), cx.dir.join("b.swlb"));
    let (events_a, _, _) = run_traced(&base, &a);
    run_traced(&perturbed, &b);
    let start = Instant::now();
    let open = || {
        Ok((
            swarmlb_trace::TraceReader::open(&a)?,
            swarmlb_trace::TraceReader::open(&b)?,
        ))
    };
    let diff = swarmlb_trace::diff::diff(open, None).expect("diff");
    let diff_s = start.elapsed().as_secs_f64();
    let label = format!("diff: events per trace (verdict: {})", diff.verdict.name());
    cx.report
        .add("diff_events", label, events_a as f64, Unit::Count, None);
    cx.report.add(
        "diff_wall_s",
        "diff: wall time",
        diff_s,
        Unit::Seconds,
        None,
    );
    // Memory of a diff is measured from outside the process (see BENCHMARKS.md): in
    // here it would hide inside what the recordings above left allocated.
}

/// One size of the model workload: the `large` scenario at `servers` / `users`, and the
/// keys of its figures.
struct ModelSize {
    servers: u32,
    users: u32,
    /// Simulated duration in the full plan.
    full: &'static str,
    /// Simulated duration in the quick plan.
    quick: &'static str,
    key_speed: &'static str,
    /// The target of its events per second, if the issue sets one.
    target_speed: Option<&'static str>,
    key_rss: &'static str,
    /// Report the peak memory (and per user) rather than memory per agent.
    peak_rss: bool,
    key_wall: &'static str,
}

/// The model at three sizes.
const MODEL_SIZES: [ModelSize; 3] = [
    ModelSize {
        servers: 100,
        users: 10_000,
        full: "10m",
        quick: "2m",
        key_speed: "model_events_per_s_100_10k",
        target_speed: None,
        key_rss: "rss_bytes_per_agent_100_10k",
        peak_rss: false,
        key_wall: "wall_s_per_sim_hour_100_10k",
    },
    ModelSize {
        servers: 1_000,
        users: 100_000,
        full: "10m",
        quick: "2m",
        key_speed: "model_events_per_s",
        target_speed: Some(">= 3 M/s"),
        key_rss: "rss_bytes_per_agent_1k_100k",
        peak_rss: false,
        key_wall: "wall_s_per_sim_hour_1k_100k",
    },
    ModelSize {
        servers: 10_000,
        users: 1_000_000,
        full: "3m",
        quick: "1m",
        key_speed: "model_events_per_s_10k_1m",
        target_speed: None,
        key_rss: "peak_rss_bytes_1m_users",
        peak_rss: true,
        key_wall: "wall_s_per_sim_hour_10k_1m",
    },
];

/// The model at each of [`MODEL_SIZES`].
fn model_sizes(cx: &mut Bench) {
    for size in &MODEL_SIZES {
        model_size(cx, size);
    }
}

fn model_size(cx: &mut Bench, size: &ModelSize) {
    let duration = cx.plan.pick(size.full, size.quick, "5s");
    let (servers, users) = cx.plan.pick(
        (size.servers, size.users),
        (size.servers, size.users),
        (size.servers / 100, size.users / 100),
    );
    (cx.progress)(&format!(
        "model: {servers} servers / {users} users, {duration} simulated"
    ));
    let overrides = vec![
        format!("servers.initial={servers}"),
        format!("servers.max_servers={}", servers * 2),
        format!("users.count={users}"),
        format!("duration=\"{duration}\""),
    ];
    let sc = scenario("large", &overrides);
    let reset = reset_peak_rss();
    let (events, secs) = run_plain(&sc);
    let rss = peak_rss().unwrap_or(0);
    let n_agents = f64::from(servers * 2 * 4 + users + 3);
    let label = format!("{servers} servers / {users} users");
    cx.report.add(
        size.key_speed,
        format!("model, {label}"),
        events as f64 / secs,
        Unit::PerSecond,
        size.target_speed,
    );
    let sim_hours = sc.duration.us() as f64 / 3.6e9;
    cx.report.add(
        size.key_wall,
        format!("wall time per simulated hour, {label}"),
        secs / sim_hours,
        Unit::Seconds,
        None,
    );
    if size.peak_rss {
        let note = if reset {
            ""
        } else {
            " (peak of the whole bench)"
        };
        cx.report.add(
            size.key_rss,
            format!("peak memory, {label}{note}"),
            rss as f64,
            Unit::Bytes,
            Some("<= 2 GiB"),
        );
        cx.report.add(
            "rss_bytes_per_user_10k_1m",
            format!("peak memory per user, {label}"),
            rss as f64 / f64::from(users),
            Unit::Bytes,
            Some("about 1 KiB"),
        );
    } else {
        cx.report.add(
            size.key_rss,
            format!("peak memory per agent, {label}"),
            rss as f64 / n_agents,
            Unit::Bytes,
            None,
        );
    }
}
