"""Strategic fuel reserves: when the reserve may be burned and how fast its floor comes back.

MODEL.md constraint 6 keeps an LNG hub's inventory above ``phi[n,t]*R[n]``, where ``R[n]`` is
the strategic reserve (``reserve_days`` of full burn) and ``phi[n,t]`` in ``[0, 1]`` is the
reserve's *availability*: the share of the reserve that must stay in the tank. The LP
(:mod:`energy_sim.planning.model.lng`), the dispatch core (:mod:`energy_sim.operation.lng`) and
the physical checks (:func:`energy_sim.invariants.check_invariants`) all take ``phi`` from
:func:`reserve_availability`, so the three agree by construction.

The rule, for the hub's supply availability ``a[t]`` (``lng_availability``, 1 outside a
disruption) and the refill time ``refill_days`` (days for the floor to come back from 0 to 1)::

    phi[t] = min(a[t], phi[prev(t)] + dt[t]/(24*refill_days))

- a full cut-off (``a = 0``) releases the whole reserve: ``phi = 0`` in the window;
- a partial disruption (``0 < a < 1``) releases the reserve in proportion to the supply lost:
  ``phi = a`` (half the send-out lost, half the reserve may be burned) - the floor that stays
  is the share of the reserve the remaining supply can still carry;
- after the disruption the floor comes back at the refill rate, ``phi = min(1, a_end +
  h/(24*refill_days))`` h hours after the end (``a_end = 0`` after a full cut-off: MODEL.md's
  ``min(1, h/(24*refill_days))``); ``refill_days = 0`` puts it back at once.

The recursion is cyclic within each period like the inventories (:func:`prev_step`); its
closed form ``phi[t] = min_{k <= t} (a[k] + (C[t] - C[k])/(24*refill_days))`` with ``C`` the
cumulative hours is evaluated over two laps of each period, which covers the wrap-around.
"""

from __future__ import annotations

import numpy as np


def reserve_availability(
    avail: np.ndarray,
    dt: np.ndarray,
    refill_days: np.ndarray,
    period: np.ndarray | None = None,
) -> np.ndarray:
    """The reserve's availability ``phi`` (same shape as ``avail``).

    Parameters
    ----------
    avail
        Supply availability ``(..., H, T)`` in [0, 1] (clipped), 1 outside disruptions.
    dt
        Step durations ``(T,)``, hours.
    refill_days
        ``(H,)``: days for the floor to come back from 0 to 1 after a disruption; 0 or less:
        at once.
    period
        ``(T,)`` period label of each step (cyclic within a period); None: one period.
    """
    a = np.clip(np.nan_to_num(np.asarray(avail, float), nan=1.0), 0.0, 1.0)
    if a.ndim < 2:
        raise ValueError("avail must be (..., H, T)")
    n_t = a.shape[-1]
    if n_t == 0 or (a >= 1.0).all():
        return np.ones_like(a)
    dt = np.broadcast_to(np.asarray(dt, float), (n_t,))
    days = np.nan_to_num(np.asarray(refill_days, float), nan=0.0)
    days = np.broadcast_to(days, (a.shape[-2],))
    instant = days <= 0
    rate = np.where(instant, 0.0, 1.0 / (24.0 * np.where(instant, 1.0, days)))[:, None]  # 1/h
    labels = np.zeros(n_t, np.int64) if period is None else np.asarray(period)
    phi = np.empty_like(a)
    for p in np.unique(labels):
        idx = np.flatnonzero(labels == p)
        a2 = np.concatenate([a[..., idx], a[..., idx]], axis=-1)
        c = np.cumsum(np.concatenate([dt[idx], dt[idx]]))
        best = np.minimum.accumulate(a2 - rate * c, axis=-1)
        phi[..., idx] = np.minimum(a2, rate * c + best)[..., len(idx) :]
    phi = np.where(instant[:, None], a, phi)
    return np.clip(phi, 0.0, 1.0)


def default_refill_days(reserve_days: np.ndarray, refill_days: np.ndarray | None) -> np.ndarray:
    """``refill_days`` with NaN (not given) replaced by the hub's ``reserve_days``: by default a
    reserve of D days of full burn is rebuilt over D days (an assumption, docs/model.md)."""
    reserve = np.nan_to_num(np.asarray(reserve_days, float), nan=0.0)
    if refill_days is None:
        return reserve.copy()
    given = np.asarray(refill_days, float)
    return np.where(np.isnan(given), reserve, given)


def hub_refill_days(system) -> np.ndarray:
    """Each hub's ``refill_days`` from a System (``reserve_days`` where not given)."""
    days = system["reserve_days"].values
    given = system["refill_days"].values if "refill_days" in system else None
    return default_refill_days(days, given)


def hub_reserve_availability(system) -> np.ndarray:
    """``phi`` (H, T) of a System's hubs from its ``lng_availability``, ``dt_h`` and periods."""
    av = np.asarray(system["lng_availability"].values, float)
    period = system["block"].values if "block" in system else None
    return reserve_availability(av, system["dt_h"].values, hub_refill_days(system), period)


# ------------------------------------------------------------------------ coal stockpiles


def coal_stores(system) -> tuple[np.ndarray, np.ndarray]:
    """Coal yards of a System (MODEL.md constraint 8): ``(store_region (C,), gen_store (G,))``.

    One yard per region with a finite ``coal_delivery`` (the scenario's ``reserves.coal``) and at
    least one coal-fired group (``gen_fuel`` starting with ``coal``); ``gen_store[g]`` is the yard
    a group burns from, -1 for the others. Systems without the variables have no yards.
    """
    n_g = system.sizes.get("gen", 0)
    none = (np.zeros(0, np.int64), np.full(n_g, -1, np.int64))
    if "coal_delivery" not in system or "gen_fuel" not in system.coords:
        return none
    deliv = np.asarray(system["coal_delivery"].values, float)
    regions = [str(r) for r in system["region"].values]
    g_reg = np.array([regions.index(str(r)) for r in system["gen_region"].values], np.int64)
    is_coal = np.char.startswith(system["gen_fuel"].values.astype(str), "coal")
    on = is_coal & np.isfinite(deliv[g_reg]) if n_g else np.zeros(0, bool)
    store_region = np.unique(g_reg[on])
    gen_store = np.full(n_g, -1, np.int64)
    gen_store[on] = np.searchsorted(store_region, g_reg[on])
    return store_region.astype(np.int64), gen_store


def coal_reserve_availability(system, store_region: np.ndarray) -> np.ndarray:
    """``phi`` (C, T) of the coal yards: the LNG rule on ``coal_availability``."""
    av = np.asarray(system["coal_availability"].values, float)[store_region]
    refill = np.asarray(system["coal_refill_days"].values, float)[store_region]
    period = system["block"].values if "block" in system else None
    return reserve_availability(av, system["dt_h"].values, refill, period)
