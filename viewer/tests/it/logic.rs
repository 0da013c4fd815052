use swarmlb_engine::SimTime;
use swarmlb_trace::fold::Cursor;
use swarmlb_trace::{State, TraceReader};
use swarmlb_viewer::compare;
use swarmlb_viewer::layout::{self, Rect};
use swarmlb_viewer::playback::Playback;
use swarmlb_viewer::style;
use swarmlb_viewer::timeline::Timeline;

use crate::golden;

#[test]
fn state_at_any_time_equals_the_trace_fold() {
    let tl = Timeline::load(&golden("seed-classic.swlb")).unwrap();
    assert!(tl.problem.is_none());
    for secs in [0, 1, 7, 20, 33, 59, 60] {
        let t = SimTime::from_secs(secs);
        let mut reference = State::new(tl.layout);
        let mut cursor = Cursor::new(TraceReader::open(&golden("seed-classic.swlb")).unwrap());
        cursor.fold_until(&mut reference, t).unwrap();
        assert_eq!(tl.state_at(t), reference, "at {t}");
    }
    assert_eq!(tl.servers_used, 4);
    assert!(tl.history.len() >= 60);
}

#[test]
fn a_truncated_trace_keeps_its_intact_prefix() {
    let bytes = std::fs::read(golden("seed-classic.swlb")).unwrap();
    let tl = Timeline::from_bytes(&bytes[..bytes.len() * 2 / 3], "cut").unwrap();
    let problem = tl.problem.clone().expect("the truncation is reported");
    assert!(problem.contains("truncated"), "{problem}");
    let full = Timeline::from_bytes(&bytes, "full").unwrap();
    assert!(!tl.events.is_empty() && tl.events.len() < full.events.len());
    assert_eq!(tl.events[..], full.events[..tl.events.len()]);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let e = Timeline::from_bytes(b"definitely not a trace", "junk")
        .err()
        .unwrap();
    assert!(e.contains("not a swarmlb trace"), "{e}");
}

#[test]
fn differences_agree_with_diff() {
    let a = Timeline::load(&golden("butterfly/baseline.swlb")).unwrap();
    let b = Timeline::load(&golden("butterfly/perturbed.swlb")).unwrap();
    let points = compare::series(&a, &b, SimTime::from_secs(1));
    let open = || {
        Ok((
            TraceReader::open(&golden("butterfly/baseline.swlb"))?,
            TraceReader::open(&golden("butterfly/perturbed.swlb"))?,
        ))
    };
    let report = swarmlb_trace::diff::diff(open, Some(SimTime::from_secs(1))).unwrap();
    assert_eq!(points, report.points, "the viewer's plot is diff's series");
    for p in &points {
        let d = compare::differences(&a.state_at(p.time).observed, &b.state_at(p.time).observed);
        assert_eq!(d.count() as u64, p.micro, "at {}", p.time);
    }
    assert!(points.iter().any(|p| p.micro > 0));
    assert!(
        points
            .iter()
            .filter(|p| p.time < SimTime::from_secs(20))
            .all(|p| p.micro == 0)
    );
    assert_eq!(
        compare::next_divergence(&points, SimTime::ZERO).map(|t| t >= SimTime::from_secs(20)),
        Some(true)
    );
}

#[test]
fn servers_keep_their_place() {
    let area = Rect {
        x: 10.0,
        y: 20.0,
        w: 800.0,
        h: 500.0,
    };
    let boxes: Vec<Rect> = (0..40).map(|i| layout::server_box(i, 40, area)).collect();
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            a.x >= area.x
                && a.y >= area.y
                && a.x + a.w <= area.x + area.w + 0.01
                && a.y + a.h <= area.y + area.h + 0.01,
            "box {i} outside"
        );
        for b in &boxes[i + 1..] {
            let overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert!(!overlap, "boxes overlap");
        }
    }
    // The same id in the same area is the same box: stable across time and panels.
    assert_eq!(layout::server_box(7, 40, area), boxes[7]);
    let s = layout::screen(1600.0, 900.0, 2);
    let (l, r) = (s.panels[0].unwrap(), s.panels[1].unwrap());
    assert_eq!((l.w, l.h), (r.w, r.h));
    assert!(layout::screen(1600.0, 900.0, 1).panels[1].is_none());
    assert!(layout::dots_fit(
        10,
        Rect {
            x: 0.0,
            y: 0.0,
            w: 200.0,
            h: 150.0
        }
    ));
    assert!(!layout::dots_fit(
        125,
        Rect {
            x: 0.0,
            y: 0.0,
            w: 30.0,
            h: 20.0
        }
    ));
}

