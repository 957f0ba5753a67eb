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
from energy_sim.inputs.system_helpers import firm_capacity, hub_of_gen, peaks, reserve_targets
from energy_sim.invariants import check_invariants
from energy_sim.reserves import coal_stores

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


# ---------------------------------------------------------------------------------------- KPIs


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
    by technology, ``annual_demand_mwh``, ``peak_demand_mw`` (coincident), ``status``,
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
        "new_capacity_mw": _by_tech(r, "capacity_new_mw", "storage_power_new_mw"),
        "total_capacity_mw": _by_tech(r, "capacity_mw", "storage_power_mw"),
        "annual_demand_mwh": demand_mwh,
        "peak_demand_mw": peak,
        "build_s": float(r.attrs.get("build_s", float("nan"))),
        "handoff_s": float(r.attrs.get("handoff_s", float("nan"))),
        "solve_s": float(r.attrs.get("solve_s", float("nan"))),
    }  # fmt: skip


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
    k = dict(kpis if kpis is not None else globals()["kpis"](results))
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


__all__ = [
    "check_invariants",
    "from_solution",
    "kpis",
    "noise_tolerance_mw",
    "shortfall_report",
    "write_results",
]
