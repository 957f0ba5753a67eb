"""Storage energy shifted into the steps that shed (the price rounds' kind "cover",
:func:`energy_sim.operation.passes._cover_move`): a compiled greedy over each sample's steps,
arrays in, arrays out.

A store of a region that sheds at step ``t`` covers more of it, by charging less there or
discharging more, and takes the state-of-charge energy that costs from another step ``u`` of
the same period where its region has plant room: it discharges less there (other plants take
over) or charges more. Before ``t`` the state of charge is higher from ``u`` to ``t``; after
``t``, lower from ``t`` to ``u``; outside, unchanged. That pairs the shed with plant room a
day's cycle cannot: a second cycle in one day (empty in the morning's shortage, refilled at
noon from plants a full store left idle), or energy held over several days for a heatwave.

The same greedy serves the bank move (:func:`energy_sim.operation.passes._bank_move`): there
the steps covered are those where a store can run in place of a basin's water, and what a
covered MW is worth is the price of the steps the water freed goes to, not VOLL.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True, nogil=True)
def cover_pairs(
    soc, ch, dis, shed, room, price, period, dt, pcap, cap_e, eff_c, eff_d, value, reach, thr
):  # fmt: skip
    """Cover a store's region's shed from its plant room at other steps; the changes of the
    store's charge and discharge (S, T) MW. ``shed`` and ``room`` (S, T) MW are updated in
    place (what is left), so the region's next store sees them; ``shed`` is what there is to
    cover (for the bank move, the water a store can run in place of).

    For each step ``t`` that sheds (``shed_t > thr``), in time order: the store cuts its
    charge, ``x_t = min(c_t, shed_t)`` (``eff_c*dt`` MWh of state of charge a MW), then adds
    discharge, ``y_t = min(P - d_t, shed_t - x_t)`` (``dt/eff_d`` a MW), as far as sources pay
    for them. A source is a step ``u`` of ``t``'s period, at most ``reach`` steps away, that
    does not shed and where the region's plants can give ``R_u > 0`` at a price ``p_u``
    below what a MW covered at ``t`` is worth (``value`` (S, T): VOLL for shed; that times
    ``eff_c*eff_d`` for charging); the cheapest
    first, the nearest of equal price first. There the store discharges less,
    ``a_u <= min(d_u, R_u)`` (``dt/eff_d`` MWh a MW), then, once it no longer discharges,
    charges more, ``b_u <= min(P - c_u, R_u - a_u)`` (``eff_c*dt``). The state of charge
    ``s`` (MWh, after each step) moves by the energy ``e`` of each pair on the steps between
    them, bounded exactly:

        u < t:  s_k + e <= E  for u <= k < t;        u > t:  s_k - e >= 0  for t <= k < u.

    ``soc``, ``ch``, ``dis`` (S, T) the store's; ``price`` (S, T) its region's; ``period``
    (T,) int; ``dt`` (T,) h. Self-discharge is left out of the bounds (the core's exact
    state of charge clips what it would break)."""
    n_s, n_t = soc.shape
    dch = np.zeros((n_s, n_t))
    ddis = np.zeros((n_s, n_t))
    for s in prange(n_s):
        so = soc[s].copy()
        for t in range(n_t):
            if shed[s, t] <= thr:
                continue
            lo = max(0, t - reach)
            hi = min(n_t, t + reach + 1)
            n_c = 0
            cand = np.empty(hi - lo, np.int64)
            key = np.empty(hi - lo)
            for u in range(lo, hi):
                if period[u] != period[t] or u == t or shed[s, u] > thr or room[s, u] <= 1e-9:
                    continue
                if price[s, u] >= value[s, t]:
                    continue
                cand[n_c] = u
                key[n_c] = price[s, u] + 1e-6 * abs(u - t)
                n_c += 1
            if n_c == 0:
                continue
            order = np.argsort(key[:n_c])
            for phase in range(2):  # 0: cut the charge at t, 1: discharge more at t
                if phase == 0:
                    want = min(ch[s, t] + dch[s, t], shed[s, t])  # MW
                    per = eff_c * dt[t]  # MWh of state of charge a MW covers
                else:
                    want = min(pcap - dis[s, t] - ddis[s, t], shed[s, t])
                    if ch[s, t] + dch[s, t] > 1e-9:  # charging still: no discharge too
                        want = 0.0
                    per = dt[t] / eff_d
                if want <= 1e-9:
                    continue
                need = want * per  # MWh of state of charge
                for j in range(n_c):
                    if need <= 1e-9:
                        break
                    u = cand[order[j]]
                    if room[s, u] <= 1e-9:
                        continue
                    # the room of the state of charge between u and t
                    bound = np.inf
                    if u < t:
                        for k in range(u, t):
                            bound = min(bound, cap_e - so[k])
                    else:
                        for k in range(t, u):
                            bound = min(bound, so[k])
                    if bound <= 1e-9:
                        continue
                    e = min(need, bound)
                    # the source: less discharge at u, then more charge
                    a = min(dis[s, u] + ddis[s, u], room[s, u], e * eff_d / dt[u])
                    got = a * dt[u] / eff_d
                    b = 0.0
                    if (
                        e - got > 1e-9
                        and dis[s, u] + ddis[s, u] - a <= 1e-9
                        and price[s, u] < value[s, t] * eff_c * eff_d
                    ):
                        b = min(
                            pcap - ch[s, u] - dch[s, u], room[s, u] - a,
                            (e - got) / (eff_c * dt[u]),
                        )  # fmt: skip
                        b = max(b, 0.0)
                    got += b * eff_c * dt[u]
                    if got <= 1e-9:
                        continue
                    ddis[s, u] -= a
                    dch[s, u] += b
                    room[s, u] -= a + b
                    if u < t:
                        for k in range(u, t):
                            so[k] += got
                    else:
                        for k in range(t, u):
                            so[k] -= got
                    need -= got
                    mw = got / per
                    if phase == 0:
                        dch[s, t] -= mw
                    else:
                        ddis[s, t] += mw
                    shed[s, t] -= mw
    return dch, ddis
