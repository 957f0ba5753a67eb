"""Split investment columns (``_linear.add_block_copies``): same optimum, no dense column.

The block copies ``cap_block``/``pcap_block``/``fcap_block``/``tank_block`` are chained equal to
the investment variable, so splitting must change neither the objective nor the capacities;
the hand-computed family tests are re-run with the most extreme split (one step per block).
"""

from __future__ import annotations

import numpy as np
import pytest
import test_model_operation as op
import test_model_planning as pl
from factory import synthetic_system

from energy_sim.planning import solve
from energy_sim.planning.model import build_model
from energy_sim.planning.solve import solve_model


def _count_terms(con, var_ids: set[int]) -> int:
    """Largest number of rows of ``con`` in which one variable of ``var_ids`` appears."""
    counts: dict[int, int] = {}
    for c in con.values():
        for v in c.body.linear_vars if hasattr(c.body, "linear_vars") else c.body.args:
            v = v.args[1] if hasattr(v, "args") and len(v.args) == 2 else v
            if id(v) in var_ids:
                counts[id(v)] = counts.get(id(v), 0) + 1
    return max(counts.values(), default=0)


@pytest.mark.parametrize("split", [1, 12, 30])
def test_split_keeps_the_optimum_and_caps_the_column_length(split):
    """Synthetic 2-region system, 72 hourly steps, every family present (LNG, storage,
    corridors, reservoir hydro): the split LP has the unsplit objective and capacities, and no
    hourly row block uses one capacity variable more than ``split`` times."""
    sysd = synthetic_system(n_regions=2, gens_per_region=12, steps=72, seed=3)
    base = build_model(sysd, split_steps=None)
    ref = solve_model(base)
    m = build_model(sysd, split_steps=split)
    sol = solve_model(m)
    assert ref.status == sol.status == "optimal"
    assert sol.objective == pytest.approx(ref.objective, rel=1e-6)
    d, d0 = m.es, base.es
    n_blocks = -(-72 // split)
    assert d.n_blocks == n_blocks
    for name in ("cap", "pcap", "fcap"):
        np.testing.assert_allclose(
            sol.values(d.vars[name]), ref.values(d0.vars[name]), rtol=1e-5, atol=1e-3
        )
        assert d.vars[f"{name}_at"].shape[1] == n_blocks
        # every block copy equals its investment variable at the optimum
        at = d.vars[f"{name}_at"]
        vals = np.array([sol.values(at[:, b]) for b in range(n_blocks)])
        np.testing.assert_allclose(vals, vals[:1].repeat(n_blocks, axis=0), atol=1e-4)
    ids = {id(v) for v in np.concatenate([d.vars["cap"], *d.vars["cap_at"][:, 1:].T])}
    con, _ = d.constraints["availability"]
    assert _count_terms(con, ids) <= split
    assert all(hasattr(m, f"{k}_link") for k in ("cap", "pcap", "fcap", "tank"))


def test_no_copies_without_split_or_when_capacities_are_fixed():
    sysd = synthetic_system(n_regions=2, gens_per_region=4, steps=24, seed=1)
    assert not hasattr(build_model(sysd), "cap_block")
    res = solve.plan(sysd)
    m = build_model(sysd, fixed_capacities=res, split_steps=4)
    assert not any(hasattr(m, f"{k}_block") for k in ("cap", "pcap", "fcap", "tank"))


HAND_COMPUTED = [
    op.test_merit_order_and_availability,
    op.test_hydro_monthly_budget,
    op.test_storage_investment,
    op.test_corridor_losses_and_expansion,
    op.test_lng_inventory_reserve_disruption_and_tank,
    pl.test_investment_screening_curve,
    pl.test_regional_reserve_margin_with_import_credit,
    pl.test_build_ranges,
]


@pytest.mark.parametrize("family_test", HAND_COMPUTED, ids=lambda f: f.__name__)
def test_hand_computed_optima_with_one_step_per_block(family_test, monkeypatch):
    monkeypatch.setitem(solve.SPLIT_STEPS, "ipm", 1)
    family_test()
