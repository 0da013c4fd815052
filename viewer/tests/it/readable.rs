//! Issue 16: what makes the viewer readable without its source: axes, the legend, the key
//! list, a layout that holds at 1280×720, and the fleet view's aggregates.

use swarmlb_engine::SimTime;
use swarmlb_model::observe::ServerView;
use swarmlb_viewer::keys::{self, Action, BINDINGS};
use swarmlb_viewer::layout::{self, Rect};
use swarmlb_viewer::timeline::Timeline;
use swarmlb_viewer::{axes, fleet, style};

use crate::golden;

#[test]
fn ticks_are_round_and_cover_the_range() {
    let check = |lo: f64, hi: f64, max: usize, expect: &[f64]| {
        assert_eq!(axes::ticks(lo, hi, max), expect, "ticks({lo}, {hi}, {max})");
    };
    check(0.0, 60.0, 7, &[0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
    check(0.0, 60.0, 6, &[0.0, 20.0, 40.0, 60.0]);
    check(0.0, 1.0, 5, &[0.0, 0.5, 1.0]);
    check(0.0, 120.0, 8, &[0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0]);
    check(0.0, 97_546.0, 5, &[0.0, 50_000.0]);
    check(3.0, 17.0, 4, &[5.0, 10.0, 15.0]);
    // Degenerate ranges give one tick, never a loop or a panic.
    check(5.0, 5.0, 5, &[5.0]);
    check(5.0, 1.0, 5, &[5.0]);
    assert_eq!(axes::ticks(0.0, f64::NAN, 5).len(), 1);
    // At most TICKS_MAX, whatever is asked.
    assert!(axes::ticks(0.0, 1e6, 1000).len() <= axes::TICKS_MAX);
}

#[test]
fn time_units_follow_the_run_length() {
    let unit = |s: u64| axes::time_unit(SimTime::from_secs(s)).1;
    assert_eq!(unit(60), "s");
    assert_eq!(unit(300), "s");
    assert_eq!(unit(301), "min");
    assert_eq!(unit(3600), "min");
    assert_eq!(unit(5 * 3600), "min");
    assert_eq!(unit(5 * 3600 + 1), "h");
    assert_eq!(axes::label(3.0), "3");
    assert_eq!(axes::label(0.5), "0.5");
    assert_eq!(axes::label(0.14), "0.14");
    assert_eq!(axes::label(50_000.0), "50000");
}

#[test]
fn every_key_is_bound_once_and_in_the_help() {
    let mut seen = Vec::new();
    for b in BINDINGS {
        assert!(!b.keys.is_empty(), "{} has keys", b.name);
        for k in b.keys {
            assert!(!seen.contains(k), "{k:?} bound twice");
            seen.push(*k);
        }
    }
    let help = keys::help_lines();
    for b in BINDINGS {
        assert!(
            help.iter()
                .any(|l| l.starts_with(b.name) && l.contains(b.what)),
            "{} in the help",
            b.name
        );
    }
    // One binding per action: the help lists each once.
    for (i, a) in BINDINGS.iter().enumerate() {
        assert!(
            BINDINGS[i + 1..].iter().all(|b| b.action != a.action),
            "{:?} twice",
            a.action
        );
    }
    // The footer's reminder comes from the same table.
    let footer = keys::footer();
    for b in BINDINGS.iter().filter(|b| !b.short.is_empty()) {
        assert!(
            footer.contains(&format!("[{}] {}", b.name, b.short)),
            "{footer}"
        );
    }
    assert!(footer.starts_with("[space] play"), "{footer}");
    let categories = BINDINGS
        .iter()
        .find(|b| b.action == Action::ToggleCategory)
        .unwrap();
    assert_eq!(categories.keys.len(), 5, "one key per log category");
}

#[test]
fn help_flag_lists_every_key_binding() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_swarmlb-viewer"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for line in keys::help_lines() {
        assert!(out.contains(&line), "{line:?} in --help:\n{out}");
    }
}

fn inside(inner: Rect, outer: (f32, f32)) -> bool {
    inner.x >= 0.0 && inner.y >= 0.0 && inner.x + inner.w <= outer.0 && inner.y + inner.h <= outer.1
}

fn overlap(a: Rect, b: Rect) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

