use swarmlb_engine::{AgentId, Payload, Scheduler, SimTime, TimerKind};

/// A test timer kind: every value has its own slot.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct K(u32);

impl TimerKind for K {
    const SLOTS: usize = 256;
    fn slot(&self) -> Option<usize> {
        Some(self.0 as usize % 256)
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
                // Distinct kinds so none overwrite each other.
                s.set_timer(SimTime(*t), AgentId(*to), K(i as u32));
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
