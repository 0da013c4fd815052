//! The network between agents: latency drawn by the sender, loss of requests,
//! partitions between servers. [`Out`] is an agent's only way to act on the world.

use swarmlb_engine::{AgentId, AgentRng, Context, SimTime};

use crate::metrics::Stats;
use crate::msg::{Body, Msg, Timer};
use crate::params::Params;

/// Network conditions that change during a run (partitions).
#[derive(Clone, Debug, Default)]
pub struct Net {
    /// While a partition is active: `cut[i]` is true for servers on the cut-off side.
    pub cut: Option<Vec<bool>>,
}

impl Net {
    fn separates(&self, params: &Params, a: AgentId, b: AgentId) -> bool {
        let Some(cut) = &self.cut else { return false };
        let side = |id| params.layout.server_idx(id).map(|i| cut.get(i as usize).copied().unwrap_or(false));
        matches!((side(a), side(b)), (Some(x), Some(y)) if x != y)
    }
}

/// What an agent may do while it handles one event: send, set and cancel its own timers,
/// and read the shared parameters. No agent gets a reference to another agent.
pub struct Out<'a, 'c> {
    pub(crate) ctx: &'a mut Context<'c, Msg, Timer>,
    pub(crate) net: &'a Net,
    /// Counters for metrics; agents only add to them.
    pub stats: &'a mut Stats,
    /// Run parameters.
    pub params: &'a Params,
    /// The bootstrap directory (a possibly stale list of server indices, like DNS).
    pub directory: &'a [u32],
}

impl Out<'_, '_> {
    /// The current time.
    pub fn now(&self) -> SimTime {
        self.ctx.now()
    }

    /// The acting agent.
    pub fn me(&self) -> AgentId {
        self.ctx.me()
    }

    /// Send `body` to `target` with latency and loss drawn from the sender's `rng`;
    /// `load` is the sender's load, piggybacked on the message.
    pub fn send(&mut self, rng: &mut AgentRng, target: AgentId, load: u32, body: Body) {
        self.stats.count_message(&body);
        if body.is_lossy() && rng.chance_ppm(self.params.loss_ppm) {
            self.stats.messages_lost += 1;
            return;
        }
        if self.net.separates(self.params, self.ctx.me(), target) {
            self.stats.messages_cut += 1;
            return;
        }
        let net = &self.params.scenario.network;
        let latency = rng.between(net.latency_min.us(), net.latency_max.us());
        self.ctx.send(target, Msg { load, body }, latency);
    }

    /// Deliver `body` to `target` after `delay_us`, without loss (the environment's own
    /// actions: starting servers, injecting faults).
    pub fn send_reliable(&mut self, target: AgentId, delay_us: u64, body: Body) {
        self.stats.count_message(&body);
        self.ctx.send(target, Msg { load: 0, body }, delay_us);
    }

    /// Set (or move) one of the acting agent's timers.
    pub fn set_timer(&mut self, kind: Timer, delay_us: u64) {
        self.ctx.set_timer(kind, delay_us);
    }

    /// Cancel one of the acting agent's timers.
    pub fn cancel_timer(&mut self, kind: Timer) {
        self.ctx.cancel_timer(kind);
    }
}
