"""The Resolution 70 indicators of a run: each KPI against its target, with a status.

:func:`indicators` gives every indicator of one run (:class:`Indicator`: value, display text,
target, status); :mod:`energy_sim.analysis.report` shows them in the HTML dashboard. A status is
``OK``, ``WARNING``, ``BREACH``, ``INFO`` (no target) or ``N/A`` (not computed).

The status rules (:class:`Targets`, every threshold settable) are:

- reserve margin, system and each region: ``OK`` if ``margin >= target`` (the run's
  ``reserve_margin``, default 15%, Resolution 70), ``WARNING`` within ``margin_warning``
  (3 points) below it, ``BREACH`` below that;
- unserved energy of the plan, as a share of demand: ``OK`` if ``<= 0.002%`` (the reliability
  standard of Australia's NEM, an assumption here), ``WARNING`` up to 5x that, ``BREACH`` above;
- LOLE and EUE of each assessment (adequacy and stress tests found in the run folder): ``OK`` if
  ``LOLE <= 3 h/yr`` / ``EUE <= 0.002%`` of demand, ``WARNING`` up to twice that, ``BREACH``
  above; missing assessment -> ``N/A``;
- clean share: ``OK`` if ``>=`` the scenario's clean-share policy, else the indicative
  ``clean_share`` target (30%, assumption), ``WARNING`` within 5 points, ``BREACH`` below;
- loss rate (inter-regional corridor losses / demand): ``OK`` if ``<= 2%`` (assumption: a share
  of the 6.24% T&D losses of 2022), ``WARNING`` up to 3%, ``BREACH`` above;
- T&D loss rate inside the regions (the System's ``td_loss_rate``, scenario ``grid_losses``):
  ``OK`` if ``<= 6.24%`` (2022 measured, MoIT: Resolution 70 asks to reduce losses, so not
  above today's), ``WARNING`` up to 7.94% (2015), ``BREACH`` above; left out for runs whose
  KPIs predate it;
- coal stock days of each region with a coal yard (``reserves.coal``): ``OK`` if the plan's
  lowest stock is ``>=`` the region's strategic stock (``coal_stock_target_days`` of the plan,
  else the System's ``coal_stock_days``), ``WARNING`` at half of it
  or more, ``BREACH`` below; ``INFO`` without a target; none without yards;
- LNG days of cover of each hub: ``OK`` if ``>=`` the hub's strategic ``reserve_days`` (System)
  or ``lng_days`` (15 d, the low end of the state gas-reserve policy), ``WARNING`` at half of it
  or more, ``BREACH`` below;
- CO2: against the scenario's CO2 cap when there is one (``WARNING`` within 5% above), else the
  intensity ``co2_t / demand`` against the 2023 grid emission factor 0.6592 t/MWh (``OK`` below,
  ``WARNING`` above);
- demand response (scenario ``demand_response``): load shifted and interrupted over the year
  and their share of demand, ``INFO`` (no target); none when the run used none;
- cost per MWh of demand: ``INFO`` (no target), with the gap to the cheapest scenario shown;
- capacity of each technology against the PDP8 range ``[build_min_mw, build_max_mw]``: ``OK``
  inside, ``WARNING`` within 5% outside, ``BREACH`` beyond; without ranges in the run -> ``N/A``;
- solver status: ``OK`` if ``optimal``, else ``BREACH`` (results not to be relied on).

A pathway (issue 13, a Results with a ``period`` dimension) is shown by :func:`indicators` for
one period (default the first: the Resolution 70 targets are 2030's), with that period's
targets; :func:`pathway_indicators` gives the per-period indicators of the dashboard's pathway
section: cost (``INFO``), CO2 against the period's cap, clean share against its minimum,
unserved energy, the lowest regional reserve margin against the period's target (same bands as above) and the
capacity built in the period (``INFO``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from energy_sim.analysis.compare import adequacy_table, capacity_by_tech, period_run
from energy_sim.analysis.labels import is_pathway, periods_of
from energy_sim.analysis.runs import Run, number

OK, WARNING, BREACH, INFO, NA = "ok", "warning", "breach", "info", "n/a"
STATUS_TEXT = {OK: "OK", WARNING: "WARNING", BREACH: "BREACH", INFO: "INFO", NA: "N/A"}
#: 2023 grid emission factor of Vietnam (MONRE), tCO2/MWh.
GRID_FACTOR_2023 = 0.6592


@dataclass(frozen=True)
class Targets:
    """Targets and warning bands of the dashboard (fractions unless the name says otherwise)."""

    reserve_margin: float | None = None  # None: the run's own target (attrs), else 0.15
    margin_warning: float = 0.03
    unserved_share: float = 2e-5
    lole_h: float | None = None  # None: the assessment's lole_standard_h, else 3 h/yr
    eue_share: float | None = None  # None: the assessment's eue_standard_ppm, else 2e-5
    clean_share: float = 0.30
    clean_warning: float = 0.05
    loss_rate: float = 0.02
    loss_warning: float = 0.03
    td_loss_rate: float = 0.0624  # 2022 measured T&D losses (MoIT): not above today's
    td_loss_warning: float = 0.0794  # 2015 measured
    lng_days: float = 15.0
    co2_intensity_t_per_mwh: float = GRID_FACTOR_2023
    range_tolerance: float = 0.05


@dataclass
class Indicator:
    """One indicator of one run against its target."""

    key: str
    label: str
    value: float
    display: str
    target: str
    status: str
    note: str = ""


def _pct(x: float, digits: int = 1) -> str:
    return "—" if not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def _band(value: float, ok: bool, warn: bool) -> str:
    if not np.isfinite(value):
        return NA
    return OK if ok else WARNING if warn else BREACH


def _attr(run: Run, name: str) -> float:
    for ds in (run.system, run.results):
        if ds is not None and name in ds.attrs:
            return number(ds.attrs[name])
    return float("nan")


def _margin_target(run: Run, targets: Targets) -> float:
    if targets.reserve_margin is not None:
        return targets.reserve_margin
    value = _attr(run, "reserve_margin")
    return value if np.isfinite(value) else 0.15


def _margin(
    key: str, label: str, value: float, target: float, t: Targets, note: str = ""
) -> Indicator:
    return Indicator(
        key,
        label,
        value,
        _pct(value),
        f"≥ {target:.0%}",
        _band(value, value >= target - 1e-9, value >= target - t.margin_warning),
        note,
    )


def _ranges(run: Run) -> dict[str, tuple[float, float]]:
    from energy_sim.analysis.plots import pdp8_ranges

    table = pdp8_ranges(run.results, run.system)
    if table is None:
        return {}
    return {str(k): (float(r.min_mw), float(r.max_mw)) for k, r in table.iterrows()}


def indicators(
    run: Run, targets: Targets | None = None, period: int | None = None
) -> list[Indicator]:
    """Every Resolution 70 indicator of one run with its value, target and status.

    In the dashboard's order: solver status, reserve margins, unserved energy, LOLE and EUE of
    each assessment, clean share, losses, LNG days of cover, CO2, cost, capacities against the
    PDP8 ranges. See the module docstring for the rules. Of a pathway, the indicators of
    ``period`` (default its first; :func:`energy_sim.analysis.compare.period_run`); ``period``
    is ignored for a single-year run.
    """
    if is_pathway(run.results):
        run = period_run(run, period)
    t = targets or Targets()
    k = run.kpis
    demand = number(k.get("annual_demand_mwh"))
    out = [_solver_status(run)]
    out += _margins(run, t)
    out.append(_unserved(k, demand, t))
    if not run.assessments:
        out += _no_assessment(t)
    for name, summary in run.assessments.items():
        out += _adequacy(name, summary, demand, t)
    out.append(_clean(run, t))
    out += _losses(k, t)
    out += _lng(run, t)
    out += _coal(run)
    out += _dr(k, demand)
    out.append(_co2(run, demand, t))
    out.append(_cost(k))
    out += _capacity(run, t)
    return out


def _solver_status(run: Run) -> Indicator:
    status = str(run.kpis.get("status", run.results.attrs.get("status", "")))
    return Indicator(
        "solver_status",
        "Solver status",
        float("nan"),
        status or "—",
        "optimal",
        OK if status == "optimal" else BREACH,
        "" if status == "optimal" else "plan not optimal: do not rely on these numbers",
    )


def _margins(run: Run, t: Targets) -> list[Indicator]:
    """Reserve margin of the system (with the shortfall) and of each region."""
    k, res = run.kpis, run.results
    target = _margin_target(run, t)
    shortfall = number(k.get("reserve_shortfall_mw"))
    out = [
        _margin(
            "reserve_margin_system",
            "Reserve margin, system",
            number(k.get("reserve_margin")),
            target,
            t,
            f"shortfall {shortfall:,.0f} MW" if shortfall > 0 else "",
        )
    ]
    by_region = k.get("reserve_margin_by_region")
    if not isinstance(by_region, dict) and "reserve_margin_by_region" in res:
        by_region = res["reserve_margin_by_region"].to_series().to_dict()
    for region, value in (by_region or {}).items():
        out.append(
            _margin(
                f"reserve_margin_{region}",
                f"Reserve margin, {region.replace('_', ' ')}",
                number(value),
                target,
                t,
            )
        )
    return out


def _unserved(k: dict[str, Any], demand: float, t: Targets) -> Indicator:
    use = number(k.get("unserved_energy_mwh"))
    share = use / demand if demand > 0 else float("nan")
    return Indicator(
        "unserved_energy",
        "Unserved energy (plan)",
        use,
        f"{use:,.0f} MWh ({_pct(share, 4)})",
        f"≤ {t.unserved_share:.3%} of demand",
        _band(share, share <= t.unserved_share, share <= 5 * t.unserved_share),
    )


def _no_assessment(t: Targets) -> list[Indicator]:
    """LOLE and EUE shown as not computed when the run folder holds no assessment."""
    return [
        Indicator(
            f"{key}_adequacy",
            label,
            float("nan"),
            "—",
            f"≤ {t.lole_h or 3.0:g} h/yr" if key == "lole" else f"≤ {t.eue_share or 2e-5:.3%} of demand",
            NA,
            "no assessment in the run folder (energy-sim assess)",
        )
        for key, label in (("lole", "LOLE (Monte Carlo)"), ("eue", "EUE (Monte Carlo)"))
    ]  # fmt: skip


def _clean(run: Run, t: Targets) -> Indicator:
    """Clean share against the scenario's policy, else the indicative target."""
    policy = _attr(run, "clean_share_min")
    clean_target = policy if np.isfinite(policy) else t.clean_share
    clean = number(run.kpis.get("clean_share"))
    return Indicator(
        "clean_share",
        "Clean share of demand",
        clean,
        _pct(clean),
        f"≥ {clean_target:.0%}" + ("" if np.isfinite(policy) else " (indicative)"),
        _band(clean, clean >= clean_target - 1e-9, clean >= clean_target - t.clean_warning),
    )


