"""The adequacy screen: samples it proves shed-free, and the rest left to the full core."""

from __future__ import annotations

import numpy as np
import pytest
from factory import corridor, gen, synthetic_system, tiny_system

from energy_sim.operation import dispatch
from energy_sim.planning.results import check_invariants


def two_regions(fcap: float = 10.0, south_peak: float = 320.0):
    """North peaks at step 1, South at step 0; the North's water must serve the North."""
    return tiny_system(
        regions=("north", "south"),
        gens=[
            gen("north", "hydro_reservoir", cap0=150, mc=0, cf_month=100 / (150 * 4)),
            gen("north", "coal", cap0=200, mc=40),
            gen("south", "coal", cap0=350, mc=45),
        ],
        corridors=[corridor("north", "south", fcap0=fcap, eta=0.97)],
        demand=np.array([[100.0, 300.0, 100.0, 100.0], [south_peak, 100.0, 100.0, 100.0]]),
        weight=1.0,
    )


def test_screen_waters_the_regional_peak_and_proves_no_shed():
    s = two_regions()
    r = dispatch(s, screen=True)
    assert bool(r["screened"][0])
    # residual need of the North N = D - coal = (-100, 100, -100, -100); a 100 MWh budget
    # fills down to L = 0: all of it at step 1
    np.testing.assert_allclose(r["generation_mw"].values[0, 0], [0, 100, 0, 0], atol=1e-6)
    assert float(r["unserved_energy_mwh"].sum()) == 0.0
    assert check_invariants(s, r) == []


def test_screen_leaves_a_shedding_sample_to_the_full_core():
    s = two_regions(south_peak=420.0)  # the South is 70 MW short at step 0 whatever happens
    screened = dispatch(s, screen=True)
    full = dispatch(s)
    assert not bool(screened["screened"][0])
    for var in ("generation_mwh", "unserved_energy_mwh", "cost_usd"):
        np.testing.assert_array_equal(screened[var].values, full[var].values)
    assert float(screened["unserved_energy_mwh"].sum()) > 60.0


def test_screen_with_outages_keeps_every_limit_and_only_proves_zero_shed():
    s = synthetic_system(steps=24 * 7, seed=3)
    s["demand_mw"] = s["demand_mw"] * 0.4  # adequate but for some outage draws
    rng = np.random.default_rng(0)
    av = (rng.random((6, s.sizes["gen"], s.sizes["time"])) > 0.15).astype(float)
    r = dispatch(s, samples=6, availability=av, screen=True)
    full = dispatch(s, samples=6, availability=av)
    assert check_invariants(s, r) == []
    proven = r["screened"].values
    assert 0 < proven.sum() < 6  # both branches: proven samples and samples left to the core
    un = r["unserved_energy_mwh"].sum("region").values
    assert (un[proven] == 0).all()
    # samples the screen did not prove (both shed here) are the full core's: number for number
    # but for rounding (the price rounds batch the full run's six samples, the screened run's
    # two; measured 4e-17 relative)
    assert (un[~proven] > 0).all()
    np.testing.assert_allclose(
        r["generation_mwh"].values[~proven], full["generation_mwh"].values[~proven], rtol=1e-12
    )
    np.testing.assert_allclose(un, full["unserved_energy_mwh"].sum("region").values, rtol=1e-12)
    assert r.attrs["screened"] == proven.sum()


def test_screened_sample_sheds_nothing_in_the_lp_either():
    """What the screen proves is a statement about the LP: it has a zero-shed optimum."""
    from energy_sim.planning.solve import plan  # highspy is a pinned dependency: no skip

    s = two_regions()
    r = dispatch(s, screen=True)
    assert bool(r["screened"][0])
    sy = s.copy()
    sy["build_min_mw"] = sy["build_min_mw"] * 0.0
    sy["build_max_mw"] = sy["build_max_mw"] * 0.0 + np.inf
    lp = plan(sy, fixed_capacities=r.isel(sample=0))
    assert lp.attrs["status"] == "optimal"
    assert float(lp["unserved_energy_mwh"].sum()) == pytest.approx(0.0, abs=1e-6)


