//! Real frames rendered by the binary under Xvfb with Mesa's software OpenGL (installed
//! by .ci/run), decoded and inspected.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use swarmlb_viewer::layout::{self, Rect};
use swarmlb_viewer::style;

use crate::golden;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("viewer")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the viewer under xvfb-run.
fn viewer(args: &[&str]) -> Output {
    Command::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1920x1080x24",
            env!("CARGO_BIN_EXE_swarmlb-viewer"),
        ])
        .args(args)
        .output()
        .expect("xvfb-run is installed (.ci/run installs it)")
}

struct Frame {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Frame {
    fn load(path: &Path) -> Frame {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgba);
        buf.truncate(info.buffer_size());
        Frame {
            width: info.width,
            height: info.height,
            rgba: buf,
        }
    }

    fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }

    fn count(&self, rgb: [u8; 3]) -> usize {
        self.rgba.chunks_exact(4).filter(|p| p[..3] == rgb).count()
    }

    /// Pixels of colour `rgb` in rows `y0..y1` and columns `x0..x1`.
    fn count_in(&self, rgb: [u8; 3], (x0, x1): (u32, u32), (y0, y1): (u32, u32)) -> usize {
        let mut n = 0;
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                n += usize::from(self.pixel(x, y) == rgb);
            }
        }
        n
    }

    /// Pixels of colour `rgb` below the legend strip (the legend shows every colour once).
    fn count_below_legend(&self, rgb: [u8; 3]) -> usize {
        let top = (layout::STATUS_HEIGHT + layout::LEGEND_HEIGHT) as u32;
        self.count_in(rgb, (0, self.width), (top, self.height))
    }

    /// The legend strip is drawn: its background, the load colour bar's ends, and a
    /// swatch of every legend entry's colour.
    fn assert_legend(&self) {
        let rows = (
            layout::STATUS_HEIGHT as u32,
            (layout::STATUS_HEIGHT + layout::LEGEND_HEIGHT) as u32,
        );
        let all = (0, self.width);
        assert!(
            self.count_in(rgb(style::LEGEND), all, rows) > 1000,
            "the legend strip"
        );
        for (what, color) in [("empty", style::ramp(0.0)), ("full", style::ramp(1.0))] {
            assert!(
                self.count_in(rgb(color), all, rows) >= 10,
                "the colour bar's {what} end"
            );
        }
        for entry in style::LEGEND_ENTRIES {
            assert!(
                self.count_in(rgb(entry.color), all, rows) >= 4,
                "legend swatch for {:?}",
                entry.label
            );
        }
    }

    /// The bottom plots region's pixels of colour `rgb`.
    fn count_in_plots(&self, rgb: [u8; 3], n_panels: usize) -> usize {
        let s = layout::screen(self.width as f32, self.height as f32, n_panels);
        let r = s.plots;
        self.count_in(
            rgb,
            (r.x as u32, (r.x + r.w) as u32),
            (r.y as u32, (r.y + r.h) as u32),
        )
    }

    fn distinct_colours(&self) -> usize {
        let mut set = std::collections::BTreeSet::new();
        for p in self.rgba.chunks_exact(4) {
            set.insert([p[0], p[1], p[2]]);
        }
        set.len()
    }
}

fn rgb(c: style::Rgba) -> [u8; 3] {
    [c[0], c[1], c[2]]
}

fn shoot(name: &str, traces: &[PathBuf], at: &str, size: &str) -> Frame {
    shoot_with(name, traces, at, size, &[])
}

