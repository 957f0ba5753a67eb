"""Portfolios side by side: KPIs and capacities of several runs as one table and one figure.

Runs are read by :mod:`energy_sim.analysis.runs` (a folder written by ``energy-sim run``, or a
Results dataset in memory); :func:`compare` lines them up; :func:`compare_figure` draws them;
:func:`capacity_by_tech` and :func:`adequacy_table` are the tables of one run they build on.

A pathway (issue 13: one Results with a ``period`` dimension) takes one column per period:
:func:`period_runs` makes each period a single-year :class:`Run` (:func:`period_run`), and
:func:`pathway_table` is the per-period table of one pathway. :func:`load_plans` reads runs as
:func:`energy_sim.analysis.runs.load_runs` does and also takes a pathway dataset in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from energy_sim.analysis.labels import is_pathway, label_of, periods_of
from energy_sim.analysis.runs import Run, find_adequacy, load_runs, number
from energy_sim.planning.pathway import select_period

#: Unserved energy (MWh/yr) below which a figure read from a summary is float residue: zero.
EUE_ZERO_MWH = 1e-3


def capacity_by_tech(results: xr.Dataset, which: str = "total") -> pd.Series:
    """Capacity (MW) by technology: ``sum_{g of k} cap[g]`` plus storage power.

    ``which``: ``"total"`` (``capacity_mw``), ``"new"`` (``capacity_new_mw``) or ``"existing"``.
    """
    gen_var = {"total": "capacity_mw", "new": "capacity_new_mw", "existing": "capacity_existing_mw"}
    st_var = {
        "total": "storage_power_mw",
        "new": "storage_power_new_mw",
        "existing": "storage_power_existing_mw",
    }
    parts = [
        pd.Series(
            np.asarray(results[gen_var[which]].values, float),
            index=label_of(results, "gen", "tech"),
        )
    ]
    if st_var[which] in results and results.sizes.get("storage", 0):
        parts.append(
            pd.Series(
                np.asarray(results[st_var[which]].values, float),
                index=label_of(results, "storage", "tech"),
            )
        )
    return pd.concat(parts).groupby(level=0).sum()


def _has_own_metrics(payload: Mapping[str, Any]) -> bool:
    keys = {str(k).lower() for k in payload}
    return any(k.startswith("lole") for k in keys) and any(k.startswith("eue") for k in keys)


def _summaries(assessments: Mapping[str, Any]) -> dict[str, Any]:
    """``name -> summary`` from either such a mapping or a single summary."""
    if _has_own_metrics(assessments):
        return {"assessment": find_adequacy(assessments)}
    named = {k: v for k, v in assessments.items() if find_adequacy(v) is not None}
    if named:
        return dict(assessments)
    single = find_adequacy(assessments)
    return {"assessment": single} if single is not None else {}


def _eue(value: Any) -> float:
    """An EUE figure as a float, float residue (< 1 kWh) as 0."""
    x = number(value)
    return 0.0 if np.isfinite(x) and abs(x) < EUE_ZERO_MWH else x


def adequacy_table(assessments: Mapping[str, Any], by: str = "stress") -> pd.DataFrame:
    """LOLE / EUE (and standard errors) as a table.

    ``by="stress"``: one row per summary (system-wide figures); ``by="region"``: one row per
    region of the first summary. Accepts a single summary as well as ``name -> summary``: a
    mapping is one summary only when it carries LOLE and EUE itself, or when none of its values
    is a summary (``{"adequacy": {...}, "lng_disruption": {...}}`` is two summaries, whatever
    the names). Columns ``lole_h`` (h/yr), ``eue_mwh`` (MWh/yr), and ``lole_se_h``/``eue_se_mwh``
    where given; EUE below :data:`EUE_ZERO_MWH` (float residue) is 0.
    """
    items = _summaries(assessments)
    if not items:
        return pd.DataFrame(columns=["lole_h", "eue_mwh"])

    preferred = {
        ("lole", False): ("lole_h", "lole", "lole_h_per_yr"),
        ("lole", True): ("lole_h_se", "lole_se_h", "lole_se"),
        ("eue", False): ("eue_mwh", "eue"),
        ("eue", True): ("eue_mwh_se", "eue_se_mwh", "eue_se"),
    }

    def pick(summary: Mapping[str, Any], stem: str, se: bool = False) -> Any:
        lower = {str(key).lower(): value for key, value in summary.items()}
        for key in preferred[(stem, se)]:
            if key in lower:
                return lower[key]
        for k, value in lower.items():
            if not k.startswith(stem) or "region" in k or "ppm" in k:
                continue
            is_se = "se" in k.replace(stem, "").split("_") or "stderr" in k
            if is_se == se and not isinstance(value, Mapping):
                return value
        return None

    def pick_region(summary: Mapping[str, Any], stem: str, se: bool = False) -> Any:
        for key, value in summary.items():
            k = key.lower()
            is_se = "_se" in k or "stderr" in k
            if k.startswith(stem) and "region" in k and is_se == se and isinstance(value, Mapping):
                return value
        by_region = summary.get("by_region") or summary.get("regions")
        if isinstance(by_region, Mapping):
            out = {}
            for region, sub in by_region.items():
                if isinstance(sub, Mapping):
                    out[region] = pick(sub, stem, se)
            return out
        return None

    if by == "region":
        summary = find_adequacy(next(iter(items.values()))) or {}
        lole = pick_region(summary, "lole") or {}
        eue = {k: _eue(v) for k, v in (pick_region(summary, "eue") or {}).items()}
        table = pd.DataFrame(
            {"lole_h": pd.Series(lole, dtype=float), "eue_mwh": pd.Series(eue, dtype=float)}
        )
        lole_se = pick_region(summary, "lole", se=True)
        eue_se = pick_region(summary, "eue", se=True)
        if lole_se:
            table["lole_se_h"] = pd.Series(lole_se, dtype=float)
        if eue_se:
            table["eue_se_mwh"] = pd.Series(eue_se, dtype=float)
        return table.fillna(0.0)
    rows = {}
    for name, raw in items.items():
        summary = find_adequacy(raw) or {}
        row = {"lole_h": number(pick(summary, "lole")), "eue_mwh": _eue(pick(summary, "eue"))}
        for col, stem in (("lole_se_h", "lole"), ("eue_se_mwh", "eue")):
            value = pick(summary, stem, se=True)
            if value is not None:
                row[col] = number(value)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


#: The reserve-margin panel of :func:`compare_figure` stops at this multiple of the target.
RESERVE_AXIS_CAP = 4.0

#: Row labels of the KPI part of :func:`compare`, with the KPI key and the scale to the unit.
KPI_ROWS: list[tuple[str, str, float]] = [
    ("total cost (USD bn/yr)", "total_cost_usd", 1e-9),
    ("cost per MWh of demand (USD/MWh)", "cost_per_mwh_usd", 1.0),
    ("annual demand (TWh)", "annual_demand_mwh", 1e-6),
    ("peak demand (GW)", "peak_demand_mw", 1e-3),
    ("reserve margin, system (%)", "reserve_margin", 100.0),
    ("reserve shortfall (MW)", "reserve_shortfall_mw", 1.0),
    ("unserved energy, plan (MWh/yr)", "unserved_energy_mwh", 1.0),
    ("clean share (%)", "clean_share", 100.0),
    ("CO2 (Mt/yr)", "co2_t", 1e-6),
    ("loss rate, inter-regional (%)", "loss_rate", 100.0),
    ("LNG days of cover, lowest hub (d)", "lng_days_of_cover", 1.0),
]


def compare(
    runs: Sequence[str | Path | xr.Dataset | Run], names: Sequence[str] | None = None
) -> pd.DataFrame:
    """KPIs and capacities of several runs side by side.

    Parameters
    ----------
    runs
        Run folders (as written by ``energy-sim run``), Results datasets or :class:`Run` objects.
        A pathway gives one column per period, ``"{name} {period}"`` (:func:`period_runs`).
    names
        Column labels; default the folder names (or the ``scenario`` attr of a dataset).

    Returns
    -------
    pandas.DataFrame
        One column per run, one row per indicator with its unit in the label: costs, demand,
        reserve margin (system and ``reserve margin, {region} (%)``), shortfall, unserved
        energy, clean share, CO2 and its intensity ``co2_t / annual_demand_mwh``, loss rate, LNG
        days of cover, LOLE/EUE of any assessment in the folder, then ``capacity, {tech} (MW)``
        and ``new capacity, {tech} (MW)`` and the new corridor capacity. ``df.attrs["status"]``
        maps run name to solver status.
    """
    from energy_sim.analysis.labels import REGION_LATLON

    loaded = [one for run in load_plans(runs, names) for one in period_runs(run)]
    columns: dict[str, pd.Series] = {}
    for run in loaded:
        k, res = run.kpis, run.results
        values: dict[str, float] = {
            label: number(k.get(key)) * scale for label, key, scale in KPI_ROWS
        }
        demand = number(k.get("annual_demand_mwh"))
        values["CO2 intensity (t/MWh)"] = number(k.get("co2_t")) / demand if demand else np.nan
        by_region = (
            res["reserve_margin_by_region"].to_series() if "reserve_margin_by_region" in res else {}
        )
        for region, margin in dict(by_region).items():
            values[f"reserve margin, {region} (%)"] = 100.0 * float(margin)
        for name, summary in run.assessments.items():
            row = adequacy_table({name: summary}).iloc[0]
            values[f"LOLE, {name} (h/yr)"] = float(row["lole_h"])
            values[f"EUE, {name} (MWh/yr)"] = float(row["eue_mwh"])
        for tech, mw in capacity_by_tech(res, "total").items():
            values[f"capacity, {tech} (MW)"] = float(mw)
        for tech, mw in capacity_by_tech(res, "new").items():
            values[f"new capacity, {tech} (MW)"] = float(mw)
        if "corridor_capacity_new_mw" in res:
            values["new corridor capacity (MW)"] = float(res["corridor_capacity_new_mw"].sum())
        columns[run.name] = pd.Series(values, dtype=float)
    table = pd.DataFrame(columns)
    order = [label for label, _, _ in KPI_ROWS]
    order += ["CO2 intensity (t/MWh)"]
    regions = list(REGION_LATLON) + sorted(
        i[len("reserve margin, ") : -len(" (%)")]
        for i in table.index
        if i.startswith("reserve margin, ")
    )
    order += [f"reserve margin, {r} (%)" for r in dict.fromkeys(regions)]
    names_adequacy = dict.fromkeys(n for run in loaded for n in run.assessments)
    order += [
        f"{m}, {n} ({u})" for n in names_adequacy for m, u in (("LOLE", "h/yr"), ("EUE", "MWh/yr"))
    ]
    order += sorted(i for i in table.index if i.startswith("capacity, "))
    order += sorted(i for i in table.index if i.startswith("new capacity, "))
    order += [i for i in table.index if i not in order]
    table = table.loc[[i for i in dict.fromkeys(order) if i in table.index]]
    table.index.name = "indicator"
    table.attrs["status"] = {
        run.name: str(run.kpis.get("status", run.results.attrs.get("status", ""))) for run in loaded
    }
    return table


def compare_figure(
    runs: Sequence[str | Path | xr.Dataset | Run],
    names: Sequence[str] | None = None,
    target: float = 0.15,
    figsize: tuple[float, float] = (14, 8),
) -> Any:
    """A 2x3 figure comparing runs: capacity mix, new build, reserve margins, cost, clean, CO2.

    A pathway is drawn as one run per period (:func:`period_runs`). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from energy_sim.analysis.labels import REGION_LATLON, colour, tech_order

    loaded = [one for run in load_plans(runs, names) for one in period_runs(run)]
    table = compare(loaded)
    labels = [r.name for r in loaded]
    fig, axes = plt.subplots(2, 3, figsize=figsize, constrained_layout=True)
    x = np.arange(len(loaded))
    for ax, which, title in (
        (axes[0, 0], "total", "Installed capacity (GW)"),
        (axes[0, 1], "new", "New capacity (GW)"),
    ):
        caps = pd.DataFrame({r.name: capacity_by_tech(r.results, which) for r in loaded}).fillna(
            0.0
        )
        bottom = np.zeros(len(loaded))
        for tech in tech_order(caps.index):
            if not caps.loc[tech].any():
                continue
            vals = caps.loc[tech, labels].to_numpy() / 1e3
            ax.bar(x, vals, bottom=bottom, color=colour(tech), label=tech)
            bottom += vals
        ax.set_xticks(x, labels, rotation=20, ha="right")
        ax.set_title(title)
    # the technology legend beside the figure, where it covers no bar
    handles, techs = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, techs, loc="outside right upper", fontsize="x-small", title="technology")
    ax = axes[0, 2]
    regions = [r for r in REGION_LATLON if f"reserve margin, {r} (%)" in table.index] + ["system"]
    width = 0.8 / max(len(loaded), 1)
    # a region with a large surplus (650% in a small region) would flatten the others, which
    # sit near the target: the axis stops at RESERVE_AXIS_CAP * target (at least 60%) and
    # taller bars are cut there and labelled with their value
    cap = max(RESERVE_AXIS_CAP * target * 100, 60.0)
    for i, name in enumerate(labels):
        vals = np.array(
            [
                table.loc[
                    "reserve margin, system (%)" if r == "system" else f"reserve margin, {r} (%)",
                    name,
                ]
                for r in regions
            ],
            dtype=float,
        )
        xs = np.arange(len(regions)) + (i - (len(loaded) - 1) / 2) * width
        ax.bar(xs, np.minimum(vals, cap), width=width, label=name)
        for xi, v in zip(xs, vals, strict=True):
            if v > cap:
                ax.annotate(
                    f"{v:,.0f}%", (xi, cap), ha="center", va="top", rotation=90,
                    fontsize="x-small", color="white", fontweight="bold",
                )  # fmt: skip
    ax.axhline(target * 100, color="black", ls="--", lw=1, label=f"target {target:.0%}")
    ax.set_ylim(top=cap)
    ax.set_xticks(np.arange(len(regions)), regions, rotation=30, ha="right")
    ax.set_title(f"Reserve margin (%, axis cut at {cap:.0f}%)")
    handles, names_ = ax.get_legend_handles_labels()
    fig.legend(
        handles, names_, loc="outside right lower", fontsize="x-small", title="reserve margin"
    )
    for ax, row in (
        (axes[1, 0], "cost per MWh of demand (USD/MWh)"),
        (axes[1, 1], "clean share (%)"),
        (axes[1, 2], "CO2 (Mt/yr)"),
    ):
        vals = table.loc[row, labels].to_numpy(dtype=float)
        ax.bar(x, vals, color=plt.get_cmap("tab10")(np.arange(len(loaded)) % 10))
        for xi, v in zip(x, vals, strict=True):
            ax.annotate(f"{v:,.1f}", (xi, v), ha="center", va="bottom", fontsize="small")
        ax.set_xticks(x, labels, rotation=20, ha="right")
        ax.set_title(row)
    return fig


