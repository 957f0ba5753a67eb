"""Time resolution of a System: the full hourly year, chronological resampling, representative days.

A scenario's ``resolution`` is ``full``, ``Nh`` (consecutive N-hour blocks) or ``Nd`` (N
representative days chosen by k-medoids within each month). :func:`aggregate` turns the hourly
System into one at that resolution while keeping the time-step contract of MODEL.md:
``sum_t weight[t]*dt_h[t] == 8760`` and annual quantities ``sum_t weight*dt_h*x``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from energy_sim.errors import InputError

HOURS = 8760
DAYS = 365
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
#: Variables that describe the time steps themselves; rebuilt, never averaged.
_STEP_VARS = ("dt_h", "weight", "month_of", "period")


@dataclass(frozen=True)
class Resolution:
    """A time resolution: ``kind`` is ``full``, ``resample`` (N-hour blocks) or
    ``representative`` (N representative days); ``n`` is 1 for ``full``."""

    kind: str
    n: int = 1

    def __str__(self) -> str:
        if self.kind == "full":
            return "full"
        return f"{self.n}h" if self.kind == "resample" else f"{self.n}d"


def parse_resolution(text: str | Resolution) -> Resolution:
    """Parse ``full``, ``Nh`` (1 <= N <= 168) or ``Nd`` (12 <= N <= 365).

    ``1h`` is the full year; ``365d`` keeps every day (weight 1).
    """
    if isinstance(text, Resolution):
        return text
    allowed = "full, Nh with N in 1..168 (resample), Nd with N in 12..365 (representative days)"
    s = str(text).strip().lower()
    if s == "full":
        return Resolution("full", 1)
    m = re.fullmatch(r"(\d+)\s*([hd])", s)
    if not m:
        raise InputError("unknown time resolution", field="resolution", value=text, allowed=allowed)
    n, unit = int(m.group(1)), m.group(2)
    if unit == "h":
        if not 1 <= n <= 168:
            raise InputError(
                "resample step out of range", field="resolution", value=text, allowed=allowed
            )
        return Resolution("full", 1) if n == 1 else Resolution("resample", n)
    if not 12 <= n <= DAYS:
        raise InputError(
            "number of representative days out of range",
            field="resolution",
            value=text,
            allowed=allowed,
        )
    return Resolution("representative", n)


def _time_vars(system: xr.Dataset) -> list[str]:
    return [v for v in system.data_vars if "time" in system[v].dims and v not in _STEP_VARS]


def _check_hourly(system: xr.Dataset) -> None:
    if system.sizes.get("time") != HOURS:
        raise ValueError(
            f"aggregate needs the full hourly System (8760 steps), got {system.sizes.get('time')}"
        )
    if "dt_h" in system and not np.all(system["dt_h"].to_numpy() == 1):
        raise ValueError("aggregate needs an hourly System (dt_h == 1)")


def _step_vars(system: xr.Dataset, dt, weight, month, period, timestamp) -> dict:
    """The step variables with the System's attrs (units, description)."""
    values = {"dt_h": dt, "weight": weight, "month_of": month, "period": period}
    defaults = {
        "dt_h": ("h", "step duration"),
        "weight": ("1", "how many times the step stands for the year"),
        "month_of": ("1", "calendar month 1..12 of the step"),
        "period": ("1", "cyclic block id (representative day, or 0 for a chronological year)"),
    }
    out = {}
    for name, v in values.items():
        attrs = dict(system[name].attrs) if name in system else {}
        attrs.setdefault("units", defaults[name][0])
        attrs.setdefault("description", defaults[name][1])
        out[name] = xr.DataArray(v, dims="time", attrs=attrs)
    return out


