"""Time resolution of a System: the full hourly year, chronological resampling, representative days.

A scenario's ``resolution`` is ``full``, ``Nh`` (consecutive N-hour blocks) or ``Nd`` (N
typical days chosen by tsam within each month, plus the day of the coincident peak demand kept
as an extreme period). :func:`aggregate` turns the hourly
System into one at that resolution while keeping the time-step contract of MODEL.md:
``sum_t weight[t]*dt_h[t] == 8760`` and annual quantities ``sum_t weight*dt_h*x``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from energy_sim.errors import InputError

HOURS = 8760
DAYS = 365
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
#: Variables that describe the time steps themselves; rebuilt, never averaged.
_STEP_VARS = ("dt_h", "weight", "month_of", "block")


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
    values = {"dt_h": dt, "weight": weight, "month_of": month, "block": period}
    defaults = {
        "dt_h": ("h", "step duration"),
        "weight": ("1", "how many times the step stands for the year"),
        "month_of": ("1", "calendar month 1..12 of the step"),
        "block": ("1", "cyclic block id (representative day, or 0 for a chronological year)"),
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


#: Name of the clustering feature that carries the coincident system demand (sum over regions);
#: its maximum marks the peak day, kept by tsam as an extreme period.
TOTAL_DEMAND = "total_demand"


def _feature_frame(system: xr.Dataset) -> tuple[pd.DataFrame, dict[str, float], pd.Series]:
    """The hourly series the days are clustered on, their weights and annual ranges.

    Columns: the coincident demand ``D[t] = sum_r demand[r,t]`` (:data:`TOTAL_DEMAND`), every
    region's demand, and every distinct time-varying row of the other time series
    (availability profiles of solar, wind, run-of-river, imports; LNG and coal availability).
    Identical rows (one solar profile shared by several groups) count once. The columns form
    families: the coincident demand, regional demand, one family per technology of
    ``availability`` (the part of the group name after ``/``) and one per other variable. Each
    family carries the same total weight in the squared distance between two days,

        d(a, b)^2 = sum_families sum_{c in family} (w_c * (x_c[a] - x_c[b]) / R_c)^2,
        w_c = 1/sqrt(n_family),

    with ``R_c`` the column's annual range (max - min), so that a family of many regions or
    profiles does not outweigh the coincident demand. Returns (frame, weights, ranges).
    """
    cols: dict[str, np.ndarray] = {}
    family: dict[str, str] = {}
    if "demand_mw" in system:
        dem = system["demand_mw"].transpose(..., "time")
        x = dem.to_numpy().astype(float).reshape(-1, HOURS)
        cols[TOTAL_DEMAND] = x.sum(axis=0)
        family[TOTAL_DEMAND] = TOTAL_DEMAND
        for i, row in enumerate(x):
            if np.ptp(row) > 0:
                cols[f"demand_mw/{i}"] = row
                family[f"demand_mw/{i}"] = "demand_mw"
    for v in _time_vars(system):
        if v == "demand_mw":
            continue
        da = system[v].transpose(..., "time")
        x = da.to_numpy().astype(float).reshape(-1, HOURS)
        labels = [""] * x.shape[0]
        if v == "availability" and "gen" in da.dims and da.ndim == 2:
            labels = [str(g).split("/")[-1] for g in da["gen"].to_numpy()]
        seen: set[bytes] = set()
        for i, row in enumerate(x):
            key = row.tobytes()
            if np.ptp(row) == 0 or key in seen:
                continue
            seen.add(key)
            name = f"{v}/{labels[i]}/{i}"
            cols[name] = row
            family[name] = f"{v}/{labels[i]}"
    frame = pd.DataFrame(cols)
    size = pd.Series(family).value_counts()
    weights = {c: 1.0 / np.sqrt(size[family[c]]) for c in frame.columns}
    ranges = frame.max() - frame.min()
    return frame, weights, ranges


def _cluster_month(
    frame: pd.DataFrame,
    weights: dict[str, float],
    ranges: pd.Series,
    k: int,
    keep_peak: bool,
) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Cluster the days of one month with tsam; returns (representative day of each cluster,
    cluster of each day, cluster of the peak day or None), all as local day indices.

    tsam scales each column to its range within the month; the weights passed to it are
    ``w_c * r_c / R_c`` (``r_c`` the month's range) so that distances are measured on the
    annual ranges (:func:`_feature_frame`). Ward's hierarchical clustering with medoid
    representation (real days, deterministic); ``keep_peak`` adds the day holding the month's
    largest coincident demand as an extreme period (``ExtremeConfig(method="append")``: a
    cluster of its own, weight 1, on top of the ``k`` typical days).
    """
    import tsam

    local = frame.max() - frame.min()
    use = [c for c in frame.columns if local[c] > 0 or c == TOTAL_DEMAND]
    w = {
        c: max(weights[c] * float(local[c] / ranges[c]), 1e-12) if ranges[c] > 0 else 1e-12
        for c in use
    }
    data = frame[use].copy()
    data.index = pd.date_range("2001-01-01", periods=len(data), freq="h")
    extremes = tsam.ExtremeConfig(method="append", max_value=[TOTAL_DEMAND]) if keep_peak else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = tsam.aggregate(
            data,
            n_clusters=k,
            period_duration=24,
            temporal_resolution=1.0,
            cluster=tsam.ClusterConfig(method="hierarchical", representation="medoid"),
            extremes=extremes,
            weights=w,
            preserve_column_means=False,
        )
    centers = np.asarray(result.clustering.cluster_centers, dtype=int)
    labels = np.asarray(result.cluster_assignments, dtype=int)
    peak_cluster = None
    if keep_peak:
        peak_day = int(np.argmax(frame[TOTAL_DEMAND].to_numpy())) // 24
        peak_cluster = int(labels[peak_day])
        if centers[peak_cluster] != peak_day:  # tsam's extreme day is the peak day itself
            raise RuntimeError("tsam did not keep the peak day as its own period")
        dup = [j for j in range(len(centers)) if j != peak_cluster and centers[j] == peak_day]
        for j in dup:  # the peak day was also a typical day's medoid: one day, one cluster
            labels[labels == j] = peak_cluster
    return centers, labels, peak_cluster


