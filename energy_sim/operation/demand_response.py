"""Demand response in the dispatch core (MODEL.md constraint 9; issue 14, lever 3).

Two steps around the chunk's operation (:func:`energy_sim.operation.chunk.run_chunk`), the
numba kernels untouched:

- **shifting** before anything else: each region's shiftable load is a daily-neutral virtual
  store of efficiency 1, placed on the region's net load (demand less the free generation
  available, mc <= 0) by a level that water-fills every day: ``down[t] = min(shift_share*
  demand[t], max(0, net[t] - L))``, ``up[t] = min(shift_mw, max(0, L - net[t]))`` with the level
  ``L`` of the day such that ``sum w*dt*(up - down) = 0`` (bisection, then the larger side
  scaled to the smaller: neutral to rounding). The chunk's demand becomes
  ``demand + up - down``; hydro, storage, the network and the adequacy screen all see it (a
  shed-free operation of that demand is a shed-free operation with DR, so the screen stays
  exact). The rule flattens each day as far as the limits allow, whatever the cost per MWh
  moved: the LP moves load only where the price spread pays ``shift_cost``.
- **interruptible load** after the operation: in each region the contracts take the shed,
  ``ilc[t] = min(shed[t], ilc_mw)``, in time order until the annual energy ``ilc_mwh`` is
  spent (the shed left is load lost). Every shed MWh is worth the same ``voll - c_ilc``, so in
  one region the order of use does not change the cost; the contracts do not relieve a
  neighbour's shed over the corridors (the LP can): a conservative reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from energy_sim.inputs.system_helpers import day_of_step, dr_on, dr_params

#: Bisection rounds of each day's shifting level (the interval halves each round).
LEVEL_ROUNDS = 60


@dataclass(frozen=True)
class DR:
    """Demand response of a System in the core's arrays: (R,) parameters and the day of each
    step with the first step of each day (``starts``, days are contiguous)."""

    share: np.ndarray
    up_mw: np.ndarray
    shift_cost: np.ndarray
    ilc_mw: np.ndarray
    ilc_mwh: np.ndarray
    ilc_price: np.ndarray
    day: np.ndarray
    starts: np.ndarray

    @property
    def shifts(self) -> bool:
        return bool(((self.share > 0) & (self.up_mw > 0)).any())

    @property
    def interrupts(self) -> bool:
        return bool(((self.ilc_mw > 0) & (self.ilc_mwh > 0)).any())


def prepare(system: xr.Dataset) -> DR | None:
    """The System's demand response, None when it has none."""
    if not dr_on(system):
        return None
    p = dr_params(system)
    day = day_of_step(system)
    starts = np.r_[0, np.flatnonzero(np.diff(day) != 0) + 1]
    return DR(
        share=p["dr_shift_share"], up_mw=p["dr_shift_mw"], shift_cost=p["dr_shift_cost_usd_per_mwh"],
        ilc_mw=p["dr_ilc_mw"], ilc_mwh=p["dr_ilc_mwh"], ilc_price=p["dr_ilc_price_usd_per_mwh"],
        day=day, starts=starts,
    )  # fmt: skip


def shift(dr: DR, dem: np.ndarray, net: np.ndarray, wdt: np.ndarray):
    """Shifted load ``(up, down)`` (S, R, T) from demand and net load (S, R, T)."""
    up = np.zeros_like(dem)
    down = np.zeros_like(dem)
    on = np.flatnonzero((dr.share > 0) & (dr.up_mw > 0))
    if not len(on):
        return up, down
    d = dem[:, on]
    n = net[:, on]
    cap_d = dr.share[on][None, :, None] * np.maximum(d, 0.0)
    cap_u = np.broadcast_to(dr.up_mw[on][None, :, None], d.shape)
    day = dr.day
    lo = np.minimum.reduceat(n, dr.starts, axis=2)  # (S, r, D): f(lo) >= 0
    hi = np.maximum.reduceat(n, dr.starts, axis=2)  # f(hi) <= 0

    def parts(level):
        lv = level[:, :, day]
        return np.minimum(cap_u, np.maximum(0.0, lv - n)), np.minimum(
            cap_d, np.maximum(0.0, n - lv)
        )

    for _ in range(LEVEL_ROUNDS):
        mid = 0.5 * (lo + hi)
        u, dn = parts(mid)
        f = np.add.reduceat((dn - u) * wdt, dr.starts, axis=2)
        pos = f > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    u, dn = parts(0.5 * (lo + hi))
    su = np.add.reduceat(u * wdt, dr.starts, axis=2)
    sd = np.add.reduceat(dn * wdt, dr.starts, axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ku = np.where(su > sd, sd / su, 1.0)
        kd = np.where(sd > su, su / sd, 1.0)
    up[:, on] = u * np.nan_to_num(ku, nan=0.0)[:, :, day]
    down[:, on] = dn * np.nan_to_num(kd, nan=0.0)[:, :, day]
    return up, down


def interrupt(dr: DR, shed: np.ndarray, wdt: np.ndarray) -> np.ndarray:
    """Interrupted load (S, R, T) taking the shed (S, R, T), in time order within each
    region's annual energy cap."""
    want = np.minimum(shed, dr.ilc_mw[None, :, None])
    cap = np.where(dr.ilc_mw > 0, dr.ilc_mwh, 0.0)[None, :, None]
    cum = np.minimum(np.cumsum(want * wdt, axis=2), cap)
    got = np.diff(cum, axis=2, prepend=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ilc = np.where(wdt > 0, got / wdt, 0.0)
    return np.clip(np.minimum(ilc, want), 0.0, None)


def cost(dr: DR, down: np.ndarray | None, ilc: np.ndarray | None, wdt: np.ndarray) -> np.ndarray:
    """Annual cost of demand response per sample (S,), USD."""
    total = 0.0
    if down is not None:
        total = total + (down @ wdt) @ dr.shift_cost
    if ilc is not None:
        total = total + (ilc @ wdt) @ dr.ilc_price
    return np.asarray(total)
