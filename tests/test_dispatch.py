"""The numpy dispatch core on systems small enough to solve by hand, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest
from factory import corridor, gen, hub, store, synthetic_system, tiny_system

from energy_sim.errors import InputError
from energy_sim.operation import dispatch
from energy_sim.planning.results import check_invariants


def one(res, var):
    return res[var].isel(sample=0).values


def test_merit_order_single_region():
    s = tiny_system(
        gens=[gen("north", "ocgt", cap0=100, mc=80), gen("north", "coal", cap0=100, mc=30)],
        demand=[50, 150, 250],
        weight=1.0,
    )
    r = dispatch(s)
    g = one(r, "generation_mw")
    assert g.tolist() == [[0, 50, 100], [50, 100, 100]]
    assert one(r, "shed_mw").tolist() == [[0, 0, 50]]
    cost = one(r, "cost_usd")
    assert cost[0] == pytest.approx(80 * 150 + 30 * 250)
    assert cost[1] == pytest.approx(10_000 * 50)
    assert one(r, "loss_of_load_hours").tolist() == [1.0]
    assert one(r, "peak_shed_mw").tolist() == [50.0]
    assert r.attrs["kind"] == "dispatch"
    assert check_invariants(s, r) == []


def test_two_regions_losses_and_limit():
    s = tiny_system(
        regions=["a", "b"],
        gens=[gen("a", "coal", cap0=100, mc=30), gen("b", "ocgt", cap0=100, mc=80)],
        corridors=[corridor("a", "b", fcap0=50, eta=0.9)],
        demand=[[50, 60], [80, 120]],
        weight=1.0,
    )
    r = dispatch(s)
    # hour 0: a sends its spare 50 (limit), b receives 45; hour 1: a sends 40, b gets 36
    np.testing.assert_allclose(one(r, "flow_fwd_mw"), [[50, 40]])
    np.testing.assert_allclose(one(r, "generation_mw"), [[100, 100], [35, 84]])
    assert one(r, "corridor_loss_mwh")[0] == pytest.approx(0.1 * 90)
    # one more MW in a (coal full): a exports 1 MW less, b's OCGT makes up the 0.9 MW: 0.9 * 80
    np.testing.assert_allclose(one(r, "price_usd_per_mwh"), [[72, 72], [80, 80]])
    assert check_invariants(s, r) == []


def test_no_flow_when_losses_outweigh_the_price_gap():
    s = tiny_system(
        regions=["a", "b"],
        gens=[gen("a", "coal", cap0=100, mc=30), gen("b", "coal", cap0=100, mc=31)],
        corridors=[corridor("a", "b", fcap0=50, eta=0.95)],
        demand=[[10], [50]],
    )
    r = dispatch(s)
    assert one(r, "flow_fwd_mw").sum() == 0.0  # 30/0.95 > 31


def test_relay_through_a_region_at_a_block_boundary():
    # b sits exactly at the end of its cheap block; a's coal must reach c through b
    s = tiny_system(
        regions=["a", "b", "c"],
        gens=[
            gen("a", "coal", cap0=300, mc=20),
            gen("b", "coal", cap0=100, mc=20),
            gen("b", "ocgt", cap0=100, mc=70),
            gen("c", "ocgt", cap0=200, mc=70),
        ],
        corridors=[
            corridor("a", "b", fcap0=500, eta=0.99),
            corridor("b", "c", fcap0=500, eta=0.99),
        ],
        demand=[[0], [100], [100]],
    )
    r = dispatch(s)
    g = one(r, "generation_mw")[:, 0]
    assert g[3] == pytest.approx(0.0, abs=1e-6)  # c's OCGT displaced
    assert check_invariants(s, r) == []


def test_shed_is_what_supply_cannot_cover_everywhere():
    s = tiny_system(
        regions=["a", "b"],
        gens=[gen("a", "coal", cap0=100, mc=30), gen("b", "coal", cap0=50, mc=30)],
        corridors=[corridor("a", "b", fcap0=1000, eta=0.9)],
        demand=[[100], [100]],
    )
    r = dispatch(s)
    shed = one(r, "shed_mw")[:, 0]
    # nothing to spare in a: b sheds its own gap, no power is wasted in losses
    assert shed.tolist() == pytest.approx([0.0, 50.0])


def test_hydro_budget_shaves_the_peak():
    demand = np.array([100.0, 200.0, 300.0, 200.0])
    s = tiny_system(
        gens=[
            gen("north", "hydro_reservoir", cap0=150, mc=0, cf_month=150 / (150 * 4)),
            gen("north", "coal", cap0=400, mc=40),
        ],
        demand=demand,
        weight=1.0,
    )
    # budget 150 MWh in a 4-step month: level L with sum (D - L)+ = 150 -> L = 183.33
    r = dispatch(s)
    h = one(r, "generation_mw")[0]
    np.testing.assert_allclose(h, [0, 50 / 3, 350 / 3, 50 / 3], atol=1e-4)
    assert h.sum() == pytest.approx(150.0, rel=1e-6)
    coal = one(r, "generation_mw")[1]
    assert coal.max() == pytest.approx(550 / 3, rel=1e-6)  # flat top at the water level
    assert check_invariants(s, r) == []


def test_storage_arbitrage_and_soc_limits():
    hours = 48
    t = np.arange(hours)
    demand = 100 + 80 * (t % 24 >= 17) * (t % 24 < 21)
    s = tiny_system(
        gens=[gen("north", "coal", cap0=150, mc=30), gen("north", "ocgt", cap0=200, mc=120)],
        storage=[store("north", "battery_4h", pcap0=20, dur=4, eff_c=0.95, eff_d=0.95, loss=1e-4)],
        demand=demand,
        weight=1.0,
    )
    r = dispatch(s)
    assert check_invariants(s, r) == []
    ch, dis, soc = one(r, "charge_mw")[0], one(r, "discharge_mw")[0], one(r, "soc_mwh")[0]
    assert dis.sum() > 0 and ch.sum() > 0
    assert soc.max() <= 80 + 1e-9
    assert not np.any((ch > 0) & (dis > 0))
    no_store = dispatch(s.assign(pcap0_mw=s["pcap0_mw"] * 0))
    assert one(r, "cost_usd")[0] < one(no_store, "cost_usd")[0]


def test_lng_disruption_uses_tank_then_sheds():
    steps = 24
    av = np.ones(steps)
    av[6:18] = 0.0  # 12-hour disruption
    s = tiny_system(
        gens=[
            gen("north", "ccgt_lng", cap0=100, mc=60, eff=0.5, hub="h"),
            gen("north", "oil", cap0=20, mc=200),
        ],
        hubs=[hub("h", "north", regas=400, tank0=1000, reserve_days=0.0, avail=av)],
        demand=100.0,
        steps=steps,
        weight=1.0,
    )
    r = dispatch(s)
    assert check_invariants(s, r) == []
    inv = one(r, "lng_inventory_mwh_th")[0]
    assert inv.min() >= -1e-9
    # 1000 MWh_th = 500 MWh_e of LNG power in the window; oil gives 20 MW x 12 h
    shed = one(r, "unserved_energy_mwh")[0]
    assert shed == pytest.approx(12 * 100 - 500 - 240, rel=1e-6)


def test_strategic_reserve_holds_outside_windows():
    steps = 48
    s = tiny_system(
        gens=[gen("north", "ccgt_lng", cap0=100, mc=60, eff=0.5, hub="h")],
        hubs=[hub("h", "north", regas=150, tank0=5000, reserve_days=1.0)],
        demand=100.0,
        steps=steps,
        weight=1.0,
    )
    # burn 200 MW_th, send-out 150: the tank drains to the reserve (24*200 = 4800) then sheds
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert one(r, "lng_inventory_mwh_th")[0].min() >= 4800 - 1e-6
    assert one(r, "unserved_energy_mwh")[0] > 0


def test_samples_broadcast_and_draws():
    s = tiny_system(
        gens=[gen("north", "coal", cap0=100, mc=30), gen("north", "ocgt", cap0=50, mc=90)],
        demand=[120.0, 130.0],
        weight=1.0,
    )
    av = np.ones((3, 2, 2))
    av[1, 0, :] = 0.5  # half the coal out in sample 1
    dem = np.full((3, 1, 2), 120.0)
    dem[2] = 200.0
    r = dispatch(s, samples=3, availability=av, demand=dem, chunk_size=2)
    assert r.sizes["sample"] == 3
    un = r["unserved_energy_mwh"].sum("region").values
    assert un.tolist() == pytest.approx([0.0, 2 * 20.0, 2 * 50.0])
    q = dispatch(s, samples=3, availability=av, demand=dem, keep_hourly=False)
    assert "generation_mw" not in q
    np.testing.assert_allclose(q["cost_usd"].values, r["cost_usd"].values)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"availability": np.ones((2, 5, 2))}, "availability"),
        ({"demand": np.ones((2, 1, 3))}, "demand"),
        ({"samples": 0}, "samples"),
    ],
)
def test_bad_draws_are_input_errors(kw, field):
    s = tiny_system(gens=[gen("north", "coal", cap0=100, mc=30)], demand=[1.0, 2.0])
    with pytest.raises(InputError) as err:
        dispatch(s, samples=kw.pop("samples", 2), **kw)
    assert err.value.field == field


def test_synthetic_system_invariants_with_outages():
    s = synthetic_system(steps=24 * 7, seed=3)
    rng = np.random.default_rng(0)
    av = (rng.random((4, s.sizes["gen"], s.sizes["time"])) > 0.1).astype(float)
    r = dispatch(s, samples=4, availability=av)
    assert check_invariants(s, r) == []
    assert r.attrs["unconverged_cells"] == 0
    # losing units never makes a sample cheaper than the intact system
    base = dispatch(s)
    assert (
        r["cost_usd"].sum("cost_component") >= base["cost_usd"].sum("cost_component")[0] - 1
    ).all()


def test_cli_missing_plan_is_one_line_exit_2(tmp_path):
    from typer.testing import CliRunner

    from energy_sim.cli import app

    res = CliRunner().invoke(
        app, ["dispatch", "scenarios/pdp8_2030.yaml", "--plan", str(tmp_path / "nope.nc")]
    )
    assert res.exit_code == 2
    assert "plan file not found" in res.output
    assert not (tmp_path / "dispatch.nc").exists()


@pytest.mark.slow
def test_cli_dispatch_writes_and_summarises(tmp_path):
    import xarray as xr
    from typer.testing import CliRunner

    from energy_sim.cli import app

    res = CliRunner().invoke(
        app, ["dispatch", "scenarios/pdp8_2030.yaml", "--out", str(tmp_path), "--quiet"]
    )
    assert res.exit_code == 0, res.output
    assert "operating cost" in res.output and "corridor" in res.output
    with xr.open_dataset(tmp_path / "dispatch.nc") as ds:
        assert ds.attrs["kind"] == "dispatch"
        assert ds.sizes["time"] == 8760
        assert float(ds["generation_mwh"].sum()) > 0


def test_resampled_steps_keep_every_limit():
    """Chronological 3-hour steps (dt=3): budgets, storage and LNG use w*dt and dt."""
    steps = 8 * 14
    t = np.arange(steps)
    load = 800 + 300 * np.sin((t % 8) / 8 * 2 * np.pi)
    s = tiny_system(
        regions=["a", "b"],
        gens=[
            gen("a", "hydro_reservoir", cap0=300, cf_month=0.4),
            gen("a", "coal", cap0=500, mc=35),
            gen("b", "ccgt_lng", cap0=600, mc=80, eff=0.55, hub="h"),
            gen("b", "oil", cap0=100, mc=180),
        ],
        storage=[store("b", "battery_4h", pcap0=100, dur=4, eff_c=0.95, eff_d=0.95)],
        corridors=[corridor("a", "b", fcap0=250, eta=0.97)],
        hubs=[hub("h", "b", regas=900, tank0=9000, reserve_days=0.2)],
        demand=np.vstack([0.5 * load, load]),
        dt=3.0,
        weight=1.0,
    )
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert r["generation_mwh"].isel(sample=0).sum() > 0


def test_core_imports_no_pyomo():
    import subprocess
    import sys

    code = (
        "import sys, energy_sim.operation; print(any(m.startswith('pyomo') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _soc_loop(cw, dw, pcap, dur, eff_c, eff_d, loss, dt, s0):
    """Reference: the clipped state-of-charge recursion step by step from ``s0`` (S, St)."""
    cap = dur * pcap
    soc = np.empty_like(cw)
    prev = s0
    for t in range(cw.shape[2]):
        kept = prev * (1.0 - loss) ** dt[t]
        d = np.minimum(dw[:, :, t], kept * eff_d / dt[t])
        room = (cap - kept) / (eff_c * dt[t]) + d / (eff_c * eff_d)
        c = np.clip(np.minimum(cw[:, :, t], room), 0.0, pcap)
        prev = soc[:, :, t] = np.clip(kept + dt[t] * (eff_c * c - d / eff_d), 0.0, cap)
    return soc


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_storage_scan_equals_the_step_loop_and_closes_the_cycle(seed):
    from energy_sim.operation.storage import simulate

    rng = np.random.default_rng(seed)
    n_s, n_st, n_t = 3, 2, 200
    pcap = rng.uniform(1, 100, n_st)
    dur = np.array([2.0, 8.0])
    eff_c, eff_d = rng.uniform(0.8, 1, n_st), rng.uniform(0.8, 1, n_st)
    loss = np.array([0.0, 1e-3]) if seed % 2 else np.zeros(n_st)
    dt = np.ones(n_t)
    cw = (
        np.where(rng.random((n_s, n_st, n_t)) < 0.3, rng.random((n_s, n_st, n_t)), 0)
        * 2
        * pcap[:, None]
    )
    dw = (
        np.where(rng.random((n_s, n_st, n_t)) < 0.3, rng.random((n_s, n_st, n_t)), 0)
        * pcap[:, None]
    )
    ch, dis, soc = simulate(cw, dw, pcap, dur, eff_c, eff_d, loss, dt, np.zeros(n_t, int))
    ref = _soc_loop(cw, dw, pcap, dur, eff_c, eff_d, loss, dt, soc[:, :, -1])
    assert np.abs(soc - ref).max() <= 1e-8 * pcap.max()
    assert (ch <= pcap[:, None] + 1e-9).all() and (ch >= 0).all() and (dis >= 0).all()
    assert (soc <= (dur * pcap)[:, None] + 1e-9).all() and (soc >= 0).all()


def test_level_a_rounding_residue_past_a_block_edge_still_imports():
    # b's demand ends 2e-13 MW into its gas block: that sliver must not make gas the marginal
    # block with no room to back down (which left every import path unused)
    from energy_sim.operation import network

    grid = network.Grid.build(2, [0], [1], [0.95])
    cum = np.array([[[100.0, 100.0, 100.0]], [[50.0, 100.0, 150.0 + 2e-13]]]).reshape(1, 2, 3)
    cost = np.array([[0.0, 0.0, 1e4], [10.0, 60.0, 1e4]])
    demand = np.array([[0.0, 50.0 + 2e-13]])
    x, flow, left = network.solve_cells(cum, cost, demand, np.array([500.0]), grid)
    assert left == 0
    assert flow[0, 0] == pytest.approx(50.0 / 0.95, rel=1e-9)  # b's coal displaced too
    assert x[0, 1] == pytest.approx(0.0, abs=1e-6)
    assert x[0, 0] == pytest.approx(50.0 / 0.95, rel=1e-9)


def _day_zone(high_need: float, p_low: float = 10.0, p_high: float = 50.0):
    """One day, one zone: 100 MW at p_low, 100 MW more at p_high, then shedding; need 50 MW
    for 12 hours and ``high_need`` for 12."""
    supply = np.tile(np.array([100.0, 200.0, 1e9]), (1, 24, 1))
    need = np.r_[np.full(12, 50.0), np.full(12, high_need)][None]
    return supply, need, np.array([p_low, p_high, 1e4])


def test_zone_storage_cycles_to_its_energy_limit_when_the_spread_pays():
    from energy_sim.operation import storage

    supply, need, levels = _day_zone(150.0)
    c, d = storage.zone_schedule(supply, need, levels, 20.0, 4.0, 0.9, 0.9, np.ones(24))
    # 50*0.81 > 10: the day moves eff_d*dur*P = 72 MWh out, flat over the 12 dear hours
    assert d[0, 12:] == pytest.approx(np.full(12, 6.0), rel=1e-9)
    assert c[0, :12] == pytest.approx(np.full(12, 72.0 / 0.81 / 12), rel=1e-9)
    assert d[0, :12].sum() == 0.0 and c[0, 12:].sum() == 0.0


def test_zone_storage_stops_where_its_own_output_removes_the_spread():
    from energy_sim.operation import storage

    supply, need, levels = _day_zone(105.0)
    c, d = storage.zone_schedule(supply, need, levels, 20.0, 4.0, 0.9, 0.9, np.ones(24))
    # only the 5 MW above the cheap level pay: below it the price is 10 at both ends
    assert d[0, 12:] == pytest.approx(np.full(12, 5.0), rel=1e-9)
    assert c.sum() * 0.81 == pytest.approx(60.0, rel=1e-9)
    supply, need, levels = _day_zone(150.0, p_low=10.0, p_high=11.0)
    c, d = storage.zone_schedule(supply, need, levels, 20.0, 4.0, 0.9, 0.9, np.ones(24))
    assert c.sum() == 0.0 and d.sum() == 0.0  # 11*0.81 < 10: losses eat the spread


def test_storage_days_start_where_the_state_of_charge_is_lowest():
    # a peak across midnight (steps 20-3): C_h = cumsum(m - mean) peaks at step 3, so the
    # windows run 4 -> 4 and each one's charge (4-19) comes before its discharge (20-27);
    # windows from midnight would pair step 0-3's discharge with charge that comes after it
    from energy_sim.operation import storage

    day = np.where((np.arange(24) < 4) | (np.arange(24) >= 20), 150.0, 50.0)
    need = np.tile(day, 2)[None]
    assert storage.day_start(need, 24) == 4
    supply = np.tile(np.array([100.0, 200.0, 1e9]), (1, 48, 1))
    levels = np.array([10.0, 50.0, 1e4])
    c, d = storage.zone_schedule(supply, need, levels, 20.0, 4.0, 0.9, 0.9, np.ones(48))
    assert d[0, :4].sum() == 0.0 and c[0, :4].sum() == 0.0  # a window with nothing to charge
    # the full window: eff_d*dur*P = 72 MWh out, flat over its 8 dear steps, charged before
    assert d[0, 20:28] == pytest.approx(np.full(8, 9.0), rel=1e-9)
    assert c[0, 4:20] == pytest.approx(np.full(16, 72.0 / 0.81 / 16), rel=1e-9)
    flat = np.tile(np.r_[np.full(12, 50.0), np.full(12, 150.0)], 2)[None]
    assert storage.day_start(flat, 24) == 0


def _two_lng_days(other: dict, day2_mw: float, **hub_kw):
    """Two days in the North: 100 MW of LNG (50 USD/MWh, efficiency 1, hub ``h`` with
    ``hub_kw``, a 1e6 MWh_th tank, no reserve) and ``other``; demand 100 MW on day 1 and
    ``day2_mw`` on day 2. Operated by the core; invariants and zero shed asserted. Returns the
    Results and the generation (group, time)."""
    s = tiny_system(
        gens=[gen("north", "ccgt_lng", cap0=100, mc=50, eff=1.0, hub="h"), other],
        hubs=[hub("h", "north", tank0=1e6, reserve_days=0.0, **hub_kw)],
        demand=np.r_[np.full(24, 100.0), np.full(24, day2_mw)][None],
        weight=1.0,
    )
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert one(r, "unserved_energy_mwh").sum() == pytest.approx(0.0, abs=1e-6)
    return r, one(r, "generation_mw")


def test_lng_contract_is_spent_where_lng_is_hardest_to_replace():
    # LNG (50 USD/MWh) is cheaper than coal (60) all day, but the contract carries only 1,200
    # MWh: burnt greedily on day 1 it would leave day 2's 50 MW above the coal unserved
    r, g = _two_lng_days(gen("north", "coal", cap0=100, mc=60), 150.0, regas=400, contract=1200.0)
    assert g[0, 24:] == pytest.approx(np.full(24, 50.0), rel=1e-9)  # day 2 keeps its LNG
    assert g[1, :24] == pytest.approx(np.full(24, 100.0), rel=1e-9)  # coal takes day 1
    lp_cost = 24 * 100 * 60 + 24 * (50 * 50 + 100 * 60)
    assert float(r["cost_usd"].sum()) == pytest.approx(lp_cost, rel=1e-9)


def test_contract_allocation_cuts_where_the_spare_room_is():
    from energy_sim.operation import lng

    burn = np.array([[[100.0, 100.0, 50.0, 50.0]]])
    spare = np.array([[[100.0, 40.0, 0.0, 0.0]]])
    keep = lng.contract_allocation(burn, spare, np.array([200.0]), np.ones(4))
    # excess 100: cut = min(burn, max(0, spare - L)) with L = 20 -> 80 + 20
    assert keep[0, 0] == pytest.approx([0.2, 0.8, 1.0, 1.0], rel=1e-9)
    keep = lng.contract_allocation(burn, spare, np.array([np.inf]), np.ones(4))
    assert (keep == 1.0).all()


def test_tank_allocation_cuts_at_one_level_until_the_tank_carries_the_rest():
    from energy_sim.operation import lng

    # send-out 10 MW_th every hour, a large tank: the cycle carries 60 MWh_th of the 100
    # wished, so 40 must go. The spare room (40, 20 MW_th in the first two hours) takes 20
    # of it; the level goes below zero, L = -5: cut = min(burn, spare + 5) = 10, 10, 5, 5, 5, 5
    burn = np.array([[[10.0, 10.0, 10.0, 10.0, 30.0, 30.0]]])
    spare = np.array([[[40.0, 20.0, 0.0, 0.0, 0.0, 0.0]]])
    smax = np.full_like(burn, 10.0)
    floor = np.zeros_like(burn)
    one = np.ones(6)
    keep, needed = lng.tank_allocation(
        burn, spare, smax, floor, np.array([100.0]), np.array([np.inf]), one, one
    )
    # to the stores' tolerance: a step is short when it burns 1e-6 of its burn more than allowed
    assert keep[0, 0] == pytest.approx([0.0, 0.0, 0.5, 0.5, 25 / 30, 25 / 30], abs=1e-5)
    assert needed.all()  # the greedy tank never fills: every step feeds the short ones
    # with 10 MW_th of open-cycle burn in the last two hours, the 20 beyond the spare room
    # come out of it first: 10 + 10, nothing from hours 2 and 3
    keep, _ = lng.tank_allocation(
        burn, spare, smax, floor, np.array([100.0]), np.array([np.inf]), one, one,
        burn_low=np.array([[[0.0, 0.0, 0.0, 0.0, 10.0, 10.0]]]),
    )  # fmt: skip
    assert keep[0, 0] == pytest.approx([0.0, 0.0, 1.0, 1.0, 2 / 3, 2 / 3], abs=1e-5)
    ok, _, _ = lng.cyclic_inventory(
        burn * keep, smax, floor, np.array([100.0]), np.array([np.inf]), one, one
    )
    assert not lng.short_steps(ok, burn * keep).any()
    # a tank that carries the wished burn keeps all of it
    keep, needed = lng.tank_allocation(
        burn / 2, spare, smax, floor, np.array([100.0]), np.array([np.inf]), one, one
    )
    assert (keep == 1.0).all() and not needed.any()


def test_tank_allocation_moves_only_the_short_hubs_of_each_sample():
    from energy_sim.operation import lng

    # the hand-computed tank of the test above as hub 1 of sample 0 and hub 0 of sample 1,
    # beside hubs that carry their burn (half of it): those keep all of it, the short ones
    # the same shares as alone (the allocation runs on the short pairs only)
    burn1 = np.array([10.0, 10.0, 10.0, 10.0, 30.0, 30.0])
    burn = np.stack([np.stack([burn1 / 2, burn1]), np.stack([burn1, burn1 / 2])])
    spare = np.broadcast_to(np.array([40.0, 20.0, 0.0, 0.0, 0.0, 0.0]), burn.shape).copy()
    smax = np.full_like(burn, 10.0)
    one = np.ones(6)
    keep, needed = lng.tank_allocation(
        burn, spare, smax, np.zeros_like(burn), np.full(2, 100.0), np.full(2, np.inf), one, one
    )
    alone = [0.0, 0.0, 0.5, 0.5, 25 / 30, 25 / 30]
    assert keep[0, 1] == pytest.approx(alone, abs=1e-5)
    assert keep[1, 0] == pytest.approx(alone, abs=1e-5)
    assert (keep[0, 0] == 1.0).all() and (keep[1, 1] == 1.0).all()
    assert needed[0, 1].all() and needed[1, 0].all()
    assert not needed[0, 0].any() and not needed[1, 1].any()


def test_storage_sees_no_lng_supply_where_a_short_tank_needs_it_later():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _scarce_supply

    # coal 100 MW at 30, LNG 200 MW at 80 (hub 0), oil 50 MW at 200; the hub's LNG is needed
    # later at the second step: there the supply up to 80 USD/MWh is the coal alone
    st = SimpleNamespace(
        regions=["n"], gen_region=np.zeros(3, int), mc=np.array([30.0, 80.0, 200.0]),
        is_res=np.zeros(3, bool), hub_of=np.array([-1, 0, -1]), voll=1e4,
    )  # fmt: skip
    av = np.tile(np.array([100.0, 200.0, 50.0]), (1, 2, 1))
    scarce = np.array([[[False, True]]])
    levels, cum = _scarce_supply(st, av, scarce, None)
    assert levels == pytest.approx([30.0, 80.0, 200.0, 1e4])
    assert cum[0, 0, 0, :3] == pytest.approx([100.0, 300.0, 350.0])
    assert cum[0, 1, 0, :3] == pytest.approx([100.0, 100.0, 150.0])
    assert _scarce_supply(st, av, scarce & False, "as before") == "as before"


def test_a_short_hub_gives_up_its_least_efficient_burn_first():
    from types import SimpleNamespace

    from energy_sim.operation.core import _least_efficient_first, _less_efficient

    # one hub: a combined cycle (eff 0.5) and an open cycle (eff 0.25) burning 200 MW_th each
    st = SimpleNamespace(eff=np.array([0.5, 0.25, 0.4]), hub_of=np.array([0, 0, -1]))
    gen = np.array([[100.0, 50.0, 80.0], [100.0, 50.0, 80.0]])
    share = _least_efficient_first(st, gen, np.array([0, 1]), np.array([[0.25], [0.75]]))
    # 100 MW_th out of the open cycle alone; 300: all of the open cycle, half the combined
    assert share == pytest.approx(np.array([[1.0, 0.5], [0.5, 0.0]]), rel=1e-12)
    # the open cycle is below its hub's best efficiency; the coal group feeds no hub
    st.regas = np.array([1.0])
    assert _less_efficient(st)[:, 0].tolist() == [0.0, 1.0, 0.0]


def test_the_room_to_replace_lng_is_counted_at_the_heat_rate_of_the_burn_given_up():
    from types import SimpleNamespace

    from energy_sim.operation.core import _lng_spare

    # region a: hub 0 with a combined cycle (eff 0.6) at 300 MW and an open cycle (eff 0.4)
    # at 100 MW, coal with 50 MW spare; region b: coal with 200 MW spare behind a corridor
    # (eta 0.9) with 100 MW of room towards a. Room in a: 50 + 0.9*100 = 140 MW.
    st = SimpleNamespace(
        regions=["a", "b"], mc=np.array([80.0, 120.0, 30.0, 30.0]),
        gen_region=np.array([0, 0, 0, 1]), hub_of=np.array([0, 0, -1, -1]),
        eff=np.array([0.6, 0.4, 0.35, 0.35]), frm=np.array([1]), to=np.array([0]),
        fcap=np.array([300.0]), eta=np.array([0.9]), hub_region=np.array([0]),
        regas=np.array([1e4]),
    )  # fmt: skip
    av = np.array([[400.0, 200.0, 150.0, 400.0]])
    gen = np.array([[300.0, 100.0, 100.0, 200.0]])
    flow = np.array([[200.0]])  # b -> a
    sp = _lng_spare(st, av, gen, flow, 1, 1)
    # out of the open cycle first: its 100 MW (250 MW_th), then 40 MW of the combined cycle
    assert sp[0, 0, 0] == pytest.approx(100 / 0.4 + 40 / 0.6, rel=1e-12)
    # shared in proportion: the cell's burn per MW, (500 + 250) / 400
    sp = _lng_spare(st, av, gen, flow, 1, 1, least_efficient_first=False)
    assert sp[0, 0, 0] == pytest.approx(140 * 750 / 400, rel=1e-12)
    # more room than the hub's output: the rest at the best efficiency
    sp = _lng_spare(st, av, np.array([[0.0, 50.0, 100.0, 200.0]]), flow, 1, 1)
    assert sp[0, 0, 0] == pytest.approx(50 / 0.4 + 90 / 0.6, rel=1e-12)


def test_a_send_out_limited_hub_keeps_its_lng_for_the_day_nothing_else_can_serve():
    # LNG (50 USD/MWh, 100 MW) and oil (200 USD/MWh, 100 MW); the hub sends out 60 MW_th, so
    # the two days carry 2,880 MWh_th. Day 2 needs 200 MW: all the LNG and all the oil. The LP
    # burns 100 MW of LNG on day 2 and the rest, 480 MWh (20 MW), on day 1 (oil 80 MW); burnt
    # at merit order from hour 0 the tank would be empty on day 2 and the North would shed.
    r, g = _two_lng_days(gen("north", "oil", cap0=100, mc=200), 200.0, regas=60)
    # to the stores' tolerance (a step is short when it burns 1e-6 of its burn too much)
    assert g[0] == pytest.approx(np.r_[np.full(24, 20.0), np.full(24, 100.0)], rel=1e-5)
    lp_cost = 24 * (20 * 50 + 80 * 200) + 24 * (100 * 50 + 100 * 200)
    assert float(r["cost_usd"].sum()) == pytest.approx(lp_cost, rel=1e-5)


def test_zone_storage_with_little_energy_shaves_only_the_top_hours():
    from energy_sim.operation import storage

    # levels 10 / 50 / 80 USD/MWh up to 100 / 200 / 300 MW; four dear hours at 290-230 MW
    supply = np.tile(np.array([100.0, 200.0, 300.0, 1e9]), (1, 24, 1))
    need = np.full((1, 24), 50.0)
    need[0, 16:20] = [290.0, 270.0, 250.0, 230.0]
    levels = np.array([10.0, 50.0, 80.0, 1e4])
    c, d = storage.zone_schedule(supply, need, levels, 50.0, 1.0, 1.0, 1.0, np.ones(24))
    # 50 MWh out (one hour at full power): shaved flat from the top, 290 and 270 down to 255
    assert d[0, 16:20] == pytest.approx([35.0, 15.0, 0.0, 0.0], abs=1e-3)
    assert d.sum() == pytest.approx(50.0, rel=1e-9) and c.sum() == pytest.approx(50.0, rel=1e-9)


def test_storage_repair_discharges_into_the_shed_and_charges_it_back_where_supply_is_spare():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _repair_storage

    # one region, one day of four 6-hour steps: solar 100 MW in the first two, coal 100 MW at
    # 30 USD/MWh, demand 50, 50, 200, 150; a 50 MW store (efficiency 1) and 30 MW shed at the
    # third step. Sample 0: the store idle; it discharges 30 there and charges the 180 MWh
    # back at the two steps of lowest net load (-50 each): 15 MW each. Sample 1: it charged
    # 20 MW at the shed step: that stops, 10 more discharge, the same 180 MWh charged back.
    # Sample 2: demand 195 MW in the first two steps, the solar and 95 MW of coal serve it, 5 MW
    # spare each: 60 of the 180 MWh can be charged back, so a third of the 30 MW is added.
    # Sample 3: the store discharged 20 MW at the fourth step, where 20 MW of coal is spare:
    # that discharge moves to the shed (120 MWh), the other 60 MWh are charged back, 5 MW in
    # each of the first two steps.
    st = SimpleNamespace(
        regions=["n"], gen_region=np.zeros(2, int), mc=np.array([0.0, 30.0]),
        is_res=np.zeros(2, bool), hub_of=np.array([-1, -1]), gen_store=np.array([-1, -1]),
        voll=1e4, pcap=np.array([50.0]), dur=np.array([4.0]), eff_c=np.ones(1),
        eff_d=np.ones(1), stor_region=np.zeros(1, int), dt=np.full(4, 6.0),
        frm=np.zeros(0, int), to=np.zeros(0, int), fcap=np.zeros(0),
    )  # fmt: skip
    av = np.tile(np.array([[100.0, 100.0], [100.0, 100.0], [0.0, 100.0], [0.0, 100.0]]), (4, 1, 1))
    dem = np.array([[50.0, 50.0, 200.0, 150.0]] * 2 + [[195.0, 195.0, 200.0, 150.0]])
    dem = np.r_[dem, dem[:1]][..., None]
    coal = np.array([[0, 0, 100, 100], [0, 0, 100, 100], [95, 95, 100, 100], [0, 0, 100, 80.0]])
    best = SimpleNamespace(
        ch=np.array([[[0.0, 0.0, 0.0, 0.0]], [[0.0, 0.0, 20.0, 0.0]], [[0.0] * 4], [[0.0] * 4]]),
        dis=np.array([[[0.0] * 4]] * 3 + [[[0.0, 0.0, 0.0, 20.0]]]),
        soc=np.array(
            [[[0.0] * 4], [[0.0, 0.0, 120.0, 120.0]], [[0.0] * 4], [[120.0, 120.0, 120.0, 0.0]]]
        ),
        gen=np.stack([np.minimum(av[:, :, 0], dem[:, :, 0]), coal], axis=1),
        flow=np.zeros((4, 0, 4)),
    )
    shed = np.zeros((4, 4, 1))
    shed[:, 2, 0] = 30.0
    ch, dis = _repair_storage(st, av, dem, best, shed)
    assert ch[0, 0] == pytest.approx([15.0, 15.0, 0.0, 0.0])
    assert dis[0, 0] == pytest.approx([0.0, 0.0, 30.0, 0.0])
    assert ch[1, 0] == pytest.approx([15.0, 15.0, 0.0, 0.0])
    assert dis[1, 0] == pytest.approx([0.0, 0.0, 10.0, 0.0])
    assert ch[2, 0] == pytest.approx([5.0, 5.0, 0.0, 0.0])
    assert dis[2, 0] == pytest.approx([0.0, 0.0, 10.0, 0.0])
    assert ch[3, 0] == pytest.approx([5.0, 5.0, 0.0, 0.0])
    assert dis[3, 0] == pytest.approx([0.0, 0.0, 30.0, 0.0])


def test_storage_repair_charges_back_before_the_shed_in_its_own_regions_window():
    from types import SimpleNamespace

    from energy_sim.operation import storage
    from energy_sim.operation.passes import _repair_storage

    # two regions without a corridor, two days of four 6-hour steps. Region a's net load
    # 400, -400, -400, 400 MW sets the system's daily cycle (lowest after step 0: windows from
    # step 1). Region b: free supply 100 MW, demand 50, 100, 200, 150 (net load -50, 0, 100,
    # 50: its own cycle is lowest at step 0), coal 100 MW with room at steps 0, 1 and 3, and
    # 30 MW shed at step 2 of each day. Its idle 50 MW, 4-hour store discharges 30 MW there
    # and charges the 180 MWh back at the lowest net load of b's own window [0, 1, 2, 3]:
    # step 0, before the shed. On the system's windows [1, 2, 3, 4] the charge went to step 4,
    # the next day's, after the discharge it was to fund.
    st = SimpleNamespace(
        regions=["a", "b"], gen_region=np.array([0, 0, 1, 1]), mc=np.array([0.0, 30.0, 0.0, 30.0]),
        is_res=np.zeros(4, bool), hub_of=np.full(4, -1), gen_store=np.full(4, -1),
        voll=1e4, pcap=np.array([50.0]), dur=np.array([4.0]), eff_c=np.ones(1),
        eff_d=np.ones(1), stor_region=np.ones(1, int), dt=np.full(8, 6.0),
        frm=np.zeros(0, int), to=np.zeros(0, int), fcap=np.zeros(0),
    )  # fmt: skip
    day = np.array([[0.0, 400.0, 100.0, 100.0], [400.0, 0.0, 100.0, 100.0]] * 2)
    av = np.tile(day, (2, 1))[None]  # (1, 8, G)
    dem = np.tile(np.array([[400.0, 50.0], [0.0, 100.0], [0.0, 200.0], [400.0, 150.0]]), (2, 1))
    dem = dem[None]
    gen = np.tile(
        np.array([[0.0, 400.0, 50.0, 0.0], [400.0, 0.0, 100.0, 0.0], [400.0, 0.0, 100.0, 100.0],
                  [0.0, 400.0, 100.0, 50.0]]), (2, 1)
    ).T[None]  # fmt: skip
    best = SimpleNamespace(
        ch=np.zeros((1, 1, 8)),
        dis=np.zeros((1, 1, 8)),
        soc=np.zeros((1, 1, 8)),
        gen=gen,
        flow=np.zeros((1, 0, 8)),
    )
    shed = np.zeros((1, 8, 2))
    shed[0, [2, 6], 1] = 30.0
    x = dem[0] - np.stack([av[0, :, 0], av[0, :, 2]], axis=1)
    assert storage.day_start(x.sum(axis=1)[None], 4) == 1
    assert storage.day_start(x[:, 1][None], 4) == 0
    ch, dis = _repair_storage(st, av, dem, best, shed)
    assert dis[0, 0] == pytest.approx([0, 0, 30, 0, 0, 0, 30, 0])
    assert ch[0, 0] == pytest.approx([30, 0, 0, 0, 30, 0, 0, 0])


def test_store_is_filled_the_day_before_a_shortage_its_own_day_cannot_fund():
    # one region, two days of hours: coal 120 MW at 30 USD/MWh; demand 100 MW all of day 1,
    # 120 MW on day 2 with 150 MW from 17:00 to 21:00; a 40 MW, 4-hour store (efficiency 1,
    # no loss). Day 2 has no spare coal outside its peak, so the 120 MWh its peak lacks must
    # be charged on day 1 (20 MW spare each hour) and held: nothing is shed and every MWh of
    # demand is served by coal, 5,400 MWh at 30 USD/MWh = 162,000 USD. With daily windows only
    # the core shed 78 MWh.
    t = np.arange(48)
    peak = (t % 24 >= 17) & (t % 24 < 21)
    demand = np.where(t < 24, 100.0, np.where(peak, 150.0, 120.0))
    s = tiny_system(
        gens=[gen("north", "coal", cap0=120, mc=30)],
        storage=[store("north", "battery_4h", pcap0=40, dur=4, eff_c=1.0, eff_d=1.0, loss=0.0)],
        demand=demand,
        weight=1.0,
    )
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert float(r["shed_mw"].sum()) == pytest.approx(0.0, abs=1e-6)
    assert one(r, "cost_usd")[0] == pytest.approx(162_000.0, rel=1e-9)
    assert one(r, "discharge_mw")[0][41:45] == pytest.approx([30.0] * 4)


def test_carry_charges_the_days_before_within_the_stores_headroom():
    from energy_sim.operation.passes import _carry

    # three windows of two 1-hour steps, a 100 MWh store (efficiency 1) short of 50 MWh in
    # window 2; charging room 10 MW in window 1's first step, 30 MW in both of window 0's,
    # whose net load is 5 and 1 MW. Sample 0: state of charge 0, 0 | 20, 60 | 60, 0, so the
    # least headroom is 40 MWh in windows 1 and 2: window 1 gives its 10, window 0 the 30
    # that still fit, at the level L = 18 (13 and 17 MW). Sample 1: 20 MWh more before the
    # peak (20, 20 | 20, 60 | 60, 20): the cycle's floor of 20 MWh can come down, so window 0
    # gives 40 (L = 23: 18 and 22 MW) and the whole 50 is carried.
    soc = np.array(
        [[[0.0, 0.0], [20.0, 60.0], [60.0, 0.0]], [[20.0, 20.0], [20.0, 60.0], [60.0, 20.0]]]
    )
    room = np.broadcast_to(np.array([[30.0, 30.0], [10.0, 0.0], [0.0, 0.0]]), soc.shape)
    x = np.broadcast_to(np.array([[5.0, 1.0], [0.0, 0.0], [0.0, 0.0]]), soc.shape)
    short = np.array([[0.0, 0.0, 50.0]] * 2)
    add, carried = _carry(short, room, 100.0 - soc, 100.0, x, np.ones(soc.shape), 1.0)
    assert add[0] == pytest.approx(np.array([[13.0, 17.0], [10.0, 0.0], [0.0, 0.0]]), abs=1e-6)
    assert add[1] == pytest.approx(np.array([[18.0, 22.0], [10.0, 0.0], [0.0, 0.0]]), abs=1e-6)
    assert carried == pytest.approx(np.array([[0.0, 0.0, 40.0], [0.0, 0.0, 50.0]]), abs=1e-6)


def test_fill_takes_all_the_room_of_a_flat_net_load():
    from energy_sim.operation.passes import _fill

    # 30 MWh over two 1-hour steps of equal net load with 20 MW room each: 15 MW each (a
    # bisection bounded just above the net load took 1 MW each)
    c = _fill(
        np.array([[30.0]]),
        np.full((1, 1, 2), 20.0),
        np.full((1, 1, 2), 5.0),
        np.ones((1, 1, 2)),
        1.0,
    )
    assert c[0, 0] == pytest.approx([15.0, 15.0])


def test_price_vertex_fills_the_dearest_hours_and_moves_a_tied_plateau_as_a_whole():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _price_vertex

    # one basin, four steps of one month, availability 5 MW each (w*dt = 1). Sample 0: water
    # 1+4+2+1 = 8 MWh, prices 10, 30, 20, 30: the two 30s (5 MWh now, room 1+4) carry it,
    # each taking 3/5 of its room: 4.6 and 3.4 MW, 0 elsewhere. Sample 1: 3 MW each
    # (12 MWh), prices 30, 10, 30, 20: the 30s full (10 MWh), the 20 keeps 2 of its 3 MW.
    st = SimpleNamespace(
        month=np.zeros(4, int), wdt=np.ones(4), gen_region=np.zeros(1, int), voll=1e4
    )
    av = np.full((2, 4, 1), 5.0)
    h = np.array([[[1.0, 4.0, 2.0, 1.0]], [[3.0, 3.0, 3.0, 3.0]]])
    price = np.array([[[10.0, 30.0, 20.0, 30.0]], [[30.0, 10.0, 30.0, 20.0]]])
    s = _price_vertex(st, av, h, price, np.array([0]))
    assert s[0, 0] == pytest.approx([0.0, 4.6, 0.0, 3.4])
    assert s[1, 0] == pytest.approx([5.0, 0.0, 5.0, 2.0])
    # a 12 MWh budget: sample 0's 4 unused MWh come back, the 30s full, the 20 keeps its 2 MW
    s = _price_vertex(st, av, h, price, np.array([0]), budget=np.full((2, 1, 12), 12.0))
    assert s[0, 0] == pytest.approx([0.0, 5.0, 2.0, 5.0])
    assert s[1, 0] == pytest.approx([5.0, 0.0, 5.0, 2.0])


def test_pairwise_water_step_moves_the_cheapest_hours_to_the_dearest_only():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _order, _pairwise_targets, _price_vertex

    # one basin, six steps of one month (w*dt = 1), 100 MW available at each, water
    # 50, 50, 50, 20, 10, 10 (190 MWh) at prices 35, 35, 35, 78, 176, 176. The vertex fills
    # the two 176s, a plateau that moves as a whole: 10 + 90*(190 - 20)/(200 - 20) = 95 MW
    # each, so it moves W = 170 MWh (150 from the 35s, 20 from the 78). A pairwise step of
    # 0.1 moves 17 MWh from the cheapest steps to the dearest only: the 35s give 17/3 each,
    # the 176s take 8.5 each, the 78 keeps its 20. The conditional-gradient step of 0.1 takes
    # 2 MW from the 78 as well.
    st = SimpleNamespace(month=np.zeros(6, int), wdt=np.ones(6), gen_region=np.zeros(1, int))
    av = np.full((1, 6, 1), 100.0)
    h = np.array([[[50.0, 50.0, 50.0, 20.0, 10.0, 10.0]]])
    price = np.array([[[35.0, 35.0, 35.0, 78.0, 176.0, 176.0]]])
    orders = [_order(st, price, 0)]
    v = _price_vertex(st, av, h, price, np.array([0]), orders=orders)
    assert v[0, 0] == pytest.approx([0.0, 0.0, 0.0, 0.0, 95.0, 95.0])
    (s,) = _pairwise_targets(st, av, h, np.array([0]), v, (0.1,), orders)
    third = 50.0 - 17.0 / 3.0
    assert s[0, 0] == pytest.approx([third, third, third, 20.0, 18.5, 18.5])
    assert (h + 0.1 * (v - h))[0, 0] == pytest.approx([45.0, 45.0, 45.0, 18.0, 18.5, 18.5])
    # a whole step: the 176s full (180 MWh of room) would need more than W; they take 85
    # each, the 35s give all their 150 and the 78 its 20
    (s,) = _pairwise_targets(st, av, h, np.array([0]), v, (1.0,), orders)
    assert s[0, 0] == pytest.approx([0.0, 0.0, 0.0, 0.0, 95.0, 95.0])


def test_capped_water_step_moves_only_what_the_prices_hold_for():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _capped_targets, _order

    # regions n and s, one lossless corridor n -> s of 300 MW; n's basin (200 MW available)
    # runs 50, 50, 100, 100 MW over four 1-hour steps; in s an LNG plant at 80 USD/MWh runs
    # 490, 490, 500, 500 of 500 MW and oil at 180 runs 0, 0, 30, 200 of 300 MW. Sample 0:
    # both regions at 80, 80, 180, 180: out of steps 0 and 1 only the LNG plant's 10 MW of
    # room each can take over, into steps 2 and 3 at most the oil's 30 and 100 MW can be
    # displaced; the cheaper steps' 20 MWh go to the dearer steps in proportion (4.615 and
    # 15.385 MW). Sample 1: the oil runs 5 MW in steps 2 and 3: 10 MWh move, half of the
    # cheaper steps' room. Sample 2: the corridor is full at step 0, where n's price is 35
    # (s's LNG would take over at 80): only step 1's 10 MWh move.
    st = SimpleNamespace(
        regions=["n", "s"], gen_region=np.array([0, 1, 1]), mc=np.array([0.0, 80.0, 180.0]),
        is_res=np.array([True, False, False]), eta=np.ones(1), frm=np.array([0]),
        to=np.array([1]), fcap=np.array([300.0]), wdt=np.ones(4), month=np.zeros(4, int),
    )  # fmt: skip
    h = np.array([50.0, 50.0, 100.0, 100.0])
    gen = np.tile(np.stack([h, [490.0, 490.0, 500.0, 500.0], [0.0, 0.0, 30.0, 200.0]]), (3, 1, 1))
    gen[1, 2, 2:] = 5.0
    av = np.tile(np.array([200.0, 500.0, 300.0]), (3, 4, 1))
    price = np.tile(np.array([80.0, 80.0, 180.0, 180.0]), (3, 2, 1))
    price[2, 0, 0] = 35.0
    flow = np.zeros((3, 1, 4))
    flow[2, 0, 0] = 300.0
    co = SimpleNamespace(gen=gen, price=price, flow=flow, shed=np.zeros((3, 2, 4)))
    orders = [_order(st, price, 0)]
    (out,) = _capped_targets(st, av, np.tile(h, (3, 1, 1)), np.array([0]), co, orders, (1.0,))
    assert out[0, 0] == pytest.approx([40.0, 40.0, 100.0 + 20 * 30 / 130, 100.0 + 20 * 100 / 130])
    assert out[1, 0] == pytest.approx([45.0, 45.0, 105.0, 105.0])
    assert out[2, 0] == pytest.approx([50.0, 40.0, 100.0 + 10 * 30 / 130, 100.0 + 10 * 100 / 130])


def _joint_case():
    """One region, two days of eight 3-hour steps: a basin (100 MW), coal (100 MW at 30
    USD/MWh), a 40 MW, 4-hour store (efficiency 1). Day 1: demand 50 then 80 and 120 MW, the
    basin runs 30, 30, 30, 30 MW in its last four steps, coal runs 50 MW in the first four
    and 50, 50, 50, 90 in the last (50, 50, 50, 10 MW of room). Day 2: 90 then 150 and 230
    MW, the basin at full power in the last step, 30 MW shed there. Sample 1: the store holds
    130 of its 160 MWh throughout. Returns (st, av, dem, co, basin's output)."""
    from types import SimpleNamespace

    st = SimpleNamespace(
        regions=["n"], gen_region=np.zeros(2, int), mc=np.array([0.0, 30.0]),
        is_res=np.array([True, False]), hub_of=np.full(2, -1), gen_store=np.full(2, -1),
        stor_region=np.zeros(1, int),
        pcap=np.array([40.0]), dur=np.array([4.0]), eff_c=np.ones(1), eff_d=np.ones(1),
        dt=np.full(16, 3.0), wdt=np.full(16, 3.0), month=np.zeros(16, int), eta=np.ones(0),
        frm=np.zeros(0, int), to=np.zeros(0, int), fcap=np.zeros(0), voll=1e4,
    )  # fmt: skip
    day1, day2 = [50.0] * 4 + [80.0] * 3 + [120.0], [90.0] * 4 + [150.0] * 3 + [230.0]
    dem = np.tile(np.array(day1 + day2)[None, :, None], (2, 1, 1))
    hyd_out = np.array([0.0] * 4 + [30.0] * 4 + [0.0] * 4 + [50.0] * 3 + [100.0])
    coal = np.array([50.0] * 7 + [90.0] + [90.0] * 4 + [100.0] * 4)
    shed = np.zeros((2, 1, 16))
    shed[:, 0, 15] = 30.0
    price = np.full((2, 1, 16), 30.0)
    price[:, 0, 12:15], price[:, 0, 15] = 50.0, 1e4
    co = SimpleNamespace(
        gen=np.tile(np.stack([hyd_out, coal])[None], (2, 1, 1)), ch=np.zeros((2, 1, 16)),
        dis=np.zeros((2, 1, 16)), soc=np.stack([np.zeros((1, 16)), np.full((1, 16), 130.0)]),
        flow=np.zeros((2, 0, 16)), shed=shed, price=price,
    )  # fmt: skip
    return st, np.full((2, 16, 2), 100.0), dem, co, hyd_out


def test_joint_step_charges_from_the_basin_before_the_shed_and_takes_the_water_where_coal_can():
    from energy_sim.operation.passes import _joint_targets

    # (_joint_case) The store discharges the 30 MW shed (90 MWh) and charges them in the
    # day's seven steps before, from the basin's room, 40 MW each scaled to 90 of 840 MWh:
    # 4.2857 MW; the 90 MWh of water come out of day 1's steps at 30 USD/MWh, 30% of what
    # coal can take over there (9, 9, 9, 3 MW). Sample 1: 30 MWh fit, a third of it.
    st, av, dem, co, hyd_out = _joint_case()
    ((h, ch, dis),) = _joint_targets(st, av, dem, co, np.array([0]), (1.0,))
    c = 40.0 * 90.0 / 840.0
    assert h[0, 0] == pytest.approx(
        np.r_[[0.0] * 4, [21.0, 21.0, 21.0, 27.0], [c] * 4, [50.0 + c] * 3, [100.0]]
    )
    assert ch[0, 0] == pytest.approx(np.r_[[0.0] * 8, [c] * 7, [0.0]])
    assert dis[0, 0] == pytest.approx(np.r_[[0.0] * 15, [30.0]])
    assert ch[1, 0] == pytest.approx(np.r_[[0.0] * 8, [c / 3] * 7, [0.0]])
    assert dis[1, 0] == pytest.approx(np.r_[[0.0] * 15, [10.0]])
    assert (h[1, 0] - hyd_out).sum() == pytest.approx(0.0, abs=1e-9)


def test_relay_frees_the_joint_steps_water_with_a_cycle_charged_from_coal_on_a_quiet_day():
    from energy_sim.operation.passes import _joint_targets

    # (_joint_case) The same move on day 2, its 90 MWh of water freed on day 1 instead: the
    # window's water is highest from step 4, so the store charges in steps 0-3 from coal's
    # 50 MW of room (40 MW each, 480 MWh) and discharges in steps 4-7 in place of the water
    # (30 MW each, 360 MWh), at most its 160 MWh and the 90 MWh wanted: 7.5 MW in and out,
    # the basin 22.5 MW in steps 4-7. Sample 1: 30 MWh, 2.5 MW.
    st, av, dem, co, hyd_out = _joint_case()
    ((h, ch, dis),) = _joint_targets(st, av, dem, co, np.array([0]), (1.0,), source="relay")
    c = 40.0 * 90.0 / 840.0
    assert h[0, 0] == pytest.approx(np.r_[[0.0] * 4, [22.5] * 4, [c] * 4, [50.0 + c] * 3, [100.0]])
    assert ch[0, 0] == pytest.approx(np.r_[[7.5] * 4, [0.0] * 4, [c] * 7, [0.0]])
    assert dis[0, 0] == pytest.approx(np.r_[[0.0] * 4, [7.5] * 4, [0.0] * 7, [30.0]])
    assert h[1, 0] == pytest.approx(
        np.r_[[0.0] * 4, [27.5] * 4, [c / 3] * 4, [50.0 + c / 3] * 3, [100.0]]
    )
    assert ch[1, 0] == pytest.approx(np.r_[[2.5] * 4, [0.0] * 4, [c / 3] * 7, [0.0]])
    assert dis[1, 0] == pytest.approx(np.r_[[0.0] * 4, [2.5] * 4, [0.0] * 7, [10.0]])
    # the coal burnt from a coal yard (an energy budget of its own): nothing moves
    st.gen_store = np.array([-1, 0])
    ((h, ch, dis),) = _joint_targets(st, av, dem, co, np.array([0]), (1.0,), source="relay")
    assert h == pytest.approx(co.gen[:, :1])
    assert ch == pytest.approx(0.0) and dis == pytest.approx(0.0)
    # no room to charge on day 1 (coal at full power): nothing moves
    st.gen_store = np.full(2, -1)
    co.gen[:, 1, :4] = 100.0
    ((h, ch, dis),) = _joint_targets(st, av, dem, co, np.array([0]), (1.0,), source="relay")
    assert h == pytest.approx(co.gen[:, :1])
    assert ch == pytest.approx(0.0) and dis == pytest.approx(0.0)


def _two_store_case(shed_mw=5.0):
    """One region, two days of eight 3-hour steps, demand 50 MW in each day's first four
    steps and 120 in its last four (each day a window: charge first, discharge after); coal
    (100 MW at 30 USD/MWh, at full power), LNG (hub 0, 100 MW at 70) and an import (50 MW at
    75, no fuel budget); two stores: ``a`` 40 MW, 4 h, round trip 0.8 (``eff_d`` 0.8), ``b`` 20 MW, 4 h,
    round trip 1. ``a`` charges 10 MW in each day's first four steps (120 MWh) and discharges
    8 MW in its last four (96 MWh); ``b`` is idle. LNG runs 20 MW, the import 35 MW. The
    region sheds ``shed_mw`` in the last step. Returns (st, av, dem, co)."""
    from types import SimpleNamespace

    st = SimpleNamespace(
        regions=["n"], gen_region=np.zeros(3, int), mc=np.array([30.0, 70.0, 75.0]),
        is_res=np.zeros(3, bool), hub_of=np.array([-1, 0, -1]), gen_store=np.full(3, -1),
        stor_region=np.zeros(2, int), pcap=np.array([40.0, 20.0]), dur=np.array([4.0, 4.0]),
        eff_c=np.ones(2), eff_d=np.array([0.8, 1.0]), dt=np.full(16, 3.0),
        wdt=np.full(16, 3.0), month=np.zeros(16, int), eta=np.ones(0), frm=np.zeros(0, int),
        to=np.zeros(0, int), fcap=np.zeros(0), voll=1e4,
    )  # fmt: skip
    dem = np.tile(np.array(([50.0] * 4 + [120.0] * 4) * 2)[None, :, None], (1, 1, 1))
    ch_a = np.array(([10.0] * 4 + [0.0] * 4) * 2)
    dis_a = np.array(([0.0] * 4 + [8.0] * 4) * 2)
    soc_a = np.array([30.0, 60.0, 90.0, 120.0, 90.0, 60.0, 30.0, 0.0] * 2)
    gen = np.stack([np.full(16, 100.0), np.full(16, 20.0), np.full(16, 35.0)])[None]
    shed = np.zeros((1, 1, 16))
    shed[0, 0, 15] = shed_mw
    co = SimpleNamespace(
        gen=gen, ch=np.stack([ch_a, np.zeros(16)])[None],
        dis=np.stack([dis_a, np.zeros(16)])[None],
        soc=np.stack([soc_a, np.zeros(16)])[None], flow=np.zeros((1, 0, 16)), shed=shed,
    )  # fmt: skip
    av = np.tile(np.array([100.0, 100.0, 50.0])[None, None, :], (1, 16, 1))
    return st, av, dem, co


def test_swap_moves_daily_cycles_to_the_more_efficient_store():
    from energy_sim.operation.passes import _swap_move

    # (_two_store_case) b can take all of a's 8 MW out and 10 MW in, but holds 80 MWh: it
    # takes y = 80 MWh out (6.667 MW in each discharging step) and 80 in (6.667 MW); a
    # discharges 1.333 MW and charges 100 MWh less (1.667 MW): 20 MWh in, 16 out. The day
    # charges 100 MWh where it charged 120, y*(1/0.8 - 1) less.
    st, av, dem, co = _two_store_case()
    dc, dd = _swap_move(st, av, dem, co)
    ch, dis = co.ch + dc, co.dis + dd
    day = np.r_[[1.0] * 4, [0.0] * 4]
    assert ch[0, 1] == pytest.approx(np.tile(day * 80 / 12, 2))
    assert dis[0, 1] == pytest.approx(np.tile((1 - day) * 80 / 12, 2))
    assert ch[0, 0] == pytest.approx(np.tile(day * 20 / 12, 2))
    assert dis[0, 0] == pytest.approx(np.tile((1 - day) * 16 / 12, 2))
    assert ((ch - co.ch).sum(axis=1) * 3.0).sum() == pytest.approx(-2 * 20.0)
    # the store's limits hold: b at most 80 MWh, a never below 0
    soc_b = np.cumsum((ch[0, 1] - dis[0, 1]) * 3.0)
    soc_a = np.cumsum((ch[0, 0] - dis[0, 0] / 0.8) * 3.0)
    assert soc_b.max() == pytest.approx(80.0) and soc_a.min() >= -1e-9
    # a region that does not shed, or stores of the same round trip: nothing moves
    st, av, dem, co = _two_store_case(shed_mw=0.0)
    assert not np.abs(np.concatenate(_swap_move(st, av, dem, co))).any()
    st, av, dem, co = _two_store_case()
    st.eff_d = np.array([1.0, 1.0])
    assert not np.abs(np.concatenate(_swap_move(st, av, dem, co))).any()


def test_overnight_move_empties_a_store_in_place_of_lng_and_refills_it_from_imports():
    from energy_sim.operation import storage
    from energy_sim.operation.passes import _overnight_move

    # (_two_store_case) Store a alone, round trip 1, holding 40 MWh more (its state of
    # charge 70, 100, 130, 160 | 130, 100, 70, 40). The windows run from the highest state
    # of charge (step 4) to the next: the evening of day 1 (steps 4-7) discharges
    # min(40 - 10, 20 MW of LNG) = 20 MW (240 MWh), the night of day 2 (steps 8-11) charges
    # min(40 - 10, 50 - 35 MW of import room) = 15 MW (180 MWh); the state of charge allows
    # y = 40 MWh (its 40 MWh at step 7): 3.333 MW out in steps 4-7, 3.333 MW in in steps
    # 8-11. The windows cut by the horizon (steps 0-3, 12-15) move nothing.
    st, av, dem, co = _two_store_case()
    assert storage.day_top(dem[..., 0], 8) == 4 and storage.day_start(dem[..., 0], 8) == 0
    st.pcap, st.dur, st.eff_c, st.eff_d = np.array([40.0]), np.array([4.0]), np.ones(1), np.ones(1)
    st.stor_region = np.zeros(1, int)
    co.ch, co.dis = co.ch[:, :1], np.array([([0.0] * 4 + [10.0] * 4) * 2])[None]
    co.soc = np.array([[70.0, 100.0, 130.0, 160.0, 130.0, 100.0, 70.0, 40.0] * 2])[None]
    dc, dd = _overnight_move(st, av, dem, co)
    assert dd[0, 0] == pytest.approx(np.r_[[0.0] * 4, [40 / 12] * 4, [0.0] * 8])
    assert dc[0, 0] == pytest.approx(np.r_[[0.0] * 8, [40 / 12] * 4, [0.0] * 4])
    # LNG at 2 MW: the evening gives up 2 MW (24 MWh), all it has
    co.gen[0, 1] = 2.0
    dc, dd = _overnight_move(st, av, dem, co)
    assert dd[0, 0] == pytest.approx(np.r_[[0.0] * 4, [2.0] * 4, [0.0] * 8])
    assert dc[0, 0] == pytest.approx(np.r_[[0.0] * 8, [2.0] * 4, [0.0] * 4])
    # the import at full power: no room to refill, nothing moves (coal has none either)
    co.gen[0, 1], co.gen[0, 2] = 20.0, 50.0
    assert not np.abs(np.concatenate(_overnight_move(st, av, dem, co))).any()


def test_groups_of_equal_cost_share_their_run_in_proportion():
    """One region, demand 200 MW: a solar farm (300 MW available) and rooftop panels (100
    MW), both at 0 USD/MWh, and coal at 40. The 200 MW are shared 3:1, 150 and 50 MW
    (200 and 0 in the System's order before 2026-12-05); with demand 500 both run fully and
    coal gives 100. The numpy reference (``merit.unstack``) shares the same way."""
    from energy_sim.operation import merit
    from energy_sim.operation.inputs import prepare

    s = tiny_system(
        gens=[
            gen("north", "solar_utility", cap0=300, avail=1.0),
            gen("north", "solar_rooftop", cap0=100, avail=1.0),
            gen("north", "coal", cap0=500, mc=40),
        ],
        demand=np.array([[200.0, 500.0]]),
        weight=1.0,
    )
    r = dispatch(s)
    g = r["generation_mw"].isel(sample=0)
    assert g.sel(gen="north/solar_utility").values == pytest.approx([150.0, 300.0])
    assert g.sel(gen="north/solar_rooftop").values == pytest.approx([50.0, 100.0])
    assert g.sel(gen="north/coal").values == pytest.approx([0.0, 100.0], abs=1e-9)
    assert float(r["cost_usd"].sum()) == pytest.approx(4000.0)
    stack = merit.build_stack(prepare(s))
    blocks = np.zeros((1, stack.n_col))
    blocks[0, :3] = [300.0, 100.0, 500.0]  # the groups' columns; storage and padding 0
    cum = merit.cumulative(stack, blocks, np.array([[200.0]]))
    out, shed = merit.unstack(stack, blocks, cum, np.array([[200.0]]))
    assert out[0, :3] == pytest.approx([150.0, 50.0, 0.0])
    assert shed[0] == pytest.approx([0.0])


def test_month_order_takes_by_key_month_by_month_ties_together():
    from energy_sim.operation.passes import _MonthOrder

    # steps of months 0, 1, 0, 1 (w*dt = 1), keys 5, 7, 5, 3, amounts 2, 4, 6, 8 MW. Month 0
    # is one plateau (8 MWh): 4 MWh take half of each. Month 1, highest key first: 4 from
    # the 7, then 1 of the 3's 8; lowest first, 9 MWh: the 3's 8, then 1 of the 7's 4.
    mo = _MonthOrder(np.array([[5.0, 7.0, 5.0, 3.0]]), np.array([0, 1, 0, 1]), np.ones(4))
    x = np.array([[2.0, 4.0, 6.0, 8.0]])
    amount = np.zeros((1, 12))
    amount[0, :2] = [4.0, 5.0]
    assert mo.take(x, amount)[0] == pytest.approx([1.0, 4.0, 3.0, 1.0])
    amount[0, 1] = 9.0
    assert mo.take(x, amount, reverse=True)[0] == pytest.approx([1.0, 1.0, 3.0, 8.0])
    amount[0, :2] = [100.0, 0.0]  # more than the month has: all of it; none: nothing
    assert mo.take(x, amount)[0] == pytest.approx([2.0, 0.0, 6.0, 0.0])


def test_storage_on_a_price_charges_the_cheapest_and_discharges_the_dearest_steps_only():
    from energy_sim.operation import storage

    # two equal days of hourly prices: 50, but 10 at steps 3-5 and 100 at steps 18-20.
    # P = 100 MW, 2 h, eff_c = eff_d = 0.9: the store fills in 2/0.9 = 2.22 steps at full
    # power, pairs paying 100*0.81 > 10. The day charges 222.2 MWh (200 stored), shared by
    # its three 10s (74.1 MW each), and discharges 0.9*200 = 180 MWh, shared by its three
    # 100s (60 MW each); nothing at the 50s. The flat top of a net load, d_t = p_t - U, puts
    # 0.57 MW at each 50 here (with prices a few USD/MWh apart and thousands of MW, as in the
    # 2030 System, its level fell below every price and it discharged in every step).
    day = np.full(24, 50.0)
    day[3:6], day[18:21] = 10.0, 100.0
    price = np.tile(day, 2)[None, None]
    one_mw = np.array([100.0]), np.array([2.0]), np.array([0.9]), np.array([0.9])
    _, flat = storage.schedule(price, lambda x: x, *one_mw, np.ones(48))
    assert flat[0, 0, 30] == pytest.approx(4.0 / 7.0, rel=1e-6)  # 18*(50-U) + 3*(100-U) = 162
    c, d = storage.schedule(price, lambda x: x, *one_mw, np.ones(48), by_price=True)
    for k in (0, 24):
        assert c[0, 0, k + 3 : k + 6] == pytest.approx(np.full(3, 200.0 / 0.9 / 3), rel=1e-9)
        assert d[0, 0, k + 18 : k + 21] == pytest.approx(np.full(3, 60.0), rel=1e-9)
    assert c.sum() * 0.9 == pytest.approx(400.0, rel=1e-9)
    assert d.sum() == pytest.approx(360.0, rel=1e-9)
    # no tie at the top: 120 at step 19, 100 at 18, 90 at 20: 100 MW at 19, the other 80 at 18
    day[18:21] = 100.0, 120.0, 90.0
    price = np.tile(day, 2)[None, None]
    c, d = storage.schedule(price, lambda x: x, *one_mw, np.ones(48), by_price=True)
    assert d[0, 0, 18:21] == pytest.approx([80.0, 100.0, 0.0], rel=1e-9)
    assert d[0, 0, :18].sum() == 0.0 and d[0, 0, 21:42].sum() == 0.0


def test_room_counts_the_spare_output_of_plants_at_or_below_the_regions_price():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _room

    # regions a, b; plants: a/coal 30 USD/MWh (100 MW available), a/oil 200 (50), a's
    # reservoir 0 (80, never counted), b/gas 50 (60). Step 0: coal at 70 of 100, oil at 0,
    # prices 30 and 50, gas at 60: a has coal's 30 MW (oil is dearer than the price), b none.
    # Step 1: coal at 100, oil at 20, price 200 in a: a has oil's 30; gas at 10 (price 50):
    # b has 50.
    st = SimpleNamespace(
        regions=["a", "b"],
        is_res=np.array([False, False, True, False]),
        gen_region=np.array([0, 0, 0, 1]),
        mc=np.array([30.0, 200.0, 0.0, 50.0]),
    )
    av = np.array([[[100.0, 50.0, 80.0, 60.0], [100.0, 50.0, 80.0, 60.0]]])  # (S, T, G)
    co = SimpleNamespace(
        gen=np.array([[[70.0, 100.0], [0.0, 20.0], [10.0, 80.0], [60.0, 10.0]]]),  # (S, G, T)
        price=np.array([[[30.0, 200.0], [50.0, 50.0]]]),  # (S, R, T)
    )
    np.testing.assert_allclose(_room(st, av, co), [[[30.0, 30.0], [0.0, 50.0]]])


def test_price_rounds_split_storage_by_region_only_on_samples_that_shed():
    """Two samples of one two-region system with a store in each region; the second's demand
    is raised past the fleet so that it sheds. The calm sample's price rounds move all stores
    in one step ("price_storage_tried"), the shedding one's each region's apart."""
    from energy_sim.operation import passes

    system = tiny_system(
        regions=("a", "b"),
        gens=[gen("a", "coal", cap0=150.0, mc=30.0), gen("b", "ccgt_gas", cap0=150.0, mc=60.0)],
        storage=[store("a", pcap0=20.0, dur=2.0), store("b", pcap0=20.0, dur=2.0)],
        corridors=[corridor("a", "b", fcap0=50.0, eta=0.97)],
        demand=np.array([[60.0, 100.0, 130.0, 70.0] * 6, [50.0, 110.0, 140.0, 40.0] * 6]),
    )
    dem = np.stack([system["demand_mw"].values, system["demand_mw"].values * 1.4])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passes, "STORAGE_BY_REGION", True)
        res = dispatch(system, samples=2, demand=dem)
    shed = res["unserved_energy_mwh"].sum("region").values
    assert shed[0] == 0.0 and shed[1] > 0.0
    stats = res.attrs
    assert stats.get("price_storage_tried", 0) > 0
    assert stats.get("price_storage:0_tried", 0) > 0 and stats.get("price_storage:1_tried", 0) > 0