def _losses(k: dict[str, Any], t: Targets) -> list[Indicator]:
    """Inter-regional loss rate, and the T&D loss rate inside the regions when the KPIs have it."""
    loss = number(k.get("loss_rate"))
    out = [
        Indicator(
            "loss_rate",
            "Loss rate (inter-regional)",
            loss,
            _pct(loss, 2),
            f"≤ {t.loss_rate:.0%}",
            _band(loss, loss <= t.loss_rate, loss <= t.loss_warning),
        )
    ]
    if "td_loss_rate" in k:  # runs written before issue 14 have no T&D loss KPI
        td = number(k.get("td_loss_rate"))
        out.append(
            Indicator(
                "td_loss_rate",
                "T&D loss rate (in the regions)",
                td,
                _pct(td, 2),
                f"≤ {t.td_loss_rate:.2%} (2022)",
                _band(td, td <= t.td_loss_rate + 1e-9, td <= t.td_loss_warning + 1e-9),
                "scenario grid_losses; Resolution 70: reduce losses",
            )
        )
    return out


def _co2(run: Run, demand: float, t: Targets) -> Indicator:
    """CO2 against the scenario's cap, else its intensity against the 2023 grid factor (at
    worst a WARNING: the factor is a reference, not a target)."""
    co2 = number(run.kpis.get("co2_t"))
    cap = _attr(run, "co2_cap_t")
    if np.isfinite(cap):
        return Indicator(
            "co2",
            "CO2 emissions",
            co2,
            f"{co2 / 1e6:,.1f} Mt/yr",
            f"≤ {cap / 1e6:,.1f} Mt/yr (cap)",
            # 1 t/yr of slack: solver residue on a net-zero (0 t) cap is not a breach
            _band(co2, co2 <= cap * (1 + 1e-9) + 1.0, co2 <= 1.05 * cap + 1.0),
        )
    intensity = co2 / demand if demand > 0 else float("nan")
    status = (
        _band(intensity, intensity <= t.co2_intensity_t_per_mwh, False)
        if np.isfinite(intensity)
        else NA
    )
    return Indicator(
        "co2",
        "CO2 emissions",
        co2,
        f"{co2 / 1e6:,.1f} Mt/yr ({intensity:.3f} t/MWh)",
        f"≤ {t.co2_intensity_t_per_mwh:.4f} t/MWh (2023 grid)",
        WARNING if status == BREACH else status,
    )


