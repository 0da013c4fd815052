//! Issue 23, end to end: the repro files (built with the format's own writer) give exit 3
//! or a clean refusal within seconds under a memory cap; parquet exports exit 3 on damage
//! and never mix two exports' tables; every command exits 130 on a signal; `verify`
//! prints and checks the file's digest; a FIFO is refused as a scenario.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use swarmlb_engine::SimTime;
use swarmlb_trace::format::Ending;

use crate::{assert_fails, scratch, stderr, stdout, swarmlb_in};

/// Run `swarmlb args` in `dir` with at most 2 GB of address space, and the time it took.
fn capped(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let mut line = String::from("ulimit -v 2000000; exec \"$0\"");
    for i in 0..args.len() {
        line.push_str(&format!(" \"${}\"", i + 1));
    }
    let o = Command::new("bash")
        .arg("-c")
        .arg(line)
        .arg(env!("CARGO_BIN_EXE_swarmlb"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (o, started.elapsed())
}

/// A five-minute run in `dir/a.swlb`, and its events and header.
fn five_minutes(dir: &Path) -> (Vec<swarmlb_model::Event>, swarmlb_trace::Header) {
    let o = swarmlb_in(
        dir,
        &[
            "run",
            "seed-classic",
            "--duration",
            "5m",
            "--trace",
            "a.swlb",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let reader = swarmlb_trace::TraceReader::open(&dir.join("a.swlb")).unwrap();
    let header = reader.header().clone();
    let mut cursor = swarmlb_trace::fold::Cursor::new(reader);
    let mut events = vec![];
    while let Some(e) = cursor.next_event().unwrap() {
        events.push(e);
    }
    (events, header)
}

fn write(dir: &Path, name: &str, header: &swarmlb_trace::Header, events: &[swarmlb_model::Event]) {
    let bytes = swarmlb_trace::write::events_to_vec(header, events, Ending::Complete).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Regression (issue 23): the five-minute trace plus one event at 2^62 µs (hashes
/// honest) passed verify, and diff grew ~20 MB/s for ever; a Butterfly record naming a
/// user slot past the header's users made diff panic (exit 101). Every reader now exits 3
/// with the file and offset, quickly, under a 2 GB cap.
#[test]
fn regression_23_the_repro_traces_exit_3_in_every_reader_quickly() {
    let dir = scratch("hardening-repros");
    let (events, header) = five_minutes(&dir);
    let mut late = events.clone();
    let mut last = *late.last().unwrap();
    last.time = SimTime(1 << 62);
    late.push(last);
    write(&dir, "late.swlb", &header, &late);
    let mut slot = events.clone();
    let mut bf = slot[slot.len() / 2];
    bf.kind = swarmlb_model::Kind::Butterfly;
    bf.value = header.n_users;
    slot.insert(slot.len() / 2 + 1, bf);
    write(&dir, "slot.swlb", &header, &slot);
    for bad in ["late.swlb", "slot.swlb"] {
        for args in [
            vec!["verify", bad],
            vec!["stats", bad],
            vec!["log", bad],
            vec!["replay", bad],
            vec!["diff", "a.swlb", bad],
            vec!["diff", bad, "a.swlb"],
            vec!["why", "a.swlb", bad],
            vec!["export", bad, "--format", "jsonl", "-o", "out.jsonl"],
            vec!["export", bad, "--format", "parquet", "-o", "tables"],
        ] {
            let (o, took) = capped(&dir, &args);
            assert_fails(&o, 3, &format!("{bad}: corrupt trace at byte offset"));
            assert!(took < Duration::from_secs(30), "{args:?} took {took:?}");
        }
    }
}

/// Regression (issue 23): `export --format parquet` exited 1 on damage past the header,
/// and a failed export into an existing folder left the old tables beside new `.partial`
/// files. Damage is exit 3 and leaves the old folder exactly as it was; a good export
/// replaces it whole.
#[test]
fn regression_23_parquet_export_exits_3_on_damage_and_never_mixes_tables() {
    let dir = scratch("hardening-parquet");
    five_minutes(&dir);
    let o = swarmlb_in(
        &dir,
        &["export", "a.swlb", "--format", "parquet", "-o", "t"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let tables = |d: &str| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(d))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let old = tables("t");
    assert_eq!(old.len(), 4);
    // Damage past the header: a byte flipped near the end.
    let mut bytes = std::fs::read(dir.join("a.swlb")).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x40;
    std::fs::write(dir.join("bad.swlb"), &bytes).unwrap();
    let o = swarmlb_in(
        &dir,
        &["export", "bad.swlb", "--format", "parquet", "-o", "t"],
    );
    assert_fails(&o, 3, "bad.swlb: corrupt trace at byte offset");
    assert_eq!(tables("t"), old, "the old tables, exactly");
    // A shorter run's export replaces the folder whole.
    let o = swarmlb_in(
        &dir,
        &[
            "run",
            "seed-classic",
            "--duration",
            "1m",
            "--trace",
            "b.swlb",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = swarmlb_in(
        &dir,
        &["export", "b.swlb", "--format", "parquet", "-o", "t/"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = swarmlb_in(
        &dir,
        &["export", "b.swlb", "--format", "parquet", "-o", "u"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let new = tables("t");
    assert_eq!(new, tables("u"), "only the new export's tables");
    assert_ne!(new, old);
    assert!(!dir.join("t.partial").exists() && !dir.join("t.old").exists());
    // A folder holding anything else is refused, and kept.
    std::fs::write(dir.join("t/notes.txt"), "mine").unwrap();
    let o = swarmlb_in(
        &dir,
        &["export", "b.swlb", "--format", "parquet", "-o", "t"],
    );
    assert_fails(&o, 1, "notes.txt, which is not an exported table");
    assert!(dir.join("t/notes.txt").exists());
}

/// Start `swarmlb args` in `dir`, wait until it blocks, send `signal`, and return how it
/// ended.
fn signalled(dir: &Path, args: &[&str], signal: &str) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_swarmlb"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the handler to be installed: the command is blocked opening a FIFO.
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

/// Regression (issue 23): export and diff killed by SIGTERM exited 143 (runs exit 130).
/// Every command ends with 130 on SIGINT or SIGTERM, here while it waits on a FIFO.
#[test]
fn regression_23_every_command_exits_130_on_sigint_and_sigterm() {
    let dir = scratch("hardening-signals");
    let fifo = dir.join("fifo.swlb");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for args in [
        vec!["verify", "fifo.swlb"],
        vec!["export", "fifo.swlb", "--format", "jsonl"],
        vec!["export", "fifo.swlb", "--format", "parquet", "-o", "t"],
        vec!["diff", "fifo.swlb", "fifo.swlb"],
        vec!["why", "fifo.swlb", "fifo.swlb"],
        vec!["log", "fifo.swlb"],
    ] {
        for signal in ["INT", "TERM"] {
            let o = signalled(&dir, &args, signal);
            assert_eq!(
                o.status.code(),
                Some(130),
                "{args:?} {signal}: {}",
                stderr(&o)
            );
            assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
        }
    }
}

/// Regression (issue 23): a FIFO as the scenario path blocked for ever; it is refused at
/// once, naming what it is.
#[test]
fn regression_23_a_fifo_is_refused_as_a_scenario() {
    let dir = scratch("hardening-fifo-scenario");
    let made = Command::new("mkfifo")
        .arg(dir.join("s.toml"))
        .status()
        .unwrap();
    assert!(made.success());
    let (o, took) = capped(&dir, &["run", "s.toml"]);
    assert_fails(&o, 1, "not a regular file");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// Issue 23: `verify` prints the whole file's BLAKE3 digest, `--expect` checks it (exit 3
/// on another), and a header relabel that no event depends on passes every check but the
/// digest.
#[test]
fn verify_prints_the_digest_and_expect_checks_it() {
    let dir = scratch("hardening-digest");
    let (events, header) = five_minutes(&dir);
    let bytes = std::fs::read(dir.join("a.swlb")).unwrap();
    let digest = blake3::hash(&bytes).to_hex().to_string();
    let o = swarmlb_in(&dir, &["verify", "a.swlb"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("blake3: {digest}\n")),
        "{}",
        stdout(&o)
    );
    let o = swarmlb_in(
        &dir,
        &["verify", "a.swlb", "--expect", &digest.to_uppercase()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Capacity 50 relabelled 51: the events, checksums and hashes all stay honest.
    let mut relabelled = header.clone();
    let mut scenario = swarmlb_model::Scenario::parse(&header.scenario_toml, "h", &[]).unwrap();
    scenario.servers.capacity += 1;
    relabelled.scenario_toml = scenario.to_toml();
    write(&dir, "relabelled.swlb", &relabelled, &events);
    let o = swarmlb_in(&dir, &["verify", "relabelled.swlb"]);
    assert!(
        o.status.success(),
        "verify cannot see a relabel: {}",
        stderr(&o)
    );
    let o = swarmlb_in(&dir, &["verify", "relabelled.swlb", "--expect", &digest]);
    assert_fails(&o, 3, "is not the expected");
    let o = swarmlb_in(&dir, &["verify", "a.swlb", "--expect", "abc"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