def _rebuild(
    system: xr.Dataset, new_vars: dict, step_vars: dict, timestamp, res: Resolution
) -> xr.Dataset:
    ds = system.drop_dims("time")
    n = len(timestamp)
    coords = {"time": np.arange(n)}
    ts_attrs = dict(system["timestamp"].attrs) if "timestamp" in system.coords else {}
    ds = ds.assign_coords(coords)
    ds = ds.assign_coords(
        timestamp=xr.DataArray(np.asarray(timestamp), dims="time", attrs=ts_attrs)
    )
    for name, da in {**step_vars, **new_vars}.items():
        ds[name] = da
    ds.attrs = dict(system.attrs)
    ds.attrs["resolution"] = str(res)
    order = [v for v in system.data_vars if v in ds.data_vars] + [
        v for v in ds.data_vars if v not in system.data_vars
    ]
    return ds[order]


def _timestamps(system: xr.Dataset) -> pd.DatetimeIndex:
    if "timestamp" in system.coords or "timestamp" in system:
        return pd.DatetimeIndex(system["timestamp"].to_numpy())
    raise ValueError("the System has no 'timestamp' coordinate")


def resample(system: xr.Dataset, n: int) -> xr.Dataset:
    """Consecutive ``n``-hour blocks: ``x_b = mean_{t in b} x_t``, ``dt_h = len(b)``, weight 1.

    Energy is preserved exactly: ``sum_b dt_b x_b = sum_t x_t``. The last block is shorter when
    ``8760 % n != 0``.
    """
    _check_hourly(system)
    res = Resolution("resample", n) if n > 1 else Resolution("full", 1)
    starts = np.arange(0, HOURS, n)
    dt = np.diff(np.append(starts, HOURS)).astype(float)
    ts = _timestamps(system)
    new = {}
    for v in _time_vars(system):
        da = system[v]
        axis = da.dims.index("time")
        x = da.to_numpy().astype(float)
        sums = np.add.reduceat(x, starts, axis=axis)
        shape = [1] * x.ndim
        shape[axis] = len(starts)
        new[v] = xr.DataArray(sums / dt.reshape(shape), dims=da.dims, attrs=da.attrs)
        new[v] = new[v].assign_coords(
            {c: da.coords[c] for c in da.coords if "time" not in da.coords[c].dims}
        )
    nb = len(starts)
    steps = _step_vars(
        system,
        dt,
        np.ones(nb),
        ts.month.to_numpy()[starts].astype(int),
        np.zeros(nb, dtype=int),
        ts[starts],
    )
    return _rebuild(system, new, steps, ts[starts], res)


def days_per_month(n_days: int) -> np.ndarray:
    """Distribute ``n_days`` representative days over the 12 months in proportion to month
    length (largest remainder), at least 1 and at most the month's length each."""
    if not 12 <= n_days <= DAYS:
        raise InputError(
            "number of representative days out of range",
            field="resolution",
            value=n_days,
            allowed="12..365",
        )
    quota = n_days * _DAYS_IN_MONTH / DAYS
    k = np.maximum(np.floor(quota).astype(int), 1)
    k = np.minimum(k, _DAYS_IN_MONTH)
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    i = 0
    while k.sum() < n_days:
        m = order[i % 12]
        if k[m] < _DAYS_IN_MONTH[m]:
            k[m] += 1
        i += 1
    while k.sum() > n_days:
        m = order[::-1][i % 12]
        if k[m] > 1:
            k[m] -= 1
        i += 1
    return k


