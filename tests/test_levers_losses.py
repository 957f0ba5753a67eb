"""Lever 2 of issue 14: transmission and distribution losses and their reduction (MODEL.md
constraint 10). Demand at the busbar = final/(1 - rate); the data's demand (production +
imports) carries the base rate (6.24%, 2022), divided out first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factory import gen, tiny_system

from energy_sim.errors import InputError
from energy_sim.inputs.scenario import load_scenario
from energy_sim.inputs.scenario_sections import GridLosses
from energy_sim.operation import dispatch
from energy_sim.planning.kpis import kpis
from energy_sim.planning.solve import plan

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "pdp8_2030.yaml"


def _scenario(tmp_path, body: str):
    f = tmp_path / "s.yaml"
    f.write_text(f"extends: {BASE}\ngrid_losses:\n{body}\n")
    return load_scenario(f)


def test_rates_path_region_and_base():
    """Path 6.24% (2025) -> 5.24% (2035): 5.74% in 2030, flat beyond; a region's own rate
    wins; no path and no rate: the base."""
    g = GridLosses(path={2025: 0.0624, 2035: 0.0524})
    assert g.rates(["a", "b"], 2030, 0.0624) == (0.0624, pytest.approx([0.0574, 0.0574]))
    assert g.rates(["a"], 2050, 0.0624)[1] == pytest.approx([0.0524])
    g = GridLosses(path={2025: 0.0624, 2035: 0.0524}, rate={"b": 0.04})
    assert g.rates(["a", "b"], 2030, 0.0624)[1] == pytest.approx([0.0574, 0.04])
    assert GridLosses().rates(["a"], 2030, 0.0624) == (0.0624, [0.0624])
    assert GridLosses(base_rate=0.0).rates(["a"], 2030, 0.0624) == (0.0, [0.0])


@pytest.mark.parametrize(
    ("body", "words", "field"),
    [
        ("  rate: 0.6", "loss rate out of range", "grid_losses.rate"),
        ("  rate: {atlantis: 0.05}", "unknown region", "grid_losses.rate.atlantis"),
        ("  path: {2030: -0.1}", "loss rate out of range", "grid_losses.path"),
        ("  rate: 'low'", "not a loss rate", "grid_losses.rate"),
        ("  base_rate: 0.7", "", "grid_losses.base_rate"),
    ],
)
def test_bad_losses_refused(tmp_path, body, words, field):
    with pytest.raises(InputError) as err:
        _scenario(tmp_path, body)
    text = str(err.value)
    assert words in text and field in text and "s.yaml" in text


def test_busbar_demand_of_the_2030_system(tmp_path):
    """2030 low case: 560.4 TWh of production + imports at the 2022 rate 6.24%. At a rate of
    5% the busbar demand is 560.4*(1 - 0.0624)/(1 - 0.05) = 553.085 TWh and the coincident
    peak 89,655*0.93760/0.95 = 88,484.8 MW; by default (the base rate) nothing moves."""
    from energy_sim.inputs.system import build_system

    def energy(sy):
        return float((sy["demand_mw"] * sy["weight"] * sy["dt_h"]).sum()) / 1e6

    sy0 = build_system(load_scenario(BASE), resolution="12d")
    assert energy(sy0) == pytest.approx(560.4, rel=1e-9)
    np.testing.assert_allclose(sy0["td_loss_rate"].values, 0.0624)
    sy = build_system(_scenario(tmp_path, "  rate: 0.05"), resolution="12d")
    assert energy(sy) == pytest.approx(553.0853, rel=1e-6)
    assert float(sy["peak_demand_mw"]) == pytest.approx(89_655 * 0.9376 / 0.95, rel=1e-6)


def _lossy(rate: float):
    """One region, final demand 80 MW served through T&D losses of ``rate`` (base 0): busbar
    demand 80/(1 - rate) MW; coal 200 MW at 20 USD/MWh, 8760 steps of 1 h as one."""
    s = tiny_system(gens=[gen("north", "coal", cap0=200, mc=20)], demand=80.0 / (1 - rate))
    s["td_loss_rate"] = ("region", [rate])
    return s


def test_loss_kpis_lp_and_core():
    """Rate 20%: busbar 100 MW, 876,000 MWh/yr, of which 20% = 175,200 MWh lost in the
    regions; cost 100*8760*20 = 17,520,000 USD in the LP and the core."""
    s = _lossy(0.2)
    res = plan(s)
    k = kpis(res)
    assert k["annual_demand_mwh"] == pytest.approx(876_000)
    assert k["td_loss_rate"] == pytest.approx(0.2)
    assert k["td_loss_mwh"] == pytest.approx(175_200)
    assert k["grid_loss_rate"] == pytest.approx(0.2)
    assert res.attrs["objective_usd"] == pytest.approx(17_520_000)
    r = dispatch(s)
    assert float(r["cost_usd"].sum()) == pytest.approx(17_520_000)


def test_levers_survive_the_provenance_round_trip(tmp_path):
    """Scenario.to_yaml (written next to every result) reads back to the same levers: the
    path's years come back as whole numbers."""
    scn = load_scenario(
        BASE,
        overrides={
            "grid_losses.path": {2025: 0.0624, 2035: 0.05},
            "reserves.coal": {"stock_days": {"north": 15}},
            "reserves.lng_refill_days": {"hai_phong": 3},
        },
    )
    f = tmp_path / "again.yaml"
    f.write_text(scn.to_yaml())
    again = load_scenario(f)
    assert again.grid_losses == scn.grid_losses and again.reserves == scn.reserves
    assert again.grid_losses.path == {2025: 0.0624, 2035: 0.05}
