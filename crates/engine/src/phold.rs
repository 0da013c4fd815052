//! PHOLD, the standard DES benchmark: logical processes bounce events to random peers
//! after random delays. It exercises and measures the kernel without any domain model.

use crate::rng::{AgentRng, agent_rng};
use crate::scheduler::{AgentId, Context, Delivery, Payload};
use crate::sim::{Handler, Simulation};

/// PHOLD parameters.
#[derive(Copy, Clone, Debug)]
pub struct PholdConfig {
    /// Logical processes.
    pub n_lps: u32,
    /// Events each LP starts with (the population stays constant).
    pub events_per_lp: u32,
    /// Mean delay between receiving an event and its successor's arrival, in µs.
    pub delay_us_mean: u64,
    /// Master seed.
    pub seed: u64,
}

/// The PHOLD model: each LP owns its RNG stream and a counter of received events.
pub struct Phold {
    rngs: Vec<AgentRng>,
    /// Events received per LP.
    pub received: Vec<u64>,
    delay_us_mean: u64,
}

/// The PHOLD event: a token with no content beyond its arrival.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Token;

impl Handler for Phold {
    type Msg = Token;
    type Timer = ();
    type Record = ();

    fn handle(&mut self, ctx: &mut Context<'_, Token, ()>, delivery: Delivery<Token, ()>) {
        let me = delivery.key.target;
        debug_assert!(matches!(delivery.payload, Payload::Message(Token)));
        self.received[me.idx()] += 1;
        let (target, delay) = self.next_hop(me);
        ctx.send(target, Token, delay);
    }
}

impl Phold {
    fn next_hop(&mut self, me: AgentId) -> (AgentId, u64) {
        let n = self.rngs.len() as u64;
        let rng = &mut self.rngs[me.idx()];
        let target = AgentId(rng.below(n) as u32);
        // Uniform in [1, 2 × mean): positive, so no zero-delay self loops.
        let delay = 1 + rng.below(2 * self.delay_us_mean.max(1));
        (target, delay)
    }
}

/// A PHOLD simulation with its initial events scheduled.
pub fn build(config: PholdConfig) -> Simulation<Phold> {
    let n = config.n_lps as usize;
    let model = Phold {
        rngs: (0..n).map(|i| agent_rng(config.seed, i as u64)).collect(),
        received: vec![0; n],
        delay_us_mean: config.delay_us_mean,
    };
    let mut sim = Simulation::new(model, n);
    for lp in 0..config.n_lps {
        for _ in 0..config.events_per_lp {
            sim.act_as(AgentId(lp), |model, ctx| {
                let (target, delay) = model.next_hop(AgentId(lp));
                ctx.send(target, Token, delay);
            });
        }
    }
    sim
}
