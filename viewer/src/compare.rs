//! Comparing two panels with the same functions `swarmlb diff` uses: which agents differ
//! now, and the divergence series for the plot.

use std::borrow::Cow;
use swarmlb_engine::SimTime;

use swarmlb_model::Observed;
use swarmlb_model::observe::{ServerView, UserView};
use swarmlb_trace::diff::{self, Point, for_each_agent};

use crate::timeline::Timeline;

/// Which agents differ between two states (indexed like `diff`: servers, then users).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Differences {
    /// Per server index.
    pub servers: Vec<bool>,
    /// Per user slot.
    pub users: Vec<bool>,
}

impl Differences {
    /// Agents that differ.
    pub fn count(&self) -> usize {
        self.servers
            .iter()
            .chain(&self.users)
            .filter(|&&d| d)
            .count()
    }
}

/// `a` and `b` with the same numbers of server and user slots: the smaller padded with
/// servers never started and dead users. Runs of one scenario need no padding; runs made
/// with the knobs may have more users or servers, and an agent present in one run only
/// then counts as differing, as `diff` defines it.
pub fn padded<'a>(a: &'a Observed, b: &'a Observed) -> (Cow<'a, Observed>, Cow<'a, Observed>) {
    let servers = a.servers.len().max(b.servers.len());
    let users = a.users.len().max(b.users.len());
    let pad = |o: &'a Observed| {
        if o.servers.len() == servers && o.users.len() == users {
            return Cow::Borrowed(o);
        }
        let mut o = o.clone();
        o.servers.resize(servers, (ServerView::Off, 0));
        o.users.resize(users, UserView::Dead);
        Cow::Owned(o)
    };
    (pad(a), pad(b))
}

/// Which agents differ between `a` and `b` (padded to the same slots, see [`padded`]).
pub fn differences(a: &Observed, b: &Observed) -> Differences {
    let (a, b) = padded(a, b);
    let (a, b) = (a.as_ref(), b.as_ref());
    let n_servers = a.servers.len();
    let mut d = Differences {
        servers: vec![false; n_servers],
        users: vec![false; a.users.len()],
    };
    for_each_agent(a, b, |i, _, differs| {
        if i < n_servers {
            d.servers[i] = differs;
        } else {
            d.users[i - n_servers] = differs;
        }
    });
    d
}

/// Micro and macro divergence at every `interval` over both runs (folding both
/// timelines at each sample time, like `diff`'s second pass).
pub fn series(a: &Timeline, b: &Timeline, interval: SimTime) -> Vec<Point> {
    let end = a.end().max(b.end());
    let mut points = Vec::new();
    let mut t = SimTime::ZERO;
    let (mut sa, mut sb) = (a.state_at(t), b.state_at(t));
    let (mut ia, mut ib) = (a.events_until(t), b.events_until(t));
    loop {
        let (na, nb) = (a.events_until(t), b.events_until(t));
        for e in &a.events[ia..na] {
            sa.apply(e);
        }
        for e in &b.events[ib..nb] {
            sb.apply(e);
        }
        (ia, ib) = (na, nb);
        let (pa, pb) = padded(&sa.observed, &sb.observed);
        points.push(diff::point(t, &pa, &pb));
        if t >= end {
            return points;
        }
        t = t.plus(interval.0.max(1)).min(end);
    }
}

/// The first sample after `t` where the panels differ, for "jump to the next divergence".
pub fn next_divergence(points: &[Point], t: SimTime) -> Option<SimTime> {
    points
        .iter()
        .find(|p| p.time > t && p.micro > 0)
        .map(|p| p.time)
}
