use crate::{scratch, stdout, swarmlb};

#[test]
fn run_prints_a_deterministic_summary_and_reproduce_line() {
    let args = ["run", "seed-classic", "--seed", "1", "--duration", "1m"];
    let a = swarmlb(&args);
    assert!(a.status.success());
    let b = swarmlb(&args);
    assert_eq!(a.stdout, b.stdout, "same arguments, same bytes");
    insta::assert_snapshot!("run_seed_classic", stdout(&a));
}

#[test]
fn run_defaults_to_the_default_scenario() {
    let o = swarmlb(&["run", "--duration", "2m"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.starts_with("swarmlb run: default (decentralized), seed 1, 2m simulated"),
        "{out}"
    );
    assert!(
        out.contains("reproduce with: swarmlb run default --seed 1 --duration 2m"),
        "{out}"
    );
    for label in [
        "servers alive start/end/max",
        "load (users on a server) max / mean / CoV",
        "connections / rejections / delegations",
        "Jain's fairness index",
        "messages per connection",
        "time to connect p50 / p99",
    ] {
        assert!(out.contains(label), "missing {label}: {out}");
    }
}

#[test]
fn a_different_seed_prints_a_different_summary() {
    let a = swarmlb(&["run", "seed-classic", "--duration", "1m", "--seed", "1"]);
    let b = swarmlb(&["run", "seed-classic", "--duration", "1m", "--seed", "2"]);
    assert_ne!(a.stdout, b.stdout);
}

#[test]
fn policy_and_overrides_apply() {
    let o = swarmlb(&[
        "run",
        "--duration",
        "1m",
        "--policy",
        "round-robin",
        "--set",
        "servers.capacity=60",
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("default (round-robin)"), "{out}");
    assert!(
        out.contains("--policy round-robin --set 'servers.capacity=60'"),
        "{out}"
    );
}

#[test]
fn metrics_csv_has_one_row_per_sample() {
    let dir = scratch("metrics");
    let csv = dir.join("m.csv");
    let o = swarmlb(&[
        "run",
        "seed-classic",
        "--duration",
        "30s",
        "--metrics",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], swarmlb_model::metrics::SAMPLE_CSV_HEADER);
    assert_eq!(lines.len(), 1 + 31, "t = 0..=30 s every second");
}

#[test]
fn scenarios_lists_every_builtin() {
    let o = swarmlb(&["scenarios"]);
    assert!(o.status.success());
    insta::assert_snapshot!("scenarios", stdout(&o));
    let show = swarmlb(&["scenarios", "--show", "node-loss"]);
    assert!(stdout(&show).contains("[[crashes]]"));
}

#[test]
fn every_command_has_help_with_examples() {
    for cmd in [
        "run",
        "scenarios",
        "verify",
        "replay",
        "stats",
        "log",
        "export",
        "diff",
        "butterfly",
    ] {
        let o = swarmlb(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help");
        let text = stdout(&o);
        assert!(text.contains("Usage: swarmlb"), "{cmd}: {text}");
        if cmd != "scenarios" {
            assert!(
                text.contains("Example"),
                "{cmd} --help has no example: {text}"
            );
        }
    }
    let top = swarmlb(&["--help"]);
    assert!(stdout(&top).contains("Exit codes"));
}

/// Issue 12: the run summary did not name delegations. It counts exactly the trace's
/// `ConnectDelegate` records.
#[test]
fn run_summary_counts_delegations_as_the_trace_does() {
    let dir = crate::scratch("delegations");
    let o = crate::swarmlb_in(
        &dir,
        &[
            "run",
            "flash-crowd",
            "--duration",
            "5m",
            "--trace",
            "f.swlb",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("connections / rejections / delegations"))
        .unwrap();
    let delegations: u64 = line.rsplit(" / ").next().unwrap().trim().parse().unwrap();
    assert!(delegations > 0, "{line}");
    let stats = stdout(&crate::swarmlb_in(&dir, &["stats", "f.swlb"]));
    let recorded = stats
        .lines()
        .find(|l| l.contains("ConnectDelegate"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap();
    assert_eq!(recorded, delegations.to_string(), "{stats}");
    assert!(out.contains("without heartbeats (all "), "{out}");
}

#[test]
fn run_check_holds_every_invariant_after_every_event() {
    let o = crate::swarmlb(&["run", "seed-classic", "--duration", "2m", "--check"]);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let out = crate::stdout(&o);
    assert!(out.contains("every invariant held after each of"), "{out}");
    assert!(
        out.contains("--check"),
        "the reproduce line keeps --check: {out}"
    );
    let o = crate::swarmlb(&["run", "--check", "--metrics", "m.csv"]);
    assert_eq!(o.status.code(), Some(2), "--check does not record: refused");
}

/// Issue 11 ("one seed"): a trace recorded with `--seed 7` once embedded a scenario saying
/// `seed = 1` beside a header saying 7. The seed is now resolved into the scenario, so the
/// embedded scenario and the header agree, and the trace replays from the scenario alone.
#[test]
fn seed_option_is_the_embedded_scenarios_seed() {
    let dir = scratch("one-seed");
    let o = crate::swarmlb_in(
        &dir,
        &[
            "run",
            "seed-classic",
            "--seed",
            "7",
            "--duration",
            "20s",
            "--trace",
            "seven.swlb",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let reader = swarmlb_trace::TraceReader::open(&dir.join("seven.swlb")).unwrap();
    assert_eq!(reader.header().seed, 7);
    let toml = &reader.header().scenario_toml;
    assert!(toml.contains("\nseed = 7\n"), "{toml}");
    assert_eq!(reader.scenario().unwrap().seed, 7);
    let o = crate::swarmlb_in(&dir, &["replay", "seven.swlb"]);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    assert!(
        stdout(&o).starts_with("replay identical: "),
        "{}",
        stdout(&o)
    );
}
