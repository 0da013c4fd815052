//! Butterfly analysis on small hand-built trace pairs whose divergence, cascade, outcome
//! deltas, causal tree and verdict are worked out by hand in the comments (issue 13).

use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Kind, Layout, Scenario};
use swarmlb_trace::TraceWriter;
use swarmlb_trace::diff::{Outcome, Report, Verdict, diff};
use swarmlb_trace::format::{Ending, Header};
use swarmlb_trace::why::{self, Link};

use crate::reader;

/// The scenario of every hand-built trace: one-second samples.
fn scenario() -> Scenario {
    Scenario {
        sample_interval: Dur::secs(1),
        ..Scenario::default()
    }
}

fn layout() -> Layout {
    swarmlb_model::params::Params::new(&scenario()).layout
}

/// An agent by name (`S0`, `U1`, `P`, `E`).
fn id(name: &str) -> u32 {
    layout().parse(name).expect("an agent name").0
}

/// One event: time in ms, source, target, kind, value.
type Row = (u64, &'static str, &'static str, Kind, u32);

fn trace(rows: &[Row]) -> Vec<u8> {
    trace_in(&scenario(), rows)
}

/// [`trace`] under another scenario of the same layout.
fn trace_in(scenario: &Scenario, rows: &[Row]) -> Vec<u8> {
    let layout = layout();
    let header = Header {
        producer: "hand".into(),
        seed: 1,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every: 1024,
    };
    let mut w = TraceWriter::new(Vec::new(), "hand", &header).unwrap();
    for &(ms, source, target, kind, value) in rows {
        w.push(ms * 1000, id(source), id(target), kind, value)
            .unwrap();
    }
    w.finish(0, Ending::Complete).unwrap()
}

fn diff_of(a: &[u8], b: &[u8]) -> Report {
    diff(|| Ok((reader(a)?, reader(b)?)), None).unwrap()
}

fn tree_of(a: &[u8], b: &[u8]) -> why::Tree {
    why::tree(reader(a).unwrap(), reader(b).unwrap()).unwrap()
}

/// Two servers, two users, each user connected to its own server by 0.3 s, 2 ms to connect.
fn start() -> Vec<Row> {
    start_with(1)
}

/// As [`start`], with S1 reporting `s1_load` after U1 connects.
fn start_with(s1_load: u32) -> Vec<Row> {
    vec![
        (0, "E", "S0", Kind::ServerStart, 0),
        (0, "E", "S1", Kind::ServerStart, 0),
        (100, "U0", "U0", Kind::UserSpawn, id("S0")),
        (101, "U0", "S0", Kind::ConnectAccept, 1),
        (102, "S0", "U0", Kind::Connected, id("S0")),
        (200, "U1", "U1", Kind::UserSpawn, id("S1")),
        (201, "U1", "S1", Kind::ConnectAccept, s1_load),
        (202, "S1", "U1", Kind::Connected, id("S1")),
    ]
}

/// The end of every run: a directory refresh at 30 s, the same in both branches.
const END: Row = (30_000, "E", "E", Kind::DirectoryRefresh, 2);

/// U0 disconnected at 5 s, reconnects to S1 (20 ms), S1 migrates it back to S0 at 8 s
/// (3 ms).
fn healing() -> (Vec<u8>, Vec<u8>) {
    let mut a = start();
    a.push(END);
    let mut b = start();
    b.extend([
        (5_000, "P", "P", Kind::Butterfly, 0),
        (5_000, "P", "U0", Kind::Perturbed, id("S1")),
        (5_001, "U0", "S0", Kind::Leave, 0),
        (5_002, "U0", "S1", Kind::ConnectAccept, 2),
        (5_020, "S1", "U0", Kind::Connected, id("S1")),
        (8_000, "S1", "U0", Kind::Migrated, id("S0")),
        (8_001, "U0", "S1", Kind::Leave, 1),
        (8_002, "U0", "S0", Kind::ConnectAccept, 1),
        (8_003, "S0", "U0", Kind::Connected, id("S0")),
        END,
    ]);
    (trace(&a), trace(&b))
}

