"""The plan an assessment operates: reading it, its capacities on the System's labels, and the
planning indicators that follow from capacities alone (reserve margin, LNG tank days)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from energy_sim.errors import InputError

__all__ = ["lng_tank_days", "load_plan", "plan_capacities", "reserve_margin"]


def load_plan(path: str | Path) -> xr.Dataset:
    """Read a plan (``results.nc`` of ``energy-sim run``) into memory.

    Raises
    ------
    InputError
        When the file is missing, unreadable, or has no ``capacity_mw``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "plan file not found", field="--plan", value=str(path), allowed="a results.nc file"
        )
    try:
        with xr.open_dataset(path) as ds:
            plan = ds.load()
    except (OSError, ValueError) as err:
        raise InputError(
            f"cannot read the plan ({err})", field="--plan", value=str(path), allowed="NetCDF"
        ) from None
    if "capacity_mw" not in plan:
        raise InputError(
            "not a plan: no capacity_mw variable",
            field="--plan",
            value=str(path),
            allowed="results.nc written by energy-sim run",
        )
    return plan


def _aligned(system: xr.Dataset, plan: xr.Dataset | None, var: str, dim: str, default: str):
    """``plan[var]`` on the System's ``dim`` labels, or the System's ``default`` without a plan."""
    if plan is None or var not in plan:
        if default not in system:  # e.g. a System without storage or LNG hubs
            return np.zeros(system.sizes.get(dim, 0))
        return np.asarray(system[default].values, dtype=float)
    have = {str(x) for x in plan[dim].values}
    need = [str(x) for x in system[dim].values]
    missing = [x for x in need if x not in have]
    if missing:
        raise InputError(
            "the plan does not match the scenario",
            field=f"plan {var}",
            value=missing[0],
            allowed=f"a plan of the same scenario ({dim} labels of the System)",
        )
    return np.asarray(plan[var].sel({dim: need}).values, dtype=float)


def plan_capacities(system: xr.Dataset, plan: xr.Dataset | None) -> dict[str, np.ndarray]:
    """Capacities the assessment uses: the plan's, or the System's existing ones."""
    return {
        "capacity_mw": _aligned(system, plan, "capacity_mw", "gen", "cap0_mw"),
        "storage_power_mw": _aligned(system, plan, "storage_power_mw", "storage", "pcap0_mw"),
        "tank_mwh_th": _aligned(system, plan, "tank_mwh_th", "hub", "tank0_mwh_th"),
    }


def reserve_margin(system: xr.Dataset, plan: xr.Dataset | None) -> float:
    """Achieved planning reserve margin ``(sum credit*cap + sum credit_s*pcap) / peak - 1``.

    ``peak = max_t sum_r demand[r, t]`` (coincident) of the System as given (stresses included).
    """
    caps = plan_capacities(system, plan)
    firm = float((system["capacity_credit"].values * caps["capacity_mw"]).sum())
    if "storage" in system.dims and system.sizes["storage"]:
        credit = system["storage_capacity_credit"].values
        firm += float((credit * caps["storage_power_mw"]).sum())
    peak = float(system["demand_mw"].sum("region").max())
    return firm / peak - 1.0


#: LNG plant capacity (MW_th of burn at a hub) below which a plan has none: an interior point
#: leaves ~1e-4 MW on groups it does not build, which gave 54 million days of cover.
NO_LNG_BURN_MW_TH = 0.1


def lng_tank_days(system: xr.Dataset, plan: xr.Dataset | None) -> np.ndarray:
    """Days of cover of each hub's tank: ``tank / (24 * sum_{g LNG at n} cap_g / eff_g)``
    (``inf`` where no LNG plant draws on the hub, or less than :data:`NO_LNG_BURN_MW_TH`)."""
    if "hub" not in system.dims or system.sizes["hub"] == 0:
        return np.zeros(0)
    caps = plan_capacities(system, plan)
    gen_hub = np.asarray(system["gen_hub"].values).astype(str)
    is_lng = np.asarray(system["is_lng"].values, dtype=bool)
    burn = caps["capacity_mw"] / np.maximum(system["efficiency"].values, 1e-9)
    daily = np.array(
        [24.0 * burn[(gen_hub == str(h)) & is_lng].sum() for h in system["hub"].values]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(daily > 24.0 * NO_LNG_BURN_MW_TH, caps["tank_mwh_th"] / daily, np.inf)
