//! The event queue: causally ordered keys, messages on a binary heap, and cancellable
//! timers on an indexed priority queue.
//!
//! Ordering contract: the scheduler pops the smallest [`EventKey`]
//! `(time, target, source, seq)`, where `seq` counts the events its *source* has scheduled.
//! Every component of the key comes from causal history (who sent what, when), never from
//! a global counter, so inserting an event at one agent does not reorder simultaneous
//! events elsewhere. Two events can never share a key: one source never reuses a `seq`.
//!
//! Messages (the bulk of events) are never cancelled, so they live on a plain
//! `BinaryHeap`. Timers can be cancelled or moved, so they live on `priority-queue`'s
//! indexed heap, keyed by `(agent, timer kind)`: one pending timer per kind per agent.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash};

use priority_queue::PriorityQueue;

use crate::time::SimTime;

/// Identity of an agent: a dense index chosen by the model.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(pub u32);

impl AgentId {
    /// The id as a vector index.
    pub const fn idx(self) -> usize {
        self.0 as usize
    }
}

/// The total order of events. Field order is the sort order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    /// When the event happens.
    pub time: SimTime,
    /// The agent that handles it.
    pub target: AgentId,
    /// The agent that caused it (the agent itself for timers).
    pub source: AgentId,
    /// The source's running count of scheduled events.
    pub seq: u64,
}

/// What is delivered: a message from another agent, or one of the agent's own timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload<M, T> {
    /// A message sent by `key.source`.
    Message(M),
    /// A timer of this kind set by the target itself.
    Timer(T),
}

/// One event as handed to the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery<M, T> {
    /// Its position in the total order.
    pub key: EventKey,
    /// What it carries.
    pub payload: Payload<M, T>,
}

struct QueuedMessage<M> {
    key: EventKey,
    message: M,
}

impl<M> PartialEq for QueuedMessage<M> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<M> Eq for QueuedMessage<M> {}
impl<M> PartialOrd for QueuedMessage<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for QueuedMessage<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// A fixed hasher: the timer index is never iterated for decisions, but a fixed hasher
/// keeps even its memory layout identical from run to run.
type FixedState = BuildHasherDefault<DefaultHasher>;

/// The pending events of a simulation.
pub struct Scheduler<M, T: Hash + Eq> {
    messages: BinaryHeap<Reverse<QueuedMessage<M>>>,
    timers: PriorityQueue<(AgentId, T), Reverse<EventKey>, FixedState>,
    seq_by_source: Vec<u64>,
}

impl<M, T: Copy + Hash + Eq> Scheduler<M, T> {
    /// An empty queue for agents `0..n_agents`.
    pub fn new(n_agents: usize) -> Self {
        Scheduler {
            messages: BinaryHeap::new(),
            timers: PriorityQueue::with_default_hasher(),
            seq_by_source: vec![0; n_agents],
        }
    }

    /// Number of agents the queue was sized for.
    pub fn n_agents(&self) -> usize {
        self.seq_by_source.len()
    }

    fn next_key(&mut self, time: SimTime, source: AgentId, target: AgentId) -> EventKey {
        let seq = &mut self.seq_by_source[source.idx()];
        *seq += 1;
        EventKey {
            time,
            target,
            source,
            seq: *seq,
        }
    }

    /// Schedule `message` from `source` to arrive at `target` at `time`.
    pub fn push_message(&mut self, time: SimTime, source: AgentId, target: AgentId, message: M) {
        assert!(
            target.idx() < self.seq_by_source.len(),
            "message to unknown agent {target:?}"
        );
        let key = self.next_key(time, source, target);
        self.messages.push(Reverse(QueuedMessage { key, message }));
    }

    /// Set (or move) `agent`'s timer of kind `kind` to fire at `time`.
    pub fn set_timer(&mut self, time: SimTime, agent: AgentId, kind: T) {
        let key = self.next_key(time, agent, agent);
        self.timers.push((agent, kind), Reverse(key));
    }

    /// Cancel `agent`'s timer of kind `kind`; true if one was pending.
    pub fn cancel_timer(&mut self, agent: AgentId, kind: T) -> bool {
        self.timers.remove(&(agent, kind)).is_some()
    }

    /// When `agent`'s timer of kind `kind` fires, if it is pending.
    pub fn timer_at(&self, agent: AgentId, kind: T) -> Option<SimTime> {
        self.timers
            .get_priority(&(agent, kind))
            .map(|Reverse(key)| key.time)
    }

    /// The key of the next event, without removing it.
    pub fn peek_key(&self) -> Option<EventKey> {
        let message = self.messages.peek().map(|Reverse(m)| m.key);
        let timer = self.timers.peek().map(|(_, Reverse(key))| *key);
        match (message, timer) {
            (Some(m), Some(t)) => Some(m.min(t)),
            (m, t) => m.or(t),
        }
    }

    /// Remove and return the next event in key order.
    pub fn pop(&mut self) -> Option<Delivery<M, T>> {
        let message_key = self.messages.peek().map(|Reverse(m)| m.key);
        let timer_key = self.timers.peek().map(|(_, Reverse(key))| *key);
        let take_timer = match (message_key, timer_key) {
            (None, None) => return None,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(m), Some(t)) => t < m,
        };
        if take_timer {
            let ((_, kind), Reverse(key)) = self.timers.pop().expect("peeked");
            Some(Delivery {
                key,
                payload: Payload::Timer(kind),
            })
        } else {
            let Reverse(QueuedMessage { key, message }) = self.messages.pop().expect("peeked");
            Some(Delivery {
                key,
                payload: Payload::Message(message),
            })
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.messages.len() + self.timers.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every message in flight, in no particular order (for invariant checkers).
    pub fn messages_in_flight(&self) -> impl Iterator<Item = (&EventKey, &M)> {
        self.messages.iter().map(|Reverse(m)| (&m.key, &m.message))
    }
}

/// The model's handle on the world while it handles one event.
pub struct Context<'a, M, T: Hash + Eq> {
    now: SimTime,
    me: AgentId,
    scheduler: &'a mut Scheduler<M, T>,
}

impl<'a, M, T: Copy + Hash + Eq> Context<'a, M, T> {
    /// A context for `me` at `now`; the run loop makes these.
    pub fn new(now: SimTime, me: AgentId, scheduler: &'a mut Scheduler<M, T>) -> Self {
        Context { now, me, scheduler }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The agent handling the event.
    pub fn me(&self) -> AgentId {
        self.me
    }

    /// Send `message` to `target`, arriving after `latency_us` (drawn by the sender).
    pub fn send(&mut self, target: AgentId, message: M, latency_us: u64) {
        self.scheduler
            .push_message(self.now.plus(latency_us), self.me, target, message);
    }

    /// Set (or move) this agent's timer `kind` to fire `delay_us` from now.
    pub fn set_timer(&mut self, kind: T, delay_us: u64) {
        self.scheduler
            .set_timer(self.now.plus(delay_us), self.me, kind);
    }

    /// Cancel this agent's timer `kind`; true if it was pending.
    pub fn cancel_timer(&mut self, kind: T) -> bool {
        self.scheduler.cancel_timer(self.me, kind)
    }

    /// When this agent's timer `kind` fires, if pending.
    pub fn timer_at(&self, kind: T) -> Option<SimTime> {
        self.scheduler.timer_at(self.me, kind)
    }
}
