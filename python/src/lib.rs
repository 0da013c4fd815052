//! `swarmlb._native`: the Rust side of the Python package. Thin on purpose: it resolves
//! a scenario like the `swarmlb` command, records through the same function
//! (`swarmlb_trace::write::record_run`), exports through `swarmlb_export`, diffs through
//! `swarmlb_trace::diff`, and hands tables to Python through Arrow (the C stream interface
//! for trace tables, an IPC stream for a run's metrics). Errors become
//! `swarmlb.SwarmlbError` with the command's message.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    ArrayRef, Float64Array, RecordBatch, RecordBatchIterator, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict};
use swarmlb_engine::SimTime;
use swarmlb_export::filter::parse_agent;
use swarmlb_export::tables::Table;
use swarmlb_export::{Filter, KindSet, Tables};
use swarmlb_model::metrics::Sample;
use swarmlb_model::run::Runner;
use swarmlb_model::scenario::Dur;
use swarmlb_model::{Policy, Scenario, Summary};
use swarmlb_trace::TraceReader;
use swarmlb_trace::diff::Report;
use swarmlb_trace::write::{PartialFile, record_run};

create_exception!(
    _native,
    SwarmlbError,
    PyException,
    "An error the swarmlb command would report (same message)."
);

/// The exception for `e`, with the message the command prints after `swarmlb: error: `.
fn py_err(e: anyhow::Error) -> PyErr {
    SwarmlbError::new_err(format!("{e:#}"))
}

/// The scenario options shared by `run` and `butterfly`, as the command takes them.
struct Spec {
    scenario: String,
    seed: Option<u64>,
    duration: Option<String>,
    overrides: Vec<String>,
    policy: Option<String>,
}

/// A duration argument; the message frames the command's own (`invalid duration ...`) as
/// clap does for the command's options, with the Python argument's name.
fn parse_time(what: &str, text: &str) -> anyhow::Result<SimTime> {
    swarmlb_engine::parse_duration(text)
        .map(SimTime)
        .map_err(|e| anyhow::anyhow!("invalid value '{text}' for '{what}': {e}"))
}

impl Spec {
    /// The scenario, resolved as `swarmlb run` resolves it: `seed` becomes its `seed`.
    fn resolve(&self) -> anyhow::Result<Scenario> {
        // As the command refuses `--seed` with `--set seed=` (and the same for policy and
        // duration): an argument must never silently win over an override.
        for (key, given) in [
            ("seed", self.seed.is_some()),
            ("policy", self.policy.is_some()),
            ("duration", self.duration.is_some()),
        ] {
            let overridden = self
                .overrides
                .iter()
                .any(|o| swarmlb_model::scenario::override_key(o) == Some(key));
            anyhow::ensure!(
                !(given && overridden),
                "overrides {key}=... contradicts {key}=; give only one"
            );
        }
        let mut scenario = swarmlb_model::scenario::load(
            &self.scenario,
            &self.overrides,
            swarmlb_trace::files::read_scenario_file,
        )
        .with_context(|| format!("cannot load scenario {:?}", self.scenario))?;
        if let Some(text) = &self.duration {
            let d = parse_time("duration", text)?;
            anyhow::ensure!(d.as_micros() > 0, "--duration must be positive");
            scenario.duration = Dur::from(d);
            // As the command does: the run's length enters relations (the number of
            // samples), so no trace is written that its readers would refuse.
            scenario.validate().map_err(|e| {
                anyhow::anyhow!(
                    "--duration {}: invalid value for `{}`: {e}",
                    scenario.duration,
                    e.field()
                )
            })?;
        }
        if let Some(p) = &self.policy {
            scenario.policy = p.parse::<Policy>().map_err(anyhow::Error::msg)?;
        }
        if let Some(seed) = self.seed {
            scenario = scenario.with_seed(seed);
        }
        Ok(scenario)
    }
}