def pathway_kpis(results: xr.Dataset) -> dict[str, Any]:
    """The KPIs of a pathway Results, as its ``kpis.json``: the single-year KPI dict of each
    period under ``periods``, keyed by year (:func:`energy_sim.planning.pathway.period_kpis`)."""
    from energy_sim.planning.pathway import period_kpis

    return period_kpis(results)


def load_plans(
    runs: Sequence[str | Path | xr.Dataset | Run], names: Sequence[str] | None = None
) -> list[Run]:
    """:func:`energy_sim.analysis.runs.load_runs`, also for a pathway dataset in memory (its
    KPIs are :func:`pathway_kpis`); a pathway run keeps its ``period`` dimension."""
    wrapped: list[str | Path | xr.Dataset | Run] = [
        Run(str(r.attrs.get("scenario") or "run"), r, pathway_kpis(r))
        if isinstance(r, xr.Dataset) and is_pathway(r)
        else r
        for r in runs
    ]
    return load_runs(wrapped, names)


#: Where an assessment summary or a dispatch Results may say which period of a pathway it
#: operated: its own key or attr, else its ``options`` or ``provenance``.
PERIOD_KEYS = ("period", "plan_period")


def _period_of(payload: Mapping[str, Any] | xr.Dataset) -> int | None:
    """The period an assessment summary or a dispatch Results was made for (None if unsaid)."""
    places: list[Mapping[str, Any]] = []
    if isinstance(payload, xr.Dataset):
        places.append(payload.attrs)
    else:
        places.append(payload)
        places += [
            payload[k] for k in ("options", "provenance") if isinstance(payload.get(k), Mapping)
        ]
    for place in places:
        for key in PERIOD_KEYS:
            if place.get(key) is not None:
                try:
                    return int(place[key])
                except (TypeError, ValueError):
                    continue
    return None