def test_keep_hourly_list_keeps_only_those():
    s = two_regions()
    r = dispatch(s, keep_hourly=["shed_mw", "lng_inventory_mwh_th"])
    assert "shed_mw" in r and "lng_inventory_mwh_th" in r
    assert "generation_mw" not in r and "price_usd_per_mwh" not in r
    full = dispatch(s)
    np.testing.assert_array_equal(r["shed_mw"].values, full["shed_mw"].values)


def test_feasibility_check_catches_a_broken_balance_or_tank_cycle():
    """The screen proves no shed only for an operation that balances every region at every
    step and closes every LNG tank's cycle; a break in either is caught."""
    from energy_sim.operation import chunk, merit, network, passes
    from energy_sim.operation import screen as scr
    from energy_sim.operation.inputs import prepare

    s = synthetic_system(steps=48, seed=2)
    s["demand_mw"] = s["demand_mw"] * 0.3
    st = prepare(s)
    stack = merit.build_stack(st)
    grid = network.Grid.build(len(st.regions), st.frm, st.to, st.eta)
    out = chunk.run_chunk(st, stack, grid, None, None, None, None, 1, with_price=False)
    dem = st.demand.T[None]
    assert scr.feasible(st, out, dem).all()
    broken = passes._take(out, np.array([0]))
    broken.gen[0, 0, 5] += 50.0  # 50 MW more than the balance allows
    assert not scr.feasible(st, broken, dem).any()
    burnt = passes._take(out, np.array([0]))
    burnt.inv[0, 0, -1] -= 1e4  # the tank ends 10 GWh_th below where the year started
    assert not scr.feasible(st, burnt, dem).any()


def test_throughput_counts_years_not_runs_of_a_partial_horizon():
    """Two samples of a 4-hour horizon are 2*4/8760 sample years, whatever the speed."""
    r = dispatch(two_regions(), samples=2)
    years = 2 * 4 / 8760.0
    assert r.attrs["sample_years_per_s"] == pytest.approx(years / r.attrs["elapsed_s"])


def test_discharge_the_network_cannot_place_stays_in_the_store():
    """A store wished to discharge 80 MW into a region of 20 MW demand behind a 10 MW corridor
    can only deliver 30 MW: the operation must discharge 30 MW (the rest stays in the store),
    not 80 MW that the balance would count with nobody taking it."""
    from factory import store

    from energy_sim.operation import core, merit, network, screen
    from energy_sim.operation.inputs import prepare

    s = tiny_system(
        regions=("a", "b"),
        gens=[gen("a", "coal", cap0=100, mc=40), gen("b", "coal", cap0=100, mc=40)],
        storage=[store("a", "battery_4h", pcap0=100)],
        corridors=[corridor("a", "b", fcap0=10, eta=1.0)],
        demand=np.array([[20.0, 20.0, 20.0, 20.0], [50.0, 50.0, 50.0, 50.0]]),
        weight=1.0,
    )
    st = prepare(s)
    stack = merit.build_stack(st)
    grid = network.Grid.build(len(st.regions), st.frm, st.to, st.eta)
    n_t = 4
    ch_w = np.zeros((1, 1, n_t))
    dis_w = np.zeros((1, 1, n_t))
    ch_w[0, 0, 0] = 100.0  # charge 100 MW at step 0 (from the coal of both regions)
    dis_w[0, 0, 2] = 80.0  # and wish 80 MW back at step 2
    av = np.broadcast_to(st.avail.T * st.cap, (1, n_t, len(st.cap))).copy()
    dem = np.ascontiguousarray(st.demand.T[None])
    lng_av = np.ones((1, 0, n_t))
    out = core._operate(
        st, stack, grid, av, dem, None, lng_av, None, with_price=False, stor=(ch_w, dis_w)
    )
    assert out.dis[0, 0, 2] == pytest.approx(30.0, abs=1e-6)  # 20 MW in a, 10 MW to b
    assert screen.feasible(st, out, dem).all()  # every step balances


