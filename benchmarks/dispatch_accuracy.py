"""Accuracy of the dispatch core against the LP with the same capacities fixed (the contract).

Operates the 2030 System (or ``--scenario``'s; with ``--period``, one period of a pathway
plan, e.g. ``--scenario scenarios/pathway_2050.yaml --plan runs/pathway_2050/results.nc
--period 2045``) over a chronological horizon (default the full year, 8760 h; use
``--start/--hours`` for 13-week or 4-week horizons) with the core and with the LP (Pyomo +
HiGHS), both with the same capacities, and checks MODEL.md's accuracy contract with the bounds
of ``tests/test_dispatch_lp.py`` (``CONTRACT``): total operating cost within 0.5% of the LP's,
annual unserved energy within 1% of the LP's (or 0.001% of demand where the LP has none),
annual generation per region and technology within 5%, every physical limit exact
(``check_invariants``). Exits 1 when any variant misses the contract, after printing which
metric and by how much; the JSON is written either way. An LP solution that HiGHS calls optimal
but that fails the project's own invariant check by solver tolerance (status
``invariant_violation``, e.g. an LNG inventory residual of 8 MWh_th on 6.8 TWh_th tanks) is
still the reference, with a warning and ``lp_status`` in the JSON; no LP solution is a miss.
Where the generation per region and technology misses, one more LP prices the core's placement
(``test_dispatch_lp.placement_of``: the cheapest operation within 5% of the core's generation
in every pair; ``placement_cost``, its cost above the optimum as a share of the LP's total
operating cost): parts per million mean a near-tie of the LP's optimum, a good part of the
core's cost gap its misplacement.

Variants (``tests/factory.py``: ``stressed_horizons``, ``sampled_year``; days counted from the
start of the horizon) of the fleet as planned (``--plan``, else the existing fleet with demand
scaled to 80%):

- ``as_is``; ``tight_reserve``: demand +15%; ``corridor_outage``: the two corridors into the
  South out; ``lng_cut_off``: every LNG hub cut off on days 9-15;
- ``heatwave_lng_corridor``: demand x1.25 in every region on days 8-21, every LNG hub cut off
  on days 11-17, north-north_central down to one of its three circuits and south_central-south
  out. On the 2030 plan over the four weeks from 1 May (``--start 2880 --hours 672``) the LP
  sheds 206 GWh in the North and 200 GWh in the South (the core on 17 and 11 days); over 13
  weeks from 1 May only the South sheds (200 GWh), from 1 January almost nothing;
- ``south_island_heatwave``: the South islanded (both corridors into it out) for the whole
  horizon, demand x1.2 in every region on days 8-21, the North's coal plant at half its
  availability on days 8-21 (a coal supply shortfall) and every LNG hub cut off on days 11-17
  (four weeks from 1 May: the LP sheds 1,044 GWh in the South and 8.7 GWh in the North, the
  core on 20 and 16 days; 13 weeks from 1 May: 1,038 GWh, the South only; from 1 January:
  71 GWh, the South only);
- ``sampled_outage_year``: one sample year of the adequacy sampler
  (``energy_sim.security.adequacy.sample_chunk``, seed ``--seed``, chunk 0 of ``--draws`` samples: forced
  outages, weather shift, hydro year, demand), drawn over the full year and cut to the horizon;
  the draw of the chunk with the highest demand scale, dry years first.

    python benchmarks/dispatch_accuracy.py [--plan runs/pdp8_2030/results.nc] [--hours 8760]
        [--start 0] [--only as_is,tight_reserve] [--perturb 1e-9,-1e-9] [--out FILE.json]
        [--scenario scenarios/pathway_2050.yaml --period 2045]

MODEL.md states the contract for the core on any System; the tests assert it on the 2030
plan. A pathway's late periods (solar- and storage-heavy, shedding on many nights of a
sampled year) are where the core is furthest from the LP (docs/model.md, "Pathway"); their
full-year LPs take several minutes each.

``--perturb`` runs the core again on each variant with demand x (1+eps) and checks it against
the same LP (``perturbed`` and ``spread``, min and max of each metric, in the JSON; a perturbed
run's miss is a miss). The core's rounds are a local search: where load is shed, a change of
demand by a part per billion can end them elsewhere (docs/dispatch.md, "Sensitivity").

Writes ``benchmarks/results/dispatch_accuracy.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


#: Largest relative demand change of ``--perturb``: against the unperturbed LP, whose optimum
#: moves by about as much relative to its cost, far below the contract's bounds.
MAX_PERTURB = 1e-6


def shed_days(res) -> dict[str, int]:
    """Days with shed above 0.1 MW, per region (sample 0)."""
    shed = res["shed_mw"].isel(sample=0).transpose("region", "time").values
    days = shed.shape[1] // 24
    hit = (shed[:, : 24 * days].reshape(shed.shape[0], days, 24) > 0.1).any(axis=2)
    return {str(r): int(n) for r, n in zip(res["region"].values, hit.sum(axis=1), strict=True)}


def main(argv=None) -> int:
    from factory import sampled_year, scale_demand, stressed_horizons, with_plan
    from test_dispatch_lp import CONTRACT, contract_misses, gaps, lp_of, placement_of

    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.inputs.system import build_system
    from energy_sim.operation import dispatch
    from energy_sim.planning.results import check_invariants

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default=None)
    ap.add_argument(
        "--scenario",
        default=str(ROOT / "scenarios/pdp8_2030.yaml"),
        help="scenario file (default the 2030 plan's)",
    )
    ap.add_argument(
        "--period", type=int, default=None, help="the period of a pathway plan to operate"
    )
    ap.add_argument("--hours", type=int, default=8760)
    ap.add_argument("--start", type=int, default=0, help="first hour of the horizon")
    ap.add_argument("--only", default=None, help="comma-separated variants")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sampled outage year")
    ap.add_argument("--draws", type=int, default=10, help="sample years drawn to pick from")
    ap.add_argument("--keep-lp", default=None, help="folder to keep each variant's LP results")
    ap.add_argument(
        "--perturb",
        default="",
        help="comma-separated relative demand changes (|eps| <= 1e-6, e.g. 1e-9,-1e-9): the "
        "core runs each variant again with demand x (1+eps), checked against the same LP",
    )
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/dispatch_accuracy.json"))
    args = ap.parse_args(argv)
    try:
        perturb = [float(x) for x in args.perturb.split(",") if x.strip()]
    except ValueError:
        ap.error(f"--perturb: not a list of numbers: {args.perturb!r}")
    if any(abs(e) > MAX_PERTURB for e in perturb):
        ap.error(f"--perturb: every |eps| must be at most {MAX_PERTURB:g}, got {args.perturb}")
    sc = load_scenario(args.scenario)
    scale = 0.8
    if args.plan:
        from energy_sim.cli.common import for_period
        from energy_sim.errors import InputError
        from energy_sim.security.adequacy import load_plan

        try:
            sc, plan = for_period(sc, load_plan(args.plan), args.period)
        except InputError as err:
            ap.error(str(err))
        system, scale = with_plan(build_system(sc, resolution="full"), plan), 1.0
    elif args.period is not None:
        ap.error("--period: needs the pathway's plan (--plan)")
    else:
        system = build_system(sc, resolution="full")
    only = set(args.only.split(",")) if args.only else None
    horizon = slice(args.start, args.start + args.hours)
    todo = stressed_horizons(system.isel(time=horizon), scale)
    draw = None
    if only is None or "sampled_outage_year" in only:
        year, draw = sampled_year(scale_demand(system, scale), args.seed, args.draws)
        todo["sampled_outage_year"] = year.isel(time=horizon)
    if only:
        unknown = only - set(todo)
        if unknown:
            ap.error(f"unknown variants {sorted(unknown)}; known: {sorted(todo)}")
        todo = {k: v for k, v in todo.items() if k in only}
    out = {"scenario": args.scenario, "plan": args.plan, "period": args.period}
    out.update(start=args.start, hours=args.hours, demand_scale=scale)
    out.update(sampled_draw=draw, variants={}, misses={})
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, s in todo.items():
        t0 = time.perf_counter()
        r = dispatch(s)
        t_core = time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            lp = lp_of(s, r, accept=("optimal", "invariant_violation"))
        except AssertionError as err:  # no optimum to compare with: a miss, said as such
            out["variants"][name] = {"lp_error": str(err), "core_s": t_core}
            out["misses"][name] = [f"no LP optimum to compare with ({err})"]
            print(f"MISS {name}: no LP optimum to compare with ({err})", flush=True)
            path.write_text(json.dumps(out, indent=2) + "\n")
            continue
        t_lp = time.perf_counter() - t0
        if args.keep_lp:
            Path(args.keep_lp).mkdir(parents=True, exist_ok=True)
            lp.drop_vars(["timestamp"], errors="ignore").to_netcdf(
                Path(args.keep_lp) / f"lp_{name}.nc"
            )
        g = gaps(s, r, lp)
        inv = check_invariants(s, r)
        g.update(invariants=inv, core_s=t_core, lp_s=t_lp, core_shed_days=shed_days(r))
        g.update(lp_status=lp.attrs["status"], lp_invariants=lp.attrs.get("invariant_errors", ""))
        if g["lp_status"] != "optimal":
            print(f"warning {name}: the LP's own solution: {g['lp_invariants']}", flush=True)
        g["lp_unserved_by_region_mwh"] = lp["unserved_energy_mwh"].to_series().to_dict()
        g["core_unserved_by_region_mwh"] = (
            r["unserved_energy_mwh"].isel(sample=0).to_series().to_dict()
        )
        if g["generation_region_tech"] > CONTRACT["generation_region_tech"]:
            t0 = time.perf_counter()
            placed, cost = placement_of(s, r, lp)
            g.update(placement_status=placed.attrs["status"], placement_cost=cost,
                     placement_s=time.perf_counter() - t0)  # fmt: skip
        miss = contract_misses(g, inv)
        if perturb:
            g["perturbed"] = {}
            for eps in perturb:
                sp = s.copy()
                sp["demand_mw"] = s["demand_mw"] * (1.0 + eps)
                rp = dispatch(sp)
                gp = gaps(sp, rp, lp)
                invp = check_invariants(sp, rp)
                keep = ("operating", "unserved", "unserved_bound", "generation_region_tech")
                g["perturbed"][f"{eps:g}"] = {k: gp[k] for k in keep} | {"invariants": invp}
                miss += [f"{line} (demand x (1{eps:+g}))" for line in contract_misses(gp, invp)]
            runs = [g] + list(g["perturbed"].values())
            g["spread"] = {
                k: [min(x[k] for x in runs), max(x[k] for x in runs)]
                for k in ("operating", "unserved", "generation_region_tech")
            }
        out["variants"][name] = g
        if miss:
            out["misses"][name] = miss
        print(name, json.dumps(g), flush=True)
        for line in miss:
            print(f"MISS {name}: {line}", flush=True)
        path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")
    if out["misses"]:
        n = sum(len(v) for v in out["misses"].values())
        print(f"FAIL: {n} contract misses in {len(out['misses'])} of {len(todo)} variants")
        return 1
    print(f"ok: {len(todo)} variants within the contract")
    return 0


if __name__ == "__main__":
    sys.exit(main())
