//! Per-agent random streams: one master seed, one ChaCha8 stream per agent.
//!
//! Rule 3 of the design: a perturbation of one agent must not shift any other agent's
//! draws. Every agent draws only from its own stream (the master seed with the agent id
//! as the ChaCha stream number), and [`keyed_rng`] gives a decision its own stream
//! position keyed by its causal identity, so an extra decision does not shift later ones.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Words of keystream reserved for one keyed decision; far more than any decision draws.
const KEYED_WORDS: u128 = 1 << 20;

/// The random stream owned by one agent.
#[derive(Clone, Debug)]
pub struct AgentRng(ChaCha8Rng);

/// The stream of agent `agent` under master seed `seed`.
pub fn agent_rng(seed: u64, agent: u64) -> AgentRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(agent);
    AgentRng(rng)
}

/// A fresh stream for one decision of `agent`, identified by `key` (for example the
/// request it answers and the attempt number). Independent of the agent's running stream.
pub fn keyed_rng(seed: u64, agent: u64, key: u64) -> AgentRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15);
    rng.set_stream(agent);
    rng.set_word_pos(u128::from(key) * KEYED_WORDS);
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
