"""Ctrl-C stops a HiGHS solve within about a second (it used to wait for the solve to end)."""

from __future__ import annotations

import _thread
import threading
import time

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from energy_sim.planning.solve import SolveInterrupted, run_interruptible


def slow_lp(n: int = 20000, seed: int = 0) -> highspy.Highs:
    """A random covering LP that takes IPX over 20 s on 2 cores (measured 27 s)."""
    rng = np.random.default_rng(seed)
    m = n // 2
    a = sp.random(m, n, density=40 / n, random_state=seed, format="csc")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = rng.random(n)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.full(n, 10.0)
    lp.row_lower_, lp.row_upper_ = rng.random(m) * 5, np.full(m, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("time_limit", 60.0)
    h.passModel(lp)
    return h


def test_ctrl_c_cancels_a_running_highs_solve_within_a_second():
    h = slow_lp()
    timer = threading.Timer(1.0, _thread.interrupt_main)  # what SIGINT does to the main thread
    started = time.monotonic()
    timer.start()
    with pytest.raises(SolveInterrupted) as caught:
        run_interruptible(h)
    elapsed = time.monotonic() - started
    timer.cancel()
    # 1 s until Ctrl-C, then at most ~1 s; this LP's first interior-point iteration takes ~6 s,
    # so HiGHS is still running and the CLI would end the process with os._exit
    assert elapsed < 2.2, elapsed
    assert caught.value.still_running
    assert h.wait(30)[0], "HiGHS did not stop at its next iteration"
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
