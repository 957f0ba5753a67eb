"""The adequacy sampler: outage chains against the model's statistics and a slow reference,
edge cases, the weather multiplier, and seeds (same chunk, same numbers, with any threads)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_adequacy import GROUPS, one_region_system

from energy_sim.security.adequacy import (
    AdequacyOptions,
    chunk_seed,
    sample_chunk,
    sample_outages,
    transition_probabilities,
)
from energy_sim.security.adequacy import _kernels as kernels

HOURS = 8760


def _units_out(avail: np.ndarray, n: int) -> np.ndarray:
    """Count of units out ``k = n (1 - avail)`` as whole numbers."""
    return np.rint((1.0 - avail.astype(float)) * n).astype(np.int64)


def _time_average_sd(q: float, rho: float, steps: int) -> float:
    """Standard deviation of the time average of one stationary two-state unit over ``steps``:
    ``Var = q(1-q)/T^2 (T + 2 sum_h (T-h) rho^h)``."""
    h = np.arange(1, steps)
    return float(np.sqrt(q * (1 - q) / steps**2 * (steps + 2 * ((steps - h) * rho**h).sum())))


def reference_chain(
    n: int, p_fail: float, p_repair: float, samples: int, steps: int, rng: np.random.Generator
) -> np.ndarray:
    """The slow reference: the count of units out step by step,
    ``k[0] ~ Bin(n, q)``, ``k[t] = k[t-1] + Bin(n - k[t-1], p_fail) - Bin(k[t-1], p_repair)``."""
    q = p_fail / (p_fail + p_repair)
    k = np.empty((samples, steps), dtype=np.int64)
    k[:, 0] = rng.binomial(n, q, samples)
    for t in range(1, steps):
        prev = k[:, t - 1]
        k[:, t] = prev + rng.binomial(n - prev, p_fail) - rng.binomial(prev, p_repair)
    return k


def transition_matrix(n: int, p_fail: float, p_repair: float) -> np.ndarray:
    """``P[i, j] = P(k[t+1] = j | k[t] = i)``: failures of the ``n - i`` working units and
    repairs of the ``i`` failed ones, independent binomials."""
    from math import comb

    def pmf(m: int, p: float) -> np.ndarray:
        return np.array([comb(m, x) * p**x * (1 - p) ** (m - x) for x in range(m + 1)])

    out = np.zeros((n + 1, n + 1))
    for i in range(n + 1):
        fail, repair = pmf(n - i, p_fail), pmf(i, p_repair)
        for a, pa in enumerate(fail):
            for b, pb in enumerate(repair):
                out[i, i + a - b] += pa * pb
    return out


# ------------------------------------------------------------------ the model's statistics


def test_exact_share_out_is_for_from_the_first_hour():
    """Stationary start and stationary mean: the share of units out is FOR on average over the
    year, and already in the first day (a chain started with every unit up would show ~0)."""
    n, q, mttr, samples = 4, 0.08, 50.0, 400
    avail = sample_outages(
        np.array([n]), np.array([q]), np.array([mttr]), samples=samples, steps=HOURS,
        rng=np.random.default_rng(1),
    )  # fmt: skip
    share = 1.0 - avail[:, 0, :].astype(float)
    p_fail, p_repair = transition_probabilities(np.array([q]), np.array([mttr]))
    rho = 1.0 - p_fail[0] - p_repair[0]
    # the year's mean over n units and all samples: sd from the chain's autocorrelation
    sd_year = _time_average_sd(q, rho, HOURS) / np.sqrt(n * samples)
    assert abs(share.mean() - q) < 4 * sd_year
    # hour 0 alone: n * samples independent stationary units, Bin(n*samples, q) / (n*samples)
    sd_0 = np.sqrt(q * (1 - q) / (n * samples))
    assert abs(share[:, 0].mean() - q) < 4 * sd_0
    sd_day = _time_average_sd(q, rho, 24) / np.sqrt(n * samples)
    assert abs(share[:, :24].mean() - q) < 4 * sd_day


def test_exact_outages_last_mttr_and_fail_at_the_model_rate():
    """Per step a failed unit returns with ``p_repair = dt/MTTR`` and a working one fails with
    ``p_fail``, whatever the age of its spell (geometric spells, mean MTTR). Each down step is a
    Bernoulli trial for a repair, so the estimate's standard error is ``sqrt(p(1-p)/N)``."""
    q, mttr, samples = 0.1, 40.0, 300
    avail = sample_outages(
        np.array([1]), np.array([q]), np.array([mttr]), samples=samples, steps=HOURS,
        rng=np.random.default_rng(2),
    )  # fmt: skip
    assert set(np.unique(avail)) <= {0.0, 1.0}
    down = avail[:, 0, :] < 0.5
    p_fail, p_repair = (float(p[0]) for p in transition_probabilities([q], [mttr]))
    now, nxt = down[:, :-1], down[:, 1:]
    for at_risk, moved, p in ((now, now & ~nxt, p_repair), (~now, ~now & nxt, p_fail)):
        trials = at_risk.sum()
        estimate = moved.sum() / trials
        assert abs(estimate - p) < 4 * np.sqrt(p * (1 - p) / trials)
    # memoryless: the repair hazard of young and old outages is the same p_repair
    t = np.arange(HOURS)
    started = down & ~np.concatenate([np.zeros((samples, 1), bool), down[:, :-1]], axis=1)
    started[:, 0] = False  # spells under way at hour 0: age unknown
    last_start = np.maximum.accumulate(np.where(started, t, -1), axis=1)
    age = np.where(down & (last_start >= 0), t - last_start, -1)[:, :-1]
    repaired = now & ~nxt
    for young in (True, False):
        at_risk = (age >= 0) & ((age < mttr) if young else (age >= mttr))
        trials = at_risk.sum()
        assert trials > 10_000
        estimate = repaired[at_risk].mean()
        assert abs(estimate - p_repair) < 4 * np.sqrt(p_repair * (1 - p_repair) / trials)
    # and so outages last MTTR on average (censoring-free estimate: down steps per repair)
    rel_se = np.sqrt((1 - p_repair) / (p_repair * now.sum()))
    assert now.sum() / repaired.sum() == pytest.approx(mttr, rel=4 * rel_se)


