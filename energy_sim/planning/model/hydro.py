"""Reservoir hydro monthly energy (MODEL.md constraint 3).

For every reservoir group g and month m that has steps::

    sum_{t in m} w[t]*dt[t]*p[g,t] <= cf_month[g,m] * H_m * cap[g]

(stated divided by ``H_m`` so that its coefficients are O(1): a monthly capacity factor)

with ``H_m = sum_{t in m} w[t]*dt[t]`` the hours the steps of month m stand for (the calendar
hours of the month for a chronological year; for representative days, the hours the days
assigned to m represent, so that the budget scales with what the model sees).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows


def add_hydro(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add the monthly energy rows of reservoir hydro."""
    is_res = np.asarray(d.system["is_reservoir_hydro"].values, dtype=bool)
    cf = d.arr("hydro_cf_month")  # (gen, month 1..12)
    if not is_res.any():
        return
    month = np.asarray(d.system["month_of"].values, dtype=np.int64)
    hours_m = np.bincount(month, weights=d.wdt, minlength=13)  # index 1..12
    g, t = d.index["p"]
    p = d.vars["p"]
    k = np.flatnonzero(is_res[g] & np.isfinite(cf[g, month[t] - 1]))
    rows = g[k] * 13 + month[t[k]]
    used = np.unique(rows)
    ug, um = used // 13, used % 13
    terms = [
        Terms.of(rows, p[k], d.wdt[t[k]] / hours_m[month[t[k]]]),
        Terms.of(used, d.vars["cap"][ug], -cf[ug, um - 1]),
    ]
    con, ids = add_rows(
        m,
        "hydro_energy",
        terms,
        len(is_res) * 13,
        ub=0.0,
        doc="sum_{t in m} w*dt*p[g,t]/H_m - cf_month[g,m]*cap[g] <= 0",
    )
    d.constraints["hydro_energy"] = (con, ids)
