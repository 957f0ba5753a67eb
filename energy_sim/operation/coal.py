"""Coal yards in the dispatch core (MODEL.md constraint 8): the LNG tank machinery of
:mod:`.lng` on the regional coal stocks.

A yard is a fuel store like an LNG hub: deliveries play the send-out (``delivery*coal_avail``
times the full-load burn ``sum cap/eff`` of the region's coal groups), the yard the tank
(``yard_days*24*sum cap/eff``), the strategic stock the reserve (``stock_days``, with the same
``phi``: released in a delivery shortfall, back over ``refill_days``), and there is no annual
contract. :func:`stocks` runs :func:`.lng.cyclic_inventory` on the wished coal burn: the burn
each step allows, the deliveries and the stock (S, C, T). Where the allowed burn is below the
wish, the core dispatches the cells again with the coal groups capped at their allowed share
(``core._operate``, before the LNG step, which then keeps the caps).
"""

from __future__ import annotations

import numpy as np

from energy_sim.operation import lng


def to_store(st) -> np.ndarray:
    """``(G, C)``: ``1/eff`` where group g burns from yard c."""
    out = np.zeros((len(st.gen_store), len(st.coal_region)))
    fed = st.gen_store >= 0
    out[np.flatnonzero(fed), st.gen_store[fed]] = 1.0 / st.eff[fed]
    return out


def burn_of(st, gen: np.ndarray, n_s: int, n_t: int) -> np.ndarray:
    """Coal burn (S, C, T), MW_th, of cell-major generation ``gen`` (S*T, G)."""
    n_c = len(st.coal_region)
    return (gen @ to_store(st)).reshape(n_s, n_t, n_c).transpose(0, 2, 1)


def stocks(st, burn: np.ndarray):
    """Allowed burn, deliveries and stock (S, C, T) of the yards for a wished ``burn``."""
    full = (to_store(st) * st.cap[:, None]).sum(axis=0)  # (C,) full-load burn, MW_th
    av = np.broadcast_to(st.coal_av[None], burn.shape)
    smax = (st.coal_delivery * full)[None, :, None] * av
    floor = lng.floors(
        st.coal_stock_days * 24.0 * full, smax, av, st.dt, st.coal_refill_days, st.period
    )
    yard = st.coal_yard_days * 24.0 * full
    contract = np.full(len(full), np.inf)
    return lng.cyclic_inventory(burn, smax, floor, yard, contract, st.dt, st.wdt)