def period_run(run: Run, period: int | None = None) -> Run:
    """One period of a pathway run as a single-year :class:`Run` (default: the first period).

    Results: :func:`energy_sim.planning.pathway.select_period`; KPIs: the period's entry of the
    pathway's ``kpis.json`` (computed when missing); the System, when it has a ``period``
    dimension, that period of it. Assessments and a dispatch.nc are kept only when they say
    they were made for this period (:data:`PERIOD_KEYS` in the summary, its ``options`` or
    ``provenance``; the attrs of dispatch.nc): the others, and those that name no period, are
    left out with a line in :attr:`Run.warnings`. The name is ``"{name} {period}"``. A
    single-year run is returned as it is.

    Raises
    ------
    InputError
        ``period`` is not one of the pathway's periods.
    """
    from energy_sim.errors import InputError

    if not is_pathway(run.results):
        return run
    periods = periods_of(run.results)
    p = periods[0] if period is None else int(period)
    if p not in periods:
        raise InputError(
            "no such period in the pathway",
            field="period",
            value=p,
            allowed=", ".join(map(str, periods)),
        )
    results = select_period(run.results, p)
    by_period = run.kpis.get("periods")
    found = by_period.get(str(p)) if isinstance(by_period, Mapping) else None
    if isinstance(found, Mapping):
        kpis = dict(found)
    else:
        from energy_sim.planning.kpis import kpis as kpis_of

        kpis = kpis_of(results)
    kpis["status"] = str(run.kpis.get("status", kpis.get("status", "")))
    system = run.system
    if system is not None and "period" in system.dims:
        system = select_period(system, p) if p in periods_of(system) else None
    warnings = list(run.warnings)
    assessments = {}
    for name, summary in run.assessments.items():
        made_for = _period_of(summary)
        if made_for != p:
            warnings.append(
                f"{name} was made for the {made_for} period: left out of {p}"
                if made_for is not None
                else f"{name} names no period (energy-sim assess --period YEAR): left out of {p}"
            )
            continue
        assessments[name] = summary
    dispatch = run.dispatch
    if dispatch is not None and _period_of(dispatch) != p:
        made_for = _period_of(dispatch)
        warnings.append(
            f"dispatch.nc was made for the {made_for} period: left out of {p}"
            if made_for is not None
            else f"dispatch.nc names no period (energy-sim dispatch --period YEAR): left out of {p}"
        )
        dispatch = None
    return Run(
        name=f"{run.name} {p}",
        results=results,
        kpis=kpis,
        path=run.path,
        system=system,
        assessments=assessments,
        dispatch=dispatch,
        warnings=warnings,
    )


