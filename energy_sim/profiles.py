"""Reproducible full-year hourly profiles: demand shape, solar, wind and run-of-river.

No open hourly data exists for Vietnam's regions, so every profile is *generated*: a physical or
behavioural skeleton (sun geometry, monsoon seasons, the working day, Tet) times a seeded weather
process, then *calibrated* to a published statistic (national load factor, annual capacity
factor). The same ``seed`` always gives the same arrays; each (seed, kind, region) has its own
random stream (:func:`numpy.random.SeedSequence`), so adding a region changes no other region.

Every profile is a :class:`pandas.DataFrame` of 8760 rows indexed by :func:`year_index` (local
time, UTC+7, 29 February dropped) with one column per region. A user replaces any of them with
their own CSV through :func:`read_profile_csv`. See ``docs/profiles.md`` for the assumptions.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from energy_sim.errors import InputError

HOURS = 8760
#: Vietnam's clock: UTC+7 all year (no daylight saving). pandas' sign convention is inverted.
LOCAL_TZ = "Etc/GMT-7"

#: Energy shares of the six PDP8 regions [M, SWITCH-Vietnam 2050 loads] (shared/DATA.md).
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

# ----------------------------------------------------------------------------------------------
# calendar and random streams


def year_index(year: int) -> pd.DatetimeIndex:
    """The 8760 hourly time stamps (hour starts, local time UTC+7) of ``year``.

    In a leap year 29 February is dropped so every year has 365 days of 24 hours.
    """
    idx = pd.date_range(f"{int(year)}-01-01", f"{int(year)}-12-31 23:00", freq="h")
    idx = idx[~((idx.month == 2) & (idx.day == 29))]
    return pd.DatetimeIndex(idx, name="time")


def rng_for(seed: int, kind: str, region: str) -> np.random.Generator:
    """Random generator of one (seed, kind, region) stream.

    The entropy is ``(seed, crc32(kind), crc32(region))`` so that streams are independent of each
    other and of the order or number of regions.
    """
    entropy = [int(seed) % 2**63, zlib.crc32(kind.encode()), zlib.crc32(region.encode())]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def ar1(innovations: np.ndarray, phi: float) -> np.ndarray:
    """Stationary AR(1) with unit variance along the last axis.

    ``x[0] = e[0]``, ``x[t] = phi*x[t-1] + sqrt(1-phi^2)*e[t]`` for standard normal ``e``.
    Vectorised in chunks: within a chunk ``x[t0+j] = phi^(j+1) x[t0-1] +
    sqrt(1-phi^2) * sum_{s<=j} phi^(j-s) e[t0+s]``.
    """
    u = np.array(innovations, dtype=float)
    if phi == 0.0:
        return u
    n = u.shape[-1]
    u[..., 1:] *= np.sqrt(1.0 - phi * phi)
    out = np.empty_like(u)
    chunk = max(1, min(n, int(12.0 / -np.log(abs(phi)))))  # |phi|^-chunk stays below ~1.6e5
    prev = np.zeros(u.shape[:-1])
    for t0 in range(0, n, chunk):
        seg = u[..., t0 : t0 + chunk]
        j = np.arange(seg.shape[-1])
        acc = phi**j * np.cumsum(seg * phi ** (-j), axis=-1) + prev[..., None] * phi ** (j + 1)
        out[..., t0 : t0 + seg.shape[-1]] = acc
        prev = acc[..., -1]
    return out


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _monthly_to_daily(values: Sequence[float], year: int) -> np.ndarray:
    """Periodic linear interpolation of 12 mid-month values to the 365 days of the year."""
    mid = np.array([15.0, 45, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349])
    v = np.asarray(values, dtype=float)
    x = np.concatenate([mid - 365.0, mid, mid + 365.0])
    y = np.concatenate([v, v, v])
    return np.interp(np.arange(365, dtype=float) + 0.5, x, y)


def _check_regions(regions: Sequence[str], table: Mapping[str, float], what: str) -> None:
    missing = [r for r in regions if r not in table]
    if missing:
        raise InputError(
            f"no {what} for region",
            field=what,
            value=missing[0],
            allowed="one value for every region of the scenario",
        )


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
def _public_holidays(year: int) -> frozenset[date]:
    """Vietnamese public holidays of ``year`` other than the Tet days (treated like Sundays)."""
    import holidays

    vn = holidays.country_holidays("VN", years=int(year), language="en_US")
    return frozenset(d for d, name in vn.items() if "Lunar New Year" not in name)


# ----------------------------------------------------------------------------------------------
# demand

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
#: data/vietnam/demand.csv's regional peaks are calibrated to the shapes these values give.
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

    activity = _logistic((hour - 6.5) / 0.9) * _logistic((22.8 - hour) / 0.9)
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
    holidays_ = _public_holidays(year)
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
    equals ``target_load_factor`` (revised PDP8 2030: 0.714). Regions whose share is unknown
    get the mean share.

    Returns
    -------
    DataFrame, 8760 x region, values in (0, 1], index :func:`year_index`.
    """
    _check_regions(regions, latitude, "latitude")
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
        k = _bisect_decreasing(national_lf, target_load_factor, 0.05, 20.0, "target_load_factor")
        raw = raw**k
    return pd.DataFrame(raw, index=year_index(year), columns=list(regions))


