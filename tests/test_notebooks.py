"""The analysts' notebooks run top to bottom on the real pipeline, and are stored without outputs.

Each notebook reads ``ENERGY_SIM_FAST=1`` (coarse LP steps, few Monte Carlo samples) and
``ENERGY_SIM_RUNS`` (where it writes run folders and dashboards), so that CI runs it in about a
minute and writes nothing into the working tree.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "01_planning_2030.ipynb",
    "02_comparing_portfolios.ipynb",
    "03_energy_security.ipynb",
    "04_plan_2045.ipynb",
]
#: What each notebook must leave in ENERGY_SIM_RUNS.
WRITES = {
    "01_planning_2030.ipynb": [
        "pdp8_2030/results.nc",
        "pdp8_2030/kpis.json",
        "dashboard_2030.html",
    ],
    "02_comparing_portfolios.ipynb": ["dashboard_portfolios.html", "no_new_500_kv/results.nc"],
    "03_energy_security.ipynb": [
        "pdp8_2030_security/assessment.json",
        "pdp8_2030_security/stress_lng_cutoff.json",
        "dashboard_security.html",
    ],
    "04_plan_2045.ipynb": ["2045/results.nc", "dashboard_2045.html"],
}


def test_the_four_notebooks_exist_and_are_stored_without_outputs():
    assert [p.name for p in NOTEBOOKS] == EXPECTED
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
        assert book.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("ENERGY_SIM_FAST", "1")
    monkeypatch.setenv("ENERGY_SIM_RUNS", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError with the failing cell and traceback
    elapsed = time.perf_counter() - started
    for rel in WRITES[path.name]:
        assert (tmp_path / rel).is_file(), rel
    dashboard = next(tmp_path.glob("dashboard_*.html")).read_text()
    assert "<script" not in dashboard
    assert 'data-indicator="reserve_margin_system"' in dashboard
    print(f"{path.name}: {elapsed:.1f} s")
