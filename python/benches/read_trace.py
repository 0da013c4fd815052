"""Reading a long trace into a DataFrame: events per second and peak memory.

    python python/benches/read_trace.py [--trace FILE] [--rounds N]

Without --trace it records `diurnal` for 5 simulated hours (about 11M events) once. Each
round reads the trace in a fresh process (so peak RSS is that read's alone) into polars
DataFrames through Arrow (all four tables), and prints events/s and the process's peak
RSS against the size of the events table's columns; then the same read repeated in one
process ("warm"). The figure in BENCHMARKS.md comes from this.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
import swarmlb
t0 = time.perf_counter()
t = swarmlb.read_trace(sys.argv[1], backend="polars")
dt = time.perf_counter() - t0
print(json.dumps({"events": t.events.height, "seconds": dt,
                  "column_bytes": int(t.events.estimated_size()),
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    path = args.trace
    if path is None:
        import swarmlb
        path = os.path.join(tempfile.mkdtemp(), "diurnal.swlb")
        r = swarmlb.run("diurnal", seed=1, duration="5h", trace=path, backend="arrow")
        print(f"recorded {r.summary['events']} events to {path}", file=sys.stderr)
    # A baseline process that only imports the package, to subtract its footprint.
    base = subprocess.run([sys.executable, "-c",
                           "import resource, swarmlb, polars; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"],
                          capture_output=True, text=True, check=True)
    base_rss = int(base.stdout)
    rounds = []
    for _ in range(args.rounds):
        out = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True, check=True)
        rounds.append(json.loads(out.stdout))
    rates = [r["events"] / r["seconds"] for r in rounds]
    # The same read repeated in this process (allocator and page cache warm).
    import swarmlb
    warm = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        t = swarmlb.read_trace(path, backend="polars")
        warm.append(t.events.height / (time.perf_counter() - t0))
        del t
    r0 = rounds[0]
    print(json.dumps({
        "trace_bytes": os.path.getsize(path),
        "events": r0["events"],
        "rounds": len(rounds),
        "events_per_s_best": max(rates),
        "events_per_s_median": statistics.median(rates),
        "seconds_median": statistics.median(r["seconds"] for r in rounds),
        "warm_events_per_s_median": statistics.median(warm),
        "warm_events_per_s_best": max(warm),
        "events_column_bytes": r0["column_bytes"],
        "peak_rss_over_import_median": statistics.median(r["peak_rss"] for r in rounds) - base_rss,
    }, indent=1))


if __name__ == "__main__":
    main()
