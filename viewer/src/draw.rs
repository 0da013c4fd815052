//! Drawing one frame with macroquad. Everything it needs is computed by the library; this
//! module only turns it into rectangles, dots, lines and text.

use macroquad::prelude::*;
use swarmlb_engine::SimTime;
use swarmlb_model::Agent;
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_trace::State;
use swarmlb_trace::text::Style;
use swarmlb_viewer::axes;
use swarmlb_viewer::compare::{self, Differences};
use swarmlb_viewer::fleet;
use swarmlb_viewer::keys;
use swarmlb_viewer::knobs;
use swarmlb_viewer::layout::{self, Rect};
use swarmlb_viewer::style::{self, Rgba, Swatch};
use swarmlb_viewer::timeline::{HistoryPoint, Timeline};

use crate::app::{App, CATEGORIES};

fn c(rgba: Rgba) -> Color {
    Color::from_rgba(rgba[0], rgba[1], rgba[2], rgba[3])
}

/// A line of text waiting for [`flush_text`].
struct Text {
    s: String,
    x: f32,
    y: f32,
    size: f32,
    color: Rgba,
}

thread_local! {
    /// Text drawn since the last [`flush_text`].
    static TEXT: std::cell::RefCell<Vec<Text>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Text is queued and drawn by [`flush_text`], all at once. Glyphs come from the font's
/// texture and shapes from a white one, and macroquad starts a draw call whenever the
/// texture changes: drawn in place, text and shapes alternated into about 190 draw calls a
/// frame in the fleet view of two runs, 11 once text waits (`--measure-fps` counts them);
/// on software GL that cut the process's CPU time per frame by about a fifth
/// (BENCHMARKS.md has the runs).
fn text(s: &str, x: f32, y: f32, size: f32, color: Rgba) {
    TEXT.with_borrow_mut(|queue| {
        queue.push(Text {
            s: s.to_string(),
            x,
            y,
            size,
            color,
        })
    });
}

/// Draw the queued text above every shape drawn so far. Each overlay (hover, details,
/// knobs, help) covers what is below it, text included, so it flushes before and after.
fn flush_text() {
    for t in TEXT.take() {
        draw_text(&t.s, t.x, t.y, t.size, c(t.color));
    }
}

fn text_width(s: &str, size: f32) -> f32 {
    measure_text(s, None, size as u16, 1.0).width
}

fn fill(r: Rect, color: Rgba) {
    draw_rectangle(r.x, r.y, r.w, r.h, c(color));
}

fn outline(r: Rect, thickness: f32, color: Rgba) {
    draw_rectangle_lines(r.x, r.y, r.w, r.h, thickness, c(color));
}

fn line(x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32, color: Rgba) {
    draw_line(x1, y1, x2, y2, thickness, c(color));
}

/// A short name for a timeline: its file name, or its own name when made in the viewer.
fn short_name(tl: &Timeline) -> String {
    std::path::Path::new(&tl.name)
        .file_name()
        .map_or_else(|| tl.name.clone(), |n| n.to_string_lossy().into_owned())
}

/// Draw the whole frame.
pub fn frame(app: &mut App) {
    // The panels' colour is the clear colour, so the panels need no fill of their own
    // (one full-screen pass fewer for a software renderer).
    clear_background(c(style::PANEL));
    let screen = app.screen();
    let states: Vec<State> = app.states();
    let diffs = match states.as_slice() {
        [a, b] => Some(compare::differences(&a.observed, &b.observed)),
        _ => None,
    };
    let n = app.servers_used();
    for (i, panel) in screen.panels.iter().enumerate() {
        let Some(panel) = panel else { continue };
        if app.fleet {
            fleet_panel(
                app,
                &Panel {
                    which: i,
                    rect: *panel,
                    lobby_h: screen.lobby_height,
                    state: &states[i],
                    diffs: diffs.as_ref(),
                    servers: n,
                },
            );
        } else {
            panel_frame(
                app,
                &Panel {
                    which: i,
                    rect: *panel,
                    lobby_h: screen.lobby_height,
                    state: &states[i],
                    diffs: diffs.as_ref(),
                    servers: n,
                },
            );
        }
    }
    if let Some(second) = screen.panels[1] {
        line(
            second.x,
            second.y,
            second.x,
            second.y + second.h,
            3.0,
            style::DIVIDER,
        );
    }
    legend(app, screen.legend);
    plots(app, screen.plots);
    if app.chain_open {
        chain_panel(app, screen.log);
    } else {
        log(app, screen.log);
    }
    timeline(app, screen.timeline);
    status(app, diffs.as_ref());
    flush_text();
    if app.fleet {
        hover(app, &states);
        flush_text();
    }
    if let Some(idx) = app.selected {
        let which = app.selected_panel.min(states.len() - 1);
        details(app, which, idx, &states[which]);
        flush_text();
    }
    if app.knobs_open {
        knobs_panel(app, screen);
        flush_text();
    }
    if app.help {
        help();
        flush_text();
    }
    app.keep(states);
}

/// The knobs panel: one slider per scenario field, with its value (and the trace's value
/// when moved), and the run and save buttons.
fn knobs_panel(app: &App, screen: layout::Screen) {
    let panel = layout::knobs(screen, knobs::FIELDS.len());
    let area = panel.area;
    fill(area, style::OVERLAY);
    outline(area, 1.0, style::TEXT);
    text(
        "knobs: drag a slider or tab, [ and ]; then run (enter)",
        area.x + 12.0,
        area.y + 20.0,
        16.0,
        style::TEXT,
    );
    let k = &app.knobs;
    for (k_idx, (field, track)) in knobs::FIELDS.iter().zip(&panel.sliders).enumerate() {
        if k_idx == app.knob_selected {
            // The knob that [ and ] move.
            outline(
                Rect {
                    x: track.x - 6.0,
                    y: track.y - 20.0,
                    w: track.w + 12.0,
                    h: track.h + 26.0,
                },
                1.0,
                style::DIM,
            );
        }
        let value = field.get(&k.scenario);
        let was = field.get(&k.base);
        let changed = value != was;
        let mut s = format!(
            "{} = {}   {}",
            field.name(),
            axes::label(value),
            field.what()
        );
        if changed {
            s = format!("{s}   (was {})", axes::label(was));
        }
        let color = if changed {
            style::KNOB_CHANGED
        } else {
            style::TEXT
        };
        text(&s, track.x, track.y - 6.0, 14.0, color);
        fill(*track, style::KNOB_TRACK);
        let f = k.fraction(*field) as f32;
        fill(
            Rect {
                w: track.w * f,
                ..*track
            },
            style::KNOB,
        );
        let (lo, hi) = field.range(&k.base);
        let x_was = track.x + track.w * ((was - lo) / (hi - lo).max(1e-9)).clamp(0.0, 1.0) as f32;
        line(
            x_was,
            track.y - 2.0,
            x_was,
            track.y + track.h + 2.0,
            2.0,
            style::TEXT,
        );
        draw_circle(
            track.x + track.w * f,
            track.y + track.h / 2.0,
            7.0,
            c(color),
        );
    }
    for (button, label) in [(panel.run, "run (enter)"), (panel.save, "save (s)")] {
        fill(button, style::BUTTON);
        outline(button, 1.0, style::DIM);
        text(label, button.x + 10.0, button.y + 17.0, 16.0, style::TEXT);
    }
}

/// The legend strip: the load colour bar, then every colour and line of the panels.
fn legend(app: &App, area: Rect) {
    fill(area, style::LEGEND);
    let size = 14.0;
    let y = area.y + area.h / 2.0;
    let base = area.y + area.h / 2.0 + 4.0;
    let mut x = area.x + 8.0;
    text("load", x, base, size, style::TEXT);
    x += text_width("load", size) + 6.0;
    text("0%", x, base, size, style::DIM);
    x += text_width("0%", size) + 4.0;
    let bar_w = 100.0;
    let steps = 50;
    for k in 0..steps {
        let u = k as f32 / (steps - 1) as f32;
        fill(
            Rect {
                x: x + bar_w * k as f32 / steps as f32,
                y: area.y + 5.0,
                w: bar_w / steps as f32 + 0.5,
                h: area.h - 10.0,
            },
            style::ramp(u),
        );
    }
    x += bar_w + 4.0;
    text("100% of capacity", x, base, size, style::DIM);
    x += text_width("100% of capacity", size) + 18.0;
    let lines_label = if app.fleet { "flows:" } else { "messages:" };
    text(lines_label, x, base, size, style::TEXT);
    x += text_width(lines_label, size) + 6.0;
    for (i, entry) in style::LEGEND_ENTRIES.iter().enumerate() {
        if i == 4 {
            text("agents:", x + 8.0, base, size, style::TEXT);
            x += text_width("agents:", size) + 14.0;
        }
        match entry.swatch {
            Swatch::Line => line(x, y, x + 18.0, y, 3.0, entry.color),
            Swatch::Dot => draw_circle(x + 9.0, y, 3.5, c(entry.color)),
            Swatch::Outline => outline(
                Rect {
                    x: x + 2.0,
                    y: y - 6.0,
                    w: 14.0,
                    h: 12.0,
                },
                2.0,
                entry.color,
            ),
            Swatch::Square => hatch(
                Rect {
                    x: x + 2.0,
                    y: y - 6.0,
                    w: 14.0,
                    h: 12.0,
                },
                entry.color,
            ),
        }
        x += 22.0;
        text(entry.label, x, base, size, style::TEXT);
        x += text_width(entry.label, size) + 12.0;
    }
}

/// A box for a server slot this run never had: filled and crossed by diagonal hatching.
fn hatch(r: Rect, color: Rgba) {
    fill(r, style::faded(color, 0.45));
    let step = 8.0;
    let mut d = 0.0;
    while d < r.w + r.h {
        let (x1, y1) = (r.x + d.min(r.w), r.y + (d - r.w).max(0.0));
        let (x2, y2) = (r.x + (d - r.h).max(0.0), r.y + d.min(r.h));
        line(x1, y1, x2, y2, 1.0, color);
        d += step;
    }
}

/// One run's panel as drawn now: which run, where, and what to mark.
#[derive(Copy, Clone)]
struct Panel<'a> {
    /// Index of the run (0 or 1).
    which: usize,
    /// The panel's rectangle.
    rect: Rect,
    /// Height of its lobby strip.
    lobby_h: f32,
    /// The run's state now.
    state: &'a State,
    /// What differs from the other run, if two are shown.
    diffs: Option<&'a Differences>,
    /// Server slots drawn.
    servers: u32,
}

