"""Views of the operated year: the dispatch stack of a week, net imports of a region, the LNG
inventories and the regional price duration curves.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from energy_sim.analysis.labels import (
    by_tech,
    colour,
    corridor_ends,
    label_of,
    step_hours,
    tech_order,
)
from energy_sim.analysis.plots.common import ax_or_new, demand_total, drop_sample


def _week_slice(results: xr.Dataset, week: int | None, system: xr.Dataset | None) -> slice:
    """Index range of week ``week`` (1..53) or, if None, of the week around the peak.

    Representative periods: the first 168 steps; chronological steps of a day or more: the year.
    """
    n = results.sizes["time"]
    stamps = pd.DatetimeIndex(results["timestamp"].values) if "timestamp" in results else None
    if stamps is None and np.issubdtype(results["time"].dtype, np.datetime64):
        stamps = pd.DatetimeIndex(results["time"].values)
    hours = step_hours(results, system).values
    chronological = (
        stamps is not None and np.allclose(hours, hours[0]) and stamps.is_monotonic_increasing
    )
    if not chronological:
        return slice(0, min(n, 168))
    if hours[0] >= 24:  # steps of a day or more: a week is one step or less, show the year
        return slice(0, n)
    if week is None:
        load = demand_total(results, system)
        if load is None:
            load = results["generation_mw"].sum("gen")
        peak = int(np.argmax(np.asarray(load.values)))
        start_time = stamps[peak].normalize() - pd.Timedelta(days=3)
    else:
        start_time = stamps[0].normalize() + pd.Timedelta(days=7 * (week - 1))
    start_time = max(start_time, stamps[0])
    mask = (stamps >= start_time) & (stamps < start_time + pd.Timedelta(days=7))
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return slice(0, min(n, 168))
    return slice(int(idx[0]), int(idx[-1]) + 1)


def net_import(results: xr.Dataset, region: str, system: xr.Dataset | None = None) -> np.ndarray:
    """Net power received by ``region`` over the corridors, per step (MW, negative = export).

    ``sum_{l: b(l)=r} (eta_l*fwd - rev) + sum_{l: a(l)=r} (eta_l*rev - fwd)`` — the corridor
    terms of the regional balance (MODEL.md constraint 1).
    """
    a, b = corridor_ends(results)
    eta = np.ones(results.sizes["corridor"])
    for ds in (results, system):
        if ds is not None and "corridor_efficiency" in ds:
            eta = ds["corridor_efficiency"].reindex(corridor=results["corridor"]).values
            break
    fwd = results["flow_fwd_mw"].transpose("corridor", "time").values
    rev = results["flow_rev_mw"].transpose("corridor", "time").values
    at_b = (b == region)[:, None]
    at_a = (a == region)[:, None]
    return (at_b * (eta[:, None] * fwd - rev) + at_a * (eta[:, None] * rev - fwd)).sum(0)


def dispatch_stack(
    results: xr.Dataset,
    system: xr.Dataset | None = None,
    week: int | None = None,
    region: str | None = None,
    sample: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Hourly generation stacked by technology over one week, with demand and storage.

    Stack: ``sum_{g of k, g in R} p[g,t]`` per technology ``k`` (``R`` = all regions or the chosen
    region), then storage discharge ``sum dis[s,t]``, net imports into ``R`` (regional view) and
    unserved energy ``shed``; storage charging is drawn below zero. The black line is demand
    (``demand_mw`` of Results or System; without it, the balance ``sum p + sum(dis-ch) + shed``
    net of imports). ``week`` is 1..53 counted from the first step; None picks the week around
    the hour of peak demand. For a Monte Carlo dispatch, ``sample`` picks the draw (default 0).
    """
    ax = ax_or_new(ax, (11, 4.5))
    res = drop_sample(results, sample)
    if region is not None and region not in list(np.asarray(res["region"].values).astype(str)):
        raise ValueError(f"unknown region {region!r}")
    window = _week_slice(res, week, system)
    n_steps = res.sizes["time"]
    span_h = float(step_hours(res, system).isel(time=window).sum())
    res = res.isel(time=window)
    x = (
        pd.DatetimeIndex(res["timestamp"].values)
        if "timestamp" in res
        else np.arange(res.sizes["time"])
    )
    gen_keep = np.arange(res.sizes["gen"])
    if region is not None:
        gen_keep = np.flatnonzero(label_of(res, "gen", "region") == region)
    sub_gen = res.isel(gen=gen_keep)
    stack = by_tech(sub_gen["generation_mw"], sub_gen)
    layers: list[tuple[str, np.ndarray]] = [
        (str(t), stack.sel(tech=t).values) for t in tech_order(stack["tech"].values)
    ]
    charge = np.zeros(res.sizes["time"])
    if "discharge_mw" in res and res.sizes.get("storage", 0):
        keep = np.arange(res.sizes["storage"])
        if region is not None:
            keep = np.flatnonzero(label_of(res, "storage", "region") == region)
        sub = res.isel(storage=keep)
        if sub.sizes["storage"]:
            dis = by_tech(sub["discharge_mw"], sub, "storage")
            layers += [(str(t), dis.sel(tech=t).values) for t in tech_order(dis["tech"].values)]
            charge = -sub["charge_mw"].sum("storage").values
    if region is not None and "flow_fwd_mw" in res and res.sizes.get("corridor", 0):
        into = net_import(res, region, system)
        layers.append(("net import", np.clip(into, 0, None)))
        charge = charge - np.clip(-into, 0, None)
    if "shed_mw" in res:
        shed = res["shed_mw"].sel(region=region) if region else res["shed_mw"].sum("region")
        if float(shed.max()) > 0:
            layers.append(("shed", shed.values))
    colours = [colour(name) if name != "net import" else "#bbbbbb" for name, _ in layers]
    ax.stackplot(
        x,
        *[np.clip(v, 0, None) for _, v in layers],
        labels=[n for n, _ in layers],
        colors=colours,
        linewidth=0,
    )
    if np.any(charge < 0):
        ax.fill_between(x, charge, 0, color="#aaaaaa", label="charge / export", step=None)
    demand = None
    for ds in (res, system):
        if ds is not None and "demand_mw" in ds:
            d = ds["demand_mw"]
            if ds is system:
                d = d.isel(time=window)
            demand = d.sel(region=region).values if region else d.sum("region").values
            break
    if demand is not None:
        ax.plot(x, demand, color="black", lw=1.2, label="demand")
    ax.set_ylabel("MW")
    where = region or "all regions"
    if window.stop - window.start == n_steps and n_steps > 1 and span_h > 8 * 24:
        where += ", whole year"
    ax.set_title(f"Dispatch, {where} — {res.attrs.get('scenario', '')}".rstrip(" —"))
    ax.legend(fontsize="x-small", ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.margins(x=0)
    return ax


def lng_inventory(results: xr.Dataset, sample: int | None = None, ax: Axes | None = None) -> Axes:
    """LNG in tanks through the year per hub (``lng_inventory_mwh_th``) against tank size.

    Plotted in GWh_th; the dashed line of the same colour is the tank ``tank_mwh_th``. The
    legend carries each hub's days of cover (``lng_days_of_cover``).
    """
    ax = ax_or_new(ax, (10, 4))
    res = drop_sample(results, sample)
    x = (
        pd.DatetimeIndex(res["timestamp"].values)
        if "timestamp" in res
        else np.arange(res.sizes["time"])
    )
    cmap = plt.get_cmap("tab10")
    for i, hub in enumerate(np.asarray(res["hub"].values).astype(str)):
        inv = res["lng_inventory_mwh_th"].sel(hub=hub).values / 1e3
        label = hub
        if "lng_days_of_cover" in res:
            days = float(res["lng_days_of_cover"].sel(hub=hub))
            label += f" ({days:.1f} d cover)" if np.isfinite(days) else " (no LNG plant)"
        ax.plot(x, inv, color=cmap(i % 10), label=label, lw=1.2)
        if "tank_mwh_th" in res:
            ax.axhline(
                float(res["tank_mwh_th"].sel(hub=hub)) / 1e3, color=cmap(i % 10), ls="--", lw=0.8
            )
    if isinstance(x, pd.DatetimeIndex):
        import matplotlib.dates as mdates

        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.set_ylabel("LNG in tanks (GWh_th)")
    ax.set_ylim(bottom=0)
    ax.set_title("LNG inventory through the year (dashed: tank size)")
    ax.legend(fontsize="small")
    ax.margins(x=0)
    return ax


def price_duration(
    results: xr.Dataset,
    system: xr.Dataset | None = None,
    regions: list[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Price duration curves: regional marginal prices sorted high to low over the year.

    x is cumulative hours ``sum h[t]`` of the sorted steps, so representative or resampled steps
    count for the hours they stand for. Prices above VOLL/10 are clipped to the axis limit.
    """
    ax = ax_or_new(ax, (8, 4))
    res = drop_sample(results, None)
    h = step_hours(res, system).values
    names = regions or list(np.asarray(res["region"].values).astype(str))
    cmap = plt.get_cmap("tab10")
    top = 0.0
    for i, region in enumerate(names):
        price = res["price_usd_per_mwh"].sel(region=region).values.astype(float)
        order = np.argsort(-price, kind="stable")
        hours = np.cumsum(h[order])
        ax.step(hours, price[order], where="pre", color=cmap(i % 10), label=region, lw=1.2)
        top = max(top, float(np.nanpercentile(price, 99.5)) if price.size else 0.0)
    ax.set_xlim(0, 8760)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]), top=max(top * 1.1, 1.0))
    ax.set_xlabel("hours of the year")
    ax.set_ylabel("price (USD/MWh)")
    ax.set_title("Price duration curves")
    ax.legend(fontsize="small")
    return ax
