"""Views of a pathway (issue 13): one Results with a ``period`` dimension, its investment
periods side by side — capacity by technology (existing fleet and what the horizon built), CO2
against the net-zero path, reserve margins by region against each period's target, and the
annual cost of each period with the discounted total.

The tables the figures draw (:func:`capacity_by_period`, :func:`emissions_by_period`,
:func:`margins_by_period`, :func:`cost_by_period`) are public, so that a figure can be checked
against its numbers and a notebook can print them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from energy_sim.analysis.labels import REGION_LATLON, colour, label_of, periods_of, tech_order
from energy_sim.analysis.plots.common import ax_or_new

#: Variables of each ``which`` of :func:`capacity_by_period`: (generation, storage power).
_CAPACITY_VARS = {
    "total": ("capacity_mw", "storage_power_mw"),
    "existing": ("capacity_existing_mw", "storage_power_existing_mw"),
    "new": ("capacity_new_mw", "storage_power_new_mw"),
    "built": ("capacity_built_mw", "storage_power_built_mw"),
}
#: Colour of a bar below its target (the single-year reserve-margin view's red).
BELOW = "#d62728"


def _require_pathway(results: xr.Dataset) -> list[int]:
    periods = periods_of(results)
    if "period" not in results.dims or not periods:
        raise ValueError(
            "not a pathway Results: no 'period' dimension (a single-year plan has its own views, "
            "plots.capacity_mix and plots.reserve_margin)"
        )
    return periods


def capacity_by_period(results: xr.Dataset, which: str = "total") -> pd.DataFrame:
    """Capacity by technology in each period, MW (generation plus storage power).

    Parameters
    ----------
    results
        A pathway Results (``period`` dimension).
    which
        ``"total"`` (``capacity_mw``: standing in the period), ``"existing"`` (the existing fleet
        still standing), ``"new"`` (standing capacity built in the horizon) or ``"built"`` (the
        vintage built in the period, ``capacity_built_mw``).

    Returns
    -------
    pandas.DataFrame
        One row per period, one column per technology (stacking order), MW; elements a period
        lacks count 0.
    """
    if which not in _CAPACITY_VARS:
        raise ValueError(f"which must be one of {sorted(_CAPACITY_VARS)}, got {which!r}")
    periods = _require_pathway(results)
    table = pd.DataFrame(index=pd.Index(periods, name="period"))
    for dim, var in zip(("gen", "storage"), _CAPACITY_VARS[which], strict=True):
        if var not in results or not results.sizes.get(dim, 0):
            continue
        values = results[var].fillna(0.0).transpose("period", dim).values
        frame = pd.DataFrame(
            np.asarray(values, dtype=float),
            index=table.index,
            columns=label_of(results, dim, "tech"),
        )
        table = table.add(frame.T.groupby(level=0).sum().T, fill_value=0.0)
    table = table.fillna(0.0)
    return table[tech_order(table.columns)]


def emissions_by_period(results: xr.Dataset) -> pd.DataFrame:
    """CO2 of each period by technology and its cap, tCO2/yr.

    Returns
    -------
    pandas.DataFrame
        One row per period; one column per emitting technology (``co2_t`` summed over its
        groups), then ``total`` and ``cap`` (``co2_cap_t``, NaN where the period has none).
    """
    periods = _require_pathway(results)
    co2 = results["co2_t"].fillna(0.0).transpose("period", "gen").values
    frame = pd.DataFrame(
        np.asarray(co2, dtype=float),
        index=pd.Index(periods, name="period"),
        columns=label_of(results, "gen", "tech"),
    )
    table = frame.T.groupby(level=0).sum().T
    table = table[[t for t in tech_order(table.columns) if (table[t] != 0).any()]]
    table["total"] = frame.sum(axis=1)
    cap = results["co2_cap_t"].values if "co2_cap_t" in results else np.full(len(periods), np.nan)
    table["cap"] = np.asarray(cap, dtype=float)
    return table


def margins_by_period(results: xr.Dataset) -> tuple[pd.DataFrame, pd.Series]:
    """Reserve margin of each region (and the system) in each period, and each period's target.

    Returns
    -------
    (pandas.DataFrame, pandas.Series)
        The margins (fractions): one row per period, one column per region in north-to-south
        order, then ``system`` (``reserve_margin_achieved``); and the target of each period
        (``reserve_margin_target``, else the ``reserve_margin`` attr, else 0.15).
    """
    periods = _require_pathway(results)
    index = pd.Index(periods, name="period")
    by_region = results["reserve_margin_by_region"].transpose("period", "region")
    regions = [str(r) for r in by_region["region"].values]
    table = pd.DataFrame(np.asarray(by_region.values, dtype=float), index=index, columns=regions)
    table = table[
        [r for r in REGION_LATLON if r in regions] + [r for r in regions if r not in REGION_LATLON]
    ]
    if "reserve_margin_achieved" in results:
        table["system"] = np.asarray(results["reserve_margin_achieved"].values, dtype=float)
    if "reserve_margin_target" in results:
        target = np.asarray(results["reserve_margin_target"].values, dtype=float)
    else:
        target = np.full(len(periods), float(results.attrs.get("reserve_margin", 0.15)))
    return table, pd.Series(target, index=index, name="target")


def cost_by_period(results: xr.Dataset) -> pd.DataFrame:
    """Undiscounted annual cost of each period by cost component, USD/yr (``cost_usd``)."""
    periods = _require_pathway(results)
    cost = results["cost_usd"].fillna(0.0).transpose("period", "cost_component")
    return pd.DataFrame(
        np.asarray(cost.values, dtype=float),
        index=pd.Index(periods, name="period"),
        columns=[str(c) for c in cost["cost_component"].values],
    )


def _period_axis(ax: Axes, periods: list[int]) -> np.ndarray:
    x = np.arange(len(periods))
    ax.set_xticks(x, [str(p) for p in periods])
    ax.set_xlabel("period")
    return x


def pathway_capacity(results: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Capacity by technology over the periods: stacked bars, GW, existing fleet hatched.

    Each period's bar is the capacity standing in it (``capacity_mw`` plus
    ``storage_power_mw``); within a technology's colour the existing fleet still standing
    (``capacity_existing_mw``) is the hatched, lighter part and the capacity the horizon built
    (``capacity_new_mw``) the solid part. The total is written on each bar. The bars are the
    containers of ``ax`` labelled ``"{tech} (existing)"`` and ``"{tech} (new)"``.
    """
    periods = _require_pathway(results)
    existing = capacity_by_period(results, "existing")
    new = capacity_by_period(results, "new")
    techs = [
        t
        for t in tech_order(set(existing.columns) | set(new.columns))
        if existing.get(t, pd.Series(0.0)).abs().sum() + new.get(t, pd.Series(0.0)).abs().sum() > 0
    ]
    ax = ax_or_new(ax, (9, 5))
    x = _period_axis(ax, periods)
    bottom = np.zeros(len(periods))
    for tech in techs:
        for part, table in (("existing", existing), ("new", new)):
            values = table.get(tech, pd.Series(0.0, index=table.index)).to_numpy() / 1e3
            style = (
                {"hatch": "//", "alpha": 0.55, "edgecolor": "white"}
                if part == "existing"
                else {"edgecolor": "white", "linewidth": 0.3}
            )
            ax.bar(
                x, values, bottom=bottom, width=0.65, color=colour(tech),
                label=f"{tech} ({part})", **style,
            )  # fmt: skip
            bottom += values
    for xi, total in zip(x, bottom, strict=True):
        ax.annotate(f"{total:,.0f}", (xi, total), ha="center", va="bottom", fontsize="small")
    handles = [Patch(color=colour(t), label=t) for t in reversed(techs)] + [
        Patch(facecolor="#bbbbbb", hatch="//", edgecolor="white", label="existing fleet"),
        Patch(facecolor="#555555", label="built in the horizon"),
    ]
    ax.legend(
        handles=handles, fontsize="x-small", ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1)
    )
    ax.set_ylim(top=max(float(bottom.max(initial=0.0)), 1e-3) * 1.1)
    ax.set_ylabel("capacity (GW)")
    ax.set_title("Capacity by technology and period")
    return ax


