"""Sweeps: serial and Dask LocalCluster give identical numbers; a failing scenario is reported."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from test_adequacy import _empty_network_parts, one_region_system

from energy_sim.errors import InputError
from energy_sim.security.sweep import sweep, sweep_table


def _systems() -> list[xr.Dataset]:
    parts = {name: (dims, values) for name, dims, values in _empty_network_parts()}
    tight = one_region_system().assign(parts)
    tight.attrs["scenario"] = "tight"
    loose = one_region_system(peak=250.0).assign(parts)
    loose.attrs["scenario"] = "loose"
    return [tight, loose]


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory) -> xr.Dataset:
    missing = tmp_path_factory.mktemp("sweep") / "missing.yaml"
    items = [*_systems(), missing]
    return sweep(items, plan="existing", serial=True, samples=40, chunk_size=20, seed=3)


def test_failed_scenario_is_reported_and_others_complete(serial_run):
    assert list(serial_run["status"].values) == ["ok", "ok", "failed"]
    assert "missing.yaml" in str(serial_run["error"].values[2])
    assert np.isnan(serial_run["lole_system_h"].values[2])
    tight, loose = serial_run["eue_system_mwh"].values[:2]
    assert tight > loose > 0
    summaries = json.loads(serial_run.attrs["summaries"])
    assert summaries["missing"]["status"] == "failed"
    assert summaries["tight"]["n_samples"] == 40
    rows = sweep_table(serial_run)
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]


def test_dask_local_cluster_equals_serial(serial_run, tmp_path):
    items = [*_systems(), tmp_path / "missing.yaml"]
    on_dask = sweep(
        items, plan="existing", workers=2, processes=False, samples=40, chunk_size=20, seed=3
    )
    assert list(on_dask["status"].values) == ["ok", "ok", "failed"]
    assert "missing.yaml" in str(on_dask["error"].values[2])
    for var in serial_run.data_vars:
        if var not in ("error",):
            xr.testing.assert_equal(serial_run[var], on_dask[var])


def test_empty_sweep_is_an_input_error():
    with pytest.raises(InputError):
        sweep([], serial=True)


def test_assess_on_dask_equals_serial_with_early_stop():
    from distributed import Client, LocalCluster
    from test_adequacy import QUIET, copper_plate

    from energy_sim.security.adequacy import assess

    system = _systems()[0]
    kwargs = dict(
        samples=40, max_samples=400, rel_tol=0.04, chunk_size=20, seed=5, dispatch=copper_plate
    )
    serial = assess(system, **kwargs, **QUIET)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with Client(cluster) as client:
            parallel = assess(system, client=client, **kwargs, **QUIET)
    assert 40 < serial.attrs["n_samples"] < 400  # stopped early, after the first chunks
    assert parallel.attrs["n_samples"] == serial.attrs["n_samples"]
    xr.testing.assert_equal(serial, parallel)


def test_cli_sweep_reports_failures_and_writes_files(tmp_path):
    from typer.testing import CliRunner

    from energy_sim.cli import app

    bad = tmp_path / "broken.yaml"
    bad.write_text("year: [not, a, year]\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["sweep", str(bad), str(tmp_path / "missing.yaml"), "--serial", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "failed: broken" in result.output and "failed: missing" in result.output
    summary = json.loads((out / "sweep.json").read_text())
    assert [r["status"] for r in summary["rows"]] == ["failed", "failed"]
    with xr.open_dataset(out / "sweep.nc") as back:
        assert list(back["status"].values) == ["failed", "failed"]
