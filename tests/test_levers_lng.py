"""Lever 1 of issue 14: a strategic LNG reserve that can be drawn (MODEL.md constraint 6, phi).

Hand-solved one-region cases, each in the LP (capacities fixed: nothing to build) and in the
dispatch core. The system: an LNG CCGT of 100 MW (efficiency 0.5: 200 MW_th at full load,
40 $/MWh), demand 100 MW flat, a hub with 400 MW_th of send-out, a 5,000 MWh_th tank and a
1-day reserve ``R = 1*24*200 = 4,800 MWh_th``; no other plant, so every MWh the CCGT cannot run
is shed. Steps of 1 h.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factory import gen, hub, tiny_system

from energy_sim.errors import InputError
from energy_sim.inputs.reserves import reserve_availability
from energy_sim.operation import dispatch
from energy_sim.planning.results import check_invariants  # noqa: F401
from energy_sim.planning.solve import plan

REL = 1e-6


def _system(steps: int, window: slice, avail: float = 0.0, **hub_kw):
    av = np.ones(steps)
    av[window] = avail
    return tiny_system(
        gens=[gen("north", "ccgt_lng", cap0=100, mc=40, eff=0.5, hub="h")],
        hubs=[hub("h", "north", regas=400, tank0=5000, reserve_days=1.0, avail=av, **hub_kw)],
        demand=100.0,
        steps=steps,
        weight=1.0,
    )


def _shed_lp(s) -> float:
    res = plan(s)
    assert res.attrs["status"] == "optimal"
    assert check_invariants(s, res) == []
    return float(res["unserved_energy_mwh"].sum())


def _shed_core(s) -> float:
    r = dispatch(s)
    assert check_invariants(s, r) == []
    return float(r["unserved_energy_mwh"].sum())


def _both(s) -> tuple[float, float]:
    return _shed_lp(s), _shed_core(s)


# ------------------------------------------------------------------------------- phi itself


def test_phi_full_cut_then_refill():
    """Cut-off at steps 2-3, refill over 4 h: phi = 1, 1, 0, 0, 1/4, 1/2, 3/4, 1, 1, 1."""
    a = np.ones((1, 10))
    a[0, 2:4] = 0.0
    phi = reserve_availability(a, np.ones(10), np.array([4 / 24]))
    np.testing.assert_allclose(phi[0], [1, 1, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1])


def test_phi_partial_wraps_and_instant():
    """A half cut-off in the last step of a cyclic period ramps on into the period's first
    steps; refill_days 0 puts the floor back at once (phi = availability)."""
    a = np.ones((2, 6))
    a[:, 5] = 0.5
    phi = reserve_availability(a, np.ones(6), np.array([2 / 24, 0.0]))
    np.testing.assert_allclose(phi[0], [1, 1, 1, 1, 1, 0.5])
    phi = reserve_availability(a, np.ones(6), np.array([4 / 24, 0.0]))
    np.testing.assert_allclose(phi[0], [0.75, 1, 1, 1, 1, 0.5])
    np.testing.assert_allclose(phi[1], a[1])


def test_phi_periods_are_separate_cycles():
    a = np.ones((1, 6))
    a[0, 2] = 0.0
    phi = reserve_availability(
        a, np.ones(6), np.array([2 / 24]), period=np.array([0, 0, 0, 1, 1, 1])
    )
    np.testing.assert_allclose(phi[0], [0.5, 1, 0, 1, 1, 1])


# ----------------------------------------------------------------------------- the LP and core


def test_reserve_drawn_in_a_cut_off_nothing_shed():
    """The issue's case: 12-hour cut-off (steps 12-23 of 48), refill over the reserve's own
    1 day (the default). The window burns 12*200 = 2,400 MWh_th from the 5,000 in the tank
    (phi = 0); after it the tank gains 400 - 200 = 200 MWh_th/h from 2,600 while the floor
    comes back at 4,800/24 = 200 MWh_th/h from 0: 2,600 + 200h >= 200h, full at h = 12.
    Nothing is shed."""
    s = _system(48, slice(12, 24))
    lp, core = _both(s)
    assert lp == pytest.approx(0.0, abs=1e-6)
    assert core == pytest.approx(0.0, abs=1e-6)


def test_instant_refill_reproduces_the_old_floor():
    """refill_days = 0 (the floor back at once after the window, the behaviour before the
    fix): the first step after the window needs inv >= 4,800, reachable with one step's
    send-out of 400 net of that step's burn, so the window and that step can burn only
    5,000 + 400 - 4,800 = 600 MWh_th of the 13*200 = 2,600 needed: 2,000 MWh_th short =
    1,000 MWh shed, in the LP and in the core."""
    s = _system(48, slice(12, 24), refill_days=0.0)
    lp, core = _both(s)
    assert lp == pytest.approx(1000.0, rel=REL)
    assert core == pytest.approx(1000.0, rel=REL)


def test_slow_refill_binds_after_the_window():
    """Refill over 1/4 day (floor back at 4,800/6 = 800 MWh_th/h, faster than the tank's net
    gain of 200): after the 12-hour window, inv = I + 200h must stay >= 800h until phi = 1
    at h = 6, i.e. I >= 1,200 + ... : at h = 6, I + 6*(400 - b) >= 4,800 with the burn b of
    those 6 h. The LP: the window and the 6 h after burn at most 5,000 - 4,800 + 6*400 =
    2,600 MWh_th (the inventory must be back at 4,800 at h = 6) of the 18*200 = 3,600 wanted:
    1,000 MWh_th short = 500 MWh shed. The core keeps the same floors: 500 MWh."""
    s = _system(48, slice(12, 24), refill_days=0.25)
    lp, core = _both(s)
    assert lp == pytest.approx(500.0, rel=REL)
    assert core == pytest.approx(500.0, rel=REL)


def test_a_short_hub_gives_its_burn_to_another_hubs_plant_not_to_oil():
    """Two hubs feed one region (demand 100 MW flat, 24 steps): plant A (40 USD/MWh,
    efficiency 0.5) on hub h1, whose regas of 150 MW_th carries 75 MW of A's 100; plant B
    (50 USD/MWh) on hub h2, which has room to spare; oil at 200. The optimum burns A at
    75 MW and B at 25 MW every step: 24*(75*40 + 25*50) = 102,000 USD, no oil. The core caps
    A where h1 falls short and must let B take over there (until this fix it held B at its
    output so far, 0 MW, and burned oil: 192,000 USD)."""
    s = tiny_system(
        gens=[
            gen("north", "ccgt_lng", cap0=100, mc=40, eff=0.5, hub="h1"),
            gen("north", "ccgt_lng", cap0=100, mc=50, eff=0.5, hub="h2"),
            gen("north", "oil", cap0=100, mc=200),
        ],
        hubs=[
            hub("h1", "north", regas=150, tank0=100, reserve_days=0.0),
            hub("h2", "north", regas=1000, tank0=1000, reserve_days=0.0),
        ],
        demand=100.0,
        steps=24,
        weight=1.0,
    )
    res = plan(s)
    assert res.attrs["status"] == "optimal"
    assert check_invariants(s, res) == []
    assert res.attrs["objective_usd"] == pytest.approx(102_000, rel=REL)
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert float(r["cost_usd"].sum()) == pytest.approx(102_000, rel=REL)
    assert float(r["generation_mwh"].sel(gen="north/oil").sum()) == pytest.approx(0.0, abs=1e-6)


def test_a_cut_off_tank_is_burned_in_the_window_not_kept():
    """One region (demand 300 MW flat, 48 steps): an LNG plant (80 USD/MWh, efficiency 0.5)
    on a hub with a 2,400 MWh_th tank, cut off on steps 12-35, and oil (180 USD/MWh). In the
    cut-off the tank gives 1,200 MWh, the oil the other 6,000: 24*300*80 + 1,200*80 +
    6,000*180 = 1,752,000 USD, the tank empty when the window ends. Until 2026-12-05 the
    core put the LNG behind the oil inside a window where the tank ran dry (the scarcity
    order): the oil took all 7,200 MWh and the tank stayed full (1,872,000 USD)."""
    av = np.ones(48)
    av[12:36] = 0.0
    s = tiny_system(
        gens=[
            gen("north", "ccgt_lng", cap0=300, mc=80, eff=0.5, hub="h"),
            gen("north", "oil", cap0=300, mc=180),
        ],
        hubs=[hub("h", "north", regas=1000, tank0=2400, reserve_days=0.0, avail=av)],
        demand=300.0,
        steps=48,
        weight=1.0,
    )
    res = plan(s)
    assert res.attrs["status"] == "optimal"
    assert res.attrs["objective_usd"] == pytest.approx(1_752_000, rel=REL)
    r = dispatch(s)
    assert check_invariants(s, r) == []
    assert float(r["cost_usd"].sum()) == pytest.approx(1_752_000, rel=REL)
    assert float(r["generation_mwh"].sel(gen="north/oil").sum()) == pytest.approx(6000, rel=REL)
    inv = r["lng_inventory_mwh_th"].isel(sample=0, hub=0).values
    assert inv[35] == pytest.approx(0.0, abs=1e-6)


def test_partial_disruption_keeps_its_share_of_the_reserve():
    """A quarter of the send-out (100 MW_th) for 40 h (steps 12-51 of 96), refill over 2 days:
    phi = 0.25 in the window, floor 1,200 MWh_th. The window needs 40*200 = 8,000 MWh_th,
    the send-out gives 4,000 and the tank 5,000 - 1,200 = 3,800: 200 MWh_th short = 100 MWh
    shed. After it the floor climbs 100 MWh_th/h, the tank 200: no more shedding."""
    s = _system(96, slice(12, 52), avail=0.25, refill_days=2.0)
    lp, core = _both(s)
    assert lp == pytest.approx(100.0, rel=REL)
    assert core == pytest.approx(100.0, rel=REL)


# --------------------------------------------------------------------------- scenario field


def _scenario(tmp_path, value: str):
    from energy_sim.inputs.scenario import load_scenario

    base = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"
    f = tmp_path / "s.yaml"
    f.write_text(f"extends: {base}\nreserves:\n  lng_refill_days: {value}\n")
    return load_scenario(f)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-1", "refill time out of range"),
        ("{hai_phong: -2}", "refill time out of range"),
        ("'3'", "not a refill time"),
        ("{atlantis: 2}", "unknown LNG hub"),
    ],
)
def test_refill_days_refused(tmp_path, value, words):
    with pytest.raises(InputError) as err:
        _scenario(tmp_path, value)
    text = str(err.value)
    assert words in text and "reserves.lng_refill_days" in text and "s.yaml" in text


def test_refill_days_reach_the_system(tmp_path):
    """{hai_phong: 2}: Hai Phong 2 days, the other hubs their reserve_days (5 d in 2030)."""
    from energy_sim.inputs.system import build_system

    scn = _scenario(tmp_path, "{hai_phong: 2}")
    assert scn.reserves.lng_refill_of(["hai_phong", "son_my"])[0] == 2.0
    sy = build_system(scn, resolution="12d")
    refill = dict(zip(map(str, sy["hub"].values), sy["refill_days"].values, strict=True))
    assert refill["hai_phong"] == 2.0
    assert refill["son_my"] == pytest.approx(float(sy["reserve_days"].sel(hub="son_my")))
