"""Analysts' plots, all computed from Results datasets (never from solver objects).

Every function takes a Results dataset (and the System where it needs inputs that Results do
not carry), an optional matplotlib ``ax`` and returns the Axes it drew on, so that plots
compose into a figure::

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    plots.capacity_mix(results, system, ax=axes[0])
    plots.reserve_margin(results, ax=axes[1])

Annual quantities use the step weights of the run: ``annual(x) = sum_t w[t]*dt[t]*x[t]``
(MODEL.md). Results carry ``weight`` and ``dt_h`` when the writer copied them; otherwise the
System's are used; failing both, every step stands for ``8760 / n_steps`` hours.

The views are grouped by what they show: :mod:`~energy_sim.analysis.plots.planning` (capacity,
PDP8 ranges, reserve margin, adequacy), :mod:`~energy_sim.analysis.plots.operation` (dispatch,
net imports, LNG inventory, prices), :mod:`~energy_sim.analysis.plots.network` (corridors) and
:mod:`~energy_sim.analysis.plots.pathway` (a pathway's periods: capacity, CO2 against the
net-zero path, reserve margins, cost); this package gives them all under one name,
``plots.<view>``.
"""

from __future__ import annotations

from energy_sim.analysis.plots.network import corridor_map, corridor_utilisation
from energy_sim.analysis.plots.operation import (
    dispatch_stack,
    lng_inventory,
    net_import,
    price_duration,
)
from energy_sim.analysis.plots.pathway import (
    capacity_by_period,
    cost_by_period,
    emissions_by_period,
    margins_by_period,
    pathway_capacity,
    pathway_cost,
    pathway_emissions,
    pathway_figure,
    pathway_reserve_margin,
)
from energy_sim.analysis.plots.planning import adequacy, capacity_mix, pdp8_ranges, reserve_margin

__all__ = [
    "adequacy",
    "capacity_by_period",
    "capacity_mix",
    "corridor_map",
    "corridor_utilisation",
    "cost_by_period",
    "dispatch_stack",
    "emissions_by_period",
    "lng_inventory",
    "margins_by_period",
    "net_import",
    "pathway_capacity",
    "pathway_cost",
    "pathway_emissions",
    "pathway_figure",
    "pathway_reserve_margin",
    "pdp8_ranges",
    "price_duration",
    "reserve_margin",
]
