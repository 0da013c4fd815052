//! The server agent: accepts users up to capacity, delegates when full, pulls users when
//! idle, hands its users off and terminates when nearly empty, asks for a new server when
//! overloaded. It knows peers only through the messages it receives.

use swarmlb_engine::{AgentId, SimTime};
use thin_vec::ThinVec;

use crate::decide::{Decision, Situation, decide, spread_agreed};
use crate::ids::{ENV, NONE};
use crate::msg::{Body, PeerEntry, Timer};
use crate::net::Out;
use crate::purpose::Purpose;
use crate::record::Kind;
use crate::scenario::{HandoffStyle, Overflow, PullStyle};
use crate::sessions::Sessions;

/// A peer entry older than this many `peer_ttl`s is dropped from the view at gossip time
/// (between one and this many it is kept, for gossip, but not trusted for load).
const VIEW_FORGET_TTLS: u64 = 2;
/// After asking for a new server, a server waits this many provisioning delays (plus one
/// pull interval) before it may ask again, so one overload asks once.
const SCALE_OUT_WAIT_PROVISIONINGS: u64 = 2;

/// A server's lifecycle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServerStatus {
    /// Not started yet (a slot for scale-out).
    Off,
    /// Running.
    Alive,
    /// Running, waiting for the answer to a hand-off offer made to `peer`.
    Handoff {
        /// The peer asked.
        peer: u32,
        /// The users it was asked to take.
        users: u32,
    },
    /// Users were handed off; it terminates when the last one has left.
    Draining,
    /// Gone after a hand-off.
    Terminated,
    /// Gone without warning.
    Crashed,
}

impl ServerStatus {
    /// True while the server runs (receives messages, holds users).
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ServerStatus::Alive | ServerStatus::Handoff { .. } | ServerStatus::Draining
        )
    }
}

/// One server.
#[derive(Clone, Debug)]
pub struct Server {
    idx: u32,
    /// Lifecycle state.
    pub status: ServerStatus,
    /// Sessions held: (user slot, session). The load is its length.
    pub sessions: Sessions,
    view: Vec<PeerEntry>,
    low_since: Option<SimTime>,
    strikes: u32,
    scale_out_pending: bool,
    /// The previous periodic check asked for a pull (classic pulls hand off after one).
    pulled_last: bool,
    /// When it started, in µs.
    started_us: u64,
}

type Outcome = (Kind, u32);

impl Server {
    /// Server `idx`, not started.
    pub fn new(idx: u32) -> Server {
        Server {
            idx,
            status: ServerStatus::Off,
            sessions: Sessions::new(),
            view: Vec::new(),
            low_since: None,
            strikes: 0,
            scale_out_pending: false,
            pulled_last: false,
            started_us: 0,
        }
    }

    /// Users held, accepted connections still in flight included.
    pub fn load(&self) -> u32 {
        self.sessions.len() as u32
    }

    /// Handle a message from `from`.
    pub fn on_message(
        &mut self,
        out: &mut Out,
        from: AgentId,
        sender_load: u32,
        body: Body,
    ) -> Outcome {
        let from_server = out.params.layout.server_idx(from);
        if let Some(peer) = from_server
            && body != Body::Goodbye
        {
            let k = out.params.scenario.servers.view_size as usize;
            self.learn(peer, sender_load, out.now(), k);
        }
        match body {
            Body::Start { peers } => self.start(out, &peers),
            Body::Connect {
                user,
                session,
                hops,
                direct,
            } => self.on_connect(out, from_server, user, session, hops, direct),
            Body::Leave { session } => self.on_leave(out, from, session),
            Body::Ping { session } => {
                let user = self.user_slot(out, from);
                let held = self.sessions.contains(&(user, session));
                let reply = if held {
                    Body::Pong { session }
                } else {
                    Body::NotConnected { session }
                };
                self.send(out, from, reply);
                (Kind::PingReply, u32::from(held))
            }
            Body::GossipPush(entries) => {
                self.merge(&entries, out);
                if let Some(peer) = from_server {
                    let sample = self.sample(out.now());
                    self.send(
                        out,
                        out.params.layout.server(peer),
                        Body::GossipReply(sample),
                    );
                }
                (Kind::GossipPush, entries.len() as u32)
            }
            Body::GossipReply(entries) => {
                self.merge(&entries, out);
                (Kind::GossipReply, entries.len() as u32)
            }
            Body::PullRequest { want } => self.on_pull_request(out, from, want),
            Body::PullReply { granted } => (Kind::PullReply, granted),
            Body::HandoffOffer { users } => self.on_handoff_offer(out, from, users),
            Body::HandoffReply { accepted } => self.on_handoff_reply(out, from_server, accepted),
            Body::Goodbye => {
                if let Some(peer) = from_server {
                    self.view.retain(|e| e.idx != peer);
                }
                (Kind::PeerGone, from_server.unwrap_or(NONE))
            }
            Body::Crash => {
                self.status = ServerStatus::Crashed;
                self.sessions.clear();
                Self::stop_timers(out);
                (Kind::Crash, 0)
            }
            other => unreachable!("server {} got {other:?}", self.idx),
        }
    }

