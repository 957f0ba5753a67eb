"""Accuracy of the time resolution: representative days (tsam) against chronological years.

Plans the bundled 2030 scenario (``energy-sim run scenarios/pdp8_2030.yaml`` semantics:
``load_scenario`` + ``build_system(sc, resolution=RES)`` + ``plan``) at each resolution, one
fresh subprocess per resolution (one solve at a time), and compares each plan with the
chronological references (``24h``: daily steps over the whole year; ``8h``, ``4h``, ``2h``:
finer chronological years that solve here in minutes; the full hourly year does not solve on
this 2-core machine within the time asked, docs/model.md):

- objective (total annual cost) and its relative error ``(C - C_ref)/C_ref``;
- new capacity by technology and its error ``sum_k |x_k - x_ref,k| / sum_k x_ref,k``;
- the system and regional reserve margins achieved;
- the largest coincident demand the LP operates, ``max_t sum_r demand[r,t]``, against the
  hourly year's peak;
- seconds to build the System, build the model, hand it to HiGHS and solve.

``12d-kmedoids`` is the previous aggregation (hand-written k-medoids per month, no peak day;
``git show <rev>:energy_sim/inputs/timeseries.py``) when ``--kmedoids-rev`` is given.
The table is printed and written to ``benchmarks/results/bench_resolution.json``.

    python benchmarks/bench_resolution.py                       # 12d 24d 48d 24h 8h 4h 2h
    python benchmarks/bench_resolution.py --resolutions 12d,24h --kmedoids-rev f8d7488
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "pdp8_2030.yaml"
OUT = ROOT / "benchmarks" / "results" / "bench_resolution.json"
DEFAULT = ["12d", "24d", "48d", "24h", "8h", "4h", "2h"]
#: Chronological references, finest first; the table shows errors against the finest one that
#: solved and against daily steps (24h); the JSON holds the errors against every one.
REFERENCES = ["2h", "4h", "8h", "24h"]


def run_one(resolution: str, kmedoids_rev: str | None = None) -> dict:
    """Plan the 2030 scenario at ``resolution`` in this process; return its measurements."""
    import numpy as np

    from energy_sim import build_system, load_scenario, plan
    from energy_sim.planning.kpis import kpis

    res_text = resolution
    if resolution.endswith("-kmedoids"):  # the previous aggregation, loaded from git
        import types

        from energy_sim.inputs import timeseries as T

        src = subprocess.run(
            ["git", "show", f"{kmedoids_rev}:energy_sim/inputs/timeseries.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        old = types.ModuleType("timeseries_kmedoids")
        sys.modules[old.__name__] = old  # dataclasses look the module up
        exec(compile(src, "timeseries_kmedoids.py", "exec"), old.__dict__)  # noqa: S102
        T.representative_days = old.representative_days
        res_text = resolution.split("-")[0]
    t0 = time.perf_counter()
    sc = load_scenario(SCENARIO)
    hourly = build_system(sc, resolution="full")
    peak_hourly = float(hourly["demand_mw"].sum("region").max())
    system = build_system(sc, resolution=res_text)
    system_s = time.perf_counter() - t0
    r = plan(system)
    k = kpis(r)
    return {
        "resolution": resolution,
        "steps": int(system.sizes["time"]),
        "status": r.attrs["status"],
        "objective_usd": float(r.attrs["objective_usd"]),
        "new_capacity_mw": {t: float(v) for t, v in k["new_capacity_mw"].items()},
        "reserve_margin": float(k["reserve_margin"]),
        "reserve_margin_by_region": {a: float(b) for a, b in k["reserve_margin_by_region"].items()},
        "unserved_energy_mwh": float(k["unserved_energy_mwh"]),
        "peak_operated_mw": float(np.max(system["demand_mw"].sum("region").to_numpy())),
        "peak_hourly_mw": peak_hourly,
        "system_s": round(system_s, 2),
        "build_s": round(float(r.attrs["build_s"]), 2),
        "handoff_s": round(float(r.attrs["handoff_s"]), 2),
        "solve_s": round(float(r.attrs["solve_s"]), 2),
        "solver": str(r.attrs.get("solver", "")),
    }


def errors(row: dict, ref: dict) -> dict:
    """Relative cost error and capacity error of ``row`` against ``ref``:
    ``(C - C_ref)/C_ref`` and ``sum_k |x_k - x_ref,k| / sum_k x_ref,k`` over technologies."""
    techs = set(row["new_capacity_mw"]) | set(ref["new_capacity_mw"])
    diff = sum(
        abs(row["new_capacity_mw"].get(t, 0.0) - ref["new_capacity_mw"].get(t, 0.0)) for t in techs
    )
    total = sum(ref["new_capacity_mw"].values())
    return {
        "cost_error": row["objective_usd"] / ref["objective_usd"] - 1.0,
        "capacity_error": diff / total if total > 0 else float("nan"),
    }


def table(rows: list[dict]) -> str:
    """A plain-text table of the measurements and their errors against the references."""
    refs = {r["resolution"]: r for r in rows if r["resolution"] in REFERENCES}
    shown = [n for n in REFERENCES if n in refs][:1] + (["24h"] if "24h" in refs else [])
    shown = list(dict.fromkeys(shown))
    head = f"{'res':>13} {'steps':>5} {'cost bn':>8}"
    for name in shown:
        head += f" {'dC/' + name:>8} {'dCap/' + name:>9}"
    head += f" {'RM min':>6} {'peak op GW':>10} {'sys s':>6} {'build s':>7} {'solve s':>7}"
    lines = [head]
    for r in rows:
        line = f"{r['resolution']:>13} {r['steps']:>5} {r['objective_usd'] / 1e9:>8.3f}"
        for name in shown:
            e = errors(r, refs[name])
            line += f" {e['cost_error']:>+8.2%} {e['capacity_error']:>9.1%}"
        rm = min(r["reserve_margin_by_region"].values())
        line += (
            f" {rm:>6.3f} {r['peak_operated_mw'] / 1e3:>10.1f} {r['system_s']:>6.1f}"
            f" {r['build_s'] + r['handoff_s']:>7.1f} {r['solve_s']:>7.1f}"
        )
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", default=",".join(DEFAULT))
    ap.add_argument("--kmedoids-rev", default=None, help="git revision of the old k-medoids")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.kmedoids_rev)))
        return
    wanted = args.resolutions.split(",")
    if args.kmedoids_rev:
        wanted.append("12d-kmedoids")
    rows = []
    for res in wanted:
        cmd = [sys.executable, __file__, "--one", res]
        if args.kmedoids_rev:
            cmd += ["--kmedoids-rev", args.kmedoids_rev]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
        if out.returncode:
            print(f"{res}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
        print(f"{res}: {row['objective_usd'] / 1e9:.3f} bn USD, {row['wall_s']} s", flush=True)
    refs = {r["resolution"]: r for r in rows if r["resolution"] in REFERENCES}
    for r in rows:
        r["errors"] = {name: errors(r, ref) for name, ref in refs.items()}
    print(table(rows))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "command": "python benchmarks/bench_resolution.py " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "load_avg": list(os.getloadavg())},
        "rows": rows,
    }
    OUT.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    main()