/// Run `scenario` (with its seed), recording to `trace` when given; the samples come back.
fn record(scenario: &Scenario, trace: Option<&Path>) -> anyhow::Result<(Summary, Vec<Sample>)> {
    let mut samples = Vec::new();
    let on_sample = |s: &Sample| {
        samples.push(s.clone());
        ControlFlow::Continue(())
    };
    let runner = match trace {
        Some(path) => {
            let file = PartialFile::create(path)
                .with_context(|| format!("cannot create trace {}", path.display()))?;
            let name = file.partial_path().to_path_buf();
            let recorded = record_run(scenario, file, name, None, None, on_sample)?;
            recorded.out.commit()?;
            recorded.runner
        }
        None => {
            let mut runner = Runner::new(scenario);
            runner.run_to_end(&mut (), on_sample);
            runner
        }
    };
    Ok((runner.summary(), samples))
}

/// One Arrow IPC stream holding `batches` (empty tables keep their schema).
fn ipc(schema: &Arc<Schema>, batches: &[RecordBatch]) -> anyhow::Result<Vec<u8>> {
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), schema)?;
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    Ok(writer.into_inner()?)
}

/// The samples as one record batch; columns as in `swarmlb run --metrics`.
fn samples_batch(samples: &[Sample]) -> anyhow::Result<(Arc<Schema>, RecordBatch)> {
    let u32s = |f: fn(&Sample) -> u32| {
        Arc::new(UInt32Array::from(samples.iter().map(f).collect::<Vec<_>>())) as ArrayRef
    };
    let u64s = |f: fn(&Sample) -> u64| {
        Arc::new(UInt64Array::from(samples.iter().map(f).collect::<Vec<_>>())) as ArrayRef
    };
    let f64s = |f: fn(&Sample) -> f64| {
        Arc::new(Float64Array::from(
            samples.iter().map(f).collect::<Vec<_>>(),
        )) as ArrayRef
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("time_s", f64s(|s| s.time.as_secs_f64())),
        ("servers_alive", u32s(|s| s.servers_alive)),
        ("users_connected", u32s(|s| s.users_connected)),
        ("users_searching", u32s(|s| s.users_searching)),
        ("load_max", u32s(|s| s.load_max)),
        ("load_mean", f64s(|s| s.load_mean)),
        ("load_cov", f64s(|s| s.load_cov)),
        ("jain", f64s(|s| s.jain)),
        ("utilization", f64s(|s| s.utilization)),
        ("messages", u64s(|s| s.messages)),
        ("migrations", u64s(|s| s.migrations)),
        ("rejections", u64s(|s| s.rejections)),
    ];
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    debug_assert!(
        schema
            .fields()
            .iter()
            .all(|f| f.data_type() != &DataType::Null)
    );
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )?;
    Ok((schema, batch))
}

/// The summary as a dict of numbers and names.
fn summary_dict<'py>(py: Python<'py>, s: &Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("scenario", &s.scenario)?;
    d.set_item("policy", s.policy)?;
    d.set_item("seed", s.seed)?;
    d.set_item("simulated_s", s.simulated.as_secs_f64())?;
    macro_rules! fields {
        ($($f:ident),*) => { $( d.set_item(stringify!($f), s.$f)?; )* };
    }
    fields!(
        events,
        servers_start,
        servers_end,
        servers_max,
        users_alive_end,
        users_connected_end,
        users_connected_mean,
        load_max,
        load_mean,
        load_cov,
        jain,
        spawned,
        deaths,
        gave_up,
        connects,
        accepts,
        rejections,
        migrations,
        pulls,
        handoffs,
        terminations,
        scale_outs,
        messages,
        heartbeats,
        delegations,
        messages_lost,
        ttc_mean_us,
        server_seconds,
        refused_after_coordinator_crash,
        orphans,
        orphans_reconnected,
        orphan_reconnect_us_max
    );
    // As the command prints it: a u64 does not fit the int64 columns of DataFrames.
    d.set_item("state_hash", format!("{:016x}", s.state_hash))?;
    d.set_item(
        "messages_per_connection_without_heartbeats",
        s.messages_per_connection_without_heartbeats(),
    )?;
    Ok(d)
}

