//! Regression tests from issue 12 ("stale cells"): an output directory holds the results
//! of one plan; a rerun with another plan is refused (or starts over with `--fresh`),
//! never mixed with the old results, locally or through `--emit-jobs`/`--collect`.

use std::path::Path;

use crate::{assert_fails, assert_uniform_csv, scratch, stderr, stdout, swarmlb_in};

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = swarmlb_in(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn sweep_args<'a>(capacities: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "sweep",
        "seed-classic",
        "--duration",
        "1m",
        "--param",
        capacities,
        "--seeds",
        "2",
    ];
    args.extend_from_slice(extra);
    args
}

/// Issue 12: `--param servers.capacity=40,60` into a folder of a `40,50` sweep reused the
/// old cells ("4 runs, 4 already done"), so capacity 60 never ran.
#[test]
fn a_changed_grid_into_the_same_folder_is_refused_then_fresh_gives_the_new_answer() {
    let dir = scratch("plans-grid");
    ok(&dir, &sweep_args("servers.capacity=8,10", &["--out", "sw"]));
    let old = std::fs::read_to_string(dir.join("sw/sweep.csv")).unwrap();
    std::fs::write(dir.join("sw/notes.txt"), "mine").unwrap();
    let o = swarmlb_in(&dir, &sweep_args("servers.capacity=8,12", &["--out", "sw"]));
    assert_fails(&o, 1, "sw holds the results of another plan");
    assert_fails(&o, 1, "--fresh");
    // Where the old plan came from, and what differs.
    assert_fails(
        &o,
        1,
        "swarmlb sweep seed-classic --duration 1m --param servers.capacity=8,10",
    );
    assert_fails(
        &o,
        1,
        "grid: servers.capacity=8,10 there, servers.capacity=8,12 here",
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sw/sweep.csv")).unwrap(),
        old
    );
    let out = ok(
        &dir,
        &sweep_args("servers.capacity=8,12", &["--out", "sw", "--fresh"]),
    );
    assert!(out.contains("0 already done"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("sw/notes.txt")).unwrap(),
        "mine",
        "--fresh deletes only what swarmlb wrote"
    );
    let new = std::fs::read_to_string(dir.join("sw/sweep.csv")).unwrap();
    assert_uniform_csv(&new);
    let capacities: Vec<&str> = new
        .lines()
        .skip(1)
        .map(|l| &l[..l.find(',').unwrap()])
        .collect();
    assert_eq!(capacities, ["8", "8", "12", "12"]);
    // The same plan resumes.
    let out = ok(&dir, &sweep_args("servers.capacity=8,12", &["--out", "sw"]));
    assert!(out.contains("4 already done"), "{out}");
}

/// Every part of the plan counts: seeds, duration, overrides, the scenario text.
#[test]
fn every_part_of_the_plan_is_in_the_fingerprint() {
    let dir = scratch("plans-parts");
    std::fs::write(
        dir.join("s.toml"),
        "name = \"mine\"\n[servers]\ncapacity = 10\ninitial = 2\n",
    )
    .unwrap();
    let base = [
        "sweep",
        "s.toml",
        "--duration",
        "30s",
        "--seeds",
        "1",
        "--out",
        "p",
    ];
    ok(&dir, &base);
    for (change, differs) in [
        (vec!["--seeds", "2"], "seeds: 1..=1 there, 1..=2 here"),
        (vec!["--duration", "40s"], "duration: 30s there, 40s here"),
        (
            vec!["--set", "servers.initial=3"],
            "set:  there, servers.initial=3 here",
        ),
        (vec!["--policy", "random"], "policy"),
    ] {
        let mut args = base.to_vec();
        for pair in change.chunks(2) {
            match args.iter().position(|a| *a == pair[0]) {
                Some(i) => args[i + 1] = pair[1],
                None => args.extend_from_slice(pair),
            }
        }
        assert_fails(&swarmlb_in(&dir, &args), 1, differs);
    }
    // The scenario file edited: the same command is another plan.
    std::fs::write(
        dir.join("s.toml"),
        "name = \"mine\"\n[servers]\ncapacity = 11\ninitial = 2\n",
    )
    .unwrap();
    assert_fails(&swarmlb_in(&dir, &base), 1, "resolved scenarios:");
}

/// Results without a plan (an older swarmlb, or a hand-made folder) are not resumed.
#[test]
fn outputs_without_a_plan_are_refused() {
    let dir = scratch("plans-orphans");
    std::fs::create_dir_all(dir.join("sw/cells")).unwrap();
    std::fs::write(dir.join("sw/cells/00000-s1.csv"), "8,1,4\n").unwrap();
    let o = swarmlb_in(&dir, &sweep_args("servers.capacity=8", &["--out", "sw"]));
    assert_fails(&o, 1, "holds cells but no plan.json");
    ok(
        &dir,
        &sweep_args("servers.capacity=8", &["--out", "sw", "--fresh"]),
    );
}

