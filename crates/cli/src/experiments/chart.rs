//! Pictures with plotters: a heatmap, bar panels with error bars, lines with confidence
//! bands, and stacked time series. Each takes an output path and draws PNG or SVG by its
//! extension.

use std::path::Path;

use anyhow::{anyhow, bail};
use plotters::prelude::*;

use super::stats::MeanCi;

/// Draw with `$body` (using `$root`) on a PNG or SVG area chosen by the file extension.
/// A macro rather than a function because plotters' backends are distinct types. The
/// picture is drawn to `NAME.partial.EXT` and renamed when complete, so a failure (a full
/// disk) never leaves a broken picture under the final name.
macro_rules! draw_to {
    ($path:expr, $size:expr, |$root:ident| $body:block) => {{
        let path: &Path = $path;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("picture");
        let partial = path.with_file_name(format!("{stem}.partial.{ext}"));
        let cannot = |e: &dyn std::fmt::Display| anyhow!("cannot write {}: {e}", path.display());
        match ext.as_str() {
            "png" => {
                let $root = BitMapBackend::new(&partial, $size).into_drawing_area();
                let r: anyhow::Result<()> = $body;
                r?;
                $root.present().map_err(|e| cannot(&e))?;
            }
            "svg" => {
                let $root = SVGBackend::new(&partial, $size).into_drawing_area();
                let r: anyhow::Result<()> = $body;
                r?;
                $root.present().map_err(|e| cannot(&e))?;
            }
            other => bail!(
                "{}: unknown picture format {other:?}; use .png or .svg",
                path.display()
            ),
        }
        std::fs::rename(&partial, path).map_err(|e| cannot(&e))
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

/// A categorical axis: its label and the names of its cells in order.
#[derive(Clone, Copy)]
pub struct Axis<'a> {
    /// The axis label.
    pub label: &'a str,
    /// The cells' names.
    pub names: &'a [String],
}

/// A heatmap of `values[y][x]` in 0..=1 with labelled axes and `labels[y][x]` in each cell.
pub fn heatmap(
    path: &Path,
    title: &str,
    x_axis: Axis<'_>,
    y_axis: Axis<'_>,
    values: &[Vec<f64>],
    labels: &[Vec<String>],
) -> anyhow::Result<()> {
    let (x_label, x, y_label, y) = (x_axis.label, x_axis.names, y_axis.label, y_axis.names);
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
                let text = labels[j as usize][i as usize].clone();
                // Centred by estimate: about half a font size per character.
                let width = text.chars().count() as f64 * 8.0 / (800.0 / nx);
                let label = Text::new(
                    text,
                    (i + 0.5 - width / 2.0, j + 0.55),
                    ("sans-serif", 16).into_font().color(&text_color),
                );
                chart.draw_series(std::iter::once(label)).map_err(err)?;
            }
        }
        Ok(())
    })
}

/// One panel of [`bar_panels`]: a metric's mean and interval per category.
pub struct Panel {
    /// The metric.
    pub title: String,
    /// Its unit (empty for a pure number).
    pub unit: String,
    /// Per category; `None` where the metric does not apply.
    pub values: Vec<Option<MeanCi>>,
}

/// Whether values spanning `min..=max` read better on a log axis (all positive, spanning
/// more than two decades).
fn wants_log(min: f64, max: f64) -> bool {
    min > 0.0 && max / min > 100.0
}