def _cost(k: dict[str, Any]) -> Indicator:
    cost = number(k.get("cost_per_mwh_usd"))
    return Indicator(
        "cost_per_mwh",
        "System cost per MWh",
        cost,
        f"{cost:,.1f} USD/MWh" if np.isfinite(cost) else "—",
        "no target",
        INFO if np.isfinite(cost) else NA,
    )


def _adequacy(name: str, summary: dict[str, Any], demand: float, t: Targets) -> list[Indicator]:
    """LOLE and EUE of one assessment against the standards (Targets, else the assessment's)."""
    options = summary.get("options") if isinstance(summary.get("options"), dict) else {}
    lole_std = t.lole_h or number(options.get("lole_standard_h")) or 3.0
    if not np.isfinite(lole_std):
        lole_std = 3.0
    eue_std = t.eue_share or number(options.get("eue_standard_ppm")) / 1e6
    if not np.isfinite(eue_std) or eue_std <= 0:
        eue_std = 2e-5
    row = adequacy_table({name: summary}).iloc[0]
    lole, eue = float(row["lole_h"]), float(row["eue_mwh"])
    ppm = number(summary.get("eue_ppm"))
    eue_share = ppm / 1e6 if np.isfinite(ppm) else eue / demand if demand > 0 else float("nan")
    se = f" ± {row['lole_se_h']:.2f}" if np.isfinite(row.get("lole_se_h", np.nan)) else ""
    samples = summary.get("n_samples")
    note = f"{samples} sample years" if samples else ""
    return [
        Indicator(
            f"lole_{name}",
            f"LOLE, {name}",
            lole,
            f"{lole:.2f}{se} h/yr",
            f"≤ {lole_std:g} h/yr",
            _band(lole, lole <= lole_std, lole <= 2 * lole_std),
            note,
        ),
        Indicator(
            f"eue_{name}",
            f"EUE, {name}",
            eue,
            f"{eue:,.0f} MWh/yr ({_pct(eue_share, 4)})",
            f"≤ {eue_std:.3%} of demand",
            _band(eue_share, eue_share <= eue_std, eue_share <= 2 * eue_std),
        ),
    ]


