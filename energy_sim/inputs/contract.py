"""Names and units that the System, the LP and the Results share (docs/architecture.md).

The LP (:mod:`energy_sim.planning.model`) states its objective in these cost components and its
LNG inventories in these units; the Results writer (:mod:`energy_sim.planning.results`) reads
them back here rather than from the model, so the results do not depend on the model's
modules.
"""

from __future__ import annotations

#: The components of the planning objective, in the order of the Results' ``cost_component``
#: coordinate (``cost_usd.sum() == objective_usd``).
COST_COMPONENTS = (
    "generation_capex",
    "generation_fom",
    "storage_capex",
    "storage_fom",
    "corridor_capex",
    "tank_capex",
    "operating",
    "unserved_energy",
    "reserve_shortfall",
)

#: MWh_th per LP unit of the LNG inventory ``inv`` and tank ``tank`` (the LP holds GWh_th).
LNG_SCALE = 1e3

__all__ = ["COST_COMPONENTS", "LNG_SCALE"]
