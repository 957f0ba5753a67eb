"""LNG import hubs (MODEL.md constraint 6): send-out, tank inventory, strategic reserve,
annual contract and tank expansion.

::

    inv[n,t] = inv[n,prev(t)] + dt[t]*(send[n,t] - sum_{g fed by n} p[g,t]/eff_g)
    send[n,t] <= regas[n]*lng_avail[n,t]                    (0 inside a disruption window)
    inv[n,t] <= tank[n];   tank[n] in [tank0, tankmax]
    inv[n,t] >= phi[n,t]*reserve_days[n]*24*sum_{g fed by n} cap[g]/eff_g
    sum_t w[t]*dt[t]*send[n,t] <= contract[n]

``phi`` is the reserve's availability (:func:`energy_sim.inputs.reserves.reserve_availability`): 0 in
a full cut-off (the reserve is there to be burned), ``lng_avail`` in a partial disruption, and
back to 1 at the refill rate ``dt/(24*refill_days)`` after it; rows where ``phi == 0`` are left
out. The hourly rows use the block copies ``tank_block[n, b(t)]`` and ``cap_block[g, b(t)]``
(chained equal to ``tank[n]`` and ``cap[g]``, see ``_linear.add_block_copies``). Cyclic within
each period. Cost ``ann(capex_tank)*(tank - tank0)``. With ``allow_new_tanks``
false, ``tank`` is fixed at ``tank0``.

Scaling: inside the LP ``inv`` and ``tank`` are in GWh_th (``LNG_SCALE`` MWh_th per unit) and the
inventory, reserve and contract rows are stated in GWh_th, so that tank sizes of ~1e7 MWh_th do
not become 1e7 bounds next to a 1e-7 feasibility tolerance. Results are in MWh_th.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from energy_sim.inputs.contract import LNG_SCALE
from energy_sim.inputs.reserves import hub_reserve_availability
from energy_sim.inputs.system_helpers import hub_of_gen
from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import (
    Terms,
    add_block_copies,
    add_investment_var,
    add_rows,
    add_var,
)


def add_lng(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``tank``, ``send``, ``inv`` and the hub rows: inventory balance, tank limit,
    strategic reserve and annual contract, in that order."""
    H, T = d.system.sizes["hub"], d.T
    if H == 0:
        return
    tank_at, is_fixed, fixed_val = _tanks(m, d)
    n_ = np.repeat(np.arange(H), T)
    t = np.tile(np.arange(T), H)
    regas = np.nan_to_num(d.arr("regas_mw_th"), nan=np.inf, posinf=np.inf)
    lng_av = np.clip(np.nan_to_num(d.arr("lng_availability"), nan=1.0), 0.0, 1.0)
    send = add_var(m, "send", H * T, ub=(regas[:, None] * lng_av).ravel(), doc="send-out, MW_th")
    inv_ub = np.where(is_fixed[n_], fixed_val[n_], np.inf)
    inv = add_var(m, "inv", H * T, ub=inv_ub, doc="LNG inventory, GWh_th (end of step)")
    d.vars.update(send=send, inv=inv)
    d.index["hub"] = (n_, t)
    _inventory_balance(m, d, inv, send, n_, t)
    _tank_limit(m, d, inv, tank_at, is_fixed, n_, t)
    _strategic_reserve(m, d, inv, n_, t)
    _contract(m, d, send, n_, t)


def _tanks(m: pyo.ConcreteModel, d: LPData) -> tuple[Any, np.ndarray, np.ndarray]:
    """The tank investment ``tank`` (GWh_th; fixed by a plan, or frozen without new tanks), its
    copies per block and its annualised cost; returns the copies and which tanks are fixed, at
    what size."""
    tank0 = d.arr("tank0_mwh_th") / LNG_SCALE
    tankmax = d.arr("tankmax_mwh_th") / LNG_SCALE
    if not bool(d.system.attrs.get("allow_new_tanks", True)):
        tankmax = tank0.copy()
    fixed = d.fixed_values("tank_mwh_th", "hub")
    tank, is_fixed, fixed_val = add_investment_var(
        m, "tank", tank0, tankmax, None if fixed is None else fixed / LNG_SCALE,
        doc="LNG tank, GWh_th",
    )  # fmt: skip
    d.vars["tank"] = tank
    tank_at = add_block_copies(m, "tank", tank, is_fixed, d.n_blocks)
    d.vars["tank_at"] = tank_at
    ann = d.arr("tank_ann_capex_usd_per_mwh_th") * LNG_SCALE
    d.add_cost("tank_capex", Terms.of(0, tank, ann), constant=-float(ann @ tank0))
    return tank_at, is_fixed, fixed_val


