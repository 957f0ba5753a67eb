"""Benchmark: Monte Carlo adequacy of the 2030 system, and the sweep speed-up on Dask.

1. Drawing ``--samples`` sample years (default 1,000) of forced outages, weather, hydro and
   demand for the 2030 system (the adequacy module's own work).
2. The full assessment of ``--assess-samples`` sample years (default ``--samples``): draws plus
   the dispatch core, serial in one process, then on a LocalCluster of ``--workers`` processes
   (default 2); time split into sampling and dispatch. Target: 1,000 sample years within 10 s
   on 2 cores.
3. A sweep of the six ``scenarios/stress_*.yaml`` (``--sweep-samples`` each) serially and on
   ``--workers`` local processes: the speed-up, and a check that both give identical numbers.

Prints the figures and writes ``benchmarks/results/bench_adequacy.json``.

    python benchmarks/bench_adequacy.py --plan runs/pdp8_2030/results.nc
    python benchmarks/bench_adequacy.py --assess-samples 20 --assess-chunk-size 10 \\
        --sweep-samples 4        # while the dispatch core takes seconds per sample year
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from energy_sim.inputs.scenario import load_scenario  # noqa: E402
from energy_sim.inputs.system import build_system  # noqa: E402
from energy_sim.security.adequacy import assess, load_plan  # noqa: E402
from energy_sim.security.sweep import local_cluster, sweep  # noqa: E402


def _cluster(workers: int):
    from distributed import Client

    cluster = local_cluster(workers)
    return cluster, Client(cluster)


def _reference_work(_: int) -> float:
    rng = np.random.default_rng(0)
    a = rng.random((300, 300))
    t0 = time.perf_counter()
    for _ in range(400):
        a = np.tanh(a @ a.T / 300)
    return time.perf_counter() - t0


def bench_reference(workers: int) -> dict:
    """The speed-up of trivially parallel numpy work on ``workers`` processes: what the
    machine can give right now (other jobs share its cores)."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    for i in range(workers):
        _reference_work(i)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_reference_work, range(workers)))
        t0 = time.perf_counter()
        list(pool.map(_reference_work, range(workers)))
        parallel = time.perf_counter() - t0
    print(
        f"reference numpy work: speed-up {serial / parallel:.2f} on {workers} processes", flush=True
    )
    return {"serial_s": serial, "parallel_s": parallel, "speedup": serial / parallel}


def bench_sampling(system, plan, samples: int, chunk: int) -> dict:
    """Only the draws (outages, weather, hydro, demand) of ``samples`` sample years."""
    from energy_sim.security.adequacy import plan_capacities, sample_chunk

    cap = plan_capacities(system, plan)["capacity_mw"]
    t0 = time.perf_counter()
    for i, a in enumerate(range(0, samples, chunk)):
        draws = sample_chunk(system, cap, i, min(chunk, samples - a), seed=1)
        del draws
    elapsed = time.perf_counter() - t0
    print(f"sampling only: {samples} sample years in {elapsed:.2f} s", flush=True)
    return {"samples": samples, "chunk_size": chunk, "seconds": elapsed,
            "sample_years_per_s": samples / elapsed}  # fmt: skip


