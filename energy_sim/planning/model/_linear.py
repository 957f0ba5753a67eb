"""Vectorised building blocks of the LP: flat-indexed variables and blocks of linear rows.

The model never loops over a Cartesian product. Each family computes, with numpy, the active
tuples it needs (``(gen, time)`` pairs with availability > 0, reservoir months that have steps,
...), creates one flat-indexed :class:`~pyomo.environ.Var` over them, and states its rows as
*terms*: three aligned arrays ``(row, var, coef)`` meaning ``sum_k coef[k]*var[k]`` in row
``row[k]``. :func:`add_rows` groups the terms by row once (one argsort) and creates one
:class:`~pyomo.core.expr.numeric_expr.LinearExpression` per row from plain Python floats (a unit
coefficient passes the variable itself, a 4x cheaper node than a monomial) and its relational
node directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.numeric_expr import MonomialTermExpression as Mono
from pyomo.core.expr.relational_expr import (
    EqualityExpression,
    InequalityExpression,
    RangedExpression,
)


@dataclass
class Terms:
    """Linear terms ``coef[k] * var[k]`` that belong to row ``row[k]`` of some block."""

    row: np.ndarray
    var: np.ndarray
    coef: np.ndarray

    @classmethod
    def of(cls, row: object, var: np.ndarray, coef: object) -> Terms:
        """Broadcast ``row`` and ``coef`` (scalars or arrays) to the length of ``var``."""
        n = len(var)
        r = np.broadcast_to(np.asarray(row, dtype=np.int64), (n,))
        c = np.broadcast_to(np.asarray(coef, dtype=float), (n,))
        return cls(r, var, c)


def add_var(
    block: pyo.Block,
    name: str,
    n: int,
    lb: float | np.ndarray = 0.0,
    ub: float | np.ndarray | None = None,
    doc: str = "",
) -> np.ndarray:
    """Add a flat-indexed variable ``block.<name>[0..n-1]`` and return its data objects.

    ``lb``/``ub`` are scalars or length-``n`` arrays; ``inf``/``nan`` upper bounds mean none.
    """
    lbs = np.broadcast_to(np.asarray(lb, dtype=float), (n,))
    ubs = np.broadcast_to(np.asarray(np.inf if ub is None else ub, dtype=float), (n,))
    lb_list = [None if not np.isfinite(x) else float(x) for x in lbs.tolist()]
    ub_list = [None if not np.isfinite(x) else float(x) for x in ubs.tolist()]
    var = pyo.Var(range(n), bounds=lambda _m, i: (lb_list[i], ub_list[i]), doc=doc)
    block.add_component(name, var)
    out = np.empty(n, dtype=object)
    out[:] = list(var.values())
    return out


def fix(var: np.ndarray, values: np.ndarray) -> None:
    """Fix variable data objects to values (the standard-form compiler moves them to the rhs)."""
    for v, x in zip(var.tolist(), np.asarray(values, float).tolist(), strict=True):
        v.fix(x)


def add_investment_var(
    block: pyo.Block,
    name: str,
    cap0: np.ndarray,
    capmax: np.ndarray,
    fixed: np.ndarray | None,
    doc: str = "",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add an investment variable ``x in [cap0, max(capmax, cap0)]`` (``nan``/``inf``: no limit).

    ``x`` is fixed where it cannot move (``capmax <= cap0``) at ``cap0``, or everywhere at
    ``fixed`` when capacities are given (then its bounds are dropped, so a given capacity
    outside ``[cap0, capmax]`` is taken as it is).

    Returns
    -------
    var, is_fixed, fixed_value
        The variable data objects, where they are fixed, and the values they are fixed at
        (``cap0`` where ``fixed`` is None).
    """
    cap0 = np.asarray(cap0, dtype=float)
    capmax = np.maximum(np.nan_to_num(capmax, nan=np.inf, posinf=np.inf), cap0)
    var = add_var(block, name, len(cap0), lb=cap0, ub=capmax, doc=doc)
    if fixed is None:
        is_fixed, fixed_val = capmax <= cap0, cap0
    else:
        is_fixed, fixed_val = np.ones(len(cap0), dtype=bool), np.asarray(fixed, dtype=float)
        for v in var.tolist():
            v.setlb(None)
            v.setub(None)
    fix(var[is_fixed], fixed_val[is_fixed])
    return var, is_fixed, fixed_val