def one_sample_chunk(system):
    """The static data, merit stack, grid and one sample's availability (S, T, G), demand
    (S, T, R) and LNG availability of ``system``: the arrays the passes take."""
    from energy_sim.operation import merit, network
    from energy_sim.operation.inputs import prepare

    st = prepare(system)
    stack, grid = merit.build_stack(st), network.Grid.build(1, st.frm, st.to, st.eta)
    av = (st.avail * st.cap[:, None]).T[None].copy()
    dem = st.demand.T[None].copy()
    lng_av = np.ones((1, len(st.regas), av.shape[1]))
    return st, stack, grid, av, dem, lng_av


@pytest.mark.parametrize("adequacy", [True, False])
def test_adequacy_price_rounds_end_with_the_shed(adequacy):
    """The price rounds of a sample that sheds, with the core's operation replaced by one that
    ends the shed and takes 1% off the generation at every step (each step wins): with
    ``adequacy`` (the screen's callers, who read the shed only) the sample leaves after the
    round that ended its shed; without, it stays while the cost falls (every round)."""
    from dataclasses import replace

    from energy_sim.operation import core, passes

    system = tiny_system(
        gens=[gen("north", "coal", cap0=100.0, mc=30.0)],
        storage=[store("north", pcap0=10.0, dur=2.0)],
        demand=np.array([[60.0, 100.0, 130.0, 70.0] * 6]),
    )
    st, stack, grid, av, dem, lng_av = one_sample_chunk(system)
    best = core._operate(st, stack, grid, av, dem, None, lng_av, None, with_price=True)
    assert (best.shed > core.SHED_THRESHOLD_MW).any()  # 130 MW against 100 + 10

    def relieved(*args, warm, **kw):
        return replace(warm, gen=warm.gen * 0.99, shed=warm.shed * 0.0, stats={})

    cost = passes._cost(st, best)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "_operate", relieved)
        passes._frank_wolfe(
            st, stack, grid, av, dem, lng_av, best, cost, np.zeros(0, int), np.array([0]),
            None, ["storage"], False, (0.3,), adequacy,
        )  # fmt: skip
    assert best.stats["price_rounds"] == (1 if adequacy else passes.PRICE_ROUNDS)
    assert best.shed.sum() == 0.0


