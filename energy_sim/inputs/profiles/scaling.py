"""Scaling a demand shape to annual energy and peak: one region (:func:`scale_demand`) or all
regions to the national coincident peak (:func:`scale_regional_demand`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.profiles.calibration import bisect_decreasing, check_regions

__all__ = ["scale_demand", "scale_regional_demand"]


def scale_demand(
    shape: np.ndarray, energy_mwh: float, peak_mw: float, *, field: str = "demand"
) -> np.ndarray:
    """Scale a shape so annual energy and peak both match.

    ``x[t] = peak * (s[t] / max s)^k`` with ``k`` found by bisection on ``[1/8, 8]`` so that
    ``mean_t (s/max s)^k = energy / (8760 * peak)`` (the target load factor); then
    ``sum_t x = energy`` and ``max_t x = peak``.

    Raises
    ------
    InputError
        Non-positive energy or peak, a shape that is not finite and >= 0 with a positive
        maximum, or a load factor outside the range the shape can reach.
    """
    s = np.asarray(shape, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise InputError("demand shape must be one non-empty series", field=field, value=s.shape)
    if not np.all(np.isfinite(s)) or s.min() < 0 or s.max() <= 0:
        raise InputError(
            "demand shape must be finite, >= 0 and not all zero",
            field=field,
            allowed="numbers >= 0",
        )
    for name, v in (("energy_mwh", energy_mwh), ("peak_mw", peak_mw)):
        if not np.isfinite(v) or v <= 0:
            raise InputError("must be a positive number", field=f"{field}.{name}", value=v)
    n = s.size
    lf = float(energy_mwh) / (n * float(peak_mw))
    u = s / s.max()
    k = bisect_decreasing(
        lambda k: float(np.mean(u**k)), lf, 1.0 / 8.0, 8.0, f"{field}.load_factor"
    )
    x = float(peak_mw) * u**k
    return x * (float(energy_mwh) / x.sum()) if abs(x.sum() / energy_mwh - 1) > 1e-12 else x


def scale_regional_demand(
    shape: pd.DataFrame, energy_mwh: Mapping[str, float], coincident_peak_mw: float
) -> pd.DataFrame:
    """Scale regional shapes to their annual energy and the national *coincident* peak.

    ``x_r[t] = E_r * s_r[t]^k / sum_t s_r^k`` with one exponent ``k`` for all regions, found by
    bisection so that ``max_t sum_r x_r[t] = coincident_peak_mw``. Energies match exactly;
    regional peaks follow from the shapes.
    """
    regions = list(shape.columns)
    check_regions(regions, energy_mwh, "energy_mwh")
    s = shape.to_numpy(dtype=float)
    if s.size == 0 or not np.all(np.isfinite(s)) or s.min() < 0 or np.any(s.max(axis=0) <= 0):
        raise InputError(
            "demand shape must be finite, >= 0 and not all zero in any region",
            field="demand",
            allowed="numbers >= 0",
        )
    if not np.isfinite(coincident_peak_mw) or coincident_peak_mw <= 0:
        raise InputError(
            "must be a positive number", field="demand.peak_mw", value=coincident_peak_mw
        )
    s = s / s.max(axis=0)
    e = np.array([float(energy_mwh[r]) for r in regions])
    if np.any(~np.isfinite(e)) or np.any(e < 0) or e.sum() <= 0:
        raise InputError("regional energy must be >= 0 and not all zero", field="energy_mwh")
    target = e.sum() / (s.shape[0] * float(coincident_peak_mw))

    def lf(k: float) -> float:
        x = s**k
        d = (x / x.sum(axis=0)) @ e
        return float(d.sum() / (s.shape[0] * d.max()))

    k = bisect_decreasing(lf, target, 1.0 / 8.0, 8.0, "demand.load_factor")
    x = s**k
    return pd.DataFrame(x / x.sum(axis=0) * e, index=shape.index, columns=regions)
