"""Adequacy statistics of the combined samples: LOLE, EUE, LOLP with standard errors, where and
when load is lost, and the Resolution 70 verdicts (:func:`summarise`)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.security.adequacy.capacities import lng_tank_days, reserve_margin
from energy_sim.security.adequacy.options import DEFAULT_OPTIONS, AdequacyOptions

__all__ = ["EUE_ZERO_MWH", "MIN_SAMPLES_CONVERGED", "converged", "summarise"]

#: Unserved energy (MWh) below which an amount is the float residue of the dispatch sums
#: (1e-10 MWh and the like), not load lost: it is rounded to zero, per sample and region.
EUE_ZERO_MWH = 1e-3
#: Fewest sample years from which an assessment may be declared converged: below it the
#: sample standard deviation, hence the relative standard error, is itself too uncertain.
MIN_SAMPLES_CONVERGED = 30


def converged(rel_se: float, n_samples: int, rel_tol: float) -> bool:
    """Whether ``se(EUE)/EUE < rel_tol`` counts: also needs ``n >= MIN_SAMPLES_CONVERGED``
    (a NaN relative error, no unserved energy, never converges)."""
    return bool(n_samples >= MIN_SAMPLES_CONVERGED and rel_se < rel_tol)


def _annual(system: xr.Dataset) -> np.ndarray:
    """Hours each step stands for in the year, ``w[t]*dt[t]``."""
    return np.asarray(system["weight"].values * system["dt_h"].values, dtype=float)


def _mean_se(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean and its standard error ``std(ddof=1)/sqrt(n)`` along axis 0."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    return mean, se


def _zero_residue(x: np.ndarray) -> np.ndarray:
    """Amounts below :data:`EUE_ZERO_MWH` (MWh or MW) set to zero: float residue."""
    return np.where(np.abs(x) < EUE_ZERO_MWH, 0.0, x)


def _hour_of_day(system: xr.Dataset) -> np.ndarray:
    if "timestamp" in system.coords or "timestamp" in system:
        stamps = np.asarray(system["timestamp"].values)
        if np.issubdtype(stamps.dtype, np.datetime64):
            return ((stamps - stamps.astype("datetime64[D]")) // np.timedelta64(1, "h")).astype(int)
    return (np.cumsum(system["dt_h"].values) - system["dt_h"].values).astype(int) % 24


def summarise(
    system: xr.Dataset,
    plan: xr.Dataset | None,
    combined: xr.Dataset,
    options: AdequacyOptions = DEFAULT_OPTIONS,
    *,
    rel_tol: float = 0.05,
) -> xr.Dataset:
    """Adequacy statistics, where and when load is lost, and the Resolution 70 verdicts.

    With ``N`` samples and per-sample annual figures ``x_i``: mean ``sum x_i / N`` and standard
    error ``std(x, ddof=1)/sqrt(N)`` for LOLE (h/yr with shed > 0.1 MW), EUE (MWh/yr) and
    normalised EUE (``1e6 * EUE_i / demand_i``, ppm); ``LOLP = LOLE / 8760`` (the chance that a
    given hour has loss of load); ``P(year with loss of load)`` is the share of samples with any.
    Unserved energy below :data:`EUE_ZERO_MWH` in a sample and region is float residue and
    counts as zero (as does expected shed below that many MW in a step). Converged when
    ``se(EUE) / EUE < rel_tol`` after at least :data:`MIN_SAMPLES_CONVERGED` samples. With no
    unserved energy in any sample the relative error is undefined and the run does not count as
    converged; then
    ``loss_of_load_year_upper95 = 1 - 0.05**(1/N)`` bounds the chance of a year with loss of load.
    """
    n = combined.sizes["sample"]
    hours = _annual(system)
    regions = system["region"].values
    ds = _statistics(system, combined, hours)
    eue = float(ds["eue_system_mwh"])
    rel_se = float(ds["eue_system_mwh_se"]) / eue if eue > EUE_ZERO_MWH else float("nan")
    ds = _when_and_where(ds, system, combined, hours)
    ds = ds.assign_coords(month=np.arange(1, 13), hour_of_day=np.arange(24), region=regions)
    ds = ds.drop_vars(["shed_count", "shed_count_system", "shed_sum_mw"])

    margin = reserve_margin(system, plan)
    ds["reserve_margin_achieved"] = ((), margin, {"units": "1"})
    verdict = _verdict(ds, system, margin, options)
    if "hub" in system.dims and system.sizes["hub"]:
        ds, verdict["lng_days_of_cover"] = _lng(ds, system, plan, n)
    # a region sheds when it has hours of loss of load (shed > SHED_THRESHOLD_MW): rounding
    # residues of 1e-13 MWh in the annual sums are not load lost
    shedding = [str(r) for r, h in zip(regions, ds["lole_h"].values, strict=True) if h > 0]
    ds.attrs.update(
        {
            "kind": "assessment",
            "scenario": system.attrs.get("scenario", ""),
            "stress": system.attrs.get("stress", "[]"),
            "n_samples": n,
            "eue_relative_se": rel_se,
            "rel_tol": rel_tol,
            "converged": int(converged(rel_se, n, rel_tol)),
            "min_samples_converged": MIN_SAMPLES_CONVERGED,
            "regions_shedding": ",".join(shedding),
            "verdict": json.dumps(verdict),
            "options": json.dumps(asdict(options)),
        }
    )
    return ds


def _statistics(system: xr.Dataset, combined: xr.Dataset, hours: np.ndarray) -> xr.Dataset:
    """``combined`` plus LOLE, EUE and EUE in ppm (mean and standard error, by region and
    system-wide), LOLP and the chance of a year with loss of load (see :func:`summarise`)."""
    n = combined.sizes["sample"]
    year_h = float(hours.sum())
    eue_r = combined["unserved_energy_mwh"].transpose("sample", "region").values
    eue_r = np.where(eue_r < EUE_ZERO_MWH, 0.0, eue_r)
    lol_r = combined["loss_of_load_hours"].transpose("sample", "region").values
    lol_s = combined["loss_of_load_hours_system"].values
    eue_s = eue_r.sum(axis=1)
    scale = combined["demand_scale"].values
    demand_r = (system["demand_mw"].transpose("region", "time").values * hours).sum(axis=1)
    ppm_r = 1e6 * eue_r / (scale[:, None] * demand_r[None, :])
    ppm_s = 1e6 * eue_s / combined["demand_mwh"].values

    ds = combined.copy()
    stats = {
        "lole_h": (lol_r, "h/yr", "loss of load expectation: hours/yr with shed > 0.1 MW"),
        "eue_mwh": (eue_r, "MWh/yr", "expected unserved energy"),
        "eue_ppm": (ppm_r, "ppm", "expected unserved energy per million of demand"),
    }
    for name, (values, units, text) in stats.items():
        mean, se = _mean_se(values)
        ds[name] = ("region", mean, {"units": units, "description": f"{text}, by region"})
        ds[f"{name}_se"] = ("region", se, {"units": units, "description": "standard error"})
        mean_s, se_s = _mean_se({"lole_h": lol_s, "eue_mwh": eue_s, "eue_ppm": ppm_s}[name])
        sys_name = name.replace("_", "_system_", 1)
        ds[sys_name] = ((), mean_s, {"units": units, "description": f"{text}, system-wide"})
        ds[f"{sys_name}_se"] = ((), se_s, {"units": units, "description": "standard error"})
    ds["lolp"] = ds["lole_h"] / year_h
    ds["lolp"].attrs = {"units": "1", "description": "loss of load probability of an hour"}
    ds["lolp_system"] = ds["lole_system_h"] / year_h
    ds["lolp_system"].attrs = {"units": "1", "description": "LOLP of an hour, system-wide"}
    ds["loss_of_load_year_probability"] = ((), float((lol_s > 0).mean()))
    ds["loss_of_load_year_probability"].attrs = {
        "units": "1",
        "description": "share of sample years with any loss of load",
    }
    ds["loss_of_load_year_upper95"] = ((), 1.0 - 0.05 ** (1.0 / n))
    ds["loss_of_load_year_upper95"].attrs = {
        "units": "1",
        "description": "95% upper bound of P(year with loss of load) when no sample had any",
    }
    return ds


def _when_and_where(
    ds: xr.Dataset, system: xr.Dataset, combined: xr.Dataset, hours: np.ndarray
) -> xr.Dataset:
    """When and where load is lost: the share of samples shedding in each step (by region and
    system-wide), the mean shed, and LOLE by calendar month and by hour of the day."""
    n = combined.sizes["sample"]
    prob = combined["shed_count"].transpose("region", "time").values / n
    ds["loss_of_load_probability"] = (
        ("region", "time"),
        prob,
        {"units": "1", "description": "share of samples with shed > 0.1 MW in the step"},
    )
    ds["expected_shed_mw"] = (
        ("region", "time"),
        _zero_residue(combined["shed_sum_mw"].transpose("region", "time").values / n),
        {"units": "MW", "description": "mean shed over the samples"},
    )
    months = np.asarray(system["month_of"].values, dtype=int)
    hod = _hour_of_day(system)
    weighted = prob * hours[None, :]
    by_month = np.stack([weighted[:, months == m].sum(axis=1) for m in range(1, 13)], axis=1)
    by_hour = np.stack([weighted[:, hod == h].sum(axis=1) for h in range(24)], axis=1)
    ds["lole_by_month_h"] = (("region", "month"), by_month, {"units": "h/yr"})
    ds["lole_by_hour_h"] = (("region", "hour_of_day"), by_hour, {"units": "h/yr"})
    prob_sys = combined["shed_count_system"].values / n
    ds["loss_of_load_probability_system"] = (
        "time",
        prob_sys,
        {"units": "1", "description": "share of samples with shed > 0.1 MW in any region"},
    )
    weighted_sys = prob_sys * hours
    ds["lole_system_by_month_h"] = (
        "month",
        np.array([weighted_sys[months == m].sum() for m in range(1, 13)]),
        {"units": "h/yr", "description": "system LOLE falling in each month"},
    )
    ds["lole_system_by_hour_h"] = (
        "hour_of_day",
        np.array([weighted_sys[hod == h].sum() for h in range(24)]),
        {"units": "h/yr", "description": "system LOLE falling at each hour of the day"},
    )
    return ds


def _verdict(
    ds: xr.Dataset, system: xr.Dataset, margin: float, options: AdequacyOptions
) -> dict[str, Any]:
    """Resolution 70's checks: reserve margin against its target, LOLE and EUE (ppm) against
    the standards of ``options``."""
    target = float(system.attrs.get("reserve_margin", 0.15))
    return {
        "reserve_margin": {"value": margin, "target": target, "pass": margin >= target - 1e-9},
        "lole": {
            "value_h": float(ds["lole_system_h"]),
            "standard_h": options.lole_standard_h,
            "pass": float(ds["lole_system_h"]) <= options.lole_standard_h,
        },
        "eue_ppm": {
            "value": float(ds["eue_system_ppm"]),
            "standard": options.eue_standard_ppm,
            "pass": float(ds["eue_system_ppm"]) <= options.eue_standard_ppm,
        },
    }


def _lng(
    ds: xr.Dataset, system: xr.Dataset, plan: xr.Dataset | None, n: int
) -> tuple[xr.Dataset, dict[str, Any]]:
    """LNG tank days of cover of the plan against each hub's reserve, the days of cover as
    operated and the mean inventory over the ``n`` samples; with the hubs' verdict."""
    days = lng_tank_days(system, plan)
    reserve = np.asarray(system["reserve_days"].values, dtype=float)
    ds = ds.assign_coords(hub=system["hub"].values)
    ds["lng_tank_days_of_cover"] = ("hub", days, {"units": "d"})
    ds["lng_reserve_days"] = ("hub", reserve, {"units": "d"})
    hubs = {
        str(h): {"days": float(d), "reserve_days": float(r), "pass": bool(d >= r)}
        for h, d, r in zip(system["hub"].values, days, reserve, strict=True)
    }
    if "lng_days_of_cover" in ds:
        cover = ds["lng_days_of_cover"].values
        finite = np.isfinite(cover)
        count = finite.sum(axis=0)
        total = np.where(finite, cover, 0.0).sum(axis=0)
        ds["lng_days_of_cover_operated"] = (
            "hub",
            np.where(count > 0, total / np.maximum(count, 1), np.nan),
            {
                "units": "d",
                "description": "mean over samples of the year's lowest inventory / "
                "daily burn at full LNG capacity (as operated by the dispatch core)",
            },
        )
    if "lng_inventory_sum" in ds:
        ds["lng_inventory_mean_mwh_th"] = ds["lng_inventory_sum"] / n
        ds["lng_inventory_mean_mwh_th"].attrs = {"units": "MWh_th"}
        ds = ds.drop_vars("lng_inventory_sum")
    return ds, {"hubs": hubs, "pass": all(v["pass"] for v in hubs.values())}
