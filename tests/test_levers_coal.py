"""Lever 3 of issue 14: coal stockpiles (MODEL.md constraint 8), hand-solved in the LP and in
the dispatch core.

One region: a coal plant of 100 MW at efficiency 0.4 (250 MW_th at full load, 30 USD/MWh), oil
100 MW at 200 USD/MWh, demand 100 MW flat, 48 steps of 1 h (weight 1). The yard: 1.5 days of full
burn (9,000 MWh_th), a strategic stock of 1 day (6,000 MWh_th), deliveries up to twice the
full-load burn (500 MW_th); no deliveries at steps 12-35 (a 24-hour coal cut-off).
"""

from __future__ import annotations

import numpy as np
import pytest
from factory import corridor, gen, tiny_system

from energy_sim.operation import dispatch
from energy_sim.planning.kpis import kpis
from energy_sim.planning.results import check_invariants
from energy_sim.planning.solve import plan

STEPS = 48


def _system(refill_days: float | None = None, cut: bool = True):
    s = tiny_system(
        gens=[
            gen("north", "coal", cap0=100, mc=30, eff=0.4, fuel="coal_import"),
            gen("north", "oil", cap0=100, mc=200),
        ],
        demand=100.0,
        steps=STEPS,
        weight=1.0,
    )
    av = np.ones((1, STEPS))
    if cut:
        av[0, 12:36] = 0.0
    s["coal_stock_days"] = ("region", [1.0])
    s["coal_yard_days"] = ("region", [1.5])
    s["coal_delivery"] = ("region", [2.0])
    s["coal_refill_days"] = ("region", [1.0 if refill_days is None else refill_days])
    s["coal_availability"] = (("region", "time"), av)
    return s


def _oil(res) -> float:
    return float(res["generation_mwh"].sel(gen="north/oil").sum())


def test_stock_carries_the_cut_off():
    """The stock is released in the cut-off (phi = 0): the window burns 24*250 = 6,000 MWh_th,
    the yard falls from 9,000 to 3,000; after it the floor climbs 6,000/24 = 250 MWh_th/h
    (refill over 1 day) while deliveries of 500 refill the yard at 500 - 250 = 250 MWh_th/h:
    3,000 + 250h >= 250h, full again at h = 24 (the end of the cycle). No oil:
    cost 4,800 MWh x 30 = 144,000 USD, in the LP and the core."""
    s = _system()
    res = plan(s)
    assert res.attrs["status"] == "optimal"
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(144_000, rel=1e-6)
    assert _oil(res) == pytest.approx(0.0, abs=1e-6)
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert float(r["cost_usd"].sum()) == pytest.approx(144_000, rel=1e-6)
    # the core keeps the yard full: lowest stock 3,000 MWh_th = 0.5 days of full burn
    assert float(r["coal_stock_mwh_th"].min()) == pytest.approx(3000, rel=1e-6)
    assert kpis(res)["coal_stock_days"] <= 0.5 + 1e-6


def test_locked_stock_burns_oil():
    """refill_days 0 (the floor back at once after the window): the first step after it needs
    a stock of 6,000 reachable with one step's 500 of deliveries, so the window and that step
    burn at most 9,000 + 500 - 6,000 = 3,500 MWh_th of the 25*250 = 6,250 wanted: 2,750 MWh_th
    = 1,100 MWh of oil. Cost 3,700*30 + 1,100*200 = 331,000 USD, in the LP and the core."""
    s = _system(refill_days=0.0)
    res = plan(s)
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(331_000, rel=1e-6)
    assert _oil(res) == pytest.approx(1100, rel=1e-6)
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert float(r["cost_usd"].sum()) == pytest.approx(331_000, rel=1e-6)


def test_no_cut_off_no_effect():
    """Without a cut-off the yard stays full and the coal plant runs flat: 144,000 USD; the
    stock-days KPI is the yard, 1.5 days."""
    s = _system(cut=False)
    res = plan(s)
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(144_000, rel=1e-6)
    r = dispatch(s)
    assert float(r["cost_usd"].sum()) == pytest.approx(144_000, rel=1e-6)
    assert float(r["coal_stock_mwh_th"].min()) == pytest.approx(9000, rel=1e-6)


