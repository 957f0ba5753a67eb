"""Data tables + scenario -> the System dataset (docs/architecture.md).

:func:`build_system` reads the scenario's data folder (:mod:`energy_sim.data`), generates the
hourly profiles (:mod:`energy_sim.profiles`) or reads the user's CSV instead, assembles every
variable of the System contract for the full hourly year, applies the scenario's stress tests,
and aggregates the year to the scenario's resolution (:mod:`energy_sim.timeseries`).
:func:`system_summary` turns a System into the tables that ``energy-sim validate`` prints.

Demand basis: ``demand_mw`` is *production + imports* (revised PDP8 2030: 560.4-624.6 TWh, peak
89.7-99.9 GW), i.e. demand measured at the generators' terminals; see docs/data.md for why.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energy_sim import data as D
from energy_sim import profiles
from energy_sim.errors import InputError

HOURS = 8760
GJ_PER_MWH = 3.6
#: What the model's demand is: documented in docs/data.md and printed by ``validate``.
DEMAND_BASIS = "production+imports"


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


# --------------------------------------------------------------------------------- groups


def _groups(scenario: Any, data: D.DataTables, techs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Generator and storage groups (region x tech) with existing and maximum capacity.

    ``cap0`` is the scenario fleet alive in the year; ``capmax = max(cap0, build limit)``,
    or ``cap0`` for technologies the scenario does not allow to be built. A group exists when
    ``cap0 > 0`` or ``capmax > 0``.
    """
    cap0 = D.existing_capacity(data, scenario.fleet, scenario.year)
    limit = D.build_limit(data, scenario.year)
    capmax = np.maximum(cap0, limit)
    allowed = scenario.investments.technologies
    if allowed is not None:
        frozen = [t for t in data.techs if t not in set(allowed)]
        capmax[frozen] = cap0[frozen]
    rows = []
    for tech in data.techs:
        for region in data.regions:
            c0, cm = float(cap0.loc[region, tech]), float(capmax.loc[region, tech])
            if c0 > 0 or cm > 0:
                rows.append((f"{region}/{tech}", region, tech, c0, cm))
    table = pd.DataFrame(rows, columns=["id", "region", "tech", "cap0", "capmax"]).set_index("id")
    is_storage = table["tech"].map(techs["kind"]).eq("storage")
    return {"gen": table[~is_storage], "storage": table[is_storage]}


def _fuel_of(gen: pd.DataFrame, techs: pd.DataFrame, regions: pd.DataFrame) -> pd.Series:
    fuel = gen["tech"].map(techs["fuel"])
    coal = fuel == D.REGIONAL_COAL
    return fuel.where(~coal, gen["region"].map(regions.set_index("region")["coal_fuel"]))


# ---------------------------------------------------------------------------- time series


def _demand(scenario: Any, data: D.DataTables, regions: list[str]) -> np.ndarray:
    """Hourly demand (region x 8760, MW): the regional shape scaled so that annual energy and
    peak match demand.csv, ``x[t] = peak * (s[t]/max s)^k`` (:func:`profiles.scale_demand`).

    A user's ``profiles.demand`` CSV is scaled the same way when every value is <= 1 (a shape);
    otherwise it is taken as MW as it stands.
    """
    target = D.demand_table(data, scenario.year, scenario.demand_case)
    energy = target["energy_twh"] * 1e6
    path = scenario.profiles.demand
    if path is not None:
        shape = profiles.read_profile_csv(path, regions, "demand", lower=0.0)
        if float(shape.to_numpy().max()) > 1.0 + 1e-9:
            return shape[regions].to_numpy(dtype=float).T
    else:
        lat = data["regions"].set_index("region")["latitude"].to_dict()
        share = (energy / energy.sum()).to_dict()
        shape = profiles.demand_shape(
            regions, lat, scenario.year, scenario.seed, energy_share=share
        )
    return np.vstack(
        [
            profiles.scale_demand(
                shape[r].to_numpy(dtype=float),
                float(energy[r]),
                float(target.loc[r, "peak_mw"]),
                field=f"demand.{r}",
            )
            for r in regions
        ]
    )


