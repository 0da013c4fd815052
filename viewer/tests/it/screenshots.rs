//! Real frames rendered by the binary under Xvfb with Mesa's software OpenGL (installed
//! by .ci/run), decoded and inspected.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
        f.count(rgb(style::HIGHLIGHT)),
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
        f.count(rgb(style::HIGHLIGHT)) > 0,
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
        f.count(rgb(style::HIGHLIGHT)),
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
    ] {
        let o = viewer(&[
            trace.to_str().unwrap(),
            "--screenshot",
            out.to_str().unwrap(),
        ]);
        assert_one_line_error(&o, why);
    }
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
