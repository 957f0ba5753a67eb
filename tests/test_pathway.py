"""Investment periods (MODEL.md, Investment periods) on tiny systems solved by hand.

Every system has one region, one step standing for the whole year (``weight*dt = 8760``) and a
constant demand of 100 MW, so a period's cost is ``ann * MW`` of what stands plus fuel. With a
discount rate of 0 and the base year at the first period, ``D_p = n_p = 5``.
"""

from __future__ import annotations

import numpy as np
import pytest
from factory import gen, tiny_system

from energy_sim.errors import InputError
from energy_sim.planning.model.pathway import discounted_years
from energy_sim.planning.pathway import select_period, solve_pathway

A = 100.0  # USD/MW/yr: annuity of the cheap technology
DEMAND = 100.0


def _system(year: int, gens: list[dict], **kw) -> object:
    return tiny_system(gens=gens, demand=DEMAND, steps=1, weight=8760.0, year=year, **kw)


def _solve(systems: dict, foresight: str = "perfect", **kw):
    res = solve_pathway(systems, foresight=foresight, discount_rate=0.0, base_year=2030, **kw)
    assert res.attrs["status"] == "optimal", res.attrs
    return res


def _built(res, tech: str) -> list[float]:
    da = res["capacity_built_mw"].where(res["gen_tech"] == tech, 0.0).sum("gen")
    return [round(float(x), 6) for x in da.values]


def _standing(res, tech: str) -> list[float]:
    da = res["capacity_mw"].where(res["gen_tech"] == tech, 0.0).sum("gen")
    return [round(float(x), 6) for x in da.values]


def test_discounted_years_by_hand():
    # 10%, base 2025: the period 2030 stands for 2030..2034 -> 1.1^-5 + ... + 1.1^-9
    n, D = discounted_years([2030, 2035], 2025, 0.10)
    assert n.tolist() == [5, 5]
    hand = [sum(1.1 ** -(y - 2025) for y in range(2030, 2035)),
            sum(1.1 ** -(y - 2025) for y in range(2035, 2040))]  # fmt: skip
    assert D[0] == pytest.approx(2.589158, abs=1e-6)
    assert D == pytest.approx(hand, rel=1e-12)
    n, D = discounted_years([2030, 2040], 2025, 0.0, last_years=3)
    assert n.tolist() == [10, 3] and D.tolist() == [10.0, 3.0]


def test_a_plant_built_in_period_one_serves_period_two():
    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A, life=30)
    res = _solve({2030: _system(2030, [solar]), 2035: _system(2035, [solar])})
    assert _built(res, "solar_utility") == [100.0, 0.0]
    assert _standing(res, "solar_utility") == [100.0, 100.0]
    # the vintage pays its annuity in both periods: 5*A*100 + 5*A*100
    assert res.attrs["objective_usd"] == pytest.approx(2 * 5 * A * DEMAND, rel=1e-7)
    assert res.attrs["lp_objective_usd"] == pytest.approx(res.attrs["objective_usd"], rel=1e-9)
    capex = res["cost_usd"].sel(cost_component="generation_capex").values
    assert capex == pytest.approx([A * DEMAND, A * DEMAND], rel=1e-7)


def test_a_retirement_forces_a_build():
    # 100 MW of coal stand in 2030 and are gone in 2035 (cap0 follows the fleet's retirements)
    old = {"mc": 0.001, "ann_capex": 1e6, "capmax": 100}
    sys30 = _system(2030, [gen("north", "coal", cap0=100, **old),
                           gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A)])  # fmt: skip
    sys35 = _system(2035, [gen("north", "coal", cap0=0, **old),
                           gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A)])  # fmt: skip
    res = _solve({2030: sys30, 2035: sys35})
    assert _built(res, "solar_utility") == [0.0, 100.0]
    assert _standing(res, "coal") == [100.0, 0.0]
    # existing coal is sunk: 2030 pays fuel 0.001*8760*100 (less than an annuity of A*100),
    # 2035 the new plant's annuity
    hand = 5 * 0.001 * 8760 * DEMAND + 5 * A * DEMAND
    assert res.attrs["objective_usd"] == pytest.approx(hand, rel=1e-7)


