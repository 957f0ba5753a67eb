"""Analysts' views over many runs: ``compare`` (side by side), ``report`` (the HTML dashboard)
and ``sweep`` (many scenarios, serial or on Dask, tabulated)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from energy_sim.cli.common import (
    QUIET,
    SEED,
    show_progress,
    steps,
    user_errors,
)
from energy_sim.errors import InputError


def _names_option(what: str) -> Any:
    """``--names``: labels of the runs, parsed by :func:`_labels`."""
    return typer.Option(
        "--names", help=f"Comma-separated {what} names (default: the folder names)."
    )


def compare_cmd(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by `energy-sim run`.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write the comparison figure here (.png, .svg or .pdf)."
        ),
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the table as CSV here.")] = None,
    names: Annotated[str | None, _names_option("column")] = None,
    quiet: Annotated[bool, QUIET] = False,
) -> None:
    """Compare KPIs and capacities of several runs side by side and print the table.

    Example: energy-sim compare runs/pdp8_2030 runs/pdp8_2030_high -o compare.png --csv compare.csv
    """
    with user_errors():
        from energy_sim.analysis.compare import compare, compare_figure
        from energy_sim.analysis.runs import load_runs
        from energy_sim.outputs import atomic_write, check_file, provenance

        if output is not None:
            _require_suffix(
                output, (".png", ".svg", ".pdf"), "unsupported figure format", ".png, .svg or .pdf"
            )
            check_file(output, "--output")
        if csv is not None:
            check_file(csv, "--csv")
        labels = _labels(names)
        prov = provenance()
        with steps(show_progress(quiet), 2 + (output is not None)) as step:
            step("reading runs")
            loaded = load_runs(runs, labels)
            step("comparing")
            table = compare(loaded)
            if output is not None:
                step("drawing figure")
                import matplotlib

                matplotlib.use("Agg")
                fig = compare_figure(loaded)
                fmt = output.suffix[1:].lower()
                atomic_write(
                    output,
                    lambda tmp: fig.savefig(
                        tmp, format=fmt, dpi=110, bbox_inches="tight",
                        metadata=_figure_metadata(fmt, prov, loaded),
                    ),
                )  # fmt: skip
        if csv is not None:
            head = "".join(f"# {k}: {v}\n" for k, v in _run_provenance(prov, loaded).items())
            atomic_write(csv, lambda tmp: tmp.write_text(head + table.to_csv()))
        _print_warnings(loaded)
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


def report_cmd(
    runs: Annotated[list[Path], typer.Argument(help="Run folders written by `energy-sim run`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")] = Path(
        "dashboard.html"
    ),
    names: Annotated[str | None, _names_option("scenario")] = None,
    quiet: Annotated[bool, QUIET] = False,
) -> None:
    """Write the Resolution 70 dashboard: one self-contained HTML file, each indicator vs target.

    Example: energy-sim report runs/pdp8_2030 runs/pdp8_2030_high -o dashboard.html
    """
    with user_errors():
        from energy_sim.analysis.indicators import indicators
        from energy_sim.analysis.report import write_report
        from energy_sim.analysis.runs import load_runs
        from energy_sim.outputs import check_file

        _require_suffix(output, (".html", ".htm"), "the dashboard is an HTML file", ".html")
        check_file(output, "--output")
        labels = _labels(names)
        with steps(show_progress(quiet), 2 + len(runs) + (len(runs) > 1)) as step:
            step("reading runs")
            loaded = load_runs(runs, labels)
            write_report(loaded, output, progress=step)
            step("written")
        _print_warnings(loaded)
        for run in loaded:
            counts: dict[str, int] = {}
            for ind in indicators(run):
                counts[ind.status] = counts.get(ind.status, 0) + 1
            summary = ", ".join(
                f"{counts.get(s, 0)} {s.upper()}" for s in ("ok", "warning", "breach", "n/a")
            )
            typer.echo(f"{run.name}: {summary}")
        typer.echo(f"dashboard: {output}")


def _run_provenance(prov: dict[str, Any], loaded: list[Any]) -> dict[str, Any]:
    """This command's provenance plus, per run, the folder and the plan's ``run_id``."""
    out = dict(prov)
    for run in loaded:
        out[f"run {run.name}"] = (
            f"{run.path or '(in memory)'} (plan {run.results.attrs.get('run_id', 'not recorded')})"
        )
    return out


def _figure_metadata(fmt: str, prov: dict[str, Any], loaded: list[Any]) -> dict[str, str]:
    """Provenance as the metadata each figure format accepts (PNG text chunks, SVG, PDF)."""
    import json

    text = json.dumps(_run_provenance(prov, loaded))
    creator = f"energy_sim {prov['energy_sim_version']}"
    if fmt == "pdf":
        return {"Creator": creator, "Subject": text}
    if fmt == "svg":
        return {"Creator": creator, "Description": text}
    return {"Software": creator, "Description": text}


def _print_warnings(loaded: list[Any]) -> None:
    """``warning:`` lines on stderr for what each run folder left out (another plan's files)."""
    for run in loaded:
        for line in run.warnings:
            typer.echo(f"warning: {run.name}: {line}", err=True)


def _require_suffix(path: Path, suffixes: tuple[str, ...], message: str, allowed: str) -> None:
    """Refuse an ``--output`` file whose ending is not one of ``suffixes`` (case-insensitive)."""
    if path.suffix.lower() not in suffixes:
        raise InputError(
            message, field="--output", value=str(path), allowed=f"a file ending in {allowed}"
        )


def _labels(names: str | None) -> list[str] | None:
    """``--names "a, b"`` -> ``["a", "b"]``; ``None`` without the option."""
    return [n.strip() for n in names.split(",")] if names else None


def _format_table(table: Any) -> str:
    """The comparison table as aligned text (thousands separators, 2-3 significant decimals)."""

    def fmt(x: float) -> str:
        if x != x:  # NaN
            return "—"
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:,.2f}" if abs(x) >= 1 else f"{x:.3g}"

    return table.to_string(float_format=fmt, na_rep="—")


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
    seed: Annotated[int | None, SEED] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Samples per task.")] = 50,
    out: Annotated[Path, typer.Option("--out", help="Folder for sweep.nc and sweep.json.")] = Path(
        "."
    ),
    quiet: Annotated[bool, QUIET] = False,
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

        from energy_sim.outputs import atomic_write
        from energy_sim.security.sweep import sweep, sweep_table

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
        _single_years(scenarios, the_plan)
        from energy_sim.operation.process import tune_process
        from energy_sim.outputs import check_folder, folder_lock, provenance

        tune_process()  # freed pages kept, idle threads asleep (no number changes)

        check_folder(out)
        with folder_lock(out):
            ds = sweep(
                scenarios, plan=the_plan, workers=workers, scheduler=scheduler, serial=serial,
                samples=samples, seed=seed, chunk_size=chunk_size, progress=show_progress(quiet),
            )  # fmt: skip
            prov = provenance(seed=seed, plan=None if plan in (None, "existing") else the_plan)
            rows = sweep_table(ds)
            nc, js = out / "sweep.nc", out / "sweep.json"
            disk = ds.copy()
            disk.attrs.update(prov)
            for var in ("status", "error"):
                disk[var] = disk[var].astype(str)
            atomic_write(nc, lambda p: disk.to_netcdf(p, engine="h5netcdf"))
            payload = {
                "rows": rows,
                "summaries": _json.loads(ds.attrs["summaries"]),
                "provenance": prov,
            }
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


def _single_years(scenarios: list[Path], plan: Any) -> None:
    """``sweep`` takes single-year scenarios and plans: a pathway (a scenario with ``periods``
    or a plan with a ``period`` dimension) is refused before any work, pointing at
    ``assess --period``. A scenario that does not load is left to the sweep, which reports it
    as a failed row."""
    from energy_sim.inputs.scenario import load_scenario

    for path in scenarios:
        try:
            sc = load_scenario(path)
        except InputError:  # a broken scenario is one failed row of the sweep, not a stop
            continue
        if sc.periods:
            raise InputError(
                "sweep takes single-year scenarios; this one is a pathway",
                file=path,
                field="periods",
                value=sc.periods,
                allowed="a scenario without periods (operate a pathway's period with "
                "`energy-sim assess ... --period YEAR`)",
            )
    if isinstance(plan, Path):
        import xarray as xr

        with xr.open_dataset(plan) as ds:
            periods = ds["period"].values.tolist() if "period" in ds.dims else None
        if periods:
            raise InputError(
                "sweep takes a single-year plan; this one is a pathway",
                file=plan,
                field="--plan",
                value=periods,
                allowed="a plan without periods (or `energy-sim assess ... --period YEAR`)",
            )
