//! Run parameters derived from a scenario: integer thresholds that decisions compare
//! against, and the population curve that says which user slots are active when.

use swarmlb_engine::SimTime;

use crate::ids::Layout;
use crate::scenario::{Dist, Policy, Scenario};

/// A hand-off waits an attempt time-out plus this many worst-case latencies: an offer, its
/// acceptance, and the migrated users' connections there and back.
const HANDOFF_LATENCIES: u64 = 4;

/// Server indices are never reused, so the id space is larger than the quota of servers
/// alive at once: room for every server to be replaced three times over.
pub fn server_ids(max_servers: u32) -> u32 {
    max_servers.saturating_mul(4)
}

/// Parts per million, the integer form of the scenario's fractions.
fn ppm(fraction: f64) -> u64 {
    (fraction * 1e6).round() as u64
}

/// `fraction × capacity`, rounded down, computed on integers.
fn threshold(capacity: u32, fraction: f64) -> u32 {
    (u64::from(capacity) * ppm(fraction) / 1_000_000) as u32
}

/// Everything agents need to decide, in integers. Shared read-only by all agents.
#[derive(Clone, Debug)]
pub struct Params {
    /// The scenario the run came from; its `seed` is the run's master seed (see
    /// [`Params::seed`]), so there is no second copy to disagree with it.
    pub scenario: Scenario,
    /// Id layout.
    pub layout: Layout,
    /// Routing policy.
    pub policy: Policy,
    /// Users per server at most.
    pub capacity: u32,
    /// Load at or above which a server delegates.
    pub high_load: u32,
    /// Load below which a server pulls.
    pub low_load: u32,
    /// Load a pull aims for; peers above it are asked.
    pub pull_target_load: u32,
    /// Load below which a server considers terminating.
    pub terminate_load: u32,
    /// Probability of losing a request, per million.
    pub loss_ppm: u32,
    /// A hand-off offer unanswered after this long has failed.
    pub handoff_timeout_us: u64,
    /// Steady user slots (the population at its peak).
    pub steady_slots: u32,
    /// The first slot of the population rule (after the steady and arrival slots).
    pub population_start: u32,
    /// Mean time between arrivals of one idle arrival slot, in µs.
    pub arrival_slot_gap_us: u64,
}

impl Params {
    /// Derive the parameters of `scenario` (run with its own `seed`).
    pub fn new(scenario: &Scenario) -> Params {
        let s = &scenario.servers;
        let u = &scenario.users;
        let capacity = s.capacity;
        let arrival_slot_gap_us = if u.arrival_rate > 0.0 {
            (f64::from(u.arrival_slots) / u.arrival_rate * 1e6).round() as u64
        } else {
            u64::MAX
        };
        Params {
            scenario: scenario.clone(),
            layout: Layout {
                max_servers: server_ids(s.max_servers),
                n_users: scenario.user_slots(),
            },
            policy: scenario.policy,
            capacity,
            high_load: threshold(capacity, s.high_watermark),
            low_load: threshold(capacity, s.low_watermark),
            pull_target_load: threshold(capacity, s.pull_target),
            terminate_load: threshold(capacity, s.terminate_watermark),
            loss_ppm: ppm(scenario.network.loss).min(1_000_000) as u32,
            handoff_timeout_us: u.attempt_timeout.us()
                + HANDOFF_LATENCIES * scenario.network.latency_max.us(),
            steady_slots: scenario.steady_slots(),
            population_start: scenario.steady_slots() + u.arrival_slots,
            arrival_slot_gap_us,
        }
    }

    /// The master seed: the scenario's `seed`, the one place it is kept.
    pub fn seed(&self) -> u64 {
        self.scenario.seed
    }

    /// True when slot `slot` is an arrival slot (Poisson arrivals), not a steady one.
    pub fn is_arrival_slot(&self, slot: u32) -> bool {
        (self.steady_slots..self.population_start).contains(&slot)
    }

    /// True when slot `slot` belongs to the population rule (`users.population`): the
    /// environment starts its lives, and it is never replaced by itself.
    pub fn is_population_slot(&self, slot: u32) -> bool {
        slot >= self.population_start
    }

    /// Lifespan distribution.
    pub fn lifespan(&self) -> &Dist {
        &self.scenario.users.lifespan
    }

