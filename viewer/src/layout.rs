//! Where things go on screen. Pure functions of sizes and ids, so that a server keeps its
//! place across time and in both panels.

/// A rectangle in pixels.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f32,
    /// Top.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Rect {
    /// True if the point is inside.
    pub fn contains(&self, px: f32, py: f32) -> bool {
        px >= self.x && px < self.x + self.w && py >= self.y && py < self.y + self.h
    }
}

/// The screen's regions: one or two panels side by side, the plots and the timeline below.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Screen {
    /// Server panels (one per trace).
    pub panels: [Option<Rect>; 2],
    /// The lobby strip of searching users at the bottom of each panel.
    pub lobby_height: f32,
    /// History and divergence plots.
    pub plots: Rect,
    /// The event log.
    pub log: Rect,
    /// The scrubbable timeline.
    pub timeline: Rect,
}

/// Height of the status bar at the top.
pub const STATUS_HEIGHT: f32 = 28.0;

/// Split a `w × h` screen for `n_panels` traces.
pub fn screen(w: f32, h: f32, n_panels: usize) -> Screen {
    let timeline_h = 36.0;
    let bottom_h = (h * 0.24).max(120.0);
    let top = STATUS_HEIGHT;
    let panels_h = (h - top - bottom_h - timeline_h).max(50.0);
    let log_w = (w * 0.3).max(200.0);
    let panel = |i: usize| {
        let pw = w / n_panels as f32;
        Rect {
            x: pw * i as f32,
            y: top,
            w: pw,
            h: panels_h,
        }
    };
    Screen {
        panels: [Some(panel(0)), (n_panels > 1).then(|| panel(1))],
        lobby_height: (panels_h * 0.12).max(18.0),
        plots: Rect {
            x: 0.0,
            y: top + panels_h,
            w: w - log_w,
            h: bottom_h,
        },
        log: Rect {
            x: w - log_w,
            y: top + panels_h,
            w: log_w,
            h: bottom_h,
        },
        timeline: Rect {
            x: 0.0,
            y: h - timeline_h,
            w,
            h: timeline_h,
        },
    }
}

/// Columns and rows of a near-square grid for `n` cells in an area of `w × h`.
pub fn grid(n: u32, w: f32, h: f32) -> (u32, u32) {
    let n = n.max(1);
    let aspect = (w / h.max(1.0)).max(0.1);
    let cols = ((n as f32 * aspect).sqrt().ceil() as u32).clamp(1, n);
    let rows = n.div_ceil(cols);
    (cols, rows)
}

/// The box of server `idx` among `n` server slots in `area` (without the lobby).
pub fn server_box(idx: u32, n: u32, area: Rect) -> Rect {
    let (cols, rows) = grid(n, area.w, area.h);
    let cw = area.w / cols as f32;
    let ch = area.h / rows as f32;
    let pad = (cw.min(ch) * 0.08).clamp(1.0, 8.0);
    Rect {
        x: area.x + (idx % cols) as f32 * cw + pad,
        y: area.y + (idx / cols) as f32 * ch + pad,
        w: (cw - 2.0 * pad).max(1.0),
        h: (ch - 2.0 * pad).max(1.0),
    }
}

/// Where the `k`-th of `n` users of a server is drawn inside its box (below the load bar).
pub fn user_dot(k: u32, n: u32, bx: Rect) -> (f32, f32) {
    let inner = Rect {
        x: bx.x + 3.0,
        y: bx.y + bx.h * 0.45,
        w: bx.w - 6.0,
        h: bx.h * 0.5,
    };
    let (cols, _) = grid(n, inner.w, inner.h);
    let rows = n.div_ceil(cols).max(1);
    let cw = inner.w / cols as f32;
    let ch = inner.h / rows as f32;
    (
        inner.x + (k % cols) as f32 * cw + cw / 2.0,
        inner.y + (k / cols) as f32 * ch + ch / 2.0,
    )
}

/// Above this many users per server box, dots become a count.
pub fn dots_fit(users: u32, bx: Rect) -> bool {
    users as f32 <= (bx.w * bx.h * 0.5) / 36.0 && users <= 200
}
