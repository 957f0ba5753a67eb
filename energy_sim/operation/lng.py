"""LNG hubs: send-out, tank inventory, strategic reserve, contract (MODEL.md constraint 6).

A loop over steps, vectorised over samples and hubs, keeps the tanks as full as the send-out
allows and lets the plants burn only what the hub can deliver:

    floor_t   = phi_t*reserve_n,
                then floor_t = max(floor_t, floor_{t+1} - dt_{t+1}*smax_{t+1})   (backwards)
    burn_t   <= max(0, (inv_{t-1} - floor_t)/dt_t + smax_t)
    send_t    = min(smax_t, (tank - inv_{t-1})/dt_t + burn_t, contract left / (w*dt))
    inv_t     = inv_{t-1} + dt_t*(send_t - burn_t)

with ``smax_t = regas*lng_avail_t`` and ``reserve_n = reserve_days*24*sum cap/eff`` of the
groups the hub feeds; ``phi`` is the reserve's availability (0 in a full cut-off, ``lng_avail``
in a partial one, back to 1 at the refill rate after it: :mod:`energy_sim.inputs.reserves`, the LP's
rule). The backward pass lowers the floor inside a window only as far as the
send-out can restore it by the time the window ends, so the floor holds again after it (as
in the LP). The year is cyclic: the run is repeated from the inventory the first one ended with.
Before it, :func:`contract_allocation` fits a wished burn that passes the annual contract by
giving up burn where other plants have the most room to take over; where the tank still cannot
carry the burn, :func:`tank_allocation` gives up burn the same way, at the level that lets the
cyclic inventory carry what is left.
"""

from __future__ import annotations

import numpy as np

from energy_sim.inputs.reserves import reserve_availability

#: Tanks larger than this are treated as unbounded (MWh_th).
BIG = 1e15


def floors(
    reserve: np.ndarray,
    smax: np.ndarray,
    lng_av: np.ndarray,
    dt: np.ndarray,
    refill_days: np.ndarray | None = None,
    period: np.ndarray | None = None,
):
    """Inventory floor (S, H, T) from the reserve (H,), send-out limit and availability.

    The required inventory is ``phi*reserve`` with the reserve's availability ``phi``
    (:func:`energy_sim.inputs.reserves.reserve_availability`, the LP's rule); ``refill_days`` None:
    the floor comes back at once after a disruption (``refill_days = 0``).
    """
    days = np.zeros(len(reserve)) if refill_days is None else refill_days
    phi = reserve_availability(lng_av, dt, days, period)
    req = phi * reserve[None, :, None]
    step = np.nan_to_num(dt[None, None, :] * np.minimum(smax, BIG), nan=0.0)
    # floor_t = max_k>=t (req_k - sum_{j=t+1..k} step_j) = C_t + max_k>=t (req_k - C_k)
    csum = np.cumsum(step, axis=2)
    best = np.maximum.accumulate((req - csum)[..., ::-1], axis=2)[..., ::-1]
    return np.maximum(req, csum + best)


def run_inventory_reference(
    burn: np.ndarray,
    smax: np.ndarray,
    floor: np.ndarray,
    tank: np.ndarray,
    contract: np.ndarray,
    dt: np.ndarray,
    wdt: np.ndarray,
    init: np.ndarray | None = None,
):
    """Allowed burn, send-out and inventory (S, H, T) for a wished burn (S, H, T), MW_th."""
    n_s, n_h, n_t = burn.shape
    tank = np.minimum(tank, BIG)
    inv = np.empty_like(burn)
    send = np.empty_like(burn)
    ok = np.empty_like(burn)
    prev = np.broadcast_to(tank, (n_s, n_h)).astype(float) if init is None else init.copy()
    left = np.broadcast_to(np.where(np.isfinite(contract), contract, np.inf), (n_s, n_h)).copy()
    for t in range(n_t):
        cap_t = np.minimum(smax[:, :, t], left / wdt[t]) if wdt[t] > 0 else smax[:, :, t]
        b = np.minimum(burn[:, :, t], np.maximum(0.0, (prev - floor[:, :, t]) / dt[t] + cap_t))
        s = np.clip(np.minimum(cap_t, (tank - prev) / dt[t] + b), 0.0, None)
        prev = np.clip(prev + dt[t] * (s - b), 0.0, tank)
        left = left - wdt[t] * s
        ok[:, :, t], send[:, :, t], inv[:, :, t] = b, s, prev
    return ok, send, inv


