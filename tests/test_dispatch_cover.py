"""The price rounds' "cover" move: stores cover shed with energy from plant room at other
steps (energy_sim.operation.cover, passes._cover_move). Amounts computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from energy_sim.operation.cover import cover_pairs

VOLL = 1e4


def _pairs(soc, ch, dis, shed, room, price, period=None, reach=100, cap_e=20.0, eff=0.9):
    """cover_pairs on one sample, a store of 10 MW and ``cap_e`` MWh, charge and discharge
    efficiency ``eff``, 1-hour steps. Returns (dch, ddis, shed left, room left)."""
    a = [np.array([x], float) for x in (soc, ch, dis, shed, room, price)]
    n_t = a[0].shape[1]
    period = np.zeros(n_t, np.int64) if period is None else np.asarray(period, np.int64)
    dch, ddis = cover_pairs(
        *a, period, np.ones(n_t), 10.0, cap_e, eff, eff, np.full((1, n_t), VOLL), reach, 0.1
    )  # fmt: skip
    return dch[0], ddis[0], a[3][0], a[4][0]


def test_a_full_store_discharges_into_the_morning_shed_and_refills_at_noon():
    # Full (20 MWh) at steps 0-3, it sheds 5 MW at step 0; plants have 8 MW of room at
    # steps 2 (76 USD/MWh) and 3 (128). The store discharges 5 MW more at step 0 (5/0.9 =
    # 5.556 MWh of state of charge) and charges it back at the cheaper step 2:
    # 5.556/0.9 = 6.173 MW. Its state of charge is 14.44 MWh at steps 0-1, 20 again from 2.
    soc = [20, 20, 20, 20, 10, 0]
    dch, ddis, shed, room = _pairs(
        soc, [0] * 6, [0, 0, 0, 0, 9, 9], [5, 0, 0, 0, 0, 0], [0, 0, 8, 8, 0, 0],
        [VOLL, 76, 76, 128, 76, 76],
    )  # fmt: skip
    assert ddis == pytest.approx([5, 0, 0, 0, 0, 0])
    assert dch == pytest.approx([0, 0, 5 / 0.81, 0, 0, 0])
    assert shed == pytest.approx([0, 0, 0, 0, 0, 0], abs=1e-9)
    assert room == pytest.approx([0, 0, 8 - 5 / 0.81, 8, 0, 0])
    moved = np.array(soc) + np.cumsum(0.9 * dch - ddis / 0.9)
    assert moved == pytest.approx([20 - 5 / 0.9, 20 - 5 / 0.9, 20, 20, 10, 0])


def test_energy_is_held_from_an_earlier_discharge_for_the_shed_within_the_room_left():
    # The store discharges 6 MW at step 1 (in place of a plant at 128 with 5 MW of room),
    # then holds 3.333 MWh; it sheds 4 MW at step 4. It discharges 4 MW less at step 1
    # (4.444 MWh more held through steps 1-3) and 4 MW more at step 4: the energy moves
    # one for one, no round trip lost.
    soc = [10, 10 - 6 / 0.9] + [10 - 6 / 0.9] * 4
    args = ([0] * 6, [0, 6, 0, 0, 0, 0], [0, 0, 0, 0, 4, 0], [0, 5, 0, 0, 0, 0])
    price = [76, 128, 76, 76, VOLL, 76]
    dch, ddis, shed, room = _pairs(soc, *args, price)
    assert ddis == pytest.approx([0, -4, 0, 0, 4, 0]) and dch == pytest.approx(0.0)
    assert shed[4] == pytest.approx(0.0, abs=1e-9) and room[1] == pytest.approx(1.0)
    # a store of 5 MWh holds only 5 - 3.333 = 1.667 MWh more: 1.5 MW moves, 2.5 MW shed
    dch, ddis, shed, room = _pairs(soc, *args, price, cap_e=5.0)
    assert ddis == pytest.approx([0, -1.5, 0, 0, 1.5, 0]) and shed[4] == pytest.approx(2.5)


def test_a_store_charging_in_a_shed_step_charges_less_first():
    # It charges 4 MW at step 0 where 3 MW are shed; 3 MW less charge (2.7 MWh of state of
    # charge) is paid for by 2.43 MW less discharge at step 2 (2.7*0.9). Still charging at
    # step 0, it does not discharge there too.
    dch, ddis, shed, _ = _pairs(
        [10, 10, 10 - 5 / 0.9, 0], [4, 0, 0, 0], [0, 0, 5, 0], [3, 0, 0, 0], [0, 0, 10, 0],
        [VOLL, 76, 76, 76],
    )  # fmt: skip
    assert dch == pytest.approx([-3, 0, 0, 0])
    assert ddis == pytest.approx([0, 0, -2.43, 0])
    assert shed[0] == pytest.approx(0.0, abs=1e-9)


def test_nothing_moves_without_a_source_the_store_can_bridge():
    full = ([20] * 4, [0] * 4, [0] * 4, [5, 0, 0, 0], [0, 0, 8, 0], [VOLL, 76, 76, 76])
    base = _pairs(*full)
    assert base[1][0] == pytest.approx(5.0)  # the case moves as given
    soc, ch, dis, shed, room, price = full
    cases = {
        "empty between": dict(soc=[0, 0, 20, 20]),
        "another period": dict(period=[0, 0, 1, 1]),
        "too far": dict(reach=1),
        "room costs the shed's worth": dict(price=[VOLL, 76, VOLL, 76]),
        "charging loses more than the shed is worth": dict(price=[VOLL, 76, 0.85 * VOLL, 76]),
        "the source sheds too": dict(shed=[5, 0, 1, 0]),
    }
    for why, change in cases.items():
        kw = dict(soc=soc, ch=ch, dis=dis, shed=shed, room=room, price=price) | change
        dch, ddis, left, _ = _pairs(**kw)
        assert not np.abs(dch).any() and not np.abs(ddis).any(), why
        assert left[0] == pytest.approx(kw["shed"][0]), why


def test_the_core_cycles_a_store_twice_on_a_day_with_two_shortages():
    """One region, coal 100 MW at 30 USD/MWh, a store of 20 MW and 3 hours (round trip 1),
    two days of 80 MW with a morning peak of 130 (3 hours) and an evening peak of 140 (6
    hours). Each day 90 + 240 MWh are short; the store fills at night (60 MWh), empties in
    the morning, refills at noon and empties again in the evening: 210 MWh shed a day, coal
    2,220 MWh. One daily cycle left 270 shed a day."""
    from factory import gen, store, tiny_system

    from energy_sim.operation import dispatch
    from energy_sim.planning.results import check_invariants

    day = [80] * 6 + [130] * 3 + [80] * 6 + [140] * 6 + [80] * 3
    s = tiny_system(
        gens=[gen("north", "coal", cap0=100, mc=30)],
        storage=[store("north", pcap0=20, dur=3, eff_c=1.0, eff_d=1.0, loss=0.0)],
        demand=day * 2, weight=1.0,
    )  # fmt: skip
    r = dispatch(s)
    assert float(r["shed_mw"].isel(sample=0).sum()) == pytest.approx(2 * 210.0)
    cost = float(r["cost_usd"].isel(sample=0).sum())
    assert cost == pytest.approx(2 * (2220 * 30.0 + 210 * VOLL))
    assert check_invariants(s, r) == []


def test_cover_move_takes_the_largest_store_first_and_shares_the_regions_shed():
    from energy_sim.operation.passes import _cover_move

    # (_cover_case) 5 MW shed at the last step (15); store a (160 MWh, eff_d 0.8)
    # discharges 8 MW at steps 12-15, b (80 MWh) is idle and empty. The region's room is 45
    # MW at every step (LNG 30, what its hub's send-out can fuel, and the import 15; coal at
    # full power), priced 70 but at the shed. a goes first and covers it all from the nearest step: 5 MW less discharge at
    # step 14 (18.75 MWh more held through it), 5 MW more at step 15; b finds no shed left.
    st, av, dem, co = _cover_case()
    co.price[0, 0, 15] = VOLL
    dc, dd = _cover_move(st, av, dem, co)
    assert dd[0, 0] == pytest.approx(np.r_[[0.0] * 14, [-5.0, 5.0]])
    assert not np.abs(dc).any() and not np.abs(dd[0, 1]).any()
    # no shed: nothing moves
    st, av, dem, co = _cover_case(shed_mw=0.0)
    assert not np.abs(np.concatenate(_cover_move(st, av, dem, co))).any()


def _cover_case(shed_mw=5.0):
    """``test_dispatch._two_store_case`` with what the cover move reads besides: one period,
    prices of 70 USD/MWh, no reservoirs, the LNG plant (20 of 100 MW, efficiency 0.5) on a
    hub of 100 MW_th of send-out, 40 of them used."""
    from test_dispatch import _two_store_case

    st, av, dem, co = _two_store_case(shed_mw)
    st.is_res, st.period = np.zeros(3, bool), np.zeros(16, np.int64)
    st.eff, st.regas, st.lng_av = np.array([0.4, 0.5, 1.0]), np.array([100.0]), np.ones((1, 16))
    co.price, co.send = np.full((1, 1, 16), 70.0), np.full((1, 1, 16), 40.0)
    return st, av, dem, co


def test_the_lng_plants_room_is_what_their_hubs_send_out_can_fuel():
    from energy_sim.operation.passes import _lng_room_over

    # (_cover_case) The LNG plant has 80 MW of room; its hub's 60 MW_th of spare send-out
    # fuel 30 MW at efficiency 0.5: 50 MW of it cannot run. At full send-out none can; with
    # the send-out halved by the hub's availability, 50 - 40 = 10 MW_th spare fuel 5 MW.
    st, av, dem, co = _cover_case()
    assert _lng_room_over(st, av, co)[0, 0] == pytest.approx(np.full(16, 50.0))
    co.send[:] = 100.0
    assert _lng_room_over(st, av, co)[0, 0] == pytest.approx(np.full(16, 80.0))
    co.send[:], st.lng_av = 40.0, np.full((1, 16), 0.5)
    assert _lng_room_over(st, av, co)[0, 0] == pytest.approx(np.full(16, 75.0))


def _bank_case(src_price=80.0, eff=1.0, oil_at_sinks=30.0):
    """Two regions, n (a reservoir of 100 MW) and s (gas 100 MW at 80 USD/MWh, oil 50 MW at
    180, a store of 50 MW, 4 h, charge and discharge efficiency ``eff``), a corridor n -> s
    of 100 MW without losses; six 1-hour steps of one month. Steps 0-1: gas runs 60 MW,
    priced ``src_price``, no water; steps 2-3: the basin runs 40 MW to s, gas at full power,
    the price the oil's (180) on both sides but no oil runs (water there has nothing to
    displace at that price); steps 4-5: the basin runs 60 MW, oil ``oil_at_sinks`` MW, 180.
    The store is idle and empty. Returns (st, av, dem, co, hyd)."""
    from types import SimpleNamespace

    n_t = 6
    st = SimpleNamespace(
        regions=["n", "s"], gen_region=np.array([0, 1, 1]), mc=np.array([0.0, 80.0, 180.0]),
        is_res=np.array([True, False, False]), hub_of=np.full(3, -1), gen_store=np.full(3, -1),
        stor_region=np.array([1]), pcap=np.array([50.0]), dur=np.array([4.0]),
        eff_c=np.array([eff]), eff_d=np.array([eff]), dt=np.ones(n_t), wdt=np.ones(n_t),
        month=np.zeros(n_t, np.int64), period=np.zeros(n_t, np.int64), eta=np.ones(1),
        frm=np.array([0]), to=np.array([1]), fcap=np.array([100.0]), voll=1e4,
        regas=np.zeros(0), lng_av=np.zeros((0, n_t)), eff=np.ones(3),
    )  # fmt: skip
    water = np.array([0.0, 0.0, 40.0, 40.0, 60.0, 60.0])
    gas = np.array([60.0, 60.0, 100.0, 100.0, 100.0, 100.0])
    oil = np.array([0.0, 0.0, 0.0, 0.0, oil_at_sinks, oil_at_sinks])
    price = np.array([src_price] * 2 + [180.0] * 4)
    co = SimpleNamespace(
        gen=np.stack([water, gas, oil])[None], ch=np.zeros((1, 1, n_t)),
        dis=np.zeros((1, 1, n_t)), soc=np.zeros((1, 1, n_t)), flow=water[None, None, :],
        shed=np.zeros((1, 2, n_t)), price=np.stack([price, price])[None],
        send=np.zeros((1, 0, n_t)),
    )  # fmt: skip
    av = np.tile(np.array([100.0, 100.0, 50.0])[None, None, :], (1, n_t, 1))
    dem = np.zeros((1, n_t, 2))
    return st, av, dem, co, np.array([0])


def test_bank_move_frees_water_with_storage_cycles_for_the_dearest_steps():
    from energy_sim.operation.passes import _bank_move

    # (_bank_case) The sinks are steps 4-5: the oil's 30 MW each (the corridor could carry
    # 40 more), 60 MWh at 180. At steps 2-3 the store discharges in place of the water that
    # reaches s, 40 MW each, charged from the room of step 1 (40 MW of gas and 50 of oil,
    # priced 80), nearest first: step 2 takes 40 MWh from step 1; step 3 the 10 MW of power
    # left at step 1, then 30 from step 0. That frees 80 MWh, 20 more than the sinks take:
    # every change x 0.75. Water: 30 MW less at steps 2-3, 30 more at steps 4-5; the store
    # charges 22.5 and 37.5 MW and discharges 30 and 30 (the gas's 60 MWh at 80 in place of
    # the oil's 60 at 180).
    st, av, dem, co, hyd = _bank_case()
    dh, dc, dd = _bank_move(st, av, dem, co, hyd)
    assert dh[0, 0] == pytest.approx([0.0, 0.0, -30.0, -30.0, 30.0, 30.0])
    assert dc[0, 0] == pytest.approx([22.5, 37.5, 0.0, 0.0, 0.0, 0.0])
    assert dd[0, 0] == pytest.approx([0.0, 0.0, 30.0, 30.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("src_price", "eff", "oil_at_sinks"),
    [
        (150.0, 0.9, 30.0),  # 150 > 180*0.81: a charge there costs more than the oil
        (80.0, 1.0, 0.0),  # no oil runs: no step takes water at its price
    ],
)
def test_bank_move_moves_nothing_that_does_not_pay(src_price, eff, oil_at_sinks):
    from energy_sim.operation.passes import _bank_move

    st, av, dem, co, hyd = _bank_case(src_price, eff, oil_at_sinks)
    assert not np.abs(np.concatenate([a.ravel() for a in _bank_move(st, av, dem, co, hyd)])).any()
