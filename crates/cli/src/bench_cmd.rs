//! `swarmlb bench`: run the benchmark workloads, print the table or JSON, and optionally
//! rewrite the table in BENCHMARKS.md.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use swarmlb_cli::bench::{self, Plan};

const START: &str = "<!-- bench:start -->";
const END: &str = "<!-- bench:end -->";

/// Measure the engine, the model, and traces against baselines run in the same process.
#[derive(Args)]
#[command(
    after_help = "Always a release build: cargo build --release, then target/release/swarmlb bench.\n\n\
    Examples:\n  swarmlb bench --quick\n  swarmlb bench --json > bench.json\n  swarmlb bench --write BENCHMARKS.md"
)]
pub struct BenchArgs {
    /// Short runs (under a minute) instead of the full set (a couple of minutes).
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Rewrite the table between the bench markers of this Markdown file.
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Toy sizes, for tests: every workload and report key, meaningless figures.
    #[arg(long, hide = true, conflicts_with = "quick")]
    smoke: bool,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; figures are only meaningful with --release");
    }
    let plan = match (args.smoke, args.quick) {
        (true, _) => Plan::Smoke,
        (false, true) => Plan::Quick,
        (false, false) => Plan::Full,
    };
    // The table goes into an existing file: read it (and check it can be written) now,
    // not after minutes of measuring, and never replace a file that could not be read.
    let existing = match &args.write {
        Some(path) => {
            crate::record::check_writable(path)?;
            match std::fs::read_to_string(path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(String::new()),
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
            }
        }
        None => None,
    };
    let report = bench::run(plan, &mut |what| eprintln!("measuring {what}"));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.json())?);
    } else {
        print!("{}", report.table());
    }
    if let (Some(path), Some(text)) = (args.write, existing) {
        let block = format!("{START}\n{}{END}", report.table());
        let new = match (text.find(START), text.find(END)) {
            (Some(a), Some(b)) if a < b => {
                format!("{}{block}{}", &text[..a], &text[b + END.len()..])
            }
            _ => format!("{text}\n{block}\n"),
        };
        crate::record::write_whole(&path, new)?;
        eprintln!("table written to {}", path.display());
    }
    Ok(())
}
