//! Commands that read one trace: verify, replay, stats, log, export.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use swarmlb_engine::{AgentId, SimTime};
use swarmlb_export::files::ParquetDir;
use swarmlb_export::filter::parse_agent;
use swarmlb_export::{Filter, KindSet};
use swarmlb_model::{Agent, Event, Kind};
use swarmlb_trace::TraceReader;
use swarmlb_trace::fold::Cursor;
use swarmlb_trace::replay::Outcome;
use swarmlb_trace::text::Style;

use crate::CheckFailed;
use crate::progress::Progress;

/// Open a trace. Its errors name the file; a damaged one exits with 3 (see `exit`).
pub fn open(path: &Path) -> anyhow::Result<TraceReader<std::io::BufReader<std::fs::File>>> {
    Ok(TraceReader::open(path)?)
}

fn style_of<R: std::io::Read>(reader: &TraceReader<R>) -> anyhow::Result<Style> {
    let scenario = reader.scenario()?;
    Ok(Style {
        layout: reader.layout(),
        capacity: scenario.servers.capacity,
    })
}

/// Check a trace's integrity: checksums, block structure, time order, footer.
#[derive(Args)]
#[command(
    after_help = "Exit status 0 when the trace is intact, 3 with the byte offset and reason of the first problem.\n\n\
    Prints the BLAKE3 digest of the whole file, which a paper can cite: checksums and state \
    hashes catch accidental damage, but only the digest (or replay) catches a deliberate \
    edit whose checksums and hashes were recomputed, and only the digest catches a changed \
    header field that no event depends on. With --expect, a different digest exits with 3.\n\n\
    Example:\n  swarmlb verify run.swlb\n  swarmlb verify run.swlb --expect 3f1c...e0"
)]
pub struct VerifyArgs {
    /// The trace file.
    file: PathBuf,
    /// The BLAKE3 digest (64 hex digits) the whole file must have.
    #[arg(long, value_name = "DIGEST", value_parser = parse_digest)]
    expect: Option<String>,
}

fn parse_digest(text: &str) -> Result<String, String> {
    let text = text.trim().to_ascii_lowercase();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text)
    } else {
        Err(format!(
            "{text:?} is not a BLAKE3 digest (64 hex digits, as `verify` prints it)"
        ))
    }
}

/// A reader that hashes every byte read through it (BLAKE3), so `verify` digests the file
/// in the same pass that checks it.
struct Digesting<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: std::io::Read> std::io::Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.file)
        .map_err(|e| swarmlb_trace::TraceError::io(&args.file, e))?;
    let digesting = Digesting {
        inner: file,
        hasher: blake3::Hasher::new(),
    };
    let mut reader = TraceReader::new(
        std::io::BufReader::with_capacity(1 << 16, digesting),
        &args.file,
    )?;
    println!("verify: {}", args.file.display());
    match swarmlb_trace::verify::verify(&mut reader) {
        Ok(report) if report.footer.is_some() => {
            println!("{}", report.describe());
            // The reader stopped at the end of the file (it checks that nothing follows
            // the footer), so every byte went through the hasher.
            let digest = reader.into_inner().into_inner().hasher.finalize().to_hex();
            println!("blake3: {digest}");
            if let Some(expected) = &args.expect
                && expected.as_str() != digest.as_str()
            {
                return Err(CheckFailed(format!(
                    "{}: BLAKE3 digest {digest} is not the expected {expected}",
                    args.file.display()
                ))
                .into());
            }
            Ok(())
        }
        Ok(report) => Err(CheckFailed(format!(
            "{}: no footer after {} events",
            args.file.display(),
            report.events
        ))
        .into()),
        Err((report, e)) => {
            println!(
                "intact: {} events in {} blocks, up to t={}",
                report.events, report.blocks, report.end_time
            );
            Err(anyhow::Error::new(e))
        }
    }
}

/// Re-simulate a trace from its header and compare every event and checkpoint.
#[derive(Args)]
#[command(
    after_help = "Prints `replay identical: N events`, or the first mismatch and exits with status 3.\n\n\
    Example:\n  swarmlb replay run.swlb"
)]
pub struct ReplayArgs {
    /// The trace file.
    file: PathBuf,
}

