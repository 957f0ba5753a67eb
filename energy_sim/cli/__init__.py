"""The ``energy-sim`` command line: thin wrappers over the public API.

Every command turns an :class:`~energy_sim.errors.InputError` into one line on stderr and exit
status 2 (see :func:`~energy_sim.cli.common.user_errors`). One function per command, grouped by
job: :mod:`~energy_sim.cli.planning` (validate, run), :mod:`~energy_sim.cli.operation`
(dispatch, assess, stress) and :mod:`~energy_sim.cli.analysis` (compare, report, sweep); the
shared pieces and options are in :mod:`~energy_sim.cli.common`. Commands are registered here,
in the order ``--help`` lists them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from energy_sim.cli import analysis, operation, planning
from energy_sim.cli.common import show_progress, user_errors

__all__ = ["app", "show_progress", "user_errors"]

app = typer.Typer(
    name="energy-sim",
    help="Energy-security scenario simulator for Vietnam's power system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    """``--version``: print the package version and stop."""
    if value:
        from energy_sim.outputs import package_version

        typer.echo(f"energy-sim {package_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version of energy_sim and exit.",
        ),
    ] = False,
) -> None:
    """Energy-security scenario simulator for Vietnam's power system."""


app.command("validate")(planning.validate_cmd)
app.command("run")(planning.run_cmd)
app.command("compare")(analysis.compare_cmd)
app.command("report")(analysis.report_cmd)
app.command("dispatch")(operation.dispatch_cmd)
app.command("assess")(operation.assess_cmd)
app.command("stress")(operation.stress_cmd)
app.command("sweep")(analysis.sweep_cmd)
