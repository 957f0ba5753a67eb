"""The Resolution 70 "digital control panel": one self-contained HTML dashboard of KPIs.

``energy-sim report DIR... -o dashboard.html`` reads one or several run folders and writes one
HTML file that needs nothing else: CSS inline, figures embedded as base64 PNG, no script, nothing
fetched from the network. Each indicator is shown against its target with a status in colour
*and* text — ``OK``, ``WARNING``, ``BREACH``, ``INFO`` (no target) or ``N/A`` (not computed).

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
- LNG days of cover of each hub: ``OK`` if ``>=`` the hub's strategic ``reserve_days`` (System)
  or ``lng_days`` (15 d, the low end of the state gas-reserve policy), ``WARNING`` at half of it
  or more, ``BREACH`` below;
- CO2: against the scenario's CO2 cap when there is one (``WARNING`` within 5% above), else the
  intensity ``co2_t / demand`` against the 2023 grid emission factor 0.6592 t/MWh (``OK`` below,
  ``WARNING`` above);
- cost per MWh of demand: ``INFO`` (no target), with the gap to the cheapest scenario shown;
- capacity of each technology against the PDP8 range ``[build_min_mw, build_max_mw]``: ``OK``
  inside, ``WARNING`` within 5% outside, ``BREACH`` beyond; without ranges in the run -> ``N/A``;
- solver status: ``OK`` if ``optimal``, else ``BREACH`` (results not to be relied on).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.analysis.compare import Run, _number, adequacy_table, capacity_by_tech, load_runs

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
            return _number(ds.attrs[name])
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


def indicators(run: Run, targets: Targets | None = None) -> list[Indicator]:
    """Every Resolution 70 indicator of one run with its value, target and status.

    See the module docstring for the rules.
    """
    t = targets or Targets()
    k, res = run.kpis, run.results
    out: list[Indicator] = []
    status = str(k.get("status", res.attrs.get("status", "")))
    out.append(
        Indicator(
            "solver_status",
            "Solver status",
            float("nan"),
            status or "—",
            "optimal",
            OK if status == "optimal" else BREACH,
            "" if status == "optimal" else "plan not optimal: do not rely on these numbers",
        )
    )
    target = _margin_target(run, t)
    shortfall = _number(k.get("reserve_shortfall_mw"))
    out.append(
        _margin(
            "reserve_margin_system",
            "Reserve margin, system",
            _number(k.get("reserve_margin")),
            target,
            t,
            f"shortfall {shortfall:,.0f} MW" if shortfall > 0 else "",
        )
    )
    by_region = k.get("reserve_margin_by_region")
    if not isinstance(by_region, dict) and "reserve_margin_by_region" in res:
        by_region = res["reserve_margin_by_region"].to_series().to_dict()
    for region, value in (by_region or {}).items():
        out.append(
            _margin(
                f"reserve_margin_{region}",
                f"Reserve margin, {region.replace('_', ' ')}",
                _number(value),
                target,
                t,
            )
        )
    demand = _number(k.get("annual_demand_mwh"))
    use = _number(k.get("unserved_energy_mwh"))
    share = use / demand if demand > 0 else float("nan")
    out.append(
        Indicator(
            "unserved_energy",
            "Unserved energy (plan)",
            use,
            f"{use:,.0f} MWh ({_pct(share, 4)})",
            f"≤ {t.unserved_share:.3%} of demand",
            _band(share, share <= t.unserved_share, share <= 5 * t.unserved_share),
        )
    )
    if not run.assessments:
        for key, label in (("lole", "LOLE (Monte Carlo)"), ("eue", "EUE (Monte Carlo)")):
            out.append(
                Indicator(
                    f"{key}_adequacy",
                    label,
                    float("nan"),
                    "—",
                    f"≤ {t.lole_h or 3.0:g} h/yr"
                    if key == "lole"
                    else f"≤ {t.eue_share or 2e-5:.3%} of demand",
                    NA,
                    "no assessment in the run folder (energy-sim assess)",
                )
            )
    for name, summary in run.assessments.items():
        out += _adequacy(name, summary, demand, t)
    policy = _attr(run, "clean_share_min")
    clean_target = policy if np.isfinite(policy) else t.clean_share
    clean = _number(k.get("clean_share"))
    out.append(
        Indicator(
            "clean_share",
            "Clean share of demand",
            clean,
            _pct(clean),
            f"≥ {clean_target:.0%}" + ("" if np.isfinite(policy) else " (indicative)"),
            _band(clean, clean >= clean_target - 1e-9, clean >= clean_target - t.clean_warning),
        )
    )
    loss = _number(k.get("loss_rate"))
    out.append(
        Indicator(
            "loss_rate",
            "Loss rate (inter-regional)",
            loss,
            _pct(loss, 2),
            f"≤ {t.loss_rate:.0%}",
            _band(loss, loss <= t.loss_rate, loss <= t.loss_warning),
        )
    )
    if "td_loss_rate" in k:  # runs written before issue 14 have no T&D loss KPI
        td = _number(k.get("td_loss_rate"))
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
    out += _lng(run, t)
    co2 = _number(k.get("co2_t"))
    cap = _attr(run, "co2_cap_t")
    if np.isfinite(cap):
        out.append(
            Indicator(
                "co2",
                "CO2 emissions",
                co2,
                f"{co2 / 1e6:,.1f} Mt/yr",
                f"≤ {cap / 1e6:,.1f} Mt/yr (cap)",
                _band(co2, co2 <= cap * (1 + 1e-9), co2 <= 1.05 * cap),
            )
        )
    else:
        intensity = co2 / demand if demand > 0 else float("nan")
        out.append(
            Indicator(
                "co2",
                "CO2 emissions",
                co2,
                f"{co2 / 1e6:,.1f} Mt/yr ({intensity:.3f} t/MWh)",
                f"≤ {t.co2_intensity_t_per_mwh:.4f} t/MWh (2023 grid)",
                _band(intensity, intensity <= t.co2_intensity_t_per_mwh, False)
                if np.isfinite(intensity)
                else NA,
            )
        )
        if out[-1].status == BREACH:
            out[-1].status = WARNING
    cost = _number(k.get("cost_per_mwh_usd"))
    out.append(
        Indicator(
            "cost_per_mwh",
            "System cost per MWh",
            cost,
            f"{cost:,.1f} USD/MWh" if np.isfinite(cost) else "—",
            "no target",
            INFO if np.isfinite(cost) else NA,
        )
    )
    out += _capacity(run, t)
    return out


def _adequacy(name: str, summary: dict[str, Any], demand: float, t: Targets) -> list[Indicator]:
    """LOLE and EUE of one assessment against the standards (Targets, else the assessment's)."""
    options = summary.get("options") if isinstance(summary.get("options"), dict) else {}
    lole_std = t.lole_h or _number(options.get("lole_standard_h")) or 3.0
    if not np.isfinite(lole_std):
        lole_std = 3.0
    eue_std = t.eue_share or _number(options.get("eue_standard_ppm")) / 1e6
    if not np.isfinite(eue_std) or eue_std <= 0:
        eue_std = 2e-5
    row = adequacy_table({name: summary}).iloc[0]
    lole, eue = float(row["lole_h"]), float(row["eue_mwh"])
    ppm = _number(summary.get("eue_ppm"))
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
        value = _number(run.kpis.get("lng_days_of_cover"))
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


def figure_png(fig: Any, dpi: int = 80) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _resolution(res: xr.Dataset) -> str:
    text = str(res.attrs.get("resolution", "") or "")
    return f"{text} steps" if text else "its time steps"


def chronological(res: xr.Dataset) -> bool:
    """Whether the steps of a Results follow each other in time (not representative days)."""
    if "period" in res and res["period"].size:
        return bool(np.all(np.asarray(res["period"].values) == 0))
    return not str(res.attrs.get("resolution", "")).strip().lower().endswith("d")


def run_notes(run: Run) -> list[str]:
    """What a reader of the run's section must know: files left out (another plan's), and
    why the hourly views are missing when the plan is on representative days."""
    notes = list(run.warnings)
    if (run.dispatch is None or "generation_mw" not in run.dispatch) and not chronological(
        run.results
    ):
        notes.append(
            f"No hourly views: the plan is on {_resolution(run.results)}, which are not a "
            "chronological year; `energy-sim dispatch SCENARIO --plan "
            f"{run.path / 'results.nc' if run.path else 'results.nc'}` writes dispatch.nc "
            "next to it, then the dashboard shows the operated year."
        )
    return notes


def run_figures(run: Run) -> list[tuple[str, str]]:
    """The figures of one run as ``(caption, data URI)``; views whose data are missing are skipped."""
    from matplotlib.figure import Figure

    from energy_sim.analysis import plots

    res, system = run.results, run.system
    figs: list[tuple[str, str]] = []

    def add(caption: str, draw: Callable[[Any], Any], size: tuple[float, float]) -> None:
        fig = Figure(figsize=size)
        draw(fig.subplots())
        figs.append((caption, figure_png(fig)))

    add(
        "Capacity by technology and region against the PDP8 ranges",
        lambda ax: plots.capacity_mix(res, system, ax=ax),
        (9, 4),
    )
    add("Planning reserve margin by region", lambda ax: plots.reserve_margin(res, ax=ax), (7, 3.6))
    if res.sizes.get("corridor", 0):
        add(
            "Corridors: capacity, net flow and utilisation",
            lambda ax: plots.corridor_map(res, system, ax=ax),
            (5, 6.5),
        )
    # hourly operation: the run's dispatch.nc (sample 0) when there is one, else the plan itself
    # unless the plan is on representative days, which drawn in a row would look like a year
    operated = run.dispatch if run.dispatch is not None and "generation_mw" in run.dispatch else res
    source = "hourly dispatch, sample 0" if operated is not res else f"plan, {_resolution(res)}"
    if operated is res and not chronological(res):
        operated = xr.Dataset()
    if "generation_mw" in operated and operated.sizes.get("time", 0):
        add(
            f"Dispatch around the peak ({source})",
            lambda ax: plots.dispatch_stack(operated, system if operated is res else None, ax=ax),
            (10, 3.8),
        )
    if "price_usd_per_mwh" in res:
        add(
            "Regional price duration curves",
            lambda ax: plots.price_duration(res, system, ax=ax),
            (7, 3.6),
        )
    if "lng_inventory_mwh_th" in operated and operated.sizes.get("hub", 0):
        add(
            f"LNG inventory through the year ({source})",
            lambda ax: plots.lng_inventory(operated, ax=ax),
            (9, 3.4),
        )
    if run.assessments:
        if len(run.assessments) > 1:
            add(
                "Adequacy by stress test",
                lambda ax: plots.adequacy(run.assessments, by="stress", ax=ax),
                (7, 3.6),
            )
        first = next(iter(run.assessments.values()))
        if not adequacy_table(first, by="region").empty:
            add(
                "Adequacy by region", lambda ax: plots.adequacy(first, by="region", ax=ax), (7, 3.6)
            )
    return figs


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1f2937;background:#f3f4f6}
header{background:#0f3d5e;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px 0;font-size:24px}
header p{margin:0;opacity:.85;font-size:14px}
main{padding:18px 28px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 18px;margin-bottom:18px}
h2{font-size:19px;margin:4px 0 10px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{background:#f9fafb}
td.value{white-space:nowrap}
.badge{display:inline-block;min-width:74px;text-align:center;padding:2px 6px;border-radius:4px;color:#fff;font-weight:700;font-size:12px;letter-spacing:.03em}
.cell{border-left:6px solid transparent;padding-left:8px}
.ok{background:#1b7f3b}.warning{background:#b7791f}.breach{background:#c0262d}.info{background:#2b6cb0}.na{background:#6b7280}
.cell.ok{background:#ecfdf3;border-left-color:#1b7f3b}.cell.warning{background:#fffbeb;border-left-color:#b7791f}
.cell.breach{background:#fef2f2;border-left-color:#c0262d}.cell.info{background:#eff6ff;border-left-color:#2b6cb0}
.cell.na{background:#f3f4f6;border-left-color:#6b7280}
.note{color:#6b7280;font-size:12px}
.warn{background:#fffbeb;border-left:6px solid #b7791f;padding:6px 10px;font-size:13px}
.counts span{margin-right:12px}
.figs{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;flex:1 1 420px;max-width:100%}
figure img{max-width:100%;height:auto;border:1px solid #e5e7eb}
figcaption{font-size:13px;color:#4b5563;margin-top:4px}
footer{padding:8px 28px 24px 28px;font-size:12px;color:#6b7280}
"""


def _provenance_note(res: xr.Dataset) -> str:
    """`` · energy_sim X · seed S · run R`` from a Results' provenance attrs (what is there)."""
    parts = [
        f"{label} {_e(res.attrs[key])}"
        for key, label in (
            ("energy_sim_version", "energy_sim"),
            ("seed", "seed"),
            ("run_id", "run"),
            ("created_utc", "made"),
        )
        if key in res.attrs
    ]
    return "".join(f" · {p}" for p in parts)


def _badge(status: str) -> str:
    cls = "na" if status == NA else status
    return f'<span class="badge {cls}">{STATUS_TEXT[status]}</span>'


def _e(text: Any) -> str:
    return html.escape(str(text))


def _summary_table(runs: list[Run], inds: dict[str, list[Indicator]]) -> str:
    keys: dict[str, tuple[str, str]] = {}
    for run in runs:
        for ind in inds[run.name]:
            keys.setdefault(ind.key, (ind.label, ind.target))
    cheapest = min(
        (
            i.value
            for r in runs
            for i in inds[r.name]
            if i.key == "cost_per_mwh" and np.isfinite(i.value)
        ),
        default=float("nan"),
    )
    head = "".join(f"<th>{_e(r.name)}</th>" for r in runs)
    rows = []
    for key, (label, target) in keys.items():
        cells = []
        for run in runs:
            ind = next((i for i in inds[run.name] if i.key == key), None)
            if ind is None:
                cells.append(
                    f'<td class="cell na" data-status="{NA}">{_badge(NA)} <span class="note">not in this run</span></td>'
                )
                continue
            note = ind.note
            if (
                key == "cost_per_mwh"
                and np.isfinite(ind.value)
                and np.isfinite(cheapest)
                and len(runs) > 1
            ):
                gap = ind.value / cheapest - 1 if cheapest else float("nan")
                note = "cheapest" if abs(gap) < 1e-9 else f"+{gap:.1%} vs cheapest"
            cls = "na" if ind.status == NA else ind.status
            targ = (
                f'<div class="note">target {_e(ind.target)}</div>' if ind.target != target else ""
            )
            cells.append(
                f'<td class="cell {cls}" data-status="{ind.status}">{_badge(ind.status)} '
                f'<span class="value">{_e(ind.display)}</span>'
                + (f'<div class="note">{_e(note)}</div>' if note else "")
                + targ
                + "</td>"
            )
        rows.append(
            f'<tr data-indicator="{_e(key)}"><th scope="row">{_e(label)}</th>'
            f"<td>{_e(target)}</td>{''.join(cells)}</tr>"
        )
    return (
        f'<table class="indicators"><thead><tr><th>indicator</th><th>target</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render(
    runs: Sequence[str | Path | xr.Dataset | Run],
    names: Sequence[str] | None = None,
    targets: Targets | None = None,
    title: str = "Power system security — Resolution 70 control panel",
    figures: bool = True,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The dashboard HTML of one or several runs (see :func:`write_report`)."""
    from energy_sim.outputs import provenance

    loaded = load_runs(runs, names)
    prov = provenance()
    step = progress or (lambda _msg: None)
    inds = {run.name: indicators(run, targets) for run in loaded}
    counts = {
        run.name: {s: sum(i.status == s for i in inds[run.name]) for s in (OK, WARNING, BREACH, NA)}
        for run in loaded
    }
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "".join(
            f'<meta name="energy-sim:{key}" content="{_e(value)}">' for key, value in prov.items()
        ),
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p>energy_sim {_e(prov['energy_sim_version'])} · "
        f"{len(loaded)} scenario{'s' if len(loaded) > 1 else ''} · generated "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · every indicator against its target</p></header><main>",
        "<section><h2>Indicators against targets</h2>",
        '<p class="counts">'
        + " ".join(
            f"<span><b>{_e(name)}</b>: "
            + ", ".join(f"{c[s]} {STATUS_TEXT[s]}" for s in (OK, WARNING, BREACH, NA))
            + "</span>"
            for name, c in counts.items()
        )
        + "</p>",
        _summary_table(loaded, inds),
        '<p class="note">OK: target met · WARNING: close to the target · BREACH: target missed · '
        "INFO: no target · N/A: not computed for this run. Rules and sources: docs/analysis.md.</p>",
        "</section>",
    ]
    if figures:
        if len(loaded) > 1:
            from energy_sim.analysis.compare import compare_figure

            step("comparison figure")
            parts.append('<section><h2>Scenarios side by side</h2><div class="figs">')
            parts.append(
                f'<figure><img alt="comparison of scenarios" src="{figure_png(compare_figure(loaded))}">'
                "<figcaption>Capacity, new build, reserve margins, cost, clean share, CO2</figcaption></figure>"
            )
            parts.append("</div></section>")
        for run in loaded:
            step(f"figures of {run.name}")
            parts.append(f'<section data-run="{_e(run.name)}"><h2>{_e(run.name)}</h2>')
            parts.append(
                f'<p class="note">scenario {_e(run.results.attrs.get("scenario", ""))} · '
                f"resolution {_e(run.results.attrs.get('resolution', ''))} · "
                f"status {_e(run.kpis.get('status', run.results.attrs.get('status', '')))}"
                + (f" · folder {_e(run.path)}" if run.path else "")
                + _provenance_note(run.results)
                + "</p>"
                + "".join(f'<p class="warn">{_e(note)}</p>' for note in run_notes(run))
                + '<div class="figs">'
            )
            for caption, uri in run_figures(run):
                parts.append(
                    f'<figure><img alt="{_e(caption)}" src="{uri}"><figcaption>{_e(caption)}</figcaption></figure>'
                )
            parts.append("</div></section>")
    parts.append(
        "</main><footer>Targets: reserve margin 15% (Resolution 70-NQ/TW); PDP8 ranges (Decision "
        "768/QD-TTg, 2025); other thresholds are stated assumptions of energy_sim, settable in "
        "energy_sim.analysis.report.Targets.</footer></body></html>"
    )
    return "\n".join(parts)


def write_report(
    runs: Sequence[str | Path | xr.Dataset | Run],
    path: str | Path,
    names: Sequence[str] | None = None,
    targets: Targets | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write the dashboard of ``runs`` to ``path`` atomically (temp file + ``os.replace``,
    :func:`energy_sim.outputs.atomic_write`; the file gets the usual ``0666 & ~umask`` mode).

    Returns the path written.
    """
    from energy_sim.outputs import atomic_write

    text = render(runs, names=names, targets=targets, progress=progress)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
