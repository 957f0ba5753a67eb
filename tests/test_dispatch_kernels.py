"""The compiled dispatch kernels against their numpy references (random tiny inputs)."""

from __future__ import annotations

import numpy as np
import pytest

from energy_sim.dispatch import network


def _cells(seed: int, n: int = 400, n_k: int = 6):
    """Random six-region cells on the Vietnam topology (a loop CC-CH-SC-S), shedding last."""
    rng = np.random.default_rng(seed)
    frm = np.array([0, 1, 2, 2, 3, 3, 4])
    to = np.array([1, 2, 3, 4, 4, 5, 5])
    grid = network.Grid.build(6, frm, to, rng.uniform(0.95, 0.99, 7))
    sizes = rng.uniform(0, 3000, (n, 6, n_k - 1)) * (rng.random((n, 6, n_k - 1)) < 0.8)
    dem = rng.uniform(0, 12000, (n, 6))
    cum = np.cumsum(sizes, axis=2)
    cum = np.concatenate([cum, cum[:, :, -1:] + dem[:, :, None]], axis=2)
    cost = np.sort(rng.uniform(-2, 100, (6, n_k)), axis=1)
    cost[:, -1] = 5000.0
    fcap = rng.uniform(0, 4000, (n, 7))
    return cum, cost, dem, fcap, grid, rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_network_kernel_equals_reference(seed):
    cum, cost, dem, fcap, grid, rng = _cells(seed)
    x_r, f_r, left_r = network.solve_cells_reference(cum, cost, dem, fcap, grid)
    x, f, left = network.solve_cells(cum, cost, dem, fcap, grid)
    assert left == left_r == 0
    np.testing.assert_allclose(x, x_r, rtol=0, atol=1e-6)
    np.testing.assert_allclose(f, f_r, rtol=0, atol=1e-6)
    # warm start from perturbed flows, some of them infeasible as a start
    f0 = f_r + rng.normal(0.0, 500.0, f_r.shape)
    x_r, f_r, _ = network.solve_cells_reference(cum, cost, dem, fcap, grid, flow0=f0)
    x, f, _ = network.solve_cells(cum, cost, dem, fcap, grid, flow0=f0)
    np.testing.assert_allclose(x, x_r, rtol=0, atol=1e-6)
    np.testing.assert_allclose(f, f_r, rtol=0, atol=1e-6)
    p_r = network.prices_reference(cum, cost, x, f, fcap, grid)
    p = network.prices(cum, cost, x, f, fcap, grid)
    np.testing.assert_allclose(p, p_r, rtol=1e-12)


def test_network_kernel_balance_and_limits():
    """Every region balances exactly: level + imports - exports = demand, flows within limits."""
    cum, cost, dem, fcap, grid, _ = _cells(5)
    x, f, _ = network.solve_cells(cum, cost, dem, fcap, grid)
    fwd, rev = np.maximum(f, 0.0), np.maximum(-f, 0.0)
    bal = x.copy()
    for l_, (a, b) in enumerate(zip(grid.frm, grid.to, strict=True)):
        bal[:, b] += grid.eta[l_] * fwd[:, l_] - rev[:, l_]
        bal[:, a] += grid.eta[l_] * rev[:, l_] - fwd[:, l_]
    np.testing.assert_allclose(bal, dem, atol=1e-6)
    assert (np.abs(f) <= fcap + 1e-9).all()
    assert (x >= -1e-9).all() and (x <= cum[:, :, -1] + 1e-9).all()


def test_fused_cell_dispatch_equals_reference():
    """Stacks, network solve and block outputs in one kernel (core._solve_cells) equal the
    numpy steps (merit.cumulative, network.solve_cells_reference, merit.unstack, prices)."""
    from factory import synthetic_system

    from energy_sim.dispatch import core, merit
    from energy_sim.dispatch.inputs import prepare

    system = synthetic_system(steps=48, seed=3)
    st = prepare(system)
    stack = merit.build_stack(st)
    grid = network.Grid.build(len(st.regions), st.frm, st.to, st.eta)
    rng = np.random.default_rng(0)
    n = 300
    blocks = rng.uniform(0, 2000, (n, stack.n_col)) * (rng.random((n, stack.n_col)) < 0.85)
    blocks[:, stack.zero_col] = 0.0
    dem = rng.uniform(0, 15000, (n, len(st.regions)))
    fcap = st.fcap
    for flow0 in (None, rng.normal(0, 800, (n, len(fcap)))):
        got = core._solve_cells(stack, grid, blocks, dem, fcap, flow0, True)
        ref = core._solve_cells_reference(stack, grid, blocks, dem, fcap, flow0, True)
        for a, b in zip(got, ref, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-6)
        assert got[1].sum() > 0  # some cells shed: the shed block is exercised
