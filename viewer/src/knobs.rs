//! Knobs, the NetLogo experience: sliders over the main scenario fields, a re-simulation
//! of the changed scenario from the first trace's seed, and saving the result as a trace
//! and a scenario TOML.

use std::path::{Path, PathBuf};
use swarmlb_trace::format::CHECKPOINT_EVERY_MAX;

use swarmlb_model::Scenario;
use swarmlb_model::scenario::Dur;

use crate::timeline::Timeline;

/// A scenario field a slider moves.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// `servers.capacity`, users.
    Capacity,
    /// `servers.high_watermark`, percent of capacity.
    HighWatermark,
    /// `servers.low_watermark`, percent of capacity.
    LowWatermark,
    /// `users.count`, the steady population's user slots; under the population rule
    /// (`[users.population]`) its floor.
    Population,
    /// `network.latency_max`, milliseconds (`latency_min` scales with it).
    Latency,
}

/// Every knob, in panel order.
pub const FIELDS: [Field; 5] = [
    Field::Capacity,
    Field::HighWatermark,
    Field::LowWatermark,
    Field::Population,
    Field::Latency,
];

impl Field {
    /// The name shown and accepted by `--knob NAME=VALUE`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Capacity => "capacity",
            Field::HighWatermark => "high",
            Field::LowWatermark => "low",
            Field::Population => "users",
            Field::Latency => "latency",
        }
    }

    /// What it sets, with its unit.
    pub fn what(self) -> &'static str {
        match self {
            Field::Capacity => "servers.capacity (users)",
            Field::HighWatermark => "servers.high_watermark (% of capacity)",
            Field::LowWatermark => "servers.low_watermark (% of capacity)",
            Field::Population => "users.count, or users.population.floor (users)",
            Field::Latency => "network.latency_max (ms)",
        }
    }

    /// The field's value in `s`, in the knob's unit.
    pub fn get(self, s: &Scenario) -> f64 {
        match self {
            Field::Capacity => f64::from(s.servers.capacity),
            Field::HighWatermark => s.servers.high_watermark * 100.0,
            Field::LowWatermark => s.servers.low_watermark * 100.0,
            Field::Population => f64::from(match &s.users.population {
                Some(rule) => rule.floor,
                None => s.users.count,
            }),
            Field::Latency => s.network.latency_max.us() as f64 / 1000.0,
        }
    }

    /// Set the field in `s` to `v` (in the knob's unit, rounded to its step).
    pub fn set(self, s: &mut Scenario, v: f64) {
        match self {
            Field::Capacity => s.servers.capacity = v.round().max(1.0) as u32,
            // Steps of 5%, as exact as a decimal in the saved TOML can be.
            Field::HighWatermark => s.servers.high_watermark = (v / 5.0).round() * 5.0 / 100.0,
            Field::LowWatermark => s.servers.low_watermark = (v / 5.0).round() * 5.0 / 100.0,
            Field::Population => {
                let users = v.round().max(1.0) as u32;
                match &mut s.users.population {
                    Some(rule) => {
                        rule.floor = users;
                        rule.cap = rule.cap.max(users);
                    }
                    None => s.users.count = users,
                }
            }
            Field::Latency => {
                let max_us = (v * 1000.0).round().max(1.0) as u64;
                let old = s.network.latency_max.us().max(1);
                // The minimum keeps its ratio to the maximum.
                let min_us = (u128::from(s.network.latency_min.us()) * u128::from(max_us)
                    / u128::from(old)) as u64;
                s.network.latency_max = Dur(max_us);
                s.network.latency_min = Dur(min_us.min(max_us));
            }
        }
    }

    /// One press of a knob key: a user for capacity, 5% for watermarks, a twentieth of the
    /// slider for the population and latency.
    pub fn step(self, base: &Scenario) -> f64 {
        let (lo, hi) = self.range(base);
        match self {
            Field::Capacity => 1.0,
            Field::HighWatermark | Field::LowWatermark => 5.0,
            Field::Population => ((hi - lo) / 20.0).round().max(1.0),
            Field::Latency => (hi - lo) / 20.0,
        }
    }

    /// The slider's range for a run whose scenario was `base`: around the base value.
    pub fn range(self, base: &Scenario) -> (f64, f64) {
        let v = self.get(base);
        match self {
            Field::Capacity => (1.0, (v * 2.0).max(10.0)),
            Field::HighWatermark => (50.0, 100.0),
            Field::LowWatermark => (0.0, 90.0),
            Field::Population => ((v / 4.0).floor().max(1.0), (v * 2.0).max(10.0)),
            Field::Latency => (0.1, (v * 4.0).max(1.0)),
        }
    }
}

