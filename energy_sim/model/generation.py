"""Generation and availability (MODEL.md constraint 2).

``p[g,t] <= avail[g,t]*cap[g]``

``p`` exists only on the active tuples ``(g, t)`` with ``avail[g,t] >= AVAIL_MIN`` and a capacity that can
be positive. Where ``cap[g]`` is fixed the limit is the variable's upper bound
``avail[g,t]*cap[g]`` instead of a row. Registers ``p`` into the regional balance, the operating
cost ``w*dt*mc_g*p`` and, for LNG-fired groups, the fuel burn ``p/eff_g`` of their hub.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.model import LPData
from energy_sim.model._linear import Terms, add_rows, add_var

#: Availability below this is treated as zero (dawn/dusk solar slivers): it keeps the matrix
#: coefficients within [1e-3, 1e3] and changes annual energy by far less than 0.01%.
AVAIL_MIN = 1e-3


def lng_hub_of_gen(d: LPData) -> np.ndarray:
    """Hub index feeding each generator group (-1 if none).

    A group burns from the hub named in ``gen_hub``; an LNG group with no hub name burns from
    the hub of its region, if there is one.
    """
    sysd = d.system
    hubs = [str(h) for h in sysd["hub"].values]
    hub_region = [str(r) for r in sysd["hub_region"].values] if hubs else []
    out = np.full(sysd.sizes["gen"], -1, dtype=np.int64)
    gen_hub = sysd["gen_hub"].values if "gen_hub" in sysd.coords else [""] * len(out)
    is_lng = np.asarray(sysd["is_lng"].values, dtype=bool)
    regions = [str(r) for r in sysd["gen_region"].values]
    for i, (h, lng, r) in enumerate(zip(gen_hub, is_lng, regions, strict=True)):
        h = "" if h is None else str(h)
        if h and h in hubs:
            out[i] = hubs.index(h)
        elif lng and r in hub_region:
            out[i] = hub_region.index(r)
    return out


def add_generation(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``p[g,t]`` on active tuples, availability rows/bounds and its registrations."""
    avail = np.clip(np.nan_to_num(d.arr("availability"), nan=0.0), 0.0, None)
    avail = np.where(avail < AVAIL_MIN, 0.0, avail)
    cap = d.vars["cap"]
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
        [Terms.of(rows, p[k], 1.0), Terms.of(rows, cap[g[k]], -avail[g[k], t[k]])],
        len(k),
        ub=0.0,
        doc="p[g,t] - avail[g,t]*cap[g] <= 0",
    )
    d.constraints["availability"] = (con, k[ids])

    region = d.regions_of("gen_region")
    d.injection.append(Terms.of(region[g] * d.T + t, p, 1.0))
    mc = d.arr("marginal_cost_usd_per_mwh")
    d.add_cost("operating", Terms.of(0, p, d.wdt[t] * mc[g]))

    hub = lng_hub_of_gen(d)
    eff = d.arr("efficiency")
    burn = hub[g] >= 0
    if burn.any():
        d.lng_burn.append(Terms.of(hub[g[burn]] * d.T + t[burn], p[burn], 1.0 / eff[g[burn]]))