pub fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let reader = open(&args.file)?;
    let scenario = reader.scenario()?;
    let mut bar = Progress::new(scenario.duration.us() / 1_000_000, "replaying");
    let outcome =
        swarmlb_trace::replay::replay(reader, &mut |t: SimTime| bar.set(t.as_micros() / 1_000_000));
    bar.finish();
    match outcome? {
        Outcome::Identical {
            events,
            checkpoints,
        } => {
            println!("replay identical: {events} events, {checkpoints} checkpoints");
            Ok(())
        }
        Outcome::Mismatch(m) => {
            println!("replay mismatch at event {} (t={})", m.index, m.time);
            println!("  expected: {}", m.expected);
            println!("  actual:   {}", m.actual);
            Err(CheckFailed(format!(
                "{}: replay differs from the recording at event {}",
                args.file.display(),
                m.index
            ))
            .into())
        }
    }
}

/// Count events by kind and by agent.
#[derive(Args)]
#[command(after_help = "Example:\n  swarmlb stats run.swlb")]
pub struct StatsArgs {
    /// The trace file.
    file: PathBuf,
    /// How many of the busiest agents to list.
    #[arg(long, default_value_t = 5)]
    top: usize,
}

pub fn stats(args: StatsArgs) -> anyhow::Result<()> {
    let reader = open(&args.file)?;
    let scenario = reader.scenario()?;
    let layout = reader.layout();
    println!("trace: {}", args.file.display());
    println!(
        "scenario: {} ({}), seed {}, by {}",
        scenario.name,
        scenario.policy.name(),
        reader.header().seed,
        reader.header().producer
    );
    let (counts, error) = swarmlb_trace::stats::count(reader);
    let (by_kind, by_agent, total) = (&counts.by_kind, &counts.by_agent, counts.total);
    println!(
        "events: {total}, simulated time {} .. {}",
        counts.first.unwrap_or(SimTime::ZERO),
        counts.last
    );
    println!("by kind:");
    let mut kinds: Vec<(Kind, u64)> = Kind::ALL
        .iter()
        .map(|&k| (k, by_kind[k as usize]))
        .filter(|&(_, n)| n > 0)
        .collect();
    kinds.sort_by_key(|&(k, n)| (std::cmp::Reverse(n), k));
    for (kind, n) in kinds {
        let share = 100.0 * n as f64 / total.max(1) as f64;
        println!(
            "  {:<9} {:<18} {n:>10} {share:>6.2}%",
            kind.category().name(),
            kind.name()
        );
    }
    let mut classes = [0u64; 5];
    for (id, n) in by_agent.iter().enumerate() {
        let class = match layout.agent(AgentId(id as u32)) {
            Agent::Server(_) => 0,
            Agent::User(_) => 1,
            Agent::Env => 2,
            Agent::Coordinator => 3,
            Agent::Perturber => 4,
        };
        classes[class] += n;
    }
    println!(
        "by agent class (handling): servers {}, users {}, environment {}, coordinator {}, perturbation {}",
        classes[0], classes[1], classes[2], classes[3], classes[4]
    );
    let mut busiest: Vec<(u64, usize)> = by_agent
        .iter()
        .enumerate()
        .map(|(i, &n)| (n, i))
        .filter(|&(n, _)| n > 0)
        .collect();
    busiest.sort_by_key(|&(n, i)| (std::cmp::Reverse(n), i));
    println!("busiest agents:");
    for (n, i) in busiest.into_iter().take(args.top) {
        println!(
            "  {:<8} {n:>10}",
            layout.agent(AgentId(i as u32)).to_string()
        );
    }
    error.map_or(Ok(()), |e| Err(anyhow::Error::new(e)))
}

/// Print one line per event, filtered.
#[derive(Args)]
#[command(
    after_help = "Line format (see traces/FORMAT.md):  t=12.003417s S4 -> U1203 ConnectAccept load=7/10\n\n\
    Examples:\n  swarmlb log run.swlb --kind ConnectDelegate\n  swarmlb log run.swlb --agent S4 --from 5m --to 6m\n  \
    swarmlb log run.swlb --kind TRANSFER | grep Migrated"
)]
pub struct LogArgs {
    /// The trace file.
    file: PathBuf,
    #[command(flatten)]
    filter: FilterArgs,
}

