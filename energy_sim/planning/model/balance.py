"""Regional balance (MODEL.md constraint 1), with unserved energy.

For every region r and step t::

    sum_{g in r} p + sum_{s in r} (dis - ch) + sum_{l: b(l)=r} (eta_l*fwd - rev)
      + sum_{l: a(l)=r} (eta_l*rev - fwd) + shed[r,t] = demand[r,t]

All injections come from the registry ``LPData.injection`` (row ``r*T + t``). ``shed`` is
bounded by demand and costs ``w*dt*voll``. The dual of row (r, t) divided by ``w*dt`` is the
regional marginal price.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows, add_var


def add_balance(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``shed[r,t]`` and the balance rows."""
    R, T = d.R, d.T
    demand = np.nan_to_num(d.arr("demand_mw"), nan=0.0).ravel()
    shed = add_var(m, "shed", R * T, ub=np.maximum(demand, 0.0), doc="unserved energy, MW")
    d.vars["shed"] = shed
    rows = np.arange(R * T)
    voll = float(d.system.attrs.get("voll_usd_per_mwh", 10_000.0))
    d.add_cost("unserved_energy", Terms.of(0, shed, voll * np.tile(d.wdt, R)))
    con, ids = add_rows(
        m,
        "balance",
        [*d.injection, Terms.of(rows, shed, 1.0)],
        R * T,
        lb=demand,
        ub=demand,
        doc="sum of injections + shed = demand",
    )
    d.constraints["balance"] = (con, ids)