fn panel_frame(app: &App, p: &Panel<'_>) {
    let Panel {
        which,
        rect: panel,
        lobby_h,
        state,
        diffs,
        servers: n,
    } = *p;
    let tl = &app.timelines[which];
    let title = format!("{}  ({} events shown)", short_name(tl), state.events);
    text(&title, panel.x + 6.0, panel.y + 15.0, 16.0, style::DIM);
    let area = layout::server_area(panel, lobby_h);
    let o = &state.observed;
    let cap = tl.capacity();
    // Users per server, in slot order.
    let mut on_server: Vec<Vec<u32>> = vec![Vec::new(); n as usize];
    let mut searching = Vec::new();
    for (slot, u) in o.users.iter().enumerate() {
        match u {
            UserView::Connected(a) => {
                if let Some(i) = tl.layout.server_idx(*a).filter(|&i| i < n) {
                    on_server[i as usize].push(slot as u32);
                }
            }
            UserView::Connecting(_) | UserView::Backoff => searching.push(slot as u32),
            UserView::Dead => {}
        }
    }
    let user_differs = |slot: u32| diffs.is_some_and(|d| d.users[slot as usize]);
    // A slot the other run started and this one never did is absent here, not empty.
    let other = app
        .timelines
        .get(1 - which.min(1))
        .filter(|_| app.timelines.len() == 2);
    let absent = |idx: u32| !tl.ever_started(idx) && other.is_some_and(|o| o.ever_started(idx));
    for idx in 0..n {
        let (view, load) = o
            .servers
            .get(idx as usize)
            .copied()
            .unwrap_or((ServerView::Off, 0));
        let bx = layout::server_box(idx, n, area);
        let differs = diffs.is_some_and(|d| d.servers[idx as usize]);
        let fade = SimTime(((app.playback.speed * 1e6) as u64).clamp(2_000_000, 600_000_000));
        let seen = swarmlb_viewer::timeline::server_alpha(tl, idx, app.playback.time, fade);
        match view {
            ServerView::Off if absent(idx) => {
                hatch(bx, style::ABSENT);
                label(bx, &format!("S{idx} not in this run"), style::TEXT);
                continue;
            }
            ServerView::Off => outline(bx, 1.0, style::faded(style::DIM, 0.25)),
            ServerView::Terminated => {
                fill(bx, style::faded(style::BOX, seen));
                outline(bx, 1.0, style::faded(style::DIM, seen));
                label(
                    bx,
                    &format!("S{idx} gone"),
                    style::faded(style::DIM, seen.max(0.5)),
                );
            }
            ServerView::Crashed => {
                outline(bx, 2.0, style::CRASHED);
                line(bx.x, bx.y, bx.x + bx.w, bx.y + bx.h, 2.0, style::CRASHED);
                line(bx.x + bx.w, bx.y, bx.x, bx.y + bx.h, 2.0, style::CRASHED);
                label(bx, &format!("S{idx} crashed"), style::CRASHED);
            }
            ServerView::Alive | ServerView::Handoff | ServerView::Draining => {
                let alpha = if view == ServerView::Draining {
                    0.5
                } else {
                    1.0
                };
                // With hundreds of boxes the fills are most of the pixels a software
                // renderer pushes; the bar and outline say the same.
                if n <= 200 {
                    fill(bx, style::faded(style::BOX, alpha));
                }
                let bar = Rect {
                    x: bx.x + 2.0,
                    y: bx.y + bx.h * 0.25,
                    w: (bx.w - 4.0) * (load as f32 / cap.max(1) as f32).min(1.0),
                    h: (bx.h * 0.15).max(2.0),
                };
                fill(bar, style::faded(style::utilization(load, cap), alpha));
                outline(bx, 1.0, style::faded(style::DIM, alpha));
                let mark = match view {
                    ServerView::Handoff => " handoff",
                    ServerView::Draining => " draining",
                    _ => "",
                };
                label(bx, &format!("S{idx} {load}/{cap}{mark}"), style::TEXT);
                let users = &on_server[idx as usize];
                if layout::dots_fit(users.len() as u32, bx) {
                    for (k, &slot) in users.iter().enumerate() {
                        let (x, y) = layout::user_dot(k as u32, users.len() as u32, bx);
                        let color = if user_differs(slot) {
                            style::HIGHLIGHT
                        } else {
                            style::USER
                        };
                        draw_circle(x, y, 2.5, c(color));
                    }
                } else if bx.h > 30.0 {
                    text(
                        &format!("{} users", users.len()),
                        bx.x + 4.0,
                        bx.y + bx.h * 0.75,
                        14.0,
                        style::USER,
                    );
                }
                if users.iter().any(|&s| user_differs(s))
                    && !layout::dots_fit(users.len() as u32, bx)
                {
                    draw_circle(
                        bx.x + bx.w - 6.0,
                        bx.y + bx.h - 6.0,
                        4.0,
                        c(style::HIGHLIGHT),
                    );
                }
            }
        }
        if differs {
            outline(bx, 3.0, style::HIGHLIGHT);
        }
        if app.selected == Some(idx) {
            outline(
                Rect {
                    x: bx.x - 2.0,
                    y: bx.y - 2.0,
                    w: bx.w + 4.0,
                    h: bx.h + 4.0,
                },
                1.0,
                style::TEXT,
            );
        }
    }
    lobby(panel, lobby_h, &searching, &user_differs);
    messages(app, which, area, n);
    if app.chain_open && which == 1 {
        chain_overlay(app, panel, lobby_h, state, n);
    }
}

