//! Plot axes: round tick values for a range and tick labels with their unit, so every plot
//! says what its lines measure.

use swarmlb_engine::SimTime;

/// Most ticks on one axis.
pub const TICKS_MAX: usize = 8;

/// Round tick values (1, 2 or 5 times a power of ten apart) covering `lo..=hi`, at most
/// `max` of them (at least two when `hi > lo`). An empty or inverted range gives `[lo]`.
pub fn ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let max = max.clamp(2, TICKS_MAX);
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || !lo.is_finite() {
        return vec![lo];
    }
    let raw = (hi - lo) / (max - 1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| (hi - lo) / s <= (max - 1) as f64)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A time axis unit: seconds for runs up to five minutes, minutes up to five hours, hours
/// beyond. Returns the unit's length in microseconds and its name.
pub fn time_unit(end: SimTime) -> (f64, &'static str) {
    let s = end.as_micros() as f64 / 1e6;
    if s <= 300.0 {
        (1e6, "s")
    } else if s <= 5.0 * 3600.0 {
        (60e6, "min")
    } else {
        (3600e6, "h")
    }
}

/// A tick label: integers without a fraction, others with as few digits as show them.
pub fn label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else if (v * 10.0 - (v * 10.0).round()).abs() < 1e-9 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