def pathway_emissions(results: xr.Dataset, ax: Axes | None = None) -> Axes:
    """CO2 of each period (Mt CO2/yr, stacked by technology) against the net-zero path.

    The path is the CO2 cap of each period (``co2_cap_t``) drawn as a black line through the
    periods that have one (the line's data are the caps in Mt); a period above its cap has its
    total written in red with "above cap". Periods whose cap is 0 are marked "net zero".
    """
    periods = _require_pathway(results)
    table = emissions_by_period(results)
    ax = ax_or_new(ax, (8, 4.5))
    x = _period_axis(ax, periods)
    bottom = np.zeros(len(periods))
    for tech in [c for c in table.columns if c not in ("total", "cap")]:
        values = table[tech].to_numpy() / 1e6
        ax.bar(x, values, bottom=bottom, width=0.6, color=colour(tech), label=tech)
        bottom += values
    total = table["total"].to_numpy() / 1e6
    cap = table["cap"].to_numpy() / 1e6
    has_cap = np.isfinite(cap)
    if has_cap.any():
        ax.plot(
            x[has_cap], cap[has_cap], color="black", ls="--", marker="o", lw=1.5,
            label="CO2 cap (net-zero path)", gid="co2_cap",
        )  # fmt: skip
    for xi, c in zip(x, cap, strict=True):
        if np.isfinite(c) and c == 0:
            ax.annotate(
                "net zero", (xi, 0), xytext=(10, 10), textcoords="offset points", fontsize="small"
            )
    for xi, t, c in zip(x, total, cap, strict=True):
        above = bool(np.isfinite(c) and t > c * (1 + 1e-9) + 1e-6)  # 1 t of slack
        ax.annotate(
            f"{t:,.1f}" + (" above cap" if above else ""),
            (xi, t),
            ha="center",
            va="bottom",
            fontsize="small",
            color=BELOW if above else "black",
            fontweight="bold" if above else "normal",
        )
    top = float(np.nanmax(np.concatenate([total, np.where(has_cap, cap, 0.0)]), initial=0.0))
    ax.set_ylim(0, max(top, 1e-3) * 1.15)
    ax.set_ylabel("CO2 (Mt/yr)")
    ax.set_title("CO2 emissions against the net-zero path")
    handles, labels = ax.get_legend_handles_labels()  # the stack's order, top first
    ax.legend(handles[::-1], labels[::-1], fontsize="x-small", loc="upper right")
    return ax