/// Where an agent is drawn in a box panel: a server's box centre, a connected user's
/// server, a searching user's lobby, anyone else's corner.
fn agent_position(
    tl: &Timeline,
    id: swarmlb_engine::AgentId,
    state: &State,
    panel: Rect,
    lobby_h: f32,
    n: u32,
) -> (f32, f32) {
    let area = layout::server_area(panel, lobby_h);
    let server = |i: u32| {
        let b = layout::server_box(i.min(n.max(1) - 1), n, area);
        (b.x + b.w / 2.0, b.y + b.h / 2.0)
    };
    let corner = (panel.x + 12.0, panel.y + 24.0);
    match tl.layout.agent(id) {
        Agent::Server(i) => server(i),
        Agent::User(slot) => match state.observed.users.get(slot as usize) {
            Some(UserView::Connected(a)) => tl.layout.server_idx(*a).map_or(corner, server),
            Some(UserView::Connecting(_) | UserView::Backoff) => {
                let l = layout::lobby_area(panel, lobby_h);
                (l.x + 80.0, l.y + l.h / 2.0)
            }
            Some(UserView::Dead) | None => corner,
        },
        Agent::Env | Agent::Coordinator | Agent::Perturber => corner,
    }
}

/// The causal chain's recent edges drawn over the branch's panel: an arrow from the agent
/// the difference came from (the tree node's parent) to the one it reached, fading with age.
fn chain_overlay(app: &App, panel: Rect, lobby_h: f32, state: &State, n: u32) {
    let Some(tree) = &app.chain else { return };
    let tl = &app.timelines[1];
    let t = app.playback.time;
    let window = fleet::message_window(app.playback.speed)
        .0
        .saturating_mul(10);
    let end = swarmlb_viewer::chain::reached(tree, t);
    let start = tree.nodes[..end].partition_point(|node| node.time.0 + window < t.0);
    for node in &tree.nodes[start..end] {
        let (x1, y1) = agent_position(tl, node.parent, state, panel, lobby_h, n);
        let (x2, y2) = agent_position(tl, node.agent, state, panel, lobby_h, n);
        let age = t.since(node.time) as f32 / window.max(1) as f32;
        let color = style::faded(style::CHAIN, 1.0 - 0.8 * age);
        line(x1, y1, x2, y2, 3.0, color);
        // The node it reached stays solid while its edge fades.
        draw_circle(x2, y2, 5.0, c(style::CHAIN));
    }
}

