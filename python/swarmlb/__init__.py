"""swarmlb from Python: run scenarios, read traces, butterfly and diff, sweep a grid.

Every function calls the same Rust code as the ``swarmlb`` command (a trace written by
``swarmlb.run(..., trace=path)`` is byte-identical to ``swarmlb run ... --trace path``),
and tables arrive through Arrow, never through CSV text. Errors raise
:class:`SwarmlbError` with the command's message.

DataFrames are polars by default; pass ``backend="pandas"`` or ``backend="arrow"``.
"""

from __future__ import annotations

import io
import itertools
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.csv
import pyarrow.ipc

from . import _native
from ._native import SwarmlbError

__all__ = [
    "SwarmlbError",
    "Run",
    "Trace",
    "Divergence",
    "run",
    "read_trace",
    "butterfly",
    "diff",
    "sweep",
    "scenarios",
]
__version__ = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]
Time = Union[str, int, float]


def _frame(table: pa.Table, backend: str):
    """A DataFrame (or Arrow table) of ``table`` for ``backend``."""
    if backend == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if backend == "pandas":
        return table.to_pandas()
    if backend == "arrow":
        return table
    raise ValueError(f"unknown backend {backend!r}; use 'polars', 'pandas' or 'arrow'")


def _table(stream: bytes) -> pa.Table:
    return pa.ipc.open_stream(stream).read_all()


class _Stream:
    """An Arrow C stream capsule from Rust, for pyarrow's PyCapsule interface."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        capsule, self._capsule = self._capsule, None
        if capsule is None:
            raise RuntimeError("an Arrow stream can be read once")
        return capsule


def _stream_table(capsule) -> pa.Table:
    """The table behind a stream capsule; the buffers stay Rust's (no copy)."""
    return pa.RecordBatchReader.from_stream(_Stream(capsule)).read_all()


def _time(value: Optional[Time]) -> Optional[str]:
    """A duration as the command reads it: a string like ``"5m"`` or a number of seconds."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a time is a string like '5m' or a number of seconds, not {value!r}")
    return f"{value:.6f}".rstrip("0").rstrip(".") + "s"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _overrides(overrides: Optional[Mapping[str, Any]]) -> list:
    """``{"servers.capacity": 40}`` as the command's ``--set servers.capacity=40``."""
    return [f"{k}={_value(v)}" for k, v in (overrides or {}).items()]


@dataclass
class Run:
    """One run: its summary (a dict of figures) and its sampled metrics."""

    summary: Dict[str, Any]
    metrics: Any
    trace: Optional[str] = None


@dataclass
class Trace:
    """The tables of one trace (columns documented in traces/FORMAT.md, "Tables")."""

    events: Any
    servers: Any
    users: Any
    agents: Any


@dataclass
class Divergence:
    """A diff of two traces: the verdict, the report as the command prints it, and the
    divergence per sample (time_s, micro, macro_l1, ...)."""

    verdict: str
    report: str
    series: Any
    baseline: Optional[str] = None
    perturbed: Optional[str] = None


def scenarios() -> list:
    """The built-in scenario names."""
    return list(_native.scenarios())


def run(
    scenario: str = "default",
    *,
    seed: Optional[int] = None,
    duration: Optional[Time] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    policy: Optional[str] = None,
    trace: Optional[PathLike] = None,
    backend: str = "polars",
) -> Run:
    """Run ``scenario`` (a built-in name or a TOML path) like ``swarmlb run``.

    ``overrides`` are the command's ``--set`` fields; ``trace`` records every event.
    """
    summary, metrics = _native.run(
        scenario,
        seed,
        _time(duration),
        _overrides(overrides),
        policy,
        os.fspath(trace) if trace is not None else None,
    )
    return Run(summary=summary, metrics=_frame(_table(metrics), backend),
               trace=os.fspath(trace) if trace is not None else None)


def read_trace(
    path: PathLike,
    *,
    from_: Optional[Time] = None,
    to: Optional[Time] = None,
    kind: Optional[str] = None,
    agent: Optional[str] = None,
    backend: str = "polars",
) -> Trace:
    """The tables of a trace, filtered like ``swarmlb export --from/--to/--kind/--agent``."""
    streams = _native.read_tables(os.fspath(path), _time(from_), _time(to), kind, agent)
    return Trace(**{name: _frame(_stream_table(s), backend) for name, s in streams.items()})


def _divergence(result, backend, baseline=None, perturbed=None) -> Divergence:
    report, csv, verdict = result
    # One thread: pyarrow's threaded CSV reader can abort the interpreter at exit beside
    # polars (issue 22).
    options = pa.csv.ReadOptions(use_threads=False)
    table = (pa.csv.read_csv(io.BytesIO(csv.encode()), read_options=options)
             if csv.strip() else pa.table({}))
    return Divergence(verdict=verdict, report=report, series=_frame(table, backend),
                      baseline=baseline, perturbed=perturbed)


def diff(a: PathLike, b: PathLike, *, interval: Optional[Time] = None,
         references: int = 5, backend: str = "polars") -> Divergence:
    """Compare two traces like ``swarmlb diff``, judged against ``references`` runs of the
    baseline's scenario with other seeds (the null model; 0 for none, and then no verdict
    above ``contained``). The series has the pair's distances, the null's mean distances,
    phi per measure and the band (see docs/scenarios.md, divergence.csv)."""
    return _divergence(_native.diff(os.fspath(a), os.fspath(b), _time(interval), references),
                       backend)


def butterfly(
    scenario: str = "default",
    *,
    at: Time,
    seed: Optional[int] = None,
    user: Optional[int] = None,
    duration: Optional[Time] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    policy: Optional[str] = None,
    out: Optional[PathLike] = None,
    references: int = 5,
    backend: str = "polars",
) -> Divergence:
    """A baseline and a branch with one user disconnected at ``at``, like
    ``swarmlb butterfly``, judged against ``references`` runs of other seeds (the null
    model); the traces go to ``out`` (a temporary directory by default). The verdict
    describes the trajectory (no effect, dissipated, contained, decorrelated), never
    whether an outcome got worse: that needs an ensemble (``swarmlb butterfly --repeat``)."""
    out = os.fspath(out) if out is not None else tempfile.mkdtemp(prefix="swarmlb-butterfly-")
    result = _native.butterfly(scenario, _time(at), out, seed, user, _time(duration),
                               _overrides(overrides), policy, references)
    return _divergence(result, backend, os.path.join(out, "baseline.swlb"),
                       os.path.join(out, "perturbed.swlb"))


def sweep(
    scenario: str = "default",
    grid: Optional[Mapping[str, Sequence[Any]]] = None,
    *,
    seeds: Union[int, Iterable[int]] = 1,
    duration: Optional[Time] = None,
    overrides: Optional[Mapping[str, Any]] = None,
    policy: Optional[str] = None,
    backend: str = "polars",
):
    """Run every cell of ``grid`` (field -> values) with every seed (``seeds=N`` means
    1..=N, like ``swarmlb sweep --seeds N``); one row per run: the cell's fields, the seed
    and the summary's figures."""
    grid = dict(grid or {})
    seed_list = list(range(1, seeds + 1)) if isinstance(seeds, int) else list(seeds)
    rows = []
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        cell = dict(zip(keys, values))
        for seed in seed_list:
            r = run(scenario, seed=seed, duration=duration, policy=policy,
                    overrides={**(overrides or {}), **cell}, backend="arrow")
            rows.append({**cell, **r.summary, "seed": seed})
    return _frame(pa.Table.from_pylist(rows), backend)