def test_capex_stops_when_a_vintage_retires_and_is_cut_at_the_horizon():
    # life 5: a plant built in 2030 is gone in 2035, so each period builds (and pays) again
    short = gen("north", "ocgt", cap0=0, capmax=1e4, ann_capex=A, life=5)
    systems = {y: _system(y, [short]) for y in (2030, 2035, 2040)}
    res = _solve(systems)
    assert _built(res, "ocgt") == [100.0, 100.0, 100.0]
    capex = res["cost_usd"].sel(cost_component="generation_capex").values
    assert capex == pytest.approx([A * DEMAND] * 3, rel=1e-7)  # never two vintages at once
    # life 30 built in 2030: charged for the 10 years inside the horizon, not 30
    long = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A, life=30)
    res = _solve({2030: _system(2030, [long]), 2035: _system(2035, [long])})
    assert res.attrs["objective_usd"] == pytest.approx(10 * A * DEMAND, rel=1e-7)
    # and a horizon stated longer (last period stands 20 years) charges it 25 years
    res = _solve({2030: _system(2030, [long]), 2035: _system(2035, [long])},
                 last_period_years=20)  # fmt: skip
    assert res.attrs["objective_usd"] == pytest.approx(25 * A * DEMAND, rel=1e-7)


def test_discounting_weights_each_period():
    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A)
    systems = {2030: _system(2030, [solar]), 2035: _system(2035, [solar])}
    res = solve_pathway(systems, discount_rate=0.10, base_year=2025)
    _, D = discounted_years([2030, 2035], 2025, 0.10)
    assert res["discount_factor"].values == pytest.approx(D, rel=1e-12)
    assert res.attrs["objective_usd"] == pytest.approx(float(D.sum()) * A * DEMAND, rel=1e-7)
    # prices are those of the year (the duals divided by D_p): a fuel plant at 50 USD/MWh
    # sets 50 in both periods, not 50*D_p
    fuel = gen("north", "ccgt_gas", cap0=1000, mc=50.0)
    systems = {2030: _system(2030, [fuel]), 2035: _system(2035, [fuel])}
    res = solve_pathway(systems, discount_rate=0.10, base_year=2025)
    price = res["price_usd_per_mwh"].isel(time=0, region=0).values
    assert price == pytest.approx([50.0, 50.0], rel=1e-9)


def _carbon_case() -> dict:
    coal = gen("north", "coal", cap0=0, capmax=1e4, ann_capex=A, co2=1.0, life=30)
    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=1.5 * A, life=30)
    return {
        2030: _system(2030, [coal, solar]),
        2035: _system(2035, [coal, solar], co2_cap_t=0.0),
    }


def test_myopic_and_perfect_foresight_build_differently():
    # 2035 allows no CO2. Myopic: coal in 2030 (A < 1.5A), stranded in 2035 while still paying
    # its annuity, plus solar: 5*100*A + 5*(100*A + 150*A) = 1750*A.
    # Perfect: solar from 2030: 5*150*A*2 = 1500*A; 250*A (14.3%) cheaper.
    perfect = _solve(_carbon_case(), "perfect")
    myopic = _solve(_carbon_case(), "myopic")
    assert _built(perfect, "solar_utility") == [100.0, 0.0]
    assert _built(perfect, "coal") == [0.0, 0.0]
    assert _built(myopic, "coal") == [100.0, 0.0]
    assert _built(myopic, "solar_utility") == [0.0, 100.0]
    assert perfect.attrs["objective_usd"] == pytest.approx(1500 * A, rel=1e-7)
    assert myopic.attrs["objective_usd"] == pytest.approx(1750 * A, rel=1e-7)
    assert myopic.attrs["n_lps"] == 2 and perfect.attrs["n_lps"] == 1
    assert _standing(myopic, "coal") == [100.0, 100.0]  # stands, cannot run
    assert float(myopic["co2_t"].sel(period=2035).sum()) == pytest.approx(0.0, abs=1e-3)


def test_a_technology_closed_later_still_stands_from_earlier():
    # coal may be built in 2030 but not in 2035 (frozen); 2030's coal stands in 2035
    coal = gen("north", "coal", cap0=0, capmax=1e4, ann_capex=A, life=30)
    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=3 * A, life=30)
    systems = {2030: _system(2030, [coal, solar]), 2035: _system(2035, [coal, solar])}
    frozen = {2035: {"cap": np.array([True, False])}}
    res = _solve(systems, frozen=frozen)
    assert _built(res, "coal") == [100.0, 0.0]
    assert _standing(res, "coal") == [100.0, 100.0]
    # and with coal frozen in 2030 too, solar is built
    res = _solve(systems, frozen={y: {"cap": np.array([True, False])} for y in systems})
    assert _built(res, "coal") == [0.0, 0.0] and _built(res, "solar_utility") == [100.0, 0.0]


