"""Commands that operate a plan with the dispatch core: ``dispatch`` (one year, or a few
samples), ``assess`` (Monte Carlo adequacy) and ``stress`` (adequacy under stress tests)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from energy_sim.cli.common import (
    PERIOD,
    PLAN,
    QUIET,
    SET,
    AssessArgs,
    assess_options,
    default_out,
    for_period,
    load,
    show_progress,
    user_errors,
)
from energy_sim.errors import InputError

#: The ``--test`` names and keys shown by ``stress --help`` (a test checks them against
#: :data:`energy_sim.inputs.stress.REGISTRY`; the CLI does not import it to start quickly).
TEST_KEYS = (
    "lng_disruption (start, days, hubs); drought (preset, factor, regions, months, "
    "include_ror); heatwave (start, days, increase, regions); corridor_outage (corridor, "
    "circuits_lost); import_cut (start, days, source, factor); coal_shortfall (start, days, "
    "factor, regions)"
)


def _load_plan(plan: Path | None) -> Any:
    """The plan of ``--plan`` (its path recorded as ``source_file``), or ``None``."""
    if plan is None:
        return None
    from energy_sim.security.adequacy import load_plan

    the_plan = load_plan(plan)
    the_plan.attrs["source_file"] = str(plan.resolve())
    return the_plan


def dispatch_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    plan: Annotated[Path | None, PLAN] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=1, help="Monte Carlo samples (1: the System as is).")
    ] = 1,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed of the draws (default: the scenario's seed, which defaults to 1).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for dispatch.nc (default: the plan's folder; without --plan, "
            "runs/<scenario name>_existing_fleet).",
        ),
    ] = None,
    sets: Annotated[list[str] | None, SET] = None,
    quiet: Annotated[bool, QUIET] = False,
    period: Annotated[int | None, PERIOD] = None,
) -> None:
    """Operate a plan hour by hour over the full year with the numpy dispatch core.

    Writes DIR/dispatch.nc next to the plan and prints the annual summary: operating cost,
    unserved energy, generation by technology and corridor utilisation (means over samples).
    With --samples N the forced outages, weather and hydro years are drawn as in `energy-sim
    assess`. Cost on 2 cores: about 5 s per sample year (4 samples: 23 s wall with
    start-up); dispatch.nc keeps the hourly results up to 10 samples (11 MB per sample),
    annual figures only above.
    Example: energy-sim dispatch scenarios/pdp8_2030.yaml --plan runs/pdp8_2030/results.nc
    """
    with user_errors():
        from energy_sim.inputs.system import build_system
        from energy_sim.operation import dispatch
        from energy_sim.operation.process import tune_process
        from energy_sim.operation.summary import print_summary, write_dispatch
        from energy_sim.outputs import check_folder, folder_lock, provenance

        tune_process()  # freed pages kept, idle threads asleep (no number changes)
        sc = load(scenario, sets)
        sc, the_plan = for_period(sc, _load_plan(plan), period)
        target = check_folder(default_out(out, plan, sc.name))
        s = sc.seed if seed is None else seed
        with folder_lock(target):
            system = build_system(sc, resolution="full")
            draws: dict = {}
            if samples > 1:
                from energy_sim.security.adequacy import plan_capacities, sample_chunk

                caps = plan_capacities(system, the_plan)["capacity_mw"]
                d = sample_chunk(system, caps, 0, samples, s)
                draws = {k: d[k] for k in ("availability", "demand", "hydro_cf_month")}
            res = dispatch(
                system,
                the_plan,
                samples=samples,
                seed=s,
                keep_hourly=samples <= 10,
                progress=show_progress(quiet),
                **draws,
            )
            res.attrs.update(provenance(scenario=sc, seed=s, plan=the_plan))
            path = write_dispatch(res, target)
        print_summary(res)
        typer.echo(f"wrote {path}")


def _adequacy_run(
    scenario: Path,
    plan: Path | None,
    tests: list[str],
    args: AssessArgs,
    sets: list[str] | None,
    name_output: Any,
) -> tuple[Any, list[Path]]:
    """Load, stress, check the output place, assess the plan and write the assessment.

    ``name_output(stress_specs)`` gives the file stem, from the validated stress list; the
    output folder is checked before the Monte Carlo work and locked while it runs. Returns the assessment and the files.
    """
    from energy_sim.inputs.stress import validate_stress
    from energy_sim.inputs.system import build_system
    from energy_sim.operation.process import tune_process
    from energy_sim.outputs import check_folder, folder_lock, provenance
    from energy_sim.security.adequacy import assess, write_assessment
    from energy_sim.security.adequacy.run import chunk_threads
    from energy_sim.security.stress import parse_stress_option

    tune_process()  # freed pages kept, idle threads asleep (no number changes)
    extra = [parse_stress_option(t) for t in tests]
    sc = load(scenario, sets)
    base = len(sc.stress)
    sc, the_plan = for_period(sc, _load_plan(plan), args.period)
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
    stem = name_output(sc.stress)
    target = check_folder(default_out(args.out, plan, sc.name))
    seed = sc.seed if args.seed is None else args.seed
    threads, note = chunk_threads(args.threads)
    if note:  # one line here, not a Python warning
        typer.echo(f"note: {note}", err=True)
    with folder_lock(target):
        ds = assess(
            system,
            the_plan,
            samples=args.samples,
            seed=seed,
            chunk_size=args.chunk_size,
            threads=threads,
            rel_tol=args.rel_tol,
            max_samples=args.max_samples,
            progress=show_progress(args.quiet),
            lole_standard_h=args.lole_standard,
            screen=args.screen,
        )
        ds.attrs.update(provenance(scenario=sc, seed=seed, plan=the_plan))
        paths = write_assessment(ds, target, stem)
    return ds, paths


def _print_assessment(ds: Any, paths: list[Path]) -> None:
    """Adequacy by region and the Resolution 70 verdicts as rich tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from energy_sim.security.adequacy import assessment_summary

    console = Console(width=None if sys.stdout.isatty() else 110)
    summary = assessment_summary(ds)
    conv = summary["convergence"]
    rel = conv["eue_relative_se"]
    if conv["converged"]:
        verdict = f"converged at {conv['rel_tol']}"
    elif conv.get("min_samples") and summary["n_samples"] < conv["min_samples"]:
        verdict = f"not converged: fewer than {conv['min_samples']} samples"
    else:
        verdict = f"not converged at {conv['rel_tol']}"
    console.print(
        f"[bold]{summary['scenario']}[/bold] ({escape(summary['name'])}): "
        f"{summary['n_samples']} sample years, seed {summary['seed']}, relative SE of EUE "
        f"{'n/a (no unserved energy)' if rel is None else f'{rel:.3f}'} ({verdict})"
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


@assess_options(samples=1000)
def assess_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    plan: Annotated[Path | None, PLAN] = None,
    sets: Annotated[list[str] | None, SET] = None,
    *,
    args: AssessArgs,
) -> None:
    """Monte Carlo adequacy of a plan: LOLE, EUE, LOLP and the Resolution 70 verdicts.

    Samples forced outages, weather, hydro and demand years, operates each year with the
    dispatch core, and writes DIR/assessment.nc and DIR/assessment.json (each naming the plan,
    scenario, seed, command and version). Cost on 2 cores: 1,000 sample years of the 2030 plan
    in about 25 s, two chunks operated at once (--threads); years that shed take the full
    dispatch, a few seconds each. The files are about 1.3 MB whatever the sample count.
    Example: energy-sim assess scenarios/pdp8_2030.yaml --plan runs/pdp8_2030/results.nc --samples 100
    """
    with user_errors():
        ds, paths = _adequacy_run(scenario, plan, [], args, sets, lambda _specs: "assessment")
        _print_assessment(ds, paths)


