"""Storage (MODEL.md constraint 4): batteries and pumped hydro.

::

    soc[s,t] = soc[s,prev(t)]*(1-loss_s)^dt[t] + dt[t]*(eff_c*ch[s,t] - dis[s,t]/eff_d)
    soc[s,t] <= dur_s*pcap[s];   ch[s,t] + dis[s,t] <= pcap[s];   pcap[s] in [pcap0, pcapmax]

``ch + dis <= pcap`` is one row instead of MODEL.md's two (``ch, dis <= pcap``): it implies them,
and charging and discharging at once only burns energy, which is never worth anything here
(generation can always be curtailed at no cost), so the optimum is the same with fewer rows.

The hourly limits use ``pcap_block[s, b(t)]``, the copy of ``pcap[s]`` for the block of steps
``b(t)`` (chained equal to ``pcap[s]``, see ``_linear.add_block_copies``).

``prev(t)`` wraps within each ``period`` so the state of charge is cyclic over the year (over each
representative period). Where ``pcap`` is fixed the limits are variable bounds. Registers
``dis - ch`` into the balance, ``credit_s*pcap`` into the reserve margin and the costs
``(ann(capex_p) + dur*ann(capex_e))*(pcap - pcap0) + fom_s*pcap``.
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


def add_storage(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add ``pcap``, ``ch``, ``dis``, ``soc`` and their rows."""
    T = d.T
    pcap0 = d.arr("pcap0_mw")
    pcap, is_fixed, fixed_val = add_investment_var(
        m, "pcap", pcap0, d.arr("pcapmax_mw"), d.fixed_values("storage_power_mw", "storage"),
        doc="storage power, MW",
    )  # fmt: skip
    d.vars["pcap"] = pcap
    d.index["pcap_fixed"] = (is_fixed, np.where(is_fixed, fixed_val, np.nan))
    pcap_at = add_block_copies(m, "pcap", pcap, is_fixed, d.n_blocks)
    d.vars["pcap_at"] = pcap_at

    dur = d.arr("duration_h")
    ann = d.arr("ann_capex_power_usd_per_mw") + dur * d.arr("ann_capex_energy_usd_per_mwh")
    d.add_cost("storage_capex", Terms.of(0, pcap, ann), constant=-float(ann @ pcap0))
    d.add_cost("storage_fom", Terms.of(0, pcap, d.arr("storage_fom_usd_per_mw")))
    credit = d.arr("storage_capacity_credit")
    region = d.regions_of("storage_region")
    d.firm_system.append(Terms.of(0, pcap, credit))
    d.firm_region.append(Terms.of(region, pcap, credit))

    # a free pcap has pcapmax > pcap0 >= 0, so it can run
    can_run = ~is_fixed | (fixed_val > 0)
    act = np.flatnonzero(can_run)
    if len(act) == 0:
        return
    s = np.repeat(act, T)
    t = np.tile(np.arange(T), len(act))
    n = len(s)
    pmax = np.where(is_fixed[s], fixed_val[s], np.inf)
    ch = add_var(m, "ch", n, ub=pmax, doc="charge, MW")
    dis = add_var(m, "dis", n, ub=pmax, doc="discharge, MW")
    soc = add_var(m, "soc", n, ub=dur[s] * pmax, doc="state of charge, MWh (end of step)")
    d.vars.update(ch=ch, dis=dis, soc=soc)
    d.index["storage"] = (s, t)

    # position of (s, prev(t)) in the flat arrays: blocks of T per active storage
    k = np.arange(n)
    kprev = (k - t) + d.prev[t]
    decay = (1.0 - d.arr("loss_per_h")[s]) ** d.dt[t]
    eff_c, eff_d = d.arr("eff_charge")[s], d.arr("eff_discharge")[s]
    con, ids = add_rows(
        m,
        "soc_balance",
        [
            Terms.of(k, soc, 1.0),
            Terms.of(k, soc[kprev], -decay),
            Terms.of(k, ch, -d.dt[t] * eff_c),
            Terms.of(k, dis, d.dt[t] / eff_d),
        ],
        n,
        lb=0.0,
        ub=0.0,
        doc="soc[t] - soc[prev]*(1-loss)^dt - dt*(eff_c*ch - dis/eff_d) = 0",
    )
    d.constraints["soc_balance"] = (con, ids)

    free = np.flatnonzero(~is_fixed[s])
    if len(free):
        r = np.arange(len(free))
        ps = pcap_at[s[free], d.block_of_t[t[free]]]
        con, ids = add_rows(
            m,
            "power_limit",
            [Terms.of(r, ch[free], 1.0), Terms.of(r, dis[free], 1.0), Terms.of(r, ps, -1.0)],
            len(free),
            ub=0.0,
            doc="ch[s,t] + dis[s,t] - pcap[s] <= 0",
        )
        d.constraints["power_limit"] = (con, free[ids])
        con, ids = add_rows(
            m,
            "soc_limit",
            [Terms.of(r, soc[free], 1.0), Terms.of(r, ps, -dur[s[free]])],
            len(free),
            ub=0.0,
            doc="soc[s,t] - dur*pcap[s] <= 0",
        )
        d.constraints["soc_limit"] = (con, free[ids])

    d.injection.append(Terms.of(region[s] * T + t, dis, 1.0))
    d.injection.append(Terms.of(region[s] * T + t, ch, -1.0))
