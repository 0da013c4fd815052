"""The Python package against the swarmlb command: same bytes, same tables, same
messages (issue 15)."""

import pyarrow.parquet as pq
import polars as pl
import pytest

import swarmlb

SCENARIO = ["seed-classic", "--seed", "2", "--duration", "2m", "--set", "servers.capacity=12"]


def python_run(**extra):
    return swarmlb.run("seed-classic", seed=2, duration="2m",
                       overrides={"servers.capacity": 12}, **extra)


def test_run_gives_summary_and_metrics():
    r = python_run()
    assert r.summary["scenario"] == "seed-classic"
    assert r.summary["seed"] == 2
    assert r.summary["events"] > 1000
    m = r.metrics
    assert isinstance(m, pl.DataFrame)
    assert m.columns[:3] == ["time_s", "servers_alive", "users_connected"]
    # Samples at 0, every second, and the end: 121 for two minutes.
    assert m.height == 121
    assert m["time_s"][-1] == 120.0
    assert m["users_connected"][-1] == r.summary["users_connected_end"]
    # Same numbers through pandas.
    p = python_run(backend="pandas")
    assert list(p.metrics["users_connected"]) == m["users_connected"].to_list()


def test_python_and_cli_traces_are_byte_identical(tmp_path, cli):
    python_run(trace=tmp_path / "py.swlb")
    o = cli("run", *SCENARIO, "--trace", tmp_path / "cli.swlb")
    assert o.returncode == 0, o.stderr
    a = (tmp_path / "py.swlb").read_bytes()
    b = (tmp_path / "cli.swlb").read_bytes()
    assert len(a) > 10_000
    assert a == b
    # And a different seed gives different bytes (the comparison can fail).
    swarmlb.run("seed-classic", seed=3, duration="2m", overrides={"servers.capacity": 12},
                trace=tmp_path / "other.swlb")
    assert (tmp_path / "other.swlb").read_bytes() != a


def test_butterfly_traces_and_verdict_match_the_cli(tmp_path, cli):
    d = swarmlb.butterfly("seed-classic", seed=1, duration="1m", at="20s", user=38,
                          out=tmp_path / "py")
    o = cli("butterfly", "seed-classic", "--seed", "1", "--duration", "1m", "--at", "20s",
            "--user", "38", "--out", tmp_path / "cli")
    assert o.returncode == 0, o.stderr
    for name in ["baseline.swlb", "perturbed.swlb", "divergence.csv"]:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    assert f"verdict: {d.verdict}" in o.stdout
    assert d.report.strip() in o.stdout
    assert d.series.columns[:6] == ["time_s", "micro", "macro_l1", "macro_sorted",
                                    "users_moved", "servers_alive_diff"]
    assert "phi_micro" in d.series.columns and "band_low" in d.series.columns
    assert "null model: 5 independent runs" in d.report
    assert d.series["micro"].max() > 0
    again = swarmlb.diff(d.baseline, d.perturbed)
    assert again.verdict == d.verdict
    assert again.series.equals(d.series)
    o = cli("diff", d.baseline, d.perturbed)
    assert o.stdout.split("\n", 1)[1] == again.report


def test_read_trace_matches_the_parquet_export(tmp_path, cli):
    python_run(trace=tmp_path / "t.swlb")
    # A server that handles COMM events between 30 s and 40 s (which servers still run
    # depends on the model), read from the trace itself.
    window = swarmlb.read_trace(tmp_path / "t.swlb", from_="30s", to="40s", kind="COMM")
    servers = window.agents.filter(pl.col("class").cast(pl.Utf8) == "server")
    busy = window.events.filter(pl.col("target").is_in(servers["id"].to_list()))
    row = servers.filter(pl.col("id") == busy["target"][0])
    name, number = row["name"][0], row["index"][0]
    filters = {"from_": "30s", "to": "40s", "agent": name, "kind": "COMM"}
    for kwargs, args in [({}, []),
                         (filters, ["--from", "30s", "--to", "40s", "--agent", name,
                                    "--kind", "COMM"])]:
        out = tmp_path / f"pq{len(args)}"
        o = cli("export", tmp_path / "t.swlb", "--format", "parquet", "-o", out, *args)
        assert o.returncode == 0, o.stderr
        t = swarmlb.read_trace(tmp_path / "t.swlb", backend="arrow", **kwargs)
        for name in ["events", "servers", "users", "agents"]:
            ours = getattr(t, name)
            theirs = pq.read_table(out / f"{name}.parquet")
            assert ours.num_rows == theirs.num_rows, name
            assert ours.to_pylist() == theirs.to_pylist(), name
    t = swarmlb.read_trace(tmp_path / "t.swlb", **filters)
    assert t.events.height > 0
    assert t.events["time_us"].min() >= 30_000_000
    assert t.events["time_us"].max() <= 40_000_000
    assert set(t.events["category"].cast(pl.Utf8).unique()) == {"COMM"}
    assert set(t.servers["server"].unique()) == {number}


