"""What the dispatch core reads from a System and a plan: plain numpy arrays, once.

Capacities come from the plan (a Results dataset: ``capacity_mw``, ``storage_power_mw``,
``corridor_capacity_mw``, ``tank_mwh_th``) or, without one, from the System's existing fleet
(``cap0_mw``, ``pcap0_mw``, ``fcap0_mw``, ``tank0_mwh_th``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.inputs.reserves import coal_stores, hub_refill_days
from energy_sim.inputs.system_helpers import hub_of_gen
from energy_sim.operation.demand_response import DR
from energy_sim.operation.demand_response import prepare as dr_prepare


@dataclass
class Static:
    """Sample-independent inputs of one dispatch run (dims in the names' comments)."""

    regions: list[str]
    gen_region: np.ndarray  # (G,) region index
    mc: np.ndarray  # (G,) USD/MWh
    eff: np.ndarray  # (G,)
    co2: np.ndarray  # (G,) t/MWh
    is_res: np.ndarray  # (G,) bool
    hub_of: np.ndarray  # (G,) hub index or -1
    cap: np.ndarray  # (G,) MW
    avail: np.ndarray  # (G, T)
    cf_month: np.ndarray  # (G, 12)
    demand: np.ndarray  # (R, T)
    stor_region: np.ndarray  # (S,)
    pcap: np.ndarray  # (S,)
    dur: np.ndarray
    eff_c: np.ndarray
    eff_d: np.ndarray
    loss: np.ndarray
    frm: np.ndarray  # (L,)
    to: np.ndarray
    eta: np.ndarray
    fcap: np.ndarray
    hub_region: np.ndarray  # (H,)
    regas: np.ndarray
    tank: np.ndarray
    reserve_days: np.ndarray
    refill_days: np.ndarray  # (H,) days for the reserve floor to come back after a disruption
    contract: np.ndarray
    lng_av: np.ndarray  # (H, T)
    coal_region: np.ndarray  # (C,) region of each coal yard (MODEL.md constraint 8)
    gen_store: np.ndarray  # (G,) coal yard a group burns from, -1 for none
    coal_stock_days: np.ndarray  # (C,)
    coal_yard_days: np.ndarray  # (C,)
    coal_delivery: np.ndarray  # (C,) x full-load burn
    coal_refill_days: np.ndarray  # (C,)
    coal_av: np.ndarray  # (C, T)
    dt: np.ndarray  # (T,)
    w: np.ndarray
    month: np.ndarray  # (T,) 0..11
    period: np.ndarray
    voll: float
    #: Demand response (MODEL.md constraint 9), None when the System has none.
    dr: DR | None = None

    @property
    def wdt(self) -> np.ndarray:
        return self.w * self.dt

    @property
    def hours_month(self) -> np.ndarray:
        """Hours each month stands for, ``H_m = sum_{t in m} w*dt``."""
        return np.bincount(self.month, weights=self.wdt, minlength=12)


def _arr(ds: xr.Dataset, name: str, fill: float = 0.0) -> np.ndarray:
    return np.nan_to_num(np.asarray(ds[name].values, dtype=float), nan=fill)


def _plan_var(plan: xr.Dataset | None, name: str, default: np.ndarray, dim: str, ids) -> np.ndarray:
    if plan is None or name not in plan:
        return default
    da = plan[name]
    if "sample" in da.dims:
        raise InputError("the plan must not have a sample dimension", field=name)
    if dim in da.coords and len(ids) and list(map(str, da[dim].values)) != list(map(str, ids)):
        try:
            da = da.sel({dim: ids})
        except KeyError as err:
            raise InputError(
                f"the plan's {dim} ids do not match the System", field=name, value=str(err)
            ) from None
    vals = np.asarray(da.values, dtype=float)
    if vals.shape != default.shape:
        raise InputError(
            f"the plan's {name} has shape {vals.shape}, the System needs {default.shape}",
            field=name,
        )
    return np.nan_to_num(vals, nan=0.0)


def prepare(system: xr.Dataset, plan: xr.Dataset | None = None) -> Static:
    """Read the System (and the plan's capacities) into a :class:`Static`."""
    regions = [str(r) for r in system["region"].values]
    ri = {r: i for i, r in enumerate(regions)}

    def idx(coord: str) -> np.ndarray:
        if coord not in system.coords:
            return np.zeros(0, np.int64)
        try:
            return np.array([ri[str(r)] for r in system[coord].values], np.int64)
        except KeyError as err:
            raise InputError("unknown region", field=coord, value=str(err)) from None

    gens = system["gen"].values
    stor = system["storage"].values if "storage" in system.dims else []
    cors = system["corridor"].values if "corridor" in system.dims else []
    hubs = system["hub"].values if "hub" in system.dims else []
    cap = _plan_var(plan, "capacity_mw", _arr(system, "cap0_mw"), "gen", gens)
    n_s = len(stor)
    pcap = (
        _plan_var(plan, "storage_power_mw", _arr(system, "pcap0_mw"), "storage", stor)
        if n_s
        else np.zeros(0)
    )
    fcap = (
        _plan_var(plan, "corridor_capacity_mw", _arr(system, "fcap0_mw"), "corridor", cors)
        if len(cors)
        else np.zeros(0)
    )
    tank = (
        _plan_var(plan, "tank_mwh_th", _arr(system, "tank0_mwh_th"), "hub", hubs)
        if len(hubs)
        else np.zeros(0)
    )
    month = np.asarray(system["month_of"].values, np.int64) - 1
    if month.size and (month.min() < 0 or month.max() > 11):
        raise InputError("month_of must be 1..12", field="month_of")

    def opt(name: str, n: int, fill: float = 0.0) -> np.ndarray:
        return _arr(system, name, fill) if n else np.zeros(0)

    lng_av = (
        np.clip(_arr(system, "lng_availability", 1.0), 0.0, 1.0)
        if len(hubs)
        else np.zeros((0, system.sizes["time"]))
    )
    coal_region, gen_store = coal_stores(system)

    def per_yard(name: str, fill: float = 0.0) -> np.ndarray:
        return _arr(system, name, fill)[coal_region] if len(coal_region) else np.zeros(0)

    return Static(
        regions=regions,
        gen_region=idx("gen_region"),
        mc=_arr(system, "marginal_cost_usd_per_mwh"),
        eff=np.where(_arr(system, "efficiency", 1.0) > 0, _arr(system, "efficiency", 1.0), 1.0),
        co2=_arr(system, "co2_t_per_mwh"),
        is_res=np.asarray(system["is_reservoir_hydro"].values, bool),
        hub_of=hub_of_gen(system),
        cap=np.maximum(cap, 0.0),
        avail=np.clip(_arr(system, "availability"), 0.0, None),
        cf_month=_arr(system, "hydro_cf_month", np.inf),
        demand=np.maximum(_arr(system, "demand_mw"), 0.0),
        stor_region=idx("storage_region"),
        pcap=np.maximum(pcap, 0.0),
        dur=opt("duration_h", n_s),
        eff_c=opt("eff_charge", n_s, 1.0),
        eff_d=np.where(opt("eff_discharge", n_s, 1.0) > 0, opt("eff_discharge", n_s, 1.0), 1.0),
        loss=opt("loss_per_h", n_s),
        frm=idx("corridor_from"),
        to=idx("corridor_to"),
        eta=opt("corridor_efficiency", len(cors), 1.0),
        fcap=np.maximum(fcap, 0.0),
        hub_region=idx("hub_region"),
        regas=opt("regas_mw_th", len(hubs), np.inf),
        tank=np.maximum(tank, 0.0),
        reserve_days=opt("reserve_days", len(hubs)),
        refill_days=hub_refill_days(system) if len(hubs) else np.zeros(0),
        contract=opt("contract_mwh_th", len(hubs), np.inf),
        lng_av=lng_av,
        coal_region=coal_region,
        gen_store=gen_store,
        coal_stock_days=per_yard("coal_stock_days"),
        coal_yard_days=per_yard("coal_yard_days", np.inf),
        coal_delivery=per_yard("coal_delivery", np.inf),
        coal_refill_days=per_yard("coal_refill_days"),
        coal_av=np.clip(per_yard("coal_availability", 1.0), 0.0, 1.0)
        if len(coal_region)
        else np.zeros((0, system.sizes["time"])),
        dt=_arr(system, "dt_h", 1.0),
        w=_arr(system, "weight", 1.0),
        month=month,
        period=np.asarray(system["block"].values, np.int64)
        if "block" in system
        else np.zeros(system.sizes["time"], np.int64),
        voll=float(system.attrs.get("voll_usd_per_mwh", 10_000.0)),
        dr=dr_prepare(system),
    )
