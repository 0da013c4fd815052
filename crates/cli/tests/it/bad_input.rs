use crate::{assert_fails, scratch, swarmlb, swarmlb_in};

#[test]
fn malformed_scenario_file_names_file_line_and_field() {
    let dir = scratch("bad-scenario");
    std::fs::write(
        dir.join("mine.toml"),
        "name = \"mine\"\n[servers]\ncapacity = 10\nhigh_watermark = 2.0\n",
    )
    .unwrap();
    let o = swarmlb_in(&dir, &["run", "mine.toml"]);
    assert_fails(
        &o,
        1,
        "mine.toml:4: invalid value for `servers.high_watermark`",
    );
    std::fs::write(dir.join("typo.toml"), "[users]\ncuont = 10\n").unwrap();
    let o = swarmlb_in(&dir, &["run", "typo.toml"]);
    assert_fails(&o, 1, "typo.toml:2:");
    assert_fails(&o, 1, "unknown field `cuont`");
}

#[test]
fn unknown_scenario_and_bad_override() {
    assert_fails(&swarmlb(&["run", "no-such-scenario"]), 1, "not a built-in");
    assert_fails(
        &swarmlb(&["run", "--set", "servers.capacity=-3"]),
        1,
        "servers.capacity",
    );
    assert_fails(&swarmlb(&["run", "--set", "justtext"]), 1, "KEY=VALUE");
}

#[test]
fn wrong_arguments_are_usage_errors() {
    assert_fails(
        &swarmlb(&["run", "--duration", "ten"]),
        2,
        "invalid duration",
    );
    assert_fails(&swarmlb(&["run", "--policy", "magic"]), 2, "unknown policy");
    assert_fails(&swarmlb(&["frobnicate"]), 2, "unrecognized subcommand");
    assert_fails(&swarmlb(&["butterfly"]), 2, "--at");
}

#[test]
fn missing_or_foreign_files_are_clear_errors() {
    assert_fails(
        &swarmlb(&["verify", "does-not-exist.swlb"]),
        1,
        "does-not-exist.swlb",
    );
    let dir = scratch("foreign");
    std::fs::write(dir.join("notes.txt"), "hello").unwrap();
    assert_fails(
        &swarmlb_in(&dir, &["verify", "notes.txt"]),
        3,
        "not a swarmlb trace",
    );
    assert_fails(
        &swarmlb_in(&dir, &["stats", "notes.txt"]),
        3,
        "not a swarmlb trace",
    );
}

#[test]
fn a_corrupted_trace_is_reported_with_its_offset() {
    let dir = scratch("corrupt");
    let mut bytes = std::fs::read(crate::repo().join("traces/golden/seed-classic.swlb")).unwrap();
    bytes[5000] ^= 0x40;
    std::fs::write(dir.join("bad.swlb"), &bytes).unwrap();
    let o = swarmlb_in(&dir, &["verify", "bad.swlb"]);
    assert_fails(&o, 3, "corrupt trace at byte offset");
    assert!(crate::stdout(&o).contains("intact:"));
    for cmd in ["replay", "stats", "log"] {
        let o = swarmlb_in(&dir, &[cmd, "bad.swlb"]);
        assert_eq!(o.status.code(), Some(3), "{cmd}: {}", crate::stderr(&o));
        assert!(!crate::stderr(&o).contains("panicked"));
    }
}

#[test]
fn a_truncated_trace_reports_its_intact_prefix() {
    let dir = scratch("truncated");
    let bytes = std::fs::read(crate::repo().join("traces/golden/seed-classic.swlb")).unwrap();
    std::fs::write(dir.join("cut.swlb"), &bytes[..bytes.len() / 2]).unwrap();
    let o = swarmlb_in(&dir, &["verify", "cut.swlb"]);
    assert_fails(&o, 3, "truncated trace");
    assert!(crate::stderr(&o).contains("events intact"));
    // The intact prefix is still readable.
    let log = swarmlb_in(&dir, &["log", "cut.swlb"]);
    assert_eq!(log.status.code(), Some(3));
    assert!(crate::stdout(&log).lines().count() > 100);
}

