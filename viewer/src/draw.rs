//! Drawing one frame with macroquad. Everything it needs is computed by the library; this
//! module only turns it into rectangles, dots, lines and text.

use macroquad::prelude::*;
use swarmlb_engine::{AgentId, SimTime};
use swarmlb_model::Kind;
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_trace::State;
use swarmlb_trace::text::Style;
use swarmlb_viewer::compare::{self, Differences};
use swarmlb_viewer::layout::{self, Rect};
use swarmlb_viewer::style::{self, Rgba};

use crate::app::{App, CATEGORIES};

fn c(rgba: Rgba) -> Color {
    Color::from_rgba(rgba[0], rgba[1], rgba[2], rgba[3])
}

fn text(s: &str, x: f32, y: f32, size: f32, color: Rgba) {
    draw_text(s, x, y, size, c(color));
}

fn fill(r: Rect, color: Rgba) {
    draw_rectangle(r.x, r.y, r.w, r.h, c(color));
}

fn outline(r: Rect, thickness: f32, color: Rgba) {
    draw_rectangle_lines(r.x, r.y, r.w, r.h, thickness, c(color));
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

fn lobby_area(panel: Rect, lobby_height: f32) -> Rect {
    Rect {
        x: panel.x + 4.0,
        y: panel.y + panel.h - lobby_height,
        w: panel.w - 8.0,
        h: lobby_height - 4.0,
    }
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
        panel_frame(
            app,
            i,
            *panel,
            screen.lobby_height,
            &states[i],
            diffs.as_ref(),
            n,
        );
    }
    if let Some(second) = screen.panels[1] {
        draw_line(
            second.x,
            second.y,
            second.x,
            second.y + second.h,
            3.0,
            c(style::DIVIDER),
        );
    }
    plots(app, screen.plots);
    log(app, screen.log);
    timeline(app, screen.timeline);
    status(app, diffs.as_ref());
    if let Some(idx) = app.selected {
        details(app, idx, &states[0]);
    }
    if app.help {
        help();
    }
}

