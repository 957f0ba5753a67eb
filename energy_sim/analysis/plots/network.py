"""Views of the inter-regional network: each corridor's capacity, flows, utilisation and hours
at its limit (:func:`corridor_utilisation`), drawn on a schematic map (:func:`corridor_map`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from energy_sim.analysis.labels import (
    REGION_LATLON,
    corridor_ends,
    step_hours,
)
from energy_sim.analysis.plots.common import ax_or_new, drop_sample


def corridor_utilisation(results: xr.Dataset, system: xr.Dataset | None = None) -> pd.DataFrame:
    """Per corridor: capacity, annual flows each way, net flow and utilisation.

    ``util[l] = sum_t h[t]*(fwd[l,t] + rev[l,t]) / (8760 * fcap[l])`` and the share of hours at
    the limit, ``sum_t h[t]*[max(fwd,rev) >= 0.999*fcap] / 8760``.
    """
    h = step_hours(results, system)
    res = drop_sample(results, None)
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
    ax = ax_or_new(ax, (5.5, 7))
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