#[test]
fn the_layout_holds_at_1280x720() {
    for (w, h) in [layout::SCREEN_MIN, (1600.0, 900.0), (1920.0, 1080.0)] {
        for n in [1, 2] {
            let s = layout::screen(w, h, n);
            let mut regions = vec![s.legend, s.plots, s.log, s.timeline];
            regions.extend(s.panels.iter().flatten());
            assert_eq!(s.panels.iter().flatten().count(), n);
            for (i, a) in regions.iter().enumerate() {
                assert!(inside(*a, (w, h)), "{a:?} inside {w}x{h}");
                for b in &regions[i + 1..] {
                    assert!(!overlap(*a, *b), "{a:?} and {b:?} overlap at {w}x{h}");
                }
            }
            // Room for what is drawn there: three labelled history strips and a time
            // axis; a log line; the server panels above all that.
            assert!(s.plots.h >= 180.0, "{w}x{h}");
            assert!(s.log.w >= 320.0, "{w}x{h}");
            assert!(s.panels[0].unwrap().h >= 300.0, "{w}x{h}");
            assert_eq!(s.timeline.y + s.timeline.h, h, "the footer is on screen");
        }
    }
}

#[test]
fn the_fleet_regions_split_the_area_and_rows_map_to_servers() {
    let area = Rect {
        x: 4.0,
        y: 70.0,
        w: 1272.0,
        h: 360.0,
    };
    let f = layout::fleet(area);
    for r in [f.heat, f.histogram, f.flows] {
        assert!(r.x >= area.x && r.x + r.w <= area.x + area.w, "{r:?}");
        assert!(r.y >= area.y && r.y + r.h <= area.y + area.h, "{r:?}");
    }
    assert!(!overlap(f.heat, f.histogram) && !overlap(f.histogram, f.flows));
    assert_eq!(layout::heat_row(f.heat.y, f.heat, 1000), 0);
    assert_eq!(
        layout::heat_row(f.heat.y + f.heat.h - 0.01, f.heat, 1000),
        999
    );
    assert_eq!(
        layout::heat_row(f.heat.y + f.heat.h / 2.0, f.heat, 1000),
        500
    );
    assert_eq!(
        layout::heat_row(f.heat.y - 50.0, f.heat, 1000),
        0,
        "clamped"
    );
}

#[test]
fn the_fleet_view_starts_above_100_servers() {
    assert!(!fleet::starts_in_fleet(100));
    assert!(fleet::starts_in_fleet(101));
    assert!(fleet::starts_in_fleet(1000));
}

#[test]
fn histogram_bins_are_tenths_of_capacity() {
    let s = |load| (ServerView::Alive, load);
    let bins = fleet::histogram(
        &[
            s(0),
            s(9),
            s(10),
            s(49),
            s(50),
            s(99),
            s(100),
            s(130),
            (ServerView::Off, 50),
            (ServerView::Terminated, 50),
            (ServerView::Crashed, 50),
            (ServerView::Draining, 20),
        ],
        100,
    );
    assert_eq!(bins, [2, 1, 1, 0, 1, 1, 0, 0, 0, 3]);
    assert_eq!(bins.iter().sum::<u32>(), 9, "running servers only");
}

#[test]
fn groups_are_contiguous_and_cover_every_server() {
    for n in [1, 2, 7, 10, 15, 101, 1000, 1999] {
        let g = fleet::groups(n);
        assert!((1..=fleet::GROUPS_MAX).contains(&g) && g <= n);
        assert_eq!(fleet::group_start(0, n), 0);
        assert_eq!(fleet::group_start(g, n), n);
        for idx in 0..n {
            let k = fleet::group_of(idx, n);
            assert!(k < g);
            assert!(fleet::group_start(k, n) <= idx && idx < fleet::group_start(k + 1, n));
        }
    }
    assert_eq!(fleet::group_of(999, 1000), 9);
    assert_eq!(fleet::group_of(100, 1000), 1);
    assert_eq!(fleet::group_of(99, 1000), 0);
}

#[test]
fn flows_count_every_line_drawn_message_between_groups() {
    let tl = Timeline::load(&golden("seed-classic.swlb")).unwrap();
    let n = tl.servers_used;
    let counts = fleet::flows(tl.layout, &tl.events, n);
    let drawn = tl
        .events
        .iter()
        .filter(|e| fleet::message_servers(tl.layout, e).is_some_and(|(a, b)| a < n && b < n))
        .count();
    assert!(
        drawn > 0,
        "the golden trace has delegations, pulls or hand-offs"
    );
    assert_eq!(counts.iter().sum::<u32>() as usize, drawn);
    assert_eq!(
        counts.len(),
        (fleet::groups(n) * fleet::groups(n)) as usize * fleet::FLOW_KINDS
    );
    // Heartbeats and pings are not flows.
    let quiet: Vec<_> = tl
        .events
        .iter()
        .filter(|e| fleet::flow_kind(e.kind).is_none())
        .cloned()
        .collect();
    assert!(fleet::flows(tl.layout, &quiet, n).iter().all(|&c| c == 0));
}