/// One bar chart per panel, in a grid: bars are means in the metric's own unit, whiskers
/// the 95% interval; a panel whose values span more than two decades uses a log axis.
pub fn bar_panels(
    path: &Path,
    title: &str,
    categories: &[String],
    panels: &[Panel],
) -> anyhow::Result<()> {
    const COLUMNS: usize = 3;
    let rows = panels.len().div_ceil(COLUMNS).max(1);
    draw_to!(path, (1500, 300 * rows as u32 + 40), |root| {
        root.fill(&WHITE).map_err(err)?;
        let (top, rest) = root.split_vertically(40);
        top.titled(title, ("sans-serif", 20)).map_err(err)?;
        let areas = rest.split_evenly((rows, COLUMNS));
        let n = categories.len();
        for (panel, area) in panels.iter().zip(&areas) {
            let lows = panel
                .values
                .iter()
                .flatten()
                .map(|s| s.ci.map_or(s.mean, |c| c.0));
            let highs = panel
                .values
                .iter()
                .flatten()
                .map(|s| s.ci.map_or(s.mean, |c| c.1));
            let means = panel.values.iter().flatten().map(|s| s.mean);
            let min = means.clone().chain(lows).fold(f64::INFINITY, f64::min);
            let max = means.chain(highs).fold(f64::NEG_INFINITY, f64::max);
            let caption = if panel.unit.is_empty() {
                panel.title.clone()
            } else {
                format!("{} ({})", panel.title, panel.unit)
            };
            let x_names = |v: &f64| {
                let i = v.floor() as usize;
                if (v - i as f64 - 0.5).abs() < 0.26 {
                    categories.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            };
            // Bars, then whiskers, on either axis type.
            macro_rules! draw_bars {
                ($chart:ident, $floor:expr) => {{
                    for (i, s) in panel.values.iter().enumerate() {
                        let Some(s) = s else { continue };
                        let x = i as f64;
                        $chart
                            .draw_series(std::iter::once(Rectangle::new(
                                [(x + 0.2, $floor), (x + 0.8, s.mean)],
                                RGBColor(70, 130, 200).filled(),
                            )))
                            .map_err(err)?;
                        if let Some((lo, hi)) = s.ci {
                            $chart
                                .draw_series(std::iter::once(ErrorBar::new_vertical(
                                    x + 0.5,
                                    lo.max($floor),
                                    s.mean,
                                    hi,
                                    BLACK.stroke_width(2),
                                    12,
                                )))
                                .map_err(err)?;
                        }
                    }
                }};
            }
            if wants_log(min, max) {
                let (lo, hi) = (min / 2.0, max * 2.0);
                let mut chart = ChartBuilder::on(area)
                    .caption(format!("{caption}, log scale"), ("sans-serif", 15))
                    .margin(8)
                    .x_label_area_size(28)
                    .y_label_area_size(60)
                    .build_cartesian_2d(0.0..n as f64, (lo..hi).log_scale())
                    .map_err(err)?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(n * 2 + 1)
                    .x_label_formatter(&x_names)
                    .draw()
                    .map_err(err)?;
                draw_bars!(chart, lo);
            } else {
                let lo = min.min(0.0);
                let hi = if max > lo { max * 1.1 } else { lo + 1.0 };
                let hi = if hi <= 0.0 { 1.0 } else { hi };
                let mut chart = ChartBuilder::on(area)
                    .caption(caption, ("sans-serif", 15))
                    .margin(8)
                    .x_label_area_size(28)
                    .y_label_area_size(60)
                    .build_cartesian_2d(0.0..n as f64, lo..hi)
                    .map_err(err)?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(n * 2 + 1)
                    .x_label_formatter(&x_names)
                    .draw()
                    .map_err(err)?;
                draw_bars!(chart, 0.0_f64.max(lo));
            }
        }
        Ok(())
    })
}

/// One line of [`bands`]: a label and (x, statistics) points in x order.
pub type Band = (String, Vec<(f64, MeanCi)>);

/// Lines of means against x with their 95% intervals as shaded bands (and whiskers),
/// one line per series.
pub fn bands(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Band],
) -> anyhow::Result<()> {
    let points = || series.iter().flat_map(|(_, p)| p.iter());
    let x_min = points().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x_max = points().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let y_min = points()
        .map(|p| p.1.ci.map_or(p.1.mean, |c| c.0))
        .fold(f64::INFINITY, f64::min);
    let y_max = points()
        .map(|p| p.1.ci.map_or(p.1.mean, |c| c.1))
        .fold(f64::NEG_INFINITY, f64::max);
    if !x_min.is_finite() {
        bail!("nothing to plot");
    }
    let x_pad = if x_max > x_min {
        (x_max - x_min) * 0.05
    } else {
        1.0
    };
    let y_pad = if y_max > y_min {
        (y_max - y_min) * 0.1
    } else {
        y_max.abs().max(1.0) * 0.1
    };
    // A log axis when every mean is positive and they span more than two decades; then
    // interval ends below zero are drawn at the axis floor.
    let mean_min = points().map(|p| p.1.mean).fold(f64::INFINITY, f64::min);
    let mean_max = points().map(|p| p.1.mean).fold(f64::NEG_INFINITY, f64::max);
    let log = wants_log(mean_min, mean_max);
    let floor = if log {
        points()
            .map(|p| p.1.ci.map_or(p.1.mean, |c| c.0))
            .filter(|v| *v > 0.0)
            .fold(mean_min, f64::min)
            / 2.0
    } else {
        f64::NEG_INFINITY
    };
    let x_range = (x_min - x_pad)..(x_max + x_pad);
    // Bands, whiskers, lines and points, on either axis type.
    macro_rules! draw_lines {
        ($chart:ident) => {{
            $chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(if log {
                    format!("{y_label}, log scale")
                } else {
                    y_label.to_string()
                })
                .draw()
                .map_err(err)?;
            for (k, (name, pts)) in series.iter().enumerate() {
                let color = COLORS[k % COLORS.len()];
                let with_ci: Vec<(f64, f64, f64)> = pts
                    .iter()
                    .filter_map(|(x, s)| s.ci.map(|(lo, hi)| (*x, lo.max(floor), hi)))
                    .collect();
                if with_ci.len() >= 2 {
                    let band: Vec<(f64, f64)> = with_ci
                        .iter()
                        .map(|p| (p.0, p.2))
                        .chain(with_ci.iter().rev().map(|p| (p.0, p.1)))
                        .collect();
                    $chart
                        .draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))
                        .map_err(err)?;
                }
                $chart
                    .draw_series(with_ci.iter().map(|&(x, lo, hi)| {
                        let mean = pts.iter().find(|p| p.0 == x).map_or(lo, |p| p.1.mean);
                        ErrorBar::new_vertical(x, lo, mean, hi, color.stroke_width(1), 8)
                    }))
                    .map_err(err)?;
                $chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|(x, s)| (*x, s.mean)),
                        color.stroke_width(2),
                    ))
                    .map_err(err)?
                    .label(name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                    });
                $chart
                    .draw_series(
                        pts.iter()
                            .map(|(x, s)| Circle::new((*x, s.mean), 4, color.filled())),
                    )
                    .map_err(err)?;
            }
            if series.len() > 1 || !series[0].0.is_empty() {
                $chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()
                    .map_err(err)?;
            }
        }};
    }
    draw_to!(path, (1000, 620), |root| {
        root.fill(&WHITE).map_err(err)?;
        let builder = || {
            let mut b = ChartBuilder::on(&root);
            b.caption(title, ("sans-serif", 20))
                .margin(16)
                .x_label_area_size(45)
                .y_label_area_size(70);
            b
        };
        if log {
            let mut chart = builder()
                .build_cartesian_2d(x_range.clone(), (floor..y_max * 2.0).log_scale())
                .map_err(err)?;
            draw_lines!(chart);
        } else {
            let mut chart = builder()
                .build_cartesian_2d(x_range.clone(), (y_min - y_pad)..(y_max + y_pad))
                .map_err(err)?;
            draw_lines!(chart);
        }
        Ok(())
    })
}

