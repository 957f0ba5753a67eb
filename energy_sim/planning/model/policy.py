"""Policies (MODEL.md constraint 8), each optional.

- Clean-energy share: ``sum_t w*dt*sum_{g clean} p >= share * sum_t w*dt*sum_r demand``.
- CO2 cap: ``sum_t w*dt*sum_g co2_g*p <= cap``.
- Carbon price: already inside ``marginal_cost_usd_per_mwh`` (nothing to add here).
- Build ranges per technology k (national, total capacity):
  ``lo_k <= sum_{g of k} cap[g] + sum_{s of k} pcap[s] <= hi_k``. A range that the existing
  fleet already exceeds (``sum cap0 > hi``) is widened to the existing fleet (nothing can be
  retired in the LP) and noted; one that cannot be reached (``sum capmax < lo``) is an
  :class:`~energy_sim.errors.InputError`.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from energy_sim.errors import InputError
from energy_sim.planning.model import LPData
from energy_sim.planning.model._linear import Terms, add_rows


def add_policy(m: pyo.ConcreteModel, d: LPData) -> None:
    """Add the clean-share, CO2-cap and build-range rows that the System asks for."""
    g, t = d.index["p"]
    p = d.vars["p"]
    attrs = d.system.attrs
    share = float(
        attrs.get("clean_share_min", np.nan) if attrs.get("clean_share_min") is not None else np.nan
    )
    if np.isfinite(share) and share > 0:
        clean = np.asarray(d.system["is_clean"].values, dtype=bool)
        k = np.flatnonzero(clean[g])
        annual_demand = float(np.nan_to_num(d.arr("demand_mw"), nan=0.0).sum(axis=0) @ d.wdt)
        con, ids = add_rows(
            m, "clean_share", [Terms.of(0, p[k], d.wdt[t[k]])], 1, lb=share * annual_demand,
            doc="sum w*dt*p[clean] >= share*sum w*dt*demand",
        )  # fmt: skip
        d.constraints["clean_share"] = (con, ids)
    co2cap = float(attrs.get("co2_cap_t", np.nan) if attrs.get("co2_cap_t") is not None else np.nan)
    if np.isfinite(co2cap):
        co2 = d.arr("co2_t_per_mwh")
        k = np.flatnonzero(co2[g] > 0)
        if len(k):
            con, ids = add_rows(
                m, "co2_cap", [Terms.of(0, p[k], d.wdt[t[k]] * co2[g[k]])], 1, ub=co2cap,
                doc="sum w*dt*co2*p <= cap",
            )  # fmt: skip
            d.constraints["co2_cap"] = (con, ids)
    _build_ranges(m, d)


def _build_ranges(m: pyo.ConcreteModel, d: LPData) -> None:
    sysd = d.system
    techs = [str(k) for k in sysd["tech"].values]
    lo = np.nan_to_num(d.arr("build_min_mw"), nan=0.0)
    hi = np.nan_to_num(d.arr("build_max_mw"), nan=np.inf, posinf=np.inf)
    gen_tech = np.array([str(x) for x in sysd["gen_tech"].values])
    sto_tech = np.array([str(x) for x in sysd["storage_tech"].values])
    cap0 = np.concatenate([d.arr("cap0_mw"), d.arr("pcap0_mw")])
    capmax = np.concatenate(
        [
            np.nan_to_num(d.arr("capmax_mw"), nan=np.inf, posinf=np.inf),
            np.nan_to_num(d.arr("pcapmax_mw"), nan=np.inf, posinf=np.inf),
        ]
    )
    capmax = np.maximum(capmax, cap0)
    var = np.concatenate([d.vars["cap"], d.vars["pcap"]])
    of_tech = np.concatenate([gen_tech, sto_tech])
    rows, vars_, lbs, ubs = [], [], np.full(len(techs), np.nan), np.full(len(techs), np.nan)
    for i, k in enumerate(techs):
        if lo[i] <= 0 and not np.isfinite(hi[i]):
            continue
        sel = np.flatnonzero(of_tech == k)
        if len(sel) == 0:
            if lo[i] > 0:
                raise InputError(
                    f"build range for {k} asks for at least {lo[i]:.0f} MW but no {k} group exists",
                    field=f"build_ranges.{k}", value=float(lo[i]), allowed="0 when the technology has no groups",
                )  # fmt: skip
            continue
        if capmax[sel].sum() < lo[i] - 1e-6:
            raise InputError(
                f"build range for {k} cannot be met: at most {capmax[sel].sum():.0f} MW can be installed",
                field=f"build_ranges.{k}", value=float(lo[i]), allowed=f"<= {capmax[sel].sum():.0f}",
            )  # fmt: skip
        h = hi[i]
        if cap0[sel].sum() > h:
            d.notes.append(
                f"build range max for {k} ({h:.0f} MW) is below the existing {cap0[sel].sum():.0f} MW;"
                " widened to the existing fleet"
            )
            h = cap0[sel].sum()
        rows.append(np.full(len(sel), i))
        vars_.append(var[sel])
        lbs[i] = lo[i] if lo[i] > 0 else np.nan
        ubs[i] = h
    if rows:
        con, ids = add_rows(
            m, "build_range", [Terms.of(np.concatenate(rows), np.concatenate(vars_), 1.0)],
            len(techs), lb=lbs, ub=ubs, doc="lo_k <= sum_{g of k} cap <= hi_k",
        )  # fmt: skip
        d.constraints["build_range"] = (con, ids)
