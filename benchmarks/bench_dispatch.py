"""Benchmark of the numpy dispatch core on the 2030 system.

Measures sample-years per second at several sample counts (each size in a fresh process, so the
peak resident memory is that size's own), and optionally the speed ratio against the LP
dispatch of the same year (Pyomo + HiGHS with the capacities fixed). Writes JSON to
``benchmarks/results/bench_dispatch.json``.

    python benchmarks/bench_dispatch.py                  # sizes 1, 100, 1000 (long!)
    python benchmarks/bench_dispatch.py --sizes 1,20 --lp
    python benchmarks/bench_dispatch.py --ci             # small, < 30 s, checks the baseline
    python benchmarks/bench_dispatch.py --ci --update-baseline

CI mode operates the first two weeks of the 2030 system for 4 samples and expresses the
throughput (cell-hours per second) as a ratio to a reference numpy operation timed in the same
run, so that machine noise cancels; it exits 1 when that ratio falls below half of the one in
``benchmarks/baseline.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "pdp8_2030.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "bench_dispatch.json"
BASELINE = ROOT / "benchmarks" / "baseline.json"
CHUNK = 50


def load_system(hours: int | None = None):
    from energy_sim.scenario import load_scenario
    from energy_sim.system import build_system

    system = build_system(load_scenario(SCENARIO), resolution="full")
    if hours:
        system = system.isel(time=slice(0, hours))
    return system


def load_plan(path: str | None):
    if not path:
        return None
    from energy_sim.adequacy import load_plan as _load

    return _load(path)


def run_size(samples: int, plan_path: str | None, seed: int = 1) -> dict:
    """Operate ``samples`` sample-years (outage/weather/hydro draws as in assess), in chunks."""
    from energy_sim.adequacy import plan_capacities, sample_chunk
    from energy_sim.dispatch import dispatch

    system = load_system()
    plan = load_plan(plan_path)
    caps = plan_capacities(system, plan)["capacity_mw"]
    t_draw = t_disp = 0.0
    shed = []
    for c, a in enumerate(range(0, samples, CHUNK)):
        n = min(CHUNK, samples - a)
        t0 = time.perf_counter()
        d = sample_chunk(system, caps, c, n, seed) if samples > 1 else None
        t1 = time.perf_counter()
        kw = {k: d[k] for k in ("availability", "demand", "hydro_cf_month")} if d else {}
        res = dispatch(system, plan, samples=n, keep_hourly=False, chunk_size=n, **kw)
        t2 = time.perf_counter()
        t_draw += t1 - t0
        t_disp += t2 - t1
        shed.append(res["unserved_energy_mwh"].sum("region").values)
        del d, kw, res
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "samples": samples,
        "dispatch_s": t_disp,
        "draw_s": t_draw,
        "sample_years_per_s": samples / t_disp,
        "peak_rss_mb": rss_mb,
        "mean_unserved_mwh": float(np.concatenate(shed).mean()),
    }


def lp_seconds(plan_path: str | None) -> dict:
    """Wall time of the LP dispatch of the same year (capacities fixed)."""
    from energy_sim.dispatch import dispatch
    from energy_sim.solve import plan as lp_plan

    system = load_system()
    plan = load_plan(plan_path)
    fixed = dispatch(system, plan).isel(sample=0)
    sy = system.copy()
    sy["build_min_mw"] = sy["build_min_mw"] * 0.0
    sy["build_max_mw"] = sy["build_max_mw"] * 0.0 + np.inf
    t0 = time.perf_counter()
    lp = lp_plan(sy, fixed_capacities=fixed)
    return {"lp_s": time.perf_counter() - t0, "lp_status": lp.attrs["status"]}


def reference_ops_per_s() -> float:
    """A fixed numpy workload (sort, cumsum, comparisons on 2e6 floats), operations/s."""
    rng = np.random.default_rng(0)
    x = rng.random((256, 8192))
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        y = np.sort(x, axis=1)
        z = np.cumsum(y, axis=1)
        _ = (z[:, :, None] > z[:, -1:, None] * 0.5).sum()
        best = min(best, time.perf_counter() - t0)
    return x.size / best


def ci(update: bool) -> int:
    """Small fixed workload; compare the throughput ratio with the baseline."""
    from energy_sim.dispatch import dispatch

    system = load_system(hours=24 * 14)
    rng = np.random.default_rng(0)
    av = (rng.random((4, system.sizes["gen"], system.sizes["time"])) > 0.05).astype(float)
    dispatch(system, samples=1)  # warm-up (imports, caches)
    ref = reference_ops_per_s()
    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        dispatch(system, samples=4, availability=av, keep_hourly=False)
        best = min(best, time.perf_counter() - t0)
    cells_per_s = 4 * system.sizes["time"] / best
    ratio = cells_per_s / ref
    out = {"cell_hours_per_s": cells_per_s, "reference_ops_per_s": ref, "ratio": ratio}
    print(json.dumps(out))
    if update:
        BASELINE.write_text(json.dumps({"dispatch_ci_ratio": ratio, **out}, indent=2) + "\n")
        print(f"baseline written: {BASELINE}")
        return 0
    if not BASELINE.is_file():
        print("no baseline: run with --update-baseline", file=sys.stderr)
        return 1
    base = json.loads(BASELINE.read_text())["dispatch_ci_ratio"]
    if ratio < 0.5 * base:
        print(f"FAIL: throughput ratio {ratio:.3g} < half the baseline {base:.3g}", file=sys.stderr)
        return 1
    print(f"ok: throughput ratio {ratio:.3g} (baseline {base:.3g})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,100,1000", help="comma-separated sample counts")
    ap.add_argument("--plan", default=None, help="results.nc of a plan (default: existing fleet)")
    ap.add_argument("--lp", action="store_true", help="also time the LP dispatch of the year")
    ap.add_argument("--ci", action="store_true", help="small run checked against the baseline")
    ap.add_argument("--update-baseline", action="store_true")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--lp-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    if args.ci:
        return ci(args.update_baseline)
    if args.one is not None:
        print(json.dumps(run_size(args.one, args.plan)))
        return 0
    if args.lp_only:
        print(json.dumps(lp_seconds(args.plan)))
        return 0
    runs = []
    for n in [int(x) for x in args.sizes.split(",") if x]:
        cmd = [sys.executable, __file__, "--one", str(n)] + (
            ["--plan", args.plan] if args.plan else []
        )
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]))
    out = {"scenario": str(SCENARIO.relative_to(ROOT)), "plan": args.plan, "runs": runs}
    out["cpu_count"] = os.cpu_count()
    if args.lp:
        cmd = [sys.executable, __file__, "--lp-only"] + (["--plan", args.plan] if args.plan else [])
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        lp = json.loads(done.stdout.strip().splitlines()[-1])
        one = next((r for r in runs if r["samples"] == 1), runs[0])
        lp["speed_ratio_vs_lp"] = lp["lp_s"] / (one["dispatch_s"] / one["samples"])
        out["lp"] = lp
        print(json.dumps(lp))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
