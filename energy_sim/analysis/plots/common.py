"""What the plots share: a new Axes when none is given, the total demand of a run, and one
sample of a many-sample Results."""

from __future__ import annotations

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.axes import Axes


def ax_or_new(ax: Axes | None, figsize: tuple[float, float] = (8, 4.5)) -> Axes:
    """``ax``, or the Axes of a new figure of ``figsize``."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def demand_total(results: xr.Dataset, system: xr.Dataset | None) -> xr.DataArray | None:
    """National demand per step, from the Results or else the System (None if neither has it)."""
    for ds in (results, system):
        if ds is not None and "demand_mw" in ds:
            return ds["demand_mw"].sum("region")
    return None


def drop_sample(results: xr.Dataset, sample: int | None) -> xr.Dataset:
    """Sample ``sample`` (default 0) of a many-sample Results; a one-sample Results as it is."""
    if "sample" in results.dims:
        return results.isel(sample=sample or 0)
    return results