/// The causal chain instead of the event log: `swarmlb why`'s tree as far as it has grown
/// now, its root (the perturbation) first, then the nodes reached so far in the order
/// they diverged, each indented by its depth and saying which message carried the
/// difference to which agent (the lines `swarmlb why` prints), the newest last.
fn chain_panel(app: &App, area: Rect) {
    // The clear colour is the panel colour: no fill of its own (fill rate is what a
    // software renderer runs out of first).
    let t = app.playback.time;
    let Some(tree) = &app.chain else {
        text(
            "causal chain",
            area.x + 6.0,
            area.y + 14.0,
            13.0,
            style::CHAIN,
        );
        text(
            "needs two runs of one layout (a baseline and a branch)",
            area.x + 6.0,
            area.y + 30.0,
            13.0,
            style::DIM,
        );
        return;
    };
    let reached = swarmlb_viewer::chain::reached(tree, t);
    let head = format!(
        "causal chain (why): {reached} of {} agents reached  ([j] next)",
        tree.nodes.len()
    );
    text(&head, area.x + 6.0, area.y + 14.0, 13.0, style::CHAIN);
    if reached == 0 {
        let next = swarmlb_viewer::chain::next_node(tree, t)
            .map_or("the runs never differ".to_string(), |n| {
                format!("no difference yet; the first node is at t={n}")
            });
        text(&next, area.x + 6.0, area.y + 30.0, 13.0, style::DIM);
        return;
    }
    let lines = ((area.h - 36.0) / 14.0).max(1.0) as usize;
    text(
        &tree.root_line(),
        area.x + 6.0,
        area.y + 30.0,
        13.0,
        style::TEXT,
    );
    let first = reached.saturating_sub(lines);
    for (i, node) in tree.nodes[first..reached].iter().enumerate() {
        let indent = "  ".repeat(node.depth.min(8));
        let s = format!("{indent}{}", tree.describe(node));
        let y = area.y + 44.0 + i as f32 * 14.0;
        let newest = first + i + 1 == reached;
        if newest {
            // A bar marks the newest node, where the cascade is now.
            fill(
                Rect {
                    x: area.x + 1.0,
                    y: y - 10.0,
                    w: 3.0,
                    h: 12.0,
                },
                style::CHAIN,
            );
        }
        let color = if newest { style::CHAIN } else { style::TEXT };
        text(&s, area.x + 6.0, y, 13.0, color);
    }
}

/// The lobby strip: searching users as dots, or a count when there are too many.
fn lobby(panel: Rect, lobby_h: f32, searching: &[u32], user_differs: &dyn Fn(u32) -> bool) {
    let lobby = layout::lobby_area(panel, lobby_h);
    outline(lobby, 1.0, style::faded(style::DIM, 0.5));
    text(
        &format!("lobby: {} searching", searching.len()),
        lobby.x + 4.0,
        lobby.y + 13.0,
        14.0,
        style::DIM,
    );
    let per_row = ((lobby.w - 160.0) / 7.0).max(1.0) as usize;
    if searching.len() <= per_row * 2 {
        for (k, &slot) in searching.iter().enumerate() {
            let x = lobby.x + 160.0 + (k % per_row) as f32 * 7.0;
            let y = lobby.y + 6.0 + (k / per_row) as f32 * 7.0;
            let color = if user_differs(slot) {
                style::HIGHLIGHT
            } else {
                style::SEARCHING
            };
            draw_circle(x, y, 2.5, c(color));
        }
    } else if searching.iter().any(|&s| user_differs(s)) {
        draw_circle(
            lobby.x + lobby.w - 8.0,
            lobby.y + 8.0,
            4.0,
            c(style::HIGHLIGHT),
        );
    }
}

fn label(bx: Rect, s: &str, color: Rgba) {
    if bx.w > 40.0 && bx.h > 16.0 {
        let size = (bx.h * 0.22).clamp(10.0, 16.0);
        text(s, bx.x + 3.0, bx.y + size, size, color);
    }
}

/// Most message lines drawn per panel.
const MESSAGE_LINES_MAX: usize = 300;

/// Recent delegations, pulls, hand-offs and migrations as fading lines between servers.
fn messages(app: &App, which: usize, area: Rect, n: u32) {
    let tl = &app.timelines[which];
    let t = app.playback.time;
    let window = fleet::message_window(app.playback.speed).0;
    let from = SimTime(t.0.saturating_sub(window));
    let end = tl.events_until(t);
    // At most the most recent MESSAGE_LINES_MAX lines: beyond that they are noise, and
    // they cost frames at 100,000 users.
    let start = tl.events.partition_point(|e| e.time < from);
    let mut budget = MESSAGE_LINES_MAX;
    let center = |i: u32| {
        let b = layout::server_box(i, n, area);
        (b.x + b.w / 2.0, b.y + b.h / 2.0)
    };
    for e in tl.events[start..end].iter().rev() {
        let Some(color) = style::message(e.kind) else {
            continue;
        };
        if budget == 0 {
            break;
        }
        budget -= 1;
        let Some((a, b)) = fleet::message_servers(tl.layout, e) else {
            continue;
        };
        if a >= n || b >= n {
            continue;
        }
        let ((x1, y1), (x2, y2)) = (center(a), center(b));
        let age = (t.0 - e.time.0) as f32 / window as f32;
        line(x1, y1, x2, y2, 1.5, style::faded(color, 1.0 - age));
    }
}