    /// True if steady slot `slot` belongs to the target population at `t`.
    pub fn slot_active(&self, slot: u32, t: SimTime) -> bool {
        let u = &self.scenario.users;
        if slot < u.count {
            return match &u.diurnal {
                None => true,
                Some(_) => slot < self.diurnal_target(t),
            };
        }
        let flash = u.flash.as_ref().is_some_and(|f| {
            let j = slot - u.count;
            j < f.extra
                && t.0 >= f.at.us() + ramp_offset(f.ramp.us(), j, f.extra)
                && t.0 < f.at.us() + f.duration.us()
        });
        flash || (u.diurnal.is_some() && slot < self.diurnal_target(t))
    }

    /// The first time at or after `from` when steady slot `slot` is active, if any
    /// within one diurnal period or the flash window.
    pub fn next_active(&self, slot: u32, from: SimTime) -> Option<SimTime> {
        if self.slot_active(slot, from) {
            return Some(from);
        }
        let u = &self.scenario.users;
        let mut best: Option<SimTime> = None;
        if let Some(f) = &u.flash {
            let j = slot.saturating_sub(u.count);
            if slot >= u.count && j < f.extra {
                let start = f.at.us() + ramp_offset(f.ramp.us(), j, f.extra);
                let end = f.at.us() + f.duration.us();
                if from.0 < end {
                    best = Some(SimTime(start.max(from.0)));
                }
            }
        }
        if let Some(d) = &u.diurnal {
            let found = self.next_diurnal_rise(slot, from, d);
            best = match (best, found) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        best
    }

    /// The first whole second `k` in `1..=period/1s + 1` after `from` at which the daily
    /// curve makes `slot` active, exactly as a scan second by second would find it, but
    /// in constant time: the curve is a sine, so the seconds where `slot` is active form
    /// one arc per period, whose start is computed and then checked against the exact
    /// predicate (a scan of the whole period was O(period) per slot: a 366-day period made
    /// a 1-second run take 26 s). Falls back to the scan if the estimate is not confirmed.
    fn next_diurnal_rise(
        &self,
        slot: u32,
        from: SimTime,
        d: &crate::scenario::Diurnal,
    ) -> Option<SimTime> {
        const STEP: u64 = 1_000_000;
        let steps = d.period.us() / STEP + 1;
        let active = |k: u64| slot < self.diurnal_target(from.plus(k * STEP));
        let scan = || {
            (1..=steps)
                .find(|&k| active(k))
                .map(|k| from.plus(k * STEP))
        };
        if active(1) {
            return Some(from.plus(STEP));
        }
        let count = f64::from(self.scenario.users.count);
        if count == 0.0 || d.amplitude <= 0.0 {
            return scan();
        }
        // Active where count × (1 + A sin θ) ≥ slot + 1, i.e. sin θ ≥ c.
        let c = ((f64::from(slot) + 1.0) / count - 1.0) / d.amplitude;
        if c > 1.0 + 1e-9 {
            return None;
        }
        if !(-1.0..=1.0).contains(&c) {
            return scan();
        }
        let period = d.period.us();
        let arc_start =
            c.asin().rem_euclid(2.0 * std::f64::consts::PI) / (2.0 * std::f64::consts::PI);
        let first = from.0 + STEP;
        let period_start = first - first % period;
        let mut rise = period_start + (arc_start * period as f64) as u64;
        if rise < first {
            rise += period;
        }
        let mut k = (rise - from.0).div_ceil(STEP).max(1);
        // Confirm with the exact predicate: the estimate can be off by a rounding step.
        for _ in 0..3 {
            if k > 1 && active(k - 1) {
                k -= 1;
            }
        }
        for _ in 0..4 {
            if active(k) {
                let first_active = k == 1 || !active(k - 1);
                return if first_active && k <= steps {
                    Some(from.plus(k * STEP))
                } else {
                    scan()
                };
            }
            k += 1;
        }
        scan()
    }

    fn diurnal_target(&self, t: SimTime) -> u32 {
        let u = &self.scenario.users;
        let Some(d) = &u.diurnal else { return u.count };
        let phase = (t.0 % d.period.us()) as f64 / d.period.us() as f64;
        let level = 1.0 + d.amplitude * (2.0 * std::f64::consts::PI * phase).sin();
        (f64::from(u.count) * level).floor() as u32
    }
}

/// When the `j`-th of `extra` flash-crowd users arrives after the ramp starts: a share of
/// `ramp_us`, computed in 128 bits (366 days times 10 million users overflows 64).
fn ramp_offset(ramp_us: u64, j: u32, extra: u32) -> u64 {
    debug_assert!(j < extra, "only flash-crowd slots have an arrival time");
    let offset = u128::from(ramp_us) * u128::from(j) / u128::from(extra.max(1));
    u64::try_from(offset).expect("j < extra, so the offset is below ramp_us")
}
