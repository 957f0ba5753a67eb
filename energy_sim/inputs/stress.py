"""Composable stress tests: transformations of a System, applied while the System is built.

Each test is a small function ``f(system, spec) -> system`` paired with a pydantic model of its
parameters, registered in :data:`REGISTRY`. :func:`apply_stresses` applies a list of tests in
order (each acts on the output of the previous one) and records them in
``system.attrs["stress"]`` (a JSON list). Tests act on the full hourly System before any time
aggregation (:func:`energy_sim.inputs.system.build_system` calls :func:`apply_stresses`). The
parameters of each test are the models of :mod:`energy_sim.inputs.stress_specs`; carrying a
stress over to a plan and naming a stressed run's outputs is :mod:`energy_sim.security.stress`.

=================  ==========================================================================
test               effect on the System
=================  ==========================================================================
lng_disruption     ``lng_availability[n, t] = 0`` for hubs ``n`` and steps ``t`` in the window
drought            ``hydro_cf_month[g, m] *= factor`` (reservoir hydro) and
                   ``availability[g, t] *= factor`` (run-of-river) in the regions and months
heatwave           ``demand_mw[r, t] *= 1 + increase`` in the regions and window
corridor_outage    ``fcap0, fcapmax *= (circuits - lost) / circuits`` (N-1: one circuit lost)
import_cut         ``availability[g, t] *= factor`` for ``import_laos`` / ``import_china``
coal_shortfall     ``availability[g, t] *= factor`` for coal groups in the regions and window
=================  ==========================================================================

A window is ``start`` (``YYYY-MM-DD`` in the scenario year, or ``MM-DD``) plus ``days``; it wraps
around the end of the year (the year is cyclic, as storage and LNG inventories are). Without
``start`` a window covers the whole year.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr
from pydantic import ValidationError

from energy_sim.errors import InputError
from energy_sim.inputs.stress_specs import (
    CoalShortfall,
    CorridorOutage,
    Drought,
    Heatwave,
    ImportCut,
    LngDisruption,
    StressSpec,
    WindowSpec,
)

__all__ = ["REGISTRY", "apply_stresses", "validate_stress"]


# ------------------------------------------------------------------------------ helpers


def _timestamps(system: xr.Dataset) -> np.ndarray:
    """Start of each time step as ``datetime64``."""
    for name in ("timestamp", "time"):
        if name in system.coords or name in system:
            values = np.asarray(system[name].values)
            if np.issubdtype(values.dtype, np.datetime64):
                return values
    raise InputError(
        "the System has no timestamps, so a stress window cannot be placed",
        field="timestamp",
    )


def _window_mask(system: xr.Dataset, spec: WindowSpec, field: str) -> np.ndarray:
    """Boolean mask over ``time``: steps whose start lies in the window (cyclic year)."""
    stamps = _timestamps(system)
    if spec.start is None:
        return np.ones(stamps.shape, dtype=bool)
    year = int(system.attrs.get("year", stamps[0].astype("datetime64[Y]").astype(int) + 1970))
    text = spec.start
    if len(text) == 10:
        if int(text[:4]) != year:
            raise InputError(
                "the window must start in the scenario year",
                field=f"{field}.start",
                value=text,
                allowed=f"a date in {year} (YYYY-MM-DD) or MM-DD",
            )
        text = text[5:]
    try:
        start = np.datetime64(f"{year}-{text}")
    except ValueError:  # 29 Feb in a non-leap year
        raise InputError(
            "not a date of the scenario year",
            field=f"{field}.start",
            value=spec.start,
            allowed=f"a date in {year}",
        ) from None
    year_start = np.datetime64(f"{year}-01-01")
    year_len = np.datetime64(f"{year + 1}-01-01") - year_start
    days = spec.days if spec.days is not None else 1
    offset = (stamps - start) % year_len
    return offset < np.timedelta64(days, "D")


def _pick(names: list[str] | str, known: list[str], field: str, what: str) -> list[str]:
    """Check names against the System's labels; ``"all"`` -> every label."""
    if names == "all":
        return list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(
            f"unknown {what}",
            field=field,
            value=unknown[0],
            allowed=f"'all' or any of {', '.join(known)}",
        )
    return list(names)


def _gen_mask(system: xr.Dataset, techs: list[str], regions: list[str] | None = None) -> np.ndarray:
    mask = np.isin(system["gen_tech"].values, techs)
    if regions is not None:
        mask &= np.isin(system["gen_region"].values, regions)
    return mask


def _scale_availability(
    system: xr.Dataset, gens: np.ndarray, steps: np.ndarray, factor: float
) -> xr.Dataset:
    """``availability[g, t] *= factor`` for ``g`` in ``gens`` and ``t`` in ``steps``."""
    avail = system["availability"].transpose("gen", "time")
    values = avail.values.copy()
    values[np.ix_(gens, steps)] *= factor
    out = system.copy()
    out["availability"] = avail.copy(data=values).transpose(*system["availability"].dims)
    return out


# ---------------------------------------------------------------------------- transforms


