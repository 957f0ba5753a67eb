"""What the LP, the dispatch core and the physical checks derive from a System: the previous
step of each step within its cyclic period, the LNG hub feeding each generator group, the
coincident and regional peaks, the firm capacity of a fleet and the firm capacity the
reserve margins require.

They read only the System's variables (docs/architecture.md), so the three users agree by
construction.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def prev_step(period: np.ndarray) -> np.ndarray:
    """Index of the previous step within the same cyclic period.

    The first step of each period wraps to the last step of that period, so that storage and
    LNG inventories are cyclic per period: ``x[t] = f(x[prev[t]])``.
    """
    period = np.asarray(period)
    prev = np.arange(len(period)) - 1
    for p in np.unique(period):
        idx = np.flatnonzero(period == p)
        prev[idx] = np.roll(idx, 1)
    return prev


def hub_of_gen(system: xr.Dataset) -> np.ndarray:
    """Hub index feeding each generator group (-1 if none).

    A group burns from the hub named in ``gen_hub``; an LNG group with no hub name burns from
    the hub of its region, if there is one.
    """
    sysd = system
    hubs = [str(h) for h in sysd["hub"].values] if "hub" in sysd.dims else []
    hub_region = [str(r) for r in sysd["hub_region"].values] if hubs else []
    out = np.full(sysd.sizes["gen"], -1, dtype=np.int64)
    gen_hub = sysd["gen_hub"].values if "gen_hub" in sysd.coords else [""] * len(out)
    is_lng = np.asarray(sysd["is_lng"].values, dtype=bool)
    regions = [str(r) for r in sysd["gen_region"].values]
    for i, (h, lng, r) in enumerate(zip(gen_hub, is_lng, regions, strict=True)):
        h = "" if h is None else str(h)
        if h and h in hubs:
            out[i] = hubs.index(h)
        elif lng and r in hub_region:
            out[i] = hub_region.index(r)
    return out


def peaks(system: xr.Dataset) -> tuple[float, np.ndarray]:
    """Coincident and regional peak demand, MW.

    The System's ``peak_demand_mw`` / ``peak_demand_region_mw`` (of the *hourly* year, before
    aggregation) when present, else the maximum over the model's steps.
    """
    demand = np.nan_to_num(np.asarray(system["demand_mw"].values, float), nan=0.0)
    if "peak_demand_mw" in system and "peak_demand_region_mw" in system:
        return float(system["peak_demand_mw"]), np.asarray(
            system["peak_demand_region_mw"].values, float
        )
    if demand.size == 0:
        return 0.0, np.zeros(demand.shape[0])
    return float(demand.sum(axis=0).max()), demand.max(axis=1)


def firm_capacity(system: xr.Dataset, cap, pcap, fcap) -> tuple[float, np.ndarray]:
    """Firm capacity, system and by region (the latter with corridor import credit)."""
    regions = [str(r) for r in system["region"].values]
    ri = {r: i for i, r in enumerate(regions)}
    credit = np.asarray(system["capacity_credit"].values, float)
    scredit = np.asarray(system["storage_capacity_credit"].values, float)
    icredit = np.asarray(system["import_credit"].values, float)
    g_r = np.array([ri[str(r)] for r in system["gen_region"].values], dtype=np.int64)
    s_r = np.array([ri[str(r)] for r in system["storage_region"].values], dtype=np.int64)
    a = np.array([ri[str(r)] for r in system["corridor_from"].values], dtype=np.int64)
    b = np.array([ri[str(r)] for r in system["corridor_to"].values], dtype=np.int64)
    R = len(regions)
    firm = float(credit @ cap + scredit @ pcap)
    reg = np.bincount(g_r, credit * cap, R) + np.bincount(s_r, scredit * pcap, R)
    reg += np.bincount(a, icredit * fcap, R) + np.bincount(b, icredit * fcap, R)
    dr_sys, dr_reg = dr_firm(system)
    return firm + dr_sys, reg + dr_reg


#: Demand-response variables of a System (MODEL.md constraint 9), per region, and their value
#: when a System has none (off).
DR_FIELDS = {
    "dr_shift_share": 0.0,
    "dr_shift_mw": 0.0,
    "dr_shift_cost_usd_per_mwh": 0.0,
    "dr_ilc_mw": 0.0,
    "dr_ilc_mwh": 0.0,
    "dr_ilc_price_usd_per_mwh": 0.0,
    "dr_credit_ilc": 1.0,
    "dr_credit_shift": 0.0,
}


def dr_params(system: xr.Dataset) -> dict[str, np.ndarray]:
    """The demand-response variables of a System, (R,) arrays each (the off value where the
    System has none, e.g. one built before the lever existed)."""
    n_r = system.sizes["region"]
    out = {}
    for name, off in DR_FIELDS.items():
        if name in system:
            out[name] = np.nan_to_num(np.asarray(system[name].values, float), nan=off)
        else:
            out[name] = np.full(n_r, off)
    return out


def dr_firm(system: xr.Dataset) -> tuple[float, np.ndarray]:
    """Firm capacity of demand response in the reserve margin (MODEL.md constraint 7 and 9),
    system and per region, MW: ``credit_ilc*ilc_mw + credit_shift*min(shift_share*peak_r,
    shift_mw)`` (the shiftable load counts with what can leave the regional peak)."""
    p = dr_params(system)
    _, peak_r = peaks(system)
    shift = np.minimum(p["dr_shift_share"] * peak_r, p["dr_shift_mw"])
    reg = p["dr_credit_ilc"] * p["dr_ilc_mw"] + p["dr_credit_shift"] * shift
    return float(reg.sum()), reg


def dr_on(system: xr.Dataset) -> bool:
    """True when the System has demand response to operate (shift or interruptible load)."""
    p = dr_params(system)
    shift = (p["dr_shift_share"] > 0) & (p["dr_shift_mw"] > 0)
    ilc = (p["dr_ilc_mw"] > 0) & (p["dr_ilc_mwh"] > 0)
    return bool(shift.any() or ilc.any())


def dr_result_vars(system: xr.Dataset, up, down, ilc, wdt) -> dict:
    """Results variables of demand response from hourly ``up``, ``down``, ``ilc`` (..., R, T)
    (a leading sample axis optional): the hourly arrays, their annual energy and the cost."""
    p = dr_params(system)
    lead = ("sample",) if np.ndim(up) == 3 else ()
    rt, r = (*lead, "region", "time"), (*lead, "region")
    down_mwh, ilc_mwh = down @ wdt, ilc @ wdt
    cost = p["dr_shift_cost_usd_per_mwh"] * down_mwh + p["dr_ilc_price_usd_per_mwh"] * ilc_mwh

    def a(units: str, desc: str) -> dict:
        return {"units": units, "description": desc}

    return {
        "dr_shift_up_mw": (rt, up, a("MW", "shifted load added (demand response)")),
        "dr_shift_down_mw": (rt, down, a("MW", "shifted load removed (demand response)")),
        "dr_interrupt_mw": (rt, ilc, a("MW", "load interrupted under contract")),
        "dr_shifted_mwh": (r, down_mwh, a("MWh/yr", "annual load moved within the day")),
        "dr_interrupted_mwh": (r, ilc_mwh, a("MWh/yr", "annual load interrupted")),
        "dr_cost_usd": (r, cost, a("USD/yr", "cost of demand response (in operating)")),
    }


def day_of_step(system: xr.Dataset) -> np.ndarray:
    """Day of each step for the daily neutrality of shifted load (MODEL.md constraint 9):
    the calendar day inside each period (hours from the period's start // 24), numbered
    0, 1, ... over the periods in order; a representative day is one period, so one day."""
    dt = np.asarray(system["dt_h"].values, float)
    period = np.asarray(system["block"].values)
    day = np.zeros(len(dt), np.int64)
    nxt = 0
    for p in np.unique(period):
        idx = np.flatnonzero(period == p)
        start = np.cumsum(dt[idx]) - dt[idx]
        d = np.floor(start / 24.0 + 1e-9).astype(np.int64)
        day[idx] = d + nxt
        nxt += int(d.max(initial=-1)) + 1
    return day


def reserve_targets(system: xr.Dataset) -> tuple[float, np.ndarray]:
    """Firm capacity required (MODEL.md constraint 7), MW.

    System ``(1 + margin)*peak`` with the ``reserve_margin`` attr (0 when absent) and per region
    ``(1 + margin_r)*peak_r`` with ``reserve_margin_region`` (NaN = no target), on the peaks of
    :func:`peaks`.
    """
    margin = float(system.attrs.get("reserve_margin", 0.0))
    peak, peak_r = peaks(system)
    margin_r = np.asarray(system["reserve_margin_region"].values, dtype=float)
    return (1.0 + margin) * peak, (1.0 + margin_r) * peak_r