#[test]
fn the_heat_map_holds_each_servers_load_over_time() {
    let tl = Timeline::load(&golden("seed-classic.swlb")).unwrap();
    let heat = &tl.heat;
    assert!(heat.columns() >= fleet_columns_min(), "{}", heat.columns());
    for column in [0, 10, 100, heat.columns() - 2] {
        let t = SimTime(heat.interval.0 * column as u64);
        let state = tl.state_at(t);
        for (idx, (view, load)) in state.observed.servers.iter().enumerate() {
            let expect = view.is_running().then_some(*load);
            assert_eq!(heat.load(column, idx as u32), expect, "S{idx} at {t}");
        }
        assert_eq!(heat.column_at(t), column);
    }
}

fn fleet_columns_min() -> usize {
    swarmlb_viewer::timeline::HEAT_COLUMNS as usize / 2
}

#[test]
fn a_branch_only_server_is_absent_in_the_other_run() {
    let base = Timeline::load(&golden("seed-classic.swlb")).unwrap();
    let n = base.servers_used;
    assert!(base.ever_started(0));
    assert!(!base.ever_started(n), "slot {n} never started");
    assert!(!base.ever_started(u32::MAX), "out of range is not started");
}

#[test]
fn legend_and_palette_say_what_colours_mean() {
    // The load colour bar uses the same ramp as the load bars and the heat map.
    for load in [0, 3, 5, 8, 10] {
        assert_eq!(
            style::utilization(load, 10),
            style::ramp(load as f32 / 10.0)
        );
    }
    // Every message kind drawn as a line has a legend entry of its colour.
    for &kind in swarmlb_model::Kind::ALL {
        if let Some(color) = style::message(kind) {
            assert!(
                style::LEGEND_ENTRIES.iter().any(|e| e.color == color),
                "{kind:?} in the legend"
            );
        }
    }
    // The highlight means one thing only.
    let highlights = style::PALETTE
        .iter()
        .filter(|&&c| c == style::HIGHLIGHT)
        .count();
    assert_eq!(highlights, 1);
    assert_ne!(style::RUN_A, style::RUN_B);
}

fn seed_classic() -> Timeline {
    Timeline::load(&golden("seed-classic.swlb")).unwrap()
}

#[test]
fn knobs_set_the_scenario_fields_they_name() {
    use swarmlb_viewer::knobs::{FIELDS, Field, Knobs};
    let base = seed_classic().scenario;
    let mut k = Knobs::new(&base);
    assert!(k.changes().is_empty(), "at the trace's values");
    for field in FIELDS {
        assert_eq!(Field::get(field, &k.scenario), field.get(&base));
        let (lo, hi) = field.range(&base);
        assert!(lo < hi, "{field:?}");
        assert!(
            (lo..=hi).contains(&field.get(&base)),
            "{field:?}: the trace's value is on its slider"
        );
    }
    k.apply("capacity=12").unwrap();
    assert_eq!(k.scenario.servers.capacity, 12);
    k.apply("high=85").unwrap();
    assert_eq!(k.scenario.servers.high_watermark, 0.85, "exact in TOML");
    k.apply("low=42").unwrap();
    assert_eq!(k.scenario.servers.low_watermark, 0.4, "steps of 5%");
    k.apply(" users = 25 ").unwrap();
    // seed-classic keeps its population with the original's rule: the knob sets its floor.
    let rule = k
        .scenario
        .users
        .population
        .as_ref()
        .expect("seed-classic's rule");
    assert_eq!((rule.floor, rule.cap), (25, 100));
    assert_eq!(k.scenario.users.count, 0);
    let (min, max) = (base.network.latency_min.us(), base.network.latency_max.us());
    k.apply("latency=4").unwrap();
    assert_eq!(k.scenario.network.latency_max.us(), 4_000);
    assert_eq!(
        k.scenario.network.latency_min.us(),
        (u128::from(min) * 4_000 / u128::from(max)) as u64,
        "the minimum keeps its ratio"
    );
    assert_eq!(
        k.changes(),
        ["capacity=12", "high=85", "low=40", "users=25", "latency=4"]
    );
    // Sliders: the ends of the track are the ends of the range.
    k.slide(Field::Capacity, 0.0);
    assert_eq!(
        f64::from(k.scenario.servers.capacity),
        Field::Capacity.range(&base).0
    );
    k.slide(Field::Capacity, 1.0);
    assert_eq!(
        f64::from(k.scenario.servers.capacity),
        Field::Capacity.range(&base).1
    );
    assert_eq!(k.fraction(Field::Capacity), 1.0);
    for bad in [
        "capacity",
        "capcity=3",
        "capacity=x",
        "capacity=-1",
        "users=inf",
    ] {
        assert!(Knobs::new(&base).apply(bad).is_err(), "{bad:?} refused");
    }
}