def _lng(run: Run, t: Targets) -> list[Indicator]:
    res = run.results
    if "lng_days_of_cover" not in res or not res.sizes.get("hub", 0):
        value = number(run.kpis.get("lng_days_of_cover"))
        return [
            Indicator(
                "lng_days",
                "LNG days of cover",
                value,
                f"{value:.1f} d" if np.isfinite(value) else "—",
                f"≥ {t.lng_days:g} d",
                _band(value, value >= t.lng_days, value >= t.lng_days / 2),
            )
        ]
    out = []
    for hub in np.asarray(res["hub"].values).astype(str):
        days = float(res["lng_days_of_cover"].sel(hub=hub))
        need = t.lng_days
        for ds in (run.system, res):
            if ds is not None and "reserve_days" in ds:
                need = float(ds["reserve_days"].sel(hub=hub)) or t.lng_days
                break
        if not np.isfinite(days):
            out.append(
                Indicator(
                    f"lng_days_{hub}",
                    f"LNG days of cover, {hub}",
                    days,
                    "no LNG burn",
                    f"≥ {need:g} d",
                    INFO,
                    "no LNG plant draws on this hub in the plan",
                )
            )
            continue
        shown = f"{days:.1f} d"
        out.append(
            Indicator(
                f"lng_days_{hub}",
                f"LNG days of cover, {hub}",
                days,
                shown,
                f"≥ {need:g} d",
                _band(days, days >= need * (1 - 1e-6), days >= need / 2)
                if not math.isnan(days)
                else NA,
            )
        )
    return out


