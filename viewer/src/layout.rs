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

/// The screen's regions: the status bar, the legend strip, one or two panels side by
/// side, the plots and the event log below them, and the timeline at the bottom.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Screen {
    /// The legend strip under the status bar.
    pub legend: Rect,
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

/// Height of the legend strip.
pub const LEGEND_HEIGHT: f32 = 22.0;

/// Height of the timeline strip at the bottom (scrub bar and one line of text).
pub const TIMELINE_HEIGHT: f32 = 36.0;

/// The smallest window the layout is made for: every region keeps room for its text.
pub const SCREEN_MIN: (f32, f32) = (1280.0, 720.0);

/// Split a `w × h` screen for `n_panels` traces. The plots get a quarter of the height
/// (at least 180 pixels, room for three labelled strips and a time axis) and the log a
/// quarter of the width (at least 320 pixels, room for a line of it).
pub fn screen(w: f32, h: f32, n_panels: usize) -> Screen {
    let bottom_h = (h * 0.26).max(180.0);
    let top = STATUS_HEIGHT + LEGEND_HEIGHT;
    let panels_h = (h - top - bottom_h - TIMELINE_HEIGHT).max(50.0);
    let log_w = (w * 0.25).max(320.0).min(w * 0.5);
    let n_panels = n_panels.clamp(1, 2);
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
        legend: Rect {
            x: 0.0,
            y: STATUS_HEIGHT,
            w,
            h: LEGEND_HEIGHT,
        },
        panels: [Some(panel(0)), (n_panels > 1).then(|| panel(1))],
        lobby_height: (panels_h * 0.1).clamp(18.0, 40.0),
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
            y: h - TIMELINE_HEIGHT,
            w,
            h: TIMELINE_HEIGHT,
        },
    }
}

/// Split `area` into `n` equal strips stacked from the top.
pub fn stack(area: Rect, n: usize) -> Vec<Rect> {
    let n = n.max(1);
    let h = area.h / n as f32;
    (0..n)
        .map(|i| Rect {
            y: area.y + h * i as f32,
            h,
            ..area
        })
        .collect()
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

/// The fleet view's regions inside a panel's server area.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Fleet {
    /// The heat map (servers × time), with room for its axes.
    pub heat: Rect,
    /// The load histogram.
    pub histogram: Rect,
    /// Message flows between server groups.
    pub flows: Rect,
}

/// Margin left of a plot for its value labels.
pub const AXIS_LEFT: f32 = 44.0;

/// Margin below a plot for its time labels.
pub const AXIS_BOTTOM: f32 = 16.0;

/// Split a server area for the fleet view: the heat map on the left three fifths, the
/// histogram above the flows on the right, each inset for titles and axis labels.
pub fn fleet(area: Rect) -> Fleet {
    let left_w = area.w * 0.6;
    let right = Rect {
        x: area.x + left_w,
        y: area.y,
        w: area.w - left_w,
        h: area.h,
    };
    let inset = |r: Rect| Rect {
        x: r.x + AXIS_LEFT,
        y: r.y + 16.0,
        w: (r.w - AXIS_LEFT - 8.0).max(1.0),
        h: (r.h - 16.0 - AXIS_BOTTOM - 4.0).max(1.0),
    };
    let halves = stack(right, 2);
    Fleet {
        heat: inset(Rect { w: left_w, ..area }),
        histogram: inset(halves[0]),
        flows: Rect {
            x: halves[1].x + 8.0,
            y: halves[1].y + 16.0,
            w: (halves[1].w - 16.0).max(1.0),
            h: (halves[1].h - 20.0).max(1.0),
        },
    }
}

/// The server slot drawn in heat map row at height `y` (server 0 at the top), among `n`.
pub fn heat_row(y: f32, heat: Rect, n: u32) -> u32 {
    let n = n.max(1);
    let f = ((y - heat.y) / heat.h.max(1.0)).clamp(0.0, 1.0);
    ((f * n as f32) as u32).min(n - 1)
}

/// The knobs panel: its area, one slider track per knob, and the run and save buttons.
#[derive(Clone, Debug, PartialEq)]
pub struct KnobsPanel {
    /// The whole panel.
    pub area: Rect,
    /// Slider tracks, one per knob, in order.
    pub sliders: Vec<Rect>,
    /// The run button.
    pub run: Rect,
    /// The save button.
    pub save: Rect,
}

/// Height of one knob's row: its name and value over its slider.
pub const KNOB_ROW_HEIGHT: f32 = 40.0;

/// The knobs panel for `n_knobs`, over the top right of the panels.
pub fn knobs(screen: Screen, n_knobs: usize) -> KnobsPanel {
    let right = screen.panels[1]
        .or(screen.panels[0])
        .expect("one panel at least");
    let w = 400.0_f32.min(right.w - 16.0);
    let area = Rect {
        x: right.x + right.w - w - 8.0,
        y: right.y + 24.0,
        w,
        h: 30.0 + KNOB_ROW_HEIGHT * n_knobs as f32 + 40.0,
    };
    let sliders = (0..n_knobs)
        .map(|i| Rect {
            x: area.x + 12.0,
            y: area.y + 30.0 + KNOB_ROW_HEIGHT * i as f32 + 20.0,
            w: area.w - 24.0,
            h: 12.0,
        })
        .collect();
    let buttons_y = area.y + area.h - 32.0;
    KnobsPanel {
        area,
        sliders,
        run: Rect {
            x: area.x + 12.0,
            y: buttons_y,
            w: 150.0,
            h: 24.0,
        },
        save: Rect {
            x: area.x + 174.0,
            y: buttons_y,
            w: 150.0,
            h: 24.0,
        },
    }
}

/// The part of a panel where server boxes go (below its title, above its lobby).
pub fn server_area(panel: Rect, lobby_height: f32) -> Rect {
    Rect {
        x: panel.x + 4.0,
        y: panel.y + 20.0,
        w: panel.w - 8.0,
        h: panel.h - 24.0 - lobby_height,
    }
}

/// The part of a panel where searching users wait (its bottom strip).
pub fn lobby_area(panel: Rect, lobby_height: f32) -> Rect {
    Rect {
        x: panel.x + 4.0,
        y: panel.y + panel.h - lobby_height,
        w: panel.w - 8.0,
        h: lobby_height - 4.0,
    }
}