/// Run a scenario like `swarmlb run`; returns (summary dict, metrics as Arrow IPC).
#[pyfunction]
#[pyo3(signature = (scenario, seed=None, duration=None, overrides=Vec::new(), policy=None, trace=None))]
fn run<'py>(
    py: Python<'py>,
    scenario: String,
    seed: Option<u64>,
    duration: Option<String>,
    overrides: Vec<String>,
    policy: Option<String>,
    trace: Option<PathBuf>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyBytes>)> {
    let spec = Spec {
        scenario,
        seed,
        duration,
        overrides,
        policy,
    };
    let (summary, bytes) = py
        .detach(|| -> anyhow::Result<_> {
            let scenario = spec.resolve()?;
            let (summary, samples) = record(&scenario, trace.as_deref())?;
            let (schema, batch) = samples_batch(&samples)?;
            Ok((summary, ipc(&schema, &[batch])?))
        })
        .map_err(py_err)?;
    Ok((summary_dict(py, &summary)?, PyBytes::new(py, &bytes)))
}

/// Read a trace's tables (events, servers, users, agents), filtered like `swarmlb export`,
/// each as an `arrow_array_stream` PyCapsule (the Arrow C stream interface): pyarrow takes
/// the Rust buffers over without copying them.
#[pyfunction]
#[pyo3(signature = (path, from_=None, to=None, kind=None, agent=None))]
fn read_tables<'py>(
    py: Python<'py>,
    path: PathBuf,
    from_: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    agent: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let tables = py
        .detach(|| -> anyhow::Result<Tables> {
            let reader = TraceReader::open(&path)?;
            let mut filter = Filter::default();
            if let Some(text) = &kind {
                filter.kinds = KindSet::parse(text).map_err(anyhow::Error::msg)?;
            }
            if let Some(text) = &agent {
                filter.agent =
                    Some(parse_agent(reader.layout(), text).map_err(anyhow::Error::msg)?);
            }
            if let Some(text) = &from_ {
                filter.from = parse_time("from_", text)?;
            }
            if let Some(text) = &to {
                filter.to = parse_time("to", text)?;
            }
            anyhow::ensure!(
                filter.from <= filter.to,
                "--from {} is after --to {}",
                filter.from,
                filter.to
            );
            let mut tables = Tables::default();
            swarmlb_export::export_tables(reader, &filter, &mut tables)?;
            Ok(tables)
        })
        .map_err(py_err)?;
    let d = PyDict::new(py);
    for table in Table::ALL {
        let batches = tables.get(table).to_vec();
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), table.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        d.set_item(
            table.name(),
            PyCapsule::new_with_value(py, stream, c"arrow_array_stream")?,
        )?;
    }
    Ok(d)
}

/// A diff report for Python: (text as the command prints it, CSV per sample, verdict).
fn report_tuple(report: &Report) -> (String, String, String) {
    (
        report.to_string(),
        report.csv(),
        report.verdict.name().to_string(),
    )
}

fn diff_files(
    a: &Path,
    b: &Path,
    interval: Option<SimTime>,
    window_from: Option<SimTime>,
    references: usize,
) -> anyhow::Result<Report> {
    let open = || Ok((TraceReader::open(a)?, TraceReader::open(b)?));
    let report = swarmlb_trace::diff::diff_from(open, interval, window_from)
        .with_context(|| format!("cannot diff {} and {}", a.display(), b.display()))?;
    if references == 0 {
        return Ok(report);
    }
    // The null model, as `swarmlb diff` and `swarmlb butterfly` make it.
    let baseline = std::fs::read(a).with_context(|| format!("cannot read {}", a.display()))?;
    Ok(swarmlb_experiment::pair::judge_trace(
        &baseline,
        report,
        references,
        swarmlb_experiment::Hooks::NONE,
    )?)
}