def lng_disruption(system: xr.Dataset, spec: LngDisruption, field: str) -> xr.Dataset:
    """``lng_availability[n, t] = 0`` for hubs ``n`` in ``spec.hubs`` and ``t`` in the window."""
    names = [str(h) for h in system["hub"].values]
    regions = [str(r) for r in system["hub_region"].values] if "hub_region" in system.coords else []
    chosen = spec.hubs
    if chosen != "all":  # a region name selects the hubs in that region
        chosen = [
            h
            for c in chosen
            for h in ([n for n, r in zip(names, regions, strict=False) if r == c] or [c])
        ]
    hubs = _pick(chosen, names, f"{field}.hubs", "LNG hub")
    steps = _window_mask(system, spec, field)
    lng = system["lng_availability"].transpose("hub", "time")
    values = lng.values.copy()
    rows = np.isin(system["hub"].values.astype(str), hubs)
    values[np.ix_(rows, steps)] = 0.0
    out = system.copy()
    out["lng_availability"] = lng.copy(data=values).transpose(*system["lng_availability"].dims)
    return out


def drought(system: xr.Dataset, spec: Drought, field: str) -> xr.Dataset:
    """Reservoir hydro: ``hydro_cf_month[g, m] *= factor``; run-of-river (``include_ror``):
    ``availability[g, t] *= factor`` for steps in the months; both in the chosen regions."""
    regions, months, factor = spec.resolved()
    known = [str(r) for r in system["region"].values]
    regions = _pick(regions, known, f"{field}.regions", "region")
    out = system.copy()
    reservoir = _gen_mask(system, ["hydro_reservoir"], regions)
    cf = system["hydro_cf_month"].transpose("gen", "month")
    values = cf.values.copy()
    cols = np.isin(system["month"].values, months)
    values[np.ix_(reservoir, cols)] *= factor
    out["hydro_cf_month"] = cf.copy(data=values).transpose(*system["hydro_cf_month"].dims)
    if spec.include_ror:
        ror = _gen_mask(system, ["hydro_ror"], regions)
        steps = np.isin(system["month_of"].values, months)
        out = _scale_availability(out, ror, steps, factor)
    return out


def heatwave(system: xr.Dataset, spec: Heatwave, field: str) -> xr.Dataset:
    """``demand_mw[r, t] *= 1 + increase`` for regions ``r`` and steps ``t`` in the window."""
    known = [str(r) for r in system["region"].values]
    regions = _pick(spec.regions, known, f"{field}.regions", "region")
    steps = _window_mask(system, spec, field)
    demand = system["demand_mw"].transpose("region", "time")
    values = demand.values.astype(float).copy()
    rows = np.isin(system["region"].values.astype(str), regions)
    values[np.ix_(rows, steps)] *= 1.0 + spec.increase
    out = system.copy()
    out["demand_mw"] = demand.copy(data=values).transpose(*system["demand_mw"].dims)
    return out


def corridor_outage(system: xr.Dataset, spec: CorridorOutage, field: str) -> xr.Dataset:
    """``fcap0_mw, fcapmax_mw *= (circuits - circuits_lost) / circuits`` for one corridor."""
    known = [str(c) for c in system["corridor"].values]
    (name,) = _pick([spec.corridor], known, f"{field}.corridor", "corridor")
    circuits = int(system["circuits"].sel(corridor=name))
    if spec.circuits_lost > circuits:
        raise InputError(
            "more circuits lost than the corridor has",
            field=f"{field}.circuits_lost",
            value=spec.circuits_lost,
            allowed=f"1..{circuits} for {name}",
        )
    keep = (circuits - spec.circuits_lost) / circuits
    out = system.copy()
    for var in ("fcap0_mw", "fcapmax_mw"):
        values = system[var].values.astype(float).copy()
        values[known.index(name)] *= keep
        out[var] = system[var].copy(data=values)
    return out


def import_cut(system: xr.Dataset, spec: ImportCut, field: str) -> xr.Dataset:
    """``availability[g, t] *= factor`` for import groups of ``source`` over the window."""
    techs = {"laos": ["import_laos"], "china": ["import_china"]}.get(
        spec.source, ["import_laos", "import_china"]
    )
    steps = _window_mask(system, spec, field)
    return _scale_availability(system, _gen_mask(system, techs), steps, spec.factor)


def coal_shortfall(system: xr.Dataset, spec: CoalShortfall, field: str) -> xr.Dataset:
    """Coal supply x ``factor`` in the regions over the window: a region with a coal yard
    (``reserves.coal``: finite ``coal_delivery``) gets ``coal_availability[r, t] *= factor`` -
    deliveries are cut and the stock carries the plants through or runs out (issue 14); in a
    region without one, ``availability[g, t] *= factor`` for its coal groups, as before."""
    known = [str(r) for r in system["region"].values]
    regions = _pick(spec.regions, known, f"{field}.regions", "region")
    steps = _window_mask(system, spec, field)
    yard = np.zeros(len(known), bool)
    if "coal_delivery" in system and "coal_availability" in system:
        yard = np.isfinite(np.asarray(system["coal_delivery"].values, float))
    by_yard = [r for r in regions if yard[known.index(r)]]
    out = _scale_availability(
        system, _gen_mask(system, ["coal"], [r for r in regions if r not in by_yard]), steps,
        spec.factor,
    )  # fmt: skip
    if by_yard:
        av = out["coal_availability"].transpose("region", "time")
        values = av.values.copy()
        values[np.ix_([known.index(r) for r in by_yard], steps)] *= spec.factor
        out["coal_availability"] = av.copy(data=values).transpose(*system["coal_availability"].dims)
    return out