    /// Handle one of this server's timers.
    pub fn on_timer(&mut self, out: &mut Out, timer: Timer) -> Outcome {
        debug_assert!(
            self.status.is_running(),
            "timer {timer:?} on stopped server {}",
            self.idx
        );
        match timer {
            Timer::Gossip => self.gossip(out),
            Timer::Periodic => self.periodic(out),
            Timer::HandoffTimeout => {
                if matches!(self.status, ServerStatus::Handoff { .. }) {
                    self.status = ServerStatus::Alive;
                    self.low_since = Some(out.now());
                }
                (Kind::HandoffTimeout, 0)
            }
            Timer::ScaleOutCooldown => {
                self.scale_out_pending = false;
                (Kind::ScaleOutReady, 0)
            }
            Timer::Report => {
                out.set_timer(
                    Timer::Report,
                    out.params.scenario.servers.report_interval.us(),
                );
                self.send(out, crate::ids::COORDINATOR, Body::LoadReport);
                (Kind::LoadReportSent, self.load())
            }
            other => unreachable!("server timer {other:?}"),
        }
    }

    /// A stopped server's timers never fire.
    fn stop_timers(out: &mut Out) {
        for timer in [
            Timer::Gossip,
            Timer::Periodic,
            Timer::HandoffTimeout,
            Timer::ScaleOutCooldown,
            Timer::Report,
        ] {
            out.cancel_timer(timer);
        }
    }

    /// Send with this server's stream, piggybacking its current load.
    fn send(&self, out: &mut Out, target: AgentId, body: Body) {
        out.send(target, self.load(), body);
    }

    fn start(&mut self, out: &mut Out, peers: &[u32]) -> Outcome {
        debug_assert_eq!(self.status, ServerStatus::Off);
        self.status = ServerStatus::Alive;
        let now = out.now();
        self.started_us = now.0;
        let k = out.params.scenario.servers.view_size as usize;
        self.view = peers
            .iter()
            .filter(|&&p| p != self.idx)
            .take(k)
            .map(|&idx| PeerEntry {
                idx,
                load: 0,
                seen_us: now.0,
            })
            .collect();
        self.low_since = Some(now);
        let s = &out.params.scenario.servers;
        if out.params.policy.is_centralized() {
            let jitter = out
                .rng(Purpose::ReportPhase, &[])
                .below(s.report_interval.us());
            out.set_timer(Timer::Report, jitter);
        } else {
            // Both phases are drawn with gossip off too, so the periodic check keeps its.
            let mut rng = out.rng(Purpose::TimerPhase, &[]);
            let gossip = rng.below(s.gossip_interval.us()) + 1;
            let periodic = rng.below(s.pull_interval.us()) + 1;
            out.set_timer(Timer::Periodic, periodic);
            if !s.gossip {
                return (Kind::ServerStart, 0);
            }
            out.set_timer(Timer::Gossip, gossip);
            // Announce ourselves so that peers learn we exist.
            let sample = self.sample(now);
            for peer in self.view.iter().map(|e| e.idx).collect::<Vec<_>>() {
                self.send(
                    out,
                    out.params.layout.server(peer),
                    Body::GossipPush(sample.clone()),
                );
            }
        }
        (Kind::ServerStart, 0)
    }

    fn user_slot(&self, out: &Out, id: AgentId) -> u32 {
        match out.params.layout.agent(id) {
            crate::ids::Agent::User(slot) => slot,
            other => unreachable!("expected a user, got {other}"),
        }
    }

