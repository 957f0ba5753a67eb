"""Hourly demand shape per region: the working day, cooling load, monsoon seasons and Tet,
calibrated to the national load factor (:func:`demand_shape`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from energy_sim.inputs.profiles.calendar import HOURS, public_holidays, tet_date, year_index
from energy_sim.inputs.profiles.calibration import bisect_decreasing, check_regions
from energy_sim.inputs.profiles.stochastic import ar1, logistic, rng_for

__all__ = ["ENERGY_SHARE", "TARGET_LOAD_FACTOR", "demand_shape"]

#: Energy shares of the six PDP8 regions [M, SWITCH-Vietnam 2050 loads] (shared/DATA.md): the
#: default of :func:`demand_shape` when no shares are given. The System uses the shares of the
#: scenario year from data/vietnam/demand_regions.csv instead (2025 calibrated, 2050 these).
ENERGY_SHARE = {
    "north": 0.376,
    "north_central": 0.084,
    "central_central": 0.049,
    "central_highlands": 0.029,
    "south_central": 0.066,
    "south": 0.397,
}
#: National load factor of revised PDP8 2030: 560.4 TWh / (8760 h * 89,655 MW) [V].
TARGET_LOAD_FACTOR = 560.4e6 / (HOURS * 89_655.0)

# Regional behaviour: hour of the cooling (midday) peak, its amplitude, hour and amplitude of the
# evening shoulder, depth of the cool-winter dip, and a dry-season irrigation bump (coffee in the
# Central Highlands, Feb-Apr). Assumptions of this project, chosen to give the published national
# shape (midday peak in May-July, evening shoulder ~20-22 h, North's cool winter).
_DEMAND_STYLE: dict[str, dict[str, float]] = {
    "north": dict(noon=14.0, cool=0.30, eve=20.5, eve_amp=0.10, winter=0.20, irrig=0.0),
    "north_central": dict(noon=13.5, cool=0.24, eve=20.0, eve_amp=0.13, winter=0.13, irrig=0.0),
    "central_central": dict(noon=13.0, cool=0.22, eve=19.5, eve_amp=0.14, winter=0.07, irrig=0.0),
    "central_highlands": dict(
        noon=11.0, cool=0.10, eve=19.0, eve_amp=0.20, winter=0.03, irrig=0.10
    ),
    "south_central": dict(noon=12.5, cool=0.18, eve=19.5, eve_amp=0.14, winter=0.03, irrig=0.0),
    "south": dict(noon=13.5, cool=0.22, eve=21.0, eve_amp=0.08, winter=0.02, irrig=0.0),
}

# Daily demand multiplier around Tet, by day offset from the first day of the lunar year.
_TET_OFFSETS = np.arange(-7, 10)
_TET_FACTOR = np.array(
    [0.98, 0.97, 0.95, 0.92, 0.88, 0.82, 0.76]  # the week before (last day: New Year's Eve)
    + [0.66, 0.66, 0.69, 0.74, 0.80, 0.86, 0.91, 0.94, 0.96, 0.98]  # Tet and the return to work
)


#: Day of year at the middle of the hot season: ``a + b (latitude - 10)`` (mid-June in the
#: North, early May in the South).
_HOT_CENTRE = (120.0, 4.0)
#: Sharpness of the hot-season bump (von Mises concentration), the share of the day-to-day
#: weather that is national rather than regional, and the spread of the cooling load by weather.
#: data/vietnam/demand_regions.csv's 2025 shares are calibrated to the shapes these values give
#: (the grid operator's North peak of 2025, data/SOURCES.md).
_HOT_KAPPA = 2.5
_NATIONAL_WEATHER = 0.4
_COOL_NOISE = 0.3


def _style(region: str, latitude: float) -> dict[str, float]:
    if region in _DEMAND_STYLE:
        return _DEMAND_STYLE[region]
    north = float(np.clip((latitude - 10.0) / 11.0, 0.0, 1.0))
    return dict(
        noon=13.5,
        cool=0.20 + 0.08 * north,
        eve=20.0,
        eve_amp=0.12,
        winter=0.02 + 0.18 * north,
        irrig=0.0,
    )


def _raw_demand(region: str, latitude: float, year: int, seed: int, national: np.ndarray):
    """Un-normalised hourly demand of one region, shape (365, 24).

    ``d[day, h] = level(day) * tet(day) * [base(h) + c(day) cool(h) + e eve(h)] * week(day, h)
    * (1 + hourly noise)`` with ``level = 1 - a_w W(day) + irrigation`` and the cooling
    amplitude ``c(day) = cool * (0.35 + H(day)) * (1 + 0.3 z(day))``, ``z`` = 40 % national and
    60 % regional daily weather (AR(1) 0.75).
    """
    st = _style(region, latitude)
    doy = np.arange(365, dtype=float)
    hour = np.arange(24, dtype=float) + 0.5
    centre = _HOT_CENTRE[0] + _HOT_CENTRE[1] * (latitude - 10.0)
    hot = np.exp(_HOT_KAPPA * (np.cos(2 * np.pi * (doy - centre) / 365.0) - 1.0))
    winter = np.exp(1.6 * (np.cos(2 * np.pi * (doy - 15.0) / 365.0) - 1.0))
    irrigation = st["irrig"] * np.exp(3.0 * (np.cos(2 * np.pi * (doy - 75.0) / 365.0) - 1.0))

    rng = rng_for(seed, "demand", region)
    own = ar1(rng.standard_normal(365), 0.75)
    z = _NATIONAL_WEATHER * national + np.sqrt(1 - _NATIONAL_WEATHER**2) * own  # persistent
    level = (1.0 - st["winter"] * winter + irrigation) * (1.0 + 0.02 * z)
    cool_amp = st["cool"] * (0.35 + hot) * np.clip(1.0 + _COOL_NOISE * z, 0.3, None)

    activity = logistic((hour - 6.5) / 0.9) * logistic((22.8 - hour) / 0.9)
    base = 0.58 + 0.24 * activity - 0.025 * np.exp(-0.5 * ((hour - 12.2) / 0.6) ** 2)
    cool = np.exp(-0.5 * ((hour - st["noon"]) / 3.2) ** 2) + 0.25 * (1.0 - activity)
    eve = np.exp(-0.5 * ((hour - st["eve"]) / 1.7) ** 2)
    shape = base[None, :] + cool_amp[:, None] * cool[None, :] + st["eve_amp"] * eve[None, :]

    days = pd.date_range(f"{year}-01-01", periods=366, freq="D")
    days = days[~((days.month == 2) & (days.day == 29))][:365]
    weekday = days.day_of_week.to_numpy()
    off = np.zeros(365)
    off[weekday == 5] = 0.05
    off[weekday == 6] = 0.10
    holidays_ = public_holidays(year)
    off[np.array([d.date() in holidays_ for d in days])] = 0.12
    week = 1.0 - off[:, None] * activity[None, :]

    tet = np.ones(365)
    t0 = (pd.Timestamp(tet_date(year)) - days[0]).days
    for k, f in zip(_TET_OFFSETS, _TET_FACTOR, strict=True):
        if 0 <= t0 + k < 365:
            tet[t0 + k] = f

    hourly = ar1(rng.standard_normal(HOURS), 0.6).reshape(365, 24)
    return (level * tet)[:, None] * shape * week * (1.0 + 0.01 * hourly)


def demand_shape(
    regions: Sequence[str],
    latitude: Mapping[str, float],
    year: int,
    seed: int,
    *,
    target_load_factor: float = TARGET_LOAD_FACTOR,
    energy_share: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Hourly demand shape per region, per unit of its own peak (max 1).

    Each region's raw shape (:func:`_raw_demand`) is raised to a common power ``k`` found by
    bisection so that the national load factor of the energy-weighted sum,
    ``LF = mean_t D[t] / max_t D[t]`` with ``D[t] = sum_r share_r s_r[t]^k / mean_t s_r^k``,
    equals ``target_load_factor`` (the load factor of the year's published pair, e.g. revised
    PDP8 2030: 0.7135 for both cases). Regions whose share is unknown get the mean share.

    Returns
    -------
    DataFrame, 8760 x region, values in (0, 1], index :func:`year_index`.
    """
    check_regions(regions, latitude, "latitude")
    share = dict(ENERGY_SHARE if energy_share is None else energy_share)
    default = float(np.mean(list(share.values()))) if share else 1.0
    national = ar1(rng_for(seed, "demand", "__national__").standard_normal(365), 0.75)
    raw = np.column_stack(
        [_raw_demand(r, float(latitude[r]), year, seed, national).ravel() for r in regions]
    )
    raw = raw / raw.max(axis=0)
    w = np.array([float(share.get(r, default)) for r in regions])

    def national_lf(k: float) -> float:
        x = raw**k
        d = (x / x.mean(axis=0)) @ w
        return float(d.mean() / d.max())

    if len(regions) > 0:
        k = bisect_decreasing(national_lf, target_load_factor, 0.05, 20.0, "target_load_factor")
        raw = raw**k
    return pd.DataFrame(raw, index=year_index(year), columns=list(regions))
