//! Sweeps, comparisons, the stability map and plots.

use std::path::Path;

use crate::{assert_fails, assert_uniform_csv, scratch, stdout, swarmlb_in};

const SWEEP: [&str; 10] = [
    "sweep",
    "seed-classic",
    "--duration",
    "3m",
    "--param",
    "servers.capacity=8,10",
    "--param",
    "servers.low_watermark=0.3,0.5",
    "--seeds",
    "2",
];

fn sweep(dir: &Path, extra: &[&str]) -> String {
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend_from_slice(extra);
    let o = swarmlb_in(dir, &args);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    stdout(&o)
}

#[test]
fn sweep_csv_is_identical_whatever_the_jobs_and_through_emitted_jobs() {
    let dir = scratch("sweep");
    sweep(&dir, &["--jobs", "1", "--out", "one"]);
    sweep(&dir, &["--jobs", "2", "--out", "two"]);
    let one = std::fs::read_to_string(dir.join("one/sweep.csv")).unwrap();
    let two = std::fs::read_to_string(dir.join("two/sweep.csv")).unwrap();
    assert_eq!(one, two, "--jobs 1 and --jobs 2 give the same bytes");
    assert_eq!(one.lines().count(), 1 + 4 * 2);
    assert!(one.starts_with("servers.capacity,servers.low_watermark,seed,"));
    // The cluster path: emit the jobs, run each line as a job would, collect.
    let out = sweep(&dir, &["--emit-jobs", "cluster"]);
    assert!(out.contains("sbatch"), "{out}");
    let jobs = std::fs::read_to_string(dir.join("cluster/jobs.txt")).unwrap();
    assert_eq!(jobs.lines().count(), 8);
    let script = std::fs::read_to_string(dir.join("cluster/sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=1-8"), "{script}");
    let early = swarmlb_in(&dir, &["sweep", "--collect", "cluster"]);
    assert_fails(&early, 1, "8 of 8 runs have no output yet");
    for line in jobs.lines() {
        let status = std::process::Command::new("bash")
            .args(["-c", line])
            .status()
            .unwrap();
        assert!(status.success(), "{line}");
    }
    let o = swarmlb_in(&dir, &["sweep", "--collect", "cluster"]);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("cluster/sweep.csv")).unwrap(),
        one,
        "collect gives the same CSV"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("cluster/summary.csv")).unwrap(),
        std::fs::read_to_string(dir.join("one/summary.csv")).unwrap(),
        "and the same summary"
    );
}

