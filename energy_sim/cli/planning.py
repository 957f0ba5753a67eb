"""``energy-sim validate`` (check a scenario, summarise its System) and ``energy-sim run`` (plan
it with the LP), with their rich tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from energy_sim.cli.common import (
    QUIET,
    SET,
    SolverProgress,
    load,
    show_progress,
    user_errors,
)


def validate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: Annotated[list[str] | None, SET] = None,
) -> None:
    """Check a scenario and its data, build the System and print a summary.

    Prints the regions (annual demand and peak), the national annual demand and coincident
    peak, existing capacity by technology with the national build ranges, the corridors and
    the LNG hubs. Example: energy-sim validate scenarios/pdp8_2030.yaml
    """
    with user_errors():
        from energy_sim.inputs.system import add_peaks, build_hourly_system
        from energy_sim.inputs.system_summary import system_summary
        from energy_sim.inputs.timeseries import aggregate

        sc = load(scenario, sets)
        if sc.periods:
            sc = _validate_periods(sc)
        hourly = build_hourly_system(sc)
        if sc.stress:
            from energy_sim.inputs.stress import apply_stresses

            hourly = apply_stresses(hourly, sc.stress)
        hourly = add_peaks(hourly)
        steps = aggregate(hourly, sc.resolution).sizes["time"]
        _print_summary(sc, system_summary(hourly), hourly, steps)


def _validate_periods(sc: Any) -> Any:
    """Build every period's hourly System (so a mistake in any year shows now) and print one
    line per period; returns the first period's scenario for the detailed summary."""
    from rich.console import Console
    from rich.table import Table

    from energy_sim.inputs.system import build_hourly_system
    from energy_sim.planning.pathway import period_scenario

    t = Table(title=f"{sc.name}: {len(sc.periods)} periods, {sc.foresight} foresight")
    for col in ("period", "demand TWh", "peak MW", "existing GW", "CO2 cap Mt", "new techs"):
        t.add_column(col, justify="right")
    for year in sc.periods:
        system = build_hourly_system(period_scenario(sc, year))
        own = sc.for_period(year)
        demand = float((system["demand_mw"].sum("region") * system["dt_h"]).sum()) / 1e6
        peak = float(system["demand_mw"].sum("region").max())
        cap = own.policies.co2_cap_t
        techs = own.investments.technologies
        t.add_row(
            str(year),
            f"{demand:,.1f}",
            f"{peak:,.0f}",
            f"{float(system['cap0_mw'].sum() + system['pcap0_mw'].sum()) / 1e3:,.1f}",
            "-" if cap is None else f"{cap / 1e6:,.1f}",
            "all" if techs is None else str(len(techs)),
        )
    Console(width=80).print(t)
    return period_scenario(sc, sc.periods[0])


def _print_pair(console, show, system) -> None:
    """The national energy, coincident peak and load factor next to the year's pair
    (:func:`energy_sim.inputs.system_summary.demand_vs_pair`), with a warning beyond the 1 % rule."""
    from energy_sim.inputs.system_summary import demand_vs_pair

    pair = demand_vs_pair(system)
    if pair.empty:
        return
    fmt = {"energy_twh": ",.1f", "coincident_peak_mw": ",.0f", "load_factor": ".4f"}
    cells = pair.apply(
        lambda r: [format(r["system"], fmt[r.name]), format(r["pair"], fmt[r.name]),
                   f"{r['diff_pct']:+.2f}", "WARNING" if r["warn"] else "ok"],
        axis=1, result_type="expand",
    )  # fmt: skip
    cells.columns = ["system", "pair", "diff_pct", "warn"]
    show(f"Demand vs the {pair.attrs['tag']} pair (energy, Pmax)", cells, {})
    for figure in pair.index[pair["warn"]]:
        console.print(
            f"[yellow]WARNING[/yellow]: {figure} is {pair.loc[figure, 'diff_pct']:+.2f}% from "
            f"the pair (more than {100 * pair.attrs['tolerance']:g}%)."
        )


# --- run: plan a scenario with the LP (helper H4) -----------------------------------------------


