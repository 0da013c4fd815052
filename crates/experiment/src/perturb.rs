//! What a butterfly branch changes: the disconnected user of the question itself, and the
//! controls that show what the ensemble test can and cannot see — servers crashing (a
//! perturbation with a known effect, sized by how many) and an independent run (no
//! perturbation at all, just another seed).

use std::fmt;
use std::str::FromStr;

use swarmlb_engine::{KeyedDraw, SimTime};
use swarmlb_model::Scenario;
use swarmlb_model::scenario::{Crash, Dur};
use swarmlb_trace::TraceReader;
use swarmlb_trace::fold::{Cursor, State};

use crate::ExperimentError;

/// The perturbation of a butterfly branch.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Perturb {
    /// Disconnect one user (the butterfly; `butterfly.*` fields say whom and how).
    #[default]
    DisconnectUser,
    /// Crash this many running servers at once (positive control).
    CrashServers(u32),
    /// No perturbation: the branch is an independent run of another seed (negative
    /// control, [`crate::seeds::independent`]).
    Independent,
}

impl Perturb {
    /// Every kind's syntax, for help and errors.
    pub const SYNTAX: &'static str = "disconnect-user, crash-server[:N], independent";
}

impl fmt::Display for Perturb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Perturb::DisconnectUser => f.write_str("disconnect-user"),
            Perturb::CrashServers(n) => write!(f, "crash-server:{n}"),
            Perturb::Independent => f.write_str("independent"),
        }
    }
}

impl FromStr for Perturb {
    type Err = String;

    fn from_str(text: &str) -> Result<Perturb, String> {
        match text.split_once(':') {
            None if text == "disconnect-user" => Ok(Perturb::DisconnectUser),
            None if text == "independent" => Ok(Perturb::Independent),
            None if text == "crash-server" => Ok(Perturb::CrashServers(1)),
            Some(("crash-server", n)) => match n.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Perturb::CrashServers(n)),
                _ => Err(format!(
                    "crash-server:{n}: the number of servers must be a whole number of at least 1"
                )),
            },
            _ => Err(format!(
                "unknown perturbation {text:?}; one of {}",
                Perturb::SYNTAX
            )),
        }
    }
}

/// The branch scenario of `perturb` against `baseline` (no butterfly) run with `seed`;
/// `configured` is the scenario with its `butterfly` table, `at` the perturbation time,
/// `user` a named victim, `baseline_trace` the baseline's recording (servers to crash are
/// the running ones at `at`). None: nothing to perturb (no server running).
pub fn branch(
    perturb: Perturb,
    baseline: &Scenario,
    configured: &Scenario,
    at: SimTime,
    user: Option<u32>,
    baseline_trace: &[u8],
) -> Result<Option<Scenario>, ExperimentError> {
    let seed = baseline.seed;
    Ok(match perturb {
        Perturb::DisconnectUser => {
            let branch = configured.perturbed_at(Dur::from(at), user).with_seed(seed);
            branch.validate()?;
            Some(branch)
        }
        Perturb::Independent => Some(baseline.clone().with_seed(crate::seeds::independent(seed))),
        Perturb::CrashServers(n) => {
            let servers = crash_choice(baseline_trace, at, seed, n)?;
            if servers.is_empty() {
                return Ok(None);
            }
            let mut branch = baseline.clone();
            branch.crashes.push(Crash {
                at: Dur::from(at),
                servers,
            });
            branch.validate()?;
            Some(branch)
        }
    })
}

/// `n` of the servers running at `at` in the baseline (all of them if fewer), chosen by
/// rendezvous hashing of (seed, server): the same servers for the same seed and time,
/// whatever else differs. Sorted by index.
pub fn crash_choice(
    baseline_trace: &[u8],
    at: SimTime,
    seed: u64,
    n: u32,
) -> Result<Vec<u32>, ExperimentError> {
    let reader = TraceReader::new(baseline_trace, "baseline")?;
    let layout = reader.layout();
    let mut state = State::new(layout);
    // Just before `at`: a server that stops at `at` is not a choice.
    Cursor::new(reader).fold_until(&mut state, SimTime(at.0.saturating_sub(1)))?;
    let key = KeyedDraw::new(seed, &[crate::seeds::CRASH_KEY, at.0]);
    let mut running: Vec<u32> = state
        .observed
        .servers
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0.is_running())
        .map(|(i, _)| i as u32)
        .collect();
    running.sort_by_key(|&i| (std::cmp::Reverse(key.mix(u64::from(i))), i));
    running.truncate(n as usize);
    running.sort_unstable();
    Ok(running)
}
