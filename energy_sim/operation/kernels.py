"""Compiled (numba) kernels of the dispatch core's steps over whole years: arrays in, arrays
out, samples in parallel (``prange``); the network kernels of single cells are in
:mod:`.cell_kernels`.

Each kernel is the scalar form of a whole-array numpy function kept in the package as its
reference, and the tests compare the two on random inputs (``tests/test_dispatch_kernels.py``):

- :func:`storage_states` <- ``storage.simulate_reference``: the clipped state of charge,
  cyclic over each period;
- :func:`lng_inventory` <- ``lng.run_inventory_reference``: the LNG tanks step by step;
- :func:`availability`, :func:`residual_need`, :func:`balance_lng_residuals`,
  :func:`hub_burn`: one-pass sums and products (tested against their numpy one-liners).

``cache=True`` keeps the machine code on disk (``__pycache__``): only the first call after an
install compiles (about 25 s for all of them on 2 cores). Every kernel here and in
:mod:`.cell_kernels` and :mod:`.screen` releases the GIL (``nogil=True``), so that
:func:`energy_sim.security.adequacy.assess` can operate one chunk's numpy steps while another
chunk's kernels run where numba's threading layer allows that (:data:`THREADSAFE_LAYERS`;
:func:`threading_layer`).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

#: numba's threading layers that run parallel kernels launched from several Python threads at
#: once; ``workqueue`` ends the process when that happens.
THREADSAFE_LAYERS = ("tbb", "omp")


@njit(cache=True, parallel=True, nogil=True)
def _probe(x):
    """A trivial parallel kernel: calling it starts numba's threading layer."""
    for i in prange(x.shape[0]):
        x[i] = i


def threading_layer() -> str:
    """The name of numba's threading layer, started here if it was not."""
    _probe(np.zeros(2))
    return numba.threading_layer()


@njit(cache=True, parallel=True, nogil=True)
def storage_states(cw, dw, pcap, cap_e, eff_c, eff_d, decay, dt, starts, ends, init, tol):
    """Clip a wished schedule to the storage limits, cyclic over each period.

    Scalar form of :func:`energy_sim.operation.storage.simulate_reference`. Each step is the map
    ``soc_t = min(H, max(L, a*soc_{t-1} + b))`` with ``a = (1-loss)^dt``,
    ``W = dt*eff_c*clip(ch, 0, P)``, ``b = W - dt*dis/eff_d``, ``L = W``, ``H = dur*P``; the
    period's composed map (``a = a_f*a_g``, ``b = a_g*b_f + b_g``, ``L = max(L_g, a_g*L_f + b_g)``,
    ``H = min(H_g, max(L_g, a_g*H_f + b_g))``) gives the cyclic start state as its fixed point
    (``b/(1-a)`` clamped; ``H``/``L`` when ``a = 1`` and ``b`` > 0/< 0; else the point of
    ``[L, H]`` nearest ``init``); then each step's discharge ``min(dis, kept*eff_d/dt)``,
    charge ``clip(min(ch, room), 0, P)`` and state follow from the state before it.

    ``cw``, ``dw`` (S, St, T); ``decay`` (T, St); ``starts``/``ends`` (P,) first and last step
    of each period; ``init`` (S, P, St). Returns charge, discharge, state of charge (S, St, T).
    """
    n_s, n_st, n_t = cw.shape
    n_p = starts.shape[0]
    idt = 1.0 / dt
    ch = np.zeros((n_s, n_st, n_t))
    dis = np.zeros((n_s, n_st, n_t))
    soc = np.zeros((n_s, n_st, n_t))
    for s in prange(n_s):
        for j in range(n_st):
            p_ = pcap[j]
            if p_ <= 0.0:
                continue
            e_ = cap_e[j]
            ec = eff_c[j]
            ed = eff_d[j]
            ied = 1.0 / ed  # reciprocals once: no division in the step loops
            iec = 1.0 / ec
            iecd = 1.0 / (ec * ed)
            for p in range(n_p):
                t0 = starts[p]
                t1 = ends[p] + 1
                ma, mb, ml, mh = 1.0, 0.0, -np.inf, np.inf
                for t in range(t0, t1):
                    a = decay[t, j]
                    c = cw[s, j, t]
                    c = 0.0 if c < 0.0 else (p_ if c > p_ else c)
                    w = dt[t] * ec * c
                    b = w - dt[t] * ied * dw[s, j, t]
                    nl = a * ml + b
                    if nl < w:
                        nl = w
                    nh = a * mh + b
                    if nh < w:
                        nh = w
                    if nh > e_:
                        nh = e_
                    ma, mb, ml, mh = a * ma, a * mb + b, nl, nh
                if ma < 1.0 - 1e-12:
                    s0 = mb / (1.0 - ma)
                elif mb > tol:
                    s0 = np.inf
                elif mb < -tol:
                    s0 = -np.inf
                else:
                    s0 = init[s, p, j]
                if s0 < ml:
                    s0 = ml
                if s0 > mh:
                    s0 = mh
                prev = 0.0 if s0 < 0.0 else (e_ if s0 > e_ else s0)
                for t in range(t0, t1):
                    kept = prev * decay[t, j]
                    d = dw[s, j, t]
                    if kept * ed * idt[t] < d:
                        d = kept * ed * idt[t]
                    room = (e_ - kept) * idt[t] * iec + d * iecd
                    c = cw[s, j, t]
                    if room < c:
                        c = room
                    c = 0.0 if c < 0.0 else (p_ if c > p_ else c)
                    x = kept + dt[t] * (ec * c - d * ied)
                    x = 0.0 if x < 0.0 else (e_ if x > e_ else x)
                    ch[s, j, t] = c
                    dis[s, j, t] = d
                    soc[s, j, t] = x
                    prev = x
    return ch, dis, soc