/// Which events to keep (`log` and every `export` format).
#[derive(Args, Clone, Debug, Default)]
pub struct FilterArgs {
    /// Only this kind (like ConnectAccept) or category (COMM, COLLAB, TRANSFER, NEGO, BUTTERFLY).
    #[arg(long)]
    kind: Option<String>,
    /// Only events whose source or target is this agent (S4, U12, E, C, P).
    #[arg(long)]
    agent: Option<String>,
    /// Only events at or after this time (like 90s or 5m).
    #[arg(long, value_parser = parse_time)]
    from: Option<SimTime>,
    /// Only events at or before this time.
    #[arg(long, value_parser = parse_time)]
    to: Option<SimTime>,
}

impl FilterArgs {
    /// The filter for a trace of `layout`. Every bad filter option is a usage error (exit
    /// 2, like a `--from` that does not parse): an unknown kind or agent lists what is
    /// accepted, and `--from` after `--to` is refused.
    fn resolve(&self, subcommand: &str, layout: swarmlb_model::Layout) -> Filter {
        let usage =
            |message: String| -> ! { crate::scenario_args::usage_error(subcommand, message) };
        let mut filter = Filter::default();
        if let Some(text) = &self.kind {
            filter.kinds = KindSet::parse(text).unwrap_or_else(|e| usage(format!("--kind: {e}")));
        }
        if let Some(text) = &self.agent {
            filter.agent =
                Some(parse_agent(layout, text).unwrap_or_else(|e| usage(format!("--agent: {e}"))));
        }
        filter.from = self.from.unwrap_or(SimTime::ZERO);
        filter.to = self.to.unwrap_or(SimTime::MAX);
        if filter.from > filter.to {
            usage(format!(
                "--from {} is after --to {}",
                filter.from, filter.to
            ));
        }
        filter
    }
}

fn parse_time(text: &str) -> Result<SimTime, String> {
    swarmlb_engine::parse_duration(text)
        .map(SimTime)
        .map_err(|e| e.to_string())
}

/// Write to stdout, treating a closed pipe (`| head`) as success.
fn ignore_broken_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Walk the events of `reader` that `keep` accepts, then report a damaged tail.
fn each_event<R: std::io::Read>(
    reader: TraceReader<R>,
    mut f: impl FnMut(u64, &Event) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut cursor = Cursor::new(reader);
    let mut index = 0;
    loop {
        match cursor.next_event() {
            Ok(Some(e)) => {
                if let Err(err) = f(index, &e) {
                    return ignore_broken_pipe(Err(err));
                }
                index += 1;
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(anyhow::Error::new(e)),
        }
    }
}

pub fn log(args: LogArgs) -> anyhow::Result<()> {
    let reader = open(&args.file)?;
    let style = style_of(&reader)?;
    let filter = args.filter.resolve("log", style.layout);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = each_event(reader, |_, e| {
        if filter.keeps(e) {
            writeln!(out, "{}", style.line(e))
        } else {
            Ok(())
        }
    });
    ignore_broken_pipe(out.flush())?;
    result
}

/// Export formats.
#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum Format {
    /// One JSON object per line per event.
    Jsonl,
    /// Chrome Trace Event JSON (opens in Perfetto or chrome://tracing), one track per server.
    Chrome,
    /// Parquet tables in the directory given by -o: events, servers (sampled), users (state
    /// changes), agents. Columns: traces/FORMAT.md, "Tables".
    Parquet,
}

