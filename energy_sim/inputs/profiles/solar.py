"""Hourly solar PV capacity factors: sun geometry and seeded cloudy-sky irradiance (pvlib),
PVWatts-style output, calibrated to an annual capacity factor (:func:`solar_cf`)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.profiles.calendar import HOURS, LOCAL_TZ, monthly_to_daily, year_index
from energy_sim.inputs.profiles.calibration import calibrate_scale, check_regions
from energy_sim.inputs.profiles.stochastic import ar1, logistic, rng_for

__all__ = ["solar_cf"]

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
    cbar = np.repeat(monthly_to_daily(_cloud_table(region, lat), year), 24)
    hour = np.tile(np.arange(24) + 0.5, 365)
    wet = np.clip((cbar - 0.4) / 0.3, 0.0, 1.0)
    convection = 0.8 * wet * np.exp(-0.5 * ((hour - 15.0) / 2.0) ** 2)
    cover = logistic(np.log(cbar / (1 - cbar)) + 1.1 * daily + 0.7 * hourly + convection)
    haze = 1.0 - 0.10 * logistic(1.5 * np.repeat(ar1(rng.standard_normal(365), 0.7), 24))
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
        check_regions(regions, table, what)
    cols = {}
    for r in regions:
        raw = _pv_raw(r, float(latitude[r]), float(longitude[r]), year, seed, kind)
        cols[r] = calibrate_scale(raw, float(target_cf[r]), f"solar_{kind}_cf", r)
    return pd.DataFrame(cols, index=year_index(year), columns=list(regions))
