"""The dispatch core against the LP with the same capacities fixed: the accuracy contract.

Contract (MODEL.md, "Fast dispatch core"), asserted with its own numbers (``CONTRACT``):

- ``operating``: total operating cost within 0.5% of the LP optimum. "Total" as in MODEL.md's
  objective, whose operating term is ``sum_t w*dt*(sum_g mc_g*p + voll*sum_r shed)``: the
  ``operating`` plus the ``unserved_energy`` cost component (the fuel-and-O&M component alone is
  reported as ``operating_component``, not asserted: a core that sheds more burns less);
- ``unserved``: annual unserved energy within 1% of the LP's, or within 0.001% of demand where
  the LP has none (below ``LP_NONE`` = 1e-8 of demand: solver noise);
- ``generation_region_tech``: annual generation per (region, technology) within 5% of the LP's,
  for every pair that carries at least ``MATERIAL`` = 0.1% of the LP's total generation in
  the LP *or* in the core (a pair the LP leaves idle and the core runs counts as an infinite gap);
- ``invariants``: every physical limit holds (``energy_sim.planning.results.check_invariants`` empty).

Each case is checked metric by metric (one parametrised test per case and metric), so a case that
misses one metric still shows its passes on the others; a miss is ``xfail(strict=True)`` with the
measured gap in its reason (``XFAIL``), never a wider tolerance, so the test turns red the day the
gap closes. A region-tech miss is also priced (``test_region_tech_miss_priced``): the cheapest
LP operation within 5% of the core's generation in every pair costs parts per million above the
optimum where the LP's optimum is near-degenerate (``TIES``), a good part of the core's cost gap
where the core misplaces energy; the contract is asserted as written either way. Cases: small
systems, the 2030 System's first fortnight (existing fleet, demand x0.8)
with four stresses, and (``SLOW``) four weeks of May of the 2030 plan under the stresses of
``benchmarks/dispatch_accuracy.py`` that shed load in several regions, a sampled outage year,
and the heatwave May with demand x (1 - 1e-9) (where load is shed the core's rounds are a local
search that a part per billion can move: the contract must hold on a neighbour too).
The full-year and 13-week comparisons live in that benchmark.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factory import (
    corridor,
    gen,
    hub,
    sampled_year,
    store,
    stressed_horizons,
    synthetic_system,
    tiny_system,
    with_plan,
)

from energy_sim.operation import dispatch
from energy_sim.planning.results import check_invariants

ROOT = Path(__file__).resolve().parents[1]

#: MODEL.md, "Fast dispatch core": the bounds asserted, never widened.
CONTRACT = {
    "operating": 0.005,  # relative to the LP's operating cost
    "unserved_lp": 0.01,  # relative to the LP's unserved energy, where it has some
    "unserved_demand": 1e-5,  # relative to demand, where the LP has none
    "generation_region_tech": 0.05,  # relative, per (region, technology)
}
#: Metrics asserted for every case (``invariants`` is the list of check_invariants).
METRICS = ("operating", "unserved", "generation_region_tech", "invariants")
#: A (region, technology) pair is compared when it carries at least this share of the LP's
#: total generation in the LP or in the core (relative gaps of negligible pairs are noise).
MATERIAL = 1e-3
#: The LP "has no unserved energy" below this share of demand (solver tolerance).
LP_NONE = 1e-8
#: A thousandth of the contract's cost bound (0.0005% of the LP's total operating cost). Where
#: the core's placement of energy per region and technology (within the contract's 5%) costs
#: less than this above the LP optimum, the cost metric cannot see it: a region-tech miss is
#: then the LP's near-degeneracy, not the core's misplacement.
DEGENERATE = CONTRACT["operating"] / 1000


def operating_system(system):
    """``system`` as an operating problem: no build ranges or policy rows (the capacities are
    fixed)."""
    sy = system.copy()
    sy["build_min_mw"] = sy["build_min_mw"] * 0.0
    sy["build_max_mw"] = sy["build_max_mw"] * 0.0 + np.inf
    sy.attrs.update(clean_share_min=float("nan"), co2_cap_t=float("nan"))
    return sy


def lp_of(system, res, accept=("optimal",)):
    """The LP (Pyomo + HiGHS) operating ``system`` with the core's capacities fixed; asserts
    that its status is one of ``accept``. Where HiGHS's method ends without a verdict (model
    status ``unknown``: HiPO on the 2030 plan's 13 weeks from 1 May with the corridors into
    the South out), :func:`energy_sim.planning.solve.plan` solves the same LP again by the
    simplex method (``solve.FALLBACK_STATUSES``)."""
    from energy_sim.planning.solve import plan

    lp = plan(operating_system(system), fixed_capacities=res.isel(sample=0))
    status = lp.attrs["status"]
    assert status in accept, f"LP status {status} {lp.attrs.get('invariant_errors', '')}"
    return lp


def placement_of(system, res, lp):
    """The cheapest LP operation of ``system`` whose annual generation per (region,
    technology) lies within the contract's 5% of the core's sample 0 (every pair the metric
    compares; :func:`energy_sim.planning.placement.cheapest_with_placement`), and its cost
    above the LP optimum as a share of the LP's total operating cost (``placement_cost``).

    A region-tech miss whose placement costs parts per million is the LP's near-degeneracy
    (schedules of almost equal cost that place energy differently); one whose placement costs
    a good part of the core's cost gap is the core's misplacement.
    """
    from energy_sim.planning.placement import cheapest_with_placement

    keys = [system["gen_region"].values, system["gen_tech"].values]
    core = res["generation_mwh"].isel(sample=0).to_series().groupby(keys).sum()
    material = MATERIAL * float(lp["generation_mwh"].sum())
    placed = cheapest_with_placement(
        operating_system(system), res.isel(sample=0), core,
        rel=CONTRACT["generation_region_tech"], material_mwh=material,
    )  # fmt: skip
    parts = ["operating", "unserved_energy"]
    op_lp = float(lp["cost_usd"].sel(cost_component=parts).sum())
    extra = placed.attrs["objective_usd"] - lp.attrs["objective_usd"]
    return placed, extra / op_lp


def _relative(core: pd.Series, lp: pd.Series, total: float) -> tuple[float, str]:
    """Largest |core - lp| / lp over the material entries (MWh), and its label with the two
    values ('' when no entry is material)."""
    core, lp = core.align(lp, fill_value=0.0)
    keep = np.maximum(core.abs(), lp.abs()) >= MATERIAL * total
    if not keep.any():
        return 0.0, ""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = ((core - lp)[keep] / lp[keep]).abs().replace(np.nan, np.inf)
    k = rel.idxmax()
    name = "/".join(k) if isinstance(k, tuple) else str(k)
    return float(rel.max()), f"{name} (LP {lp[k] / 1e3:,.1f} -> core {core[k] / 1e3:,.1f} GWh)"


def gaps(system, res, lp) -> dict[str, float | str]:
    """Gaps of the core's sample 0 against the LP, in the contract's terms.

    ``operating``: |core/LP - 1| of the total operating cost (operating plus unserved-energy
    components; ``operating_component``: the signed gap of the first alone). ``unserved``: |core - LP| of the
    annual unserved energy divided by the LP's (``unserved_basis`` 'lp') or by demand
    (basis 'demand', where the LP has none), with the matching ``unserved_bound``.
    ``generation_region_tech`` (worst pair ``worst_region_tech``), ``generation_tech``
    (national per technology, ``worst_tech``) and ``generation_group``: relative gaps over the
    material entries (see ``MATERIAL``). ``unserved_*_mwh``, ``operating_*_usd``, ``total_operating_*_usd`` and
    ``demand_mwh`` are the underlying totals.
    """
    wdt = (system["weight"] * system["dt_h"]).values
    demand = float(system["demand_mw"].values.sum(axis=0) @ wdt)
    parts = ["operating", "unserved_energy"]
    c_lp = lp["cost_usd"].sel(cost_component=parts).values.astype(float)
    c = res["cost_usd"].isel(sample=0).sel(cost_component=parts).values.astype(float)
    op_lp, op = float(c_lp.sum()), float(c.sum())
    un_lp = float(lp["unserved_energy_mwh"].sum())
    un = float(res["unserved_energy_mwh"].isel(sample=0).sum())
    if un_lp > LP_NONE * demand:
        basis, unserved, bound = "lp", abs(un - un_lp) / un_lp, CONTRACT["unserved_lp"]
    else:
        basis, unserved, bound = "demand", abs(un - un_lp) / demand, CONTRACT["unserved_demand"]
    g_lp = lp["generation_mwh"].to_series()
    g = res["generation_mwh"].isel(sample=0).to_series().reindex(g_lp.index)
    total = float(g_lp.sum())
    keys = [system["gen_region"].values, system["gen_tech"].values]
    rt, rt_label = _relative(g.groupby(keys).sum(), g_lp.groupby(keys).sum(), total)
    tech, tech_label = _relative(g.groupby(keys[1]).sum(), g_lp.groupby(keys[1]).sum(), total)
    group, _ = _relative(g, g_lp, total)
    return {
        "operating": abs(op / op_lp - 1.0) if op_lp else abs(op),
        "operating_component": float(c[0] / c_lp[0] - 1.0) if c_lp[0] else float(c[0]),
        "unserved": unserved,
        "unserved_basis": basis,
        "unserved_bound": bound,
        "generation_region_tech": rt,
        "worst_region_tech": rt_label,
        "generation_tech": tech,
        "worst_tech": tech_label,
        "generation_group": group,
        "unserved_lp_mwh": un_lp,
        "unserved_core_mwh": un,
        "operating_lp_usd": float(c_lp[0]),
        "operating_core_usd": float(c[0]),
        "total_operating_lp_usd": op_lp,
        "total_operating_core_usd": op,
        "demand_mwh": demand,
    }


def contract_misses(g: dict, invariants: list[str]) -> list[str]:
    """One line per metric of the contract that ``g`` (from :func:`gaps`) misses."""
    out = []
    if g["operating"] > CONTRACT["operating"]:
        out.append(
            f"total operating cost: {g['operating']:.3%} against {CONTRACT['operating']:.1%}"
        )
    if g["unserved"] > g["unserved_bound"]:
        out.append(
            f"unserved energy: {g['unserved']:.4%} of the {g['unserved_basis']}'s "
            f"({g['unserved_lp_mwh']:.1f} -> {g['unserved_core_mwh']:.1f} MWh) against "
            f"{g['unserved_bound']:.3%}"
        )
    if g["generation_region_tech"] > CONTRACT["generation_region_tech"]:
        out.append(
            f"generation per region and technology: {g['generation_region_tech']:.1%} "
            f"({g['worst_region_tech']}) against {CONTRACT['generation_region_tech']:.0%}"
            + (
                f"; the core's placement costs {g['placement_cost']:.4%} of the LP's "
                f"operating cost above the optimum ({placement_kind(g['placement_cost'])})"
                if "placement_cost" in g
                else ""
            )
        )
    if invariants:
        out.append("physical limits: " + "; ".join(invariants))
    return out


def placement_kind(cost: float) -> str:
    """'near-tie' where the placement costs at most ``DEGENERATE``, else 'misplacement'."""
    return "near-tie" if cost <= DEGENERATE else "misplacement"


def assert_metric(case: tuple, metric: str) -> None:
    """Assert one metric of the contract on ``case = (g, invariants)``."""
    g, inv = case[:2]
    if metric == "invariants":
        assert inv == [], inv
    elif metric == "unserved":
        assert g["unserved"] <= g["unserved_bound"], contract_misses(g, inv)
    else:
        assert g[metric] <= CONTRACT[metric], contract_misses(g, inv)


def run_case(system) -> tuple[dict, list[str], object, object]:
    """Operate ``system`` with the core and with the LP: the gaps, the invariant errors, the
    core's results and the LP's."""
    r = dispatch(system)
    inv = check_invariants(system, r)
    lp = lp_of(system, r)
    return gaps(system, r, lp), inv, r, lp


def meshed(seed: int, steps: int = 24):
    """Six regions with the Vietnam topology (a loop CC-CH-SC-S), random fleets and demand."""
    rng = np.random.default_rng(seed)
    regs = ["n", "nc", "cc", "ch", "sc", "s"]
    links = [
        ("n", "nc"),
        ("nc", "cc"),
        ("cc", "ch"),
        ("cc", "sc"),
        ("ch", "sc"),
        ("ch", "s"),
        ("sc", "s"),
    ]
    gens = []
    for r in regs:
        for tech, lo, hi in (
            ("coal", 25, 45),
            ("ccgt_gas", 55, 75),
            ("ocgt", 90, 160),
            ("solar_utility", 0, 0),
        ):
            av = (
                np.clip(np.sin(np.arange(steps) / 24 * 2 * np.pi - 1.5), 0, None)
                if tech.startswith("solar")
                else 1.0
            )
            gens.append(
                gen(
                    r,
                    tech,
                    cap0=float(rng.uniform(50, 400)),
                    mc=float(rng.uniform(lo, hi)),
                    avail=av,
                )
            )
    cors = [
        corridor(a, b, fcap0=float(rng.uniform(20, 300)), eta=float(rng.uniform(0.95, 0.99)))
        for a, b in links
    ]
    dem = rng.uniform(200, 700, size=(6, steps))
    return tiny_system(regions=regs, gens=gens, corridors=cors, demand=dem, weight=1.0)  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_meshed_network_matches_lp_exactly(seed):
    """Without storage, hydro or LNG every hour is separate: the core must find the LP optimum
    (total cost equal to 1e-7, stricter than the contract) with every limit exact."""
    s = meshed(seed)
    r = dispatch(s)
    assert check_invariants(s, r) == []
    lp = lp_of(s, r)
    total = float(r["cost_usd"].isel(sample=0).sum())
    assert total == pytest.approx(
        float(lp["cost_usd"].sel(cost_component=["operating", "unserved_energy"]).sum()), rel=1e-7
    )


def hydro_storage_lng_system():
    """One region pair with reservoir hydro, a battery and an LNG hub with a disruption.

    The LP spreads the LNG tank, the hydro budget and the battery over a 60-hour cut-off behind
    a congested corridor with perfect foresight; the core places them hour by hour.
    """
    steps = 24 * 14
    t = np.arange(steps)
    load = 800 + 250 * np.sin((t % 24 - 8) / 24 * 2 * np.pi)
    solar = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None)
    lng_av = np.ones(steps)
    lng_av[100:160] = 0.0
    return tiny_system(
        regions=["n", "s"],
        gens=[
            gen("n", "hydro_reservoir", cap0=400, cf_month=0.35),
            gen("n", "coal", cap0=500, mc=35),
            gen("s", "ccgt_lng", cap0=500, mc=80, eff=0.55, hub="h"),
            gen("s", "solar_utility", cap0=600, avail=solar),
            gen("s", "oil", cap0=150, mc=180),
        ],
        storage=[store("s", "battery_4h", pcap0=100, dur=4, eff_c=0.95, eff_d=0.95, loss=1e-4)],
        corridors=[corridor("n", "s", fcap0=300, eta=0.97)],
        hubs=[hub("h", "s", regas=2000, tank0=20000, reserve_days=0.5, avail=lng_av)],
        demand=np.vstack([0.6 * load, load]),
        weight=1.0,
    )


def vietnam_fortnights(system):
    """The 2030 System's first fortnight (existing fleet, demand scaled to 80% so that it is
    mostly adequate) and three stresses of it with real shortage."""
    base = system.isel(time=slice(0, 24 * 14)).copy()
    base["demand_mw"] = base["demand_mw"] * 0.8
    tight = base.copy()
    tight["demand_mw"] = tight["demand_mw"] * 1.15
    cut = base.copy()
    cut["fcap0_mw"] = cut["fcap0_mw"].where(
        ~cut["corridor"].isin(["central_highlands-south", "south_central-south"]), 0.0
    )
    lng_off = base.copy()
    av = lng_off["lng_availability"].values.copy()
    av[:, 24 : 24 * 8] = 0.0
    lng_off["lng_availability"] = (("hub", "time"), av, lng_off["lng_availability"].attrs)
    return {"as_is": base, "tight_reserve": tight, "corridor_outage": cut, "lng_cut_off": lng_off}


_SYSTEM_2030 = []


def system_2030():
    """The full-resolution 2030 System of the bundled scenario (built once per session; a
    broken bundled scenario fails the tests that need it)."""
    if not _SYSTEM_2030:
        from energy_sim.inputs.scenario import load_scenario
        from energy_sim.inputs.system import build_system

        sc = load_scenario(ROOT / "scenarios" / "pdp8_2030.yaml")
        _SYSTEM_2030.append(build_system(sc, resolution="full"))
    return _SYSTEM_2030[0]


_PLAN_2030 = []


def plan_2030():
    """The 2030 plan as ``energy-sim run scenarios/pdp8_2030.yaml`` makes it (the scenario's
    default resolution, optimal), planned once per session with the API."""
    if not _PLAN_2030:
        from energy_sim.inputs.scenario import load_scenario
        from energy_sim.inputs.system import build_system
        from energy_sim.planning.solve import plan

        res = plan(build_system(load_scenario(ROOT / "scenarios" / "pdp8_2030.yaml")))
        assert res.attrs["status"] == "optimal"
        _PLAN_2030.append(res)
    return _PLAN_2030[0]


#: Four weeks of May (1-28 May, hours 2880-3551) of the 2030 plan's hourly year.
MAY = slice(2880, 2880 + 24 * 28)


def plan_may(kind: str):
    """A stressed four weeks of May of the 2030 plan (``factory.stressed_horizons`` or, for
    ``sampled_outage_year``, the most stressed of ten sampled years, ``factory.sampled_year``)."""
    system = with_plan(system_2030(), plan_2030())
    if kind == "sampled_outage_year":
        return sampled_year(system, seed=1, draws=10)[0].isel(time=MAY)
    return stressed_horizons(system.isel(time=MAY))[kind]


def perturbed(system, eps: float):
    """``system`` with demand x (1+eps): where load is shed the core's rounds can end
    elsewhere on a change of a part per billion (docs/dispatch.md, "Sensitivity"), and the
    contract holds for the neighbour as much as for the case."""
    out = system.copy()
    out["demand_mw"] = system["demand_mw"] * (1.0 + eps)
    return out


#: Every case: a function building its System.
CASES = {
    "synthetic_week": lambda: synthetic_system(steps=24 * 7, seed=1),
    "hydro_storage_lng": hydro_storage_lng_system,
    **{
        f"vietnam_2030_fortnight_{k}": (lambda k=k: vietnam_fortnights(system_2030())[k])
        for k in ("as_is", "tight_reserve", "corridor_outage", "lng_cut_off")
    },
    **{
        f"plan_2030_may_{k}": (lambda k=k: plan_may(k))
        for k in ("heatwave_lng_corridor", "south_island_heatwave", "sampled_outage_year")
    },
    # the neighbour of the heatwave May that the core operated worst of the four measured
    # (demand x (1 +- 1e-9), x (1 +- 1e-7): cost 0.226-0.346%, unserved +0.276-0.447%, on
    # 2026-12-05)
    "plan_2030_may_heatwave_lng_corridor_demand-1e-9": lambda: perturbed(
        plan_may("heatwave_lng_corridor"), -1e-9
    ),
}
#: Cases marked slow: they plan the 2030 system first (13-40 s) and solve 4-week LPs (5-20 s
#: each). NB: nothing deselects the marker by default, so plain ``python -m pytest`` runs them.
SLOW = {k for k in CASES if k.startswith("plan_2030_")}

#: The date and code of the measurements below: the core after the price rounds
#: (passes._price_rounds: water and storage moved by conditional-gradient steps towards the
#: hours of their region's highest network price), on top of the LNG tanks' level
#: allocation, the charge fix after the fuel steps and the repair rounds of water and storage,
#: both rounds placing the water earlier passes left unused; the plants of LNG hubs and coal
#: yards that are not short free to take over what a short store's capped plants give up
#: (core._Cells.cap_groups ``free``); on samples that shed, storage moved region by region
#: with ties of price broken by the room left and a fourth step size
#: (passes.STORAGE_BY_REGION, TIE_ROOM, PRICE_STEPS_SHED); and the price rounds' storage
#: vertex charging and discharging at full power in each day's cheapest and dearest steps
#: (storage.schedule ``by_price``: the flat top of a net load spread the discharge over every
#: step of the day), up to the store's energy (the last pair partly), days cut by the
#: horizon's edge pairing their steps. Later (2026-12-05): a tank that runs dry inside a
#: cut-off no longer puts its LNG behind every other plant there (core.SCARCITY_ORDER off)
#: and the price rounds take pairwise water steps (passes.WATER_PAIRWISE); then groups of
#: equal cost share their run of the merit order in proportion (merit.unstack), which
#: closed the heatwave May's and the South-islanded May's generation per region and
#: technology (6.0% and 6.5%, the South Central's rooftop panels curtailed in the LP's place
#: of its solar farms; now 3.5% and 2.9%). 2026-12-06: the storage repair's windows on each
#: store's zone (passes.REPAIR_WINDOWS_BY_ZONE); ``_D14``: a last set of price rounds with
#: each region's stores on their own (passes.POLISH_BY_REGION); then the storage repair
#: charging what a day cannot fund in the days before it (passes.CARRY_DAYS), its fill's
#: level bounded by the room (a flat net load took 1 MW a step): the South-islanded May
#: 1.62% -> 1.66%, unserved +1.88% -> +1.93% (the fill's bound alone: the same). ``_D16``:
#: water steps that move only as far as the prices hold (passes.WATER_CAPPED): the toy's
#: cost 0.73% -> 0.44% (within the contract), its generation per region and technology
#: 18.6% -> 11.2%; and on samples that shed, water and storage moved together into the
#: hours still shedding (passes.JOINT): the South-islanded May 1.66% -> 1.61%, unserved
#: +1.93% -> +1.87%, the heatwave May 0.361% -> 0.241%, +0.475% -> +0.297%. The entry still
#: dated ``_D10`` measured the same on the later code (and on ``_D20``'s): the relay
#: (passes.RELAY), the overnight and swap moves (passes.OVERNIGHT, SWAP; the South-islanded
#: May 1.61% -> 0.67%), then stores of regions that shed covering it with energy from plant
#: room at other steps, before or after, within a week (passes.COVER_DAYS): the
#: South-islanded May 0.67% -> 0.375%, unserved +0.77% -> +0.42% (inside the contract; the
#: South's shed now the LP's), the heatwave May 0.241% -> 0.240%, its neighbour below
#: 0.280% -> 0.218%; then with the LNG plants' room bounded by their hubs' send-out
#: (passes.COVER_SEND_OUT) 0.342% / +0.38%, 0.141% / +0.148% and 0.101%. ``_D20``: on
#: samples that do not shed, a last set of rounds freeing water by storage cycles for the
#: month's dearest steps (passes.BANK): the toy 0.44% -> 0.19%, its generation per region
#: and technology 11.2% -> 3.1% (within the contract), the May sampled outage year 0.016%
#: -> 0.017%, 9.8% -> 10.0%. ``_D21``: the room other plants have to take over an LNG hub's
#: cut counted in MW_th at the heat rate of the plants the cut comes out of (core._lng_spare;
#: one mean heat rate per hub before, which overstated a combined cycle's cut by ~1.3x): the
#: pathway's 2045 sampled year 1.67% -> 0.91%, its shed 20.7 -> 1.3 GWh where the LP sheds
#: none; here the South-islanded May 0.342% -> 0.387%, unserved +0.38% -> +0.43%, its
#: generation per region and technology 2.9% -> 5.7%; the heatwave May's neighbour 0.101% ->
#: 0.072%, +0.076% -> +0.021%, 4.3% -> 5.8%; the other cases unchanged. Then, on samples
#: that shed, a last set of rounds moving stores to take up what their region's cheapest
#: plants spill, in place of the plants at its price (passes.SPILL_LAST): the heatwave May's
#: neighbour 0.072% -> 0.056%, its generation per region and technology 5.8% -> 4.9%
#: (within the contract); the heatwave May 0.144% -> 0.140%; the other cases unchanged.
_D10 = "2026-12-05 (storage vertex at full power in the day's cheapest and dearest steps)"
_D20 = "2026-12-06 (water freed by storage cycles for the month's dearest steps)"
_D21 = "2026-12-06 (an LNG cut's room counted at the heat rate of the plants it comes out of)"
_TIE = "near-tied marginal plant (LP degeneracy) placed differently"
#: The cost of the core's placement (test_region_tech_miss_priced), measured 2026-12-06.
_PRICED = (
    "the cheapest LP operation within 5% of the core's placement costs {} of the LP's "
    "operating cost above the optimum, where the core's own gap is {}"
)
#: Measured misses of the contract: (case, metric) -> reason. Strict: the test fails the day
#: the gap closes, and this entry must go.
XFAIL: dict[tuple[str, str], str] = {
    ("vietnam_2030_fortnight_corridor_outage", "generation_region_tech"): "measured 19.5% "
    f"(central_central/biomass, LP 24.2 -> core 19.5 GWh) against 5% on {_D10}: {_TIE}; "
    + _PRICED.format("0.0002%", "0.0016%"),
    ("plan_2030_may_sampled_outage_year", "generation_region_tech"): "measured 10.0% "
    f"(south/ccgt_lng, LP 193.0 -> core 212.2 GWh) against 5% on {_D20}: {_TIE}; "
    + _PRICED.format("0.0001%", "0.017%"),
    ("plan_2030_may_south_island_heatwave", "generation_region_tech"): "measured 5.7% "
    f"(central_central/ccgt_gas, LP 349.7 -> core 369.7 GWh) against 5% on {_D21}: {_TIE}; "
    + _PRICED.format("0.0000001%", "0.386%"),
}

_RUNS: dict[str, tuple] = {}


def _run(case: str) -> tuple:
    """:func:`run_case` of ``case`` and its System, once per session."""
    if case not in _RUNS:
        system = CASES[case]()
        _RUNS[case] = (*run_case(system), system)
    return _RUNS[case]


def _params():
    for case in CASES:
        for metric in METRICS:
            marks = []
            if (case, metric) in XFAIL:
                marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[case, metric]))
            if case in SLOW:
                marks.append(pytest.mark.slow)
            yield pytest.param(case, metric, marks=marks, id=f"{case}-{metric}")


@pytest.mark.parametrize(("case", "metric"), list(_params()))
def test_core_within_contract(case, metric):
    """The core against the LP on ``case``: one metric of the contract (``CONTRACT``)."""
    assert_metric(_run(case), metric)


#: The region-tech misses of ``XFAIL`` that are near-ties (``_TIE``); any other is the core's
#: misplacement (the toy's was, until passes.BANK; the heatwave May's neighbour's, priced at
#: 4% of its cost gap, until passes.SPILL_LAST). ``test_region_tech_miss_priced`` checks the
#: split.
TIES = {
    "vietnam_2030_fortnight_corridor_outage",
    "plan_2030_may_sampled_outage_year",
    "plan_2030_may_south_island_heatwave",
}


def _rt_misses():
    for case, metric in XFAIL:
        if metric == "generation_region_tech":
            yield pytest.param(case, marks=[pytest.mark.slow] if case in SLOW else [], id=case)


@pytest.mark.parametrize("case", list(_rt_misses()))
def test_region_tech_miss_priced(case):
    """What the core's placement costs, where it misses the region-tech metric.

    The cheapest LP operation that places energy within 5% of the core's in every pair
    (:func:`placement_of`) costs at least the LP optimum and at most the core's own operation
    (which lies in that band); its placement is within the contract of the core's. It costs
    less than ``DEGENERATE`` above the optimum exactly for the near-ties (``TIES``).
    """
    g, _inv, r, lp, system = _run(case)
    placed, cost = placement_of(system, r, lp)
    assert placed.attrs["status"] == "optimal"
    core_gap = g["total_operating_core_usd"] / g["total_operating_lp_usd"] - 1.0
    assert -1e-9 <= cost <= core_gap + 1e-9, (cost, core_gap)
    assert gaps(system, r, placed)["generation_region_tech"] <= CONTRACT[
        "generation_region_tech"
    ] * (1 + 1e-6)
    expected = "near-tie" if case in TIES else "misplacement"
    assert placement_kind(cost) == expected, f"{cost:.2e} of the operating cost"


@pytest.mark.slow
def test_no_region_charges_storage_where_it_sheds():
    """In the LP a region that sheds at a step never charges there (one MWh less charge sheds
    one MWh less now and loses at most ``eff_c*eff_d`` MWh of discharge later). The South
    islanded in a May heatwave: the LNG and coal steps capped cells where storage charged
    (107 steps without the charge fix after the fuel steps, ``core.POST_FUEL_CHARGE_FIX``)."""
    system = CASES["plan_2030_may_south_island_heatwave"]()
    r = dispatch(system, keep_hourly=["shed_mw", "charge_mw"]).isel(sample=0)
    regions = list(system["region"].values)
    charge = np.zeros_like(r["shed_mw"].values)
    for j, reg in enumerate(system["storage_region"].values):
        charge[regions.index(reg)] += r["charge_mw"].values[j]
    shedding = r["shed_mw"].values > 0.1  # core.SHED_THRESHOLD_MW
    assert shedding.sum() > 100  # the case does shed
    assert not (shedding & (charge > 1e-3)).any()
