//! The run loop: pop the next event, hand it to the model, show the result to an observer.

use std::ops::ControlFlow;

use crate::scheduler::{AgentId, Context, Delivery, EventKey, Scheduler, TimerKind};
use crate::time::SimTime;

/// A model the engine can drive.
pub trait Handler {
    /// Messages between agents.
    type Msg;
    /// Timer kinds; an agent has at most one pending timer per kind.
    type Timer: TimerKind;
    /// What handling one event produced, shown to the observer (the trace record).
    type Record;

    /// Handle one event addressed to `delivery.key.target`.
    fn handle(
        &mut self,
        ctx: &mut Context<'_, Self::Msg, Self::Timer>,
        delivery: Delivery<Self::Msg, Self::Timer>,
    ) -> Self::Record;

    /// Whether the run loop should prefetch the state of the agents a few events ahead:
    /// worth it when agents' state does not fit in the cache (a model with 100,000
    /// users), pure overhead when it does (PHOLD's 1,000 counters). Off by default.
    const PREFETCH: bool = false;

    /// A hint that `agent` probably handles an event soon: start loading its state (see
    /// [`crate::prefetch()`]). Must not change anything observable; called only when
    /// [`Handler::PREFETCH`] is set, and does nothing by default.
    fn prefetch(&self, agent: AgentId) {
        let _ = agent;
    }
}

/// Sees every event after the model handled it; can stop the run.
pub trait Observer<H: Handler> {
    /// Called once per event, in order.
    fn on_event(&mut self, key: &EventKey, record: &H::Record, model: &H) -> ControlFlow<()>;
}

impl<H: Handler> Observer<H> for () {
    fn on_event(&mut self, _: &EventKey, _: &H::Record, _: &H) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

impl<H: Handler, F: FnMut(&EventKey, &H::Record, &H) -> ControlFlow<()>> Observer<H> for F {
    fn on_event(&mut self, key: &EventKey, record: &H::Record, model: &H) -> ControlFlow<()> {
        self(key, record, model)
    }
}

/// Where a run stops.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// No event at or after this time is handled.
    pub until: SimTime,
    /// At most this many events in total (since the simulation was created).
    pub events_max: u64,
}

impl Limits {
    /// Run until `until`, with no practical event limit.
    pub fn until(until: SimTime) -> Self {
        Limits {
            until,
            events_max: u64::MAX,
        }
    }
}

/// Why a run stopped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The next event is at or after `Limits::until`.
    TimeLimit,
    /// `Limits::events_max` events were handled.
    EventLimit,
    /// Nothing is left to happen.
    Idle,
    /// The observer asked to stop.
    Observer,
}

/// The result of [`Simulation::run`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// Why it stopped.
    pub reason: StopReason,
    /// Events handled during this call.
    pub events: u64,
}

/// A model plus its pending events and clock.
pub struct Simulation<H: Handler> {
    /// The model; readable between runs (metrics, invariant checks).
    pub model: H,
    scheduler: Scheduler<H::Msg, H::Timer>,
    now: SimTime,
    events_total: u64,
}

impl<H: Handler> Simulation<H> {
    /// A simulation of `model` with agents `0..n_agents`.
    pub fn new(model: H, n_agents: usize) -> Self {
        Simulation {
            model,
            scheduler: Scheduler::new(n_agents),
            now: SimTime::ZERO,
            events_total: 0,
        }
    }

    /// The time of the last handled event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events handled so far.
    pub fn events_total(&self) -> u64 {
        self.events_total
    }

    /// The pending events (to seed initial events, or inspect in tests).
    pub fn scheduler(&self) -> &Scheduler<H::Msg, H::Timer> {
        &self.scheduler
    }

    /// Mutable access to the pending events, to seed the initial events before a run.
    pub fn scheduler_mut(&mut self) -> &mut Scheduler<H::Msg, H::Timer> {
        &mut self.scheduler
    }

    /// Run a closure as agent `agent` at the current time (initial set-up).
    pub fn act_as<R>(
        &mut self,
        agent: AgentId,
        f: impl FnOnce(&mut H, &mut Context<'_, H::Msg, H::Timer>) -> R,
    ) -> R {
        let mut ctx = Context::new(self.now, agent, &mut self.scheduler);
        f(&mut self.model, &mut ctx)
    }

    /// Handle events until a limit, the end of events, or the observer says stop.
    pub fn run(&mut self, limits: Limits, observer: &mut impl Observer<H>) -> RunOutcome {
        let mut events = 0;
        let reason = loop {
            if self.events_total >= limits.events_max {
                break StopReason::EventLimit;
            }
            let Some(next) = self.scheduler.peek_key() else {
                break StopReason::Idle;
            };
            if next.time >= limits.until {
                break StopReason::TimeLimit;
            }
            let delivery = self.scheduler.pop_peeked();
            if H::PREFETCH {
                self.scheduler
                    .prefetch_next(|agent| self.model.prefetch(agent));
            }
            let key = delivery.key;
            debug_assert!(
                key.time >= self.now,
                "time went back: {key:?} before {}",
                self.now
            );
            self.now = key.time;
            let record = {
                let mut ctx = Context::new(key.time, key.target, &mut self.scheduler);
                self.model.handle(&mut ctx, delivery)
            };
            self.events_total += 1;
            events += 1;
            if observer.on_event(&key, &record, &self.model).is_break() {
                break StopReason::Observer;
            }
        };
        RunOutcome { reason, events }
    }
}
