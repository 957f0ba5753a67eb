"""The outputs of a pathway (issue 13, item 7): the four pathway figures, the dashboard's pathway
section, compare over periods, and single-year code paths that must not break on a pathway.

Everything runs on the stand-in of tests/pathway_data.py (the contract's format, numbers set by
hand), so no test needs a solve.
"""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from analysis_data import make_pair, write_run  # noqa: E402
from pathway_data import ABSENT_2030, PERIODS, make_pathway, write_pathway  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from energy_sim.analysis import plots  # noqa: E402
from energy_sim.analysis.compare import (  # noqa: E402
    compare,
    compare_figure,
    pathway_table,
    period_run,
)
from energy_sim.analysis.indicators import (  # noqa: E402
    BREACH,
    INFO,
    OK,
    indicators,
    pathway_indicators,
)
from energy_sim.analysis.labels import is_pathway  # noqa: E402
from energy_sim.analysis.report import render  # noqa: E402
from energy_sim.analysis.runs import load_run  # noqa: E402
from energy_sim.cli import app  # noqa: E402
from energy_sim.errors import InputError  # noqa: E402
from energy_sim.planning.pathway import select_period  # noqa: E402


@pytest.fixture(scope="module")
def pathway():
    return make_pathway()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, pathway):
    return write_pathway(tmp_path_factory.mktemp("runs") / "pathway", pathway)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    results, system = make_pair("single")
    return write_run(tmp_path_factory.mktemp("runs") / "single", results, system)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _by_tech(ds, gen_var, storage_var):
    """MW by (period, tech), worked out here from the groups, not by the code under test."""
    gen = ds[gen_var].fillna(0).groupby(ds["gen_tech"]).sum().to_pandas()
    sto = ds[storage_var].fillna(0).groupby(ds["storage_tech"]).sum().to_pandas()
    return pd.concat([gen, sto], axis=1)


def _heights(ax):
    """``{container label: bar heights}`` of an Axes' bar containers."""
    return {c.get_label(): np.array([p.get_height() for p in c.patches]) for c in ax.containers}


# --- the figures --------------------------------------------------------------------------


def test_capacity_bars_are_the_capacities_by_technology_and_period(pathway):
    ax = plots.pathway_capacity(pathway)
    bars = _heights(ax)
    existing = _by_tech(pathway, "capacity_existing_mw", "storage_power_existing_mw")
    new = _by_tech(pathway, "capacity_new_mw", "storage_power_new_mw")
    for tech in existing.columns:
        np.testing.assert_allclose(bars[f"{tech} (existing)"], existing[tech] / 1e3)
        np.testing.assert_allclose(bars[f"{tech} (new)"], new[tech] / 1e3)
    # each period's stack is everything standing in it
    stacked = sum(bars.values())
    total = _by_tech(pathway, "capacity_mw", "storage_power_mw").sum(axis=1)
    np.testing.assert_allclose(stacked, total.to_numpy() / 1e3)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(p) for p in PERIODS]
    # existing and new are told apart: the existing part is hatched, the new part is not
    coal = {c.get_label(): c.patches[0] for c in ax.containers if c.get_label().startswith("coal")}
    assert coal["coal (existing)"].get_hatch() == "//" and not coal["coal (new)"].get_hatch()
    assert ax.get_ylabel() == "capacity (GW)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "existing fleet" in legend and "built in the horizon" in legend


def test_the_element_a_period_lacks_counts_zero(pathway):
    table = plots.capacity_by_period(pathway)
    absent = float(pathway["capacity_mw"].sel(period=2040, gen=ABSENT_2030))
    assert absent > 0
    others = pathway["capacity_mw"].where(pathway["gen_tech"] == "solar_utility", 0)
    assert table.loc[2030, "solar_utility"] == pytest.approx(float(others.sel(period=2030).sum()))
    assert table.loc[2040, "solar_utility"] == pytest.approx(float(others.sel(period=2040).sum()))
    built = plots.capacity_by_period(pathway, "built").sum(axis=1)
    expect = pathway["capacity_built_mw"].sum("gen") + pathway["storage_power_built_mw"].sum(
        "storage"
    )
    np.testing.assert_allclose(built.to_numpy(), expect.to_numpy())