#[test]
fn a_healing_disconnection_is_dissipated_with_everything_worked_out() {
    let (a, b) = healing();
    let r = diff_of(&a, &b);
    let first = r.first.clone().unwrap();
    // Index 8: the first event after the common prefix; the perturbed branch's event is
    // the perturbation, the baseline's is its final refresh.
    assert_eq!(first.index, 8);
    assert_eq!(first.b.unwrap().kind, Kind::Butterfly);
    assert_eq!(first.a.unwrap().kind, Kind::DirectoryRefresh);
    let text = r.to_string();
    assert!(
        text.contains("  perturbed: t=5.000000s P -> P Butterfly user=U0"),
        "{text}"
    );
    assert!(text.contains("perturbation: U0 disconnected at t=5.000000s"));
    // Samples each second. t=5: only U0 differs (Connecting S1), loads not yet moved.
    // t=6, 7: U0 on S1; S0 has 0 instead of 1, S1 2 instead of 1. t=8: U0 connecting
    // back to S0, loads still moved. From t=9 on: identical.
    let micro: Vec<u64> = r.points.iter().map(|p| p.micro).collect();
    let mut expect = vec![0; 31];
    expect[5] = 1;
    expect[6..=8].copy_from_slice(&[3, 3, 3]);
    assert_eq!(micro, expect);
    let at = |s: usize| r.points[s];
    assert_eq!(
        (at(6).macro_l1, at(6).macro_sorted, at(6).users_moved),
        (2, 2, 1)
    );
    assert_eq!((at(5).macro_l1, at(5).users_moved), (0, 1));
    assert_eq!(r.reconverged_at, Some(SimTime::from_secs(9)));
    // Event-level cascade: U0 (from P), S0 (Leave), S1 (ConnectAccept); P not counted.
    assert_eq!(r.cascade_size, 3);
    assert_eq!(r.reach_servers, 2);
    assert_eq!(r.differed_at_sample, 3);
    assert_eq!(r.agents_total, 4);
    assert_eq!(r.verdict, Verdict::Dissipated);
    assert_eq!(r.growth, None, "no growth rate for a healed difference");
    assert!(text.contains("growth rate: n/a"));
    // Outcomes: one migration more; U0's 20 ms reconnection is the perturbation and left
    // out, its connection after the migration took 3 ms.
    assert_eq!(r.outcomes_run.delta(Outcome::Migrations), 1.0);
    assert_eq!(r.outcomes_after.delta(Outcome::Migrations), 1.0);
    assert_eq!(r.outcomes_run.baseline.get(Outcome::TtcP99), 2.0);
    assert_eq!(r.outcomes_run.branch.get(Outcome::TtcP99), 3.0);
    // No connection in the baseline after 5 s: no percentile, so not comparable.
    assert!(r.outcomes_after.baseline.get(Outcome::TtcP99).is_nan());
    assert!(r.to_string().contains("n/a (3.000 vs n/a)"));
    assert_eq!(r.outcomes_after.branch.get(Outcome::TtcP99), 3.0);
    for o in [
        Outcome::Rejections,
        Outcome::GaveUp,
        Outcome::Handoffs,
        Outcome::ScaleOuts,
    ] {
        assert_eq!(r.outcomes_run.delta(o), 0.0, "{o:?}");
    }
    // Load spread: CoV of [1, 1] is 0; of [0, 2] is 1 (t=6, 7, 8). Baseline mean 0; the
    // branch over 31 samples 3/31, over the 26 samples from t=5 on 3/26.
    assert_eq!(r.outcomes_run.baseline.get(Outcome::LoadSpread), 0.0);
    assert!((r.outcomes_run.branch.get(Outcome::LoadSpread) - 3.0 / 31.0).abs() < 1e-12);
    assert!((r.outcomes_after.branch.get(Outcome::LoadSpread) - 3.0 / 26.0).abs() < 1e-12);
}