#[test]
fn a_knobs_run_at_the_traces_values_is_the_trace() {
    let base = seed_classic();
    let (_, same) = swarmlb_viewer::knobs::rerun(&base, &base.scenario).unwrap();
    assert_eq!(
        same.events, base.events,
        "same scenario, same seed, same run"
    );
}

#[test]
fn a_knobs_run_diverges_and_saves_as_trace_and_toml() {
    let base = seed_classic();
    let mut k = swarmlb_viewer::knobs::Knobs::new(&base.scenario);
    k.apply("capacity=7").unwrap();
    // A floor above seed-classic's cap of 100 raises the cap: more user slots.
    k.apply("users=150").unwrap();
    let (run, tl) = swarmlb_viewer::knobs::rerun(&base, &k.scenario).unwrap();
    assert_eq!(tl.capacity(), 7);
    assert_eq!(run.label, "capacity=7-users=150");
    assert_ne!(tl.layout, base.layout, "more user slots");
    // Runs of different sizes are compared slot by slot, without a panic.
    let points = swarmlb_viewer::compare::series(&base, &tl, SimTime::from_secs(1));
    assert!(points.iter().any(|p| p.micro > 0 && p.macro_l1 > 0));
    let d = swarmlb_viewer::compare::differences(
        &base.state_at(SimTime::from_secs(30)).observed,
        &tl.state_at(SimTime::from_secs(30)).observed,
    );
    assert_eq!(
        d.users.len(),
        tl.layout.n_users as usize,
        "padded to the larger"
    );
    assert!(d.count() > 0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("knobs-save");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (trace, toml) = swarmlb_viewer::knobs::save(&dir, "k", &run).unwrap();
    let again = Timeline::load(&trace).unwrap();
    assert_eq!(again.events, tl.events);
    let text = std::fs::read_to_string(toml).unwrap();
    let parsed = swarmlb_model::Scenario::parse(&text, "k.toml", &[]).unwrap();
    assert_eq!(parsed, k.scenario, "the TOML runs the same scenario");
    // An invalid combination is refused with the field's name, not simulated.
    let mut bad = k.scenario.clone();
    bad.servers.low_watermark = 0.95;
    let e = swarmlb_viewer::knobs::rerun(&base, &bad).err().unwrap();
    assert!(e.contains("watermark"), "{e}");
}

fn butterfly_pair() -> (Timeline, Timeline) {
    (
        Timeline::load(&golden("butterfly/baseline.swlb")).unwrap(),
        Timeline::load(&golden("butterfly/perturbed.swlb")).unwrap(),
    )
}

#[test]
fn identical_runs_have_no_causal_chain() {
    let a = seed_classic();
    let tree = swarmlb_viewer::chain::tree(&a, &a).unwrap();
    assert!(tree.nodes.is_empty());
    assert_eq!(swarmlb_viewer::chain::next_node(&tree, SimTime::ZERO), None);
}

/// Issue 16: the chain panel shows `swarmlb why`'s tree, not a computation of its own. On
/// the golden butterfly pair, the viewer's tree (from the events it loaded) equals the
/// tree `swarmlb_trace::why::tree` reads from the files, node for node; a viewer that
/// computed its own chain (first differing event per agent and its sender) fails here.
#[test]
fn the_chain_panel_shows_the_why_tree_of_a_butterfly_pair() {
    use swarmlb_trace::TraceReader;
    let (a, b) = butterfly_pair();
    let viewer = swarmlb_viewer::chain::tree(&a, &b).unwrap();
    let open = |name: &str| TraceReader::open(&golden(name)).unwrap();
    let why = swarmlb_trace::why::tree(
        open("butterfly/baseline.swlb"),
        open("butterfly/perturbed.swlb"),
    )
    .unwrap();
    assert_eq!(viewer, why);
    assert!(why.nodes.len() >= 3, "a cascade: {}", why.render(0));
    assert!(why.depth() >= 2, "a chain, not a star: {}", why.render(0));
    // Jumping from node to node visits every node time, in order, and ends at the last.
    let mut t = SimTime::ZERO;
    let mut visits = 0;
    while let Some(next) = swarmlb_viewer::chain::next_node(&viewer, t) {
        assert!(next > t);
        assert!(
            swarmlb_viewer::chain::reached(&viewer, next)
                > swarmlb_viewer::chain::reached(&viewer, t)
        );
        t = next;
        visits += 1;
    }
    assert_eq!(
        swarmlb_viewer::chain::reached(&viewer, t),
        viewer.nodes.len()
    );
    assert_eq!(t, viewer.nodes.last().unwrap().time);
    assert!(visits >= 2 && visits <= viewer.nodes.len());
    assert_eq!(swarmlb_viewer::chain::reached(&viewer, SimTime::ZERO), 0);
    let first = viewer.nodes[0].time;
    assert_eq!(
        swarmlb_viewer::chain::next_node(&viewer, SimTime::ZERO),
        Some(first)
    );
    assert_eq!(
        swarmlb_viewer::chain::reached(&viewer, SimTime(first.0 - 1)),
        0,
        "both sides of the first node"
    );
    assert!(swarmlb_viewer::chain::reached(&viewer, first) >= 1);
}

#[test]
fn heat_rows_cover_every_server_once_and_show_the_highest_load() {
    for (rows, n) in [(10, 10), (4, 10), (4096, 5000), (4096, 100_000), (3, 2)] {
        let rows_used = rows.min(n);
        let mut next = 0;
        for row in 0..rows_used {
            let r = fleet::heat_row_servers(row, rows_used, n);
            assert_eq!(r.start, next, "rows {rows} n {n} row {row}");
            assert!(r.end > r.start);
            next = r.end;
        }
        assert_eq!(next, n, "rows {rows} n {n}");
    }
    let tl = seed_classic();
    let col = tl.heat.column_at(SimTime::from_secs(10));
    let loads: Vec<_> = (0..4).map(|i| tl.heat.load(col, i)).collect();
    assert_eq!(
        tl.heat.max_load(col, 0..4),
        loads.iter().flatten().copied().max()
    );
    assert_eq!(tl.heat.max_load(col, 1..2), loads[1]);
    let never = tl.servers_used;
    assert_eq!(tl.heat.max_load(col, never..never + 1), None, "not running");
}

#[test]
fn knob_keys_move_one_step_within_the_slider() {
    use swarmlb_viewer::knobs::{Field, Knobs};
    let base = seed_classic().scenario;
    let mut k = Knobs::new(&base);
    k.nudge(Field::Capacity, 1);
    assert_eq!(k.scenario.servers.capacity, base.servers.capacity + 1);
    k.nudge(Field::Capacity, -2);
    assert_eq!(k.scenario.servers.capacity, base.servers.capacity - 1);
    k.nudge(Field::HighWatermark, -1);
    assert_eq!(
        k.scenario.servers.high_watermark,
        ((base.servers.high_watermark * 100.0).round() - 5.0) / 100.0
    );
    k.nudge(Field::LowWatermark, -1000);
    assert_eq!(
        k.scenario.servers.low_watermark, 0.0,
        "clamped to the slider"
    );
    k.nudge(Field::Capacity, 1000);
    assert_eq!(
        f64::from(k.scenario.servers.capacity),
        Field::Capacity.range(&base).1
    );
    for field in swarmlb_viewer::knobs::FIELDS {
        assert!(field.step(&base) > 0.0, "{field:?}");
    }
}

/// Issue 23: the viewer refuses, in one line, a trace whose worst case would not fit in
/// the memory available, before reading its events; the bound grows with the file and the
/// layout, and a trace that fits loads.
#[test]
fn a_trace_that_would_not_fit_is_refused_in_one_line() {
    let path = golden("seed-classic.swlb");
    let len = std::fs::metadata(&path).unwrap().len();
    let layout = Timeline::load(&path).unwrap().layout;
    let needed = Timeline::memory_needed(len, layout);
    // At least the events the file can hold, as held in memory.
    assert!(needed >= len / swarmlb_viewer::timeline::PACKED_EVENT_MIN * 24);
    assert!(Timeline::memory_needed(2 * len, layout) > needed);
    let e = Timeline::load_within(&path, Some(needed - 1))
        .err()
        .expect("refused");
    assert!(!e.contains('\n'), "{e}");
    assert!(
        e.contains("could take up to") && e.contains("MB are available"),
        "{e}"
    );
    Timeline::load_within(&path, Some(needed)).expect("fits");
    Timeline::load_within(&path, None).expect("no budget known");
}
