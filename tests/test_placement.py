"""The cheapest operation with a given placement of energy (planning.placement), on systems
whose answer is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factory import corridor, gen, tiny_system

from energy_sim.planning.placement import cheapest_with_placement
from energy_sim.planning.solve import plan

HOURS = 8760.0
DEMAND = 100.0  # MW in the South, every step


def two_regions(mc_south: float, oil: bool = False):
    """Coal in the North (30 USD/MWh) and in the South (``mc_south``), 100 MW each, a lossless
    corridor North -> South of 100 MW and 100 MW of demand in the South; optionally oil in the
    North (100 USD/MWh)."""
    gens = [gen("north", "coal", cap0=100, mc=30), gen("south", "coal", cap0=100, mc=mc_south)]
    if oil:
        gens.append(gen("north", "oil", cap0=100, mc=100))
    return tiny_system(
        regions=["north", "south"],
        gens=gens,
        corridors=[corridor("north", "south", fcap0=100, eta=1.0)],
        demand=np.array([[0.0] * 4, [DEMAND] * 4]),
    )


def target(north: float, south: float, oil: float | None = None) -> pd.Series:
    """Annual generation per (region, tech), MWh."""
    idx = [("north", "coal"), ("south", "coal")] + ([("north", "oil")] if oil is not None else [])
    vals = [north, south] + ([oil] if oil is not None else [])
    return pd.Series(vals, index=pd.MultiIndex.from_tuples(idx, names=["region", "tech"]))


def pair_mwh(res, system) -> pd.Series:
    keys = [system["gen_region"].values, system["gen_tech"].values]
    return res["generation_mwh"].to_series().groupby(keys).sum()


def test_tied_plants_place_energy_at_no_cost():
    """Equal costs: any split is optimal, so half and half costs what the optimum costs."""
    s = two_regions(30.0)
    lp = plan(s)
    half = DEMAND * HOURS / 2
    res = cheapest_with_placement(s, lp, target(half, half))
    assert res.attrs["status"] == "optimal"
    assert res.attrs["objective_usd"] == pytest.approx(lp.attrs["objective_usd"], rel=1e-9)
    e = pair_mwh(res, s)
    for pair in [("north", "coal"), ("south", "coal")]:
        assert abs(e[pair] - half) <= 0.05 * e[pair] * (1 + 1e-9)


def test_placement_against_merit_order_costs_its_band_edge():
    """South coal at 40 USD/MWh: the optimum runs the North only (30 * D). Held at half and half
    within 5%, the South runs its least, D/2/1.05, and the North the rest:
    cost = 30*D + 10*D/2.1."""
    s = two_regions(40.0)
    lp = plan(s)
    d = DEMAND * HOURS
    assert lp.attrs["objective_usd"] == pytest.approx(30 * d, rel=1e-9)
    res = cheapest_with_placement(s, lp, target(d / 2, d / 2))
    assert res.attrs["status"] == "optimal"
    assert res.attrs["objective_usd"] == pytest.approx(30 * d + 10 * d / 2.1, rel=1e-9)
    assert {"build_s", "handoff_s", "solve_s"} <= set(res.attrs)
    e = pair_mwh(res, s)
    assert e["south", "coal"] == pytest.approx(d / 2 / 1.05, rel=1e-9)


def test_pairs_below_material_are_held_below_it():
    """Oil with a target under the material threshold stays under it: where the other pairs'
    bands leave demand unmet, oil runs up to the threshold and the rest is shed."""
    s = two_regions(40.0, oil=True)
    lp = plan(s)
    d = DEMAND * HOURS
    # North coal held at 0.5 D (+-5%), South coal at 0.4 D (+-5%): together at most
    # 0.9 D / 0.95 = 0.947 D; the rest comes from oil, at most 1% of D, then from shedding.
    res = cheapest_with_placement(s, lp, target(0.5 * d, 0.4 * d, oil=0.0), material_mwh=0.01 * d)
    assert res.attrs["status"] == "optimal"
    e = pair_mwh(res, s)
    assert e["north", "oil"] == pytest.approx(0.01 * d, rel=1e-7)
    shed = float(res["unserved_energy_mwh"].sum())
    assert shed == pytest.approx(d * (1 - 0.9 / 0.95 - 0.01), rel=1e-6)
    # with 6% of D allowed, oil covers the rest and nothing is shed
    res = cheapest_with_placement(s, lp, target(0.5 * d, 0.4 * d, oil=0.0), material_mwh=0.06 * d)
    e = pair_mwh(res, s)
    assert e["north", "oil"] == pytest.approx(d * (1 - 0.9 / 0.95), rel=1e-7)
    assert float(res["unserved_energy_mwh"].sum()) == pytest.approx(0.0, abs=1e-6 * d)


def test_placement_beyond_the_fleet_is_infeasible():
    """A target that the plant cannot reach (twice the North's 100 MW over the year) has no
    operation within the band: status ``infeasible``, never a silent answer."""
    s = two_regions(30.0)
    res = cheapest_with_placement(s, plan(s), target(2 * 100 * HOURS, 0.0))
    assert res.attrs["status"] == "infeasible"


def test_band_is_checked():
    s = two_regions(30.0)
    with pytest.raises(ValueError, match="rel"):
        cheapest_with_placement(s, plan(s), target(1.0, 1.0), rel=1.0)
