//! Playback state: the current simulated time, play/pause, speed, stepping and scrubbing.

use swarmlb_engine::SimTime;

/// Where the viewer is in simulated time.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Playback {
    /// The time shown.
    pub time: SimTime,
    /// Playing or paused.
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// The last time there is to show.
    pub end: SimTime,
}

impl Playback {
    /// Paused at `time` (clamped), 10× speed.
    pub fn new(time: SimTime, end: SimTime) -> Playback {
        Playback {
            time: time.min(end),
            playing: false,
            speed: 10.0,
            end,
        }
    }

    /// Advance by `wall_s` seconds of wall time when playing; stops at the end.
    pub fn tick(&mut self, wall_s: f64) {
        if !self.playing {
            return;
        }
        let dt = (wall_s * self.speed * 1e6).round() as u64;
        self.time = self.time.plus(dt).min(self.end);
        if self.time == self.end {
            self.playing = false;
        }
    }

    /// Twice as fast (at most 100,000×).
    pub fn faster(&mut self) {
        self.speed = (self.speed * 2.0).min(100_000.0);
    }

    /// Half as fast (at least 1/64×).
    pub fn slower(&mut self) {
        self.speed = (self.speed / 2.0).max(1.0 / 64.0);
    }

    /// Jump to a fraction (0..=1) of the run.
    pub fn scrub(&mut self, fraction: f64) {
        self.time = SimTime((self.end.0 as f64 * fraction.clamp(0.0, 1.0)).round() as u64);
    }

    /// Jump to `t` (clamped to the run).
    pub fn seek(&mut self, t: SimTime) {
        self.time = t.min(self.end);
    }

    /// The current position as a fraction of the run.
    pub fn fraction(&self) -> f64 {
        if self.end.0 == 0 {
            0.0
        } else {
            self.time.0 as f64 / self.end.0 as f64
        }
    }
}