#[test]
fn the_causal_tree_of_the_healing_pair() {
    let (a, b) = healing();
    let t = tree_of(&a, &b);
    let line = |n: &why::Node| {
        (
            layout().agent(n.agent).to_string(),
            layout().agent(n.parent).to_string(),
            n.link,
            n.depth,
        )
    };
    let ev = |ms: u64, s: &str, t: &str, kind: Kind, value: u32| swarmlb_model::Event {
        time: SimTime(ms * 1000),
        source: AgentId(id(s)),
        target: AgentId(id(t)),
        kind,
        value,
    };
    let got: Vec<_> = t.nodes.iter().map(line).collect();
    assert_eq!(
        got,
        vec![
            (
                "U0".into(),
                "P".into(),
                Link::Message(ev(5_000, "P", "U0", Kind::Perturbed, id("S1"))),
                1
            ),
            (
                "S0".into(),
                "U0".into(),
                Link::Message(ev(5_001, "U0", "S0", Kind::Leave, 0)),
                2
            ),
            (
                "S1".into(),
                "U0".into(),
                Link::Message(ev(5_002, "U0", "S1", Kind::ConnectAccept, 2)),
                2
            ),
        ]
    );
    assert_eq!(t.cascade_size(), diff_of(&a, &b).cascade_size);
    assert_eq!(t.per_depth(), vec![1, 2]);
    let rendered = t.render(0);
    assert!(rendered.starts_with("t=5.000000s P: perturbation, user=U0\n  t=5.000000s U0 <- P Perturbed target=S1\n    t=5.001000s S0 <- U0 Leave"), "{rendered}");
    // Depth 1 hides the two servers and says so.
    assert!(
        t.render(1)
            .contains("... 2 more agents deeper than 1 levels")
    );
    let dot = t.dot();
    assert!(
        dot.contains("\"U0\" -> \"S1\" [label=\"ConnectAccept 5.002000s\", style=solid];"),
        "{dot}"
    );
}

/// A perturbation whose victim is not connected: the records differ, nothing else does.
#[test]
fn a_perturbation_of_nobody_is_a_no_op() {
    let mut a = start();
    a.push(END);
    for (value, victim_row) in [(swarmlb_model::ids::NONE, None), (0, Some(()))] {
        let mut b = start();
        b.push((250, "P", "P", Kind::Butterfly, value));
        if victim_row.is_some() {
            b.push((250, "P", "U0", Kind::PerturbNoop, 0));
        }
        b.push(END);
        let r = diff_of(&trace(&a), &trace(&b));
        assert_eq!(r.verdict, Verdict::NoOp, "{r}");
        let text = r.to_string();
        assert!(!text.contains("4294967295"), "{text}");
        assert!(
            text.contains("nobody disconnected at t=0.250000s"),
            "{text}"
        );
    }
}

/// The same disconnection 25 s before the end has too few samples after it.
#[test]
fn a_late_perturbation_is_undetermined_and_an_early_one_is_not() {
    let run = |end_s: u64| {
        let mut a = start();
        let mut b = start();
        b.extend([
            (5_000, "P", "P", Kind::Butterfly, 0),
            (5_000, "P", "U0", Kind::Perturbed, id("S0")),
            (5_001, "U0", "S0", Kind::Leave, 0),
            (5_002, "U0", "S0", Kind::ConnectAccept, 1),
            (5_003, "S0", "U0", Kind::Connected, id("S0")),
        ]);
        let end = (end_s * 1000, "E", "E", Kind::DirectoryRefresh, 2);
        a.push(end);
        b.push(end);
        diff_of(&trace(&a), &trace(&b))
    };
    // Samples after t=5 s up to the end at 5 + n s: n of them.
    let n = swarmlb_trace::diff::OBSERVED_SAMPLES_MIN as u64;
    assert_eq!(run(5 + n - 1).verdict, Verdict::Undetermined);
    // Back on the same server within 3 ms: only U0 ever differed at a sample (at t=5).
    let r = run(5 + n);
    assert_eq!(r.verdict, Verdict::NoEffect, "{r}");
    // Event-level, S0 saw a Leave and an accept: it is in the cascade.
    assert_eq!(r.cascade_size, 2);
    assert_eq!(r.differed_at_sample, 1);
}

