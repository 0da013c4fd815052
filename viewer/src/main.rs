//! `swarmlb-viewer`: watch a trace, or two side by side in lockstep; fork a butterfly
//! branch at the current time; render one frame to PNG headlessly.

mod app;
mod draw;

use std::path::PathBuf;
use std::sync::Mutex;

use macroquad::prelude::*;
use swarmlb_engine::SimTime;
use swarmlb_viewer::timeline::Timeline;

/// Watch swarmlb traces.
#[derive(clap::Parser, Clone, Debug)]
#[command(
    name = "swarmlb-viewer",
    version,
    about = "Watch a swarmlb trace, or two side by side in lockstep"
)]
pub struct Args {
    /// The trace to show.
    pub trace: PathBuf,
    /// A second trace to show beside it (same scenario), compared agent by agent.
    pub other: Option<PathBuf>,
    /// Render one frame to this PNG file and exit (needs a display; use xvfb-run headless).
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,
    /// Simulated time to show first (like 90s or 5m); past the end of the traces is an
    /// error.
    #[arg(long, value_parser = parse_time, default_value = "0s")]
    pub at: SimTime,
    /// Play at 100x for this many wall seconds (from --at, looping back to it at the end),
    /// print the frame rate and one frame's draw calls and triangles, and exit.
    #[arg(long, value_name = "SECONDS")]
    pub measure_fps: Option<f64>,
    /// Server boxes or the fleet view (heat map, histogram, flows); auto picks the fleet
    /// view above 100 servers. The f key switches in the window.
    #[arg(long, value_enum, default_value_t = View::Auto)]
    pub view: View,
    /// Open the knobs panel with NAME=VALUE set (capacity, high, low, users, latency;
    /// repeatable) and re-simulate the trace's scenario with them beside it.
    #[arg(long, value_name = "NAME=VALUE")]
    pub knob: Vec<String>,
    /// Show the causal chain of the second trace against the first instead of the event
    /// log (the c key switches in the window).
    #[arg(long)]
    pub chain: bool,
    /// Window size, WIDTHxHEIGHT.
    #[arg(long, value_parser = parse_size, default_value = "1600x900")]
    pub size: (u32, u32),
}

/// `--help`'s epilogue: every key binding (from the one list the window uses) and examples.
fn after_help() -> String {
    let mut s = String::from("Keys (in the window, h shows them too):\n");
    for l in swarmlb_viewer::keys::help_lines() {
        s.push_str("  ");
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(
        "\nExamples:\n  swarmlb-viewer run.swlb\n  swarmlb-viewer bf/baseline.swlb bf/perturbed.swlb\n  \
         swarmlb-viewer a.swlb b.swlb --screenshot frame.png --at 30s --size 1600x900",
    );
    s
}

fn parse_args() -> Args {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Args::command().after_help(after_help()).get_matches();
    Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// How servers are drawn.
#[derive(clap::ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// Boxes up to 100 servers, the fleet view above.
    Auto,
    /// One box per server.
    Boxes,
    /// Heat map, histogram and flows.
    Fleet,
}

fn parse_time(text: &str) -> Result<SimTime, String> {
    swarmlb_engine::parse_duration(text)
        .map(SimTime)
        .map_err(|e| e.to_string())
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or("expected WIDTHxHEIGHT, like 1600x900")?;
    let (w, h): (u32, u32) = (
        w.parse().map_err(|_| "bad width")?,
        h.parse().map_err(|_| "bad height")?,
    );
    if !(200..=8192).contains(&w) || !(150..=8192).contains(&h) {
        return Err("size must be between 200x150 and 8192x8192".into());
    }
    Ok((w, h))
}

/// What the window starts with: parsed arguments and loaded traces.
struct Start {
    args: Args,
    timelines: Vec<Timeline>,
}

static START: Mutex<Option<Start>> = Mutex::new(None);

/// Parse arguments and load traces before any window exists, so a bad file is reported
/// on stderr with a non-zero exit and never opens a window. Returns the arguments.
fn prepare() -> Args {
    let args = parse_args();
    // Whatever goes wrong inside the window library (a display that cannot be opened, a
    // PNG that cannot be written) ends with one line and exit status 1, never a panic.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        eprintln!(
            "swarmlb-viewer: error: {}",
            what.lines().next().unwrap_or_default()
        );
        std::process::exit(1);
    }));
    let mut timelines = Vec::new();
    for path in std::iter::once(&args.trace).chain(args.other.as_ref()) {
        match Timeline::load(path) {
            Ok(t) => {
                if let Some(problem) = &t.problem {
                    eprintln!("swarmlb-viewer: warning: {problem}");
                }
                timelines.push(t);
            }
            Err(e) => {
                eprintln!("swarmlb-viewer: error: {e}");
                std::process::exit(1);
            }
        }
    }
    if timelines.len() == 2 && timelines[0].layout != timelines[1].layout {
        eprintln!(
            "swarmlb-viewer: warning: the two traces have different numbers of server or user slots; agents are compared by server index and user slot"
        );
    }
    if args.chain && timelines.len() != 2 {
        eprintln!("swarmlb-viewer: error: --chain needs two traces (a baseline and a branch)");
        std::process::exit(1);
    }
    if !args.knob.is_empty() {
        if timelines.len() == 2 {
            eprintln!(
                "swarmlb-viewer: error: --knob shows its run beside the first trace; give one trace"
            );
            std::process::exit(1);
        }
        let mut knobs = swarmlb_viewer::knobs::Knobs::new(&timelines[0].scenario);
        let checked = args
            .knob
            .iter()
            .try_for_each(|k| knobs.apply(k))
            .and_then(|()| {
                knobs
                    .scenario
                    .validate()
                    .map_err(|e| format!("{}: {e}", e.field()))
            });
        if let Err(e) = checked {
            eprintln!("swarmlb-viewer: error: --knob {e}");
            std::process::exit(1);
        }
    }
    let end = timelines
        .iter()
        .map(Timeline::end)
        .max()
        .unwrap_or_default();
    if args.at > end {
        eprintln!(
            "swarmlb-viewer: error: --at {} is past the end of the trace{} ({end})",
            args.at,
            if timelines.len() == 2 { "s" } else { "" }
        );
        std::process::exit(1);
    }
    if let Some(path) = &args.screenshot
        && let Err(e) = check_writable(path)
    {
        eprintln!(
            "swarmlb-viewer: error: cannot write {}: {e}",
            path.display()
        );
        std::process::exit(1);
    }
    if let Err(e) = check_display() {
        eprintln!("swarmlb-viewer: error: {e}");
        std::process::exit(1);
    }
    *START.lock().expect("not poisoned") = Some(Start {
        args: args.clone(),
        timelines,
    });
    args
}

