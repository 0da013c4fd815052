//! The original model's variants (issue 14) switched on by bits, so fuzzing and property
//! tests reach every combination of them with one byte.

use crate::scenario::{
    Butterfly, Dur, HandoffStyle, LifespanClock, Overflow, Population, PullStyle, Scenario,
    VictimPick,
};

/// Switch on the variants whose bits are set in `bits`: 0 classic pull, 1 spread hand-off,
/// 2 scale-out on overflow (with a 10 ms provisioning delay and an attempt time-out long
/// enough for it), 3 lifespan counted while connected, 4 the population rule (cap: half
/// of `users.count` plus one), 5 a butterfly at half the run on a server-then-user victim, 6 no
/// termination grace. The result is valid if `scenario` was.
pub fn apply(scenario: &mut Scenario, bits: u8) {
    let bit = |i: u8| bits & (1 << i) != 0;
    if bit(0) {
        scenario.servers.pull = PullStyle::Classic;
    }
    if bit(1) {
        scenario.servers.handoff = HandoffStyle::Spread;
    }
    if bit(2) {
        scenario.servers.overflow = Overflow::ScaleOut;
        scenario.servers.provisioning_delay = Dur::millis(10);
        let answer = scenario.servers.provisioning_delay.us()
            + (u64::from(scenario.servers.max_hops) + 2) * scenario.network.latency_max.us();
        let patience = scenario.users.attempt_timeout.us().max(answer + 1);
        scenario.users.attempt_timeout = Dur(patience);
    }
    if bit(3) {
        scenario.users.lifespan_clock = LifespanClock::WhileConnected;
    }
    if bit(4) {
        let cap = 1 + scenario.users.count / 2;
        scenario.users.population = Some(Population {
            initial: cap / 2,
            floor: cap / 3,
            cap,
            spawn_chance: 0.5,
            step: Dur::secs(1),
        });
    }
    if bit(5) {
        let at = scenario.duration.us() / 2;
        scenario.butterfly = Some(Butterfly {
            at: Some(Dur(at)),
            victim: VictimPick::ServerThenUser,
            ..scenario.butterfly.clone().unwrap_or_default()
        });
    }
    if bit(6) {
        scenario.servers.terminate_grace = Dur::secs(0);
    }
}