/// Reference runs of the null model, checked as the command checks `--references`.
fn check_references(references: usize) -> anyhow::Result<usize> {
    let max = swarmlb_experiment::pair::REFERENCES_MAX;
    anyhow::ensure!(
        references <= max,
        "references={references}: at most {max} reference runs"
    );
    Ok(references)
}

/// Diff two traces like `swarmlb diff`, judged against `references` runs of the
/// baseline's scenario with other seeds (the null model; 0 for none): (report text,
/// divergence CSV, verdict).
#[pyfunction]
#[pyo3(signature = (a, b, interval=None, references=swarmlb_experiment::pair::REFERENCES_DEFAULT))]
fn diff(
    py: Python<'_>,
    a: PathBuf,
    b: PathBuf,
    interval: Option<String>,
    references: usize,
) -> PyResult<(String, String, String)> {
    py.detach(|| {
        let interval = interval
            .as_deref()
            .map(|t| parse_time("interval", t))
            .transpose()?;
        let references = check_references(references)?;
        Ok(report_tuple(&diff_files(
            &a, &b, interval, None, references,
        )?))
    })
    .map_err(py_err)
}

/// Record a baseline and a branch with one user disconnected at `at`, like
/// `swarmlb butterfly`, into `out`, judged against `references` runs of other seeds;
/// returns (report text, divergence CSV, verdict).
#[pyfunction]
#[pyo3(signature = (scenario, at, out, seed=None, user=None, duration=None, overrides=Vec::new(), policy=None, references=swarmlb_experiment::pair::REFERENCES_DEFAULT))]
#[allow(clippy::too_many_arguments)]
fn butterfly(
    py: Python<'_>,
    scenario: String,
    at: String,
    out: PathBuf,
    seed: Option<u64>,
    user: Option<u32>,
    duration: Option<String>,
    overrides: Vec<String>,
    policy: Option<String>,
    references: usize,
) -> PyResult<(String, String, String)> {
    let spec = Spec {
        scenario,
        seed,
        duration,
        overrides,
        policy,
    };
    py.detach(|| {
        let at = parse_time("at", &at)?;
        let references = check_references(references)?;
        let scenario = spec.resolve()?;
        anyhow::ensure!(
            at.as_micros() < scenario.duration.us(),
            "--at {} is not before the end of the run ({})",
            at,
            scenario.duration
        );
        // As `swarmlb butterfly` makes its branches: the configured victim behaviour
        // (`butterfly.reconnect_after`) kept, nothing scheduled in the baseline.
        let (baseline, perturbed) = scenario
            .butterfly_branches(Dur::from(at), user)
            .map_err(|e| anyhow::anyhow!("{}: {e}", e.field()))?;
        std::fs::create_dir_all(&out)
            .with_context(|| format!("cannot create directory {}", out.display()))?;
        let (base_path, pert_path) = (out.join("baseline.swlb"), out.join("perturbed.swlb"));
        record(&baseline, Some(&base_path))?;
        record(&perturbed, Some(&pert_path))?;
        let report = diff_files(&base_path, &pert_path, None, Some(at), references)?;
        std::fs::write(out.join("divergence.csv"), report.csv())
            .with_context(|| format!("cannot write {}", out.join("divergence.csv").display()))?;
        Ok(report_tuple(&report))
    })
    .map_err(py_err)
}

/// The built-in scenario names.
#[pyfunction]
fn scenarios() -> Vec<&'static str> {
    swarmlb_model::scenario::BUILTINS
        .iter()
        .map(|(n, _)| *n)
        .collect()
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SwarmlbError", m.py().get_type::<SwarmlbError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(read_tables, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(butterfly, m)?)?;
    m.add_function(wrap_pyfunction!(scenarios, m)?)?;
    Ok(())
}
