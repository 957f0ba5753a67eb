"""Lever 4 of issue 14: demand response and time-of-use (MODEL.md constraint 9), hand-solved in
the LP and in the dispatch core.

Shifting: one region, two days of 24 steps of 1 h (weight 1). A base plant of 120 MW at 20
USD/MWh and a peaker of 100 MW at 200 USD/MWh; demand 100 MW, 140 MW in hours 17-20 of each day.
Interruptible load: one plant of 100 MW at 50 USD/MWh, demand 100 MW, 130 MW in four hours of
each day (30 MW short). Reserve margin: 100 MW flat, 15% margin, a buildable peaker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factory import gen, tiny_system

from energy_sim.errors import InputError
from energy_sim.inputs.scenario import load_scenario
from energy_sim.inputs.system import build_system
from energy_sim.inputs.system_helpers import DR_FIELDS, day_of_step, firm_capacity
from energy_sim.operation import dispatch
from energy_sim.planning.results import check_invariants
from energy_sim.planning.solve import plan

STEPS = 48
PEAK = np.r_[np.arange(17, 21), 24 + np.arange(17, 21)]


def _dr(s, **kw):
    """Set the System's demand-response variables (one region; the others off)."""
    for name, off in DR_FIELDS.items():
        s[name] = ("region", [float(kw.get(name[3:], off))] * s.sizes["region"])
    return s


def _shift_system(**kw):
    demand = np.full(STEPS, 100.0)
    demand[PEAK] = 140.0
    s = tiny_system(
        gens=[gen("north", "coal", cap0=120, mc=20), gen("north", "oil", cap0=100, mc=200)],
        demand=demand,
        weight=1.0,
    )
    return _dr(s, **kw)


def _cost(r) -> float:
    return float(r["cost_usd"].sum())


def test_day_of_step():
    s = _shift_system()
    assert (day_of_step(s) == np.repeat([0, 1], 24)).all()
    s["block"] = ("time", np.repeat([0, 1], 24))  # two representative days
    assert (day_of_step(s) == np.repeat([0, 1], 24)).all()
    s["dt_h"] = ("time", np.full(STEPS, 2.0))  # chronological 2-hour steps: 12 a day
    s["block"] = ("time", np.zeros(STEPS, int))
    assert (day_of_step(s) == np.repeat([0, 1, 2, 3], 12)).all()


def test_off_changes_nothing():
    """Without DR: the peaker serves 20 MW x 4 h a day. Cost per day 2,480 MWh x 20 + 80 x 200
    = 65,600 USD; 131,200 for two days, in the LP and the core."""
    s = _shift_system()
    res = plan(s)
    assert res.attrs["objective_usd"] == pytest.approx(131_200, rel=1e-6)
    assert "dr_shift_up_mw" not in res
    assert _cost(dispatch(s)) == pytest.approx(131_200, rel=1e-6)


def test_shift_moves_the_peak_to_the_night():
    """shift_share 0.1 (at most 14 MW out of a 140 MW hour), shift_mw 5, 10 USD/MWh moved. Each
    MWh moved saves 200 - 20 - 10 = 170 USD: 14 MW leave each peak hour (56 MWh a day), come
    back off-peak (2.8 MW over 20 h). Per day: base 2,536 MWh x 20 = 50,720, peaker 24 x 200 =
    4,800, shifting 560: 56,080 USD; 112,160 for two days (131,200 - 2 x 56 x 170)."""
    s = _shift_system(shift_share=0.1, shift_mw=5.0, shift_cost_usd_per_mwh=10.0)
    res = plan(s)
    assert res.attrs["status"] == "optimal"
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(112_160, rel=1e-6)
    down = res["dr_shift_down_mw"].values[0]
    assert down[PEAK] == pytest.approx(np.full(8, 14.0), abs=1e-6)
    assert float(res["dr_shifted_mwh"].sum()) == pytest.approx(112.0, rel=1e-6)
    assert float(res["dr_cost_usd"].sum()) == pytest.approx(1_120.0, rel=1e-6)
    r = dispatch(s, keep_hourly=True)
    assert check_invariants(s, r) == []
    assert _cost(r) == pytest.approx(112_160, rel=1e-6)
    up = r["dr_shift_up_mw"].values[0, 0]
    off = np.setdiff1d(np.arange(STEPS), PEAK)
    assert up[off] == pytest.approx(np.full(40, 2.8), abs=1e-6)


