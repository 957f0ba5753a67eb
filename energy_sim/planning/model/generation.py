"""Generation and availability (MODEL.md constraint 2).

``p[g,t] <= avail[g,t]*cap[g]``   (stated on ``cap_block[g, b(t)]``, the copy of ``cap[g]`` for
the block of steps ``b(t)``, equal to ``cap[g]`` by the ``cap_link`` chain)

``p`` exists only on the active tuples ``(g, t)`` with ``avail[g,t] >= AVAIL_MIN`` and a capacity that can
be positive. Where ``cap[g]`` is fixed the limit is the variable's upper bound
``avail[g,t]*cap[g]`` instead of a row. Registers ``p`` into the regional balance, the operating
cost ``w*dt*mc_g*p`` and, for LNG-fired groups, the fuel burn ``p/eff_g`` of their hub.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.inputs.system_helpers import hub_of_gen
from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows, add_var

#: Availability below this is treated as zero (dawn/dusk solar slivers): it keeps the matrix
#: coefficients within [1e-3, 1e3] and changes annual energy by far less than 0.01%.
AVAIL_MIN = 1e-3


def add_generation(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``p[g,t]`` on active tuples, availability rows/bounds and its registrations."""
    avail = np.clip(np.nan_to_num(d.arr("availability"), nan=0.0), 0.0, None)
    avail = np.where(avail < AVAIL_MIN, 0.0, avail)
    cap_at = d.vars["cap_at"]  # (gen, block): the copy of cap[g] each block's rows use
    is_fixed, fixed_val = d.index["cap_fixed"]
    capmax = np.where(
        is_fixed, fixed_val, np.nan_to_num(d.arr("capmax_mw"), nan=np.inf, posinf=np.inf)
    )
    capmax = np.maximum(capmax, np.where(is_fixed, 0.0, d.arr("cap0_mw")))
    active = (avail > 0) & (capmax > 0)[:, None]
    g, t = np.nonzero(active)
    ub = np.where(is_fixed[g], avail[g, t] * np.nan_to_num(fixed_val[g]), np.inf)
    p = add_var(m, "p", len(g), lb=0.0, ub=ub, doc="generation, MW")
    d.vars["p"] = p
    d.index["p"] = (g, t)

    # availability rows only where capacity is a decision
    k = np.flatnonzero(~is_fixed[g])
    rows = np.arange(len(k))
    con, ids = add_rows(
        m,
        "availability",
        [
            Terms.of(rows, p[k], 1.0),
            Terms.of(rows, cap_at[g[k], d.block_of_t[t[k]]], -avail[g[k], t[k]]),
        ],
        len(k),
        ub=0.0,
        doc="p[g,t] - avail[g,t]*cap[g] <= 0",
    )
    d.constraints["availability"] = (con, k[ids])

    region = d.regions_of("gen_region")
    d.injection.append(Terms.of(region[g] * d.T + t, p, 1.0))
    mc = d.arr("marginal_cost_usd_per_mwh")
    d.add_cost("operating", Terms.of(0, p, d.wdt[t] * mc[g]))

    hub = hub_of_gen(d.system)
    eff = d.arr("efficiency")
    burn = hub[g] >= 0
    if burn.any():
        d.lng_burn.append(Terms.of(hub[g[burn]] * d.T + t[burn], p[burn], 1.0 / eff[g[burn]]))