def test_emission_bars_are_the_co2_of_each_period_and_the_line_is_the_cap(pathway):
    ax = plots.pathway_emissions(pathway)
    stacked = sum(_heights(ax).values())
    np.testing.assert_allclose(stacked, pathway["co2_t"].sum("gen").to_numpy() / 1e6)
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "co2_cap"]
    cap = pathway["co2_cap_t"].to_numpy()
    finite = np.isfinite(cap)  # 2030 has no cap: the line starts at 2040
    np.testing.assert_allclose(line.get_ydata(), cap[finite] / 1e6)
    np.testing.assert_allclose(line.get_xdata(), np.flatnonzero(finite))
    texts = [t.get_text() for t in ax.texts]
    assert "net zero" in texts  # the 2050 cap is 0
    assert not any("above cap" in t for t in texts)  # every period meets its cap
    assert ax.get_ylabel() == "CO2 (Mt/yr)"


def test_a_period_above_its_cap_is_marked(pathway):
    over = pathway.copy()
    over["co2_cap_t"] = over["co2_cap_t"].copy(data=[np.nan, 1.0e8, 0.0])  # 2040 emits 130 Mt
    ax = plots.pathway_emissions(over)
    above = [t for t in ax.texts if "above cap" in t.get_text()]
    assert len(above) == 1 and above[0].get_text().startswith("130.2")
    assert mcolors.to_hex(above[0].get_color()) == plots.pathway.BELOW


def test_reserve_margins_below_their_target_are_flagged(pathway):
    ax = plots.pathway_reserve_margin(pathway)
    bars = {p.get_gid(): p for p in ax.patches if p.get_gid()}
    margins, target = plots.margins_by_period(pathway)
    assert len(bars) == margins.size == len(PERIODS) * 7  # six regions and the system
    red = mcolors.to_rgba(plots.pathway.BELOW)
    top = ax.get_ylim()[1]
    for period in PERIODS:
        for region in margins.columns:
            value = float(margins.loc[period, region])
            bar = bars[f"{period}/{region}"]
            below = value < float(target.loc[period])
            assert (bar.get_edgecolor() == red) == below, (period, region)
            assert bar.get_height() == pytest.approx(min(100 * value, top))
    # by hand: north_central is far below in every period; the system misses 15% in 2030 only
    assert bars["2030/north_central"].get_edgecolor() == red
    assert bars["2030/system"].get_edgecolor() == red
    assert bars["2040/system"].get_edgecolor() != red
    assert bars["2030/north"].get_edgecolor() != red
    # the 2050 target is 20%: a tick at 20 across each 2050 bar
    ticks = {ln.get_gid(): ln.get_ydata() for ln in ax.get_lines() if ln.get_gid()}
    assert len(ticks) == len(bars)
    for period in PERIODS:
        for region in margins.columns:
            goal = 100 * float(target.loc[period])
            np.testing.assert_allclose(ticks[f"target {period}/{region}"], [goal, goal])
    # central_highlands' 108% is cut at the axis top and written out
    assert top == pytest.approx(80.0)
    assert any(t.get_text() == "108%" for t in ax.texts)


def test_cost_bars_are_the_annual_costs_and_the_title_the_discounted_total(pathway):
    ax = plots.pathway_cost(pathway)
    bars = _heights(ax)
    cost = pathway["cost_usd"].transpose("period", "cost_component")
    for component in cost["cost_component"].values:
        values = cost.sel(cost_component=component).to_numpy() / 1e9
        if values.any():
            np.testing.assert_allclose(bars[str(component).replace("_", " ")], values)
    discounted = float((cost.sum("cost_component") * pathway["discount_factor"]).sum())
    assert pathway.attrs["objective_usd"] == pytest.approx(discounted)
    assert f"discounted total {discounted / 1e9:,.1f} bn USD" in ax.get_title()
    assert "r = 6.0%" in ax.get_title()
    assert ax.get_ylabel() == "annual cost (bn USD/yr)"