def _availability(
    scenario: Any, data: D.DataTables, gen: pd.DataFrame, techs: pd.DataFrame
) -> np.ndarray:
    """``avail[g, t]``: generated (or user) profiles for solar, wind and run-of-river;
    ``1 - planned_derate`` for thermal, reservoir hydro and imports."""
    reg = data["regions"].set_index("region")
    kind = gen["tech"].map(techs["kind"])
    out = np.repeat((1.0 - gen["tech"].map(techs["planned_derate"]).to_numpy())[:, None], HOURS, 1)
    year, seed = scenario.year, scenario.seed
    user = {
        "solar_utility": scenario.profiles.solar,
        "solar_rooftop": scenario.profiles.solar,
        "wind_onshore": scenario.profiles.wind_onshore,
        "wind_offshore": scenario.profiles.wind_offshore,
    }
    for k in ("solar_utility", "solar_rooftop", "wind_onshore", "wind_offshore", "hydro_ror"):
        rows = np.flatnonzero(kind.to_numpy() == k)
        if rows.size == 0:
            continue
        regions = list(gen["region"].iloc[rows])
        if user.get(k) is not None:
            name = "solar" if k.startswith("solar") else k
            prof = profiles.read_profile_csv(user[k], regions, name, lower=0.0, upper=1.0)
        elif k.startswith("solar"):
            prof = profiles.solar_cf(
                regions,
                reg["latitude"].to_dict(),
                reg["longitude"].to_dict(),
                year,
                seed,
                reg[f"{k}_cf"].to_dict(),
                kind=k.removeprefix("solar_"),
            )
        elif k.startswith("wind"):
            prof = profiles.wind_cf(
                regions, year, seed, reg[f"{k}_cf"].to_dict(), offshore=k == "wind_offshore"
            )
        else:
            monthly = _hydro_months(data, regions, "ror_cf_normal")
            prof = profiles.ror_profile(monthly, year, seed)
        out[rows] = prof[regions].to_numpy(dtype=float).T
    return out


def _hydro_months(data: D.DataTables, regions: list[str], column: str) -> pd.DataFrame:
    table = D.hydro_monthly(data, column)
    missing = [r for r in regions if r not in table.columns]
    if missing:
        raise InputError(
            "hydro plants in a region without monthly hydro data",
            file=data.path("hydro_monthly"),
            field="region",
            value=missing[0],
            allowed="12 rows (months 1..12) for every region with hydro capacity",
        )
    return table[regions]


def _hydro_cf_month(data: D.DataTables, gen: pd.DataFrame, kinds: pd.Series, year_type: str):
    """Monthly hydro energy budget as a capacity factor (gen x 12), NaN for other groups.

    Reservoir hydro gets ``reservoir_cf_<year_type>``; with ``year_type='dry'`` run-of-river
    gets ``ror_cf_dry`` too (the ``hydro_cf_month_dry`` variable).
    """
    out = np.full((len(gen), 12), np.nan)
    cols = [("hydro_reservoir", f"reservoir_cf_{year_type}")]
    if year_type == "dry":
        cols.append(("hydro_ror", "ror_cf_dry"))
    for k, column in cols:
        rows = np.flatnonzero(kinds.to_numpy() == k)
        if rows.size:
            regions = list(gen["region"].iloc[rows])
            out[rows] = _hydro_months(data, regions, column).to_numpy(dtype=float).T
    return out


# ------------------------------------------------------------------------------- assembly


