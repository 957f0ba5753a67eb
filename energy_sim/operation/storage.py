"""Batteries and pumped hydro: a daily arbitrage schedule, then the exact state of charge.

Schedule (vectorised over samples, storage groups and days). The days are windows of 24 h
that start where a daily cycle's state of charge is lowest (:func:`day_start`: right after the
hours above the mean daily shape), so that each window's charge comes before its discharge.
Within each window the steps are ranked by the net load left after hydro, ``X_t``; the i-th
lowest step is paired with the i-th highest. Pair i is used when the price it saves beats the
price it pays after losses,

    pi(X_high_i) * eff_c * eff_d > pi(X_low_i),      i < dur / (dt * eff_c)

with ``pi`` the system merit-order price at net load X. Each used pair charges ``P`` in its low
step; what that stores comes back out over the day's highest steps, flat-topped,

    d_t = min(P, max(0, X_t - U_d)),     sum_t d_t = eff_c * eff_d * sum_t c_t

(level ``U_d`` by bisection), so each day is energy-neutral and the discharge follows the
shape of the peak rather than a fixed number of hours.

State of charge (MODEL.md constraint 4):

    soc_t = soc_{t-1}*(1-loss)^dt + dt*(eff_c*ch_t - dis_t/eff_d),   0 <= soc_t <= dur*P

where the schedule is clipped so that these hold exactly (``dis_t`` at most what is stored,
``ch_t`` at most what fits). Each clipped step is a map ``min(H, max(L, a*soc + b))`` of the
previous state; such maps compose into maps of the same form, so the whole year is a prefix
scan (``log2 T`` whole-array rounds, no Python loop over steps), and the cyclic start state is
the fixed point of the year's composed map, found in closed form.
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


def _daily_cycle(x: np.ndarray, spd: int) -> np.ndarray | None:
    """``C_h = sum_{k<=h} (m_k - mean(m))`` (spd,), ``m_h`` the mean of ``x`` (S, ..., T) at
    step ``h`` of the day: a store that follows the daily shape discharges while ``m_h`` is
    above its mean. None without a whole day or with a gap in the shape."""
    n_t = x.shape[-1]
    n_d = n_t // spd
    if n_d < 1 or spd < 2:
        return None
    days = np.reshape(x[..., : n_d * spd], (-1, n_d, spd))
    prof = np.nanmean(np.where(np.isfinite(days), days, np.nan), axis=(0, 1))
    if not np.isfinite(prof).all():
        return None
    return np.cumsum(prof - prof.mean())


def day_start(x: np.ndarray, spd: int) -> int:
    """Step of the day at which a daily cycle's state of charge is lowest: where its windows
    start, so that each window's charge comes before its discharge; right after the step
    where :func:`_daily_cycle`'s ``C_h`` peaks:

        h0 = (argmax_h C_h + 1) mod spd
    """
    c = _daily_cycle(x, spd)
    return 0 if c is None else int((np.argmax(c) + 1) % spd)


def day_top(x: np.ndarray, spd: int) -> int:
    """Step of the day at which a daily cycle's state of charge is highest (the cycle of
    :func:`day_start`): right after the step where ``C_h`` is lowest,

        h1 = (argmin_h C_h + 1) mod spd
    """
    c = _daily_cycle(x, spd)
    return 0 if c is None else int((np.argmin(c) + 1) % spd)


def _windows(n_t: int, spd: int, start: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Daily windows starting at step ``start`` of the day: (D, spd) step indices (clipped to
    the horizon), their validity, and the number of steps before the horizon (``lead``)."""
    lead = (spd - start) % spd
    n_d = -(-(lead + n_t) // spd)
    t = np.arange(n_d * spd) - lead
    valid = (t >= 0) & (t < n_t)
    return np.clip(t, 0, max(n_t - 1, 0)).reshape(n_d, spd), valid.reshape(n_d, spd), lead


def schedule(
    signal: np.ndarray,
    pi,
    pcap: np.ndarray,
    dur: np.ndarray,
    eff_c: np.ndarray,
    eff_d: np.ndarray,
    dt: np.ndarray,
    by_price: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Wished charge and discharge (S, St, T) from the signal (S, 1 or St, T).

    With ``by_price`` the signal is a price (USD/MWh, ``pi`` the identity): the day's ``k``
    used pairs charge ``k*P`` MW-steps at full power in its cheapest steps and discharge
    ``eff_c*eff_d*k*P`` at full power in its dearest, the steps tied at the last level
    sharing what is left (:func:`_top_steps`): the optimum of ``max sum_t p_t*(d_t - c_t)``
    for the day's pairs. There the last pair counts partly, so that ``k`` reaches
    ``dur/(dt*eff_c)`` and a paying day fills the store (whole pairs left 4% of a 4-hour
    battery's energy unused at efficiency 0.957, 11% of an 8-hour pumped store's at 0.894).
    The flat top ``X_t - U_d`` is for a net load in MW; on a price (a few USD/MWh apart
    against thousands of MW) it spread the discharge over every step of the day, the
    charging steps included."""
    n_s, _, n_t = signal.shape
    n_st = len(pcap)
    signal = np.broadcast_to(signal, (n_s, n_st, n_t))
    ch = np.zeros((n_s, n_st, n_t))
    dis = np.zeros((n_s, n_st, n_t))
    if n_st == 0 or n_t < 2:
        return ch, dis
    spd = _steps_per_day(dt)
    idx, ok, lead = _windows(n_t, spd, day_start(signal, spd))
    n_d = idx.shape[0]
    sig = np.where(ok, signal[:, :, idx], np.nan)  # (S, St, D, spd); NaN outside the horizon
    n_p = spd // 2
    low = np.argsort(sig, axis=3, kind="stable")[..., :n_p]  # NaN (padding) last
    # highest first, NaN last too: a window cut by the horizon's edge still pairs its steps
    high = np.argsort(np.where(np.isnan(sig), np.inf, -sig), axis=3, kind="stable")[..., :n_p]
    s_low = np.take_along_axis(sig, low, axis=3)
    s_high = np.take_along_axis(sig, high, axis=3)
    p_low, p_high = pi(np.nan_to_num(s_low, nan=np.inf)), pi(np.nan_to_num(s_high, nan=-np.inf))
    valid = np.isfinite(s_low) & np.isfinite(s_high) & (s_high > s_low)
    rt = eff_c * eff_d  # (St,)
    step_h = float(dt[0]) if len(dt) else 1.0
    # pairs per day: a store fills in dur/(dt*eff_c) steps at full power, the last one partly
    k_fill = dur / (step_h * np.maximum(eff_c, 1e-9))
    i = np.arange(n_p)
    pays = valid & (p_high * rt[None, :, None, None] > p_low + 1e-6)
    frac = k_fill[None, :, None, None] - i[None, None, None, :]
    weight = np.where(frac >= 1.0 - 1e-9, 1.0, np.where(frac > 1e-6, frac, 0.0))
    if by_price:  # charge in the day's cheapest steps, discharge in its dearest, ties shared
        n_use = np.where(pays, weight, 0.0).sum(axis=3)  # (S, St, D): pairs used each day
        ch = _top_steps(
            np.where(np.isfinite(sig), -sig, -np.inf), n_use * pcap[None, :, None], pcap
        )
        d = _top_steps(
            np.where(np.isfinite(sig), sig, -np.inf), n_use * (pcap * rt)[None, :, None], pcap
        )
        ch, d = ch.reshape(n_s, n_st, n_d * spd), d.reshape(n_s, n_st, n_d * spd)
        return ch[:, :, lead : lead + n_t], d[:, :, lead : lead + n_t]
    # on a net load whole pairs only: a partial last pair in the first pass put the heatwave
    # May's cost at 0.44% against 0.35% (tests/test_dispatch_lp.py)
    use = pays & (weight >= 1.0)  # (S, St, D, P)
    n_use = use.sum(axis=3)
    base = (np.arange(n_d) * spd)[None, None, :, None]
    t_low = base + low  # in window steps: step k is horizon step k - lead
    ch = np.zeros((n_s, n_st, n_d * spd))
    s_i, st_i, _, _ = np.indices(use.shape, sparse=True)
    s_b = np.broadcast_to(s_i, use.shape)[use]
    st_b = np.broadcast_to(st_i, use.shape)[use]
    ch[s_b, st_b, t_low[use]] = pcap[st_b]
    # the day's stored energy goes out where the net load is highest, flat-topped:
    #   d_t = min(P, max(0, X_t - U_d)),   sum_t d_t = rt * sum_t c_t   (level U_d by bisection)
    e_out = n_use * (pcap * rt)[None, :, None]  # (S, St, D), MW-steps
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
    d = np.where(e_out[..., None] > 0, d, 0.0).reshape(n_s, n_st, n_d * spd)
    return ch[:, :, lead : lead + n_t], d[:, :, lead : lead + n_t]


def _top_steps(top: np.ndarray, e_out: np.ndarray, pcap: np.ndarray) -> np.ndarray:
    """Discharge (S, St, D, spd) of each day's energy ``e_out`` (S, St, D) in MW-steps at the
    dearest steps of the price ``top`` (-inf outside the horizon): with ``L_d`` the price of
    the day's ``(floor(e_out/P) + 1)``-th dearest step,

        d_t = P  where p_t > L_d,     d_t = min(P, (e_out - P*#{p_t > L_d}) / #{p_t = L_d})
        where p_t = L_d,

    and 0 below; prices are compared to 1e-6 USD/MWh."""
    p = np.round(top, 6)
    spd = p.shape[-1]
    cap_p = pcap[None, :, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        n_full = np.where(pcap[None, :, None] > 0, np.floor(e_out / pcap[None, :, None]), 0.0)
    k = np.minimum(n_full, spd - 1).astype(np.int64)[..., None]
    level = np.take_along_axis(-np.sort(-p, axis=3), k, axis=3)  # (S, St, D, 1)
    fin = np.isfinite(p)
    above = fin & (p > level)
    tie = fin & (p == level)
    rest = e_out - np.where(above, cap_p, 0.0).sum(axis=3)
    n_tie = tie.sum(axis=3)
    share = np.where(n_tie > 0, np.maximum(rest, 0.0) / np.maximum(n_tie, 1), 0.0)
    d = np.where(above, cap_p, np.where(tie, np.minimum(share[..., None], cap_p), 0.0))
    return np.where(e_out[..., None] > 0, d, 0.0)


def _step_maps(cw, dw, decay, pcap, cap_e, eff_c, eff_d, dt):
    """Each step's state-of-charge map ``soc_t = min(H, max(L, a*soc_{t-1} + b))``.

    With ``kept = a*soc_{t-1}`` (``a = (1-loss)^dt``), discharge ``d = min(dis_want,
    kept*eff_d/dt)`` and charge ``c = clip(min(ch_want, room), 0, P)`` (``room`` what fits after
    the discharge), the clipped update of MODEL.md constraint 4 is exactly

        soc_t = min(E, max(kept - dt*dis_want/eff_d, 0) + W),   W = dt*eff_c*clip(ch_want, 0, P)

    i.e. ``b = W - dt*dis_want/eff_d``, ``L = W``, ``H = E = dur*P``. Arrays (T, S, St)."""
    w = (dt[:, None, None] * eff_c) * np.clip(cw, 0.0, pcap)
    a = np.broadcast_to(decay[:, None, :], cw.shape).copy()
    b = w - (dt[:, None, None] / eff_d) * dw
    hi = np.broadcast_to(cap_e, cw.shape).copy()
    return a, b, w, hi


def _compose(g, f):
    """``g`` after ``f`` for maps ``x -> min(H, max(L, a*x + b))`` given as (a, b, L, H).

    With ``a >= 0`` the set is closed under composition: ``a = a_f*a_g``, ``b = a_g*b_f + b_g``,
    ``L = max(L_g, a_g*L_f + b_g)``, ``H = min(H_g, max(L_g, a_g*H_f + b_g))``."""
    ag, bg, lg, hg = g
    af, bf, lf, hf = f
    return (
        ag * af,
        ag * bf + bg,
        np.maximum(lg, ag * lf + bg),
        np.minimum(hg, np.maximum(lg, ag * hf + bg)),
    )


def _apply(m, x):
    a, b, lo, hi = m
    return np.minimum(hi, np.maximum(lo, a * x + b))


def _fixed_point(m, guess, tol):
    """A start state ``s`` with ``F(s) = s`` for the period map ``F = min(H, max(L, a*s + b))``:
    ``b/(1-a)`` clamped when ``a < 1``; ``H`` or ``L`` when ``a = 1`` and ``b`` is positive or
    negative; the point of ``[L, H]`` nearest ``guess`` when ``a = 1, b = 0``."""
    a, b, lo, hi = m
    lossy = a < 1.0 - 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = np.where(lossy, b / np.where(lossy, 1.0 - a, 1.0), guess)
    s0 = np.where(~lossy & (b > tol), np.inf, s0)
    s0 = np.where(~lossy & (b < -tol), -np.inf, s0)
    return np.minimum(hi, np.maximum(lo, s0))


def _period_states(a, b, lo, hi, guess, tol):
    """States of charge after every step (T, S, St) of one cyclic period, and its start state.

    Blocked scan: the T steps are cut into ~sqrt(T) blocks; the prefix maps inside every block
    are composed in one loop over the block length (vectorised over blocks, samples and
    groups), the block maps are chained in a loop over blocks to get the period's map, whose
    fixed point (:func:`_fixed_point`) is the cyclic start state, then each block's start
    state; every state is its block prefix map applied to its block's start state.
    """
    n_t, n_s, n_st = a.shape
    n_b = max(1, int(np.ceil(np.sqrt(n_t))))
    n_k = -(-n_t // n_b)
    pad = n_k * n_b - n_t
    ident = (1.0, 0.0, -np.inf, np.inf)
    blk = []
    for arr, v in zip((a, b, lo, hi), ident, strict=True):
        if pad:
            arr = np.concatenate([arr, np.full((pad, n_s, n_st), v)])
        blk.append(np.ascontiguousarray(arr.reshape(n_k, n_b, n_s, n_st).transpose(1, 0, 2, 3)))
    for j in range(1, n_b):  # prefix maps inside every block
        new = _compose(tuple(x[j] for x in blk), tuple(x[j - 1] for x in blk))
        for x, v in zip(blk, new, strict=True):
            x[j] = v
    last = tuple(x[n_b - 1] for x in blk)  # (K, S, St) block maps
    total = tuple(x[0] for x in last)
    for k in range(1, n_k):
        total = _compose(tuple(x[k] for x in last), total)
    s0 = _fixed_point(total, guess, tol)
    start = np.empty((n_k, n_s, n_st))
    x = s0
    for k in range(n_k):
        start[k] = x
        x = _apply(tuple(y[k] for y in last), x)
    soc = _apply(blk, start[None])  # (B, K, S, St)
    return soc.transpose(1, 0, 2, 3).reshape(n_k * n_b, n_s, n_st)[:n_t], s0


def simulate_reference(
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

    The clipped recursion of every step is a map ``min(H, max(L, a*x + b))`` of the previous
    state of charge (:func:`_step_maps`); these compose into maps of the same form, so all
    states of charge follow from a blocked prefix scan over time (:func:`_period_states`):
    loops of ~2*sqrt(T) whole-array steps instead of T small ones. The cycle closes exactly: the start state ``s0`` of a period is the
    fixed point of the period's composed map ``F(s) = min(H, max(L, a*s + b))``,

        s0 = min(H, max(L, b/(1-a)))  if a < 1,     else H if b > 0, L if b < 0,

    and where ``a = 1, b = 0`` (no loss, balanced schedule) every state in ``[L, H]`` is a fixed
    point and the one nearest ``init0`` (half full by default) is kept. The charge and discharge
    are then the clipped wishes of each step from the state before it.
    """
    n_s, n_st, n_t = ch_want.shape
    ch = np.zeros_like(ch_want)
    dis = np.zeros_like(dis_want)
    soc = np.zeros_like(ch_want)
    if n_st == 0 or n_t == 0:
        return ch, dis, soc
    act = np.flatnonzero(pcap > 0)
    if len(act) < n_st:  # groups without power neither charge, discharge nor store
        if len(act):
            i0 = None if init0 is None else init0[:, :, act]
            c_a, d_a, s_a = simulate_reference(
                ch_want[:, act], dis_want[:, act], pcap[act], dur[act], eff_c[act],
                eff_d[act], loss[act], dt, period, i0,
            )  # fmt: skip
            ch[:, act], dis[:, act], soc[:, act] = c_a, d_a, s_a
        return ch, dis, soc
    cap_e = dur * pcap
    starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    ends = np.r_[starts[1:], n_t] - 1
    init = np.broadcast_to(0.5 * cap_e, (n_s, len(starts), n_st)).copy()
    if init0 is not None and init0.shape == init.shape:
        init = np.clip(init0, 0.0, cap_e)
    decay = (1.0 - loss)[None, :] ** dt[:, None]  # (T, St)
    tol = 1e-10 * max(1.0, float(cap_e.max(initial=0.0)))
    cw = np.ascontiguousarray(ch_want.transpose(2, 0, 1))
    dw = np.ascontiguousarray(dis_want.transpose(2, 0, 1))
    a, b, lo, hi = _step_maps(cw, dw, decay, pcap, cap_e, eff_c, eff_d, dt)
    soc_t = np.empty_like(cw)
    prev = np.empty_like(cw)  # state before each step
    for p, (t0, t1) in enumerate(zip(starts, ends + 1, strict=True)):
        sl = slice(t0, t1)
        soc_t[sl], s0 = _period_states(a[sl], b[sl], lo[sl], hi[sl], init[:, p], tol)
        prev[t0 + 1 : t1] = soc_t[t0 : t1 - 1]
        prev[t0] = np.clip(s0, 0.0, cap_e)
    kept = prev * decay[:, None, :]
    dt3 = dt[:, None, None]
    d = np.minimum(dw, kept * eff_d / dt3)
    room = (cap_e - kept) / (eff_c * dt3) + d / (eff_c * eff_d)
    c = np.clip(np.minimum(cw, room), 0.0, pcap)
    soc_t = np.clip(kept + dt3 * (eff_c * c - d / eff_d), 0.0, cap_e)
    ch[:] = c.transpose(1, 2, 0)
    dis[:] = d.transpose(1, 2, 0)
    soc[:] = soc_t.transpose(1, 2, 0)
    return ch, dis, soc


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

    The same maps and cyclic start state as :func:`simulate_reference` (the blocked prefix
    scan in numpy), composed step by step in the compiled kernel
    :func:`energy_sim.operation.kernels.storage_states` (samples in parallel): two passes over
    the steps of each period and group, one to compose the period's map, one to run it.
    """
    from energy_sim.operation import kernels

    n_s, n_st, n_t = ch_want.shape
    if n_st == 0 or n_t == 0:
        z = np.zeros_like(ch_want)
        return z, z.copy(), z.copy()
    cap_e = np.asarray(dur * pcap, float)
    starts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    ends = np.r_[starts[1:], n_t] - 1
    init = np.broadcast_to(0.5 * cap_e, (n_s, len(starts), n_st)).copy()
    if init0 is not None and init0.shape == init.shape:
        init = np.clip(init0, 0.0, cap_e)
    decay = np.ascontiguousarray((1.0 - loss)[None, :] ** dt[:, None], dtype=float)
    tol = 1e-10 * max(1.0, float(cap_e.max(initial=0.0)))
    return kernels.storage_states(
        np.ascontiguousarray(ch_want, dtype=float),
        np.ascontiguousarray(dis_want, dtype=float),
        np.asarray(pcap, float),
        cap_e,
        np.asarray(eff_c, float),
        np.asarray(eff_d, float),
        decay,
        np.ascontiguousarray(dt, dtype=float),
        starts.astype(np.int64),
        ends.astype(np.int64),
        np.ascontiguousarray(init, dtype=float),
        tol,
    )


#: Bisection steps of :func:`zone_schedule` inside one price level (level/2**n).
N_BISECT_ZONE = 12


def zone_schedule(
    supply: np.ndarray,
    need: np.ndarray,
    levels: np.ndarray,
    pcap: float,
    dur: float,
    eff_c: float,
    eff_d: float,
    dt: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily schedule of one storage group in price terms over its zone.

    With ``Q_t(z)`` the zone's supply up to merit position ``z`` (``supply`` (S, T, K):
    cumulative MW up to each price level, interpolated inside a level; the marginal price at
    ``z`` is ``levels[ceil(z)]``) and ``N_t`` the net load the zone must cover without this
    group, one day's discharge shaves it down to a position ``u`` and its charge fills it up
    to ``l``:

        d_t = min(P, max(0, N_t - Q_t(u))),     c_t = min(P, max(0, Q_t(l) - N_t)),
        E = sum_t d_t*dt = eff_c*eff_d * sum_t c_t*dt  <=  eff_d * dur * P

    and the day cycles as much as ``levels[ceil(u)] * eff_c*eff_d > levels[ceil(l)]`` allows:
    each MWh moved saves the price it displaces and pays the price it charges at, both as the
    storage's own output moves them (one day's arbitrage optimum against the zone's supply
    curve). The energies at whole levels, ``E_out(k)`` and ``E_in(k)``, give the lowest level
    ``k*`` whose discharge still pays and the energy ``E`` at which it stops paying inside that
    level; ``u`` (from level ``k* - 1`` up) and ``l`` (inside one level) for that energy then
    follow by bisection.
    Returns the wished charge and discharge (S, T), MW.
    """
    n_s, n_t, n_k = supply.shape
    ch = np.zeros((n_s, n_t))
    dis = np.zeros((n_s, n_t))
    if n_t < 2 or pcap <= 0 or n_k < 2:
        return ch, dis
    spd = _steps_per_day(dt)
    idx, valid, lead = _windows(n_t, spd, day_start(need, spd))
    n_d = idx.shape[0]
    valid = valid[None]
    # the top (shedding) level only needs to reach the largest need: an "unlimited" top would
    # make a position inside it meaningless (1e9 MW per unit of position)
    supply = supply.copy()
    supply[..., -1] = np.minimum(
        supply[..., -1], supply[..., -2] + max(float(np.max(need, initial=0.0)), 0.0) + pcap
    )
    sup = supply[:, idx]  # (S, D, spd, K)
    nd = need[:, idx]
    step_h = float(dt[0])
    rt = eff_c * eff_d
    e_max = eff_d * dur * pcap  # MWh out per day
    live = valid[..., None]
    e_out = np.where(live, np.clip(nd[..., None] - sup, 0.0, pcap), 0.0).sum(axis=2) * step_h
    e_in = np.where(live, np.clip(sup - nd[..., None], 0.0, pcap), 0.0).sum(axis=2) * step_h

    def k_in(x: np.ndarray) -> np.ndarray:
        """The whole charge level that carries energy ``x`` (S, D) or (S, D, K): the first k
        with ``E_in(k) >= x`` (K: none does)."""
        e = e_in if x.ndim == 2 else e_in[..., None, :]
        return np.count_nonzero(e < x[..., None] * (1 - 1e-12), axis=-1)

    ext = np.r_[levels, np.inf]  # a charge that no level carries costs infinity
    e_k = np.minimum(e_out, e_max)  # (S, D, K): energy out when shaving down to level k
    pays = levels * rt > ext[k_in(e_k / rt)] + 1e-6
    pays[..., -1] = True  # shaving down to the top level moves nothing
    k_star = np.argmax(pays, axis=2)  # lowest level that pays (pays grows with k)
    sd = np.indices(k_star.shape)
    p_star = levels[k_star] * rt
    k_thr = np.searchsorted(levels, p_star - 1e-6, side="left") - 1  # dearest level still paying
    e_thr = np.where(k_thr >= 0, rt * e_in[sd[0], sd[1], np.maximum(k_thr, 0)], 0.0)
    e_lo = e_out[sd[0], sd[1], np.maximum(k_star - 1, 0)]
    energy = np.minimum(np.minimum(e_lo, e_thr), e_max)
    energy = np.maximum(energy, e_k[sd[0], sd[1], k_star])  # k* = K-1: at most the shed

    flat = np.ascontiguousarray(supply).reshape(-1)
    base = (np.arange(n_s)[:, None, None] * n_t + idx[None]) * n_k  # (S, D, spd)

    def q(z: np.ndarray) -> np.ndarray:  # (S, D) position -> (S, D, spd) MW
        z = np.clip(z, 0.0, n_k - 1.0)[..., None]
        k = np.minimum(z.astype(np.int64), n_k - 2)
        frac = z - k
        return flat.take(base + k) * (1.0 - frac) + flat.take(base + k + 1) * frac

    def out(z):
        return np.where(valid, np.clip(nd - q(z), 0.0, pcap), 0.0)

    def inn(z):
        return np.where(valid, np.clip(q(z) - nd, 0.0, pcap), 0.0)

    # u in [k*-1, K-1] with E_out(u) = energy (above k* where the energy limit binds first:
    # the discharge then goes to the day's top hours only); l in [k_l-1, k_l] with
    # E_in(l) = energy/rt
    lo_u = np.maximum(k_star - 1.0, 0.0)
    hi_u = np.full(k_star.shape, n_k - 1.0)
    k_l = np.minimum(k_in(energy / rt), n_k - 1)
    lo_l = np.maximum(k_l - 1.0, 0.0)
    hi_l = k_l.astype(float)
    for i in range(N_BISECT_ZONE + int(np.ceil(np.log2(n_k)))):
        mid = 0.5 * (lo_u + hi_u)
        more = out(mid).sum(axis=2) * step_h > energy  # too much out: raise u
        lo_u = np.where(more, mid, lo_u)
        hi_u = np.where(more, hi_u, mid)
        if i >= N_BISECT_ZONE:
            continue
        mid = 0.5 * (lo_l + hi_l)
        over = inn(mid).sum(axis=2) * step_h * rt > energy  # too much in: lower l
        hi_l = np.where(over, mid, hi_l)
        lo_l = np.where(over, lo_l, mid)
    d = out(lo_u)  # the side with at least the energy; trimmed below
    c = inn(hi_l)
    e_d = d.sum(axis=2) * step_h
    e_c = c.sum(axis=2) * step_h
    # the day balances exactly: both sides trimmed to what the smaller one carries
    moved = np.minimum(np.minimum(e_d, energy), e_c * rt)
    with np.errstate(divide="ignore", invalid="ignore"):
        d *= np.where(e_d > 0, moved / e_d, 0.0)[..., None]
        c *= np.where(e_c > 0, moved / (rt * e_c), 0.0)[..., None]
    dis[:] = d.reshape(n_s, n_d * spd)[:, lead : lead + n_t]
    ch[:] = c.reshape(n_s, n_d * spd)[:, lead : lead + n_t]
    return ch, dis
