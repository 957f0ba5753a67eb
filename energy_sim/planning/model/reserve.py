"""Planning reserve margin (MODEL.md constraint 7; Resolution 70: at least 15% by 2030).

System form (always)::

    sum_g credit_g*cap[g] + sum_s credit_s*pcap[s] + short >= (1 + margin)*peak,
    peak = max_t sum_r demand[r,t]   (coincident; of the hourly year, ``peak_demand_mw``)

Regional form, for each region with a target (``reserve_margin_region`` not NaN)::

    sum_{g in r} credit*cap + sum_{s in r} credit*pcap + sum_{l touching r} import_credit_l*fcap_l
      + short_r >= (1 + margin_r)*peak_r,      peak_r = max_t demand[r,t]

Demand response counts on the left with ``credit_ilc*ilc_mw + credit_shift*shift`` (MODEL.md
constraint 9; :func:`~energy_sim.inputs.system_helpers.dr_firm`), a constant taken off the
right-hand side. Shortfalls cost ``reserve_penalty`` per MW and keep every scenario solvable.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.inputs.system_helpers import dr_firm, reserve_targets
from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows, add_var


def add_reserve(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``short`` / ``short_region`` and the reserve-margin rows."""
    need_sys, need_reg = reserve_targets(d.system)
    dr_sys, dr_reg = dr_firm(d.system)  # demand response's firm MW (constraint 9), a constant
    need_sys, need_reg = need_sys - dr_sys, need_reg - dr_reg
    penalty = float(d.system.attrs.get("reserve_penalty_usd_per_mw", 1e6))
    margin = d.system.attrs.get("reserve_margin", 0.0)
    if margin is not None and np.isfinite(float(margin)):
        short = add_var(m, "short", 1, doc="system reserve shortfall, MW")
        d.vars["short"] = short
        d.add_cost("reserve_shortfall", Terms.of(0, short, penalty))
        con, ids = add_rows(
            m,
            "reserve_margin",
            [*d.firm_system, Terms.of(0, short, 1.0)],
            1,
            lb=need_sys,
            doc="sum credit*cap + sum credit*pcap + short >= (1+margin)*peak",
        )
        d.constraints["reserve_margin"] = (con, ids)
    regions = np.flatnonzero(np.isfinite(need_reg))
    if len(regions):
        short_r = add_var(m, "short_region", len(regions), doc="regional reserve shortfall, MW")
        d.vars["short_region"] = short_r
        d.index["short_region"] = (regions,)
        d.add_cost("reserve_shortfall", Terms.of(0, short_r, penalty))
        keep = [Terms(t.row[np.isin(t.row, regions)], t.var[np.isin(t.row, regions)],
                      t.coef[np.isin(t.row, regions)]) for t in d.firm_region]  # fmt: skip
        con, ids = add_rows(
            m,
            "reserve_margin_region",
            [*keep, Terms.of(regions, short_r, 1.0)],
            d.R,
            lb=need_reg,
            doc="regional firm capacity + import credit + short_r >= (1+margin_r)*peak_r",
        )
        d.constraints["reserve_margin_region"] = (con, ids)