/// A disconnection that moves one user from S0 (load 1) to S1 (load 26) for good: the
/// per-server distance stays at 2, but three of the four agents diverged, so it is not
/// contained by the fixed rule. Without a null it is undetermined, whatever its outcomes
/// (3 or 4 more rejections change nothing); against a null it is decorrelated when
/// independent runs are no farther, contained when they are much farther.
#[test]
fn a_lasting_difference_is_judged_against_the_null_never_by_its_outcomes() {
    use swarmlb_trace::null::Null;
    let pair = |rejections: u32| {
        let mut a = start_with(26);
        let mut b = start_with(26);
        b.extend([
            (5_000, "P", "P", Kind::Butterfly, 0),
            (5_000, "P", "U0", Kind::Perturbed, id("S1")),
            (5_001, "U0", "S0", Kind::Leave, 0),
            (5_002, "U0", "S1", Kind::ConnectAccept, 27),
            (5_003, "S1", "U0", Kind::Connected, id("S1")),
        ]);
        for k in 0..rejections {
            b.push((6_000 + u64::from(k), "U1", "S1", Kind::ConnectReject, 27));
        }
        a.push(END);
        b.push(END);
        diff_of(&trace(&a), &trace(&b))
    };
    for rejections in [3, 4] {
        let r = pair(rejections);
        assert_eq!(r.evidence.peak_macro, 2);
        assert_eq!(r.cascade_size, 3);
        assert_eq!(
            r.outcomes_after.delta(Outcome::Rejections),
            f64::from(rejections)
        );
        assert_eq!(r.verdict, Verdict::Undetermined, "{r}");
        assert!(r.growth.is_some(), "a lasting difference has a growth rate");
        let text = r.to_string();
        assert!(
            !text
                .lines()
                .any(|l| l.ends_with("worse") || l.ends_with("better")),
            "{text}"
        );
    }
    let r = pair(4);
    let last_micro = r.last().unwrap().micro;
    let null_at = |micro: u64| {
        let points = r
            .points
            .iter()
            .map(|p| swarmlb_trace::diff::Point { micro, ..*p })
            .collect();
        Null::new(vec![99], vec![points], vec![r.outcomes_after])
    };
    let near = r.clone().with_null(null_at(last_micro));
    assert_eq!(near.verdict, Verdict::Decorrelated, "{near}");
    assert!(near.decorrelation_time.is_some());
    let far = r.clone().with_null(null_at(10 * last_micro));
    assert_eq!(far.verdict, Verdict::Contained, "{far}");
    assert!(far.to_string().contains("phi micro        0.10"), "{far}");
}

/// The perturbed branch given first is refused rather than analysed backwards.
#[test]
fn the_perturbed_branch_first_is_refused() {
    let (a, b) = healing();
    let e = diff(|| Ok((reader(&b)?, reader(&a)?)), None).unwrap_err();
    assert!(e.to_string().contains("pass the baseline first"), "{e}");
    assert!(!e.to_string().contains("corrupt"), "{e}");
}

