"""Time resolution: parsing, chronological resampling, representative days, expansion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.inputs import profiles as P
from energy_sim.inputs import timeseries as T

REGIONS = ["north", "central_highlands", "south"]
LAT = {"north": 21.03, "central_highlands": 13.0, "south": 10.8}
LON = {"north": 105.85, "central_highlands": 108.0, "south": 106.7}


@pytest.fixture(scope="module")
def hourly() -> xr.Dataset:
    """A small hourly System with the time-step variables of docs/architecture.md."""
    idx = P.year_index(2030)
    demand = P.demand_shape(REGIONS, LAT, 2030, 7) * 1000.0
    solar = P.solar_cf(REGIONS, LAT, LON, 2030, 7, {r: 0.17 for r in REGIONS})
    wind = P.wind_cf(REGIONS, 2030, 7, {r: 0.25 for r in REGIONS})
    gens = [f"{r}/solar_utility" for r in REGIONS] + [f"{r}/wind_onshore" for r in REGIONS]
    gens += ["north/coal"]
    avail = np.vstack([solar.to_numpy().T, wind.to_numpy().T, np.full((1, 8760), 0.9)])
    lng = np.ones((1, 8760))
    lng[0, 1000:1300] = 0.0  # a disruption window
    return xr.Dataset(
        {
            "dt_h": ("time", np.ones(8760), {"units": "h", "description": "step duration"}),
            "weight": ("time", np.ones(8760)),
            "month_of": ("time", idx.month.to_numpy()),
            "period": ("time", np.zeros(8760, dtype=int)),
            "demand_mw": (("region", "time"), demand.to_numpy().T, {"units": "MW"}),
            "availability": (("gen", "time"), avail, {"units": "1"}),
            "lng_availability": (("hub", "time"), lng, {"units": "1"}),
            "cap0_mw": ("gen", np.arange(len(gens), dtype=float)),
        },
        coords={"region": REGIONS, "gen": gens, "hub": ["south_lng"], "timestamp": ("time", idx)},
        attrs={"year": 2030, "resolution": "full"},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("full", T.Resolution("full", 1)),
        ("FULL", T.Resolution("full", 1)),
        ("1h", T.Resolution("full", 1)),
        ("3h", T.Resolution("resample", 3)),
        ("168h", T.Resolution("resample", 168)),
        ("12d", T.Resolution("representative", 12)),
        ("365d", T.Resolution("representative", 365)),
    ],
)
def test_parse_resolution(text, expected):
    assert T.parse_resolution(text) == expected


@pytest.mark.parametrize("text", ["", "hourly", "0h", "169h", "11d", "366d", "3x", "-3h", "2.5h"])
def test_parse_resolution_errors(text):
    with pytest.raises(InputError) as err:
        T.parse_resolution(text)
    assert err.value.field == "resolution" and "Nd" in str(err.value)


def _total_hours(ds: xr.Dataset) -> float:
    return float((ds["weight"] * ds["dt_h"]).sum())


@pytest.mark.parametrize("n", [2, 3, 7, 24, 168])
def test_resample_keeps_hours_and_energy(hourly, n):
    agg = T.aggregate(hourly, f"{n}h")
    assert _total_hours(agg) == 8760.0
    assert agg.sizes["time"] == -(-8760 // n)
    assert agg.attrs["resolution"] == f"{n}h"
    w = agg["weight"] * agg["dt_h"]
    for v in ("demand_mw", "availability", "lng_availability"):
        np.testing.assert_allclose((w * agg[v]).sum("time"), hourly[v].sum("time"), rtol=1e-12)
    assert (agg["period"] == 0).all() and (agg["weight"] == 1).all()
    np.testing.assert_array_equal(agg["month_of"], agg["timestamp"].dt.month)
    assert agg["dt_h"].attrs["units"] == "h"
    np.testing.assert_array_equal(agg["cap0_mw"], hourly["cap0_mw"])  # no time dim: unchanged
    if 8760 % n:
        assert agg["dt_h"][-1] == 8760 % n


def test_full_is_a_copy(hourly):
    agg = T.aggregate(hourly, "full")
    xr.testing.assert_identical(agg, hourly)
    assert agg is not hourly


@pytest.mark.parametrize("n", [12, 30, 48])
def test_representative_days(hourly, n):
    agg = T.aggregate(hourly, f"{n}d")
    assert _total_hours(agg) == 8760.0
    assert agg.sizes["time"] == 24 * n
    assert agg.attrs["resolution"] == f"{n}d"
    assert sorted(set(agg["month_of"].to_numpy().tolist())) == list(range(1, 13))
    period = agg["period"].to_numpy()
    assert np.array_equal(np.unique(period), np.arange(n))
    assert (agg["dt_h"] == 1).all()
    # each representative day is 24 consecutive real hours of one day and of its month
    stamps = pd.DatetimeIndex(agg["timestamp"].to_numpy())
    for p in range(n):
        day = stamps[period == p]
        assert len(day) == 24 and day.normalize().nunique() == 1
        assert (day.month == agg["month_of"].to_numpy()[period == p]).all()
    # weight = days represented; months keep their number of days
    days = (agg["weight"] * agg["dt_h"]).groupby(agg["month_of"]).sum() / 24
    np.testing.assert_array_equal(days.to_numpy(), [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    # energy kept exactly per month: demand, and capacity factors (staying <= 1)
    w = agg["weight"] * agg["dt_h"]
    monthly = (w * agg["demand_mw"]).groupby(agg["month_of"]).sum()
    expected = hourly["demand_mw"].groupby(hourly["month_of"]).sum()
    np.testing.assert_allclose(
        monthly.transpose("region", "month_of").to_numpy(),
        expected.transpose("region", "month_of").to_numpy(),
        rtol=1e-12,
    )
    for v in ("availability", "lng_availability"):
        got = (w * agg[v]).groupby(agg["month_of"]).sum().transpose(..., "month_of")
        want = hourly[v].groupby(hourly["month_of"]).sum().transpose(..., "month_of")
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
    assert float(agg["availability"].max()) <= 1.0
    assert float(agg["availability"].min()) >= 0.0


def test_every_day_is_its_own_representative(hourly):
    agg = T.aggregate(hourly, "365d")
    np.testing.assert_allclose(
        agg["demand_mw"].to_numpy(), hourly["demand_mw"].to_numpy(), rtol=1e-12
    )
    np.testing.assert_array_equal(agg["availability"].to_numpy(), hourly["availability"].to_numpy())
    assert (agg["weight"] == 1).all()


def test_days_per_month():
    for n in (12, 13, 24, 50, 100, 364, 365):
        k = T.days_per_month(n)
        assert k.sum() == n and (k >= 1).all() and (k <= T._DAYS_IN_MONTH).all()
    np.testing.assert_array_equal(T.days_per_month(365), T._DAYS_IN_MONTH)


def test_kmedoids_finds_obvious_clusters():
    x = np.array([0.0, 0.1, 0.2, 10.0, 10.1, 10.3])
    dist = np.abs(x[:, None] - x[None, :])
    med, labels = T.kmedoids(dist, 2)
    assert sorted(x[med].tolist()) == [0.1, 10.1]
    assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]


@pytest.mark.parametrize("res", ["full", "5h", "24d"])
def test_expand_back_to_hours(hourly, res):
    agg = T.aggregate(hourly, res)
    back = T.expand(agg["demand_mw"].to_numpy(), agg)
    assert back.shape == (len(REGIONS), 8760)
    if res == "5h":
        np.testing.assert_allclose(back.sum(axis=1), hourly["demand_mw"].sum("time"), rtol=1e-12)
    if res == "24d":  # each hour maps to the same hour of its representative day
        step = T.step_of_hour(agg)
        np.testing.assert_array_equal(step % 24, np.arange(8760) % 24)
        months = agg["month_of"].to_numpy()[step]
        np.testing.assert_array_equal(months, P.year_index(2030).month)


def test_aggregate_needs_the_hourly_system(hourly):
    agg = T.aggregate(hourly, "3h")
    with pytest.raises(ValueError, match="8760"):
        T.aggregate(agg, "6h")


def test_representative_days_keep_energy_of_spiky_series(hourly):
    """A series that is zero on most days (and maybe on the medoid day) keeps its monthly energy
    and stays within 0..1."""
    rng = np.random.default_rng(3)
    spiky = np.zeros(8760)
    on = rng.choice(8760, size=300, replace=False)
    spiky[on] = rng.uniform(0.5, 1.0, size=on.size)
    ds = hourly.copy(deep=True)
    ds["availability"][0] = spiky
    agg = T.aggregate(ds, "12d")
    w = agg["weight"] * agg["dt_h"]
    got = (w * agg["availability"][0]).groupby(agg["month_of"]).sum().to_numpy()
    want = ds["availability"][0].groupby(ds["month_of"]).sum().to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert 0.0 <= float(agg["availability"].min()) and float(agg["availability"].max()) <= 1.0