def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: runs/<scenario name>).")
    ] = None,
    resolution: Annotated[
        str | None,
        typer.Option("--resolution", help="Override the time resolution: full, Nh or Nd."),
    ] = None,
    export_lp: Annotated[
        Path | None, typer.Option("--export-lp", help="Also write the LP (.lp or .mps) here.")
    ] = None,
    accept_shortfall: Annotated[
        bool,
        typer.Option("--accept-shortfall", help="Exit 0 even if load is shed or reserve short."),
    ] = False,
    sets: Annotated[list[str] | None, SET] = None,
    quiet: Annotated[bool, QUIET] = False,
) -> None:
    """Plan a scenario: capacity-expansion LP (Pyomo + HiGHS), KPIs, results.nc and kpis.json.

    Writes DIR/results.nc (with the resolved scenario, version, seed and command), kpis.json
    and highs.log (the solver's log; a terminal shows one progress line). The output folder is
    checked before the work and locked while it runs. Exit status 0 on an optimal plan without
    unserved energy or reserve shortfall; 1 if the solver did not reach an optimum (time limit,
    infeasible, invariant violated) or if load is shed or the reserve margin is short (unless
    --accept-shortfall); 2 on bad input; 130 on Ctrl-C (nothing written).
    Example: energy-sim run scenarios/pdp8_2030.yaml --resolution 12d --out runs/pdp8_12d
    """
    with user_errors():
        from energy_sim.inputs.system import build_system
        from energy_sim.outputs import (
            atomic_write,
            check_file,
            check_folder,
            folder_lock,
            new_run_id,
            provenance,
        )
        from energy_sim.planning.kpis import kpis as compute_kpis
        from energy_sim.planning.kpis import shortfall_report
        from energy_sim.planning.pathway import period_kpis, select_period
        from energy_sim.planning.results import write_results
        from energy_sim.planning.solve import plan

        sc = load(scenario, sets, resolution=resolution)
        target = check_folder(out if out is not None else Path("runs") / sc.name)
        if export_lp is not None:
            check_file(export_lp, "--export-lp")
        progress = show_progress(quiet)
        with folder_lock(target):
            if progress:
                typer.echo(f"building the {sc.name} System ({sc.resolution}) ...", err=True)
            if sc.periods:
                results, log = _plan_pathway(sc, progress, export_lp)
            else:
                system = build_system(sc)
                if progress:
                    typer.echo(f"planning {system.sizes['time']} steps with HiGHS ...", err=True)
                with SolverProgress(progress) as log:
                    results = plan(system, export_lp=export_lp, log=log)
            results.attrs.update(provenance(scenario=sc, seed=sc.seed), run_id=new_run_id())
            if sc.periods:
                k = period_kpis(results)
            else:
                k = compute_kpis(results)
            nc, js = write_results(results, target, k)
            head = "".join(
                f"# {key}: {results.attrs[key]}\n"
                for key in ("run_id", "scenario_name", "command", "energy_sim_version")
            )
            log_path = atomic_write(target / "highs.log", lambda p: p.write_text(head + log.text()))
            stale = _earlier_plans_files(target, results.attrs["run_id"])
        if not quiet:
            if sc.periods:
                _print_pathway(k, results)
            else:
                _print_kpis(k, results)
            typer.echo(f"wrote {nc}\nwrote {js}\nwrote {log_path}")
        for line in stale:
            typer.echo(f"warning: {target}: {line} (compare and report leave it out)", err=True)
        status = results.attrs["status"]
        if status != "optimal":
            detail = results.attrs.get("invariant_errors", "")
            typer.echo(
                f"error: the plan is not optimal (status {status})"
                + (f": {detail}" if detail else "")
                + "; its results are marked as such and must not be used as a plan",
                err=True,
            )
            raise typer.Exit(1)
        if sc.periods:
            lines = [
                f"{year}: {line}"
                for year in sc.periods
                for line in shortfall_report(select_period(results, year))
            ]
        else:
            lines = shortfall_report(results)
        if lines:
            for line in lines:
                typer.echo(f"warning: {line}", err=True)
            if not accept_shortfall:
                typer.echo(
                    "error: the plan sheds load or is short of reserve (see above); "
                    "pass --accept-shortfall to accept it",
                    err=True,
                )
                raise typer.Exit(1)


