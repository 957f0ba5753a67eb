"""energy_sim: an open energy-security scenario simulator for Vietnam's power system.

Public API (imported lazily so that ``import energy_sim`` stays fast):

- :func:`load_scenario` — read and validate a scenario YAML file.
- :func:`build_system` — scenario -> System (``xarray.Dataset`` of every input).
- :func:`plan` — capacity-expansion LP (Pyomo + HiGHS) -> Results.
- :func:`dispatch` — numpy dispatch core over a full year and many samples -> Results.
- :func:`assess` — Monte Carlo adequacy (LOLE, EUE) of a planned system.
- :func:`compare` — KPIs and capacities of several runs side by side.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# ``dispatch`` and ``compare`` share their names with a subpackage / submodule. Importing a
# submodule binds it as an attribute of the package, which would shadow a lazily exported
# function of the same name; binding the functions here, after their modules are loaded,
# keeps ``energy_sim.dispatch(...)`` and ``energy_sim.compare(...)`` callable whatever is
# imported later (costs ~0.5 s of xarray import, which every command needs anyway).
from energy_sim.compare import compare
from energy_sim.dispatch import dispatch

_API = {
    "load_scenario": "energy_sim.scenario",
    "build_system": "energy_sim.system",
    "plan": "energy_sim.solve",
    "assess": "energy_sim.adequacy",
    "InputError": "energy_sim.errors",
}

__all__ = [*_API, "compare", "dispatch", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'energy_sim' has no attribute {name!r}")