def _policy_ranges(scenario: Any, data: D.DataTables) -> tuple[np.ndarray, np.ndarray]:
    """National build range per tech: PDP8 rows of build_ranges.csv for the year (when
    ``policies.pdp8_ranges``), then ``policies.build_ranges`` (null = open)."""
    techs = data.techs
    lo = pd.Series(0.0, index=techs)
    hi = pd.Series(np.inf, index=techs)
    if scenario.policies.pdp8_ranges:
        ranges = D.build_ranges(data, scenario.year)
        lo.loc[ranges.index] = ranges["min_mw"]
        hi.loc[ranges.index] = ranges["max_mw"]
    for tech, (a, b) in (scenario.policies.build_ranges or {}).items():
        if tech not in techs:
            raise InputError(
                "unknown technology",
                file=scenario.source_file,
                field=f"policies.build_ranges.{tech}",
                value=tech,
                allowed="one of " + ", ".join(techs),
            )
        lo[tech] = 0.0 if a is None else float(a)
        hi[tech] = np.inf if b is None else float(b)
    return lo.to_numpy(), hi.to_numpy()


def _check_ranges(scenario: Any, data: D.DataTables, groups, lo: np.ndarray, hi: np.ndarray):
    """A range the groups cannot meet would make the LP infeasible: say so now."""
    table = pd.concat([groups["gen"], groups["storage"]])
    cap0 = table.groupby("tech")["cap0"].sum().reindex(data.techs, fill_value=0.0)
    capmax = table.groupby("tech")["capmax"].sum().reindex(data.techs, fill_value=0.0)
    source = "build_ranges.csv or policies.build_ranges"
    for j, tech in enumerate(data.techs):
        if lo[j] > capmax[tech] + 1e-6:
            raise InputError(
                f"the build range minimum of {tech} cannot be reached: the regional build "
                f"limits (and investments.technologies) allow at most {capmax[tech]:,.0f} MW",
                file=scenario.source_file,
                field=f"{source}: {tech}",
                value=float(lo[j]),
                allowed=f"a minimum <= {capmax[tech]:,.0f} MW",
            )
        if hi[j] < cap0[tech] - 1e-6:
            raise InputError(
                f"the build range maximum of {tech} is below the existing fleet "
                f"({cap0[tech]:,.0f} MW in {scenario.year})",
                file=scenario.source_file,
                field=f"{source}: {tech}",
                value=float(hi[j]),
                allowed=f"a maximum >= {cap0[tech]:,.0f} MW",
            )


def _regional_margin(scenario: Any, regions: list[str]) -> np.ndarray:
    margin = scenario.regional_reserve_margin
    if margin is None:
        return np.full(len(regions), np.nan)
    if not isinstance(margin, dict):
        return np.full(len(regions), float(margin))
    for r in margin:
        if r not in regions:
            raise InputError(
                "unknown region",
                file=scenario.source_file,
                field=f"regional_reserve_margin.{r}",
                value=r,
                allowed="one of " + ", ".join(regions),
            )
    return np.array([np.nan if margin.get(r) is None else float(margin[r]) for r in regions])


def _hub_of_gens(gen: pd.DataFrame, is_lng: np.ndarray, hubs: pd.DataFrame, data) -> list[str]:
    by_region = {r: h for h, r in hubs["region"].items()}
    out = []
    for (gid, row), lng in zip(gen.iterrows(), is_lng, strict=True):
        if not lng:
            out.append("")
            continue
        if row["region"] not in by_region:
            raise InputError(
                "LNG-fired plant in a region without an LNG hub",
                file=data.path("lng_hubs"),
                field="region",
                value=gid,
                allowed="a hub row for every region with LNG-fired capacity or build limit",
            )
        out.append(by_region[row["region"]])
    return out


