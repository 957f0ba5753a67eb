"""The bundled Vietnam dataset and the checks of energy_sim.data (every error class)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy_sim import data as D
from energy_sim.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
VIETNAM = ROOT / "data" / "vietnam"


@pytest.fixture(scope="module")
def vn() -> D.DataTables:
    return D.read_data(VIETNAM)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder."""
    dst = tmp_path / "vietnam"
    shutil.copytree(VIETNAM, dst)
    return dst


def edit(folder: Path, name: str, fn) -> None:
    """Rewrite one table of ``folder`` as text (keeps every other cell as written)."""
    path = folder / name
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(table)
    table.to_csv(path, index=False)


def raises(folder: Path, *parts: str) -> InputError:
    with pytest.raises(InputError) as info:
        D.read_data(folder)
    text = info.value.render()
    for part in parts:
        assert part in text, text
    return info.value


# ------------------------------------------------------------------------- error classes


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="data folder not found"):
        D.read_data(tmp_path / "nowhere")


@pytest.mark.parametrize("name", sorted(D.TABLES))
def test_missing_file(folder, name):
    (folder / name).unlink()
    err = raises(folder, name, "not found")
    assert err.file.endswith(name)


def test_missing_column(folder):
    edit(folder, "fleet.csv", lambda t: t.pop("capacity_mw"))
    err = raises(folder, "fleet.csv", "capacity_mw", "missing column")
    assert err.field == "capacity_mw"


def test_nan_cell(folder):
    edit(folder, "corridors.csv", lambda t: t.__setitem__("efficiency", ["", *t.efficiency[1:]]))
    raises(folder, "corridors.csv", "efficiency, line 2", "empty cell")


def test_nan_text_cell(folder):
    edit(folder, "tech_costs.csv", lambda t: t.loc.__setitem__((3, "vom_usd_per_mwh"), "nan"))
    raises(folder, "tech_costs.csv", "vom_usd_per_mwh, line 5", "empty cell")


def test_non_numeric(folder):
    edit(folder, "fuels.csv", lambda t: t.loc.__setitem__((0, "price_usd_per_gj"), "cheap"))
    raises(folder, "fuels.csv", "price_usd_per_gj, line 2", "not a number", "'cheap'")


def test_negative_capacity(folder):
    edit(folder, "fleet.csv", lambda t: t.loc.__setitem__((2, "capacity_mw"), "-5"))
    raises(folder, "fleet.csv", "capacity_mw, line 4", "negative", "allowed: a number >= 0")


def test_negative_cost(folder):
    edit(folder, "tech_costs.csv", lambda t: t.loc.__setitem__((0, "capex_musd_per_mw"), "-1"))
    raises(folder, "tech_costs.csv", "capex_musd_per_mw, line 2", "negative")


def test_fraction_out_of_range(folder):
    edit(folder, "technologies.csv", lambda t: t.loc.__setitem__((0, "capacity_credit"), "1.5"))
    raises(folder, "technologies.csv", "capacity_credit, line 2", "too large", "<= 1")


def test_unknown_region(folder):
    edit(folder, "fleet.csv", lambda t: t.loc.__setitem__((0, "region"), "mekong"))
    err = raises(folder, "fleet.csv", "region, line 2", "unknown region", "'mekong'")
    assert "north_central" in err.allowed


def test_unknown_tech(folder):
    edit(folder, "build_limits.csv", lambda t: t.loc.__setitem__((5, "tech"), "fusion"))
    raises(folder, "build_limits.csv", "tech, line 7", "unknown technology", "'fusion'")


def test_unknown_corridor_region(folder):
    edit(folder, "corridors.csv", lambda t: t.loc.__setitem__((0, "to_region"), "laos"))
    raises(folder, "corridors.csv", "to_region, line 2", "unknown region")


def test_unknown_fuel(folder):
    edit(folder, "technologies.csv", lambda t: t.loc.__setitem__((1, "fuel"), "hydrogen"))
    raises(folder, "technologies.csv", "fuel, line 3", "unknown fuel")


def test_duplicate_row(folder):
    edit(folder, "regions.csv", lambda t: t.loc.__setitem__((1, "region"), "north"))
    raises(folder, "regions.csv", "duplicate row", "north")


def test_demand_missing_region(folder):
    path = folder / "demand.csv"
    table = pd.read_csv(path)
    table[~((table.year == 2030) & (table.case == "low") & (table.region == "south"))].to_csv(
        path, index=False
    )
    raises(folder, "demand.csv", "demand missing for a region", "2030 low: south")


def test_hydro_month_missing(folder):
    path = folder / "hydro_monthly.csv"
    table = pd.read_csv(path)
    table.drop(index=3).to_csv(path, index=False)
    raises(folder, "hydro_monthly.csv", "months 1..12")


# ------------------------------------------------------------------- interpolation by year