@pytest.mark.parametrize("best_step", [True, False])
def test_joint_move_keeps_its_cheapest_fraction(best_step):
    """One round of the joint move on a sample that sheds, with the move's four fractions
    replaced by known schedules and the core's operation by one whose cost follows the
    fraction (x0.99, x0.90, x0.95, x1.01 of the generation): with ``JOINT_BEST_STEP`` the
    sample keeps the cheapest (the second), without it the first that pays."""
    from dataclasses import replace

    from energy_sim.operation import core, passes

    system = tiny_system(
        gens=[
            gen("north", "coal", cap0=100.0, mc=30.0),
            gen("north", "hydro_reservoir", cap0=20.0, mc=0.0, cf_month=0.5),
        ],
        storage=[store("north", pcap0=10.0, dur=2.0)],
        demand=np.array([[60.0, 100.0, 150.0, 70.0] * 6]),
    )
    st, stack, grid, av, dem, lng_av = one_sample_chunk(system)
    hyd = np.flatnonzero(st.is_res)
    best = core._operate(st, stack, grid, av, dem, None, lng_av, None, with_price=True)
    assert (best.shed > core.SHED_THRESHOLD_MW).any()
    factor = {1.0: 0.99, 2.0: 0.90, 3.0: 0.95, 4.0: 1.01}  # fraction k: its charge + k MW

    def fractions(st_, av_, dem_, co, hyd_, steps, source="takeover"):
        h = co.gen[:, hyd_]
        return [(h * 0.5, co.ch + k, co.dis) for k in (1.0, 2.0, 3.0, 4.0)]

    def operate(*args, warm, stor, **kw):
        k = float(np.round(stor[0] - warm.ch, 6).max())
        return replace(warm, gen=warm.gen * factor[k], stats={})

    cost = passes._cost(st, best)
    base = cost.copy()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "_operate", operate)
        mp.setattr(passes, "_joint_targets", fractions)
        mp.setattr(passes, "PRICE_ROUNDS", 1)
        mp.setattr(passes, "JOINT_BEST_STEP", best_step)
        passes._frank_wolfe(
            st, stack, grid, av, dem, lng_av, best, cost, hyd, np.array([0]), None, ["joint"],
            False, (0.3,),
        )  # fmt: skip
    fuel = base[0] - st.voll * float(np.einsum("srt,t->s", best.shed, st.wdt)[0])
    kept = 0.90 if best_step else 0.99
    assert cost[0] == pytest.approx(base[0] - (1.0 - kept) * fuel, rel=1e-12)
    assert best.stats["price_joint_tried"] == (4 if best_step else 1)


