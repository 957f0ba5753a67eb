"""The ``energy-sim`` command line: thin wrappers over the public API.

Every command turns an :class:`~energy_sim.errors.InputError` into one line on stderr and exit
status 2 (see :func:`user_errors`). Commands live in this file, one function each.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from energy_sim.errors import EXIT_INPUT, InputError

app = typer.Typer(
    name="energy-sim",
    help="Energy-security scenario simulator for Vietnam's power system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Report a user's mistake as one line on stderr and exit with status 2."""
    try:
        yield
    except InputError as err:
        typer.echo(f"error: {err.render()}", err=True)
        raise typer.Exit(EXIT_INPUT) from None


def show_progress(quiet: bool) -> bool:
    """Progress bars only on a terminal and never with ``--quiet``."""
    return (not quiet) and sys.stderr.isatty()


#: Options shared by the commands that operate a plan (dispatch, assess, stress).
_PLAN = typer.Option("--plan", help="results.nc of a plan (default: the existing fleet).")
_OUT_BESIDE_PLAN = typer.Option("--out", help="Folder to write to (default: the plan's).")


@app.callback()
def _main() -> None:
    """Energy-security scenario simulator for Vietnam's power system."""


# --- validate: check a scenario and summarise its System (helper H1) ---------------------------


@app.command("validate")
def validate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
) -> None:
    """Check a scenario and its data, build the System and print a summary.

    Prints the regions (annual demand and peak), the national annual demand and coincident
    peak, existing capacity by technology with the national build ranges, the corridors and
    the LNG hubs. Example: energy-sim validate scenarios/pdp8_2030.yaml
    """
    with user_errors():
        from energy_sim.scenario import load_scenario
        from energy_sim.system import add_peaks, build_hourly_system, system_summary
        from energy_sim.timeseries import aggregate

        sc = load_scenario(scenario)
        hourly = build_hourly_system(sc)
        if sc.stress:
            from energy_sim.stress import apply_stresses

            hourly = apply_stresses(hourly, sc.stress)
        hourly = add_peaks(hourly)
        steps = aggregate(hourly, sc.resolution).sizes["time"]
        _print_summary(sc, system_summary(hourly), hourly, steps)


# --- run: plan a scenario with the LP (helper H4) -----------------------------------------------


@app.command("run")
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Plan a scenario: capacity-expansion LP (Pyomo + HiGHS), KPIs, results.nc and kpis.json.

    Exit status 0 on an optimal plan without unserved energy or reserve shortfall; 1 if the
    solver did not reach an optimum (time limit, infeasible, invariant violated) or if load is
    shed or the reserve margin is short (unless --accept-shortfall); 2 on bad input.
    Example: energy-sim run scenarios/pdp8_2030.yaml --resolution 12d --out runs/pdp8_12d
    """
    with user_errors():
        from energy_sim.results import kpis as compute_kpis
        from energy_sim.results import shortfall_report, write_results
        from energy_sim.scenario import load_scenario
        from energy_sim.solve import plan
        from energy_sim.system import build_system

        overrides = {"resolution": resolution} if resolution else None
        sc = load_scenario(scenario, overrides=overrides)
        progress = show_progress(quiet)
        if progress:
            typer.echo(f"building the {sc.name} System ({sc.resolution}) ...", err=True)
        system = build_system(sc)
        if progress:
            typer.echo(f"planning {system.sizes['time']} steps with HiGHS ...", err=True)
        results = plan(system, export_lp=export_lp, progress=progress)
        k = compute_kpis(results)
        target = out if out is not None else Path("runs") / sc.name
        nc, js = write_results(results, target, k)
        if not quiet:
            _print_kpis(k, results)
            typer.echo(f"wrote {nc}\nwrote {js}")
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
        ("unserved energy", f"{k['unserved_energy_mwh']:,.1f} MWh"),
        ("clean share", f"{k['clean_share']:.1%}"),
        ("CO2", f"{k['co2_t'] / 1e6:,.1f} Mt"),
        ("corridor loss rate", f"{k['loss_rate']:.2%}"),
        ("LNG days of cover (min hub)", f"{k['lng_days_of_cover']:.1f} d"),
        ("build / hand-off / solve", f"{k['build_s']:.1f} / {k['handoff_s']:.1f} / {k['solve_s']:.1f} s"),
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
    """Rich tables of :func:`energy_sim.system.system_summary` on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 110)

    def show(title: str, frame: Any, formats: dict[str, str]) -> None:
        table = Table(title=title, title_justify="left")
        table.add_column(frame.index.name or "")
        for col in frame.columns:
            table.add_column(col, justify="right")
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