/// The ways a trace file can be damaged, each as (name, bytes).
fn damaged_traces() -> Vec<(&'static str, Vec<u8>)> {
    let good = std::fs::read(crate::repo().join("traces/golden/seed-classic.swlb")).unwrap();
    let flip = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x40;
        b
    };
    let mut after_footer = good.clone();
    after_footer.extend_from_slice(b"trailing");
    // A CRC-valid header whose producer string claims 2^40 bytes (issue 10: 36 bytes that
    // aborted every reader).
    let mut crafted = b"SWARMLB\0".to_vec();
    let payload = [253, 0, 0, 0, 0, 0, 1, 0, 0];
    let major = swarmlb_trace::FORMAT_MAJOR;
    let minor = swarmlb_trace::FORMAT_MINOR;
    crafted.extend_from_slice(&major.to_le_bytes());
    crafted.extend_from_slice(&minor.to_le_bytes());
    crafted.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let crc = swarmlb_trace::format::header_crc(major, minor, &payload);
    crafted.extend_from_slice(&crc.to_le_bytes());
    crafted.extend_from_slice(&payload);
    vec![
        ("header", flip(40)),
        ("version", flip(9)),
        ("block", flip(5000)),
        ("after-footer", after_footer),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("huge-length", crafted),
        ("foreign", b"hello, not a trace".to_vec()),
    ]
}

/// Regression (issue 10): header damage gave 3 in `verify` but 1 elsewhere, and data after
/// the footer was accepted by `replay` ("identical", exit 0), `log`, `export`, `diff` and
/// `plot`. Every command that reads a trace now ends with the same code and message.
#[test]
fn regression_every_trace_reader_reports_damage_with_one_code_and_message() {
    let dir = scratch("damage-matrix");
    let golden = crate::repo().join("traces/golden/seed-classic.swlb");
    let golden = golden.to_str().unwrap();
    for (name, bytes) in damaged_traces() {
        let file = format!("{name}.swlb");
        std::fs::write(dir.join(&file), &bytes).unwrap();
        let mut commands: Vec<Vec<&str>> = vec![
            vec!["verify", &file],
            vec!["replay", &file],
            vec!["stats", &file],
            vec!["log", &file],
            vec!["export", &file, "--format", "jsonl", "-o", "out.jsonl"],
            vec!["export", &file, "--format", "chrome", "-o", "out.json"],
            vec!["diff", golden, &file],
            vec!["diff", &file, golden],
        ];
        if name != "foreign" {
            // `plot` also reads CSV: a file that is not a trace is read as one.
            commands.push(vec!["plot", &file, "-o", "out.png"]);
        }
        let mut messages = std::collections::BTreeSet::new();
        for args in &commands {
            let o = swarmlb_in(&dir, args);
            let err = crate::stderr(&o);
            assert_eq!(o.status.code(), Some(3), "{name}: {args:?}: {err}");
            assert!(!err.contains("panicked"), "{name}: {args:?}: {err}");
            let last = err.lines().last().unwrap_or_default().to_string();
            assert!(last.starts_with("swarmlb: "), "{name}: {args:?}: {err}");
            assert!(
                last.contains(&file),
                "{name}: {args:?}: names the file: {err}"
            );
            messages.insert(last);
        }
        assert_eq!(messages.len(), 1, "{name}: one message, got {messages:#?}");
    }
}

/// Regression (issue 10): a directory or a non-UTF-8 file as the scenario said "not a
/// built-in"; a 50 MB TOML file took 4.6 GB and 31 s before its error.
#[test]
fn regression_scenario_files_that_cannot_be_scenarios_say_why() {
    let dir = scratch("bad-scenario-files");
    std::fs::create_dir(dir.join("adir")).unwrap();
    std::fs::write(dir.join("latin1.toml"), b"name = \"caf\xe9\"\n").unwrap();
    std::fs::write(dir.join("huge.toml"), "x = 1\n".repeat(400_000)).unwrap();
    let cases = [
        ("adir", "it is a directory"),
        ("latin1.toml", "not UTF-8"),
        ("huge.toml", "larger than 1 MiB"),
    ];
    for (file, why) in cases {
        let o = swarmlb_in(&dir, &["run", file]);
        assert_fails(&o, 1, why);
        assert!(!crate::stderr(&o).contains("not a built-in"), "{file}");
    }
}

