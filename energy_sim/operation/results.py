"""``dispatch()``: the public entry point, chunking over samples and the Results dataset."""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.inputs.system_helpers import dr_result_vars
from energy_sim.operation import chunk, core, demand_response, merit, network
from energy_sim.operation.inputs import prepare

COST_COMPONENTS = ("operating", "unserved_energy")


#: Hourly variables a dispatch can keep (``keep_hourly``) and the chunk field each comes from.
HOURLY = {
    "generation_mw": "gen",
    "charge_mw": "ch",
    "discharge_mw": "dis",
    "soc_mwh": "soc",
    "flow_fwd_mw": "flow",
    "flow_rev_mw": "flow",
    "shed_mw": "shed",
    "price_usd_per_mwh": "price",
    "lng_send_out_mw_th": "send",
    "lng_inventory_mwh_th": "inv",
    "coal_stock_mwh_th": "cst",  # only for a System with coal yards (issue 14)
    "coal_delivery_mw_th": "dlv",
}
#: Hourly variables of the coal yards, left out for a System without yards.
COAL_HOURLY = {"coal_stock_mwh_th", "coal_delivery_mw_th"}


def _annual(x: np.ndarray, wdt: np.ndarray) -> np.ndarray:
    """``sum_t w*dt*x[..., t]``, MWh/yr from MW (or h/yr from flags)."""
    return np.einsum("...t,t->...", x, wdt)


def _a(units: str, desc: str) -> dict[str, str]:
    return {"units": units, "description": desc}


def _draws(name, arr, n_samples, shape):
    if arr is None:
        return None
    arr = np.asarray(arr)
    if arr.ndim == len(shape):
        arr = arr[None]
    if arr.shape[1:] != shape or arr.shape[0] not in (1, n_samples):
        raise InputError(
            f"expected shape (sample={n_samples}, {', '.join(map(str, shape))})",
            field=name,
            value=tuple(arr.shape),
        )
    return arr