def run_inventory(
    burn: np.ndarray,
    smax: np.ndarray,
    floor: np.ndarray,
    tank: np.ndarray,
    contract: np.ndarray,
    dt: np.ndarray,
    wdt: np.ndarray,
    init: np.ndarray | None = None,
):
    """Allowed burn, send-out and inventory (S, H, T): :func:`run_inventory_reference`'s
    recursion step by step in the compiled kernel :func:`kernels.lng_inventory`."""
    from energy_sim.operation import kernels

    n_s, n_h, _ = burn.shape
    tank_b = np.minimum(np.asarray(tank, float), BIG)
    prev = np.broadcast_to(tank_b, (n_s, n_h)).astype(float) if init is None else init
    left = np.where(np.isfinite(contract), contract, np.inf).astype(float)
    return kernels.lng_inventory(
        np.ascontiguousarray(burn, dtype=float),
        np.ascontiguousarray(np.broadcast_to(smax, burn.shape), dtype=float),
        np.ascontiguousarray(np.broadcast_to(floor, burn.shape), dtype=float),
        tank_b,
        left,
        np.ascontiguousarray(dt, dtype=float),
        np.ascontiguousarray(wdt, dtype=float),
        np.ascontiguousarray(prev, dtype=float),
    )


#: Bisection steps for the start inventory of a tank whose year does not close by itself.
N_BISECT_CYCLE = 60


def cyclic_inventory(burn, smax, floor, tank, contract, dt, wdt):
    """Run the inventory twice, the second time from where the first ended (cyclic year; a
    tank whose first year, started full, ends full needs no second run); if a tank's year
    still ends elsewhere than it started, start it from the inventory the year brings back to
    itself (bisection), so the recursion closes at the first step too."""
    n_s, n_h, n_t = burn.shape
    if n_h == 0 or n_t == 0:
        z = np.zeros_like(burn)
        return burn.copy(), z, z
    # fast path: the send-out covers every step's burn and the contract the year's: tanks stay full
    fits = (burn <= smax + 1e-9).all(axis=2) & (
        (burn * wdt).sum(axis=2) <= np.where(np.isfinite(contract), contract, np.inf)
    )
    fits &= np.broadcast_to(np.minimum(tank, BIG), (n_s, n_h)) >= floor.max(axis=2) - 1e-9
    if fits.all():
        inv = np.broadcast_to(np.minimum(tank, BIG)[None, :, None], burn.shape).copy()
        return burn.copy(), burn.copy(), inv
    ok, send, inv = run_inventory(burn, smax, floor, tank, contract, dt, wdt)
    start = inv[:, :, -1].copy()
    cap = np.broadcast_to(np.minimum(tank, BIG), (n_s, n_h))
    again = start != cap  # a year that ends full (as it started) repeats itself exactly
    if not again.any():
        return ok, send, inv
    if again.all():
        ok, send, inv = run_inventory(burn, smax, floor, tank, contract, dt, wdt, init=start)
    else:  # the tanks do not interact: run the year again on the others only
        s_i, h_i = np.nonzero(again)
        ok2, send2, inv2 = run_inventory(
            *(np.ascontiguousarray(np.broadcast_to(a, burn.shape)[s_i, h_i][None])
              for a in (burn, smax, floor)),
            np.broadcast_to(np.asarray(tank, float), (n_h,))[h_i],
            np.broadcast_to(np.asarray(contract, float), (n_h,))[h_i],
            dt, wdt, init=start[s_i, h_i][None],
        )  # fmt: skip
        ok[s_i, h_i], send[s_i, h_i], inv[s_i, h_i] = ok2[0], send2[0], inv2[0]
    tol = 1e-9 * np.maximum(1.0, cap)
    open_ = np.abs(inv[:, :, -1] - start) > tol
    if not open_.any():
        return ok, send, inv
    # the cycle does not close after two years (the tank runs down year on year): the start
    # inventory that the year brings back is the root of G(s) = end(s) - s, with G(0) >= 0
    # (the tank cannot end below empty) and G(tank) <= 0; bisection on the open hubs
    lo = np.where(open_, 0.0, start)
    hi = np.where(open_, cap, start)
    for _ in range(N_BISECT_CYCLE):
        mid = 0.5 * (lo + hi)
        _, _, trial = run_inventory(burn, smax, floor, tank, contract, dt, wdt, init=mid)
        up = trial[:, :, -1] >= mid  # G(mid) >= 0: the root is above
        lo = np.where(open_ & up, mid, lo)
        hi = np.where(open_ & ~up, mid, hi)
    ok, send, inv = run_inventory(burn, smax, floor, tank, contract, dt, wdt, init=lo)
    return ok, send, inv


