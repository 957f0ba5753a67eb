"""What the analysts' views share: how technologies and regions are ordered, coloured and
placed on the map, the region and technology of each group, the ends of each corridor, the
hours of the year each step stands for, and one period of a pathway Results.

:mod:`energy_sim.analysis.plots` and :mod:`energy_sim.analysis.compare` both build on these, so
neither imports the other's internals.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

#: Regions of the model in north-to-south order, with approximate (lat, lon) of their load centre.
REGION_LATLON: dict[str, tuple[float, float]] = {
    "north": (21.0, 105.8),
    "north_central": (18.7, 105.7),
    "central_central": (16.1, 108.2),
    "central_highlands": (12.7, 108.0),
    "south_central": (11.6, 109.0),
    "south": (10.8, 106.7),
}

#: One colour per technology, grouped by family (fossil dark/warm, clean green/blue/yellow).
TECH_COLOURS: dict[str, str] = {
    "nuclear": "#7b3294",
    "coal": "#4d4d4d",
    "ccgt_gas": "#d95f02",
    "ccgt_lng": "#e6850e",
    "ocgt": "#f4b183",
    "oil": "#8c510a",
    "hydro_reservoir": "#1f78b4",
    "hydro_ror": "#6baed6",
    "pumped_hydro": "#08519c",
    "biomass": "#4d9221",
    "waste": "#7fbc41",
    "wind_onshore": "#35978f",
    "wind_offshore": "#01665e",
    "solar_utility": "#fdd835",
    "solar_rooftop": "#ffee88",
    "battery_2h": "#c51b7d",
    "battery_4h": "#de77ae",
    "import_laos": "#9e9ac8",
    "import_china": "#bcbddc",
    "shed": "#e41a1c",
}

#: Stacking order of a dispatch stack: baseload at the bottom, peakers and storage on top.
TECH_ORDER: list[str] = [
    "nuclear",
    "coal",
    "biomass",
    "waste",
    "hydro_ror",
    "ccgt_gas",
    "ccgt_lng",
    "import_laos",
    "import_china",
    "wind_onshore",
    "wind_offshore",
    "solar_utility",
    "solar_rooftop",
    "hydro_reservoir",
    "ocgt",
    "oil",
    "pumped_hydro",
    "battery_2h",
    "battery_4h",
]


def tech_order(techs: Any) -> list[str]:
    """Technologies in stacking order (:data:`TECH_ORDER`, unknown ones last, by name)."""
    rank = {t: i for i, t in enumerate(TECH_ORDER)}
    return sorted({str(t) for t in techs}, key=lambda t: (rank.get(t, len(rank)), t))


def colour(tech: str) -> str:
    """Colour of a technology (grey for one this module does not know)."""
    return TECH_COLOURS.get(tech, "#999999")


def label_of(ds: xr.Dataset, dim: str, part: str) -> np.ndarray:
    """Region or technology label of each ``gen``/``storage`` group.

    Uses the ``gen_region``/``gen_tech`` (``storage_region``/``storage_tech``) coordinates when
    present, else splits the group id ``"{region}/{tech}"``.
    """
    name = f"{dim}_{part}"
    if name in ds:
        return np.asarray(ds[name].values).astype(str)
    ids = np.asarray(ds[dim].values).astype(str)
    index = 0 if part == "region" else 1
    return np.array([i.split("/", 1)[index] if "/" in i else i for i in ids])


def corridor_ends(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Regions ``a(l)`` and ``b(l)`` of each corridor (coords, else split ``"{a}-{b}"``)."""
    if "corridor_from" in ds and "corridor_to" in ds:
        return (
            np.asarray(ds["corridor_from"].values).astype(str),
            np.asarray(ds["corridor_to"].values).astype(str),
        )
    ids = np.asarray(ds["corridor"].values).astype(str)
    pairs = [i.split("-", 1) for i in ids]
    return np.array([p[0] for p in pairs]), np.array([p[-1] for p in pairs])


def step_hours(results: xr.Dataset, system: xr.Dataset | None = None) -> xr.DataArray:
    """Hours of the year each step stands for: ``h[t] = w[t]*dt[t]``, ``sum_t h[t] = 8760``."""
    for ds in (results, system):
        if ds is not None and "weight" in ds and "dt_h" in ds:
            return (ds["weight"] * ds["dt_h"]).reindex(time=results["time"])
    n = results.sizes["time"]
    return xr.DataArray(np.full(n, 8760.0 / n), dims="time", coords={"time": results["time"]})


def by_tech(da: xr.DataArray, ds: xr.Dataset, dim: str = "gen") -> xr.DataArray:
    """Sum a ``gen`` (or ``storage``) indexed array over groups of the same technology."""
    tech = xr.DataArray(label_of(ds, dim, "tech"), dims=dim, coords={dim: ds[dim]})
    return da.groupby(tech.rename("tech")).sum(dim)


def is_pathway(ds: xr.Dataset) -> bool:
    """Whether a Results is a pathway (``kind == "pathway"`` or a ``period`` dimension)."""
    return ds.attrs.get("kind") == "pathway" or "period" in ds.dims


def periods_of(ds: xr.Dataset) -> list[int]:
    """The investment periods of a pathway Results, in order (``[]`` for a single-year plan)."""
    if "period" in ds.dims:
        return [int(p) for p in np.asarray(ds["period"].values)]
    listed = ds.attrs.get("periods", [])
    if isinstance(listed, str):  # NetCDF writers store a list attr as JSON text
        listed = json.loads(listed or "[]")
    return [int(p) for p in np.atleast_1d(listed)]
