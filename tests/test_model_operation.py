"""Operation families of the LP on tiny systems whose optimum is worked out by hand.

Each docstring carries the hand calculation; objectives and decisive variables are asserted to
1e-6 relative, and every solution passes :func:`energy_sim.planning.results.check_invariants`.
"""

from __future__ import annotations

import numpy as np
import pytest
from factory import corridor, gen, hub, solve_checked, store, tiny_system

REL = 1e-6


def approx(x: float) -> object:
    return pytest.approx(x, rel=REL, abs=1e-6)


def gen_of(res, gid: str) -> np.ndarray:
    return res["generation_mw"].sel(gen=gid).values


def test_merit_order_and_availability():
    """One region, 2 steps of 4380 h each, demand 150 MW in both.

    solar 100 MW (avail 1, 0), coal 100 MW derated to 0.9 at 30 $/MWh, OCGT 200 MW at 80 $/MWh.
    t0: solar 100, coal 50 -> price 30.  t1: coal 90 (=0.9*100), OCGT 60 -> price 80.
    cost = 4380*(50*30) + 4380*(90*30 + 60*80) = 4380*9000 = 39,420,000.
    """
    sys = tiny_system(
        gens=[
            gen("north", "solar_utility", cap0=100, avail=[1.0, 0.0]),
            gen("north", "coal", cap0=100, mc=30, avail=0.9),
            gen("north", "ocgt", cap0=200, mc=80),
        ],
        demand=[150.0, 150.0],
    )
    res = solve_checked(sys)
    assert res.attrs["objective_usd"] == approx(39_420_000)
    assert float(res["cost_usd"].sum()) == approx(39_420_000)
    np.testing.assert_allclose(gen_of(res, "north/solar_utility"), [100, 0], atol=1e-6)
    np.testing.assert_allclose(gen_of(res, "north/coal"), [50, 90], atol=1e-6)
    np.testing.assert_allclose(gen_of(res, "north/ocgt"), [0, 60], atol=1e-6)
    np.testing.assert_allclose(res["price_usd_per_mwh"].values[0], [30, 80], rtol=REL)


def test_hydro_monthly_budget():
    """Reservoir hydro 100 MW; 4 steps of 2190 h, months (1, 1, 2, 2); demand (100, 60, 100, 60).

    H_1 = H_2 = 4380 h. Budgets: month 1 cf 0.5 -> 0.5*4380*100 = 219,000 MWh; month 2 cf 0.25
    -> 109,500 MWh. Hydro is free, so all of it is used; OCGT (50 $/MWh) serves the rest:
    month 1: 2190*160 - 219,000 = 131,400 MWh; month 2: 350,400 - 109,500 = 240,900 MWh.
    cost = 50*(131,400 + 240,900) = 18,615,000.
    """
    cf = [0.5, 0.25] + [0.3] * 10
    sys = tiny_system(
        gens=[
            gen("north", "hydro_reservoir", cap0=100, cf_month=cf),
            gen("north", "ocgt", cap0=200, mc=50),
        ],
        demand=[100.0, 60.0, 100.0, 60.0],
        month_of=[1, 1, 2, 2],
    )
    res = solve_checked(sys)
    assert res.attrs["objective_usd"] == approx(18_615_000)
    hydro = gen_of(res, "north/hydro_reservoir") * 2190
    assert hydro[:2].sum() == approx(219_000)
    assert hydro[2:].sum() == approx(109_500)


