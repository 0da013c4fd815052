//! Regression tests from issue 12 ("options accepted and ignored"): an experiment refuses,
//! as a usage error (exit 2) before running anything, every option it would not honour and
//! every two options that contradict each other.

use crate::{assert_fails, scratch, swarmlb_in};

#[test]
fn ignored_or_contradictory_options_are_usage_errors() {
    let dir = scratch("options");
    for (args, needle) in [
        (
            &["sweep", "--seed", "5", "--seeds", "2"][..],
            "unexpected argument '--seed'",
        ),
        (
            &["sweep", "--param", "duration=1m,2m", "--duration", "1m"],
            "contradicts --duration",
        ),
        (
            &["sweep", "--set", "duration=1m", "--duration", "1m"],
            "contradicts --duration",
        ),
        (
            &["sweep", "--param", "seed=1,2"],
            "sweep sets `seed` itself",
        ),
        (&["sweep", "--set", "seed=3"], "sweep sets `seed` itself"),
        (
            &["sweep", "--param", "policy=random", "--policy", "random"],
            "contradicts --policy",
        ),
        (
            &[
                "sweep",
                "--set",
                "servers.capacity=5",
                "--param",
                "servers.capacity=5,6",
            ],
            "`servers.capacity` is given twice",
        ),
        (&["sweep", "--seeds", "0"], "--seeds"),
        (
            &["sweep", "--param", "servers.capacity=8,9,8"],
            "the value 8 is listed twice",
        ),
        (
            &["sweep", "--collect", "x", "--param", "servers.capacity=5"],
            "cannot be used with",
        ),
        (
            &["sweep", "--emit-jobs", "x", "--jobs", "2"],
            "cannot be used with",
        ),
        (
            &["compare", "--policy", "random"],
            "unexpected argument '--policy'",
        ),
        (&["compare", "--seed", "1"], "unexpected argument '--seed'"),
        (
            &["compare", "--set", "policy=random"],
            "compare sets `policy` itself",
        ),
        (
            &["compare", "--set", "seed=2"],
            "compare sets `seed` itself",
        ),
        (
            &[
                "stability",
                "--param",
                "servers.capacity=5",
                "--set",
                "butterfly.at=10",
            ],
            "stability sets `butterfly` itself",
        ),
        (
            &["stability", "--param", "servers.capacity=5", "--seed", "1"],
            "unexpected argument",
        ),
        (
            &[
                "stability",
                "--param",
                "a=1",
                "--param",
                "b=1",
                "--param",
                "c=1",
            ],
            "one or two --param",
        ),
        (
            &[
                "stability",
                "--param",
                "servers.capacity=5",
                "--perturbations",
                "0",
            ],
            "--perturbations",
        ),
        // Issue 21: `--jobs 0` would run nothing; compare needs two seeds for an interval.
        (
            &["sweep", "--param", "servers.capacity=5", "--jobs", "0"],
            "--jobs",
        ),
        (&["compare", "--jobs", "0"], "--jobs"),
        (
            &["stability", "--param", "servers.capacity=5", "--jobs", "0"],
            "--jobs",
        ),
        (&["compare", "--seeds", "1"], "--seeds"),
        // Issue 21: a field the policy of every run ignores.
        (
            &[
                "sweep",
                "--policy",
                "round-robin",
                "--param",
                "servers.max_hops=1,3",
            ],
            "policy round-robin ignores `servers.max_hops` (under a coordinator",
        ),
        (
            &[
                "sweep",
                "--param",
                "servers.capacity=5,6",
                "--set",
                "coordinator.crash_at=1m",
            ],
            "policy decentralized ignores `coordinator.crash_at` (there is no coordinator",
        ),
        (
            &["stability", "--param", "servers.report_interval=1s,2s"],
            "policy decentralized ignores `servers.report_interval`",
        ),
        (
            &[
                "sweep",
                "--param",
                "policy=random,power-of-two",
                "--param",
                "servers.high_watermark=0.7,0.8",
            ],
            "policy power-of-two, random ignores `servers.high_watermark`",
        ),
    ] {
        let mut all = args.to_vec();
        all.extend(["--out", "never"]);
        if args.contains(&"--collect") || args.contains(&"--emit-jobs") {
            all.truncate(args.len());
        }
        let o = swarmlb_in(&dir, &all);
        assert_fails(&o, 2, needle);
        assert!(crate::stderr(&o).contains("--help"), "{args:?}");
    }
    assert!(
        !dir.join("never").exists() && !dir.join("x").exists(),
        "nothing ran"
    );
}

#[test]
fn plot_options_match_the_input() {
    let dir = scratch("plot-options");
    std::fs::write(
        dir.join("m.csv"),
        "time_s,servers_alive,users_connected,load_cov\n0,1,1,0\n",
    )
    .unwrap();
    assert_fails(
        &swarmlb_in(
            &dir,
            &["plot", "m.csv", "--x", "a", "--y", "b", "-o", "p.png"],
        ),
        2,
        "is not one",
    );
    assert_fails(
        &swarmlb_in(&dir, &["plot", "m.csv", "--x", "a", "-o", "p.png"]),
        2,
        "--y",
    );
    std::fs::write(
        dir.join("s.csv"),
        "servers.capacity,seed,load_cov,state_hash\n8,1,0.1,00\n",
    )
    .unwrap();
    assert_fails(
        &swarmlb_in(&dir, &["plot", "s.csv", "-o", "p.png"]),
        2,
        "--x PARAM --y METRIC",
    );
}

