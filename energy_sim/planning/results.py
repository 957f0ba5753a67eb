"""LP solution -> Results dataset, KPIs, invariant checks and atomic NetCDF/JSON output.

:func:`from_solution` turns a solved model into the Results dataset of docs/architecture.md.
:func:`kpis` and :func:`check_invariants` work on any Results, the LP's or the dispatch core's
(which adds a ``sample`` dim; KPIs average over it, invariants are checked for every sample).
Besides the contract variables, a Results dataset carries copies of the System inputs it needs
to be read on its own: ``demand_mw``, ``dt_h``, ``weight``, ``is_clean``.
:func:`check_invariants` lives in :mod:`energy_sim.invariants` (no Pyomo) and is re-exported here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from energy_sim.inputs.contract import COST_COMPONENTS, LNG_SCALE
from energy_sim.inputs.reserves import coal_stores
from energy_sim.inputs.system_helpers import (
    dr_result_vars,
    firm_capacity,
    hub_of_gen,
    peaks,
    reserve_targets,
)
from energy_sim.invariants import check_invariants
from energy_sim.planning.kpis import kpis as compute_kpis

if TYPE_CHECKING:  # pragma: no cover
    import pyomo.environ as pyo

    from energy_sim.planning.model import LPData
    from energy_sim.planning.solve import Solution


def _attrs(units: str, desc: str) -> dict[str, str]:
    return {"units": units, "description": desc}


def _scatter(shape: tuple[int, int], idx: tuple[np.ndarray, np.ndarray], val: np.ndarray):
    out = np.zeros(shape)
    if len(val):
        out[idx] = val
    return out


def from_solution(
    system: xr.Dataset, m: pyo.ConcreteModel, sol: Solution, *, build_s: float = float("nan")
) -> xr.Dataset:
    """Build the Results dataset of a solved planning model.

    Prices are the balance duals divided by ``w*dt``; costs by component evaluate the terms
    each family registered in the objective, so ``cost_usd.sum() == objective_usd``.
    """
    d = m.es
    x = _solution_arrays(system, d, sol)
    cost = _costs(d, sol)
    sysv = system
    ds = xr.Dataset(
        {
            **_capacity_vars(d, x),
            **_operation_vars(d, x, cost),
            **_adequacy_vars(system, d, sol, x),
            **_coal_vars(system, d, sol, x),
            **_dr_vars(system, d, sol),
            "demand_mw": (
                ("region", "time"),
                d.arr("demand_mw"),
                _attrs("MW", "demand (copied from the System)"),
            ),
            "dt_h": ("time", d.dt, _attrs("h", "step duration")),
            "weight": ("time", d.w, _attrs("1", "weight of the step")),
            "is_clean": (
                "gen",
                np.asarray(sysv["is_clean"].values, bool),
                _attrs("1", "clean generation"),
            ),
        },
        coords={
            "region": sysv["region"].values,
            "gen": sysv["gen"].values,
            "gen_region": ("gen", sysv["gen_region"].values),
            "gen_tech": ("gen", sysv["gen_tech"].values),
            "storage": sysv["storage"].values,
            "storage_region": ("storage", sysv["storage_region"].values),
            "storage_tech": ("storage", sysv["storage_tech"].values),
            "corridor": sysv["corridor"].values,
            "corridor_from": ("corridor", sysv["corridor_from"].values),
            "corridor_to": ("corridor", sysv["corridor_to"].values),
            "hub": sysv["hub"].values,
            "time": sysv["time"].values,
            "cost_component": list(cost),
            "tech": sysv["tech"].values,
        },
    )
    return _carry_over(ds, system, d, sol, build_s)


def _carry_over(
    ds: xr.Dataset, system: xr.Dataset, d: LPData, sol: Solution, build_s: float
) -> xr.Dataset:
    """What the Results keep of the System (timestamps, hub regions, the targets and hourly
    peaks the views check a plan against, the stresses) and of the solve (status, objective,
    timings, size, notes)."""
    if "timestamp" in system.coords:
        ds = ds.assign_coords(timestamp=("time", system["timestamp"].values))
    if "hub_region" in system.coords:
        ds = ds.assign_coords(hub_region=("hub", system["hub_region"].values))
    # the targets the analysts' views check a plan against (docs/analysis.md)
    # and the hourly peaks the reserve margin is measured against (a coarse resolution's own
    # maximum would understate them)
    for name in (
        "build_min_mw",
        "build_max_mw",
        "corridor_efficiency",
        "reserve_days",
        "refill_days",
        "td_loss_rate",
        "td_loss_base_rate",
        "peak_demand_mw",
        "peak_demand_region_mw",
    ):
        if name in system:
            ds[name] = system[name]
    if "stress" in system.attrs:  # the stress tests the plan was made under
        ds.attrs["stress"] = system.attrs["stress"]
    targets = ("reserve_margin", "clean_share_min", "co2_cap_t")
    ds.attrs.update({k: float(system.attrs[k]) for k in targets if k in system.attrs})
    ds.attrs.update(
        scenario=str(system.attrs.get("scenario", "")),
        status=sol.status,
        objective_usd=float(sol.objective),
        build_s=float(build_s),
        handoff_s=float(sol.handoff_s),
        solve_s=float(sol.solve_s),
        solver=sol.solver,
        resolution=str(system.attrs.get("resolution", "")),
        kind="plan",
        n_variables=int(sol.n_cols),
        n_constraints=int(sol.n_rows),
        n_nonzeros=int(sol.n_nz),
        notes="; ".join(d.notes),
        reserve_margin=float(system.attrs.get("reserve_margin", np.nan)),
        clean_share_min=float(system.attrs.get("clean_share_min", np.nan)),
        co2_cap_t=float(system.attrs.get("co2_cap_t", np.nan)),
    )
    return ds


def _solution_arrays(system: xr.Dataset, d: LPData, sol: Solution) -> dict[str, np.ndarray]:
    """The LP's variables as the Results' arrays (zeros for absent families), LNG back in
    MWh_th, and the price ``dual(balance) / (w*dt)``."""
    T, R = d.T, d.R
    G, S = system.sizes["gen"], system.sizes["storage"]
    L, H = system.sizes["corridor"], system.sizes["hub"]
    val = sol.values
    x = {
        "cap": val(d.vars["cap"]),
        "pcap": val(d.vars["pcap"]),
        "fcap": val(d.vars["fcap"]),
        "tank": val(d.vars["tank"]) * LNG_SCALE if "tank" in d.vars else np.zeros(H),
        "gen": _scatter((G, T), d.index["p"], val(d.vars["p"])),
    }
    for family, names, n in (
        ("storage", ("ch", "dis", "soc"), S),
        ("corridor", ("fwd", "rev"), L),
        ("hub", ("send", "inv"), H),
    ):
        for k in names:
            x[k] = (
                _scatter((n, T), d.index[family], val(d.vars[k]))
                if family in d.index
                else np.zeros((n, T))
            )
    if "hub" in d.index:
        x["inv"] = x["inv"] * LNG_SCALE
    x["shed"] = val(d.vars["shed"]).reshape(R, T)
    con, ids = d.constraints["balance"]
    dual = np.full(R * T, np.nan)
    dual[ids] = sol.duals(con, ids)
    x["price"] = dual.reshape(R, T) / d.wdt[None, :]
    return x


def _costs(d: LPData, sol: Solution) -> dict[str, float]:
    """Annual cost by component: the terms each family registered, evaluated at the solution,
    plus the component's constant."""
    cost = {}
    for comp in COST_COMPONENTS:
        total = d.cost_constant.get(comp, 0.0)
        for t in d.cost.get(comp, []):
            total += float(np.asarray(t.coef) @ sol.values(t.var))
        cost[comp] = total
    return cost