/// Parents precede children even within one instant (S0 hears U0's Leave at the very
/// time U0 is perturbed); a user's own pick after the directory diverged hangs under
/// the directory, not under the last diverged agent it heard from; a server, which reads
/// no directory, with no carrier is unexplained.
#[test]
fn same_instant_causality_and_the_directory() {
    let mut a = start();
    a.extend([
        (6_000, "E", "E", Kind::DirectoryRefresh, 2),
        (6_500, "S1", "U1", Kind::Pong, 0),
        (7_000, "U1", "U1", Kind::Retry, id("S1")),
        (7_500, "S2", "S2", Kind::GossipTick, 1),
        END,
    ]);
    let mut b = start();
    b.extend([
        (5_000, "P", "P", Kind::Butterfly, 0),
        (5_000, "P", "U0", Kind::Perturbed, id("S1")),
        (5_000, "U0", "S0", Kind::Leave, 0),
        (5_001, "U0", "S1", Kind::ConnectAccept, 2),
        (6_000, "E", "E", Kind::DirectoryRefresh, 1),
        // The same record in both branches: S1 has diverged, but this Pong matches.
        (6_500, "S1", "U1", Kind::Pong, 0),
        (7_000, "U1", "U1", Kind::Retry, id("S0")),
        // A server's own choice differs with nothing to carry it: unexplained.
        (7_500, "S2", "S2", Kind::GossipTick, 0),
        END,
    ]);
    let t = tree_of(&trace(&a), &trace(&b));
    let got: Vec<(String, String, &str, usize, bool)> = t
        .nodes
        .iter()
        .map(|n| {
            (
                layout().agent(n.agent).to_string(),
                layout().agent(n.parent).to_string(),
                n.link.name(),
                n.depth,
                n.explained,
            )
        })
        .collect();
    let row = |agent: &str, parent: &str, link, depth| {
        (agent.to_string(), parent.to_string(), link, depth, true)
    };
    assert_eq!(
        got,
        vec![
            row("U0", "P", "message", 1),
            row("S0", "U0", "message", 2),
            row("S1", "U0", "message", 2),
            row("E", "P", "local", 1),
            row("U1", "E", "local", 2),
            ("S2".into(), "P".into(), "local", 1, false),
        ]
    );
    let text = t.render(0);
    assert!(
        text.contains("S2: own GossipTick peer=S0 differs (no carrier found)"),
        "{text}"
    );
    assert!(
        text.contains("unexplained: 1 agents with no carrier found"),
        "{text}"
    );
    assert!(
        text.contains(
            "E: own DirectoryRefresh listed=1 differs (the environment reads the world's ground truth: servers running, users alive)"
        ),
        "{text}"
    );
    assert!(
        text.contains("U1: own Retry target=S0 differs (read the diverged directory)"),
        "{text}"
    );
}

/// The whole report of the healing pair, every number worked out in
/// [`a_healing_disconnection_is_dissipated_with_everything_worked_out`]: what a person
/// reads, line by line.
#[test]
fn the_report_of_the_healing_pair_line_by_line() {
    let (a, b) = healing();
    let r = diff_of(&a, &b);
    let expect = [
        "events: 9 vs 18",
        "perturbation: U0 disconnected at t=5.000000s",
        "first divergence: event 8 at t=5.000000s",
        "  perturbed: t=5.000000s P -> P Butterfly user=U0",
        "  baseline:  t=30.000000s E -> E DirectoryRefresh listed=2",
        "peak micro divergence: 3 agents at t=6.000000s",
        "peak macro divergence: per-server L1 2 at t=6.000000s; sorted L1 2 at t=6.000000s",
        "final divergence: micro 0, per-server L1 0, sorted L1 0, users on another server 0, servers alive +0",
        "cascade size: 3 of 4 agents diverged (2 servers reached), 3 differed at a sample",
        "per-server L1 back to 0 at t=9.000000s and stayed there",
        "null model: none (no reference runs: no verdict above contained)",
        "growth rate: n/a (only for a lasting difference: contained, decorrelated)",
        "outcomes, branch - baseline (branch vs baseline): whole run | after t=5.000000s",
        "  rejections              0 (0 vs 0)              |        0 (0 vs 0)",
        "  gave_up                 0 (0 vs 0)              |        0 (0 vs 0)",
        "  migrations             +1 (1 vs 0)              |       +1 (1 vs 0)",
        "  handoffs                0 (0 vs 0)              |        0 (0 vs 0)",
        "  scale_outs              0 (0 vs 0)              |        0 (0 vs 0)",
        "  ttc_p99_ms         +1.000 (3.000 vs 2.000)      |      n/a (3.000 vs n/a)",
        // The spread rose after the perturbation, but one pair says nothing of outcomes:
        // no "worse" beside it.
        "  load_spread_cov   +0.0968 (0.0968 vs 0.0000)    |  +0.1154 (0.1154 vs 0.0000)",
        "verdict: dissipated",
    ]
    .join("\n");
    let text = r.to_string();
    assert_eq!(
        text,
        format!("{expect}\n  ({})\n", Report::thresholds()),
        "{text}"
    );
    // The per-sample CSV: a header and one row per second, 0 s to 30 s.
    let csv = r.csv();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 1 + 31);
    assert_eq!(rows[0], Report::CSV_COLUMNS);
    assert!(
        rows[0].starts_with("time_s,micro,macro_l1,macro_sorted,users_moved,servers_alive_diff,")
    );
    // Without a null model its columns are empty.
    assert_eq!(rows[1], "0.000000,0,0,0,0,0,,,,,,,,");
    assert_eq!(rows[6], "5.000000,1,0,0,1,0,,,,,,,,");
    assert_eq!(rows[7], "6.000000,3,2,2,1,0,,,,,,,,");
    assert_eq!(rows[31], "30.000000,0,0,0,0,0,,,,,,,,");
    // The agents of the first divergence: both events' ends and the butterfly's victim.
    let mut agents = ["E", "P", "U0"].map(|n| AgentId(id(n))).to_vec();
    agents.sort();
    assert_eq!(r.first.as_ref().unwrap().agents(&r.layout), agents);
}