def test_the_composed_figure_has_the_four_views(pathway):
    fig = plots.pathway_figure(pathway)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "Capacity by technology and period"
    assert titles[1] == "CO2 emissions against the net-zero path"
    assert titles[2].startswith("Reserve margin by region and period")
    assert titles[3].startswith("Annual cost per period")
    assert "perfect foresight" in fig._suptitle.get_text()


def test_the_pathway_views_refuse_a_single_year_plan():
    results, _ = make_pair()
    assert not is_pathway(results)
    for view in (plots.pathway_capacity, plots.pathway_emissions, plots.pathway_cost):
        with pytest.raises(ValueError, match="not a pathway"):
            view(results)


# --- one period as a plan -----------------------------------------------------------------


def test_one_period_reads_as_a_single_year_plan(pathway):
    from energy_sim.planning.kpis import kpis

    first = select_period(pathway, 2030)
    assert "period" not in first.dims and first.attrs["kind"] == "plan"
    assert first.attrs["period"] == 2030
    assert ABSENT_2030 not in first["gen"].values  # the period lacks it: dropped
    later = select_period(pathway, 2050)
    assert ABSENT_2030 in later["gen"].values
    assert later.attrs["reserve_margin"] == 0.20 and later.attrs["co2_cap_t"] == 0.0
    assert later.attrs["clean_share_min"] == 0.9
    assert later.attrs["objective_usd"] == pytest.approx(
        float(pathway["cost_usd"].sel(period=2050).sum())
    )
    assert kpis(first)["co2_t"] == pytest.approx(float(pathway["co2_t"].sel(period=2030).sum()))
    with pytest.raises(KeyError, match="2035"):
        select_period(pathway, 2035)


def test_pathway_table_has_the_numbers_of_each_period(pathway):
    table = pathway_table(pathway)
    assert list(table.index) == PERIODS
    np.testing.assert_allclose(table["CO2 (Mt/yr)"], pathway["co2_t"].sum("gen").to_numpy() / 1e6)
    np.testing.assert_allclose(
        table["CO2 cap (Mt/yr)"], pathway["co2_cap_t"].to_numpy() / 1e6, equal_nan=True
    )
    lowest = pathway["reserve_margin_by_region"].min("region").to_numpy()
    np.testing.assert_allclose(table["reserve margin, lowest region (%)"], 100 * lowest)
    assert set(table["lowest region"]) == {"north_central"}
    np.testing.assert_allclose(table["reserve margin target (%)"], [15.0, 15.0, 20.0])
    np.testing.assert_allclose(
        table["total cost (USD bn/yr)"], pathway["cost_usd"].sum("cost_component") / 1e9
    )
    built = pathway["capacity_built_mw"].sum("gen") + pathway["storage_power_built_mw"].sum(
        "storage"
    )
    np.testing.assert_allclose(table["new capacity built (GW)"], built.to_numpy() / 1e3)
    np.testing.assert_allclose(table["unserved energy (GWh/yr)"], [0.0, 0.0, 0.0])


# --- indicators and the dashboard ---------------------------------------------------------


def test_indicators_of_a_pathway_are_those_of_one_period(folder, pathway):
    run = load_run(folder)
    first = {i.key: i for i in indicators(run)}
    assert first["reserve_margin_system"].value == pytest.approx(
        float(pathway["reserve_margin_achieved"].sel(period=2030))
    )
    assert first["co2"].target.endswith("(2023 grid)")  # no cap in 2030
    last = {i.key: i for i in indicators(run, period=2050)}
    assert last["co2"].target == "≤ 0.0 Mt/yr (cap)" and last["co2"].status == OK
    assert last["reserve_margin_system"].target == "≥ 20%"
    with pytest.raises(InputError, match="period"):
        indicators(run, period=2035)


