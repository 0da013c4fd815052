//! The event queue: causally ordered keys on one binary heap, with cancellable timers.
//!
//! Ordering contract: the scheduler pops the smallest [`EventKey`]
//! `(time, target, source, seq)`, where `seq` counts the events its *source* has scheduled.
//! Every component of the key comes from causal history (who sent what, when), never from
//! a global counter, so inserting an event at one agent does not reorder simultaneous
//! events elsewhere. Two events can never share a key: one source never reuses a `seq`.
//!
//! Timers are cancelled lazily: each (agent, timer slot) remembers the `seq` of its one live
//! timer in a plain vector; setting a timer again or cancelling it just changes that
//! number, and an entry whose `seq` is no longer the live one is discarded when it reaches
//! the top of the heap. No hashing on the hot path: measured against an indexed heap
//! (`priority-queue`, the first version of this module) it is what makes a model with
//! 100,000 heart-beating users run several times faster (see BENCHMARKS.md).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::time::SimTime;

/// A timer kind the scheduler can track without hashing.
pub trait TimerKind: Copy {
    /// Slots per agent.
    const SLOTS: usize;
    /// This kind's slot in `0..SLOTS`, or `None` for one-shot timers that are never
    /// cancelled or moved (they always fire).
    fn slot(&self) -> Option<usize>;
}

impl TimerKind for () {
    const SLOTS: usize = 0;
    fn slot(&self) -> Option<usize> {
        None
    }
}

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

/// A queued event: the key (unique, so it alone decides the order), the timer's
/// (agent, slot) index for timers that can be cancelled ([`NOT_TRACKED`] otherwise), so
/// that spotting a stale timer reads nothing else, and the payload.
struct Queued<M, T> {
    key: EventKey,
    tracked: u32,
    payload: Payload<M, T>,
}

impl<M, T> PartialEq for Queued<M, T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<M, T> Eq for Queued<M, T> {}
impl<M, T> PartialOrd for Queued<M, T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M, T> Ord for Queued<M, T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Timer-slot value of messages and one-shot timers.
const NOT_TRACKED: u32 = u32::MAX;

/// Width of one far-future bucket in µs (65.5 ms; measured best of 2^14..2^20 on the
/// 100,000-user model: small enough that the hot heap stays in cache).
const BUCKET_US: u64 = 1 << 16;

/// The pending events of a simulation.
///
/// Two levels keep the hot heap small and cache-resident: events before `horizon` (the
/// end of the current bucket) sit in a binary heap; later ones wait unsorted in
/// per-bucket vectors, ordered by bucket in a `BTreeMap`, and are heapified when their
/// bucket comes up. The pop order is exactly the key order either way.
pub struct Scheduler<M, T: TimerKind> {
    heap: BinaryHeap<Reverse<Queued<M, T>>>,
    horizon: SimTime,
    far: BTreeMap<u64, Vec<Queued<M, T>>>,
    seq_by_source: Vec<u64>,
    /// `seq` of the live timer per (agent, slot); 0 when none is pending.
    live_timer: Vec<u64>,
    /// Timers set and not yet fired or cancelled.
    timers_pending: usize,
}