def test_tech_costs_interpolate_linearly(vn):
    a, b, mid = D.tech_table(vn, 2025), D.tech_table(vn, 2030), D.tech_table(vn, 2027)
    expected = a["capex_musd_per_mw"] + 0.4 * (b["capex_musd_per_mw"] - a["capex_musd_per_mw"])
    assert np.allclose(mid["capex_musd_per_mw"], expected)
    # held constant beyond the last table year
    assert np.allclose(
        D.tech_table(vn, 2050)["fom_kusd_per_mw_yr"], D.tech_table(vn, 2045)["fom_kusd_per_mw_yr"]
    )


def test_fuel_prices_interpolate(vn):
    f = D.fuel_table(vn, 2040)
    assert f.loc["lng", "price_usd_per_gj"] == pytest.approx(10.9 + 0.5 * (10.5 - 10.9))


def test_demand_interpolates_geometrically(vn):
    a, b = D.demand_table(vn, 2030, "low"), D.demand_table(vn, 2045, "low")
    mid = D.demand_table(vn, 2035, "low")
    assert np.allclose(mid, a * (b / a) ** (5 / 15))
    with pytest.raises(InputError, match="unknown demand case"):
        D.demand_table(vn, 2030, "medium")
    with pytest.raises(InputError, match="no demand for this year"):
        D.demand_table(vn, 2050, "low")


def test_retirements(vn):
    at2025 = D.existing_capacity(vn, "end2025", 2025).sum()
    at2030 = D.existing_capacity(vn, "end2025", 2030).sum()
    assert at2025["coal"] - at2030["coal"] == pytest.approx(540)
    assert at2025["oil"] - at2030["oil"] == pytest.approx(600)


# --------------------------------------------------------- the figures agree with DATA.md


def test_end2025_fleet_matches_published_totals(vn):
    cap = D.existing_capacity(vn, "end2025", 2025).sum()
    imports = cap["import_laos"] + cap["import_china"]
    assert cap.sum() - imports == pytest.approx(87_600)
    assert cap["coal"] == pytest.approx(28_100)
    assert cap["hydro_reservoir"] + cap["hydro_ror"] == pytest.approx(24_640)
    renewables = cap[["solar_utility", "solar_rooftop", "wind_onshore", "biomass"]].sum()
    assert renewables == pytest.approx(24_453)
    assert cap["import_laos"] == pytest.approx(1_600)
    assert cap["import_china"] == pytest.approx(550)


def test_pdp8_2030_fleet_in_published_ranges(vn):
    cap = D.existing_capacity(vn, "pdp8_2030", 2030).sum()
    assert 183_291 <= cap.sum() <= 236_363
    assert 46_459 <= cap["solar_utility"] + cap["solar_rooftop"] <= 73_416
    assert 26_066 <= cap["wind_onshore"] <= 38_029
    assert 10_000 <= cap["battery_2h"] + cap["battery_4h"] <= 16_300
    assert 9_360 <= cap["import_laos"] + cap["import_china"] <= 12_100


def test_build_ranges_add_up_to_pdp8(vn):
    r = D.build_ranges(vn, 2030)

    def total(*techs):
        return r.loc[list(techs)].sum()

    assert tuple(total("solar_utility", "solar_rooftop")) == (46_459, 73_416)
    assert tuple(total("battery_2h", "battery_4h")) == (10_000, 16_300)
    assert tuple(total("biomass", "waste")) == (3_009, 4_881)
    assert tuple(total("import_laos", "import_china")) == (9_360, 12_100)
    assert tuple(total("hydro_reservoir", "hydro_ror")) == (33_294, 34_667)
    assert tuple(r.loc["wind_onshore"]) == (26_066, 38_029)
    assert tuple(r.loc["ccgt_gas"]) == (10_861, 14_930)


def test_build_limits_leave_room_for_the_pdp8_maxima(vn):
    limit = D.build_limit(vn, 2030).sum()
    r = D.build_ranges(vn, 2030)
    for tech, (_lo, hi) in r.iterrows():
        assert limit[tech] >= hi, tech


def test_demand_2030_national_totals(vn):
    for case, energy in (("low", 560.4), ("high", 624.6)):
        d = D.demand_table(vn, 2030, case)
        assert d["energy_twh"].sum() == pytest.approx(energy, rel=1e-4)
        assert list(d.index) == vn.regions


def test_corridors_are_the_seven_of_data_md(vn):
    cor = D.corridor_table(vn, 2030)
    assert len(cor) == 7
    assert cor.loc["north-north_central", ["capacity_mw", "length_km", "efficiency"]].tolist() == [
        4600,
        330,
        0.968,
    ]
    assert cor["capacity_mw"].sum() == pytest.approx(30_800)
    assert (cor["capex_usd_per_mw_km"] == 928).all()


def test_six_regions(vn):
    assert vn.regions == [
        "north",
        "north_central",
        "central_central",
        "central_highlands",
        "south_central",
        "south",
    ]
