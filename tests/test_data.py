"""The bundled Vietnam dataset and the checks of energy_sim.inputs.data (every error class)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy_sim.errors import InputError
from energy_sim.inputs import data as D
from energy_sim.inputs import data_schema as SCH
from energy_sim.inputs import data_year as DY

ROOT = Path(__file__).resolve().parent.parent
VIETNAM = ROOT / "data" / "vietnam"


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


@pytest.mark.parametrize("name", sorted(SCH.TABLES))
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


def test_demand_share_missing_region(folder):
    path = folder / "demand_regions.csv"
    table = pd.read_csv(path)
    table[~((table.year == 2030) & (table.region == "south"))].to_csv(path, index=False)
    raises(folder, "demand_regions.csv", "share missing for a region", "2030: south")


def test_demand_shares_must_add_up(folder):
    edit(folder, "demand_regions.csv", lambda t: t.loc.__setitem__((0, "energy_share"), "0.5"))
    raises(folder, "demand_regions.csv", "do not add up to 1", "year 2025")


def test_demand_energy_above_peak(folder):
    edit(folder, "demand.csv", lambda t: t.loc.__setitem__((2, "peak_mw"), "50000"))
    raises(folder, "demand.csv", "energy_twh, line 4", "exceeds peak x 8760 h")


def test_demand_unknown_tag(folder):
    edit(folder, "demand.csv", lambda t: t.loc.__setitem__((0, "tag"), "guessed"))
    err = raises(folder, "demand.csv", "unknown tag", "'guessed'")
    assert "published" in err.allowed


def test_hydro_month_missing(folder):
    path = folder / "hydro_monthly.csv"
    table = pd.read_csv(path)
    table.drop(index=3).to_csv(path, index=False)
    raises(folder, "hydro_monthly.csv", "months 1..12")


# ------------------------------------------------------------------- interpolation by year


def test_tech_costs_interpolate_linearly(vn):
    a, b, mid = DY.tech_table(vn, 2025), DY.tech_table(vn, 2030), DY.tech_table(vn, 2027)
    expected = a["capex_musd_per_mw"] + 0.4 * (b["capex_musd_per_mw"] - a["capex_musd_per_mw"])
    assert np.allclose(mid["capex_musd_per_mw"], expected)
    # held constant beyond the last table year
    assert np.allclose(
        DY.tech_table(vn, 2050)["fom_kusd_per_mw_yr"], DY.tech_table(vn, 2045)["fom_kusd_per_mw_yr"]
    )


def test_fuel_prices_interpolate(vn):
    table = vn["fuels"].set_index(["fuel", "year"])["price_usd_per_gj"]
    f = DY.fuel_table(vn, 2042)
    a, b = table[("lng", 2040)], table[("lng", 2045)]
    assert f.loc["lng", "price_usd_per_gj"] == pytest.approx(a + 0.4 * (b - a))


def test_demand_pair_interpolates_geometrically(vn):
    a, b = DY.demand_pair(vn, 2030, "low"), DY.demand_pair(vn, 2035, "low")
    mid = DY.demand_pair(vn, 2032, "low")
    assert mid.energy_twh == pytest.approx(a.energy_twh * (b.energy_twh / a.energy_twh) ** 0.4)
    assert mid.peak_mw == pytest.approx(a.peak_mw * (b.peak_mw / a.peak_mw) ** 0.4)
    assert mid.tag == "interpolated" and a.tag == "published"
    with pytest.raises(InputError, match="unknown demand case"):
        DY.demand_pair(vn, 2030, "medium")
    with pytest.raises(InputError, match="no demand of case low for this year"):
        DY.demand_pair(vn, 2051, "low")


def test_regional_shares_interpolate_and_add_up(vn):
    a, b, mid = DY.demand_shares(vn, 2025), DY.demand_shares(vn, 2030), DY.demand_shares(vn, 2027)
    for s in (a, b, mid):
        assert s.sum() == pytest.approx(1.0) and list(s.index) == vn.regions
    raw = a + 0.4 * (b - a)
    assert np.allclose(mid, raw / raw.sum())
    # a split, not a forecast: held outside the table's years
    assert np.allclose(DY.demand_shares(vn, 2060), DY.demand_shares(vn, 2050))


def test_retirements(vn):
    at2025 = DY.existing_capacity(vn, "end2025", 2025).sum()
    at2030 = DY.existing_capacity(vn, "end2025", 2030).sum()
    assert at2025["coal"] - at2030["coal"] == pytest.approx(540)
    assert at2025["oil"] - at2030["oil"] == pytest.approx(600)


# --------------------------------------------------------- the figures agree with DATA.md


def test_end2025_fleet_matches_published_totals(vn):
    cap = DY.existing_capacity(vn, "end2025", 2025).sum()
    imports = cap["import_laos"] + cap["import_china"]
    assert cap.sum() - imports == pytest.approx(87_600)
    assert cap["coal"] == pytest.approx(28_100)
    assert cap["hydro_reservoir"] + cap["hydro_ror"] == pytest.approx(24_640)
    renewables = cap[["solar_utility", "solar_rooftop", "wind_onshore", "biomass"]].sum()
    assert renewables == pytest.approx(24_453)
    assert cap["import_laos"] == pytest.approx(1_600)
    assert cap["import_china"] == pytest.approx(550)


def test_pdp8_2030_fleet_in_published_ranges(vn):
    cap = DY.existing_capacity(vn, "pdp8_2030", 2030).sum()
    assert 183_291 <= cap.sum() <= 236_363
    assert 46_459 <= cap["solar_utility"] + cap["solar_rooftop"] <= 73_416
    assert 26_066 <= cap["wind_onshore"] <= 38_029
    assert 10_000 <= cap["battery_2h"] + cap["battery_4h"] <= 16_300
    assert 9_360 <= cap["import_laos"] + cap["import_china"] <= 12_100


def test_build_ranges_add_up_to_pdp8(vn):
    r = DY.build_ranges(vn, 2030)

    def total(*techs):
        return r.loc[list(techs)].sum()

    assert tuple(total("solar_utility", "solar_rooftop")) == (46_459, 73_416)
    assert tuple(total("battery_2h", "battery_4h")) == (10_000, 16_300)
    assert tuple(total("biomass", "waste")) == (3_009, 4_881)
    # biomass 1,523-2,699 plus 45 MW geothermal/other folded in; waste-to-energy 1,441-2,137
    assert tuple(r.loc["biomass"]) == (1_523 + 45, 2_699 + 45)
    assert tuple(r.loc["waste"]) == (1_441, 2_137)
    assert tuple(total("import_laos", "import_china")) == (9_360, 12_100)
    assert tuple(total("hydro_reservoir", "hydro_ror")) == (33_294, 34_667)
    assert tuple(r.loc["wind_onshore"]) == (26_066, 38_029)
    assert tuple(r.loc["ccgt_gas"]) == (10_861, 14_930)


def test_build_ranges_2035_and_2050(vn):
    r35, r50 = DY.build_ranges(vn, 2035), DY.build_ranges(vn, 2050)
    assert tuple(r35.loc["wind_offshore"]) == (6_000, 17_032)
    assert tuple(r35.loc["nuclear"]) == (4_000, 6_400)
    assert (r50["min_mw"] == 0).all()  # the 2050 orientation is used as maxima only
    assert r50.loc[["solar_utility", "solar_rooftop"], "max_mw"].sum() == 295_646
    assert r50.loc[["battery_2h", "battery_4h"], "max_mw"].sum() == 96_120


@pytest.mark.parametrize("year", [2030, 2035, 2050])
def test_build_limits_leave_room_for_the_pdp8_maxima(vn, year):
    limit = DY.build_limit(vn, year).sum()
    r = DY.build_ranges(vn, year)
    assert len(r)
    for tech, (_lo, hi) in r.iterrows():
        assert limit[tech] >= hi, tech


@pytest.mark.parametrize("year", [2025, 2030, 2035, 2040, 2045, 2050])
def test_build_limits_never_fall(vn, year):
    """The limit of a year is at least the limit of the previous table year (no plant is
    forced out by a lower limit) and at least the end-2025 fleet."""
    years = [2025, 2030, 2035, 2040, 2045, 2050]
    now = DY.build_limit(vn, year)
    assert (now >= DY.build_limit(vn, years[max(years.index(year) - 1, 0)]) - 1e-6).all().all()
    assert (now >= DY.existing_capacity(vn, "end2025", 2025) - 1e-6).all().all()


def test_demand_2030_national_totals(vn):
    for case, energy in (("low", 560.4), ("high", 624.6)):
        d = DY.demand_table(vn, 2030, case)
        assert d["energy_twh"].sum() == pytest.approx(energy, rel=1e-9)
        assert list(d.index) == vn.regions


# Decision 768's published pairs (shared/DATA.md): energy (production + imports) and Pmax.
PUBLISHED_PAIRS = {
    (2030, "low"): (560.4, 89_655),
    (2030, "high"): (624.6, 99_934),
    (2050, "low"): (1_360.1, 205_732),
    (2050, "high"): (1_511.1, 228_570),
    (2025, "low"): (322.8, 54_939),
}


@pytest.mark.parametrize(("year", "case"), sorted(PUBLISHED_PAIRS))
def test_published_pairs(vn, year, case):
    pair = DY.demand_pair(vn, year, case)
    assert (pair.energy_twh, pair.peak_mw) == PUBLISHED_PAIRS[(year, case)]
    assert pair.tag == "published"


def test_every_year_row_is_there_and_tagged(vn):
    demand = vn["demand"]
    years = [2025, 2030, 2035, 2040, 2045, 2050]
    for case in ("low", "high"):
        assert sorted(demand.loc[demand["case"] == case, "year"]) == years
    assert sorted(set(vn["demand_regions"]["year"])) == years
    assert set(demand["tag"]) <= set(SCH.DEMAND_TAGS)
    for table in ("build_limits", "tech_costs", "fuels", "lng_hubs"):
        assert set(years) <= set(vn[table]["year"]), table
    # 2030's load factor is the published pairs' 0.7135, for both cases
    for case in ("low", "high"):
        assert DY.demand_pair(vn, 2030, case).load_factor == pytest.approx(0.7135, abs=1e-4)


def test_interpolated_rows_follow_the_published_ends(vn):
    for case in ("low", "high"):
        a, b = DY.demand_pair(vn, 2030, case), DY.demand_pair(vn, 2050, case)
        rows = vn["demand"][
            (vn["demand"]["case"] == case) & (vn["demand"]["tag"] == "interpolated")
        ]
        for _, row in rows.iterrows():
            f = (row["year"] - 2030) / 20
            assert row["energy_twh"] == pytest.approx(
                a.energy_twh * (b.energy_twh / a.energy_twh) ** f, abs=0.05
            )
            assert row["peak_mw"] == pytest.approx(
                a.peak_mw * (b.peak_mw / a.peak_mw) ** f, abs=0.5
            )


@pytest.mark.parametrize("year", [2025, 2030, 2035, 2040, 2045, 2050])
@pytest.mark.parametrize("fleet", ["end2025", "pdp8_2030"])
def test_no_fleet_below_the_existing_fleet(vn, fleet, year):
    """A fleet may only have less of a technology than end-2025 where a retirement is listed."""
    short = DY.fleet_below_existing(vn, fleet, year)
    assert short.empty, short.to_string()


def test_fleet_check_finds_a_shrunk_fleet(folder):
    edit(folder, "fleet_pdp8_2030.csv", lambda t: t.loc.__setitem__((4, "capacity_mw"), "4922"))
    short = DY.fleet_below_existing(D.read_data(folder), "pdp8_2030", 2030)
    assert list(zip(short["region"], short["tech"], strict=True)) == [("south", "coal")]
    assert short["short_mw"].iloc[0] == pytest.approx(5_600 - 4_922)


# LNG hubs from terminal sizes (data/SOURCES.md): 1 t LNG = 13.9 MWh_th (LHV); send-out at Thi
# Vai's published maximum of 171 t/h per 1 MTPA; one 180,000 m3 tank (1,126,000 MWh_th) per
# MTPA; the annual contract at the terminal's nameplate throughput.
def test_lng_hubs_follow_the_terminal_sizes(vn):
    hubs = vn["lng_hubs"]
    m = hubs["terminal_mtpa"]
    assert np.allclose(hubs["regas_mw_th"], m * 171 * 13.9, atol=1)
    assert np.allclose(hubs["tank0_mwh_th"], m * 1_126_000, atol=1)
    assert np.allclose(hubs["contract_mwh_th"], m * 13.9e6, atol=1)
    assert (hubs["tankmax_mwh_th"] >= hubs["tank0_mwh_th"]).all()
    thi_vai_2025 = hubs[(hubs["hub"] == "thi_vai_cai_mep") & (hubs["year"] == 2025)].iloc[0]
    assert thi_vai_2025["terminal_mtpa"] == 1.0  # Thi Vai phase 1, one 180,000 m3 tank
    assert thi_vai_2025["regas_mw_th"] == pytest.approx(2_377, abs=1)


def test_fuel_prices_on_one_heating_value_basis(vn):
    """Prices are USD per GJ of lower heating value (efficiencies are LHV): the published LNG
    price of 12.98 USD/MMBtu is on the higher heating value, LHV = 0.90 HHV for natural gas."""
    lng_2025 = DY.fuel_table(vn, 2025).loc["lng", "price_usd_per_gj"]
    assert lng_2025 == pytest.approx(12.98 / 1.055056 / 0.90, abs=0.01)
    # the published heat rate 6,330 Btu/kWh (HHV) is the catalogue's CCGT efficiency on LHV
    eff_lhv = 3412.14 / 6330 / 0.90
    assert DY.tech_table(vn, 2030).loc["ccgt_lng", "efficiency"] == pytest.approx(eff_lhv, abs=0.01)


def test_capex_trajectories_follow_the_catalogue(vn):
    """DEA/EREA catalogue 2030 and 2050 values [V], linear in between."""
    published = {
        "solar_utility": (0.84, 0.65),
        "wind_onshore": (1.31, 1.11),
        "wind_offshore": (2.25, 1.93),
        "battery_4h": (0.18, 0.07),
    }
    for tech, (a, b) in published.items():
        for year in (2030, 2035, 2040, 2045, 2050):
            got = DY.tech_table(vn, year).loc[tech, "capex_musd_per_mw"]
            assert got == pytest.approx(a + (year - 2030) / 20 * (b - a)), (tech, year)
    assert DY.tech_table(vn, 2050).loc["battery_4h", "capex_energy_musd_per_mwh"] == 0.085


def test_corridors_are_the_seven_of_data_md(vn):
    cor = DY.corridor_table(vn, 2030)
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
