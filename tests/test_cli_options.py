"""Options declared once for several commands reach each command as they are given."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from energy_sim.cli import app
from energy_sim.cli.common import AssessArgs
from energy_sim.security.adequacy.run import THREADS

runner = CliRunner()


def option_names(command: str) -> list[str]:
    """The long option names of ``energy-sim COMMAND --help``, in the order shown."""
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return re.findall(r"│ (--[a-z-]+)", result.output)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Replace the assessment with a recorder that stops the command after parsing."""
    calls: list[tuple] = []

    def record(scenario: Path, plan: Path | None, tests: list[str], args: AssessArgs, *_rest):
        calls.append((scenario, plan, tests, args))
        raise typer.Exit(0)

    monkeypatch.setattr("energy_sim.cli.operation._adequacy_run", record)
    return calls


def test_assess_and_stress_list_the_shared_options_after_their_own():
    shared = [
        "--samples",
        "--seed",
        "--max-samples",
        "--rel-tol",
        "--chunk-size",
        "--threads",
        "--lole-standard",
        "--screen",
        "--out",
        "--quiet",
        "--period",
        "--help",
    ]
    assert option_names("assess") == ["--plan", "--set", *shared]
    assert option_names("stress") == ["--plan", "--test", "--set", *shared]


def test_defaults_reach_the_command(captured):
    assert runner.invoke(app, ["assess", "a.yaml"]).exit_code == 0
    assert runner.invoke(app, ["stress", "s.yaml", "--test", "heatwave"]).exit_code == 0
    (scn_a, plan_a, tests_a, args_a), (scn_s, plan_s, tests_s, args_s) = captured
    assert (scn_a, plan_a, tests_a) == (Path("a.yaml"), None, [])
    assert args_a == AssessArgs(samples=1000)
    assert (scn_s, plan_s, tests_s) == (Path("s.yaml"), None, ["heatwave"])
    assert args_s == AssessArgs(samples=200)
    assert (args_a.chunk_size, args_a.rel_tol, args_a.lole_standard) == (100, 0.05, 3.0)
    assert args_a.threads == args_s.threads == THREADS  # two chunks at once
    assert args_a.screen and args_s.screen  # the adequacy screen is on unless --no-screen


def test_given_values_reach_the_command(captured):
    argv = [
        "--plan", "p.nc", "--samples", "7", "--seed", "3", "--max-samples", "9",
        "--rel-tol", "0.1", "--chunk-size", "2", "--threads", "3", "--lole-standard", "2.4",
        "--out", "o", "-q",
    ]  # fmt: skip
    assert runner.invoke(app, ["assess", "a.yaml", *argv]).exit_code == 0
    assert (
        runner.invoke(app, ["stress", "s.yaml", "--test", "x", "--test", "y", *argv]).exit_code == 0
    )
    expected = AssessArgs(
        samples=7,
        seed=3,
        max_samples=9,
        rel_tol=0.1,
        chunk_size=2,
        threads=3,
        lole_standard=2.4,
        out=Path("o"),
        quiet=True,
    )
    assert [c[1:] for c in captured] == [
        (Path("p.nc"), [], expected),
        (Path("p.nc"), ["x", "y"], expected),
    ]


def test_no_screen_reaches_the_command(captured):
    assert runner.invoke(app, ["assess", "a.yaml", "--no-screen"]).exit_code == 0
    (_, _, _, args) = captured[0]
    assert args.screen is False


def test_threads_below_one_is_refused_before_any_work(captured):
    result = runner.invoke(app, ["assess", "a.yaml", "--threads", "0"])
    assert result.exit_code == 2 and "--threads" in result.output
    assert not captured
