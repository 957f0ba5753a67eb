"""Compiled (numba) kernels of the adequacy sampler: one generator group at a time.

Each kernel writes the rows ``out[:, g, :]`` (every sample of group ``g``) of the chunk's
availability array in place and draws its random numbers from the one
:class:`numpy.random.Generator` it is given (numba runs the Generator's own bit generator, so
a given generator state gives the same numbers in any thread or process). Groups therefore run
in any order or in parallel threads (the kernels release the GIL) and give identical results.

- :func:`units_out_exact`: the exact two-state Markov chains of ``n`` units, by sojourn times;
- :func:`share_out_gaussian`: the Gaussian AR(1) with the same mean, variance and lag-1
  correlation as the share of units out of a large group, jumping exactly over the steps
  whose value is not used;
- :func:`fill_rows`: a group that does not fail;
- :func:`multiply_weather`, :func:`multiply_rows`: a group's weather-year multiplier and a
  per-sample factor (the dry year of run-of-river hydro);
- :func:`lognormal_noise`: the daily weather noise (numpy's normals, in numpy's order).

Tests (``tests/test_sampling.py``) check each kernel against a plain transcription of its
docstring and the outage kernels against the model's statistics and a step-by-step reference.

``cache=True`` keeps the machine code on disk (``__pycache__`` or ``NUMBA_CACHE_DIR``), so only
the first call after an install compiles.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _geometric_scale(p: float) -> float:
    """``-1 / log(1 - p)``: the scale that turns a standard exponential into ``Geo(p)``."""
    return -1.0 / np.log1p(-p)


@njit(cache=True, inline="always")
def _geometric(rng: np.random.Generator, scale: float, cap: float) -> int:
    """A draw of ``Geo(p)`` on ``{1, 2, ...}`` (``P(L > k) = (1-p)^k``), cut at ``cap``.

    ``L = ceil(E * scale)`` with ``E ~ Exp(1)`` and ``scale = -1/log(1-p)``: then
    ``P(L > k) = P(E > -k log(1-p)) = (1-p)^k``. ``p = 1`` gives ``scale = 0`` and ``L = 1``.
    The cut only shortens spells that run past the end of the year.
    """
    x = np.ceil(rng.standard_exponential() * scale)
    if x > cap:
        x = cap
    if x < 1.0:
        x = 1.0
    return int(x)


@njit(cache=True, nogil=True)
def units_out_exact(
    rng: np.random.Generator,
    n: int,
    p_fail: float,
    p_repair: float,
    out: np.ndarray,
    g: int,
) -> None:
    """``out[s, g, t] = 1 - k[s, t] / n``: the exact count of ``n`` two-state units out.

    Each unit of each sample starts down with probability ``q = p_fail / (p_fail + p_repair)``
    (the chain's stationary distribution), then alternates spells of geometric length:
    ``Geo(p_repair)`` steps down, ``Geo(p_fail)`` steps up (:func:`_geometric`). By the
    geometric law's memorylessness this is the chain that per step fails a working unit with
    probability ``p_fail`` and returns a failed one with ``p_repair``; its count of units out
    follows ``k[t] = k[t-1] + Bin(n - k[t-1], p_fail) - Bin(k[t-1], p_repair)``. The down
    spells are added to a difference array (+1 at a spell's first step, -1 after its last)
    whose running sum is ``k[t]``. Random numbers per unit: one uniform, then one
    exponential per spell (about ``2 T / (1/p_fail + 1/p_repair)`` per year).

    Parameters
    ----------
    rng
        The group's generator (advanced in place).
    n
        Units in the group (>= 1).
    p_fail, p_repair
        Per-step probabilities, ``0 < p <= 1``.
    out
        float32 ``(sample, gen, time)``; row ``g`` of every sample is overwritten.
    g
        The group's index in ``out``.
    """
    samples, _, steps = out.shape
    q = p_fail / (p_fail + p_repair)
    scale_up = _geometric_scale(p_fail)
    scale_down = _geometric_scale(p_repair)
    cap = float(steps + 1)
    inv_n = 1.0 / n
    diff = np.empty(steps + 1, dtype=np.int32)  # int32: the array stays in L1 cache
    for s in range(samples):
        diff[:] = 0
        for _ in range(n):
            down = rng.random() < q
            t = 0
            while t < steps:
                if down:
                    end = t + _geometric(rng, scale_down, cap)
                    if end > steps:
                        end = steps
                    diff[t] += 1
                    diff[end] -= 1
                    t = end
                else:
                    t += _geometric(rng, scale_up, cap)
                down = not down
        k = 0
        for t in range(steps):
            k += diff[t]
            out[s, g, t] = 1.0 - k * inv_n


#: Samples whose AR(1) recursions the Gaussian kernel interleaves (independent chains keep the
#: processor busy while each waits for its previous step); part of the order of the draws.
GAUSSIAN_BLOCK = 8


@njit(cache=True, nogil=True)
def share_out_gaussian(
    rng: np.random.Generator,
    n: int,
    p_fail: float,
    p_repair: float,
    needed: np.ndarray,
    out: np.ndarray,
    g: int,
) -> None:
    """``out[s, g, t] = 1 - x[s, t]``: the share ``x`` of ``n`` units out as a Gaussian AR(1).

    ``x[0] = q + sqrt(v) z[0]`` and ``x[t] = q + rho (x[t-1] - q) + sqrt(v (1 - rho^2)) z[t]``
    with ``z ~ N(0, 1)``, ``q = p_fail / (p_fail + p_repair)``, ``rho = 1 - p_fail - p_repair``
    and ``v = q (1 - q) / n``: the stationary mean, variance and lag-1 correlation of the
    exact count of units out divided by ``n``. ``x`` is clipped to ``[0, 1]`` when written
    (the recursion carries the unclipped value). One normal per sample and needed step,
    drawn step by step for blocks of :data:`GAUSSIAN_BLOCK` samples.

    Steps with ``needed[t] = False`` (solar at night, whose availability the weather
    multiplier sets to 0 anyway) get ``out = 1`` and no draw: the chain jumps over them
    exactly, ``x[t+h] - q = rho^h (x[t] - q) + sqrt(v (1 - rho^(2h))) z``, so the needed steps
    have the same joint distribution as in the step-by-step chain.

    Parameters
    ----------
    rng, n, p_fail, p_repair
        As :func:`units_out_exact`.
    needed
        bool ``(time,)``: the steps whose value is used.
    out, g
        As :func:`units_out_exact`.
    """
    samples, _, steps = out.shape
    q = p_fail / (p_fail + p_repair)
    rho = 1.0 - p_fail - p_repair
    var = q * (1.0 - q) / n
    sd0 = np.sqrt(var)
    sd = np.sqrt(var * (1.0 - rho * rho))
    y = np.empty(GAUSSIAN_BLOCK)  # x - q of each sample of the block
    for s0 in range(0, samples, GAUSSIAN_BLOCK):
        block = min(GAUSSIAN_BLOCK, samples - s0)
        started = False
        lag = 1  # steps since the last drawn one
        for t in range(steps):
            if not needed[t]:
                for j in range(block):
                    out[s0 + j, g, t] = 1.0
                lag += 1
                continue
            if not started:  # stationary start
                r, e = 0.0, sd0
            elif lag == 1:
                r, e = rho, sd
            else:
                r = rho**lag
                e = np.sqrt(var * (1.0 - r * r))
            for j in range(block):
                y[j] = (
                    r * y[j] + e * rng.standard_normal() if started else e * rng.standard_normal()
                )
                x = q + y[j]
                if x < 0.0:
                    x = 0.0
                elif x > 1.0:
                    x = 1.0
                out[s0 + j, g, t] = 1.0 - x
            started = True
            lag = 1


@njit(cache=True, nogil=True)
def fill_rows(out: np.ndarray, g: int, value: float) -> None:
    """``out[:, g, :] = value`` (a group that does not fail)."""
    samples, _, steps = out.shape
    for s in range(samples):
        for t in range(steps):
            out[s, g, t] = value


@njit(cache=True, nogil=True)
def multiply_weather(
    out: np.ndarray,
    g: int,
    base: np.ndarray,
    inverse: np.ndarray,
    shift_steps: np.ndarray,
    noise: np.ndarray,
    per_day: int,
    factor: np.ndarray,
) -> None:
    """``out[s, g, t] *= min(1, base[t - shift[s]] z[s, t]) * inverse[t] * factor[s]``.

    The weather-year multiplier of one solar or wind group: the System's profile ``base``
    shifted by ``shift_steps[s]`` steps (cyclically over the year, as :func:`numpy.roll`) times
    the sample's daily noise ``z[s, t] = noise[s, t // per_day]``, capped at 1, as a multiplier
    of ``base`` (``inverse = 1/base``, 0 where ``base = 0``); ``factor[s]`` is any other
    per-sample multiplier (1 for none).

    Parameters
    ----------
    out
        float32 ``(sample, gen, time)``, multiplied in place in row ``g``.
    base, inverse
        float32 ``(time,)``.
    shift_steps
        int64 ``(sample,)``.
    noise
        float32 ``(sample, day)``.
    per_day
        Steps per day.
    factor
        float32 ``(sample,)``.
    """
    samples, _, steps = out.shape
    z = np.empty(steps, dtype=np.float32)
    one = np.float32(1.0)
    for s in range(samples):
        for day in range(noise.shape[1]):  # the day's noise at each of its steps
            for t in range(day * per_day, min(steps, (day + 1) * per_day)):
                z[t] = noise[s, day]
        shift = shift_steps[s] % steps
        f = factor[s]
        # the two unbroken stretches of the shifted profile: t < shift wraps round the year
        for t in range(shift):
            out[s, g, t] *= min(base[t - shift + steps] * z[t], one) * inverse[t] * f
        for t in range(shift, steps):
            out[s, g, t] *= min(base[t - shift] * z[t], one) * inverse[t] * f


@njit(cache=True, nogil=True)
def multiply_rows(out: np.ndarray, g: int, factor: np.ndarray) -> None:
    """``out[s, g, :] *= factor[s]`` (float32 ``factor (sample,)``)."""
    samples, _, steps = out.shape
    for s in range(samples):
        f = factor[s]
        for t in range(steps):
            out[s, g, t] *= f


@njit(cache=True, nogil=True)
def lognormal_noise(rng: np.random.Generator, sigma: float, out: np.ndarray) -> None:
    """``out[i, s, d] = exp(sigma z - sigma^2/2)``, ``z ~ N(0, 1)``: lognormal, mean 1.

    The normals are drawn in the order of ``rng.standard_normal((sample, gen, day))`` (and are
    the same numbers); ``out`` is float32 ``(gen, sample, day)`` so that each group's noise is
    one contiguous block.
    """
    gens, samples, days = out.shape
    half_var = 0.5 * sigma * sigma
    for s in range(samples):
        for i in range(gens):
            for d in range(days):
                out[i, s, d] = np.exp(sigma * rng.standard_normal() - half_var)
