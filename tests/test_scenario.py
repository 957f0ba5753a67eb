"""Scenario files: schema, ``extends:``, relative paths and one-line errors (energy_sim.inputs.scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from energy_sim.errors import InputError
from energy_sim.inputs.scenario import DEFAULT_DATA, Scenario, load_scenario

REPO = Path(__file__).resolve().parent.parent
REGIONS = ["north", "central", "south"]
TECHS = ["coal", "solar_utility", "battery_4h"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A minimal data folder: three regions, three technologies (one tech on two rows)."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "regions.csv").write_text("region,name\n" + "".join(f"{r},{r}\n" for r in REGIONS))
    (folder / "technologies.csv").write_text(
        "tech,year\n" + "".join(f"{t},2030\n{t},2045\n" for t in TECHS)
    )
    return folder


@pytest.fixture
def write(tmp_path: Path, data: Path):
    """Write a scenario file (YAML text); ``data:`` points at the test data folder by default."""

    def _write(text: str, name: str = "scn.yaml", with_data: bool = True) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        head = f"data: {data}\n" if with_data else ""
        path.write_text(head + text)
        return path

    return _write


def error_of(path: Path, overrides: dict | None = None) -> InputError:
    with pytest.raises(InputError) as info:
        load_scenario(path, overrides)
    text = str(info.value)
    assert "\n" not in text, text
    assert "Traceback" not in text and "pydantic" not in text.lower(), text
    return info.value


# ----------------------------------------------------------------------------- happy paths


FULL = """
name: my_case
description: every field set
year: 2045
demand_case: high
fleet: pdp8_2030
resolution: 24d
reserve_margin: 0.2
regional_reserve_margin: {north: 0.1, south: 0.25}
voll_usd_per_mwh: 5000
reserve_penalty_usd_per_mw: 2000
policies:
  clean_share: 0.6
  co2_cap_t: 5.0e+7
  carbon_price_usd_per_t: 40
  pdp8_ranges: false
  build_ranges:
    battery_4h: [10000, null]
    coal: [null, 0]
investments:
  new_corridors: false
  new_tanks: false
  technologies: [solar_utility, battery_4h]
profiles:
  demand: profiles/demand.csv
  solar: profiles/solar.csv
solver:
  method: ipm
  time_limit_s: 60
  options: {presolve: "off", threads: 1}
seed: 7
stress:
  - {test: lng_disruption, days: 30}