def test_price_rounds_keep_water_at_home_where_the_corridor_loses_energy():
    from energy_sim.operation import passes

    # n: 100 MW of reservoir hydro with 100 MWh per weighted step pair (cf 0.5) and demand
    # 100, 0; s: gas at 50 USD/MWh and demand 0, 110; n -> s loses 10%. Optimum (by hand):
    # the water serves n at the first step, gas serves s: 110*50 = 5,500 USD per weight. On
    # the system net load (100, 110) the water is levelled to 45, 55: n imports 55/0.9 and
    # exports 55*0.9, cost 55/0.9*50 + (110 - 49.5)*50 = 6,080.56 (10.6% more). The price
    # rounds see n's price 50/0.9 at the first step and 50*0.9 at the second.
    system = tiny_system(
        regions=("n", "s"),
        gens=[
            gen("n", "hydro_reservoir", cap0=100.0, mc=0.0, cf_month=0.5),
            gen("s", "ccgt_gas", cap0=1000.0, mc=50.0),
        ],
        corridors=[corridor("n", "s", fcap0=1000.0, eta=0.9)],
        demand=np.array([[100.0, 0.0], [0.0, 110.0]]),
        month_of=[1, 1],
    )
    w = float(system.weight[0])

    def operating(res):
        return float(res.cost_usd.sel(cost_component="operating").isel(sample=0)) / w

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passes, "PRICE_ROUNDS", 0)
        assert operating(dispatch(system)) == pytest.approx(55 / 0.9 * 50 + 60.5 * 50)
    res = dispatch(system)
    hydro = res.generation_mw.isel(sample=0, gen=0).values
    assert hydro.sum() == pytest.approx(100.0)
    assert operating(res) == pytest.approx(5500.0, rel=0.005)  # the contract's 0.5%
    # the same bound on the water: each MW left at the second step costs 50/0.9 - 50*0.9
    assert hydro[0] >= 100.0 - 0.005 * 5500.0 / (50 / 0.9 - 50 * 0.9)


