"""Investment periods (MODEL.md, Investment periods): one block per period, vintages, the
discounted objective.

Each period ``p`` is the single-year model of its own System (its year's data, policies and
representative days), built by :func:`energy_sim.planning.model.build_model` into a block
``model.period_<p>``. The investment variable of an asset ``k`` in that block (``cap``,
``pcap``, ``fcap``, ``tank``) is its *standing* capacity in ``p``; it is tied to the vintages
``build[k, v]`` (built in period ``v``) by one row per asset and period::

    cap[k, p] - sum_{v <= p, y_v + life_k > y_p} build[k, v] = cap0[k, p]

where ``cap0[k, p]`` is the existing fleet still standing in ``p`` (the System's ``cap0_mw``).
An asset missing from period ``p``'s System (nothing of it stands or may stand) gets the row
``sum_{v alive in p} build[k, v] = 0``. Vintages built earlier and fixed (myopic foresight)
enter the rows as constants.

The objective (MODEL.md)::

    sum_p D_p * ( operating_p + fom_p + sum_k sum_{v alive in p} ann_k(v) * build[k, v] )

with ``D_p = sum_{y=y_p}^{y_p+n_p-1} (1+i)^-(y-y0)`` the discounted years of period ``p``: a
vintage pays the annuity of its own period's capex, and only in the periods it stands inside
the horizon. The blocks' own capex terms (``ann*(cap - cap0)``) are left out; every other cost
component of a block (FOM, fuel, unserved energy, reserve shortfall, demand response) is
weighted by ``D_p``. Existing capacity is sunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import xarray as xr
from pyomo.core.expr.numeric_expr import LinearExpression

from energy_sim.inputs.contract import LNG_SCALE
from energy_sim.planning.model import SPLIT_STEPS, build_model
from energy_sim.planning.model._linear import Terms, add_rows, add_var


@dataclass(frozen=True)
class Asset:
    """An investment family: its block variable, element dimension and System variables.

    ``scale`` converts the variable's unit to the reported one (the tank variable is in
    ``LNG_SCALE`` MWh_th).
    """

    var: str
    dim: str
    cap0: str
    life: str
    capex: str
    scale: float = 1.0


ASSETS: tuple[Asset, ...] = (
    Asset("cap", "gen", "cap0_mw", "lifetime_yr", "generation_capex"),
    Asset("pcap", "storage", "pcap0_mw", "storage_lifetime_yr", "storage_capex"),
    Asset("fcap", "corridor", "fcap0_mw", "corridor_lifetime_yr", "corridor_capex"),
    Asset("tank", "hub", "tank0_mwh_th", "tank_lifetime_yr", "tank_capex", LNG_SCALE),
)
CAPEX = frozenset(a.capex for a in ASSETS)


@dataclass
class Vintage:
    """Capacity of one asset family built in one period.

    Attributes
    ----------
    ids
        Element ids (``gen``/``storage``/``corridor``/``hub`` coordinate values).
    life
        Lifetime of each element's vintage (years).
    ann
        Annualised capex, USD per variable unit per year, at the building period's costs.
    var
        The Pyomo variables (perfect foresight, or the period being solved), or None.
    value
        The built amounts in variable units when fixed (an earlier period under myopic
        foresight), else None.
    """

    asset: Asset
    year: int
    ids: np.ndarray
    life: np.ndarray
    ann: np.ndarray
    var: np.ndarray | None = None
    value: np.ndarray | None = None

    def alive(self, year: int) -> np.ndarray:
        """Whether each element still stands in ``year``: ``y_v + life > y``."""
        return (self.year <= year) & (self.year + self.life > year)


@dataclass
class PathwayModel:
    """The composed LP: the model, the block of each period and the vintages."""

    model: pyo.ConcreteModel
    blocks: dict[int, pyo.Block]
    weights: dict[int, float]
    vintages: list[Vintage] = field(default_factory=list)


def discounted_years(
    periods: list[int], base_year: int, rate: float, last_years: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Years each period stands for and its discounted years.

    ``n_p = y_{p+1} - y_p`` (the last period: ``last_years``, else the gap before it, else 5);
    ``D_p = sum_{y=y_p}^{y_p+n_p-1} (1+i)^-(y-y0)``.

    Returns
    -------
    n, D
        Arrays over ``periods``.
    """
    y = np.asarray(periods, dtype=int)
    gaps = np.diff(y)
    last = last_years if last_years is not None else (int(gaps[-1]) if len(gaps) else 5)
    n = np.append(gaps, last).astype(int)
    D = np.array(
        [
            sum((1.0 + rate) ** -(yr - base_year) for yr in range(a, a + k))
            for a, k in zip(y, n, strict=True)
        ]
    )
    return n, D


def _capex_terms(d, asset: Asset) -> np.ndarray:
    """The annuity per variable unit of ``asset`` in a block (its registered capex term)."""
    terms = d.cost.get(asset.capex, [])
    var = d.vars[asset.var]
    if len(terms) != 1 or terms[0].var is not var:
        raise RuntimeError(f"{asset.capex}: expected one capex term on {asset.var}")
    return np.asarray(terms[0].coef, dtype=float)


def new_vintages(
    block: pyo.Block, year: int, frozen: dict[str, np.ndarray] | None = None
) -> list[Vintage]:
    """One free vintage per asset family of a period's block: ``build_<var> >= 0``.

    ``frozen[var]`` marks elements that may not be built in this period (``build = 0``): the
    scenario's ``investments`` of that period. A limit on *standing* capacity is the block's
    own bound ``cap <= capmax``.
    """
    d = block.es
    out = []
    for asset in ASSETS:
        if asset.var not in d.vars:  # a family without elements in this System
            continue
        ids = np.asarray(d.system[asset.dim].values).astype(str)
        ub = np.where(np.asarray((frozen or {}).get(asset.var, False)), 0.0, np.inf)
        ub = np.broadcast_to(ub, (len(ids),))
        var = add_var(block, f"build_{asset.var}", len(ids), lb=0.0, ub=ub, doc="built")
        out.append(Vintage(asset, int(year), ids, d.arr(asset.life), _capex_terms(d, asset), var))
    return out