/// The knobs panel's state: the scenario being edited, and the base it started from.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// The scenario of the trace the knobs started from.
    pub base: Scenario,
    /// The scenario with the knobs' values.
    pub scenario: Scenario,
}

impl Knobs {
    /// Knobs at the values of `base`.
    pub fn new(base: &Scenario) -> Knobs {
        Knobs {
            base: base.clone(),
            scenario: base.clone(),
        }
    }

    /// Set knob `field` to the fraction `f` (0..=1) of its slider.
    pub fn slide(&mut self, field: Field, f: f64) {
        let (lo, hi) = field.range(&self.base);
        field.set(&mut self.scenario, lo + (hi - lo) * f.clamp(0.0, 1.0));
    }

    /// Move knob `field` by `steps` presses (negative: down), within its slider.
    pub fn nudge(&mut self, field: Field, steps: i32) {
        let (lo, hi) = field.range(&self.base);
        let v = field.get(&self.scenario) + f64::from(steps) * field.step(&self.base);
        field.set(&mut self.scenario, v.clamp(lo, hi));
    }

    /// Where knob `field` sits on its slider (0..=1).
    pub fn fraction(&self, field: Field) -> f64 {
        let (lo, hi) = field.range(&self.base);
        ((field.get(&self.scenario) - lo) / (hi - lo).max(1e-9)).clamp(0.0, 1.0)
    }

    /// Apply `NAME=VALUE` (as `--knob` takes it).
    pub fn apply(&mut self, text: &str) -> Result<(), String> {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=VALUE, like capacity=12: {text:?}"))?;
        let field = FIELDS
            .iter()
            .find(|f| f.name() == name.trim())
            .ok_or_else(|| {
                let names: Vec<_> = FIELDS.iter().map(|f| f.name()).collect();
                format!("no knob {name:?}; knobs: {}", names.join(", "))
            })?;
        let v: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("{name}: {value:?} is not a number"))?;
        if !v.is_finite() || v < 0.0 {
            return Err(format!("{name}: {value:?} must be a non-negative number"));
        }
        field.set(&mut self.scenario, v);
        Ok(())
    }

    /// Fields whose value differs from the base, as `name=value` for titles and files.
    pub fn changes(&self) -> Vec<String> {
        FIELDS
            .iter()
            .filter(|f| f.get(&self.scenario) != f.get(&self.base))
            .map(|f| format!("{}={}", f.name(), crate::axes::label(f.get(&self.scenario))))
            .collect()
    }
}

/// A run made with the knobs: its trace bytes and the scenario, to save.
pub struct Rerun {
    /// The trace, as written.
    pub bytes: Vec<u8>,
    /// The scenario it ran.
    pub scenario: Scenario,
    /// Its changes from the base scenario, `name=value` joined by `-` (for file names).
    pub label: String,
}

/// Re-simulate `scenario` (derived from `base`'s, so with its seed), in process (the
/// scenario is validated first, and the error names the field). Returns the run and its timeline.
pub fn rerun(base: &Timeline, scenario: &Scenario) -> Result<(Rerun, Timeline), String> {
    scenario
        .validate()
        .map_err(|e| format!("{}: {e}", e.field()))?;
    let bytes = swarmlb_trace::write::record_to_vec(scenario, CHECKPOINT_EVERY_MAX)
        .map_err(|e| e.to_string())?;
    let changes = Knobs {
        base: base.scenario.clone(),
        scenario: scenario.clone(),
    }
    .changes();
    let timeline = Timeline::from_bytes(&bytes, &format!("knobs {}", changes.join(" ")))?;
    Ok((
        Rerun {
            bytes,
            scenario: scenario.clone(),
            label: changes.join("-"),
        },
        timeline,
    ))
}

/// Write a knobs run into `dir` as `STEM.swlb` and `STEM.toml`; returns both paths.
pub fn save(dir: &Path, stem: &str, run: &Rerun) -> std::io::Result<(PathBuf, PathBuf)> {
    let trace = dir.join(format!("{stem}.swlb"));
    let toml = dir.join(format!("{stem}.toml"));
    std::fs::write(&trace, &run.bytes)?;
    std::fs::write(&toml, run.scenario.to_toml())?;
    Ok((trace, toml))
}