def _inventory_balance(
    m: pyo.ConcreteModel, d: LPData, inv: Any, send: Any, n_: np.ndarray, t: np.ndarray
) -> None:
    """``inv[t] - inv[prev] - dt*send + dt*sum p/eff = 0`` for every hub and step (cyclic)."""
    H, T = d.system.sizes["hub"], d.T
    k = np.arange(H * T)
    kprev = (k - t) + d.prev[t]
    burn = [Terms.of(x.row, x.var, x.coef * d.dt[x.row % T] / LNG_SCALE) for x in d.lng_burn]
    con, ids = add_rows(
        m,
        "lng_inventory",
        [
            Terms.of(k, inv, 1.0),
            Terms.of(k, inv[kprev], -1.0),
            Terms.of(k, send, -d.dt[t] / LNG_SCALE),
            *burn,
        ],
        H * T,
        lb=0.0,
        ub=0.0,
        doc="inv[t] - inv[prev] - dt*send + dt*sum p/eff = 0 (GWh_th)",
    )
    d.constraints["lng_inventory"] = (con, ids)


def _tank_limit(
    m: pyo.ConcreteModel,
    d: LPData,
    inv: Any,
    tank_at: Any,
    is_fixed: np.ndarray,
    n_: np.ndarray,
    t: np.ndarray,
) -> None:
    """``inv[n,t] <= tank[n]`` (the block's copy) where the tank is not fixed (a fixed tank
    bounds ``inv`` directly)."""
    free = np.flatnonzero(~is_fixed[n_])
    if len(free):
        r = np.arange(len(free))
        con, ids = add_rows(
            m,
            "lng_tank_limit",
            [
                Terms.of(r, inv[free], 1.0),
                Terms.of(r, tank_at[n_[free], d.block_of_t[t[free]]], -1.0),
            ],
            len(free),
            ub=0.0,
            doc="inv[n,t] - tank[n] <= 0",
        )
        d.constraints["lng_tank_limit"] = (con, free[ids])


def _strategic_reserve(
    m: pyo.ConcreteModel, d: LPData, inv: Any, n_: np.ndarray, t: np.ndarray
) -> None:
    """``inv[n,t] >= phi[n,t]*reserve_days*24*sum_{g fed by n} cap[g]/eff_g`` (GWh_th), for the
    hubs that feed a group, where the reserve is held (``phi > 0``)."""
    H, T = d.system.sizes["hub"], d.T
    hub_of = hub_of_gen(d.system)
    g_fed = np.flatnonzero(hub_of >= 0)
    days = np.nan_to_num(d.arr("reserve_days"), nan=0.0)
    phi = hub_reserve_availability(d.system).ravel()
    need = np.flatnonzero((days[n_] > 0) & (phi > 0.0))
    need = need[np.isin(n_[need], hub_of[g_fed])]
    if len(need):
        eff = d.arr("efficiency")
        # row j = k; cap terms for every fed group of the hub of row k
        rows_c, vars_c, coef_c = [], [], []
        for hn in np.unique(n_[need]):
            kk = need[n_[need] == hn]
            gs = g_fed[hub_of[g_fed] == hn]
            rows_c.append(np.repeat(kk, len(gs)))
            vars_c.append(d.vars["cap_at"][gs][:, d.block_of_t[t[kk]]].T.ravel())
            coef_c.append(
                (-phi[kk][:, None] * days[hn] * 24.0 / LNG_SCALE / eff[gs][None, :]).ravel()
            )
        con, ids = add_rows(
            m,
            "lng_strategic_reserve",
            [
                Terms.of(need, inv[need], 1.0),
                Terms(np.concatenate(rows_c), np.concatenate(vars_c), np.concatenate(coef_c)),
            ],
            H * T,
            lb=0.0,
            doc="inv[n,t] - phi[n,t]*reserve_days*24*sum cap/eff >= 0",
        )
        d.constraints["lng_strategic_reserve"] = (con, ids)


def _contract(m: pyo.ConcreteModel, d: LPData, send: Any, n_: np.ndarray, t: np.ndarray) -> None:
    """``sum_t w*dt*send[n,t] <= contract[n]`` for hubs with a finite annual contract."""
    H = d.system.sizes["hub"]
    contract = np.nan_to_num(d.arr("contract_mwh_th"), nan=np.inf, posinf=np.inf)
    lim = np.flatnonzero(np.isfinite(contract))
    if len(lim):
        sel = np.isin(n_, lim)
        con, ids = add_rows(
            m,
            "lng_contract",
            [Terms.of(n_[sel], send[sel], d.wdt[t[sel]] / LNG_SCALE)],
            H,
            ub=contract / LNG_SCALE,
            doc="sum_t w*dt*send[n,t] <= contract[n]",
        )
        d.constraints["lng_contract"] = (con, ids)
