"""Full-year accuracy of the dispatch core against the LP with the same capacities fixed.

Operates the 2030 System over the full chronological year (8760 h) with the numpy core and with
the LP (Pyomo + HiGHS), both with the same capacities, and reports the gaps of the accuracy
contract: operating cost, annual unserved energy, annual generation by technology and by region
and technology, and the invariant checks. Variants: the fleet as planned (``--plan``, else the
existing fleet with demand scaled to 80%), a tight reserve (demand +15%), a corridor outage (the
two corridors into the South out) and an LNG cut-off (every hub, days 9-15 of the horizon).

    python benchmarks/dispatch_accuracy.py [--plan runs/pdp8_2030/results.nc] [--hours 8760]
        [--start 0] [--only as_is,tight_reserve]

Writes ``benchmarks/results/dispatch_accuracy.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def variants(system, scale: float):
    base = system.copy()
    base["demand_mw"] = base["demand_mw"] * scale
    tight = base.copy()
    tight["demand_mw"] = tight["demand_mw"] * 1.15
    cut = base.copy()
    cut["fcap0_mw"] = cut["fcap0_mw"].where(
        ~cut["corridor"].isin(["central_highlands-south", "south_central-south"]), 0.0
    )
    lng_off = base.copy()
    av = lng_off["lng_availability"].values.copy()
    av[:, 24 * 8 : 24 * 15] = 0.0  # the horizon's days 9-15
    lng_off["lng_availability"] = (("hub", "time"), av, lng_off["lng_availability"].attrs)
    return {"as_is": base, "tight_reserve": tight, "corridor_outage": cut, "lng_cut_off": lng_off}


def main(argv=None) -> int:
    from test_dispatch_lp import gaps, lp_of

    from energy_sim.dispatch import dispatch
    from energy_sim.results import check_invariants
    from energy_sim.scenario import load_scenario
    from energy_sim.system import build_system

    ap = argparse.ArgumentParser()
    ap.add_argument("--plan", default=None)
    ap.add_argument("--hours", type=int, default=8760)
    ap.add_argument("--start", type=int, default=0, help="first hour of the horizon")
    ap.add_argument("--only", default=None, help="comma-separated variants")
    ap.add_argument("--keep-lp", default=None, help="folder to keep each variant's LP results")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/dispatch_accuracy.json"))
    args = ap.parse_args(argv)
    system = build_system(load_scenario(ROOT / "scenarios/pdp8_2030.yaml"), resolution="full")
    system = system.isel(time=slice(args.start, args.start + args.hours))
    plan = None
    scale = 0.8
    if args.plan:
        from energy_sim.adequacy import load_plan

        plan, scale = load_plan(args.plan), 1.0
        for var, src in (("cap0_mw", "capacity_mw"), ("pcap0_mw", "storage_power_mw"),
                         ("fcap0_mw", "corridor_capacity_mw"), ("tank0_mwh_th", "tank_mwh_th")):  # fmt: skip
            system[var] = (system[var].dims, np.asarray(plan[src].values, float), system[var].attrs)
    out = {"plan": args.plan, "start": args.start, "hours": args.hours, "demand_scale": scale}
    out["variants"] = {}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    todo = variants(system, scale)
    if args.only:
        todo = {k: v for k, v in todo.items() if k in args.only.split(",")}
    for name, s in todo.items():
        t0 = time.perf_counter()
        r = dispatch(s)
        t_core = time.perf_counter() - t0
        t0 = time.perf_counter()
        lp = lp_of(s, r)
        t_lp = time.perf_counter() - t0
        if args.keep_lp:
            Path(args.keep_lp).mkdir(parents=True, exist_ok=True)
            lp.drop_vars(["timestamp"], errors="ignore").to_netcdf(
                Path(args.keep_lp) / f"lp_{name}.nc"
            )
        g = gaps(s, r, lp)
        g.update(
            invariants=check_invariants(s, r),
            core_s=t_core,
            lp_s=t_lp,
            unserved_lp_mwh=float(lp["unserved_energy_mwh"].sum()),
            unserved_core_mwh=float(r["unserved_energy_mwh"].sum()),
            operating_lp_usd=float(lp["cost_usd"].sel(cost_component="operating")),
            operating_core_usd=float(r["cost_usd"].isel(sample=0).sel(cost_component="operating")),
        )
        out["variants"][name] = g
        print(name, json.dumps(g), flush=True)
        path.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