def _plan_pathway(sc: Any, progress: bool, export_lp: Path | None) -> tuple[Any, Any]:
    """Plan a scenario with periods (one LP, or one per period when myopic); the Results and
    the solver log."""
    from energy_sim.errors import InputError
    from energy_sim.planning.pathway import period_systems, plan_pathway

    if export_lp is not None:
        raise InputError(
            "--export-lp is for single-year plans",
            field="--export-lp",
            value=str(export_lp),
            allowed="a scenario without periods",
        )
    if progress:
        typer.echo(
            f"building the {sc.name} Systems of {len(sc.periods)} periods ({sc.resolution}) ...",
            err=True,
        )
    systems, frozen = period_systems(sc)
    if progress:
        steps = sum(s.sizes["time"] for s in systems.values())
        how = "one LP" if sc.foresight == "perfect" else "one LP per period"
        typer.echo(
            f"planning {steps} steps over {len(systems)} periods, {sc.foresight} foresight "
            f"({how}) with HiGHS ...",
            err=True,
        )
    with SolverProgress(progress) as log:
        results = plan_pathway(sc, systems=(systems, frozen), log=log)
    return results, log


def _print_pathway(k: dict[str, Any], results: Any) -> None:
    """Per-period KPI table of a pathway on stdout (rich)."""
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    t = Table(
        title=f"{k['scenario']}: pathway, {k['foresight']} foresight "
        f"({results.attrs.get('resolution', '')}), {k['status']}; discounted cost "
        f"{k['objective_usd'] / 1e9:,.1f} bn USD ({results.attrs['discount_rate']:.0%}, "
        f"to {results.attrs['base_year']})"
    )
    cols = ("period", "cost bn USD/yr", "CO2 Mt", "CO2 cap Mt", "clean", "margin min",
            "unserved MWh", "new GW")  # fmt: skip
    for col in cols:
        t.add_column(col, justify="right")
    for year, p in k["periods"].items():
        cap = float(results["co2_cap_t"].sel(period=int(year)))
        t.add_row(
            year,
            f"{p['total_cost_usd'] / 1e9:,.2f}",
            f"{p['co2_t'] / 1e6:,.1f}",
            "-" if np.isnan(cap) else f"{cap / 1e6:,.1f}",
            f"{p['clean_share']:.1%}",
            f"{min(p['reserve_margin_by_region'].values()):.1%}",
            f"{p['unserved_energy_mwh']:,.1f}",
            f"{sum(p['new_capacity_mw'].values()) / 1e3:,.1f}",
        )
    console.print(t)
    a = results.attrs
    console.print(
        f"build / hand-off / solve: {a['build_s']:.1f} / {a['handoff_s']:.1f} / "
        f"{a['solve_s']:.1f} s ({a['n_lps']} LP{'s' if a['n_lps'] > 1 else ''}, {a['solver']})"
    )


def _earlier_plans_files(folder: Path, run_id: str) -> list[str]:
    """Assessments and dispatch.nc in ``folder`` that belong to another plan than ``run_id``
    (a reused folder), one line each (:func:`energy_sim.analysis.runs.read_assessments`)."""
    import xarray as xr

    from energy_sim.analysis.runs import plan_id_of, read_assessments

    lines: list[str] = []
    read_assessments(folder, run_id, lines)
    dispatch = folder / "dispatch.nc"
    if dispatch.is_file():
        with xr.open_dataset(dispatch) as ds:
            if plan_id_of(ds) != run_id:
                lines.append("dispatch.nc was made for another plan")
    return lines


def _unserved(k: dict[str, Any], results: Any) -> str:
    """The unserved-energy KPI; an interior point's residue (every step below the noise
    tolerance of :func:`energy_sim.planning.kpis.noise_tolerance_mw`) is said to be such."""
    from energy_sim.planning.kpis import noise_tolerance_mw

    mwh = k["unserved_energy_mwh"]
    if mwh > 0 and "shed_mw" in results:
        tol = noise_tolerance_mw(results)
        if float(results["shed_mw"].max()) <= tol:
            return f"0 ({mwh:,.1f} MWh of solver residue, < {tol:.2g} MW per step)"
    return f"{mwh:,.1f} MWh"


