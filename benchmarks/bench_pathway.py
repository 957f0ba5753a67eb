"""Speed and memory of the pathway 2030-2050 (issue 13: perfect foresight <= 5 min and 8 GiB,
myopic <= 3 min on this 2-core machine).

Each foresight runs in a fresh subprocess (``plan_pathway`` on ``scenarios/pathway_2050.yaml``,
the default resolution unless ``--resolution``), which reports the seconds to build the
periods' Systems, build the Pyomo model(s), hand them to HiGHS and solve, the LP size, the
status and objective, and its peak resident memory (``ru_maxrss``). The table is printed and
written to ``benchmarks/results/bench_pathway.json``.

    python benchmarks/bench_pathway.py                        # perfect and myopic
    python benchmarks/bench_pathway.py --foresight myopic --resolution 12d
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "pathway_2050.yaml"
OUT = ROOT / "benchmarks" / "results" / "bench_pathway.json"
TARGET_S = {"perfect": 300.0, "myopic": 180.0}
TARGET_GIB = 8.0


def _one(foresight: str, resolution: str | None) -> dict:
    """Run one pathway in this process and return its figures."""
    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.planning.pathway import period_systems, solve_pathway

    over = {"foresight": foresight}
    if resolution:
        over["resolution"] = resolution
    sc = load_scenario(SCENARIO, over)
    t0 = time.perf_counter()
    systems, frozen = period_systems(sc)
    systems_s = time.perf_counter() - t0
    res = solve_pathway(
        systems, frozen, foresight=foresight, discount_rate=sc.discount_rate,
        base_year=sc.base_year, last_period_years=sc.last_period_years,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    a = res.attrs
    co2 = res["co2_t"].sum("gen")
    return {
        "foresight": foresight,
        "resolution": sc.resolution,
        "periods": list(sc.period_list),
        "steps": int(sum(s.sizes["time"] for s in systems.values())),
        "status": a["status"],
        "objective_usd": float(a["objective_usd"]),
        "systems_s": systems_s,
        "build_s": float(a["build_s"]),
        "handoff_s": float(a["handoff_s"]),
        "solve_s": float(a["solve_s"]),
        "wall_s": wall,
        "solver": a["solver"],
        "n_lps": int(a["n_lps"]),
        "n_variables": int(a["n_variables"]),
        "n_constraints": int(a["n_constraints"]),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "co2_mt": [round(float(x) / 1e6, 3) for x in co2.values],
        "co2_cap_mt": [None if x != x else float(x) / 1e6 for x in res["co2_cap_t"].values],
        "min_regional_margin": [
            float(x) for x in res["reserve_margin_by_region"].min("region").values
        ],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--foresight", choices=["perfect", "myopic", "both"], default="both")
    ap.add_argument("--resolution", default=None, help="override the scenario's resolution")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(_one(a.foresight, a.resolution)))
        return 0
    kinds = ["perfect", "myopic"] if a.foresight == "both" else [a.foresight]
    rows = []
    for kind in kinds:
        cmd = [sys.executable, __file__, "--one", "--foresight", kind]
        if a.resolution:
            cmd += ["--resolution", a.resolution]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'foresight':9} {'res':>4} {'status':>8} {'systems':>8} {'build':>7} {'handoff':>8} "
          f"{'solve':>7} {'wall':>7} {'target':>7} {'GiB':>5}  objective (bn USD, discounted)")  # fmt: skip
    for r in rows:
        print(
            f"{r['foresight']:9} {r['resolution']:>4} {r['status']:>8} {r['systems_s']:8.1f} "
            f"{r['build_s']:7.1f} {r['handoff_s']:8.1f} {r['solve_s']:7.1f} {r['wall_s']:7.1f} "
            f"{TARGET_S[r['foresight']]:7.0f} {r['peak_rss_gib']:5.2f}  "
            f"{r['objective_usd'] / 1e9:,.2f}"
        )
        print(f"          CO2 Mt {r['co2_mt']} (caps {r['co2_cap_mt']}); "
              f"lowest regional margin {[round(x, 3) for x in r['min_regional_margin']]}")  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"command": " ".join(sys.argv), "rows": rows}, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
