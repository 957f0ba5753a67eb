"""energy_sim: an open energy-security scenario simulator for Vietnam's power system.

Public API (imported lazily so that ``import energy_sim`` stays fast):

- :func:`load_scenario` — read and validate a scenario YAML file.
- :func:`build_system` — scenario -> System (``xarray.Dataset`` of every input).
- :func:`plan` — capacity-expansion LP (Pyomo + HiGHS) -> Results.
- :func:`dispatch` — the dispatch core (numpy orchestration, numba kernels) over a full year and many samples -> Results.
- :func:`assess` — Monte Carlo adequacy (LOLE, EUE) of a planned system.
- :func:`compare` — KPIs and capacities of several runs side by side.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "load_scenario": "energy_sim.inputs.scenario",
    "build_system": "energy_sim.inputs.system",
    "plan": "energy_sim.planning.api",
    "assess": "energy_sim.security.adequacy",
    "dispatch": "energy_sim.operation",
    "compare": "energy_sim.analysis.compare",
    "InputError": "energy_sim.errors",
}

__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'energy_sim' has no attribute {name!r}")
