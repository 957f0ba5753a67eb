"""Random inputs of one chunk of sample years: forced outages, weather, hydro and demand.

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

Random numbers come from ``np.random.SeedSequence(seed, spawn_key=(chunk,))`` per chunk of
samples (:func:`chunk_seed`), so a chunk gives identical numbers wherever it runs.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from energy_sim.adequacy.options import DEFAULT_OPTIONS, WEATHER_TECHS, AdequacyOptions
from energy_sim.errors import InputError

__all__ = [
    "chunk_seed",
    "sample_chunk",
    "sample_outages",
    "transition_probabilities",
    "unit_counts",
]


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
    options: AdequacyOptions = DEFAULT_OPTIONS,
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