def test_shift_up_limit_binds():
    """shift_mw 2: at most 2 x 20 = 40 MWh a day can come back, so 10 MW leave each peak hour:
    cost per day 65,600 - 40 x 170 = 58,800 USD; 117,600 for two days."""
    s = _shift_system(shift_share=0.1, shift_mw=2.0, shift_cost_usd_per_mwh=10.0)
    res = plan(s)
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(117_600, rel=1e-6)
    r = dispatch(s, keep_hourly=True)
    assert check_invariants(s, r) == []
    assert _cost(r) == pytest.approx(117_600, rel=1e-6)


def _ilc_system(**kw):
    demand = np.full(STEPS, 100.0)
    demand[[10, 11, 12, 13, 34, 35, 36, 37]] = 130.0
    s = tiny_system(
        gens=[gen("north", "coal", cap0=100, mc=50)], demand=demand, weight=1.0, reserve_penalty=0.0
    )
    return _dr(s, **kw)


def test_interruptible_load_before_shedding():
    """30 MW short in 8 hours (240 MWh). Contracts of 20 MW at 1,000 USD/MWh with a 100 MWh cap:
    100 MWh interrupted, 140 MWh shed. Cost 4,800 x 50 + 100 x 1,000 + 140 x 10,000 =
    1,740,000 USD, in the LP and the core."""
    s = _ilc_system(ilc_mw=20.0, ilc_mwh=100.0, ilc_price_usd_per_mwh=1000.0)
    res = plan(s)
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(1_740_000, rel=1e-6)
    assert float(res["dr_interrupted_mwh"].sum()) == pytest.approx(100.0, rel=1e-6)
    assert float(res["unserved_energy_mwh"].sum()) == pytest.approx(140.0, rel=1e-6)
    r = dispatch(s, keep_hourly=True)
    assert check_invariants(s, r) == []
    assert _cost(r) == pytest.approx(1_740_000, rel=1e-6)
    assert float(r["dr_interrupted_mwh"].sum()) == pytest.approx(100.0, rel=1e-6)
    assert float(r["unserved_energy_mwh"].sum()) == pytest.approx(140.0, rel=1e-6)


def test_interruptible_load_without_cap():
    """No annual cap: 20 MW in each of the 8 hours (160 MWh), 80 MWh shed: 240,000 + 160,000 +
    800,000 = 1,200,000 USD."""
    s = _ilc_system(ilc_mw=20.0, ilc_mwh=np.inf, ilc_price_usd_per_mwh=1000.0)
    res = plan(s)
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(1_200_000, rel=1e-6)
    r = dispatch(s, keep_hourly=True)
    assert check_invariants(s, r) == []
    assert _cost(r) == pytest.approx(1_200_000, rel=1e-6)


def _margin_system(region: bool = False, **kw):
    s = tiny_system(
        gens=[
            gen("north", "coal", cap0=100, mc=50),
            gen("north", "ocgt", cap0=0, capmax=1000, ann_capex=50_000, mc=300),
        ],
        demand=100.0,
        steps=24,
        reserve_margin=0.0 if region else 0.15,
        reserve_margin_region={"north": 0.15} if region else None,
    )
    return _dr(s, **kw)


@pytest.mark.parametrize("region", [False, True])
def test_reserve_margin_credit_ilc(region):
    """115 MW firm needed: without DR 15 MW of peaker (750,000 USD/yr); 10 MW of contracts at
    credit 1 leave 5 MW (250,000), at credit 0.5 10 MW (500,000). The annual energy 100 MW x
    8,760 h x 50 = 43.8 M USD in every case. Shiftable load counts only with credit_shift."""
    energy = 100 * 8760 * 50.0
    for kw, build in (
        ({}, 15.0),
        ({"ilc_mw": 10.0}, 5.0),
        ({"ilc_mw": 10.0, "credit_ilc": 0.5}, 10.0),
        ({"shift_share": 0.1, "shift_mw": 50.0}, 15.0),
        ({"shift_share": 0.1, "shift_mw": 50.0, "credit_shift": 0.5}, 10.0),
    ):
        s = _margin_system(region, **kw)
        res = plan(s)
        assert check_invariants(s, res) == [], kw
        assert res.attrs["objective_usd"] == pytest.approx(energy + 50_000 * build, rel=1e-6), kw
        firm, reg = firm_capacity(s, res["capacity_mw"].values, np.zeros(0), np.zeros(0))
        assert (reg[0] if region else firm) == pytest.approx(115.0, rel=1e-6), kw