/// The heat map of one timeline as a texture: one column per heat sample, one row per
/// server slot below `n`.
fn heat_texture(tl: &Timeline, n: u32) -> Texture2D {
    let heat = &tl.heat;
    let cols = heat.columns().clamp(1, usize::from(u16::MAX));
    let rows = n.clamp(1, fleet::HEAT_ROWS_MAX);
    let mut bytes = vec![0u8; cols * rows as usize * 4];
    let cap = tl.capacity();
    for row in 0..rows {
        let servers = fleet::heat_row_servers(row, rows, n);
        for col in 0..cols {
            let color = match heat.max_load(col, servers.clone()) {
                Some(load) => style::utilization(load, cap),
                None => style::BACKGROUND,
            };
            let i = (row as usize * cols + col) * 4;
            bytes[i..i + 4].copy_from_slice(&color);
        }
    }
    let texture = Texture2D::from_rgba8(cols as u16, rows as u16, &bytes);
    texture.set_filter(FilterMode::Nearest);
    texture
}

/// Time ticks along `area`'s bottom edge, for a run ending at `end`, with the unit.
fn time_axis(area: Rect, end: SimTime) {
    let (unit, name) = axes::time_unit(end);
    let span = end.0.max(1) as f64 / unit;
    let max = ((area.w / 60.0) as usize).clamp(2, axes::TICKS_MAX);
    let y = area.y + area.h;
    line(area.x, y, area.x + area.w, y, 1.0, style::DIM);
    let unit_label = format!("time ({name})");
    let unit_x = area.x + area.w - text_width(&unit_label, 12.0);
    text(&unit_label, unit_x, y + 13.0, 12.0, style::TEXT);
    for v in axes::ticks(0.0, span, max) {
        let x = area.x + area.w * (v / span) as f32;
        line(x, y, x, y + 3.0, 1.0, style::DIM);
        let s = axes::label(v);
        let w = text_width(&s, 12.0);
        // The unit's label wins over a tick label it would cover.
        if x + w / 2.0 < unit_x - 4.0 {
            text(&s, x - w / 2.0, y + 13.0, 12.0, style::DIM);
        }
    }
}

/// Value ticks for `0..=max` along `area`'s left (or right) edge, in `color`.
fn value_axis(area: Rect, max: f64, right: bool, color: Rgba) {
    let x = if right { area.x + area.w } else { area.x };
    line(x, area.y, x, area.y + area.h, 1.0, style::DIM);
    let n_ticks = ((area.h / 18.0) as usize).clamp(2, 5);
    for v in axes::ticks(0.0, max.max(1e-9), n_ticks) {
        let y = area.y + area.h * (1.0 - (v / max.max(1e-9)) as f32);
        let s = axes::label(v);
        let tx = if right {
            x + 4.0
        } else {
            x - 4.0 - text_width(&s, 12.0)
        };
        line(x - 2.0, y, x + 2.0, y, 1.0, style::DIM);
        text(&s, tx, y + 4.0, 12.0, color);
    }
}

/// The fleet view of one panel: a heat map of load (servers × time), a histogram of load
/// now, and flows between server groups.
fn fleet_panel(app: &mut App, p: &Panel<'_>) {
    let Panel {
        which,
        rect: panel,
        lobby_h,
        state,
        diffs,
        servers: n,
    } = *p;
    let tl = &app.timelines[which];
    let title = format!(
        "{}  ({} events shown)  fleet view: {} servers running",
        short_name(tl),
        state.events,
        state.observed.servers_running()
    );
    text(&title, panel.x + 6.0, panel.y + 15.0, 16.0, style::DIM);
    let area = layout::server_area(panel, lobby_h);
    let regions = layout::fleet(area);
    let end = app.playback.end;
    // Heat map.
    if app.heat_textures.len() != app.timelines.len() {
        app.heat_textures = vec![None; app.timelines.len()];
    }
    let tl = &app.timelines[which];
    let texture = app.heat_textures[which].get_or_insert_with(|| heat_texture(tl, n));
    let heat = regions.heat;
    text(
        "load per server over time (dark: not running)",
        heat.x,
        heat.y - 4.0,
        14.0,
        style::TEXT,
    );
    let t = app.playback.time;
    let cols_now = (tl.heat.column_at(t) + 1).min(tl.heat.columns());
    let shown_w = heat.w
        * (cols_now as f64 * tl.heat.interval.0 as f64 / end.0.max(1) as f64).min(1.0) as f32;
    draw_texture_ex(
        texture,
        heat.x,
        heat.y,
        WHITE,
        DrawTextureParams {
            dest_size: Some(vec2(shown_w, heat.h)),
            source: Some(macroquad::math::Rect::new(
                0.0,
                0.0,
                cols_now as f32,
                n.clamp(1, fleet::HEAT_ROWS_MAX) as f32,
            )),
            ..Default::default()
        },
    );
    outline(heat, 1.0, style::faded(style::DIM, 0.6));
    time_axis(heat, end);
    // Server axis: ids from the top.
    for v in axes::ticks(0.0, f64::from(n - 1), 6) {
        let y = heat.y + heat.h * (v as f32 + 0.5) / n as f32;
        let s = format!("S{}", v as u32);
        text(
            &s,
            heat.x - 4.0 - text_width(&s, 12.0),
            y + 4.0,
            12.0,
            style::DIM,
        );
    }
    let cursor = heat.x + heat.w * (t.0 as f32 / end.0.max(1) as f32);
    line(cursor, heat.y, cursor, heat.y + heat.h, 1.0, style::TEXT);
    // Servers that differ from the other run now: a magenta mark at the row's right end.
    if let Some(d) = diffs {
        let row_h = (heat.h / n.max(1) as f32).max(2.0);
        for idx in (0..n).filter(|&i| d.servers.get(i as usize) == Some(&true)) {
            fill(
                Rect {
                    x: heat.x + heat.w + 1.0,
                    y: heat.y + heat.h * idx as f32 / n as f32,
                    w: 6.0,
                    h: row_h,
                },
                style::HIGHLIGHT,
            );
        }
    }
    if let Some(idx) = app.selected.filter(|&i| i < n) {
        let y = heat.y + heat.h * (idx as f32 + 0.5) / n as f32;
        line(heat.x - 6.0, y, heat.x, y, 2.0, style::TEXT);
    }
    // Histogram.
    let cap = tl.capacity();
    let bins = fleet::histogram(&state.observed.servers, cap);
    let hist = regions.histogram;
    text(
        "servers (count) by load now",
        hist.x,
        hist.y - 4.0,
        14.0,
        style::TEXT,
    );
    let top = f64::from(bins.iter().copied().max().unwrap_or(1).max(1));
    let bw = hist.w / bins.len() as f32;
    for (k, &count) in bins.iter().enumerate() {
        let h = hist.h * (f64::from(count) / top) as f32;
        fill(
            Rect {
                x: hist.x + bw * k as f32 + 1.0,
                y: hist.y + hist.h - h,
                w: bw - 2.0,
                h,
            },
            style::ramp((k as f32 + 0.5) / bins.len() as f32),
        );
    }
    value_axis(hist, top, false, style::DIM);
    let y = hist.y + hist.h;
    line(hist.x, y, hist.x + hist.w, y, 1.0, style::DIM);
    for (pct, s) in [(0, "0%"), (50, "50% of capacity"), (100, "100%")] {
        let x = hist.x + hist.w * pct as f32 / 100.0;
        let w = text_width(s, 12.0);
        let x = (x - w / 2.0).min(hist.x + hist.w - w);
        text(s, x, y + 13.0, 12.0, style::DIM);
    }
    flows(app, which, regions.flows, n);
    // The lobby as a count: 100,000 dots say nothing.
    let searching = state
        .observed
        .users
        .iter()
        .filter(|u| matches!(u, UserView::Connecting(_) | UserView::Backoff))
        .count();
    let lobby = layout::lobby_area(panel, lobby_h);
    outline(lobby, 1.0, style::faded(style::DIM, 0.5));
    text(
        &format!(
            "lobby: {searching} searching, {} connected",
            state.observed.users_connected()
        ),
        lobby.x + 4.0,
        lobby.y + 13.0,
        14.0,
        style::DIM,
    );
}

