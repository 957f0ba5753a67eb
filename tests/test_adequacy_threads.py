"""Chunks operated in threads (``assess(threads=...)``): the same numbers as one after the
other, a fallback where numba cannot run kernels from several threads, and Ctrl-C that does
not wait for a chunk."""

from __future__ import annotations

import _thread
import threading
import time
from pathlib import Path

import pytest
import xarray as xr
from test_adequacy import QUIET, _empty_network_parts, copper_plate, one_region_system

from energy_sim.errors import InputError
from energy_sim.operation.kernels import threading_layer
from energy_sim.security.adequacy import assess


def _core_system() -> xr.Dataset:
    system = one_region_system()
    return system.assign({name: (dims, values) for name, dims, values in _empty_network_parts()})


def test_threads_give_the_serial_numbers_with_the_dispatch_core():
    # the core's compiled kernels run from three threads at once
    system = _core_system()
    kwargs = dict(samples=60, seed=11, chunk_size=10, **QUIET)
    serial = assess(system, threads=1, **kwargs)
    threaded = assess(system, threads=3, **kwargs)
    assert serial.attrs["threads"] == 1 and threaded.attrs["threads"] == 3
    assert float(serial["eue_system_mwh"]) > 0  # a case that sheds, so the core does work
    xr.testing.assert_identical(serial.drop_attrs(), threaded.drop_attrs())


def test_threads_stop_where_the_serial_run_converges():
    system = one_region_system()
    kwargs = dict(
        samples=40, max_samples=400, rel_tol=0.04, chunk_size=20, seed=5, dispatch=copper_plate
    )
    serial = assess(system, threads=1, **kwargs, **QUIET)
    threaded = assess(system, threads=2, **kwargs, **QUIET)
    assert 40 < serial.attrs["n_samples"] < 400  # stopped early, after the first chunks
    assert threaded.attrs["n_samples"] == serial.attrs["n_samples"]
    xr.testing.assert_identical(serial.drop_attrs(), threaded.drop_attrs())


def test_a_threading_layer_that_is_not_thread_safe_runs_chunks_one_after_the_other(
    monkeypatch,
):
    monkeypatch.setattr("energy_sim.operation.kernels.threading_layer", lambda: "workqueue")
    system = one_region_system()
    with pytest.warns(RuntimeWarning, match="one after the other"):
        ds = assess(system, samples=20, chunk_size=10, threads=2, dispatch=copper_plate, **QUIET)
    assert ds.attrs["threads"] == 1 and ds.attrs["n_samples"] == 20


def test_threads_below_one_are_refused():
    with pytest.raises(InputError, match="threads"):
        assess(one_region_system(), samples=10, threads=0, dispatch=copper_plate)


def test_ctrl_c_does_not_wait_for_a_running_chunk():
    release = threading.Event()

    def slow(system, plan, **kw):  # a chunk that runs until the test lets it go
        release.wait(30)
        return copper_plate(system, plan, **kw)

    threading_layer()  # numba's start-up (about a second in a new process) before the clock
    timer = threading.Timer(0.5, _thread.interrupt_main)  # what SIGINT does to the main thread
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            assess(one_region_system(), samples=40, chunk_size=10, threads=2, dispatch=slow)
        elapsed = time.monotonic() - started
    finally:
        timer.cancel()
        release.set()
    # 0.5 s until Ctrl-C, then at most a wait slice (WAIT_S = 0.2 s) and the clean-up
    assert elapsed < 1.5, elapsed
    # the chunks' threads were still running: the command line ends the process at once
    assert caught.value.still_running


@pytest.mark.slow
def test_ctrl_c_stops_the_command_line_while_two_chunks_run(tmp_path):
    """SIGINT to ``energy-sim assess`` while two chunks run in threads: the one-line message
    at once, exit 130, no traceback, no output folder (the process ends without waiting for
    the chunks' kernels)."""
    import signal
    import subprocess
    import sys

    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"
    out = tmp_path / "assess"
    proc = subprocess.Popen(
        [sys.executable, "-m", "energy_sim.cli", "assess", str(scenario), "--samples", "400",
         "--chunk-size", "50", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell's background job ignores SIGINT, and a child inherits that: not here
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    time.sleep(12)  # start-up and the System take ~5 s; the existing fleet's years shed
    assert proc.poll() is None, proc.stderr.read()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    line = proc.stderr.readline()
    said = time.monotonic() - sent
    proc.wait(timeout=30)
    ended = time.monotonic() - sent
    assert said < 1.0 and ended < 2.0, (said, ended)
    assert line.startswith("interrupted (Ctrl-C)"), line
    assert proc.returncode == 130
    assert "Traceback" not in proc.stderr.read()
    assert not out.exists()


def test_the_command_line_says_in_one_line_when_chunks_cannot_run_in_threads(monkeypatch, tmp_path):
    import typer
    from typer.testing import CliRunner

    from energy_sim.cli import app

    seen = {}

    def record(system, plan, **kw):  # stops the command once assess is reached
        seen.update(kw)
        raise typer.Exit(0)

    monkeypatch.setattr("energy_sim.operation.kernels.threading_layer", lambda: "workqueue")
    monkeypatch.setattr("energy_sim.security.adequacy.assess", record)
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"
    result = CliRunner().invoke(
        app, ["assess", str(scenario), "--samples", "2", "--out", str(tmp_path / "a")]
    )
    assert result.exit_code == 0, result.output
    assert seen["threads"] == 1
    notes = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "one after the other" in notes[0]
    assert "Warning" not in result.output and "Traceback" not in result.output
