//! The decentralized load-balancing model: user and server agents that negotiate with
//! local knowledge only, the centralized baselines, scenarios, metrics, and the observable
//! state that traces fold. No I/O: scenario text comes in as strings.

pub mod coordinator;
pub mod decide;
pub mod env;
pub mod ids;
pub mod invariants;
pub mod metrics;
pub mod msg;
pub mod net;
pub mod observe;
pub mod params;
pub mod purpose;
pub mod record;
pub mod reference;
pub mod run;
pub mod scenario;
pub mod server;
pub mod sessions;
pub mod user;
pub mod variants;
pub mod world;

pub use ids::{Agent, Layout};
pub use observe::Observed;
pub use record::{Carrier, Event, Fold, Kind, Mechanism, Value};
pub use run::Summary;
pub use scenario::{Policy, Scenario, ScenarioError};
pub use world::{World, build};
