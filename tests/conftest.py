"""Fixtures shared by the data tests (tests/test_data.py, tests/test_fleet_retirement.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from energy_sim.inputs import data as D

VIETNAM = Path(__file__).resolve().parent.parent / "data" / "vietnam"


@pytest.fixture(scope="module")
def vn() -> D.DataTables:
    """The bundled data folder, read."""
    return D.read_data(VIETNAM)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder."""
    dst = tmp_path / "vietnam"
    shutil.copytree(VIETNAM, dst)
    return dst
