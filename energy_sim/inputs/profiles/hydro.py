"""Hourly run-of-river capacity factor with a given monthly mean (:func:`ror_profile`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.profiles.calendar import year_index
from energy_sim.inputs.profiles.calibration import calibrate_mean
from energy_sim.inputs.profiles.stochastic import ar1, rng_for

__all__ = ["ror_profile"]


def ror_profile(monthly_cf: pd.DataFrame, year: int, seed: int) -> pd.DataFrame:
    """Hourly run-of-river capacity factor whose monthly mean equals ``monthly_cf``.

    ``cf[d] = min(1, b_m * cf_m * exp(0.12 z[d]))`` with ``z`` a daily AR(1) (0.9) and ``b_m``
    found per month so that the month's mean is ``cf_m`` exactly; constant within a day.
    """
    months = list(monthly_cf.index)
    if sorted(int(m) for m in months) != list(range(1, 13)):
        raise InputError(
            "monthly capacity factors need months 1..12",
            field="monthly_cf.month",
            value=months,
            allowed="12 rows, months 1..12",
        )
    mcf = monthly_cf.sort_index()
    values = mcf.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
        raise InputError(
            "monthly capacity factor must be in [0, 1]", field="monthly_cf", allowed="0..1"
        )
    idx = year_index(year)
    day_month = idx.month.to_numpy()[::24]
    cols = {}
    for j, r in enumerate(mcf.columns):
        z = ar1(rng_for(seed, "hydro_ror", str(r)).standard_normal(365), 0.9)
        noise = np.exp(0.12 * z)
        daily = np.empty(365)
        for m in range(1, 13):
            sel = day_month == m
            daily[sel] = calibrate_mean(noise[sel], values[m - 1, j])
        cols[r] = np.repeat(daily, 24)
    return pd.DataFrame(cols, index=idx, columns=list(mcf.columns))