/// Recent messages between server groups: groups on a circle, one line per (pair, kind)
/// whose width grows with the log of its count.
fn flows(app: &App, which: usize, area: Rect, n: u32) {
    let tl = &app.timelines[which];
    let t = app.playback.time;
    let window = fleet::message_window(app.playback.speed);
    let start = tl
        .events
        .partition_point(|e| e.time < SimTime(t.0.saturating_sub(window.0)));
    let end = tl.events_until(t).max(start);
    // At high speed the window holds more events than a frame may read: the title says
    // the time actually covered.
    let start = start.max(end.saturating_sub(fleet::FLOW_EVENTS_MAX));
    let covered = tl
        .events
        .get(start)
        .filter(|_| start < end)
        .map_or(window.0, |e| t.since(e.time).min(window.0));
    let counts = fleet::flows(tl.layout, &tl.events[start..end], n);
    let g = fleet::groups(n);
    text(
        &format!(
            "messages between server groups, last {} s",
            axes::label((covered as f64 / 1e5).round() / 10.0)
        ),
        area.x,
        area.y - 4.0,
        14.0,
        style::TEXT,
    );
    let (cx, cy) = (area.x + area.w / 2.0, area.y + area.h / 2.0 + 4.0);
    let r = (area.w.min(area.h) / 2.0 - 22.0).max(10.0);
    let node = |k: u32| {
        let a = std::f32::consts::TAU * k as f32 / g as f32 - std::f32::consts::FRAC_PI_2;
        (cx + r * a.cos(), cy + r * a.sin())
    };
    for a in 0..g {
        for b in 0..g {
            for (class, &color) in style::FLOWS.iter().enumerate() {
                let count = counts[((a * g + b) as usize) * fleet::FLOW_KINDS + class];
                if count == 0 {
                    continue;
                }
                let width = 1.0 + (count as f32).log2();
                let (x1, y1) = node(a);
                if a == b {
                    draw_circle_lines(x1, y1, 7.0 + 2.0 * class as f32, width.min(4.0), c(color));
                    continue;
                }
                let (x2, y2) = node(b);
                // Each kind gets its own lane so that kinds between one pair don't cover
                // each other.
                let (dx, dy) = (x2 - x1, y2 - y1);
                let len = (dx * dx + dy * dy).sqrt().max(1.0);
                let off = (class as f32 - 1.5) * 3.0;
                let (ox, oy) = (-dy / len * off, dx / len * off);
                line(
                    x1 + ox,
                    y1 + oy,
                    x2 + ox,
                    y2 + oy,
                    width,
                    style::faded(color, 0.8),
                );
            }
        }
    }
    for k in 0..g {
        let (x, y) = node(k);
        draw_circle(x, y, 5.0, c(style::TEXT));
        let first = fleet::group_start(k, n);
        let last = fleet::group_start(k + 1, n).max(first + 1) - 1;
        let s = format!("S{first}-{last}");
        let (lx, ly) = (x + (x - cx) / r * 16.0, y + (y - cy) / r * 12.0);
        text(
            &s,
            lx - text_width(&s, 12.0) / 2.0,
            ly + 4.0,
            12.0,
            style::DIM,
        );
    }
}

/// In the fleet view, the server and load under the mouse.
fn hover(app: &App, states: &[State]) {
    let (mx, my) = mouse_position();
    let Some(idx) = app.server_at(mx, my) else {
        return;
    };
    let screen = app.screen();
    let which = screen
        .panels
        .iter()
        .position(|p| p.is_some_and(|p| p.contains(mx, my)))
        .unwrap_or(0);
    let tl = &app.timelines[which];
    let heat = layout::fleet(layout::server_area(
        screen.panels[which].expect("the mouse is in it"),
        screen.lobby_height,
    ))
    .heat;
    let end = app.playback.end;
    let at = SimTime((f64::from((mx - heat.x) / heat.w).clamp(0.0, 1.0) * end.0 as f64) as u64);
    let cell = if at <= app.playback.time {
        match tl.heat.load(tl.heat.column_at(at), idx) {
            Some(load) => format!("load {load}/{}", tl.capacity()),
            None => "not running".to_string(),
        }
    } else {
        let (view, load) = states[which]
            .observed
            .servers
            .get(idx as usize)
            .copied()
            .unwrap_or((ServerView::Off, 0));
        format!("now {view:?} {load}/{}", tl.capacity())
    };
    let s = format!("S{idx} at {at}: {cell} (click for details)");
    let w = text_width(&s, 14.0) + 12.0;
    let bx = Rect {
        x: (mx + 12.0).min(screen_width() - w - 4.0),
        y: my + 12.0,
        w,
        h: 20.0,
    };
    fill(bx, style::OVERLAY);
    outline(bx, 1.0, style::DIM);
    text(&s, bx.x + 6.0, bx.y + 14.0, 14.0, style::TEXT);
}

