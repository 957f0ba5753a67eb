"""The bundled 2030 scenario planned end to end through ``energy-sim run`` at a coarse
resolution, and the run command's exits on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from energy_sim.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "pdp8_2030.yaml"


@pytest.mark.slow
def test_pdp8_2030_plan_end_to_end(tmp_path):
    """12 representative days: optimal, reserve margin >= 15%, no shed, invariants hold."""
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", str(SCENARIO), "--resolution", "12d", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    k = json.loads((out / "kpis.json").read_text())
    assert k["status"] == "optimal"
    assert k["reserve_margin"] >= 0.15 - 1e-6
    # every region balanced with 15% (Resolution 70), corridor imports with their credit
    assert min(k["reserve_margin_by_region"].values()) >= 0.15 - 1e-6
    assert k["unserved_energy_mwh"] == pytest.approx(0.0, abs=1e-3)
    assert k["reserve_shortfall_mw"] == pytest.approx(0.0, abs=1e-3)
    assert 0.0 < k["clean_share"] < 1.0
    assert k["total_cost_usd"] > 0
    res = xr.load_dataset(out / "results.nc")
    assert res.attrs["status"] == "optimal"
    assert float(res["shed_mw"].max()) < 1e-3
    # the KPI peak is the hourly year's coincident peak (what the margin is measured on); the
    # representative days keep the peak day (tsam extreme period), so the LP operates it too;
    # it is the low case's published
    # Pmax (issue 11: each case's peak within 1% of its paired Pmax, 560.4 TWh <-> 89,655 MW)
    assert k["peak_demand_mw"] == pytest.approx(float(res["peak_demand_mw"]))
    assert k["peak_demand_mw"] == pytest.approx(float(res["demand_mw"].sum("region").max()))
    assert k["peak_demand_mw"] == pytest.approx(89_655, rel=0.01)
    assert k["annual_demand_mwh"] == pytest.approx(560.4e6, rel=1e-9)
    # the lock file stays (deleting it would let a third command lock a new file meanwhile)
    assert sorted(p.name for p in out.iterdir()) == [
        ".energy-sim.lock", "highs.log", "kpis.json", "results.nc"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--resolution", "7x"], "resolution"),
        (["--export-lp", "model.txt", "--resolution", "nonsense"], "resolution"),
    ],
)
def test_run_bad_input_exits_2_and_writes_nothing(tmp_path, args, needle):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(SCENARIO), "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert not out.exists()


def test_run_missing_scenario_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2


def test_time_limit_exits_1_and_marks_the_results(tmp_path):
    """A solver time limit is never silently used: exit 1, files marked ``time_limit``."""
    scn = tmp_path / "limited.yaml"
    scn.write_text(
        f"extends: {SCENARIO}\nname: limited\n"
        "solver: {method: ipm, time_limit_s: 0.01, options: {presolve: 'off'}}\n"
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(scn), "--out", str(out), "--quiet"])
    assert result.exit_code == 1, result.output
    assert "not optimal (status time_limit)" in result.output
    assert json.loads((out / "kpis.json").read_text())["status"] == "time_limit"
