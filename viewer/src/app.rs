//! The viewer's state between frames and what input does to it.

use macroquad::prelude::*;
use swarmlb_engine::SimTime;
use swarmlb_model::record::Category;
use swarmlb_trace::diff::Point;
use swarmlb_trace::why::Tree;
use swarmlb_viewer::chain;
use swarmlb_viewer::compare;
use swarmlb_viewer::fleet;
use swarmlb_viewer::keys::{self, Action};
use swarmlb_viewer::knobs::{self, Knobs, Rerun};
use swarmlb_viewer::layout::{self, Screen};
use swarmlb_viewer::playback::Playback;
use swarmlb_viewer::timeline::Timeline;

/// Everything the viewer shows.
pub struct App {
    /// One or two timelines.
    pub timelines: Vec<Timeline>,
    /// Where in time we are.
    pub playback: Playback,
    /// Divergence per sample when two timelines are shown.
    pub divergence: Vec<Point>,
    /// The clicked server, if any.
    pub selected: Option<u32>,
    /// The panel it was clicked in (its details come from that run).
    pub selected_panel: usize,
    /// Show the key help.
    pub help: bool,
    /// Event log categories shown (COMM, COLLAB, TRANSFER, NEGO, BUTTERFLY).
    pub categories: [bool; 5],
    /// A one-line message for the status bar (butterfly forked, saved...).
    pub notice: Option<String>,
    /// The run made in the viewer (a butterfly fork or a knobs run), for saving.
    pub made: Option<Made>,
    /// The knobs' values (kept while the panel is closed).
    pub knobs: Knobs,
    /// Show the knobs panel.
    pub knobs_open: bool,
    /// The knob the keys move (an index into `knobs::FIELDS`).
    pub knob_selected: usize,
    /// The causal chain of the second run against the first, `swarmlb why`'s tree (none
    /// with one run, or two runs of different layouts).
    pub chain: Option<Tree>,
    /// Show the causal chain instead of the event log.
    pub chain_open: bool,
    /// Show the fleet view (heat map, histogram, flows) instead of server boxes.
    pub fleet: bool,
    /// The fleet heat map of each timeline as a texture, made on first use.
    pub heat_textures: Vec<Option<Texture2D>>,
    /// The states last drawn and their time, so playing forward folds only new events.
    cache: Option<(SimTime, Vec<swarmlb_trace::State>)>,
}

/// A run made in the viewer, to save.
pub enum Made {
    /// A butterfly branch forked at a time: its trace.
    Fork(SimTime, Vec<u8>),
    /// A run of the scenario changed with the knobs: its trace and scenario.
    Knobs(Box<Rerun>),
}

/// The log categories in key order.
pub const CATEGORIES: [Category; 5] = [
    Category::Comm,
    Category::Collab,
    Category::Transfer,
    Category::Nego,
    Category::Butterfly,
];

impl App {
    /// Show `timelines` starting at `at`.
    pub fn new(timelines: Vec<Timeline>, at: SimTime) -> App {
        let end = timelines
            .iter()
            .map(Timeline::end)
            .max()
            .unwrap_or(SimTime::ZERO);
        let timelines_scenario = timelines[0].scenario.clone();
        let mut app = App {
            timelines,
            playback: Playback::new(at, end),
            divergence: Vec::new(),
            selected: None,
            selected_panel: 0,
            help: false,
            categories: [true; 5],
            notice: None,
            made: None,
            knobs: Knobs::new(&timelines_scenario),
            knobs_open: false,
            knob_selected: 0,
            chain: None,
            chain_open: false,
            fleet: false,
            heat_textures: Vec::new(),
            cache: None,
        };
        app.fleet = fleet::starts_in_fleet(app.servers_used());
        app.refresh_divergence();
        app
    }

    /// The state of every timeline at the current time; moving forward folds only the
    /// events in between, moving back starts from the nearest keyframe. Give them back with
    /// [`App::keep`] once drawn: copying two 100,000-user states every frame showed in a profile
    /// of the fleet view of two runs (memmove 4.9% of the samples; all of libc 2.4% without
    /// the copies).
    pub fn states(&mut self) -> Vec<swarmlb_trace::State> {
        let t = self.playback.time;
        match self.cache.take() {
            Some((last, mut states)) if last <= t && states.len() == self.timelines.len() => {
                for (tl, state) in self.timelines.iter().zip(&mut states) {
                    let (from, to) = (state.events as usize, tl.events_until(t));
                    for e in &tl.events[from..to] {
                        state.apply(e);
                    }
                }
                states
            }
            _ => self.timelines.iter().map(|tl| tl.state_at(t)).collect(),
        }
    }

