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
        1,
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
