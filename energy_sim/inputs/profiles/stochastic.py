"""Seeded random streams and the AR(1) weather process shared by the generated profiles.

Each (seed, kind, region) has its own stream (:func:`rng_for`), so adding a region changes no
other region's numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["ar1", "logistic", "rng_for"]


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


def logistic(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-x))
