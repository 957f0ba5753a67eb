"""The JSON summary of an assessment (:func:`assessment_summary`), strict JSON (no NaN)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["assessment_summary"]


def assessment_summary(ds: xr.Dataset) -> dict[str, Any]:
    """The JSON summary of an assessment.

    Top level: system-wide ``lole_h``, ``eue_mwh``, ``eue_ppm`` (each with ``_se``), ``lolp``,
    the reserve margin; then ``by_region``, ``regions_shedding``, ``when`` (LOLE by month and
    hour of day), ``verdict`` (Resolution 70 indicators), ``convergence``, ``options`` and
    ``provenance`` (the attrs of :data:`energy_sim.outputs.PROVENANCE_KEYS` that ``ds`` has,
    but the scenario text: which plan, scenario, seed, command and version made it).
    """
    from energy_sim.outputs import PROVENANCE_KEYS

    def num(x: Any) -> float | None:
        value = float(x)
        return None if math.isnan(value) else value

    regions = [str(r) for r in ds["region"].values]
    by_region = {
        r: {
            name: num(ds[name].sel(region=r))
            for name in ("lole_h", "lole_h_se", "eue_mwh", "eue_mwh_se", "eue_ppm", "lolp")
        }
        for r in regions
    }
    month = ds["lole_system_by_month_h"].values
    hour = ds["lole_system_by_hour_h"].values
    stress = json.loads(ds.attrs.get("stress", "[]") or "[]")
    from energy_sim.security.stress import stress_label

    summary: dict[str, Any] = {
        "name": " + ".join(stress_label(s) for s in stress) or "adequacy",
        "kind": "assessment",
        "scenario": ds.attrs.get("scenario", ""),
        "stress": stress,
        "n_samples": int(ds.attrs["n_samples"]),
        "seed": ds.attrs.get("seed"),
        "lole_h": num(ds["lole_system_h"]),
        "lole_h_se": num(ds["lole_system_h_se"]),
        "eue_mwh": num(ds["eue_system_mwh"]),
        "eue_mwh_se": num(ds["eue_system_mwh_se"]),
        "eue_ppm": num(ds["eue_system_ppm"]),
        "eue_ppm_se": num(ds["eue_system_ppm_se"]),
        "lolp": num(ds["lolp_system"]),
        "loss_of_load_year_probability": num(ds["loss_of_load_year_probability"]),
        "reserve_margin_achieved": num(ds["reserve_margin_achieved"]),
        "convergence": {
            "converged": bool(ds.attrs.get("converged")),
            "eue_relative_se": num(ds.attrs.get("eue_relative_se", float("nan"))),
            "rel_tol": ds.attrs.get("rel_tol"),
            "min_samples": ds.attrs.get("min_samples_converged"),
        },
        "by_region": by_region,
        "regions_shedding": [r for r in regions if by_region[r]["lole_h"]],
        "when": {
            "lole_by_month_h": {m: float(v) for m, v in zip(range(1, 13), month, strict=True)},
            "lole_by_hour_h": {h: float(v) for h, v in zip(range(24), hour, strict=True)},
        },
        "verdict": json.loads(ds.attrs.get("verdict", "{}")),
        "options": json.loads(ds.attrs.get("options", "{}")),
        "provenance": {
            key: _plain(ds.attrs[key])
            for key in PROVENANCE_KEYS
            if key in ds.attrs and key != "scenario_yaml"
        },
    }
    if "lng_days_of_cover_operated" in ds:
        summary["lng_days_of_cover_operated"] = {
            str(h): float(d)
            for h, d in zip(ds["hub"].values, ds["lng_days_of_cover_operated"].values, strict=True)
        }
    if "lng_tank_days_of_cover" in ds:
        summary["lng_days_of_cover"] = {
            str(h): float(d)
            for h, d in zip(ds["hub"].values, ds["lng_tank_days_of_cover"].values, strict=True)
        }
    return _json_safe(summary)


def _plain(x: Any) -> Any:
    """A NumPy scalar as the Python number it holds (attrs read back from NetCDF are NumPy)."""
    return x.item() if isinstance(x, np.generic) else x


def _json_safe(x: Any) -> Any:
    """NaN and infinity -> None (strict JSON), recursively."""
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, float | np.floating) and not math.isfinite(float(x)):
        return None
    return x