/// The perturbation line in each of its cases.
#[test]
fn the_perturbation_line_says_who_was_disconnected_and_how_long_it_waits() {
    let (a, b) = healing();
    let r = diff_of(&a, &b);
    let waits = Report {
        reconnect_after: Some(SimTime::from_secs(10)),
        ..r.clone()
    };
    assert_eq!(
        waits.perturbation_line().unwrap(),
        "U0 disconnected at t=5.000000s, searching again after 10s"
    );
    let p = r.perturbation.unwrap();
    let with = |victim, disconnected| Report {
        perturbation: Some(swarmlb_trace::diff::Perturbation {
            victim,
            disconnected,
            ..p
        }),
        ..r.clone()
    };
    assert_eq!(
        with(Some(3), false).perturbation_line().unwrap(),
        "nobody disconnected at t=5.000000s (U3 was not connected)"
    );
    assert_eq!(
        with(None, false).perturbation_line().unwrap(),
        "nobody disconnected at t=5.000000s (no user was connected)"
    );
    let none = Report {
        perturbation: None,
        ..r
    };
    assert_eq!(none.perturbation_line(), None);
    assert!(!none.to_string().contains("perturbation:"));
}

/// The names are CSV columns and report words; which outcomes decide and which kinds
/// they count are part of the verdict's definition.
#[test]
fn outcome_and_verdict_declarations() {
    let names: Vec<_> = Outcome::ALL.iter().map(|o| o.name()).collect();
    assert_eq!(
        names,
        [
            "rejections",
            "gave_up",
            "migrations",
            "handoffs",
            "scale_outs",
            "ttc_p99_ms",
            "load_spread_cov"
        ]
    );
    let counted: Vec<_> = Outcome::ALL.iter().map(|o| o.counted_kind()).collect();
    assert_eq!(
        counted,
        [
            Some(Kind::ConnectReject),
            Some(Kind::GaveUp),
            Some(Kind::Migrated),
            Some(Kind::HandoffDone),
            Some(Kind::ProvisionGrant),
            None,
            None
        ]
    );
    let verdicts: Vec<_> = Verdict::ALL.iter().map(|v| (v.name(), v.grew())).collect();
    assert_eq!(
        verdicts,
        [
            ("identical", false),
            ("no-op", false),
            ("undetermined", false),
            ("no effect", false),
            ("dissipated", false),
            ("contained", true),
            ("decorrelated", true)
        ]
    );
    let t = Report::thresholds();
    for part in [
        "fewer than 10 samples after the perturbation",
        "back to 0 for the last 3+ samples",
        "peak per-server L1 <= 20 users and cascade <= 5% of agents",
        "over the last 10 samples inside the band",
        "whether anything got worse is a test over an ensemble",
    ] {
        assert!(t.contains(part), "{part} not in {t}");
    }
}