    fn on_connect(
        &mut self,
        out: &mut Out,
        from_server: Option<u32>,
        user: u32,
        session: u32,
        hops: u32,
        direct: bool,
    ) -> Outcome {
        let p = out.params;
        let load = self.load();
        let accepting = self.status == ServerStatus::Alive
            || matches!(self.status, ServerStatus::Handoff { .. });
        if accepting && (load < p.high_load || (direct && load < p.capacity)) {
            return self.accept(out, user, session);
        }
        let can_delegate =
            !direct && hops < p.scenario.servers.max_hops && !p.policy.is_centralized();
        if can_delegate
            && let Some(peer) = self.pick_peer_with_room(
                out,
                from_server,
                [u64::from(user), u64::from(session), u64::from(hops)],
            )
        {
            let target = p.layout.server(peer);
            self.send(
                out,
                target,
                Body::Connect {
                    user,
                    session,
                    hops: hops + 1,
                    direct: false,
                },
            );
            out.stats.delegations += 1;
            return (Kind::ConnectDelegate, peer);
        }
        if accepting && load < p.capacity {
            return self.accept(out, user, session);
        }
        if p.scenario.servers.overflow == Overflow::ScaleOut
            && self.status == ServerStatus::Alive
            && !p.policy.is_centralized()
        {
            // The original model never refuses: a new server takes the request.
            out.send_reliable(ENV, 0, Body::Overflow { user, session });
            return (Kind::ConnectOverflow, load);
        }
        out.stats.rejections += 1;
        self.send(out, p.layout.user(user), Body::Rejected { session });
        if self.status == ServerStatus::Alive && !p.policy.is_centralized() && load >= p.high_load {
            self.strikes = self.strikes.saturating_add(1);
            self.maybe_scale_out(out);
        }
        (Kind::ConnectReject, load)
    }

    fn accept(&mut self, out: &mut Out, user: u32, session: u32) -> Outcome {
        let inserted = self.sessions.insert((user, session));
        debug_assert!(inserted, "session ({user}, {session}) accepted twice");
        assert!(
            self.load() <= out.params.capacity,
            "server {} above capacity",
            self.idx
        );
        out.stats.accepts += 1;
        self.send(
            out,
            out.params.layout.user(user),
            Body::Accepted { session },
        );
        self.on_load_change(out);
        (Kind::ConnectAccept, self.load())
    }

    fn on_leave(&mut self, out: &mut Out, from: AgentId, session: u32) -> Outcome {
        let user = self.user_slot(out, from);
        if !self.sessions.remove(&(user, session)) {
            return (Kind::StaleLeave, self.load());
        }
        self.on_load_change(out);
        if self.status == ServerStatus::Draining && self.sessions.is_empty() {
            return self.terminate(out);
        }
        (Kind::Leave, self.load())
    }

    fn on_load_change(&mut self, out: &Out) {
        let load = self.load();
        if load < out.params.terminate_load {
            self.low_since.get_or_insert(out.now());
        } else {
            self.low_since = None;
        }
        if load < out.params.high_load {
            self.strikes = 0;
        }
    }

    fn maybe_scale_out(&mut self, out: &mut Out) {
        let s = &out.params.scenario.servers;
        if self.scale_out_pending || self.strikes < s.scale_out_after {
            return;
        }
        self.scale_out_pending = true;
        self.strikes = 0;
        let peers = std::iter::once(self.idx)
            .chain(self.view.iter().map(|e| e.idx))
            .collect();
        out.send_reliable(ENV, 0, Body::ScaleOut { peers });
        out.set_timer(
            Timer::ScaleOutCooldown,
            SCALE_OUT_WAIT_PROVISIONINGS * s.provisioning_delay.us() + s.pull_interval.us(),
        );
    }

    fn terminate(&mut self, out: &mut Out) -> Outcome {
        self.status = ServerStatus::Terminated;
        Self::stop_timers(out);
        out.stats.terminations += 1;
        (Kind::Terminated, 0)
    }

    fn is_fresh(&self, entry: &PeerEntry, out: &Out) -> bool {
        out.now().0.saturating_sub(entry.seen_us) <= out.params.scenario.servers.peer_ttl.us()
    }

    /// A fresh peer believed to have room, chosen by rendezvous hashing on the request's
    /// identity: a peer entering or leaving the candidate set only moves the requests it
    /// wins, so small differences in load estimates do not reshuffle every choice.
    fn pick_peer_with_room(
        &mut self,
        out: &Out,
        exclude: Option<u32>,
        request: [u64; 3],
    ) -> Option<u32> {
        let high = out.params.high_load;
        let key = out.keyed(Purpose::Delegate, &request);
        let best = (0..self.view.len())
            .filter(|&i| {
                let e = &self.view[i];
                Some(e.idx) != exclude && e.load < high && self.is_fresh(e, out)
            })
            .max_by_key(|&i| (key.mix(u64::from(self.view[i].idx)), self.view[i].idx))?;
        // Optimistically count the user we are sending, so a burst spreads out.
        self.view[best].load += 1;
        Some(self.view[best].idx)
    }