def _link(block: pyo.Block, year: int, asset: Asset, vintages: list[Vintage]) -> None:
    """``x[k] - sum_{alive free v} build[k, v] = cap0[k] + sum_{alive fixed v} build[k, v]``.

    An element built in an earlier period but missing from this period's System (its build
    limit there is 0) gets ``sum_{alive free v} build[k, v] = 0``.

    Raises
    ------
    ValueError
        When a fixed earlier vintage of such an element still stands.
    """
    d = block.es
    if asset.var not in d.vars:
        return
    ids = np.asarray(d.system[asset.dim].values).astype(str)
    pos = {k: i for i, k in enumerate(ids)}
    extra: dict[str, int] = {}
    terms = [Terms.of(np.arange(len(ids)), d.vars[asset.var], 1.0)]
    rhs = d.arr(asset.cap0) / asset.scale
    for v in vintages:
        if v.asset is not asset:
            continue
        live = np.flatnonzero(v.alive(year))
        rows = np.array(
            [pos[k] if k in pos else len(ids) + extra.setdefault(k, len(extra))
             for k in v.ids[live]], dtype=np.int64,
        )  # fmt: skip
        if v.var is not None:
            terms.append(Terms.of(rows, v.var[live], -1.0))
            continue
        inside = rows < len(ids)
        np.add.at(rhs, rows[inside], v.value[live][inside])
        gone = v.ids[live][~inside][v.value[live][~inside] > 0]
        if len(gone):
            raise ValueError(
                f"{asset.dim} {gone[0]} built in {v.year} still stands in {year}, "
                f"but {year} has no such {asset.dim} (its build limit is 0)"
            )
    b = np.concatenate([rhs, np.zeros(len(extra))])
    add_rows(
        block,
        f"vintage_{asset.var}",
        terms,
        len(b),
        lb=b,
        ub=b,
        doc=f"{asset.var} standing = existing + surviving vintages",
    )


def build_pathway_model(
    systems: dict[int, xr.Dataset],
    weights: dict[int, float],
    *,
    fixed: list[Vintage] | None = None,
    frozen: dict[int, dict[str, np.ndarray]] | None = None,
    split_steps: int | None = SPLIT_STEPS,
) -> PathwayModel:
    """Compose the blocks of the given periods, their vintages, links and objective.

    Parameters
    ----------
    systems
        The System of each period to optimise (all periods for perfect foresight, one for a
        myopic step).
    weights
        ``D_p`` of each period in ``systems``.
    fixed
        Vintages of earlier periods with their built amounts (myopic foresight): constants.
    frozen
        Per period, ``{var: bool array}`` of elements that may not be built then.
    split_steps
        Steps per block of the split investment columns (as :func:`build_model`).
    """
    m = pyo.ConcreteModel(name="pathway")
    blocks: dict[int, pyo.Block] = {}
    vintages: list[Vintage] = list(fixed or [])
    for year in sorted(systems):
        blk = pyo.Block(concrete=True)
        m.add_component(f"period_{year}", blk)
        build_model(systems[year], split_steps=split_steps, into=blk)
        blocks[year] = blk
        vintages.extend(new_vintages(blk, year, (frozen or {}).get(year)))
    for year, blk in blocks.items():
        for asset in ASSETS:
            _link(blk, year, asset, vintages)
    pm = PathwayModel(m, blocks, dict(weights), vintages)
    _objective(pm)
    return pm


def _objective(pm: PathwayModel) -> None:
    """``m.total_cost``: the discounted sum of every period's cost with vintage capex."""
    var, coef = [], []
    const = 0.0
    for year, blk in pm.blocks.items():
        w = pm.weights[year]
        d = blk.es
        for comp, terms in d.cost.items():
            if comp in CAPEX:
                continue
            for t in terms:
                var.append(t.var)
                coef.append(w * np.asarray(t.coef, dtype=float))
            const += w * d.cost_constant.get(comp, 0.0)
        for v in pm.vintages:
            live = v.alive(year)
            if v.var is not None:
                var.append(v.var[live])
                coef.append(w * v.ann[live])
            else:
                const += w * float(v.ann[live] @ v.value[live])
    x = np.concatenate(var)
    c = np.concatenate(coef)
    keep = c != 0
    expr = LinearExpression(
        constant=const, linear_coefs=c[keep].tolist(), linear_vars=x[keep].tolist()
    )
    pm.model.total_cost = pyo.Objective(expr=expr, sense=pyo.minimize)


def vintage_capex(vintages: list[Vintage], year: int, built: dict[int, np.ndarray]) -> dict:
    """Annual capex charged in ``year`` per capex component, USD/yr.

    ``sum_{v alive in year} ann_k(v) * build[k, v]``; ``built[id(v)]`` are the solved amounts.
    """
    out = {c: 0.0 for c in CAPEX}
    for v in vintages:
        live = v.alive(year)
        out[v.asset.capex] += float(v.ann[live] @ built[id(v)][live])
    return out


__all__ = [
    "ASSETS",
    "CAPEX",
    "Asset",
    "PathwayModel",
    "Vintage",
    "build_pathway_model",
    "discounted_years",
    "new_vintages",
    "vintage_capex",
]
