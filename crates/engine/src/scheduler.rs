//! The event queue: causally ordered keys in time buckets, with cancellable timers.
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
//! the front of the queue. No hashing on the hot path: measured against an indexed heap
//! (`priority-queue`, the first version of this module) it is what makes a model with
//! 100,000 heart-beating users run several times faster (see BENCHMARKS.md).
//!
//! An agent's `seq` counter and its live-timer numbers share one 64-byte line,
//! so handling an event costs at most one cache miss here, and
//! [`Scheduler::prefetch_next`] can start that miss early.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::buckets::Buckets;
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

/// A queued event: the key (unique, so it alone decides the order) and the payload.
/// Nothing else: every byte here is moved by every sort and heap operation.
struct Queued<M, T> {
    key: EventKey,
    payload: Payload<M, T>,
}

impl<M, T: TimerKind> Queued<M, T> {
    /// The (agent, slot) whose live-timer number decides whether this is current, for
    /// timers that can be cancelled; `None` for messages and one-shot timers.
    fn tracked(&self) -> Option<(usize, usize)> {
        match &self.payload {
            Payload::Timer(kind) => kind.slot().map(|slot| (self.key.target.idx(), slot)),
            Payload::Message(_) => None,
        }
    }
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

/// Timer slots that fit in one cache line beside the `seq` counter.
const MAX_SLOTS: usize = 7;

/// What the scheduler keeps per agent: the running count of events it scheduled, then
/// the `seq` of its live timer per slot (0 when none is pending). With timer slots, each
/// agent has one 64-byte-aligned cache line (8 words); without, one word, so that a
/// model without timers (PHOLD) keeps all its agents in a few lines.
struct AgentWords {
    words: Vec<u64>,
    /// Index of the first 64-byte-aligned word (the vector never reallocates).
    first: usize,
    stride: usize,
}

impl AgentWords {
    fn new(n_agents: usize, slots: usize) -> Self {
        let stride = if slots == 0 { 1 } else { 8 };
        let words = vec![0; n_agents * stride + 7];
        let first = words.as_ptr().align_offset(64).min(7);
        AgentWords {
            words,
            first,
            stride,
        }
    }

    fn len(&self) -> usize {
        (self.words.len() - 7) / self.stride
    }

    fn seq(&mut self, agent: usize) -> &mut u64 {
        &mut self.words[self.first + agent * self.stride]
    }

    fn live_timer(&mut self, agent: usize, slot: usize) -> &mut u64 {
        debug_assert!(slot < self.stride - 1);
        &mut self.words[self.first + agent * self.stride + 1 + slot]
    }

    fn prefetch(&self, agent: usize) {
        crate::prefetch(&self.words[self.first + agent * self.stride]);
    }
}

/// Width of one far-future bucket in µs (65.5 ms; measured best of 2^14..2^20 on the
/// 100,000-user model: small enough that the current bucket stays in cache).
const BUCKET_US: u64 = 1 << 16;

/// How many events ahead [`Scheduler::prefetch_next`] asks for the scheduler's and the
/// model's state (measured on `large`: 1 leaves most of a miss exposed, beyond 8 the
/// lines are evicted again before use).
const PREFETCH_AHEAD: usize = 8;

/// The pending events of a simulation.
///
/// Events wait unsorted in per-bucket vectors (`buckets.rs`). When a
/// bucket comes up it is sorted once into `current` (descending, so the next event is at
/// the end and popping is O(1) and sequential in memory); events scheduled into the
/// current bucket after that (short message latencies) go to the small `late` heap. The
/// next event is the smaller of the two fronts, so the pop order is exactly the key order.
/// Knowing the next few events in advance also lets the run loop prefetch their state.
pub struct Scheduler<M, T: TimerKind> {
    current: Vec<Queued<M, T>>,
    /// Entries of `current` from this index up have been prefetched.
    prefetched_from: usize,
    late: BinaryHeap<Reverse<Queued<M, T>>>,
    /// The late event last prefetched (so that a hint is not repeated every event).
    late_prefetched: Option<EventKey>,
    horizon: SimTime,
    far: Buckets<Queued<M, T>>,
    agents: AgentWords,
    /// Timers set and not yet fired or cancelled.
    timers_pending: usize,
}

impl<M, T: TimerKind> Scheduler<M, T> {
    /// An empty queue for agents `0..n_agents`.
    pub fn new(n_agents: usize) -> Self {
        assert!(T::SLOTS <= MAX_SLOTS, "at most {MAX_SLOTS} timer slots");
        Scheduler {
            current: Vec::new(),
            prefetched_from: 0,
            late: BinaryHeap::new(),
            late_prefetched: None,
            horizon: SimTime(BUCKET_US),
            far: Buckets::new(),
            agents: AgentWords::new(n_agents, T::SLOTS),
            timers_pending: 0,
        }
    }

    /// Number of agents the queue was sized for.
    pub fn n_agents(&self) -> usize {
        self.agents.len()
    }

    fn next_key(&mut self, time: SimTime, source: AgentId, target: AgentId) -> EventKey {
        let seq = self.agents.seq(source.idx());
        *seq += 1;
        EventKey {
            time,
            target,
            source,
            seq: *seq,
        }
    }

    /// The live-timer number of (agent, slot).
    fn live_timer(&mut self, (agent, slot): (usize, usize)) -> &mut u64 {
        debug_assert!(slot < T::SLOTS);
        self.agents.live_timer(agent, slot)
    }

