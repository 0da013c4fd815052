use std::collections::BTreeMap;

use swarmlb_engine::{AgentId, EventKey, Payload, Scheduler, SimTime, TimerKind};

/// A test timer kind: kinds 0..7 have their own cancellable slot, larger ones are
/// one-shot timers that always fire.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct K(u32);

impl TimerKind for K {
    const SLOTS: usize = 7;
    fn slot(&self) -> Option<usize> {
        (self.0 < 7).then_some(self.0 as usize)
    }
}

#[test]
fn pops_in_key_order_time_then_target_then_source() {
    let mut s: Scheduler<&str, K> = Scheduler::new(4);
    s.push_message(SimTime(10), AgentId(2), AgentId(1), "late");
    s.push_message(SimTime(5), AgentId(3), AgentId(2), "t5-to2");
    s.push_message(SimTime(5), AgentId(0), AgentId(1), "t5-to1-from0");
    s.push_message(SimTime(5), AgentId(3), AgentId(1), "t5-to1-from3");
    s.set_timer(SimTime(5), AgentId(1), K(7));
    let mut order = vec![];
    while let Some(d) = s.pop() {
        order.push(match d.payload {
            Payload::Message(m) => m.to_string(),
            Payload::Timer(k) => format!("timer{}", k.0),
        });
    }
    assert_eq!(
        order,
        ["t5-to1-from0", "timer7", "t5-to1-from3", "t5-to2", "late"]
    );
}

#[test]
fn timers_cancel_and_move() {
    let mut s: Scheduler<(), K> = Scheduler::new(2);
    s.set_timer(SimTime(100), AgentId(0), K(1));
    s.set_timer(SimTime(50), AgentId(0), K(2));
    s.set_timer(SimTime(200), AgentId(1), K(1));
    assert_eq!(s.len(), 3);
    s.set_timer(SimTime(10), AgentId(0), K(1)); // moved earlier
    assert_eq!(s.len(), 3, "moving a timer does not add one");
    assert!(s.cancel_timer(AgentId(0), K(2)));
    assert!(!s.cancel_timer(AgentId(0), K(2)));
    s.set_timer(SimTime(300), AgentId(1), K(1)); // moved later
    let first = s.pop().unwrap();
    assert_eq!(first.key.time, SimTime(10));
    assert_eq!(first.payload, Payload::Timer(K(1)));
    let second = s.pop().unwrap();
    assert_eq!(
        (second.key.time, second.key.target),
        (SimTime(300), AgentId(1))
    );
    assert!(
        s.pop().is_none(),
        "cancelled and moved timers fire once, at their last time"
    );
    assert!(s.is_empty());
}

#[test]
fn sequence_is_per_source_so_other_sources_do_not_shift_keys() {
    // Agent 0 sending an extra message must not change the key of agent 1's message.
    let key_of_agent1 = |extra: bool| {
        let mut s: Scheduler<u8, K> = Scheduler::new(3);
        if extra {
            s.push_message(SimTime(1), AgentId(0), AgentId(2), 0);
        }
        s.push_message(SimTime(9), AgentId(1), AgentId(2), 1);
        let mut keys = vec![];
        while let Some(d) = s.pop() {
            if d.payload == Payload::Message(1) {
                keys.push(d.key);
            }
        }
        keys
    };
    assert_eq!(key_of_agent1(false), key_of_agent1(true));
}

proptest::proptest! {
    #[test]
    fn pop_order_is_sorted_and_complete(
        ops in proptest::collection::vec((0u64..50, 0u32..4, 0u32..4, proptest::bool::ANY), 0..200)
    ) {
        let mut s: Scheduler<u32, K> = Scheduler::new(4);
        let mut n_expected = 0;
        for (i, (t, from, to, is_timer)) in ops.iter().enumerate() {
            if *is_timer {
                // Distinct one-shot kinds so none overwrite each other.
                s.set_timer(SimTime(*t), AgentId(*to), K(7 + i as u32));
            } else {
                s.push_message(SimTime(*t), AgentId(*from), AgentId(*to), i as u32);
            }
            n_expected += 1;
        }
        let mut last = None;
        let mut n = 0;
        while let Some(d) = s.pop() {
            if let Some(prev) = last {
                proptest::prop_assert!(prev < d.key);
            }
            last = Some(d.key);
            n += 1;
        }
        proptest::prop_assert_eq!(n, n_expected);
    }
}

