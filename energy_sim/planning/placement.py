"""The cheapest operation that places energy as a given schedule does (a check of the core).

The accuracy contract (MODEL.md, "Fast dispatch core") compares the core's annual generation per
region and technology with the LP optimum's. Where the optimum is degenerate or nearly so, many
schedules cost the same to a few parts per million and place energy differently, and the solver
returns one of them. :func:`cheapest_with_placement` tells the two cases apart: it solves the
same operating LP with every (region, technology) held within a relative band of a target
placement (the core's) and returns that schedule. Its cost above the LP optimum is the price
of the target's placement: parts per million on a near-degenerate optimum, most of the core's
own cost gap where the core misplaces energy.

The LP minimises MODEL.md's objective over the same rows as :func:`energy_sim.planning.solve.plan`
plus, for each pair ``(r, k)`` with annual generation ``E[r,k] = sum_{g in (r,k)} sum_t w*dt*p[g,t]``
and target ``E*[r,k]``::

    E*[r,k] / (1 + rel) <= E[r,k] <= E*[r,k] / (1 - rel)    where E*[r,k] >= material
    E[r,k] <= material                                      elsewhere

so that ``|E*[r,k] - E[r,k]| <= rel * E[r,k]`` on every pair the contract's metric compares
(``material`` is the metric's threshold in MWh; a pair below it in both schedules is not
compared).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import xarray as xr

from energy_sim.planning.model._linear import Terms, add_rows


def _pairs(system: xr.Dataset) -> pd.MultiIndex:
    """The (region, technology) pair of every generator group, as a MultiIndex over ``gen``."""
    return pd.MultiIndex.from_arrays(
        [system["gen_region"].values, system["gen_tech"].values], names=["region", "tech"]
    )


def cheapest_with_placement(
    system: xr.Dataset,
    fixed_capacities: xr.Dataset,
    target_mwh: pd.Series,
    *,
    rel: float = 0.05,
    material_mwh: float = 0.0,
) -> xr.Dataset:
    """Solve the operating LP with annual generation per (region, technology) held near a target.

    Parameters
    ----------
    system
        The System dataset, as given to :func:`energy_sim.planning.solve.plan`.
    fixed_capacities
        A Results dataset that fixes every capacity (as ``plan(fixed_capacities=...)``).
    target_mwh
        Annual generation per (region, technology), MWh, indexed by a two-level
        ``(region, tech)`` index; pairs of ``system`` missing from it have target 0.
    rel
        Relative band: ``|target - E| <= rel * E`` on every pair with ``target >= material``.
    material_mwh
        Pairs whose target is below this are held below it (the metric does not compare them).

    Returns
    -------
    xarray.Dataset
        Results of the constrained LP (as :func:`~energy_sim.planning.solve.plan` returns them,
        with ``build_s``, ``handoff_s`` and ``solve_s``); ``attrs['objective_usd']`` is its cost. Status ``infeasible`` means that no operation
        of the system places energy within the band.
    """
    from energy_sim.planning.model import build_model
    from energy_sim.planning.solve import (
        SPLIT_STEPS,
        checked_results,
        solve_model,
        solver_settings,
    )

    if not 0.0 <= rel < 1.0:
        raise ValueError(f"rel must lie in [0, 1), got {rel}")
    method, limit, options = solver_settings(system)
    t0 = time.perf_counter()
    m = build_model(system, fixed_capacities=fixed_capacities, split_steps=SPLIT_STEPS.get(method))
    d = m.es
    pairs = _pairs(system)
    unique = pairs.unique()
    target = target_mwh.reindex(unique, fill_value=0.0).to_numpy(dtype=float)
    pair_of_gen = unique.get_indexer(pairs)
    g, t = d.index["p"]
    row = pair_of_gen[g]
    terms = [Terms.of(row, d.vars["p"], d.wdt[t])]
    big = target >= material_mwh
    lo = np.where(big, target / (1.0 + rel), np.nan)
    up = np.where(big, target / (1.0 - rel), material_mwh)
    add_rows(m, "placement", terms, len(unique), lb=lo, ub=up,
             doc="target/(1+rel) <= sum_(g in pair) sum_t w*dt*p[g,t] <= target/(1-rel)")  # fmt: skip
    build_s = time.perf_counter() - t0  # the hand-off and the solve: solve_model times them
    sol = solve_model(m, method=method, time_limit_s=limit, options=options)
    results = checked_results(system, m, sol, build_s)
    results.attrs.update(placement_rel=float(rel), placement_material_mwh=float(material_mwh))
    return results


__all__ = ["cheapest_with_placement"]
