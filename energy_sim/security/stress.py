"""A plan under stress: the stresses of a System carried over to a plan's capacities
(:func:`apply_stresses_to_plan`), the CLI's ``--test NAME:key=value`` (:func:`parse_stress_option`)
and the names of a stressed run's outputs (:func:`stress_label`, :func:`output_stem`).

The stress tests themselves, transformations of a System applied while it is built, are
:mod:`energy_sim.inputs.stress`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.inputs.stress import REGISTRY

__all__ = ["apply_stresses_to_plan", "output_stem", "parse_stress_option", "stress_label"]


def apply_stresses_to_plan(plan: xr.Dataset, system: xr.Dataset) -> xr.Dataset:
    """Carry the stresses recorded in ``system.attrs["stress"]`` over to a plan's capacities.

    A plan fixes ``corridor_capacity_mw``, which the dispatch uses instead of the System's
    ``fcap0_mw``; a corridor outage must therefore also derate the planned corridor:
    ``corridor_capacity_mw[l] *= (circuits - circuits_lost) / circuits``. The other tests act
    through availability, demand, hydro budgets and LNG availability, which a plan does not fix.

    A plan made on the stressed System already has the outage: it is not derated twice. That is
    recognised by ``plan.attrs["stress"]`` listing the test, or by the plan's
    ``corridor_capacity_existing_mw`` equalling the stressed System's ``fcap0_mw``.

    Parameters
    ----------
    plan
        Results with ``corridor_capacity_mw(corridor)``.
    system
        The stressed System (its ``attrs["stress"]``, ``circuits`` and ``fcap0_mw``).

    Returns
    -------
    xarray.Dataset
        A copy of ``plan`` with derated corridors (the same object when nothing applies).
    """
    specs = json.loads(system.attrs.get("stress", "[]") or "[]")
    outages = [s for s in specs if s.get("test") == "corridor_outage"]
    for done in json.loads(plan.attrs.get("stress", "[]") or "[]"):
        if done in outages:
            outages.remove(done)
    if not outages or "corridor_capacity_mw" not in plan:
        return plan
    out = plan.copy()
    cap = out["corridor_capacity_mw"].copy()
    existing = plan.get("corridor_capacity_existing_mw")
    for spec in outages:
        name = spec["corridor"]
        circuits = int(system["circuits"].sel(corridor=name))
        keep = (circuits - spec["circuits_lost"]) / circuits
        if (
            existing is not None
            and keep < 1
            and np.isclose(
                float(existing.sel(corridor=name)), float(system["fcap0_mw"].sel(corridor=name))
            )
        ):
            continue  # planned on the stressed System: the outage is in the plan already
        cap.loc[{"corridor": name}] = cap.sel(corridor=name) * keep
    out["corridor_capacity_mw"] = cap
    out.attrs["stress"] = system.attrs.get("stress", "[]")
    return out


def parse_stress_option(text: str) -> dict[str, Any]:
    """Parse ``--test NAME:key=value,key=value`` into a spec dict.

    Lists inside a value use ``+`` (``hubs=south+north``, ``months=4-6`` or ``months=4+5+6``).

    Examples
    --------
    >>> parse_stress_option("lng_disruption:days=30,start=2030-06-01,hubs=south")
    {'test': 'lng_disruption', 'days': '30', 'start': '2030-06-01', 'hubs': 'south'}

    Raises
    ------
    InputError
        For an unknown test, a parameter without ``=``, or a repeated parameter.
    """
    name, _, rest = text.strip().partition(":")
    name = name.strip()
    if name not in REGISTRY:
        raise InputError(
            "unknown stress test", field="--test", value=name, allowed=", ".join(REGISTRY)
        )
    spec: dict[str, Any] = {"test": name}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InputError(
                "a stress parameter must be key=value",
                field=f"--test {name}",
                value=item,
                allowed="NAME:key=value,key=value",
            )
        if key in spec:
            raise InputError("parameter given twice", field=f"--test {name}.{key}", value=item)
        spec[key] = value.strip()
    return spec


# ---------------------------------------------------------------------------- naming outputs


def _given(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(key, value)`` of the parameters of a validated spec that differ from the defaults."""
    model = REGISTRY[spec["test"]][0]
    out = []
    for key, value in spec.items():
        field = model.model_fields.get(key)
        if key == "test" or (field is not None and value == field.default):
            continue
        text = "+".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        out.append((key, text))
    return out


def stress_label(spec: dict[str, Any]) -> str:
    """A test and the parameters it was given (defaults left out), for tables and dashboards.

    Examples
    --------
    >>> stress_label(validate_stress([{"test": "heatwave", "increase": 0.2}])[0])
    'heatwave(increase=0.2)'
    """
    given = _given(spec)
    inner = ", ".join(f"{k}={v}" for k, v in given)
    return f"{spec['test']}({inner})" if given else str(spec["test"])


def output_stem(specs: list[dict[str, Any]], max_len: int = 120) -> str:
    """The file stem of a stress assessment, named by its tests *and* their parameters.

    Two runs of one test with different parameters get different files (one no longer
    replaces the other); the same tests and parameters give the same stem. Characters other
    than letters, digits, ``_ + - .`` become ``_``; a stem longer than ``max_len`` is cut and
    ends in 8 hex digits of the SHA-256 of the specs, so it stays unique.

    Examples
    --------
    >>> output_stem(validate_stress([{"test": "lng_disruption", "days": 45, "hubs": "south"}]))
    'stress_lng_disruption_days-45_hubs-south'
    """
    import hashlib

    parts = ["_".join([s["test"], *(f"{k}-{v}" for k, v in _given(s))]) for s in specs]
    stem = re.sub(r"[^A-Za-z0-9_+.-]", "_", "stress_" + "+".join(parts))
    if len(stem) > max_len:
        digest = hashlib.sha256(json.dumps(specs, sort_keys=True).encode()).hexdigest()[:8]
        stem = f"{stem[: max_len - 9]}_{digest}"
    return stem
