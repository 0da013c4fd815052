//! Ctrl-C leaves a valid trace marked interrupted; a killed run leaves a readable `.partial`.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{scratch, stdout, swarmlb_in};

fn start_long_run(dir: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_swarmlb"))
        .args([
            "run",
            "diurnal",
            "--duration",
            "100h",
            "--trace",
            "long.swlb",
            "--metrics",
            "long.csv",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until the partial trace has some blocks in it.
fn wait_for_data(path: &std::path::Path) {
    for _ in 0..200 {
        if std::fs::metadata(path)
            .map(|m| m.len() > 200_000)
            .unwrap_or(false)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{} never grew", path.display());
}

#[test]
fn ctrl_c_flushes_a_valid_interrupted_trace() {
    stop_flushes_a_valid_interrupted_trace("INT");
}

/// Regression (issue 10): SIGTERM, what Slurm sends at a time limit, killed the run and
/// left only a `.partial`; it now stops the run like Ctrl-C.
#[test]
fn regression_sigterm_flushes_a_valid_interrupted_trace_like_ctrl_c() {
    stop_flushes_a_valid_interrupted_trace("TERM");
}

fn stop_flushes_a_valid_interrupted_trace(signal: &str) {
    let dir = scratch(&format!("interrupt-{signal}"));
    let child = start_long_run(&dir);
    wait_for_data(&dir.join("long.swlb.partial"));
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("long.swlb").exists(), "renamed from .partial");
    assert!(!dir.join("long.swlb.partial").exists());
    // The metrics CSV is complete up to the interruption, under its final name.
    let csv = std::fs::read_to_string(dir.join("long.csv")).unwrap();
    assert!(csv.lines().count() > 1, "{} lines", csv.lines().count());
    assert!(csv.ends_with('\n'));
    assert!(!dir.join("long.csv.partial").exists());
    let v = swarmlb_in(&dir, &["verify", "long.swlb"]);
    assert!(v.status.success(), "{}", crate::stderr(&v));
    assert!(stdout(&v).contains("interrupted"), "{}", stdout(&v));
    let r = swarmlb_in(&dir, &["replay", "long.swlb"]);
    assert!(
        r.status.success(),
        "an interrupted trace replays up to its end: {}",
        stdout(&r)
    );
}

#[test]
fn a_killed_run_leaves_a_partial_trace_that_reads_back() {
    let dir = scratch("killed");
    let mut child = start_long_run(&dir);
    let partial = dir.join("long.swlb.partial");
    wait_for_data(&partial);
    child.kill().unwrap();
    child.wait().unwrap();
    let v = swarmlb_in(&dir, &["verify", "long.swlb.partial"]);
    assert_eq!(v.status.code(), Some(3));
    let err = crate::stderr(&v);
    assert!(err.contains("truncated trace"), "{err}");
    let intact: u64 = stdout(&v)
        .split("intact: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(intact > 10_000, "{intact} events intact");
}