def test_select_period_gives_a_single_year_plan():
    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A)
    res = _solve({2030: _system(2030, [solar]), 2035: _system(2035, [solar])})
    one = select_period(res, 2035)
    assert "period" not in one.dims and one.attrs["kind"] == "plan"
    assert float(one["capacity_mw"].sum()) == pytest.approx(100.0)
    assert one.attrs["objective_usd"] == pytest.approx(A * DEMAND, rel=1e-7)


def test_scenario_periods_and_by_period(tmp_path):
    from energy_sim.inputs.scenario import load_scenario

    sc = load_scenario("scenarios/pathway_2050.yaml")
    assert sc.period_list == [2030, 2035, 2040, 2045, 2050]
    p50 = sc.for_period(2050)
    assert p50.year == 2050 and p50.policies.co2_cap_t == 20e6 and p50.periods is None
    assert "coal" not in p50.investments.technologies
    assert sc.for_period(2030).investments.technologies is None  # by_period is not carried
    bad = tmp_path / "bad.yaml"
    bad.write_text("periods: [2030, 2035]\nby_period:\n  2040: {reserve_margin: 0.2}\n")
    with pytest.raises(InputError, match="not a period") as err:
        load_scenario(bad)
    assert err.value.field == "by_period.2040"
    bad.write_text("periods: [2035, 2030]\n")
    with pytest.raises(InputError, match="increase"):
        load_scenario(bad)
    with pytest.raises(InputError, match="not a period"):
        sc.for_period(2033)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_pathway_folder_reads_without_kpis_and_a_period_names_itself(tmp_path):
    from energy_sim.analysis.runs import load_run
    from energy_sim.outputs import provenance
    from energy_sim.planning.pathway import period_kpis
    from energy_sim.planning.results import write_results

    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A)
    peaker = gen("north", "ocgt", cap0=5, mc=5.0)  # an element only 2035 has
    res = _solve({2030: _system(2030, [solar]), 2035: _system(2035, [solar, peaker])})
    assert res["is_clean"].dims == ("gen",)  # no NaN of the period without the peaker
    write_results(res, tmp_path, period_kpis(res))
    (tmp_path / "kpis.json").unlink()
    run = load_run(tmp_path)
    assert sorted(run.kpis["periods"]) == ["2030", "2035"]
    assert run.kpis["periods"]["2030"]["total_cost_usd"] == pytest.approx(A * DEMAND, rel=1e-7)
    assert provenance(plan=select_period(res, 2035))["plan_period"] == 2035
    assert "plan_period" not in provenance(plan=res)


def test_validate_builds_every_period(tmp_path):
    import subprocess
    import sys

    def cli(path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "energy_sim.cli", "validate", str(path)],
                              capture_output=True, text=True, check=False)  # fmt: skip

    done = cli("scenarios/pathway_2050.yaml")
    assert done.returncode == 0, done.stderr
    assert "5 periods" in done.stdout
    assert "1,360.1" in done.stdout and "205,732" in done.stdout  # the 2050 pair
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "periods: [2030, 2040]\nby_period:\n  2040: {policies: {build_ranges: {coal: [5, 1]}}}\n"
    )
    done = cli(bad)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "build_ranges" in done.stderr


def test_sweep_refuses_a_pathway_before_any_work(tmp_path):
    import subprocess
    import sys

    from energy_sim.planning.pathway import period_kpis
    from energy_sim.planning.results import write_results

    solar = gen("north", "solar_utility", cap0=0, capmax=1e4, ann_capex=A)
    res = _solve({2030: _system(2030, [solar]), 2035: _system(2035, [solar])})
    write_results(res, tmp_path / "pw", period_kpis(res))

    def sweep(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "energy_sim.cli", "sweep", *args, "--out", str(tmp_path / "s")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    done = sweep("scenarios/pathway_2050.yaml")
    assert done.returncode == 2 and "pathway" in done.stderr and "--period" in done.stderr
    done = sweep("scenarios/stress_heatwave.yaml", "--plan", str(tmp_path / "pw" / "results.nc"))
    assert done.returncode == 2 and "--plan" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "s").exists()  # nothing written