def test_screened_core_is_the_same():
    """The adequacy screen sees the shifted demand and the interruptible load takes the shed
    after it: the same shed, interruptions and shifting with ``screen=True``."""
    for s in (
        _shift_system(shift_share=0.1, shift_mw=5.0, shift_cost_usd_per_mwh=10.0),
        _ilc_system(ilc_mw=20.0, ilc_mwh=100.0, ilc_price_usd_per_mwh=1000.0),
    ):
        a, b = dispatch(s, keep_hourly=True), dispatch(s, keep_hourly=True, screen=True)
        assert check_invariants(s, b) == []
        for k in ("unserved_energy_mwh", "dr_shifted_mwh", "dr_interrupted_mwh"):
            assert b[k].values == pytest.approx(a[k].values, abs=1e-6), k


def test_annual_only_core_results():
    """Without hourly variables the core still reports the annual DR energy and cost."""
    s = _ilc_system(ilc_mw=20.0, ilc_mwh=100.0, ilc_price_usd_per_mwh=1000.0)
    r = dispatch(s, samples=3, keep_hourly=False)
    assert "dr_interrupt_mw" not in r
    assert r["dr_interrupted_mwh"].values.sum(axis=1) == pytest.approx([100.0] * 3)
    assert r["dr_cost_usd"].values.sum(axis=1) == pytest.approx([100_000.0] * 3)


BASE = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"


def _scenario(tmp_path, body: str):
    f = tmp_path / "s.yaml"
    f.write_text(f"extends: {BASE}\ndemand_response:\n{body}\n")
    return load_scenario(f)


@pytest.mark.parametrize(
    ("body", "words", "field"),
    [
        ("  shift_share: 1.5", "demand-response value out of range", "demand_response.shift_share"),
        ("  ilc_mw: {atlantis: 5}", "unknown region", "demand_response.ilc_mw.atlantis"),
        ("  credit_ilc: -0.1", "out of range", "demand_response.credit_ilc"),
        ("  shift_mw: 'lots'", "not a number", "demand_response.shift_mw"),
        ("  ilc_hours: 3", "", "demand_response.ilc_hours"),
    ],
)
def test_bad_dr_refused(tmp_path, body, words, field):
    with pytest.raises(InputError) as err:
        _scenario(tmp_path, body)
    text = str(err.value)
    assert words in text and field in text and "s.yaml" in text


def test_scenario_to_system(tmp_path):
    """Per-region and national values, the defaults elsewhere, null = no annual cap; off
    without the section; the section survives the provenance round trip."""
    scn = _scenario(
        tmp_path, "  shift_share: 0.03\n  ilc_mw: {north: 1000}\n  ilc_mwh: {south: 5000}"
    )
    regions = ["north", "south"]
    assert scn.demand_response.of("shift_share", regions) == [0.03, 0.03]
    assert scn.demand_response.of("ilc_mw", regions) == [1000.0, 0.0]
    assert scn.demand_response.of("ilc_mwh", regions) == [float("inf"), 5000.0]
    assert scn.demand_response.of("credit_ilc", regions) == [1.0, 1.0]
    f = tmp_path / "again.yaml"
    f.write_text(scn.to_yaml())
    assert load_scenario(f).demand_response == scn.demand_response
    sy = build_system(load_scenario(BASE), resolution="12d")
    assert all(float(abs(sy[k]).sum()) == DR_FIELDS[k] * sy.sizes["region"] for k in DR_FIELDS)


def test_dr_kpis_and_dashboard():
    """KPIs of the shifting case: 112 MWh moved at 10 USD/MWh; the dashboard shows them as
    INFO (112 of 5,120 MWh of demand: 2.19%); no indicator without DR."""
    from energy_sim.analysis.indicators import indicators
    from energy_sim.analysis.runs import Run
    from energy_sim.planning.kpis import kpis

    res = plan(_shift_system(shift_share=0.1, shift_mw=5.0, shift_cost_usd_per_mwh=10.0))
    k = kpis(res)
    assert k["dr_shifted_mwh"] == pytest.approx(112.0, rel=1e-6)
    assert k["dr_interrupted_mwh"] == 0.0
    assert k["dr_cost_usd"] == pytest.approx(1_120.0, rel=1e-6)
    ind = {i.key: i for i in indicators(Run("dsm", res, k))}
    assert ind["demand_response"].status == "info"
    assert ind["demand_response"].value == pytest.approx(112.0 / 5120.0, rel=1e-6)
    res = plan(_shift_system())
    assert "demand_response" not in {i.key for i in indicators(Run("off", res, kpis(res)))}
