"""Runs as the analysts' views read them: a *run* is what ``energy-sim run`` leaves in a
folder — ``results.nc`` and ``kpis.json`` — plus whatever the assessment commands added there
(``dispatch.nc``, adequacy / stress summaries as JSON). :func:`load_run` reads such a folder (or
takes a Results dataset in memory) into a :class:`Run`; :func:`read_assessments` finds the
summaries that belong to the folder's plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.errors import InputError

#: Files of a run folder that are not adequacy summaries.
_NOT_ASSESSMENT = {"kpis.json"}


@dataclass
class Run:
    """One run: its Results, KPIs and any assessments found next to it.

    Attributes
    ----------
    name
        Label of the run (the folder name or the scenario attr).
    results
        The Results dataset (``kind="plan"``).
    kpis
        The KPI dict of ``kpis.json`` (or :func:`energy_sim.planning.kpis.kpis` of ``results``).
    path
        The run folder, if read from disk.
    system
        The System dataset if one was saved next to the run (``system.nc``) or passed in.
    assessments
        Adequacy summaries by name (``"adequacy"``, ``"lng_disruption"``, ...), each a mapping
        with at least ``lole_h`` and ``eue_mwh``.
    dispatch
        Monte Carlo dispatch Results (``dispatch.nc``) if present.
    warnings
        What in the folder was left out and why: an assessment or dispatch.nc made for another
        plan than ``results.nc`` (a reused folder), one line each.
    """

    name: str
    results: xr.Dataset
    kpis: dict[str, Any]
    path: Path | None = None
    system: xr.Dataset | None = None
    assessments: dict[str, dict[str, Any]] = field(default_factory=dict)
    dispatch: xr.Dataset | None = None
    warnings: list[str] = field(default_factory=list)


def plan_id_of(payload: Mapping[str, Any] | xr.Dataset) -> str:
    """The ``plan_run_id`` an assessment (JSON summary) or dispatch Results names ("" if none)."""
    if isinstance(payload, xr.Dataset):
        return str(payload.attrs.get("plan_run_id", ""))
    prov = payload.get("provenance")
    return str(prov.get("plan_run_id", "")) if isinstance(prov, Mapping) else ""


def _open(path: Path) -> xr.Dataset:
    try:
        return xr.load_dataset(path)
    except (OSError, ValueError) as err:
        raise InputError(
            f"cannot read NetCDF file ({err.__class__.__name__})",
            file=path,
            allowed="a NetCDF file written by energy-sim",
        ) from None


def _kpis_of(results: xr.Dataset) -> dict[str, Any]:
    """KPIs of a Results: a plan's, or a pathway's per period."""
    if "period" in results.dims:
        from energy_sim.planning.pathway import period_kpis

        return dict(period_kpis(results))
    from energy_sim.planning.kpis import kpis

    return dict(kpis(results))


def find_adequacy(payload: Any) -> dict[str, Any] | None:
    """The adequacy part of a JSON summary: the mapping that carries ``lole``/``eue`` keys."""
    if not isinstance(payload, Mapping):
        return None
    keys = {k.lower() for k in payload}
    if any(k.startswith("lole") for k in keys) and any(k.startswith("eue") for k in keys):
        return dict(payload)
    for key in ("adequacy", "summary", "metrics", "system"):
        if key in payload:
            found = find_adequacy(payload[key])
            if found is not None:
                return {**found, **{k: v for k, v in payload.items() if k != key}}
    return None


def read_assessments(
    folder: Path, run_id: str | None = None, warnings: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Every adequacy / stress summary (JSON with LOLE and EUE) in a run folder, by name.

    The name is the summary's ``name``/``test``/``stress`` field if it has one, else the file
    stem; when two files carry the same name, both are kept under their file stems. Files that
    are not such summaries are ignored. With ``run_id`` (the ``run_id`` of the folder's
    results.nc), a summary whose ``provenance.plan_run_id`` differs was made for another plan:
    it is left out and a line saying so is appended to ``warnings``.
    """
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(folder.rglob("*.json")):
        if path.name in _NOT_ASSESSMENT:
            continue
        try:
            payload = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        summary = find_adequacy(payload)
        if summary is None:
            continue
        rel = path.relative_to(folder).with_suffix("")
        if run_id is not None and plan_id_of(summary) != run_id:
            if warnings is not None:
                warnings.append(
                    f"{path.relative_to(folder)} was made for another plan "
                    f"({plan_id_of(summary) or 'not recorded'}; results.nc is "
                    f"{run_id or 'not recorded'}): left out"
                )
            continue
        name = summary.get("name") or summary.get("test") or summary.get("stress")
        if isinstance(name, list):
            name = "+".join(map(str, name))
        key = str(name) if name else str(rel).replace("/", ":")
        if key in found:  # two results of one name: neither may hide the other
            other_path, other = found.pop(key)
            found[str(other_path.relative_to(folder).with_suffix("")).replace("/", ":")] = (
                other_path,
                other,
            )
            key = str(rel).replace("/", ":")
        found[key] = (path, summary)
    return {key: summary for key, (_path, summary) in found.items()}


