//! Every colour the viewer draws, as RGBA bytes (the binary turns them into macroquad
//! colours), and the legend that explains them. The highlight colour is used for nothing
//! else, so a screenshot contains it exactly when the two panels differ.

use swarmlb_model::Kind;

/// An RGBA colour.
pub type Rgba = [u8; 4];

/// Background.
pub const BACKGROUND: Rgba = [18, 20, 26, 255];
/// Panel background (also the clear colour).
pub const PANEL: Rgba = [28, 32, 42, 255];
/// A running server's box.
pub const BOX: Rgba = [40, 46, 60, 255];
/// The line between two panels.
pub const DIVIDER: Rgba = [120, 200, 255, 255];
/// Agents whose state differs from the other panel.
pub const HIGHLIGHT: Rgba = [255, 0, 255, 255];
/// Text.
pub const TEXT: Rgba = [220, 224, 232, 255];
/// Dim text and axes.
pub const DIM: Rgba = [120, 126, 140, 255];
/// Warnings and notices in the status bar.
pub const NOTICE: Rgba = [255, 170, 60, 255];
/// A crashed server's mark.
pub const CRASHED: Rgba = [230, 40, 40, 255];
/// A server slot this run never started while the other run did: hatched, not outlined.
pub const ABSENT: Rgba = [70, 76, 92, 255];
/// Users.
pub const USER: Rgba = [200, 210, 230, 255];
/// Searching users in the lobby.
pub const SEARCHING: Rgba = [250, 200, 80, 255];
/// Micro divergence line.
pub const MICRO: Rgba = [255, 150, 60, 255];
/// Macro divergence line.
pub const MACRO: Rgba = [80, 220, 160, 255];
/// The first run's history lines (and its name in the plot legend).
pub const RUN_A: Rgba = [110, 190, 255, 255];
/// The second run's history lines.
pub const RUN_B: Rgba = [250, 225, 120, 255];
/// The butterfly button.
pub const BUTTON: Rgba = [70, 40, 70, 255];
/// The timeline's track.
pub const TRACK: Rgba = [50, 56, 70, 255];
/// The timeline's played part.
pub const PLAYED: Rgba = [110, 140, 200, 255];
/// The timeline strip's background.
pub const STRIP: Rgba = [24, 27, 34, 255];
/// Overlays (help, details, knobs).
pub const OVERLAY: Rgba = [10, 12, 16, 240];
/// The legend strip's background: drawn only there, so tests can find the legend.
pub const LEGEND: Rgba = [34, 30, 48, 255];
/// A knob's slider track.
pub const KNOB_TRACK: Rgba = [60, 66, 84, 255];
/// A knob's handle and the part of the track below it.
pub const KNOB: Rgba = [120, 170, 255, 255];
/// A knob moved away from the trace's value.
pub const KNOB_CHANGED: Rgba = [255, 200, 120, 255];

/// The causal chain's edges and its newest node.
pub const CHAIN: Rgba = [200, 120, 255, 255];

/// Delegated connection requests.
pub const DELEGATE: Rgba = [90, 150, 255, 255];
/// Pull asks and grants.
pub const PULL: Rgba = [60, 220, 90, 255];
/// Hand-off offers and completions.
pub const HANDOFF: Rgba = [255, 160, 40, 255];
/// Migrations.
pub const MIGRATE: Rgba = [150, 230, 230, 255];

/// Load colour by utilization: green, then yellow, then red when full.
pub fn utilization(load: u32, capacity: u32) -> Rgba {
    let u = if capacity == 0 {
        1.0
    } else {
        load as f32 / capacity as f32
    };
    ramp(u)
}

/// The load colour ramp at utilization `u` (clamped to 0..=1), shared by the load bars, the
/// heat map and the colour bar so that the bar explains both.
pub fn ramp(u: f32) -> Rgba {
    let u = u.clamp(0.0, 1.0);
    let (r, g) = if u < 0.5 {
        (u * 2.0, 1.0)
    } else {
        (1.0, 1.0 - (u - 0.5) * 2.0)
    };
    [(60.0 + 190.0 * r) as u8, (60.0 + 160.0 * g) as u8, 60, 255]
}

/// Message line colours by [`crate::fleet::flow_kind`] class: delegate, pull, hand-off,
/// migrate.
pub const FLOWS: [Rgba; crate::fleet::FLOW_KINDS] = [DELEGATE, PULL, HANDOFF, MIGRATE];

/// The colour of a message line, for the kinds drawn as lines.
pub fn message(kind: Kind) -> Option<Rgba> {
    crate::fleet::flow_kind(kind).map(|class| FLOWS[class])
}

/// How a legend entry is drawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Swatch {
    /// A short line (messages).
    Line,
    /// A dot (users).
    Dot,
    /// An outline (highlighted or crashed servers).
    Outline,
    /// A filled square.
    Square,
}

/// One legend entry: what it looks like and what it means.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// How it is drawn.
    pub swatch: Swatch,
    /// Its colour.
    pub color: Rgba,
    /// What it means.
    pub label: &'static str,
}

/// The legend of the server panels: every colour drawn there except the load ramp, which
/// has its own colour bar.
pub const LEGEND_ENTRIES: [Entry; 10] = [
    Entry {
        swatch: Swatch::Line,
        color: DELEGATE,
        label: "delegate",
    },
    Entry {
        swatch: Swatch::Line,
        color: PULL,
        label: "pull",
    },
    Entry {
        swatch: Swatch::Line,
        color: HANDOFF,
        label: "hand-off",
    },
    Entry {
        swatch: Swatch::Line,
        color: MIGRATE,
        label: "migrate",
    },
    Entry {
        swatch: Swatch::Dot,
        color: USER,
        label: "user",
    },
    Entry {
        swatch: Swatch::Dot,
        color: SEARCHING,
        label: "searching",
    },
    Entry {
        swatch: Swatch::Outline,
        color: HIGHLIGHT,
        label: "differs",
    },
    Entry {
        swatch: Swatch::Outline,
        color: CRASHED,
        label: "crashed",
    },
    Entry {
        swatch: Swatch::Square,
        color: ABSENT,
        label: "not in this run",
    },
    Entry {
        swatch: Swatch::Line,
        color: CHAIN,
        label: "causal chain",
    },
];

/// Every fixed colour, for tests that check a colour means one thing.
pub const PALETTE: [Rgba; 28] = [
    BACKGROUND,
    PANEL,
    BOX,
    DIVIDER,
    HIGHLIGHT,
    TEXT,
    DIM,
    NOTICE,
    CRASHED,
    ABSENT,
    USER,
    SEARCHING,
    MICRO,
    MACRO,
    RUN_A,
    RUN_B,
    BUTTON,
    TRACK,
    PLAYED,
    STRIP,
    OVERLAY,
    LEGEND,
    DELEGATE,
    PULL,
    HANDOFF,
    MIGRATE,
    CATEGORY[1],
    CATEGORY[2],
];

/// Event log colours by category, in the order COMM, COLLAB, TRANSFER, NEGO, BUTTERFLY.
pub const CATEGORY: [Rgba; 5] = [
    TEXT,
    [120, 170, 255, 255],
    [120, 230, 150, 255],
    [255, 190, 90, 255],
    [255, 120, 120, 255],
];

/// Fade a colour to `alpha` (0..=1).
pub fn faded(c: Rgba, alpha: f32) -> Rgba {
    [
        c[0],
        c[1],
        c[2],
        (f32::from(c[3]) * alpha.clamp(0.0, 1.0)) as u8,
    ]
}