    fn push(&mut self, queued: Queued<M, T>) {
        if queued.key.time < self.horizon {
            self.late.push(Reverse(queued));
        } else {
            // No recycling of bucket vectors: a recycled near bucket's large capacity
            // would end up held by a sparse far bucket (measured: memory grew without
            // bound on `large`).
            self.far.push(queued.key.time.0 / BUCKET_US, queued);
        }
    }

    /// Sort the earliest far bucket into `current` (both near levels are empty); false
    /// when there is none.
    fn advance(&mut self) -> bool {
        let Some((bucket, mut events)) = self.far.pop_first() else {
            return false;
        };
        debug_assert!(self.current.is_empty() && self.late.is_empty());
        self.horizon = SimTime((bucket + 1).saturating_mul(BUCKET_US));
        events.sort_unstable_by_key(|q| Reverse(q.key));
        self.prefetched_from = events.len();
        self.current = events;
        true
    }

    /// The earliest queued entry (live or stale) and whether it is in `late`.
    fn front(&self) -> Option<(&Queued<M, T>, bool)> {
        match (self.current.last(), self.late.peek()) {
            (Some(c), Some(Reverse(l))) if l.key < c.key => Some((l, true)),
            (Some(c), _) => Some((c, false)),
            (None, Some(Reverse(l))) => Some((l, true)),
            (None, None) => None,
        }
    }

    /// Remove the earliest queued entry; `in_late` as [`Scheduler::front`] said.
    fn remove_front(&mut self, in_late: bool) -> Queued<M, T> {
        let queued = if in_late {
            self.late.pop().map(|Reverse(q)| q)
        } else {
            self.current.pop()
        };
        queued.expect("front exists")
    }

    /// Schedule `message` from `source` to arrive at `target` at `time`.
    pub fn push_message(&mut self, time: SimTime, source: AgentId, target: AgentId, message: M) {
        assert!(
            target.idx() < self.agents.len(),
            "message to unknown agent {target:?}"
        );
        let key = self.next_key(time, source, target);
        self.push(Queued {
            key,
            payload: Payload::Message(message),
        });
    }

    /// Set (or move) `agent`'s timer of kind `kind` to fire at `time`.
    pub fn set_timer(&mut self, time: SimTime, agent: AgentId, kind: T) {
        let key = self.next_key(time, agent, agent);
        let queued = Queued {
            key,
            payload: Payload::Timer(kind),
        };
        match queued.tracked() {
            Some(tracked) => {
                let live = self.live_timer(tracked);
                let was_pending = *live != 0;
                *live = key.seq;
                self.timers_pending += usize::from(!was_pending);
            }
            None => self.timers_pending += 1,
        }
        self.push(queued);
    }

    /// Cancel `agent`'s timer of kind `kind`; true if one was pending.
    pub fn cancel_timer(&mut self, agent: AgentId, kind: T) -> bool {
        let slot = kind.slot().expect("one-shot timers cannot be cancelled");
        let live = self.live_timer((agent.idx(), slot));
        let was = *live != 0;
        *live = 0;
        self.timers_pending -= usize::from(was);
        was
    }

    /// The key of the next live event, without removing it (stale timers are dropped).
    pub fn peek_key(&mut self) -> Option<EventKey> {
        loop {
            let Some((top, in_late)) = self.front() else {
                if self.advance() {
                    continue;
                }
                return None;
            };
            let (tracked, key) = (top.tracked(), top.key);
            if tracked.is_none_or(|t| *self.live_timer(t) == key.seq) {
                return Some(key);
            }
            self.remove_front(in_late);
        }
    }

    /// Remove and return the next live event in key order.
    pub fn pop(&mut self) -> Option<Delivery<M, T>> {
        self.peek_key()?;
        Some(self.pop_peeked())
    }

    /// Remove the event [`Scheduler::peek_key`] just returned (it must have returned one).
    pub fn pop_peeked(&mut self) -> Delivery<M, T> {
        let in_late = self.front().expect("peeked").1;
        let queued = self.remove_front(in_late);
        if let Payload::Timer(_) = &queued.payload {
            if let Some(tracked) = queued.tracked() {
                *self.live_timer(tracked) = 0;
            }
            self.timers_pending -= 1;
        }
        Delivery {
            key: queued.key,
            payload: queued.payload,
        }
    }

    /// Start loading the scheduler's lines of the agents coming events are for, and hand
    /// each such agent to `model` so that it can prefetch its own state too: every event
    /// up to a few places ahead in the sorted bucket (stale timers dropped since the last
    /// call included), and the first late ones. Only a hint: an event may be a stale
    /// timer, and events pushed later may come first.
    pub fn prefetch_next(&mut self, mut model: impl FnMut(AgentId)) {
        let mut hint = |agent: AgentId| {
            self.agents.prefetch(agent.idx());
            model(agent);
        };
        let from = self.current.len().saturating_sub(PREFETCH_AHEAD);
        let to = self.prefetched_from.min(self.current.len());
        for queued in self.current[from.min(to)..to].iter().rev() {
            hint(queued.key.target);
        }
        self.prefetched_from = from.min(to);
        if let Some(Reverse(queued)) = self.late.peek()
            && self.late_prefetched != Some(queued.key)
        {
            hint(queued.key.target);
            self.late_prefetched = Some(queued.key);
        }
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
        let near = self
            .current
            .iter()
            .chain(self.late.iter().map(|Reverse(q)| q));
        let far = self.far.iter();
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
