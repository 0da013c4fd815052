//! The one-line-per-event text form (`t=12.003417s S4 -> U1203 ConnectAccept load=7/10`),
//! documented in traces/FORMAT.md so that a person can grep a run.

use swarmlb_engine::AgentId;
use swarmlb_model::ids::NONE;
use swarmlb_model::msg::BODY_NAMES;
use swarmlb_model::{Event, Layout, Value};

/// How to name agents and print loads.
#[derive(Copy, Clone, Debug)]
pub struct Style {
    /// Id layout of the run.
    pub layout: Layout,
    /// Server capacity, printed after loads.
    pub capacity: u32,
}

impl Style {
    /// `S4`, `U12`, `E`, `C`, `P`.
    pub fn agent(&self, id: AgentId) -> String {
        self.layout.agent(id).to_string()
    }

    /// The value of `event` with its meaning (`load=7/10`, `server=S4`), or nothing: how it
    /// is printed follows what its kind declares the value to be
    /// ([`swarmlb_model::Kind::value`]).
    pub fn value(&self, event: &Event) -> String {
        let v = event.value;
        let meaning = event.kind.value();
        let Some(label) = meaning.label() else {
            return String::new();
        };
        // Agents, servers and slots may be NONE (no target, nobody); numbers never are.
        let or_none = |name: &dyn Fn() -> String| {
            if v == NONE {
                "none".to_string()
            } else {
                name()
            }
        };
        let shown = match meaning {
            Value::None => unreachable!("a value without a label is not printed"),
            Value::Load => format!("{v}/{}", self.capacity),
            Value::ReportedLoad | Value::Count(_) | Value::Flag(_) => v.to_string(),
            Value::Agent(_) => or_none(&|| self.agent(AgentId(v))),
            Value::Server(_) => or_none(&|| format!("S{v}")),
            Value::Slot => or_none(&|| format!("U{v}")),
            Value::Body => BODY_NAMES
                .get(v as usize)
                .copied()
                .unwrap_or("?")
                .to_string(),
        };
        format!("{label}={shown}")
    }

    /// The whole line.
    pub fn line(&self, event: &Event) -> String {
        let value = self.value(event);
        let sep = if value.is_empty() { "" } else { " " };
        format!(
            "t={} {} -> {} {}{sep}{value}",
            event.time,
            self.agent(event.source),
            self.agent(event.target),
            event.kind
        )
    }
}
