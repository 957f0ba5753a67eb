"""Inter-regional corridors (MODEL.md constraint 5): limits, losses and expansion.

::

    fwd[l,t] + rev[l,t] <= fcap[l];   fcap[l] in [fcap0, fcapmax]

One row instead of MODEL.md's ``fwd, rev <= fcap``: it implies them, and flowing both ways at
once only loses energy, which is never worth anything here (generation can be curtailed at no
cost), so the optimum is the same with half the rows.

The hourly limit uses ``fcap_block[l, b(t)]``, the copy of ``fcap[l]`` for the block of steps
``b(t)`` (chained equal to ``fcap[l]``, see ``_linear.add_block_copies``).

Flows are MW sent; the receiving end gets ``eta_l`` of it. Balance registrations: region
``b(l)`` gets ``eta_l*fwd - rev``, region ``a(l)`` gets ``eta_l*rev - fwd``. Regional reserve
margin: both ends credit ``import_credit_l*fcap[l]``. Cost ``ann(capex_l)*(fcap - fcap0)``.
With ``allow_new_corridors`` false, ``fcap`` is fixed at ``fcap0``.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import (
    Terms,
    add_block_copies,
    add_investment_var,
    add_rows,
    add_var,
)


def add_network(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``fcap``, ``fwd``, ``rev`` and the corridor limits."""
    T = d.T
    fcap0 = d.arr("fcap0_mw")
    fcapmax = d.arr("fcapmax_mw")
    if not bool(d.system.attrs.get("allow_new_corridors", True)):
        fcapmax = fcap0.copy()
    fcap, is_fixed, fixed_val = add_investment_var(
        m, "fcap", fcap0, fcapmax, d.fixed_values("corridor_capacity_mw", "corridor"),
        doc="corridor capacity, MW",
    )  # fmt: skip
    d.vars["fcap"] = fcap
    fcap_at = add_block_copies(m, "fcap", fcap, is_fixed, d.n_blocks)
    d.vars["fcap_at"] = fcap_at
    ann = d.arr("corridor_ann_capex_usd_per_mw")
    d.add_cost("corridor_capex", Terms.of(0, fcap, ann), constant=-float(ann @ fcap0))
    a, b = d.regions_of("corridor_from"), d.regions_of("corridor_to")
    credit = d.arr("import_credit")
    d.firm_region.append(Terms.of(a, fcap, credit))
    d.firm_region.append(Terms.of(b, fcap, credit))

    can_run = ~is_fixed | (fixed_val > 0)  # a free fcap has fcapmax > fcap0 >= 0
    act = np.flatnonzero(can_run)
    if len(act) == 0:
        return
    l_ = np.repeat(act, T)
    t = np.tile(np.arange(T), len(act))
    n = len(l_)
    ub = np.where(is_fixed[l_], fixed_val[l_], np.inf)
    fwd = add_var(m, "fwd", n, ub=ub, doc="flow a->b, MW sent")
    rev = add_var(m, "rev", n, ub=ub, doc="flow b->a, MW sent")
    d.vars.update(fwd=fwd, rev=rev)
    d.index["corridor"] = (l_, t)

    free = np.flatnonzero(~is_fixed[l_])
    if len(free):
        r = np.arange(len(free))
        con, ids = add_rows(
            m,
            "flow_limit",
            [
                Terms.of(r, fwd[free], 1.0),
                Terms.of(r, rev[free], 1.0),
                Terms.of(r, fcap_at[l_[free], d.block_of_t[t[free]]], -1.0),
            ],
            len(free),
            ub=0.0,
            doc="fwd[l,t] + rev[l,t] - fcap[l] <= 0",
        )
        d.constraints["flow_limit"] = (con, free[ids])

    eta = d.arr("corridor_efficiency")[l_]
    d.injection += [
        Terms.of(b[l_] * T + t, fwd, eta),
        Terms.of(b[l_] * T + t, rev, -1.0),
        Terms.of(a[l_] * T + t, rev, eta),
        Terms.of(a[l_] * T + t, fwd, -1.0),
    ]