/// Export a trace as JSON lines, Chrome Trace Event JSON or Parquet tables.
#[derive(Args)]
#[command(
    after_help = "The filters apply to every format. For parquet, --kind and --agent cut the events table and \
    the user changes (by the event that caused them); --agent also keeps only that server's samples; \
    --from/--to cut all three.\n\n\
    Examples:\n  swarmlb export run.swlb --format jsonl | jq .kind\n  \
    swarmlb export run.swlb --format chrome --from 10m --to 11m -o run.json   # open in ui.perfetto.dev\n  \
    swarmlb export run.swlb --format parquet -o run-tables/"
)]
pub struct ExportArgs {
    /// The trace file.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// Write here instead of stdout (a directory for parquet, where it is required).
    #[arg(short, long, value_name = "FILE|DIR")]
    output: Option<PathBuf>,
    #[command(flatten)]
    filter: FilterArgs,
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let reader = open(&args.file)?;
    let style = style_of(&reader)?;
    let filter = args.filter.resolve("export", style.layout);
    if let Format::Parquet = args.format {
        let Some(dir) = &args.output else {
            crate::scenario_args::usage_error(
                "export",
                "--format parquet writes a directory of tables: give it with -o DIR".into(),
            );
        };
        let mut sink = ParquetDir::create(dir)?;
        let counts = swarmlb_export::export_tables(reader, &filter, &mut sink)?;
        sink.finish()?;
        eprintln!(
            "export: {} ({} events of {}, {} server samples, {} user changes)",
            dir.display(),
            counts.events,
            counts.events_read,
            counts.servers,
            counts.users
        );
        return Ok(());
    }
    // A file output is written as `.partial` and renamed only when every event is out, so
    // a damaged trace, a full disk or a kill never leaves a broken file under its name.
    let mut file = match &args.output {
        Some(path) => Some(swarmlb_trace::write::PartialFile::create(path)?),
        None => None,
    };
    let mut out: Box<dyn Write + '_> = match file.as_mut() {
        Some(f) => Box::new(f),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let layout = style.layout;
    let result = match args.format {
        Format::Parquet => unreachable!("written above"),
        Format::Jsonl => each_event(reader, |i, e| {
            if !filter.keeps(e) {
                return Ok(());
            }
            let line = serde_json::json!({
                "index": i,
                "time_us": e.time.as_micros(),
                "source": style.agent(e.source),
                "target": style.agent(e.target),
                "kind": e.kind.name(),
                "category": e.kind.category().name(),
                "value": e.value,
                "text": style.value(e),
            });
            writeln!(out, "{line}")
        }),
        Format::Chrome => {
            // One "thread" per server (tid = index + 1), users on tid 0, the rest on
            // tid = max_servers + 1; server loads as counter tracks.
            let other = layout.max_servers + 1;
            let track = |e: &Event| match layout.agent(e.target) {
                Agent::Server(i) => i + 1,
                Agent::User(_) => match layout.agent(e.source) {
                    Agent::Server(i) => i + 1,
                    _ => 0,
                },
                _ => other,
            };
            let mut named = vec![false; other as usize + 1];
            let mut first = true;
            let mut emit =
                |out: &mut Box<dyn Write>, value: serde_json::Value| -> std::io::Result<()> {
                    let sep = if first { "" } else { ",\n" };
                    first = false;
                    write!(out, "{sep}{value}")
                };
            writeln!(out, "{{\"displayTimeUnit\":\"ms\",\"traceEvents\":[")?;
            each_event(reader, |_, e| {
                if !filter.keeps(e) {
                    return Ok(());
                }
                let tid = track(e);
                if !named[tid as usize] {
                    named[tid as usize] = true;
                    let name = match tid {
                        0 => "users".to_string(),
                        t if t == other => "environment".to_string(),
                        t => format!("S{}", t - 1),
                    };
                    emit(&mut out, serde_json::json!({"ph":"M","pid":1,"tid":tid,"name":"thread_name","args":{"name":name}}))?;
                }
                let ts = e.time.as_micros();
                emit(&mut out, serde_json::json!({
                    "ph":"i","s":"t","pid":1,"tid":tid,"ts":ts,
                    "name": e.kind.name(), "cat": e.kind.category().name(),
                    "args": {"source": style.agent(e.source), "target": style.agent(e.target), "value": style.value(e)}
                }))?;
                // A load sample wherever the fold moves a server's load (the same function).
                if let Some(load) = e.kind.fold().server_load(e.value)
                    && let Agent::Server(i) = layout.agent(e.target) {
                        emit(&mut out, serde_json::json!({"ph":"C","pid":1,"ts":ts,"name":format!("load S{i}"),"args":{"load":load}}))?;
                    }
                Ok(())
            })
            .and_then(|()| Ok(writeln!(out, "\n]}}")?))
        }
    };
    let flushed = ignore_broken_pipe(out.flush());
    drop(out);
    let written = result.and(flushed);
    match (file, &args.output) {
        (Some(file), Some(path)) => {
            written.with_context(|| format!("cannot write {}", path.display()))?;
            file.commit()?;
            Ok(())
        }
        _ => written,
    }
}
