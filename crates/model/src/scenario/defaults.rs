//! The defaults of every table a scenario file may leave out: the built-in `default`
//! scenario's values (design.md: about 20 servers of capacity 50, 800 users, lifespans of
//! a few minutes, millisecond latencies, a one-hour run).

use super::{Coordinator, Dist, Dur, Network, Policy, Scenario, Servers, Users};
use super::{HandoffStyle, LifespanClock, Overflow, PullStyle};

impl Default for Network {
    fn default() -> Self {
        Network {
            latency_min: Dur::millis(1),
            latency_max: Dur::millis(5),
            loss: 0.0,
            directory_refresh: Dur::secs(30),
        }
    }
}

impl Default for Servers {
    fn default() -> Self {
        Servers {
            initial: 20,
            capacity: 50,
            max_servers: 40,
            high_watermark: 0.9,
            low_watermark: 0.5,
            pull_target: 0.6,
            terminate_watermark: 0.3,
            terminate_grace: Dur::secs(60),
            max_hops: 3,
            view_size: 8,
            gossip_interval: Dur::secs(5),
            gossip: true,
            pull_interval: Dur::secs(5),
            peer_ttl: Dur::secs(30),
            scale_out_after: 3,
            provisioning_delay: Dur::secs(30),
            report_interval: Dur::secs(1),
            pull: PullStyle::Greedy,
            handoff: HandoffStyle::OnePeer,
            overflow: Overflow::Reject,
        }
    }
}

impl Default for Users {
    fn default() -> Self {
        Users {
            count: 800,
            initial: None,
            spawn_spread: Dur::secs(10),
            lifespan: Dist::exponential(Dur::secs(180)),
            lifespan_clock: LifespanClock::SinceFirstConnect,
            respawn_delay: Dist::exponential(Dur::secs(5)),
            arrival_rate: 0.0,
            arrival_slots: 0,
            arrivals_initial: 0,
            attempt_timeout: Dur::secs(1),
            backoff_base: Dur::millis(500),
            backoff_max: Dur::secs(30),
            retries_max: 10,
            heartbeat_interval: Dur::secs(10),
            heartbeat_timeout: Dur::secs(1),
            flash: None,
            diurnal: None,
            population: None,
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "custom".into(),
            description: String::new(),
            seed: 1,
            duration: Dur::secs(3600),
            policy: Policy::Decentralized,
            sample_interval: Dur::secs(10),
            network: Network::default(),
            servers: Servers::default(),
            users: Users::default(),
            coordinator: Coordinator::default(),
            crashes: vec![],
            partitions: vec![],
            butterfly: None,
        }
    }
}
