//! `swarmlb bench`: every figure the performance issue names is in the JSON, and
//! `--write` replaces only the table between the markers. Run at toy sizes (`--smoke`):
//! speed itself is measured by the bench, never asserted by a test.

use crate::{scratch, stdout, swarmlb_in};

/// The keys the performance issue requires, plus the rest of the report.
const KEYS: [&str; 20] = [
    "phold_ratio_no_trace",
    "phold_ratio_trace",
    "phold_ratio_priority_queue",
    "model_events_per_s",
    "model_events_per_s_default",
    "model_events_per_s_100_10k",
    "model_events_per_s_10k_1m",
    "trace_bytes_per_event",
    "verify_events_per_s",
    "stats_events_per_s",
    "fold_events_per_s",
    "replay_ratio",
    "recording_overhead_percent",
    "peak_rss_bytes_1m_users",
    "rss_bytes_per_user_10k_1m",
    "rss_bytes_per_agent_100_10k",
    "rss_bytes_per_agent_1k_100k",
    "wall_s_per_sim_hour_1k_100k",
    "diff_events",
    "diff_wall_s",
];

#[test]
fn json_has_every_figure_and_write_replaces_only_the_table() {
    let dir = scratch("bench");
    let doc = dir.join("BENCH.md");
    let before = "# Bench\n\nprose before\n\n<!-- bench:start -->\nold table\n<!-- bench:end -->\n\nprose after\n";
    std::fs::write(&doc, before).unwrap();

    for _ in 0..2 {
        let out = swarmlb_in(&dir, &["bench", "--smoke", "--json", "--write", "BENCH.md"]);
        assert!(out.status.success(), "{out:?}");
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
        for key in KEYS {
            let value = json[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} missing: {json}"));
            assert!(value.is_finite(), "{key} = {value}");
            if key != "recording_overhead_percent" {
                assert!(value > 0.0, "{key} = {value}");
            }
        }
        // Bytes per event come from a real recording: the format's figure, not a timing.
        let bytes = json["trace_bytes_per_event"].as_f64().unwrap();
        assert!((2.0..16.0).contains(&bytes), "{bytes} bytes per event");
    }

    let text = std::fs::read_to_string(&doc).unwrap();
    assert!(text.starts_with("# Bench\n\nprose before\n\n<!-- bench:start -->\nSmoke run on "));
    assert!(
        text.ends_with("<!-- bench:end -->\n\nprose after\n"),
        "{text}"
    );
    assert!(!text.contains("old table"));
    assert_eq!(text.matches("<!-- bench:start -->").count(), 1, "{text}");
    assert!(
        text.contains("| PHOLD engine / bare BinaryHeap loop | "),
        "{text}"
    );
    assert!(
        text.contains("| model, 10 servers / 1000 users | "),
        "{text}"
    );
    // The report's shape (every figure's label and target, in order) without the measured
    // values: a refactoring of the workloads must leave it as it is.
    let shape: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| measure |"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            format!(
                "{} | {}",
                cells[0].trim_start_matches("| "),
                cells[2].trim_end_matches(" |").trim_end_matches('|')
            )
        })
        .collect();
    insta::assert_snapshot!("bench_report_shape", shape.join("\n"));
}