/// One step of [`matches_a_sorted_map_with_cancellation`].
#[derive(Copy, Clone, Debug)]
enum Op {
    Message { delay: u64, from: u32, to: u32 },
    SetTimer { delay: u64, agent: u32, kind: u32 },
    Cancel { agent: u32, kind: u32 },
    Pop,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    // Delays up to ~5 buckets of the scheduler (65.5 ms each), mostly short ones, so that
    // events land in the current bucket, in later ones, and in the current one after it
    // was sorted (the late heap); and a few beyond the ring of near buckets (71 minutes).
    let delay = prop_oneof![
        4 => 0u64..2_000,
        4 => 0u64..400_000,
        1 => 4_200_000_000u64..4_400_000_000,
    ];
    prop_oneof![
        (delay.clone(), 0u32..4, 0u32..4).prop_map(|(delay, from, to)| Op::Message {
            delay,
            from,
            to
        }),
        (delay, 0u32..4, 0u32..3).prop_map(|(delay, agent, kind)| Op::SetTimer {
            delay,
            agent,
            kind
        }),
        (0u32..4, 0u32..3).prop_map(|(agent, kind)| Op::Cancel { agent, kind }),
        Just(Op::Pop),
        Just(Op::Pop),
    ]
}

/// Against a reference: a sorted map of every pending event, where moving or cancelling a
/// timer removes its old entry at once. Pops, interleaved with pushes at the current time,
/// must return the same events in the same order.
fn matches_the_reference(ops: Vec<Op>) -> Result<(), proptest::test_runner::TestCaseError> {
    let mut s: Scheduler<u32, K> = Scheduler::new(4);
    let mut reference: BTreeMap<EventKey, Payload<u32, K>> = BTreeMap::new();
    let mut live: BTreeMap<(u32, u32), EventKey> = BTreeMap::new();
    let mut seq = [0u64; 4];
    let mut now = SimTime(0);
    let mut key = |time: SimTime, source: u32, target: u32| {
        seq[source as usize] += 1;
        EventKey {
            time,
            target: AgentId(target),
            source: AgentId(source),
            seq: seq[source as usize],
        }
    };
    let pop_both = |s: &mut Scheduler<u32, K>,
                    reference: &mut BTreeMap<EventKey, Payload<u32, K>>,
                    live: &mut BTreeMap<(u32, u32), EventKey>| {
        let expected = reference.pop_first();
        if let Some((k, Payload::Timer(kind))) = &expected {
            live.remove(&(k.target.0, kind.0));
        }
        let got = s.pop().map(|d| (d.key, d.payload));
        (got, expected)
    };
    for (i, op) in ops.into_iter().enumerate() {
        match op {
            Op::Message { delay, from, to } => {
                let k = key(now.plus(delay), from, to);
                s.push_message(k.time, AgentId(from), AgentId(to), i as u32);
                reference.insert(k, Payload::Message(i as u32));
            }
            Op::SetTimer { delay, agent, kind } => {
                let k = key(now.plus(delay), agent, agent);
                s.set_timer(k.time, AgentId(agent), K(kind));
                if let Some(old) = live.insert((agent, kind), k) {
                    reference.remove(&old);
                }
                reference.insert(k, Payload::Timer(K(kind)));
            }
            Op::Cancel { agent, kind } => {
                let was = live
                    .remove(&(agent, kind))
                    .map(|old| reference.remove(&old));
                proptest::prop_assert_eq!(s.cancel_timer(AgentId(agent), K(kind)), was.is_some());
            }
            Op::Pop => {
                let (got, expected) = pop_both(&mut s, &mut reference, &mut live);
                proptest::prop_assert_eq!(&got, &expected);
                if let Some((k, _)) = got {
                    now = k.time;
                }
            }
        }
        proptest::prop_assert_eq!(s.len(), reference.len());
    }
    loop {
        let (got, expected) = pop_both(&mut s, &mut reference, &mut live);
        proptest::prop_assert_eq!(&got, &expected);
        if got.is_none() {
            break;
        }
    }
    Ok(())
}

proptest::proptest! {
    #[test]
    fn matches_a_sorted_map_with_cancellation(ops in proptest::collection::vec(op(), 0..300)) {
        matches_the_reference(ops)?;
    }
}

// Proptest's saved failures (proptest-regressions/scheduler.txt), kept as named tests.
use Op::{Cancel, Message, Pop, SetTimer};

fn m(delay: u64) -> Op {
    Message {
        delay,
        from: 0,
        to: 0,
    }
}

