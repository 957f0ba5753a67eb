"""Random inputs of one chunk of sample years: forced outages, weather, hydro and demand.

- **forced outages**: each generator group is ``n = ceil(capacity / unit_size)`` identical units;
  each unit is a two-state Markov chain (up/down) with failure rate
  ``lambda = FOR / ((1 - FOR) * MTTR)`` and repair rate ``mu = 1 / MTTR`` per hour, so per step of
  ``dt`` hours ``p_fail = lambda*dt``, ``p_repair = mu*dt``; the stationary share of units out is
  ``lambda / (lambda + mu) = FOR`` and an outage lasts ``MTTR`` hours on average. The chain starts
  from its stationary distribution. The count of units out then follows
  ``k[t] = k[t-1] + Bin(n - k[t-1], p_fail) - Bin(k[t-1], p_repair)``. Groups with
  ``n*FOR*(1-FOR) <= gaussian_threshold`` are drawn exactly, unit by unit, as alternating up and
  down spells of geometric length (:func:`~energy_sim.security.adequacy._kernels.units_out_exact`);
  larger groups as the Gaussian AR(1) with the same mean, variance and lag-1 correlation
  (:func:`~energy_sim.security.adequacy._kernels.share_out_gaussian`);
- **weather years**: solar and wind profiles shifted by a random whole number of days and perturbed
  by daily lognormal noise;
- **hydro years**: a dry year with probability ``dry_probability`` scales the monthly hydro energy
  budgets and run-of-river output by ``dry_factor``;
- **demand**: one lognormal scale factor per sample (mean 1, ``demand_sigma``).

Random numbers come from ``np.random.SeedSequence(seed, spawn_key=(chunk,))`` per chunk of
samples (:func:`chunk_seed`), split into four streams (outages, weather, hydro, demand); the
outage stream is split again into one generator per generator group. Each group's rows are
drawn by a compiled kernel from its own generator, so the groups run in parallel threads
(``threads``) and a chunk gives identical numbers wherever it runs and with any thread count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.security.adequacy import _kernels
from energy_sim.security.adequacy.options import DEFAULT_OPTIONS, WEATHER_TECHS, AdequacyOptions

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


def _sampling_threads(threads: int | None, groups: int) -> int:
    """Threads for the group kernels: ``threads``, else numba's (``NUMBA_NUM_THREADS``)."""
    if threads is None:
        import numba

        threads = numba.get_num_threads()
    return max(1, min(int(threads), groups))