def _pair(need, pcap, dur, windows, valid, eff=1.0):
    """:func:`screen.pair_regions` on one sample, one store per region of ``need`` (R, T)."""
    from energy_sim.operation import screen

    need = np.asarray(need, float)[None].copy()
    n_r, n_t = need.shape[1:]
    one = np.ones(n_r)
    ch, dis = screen.pair_regions(
        need, np.arange(n_r, dtype=np.int64), np.arange(n_r, dtype=np.int64),
        np.asarray(pcap, float) * one, np.asarray(dur, float) * one, eff * one, eff * one,
        np.ones(n_t), windows, valid,
    )  # fmt: skip
    return ch[0], dis[0], need[0]


def test_screen_storage_shaves_the_window_peak_flat():
    """One window of six steps, need 0 10 50 100 90 20 MW, a 50 MW store of 1.2 h, no losses.

    The pairs charge 50 MW at the lowest step (need 0) and 10 MW (the 0.2 h left) at the
    next (10): 60 MWh. They come back flat-topped over the steps not charged: 35 MW at the
    100 MW step and 25 MW at the 90 MW step, both left at 65 MW (``U = 65``:
    ``min(50, 100-65) + min(50, 90-65) = 60``), instead of 50 + 10 that left 50 and 80."""
    windows = np.arange(6, dtype=np.int64).reshape(1, 1, 6)
    valid = np.ones((1, 1, 6), np.bool_)
    ch, dis, left = _pair([[0, 10, 50, 100, 90, 20]], 50.0, 1.2, windows, valid)
    np.testing.assert_allclose(ch[0], [50, 10, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(dis[0], [0, 0, 0, 35, 25, 0], atol=1e-12)
    np.testing.assert_allclose(left[0], [50, 20, 50, 65, 65, 20], atol=1e-12)


def test_screen_flat_top_caps_each_step_at_the_store_power():
    """A 10 MW store of 3 h over need 0 0 0 100 40 MW: two pairs (the third lowest step has no
    partner above the middle) store 20 MWh, which come back under the 10 MW cap as 10 MW at
    each of the two top steps (level ``U = 30``: ``min(10, 100-30) + min(10, 40-30) = 20``)."""
    windows = np.arange(5, dtype=np.int64).reshape(1, 1, 5)
    valid = np.ones((1, 1, 5), np.bool_)
    ch, dis, _ = _pair([[0, 0, 0, 100, 40]], 10.0, 3.0, windows, valid)
    np.testing.assert_allclose(ch[0], [10, 10, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(dis[0], [0, 0, 0, 10, 10], atol=1e-12)


def test_screen_storage_window_starts_at_each_regions_own_low():
    """Two days, two regions: ``a`` (the larger) needs 400 MW at night and -400 MW in its
    solar hours 7-17, ``b`` 100 MW at 12-16 and -100 MW at 0-4. The system's daily cycle is
    lowest at 7, ``a``'s at 7, ``b``'s at 16. On windows from 7, ``b``'s store would discharge
    at midday before its night charge (state of charge -100 MWh, which the exact step then
    takes away); on its own windows from 16 it charges first and never goes below zero."""
    from energy_sim.operation import screen, storage

    h = np.arange(48) % 24
    a = np.where((h >= 7) & (h < 17), -400.0, 400.0)
    b = np.where((h >= 12) & (h < 16), 100.0, 0.0) + np.where(h < 4, -100.0, 0.0)
    need = np.stack([a, b])
    assert storage.day_start(need[None], 24) == 7
    windows, valid = screen._region_windows(need[None], 24)
    np.testing.assert_array_equal(windows[:, 1, 0], [7, 16])  # first whole window of each
    assert valid.sum(axis=(1, 2)).tolist() == [48, 48]
    ch, dis, _ = _pair(need, 50.0, 2.0, windows, valid)
    np.testing.assert_allclose(dis.sum(axis=1), [200.0, 200.0])
    assert np.cumsum(ch - dis, axis=1).min() >= -1e-9
    shared, ok, _ = storage._windows(48, 24, 7)
    ch, dis, _ = _pair(need, 50.0, 2.0, np.stack([shared, shared]), np.stack([ok, ok]))
    assert np.cumsum(ch - dis, axis=1)[1].min() == pytest.approx(-100.0)