/// A value of a history point, for one plot strip.
type HistoryValue = fn(&HistoryPoint) -> f64;

/// The history strips: servers running, users connected and load CoV over time, one line
/// per run (coloured by run, named in the strip's header when there are two).
fn plots(app: &App, area: Rect) {
    // The clear colour is the panel colour: no fill of its own (fill rate is what a
    // software renderer runs out of first).
    let two = app.timelines.len() == 2;
    let inner = |r: Rect| Rect {
        x: r.x + layout::AXIS_LEFT,
        y: r.y + 18.0,
        w: r.w - layout::AXIS_LEFT - 12.0,
        h: r.h - 18.0 - layout::AXIS_BOTTOM - 4.0,
    };
    let (hist_area, div_area) = if two {
        let left = Rect {
            w: area.w * 0.55,
            ..area
        };
        let right = Rect {
            x: area.x + area.w * 0.55,
            w: area.w * 0.45 - 36.0,
            ..area
        };
        (inner(left), Some(inner(right)))
    } else {
        (inner(area), None)
    };
    let end = app.playback.end;
    let px = |r: Rect, time: SimTime| r.x + r.w * time.0 as f32 / end.0.max(1) as f32;
    // Header: what the colours mean.
    let mut x = hist_area.x;
    let y = area.y + 13.0;
    text(
        "history:",
        x - layout::AXIS_LEFT + 6.0,
        y,
        14.0,
        style::TEXT,
    );
    for (tl, color) in app.timelines.iter().zip([style::RUN_A, style::RUN_B]) {
        line(x + 20.0, y - 4.0, x + 38.0, y - 4.0, 3.0, color);
        let s = short_name(tl);
        text(&s, x + 42.0, y, 14.0, color);
        x += 52.0 + text_width(&s, 14.0);
    }
    let strips: [(&str, HistoryValue); 3] = [
        ("servers running", |p| f64::from(p.servers_alive)),
        ("users connected", |p| f64::from(p.users_connected)),
        ("load CoV", |p| p.load_cov),
    ];
    let gap = 4.0;
    let strip_h = (hist_area.h - gap * 2.0) / 3.0;
    for (k, (name, value)) in strips.iter().enumerate() {
        let r = Rect {
            y: hist_area.y + (strip_h + gap) * k as f32,
            h: strip_h,
            ..hist_area
        };
        let max = app
            .timelines
            .iter()
            .flat_map(|tl| tl.history.iter().map(value))
            .fold(0.0, f64::max)
            .max(if k == 2 { 0.1 } else { 1.0 });
        outline(r, 1.0, style::faded(style::DIM, 0.4));
        // The first run is drawn thicker, under the second, so both show where they agree.
        for ((tl, color), width) in app
            .timelines
            .iter()
            .zip([style::RUN_A, style::RUN_B])
            .zip(if two { [3.5, 1.5] } else { [1.5, 1.5] })
        {
            for w in tl.history.windows(2) {
                let ys = |p: &HistoryPoint| r.y + r.h * (1.0 - (value(p) / max) as f32);
                line(
                    px(r, w[0].time),
                    ys(&w[0]),
                    px(r, w[1].time),
                    ys(&w[1]),
                    width,
                    color,
                );
            }
        }
        // The strip's name on a patch of background, readable over its lines.
        fill(
            Rect {
                x: r.x + 1.0,
                y: r.y + 1.0,
                w: text_width(name, 12.0) + 6.0,
                h: 14.0,
            },
            style::PANEL,
        );
        text(name, r.x + 4.0, r.y + 12.0, 12.0, style::TEXT);
        // Top and zero only: the strips are short.
        let top = axes::label(if k == 2 {
            (max * 100.0).round() / 100.0
        } else {
            max
        });
        text(
            &top,
            r.x - 4.0 - text_width(&top, 12.0),
            r.y + 9.0,
            12.0,
            style::DIM,
        );
        text(
            "0",
            r.x - 4.0 - text_width("0", 12.0),
            r.y + r.h,
            12.0,
            style::DIM,
        );
        let cursor = px(r, app.playback.time);
        line(cursor, r.y, cursor, r.y + r.h, 1.0, style::TEXT);
    }
    time_axis(hist_area, end);
    if let Some(div) = div_area {
        divergence(app, div);
    }
}

/// The divergence plot: micro (agents differing, left axis) and macro (L1 distance of the
/// server loads, right axis) over time.
fn divergence(app: &App, div: Rect) {
    let end = app.playback.end;
    let y = div.y - 5.0;
    let mut x = div.x;
    text("divergence:", x, y, 14.0, style::TEXT);
    x += text_width("divergence:", 14.0) + 6.0;
    for (s, color) in [
        ("micro, agents (left)", style::MICRO),
        ("macro, L1 load (right)", style::MACRO),
    ] {
        line(x, y - 4.0, x + 14.0, y - 4.0, 3.0, color);
        text(s, x + 18.0, y, 14.0, color);
        x += 28.0 + text_width(s, 14.0);
    }
    outline(div, 1.0, style::faded(style::DIM, 0.6));
    let max_micro = app
        .divergence
        .iter()
        .map(|p| p.micro)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let max_macro = app
        .divergence
        .iter()
        .map(|p| p.macro_l1)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    value_axis(div, max_micro, false, style::MICRO);
    value_axis(div, max_macro, true, style::MACRO);
    time_axis(div, end);
    let dx = |time: SimTime| div.x + div.w * time.0 as f32 / end.0.max(1) as f32;
    let ym = |v: f64, m: f64| div.y + div.h * (1.0 - (v / m) as f32);
    for w in app.divergence.windows(2) {
        line(
            dx(w[0].time),
            ym(w[0].micro as f64, max_micro),
            dx(w[1].time),
            ym(w[1].micro as f64, max_micro),
            1.5,
            style::MICRO,
        );
        line(
            dx(w[0].time),
            ym(w[0].macro_l1 as f64, max_macro),
            dx(w[1].time),
            ym(w[1].macro_l1 as f64, max_macro),
            1.5,
            style::MACRO,
        );
    }
    let cursor = dx(app.playback.time);
    line(cursor, div.y, cursor, div.y + div.h, 1.0, style::TEXT);
}

