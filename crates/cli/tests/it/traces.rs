//! Snapshots of the trace commands on golden traces.

use crate::{scratch, stdout, swarmlb, swarmlb_in};

#[test]
fn verify_snapshot() {
    let o = swarmlb(&["verify", "traces/golden/seed-classic.swlb"]);
    assert!(o.status.success());
    insta::assert_snapshot!("verify", stdout(&o));
}

#[test]
fn stats_snapshot() {
    let o = swarmlb(&["stats", "traces/golden/seed-classic.swlb"]);
    assert!(o.status.success());
    insta::assert_snapshot!("stats", stdout(&o));
}

#[test]
fn diff_snapshot_and_self_diff() {
    let o = swarmlb(&[
        "diff",
        "traces/golden/butterfly/baseline.swlb",
        "traces/golden/butterfly/perturbed.swlb",
    ]);
    assert!(o.status.success());
    insta::assert_snapshot!("diff", stdout(&o));
    let same = swarmlb(&[
        "diff",
        "traces/golden/seed-classic.swlb",
        "traces/golden/seed-classic.swlb",
    ]);
    assert!(stdout(&same).contains("no divergence"));
}

#[test]
fn butterfly_snapshot() {
    let dir = scratch("butterfly");
    let o = swarmlb_in(&dir, &crate::golden_butterfly("bf"));
    assert!(o.status.success());
    insta::assert_snapshot!("butterfly", stdout(&o));
    for f in ["baseline.swlb", "perturbed.swlb", "divergence.csv"] {
        assert!(dir.join("bf").join(f).exists(), "{f}");
    }
}

#[test]
fn log_lines_and_filters() {
    let o = swarmlb(&[
        "log",
        "traces/golden/butterfly/perturbed.swlb",
        "--kind",
        "BUTTERFLY",
    ]);
    assert!(o.status.success());
    insta::assert_snapshot!("log_butterfly", stdout(&o));
    let o = swarmlb(&[
        "log",
        "traces/golden/seed-classic.swlb",
        "--agent",
        "S1",
        "--kind",
        "ConnectAccept",
        "--to",
        "3s",
    ]);
    for line in stdout(&o).lines() {
        assert!(line.contains(" -> S1 ConnectAccept load="), "{line}");
    }
    let o = swarmlb(&[
        "log",
        "traces/golden/seed-classic.swlb",
        "--kind",
        "NoSuchKind",
    ]);
    crate::assert_fails(&o, 2, "unknown kind");
}

#[test]
fn export_jsonl_and_chrome_are_valid_json() {
    let o = swarmlb(&[
        "export",
        "traces/golden/seed-classic.swlb",
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 1000);
    assert_eq!(lines[0]["index"], 0);
    assert!(
        lines
            .iter()
            .all(|l| l["kind"].is_string() && l["time_us"].is_u64())
    );
    let o = swarmlb(&[
        "export",
        "traces/golden/seed-classic.swlb",
        "--format",
        "chrome",
    ]);
    let chrome: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let events = chrome["traceEvents"].as_array().unwrap();
    let tracks: std::collections::BTreeSet<String> = events
        .iter()
        .filter(|e| e["ph"] == "M")
        .map(|e| e["args"]["name"].as_str().unwrap().to_string())
        .collect();
    for server in ["S0", "S1", "S2", "S3"] {
        assert!(tracks.contains(server), "one track per server: {tracks:?}");
    }
}
