"""What a System holds, in tables: the ones ``energy-sim validate`` prints
(:func:`system_summary`) and the System's demand against the year's published pair
(:func:`demand_vs_pair`).
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from energy_sim.inputs.system import DEMAND_BASIS


def system_summary(system: xr.Dataset) -> dict[str, pd.DataFrame]:
    """Tables that ``energy-sim validate`` prints.

    Returns
    -------
    dict
        ``regions`` (annual demand TWh, own peak GW, existing and maximum capacity GW),
        ``national`` (annual demand TWh, coincident peak GW, load factor, demand basis),
        ``capacity`` (existing capacity by technology, MW, and the national build range),
        ``corridors`` (MW, km, efficiency, kV, maximum MW), ``hubs`` (LNG hubs).
        Annual energy is ``sum_t weight*dt_h*demand``; peaks are the hourly ones when the
        System carries ``peak_demand_mw`` (otherwise the maximum over the steps).
    """
    w = (system["weight"] * system["dt_h"]).to_numpy()
    demand = system["demand_mw"].transpose("region", "time").to_numpy()
    energy = demand @ w / 1e6
    if "peak_demand_region_mw" in system:
        peak_r = system["peak_demand_region_mw"].to_numpy()
        peak = float(system["peak_demand_mw"])
    else:
        peak_r = demand.max(axis=1)
        peak = float(demand.sum(axis=0).max())
    regions = [str(r) for r in system["region"].values]
    gen_region = system["gen_region"].to_numpy().astype(str)
    cap0 = system["cap0_mw"].to_numpy()
    capmax = system["capmax_mw"].to_numpy()
    reg = pd.DataFrame(
        {
            "demand_twh": energy,
            "peak_gw": peak_r / 1e3,
            "existing_gw": [cap0[gen_region == r].sum() / 1e3 for r in regions],
            "max_gw": [capmax[gen_region == r].sum() / 1e3 for r in regions],
        },
        index=pd.Index(regions, name="region"),
    )
    national = pd.DataFrame(
        {
            "demand_twh": [float(energy.sum())],
            "coincident_peak_gw": [peak / 1e3],
            "load_factor": [float(energy.sum() * 1e6 / (8760.0 * peak))],
            "basis": [system.attrs.get("demand_basis", DEMAND_BASIS)],
        },
        index=pd.Index(["Vietnam"], name="system"),
    )
    gen_tech = pd.Series(system["gen_tech"].to_numpy().astype(str))
    cap = pd.Series(cap0).groupby(gen_tech).sum()
    sto_tech = pd.Series(system["storage_tech"].to_numpy().astype(str))
    cap = pd.concat([cap, pd.Series(system["pcap0_mw"].to_numpy()).groupby(sto_tech).sum()])
    techs = [str(t) for t in system["tech"].values]
    capacity = pd.DataFrame(
        {
            "existing_mw": cap.reindex(techs, fill_value=0.0),
            "build_min_mw": system["build_min_mw"].to_numpy(),
            "build_max_mw": system["build_max_mw"].to_numpy(),
        },
        index=pd.Index(techs, name="tech"),
    )
    corridors = pd.DataFrame(
        {
            "mw": system["fcap0_mw"].to_numpy(),
            "max_mw": system["fcapmax_mw"].to_numpy(),
            "km": system["length_km"].to_numpy(),
            "efficiency": system["corridor_efficiency"].to_numpy(),
            "kv": system["voltage_kv"].to_numpy(),
        },
        index=pd.Index([str(c) for c in system["corridor"].values], name="corridor"),
    )
    hubs = pd.DataFrame(
        {
            "region": system["hub_region"].to_numpy().astype(str),
            "regas_mw_th": system["regas_mw_th"].to_numpy(),
            "tank_gwh_th": system["tank0_mwh_th"].to_numpy() / 1e3,
            "tank_max_gwh_th": system["tankmax_mwh_th"].to_numpy() / 1e3,
            "reserve_days": system["reserve_days"].to_numpy(),
            "contract_twh_th": system["contract_mwh_th"].to_numpy() / 1e6,
        },
        index=pd.Index([str(h) for h in system["hub"].values], name="hub"),
    )
    return {
        "regions": reg,
        "national": national,
        "capacity": capacity,
        "corridors": corridors,
        "hubs": hubs,
    }


#: ``energy-sim validate`` warns when the System's energy or coincident peak is further than
#: this from the year's published (or interpolated) pair (issue 11: the 1 % rule).
PAIR_TOLERANCE = 0.01


def demand_vs_pair(system: xr.Dataset, tolerance: float = PAIR_TOLERANCE) -> pd.DataFrame:
    """The System's national demand next to the pair of its year and case.

    Energy ``E = sum_t weight*dt_h*sum_r demand[r,t]``, coincident peak ``P = max_t sum_r
    demand[r,t]`` (the hourly ``peak_demand_mw`` when the System carries it) and load factor
    ``E / (8760 P)``, each against the pair stored when the System was built
    (``pair_energy_twh``, ``pair_peak_mw``; :func:`energy_sim.inputs.data_year.demand_pair`), with the
    relative difference ``x / x_pair - 1``.

    Returns
    -------
    DataFrame indexed by ``energy_twh``, ``coincident_peak_mw``, ``load_factor`` with columns
    ``system``, ``pair``, ``diff_pct`` and ``warn`` (``|diff| > tolerance``); the pair's tag
    (published / interpolated / estimate) is in ``attrs["tag"]``. Empty when the System has
    no pair (built before issue 11 or by hand).
    """
    if "pair_peak_mw" not in system.attrs:
        return pd.DataFrame(columns=["system", "pair", "diff_pct", "warn"])
    national = system_summary(system)["national"].iloc[0]
    energy = float(national["demand_twh"])
    peak = float(national["coincident_peak_gw"]) * 1e3
    e_pair = float(system.attrs["pair_energy_twh"])
    p_pair = float(system.attrs["pair_peak_mw"])
    have = [energy, peak, energy * 1e6 / (8760.0 * peak)]
    want = [e_pair, p_pair, e_pair * 1e6 / (8760.0 * p_pair)]
    diff = [h / w - 1.0 for h, w in zip(have, want, strict=True)]
    table = pd.DataFrame(
        {
            "system": have,
            "pair": want,
            "diff_pct": [100.0 * d for d in diff],
            "warn": [abs(d) > tolerance for d in diff],
        },
        index=pd.Index(["energy_twh", "coincident_peak_mw", "load_factor"], name="figure"),
    )
    table.attrs["tag"] = str(system.attrs.get("pair_tag", ""))
    table.attrs["tolerance"] = float(tolerance)
    return table