def _coal(run: Run) -> list[Indicator]:
    """Coal stock days of each region with a yard (issue 14): the plan's lowest stock in days of
    full burn against the region's strategic ``coal_stock_days`` (System); none without yards."""
    res = run.results
    if "coal_stock_days" not in res or "region" not in res["coal_stock_days"].dims:
        return []
    need_of = res["coal_stock_target_days"] if "coal_stock_target_days" in res else None
    if need_of is None and run.system is not None and "coal_stock_days" in run.system:
        need_of = run.system["coal_stock_days"]
    out = []
    for region in np.asarray(res["region"].values).astype(str):
        days = float(res["coal_stock_days"].sel(region=region))
        if not np.isfinite(days):
            continue
        need = float(need_of.sel(region=region)) if need_of is not None else float("nan")
        status = (
            _band(days, days >= need * (1 - 1e-6), days >= need / 2)
            if np.isfinite(need) and need > 0
            else INFO
        )
        target = f"≥ {need:g} d" if np.isfinite(need) and need > 0 else "—"
        out.append(
            Indicator(
                f"coal_days_{region}",
                f"Coal stock days, {region}",
                days,
                f"{days:.1f} d",
                target,
                status,
                "lowest stock over the year / daily full burn (reserves.coal)",
            )
        )
    return out


def _dr(k: dict[str, Any], demand: float) -> list[Indicator]:
    """Demand response (issue 14, lever 4): load shifted and interrupted over the year, as a
    share of demand, with its cost; ``INFO`` (no target); none when the run used none."""
    shifted = number(k.get("dr_shifted_mwh"))
    cut = number(k.get("dr_interrupted_mwh"))
    if not (np.isfinite(shifted) and np.isfinite(cut)) or shifted + cut <= 0:
        return []
    cost = number(k.get("dr_cost_usd"))
    share = (shifted + cut) / demand if demand > 0 else float("nan")
    return [
        Indicator(
            "demand_response",
            "Demand response",
            share,
            f"{shifted / 1e3:,.0f} GWh shifted, {cut / 1e3:,.0f} GWh interrupted ({_pct(share, 2)})",
            "no target",
            INFO,
            f"cost {cost / 1e6:,.1f} M USD/yr (demand_response)",
        )
    ]