@assess_options(samples=200)
def stress_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    plan: Annotated[Path | None, PLAN] = None,
    test: Annotated[
        list[str] | None,
        typer.Option(
            "--test",
            metavar="NAME:KEY=VALUE,...",
            help="NAME:key=value,... e.g. lng_disruption:days=30,start=2030-06-01,hubs=south "
            "(repeatable; added after the scenario's own stress list; see docs/stress.md). "
            f"Tests and their keys: {TEST_KEYS}.",
        ),
    ] = None,
    sets: Annotated[list[str] | None, SET] = None,
    *,
    args: AssessArgs,
) -> None:
    """Assess a plan under stress tests (LNG cut-off, drought, heatwave, N-1, import cut, coal).

    Writes DIR/stress_<tests and their parameters>.nc and .json, e.g.
    stress_lng_disruption_start-2030-06-01_hubs-south.json: runs with other parameters do not
    replace each other. Cost: as assess, longer when the stress makes years shed; with few
    samples, a --chunk-size of half of them lets two chunks run at once (--threads).
    Example: energy-sim stress scenarios/pdp8_2030.yaml --plan runs/pdp8_2030/results.nc
    --test lng_disruption:days=30,start=2030-06-01,hubs=south --test drought:preset=2023_north
    """
    with user_errors():
        from energy_sim.security.stress import output_stem

        def name(specs: list[dict[str, Any]]) -> str:
            if not specs:
                raise InputError(
                    "no stress test: the scenario has none and no --test was given",
                    field="--test",
                    allowed="e.g. --test heatwave:increase=0.1 (see docs/stress.md)",
                )
            return output_stem(specs)

        ds, paths = _adequacy_run(scenario, plan, test or [], args, sets, name)
        _print_assessment(ds, paths)
