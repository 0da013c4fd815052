//! Sweeps, comparisons, the stability map and plots.

use std::path::Path;

use crate::{assert_fails, scratch, stdout, swarmlb_in};

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

fn compare_rows(dir: &Path, scenario: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["compare", scenario, "--seeds", "1", "--out", "cmp"];
    args.extend_from_slice(extra);
    let o = swarmlb_in(dir, &args);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    assert!(stdout(&o).contains("| policy |"));
    assert!(dir.join("cmp/compare.md").exists() && dir.join("cmp/compare.png").exists());
    let csv = std::fs::read_to_string(dir.join("cmp/compare.csv")).unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn compare_shows_known_results() {
    let dir = scratch("compare");
    // Power-of-two-choices balances better than random.
    let rows = compare_rows(
        &dir,
        "default",
        &["--duration", "20m", "--set", "users.diurnal.amplitude=0"],
    );
    let cov = |policy: &str| {
        rows.iter().find(|r| r[0] == policy).unwrap()[3]
            .parse::<f64>()
            .unwrap()
    };
    assert!(cov("power-of-two") < cov("random"), "{rows:?}");
    assert_eq!(rows.len(), 5);
    // Under a coordinator crash the centralized policies refuse users, the decentralized one does not.
    let rows = compare_rows(&dir, "coordinator-crash", &[]);
    let refused = |policy: &str| {
        rows.iter().find(|r| r[0] == policy).unwrap()[8]
            .parse::<f64>()
            .unwrap()
    };
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
        "--perturbations",
        "3",
        "--out",
        "st",
    ];
    let o = swarmlb_in(&dir, &args);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let csv = std::fs::read_to_string(dir.join("st/stability.csv")).unwrap();
    insta::assert_snapshot!("stability_csv", csv);
    let again = swarmlb_in(&dir, &[&args[..12], &["--jobs", "1"]].concat());
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