def kmedoids(dist: np.ndarray, k: int, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic k-medoids on a distance matrix: greedy BUILD start, then alternate
    (assign each point to its nearest medoid; move each medoid to the member minimising the sum
    of distances in its cluster) until nothing changes.

    Returns (medoid indices, label of each point in 0..k-1).
    """
    n = dist.shape[0]
    k = min(k, n)
    medoids = [int(np.argmin(dist.sum(axis=1)))]
    while len(medoids) < k:
        nearest = dist[:, medoids].min(axis=1)
        gain = np.maximum(nearest[None, :] - dist, 0.0).sum(axis=1)
        gain[medoids] = -1.0
        medoids.append(int(np.argmax(gain)))
    med = np.array(medoids)
    for _ in range(max_iter):
        labels = np.argmin(dist[:, med], axis=1)
        new = med.copy()
        for j in range(k):
            members = np.flatnonzero(labels == j)
            if members.size:
                new[j] = members[np.argmin(dist[np.ix_(members, members)].sum(axis=1))]
        if np.array_equal(new, med):
            break
        med = new
    labels = np.argmin(dist[:, med], axis=1)
    labels[med] = np.arange(k)
    return med, labels


def _daily_features(system: xr.Dataset) -> np.ndarray:
    """Features per day: 24-hour profiles of every time-varying series, each series scaled to
    its annual maximum absolute value, each variable weighted ``1/sqrt(#series)``."""
    blocks = []
    for v in _time_vars(system):
        da = system[v].transpose(..., "time")
        x = da.to_numpy().astype(float).reshape(-1, HOURS)
        x = x[np.ptp(x, axis=1) > 0]
        if x.size == 0:
            continue
        x = x / np.abs(x).max(axis=1, keepdims=True)
        x = x / np.sqrt(x.shape[0])
        blocks.append(x.reshape(x.shape[0], DAYS, 24).transpose(1, 0, 2).reshape(DAYS, -1))
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((DAYS, 1))


def representative_days(system: xr.Dataset, n_days: int) -> xr.Dataset:
    """``n_days`` representative days chosen by k-medoids within each month.

    Each month m gets ``days_per_month(n_days)[m]`` days; its days are clustered on their daily
    profiles (:func:`_daily_features`, Euclidean distance) and each medoid day stands for its
    cluster: ``weight = cluster size`` (days), ``dt_h = 1``, ``period`` = index of the
    representative day, ``month_of`` = its month, ``timestamp`` = its hours. The values are the
    medoid day's own hours, scaled per month and series so that every month's energy (demand,
    available capacity factor, LNG availability) equals the hourly year's
    (:func:`_match_monthly_energy`; capacity factors stay <= 1). ``attrs['day_to_period']`` maps each of the 365 days to its period.
    """
    _check_hourly(system)
    res = Resolution("representative", n_days)
    ts = _timestamps(system)
    feats = _daily_features(system)
    month_of_day = ts.month.to_numpy()[::24]
    k_month = days_per_month(n_days)
    rep_days, sizes, day_to_period = [], [], np.empty(DAYS, dtype=int)
    for m in range(1, 13):
        days = np.flatnonzero(month_of_day == m)
        f = feats[days]
        sq = (f * f).sum(axis=1)
        dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * f @ f.T, 0.0))
        med, labels = kmedoids(dist, int(k_month[m - 1]))
        order = np.argsort(days[med])  # chronological within the month
        for j in order:
            day_to_period[days[labels == j]] = len(rep_days)
            rep_days.append(int(days[med[j]]))
            sizes.append(int(np.sum(labels == j)))
    rep_days_a = np.array(rep_days)
    hours = (rep_days_a[:, None] * 24 + np.arange(24)[None, :]).ravel()
    new = {}
    for v in _time_vars(system):
        da = system[v]
        new[v] = da.isel(time=hours).drop_vars(
            [c for c in da.coords if "time" in da.coords[c].dims]
        )
        new[v] = new[v].astype(float) if new[v].dtype.kind in "biu" else new[v]
    weight = np.repeat(np.array(sizes, dtype=float), 24)
    month_rep = ts.month.to_numpy()[hours]
    for v in new:
        new[v] = _match_monthly_energy(system[v], new[v], ts.month.to_numpy(), month_rep, weight)
    nt = hours.size
    steps = _step_vars(
        system,
        np.ones(nt),
        weight,
        month_rep.astype(int),
        np.repeat(np.arange(len(rep_days)), 24),
        ts[hours],
    )
    out = _rebuild(system, new, steps, ts[hours], res)
    out.attrs["day_to_period"] = day_to_period
    return out


