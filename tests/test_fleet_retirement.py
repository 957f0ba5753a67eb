"""The existing fleet retires by a listed ``retire_year``, else by ``commissioned + lifetime_yr``
(issue #13): the rule on hand-made tables, its checks, and the bundled fleets (unchanged in
2025-2030, so the 2030 plan does not move; retiring on a schedule after that)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_data import edit
from test_data import raises as raises_error

from energy_sim.inputs import data as D
from energy_sim.inputs import data_year as DY

ROOT = Path(__file__).resolve().parent.parent
VIETNAM = ROOT / "data" / "vietnam"
FLEETS = ("end2025", "pdp8_2030")


def raises(folder: Path, *parts: str) -> str:
    """The rendered message of the data folder's InputError (it names every part)."""
    return raises_error(folder, *parts).render()


# ------------------------------------------------------------------ the rule, by hand


def tiny(rows: list[tuple]) -> D.DataTables:
    """Regions a, b; coal (30 yr) and solar (25 yr); a fleet of (region, tech, MW,
    commissioned, retire_year) rows, None for an empty cell (as read_table types them)."""
    fleet = pd.DataFrame(rows, columns=["region", "tech", "capacity_mw", "commissioned", "retire"])
    fleet = fleet.rename(columns={"retire": "retire_year"})
    fleet["capacity_mw"] = fleet["capacity_mw"].astype(float)
    for col in ("commissioned", "retire_year"):
        fleet[col] = pd.array(fleet[col].tolist(), dtype="Int64")
    return D.DataTables(
        Path("tiny"),
        {
            "regions": pd.DataFrame({"region": ["a", "b"]}),
            "technologies": pd.DataFrame({"tech": ["coal", "solar"], "lifetime_yr": [30.0, 25.0]}),
            "fleet": fleet,
        },
    )


RULE = tiny(
    [
        ("a", "coal", 100, 2000, 2040),  # listed retirement wins over 2000 + 30 = 2030
        ("a", "coal", 10, 2010, 2035),  # listed retirement wins over 2010 + 30 = 2040
        ("a", "solar", 20, 2019, None),  # commissioning + lifetime: gone in 2044
        ("b", "solar", 7, None, None),  # neither: stands in every year
        ("b", "coal", 3, None, 2028),  # listed retirement only
    ]
)


def test_retirement_years_follow_the_rule():
    years = DY.retirement_years(RULE, "end2025")
    expected = [2040.0, 2035.0, 2044.0, np.nan, 2028.0]
    assert np.array_equal(years.to_numpy(), expected, equal_nan=True)


@pytest.mark.parametrize(
    ("year", "a_coal", "a_solar", "b_coal", "b_solar"),
    [
        (2025, 110, 20, 3, 7),
        (2028, 110, 20, 0, 7),  # listed 2028: gone in 2028
        (2030, 110, 20, 0, 7),  # 2000 + 30 = 2030 does not apply: the listed 2040 wins
        (2034, 110, 20, 0, 7),
        (2035, 100, 20, 0, 7),  # listed 2035 wins over 2040
        (2043, 0, 20, 0, 7),  # standing while 2019 + 25 > year
        (2044, 0, 0, 0, 7),
        (2100, 0, 0, 0, 7),  # neither year: stands always
    ],
)
def test_existing_capacity_by_the_rule(year, a_coal, a_solar, b_coal, b_solar):
    cap = DY.existing_capacity(RULE, "end2025", year)
    assert list(cap.index) == ["a", "b"] and list(cap.columns) == ["coal", "solar"]
    assert cap.to_numpy().tolist() == [[a_coal, a_solar], [b_coal, b_solar]]


def test_a_row_counts_before_its_commissioning_year():
    """A fleet table is a starting fleet: a row commissioned later still counts."""
    data = tiny([("a", "solar", 5, 2030, None)])
    assert DY.existing_capacity(data, "end2025", 2025).loc["a", "solar"] == 5
    assert DY.existing_capacity(data, "end2025", 2055).loc["a", "solar"] == 0


def test_everything_retired_gives_zeros():
    data = tiny([("a", "coal", 5, 1990, None)])
    cap = DY.existing_capacity(data, "end2025", 2030)
    assert cap.shape == (2, 2) and (cap == 0).all().all()


# ---------------------------------------------------------------------------- checks


def test_commissioned_column_may_be_left_out(folder, vn):
    """A data folder written before the column existed still reads: no year, so only the
    listed retirements count (in 2025-2030 the same fleet as the bundled tables)."""
    edit(folder, "fleet.csv", lambda t: t.pop("commissioned"))
    data = D.read_data(folder)
    assert data["fleet"]["commissioned"].isna().all()
    for year in range(2025, 2031):
        assert DY.existing_capacity(data, "end2025", year).equals(
            DY.existing_capacity(vn, "end2025", year)
        )
    assert (
        DY.existing_capacity(data, "end2025", 2050).sum().sum()
        > DY.existing_capacity(vn, "end2025", 2050).sum().sum()
    )


