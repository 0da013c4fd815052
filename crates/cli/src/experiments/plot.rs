//! `swarmlb plot`: time series of a run from its metrics CSV or its trace.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use swarmlb_engine::SimTime;
use swarmlb_model::metrics::load_stats;
use swarmlb_trace::fold::{Cursor, Item};
use swarmlb_trace::{State, TraceReader};

use super::chart;

/// Plot servers alive, users connected, load CoV (and per-server loads from a trace).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  swarmlb plot m.csv -o m.png          # from `swarmlb run --metrics m.csv`\n  swarmlb plot run.swlb -o run.svg     # from a trace: adds a per-server load strip"
)]
pub struct PlotArgs {
    /// A metrics CSV (from `swarmlb run --metrics`) or a trace.
    input: PathBuf,
    /// The picture to write: .png or .svg.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

struct Series {
    times: Vec<f64>,
    alive: Vec<f64>,
    connected: Vec<f64>,
    cov: Vec<f64>,
    strip: Option<Vec<Vec<f64>>>,
}

fn from_csv(text: &str) -> anyhow::Result<Series> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("empty CSV")?.split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .with_context(|| format!("the CSV has no `{name}` column"))
    };
    let (t, a, u, c) = (
        col("time_s")?,
        col("servers_alive")?,
        col("users_connected")?,
        col("load_cov")?,
    );
    let mut s = Series {
        times: vec![],
        alive: vec![],
        connected: vec![],
        cov: vec![],
        strip: None,
    };
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let num = |k: usize| -> anyhow::Result<f64> {
            f.get(k)
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("line {}: not a number in column {}", i + 2, header[k]))
        };
        s.times.push(num(t)?);
        s.alive.push(num(a)?);
        s.connected.push(num(u)?);
        s.cov.push(num(c)?);
    }
    Ok(s)
}

fn from_trace(reader: TraceReader<std::io::BufReader<std::fs::File>>) -> anyhow::Result<Series> {
    let scenario = reader.scenario()?;
    let capacity = f64::from(scenario.servers.capacity.max(1));
    let interval = scenario.sample_interval.us().max(1);
    let mut state = State::new(reader.layout());
    let mut cursor = Cursor::new(reader);
    let mut s = Series {
        times: vec![],
        alive: vec![],
        connected: vec![],
        cov: vec![],
        strip: Some(vec![]),
    };
    let mut loads_over_time: Vec<Vec<f64>> = Vec::new();
    let mut t = SimTime::ZERO;
    loop {
        cursor.fold_until(&mut state, t)?;
        let o = &state.observed;
        let running = o.running_loads();
        let (_, _, cov, _) = load_stats(&running);
        s.times.push(t.as_secs_f64());
        s.alive.push(running.len() as f64);
        s.connected.push(f64::from(o.users_connected()));
        s.cov.push(cov);
        loads_over_time.push(o.loads().map(|l| f64::from(l) / capacity).collect());
        if matches!(cursor.peek()?, None | Some(Item::Footer(_))) {
            break;
        }
        t = t.plus(interval);
    }
    // Rows: servers that ever ran; columns: samples.
    let n = loads_over_time.first().map_or(0, Vec::len);
    let used: Vec<usize> = (0..n)
        .filter(|&i| loads_over_time.iter().any(|l| l[i] > 0.0))
        .collect();
    s.strip = Some(
        used.iter()
            .map(|&i| loads_over_time.iter().map(|l| l[i]).collect())
            .collect(),
    );
    Ok(s)
}

pub fn plot(args: PlotArgs) -> anyhow::Result<()> {
    // Sniff the magic bytes only: a trace is read streaming, never whole.
    let mut magic = [0u8; 8];
    let n = std::fs::File::open(&args.input)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut magic))
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let series = if magic[..n] == swarmlb_trace::format::MAGIC {
        from_trace(TraceReader::open(&args.input)?)?
    } else {
        let bytes = std::fs::read(&args.input)
            .with_context(|| format!("cannot read {}", args.input.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{}: neither a trace nor a CSV", args.input.display()))?;
        from_csv(&text).with_context(|| format!("{}", args.input.display()))?
    };
    if series.times.is_empty() {
        bail!("{}: no samples to plot", args.input.display());
    }
    let panels = vec![
        ("servers alive".to_string(), series.alive),
        ("users connected".to_string(), series.connected),
        ("load coefficient of variation".to_string(), series.cov),
    ];
    let title = format!("{}", args.input.display());
    chart::time_series(
        &args.output,
        &title,
        &series.times,
        &panels,
        series.strip.as_deref(),
    )?;
    println!("wrote {}", args.output.display());
    Ok(())
}
