"""Benchmark: ``energy-sim assess`` of the 2030 plan as a planner runs it (issue 12's target).

Runs the command line itself, so start-up (imports, System, numba's cache), sampling and the
dispatch core are all inside the figure:

1. start-up: ``--samples 1`` with an empty numba cache (compiles every kernel) and with the
   cache warm;
2. ``--samples N`` (default 1,000) with the same seed once with ``--threads 1`` (chunks one
   after the other), then twice with two chunks at once in threads (the default): wall time,
   CPU time and peak memory of each run, and whether the three ``assessment.json`` carry the
   same numbers;
3. serial against Dask: the API's :func:`energy_sim.security.adequacy.assess` on ``--dask-samples``
   sample years serially (``threads=1``) and on a LocalCluster of ``--workers`` processes, same
   numbers.

Target (issue 12): 1,000 sample years within 30 s wall on 2 cores, peak memory within 4 GiB,
start-up under 10 s with the cache warm. Prints a table and writes
``benchmarks/results/bench_assess.json``.

    python benchmarks/bench_assess.py --plan runs/pdp8_2030/results.nc
    python benchmarks/bench_assess.py --plan runs/pdp8_2030/results.nc --samples 200 --skip-dask
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "pdp8_2030.yaml"
OUT = ROOT / "benchmarks" / "results" / "bench_assess.json"


def _cli(plan: Path, samples: int, out: Path, env: dict | None = None, *extra: str) -> dict:
    """Run ``energy-sim assess`` in a child process: wall, CPU (user + sys) and peak RSS."""
    cmd = [
        sys.executable, "-m", "energy_sim.cli", "assess", str(SCENARIO), "--plan", str(plan),
        "--samples", str(samples), "--out", str(out), "--quiet", *extra,
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"assess failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads((out / "assessment.json").read_text())
    return {
        "command": " ".join(["energy-sim", *cmd[3:]]),
        "samples": samples,
        "wall_s": wall,
        "cpu_s": cpu,
        # ru_maxrss of the children is the largest of any child so far (KiB on Linux)
        "peak_rss_mb_max_so_far": after.ru_maxrss / 1024.0,
        "report": report,
    }


def _numbers(report: dict) -> dict:
    """Everything of an assessment.json but its provenance (times, command, paths)."""
    return {k: v for k, v in report.items() if k not in ("provenance", "name")}


def bench_cli(plan: Path, samples: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba_cache"))
        cold = _cli(plan, 1, tmp / "cold", env)  # an empty cache: every kernel compiles
        warm = _cli(plan, 1, tmp / "warm", env)
        # one after the other first: the children's peak RSS is the largest so far
        serial = _cli(plan, samples, tmp / "c", env, "--threads", "1")
        first = _cli(plan, samples, tmp / "a", env)
        second = _cli(plan, samples, tmp / "b", env)
    numbers = _numbers(first["report"])
    same = bool(numbers) and numbers == _numbers(second["report"])
    same_serial = bool(numbers) and numbers == _numbers(serial["report"])
    for r in (cold, warm, first, second, serial):
        r.pop("report")
    return {
        "startup_cold_cache_s": cold["wall_s"],
        "startup_warm_cache_s": warm["wall_s"],
        "run_1": first,
        "run_2": second,
        "run_threads_1": serial,
        "same_seed_same_numbers": bool(same),
        "threads_1_same_numbers": bool(same_serial),
        "numbers_compared": sorted(numbers),
    }


def bench_dask(plan: Path, samples: int, workers: int) -> dict:
    import numpy as np

    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.inputs.system import build_system
    from energy_sim.security.adequacy import assess, load_plan
    from energy_sim.security.sweep import local_cluster

    system = build_system(load_scenario(SCENARIO), resolution="full")
    plan_ds = load_plan(plan)
    t0 = time.perf_counter()
    serial = assess(system, plan_ds, samples=samples, seed=2030, chunk_size=50, threads=1)
    t1 = time.perf_counter()
    from distributed import Client

    with local_cluster(workers) as cluster, Client(cluster) as client:
        t2 = time.perf_counter()
        dask = assess(system, plan_ds, samples=samples, seed=2030, chunk_size=50, client=client)
        t3 = time.perf_counter()
    same = all(
        np.array_equal(serial[k].values, dask[k].values, equal_nan=True)
        for k in ("lole_h", "eue_mwh", "lole_system_h", "eue_system_mwh")
    )
    return {
        "samples": samples,
        "workers": workers,
        "serial_s": t1 - t0,
        "dask_s": t3 - t2,
        "serial_equals_dask": bool(same),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True, help="results.nc of the 2030 plan")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--dask-samples", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    plan = args.plan.resolve()
    res = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_before": os.getloadavg(),
        "cli": bench_cli(plan, args.samples),
    }
    cli = res["cli"]
    print(f"start-up (--samples 1): empty numba cache {cli['startup_cold_cache_s']:.1f} s, "
          f"warm cache {cli['startup_warm_cache_s']:.1f} s")  # fmt: skip
    for k in ("run_threads_1", "run_1", "run_2"):
        r = cli[k]
        print(f"{r['samples']} sample years{' (--threads 1)' if k == 'run_threads_1' else ''}: "
              f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, "
              f"peak RSS <= {r['peak_rss_mb_max_so_far']:.0f} MB, "
              f"{r['samples'] / r['wall_s']:.1f} sample-years/s")  # fmt: skip
    print(
        f"same seed, same numbers: {cli['same_seed_same_numbers']}; with --threads 1 too: "
        f"{cli['threads_1_same_numbers']}",
        flush=True,
    )
    if not args.skip_dask:
        res["dask"] = d = bench_dask(plan, args.dask_samples, args.workers)
        print(f"serial {d['serial_s']:.1f} s, Dask ({d['workers']} workers) {d['dask_s']:.1f} s "
              f"for {d['samples']} samples; identical: {d['serial_equals_dask']}")  # fmt: skip
    res["load_average_after"] = os.getloadavg()
    print(f"load average before/after: {res['load_average_before']} / {res['load_average_after']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
