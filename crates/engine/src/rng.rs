//! Per-agent random streams: one master seed, one ChaCha8 stream per agent.
//!
//! Rule 3 of the design: a perturbation of one agent must not shift any other agent's
//! draws. Every agent draws only from its own stream (the master seed with the agent id
//! as the ChaCha stream number), and [`keyed_rng`] gives a decision its own stream
//! position keyed by its causal identity, so an extra decision does not shift later ones.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random stream owned by one agent.
#[derive(Clone, Debug)]
pub struct AgentRng(ChaCha8Rng);

/// The stream of agent `agent` under master seed `seed`.
pub fn agent_rng(seed: u64, agent: u64) -> AgentRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(agent);
    AgentRng(rng)
}

/// The agent's stream positioned for one decision identified by `parts` (for example
/// the request it answers and the attempt number), independent of how many numbers the
/// agent drew before. The parts are hashed to a 64-bit key; the key picks a 16-word
/// block of the agent's ChaCha stream (decisions draw a few numbers each).
pub fn keyed_rng(seed: u64, agent: u64, parts: &[u64]) -> AgentRng {
    let mut rng = agent_rng(seed, agent).0;
    let key = KeyedDraw::new(0, parts).0;
    rng.set_word_pos(u128::from(key) << 4);
    AgentRng(rng)
}

impl AgentRng {
    /// A uniform integer in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0, "below(0)");
        self.0.random_range(0..n)
    }

    /// A uniform integer in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        debug_assert!(low <= high);
        self.0.random_range(low..=high)
    }

    /// True with probability `ppm / 1_000_000`; probabilities that drive decisions are
    /// integer ratios so they compare exactly.
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.0.random_range(0..1_000_000u32) < ppm
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// An exponentially distributed integer with the given mean (inverse transform).
    ///
    /// Uses `f64::ln`, which comes from the platform's libm: documented in ARCHITECTURE.md
    /// as the one place where a platform function feeds a decision (a sampled duration).
    pub fn exponential(&mut self, mean: u64) -> u64 {
        let u = 1.0 - self.unit(); // in (0, 1]
        let value = -u.ln() * mean as f64;
        value.round().min(u64::MAX as f64 / 2.0) as u64
    }
}

/// Random bits keyed by a decision's causal identity (who decides, about what, when):
/// the same key always gives the same draw, whatever else the agent did before.
/// SplitMix64 finalizers chained over the parts; cheap enough for every message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KeyedDraw(u64);

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl KeyedDraw {
    /// The draw for `parts` under master seed `seed`.
    pub fn new(seed: u64, parts: &[u64]) -> KeyedDraw {
        KeyedDraw(parts.iter().fold(splitmix(seed), |h, &p| splitmix(h ^ p)))
    }

    /// The draw for this key followed by more parts (`new(s, a).extend(b)` equals
    /// `new(s, a ++ b)`).
    pub fn extend(self, parts: &[u64]) -> KeyedDraw {
        KeyedDraw(parts.iter().fold(self.0, |h, &p| splitmix(h ^ p)))
    }

    /// A draw for this key combined with one more part (for rendezvous hashing:
    /// `key.mix(candidate)` scores each candidate independently of the others).
    pub fn mix(self, part: u64) -> u64 {
        splitmix(self.0 ^ splitmix(part))
    }

    /// A second, independent draw from the same key.
    pub fn next(self) -> KeyedDraw {
        KeyedDraw(splitmix(self.0))
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below n / 2^64).
    pub fn below(self, n: u64) -> u64 {
        ((u128::from(self.0) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub fn between(self, low: u64, high: u64) -> u64 {
        debug_assert!(low <= high);
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            None => self.0,
        }
    }

    /// True with probability `ppm / 1_000_000`.
    pub fn chance_ppm(self, ppm: u32) -> bool {
        self.below(1_000_000) < u64::from(ppm)
    }
}
