"""Demand response and time-of-use (MODEL.md constraint 9; issue 14, lever 3), per region.

Shiftable load (regions with ``dr_shift_share > 0`` and ``dr_shift_mw > 0``)::

    0 <= down[r,t] <= shift_share[r]*demand[r,t],     0 <= up[r,t] <= shift_mw[r]
    sum_{t in d} w*dt*(up[r,t] - down[r,t]) = 0       for every day d (:func:`day_of_step`)

Interruptible load (regions with ``dr_ilc_mw > 0`` and ``dr_ilc_mwh > 0``)::

    0 <= ilc[r,t] <= ilc_mw[r],                       sum_t w*dt*ilc[r,t] <= ilc_mwh[r]

In the balance the demand becomes ``demand + up - down - ilc`` (registered as the injection
``down - up + ilc``); the costs ``c_shift*sum w*dt*down + c_ilc*sum w*dt*ilc`` go to the
``operating`` component; the reserve margin counts the DR's firm capacity
(:func:`energy_sim.inputs.system_helpers.dr_firm`, a constant taken off the requirement in
:mod:`.reserve`). A day is a calendar day of a chronological year and one representative day
(one ``period``) otherwise. Nothing is added when DR is off.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.inputs.system_helpers import day_of_step, dr_params
from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows, add_var


def add_demand_response(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``dr_up``, ``dr_down``, ``dr_ilc`` and their rows (nothing when DR is off)."""
    p = dr_params(d.system)
    T = d.T
    demand = np.maximum(np.nan_to_num(d.arr("demand_mw"), nan=0.0), 0.0)  # (R, T)
    shift_r = np.flatnonzero((p["dr_shift_share"] > 0) & (p["dr_shift_mw"] > 0))
    ilc_r = np.flatnonzero((p["dr_ilc_mw"] > 0) & (p["dr_ilc_mwh"] > 0))
    if len(shift_r):
        n = len(shift_r) * T
        r_ = np.repeat(shift_r, T)
        t_ = np.tile(np.arange(T), len(shift_r))
        up = add_var(m, "dr_up", n, ub=p["dr_shift_mw"][r_], doc="shifted load added, MW")
        down = add_var(
            m, "dr_down", n, ub=p["dr_shift_share"][r_] * demand[r_, t_],
            doc="shifted load removed, MW",
        )  # fmt: skip
        d.vars.update(dr_up=up, dr_down=down)
        d.index["dr_shift"] = (r_, t_)
        rows = r_ * T + t_
        d.injection += [Terms.of(rows, down, 1.0), Terms.of(rows, up, -1.0)]
        d.add_cost("operating", Terms.of(0, down, p["dr_shift_cost_usd_per_mwh"][r_] * d.wdt[t_]))
        day = day_of_step(d.system)
        n_day = int(day.max(initial=-1)) + 1
        k = np.repeat(np.arange(len(shift_r)), T) * n_day + day[t_]
        con, ids = add_rows(
            m,
            "dr_daily_neutral",
            [Terms.of(k, up, d.wdt[t_]), Terms.of(k, down, -d.wdt[t_])],
            len(shift_r) * n_day,
            lb=0.0,
            ub=0.0,
            doc="sum_{t in day} w*dt*(up - down) = 0 (MWh)",
        )
        d.constraints["dr_daily_neutral"] = (con, ids)
    if len(ilc_r):
        n = len(ilc_r) * T
        r_ = np.repeat(ilc_r, T)
        t_ = np.tile(np.arange(T), len(ilc_r))
        ilc = add_var(m, "dr_ilc", n, ub=p["dr_ilc_mw"][r_], doc="interrupted load, MW")
        d.vars["dr_ilc"] = ilc
        d.index["dr_ilc"] = (r_, t_)
        d.injection.append(Terms.of(r_ * T + t_, ilc, 1.0))
        d.add_cost("operating", Terms.of(0, ilc, p["dr_ilc_price_usd_per_mwh"][r_] * d.wdt[t_]))
        budget = p["dr_ilc_mwh"][ilc_r]
        capped = np.flatnonzero(np.isfinite(budget))
        if len(capped):
            keep = np.isin(np.repeat(np.arange(len(ilc_r)), T), capped)
            con, ids = add_rows(
                m,
                "dr_ilc_energy",
                [Terms.of(np.repeat(np.arange(len(ilc_r)), T)[keep], ilc[keep], d.wdt[t_][keep])],
                len(ilc_r),
                ub=np.where(np.isfinite(budget), budget, np.inf),
                doc="sum_t w*dt*ilc <= ilc_mwh (MWh/yr)",
            )
            d.constraints["dr_ilc_energy"] = (con, ids)
