"""The figures and notes of one run in the dashboard: the analysts' views
(:mod:`energy_sim.analysis.plots`) drawn for a run folder and embedded as PNG data URIs; for a
pathway, the four views of its periods (:func:`pathway_figures`).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.analysis.compare import adequacy_table
from energy_sim.analysis.runs import Run


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
    if "block" in res and res["block"].size:
        return bool(np.all(np.asarray(res["block"].values) == 0))
    return not str(res.attrs.get("resolution", "")).strip().lower().endswith("d")


def run_notes(run: Run) -> list[str]:
    """What a reader of the run's section must know: files left out (another plan's), and
    why the hourly views are missing when the plan is on representative days."""
    notes = list(run.warnings)
    period = run.results.attrs.get("period")  # one period of a pathway
    if (run.dispatch is None or "generation_mw" not in run.dispatch) and not chronological(
        run.results
    ):
        notes.append(
            f"No hourly views: the plan is on {_resolution(run.results)}, which are not a "
            "chronological year; `energy-sim dispatch SCENARIO --plan "
            f"{run.path / 'results.nc' if run.path else 'results.nc'}"
            + (f" --period {period}" if period is not None else "")
            + "` writes dispatch.nc next to it, then the dashboard shows the operated year."
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


def pathway_figures(run: Run) -> list[tuple[str, str]]:
    """The four pathway views of a pathway run as ``(caption, data URI)``
    (:mod:`energy_sim.analysis.plots.pathway`)."""
    from matplotlib.figure import Figure

    from energy_sim.analysis import plots

    res = run.results
    figs: list[tuple[str, str]] = []
    for caption, draw, size in (
        (
            "Capacity by technology and period (GW; hatched: existing fleet, solid: built in "
            "the horizon)",
            plots.pathway_capacity,
            (9, 4.6),
        ),
        (
            "CO2 emissions (Mt/yr) against the net-zero path (the CO2 cap of each period)",
            plots.pathway_emissions,
            (7.5, 4.2),
        ),
        (
            "Reserve margin by region and period against each period's target "
            "(red outline: below target)",
            plots.pathway_reserve_margin,
            (10, 4.4),
        ),
        (
            "Annual cost of each period by component (bn USD/yr; the discounted total in the title)",
            plots.pathway_cost,
            (8.5, 4.2),
        ),
    ):
        fig = Figure(figsize=size)
        draw(res, ax=fig.subplots())
        figs.append((caption, figure_png(fig)))
    return figs