def _draw_groups(
    avail: np.ndarray,
    n_units: np.ndarray,
    forced_outage_rate: np.ndarray,
    mttr_h: np.ndarray,
    rng: np.random.Generator,
    *,
    dt_h: float,
    gaussian_threshold: float,
    outages: bool,
    after: Callable[[int], None] | None,
    threads: int | None,
    needed: Mapping[int, np.ndarray] | None = None,
) -> None:
    """Fill ``avail (sample, gen, time)`` group by group: outages, then ``after(g)`` if given.

    Group ``g`` draws from ``rng.spawn(G)[g]`` whatever the other groups are, so a group's
    draws depend only on the chunk's seed and its own parameters. Groups are handed out to
    ``threads`` threads (the kernels release the GIL), the costliest first. ``needed[g]``
    (bool per step) marks the steps whose value is used, for Gaussian groups whose other
    steps ``after`` multiplies by 0 (the chain jumps over those exactly; they hold 1).
    """
    n = np.asarray(n_units, dtype=np.int64)
    p_fail, p_repair = transition_probabilities(forced_outage_rate, mttr_h, dt_h)
    q = np.asarray(forced_outage_rate, dtype=float)
    active = outages & (n > 0) & (p_fail > 0)
    big = active & (n * q * (1 - q) > gaussian_threshold)
    rngs = rng.spawn(n.size)
    samples, _, steps = avail.shape
    all_steps = np.ones(steps, dtype=np.bool_)

    def one(g: int) -> None:
        if big[g]:
            use = all_steps if needed is None else needed.get(g, all_steps)
            _kernels.share_out_gaussian(rngs[g], int(n[g]), p_fail[g], p_repair[g], use, avail, g)
        elif active[g]:
            _kernels.units_out_exact(rngs[g], int(n[g]), p_fail[g], p_repair[g], avail, g)
        else:
            _kernels.fill_rows(avail, g, 1.0)
        if after is not None:
            after(g)

    # cost per sample in ~ns: a normal per step; the exact path's spells; a plain row write
    with np.errstate(divide="ignore", invalid="ignore"):
        spells = np.where(active, 2 * steps / (1 / p_fail + 1 / p_repair), 0.0)
    cost = np.where(big, 3.0 * steps, np.where(active, steps + 4.0 * n * spells, 0.3 * steps))
    order = [int(g) for g in np.argsort(-cost, kind="stable")]
    workers = _sampling_threads(threads, n.size)
    if workers == 1 or samples == 0:
        for g in order:
            one(g)
        return
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(one, order):  # re-raises a group's exception here
            pass


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
    threads: int | None = None,
) -> np.ndarray:
    """Available share of each group's capacity, ``1 - k[s, g, t] / n[g]``.

    Every unit of a group is a two-state Markov chain with per-step failure probability
    ``p_fail`` and repair probability ``p_repair`` (:func:`transition_probabilities`), started
    from its stationary state (down with probability ``FOR``), so the share out is ``FOR`` on
    average and an outage lasts ``MTTR`` hours on average. Groups with
    ``n*FOR*(1-FOR) <= gaussian_threshold`` are drawn exactly, unit by unit, as alternating
    geometric up and down spells (:func:`~energy_sim.security.adequacy._kernels.units_out_exact`);
    larger groups as the Gaussian AR(1) ``x[t] = q + rho (x[t-1] - q) + e[t]``,
    ``rho = 1 - p_fail - p_repair``, ``Var(e) = q(1-q)/n (1 - rho^2)``, clipped to ``[0, 1]``
    (:func:`~energy_sim.security.adequacy._kernels.share_out_gaussian`).

    Parameters
    ----------
    n_units, forced_outage_rate, mttr_h
        Per group: number of units, FOR, mean time to repair (h).
    samples, steps
        Output shape ``(samples, len(n_units), steps)``.
    rng
        Random generator (one per chunk); group ``g`` draws from ``rng.spawn(G)[g]``.
    dt_h
        Step duration; transition probabilities per step are ``lambda*dt``, ``mu*dt``.
    gaussian_threshold
        Groups with ``n*FOR*(1-FOR)`` above it use the Gaussian AR(1).
    threads
        Threads over groups (default: ``numba.get_num_threads()``); the numbers do not depend
        on it.

    Returns
    -------
    numpy.ndarray
        float32 ``(sample, gen, time)`` in ``[0, 1]``; 1 for groups without units or FOR.
    """
    n = np.asarray(n_units, dtype=np.int64)
    avail = np.empty((samples, n.size, steps), dtype=np.float32)
    _draw_groups(
        avail,
        n,
        np.asarray(forced_outage_rate, dtype=float),
        np.asarray(mttr_h, dtype=float),
        rng,
        dt_h=dt_h,
        gaussian_threshold=gaussian_threshold,
        outages=True,
        after=None,
        threads=threads,
    )
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