def test_exact_chain_matches_the_slow_reference_and_the_binomial_transitions():
    """A tiny group (3 units, FOR 0.2, MTTR 5 h) drawn by the kernel and by the step-by-step
    binomial reference: both give the model's transition matrix, the stationary Bin(n, FOR) at
    the first and last hour, and the same moments (mean, variance, lag-1 and lag-5 covariance
    of the count) within sampling error."""
    n, q, mttr, samples, steps = 3, 0.2, 5.0, 3000, 300
    p_fail, p_repair = (float(p[0]) for p in transition_probabilities([q], [mttr]))
    fast = _units_out(
        sample_outages(
            np.array([n]), np.array([q]), np.array([mttr]), samples=samples, steps=steps,
            rng=np.random.default_rng(3),
        )[:, 0, :],
        n,
    )  # fmt: skip
    slow = reference_chain(n, p_fail, p_repair, samples, steps, np.random.default_rng(4))
    assert fast.min() >= 0 and fast.max() <= n
    expected = transition_matrix(n, p_fail, p_repair)
    stationary = _binom_pmf(n, q)
    for k in (fast, slow):
        # transitions: row i is a multinomial of the steps that start with i units out
        for i in range(n + 1):
            start = k[:, :-1] == i
            trials = start.sum()
            assert trials > 1000
            for j in range(n + 1):
                p = expected[i, j]
                got = (start & (k[:, 1:] == j)).sum() / trials
                assert abs(got - p) < 5 * np.sqrt(p * (1 - p) / trials) + 1e-12
        # the first and last hour: independent samples of the stationary distribution
        for t in (0, steps - 1):
            got = np.bincount(k[:, t], minlength=n + 1) / samples
            sd = np.sqrt(stationary * (1 - stationary) / samples)
            assert np.all(np.abs(got - stationary) < 5 * sd)

    def moments(k: np.ndarray) -> np.ndarray:
        """Per sample: mean, second moment, lag-1 and lag-5 products of the count."""
        x = k.astype(float)
        return np.stack(
            [x.mean(1), (x * x).mean(1), (x[:, 1:] * x[:, :-1]).mean(1), (x[:, 5:] * x[:, :-5]).mean(1)],
            axis=1,
        )  # fmt: skip

    a, b = moments(fast), moments(slow)
    se = np.sqrt(a.var(0, ddof=1) / samples + b.var(0, ddof=1) / samples)
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 4.5 * se)
    rho = 1 - p_fail - p_repair
    mean, var = n * q, n * q * (1 - q)
    theory = np.array([mean, var + mean**2, var * rho + mean**2, var * rho**5 + mean**2])
    assert np.all(np.abs(a.mean(0) - theory) < 4.5 * np.sqrt(a.var(0, ddof=1) / samples))


