"""Calibration of a generated shape to a published statistic (load factor, capacity factor,
monthly mean) by bisection, and the check that every region has a value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from energy_sim.errors import InputError

__all__ = ["bisect_decreasing", "calibrate_mean", "calibrate_scale", "check_regions"]


def check_regions(regions: Sequence[str], table: Mapping[str, float], what: str) -> None:
    """Raise :class:`InputError` naming the first region that ``table`` has no value for."""
    missing = [r for r in regions if r not in table]
    if missing:
        raise InputError(
            f"no {what} for region",
            field=what,
            value=missing[0],
            allowed="one value for every region of the scenario",
        )


def bisect_decreasing(f, target: float, lo: float, hi: float, field: str) -> float:
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


def calibrate_scale(raw: np.ndarray, target: float, field: str, region: str) -> np.ndarray:
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


def calibrate_mean(noise: np.ndarray, target: float) -> np.ndarray:
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
