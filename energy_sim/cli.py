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


@app.callback()
def _main() -> None:
    """Energy-security scenario simulator for Vietnam's power system."""


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

    return table.to_string(float_format=fmt)


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


if __name__ == "__main__":  # pragma: no cover
    app()
