"""Generation capacity and investment: ``cap[g]`` in ``[cap0, capmax]``.

Objective terms (MODEL.md, Objective)::

    ann(capex_g)*(cap[g] - cap0[g]) + fom_g*cap[g]

Firm capacity registered into the reserve margin: ``credit_g*cap[g]`` (system and region of g).
``cap`` is fixed at ``cap0`` where ``capmax <= cap0`` (nothing can be built), and at the given
value when the model is built with ``fixed_capacities``. A free ``cap[g]`` gets one copy per
block of steps (``cap_block``, chained equal to ``cap``; ``_linear.add_block_copies``) that the
hourly rows of that block use instead of ``cap[g]`` itself.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_block_copies, add_investment_var


def add_capacity(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``cap[g]`` with its cost and firm-capacity terms."""
    cap0 = d.arr("cap0_mw")
    cap, is_fixed, fixed_val = add_investment_var(
        m, "cap", cap0, d.arr("capmax_mw"), d.fixed_values("capacity_mw", "gen"),
        doc="installed capacity, MW",
    )  # fmt: skip
    d.vars["cap"] = cap
    d.index["cap_fixed"] = (is_fixed, np.where(is_fixed, fixed_val, np.nan))
    d.vars["cap_at"] = add_block_copies(m, "cap", cap, is_fixed, d.n_blocks)

    ann = d.arr("ann_capex_usd_per_mw")
    fom = d.arr("fom_usd_per_mw")
    d.add_cost("generation_capex", Terms.of(0, cap, ann), constant=-float(ann @ cap0))
    d.add_cost("generation_fom", Terms.of(0, cap, fom))

    credit = d.arr("capacity_credit")
    d.firm_system.append(Terms.of(0, cap, credit))
    d.firm_region.append(Terms.of(d.regions_of("gen_region"), cap, credit))