def _capacity_vars(d: LPData, x: dict[str, np.ndarray]) -> dict[str, Any]:
    """Existing, new and total capacity of generators, storage, corridors and LNG tanks."""
    cap, pcap, fcap, tank = x["cap"], x["pcap"], x["fcap"], x["tank"]
    cap0, pcap0 = d.arr("cap0_mw"), d.arr("pcap0_mw")
    fcap0 = d.arr("fcap0_mw")
    tank0 = d.arr("tank0_mwh_th")
    return {
        "capacity_existing_mw": ("gen", cap0, _attrs("MW", "existing capacity")),
        "capacity_new_mw": ("gen", np.maximum(cap - cap0, 0.0), _attrs("MW", "new capacity")),
        "capacity_mw": ("gen", cap, _attrs("MW", "total installed capacity")),
        "storage_power_existing_mw": ("storage", pcap0, _attrs("MW", "existing storage power")),
        "storage_power_new_mw": (
            "storage",
            np.maximum(pcap - pcap0, 0.0),
            _attrs("MW", "new storage power"),
        ),
        "storage_power_mw": ("storage", pcap, _attrs("MW", "storage power")),
        "storage_energy_mwh": (
            "storage",
            d.arr("duration_h") * pcap,
            _attrs("MWh", "storage energy"),
        ),
        "corridor_capacity_existing_mw": (
            "corridor",
            fcap0,
            _attrs("MW", "existing transfer capacity"),
        ),
        "corridor_capacity_new_mw": (
            "corridor",
            np.maximum(fcap - fcap0, 0.0),
            _attrs("MW", "new transfer capacity"),
        ),
        "corridor_capacity_mw": (
            "corridor",
            fcap,
            _attrs("MW", "transfer capacity (each direction)"),
        ),
        "tank_existing_mwh_th": ("hub", tank0, _attrs("MWh_th", "existing LNG tank")),
        "tank_new_mwh_th": (
            "hub",
            np.maximum(tank - tank0, 0.0),
            _attrs("MWh_th", "new LNG tank"),
        ),
        "tank_mwh_th": ("hub", tank, _attrs("MWh_th", "LNG tank")),
    }


