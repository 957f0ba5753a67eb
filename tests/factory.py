"""Tiny, valid System datasets for tests (the contract of docs/architecture.md).

``tiny_system(...)`` builds a System from a handful of keyword arguments so that a test can write
down a system whose optimum is worked out by hand. Generators, storage, corridors and LNG hubs
are given as lists of dicts made by :func:`gen`, :func:`store`, :func:`corridor` and :func:`hub`;
anything left out takes a neutral default (no investment, no cost, availability 1, ...).

Example
-------
>>> sys = tiny_system(
...     regions=["north"],
...     gens=[gen("north", "coal", cap0=100, mc=30), gen("north", "ocgt", cap0=100, mc=80)],
...     demand=[[50, 150]],
... )
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

GEN_TECHS = [
    "coal",
    "ccgt_lng",
    "ccgt_gas",
    "ocgt",
    "oil",
    "hydro_reservoir",
    "hydro_ror",
    "solar_utility",
    "solar_rooftop",
    "wind_onshore",
    "wind_offshore",
    "biomass",
    "waste",
    "nuclear",
    "import_laos",
    "import_china",
]
STORAGE_TECHS = ["pumped_hydro", "battery_2h", "battery_4h"]
CLEAN = {
    "hydro_reservoir",
    "hydro_ror",
    "solar_utility",
    "solar_rooftop",
    "wind_onshore",
    "wind_offshore",
    "biomass",
    "waste",
    "nuclear",
}
FUEL = {
    "coal": "coal",
    "ccgt_lng": "lng",
    "ccgt_gas": "gas",
    "ocgt": "lng",
    "oil": "oil",
    "biomass": "biomass",
    "waste": "waste",
    "nuclear": "uranium",
}
INF = float("inf")


def gen(region: str, tech: str, **kw: Any) -> dict[str, Any]:
    """A generator group.

    Keywords (all optional): ``cap0`` (MW), ``capmax`` (MW, default = cap0), ``ann_capex``
    (USD/MW/yr), ``fom`` (USD/MW/yr), ``life`` (yr, default 30), ``mc`` (USD/MWh), ``eff`` (1), ``co2`` (t/MWh),
    ``credit`` (1), ``avail`` (scalar or length-T array), ``cf_month`` (scalar or 12 values,
    reservoir hydro only), ``hub`` (LNG hub name), ``is_clean``, ``is_lng``, ``fuel``, ``for_``
    (forced outage rate), ``mttr``, ``unit``.
    """
    return {"region": region, "tech": tech, **kw}


def store(region: str, tech: str = "battery_4h", **kw: Any) -> dict[str, Any]:
    """A storage group: ``pcap0``, ``pcapmax``, ``dur``, ``eff_c``, ``eff_d``, ``loss``,
    ``capex_p``, ``capex_e``, ``fom``, ``credit``."""
    return {"region": region, "tech": tech, **kw}


def corridor(a: str, b: str, **kw: Any) -> dict[str, Any]:
    """A corridor a->b: ``fcap0``, ``fcapmax``, ``eta``, ``capex``, ``import_credit``,
    ``length``."""
    return {"a": a, "b": b, **kw}


def hub(name: str, region: str, **kw: Any) -> dict[str, Any]:
    """An LNG hub: ``regas`` (MW_th), ``tank0``, ``tankmax``, ``capex`` (USD/MWh_th/yr),
    ``reserve_days``, ``refill_days`` (default: ``reserve_days``), ``contract`` (MWh_th/yr),
    ``avail`` (scalar or length-T array)."""
    return {"name": name, "region": region, **kw}


def _per_time(value: Any, n: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected {n} values, got shape {arr.shape}")
    return arr


def tiny_system(
    *,
    regions: Sequence[str] = ("north",),
    gens: Sequence[dict[str, Any]] = (),
    storage: Sequence[dict[str, Any]] = (),
    corridors: Sequence[dict[str, Any]] = (),
    hubs: Sequence[dict[str, Any]] = (),
    demand: Any = 100.0,
    steps: int | None = None,
    dt: Any = 1.0,
    weight: Any = None,
    month_of: Any = None,
    period: Any = None,
    reserve_margin: float = 0.0,
    reserve_margin_region: dict[str, float] | None = None,
    voll: float = 10_000.0,
    reserve_penalty: float = 1_000_000.0,
    clean_share_min: float = float("nan"),
    co2_cap_t: float = float("nan"),
    carbon_price: float = 0.0,
    build_ranges: dict[str, tuple[float | None, float | None]] | None = None,
    scenario: str = "tiny",
    year: int = 2030,
    resolution: str = "full",
    solver_options: dict[str, Any] | None = None,
) -> xr.Dataset:
    """Build a System dataset.

    Parameters
    ----------
    regions
        Region ids (any strings).
    gens, storage, corridors, hubs
        Lists of dicts from :func:`gen`, :func:`store`, :func:`corridor`, :func:`hub`.
    demand
        Scalar, length-T (single region or same for every region), or (region, T) array, MW.
    steps
        Number of time steps T (inferred from ``demand`` when it is an array).
    dt, weight
        Step duration (h) and weight, scalar or length-T. ``weight`` defaults to the value that
        makes ``sum(weight*dt) == 8760``.
    month_of, period
        Length-T arrays (defaults: all month 1, period 0).
    reserve_margin, reserve_margin_region
        System target and optional ``{region: target}`` (others NaN).
    voll, reserve_penalty, clean_share_min, co2_cap_t, carbon_price
        Scalar attrs of the System.
    build_ranges
        ``{tech: (min_mw, max_mw)}`` national range of total capacity (None = open).
    """
    regions = list(regions)
    nr = len(regions)
    dem = np.asarray(demand, dtype=float)
    if steps is None:
        steps = 1 if dem.ndim == 0 else dem.shape[-1]
    nt = int(steps)
    if dem.ndim == 0:
        dem = np.full((nr, nt), float(dem))
    elif dem.ndim == 1:
        dem = np.tile(dem, (nr, 1))
    if dem.shape != (nr, nt):
        raise ValueError(f"demand: expected shape {(nr, nt)}, got {dem.shape}")
    dt_h = _per_time(dt, nt, "dt")
    w = np.full(nt, 8760.0 / dt_h.sum()) if weight is None else _per_time(weight, nt, "weight")
    mon = np.ones(nt, int) if month_of is None else np.asarray(month_of, int)
    per = np.zeros(nt, int) if period is None else np.asarray(period, int)
    ts = pd.date_range(f"{year}-01-01", periods=nt, freq=f"{int(round(dt_h[0] * 60))}min")

    def col(items: Sequence[dict], key: str, default: Any, dtype: Any = float) -> np.ndarray:
        return np.array([it.get(key, default) for it in items], dtype=dtype)

    # generators
    gids = [f"{g['region']}/{g['tech']}" for g in gens]
    cap0 = col(gens, "cap0", 0.0)
    capmax = np.array([g.get("capmax", g.get("cap0", 0.0)) for g in gens], float)
    capmax = np.where(np.isnan(capmax), INF, capmax)
    avail = np.array([_per_time(g.get("avail", 1.0), nt, "avail") for g in gens], float)
    avail = avail.reshape(len(gens), nt)
    cf = np.full((len(gens), 12), np.nan)
    for i, g in enumerate(gens):
        if g["tech"] == "hydro_reservoir":
            cf[i] = np.broadcast_to(np.asarray(g.get("cf_month", 1.0), float), (12,))
    techs_g = [g["tech"] for g in gens]
    is_lng = np.array([g.get("is_lng", g["tech"] in ("ccgt_lng",)) for g in gens], bool)
    gen_hub = [g.get("hub", "") for g in gens]
    mc = col(gens, "mc", 0.0)
    co2 = col(gens, "co2", 0.0)
    mc = mc + carbon_price * co2

    # storage
    sids = [f"{s['region']}/{s['tech']}" for s in storage]
    pcap0 = col(storage, "pcap0", 0.0)
    pcapmax = np.array([s.get("pcapmax", s.get("pcap0", 0.0)) for s in storage], float)

    # corridors
    cids = [f"{c['a']}-{c['b']}" for c in corridors]
    fcap0 = col(corridors, "fcap0", 0.0)
    fcapmax = np.array([c.get("fcapmax", c.get("fcap0", 0.0)) for c in corridors], float)

    # hubs
    hids = [h["name"] for h in hubs]
    lng_av = np.array([_per_time(h.get("avail", 1.0), nt, "hub avail") for h in hubs], float)
    lng_av = lng_av.reshape(len(hubs), nt)

    techs = GEN_TECHS + STORAGE_TECHS
    bmin = np.zeros(len(techs))
    bmax = np.full(len(techs), INF)
    for k, (lo, hi) in (build_ranges or {}).items():
        i = techs.index(k)
        bmin[i] = 0.0 if lo is None else lo
        bmax[i] = INF if hi is None else hi
    rm_reg = np.array([(reserve_margin_region or {}).get(r, np.nan) for r in regions], dtype=float)

    def v(dims: Any, data: Any, units: str, desc: str) -> tuple:
        return (dims, data, {"units": units, "description": desc})

    ds = xr.Dataset(
        {
            "dt_h": v("time", dt_h, "h", "step duration"),
            "weight": v("time", w, "1", "weight of the step in the year"),
            "month_of": v("time", mon, "1", "calendar month"),
            "block": v("time", per, "1", "cyclic block id"),
            "demand_mw": v(("region", "time"), dem, "MW", "demand"),
            "cap0_mw": v("gen", cap0, "MW", "existing capacity"),
            "capmax_mw": v("gen", capmax, "MW", "maximum capacity"),
            "ann_capex_usd_per_mw": v("gen", col(gens, "ann_capex", 0.0), "USD/MW/yr", "ann capex"),
            "fom_usd_per_mw": v("gen", col(gens, "fom", 0.0), "USD/MW/yr", "fixed O&M"),
            "lifetime_yr": v("gen", col(gens, "life", 30.0), "yr", "life of a new unit"),
            "marginal_cost_usd_per_mwh": v("gen", mc, "USD/MWh", "marginal cost"),
            "efficiency": v("gen", col(gens, "eff", 1.0), "1", "efficiency"),
            "co2_t_per_mwh": v("gen", co2, "tCO2/MWh", "emission factor"),
            "capacity_credit": v("gen", col(gens, "credit", 1.0), "1", "capacity credit"),
            "forced_outage_rate": v("gen", col(gens, "for_", 0.0), "1", "forced outage rate"),
            "mttr_h": v("gen", col(gens, "mttr", 24.0), "h", "mean time to repair"),
            "unit_size_mw": v("gen", col(gens, "unit", 100.0), "MW", "unit size"),
            "is_clean": v(
                "gen",
                np.array([g.get("is_clean", g["tech"] in CLEAN) for g in gens], bool),
                "1",
                "clean",
            ),
            "is_lng": v("gen", is_lng, "1", "LNG fired"),
            "is_reservoir_hydro": v(
                "gen", np.array([t == "hydro_reservoir" for t in techs_g], bool), "1", "res hydro"
            ),
            "availability": v(("gen", "time"), avail, "1", "availability"),
            "hydro_cf_month": v(("gen", "month"), cf, "1", "monthly hydro capacity factor"),
            "pcap0_mw": v("storage", pcap0, "MW", "existing storage power"),
            "pcapmax_mw": v("storage", pcapmax, "MW", "max storage power"),
            "duration_h": v("storage", col(storage, "dur", 4.0), "h", "duration"),
            "eff_charge": v("storage", col(storage, "eff_c", 1.0), "1", "charge eff"),
            "eff_discharge": v("storage", col(storage, "eff_d", 1.0), "1", "discharge eff"),
            "loss_per_h": v("storage", col(storage, "loss", 0.0), "1/h", "self-discharge"),
            "ann_capex_power_usd_per_mw": v(
                "storage", col(storage, "capex_p", 0.0), "USD/MW/yr", "ann capex power"
            ),
            "ann_capex_energy_usd_per_mwh": v(
                "storage", col(storage, "capex_e", 0.0), "USD/MWh/yr", "ann capex energy"
            ),
            "storage_fom_usd_per_mw": v("storage", col(storage, "fom", 0.0), "USD/MW/yr", "FOM"),
            "storage_lifetime_yr": v("storage", col(storage, "life", 30.0), "yr", "life"),
            "storage_capacity_credit": v("storage", col(storage, "credit", 1.0), "1", "credit"),
            "fcap0_mw": v("corridor", fcap0, "MW", "existing transfer capacity"),
            "fcapmax_mw": v("corridor", fcapmax, "MW", "max transfer capacity"),
            "corridor_efficiency": v("corridor", col(corridors, "eta", 1.0), "1", "efficiency"),
            "length_km": v("corridor", col(corridors, "length", 100.0), "km", "length"),
            "voltage_kv": v("corridor", col(corridors, "kv", 500.0), "kV", "voltage"),
            "circuits": v("corridor", col(corridors, "circuits", 2.0), "1", "circuits"),
            "corridor_ann_capex_usd_per_mw": v(
                "corridor", col(corridors, "capex", 0.0), "USD/MW/yr", "ann capex"
            ),
            "import_credit": v("corridor", col(corridors, "import_credit", 1.0), "1", "credit"),
            "corridor_lifetime_yr": v("corridor", col(corridors, "life", 30.0), "yr", "life"),
            "regas_mw_th": v("hub", col(hubs, "regas", INF), "MW_th", "send-out limit"),
            "tank0_mwh_th": v("hub", col(hubs, "tank0", 0.0), "MWh_th", "existing tank"),
            "tankmax_mwh_th": v(
                "hub",
                np.array([h.get("tankmax", h.get("tank0", 0.0)) for h in hubs], float),
                "MWh_th",
                "max tank",
            ),
            "tank_ann_capex_usd_per_mwh_th": v(
                "hub", col(hubs, "capex", 0.0), "USD/MWh_th/yr", "ann capex tank"
            ),
            "reserve_days": v("hub", col(hubs, "reserve_days", 0.0), "d", "strategic reserve"),
            "tank_lifetime_yr": v("hub", col(hubs, "life", 40.0), "yr", "life of a new tank"),
            "refill_days": v(
                "hub", col(hubs, "refill_days", np.nan), "d", "reserve floor refill time"
            ),
            "contract_mwh_th": v("hub", col(hubs, "contract", INF), "MWh_th/yr", "contract"),
            "lng_availability": v(("hub", "time"), lng_av, "1", "LNG availability"),
            "build_min_mw": v("tech", bmin, "MW", "min total capacity"),
            "build_max_mw": v("tech", bmax, "MW", "max total capacity"),
            "reserve_margin_region": v("region", rm_reg, "1", "regional margin target"),
        },
        coords={
            "region": regions,
            "gen": gids,
            "gen_region": ("gen", [g["region"] for g in gens]),
            "gen_tech": ("gen", techs_g),
            "gen_fuel": ("gen", [g.get("fuel", FUEL.get(g["tech"], "")) for g in gens]),
            "gen_hub": ("gen", gen_hub),
            "storage": sids,
            "storage_region": ("storage", [s["region"] for s in storage]),
            "storage_tech": ("storage", [s["tech"] for s in storage]),
            "corridor": cids,
            "corridor_from": ("corridor", [c["a"] for c in corridors]),
            "corridor_to": ("corridor", [c["b"] for c in corridors]),
            "hub": hids,
            "hub_region": ("hub", [h["region"] for h in hubs]),
            "tech": techs,
            "time": np.arange(nt),
            "timestamp": ("time", ts),
            "month": np.arange(1, 13),
        },
        attrs={
            "scenario": scenario,
            "year": year,
            "demand_case": "low",
            "reserve_margin": float(reserve_margin),
            "voll_usd_per_mwh": float(voll),
            "reserve_penalty_usd_per_mw": float(reserve_penalty),
            "clean_share_min": float(clean_share_min),
            "co2_cap_t": float(co2_cap_t),
            "carbon_price_usd_per_t": float(carbon_price),
            "resolution": resolution,
            "seed": 0,
            "allow_new_corridors": 1,
            "allow_new_tanks": 1,
            "lp_solver_options": json.dumps(solver_options or {}),
        },
    )
    return ds


def synthetic_system(
    n_regions: int = 6, gens_per_region: int = 12, steps: int = 8760, seed: int = 0
) -> xr.Dataset:
    """A large synthetic System of roughly the size of the Vietnam model, for benchmarks.

    Each region has ``gens_per_region`` generator groups cycling through technologies with
    random costs and capacities, solar/wind profiles, one battery, a reservoir hydro budget,
    a chain of corridors and one LNG hub.
    """
    if gens_per_region > 12:
        raise ValueError("gens_per_region: at most 12 (one group per technology)")
    rng = np.random.default_rng(seed)
    regions = [f"r{i}" for i in range(n_regions)]
    hours = np.arange(steps)
    hod = hours % 24
    base = 1000 + 300 * np.sin((hod - 8) / 24 * 2 * np.pi)
    solar = np.clip(np.sin((hod - 6) / 12 * np.pi), 0, None)
    month = np.minimum(hours // 730 + 1, 12)
    techs = [
        "coal", "ccgt_lng", "ocgt", "hydro_reservoir", "hydro_ror", "solar_utility",
        "solar_rooftop", "wind_onshore", "wind_offshore", "biomass", "import_laos", "oil",
    ]  # fmt: skip
    gens, stor, cors, hubs_ = [], [], [], []
    for i, r in enumerate(regions):
        for k in range(gens_per_region):
            tech = techs[k % len(techs)]
            if tech.startswith("solar"):
                av = solar * rng.uniform(0.7, 1.0, steps)
            elif tech.startswith("wind"):
                av = rng.uniform(0.0, 0.8, steps)
            elif tech == "hydro_ror":
                av = np.full(steps, 0.5)
            else:
                av = 0.95
            gens.append(
                gen(
                    r,
                    tech,
                    cap0=float(rng.uniform(0, 400)),
                    capmax=float(rng.uniform(400, 3000)),
                    ann_capex=float(rng.uniform(5e4, 2e5)),
                    fom=float(rng.uniform(1e4, 4e4)),
                    mc=0.0 if tech in CLEAN - {"biomass"} else float(rng.uniform(30, 200)),
                    co2=0.9 if tech == "coal" else 0.35 if "ccgt" in tech else 0.0,
                    eff=0.55 if tech == "ccgt_lng" else 1.0,
                    credit=0.9 if tech not in CLEAN else 0.2,
                    avail=av,
                    cf_month=0.4,
                    hub=f"hub{i}" if tech == "ccgt_lng" else "",
                )
            )
        stor.append(store(r, "battery_4h", dur=4.0, eff_c=0.92, eff_d=0.92, pcapmax=2000.0,
                          capex_p=3e4, capex_e=1e4, credit=0.8))  # fmt: skip
        if i:
            cors.append(corridor(regions[i - 1], r, fcap0=1000.0, fcapmax=6000.0, eta=0.97,
                                 capex=2e4))  # fmt: skip
        hubs_.append(hub(f"hub{i}", r, regas=5000.0, tank0=5e5, tankmax=2e6, capex=5.0,
                         reserve_days=3.0))  # fmt: skip
    demand = np.array([base * rng.uniform(0.5, 3.0) for _ in regions])
    return tiny_system(
        regions=regions,
        gens=gens,
        storage=stor,
        corridors=cors,
        hubs=hubs_,
        demand=demand,
        month_of=month,
        reserve_margin=0.15,
        scenario="synthetic",
    )


def solve_checked(system: xr.Dataset, **kw: Any) -> xr.Dataset:
    """Plan ``system`` with the LP, assert an optimal status and no invariant violation."""
    from energy_sim.planning.results import check_invariants
    from energy_sim.planning.solve import plan

    res = plan(system, **kw)
    assert res.attrs["status"] == "optimal", res.attrs["status"]
    errs = check_invariants(system, res)
    assert errs == [], errs
    return res


# ------------------------------------------------- stressed horizons of a (real) hourly System

#: The two corridors into the South of the Vietnam System.
SOUTH_CORRIDORS = ["central_highlands-south", "south_central-south"]


def horizon_days(day0: int, day1: int) -> slice:
    """Steps of days ``day0`` to ``day1`` (1-based, inclusive) of an hourly horizon."""
    return slice(24 * (day0 - 1), 24 * day1)


def scale_demand(system: xr.Dataset, factor: float, steps: slice | None = None) -> xr.Dataset:
    """``demand_mw x factor`` in every region over ``steps`` (default: every step)."""
    out = system.copy()
    d = out["demand_mw"].transpose("region", "time")
    values = d.values.astype(float).copy()
    values[:, steps if steps is not None else slice(None)] *= factor
    out["demand_mw"] = d.copy(data=values).transpose(*system["demand_mw"].dims)
    return out


def lng_off(system: xr.Dataset, steps: slice) -> xr.Dataset:
    """Every LNG hub cut off (``lng_availability = 0``) over ``steps``."""
    out = system.copy()
    lng = out["lng_availability"].transpose("hub", "time")
    values = lng.values.copy()
    values[:, steps] = 0.0
    out["lng_availability"] = lng.copy(data=values).transpose(*system["lng_availability"].dims)
    return out


def scale_corridors(system: xr.Dataset, factors: dict[str, float]) -> xr.Dataset:
    """``fcap0_mw x factor`` of the named corridors (0: out; 1/3: one circuit of three left)."""
    out = system.copy()
    f = np.array([factors.get(str(c), 1.0) for c in out["corridor"].values])
    out["fcap0_mw"] = out["fcap0_mw"] * f
    return out


def coal_shortfall(system: xr.Dataset, factor: float, regions: Sequence[str], steps: slice):
    """Coal plant availability ``x factor`` in ``regions`` over ``steps`` (fuel shortfall)."""
    out = system.copy()
    av = out["availability"].transpose("gen", "time")
    values = av.values.copy()
    rows = (out["gen_tech"].values == "coal") & np.isin(out["gen_region"].values, list(regions))
    values[rows, steps] *= factor
    out["availability"] = av.copy(data=values).transpose(*system["availability"].dims)
    return out


def stressed_horizons(system: xr.Dataset, scale: float = 1.0) -> dict[str, xr.Dataset]:
    """The accuracy variants of an hourly horizon of the Vietnam System (days counted from its
    start; ``benchmarks/dispatch_accuracy.py`` describes what sheds where on the 2030 plan).

    ``as_is`` (demand x ``scale``); ``tight_reserve``: demand +15%; ``corridor_outage``: the two
    corridors into the South out; ``lng_cut_off``: every hub cut off on days 9-15;
    ``heatwave_lng_corridor``: demand x1.25 on days 8-21, every hub cut off on days 11-17,
    north-north_central down to one of three circuits, south_central-south out;
    ``south_island_heatwave``: the South islanded, demand x1.2 on days 8-21, the North's coal
    at half availability on days 8-21, every hub cut off on days 11-17.
    """
    base = scale_demand(system, scale)
    heat, lng = horizon_days(8, 21), horizon_days(11, 17)
    return {
        "as_is": base,
        "tight_reserve": scale_demand(base, 1.15),
        "corridor_outage": scale_corridors(base, dict.fromkeys(SOUTH_CORRIDORS, 0.0)),
        "lng_cut_off": lng_off(base, horizon_days(9, 15)),
        "heatwave_lng_corridor": scale_corridors(
            lng_off(scale_demand(base, 1.25, heat), lng),
            {"north-north_central": 1.0 / 3.0, "south_central-south": 0.0},
        ),
        "south_island_heatwave": scale_corridors(
            lng_off(coal_shortfall(scale_demand(base, 1.2, heat), 0.5, ["north"], heat), lng),
            dict.fromkeys(SOUTH_CORRIDORS, 0.0),
        ),
    }


def sampled_year(system: xr.Dataset, seed: int = 1, draws: int = 10):
    """The most stressed of ``draws`` sample years of the adequacy sampler, applied to ``system``.

    ``energy_sim.security.adequacy.sample_chunk(system, cap0_mw, chunk=0, size=draws, seed)`` (forced
    outages, weather shift, hydro year, demand); the draw with the highest demand scale, dry
    years first, is applied: availability multiplied, ``demand_mw`` and ``hydro_cf_month``
    replaced. Returns the System and the draw's drivers (index, demand scale, dry year, shift).
    """
    from energy_sim.security.adequacy import sample_chunk

    d = sample_chunk(system, system["cap0_mw"].values, 0, draws, seed)
    i = int(np.argmax(d["demand_scale"] + 10.0 * d["dry_year"]))
    out = system.copy()
    av = out["availability"].transpose("gen", "time")
    out["availability"] = av.copy(data=av.values * d["availability"][i]).transpose(
        *system["availability"].dims
    )
    dm = out["demand_mw"].transpose("region", "time")
    out["demand_mw"] = dm.copy(data=d["demand"][i]).transpose(*system["demand_mw"].dims)
    cf = out["hydro_cf_month"].transpose("gen", "month")
    out["hydro_cf_month"] = cf.copy(data=d["hydro_cf_month"][i]).transpose(
        *system["hydro_cf_month"].dims
    )
    drivers = {
        "seed": seed,
        "chunk": 0,
        "draws": draws,
        "index": i,
        "demand_scale": float(d["demand_scale"][i]),
        "dry_year": bool(d["dry_year"][i]),
        "weather_shift_days": float(d["weather_shift_days"][i]),
    }
    return out, drivers


def with_plan(system: xr.Dataset, plan: xr.Dataset) -> xr.Dataset:
    """``system`` with the plan's capacities as its existing ones (cap0, pcap0, fcap0, tank0),
    matched by group name (a pathway period's plan lists its groups in another order than the
    period's System; a group the System lacks or the plan lacks raises KeyError)."""
    out = system.copy()
    for var, src in (
        ("cap0_mw", "capacity_mw"),
        ("pcap0_mw", "storage_power_mw"),
        ("fcap0_mw", "corridor_capacity_mw"),
        ("tank0_mwh_th", "tank_mwh_th"),
    ):
        (dim,) = out[var].dims
        values = plan[src].sel({dim: out[dim].values}).values
        out[var] = (out[var].dims, np.asarray(values, float), out[var].attrs)
    return out
