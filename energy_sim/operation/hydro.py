"""Reservoir hydro within monthly energy budgets, placed by water-filling on the net load.

For a hydro group g with hourly limit ``a_t = avail*cap`` and month budget
``B_m = cf_month[g,m] * H_m * cap[g]``, water-filling on a signal ``X_t`` (the net load the
hydro displaces) finds a level ``L_m`` per month with

    h_t = min(a_t, max(0, X_t - L_m)),     sum_{t in m} w*dt*h_t = min(B_m, sum_{t in m} w*dt*a_t)

so the water goes to the hours of highest net load, shaving them flat at ``L_m`` - which, with
a convex (merit-order) cost of the net load, is the cost-minimising use of a fixed budget.
Several groups are placed one after another on the signal left by the previous ones (one
Gauss-Seidel sweep over the basins, each vectorised over samples and months); the last
flattened level is the water value shared by all. The budget holds with ``<=`` (the level is
taken on the side that does not overspend).
"""

from __future__ import annotations

import numpy as np

#: Bisection steps for the level (range/2**n of precision).
N_BISECT = 34
#: Bisection steps for the merit position of :func:`zone_schedule` (levels/2**n).
N_BISECT_ZONE = 24


def waterfill(
    signal: np.ndarray,
    limit: np.ndarray,
    budget: np.ndarray,
    month: np.ndarray,
    wdt: np.ndarray,
) -> np.ndarray:
    """Water-fill budgets over months.

    Parameters
    ----------
    signal
        (S, T) net load to shave, MW.
    limit
        (S, T) hourly output limit, MW (>= 0).
    budget
        (S, 12) monthly energy, MWh.
    month
        (T,) month index 0..11.
    wdt
        (T,) hours each step stands for, ``w*dt``.

    Returns
    -------
    numpy.ndarray
        (S, T) output ``h`` with ``h <= limit`` and ``sum_{t in m} wdt*h <= budget[m]``.
    """
    n_s, n_t = signal.shape
    onehot = np.zeros((n_t, 12))
    onehot[np.arange(n_t), month] = wdt
    full = limit @ onehot  # (S, 12)
    budget = np.minimum(np.maximum(budget, 0.0), full)
    lo = np.full((n_s, 12), (signal - limit).min(axis=1, initial=np.inf)[:, None] - 1.0)
    hi = np.full((n_s, 12), signal.max(axis=1, initial=-np.inf)[:, None] + 1.0)
    for _ in range(N_BISECT):
        mid = 0.5 * (lo + hi)
        h = np.clip(signal - mid[:, month], 0.0, limit)
        e = h @ onehot
        over = e > budget
        lo = np.where(over, mid, lo)
        hi = np.where(over, hi, mid)
    h = np.clip(signal - hi[:, month], 0.0, limit)
    # exact budget on the safe side: scale the tiny remaining excess away
    e = h @ onehot
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(e > budget, budget / e, 1.0)
    return h * scale[:, month]


def schedule(
    signal: np.ndarray,
    limits: np.ndarray,
    budgets: np.ndarray,
    month: np.ndarray,
    wdt: np.ndarray,
    extra: np.ndarray | None = None,
) -> np.ndarray:
    """Place every reservoir group: (S, T) signal, (S, Gh, T) limits, (S, Gh, 12) budgets ->
    (S, Gh, T) outputs. Groups with the largest budgets go first (they set the level);
    ``extra`` (S, Gh, T) is added to the signal each group sees."""
    out = np.zeros_like(limits)
    if limits.shape[1] == 0:
        return out
    order = np.argsort(-budgets.sum(axis=(0, 2)), kind="stable")
    rest = signal.copy()
    for j in order:  # one sweep over basins; each call is vectorised over samples and months
        sig = rest if extra is None else rest + extra[:, j]
        out[:, j] = waterfill(sig, limits[:, j], budgets[:, j], month, wdt)
        rest -= out[:, j]
    return out


def price_levels(keys: np.ndarray) -> np.ndarray:
    """Distinct decision costs, ascending (the price grid of :func:`zone_schedule`)."""
    return np.unique(keys[np.isfinite(keys)])


def zone_schedule(
    supply: np.ndarray,
    need: np.ndarray,
    limit: np.ndarray,
    budget: np.ndarray,
    month: np.ndarray,
    wdt: np.ndarray,
) -> np.ndarray:
    """Water-fill one group in price terms over the zone its output reaches.

    With ``Q_t(z)`` the zone's supply available up to merit position ``z`` (``supply`` (S, T, K):
    cumulative MW up to each price level, interpolated inside a level) and ``N_t`` the net load
    the zone must cover (``need`` (S, T)), the group produces

        h_t = min(a_t, max(0, N_t - Q_t(z_m)))

    with one position ``z_m`` per month such that the budget is used: the water goes where it
    displaces the dearest output of the zone it can reach, congestion included.
    """
    n_s, n_t, n_k = supply.shape
    onehot = np.zeros((n_t, 12))
    onehot[np.arange(n_t), month] = wdt
    budget = np.minimum(np.maximum(budget, 0.0), limit @ onehot)
    lo = np.zeros((n_s, 12))
    hi = np.full((n_s, 12), float(n_k - 1))
    flat = np.ascontiguousarray(supply).reshape(-1)
    base = (np.arange(n_s * n_t) * n_k).reshape(n_s, n_t)  # flat index of (s, t, 0)

    def output(z: np.ndarray) -> np.ndarray:
        zt = z[:, month]  # (S, T)
        k = np.minimum(zt.astype(np.int64), n_k - 2)  # floor: z >= 0
        frac = zt - k
        i = base + k
        q = flat.take(i) * (1.0 - frac) + flat.take(i + 1) * frac
        return np.minimum(np.maximum(need - q, 0.0), limit)

    for _ in range(N_BISECT_ZONE):
        mid = 0.5 * (lo + hi)
        e = output(mid) @ onehot
        over = e > budget  # too much water: raise the position (more supply before hydro)
        lo = np.where(over, mid, lo)
        hi = np.where(over, hi, mid)
    h = output(hi)
    e = h @ onehot
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(e > budget, budget / e, 1.0)
    return h * scale[:, month]