def contract_allocation(
    burn: np.ndarray, spare: np.ndarray, contract: np.ndarray, wdt: np.ndarray, n_bisect: int = 50
) -> np.ndarray:
    """Share of the wished burn each step keeps (S, H, T) so that the annual contract holds.

    A greedy year burns the contract early and has none left for the hours that need it. The
    LP spends it where LNG is hardest to replace; here a hub whose wished burn passes its
    contract gives up burn where other plants have the most room to take over (``spare``
    (S, H, T), MW_th equivalent), down to a level ``L`` per sample and hub:

        cut_t = min(burn_t, max(0, spare_t - L)),     sum_t w*dt*(burn_t - cut_t) = contract

    ``L`` by bisection; it goes below zero (cuts beyond the spare room, i.e. shortage) only when
    the spare room of the whole year cannot absorb the excess.
    """
    keep = np.ones_like(burn)
    limit = np.where(np.isfinite(contract), contract, np.inf)
    used = (burn * wdt).sum(axis=2)  # (S, H)
    excess = used - limit[None, :]
    over = excess > 1e-6 * np.maximum(1.0, limit[None, :])
    if not over.any():
        return keep
    s_i, h_i = np.nonzero(over)
    b, sp, ex = burn[s_i, h_i], np.maximum(spare[s_i, h_i], 0.0), excess[s_i, h_i]  # (k, T)
    lo = np.full(len(ex), -b.max(initial=0.0) - 1.0)  # cuts everything
    hi = np.full(len(ex), sp.max(initial=0.0) + 1.0)  # cuts nothing
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        cut = (np.minimum(b, np.maximum(0.0, sp - mid[:, None])) * wdt).sum(axis=1)
        enough = cut >= ex
        lo = np.where(enough, mid, lo)
        hi = np.where(enough, hi, mid)
    cut = np.minimum(b, np.maximum(0.0, sp - lo[:, None]))  # the side that cuts enough
    with np.errstate(divide="ignore", invalid="ignore"):
        keep[s_i, h_i] = np.where(b > 0, 1.0 - cut / b, 1.0)
    return np.clip(keep, 0.0, 1.0)


#: Bisection steps for the level of :func:`tank_allocation`.
N_BISECT_TANK = 40


def _cut(burn: np.ndarray, spare: np.ndarray, level: np.ndarray) -> np.ndarray:
    """``min(burn_t, max(0, spare_t - L))`` with one level ``L`` per sample and hub."""
    return np.minimum(burn, np.maximum(0.0, spare - level[..., None]))


