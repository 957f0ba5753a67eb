"""Key indicators of a Results dataset (plan or dispatch) and the shortfall report: what
``kpis.json``, the CLI's tables and the dashboard read (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr


def _mean(da: xr.DataArray) -> xr.DataArray:
    return da.mean("sample") if "sample" in da.dims else da


def _by_tech(results: xr.Dataset, gen_var: str, sto_var: str) -> dict[str, float]:
    out: dict[str, float] = {}
    if gen_var in results:
        da = _mean(results[gen_var])
        for tech, v in zip(results["gen_tech"].values, da.values, strict=True):
            out[str(tech)] = out.get(str(tech), 0.0) + float(v)
    if sto_var in results:
        da = _mean(results[sto_var])
        for tech, v in zip(results["storage_tech"].values, da.values, strict=True):
            out[str(tech)] = out.get(str(tech), 0.0) + float(v)
    return out


def _f(x: Any) -> float:
    x = float(x)
    return x if np.isfinite(x) else float("nan")


def _total(r: xr.Dataset, name: str) -> float:
    """Sum over regions of an annual per-region variable (sample mean); 0 when absent
    (demand response off)."""
    return float(_mean(r[name]).sum()) if name in r else 0.0


def kpis(results: xr.Dataset) -> dict[str, Any]:
    """Key indicators of a Results dataset (plan or dispatch; a ``sample`` dim is averaged).

    Returns a JSON-ready dict with: ``total_cost_usd``, ``cost_per_mwh_usd`` (total cost /
    annual demand), ``reserve_margin``, ``reserve_margin_by_region``, ``unserved_energy_mwh``,
    ``reserve_shortfall_mw`` (system + regional), ``clean_share`` (clean generation / demand),
    ``co2_t``, ``loss_rate`` (corridor losses / annual demand), ``td_loss_rate`` and
    ``td_loss_mwh`` (transmission and distribution losses inside the regions, the System's
    ``td_loss_rate`` x busbar demand, / annual demand), ``grid_loss_rate`` (both / annual
    demand), ``lng_days_of_cover`` (minimum
    over hubs) and ``lng_days_of_cover_by_hub``, ``new_capacity_mw`` and ``total_capacity_mw``
    by technology, ``dr_shifted_mwh``, ``dr_interrupted_mwh`` and ``dr_cost_usd`` (demand
    response, 0 when off), ``annual_demand_mwh``, ``peak_demand_mw`` (coincident), ``status``,
    ``build_s``, ``handoff_s``, ``solve_s``.
    """
    r = results
    wdt = (r["weight"] * r["dt_h"]) if "weight" in r and "dt_h" in r else None

    def annual(name: str) -> float:
        if name not in r or wdt is None:
            return float("nan")
        return float(_mean((r[name] * wdt).sum()))

    demand_mwh = annual("demand_mw")
    if "peak_demand_mw" in r:
        peak = float(_mean(r["peak_demand_mw"]))
    elif "demand_mw" in r:
        peak = float(_mean(r["demand_mw"].sum("region")).max())
    else:
        peak = float("nan")
    if "cost_usd" in r:
        total_cost = float(_mean(r["cost_usd"]).sum())
    else:
        total_cost = float(r.attrs.get("objective_usd", float("nan")))
    if "unserved_energy_mwh" in r:
        ue = float(_mean(r["unserved_energy_mwh"]).sum())
    else:
        ue = annual("shed_mw")
    if "generation_mwh" in r:
        gen_mwh = _mean(r["generation_mwh"])
    elif "generation_mw" in r and wdt is not None:
        gen_mwh = _mean((r["generation_mw"] * wdt).sum("time"))
    else:
        gen_mwh = None
    clean = (
        float(gen_mwh.where(r["is_clean"].astype(bool), 0.0).sum()) / demand_mwh
        if gen_mwh is not None and "is_clean" in r and demand_mwh > 0
        else float("nan")
    )
    if "co2_t" in r:
        co2 = float(_mean(r["co2_t"]).sum())
    else:
        co2 = float("nan")
    loss = float(_mean(r["corridor_loss_mwh"]).sum()) if "corridor_loss_mwh" in r else float("nan")
    td_loss = float("nan")  # T&D losses inside the regions: rate x busbar demand (constraint 10)
    if "td_loss_rate" in r and "demand_mw" in r and wdt is not None:
        by_region = _mean((r["demand_mw"] * wdt).sum("time"))
        td_loss = float((by_region * r["td_loss_rate"]).sum())
    short = 0.0
    for name in ("reserve_shortfall_mw", "reserve_shortfall_region_mw"):
        if name in r:
            short += float(_mean(r[name]).sum())
    cover = {}
    if "lng_days_of_cover" in r:
        for h, v in zip(r["hub"].values, _mean(r["lng_days_of_cover"]).values, strict=True):
            cover[str(h)] = _f(v)
    finite = [v for v in cover.values() if np.isfinite(v)]
    coal_days = {}
    if "coal_stock_days" in r:
        for reg, v in zip(r["region"].values, _mean(r["coal_stock_days"]).values, strict=True):
            if np.isfinite(v):
                coal_days[str(reg)] = _f(v)
    rm_reg = {}
    if "reserve_margin_by_region" in r:
        for reg, v in zip(
            r["region"].values, _mean(r["reserve_margin_by_region"]).values, strict=True
        ):
            rm_reg[str(reg)] = _f(v)
    return {
        "scenario": str(r.attrs.get("scenario", "")),
        "kind": str(r.attrs.get("kind", "")),
        "status": str(r.attrs.get("status", "unknown")),
        "total_cost_usd": total_cost,
        "cost_per_mwh_usd": total_cost / demand_mwh if demand_mwh > 0 else float("nan"),
        "reserve_margin": _f(_mean(r["reserve_margin_achieved"])) if "reserve_margin_achieved" in r else float("nan"),
        "reserve_margin_by_region": rm_reg,
        "unserved_energy_mwh": ue,
        "reserve_shortfall_mw": short,
        "clean_share": clean,
        "co2_t": co2,
        "loss_rate": loss / demand_mwh if demand_mwh > 0 else float("nan"),
        "td_loss_rate": td_loss / demand_mwh if demand_mwh > 0 else float("nan"),
        "td_loss_mwh": td_loss,
        "grid_loss_rate": (td_loss + loss) / demand_mwh if demand_mwh > 0 else float("nan"),
        "lng_days_of_cover": min(finite) if finite else float("nan"),
        "lng_days_of_cover_by_hub": cover,
        "coal_stock_days": min(coal_days.values()) if coal_days else float("nan"),
        "coal_stock_days_by_region": coal_days,
        "dr_shifted_mwh": _total(r, "dr_shifted_mwh"),
        "dr_interrupted_mwh": _total(r, "dr_interrupted_mwh"),
        "dr_cost_usd": _total(r, "dr_cost_usd"),
        "new_capacity_mw": _by_tech(r, "capacity_new_mw", "storage_power_new_mw"),
        "total_capacity_mw": _by_tech(r, "capacity_mw", "storage_power_mw"),
        "annual_demand_mwh": demand_mwh,
        "peak_demand_mw": peak,
        "build_s": float(r.attrs.get("build_s", float("nan"))),
        "handoff_s": float(r.attrs.get("handoff_s", float("nan"))),
        "solve_s": float(r.attrs.get("solve_s", float("nan"))),
    }  # fmt: skip


def noise_tolerance_mw(results: xr.Dataset) -> float:
    """Shed or shortfall per step below which a value is solver noise, MW:
    ``max(1e-3, 1e-6 * peak demand)``, the tolerance of the balance check in
    :func:`check_invariants`."""
    r = results
    if "peak_demand_mw" in r:
        peak = float(r["peak_demand_mw"].max())
    elif "demand_mw" in r:
        peak = float(r["demand_mw"].sum("region").max())
    else:
        peak = 0.0
    return max(1e-3, 1e-6 * peak)


def shortfall_report(results: xr.Dataset, tol_mw: float | None = None) -> list[str]:
    """Where, when and how much load is shed and reserve is short (one line each; [] if none).

    A ``sample`` dim is averaged. Shed and shortfall below ``tol_mw`` MW are solver noise and
    ignored; by default ``tol_mw = max(1e-3, 1e-6 * peak demand)``, the tolerance of the
    balance check in :func:`check_invariants` (an interior point without crossover leaves
    ~1e-3 MW in every step).
    """
    r = results
    if tol_mw is None:
        tol_mw = noise_tolerance_mw(r)
    lines: list[str] = []
    if "shed_mw" in r:
        shed = _mean(r["shed_mw"]).transpose("region", "time")
        wdt = (r["weight"] * r["dt_h"]).values if "weight" in r else np.ones(r.sizes["time"])
        stamps = r["timestamp"].values if "timestamp" in r.coords else r["time"].values
        for i, reg in enumerate(r["region"].values):
            x = shed.values[i]
            hit = np.flatnonzero(x > tol_mw)
            if len(hit):
                lines.append(
                    f"unserved energy in {reg}: {float(x @ wdt):,.1f} MWh/yr over {len(hit)} steps "
                    f"(peak {float(x.max()):,.1f} MW at {stamps[hit[np.argmax(x[hit])]]}; "
                    f"first {stamps[hit[0]]}, last {stamps[hit[-1]]})"
                )
    if "reserve_shortfall_mw" in r:
        short = float(_mean(r["reserve_shortfall_mw"]))
        if short > tol_mw:
            lines.append(f"system reserve margin short by {short:,.1f} MW of firm capacity")
    if "reserve_shortfall_region_mw" in r:
        for reg, v in zip(
            r["region"].values, _mean(r["reserve_shortfall_region_mw"]).values, strict=True
        ):
            if float(v) > tol_mw:
                lines.append(
                    f"reserve margin in {reg} short by {float(v):,.1f} MW of firm capacity"
                )
    return lines