def _operation_vars(d: LPData, x: dict[str, np.ndarray], cost: dict[str, float]) -> dict[str, Any]:
    """The hourly operation, its annual sums (``x @ (w*dt)``) and the cost by component."""
    gen, ch, dis, soc, fwd, rev = (x[k] for k in ("gen", "ch", "dis", "soc", "fwd", "rev"))
    shed, send, inv, price = x["shed"], x["send"], x["inv"], x["price"]
    wdt = d.wdt
    eta = d.arr("corridor_efficiency")
    co2 = d.arr("co2_t_per_mwh")
    return {
        "generation_mw": (("gen", "time"), gen, _attrs("MW", "generation")),
        "charge_mw": (("storage", "time"), ch, _attrs("MW", "storage charge")),
        "discharge_mw": (("storage", "time"), dis, _attrs("MW", "storage discharge")),
        "soc_mwh": (("storage", "time"), soc, _attrs("MWh", "state of charge, end of step")),
        "flow_fwd_mw": (("corridor", "time"), fwd, _attrs("MW", "flow a->b, sent")),
        "flow_rev_mw": (("corridor", "time"), rev, _attrs("MW", "flow b->a, sent")),
        "shed_mw": (("region", "time"), shed, _attrs("MW", "unserved demand")),
        "lng_send_out_mw_th": (
            ("hub", "time"),
            send,
            _attrs("MW_th", "LNG regasification send-out"),
        ),
        "lng_inventory_mwh_th": (
            ("hub", "time"),
            inv,
            _attrs("MWh_th", "LNG in tanks, end of step"),
        ),
        "price_usd_per_mwh": (
            ("region", "time"),
            price,
            _attrs("USD/MWh", "regional marginal price (balance dual / (w*dt))"),
        ),
        "generation_mwh": ("gen", gen @ wdt, _attrs("MWh/yr", "annual generation")),
        "unserved_energy_mwh": (
            "region",
            shed @ wdt,
            _attrs("MWh/yr", "annual unserved energy"),
        ),
        "corridor_loss_mwh": (
            "corridor",
            (1.0 - eta) * ((fwd + rev) @ wdt),
            _attrs("MWh/yr", "annual corridor losses"),
        ),
        "co2_t": ("gen", co2 * (gen @ wdt), _attrs("tCO2/yr", "annual emissions")),
        "cost_usd": (
            "cost_component",
            np.array(list(cost.values())),
            _attrs("USD/yr", "annual cost by component"),
        ),
    }


def _dr_vars(system: xr.Dataset, d: LPData, sol: Solution) -> dict[str, Any]:
    """Demand response (MODEL.md constraint 9), only when the System has some: hourly load
    shifted up and down and interrupted (region x time) with their annual sums and cost."""
    if "dr_shift" not in d.index and "dr_ilc" not in d.index:
        return {}
    T, R = d.T, d.R
    up, down, ilc = np.zeros((R, T)), np.zeros((R, T)), np.zeros((R, T))
    if "dr_shift" in d.index:
        up = _scatter((R, T), d.index["dr_shift"], sol.values(d.vars["dr_up"]))
        down = _scatter((R, T), d.index["dr_shift"], sol.values(d.vars["dr_down"]))
    if "dr_ilc" in d.index:
        ilc = _scatter((R, T), d.index["dr_ilc"], sol.values(d.vars["dr_ilc"]))
    return dr_result_vars(system, up, down, ilc, d.wdt)