def test_storage_arbitrage_with_losses():
    """Solar 300 MW (avail 1, 0), OCGT 100 $/MWh; demand 100 MW; 2 steps of 4380 h.

    Battery 50 MW, 4 h, eff_c = eff_d = 0.9, self-discharge 1%/h, cyclic over the 2 steps.
    Charge 50 MW at t0 (ch + dis <= pcap): soc0 = 0.99*soc1 + 45. Discharge at t1:
    dis1/0.9 = 0.99*soc0 - soc1 = 44.55 - 0.0199*soc1, best at soc1 = 0: dis1 = 40.095 MW.
    OCGT at t1 = 59.905 MW; cost = 4380*100*59.905 = 26,238,390.
    """
    sys = tiny_system(
        gens=[
            gen("north", "solar_utility", cap0=300, avail=[1.0, 0.0]),
            gen("north", "ocgt", cap0=200, mc=100),
        ],
        storage=[store("north", "battery_4h", pcap0=50, dur=4, eff_c=0.9, eff_d=0.9, loss=0.01)],
        demand=[100.0, 100.0],
    )
    res = solve_checked(sys)
    assert res.attrs["objective_usd"] == approx(26_238_390)
    assert float(res["charge_mw"].values[0, 0]) == approx(50)
    assert float(res["discharge_mw"].values[0, 1]) == approx(40.095)
    assert float(res["soc_mwh"].values[0, 0]) == approx(45)
    assert gen_of(res, "north/ocgt")[1] == approx(59.905)


def test_storage_investment():
    """As above without self-discharge, no existing battery; power costs 100,000 $/MW/yr.

    1 MW of battery moves 0.81 MWh per cycle and saves 0.81*100*4380 = 354,780 $/yr > 100,000,
    so it is built until OCGT is gone at t1: dis1 = 100, ch0 = 100/0.81 = pcap = 123.4568 MW.
    cost = 100,000*100/0.81 = 12,345,679.0 (solar is free).
    """
    sys = tiny_system(
        gens=[
            gen("north", "solar_utility", cap0=300, avail=[1.0, 0.0]),
            gen("north", "ocgt", cap0=200, mc=100),
        ],
        storage=[
            store(
                "north",
                "battery_4h",
                pcap0=0,
                pcapmax=1000,
                dur=4,
                eff_c=0.9,
                eff_d=0.9,
                capex_p=100_000,
            )
        ],  # fmt: skip
        demand=[100.0, 100.0],
    )
    res = solve_checked(sys)
    assert res.attrs["objective_usd"] == approx(100_000 * 100 / 0.81)
    assert float(res["storage_power_mw"].values[0]) == approx(100 / 0.81)
    assert float(res["storage_power_new_mw"].values[0]) == approx(100 / 0.81)
    assert gen_of(res, "north/ocgt")[1] == approx(0)


def test_corridor_losses_and_expansion():
    """North coal (20 $/MWh, 500 MW), south OCGT (100 $/MWh); demand north 100, south 200; 8760 h.

    Corridor north->south: 50 MW existing, eta 0.95, expansion 100,000 $/MW/yr. One more MW of
    corridor saves (0.95*100 - 20)*8760 = 657,000 $/yr, so it grows until the south is served
    from the north: 0.95*fwd = 200 -> fwd = fcap = 210.5263 MW.
    cost = 20*8760*(100 + 210.5263) + 100,000*(210.5263 - 50) = 70,456,842.1.
    Prices: north 20; south (20 + 100,000/8760)/0.95 (coal plus corridor, per MWh received).
    Losses 0.05*210.5263*8760 = 92,210.5 MWh.
    """
    fwd = 200 / 0.95
    sys = tiny_system(
        regions=["north", "south"],
        gens=[gen("north", "coal", cap0=500, mc=20), gen("south", "ocgt", cap0=500, mc=100)],
        corridors=[corridor("north", "south", fcap0=50, fcapmax=1000, eta=0.95, capex=100_000)],
        demand=[[100.0], [200.0]],
    )
    res = solve_checked(sys)
    expect = 20 * 8760 * (100 + fwd) + 100_000 * (fwd - 50)
    assert res.attrs["objective_usd"] == approx(expect)
    assert float(res["corridor_capacity_mw"].values[0]) == approx(fwd)
    assert float(res["flow_fwd_mw"].values[0, 0]) == approx(fwd)
    assert float(res["corridor_loss_mwh"].values[0]) == approx(0.05 * fwd * 8760)
    price = res["price_usd_per_mwh"].values[:, 0]
    assert price[0] == approx(20)
    assert price[1] == approx((20 + 100_000 / 8760) / 0.95)


