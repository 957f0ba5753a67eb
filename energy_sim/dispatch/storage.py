"""Batteries and pumped hydro: a daily arbitrage schedule, then the exact state of charge.

Schedule (vectorised over samples, storage groups and days). Within each day the steps are
ranked by the net load left after hydro, ``X_t``; the i-th lowest step is paired with the i-th
highest. Pair i is used when the price it saves beats the price it pays after losses,

    pi(X_high_i) * eff_c * eff_d > pi(X_low_i),      i < dur / (dt * eff_c)

with ``pi`` the system merit-order price at net load X. Each used pair charges ``P`` in its low
step; what that stores comes back out over the day's highest steps, flat-topped,

    d_t = min(P, max(0, X_t - U_d)),     sum_t d_t = eff_c * eff_d * sum_t c_t

(level ``U_d`` by bisection), so each day is energy-neutral and the discharge follows the
shape of the peak rather than a fixed number of hours.

State of charge (a loop over steps, vectorised over samples and groups; MODEL.md constraint 4):

    soc_t = soc_{t-1}*(1-loss)^dt + dt*(eff_c*ch_t - dis_t/eff_d),   0 <= soc_t <= dur*P

where the schedule is clipped so that these hold exactly (``dis_t`` at most what is stored,
``ch_t`` at most what fits). The year is cyclic: the start state of charge is found by a
secant iteration on ``soc_end(s0) - s0`` (at most :data:`MAX_PASSES` runs of the year).
"""

from __future__ import annotations

import numpy as np

#: Bisection steps for the daily discharge level.
N_BISECT_DAY = 30


def price_curve(mc: np.ndarray, size: np.ndarray, voll: float):
    """System merit-order price ``pi(X)``: the cost of the block that serves net load X."""
    order = np.argsort(mc, kind="stable")
    cost = mc[order]
    cum = np.cumsum(size[order])

    def pi(x: np.ndarray) -> np.ndarray:
        k = np.searchsorted(cum, x, side="left")
        ext = np.concatenate([cost, [voll]])
        return np.where(x <= 0.0, 0.0, ext[np.minimum(k, len(cost))])

    return pi


def _steps_per_day(dt: np.ndarray) -> int:
    if len(dt) and np.allclose(dt, dt[0]) and dt[0] > 0:
        spd = 24.0 / dt[0]
        if abs(spd - round(spd)) < 1e-9 and round(spd) >= 2:
            return int(round(spd))
    return max(len(dt), 1)


