"""Benchmark of the planning LP on the bundled 2030 scenario at increasing time resolution.

For each resolution (coarse to fine, up to ``--max-resolution``; ``full`` is the hourly year)
a fresh subprocess builds the System, plans it and reports variables, constraints, nonzeros,
build / hand-off / solve seconds, the peak resident memory of that process and the objective.
Results are printed and written to ``benchmarks/results/bench_plan.json``.

    python benchmarks/bench_plan.py --max-resolution 4h          # quick
    python benchmarks/bench_plan.py                               # up to the full year (minutes)
    python benchmarks/bench_plan.py --handoff --resolution 24h    # compare hand-off paths
    python benchmarks/bench_plan.py --methods ipm,simplex --resolution 12d

``--handoff`` times the three ways of getting the Pyomo model into HiGHS (without solving):
Pyomo's persistent HiGHS interface, an LP file read by ``highspy.readModel``, and the
``LinearStandardFormCompiler`` + ``highspy.passModel`` path that :mod:`energy_sim.planning.solve` uses.
``--save DIR`` keeps each plan's ``results.nc`` and ``kpis.json`` in ``DIR/<resolution>/``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "pdp8_2030.yaml"
LADDER = ["24h", "12d", "12h", "24d", "8h", "6h", "48d", "4h", "3h", "2h", "full"]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _load(scenario: Path, resolution: str):
    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.inputs.system import build_system

    t0 = time.perf_counter()
    system = build_system(load_scenario(scenario, overrides={"resolution": resolution}))
    return system, time.perf_counter() - t0


def run_one(
    scenario: Path, resolution: str, method: str | None, save: Path | None, limit: float | None
) -> dict:
    """Plan one resolution in this process and return its measurements.

    The scenario's solver time limit is replaced by ``limit`` (None: no limit)."""
    import json as _json

    from energy_sim.planning.kpis import kpis
    from energy_sim.planning.results import write_results
    from energy_sim.planning.solve import plan

    system, system_s = _load(scenario, resolution)
    cfg = _json.loads(system.attrs.get("lp_solver_options") or "{}")
    if method:
        cfg["method"] = method
    cfg["time_limit_s"] = limit
    system.attrs["lp_solver_options"] = _json.dumps(cfg)
    res = plan(system)
    k = kpis(res)
    if save is not None:
        write_results(res, save / resolution, k)
    return {
        "resolution": resolution,
        "method": res.attrs["solver"],
        "steps": int(system.sizes["time"]),
        "variables": int(res.attrs["n_variables"]),
        "constraints": int(res.attrs["n_constraints"]),
        "nonzeros": int(res.attrs["n_nonzeros"]),
        "system_s": round(system_s, 2),
        "build_s": round(res.attrs["build_s"], 2),
        "handoff_s": round(res.attrs["handoff_s"], 2),
        "solve_s": round(res.attrs["solve_s"], 2),
        "peak_mib": round(_peak_mib(), 1),
        "status": res.attrs["status"],
        "objective_usd": res.attrs["objective_usd"],
    }


def run_handoff(scenario: Path, resolution: str) -> dict:
    """Time the three hand-off paths on one model (no solve)."""
    import highspy
    from pyomo.contrib.solver.solvers.highs import Highs as PersistentHighs

    from energy_sim.planning.model import build_model
    from energy_sim.planning.solve import new_highs, to_highs

    system, _ = _load(scenario, resolution)
    t0 = time.perf_counter()
    m = build_model(system)
    out = {"resolution": resolution, "build_s": round(time.perf_counter() - t0, 2)}

    t0 = time.perf_counter()
    h = new_highs()
    to_highs(m, h)
    out["standard_form_passModel_s"] = round(time.perf_counter() - t0, 2)
    out["variables"] = h.getNumCol()
    out["constraints"] = h.getNumRow()
    del h

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.lp")
        t0 = time.perf_counter()
        m.write(path, io_options={"symbolic_solver_labels": False})
        h = new_highs()
        h.readModel(path)
        out["lp_file_readModel_s"] = round(time.perf_counter() - t0, 2)
        del h

    t0 = time.perf_counter()
    opt = PersistentHighs()
    opt.set_instance(m)
    out["persistent_set_instance_s"] = round(time.perf_counter() - t0, 2)
    out["highspy"] = highspy.__version__ if hasattr(highspy, "__version__") else ""
    out["peak_mib"] = round(_peak_mib(), 1)
    return out


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"args": args, "error": (proc.stderr or proc.stdout)[-2000:]}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", type=Path, default=SCENARIO)
    ap.add_argument("--max-resolution", default="full", help="finest resolution of the ladder")
    ap.add_argument("--resolution", help="only this resolution (for --handoff / --methods)")
    ap.add_argument("--methods", help="comma-separated HiGHS methods to compare")
    ap.add_argument("--handoff", action="store_true", help="time the three hand-off paths")
    ap.add_argument("--save", type=Path, help="keep results.nc/kpis.json per resolution here")
    ap.add_argument("--time-limit", type=float, help="solver time limit, s (default: none)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_plan.json")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--one-handoff", help=argparse.SUPPRESS)
    ap.add_argument("--method", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.one:
        print(json.dumps(run_one(a.scenario, a.one, a.method, a.save, a.time_limit)), flush=True)
        return
    if a.one_handoff:
        print(json.dumps(run_handoff(a.scenario, a.one_handoff)), flush=True)
        return

    base = ["--scenario", str(a.scenario)] + (["--save", str(a.save)] if a.save else [])
    if a.time_limit is not None:
        base += ["--time-limit", str(a.time_limit)]
    rows = []
    if a.handoff:
        rows.append(_child(["--one-handoff", a.resolution or "full", *base]))
        print(json.dumps(rows[-1]), flush=True)
    elif a.methods:
        for meth in a.methods.split(","):
            rows.append(_child(["--one", a.resolution or "12d", "--method", meth, *base]))
            print(json.dumps(rows[-1]), flush=True)
    else:
        if a.max_resolution not in LADDER:
            ap.error(f"--max-resolution must be one of {', '.join(LADDER)}")
        ladder = [a.resolution] if a.resolution else LADDER[: LADDER.index(a.max_resolution) + 1]
        for res in ladder:
            rows.append(_child(["--one", res, *base]))
            print(json.dumps(rows[-1]), flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()}, "rows": rows}
    previous = json.loads(a.out.read_text()) if a.out.exists() else {}
    key = "handoff" if a.handoff else "methods" if a.methods else "ladder"
    if key == "ladder" and a.resolution and key in previous:  # one rung: keep the others
        done = {r.get("resolution") for r in rows}
        old = [r for r in previous[key].get("rows", []) if r.get("resolution") not in done]
        order = {res: i for i, res in enumerate(LADDER)}
        payload["rows"] = sorted(old + rows, key=lambda r: order.get(r.get("resolution"), 99))
    previous[key] = payload
    tmp = a.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(previous, indent=2) + "\n")
    os.replace(tmp, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
