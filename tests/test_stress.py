"""Each stress transform's exact effect on a small System, composition, and parse errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.inputs.stress import apply_stresses, validate_stress
from energy_sim.security.stress import apply_stresses_to_plan, parse_stress_option

HOURS = 8760
GENS = [
    ("north", "coal"),
    ("north", "hydro_reservoir"),
    ("north", "hydro_ror"),
    ("north", "import_china"),
    ("south", "coal"),
    ("south", "ccgt_lng"),
    ("south", "import_laos"),
    ("south", "hydro_reservoir"),
]


@pytest.fixture
def system() -> xr.Dataset:
    """Two regions, one two-circuit corridor, one LNG hub; every input distinct per entry."""
    stamps = pd.date_range("2030-01-01", periods=HOURS, freq="h")
    rng = np.random.default_rng(0)
    gens = [f"{r}/{t}" for r, t in GENS]
    return xr.Dataset(
        {
            "dt_h": ("time", np.ones(HOURS)),
            "weight": ("time", np.ones(HOURS)),
            "month_of": ("time", stamps.month.values),
            "demand_mw": (("region", "time"), 1000 + 100 * rng.random((2, HOURS))),
            "availability": (("gen", "time"), 0.5 + 0.5 * rng.random((len(gens), HOURS))),
            "hydro_cf_month": (("gen", "month"), 0.2 + 0.5 * rng.random((len(gens), 12))),
            "fcap0_mw": ("corridor", [3000.0]),
            "fcapmax_mw": ("corridor", [9000.0]),
            "circuits": ("corridor", [2]),
            "lng_availability": (("hub", "time"), np.ones((1, HOURS))),
        },
        coords={
            "time": np.arange(HOURS),
            "timestamp": ("time", stamps.values),
            "region": ["north", "south"],
            "gen": gens,
            "gen_region": ("gen", [r for r, _ in GENS]),
            "gen_tech": ("gen", [t for _, t in GENS]),
            "month": np.arange(1, 13),
            "corridor": ["north-south"],
            "hub": ["thi_vai"],
            "hub_region": ("hub", ["south"]),
        },
        attrs={"year": 2030, "scenario": "toy"},
    )


def _steps(system, start: str, days: int) -> np.ndarray:
    stamps = pd.DatetimeIndex(system["timestamp"].values)
    begin = pd.Timestamp(start)
    return np.asarray((stamps >= begin) & (stamps < begin + pd.Timedelta(days=days)))


def _gen(system, region, tech) -> int:
    return list(system["gen"].values).index(f"{region}/{tech}")


def _unchanged_except(before, after, changed: set[str]) -> None:
    for var in before.data_vars:
        if var not in changed:
            xr.testing.assert_identical(before[var], after[var])


def test_lng_disruption_zeroes_the_window(system):
    out = apply_stresses(
        system, [{"test": "lng_disruption", "days": 30, "start": "2030-06-01", "hubs": ["south"]}]
    )
    window = _steps(system, "2030-06-01", 30)
    lng = out["lng_availability"].sel(hub="thi_vai").values
    assert window.sum() == 30 * 24
    assert (lng[window] == 0).all() and (lng[~window] == 1).all()
    _unchanged_except(system, out, {"lng_availability"})
    assert (system["lng_availability"] == 1).all()  # the input is not modified
    by_name = apply_stresses(
        system, [{"test": "lng_disruption", "days": 30, "start": "2030-06-01", "hubs": "thi_vai"}]
    )
    xr.testing.assert_identical(by_name["lng_availability"], out["lng_availability"])


def test_window_wraps_around_the_year_end(system):
    out = apply_stresses(system, [{"test": "lng_disruption", "days": 10, "start": "12-27"}])
    lng = out["lng_availability"].sel(hub="thi_vai").values
    assert (lng[-5 * 24 :] == 0).all() and (lng[: 5 * 24] == 0).all()
    assert lng.sum() == HOURS - 10 * 24


def test_drought_preset_2023_north(system):
    out = apply_stresses(system, [{"test": "drought", "preset": "2023_north"}])
    res, ror = _gen(system, "north", "hydro_reservoir"), _gen(system, "north", "hydro_ror")
    cf0, cf1 = system["hydro_cf_month"].values, out["hydro_cf_month"].values
    dry = np.isin(np.arange(1, 13), [4, 5, 6])
    np.testing.assert_allclose(cf1[res, dry], 0.5 * cf0[res, dry])
    np.testing.assert_array_equal(cf1[res, ~dry], cf0[res, ~dry])
    south = _gen(system, "south", "hydro_reservoir")
    np.testing.assert_array_equal(cf1[south], cf0[south])
    steps = np.isin(system["month_of"].values, [4, 5, 6])
    a0, a1 = system["availability"].values, out["availability"].values
    np.testing.assert_allclose(a1[ror, steps], 0.5 * a0[ror, steps])
    np.testing.assert_array_equal(a1[ror, ~steps], a0[ror, ~steps])
    others = [g for g in range(len(GENS)) if g != ror]
    np.testing.assert_array_equal(a1[others], a0[others])


def test_drought_explicit_overrides_preset(system):
    out = apply_stresses(
        system, [{"test": "drought", "preset": "2023_north", "factor": 0.2, "months": "5"}]
    )
    res = _gen(system, "north", "hydro_reservoir")
    ratio = out["hydro_cf_month"].values[res] / system["hydro_cf_month"].values[res]
    np.testing.assert_allclose(ratio, np.where(np.arange(1, 13) == 5, 0.2, 1.0))


def test_heatwave_scales_demand_in_window_and_regions(system):
    out = apply_stresses(
        system,
        [
            {
                "test": "heatwave",
                "increase": 0.12,
                "start": "2030-05-10",
                "days": 7,
                "regions": "north",
            }
        ],
    )
    window = _steps(system, "2030-05-10", 7)
    d0, d1 = system["demand_mw"].values, out["demand_mw"].values
    np.testing.assert_allclose(d1[0, window], 1.12 * d0[0, window])
    np.testing.assert_array_equal(d1[0, ~window], d0[0, ~window])
    np.testing.assert_array_equal(d1[1], d0[1])
    _unchanged_except(system, out, {"demand_mw"})


def test_corridor_outage_loses_one_circuit_in_system_and_plan(system):
    out = apply_stresses(system, [{"test": "corridor_outage", "corridor": "north-south"}])
    assert out["fcap0_mw"].item() == 1500.0 and out["fcapmax_mw"].item() == 4500.0
    plan = xr.Dataset(
        {"corridor_capacity_mw": ("corridor", [5000.0])}, coords={"corridor": ["north-south"]}
    )
    assert apply_stresses_to_plan(plan, out)["corridor_capacity_mw"].item() == 2500.0
    assert apply_stresses_to_plan(plan, system) is plan
    derated = apply_stresses_to_plan(plan, out)
    assert apply_stresses_to_plan(derated, out)["corridor_capacity_mw"].item() == 2500.0  # once
    # a plan made on the stressed System (its existing capacity is the derated one) is kept
    planned = plan.assign(corridor_capacity_existing_mw=("corridor", [1500.0]))
    assert apply_stresses_to_plan(planned, out)["corridor_capacity_mw"].item() == 5000.0
    with pytest.raises(InputError, match="circuits_lost"):
        apply_stresses(
            system, [{"test": "corridor_outage", "corridor": "north-south", "circuits_lost": 3}]
        )


def test_import_cut_laos_only(system):
    out = apply_stresses(system, [{"test": "import_cut", "source": "laos"}])
    laos, china = _gen(system, "south", "import_laos"), _gen(system, "north", "import_china")
    assert (out["availability"].values[laos] == 0).all()
    np.testing.assert_array_equal(
        out["availability"].values[china], system["availability"].values[china]
    )


def test_coal_shortfall_in_window(system):
    out = apply_stresses(
        system,
        [
            {
                "test": "coal_shortfall",
                "factor": 0.6,
                "start": "03-01",
                "days": 20,
                "regions": ["south"],
            }
        ],
    )
    window = _steps(system, "2030-03-01", 20)
    coal_s, coal_n = _gen(system, "south", "coal"), _gen(system, "north", "coal")
    a0, a1 = system["availability"].values, out["availability"].values
    np.testing.assert_allclose(a1[coal_s, window], 0.6 * a0[coal_s, window])
    np.testing.assert_array_equal(a1[coal_s, ~window], a0[coal_s, ~window])
    np.testing.assert_array_equal(a1[coal_n], a0[coal_n])


def test_composition_in_order_and_recorded(system):
    specs = [
        {"test": "heatwave", "increase": 0.1, "start": None, "days": None},
        {"test": "heatwave", "increase": 0.2, "start": None, "days": None},
        {"test": "import_cut", "source": "both", "factor": 0.5},
    ]
    out = apply_stresses(system, specs)
    np.testing.assert_allclose(out["demand_mw"].values, 1.1 * 1.2 * system["demand_mw"].values)
    recorded = json.loads(out.attrs["stress"])
    assert [s["test"] for s in recorded] == ["heatwave", "heatwave", "import_cut"]
    again = apply_stresses(out, [{"test": "corridor_outage", "corridor": "north-south"}])
    assert len(json.loads(again.attrs["stress"])) == 4
    assert apply_stresses(system, [])["demand_mw"].equals(system["demand_mw"])


# ------------------------------------------------------------------------------- errors


def test_parse_stress_option_round_trip():
    spec = parse_stress_option("lng_disruption:days=30,start=2030-06-01,hubs=south")
    assert spec == {"test": "lng_disruption", "days": "30", "start": "2030-06-01", "hubs": "south"}
    (valid,) = validate_stress([spec])
    assert valid == {"test": "lng_disruption", "start": "2030-06-01", "days": 30, "hubs": ["south"]}
    assert parse_stress_option("import_cut") == {"test": "import_cut"}
    (months,) = validate_stress([parse_stress_option("drought:months=4-6,regions=north+south")])
    assert months["months"] == [4, 5, 6] and months["regions"] == ["north", "south"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("blackout:days=3", "--test"),
        ("heatwave:increase", "--test heatwave"),
        ("heatwave:days=3,days=4", "--test heatwave.days"),
    ],
)
def test_parse_errors(text, field):
    with pytest.raises(InputError) as err:
        parse_stress_option(text)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("spec", "field", "allowed"),
    [
        ({"test": "heatwave", "warmth": 1}, "stress[0].warmth", "increase"),
        ({"test": "heatwave", "increase": -0.1}, "stress[0].increase", ">= 0"),
        ({"test": "drought", "months": "4-13"}, "stress[0].months", "months 1..12"),
        ({"test": "lng_disruption", "start": "June"}, "stress[0].start", "YYYY-MM-DD"),
        ({"test": "import_cut", "source": "thailand"}, "stress[0].source", "laos"),
        ({"test": "nope"}, "stress[0].test", "lng_disruption"),
        ({"days": 3}, "stress[0]", "test"),
    ],
)
def test_validation_errors_name_the_field(spec, field, allowed):
    with pytest.raises(InputError) as err:
        validate_stress([spec])
    assert err.value.field == field
    assert allowed in (err.value.allowed or "")


def test_unknown_names_in_the_system(system):
    with pytest.raises(InputError, match="unknown LNG hub") as err:
        apply_stresses(system, [{"test": "lng_disruption", "hubs": "north"}])
    assert err.value.field == "stress[0].hubs" and "thi_vai" in err.value.allowed
    with pytest.raises(InputError, match="corridor"):
        apply_stresses(system, [{"test": "corridor_outage", "corridor": "south-north"}])
    with pytest.raises(InputError, match="scenario year"):
        apply_stresses(system, [{"test": "heatwave", "start": "2031-06-01"}])


# ---------------------------------------------------------------------------------- CLI


def _cli(*args: str):
    from typer.testing import CliRunner

    from energy_sim.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("heatwave:warmth=1", "--test heatwave.warmth: unknown parameter of heatwave"),
        ("blackout:days=3", "--test: unknown stress test"),
        ("lng_disruption:hubs=atlantis", "--test lng_disruption.hubs: unknown LNG hub"),
    ],
)
def test_cli_stress_mistakes_are_one_line_exit_2(tmp_path, test, expected):
    result = _cli("stress", "scenarios/pdp8_2030.yaml", "--test", test, "--out", str(tmp_path))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0]
    assert not list(tmp_path.iterdir())


def test_cli_missing_plan_is_one_line_exit_2(tmp_path):
    plan = tmp_path / "nope.nc"
    result = _cli("stress", "scenarios/pdp8_2030.yaml", "--plan", str(plan))
    assert result.exit_code == 2 and "--plan: plan file not found" in result.output