def load_run(run: str | Path | xr.Dataset | Run, name: str | None = None) -> Run:
    """Read a run folder (or wrap a Results dataset) into a :class:`Run`.

    Assessments and dispatch.nc that name another plan than the folder's results.nc (its
    ``run_id``; files from before plans had one count as matching each other) are left out and
    listed in :attr:`Run.warnings`.

    Raises
    ------
    InputError
        The path does not exist or holds no ``results.nc``.
    """
    if isinstance(run, Run):
        if name:
            run.name = name
        return run
    if isinstance(run, xr.Dataset):
        label = name or str(run.attrs.get("scenario") or "run")
        return Run(label, run, _kpis_of(run))
    folder = Path(run)
    if folder.is_file() and folder.suffix == ".nc":
        folder = folder.parent
    results_path = folder / "results.nc"
    if not results_path.is_file():
        raise InputError(
            "not a run folder: no results.nc in it" if folder.is_dir() else "no such folder",
            file=folder,
            allowed="a folder written by `energy-sim run SCENARIO --out DIR`",
        )
    results = _open(results_path)
    kpis_path = folder / "kpis.json"
    if kpis_path.is_file():
        try:
            kpis = json.loads(kpis_path.read_text())
        except ValueError:
            raise InputError("kpis.json is not valid JSON", file=kpis_path) from None
    else:
        kpis = _kpis_of(results)
    system = _open(folder / "system.nc") if (folder / "system.nc").is_file() else None
    run_id = str(results.attrs.get("run_id", ""))
    warnings: list[str] = []
    dispatch = _open(folder / "dispatch.nc") if (folder / "dispatch.nc").is_file() else None
    if dispatch is not None and plan_id_of(dispatch) != run_id:
        warnings.append(
            f"dispatch.nc was made for another plan ({plan_id_of(dispatch) or 'not recorded'}; "
            f"results.nc is {run_id or 'not recorded'}): left out"
        )
        dispatch = None
    return Run(
        name=name or folder.name or str(results.attrs.get("scenario", "run")),
        results=results,
        kpis=kpis,
        path=folder,
        system=system,
        assessments=read_assessments(folder, run_id, warnings),
        dispatch=dispatch,
        warnings=warnings,
    )


def load_runs(
    runs: Sequence[str | Path | xr.Dataset | Run], names: Sequence[str] | None = None
) -> list[Run]:
    """:func:`load_run` over several runs; names default to folder names, made unique."""
    if names is not None and len(names) != len(runs):
        raise InputError(
            "need one name per run",
            field="names",
            value=len(names),
            allowed=f"{len(runs)} names",
        )
    loaded = [load_run(r, names[i] if names else None) for i, r in enumerate(runs)]
    seen: dict[str, int] = {}
    for run in loaded:
        if run.name in seen:
            seen[run.name] += 1
            run.name = f"{run.name} ({seen[run.name]})"
        else:
            seen[run.name] = 1
    return loaded


def number(value: Any) -> float:
    """A KPI as a float: dicts (by hub / region) give their minimum, None gives NaN."""
    if value is None:
        return float("nan")
    if isinstance(value, Mapping):
        vals = [number(v) for v in value.values()]
        vals = [v for v in vals if np.isfinite(v)]
        return min(vals) if vals else float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