def _print_kpis(k: dict[str, Any], results: Any) -> None:
    """The KPI table of a plan on stdout (rich)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    t = Table(title=f"{k['scenario']}: plan ({results.attrs.get('resolution', '')}), {k['status']}")
    t.add_column("indicator")
    t.add_column("value", justify="right")
    rows = [
        ("total cost", f"{k['total_cost_usd'] / 1e9:,.3f} bn USD/yr"),
        ("cost per MWh of demand", f"{k['cost_per_mwh_usd']:,.2f} USD/MWh"),
        ("annual demand", f"{k['annual_demand_mwh'] / 1e6:,.1f} TWh"),
        ("coincident peak", f"{k['peak_demand_mw']:,.0f} MW"),
        ("reserve margin", f"{k['reserve_margin']:.1%}"),
        ("reserve shortfall", f"{k['reserve_shortfall_mw']:,.1f} MW"),
        ("unserved energy", _unserved(k, results)),
        ("clean share", f"{k['clean_share']:.1%}"),
        ("CO2", f"{k['co2_t'] / 1e6:,.1f} Mt"),
        ("corridor loss rate", f"{k['loss_rate']:.2%}"),
        ("LNG days of cover (min hub)", f"{k['lng_days_of_cover']:.1f} d"),
        ("build / hand-off / solve", f"{k['build_s']:.1f} / {k['handoff_s']:.1f} / {k['solve_s']:.1f} s"),
        ("solver", str(results.attrs.get("solver", ""))),
    ]  # fmt: skip
    for name, val in rows:
        t.add_row(name, val)
    console.print(t)
    cap = Table(title="Capacity by technology (MW)")
    for col in ("technology", "new", "total"):
        cap.add_column(col, justify="left" if col == "technology" else "right")
    for tech, total in k["total_capacity_mw"].items():
        if total > 0:
            cap.add_row(tech, f"{k['new_capacity_mw'].get(tech, 0.0):,.0f}", f"{total:,.0f}")
    console.print(cap)
    reg = Table(title="Reserve margin by region (with corridor import credit)")
    reg.add_column("region")
    reg.add_column("margin", justify="right")
    for name, val in k["reserve_margin_by_region"].items():
        reg.add_row(name, f"{val:.1%}")
    console.print(reg)


def _print_summary(sc: Any, tables: dict[str, Any], system: Any, steps: int) -> None:
    """Rich tables of :func:`energy_sim.inputs.system_summary.system_summary` on stdout, within 80 columns
    when not on a terminal (else the terminal's width): headers wrap at their underscores."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 80)

    def show(title: str, frame: Any, formats: dict[str, str]) -> None:
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column(frame.index.name or "", overflow="fold")
        for col in frame.columns:
            table.add_column(str(col).replace("_", " "), justify="right", overflow="fold")
        for key, row in frame.iterrows():
            cells = []
            for col in frame.columns:
                v = row[col]
                cells.append(
                    v if isinstance(v, str) else format(float(v), formats.get(col, ",.0f"))
                )
            table.add_row(str(key), *cells)
        console.print(table)

    nat = tables["national"].iloc[0]
    console.print(
        f"[bold]{sc.name}[/bold]: year {sc.year}, demand case {sc.demand_case}, "
        f"fleet {sc.fleet}, resolution {sc.resolution} ({steps} LP steps), seed {sc.seed}"
    )
    show(
        "Regions",
        tables["regions"],
        {"demand_twh": ",.1f", "peak_gw": ",.2f", "existing_gw": ",.1f", "max_gw": ",.1f"},
    )
    console.print(
        f"National annual demand {nat['demand_twh']:,.1f} TWh, coincident peak "
        f"{nat['coincident_peak_gw']:,.2f} GW, load factor {nat['load_factor']:.3f}. "
        f"Demand basis: {nat['basis']} (generation at the plants' terminals plus imports, the "
        "basis of the revised-PDP8 energy and Pmax figures; see docs/data.md)."
    )
    _print_pair(console, show, system)
    show("Existing capacity by technology (MW) and national build range", tables["capacity"], {})
    show(
        "Corridors (MW each direction)",
        tables["corridors"],
        {"km": ",.0f", "efficiency": ".3f", "kv": ".0f"},
    )
    show(
        "LNG hubs",
        tables["hubs"],
        {
            "tank_gwh_th": ",.0f",
            "tank_max_gwh_th": ",.0f",
            "reserve_days": ".0f",
            "contract_twh_th": ",.1f",
        },
    )
    console.print(
        f"OK: {system.sizes['region']} regions, {system.sizes['gen']} generator groups, "
        f"{system.sizes['storage']} storage groups, {system.sizes['corridor']} corridors, "
        f"{system.sizes['hub']} LNG hubs."
    )
