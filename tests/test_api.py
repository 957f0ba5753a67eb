"""The public API: every name in ``energy_sim.__all__`` resolves to what its docs say."""

from __future__ import annotations

import importlib
import inspect

import energy_sim as es


def test_every_public_name_resolves():
    for name in es.__all__:
        assert getattr(es, name) is not None, name


def test_functions_stay_callable_after_their_modules_are_imported():
    # ``energy_sim.operation`` is also a subpackage and ``energy_sim.analysis.compare`` a submodule:
    # importing them must not replace the public functions with the modules.
    for module in (
        "energy_sim.operation",
        "energy_sim.analysis.compare",
        "energy_sim.security.adequacy",
    ):
        importlib.import_module(module)
    for name in ("load_scenario", "build_system", "plan", "dispatch", "assess", "compare"):
        assert inspect.isfunction(getattr(es, name)), name
