"""The compiled dispatch kernels against their numpy references (random tiny inputs)."""

from __future__ import annotations

import numpy as np
import pytest

from energy_sim.operation import network


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


@pytest.mark.parametrize("loss", [0.0, 0.002])
def test_storage_kernel_equals_reference(loss):
    """Compiled state of charge (storage.simulate) against the numpy prefix scan, with two
    cyclic periods, a group without power, and wishes that overfill and overdraw."""
    from energy_sim.operation import storage

    rng = np.random.default_rng(7)
    n_s, n_st, n_t = 3, 4, 96
    pcap = np.array([100.0, 0.0, 50.0, 400.0])
    dur = np.array([4.0, 2.0, 8.0, 2.0])
    eff_c = np.array([0.95, 0.9, 0.88, 0.93])
    eff_d = np.array([0.95, 0.9, 0.88, 0.93])
    lossv = np.full(n_st, loss)
    dt = np.ones(n_t)
    period = np.repeat([0, 1], n_t // 2)
    cw = rng.uniform(0, 150, (n_s, n_st, n_t)) * (rng.random((n_s, n_st, n_t)) < 0.5)
    dw = rng.uniform(0, 150, (n_s, n_st, n_t)) * (rng.random((n_s, n_st, n_t)) < 0.5)
    got = storage.simulate(cw, dw, pcap, dur, eff_c, eff_d, lossv, dt, period)
    ref = storage.simulate_reference(cw, dw, pcap, dur, eff_c, eff_d, lossv, dt, period)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)
    ch, dis, soc = got
    # the recursion of MODEL.md constraint 4 holds step by step and closes each period
    decay = (1.0 - lossv)[None, :, None]
    for a, b in ((0, n_t // 2), (n_t // 2, n_t)):
        prev = np.concatenate([soc[:, :, b - 1 : b], soc[:, :, a : b - 1]], axis=2)
        step = prev * decay + dt[a:b] * (
            eff_c[:, None] * ch[:, :, a:b] - dis[:, :, a:b] / eff_d[:, None]
        )
        np.testing.assert_allclose(soc[:, :, a:b], step, atol=1e-6)
    assert (soc <= (dur * pcap)[None, :, None] + 1e-9).all() and (soc >= -1e-9).all()
    assert (ch[:, 1] == 0).all() and (dis[:, 1] == 0).all()


def test_lng_kernel_equals_reference():
    """Compiled LNG tanks against the numpy loop: a disruption window, a binding contract,
    a reserve floor, and a start below full."""
    from energy_sim.operation import lng

    rng = np.random.default_rng(11)
    n_s, n_h, n_t = 3, 2, 200
    burn = rng.uniform(0, 900, (n_s, n_h, n_t))
    lng_av = np.ones((n_s, n_h, n_t))
    lng_av[:, 0, 50:90] = 0.0
    smax = np.array([800.0, 600.0])[None, :, None] * lng_av
    reserve = np.array([5000.0, 2000.0])
    dt = np.ones(n_t)
    wdt = np.full(n_t, 2.0)
    floor = lng.floors(reserve, smax, lng_av, dt)
    tank = np.array([20000.0, 8000.0])
    contract = np.array([np.inf, 150000.0])
    init = rng.uniform(0.5, 1.0, (n_s, n_h)) * tank
    got = lng.run_inventory(burn, smax, floor, tank, contract, dt, wdt, init=init)
    ref = lng.run_inventory_reference(burn, smax, floor, tank, contract, dt, wdt, init=init)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    ok, send, _ = got
    assert (ok < burn - 1e-6).any()  # the tank or the contract binds somewhere
    assert ((send * wdt).sum(axis=2)[:, 1] <= contract[1] + 1e-6).all()


def test_cell_dispatch_from_groups_equals_the_numpy_steps():
    """core._solve_gen (blocks built inside the kernel, outputs folded to groups) equals
    core._blocks, the numpy reference of stacks, solve and outputs, and core._gens in turn,
    cold and warm-started, with LNG windows in some cells; hour-chained starts reach the same
    cost (both optimal) and keep every balance."""
    from factory import synthetic_system

    from energy_sim.operation import core, merit
    from energy_sim.operation.inputs import prepare

    system = synthetic_system(steps=48, seed=4)
    st = prepare(system)
    stack = merit.build_stack(st)
    grid = network.Grid.build(len(st.regions), st.frm, st.to, st.eta)
    rng = np.random.default_rng(1)
    n, n_r = 250, len(st.regions)
    avail = rng.uniform(0, 2500, (n, len(st.mc))) * (rng.random((n, len(st.mc))) < 0.9)
    window = rng.random((n, len(stack.lng_gens))) < 0.3
    sdis = rng.uniform(0, 500, (n, n_r))
    dem = rng.uniform(0, 15000, (n, n_r))
    for flow0 in (None, rng.normal(0, 800, (n, len(st.fcap)))):
        g, u, sh, f, k, p = core._solve_gen(
            stack, grid, avail, window, sdis, dem, st.fcap, flow0, True
        )
        blocks = core._blocks(stack, avail, window, sdis)
        o2, sh2, f2, k2, p2 = core._solve_cells_reference(
            stack, grid, blocks, dem, st.fcap, flow0, True
        )
        np.testing.assert_allclose(g, core._gens(stack, o2), rtol=0, atol=1e-6)
        np.testing.assert_allclose(u, o2[:, stack.sdis_col0 : stack.sdis_col0 + n_r], atol=1e-6)
        for a, b in ((sh, sh2), (f, f2)):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        np.testing.assert_allclose(p, p2, rtol=1e-9)
        assert k == k2 == 0
    assert window.any() and len(stack.lng_gens)  # the LNG columns are exercised
    # chained starts (runs of 50 cells): another optimum of the same cells, same cost
    cold = core._solve_gen(stack, grid, avail, window, sdis, dem, st.fcap, None, False)
    chain = core._solve_gen(stack, grid, avail, window, sdis, dem, st.fcap, None, False, 50)
    keys = np.where(st.is_res, -1.0, st.mc)  # the decision cost of each group's block

    def cost(out):
        return out[0] @ np.where(np.isfinite(keys), keys, 0.0) + st.voll * out[2].sum(axis=1)

    np.testing.assert_allclose(cost(chain), cost(cold), rtol=1e-9, atol=1e-3)


def test_availability_and_residual_need_kernels():
    from energy_sim.operation import kernels

    rng = np.random.default_rng(2)
    n_s, n_g, n_t, n_r = 3, 7, 150, 3  # steps: two blocks of 64 and a part
    avail = rng.random((n_g, n_t))
    cap = rng.uniform(0, 500, n_g)
    draw = rng.normal(0.8, 0.5, (n_s, n_g, n_t))  # some negative: clipped at 0
    av = kernels.availability(avail, cap, draw)
    ref = avail.T[None] * cap[None, None] * np.clip(draw, 0, None).transpose(0, 2, 1)
    np.testing.assert_allclose(av, ref, rtol=1e-15)
    region = rng.integers(0, n_r, n_g)
    use = rng.random(n_g) < 0.7
    dem = rng.uniform(0, 1000, (n_s, n_t, n_r))
    onehot = np.zeros((n_g, n_r))
    onehot[np.flatnonzero(use), region[use]] = 1.0
    np.testing.assert_allclose(
        kernels.residual_need(av, dem, region, use),
        (dem - av @ onehot).transpose(0, 2, 1),
        atol=1e-9,
    )


def test_hub_burn_kernel_equals_the_matrix_product():
    """burn[s,n,t] = sum_{g of n} p/eff over the LNG-fed columns, against the dense product
    over every column; a group of no hub adds nothing."""
    from energy_sim.operation import core

    rng = np.random.default_rng(5)
    n_s, n_t, n_g, n_h = 3, 11, 8, 3
    gen = rng.uniform(0, 400, (n_s * n_t, n_g))
    to_hub = np.zeros((n_g, n_h))
    for g, h in [(1, 0), (2, 2), (4, 0), (6, 1)]:  # groups 0, 3, 5, 7: no hub
        to_hub[g, h] = 1.0 / rng.uniform(0.4, 0.6)
    ref = (gen @ to_hub).reshape(n_s, n_t, n_h).transpose(0, 2, 1)
    np.testing.assert_allclose(core._burn(gen, to_hub, n_s, n_t), ref, rtol=1e-13)
    # hand check of one cell: hub 0 burns groups 1 and 4
    s, t = 2, 7
    want = gen[s * n_t + t, 1] * to_hub[1, 0] + gen[s * n_t + t, 4] * to_hub[4, 0]
    assert core._burn(gen, to_hub, n_s, n_t)[s, 0, t] == pytest.approx(want, rel=1e-13)


def test_lng_year_closes_when_the_tank_runs_down_year_on_year():
    """A tank refilled at 20 MW_th that must serve 100 MW_th twice a year: from full it ends at
    40, from 40 at 0; the cyclic year starts empty, refills to 120 and burns it all. The
    recursion closes at the first step too (it did not with two runs of the year)."""
    from energy_sim.operation import lng

    burn = np.zeros((1, 1, 8))
    burn[0, 0, 6:] = 100.0
    smax = np.full((1, 1, 8), 20.0)
    floor = np.zeros((1, 1, 8))
    ok, send, inv = lng.cyclic_inventory(
        burn, smax, floor, np.array([200.0]), np.array([np.inf]), np.ones(8), np.ones(8)
    )
    prev = np.roll(inv, 1, axis=2)
    np.testing.assert_allclose(inv - prev - (send - ok), 0.0, atol=1e-6)
    assert inv[0, 0, -1] == pytest.approx(0.0, abs=1e-6)
    assert ok[0, 0, 6:].sum() == pytest.approx(160.0, abs=1e-6)  # 120 stored + 2 x 20 sent


def test_lng_year_that_ends_full_is_not_run_again():
    """cyclic_inventory runs the year a second time only for the tanks whose first year,
    started full, did not end full; the others repeat themselves exactly. With one tank of
    each kind in one call the result equals two full runs of the year bit for bit."""
    from energy_sim.operation import lng

    n_t = 48
    burn = np.zeros((2, 2, n_t))
    burn[:, 0, 10:20] = 150.0  # hub 0: drawn down mid-year, refilled by the end
    burn[:, 1, 40:] = 150.0  # hub 1: drawn down at the end of the year
    burn[1] *= 1.5
    smax = np.full((2, 2, n_t), 100.0)
    floor = np.zeros((2, 2, n_t))
    tank, contract, dt, wdt = (
        np.array([400.0, 400.0]),
        np.array([np.inf] * 2),
        np.ones(n_t),
        np.ones(n_t),
    )
    runs = []
    real = lng.run_inventory

    def counted(*a, **k):
        runs.append(a[0].shape)
        return real(*a, **k)

    lng.run_inventory = counted
    try:
        got = lng.cyclic_inventory(burn, smax, floor, tank, contract, dt, wdt)
    finally:
        lng.run_inventory = real
    first = real(burn, smax, floor, tank, contract, dt, wdt)
    want = real(burn, smax, floor, tank, contract, dt, wdt, init=first[2][:, :, -1].copy())
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[2][0, 0, -1] == 400.0 and first[2][0, 1, -1] < 400.0  # one of each kind
    assert runs == [(2, 2, n_t), (1, 2, n_t)]  # the second run: the two hub-1 tanks only
