"""Analysts' plots, all computed from Results datasets (never from solver objects).

Every function takes a Results dataset (and the System where it needs inputs that Results do
not carry), an optional matplotlib ``ax`` and returns the Axes it drew on, so that plots
compose into a figure::

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    plots.capacity_mix(results, system, ax=axes[0])
    plots.reserve_margin(results, ax=axes[1])

Annual quantities use the step weights of the run: ``annual(x) = sum_t w[t]*dt[t]*x[t]``
(MODEL.md). Results carry ``weight`` and ``dt_h`` when the writer copied them; otherwise the
System's are used; failing both, every step stands for ``8760 / n_steps`` hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from energy_sim.analysis.labels import (
    REGION_LATLON,
    by_tech,
    colour,
    corridor_ends,
    label_of,
    step_hours,
    tech_order,
)


def _ax(ax: Axes | None, figsize: tuple[float, float] = (8, 4.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _demand(results: xr.Dataset, system: xr.Dataset | None) -> xr.DataArray | None:
    for ds in (results, system):
        if ds is not None and "demand_mw" in ds:
            return ds["demand_mw"].sum("region")
    return None


def _drop_sample(results: xr.Dataset, sample: int | None) -> xr.Dataset:
    if "sample" in results.dims:
        return results.isel(sample=sample or 0)
    return results


def capacity_mix(
    results: xr.Dataset, system: xr.Dataset | None = None, ax: Axes | None = None
) -> Axes:
    """Installed capacity by technology, stacked by region, against the PDP8 national ranges.

    Bar height of technology ``k``: ``sum_{g of k} cap[g]`` (``capacity_mw`` plus
    ``storage_power_mw``), split by region. The range ``[build_min_mw[k], build_max_mw[k]]``
    (from the System, or from Results if the writer copied it) is drawn as a black bracket;
    an open upper bound is drawn as an arrow.
    """
    ax = _ax(ax, (10, 4.5))
    frames = [
        pd.DataFrame(
            {
                "tech": label_of(results, "gen", "tech"),
                "region": label_of(results, "gen", "region"),
                "mw": np.asarray(results["capacity_mw"].values, dtype=float),
            }
        )
    ]
    if "storage_power_mw" in results and results.sizes.get("storage", 0):
        frames.append(
            pd.DataFrame(
                {
                    "tech": label_of(results, "storage", "tech"),
                    "region": label_of(results, "storage", "region"),
                    "mw": np.asarray(results["storage_power_mw"].values, dtype=float),
                }
            )
        )
    table = pd.concat(frames).pivot_table(
        index="tech", columns="region", values="mw", aggfunc="sum", fill_value=0.0
    )
    table = table.loc[[t for t in tech_order(table.index) if table.loc[t].sum() > 0]]
    regions = [r for r in REGION_LATLON if r in table.columns] + [
        r for r in table.columns if r not in REGION_LATLON
    ]
    x = np.arange(len(table.index))
    bottom = np.zeros(len(x))
    cmap = plt.get_cmap("tab10")
    for i, region in enumerate(regions):
        values = table[region].to_numpy() / 1e3
        ax.bar(x, values, bottom=bottom, color=cmap(i % 10), label=region, width=0.7)
        bottom += values
    ranges = pdp8_ranges(results, system)
    drew_range = False
    for i, tech in enumerate(table.index):
        if ranges is None or tech not in ranges.index:
            continue
        lo, hi = ranges.loc[tech, "min_mw"] / 1e3, ranges.loc[tech, "max_mw"] / 1e3
        if lo <= 0 and not np.isfinite(hi):
            continue
        top = hi if np.isfinite(hi) else max(lo, bottom[i]) * 1.15 + 0.5
        # the bracket runs up the right edge of the bar, its caps span the bar
        edge = i + 0.38
        ax.plot([edge, edge], [lo, top], color="black", lw=1.6, zorder=5)
        ax.plot([i - 0.38, edge], [lo, lo], color="black", lw=1.6, zorder=5)
        if np.isfinite(hi):
            ax.plot([i - 0.38, edge], [hi, hi], color="black", lw=1.6, zorder=5)
        else:
            ax.annotate("", (edge, top + 0.5), (edge, top), arrowprops={"arrowstyle": "->"})
        drew_range = True
    if drew_range:
        ax.plot([], [], color="black", lw=1.6, label="PDP8 range")
    ax.set_xticks(x, table.index, rotation=45, ha="right")
    ax.set_ylabel("capacity (GW)")
    ax.set_title(f"Capacity mix by region — {results.attrs.get('scenario', '')}".rstrip(" —"))
    ax.legend(fontsize="small", ncol=2)
    return ax


def pdp8_ranges(results: xr.Dataset, system: xr.Dataset | None = None) -> pd.DataFrame | None:
    """National build ranges per technology as a table ``min_mw, max_mw`` (None if unknown)."""
    for ds in (system, results):
        if ds is not None and "build_min_mw" in ds and "build_max_mw" in ds:
            return pd.DataFrame(
                {
                    "min_mw": ds["build_min_mw"].to_series().astype(float),
                    "max_mw": ds["build_max_mw"].to_series().astype(float),
                }
            )
    return None


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
        load = _demand(results, system)
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
    ax = _ax(ax, (11, 4.5))
    res = _drop_sample(results, sample)
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


def reserve_margin(
    results: xr.Dataset, target: float | None = None, ax: Axes | None = None
) -> Axes:
    """Achieved planning reserve margin by region and system-wide against the target (15%).

    Regional margin (MODEL.md constraint 7): ``(firm_r + imports credit_r) / peak_r - 1``, read
    from ``reserve_margin_by_region``; the system bar is ``reserve_margin_achieved``. Bars below
    the target are red, at or above it green. The axis stops at ``max(4 x target, 60%)``; taller
    bars are cut and labelled with their value.
    """
    ax = _ax(ax, (8, 4))
    target = float(results.attrs.get("reserve_margin", 0.15) if target is None else target)
    series = results["reserve_margin_by_region"].to_series().astype(float)
    series.index = series.index.astype(str)
    if "reserve_margin_achieved" in results:
        series["system"] = float(results["reserve_margin_achieved"])
    colours = ["#2ca02c" if v >= target - 1e-9 else "#d62728" for v in series.to_numpy()]
    x = np.arange(len(series))
    ax.bar(x, series.to_numpy() * 100, color=colours)
    ax.axhline(target * 100, color="black", ls="--", lw=1.2, label=f"target {target:.0%}")
    # regions that import most of their firm capacity can show margins of several hundred
    # percent; cut the axis so the target stays readable and label the cut bars with their value
    values = series.to_numpy() * 100
    cap = max(4 * target * 100, 60.0)
    top = min(float(np.nanmax(values, initial=0.0)), cap) * 1.12 + 1.0
    for xi, v in zip(x, values, strict=True):
        cut = v > top
        ax.annotate(
            f"{v:.0f}%" + (" ↑" if cut else ""),
            (xi, min(v, top * 0.97)),
            ha="center",
            va="top" if cut or v < 0 else "bottom",
            fontsize="small",
            color="white" if cut else "black",
            fontweight="bold" if cut else "normal",
        )
    ax.set_ylim(top=top)
    ax.set_xticks(x, series.index, rotation=30, ha="right")
    ax.set_ylabel("reserve margin (%)")
    ax.set_title("Planning reserve margin vs target")
    ax.legend(fontsize="small")
    return ax


def corridor_utilisation(results: xr.Dataset, system: xr.Dataset | None = None) -> pd.DataFrame:
    """Per corridor: capacity, annual flows each way, net flow and utilisation.

    ``util[l] = sum_t h[t]*(fwd[l,t] + rev[l,t]) / (8760 * fcap[l])`` and the share of hours at
    the limit, ``sum_t h[t]*[max(fwd,rev) >= 0.999*fcap] / 8760``.
    """
    h = step_hours(results, system)
    res = _drop_sample(results, None)
    cap = res["corridor_capacity_mw"].values.astype(float)
    fwd, rev = res["flow_fwd_mw"], res["flow_rev_mw"]
    fwd_mwh = (fwd * h).sum("time").values
    rev_mwh = (rev * h).sum("time").values
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(cap > 0, (fwd_mwh + rev_mwh) / (h.sum().item() * cap), 0.0)
        at_limit = ((np.maximum(fwd, rev) >= 0.999 * xr.DataArray(cap, dims="corridor")) * h).sum(
            "time"
        ).values / h.sum().item()
    a, b = corridor_ends(res)
    return pd.DataFrame(
        {
            "from": a,
            "to": b,
            "capacity_mw": cap,
            "new_mw": res["corridor_capacity_new_mw"].values
            if "corridor_capacity_new_mw" in res
            else np.nan,
            "flow_fwd_mwh": fwd_mwh,
            "flow_rev_mwh": rev_mwh,
            "net_mwh": fwd_mwh - rev_mwh,
            "utilisation": util,
            "share_hours_at_limit": np.where(cap > 0, at_limit, 0.0),
        },
        index=pd.Index(np.asarray(res["corridor"].values).astype(str), name="corridor"),
    )


def corridor_map(
    results: xr.Dataset, system: xr.Dataset | None = None, ax: Axes | None = None
) -> Axes:
    """Schematic map of the six regions with corridor capacity, net flow and utilisation.

    Regions sit at their approximate latitude/longitude (:data:`REGION_LATLON`). Each corridor
    is a line whose width grows with ``fcap`` and whose colour is the utilisation of
    :func:`corridor_utilisation`; the arrow points along the annual net flow; the label gives
    ``capacity GW · utilisation %``.
    """
    ax = _ax(ax, (5.5, 7))
    table = corridor_utilisation(results, system)
    cmap = plt.get_cmap("viridis")
    cap_max = max(float(table["capacity_mw"].max()), 1.0)
    for name, row in table.iterrows():
        if row["from"] not in REGION_LATLON or row["to"] not in REGION_LATLON:
            continue
        (ya, xa), (yb, xb) = REGION_LATLON[row["from"]], REGION_LATLON[row["to"]]
        # label beside the line (on its left seen from a to b), so crossing corridors stay legible
        length = max(np.hypot(xb - xa, yb - ya), 1e-9)
        label_x = (xa + xb) / 2 - 0.22 * (yb - ya) / length
        label_y = (ya + yb) / 2 + 0.22 * (xb - xa) / length
        if row["net_mwh"] < 0:
            (xa, ya), (xb, yb) = (xb, yb), (xa, ya)
        width = 1.0 + 7.0 * row["capacity_mw"] / cap_max
        rgba = cmap(min(max(row["utilisation"], 0.0), 1.0))
        ax.annotate(
            "",
            (xb, yb),
            (xa, ya),
            arrowprops={
                "arrowstyle": "-|>",
                "lw": width,
                "color": rgba,
                "shrinkA": 12,
                "shrinkB": 12,
                "mutation_scale": 10 + width * 2,
            },
            zorder=2,
        )
        ax.text(
            label_x,
            label_y,
            f"{row['capacity_mw'] / 1e3:.1f} GW\n{row['utilisation']:.0%}",
            fontsize="x-small",
            ha="center",
            va="center",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=4,
            gid=f"corridor:{name}",
        )
    for region, (lat, lon) in REGION_LATLON.items():
        ax.scatter([lon], [lat], s=260, color="#444444", zorder=3)
        left = region in ("central_highlands", "south")  # the crowded south: names outside
        ax.text(
            lon - 0.35 if left else lon + 0.35,
            lat,
            region.replace("_", " "),
            fontsize="small",
            va="center",
            ha="right" if left else "left",
            zorder=4,
        )
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    ax.figure.colorbar(sm, ax=ax, fraction=0.04, label="corridor utilisation")
    ax.set_xlim(104.5, 111.5)
    ax.set_ylim(9.8, 22.0)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title("Corridors: capacity, net flow, utilisation")
    return ax


def lng_inventory(results: xr.Dataset, sample: int | None = None, ax: Axes | None = None) -> Axes:
    """LNG in tanks through the year per hub (``lng_inventory_mwh_th``) against tank size.

    Plotted in GWh_th; the dashed line of the same colour is the tank ``tank_mwh_th``. The
    legend carries each hub's days of cover (``lng_days_of_cover``).
    """
    ax = _ax(ax, (10, 4))
    res = _drop_sample(results, sample)
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
    ax = _ax(ax, (8, 4))
    res = _drop_sample(results, None)
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


def adequacy(
    assessments: Mapping[str, Mapping[str, Any]] | Mapping[str, Any],
    by: str = "region",
    ax: Axes | None = None,
) -> Axes:
    """LOLE and EUE by region (one assessment) or by stress test (several), as twin bars.

    ``assessments``: one summary (mapping with ``lole_h``/``eue_mwh`` and per-region
    ``lole_h_by_region``/``eue_mwh_by_region``; see :func:`energy_sim.analysis.compare.adequacy_table`) or a
    mapping ``name -> summary``. ``by="region"`` draws the regions of the first summary;
    ``by="stress"`` draws the system-wide figures of each summary. Error bars are the standard
    errors of the mean where given.
    """
    from energy_sim.analysis.compare import adequacy_table

    if by not in ("region", "stress"):
        raise ValueError(f"by must be 'region' or 'stress', got {by!r}")
    table = adequacy_table(assessments, by=by)
    ax = _ax(ax, (8, 4))
    x = np.arange(len(table))
    w = 0.4
    ax.bar(
        x - w / 2,
        table["lole_h"],
        width=w,
        color="#d95f02",
        label="LOLE (h/yr)",
        yerr=table.get("lole_se_h"),
    )
    ax.set_ylabel("LOLE (h/yr)")
    twin = ax.twinx()
    twin.bar(
        x + w / 2,
        table["eue_mwh"] / 1e3,
        width=w,
        color="#7570b3",
        label="EUE (GWh/yr)",
        yerr=None if "eue_se_mwh" not in table else table["eue_se_mwh"] / 1e3,
    )
    twin.set_ylabel("EUE (GWh/yr)")
    ax.set_xticks(x, table.index, rotation=30, ha="right")
    ax.set_title("Adequacy by " + ("region" if by == "region" else "stress test"))
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, ["LOLE (h/yr)", "EUE (GWh/yr)"], fontsize="small", loc="upper left")
    ax.set_ylim(bottom=0)
    twin.set_ylim(bottom=0)
    return ax
