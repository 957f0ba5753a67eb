"""Physical invariants of a solution.

No Pyomo here: the numpy dispatch core's Results are checked with the same code as the LP's.
:func:`check_invariants` returns one message per violated family (an empty list means every
limit holds); ``energy_sim.planning.results`` re-exports it. What the checks derive from the
System (previous step, hub of a group, peaks, firm capacity) they share with the LP and the
dispatch core through :mod:`energy_sim.inputs.system_helpers`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from energy_sim.inputs.reserves import (
    coal_reserve_availability,
    coal_stores,
    hub_reserve_availability,
)
from energy_sim.inputs.system_helpers import (
    day_of_step,
    dr_params,
    firm_capacity,
    hub_of_gen,
    peaks,
    prev_step,
)


def _arr(results: xr.Dataset, name: str, *dims: str) -> np.ndarray | None:
    """``results[name]`` as ``(sample, *dims)`` (sample of size 1 when absent), or None."""
    if name not in results:
        return None
    da = results[name]
    if "sample" in da.dims:
        return np.asarray(da.transpose("sample", *dims).values, dtype=float)
    return np.asarray(da.transpose(*dims).values, dtype=float)[None, ...]


def check_invariants(system: xr.Dataset, results: xr.Dataset, tol: float = 1e-6) -> list[str]:
    """Physical invariants of a solution; returns one message per violated family (empty = ok).

    Tolerances are relative: ``tol * max(1, scale)`` with the scale of the quantity checked
    (peak demand for MW balances, the largest bound for limits). Checked, for every sample:

    - balance: ``sum p + dis - ch + eta*in - out + shed == demand`` for every (r, t);
    - availability: ``0 <= p <= avail*cap``; shed in ``[0, demand]``;
    - storage: soc recursion (cyclic per period), ``0 <= soc <= dur*pcap``, ``ch, dis <= pcap``;
    - corridors: ``0 <= fwd, rev <= fcap``;
    - LNG: inventory recursion, ``0 <= inv <= tank``, ``send <= regas*avail``, strategic
      reserve ``inv >= phi*R`` (``phi`` of :mod:`energy_sim.inputs.reserves`), annual contract;
    - demand response: shift and interruption limits, daily neutrality, annual cap;
    - reserve margin: firm capacity + reported shortfall >= target (system and regional).
    """
    errs: list[str] = []
    sy = system
    T = sy.sizes["time"]
    dt = np.asarray(sy["dt_h"].values, float)
    wdt = dt * np.asarray(sy["weight"].values, float)
    prev = prev_step(sy["block"].values)
    demand = np.asarray(sy["demand_mw"].values, float)
    scale = max(1.0, float(np.abs(demand).max(initial=0.0)))
    atol = tol * scale
    regions = [str(r) for r in sy["region"].values]
    ri = {r: i for i, r in enumerate(regions)}
    R = len(regions)

    def worst(x: np.ndarray) -> float:
        return float(np.max(x, initial=0.0))

    gen = _arr(results, "generation_mw", "gen", "time")
    cap = _arr(results, "capacity_mw", "gen")
    if gen is None:
        return ["results have no generation_mw"]
    ns = gen.shape[0]
    z = lambda *shape: np.zeros((ns, *shape))  # noqa: E731
    ch = _arr(results, "charge_mw", "storage", "time")
    dis = _arr(results, "discharge_mw", "storage", "time")
    soc = _arr(results, "soc_mwh", "storage", "time")
    fwd = _arr(results, "flow_fwd_mw", "corridor", "time")
    rev = _arr(results, "flow_rev_mw", "corridor", "time")
    shed = _arr(results, "shed_mw", "region", "time")
    S, L = sy.sizes["storage"], sy.sizes["corridor"]
    ch = z(S, T) if ch is None else ch
    dis = z(S, T) if dis is None else dis
    fwd = z(L, T) if fwd is None else fwd
    rev = z(L, T) if rev is None else rev
    shed = z(R, T) if shed is None else shed

    g_r = np.array([ri[str(r)] for r in sy["gen_region"].values], dtype=np.int64)
    s_r = np.array([ri[str(r)] for r in sy["storage_region"].values], dtype=np.int64)
    a = np.array([ri[str(r)] for r in sy["corridor_from"].values], dtype=np.int64)
    b = np.array([ri[str(r)] for r in sy["corridor_to"].values], dtype=np.int64)
    eta = np.asarray(sy["corridor_efficiency"].values, float)[None, :, None]
    inj = np.zeros((ns, R, T))
    np.add.at(inj, (slice(None), g_r), gen)
    np.add.at(inj, (slice(None), s_r), dis - ch)
    np.add.at(inj, (slice(None), b), eta * fwd - rev)
    np.add.at(inj, (slice(None), a), eta * rev - fwd)
    up = _arr(results, "dr_shift_up_mw", "region", "time")
    down = _arr(results, "dr_shift_down_mw", "region", "time")
    ilc = _arr(results, "dr_interrupt_mw", "region", "time")
    up = z(R, T) if up is None else up
    down = z(R, T) if down is None else down
    ilc = z(R, T) if ilc is None else ilc
    res = np.abs(inj + shed - (demand[None] + up - down - ilc))
    if worst(res) > atol:
        i = np.unravel_index(np.argmax(res), res.shape)
        errs.append(f"balance residual {worst(res):.3g} MW in {regions[i[1]]} at step {i[2]}")
    if worst(-shed) > atol or worst(shed - np.maximum(demand, 0)[None]) > atol:
        errs.append("shed outside [0, demand]")

    avail = np.nan_to_num(np.asarray(sy["availability"].values, float), nan=0.0)
    if cap is not None:
        over = gen - avail[None] * cap[:, :, None]
        if worst(over) > tol * max(1.0, float(cap.max(initial=0.0))):
            i = np.unravel_index(np.argmax(over), over.shape)
            errs.append(
                f"availability exceeded by {worst(over):.3g} MW for {sy['gen'].values[i[1]]} at step {i[2]}"
            )
    if worst(-gen) > atol:
        errs.append(f"negative generation {worst(-gen):.3g} MW")

    # reservoir hydro monthly budget
    is_res = np.asarray(sy["is_reservoir_hydro"].values, bool)
    if cap is not None and is_res.any():
        month = np.asarray(sy["month_of"].values, np.int64)
        hours_m = np.bincount(month, weights=wdt, minlength=13)
        cf = np.asarray(sy["hydro_cf_month"].values, float)
        for g in np.flatnonzero(is_res):
            e = np.stack(
                [np.bincount(month, weights=wdt * gen[k, g], minlength=13) for k in range(ns)]
            )
            lim = (
                np.nan_to_num(cf[g], nan=np.inf, posinf=np.inf)[None, :]
                * hours_m[None, 1:]
                * cap[:, g, None]
            )
            if worst(e[:, 1:] - lim) > tol * max(
                1.0, float(np.nanmax(np.where(np.isfinite(lim), lim, 0), initial=0))
            ):
                errs.append(f"hydro monthly energy exceeded for {sy['gen'].values[g]}")

    # storage
    pcap = _arr(results, "storage_power_mw", "storage")
    if S and soc is not None:
        loss = np.asarray(sy["loss_per_h"].values, float)[:, None]
        ec = np.asarray(sy["eff_charge"].values, float)[:, None]
        ed = np.asarray(sy["eff_discharge"].values, float)[:, None]
        pred = soc[:, :, prev] * (1 - loss) ** dt + dt * (ec * ch - dis / ed)
        if worst(np.abs(soc - pred)) > atol:
            errs.append(f"storage soc recursion residual {worst(np.abs(soc - pred)):.3g} MWh")
        if pcap is not None:
            dur = np.asarray(sy["duration_h"].values, float)
            pt = tol * max(1.0, float(pcap.max(initial=0.0) * max(1.0, dur.max(initial=1.0))))
            if worst(soc - dur[None, :, None] * pcap[:, :, None]) > pt or worst(-soc) > pt:
                errs.append("storage soc outside [0, dur*pcap]")
            if (
                worst(np.maximum(ch, dis) - pcap[:, :, None]) > pt
                or worst(-np.minimum(ch, dis)) > pt
            ):
                errs.append("storage charge/discharge outside [0, pcap]")

    fcap = _arr(results, "corridor_capacity_mw", "corridor")
    if L and fcap is not None:
        ft = tol * max(1.0, float(fcap.max(initial=0.0)))
        if worst(np.maximum(fwd, rev) - fcap[:, :, None]) > ft or worst(-np.minimum(fwd, rev)) > ft:
            errs.append("corridor flow outside [0, fcap]")

    errs += _check_lng(sy, results, gen, cap, dt, wdt, prev, tol)
    errs += _check_coal(sy, results, gen, cap, dt, prev, tol)
    errs += _check_dr(sy, up, down, ilc, demand, wdt, atol)
    errs += _check_reserve(sy, results, tol)
    return errs


def _check_dr(sy, up, down, ilc, demand, wdt, atol) -> list[str]:
    """Demand response (MODEL.md constraint 9): ``0 <= up <= shift_mw``,
    ``0 <= down <= shift_share*demand``, every day's ``sum w*dt*(up - down) == 0``,
    ``0 <= ilc <= ilc_mw`` and ``sum w*dt*ilc <= ilc_mwh``."""
    p = dr_params(sy)
    errs = []
    col = lambda name: p[name][None, :, None]  # noqa: E731
    if (up < -atol).any() or (up - col("dr_shift_mw") > atol).any():
        errs.append("shifted load up outside [0, shift_mw]")
    room = col("dr_shift_share") * np.maximum(demand, 0)[None]
    if (down < -atol).any() or (down - room > atol).any():
        errs.append("shifted load down outside [0, shift_share*demand]")
    day = day_of_step(sy)
    net = np.stack([np.bincount(day, weights=wdt * x, minlength=day.max(initial=-1) + 1)
                    for x in (up - down).reshape(-1, len(wdt))])  # fmt: skip
    if (np.abs(net) > atol * 24).any():
        errs.append(f"shifted load not neutral within a day (worst {np.abs(net).max():.3g} MWh)")
    if (ilc < -atol).any() or (ilc - col("dr_ilc_mw") > atol).any():
        errs.append("interrupted load outside [0, ilc_mw]")
    cap = p["dr_ilc_mwh"][None, :]
    if (ilc @ wdt - cap > 1e-6 * np.maximum(1.0, np.where(np.isfinite(cap), cap, 0))).any():
        errs.append("interrupted load above its annual energy cap")
    return errs


def _check_coal(sy, results, gen, cap, dt, prev, tol) -> list[str]:
    """Coal yards (MODEL.md constraint 8): stock recursion, ``0 <= stock <= yard``, deliveries
    within their limit, the strategic stock ``>= phi*stock_days*24*sum cap/eff``. A System with
    yards needs the Results' ``coal_stock_mwh_th`` and ``coal_delivery_mw_th``."""
    store_region, gen_store = coal_stores(sy)
    if len(store_region) == 0:
        return []
    stock = _arr(results, "coal_stock_mwh_th", "region", "time")
    deliv = _arr(results, "coal_delivery_mw_th", "region", "time")
    if stock is None or deliv is None:
        return ["coal yards in the System but no coal stock in the results"]
    stock, deliv = stock[:, store_region], deliv[:, store_region]
    ns, n_c = stock.shape[0], len(store_region)
    eff = np.asarray(sy["efficiency"].values, float)
    fed = gen_store >= 0
    burn = np.zeros((ns, n_c, gen.shape[2]))
    np.add.at(burn, (slice(None), gen_store[fed]), gen[:, fed] / eff[fed][None, :, None])
    scale = max(1.0, float(np.abs(stock).max(initial=0.0)))
    errs = []
    res = np.abs(stock - stock[:, :, prev] - dt * (deliv - burn))
    if float(res.max(initial=0)) > tol * scale:
        errs.append(f"coal stock recursion residual {float(res.max()):.3g} MWh_th")
    if cap is None:
        return errs
    full = np.zeros((ns, n_c))  # full-load burn, MW_th
    np.add.at(full, (slice(None), gen_store[fed]), cap[:, fed] / eff[fed][None, :])

    def region_arr(name: str) -> np.ndarray:
        return np.asarray(sy[name].values, float)[store_region]

    av = np.clip(np.asarray(sy["coal_availability"].values, float)[store_region], 0.0, 1.0)
    lim = region_arr("coal_delivery")[None, :, None] * av[None] * full[:, :, None]
    if float((deliv - lim).max(initial=0)) > tol * max(1.0, float(lim.max(initial=0))):
        errs.append("coal deliveries above their limit")
    yard = region_arr("coal_yard_days")[None, :, None] * 24.0 * full[:, :, None]
    if float((stock - yard).max(initial=0)) > tol * scale or float((-stock).max()) > tol * scale:
        errs.append("coal stock outside [0, yard]")
    floor = (
        coal_reserve_availability(sy, store_region)[None]
        * (np.nan_to_num(region_arr("coal_stock_days"))[None, :] * 24.0 * full)[:, :, None]
    )
    gap = floor - stock
    if float(gap.max(initial=0)) > tol * scale:
        errs.append(f"coal strategic stock violated by {float(gap.max()):.3g} MWh_th")
    return errs


