//! Simulated time: integer microseconds, and the human duration syntax (`250ms`, `1h30m`).

use std::fmt;

/// A point in simulated time, in microseconds since the start of the run.
///
/// Time is an integer so that arithmetic is exact and identical on every platform.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The end of time; no event is ever scheduled here.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000)
    }

    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms * 1_000)
    }

    /// Microseconds since the start.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for metrics and display only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// `self + us`, saturating at [`SimTime::MAX`].
    pub const fn plus(self, us: u64) -> SimTime {
        SimTime(self.0.saturating_add(us))
    }

    /// Microseconds from `earlier` to `self`; zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    /// `12.003417s`: seconds with all six microsecond digits, so lines sort and grep well.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// The longest duration anything may be given: 366 days, in µs. Every duration a user
/// writes (scenario fields, `--duration`, `--at`) is checked against it where it is read,
/// so sums and small multiples of durations can never overflow 64-bit microseconds.
pub const DURATION_MAX_US: u64 = 366 * 86_400 * 1_000_000;

/// Why a duration string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The string was empty.
    #[error("empty duration")]
    Empty,
    /// A character that is neither a digit nor a known unit.
    #[error(
        "invalid duration {0:?}: expected a number with a unit, like 250ms, 90s, 5m or 1h30m (a bare number is seconds)"
    )]
    BadSyntax(String),
    /// The value is longer than [`DURATION_MAX_US`].
    #[error("duration {0:?} is too long: durations are at most 366 days")]
    Overflow(String),
}

/// Parse `250ms`, `90s`, `5m`, `1h30m`, `2.5s` or a bare number of seconds into microseconds.
///
/// Units: `us`, `ms`, `s`, `m`, `h`, `d`. Parts add up (`1h30m`). Fractions are allowed
/// per part and are rounded to the nearest microsecond with integer arithmetic.
pub fn parse_duration(text: &str) -> Result<u64, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let bad = || DurationError::BadSyntax(text.to_string());
    let overflow = || DurationError::Overflow(text.to_string());
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_part(s, 1_000_000)
            .ok_or_else(bad)?
            .filter(|&us| us <= DURATION_MAX_US)
            .ok_or_else(overflow);
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if number_len == 0 {
            return Err(bad());
        }
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "us" | "µs" => 1,
            "ms" => 1_000,
            "s" => 1_000_000,
            "m" => 60_000_000,
            "h" => 3_600_000_000,
            "d" => 86_400_000_000,
            _ => return Err(bad()),
        };
        let part = parse_part(number, scale)
            .ok_or_else(bad)?
            .ok_or_else(overflow)?;
        total = total.checked_add(part).ok_or_else(overflow)?;
        rest = next;
    }
    if total > DURATION_MAX_US {
        return Err(overflow());
    }
    Ok(total)
}

/// `number × scale` with an optional decimal fraction; `None` on bad syntax,
/// `Some(None)` on overflow.
fn parse_part(number: &str, scale: u64) -> Option<Option<u64>> {
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole_value: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok().or(Some(u64::MAX))?
    };
    let Some(mut value) = whole_value.checked_mul(scale) else {
        return Some(None);
    };
    // Fraction digits beyond microsecond precision are rounded away.
    let mut unit = scale;
    let mut round_digit = None;
    for digit in fraction.bytes().map(|b| u64::from(b - b'0')) {
        if unit < 10 {
            round_digit = round_digit.or(Some(digit));
            continue;
        }
        unit /= 10;
        value = match value.checked_add(digit * unit) {
            Some(v) => v,
            None => return Some(None),
        };
    }
    if round_digit.is_some_and(|d| d >= 5) {
        value = match value.checked_add(1) {
            Some(v) => v,
            None => return Some(None),
        };
    }
    Some(Some(value))
}

/// Format microseconds the way [`parse_duration`] reads them (`1h30m`, `250ms`, `0s`).
pub fn format_duration(us: u64) -> String {
    if us == 0 {
        return "0s".to_string();
    }
    let units: [(&str, u64); 6] = [
        ("d", 86_400_000_000),
        ("h", 3_600_000_000),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1_000),
        ("us", 1),
    ];
    let mut rest = us;
    let mut out = String::new();
    for (name, scale) in units {
        if rest >= scale {
            out.push_str(&format!("{}{}", rest / scale, name));
            rest %= scale;
        }
    }
    out
}
