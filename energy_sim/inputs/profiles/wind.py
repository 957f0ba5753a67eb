"""Hourly wind capacity factors: monsoon-driven Rician wind speeds through a regional fleet's
power curve, calibrated to an annual capacity factor (:func:`wind_cf`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.profiles.calendar import HOURS, monthly_to_daily, year_index
from energy_sim.inputs.profiles.calibration import check_regions
from energy_sim.inputs.profiles.stochastic import ar1, rng_for

__all__ = ["fleet_power_curve", "power_curve", "wind_cf"]

# Monthly mean wind speed relative to the annual mean: the NE monsoon (Nov-Mar) is strongest on
# the south-central coast, in the South and the Central Highlands; the SW monsoon (Jun-Sep) is
# weaker; April-May and October are calm transitions. An assumption of this project.
_WIND_MONTH: dict[str, list[float]] = {
    "north": [1.10, 1.05, 0.95, 0.90, 0.90, 1.00, 1.00, 0.90, 0.90, 1.05, 1.10, 1.10],
    "north_central": [1.15, 1.00, 0.90, 0.85, 0.85, 1.00, 1.10, 0.95, 0.90, 1.05, 1.20, 1.15],
    "central_central": [1.15, 1.00, 0.90, 0.85, 0.80, 1.00, 1.10, 1.05, 0.90, 1.00, 1.20, 1.20],
    "central_highlands": [1.40, 1.35, 1.15, 0.85, 0.70, 0.90, 1.00, 0.95, 0.80, 0.80, 1.10, 1.40],
    "south_central": [1.45, 1.40, 1.20, 0.85, 0.70, 0.95, 1.05, 1.00, 0.80, 0.75, 1.15, 1.40],
    "south": [1.35, 1.35, 1.20, 0.95, 0.75, 0.95, 1.05, 1.05, 0.85, 0.75, 0.95, 1.20],
}
#: Spread of the latent wind components around the prevailing (monsoon) wind.
_WIND_SPREAD = 0.5
#: Hour-to-hour persistence of the latent wind components.
_WIND_PHI = 0.95
_WIND_DEFAULT = list(np.mean(np.array(list(_WIND_MONTH.values())), axis=0))


def power_curve(v: np.ndarray, cut_in: float = 3.0, rated: float = 12.0, cut_out: float = 25.0):
    """Generic turbine power curve, per unit: ``(v^3 - v_in^3)/(v_r^3 - v_in^3)`` clipped to
    [0, 1], zero at and above cut-out."""
    p = (v**3 - cut_in**3) / (rated**3 - cut_in**3)
    return np.where(v >= cut_out, 0.0, np.clip(p, 0.0, 1.0))


#: Wind farm losses (wakes, electrical, unavailability): a regional fleet never quite reaches
#: its rating. An assumption.
_WIND_LOSSES = 0.90
_SPREAD_Z = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])


@functools.lru_cache(maxsize=4)
def _fleet_curve_table(rated: float) -> tuple[np.ndarray, np.ndarray]:
    v = np.linspace(0.0, 40.0, 4001)
    weights = np.exp(-0.5 * _SPREAD_Z**2)
    weights /= weights.sum()
    p = sum(
        w * power_curve(v * np.exp(0.15 * z), rated=rated)
        for z, w in zip(_SPREAD_Z, weights, strict=True)
    )
    p = _WIND_LOSSES * p
    v.flags.writeable = False
    p.flags.writeable = False
    return v, p


def fleet_power_curve(v: np.ndarray, rated: float = 12.0) -> np.ndarray:
    """Power curve of a region's wind fleet, per unit of its capacity:
    ``P_fleet(v) = losses * E[P(v * exp(0.15 Z))]`` for a standard normal ``Z`` (the spread of
    local speeds across the region's sites), tabulated and interpolated; ``losses`` = 0.90."""
    grid, p = _fleet_curve_table(float(rated))
    x = np.clip(np.asarray(v, dtype=float) / grid[1], 0.0, grid.size - 1.000001)
    i = x.astype(np.intp)  # uniform grid: linear interpolation by index, no search
    f = x - i
    return p[i] * (1.0 - f) + p[i + 1] * f


def _wind_speed_unit(region: str, year: int, seed: int, offshore: bool, common) -> np.ndarray:
    """Wind speed of one region in units of its scale ``c``: a Rician speed
    ``|(1 + a z1, a z2)|`` of two latent AR(1) components (0.95 per hour), each a mix of a national
    synoptic part and a regional part, times monsoon month and diurnal factors."""
    kind = "wind_offshore" if offshore else "wind_onshore"
    rng = rng_for(seed, kind, region)
    own = ar1(rng.standard_normal((2, HOURS)), _WIND_PHI)
    z = np.sqrt(0.5) * common + np.sqrt(0.5) * own
    speed = np.hypot(1.0 + _WIND_SPREAD * z[0], _WIND_SPREAD * z[1])
    month = np.repeat(monthly_to_daily(_WIND_MONTH.get(region, _WIND_DEFAULT), year), 24)
    if offshore:
        month = month**1.2  # the monsoon is felt more strongly at sea
    hour = np.tile(np.arange(24) + 0.5, 365)
    diurnal = 1.0 + (0.04 if offshore else 0.12) * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    return speed * month * diurnal


def wind_cf(
    regions: Sequence[str],
    year: int,
    seed: int,
    target_cf: Mapping[str, float],
    offshore: bool = False,
) -> pd.DataFrame:
    """Hourly wind capacity factor per region (0..1).

    ``cf_r[t] = P(c_r * u_r[t])`` with ``u_r`` from :func:`_wind_speed_unit`, ``P`` the
    :func:`fleet_power_curve` and the speed scale ``c_r`` (m/s) found by bisection so that
    ``mean_t cf_r = target_cf[r]``.
    """
    check_regions(regions, target_cf, "target_cf")
    kind = "wind_offshore" if offshore else "wind_onshore"
    common = ar1(rng_for(seed, kind, "__national__").standard_normal((2, HOURS)), _WIND_PHI)
    rated = 13.0 if offshore else 12.0
    cols = {}
    for r in regions:
        u = _wind_speed_unit(r, year, seed, offshore, common)
        target = float(target_cf[r])
        grid = np.geomspace(0.3, 30.0, 24)
        cf_grid = np.array([fleet_power_curve(c * u, rated).mean() for c in grid])
        best = int(np.argmax(cf_grid))
        if not (0.0 < target < cf_grid[best]):
            raise InputError(
                "annual capacity factor cannot be reached",
                field=f"{kind}_cf.{r}",
                value=target,
                allowed=f"greater than 0 and below {cf_grid[best]:.3f}",
            )
        lo = grid[0] / 10.0
        hi = grid[best]
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if fleet_power_curve(mid * u, rated).mean() < target:
                lo = mid
            else:
                hi = mid
        cols[r] = fleet_power_curve(0.5 * (lo + hi) * u, rated)
    return pd.DataFrame(cols, index=year_index(year), columns=list(regions))
