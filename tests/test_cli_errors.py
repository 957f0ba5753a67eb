"""A user's mistake through the real CLI: exit 2, one ``error:`` line on stderr, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energy_sim.cli import app

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "vietnam"


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


def check_one_line_error(exit_code: int, stdout: str, stderr: str, *names: str) -> str:
    """Exit 2; stderr is exactly one line starting with ``error:`` naming each of ``names``."""
    assert exit_code == 2, (exit_code, stdout, stderr)  # 1 would be an uncaught exception
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for name in names:
        assert name in line, (name, line)
    return line


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory (the would-be output folder) with scenarios in ``scn/``."""
    (tmp_path / "scn").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    return tmp_path


def scenario(workdir: Path, name: str, text: str, data: Path = DATA) -> Path:
    path = workdir / "scn" / name
    path.write_text(f"data: {data}\n{text}")
    return path


def make_cases(workdir: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """Bad scenarios and the words the error line must contain (file, field, value)."""
    circular_a = scenario(workdir, "loop_a.yaml", "extends: loop_b.yaml\n")
    scenario(workdir, "loop_b.yaml", "extends: loop_a.yaml\n")
    return {
        "malformed_yaml": (
            scenario(workdir, "malformed.yaml", "year: 2030\npolicies:\n  clean_share: [0.3\n"),
            ("malformed.yaml", "invalid YAML", "line"),
        ),
        "unknown_key": (
            scenario(workdir, "unknown_key.yaml", "policies:\n  clean_shar: 0.3\n"),
            ("unknown_key.yaml:3", "policies.clean_shar", "0.3", "clean_share"),
        ),
        "unknown_region": (
            scenario(workdir, "unknown_region.yaml", "regional_reserve_margin: {hanoi: 0.2}\n"),
            ("unknown_region.yaml:2", "regional_reserve_margin.hanoi", "'hanoi'", "north"),
        ),
        "negative_number": (
            scenario(workdir, "negative.yaml", "voll_usd_per_mwh: -100\n"),
            ("negative.yaml:2", "voll_usd_per_mwh", "-100", "> 0"),
        ),
        "missing_file": (workdir / "scn" / "no_such.yaml", ("no_such.yaml", "not found")),
        "circular_extends": (
            circular_a,
            ("loop_b.yaml", "extends", "loop_a.yaml -> loop_b.yaml -> loop_a.yaml"),
        ),
    }


CASES = [
    "malformed_yaml",
    "unknown_key",
    "unknown_region",
    "negative_number",
    "missing_file",
    "circular_extends",
]


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_one_line_and_exits_2(workdir: Path, case: str) -> None:
    path, names = make_cases(workdir)[case]
    before = files_under(workdir)
    result = CliRunner().invoke(app, ["validate", str(path)])
    check_one_line_error(result.exit_code, result.stdout, result.stderr, *names)
    assert files_under(workdir) == before  # nothing written, anywhere under the test folder


def test_validate_subprocess_malformed_yaml(workdir: Path) -> None:
    bad = scenario(workdir, "BAD.yaml", "year: 2030\n  seed: [\n")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    before = files_under(workdir)
    proc = subprocess.run(
        [sys.executable, "-m", "energy_sim.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=workdir / "out",
        env=env,
        timeout=120,
    )
    check_one_line_error(proc.returncode, proc.stdout, proc.stderr, "BAD.yaml", "invalid YAML")
    assert files_under(workdir) == before


def test_validate_subprocess_unknown_key(workdir: Path) -> None:
    bad = scenario(workdir, "BAD.yaml", "reserve_margn: 0.2\n")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "energy_sim.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=workdir / "out",
        env=env,
        timeout=120,
    )
    check_one_line_error(proc.returncode, proc.stdout, proc.stderr, "BAD.yaml:2", "reserve_margn")
    assert proc.stdout == ""


def test_nan_in_demand_profile(workdir: Path) -> None:
    """A demand profile CSV with a NaN is refused when the System is built."""
    regions = [line.split(",")[0] for line in (DATA / "regions.csv").read_text().splitlines()[1:]]
    rows = [",".join(["1000.0"] * len(regions)) for _ in range(8760)]
    rows[100] = ",".join(["nan"] + ["1000.0"] * (len(regions) - 1))
    csv = workdir / "scn" / "demand_nan.csv"
    csv.write_text(",".join(regions) + "\n" + "\n".join(rows) + "\n")
    path = scenario(workdir, "nan_profile.yaml", "profiles:\n  demand: demand_nan.csv\n")
    before = files_under(workdir)
    result = CliRunner().invoke(app, ["validate", str(path)])
    line = check_one_line_error(result.exit_code, result.stdout, result.stderr, "demand_nan.csv")
    assert "nan" in line.lower() and regions[0] in line, line
    assert files_under(workdir) == before


def test_negative_capacity_in_fleet_table(workdir: Path) -> None:
    """A copy of the data folder whose fleet.csv has a negative capacity_mw is refused."""
    data = workdir / "data_copy"
    shutil.copytree(DATA, data)
    fleet = data / "fleet.csv"
    lines = fleet.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("capacity_mw")
    first = next(i for i, line in enumerate(lines[1:], 1) if line and not line.startswith("#"))
    cells = lines[first].split(",")
    cells[col] = "-500"
    lines[first] = ",".join(cells)
    fleet.write_text("\n".join(lines) + "\n")
    path = scenario(workdir, "neg_fleet.yaml", "", data=data)
    before = files_under(workdir)
    result = CliRunner().invoke(app, ["validate", str(path)])
    line = check_one_line_error(
        result.exit_code, result.stdout, result.stderr, "fleet.csv", "capacity_mw", "-500"
    )
    assert ">= 0" in line, line
    assert files_under(workdir) == before


@pytest.mark.parametrize("case", ["unknown_key", "circular_extends"])
def test_dispatch_with_out_folder_writes_nothing(workdir: Path, case: str) -> None:
    """A command that writes results stops before writing anything into --out."""
    path, names = make_cases(workdir)[case]
    out = workdir / "out" / "results"
    result = CliRunner().invoke(app, ["dispatch", str(path), "--out", str(out), "--quiet"])
    check_one_line_error(result.exit_code, result.stdout, result.stderr, *names)
    assert not out.exists() or not any(out.iterdir())


def test_profile_with_wrong_length(workdir: Path) -> None:
    """A solar profile CSV with 8000 rows instead of 8760 is refused, naming the count."""
    regions = [line.split(",")[0] for line in (DATA / "regions.csv").read_text().splitlines()[1:]]
    csv = workdir / "scn" / "solar_short.csv"
    csv.write_text(",".join(regions) + "\n" + "\n".join([",".join(["0.2"] * len(regions))] * 8000))
    path = scenario(workdir, "short_profile.yaml", "profiles:\n  solar: solar_short.csv\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    check_one_line_error(
        result.exit_code, result.stdout, result.stderr, "solar_short.csv", "8000", "8760"
    )