def test_water_repair_spends_the_water_earlier_passes_left_unused_first():
    from types import SimpleNamespace

    from energy_sim.operation.passes import _repair

    # one region, four steps of one month (w*dt = 1), a basin of 5 MW with a 10 MWh budget
    # whose schedule used 2, 2, 2, 0 (4 MWh unused); demand 10, 20, 30, 40, nothing free.
    # Sample 0: 3 MW shed at the last step: the unused water covers it, nothing is cut.
    # Sample 1: 6 MW shed there: 5 MW added (the basin's room), 4 MWh from the unused water,
    # 1 MWh cut at the step of lowest net load (the first).
    st = SimpleNamespace(
        regions=["n"], gen_region=np.zeros(1, int), mc=np.zeros(1), is_res=np.ones(1, bool),
        hub_of=np.array([-1]), month=np.zeros(4, int), wdt=np.ones(4), frm=np.zeros(0, int),
        to=np.zeros(0, int), fcap=np.zeros(0),
    )  # fmt: skip
    av = np.full((2, 4, 1), 5.0)
    dem = np.tile(np.array([10.0, 20.0, 30.0, 40.0])[:, None], (2, 1, 1))
    shed = np.zeros((2, 1, 4))
    shed[0, 0, 3], shed[1, 0, 3] = 3.0, 6.0
    best = SimpleNamespace(
        gen=np.array([[[2.0, 2.0, 2.0, 0.0]]] * 2), shed=shed, flow=np.zeros((2, 0, 4))
    )
    sched = _repair(st, av, dem, best, np.array([0]), budget=np.full((2, 1, 12), 10.0))
    assert sched[0, 0] == pytest.approx([2.0, 2.0, 2.0, 3.0])
    assert sched[1, 0] == pytest.approx([1.0, 2.0, 2.0, 5.0])
    # without the budget (the schedule's own energy): all of the added water is cut elsewhere
    sched = _repair(st, av, dem, best, np.array([0]))
    assert sched[0, 0].sum() == pytest.approx(6.0)


