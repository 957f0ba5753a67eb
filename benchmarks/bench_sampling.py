"""Benchmark: drawing the random inputs of adequacy sample years for the 2030 plan.

Times :func:`energy_sim.security.adequacy.sample_chunk` (forced outages of every generator group over
8,760 hours, weather, hydro and demand) for 1, 50 and 1,000 sample years of the 2030 plan,
in chunks of ``--chunk-size`` samples as :func:`energy_sim.security.adequacy.assess` draws them, on
numba's thread count (``NUMBA_NUM_THREADS``); the 1,000 also on one thread, interleaved with the
former so that both see the same load. Each figure is the minimum of ``--repeats`` runs (the
machine is shared; the minimum is the least disturbed run), with the CPU time of all threads;
all runs are kept in the JSON.

Compile time is reported apart from the throughput: two fresh processes share an empty
``NUMBA_CACHE_DIR``; the first compiles the kernels (``cache=True`` writes them there), the
second loads them from the cache. Each times its first call of ``sample_chunk`` (one sample
year) and a second, warm call.

Prints the figures and writes ``benchmarks/results/bench_sampling.json``.

    python benchmarks/bench_sampling.py --plan runs/pdp8_2030/results.nc
    nice python benchmarks/bench_sampling.py --plan /tmp/plan2030.nc --repeats 7
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCENARIO = ROOT / "scenarios" / "pdp8_2030.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "bench_sampling.json"


def _inputs(plan_path: str):
    """The full-year 2030 System and the plan's capacity per generator group (MW)."""
    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.inputs.system import build_system
    from energy_sim.security.adequacy import load_plan, plan_capacities

    system = build_system(load_scenario(SCENARIO), resolution="full")
    cap = plan_capacities(system, load_plan(plan_path))["capacity_mw"]
    return system, cap


def first_call(plan_path: str) -> dict[str, float]:
    """In this process: import, first call (one sample year) and a second call, in seconds."""
    t0 = time.perf_counter()
    from energy_sim.security.adequacy import sample_chunk

    imported = time.perf_counter() - t0
    system, cap = _inputs(plan_path)
    t0 = time.perf_counter()
    sample_chunk(system, cap, 0, 1, seed=1)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    sample_chunk(system, cap, 1, 1, seed=1)
    second = time.perf_counter() - t0
    return {"import_s": imported, "first_call_s": first, "second_call_s": second}


def start_up(plan_path: str) -> dict[str, dict[str, float]]:
    """:func:`first_call` in two fresh processes sharing an empty numba cache directory."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for name in ("empty_cache", "warm_cache"):
            run = subprocess.run(
                [sys.executable, __file__, "--plan", plan_path, "--first-call"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            out[name] = json.loads(run.stdout.strip().splitlines()[-1])
            print(
                f"fresh process, {name.replace('_', ' ')}: first call (1 sample year) "
                f"{out[name]['first_call_s']:.2f} s, second {out[name]['second_call_s']:.3f} s",
                flush=True,
            )
    return out


def draw(system, cap, samples: int, chunk: int, threads: int | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) to draw ``samples`` sample years in chunks of
    ``chunk`` (seed 1) on ``threads`` threads (default: numba's)."""
    from energy_sim.security.adequacy import sample_chunk

    kw = {} if threads is None else {"threads": threads}
    t0, c0 = time.perf_counter(), time.process_time()
    for c, a in enumerate(range(0, samples, chunk)):
        draws = sample_chunk(system, cap, c, min(chunk, samples - a), seed=1, **kw)
        del draws
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default=str(ROOT / "runs" / "pdp8_2030" / "results.nc"))
    parser.add_argument("--chunk-size", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    if args.first_call:
        print(json.dumps(first_call(args.plan)))
        return

    import numba

    out: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_1_5_15": list(os.getloadavg()),
        "numba_threads": numba.get_num_threads(),
        "command": "python benchmarks/bench_sampling.py " + " ".join(sys.argv[1:]),
        "plan": args.plan,
        "chunk_size": args.chunk_size,
        "repeats": args.repeats,
    }
    out["start_up"] = start_up(args.plan)
    system, cap = _inputs(args.plan)
    out["groups"] = int(system.sizes["gen"])
    out["hours"] = int(system.sizes["time"])
    draw(system, cap, 100, args.chunk_size)  # warm: kernels loaded, memory mapped
    threads = numba.get_num_threads()
    out["draw"] = {}
    for samples in (1, 50, 1000):
        chunk = min(samples, args.chunk_size)
        # 1,000 also on one thread, interleaved with the default so both see the same load
        kinds = [None, 1] if samples == 1000 and threads > 1 else [None]
        runs: dict = {k: [] for k in kinds}
        for _ in range(args.repeats):
            for k in kinds:
                runs[k].append(draw(system, cap, samples, chunk, threads=k))
        for k in kinds:
            wall = [r[0] for r in runs[k]]
            cpu = [r[1] for r in runs[k]]
            key = str(samples) if k is None else f"{samples}_one_thread"
            out["draw"][key] = {
                "chunk_size": chunk,
                "threads": threads if k is None else k,
                "seconds_min": min(wall),
                "seconds_all": wall,
                "cpu_seconds_min": min(cpu),
                "cpu_seconds_all": cpu,
                "sample_years_per_s": samples / min(wall),
            }
            print(
                f"draw {samples:>5} sample years (chunks of {chunk}, "
                f"{threads if k is None else k} thread(s)): {min(wall):.3f} s wall, "
                f"{min(cpu):.3f} s CPU (min of {args.repeats}; "
                f"wall {', '.join(f'{w:.3f}' for w in wall)})",
                flush=True,
            )
    out["load_average_after"] = list(os.getloadavg())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