/// A butterfly names a user slot only when the slot exists: `NONE` and a value past the
/// last slot name nobody.
#[test]
fn the_agents_of_a_divergence_name_only_existing_victims() {
    use swarmlb_model::Event;
    use swarmlb_trace::diff::FirstDivergence;
    let layout = layout();
    let p = AgentId(id("P"));
    let butterfly = |value| FirstDivergence {
        index: 0,
        time: SimTime::ZERO,
        a: None,
        b: Some(Event {
            time: SimTime::ZERO,
            source: p,
            target: p,
            kind: Kind::Butterfly,
            value,
        }),
    };
    let last = layout.n_users - 1;
    let mut with_last = vec![p, layout.user(last)];
    with_last.sort();
    assert_eq!(butterfly(last).agents(&layout), with_last);
    assert_eq!(butterfly(layout.n_users).agents(&layout), [p]);
    assert_eq!(butterfly(swarmlb_model::ids::NONE).agents(&layout), [p]);
}

/// `diff` keeps a point per sample, so it bounds their number as a scenario does: an
/// interval of at least 1 ms, at most a million samples, both limits inclusive.
#[test]
fn diff_refuses_too_many_or_too_fine_samples() {
    use swarmlb_trace::diff::DiffError;
    let with =
        |bytes: &[u8], us: u64| diff(|| Ok((reader(bytes)?, reader(bytes)?)), Some(SimTime(us)));
    let refused = |r: Result<Report, DiffError>| match r {
        Err(DiffError::Mismatch(m)) => m.contains("the interval must be at least 1ms"),
        _ => false,
    };
    // A minute: the 1 ms floor decides.
    let minute = trace_in(
        &Scenario {
            duration: Dur::secs(60),
            ..scenario()
        },
        &[],
    );
    assert!(refused(with(&minute, 999)));
    assert_eq!(with(&minute, 1_000).unwrap().verdict, Verdict::Identical);
    // An hour: a million samples of 3.6 ms, not one more.
    let hour = trace(&[]);
    assert_eq!(scenario().duration, Dur::secs(3600));
    assert_eq!(with(&hour, 3_600).unwrap().points.len(), 1);
    assert!(refused(with(&hour, 3_599)));
}

/// Only the victim's own `Perturbed` record says it was disconnected.
#[test]
fn a_perturbed_record_of_another_user_does_not_disconnect_the_victim() {
    let mut a = start();
    a.push(END);
    let mut b = start();
    b.extend([
        (5_000, "P", "P", Kind::Butterfly, 0),
        (5_000, "P", "U1", Kind::Perturbed, id("S0")),
        END,
    ]);
    let r = diff_of(&trace(&a), &trace(&b));
    let p = r.perturbation.unwrap();
    assert_eq!((p.victim, p.disconnected), (Some(0), false));
}

/// `butterfly.reconnect_after` of the perturbed branch, where zero means at once.
#[test]
fn the_victim_s_wait_is_read_from_the_branch_s_scenario() {
    let mut a = start();
    a.push(END);
    let branch = |wait: Option<Dur>| {
        let mut s = scenario().perturbed_at(Dur::secs(5), Some(0));
        s.butterfly.as_mut().unwrap().reconnect_after = wait;
        let mut rows = start();
        rows.extend([
            (5_000, "P", "P", Kind::Butterfly, 0),
            (5_000, "P", "U0", Kind::Perturbed, swarmlb_model::ids::NONE),
            END,
        ]);
        diff_of(&trace(&a), &trace_in(&s, &rows)).reconnect_after
    };
    assert_eq!(branch(Some(Dur::secs(10))), Some(SimTime::from_secs(10)));
    assert_eq!(branch(Some(Dur(0))), None);
    assert_eq!(branch(None), None);
}

/// The environment, the coordinator and the perturbation agent count among the agents
/// that could have diverged when they did.
#[test]
fn a_diverged_environment_counts_among_the_agents() {
    let mut a = start();
    a.push(END);
    let mut b = start();
    b.extend([(6_000, "E", "E", Kind::DirectoryRefresh, 1), END]);
    let r = diff_of(&trace(&a), &trace(&b));
    assert_eq!(r.cascade_size, 1);
    // S0, S1, U0 and U1 were alive; E diverged.
    assert_eq!(r.agents_total, 4 + 1);
}
