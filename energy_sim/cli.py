"""The ``energy-sim`` command line: thin wrappers over the public API.

Every command turns an :class:`~energy_sim.errors.InputError` into one line on stderr and exit
status 2 (see :func:`user_errors`). Commands live in this file, one function each.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

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


if __name__ == "__main__":  # pragma: no cover
    app()
