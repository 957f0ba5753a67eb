"""``energy_sim.plan``: plan a System, a single-year Scenario or a pathway Scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr


def plan(
    system: xr.Dataset | Any,
    *,
    fixed_capacities: xr.Dataset | None = None,
    export_lp: Path | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Plan a System or a Scenario and return its Results.

    Parameters
    ----------
    system
        A System dataset (:func:`energy_sim.planning.solve.plan`, which takes the keywords),
        or a Scenario: its System at its resolution, or, for a scenario with ``periods``, the
        pathway (:func:`energy_sim.planning.pathway.plan_pathway`: Results with a ``period``
        dimension; ``fixed_capacities`` and ``export_lp`` are for single-year plans).
    """
    from energy_sim.planning.solve import plan as plan_system

    if not isinstance(system, xr.Dataset):
        if getattr(system, "periods", None):
            if fixed_capacities is not None or export_lp is not None:
                raise ValueError("fixed_capacities and export_lp are for single-year plans")
            from energy_sim.planning.pathway import plan_pathway

            return plan_pathway(system, progress=progress, log=log)
        from energy_sim.inputs.system import build_system

        system = build_system(system)
    return plan_system(system, fixed_capacities=fixed_capacities, export_lp=export_lp,
                       progress=progress, log=log)  # fmt: skip


__all__ = ["plan"]
