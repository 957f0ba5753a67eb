"""The analysts' notebooks run top to bottom on the real pipeline, and are stored with their
outputs as ``python notebooks/run_all.py`` left them (so a reader sees the figures without
running anything); here every notebook is cleared and run again from scratch.

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
    "05_pathway_2050.ipynb",
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
    "05_pathway_2050.ipynb": [
        "pathway_2050/results.nc",
        "pathway_2050/kpis.json",
        "dashboard_pathway.html",
    ],
}


def _run_all():
    """``notebooks/run_all.py`` as a module (it is a script, not part of the package)."""
    import importlib.util

    path = NOTEBOOKS[0].parent / "run_all.py"
    spec = importlib.util.spec_from_file_location("run_all", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebooks_are_stored_with_the_outputs_of_a_full_run():
    assert [p.name for p in NOTEBOOKS] == EXPECTED
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        assert book.metadata["kernelspec"]["name"] == "python3"
        made = book.metadata.get("energy_sim", {})
        assert made.get("version") and made.get("fast") is False, (path.name, made)
        code = [c for c in book.cells if c.cell_type == "code"]
        # run top to bottom in one go: counts 1, 2, 3, ... and no error anywhere
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), path.name
        outputs = [o for c in code for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], path.name
        assert any("image/png" in o.get("data", {}) for o in outputs), path.name
        assert not any("execution" in c.metadata for c in book.cells)  # no timestamps


def test_clearing_a_notebook_removes_every_output():
    book = _run_all().clear_outputs(nbformat.read(NOTEBOOKS[0], as_version=4))
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("ENERGY_SIM_FAST", "1")
    monkeypatch.setenv("ENERGY_SIM_RUNS", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = _run_all().clear_outputs(nbformat.read(path, as_version=4))  # from scratch
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