def _weather_draws(
    system: xr.Dataset, samples: int, dt: float, options: AdequacyOptions, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The weather year of each sample: gens, day shifts, daily noise and the profiles.

    Effective profile ``min(1, a[t - 24*d/dt] * z[day])`` with ``d`` uniform in
    ``[-D, D]`` and ``z = exp(sigma*N - sigma^2/2)`` per sample, group and day; as a multiplier
    of the System's profile ``a[t]`` it is ``effective / a[t]`` (0 where ``a[t] = 0``), applied
    by :func:`~energy_sim.security.adequacy._kernels.multiply_weather`.

    Returns
    -------
    tuple
        ``gens`` (indices of the weather groups), ``shift`` (days, per sample), ``z`` float32
        ``(gen_w, sample, day)`` (drawn in the order ``(sample, gen_w, day)``), ``base`` and
        ``inverse`` float32 ``(gen_w, time)``, steps per day.
    """
    gens = np.flatnonzero(np.isin(system["gen_tech"].values, WEATHER_TECHS))
    max_shift = int(options.weather_shift_days)
    shift = rng.integers(-max_shift, max_shift + 1, samples)
    steps = system.sizes["time"]
    per_day = max(1, round(24 / dt))
    days = -(-steps // per_day)
    z = np.empty((gens.size, samples, days), dtype=np.float32)
    _kernels.lognormal_noise(rng, float(options.weather_sigma), z)
    base = system["availability"].transpose("gen", "time").values[gens].astype(np.float32)
    inverse = np.where(base > 1e-6, 1.0 / np.maximum(base, 1e-6), 0.0).astype(np.float32)
    return gens, shift, z, base, inverse, per_day


def sample_chunk(
    system: xr.Dataset,
    capacity_mw: np.ndarray,
    chunk: int,
    size: int,
    seed: int,
    options: AdequacyOptions = DEFAULT_OPTIONS,
    *,
    threads: int | None = None,
) -> dict[str, np.ndarray]:
    """Draw the random inputs of one chunk of ``size`` samples.

    The availability multiplier of group ``g`` in sample ``s`` is its outage availability
    (:func:`sample_outages`) times, for solar and wind, the weather-year multiplier and, for
    run-of-river hydro, the dry-year factor; one thread draws a group's rows and multiplies
    them right away, while they are in cache.

    Parameters
    ----------
    system
        Chronological System (equal steps, weight 1).
    capacity_mw
        The plan's capacity per generator group.
    chunk, size, seed
        Chunk ``chunk`` of ``size`` samples draws from :func:`chunk_seed` ``(seed, chunk)``.
    options
        What to draw (:class:`~energy_sim.security.adequacy.options.AdequacyOptions`).
    threads
        Threads over generator groups (default: ``numba.get_num_threads()``); the numbers do
        not depend on it.

    Returns
    -------
    dict
        ``availability (sample, gen, time)`` float32 multiplier, ``demand (sample, region,
        time)`` MW, ``hydro_cf_month (sample, gen, month)``, and the drivers ``demand_scale
        (sample)``, ``weather_shift_days (sample)``, ``dry_year (sample)``.
    """
    dt = _uniform_dt(system)
    s_out, s_weather, s_hydro, s_demand = (
        np.random.default_rng(s) for s in chunk_seed(seed, chunk).spawn(4)
    )
    steps = system.sizes["time"]
    gens_w, shift, noise, base, inverse, per_day = _weather_draws(
        system, size, dt, options, s_weather
    )
    dry = s_hydro.random(size) < options.dry_probability
    hydro_factor = np.where(dry, options.dry_factor, 1.0)
    sigma = options.demand_sigma
    scale = np.exp(sigma * s_demand.standard_normal(size) - sigma**2 / 2)

    weather_row = {int(g): i for i, g in enumerate(gens_w)}
    ror = set(np.flatnonzero(system["gen_tech"].values == "hydro_ror").tolist())
    ones = np.ones(size, dtype=np.float32)
    dry_f32 = hydro_factor.astype(np.float32)
    shift_steps = shift.astype(np.int64) * per_day
    avail = np.empty((size, system.sizes["gen"], steps), dtype=np.float32)

    def after(g: int) -> None:
        factor = dry_f32 if g in ror else ones
        i = weather_row.get(g)
        if i is not None:
            _kernels.multiply_weather(
                avail, g, base[i], inverse[i], shift_steps, noise[i], per_day, factor
            )
        elif g in ror:
            _kernels.multiply_rows(avail, g, factor)

    # solar and wind steps whose multiplier is 0 whatever the outages (profile 0: night)
    needed = {int(g): inverse[i] > 0 for i, g in enumerate(gens_w)}
    _draw_groups(
        avail,
        unit_counts(capacity_mw, system["unit_size_mw"].values),
        np.asarray(system["forced_outage_rate"].values, dtype=float),
        np.asarray(system["mttr_h"].values, dtype=float),
        s_out,
        dt_h=dt,
        gaussian_threshold=options.gaussian_threshold,
        outages=options.outages,
        after=after,
        threads=threads,
        needed=needed,
    )
    cf = system["hydro_cf_month"].transpose("gen", "month").values
    demand = system["demand_mw"].transpose("region", "time").values
    return {
        "availability": avail,
        "demand": scale[:, None, None] * demand[None],
        "hydro_cf_month": hydro_factor[:, None, None] * cf[None],
        "demand_scale": scale,
        "weather_shift_days": shift,
        "dry_year": dry,
    }
