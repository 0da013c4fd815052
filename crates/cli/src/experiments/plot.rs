//! `swarmlb plot`: time series of a run from its metrics CSV or its trace, or a metric
//! against a swept parameter from a sweep CSV, with 95% confidence bands.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use swarmlb_engine::SimTime;
use swarmlb_model::metrics::load_stats;
use swarmlb_trace::fold::{Cursor, Item};
use swarmlb_trace::{State, TraceReader};

use super::{chart, stats};

/// Plot a run (servers alive, users connected, load CoV, per-server loads from a trace),
/// or a sweep (a metric against a parameter, with confidence bands).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  swarmlb plot m.csv -o m.png          # from `swarmlb run --metrics m.csv`\n  \
    swarmlb plot run.swlb -o run.svg     # from a trace: adds a per-server load strip\n  \
    swarmlb plot sw/sweep.csv --x servers.capacity --y ttc_mean_ms --by servers.low_watermark -o ttc.png\n\n\
    From a sweep: each point is the mean over the seeds of its cell, the band and whiskers its 95% Student t \
    interval (repeated with fresh seeds, about 95% of such intervals would contain the true mean). Every \
    swept parameter other than --x and --by must have a single value."
)]
pub struct PlotArgs {
    /// A metrics CSV (from `swarmlb run --metrics`), a trace, or a sweep CSV (with --x, --y).
    input: PathBuf,
    /// The picture to write: .png or .svg.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// For a sweep CSV: the swept parameter on the x axis (numeric values).
    #[arg(long, value_name = "PARAM", requires = "y")]
    x: Option<String>,
    /// For a sweep CSV: the metric on the y axis (a column of sweep.csv, like ttc_mean_ms).
    #[arg(long, value_name = "METRIC", requires = "x")]
    y: Option<String>,
    /// For a sweep CSV: one line per value of this swept parameter.
    #[arg(long, value_name = "PARAM", requires = "x")]
    by: Option<String>,
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

/// Whether a CSV header is a sweep's (per-run rows with a seed and a state hash).
fn is_sweep_csv(text: &str) -> bool {
    let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').collect();
    header.contains(&"seed") && header.contains(&"state_hash")
}

/// The lines of a sweep plot: per value of `by` (or one line), the statistics of `y` at
/// each value of `x`, in x order.
pub fn sweep_bands(
    text: &str,
    x: &str,
    y: &str,
    by: Option<&str>,
) -> anyhow::Result<Vec<chart::Band>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("empty CSV")?.split(',').collect();
    let n_params = header
        .iter()
        .position(|h| *h == "seed")
        .context("no `seed` column")?;
    let params = &header[..n_params];
    let param = |name: &str, option: &str| {
        params.iter().position(|p| *p == name).with_context(|| {
            format!(
                "{option} {name}: not a swept parameter of this sweep (swept: {})",
                if params.is_empty() {
                    "none".to_string()
                } else {
                    params.join(", ")
                }
            )
        })
    };
    let x_col = param(x, "--x")?;
    let by_col = by.map(|b| param(b, "--by")).transpose()?;
    if by_col == Some(x_col) {
        bail!("--by {x} is the --x parameter; choose another");
    }
    let metrics = &header[n_params + 1..];
    let y_col = header
        .iter()
        .position(|h| *h == y)
        .filter(|&i| i > n_params && header[i] != "state_hash")
        .with_context(|| {
            format!(
                "--y {y}: not a metric of this sweep (metrics: {})",
                metrics.join(", ")
            )
        })?;
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for (i, r) in rows.iter().enumerate() {
        anyhow::ensure!(
            r.len() == header.len(),
            "line {}: {} fields, the header has {}",
            i + 2,
            r.len(),
            header.len()
        );
    }
    // Every other parameter must be fixed, or the points would average over it unsaid.
    for (i, p) in params.iter().enumerate() {
        if i == x_col || Some(i) == by_col {
            continue;
        }
        let mut values: Vec<&str> = rows.iter().map(|r| r[i]).collect();
        values.dedup();
        values.sort_unstable();
        values.dedup();
        if values.len() > 1 {
            bail!(
                "{p} takes {} values in this sweep ({}); plot them as lines with --by {p}, \
                 or sweep it on its own",
                values.len(),
                values.join(", ")
            );
        }
    }
    // Per line: its name and, per x value, the y values of the seeds.
    type Raw = (String, Vec<(f64, Vec<f64>)>);
    let mut series: Vec<Raw> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let xv: f64 = r[x_col].parse().map_err(|_| {
            anyhow::anyhow!(
                "line {}: --x {x} value {:?} is not a number",
                i + 2,
                r[x_col]
            )
        })?;
        let yv: f64 = r[y_col].parse().map_err(|_| {
            anyhow::anyhow!("line {}: {y} value {:?} is not a number", i + 2, r[y_col])
        })?;
        let name = by_col.map_or(String::new(), |b| format!("{}={}", header[b], r[b]));
        let idx = match series.iter().position(|(n, _)| *n == name) {
            Some(idx) => idx,
            None => {
                series.push((name, Vec::new()));
                series.len() - 1
            }
        };
        let points = &mut series[idx].1;
        match points.iter_mut().find(|(px, _)| *px == xv) {
            Some((_, values)) => values.push(yv),
            None => points.push((xv, vec![yv])),
        }
    }
    anyhow::ensure!(!series.is_empty(), "the sweep CSV has no rows");
    Ok(series
        .into_iter()
        .map(|(name, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let stats = points
                .into_iter()
                .map(|(x, values)| (x, stats::mean_ci(&values)))
                .collect();
            (name, stats)
        })
        .collect())
}

