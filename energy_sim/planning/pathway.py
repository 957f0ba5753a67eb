"""Pathway planning (MODEL.md, Investment periods): the periods' Systems, perfect or myopic
foresight, and one Results dataset with a ``period`` dimension.

:func:`plan_pathway` is the entry point (``energy_sim.plan`` calls it for a scenario with
``periods``). Each period is the scenario's single-year System of that year
(:meth:`~energy_sim.inputs.scenario.Scenario.for_period`), built with every technology, corridor
and tank open to the block's bounds, while the period's ``investments`` decide which vintages
may be built (a technology closed in 2035 may still stand from 2030). The LP itself is
:mod:`energy_sim.planning.model.pathway`.

Results (docs/model.md, Pathway results): every variable of a single-year plan gains a leading
``period`` dimension (elements: the union over periods; capacities of a missing element are 0),
plus ``capacity_built_mw``, ``storage_power_built_mw``, ``corridor_capacity_built_mw``,
``tank_built_mwh_th`` (the vintage of each period), ``discount_factor`` (``D_p``),
``period_years`` (``n_p``) and the per-period targets ``reserve_margin_target``, ``co2_cap_t``,
``clean_share_min``. ``cost_usd(period, cost_component)`` is the undiscounted annual cost of a
period with the capex of the vintages standing in it; ``attrs['objective_usd']`` is
``sum_p D_p * sum_c cost_usd[p, c]``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.planning.model.pathway import (
    Vintage,
    build_pathway_model,
    discounted_years,
    vintage_capex,
)

#: Reported name of each asset family's vintage, by block variable.
BUILT = {
    "cap": ("capacity_built_mw", "MW", "capacity built in the period (its vintage)"),
    "pcap": ("storage_power_built_mw", "MW", "storage power built in the period"),
    "fcap": ("corridor_capacity_built_mw", "MW", "transfer capacity built in the period"),
    "tank": ("tank_built_mwh_th", "MWh_th", "LNG tank built in the period"),
}


def period_systems(
    scenario: Any, resolution: str | None = None
) -> tuple[dict[int, xr.Dataset], dict[int, dict[str, np.ndarray]]]:
    """The System of each period and the elements that may not be built in it.

    Each period's System is built from ``scenario.for_period(year)`` with its ``investments``
    opened (every technology, new corridors and tanks), so that capacity built earlier may
    stand where the period allows no new build; the period's own ``investments`` become the
    ``frozen`` masks of its vintages.

    Returns
    -------
    systems, frozen
        ``{year: System}`` and ``{year: {var: bool array over the System's elements}}``.
    """
    from energy_sim.inputs.system import build_system

    systems, frozen = {}, {}
    for year in scenario.period_list:
        own = scenario.for_period(year)
        inv = own.investments
        system = build_system(_opened(own), resolution=resolution)
        allowed = None if inv.technologies is None else set(inv.technologies)
        frozen[year] = {
            "cap": _closed(system["gen_tech"].values, allowed),
            "pcap": _closed(system["storage_tech"].values, allowed),
            "fcap": np.full(system.sizes["corridor"], not inv.new_corridors),
            "tank": np.full(system.sizes["hub"], not inv.new_tanks),
        }
        systems[year] = system
    return systems, frozen


def period_scenario(scenario: Any, year: int) -> Any:
    """The single-year scenario of a period as the pathway builds its System: the period's
    values (:meth:`~energy_sim.inputs.scenario.Scenario.for_period`) with its ``investments``
    opened (every technology, new corridors and tanks), so that every group that may stand in
    the period (built earlier, closed to new builds now) is in its System."""
    return _opened(scenario.for_period(year))


def _opened(period: Any) -> Any:
    """A period's scenario with every technology, new corridors and tanks open."""
    inv = period.investments.model_copy(
        update={"technologies": None, "new_corridors": True, "new_tanks": True}
    )
    return period.model_copy(update={"investments": inv})


def _closed(techs: np.ndarray, allowed: set[str] | None) -> np.ndarray:
    """Elements whose technology may not be built (``allowed`` None: all may)."""
    names = np.asarray(techs).astype(str)
    if allowed is None:
        return np.zeros(len(names), dtype=bool)
    return np.array([t not in allowed for t in names], dtype=bool)


def _method(systems: dict[int, xr.Dataset]) -> tuple[str, float | None, dict[str, Any]]:
    """The solver settings of the first period, ``auto`` judged on the steps of all periods."""
    from energy_sim.planning import solve as S

    first = systems[min(systems)]
    cfg = json.loads(first.attrs.get("lp_solver_options", "{}") or "{}")
    steps = sum(s.sizes["time"] for s in systems.values())
    if str(cfg.get("method") or "auto") == "auto":
        cfg["method"] = "hipo" if steps > S.AUTO_HIPO_STEPS and S.hipo_available() else "ipm"
    probe = first.copy()
    probe.attrs["lp_solver_options"] = json.dumps(cfg)
    return S.solver_settings(probe)


def _solve(
    systems: dict[int, xr.Dataset],
    weights: dict[int, float],
    frozen: dict[int, dict[str, np.ndarray]],
    fixed: list[Vintage],
    *,
    progress: bool,
    log: Callable[[str], None] | None,
) -> tuple[dict[int, xr.Dataset], list[Vintage], dict[int, np.ndarray], dict[str, Any]]:
    """Build and solve one LP over ``systems``; per-period Results and the solved vintages."""
    from energy_sim.planning.results import check_invariants, from_solution
    from energy_sim.planning.solve import SPLIT_STEPS, solve_model

    method, limit, options = _method(systems)
    t0 = time.perf_counter()
    pm = build_pathway_model(
        systems, weights, fixed=fixed, frozen=frozen, split_steps=SPLIT_STEPS.get(method)
    )
    build_s = time.perf_counter() - t0
    sol = solve_model(
        pm.model, method=method, time_limit_s=limit, options=options, progress=progress, log=log
    )
    built = {
        id(v): (v.value if v.var is None else np.maximum(sol.values(v.var), 0.0))
        for v in pm.vintages
    }
    out = {}
    for year, blk in pm.blocks.items():
        res = from_solution(systems[year], blk, sol, build_s=build_s)
        if sol.status == "optimal":
            errors = check_invariants(systems[year], res)
            if errors:
                res.attrs["status"] = "invariant_violation"
                res.attrs["invariant_errors"] = "; ".join(errors)
        out[year] = res
    info = {
        "status": sol.status,
        "objective_usd": float(sol.objective),
        "build_s": build_s,
        "handoff_s": float(sol.handoff_s),
        "solve_s": float(sol.solve_s),
        "solver": sol.solver,
        "n_variables": int(sol.n_cols),
        "n_constraints": int(sol.n_rows),
        "n_nonzeros": int(sol.n_nz),
    }
    return out, pm.vintages, built, info


def solve_pathway(
    systems: dict[int, xr.Dataset],
    frozen: dict[int, dict[str, np.ndarray]] | None = None,
    *,
    foresight: str = "perfect",
    discount_rate: float | None = None,
    base_year: int = 2025,
    last_period_years: int | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Plan the periods' Systems with perfect or myopic foresight.

    Parameters
    ----------
    systems
        ``{year: System}`` of every period (see :func:`period_systems`).
    frozen
        ``{year: {var: mask}}`` of elements that may not be built in a period.
    foresight
        ``perfect``: one LP over all periods. ``myopic``: one LP per period in order, each
        with the vintages of the earlier ones fixed and weighted by its own ``D_p`` only.
    discount_rate
        ``i`` of ``D_p``; None: the Systems' ``discount_rate`` attr (the annuities' rate).

    Returns
    -------
    xarray.Dataset
        The pathway Results (module docstring). ``attrs['status']`` is ``optimal`` only when
        every LP was optimal and every period passed
        :func:`energy_sim.invariants.check_invariants`.
    """
    if foresight not in ("perfect", "myopic"):
        raise ValueError(f"foresight must be perfect or myopic, not {foresight!r}")
    periods = sorted(systems)
    frozen = frozen or {}
    rate = float(
        systems[periods[0]].attrs.get("discount_rate", 0.1)
        if discount_rate is None
        else discount_rate
    )
    n, D = discounted_years(periods, base_year, rate, last_period_years)
    weights = dict(zip(periods, D.tolist(), strict=True))
    if foresight == "perfect":
        per, vintages, built, info = _solve(
            systems, weights, frozen, [], progress=progress, log=log
        )
        infos = [info]
    else:
        per, vintages, built, infos = {}, [], {}, []
        for year in periods:
            res, vint, got, info = _solve(
                {year: systems[year]}, {year: weights[year]}, {year: frozen.get(year, {})},
                [_fixed(v, built[id(v)]) for v in vintages],
                progress=progress, log=log,
            )  # fmt: skip
            new = [v for v in vint if v.year == year]  # the fixed ones are all earlier
            vintages = [*vintages, *new]
            built.update({id(v): got[id(v)] for v in new})
            per.update(res)
            infos.append(info)
    return _assemble(per, vintages, built, infos, weights, n, foresight, rate, base_year)


def _fixed(v: Vintage, value: np.ndarray) -> Vintage:
    """A solved vintage as a constant (keeps ``id`` lookups working through ``value``)."""
    v.value = np.asarray(value, dtype=float)
    v.var = None
    return v


def _period_result(
    res: xr.Dataset,
    year: int,
    vintages: list[Vintage],
    built: dict[int, np.ndarray],
    weight: float,
) -> xr.Dataset:
    """One period's Results with vintage capex, undiscounted prices and its vintages."""
    res = res.copy()
    capex = vintage_capex(vintages, year, built)
    cost = res["cost_usd"].copy()
    for comp, value in capex.items():
        if comp in cost["cost_component"].values:
            cost.loc[{"cost_component": comp}] = value
    res["cost_usd"] = cost
    res.attrs["objective_usd"] = float(cost.sum())
    if "price_usd_per_mwh" in res:  # duals of the discounted objective -> USD/MWh of the year
        res["price_usd_per_mwh"] = res["price_usd_per_mwh"] / weight
    for v in vintages:
        if v.year != year:
            continue
        name, units, desc = BUILT[v.asset.var]
        res[name] = xr.DataArray(
            built[id(v)] * v.asset.scale,
            dims=v.asset.dim,
            coords={v.asset.dim: v.ids},
            attrs={"units": units, "description": desc},
        ).reindex({v.asset.dim: res[v.asset.dim].values}, fill_value=0.0)
    return res


def _assemble(
    per: dict[int, xr.Dataset],
    vintages: list[Vintage],
    built: dict[int, np.ndarray],
    infos: list[dict[str, Any]],
    weights: dict[int, float],
    n: np.ndarray,
    foresight: str,
    rate: float,
    base_year: int,
) -> xr.Dataset:
    """The per-period Results joined along ``period`` with the pathway's attrs."""
    periods = sorted(per)
    parts = [_period_result(per[y], y, vintages, built, weights[y]) for y in periods]
    targets = {
        "reserve_margin_target": ("1", "reserve margin required", "reserve_margin"),
        "co2_cap_t": ("tCO2/yr", "CO2 cap (NaN: none)", "co2_cap_t"),
        "clean_share_min": ("1", "minimum clean share (NaN: none)", "clean_share_min"),
    }
    statuses = [p.attrs["status"] for p in parts]
    labels = _element_coords(parts)
    ds = xr.concat(
        [p.reset_coords([c for c in p.coords if c not in p.dims]) for p in parts],
        dim=xr.DataArray(periods, dims="period", name="period"),
        data_vars="all",
        join="outer",
        combine_attrs="drop",
    )
    ds = ds.assign_coords(period=np.asarray(periods, dtype=np.int64))
    for name, (dim, values) in labels.items():
        ds = ds.drop_vars(name).assign_coords({name: (dim, ds[dim].to_index().map(values))})
    for name in list(ds.data_vars):
        da = ds[name]
        static = "time" not in da.dims and any(
            d in da.dims for d in ("gen", "storage", "corridor", "hub")
        )
        if static and da.attrs.get("units") in ("MW", "MWh", "MWh_th", "MWh/yr", "tCO2/yr"):
            ds[name] = da.fillna(0.0)
    if "is_clean" in ds:  # a property of the element, whichever periods have it
        ds["is_clean"] = (ds["is_clean"].fillna(0.0).max("period") > 0).assign_attrs(
            ds["is_clean"].attrs
        )
    for name, (units, desc, attr) in targets.items():
        ds[name] = xr.DataArray(
            [float(p.attrs.get(attr, np.nan)) for p in parts],
            dims="period",
            attrs={"units": units, "description": desc},
        )
    ds["discount_factor"] = xr.DataArray(
        [weights[y] for y in periods], dims="period",
        attrs={"units": "yr", "description": "discounted years of the period, D_p"},
    )  # fmt: skip
    ds["period_years"] = xr.DataArray(
        n.astype(np.int64), dims="period", attrs={"units": "yr", "description": "years, n_p"}
    )
    total = float(
        sum(weights[y] * float(p["cost_usd"].sum()) for y, p in zip(periods, parts, strict=True))
    )
    bad = [s for s in statuses if s != "optimal"]
    first = parts[0].attrs
    ds.attrs.update(
        {k: first[k] for k in ("scenario", "resolution", "notes") if k in first},
        kind="pathway",
        foresight=foresight,
        periods=list(periods),
        discount_rate=float(rate),
        base_year=int(base_year),
        objective_usd=total,
        lp_objective_usd=float(sum(i["objective_usd"] for i in infos)),
        status=bad[0] if bad else "optimal",
        period_status=json.dumps(dict(zip(map(str, periods), statuses, strict=True))),
        build_s=float(sum(i["build_s"] for i in infos)),
        handoff_s=float(sum(i["handoff_s"] for i in infos)),
        solve_s=float(sum(i["solve_s"] for i in infos)),
        solver=infos[0]["solver"],
        n_variables=int(sum(i["n_variables"] for i in infos)),
        n_constraints=int(sum(i["n_constraints"] for i in infos)),
        n_nonzeros=int(sum(i["n_nonzeros"] for i in infos)),
        n_lps=len(infos),
    )
    errors = [f"{y}: {p.attrs['invariant_errors']}" for y, p in zip(periods, parts, strict=True)
              if "invariant_errors" in p.attrs]  # fmt: skip
    if errors:
        ds.attrs["invariant_errors"] = "; ".join(errors)
    return ds


def _element_coords(parts: list[xr.Dataset]) -> dict[str, tuple[str, dict]]:
    """Label coordinates of the element dimensions (``gen_region`` ...), merged over periods,
    and ``timestamp`` left out (it differs by period and is kept as a ``(period, time)``
    variable)."""
    out: dict[str, tuple[str, dict]] = {}
    for p in parts:
        for name, coord in p.coords.items():
            if name in p.dims or name == "timestamp" or coord.ndim != 1:
                continue
            dim = coord.dims[0]
            values = out.setdefault(str(name), (dim, {}))[1]
            values.update(zip(p[dim].values.tolist(), coord.values.tolist(), strict=True))
    return out


def plan_pathway(
    scenario: Any,
    *,
    resolution: str | None = None,
    systems: tuple[dict[int, xr.Dataset], dict[int, dict[str, np.ndarray]]] | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Plan a scenario with ``periods`` (a single-year scenario gives a one-period pathway).

    ``systems`` are the periods' Systems and masks when already built
    (:func:`period_systems`); else they are built at ``resolution``.
    """
    systems, frozen = systems if systems is not None else period_systems(scenario, resolution)
    return solve_pathway(
        systems,
        frozen,
        foresight=scenario.foresight,
        discount_rate=scenario.discount_rate,
        base_year=scenario.base_year,
        last_period_years=scenario.last_period_years,
        progress=progress,
        log=log,
    )


def period_kpis(results: xr.Dataset) -> dict[str, Any]:
    """KPIs of a pathway: ``{'kind': 'pathway', ..., 'periods': {year: single-year KPIs}}``."""
    from energy_sim.planning.kpis import kpis

    out: dict[str, Any] = {
        "scenario": results.attrs.get("scenario", ""),
        "kind": "pathway",
        "foresight": results.attrs.get("foresight"),
        "status": results.attrs.get("status"),
        "objective_usd": float(results.attrs.get("objective_usd", np.nan)),
        "discount_rate": float(results.attrs.get("discount_rate", np.nan)),
        "periods": {},
    }
    for year in results["period"].values.tolist():
        out["periods"][str(year)] = kpis(select_period(results, year))
    return out


#: For each element dim, the operating variable whose all-NaN rows mark an element a pathway
#: period lacks (the element sets of a pathway are the union over its periods), and its capacity.
_OPERATION_OF = {
    "gen": ("generation_mw", "capacity_mw"),
    "storage": ("discharge_mw", "storage_power_mw"),
    "corridor": ("flow_fwd_mw", "corridor_capacity_mw"),
    "hub": ("lng_send_out_mw_th", "tank_mwh_th"),
}


def select_period(ds: xr.Dataset, period: int) -> xr.Dataset:
    """One period of a pathway Results as a single-year plan Results.

    The ``period`` dimension is selected away; elements the period lacks (no capacity and no
    operation: NaN over every step) are dropped, so that the single-year views, KPIs and the
    dispatch core read the period as they read a plan. The per-period policies become the attrs
    a plan carries (``reserve_margin`` from ``reserve_margin_target``, ``clean_share_min``,
    ``co2_cap_t``); ``kind`` is ``"plan"``, ``period`` the year, ``objective_usd`` the period's
    undiscounted annual cost, ``status`` the period's own (``period_status``).

    Raises
    ------
    KeyError
        ``period`` is not a period of ``ds``.
    """
    periods = [int(p) for p in ds["period"].values] if "period" in ds.dims else []
    if int(period) not in periods:
        raise KeyError(f"period {period} is not in the pathway (periods {periods})")
    out = ds.sel(period=int(period))
    out = out.drop_vars("period") if "period" in out.coords else out
    for dim, (operation, capacity) in _OPERATION_OF.items():
        if dim not in out.dims or operation not in out or "time" not in out[operation].dims:
            continue
        there = out[operation].notnull().any("time")
        if capacity in out:
            there = there | (out[capacity].fillna(0.0) > 0)
        if not bool(there.all()):
            out = out.isel({dim: np.asarray(there.values, dtype=bool)})
    if "timestamp" in out.data_vars:  # a (period, time) variable in the pathway
        out = out.set_coords("timestamp")
    attrs = {k: v for k, v in ds.attrs.items() if k not in ("periods", "kind", "period_status")}
    attrs["kind"] = "plan"
    attrs["period"] = int(period)
    try:  # the status of each period's LP (myopic foresight solves one per period)
        status = json.loads(str(ds.attrs.get("period_status", "{}"))).get(str(int(period)))
    except ValueError:
        status = None
    if status:
        attrs["status"] = str(status)
    for var, attr in (
        ("reserve_margin_target", "reserve_margin"),
        ("clean_share_min", "clean_share_min"),
        ("co2_cap_t", "co2_cap_t"),
    ):
        if var in out and out[var].ndim == 0:
            attrs[attr] = float(out[var])
    if "cost_usd" in out:
        attrs["objective_usd"] = float(out["cost_usd"].sum())
    out.attrs = attrs
    return out


__all__ = [
    "BUILT",
    "period_kpis",
    "period_systems",
    "plan_pathway",
    "select_period",
    "solve_pathway",
]