fn log(app: &App, area: Rect) {
    // The clear colour is the panel colour: no fill of its own (fill rate is what a
    // software renderer runs out of first).
    let mut head = String::from("log ");
    for (i, cat) in CATEGORIES.iter().enumerate() {
        head.push_str(&format!(
            "[{}]{}{} ",
            i + 1,
            if app.categories[i] { "" } else { "-" },
            cat.name()
        ));
    }
    text(&head, area.x + 6.0, area.y + 14.0, 13.0, style::DIM);
    let tl = &app.timelines[app.timelines.len() - 1];
    let style_text = Style {
        layout: tl.layout,
        capacity: tl.capacity(),
    };
    let shown = CATEGORIES.iter().zip(app.categories);
    let keep = |k: swarmlb_model::Kind| shown.clone().any(|(cat, on)| on && k.category() == *cat);
    let lines = ((area.h - 22.0) / 14.0).max(0.0) as usize;
    let end = tl.events_until(app.playback.time);
    let recent: Vec<_> = tl.events[..end]
        .iter()
        .rev()
        .filter(|e| keep(e.kind))
        .take(lines)
        .collect();
    for (i, e) in recent.iter().rev().enumerate() {
        let s = format!("{} {}", e.kind.category().name(), style_text.line(e));
        let color = CATEGORIES
            .iter()
            .position(|cat| *cat == e.kind.category())
            .map_or(style::TEXT, |k| style::CATEGORY[k]);
        text(
            &s,
            area.x + 6.0,
            area.y + 30.0 + i as f32 * 14.0,
            13.0,
            color,
        );
    }
}

fn timeline(app: &App, area: Rect) {
    fill(area, style::STRIP);
    let bar = Rect {
        x: area.x + 8.0,
        y: area.y + 6.0,
        w: area.w - 16.0,
        h: 8.0,
    };
    fill(bar, style::TRACK);
    fill(
        Rect {
            w: bar.w * app.playback.fraction() as f32,
            ..bar
        },
        style::PLAYED,
    );
    for p in app.divergence.iter().filter(|p| p.micro > 0) {
        let x = bar.x + bar.w * (p.time.0 as f32 / app.playback.end.0.max(1) as f32);
        line(x, bar.y + bar.h, x, bar.y + bar.h + 4.0, 1.0, style::MICRO);
    }
    let p = &app.playback;
    let s = format!(
        "t={} / {}   {}   speed {}x   {}",
        p.time,
        p.end,
        if p.playing { "playing" } else { "paused" },
        p.speed,
        keys::footer()
    );
    text(&s, area.x + 8.0, area.y + 30.0, 14.0, style::TEXT);
}

fn status(app: &App, diffs: Option<&Differences>) {
    let tl = &app.timelines[0];
    let mut s = format!(
        "{} ({}), seed {}",
        tl.scenario.name,
        tl.scenario.policy.name(),
        tl.header.seed
    );
    if let Some(d) = diffs {
        s.push_str(&format!("   differing agents now: {}", d.count()));
    }
    text(&s, 8.0, 19.0, 18.0, style::TEXT);
    let problem = app.timelines.iter().find_map(|t| t.problem.clone());
    if let Some(msg) = app.notice.clone().or(problem) {
        let x = 16.0 + text_width(&s, 18.0);
        text(&msg, x, 19.0, 15.0, style::NOTICE);
    }
    let b = app.butterfly_button();
    fill(b, style::BUTTON);
    outline(b, 1.0, style::DIM);
    text("Butterfly (b)", b.x + 10.0, b.y + 16.0, 16.0, style::TEXT);
}

fn details(app: &App, which: usize, idx: u32, state: &State) {
    let tl = &app.timelines[which];
    let (view, load) = state
        .observed
        .servers
        .get(idx as usize)
        .copied()
        .unwrap_or((ServerView::Off, 0));
    let w = 460.0;
    let area = Rect {
        x: screen_width() - w - 10.0,
        y: 60.0,
        w,
        h: 230.0,
    };
    fill(area, style::OVERLAY);
    outline(area, 1.0, style::TEXT);
    text(
        &format!(
            "S{idx} in {}: {view:?}, load {load}/{}   (esc closes)",
            short_name(tl),
            tl.capacity()
        ),
        area.x + 8.0,
        area.y + 18.0,
        16.0,
        style::TEXT,
    );
    let agent = tl.layout.server(idx);
    let style_text = Style {
        layout: tl.layout,
        capacity: tl.capacity(),
    };
    let end = tl.events_until(app.playback.time);
    let recent: Vec<_> = tl.events[..end]
        .iter()
        .rev()
        .filter(|e| e.source == agent || e.target == agent)
        .take(13)
        .collect();
    for (i, e) in recent.iter().rev().enumerate() {
        text(
            &style_text.line(e),
            area.x + 8.0,
            area.y + 38.0 + i as f32 * 14.0,
            13.0,
            style::DIM,
        );
    }
}

fn help() {
    let lines = keys::help_lines();
    let area = Rect {
        x: 60.0,
        y: 60.0,
        w: 640.0,
        h: 30.0 + 18.0 * lines.len() as f32,
    };
    fill(area, style::OVERLAY);
    outline(area, 1.0, style::TEXT);
    for (i, l) in lines.iter().enumerate() {
        text(
            l,
            area.x + 12.0,
            area.y + 24.0 + i as f32 * 18.0,
            16.0,
            style::TEXT,
        );
    }
}
