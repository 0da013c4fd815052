//! Butterfly experiments in memory, as library functions every face (the command line,
//! Python) calls: one pair with its null model of independent runs, ensembles of pairs
//! with paired tests of their outcomes, scans over the perturbation time, and the
//! perturbations that serve as controls. Statistics are pure functions in [`stats`].

pub mod ensemble;
pub mod pair;
pub mod perturb;
pub mod seeds;
pub mod stats;

pub use ensemble::{Ensemble, EnsembleSpec, ensemble};
pub use pair::{PairResult, PairSpec, run_pair};
pub use perturb::Perturb;

/// Why an experiment could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A trace could not be written or read back.
    #[error(transparent)]
    Trace(#[from] swarmlb_trace::TraceError),
    /// Two runs could not be compared.
    #[error(transparent)]
    Diff(#[from] swarmlb_trace::diff::DiffError),
    /// A scenario made by the experiment is not valid.
    #[error("{}: {source}", source.field())]
    Invalid {
        /// What is wrong with it.
        #[from]
        source: swarmlb_model::scenario::Invalid,
    },
    /// Asked to stop (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
}

/// What the caller lets an experiment do besides computing: stop early, show progress.
#[derive(Clone, Copy)]
pub struct Hooks<'a> {
    /// Returns true when the experiment should stop (checked before every run).
    pub stop: &'a (dyn Fn() -> bool + Sync),
    /// Called after every run (baseline, branch or reference).
    pub tick: &'a (dyn Fn() + Sync),
}

impl Hooks<'static> {
    /// Never stop, show nothing.
    pub const NONE: Hooks<'static> = Hooks {
        stop: &|| false,
        tick: &|| {},
    };
}

impl Hooks<'_> {
    pub(crate) fn check(&self) -> Result<(), ExperimentError> {
        if (self.stop)() {
            Err(ExperimentError::Interrupted)
        } else {
            Ok(())
        }
    }
}
