//! End-to-end tests of the `swarmlb` binary: output snapshots, exit codes, bad input,
//! golden traces, interruption.

mod bad_input;
mod bench;
mod butterfly;
mod experiments;
mod export;
mod golden;
mod hardening;
mod interrupt;
mod options;
mod plans;
mod reference;
mod run;
mod tidy;
mod traces;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The arguments that make the golden butterfly traces (also in traces/README.md), minus
/// `--out DIR`.
pub const GOLDEN_BUTTERFLY: [&str; 10] = [
    "butterfly",
    "seed-classic",
    "--seed",
    "1",
    "--duration",
    "1m",
    "--at",
    "20s",
    "--user",
    "38",
];

/// The arguments of the golden butterfly run writing to `out`.
pub fn golden_butterfly(out: &str) -> Vec<&str> {
    let mut args = GOLDEN_BUTTERFLY.to_vec();
    args.extend(["--out", out]);
    args
}

/// The repository root (golden traces and scenarios live there).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Run `swarmlb args` in `dir`.
pub fn swarmlb_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swarmlb"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// Run `swarmlb args` at the repository root.
pub fn swarmlb(args: &[&str]) -> Output {
    swarmlb_in(&repo(), args)
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh scratch directory under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Assert a clean failure: the given exit code, a message, and no panic.
pub fn assert_fails(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
}

/// Assert that every row of a CSV has as many fields as its header.
pub fn assert_uniform_csv(text: &str) {
    let mut lines = text.lines();
    let header = lines.next().expect("a header").split(',').count();
    for (i, line) in lines.enumerate() {
        assert_eq!(
            line.split(',').count(),
            header,
            "line {} has another number of fields than the header ({header}): {line}",
            i + 2
        );
    }
}

/// Width, height and number of distinct colours of a PNG.
pub fn png_info(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes_per_pixel = info.color_type.samples();
    let colours: std::collections::BTreeSet<&[u8]> = buf[..info.buffer_size()]
        .chunks_exact(bytes_per_pixel)
        .collect();
    (info.width, info.height, colours.len())
}