/// The screenshot can be written: a `.png` name, not a directory, and its partial file
/// creatable now (it is written once the frame is drawn, then renamed), so a bad path
/// fails before a window opens and leaves nothing behind.
fn check_writable(path: &std::path::Path) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if path.is_dir() {
        return Err(Error::new(ErrorKind::IsADirectory, "it is a directory"));
    }
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "a screenshot is a PNG: give a name ending in .png",
        ));
    }
    let partial = partial_png(path);
    std::fs::File::create(&partial)?;
    std::fs::remove_file(&partial)
}

/// Where a screenshot is drawn before it is renamed to `path`.
fn partial_png(path: &std::path::Path) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("frame");
    path.with_file_name(format!("{stem}.partial.png"))
}

/// On Linux a window needs an X11 or Wayland display.
fn check_display() -> Result<(), String> {
    if cfg!(target_os = "linux") {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Err(
                "no display (DISPLAY is not set); headless, run it under xvfb-run, like: xvfb-run -a swarmlb-viewer run.swlb --screenshot frame.png"
                    .into(),
            );
        }
    }
    Ok(())
}

fn window_conf() -> Conf {
    let args = prepare();
    let (w, h) = args.size;
    Conf {
        window_title: "swarmlb viewer".to_string(),
        window_width: w as i32,
        window_height: h as i32,
        window_resizable: args.screenshot.is_none(),
        high_dpi: false,
        sample_count: 1,
        ..Default::default()
    }
}

#[macroquad::main(window_conf)]
async fn main() {
    let start = START
        .lock()
        .expect("not poisoned")
        .take()
        .expect("prepared in window_conf");
    let mut app = app::App::new(start.timelines, start.args.at);
    app.chain_open = start.args.chain;
    if !start.args.knob.is_empty() {
        for k in &start.args.knob {
            app.knobs
                .apply(k)
                .expect("checked before the window opened");
        }
        app.knobs_open = true;
        app.run_knobs();
    }
    match start.args.view {
        View::Auto => {}
        View::Boxes => app.fleet = false,
        View::Fleet => app.fleet = true,
    }
    if let Some(path) = &start.args.screenshot {
        // The first frame fills the glyph cache (text drawn while it grows can come out
        // garbled); the second is the one saved.
        draw::frame(&mut app);
        next_frame().await;
        draw::frame(&mut app);
        let partial = partial_png(path);
        get_screen_data().export_png(&partial.display().to_string());
        if let Err(e) = std::fs::rename(&partial, path) {
            eprintln!(
                "swarmlb-viewer: error: cannot write {}: {e}",
                path.display()
            );
            std::process::exit(1);
        }
        eprintln!(
            "swarmlb-viewer: wrote {} at t={}",
            path.display(),
            app.playback.time
        );
        std::process::exit(0);
    }
    if let Some(seconds) = start.args.measure_fps {
        app.playback.playing = true;
        app.playback.speed = 100.0;
        let begin = std::time::Instant::now();
        let mut frames = 0u32;
        while begin.elapsed().as_secs_f64() < seconds {
            // Playing frames are measured, not a picture paused at the end: loop back.
            if !app.playback.playing {
                app.playback.seek(start.args.at);
                app.playback.playing = true;
            }
            app.playback.tick(f64::from(get_frame_time()));
            draw::frame(&mut app);
            next_frame().await;
            frames += 1;
        }
        let fps = f64::from(frames) / begin.elapsed().as_secs_f64();
        // Then one frame more, untimed, with its draw calls counted: on software GL a draw
        // call costs more than its triangles, so this is the first figure to look at.
        macroquad::telemetry::capture_frame();
        for _ in 0..2 {
            draw::frame(&mut app);
            next_frame().await;
        }
        let calls = macroquad::telemetry::drawcalls();
        let indices: usize = calls.iter().map(|d| d.indices_count).sum();
        println!(
            "{fps:.1} frames per second over {frames} frames; {} draw calls, {} triangles per frame",
            calls.len(),
            indices / 3
        );
        std::process::exit(0);
    }
    loop {
        app.input();
        app.playback.tick(f64::from(get_frame_time()));
        draw::frame(&mut app);
        next_frame().await;
    }
}