def _coal_vars(system: xr.Dataset, d: LPData, sol: Solution, x: dict[str, Any]) -> dict[str, Any]:
    """Coal yards (MODEL.md constraint 8), only when the System has some: stock, deliveries
    (region x time, 0 where a region has no yard) and the stock-days KPI."""
    if "coal" not in d.index:
        return {}
    store_region, gen_store = coal_stores(system)
    T, R = d.T, d.R
    stock = np.zeros((R, T))
    deliv = np.zeros((R, T))
    stock[store_region] = (
        _scatter((len(store_region), T), d.index["coal"], sol.values(d.vars["coal_stock"]))
        * LNG_SCALE
    )
    deliv[store_region] = _scatter(
        (len(store_region), T), d.index["coal"], sol.values(d.vars["coal_deliv"])
    )
    burn_day = np.zeros(R)
    fed = gen_store >= 0
    np.add.at(
        burn_day, store_region[gen_store[fed]], 24.0 * x["cap"][fed] / d.arr("efficiency")[fed]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        days = np.where(burn_day > 0, stock.min(axis=1) / burn_day, np.nan)
    return {
        "coal_stock_mwh_th": (
            ("region", "time"),
            stock,
            _attrs("MWh_th", "coal stock, end of step"),
        ),
        "coal_delivery_mw_th": (("region", "time"), deliv, _attrs("MW_th", "coal deliveries")),
        "coal_stock_days": (
            "region",
            days,
            _attrs("d", "min over the year of coal stock / daily burn at full coal capacity"),
        ),
        "coal_stock_target_days": (
            "region",
            np.asarray(system["coal_stock_days"].values, float),
            _attrs("d", "strategic coal stock of the System (reserves.coal)"),
        ),
    }


def _adequacy_vars(
    system: xr.Dataset, d: LPData, sol: Solution, x: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Reserve margins achieved (firm capacity over the hourly peaks), shortfalls, requirements,
    and each hub's days of cover (lowest inventory / daily burn at full LNG capacity)."""
    R, H = d.R, system.sizes["hub"]
    cap, inv = x["cap"], x["inv"]
    val = sol.values
    need_sys, need_reg = reserve_targets(system)
    short = float(val(d.vars["short"])[0]) if "short" in d.vars else 0.0
    short_reg = np.zeros(R)
    if "short_region" in d.vars:
        short_reg[d.index["short_region"][0]] = val(d.vars["short_region"])
    firm, firm_reg = firm_capacity(system, cap, x["pcap"], x["fcap"])
    peak, peak_r = peaks(system)
    hub_of = hub_of_gen(system)
    burn_day = np.array(
        [
            24.0 * float((cap[hub_of == n] / d.arr("efficiency")[hub_of == n]).sum())
            for n in range(H)
        ]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(burn_day > 0, inv.min(axis=1, initial=np.inf) / burn_day, np.nan)
        rm_reg = np.where(peak_r > 0, firm_reg / peak_r - 1.0, np.nan)
    return {
        "reserve_margin_achieved": (
            (),
            firm / peak - 1.0 if peak > 0 else np.nan,
            _attrs("1", "firm capacity / coincident peak - 1"),
        ),
        "reserve_margin_by_region": (
            "region",
            rm_reg,
            _attrs("1", "(firm capacity + corridor import credit) / regional peak - 1"),
        ),
        "reserve_shortfall_mw": ((), short, _attrs("MW", "system reserve shortfall")),
        "reserve_shortfall_region_mw": (
            "region",
            short_reg,
            _attrs("MW", "regional reserve shortfall"),
        ),
        "reserve_requirement_mw": ((), need_sys, _attrs("MW", "(1+margin)*coincident peak")),
        "reserve_requirement_region_mw": (
            "region",
            need_reg,
            _attrs("MW", "(1+margin_r)*regional peak (NaN: no target)"),
        ),
        "lng_days_of_cover": (
            "hub",
            cover,
            _attrs("d", "min over the year of inventory / daily burn at full LNG capacity"),
        ),
    }


# ------------------------------------------------------------------------------------ writing


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def write_results(
    results: xr.Dataset, out_dir: str | Path, kpis: dict[str, Any] | None = None
) -> tuple[Path, Path]:
    """Write ``out_dir/results.nc`` and ``out_dir/kpis.json`` atomically.

    Each file is written to a temporary name in ``out_dir`` and renamed
    (:func:`energy_sim.outputs.atomic_write`), so a reader never sees a half-written file; the
    files get the usual mode (``0666 & ~umask``). Non-finite KPI values are written as
    ``null``. The provenance attrs of ``results`` (:data:`energy_sim.outputs.PROVENANCE_KEYS`
    present, e.g. ``run_id``, ``command``, ``energy_sim_version``) are repeated in
    ``kpis.json`` under ``"provenance"`` (without the scenario text, which is in results.nc).
    """
    from energy_sim.outputs import PROVENANCE_KEYS, atomic_write

    out = Path(out_dir)
    k = dict(kpis if kpis is not None else compute_kpis(results))
    prov = {
        key: results.attrs[key]
        for key in PROVENANCE_KEYS
        if key in results.attrs and key != "scenario_yaml"
    }
    if prov:
        k["provenance"] = prov
    nc_path, js_path = out / "results.nc", out / "kpis.json"
    ds = results.copy()
    ds.attrs = {
        key: (v if isinstance(v, str | int | float) else json.dumps(_json_safe(v)))
        for key, v in ds.attrs.items()
    }
    for name in ("is_clean",):
        if name in ds:
            ds[name] = ds[name].astype("int8")
    atomic_write(nc_path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    text = json.dumps(_json_safe(k), indent=2) + "\n"
    atomic_write(js_path, lambda tmp: tmp.write_text(text))
    return nc_path, js_path


__all__ = [
    "check_invariants",
    "from_solution",
    "write_results",
]