def pathway_reserve_margin(results: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Reserve margin by region and period against each period's target (%).

    One group of bars per region (and the system), one bar per period coloured by period; each
    bar's target (``reserve_margin_target`` of its period) is a short black tick across it
    (``gid`` ``"target {period}/{region}"``). A
    bar below its target has a red outline and a red value. The axis stops at
    ``max(4 x the highest target, 60%)``; taller bars are cut and labelled with their value, as
    :func:`energy_sim.analysis.plots.reserve_margin` does. Each bar's ``gid`` is
    ``"{period}/{region}"``.
    """
    periods = _require_pathway(results)
    table, target = margins_by_period(results)
    ax = ax_or_new(ax, (10, 4.5))
    regions = list(table.columns)
    n = len(periods)
    width = 0.8 / max(n, 1)
    cmap = plt.get_cmap("viridis")
    cap = max(4 * float(target.max()) * 100, 60.0)
    low = min(float(np.nanmin(table.to_numpy(), initial=0.0)) * 100 * 1.15, 0.0)
    x0 = np.arange(len(regions))
    for i, period in enumerate(periods):
        xs = x0 + (i - (n - 1) / 2) * width
        values = table.loc[period].to_numpy(dtype=float) * 100
        goal = float(target.loc[period]) * 100
        bars = ax.bar(
            xs, np.minimum(values, cap), width=width * 0.92,
            color=cmap(i / max(n - 1, 1) * 0.85), label=str(period),
        )  # fmt: skip
        for bar, region, xi, v in zip(bars, regions, xs, values, strict=True):
            bar.set_gid(f"{period}/{region}")
            below = bool(np.isfinite(v) and v < goal - 1e-7)
            if below:
                bar.set_edgecolor(BELOW)
                bar.set_linewidth(2.0)
            ax.plot(
                [xi - width / 2, xi + width / 2], [goal, goal], color="black", lw=1.2,
                gid=f"target {period}/{region}",
            )  # fmt: skip
            if v > cap:
                ax.annotate(f"{v:,.0f}%", (xi, cap), ha="center", va="top", rotation=90,
                            fontsize="x-small", color="white", fontweight="bold")  # fmt: skip
            elif below:
                ax.annotate(f"{v:.0f}%", (xi, v), ha="center", va="bottom" if v >= 0 else "top",
                            fontsize="x-small", color=BELOW, fontweight="bold")  # fmt: skip
    ax.plot([], [], color="black", lw=1.2, label="target of the period")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="white", edgecolor=BELOW, lw=2.0))
    labels.append("below target")
    ax.legend(
        handles, labels, fontsize="x-small", ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1)
    )
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set_ylim(low - 5.0 if low < 0 else 0.0, cap)
    ax.set_xticks(x0, regions, rotation=30, ha="right")
    ax.set_ylabel("reserve margin (%)")
    ax.set_title(f"Reserve margin by region and period (axis cut at {cap:.0f}%)")
    return ax


def pathway_cost(results: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Annual cost of each period by cost component (bn USD/yr), the discounted total in the title.

    Bars: ``cost_usd`` of each period (undiscounted, USD of the base year per year), stacked
    by component, the period's total written on top. Title: ``objective_usd`` (the pathway's
    discounted total), the discount rate and base year of the attrs.
    """
    periods = _require_pathway(results)
    table = cost_by_period(results) / 1e9
    ax = ax_or_new(ax, (8, 4.5))
    x = _period_axis(ax, periods)
    cmap = plt.get_cmap("tab10")
    up = np.zeros(len(periods))
    down = np.zeros(len(periods))
    for i, component in enumerate(table.columns):
        values = table[component].to_numpy()
        if not np.any(values != 0):
            continue
        base = np.where(values >= 0, up, down)
        ax.bar(x, values, bottom=base, width=0.6, color=cmap(i % 10),
               label=component.replace("_", " "))  # fmt: skip
        up += np.clip(values, 0, None)
        down += np.clip(values, None, 0)
    totals = table.sum(axis=1).to_numpy()
    for xi, t, top in zip(x, totals, up, strict=True):
        ax.annotate(f"{t:,.1f}", (xi, top), ha="center", va="bottom", fontsize="small")
    ax.set_ylim(top=max(float(up.max(initial=0.0)), 1e-3) * 1.12)
    ax.set_ylabel("annual cost (bn USD/yr)")
    objective = float(results.attrs.get("objective_usd", np.nan))
    rate = results.attrs.get("discount_rate")
    base_year = results.attrs.get("base_year")
    detail = ", ".join(
        part
        for part in (
            f"r = {float(rate):.1%}" if rate is not None else "",
            f"to {int(base_year)}" if base_year is not None else "",
        )
        if part
    )
    ax.set_title(
        "Annual cost per period — discounted total "
        + (f"{objective / 1e9:,.1f} bn USD" if np.isfinite(objective) else "not recorded")
        + (f" ({detail})" if detail else "")
    )
    handles, labels = ax.get_legend_handles_labels()  # the stack's order, top first
    ax.legend(
        handles[::-1], labels[::-1], fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1)
    )
    return ax


def pathway_figure(results: xr.Dataset, figsize: tuple[float, float] = (17, 10)) -> Figure:
    """The four pathway views in one 2x2 figure: capacity, emissions, reserve margin, cost.

    Returns the matplotlib Figure (drawn with :mod:`matplotlib.pyplot`, so a notebook shows it).
    """
    _require_pathway(results)
    fig, axes = plt.subplots(2, 2, figsize=figsize, constrained_layout=True)
    pathway_capacity(results, ax=axes[0, 0])
    pathway_emissions(results, ax=axes[0, 1])
    pathway_reserve_margin(results, ax=axes[1, 0])
    pathway_cost(results, ax=axes[1, 1])
    foresight = results.attrs.get("foresight")
    fig.suptitle(
        f"Pathway {results.attrs.get('scenario', '')}".rstrip()
        + (f" — {foresight} foresight" if foresight else "")
    )
    return fig
