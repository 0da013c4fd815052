//! `swarmlb export`: Parquet tables, and the `--from/--to/--kind/--agent` filters on every
//! format (issue 15).

use crate::{assert_fails, scratch, stdout, swarmlb_in};

/// A two-minute trace of the original model in a fresh directory.
fn recorded(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let o = swarmlb_in(
        &dir,
        &[
            "run",
            "seed-classic",
            "--duration",
            "2m",
            "--trace",
            "a.swlb",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    dir
}

#[test]
fn parquet_writes_four_tables() {
    let dir = recorded("export-parquet-cli");
    let o = swarmlb_in(
        &dir,
        &["export", "a.swlb", "--format", "parquet", "-o", "t"],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    for table in ["events", "servers", "users", "agents"] {
        let path = dir.join("t").join(format!("{table}.parquet"));
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
            "{table}"
        );
    }
    assert!(
        crate::stderr(&o).contains("user changes"),
        "{}",
        crate::stderr(&o)
    );
    // Without -o there is nowhere to write the tables: a usage error.
    let o = swarmlb_in(&dir, &["export", "a.swlb", "--format", "parquet"]);
    assert_fails(&o, 2, "-o DIR");
}

#[test]
fn filters_cut_jsonl_and_chrome() {
    let dir = recorded("export-filters-cli");
    let all = stdout(&swarmlb_in(
        &dir,
        &["export", "a.swlb", "--format", "jsonl"],
    ));
    // A server that gossips between 30 s and 40 s (which servers still run depends on the
    // model), read from the full export.
    let server = all
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| {
            (30_000_000..=40_000_000).contains(&v["time_us"].as_u64().unwrap())
                && v["category"] == "COLLAB"
        })
        .map(|v| v["source"].as_str().unwrap().to_string())
        .expect("gossip between 30 s and 40 s");
    let s0 = server.as_str();
    let args = [
        "export", "a.swlb", "--format", "jsonl", "--from", "30s", "--to", "40s", "--agent", s0,
        "--kind", "COLLAB",
    ];
    let cut = stdout(&swarmlb_in(&dir, &args));
    let lines: Vec<serde_json::Value> = cut
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    for v in &lines {
        let t = v["time_us"].as_u64().unwrap();
        assert!((30_000_000..=40_000_000).contains(&t), "{v}");
        assert_eq!(v["category"], "COLLAB");
        assert!(v["source"] == s0 || v["target"] == s0, "{v}");
    }
    // Exactly the lines of the full export that match.
    let expected = all
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| {
            let t = v["time_us"].as_u64().unwrap();
            (30_000_000..=40_000_000).contains(&t)
                && v["category"] == "COLLAB"
                && (v["source"] == s0 || v["target"] == s0)
        })
        .count();
    assert_eq!(lines.len(), expected);
    let chrome_all = stdout(&swarmlb_in(
        &dir,
        &["export", "a.swlb", "--format", "chrome"],
    ));
    let chrome_cut = stdout(&swarmlb_in(
        &dir,
        &[
            "export", "a.swlb", "--format", "chrome", "--from", "1m", "--to", "1m1s",
        ],
    ));
    let parsed: serde_json::Value = serde_json::from_str(&chrome_cut).unwrap();
    let events = parsed["traceEvents"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(
        |e| e["ts"].is_null() || (60_000_000..=61_000_000).contains(&e["ts"].as_u64().unwrap())
    ));
    assert!(chrome_cut.len() * 10 < chrome_all.len());
}

/// Regression (issue 23): a bad `--agent` or `--kind` exited 1 while a bad `--from` exited
/// 2; every bad filter option is a usage error (2), in `log` and every export format.
#[test]
fn bad_filters_are_refused_with_what_is_accepted() {
    let dir = recorded("export-bad-filters-cli");
    let o = swarmlb_in(
        &dir,
        &["export", "a.swlb", "--format", "jsonl", "--kind", "Nope"],
    );
    assert_fails(&o, 2, "unknown kind \"Nope\"; kinds are");
    let o = swarmlb_in(&dir, &["log", "a.swlb", "--kind", "Nope"]);
    assert_fails(&o, 2, "unknown kind \"Nope\"; kinds are");
    let o = swarmlb_in(
        &dir,
        &[
            "export", "a.swlb", "--format", "parquet", "-o", "t", "--agent", "X9",
        ],
    );
    assert_fails(&o, 2, "unknown agent \"X9\"; use S<n>, U<n>, E, C or P");
    assert!(!dir.join("t").exists() && !dir.join("t.partial").exists());
    let o = swarmlb_in(
        &dir,
        &[
            "export", "a.swlb", "--format", "jsonl", "--from", "2m", "--to", "1m",
        ],
    );
    assert_fails(&o, 2, "--from 120");
    let o = swarmlb_in(
        &dir,
        &["export", "a.swlb", "--format", "jsonl", "--from", "soon"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", crate::stderr(&o));
}