    fn learn(&mut self, peer: u32, load: u32, now: SimTime, k: usize) {
        if peer == self.idx {
            return;
        }
        self.insert_entry(
            PeerEntry {
                idx: peer,
                load,
                seen_us: now.0,
            },
            k,
        );
    }

    /// Add or refresh an entry, evicting the stalest one when the view is full.
    fn insert_entry(&mut self, entry: PeerEntry, k: usize) {
        if let Some(e) = self.view.iter_mut().find(|e| e.idx == entry.idx) {
            if entry.seen_us >= e.seen_us {
                *e = entry;
            }
            return;
        }
        if self.view.len() < k {
            self.view.push(entry);
            return;
        }
        let (stalest, _) = self
            .view
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| (e.seen_us, e.idx))
            .expect("a full view is not empty");
        if self.view[stalest].seen_us < entry.seen_us {
            self.view[stalest] = entry;
        }
    }

    fn merge(&mut self, entries: &[PeerEntry], out: &Out) {
        let k = out.params.scenario.servers.view_size as usize;
        let me = self.idx;
        for entry in entries.iter().filter(|e| e.idx != me) {
            if self.is_fresh(entry, out) {
                self.insert_entry(*entry, k);
            }
        }
    }

    fn sample(&self, now: SimTime) -> ThinVec<PeerEntry> {
        let mut sample: ThinVec<PeerEntry> = self.view.iter().copied().collect();
        sample.push(PeerEntry {
            idx: self.idx,
            load: self.load(),
            seen_us: now.0,
        });
        sample
    }

    fn gossip(&mut self, out: &mut Out) -> Outcome {
        out.set_timer(
            Timer::Gossip,
            out.params.scenario.servers.gossip_interval.us(),
        );
        let ttl = out.params.scenario.servers.peer_ttl.us();
        let now = out.now().0;
        self.view
            .retain(|e| now.saturating_sub(e.seen_us) <= VIEW_FORGET_TTLS * ttl);
        if self.view.is_empty() {
            return (Kind::GossipTick, NONE);
        }
        let round = out.now().0 / out.params.scenario.servers.gossip_interval.us().max(1);
        let peer = self.view[out
            .keyed(Purpose::GossipPeer, &[round])
            .below(self.view.len() as u64) as usize]
            .idx;
        let sample = self.sample(out.now());
        self.send(
            out,
            out.params.layout.server(peer),
            Body::GossipPush(sample),
        );
        (Kind::GossipTick, peer)
    }

    fn periodic(&mut self, out: &mut Out) -> Outcome {
        let p = out.params;
        out.set_timer(Timer::Periodic, p.scenario.servers.pull_interval.us());
        if self.status != ServerStatus::Alive {
            return (Kind::Tick, 0);
        }
        let grace = p.scenario.servers.terminate_grace.us();
        let fresh: Vec<PeerEntry> = self
            .view
            .iter()
            .filter(|e| self.is_fresh(e, out))
            .copied()
            .collect();
        // The spread hand-off counts every peer's room, so it waits until it has heard from
        // every peer since its first gossip interval: before, a peer's load is the one it
        // announced when it or this server started (none), not what it holds.
        let heard_since = self.started_us + p.scenario.servers.gossip_interval.us();
        let informed = p.scenario.servers.handoff != HandoffStyle::Spread
            || fresh.iter().all(|e| e.seen_us >= heard_since);
        let situation = Situation {
            load: self.load(),
            low_load: p.low_load,
            pull_target_load: p.pull_target_load,
            high_load: p.high_load,
            may_terminate: informed && self.low_since.is_some_and(|t| out.now().since(t) >= grace),
            pulled_last: self.pulled_last,
            pull: p.scenario.servers.pull,
            handoff: p.scenario.servers.handoff,
            peers: &fresh,
        };
        let decision = decide(&situation, out.keyed(Purpose::PullPeer, &[out.now().0]));
        self.pulled_last = matches!(decision, Decision::Pull { .. });
        match decision {
            Decision::Offer { peer, users } => {
                self.status = ServerStatus::Handoff { peer, users };
                self.send(out, p.layout.server(peer), Body::HandoffOffer { users });
                out.set_timer(Timer::HandoffTimeout, p.handoff_timeout_us);
                (Kind::HandoffOffer, peer)
            }
            Decision::Pull { peer, want } => {
                self.send(out, p.layout.server(peer), Body::PullRequest { want });
                (Kind::PullAsk, peer)
            }
            Decision::Nothing => (Kind::Tick, 0),
        }
    }

    fn on_pull_request(&mut self, out: &mut Out, from: AgentId, want: u32) -> Outcome {
        let p = out.params;
        let load = self.load();
        let Some(puller) = p.layout.server_idx(from) else {
            unreachable!("pull from a non-server")
        };
        if self.status != ServerStatus::Alive
            || load <= p.pull_target_load
            || p.scenario.servers.pull == PullStyle::Off
        {
            self.send(out, from, Body::PullReply { granted: 0 });
            return (Kind::PullRefuse, 0);
        }
        let excess = load - p.pull_target_load;
        let request = [u64::from(puller), out.now().0];
        let granted = match p.scenario.servers.pull {
            PullStyle::Greedy => want.min(excess),
            // The original model's: a random share of the excess, at most what was asked.
            PullStyle::Classic => {
                let amount = out
                    .keyed(Purpose::PullAmount, &request)
                    .below(u64::from(excess) + 1);
                want.min(amount as u32)
            }
            PullStyle::Off => 0, // refused above
        };
        // Which users go: drawn at random, so no user slot moves more often than another.
        let mut moving: Vec<(u32, u32)> = self.sessions.iter().copied().collect();
        for i in 0..granted as usize {
            let draw = out.keyed(Purpose::PullUsers, &[request[0], request[1], i as u64]);
            let j = i + draw.below((moving.len() - i) as u64) as usize;
            moving.swap(i, j);
        }
        moving.truncate(granted as usize);
        for (user, session) in moving {
            self.send(
                out,
                p.layout.user(user),
                Body::Migrate {
                    session,
                    to: puller,
                },
            );
        }
        out.stats.pulls += 1;
        self.send(out, from, Body::PullReply { granted });
        (Kind::PullGrant, granted)
    }

    fn on_handoff_offer(&mut self, out: &mut Out, from: AgentId, users: u32) -> Outcome {
        let load = self.load();
        let ok = self.status == ServerStatus::Alive && load + users < out.params.high_load;
        self.send(out, from, Body::HandoffReply { accepted: ok });
        if !ok {
            return (Kind::HandoffRefuse, 0);
        }
        // Taking over a peer's users: do not start terminating for a full grace period,
        // so two idle servers never both hand off to each other and vanish.
        if self.low_since.is_some() {
            self.low_since = Some(out.now());
        }
        (Kind::HandoffAccept, users)
    }

    fn on_handoff_reply(&mut self, out: &mut Out, from: Option<u32>, accepted: bool) -> Outcome {
        let ServerStatus::Handoff {
            peer,
            users: agreed,
        } = self.status
        else {
            return (Kind::StaleHandoffReply, 0);
        };
        if from != Some(peer) {
            return (Kind::StaleHandoffReply, 0);
        }
        out.cancel_timer(Timer::HandoffTimeout);
        if !accepted {
            self.status = ServerStatus::Alive;
            self.low_since = Some(out.now());
            return (Kind::HandoffRefused, 0);
        }
        let p = out.params;
        let load = self.load();
        let moving: Vec<(u32, u32)> = self.sessions.iter().copied().collect();
        let targets = match p.scenario.servers.handoff {
            // A server that never offers never hears an answer (`Off`); were it otherwise,
            // the peer that agreed takes them all.
            HandoffStyle::OnePeer | HandoffStyle::Off => vec![peer; moving.len()],
            // The original model's: each user to the currently least-loaded fresh peer,
            // after the peer that agreed got the users it agreed to take.
            HandoffStyle::Spread => {
                let fresh: Vec<PeerEntry> = self
                    .view
                    .iter()
                    .filter(|e| e.idx == peer || self.is_fresh(e, out))
                    .copied()
                    .collect();
                spread_agreed(load, &fresh, peer, agreed)
            }
        };
        debug_assert_eq!(targets.len(), moving.len(), "every user has a target");
        for ((user, session), to) in moving.into_iter().zip(targets) {
            self.send(out, p.layout.user(user), Body::Migrate { session, to });
        }
        for e in std::mem::take(&mut self.view) {
            self.send(out, p.layout.server(e.idx), Body::Goodbye);
        }
        self.status = ServerStatus::Draining;
        if self.sessions.is_empty() {
            // Nobody to hand off: it simply terminates (and is no hand-off in the counts,
            // which are read from `HandoffDone` records too).
            return self.terminate(out);
        }
        out.stats.handoffs += 1;
        (Kind::HandoffDone, load)
    }
}