def _binom_pmf(n: int, p: float) -> np.ndarray:
    from math import comb

    return np.array([comb(n, x) * p**x * (1 - p) ** (n - x) for x in range(n + 1)])


def test_exact_kernel_is_the_documented_spell_process():
    """The kernel consumes its generator exactly as its docstring says (per sample and unit:
    a uniform for the start state, then one standard exponential per spell,
    ``L = ceil(E * -1/log(1 - p))``): a plain-Python transcription gives the same rows."""
    n, p_fail, p_repair, samples, steps = 3, 0.01, 0.2, 4, 500
    out = np.empty((samples, 2, steps), dtype=np.float32)
    kernels.units_out_exact(np.random.default_rng(5), n, p_fail, p_repair, out, 1)
    rng = np.random.default_rng(5)
    q = p_fail / (p_fail + p_repair)
    expected = np.empty((samples, steps))
    for s in range(samples):
        k = np.zeros(steps + 1, dtype=np.int64)
        for _ in range(n):
            down = rng.random() < q
            t = 0
            while t < steps:
                scale = -1.0 / np.log1p(-(p_repair if down else p_fail))
                length = int(min(np.ceil(rng.standard_exponential() * scale), steps + 1))
                length = max(1, length)
                if down:
                    k[t] += 1
                    k[min(t + length, steps)] -= 1
                t += length
                down = not down
        expected[s] = 1.0 - np.cumsum(k[:steps]) / n
    np.testing.assert_allclose(out[:, 1, :], expected, atol=1e-6)


def test_gaussian_path_matches_mean_variance_correlation_and_its_reference():
    n, q, mttr, samples = 5000, 0.01, 24.0, 40
    p_fail, p_repair = (float(p[0]) for p in transition_probabilities([q], [mttr]))
    out = np.empty((samples, 1, HOURS), dtype=np.float32)
    every = np.ones(HOURS, dtype=bool)
    kernels.share_out_gaussian(np.random.default_rng(6), n, p_fail, p_repair, every, out, 0)
    # reference: the recursion in numpy, normals in the kernel's order (step by step for each
    # block of samples)
    rng = np.random.default_rng(6)
    rho = 1 - p_fail - p_repair
    var = q * (1 - q) / n
    expected = np.empty((samples, HOURS))
    block = kernels.GAUSSIAN_BLOCK
    for s0 in range(0, samples, block):
        z = rng.standard_normal((HOURS, min(block, samples - s0)))
        y = np.empty_like(z)
        y[0] = np.sqrt(var) * z[0]
        for t in range(1, HOURS):
            y[t] = rho * y[t - 1] + np.sqrt(var * (1 - rho**2)) * z[t]
        expected[s0 : s0 + z.shape[1]] = 1 - np.clip(q + y.T, 0, 1)
    np.testing.assert_allclose(out[:, 0, :], expected, atol=2e-6)
    share = 1 - out[:, 0, :].astype(float)
    sd_mean = np.sqrt(var) * np.sqrt((1 + rho) / (1 - rho) / (HOURS * samples))
    assert abs(share.mean() - q) < 4 * sd_mean
    assert share.std() == pytest.approx(np.sqrt(var), rel=0.1)
    assert abs(share[:, 0].mean() - q) < 4 * np.sqrt(var / samples)  # stationary start
    x = share - share.mean()
    assert (x[:, 1:] * x[:, :-1]).mean() / (x * x).mean() == pytest.approx(rho, abs=0.01)