def tank_allocation(
    burn, spare, smax, floor, tank, contract, dt, wdt, burn_low=None, n_bisect=N_BISECT_TANK
):
    """Share of the wished burn each step keeps (S, H, T) so that the tank carries the rest,
    and the steps whose LNG a short tank needs later (S, H, T; those that feed a short step,
    all False for a hub that is not short).

    Run greedily, a tank burns at merit order while it can and is short later: in a 4-week
    May with a heatwave and a 7-day cut-off, the North's send-out-limited hub (regas times
    the hours it can deliver) burned LNG ahead of the open-cycle plants before the cut-off and
    had none for the shortage after it. The LP holds the LNG for the hours where nothing else
    can replace it. Here a hub whose tank falls short of the wished burn gives up burn on the
    steps that feed a short step (:func:`_feeds_a_short_step`), in three phases, each only as
    far as the tank needs (:func:`cyclic_inventory` allows every step's ``burn_t - cut_t``;
    cutting more never makes a step short, so each phase is a bisection):

    1. where other plants have the most room to take over (``spare``, MW_th equivalent, as
       for :func:`contract_allocation`), down to one level ``L >= 0`` per sample and hub:
       ``cut_t = min(burn_t, max(0, spare_t - L))``;
    2. beyond the spare room (that is, shed), the burn of the hub's less efficient plants
       (``burn_low`` (S, H, T), None: none), the same amount ``x`` in every step:
       ``cut_t += min(max(0, low_t - cut_t), x)``; a MWh_th burned in an open cycle gives
       ~0.35 MWh where a combined cycle with room in another step gives ~0.59;
    3. then the rest of the burn the same way, which spreads the shortfall evenly over the
       steps (less energy shed than cutting only the steps where the tank runs dry, in more
       hours).

    Hubs that are not short keep their burn.
    """
    keep = np.ones_like(burn)
    scarce = np.zeros(burn.shape, dtype=bool)
    ok, _, inv = cyclic_inventory(burn, smax, floor, tank, contract, dt, wdt)
    short = short_steps(ok, burn)
    todo = short.any(axis=2)
    if not todo.any():
        return keep, scarce
    helps = _feeds_a_short_step(short, inv, tank)
    # the bisections below run on the short (sample, hub) pairs only, as one sample of K
    # hubs (the tanks do not interact): a hub that is not short keeps its burn
    s_i, h_i = np.nonzero(todo)
    shape = burn.shape

    def pick(a):  # (S, H, T) -> (1, K, T) on the short pairs
        return np.ascontiguousarray(np.broadcast_to(a, shape)[s_i, h_i][None])

    helps_all = helps
    burn, spare, helps = pick(burn), pick(spare), pick(helps)
    smax_k, floor_k = pick(smax), pick(floor)
    burn_low = None if burn_low is None else pick(burn_low)
    tank_k = np.broadcast_to(np.asarray(tank, float), (shape[1],))[h_i]
    contract_k = np.broadcast_to(np.asarray(contract, float), (shape[1],))[h_i]
    todo = np.ones((1, len(s_i)), bool)

    def short_of(b):
        ok, _, _ = cyclic_inventory(b, smax_k, floor_k, tank_k, contract_k, dt, wdt)
        return short_steps(ok, b).any(axis=2)

    sp = np.where(helps, np.maximum(spare, 0.0), 0.0)
    burn_d = np.where(helps, burn, 0.0)
    lo = np.where(todo, 0.0, np.inf)  # level 0: all the spare room
    hi = np.where(todo, sp.max(axis=2) + 1.0, np.inf)  # cuts nothing: short
    for _ in range(n_bisect):
        mid = np.where(todo, 0.5 * (lo + hi), np.inf)
        fails = short_of(burn - _cut(burn_d, sp, mid))
        hi = np.where(todo & fails, mid, hi)
        lo = np.where(todo & ~fails, mid, lo)
    cut = _cut(burn_d, sp, np.where(todo, lo, np.inf))  # the side that fits, or level 0
    tiers = [burn] if burn_low is None else [np.minimum(burn_low, burn), burn]
    for tier in tiers:
        need = todo & short_of(burn - cut)
        if not need.any():
            break
        room = np.where(helps & need[..., None], np.maximum(tier - cut, 0.0), 0.0)
        lo = np.zeros(need.shape)  # short
        hi = room.max(axis=2)  # all of the tier: fits, or as far as this phase goes
        for _ in range(n_bisect):
            mid = 0.5 * (lo + hi)
            fails = short_of(burn - cut - np.minimum(room, mid[..., None]))
            lo = np.where(fails, mid, lo)
            hi = np.where(fails, hi, mid)
        cut = cut + np.minimum(room, hi[..., None])
    with np.errstate(divide="ignore", invalid="ignore"):
        keep[s_i, h_i] = np.where(burn > 0, 1.0 - cut / burn, 1.0)[0]
    return np.clip(keep, 0.0, 1.0), helps_all


def _feeds_a_short_step(short: np.ndarray, inv: np.ndarray, tank) -> np.ndarray:
    """Steps (S, H, T) where burning less leaves more for a short step: a short step comes
    (cyclically) before the tank is full again. Where the tank is full at the end of a step,
    a cut there only lowers the send-out; after the last short step the refill would reach
    full anyway (a cut in a 12-hour cut-off's refill hours only shed load there)."""
    n_t = short.shape[2]
    cap = np.minimum(np.asarray(tank, float), BIG)[None, :, None]
    full = inv >= cap - 1e-6 * np.maximum(1.0, cap)
    idx = np.arange(2 * n_t)
    never = 4 * n_t

    def next_of(mask):  # the first step >= t where mask holds, over two cycles
        at = np.where(np.concatenate([mask, mask], axis=2), idx, never)
        return np.minimum.accumulate(at[..., ::-1], axis=2)[..., ::-1][..., :n_t]

    return next_of(short) < next_of(full & ~short)


def short_steps(ok: np.ndarray, burn: np.ndarray) -> np.ndarray:
    """Steps (S, X, T) where a fuel store (LNG tank, coal yard) allows less than the burn."""
    return ok < burn - 1e-6 * np.maximum(1.0, burn)
