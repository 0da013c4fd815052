//! butterfly and why end to end (issue 13): honest no-ops, --repeat statistics, and the
//! causal tree of the golden butterfly pair.

use crate::{assert_fails, scratch, stderr, stdout, swarmlb, swarmlb_in};

const GOLDEN: [&str; 2] = [
    "traces/golden/butterfly/baseline.swlb",
    "traces/golden/butterfly/perturbed.swlb",
];

#[test]
fn why_snapshot_on_the_golden_pair() {
    let o = swarmlb(&["why", GOLDEN[0], GOLDEN[1]]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("why", stdout(&o));
    let dot = swarmlb(&["why", GOLDEN[0], GOLDEN[1], "--dot"]);
    assert!(dot.status.success());
    insta::assert_snapshot!("why_dot", stdout(&dot));
    // The tree has diff's cascade size.
    let diff = stdout(&swarmlb(&["diff", GOLDEN[0], GOLDEN[1]]));
    let nodes = stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("diverged agents: "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    assert!(
        diff.contains(&format!("cascade size: {nodes} of ")),
        "{nodes}: {diff}"
    );
}

#[test]
fn a_butterfly_that_disconnects_nobody_says_so_and_fails() {
    let dir = scratch("butterfly-noop");
    // At t=0 nobody is connected yet.
    let o = swarmlb_in(
        &dir,
        &[
            "butterfly",
            "seed-classic",
            "--duration",
            "1m",
            "--at",
            "0s",
            "--out",
            "bf",
        ],
    );
    assert_fails(&o, 1, "nothing was perturbed");
    let out = stdout(&o);
    assert!(
        out.contains("nobody disconnected at t=0.000000s (no user was connected)"),
        "{out}"
    );
    assert!(out.contains("verdict: no-op"), "{out}");
    assert!(!out.contains("4294967295") && !stderr(&o).contains("4294967295"));
}

#[test]
fn repeat_reports_verdict_counts_and_intervals() {
    let o = swarmlb(&[
        "butterfly",
        "seed-classic",
        "--duration",
        "1m",
        "--at",
        "20s",
        "--seed",
        "3",
        "--repeat",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("seeds 3..=5"), "{out}");
    for seed in ["seed 3:", "seed 4:", "seed 5:"] {
        assert!(out.contains(seed), "{out}");
    }
    assert!(out.contains("verdicts over 3 pairs: "), "{out}");
    assert!(
        out.contains("null model: 5 reference runs per seed"),
        "{out}"
    );
    assert!(out.contains("P(decorrelated) = "), "{out}");
    assert!(out.contains("determined"), "{out}");
    assert!(out.contains("  rejections "), "{out}");
    assert!(out.contains("sign-flip p (exact)"), "{out}");
    assert!(out.contains("outcome shift: "), "{out}");
    // Three pairs cannot reach p < 0.05 (the least exact p is 2/8): nothing is worse.
    assert!(
        out.contains("outcome shift: none detected (smallest shift detectable"),
        "{out}"
    );
    assert!(
        !out.contains("cascaded") && !out.contains("diverged"),
        "{out}"
    );
    assert!(
        out.contains("reproduce one pair with: swarmlb butterfly seed-classic --seed 3 "),
        "{out}"
    );
    // Seeds are limited like every input: no wrapping past the last one.
    let o = swarmlb(&[
        "butterfly",
        "seed-classic",
        "--at",
        "20s",
        "--seed",
        "18446744073709551615",
        "--repeat",
        "2",
    ]);
    assert_fails(&o, 1, "no room for 2 consecutive seeds");
    // --repeat writes nothing, so --out is refused rather than ignored.
    let o = swarmlb(&[
        "butterfly",
        "seed-classic",
        "--at",
        "20s",
        "--repeat",
        "2",
        "--out",
        "x",
    ]);
    assert_fails(&o, 2, "'--repeat <K>' cannot be used with '--out <OUT>'");
    let o = swarmlb(&["butterfly", "seed-classic", "--at", "20s", "--repeat", "1"]);
    assert_fails(&o, 2, "--repeat");
}

/// Issue 21: the null model's options, the perturbation kinds, scans and ensembles of
/// ensembles are checked before anything runs.
#[test]
fn null_model_and_control_options_are_checked() {
    let bad = [
        (&["--at", "20s", "--references", "101"][..], "--references"),
        (
            &["--at", "20s", "--references", "3", "--no-reference"],
            "cannot be used with",
        ),
        (&["--at", "20s", "--jobs", "0"], "--jobs"),
        (
            &["--at", "20s", "--perturb", "crash-server:0"],
            "at least 1",
        ),
        (
            &["--at", "20s", "--perturb", "meteor"],
            "unknown perturbation",
        ),
        (
            &["--at", "20s", "--perturb", "independent", "--user", "3"],
            "disconnects nobody",
        ),
        (&["--scan", "1m..2m/10s"], "--repeat"),
        (
            &["--scan", "2m..1m/10s", "--repeat", "2"],
            "TO not before FROM",
        ),
        (&["--scan", "0s..1h/1s", "--repeat", "2"], "at most 200"),
        (
            &["--at", "20s", "--scan", "1m..2m/10s", "--repeat", "2"],
            "cannot be used with",
        ),
        (&["--at", "20s", "--ensembles", "3"], "--repeat"),
        (
            &["--at", "20s", "--plot", "x.png", "--repeat", "2"],
            "--scan",
        ),
    ];
    for (args, message) in bad {
        let mut all = vec!["butterfly", "seed-classic"];
        all.extend_from_slice(args);
        let o = swarmlb(&all);
        assert_fails(&o, 2, message);
    }
}

/// The controls from the command line: independent branches with --ensembles report a
/// rate with its interval; a crash names the servers it crashed.
#[test]
fn controls_from_the_command_line() {
    let o = swarmlb(&[
        "butterfly",
        "seed-classic",
        "--duration",
        "2m",
        "--at",
        "1m",
        "--repeat",
        "4",
        "--ensembles",
        "2",
        "--perturb",
        "independent",
        "--no-reference",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("2 ensembles of 4 pairs, seeds 1..=8, independent"),
        "{out}"
    );
    assert!(
        out.contains("ensembles that detected an outcome shift: 0 of 2"),
        "{out}"
    );
    assert!(out.contains("(95% Wilson"), "{out}");
    // With and without the balancing, side by side.
    let o = swarmlb(&[
        "butterfly",
        "seed-classic",
        "--duration",
        "2m",
        "--at",
        "1m",
        "--repeat",
        "3",
        "--without",
        "pull,handoff",
        "--references",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("as configured, then without pull, handoff"),
        "{out}"
    );
    for row in [
        "P(decorrelated) [95% Wilson]",
        "cascade size [95% t]",
        "outcome shift (Holm)",
    ] {
        assert!(out.contains(row), "{out}");
    }
    assert!(out.contains("without pull, handoff"), "{out}");
    let out_dir = scratch("butterfly-crash").join("bf");
    let o = swarmlb(&[
        "butterfly",
        "seed-classic",
        "--duration",
        "2m",
        "--at",
        "1m",
        "--perturb",
        "crash-server",
        "--references",
        "2",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(" crashed at t=60.000000s"), "{out}");
    assert!(out.contains("null model: 2 independent runs"), "{out}");
    assert!(out.contains("reproduce with: swarmlb butterfly seed-classic --seed 1 --duration 2m --at 1m --perturb crash-server:1"), "{out}");
}

/// `why --by mechanism` (issue 21): the golden pair's edges by carrier, one per node, so
/// n is diff's cascade size; the per cents are of n.
#[test]
fn why_by_mechanism_on_the_golden_pair() {
    let o = swarmlb(&["why", GOLDEN[0], GOLDEN[1], "--by", "mechanism"]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("why_by_mechanism", stdout(&o));
    let tree = stdout(&swarmlb(&["why", GOLDEN[0], GOLDEN[1]]));
    let nodes = tree
        .lines()
        .find_map(|l| l.strip_prefix("diverged agents: "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    assert!(
        stdout(&o).contains(&format!("(n = {nodes}, one per diverged agent)")),
        "{}",
        stdout(&o)
    );
    // Counts, not a tree: the options that shape the tree are refused with it.
    for other in ["--dot", "--depth=2"] {
        let o = swarmlb(&["why", GOLDEN[0], GOLDEN[1], "--by", "mechanism", other]);
        assert_fails(&o, 2, "cannot be used with");
    }
}

/// `why` refuses the perturbed branch given first, as `diff` does (issue 21).
#[test]
fn why_refuses_swapped_traces_as_diff_does() {
    let why = swarmlb(&["why", GOLDEN[1], GOLDEN[0]]);
    assert_fails(
        &why,
        1,
        "pass the baseline first, then the perturbed branch",
    );
    let diff = swarmlb(&["diff", GOLDEN[1], GOLDEN[0]]);
    assert_fails(
        &diff,
        1,
        "pass the baseline first, then the perturbed branch",
    );
}