/// `swarmlb plot`.
pub fn plot(args: PlotArgs) -> anyhow::Result<()> {
    crate::record::check_writable(&args.output)?;
    // Sniff the magic bytes only: a trace is read streaming, never whole.
    let mut magic = [0u8; 8];
    let n = std::fs::File::open(&args.input)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut magic))
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let is_trace = magic[..n] == swarmlb_trace::format::MAGIC;
    // Anything but a trace is a CSV, small enough to read whole.
    let csv = if is_trace {
        None
    } else {
        Some(
            std::fs::read(&args.input)
                .with_context(|| format!("cannot read {}", args.input.display()))?,
        )
    };
    let text = csv.as_deref().and_then(|b| std::str::from_utf8(b).ok());
    let sweep = text.filter(|t| is_sweep_csv(t));
    match (sweep, &args.x, &args.y) {
        (Some(text), Some(x), Some(y)) => {
            let series = sweep_bands(text, x, y, args.by.as_deref())
                .with_context(|| format!("{}", args.input.display()))?;
            let n_max = series
                .iter()
                .flat_map(|(_, p)| p.iter().map(|s| s.1.n))
                .max();
            chart::bands(
                &args.output,
                &format!("{}: {y} against {x}", args.input.display()),
                x,
                &format!("{y} (mean over {} seeds, 95% interval)", n_max.unwrap_or(0)),
                &series,
            )?;
            println!("wrote {}", args.output.display());
            return Ok(());
        }
        (Some(_), _, _) => crate::scenario_args::usage_error(
            "plot",
            format!(
                "{} is a sweep CSV: say what to plot with --x PARAM --y METRIC [--by PARAM]",
                args.input.display()
            ),
        ),
        (None, Some(_), _) => crate::scenario_args::usage_error(
            "plot",
            format!(
                "--x, --y and --by plot a sweep CSV (from `swarmlb sweep`); {} is not one",
                args.input.display()
            ),
        ),
        (None, None, _) => {}
    }
    let series = if is_trace {
        from_trace(TraceReader::open(&args.input)?)?
    } else {
        let text = String::from_utf8(csv.unwrap_or_default())
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