fn shoot_with(name: &str, traces: &[PathBuf], at: &str, size: &str, extra: &[&str]) -> Frame {
    let dir = scratch(name);
    let out = dir.join("frame.png");
    let mut args: Vec<String> = traces.iter().map(|p| p.display().to_string()).collect();
    args.extend([
        "--screenshot".into(),
        out.display().to_string(),
        "--at".into(),
        at.into(),
        "--size".into(),
        size.into(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = viewer(&refs);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "viewer failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    Frame::load(&out)
}

#[test]
fn one_trace_renders_one_panel_of_the_requested_size() {
    let f = shoot("one", &[golden("seed-classic.swlb")], "30s", "1024x640");
    assert_eq!((f.width, f.height), (1024, 640));
    assert!(f.distinct_colours() > 20, "the frame is not blank");
    assert_eq!(f.count(rgb(style::DIVIDER)), 0, "one panel, no divider");
    assert_eq!(
        f.count_below_legend(rgb(style::HIGHLIGHT)),
        0,
        "nothing to compare, nothing highlighted"
    );
}

#[test]
fn two_traces_that_differ_show_two_panels_and_the_highlight() {
    let traces = [
        golden("butterfly/baseline.swlb"),
        golden("butterfly/perturbed.swlb"),
    ];
    let f = shoot("two-differ", &traces, "30s", "1600x900");
    assert_eq!((f.width, f.height), (1600, 900));
    // The divider runs down the middle of the panels.
    let middle = (f.height as f32 * 0.3) as u32;
    let x = f.width / 2;
    assert!(
        (x - 2..=x + 2).any(|x| f.pixel(x, middle) == rgb(style::DIVIDER)),
        "two panels"
    );
    assert!(
        f.count_below_legend(rgb(style::HIGHLIGHT)) > 0,
        "differing agents are highlighted"
    );
}

#[test]
fn two_traces_before_the_perturbation_show_no_highlight() {
    let traces = [
        golden("butterfly/baseline.swlb"),
        golden("butterfly/perturbed.swlb"),
    ];
    let f = shoot("two-same", &traces, "10s", "1600x900");
    assert!(f.count(rgb(style::DIVIDER)) > 100, "two panels");
    assert_eq!(
        f.count_below_legend(rgb(style::HIGHLIGHT)),
        0,
        "identical before the perturbation at 20 s"
    );
}

#[test]
fn a_bad_file_is_a_clear_error_without_a_window() {
    let dir = scratch("bad");
    std::fs::write(dir.join("junk.swlb"), b"not a trace").unwrap();
    let o = viewer(&[
        dir.join("junk.swlb").to_str().unwrap(),
        "--screenshot",
        dir.join("x.png").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a swarmlb trace"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(!dir.join("x.png").exists());
}

#[test]
fn a_truncated_trace_opens_with_a_warning_and_shows_its_prefix() {
    let dir = scratch("cut");
    let bytes = std::fs::read(golden("seed-classic.swlb")).unwrap();
    std::fs::write(dir.join("cut.swlb"), &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.join("frame.png");
    let o = viewer(&[
        dir.join("cut.swlb").to_str().unwrap(),
        "--screenshot",
        out.to_str().unwrap(),
        "--at",
        "10s",
        "--size",
        "800x600",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("truncated") && stderr.contains("intact prefix"),
        "{stderr}"
    );
    let f = Frame::load(&out);
    assert_eq!((f.width, f.height), (800, 600));
    assert!(f.distinct_colours() > 20);
}

/// One line on stderr, exit status 1, no panic, no picture.
fn assert_one_line_error(o: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("swarmlb-viewer: error: "), "{stderr}");
    assert!(lines[0].contains(needle), "{needle:?} in {stderr}");
}

/// Regression (issue 10): without a display, or with one that cannot be opened, the viewer
/// panicked inside the window library.
#[test]
fn regression_no_display_is_a_one_line_error() {
    let trace = golden("seed-classic.swlb");
    let bin = env!("CARGO_BIN_EXE_swarmlb-viewer");
    let o = Command::new(bin)
        .arg(&trace)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_one_line_error(&o, "no display");
    let o = Command::new(bin)
        .arg(&trace)
        .env("DISPLAY", ":4711")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_one_line_error(&o, "Display");
}

/// Regression (issue 10): an unwritable `--screenshot` path panicked after rendering.
#[test]
fn regression_an_unwritable_screenshot_path_is_a_one_line_error() {
    let dir = scratch("unwritable");
    let trace = golden("seed-classic.swlb");
    for (out, why) in [
        (dir.join("missing").join("x.png"), "No such file"),
        (dir.clone(), "is a directory"),
        (dir.join("x.jpg"), "give a name ending in .png"),
        (dir.join("x.txt"), "give a name ending in .png"),
    ] {
        let o = viewer(&[
            trace.to_str().unwrap(),
            "--screenshot",
            out.to_str().unwrap(),
        ]);
        assert_one_line_error(&o, why);
    }
    // Nothing is left behind: no empty picture, no partial file.
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "{dir:?} is not empty"
    );
}

/// Regression (issue 10): damage in the middle of a trace, and a CRC-valid header with a
/// huge length prefix, are refused with one line (a truncated trace still opens).
#[test]
fn regression_a_damaged_trace_is_a_one_line_error() {
    let dir = scratch("damaged");
    let mut bytes = std::fs::read(golden("seed-classic.swlb")).unwrap();
    bytes[5000] ^= 0x40;
    std::fs::write(dir.join("flipped.swlb"), &bytes).unwrap();
    let huge = swarmlb_trace::fuzz::frame_blocks(&[253, 0, 0, 0, 0, 0, 1, 0, 0], &[]);
    std::fs::write(dir.join("huge.swlb"), huge).unwrap();
    for name in ["flipped.swlb", "huge.swlb"] {
        let o = viewer(&[
            dir.join(name).to_str().unwrap(),
            "--screenshot",
            dir.join("x.png").to_str().unwrap(),
        ]);
        assert_one_line_error(&o, "corrupt trace at byte offset");
    }
}

/// Issue 16: one run at the smallest supported window: legend, one history colour.
#[test]
fn single_mode_at_1280x720_has_the_legend_and_its_history() {
    let f = shoot(
        "mode-single",
        &[golden("seed-classic.swlb")],
        "30s",
        "1280x720",
    );
    assert!(f.distinct_colours() > 20, "the frame is not blank");
    f.assert_legend();
    assert!(f.count_in_plots(rgb(style::RUN_A), 1) > 200, "its history");
    assert_eq!(f.count_in_plots(rgb(style::RUN_B), 1), 0, "one run");
    assert!(
        f.count_in_plots(rgb(style::TEXT), 1) > 50,
        "axis labels and strip titles"
    );
    // The time axis: a solid line under the strips, as wide as they are.
    let s = layout::screen(1280.0, 720.0, 1);
    let axis_rows = (
        (s.plots.y + s.plots.h * 0.5) as u32,
        (s.plots.y + s.plots.h) as u32,
    );
    let dim = f.count_in(rgb(style::DIM), (0, s.plots.w as u32), axis_rows);
    assert!(dim as f32 > s.plots.w * 0.8, "a time axis: {dim} pixels");
}

/// Issue 16: two runs: legend, both histories (in their own colours), the divergence plot.
#[test]
fn pair_mode_at_1280x720_draws_both_histories_and_the_divergence() {
    let traces = [
        golden("butterfly/baseline.swlb"),
        golden("butterfly/perturbed.swlb"),
    ];
    let f = shoot("mode-pair", &traces, "30s", "1280x720");
    f.assert_legend();
    assert!(
        f.count_in_plots(rgb(style::RUN_A), 2) > 200,
        "baseline history"
    );
    assert!(
        f.count_in_plots(rgb(style::RUN_B), 2) > 200,
        "branch history"
    );
    assert!(
        f.count_in_plots(rgb(style::MICRO), 2) > 50,
        "micro line and axis"
    );
    assert!(
        f.count_in_plots(rgb(style::MACRO), 2) > 50,
        "macro line and axis"
    );
    assert!(f.count_below_legend(rgb(style::HIGHLIGHT)) > 0);
}

/// The fleet view's heat map: colours of the load ramp fill the left of the panel, and
/// there are no server boxes.
fn assert_fleet(f: &Frame) {
    f.assert_legend();
    let s = layout::screen(f.width as f32, f.height as f32, 1);
    let panel = s.panels[0].unwrap();
    let heat = layout::fleet(Rect {
        x: panel.x + 4.0,
        y: panel.y + 20.0,
        w: panel.w - 8.0,
        h: panel.h - 24.0 - s.lobby_height,
    })
    .heat;
    let (xs, ys) = (
        (heat.x as u32 + 2, (heat.x + heat.w * 0.2) as u32),
        (heat.y as u32 + 2, (heat.y + heat.h) as u32 - 2),
    );
    let ramp: usize = (0..=125)
        .map(|load| f.count_in(rgb(style::utilization(load, 125)), xs, ys))
        .sum();
    let area = ((xs.1 - xs.0) * (ys.1 - ys.0)) as usize;
    assert!(
        ramp * 2 > area,
        "load colours fill the heat map: {ramp} of {area}"
    );
    assert_eq!(f.count_below_legend(rgb(style::BOX)), 0, "no server boxes");
}

/// Issue 16: more than 100 servers open in the fleet view (a 1,000-server, 100,000-user
/// run is measured by hand; this one is small enough for a test).
#[test]
fn fleet_mode_opens_above_100_servers() {
    let dir = scratch("mode-fleet");
    let mut scenario = swarmlb_model::Scenario::builtin("large").unwrap();
    scenario.duration = swarmlb_model::scenario::Dur::secs(20);
    scenario.servers.initial = 150;
    scenario.servers.max_servers = 200;
    scenario.users.count = 15_000;
    scenario.users.spawn_spread = swarmlb_model::scenario::Dur::secs(5);
    let bytes = swarmlb_trace::write::record_to_vec(&scenario, 1 << 20).unwrap();
    let trace = dir.join("fleet.swlb");
    std::fs::write(&trace, bytes).unwrap();
    let f = shoot("mode-fleet-shot", &[trace], "15s", "1280x720");
    assert_fleet(&f);
}

/// `--view fleet` shows a small run as a fleet too, and `--view boxes` a large one as boxes.
#[test]
fn view_option_picks_the_fleet_or_the_boxes() {
    let f = shoot_with(
        "view-fleet",
        &[golden("seed-classic.swlb")],
        "50s",
        "1280x720",
        &["--view", "fleet"],
    );
    // seed-classic's capacity is 10: its loads are in the ramp at tenths.
    f.assert_legend();
    let heat_colours: usize = (0..=10)
        .map(|load| f.count_below_legend(rgb(style::utilization(load, 10))))
        .sum();
    assert!(heat_colours > 10_000, "a heat map: {heat_colours}");
    assert_eq!(f.count_below_legend(rgb(style::BOX)), 0, "no server boxes");
    let f = shoot_with(
        "view-boxes",
        &[golden("seed-classic.swlb")],
        "50s",
        "1280x720",
        &["--view", "boxes"],
    );
    assert!(f.count_below_legend(rgb(style::BOX)) > 1000, "server boxes");
}

/// Issue 16: a server slot only the other run started is drawn as absent (hatched), not
/// as an empty box outlined in magenta.
#[test]
fn a_server_only_one_run_started_is_absent_in_the_other() {
    let dir = scratch("absent");
    let base = swarmlb_trace::TraceReader::open(&golden("seed-classic.swlb"))
        .unwrap()
        .scenario()
        .unwrap();
    let record = |initial: u32| {
        let mut scenario = base.clone();
        scenario.servers.initial = initial;
        let bytes = swarmlb_trace::write::record_to_vec(&scenario, 1 << 20).unwrap();
        let tl = swarmlb_viewer::timeline::Timeline::from_bytes(&bytes, "x").unwrap();
        (bytes, tl.servers_used)
    };
    // The same layout (server slots and user slots), one server fewer at the start.
    let (bytes_a, used_a) = record(base.servers.initial - 1);
    let (bytes_b, used_b) = record(base.servers.initial);
    assert!(used_b > used_a, "{used_a} and {used_b} servers started");
    let (a, b) = (dir.join("a.swlb"), dir.join("b.swlb"));
    std::fs::write(&a, bytes_a).unwrap();
    std::fs::write(&b, bytes_b).unwrap();
    let end = swarmlb_viewer::timeline::Timeline::load(&a).unwrap().end();
    let at = format!("{}s", end.as_micros() / 1_000_000);
    let f = shoot_with(
        "absent-shot",
        &[a, b],
        &at,
        "1280x720",
        &["--view", "boxes"],
    );
    let s = layout::screen(f.width as f32, f.height as f32, 2);
    let left = s.panels[0].unwrap();
    let (xs, ys) = (
        (left.x as u32, (left.x + left.w) as u32 - 4),
        (left.y as u32, (left.y + left.h) as u32),
    );
    assert!(
        f.count_in(rgb(style::ABSENT), xs, ys) > 100,
        "hatching for S{used_a}..S{used_b} in the first run's panel"
    );
}

/// Issue 16: `--at` past the end was clamped silently.
#[test]
fn at_past_the_end_is_a_one_line_error() {
    let dir = scratch("past");
    let o = viewer(&[
        golden("seed-classic.swlb").to_str().unwrap(),
        "--screenshot",
        dir.join("x.png").to_str().unwrap(),
        "--at",
        "10m",
    ]);
    assert_one_line_error(&o, "past the end of the trace");
    let f = shoot("at-end", &[golden("seed-classic.swlb")], "59s", "1280x720");
    assert!(f.distinct_colours() > 20, "inside the run is fine");
}

/// Issue 16: `--knob` opens the knobs panel and shows the re-simulated run beside the trace.
#[test]
fn knobs_mode_shows_the_panel_and_the_new_run_beside_the_old() {
    let f = shoot_with(
        "mode-knobs",
        &[golden("seed-classic.swlb")],
        "40s",
        "1280x720",
        &["--knob", "capacity=7", "--knob", "users=30"],
    );
    f.assert_legend();
    assert!(f.count(rgb(style::KNOB)) > 500, "slider tracks");
    assert!(
        f.count(rgb(style::KNOB_CHANGED)) > 50,
        "moved knobs stand out"
    );
    assert!(f.count(rgb(style::DIVIDER)) > 100, "two panels");
    assert!(
        f.count_in_plots(rgb(style::RUN_B), 2) > 200,
        "the new run's history"
    );
    assert!(
        f.count_in_plots(rgb(style::MICRO), 2) > 50,
        "its divergence"
    );
    assert!(f.count_below_legend(rgb(style::HIGHLIGHT)) > 0);
}

#[test]
fn a_bad_knob_is_a_one_line_error() {
    let dir = scratch("bad-knob");
    let png = dir.join("x.png");
    let trace = golden("seed-classic.swlb");
    for (extra, needle) in [
        (vec!["--knob", "capcity=7"], "no knob \"capcity\""),
        (vec!["--knob", "high=10"], "watermark"),
    ] {
        let mut args = vec![
            trace.to_str().unwrap(),
            "--screenshot",
            png.to_str().unwrap(),
        ];
        args.extend(extra);
        assert_one_line_error(&viewer(&args), needle);
    }
    let o = viewer(&[
        trace.to_str().unwrap(),
        trace.to_str().unwrap(),
        "--knob",
        "capacity=7",
    ]);
    assert_one_line_error(&o, "give one trace");
}

/// Issue 16: `--chain` shows the causal chain in place of the log and draws its recent
/// edges over the branch's panel.
#[test]
fn chain_mode_draws_the_tree_and_its_edges() {
    let traces = [
        golden("butterfly/baseline.swlb"),
        golden("butterfly/perturbed.swlb"),
    ];
    let f = shoot_with("mode-chain", &traces, "24s", "1280x720", &["--chain"]);
    f.assert_legend();
    let s = layout::screen(f.width as f32, f.height as f32, 2);
    let within = |r: Rect| {
        f.count_in(
            rgb(style::CHAIN),
            (r.x as u32, (r.x + r.w) as u32),
            (r.y as u32, (r.y + r.h) as u32),
        )
    };
    let text_pixels = within(s.log);
    assert!(text_pixels > 20, "the newest node's mark: {text_pixels}");
    assert!(within(s.panels[1].unwrap()) > 100, "edges over the branch");
    assert_eq!(within(s.panels[0].unwrap()), 0, "none over the baseline");
    // Before the perturbation there is nothing to draw.
    let f = shoot_with(
        "mode-chain-before",
        &traces,
        "10s",
        "1280x720",
        &["--chain"],
    );
    let s = layout::screen(f.width as f32, f.height as f32, 2);
    let p = s.panels[1].unwrap();
    assert_eq!(
        f.count_in(
            rgb(style::CHAIN),
            (p.x as u32, (p.x + p.w) as u32),
            (p.y as u32, (p.y + p.h) as u32)
        ),
        0
    );
    let o = viewer(&[golden("seed-classic.swlb").to_str().unwrap(), "--chain"]);
    assert_one_line_error(&o, "--chain needs two traces");
}

/// The fleet view of two runs marks the servers that differ now beside their heat map rows.
#[test]
fn fleet_pair_marks_differing_servers() {
    let traces = [
        golden("butterfly/baseline.swlb"),
        golden("butterfly/perturbed.swlb"),
    ];
    let before = shoot_with(
        "fleet-pair-same",
        &traces,
        "10s",
        "1280x720",
        &["--view", "fleet"],
    );
    assert_eq!(before.count_below_legend(rgb(style::HIGHLIGHT)), 0);
    let after = shoot_with(
        "fleet-pair-differ",
        &traces,
        "32s",
        "1280x720",
        &["--view", "fleet"],
    );
    after.assert_legend();
    assert!(
        after.count_below_legend(rgb(style::HIGHLIGHT)) > 20,
        "a mark beside each differing server's row"
    );
}
