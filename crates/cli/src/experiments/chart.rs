//! Pictures with plotters: a heatmap, grouped bars, and stacked time series. Each takes
//! an output path and draws PNG or SVG by its extension.

use std::path::Path;

use anyhow::{anyhow, bail};
use plotters::prelude::*;

/// Draw with `$body` (using `$root`) on a PNG or SVG area chosen by the file extension.
/// A macro rather than a function because plotters' backends are distinct types.
macro_rules! draw_to {
    ($path:expr, $size:expr, |$root:ident| $body:block) => {{
        let path: &Path = $path;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "png" => {
                let $root = BitMapBackend::new(path, $size).into_drawing_area();
                let r: anyhow::Result<()> = $body;
                r?;
                $root
                    .present()
                    .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
            }
            "svg" => {
                let $root = SVGBackend::new(path, $size).into_drawing_area();
                let r: anyhow::Result<()> = $body;
                r?;
                $root
                    .present()
                    .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
            }
            other => bail!(
                "{}: unknown picture format {other:?}; use .png or .svg",
                path.display()
            ),
        }
    }};
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// Colour of a value in 0..=1: dark blue to yellow to red.
fn heat(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    if v < 0.5 {
        let t = v * 2.0;
        RGBColor(
            (30.0 + 200.0 * t) as u8,
            (40.0 + 180.0 * t) as u8,
            (120.0 - 60.0 * t) as u8,
        )
    } else {
        let t = (v - 0.5) * 2.0;
        RGBColor(230, (220.0 - 180.0 * t) as u8, (60.0 - 30.0 * t) as u8)
    }
}

/// A heatmap of `values[y][x]` in 0..=1 with labelled axes and the value in each cell.
pub fn heatmap(
    path: &Path,
    title: &str,
    x_label: &str,
    x: &[String],
    y_label: &str,
    y: &[String],
    values: &[Vec<f64>],
) -> anyhow::Result<()> {
    draw_to!(path, (900, 640), |root| {
        root.fill(&WHITE).map_err(err)?;
        let (nx, ny) = (x.len() as f64, y.len() as f64);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..nx, 0.0..ny)
            .map_err(err)?;
        // Labels sit at cell centres: ask for a tick every half cell and name the centres.
        let centre = |v: f64, names: &[String]| {
            let i = v.floor() as usize;
            if (v - i as f64 - 0.5).abs() < 0.01 {
                names.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(x.len() * 2 + 1)
            .y_labels(y.len() * 2 + 1)
            .x_label_formatter(&|v| centre(*v, x))
            .y_label_formatter(&|v| centre(*v, y))
            .draw()
            .map_err(err)?;
        for (j, row) in values.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                let (i, j) = (i as f64, j as f64);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(i, j), (i + 1.0, j + 1.0)],
                        heat(v).filled(),
                    )))
                    .map_err(err)?;
                let text_color = if v < 0.35 { WHITE } else { BLACK };
                let label = Text::new(
                    format!("{v:.2}"),
                    (i + 0.42, j + 0.55),
                    ("sans-serif", 18).into_font().color(&text_color),
                );
                chart.draw_series(std::iter::once(label)).map_err(err)?;
            }
        }
        Ok(())
    })
}

/// Bars: one group per category, one bar per series, each series scaled to its own max
/// (the legend gives the max), so metrics of different units share one picture.
pub fn grouped_bars(
    path: &Path,
    title: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> anyhow::Result<()> {
    const COLORS: [RGBColor; 6] = [
        RGBColor(70, 130, 200),
        RGBColor(230, 140, 40),
        RGBColor(80, 170, 90),
        RGBColor(200, 70, 70),
        RGBColor(140, 100, 190),
        RGBColor(120, 120, 120),
    ];
    draw_to!(path, (1000, 560), |root| {
        root.fill(&WHITE).map_err(err)?;
        let n = series.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..categories.len() as f64, 0.0..1.1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("relative to the largest value")
            .x_labels(categories.len() * 2 + 1)
            .x_label_formatter(&|v| {
                let i = v.floor() as usize;
                if (v - i as f64 - 0.5).abs() < 0.26 {
                    categories.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(err)?;
        for (k, (name, values)) in series.iter().enumerate() {
            let max = values.iter().cloned().fold(0.0_f64, f64::max);
            let color = COLORS[k % COLORS.len()];
            let width = 0.8 / n as f64;
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    let x0 = i as f64 + 0.1 + k as f64 * width;
                    let h = if max > 0.0 { v / max } else { 0.0 };
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.9, h)], color.filled())
                }))
                .map_err(err)?
                .label(format!("{name} (max {max:.3})"))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        Ok(())
    })
}

/// Stacked time series (one panel each) and an optional heat strip of per-server loads
/// (`strip[server][sample]` in 0..=1).
pub fn time_series(
    path: &Path,
    title: &str,
    times: &[f64],
    panels: &[(String, Vec<f64>)],
    strip: Option<&[Vec<f64>]>,
) -> anyhow::Result<()> {
    let rows = panels.len() + usize::from(strip.is_some());
    draw_to!(path, (1100, 220 * rows as u32 + 40), |root| {
        root.fill(&WHITE).map_err(err)?;
        let (top, rest) = root.split_vertically(40);
        top.titled(title, ("sans-serif", 22)).map_err(err)?;
        let areas = rest.split_evenly((rows, 1));
        let t_max = times.last().copied().unwrap_or(1.0).max(1e-9);
        for ((name, values), area) in panels.iter().zip(&areas) {
            let y_max = values.iter().cloned().fold(0.0_f64, f64::max).max(1e-9) * 1.1;
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .caption(name, ("sans-serif", 16))
                .build_cartesian_2d(0.0..t_max, 0.0..y_max)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("simulated seconds")
                .draw()
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    times.iter().cloned().zip(values.iter().cloned()),
                    &BLUE,
                ))
                .map_err(err)?;
        }
        if let (Some(strip), Some(area)) = (strip, areas.last()) {
            let n = strip.len().max(1);
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .caption(
                    "load per server (utilization, one row per server)",
                    ("sans-serif", 16),
                )
                .build_cartesian_2d(0..times.len(), 0..n)
                .map_err(err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("sample")
                .y_desc("server")
                .draw()
                .map_err(err)?;
            for (s, row) in strip.iter().enumerate() {
                chart
                    .draw_series(
                        row.iter().enumerate().map(|(i, &v)| {
                            Rectangle::new([(i, s), (i + 1, s + 1)], heat(v).filled())
                        }),
                    )
                    .map_err(err)?;
            }
        }
        Ok(())
    })
}