/// `run` honours `--set seed=` and `--set duration=`, but not together with `--seed` or
/// `--duration`, where one of the two would silently win.
#[test]
fn run_refuses_an_option_and_a_field_that_say_different_things() {
    let dir = scratch("run-options");
    for (args, needle) in [
        (
            &["run", "--seed", "2", "--set", "seed=3"][..],
            "contradicts --seed",
        ),
        (
            &["run", "--duration", "1m", "--set", "duration=2m"],
            "contradicts --duration",
        ),
        (
            &["run", "--policy", "random", "--set", "policy=round-robin"],
            "contradicts --policy",
        ),
        (
            &[
                "run",
                "--set",
                "servers.capacity=5",
                "--set",
                "servers.capacity=6",
            ],
            "`servers.capacity` is given twice",
        ),
    ] {
        assert_fails(&swarmlb_in(&dir, args), 2, needle);
    }
    let o = swarmlb_in(
        &dir,
        &[
            "run",
            "seed-classic",
            "--set",
            "seed=3",
            "--set",
            "duration=10s",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    assert!(
        crate::stdout(&o).contains("seed 3, 10s simulated"),
        "{}",
        crate::stdout(&o)
    );
}

/// Regression (found in the issue 12 review): `butterfly --set butterfly.at=...` was
/// accepted and ignored (`--at` wins), and `--seed` silently beat `--set seed=`.
#[test]
fn butterfly_refuses_fields_it_sets_itself_and_contradictions() {
    let dir = scratch("butterfly-options");
    let base = [
        "butterfly",
        "seed-classic",
        "--duration",
        "30s",
        "--at",
        "10s",
    ];
    for (extra, needle) in [
        (
            &["--set", "butterfly.at=5s"][..],
            "sets `butterfly.at` itself",
        ),
        (&["--seed", "3", "--set", "seed=4"], "contradicts --seed"),
        (
            &["--user", "2", "--set", "butterfly.user=3"],
            "contradicts --user",
        ),
    ] {
        let args = [&base[..], extra].concat();
        let o = swarmlb_in(&dir, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", crate::stderr(&o));
        assert!(
            crate::stderr(&o).contains(needle),
            "{args:?}: {}",
            crate::stderr(&o)
        );
    }
    // What butterfly honours is still accepted.
    let args = [
        &base[..],
        &["--set", "butterfly.reconnect_after=2s", "--out", "bf"],
    ]
    .concat();
    let o = swarmlb_in(&dir, &args);
    assert!(o.status.success(), "{}", crate::stderr(&o));
}

/// Issue 11 ("a command offers only the options it honours"): `why --dot` prints the whole
/// tree, so a `--depth` beside it was accepted and silently ignored; now it is refused.
#[test]
fn why_refuses_depth_with_dot() {
    let o = crate::swarmlb(&[
        "why",
        "traces/golden/butterfly/baseline.swlb",
        "traces/golden/butterfly/perturbed.swlb",
        "--dot",
        "--depth",
        "2",
    ]);
    assert_fails(&o, 2, "cannot be used with");
}

/// Issue 21: `run` and `butterfly` refuse a `--set` of a field their policy ignores, naming
/// the field, the policy and why; a field some run reads is accepted (a sweep over
/// policies, a mixed grid).
#[test]
fn a_field_the_policy_ignores_is_refused() {
    let dir = scratch("policy-reads");
    for (args, needle) in [
        (
            &[
                "run",
                "--policy",
                "random",
                "--set",
                "servers.pull=\"classic\"",
            ][..],
            "--set servers.pull=...: policy random ignores `servers.pull`",
        ),
        (
            &[
                "run",
                "--set",
                "policy=\"round-robin\"",
                "--set",
                "servers.gossip=false",
            ],
            "policy round-robin ignores `servers.gossip`",
        ),
        (
            &["run", "--set", "coordinator.crash_at=\"1m\""],
            "policy decentralized ignores `coordinator.crash_at`",
        ),
        (
            &[
                "butterfly",
                "--at",
                "1m",
                "--policy",
                "least-connections",
                "--set",
                "servers.max_hops=2",
            ],
            "policy least-connections ignores `servers.max_hops`",
        ),
    ] {
        let mut all = args.to_vec();
        let output = if args[0] == "run" { "--trace" } else { "--out" };
        all.extend(["--duration", "2m", output, "never"]);
        let o = swarmlb_in(&dir, &all);
        assert_fails(&o, 2, needle);
    }
    assert!(!dir.join("never").exists(), "nothing ran");
    // Read by one of the policies swept: accepted (and it runs).
    let o = swarmlb_in(
        &dir,
        &[
            "sweep",
            "default",
            "--duration",
            "20s",
            "--param",
            "policy=decentralized,random",
            "--param",
            "servers.max_hops=1,3",
            "--jobs",
            "1",
            "--out",
            "mixed",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
}