# --- analysts' views: compare and report (helper H7) -----------------------------------------


def _atomic_target(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then rename to ``path`` (nothing half-written on failure)."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("compare")
def compare_cmd(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by `energy-sim run`.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write the comparison figure here (.png, .svg or .pdf)."
        ),
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the table as CSV here.")] = None,
    names: Annotated[
        str | None,
        typer.Option("--names", help="Comma-separated column names (default: the folder names)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Compare KPIs and capacities of several runs side by side and print the table.

    Example: energy-sim compare runs/pdp8_2030 runs/pdp8_2030_high -o compare.png --csv compare.csv
    """
    with user_errors():
        from energy_sim.compare import compare, compare_figure, load_runs

        if output is not None and output.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise InputError(
                "unsupported figure format",
                field="--output",
                value=str(output),
                allowed="a file ending in .png, .svg or .pdf",
            )
        labels = [n.strip() for n in names.split(",")] if names else None
        with _steps(show_progress(quiet), 2 + (output is not None)) as step:
            step("reading runs")
            loaded = load_runs(runs, labels)
            step("comparing")
            table = compare(loaded)
            if output is not None:
                step("drawing figure")
                import matplotlib

                matplotlib.use("Agg")
                fig = compare_figure(loaded)
                _atomic_target(output, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight"))
        if csv is not None:
            _atomic_target(csv, lambda tmp: table.to_csv(tmp))
        typer.echo(_format_table(table))
        status = table.attrs.get("status", {})
        bad = {k: v for k, v in status.items() if v != "optimal"}
        if bad:
            typer.echo(
                "warning: not optimal: " + ", ".join(f"{k} ({v})" for k, v in bad.items()), err=True
            )
        if output is not None:
            typer.echo(f"figure: {output}")
        if csv is not None:
            typer.echo(f"table: {csv}")


@app.command("report")
def report_cmd(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by `energy-sim run`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")] = Path(
        "dashboard.html"
    ),
    names: Annotated[
        str | None,
        typer.Option("--names", help="Comma-separated scenario names (default: the folder names)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Write the Resolution 70 dashboard: one self-contained HTML file, each indicator vs target.

    Example: energy-sim report runs/pdp8_2030 runs/pdp8_2030_high -o dashboard.html
    """
    with user_errors():
        from energy_sim.compare import load_runs
        from energy_sim.report import indicators, write_report

        if output.suffix.lower() not in (".html", ".htm"):
            raise InputError(
                "the dashboard is an HTML file",
                field="--output",
                value=str(output),
                allowed="a file ending in .html",
            )
        labels = [n.strip() for n in names.split(",")] if names else None
        with _steps(show_progress(quiet), 2 + len(runs) + (len(runs) > 1)) as step:
            step("reading runs")
            loaded = load_runs(runs, labels)
            write_report(loaded, output, progress=step)
            step("written")
        for run in loaded:
            counts: dict[str, int] = {}
            for ind in indicators(run):
                counts[ind.status] = counts.get(ind.status, 0) + 1
            summary = ", ".join(
                f"{counts.get(s, 0)} {s.upper()}" for s in ("ok", "warning", "breach", "n/a")
            )
            typer.echo(f"{run.name}: {summary}")
        typer.echo(f"dashboard: {output}")


def _format_table(table: Any) -> str:
    """The comparison table as aligned text (thousands separators, 2-3 significant decimals)."""

    def fmt(x: float) -> str:
        if x != x:  # NaN
            return "—"
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.3g}"

    return table.to_string(float_format=fmt, na_rep="—")


@contextmanager
def _steps(enabled: bool, total: int) -> Iterator[Any]:
    """A rich progress bar on a terminal; ``step(text)`` advances it. A no-op otherwise."""
    if not enabled:
        yield lambda _text: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=total)

        def step(text: str) -> None:
            bar.update(task, advance=1, description=text)

        yield step


# --- dispatch: operate a plan over the full hourly year with the numpy core (helper H5) -------


@app.command("dispatch")
def dispatch_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    plan: Annotated[Path | None, _PLAN] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=1, help="Monte Carlo samples (1: the System as is).")
    ] = 1,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for dispatch.nc.")] = Path("."),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Operate a plan hour by hour over the full year with the numpy dispatch core.

    Writes DIR/dispatch.nc and prints the annual summary: operating cost, unserved energy,
    generation by technology and corridor utilisation (means over samples). With --samples N
    the forced outages, weather and hydro years are drawn as in `energy-sim assess`.
    Example: energy-sim dispatch scenarios/pdp8_2030.yaml --plan runs/pdp8_2030/results.nc
    """
    with user_errors():
        from energy_sim.dispatch import dispatch
        from energy_sim.dispatch.summary import print_summary, write_dispatch
        from energy_sim.scenario import load_scenario
        from energy_sim.system import build_system

        sc = load_scenario(scenario)
        the_plan = None
        if plan is not None:
            from energy_sim.adequacy import load_plan

            the_plan = load_plan(plan)
        system = build_system(sc, resolution="full")
        draws: dict = {}
        if samples > 1:
            from energy_sim.adequacy import plan_capacities, sample_chunk

            caps = plan_capacities(system, the_plan)["capacity_mw"]
            s = sc.seed if seed is None else seed
            d = sample_chunk(system, caps, 0, samples, s)
            draws = {k: d[k] for k in ("availability", "demand", "hydro_cf_month")}
        res = dispatch(
            system,
            the_plan,
            samples=samples,
            seed=seed if seed is not None else sc.seed,
            keep_hourly=samples <= 10,
            progress=show_progress(quiet),
            **draws,
        )
        path = write_dispatch(res, out)
        print_summary(res)
        typer.echo(f"wrote {path}")


# --- assess, stress, sweep: Monte Carlo adequacy and Resolution 70 stress tests (helper H6) ----


def _adequacy_run(
    scenario: Path,
    plan: Path | None,
    tests: list[str],
    samples: int,
    seed: int | None,
    max_samples: int | None,
    rel_tol: float,
    chunk_size: int,
    lole_standard: float,
    quiet: bool,
) -> Any:
    """Load, stress, build the hourly System, assess the plan; returns the assessment."""
    from energy_sim.adequacy import assess, load_plan
    from energy_sim.scenario import load_scenario
    from energy_sim.stress import parse_stress_option, validate_stress
    from energy_sim.system import build_system

    extra = [parse_stress_option(t) for t in tests]
    sc = load_scenario(scenario)
    base = len(sc.stress)
    the_plan = load_plan(plan) if plan is not None else None
    try:
        sc.stress = validate_stress([*sc.stress, *extra])
        system = build_system(sc, resolution="full")
    except InputError as err:  # a --test's mistake names the option, not stress[i]
        field = err.field or ""
        if field.startswith("stress[") and int(field[7 : field.index("]")]) >= base:
            i = int(field[7 : field.index("]")]) - base
            field = f"--test {extra[i]['test']}" + field[field.index("]") + 1 :]
            raise InputError(
                err.message, field=field, value=err.value, allowed=err.allowed
            ) from None
        raise
    return assess(
        system,
        the_plan,
        samples=samples,
        seed=sc.seed if seed is None else seed,
        chunk_size=chunk_size,
        rel_tol=rel_tol,
        max_samples=max_samples,
        progress=show_progress(quiet),
        lole_standard_h=lole_standard,
    )


def _print_assessment(ds: Any, paths: list[Path]) -> None:
    """Adequacy by region and the Resolution 70 verdicts as rich tables."""
    from rich.console import Console
    from rich.table import Table

    from energy_sim.adequacy import assessment_summary

    console = Console(width=None if sys.stdout.isatty() else 110)
    summary = assessment_summary(ds)
    conv = summary["convergence"]
    rel = conv["eue_relative_se"]
    console.print(
        f"[bold]{summary['scenario']}[/bold] ({summary['name']}): {summary['n_samples']} sample "
        f"years, seed {summary['seed']}, relative SE of EUE "
        f"{'n/a (no unserved energy)' if rel is None else f'{rel:.3f}'}"
        f" ({'converged' if conv['converged'] else 'not converged'} at {conv['rel_tol']})"
    )
    table = Table(title="Adequacy", title_justify="left")
    for col in ("region", "LOLE h/yr", "± se", "EUE MWh/yr", "± se", "EUE ppm"):
        table.add_column(col, justify="left" if col == "region" else "right")
    rows = [("system", summary)] + list(summary["by_region"].items())

    def cell(x: Any, fmt: str) -> str:
        return "—" if x is None else format(x, fmt)

    for name, row in rows:
        table.add_row(
            name,
            cell(row["lole_h"], ".2f"),
            cell(row.get("lole_h_se"), ".2f"),
            cell(row["eue_mwh"], ",.0f"),
            cell(row.get("eue_mwh_se"), ",.0f"),
            cell(row["eue_ppm"], ".1f"),
        )
    console.print(table)
    verdicts = Table(title="Resolution 70 indicators", title_justify="left")
    for col in ("indicator", "value", "standard", "verdict"):
        verdicts.add_column(col)
    v = summary["verdict"]
    mark = {True: "[green]PASS[/green]", False: "[red]FAIL[/red]"}
    verdicts.add_row(
        "reserve margin",
        f"{v['reserve_margin']['value']:.1%}",
        f">= {v['reserve_margin']['target']:.0%}",
        mark[v["reserve_margin"]["pass"]],
    )
    verdicts.add_row(
        "LOLE",
        f"{v['lole']['value_h']:.2f} h/yr",
        f"<= {v['lole']['standard_h']:g} h/yr (assumed)",
        mark[v["lole"]["pass"]],
    )
    verdicts.add_row(
        "EUE",
        f"{v['eue_ppm']['value']:.1f} ppm",
        f"<= {v['eue_ppm']['standard']:g} ppm (assumed)",
        mark[v["eue_ppm"]["pass"]],
    )
    for hub, h in v.get("lng_days_of_cover", {}).get("hubs", {}).items():
        days = f"{h['days']:.1f} d" if h["days"] is not None else "no LNG plant"
        verdicts.add_row(f"LNG cover {hub}", days, f">= {h['reserve_days']:g} d", mark[h["pass"]])
    console.print(verdicts)
    if summary["regions_shedding"]:
        month = max(summary["when"]["lole_by_month_h"].items(), key=lambda kv: kv[1])
        hour = max(summary["when"]["lole_by_hour_h"].items(), key=lambda kv: kv[1])
        console.print(
            f"Load is lost in: {', '.join(summary['regions_shedding'])}; most in month "
            f"{month[0]} and at hour {hour[0]}:00."
        )
    for path in paths:
        console.print(f"wrote {path}")


_SAMPLES = typer.Option("--samples", min=1, help="Sample years (at least; see --max-samples).")
_SEED = typer.Option("--seed", help="Seed (default: the scenario's seed).")
_MAX = typer.Option("--max-samples", min=1, help="Go on until the EUE converges, up to this.")
_TOL = typer.Option("--rel-tol", min=0.0, help="Convergence: relative standard error of EUE.")
_CHUNK = typer.Option("--chunk-size", min=1, help="Samples per dispatch call.")
_LOLE = typer.Option("--lole-standard", min=0.0, help="LOLE standard in h/yr (an assumption).")
_QUIET = typer.Option("--quiet", "-q", help="No progress display.")


@app.command("assess")
def assess_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    plan: Annotated[Path | None, _PLAN] = None,
    samples: Annotated[int, _SAMPLES] = 1000,
    seed: Annotated[int | None, _SEED] = None,
    max_samples: Annotated[int | None, _MAX] = None,
    rel_tol: Annotated[float, _TOL] = 0.05,
    chunk_size: Annotated[int, _CHUNK] = 100,
    lole_standard: Annotated[float, _LOLE] = 3.0,
    out: Annotated[Path | None, _OUT_BESIDE_PLAN] = None,
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """Monte Carlo adequacy of a plan: LOLE, EUE, LOLP and the Resolution 70 verdicts.

    Samples forced outages, weather, hydro and demand years, operates each year with the
    dispatch core, and writes DIR/assessment.nc and DIR/assessment.json.
    Example: energy-sim assess scenarios/pdp8_2030.yaml --plan runs/pdp8_2030/results.nc --samples 1000
    """
    with user_errors():
        from energy_sim.adequacy import write_assessment

        ds = _adequacy_run(
            scenario, plan, [], samples, seed, max_samples, rel_tol, chunk_size, lole_standard,
            quiet,
        )  # fmt: skip
        target = out or (plan.parent if plan is not None else Path("."))
        _print_assessment(ds, write_assessment(ds, target, "assessment"))


@app.command("stress")
def stress_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    plan: Annotated[Path | None, _PLAN] = None,
    test: Annotated[
        list[str] | None,
        typer.Option(
            "--test",
            help="NAME:key=value,... e.g. lng_disruption:days=30,start=2030-06-01,hubs=south "
            "(repeatable; added after the scenario's own stress list; see docs/stress.md).",
        ),
    ] = None,
    samples: Annotated[int, _SAMPLES] = 200,
    seed: Annotated[int | None, _SEED] = None,
    max_samples: Annotated[int | None, _MAX] = None,
    rel_tol: Annotated[float, _TOL] = 0.05,
    chunk_size: Annotated[int, _CHUNK] = 100,
    lole_standard: Annotated[float, _LOLE] = 3.0,
    out: Annotated[Path | None, _OUT_BESIDE_PLAN] = None,
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """Assess a plan under stress tests (LNG cut-off, drought, heatwave, N-1, import cut, coal).

    Tests: lng_disruption, drought, heatwave, corridor_outage, import_cut, coal_shortfall.
    Writes DIR/stress_<tests>.nc and .json.
    Example: energy-sim stress scenarios/pdp8_2030.yaml --plan runs/pdp8_2030/results.nc
    --test lng_disruption:days=30,start=2030-06-01,hubs=south --test drought:preset=2023_north
    """
    with user_errors():
        import re

        from energy_sim.adequacy import write_assessment

        ds = _adequacy_run(
            scenario, plan, test or [], samples, seed, max_samples, rel_tol, chunk_size,
            lole_standard, quiet,
        )  # fmt: skip
        import json as _json

        tests = [s["test"] for s in _json.loads(ds.attrs.get("stress", "[]"))]
        if not tests:
            raise InputError(
                "no stress test: the scenario has none and no --test was given",
                field="--test",
                allowed="e.g. --test heatwave:increase=0.1 (see docs/stress.md)",
            )
        stem = re.sub(r"[^A-Za-z0-9_+]", "_", "stress_" + "+".join(tests))
        target = out or (plan.parent if plan is not None else Path("."))
        _print_assessment(ds, write_assessment(ds, target, stem))


@app.command("sweep")
def sweep_cmd(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan",
            help="results.nc to assess under every scenario, or 'existing' (the existing "
            "fleet); default: plan each scenario with the LP first.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Local Dask worker processes.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler.")
    ] = None,
    serial: Annotated[bool, typer.Option("--serial", help="Run in this process, no Dask.")] = False,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Sample years each.")] = 200,
    seed: Annotated[int | None, _SEED] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Samples per task.")] = 50,
    out: Annotated[Path, typer.Option("--out", help="Folder for sweep.nc and sweep.json.")] = Path(
        "."
    ),
    quiet: Annotated[bool, _QUIET] = False,
) -> None:
    """Run many scenarios in parallel on Dask (a local cluster, or --scheduler) and tabulate.

    Each scenario: plan (LP) or the given plan, then Monte Carlo adequacy. A failed scenario is
    reported with its error and the others complete (exit status 1 if any failed).
    Example: energy-sim sweep scenarios/stress_*.yaml --plan runs/pdp8_2030/results.nc --workers 2
    """
    with user_errors():
        import json as _json

        from rich.console import Console
        from rich.table import Table

        from energy_sim.adequacy.io import atomic_write
        from energy_sim.sweep import sweep, sweep_table

        the_plan: Any = plan
        if plan is not None and plan != "existing":
            the_plan = Path(plan)
            if not the_plan.is_file():
                raise InputError(
                    "plan file not found",
                    field="--plan",
                    value=plan,
                    allowed="a results.nc file or 'existing'",
                )
        ds = sweep(
            scenarios, plan=the_plan, workers=workers, scheduler=scheduler, serial=serial,
            samples=samples, seed=seed, chunk_size=chunk_size, progress=show_progress(quiet),
        )  # fmt: skip
        rows = sweep_table(ds)
        out.mkdir(parents=True, exist_ok=True)
        nc, js = out / "sweep.nc", out / "sweep.json"
        disk = ds.copy()
        for var in ("status", "error"):
            disk[var] = disk[var].astype(str)
        atomic_write(nc, lambda p: disk.to_netcdf(p, engine="h5netcdf"))
        payload = {"rows": rows, "summaries": _json.loads(ds.attrs["summaries"])}
        text = _json.dumps(payload, indent=2, default=float)
        atomic_write(js, lambda p: p.write_text(text + "\n"))
        console = Console(width=None if sys.stdout.isatty() else 120)
        table = Table(title=f"Sweep ({ds.attrs['mode']}, {samples} sample years each)")
        for col in ("scenario", "status", "LOLE h/yr", "± se", "EUE MWh/yr", "EUE ppm", "margin"):
            table.add_column(col, justify="left" if col in ("scenario", "status") else "right")
        for r in rows:
            if r["status"] == "ok":
                se = "—" if r["lole_h_se"] != r["lole_h_se"] else f"{r['lole_h_se']:.2f}"
                table.add_row(
                    r["scenario"], "ok", f"{r['lole_h']:.2f}", se,
                    f"{r['eue_mwh']:,.0f}", f"{r['eue_ppm']:.1f}", f"{r['reserve_margin']:.1%}",
                )  # fmt: skip
            else:
                table.add_row(r["scenario"], "[red]failed[/red]", "", "", "", "", "")
        console.print(table)
        failed = [r for r in rows if r["status"] != "ok"]
        for r in failed:
            typer.echo(f"failed: {r['scenario']}: {r['error']}", err=True)
        console.print(f"wrote {nc}\nwrote {js}")
        if failed:
            raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
