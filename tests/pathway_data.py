"""A stand-in pathway Results (issue 13, item 7) built from the synthetic single-year pair.

The format is the contract of ``energy-sim run scenarios/pathway_2050.yaml``: one Dataset with a
leading ``period`` dimension on every variable of a single-year plan, ``attrs['kind'] ==
'pathway'``, the vintage variables ``*_built_*``, and ``discount_factor``, ``period_years``,
``co2_cap_t``, ``clean_share_min``, ``reserve_margin_target`` per period. Every number the tests
check is set here by hand, so the tests need no solve.

Periods 2030, 2040, 2050: the existing fleet retires (``SURVIVE``), new capacity grows
(``SCALE``), CO2 falls to the net-zero cap (``CO2_FACTOR``); ``south_central/solar_utility`` is
not there in 2030 (capacity 0, operation NaN), as an element of the union that one period lacks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from analysis_data import make_pair

PERIODS = [2030, 2040, 2050]
#: Share of the existing fleet still standing in each period.
SURVIVE = {2030: 1.0, 2040: 0.6, 2050: 0.2}
#: Scale of the total portfolio of each period (make_pair's capacity_scale).
SCALE = {2030: 1.0, 2040: 1.3, 2050: 1.6}
#: CO2 of each period as a share of the 2030 CO2 of the synthetic year.
CO2_FACTOR = {2030: 1.0, 2040: 0.5, 2050: 0.0}
#: Reserve margin target of each period.
MARGIN_TARGET = {2030: 0.15, 2040: 0.15, 2050: 0.20}
#: The element of the union that the first period lacks.
ABSENT_2030 = "south_central/solar_utility"
DISCOUNT_RATE = 0.06
BASE_YEAR = 2025
YEARS = 10
RESOLUTION_H = 24


def _discount_factor(period: int) -> float:
    """Discounted years ``sum_{y=p}^{p+9} (1+r)^-(y-2025)`` the period stands for."""
    return float(
        sum((1 + DISCOUNT_RATE) ** -(y - BASE_YEAR) for y in range(period, period + YEARS))
    )


def _one_period(period: int) -> xr.Dataset:
    res, system = make_pair("pathway_test", capacity_scale=SCALE[period], resolution_h=RESOLUTION_H)
    # what a plan Results copies from its System, so that kpis() reads each period on its own
    for name in ("demand_mw", "dt_h", "weight", "is_clean", "build_min_mw", "build_max_mw"):
        res[name] = system[name]
    res["peak_demand_mw"] = system["demand_mw"].sum("region").max()
    existing = res["capacity_existing_mw"] * SURVIVE[period]
    res["capacity_existing_mw"] = existing
    res["capacity_new_mw"] = res["capacity_mw"] - existing
    st_existing = res["storage_power_existing_mw"] * SURVIVE[period]
    res["storage_power_existing_mw"] = st_existing
    res["storage_power_new_mw"] = res["storage_power_mw"] - st_existing
    res["co2_t"] = res["co2_t"] * CO2_FACTOR[period]
    res["cost_usd"] = res["cost_usd"] * (1 + 0.1 * PERIODS.index(period))
    # margins fall a little over the periods; north_central stays far below every target
    res["reserve_margin_by_region"] = res["reserve_margin_by_region"] - 0.01 * PERIODS.index(period)
    res["reserve_margin_achieved"] = res["reserve_margin_achieved"] + 0.04 * PERIODS.index(period)
    stamps = pd.date_range(f"{period}-01-01", periods=res.sizes["time"], freq=f"{RESOLUTION_H}h")
    res = res.assign_coords(timestamp=("time", stamps))
    if period == PERIODS[0]:
        g = {"gen": ABSENT_2030}
        for name in ("capacity_mw", "capacity_existing_mw", "capacity_new_mw"):
            res[name].loc[g] = 0.0
        for name in ("generation_mw", "generation_mwh", "co2_t"):
            res[name].loc[g] = np.nan
    return res


def make_pathway() -> xr.Dataset:
    """The stand-in pathway Results (see the module docstring)."""
    parts = [_one_period(p) for p in PERIODS]
    ds = xr.concat(
        parts,
        dim=pd.Index(PERIODS, name="period"),
        data_vars="all",
        coords="different",
        compat="equals",
    )
    # element labels are the same in every period: keep them on their element dim only
    for name in ("gen_region", "gen_tech", "storage_region", "storage_tech", "hub_region"):
        ds = ds.assign_coords({name: parts[0][name]})
    for name in ("corridor_from", "corridor_to"):
        ds = ds.assign_coords({name: parts[0][name]})
    ds = ds.assign_coords(period=np.asarray(PERIODS, dtype="int64"))
    # the vintages: what is newly standing in a period was built in it (nothing new retires)
    for built, new, dim in (
        ("capacity_built_mw", "capacity_new_mw", "gen"),
        ("storage_power_built_mw", "storage_power_new_mw", "storage"),
        ("corridor_capacity_built_mw", "corridor_capacity_new_mw", "corridor"),
        ("tank_built_mwh_th", "tank_new_mwh_th", "hub"),
    ):
        standing = ds[new].transpose("period", dim)
        ds[built] = standing.diff("period", label="upper").reindex(period=PERIODS).fillna(standing)
        ds[built] = ds[built].clip(min=0.0).assign_attrs(units="MW", description="vintage built")
    ds["discount_factor"] = ("period", [_discount_factor(p) for p in PERIODS], {"units": "yr"})
    ds["period_years"] = ("period", [float(YEARS)] * len(PERIODS), {"units": "yr"})
    co2_2030 = float(parts[0]["co2_t"].sum()) / CO2_FACTOR[2030]
    ds["co2_cap_t"] = ("period", [np.nan, 0.6 * co2_2030, 0.0], {"units": "tCO2/yr"})
    ds["clean_share_min"] = ("period", [np.nan, 0.5, 0.9], {"units": "1"})
    ds["reserve_margin_target"] = ("period", [MARGIN_TARGET[p] for p in PERIODS], {"units": "1"})
    objective = float((ds["cost_usd"].sum("cost_component") * ds["discount_factor"]).sum())
    ds.attrs = {
        "scenario": "pathway_test",
        "status": "optimal",
        "kind": "pathway",
        "foresight": "perfect",
        "periods": list(PERIODS),
        "discount_rate": DISCOUNT_RATE,
        "base_year": BASE_YEAR,
        "objective_usd": objective,
        "resolution": f"{RESOLUTION_H}h",
        "solver": "highs",
        "build_s": 0.1,
        "handoff_s": 0.1,
        "solve_s": 0.2,
        "run_id": "pathway-standin",
        "energy_sim_version": "0.1.0",
        "seed": 2030,
    }
    return ds


def write_pathway(folder: Path, ds: xr.Dataset | None = None) -> Path:
    """A pathway run folder (results.nc, kpis.json) written by the writer ``energy-sim run``
    uses (:func:`energy_sim.planning.results.write_results` with
    :func:`energy_sim.planning.pathway.period_kpis`)."""
    from energy_sim.planning.pathway import period_kpis
    from energy_sim.planning.results import write_results

    ds = make_pathway() if ds is None else ds
    folder.mkdir(parents=True, exist_ok=True)
    write_results(ds, folder, period_kpis(ds))
    return folder