    /// Keep `states`, from [`App::states`] in this frame, for the next frame to start from.
    pub fn keep(&mut self, states: Vec<swarmlb_trace::State>) {
        self.cache = Some((self.playback.time, states));
    }

    fn refresh_divergence(&mut self) {
        self.cache = None;
        self.heat_textures.clear();
        self.chain = match self.timelines.as_slice() {
            [a, b] => chain::tree(a, b),
            _ => None,
        };
        self.divergence = match self.timelines.as_slice() {
            [a, b] => compare::series(a, b, a.scenario.sample_interval.time()),
            _ => Vec::new(),
        };
        self.playback.end = self
            .timelines
            .iter()
            .map(Timeline::end)
            .max()
            .unwrap_or(SimTime::ZERO);
    }

    /// The screen regions now.
    pub fn screen(&self) -> Screen {
        layout::screen(screen_width(), screen_height(), self.timelines.len())
    }

    /// Server slots to lay out (the same for both panels).
    pub fn servers_used(&self) -> u32 {
        self.timelines
            .iter()
            .map(|t| t.servers_used)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// The butterfly button's rectangle in the status bar.
    pub fn butterfly_button(&self) -> layout::Rect {
        layout::Rect {
            x: screen_width() - 130.0,
            y: 3.0,
            w: 124.0,
            h: layout::STATUS_HEIGHT - 6.0,
        }
    }

    /// React to keys and the mouse.
    pub fn input(&mut self) {
        for binding in keys::BINDINGS {
            for (i, key) in binding.keys.iter().enumerate() {
                if is_key_pressed(*key) {
                    self.act(binding.action, i);
                }
            }
        }
        if is_mouse_button_down(MouseButton::Left) {
            let (mx, my) = mouse_position();
            let screen = self.screen();
            if screen.timeline.contains(mx, my) {
                self.playback
                    .scrub(f64::from((mx - screen.timeline.x) / screen.timeline.w));
            }
        }
        if self.knobs_open {
            let panel = layout::knobs(self.screen(), knobs::FIELDS.len());
            let (mx, my) = mouse_position();
            if is_mouse_button_down(MouseButton::Left) {
                for (field, slider) in knobs::FIELDS.iter().zip(&panel.sliders) {
                    if slider.contains(mx, my) {
                        self.knobs
                            .slide(*field, f64::from((mx - slider.x) / slider.w));
                    }
                }
            }
            if is_mouse_button_pressed(MouseButton::Left) {
                if panel.run.contains(mx, my) {
                    self.run_knobs();
                } else if panel.save.contains(mx, my) {
                    self.save();
                }
            }
            if panel.area.contains(mx, my) {
                return;
            }
        }
        if is_mouse_button_pressed(MouseButton::Left) {
            let (mx, my) = mouse_position();
            if self.butterfly_button().contains(mx, my) {
                self.fork();
            }
            self.select_at(mx, my);
        }
    }

    /// Do what a key binding says; `index` is which of its keys was pressed.
    pub fn act(&mut self, action: Action, index: usize) {
        let p = &mut self.playback;
        match action {
            Action::PlayPause => p.playing = !p.playing,
            Action::Faster => p.faster(),
            Action::Slower => p.slower(),
            Action::Step => {
                let next = self
                    .timelines
                    .iter()
                    .filter_map(|t| t.next_event_after(p.time))
                    .min();
                if let Some(t) = next {
                    p.playing = false;
                    p.seek(t);
                }
            }
            Action::Home => p.seek(SimTime::ZERO),
            Action::NextDivergence => match compare::next_divergence(&self.divergence, p.time) {
                Some(t) => p.seek(t),
                None => self.notice = Some("no divergence after this time".into()),
            },
            Action::Fork => self.fork(),
            Action::Save => self.save(),
            Action::ToggleCategory => {
                if let Some(on) = self.categories.get_mut(index) {
                    *on = !*on;
                }
            }
            Action::Fleet => self.fleet = !self.fleet,
            Action::Knobs => self.knobs_open = !self.knobs_open,
            Action::Run => self.run_knobs(),
            Action::KnobNext => {
                self.knobs_open = true;
                self.knob_selected = (self.knob_selected + 1) % knobs::FIELDS.len();
            }
            Action::KnobDown | Action::KnobUp => {
                self.knobs_open = true;
                let steps = if action == Action::KnobUp { 1 } else { -1 };
                self.knobs.nudge(knobs::FIELDS[self.knob_selected], steps);
            }
            Action::Chain => self.chain_open = !self.chain_open,
            Action::NextNode => match self
                .chain
                .as_ref()
                .and_then(|c| chain::next_node(c, p.time))
            {
                Some(t) => {
                    p.playing = false;
                    p.seek(t);
                }
                None => self.notice = Some("no node of the causal chain after this time".into()),
            },
            Action::Help => self.help = !self.help,
            Action::Close => {
                self.help = false;
                self.selected = None;
                self.knobs_open = false;
            }
        }
    }

    /// The server slot under the mouse at (`mx`, `my`) in any panel, in either view.
    pub fn server_at(&self, mx: f32, my: f32) -> Option<u32> {
        let screen = self.screen();
        let n = self.servers_used();
        for panel in screen.panels.iter().flatten() {
            let area = layout::server_area(*panel, screen.lobby_height);
            if !area.contains(mx, my) {
                continue;
            }
            if self.fleet {
                let regions = layout::fleet(area);
                if regions.heat.contains(mx, my) {
                    return Some(layout::heat_row(my, regions.heat, n));
                }
            } else {
                return (0..n).find(|&i| layout::server_box(i, n, area).contains(mx, my));
            }
        }
        None
    }

    fn select_at(&mut self, mx: f32, my: f32) {
        let screen = self.screen();
        let panel = screen.panels.iter().position(|p| {
            p.is_some_and(|p| layout::server_area(p, screen.lobby_height).contains(mx, my))
        });
        if let Some(panel) = panel {
            self.selected = self.server_at(mx, my);
            self.selected_panel = panel.min(self.timelines.len() - 1);
        }
    }

    /// Fork a perturbed branch at the current time: re-simulate from the first trace's
    /// header with one user disconnected now, and show it beside the baseline.
    pub fn fork(&mut self) {
        let at = self.playback.time;
        match swarmlb_viewer::timeline::fork(&self.timelines[0], at) {
            Ok((bytes, timeline)) => {
                self.timelines.truncate(1);
                self.timelines.push(timeline);
                self.made = Some(Made::Fork(at, bytes));
                self.refresh_divergence();
                self.notice = Some(format!(
                    "forked a butterfly branch at {at}; press s to save it"
                ));
            }
            Err(e) => self.notice = Some(format!("butterfly failed: {e}")),
        }
    }

    /// Re-simulate the first trace's scenario with the knobs' values (same seed), and show
    /// the run beside it with its divergence.
    pub fn run_knobs(&mut self) {
        if self.knobs.changes().is_empty() {
            self.notice = Some("the knobs are at the trace's values: move one first".into());
            return;
        }
        match knobs::rerun(&self.timelines[0], &self.knobs.scenario) {
            Ok((run, timeline)) => {
                self.timelines.truncate(1);
                self.timelines.push(timeline);
                self.notice = Some(format!(
                    "re-simulated with {}; press s to save it",
                    self.knobs.changes().join(" ")
                ));
                self.made = Some(Made::Knobs(Box::new(run)));
                self.refresh_divergence();
            }
            Err(e) => self.notice = Some(format!("knobs: {e}")),
        }
    }

    /// Save the run made here into the working directory: a fork as a trace, a knobs run
    /// as a trace and its scenario TOML.
    pub fn save(&mut self) {
        let dir = std::path::Path::new(".");
        self.notice = Some(match &self.made {
            None => "nothing to save: fork (b) or run the knobs (k) first".into(),
            Some(Made::Fork(at, bytes)) => {
                let name = format!("butterfly-{}s.swlb", at.as_micros() / 1_000_000);
                match std::fs::write(&name, bytes) {
                    Ok(()) => format!("saved {name}"),
                    Err(e) => format!("cannot save {name}: {e}"),
                }
            }
            Some(Made::Knobs(run)) => {
                let stem = format!("knobs-{}", run.label);
                match knobs::save(dir, &stem, run) {
                    Ok((trace, toml)) => {
                        format!("saved {} and {}", trace.display(), toml.display())
                    }
                    Err(e) => format!("cannot save {stem}: {e}"),
                }
            }
        });
    }
}
