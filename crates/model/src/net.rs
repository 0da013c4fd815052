//! The network between agents: latency drawn by the sender, loss of requests,
//! partitions between servers. [`Out`] is an agent's only way to act on the world.

use swarmlb_engine::{AgentId, AgentRng, Context, KeyedDraw, SimTime, keyed_rng};

use crate::metrics::Stats;
use crate::msg::{Body, Msg, Timer};
use crate::params::Params;
use crate::purpose::{self, Purpose};

/// Network conditions that change during a run (partitions).
#[derive(Clone, Debug, Default)]
pub struct Net {
    /// While a partition is active: `cut[i]` is true for servers on the cut-off side.
    pub cut: Option<Vec<bool>>,
}

impl Net {
    fn separates(&self, params: &Params, a: AgentId, b: AgentId) -> bool {
        let Some(cut) = &self.cut else { return false };
        let side = |id| {
            params
                .layout
                .server_idx(id)
                .map(|i| cut.get(i as usize).copied().unwrap_or(false))
        };
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
    /// Messages sent so far while handling this event (part of each message's key).
    pub(crate) sent: u64,
}

impl<'a, 'c> Out<'a, 'c> {
    /// The acting agent's view of the world for one event.
    pub(crate) fn new(
        ctx: &'a mut Context<'c, Msg, Timer>,
        net: &'a Net,
        stats: &'a mut Stats,
        params: &'a Params,
        directory: &'a [u32],
    ) -> Self {
        Out {
            ctx,
            net,
            stats,
            params,
            directory,
            sent: 0,
        }
    }

    /// The current time.
    pub fn now(&self) -> SimTime {
        self.ctx.now()
    }

    /// Send `body` to `target`; `load` is the sender's load, piggybacked on the message.
    ///
    /// Latency and loss are drawn from the message's causal identity (sender, target,
    /// kind, send time, and its rank among this event's sends), not from a running
    /// stream: one extra message never shifts the latency of any other.
    pub fn send(&mut self, target: AgentId, load: u32, body: Body) {
        self.stats.count_message(&body);
        let me = self.ctx.me();
        let key = [
            u64::from(me.0),
            Purpose::Message.code(),
            u64::from(target.0),
            body.code() as u64,
            self.ctx.now().0,
            self.sent,
        ];
        self.sent += 1;
        let draw = KeyedDraw::new(self.params.seed(), &key);
        if body.is_lossy() && draw.next().chance_ppm(self.params.loss_ppm) {
            self.stats.messages_lost += 1;
            return;
        }
        if self.net.separates(self.params, me, target) {
            return;
        }
        let net = &self.params.scenario.network;
        let latency = draw.between(net.latency_min.us(), net.latency_max.us());
        self.ctx.send(target, Msg { load, body }, latency);
    }

    /// The acting agent's own ChaCha stream, positioned for the decision `purpose` names
    /// with `parts` (design rule 3: a decision's randomness is keyed by its causal
    /// identity).
    pub fn rng(&self, purpose: Purpose, parts: &[u64]) -> AgentRng {
        let (key, len) = purpose::key(purpose, parts);
        keyed_rng(self.params.seed(), u64::from(self.ctx.me().0), &key[..len])
    }

    /// A draw keyed by `purpose`, `parts` and the acting agent: for decisions that answer
    /// a particular request, so that they do not depend on the agent's other history.
    pub fn keyed(&self, purpose: Purpose, parts: &[u64]) -> KeyedDraw {
        let (key, len) = purpose::key(purpose, parts);
        KeyedDraw::new(self.params.seed(), &[u64::from(self.ctx.me().0)]).extend(&key[..len])
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