def representative_days(system: xr.Dataset, n_days: int) -> xr.Dataset:
    """``n_days`` typical days chosen by tsam within each month, plus the peak day.

    Each month m gets ``k_m = days_per_month(n_days)[m]`` typical days: its days are clustered
    (tsam, Ward's hierarchical clustering, medoid representation; features and weights in
    :func:`_feature_frame`) and each medoid day stands for its cluster. The day of the
    coincident system peak ``argmax_t sum_r demand[r,t]`` is added as an extreme period of its
    month (tsam ``append``): a period of its own with weight 1 (or its cluster's size when it was
    also the medoid of a typical cluster, then merged into one) and its hours unchanged, so the
    LP always operates the hourly year's peak hour. The System then has ``n_days + 1`` days
    (``n_days`` when every day of the peak month is kept anyway, e.g. ``365d``).

    Time steps: ``weight = cluster size`` (days), ``dt_h = 1``, ``block`` = index of the
    representative day (chronological; each day is cyclic on its own), ``month_of`` = its month,
    ``timestamp`` = its hours, so ``sum_t weight*dt_h = 24*365 = 8760`` and the days each month
    stands for are its calendar days (the monthly hydro budgets keep ``H_m`` = the month's hours).
    The typical days' values are scaled per month and series so that every month's energy
    (demand, capacity factors, LNG and coal availability) equals the hourly year's, the peak
    day's contribution held fixed (:func:`_match_monthly_energy`; capacity factors stay
    <= 1). ``attrs['day_to_period']`` maps each of the 365 days to its period,
    ``attrs['peak_period']`` is the peak day's period.
    """
    _check_hourly(system)
    res = Resolution("representative", n_days)
    ts = _timestamps(system)
    frame, weights, ranges = _feature_frame(system)
    peak_day = int(np.argmax(frame[TOTAL_DEMAND].to_numpy())) // 24 if TOTAL_DEMAND in frame else -1
    month_of_day = ts.month.to_numpy()[::24]
    k_month = days_per_month(n_days)
    rep_days, sizes, day_to_period = [], [], np.empty(DAYS, dtype=int)
    peak_period, peak_fixed = -1, False
    for m in range(1, 13):
        days = np.flatnonzero(month_of_day == m)
        k = int(k_month[m - 1])
        if k >= days.size:  # every day stands for itself
            centers, labels = np.arange(days.size), np.arange(days.size)
        else:
            peak_fixed = peak_fixed or bool(np.isin(peak_day, days))
            hours = (days[:, None] * 24 + np.arange(24)[None, :]).ravel()
            centers, labels, _ = _cluster_month(
                frame.iloc[hours], weights, ranges, k, bool(np.isin(peak_day, days))
            )
        used = [j for j in range(len(centers)) if np.any(labels == j)]
        for j in sorted(used, key=lambda j: centers[j]):  # chronological within the month
            day_to_period[days[labels == j]] = len(rep_days)
            if days[centers[j]] == peak_day:
                peak_period = len(rep_days)
            rep_days.append(int(days[centers[j]]))
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
    period = np.repeat(np.arange(len(rep_days)), 24)
    fixed = (period == peak_period) & peak_fixed  # added by tsam: held as it is
    for v in new:
        new[v] = _match_monthly_energy(
            system[v], new[v], ts.month.to_numpy(), month_rep, weight, fixed
        )
    nt = hours.size
    steps = _step_vars(system, np.ones(nt), weight, month_rep.astype(int), period, ts[hours])
    out = _rebuild(system, new, steps, ts[hours], res)
    out.attrs["day_to_period"] = day_to_period
    out.attrs["peak_period"] = peak_period
    return out


def _match_monthly_energy(
    hourly: xr.DataArray,
    rep: xr.DataArray,
    month_hourly: np.ndarray,
    month_rep: np.ndarray,
    weight: np.ndarray,
    fixed: np.ndarray | None = None,
) -> xr.DataArray:
    """Scale the representative hours of each month so that the month's energy is the hourly
    year's: ``x'[t] = min(f * x[t], upper)`` per series and month, with ``f`` iterated until
    ``sum_{t in m, free} w[t] x'[t] = sum_{h in m} x[h] - sum_{t in m, fixed} w[t] x[t]``; what
    clipping at ``upper`` leaves short is spread over the hours' headroom,
    ``x'' = x' + s (upper - x')``. Steps in ``fixed`` (the peak day) keep their values.

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
    fixed = np.zeros(month_rep.shape, dtype=bool) if fixed is None else np.asarray(fixed, bool)
    for m in range(1, 13):
        sel_h, sel_r = month_hourly == m, (month_rep == m) & ~fixed
        if not sel_r.any():
            continue
        kept = (month_rep == m) & fixed
        target = x[..., sel_h].sum(axis=-1) - (y[..., kept] * weight[kept]).sum(axis=-1)
        target = np.maximum(target, 0.0)
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