def _spill_case(dur_h: float = 4.0, standing_mwh: float = 0.0):
    """One region, two days of eight 3-hour steps: demand 40 MW in each day's first four
    steps and 80 in its last four; wind (0 USD/MWh, 60 MW in the first four steps, none in
    the last) runs 40 MW and spills 20; coal (30 USD/MWh, no fuel budget) serves the 80 MW
    evenings, where the price is 30 (0 in the mornings). One store, 10 MW, ``dur_h`` hours,
    round trip 1, idle, holding ``standing_mwh`` throughout. Returns (st, av, dem, co)."""
    from types import SimpleNamespace

    st = SimpleNamespace(
        regions=["n"], gen_region=np.zeros(2, int), mc=np.array([0.0, 30.0]),
        is_res=np.zeros(2, bool), hub_of=np.full(2, -1), gen_store=np.full(2, -1),
        stor_region=np.zeros(1, int), pcap=np.array([10.0]), dur=np.array([dur_h]),
        eff_c=np.ones(1), eff_d=np.ones(1), dt=np.full(16, 3.0), voll=1e4,
    )  # fmt: skip
    morning = np.tile(np.r_[[1.0] * 4, [0.0] * 4], 2)
    dem = (40.0 * morning + 80.0 * (1 - morning))[None, :, None]
    av = np.stack([60.0 * morning, np.full(16, 100.0)], axis=-1)[None]
    co = SimpleNamespace(
        gen=np.stack([40.0 * morning, 80.0 * (1 - morning)])[None],
        ch=np.zeros((1, 1, 16)), dis=np.zeros((1, 1, 16)),
        soc=np.full((1, 1, 16), standing_mwh), price=(30.0 * (1 - morning))[None, None],
    )  # fmt: skip
    return st, av, dem, co