#[test]
fn colours_say_what_they_mean() {
    assert_eq!(style::utilization(0, 10)[1], 220, "empty is green");
    assert_eq!(style::utilization(10, 10)[0], 250, "full is red");
    assert_ne!(style::utilization(10, 10), style::utilization(5, 10));
    let palette = [
        style::BACKGROUND,
        style::PANEL,
        style::DIVIDER,
        style::TEXT,
        style::DIM,
        style::CRASHED,
        style::USER,
        style::SEARCHING,
        style::MICRO,
        style::MACRO,
    ];
    assert!(
        !palette.contains(&style::HIGHLIGHT),
        "the highlight colour is used for nothing else"
    );
    for load in 0..=50 {
        assert_ne!(style::utilization(load, 50), style::HIGHLIGHT);
    }
}

#[test]
fn playback_moves_as_asked() {
    let mut p = Playback::new(SimTime::from_secs(5), SimTime::from_secs(60));
    p.tick(1.0);
    assert_eq!(p.time, SimTime::from_secs(5), "paused");
    p.playing = true;
    p.tick(0.5);
    assert_eq!(p.time, SimTime::from_secs(10), "10x speed");
    p.faster();
    p.tick(1.0);
    assert_eq!(p.time, SimTime::from_secs(30));
    p.slower();
    p.slower();
    assert_eq!(p.speed, 5.0);
    p.tick(100.0);
    assert_eq!(p.time, SimTime::from_secs(60));
    assert!(!p.playing, "stops at the end");
    p.scrub(0.25);
    assert_eq!(p.time, SimTime::from_secs(15));
    assert!((p.fraction() - 0.25).abs() < 1e-9);
}

#[test]
fn a_fork_diverges_at_its_time_and_not_before() {
    let base = Timeline::load(&golden("seed-classic.swlb")).unwrap();
    let at = SimTime::from_secs(25);
    let (bytes, branch) = swarmlb_viewer::timeline::fork(&base, at).unwrap();
    assert!(!bytes.is_empty());
    let before = base.events.partition_point(|e| e.time < at);
    assert_eq!(
        base.events[..before],
        branch.events[..before],
        "identical before the fork"
    );
    let points = compare::series(&base, &branch, SimTime::from_secs(1));
    assert!(points.iter().filter(|p| p.time < at).all(|p| p.micro == 0));
    assert!(
        points.iter().any(|p| p.micro > 0),
        "the disconnected user differs"
    );
    assert!(
        branch
            .events
            .iter()
            .any(|e| e.kind == swarmlb_model::Kind::Butterfly && e.time == at)
    );
}

#[test]
fn servers_fade_in_and_out() {
    let tl = Timeline::load(&golden("seed-classic.swlb")).unwrap();
    let fade = SimTime::from_secs(2);
    let alpha = |idx: u32, t: SimTime| swarmlb_viewer::timeline::server_alpha(&tl, idx, t, fade);
    let running = (0..tl.servers_used)
        .find(|&i| tl.stopped_at[i as usize].is_none())
        .expect("a server runs to the end");
    assert_eq!(alpha(running, SimTime::from_secs(30)), 1.0);
    assert_eq!(
        alpha(
            running,
            SimTime(tl.started_at[running as usize].unwrap().0 + 1_000_000)
        ),
        0.5,
        "fading in"
    );
    let (gone, stopped) = tl
        .stopped_at
        .iter()
        .enumerate()
        .find_map(|(i, t)| t.map(|t| (i as u32, t)))
        .expect("a server terminates in the golden trace");
    assert_eq!(alpha(gone, stopped.plus(1_000_000)), 0.5, "fading out");
    assert_eq!(alpha(gone, stopped.plus(60_000_000)), 0.25);
    assert_eq!(alpha(9, SimTime::from_secs(30)), 0.25, "never started");
}