def _check_lng(sy, results, gen, cap, dt, wdt, prev, tol) -> list[str]:
    H = sy.sizes["hub"]
    send = _arr(results, "lng_send_out_mw_th", "hub", "time")
    inv = _arr(results, "lng_inventory_mwh_th", "hub", "time")
    if H == 0 or send is None or inv is None:
        return []
    errs = []
    hub_of = hub_of_gen(sy)
    eff = np.asarray(sy["efficiency"].values, float)
    ns = gen.shape[0]
    burn = np.zeros((ns, H, gen.shape[2]))
    fed = hub_of >= 0
    np.add.at(burn, (slice(None), hub_of[fed]), gen[:, fed] / eff[fed][None, :, None])
    scale = max(1.0, float(inv.max(initial=0.0)))
    res = np.abs(inv - inv[:, :, prev] - dt * (send - burn))
    if float(res.max(initial=0)) > tol * scale:
        errs.append(f"LNG inventory recursion residual {float(res.max()):.3g} MWh_th")
    tank = _arr(results, "tank_mwh_th", "hub")
    if tank is not None and (
        float((inv - tank[:, :, None]).max(initial=0)) > tol * scale
        or float((-inv).max(initial=0)) > tol * scale
    ):
        errs.append("LNG inventory outside [0, tank]")
    regas = np.nan_to_num(np.asarray(sy["regas_mw_th"].values, float), nan=np.inf, posinf=np.inf)
    av = np.asarray(sy["lng_availability"].values, float)
    lim = regas[:, None] * av
    if float((send - lim[None]).max(initial=0)) > tol * max(1.0, float(send.max(initial=0))):
        errs.append("LNG send-out above regas*availability")
    if cap is not None:
        days = np.nan_to_num(np.asarray(sy["reserve_days"].values, float), nan=0.0)
        need = np.zeros((ns, H))
        np.add.at(need, (slice(None), hub_of[fed]), cap[:, fed] / eff[fed][None, :])
        need *= 24.0 * days[None, :]
        phi = hub_reserve_availability(sy)  # the reserve's availability (issue 14)
        gap = phi[None] * need[:, :, None] - inv
        if float(gap.max(initial=0)) > tol * scale:
            errs.append(
                f"LNG strategic reserve violated by {float(gap.max()):.3g} MWh_th "
                "(floor phi*reserve_days*24*sum cap/eff)"
            )
    contract = np.nan_to_num(
        np.asarray(sy["contract_mwh_th"].values, float), nan=np.inf, posinf=np.inf
    )
    used = send @ wdt
    if float((used - contract[None]).max(initial=0)) > tol * max(1.0, float(used.max(initial=0))):
        errs.append("LNG annual contract exceeded")
    return errs


