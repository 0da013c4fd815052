//! The one list of key bindings: input handling, the in-window help and `--help` are all
//! derived from [`BINDINGS`].

use macroquad::input::KeyCode;

/// What a key does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Play or pause.
    PlayPause,
    /// Twice as fast.
    Faster,
    /// Half as fast.
    Slower,
    /// Step to the next event.
    Step,
    /// Back to the start.
    Home,
    /// Jump to the next sample where the panels differ.
    NextDivergence,
    /// Fork a butterfly branch at the current time.
    Fork,
    /// Save the branch made in the viewer (trace, and scenario TOML for knobs).
    Save,
    /// Toggle one event log category (the index of the key pressed).
    ToggleCategory,
    /// Switch between server boxes and the fleet view.
    Fleet,
    /// Open or close the knobs panel.
    Knobs,
    /// Re-simulate with the knobs' values.
    Run,
    /// Select the next knob.
    KnobNext,
    /// Move the selected knob down one step.
    KnobDown,
    /// Move the selected knob up one step.
    KnobUp,
    /// Show the causal chain instead of the event log.
    Chain,
    /// Jump to the next node of the causal chain.
    NextNode,
    /// Show or hide the help.
    Help,
    /// Close overlays (help, details, knobs).
    Close,
}

/// A key binding: the keys, how the help writes them, and what they do.
#[derive(Copy, Clone, Debug)]
pub struct Binding {
    /// The keys (for [`Action::ToggleCategory`], the key's index is the category).
    pub keys: &'static [KeyCode],
    /// The keys as the help writes them.
    pub name: &'static str,
    /// What happens.
    pub action: Action,
    /// What happens, in words.
    pub what: &'static str,
    /// A word for the footer's reminder, or empty to leave it out there.
    pub short: &'static str,
}

/// Every key binding, in help order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Space],
        name: "space",
        action: Action::PlayPause,
        what: "play / pause",
        short: "play",
    },
    Binding {
        keys: &[KeyCode::Equal, KeyCode::KpAdd, KeyCode::Up],
        name: "+ or up",
        action: Action::Faster,
        what: "twice as fast",
        short: "",
    },
    Binding {
        keys: &[KeyCode::Minus, KeyCode::KpSubtract, KeyCode::Down],
        name: "- or down",
        action: Action::Slower,
        what: "half as fast",
        short: "",
    },
    Binding {
        keys: &[KeyCode::Right],
        name: "right",
        action: Action::Step,
        what: "step to the next event",
        short: "step",
    },
    Binding {
        keys: &[KeyCode::Home],
        name: "home",
        action: Action::Home,
        what: "back to the start",
        short: "",
    },
    Binding {
        keys: &[KeyCode::N],
        name: "n",
        action: Action::NextDivergence,
        what: "jump to the next divergence",
        short: "next divergence",
    },
    Binding {
        keys: &[KeyCode::B],
        name: "b",
        action: Action::Fork,
        what: "fork a butterfly branch here (also the button)",
        short: "butterfly",
    },
    Binding {
        keys: &[KeyCode::S],
        name: "s",
        action: Action::Save,
        what: "save the branch made here (trace, and scenario TOML after knobs)",
        short: "",
    },
    Binding {
        keys: &[
            KeyCode::Key1,
            KeyCode::Key2,
            KeyCode::Key3,
            KeyCode::Key4,
            KeyCode::Key5,
        ],
        name: "1..5",
        action: Action::ToggleCategory,
        what: "toggle log categories COMM COLLAB TRANSFER NEGO BUTTERFLY",
        short: "",
    },
    Binding {
        keys: &[KeyCode::F],
        name: "f",
        action: Action::Fleet,
        what: "fleet view (heat map) or server boxes",
        short: "fleet",
    },
    Binding {
        keys: &[KeyCode::K],
        name: "k",
        action: Action::Knobs,
        what: "knobs: change the scenario and re-simulate beside this run",
        short: "knobs",
    },
    Binding {
        keys: &[KeyCode::Tab],
        name: "tab",
        action: Action::KnobNext,
        what: "select the next knob (knobs panel)",
        short: "",
    },
    Binding {
        keys: &[KeyCode::LeftBracket],
        name: "[",
        action: Action::KnobDown,
        what: "selected knob one step down",
        short: "",
    },
    Binding {
        keys: &[KeyCode::RightBracket],
        name: "]",
        action: Action::KnobUp,
        what: "selected knob one step up",
        short: "",
    },
    Binding {
        keys: &[KeyCode::Enter, KeyCode::KpEnter],
        name: "enter",
        action: Action::Run,
        what: "re-simulate with the knobs' values (also the run button)",
        short: "",
    },
    Binding {
        keys: &[KeyCode::C],
        name: "c",
        action: Action::Chain,
        what: "causal chain (two runs) instead of the event log",
        short: "chain",
    },
    Binding {
        keys: &[KeyCode::J],
        name: "j",
        action: Action::NextNode,
        what: "jump to the next node of the causal chain",
        short: "next node",
    },
    Binding {
        keys: &[KeyCode::H],
        name: "h",
        action: Action::Help,
        what: "this help",
        short: "help",
    },
    Binding {
        keys: &[KeyCode::Escape],
        name: "esc",
        action: Action::Close,
        what: "close help, details and knobs",
        short: "",
    },
];

/// What the mouse does, for the help (not bindings: positions decide).
pub const MOUSE: &[(&str, &str)] = &[
    ("click", "a server (box or heat map row) for its details"),
    ("drag", "the timeline to scrub"),
];

/// The footer's reminder of the main keys: `[key] word` for bindings with a short word.
pub fn footer() -> String {
    BINDINGS
        .iter()
        .filter(|b| !b.short.is_empty())
        .map(|b| format!("[{}] {}", b.name, b.short))
        .collect::<Vec<_>>()
        .join("  ")
}

/// The help text, one line per binding and mouse gesture, keys padded to one column.
pub fn help_lines() -> Vec<String> {
    BINDINGS
        .iter()
        .map(|b| (b.name, b.what))
        .chain(MOUSE.iter().copied())
        .map(|(name, what)| format!("{name:<11} {what}"))
        .collect()
}
