//! `Dur`: a scenario's durations (simulated microseconds), how TOML writes them
//! (`"250ms"`, `"1h30m"`, a number of seconds) and their one conversion to `SimTime`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use swarmlb_engine::SimTime;
use swarmlb_engine::parse_duration;
use swarmlb_engine::time::{DURATION_MAX_US, format_duration};

/// A duration in simulated microseconds, written in TOML as `"250ms"`, `"1h30m"` or a
/// bare number of seconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub u64);

impl Dur {
    /// `s` seconds.
    pub const fn secs(s: u64) -> Dur {
        Dur(s * 1_000_000)
    }
    /// `ms` milliseconds.
    pub const fn millis(ms: u64) -> Dur {
        Dur(ms * 1_000)
    }
    /// Microseconds.
    pub const fn us(self) -> u64 {
        self.0
    }
    /// The same span as a simulated time since the start of the run (the one conversion
    /// between the scenario's durations and the engine's clock).
    pub const fn time(self) -> SimTime {
        SimTime(self.0)
    }
}

impl From<Dur> for SimTime {
    fn from(d: Dur) -> SimTime {
        d.time()
    }
}

impl From<SimTime> for Dur {
    fn from(t: SimTime) -> Dur {
        Dur(t.as_micros())
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl std::str::FromStr for Dur {
    type Err = swarmlb_engine::DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_duration(s).map(Dur)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a duration like \"250ms\", \"90s\", \"5m\", \"1h30m\" or a number of seconds",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dur, E> {
                u64::try_from(v)
                    .ok()
                    .and_then(|s| s.checked_mul(1_000_000))
                    .filter(|&us| us <= DURATION_MAX_US)
                    .map(Dur)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "duration {v} is negative or too long: durations are at most 366 days"
                        ))
                    })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dur, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dur, E> {
                if v.is_finite() && (0.0..=DURATION_MAX_US as f64 / 1e6).contains(&v) {
                    Ok(Dur((v * 1e6).round() as u64))
                } else {
                    Err(E::custom(format!(
                        "duration {v} is negative or too long: durations are at most 366 days"
                    )))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}
