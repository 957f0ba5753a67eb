"""Operation: the dispatch core (no solver, no Pyomo; numpy orchestration, numba kernels).

:func:`dispatch` operates a System with fixed capacities over its chronological time steps for
many Monte Carlo samples at once; see ``docs/dispatch.md`` for the method and its equations.
"""

from __future__ import annotations

from energy_sim.operation.results import COST_COMPONENTS, dispatch

__all__ = ["COST_COMPONENTS", "dispatch"]
