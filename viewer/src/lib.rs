//! The swarmlb viewer's logic, kept free of any window so it can be unit-tested: loading
//! traces into scrubbable timelines, the stable server layout, colours and legend, axes,
//! key bindings, the fleet view's aggregates, the knobs, the causal chain, playback, and the comparison of two panels
//! (with the same functions as `swarmlb diff`). Drawing and input live in the binary.

pub mod axes;
pub mod chain;
pub mod compare;
pub mod fleet;
pub mod keys;
pub mod knobs;
pub mod layout;
pub mod playback;
pub mod style;
pub mod timeline;
