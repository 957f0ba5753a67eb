"""compare(): KPIs and capacities of several runs side by side, and `energy-sim compare`."""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from analysis_data import make_pair, tiny6_system, write_run  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from energy_sim.analysis.compare import (  # noqa: E402
    adequacy_table,
    capacity_by_tech,
    compare,
    compare_figure,
)
from energy_sim.analysis.runs import load_run  # noqa: E402
from energy_sim.cli import app  # noqa: E402
from energy_sim.errors import InputError  # noqa: E402

ASSESSMENT = {
    "name": "adequacy",
    "lole_h": 2.5,
    "lole_se_h": 0.4,
    "eue_mwh": 1200.0,
    "lole_h_by_region": {"north": 2.0, "south": 0.5},
    "eue_mwh_by_region": {"north": 1000.0, "south": 200.0},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    low, sys_low = make_pair("low")
    high, sys_high = make_pair("high", capacity_scale=1.25, shed_mw=400.0)
    return (
        write_run(root / "low", low, sys_low, ASSESSMENT),
        write_run(root / "high", high, sys_high),
    )


@pytest.fixture(scope="module")
def plans():
    from energy_sim.planning.solve import plan

    return [
        plan(tiny6_system(scenario="base")),
        plan(tiny6_system(scenario="big", capacity_scale=1.5)),
    ]


def test_table_lines_up_kpis_and_capacities(runs):
    table = compare(list(runs))
    assert list(table.columns) == ["low", "high"]
    assert table.index.is_unique
    assert all(re.search(r"\(.+\)$", label) for label in table.index), "every row names its unit"
    for folder in runs:
        kpis = json.loads((folder / "kpis.json").read_text())
        col = table[folder.name]
        assert col["cost per MWh of demand (USD/MWh)"] == pytest.approx(kpis["cost_per_mwh_usd"])
        assert col["total cost (USD bn/yr)"] == pytest.approx(kpis["total_cost_usd"] / 1e9)
        assert col["reserve margin, system (%)"] == pytest.approx(100 * kpis["reserve_margin"])
        assert col["clean share (%)"] == pytest.approx(100 * kpis["clean_share"])
        assert col["LNG days of cover, lowest hub (d)"] == pytest.approx(9.5)
        for region, margin in kpis["reserve_margin_by_region"].items():
            assert col[f"reserve margin, {region} (%)"] == pytest.approx(100 * margin)
        for tech, mw in kpis["total_capacity_mw"].items():
            assert col[f"capacity, {tech} (MW)"] == pytest.approx(mw)
        for tech, mw in kpis["new_capacity_mw"].items():
            assert col[f"new capacity, {tech} (MW)"] == pytest.approx(mw)
    for row, (a, b) in HAND.items():
        assert table.loc[row].tolist() == pytest.approx([a, b]), row
    assert table.loc["LOLE, adequacy (h/yr)", "low"] == 2.5
    assert np.isnan(table.loc["LOLE, adequacy (h/yr)", "high"])
    assert table.attrs["status"] == {"low": "optimal", "high": "optimal"}


#: Rows of the synthetic pair worked out by hand (tests/analysis_data.py): capacities are 1.6x
#: the listed MW (x1.25 for "high"), new = capacity - existing, the battery's existing power is
#: 2,400 MW, "high" sheds 400 MW for one 3-hour step, the lowest hub holds 9.5 days.
HAND = {
    "capacity, coal (MW)": (1.6 * (20000 + 2500), 1.25 * 1.6 * (20000 + 2500)),  # 36,000 / 45,000
    "new capacity, coal (MW)": (36000 - 18000 - 1200, 45000 - 18000 - 1200),
    "capacity, ccgt_lng (MW)": (1.6 * (5000 + 18000), 1.25 * 1.6 * (5000 + 18000)),
    "new capacity, ccgt_lng (MW)": (36800 - 1000 - 9000, 46000 - 1000 - 9000),
    "capacity, battery_4h (MW)": (4000, 5000),
    "new capacity, battery_4h (MW)": (4000 - 2400, 5000 - 2400),
    "capacity, pumped_hydro (MW)": (2400, 3000),
    "new capacity, pumped_hydro (MW)": (0, 600),
    "unserved energy, plan (MWh/yr)": (0, 400 * 3),
    "LNG days of cover, lowest hub (d)": (9.5, 9.5),
}


def test_compare_datasets_in_memory_gives_the_hand_computed_rows():
    low, _ = make_pair("low")
    high, _ = make_pair("high", capacity_scale=1.25, shed_mw=400.0)
    table = compare([low, high])
    assert list(table.columns) == ["low", "high"]
    for row, (a, b) in HAND.items():
        assert table.loc[row].tolist() == pytest.approx([a, b]), row


def test_compare_names_its_columns(plans):
    assert list(compare(plans).columns) == ["base", "big"]
    renamed = compare(plans, names=["a", "b"])
    assert list(renamed.columns) == ["a", "b"]
    same = compare([plans[0], plans[0]])
    assert list(same.columns) == ["base", "base (2)"]


def test_capacity_by_tech_adds_storage(plans):
    res = plans[0]
    caps = capacity_by_tech(res)
    assert caps["solar_utility"] == pytest.approx(
        float(
            res["capacity_mw"]
            .sel(gen=["central_highlands/solar_utility", "south/solar_utility"])
            .sum()
        )
    )
    assert caps["battery_4h"] == pytest.approx(float(res["storage_power_mw"].sum()))
    new = capacity_by_tech(res, "new")
    np.testing.assert_allclose(
        caps - capacity_by_tech(res, "existing"), new.reindex(caps.index), atol=1e-6
    )


def test_adequacy_table_reads_summaries():
    by_stress = adequacy_table({"base": ASSESSMENT, "lng": {"LOLE_h": 7.0, "EUE_MWh": 9e4}})
    assert by_stress.loc["base", "lole_h"] == 2.5 and by_stress.loc["base", "lole_se_h"] == 0.4
    assert by_stress.loc["lng", "eue_mwh"] == 9e4
    by_region = adequacy_table(ASSESSMENT, by="region")
    assert by_region.loc["north", "lole_h"] == 2.0 and by_region.loc["south", "eue_mwh"] == 200.0


def test_load_run_reads_assessments_and_rejects_non_runs(runs, tmp_path):
    run = load_run(runs[0])
    assert run.name == "low" and set(run.assessments) == {"adequacy"}
    with pytest.raises(InputError, match="no such folder"):
        load_run(tmp_path / "missing")
    with pytest.raises(InputError, match="no results.nc"):
        load_run(tmp_path)
    (tmp_path / "results.nc").write_text("not netcdf")
    with pytest.raises(InputError, match="cannot read NetCDF"):
        load_run(tmp_path)
    with pytest.raises(InputError, match="one name per run"):
        compare(list(runs), names=["only one"])


def test_compare_figure_has_six_panels(runs):
    fig = compare_figure(list(runs))
    assert len([ax for ax in fig.axes if ax.get_title()]) == 6
    reserve = [ax for ax in fig.axes if ax.get_title().startswith("Reserve margin (%")][0]
    assert [t.get_text() for t in reserve.get_xticklabels()][-1] == "system"


def test_compare_figure_legends_cover_no_bar_and_a_surplus_does_not_flatten_the_axis(runs):
    """Issue 15, defect 9: the legend sat on the first bar; a 650% region set the axis."""
    fig = compare_figure(list(runs))
    assert all(ax.get_legend() is None for ax in fig.axes)  # legends beside the panels
    assert len(fig.legends) == 2
    reserve = [ax for ax in fig.axes if ax.get_title().startswith("Reserve margin (%")][0]
    assert reserve.get_ylim()[1] == pytest.approx(60.0)  # 4 x the 15% target
    labels = [t.get_text() for t in reserve.texts]
    assert any(label.endswith("%") and float(label[:-1].replace(",", "")) > 60 for label in labels)


def test_cli_compare_prints_table_and_writes_files(runs, tmp_path):
    fig, csv = tmp_path / "out" / "cmp.png", tmp_path / "cmp.csv"
    result = CliRunner().invoke(
        app, ["compare", *map(str, runs), "-o", str(fig), "--csv", str(csv)]
    )
    assert result.exit_code == 0, result.output
    assert "cost per MWh of demand (USD/MWh)" in result.stdout and "low" in result.stdout
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "capacity, coal (MW)" in csv.read_text()
    assert not [p for p in fig.parent.iterdir() if p.name.startswith(".")], "no temp files left"


def test_cli_compare_user_mistakes_are_one_line(runs, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(app, ["compare", str(runs[0]), "-o", str(tmp_path / "x.gif")])
    assert bad.exit_code == 2 and "allowed: a file ending in .png, .svg or .pdf" in bad.stderr
    missing = runner.invoke(app, ["compare", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    assert not (tmp_path / "x.gif").exists()


def test_cli_compare_help_has_an_example():
    result = CliRunner().invoke(app, ["compare", "--help"])
    assert result.exit_code == 0 and "Example: energy-sim compare" in result.stdout


def test_public_api_compare_is_callable_after_the_module_is_imported(runs):
    import energy_sim as es
    import energy_sim.analysis.compare  # noqa: F401  (once bound the module to es.compare)

    table = es.compare(list(runs))
    for row in ("capacity, coal (MW)", "unserved energy, plan (MWh/yr)"):
        assert table.loc[row].tolist() == pytest.approx(list(HAND[row])), row
