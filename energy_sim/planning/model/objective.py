"""Objective: annual system cost (MODEL.md, Objective), minimised.

::

    sum_g ann(capex_g)*(cap - cap0) + fom_g*cap
    + sum_s (ann(capex_p) + dur*ann(capex_e))*(pcap - pcap0) + fom_s*pcap
    + sum_l ann(capex_l)*(fcap - fcap0) + sum_n ann(capex_tank)*(tank - tank0)
    + sum_t w*dt*(sum_g mc_g*p + voll*sum_r shed) + reserve_penalty*short

Every term was registered by its family under a cost component (``LPData.cost``), so the
Results can report the same sum by component.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from energy_sim.planning.model import LPData


def add_objective(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``m.total_cost`` from the cost registry."""
    terms = [t for comp in d.cost.values() for t in comp]
    var = np.concatenate([t.var for t in terms])
    coef = np.concatenate([t.coef for t in terms])
    keep = coef != 0
    const = float(sum(d.cost_constant.values()))
    expr = LinearExpression(
        constant=const, linear_coefs=coef[keep].tolist(), linear_vars=var[keep].tolist()
    )
    m.total_cost = pyo.Objective(expr=expr, sense=pyo.minimize)
