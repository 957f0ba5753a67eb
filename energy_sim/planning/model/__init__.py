"""The capacity-expansion LP (MODEL.md, Constraints and Objective) as a Pyomo model.

:func:`build_model` reads only the System dataset and calls one ``add_*`` per constraint family,
in order. Families register their contributions, as vectorised :class:`~._linear.Terms`, into
the shared registries of :class:`LPData` (Switch style): injections into the regional balance,
firm capacity into the reserve margin, cost terms into the objective, LNG burn into the hubs.
The balance, reserve and objective families then state one block of rows each from those
registries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from energy_sim.inputs.contract import COST_COMPONENTS
from energy_sim.inputs.system_helpers import prev_step
from energy_sim.planning.model._linear import Terms


@dataclass
class LPData:
    """Numpy view of a System plus the registries the families fill.

    Attributes
    ----------
    injection
        Terms of the regional balance, row ``r*T + t``.
    firm_system, firm_region
        Terms of the system reserve margin (row 0) and the regional one (row ``r``).
    lng_burn
        Fuel drawn from hub ``n`` at step ``t`` (MW_th), row ``n*T + t``.
    cost
        Cost component -> terms (row 0); ``cost_constant`` the constant parts.
    vars, index
        Variable data arrays by name and their index arrays (e.g. ``index['p'] = (g, t)``).
    block_of_t, n_blocks
        Block of each step for the split investment columns (``_linear.add_block_copies``);
        ``vars['cap_at']`` etc. are ``(n, n_blocks)`` arrays of the copy each block uses.
    """

    system: xr.Dataset
    fixed: xr.Dataset | None
    T: int
    R: int
    dt: np.ndarray
    w: np.ndarray
    wdt: np.ndarray
    prev: np.ndarray
    region_index: dict[str, int]
    block_of_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_blocks: int = 1
    injection: list[Terms] = field(default_factory=list)
    firm_system: list[Terms] = field(default_factory=list)
    firm_region: list[Terms] = field(default_factory=list)
    lng_burn: list[Terms] = field(default_factory=list)
    cost: dict[str, list[Terms]] = field(default_factory=dict)
    cost_constant: dict[str, float] = field(default_factory=dict)
    vars: dict[str, np.ndarray] = field(default_factory=dict)
    index: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    constraints: dict[str, tuple[pyo.Constraint, np.ndarray]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def arr(self, name: str) -> np.ndarray:
        """System variable ``name`` as a float numpy array."""
        return np.asarray(self.system[name].values, dtype=float)

    def regions_of(self, coord: str) -> np.ndarray:
        """Region index of each element of a ``*_region``/``corridor_*`` coordinate."""
        return np.array(
            [self.region_index[str(r)] for r in self.system[coord].values], dtype=np.int64
        )

    def add_cost(self, component: str, terms: Terms, constant: float = 0.0) -> None:
        """Register objective terms under a cost component."""
        self.cost.setdefault(component, []).append(terms)
        self.cost_constant[component] = self.cost_constant.get(component, 0.0) + constant

    def fixed_values(self, name: str, dim: str) -> np.ndarray | None:
        """Capacities given by ``fixed_capacities`` (a Results dataset), aligned to the System."""
        if self.fixed is None:
            return None
        if name not in self.fixed:
            raise KeyError(f"fixed_capacities has no variable {name!r}")
        da = self.fixed[name]
        if "sample" in da.dims:
            da = da.isel(sample=0)
        return np.asarray(da.reindex({dim: self.system[dim].values}).values, dtype=float)


#: Default steps per block of the split investment columns; None: no split (IPX's basis
#: preconditioner does not gain from it, HiPO's Cholesky factor does: docs/model.md).
SPLIT_STEPS: int | None = None


def lp_data(
    system: xr.Dataset, fixed: xr.Dataset | None = None, split_steps: int | None = SPLIT_STEPS
) -> LPData:
    """Collect the arrays every family needs from a System.

    Steps are grouped into ``ceil(T/split_steps)`` blocks of consecutive steps (one block when
    ``split_steps`` is None or ``>= T``).
    """
    dt = np.asarray(system["dt_h"].values, dtype=float)
    T = len(dt)
    n_blocks = 1 if not split_steps or split_steps >= T else -(-T // int(split_steps))
    block_of_t = np.arange(T, dtype=np.int64) * n_blocks // max(T, 1)
    w = np.asarray(system["weight"].values, dtype=float)
    regions = [str(r) for r in system["region"].values]
    return LPData(
        system=system,
        fixed=fixed,
        T=T,
        R=len(regions),
        dt=dt,
        w=w,
        wdt=w * dt,
        prev=prev_step(system["block"].values),
        region_index={r: i for i, r in enumerate(regions)},
        block_of_t=block_of_t,
        n_blocks=n_blocks,
    )


def build_model(
    system: xr.Dataset,
    *,
    fixed_capacities: xr.Dataset | None = None,
    split_steps: int | None = SPLIT_STEPS,
    into: pyo.Block | None = None,
) -> pyo.ConcreteModel:
    """Build the planning LP of a System.

    Parameters
    ----------
    system
        The System dataset (docs/architecture.md).
    fixed_capacities
        A Results dataset; when given, ``cap``, ``pcap``, ``fcap`` and ``tank`` are fixed to its
        ``capacity_mw``, ``storage_power_mw``, ``corridor_capacity_mw`` and ``tank_mwh_th``
        (a pure dispatch LP).
    split_steps
        Steps per block of the split investment columns (``_linear.add_block_copies``); None
        states every hourly row on the investment variable itself. Same optimum either way.
    into
        Build the families into this block (one period of a pathway, :mod:`.pathway`) instead
        of a new model, without an objective: the caller states it from ``block.es.cost``.

    Returns
    -------
    pyomo.environ.ConcreteModel
        The model (or ``into``); ``.es`` is the :class:`LPData` with the variable arrays and
        registries.
    """
    from energy_sim.planning.model import (
        balance,
        capacity,
        coal,
        demand_response,
        generation,
        hydro,
        lng,
        network,
        objective,
        policy,
        reserve,
        storage,
    )

    m = (
        into
        if into is not None
        else pyo.ConcreteModel(name=str(system.attrs.get("scenario", "energy_sim")))
    )
    d = lp_data(system, fixed_capacities, split_steps)
    m.es = d
    capacity.add_capacity(m, d)
    generation.add_generation(m, d)
    hydro.add_hydro(m, d)
    storage.add_storage(m, d)
    network.add_network(m, d)
    lng.add_lng(m, d)
    coal.add_coal(m, d)
    demand_response.add_demand_response(m, d)
    balance.add_balance(m, d)
    reserve.add_reserve(m, d)
    policy.add_policy(m, d)
    if into is None:
        objective.add_objective(m, d)
    return m


__all__ = ["COST_COMPONENTS", "SPLIT_STEPS", "LPData", "build_model", "lp_data"]