"""


def test_every_field_read(write, tmp_path: Path, data: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "demand.csv").write_text("north\n1\n")
    (tmp_path / "profiles" / "solar.csv").write_text("north\n0.1\n")
    scn = load_scenario(write(FULL))
    assert scn.name == "my_case"
    assert scn.description == "every field set"
    assert scn.source_file == (tmp_path / "scn.yaml").resolve()
    assert scn.data == data.resolve()
    assert (scn.year, scn.demand_case, scn.fleet, scn.resolution) == (
        2045,
        "high",
        "pdp8_2030",
        "24d",
    )
    assert scn.reserve_margin == 0.2
    assert scn.regional_reserve_margin == {"north": 0.1, "south": 0.25}
    assert (scn.voll_usd_per_mwh, scn.reserve_penalty_usd_per_mw) == (5000, 2000)
    pol = scn.policies
    assert (pol.clean_share, pol.co2_cap_t, pol.carbon_price_usd_per_t) == (0.6, 5e7, 40)
    assert pol.pdp8_ranges is False
    assert pol.build_ranges == {"battery_4h": (10000.0, None), "coal": (None, 0.0)}
    inv = scn.investments
    assert (inv.new_corridors, inv.new_tanks) == (False, False)
    assert inv.technologies == ["solar_utility", "battery_4h"]
    assert scn.profiles.demand == (tmp_path / "profiles" / "demand.csv").resolve()
    assert scn.profiles.solar == (tmp_path / "profiles" / "solar.csv").resolve()
    assert scn.profiles.wind_onshore is None and scn.profiles.wind_offshore is None
    assert (scn.solver.method, scn.solver.time_limit_s) == ("ipm", 60)
    assert scn.solver.options == {"presolve": "off", "threads": 1}
    assert scn.seed == 7
    assert len(scn.stress) == 1  # energy_sim.inputs.stress.validate_stress may add its defaults
    assert scn.stress[0]["test"] == "lng_disruption" and scn.stress[0]["days"] == 30


def test_defaults(write, data: Path) -> None:
    scn = load_scenario(write(""))
    assert scn.name == "scn"  # the file stem
    assert (scn.year, scn.demand_case, scn.fleet, scn.resolution) == (
        2030,
        "low",
        "end2025",
        "24d",
    )
    assert scn.reserve_margin == 0.15 and scn.regional_reserve_margin is None
    assert scn.policies.clean_share is None and scn.policies.co2_cap_t is None
    assert scn.policies.pdp8_ranges is True and scn.policies.build_ranges == {}
    assert scn.investments.new_corridors and scn.investments.new_tanks
    assert scn.investments.technologies is None
    assert scn.solver.method == "auto" and scn.solver.options == {}
    assert scn.stress == []


def test_default_data_folder_is_the_bundled_one(write) -> None:
    assert Scenario().data == DEFAULT_DATA
    assert DEFAULT_DATA == REPO / "data" / "vietnam"


def test_single_regional_margin_means_every_region(write) -> None:
    scn = load_scenario(write("regional_reserve_margin: 0.12\n"))
    assert scn.regional_reserve_margin == dict.fromkeys(REGIONS, 0.12)


@pytest.mark.parametrize("resolution", ["full", "1h", "3h", "168h", "12d", "365d"])
def test_resolution_syntax_accepted(write, resolution: str) -> None:
    assert load_scenario(write(f"resolution: {resolution}\n")).resolution == resolution


def test_overrides_replace_and_reach_into_sections(write) -> None:
    scn = load_scenario(
        write("resolution: 4h\npolicies: {clean_share: 0.3}\n"),
        {"resolution": "24d", "policies.carbon_price_usd_per_t": 20},
    )
    assert scn.resolution == "24d"
    assert scn.policies.clean_share == 0.3  # deep merge keeps the sibling
    assert scn.policies.carbon_price_usd_per_t == 20


def test_to_yaml_round_trips(write, tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "demand.csv").write_text("north\n1\n")
    (tmp_path / "profiles" / "solar.csv").write_text("north\n0.1\n")
    scn = load_scenario(write(FULL))
    text = scn.to_yaml()
    assert text.startswith(f"# source_file: {scn.source_file}\n")
    dumped = yaml.safe_load(text)
    assert dumped["policies"]["build_ranges"]["battery_4h"] == [10000.0, None]
    again = tmp_path / "elsewhere" / "copy.yaml"
    again.parent.mkdir()
    again.write_text(text)
    back = load_scenario(again)  # paths are absolute, so the copy works from any folder
    assert back.model_dump(exclude={"source_file"}) == scn.model_dump(exclude={"source_file"})


@pytest.mark.parametrize(
    "name",
    ["pdp8_2030", "pdp8_2030_high", "pdp8_2030_no_new_500kv", "netzero_2045", "netzero_2050"],
)
def test_bundled_scenarios_load(name: str) -> None:
    scn = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    assert scn.name == name
    assert scn.description
    assert scn.data == REPO / "data" / "vietnam"
    assert scn.reserve_margin == 0.15


def test_bundled_variants_differ_only_where_they_say() -> None:
    base = load_scenario(REPO / "scenarios" / "pdp8_2030.yaml").model_dump()
    high = load_scenario(REPO / "scenarios" / "pdp8_2030_high.yaml").model_dump()
    no500 = load_scenario(REPO / "scenarios" / "pdp8_2030_no_new_500kv.yaml").model_dump()
    skip = {"name", "description", "source_file"}
    diff_high = {k for k in base if k not in skip and base[k] != high[k]}
    assert diff_high == {"demand_case"} and high["demand_case"] == "high"
    diff_500 = {k for k in base if k not in skip and base[k] != no500[k]}
    assert diff_500 == {"investments"}
    assert no500["investments"] == {**base["investments"], "new_corridors": False}
    nz = load_scenario(REPO / "scenarios" / "netzero_2045.yaml")
    assert (nz.year, nz.fleet) == (2045, "pdp8_2030")
    assert nz.policies.clean_share and nz.policies.co2_cap_t and nz.policies.carbon_price_usd_per_t
    assert "coal" not in nz.investments.technologies
    nz50 = load_scenario(REPO / "scenarios" / "netzero_2050.yaml")
    assert (nz50.year, nz50.fleet, nz50.demand_case) == (2050, "pdp8_2030", "low")
    assert nz50.policies.pdp8_ranges  # the 2050 orientation's maxima
    assert "coal" not in nz50.investments.technologies


# --------------------------------------------------------------------------------- extends


def test_extends_chain_deep_merge(write) -> None:
    write(
        "name: grand\ndescription: g\nyear: 2035\npolicies: {clean_share: 0.4, co2_cap_t: 9}\n",
        "a.yaml",
    )
    write("extends: a.yaml\npolicies: {co2_cap_t: 5}\nseed: 3\n", "b.yaml", with_data=False)
    child = write(
        "extends: b.yaml\npolicies: {carbon_price_usd_per_t: 7}\n", "c.yaml", with_data=False
    )
    scn = load_scenario(child)
    assert scn.name == "c"  # name is not inherited
    assert scn.description == "g"
    assert (scn.year, scn.seed) == (2035, 3)
    assert scn.policies.clean_share == 0.4  # from a
    assert scn.policies.co2_cap_t == 5  # b over a
    assert scn.policies.carbon_price_usd_per_t == 7  # c
    assert scn.source_file == child.resolve()


def test_extends_lists_replace_and_null_overrides(write) -> None:
    write(
        "investments: {technologies: [coal, battery_4h]}\npolicies: {clean_share: 0.5}\n", "p.yaml"
    )
    child = write(
        "extends: p.yaml\ninvestments: {technologies: [coal]}\npolicies: {clean_share: null}\n",
        "c.yaml",
        with_data=False,
    )
    scn = load_scenario(child)
    assert scn.investments.technologies == ["coal"]
    assert scn.policies.clean_share is None


def test_relative_paths_resolve_against_the_file_that_names_them(
    tmp_path: Path, data: Path
) -> None:
    # parent in base/, its data and profile named relative to base/; child in base/sub/
    base = tmp_path / "base"
    (base / "prof").mkdir(parents=True)
    (base / "prof" / "demand.csv").write_text("north\n1\n")
    (base / "parent.yaml").write_text("data: ../data\nprofiles: {demand: prof/demand.csv}\n")
    (base / "sub").mkdir()
    (base / "sub" / "solar.csv").write_text("north\n0.2\n")
    child = base / "sub" / "child.yaml"
    child.write_text("extends: ../parent.yaml\nprofiles: {solar: solar.csv}\n")
    scn = load_scenario(child)
    assert scn.data == data.resolve()
    assert scn.profiles.demand == (base / "prof" / "demand.csv").resolve()
    assert scn.profiles.solar == (base / "sub" / "solar.csv").resolve()


def test_child_data_path_relative_to_child(tmp_path: Path, data: Path) -> None:
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "parent.yaml").write_text("data: /nonexistent\n")
    child = tmp_path / "x" / "y" / "child.yaml"
    child.write_text("extends: ../parent.yaml\ndata: ../../data\n")
    assert load_scenario(child).data == data.resolve()


# ---------------------------------------------------------------------------------- errors


def assert_names(err: InputError, file: str, field: str | None, value: object) -> None:
    text = str(err)
    assert file in text, text
    if field is not None:
        assert err.field == field, text
        assert field in text, text
    if value is not None:
        assert repr(value) in text or str(value) in text, text


def test_unknown_key_top_level(write) -> None:
    err = error_of(write("year: 2030\nreserve_margn: 0.2\n"))
    assert_names(err, "scn.yaml:3", "reserve_margn", 0.2)
    assert "no such key" in str(err) and "reserve_margin" in err.allowed


def test_unknown_key_nested(write) -> None:
    err = error_of(write("policies:\n  clean_share: 0.2\n  co2_cap: 10\n"))
    assert_names(err, "scn.yaml:4", "policies.co2_cap", 10)
    assert "co2_cap_t" in err.allowed and "reserve_margin" not in err.allowed


def test_source_file_is_not_a_file_key(write) -> None:
    err = error_of(write("source_file: x.yaml\n"))
    assert_names(err, "scn.yaml", "source_file", None)


@pytest.mark.parametrize(
    ("text", "field", "value", "allowed"),
    [
        ("year: twenty\n", "year", "twenty", "a whole number"),
        ("year: 2030.5\n", "year", 2030.5, "a whole number"),
        ("reserve_margin: true\n", "reserve_margin", True, "a number"),
        ("reserve_margin: '0.2'\n", "reserve_margin", "0.2", "a number"),
        ("policies: {clean_share: [1]}\n", "policies.clean_share", [1], "a number"),
        (
            "investments: {new_corridors: maybe}\n",
            "investments.new_corridors",
            "maybe",
            "true or false",
        ),
        ("policies: 3\n", "policies", 3, "a mapping"),
        ("investments: {technologies: coal}\n", "investments.technologies", "coal", "a list"),
        ("solver: {options: [1, 2]}\n", "solver.options", [1, 2], "a mapping"),
        ("stress: [1]\n", "stress.0", 1, "a mapping"),
    ],
)
def test_wrong_type(write, text: str, field: str, value: object, allowed: str) -> None:
    err = error_of(write(text))
    assert_names(err, "scn.yaml:2", field, value)
    assert allowed in err.allowed


@pytest.mark.parametrize(
    ("text", "field", "value", "allowed"),
    [
        ("policies: {clean_share: 1.5}\n", "policies.clean_share", 1.5, "a number <= 1"),
        ("policies: {clean_share: -0.1}\n", "policies.clean_share", -0.1, "a number >= 0"),
        ("reserve_margin: 1.2\n", "reserve_margin", 1.2, "a number <= 1"),
        ("reserve_margin: -0.15\n", "reserve_margin", -0.15, "a number >= 0"),
        ("year: 2024\n", "year", 2024, ">= 2025"),
        ("year: 2051\n", "year", 2051, "<= 2050"),
        ("voll_usd_per_mwh: -5\n", "voll_usd_per_mwh", -5, "a number > 0"),
        ("reserve_penalty_usd_per_mw: -1\n", "reserve_penalty_usd_per_mw", -1, ">= 0"),
        ("policies: {co2_cap_t: -1}\n", "policies.co2_cap_t", -1, ">= 0"),
        ("policies: {carbon_price_usd_per_t: -3}\n", "policies.carbon_price_usd_per_t", -3, ">= 0"),
        ("solver: {time_limit_s: 0}\n", "solver.time_limit_s", 0, "> 0"),
        ("seed: -1\n", "seed", -1, ">= 0"),
        ("policies: {co2_cap_t: .nan}\n", "policies.co2_cap_t", "nan", "finite"),
        ("regional_reserve_margin: 1.5\n", "regional_reserve_margin", 1.5, "0..1"),
        ("regional_reserve_margin: {north: -0.1}\n", "regional_reserve_margin.north", -0.1, "0..1"),
        ("policies: {build_ranges: {coal: [-1, 5]}}\n", "policies.build_ranges.coal", -1, ">= 0"),
    ],
)
def test_out_of_range(write, text: str, field: str, value: object, allowed: str) -> None:
    err = error_of(write(text))
    assert_names(err, "scn.yaml:2", field, value)
    assert allowed in err.allowed


@pytest.mark.parametrize(
    ("text", "field", "value", "allowed"),
    [
        ("demand_case: medium\n", "demand_case", "medium", "one of: low, high"),
        ("fleet: end2020\n", "fleet", "end2020", "one of: end2025, pdp8_2030"),
        (
            "solver: {method: fast}\n",
            "solver.method",
            "fast",
            "one of: auto, hipo, ipm, ipx, simplex, pdlp",
        ),
    ],
)
def test_not_one_of(write, text: str, field: str, value: str, allowed: str) -> None:
    err = error_of(write(text))
    assert_names(err, "scn.yaml:2", field, value)
    assert err.allowed == allowed


@pytest.mark.parametrize(
    "resolution", ["4x", "0h", "h", "4 h", "169h", "8760h", "11d", "1d", "366d", "FULL", "24"]
)
def test_bad_resolution_string(write, resolution: str) -> None:
    err = error_of(write(f"resolution: '{resolution}'\n"))
    assert_names(err, "scn.yaml:2", "resolution", resolution)
    assert "full, Nh" in err.allowed and "Nd" in err.allowed


def test_resolution_must_be_text(write) -> None:
    err = error_of(write("resolution: 24\n"))
    assert_names(err, "scn.yaml:2", "resolution", 24)


def test_unknown_region(write) -> None:
    err = error_of(write("regional_reserve_margin:\n  north: 0.1\n  hanoi: 0.2\n"))
    assert_names(err, "scn.yaml:4", "regional_reserve_margin.hanoi", "hanoi")
    assert err.allowed == ", ".join(REGIONS)


def test_unknown_technology_in_build_ranges(write) -> None:
    err = error_of(write("policies:\n  build_ranges:\n    fusion: [0, 10]\n"))
    assert_names(err, "scn.yaml:4", "policies.build_ranges.fusion", "fusion")
    assert err.allowed == ", ".join(TECHS)


def test_unknown_technology_in_investments(write) -> None:
    err = error_of(write("investments:\n  technologies:\n    - coal\n    - fusion\n"))
    assert_names(err, "scn.yaml:5", "investments.technologies", "fusion")
    assert "battery_4h" in err.allowed


def test_build_range_min_above_max(write) -> None:
    err = error_of(write("policies:\n  build_ranges:\n    coal: [500, 100]\n"))
    assert_names(err, "scn.yaml:4", "policies.build_ranges.coal", [500, 100])
    assert "min" in str(err) and "max" in str(err)


def test_build_range_needs_two_numbers(write) -> None:
    err = error_of(write("policies:\n  build_ranges:\n    coal: [500]\n"))
    assert_names(err, "scn.yaml:4", "policies.build_ranges.coal", [500])
    assert "[min, max]" in err.allowed


def test_missing_scenario_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.yaml")
    assert_names(err, "nope.yaml", None, None)
    assert "not found" in str(err)


def test_scenario_path_is_a_folder(tmp_path: Path) -> None:
    err = error_of(tmp_path)
    assert "not a file" in str(err)


def test_bad_yaml_names_the_line(write) -> None:
    err = error_of(write("year: 2030\npolicies:\n  clean_share: [0.3\nseed: 1\n"))
    assert_names(err, "scn.yaml", None, None)
    assert "invalid YAML" in str(err) and "line 4" in str(err)


def test_bad_yaml_indentation(write) -> None:
    err = error_of(write("year: 2030\n  seed: 1\n"))
    assert "invalid YAML at line 3" in str(err)


def test_duplicate_key_is_an_error(write) -> None:
    err = error_of(write("year: 2030\nyear: 2035\n"))
    assert "duplicate key 'year'" in str(err) and "line 3" in str(err)


def test_scenario_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- year: 2030\n")
    err = error_of(path)
    assert_names(err, "list.yaml", None, "list")


def test_missing_data_folder(write) -> None:
    err = error_of(write("data: no_such_folder\n", with_data=False))
    assert_names(err, "scn.yaml:1", "data", "no_such_folder")
    assert "data folder not found" in str(err)


def test_data_folder_without_regions_table(write, data: Path) -> None:
    (data / "regions.csv").unlink()
    err = error_of(write(""))
    assert "regions.csv" in str(err) and err.field == "data"


def test_missing_profile_csv(write) -> None:
    err = error_of(write("profiles:\n  wind_offshore: winds/offshore.csv\n"))
    assert_names(err, "scn.yaml:3", "profiles.wind_offshore", "offshore.csv")
    assert "not found" in str(err)


def test_unknown_profile_kind(write) -> None:
    err = error_of(write("profiles:\n  hydro: h.csv\n"))
    assert_names(err, "scn.yaml:3", "profiles.hydro", "h.csv")
    assert "wind_offshore" in err.allowed


def test_solver_option_must_be_a_single_value(write) -> None:
    err = error_of(write("solver:\n  options:\n    threads: [1, 2]\n"))
    assert_names(err, "scn.yaml:4", "solver.options.threads", [1, 2])


def test_unquoted_on_off_reach_highs_as_text(write) -> None:
    opts = load_scenario(
        write("solver: {options: {presolve: off, run_crossover: on, threads: 1}}\n")
    )
    assert opts.solver.options == {"presolve": "off", "run_crossover": "on", "threads": 1}


def test_stress_item_needs_a_test_name(write) -> None:
    err = error_of(write("stress:\n  - {test: lng_disruption}\n  - {days: 3}\n"))
    assert_names(err, "scn.yaml:4", "stress.1", "days")


def test_circular_extends(write) -> None:
    top = write("extends: b.yaml\n", "a.yaml")
    write("extends: c.yaml\n", "b.yaml", with_data=False)
    write("extends: a.yaml\n", "c.yaml", with_data=False)
    err = error_of(top)
    assert_names(err, "c.yaml", "extends", "a.yaml -> b.yaml -> c.yaml -> a.yaml")
    assert "circular" in str(err)


def test_self_extends(write) -> None:
    err = error_of(write("extends: scn.yaml\n"))
    assert_names(err, "scn.yaml", "extends", "scn.yaml -> scn.yaml")


def test_extends_missing_parent(write) -> None:
    err = error_of(write("extends: ../missing_parent.yaml\n"))
    assert_names(err, "scn.yaml:2", "extends", "missing_parent.yaml")


def test_error_in_parent_names_the_parent(write) -> None:
    write("year: 2030\npolicies:\n  clean_share: 2\n", "parent.yaml")
    child = write("extends: parent.yaml\nseed: 4\n", "child.yaml", with_data=False)
    err = error_of(child)
    assert_names(err, "parent.yaml:4", "policies.clean_share", 2)  # line 1 is data:


def test_bad_yaml_in_parent_names_the_parent(write) -> None:
    write("year: [\n", "parent.yaml")
    err = error_of(write("extends: parent.yaml\n", "child.yaml", with_data=False))
    assert "parent.yaml" in str(err) and "invalid YAML" in str(err)


def test_overrides_are_validated(write) -> None:
    err = error_of(write("resolution: 4h\n"), {"resolution": "24x"})
    assert_names(err, "scn.yaml (override)", "resolution", "24x")
    err = error_of(write(""), {"policies.clean_shar": 0.5})
    assert_names(err, "override", "policies.clean_shar", 0.5)
    err = error_of(write(""), {"regional_reserve_margin": {"mars": 0.1}})
    assert_names(err, "override", "regional_reserve_margin.mars", "mars")


def test_validate_stress_hook_is_called(write, monkeypatch: pytest.MonkeyPatch) -> None:
    import energy_sim

    calls: list[list] = []

    class FakeStress:
        @staticmethod
        def validate_stress(items: list) -> list:
            calls.append(items)
            if items[0].get("days", 0) < 0:
                raise InputError("days must be >= 0", field="stress.0.days", value=items[0]["days"])
            return [{**item, "checked": True} for item in items]

    monkeypatch.setitem(__import__("sys").modules, "energy_sim.inputs.stress", FakeStress)
    monkeypatch.setattr(energy_sim, "stress", FakeStress, raising=False)
    scn = load_scenario(write("stress: [{test: lng_disruption, days: 3}]\n"))
    assert calls and scn.stress == [{"test": "lng_disruption", "days": 3, "checked": True}]
    err = error_of(write("stress: [{test: lng_disruption, days: -3}]\n"))
    assert_names(err, "scn.yaml", "stress.0.days", -3)
