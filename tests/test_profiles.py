"""Statistics of the generated hourly profiles, demand scaling and reading a user's CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from energy_sim.errors import InputError
from energy_sim.inputs import profiles as P

DATA = Path(__file__).resolve().parents[1] / "data" / "vietnam"
YEAR = 2030
SEED = 2030


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return pd.read_csv(DATA / "regions.csv").set_index("region")


@pytest.fixture(scope="module")
def demand(regions) -> pd.DataFrame:
    return P.demand_shape(list(regions.index), regions["latitude"].to_dict(), YEAR, SEED)


@pytest.fixture(scope="module")
def national(demand) -> pd.Series:
    """National demand after scaling each region to its energy share (PDP8 2030 low, 560.4 TWh)."""
    energy = {r: P.ENERGY_SHARE[r] * 560.4e6 for r in demand.columns}
    scaled = P.scale_regional_demand(demand, energy, 89_655.0)
    return scaled.sum(axis=1)


@pytest.fixture(scope="module")
def solar(regions) -> pd.DataFrame:
    return P.solar_cf(
        list(regions.index),
        regions["latitude"].to_dict(),
        regions["longitude"].to_dict(),
        YEAR,
        SEED,
        regions["solar_utility_cf"].to_dict(),
    )


@pytest.fixture(scope="module")
def wind(regions) -> pd.DataFrame:
    return P.wind_cf(list(regions.index), YEAR, SEED, regions["wind_onshore_cf"].to_dict())


def test_year_index_drops_feb_29():
    idx = P.year_index(2032)
    assert len(idx) == 8760
    assert not ((idx.month == 2) & (idx.day == 29)).any()
    assert idx[0] == pd.Timestamp("2032-01-01 00:00") and idx[-1] == pd.Timestamp(
        "2032-12-31 23:00"
    )


def test_ar1_matches_recursion():
    e = np.random.default_rng(0).standard_normal(5000)
    x = P.ar1(e, 0.95)
    ref = np.empty_like(e)
    ref[0] = e[0]
    for t in range(1, e.size):
        ref[t] = 0.95 * ref[t - 1] + np.sqrt(1 - 0.95**2) * e[t]
    np.testing.assert_allclose(x, ref, atol=1e-12)


def test_demand_shape_per_unit(demand):
    assert demand.shape == (8760, 6)
    np.testing.assert_allclose(demand.max().to_numpy(), 1.0)
    assert (demand.to_numpy() > 0).all()


def test_national_load_factor(national):
    lf = national.mean() / national.max()
    assert abs(lf - P.TARGET_LOAD_FACTOR) < 0.02
    assert abs(national.max() - 89_655.0) / 89_655.0 < 1e-3
    energy = sum(P.ENERGY_SHARE.values()) * 560.4e6  # published shares add up to 100.1 %
    assert abs(national.sum() - energy) / energy < 1e-6


def test_peak_month_and_hour(national):
    peak = national.idxmax()
    assert 5 <= peak.month <= 8
    assert 11 <= peak.hour <= 16
    monthly = national.groupby(national.index.month).mean()
    assert 5 <= monthly.idxmax() <= 8


def test_evening_shoulder(national):
    hot = national[national.index.month.isin([5, 6, 7])]
    by_hour = hot.groupby(hot.index.hour).mean()
    assert by_hour[20:23].max() > by_hour[0:6].max() * 1.1  # shoulder above the night
    assert by_hour[20:23].max() < by_hour[11:17].max()  # but below the midday peak


def test_tet_dip(national):
    tet = pd.Timestamp(P.tet_date(YEAR))
    assert tet == pd.Timestamp("2030-02-02")  # Vietnamese calendar (Chinese New Year: 3 Feb)
    week = national[tet - pd.Timedelta(days=2) : tet + pd.Timedelta(days=5)]
    month = national[national.index.month == tet.month]
    assert week.mean() < 0.88 * month.mean()


def test_tet_dip_other_year(regions):
    tet = pd.Timestamp(P.tet_date(2045))
    assert tet == pd.Timestamp("2045-02-17")
    d = P.demand_shape(list(regions.index), regions["latitude"].to_dict(), 2045, SEED)
    n = (d / d.mean() * pd.Series(P.ENERGY_SHARE)).sum(axis=1)
    week = n[tet - pd.Timedelta(days=2) : tet + pd.Timedelta(days=5)]
    assert week.mean() < 0.9 * n[n.index.month == 2].mean()


def test_weekday_above_weekend(national):
    dow = national.index.day_of_week
    assert national[dow < 5].mean() > 1.02 * national[dow >= 5].mean()


def test_north_cooler_winter(demand):
    def winter_ratio(r):
        s = demand[r]
        return s[s.index.month.isin([12, 1, 2])].mean() / s[s.index.month.isin([6, 7])].mean()

    assert winter_ratio("north") < winter_ratio("south") - 0.05


def test_regional_diversity(demand):
    w = pd.Series(P.ENERGY_SHARE)
    x = demand / demand.mean() * w
    ratio = x.max().sum() / x.sum(axis=1).max()
    assert 1.01 < ratio < 1.12
    assert demand.idxmax().nunique() > 1


def test_demand_reproducible(regions, demand):
    lat = regions["latitude"].to_dict()
    again = P.demand_shape(list(regions.index), lat, YEAR, SEED)
    pd.testing.assert_frame_equal(demand, again)
    other = P.demand_shape(list(regions.index), lat, YEAR, SEED + 1)
    assert not np.allclose(demand.to_numpy(), other.to_numpy())


def test_adding_a_region_changes_no_other(regions):
    lat = regions["latitude"].to_dict()
    target = regions["wind_onshore_cf"].to_dict()
    two = P.wind_cf(["north", "south"], YEAR, SEED, target)
    six = P.wind_cf(list(regions.index), YEAR, SEED, target)
    pd.testing.assert_frame_equal(two, six[["north", "south"]])
    s1 = P.solar_cf(["south"], lat, regions["longitude"].to_dict(), YEAR, SEED, {"south": 0.18})
    s2 = P.solar_cf(
        ["north", "south"],
        lat,
        regions["longitude"].to_dict(),
        YEAR,
        SEED,
        {"north": 0.15, "south": 0.18},
    )
    pd.testing.assert_series_equal(s1["south"], s2["south"])


def test_solar_cf_calibrated_and_dark_at_night(regions, solar):
    target = regions["solar_utility_cf"]
    assert (solar.mean() - target).abs().max() < 0.005
    assert solar.to_numpy().min() >= 0 and solar.to_numpy().max() <= 1
    night = solar[(solar.index.hour <= 4) | (solar.index.hour >= 19)]
    assert (night.to_numpy() == 0).all()
    noon = solar[solar.index.hour.isin([11, 12])]
    assert (noon.mean() > 2.0 * solar.mean()).all()


def test_solar_seasonality(solar):
    north = solar["north"].groupby(solar.index.month).mean()
    south = solar["south"].groupby(solar.index.month).mean()
    assert north[[2, 3]].mean() < north[[10, 11]].mean()  # northern drizzle season
    assert south[[1, 2, 3]].mean() > south[[7, 8, 9]].mean()  # southern wet season


def test_rooftop_and_unknown_kind(regions):
    lat, lon = regions["latitude"].to_dict(), regions["longitude"].to_dict()
    roof = P.solar_cf(["south"], lat, lon, YEAR, SEED, {"south": 0.16}, kind="rooftop")
    assert abs(roof["south"].mean() - 0.16) < 0.005
    with pytest.raises(InputError, match="kind"):
        P.solar_cf(["south"], lat, lon, YEAR, SEED, {"south": 0.16}, kind="floating")
    with pytest.raises(InputError, match="cannot be reached"):
        P.solar_cf(["south"], lat, lon, YEAR, SEED, {"south": 0.7})


def test_wind_cf_calibrated_and_persistent(regions, wind):
    target = regions["wind_onshore_cf"]
    assert (wind.mean() - target).abs().max() < 0.005
    assert wind.to_numpy().min() >= 0 and wind.to_numpy().max() <= 1
    for r in wind:
        assert wind[r].autocorr(1) > 0.8


def test_wind_monsoon(wind):
    sc = wind["south_central"].groupby(wind.index.month).mean()
    assert sc[[12, 1, 2]].mean() > sc[[4, 5, 10]].mean()


def test_offshore_wind(regions):
    target = regions["wind_offshore_cf"].to_dict()
    off = P.wind_cf(list(regions.index), YEAR, SEED, target, offshore=True)
    assert (off.mean() - pd.Series(target)).abs().max() < 0.005
    with pytest.raises(InputError, match="cannot be reached"):
        P.wind_cf(["south"], YEAR, SEED, {"south": 0.99})


def test_ror_monthly_mean():
    monthly = pd.DataFrame(
        {"north": np.linspace(0.2, 0.9, 12), "south": [1.0, 0.0] + [0.5] * 10},
        index=pd.Index(range(1, 13), name="month"),
    )
    ror = P.ror_profile(monthly, YEAR, SEED)
    got = ror.groupby(ror.index.month).mean()
    np.testing.assert_allclose(got.to_numpy(), monthly.to_numpy(), atol=1e-9)
    assert ror["north"].resample("D").mean().diff().abs().max() > 0  # varies day to day
    with pytest.raises(InputError):
        P.ror_profile(monthly * 2, YEAR, SEED)


def test_scale_demand_matches_energy_and_peak(demand):
    s = demand["north"].to_numpy()
    for lf in (0.55, 0.65, 0.75, 0.85):
        x = P.scale_demand(s, energy_mwh=lf * 8760 * 30_000.0, peak_mw=30_000.0)
        assert abs(x.sum() / (lf * 8760 * 30_000.0) - 1) < 1e-3
        assert abs(x.max() / 30_000.0 - 1) < 1e-3


def test_scale_demand_impossible_load_factor(demand):
    s = demand["north"].to_numpy()
    with pytest.raises(InputError, match="load factor") as err:
        P.scale_demand(s, energy_mwh=0.99 * 8760 * 1000.0, peak_mw=1000.0)
    assert "between" in str(err.value)
    with pytest.raises(InputError):
        P.scale_demand(s, energy_mwh=2 * 8760 * 1000.0, peak_mw=1000.0)
    with pytest.raises(InputError):
        P.scale_demand(s, energy_mwh=1.0, peak_mw=-5.0)


# -- a user's CSV --------------------------------------------------------------------------------


def _write(path: Path, table: pd.DataFrame) -> Path:
    table.to_csv(path, index=False)
    return path


@pytest.fixture()
def good_table() -> pd.DataFrame:
    idx = P.year_index(YEAR)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "timestamp": idx.strftime("%Y-%m-%d %H:%M"),
            "north": rng.uniform(0, 1, 8760),
            "south": rng.uniform(0, 1, 8760),
        }
    )


def test_read_profile_csv_ok(tmp_path, good_table):
    path = _write(tmp_path / "solar.csv", good_table)
    got = P.read_profile_csv(path, ["north", "south"], "solar", 0.0, 1.0, year=YEAR)
    np.testing.assert_allclose(got["south"].to_numpy(), good_table["south"].to_numpy())
    assert got.index[0] == pd.Timestamp("2030-01-01")


def test_read_profile_csv_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found") as err:
        P.read_profile_csv(tmp_path / "nope.csv", ["north"], "demand")
    assert "nope.csv" in str(err.value)


def test_read_profile_csv_wrong_length(tmp_path, good_table):
    path = _write(tmp_path / "short.csv", good_table.iloc[:8759])
    with pytest.raises(InputError, match="number of rows") as err:
        P.read_profile_csv(path, ["north"], "demand")
    assert "8759" in str(err.value) and "short.csv" in str(err.value)


def test_read_profile_csv_missing_column(tmp_path, good_table):
    path = _write(tmp_path / "cols.csv", good_table.drop(columns="south"))
    with pytest.raises(InputError, match="no column 'south'"):
        P.read_profile_csv(path, ["north", "south"], "demand")


def test_read_profile_csv_nan(tmp_path, good_table):
    t = good_table.copy()
    t.loc[100, "north"] = np.nan
    path = _write(tmp_path / "nan.csv", t)
    with pytest.raises(InputError, match="row 101") as err:
        P.read_profile_csv(path, ["north", "south"], "demand")
    assert err.value.field == "north"


def test_read_profile_csv_not_a_number(tmp_path, good_table):
    t = good_table.astype({"south": object})
    t.loc[7, "south"] = "abc"
    path = _write(tmp_path / "text.csv", t)
    with pytest.raises(InputError, match="not a finite number") as err:
        P.read_profile_csv(path, ["north", "south"], "demand")
    assert err.value.value == "abc"


def test_read_profile_csv_out_of_range(tmp_path, good_table):
    t = good_table.copy()
    t.loc[42, "north"] = 1.5
    path = _write(tmp_path / "range.csv", t)
    with pytest.raises(InputError, match="out of range") as err:
        P.read_profile_csv(path, ["north", "south"], "solar", 0.0, 1.0)
    assert err.value.value == 1.5 and "0 .. 1" in str(err.value)
    t.loc[42, "north"] = -1
    path = _write(tmp_path / "neg.csv", t)
    with pytest.raises(InputError, match="out of range"):
        P.read_profile_csv(path, ["north", "south"], "demand")


def test_solar_wind_ror_reproducible(regions, solar, wind):
    lat, lon = regions["latitude"].to_dict(), regions["longitude"].to_dict()
    R = list(regions.index)
    target_s, target_w = regions["solar_utility_cf"].to_dict(), regions["wind_onshore_cf"].to_dict()
    pd.testing.assert_frame_equal(solar, P.solar_cf(R, lat, lon, YEAR, SEED, target_s))
    pd.testing.assert_frame_equal(wind, P.wind_cf(R, YEAR, SEED, target_w))
    assert not np.allclose(solar, P.solar_cf(R, lat, lon, YEAR, SEED + 1, target_s))
    assert not np.allclose(wind, P.wind_cf(R, YEAR, SEED + 1, target_w))
    monthly = pd.DataFrame({"north": [0.4] * 12}, index=range(1, 13))
    a, b = P.ror_profile(monthly, YEAR, 1), P.ror_profile(monthly, YEAR, 2)
    pd.testing.assert_frame_equal(a, P.ror_profile(monthly, YEAR, 1))
    assert not np.allclose(a, b)


def test_scale_regional_demand_errors(demand):
    energy = {r: P.ENERGY_SHARE[r] * 560.4e6 for r in demand.columns}
    with pytest.raises(InputError, match="load factor"):
        P.scale_regional_demand(demand, energy, 60_000.0)  # load factor above 1
    with pytest.raises(InputError, match="positive"):
        P.scale_regional_demand(demand, energy, 0.0)
    with pytest.raises(InputError, match="energy_mwh"):
        P.scale_regional_demand(demand, {"north": 1.0}, 89_655.0)