#[test]
fn regression_messages_a_bucket_apart_interleaved_with_pops_and_a_timer() {
    let ops = vec![
        m(0),
        m(0),
        m(0),
        m(0),
        m(65_536),
        m(0),
        m(65_536),
        Pop,
        Pop,
        Pop,
        m(65_620),
        Pop,
        Pop,
        m(0),
        Pop,
        Pop,
        SetTimer {
            delay: 0,
            agent: 0,
            kind: 0,
        },
        m(0),
    ];
    matches_the_reference(ops).unwrap();
}

#[test]
fn regression_far_future_messages_a_cancel_and_pops_at_the_current_time() {
    let timer = SetTimer {
        delay: 0,
        agent: 0,
        kind: 0,
    };
    let ops = vec![
        m(0),
        m(0),
        m(0),
        m(0),
        Pop,
        m(0),
        Pop,
        Pop,
        m(0),
        m(0),
        m(0),
        m(0),
        m(0),
        timer,
        Pop,
        Pop,
        m(4_200_000_000),
        Pop,
        Pop,
        Pop,
        timer,
        m(0),
        m(0),
        Pop,
        m(0),
        Pop,
        m(4_294_967_296),
        timer,
        m(0),
        Pop,
        m(0),
        Pop,
        Pop,
        Cancel { agent: 0, kind: 0 },
        Pop,
        m(0),
        Pop,
        Pop,
        Pop,
        m(0),
        m(4_200_000_000),
        m(0),
        Pop,
        Pop,
        m(0),
        m(0),
        Pop,
        Pop,
        m(0),
        Pop,
        Pop,
        m(65_536),
    ];
    matches_the_reference(ops).unwrap();
}

#[test]
fn regression_no_operations_at_all() {
    matches_the_reference(Vec::new()).unwrap();
}

/// Width of the scheduler's far-future buckets in µs (`BUCKET_US` in scheduler.rs).
const BUCKET_US: u64 = 1 << 16;

fn pop_all<M: Copy, T: TimerKind>(s: &mut Scheduler<M, T>) -> Vec<M> {
    let mut out = vec![];
    while let Some(d) = s.pop() {
        if let Payload::Message(m) = d.payload {
            out.push(m);
        }
    }
    out
}

/// An event exactly at the current bucket's horizon, scheduled after the bucket was
/// sorted, ties in time with one scheduled into the next bucket before: the key, not
/// the moment of scheduling or the level it waits in, decides.
#[test]
fn an_event_at_the_bucket_horizon_ties_by_key() {
    let mut s: Scheduler<&str, K> = Scheduler::new(4);
    let horizon = SimTime(2 * BUCKET_US);
    s.push_message(horizon, AgentId(3), AgentId(1), "y: next bucket, target 1");
    s.push_message(SimTime(BUCKET_US + 5), AgentId(3), AgentId(0), "a");
    assert_eq!(s.pop().unwrap().payload, Payload::Message("a"));
    // The current bucket ends just before `horizon`.
    s.push_message(
        horizon,
        AgentId(0),
        AgentId(2),
        "x: at the horizon, target 2",
    );
    s.push_message(
        horizon,
        AgentId(0),
        AgentId(0),
        "w: at the horizon, target 0",
    );
    s.push_message(
        SimTime(2 * BUCKET_US - 1),
        AgentId(0),
        AgentId(3),
        "v: before it",
    );
    assert_eq!(
        pop_all(&mut s),
        [
            "v: before it",
            "w: at the horizon, target 0",
            "y: next bucket, target 1",
            "x: at the horizon, target 2"
        ]
    );
}

/// Events an hour and more ahead wait outside the ring of near buckets, up to the end
/// of time, and still come out in order.
#[test]
fn events_far_beyond_the_ring_come_out_in_order() {
    let mut s: Scheduler<u64, K> = Scheduler::new(2);
    let times = [
        SimTime::MAX.0 - 1,
        BUCKET_US << 16,
        (BUCKET_US << 16) - 1,
        (BUCKET_US << 16) + BUCKET_US,
        3,
        BUCKET_US * 70_000,
    ];
    for t in times {
        s.push_message(SimTime(t), AgentId(0), AgentId(1), t);
    }
    let mut sorted = times.to_vec();
    sorted.sort();
    assert_eq!(s.len(), times.len());
    assert_eq!(pop_all(&mut s), sorted);
    assert!(s.is_empty());
}