def test_gaussian_path_jumps_exactly_over_steps_not_needed():
    """Steps not needed (solar nights) hold 1 and take no draw; across a gap of h steps the
    share keeps the chain's lag-h correlation rho^h and its stationary variance."""
    n, q, mttr, samples = 2000, 0.02, 30.0, 4000
    p_fail, p_repair = (float(p[0]) for p in transition_probabilities([q], [mttr]))
    rho = 1 - p_fail - p_repair
    var = q * (1 - q) / n
    needed = np.zeros(40, dtype=bool)
    needed[[0, 1, 2, 15, 39]] = True  # gaps of 13 and 24 steps
    out = np.empty((samples, 1, needed.size), dtype=np.float32)
    kernels.share_out_gaussian(np.random.default_rng(9), n, p_fail, p_repair, needed, out, 0)
    assert np.all(out[:, 0, ~needed] == 1.0)
    x = 1 - out[:, 0, needed].astype(float) - q  # (samples, 5): x - q at steps 0, 1, 2, 15, 39
    se_var = var * np.sqrt(2 / samples)
    assert np.all(np.abs(x.var(axis=0) - var) < 5 * se_var)
    for a, b, lag in ((0, 1, 1), (2, 3, 13), (3, 4, 24), (2, 4, 37)):
        corr = np.corrcoef(x[:, a], x[:, b])[0, 1]
        assert abs(corr - rho**lag) < 5 * (1 - rho ** (2 * lag)) / np.sqrt(samples)
    # a chain that restarted after a gap (no memory) would show corr 0 over 13 steps
    assert rho**13 > 0.5


# ------------------------------------------------------------------------------ edge cases


