"""Adequacy screen: one regional pass that proves most sample years shed no load.

The loss-of-load statistics (LOLE, EUE) of a sample year only need to know where the LP would
shed. The LP sheds nothing whenever *some* feasible operation sheds nothing (VOLL is far above
every marginal cost, so no cost saving pays for a shed MWh). The screen builds one feasible
operation per sample, cheaply and aimed at adequacy rather than cost:

1. every region's *residual need* ``N[r,t] = D[r,t] - sum_{g in r, not reservoir} A[g,t]``
   (demand less all local non-reservoir availability: where the region is short of its own
   plant);
2. reservoir hydro water-filled on its own region's residual need, basins one after the other
   (largest monthly budget first), each month's budget used
   (:func:`waterfill_regions`)::

       h[g,t] = min(A[g,t], max(0, N[r,t] - L[g,m])),   sum_{t in m} w*dt*h = min(B[g,m], sum w*dt*A)

   then ``N[r,t] -= h[g,t]`` for the next basin;
3. storage cycled within each daily window of its region on the residual need left
   (:func:`pair_regions`; the windows start where a daily cycle on the region's own need is
   lowest, :func:`_region_windows`): the window's steps ranked by ``N``, the i-th lowest
   charges ``P`` while the i-th highest step's need exceeds it and the energy fits
   (``i < dur/(dt*eff_c)``), and what the pairs stored comes back flat-topped over the
   steps not charged, ``d_t = min(P, max(0, N_t - U))`` with
   ``sum_t dt*d_t = eff_c*eff_d*sum_t dt*c_t`` (:func:`_flat_top`): the window's peak need
   shaved to one level, as adequacy wants;
4. the core's own operation step (:func:`energy_sim.operation.core._operate`) with that hydro
   schedule and storage wish: exact state of charge, the network dispatch of every cell, the
   LNG tanks, contract and reserve. Every physical limit of MODEL.md holds in its result.

5. a sample that still sheds is placed again (up to :data:`ROUNDS` placements): every
   region's need at each step gets the system's shed of every earlier placement added,
   ``N[r,t] += sum_{rounds} shed[t]``, so that the water and the storage of every region lean
   towards those steps by what was missing there and the network carries them to the region
   short. A shortage that persists grows its step's need round by round; one moved to
   another step (a neighbouring hour, whose water went to the first) is flagged in turn.

A sample whose result sheds nothing (no cell above :data:`network.EPS_MW`) and whose operation
passes :func:`feasible` (regional balance and LNG inventory recursion, cyclic step included)
is *proven*: its
LP optimum sheds nothing either, so its unserved energy and loss-of-load hours (zero) are
exact. Samples the screen cannot prove are operated by the full core
(:func:`energy_sim.operation.chunk.run_chunk`). The screen's operation is feasible but not
cost-optimal: the operating cost, generation and LNG figures of proven samples are those of
this operation, not the core's cost-optimal ones (``Results["screened"]`` marks them).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from energy_sim.operation import core, lng, merit, network, storage
from energy_sim.operation.inputs import Static

#: Bisection steps for a month's water level (the level's bracket shrinks 2^-60).
N_BISECT = 60
#: Placements a sample gets before it goes to the full core (each after the first adds the
#: shed of the earlier ones to every region's need at its steps).
ROUNDS = 8


@njit(cache=True, fastmath=True, nogil=True)
def _used(nd, lm, wd, level):
    """``sum_k wd[k]*clip(nd[k] - level, 0, lm[k])`` over contiguous arrays (the bisection's
    inner sum; ``fastmath`` lets it run in SIMD lanes, which reorders the sum's rounding)."""
    used = 0.0
    for k in range(nd.shape[0]):
        v = min(nd[k] - level, lm[k])
        used += wd[k] * max(v, 0.0)
    return used


@njit(cache=True, nogil=True)
def _waterfill_month(need, lim, wdt, idx, energy, out):
    """``out[t] = min(lim[t], max(0, need[t] - L))`` over ``t in idx`` with
    ``sum wdt*out = energy`` (``L`` by bisection, taken on the side that does not overspend)."""
    n = idx.shape[0]
    total = 0.0
    for k in range(n):
        t = idx[k]
        total += wdt[t] * lim[t]
    if energy <= 0.0 or total <= 0.0:
        for k in range(n):
            out[idx[k]] = 0.0
        return
    if energy >= total:
        for k in range(n):
            out[idx[k]] = lim[idx[k]]
        return
    # the month's steps gathered once into contiguous arrays for the bisection's sums
    nd = np.empty(n)
    lm = np.empty(n)
    wd = np.empty(n)
    lo = np.inf
    hi = -np.inf
    for k in range(n):
        t = idx[k]
        nd[k] = need[t]
        lm[k] = lim[t]
        wd[k] = wdt[t]
        if need[t] - lim[t] < lo:
            lo = need[t] - lim[t]
        if need[t] > hi:
            hi = need[t]
    # used(L) falls from `total` at L = lo to 0 at L = hi
    for _ in range(N_BISECT):
        mid = 0.5 * (lo + hi)
        if _used(nd, lm, wd, mid) > energy:
            lo = mid
        else:
            hi = mid
    for k in range(n):
        t = idx[k]
        v = need[t] - hi
        if v > lim[t]:
            v = lim[t]
        out[t] = v if v > 0.0 else 0.0


@njit(cache=True, parallel=True, nogil=True)
def waterfill_regions(need, lim, budget, region, order, wdt, month_idx, month_ptr):
    """Hydro schedules (S, Gh, T) water-filled on each basin's regional residual need.

    ``need`` (S, R, T) is updated in place (less each basin's output), ``lim`` (S, Gh, T) the
    basins' availability, ``budget`` (S, Gh, 12) their monthly energy, ``order`` the basins'
    order; ``month_idx[month_ptr[m]:month_ptr[m+1]]`` are the steps of month m.
    """
    n_s, n_h, n_t = lim.shape
    out = np.zeros((n_s, n_h, n_t))
    for s in prange(n_s):
        for jj in range(n_h):
            j = order[jj]
            r = region[j]
            for m in range(12):
                a, b = month_ptr[m], month_ptr[m + 1]
                if b > a:
                    _waterfill_month(
                        need[s, r], lim[s, j], wdt, month_idx[a:b], budget[s, j, m], out[s, j]
                    )
            for t in range(n_t):
                need[s, r, t] -= out[s, j, t]
    return out


@njit(cache=True, parallel=True, nogil=True)
def pair_regions(need, region, order, pcap, dur, eff_c, eff_d, dt, windows, valid):
    """Storage wish (charge, discharge) (S, St, T) paired within daily windows on the
    regional residual need ``need`` (S, R, T; updated in place).

    In each window of the store's region (``windows`` (R, D, spd) step indices, ``valid``
    mask) the steps are ranked by need; pair i charges ``P`` at the i-th lowest while the i-th
    highest step's need is above it and ``i < dur/(dt*eff_c)`` (the last pair takes the
    fraction that fits). The energy stored, times ``eff_c*eff_d``, is discharged flat-topped
    over the steps not charged (:func:`_flat_top`): ``d_t = min(P, max(0, need_t - U))``.
    """
    n_s, n_r, n_t = need.shape
    n_st = pcap.shape[0]
    n_d, spd = windows.shape[1], windows.shape[2]
    ch = np.zeros((n_s, n_st, n_t))
    dis = np.zeros((n_s, n_st, n_t))
    for s in prange(n_s):
        idx = np.empty(spd, np.int64)
        key = np.empty(spd)
        for jj in range(n_st):
            j = order[jj]
            p = pcap[j]
            if p <= 0.0:
                continue
            r = region[j]
            rt = eff_c[j] * eff_d[j]
            for d in range(n_d):
                n = 0
                for k in range(spd):
                    if valid[r, d, k]:
                        idx[n] = windows[r, d, k]
                        key[n] = need[s, r, idx[n]]
                        n += 1
                # insertion sort of the window's steps by need
                for a in range(1, n):
                    ka = key[a]
                    ia = idx[a]
                    b = a - 1
                    while b >= 0 and key[b] > ka:
                        key[b + 1] = key[b]
                        idx[b + 1] = idx[b]
                        b -= 1
                    key[b + 1] = ka
                    idx[b + 1] = ia
                room = dur[j]  # hours of charging at P that fit, at efficiency eff_c
                energy = 0.0  # MWh the pairs give back
                i = 0
                while i < n - 1 - i and room > 1e-12:
                    lo = idx[i]
                    hi = idx[n - 1 - i]
                    if not need[s, r, hi] > need[s, r, lo]:
                        break
                    frac = room / (dt[lo] * eff_c[j])
                    if frac > 1.0:
                        frac = 1.0
                    c = p * frac
                    ch[s, j, lo] += c
                    need[s, r, lo] += c
                    energy += c * rt * dt[lo]
                    room -= frac * dt[lo] * eff_c[j]
                    i += 1
                if energy > 0.0:  # what the pairs stored, out over the window's top steps
                    level = _flat_top(key, idx, i, n, p, energy, dt)
                    for k in range(i, n):
                        v = min(p, key[k] - level)
                        if v > 0.0:
                            dis[s, j, idx[k]] += v
                            need[s, r, idx[k]] -= v
    return ch, dis


@njit(cache=True, nogil=True)
def _flat_top(key, idx, k0, n, p, energy, dt):
    """Level ``U`` of a flat-topped discharge over the steps ``k0..n-1`` of a window, whose
    needs ``key`` are sorted ascending: ``sum_k dt_k * min(P, max(0, key_k - U)) = energy``.

    The sum is piecewise linear in ``U``, with breaks where a step starts (``U = key_k``)
    and where it reaches ``P`` (``U = key_k - P``); both come in descending order, so one
    walk down from the top finds the segment and solves it. Returns ``-inf`` when even every
    step at ``P`` holds less than ``energy``.
    """
    level = key[n - 1]
    done = 0.0
    w = 0.0  # sum of dt over the steps between their start and their cap
    a = n - 1  # next step to start
    b = n - 1  # next step to reach P
    while True:
        while a >= k0 and key[a] >= level:
            w += dt[idx[a]]
            a -= 1
        while b > a and key[b] - p >= level:
            w -= dt[idx[b]]
            b -= 1
        nxt = -np.inf
        if a >= k0:
            nxt = key[a]
        if b > a and key[b] - p > nxt:
            nxt = key[b] - p
        if nxt == -np.inf:
            return -np.inf
        gain = w * (level - nxt)
        if done + gain >= energy and w > 0.0:
            return level - (energy - done) / w
        done += gain
        level = nxt


def _region_windows(need: np.ndarray, spd: int) -> tuple[np.ndarray, np.ndarray]:
    """Each region's daily windows (R, D, spd) and their validity, starting at the step where
    a daily cycle on that region's own need has its lowest state of charge
    (:func:`storage.day_start` of ``need[:, r]``): a solar region's stores charge at midday, a
    region whose need peaks at midday charges in the night before, and each window's charge
    comes before its discharge (the state of charge is exact afterwards, so a window whose
    discharge came first would lose it)."""
    n_s, n_r, n_t = need.shape
    per = [storage._windows(n_t, spd, storage.day_start(need[:, r], spd)) for r in range(n_r)]
    n_d = max(w.shape[0] for w, _, _ in per)
    windows = np.zeros((n_r, n_d, spd), np.int64)
    valid = np.zeros((n_r, n_d, spd), np.bool_)
    for r, (w, v, _) in enumerate(per):
        windows[r, : w.shape[0]] = w
        valid[r, : w.shape[0]] = v
    return windows, valid


def _month_index(month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(month, kind="stable").astype(np.int64)
    ptr = np.zeros(13, np.int64)
    ptr[1:] = np.cumsum(np.bincount(month, minlength=12))
    return order, ptr


def residual_need(st: Static, av: np.ndarray, dem: np.ndarray) -> np.ndarray:
    """``N[s,r,t] = D[s,t,r] - sum_{g in r, not reservoir} A[s,t,g]`` (S, R, T)."""
    from energy_sim.operation import kernels

    return kernels.residual_need(
        np.ascontiguousarray(av, dtype=float), np.ascontiguousarray(dem, dtype=float),
        st.gen_region.astype(np.int64), ~st.is_res,
    )  # fmt: skip


def _place(st: Static, av, dem, cf_month, short):
    """Hydro schedule (S, Gh, T) and storage wish ((S, St, T) x 2) on the regional residual
    need, with ``short`` (S, T), the system's shed of the earlier rounds summed (MW), added
    in every region."""
    n_s, n_t, _ = av.shape
    need = residual_need(st, av, dem)
    need += short[:, None, :]
    hyd = np.flatnonzero(st.is_res & (st.cap > 0))
    sched = None
    if len(hyd):
        budget = np.ascontiguousarray(core._budgets(st, hyd, cf_month, n_s))
        lim = np.ascontiguousarray(av[:, :, hyd].transpose(0, 2, 1))
        order = np.argsort(-budget.sum(axis=(0, 2)), kind="stable").astype(np.int64)
        m_idx, m_ptr = _month_index(st.month)
        sched = waterfill_regions(
            need, lim, budget, st.gen_region[hyd].astype(np.int64), order,
            np.ascontiguousarray(st.wdt, dtype=float), m_idx, m_ptr,
        )  # fmt: skip
    stor = None
    if len(st.pcap):
        windows, valid = _region_windows(need, storage._steps_per_day(st.dt))
        order = np.argsort(-st.pcap * st.dur, kind="stable").astype(np.int64)
        stor = pair_regions(
            need, st.stor_region.astype(np.int64), order, st.pcap.astype(float),
            st.dur.astype(float), st.eff_c.astype(float), st.eff_d.astype(float),
            np.ascontiguousarray(st.dt, dtype=float), windows, valid,
        )  # fmt: skip
    return sched, stor


def feasible(
    st: Static, out: core.ChunkOut, dem: np.ndarray, idx: np.ndarray | None = None,
    tol: float = 1e-6,
) -> np.ndarray:  # fmt: skip
    """True for each sample of ``idx`` (default all) whose operation ``out`` keeps the regional
    balance of every step and the LNG inventory recursion of every step, the cyclic one
    included, within ``tol`` relative to the peak demand and the largest tank: the families
    a proof of no shed rests on that the kernels do not keep by construction
    (:func:`kernels.balance_lng_residuals`)."""
    from energy_sim.operation import kernels

    n_s = dem.shape[0]
    idx = np.arange(n_s) if idx is None else np.asarray(idx, np.int64)
    bal, res = kernels.balance_lng_residuals(
        idx, out.gen.transpose(0, 2, 1), st.gen_region.astype(np.int64), out.ch, out.dis,
        st.stor_region.astype(np.int64), out.flow, st.frm.astype(np.int64),
        st.to.astype(np.int64), st.eta.astype(float), out.shed, dem, st.hub_of.astype(np.int64),
        st.eff.astype(float), out.inv, out.send, np.ascontiguousarray(st.dt, dtype=float),
    )  # fmt: skip
    scale = max(1.0, float(np.nanmax(np.minimum(st.tank, lng.BIG), initial=0.0)))
    return (bal <= tol * max(1.0, float(np.abs(dem).max(initial=0.0)))) & (res <= tol * scale)


def screen_chunk(
    st: Static,
    stack: merit.Stack,
    grid: network.Grid,
    av: np.ndarray,
    dem: np.ndarray,
    cf_month,
    lng_av: np.ndarray,
    with_price: bool = False,
) -> tuple[core.ChunkOut, np.ndarray]:
    """Operate a chunk with the adequacy screen.

    ``av`` (S, T, G) availability in MW, ``dem`` (S, T, R), ``cf_month`` (S, G, 12) or None,
    ``lng_av`` (S, H, T). Returns the operation (a :class:`core.ChunkOut`) and ``proven``
    (S,) bool: the sample sheds nothing, so its LP optimum sheds nothing.

    A sample that sheds is placed again (up to :data:`ROUNDS` in all) with what it shed so far
    added to every region's need at those steps: the water and the storage of every region
    lean towards them, and the network carries them to the region short.
    """
    n_s, n_t, _ = av.shape
    short = np.zeros((n_s, n_t))
    todo = np.arange(n_s)
    proven = np.zeros(n_s, bool)
    out = None
    for _ in range(ROUNDS):
        sub_cf = core.draws_of(cf_month, todo)
        whole = len(todo) == n_s
        a_, d_, l_ = (av, dem, lng_av) if whole else (av[todo], dem[todo], lng_av[todo])
        sched, stor = _place(st, a_, d_, sub_cf, short[todo])
        op = core._operate(
            st, stack, grid, a_, d_, sub_cf, l_, sched, with_price=with_price, stor=stor,
            chain=True,
        )  # fmt: skip
        shed_sys = op.shed.sum(axis=1)  # (k, T)
        ok = ~(op.shed > network.EPS_MW).any(axis=(1, 2))
        if ok.any():  # the proof needs a feasible operation: check what is not exact by build
            ok[ok] = feasible(st, op, d_, np.flatnonzero(ok))
        if out is None:
            out = op
        else:  # a later round replaces the sample's operation where it sheds less
            better = ok | (op.shed.sum(axis=(1, 2)) < out.shed[todo].sum(axis=(1, 2)))
            for k in core.FIELDS:
                getattr(out, k)[todo[better]] = getattr(op, k)[better]
            for k, v in op.stats.items():
                out.stats[k] = out.stats.get(k, 0.0) + v
        proven[todo[ok]] = True
        short[todo] += shed_sys
        todo = todo[~ok]
        if not len(todo):
            break
    out.stats["screen_rounds_samples"] = float(n_s - proven.sum())
    return out, proven