#[test]
fn n_agents_len_and_is_empty() {
    let mut s: Scheduler<u8, K> = Scheduler::new(5);
    assert_eq!(s.n_agents(), 5);
    assert_eq!(Scheduler::<u8, ()>::new(5).n_agents(), 5);
    assert_eq!(Scheduler::<u8, K>::new(0).n_agents(), 0);
    assert!(s.is_empty());
    assert_eq!(s.len(), 0);
    s.push_message(SimTime(1), AgentId(0), AgentId(4), 9);
    assert!(!s.is_empty());
    s.set_timer(SimTime(2), AgentId(4), K(0));
    s.set_timer(SimTime(3), AgentId(4), K(9));
    assert_eq!(s.len(), 3);
    let in_flight: Vec<_> = s.messages_in_flight().map(|(k, m)| (*k, *m)).collect();
    let key = EventKey {
        time: SimTime(1),
        target: AgentId(4),
        source: AgentId(0),
        seq: 1,
    };
    assert_eq!(in_flight, [(key, 9)]);
    assert_eq!(s.peek_key(), Some(key));
    assert_eq!(s.pop().map(|d| d.key), Some(key));
    assert_eq!(s.len(), 2);
}

/// Each agent counts the events it scheduled, timers included, from 1: the counts of
/// different agents (which share the scheduler's per-agent words) never mix.
#[test]
fn seq_counts_per_source_from_one() {
    for n in [3usize, 9] {
        let mut s: Scheduler<u8, K> = Scheduler::new(n);
        let last = AgentId(n as u32 - 1);
        s.push_message(SimTime(1), AgentId(0), last, 0);
        s.set_timer(SimTime(2), AgentId(0), K(1));
        s.push_message(SimTime(3), last, AgentId(0), 1);
        s.push_message(SimTime(4), AgentId(0), AgentId(1), 2);
        s.set_timer(SimTime(5), last, K(0));
        let keys: Vec<_> = std::iter::from_fn(|| s.pop())
            .map(|d| (d.key.source.0, d.key.seq))
            .collect();
        let l = last.0;
        assert_eq!(keys, [(0, 1), (0, 2), (l, 1), (0, 3), (l, 2)]);
    }
}

/// `prefetch_next` hints the targets of the next events of the sorted bucket, each once
/// and in pop order, up to 8 ahead, and the front of the late heap once.
#[test]
fn prefetch_hints_each_coming_target_once() {
    let mut s: Scheduler<u32, K> = Scheduler::new(32);
    for i in 0..20 {
        s.push_message(SimTime(BUCKET_US + i), AgentId(31), AgentId(i as u32), 0);
    }
    let hints = |s: &mut Scheduler<u32, K>| {
        let mut seen = vec![];
        s.prefetch_next(|a| seen.push(a.0));
        seen
    };
    assert_eq!(s.pop().unwrap().key.target, AgentId(0));
    assert_eq!(hints(&mut s), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(hints(&mut s), [] as [u32; 0]);
    assert_eq!(s.pop().unwrap().key.target, AgentId(1));
    assert_eq!(hints(&mut s), [9]);
    // Into the sorted bucket after it was sorted: the late heap.
    s.push_message(SimTime(BUCKET_US + 100), AgentId(31), AgentId(30), 0);
    assert_eq!(hints(&mut s), [30]);
    assert_eq!(hints(&mut s), [] as [u32; 0]);
    for _ in 0..17 {
        s.pop();
    }
    // The last event of the bucket is within reach now, and was never hinted.
    assert_eq!(hints(&mut s), [19]);
    assert_eq!(s.pop().unwrap().key.target, AgentId(19));
    assert_eq!(s.pop().unwrap().key.target, AgentId(30));
    assert_eq!(hints(&mut s), [] as [u32; 0]);
    assert!(s.pop().is_none());
}

/// A model without timer kinds (`()`) has only one-shot timers: no slot, and setting one
/// twice makes two that both fire.
#[test]
fn unit_timers_are_one_shot() {
    assert_eq!(().slot(), None);
    let mut s: Scheduler<u8, ()> = Scheduler::new(2);
    s.set_timer(SimTime(5), AgentId(1), ());
    s.set_timer(SimTime(6), AgentId(1), ());
    assert_eq!(s.len(), 2);
    let fired: Vec<_> = std::iter::from_fn(|| s.pop()).map(|d| d.key.time).collect();
    assert_eq!(fired, [SimTime(5), SimTime(6)]);
}
