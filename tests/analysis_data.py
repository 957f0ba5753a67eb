"""A synthetic but correctly shaped Results + System pair for the analysts' views.

Shapes and names follow docs/architecture.md exactly. The numbers are chosen so that the
regional balance holds step by step (generation + storage + net imports + shed = demand) and
every quantity the views compute has a value worked out here by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

REGIONS = [
    "north",
    "north_central",
    "central_central",
    "central_highlands",
    "south_central",
    "south",
]
GENS = [
    "north/coal",
    "north/hydro_reservoir",
    "north_central/wind_onshore",
    "north_central/import_laos",
    "central_central/coal",
    "central_highlands/hydro_reservoir",
    "central_highlands/solar_utility",
    "south_central/ccgt_lng",
    "south_central/solar_utility",
    "south/ccgt_lng",
    "south/solar_utility",
]
CLEAN = {"hydro_reservoir", "wind_onshore", "solar_utility", "import_laos"}
STORAGE = ["north/pumped_hydro", "south/battery_4h"]
CORRIDORS = [
    "north-north_central",
    "north_central-central_central",
    "central_central-central_highlands",
    "central_central-south_central",
    "central_highlands-south_central",
    "central_highlands-south",
    "south_central-south",
]
ETA = [0.968, 0.964, 0.975, 0.962, 0.976, 0.965, 0.970]
HUBS = ["son_my", "thi_vai"]
HUB_REGION = ["south_central", "south"]
TECHS = ["coal", "ccgt_lng", "hydro_reservoir", "wind_onshore", "solar_utility", "import_laos"]
TECHS_ALL = TECHS + ["pumped_hydro", "battery_4h"]


def _attrs(units: str, description: str) -> dict[str, str]:
    return {"units": units, "description": description}


def make_pair(
    scenario: str = "synthetic_2030",
    capacity_scale: float = 1.0,
    resolution_h: int = 3,
    shed_mw: float = 0.0,
) -> tuple[xr.Dataset, xr.Dataset]:
    """Return ``(results, system)`` of a six-region synthetic year at ``resolution_h`` hours.

    ``capacity_scale`` multiplies every capacity (a larger portfolio); ``shed_mw`` puts that
    much unserved energy into the south at the hour of system peak.
    """
    n = 8760 // resolution_h
    time = np.arange(n)
    stamps = pd.date_range("2030-01-01", periods=n, freq=f"{resolution_h}h")
    hour = stamps.hour.to_numpy() + resolution_h / 2
    day = stamps.day_of_year.to_numpy()
    base = np.array([24000, 5500, 3200, 2000, 4200, 26000], dtype=float)
    shape = (
        1.0
        + 0.15 * np.sin((hour - 8) / 24 * 2 * np.pi)
        + 0.1 * np.sin((day - 80) / 365 * 2 * np.pi)
    )
    demand = base[:, None] * shape[None, :]
    gen_region = np.array([g.split("/")[0] for g in GENS])
    gen_tech = np.array([g.split("/")[1] for g in GENS])
    cap = (
        capacity_scale
        * 1.6
        * np.array(
            [20000, 9000, 3000, 2000, 2500, 4000, 3000, 5000, 4000, 18000, 9000], dtype=float
        )
    )
    cap0 = np.minimum(
        cap, np.array([18000, 9000, 1000, 1500, 1200, 4000, 500, 1000, 500, 9000, 3000])
    )
    # flows: a fixed pattern, 40% of each corridor's capacity from a to b by day, 10% b to a at night
    fcap = np.array([5000, 3500, 6000, 400, 800, 5500, 10000], dtype=float)
    day_mask = (hour >= 6) & (hour < 18)
    fwd = np.where(day_mask[None, :], 0.4 * fcap[:, None], 0.0)
    rev = np.where(~day_mask[None, :], 0.1 * fcap[:, None], 0.0)
    a = np.array([c.split("-")[0] for c in CORRIDORS])
    b = np.array([c.split("-")[1] for c in CORRIDORS])
    eta = np.array(ETA)
    into = np.zeros((6, n))
    for i, r in enumerate(REGIONS):
        into[i] = ((b == r)[:, None] * (eta[:, None] * fwd - rev)).sum(0) + (
            (a == r)[:, None] * (eta[:, None] * rev - fwd)
        ).sum(0)
    # storage: the battery discharges 1000 MW from 18-21h and charges 1100 MW 10-13h
    pcap = capacity_scale * np.array([2400.0, 4000.0])
    dis = np.zeros((2, n))
    ch = np.zeros((2, n))
    dis[1, (hour >= 18) & (hour < 21)] = 1000.0
    ch[1, (hour >= 10) & (hour < 13)] = 1100.0
    storage_net = np.zeros((6, n))
    storage_net[5] = dis[1] - ch[1]
    shed = np.zeros((6, n))
    peak_t = int(np.argmax(demand.sum(0)))
    shed[5, peak_t] = shed_mw
    residual = demand - into - storage_net - shed
    gen = np.zeros((len(GENS), n))
    for i, r in enumerate(REGIONS):
        idx = np.flatnonzero(gen_region == r)
        share = cap[idx] / cap[idx].sum()
        gen[idx] = share[:, None] * residual[i][None, :]
    weight = np.ones(n)
    dt = np.full(n, float(resolution_h))
    h = weight * dt
    mc = np.array([{"coal": 40, "ccgt_lng": 90, "import_laos": 60}.get(t, 0.0) for t in gen_tech])
    co2_rate = np.array([{"coal": 0.9, "ccgt_lng": 0.35}.get(t, 0.0) for t in gen_tech])
    gen_mwh = (gen * h).sum(1)
    price = 50 + 40 * (shape - shape.min()) / (shape.max() - shape.min())
    price = np.repeat(price[None, :], 6, 0) * (1 + 0.05 * np.arange(6))[:, None]
    inv = np.stack(
        [
            3.0e6 + 1.0e6 * np.cos(day / 365 * 2 * np.pi),
            5.0e6 + 2.0e6 * np.sin(day / 365 * 2 * np.pi),
        ]
    )
    credit = np.array(
        [
            {"solar_utility": 0.0, "wind_onshore": 0.1, "hydro_reservoir": 0.8}.get(t, 0.9)
            for t in gen_tech
        ]
    )
    peak_r = demand.max(1)
    firm_r = np.array([(credit * cap)[gen_region == r].sum() for r in REGIONS])
    firm_r[0] += 0.7 * pcap[0]
    firm_r[5] += 0.9 * pcap[1]
    rm_region = firm_r / peak_r - 1.0
    rm_system = firm_r.sum() / demand.sum(0).max() - 1.0

    coords = {
        "region": REGIONS,
        "gen": GENS,
        "storage": STORAGE,
        "corridor": CORRIDORS,
        "hub": HUBS,
        "time": time,
        "gen_region": ("gen", gen_region),
        "gen_tech": ("gen", gen_tech),
        "storage_region": ("storage", [s.split("/")[0] for s in STORAGE]),
        "storage_tech": ("storage", [s.split("/")[1] for s in STORAGE]),
        "corridor_from": ("corridor", a),
        "corridor_to": ("corridor", b),
        "hub_region": ("hub", HUB_REGION),
        "timestamp": ("time", stamps),
    }
    cost = {
        "capex": float((cap - cap0).sum() * 80e3),
        "fom": float(cap.sum() * 20e3),
        "fuel_vom": float((mc * gen_mwh).sum()),
        "shed": float(shed_mw * resolution_h * 10000.0),
    }
    results = xr.Dataset(
        {
            "capacity_existing_mw": ("gen", cap0, _attrs("MW", "existing capacity")),
            "capacity_new_mw": ("gen", cap - cap0, _attrs("MW", "new capacity")),
            "capacity_mw": ("gen", cap, _attrs("MW", "installed capacity")),
            "storage_power_existing_mw": ("storage", np.minimum(pcap, 2400.0), _attrs("MW", "")),
            "storage_power_new_mw": ("storage", pcap - np.minimum(pcap, 2400.0), _attrs("MW", "")),
            "storage_power_mw": ("storage", pcap, _attrs("MW", "storage power")),
            "storage_energy_mwh": ("storage", pcap * np.array([8.0, 4.0]), _attrs("MWh", "")),
            "corridor_capacity_existing_mw": ("corridor", fcap, _attrs("MW", "")),
            "corridor_capacity_new_mw": ("corridor", np.zeros(7), _attrs("MW", "")),
            "corridor_capacity_mw": ("corridor", fcap, _attrs("MW", "transfer capacity")),
            "tank_existing_mwh_th": ("hub", [5.0e6, 8.0e6], _attrs("MWh_th", "")),
            "tank_new_mwh_th": ("hub", [0.0, 0.0], _attrs("MWh_th", "")),
            "tank_mwh_th": ("hub", [5.0e6, 8.0e6], _attrs("MWh_th", "tank")),
            "generation_mw": (("gen", "time"), gen, _attrs("MW", "generation")),
            "charge_mw": (("storage", "time"), ch, _attrs("MW", "")),
            "discharge_mw": (("storage", "time"), dis, _attrs("MW", "")),
            "soc_mwh": (("storage", "time"), np.zeros((2, n)), _attrs("MWh", "")),
            "flow_fwd_mw": (("corridor", "time"), fwd, _attrs("MW", "")),
            "flow_rev_mw": (("corridor", "time"), rev, _attrs("MW", "")),
            "shed_mw": (("region", "time"), shed, _attrs("MW", "")),
            "lng_send_out_mw_th": (("hub", "time"), np.zeros((2, n)), _attrs("MW_th", "")),
            "lng_inventory_mwh_th": (("hub", "time"), inv, _attrs("MWh_th", "")),
            "price_usd_per_mwh": (("region", "time"), price, _attrs("USD/MWh", "")),
            "generation_mwh": ("gen", gen_mwh, _attrs("MWh/yr", "")),
            "unserved_energy_mwh": ("region", (shed * h).sum(1), _attrs("MWh/yr", "")),
            "corridor_loss_mwh": (
                "corridor",
                ((1 - eta)[:, None] * (fwd + rev) * h).sum(1),
                _attrs("MWh/yr", ""),
            ),
            "co2_t": ("gen", co2_rate * gen_mwh, _attrs("tCO2/yr", "")),
            "cost_usd": ("cost_component", list(cost.values()), _attrs("USD/yr", "")),
            "reserve_margin_achieved": ((), rm_system, _attrs("1", "")),
            "reserve_margin_by_region": ("region", rm_region, _attrs("1", "")),
            "reserve_shortfall_mw": ((), 0.0, _attrs("MW", "")),
            "lng_days_of_cover": ("hub", [9.5, 21.0], _attrs("d", "")),
        },
        coords={**coords, "cost_component": list(cost)},
        attrs={
            "scenario": scenario,
            "status": "optimal",
            "objective_usd": float(sum(cost.values())),
            "build_s": 0.1,
            "handoff_s": 0.1,
            "solve_s": 0.2,
            "solver": "highs",
            "resolution": f"{resolution_h}h",
            "kind": "plan",
        },
    )
    system = xr.Dataset(
        {
            "dt_h": ("time", dt, _attrs("h", "")),
            "weight": ("time", weight, _attrs("1", "")),
            "demand_mw": (("region", "time"), demand, _attrs("MW", "demand")),
            "corridor_efficiency": ("corridor", eta, _attrs("1", "")),
            "reserve_days": ("hub", [10.0, 15.0], _attrs("d", "")),
            "build_min_mw": (
                "tech",
                [20000, 10000, 10000, 2000, 10000, 0, 2000, 4000],
                _attrs("MW", ""),
            ),
            "build_max_mw": (
                "tech",
                [31055, 30000, 34667, np.inf, 73416, 12100, 6000, 16300],
                _attrs("MW", ""),
            ),
            "reserve_margin_region": ("region", np.full(6, np.nan), _attrs("1", "")),
            "is_clean": ("gen", np.isin(gen_tech, list(CLEAN)), _attrs("1", "")),
        },
        coords={k: v for k, v in coords.items() if k not in ("cost_component",)}
        | {"tech": TECHS_ALL},
        attrs={
            "scenario": scenario,
            "year": 2030,
            "reserve_margin": 0.15,
            "clean_share_min": np.nan,
            "co2_cap_t": np.nan,
            "resolution": f"{resolution_h}h",
        },
    )
    return results, system


def kpis_of(results: xr.Dataset, system: xr.Dataset) -> dict:
    """The kpis.json fields of docs (issue 3), computed by hand for the synthetic pair."""
    h = (system["weight"] * system["dt_h"]).values
    demand = float((system["demand_mw"].sum("region").values * h).sum())
    techs = results["gen_tech"].values
    clean = float(results["generation_mwh"].values[np.isin(techs, list(CLEAN))].sum())
    total = float(results["cost_usd"].sum())
    cap_by_tech = results["capacity_mw"].groupby(results["gen_tech"]).sum().to_series().to_dict()
    new_by_tech = (
        results["capacity_new_mw"].groupby(results["gen_tech"]).sum().to_series().to_dict()
    )
    for s, t in zip(results["storage"].values, results["storage_tech"].values, strict=True):
        cap_by_tech[str(t)] = float(results["storage_power_mw"].sel(storage=s))
        new_by_tech[str(t)] = float(results["storage_power_new_mw"].sel(storage=s))
    return {
        "total_cost_usd": total,
        "cost_per_mwh_usd": total / demand,
        "reserve_margin": float(results["reserve_margin_achieved"]),
        "reserve_margin_by_region": results["reserve_margin_by_region"].to_series().to_dict(),
        "unserved_energy_mwh": float(results["unserved_energy_mwh"].sum()),
        "reserve_shortfall_mw": float(results["reserve_shortfall_mw"].sum()),
        "clean_share": clean / demand,
        "co2_t": float(results["co2_t"].sum()),
        "loss_rate": float(results["corridor_loss_mwh"].sum()) / demand,
        "lng_days_of_cover": results["lng_days_of_cover"].to_series().to_dict(),
        "new_capacity_mw": {str(k): float(v) for k, v in new_by_tech.items()},
        "total_capacity_mw": {str(k): float(v) for k, v in cap_by_tech.items()},
        "annual_demand_mwh": demand,
        "peak_demand_mw": float(system["demand_mw"].sum("region").max()),
        "status": results.attrs["status"],
        "build_s": 0.1,
        "handoff_s": 0.1,
        "solve_s": 0.2,
    }


def write_run(
    folder: Path, results: xr.Dataset, system: xr.Dataset, assessment: dict | None = None
) -> Path:
    """Write a run folder as ``energy-sim run`` does (results.nc, kpis.json), plus an assessment."""
    folder.mkdir(parents=True, exist_ok=True)
    results.to_netcdf(folder / "results.nc")
    (folder / "kpis.json").write_text(json.dumps(kpis_of(results, system), indent=1))
    if assessment is not None:
        (folder / "assessment.json").write_text(json.dumps(assessment, indent=1))
    return folder


def tiny6_system(
    steps: int = 48, scenario: str = "tiny6", capacity_scale: float = 1.0
) -> xr.Dataset:
    """A six-region System of the Vietnam shape (tests/factory.py) that the LP solves in ~0.2 s.

    Seven corridors with the DATA.md capacities and efficiencies, two LNG hubs, a battery,
    and national build ranges for coal, solar and the 4-hour battery.
    """
    from factory import corridor, gen, hub, store, tiny_system

    hod = np.arange(steps) % 24
    solar = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None)
    shape = 1 + 0.15 * np.sin((hod - 8) / 24 * 2 * np.pi)
    demand = np.array([24, 5.5, 3.2, 2.0, 4.2, 26.0])[:, None] * 1000 * shape[None, :]
    k = capacity_scale
    gens = [
        gen("north", "coal", cap0=15000, capmax=40000 * k, ann_capex=2e5, fom=4e4, mc=40, co2=0.9, credit=0.9),
        gen("north", "hydro_reservoir", cap0=9000, capmax=9000, credit=0.8, cf_month=0.5),
        gen("north_central", "wind_onshore", cap0=1000, capmax=8000 * k, ann_capex=1.2e5, credit=0.1, avail=0.3),
        gen("central_central", "coal", cap0=1000, capmax=4000 * k, ann_capex=2e5, fom=4e4, mc=42, co2=0.9, credit=0.9),
        gen("central_highlands", "solar_utility", cap0=1000, capmax=10000 * k, ann_capex=6e4, credit=0.0, avail=solar),
        gen("south_central", "ccgt_lng", cap0=1000, capmax=10000 * k, ann_capex=9e4, fom=2.8e4, mc=85, co2=0.35, eff=0.59, credit=0.9, hub="son_my"),
        gen("south", "ccgt_lng", cap0=9000, capmax=40000 * k, ann_capex=9e4, fom=2.8e4, mc=80, co2=0.35, eff=0.59, credit=0.9, hub="thi_vai"),
        gen("south", "solar_utility", cap0=3000, capmax=20000 * k, ann_capex=6e4, credit=0.0, avail=solar),
        gen("south", "ocgt", cap0=0, capmax=20000, ann_capex=5e4, fom=2e4, mc=150, co2=0.6, credit=0.9),
    ]  # fmt: skip
    sto = [store("south", "battery_4h", dur=4.0, eff_c=0.92, eff_d=0.92, pcap0=500, pcapmax=5000, capex_p=3e4, capex_e=1e4, credit=0.8)]  # fmt: skip
    cors = [
        corridor(a, b, fcap0=f, fcapmax=2 * f, eta=e, capex=2e4)
        for (a, b), f, e in zip(
            [tuple(c.split("-")) for c in CORRIDORS],
            [5000, 3500, 6000, 400, 800, 5500, 10000],
            ETA,
            strict=True,
        )
    ]
    hubs = [
        hub("son_my", "south_central", regas=20000, tank0=5e5, tankmax=2e6, capex=5.0, reserve_days=3.0),
        hub("thi_vai", "south", regas=40000, tank0=1e6, tankmax=4e6, capex=5.0, reserve_days=3.0),
    ]  # fmt: skip
    return tiny_system(
        regions=REGIONS,
        gens=gens,
        storage=sto,
        corridors=cors,
        hubs=hubs,
        demand=demand,
        reserve_margin=0.15,
        build_ranges={
            "coal": (10000, 31055),
            "solar_utility": (5000, None),
            "battery_4h": (1000, 16300),
        },
        scenario=scenario,
    )