def test_one_unit_no_capacity_no_failure_and_repair_within_a_step():
    avail = sample_outages(
        np.array([1, 0, 5, 1, 2]),
        np.array([0.3, 0.3, 0.0, 0.2, 0.05]),
        np.array([20.0, 20.0, 20.0, 0.5, 10.0]),
        samples=30, steps=2000, rng=np.random.default_rng(7),
    )  # fmt: skip
    assert avail.shape == (30, 5, 2000) and avail.dtype == np.float32
    assert set(np.unique(avail[:, 0])) == {0.0, 1.0}  # one unit: all or nothing
    assert np.all(avail[:, 1] == 1.0)  # no units (no capacity)
    assert np.all(avail[:, 2] == 1.0)  # FOR 0
    down = avail[:, 3] < 0.5  # MTTR below the step: p_repair = 1, outages last one step
    assert down.any() and not (down[:, 1:] & down[:, :-1]).any()
    assert set(np.unique(avail[:, 4])) <= {0.0, 0.5, 1.0}
    assert np.all((avail >= 0) & (avail <= 1))
    empty = sample_outages(
        np.array([3]), np.array([0.1]), np.array([10.0]), samples=0, steps=10,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    assert empty.shape == (0, 1, 10)


def test_zero_capacity_group_is_always_available_in_a_chunk():
    system = one_region_system()
    cap = system["cap0_mw"].values.copy()
    cap[1] = 0.0
    draws = sample_chunk(system, cap, 0, 20, seed=3)
    assert np.all(draws["availability"][:, 1, :] == 1.0)
    assert draws["availability"][:, 0, :].min() < 1.0


def test_weather_kernel_matches_the_rolled_profile():
    """``min(1, roll(a, shift) * z[day]) / a`` (0 where ``a = 0``) times a per-sample factor."""
    rng = np.random.default_rng(8)
    steps, per_day, samples = 24 * 10, 24, 5
    base = rng.random(steps).astype(np.float32) * 1.2
    base[base < 0.3] = 0.0
    inverse = np.where(base > 1e-6, 1 / np.maximum(base, 1e-6), 0).astype(np.float32)
    shift = np.array([-3, 0, 2, 10, 1], dtype=np.int64) * per_day
    noise = (0.5 + rng.random((samples, steps // per_day))).astype(np.float32)
    factor = np.array([1, 0.75, 1, 1, 0.5], dtype=np.float32)
    out = np.full((samples, 3, steps), 0.5, dtype=np.float32)
    kernels.multiply_weather(out, 2, base, inverse, shift, noise, per_day, factor)
    for s in range(samples):
        effective = np.minimum(1.0, np.roll(base, shift[s]) * np.repeat(noise[s], per_day))
        expected = 0.5 * effective * inverse * factor[s]
        np.testing.assert_allclose(out[s, 2], expected, rtol=1e-6, atol=1e-7)
    assert np.all(out[:, :2] == 0.5)


def test_weather_noise_is_lognormal_with_mean_one_in_the_documented_order():
    sigma = 0.1
    z = np.empty((3, 400, 50), dtype=np.float32)
    kernels.lognormal_noise(np.random.default_rng(10), sigma, z)
    normals = np.random.default_rng(10).standard_normal((400, 3, 50)).transpose(1, 0, 2)
    np.testing.assert_allclose(z, np.exp(sigma * normals - sigma**2 / 2), rtol=1e-6)
    sd = np.sqrt(np.expm1(sigma**2) / z.size)  # of the mean of z: Var(z) = e^(sigma^2) - 1
    assert abs(z.astype(float).mean() - 1.0) < 4 * sd


def test_dry_year_scales_run_of_river_only():
    system = one_region_system(groups=[*GROUPS, ("hydro_ror", 100.0, 10.0, 0.0, 24.0)])
    options = AdequacyOptions(
        outages=False, weather_sigma=0.0, weather_shift_days=0, dry_probability=1.0
    )
    draws = sample_chunk(system, system["cap0_mw"].values, 0, 4, seed=0, options=options)
    assert np.all(draws["availability"][:, 2] == np.float32(options.dry_factor))
    assert np.all(draws["availability"][:, :2] == 1.0)


# ----------------------------------------------------------------------------------- seeds


def test_same_chunk_same_numbers_with_any_threads_other_chunk_other_numbers():
    system = one_region_system()
    cap = system["cap0_mw"].values
    a = sample_chunk(system, cap, 4, 6, seed=21, threads=1)
    b = sample_chunk(system, cap, 4, 6, seed=21, threads=2)
    c = sample_chunk(system, cap, 5, 6, seed=21, threads=2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["availability"], c["availability"])
    assert not np.array_equal(a["demand_scale"], c["demand_scale"])


def test_a_groups_draws_do_not_depend_on_the_other_groups():
    """Group g draws from the g-th child of the chunk's outage stream: changing another
    group's capacity leaves its numbers alone."""
    system = one_region_system()
    cap = system["cap0_mw"].values.copy()
    a = sample_chunk(system, cap, 0, 5, seed=2)["availability"]
    cap[1] = 1000.0
    b = sample_chunk(system, cap, 0, 5, seed=2)["availability"]
    np.testing.assert_array_equal(a[:, 0], b[:, 0])
    assert not np.array_equal(a[:, 1], b[:, 1])


def _digest(seed: int, chunk: int) -> str:
    rng = np.random.default_rng(chunk_seed(seed, chunk))
    avail = sample_outages(
        np.array([1, 6, 4000]), np.array([0.1, 0.05, 0.01]), np.array([30.0, 40.0, 24.0]),
        samples=7, steps=1000, rng=rng,
    )  # fmt: skip
    return hashlib.sha256(avail.tobytes()).hexdigest()


def test_same_numbers_in_a_fresh_process():
    """A chunk's draws are the same in another process (as on a Dask worker)."""
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from test_sampling import _digest
        print(_digest(13, 2))
        """
    )
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    run = subprocess.run(
        [sys.executable, "-c", code, tests_dir], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip().splitlines()[-1] == _digest(13, 2)
    assert _digest(13, 3) != _digest(13, 2)