def test_pathway_indicators_flag_each_period_against_its_own_targets(folder, pathway):
    rows = pathway_indicators(load_run(folder))
    assert list(rows) == PERIODS
    by = {p: {i.key: i for i in inds} for p, inds in rows.items()}
    assert by[2040]["co2"].status == OK  # 130.2 Mt under the 156.3 Mt cap
    assert by[2040]["co2"].display == "130.2 Mt/yr"
    assert by[2040]["clean_share"].status == BREACH and by[2040]["clean_share"].target == "≥ 50%"
    for p in PERIODS:
        assert by[p]["reserve_margin_min"].status == BREACH
        assert by[p]["reserve_margin_min"].note == "north central"
        assert by[p]["cost"].status == INFO
    assert by[2050]["reserve_margin_min"].target == "≥ 20%"
    built = float(pathway["capacity_built_mw"].sel(period=2040).sum())
    built += float(pathway["storage_power_built_mw"].sel(period=2040).sum())
    assert by[2040]["new_capacity"].display == f"{built / 1e3:,.1f} GW"
    with pytest.raises(ValueError, match="not a pathway"):
        pathway_indicators(period_run(load_run(folder)))


def test_a_period_that_sheds_load_is_a_breach(tmp_path, pathway):
    shedding = pathway.copy(deep=True)
    shedding["unserved_energy_mwh"].loc[{"period": 2050, "region": "south"}] = 5.0e6
    rows = pathway_indicators(load_run(write_pathway(tmp_path / "shed", shedding)))
    status = {p: {i.key: i for i in inds}["unserved_energy"].status for p, inds in rows.items()}
    assert status == {2030: OK, 2040: OK, 2050: BREACH}
    assert pathway_table(shedding)["unserved energy (GWh/yr)"].tolist() == [0.0, 0.0, 5000.0]


def _section(html: str) -> str:
    start = html.index('<section data-pathway="')
    return html[start : html.index("</section>", start)]


def test_the_dashboard_of_a_pathway_has_its_section_and_table(folder, pathway):
    html = render([folder])
    assert "<script" not in html.lower()
    section = _section(html)
    assert "Pathway: pathway" in section
    assert "perfect foresight" in section and "discount rate 6.0%" in section
    total = pathway.attrs["objective_usd"] / 1e9
    assert f"discounted total cost {total:,.1f} bn USD" in section
    rows = re.findall(r'<tr data-period="(\d+)">(.*?)</tr>', section)
    assert [int(p) for p, _ in rows] == PERIODS
    row = dict(rows)
    cell = re.search(r'data-indicator="co2" data-status="(\w+)">.*?</td>', row["2040"]).group(0)
    assert "130.2 Mt/yr" in cell and "≤ 156.3 Mt/yr (cap)" in cell and 'data-status="ok"' in cell
    margin = re.search(r'data-indicator="reserve_margin_min".*?</td>', row["2030"]).group(0)
    assert 'data-status="breach"' in margin and "-50.3%" in margin and "≥ 15%" in margin
    assert "≥ 20%" in re.search(r'data-indicator="reserve_margin_min".*?</td>', row["2050"]).group(
        0
    )
    cost = float(pathway["cost_usd"].sel(period=2050).sum()) / 1e9
    assert f"{cost:,.2f} bn USD/yr" in row["2050"]
    images = re.findall(r'<img[^>]+src="([^"]+)"', section)
    assert len(images) == 4 and all(src.startswith("data:image/png;base64,") for src in images)
    # the indicator table shows the first period and says so; its single-year figures follow
    assert "pathway is a pathway: its column shows the 2030 period" in html
    assert '<section data-run="pathway 2030">' in html
    assert "Capacity by technology and region against the PDP8 ranges" in html


