"""Views of a plan and its security: capacity by technology and region against the PDP8
ranges, the planning reserve margin by region, and adequacy (LOLE, EUE) by stress test or region.
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
    label_of,
    tech_order,
)
from energy_sim.analysis.plots.common import ax_or_new


def capacity_mix(
    results: xr.Dataset, system: xr.Dataset | None = None, ax: Axes | None = None
) -> Axes:
    """Installed capacity by technology, stacked by region, against the PDP8 national ranges.

    Bar height of technology ``k``: ``sum_{g of k} cap[g]`` (``capacity_mw`` plus
    ``storage_power_mw``), split by region. The range ``[build_min_mw[k], build_max_mw[k]]``
    (from the System, or from Results if the writer copied it) is drawn as a black bracket;
    an open upper bound is drawn as an arrow.
    """
    ax = ax_or_new(ax, (10, 4.5))
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


def reserve_margin(
    results: xr.Dataset, target: float | None = None, ax: Axes | None = None
) -> Axes:
    """Achieved planning reserve margin by region and system-wide against the target (15%).

    Regional margin (MODEL.md constraint 7): ``(firm_r + imports credit_r) / peak_r - 1``, read
    from ``reserve_margin_by_region``; the system bar is ``reserve_margin_achieved``. Bars below
    the target are red, at or above it green. The axis stops at ``max(4 x target, 60%)``; taller
    bars are cut and labelled with their value.
    """
    ax = ax_or_new(ax, (8, 4))
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
    ax = ax_or_new(ax, (8, 4))
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