@pytest.mark.parametrize("name", ["fleet.csv", "fleet_pdp8_2030.csv"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1949", "value too small"),
        ("2051", "value too large"),
        ("2020.5", "not a whole number"),
        ("new", "not a number"),
    ],
)
def test_commissioned_must_be_a_year(folder, name, value, message):
    edit(folder, name, lambda t: t.loc.__setitem__((2, "commissioned"), value))
    text = raises(folder, name, "commissioned, line 4", message, repr(value))
    assert "allowed: a whole number >= 1950 and <= 2050 (or empty)" in text


def test_retirement_must_follow_commissioning(folder):
    def bad(t):
        t.loc[0, "commissioned"] = "2020"
        t.loc[0, "retire_year"] = "2020"

    edit(folder, "fleet.csv", bad)
    raises(
        folder,
        "fleet.csv",
        "retire_year, line 2",
        "retirement not after commissioning",
        "got 2020",
        "allowed: > commissioned (2020) or empty",
    )


# ------------------------------------------------------------------ the bundled fleets


def listed_only(data: D.DataTables, fleet: str, year: int) -> pd.DataFrame:
    """The fleet of ``year`` by the listed retirements alone (the rule before issue #13)."""
    table = DY.fleet_table(data, fleet)
    alive = (table["retire_year"].isna() | (table["retire_year"] > year)).to_numpy(dtype=bool)
    cap = table[alive].pivot_table(
        index="region", columns="tech", values="capacity_mw", aggfunc="sum", fill_value=0.0
    )
    return cap.reindex(index=data.regions, columns=data.techs, fill_value=0.0).astype(float)


@pytest.mark.parametrize("fleet", FLEETS)
@pytest.mark.parametrize("year", range(2025, 2031))
def test_no_commissioning_year_bites_before_2031(vn, fleet, year):
    """In 2025-2030 only the listed retirements count, region by region: the fleets are what
    they were before the commissioning years (the 2030 plan's optimum does not move)."""
    assert DY.existing_capacity(vn, fleet, year).equals(listed_only(vn, fleet, year))


# National totals by technology (MW) written down from the code before issue #13.
END2025_2025 = {
    "coal": 28_100,
    "ccgt_lng": 2_367,
    "ccgt_gas": 6_417,
    "oil": 1_453,
    "hydro_reservoir": 19_640,
    "hydro_ror": 5_000,
    "solar_utility": 8_900,
    "solar_rooftop": 8_100,
    "wind_onshore": 6_950,
    "biomass": 503,
    "waste": 170,
    "import_laos": 1_600,
    "import_china": 550,
}
PDP8_2025 = {
    "coal": 31_055,
    "ccgt_lng": 22_524,
    "ccgt_gas": 10_861,
    "ocgt": 2_000,
    "oil": 1_453,
    "hydro_reservoir": 23_000,
    "hydro_ror": 10_294,
    "solar_utility": 28_000,
    "solar_rooftop": 18_459,
    "wind_onshore": 26_066,
    "wind_offshore": 6_000,
    "biomass": 1_568,
    "waste": 1_441,
    "import_laos": 8_000,
    "import_china": 1_360,
    "pumped_hydro": 2_400,
    "battery_2h": 5_000,
    "battery_4h": 5_000,
}
BEFORE = {
    ("end2025", 2025): END2025_2025,
    ("end2025", 2028): {**END2025_2025, "coal": 28_000},
    ("end2025", 2030): {**END2025_2025, "coal": 27_560, "ccgt_gas": 6_027, "oil": 853},
    ("pdp8_2030", 2025): PDP8_2025,
    ("pdp8_2030", 2028): PDP8_2025,
    ("pdp8_2030", 2030): {**PDP8_2025, "oil": 853},
}


@pytest.mark.parametrize(("fleet", "year"), sorted(BEFORE))
def test_bundled_totals_as_before(vn, fleet, year):
    cap = DY.existing_capacity(vn, fleet, year).sum()
    expected = pd.Series(BEFORE[(fleet, year)], dtype=float).reindex(vn.techs, fill_value=0.0)
    pd.testing.assert_series_equal(cap, expected, check_names=False)


# Capacity of the end-2025 fleet no longer standing (MW, against 2025), listed retirements
# included: the table of data/SOURCES.md ("Retirement schedule").
RETIRED = {
    2035: {"coal": 540, "ccgt_gas": 390, "oil": 600},
    2040: {"coal": 3_520, "ccgt_gas": 390, "oil": 600},
    2045: {
        "coal": 12_400,
        "ccgt_gas": 2_090,
        "oil": 600,
        "solar_utility": 8_900,
        "solar_rooftop": 8_100,
    },
    2050: {
        "coal": 25_390,
        "ccgt_gas": 2_090,
        "oil": 600,
        "solar_utility": 8_900,
        "solar_rooftop": 8_100,
        "wind_onshore": 4_800,
    },
}


@pytest.mark.parametrize("year", sorted(RETIRED))
def test_end2025_retirement_schedule(vn, year):
    gone = (
        DY.existing_capacity(vn, "end2025", 2025) - DY.existing_capacity(vn, "end2025", year)
    ).sum()
    expected = pd.Series(RETIRED[year], dtype=float).reindex(vn.techs, fill_value=0.0)
    pd.testing.assert_series_equal(gone, expected, check_names=False)