#[test]
fn an_empty_scenario_or_a_fault_after_the_end_gives_a_warning() {
    let dir = scratch("scenario-warnings");
    std::fs::write(dir.join("empty.toml"), "").unwrap();
    std::fs::write(
        dir.join("late.toml"),
        "duration = \"1m\"\n[[crashes]]\nat = \"2h\"\nservers = [1]\n[[partitions]]\nat = \"1m\"\nduration = \"1s\"\nservers = [0]\n",
    )
    .unwrap();
    let o = swarmlb_in(&dir, &["run", "empty.toml", "--duration", "1s"]);
    assert!(o.status.success());
    assert!(crate::stderr(&o).contains("warning: scenario file \"empty.toml\" is empty"));
    let o = swarmlb_in(&dir, &["run", "late.toml"]);
    assert!(o.status.success());
    let err = crate::stderr(&o);
    assert!(
        err.contains("warning: crashes[0] at 2h is at or after the end"),
        "{err}"
    );
    assert!(err.contains("warning: partitions[0] at 1m"), "{err}");
}

/// Regression (issue 10): a 5 MiB description made a header over the reader's 4 MiB
/// limit: `run` exited 0 and `verify` 3. Now the run is refused before it starts.
#[test]
fn regression_run_refuses_a_scenario_its_trace_readers_would_refuse() {
    let dir = scratch("big-header");
    std::fs::write(
        dir.join("long.toml"),
        format!("description = \"{}\"\n", "x".repeat(900_000)),
    )
    .unwrap();
    let o = swarmlb_in(&dir, &["run", "long.toml", "--trace", "t.swlb"]);
    assert_fails(&o, 1, "long.toml:1: invalid value for `description`");
    assert!(crate::stdout(&o).is_empty(), "nothing ran");
    assert!(!dir.join("t.swlb").exists() && !dir.join("t.swlb.partial").exists());
}

/// Regression (issue 10): an output that cannot be written failed after the simulation.
#[test]
fn regression_unwritable_outputs_fail_before_the_simulation() {
    let dir = scratch("unwritable");
    std::fs::create_dir(dir.join("adir")).unwrap();
    for args in [
        vec!["run", "--trace", "adir"],
        vec!["run", "--trace", "missing/t.swlb"],
        vec!["run", "--metrics", "adir"],
        vec!["run", "--metrics", "missing/m.csv"],
    ] {
        let o = swarmlb_in(&dir, &args);
        assert_fails(
            &o,
            1,
            if args[2] == "adir" {
                "is a directory"
            } else {
                "No such file"
            },
        );
        let err = crate::stderr(&o);
        assert!(!err.contains("events in"), "{args:?} ran first: {err}");
        assert_eq!(
            err.matches("os error").count().max(1),
            1,
            "{args:?}: OS error once: {err}"
        );
    }
}

/// A corruption campaign through the binary: random flips, overwrites, cuts and deletions,
/// each read by one of the trace commands in turn. Every one exits 3 and names a byte
/// offset; none panics or aborts. (The trace crate's tests run thousands more in process.)
#[test]
fn a_corruption_campaign_always_exits_3_with_an_offset() {
    let dir = scratch("campaign");
    let good = std::fs::read(crate::repo().join("traces/golden/seed-classic.swlb")).unwrap();
    let mut state = 7u64;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as usize
    };
    let commands = ["verify", "replay", "stats", "log", "diff"];
    for i in 0..150 {
        let mut b = good.clone();
        match i % 4 {
            0 => {
                let at = next(b.len());
                b[at] ^= 1 << next(8);
            }
            1 => {
                let at = next(b.len() - 8);
                for byte in &mut b[at..at + 8] {
                    *byte = next(256) as u8;
                }
            }
            2 => b.truncate(next(b.len())),
            _ => {
                let at = next(b.len() - 32);
                b.drain(at..at + 1 + next(31));
            }
        }
        if b == good {
            continue;
        }
        std::fs::write(dir.join("edited.swlb"), &b).unwrap();
        let command = commands[i % commands.len()];
        let mut args = vec![command, "edited.swlb"];
        let golden = crate::repo().join("traces/golden/seed-classic.swlb");
        if command == "diff" {
            args.insert(1, golden.to_str().unwrap());
        }
        let o = swarmlb_in(&dir, &args);
        let err = crate::stderr(&o);
        assert_eq!(o.status.code(), Some(3), "edit {i}, {command}: {err}");
        assert!(err.contains("offset"), "edit {i}, {command}: {err}");
        assert!(!err.contains("panicked"), "edit {i}: {err}");
    }
}

