"""Composable stress tests: transformations of a System.

Each test is a small function ``f(system, spec) -> system`` paired with a pydantic model of its
parameters, registered in :data:`REGISTRY`. :func:`apply_stresses` applies a list of tests in
order (each acts on the output of the previous one) and records them in
``system.attrs["stress"]`` (a JSON list). Tests act on the full hourly System before any time
aggregation (:func:`energy_sim.inputs.system.build_system` calls :func:`apply_stresses`).

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

import datetime as _dt
import json
import re
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from energy_sim.errors import InputError

__all__ = [
    "REGISTRY",
    "apply_stresses",
    "apply_stresses_to_plan",
    "output_stem",
    "parse_stress_option",
    "stress_label",
    "validate_stress",
]

#: Presets of the drought test: name -> (regions, months, factor).
DROUGHT_PRESETS: dict[str, tuple[list[str], list[int], float]] = {
    # 2023 northern drought: April-May inflows ~50% of normal (DATA.md [V]); June still dry.
    "2023_north": (["north"], [4, 5, 6], 0.5),
}


# ------------------------------------------------------------------------------- spec models


def _split_list(value: Any) -> Any:
    """``"a+b"`` or ``"a;b"`` (command line) -> ``["a", "b"]``; a list passes through."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[+;]", value) if part.strip()]
    return value


def _month_list(value: Any) -> Any:
    """Months as a list, ``"4-6"`` or ``"4+5+6"`` -> ``[4, 5, 6]``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        months: list[Any] = []
        for part in _split_list(value):
            match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
            if match:
                lo, hi = int(match.group(1)), int(match.group(2))
                months.extend(range(lo, hi + 1) if lo <= hi else [part])
            else:
                months.append(part)
        return months
    return value


class _Spec(BaseModel):
    """Common base: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid")
    test: str


class _Window(_Spec):
    start: str | None = None
    """First day, ``YYYY-MM-DD`` (scenario year) or ``MM-DD``; ``None``: the whole year."""
    days: int | None = Field(None, ge=1, le=366)
    """Length of the window in days (needed with ``start``)."""

    @field_validator("start", mode="before")
    @classmethod
    def _start_text(cls, value: Any) -> Any:
        if isinstance(value, _dt.date):
            return value.isoformat()
        if value is None:
            return None
        text = str(value)
        if not re.fullmatch(r"(\d{4}-)?\d{2}-\d{2}", text):
            raise ValueError("not a date")
        try:
            _dt.date.fromisoformat(text if len(text) == 10 else f"2000-{text}")
        except ValueError:
            raise ValueError("not a date") from None
        return text


class LngDisruption(_Window):
    """No LNG cargoes reach the chosen hubs for ``days`` from ``start`` (send-out from the
    tanks only: the dispatch and the LP draw down the inventory, strategic reserve included).
    ``hubs``: hub names, region names (every hub of the region) or ``all``."""

    test: Literal["lng_disruption"] = "lng_disruption"
    days: int = Field(30, ge=1, le=366)
    start: str | None = "06-01"
    hubs: list[str] | Literal["all"] = "all"

    _hubs = field_validator("hubs", mode="before")(lambda v: v if v == "all" else _split_list(v))


class Drought(_Spec):
    """Hydro energy x ``factor`` in ``regions`` and ``months`` (or a ``preset``)."""

    test: Literal["drought"] = "drought"
    preset: Literal["2023_north"] | None = None
    factor: float | None = Field(None, ge=0, le=1)
    regions: list[str] | Literal["all"] | None = None
    months: list[int] | None = None
    include_ror: bool = True

    _regions = field_validator("regions", mode="before")(
        lambda v: v if v in (None, "all") else _split_list(v)
    )
    _months = field_validator("months", mode="before")(_month_list)

    @field_validator("months")
    @classmethod
    def _month_range(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 1 <= m <= 12 for m in value):
            raise ValueError("months must be 1..12")
        return value

    def resolved(self) -> tuple[list[str] | Literal["all"], list[int], float]:
        """Regions, months and factor after applying the preset (explicit values win)."""
        regions, months, factor = DROUGHT_PRESETS.get(self.preset or "", ("all", None, None))
        return (
            self.regions if self.regions is not None else regions,
            self.months if self.months is not None else (months or list(range(1, 13))),
            self.factor if self.factor is not None else (0.5 if factor is None else factor),
        )


class Heatwave(_Window):
    """Demand x ``(1 + increase)`` over the window in ``regions``."""

    test: Literal["heatwave"] = "heatwave"
    increase: float = Field(0.1, ge=0, le=2)
    start: str | None = "06-01"
    days: int | None = Field(14, ge=1, le=366)
    regions: list[str] | Literal["all"] = "all"

    _regions = field_validator("regions", mode="before")(
        lambda v: v if v == "all" else _split_list(v)
    )


class CorridorOutage(_Spec):
    """N-1: ``circuits_lost`` circuits of ``corridor`` out for the year:
    ``fcap0, fcapmax x (circuits - circuits_lost) / circuits``."""

    test: Literal["corridor_outage"] = "corridor_outage"
    corridor: str = "north-north_central"
    circuits_lost: int = Field(1, ge=1)


class ImportCut(_Window):
    """Imports from ``source`` (laos, china or both) x ``factor`` over the window."""

    test: Literal["import_cut"] = "import_cut"
    source: Literal["laos", "china", "both"] = "both"
    factor: float = Field(0.0, ge=0, le=1)


class CoalShortfall(_Window):
    """Coal plant availability x ``factor`` over the window (fuel supply shortfall)."""

    test: Literal["coal_shortfall"] = "coal_shortfall"
    factor: float = Field(0.7, ge=0, le=1)
    regions: list[str] | Literal["all"] = "all"

    _regions = field_validator("regions", mode="before")(
        lambda v: v if v == "all" else _split_list(v)
    )


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


def _window_mask(system: xr.Dataset, spec: _Window, field: str) -> np.ndarray:
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
    """``availability[g, t] *= factor`` for coal groups in the regions over the window."""
    known = [str(r) for r in system["region"].values]
    regions = _pick(spec.regions, known, f"{field}.regions", "region")
    steps = _window_mask(system, spec, field)
    return _scale_availability(system, _gen_mask(system, ["coal"], regions), steps, spec.factor)


#: Test name -> (parameter model, transform). Register new tests here.
REGISTRY: dict[str, tuple[type[_Spec], Callable[[xr.Dataset, Any, str], xr.Dataset]]] = {
    "lng_disruption": (LngDisruption, lng_disruption),
    "drought": (Drought, drought),
    "heatwave": (Heatwave, heatwave),
    "corridor_outage": (CorridorOutage, corridor_outage),
    "import_cut": (ImportCut, import_cut),
    "coal_shortfall": (CoalShortfall, coal_shortfall),
}


# ------------------------------------------------------------------------------ public API


def _validate_one(spec: Any, i: int) -> _Spec:
    where = f"stress[{i}]"
    if isinstance(spec, _Spec):
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


def _describe(model: type[_Spec], key: str) -> str:
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