#[test]
fn sweep_resumes_without_redoing_finished_runs() {
    let dir = scratch("resume");
    sweep(&dir, &["--out", "r"]);
    let first = std::fs::read_to_string(dir.join("r/sweep.csv")).unwrap();
    let cells: Vec<_> = std::fs::read_dir(dir.join("r/cells"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    std::fs::remove_file(&cells[3]).unwrap();
    let out = sweep(&dir, &["--out", "r"]);
    assert!(out.contains("7 already done"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("r/sweep.csv")).unwrap(),
        first
    );
}

#[test]
fn sweep_rejects_a_bad_grid_before_running() {
    let dir = scratch("badgrid");
    let o = swarmlb_in(
        &dir,
        &["sweep", "--param", "servers.capacity=10,0", "--out", "x"],
    );
    assert_fails(&o, 1, "servers.capacity");
    assert!(!dir.join("x/sweep.csv").exists());
    let o = swarmlb_in(&dir, &["sweep", "--param", "nonsense"]);
    assert_fails(&o, 2, "KEY=V1,V2");
}

/// compare.csv as (policy, metric) -> fields (n, mean, sd, ci95_low, ci95_high).
fn compare_rows(dir: &Path, scenario: &str, out: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["compare", scenario, "--seeds", "2", "--out", out];
    args.extend_from_slice(extra);
    let o = swarmlb_in(dir, &args);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    assert!(stdout(&o).contains("| policy |"));
    let out = dir.join(out);
    assert!(out.join("compare.md").exists() && out.join("compare.png").exists());
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert_uniform_csv(&csv);
    assert!(
        csv.starts_with("view,policy,metric,unit,n,mean,sd,ci95_low,ci95_high\n"),
        "{csv}"
    );
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The mean of `metric` for `policy` in compare rows of `view`.
fn compare_mean_in(rows: &[Vec<String>], view: &str, policy: &str, metric: &str) -> f64 {
    let r = rows
        .iter()
        .find(|r| r[0] == view && r[1] == policy && r[2] == metric)
        .unwrap_or_else(|| panic!("no {view} {policy} {metric} in {rows:?}"));
    assert_eq!(r[4], "2", "two seeds: {r:?}");
    let (mean, lo, hi): (f64, f64, f64) = (
        r[5].parse().unwrap(),
        r[7].parse().unwrap(),
        r[8].parse().unwrap(),
    );
    assert!(
        lo <= mean && mean <= hi,
        "the interval holds the mean: {r:?}"
    );
    mean
}

/// The mean of `metric` for `policy` as configured.
fn compare_mean(rows: &[Vec<String>], policy: &str, metric: &str) -> f64 {
    compare_mean_in(rows, "configured", policy, metric)
}

#[test]
fn compare_shows_known_results() {
    let dir = scratch("compare");
    // Power-of-two-choices balances better than random.
    let rows = compare_rows(
        &dir,
        "default",
        "steady",
        &["--duration", "20m", "--set", "users.diurnal.amplitude=0"],
    );
    assert!(
        compare_mean(&rows, "power-of-two", "load_cov") < compare_mean(&rows, "random", "load_cov"),
        "{rows:?}"
    );
    let policies: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(policies.len(), 5);
    // Heartbeats are part of the messages, not all of them.
    for p in ["decentralized", "round-robin"] {
        let all = compare_mean(&rows, p, "messages_per_connection");
        let without = compare_mean(&rows, p, "messages_per_connection_without_heartbeats");
        assert!(0.0 < without && without < all, "{p}: {without} vs {all}");
    }
    // Capacity-matched: every centralized policy pays the decentralized server-seconds,
    // rounded up to whole servers for the whole run (20 minutes).
    let paid = |view: &str, p: &str| compare_mean_in(&rows, view, p, "server_seconds");
    let decentralized = paid("capacity-matched", "decentralized");
    assert_eq!(decentralized, paid("configured", "decentralized"));
    for p in ["round-robin", "least-connections", "power-of-two", "random"] {
        let matched = paid("capacity-matched", p);
        assert!(
            decentralized - 60.0 <= matched && matched < decentralized + 1200.0 + 60.0,
            "{p}: {matched} vs {decentralized}"
        );
    }
    // Under a coordinator crash the centralized policies refuse users, the decentralized one does not.
    let rows = compare_rows(&dir, "coordinator-crash", "crash", &[]);
    let refused = |p: &str| compare_mean(&rows, p, "refused_after_coordinator_crash");
    assert_eq!(refused("decentralized"), 0.0);
    for p in ["round-robin", "least-connections", "power-of-two", "random"] {
        assert!(refused(p) > 100.0, "{p}: {rows:?}");
    }
}

#[test]
fn stability_map_on_a_tiny_grid() {
    let dir = scratch("stability");
    let args = [
        "stability",
        "seed-classic",
        "--duration",
        "2m",
        "--param",
        "servers.capacity=8,12",
        "--param",
        "users.count=10,20",
        "--seeds",
        "2",
        "--perturbations",
        "3",
        "--out",
        "st",
    ];
    let o = swarmlb_in(&dir, &args);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let csv = std::fs::read_to_string(dir.join("st/stability.csv")).unwrap();
    assert_uniform_csv(&csv);
    insta::assert_snapshot!("stability_csv", csv);
    // Every cell: 2 seeds × 3 perturbations against 5 references; P(decorrelated) inside
    // its Wilson interval, over the determined branches only.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let branches = std::fs::read_to_string(dir.join("st/branches.csv")).unwrap();
    assert_uniform_csv(&branches);
    let b_header: Vec<&str> = branches.lines().next().unwrap().split(',').collect();
    let b_col = |name: &str| b_header.iter().position(|h| *h == name).unwrap();
    assert_eq!(branches.lines().count(), 1 + 4 * 6);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(&f[2..6], ["2", "3", "5", "6"], "{line}");
        let count = |name: &str| f[col(name)].parse::<u64>().unwrap();
        let determined = count("determined");
        assert_eq!(
            determined,
            count("no_effect") + count("dissipated") + count("contained") + count("decorrelated")
        );
        assert_eq!(determined + count("no_op") + count("undetermined"), 6);
        // Recomputed from branches.csv: the cell's rows, their verdicts.
        let rows: Vec<Vec<&str>> = branches
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|r| r[0] == f[0] && r[1] == f[1])
            .collect();
        assert_eq!(rows.len(), 6);
        let verdicts = |v: &str| rows.iter().filter(|r| r[b_col("verdict")] == v).count() as u64;
        assert_eq!(verdicts("decorrelated"), count("decorrelated"), "{line}");
        assert_eq!(
            rows.iter()
                .filter(|r| r[b_col("determined")] == "true")
                .count() as u64,
            determined
        );
        if determined > 0 {
            let (p, lo, hi): (f64, f64, f64) = (
                f[col("p_decorrelated")].parse().unwrap(),
                f[col("p_decorrelated_ci95_low")].parse().unwrap(),
                f[col("p_decorrelated_ci95_high")].parse().unwrap(),
            );
            let want = swarmlb_trace::interval::wilson(count("decorrelated"), determined);
            assert!(
                (lo - want.0).abs() < 1e-4 && (hi - want.1).abs() < 1e-4,
                "{line}"
            );
            assert!(lo <= p && p <= hi && hi > lo, "{line}");
        }
    }
    let again = swarmlb_in(&dir, &[&args[..], &["--jobs", "1"]].concat());
    assert!(again.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("st/stability.csv")).unwrap(),
        csv,
        "deterministic whatever --jobs"
    );
    let png = crate::png_info(&dir.join("st/stability.png"));
    assert_eq!((png.0, png.1), (900, 640));
    assert!(png.2 > 10, "a non-blank picture ({} colours)", png.2);
    assert!(
        std::fs::read_to_string(dir.join("st/stability.svg"))
            .unwrap()
            .contains("<svg")
    );
}

