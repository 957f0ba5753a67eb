"""Writing an assessment: ``{stem}.nc`` and ``{stem}.json``, each atomically."""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from energy_sim.outputs import atomic_write
from energy_sim.security.adequacy.summary import assessment_summary

__all__ = ["atomic_write", "write_assessment"]


def write_assessment(ds: xr.Dataset, out_dir: str | Path, stem: str = "assessment") -> list[Path]:
    """Write ``{stem}.nc`` and ``{stem}.json`` into ``out_dir``, each atomically.

    Both carry the provenance attrs of ``ds`` (the JSON under ``"provenance"``, see
    :func:`~energy_sim.security.adequacy.summary.assessment_summary`), among them ``plan_run_id``, the
    plan the assessment belongs to.

    Returns
    -------
    list of Path
        The two files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nc, js = out / f"{stem}.nc", out / f"{stem}.json"
    encoded = ds.copy()
    for var in encoded.data_vars:
        if encoded[var].dtype == bool:
            encoded[var] = encoded[var].astype("int8")
    atomic_write(nc, lambda p: encoded.to_netcdf(p, engine="h5netcdf"))
    text = json.dumps(assessment_summary(ds), indent=2, default=float)
    atomic_write(js, lambda p: p.write_text(text + "\n"))
    return [nc, js]