def schedule(
    signal: np.ndarray,
    pi,
    pcap: np.ndarray,
    dur: np.ndarray,
    eff_c: np.ndarray,
    eff_d: np.ndarray,
    dt: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Wished charge and discharge (S, St, T) from the signal (S, 1 or St, T)."""
    n_s, _, n_t = signal.shape
    n_st = len(pcap)
    signal = np.broadcast_to(signal, (n_s, n_st, n_t))
    ch = np.zeros((n_s, n_st, n_t))
    dis = np.zeros((n_s, n_st, n_t))
    if n_st == 0 or n_t < 2:
        return ch, dis
    spd = _steps_per_day(dt)
    n_d = -(-n_t // spd)
    pad = n_d * spd - n_t
    sig = np.concatenate([signal, np.full((n_s, n_st, pad), np.nan)], axis=2)
    sig = sig.reshape(n_s, n_st, n_d, spd)
    order = np.argsort(sig, axis=3, kind="stable")  # NaN (padding) last
    n_p = spd // 2
    low = order[..., :n_p]
    high = order[..., spd - 1 : spd - 1 - n_p : -1]
    s_low = np.take_along_axis(sig, low, axis=3)
    s_high = np.take_along_axis(sig, high, axis=3)
    p_low, p_high = pi(np.nan_to_num(s_low, nan=np.inf)), pi(np.nan_to_num(s_high, nan=-np.inf))
    valid = np.isfinite(s_low) & np.isfinite(s_high) & (s_high > s_low)
    rt = eff_c * eff_d  # (St,)
    step_h = float(dt[0]) if len(dt) else 1.0
    kmax = np.floor(dur / (step_h * np.maximum(eff_c, 1e-9)) + 1e-9)  # pairs per day
    i = np.arange(n_p)
    use = (
        valid
        & (p_high * rt[None, :, None, None] > p_low + 1e-6)
        & (i[None, None, None, :] < kmax[None, :, None, None])
    )  # (S, St, D, P)
    base = (np.arange(n_d) * spd)[None, None, :, None]
    t_low = base + low
    s_i, st_i, _, _ = np.indices(use.shape, sparse=True)
    s_b = np.broadcast_to(s_i, use.shape)[use]
    st_b = np.broadcast_to(st_i, use.shape)[use]
    ch[s_b, st_b, t_low[use]] = pcap[st_b]
    # the day's stored energy goes out where the net load is highest, flat-topped:
    #   d_t = min(P, max(0, X_t - U_d)),   sum_t d_t = rt * sum_t c_t   (level U_d by bisection)
    e_out = use.sum(axis=3) * (pcap * rt)[None, :, None]  # (S, St, D), MW-steps
    top = np.where(np.isfinite(sig), sig, -np.inf)
    lo = np.nan_to_num(np.nanmin(sig, axis=3, initial=np.inf), posinf=0.0) - pcap.max(initial=0.0)
    hi = np.nan_to_num(np.nanmax(sig, axis=3, initial=-np.inf), neginf=0.0)
    lo = np.broadcast_to(lo, e_out.shape).copy()
    hi = np.broadcast_to(hi, e_out.shape).copy()
    cap_p = pcap[None, :, None, None]
    for _ in range(N_BISECT_DAY):
        mid = 0.5 * (lo + hi)
        out = np.clip(top - mid[..., None], 0.0, cap_p).sum(axis=3)
        over = out > e_out
        lo = np.where(over, mid, lo)
        hi = np.where(over, hi, mid)
    d = np.clip(top - hi[..., None], 0.0, cap_p)
    d = np.where(e_out[..., None] > 0, d, 0.0).reshape(n_s, n_st, n_d * spd)[:, :, :n_t]
    dis[:] = d
    return ch, dis


#: Runs of the year at most to close the cycle (secant on the start state of charge).
MAX_PASSES = 6


def _run(ch_want, dis_want, ch, dis, soc, init, pid, decay, pcap, cap_e, eff_c, eff_d, dt):
    """One run of the year from ``init`` (S, periods, St), clipping the wished schedule.

    Arrays are (T, S, St) here so that each step reads and writes contiguous memory."""
    n_t = ch_want.shape[0]
    for t in range(n_t):
        prev = init[:, pid[t]] if t == 0 or pid[t] != pid[t - 1] else soc[t - 1]
        kept = prev * decay[t]
        d = np.minimum(dis_want[t], kept * eff_d / dt[t])
        room = (cap_e - kept) / (eff_c * dt[t]) + d / (eff_c * eff_d)
        c = np.clip(np.minimum(ch_want[t], room), 0.0, pcap)
        ch[t] = c
        dis[t] = d
        soc[t] = np.clip(kept + dt[t] * (eff_c * c - d / eff_d), 0.0, cap_e)


def simulate(
    ch_want: np.ndarray,
    dis_want: np.ndarray,
    pcap: np.ndarray,
    dur: np.ndarray,
    eff_c: np.ndarray,
    eff_d: np.ndarray,
    loss: np.ndarray,
    dt: np.ndarray,
    period: np.ndarray,
    init0: np.ndarray | None = None,
):
    """Clip a wished schedule to the storage limits; return ``ch, dis, soc`` (S, St, T).

    ``init0`` (S, periods, St): a first guess of the start state of charge (e.g. where a
    previous, similar schedule closed its cycle); half full by default."""
    n_s, n_st, n_t = ch_want.shape
    ch = np.zeros_like(ch_want)
    dis = np.zeros_like(dis_want)
    soc = np.zeros_like(ch_want)
    if n_st == 0 or n_t == 0:
        return ch, dis, soc
    cap_e = dur * pcap
    starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    ends = np.r_[starts[1:], n_t] - 1
    pid = np.searchsorted(starts, np.arange(n_t), side="right") - 1
    init = np.broadcast_to(0.5 * cap_e, (n_s, len(starts), n_st)).copy()
    if init0 is not None and init0.shape == init.shape:
        init = np.clip(init0, 0.0, cap_e)
    decay = (1.0 - loss)[None, :] ** dt[:, None]  # (T, St)
    tol = 1e-10 * max(1.0, float(cap_e.max(initial=0.0)))
    hist: list[tuple[np.ndarray, np.ndarray]] = []
    cw = np.ascontiguousarray(ch_want.transpose(2, 0, 1))
    dw = np.ascontiguousarray(dis_want.transpose(2, 0, 1))
    ch_t, dis_t, soc_t = (np.zeros((n_t, n_s, n_st)) for _ in range(3))
    for _pass in range(MAX_PASSES):
        _run(cw, dw, ch_t, dis_t, soc_t, init, pid, decay, pcap, cap_e, eff_c, eff_d, dt)
        gap = soc_t[ends].transpose(1, 0, 2) - init  # g(init) = end(init) - init
        if np.abs(gap).max(initial=0.0) <= tol:
            break
        hist.append((init.copy(), gap))
        if len(hist) == 1:
            init = np.clip(init + gap, 0.0, cap_e)
        else:  # secant on the piecewise-linear, non-increasing g
            (i0, g0), (i1, g1) = hist[-2], hist[-1]
            den = g1 - g0
            ok = np.abs(den) > 1e-12
            step = np.where(ok, -g1 * (i1 - i0) / np.where(ok, den, 1.0), g1)
            init = np.clip(i1 + step, 0.0, cap_e)
    ch[:] = ch_t.transpose(1, 2, 0)
    dis[:] = dis_t.transpose(1, 2, 0)
    soc[:] = soc_t.transpose(1, 2, 0)
    return ch, dis, soc