def _lng_system(contract: float = float("inf")):
    return tiny_system(
        regions=["south"],
        gens=[
            gen("south", "ccgt_lng", cap0=50, eff=0.5, mc=40, hub="thi_vai"),
            gen("south", "oil", cap0=100, mc=200),
        ],
        hubs=[
            hub(
                "thi_vai",
                "south",
                regas=150,
                tank0=0,
                tankmax=1e9,
                capex=1.0,
                reserve_days=1 / 24,
                contract=contract,
                avail=[1, 1, 0, 1],
            )
        ],  # fmt: skip
        demand=[50.0] * 4,
    )


def test_lng_inventory_reserve_disruption_and_tank():
    """LNG CCGT 50 MW (eff 0.5: 100 MW_th at full load), 40 $/MWh; oil 200 $/MWh; demand 50 MW.

    4 steps of 1 h (weight 2190), hub: regas 150 MW_th, no send-out at t2 (disruption), strategic
    reserve 1/24 d of full burn = 100 MWh_th outside the disruption, tank expansion 1 $/MWh_th/yr.
    Running the CCGT flat needs inv1 >= 100 + inv2 and inv3 = inv2 + s3 - 100 <= inv2 + 50 >= 100,
    so inv2 >= 50 and inv1 >= 150: tank = 150 MWh_th (s = 100, 150, 0, 150 is feasible).
    cost = 40*50*8760 + 150*1 = 17,520,150.
    """
    res = solve_checked(_lng_system())
    assert res.attrs["objective_usd"] == approx(17_520_150)
    assert float(res["tank_new_mwh_th"].values[0]) == approx(150)
    assert float(res["lng_send_out_mw_th"].values[0, 2]) == approx(0)
    np.testing.assert_allclose(gen_of(res, "south/ccgt_lng"), 50, rtol=REL)
    assert float(res["lng_inventory_mwh_th"].values[0, 2]) == approx(50)


def test_lng_annual_contract():
    """Same system with an annual contract of 657,000 MWh_th (300 MWh_th per 4-step cycle).

    Burn <= 300 per cycle -> CCGT 150 MWh, oil 50 MWh per cycle. The reserve (100 MWh_th at t0,
    t1, t3) still needs tank >= 100, and 100 is enough (burn 100, 100, b2, b3 with b2 + b3 = 100,
    s3 = b2 + b3 <= 150). cost = 2190*(40*150 + 200*50) + 100 = 35,040,100.
    """
    res = solve_checked(_lng_system(contract=657_000))
    assert res.attrs["objective_usd"] == approx(35_040_100)
    assert float(res["tank_mwh_th"].values[0]) == approx(100)
    sent = float((res["lng_send_out_mw_th"] * 2190).sum())
    assert sent == approx(657_000)


def test_shed_at_voll():
    """Coal 60 MW (20 $/MWh) against 100 MW of demand for 8760 h, no reserve margin.

    40 MW are shed at VOLL 10,000 $/MWh: cost = 40*8760*10,000 + 60*8760*20 = 3,514,512,000;
    the price is VOLL and unserved energy 350,400 MWh.
    """
    sys = tiny_system(
        gens=[gen("north", "coal", cap0=60, mc=20)], demand=[100.0], reserve_margin=float("nan")
    )
    res = solve_checked(sys)
    assert res.attrs["objective_usd"] == approx(3_514_512_000)
    assert float(res["unserved_energy_mwh"].sum()) == approx(350_400)
    assert float(res["price_usd_per_mwh"].values[0, 0]) == approx(10_000)