@njit(cache=True, parallel=True, nogil=True)
def lng_inventory(burn, smax, floor, tank, left0, dt, wdt, init):
    """LNG tanks step by step (scalar form of ``lng.run_inventory_reference``)::

        cap_t  = min(smax_t, contract_left / (w*dt))
        burn_t = min(wish_t, max(0, (inv_{t-1} - floor_t)/dt + cap_t))
        send_t = max(0, min(cap_t, (tank - inv_{t-1})/dt + burn_t))
        inv_t  = clip(inv_{t-1} + dt*(send_t - burn_t), 0, tank)

    ``burn``, ``smax``, ``floor`` (S, H, T); ``tank``, ``left0`` (H,); ``init`` (S, H).
    Returns the allowed burn, send-out and inventory (S, H, T), MW_th and MWh_th.
    """
    n_s, n_h, n_t = burn.shape
    ok = np.empty_like(burn)
    send = np.empty_like(burn)
    inv = np.empty_like(burn)
    idt = 1.0 / dt  # reciprocals once: no division on the step-to-step chain
    iw = np.empty(n_t)
    for t in range(n_t):
        iw[t] = 1.0 / wdt[t] if wdt[t] > 0 else np.inf
    # one task per (sample, hub): the price rounds' calls have one or two samples and four
    # hubs, which a loop over samples alone left on one core
    for q in prange(n_s * n_h):
        s = q // n_h
        h = q % n_h
        prev = init[s, h]
        left = left0[h]
        tk = tank[h]
        for t in range(n_t):
            # the step's loads first, then the arithmetic, then the stores
            cap = smax[s, h, t]
            fl = floor[s, h, t]
            b = burn[s, h, t]
            it = idt[t]
            if wdt[t] > 0 and left * iw[t] < cap:
                cap = left * iw[t]
            room = (prev - fl) * it + cap
            if room < 0.0:
                room = 0.0
            if room < b:
                b = room
            x = (tk - prev) * it + b
            if cap < x:
                x = cap
            if x < 0.0:
                x = 0.0
            nxt = prev + dt[t] * (x - b)
            prev = 0.0 if nxt < 0.0 else (tk if nxt > tk else nxt)
            left = left - wdt[t] * x
            ok[s, h, t] = b
            send[s, h, t] = x
            inv[s, h, t] = prev
    return ok, send, inv


@njit(cache=True, parallel=True, nogil=True)
def hub_burn(gen, cols, hub, inv_eff, n_s, n_h):
    """LNG burn ``burn[s,n,t] = sum_{g of n} p[s*T+t, g] / eff_g`` (S, H, T), MW_th, from the
    cells' generation (S*T, G) and the LNG-fed columns ``cols`` with their hubs and ``1/eff``
    (cf. ``(gen[:, cols] @ to_hub[cols])`` reshaped)."""
    n_t = gen.shape[0] // n_s
    out = np.zeros((n_s, n_h, n_t))
    for s in prange(n_s):
        for t in range(n_t):
            row = s * n_t + t
            for k in range(cols.shape[0]):
                out[s, hub[k], t] += gen[row, cols[k]] * inv_eff[k]
    return out


#: Steps per block of :func:`availability`.
AV_BLOCK = 64


@njit(cache=True, parallel=True, nogil=True)
def availability(avail, cap, draw):
    """``A[s,t,g] = avail[g,t] * cap[g] * max(0, draw[s,g,t])`` (S, T, G), MW, in one pass
    (``draw`` (S, G, T); a leading dim of 1 broadcasts over ``n_s = draw.shape[0]``)."""
    n_s, n_g, n_t = draw.shape
    out = np.empty((n_s, n_t, n_g))
    # in blocks of AV_BLOCK steps: the transposed writes stay in cache (43 -> 30 ms for 20
    # sample years of 69 groups; one loop over all steps per group wrote a step's row 69
    # times from memory)
    n_b = (n_t + AV_BLOCK - 1) // AV_BLOCK
    for q in prange(n_s * n_b):
        s = q // n_b
        t0 = (q % n_b) * AV_BLOCK
        t1 = min(t0 + AV_BLOCK, n_t)
        for g in range(n_g):
            c = cap[g]
            for t in range(t0, t1):
                d = draw[s, g, t]
                out[s, t, g] = avail[g, t] * c * (d if d > 0.0 else 0.0)
    return out