def _bisect_decreasing(f, target: float, lo: float, hi: float, field: str) -> float:
    """Solve ``f(k) = target`` for a decreasing ``f`` on ``[lo, hi]`` by bisection (60 steps)."""
    f_lo, f_hi = f(lo), f(hi)
    if not (f_hi <= target <= f_lo):
        raise InputError(
            "load factor cannot be reached with this shape",
            field=field,
            value=round(float(target), 6),
            allowed=f"between {f_hi:.4f} and {f_lo:.4f}",
        )
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


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
    k = _bisect_decreasing(
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
    _check_regions(regions, energy_mwh, "energy_mwh")
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

    k = _bisect_decreasing(lf, target, 1.0 / 8.0, 8.0, "demand.load_factor")
    x = s**k
    return pd.DataFrame(x / x.sum(axis=0) * e, index=shape.index, columns=regions)


# ----------------------------------------------------------------------------------------------
# solar

# Mean cloud cover by month (0..1), an assumption shaped on sunshine-hour climatology: the North's
# overcast drizzle season Feb-Apr and summer rains, the central coast's Sep-Dec rains, the
# Central Highlands' and the South's May-Oct wet season, the dry sunny South Central coast.
_CLOUD: dict[str, list[float]] = {
    "north": [0.70, 0.82, 0.82, 0.70, 0.50, 0.58, 0.55, 0.58, 0.52, 0.45, 0.48, 0.55],
    "north_central": [0.72, 0.80, 0.75, 0.60, 0.45, 0.50, 0.47, 0.55, 0.62, 0.68, 0.70, 0.70],
    "central_central": [0.60, 0.50, 0.42, 0.35, 0.35, 0.38, 0.38, 0.42, 0.55, 0.70, 0.75, 0.72],
    "central_highlands": [0.30, 0.25, 0.28, 0.40, 0.58, 0.68, 0.72, 0.75, 0.70, 0.58, 0.45, 0.35],
    "south_central": [0.30, 0.22, 0.20, 0.25, 0.40, 0.45, 0.45, 0.45, 0.55, 0.65, 0.58, 0.42],
    "south": [0.32, 0.25, 0.25, 0.35, 0.55, 0.65, 0.68, 0.68, 0.70, 0.62, 0.48, 0.38],
}
#: PV array by kind: tilt (deg), DC/AC ratio, DC losses.
_PV_KIND = {
    "utility": dict(tilt=12.0, dc_ac=1.25, losses=0.86),
    "rooftop": dict(tilt=10.0, dc_ac=1.10, losses=0.84),
}


def _cloud_table(region: str, latitude: float) -> list[float]:
    if region in _CLOUD:
        return _CLOUD[region]
    return _CLOUD["north"] if latitude >= 17.0 else _CLOUD["south"]


def _calibrate_scale(raw: np.ndarray, target: float, field: str, region: str) -> np.ndarray:
    """``cf = min(a*raw, 1)`` with ``a`` found by bisection so that ``mean(cf) = target``."""
    reach = float(np.mean(raw > 0))
    if not (0.0 < target < reach):
        raise InputError(
            "annual capacity factor cannot be reached",
            field=f"{field}.{region}",
            value=target,
            allowed=f"greater than 0 and below {reach:.3f}",
        )
    lo, hi = 0.0, 1.0
    while np.mean(np.minimum(hi * raw, 1.0)) < target:
        hi *= 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(np.minimum(mid * raw, 1.0)) < target:
            lo = mid
        else:
            hi = mid
    return np.minimum(0.5 * (lo + hi) * raw, 1.0)


@functools.lru_cache(maxsize=32)
def _sky(region: str, lat: float, lon: float, year: int, seed: int) -> dict[str, np.ndarray]:
    """Sun geometry and cloudy-sky irradiance of one region and year (read-only arrays, cached:
    utility and rooftop PV of a region see the same sky).

    Clear-sky irradiance (Ineichen, pvlib, climatological Linke turbidity) at the hour centre,
    times the Kasten-Czeplak cloud factor ``GHI = GHI_clear (1 - 0.75 C^3.4)`` of a seeded cloud
    cover ``C[t] = logistic(logit(C_month) + 1.1 z_day + 0.7 z_hour + convection)``, with
    ``z_day`` a daily AR(1) (0.6), ``z_hour`` an hourly AR(1) (0.8) and wet-season afternoon
    convection, times a day-to-day haze factor in (0.90, 1) (daily AR(1) 0.7); Erbs
    decomposition into direct and diffuse.
    """
    import pvlib

    times = (year_index(year) + pd.Timedelta(minutes=30)).tz_localize(LOCAL_TZ)
    loc = pvlib.location.Location(lat, lon, tz=LOCAL_TZ)
    with warnings.catch_warnings():  # pvlib still calls deprecated pandas accessors
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        sp = loc.get_solarposition(times, method="ephemeris")
        cs = loc.get_clearsky(times, model="ineichen", solar_position=sp)

    rng = rng_for(seed, "solar", region)
    daily = np.repeat(ar1(rng.standard_normal(365), 0.6), 24)
    hourly = ar1(rng.standard_normal(HOURS), 0.8)
    cbar = np.repeat(_monthly_to_daily(_cloud_table(region, lat), year), 24)
    hour = np.tile(np.arange(24) + 0.5, 365)
    wet = np.clip((cbar - 0.4) / 0.3, 0.0, 1.0)
    convection = 0.8 * wet * np.exp(-0.5 * ((hour - 15.0) / 2.0) ** 2)
    cover = _logistic(np.log(cbar / (1 - cbar)) + 1.1 * daily + 0.7 * hourly + convection)
    haze = 1.0 - 0.10 * _logistic(1.5 * np.repeat(ar1(rng.standard_normal(365), 0.7), 24))
    ghi = cs["ghi"].to_numpy() * (1.0 - 0.75 * cover**3.4) * haze
    zen = sp["apparent_zenith"].to_numpy()
    doy = times.day_of_year.to_numpy()
    parts = pvlib.irradiance.erbs(ghi, zen, doy)
    out = {
        "zenith": zen,
        "azimuth": sp["azimuth"].to_numpy(),
        "ghi": ghi,
        "dni": np.asarray(parts["dni"], dtype=float),
        "dhi": np.asarray(parts["dhi"], dtype=float),
        "doy": doy.astype(float),
        "hour": hour,
    }
    for v in out.values():
        v.flags.writeable = False
    return out


def _pv_raw(region, lat, lon, year, seed, kind) -> np.ndarray:
    """Uncalibrated PV output (per unit of AC rating) for one region: the :func:`_sky` on an
    isotropic plane of array facing south, PVWatts DC with cell temperature
    ``T_cell = T_amb + POA (45-20)/800`` (NOCT) and -0.37 %/K, DC losses, and an inverter limit
    at ``dc_ac``. Zero when the sun is below the horizon at the hour centre."""
    import pvlib

    pv = _PV_KIND[kind]
    sky = _sky(region, float(lat), float(lon), int(year), int(seed))
    zen, doy, hour = sky["zenith"], sky["doy"], sky["hour"]
    poa = pvlib.irradiance.get_total_irradiance(
        pv["tilt"],
        180.0,
        zen,
        sky["azimuth"],
        sky["dni"],
        sky["ghi"],
        sky["dhi"],
        albedo=0.2,
        model="isotropic",
    )["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float), nan=0.0).clip(0.0)
    # ambient temperature: ~24 C mean in the North (18 C Jan, 30 C Jul), ~27 C flat in the South
    t_amb = 27.5 - 0.3 * (lat - 10.0) + 0.55 * (lat - 10.0) * np.cos(2 * np.pi * (doy - 200) / 365)
    t_amb = t_amb + 3.5 * np.cos(2 * np.pi * (hour - 14.0) / 24.0)
    t_cell = t_amb + poa * (45.0 - 20.0) / 800.0
    dc = poa / 1000.0 * (1.0 - 0.0037 * (t_cell - 25.0)) * pv["losses"]
    ac = np.minimum(dc * pv["dc_ac"], 1.0)
    ac[zen >= 90.0] = 0.0
    return ac


def solar_cf(
    regions: Sequence[str],
    latitude: Mapping[str, float],
    longitude: Mapping[str, float],
    year: int,
    seed: int,
    target_cf: Mapping[str, float],
    kind: str = "utility",
) -> pd.DataFrame:
    """Hourly solar PV capacity factor per region (0..1), local time UTC+7.

    ``cf_r[t] = min(a_r * pv_r[t], 1)`` where ``pv_r`` is :func:`_pv_raw` and ``a_r`` is found
    by bisection so that ``mean_t cf_r = target_cf[r]``. Zero whenever the sun is below the
    horizon at the hour centre.
    """
    if kind not in _PV_KIND:
        raise InputError("unknown solar kind", field="kind", value=kind, allowed="utility, rooftop")
    for table, what in ((latitude, "latitude"), (longitude, "longitude"), (target_cf, "target_cf")):
        _check_regions(regions, table, what)
    cols = {}
    for r in regions:
        raw = _pv_raw(r, float(latitude[r]), float(longitude[r]), year, seed, kind)
        cols[r] = _calibrate_scale(raw, float(target_cf[r]), f"solar_{kind}_cf", r)
    return pd.DataFrame(cols, index=year_index(year), columns=list(regions))


# ----------------------------------------------------------------------------------------------
# wind

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
    month = np.repeat(_monthly_to_daily(_WIND_MONTH.get(region, _WIND_DEFAULT), year), 24)
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
    _check_regions(regions, target_cf, "target_cf")
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


# ----------------------------------------------------------------------------------------------
# run-of-river hydro


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
            daily[sel] = _calibrate_mean(noise[sel], values[m - 1, j])
        cols[r] = np.repeat(daily, 24)
    return pd.DataFrame(cols, index=idx, columns=list(mcf.columns))


def _calibrate_mean(noise: np.ndarray, target: float) -> np.ndarray:
    """``min(1, b*noise)`` with ``b`` chosen so that the mean is ``target`` (0 <= target <= 1)."""
    if target <= 0.0:
        return np.zeros_like(noise)
    if target >= 1.0:
        return np.ones_like(noise)
    lo, hi = 0.0, 1.0 / noise.min()
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(np.minimum(mid * noise, 1.0)) < target:
            lo = mid
        else:
            hi = mid
    return np.minimum(0.5 * (lo + hi) * noise, 1.0)


# ----------------------------------------------------------------------------------------------
# a user's own profile

_TIME_COLUMNS = {"time", "timestamp", "datetime", "date", "hour", "t"}
_MISSING = {"", "nan", "na", "n/a", "null", "none"}


def read_profile_csv(
    path: str | Path,
    columns: Sequence[str],
    kind: str,
    lower: float = 0.0,
    upper: float | None = None,
    *,
    year: int | None = None,
) -> pd.DataFrame:
    """Read a user's hourly profile: 8760 rows, one numeric column per name in ``columns``.

    A leading time column (``time``, ``timestamp``, ``datetime``, ``date``, ``hour``) is allowed
    and ignored; other extra columns are ignored too. Every cell of the named columns must be a
    finite number in ``[lower, upper]``.

    Parameters
    ----------
    path
        The CSV file.
    columns
        Column names required (usually the regions).
    kind
        What the profile is (``demand``, ``solar``, ...), used in messages.
    lower, upper
        Allowed range (``upper=None``: no upper bound).
    year
        If given, the result is indexed by :func:`year_index` of that year; else ``0..8759``.

    Raises
    ------
    InputError
        Missing file, wrong number of rows, missing column, empty or NaN cell, non-numeric
        cell, value out of range. The message names the file, the column, the row and the value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{kind} profile file not found", file=path, allowed="an existing CSV file"
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(
            f"{kind} profile is not a readable CSV ({str(err).splitlines()[0]})", file=path
        ) from None
    table.columns = [str(c).strip() for c in table.columns]
    if len(table) != HOURS:
        raise InputError(
            f"{kind} profile has the wrong number of rows",
            file=path,
            value=len(table),
            allowed=f"{HOURS} rows after the header (one per hour of a 365-day year)",
        )
    out = {}
    for name in columns:
        if name not in table.columns:
            present = [c for c in table.columns if c.lower() not in _TIME_COLUMNS]
            raise InputError(
                f"{kind} profile has no column {name!r}",
                file=path,
                field=name,
                value=", ".join(present) if present else None,
                allowed=f"a header with the columns {', '.join(columns)}",
            )
        text = table[name].str.strip()
        missing = text.str.lower().isin(_MISSING).to_numpy()
        if missing.any():
            row = int(np.argmax(missing))
            raise InputError(
                f"empty or NaN cell in row {row + 1} (line {row + 2})",
                file=path,
                field=name,
                value=table[name].iloc[row],
                allowed="a number in every row",
            )
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"not a finite number in row {row + 1} (line {row + 2})",
                file=path,
                field=name,
                value=table[name].iloc[row],
                allowed="a finite number",
            )
        out_of_range = (values < lower) | (values > upper if upper is not None else False)
        if np.any(out_of_range):
            row = int(np.argmax(out_of_range))
            allowed = f">= {lower:g}" if upper is None else f"{lower:g} .. {upper:g}"
            raise InputError(
                f"value out of range in row {row + 1} (line {row + 2})",
                file=path,
                field=name,
                value=float(values[row]),
                allowed=allowed,
            )
        out[name] = values
    index = year_index(year) if year is not None else pd.RangeIndex(HOURS, name="hour")
    return pd.DataFrame(out, index=index, columns=list(columns))