def test_the_dashboard_of_a_pathway_in_memory_next_to_a_plan(pathway, single):
    html = render([pathway, single], period=2040)
    assert '<section data-pathway="pathway_test">' in html
    assert (
        '<section data-run="pathway_test 2040">' in html and '<section data-run="single">' in html
    )
    assert "its column shows the 2040 period" in html
    assert "Scenarios side by side" in html


def test_a_pathway_dashboard_without_figures_keeps_the_table(folder):
    html = render([folder], figures=False)
    assert "<img" not in html and len(re.findall(r'<tr data-period="', _section(html))) == 3


def test_a_single_year_dashboard_has_no_pathway_section(single):
    html = render([single])
    assert "data-pathway" not in html and "Pathway:" not in html and "data-period" not in html
    assert "is a pathway" not in html
    assert '<section data-run="single">' in html


def test_assessments_and_dispatch_of_other_periods_are_left_out(tmp_path, pathway):
    folder = write_pathway(tmp_path / "pw", pathway)
    summary = {
        "name": "adequacy",
        "lole_h": 1.0,
        "eue_mwh": 10.0,
        "provenance": {"plan_run_id": pathway.attrs["run_id"], "period": 2040},
    }
    (folder / "assessment.json").write_text(json.dumps(summary))
    run = load_run(folder)
    assert "adequacy" in run.assessments
    first = period_run(run, 2030)
    assert not first.assessments
    assert any("made for the 2040 period" in w for w in first.warnings)
    assert "adequacy" in period_run(run, 2040).assessments
    ind = {i.key: i for i in indicators(run, period=2040)}
    assert ind["lole_adequacy"].value == 1.0
    html = render([folder])
    assert "made for the 2040 period: left out of 2030" in html
    # an assessment that names no period cannot be put in one: left out of every period
    unnamed = {**summary, "name": "unnamed", "provenance": {"plan_run_id": pathway.attrs["run_id"]}}
    (folder / "unnamed.json").write_text(json.dumps(unnamed))
    for period in PERIODS:
        one = period_run(load_run(folder), period)
        assert "unnamed" not in one.assessments
        assert any("unnamed names no period" in w for w in one.warnings)
    # a dispatch.nc is shown with the period it names (attr period or plan_period), else left out
    run = load_run(folder)
    run.dispatch = select_period(pathway, 2040)
    assert period_run(run, 2040).dispatch is not None and period_run(run, 2030).dispatch is None
    run.dispatch = run.dispatch.copy()
    run.dispatch.attrs = {"plan_period": 2030}
    assert period_run(run, 2030).dispatch is not None
    run.dispatch.attrs = {}
    assert period_run(run, 2030).dispatch is None
    assert any("dispatch.nc names no period" in w for w in period_run(run, 2030).warnings)


# --- compare and the CLI ------------------------------------------------------------------


def test_compare_gives_one_column_per_period(folder, single, pathway):
    table = compare([folder, single])
    assert list(table.columns) == ["pathway 2030", "pathway 2040", "pathway 2050", "single"]
    co2 = table.loc["CO2 (Mt/yr)"]
    for p in PERIODS:
        assert co2[f"pathway {p}"] == pytest.approx(
            float(pathway["co2_t"].sel(period=p).sum()) / 1e6
        )
    assert compare_figure([pathway]).axes


def test_cli_compare_and_report_of_a_pathway(folder, single, tmp_path):
    out = tmp_path / "dash.html"
    result = CliRunner().invoke(
        app, ["report", str(folder), str(single), "-o", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "data-pathway" in out.read_text()
    assert re.search(r"^pathway: \d+ OK", result.stdout, re.M)
    result = CliRunner().invoke(app, ["compare", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "pathway 2050" in result.stdout