def test_a_short_yard_gives_its_burn_to_another_yards_plant_not_to_oil():
    """Two regions joined by a lossless 100 MW corridor, 24 steps; demand 100 MW in the North
    only. The North's coal plant (30 USD/MWh, 250 MW_th at full load) gets deliveries of 0.5
    of that, 125 MW_th: 50 MW on average. The South's (35 USD/MWh) yard gets twice its
    full-load burn. The optimum: 50 MW from each, 24*(50*30 + 50*35) = 78,000 USD, no oil. The
    core caps the North's plant where its yard falls short and must let the South's take over
    (until this fix it held it at its output so far, 0 MW, and burned oil: 276,000 USD)."""
    s = tiny_system(
        regions=("north", "south"),
        gens=[
            gen("north", "coal", cap0=100, mc=30, eff=0.4, fuel="coal_import"),
            gen("south", "coal", cap0=100, mc=35, eff=0.4, fuel="coal_import"),
            gen("north", "oil", cap0=100, mc=200),
        ],
        corridors=[corridor("north", "south", fcap0=100, eta=1.0)],
        demand=np.array([[100.0] * 24, [0.0] * 24]),
        steps=24,
        weight=1.0,
    )
    s["coal_stock_days"] = ("region", [1.0, 1.0])
    s["coal_yard_days"] = ("region", [1.5, 1.5])
    s["coal_delivery"] = ("region", [0.5, 2.0])
    s["coal_refill_days"] = ("region", [1.0, 1.0])
    s["coal_availability"] = (("region", "time"), np.ones((2, 24)))
    res = plan(s)
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(78_000, rel=1e-6)
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert float(r["cost_usd"].sum()) == pytest.approx(78_000, rel=1e-6)
    assert _oil(r) == pytest.approx(0.0, abs=1e-6)


def test_coal_shortfall_cuts_deliveries_where_there_is_a_yard():
    """coal_shortfall with a yard scales coal_availability (deliveries), not the plant; without
    yards (coal_delivery infinite) it derates the coal plant as before."""
    from energy_sim.inputs.stress import apply_stresses

    s = _system(cut=False)
    s["timestamp"] = (
        "time",
        np.arange(STEPS) * np.timedelta64(1, "h") + np.datetime64("2030-01-01"),
    )
    spec = [{"test": "coal_shortfall", "factor": 0.5}]
    out = apply_stresses(s, spec)
    np.testing.assert_allclose(out["coal_availability"].values, 0.5)
    np.testing.assert_allclose(out["availability"].values, s["availability"].values)
    s["coal_delivery"] = ("region", [np.inf])
    out = apply_stresses(s, spec)
    np.testing.assert_allclose(out["coal_availability"].values, 1.0)
    assert float(out["availability"].sel(gen="north/coal").max()) == pytest.approx(
        0.5 * float(s["availability"].sel(gen="north/coal").max())
    )


def test_coal_fields_refused(tmp_path):
    from pathlib import Path

    from energy_sim.errors import InputError
    from energy_sim.inputs.scenario import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"
    for body, words in [
        ("{stock_days: -1}", "stock days out of range"),
        ("{stock_days: {atlantis: 3}}", "unknown region"),
        ("{yard_days: 0}", "reserves.coal.yard_days"),
        ("{delivery: -1}", "reserves.coal.delivery"),
        ("{stock_days: 'ten'}", "not a number of days"),
    ]:
        f = tmp_path / "s.yaml"
        f.write_text(f"extends: {base}\nreserves:\n  coal: {body}\n")
        with pytest.raises(InputError) as err:
            load_scenario(f)
        assert words in str(err.value) and "s.yaml" in str(err.value), str(err.value)


def test_coal_yards_reach_the_2030_system():
    """reserves.coal {stock_days: 15}: yards in the four regions with coal plant, 30-day yards,
    deliveries up to full burn, refill over the 15 days; no reserves.coal: no yards."""
    from pathlib import Path

    from energy_sim.inputs.reserves import coal_stores
    from energy_sim.inputs.scenario import load_scenario
    from energy_sim.inputs.system import build_system

    base = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"
    sy = build_system(load_scenario(base, overrides={"reserves.coal": {"stock_days": 15}}))
    regions, _ = coal_stores(sy)
    assert [str(sy["region"].values[r]) for r in regions] == [
        "north", "north_central", "south_central", "south"
    ]  # fmt: skip
    assert float(sy["coal_stock_days"].sel(region="north")) == 15.0
    assert float(sy["coal_refill_days"].sel(region="north")) == 15.0
    assert float(sy["coal_yard_days"].sel(region="north")) == 30.0
    assert len(coal_stores(build_system(load_scenario(base)))[0]) == 0


def test_stock_days_kpi_and_dashboard():
    """Without a cut-off the LP may hold any stock between the 1-day floor and the 1.5-day
    yard: the KPI (lowest stock / daily full burn) is within [1, 1.5] d, and the dashboard
    shows it against the 1-day target as OK; in the cut-off the stock is released (phi = 0)
    and the lowest stock, <= 0.5 d, is a BREACH of the 1-day target."""
    from energy_sim.analysis.indicators import indicators
    from energy_sim.analysis.runs import Run

    res = plan(_system(cut=False))
    k = kpis(res)
    assert 1.0 - 1e-6 <= k["coal_stock_days"] <= 1.5 + 1e-6
    assert float(res["coal_stock_target_days"].sel(region="north")) == 1.0
    ind = {i.key: i for i in indicators(Run("yards", res, k))}
    assert ind["coal_days_north"].status == "ok"
    res = plan(_system())
    ind = {i.key: i for i in indicators(Run("cut", res, kpis(res)))}
    assert ind["coal_days_north"].value <= 0.5 + 1e-6
    assert ind["coal_days_north"].status == "breach"
