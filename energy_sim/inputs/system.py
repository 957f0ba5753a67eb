"""Data tables + scenario -> the System dataset (docs/architecture.md).

:func:`build_system` reads the scenario's data folder (:mod:`energy_sim.inputs.data`), takes the
groups, fuels, hubs and build ranges (:mod:`energy_sim.inputs.system_fleet`) and the hourly
series (:mod:`energy_sim.inputs.system_series`: generated profiles of
:mod:`energy_sim.inputs.profiles` or the user's CSV), assembles every variable of the System
contract for the full hourly year, applies the scenario's stress tests, and aggregates the year
to the scenario's resolution (:mod:`energy_sim.inputs.timeseries`).
:mod:`energy_sim.inputs.system_summary` turns a System into the tables that ``energy-sim
validate`` prints; :mod:`energy_sim.inputs.system_helpers` holds what the LP, the dispatch core
and the checks derive from a System (previous step, hub of a group, peaks, firm capacity).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.inputs import data_year as DY
from energy_sim.inputs import profiles
from energy_sim.inputs import system_fleet as fleet
from energy_sim.inputs import system_series as series
from energy_sim.inputs.data import DataTables, read_data
from energy_sim.inputs.reserves import default_refill_days
from energy_sim.inputs.system_helpers import DR_FIELDS

HOURS = 8760
GJ_PER_MWH = 3.6
#: What the model's demand is: documented in docs/data.md and printed by ``validate``.
DEMAND_BASIS = "production+imports"
#: Dimensions of the System's variables by object.
G, S, L, N = ("gen",), ("storage",), ("corridor",), ("hub",)


def annuity(capex: np.ndarray | float, rate: float, lifetime: np.ndarray | float) -> np.ndarray:
    """Annualised capital cost ``ann(x) = x*i*(1+i)^n/((1+i)^n - 1)`` (``x/n`` when ``i = 0``).

    Parameters
    ----------
    capex
        Overnight cost ``x`` (any money unit).
    rate
        Real discount rate ``i``.
    lifetime
        Economic life ``n`` in years.
    """
    x = np.asarray(capex, dtype=float)
    n = np.asarray(lifetime, dtype=float)
    if rate == 0:
        return x / n
    g = (1.0 + rate) ** n
    return x * rate * g / (g - 1.0)


def _var(values: Any, dims: tuple[str, ...] | str, units: str, description: str) -> xr.DataArray:
    dims = (dims,) if isinstance(dims, str) else dims
    return xr.DataArray(values, dims=dims, attrs={"units": units, "description": description})


def build_hourly_system(scenario: Any) -> xr.Dataset:
    """The System of ``scenario`` for the full hourly year (8760 steps, dt_h = weight = 1),
    before stress tests and aggregation.

    Parameters
    ----------
    scenario
        A :class:`energy_sim.inputs.scenario.Scenario`.

    Returns
    -------
    xarray.Dataset
        Every variable of docs/architecture.md with ``units`` and ``description`` attrs.

    Raises
    ------
    InputError
        In the order of the checks: the data folder, the groups' hubs, the corridors, the build
        ranges, then the demand and availability profiles.
    """
    data = read_data(scenario.data)
    year = scenario.year
    techs = DY.tech_table(data, year)
    rate = (
        data.assumption("discount_rate")
        if scenario.discount_rate is None
        else float(scenario.discount_rate)
    )
    groups = fleet.groups(scenario, data, techs)
    gen, sto = groups["gen"], groups["storage"]
    fuel = fleet.fuel_of(gen, techs, data["regions"])
    hubs = DY.hub_table(data, year)
    gen_hub = fleet.hub_of_gens(gen, (fuel == "lng").to_numpy(), hubs, data)
    cor = DY.corridor_table(data, year)
    lo, hi = fleet.policy_ranges(scenario, data)
    fleet.check_ranges(scenario, data, groups, lo, hi)
    index = profiles.year_index(year)
    demand = series.demand(scenario, data, data.regions)
    loss_base, loss = _grid_losses(scenario, data)
    demand = demand * ((1.0 - loss_base) / (1.0 - loss))[:, None]  # MODEL.md constraint 10

    ds = _coords(data, gen, sto, cor, hubs, fuel, gen_hub, index)
    v = {
        "dt_h": _var(np.ones(HOURS), "time", "h", "step duration"),
        "weight": _var(np.ones(HOURS), "time", "1", "how many times the step stands for the year"),
        "month_of": _var(index.month.to_numpy(), "time", "1", "calendar month 1..12 of the step"),
        "block": _var(np.zeros(HOURS, dtype=int), "time", "1", "cyclic block id"),
        "demand_mw": _var(
            demand, ("region", "time"), "MW", f"demand at the regional busbar ({DEMAND_BASIS})"
        ),
        **_generator_vars(scenario, data, gen, techs, fuel, rate),
        **_storage_vars(sto, techs, rate),
        **_corridor_vars(scenario, cor, rate),
        **_hub_vars(scenario, data, hubs, rate),
        "build_min_mw": _var(lo, "tech", "MW", "national minimum of total capacity"),
        "build_max_mw": _var(hi, "tech", "MW", "national maximum of total capacity"),
        "reserve_margin_region": _var(
            fleet.regional_margin(scenario, data.regions), "region", "1", "regional margin target"
        ),
        **_coal_vars(scenario, data.regions),
        **_dr_vars(scenario, data.regions),
        "td_loss_rate": _var(
            loss,
            "region",
            "1",
            "transmission and distribution loss rate of the year (busbar basis)",
        ),
        "td_loss_base_rate": _var(
            np.full(len(loss), loss_base), "region", "1", "T&D loss rate the demand data carry"
        ),
    }
    ds = ds.assign(v)
    ds.attrs.update(_attrs(scenario, data, rate))
    return ds


def _coal_vars(scenario: Any, regions: list[str]) -> dict[str, xr.DataArray]:
    """Coal stockpiles per region (MODEL.md constraint 8), from ``reserves.coal``; without it
    the delivery limit is infinite and the LP and the core model no stock."""
    coal = scenario.reserves.coal
    n = len(regions)
    if coal is None:
        stock, yard, deliv, refill = (
            np.zeros(n),
            np.full(n, np.inf),
            np.full(n, np.inf),
            np.zeros(n),
        )
    else:
        stock = np.asarray(coal.stock_of(regions), float)
        yard = np.full(n, float(coal.yard_days))
        deliv = np.full(n, float(coal.delivery))
        refill = stock.copy() if coal.refill_days is None else np.full(n, float(coal.refill_days))
    R = ("region",)
    return {
        "coal_stock_days": _var(stock, R, "d", "coal stock floor, days of full burn"),
        "coal_yard_days": _var(yard, R, "d", "coal yard, days of full burn (inf: no stock model)"),
        "coal_delivery": _var(
            deliv, R, "1", "coal delivery limit, x full-load burn (inf: no stock model)"
        ),
        "coal_refill_days": _var(refill, R, "d", "days for the stock floor to come back"),
        "coal_availability": _var(
            np.ones((n, HOURS)), ("region", "time"), "1", "coal deliveries available (stress)"
        ),
    }


#: Units and descriptions of the demand-response variables (MODEL.md constraint 9).
_DR_META = {
    "dr_shift_share": ("1", "share of each hour's demand that may move within the day"),
    "dr_shift_mw": ("MW", "most load shifted into an hour"),
    "dr_shift_cost_usd_per_mwh": ("USD/MWh", "cost per MWh of load shifted"),
    "dr_ilc_mw": ("MW", "interruptible load contracts"),
    "dr_ilc_mwh": ("MWh/yr", "annual energy cap of interruptions (inf: none)"),
    "dr_ilc_price_usd_per_mwh": ("USD/MWh", "price per MWh interrupted"),
    "dr_credit_ilc": ("1", "reserve-margin credit of the interruptible MW"),
    "dr_credit_shift": ("1", "reserve-margin credit of the shiftable MW"),
}


def _dr_vars(scenario: Any, regions: list[str]) -> dict[str, xr.DataArray]:
    """Demand response per region from ``demand_response`` (off, all zero, without it)."""
    dr = getattr(scenario, "demand_response", None)
    out = {}
    for name, off in DR_FIELDS.items():
        vals = np.full(len(regions), off) if dr is None else np.asarray(dr.of(name[3:], regions))
        units, desc = _DR_META[name]
        out[name] = _var(vals.astype(float), "region", units, desc)
    return out


def _grid_losses(scenario: Any, data: DataTables) -> tuple[float, np.ndarray]:
    """``(base rate, rate of each region)`` of the scenario's ``grid_losses`` (MODEL.md
    constraint 10): the base is the data folder's ``td_loss_rate_base`` unless the scenario
    sets one, 0 where neither does."""
    names = set(data["assumptions"]["name"])
    data_base = data.assumption("td_loss_rate_base") if "td_loss_rate_base" in names else 0.0
    if not 0.0 <= data_base < 0.5:
        raise InputError(
            "assumption out of range",
            file=data.folder / "assumptions.csv",
            field="td_loss_rate_base",
            value=data_base,
            allowed="a loss rate 0 <= rate < 0.5",
        )
    base, rates = scenario.grid_losses.rates(data.regions, scenario.year, data_base)
    return base, np.asarray(rates, float)


def _coords(
    data: DataTables,
    gen: pd.DataFrame,
    sto: pd.DataFrame,
    cor: pd.DataFrame,
    hubs: pd.DataFrame,
    fuel: pd.Series,
    gen_hub: list[str],
    index: pd.DatetimeIndex,
) -> xr.Dataset:
    """An empty System with its dimensions and the labels of each object (region, tech,
    fuel and hub of a group, ends of a corridor, region of a hub)."""
    ds = xr.Dataset(
        coords={
            "region": data.regions,
            "gen": list(gen.index),
            "storage": list(sto.index),
            "corridor": list(cor.index),
            "hub": list(hubs.index),
            "tech": data.techs,
            "time": np.arange(HOURS),
            "month": np.arange(1, 13),
        }
    )
    return ds.assign_coords(
        # no ``units`` attr: xarray's datetime encoding owns it when writing NetCDF
        timestamp=xr.DataArray(
            index.to_numpy(), dims="time", attrs={"description": "start of the step (local time)"}
        ),
        gen_region=_var(gen["region"].to_numpy(), G, "-", "region of the group"),
        gen_tech=_var(gen["tech"].to_numpy(), G, "-", "technology of the group"),
        gen_fuel=_var(fuel.to_numpy(), G, "-", "fuel of the group ('none' if no fuel)"),
        gen_hub=_var(np.array(gen_hub, dtype=object), G, "-", "LNG hub feeding the group"),
        storage_region=_var(sto["region"].to_numpy(), S, "-", "region of the storage group"),
        storage_tech=_var(sto["tech"].to_numpy(), S, "-", "storage technology"),
        corridor_from=_var(cor["from_region"].to_numpy(), L, "-", "region a(l)"),
        corridor_to=_var(cor["to_region"].to_numpy(), L, "-", "region b(l)"),
        hub_region=_var(hubs["region"].to_numpy(), N, "-", "region served by the hub"),
    )


def _generator_vars(
    scenario: Any,
    data: DataTables,
    gen: pd.DataFrame,
    techs: pd.DataFrame,
    fuel: pd.Series,
    rate: float,
) -> dict[str, xr.DataArray]:
    """Costs, emissions, reliability, availability and hydro budgets of the generator groups.

    ``marginal_cost = fuel_price*3.6/eff + vom + carbon_price*co2`` with ``co2 =
    co2_th/eff`` for thermal groups (fuel terms 0 for the others).
    """
    gt = techs.loc[gen["tech"]]
    kinds = gen["tech"].map(techs["kind"])
    fuels = DY.fuel_table(data, scenario.year)
    thermal = (kinds == "thermal").to_numpy()
    eff = np.where(thermal, gt["efficiency"].to_numpy(), 1.0)
    price_gj = fuel.map(fuels["price_usd_per_gj"]).fillna(0.0).to_numpy()
    co2_th = fuel.map(fuels["co2_t_per_mwh_th"]).fillna(0.0).to_numpy()
    co2 = np.where(thermal, co2_th / eff, 0.0)
    carbon = float(scenario.policies.carbon_price_usd_per_t)
    mc = np.where(thermal, price_gj * GJ_PER_MWH / eff, 0.0) + gt["vom_usd_per_mwh"].to_numpy()
    mc = mc + carbon * co2
    is_lng = (fuel == "lng").to_numpy()
    avail = series.availability(scenario, data, gen, techs)
    return {
        "cap0_mw": _var(gen["cap0"].to_numpy(), G, "MW", "existing capacity after retirements"),
        "capmax_mw": _var(gen["capmax"].to_numpy(), G, "MW", "maximum total capacity"),
        "ann_capex_usd_per_mw": _var(
            annuity(gt["capex_musd_per_mw"].to_numpy() * 1e6, rate, gt["lifetime_yr"].to_numpy()),
            G,
            "USD/MW/yr",
            "annualised capex ann(capex)",
        ),
        "fom_usd_per_mw": _var(gt["fom_kusd_per_mw_yr"].to_numpy() * 1e3, G, "USD/MW/yr", "FOM"),
        "lifetime_yr": _var(gt["lifetime_yr"].to_numpy(), G, "yr", "life of a new unit"),
        "marginal_cost_usd_per_mwh": _var(
            mc, G, "USD/MWh", "fuel_price/eff + vom + carbon_price*co2"
        ),
        "efficiency": _var(eff, G, "1", "fuel to electricity (LHV); 1 where no fuel"),
        "co2_t_per_mwh": _var(co2, G, "tCO2/MWh", "emissions per MWh electric"),
        "capacity_credit": _var(gt["capacity_credit"].to_numpy(), G, "1", "firm share"),
        "forced_outage_rate": _var(gt["forced_outage_rate"].to_numpy(), G, "1", "FOR"),
        "mttr_h": _var(gt["mttr_h"].to_numpy(), G, "h", "mean time to repair"),
        "unit_size_mw": _var(gt["unit_size_mw"].to_numpy(), G, "MW", "size of one unit"),
        "is_clean": _var(gt["is_clean"].to_numpy().astype(bool), G, "bool", "clean generation"),
        "is_lng": _var(is_lng, G, "bool", "burns LNG from the region's hub"),
        "is_reservoir_hydro": _var(
            (kinds == "hydro_reservoir").to_numpy(), G, "bool", "reservoir hydro"
        ),
        "availability": _var(avail, ("gen", "time"), "1", "available share of capacity"),
        "hydro_cf_month": _var(
            series.hydro_cf_month(data, gen, kinds, "normal"),
            ("gen", "month"),
            "1",
            "monthly energy budget of reservoir hydro as a capacity factor, normal year",
        ),
        "hydro_cf_month_dry": _var(
            series.hydro_cf_month(data, gen, kinds, "dry"),
            ("gen", "month"),
            "1",
            "dry-year (2023-like) monthly capacity factor of reservoir and run-of-river hydro",
        ),
    }


def _storage_vars(sto: pd.DataFrame, techs: pd.DataFrame, rate: float) -> dict[str, xr.DataArray]:
    """Power, duration, efficiencies, costs and reliability of the storage groups."""
    st = techs.loc[sto["tech"]]
    return {
        "pcap0_mw": _var(sto["cap0"].to_numpy(), S, "MW", "existing storage power"),
        "pcapmax_mw": _var(sto["capmax"].to_numpy(), S, "MW", "maximum storage power"),
        "duration_h": _var(st["duration_h"].to_numpy(), S, "h", "energy/power ratio"),
        "eff_charge": _var(st["eff_charge"].to_numpy(), S, "1", "one-way charge efficiency"),
        "eff_discharge": _var(st["eff_discharge"].to_numpy(), S, "1", "one-way discharge eff."),
        "loss_per_h": _var(st["loss_per_h"].to_numpy(), S, "1/h", "self-discharge"),
        "ann_capex_power_usd_per_mw": _var(
            annuity(st["capex_musd_per_mw"].to_numpy() * 1e6, rate, st["lifetime_yr"].to_numpy()),
            S,
            "USD/MW/yr",
            "annualised power capex",
        ),
        "ann_capex_energy_usd_per_mwh": _var(
            annuity(
                st["capex_energy_musd_per_mwh"].to_numpy() * 1e6, rate, st["lifetime_yr"].to_numpy()
            ),
            S,
            "USD/MWh/yr",
            "annualised energy capex",
        ),
        "storage_lifetime_yr": _var(st["lifetime_yr"].to_numpy(), S, "yr", "life of new storage"),
        "storage_fom_usd_per_mw": _var(
            st["fom_kusd_per_mw_yr"].to_numpy() * 1e3, S, "USD/MW/yr", "storage FOM"
        ),
        "storage_capacity_credit": _var(st["capacity_credit"].to_numpy(), S, "1", "firm share"),
        "storage_forced_outage_rate": _var(st["forced_outage_rate"].to_numpy(), S, "1", "FOR"),
    }


def _corridor_vars(scenario: Any, cor: pd.DataFrame, rate: float) -> dict[str, xr.DataArray]:
    """Transfer capacity (existing and maximum), losses, size and costs of the corridors.

    The annualised corridor cost is ``capex_per_mw_km*length*(ann(1) + fom_frac)``.
    """
    fcap0 = cor["capacity_mw"].to_numpy(dtype=float)
    new_cor = bool(scenario.investments.new_corridors)
    fcapmax = fcap0 + (cor["max_new_mw"].to_numpy(dtype=float) if new_cor else 0.0)
    cor_ann = cor["capex_usd_per_mw_km"] * cor["length_km"]
    cor_ann = cor_ann * (annuity(1.0, rate, cor["lifetime_yr"]) + cor["fom_frac"])
    return {
        "fcap0_mw": _var(fcap0, L, "MW", "existing transfer capacity (each direction)"),
        "fcapmax_mw": _var(fcapmax, L, "MW", "maximum transfer capacity (each direction)"),
        "corridor_efficiency": _var(cor["efficiency"].to_numpy(), L, "1", "eta_l"),
        "length_km": _var(cor["length_km"].to_numpy(), L, "km", "corridor length"),
        "voltage_kv": _var(cor["voltage_kv"].to_numpy(), L, "kV", "voltage"),
        "circuits": _var(cor["circuits"].to_numpy(), L, "1", "number of circuits"),
        "corridor_ann_capex_usd_per_mw": _var(
            cor_ann.to_numpy(), L, "USD/MW/yr", "annualised capex incl. FOM"
        ),
        "import_credit": _var(cor["import_credit"].to_numpy(), L, "1", "reserve credit"),
        "corridor_lifetime_yr": _var(
            cor["lifetime_yr"].to_numpy(), L, "yr", "life of new transfer capacity"
        ),
    }


def _hub_vars(
    scenario: Any, data: DataTables, hubs: pd.DataFrame, rate: float
) -> dict[str, xr.DataArray]:
    """Send-out, tanks (existing and maximum), reserve, contract and supply of the LNG hubs."""
    new_tanks = bool(scenario.investments.new_tanks)
    tank0 = hubs["tank0_mwh_th"].to_numpy(dtype=float)
    tankmax = hubs["tankmax_mwh_th"].to_numpy(dtype=float) if new_tanks else tank0
    tank_life = data.assumption("tank_lifetime_yr")
    return {
        "regas_mw_th": _var(hubs["regas_mw_th"].to_numpy(), N, "MW_th", "send-out limit"),
        "tank0_mwh_th": _var(tank0, N, "MWh_th", "existing tank"),
        "tankmax_mwh_th": _var(tankmax, N, "MWh_th", "maximum tank"),
        "tank_ann_capex_usd_per_mwh_th": _var(
            annuity(hubs["tank_capex_usd_per_mwh_th"].to_numpy(), rate, tank_life),
            N,
            "USD/MWh_th/yr",
            "annualised tank capex",
        ),
        "tank_lifetime_yr": _var(np.full(len(hubs), tank_life), N, "yr", "life of a new tank"),
        "reserve_days": _var(hubs["reserve_days"].to_numpy(), N, "d", "strategic reserve"),
        "refill_days": _var(
            default_refill_days(
                hubs["reserve_days"].to_numpy(),
                np.array(scenario.reserves.lng_refill_of([str(h) for h in hubs.index]), float),
            ),
            N,
            "d",
            "days for the reserve floor to come back after a disruption (phi, issue 14)",
        ),
        "contract_mwh_th": _var(hubs["contract_mwh_th"].to_numpy(), N, "MWh_th/yr", "contract"),
        "lng_availability": _var(
            np.ones((len(hubs), HOURS)), ("hub", "time"), "1", "0 inside a supply disruption"
        ),
    }


def _attrs(scenario: Any, data: DataTables, rate: float) -> dict[str, Any]:
    pol = scenario.policies
    solver = scenario.solver
    pair = DY.demand_pair(data, scenario.year, scenario.demand_case)
    return {
        "scenario": str(scenario.name or ""),
        "description": str(scenario.description or ""),
        "data": str(data.folder),
        "year": int(scenario.year),
        "demand_case": str(scenario.demand_case),
        "demand_basis": DEMAND_BASIS,
        "pair_energy_twh": float(pair.energy_twh),
        "pair_peak_mw": float(pair.peak_mw),
        "pair_tag": pair.tag,
        "fleet": str(scenario.fleet),
        "reserve_margin": float(scenario.reserve_margin),
        "voll_usd_per_mwh": float(scenario.voll_usd_per_mwh),
        "reserve_penalty_usd_per_mw": float(scenario.reserve_penalty_usd_per_mw),
        "clean_share_min": np.nan if pol.clean_share is None else float(pol.clean_share),
        "co2_cap_t": np.nan if pol.co2_cap_t is None else float(pol.co2_cap_t),
        "carbon_price_usd_per_t": float(pol.carbon_price_usd_per_t),
        "discount_rate": float(rate),
        "resolution": "full",
        "seed": int(scenario.seed),
        "allow_new_corridors": int(bool(scenario.investments.new_corridors)),
        "allow_new_tanks": int(bool(scenario.investments.new_tanks)),
        "lp_solver_options": json.dumps(
            {
                "method": solver.method,
                "time_limit_s": float(solver.time_limit_s),
                "options": dict(solver.options),
            },
            sort_keys=True,
        ),
    }


def add_peaks(system: xr.Dataset) -> xr.Dataset:
    """Add the hourly peaks before aggregation (a 4-hour average hides part of the peak):
    ``peak_demand_mw = max_t sum_r demand[r,t]`` and ``peak_demand_region_mw[r] = max_t
    demand[r,t]``."""
    demand = system["demand_mw"].transpose("region", "time").to_numpy()
    out = system.copy()
    out["peak_demand_mw"] = _var(
        float(demand.sum(axis=0).max()), (), "MW", "coincident national peak of hourly demand"
    )
    out["peak_demand_region_mw"] = _var(
        demand.max(axis=1), "region", "MW", "each region's own peak of hourly demand"
    )
    return out


def build_system(scenario: Any, *, resolution: str | None = None) -> xr.Dataset:
    """Scenario -> System (docs/architecture.md) at the scenario's resolution.

    Steps: :func:`build_hourly_system`; the scenario's stress tests
    (:func:`energy_sim.inputs.stress.apply_stresses`) on the hourly year; :func:`add_peaks`; then
    :func:`energy_sim.inputs.timeseries.aggregate` to ``resolution`` (default: the scenario's), which
    keeps ``sum_t weight*dt_h == 8760``.

    Raises
    ------
    InputError
        Any mistake in the data folder, a profile CSV or the scenario's names and ranges.
    """
    from energy_sim.inputs.timeseries import aggregate

    system = build_hourly_system(scenario)
    if scenario.stress:
        from energy_sim.inputs.stress import apply_stresses

        system = apply_stresses(system, scenario.stress)
    system = add_peaks(system)
    return aggregate(system, resolution or scenario.resolution)