def _capacity(run: Run, t: Targets) -> list[Indicator]:
    ranges = _ranges(run)
    if not ranges:
        return [
            Indicator(
                "capacity_pdp8",
                "Capacity vs PDP8 ranges",
                float("nan"),
                "—",
                "PDP8 range",
                NA,
                "build ranges not in the run (save system.nc next to results.nc)",
            )
        ]
    caps = capacity_by_tech(run.results, "total")
    out = [
        Indicator(
            "capacity_pdp8",
            "Capacity vs PDP8 ranges",
            float("nan"),
            "",
            "every technology in range",
            NA,
        )
    ]
    for tech, (lo, hi) in ranges.items():
        if lo <= 0 and not np.isfinite(hi):
            continue
        mw = float(caps.get(tech, 0.0))
        within = lo - 1e-6 <= mw <= hi + 1e-6
        near = lo * (1 - t.range_tolerance) <= mw <= hi * (1 + t.range_tolerance)
        hi_text = f"{hi / 1e3:,.1f}" if np.isfinite(hi) else "∞"
        out.append(
            Indicator(
                f"capacity_{tech}",
                f"Capacity, {tech}",
                mw,
                f"{mw / 1e3:,.1f} GW",
                f"{lo / 1e3:,.1f}–{hi_text} GW",
                OK if within else WARNING if near else BREACH,
            )
        )
    checked = out[1:]
    inside = sum(i.status == OK for i in checked)
    head = out[0]
    head.value = float(inside)
    head.display = f"{inside} of {len(checked)} technologies inside"
    head.status = (
        NA
        if not checked
        else BREACH
        if any(i.status == BREACH for i in checked)
        else WARNING
        if any(i.status == WARNING for i in checked)
        else OK
    )
    return out


def pathway_indicators(run: Run, targets: Targets | None = None) -> dict[int, list[Indicator]]:
    """The indicators of each period of a pathway run, for the dashboard's pathway section.

    Per period, in order: ``cost`` (undiscounted annual cost, ``INFO``, with the period's
    discounted years), ``co2`` (against the period's cap, else the 2023 grid factor),
    ``clean_share`` (against the period's ``clean_share_min``, else the indicative target),
    ``unserved_energy`` (as for a plan), ``reserve_margin_min`` (the lowest regional margin against the period's target, the region
    in the note), ``new_capacity`` (capacity built in the period, ``INFO``).

    Raises
    ------
    ValueError
        ``run`` is not a pathway.
    """
    if not is_pathway(run.results):
        raise ValueError("not a pathway: no 'period' dimension")
    t = targets or Targets()
    out: dict[int, list[Indicator]] = {}
    for p in periods_of(run.results):
        one = period_run(run, p)
        res, k = one.results, one.kpis
        demand = number(k.get("annual_demand_mwh"))
        cost = (
            float(res["cost_usd"].sum()) if "cost_usd" in res else number(k.get("total_cost_usd"))
        )
        weight = float(res["discount_factor"]) if "discount_factor" in res else float("nan")
        row = [
            Indicator(
                "cost",
                "Annual cost",
                cost,
                f"{cost / 1e9:,.2f} bn USD/yr" if np.isfinite(cost) else "—",
                "no target",
                INFO if np.isfinite(cost) else NA,
                f"{weight:.2f} discounted years" if np.isfinite(weight) else "",
            ),
            _co2(one, demand, t),
            _clean(one, t),
            _unserved(k, demand, t),
        ]
        by_region = res["reserve_margin_by_region"].to_series().astype(float).dropna()
        lowest = float(by_region.min()) if len(by_region) else float("nan")
        row.append(
            _margin(
                "reserve_margin_min",
                "Reserve margin, lowest region",
                lowest,
                _margin_target(one, t),
                t,
                str(by_region.idxmin()).replace("_", " ") if len(by_region) else "",
            )
        )
        built = 0.0
        for name in ("capacity_built_mw", "storage_power_built_mw"):
            if name in res:
                built += float(res[name].fillna(0.0).sum())
        row.append(
            Indicator(
                "new_capacity",
                "Capacity built in the period",
                built,
                f"{built / 1e3:,.1f} GW",
                "no target",
                INFO,
            )
        )
        out[p] = row
    return out