def _check_reserve(sy, results, tol) -> list[str]:
    cap = _arr(results, "capacity_mw", "gen")
    pcap = _arr(results, "storage_power_mw", "storage")
    fcap = _arr(results, "corridor_capacity_mw", "corridor")
    if cap is None or pcap is None or fcap is None:
        return []
    peak, peak_r = peaks(sy)
    margin = float(sy.attrs.get("reserve_margin", np.nan))
    short = _arr(results, "reserve_shortfall_mw")
    short_r = _arr(results, "reserve_shortfall_region_mw", "region")
    errs = []
    for k in range(cap.shape[0]):
        firm, reg = firm_capacity(sy, cap[k], pcap[k], fcap[k])
        if np.isfinite(margin):
            need = (1 + margin) * peak
            got = firm + (
                float(short.reshape(-1)[min(k, short.size - 1)]) if short is not None else 0.0
            )
            if got < need - tol * max(1.0, need):
                errs.append(
                    f"system reserve margin: firm {firm:.1f} MW + shortfall below target {need:.1f} MW"
                )
        mr = np.asarray(sy["reserve_margin_region"].values, float)
        need_r = (1 + mr) * peak_r
        sr = short_r[min(k, short_r.shape[0] - 1)] if short_r is not None else 0.0
        bad = np.isfinite(need_r) & (
            reg + sr < need_r - tol * np.maximum(1.0, np.nan_to_num(need_r))
        )
        if bad.any():
            errs.append(
                f"regional reserve margin below target in {', '.join(map(str, sy['region'].values[bad]))}"
            )
    return sorted(set(errs))