def build_hourly_system(scenario: Any) -> xr.Dataset:
    """The System of ``scenario`` for the full hourly year (8760 steps, dt_h = weight = 1),
    before stress tests and aggregation.

    Parameters
    ----------
    scenario
        A :class:`energy_sim.scenario.Scenario`.

    Returns
    -------
    xarray.Dataset
        Every variable of docs/architecture.md with ``units`` and ``description`` attrs.
    """
    data = D.read_data(scenario.data)
    year = scenario.year
    regions = data.regions
    techs = D.tech_table(data, year)
    fuels = D.fuel_table(data, year)
    rate = data.assumption("discount_rate")
    groups = _groups(scenario, data, techs)
    gen, sto = groups["gen"], groups["storage"]
    gt = techs.loc[gen["tech"]]
    st = techs.loc[sto["tech"]]
    kinds = gen["tech"].map(techs["kind"])

    # generators: costs and emissions
    fuel = _fuel_of(gen, techs, data["regions"])
    thermal = (kinds == "thermal").to_numpy()
    eff = np.where(thermal, gt["efficiency"].to_numpy(), 1.0)
    price_gj = fuel.map(fuels["price_usd_per_gj"]).fillna(0.0).to_numpy()
    co2_th = fuel.map(fuels["co2_t_per_mwh_th"]).fillna(0.0).to_numpy()
    co2 = np.where(thermal, co2_th / eff, 0.0)
    carbon = float(scenario.policies.carbon_price_usd_per_t)
    mc = np.where(thermal, price_gj * GJ_PER_MWH / eff, 0.0) + gt["vom_usd_per_mwh"].to_numpy()
    mc = mc + carbon * co2
    hubs = D.hub_table(data, year)
    is_lng = (fuel == "lng").to_numpy()
    gen_hub = _hub_of_gens(gen, is_lng, hubs, data)

    # corridors and hubs
    cor = D.corridor_table(data, year)
    new_cor = bool(scenario.investments.new_corridors)
    new_tanks = bool(scenario.investments.new_tanks)
    fcap0 = cor["capacity_mw"].to_numpy(dtype=float)
    fcapmax = fcap0 + (cor["max_new_mw"].to_numpy(dtype=float) if new_cor else 0.0)
    cor_ann = cor["capex_usd_per_mw_km"] * cor["length_km"]
    cor_ann = cor_ann * (annuity(1.0, rate, cor["lifetime_yr"]) + cor["fom_frac"])
    tank0 = hubs["tank0_mwh_th"].to_numpy(dtype=float)
    tankmax = hubs["tankmax_mwh_th"].to_numpy(dtype=float) if new_tanks else tank0
    tank_life = data.assumption("tank_lifetime_yr")

    lo, hi = _policy_ranges(scenario, data)
    _check_ranges(scenario, data, groups, lo, hi)

    # time
    index = profiles.year_index(year)
    demand = _demand(scenario, data, regions)
    avail = _availability(scenario, data, gen, techs)

    G, S, L, N = ("gen",), ("storage",), ("corridor",), ("hub",)
    ds = xr.Dataset(
        coords={
            "region": regions,
            "gen": list(gen.index),
            "storage": list(sto.index),
            "corridor": list(cor.index),
            "hub": list(hubs.index),
            "tech": data.techs,
            "time": np.arange(HOURS),
            "month": np.arange(1, 13),
        }
    )
    ds = ds.assign_coords(
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
    v = {
        "dt_h": _var(np.ones(HOURS), "time", "h", "step duration"),
        "weight": _var(np.ones(HOURS), "time", "1", "how many times the step stands for the year"),
        "month_of": _var(index.month.to_numpy(), "time", "1", "calendar month 1..12 of the step"),
        "period": _var(np.zeros(HOURS, dtype=int), "time", "1", "cyclic block id"),
        "demand_mw": _var(
            demand, ("region", "time"), "MW", f"demand at the regional busbar ({DEMAND_BASIS})"
        ),
        "cap0_mw": _var(gen["cap0"].to_numpy(), G, "MW", "existing capacity after retirements"),
        "capmax_mw": _var(gen["capmax"].to_numpy(), G, "MW", "maximum total capacity"),
        "ann_capex_usd_per_mw": _var(
            annuity(gt["capex_musd_per_mw"].to_numpy() * 1e6, rate, gt["lifetime_yr"].to_numpy()),
            G,
            "USD/MW/yr",
            "annualised capex ann(capex)",
        ),
        "fom_usd_per_mw": _var(gt["fom_kusd_per_mw_yr"].to_numpy() * 1e3, G, "USD/MW/yr", "FOM"),
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
            _hydro_cf_month(data, gen, kinds, "normal"),
            ("gen", "month"),
            "1",
            "monthly energy budget of reservoir hydro as a capacity factor, normal year",
        ),
        "hydro_cf_month_dry": _var(
            _hydro_cf_month(data, gen, kinds, "dry"),
            ("gen", "month"),
            "1",
            "dry-year (2023-like) monthly capacity factor of reservoir and run-of-river hydro",
        ),
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
        "storage_fom_usd_per_mw": _var(
            st["fom_kusd_per_mw_yr"].to_numpy() * 1e3, S, "USD/MW/yr", "storage FOM"
        ),
        "storage_capacity_credit": _var(st["capacity_credit"].to_numpy(), S, "1", "firm share"),
        "storage_forced_outage_rate": _var(st["forced_outage_rate"].to_numpy(), S, "1", "FOR"),
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
        "regas_mw_th": _var(hubs["regas_mw_th"].to_numpy(), N, "MW_th", "send-out limit"),
        "tank0_mwh_th": _var(tank0, N, "MWh_th", "existing tank"),
        "tankmax_mwh_th": _var(tankmax, N, "MWh_th", "maximum tank"),
        "tank_ann_capex_usd_per_mwh_th": _var(
            annuity(hubs["tank_capex_usd_per_mwh_th"].to_numpy(), rate, tank_life),
            N,
            "USD/MWh_th/yr",
            "annualised tank capex",
        ),
        "reserve_days": _var(hubs["reserve_days"].to_numpy(), N, "d", "strategic reserve"),
        "contract_mwh_th": _var(hubs["contract_mwh_th"].to_numpy(), N, "MWh_th/yr", "contract"),
        "lng_availability": _var(
            np.ones((len(hubs), HOURS)), ("hub", "time"), "1", "0 inside a supply disruption"
        ),
        "build_min_mw": _var(lo, "tech", "MW", "national minimum of total capacity"),
        "build_max_mw": _var(hi, "tech", "MW", "national maximum of total capacity"),
        "reserve_margin_region": _var(
            _regional_margin(scenario, regions), "region", "1", "regional margin target"
        ),
    }
    ds = ds.assign(v)
    ds.attrs.update(_attrs(scenario, data, rate))
    return ds


def _attrs(scenario: Any, data: D.DataTables, rate: float) -> dict[str, Any]:
    pol = scenario.policies
    solver = scenario.solver
    return {
        "scenario": str(scenario.name or ""),
        "description": str(scenario.description or ""),
        "data": str(data.folder),
        "year": int(scenario.year),
        "demand_case": str(scenario.demand_case),
        "demand_basis": DEMAND_BASIS,
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
    (:func:`energy_sim.stress.apply_stresses`) on the hourly year; :func:`add_peaks`; then
    :func:`energy_sim.timeseries.aggregate` to ``resolution`` (default: the scenario's), which
    keeps ``sum_t weight*dt_h == 8760``.

    Raises
    ------
    InputError
        Any mistake in the data folder, a profile CSV or the scenario's names and ranges.
    """
    from energy_sim.timeseries import aggregate

    system = build_hourly_system(scenario)
    if scenario.stress:
        from energy_sim.stress import apply_stresses

        system = apply_stresses(system, scenario.stress)
    system = add_peaks(system)
    return aggregate(system, resolution or scenario.resolution)


# -------------------------------------------------------------------------------- summary


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