@njit(cache=True, parallel=True, nogil=True)
def residual_need(av, dem, gen_region, use):
    """``N[s,r,t] = D[s,t,r] - sum_{g in r, use[g]} A[s,t,g]`` (S, R, T)."""
    n_s, n_t, n_g = av.shape
    n_r = dem.shape[2]
    out = np.empty((n_s, n_r, n_t))
    for s in prange(n_s):
        for t in range(n_t):
            for r in range(n_r):
                out[s, r, t] = dem[s, t, r]
            for g in range(n_g):
                if use[g]:
                    out[s, gen_region[g], t] -= av[s, t, g]
    return out


#: Steps per block of :func:`balance_lng_residuals` (its terms added along a block's steps).
BLOCK = 256


@njit(cache=True, parallel=True, nogil=True)
def balance_lng_residuals(
    idx, gen, gen_region, ch, dis, stor_region, flow, frm, to, eta, shed, dem, hub_of, eff, inv,
    send, dt,
):  # fmt: skip
    """Largest regional balance residual (MW) and LNG inventory-recursion residual (MWh_th,
    the cyclic step included) of each sample in ``idx``::

        bal[r,t] = sum_{g in r} p + sum_{s in r} (dis - ch) + sum_{l into r} (eta*fwd - rev)
                   + sum_{l out of r} (eta*rev - fwd) + shed - D
        lng[n,t] = inv[t] - inv[t-1] - dt*(send - sum_{g of n} p/eff)

    ``gen`` (S, T, G); ``ch``, ``dis`` (S, St, T); ``flow`` (S, L, T) net a -> b; ``shed``
    (S, R, T); ``dem`` (S, T, R); ``inv``, ``send`` (S, H, T).
    """
    k = idx.shape[0]
    n_t, n_g = gen.shape[1], gen.shape[2]
    n_r = dem.shape[2]
    n_h = inv.shape[1]
    # the groups by region and the LNG-fed groups, once: each step's sums run in registers
    by_region = np.argsort(gen_region, kind="mergesort")
    start = np.zeros(n_r + 1, np.int64)
    for g in range(n_g):
        start[gen_region[g] + 1] += 1
    for r in range(n_r):
        start[r + 1] += start[r]
    fed = np.flatnonzero(hub_of >= 0)
    bal = np.zeros(k)
    res = np.zeros(k)
    n_st = ch.shape[1]
    n_l = frm.shape[0]
    for q in prange(k):
        s = idx[q]
        # blocks of steps, each family's terms added along the steps of the block (contiguous
        # reads); every element still sums its terms in the same order as step by step
        inj = np.empty((n_r, BLOCK))
        burn = np.empty((max(n_h, 1), BLOCK))
        worst_bal = 0.0
        worst_res = 0.0
        for t0 in range(0, n_t, BLOCK):
            nb = min(BLOCK, n_t - t0)
            for tt in range(nb):
                t = t0 + tt
                for r in range(n_r):
                    acc = shed[s, r, t] - dem[s, t, r]
                    for m in range(start[r], start[r + 1]):
                        acc += gen[s, t, by_region[m]]
                    inj[r, tt] = acc
                for h in range(n_h):
                    burn[h, tt] = 0.0
                for m in range(fed.shape[0]):
                    g = fed[m]
                    burn[hub_of[g], tt] += gen[s, t, g] / eff[g]
            for j in range(n_st):
                r = stor_region[j]
                for tt in range(nb):
                    inj[r, tt] += dis[s, j, t0 + tt] - ch[s, j, t0 + tt]
            for l_ in range(n_l):
                a_, b_, e_ = frm[l_], to[l_], eta[l_]
                for tt in range(nb):
                    f = flow[s, l_, t0 + tt]
                    if f >= 0.0:
                        inj[b_, tt] += e_ * f
                        inj[a_, tt] -= f
                    else:
                        inj[a_, tt] += e_ * -f
                        inj[b_, tt] -= -f
            for r in range(n_r):
                for tt in range(nb):
                    a = abs(inj[r, tt])
                    if a > worst_bal:
                        worst_bal = a
            for h in range(n_h):
                for tt in range(nb):
                    t = t0 + tt
                    before = inv[s, h, t - 1] if t > 0 else inv[s, h, n_t - 1]
                    a = abs(inv[s, h, t] - before - dt[t] * (send[s, h, t] - burn[h, tt]))
                    if a > worst_res:
                        worst_res = a
        bal[q] = worst_bal
        res[q] = worst_res
    return bal, res