def add_block_copies(
    block: pyo.Block,
    name: str,
    var: np.ndarray,
    is_fixed: np.ndarray,
    n_blocks: int,
    doc: str = "",
) -> np.ndarray:
    """Split dense investment columns: one copy of ``var[i]`` per block of time steps.

    An investment variable such as ``cap[g]`` appears in every hourly row of its group, a dense
    column that makes interior-point iterations expensive. For every free ``var[i]`` this adds
    copies ``<name>_block[i,b]`` for blocks ``b = 1..n_blocks-1`` tied by the chain::

        x[i,1] - var[i] = 0,    x[i,b] - x[i,b-1] = 0   (b >= 2)

    rows ``<name>_link``, so that every copy equals ``var[i]`` and the optimum is unchanged; the
    hourly rows of block ``b`` use ``x[i,b]`` (block 0 uses ``var[i]`` itself). Copies carry the
    bounds of ``var[i]`` (implied by the chain). Fixed variables are not copied.

    Returns
    -------
    numpy.ndarray
        ``(len(var), n_blocks)`` object array: the variable that steps of block ``b`` use for
        ``var[i]`` (``var[i]`` itself for block 0 and for fixed ``i``).
    """
    out = np.repeat(np.asarray(var, dtype=object)[:, None], max(n_blocks, 1), axis=1)
    free = np.flatnonzero(~np.asarray(is_fixed, dtype=bool))
    if n_blocks <= 1 or len(free) == 0:
        return out
    nb1 = n_blocks - 1
    src = var[free].tolist()
    lb = np.repeat([np.nan if v.lb is None else v.lb for v in src], nb1)
    ub = np.repeat([np.inf if v.ub is None else v.ub for v in src], nb1)
    copies = add_var(block, f"{name}_block", len(free) * nb1, lb=np.nan_to_num(lb, nan=-np.inf),
                     ub=ub, doc=doc or f"block copies of {name}")  # fmt: skip
    out[free, 1:] = copies.reshape(len(free), nb1)
    rows = np.arange(len(free) * nb1)
    add_rows(
        block,
        f"{name}_link",
        [Terms.of(rows, out[free, 1:].ravel(), 1.0), Terms.of(rows, out[free, :-1].ravel(), -1.0)],
        len(rows),
        lb=0.0,
        ub=0.0,
        doc=f"{name}_block[i,b] - {name}_block[i,b-1] = 0 ({name}_block[i,0] = {name}[i])",
    )
    return out


def add_rows(
    block: pyo.Block,
    name: str,
    terms: Sequence[Terms],
    n: int,
    lb: float | np.ndarray | None = None,
    ub: float | np.ndarray | None = None,
    doc: str = "",
) -> tuple[pyo.Constraint | None, np.ndarray]:
    """Add the rows ``lb[i] <= sum_{k: row[k]=i} coef[k]*var[k] <= ub[i]`` for ``i`` in ``0..n-1``.

    Only rows that have at least one term are created (``lb``/``ub`` of ``None`` or ``nan``/
    ``inf`` mean no bound). Returns the constraint and the sorted array of created row ids; the
    constraint is indexed by those ids.
    """
    if not terms:
        return None, np.zeros(0, dtype=np.int64)
    row = np.concatenate([t.row for t in terms])
    var = np.concatenate([t.var for t in terms])
    coef = np.concatenate([t.coef for t in terms])
    order = np.argsort(row, kind="stable")
    row = row[order]
    ids, start = np.unique(row, return_index=True)
    stop = np.append(start[1:], len(row)).tolist()
    start = start.tolist()
    var_l = var[order].tolist()
    coef_l = coef[order].tolist()

    def bound(b: float | np.ndarray | None) -> list[float | None]:
        if b is None:
            return [None] * len(ids)
        arr = np.broadcast_to(np.asarray(b, dtype=float), (n,))[ids]
        return [float(x) if np.isfinite(x) else None for x in arr.tolist()]

    lbl, ubl = bound(lb), bound(ub)
    id_l = ids.tolist()
    data = {}
    for j, i in enumerate(id_l):
        a, b = start[j], stop[j]
        body = LinearExpression(
            [v if c == 1.0 else Mono((c, v)) for c, v in zip(coef_l[a:b], var_l[a:b], strict=True)]
        )
        lo, up = lbl[j], ubl[j]
        # relational nodes made directly (what Pyomo would build from the tuple, less checking)
        if lo is None:
            data[i] = InequalityExpression((body, up), False)
        elif up is None:
            data[i] = InequalityExpression((lo, body), False)
        elif lo == up:
            data[i] = EqualityExpression((body, up))
        else:
            data[i] = RangedExpression((lo, body, up), (False, False))
    con = pyo.Constraint(id_l, rule=lambda _m, i: data[i], doc=doc)
    block.add_component(name, con)
    return con, ids