def _match_monthly_energy(
    hourly: xr.DataArray,
    rep: xr.DataArray,
    month_hourly: np.ndarray,
    month_rep: np.ndarray,
    weight: np.ndarray,
) -> xr.DataArray:
    """Scale the representative hours of each month so that the month's energy is the hourly
    year's: ``x'[t] = min(f * x[t], upper)`` per series and month, with ``f`` iterated until
    ``sum_{t in m} w[t] x'[t] = sum_{h in m} x[h]``; what clipping at ``upper`` leaves short is
    spread over the hours' headroom, ``x'' = x' + s (upper - x')``.

    ``upper`` is 1 for a series bounded by 1 in the hourly year (capacity factors,
    availabilities), else none. A series that is zero on every representative hour of a month
    but not in the month (a windless medoid day) takes the month's mean instead. Variables
    with negative values are left as they are.
    """
    x = np.moveaxis(hourly.to_numpy().astype(float), hourly.dims.index("time"), -1)
    t_axis = rep.dims.index("time")
    y = np.moveaxis(rep.to_numpy().astype(float), t_axis, -1).copy()
    if x.size == 0 or x.min() < 0:
        return rep
    upper = 1.0 if x.max() <= 1.0 else np.inf
    for m in range(1, 13):
        sel_h, sel_r = month_hourly == m, month_rep == m
        target = x[..., sel_h].sum(axis=-1)
        seg = y[..., sel_r]
        w = weight[sel_r]
        target = np.minimum(target, upper * w.sum())  # reachable at most with every hour at 1
        flat = ((seg * w).sum(axis=-1) <= 0) & (target > 0)  # e.g. a windless medoid day
        seg = np.where(flat[..., None], (target / w.sum())[..., None], seg)
        for _ in range(100):
            got = (seg * w).sum(axis=-1)
            if np.all(np.abs(got - target) <= 1e-12 * np.maximum(target, 1e-300)):
                break
            factor = np.divide(target, got, out=np.ones_like(target), where=got > 0)
            seg = np.minimum(seg * factor[..., None], upper)
        if np.isfinite(upper):  # what clipping left short: fill the headroom below 1 evenly
            short = target - (seg * w).sum(axis=-1)
            room = ((upper - seg) * w).sum(axis=-1)
            fill = np.divide(short, room, out=np.zeros_like(short), where=(short > 0) & (room > 0))
            seg = seg + fill[..., None] * (upper - seg)
        y[..., sel_r] = seg
    return rep.copy(data=np.moveaxis(y, -1, t_axis))


def aggregate(system: xr.Dataset, resolution: str | Resolution) -> xr.Dataset:
    """The System at ``resolution`` (see :func:`parse_resolution`).

    ``full`` returns a copy with ``attrs['resolution'] = 'full'``; ``Nh`` calls :func:`resample`;
    ``Nd`` calls :func:`representative_days`. Always ``sum(weight*dt_h) == 8760``.
    """
    res = parse_resolution(resolution)
    if res.kind == "resample":
        return resample(system, res.n)
    if res.kind == "representative":
        return representative_days(system, res.n)
    _check_hourly(system)
    out = system.copy()
    out.attrs["resolution"] = "full"
    return out


def step_of_hour(
    system_agg: xr.Dataset, hourly_index: pd.DatetimeIndex | None = None
) -> np.ndarray:
    """For each hour of the year, the index of the aggregated step that stands for it."""
    res = parse_resolution(system_agg.attrs.get("resolution", "full"))
    n_hours = HOURS if hourly_index is None else len(hourly_index)
    hour = np.arange(n_hours)
    if res.kind == "full":
        return hour
    if res.kind == "resample":
        starts = np.concatenate([[0], np.cumsum(system_agg["dt_h"].to_numpy().astype(int))[:-1]])
        return np.searchsorted(starts, hour, side="right") - 1
    day_to_period = np.asarray(system_agg.attrs["day_to_period"], dtype=int)
    return day_to_period[hour // 24] * 24 + hour % 24


def expand(
    aggregated_values: np.ndarray,
    system_agg: xr.Dataset,
    hourly_index: pd.DatetimeIndex | None = None,
    axis: int = -1,
) -> np.ndarray:
    """Map per-step values back to the hours of the year (each hour takes the value of the
    step that stands for it: repeated within a resampled block, or the representative day's
    same hour)."""
    idx = step_of_hour(system_agg, hourly_index)
    return np.take(np.asarray(aggregated_values), idx, axis=axis)
