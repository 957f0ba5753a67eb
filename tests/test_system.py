"""build_system: the System contract of docs/architecture.md on the bundled scenarios."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from energy_sim.errors import InputError
from energy_sim.inputs import data as D
from energy_sim.inputs import data_year as DY
from energy_sim.inputs import system as S
from energy_sim.inputs import system_fleet as FL
from energy_sim.inputs import system_series as SER
from energy_sim.inputs import system_summary as SUM
from energy_sim.inputs.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
PDP8 = ROOT / "scenarios" / "pdp8_2030.yaml"
ARCH = ROOT / "docs" / "architecture.md"
VIETNAM = ROOT / "data" / "vietnam"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(PDP8)


@pytest.fixture(scope="module")
def hourly(scenario) -> xr.Dataset:
    return S.build_hourly_system(scenario)


@pytest.fixture(scope="module")
def system(hourly, scenario) -> xr.Dataset:
    from energy_sim.inputs.timeseries import aggregate

    return aggregate(S.add_peaks(hourly), scenario.resolution)


def contract_names() -> tuple[list[str], list[str]]:
    """Variable names and scalar attrs of the System section of docs/architecture.md."""
    text = ARCH.read_text()
    section = text.split("## The System dataset", 1)[1].split("## The Results dataset", 1)[0]
    names = []
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names += re.findall(r"`([a-z_0-9]+)`", first_cell)
    attrs_text = section.split("Scalar attrs:", 1)[1].split("`timestamp` carries", 1)[0]
    attrs = [a for a in re.findall(r"`([a-z_0-9]+)`", attrs_text) if a != "build_system"]
    return names, attrs


def test_every_contract_variable_with_units(system):
    names, attrs = contract_names()
    assert len(names) > 40 and "demand_mw" in names
    for name in names:
        assert name in system.variables, name
        if name != "timestamp":  # NetCDF's datetime encoding owns the units of timestamps
            assert "units" in system[name].attrs, name
        assert "description" in system[name].attrs, name
    for name in attrs:
        assert name in system.attrs, name
    assert system.sizes["region"] == 6
    assert system.sizes["corridor"] == 7
    json.loads(system.attrs["lp_solver_options"])


def test_weights_cover_the_year(system, hourly):
    for ds in (system, hourly):
        assert float((ds["weight"] * ds["dt_h"]).sum()) == pytest.approx(8760.0, abs=1e-6)
    assert system.attrs["resolution"] == "24d"  # scenarios/pdp8_2030.yaml
    assert hourly.sizes["time"] == 8760


def test_demand_matches_energy_and_coincident_peak(hourly, scenario):
    data = D.read_data(scenario.data)
    target = DY.demand_table(data, scenario.year, scenario.demand_case)
    pair = DY.demand_pair(data, scenario.year, scenario.demand_case)
    demand = hourly["demand_mw"].transpose("region", "time").to_numpy()
    assert np.allclose(demand.sum(axis=1) / 1e6, target["energy_twh"], rtol=1e-9)
    assert demand.sum() / 1e6 == pytest.approx(pair.energy_twh, rel=1e-9)
    assert demand.sum(axis=0).max() == pytest.approx(pair.peak_mw, rel=SUM.PAIR_TOLERANCE)
    assert hourly.attrs["pair_peak_mw"] == pair.peak_mw


def _mean_coincident_peak(scenario, year: int, case: str, seeds) -> tuple[float, float]:
    sc = scenario.model_copy(update={"year": year, "demand_case": case})
    data = D.read_data(sc.data)
    peaks, energy = [], []
    for seed in seeds:
        demand = SER.demand(sc.model_copy(update={"seed": seed}), data, data.regions)
        peaks.append(demand.sum(axis=0).max())
        energy.append(demand.sum() / 1e6)
        # the coincident peak is below the sum of the regional peaks (diversity)
        assert peaks[-1] < demand.max(axis=1).sum()
    return float(np.mean(peaks)), float(np.max(np.abs(np.array(energy) / energy[0] - 1)))


@pytest.mark.parametrize("case", ["low", "high"])
def test_2030_peaks_on_their_published_pairs(scenario, case):
    """Issue 11: each case's coincident hourly peak, mean over seeds 1-20, within 1% of its
    paired Pmax (560.4 TWh <-> 89,655 MW, 624.6 TWh <-> 99,934 MW), energy exact."""
    energy, pmax = {"low": (560.4, 89_655), "high": (624.6, 99_934)}[case]
    peak, spread = _mean_coincident_peak(scenario, 2030, case, range(1, 21))
    assert abs(peak / pmax - 1) <= SUM.PAIR_TOLERANCE
    assert spread < 1e-9
    sc = scenario.model_copy(update={"demand_case": case, "seed": 5})
    data = D.read_data(sc.data)
    assert SER.demand(sc, data, data.regions).sum() / 1e6 == pytest.approx(energy, rel=1e-9)


@pytest.mark.parametrize("year", [2025, 2035, 2040, 2045, 2050])
def test_every_year_on_its_pair(scenario, year):
    data = D.read_data(scenario.data)
    for case in ("low", "high"):
        pair = DY.demand_pair(data, year, case)
        peak, _ = _mean_coincident_peak(scenario, year, case, (1, 2, 3))
        assert abs(peak / pair.peak_mw - 1) <= SUM.PAIR_TOLERANCE, (year, case)


def test_reserve_margin_peak_does_not_depend_on_the_seed(scenario):
    """The margin is planned against the year's forecast peak: every seed gives the System the
    same ``peak_demand_mw`` (the pair's Pmax), only the hours and regional peaks move."""
    peaks = []
    for seed in (1, 2030):
        sc = scenario.model_copy(update={"seed": seed})
        peaks.append(float(S.add_peaks(S.build_hourly_system(sc))["peak_demand_mw"]))
    assert peaks[0] == pytest.approx(peaks[1], rel=1e-6)
    assert peaks[0] == pytest.approx(89_655, rel=1e-6)


def test_2025_north_peak_in_the_operators_terms(scenario):
    """The grid operator's North (model north + north_central: Thanh Hoa, Nghe An, Ha Tinh
    included) peaked at 28,187 MW in 2025 against 54,939 MW national (NLDC, 1-4 Aug 2025);
    demand_regions.csv's 2025 shares are calibrated to it (data/SOURCES.md)."""
    sc = scenario.model_copy(update={"year": 2025})
    data = D.read_data(sc.data)
    north = [data.regions.index(r) for r in ("north", "north_central")]
    peaks = []
    for seed in range(1, 21):
        demand = SER.demand(sc.model_copy(update={"seed": seed}), data, data.regions)
        peaks.append(demand[north].sum(axis=0).max())
    assert abs(np.mean(peaks) / 28_187 - 1) <= 0.02


def test_annual_energy_survives_aggregation(system, hourly):
    w = (system["weight"] * system["dt_h"]).to_numpy()
    agg = system["demand_mw"].transpose("region", "time").to_numpy() @ w
    full = hourly["demand_mw"].sum("time").to_numpy()
    assert np.allclose(agg, full, rtol=1e-9)
    assert float(system["peak_demand_mw"]) == pytest.approx(
        float(hourly["demand_mw"].sum("region").max())
    )


def test_groups_and_bounds(system):
    cap0, capmax = system["cap0_mw"].to_numpy(), system["capmax_mw"].to_numpy()
    assert (capmax >= cap0).all() and ((cap0 > 0) | (capmax > 0)).all()
    gens = [str(g) for g in system["gen"].values]
    assert all(
        g == f"{r}/{t}"
        for g, r, t in zip(gens, system.gen_region.values, system.gen_tech.values, strict=True)
    )
    assert set(system["storage_tech"].values) == {"pumped_hydro", "battery_2h", "battery_4h"}
    # LNG plants are fed by the hub of their region; nothing else is
    lng = system["is_lng"].to_numpy()
    hub_region = dict(zip(system.hub.values, system.hub_region.values, strict=True))
    for g, hub, region in zip(lng, system.gen_hub.values, system.gen_region.values, strict=True):
        assert (hub != "") == g
        if g:
            assert hub_region[hub] == region
    # reservoir hydro has a monthly budget, the others NaN
    cf = system["hydro_cf_month"].to_numpy()
    res = system["is_reservoir_hydro"].to_numpy()
    assert np.isfinite(cf[res]).all() and np.isnan(cf[~res]).all()
    avail = system["availability"].to_numpy()
    assert (avail >= 0).all() and (avail <= 1).all()


def test_costs_follow_the_formulas(system, scenario):
    data = D.read_data(scenario.data)
    techs, fuels = DY.tech_table(data, 2030), DY.fuel_table(data, 2030)
    g = "north/coal"
    eff = techs.loc["coal", "efficiency"]
    price = fuels.loc["coal_domestic", "price_usd_per_gj"] * 3.6
    mc = price / eff + techs.loc["coal", "vom_usd_per_mwh"]
    assert float(system["marginal_cost_usd_per_mwh"].sel(gen=g)) == pytest.approx(mc)
    assert float(system["co2_t_per_mwh"].sel(gen=g)) == pytest.approx(0.3416 / eff)
    i, n, x = 0.10, 30, techs.loc["coal", "capex_musd_per_mw"] * 1e6
    ann = x * i * (1 + i) ** n / ((1 + i) ** n - 1)
    assert float(system["ann_capex_usd_per_mw"].sel(gen=g)) == pytest.approx(ann)
    assert S.annuity(100.0, 0.0, 20) == pytest.approx(5.0)
    # solar: no fuel, profile availability with the regional target CF
    solar = system["availability"].sel(gen="south_central/solar_utility")
    w = (system["weight"] * system["dt_h"]).to_numpy()
    assert float(solar.to_numpy() @ w) / 8760 == pytest.approx(0.205, rel=0.02)


def test_pdp8_ranges_and_overrides(scenario):
    data = D.read_data(scenario.data)
    lo, hi = FL.policy_ranges(scenario, data)
    techs = data.techs
    assert lo[techs.index("wind_onshore")] == 26_066
    assert hi[techs.index("coal")] == 31_055
    sc = scenario.model_copy(
        update={
            "policies": scenario.policies.model_copy(
                update={"build_ranges": {"battery_4h": (12_000.0, None)}}
            )
        }
    )
    lo, hi = FL.policy_ranges(sc, data)
    assert lo[techs.index("battery_4h")] == 12_000 and np.isinf(hi[techs.index("battery_4h")])
    off = scenario.model_copy(
        update={"policies": scenario.policies.model_copy(update={"pdp8_ranges": False})}
    )
    lo, hi = FL.policy_ranges(off, data)
    assert (lo == 0).all() and np.isinf(hi).all()


def test_unreachable_build_range_is_a_user_error():
    sc = load_scenario(PDP8, {"policies.build_ranges": {"nuclear": [20_000, None]}})
    with pytest.raises(InputError, match="minimum of nuclear cannot be reached"):
        S.build_system(sc)


def test_no_new_corridors_and_frozen_techs(scenario):
    data = D.read_data(scenario.data)
    sc = scenario.model_copy(
        update={
            "investments": scenario.investments.model_copy(
                update={
                    "new_corridors": False,
                    "new_tanks": False,
                    "technologies": ["solar_utility"],
                }
            ),
            "policies": scenario.policies.model_copy(update={"pdp8_ranges": False}),
        }
    )
    groups = FL.groups(sc, data, DY.tech_table(data, sc.year))
    gen = groups["gen"]
    frozen = gen[gen["tech"] != "solar_utility"]
    assert (frozen["capmax"] == frozen["cap0"]).all()
    assert (gen.loc[gen["tech"] == "solar_utility", "capmax"] > 0).all()
    # corridors and tanks through the whole build, from the bundled scenario file
    no500 = S.build_system(
        load_scenario(
            ROOT / "scenarios" / "pdp8_2030_no_new_500kv.yaml", {"investments.new_tanks": False}
        ),
        resolution="24h",
    )
    assert np.array_equal(no500["fcapmax_mw"], no500["fcap0_mw"])
    assert np.array_equal(no500["tankmax_mwh_th"], no500["tank0_mwh_th"])
    assert no500.attrs["allow_new_corridors"] == 0


def test_regional_reserve_margin(scenario):
    sc = load_scenario(PDP8, {"regional_reserve_margin": {"north": 0.2}})
    margin = FL.regional_margin(sc, ["north", "south"])
    assert margin[0] == 0.2 and np.isnan(margin[1])
    regions = list(D.read_data(scenario.data).regions)
    assert (FL.regional_margin(scenario, regions) == 0.15).all()  # pdp8_2030: every region
    none = load_scenario(PDP8, {"regional_reserve_margin": None})
    assert np.isnan(FL.regional_margin(none, ["north"])).all()


def test_same_seed_same_system_other_seed_differs(scenario, hourly):
    again = S.build_hourly_system(scenario)
    xr.testing.assert_identical(again, hourly)
    data = D.read_data(scenario.data)
    other = SER.demand(scenario.model_copy(update={"seed": 7}), data, data.regions)
    assert not np.allclose(other, hourly["demand_mw"].to_numpy())


def test_user_demand_profile_in_mw(tmp_path, scenario):
    regions = list(D.read_data(scenario.data).regions)
    mw = pd.DataFrame({r: np.full(8760, 1000.0 + k) for k, r in enumerate(regions)})
    path = tmp_path / "demand.csv"
    mw.to_csv(path, index=False)
    sc = load_scenario(PDP8, {"profiles.demand": str(path)})
    data = D.read_data(sc.data)
    demand = SER.demand(sc, data, regions)
    assert np.allclose(demand, mw.to_numpy().T)
    # a per-unit shape is scaled to the regional energy and the pair's coincident peak
    mw.iloc[:, :] = np.linspace(0.5, 1.0, 8760)[:, None] * np.linspace(0.9, 1.0, len(regions))
    mw.to_csv(path, index=False)
    demand = SER.demand(sc, data, regions)
    target = DY.demand_table(data, 2030, "low")
    assert np.allclose(demand.sum(axis=1) / 1e6, target["energy_twh"], rtol=1e-9)
    assert demand.sum(axis=0).max() == pytest.approx(89_655, rel=1e-6)


@pytest.mark.parametrize(
    ("name", "energy", "peak"),
    [("pdp8_2030_high", "624.6", "99,934"), ("netzero_2050", "1,360.1", "205,732")],
)
def test_validate_prints_the_pair(name, energy, peak):
    """Issue 11's done-criteria: the high case and a 2050 scenario validate on their pairs."""
    from energy_sim.cli import app

    out = CliRunner().invoke(app, ["validate", str(ROOT / "scenarios" / f"{name}.yaml")])
    assert out.exit_code == 0, out.output
    row = next(line for line in out.output.splitlines() if "coincident_peak_mw" in line)
    assert row.count(peak) == 2 and "ok" in row  # system and pair
    assert f"National annual demand {energy} TWh" in out.output
    assert "published pair" in out.output and "WARNING" not in out.output


def test_bad_user_profile_is_a_user_error(tmp_path):
    path = tmp_path / "solar.csv"
    pd.DataFrame({"north": [0.1] * 100}).to_csv(path, index=False)
    sc = load_scenario(PDP8, {"profiles.solar": str(path)})
    with pytest.raises(InputError) as info:
        S.build_system(sc)
    assert "solar.csv" in info.value.render()


def test_netcdf_round_trip(system, tmp_path):
    path = tmp_path / "system.nc"
    system.to_netcdf(path, engine="h5netcdf")
    back = xr.load_dataset(path, engine="h5netcdf")
    assert np.allclose(back["demand_mw"], system["demand_mw"])


def test_summary_tables(system):
    tables = SUM.system_summary(system)
    nat = tables["national"].iloc[0]
    assert nat["demand_twh"] == pytest.approx(560.4)
    assert nat["coincident_peak_gw"] == pytest.approx(89.655, rel=SUM.PAIR_TOLERANCE)
    pair = SUM.demand_vs_pair(system)
    assert list(pair.index) == ["energy_twh", "coincident_peak_mw", "load_factor"]
    assert not pair["warn"].any() and pair.attrs["tag"] == "published"
    assert pair.loc["coincident_peak_mw", "pair"] == 89_655
    assert nat["basis"] == "production+imports"
    assert len(tables["regions"]) == 6 and len(tables["corridors"]) == 7
    assert tables["capacity"].loc["coal", "existing_mw"] == pytest.approx(27_560)


def test_validate_command(tmp_path):
    from energy_sim.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(PDP8)])
    assert ok.exit_code == 0, ok.output
    assert "National annual demand 560.4 TWh" in ok.output
    assert "6 regions" in ok.output and "7 corridors" in ok.output
    assert "published pair" in ok.output and "89,655" in ok.output
    assert "WARNING" not in ok.output
    # a user's MW demand far from the pair is reported, not silently planned
    regions = list(D.read_data(VIETNAM).regions)
    path = tmp_path / "demand_mw.csv"
    pd.DataFrame({r: np.full(8760, 10_000.0) for r in regions}).to_csv(path, index=False)
    user = tmp_path / "user.yaml"
    user.write_text(f"extends: {PDP8}\nprofiles: {{demand: {path}}}\n")
    warned = runner.invoke(app, ["validate", str(user)])
    assert warned.exit_code == 0, warned.output
    assert "WARNING: energy_twh" in warned.output
    assert "WARNING: coincident_peak_mw" in warned.output
    # a broken data folder: one line, exit 2
    bad = tmp_path / "data"
    import shutil

    shutil.copytree(VIETNAM, bad)
    (bad / "fuels.csv").unlink()
    yaml = tmp_path / "s.yaml"
    yaml.write_text(f"extends: {PDP8}\ndata: {bad}\n")
    res = runner.invoke(app, ["validate", str(yaml)])
    assert res.exit_code == 2
    assert "fuels.csv" in res.output and "Traceback" not in res.output
