"""End to end: a two-period pathway on the bundled data (weekly steps, 168h), planned with
``energy-sim run`` and operated with ``energy-sim assess --period``.

The pathway is ``scenarios/pathway_2050.yaml`` cut to 2030 and 2035 (its 2035 values): the
checks are the issue's acceptance on a smaller horizon - an optimal plan, the 15% margin in every
region of every period, the CO2 cap of 2035 held, the physical invariants of every period, what
2030 builds still standing in 2035, and ``--period`` operating one period's system.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
CAP_2035 = 210e6


@pytest.fixture(scope="module")
def pathway(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("pathway")
    scenario = folder / "pathway_small.yaml"
    scenario.write_text(
        f"""data: {ROOT / "data" / "vietnam"}
periods: [2030, 2035]
foresight: perfect
fleet: end2025
resolution: 168h
reserve_margin: 0.15
regional_reserve_margin: 0.15
policies: {{pdp8_ranges: true}}
by_period:
  2035:
    policies: {{co2_cap_t: {CAP_2035:.0f}, carbon_price_usd_per_t: 10}}
    investments:
      technologies: [ccgt_lng, ccgt_gas, ocgt, hydro_reservoir, hydro_ror, solar_utility,
                     solar_rooftop, wind_onshore, wind_offshore, biomass, waste, nuclear,
                     import_laos, import_china, pumped_hydro, battery_2h, battery_4h]
seed: 7
"""
    )
    out = folder / "run"
    done = _cli("run", str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr + done.stdout
    with xr.open_dataset(out / "results.nc") as ds:
        res = ds.load()
    return {"scenario": scenario, "out": out, "res": res, "stdout": done.stdout}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "energy_sim.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_the_pathway_plan_is_optimal_and_keeps_its_targets(pathway):
    res = pathway["res"]
    assert res.attrs["kind"] == "pathway" and res.attrs["status"] == "optimal"
    assert res["period"].values.tolist() == [2030, 2035]
    margin = res["reserve_margin_by_region"]
    assert float(margin.min()) >= 0.15 - 1e-6
    co2 = res["co2_t"].sum("gen")
    assert float(co2.sel(period=2035)) <= CAP_2035 * (1 + 1e-6)
    assert float(res["co2_cap_t"].sel(period=2035)) == CAP_2035
    # discounted objective = sum_p D_p * annual cost of p, and the LP's own objective
    annual = res["cost_usd"].sum("cost_component")
    assert res.attrs["objective_usd"] == pytest.approx(
        float((res["discount_factor"] * annual).sum()), rel=1e-9
    )
    assert res.attrs["lp_objective_usd"] == pytest.approx(res.attrs["objective_usd"], rel=1e-6)


def test_what_2030_builds_stands_in_2035(pathway):
    res = pathway["res"]
    built = res["capacity_built_mw"].sel(period=2030)
    new35 = res["capacity_new_mw"].sel(period=2035)
    long_lived = res["gen_tech"] != "battery_2h"  # every generator here lives >= 20 years
    gap = (new35 - built).where(long_lived, 0.0)
    assert float(gap.min()) >= -1e-3  # 2035's new capacity includes all of 2030's vintage
    assert float(built.sum()) > 1000.0  # and 2030 did build
    # standing = existing still standing + surviving vintages
    total = res["capacity_existing_mw"] + res["capacity_new_mw"]
    np.testing.assert_allclose(total.values, res["capacity_mw"].values, atol=1e-3)


def test_kpis_are_per_period(pathway):
    k = json.loads((pathway["out"] / "kpis.json").read_text())
    assert k["kind"] == "pathway" and sorted(k["periods"]) == ["2030", "2035"]
    assert k["periods"]["2035"]["co2_t"] <= CAP_2035 * (1 + 1e-6)
    assert "2035" in pathway["stdout"] and "discounted cost" in pathway["stdout"]


def test_assess_operates_one_period(pathway):
    plan = pathway["out"] / "results.nc"
    out = pathway["out"].parent / "assess35"
    done = _cli("assess", str(pathway["scenario"]), "--plan", str(plan), "--period", "2035",
                "--samples", "2", "--out", str(out), "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    with xr.open_dataset(next(out.glob("assessment*.nc"))) as ds:
        assert int(ds.sizes["sample"]) == 2
    # without --period, or with a year that is not a period: one message, exit 2
    done = _cli("assess", str(pathway["scenario"]), "--plan", str(plan), "--samples", "2",
                "--out", str(out))  # fmt: skip
    assert done.returncode == 2 and "--period" in done.stderr and "2030, 2035" in done.stderr
    assert "Traceback" not in done.stderr
    done = _cli("assess", str(pathway["scenario"]), "--plan", str(plan), "--period", "2040",
                "--samples", "2", "--out", str(out))  # fmt: skip
    assert done.returncode == 2 and "2040" in done.stderr and "Traceback" not in done.stderr
