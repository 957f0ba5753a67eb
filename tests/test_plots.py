"""Plots draw what the Results say: bar heights, lines and balances checked against the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from analysis_data import make_pair, tiny6_system  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from energy_sim.analysis import plots  # noqa: E402
from energy_sim.analysis.plots.operation import _week_slice  # noqa: E402


@pytest.fixture(scope="module")
def pair():
    return make_pair()


@pytest.fixture(scope="module")
def planned():
    """A real LP plan of the six-region tiny system, and its System."""
    from energy_sim.planning.solve import plan

    system = tiny6_system()
    results = plan(system)
    assert results.attrs["status"] == "optimal"
    return results, system


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_every_plot_returns_the_axes_it_was_given(pair, planned):
    results, system = planned
    summary = {
        "lole_h": 1.0,
        "eue_mwh": 10.0,
        "lole_h_by_region": {"north": 1.0},
        "eue_mwh_by_region": {"north": 10.0},
    }
    calls = [
        lambda ax: plots.capacity_mix(results, system, ax=ax),
        lambda ax: plots.dispatch_stack(results, system, ax=ax),
        lambda ax: plots.dispatch_stack(results, system, region="south", ax=ax),
        lambda ax: plots.reserve_margin(results, ax=ax),
        lambda ax: plots.corridor_map(results, system, ax=ax),
        lambda ax: plots.lng_inventory(results, ax=ax),
        lambda ax: plots.price_duration(results, system, ax=ax),
        lambda ax: plots.adequacy(summary, by="region", ax=ax),
        lambda ax: plots.adequacy({"base": summary, "drought": summary}, by="stress", ax=ax),
    ]
    for call in calls:
        fig, ax = plt.subplots()
        assert call(ax) is ax
        plt.close(fig)
    # without an ax, each makes its own
    assert isinstance(plots.reserve_margin(pair[0]), Axes)


def test_capacity_mix_bars_sum_to_capacity_by_tech_and_ranges_are_drawn(planned):
    results, system = planned
    ax = plots.capacity_mix(results, system)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    tops: dict[str, float] = {}
    for patch in ax.patches:
        x = int(round(patch.get_x() + patch.get_width() / 2))
        tops[labels[x]] = max(tops.get(labels[x], 0.0), patch.get_y() + patch.get_height())
    expected = (
        pd.concat(
            [
                results["capacity_mw"].groupby(results["gen_tech"]).sum().to_series(),
                results["storage_power_mw"].groupby(results["storage_tech"]).sum().to_series(),
            ]
        )
        / 1e3
    )
    for tech, gw in expected.items():
        if gw > 0:
            assert tops[tech] == pytest.approx(gw, rel=1e-9)
    # the coal range 10.0..31.055 GW appears as a vertical bracket at the coal bar
    coal = labels.index("coal")
    edge = coal + 0.38
    ys = [line.get_ydata() for line in ax.lines if list(line.get_xdata()) == [edge, edge]]
    assert ys and ys[0][0] == pytest.approx(10.0) and ys[0][1] == pytest.approx(31.055)


def test_net_import_closes_each_regional_balance(planned):
    """sum p + sum(dis - ch) + net import + shed = demand, in every region and step."""
    results, system = planned
    for region in results["region"].values:
        gen = results["generation_mw"].where(results["gen_region"] == region, 0).sum("gen")
        st = results["storage_region"] == region
        storage = (results["discharge_mw"] - results["charge_mw"]).where(st, 0).sum("storage")
        supply = (
            gen
            + storage
            + plots.net_import(results, str(region), system)
            + results["shed_mw"].sel(region=region)
        )
        np.testing.assert_allclose(
            supply, results["demand_mw"].sel(region=region), rtol=1e-6, atol=1e-3
        )


def test_dispatch_week_around_the_peak_and_a_chosen_week(pair):
    results, system = pair
    total = system["demand_mw"].sum("region").values
    window = _week_slice(results, None, system)
    assert window.stop - window.start == 56  # 7 days of 3-hour steps
    assert window.start <= int(np.argmax(total)) < window.stop
    week = _week_slice(results, 10, system)
    stamps = pd.DatetimeIndex(results["timestamp"].values)
    assert stamps[week.start] == pd.Timestamp("2030-03-05")
    ax = plots.dispatch_stack(results, system, week=10)
    demand_line = [line for line in ax.lines if line.get_label() == "demand"][0]
    np.testing.assert_allclose(demand_line.get_ydata(), total[week])


def test_dispatch_stack_rejects_unknown_region(pair):
    with pytest.raises(ValueError, match="unknown region"):
        plots.dispatch_stack(pair[0], pair[1], region="mekong")


def test_reserve_margin_bars_and_colours(pair):
    results, _ = pair
    ax = plots.reserve_margin(results, target=0.15)
    heights = [p.get_height() for p in ax.patches]
    expected = list(results["reserve_margin_by_region"].values * 100) + [
        float(results["reserve_margin_achieved"]) * 100
    ]
    np.testing.assert_allclose(heights, expected)
    # central highlands (105%) is cut at the axis limit and labelled with its value
    assert ax.get_ylim()[1] < 105
    assert "105% ↑" in [t.get_text() for t in ax.texts]
    red = matplotlib.colors.to_rgba("#d62728")
    for patch, value in zip(ax.patches, expected, strict=True):
        assert (patch.get_facecolor() == red) == (value < 15)


def test_corridor_utilisation_by_hand(pair):
    """fwd = 0.4*cap half the steps, rev = 0.1*cap the other half -> util 0.25, never at the limit."""
    results, system = pair
    table = plots.corridor_utilisation(results, system)
    np.testing.assert_allclose(table["utilisation"], 0.25)
    np.testing.assert_allclose(table["share_hours_at_limit"], 0.0)
    cap = results["corridor_capacity_mw"].values
    np.testing.assert_allclose(table["net_mwh"], (0.4 - 0.1) * cap * 4380)
    ax = plots.corridor_map(results, system)
    texts = [t.get_text() for t in ax.texts if "GW" in t.get_text()]
    assert len(texts) == 7 and "10.0 GW\n25%" in texts


def test_share_hours_at_limit_by_hand(pair):
    """Of the 2,920 three-hour steps: the first corridor at its limit in the first 730 (a quarter
    of the year), the second flowing back at its limit in 10 steps, the third at 99.8% of its
    capacity throughout (below the 99.9% that counts as the limit), the others at 40%."""
    results, system = pair
    res = results.copy(deep=True)
    cap = res["corridor_capacity_mw"].values
    fwd, rev = res["flow_fwd_mw"].values, res["flow_rev_mw"].values
    assert fwd.shape[1] == 2920
    fwd[0, :730] = cap[0]
    rev[1, :10] = cap[1]
    fwd[2, :] = 0.998 * cap[2]
    table = plots.corridor_utilisation(res, system)
    expected = [0.25, 10 / 2920, 0.0, 0.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(table["share_hours_at_limit"], expected, rtol=1e-12, atol=1e-15)


def test_corridor_utilisation_of_a_plan_stays_within_capacity(planned):
    results, system = planned
    table = plots.corridor_utilisation(results, system)
    assert ((table["utilisation"] >= 0) & (table["utilisation"] <= 1 + 1e-9)).all()
    assert ((table["share_hours_at_limit"] >= 0) & (table["share_hours_at_limit"] <= 1)).all()


def test_lng_inventory_lines_are_the_inventory(pair):
    results, _ = pair
    ax = plots.lng_inventory(results)
    lines = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert [line.get_label() for line in lines] == [
        "son_my (9.5 d cover)",
        "thi_vai (21.0 d cover)",
    ]
    np.testing.assert_allclose(
        lines[1].get_ydata(), results["lng_inventory_mwh_th"].sel(hub="thi_vai") / 1e3
    )


def test_price_duration_curves_are_sorted_over_the_year(planned):
    results, system = planned
    ax = plots.price_duration(results, system, regions=["north", "south"])
    assert len(ax.lines) == 2
    for line in ax.lines:
        y = np.asarray(line.get_ydata())
        assert np.all(np.diff(y) <= 1e-9)
        assert np.asarray(line.get_xdata())[-1] == pytest.approx(8760.0)


def test_adequacy_bars_match_the_summaries():
    base = {"lole_h": 2.0, "eue_mwh": 3000.0, "lole_se_h": 0.5}
    drought = {"lole_h": 9.0, "eue_mwh": 42000.0}
    ax = plots.adequacy({"base": base, "drought": drought}, by="stress")
    assert [p.get_height() for p in ax.patches] == [2.0, 9.0]
    twin = [a for a in ax.figure.axes if a is not ax][0]
    assert [p.get_height() for p in twin.patches] == [3.0, 42.0]
    with pytest.raises(ValueError, match="by must be"):
        plots.adequacy(base, by="month")