#: Test name -> (parameter model, transform). Register new tests here.
REGISTRY: dict[str, tuple[type[StressSpec], Callable[[xr.Dataset, Any, str], xr.Dataset]]] = {
    "lng_disruption": (LngDisruption, lng_disruption),
    "drought": (Drought, drought),
    "heatwave": (Heatwave, heatwave),
    "corridor_outage": (CorridorOutage, corridor_outage),
    "import_cut": (ImportCut, import_cut),
    "coal_shortfall": (CoalShortfall, coal_shortfall),
}


# ------------------------------------------------------------------------------ public API


def _validate_one(spec: Any, i: int) -> StressSpec:
    where = f"stress[{i}]"
    if isinstance(spec, StressSpec):
        return spec
    if not isinstance(spec, dict) or not isinstance(spec.get("test"), str):
        raise InputError(
            "a stress test must be a mapping with a string key 'test'",
            field=where,
            value=spec,
            allowed=f"test: one of {', '.join(REGISTRY)}",
        )
    name = spec["test"]
    if name not in REGISTRY:
        raise InputError(
            "unknown stress test", field=f"{where}.test", value=name, allowed=", ".join(REGISTRY)
        )
    model = REGISTRY[name][0]
    try:
        return model.model_validate(spec)
    except ValidationError as err:
        first = err.errors()[0]
        parts = [str(p) for p in first["loc"] if isinstance(p, int) or str(p).isidentifier()]
        key = ".".join(parts) or "test"
        params = [k for k in model.model_fields if k != "test"]
        if first["type"] == "extra_forbidden":
            message, allowed = f"unknown parameter of {name}", ", ".join(params)
        else:
            message = first["msg"].removeprefix("Value error, ")
            allowed = _describe(model, str(first["loc"][0]) if first["loc"] else "")
        raise InputError(
            message, field=f"{where}.{key}", value=first.get("input"), allowed=allowed
        ) from None


def _describe(model: type[StressSpec], key: str) -> str:
    """What a parameter accepts, from its annotation and bounds."""
    field = model.model_fields.get(key)
    if field is None:
        return ", ".join(k for k in model.model_fields if k != "test")
    text = str(field.annotation).replace("typing.", "").replace(" | None", "")
    text = re.sub(r"Literal\[([^\]]*)\]", lambda m: "one of " + m.group(1).replace("'", ""), text)
    symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    bounds = [
        f"{symbols[attr]} {getattr(m, attr)}"
        for m in field.metadata
        for attr in symbols
        if hasattr(m, attr)
    ]
    if key == "start":
        text = "YYYY-MM-DD or MM-DD"
    elif key in ("hubs", "regions"):
        text = "all, a name, or names joined by + (a list in YAML)"
    elif key == "months":
        text = "months 1..12: a list, 4-6 or 4+5+6"
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def validate_stress(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a list of stress specs and return them with defaults filled in.

    Parameters
    ----------
    specs
        Mappings each with a ``test`` key (one of :data:`REGISTRY`) and that test's parameters.

    Returns
    -------
    list of dict
        Plain, JSON-ready dicts (``model_dump``), in the same order.

    Raises
    ------
    InputError
        Naming ``stress[i].<key>``, the value and what is allowed.
    """
    return [_validate_one(spec, i).model_dump() for i, spec in enumerate(specs or [])]


def apply_stresses(system: xr.Dataset, specs: list[dict[str, Any]] | None) -> xr.Dataset:
    """Apply stress tests in order; record them in ``attrs["stress"]`` (JSON list).

    ``S_k = f_k(S_{k-1}, spec_k)``, ``S_0 = system``: each test acts on the previous result, so
    two tests on the same quantity multiply (two heatwaves overlapping: ``(1+x1)(1+x2)``).

    Parameters
    ----------
    system
        A System dataset (docs/architecture.md); not modified.
    specs
        Stress specs as accepted by :func:`validate_stress`.

    Returns
    -------
    xarray.Dataset
        A new System; ``attrs["stress"]`` lists the applied specs after any earlier ones.
    """
    models = [_validate_one(spec, i) for i, spec in enumerate(specs or [])]
    out = system
    for i, model in enumerate(models):
        out = REGISTRY[model.test][1](out, model, f"stress[{i}]")
    done = json.loads(system.attrs.get("stress", "[]") or "[]")
    out = out.copy()
    out.attrs["stress"] = json.dumps(done + [m.model_dump() for m in models])
    return out
