"""Monte Carlo adequacy: sample outages, weather, hydro and demand years; LOLE, EUE, verdicts.

One sample is one year of operation of a fixed plan with random

- **forced outages**: each generator group is ``n = ceil(capacity / unit_size)`` identical units;
  each unit is a two-state Markov chain (up/down) with failure rate
  ``lambda = FOR / ((1 - FOR) * MTTR)`` and repair rate ``mu = 1 / MTTR`` per hour, so per step of
  ``dt`` hours ``p_fail = lambda*dt``, ``p_repair = mu*dt``; the stationary share of units out is
  ``lambda / (lambda + mu) = FOR`` and an outage lasts ``MTTR`` hours on average. The chain starts
  from its stationary distribution. The count of units out then follows
  ``k[t] = k[t-1] + Bin(n - k[t-1], p_fail) - Bin(k[t-1], p_repair)``;
- **weather years**: solar and wind profiles shifted by a random whole number of days and perturbed
  by daily lognormal noise;
- **hydro years**: a dry year with probability ``dry_probability`` scales the monthly hydro energy
  budgets and run-of-river output by ``dry_factor``;
- **demand**: one lognormal scale factor per sample (mean 1, ``demand_sigma``).

The dispatch core (:func:`energy_sim.dispatch.dispatch`) operates each sample; :func:`assess`
turns the per-sample unserved energy into LOLE, EUE, LOLP and normalised EUE with standard errors
and checks the Resolution 70 indicators. Random numbers come from
``np.random.SeedSequence(seed, spawn_key=(chunk,))`` per chunk of samples, so a chunk gives
identical numbers whether it runs first, last, serially or on a Dask worker.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.errors import InputError

__all__ = [
    "AdequacyOptions",
    "assess",
    "assessment_summary",
    "chunk_seed",
    "combine_chunks",
    "load_plan",
    "run_chunk",
    "sample_chunk",
    "sample_outages",
    "summarise",
    "write_assessment",
]

#: Loss of load is counted in hours whose shed exceeds this (MW), as the dispatch core does.
SHED_THRESHOLD_MW = 0.1
WEATHER_TECHS = ("solar_utility", "solar_rooftop", "wind_onshore", "wind_offshore")


@dataclass(frozen=True)
class AdequacyOptions:
    """What a sample draws, and the standards a verdict checks (all assumptions, all settable).

    Attributes
    ----------
    outages
        Sample forced outages (two-state Markov chain per unit).
    weather_shift_days
        Solar and wind profiles shift by a uniform whole number of days in ``[-x, x]``.
    weather_sigma
        Daily lognormal noise on solar and wind output (sigma of the log).
    dry_probability, dry_factor
        Chance of a dry hydro year and its hydro energy factor (assumption: one year in five,
        75% of normal; the 2023 northern drought was ~50% in April-May, see the drought test).
    demand_sigma
        Sigma of the lognormal demand scale (mean 1).
    gaussian_threshold
        Groups with ``n*FOR*(1-FOR)`` above this use the Gaussian AR(1) approximation of the
        count of units out (same mean, variance and hour-to-hour correlation); smaller groups
        are simulated exactly.
    lole_standard_h
        Reliability standard for LOLE (assumption: 3 h/yr, as in Great Britain; Vietnam
        publishes none).
    eue_standard_ppm
        Standard for normalised EUE (assumption: 20 ppm = 0.002% of demand, Australia's).
    """

    outages: bool = True
    weather_shift_days: int = 15
    weather_sigma: float = 0.1
    dry_probability: float = 0.2
    dry_factor: float = 0.75
    demand_sigma: float = 0.03
    gaussian_threshold: float = 3.0
    lole_standard_h: float = 3.0
    eue_standard_ppm: float = 20.0


# ------------------------------------------------------------------------------ sampling


def chunk_seed(seed: int, chunk: int) -> np.random.SeedSequence:
    """The seed of chunk ``chunk``: ``SeedSequence(seed).spawn(...)[chunk]``, built directly."""
    return np.random.SeedSequence(seed, spawn_key=(chunk,))


def unit_counts(capacity_mw: np.ndarray, unit_size_mw: np.ndarray) -> np.ndarray:
    """``n = ceil(capacity / unit_size)`` (0 where there is no capacity)."""
    cap = np.nan_to_num(np.asarray(capacity_mw, dtype=float))
    size = np.where(np.asarray(unit_size_mw, dtype=float) > 0, unit_size_mw, np.inf)
    return np.where(cap > 1e-9, np.ceil(cap / size - 1e-9), 0).astype(np.int64)


def transition_probabilities(
    forced_outage_rate: np.ndarray, mttr_h: np.ndarray, dt_h: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-step ``p_fail = lambda*dt`` and ``p_repair = mu*dt`` (each capped at 1).

    ``lambda = FOR / ((1 - FOR) * MTTR)``, ``mu = 1 / MTTR``; the chain's stationary share of
    units out is ``p_fail / (p_fail + p_repair) = FOR``.
    """
    q = np.clip(np.asarray(forced_outage_rate, dtype=float), 0.0, 0.999)
    mttr = np.maximum(np.asarray(mttr_h, dtype=float), 1e-9)
    lam = q / ((1.0 - q) * mttr)
    return np.minimum(lam * dt_h, 1.0), np.minimum(dt_h / mttr, 1.0)


def _units_out_exact(
    n: int, p_fail: float, p_repair: float, samples: int, steps: int, rng: np.random.Generator
) -> np.ndarray:
    """Exact count of units out ``(sample, step)`` for one group.

    Each unit alternates up and down spells of geometric length (``Geo(p_fail)`` up,
    ``Geo(p_repair)`` down), starting in its stationary state; by memorylessness this is the
    same process as the binomial transitions of the count, drawn in a few vector operations.
    """
    units = samples * n
    q = p_fail / (p_fail + p_repair)
    down0 = rng.random(units) < q
    cycle = 1.0 / p_fail + 1.0 / p_repair
    expected = steps / cycle  # mean number of up-down cycles in the year
    k = 2 * math.ceil(expected + 6 * math.sqrt(expected) + 2)
    spells = np.empty((units, 0), dtype=np.int64)
    while True:
        j = np.arange(spells.shape[1], spells.shape[1] + k)
        down = down0[:, None] ^ (j[None, :] % 2 == 1)
        more = rng.geometric(np.where(down, p_repair, p_fail))
        spells = np.concatenate([spells, more], axis=1)
        ends = np.cumsum(spells, axis=1)
        if ends[:, -1].min() >= steps:
            break
    starts = np.concatenate([np.zeros((units, 1), dtype=np.int64), ends[:, :-1]], axis=1)
    j = np.arange(spells.shape[1])
    down = down0[:, None] ^ (j[None, :] % 2 == 1)
    first = np.minimum(starts[down], steps)
    last = np.minimum(ends[down], steps)
    row = np.broadcast_to((np.arange(units) // n)[:, None], down.shape)[down]
    width = steps + 1
    size = samples * width
    diff = np.bincount(row * width + first, minlength=size)
    diff -= np.bincount(row * width + last, minlength=size)
    # whole numbers below 2**24: exact in float32
    return np.cumsum(diff.reshape(samples, width)[:, :steps], axis=1, dtype=np.float32)


def _share_out_gaussian(
    n: int, p_fail: float, p_repair: float, samples: int, steps: int, rng: np.random.Generator
) -> np.ndarray:
    """Share of units out ``(sample, step)`` of one large group, Gaussian AR(1), float32.

    ``x[t] = q + rho*(x[t-1] - q) + e[t]``, ``rho = 1 - p_fail - p_repair``,
    ``e ~ N(0, q(1-q)/n * (1 - rho^2))``, ``x[0] ~ N(q, q(1-q)/n)``: the mean, variance and lag
    correlation of the exact count process divided by ``n``; clipped to ``[0, 1]``.
    """
    from scipy.signal import lfilter

    q = p_fail / (p_fail + p_repair)
    rho = 1.0 - p_fail - p_repair
    var = q * (1.0 - q) / n
    u = rng.standard_normal((samples, steps), dtype=np.float32)
    u *= np.float32(np.sqrt(var * (1.0 - rho**2)))
    u += np.float32(q * (1.0 - rho))
    u[:, 0] = q + np.sqrt(var) * rng.standard_normal(samples)  # x[0], stationary
    x = lfilter(np.float32([1.0]), np.float32([1.0, -rho]), u, axis=1)  # x[t] = u[t] + rho*x[t-1]
    return np.clip(x, 0.0, 1.0, out=x)


def sample_outages(
    n_units: np.ndarray,
    forced_outage_rate: np.ndarray,
    mttr_h: np.ndarray,
    *,
    samples: int,
    steps: int,
    rng: np.random.Generator,
    dt_h: float = 1.0,
    gaussian_threshold: float = 3.0,
) -> np.ndarray:
    """Available share of each group's capacity, ``1 - k[s, g, t] / n[g]``.

    Parameters
    ----------
    n_units, forced_outage_rate, mttr_h
        Per group: number of units, FOR, mean time to repair (h).
    samples, steps
        Output shape ``(samples, len(n_units), steps)``.
    rng
        Random generator (one per chunk).
    dt_h
        Step duration; transition probabilities per step are ``lambda*dt``, ``mu*dt``.
    gaussian_threshold
        Groups with ``n*FOR*(1-FOR)`` above it use :func:`_share_out_gaussian`.

    Returns
    -------
    numpy.ndarray
        float32 ``(sample, gen, time)`` in ``[0, 1]``; 1 for groups without units or FOR.
    """
    n = np.asarray(n_units, dtype=np.int64)
    p_fail, p_repair = transition_probabilities(forced_outage_rate, mttr_h, dt_h)
    avail = np.empty((samples, n.size, steps), dtype=np.float32)
    q = np.asarray(forced_outage_rate, dtype=float)
    active = (n > 0) & (p_fail > 0)
    big = active & (n * q * (1 - q) > gaussian_threshold)
    avail[:, ~active, :] = 1.0
    for g in np.flatnonzero(active):
        if big[g]:
            out = _share_out_gaussian(int(n[g]), p_fail[g], p_repair[g], samples, steps, rng)
        else:
            out = _units_out_exact(int(n[g]), p_fail[g], p_repair[g], samples, steps, rng)
            out *= np.float32(1.0 / n[g])
        np.subtract(np.float32(1.0), out, out=avail[:, g, :])
    return avail


def _uniform_dt(system: xr.Dataset) -> float:
    dt = np.asarray(system["dt_h"].values, dtype=float)
    weight = np.asarray(system["weight"].values, dtype=float)
    if not (np.allclose(dt, dt[0]) and np.allclose(weight, 1.0)):
        raise InputError(
            "adequacy needs a chronological year (equal steps, weight 1)",
            field="resolution",
            value=system.attrs.get("resolution"),
            allowed="full or Nh (build the System with resolution: full)",
        )
    return float(dt[0])


def _weather_multiplier(
    system: xr.Dataset, samples: int, dt: float, options: AdequacyOptions, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weather gens, their multipliers ``(sample, gen_w, time)``, and the day shifts.

    Effective profile ``min(1, a[t - 24*d/dt] * z[day])`` with ``d`` uniform in
    ``[-D, D]`` and ``z = exp(sigma*N - sigma^2/2)`` per sample, group and day; as a multiplier
    of the System's profile ``a[t]`` it is ``effective / a[t]`` (0 where ``a[t] = 0``).
    """
    gens = np.flatnonzero(np.isin(system["gen_tech"].values, WEATHER_TECHS))
    max_shift = int(options.weather_shift_days)
    shift = rng.integers(-max_shift, max_shift + 1, samples)
    if gens.size == 0:
        return gens, np.ones((samples, 0, system.sizes["time"]), np.float32), shift
    base = system["availability"].transpose("gen", "time").values[gens].astype(np.float32)
    steps = base.shape[1]
    per_day = max(1, round(24 / dt))
    days = -(-steps // per_day)
    sigma = options.weather_sigma
    z = np.exp(sigma * rng.standard_normal((samples, gens.size, days)) - sigma**2 / 2)
    z = np.repeat(z.astype(np.float32), per_day, axis=2)[:, :, :steps]
    inverse = np.where(base > 1e-6, 1.0 / np.maximum(base, 1e-6), 0.0).astype(np.float32)
    for d in np.unique(shift):  # z becomes the multiplier, one shift value at a time
        rows = shift == d
        z[rows] *= np.roll(base, int(d) * per_day, axis=1)[None]
    np.minimum(z, 1.0, out=z)
    z *= inverse[None]
    return gens, z, shift


def sample_chunk(
    system: xr.Dataset,
    capacity_mw: np.ndarray,
    chunk: int,
    size: int,
    seed: int,
    options: AdequacyOptions = AdequacyOptions(),
) -> dict[str, np.ndarray]:
    """Draw the random inputs of one chunk of ``size`` samples.

    Returns
    -------
    dict
        ``availability (sample, gen, time)`` multiplier, ``demand (sample, region, time)`` MW,
        ``hydro_cf_month (sample, gen, month)``, and the drivers ``demand_scale (sample)``,
        ``weather_shift_days (sample)``, ``dry_year (sample)``.
    """
    dt = _uniform_dt(system)
    s_out, s_weather, s_hydro, s_demand = (
        np.random.default_rng(s) for s in chunk_seed(seed, chunk).spawn(4)
    )
    steps = system.sizes["time"]
    if options.outages:
        avail = sample_outages(
            unit_counts(capacity_mw, system["unit_size_mw"].values),
            system["forced_outage_rate"].values,
            system["mttr_h"].values,
            samples=size,
            steps=steps,
            rng=s_out,
            dt_h=dt,
            gaussian_threshold=options.gaussian_threshold,
        )
    else:
        avail = np.ones((size, system.sizes["gen"], steps), dtype=np.float32)
    gens_w, mult, shift = _weather_multiplier(system, size, dt, options, s_weather)
    for i, g in enumerate(gens_w):  # plain slices: no gather/scatter copies
        avail[:, g, :] *= mult[:, i, :]
    dry = s_hydro.random(size) < options.dry_probability
    hydro_factor = np.where(dry, options.dry_factor, 1.0)
    ror = np.flatnonzero(system["gen_tech"].values == "hydro_ror")
    for g in ror:
        avail[:, g, :] *= hydro_factor[:, None].astype(np.float32)
    cf = system["hydro_cf_month"].transpose("gen", "month").values
    sigma = options.demand_sigma
    scale = np.exp(sigma * s_demand.standard_normal(size) - sigma**2 / 2)
    demand = system["demand_mw"].transpose("region", "time").values
    return {
        "availability": avail,
        "demand": scale[:, None, None] * demand[None],
        "hydro_cf_month": hydro_factor[:, None, None] * cf[None],
        "demand_scale": scale,
        "weather_shift_days": shift,
        "dry_year": dry,
    }


# ------------------------------------------------------------------------- plan capacities


def load_plan(path: str | Path) -> xr.Dataset:
    """Read a plan (``results.nc`` of ``energy-sim run``) into memory.

    Raises
    ------
    InputError
        When the file is missing, unreadable, or has no ``capacity_mw``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "plan file not found", field="--plan", value=str(path), allowed="a results.nc file"
        )
    try:
        with xr.open_dataset(path) as ds:
            plan = ds.load()
    except (OSError, ValueError) as err:
        raise InputError(
            f"cannot read the plan ({err})", field="--plan", value=str(path), allowed="NetCDF"
        ) from None
    if "capacity_mw" not in plan:
        raise InputError(
            "not a plan: no capacity_mw variable",
            field="--plan",
            value=str(path),
            allowed="results.nc written by energy-sim run",
        )
    return plan


def _aligned(system: xr.Dataset, plan: xr.Dataset | None, var: str, dim: str, default: str):
    """``plan[var]`` on the System's ``dim`` labels, or the System's ``default`` without a plan."""
    if plan is None or var not in plan:
        if default not in system:  # e.g. a System without storage or LNG hubs
            return np.zeros(system.sizes.get(dim, 0))
        return np.asarray(system[default].values, dtype=float)
    have = {str(x) for x in plan[dim].values}
    need = [str(x) for x in system[dim].values]
    missing = [x for x in need if x not in have]
    if missing:
        raise InputError(
            "the plan does not match the scenario",
            field=f"plan {var}",
            value=missing[0],
            allowed=f"a plan of the same scenario ({dim} labels of the System)",
        )
    return np.asarray(plan[var].sel({dim: need}).values, dtype=float)


def plan_capacities(system: xr.Dataset, plan: xr.Dataset | None) -> dict[str, np.ndarray]:
    """Capacities the assessment uses: the plan's, or the System's existing ones."""
    return {
        "capacity_mw": _aligned(system, plan, "capacity_mw", "gen", "cap0_mw"),
        "storage_power_mw": _aligned(system, plan, "storage_power_mw", "storage", "pcap0_mw"),
        "tank_mwh_th": _aligned(system, plan, "tank_mwh_th", "hub", "tank0_mwh_th"),
    }


# -------------------------------------------------------------------------------- chunks


def _annual(system: xr.Dataset) -> np.ndarray:
    """Hours each step stands for in the year, ``w[t]*dt[t]``."""
    return np.asarray(system["weight"].values * system["dt_h"].values, dtype=float)


def run_chunk(
    system: xr.Dataset,
    plan: xr.Dataset | None,
    chunk: int,
    size: int,
    seed: int,
    options: AdequacyOptions = AdequacyOptions(),
    dispatch: Callable[..., xr.Dataset] | None = None,
) -> xr.Dataset:
    """Sample one chunk, operate it with the dispatch core, keep what the statistics need.

    Returns
    -------
    xarray.Dataset
        Per sample (``sample`` = global index ``chunk*size + i``): ``unserved_energy_mwh``
        (sample, region), ``loss_of_load_hours`` (sample, region), ``loss_of_load_hours_system``,
        ``demand_mwh``, ``demand_scale``, ``weather_shift_days``, ``dry_year``; summed over the
        chunk's samples: ``shed_count`` (region, time: samples with shed > 0.1 MW),
        ``shed_sum_mw`` (region, time) and, when the dispatch reports LNG, ``lng_inventory_sum``
        (hub, time).
    """
    if dispatch is None:
        from energy_sim.dispatch import dispatch
    t0 = time.perf_counter()
    caps = plan_capacities(system, plan)
    draws = sample_chunk(system, caps["capacity_mw"], chunk, size, seed, options)
    t1 = time.perf_counter()
    res = dispatch(
        system,
        plan,
        samples=size,
        seed=None,
        availability=draws["availability"],
        demand=draws["demand"],
        hydro_cf_month=draws["hydro_cf_month"],
        keep_hourly=True,
        chunk_size=size,
        progress=False,
    )
    t2 = time.perf_counter()
    del draws["availability"]
    hours = _annual(system)
    shed = res["shed_mw"].transpose("sample", "region", "time").values
    lost = shed > SHED_THRESHOLD_MW
    regions = system["region"].values
    sample = np.arange(chunk * size, chunk * size + size)
    annual_demand = float((system["demand_mw"].sum("region").values * hours).sum())
    ds = xr.Dataset(
        {
            "unserved_energy_mwh": (("sample", "region"), (shed * hours).sum(axis=2)),
            "loss_of_load_hours": (("sample", "region"), (lost * hours).sum(axis=2)),
            "loss_of_load_hours_system": ("sample", (lost.any(axis=1) * hours).sum(axis=1)),
            "demand_mwh": ("sample", draws["demand_scale"] * annual_demand),
            "demand_scale": ("sample", draws["demand_scale"]),
            "weather_shift_days": ("sample", draws["weather_shift_days"]),
            "dry_year": ("sample", draws["dry_year"]),
            "shed_count": (("region", "time"), lost.sum(axis=0)),
            "shed_count_system": ("time", lost.any(axis=1).sum(axis=0)),
            "shed_sum_mw": (("region", "time"), shed.sum(axis=0)),
        },
        coords={"sample": sample, "region": regions, "time": system["time"].values},
    )
    for var in ("unserved_energy_mwh", "loss_of_load_hours", "loss_of_load_hours_system"):
        if var in res:  # the core's own annual figures, when it reports them
            ds[var] = res[var].transpose(*ds[var].dims).assign_coords(sample=sample)
    if "lng_days_of_cover" in res and "sample" in res["lng_days_of_cover"].dims:
        cover = res["lng_days_of_cover"].transpose("sample", "hub").values
        ds["lng_days_of_cover"] = (("sample", "hub"), cover)
        ds = ds.assign_coords(hub=system["hub"].values)
    if "lng_inventory_mwh_th" in res and "sample" in res["lng_inventory_mwh_th"].dims:
        inv = res["lng_inventory_mwh_th"].transpose("sample", "hub", "time").values
        ds["lng_inventory_sum"] = (("hub", "time"), inv.sum(axis=0))
        ds["lng_inventory_min"] = (("sample", "hub"), inv.min(axis=2))
        ds = ds.assign_coords(hub=system["hub"].values)
    ds.attrs.update(n_samples=size, sample_s=t1 - t0, dispatch_s=t2 - t1)
    return ds


def combine_chunks(chunks: list[xr.Dataset]) -> xr.Dataset:
    """Join chunks: per-sample variables along ``sample``, chunk sums added."""
    per_sample = [v for v in chunks[0].data_vars if "sample" in chunks[0][v].dims]
    sums = [v for v in chunks[0].data_vars if "sample" not in chunks[0][v].dims]
    out = xr.concat([c[per_sample] for c in chunks], dim="sample")
    for var in sums:
        out[var] = sum(c[var] for c in chunks)
    out.attrs["n_samples"] = int(out.sizes["sample"])
    for key in ("sample_s", "dispatch_s"):  # time spent, summed over chunks
        out.attrs[key] = float(sum(c.attrs.get(key, 0.0) for c in chunks))
    return out


# ---------------------------------------------------------------------------- statistics


def _mean_se(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean and its standard error ``std(ddof=1)/sqrt(n)`` along axis 0."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    return mean, se


def _hour_of_day(system: xr.Dataset) -> np.ndarray:
    if "timestamp" in system.coords or "timestamp" in system:
        stamps = np.asarray(system["timestamp"].values)
        if np.issubdtype(stamps.dtype, np.datetime64):
            return ((stamps - stamps.astype("datetime64[D]")) // np.timedelta64(1, "h")).astype(int)
    return (np.cumsum(system["dt_h"].values) - system["dt_h"].values).astype(int) % 24


def reserve_margin(system: xr.Dataset, plan: xr.Dataset | None) -> float:
    """Achieved planning reserve margin ``(sum credit*cap + sum credit_s*pcap) / peak - 1``.

    ``peak = max_t sum_r demand[r, t]`` (coincident) of the System as given (stresses included).
    """
    caps = plan_capacities(system, plan)
    firm = float((system["capacity_credit"].values * caps["capacity_mw"]).sum())
    if "storage" in system.dims and system.sizes["storage"]:
        credit = system["storage_capacity_credit"].values
        firm += float((credit * caps["storage_power_mw"]).sum())
    peak = float(system["demand_mw"].sum("region").max())
    return firm / peak - 1.0


def lng_tank_days(system: xr.Dataset, plan: xr.Dataset | None) -> np.ndarray:
    """Days of cover of each hub's tank: ``tank / (24 * sum_{g LNG at n} cap_g / eff_g)``
    (``inf`` where no LNG plant draws on the hub)."""
    if "hub" not in system.dims or system.sizes["hub"] == 0:
        return np.zeros(0)
    caps = plan_capacities(system, plan)
    gen_hub = np.asarray(system["gen_hub"].values).astype(str)
    is_lng = np.asarray(system["is_lng"].values, dtype=bool)
    burn = caps["capacity_mw"] / np.maximum(system["efficiency"].values, 1e-9)
    daily = np.array(
        [24.0 * burn[(gen_hub == str(h)) & is_lng].sum() for h in system["hub"].values]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(daily > 0, caps["tank_mwh_th"] / daily, np.inf)


def summarise(
    system: xr.Dataset,
    plan: xr.Dataset | None,
    combined: xr.Dataset,
    options: AdequacyOptions = AdequacyOptions(),
    *,
    rel_tol: float = 0.05,
) -> xr.Dataset:
    """Adequacy statistics, where and when load is lost, and the Resolution 70 verdicts.

    With ``N`` samples and per-sample annual figures ``x_i``: mean ``sum x_i / N`` and standard
    error ``std(x, ddof=1)/sqrt(N)`` for LOLE (h/yr with shed > 0.1 MW), EUE (MWh/yr) and
    normalised EUE (``1e6 * EUE_i / demand_i``, ppm); ``LOLP = LOLE / 8760`` (the chance that a
    given hour has loss of load); ``P(year with loss of load)`` is the share of samples with any.
    Converged when ``se(EUE) / EUE < rel_tol``. With no unserved energy in any sample the
    relative error is undefined and the run does not count as converged; then
    ``loss_of_load_year_upper95 = 1 - 0.05**(1/N)`` bounds the chance of a year with loss of load.
    """
    n = combined.sizes["sample"]
    hours = _annual(system)
    year_h = float(hours.sum())
    regions = system["region"].values
    eue_r = combined["unserved_energy_mwh"].transpose("sample", "region").values
    lol_r = combined["loss_of_load_hours"].transpose("sample", "region").values
    lol_s = combined["loss_of_load_hours_system"].values
    eue_s = eue_r.sum(axis=1)
    scale = combined["demand_scale"].values
    demand_r = (system["demand_mw"].transpose("region", "time").values * hours).sum(axis=1)
    ppm_r = 1e6 * eue_r / (scale[:, None] * demand_r[None, :])
    ppm_s = 1e6 * eue_s / combined["demand_mwh"].values

    ds = combined.copy()
    stats = {
        "lole_h": (lol_r, "h/yr", "loss of load expectation: hours/yr with shed > 0.1 MW"),
        "eue_mwh": (eue_r, "MWh/yr", "expected unserved energy"),
        "eue_ppm": (ppm_r, "ppm", "expected unserved energy per million of demand"),
    }
    for name, (values, units, text) in stats.items():
        mean, se = _mean_se(values)
        ds[name] = ("region", mean, {"units": units, "description": f"{text}, by region"})
        ds[f"{name}_se"] = ("region", se, {"units": units, "description": "standard error"})
        mean_s, se_s = _mean_se({"lole_h": lol_s, "eue_mwh": eue_s, "eue_ppm": ppm_s}[name])
        sys_name = name.replace("_", "_system_", 1)
        ds[sys_name] = ((), mean_s, {"units": units, "description": f"{text}, system-wide"})
        ds[f"{sys_name}_se"] = ((), se_s, {"units": units, "description": "standard error"})
    ds["lolp"] = ds["lole_h"] / year_h
    ds["lolp"].attrs = {"units": "1", "description": "loss of load probability of an hour"}
    ds["lolp_system"] = ds["lole_system_h"] / year_h
    ds["lolp_system"].attrs = {"units": "1", "description": "LOLP of an hour, system-wide"}
    ds["loss_of_load_year_probability"] = ((), float((lol_s > 0).mean()))
    ds["loss_of_load_year_probability"].attrs = {
        "units": "1",
        "description": "share of sample years with any loss of load",
    }
    ds["loss_of_load_year_upper95"] = ((), 1.0 - 0.05 ** (1.0 / n))
    ds["loss_of_load_year_upper95"].attrs = {
        "units": "1",
        "description": "95% upper bound of P(year with loss of load) when no sample had any",
    }
    eue = float(ds["eue_system_mwh"])
    rel_se = float(ds["eue_system_mwh_se"]) / eue if eue > 0 else float("nan")

    prob = combined["shed_count"].transpose("region", "time").values / n
    ds["loss_of_load_probability"] = (
        ("region", "time"),
        prob,
        {"units": "1", "description": "share of samples with shed > 0.1 MW in the step"},
    )
    ds["expected_shed_mw"] = (
        ("region", "time"),
        combined["shed_sum_mw"].transpose("region", "time").values / n,
        {"units": "MW", "description": "mean shed over the samples"},
    )
    months = np.asarray(system["month_of"].values, dtype=int)
    hod = _hour_of_day(system)
    weighted = prob * hours[None, :]
    by_month = np.stack([weighted[:, months == m].sum(axis=1) for m in range(1, 13)], axis=1)
    by_hour = np.stack([weighted[:, hod == h].sum(axis=1) for h in range(24)], axis=1)
    ds["lole_by_month_h"] = (("region", "month"), by_month, {"units": "h/yr"})
    ds["lole_by_hour_h"] = (("region", "hour_of_day"), by_hour, {"units": "h/yr"})
    prob_sys = combined["shed_count_system"].values / n
    ds["loss_of_load_probability_system"] = (
        "time",
        prob_sys,
        {"units": "1", "description": "share of samples with shed > 0.1 MW in any region"},
    )
    weighted_sys = prob_sys * hours
    ds["lole_system_by_month_h"] = (
        "month",
        np.array([weighted_sys[months == m].sum() for m in range(1, 13)]),
        {"units": "h/yr", "description": "system LOLE falling in each month"},
    )
    ds["lole_system_by_hour_h"] = (
        "hour_of_day",
        np.array([weighted_sys[hod == h].sum() for h in range(24)]),
        {"units": "h/yr", "description": "system LOLE falling at each hour of the day"},
    )
    ds = ds.assign_coords(month=np.arange(1, 13), hour_of_day=np.arange(24), region=regions)
    ds = ds.drop_vars(["shed_count", "shed_count_system", "shed_sum_mw"])

    margin = reserve_margin(system, plan)
    target = float(system.attrs.get("reserve_margin", 0.15))
    ds["reserve_margin_achieved"] = ((), margin, {"units": "1"})
    verdict: dict[str, Any] = {
        "reserve_margin": {"value": margin, "target": target, "pass": margin >= target - 1e-9},
        "lole": {
            "value_h": float(ds["lole_system_h"]),
            "standard_h": options.lole_standard_h,
            "pass": float(ds["lole_system_h"]) <= options.lole_standard_h,
        },
        "eue_ppm": {
            "value": float(ds["eue_system_ppm"]),
            "standard": options.eue_standard_ppm,
            "pass": float(ds["eue_system_ppm"]) <= options.eue_standard_ppm,
        },
    }
    if "hub" in system.dims and system.sizes["hub"]:
        days = lng_tank_days(system, plan)
        reserve = np.asarray(system["reserve_days"].values, dtype=float)
        ds = ds.assign_coords(hub=system["hub"].values)
        ds["lng_tank_days_of_cover"] = ("hub", days, {"units": "d"})
        ds["lng_reserve_days"] = ("hub", reserve, {"units": "d"})
        hubs = {
            str(h): {"days": float(d), "reserve_days": float(r), "pass": bool(d >= r)}
            for h, d, r in zip(system["hub"].values, days, reserve, strict=True)
        }
        if "lng_days_of_cover" in ds:
            cover = ds["lng_days_of_cover"].values
            finite = np.isfinite(cover)
            count = finite.sum(axis=0)
            total = np.where(finite, cover, 0.0).sum(axis=0)
            ds["lng_days_of_cover_operated"] = (
                "hub",
                np.where(count > 0, total / np.maximum(count, 1), np.nan),
                {
                    "units": "d",
                    "description": "mean over samples of the year's lowest inventory / "
                    "daily burn at full LNG capacity (as operated by the dispatch core)",
                },
            )
        if "lng_inventory_sum" in ds:
            ds["lng_inventory_mean_mwh_th"] = ds["lng_inventory_sum"] / n
            ds["lng_inventory_mean_mwh_th"].attrs = {"units": "MWh_th"}
            ds = ds.drop_vars("lng_inventory_sum")
        verdict["lng_days_of_cover"] = {
            "hubs": hubs,
            "pass": all(v["pass"] for v in hubs.values()),
        }
    shedding = [str(r) for r, e in zip(regions, ds["eue_mwh"].values, strict=True) if e > 0]
    ds.attrs.update(
        {
            "kind": "assessment",
            "scenario": system.attrs.get("scenario", ""),
            "stress": system.attrs.get("stress", "[]"),
            "n_samples": n,
            "eue_relative_se": rel_se,
            "rel_tol": rel_tol,
            "converged": int(bool(rel_se < rel_tol)),
            "regions_shedding": ",".join(shedding),
            "verdict": json.dumps(verdict),
            "options": json.dumps(asdict(options)),
        }
    )
    return ds


# ------------------------------------------------------------------------------ assess


def _relative_se(chunks: list[xr.Dataset]) -> float:
    eue = np.concatenate([c["unserved_energy_mwh"].sum("region").values for c in chunks])
    mean, se = _mean_se(eue)
    return float(se / mean) if mean > 0 else float("nan")


def assess(
    system: xr.Dataset,
    plan: xr.Dataset | None = None,
    *,
    samples: int = 1000,
    seed: int = 0,
    chunk_size: int = 100,
    rel_tol: float = 0.05,
    max_samples: int | None = None,
    progress: bool = False,
    options: AdequacyOptions | None = None,
    dispatch: Callable[..., xr.Dataset] | None = None,
    client: Any = None,
    **option_values: Any,
) -> xr.Dataset:
    """Monte Carlo adequacy assessment of a plan on a chronological System.

    Runs chunks ``c = 0, 1, ...`` of ``chunk_size`` samples (seeded by
    :func:`chunk_seed`) until ``samples`` are done; then, if ``max_samples > samples``, goes on
    chunk by chunk while the relative standard error of EUE is ``>= rel_tol`` and fewer than
    ``max_samples`` samples are done.

    Parameters
    ----------
    system
        Full-year chronological System (stresses already applied).
    plan
        Results with ``capacity_mw`` etc.; ``None`` assesses the existing fleet. Corridor
        outages recorded in ``system.attrs["stress"]`` are carried over to the plan.
    samples, seed, chunk_size
        Number of sample years (at least), seed, samples per dispatch call.
    rel_tol, max_samples
        Convergence tolerance on ``se(EUE)/EUE`` and the sample cap (default ``samples``).
    progress
        Show a rich progress bar.
    options, **option_values
        :class:`AdequacyOptions`, or its fields as keywords (``lole_standard_h=2.4``).
    dispatch
        The dispatch function (default :func:`energy_sim.dispatch.dispatch`).
    client
        A :class:`distributed.Client`: chunks run on its workers, a wave of one chunk per
        worker at a time; the convergence test still goes chunk by chunk in order, so the
        result is identical to the serial one (chunks past the stopping point are dropped).

    Returns
    -------
    xarray.Dataset
        See :func:`summarise`; ``attrs`` carry ``seed``, ``chunk_size``, ``elapsed_s``.
    """
    from energy_sim.stress import apply_stresses_to_plan

    if samples < 1 or chunk_size < 1:
        raise InputError(
            "samples and chunk size must be positive",
            field="--samples",
            value=samples,
            allowed=">= 1",
        )
    try:
        options = AdequacyOptions(**{**asdict(options or AdequacyOptions()), **option_values})
    except TypeError as err:
        raise InputError(
            str(err), field="options", allowed=", ".join(AdequacyOptions.__annotations__)
        ) from None
    if plan is not None:
        plan = apply_stresses_to_plan(plan, system)
    cap = max(samples, max_samples or samples)
    sizes = [min(chunk_size, cap - a) for a in range(0, cap, chunk_size)]
    first = -(-samples // chunk_size)  # chunks that cover `samples`
    started = time.perf_counter()
    chunks: list[xr.Dataset] = []
    bar = _progress_bar(progress, cap)
    with bar:
        task = bar.add_task("sample years", total=cap) if progress else None
        if client is not None:
            batch = _dask_batch(client, system, plan, seed, options, dispatch)
            wave = max(1, len(client.scheduler_info().get("workers", {})))
        while len(chunks) < len(sizes):
            k = len(chunks)
            step = wave if client is not None else 1
            todo = range(k, min(len(sizes), max(first, k + step)))
            if client is None:
                new = [run_chunk(system, plan, i, sizes[i], seed, options, dispatch) for i in todo]
            else:
                new = batch([(i, sizes[i]) for i in todo])
            stop = False
            for ds_chunk in new:  # the convergence test after each chunk, as run serially
                chunks.append(ds_chunk)
                if len(chunks) >= first and _relative_se(chunks) < rel_tol:
                    stop = True
                    break
            if task is not None:
                bar.update(task, completed=sum(sizes[: len(chunks)]))
            if stop:
                break
    ds = summarise(system, plan, combine_chunks(chunks), options, rel_tol=rel_tol)
    ds.attrs.update(
        {
            "seed": seed,
            "chunk_size": chunk_size,
            "elapsed_s": time.perf_counter() - started,
        }
    )
    return ds


def _dask_batch(client: Any, system, plan, seed, options, dispatch) -> Callable:
    """A function that runs a list of ``(chunk, size)`` on the cluster, results in order."""
    system_f = client.scatter(system, broadcast=True)
    plan_f = client.scatter(plan, broadcast=True) if plan is not None else None

    def batch(todo: list[tuple[int, int]]) -> list[xr.Dataset]:
        futures = [
            client.submit(run_chunk, system_f, plan_f, i, size, seed, options, dispatch, pure=False)
            for i, size in todo
        ]
        return client.gather(futures)

    return batch


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _progress_bar(show: bool, total: int) -> Any:
    if not show:
        return _NoBar()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )


# ----------------------------------------------------------------------------- reporting


def assessment_summary(ds: xr.Dataset) -> dict[str, Any]:
    """The JSON summary of an assessment.

    Top level: system-wide ``lole_h``, ``eue_mwh``, ``eue_ppm`` (each with ``_se``), ``lolp``,
    the reserve margin; then ``by_region``, ``regions_shedding``, ``when`` (LOLE by month and
    hour of day), ``verdict`` (Resolution 70 indicators), ``convergence`` and ``options``.
    """

    def num(x: Any) -> float | None:
        value = float(x)
        return None if math.isnan(value) else value

    regions = [str(r) for r in ds["region"].values]
    by_region = {
        r: {
            name: num(ds[name].sel(region=r))
            for name in ("lole_h", "lole_h_se", "eue_mwh", "eue_mwh_se", "eue_ppm", "lolp")
        }
        for r in regions
    }
    month = ds["lole_system_by_month_h"].values
    hour = ds["lole_system_by_hour_h"].values
    stress = json.loads(ds.attrs.get("stress", "[]") or "[]")
    summary: dict[str, Any] = {
        "name": "+".join(s["test"] for s in stress) or "adequacy",
        "kind": "assessment",
        "scenario": ds.attrs.get("scenario", ""),
        "stress": stress,
        "n_samples": int(ds.attrs["n_samples"]),
        "seed": ds.attrs.get("seed"),
        "lole_h": num(ds["lole_system_h"]),
        "lole_h_se": num(ds["lole_system_h_se"]),
        "eue_mwh": num(ds["eue_system_mwh"]),
        "eue_mwh_se": num(ds["eue_system_mwh_se"]),
        "eue_ppm": num(ds["eue_system_ppm"]),
        "eue_ppm_se": num(ds["eue_system_ppm_se"]),
        "lolp": num(ds["lolp_system"]),
        "loss_of_load_year_probability": num(ds["loss_of_load_year_probability"]),
        "reserve_margin_achieved": num(ds["reserve_margin_achieved"]),
        "convergence": {
            "converged": bool(ds.attrs.get("converged")),
            "eue_relative_se": num(ds.attrs.get("eue_relative_se", float("nan"))),
            "rel_tol": ds.attrs.get("rel_tol"),
        },
        "by_region": by_region,
        "regions_shedding": [r for r in regions if by_region[r]["eue_mwh"]],
        "when": {
            "lole_by_month_h": {m: float(v) for m, v in zip(range(1, 13), month, strict=True)},
            "lole_by_hour_h": {h: float(v) for h, v in zip(range(24), hour, strict=True)},
        },
        "verdict": json.loads(ds.attrs.get("verdict", "{}")),
        "options": json.loads(ds.attrs.get("options", "{}")),
    }
    if "lng_days_of_cover_operated" in ds:
        summary["lng_days_of_cover_operated"] = {
            str(h): float(d)
            for h, d in zip(ds["hub"].values, ds["lng_days_of_cover_operated"].values, strict=True)
        }
    if "lng_tank_days_of_cover" in ds:
        summary["lng_days_of_cover"] = {
            str(h): float(d)
            for h, d in zip(ds["hub"].values, ds["lng_tank_days_of_cover"].values, strict=True)
        }
    return _json_safe(summary)


def _json_safe(x: Any) -> Any:
    """NaN and infinity -> None (strict JSON), recursively."""
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, float | np.floating) and not math.isfinite(float(x)):
        return None
    return x


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_assessment(ds: xr.Dataset, out_dir: str | Path, stem: str = "assessment") -> list[Path]:
    """Write ``{stem}.nc`` and ``{stem}.json`` into ``out_dir``, each atomically.

    Returns
    -------
    list of Path
        The two files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nc, js = out / f"{stem}.nc", out / f"{stem}.json"
    encoded = ds.copy()
    for var in encoded.data_vars:
        if encoded[var].dtype == bool:
            encoded[var] = encoded[var].astype("int8")
    _atomic_write(nc, lambda p: encoded.to_netcdf(p, engine="h5netcdf"))
    text = json.dumps(assessment_summary(ds), indent=2, default=float)
    _atomic_write(js, lambda p: p.write_text(text + "\n"))
    return [nc, js]