/// Regression (issue 10 review): `diff --interval 0` never ended and `1us` took 2.8 GB on
/// two 27 KB traces; a scenario's `sample_interval = "1us"` did the same to every reader.
#[test]
fn regression_sample_intervals_are_bounded() {
    let g = crate::repo().join("traces/golden/butterfly");
    let (a, b) = (g.join("baseline.swlb"), g.join("perturbed.swlb"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    for interval in ["0", "1us", "999us"] {
        let o = swarmlb(&["diff", a, b, "--interval", interval]);
        assert_fails(&o, 2, "shortest sample interval, 1ms");
    }
    assert!(
        swarmlb(&["diff", a, b, "--interval", "1ms"])
            .status
            .success()
    );
    let o = swarmlb(&["run", "--set", "sample_interval=1us", "--duration", "1s"]);
    assert_fails(&o, 1, "shortest sample interval, 1ms");
    let o = swarmlb(&["run", "--set", "sample_interval=1ms", "--duration", "2h"]);
    assert_fails(&o, 1, "at most 1,000,000");
    // --duration enters the same relation after the file is read.
    let dir = scratch("long-duration");
    let o = swarmlb_in(
        &dir,
        &["run", "--duration", "366d", "--trace", "never.swlb"],
    );
    assert_fails(
        &o,
        1,
        "--duration 366d: invalid value for `sample_interval`",
    );
}

/// Regression (issue 10 review): outputs were written in place, so a failure left a
/// broken file under the final name (or replaced one that was there).
#[test]
fn regression_a_failed_command_leaves_existing_outputs_as_they_were() {
    let dir = scratch("keep-outputs");
    let good = std::fs::read(crate::repo().join("traces/golden/seed-classic.swlb")).unwrap();
    std::fs::write(dir.join("cut.swlb"), &good[..good.len() / 2]).unwrap();
    std::fs::write(dir.join("keep.png"), b"precious").unwrap();
    std::fs::write(dir.join("keep.csv"), b"precious").unwrap();
    std::fs::write(dir.join("keep.json"), b"precious").unwrap();
    let golden = crate::repo().join("traces/golden/seed-classic.swlb");
    for args in [
        vec!["plot", "cut.swlb", "-o", "keep.png"],
        vec![
            "export",
            "cut.swlb",
            "--format",
            "chrome",
            "-o",
            "keep.json",
        ],
        vec!["export", "cut.swlb", "--format", "jsonl", "-o", "keep.json"],
        vec![
            "diff",
            golden.to_str().unwrap(),
            "cut.swlb",
            "--csv",
            "keep.csv",
        ],
    ] {
        let o = swarmlb_in(&dir, &args);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", crate::stderr(&o));
    }
    assert_eq!(std::fs::read(dir.join("keep.png")).unwrap(), b"precious");
    assert_eq!(std::fs::read(dir.join("keep.csv")).unwrap(), b"precious");
    assert_eq!(std::fs::read(dir.join("keep.json")).unwrap(), b"precious");
    // The damaged export's prefix stays beside it, under its `.partial` name.
    std::fs::remove_file(dir.join("keep.json.partial")).unwrap();
    // A successful plot replaces it whole, and leaves no partial file behind.
    let o = swarmlb_in(&dir, &["plot", golden.to_str().unwrap(), "-o", "keep.png"]);
    assert!(o.status.success(), "{}", crate::stderr(&o));
    assert!(
        std::fs::read(dir.join("keep.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}
