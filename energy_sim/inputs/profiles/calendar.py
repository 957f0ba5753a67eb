"""The hourly year of every profile (8760 h, local time UTC+7, 29 February dropped), month
to day interpolation, and the Vietnamese holidays (Tet, public holidays)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from energy_sim.errors import InputError

__all__ = ["HOURS", "LOCAL_TZ", "monthly_to_daily", "public_holidays", "tet_date", "year_index"]

HOURS = 8760
#: Vietnam's clock: UTC+7 all year (no daylight saving). pandas' sign convention is inverted.
LOCAL_TZ = "Etc/GMT-7"


def year_index(year: int) -> pd.DatetimeIndex:
    """The 8760 hourly time stamps (hour starts, local time UTC+7) of ``year``.

    In a leap year 29 February is dropped so every year has 365 days of 24 hours.
    """
    idx = pd.date_range(f"{int(year)}-01-01", f"{int(year)}-12-31 23:00", freq="h")
    idx = idx[~((idx.month == 2) & (idx.day == 29))]
    return pd.DatetimeIndex(idx, name="time")


def monthly_to_daily(values: Sequence[float], year: int) -> np.ndarray:
    """Periodic linear interpolation of 12 mid-month values to the 365 days of the year."""
    mid = np.array([15.0, 45, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349])
    v = np.asarray(values, dtype=float)
    x = np.concatenate([mid - 365.0, mid, mid + 365.0])
    y = np.concatenate([v, v, v])
    return np.interp(np.arange(365, dtype=float) + 0.5, x, y)


@functools.lru_cache(maxsize=64)
def tet_date(year: int) -> date:
    """First day of the Vietnamese Lunar New Year (Tết Nguyên Đán) in ``year``.

    From the ``holidays`` package's Vietnamese lunisolar calendar (UTC+7; it differs from the
    Chinese New Year in some years, e.g. 2030-02-02 vs 2030-02-03).
    """
    import holidays

    for day, name in holidays.country_holidays("VN", years=int(year), language="en_US").items():
        if name == "Lunar New Year":
            return day
    raise InputError("no Lunar New Year date known", field="year", value=year)  # pragma: no cover


@functools.lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """Vietnamese public holidays of ``year`` other than the Tet days (treated like Sundays)."""
    import holidays

    vn = holidays.country_holidays("VN", years=int(year), language="en_US")
    return frozenset(d for d, name in vn.items() if "Lunar New Year" not in name)
