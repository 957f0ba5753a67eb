"""Coal stockpiles (MODEL.md constraint 8): one yard per region with coal plant and a stock
model (the scenario's ``reserves.coal``; :func:`energy_sim.inputs.reserves.coal_stores`).

::

    cst[c,t] = cst[c,prev(t)] + dt[t]*(deliv[c,t] - sum_{g coal in r(c)} p[g,t]/eff_g)
    deliv[c,t] <= delivery[r]*coal_avail[r,t]*sum_g cap[g]/eff_g      (port and rail limit)
    cst[c,t]   <= yard_days[r]*24*sum_g cap[g]/eff_g                   (yard)
    cst[c,t]   >= phi[c,t]*stock_days[r]*24*sum_g cap[g]/eff_g         (strategic stock)

``phi`` is the LNG reserve's rule on ``coal_availability`` (:mod:`energy_sim.inputs.reserves`): the
stock may be burned in a delivery shortfall and its floor comes back over ``refill_days``.
Delivery limit, yard and floor are in days of full-load burn, so they scale with the capacity
the LP builds (rows on ``cap_block``). Cyclic within each period. ``cst`` in GWh_th inside the
LP (``LNG_SCALE``), like the LNG inventory. No cost: coal is priced at the plant.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.inputs.contract import LNG_SCALE
from energy_sim.inputs.reserves import coal_reserve_availability, coal_stores
from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows, add_var


def add_coal(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``coal_deliv``, ``coal_stock`` and the yard rows (nothing without yards)."""
    store_region, gen_store = coal_stores(d.system)
    C, T = len(store_region), d.T
    if C == 0:
        return
    c_ = np.repeat(np.arange(C), T)
    t = np.tile(np.arange(T), C)
    k = np.arange(C * T)
    eff = d.arr("efficiency")
    av = np.clip(np.nan_to_num(d.arr("coal_availability"), nan=1.0), 0.0, 1.0)[store_region]
    deliv = add_var(m, "coal_deliv", C * T, doc="coal deliveries, MW_th")
    cst = add_var(m, "coal_stock", C * T, doc="coal stock, GWh_th (end of step)")
    d.vars.update(coal_deliv=deliv, coal_stock=cst)
    d.index["coal"] = (c_, t)
    cap_at = d.vars["cap_at"]

    def cap_terms(rows: np.ndarray, coef: np.ndarray) -> Terms:
        """``coef[row] * sum_{g of the row's yard} cap_block[g, b(t)]/eff_g`` for ``rows``."""
        r_, v_, c__ = [], [], []
        for c in np.unique(c_[rows]):
            kk = rows[c_[rows] == c]
            gs = np.flatnonzero(gen_store == c)
            r_.append(np.repeat(kk, len(gs)))
            v_.append(cap_at[gs][:, d.block_of_t[t[kk]]].T.ravel())
            c__.append((coef[kk][:, None] / eff[gs][None, :]).ravel())
        return Terms(np.concatenate(r_), np.concatenate(v_), np.concatenate(c__))

    g_p, t_p = d.index["p"]
    fed = gen_store[g_p] >= 0
    p = d.vars["p"]
    burn = Terms.of(
        gen_store[g_p[fed]] * T + t_p[fed], p[fed], d.dt[t_p[fed]] / LNG_SCALE / eff[g_p[fed]]
    )
    kprev = (k - t) + d.prev[t]
    con, ids = add_rows(
        m,
        "coal_inventory",
        [
            Terms.of(k, cst, 1.0),
            Terms.of(k, cst[kprev], -1.0),
            Terms.of(k, deliv, -d.dt[t] / LNG_SCALE),
            burn,
        ],
        C * T,
        lb=0.0,
        ub=0.0,
        doc="cst[t] - cst[prev] - dt*deliv + dt*sum p/eff = 0 (GWh_th)",
    )
    d.constraints["coal_inventory"] = (con, ids)

    delivery = np.asarray(d.arr("coal_delivery"))[store_region]
    con, ids = add_rows(
        m,
        "coal_delivery_limit",
        [Terms.of(k, deliv, 1.0), cap_terms(k, -(delivery[c_] * av.ravel()))],
        C * T,
        ub=0.0,
        doc="deliv - delivery*coal_avail*sum cap/eff <= 0 (MW_th)",
    )
    d.constraints["coal_delivery_limit"] = (con, ids)

    yard = np.asarray(d.arr("coal_yard_days"))[store_region]
    con, ids = add_rows(
        m,
        "coal_yard",
        [Terms.of(k, cst, 1.0), cap_terms(k, -(yard[c_] * 24.0 / LNG_SCALE))],
        C * T,
        ub=0.0,
        doc="cst - yard_days*24*sum cap/eff <= 0 (GWh_th)",
    )
    d.constraints["coal_yard"] = (con, ids)

    days = np.nan_to_num(np.asarray(d.arr("coal_stock_days"))[store_region], nan=0.0)
    phi = coal_reserve_availability(d.system, store_region).ravel()
    need = np.flatnonzero((days[c_] > 0) & (phi > 0))
    if len(need):
        coef = np.zeros(C * T)
        coef[need] = -phi[need] * days[c_[need]] * 24.0 / LNG_SCALE
        con, ids = add_rows(
            m,
            "coal_strategic_stock",
            [Terms.of(need, cst[need], 1.0), cap_terms(need, coef)],
            C * T,
            lb=0.0,
            doc="cst - phi*stock_days*24*sum cap/eff >= 0 (GWh_th)",
        )
        d.constraints["coal_strategic_stock"] = (con, ids)
