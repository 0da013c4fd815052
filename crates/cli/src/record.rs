//! Running a scenario with the optional outputs: trace file, metrics CSV, progress, Ctrl-C.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Context;
use swarmlb_model::metrics::SAMPLE_CSV_HEADER;
use swarmlb_model::run::Runner;
use swarmlb_model::{Scenario, Summary};
use swarmlb_trace::write::PartialFile;

use crate::progress::{self, Progress};

/// Where a run writes.
#[derive(Default)]
pub struct Outputs<'a> {
    /// The trace file, if any.
    pub trace: Option<&'a Path>,
    /// The per-sample metrics CSV, if any.
    pub metrics: Option<&'a Path>,
    /// Show a progress bar labelled so.
    pub progress: Option<&'a str>,
}

/// What a run produced.
pub struct Recorded {
    /// The summary.
    pub summary: Summary,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Trace size, when one was written.
    pub trace_bytes: Option<u64>,
    /// Samples taken.
    pub samples: u64,
    /// Wall time in seconds.
    pub wall_s: f64,
}

/// Run `scenario` (with its seed) to its end (or Ctrl-C), writing what `outputs` asks for.
pub fn run(scenario: &Scenario, outputs: &Outputs) -> anyhow::Result<Recorded> {
    progress::install_ctrl_c();
    let started = std::time::Instant::now();
    // Every output is created before the simulation starts, so an unwritable place fails
    // at once; each is written as `.partial` and renamed when complete.
    let trace_file = match outputs.trace {
        Some(path) => Some(
            PartialFile::create(path)
                .with_context(|| format!("cannot create trace {}", path.display()))?,
        ),
        None => None,
    };
    let mut metrics = match outputs.metrics {
        Some(path) => {
            let mut w = PartialFile::create(path)
                .with_context(|| format!("cannot create metrics {}", path.display()))?;
            writeln!(w, "{SAMPLE_CSV_HEADER}")
                .with_context(|| format!("cannot write {}", w.partial_path().display()))?;
            Some((w, path.to_path_buf()))
        }
        None => None,
    };
    let mut bar = outputs
        .progress
        .map(|what| Progress::new(scenario.duration.us() / 1_000_000, what));
    let mut samples = 0u64;
    let mut csv_error: Option<anyhow::Error> = None;
    let mut on_sample = |s: &swarmlb_model::metrics::Sample| {
        samples += 1;
        if let Some(bar) = bar.as_mut() {
            bar.set(s.time.as_micros() / 1_000_000);
        }
        if let Some((w, path)) = metrics.as_mut()
            && let Err(e) = writeln!(w, "{}", s.csv_row())
        {
            csv_error =
                Some(anyhow::Error::new(e).context(format!("cannot write {}", path.display())));
            return ControlFlow::Break(());
        }
        if progress::stopped() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let mut trace_bytes = None;
    let runner = match trace_file {
        Some(file) => {
            let name = file.partial_path().to_path_buf();
            let stop = Some(&progress::STOP);
            let recorded =
                swarmlb_trace::write::record_run(scenario, file, name, None, stop, &mut on_sample)?;
            trace_bytes = Some(recorded.out.commit()?);
            recorded.runner
        }
        None => {
            let mut runner = Runner::new(scenario);
            runner.run_to_end(&mut (), &mut on_sample);
            runner
        }
    };
    if let Some(e) = csv_error {
        return Err(e);
    }
    if let Some((w, _)) = metrics {
        w.commit()?;
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    Ok(Recorded {
        summary: runner.summary(),
        interrupted: runner.stopped_early(),
        trace_bytes,
        samples,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// `dir/name`, creating `dir`.
pub fn in_dir(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))?;
    Ok(dir.join(name))
}

/// Fail now, before any work, if `path` cannot be written: a directory, a missing folder,
/// a read-only place. Creates nothing that was not there (an existing file is left as is).
pub fn check_writable(path: &Path) -> anyhow::Result<()> {
    let fail = |why: String| anyhow::anyhow!("cannot write {}: {why}", path.display());
    if path.is_dir() {
        return Err(fail("it is a directory".into()));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    if !existed {
        std::fs::remove_file(path).map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

/// Write `bytes` to `path` through `PATH.partial`, a sync and a rename: a failure (a full
/// disk) leaves the old file, or none, never a truncated one under the final name.
pub fn write_whole(path: &Path, bytes: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mut file = PartialFile::create(path)?;
    file.write_all(bytes.as_ref())
        .with_context(|| format!("cannot write {}", file.partial_path().display()))?;
    file.commit()?;
    Ok(())
}