def error_of(call):
    with pytest.raises(swarmlb.SwarmlbError) as info:
        call()
    return str(info.value)


def test_errors_carry_the_cli_messages(tmp_path, cli):
    cases = [
        (lambda: swarmlb.run("no-such-scenario"), ["run", "no-such-scenario"]),
        (lambda: swarmlb.run("seed-classic", overrides={"servers.capacity": "x"}),
         ["run", "seed-classic", "--set", "servers.capacity=x"]),
        (lambda: swarmlb.butterfly("seed-classic", duration="1m", at="2m", out=tmp_path / "b"),
         ["butterfly", "seed-classic", "--duration", "1m", "--at", "2m", "--out", tmp_path / "b"]),
        (lambda: swarmlb.read_trace(tmp_path / "missing.swlb"),
         ["export", tmp_path / "missing.swlb", "--format", "jsonl"]),
    ]
    python_run(trace=tmp_path / "t.swlb")
    # A bad filter is a usage error of the command (exit 2, framed by clap, issue 23);
    # Python names the same unknown kind.
    message = error_of(lambda: swarmlb.read_trace(tmp_path / "t.swlb", kind="Nope"))
    o = cli("export", tmp_path / "t.swlb", "--format", "jsonl", "--kind", "Nope")
    assert o.returncode == 2, o.stderr
    assert "Nope" in message and "Nope" in o.stderr, (message, o.stderr)
    whole = (tmp_path / "t.swlb").read_bytes()
    (tmp_path / "cut.swlb").write_bytes(whole[: len(whole) // 2])
    cases.append((lambda: swarmlb.read_trace(tmp_path / "cut.swlb"),
                  ["export", tmp_path / "cut.swlb", "--format", "parquet", "-o", tmp_path / "c"]))
    for call, args in cases:
        message = error_of(call)
        o = cli(*args)
        assert o.returncode in (1, 3), (args, o.returncode)
        last = o.stderr.strip().splitlines()[-1]
        expected = last.removeprefix("swarmlb: ").removeprefix("error: ")
        assert message == expected, args


def test_bad_durations_carry_the_cli_reason(cli):
    message = error_of(lambda: swarmlb.run("seed-classic", duration="abc"))
    o = cli("run", "seed-classic", "--duration", "abc")
    assert o.returncode == 2
    # clap frames the reason with the option; Python with the argument's name.
    reason = o.stderr.splitlines()[0].split("': ", 1)[1]
    assert message == f"invalid value 'abc' for 'duration': {reason}"
    assert "invalid duration \"abc\"" in message


def test_sweep_runs_every_cell_and_seed():
    df = swarmlb.sweep("seed-classic", {"servers.capacity": [8, 12]}, seeds=2, duration="30s")
    assert df.height == 4
    assert df["servers.capacity"].to_list() == [8, 8, 12, 12]
    assert df["seed"].to_list() == [1, 2, 1, 2]
    one = swarmlb.run("seed-classic", seed=2, duration="30s", overrides={"servers.capacity": 12})
    assert df["events"][3] == one.summary["events"]
    assert df["state_hash"][3] == one.summary["state_hash"]


def test_a_duration_that_breaks_the_sample_limit_is_refused_like_the_cli(cli):
    # 366 days at the default 10 s sample interval is over 1,000,000 samples.
    message = error_of(lambda: swarmlb.run("default", duration="366d"))
    o = cli("run", "default", "--duration", "366d")
    assert o.returncode == 1
    assert "--duration 366d: invalid value for `sample_interval`" in message
    assert message in o.stderr


def test_an_argument_never_silently_wins_over_an_override():
    # As `swarmlb run --seed 3 --set seed=4` is refused: one of the two would be ignored.
    for call in [
        lambda: swarmlb.run("seed-classic", seed=3, duration="10s", overrides={"seed": 4}),
        lambda: swarmlb.run("seed-classic", policy="random", overrides={"policy": "random"}),
        lambda: swarmlb.run("seed-classic", duration="10s", overrides={"duration": "20s"}),
    ]:
        assert "contradicts" in error_of(call)
    # Each alone is fine, and the seed argument is the run's seed.
    r = swarmlb.run("seed-classic", seed=3, duration="10s")
    assert r.summary["seed"] == 3