def period_runs(run: Run) -> list[Run]:
    """Every period of a pathway run as a single-year run (:func:`period_run`); a single-year
    run as the one-element list."""
    if not is_pathway(run.results):
        return [run]
    return [period_run(run, p) for p in periods_of(run.results)]


#: Columns of :func:`pathway_table`.
PATHWAY_COLUMNS = [
    "total cost (USD bn/yr)",
    "discounted years",
    "CO2 (Mt/yr)",
    "CO2 cap (Mt/yr)",
    "clean share (%)",
    "clean share min (%)",
    "unserved energy (GWh/yr)",
    "reserve margin, lowest region (%)",
    "lowest region",
    "reserve margin target (%)",
    "new capacity built (GW)",
    "capacity standing (GW)",
]


def pathway_table(run: Run | xr.Dataset) -> pd.DataFrame:
    """The periods of one pathway side by side, one row per period (:data:`PATHWAY_COLUMNS`).

    Cost: the period's undiscounted annual cost (``cost_usd``), with the discounted years it
    stands for (``discount_factor``); CO2 and its cap (NaN: none); the clean share (from the
    period's KPIs) and the minimum (``clean_share_min``); unserved energy; the lowest regional reserve margin,
    its region and the period's target (``reserve_margin_target``); the capacity built in the
    period (``capacity_built_mw`` plus ``storage_power_built_mw``) and all capacity standing.

    Raises
    ------
    ValueError
        ``run`` is not a pathway.
    """
    if isinstance(run, xr.Dataset):
        run = load_plans([run])[0]
    res = run.results
    if not is_pathway(res) or "period" not in res.dims:
        raise ValueError("not a pathway: no 'period' dimension")

    def per_period(name: str, default: float = float("nan")) -> np.ndarray:
        if name in res and res[name].dims == ("period",):
            return np.asarray(res[name].values, dtype=float)
        return np.full(res.sizes["period"], default)

    def summed(*names: str) -> np.ndarray:
        total = np.zeros(res.sizes["period"])
        for name in names:
            if name in res:
                dims = [d for d in res[name].dims if d != "period"]
                total += np.asarray(res[name].fillna(0.0).sum(dims).values, dtype=float)
        return total

    rows = []
    margins = res["reserve_margin_by_region"].transpose("period", "region")
    for i, p in enumerate(periods_of(res)):
        one = period_run(run, p)
        k = one.kpis
        by_region = margins.isel(period=i).to_series().astype(float).dropna()
        lowest = str(by_region.idxmin()) if len(by_region) else ""
        rows.append(
            {
                "clean share (%)": 100 * number(k.get("clean_share")),
                "reserve margin, lowest region (%)": 100 * by_region.min()
                if len(by_region)
                else np.nan,
                "lowest region": lowest,
            }
        )
    table = pd.DataFrame(rows, index=pd.Index(periods_of(res), name="period"))
    table["total cost (USD bn/yr)"] = summed("cost_usd") / 1e9
    table["discounted years"] = per_period("discount_factor")
    table["CO2 (Mt/yr)"] = summed("co2_t") / 1e6
    table["CO2 cap (Mt/yr)"] = per_period("co2_cap_t") / 1e6
    table["clean share min (%)"] = 100 * per_period("clean_share_min")
    table["unserved energy (GWh/yr)"] = summed("unserved_energy_mwh") / 1e3
    table["reserve margin target (%)"] = 100 * per_period(
        "reserve_margin_target", float(res.attrs.get("reserve_margin", 0.15))
    )
    table["new capacity built (GW)"] = summed("capacity_built_mw", "storage_power_built_mw") / 1e3
    table["capacity standing (GW)"] = summed("capacity_mw", "storage_power_mw") / 1e3
    return table[PATHWAY_COLUMNS]
