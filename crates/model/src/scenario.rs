//! Scenarios: the TOML description of a run (servers, users, network, faults), its
//! validation with errors that name the file, line and field, and the built-in set. One
//! job per file: `dur` (durations), `schema` (the structs), `defaults`, `validate`,
//! `overrides` (`--set`), `load` (parse and errors), `limits`, `builtins`, `switches`
//! (mechanisms switched off).

mod builtins;
mod defaults;
mod dur;
pub mod limits;
mod load;
mod overrides;
mod schema;
mod switches;
mod validate;

pub use builtins::BUILTINS;
pub use dur::Dur;
pub use load::{ScenarioError, load};
pub use overrides::override_key;
pub use schema::{
    Butterfly, CENTRALIZED_ONLY, Coordinator, Crash, DECENTRALIZED_ONLY, Dist, DistKind, Diurnal,
    Flash, HandoffStyle, LifespanClock, Network, Overflow, Partition, Policy, Population,
    PullStyle, Scenario, Servers, Users, VictimPick,
};
pub use switches::{Switch, UnknownSwitch};
pub use validate::Invalid;