#[test]
fn plot_from_metrics_and_from_a_trace() {
    let dir = scratch("plot");
    let o = swarmlb_in(
        &dir,
        &[
            "run",
            "seed-classic",
            "--duration",
            "2m",
            "--metrics",
            "m.csv",
            "--trace",
            "t.swlb",
        ],
    );
    assert!(o.status.success());
    for (input, output) in [("m.csv", "m.png"), ("t.swlb", "t.png"), ("t.swlb", "t.svg")] {
        let o = swarmlb_in(&dir, &["plot", input, "-o", output]);
        assert!(o.status.success(), "{input}: {}", crate::stderr(&o));
    }
    let (w, h, colours) = crate::png_info(&dir.join("t.png"));
    assert_eq!(w, 1100);
    assert!(h > 800 && colours > 20);
    std::fs::write(dir.join("bad.csv"), "a,b\n1,2\n").unwrap();
    assert_fails(
        &swarmlb_in(&dir, &["plot", "bad.csv", "-o", "x.png"]),
        1,
        "no `time_s` column",
    );
    assert_fails(
        &swarmlb_in(&dir, &["plot", "m.csv", "-o", "x.gif"]),
        1,
        "use .png or .svg",
    );
}

/// Issue 12 ("malformed CSV"): `sweep seed-classic` without `--param` wrote a 17-field
/// header over 18-field rows. Every CSV the tool writes has as many fields in every row
/// as in its header.
#[test]
fn every_csv_the_tool_writes_has_uniform_rows() {
    let dir = scratch("csv-shapes");
    let runs: [&[&str]; 6] = [
        &[
            "run",
            "seed-classic",
            "--duration",
            "1m",
            "--metrics",
            "m.csv",
        ],
        &[
            "sweep",
            "seed-classic",
            "--duration",
            "30s",
            "--out",
            "plain",
        ],
        &[
            "sweep",
            "seed-classic",
            "--duration",
            "30s",
            "--param",
            "servers.capacity=8,9",
            "--seeds",
            "2",
            "--out",
            "grid",
        ],
        &[
            "compare",
            "seed-classic",
            "--duration",
            "30s",
            "--seeds",
            "2",
            "--out",
            "cmp",
        ],
        &[
            "stability",
            "seed-classic",
            "--duration",
            "30s",
            "--param",
            "servers.capacity=8",
            "--seeds",
            "1",
            "--perturbations",
            "2",
            "--out",
            "st",
        ],
        &[
            "butterfly",
            "seed-classic",
            "--duration",
            "1m",
            "--at",
            "20s",
            "--out",
            "bf",
        ],
    ];
    for args in runs {
        let o = swarmlb_in(&dir, args);
        assert!(o.status.success(), "{args:?}: {}", crate::stderr(&o));
    }
    let o = swarmlb_in(
        &dir,
        &[
            "diff",
            "bf/baseline.swlb",
            "bf/perturbed.swlb",
            "--csv",
            "d.csv",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    for file in [
        "m.csv",
        "plain/sweep.csv",
        "plain/summary.csv",
        "grid/sweep.csv",
        "grid/summary.csv",
        "cmp/compare.csv",
        "st/stability.csv",
        "bf/divergence.csv",
        "d.csv",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.lines().count() >= 2, "{file} has rows");
        assert_uniform_csv(&text);
    }
    let plain = std::fs::read_to_string(dir.join("plain/sweep.csv")).unwrap();
    assert!(plain.starts_with("seed,"), "{plain}");
}

#[test]
fn sweep_summary_has_a_t_interval_per_cell_and_metric_and_plots_with_bands() {
    let dir = scratch("sweep-summary");
    sweep(&dir, &["--out", "s"]);
    let summary = std::fs::read_to_string(dir.join("s/summary.csv")).unwrap();
    assert!(
        summary.starts_with(
            "servers.capacity,servers.low_watermark,metric,n,mean,sd,ci95_low,ci95_high\n"
        ),
        "{summary}"
    );
    // 4 cells × 17 metrics, each from 2 seeds; recompute one by hand from sweep.csv.
    assert_eq!(summary.lines().count(), 1 + 4 * 17);
    let csv = std::fs::read_to_string(dir.join("s/sweep.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "messages_per_connection")
        .unwrap();
    let values: Vec<f64> = csv
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("10,0.5,"))
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    let mean = (values[0] + values[1]) / 2.0;
    let sd = (values[0] - values[1]).abs() / 2.0_f64.sqrt();
    let half = 12.706_204_736 * sd / 2.0_f64.sqrt();
    let line = summary
        .lines()
        .find(|l| l.starts_with("10,0.5,messages_per_connection,"))
        .unwrap();
    let f: Vec<f64> = line
        .split(',')
        .skip(3)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(f[0], 2.0);
    for (got, want) in [
        (f[1], mean),
        (f[2], sd),
        (f[3], mean - half),
        (f[4], mean + half),
    ] {
        assert!((got - want).abs() < 1e-3, "{line}: {got} vs {want}");
    }
    // The plot: one line per low watermark, with bands.
    let o = swarmlb_in(
        &dir,
        &[
            "plot",
            "s/sweep.csv",
            "--x",
            "servers.capacity",
            "--y",
            "messages_per_connection",
            "--by",
            "servers.low_watermark",
            "-o",
            "p.png",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let (w, h, colours) = crate::png_info(&dir.join("p.png"));
    assert_eq!((w, h), (1000, 620));
    assert!(colours > 20, "bands and lines drawn ({colours} colours)");
    // Without --by the other parameter would be averaged over: refused.
    let o = swarmlb_in(
        &dir,
        &[
            "plot",
            "s/sweep.csv",
            "--x",
            "servers.capacity",
            "--y",
            "ttc_mean_ms",
            "-o",
            "q.png",
        ],
    );
    assert_fails(&o, 1, "servers.low_watermark takes 2 values");
    let o = swarmlb_in(
        &dir,
        &[
            "plot",
            "s/sweep.csv",
            "--x",
            "servers.capacity",
            "--y",
            "nonsense",
            "--by",
            "servers.low_watermark",
            "-o",
            "q.png",
        ],
    );
    assert_fails(&o, 1, "--y nonsense: not a metric");
}
