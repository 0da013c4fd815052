//! Colours, as RGBA bytes (the binary turns them into macroquad colours). The highlight
//! colour is used for nothing else, so a screenshot contains it exactly when the two
//! panels differ.

use swarmlb_model::Kind;

/// An RGBA colour.
pub type Rgba = [u8; 4];

/// Background.
pub const BACKGROUND: Rgba = [18, 20, 26, 255];
/// Panel background.
pub const PANEL: Rgba = [28, 32, 42, 255];
/// The line between two panels.
pub const DIVIDER: Rgba = [120, 200, 255, 255];
/// Agents whose state differs from the other panel.
pub const HIGHLIGHT: Rgba = [255, 0, 255, 255];
/// Text.
pub const TEXT: Rgba = [220, 224, 232, 255];
/// Dim text and axes.
pub const DIM: Rgba = [120, 126, 140, 255];
/// A crashed server's mark.
pub const CRASHED: Rgba = [230, 40, 40, 255];
/// Users.
pub const USER: Rgba = [200, 210, 230, 255];
/// Searching users in the lobby.
pub const SEARCHING: Rgba = [250, 200, 80, 255];
/// Micro divergence line.
pub const MICRO: Rgba = [255, 150, 60, 255];
/// Macro divergence line.
pub const MACRO: Rgba = [80, 220, 160, 255];

/// Load bar colour by utilization: green, then yellow, then red when full.
pub fn utilization(load: u32, capacity: u32) -> Rgba {
    let u = if capacity == 0 {
        1.0
    } else {
        (load as f32 / capacity as f32).clamp(0.0, 1.0)
    };
    let (r, g) = if u < 0.5 {
        (u * 2.0, 1.0)
    } else {
        (1.0, 1.0 - (u - 0.5) * 2.0)
    };
    [(60.0 + 190.0 * r) as u8, (60.0 + 160.0 * g) as u8, 60, 255]
}

/// The colour of a message line, for the kinds drawn as lines.
pub fn message(kind: Kind) -> Option<Rgba> {
    match kind {
        Kind::ConnectDelegate => Some([90, 150, 255, 255]),
        Kind::PullAsk | Kind::PullGrant => Some([60, 220, 90, 255]),
        Kind::HandoffOffer | Kind::HandoffDone => Some([255, 160, 40, 255]),
        Kind::Migrated => Some([150, 230, 230, 255]),
        _ => None,
    }
}

/// Fade a colour to `alpha` (0..=1).
pub fn faded(c: Rgba, alpha: f32) -> Rgba {
    [
        c[0],
        c[1],
        c[2],
        (f32::from(c[3]) * alpha.clamp(0.0, 1.0)) as u8,
    ]
}
