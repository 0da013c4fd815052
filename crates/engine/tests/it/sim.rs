//! The run loop and the context a model acts through: what the model sees (time,
//! identity), what its actions do (send, timers), and where a run stops.

use std::ops::ControlFlow;

use swarmlb_engine::{
    AgentId, Context, Delivery, EventKey, Handler, Limits, Payload, RunOutcome, SimTime,
    Simulation, StopReason, TimerKind,
};

/// Timers of the test model: a cancellable tick and a one-shot alarm.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum T {
    Tick,
    Alarm,
}

impl TimerKind for T {
    const SLOTS: usize = 1;
    fn slot(&self) -> Option<usize> {
        match self {
            T::Tick => Some(0),
            T::Alarm => None,
        }
    }
}

/// What the model saw of one event: the key, the context's time and identity, the payload.
type Seen = (EventKey, SimTime, AgentId, Payload<u32, T>);

/// A model that logs what it sees and acts by a script.
struct Script {
    seen: Vec<Seen>,
    act: fn(&mut Context<'_, u32, T>, &Delivery<u32, T>),
}

impl Handler for Script {
    type Msg = u32;
    type Timer = T;
    type Record = usize;

    fn handle(&mut self, ctx: &mut Context<'_, u32, T>, delivery: Delivery<u32, T>) -> usize {
        (self.act)(ctx, &delivery);
        self.seen
            .push((delivery.key, ctx.now(), ctx.me(), delivery.payload));
        self.seen.len()
    }
}

fn sim(act: fn(&mut Context<'_, u32, T>, &Delivery<u32, T>)) -> Simulation<Script> {
    Simulation::new(Script { seen: vec![], act }, 4)
}

fn key(time: u64, target: u32, source: u32, seq: u64) -> EventKey {
    EventKey {
        time: SimTime(time),
        target: AgentId(target),
        source: AgentId(source),
        seq,
    }
}

/// Message 0 is answered with message 1 to agent 0 after 3 µs; other messages do nothing.
fn answer(ctx: &mut Context<'_, u32, T>, d: &Delivery<u32, T>) {
    if d.payload == Payload::Message(0) {
        ctx.send(AgentId(0), 1, 3);
    }
}

#[test]
fn the_context_is_the_event_s_time_and_target() {
    let mut s = sim(answer);
    assert_eq!(s.now(), SimTime::ZERO);
    let agent = s.act_as(AgentId(1), |_, ctx| {
        assert_eq!(ctx.now(), SimTime::ZERO);
        ctx.send(AgentId(2), 0, 5);
        ctx.set_timer(T::Tick, 7);
        ctx.me()
    });
    assert_eq!(agent, AgentId(1));
    assert_eq!(s.scheduler().len(), 2);
    let outcome = s.run(Limits::until(SimTime::MAX), &mut ());
    assert_eq!(
        outcome,
        RunOutcome {
            reason: StopReason::Idle,
            events: 3
        }
    );
    assert_eq!(
        s.model.seen,
        [
            (key(5, 2, 1, 1), SimTime(5), AgentId(2), Payload::Message(0)),
            (
                key(7, 1, 1, 2),
                SimTime(7),
                AgentId(1),
                Payload::Timer(T::Tick)
            ),
            (key(8, 0, 2, 1), SimTime(8), AgentId(0), Payload::Message(1)),
        ]
    );
    assert_eq!(s.now(), SimTime(8));
    assert_eq!(s.events_total(), 3);
    assert!(s.scheduler().is_empty());
    // A later set-up acts at the time of the last event.
    s.act_as(AgentId(3), |_, ctx| assert_eq!(ctx.now(), SimTime(8)));
}

/// Message 0 sets the tick twice (the second moves it), an alarm, and a tick it cancels
/// on message 1.
fn timers(ctx: &mut Context<'_, u32, T>, d: &Delivery<u32, T>) {
    match d.payload {
        Payload::Message(0) => {
            ctx.set_timer(T::Tick, 10);
            ctx.set_timer(T::Tick, 20);
            ctx.set_timer(T::Alarm, 15);
        }
        Payload::Message(1) => {
            ctx.set_timer(T::Tick, 10);
            assert!(ctx.cancel_timer(T::Tick));
            assert!(!ctx.cancel_timer(T::Tick), "cancelled already");
        }
        _ => {}
    }
}

#[test]
fn timers_move_fire_once_and_cancel() {
    let mut s = sim(timers);
    s.act_as(AgentId(0), |_, ctx| {
        ctx.send(AgentId(1), 0, 100);
        ctx.send(AgentId(2), 1, 100);
    });
    s.run(Limits::until(SimTime::MAX), &mut ());
    let fired: Vec<_> = s
        .model
        .seen
        .iter()
        .map(|(k, _, me, p)| (k.time.0, me.0, p.clone()))
        .collect();
    assert_eq!(
        fired,
        [
            (100, 1, Payload::Message(0)),
            (100, 2, Payload::Message(1)),
            (115, 1, Payload::Timer(T::Alarm)),
            (120, 1, Payload::Timer(T::Tick)),
        ]
    );
}

/// Messages to agent 1 at times 10, 20, 30, 40 and 50.
fn five(s: &mut Simulation<Script>) {
    for t in [10, 20, 30, 40, 50] {
        s.scheduler_mut()
            .push_message(SimTime(t), AgentId(0), AgentId(1), t as u32);
    }
}

#[test]
fn no_event_at_or_after_until_is_handled() {
    let mut s = sim(answer);
    five(&mut s);
    let outcome = s.run(Limits::until(SimTime(20)), &mut ());
    assert_eq!(outcome.reason, StopReason::TimeLimit);
    assert_eq!(outcome.events, 1);
    assert_eq!(s.now(), SimTime(10));
    let outcome = s.run(Limits::until(SimTime(21)), &mut ());
    assert_eq!((outcome.reason, outcome.events), (StopReason::TimeLimit, 1));
    assert_eq!(s.now(), SimTime(20));
    assert_eq!(s.scheduler().len(), 3);
}

/// `events_max` counts every event since the simulation was created, not per call.
#[test]
fn the_event_limit_counts_from_the_start() {
    let mut s = sim(answer);
    five(&mut s);
    let limit = |events_max| Limits {
        until: SimTime::MAX,
        events_max,
    };
    let outcome = s.run(limit(3), &mut ());
    assert_eq!(
        (outcome.reason, outcome.events),
        (StopReason::EventLimit, 3)
    );
    let outcome = s.run(limit(2), &mut ());
    assert_eq!(
        (outcome.reason, outcome.events),
        (StopReason::EventLimit, 0)
    );
    assert_eq!(s.events_total(), 3);
    let outcome = s.run(limit(5), &mut ());
    assert_eq!(
        (outcome.reason, outcome.events),
        (StopReason::EventLimit, 2)
    );
    let outcome = s.run(limit(6), &mut ());
    assert_eq!((outcome.reason, outcome.events), (StopReason::Idle, 0));
    assert_eq!(s.now(), SimTime(50));
    assert_eq!(s.events_total(), 5);
}

#[test]
fn the_observer_sees_each_record_and_can_stop_the_run() {
    let mut s = sim(answer);
    five(&mut s);
    let mut records = vec![];
    let outcome = s.run(
        Limits::until(SimTime::MAX),
        &mut |k: &EventKey, r: &usize, m: &Script| {
            assert_eq!(
                m.seen.len(),
                *r,
                "the observer sees the model after the event"
            );
            records.push((k.time.0, *r));
            if *r == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    assert_eq!((outcome.reason, outcome.events), (StopReason::Observer, 2));
    assert_eq!(records, [(10, 1), (20, 2)]);
    assert_eq!(s.events_total(), 2);
    assert_eq!(s.now(), SimTime(20));
}
