"""Reproducible full-year hourly profiles: demand shape, solar, wind and run-of-river.

No open hourly data exists for Vietnam's regions, so every profile is *generated*: a physical or
behavioural skeleton (sun geometry, monsoon seasons, the working day, Tet) times a seeded weather
process, then *calibrated* to a published statistic (national load factor, annual capacity
factor). The same ``seed`` always gives the same arrays; each (seed, kind, region) has its own
random stream (:func:`numpy.random.SeedSequence`), so adding a region changes no other region.

Every profile is a :class:`pandas.DataFrame` of 8760 rows indexed by :func:`year_index` (local
time, UTC+7, 29 February dropped) with one column per region. A user replaces any of them with
their own CSV through :func:`read_profile_csv`. See ``docs/profiles.md`` for the assumptions.

Modules: :mod:`~energy_sim.inputs.profiles.calendar` (the hourly year, holidays),
:mod:`~energy_sim.inputs.profiles.stochastic` (seeded streams, AR(1)),
:mod:`~energy_sim.inputs.profiles.calibration` (bisection to a published statistic),
:mod:`~energy_sim.inputs.profiles.demand`, :mod:`~energy_sim.inputs.profiles.scaling`,
:mod:`~energy_sim.inputs.profiles.solar`, :mod:`~energy_sim.inputs.profiles.wind`,
:mod:`~energy_sim.inputs.profiles.hydro` and :mod:`~energy_sim.inputs.profiles.user_csv`.
"""

from __future__ import annotations

from energy_sim.inputs.profiles.calendar import HOURS, LOCAL_TZ, tet_date, year_index
from energy_sim.inputs.profiles.demand import ENERGY_SHARE, TARGET_LOAD_FACTOR, demand_shape
from energy_sim.inputs.profiles.hydro import ror_profile
from energy_sim.inputs.profiles.scaling import scale_demand, scale_regional_demand
from energy_sim.inputs.profiles.solar import solar_cf
from energy_sim.inputs.profiles.stochastic import ar1, rng_for
from energy_sim.inputs.profiles.user_csv import read_profile_csv
from energy_sim.inputs.profiles.wind import fleet_power_curve, power_curve, wind_cf

__all__ = [
    "ENERGY_SHARE",
    "HOURS",
    "LOCAL_TZ",
    "TARGET_LOAD_FACTOR",
    "ar1",
    "demand_shape",
    "fleet_power_curve",
    "power_curve",
    "read_profile_csv",
    "rng_for",
    "ror_profile",
    "scale_demand",
    "scale_regional_demand",
    "solar_cf",
    "tet_date",
    "wind_cf",
    "year_index",
]
