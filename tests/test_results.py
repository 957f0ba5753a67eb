"""Results, KPIs, invariant checks, shortfall report and atomic output of a plan."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from factory import corridor, gen, hub, solve_checked, store, tiny_system

from energy_sim.planning.kpis import kpis, shortfall_report
from energy_sim.planning.results import check_invariants, write_results
from energy_sim.planning.solve import plan

KPI_KEYS = {
    "total_cost_usd", "cost_per_mwh_usd", "reserve_margin", "reserve_margin_by_region",
    "unserved_energy_mwh", "reserve_shortfall_mw", "clean_share", "co2_t", "loss_rate",
    "lng_days_of_cover", "new_capacity_mw", "total_capacity_mw", "annual_demand_mwh",
    "peak_demand_mw", "status", "build_s", "handoff_s", "solve_s",
}  # fmt: skip


@pytest.fixture(scope="module")
def case():
    """Two regions with every family: solar, coal, LNG CCGT with a hub, a battery, a corridor."""
    sysd = tiny_system(
        regions=["north", "south"],
        gens=[
            gen("north", "coal", cap0=150, mc=20, co2=0.9),
            gen(
                "north",
                "solar_utility",
                cap0=0,
                capmax=300,
                ann_capex=40_000,
                avail=[0.0, 0.8, 1.0, 0.1],
            ),
            gen("south", "ccgt_lng", cap0=60, mc=50, eff=0.5, co2=0.4, hub="thi_vai"),
            gen("south", "ocgt", cap0=0, capmax=500, ann_capex=30_000, mc=120),
        ],  # fmt: skip
        storage=[
            store(
                "south", "battery_4h", pcap0=10, pcapmax=50, eff_c=0.95, eff_d=0.95, capex_p=20_000
            )
        ],  # fmt: skip
        corridors=[corridor("north", "south", fcap0=40, fcapmax=200, eta=0.97, capex=5_000)],
        hubs=[
            hub("thi_vai", "south", regas=200, tank0=500, tankmax=5000, capex=2.0, reserve_days=0.1)
        ],  # fmt: skip
        demand=[[80, 100, 120, 90], [90, 110, 130, 100]],
        reserve_margin=0.15,
    )
    return sysd, solve_checked(sysd)


def test_costs_add_up_and_kpis(case):
    sysd, res = case
    assert float(res["cost_usd"].sum()) == pytest.approx(res.attrs["objective_usd"], rel=1e-9)
    k = kpis(res)
    assert KPI_KEYS <= set(k)
    assert k["status"] == "optimal"
    assert k["reserve_margin"] >= 0.15 - 1e-9
    demand = float((sysd["demand_mw"] * sysd["weight"] * sysd["dt_h"]).sum())
    assert k["annual_demand_mwh"] == pytest.approx(demand)
    assert k["cost_per_mwh_usd"] == pytest.approx(k["total_cost_usd"] / demand)
    assert k["total_capacity_mw"]["coal"] == pytest.approx(150)
    assert k["co2_t"] == pytest.approx(float(res["co2_t"].sum()))
    assert np.isfinite(k["lng_days_of_cover"])


def test_kpis_average_over_samples(case):
    _, res = case
    stacked = xr.concat([res, res], dim="sample")
    for name in ("demand_mw", "dt_h", "weight", "is_clean"):
        stacked[name] = res[name]
    a, b = kpis(res), kpis(stacked)
    for key in ("total_cost_usd", "unserved_energy_mwh", "clean_share", "co2_t", "loss_rate"):
        assert b[key] == pytest.approx(a[key], rel=1e-12)
    assert check_invariants(case[0], stacked) == []


@pytest.mark.parametrize(
    ("var", "change", "message"),
    [
        ("generation_mw", lambda d: d + 5.0, "balance"),
        ("capacity_mw", lambda d: d * 0.5, "availability"),
        ("soc_mwh", lambda d: d + xr.where(d.time == 0, 3.0, 0.0), "soc recursion"),
        ("corridor_capacity_mw", lambda d: d * 0.0, "corridor"),
        ("lng_inventory_mwh_th", lambda d: d * 0.0 - 1.0, "LNG"),
        ("capacity_mw", lambda d: d * 0.0, "reserve margin"),
    ],
)
def test_invariants_catch_violations(case, var, change, message):
    sysd, res = case
    bad = res.copy(deep=True)
    bad[var] = change(bad[var])
    errs = check_invariants(sysd, bad)
    assert any(message in e for e in errs), errs


def test_shortfall_report_says_where_and_how_much():
    sysd = tiny_system(
        regions=["north", "south"],
        gens=[gen("north", "coal", cap0=100, mc=20)],
        demand=[[50.0, 50.0], [0.0, 30.0]],
        reserve_margin=0.5,
    )
    res = solve_checked(sysd)
    lines = shortfall_report(res)
    assert any("unserved energy in south" in ln and "131,400.0 MWh/yr" in ln for ln in lines)
    assert any("system reserve margin short by 20.0 MW" in ln for ln in lines)


def test_shortfall_report_ignores_interior_point_residue():
    # an interior point without crossover leaves ~1e-3 MW of shed and shortfall everywhere:
    # below 1e-6 of peak demand it is noise, above it is reported
    sysd = tiny_system(gens=[gen("north", "coal", cap0=100, mc=20)], demand=[50.0, 50.0])
    res = solve_checked(sysd)
    assert shortfall_report(res) == []
    noisy = res.copy(deep=True)
    noisy["shed_mw"] = noisy["shed_mw"] + 2e-5  # peak 50 MW: tolerance 1e-3 MW
    noisy["reserve_shortfall_mw"] = noisy["reserve_shortfall_mw"] + 5e-4
    assert shortfall_report(noisy) == []
    noisy["peak_demand_mw"] = xr.DataArray(95_000.0)  # tolerance 0.095 MW
    noisy["shed_mw"] = noisy["shed_mw"] + 0.05
    assert shortfall_report(noisy) == []
    noisy["shed_mw"] = noisy["shed_mw"] + 0.1
    assert any("unserved energy in north" in ln for ln in shortfall_report(noisy))


def test_write_results_is_atomic_and_round_trips(case, tmp_path):
    _, res = case
    nc, js = write_results(res, tmp_path / "out", kpis(res))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["kpis.json", "results.nc"]
    back = xr.load_dataset(nc)
    np.testing.assert_allclose(back["generation_mw"], res["generation_mw"])
    assert back.attrs["status"] == "optimal"
    data = json.loads(js.read_text())
    assert KPI_KEYS <= set(data)
    assert data["total_cost_usd"] == pytest.approx(res.attrs["objective_usd"])


def test_export_lp(tmp_path):
    sysd = tiny_system(gens=[gen("north", "coal", cap0=100, mc=20)], demand=[50.0])
    res = plan(sysd, export_lp=tmp_path / "model.lp")
    text = (tmp_path / "model.lp").read_text()
    assert "balance(0)" in text and "p(0)" in text
    assert res.attrs["status"] == "optimal"