/// Series colours, in order.
const COLORS: [RGBColor; 6] = [
    RGBColor(70, 130, 200),
    RGBColor(230, 140, 40),
    RGBColor(80, 170, 90),
    RGBColor(200, 70, 70),
    RGBColor(140, 100, 190),
    RGBColor(120, 120, 120),
];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_only_for_positive_values_spanning_two_decades() {
        assert!(wants_log(15.0, 103_000.0), "15 ms against 103 s");
        assert!(!wants_log(1.0, 100.0), "exactly two decades stays linear");
        assert!(wants_log(1.0, 100.1));
        assert!(!wants_log(0.0, 1e6), "a zero cannot sit on a log axis");
        assert!(!wants_log(-1.0, 1e6));
    }

    #[test]
    fn bands_draw_on_a_log_axis_with_intervals_below_zero() {
        let dir = std::env::temp_dir().join(format!("swarmlb-bands-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let series: Vec<Band> = vec![(
            "a".into(),
            vec![
                (1.0, crate::experiments::stats::mean_ci(&[1.0, 30.0])),
                (2.0, crate::experiments::stats::mean_ci(&[5000.0, 5100.0])),
            ],
        )];
        let path = dir.join("b.svg");
        bands(&path, "t", "x", "y", &series).unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("log scale")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