def dispatch(
    system: xr.Dataset,
    plan: xr.Dataset | None = None,
    *,
    samples: int = 1,
    seed: int | None = None,
    availability: np.ndarray | None = None,
    demand: np.ndarray | None = None,
    hydro_cf_month: np.ndarray | None = None,
    lng_availability: np.ndarray | None = None,
    keep_hourly: bool | Sequence[str] = True,
    chunk_size: int = 100,
    progress: bool = False,
    screen: bool = False,
) -> xr.Dataset:
    """Operate a System with fixed capacities over its time steps for many samples.

    Parameters
    ----------
    system
        The System dataset (docs/architecture.md), normally the chronological hourly year.
    plan
        A Results dataset whose capacities to operate (``capacity_mw``, ``storage_power_mw``,
        ``corridor_capacity_mw``, ``tank_mwh_th``); None operates the existing fleet.
    samples
        Number of samples; the draws below carry a leading ``sample`` axis of this length (or
        1, broadcast).
    seed
        Recorded in attrs; the core itself draws nothing (draws come from the caller).
    availability
        (sample, gen, time) factor on the System's availability (forced outages, weather).
    demand
        (sample, region, time) demand replacing ``demand_mw``, MW.
    hydro_cf_month
        (sample, gen, month) replacing ``hydro_cf_month``.
    lng_availability
        (sample, hub, time) replacing ``lng_availability``.
    keep_hourly
        Also return hourly variables: True for all of :data:`HOURLY`, False for none, or a
        list of their names (e.g. ``["shed_mw"]``: adequacy keeps only what it needs; memory
        grows with samples x hours x the variables' second dim). Prices are computed only
        when ``price_usd_per_mwh`` is kept (a Bellman-Ford per cell).
    chunk_size
        At most this many samples are operated at once (fewer when memory needs it).
    progress
        Show a progress bar (rich) over chunks.
    screen
        Run the adequacy screen first (:mod:`energy_sim.operation.screen`): samples it proves
        shed-free keep its feasible (not cost-optimal) operation, ``screened`` marks them;
        the others get the full core. For loss-of-load statistics, not for costs.

    Returns
    -------
    xarray.Dataset
        Results with a leading ``sample`` dim: annual ``generation_mwh``,
        ``unserved_energy_mwh``, ``cost_usd`` (``operating``, ``unserved_energy``), ``co2_t``,
        ``corridor_loss_mwh``, ``lng_days_of_cover``, ``loss_of_load_hours``,
        ``loss_of_load_hours_system``, ``peak_shed_mw``; hourly variables if ``keep_hourly``.
        ``attrs["kind"] == "dispatch"``.
    """
    if int(samples) < 1:
        raise InputError("samples must be at least 1", field="samples", value=samples)
    wanted = _wanted(keep_hourly)
    n_samp = int(samples)
    st = prepare(system, plan)
    if not len(st.coal_region):
        wanted -= COAL_HOURLY
    fields = {HOURLY[k] for k in wanted}
    n_g, n_t = st.avail.shape
    n_r, n_h = len(st.regions), len(st.regas)
    draws = (
        _draws("availability", availability, n_samp, (n_g, n_t)),
        _draws("demand", demand, n_samp, (n_r, n_t)),
        _draws("hydro_cf_month", hydro_cf_month, n_samp, (n_g, 12)),
        _draws("lng_availability", lng_availability, n_samp, (n_h, n_t)),
    )
    stack = merit.build_stack(st)
    grid = network.Grid.build(n_r, st.frm, st.to, st.eta)
    per_sample = max(n_t * n_g * 8 * 3, 1)
    per_chunk = int(max(1, min(int(chunk_size), core.CHUNK_BYTES // per_sample, n_samp)))
    burn_day = _lng_burn_per_day(st)
    ann: dict[str, list[np.ndarray]] = {k: [] for k in ANNUAL}
    hourly: dict[str, list[np.ndarray]] = {k: [] for k in sorted(fields)}
    stats: dict[str, float] = {}
    dr_parts: list[tuple] = []
    dr_hourly = keep_hourly is True or (
        not isinstance(keep_hourly, bool) and bool(set(keep_hourly) & set(DR_HOURLY))
    )
    t_start = _time.perf_counter()
    bounds = [(a, min(a + per_chunk, n_samp)) for a in range(0, n_samp, per_chunk)]
    with _progress(progress, len(bounds)) as advance:
        for a, b in bounds:
            co = chunk.run_chunk(
                st, stack, grid, *(_pick(d, a, b) for d in draws), b - a,
                with_price="price" in fields, screen=screen,
            )  # fmt: skip
            for k, v in co.stats.items():
                stats[k] = stats.get(k, 0.0) + float(v)
            for k, v in _annual_figures(st, co, burn_day).items():
                ann[k].append(v)
            for k in hourly:
                hourly[k].append(getattr(co, k))
            if st.dr is not None:
                dr_parts.append(_dr_part(co, st.wdt, dr_hourly))
            advance()
    elapsed = _time.perf_counter() - t_start
    cat = {k: np.concatenate(v, axis=0) for k, v in ann.items()}
    ds = _dataset(system, st, cat, hourly, wanted, n_samp, seed, elapsed, stats)
    if st.dr is not None:
        ds = ds.assign(_dr_vars(system, st, dr_parts, dr_hourly))
    return ds


#: Hourly demand-response variables of the Results (MODEL.md constraint 9).
DR_HOURLY = ("dr_shift_up_mw", "dr_shift_down_mw", "dr_interrupt_mw")


def _dr_part(co: core.ChunkOut, wdt: np.ndarray, hourly: bool) -> tuple:
    """One chunk's demand response: the hourly (S, R, T) arrays, or their annual sums."""
    arrs = (co.dr_up, co.dr_down, co.dr_ilc)
    return arrs if hourly else tuple(x @ wdt for x in arrs)


def _dr_vars(system: xr.Dataset, st, parts: list, hourly: bool) -> dict:
    """The Results' demand-response variables (hourly only when kept)."""
    up, down, ilc = (np.concatenate([p[k] for p in parts], axis=0) for k in range(3))
    if hourly:
        return dr_result_vars(system, up, down, ilc, st.wdt)
    one = np.ones(1)
    v = dr_result_vars(system, up[..., None], down[..., None], ilc[..., None], one)
    return {k: x for k, x in v.items() if k not in DR_HOURLY}


#: The annual figures of each sample that :func:`_annual_figures` computes per chunk.
ANNUAL = (
    "gen", "shed", "cost", "loss", "cover", "lolh", "lolh_sys", "peak", "flow_abs", "screened",
)  # fmt: skip


def _wanted(keep_hourly: bool | Sequence[str]) -> set[str]:
    """The hourly variables to keep: all, none, or a list checked against :data:`HOURLY`."""
    if isinstance(keep_hourly, bool):
        return set(HOURLY) if keep_hourly else set()
    wanted = set(keep_hourly)
    unknown = sorted(wanted - set(HOURLY))
    if unknown:
        raise InputError(
            "unknown hourly variable", field="keep_hourly", value=unknown,
            allowed=", ".join(HOURLY),
        )  # fmt: skip
    return wanted


def _pick(arr: np.ndarray | None, a: int, b: int) -> np.ndarray | None:
    """Samples ``a:b`` of a draw array (one row broadcasts to every sample)."""
    if arr is None:
        return None
    return arr if arr.shape[0] == 1 else arr[a:b]


def _lng_burn_per_day(st) -> np.ndarray:
    """Each hub's LNG burn in a day at full output, ``24*sum_{g of n} cap_g/eff_g``, MWh_th."""
    fed = st.hub_of >= 0
    return np.array(
        [24.0 * float((st.cap[fed & (st.hub_of == n)] / st.eff[fed & (st.hub_of == n)]).sum())
         for n in range(len(st.regas))]
    )  # fmt: skip


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar over ``total`` chunks when ``show``; yields its advance step."""
    if not show:
        yield lambda: None
        return
    from rich.progress import Progress

    bar = Progress(transient=True)
    bar.start()
    task = bar.add_task("dispatch", total=total)
    try:
        yield lambda: bar.advance(task)
    finally:
        bar.stop()


def _annual_figures(st, co: core.ChunkOut, burn_day: np.ndarray) -> dict[str, np.ndarray]:
    """One chunk's annual figures per sample (:data:`ANNUAL`): generation and shed (MWh),
    operating and unserved-energy cost (USD), corridor losses and flows (MWh), LNG days of
    cover (the tank's lowest over the burn of a full day), loss-of-load hours by region and
    for the system, peak shed (MW), and whether the adequacy screen proved the sample."""
    wdt = st.wdt
    # sums over time by einsum: the arrays are (S, ..., T) views of (S, T, ...) and a matmul
    # over the strided axis costs ~40x more (7.6 against 0.18 ms a sample year)
    g_mwh = _annual(co.gen, wdt)  # (S, G)
    shed_mwh = _annual(co.shed, wdt)
    flow_abs = _annual(np.abs(co.flow), wdt)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(burn_day > 0, co.inv.min(axis=2, initial=np.inf) / burn_day, np.nan)
    lost = co.shed > core.SHED_THRESHOLD_MW
    n_c = co.shed.shape[0]
    dr_cost = 0.0
    if co.dr_up is not None:  # demand response (MODEL.md constraint 9): in operating
        dr_cost = demand_response.cost(st.dr, co.dr_down, co.dr_ilc, wdt)
    return {
        "gen": g_mwh,
        "shed": shed_mwh,
        "cost": np.stack([g_mwh @ st.mc + dr_cost, st.voll * shed_mwh.sum(axis=1)], axis=1),
        "loss": (1.0 - st.eta)[None, :] * flow_abs,
        "cover": cover,
        "lolh": _annual(lost, wdt),
        "lolh_sys": _annual(lost.any(axis=1), wdt),
        "peak": co.shed.max(axis=2, initial=0.0),
        "flow_abs": flow_abs,
        "screened": np.zeros(n_c, bool) if co.screened is None else np.asarray(co.screened, bool),
    }


def _reserve(system: xr.Dataset, st) -> dict:
    """Planning reserve achieved with the operated capacities (MODEL.md constraint 7)."""
    n_r = len(st.regions)
    credit = np.nan_to_num(np.asarray(system["capacity_credit"].values, float))
    scredit = np.nan_to_num(np.asarray(system["storage_capacity_credit"].values, float))
    icredit = np.nan_to_num(np.asarray(system["import_credit"].values, float))
    firm = float(credit @ st.cap + scredit @ st.pcap)
    reg = np.bincount(st.gen_region, credit * st.cap, n_r)
    reg = reg + np.bincount(st.stor_region, scredit * st.pcap, n_r)
    reg = (
        reg
        + np.bincount(st.frm, icredit * st.fcap, n_r)
        + np.bincount(st.to, icredit * st.fcap, n_r)
    )
    if "peak_demand_mw" in system and "peak_demand_region_mw" in system:  # the hourly peaks
        peak = float(system["peak_demand_mw"])
        peak_r = np.asarray(system["peak_demand_region_mw"].values, float)
    else:
        peak = float(st.demand.sum(axis=0).max(initial=0.0))
        peak_r = st.demand.max(axis=1, initial=0.0)
    margin = float(system.attrs.get("reserve_margin", np.nan))
    need = (1.0 + margin) * peak if np.isfinite(margin) else np.nan
    need_r = (1.0 + np.asarray(system["reserve_margin_region"].values, float)) * peak_r
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "reserve_margin_achieved": ((), firm / peak - 1.0 if peak > 0 else np.nan, _a("1", "firm capacity / coincident peak - 1")),
            "reserve_margin_by_region": ("region", np.where(peak_r > 0, reg / peak_r - 1.0, np.nan), _a("1", "(firm + corridor import credit) / regional peak - 1")),
            "reserve_shortfall_mw": ((), max(0.0, need - firm) if np.isfinite(need) else 0.0, _a("MW", "system reserve shortfall of the operated fleet")),
            "reserve_shortfall_region_mw": ("region", np.where(np.isfinite(need_r), np.maximum(need_r - reg, 0.0), 0.0), _a("MW", "regional reserve shortfall of the operated fleet")),
        }  # fmt: skip


def _dataset(system, st, ann, hourly, wanted, n_samp, seed, elapsed, stats) -> xr.Dataset:
    S = ("sample",)
    fcap = st.fcap
    hours = float(st.wdt.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(fcap > 0, ann["flow_abs"] / (fcap * hours), np.nan)
    v = {
        "capacity_mw": ("gen", st.cap, _a("MW", "installed capacity operated")),
        "storage_power_mw": ("storage", st.pcap, _a("MW", "storage power")),
        "storage_energy_mwh": ("storage", st.pcap * st.dur, _a("MWh", "storage energy")),
        "corridor_capacity_mw": ("corridor", fcap, _a("MW", "transfer capacity (each way)")),
        "tank_mwh_th": ("hub", st.tank, _a("MWh_th", "LNG tank")),
        "generation_mwh": (S + ("gen",), ann["gen"], _a("MWh/yr", "annual generation")),
        "unserved_energy_mwh": (
            S + ("region",),
            ann["shed"],
            _a("MWh/yr", "annual unserved energy"),
        ),
        "cost_usd": (
            S + ("cost_component",),
            ann["cost"],
            _a("USD/yr", "annual operating cost (fuel, VOM, carbon) and unserved energy at VOLL"),
        ),
        "co2_t": (S + ("gen",), ann["gen"] * st.co2, _a("tCO2/yr", "annual emissions")),
        "corridor_loss_mwh": (S + ("corridor",), ann["loss"], _a("MWh/yr", "annual losses")),
        "corridor_utilisation": (
            S + ("corridor",),
            util,
            _a("1", "annual energy sent / (capacity * hours)"),
        ),
        "lng_days_of_cover": (
            S + ("hub",),
            ann["cover"],
            _a("d", "min over the year of inventory / daily burn at full LNG capacity"),
        ),
        "loss_of_load_hours": (
            S + ("region",),
            ann["lolh"],
            _a("h/yr", "hours with shed > 0.1 MW"),
        ),
        "loss_of_load_hours_system": (
            S,
            ann["lolh_sys"],
            _a("h/yr", "hours with shed > 0.1 MW in any region"),
        ),
        "peak_shed_mw": (S + ("region",), ann["peak"], _a("MW", "largest shed of the year")),
        "screened": (
            S,
            ann["screened"],
            _a("1", "proven shed-free by the adequacy screen; its operation, not cost-optimal"),
        ),
        "demand_mw": (("region", "time"), st.demand, _a("MW", "demand (the System's)")),
        "dt_h": ("time", st.dt, _a("h", "step duration")),
        "weight": ("time", st.w, _a("1", "weight of the step")),
        "is_clean": ("gen", np.asarray(system["is_clean"].values, bool), _a("1", "clean")),
    }
    v.update(_reserve(system, st))
    h = {k: np.concatenate(x, axis=0) for k, x in hourly.items()}
    hourly_vars = {
        "generation_mw": (("gen",), "gen", lambda x: x, _a("MW", "generation")),
        "charge_mw": (("storage",), "ch", lambda x: x, _a("MW", "storage charge")),
        "discharge_mw": (("storage",), "dis", lambda x: x, _a("MW", "storage discharge")),
        "soc_mwh": (("storage",), "soc", lambda x: x, _a("MWh", "state of charge, end of step")),
        "flow_fwd_mw": (
            ("corridor",), "flow", lambda x: np.maximum(x, 0.0), _a("MW", "a->b sent")
        ),
        "flow_rev_mw": (
            ("corridor",), "flow", lambda x: np.maximum(-x, 0.0), _a("MW", "b->a sent")
        ),
        "shed_mw": (("region",), "shed", lambda x: x, _a("MW", "unserved demand")),
        "price_usd_per_mwh": (
            ("region",), "price", lambda x: x,
            _a("USD/MWh", "marginal cost of serving one more MW in the region"),
        ),
        "lng_send_out_mw_th": (("hub",), "send", lambda x: x, _a("MW_th", "LNG send-out")),
        "lng_inventory_mwh_th": (
            ("hub",), "inv", lambda x: x, _a("MWh_th", "LNG in tanks, end of step")
        ),
        "coal_stock_mwh_th": (
            ("region",), "cst", lambda x: x, _a("MWh_th", "coal stock, end of step")
        ),
        "coal_delivery_mw_th": (("region",), "dlv", lambda x: x, _a("MW_th", "coal deliveries")),
    }  # fmt: skip
    for name, (dims, key, fn, attrs) in hourly_vars.items():
        if name in wanted:
            v[name] = (S + dims + ("time",), fn(h[key]), attrs)
    coords = {
        "sample": np.arange(n_samp),
        "cost_component": list(COST_COMPONENTS),
    }
    for c in (
        "region",
        "gen",
        "gen_region",
        "gen_tech",
        "storage",
        "storage_region",
        "storage_tech",
        "corridor",
        "corridor_from",
        "corridor_to",
        "hub",
        "hub_region",
        "time",
        "timestamp",
    ):
        if c in system.coords:
            coords[c] = system[c]
    ds = xr.Dataset(v, coords=coords)
    ds.attrs.update(
        scenario=str(system.attrs.get("scenario", "")),
        status="ok",
        kind="dispatch",
        solver="numpy dispatch core",
        resolution=str(system.attrs.get("resolution", "")),
        samples=n_samp,
        seed=-1 if seed is None else int(seed),
        elapsed_s=float(elapsed),
        # whole years: a horizon of H hours counts as H/8760 of a sample year
        sample_years_per_s=float(n_samp * hours / 8760.0 / elapsed)
        if elapsed > 0
        else float("nan"),
        **{k: float(x) for k, x in stats.items()},
    )
    return ds
