"""The Resolution 70 "digital control panel": one self-contained HTML dashboard of KPIs.

``energy-sim report DIR... -o dashboard.html`` reads one or several run folders and writes one
HTML file that needs nothing else: CSS inline, figures embedded as base64 PNG, no script, nothing
fetched from the network. Each indicator is shown against its target with a status in colour
*and* text — ``OK``, ``WARNING``, ``BREACH``, ``INFO`` (no target) or ``N/A`` (not computed).

The indicators and their status rules are :mod:`energy_sim.analysis.indicators`; the figures
of each run :mod:`energy_sim.analysis.report_figures`.

A pathway run (issue 13: a Results with a ``period`` dimension) is shown in the indicator table
by one period (default its first), and gets a pathway section: a per-period table (cost, CO2
against the cap, clean share against its minimum, lowest regional reserve margin against the
target, capacity built) and the four pathway figures, then the single-year figures of that one
period. A dashboard of single-year plans has no pathway section.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.analysis.compare import load_plans, period_run
from energy_sim.analysis.indicators import (
    BREACH,
    NA,
    OK,
    STATUS_TEXT,
    WARNING,
    Indicator,
    Targets,
    indicators,
    pathway_indicators,
)
from energy_sim.analysis.labels import is_pathway, periods_of
from energy_sim.analysis.report_figures import figure_png, pathway_figures, run_figures, run_notes
from energy_sim.analysis.runs import Run

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


def _cell(ind: Indicator) -> str:
    """One table cell of an indicator: badge, value, note and target."""
    cls = "na" if ind.status == NA else ind.status
    return (
        f'<td class="cell {cls}" data-indicator="{_e(ind.key)}" data-status="{ind.status}">'
        f'{_badge(ind.status)} <span class="value">{_e(ind.display)}</span>'
        + (f'<div class="note">{_e(ind.note)}</div>' if ind.note else "")
        + (
            f'<div class="note">target {_e(ind.target)}</div>'
            if ind.target and ind.target != "no target"
            else ""
        )
        + "</td>"
    )


def _pathway_head(run: Run) -> str:
    """The pathway's facts under its heading: periods, foresight, discounting, objective."""
    res = run.results
    periods = periods_of(res)
    objective = _number(res.attrs.get("objective_usd", run.kpis.get("objective_usd")))
    rate = _number(res.attrs.get("discount_rate"))
    facts = [
        f"periods {', '.join(map(str, periods))}",
        f"{res.attrs.get('foresight', 'unknown')} foresight",
        f"discount rate {rate:.1%}" if np.isfinite(rate) else "",
        f"base year {res.attrs['base_year']}" if "base_year" in res.attrs else "",
        f"discounted total cost {objective / 1e9:,.1f} bn USD" if np.isfinite(objective) else "",
        f"status {run.kpis.get('status', res.attrs.get('status', ''))}",
    ]
    return " · ".join(_e(f) for f in facts if f)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _pathway_section(run: Run, targets: Targets | None, period: int | None, figures: bool) -> str:
    """The pathway section of one pathway run: the per-period table and the four figures."""
    rows = pathway_indicators(run, targets)
    keys: dict[str, str] = {}
    for inds in rows.values():
        for ind in inds:
            keys.setdefault(ind.key, ind.label)
    head = "".join(f"<th>{_e(label)}</th>" for label in keys.values())
    body = []
    for p, inds in rows.items():
        by_key = {i.key: i for i in inds}
        cells = "".join(
            _cell(by_key[key]) if key in by_key else f"<td>{_badge(NA)}</td>" for key in keys
        )
        body.append(f'<tr data-period="{p}"><th scope="row">{p}</th>{cells}</tr>')
    shown = period if period is not None else periods_of(run.results)[0]
    parts = [
        f'<section data-pathway="{_e(run.name)}"><h2>Pathway: {_e(run.name)}</h2>',
        f'<p class="note">{_pathway_head(run)}</p>',
        '<table class="pathway"><thead><tr><th>period</th>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>",
        '<p class="note">Each period\'s cost is its undiscounted annual cost (the discounted '
        "years it stands for in the note); CO2, clean share, unserved energy and reserve margin "
        "against that period's cap, minimum, standard and target (same bands as the indicators "
        f"above). The indicator table above shows the {shown} period.</p>",
    ]
    if figures:
        parts.append('<div class="figs">')
        for caption, uri in pathway_figures(run):
            parts.append(
                f'<figure><img alt="{_e(caption)}" src="{uri}"><figcaption>{_e(caption)}</figcaption></figure>'
            )
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def render(
    runs: Sequence[str | Path | xr.Dataset | Run],
    names: Sequence[str] | None = None,
    targets: Targets | None = None,
    title: str = "Power system security — Resolution 70 control panel",
    figures: bool = True,
    progress: Callable[[str], None] | None = None,
    period: int | None = None,
) -> str:
    """The dashboard HTML of one or several runs (see :func:`write_report`).

    ``period``: the period of a pathway run shown in the indicator table and the single-year
    figures (default each pathway's first period); ignored for single-year runs.
    """
    from energy_sim.outputs import provenance

    loaded = load_plans(runs, names)
    prov = provenance()
    step = progress or (lambda _msg: None)
    inds = {run.name: indicators(run, targets, period) for run in loaded}
    pathways = [run for run in loaded if is_pathway(run.results)]
    shown = {
        run.name: period if period is not None else periods_of(run.results)[0] for run in pathways
    }
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
        "".join(
            f'<p class="note">{_e(name)} is a pathway: its column shows the {p} period; every '
            "period is in its pathway section below.</p>"
            for name, p in shown.items()
        ),
        "</section>",
    ]
    if not figures:
        parts += [_pathway_section(run, targets, period, figures=False) for run in pathways]
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
            if is_pathway(run.results):
                parts.append(_pathway_section(run, targets, period, figures=True))
                run = period_run(run, shown[run.name])
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
        "energy_sim.analysis.indicators.Targets.</footer></body></html>"
    )
    return "\n".join(parts)


def write_report(
    runs: Sequence[str | Path | xr.Dataset | Run],
    path: str | Path,
    names: Sequence[str] | None = None,
    targets: Targets | None = None,
    progress: Callable[[str], None] | None = None,
    period: int | None = None,
) -> Path:
    """Write the dashboard of ``runs`` to ``path`` atomically (temp file + ``os.replace``,
    :func:`energy_sim.outputs.atomic_write`; the file gets the usual ``0666 & ~umask`` mode).

    ``period``: of a pathway run, the period of the indicator table and of the single-year
    figures (default its first). Returns the path written.
    """
    from energy_sim.outputs import atomic_write

    text = render(runs, names=names, targets=targets, progress=progress, period=period)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