def test_spill_move_stores_spilt_wind_for_the_evening_and_spends_standing_energy():
    from energy_sim.operation.passes import _spill_move

    # (_spill_case) Windows from the lowest state of charge (step 0): each morning charges
    # min(10, 20 MW spilt) = 10 MW, each evening discharges min(10, 80 MW of coal) = 10 MW,
    # 120 MWh each, pro rata to what the store holds: y = 40 MWh a day, 3.333 MW in and out.
    st, av, dem, co = _spill_case()
    dc, dd = _spill_move(st, av, dem, co)
    morning = np.tile(np.r_[[1.0] * 4, [0.0] * 4], 2)
    assert dc[0, 0] == pytest.approx(morning * 40 / 12)
    assert dd[0, 0] == pytest.approx((1 - morning) * 40 / 12)
    # 80 MWh of room and 40 standing: the same cycle each day, then from the highest state
    # of charge (step 4) the first evening also spends the 40 standing MWh (3.333 MW more)
    # and the second morning stores them back from the wind (3.333 MW more); the second
    # evening's window has no morning after it inside the horizon, the first morning's no
    # evening before it: nothing more moves there.
    st, av, dem, co = _spill_case(dur_h=8.0, standing_mwh=40.0)
    dc, dd = _spill_move(st, av, dem, co)
    day1 = np.r_[[1.0] * 8, [0.0] * 8]
    assert dc[0, 0] == pytest.approx(morning * (40 / 12) * (1 + (1 - day1)))
    assert dd[0, 0] == pytest.approx((1 - morning) * (40 / 12) * (1 + day1))
    soc = 40.0 + np.cumsum((dc[0, 0] - dd[0, 0]) * 3.0)
    assert soc.min() == pytest.approx(0.0) and soc.max() == pytest.approx(80.0)
    # a round trip of 0.5 against wind priced 20 and coal 30: 20 >= 0.5 * 30, nothing moves
    st, av, dem, co = _spill_case()
    st.eff_d = np.array([0.5])
    st.mc[0] = 20.0
    co.price = np.where(co.price > 0, 30.0, 20.0)
    assert not np.abs(np.concatenate(_spill_move(st, av, dem, co))).any()
    # no spill (mornings of 60 MW, the wind at its 60): nothing moves
    st, av, dem, co = _spill_case()
    dem[0, :, 0] += 20.0 * morning
    co.gen[0, 0] = 60.0 * morning
    assert not np.abs(np.concatenate(_spill_move(st, av, dem, co))).any()
