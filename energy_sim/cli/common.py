"""What every ``energy-sim`` command shares: user errors -> exit 2, progress only on a terminal,
and the options declared once for several commands (:func:`assess_options`)."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from energy_sim.errors import EXIT_INPUT, InputError

__all__ = [
    "OUT_BESIDE_PLAN",
    "PLAN",
    "QUIET",
    "SEED",
    "AssessArgs",
    "assess_options",
    "show_progress",
    "steps",
    "user_errors",
]


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


@contextmanager
def steps(enabled: bool, total: int) -> Iterator[Any]:
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


#: Options shared by the commands that operate a plan (dispatch, assess, stress).
PLAN = typer.Option("--plan", help="results.nc of a plan (default: the existing fleet).")
OUT_BESIDE_PLAN = typer.Option("--out", help="Folder to write to (default: the plan's).")
#: Options shared by most commands.
SEED = typer.Option("--seed", help="Seed (default: the scenario's seed).")
QUIET = typer.Option("--quiet", "-q", help="No progress display.")


@dataclass(frozen=True)
class AssessArgs:
    """The Monte Carlo options of ``assess`` and ``stress``, as :func:`assess_options` adds them
    (in this order, after the command's own parameters)."""

    samples: Annotated[
        int, typer.Option("--samples", min=1, help="Sample years (at least; see --max-samples).")
    ]
    seed: Annotated[int | None, SEED] = None
    max_samples: Annotated[
        int | None,
        typer.Option("--max-samples", min=1, help="Go on until the EUE converges, up to this."),
    ] = None
    rel_tol: Annotated[
        float,
        typer.Option("--rel-tol", min=0.0, help="Convergence: relative standard error of EUE."),
    ] = 0.05
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Samples per dispatch call.")
    ] = 100
    lole_standard: Annotated[
        float,
        typer.Option("--lole-standard", min=0.0, help="LOLE standard in h/yr (an assumption)."),
    ] = 3.0
    out: Annotated[Path | None, OUT_BESIDE_PLAN] = None
    quiet: Annotated[bool, QUIET] = False


def assess_options(samples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the options of :class:`AssessArgs`, ``--samples`` defaulting to ``samples``.

    The command declares its own parameters and one more, ``args: AssessArgs``; the options
    appear after its own in ``--help`` and reach it together as ``args``. Typer reads the
    parameters from the returned function's signature.
    """
    hints = inspect.get_annotations(AssessArgs, eval_str=True)
    shared = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=samples if f.name == "samples" else f.default,
            annotation=hints[f.name],
        )
        for f in fields(AssessArgs)
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True).parameters
        params = [p for name, p in own.items() if name != "args"] + shared

        @functools.wraps(command)
        def with_args(**kwargs: Any) -> None:
            args = AssessArgs(**{p.name: kwargs.pop(p.name) for p in shared})
            command(**kwargs, args=args)

        with_args.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        with_args.__annotations__ = {p.name: p.annotation for p in params}
        return with_args

    return decorate
