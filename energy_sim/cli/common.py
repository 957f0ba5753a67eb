"""What every ``energy-sim`` command shares: user errors -> exit 2, progress only on a terminal,
and the options declared once for several commands (:func:`assess_options`)."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from energy_sim.errors import EXIT_INPUT, InputError

__all__ = [
    "EXIT_INTERRUPTED",
    "OUT_BESIDE_PLAN",
    "PLAN",
    "QUIET",
    "SEED",
    "SET",
    "AssessArgs",
    "SolverProgress",
    "assess_options",
    "default_out",
    "load",
    "parse_sets",
    "show_progress",
    "steps",
    "user_errors",
]


#: Exit status after Ctrl-C (128 + SIGINT), as a shell reports it.
EXIT_INTERRUPTED = 130


@contextmanager
def user_errors() -> Iterator[None]:
    """Report a user's mistake as one line on stderr and exit with status 2.

    Also one line, never a traceback, for a file that cannot be written or read (a permission
    or a full disk found only while writing, exit 2) and for Ctrl-C (exit 130; every result
    file is written atomically, so an interrupted command leaves none half-written).
    """
    try:
        yield
    except InputError as err:
        typer.echo(f"error: {err.render()}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        typer.echo(f"error: {where}{err.strerror or err}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    except KeyboardInterrupt as err:
        typer.echo("interrupted (Ctrl-C): stopped; files are written whole or not at all", err=True)
        if getattr(err, "still_running", False):  # HiGHS's thread: no normal interpreter exit
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        raise typer.Exit(EXIT_INTERRUPTED) from None


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
OUT_BESIDE_PLAN = typer.Option(
    "--out",
    help="Folder to write to (default: the plan's folder; without --plan, "
    "runs/<scenario name>_existing_fleet).",
)
#: Options shared by most commands.
SEED = typer.Option("--seed", help="Seed (default: the scenario's seed).")
QUIET = typer.Option("--quiet", "-q", help="No progress display.")
PERIOD = typer.Option(
    "--period",
    help="Period (year) of a pathway to operate: its System over the full hourly year with the "
    "capacities standing in it (needed for a pathway plan or a scenario with periods).",
)
SET = typer.Option(
    "--set",
    metavar="KEY=VALUE",
    help="Override a scenario field (repeatable): dotted keys reach into sections, values "
    "are read as YAML, e.g. --set resolution=24d --set policies.clean_share=0.5.",
)


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """``--set KEY=VALUE`` options -> the overrides of :func:`energy_sim.load_scenario`.

    Each value is read as YAML (``0.5`` a number, ``null`` none, ``[a, b]`` a list); the scenario
    schema then checks it as it checks the file.

    Raises
    ------
    InputError
        For an item without ``=`` or a key given twice.
    """
    import yaml

    out: dict[str, Any] = {}
    for item in items or []:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InputError(
                "an override must be KEY=VALUE",
                field="--set",
                value=item,
                allowed="e.g. --set resolution=24d or --set policies.clean_share=0.5",
            )
        if key in out:
            raise InputError("key given twice", field=f"--set {key}", value=item)
        try:
            out[key] = yaml.safe_load(text)
        except yaml.YAMLError:
            out[key] = text
        if not isinstance(out[key], str | int | float | bool | list | dict | type(None)):
            out[key] = text  # dates and the like stay text, as the scenario fields expect
    return out


def load(scenario: Path, sets: list[str] | None, **extra: Any) -> Any:
    """The scenario with the ``--set`` overrides (and ``extra`` ones) applied and validated."""
    from energy_sim.inputs.scenario import load_scenario

    overrides = {**parse_sets(sets), **{k: v for k, v in extra.items() if v is not None}}
    return load_scenario(scenario, overrides=overrides or None)


def default_out(out: Path | None, plan: Path | None, scenario_name: str) -> Path:
    """Where dispatch, assess and stress write: ``--out``, else the plan's folder, else
    ``runs/<scenario name>_existing_fleet`` (never the current folder)."""
    if out is not None:
        return out
    if plan is not None:
        return plan.parent
    return Path("runs") / f"{scenario_name}_existing_fleet"


class SolverProgress:
    """Collects HiGHS's log and, on a terminal, shows one progress line instead of it.

    Pass the instance as ``log=`` to :func:`energy_sim.planning.solve.plan`; :meth:`text` is the whole
    log (written to ``highs.log`` in the run folder). The line shows a spinner, HiGHS's latest
    message (its iteration count and objective) and the time since the solve started, which
    keeps running between messages.
    """

    def __init__(self, show: bool) -> None:
        self.lines: list[str] = []
        self._bar: Any = None
        self._task: Any = None
        if show:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("HiGHS {task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> SolverProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, message: str) -> None:
        self.lines.append(message)
        last = " ".join(message.split())
        if self._bar is not None and self._task is not None and last:
            from rich.markup import escape

            self._bar.update(self._task, description=escape(last[:70]))

    @property
    def shown(self) -> str:
        """The message the progress line shows ("" without a terminal)."""
        if self._bar is None or self._task is None:
            return ""
        return str(self._bar.tasks[0].description)

    def text(self) -> str:
        """The log as HiGHS wrote it."""
        return "".join(m if m.endswith("\n") else m + "\n" for m in self.lines)


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
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            min=1,
            help="Chunks operated at once, each in a thread (1: one after the other); the "
            "numbers do not depend on it, peak memory grows with it.",
        ),
    ] = 2  # energy_sim.security.adequacy.run.THREADS
    lole_standard: Annotated[
        float,
        typer.Option("--lole-standard", min=0.0, help="LOLE standard in h/yr (an assumption)."),
    ] = 3.0
    screen: Annotated[
        bool,
        typer.Option(
            "--screen/--no-screen",
            help="Operate each sample year with the adequacy screen first and the full dispatch "
            "core only where it cannot prove that no load is lost (same LOLE and EUE, much "
            "faster); --no-screen runs the full core on every sample year.",
        ),
    ] = True
    out: Annotated[Path | None, OUT_BESIDE_PLAN] = None
    quiet: Annotated[bool, QUIET] = False
    period: Annotated[int | None, PERIOD] = None


def for_period(sc: Any, plan: Any, period: int | None) -> tuple[Any, Any]:
    """The scenario and plan of one period (``--period``): a pathway's period is selected from
    the plan and the scenario's period is built as the pathway planned it.

    Raises
    ------
    InputError
        A pathway plan or a scenario with periods without ``--period``; a period that is not
        one of them; ``--period`` for a single-year scenario of another year.
    """
    from energy_sim.errors import InputError

    pathway_plan = plan is not None and "period" in plan.dims
    if period is None:
        if pathway_plan or sc.periods:
            years = plan["period"].values.tolist() if pathway_plan else sc.periods
            raise InputError(
                "a pathway has several periods: choose the one to operate",
                field="--period",
                value=None,
                allowed=", ".join(str(y) for y in years),
            )
        return sc, plan
    # here, not at the top: the pathway module imports the LP's (Pyomo, ~1 s), which a
    # single-year run does not need
    from energy_sim.planning.pathway import period_scenario, select_period

    if pathway_plan:
        years = [int(y) for y in plan["period"].values]
        if period not in years:
            raise InputError(
                "not a period of the plan",
                file=plan.attrs.get("source_file"),
                field="--period",
                value=period,
                allowed=", ".join(map(str, years)),
            )
        plan = select_period(plan, period)
    if sc.periods:
        sc = period_scenario(sc, period)
    elif period != sc.year:
        raise InputError(
            "the scenario is a single year",
            file=sc.source_file,
            field="--period",
            value=period,
            allowed=f"{sc.year} (or a scenario with periods)",
        )
    return sc, plan


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