def bench_assess(system, plan, samples: int, chunk: int, workers: int) -> dict:
    out: dict = {"samples": samples, "chunk_size": chunk}
    t0 = time.perf_counter()
    serial = assess(system, plan, samples=samples, seed=1, chunk_size=chunk)
    out["serial_s"] = time.perf_counter() - t0
    out["serial_sampling_s"] = float(serial.attrs["sample_s"])
    out["serial_dispatch_s"] = float(serial.attrs["dispatch_s"])
    out["serial_sample_years_per_s"] = samples / out["serial_s"]
    out["lole_system_h"] = float(serial["lole_system_h"])
    out["eue_system_mwh"] = float(serial["eue_system_mwh"])
    print(
        f"assess, serial: {samples} sample years in {out['serial_s']:.1f} s "
        f"(sampling {out['serial_sampling_s']:.1f} s, dispatch {out['serial_dispatch_s']:.1f} s)",
        flush=True,
    )
    t0 = time.perf_counter()
    cluster, client = _cluster(workers)
    out["cluster_start_s"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        parallel = assess(system, plan, samples=samples, seed=1, chunk_size=chunk, client=client)
        out[f"dask_{workers}_workers_s"] = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    out["dask_identical_to_serial"] = bool(
        np.array_equal(serial["unserved_energy_mwh"].values, parallel["unserved_energy_mwh"].values)
    )
    out["speedup"] = out["serial_s"] / out[f"dask_{workers}_workers_s"]
    print(
        f"assess, {workers} workers: {out[f'dask_{workers}_workers_s']:.1f} s "
        f"(+{out['cluster_start_s']:.1f} s cluster start), speed-up {out['speedup']:.2f}, "
        f"identical: {out['dask_identical_to_serial']}",
        flush=True,
    )
    return out


def bench_sweep(plan_arg, samples: int, chunk: int, workers: int) -> dict:
    files = sorted((ROOT / "scenarios").glob("stress_*.yaml"))
    out: dict = {"scenarios": [f.name for f in files], "samples_each": samples}
    t0 = time.perf_counter()
    serial = sweep(files, plan=plan_arg, serial=True, samples=samples, chunk_size=chunk, seed=7)
    out["serial_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    parallel = sweep(
        files, plan=plan_arg, workers=workers, samples=samples, chunk_size=chunk, seed=7
    )
    out[f"dask_{workers}_workers_s"] = time.perf_counter() - t0
    out["speedup"] = out["serial_s"] / out[f"dask_{workers}_workers_s"]
    out["status"] = dict(
        zip(serial["scenario"].values.tolist(), serial["status"].values.tolist(), strict=True)
    )
    same = all(serial[v].equals(parallel[v]) for v in serial.data_vars if v not in ("error",))
    out["dask_identical_to_serial"] = bool(same)
    out["eue_system_mwh"] = dict(
        zip(
            serial["scenario"].values.tolist(),
            serial["eue_system_mwh"].values.tolist(),
            strict=True,
        )
    )
    print(
        f"sweep of {len(files)} scenarios x {samples}: serial {out['serial_s']:.1f} s, "
        f"{workers} workers {out[f'dask_{workers}_workers_s']:.1f} s (incl. cluster start), "
        f"speed-up {out['speedup']:.2f}, identical: {same}",
        flush=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, default=None, help="results.nc of the 2030 plan")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument(
        "--assess-samples", type=int, default=None, help="full assessment (default: --samples)"
    )
    parser.add_argument("--assess-chunk-size", type=int, default=100)
    parser.add_argument("--sweep-samples", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/bench_adequacy.json")
    args = parser.parse_args()

    scenario = load_scenario(ROOT / "scenarios/pdp8_2030.yaml")
    t0 = time.perf_counter()
    system = build_system(scenario, resolution="full")
    build_s = time.perf_counter() - t0
    plan = load_plan(args.plan) if args.plan else None
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1min": os.getloadavg()[0],
        },  # fmt: skip
        "system": {
            "scenario": scenario.name,
            "plan": str(args.plan) if args.plan else "existing fleet (no plan given)",
            "gens": system.sizes["gen"],
            "hours": system.sizes["time"],
            "build_s": build_s,
        },
        "reference_parallel": bench_reference(args.workers),
        "sampling": bench_sampling(system, plan, args.samples, args.chunk_size),
        "assess": bench_assess(
            system, plan, args.assess_samples or args.samples, args.assess_chunk_size, args.workers
        ),
    }
    if not args.skip_sweep:
        plan_arg = args.plan if args.plan else "existing"
        report["sweep"] = bench_sweep(plan_arg, args.sweep_samples, 25, args.workers)
        report["reference_parallel_after"] = bench_reference(args.workers)
    report["target"] = "1,000 sample years within 10 s on 2 cores"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(report, fh, indent=2, default=float)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    print(json.dumps(report, indent=2, default=float))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
