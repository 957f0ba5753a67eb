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
            "block": ("time", np.zeros(8760, dtype=int)),
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
    assert (agg["block"] == 0).all() and (agg["weight"] == 1).all()
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
    assert agg.sizes["time"] == 24 * (n + 1)  # n typical days + the peak day
    assert agg.attrs["resolution"] == f"{n}d"
    assert sorted(set(agg["month_of"].to_numpy().tolist())) == list(range(1, 13))
    period = agg["block"].to_numpy()
    assert np.array_equal(np.unique(period), np.arange(n + 1))
    assert (agg["dt_h"] == 1).all()
    # each representative day is 24 consecutive real hours of one day and of its month
    stamps = pd.DatetimeIndex(agg["timestamp"].to_numpy())
    for p in range(n + 1):
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


# ------------------------------------------------ representative days by tsam (issue 13, item 4)


def _coincident(ds: xr.Dataset) -> np.ndarray:
    return ds["demand_mw"].sum("region").to_numpy()


@pytest.mark.parametrize("n", [12, 24, 48])
def test_peak_day_is_operated(hourly, n):
    """The day of the coincident peak is among the representative days, unchanged: the System's
    largest coincident demand is the hourly year's (the old k-medoids per month missed it)."""
    agg = T.aggregate(hourly, f"{n}d")
    peak_hour = int(np.argmax(_coincident(hourly)))
    assert float(_coincident(agg).max()) == pytest.approx(
        float(_coincident(hourly).max()), rel=1e-12
    )
    # the peak day's 24 hours are operated as they are, as one cyclic period
    stamps = pd.DatetimeIndex(agg["timestamp"].to_numpy())
    day = stamps.normalize() == pd.Timestamp(hourly["timestamp"].to_numpy()[peak_hour]).normalize()
    assert day.sum() == 24 and np.unique(agg["block"].to_numpy()[day]).size == 1
    np.testing.assert_array_equal(
        agg["demand_mw"].to_numpy()[:, day],
        hourly["demand_mw"].to_numpy()[:, peak_hour // 24 * 24 : peak_hour // 24 * 24 + 24],
    )
    assert T.step_of_hour(agg)[peak_hour] == np.flatnonzero(day)[peak_hour % 24]


def test_peak_day_of_the_2030_scenario():
    """The bundled 2030 scenario at its resolution operates the hourly year's coincident peak
    (``peak_demand_mw``, taken from the hourly year before aggregation)."""
    from pathlib import Path

    from energy_sim import build_system, load_scenario

    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml")
    hourly = build_system(sc, resolution="full")
    for res in ("12d", "24d"):
        sy = build_system(sc, resolution=res)
        assert float(_coincident(sy).max()) == pytest.approx(float(_coincident(hourly).max()))
        assert float(_coincident(sy).max()) == pytest.approx(float(sy["peak_demand_mw"]))
        assert float((sy["weight"] * sy["dt_h"]).sum()) == 8760.0


def test_representative_days_are_deterministic(hourly):
    a = T.aggregate(hourly, "24d")
    b = T.aggregate(hourly.copy(deep=True), "24d")
    xr.testing.assert_identical(a, b)
    np.testing.assert_array_equal(a.attrs["day_to_period"], b.attrs["day_to_period"])


def test_each_representative_day_is_its_own_cyclic_period(hourly):
    """Storage and inventories wrap within each representative day: the step before a day's
    first hour is that day's last hour (``prev_step``), and ``period`` names the day."""
    from energy_sim.inputs.system_helpers import prev_step

    agg = T.aggregate(hourly, "12d")
    period = agg["block"].to_numpy()
    prev = prev_step(period)
    for p in np.unique(period):
        idx = np.flatnonzero(period == p)
        np.testing.assert_array_equal(idx, np.arange(idx[0], idx[0] + 24))
        assert prev[idx[0]] == idx[-1]
        np.testing.assert_array_equal(prev[idx[1:]], idx[:-1])
        assert np.unique(agg["weight"].to_numpy()[idx]).size == 1
    # every day of the year maps to one period, and the periods' weights count those days
    counts = np.bincount(agg.attrs["day_to_period"], minlength=period.max() + 1)
    np.testing.assert_array_equal(counts, agg["weight"].to_numpy()[::24])


def test_a_year_of_three_day_shapes_is_reproduced_exactly():
    """A year made of three distinct day shapes (day d has shape d % 3): with three typical days
    a month (36d) every month's days fall into their shapes' clusters, the year is reproduced
    exactly hour by hour, and the weights of each shape's representatives add up to its number
    of days (122, 122, 121)."""
    idx = P.year_index(2030)
    hours = np.arange(24)
    shapes_dem = np.array(
        [
            1000 + 300 * np.sin(2 * np.pi * hours / 24),
            1200 + 500 * np.exp(-((hours - 19) ** 2) / 8),  # the evening-peak shape: the peak
            900 + 100 * np.cos(2 * np.pi * hours / 12),
        ]
    )
    shapes_sun = np.array(
        [
            np.clip(np.sin(np.pi * (hours - 6) / 12), 0, None) * 0.8,
            np.clip(np.sin(np.pi * (hours - 6) / 12), 0, None) * 0.3,
            np.clip(np.sin(np.pi * (hours - 6) / 12), 0, None) * 0.6,
        ]
    )
    shape_of_day = np.arange(365) % 3
    dem = shapes_dem[shape_of_day].ravel()
    sun = shapes_sun[shape_of_day].ravel()
    ds = xr.Dataset(
        {
            "dt_h": ("time", np.ones(8760)),
            "weight": ("time", np.ones(8760)),
            "month_of": ("time", idx.month.to_numpy()),
            "block": ("time", np.zeros(8760, dtype=int)),
            "demand_mw": (("region", "time"), np.vstack([dem, 0.5 * dem])),
            "availability": (("gen", "time"), sun[None, :]),
        },
        coords={"region": ["a", "b"], "gen": ["a/solar_utility"], "timestamp": ("time", idx)},
        attrs={"resolution": "full"},
    )
    agg = T.aggregate(ds, "36d")
    assert _total_hours(agg) == 8760.0
    for v in ("demand_mw", "availability"):
        back = T.expand(agg[v].to_numpy(), agg)
        np.testing.assert_allclose(back, ds[v].to_numpy(), rtol=1e-12, atol=1e-12)
    rep_day = pd.DatetimeIndex(agg["timestamp"].to_numpy()[::24]).dayofyear.to_numpy() - 1
    w = agg["weight"].to_numpy()[::24]
    got = np.bincount(shape_of_day[rep_day], weights=w, minlength=3)
    np.testing.assert_array_equal(got, np.bincount(shape_of_day))
    # the first day of the evening-peak shape (2 January) is the peak day and is operated
    assert 1 in rep_day and float(_coincident(agg).max()) == float(_coincident(ds).max())