impl<M, T: TimerKind> Scheduler<M, T> {
    /// An empty queue for agents `0..n_agents`.
    pub fn new(n_agents: usize) -> Self {
        assert!(
            n_agents * T::SLOTS < NOT_TRACKED as usize,
            "too many timer slots"
        );
        Scheduler {
            heap: BinaryHeap::new(),
            horizon: SimTime(BUCKET_US),
            far: BTreeMap::new(),
            seq_by_source: vec![0; n_agents],
            live_timer: vec![0; n_agents * T::SLOTS],
            timers_pending: 0,
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

    fn slot_index(agent: AgentId, kind: &T) -> Option<usize> {
        kind.slot().map(|slot| {
            debug_assert!(slot < T::SLOTS);
            agent.idx() * T::SLOTS + slot
        })
    }

    fn push(&mut self, queued: Queued<M, T>) {
        if queued.key.time < self.horizon {
            self.heap.push(Reverse(queued));
        } else {
            // No recycling of bucket vectors: a recycled near bucket's large capacity
            // would end up held by a sparse far bucket (measured: memory grew without
            // bound on `large`).
            self.far
                .entry(queued.key.time.0 / BUCKET_US)
                .or_default()
                .push(queued);
        }
    }

    /// Move the earliest far bucket into the (empty) heap; false when there is none.
    fn advance(&mut self) -> bool {
        let Some((bucket, events)) = self.far.pop_first() else {
            return false;
        };
        debug_assert!(self.heap.is_empty());
        self.horizon = SimTime((bucket + 1).saturating_mul(BUCKET_US));
        let mut heap = std::mem::take(&mut self.heap).into_vec();
        heap.extend(events.into_iter().map(Reverse));
        self.heap = BinaryHeap::from(heap);
        true
    }

    /// Schedule `message` from `source` to arrive at `target` at `time`.
    pub fn push_message(&mut self, time: SimTime, source: AgentId, target: AgentId, message: M) {
        assert!(
            target.idx() < self.seq_by_source.len(),
            "message to unknown agent {target:?}"
        );
        let key = self.next_key(time, source, target);
        self.push(Queued {
            key,
            tracked: NOT_TRACKED,
            payload: Payload::Message(message),
        });
    }

    /// Set (or move) `agent`'s timer of kind `kind` to fire at `time`.
    pub fn set_timer(&mut self, time: SimTime, agent: AgentId, kind: T) {
        let key = self.next_key(time, agent, agent);
        let tracked = match Self::slot_index(agent, &kind) {
            Some(i) => {
                if self.live_timer[i] == 0 {
                    self.timers_pending += 1;
                }
                self.live_timer[i] = key.seq;
                i as u32
            }
            None => {
                self.timers_pending += 1;
                NOT_TRACKED
            }
        };
        self.push(Queued {
            key,
            tracked,
            payload: Payload::Timer(kind),
        });
    }

    /// Cancel `agent`'s timer of kind `kind`; true if one was pending.
    pub fn cancel_timer(&mut self, agent: AgentId, kind: T) -> bool {
        let i = Self::slot_index(agent, &kind).expect("one-shot timers cannot be cancelled");
        let was = self.live_timer[i] != 0;
        if was {
            self.timers_pending -= 1;
        }
        self.live_timer[i] = 0;
        was
    }

    /// The key of the next live event, without removing it (stale timers are dropped).
    pub fn peek_key(&mut self) -> Option<EventKey> {
        loop {
            let Some(Reverse(top)) = self.heap.peek() else {
                if self.advance() {
                    continue;
                }
                return None;
            };
            if top.tracked == NOT_TRACKED || self.live_timer[top.tracked as usize] == top.key.seq {
                return Some(top.key);
            }
            self.heap.pop();
        }
    }

    /// Remove and return the next live event in key order.
    pub fn pop(&mut self) -> Option<Delivery<M, T>> {
        self.peek_key()?;
        Some(self.pop_peeked())
    }

    /// Remove the event [`Scheduler::peek_key`] just returned (it must have returned one).
    pub fn pop_peeked(&mut self) -> Delivery<M, T> {
        let Reverse(Queued {
            key,
            tracked,
            payload,
        }) = self.heap.pop().expect("peeked");
        if let Payload::Timer(_) = &payload {
            if tracked != NOT_TRACKED {
                self.live_timer[tracked as usize] = 0;
            }
            self.timers_pending -= 1;
        }
        Delivery { key, payload }
    }

    /// Number of live pending events.
    pub fn len(&self) -> usize {
        self.messages_in_flight().count() + self.timers_pending
    }

    /// True when nothing live is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every message in flight, in no particular order (for invariant checkers).
    pub fn messages_in_flight(&self) -> impl Iterator<Item = (&EventKey, &M)> {
        let near = self.heap.iter().map(|Reverse(q)| q);
        let far = self.far.values().flatten();
        near.chain(far).filter_map(|q| match &q.payload {
            Payload::Message(m) => Some((&q.key, m)),
            Payload::Timer(_) => None,
        })
    }
}

/// The model's handle on the world while it handles one event.
pub struct Context<'a, M, T: TimerKind> {
    now: SimTime,
    me: AgentId,
    scheduler: &'a mut Scheduler<M, T>,
}

impl<'a, M, T: TimerKind> Context<'a, M, T> {
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
}
