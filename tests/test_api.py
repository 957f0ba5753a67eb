"""The public API: every name in ``energy_sim.__all__`` resolves to what its docs say."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect

import pytest

import energy_sim as es

#: Where each public name is defined (docs/architecture.md, the module table), written out here
#: rather than read from ``energy_sim._API``.
DEFINED_IN = {
    "load_scenario": "energy_sim.inputs.scenario",
    "build_system": "energy_sim.inputs.system",
    "plan": "energy_sim.planning.api",
    "assess": "energy_sim.security.adequacy.run",
    "dispatch": "energy_sim.operation.results",
    "compare": "energy_sim.analysis.compare",
    "InputError": "energy_sim.errors",
}


def test_every_public_name_is_the_object_its_module_defines():
    assert sorted(es.__all__) == sorted([*DEFINED_IN, "__version__"])
    for name, module in DEFINED_IN.items():
        obj = getattr(es, name)
        assert obj is getattr(importlib.import_module(module), name), name
        assert (obj.__module__, obj.__qualname__) == (module, name)


def test_version_is_the_installed_distributions():
    assert es.__version__ == importlib.metadata.version("energy_sim") == "0.1.0"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'plot'"):
        es.plot  # noqa: B018


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