#[allow(clippy::too_many_arguments)]
fn panel_frame(
    app: &App,
    which: usize,
    panel: Rect,
    lobby_h: f32,
    state: &State,
    diffs: Option<&Differences>,
    n: u32,
) {
    let tl = &app.timelines[which];
    let title = format!("{}  ({} events shown)", tl.name, state.events);
    text(&title, panel.x + 6.0, panel.y + 15.0, 16.0, style::DIM);
    let area = server_area(panel, lobby_h);
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
    for idx in 0..n {
        let (view, load) = o.servers[idx as usize];
        let bx = layout::server_box(idx, n, area);
        let differs = diffs.is_some_and(|d| d.servers[idx as usize]);
        let fade = SimTime(((app.playback.speed * 1e6) as u64).clamp(2_000_000, 600_000_000));
        let seen = swarmlb_viewer::timeline::server_alpha(tl, idx, app.playback.time, fade);
        match view {
            ServerView::Off => outline(bx, 1.0, style::faded(style::DIM, 0.25)),
            ServerView::Terminated => {
                fill(bx, style::faded([40, 46, 60, 255], seen));
                outline(bx, 1.0, style::faded(style::DIM, seen));
                label(
                    bx,
                    &format!("S{idx} gone"),
                    style::faded(style::DIM, seen.max(0.5)),
                );
            }
            ServerView::Crashed => {
                outline(bx, 2.0, style::CRASHED);
                draw_line(bx.x, bx.y, bx.x + bx.w, bx.y + bx.h, 2.0, c(style::CRASHED));
                draw_line(bx.x + bx.w, bx.y, bx.x, bx.y + bx.h, 2.0, c(style::CRASHED));
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
                    fill(bx, style::faded([40, 46, 60, 255], alpha));
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
    // Lobby: searching users.
    let lobby = lobby_area(panel, lobby_h);
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
    messages(app, which, area, n);
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
    let window = ((app.playback.speed * 0.5 * 1e6) as u64).clamp(50_000, 60_000_000);
    let from = SimTime(t.0.saturating_sub(window));
    let end = tl.events_until(t);
    // At most the most recent MESSAGE_LINES_MAX lines: beyond that they are noise, and
    // they cost frames at 100,000 users.
    let start = tl.events.partition_point(|e| e.time < from);
    let mut budget = MESSAGE_LINES_MAX;
    let center = |id: AgentId| {
        tl.layout.server_idx(id).filter(|&i| i < n).map(|i| {
            let b = layout::server_box(i, n, area);
            (b.x + b.w / 2.0, b.y + b.h / 2.0)
        })
    };
    for e in tl.events[start..end].iter().rev() {
        let Some(color) = style::message(e.kind) else {
            continue;
        };
        if budget == 0 {
            break;
        }
        budget -= 1;
        let peer = match e.kind {
            Kind::Migrated => AgentId(e.value),
            _ => tl.layout.server(e.value.min(tl.layout.max_servers - 1)),
        };
        let (a, b) = match e.kind {
            Kind::Migrated | Kind::ConnectDelegate | Kind::PullAsk | Kind::HandoffOffer => {
                (center(e.source).or(center(e.target)), center(peer))
            }
            _ => (center(e.source), center(e.target)),
        };
        if let (Some((x1, y1)), Some((x2, y2))) = (a, b) {
            let age = (t.0 - e.time.0) as f32 / window as f32;
            draw_line(x1, y1, x2, y2, 1.5, c(style::faded(color, 1.0 - age)));
        }
    }
}

/// A value of a history point, scaled to 0..=1 for the plot.
type HistoryValue<'a> = dyn Fn(&swarmlb_viewer::timeline::HistoryPoint) -> f32 + 'a;

fn plots(app: &App, area: Rect) {
    fill(area, style::PANEL);
    let two = app.timelines.len() == 2;
    let hist = Rect {
        x: area.x + 8.0,
        y: area.y + 18.0,
        w: if two {
            area.w / 2.0 - 16.0
        } else {
            area.w - 16.0
        },
        h: area.h - 26.0,
    };
    let end = app.playback.end.0.max(1) as f32;
    let tl = &app.timelines[0];
    text(
        "servers alive (blue), users connected (white), load CoV (orange)",
        hist.x,
        hist.y - 4.0,
        14.0,
        style::DIM,
    );
    outline(hist, 1.0, style::faded(style::DIM, 0.6));
    let max_users = tl
        .history
        .iter()
        .map(|p| p.users_connected)
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let max_servers = tl
        .history
        .iter()
        .map(|p| p.servers_alive)
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let px = |time: SimTime| hist.x + hist.w * time.0 as f32 / end;
    let series: [(&HistoryValue<'_>, Rgba); 3] = [
        (
            &|p| p.servers_alive as f32 / max_servers,
            [90, 150, 255, 255],
        ),
        (&|p| p.users_connected as f32 / max_users, style::TEXT),
        (&|p| (p.load_cov as f32).min(1.0), [255, 170, 60, 255]),
    ];
    for (value, color) in series {
        for w in tl.history.windows(2) {
            let (y1, y2) = (
                hist.y + hist.h * (1.0 - value(&w[0])),
                hist.y + hist.h * (1.0 - value(&w[1])),
            );
            draw_line(px(w[0].time), y1, px(w[1].time), y2, 1.5, c(color));
        }
    }
    let cursor = px(app.playback.time);
    draw_line(cursor, hist.y, cursor, hist.y + hist.h, 1.0, c(style::TEXT));
    if two {
        let div = Rect {
            x: area.x + area.w / 2.0 + 8.0,
            y: hist.y,
            w: area.w / 2.0 - 16.0,
            h: hist.h,
        };
        text(
            "divergence: micro (orange), macro L1 (green)",
            div.x,
            div.y - 4.0,
            14.0,
            style::DIM,
        );
        outline(div, 1.0, style::faded(style::DIM, 0.6));
        let max_micro = app
            .divergence
            .iter()
            .map(|p| p.micro)
            .max()
            .unwrap_or(1)
            .max(1) as f32;
        let max_macro = app
            .divergence
            .iter()
            .map(|p| p.macro_l1)
            .max()
            .unwrap_or(1)
            .max(1) as f32;
        let dx = |time: SimTime| div.x + div.w * time.0 as f32 / end;
        for w in app.divergence.windows(2) {
            let ym = |v: f32, m: f32| div.y + div.h * (1.0 - v / m);
            draw_line(
                dx(w[0].time),
                ym(w[0].micro as f32, max_micro),
                dx(w[1].time),
                ym(w[1].micro as f32, max_micro),
                1.5,
                c(style::MICRO),
            );
            draw_line(
                dx(w[0].time),
                ym(w[0].macro_l1 as f32, max_macro),
                dx(w[1].time),
                ym(w[1].macro_l1 as f32, max_macro),
                1.5,
                c(style::MACRO),
            );
        }
        let cursor = dx(app.playback.time);
        draw_line(cursor, div.y, cursor, div.y + div.h, 1.0, c(style::TEXT));
    }
}

fn category_color(kind: Kind) -> Rgba {
    match kind.category() {
        swarmlb_model::record::Category::Comm => style::TEXT,
        swarmlb_model::record::Category::Collab => [120, 170, 255, 255],
        swarmlb_model::record::Category::Transfer => [120, 230, 150, 255],
        swarmlb_model::record::Category::Nego => [255, 190, 90, 255],
        swarmlb_model::record::Category::Butterfly => [255, 120, 120, 255],
    }
}

fn log(app: &App, area: Rect) {
    fill(area, style::PANEL);
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
    let keep = |k: Kind| shown.clone().any(|(cat, on)| on && k.category() == *cat);
    let lines = ((area.h - 22.0) / 14.0).max(0.0) as usize;
    let end = tl.events_until(app.playback.time);
    let recent: Vec<_> = tl.events[..end]
        .iter()
        .rev()
        .filter(|e| keep(e.kind))
        .take(lines)
        .collect();
    for (i, e) in recent.iter().rev().enumerate() {
        let line = format!("{} {}", e.kind.category().name(), style_text.line(e));
        text(
            &line,
            area.x + 6.0,
            area.y + 30.0 + i as f32 * 14.0,
            13.0,
            category_color(e.kind),
        );
    }
}

fn timeline(app: &App, area: Rect) {
    fill(area, [24, 27, 34, 255]);
    let bar = Rect {
        x: area.x + 8.0,
        y: area.y + 6.0,
        w: area.w - 16.0,
        h: 8.0,
    };
    fill(bar, [50, 56, 70, 255]);
    fill(
        Rect {
            w: bar.w * app.playback.fraction() as f32,
            ..bar
        },
        [110, 140, 200, 255],
    );
    for p in app.divergence.iter().filter(|p| p.micro > 0) {
        let x = bar.x + bar.w * (p.time.0 as f32 / app.playback.end.0.max(1) as f32);
        draw_line(
            x,
            bar.y + bar.h,
            x,
            bar.y + bar.h + 4.0,
            1.0,
            c(style::MICRO),
        );
    }
    let p = &app.playback;
    let s = format!(
        "t={} / {}   {}   speed {}x   [space] play  [+/-] speed  [->] step  [n] next divergence  [b] butterfly  [h] help",
        p.time,
        p.end,
        if p.playing { "playing" } else { "paused" },
        p.speed
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
        text(&msg, 420.0, 19.0, 15.0, [255, 170, 60, 255]);
    }
    let b = app.butterfly_button();
    fill(b, [70, 40, 70, 255]);
    outline(b, 1.0, style::DIM);
    text("Butterfly (b)", b.x + 10.0, b.y + 16.0, 16.0, style::TEXT);
}

fn details(app: &App, idx: u32, state: &State) {
    let tl = &app.timelines[0];
    let (view, load) = state.observed.servers[idx as usize];
    let w = 460.0;
    let area = Rect {
        x: screen_width() - w - 10.0,
        y: 40.0,
        w,
        h: 230.0,
    };
    fill(area, [10, 12, 16, 235]);
    outline(area, 1.0, style::TEXT);
    text(
        &format!("S{idx}: {view:?}, load {load}/{}", tl.capacity()),
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
    let lines = [
        "space       play / pause",
        "+ / -       faster / slower (also up / down)",
        "right       step to the next event",
        "home        back to the start",
        "n           jump to the next divergence",
        "b           fork a butterfly branch at this time (also the button)",
        "s           save the forked branch as a trace",
        "1..5        toggle log categories COMM COLLAB TRANSFER NEGO BUTTERFLY",
        "click       a server for details; the timeline to scrub",
        "h           this help",
    ];
    let area = Rect {
        x: 60.0,
        y: 60.0,
        w: 560.0,
        h: 30.0 + 18.0 * lines.len() as f32,
    };
    fill(area, [10, 12, 16, 240]);
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