/// Issue 12, the cluster path: `--emit-jobs` writes the plan, a job of a replaced plan
/// refuses to write, and `--collect` refuses run files of another plan.
#[test]
fn collect_refuses_runs_of_another_plan() {
    let dir = scratch("plans-cluster");
    ok(
        &dir,
        &sweep_args("servers.capacity=8,10", &["--emit-jobs", "a"]),
    );
    ok(
        &dir,
        &sweep_args("servers.capacity=8,12", &["--emit-jobs", "b"]),
    );
    let plan = std::fs::read_to_string(dir.join("b/plan.json")).unwrap();
    assert!(plan.contains("\"fingerprint\""), "{plan}");
    let jobs = |d: &str| -> Vec<String> {
        std::fs::read_to_string(dir.join(d).join("jobs.txt"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let run = |line: &str| {
        std::process::Command::new("bash")
            .args(["-c", line])
            .output()
            .unwrap()
    };
    for line in jobs("a").iter().chain(&jobs("b")[..3]) {
        assert!(run(line).status.success(), "{line}");
    }
    // b's last run file comes from a: same name, another plan.
    std::fs::copy(
        dir.join("a/cells/00001-s2.csv"),
        dir.join("b/cells/00001-s2.csv"),
    )
    .unwrap();
    let o = swarmlb_in(&dir, &["sweep", "--collect", "b"]);
    assert_fails(&o, 1, "cells/00001-s2.csv was written by another plan");
    assert!(!dir.join("b/sweep.csv").exists());
    // Re-emitted with another plan: the old jobs refuse to write into it.
    ok(
        &dir,
        &sweep_args("servers.capacity=8,14", &["--emit-jobs", "b", "--fresh"]),
    );
    let o = run(&jobs("a")[0].replace("/a'", "/b'"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(err.contains("is not this job's plan"), "{err}");
    assert!(
        err.contains("grid: servers.capacity=8,14 there, servers.capacity=8,10 here"),
        "{err}"
    );
    let o = swarmlb_in(&dir, &["sweep", "--collect", "a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_uniform_csv(&std::fs::read_to_string(dir.join("a/summary.csv")).unwrap());
}

/// compare and stability keep a plan too.
#[test]
fn compare_and_stability_refuse_another_plan_in_their_folder() {
    let dir = scratch("plans-others");
    let compare = [
        "compare",
        "seed-classic",
        "--duration",
        "30s",
        "--seeds",
        "2",
        "--out",
        "c",
    ];
    ok(&dir, &compare);
    ok(&dir, &compare);
    let mut other = compare.to_vec();
    other[5] = "3";
    assert_fails(
        &swarmlb_in(&dir, &other),
        1,
        "c holds the results of another plan",
    );
    other.push("--fresh");
    ok(&dir, &other);
    let stability = [
        "stability",
        "seed-classic",
        "--duration",
        "30s",
        "--param",
        "servers.capacity=8",
        "--seeds",
        "1",
        "--perturbations",
        "1",
        "--out",
        "s",
    ];
    ok(&dir, &stability);
    let mut other = stability.to_vec();
    other[9] = "2";
    assert_fails(
        &swarmlb_in(&dir, &other),
        1,
        "perturbations: 1 there, 2 here",
    );
}

/// Regression (issue 23): run files carried no checksum, so an edited value flowed
/// silently into sweep.csv and a cut file was called "written by another plan". A damaged
/// run file is reported with a warning and run again, giving the same sweep.csv.
#[test]
fn regression_23_a_damaged_run_file_is_run_again_with_a_warning() {
    let dir = scratch("plans-damaged-cell");
    let args = sweep_args("servers.capacity=8,10", &["--out", "sw"]);
    ok(&dir, &args);
    let csv = std::fs::read_to_string(dir.join("sw/sweep.csv")).unwrap();
    let cell = |name: &str| dir.join("sw/cells").join(name);
    // An edited value (the plan line kept), and a file cut in its plan line.
    let text = std::fs::read_to_string(cell("00000-s1.csv")).unwrap();
    assert!(
        text.lines().last().unwrap().starts_with("# blake3 "),
        "{text}"
    );
    let (tag, rest) = text.split_once('\n').unwrap();
    let edited = format!("{tag}\n9{}", &rest[1..]);
    assert_ne!(edited, text);
    std::fs::write(cell("00000-s1.csv"), edited).unwrap();
    let cut = std::fs::read(cell("00001-s2.csv")).unwrap();
    std::fs::write(cell("00001-s2.csv"), &cut[..10]).unwrap();
    let o = swarmlb_in(&dir, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for name in ["00000-s1.csv", "00001-s2.csv"] {
        assert!(
            err.contains(&format!("cells/{name} is damaged")) && err.contains("run again"),
            "{name}: {err}"
        );
    }
    assert!(stdout(&o).contains("2 already done"), "{}", stdout(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("sw/sweep.csv")).unwrap(),
        csv
    );
}
