"""Regional merit-order stacks and how a regional dispatch level maps back to generators.

Each region r has a stack of blocks sorted by a decision cost ``key``: the discharge of its
storage (key -2, scheduled beforehand), its reservoir hydro (key -1, scheduled by water-filling),
every other generator group at its marginal cost ``mc_g``, the LNG groups a second time at a
scarcity key just above the dearest generator (that copy carries the group's availability inside
LNG disruption windows, the ordinary one outside), and last, shedding at VOLL with room for the
whole demand. With ``x_r`` the region's dispatch level and ``Q_{r,k}`` the cumulative size,

    y_{r,k} = theta_{r,j} * A_{r,k},   theta_{r,j} = clip((x_r - Q_{r,j-}) / (Q_{r,j+} - Q_{r,j-}), 0, 1),
    shed_r = max(0, x_r - Q_{r,K-1}),

with ``[Q_{r,j-}, Q_{r,j+}]`` the stack's range of the run ``j`` of equal keys that holds
block ``k``: the merit-order rule (cheaper blocks fill first), and blocks of equal cost share
the run in proportion to their availability (a solar farm and rooftop panels at 0 USD/MWh are
curtailed alike; in the System's order the later group took all the curtailment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from energy_sim.operation.inputs import Static


@dataclass(frozen=True)
class Stack:
    """Block layout shared by all cells.

    Columns of the block-availability matrix: ``0..G-1`` generator groups (ordinary), ``G..G+G_l-1``
    the scarcity copies of the LNG groups ``lng_gens``, then one storage-discharge column per
    region, then a zero column used for padding. ``table[r, k]`` is the column of region r's k-th
    block; ``key[r, k]`` its decision cost with one more entry for shedding.
    """

    n_gen: int
    lng_gens: np.ndarray
    table: np.ndarray  # (R, K) column index
    key: np.ndarray  # (R, K+1)
    n_col: int
    solver_pos: np.ndarray  # (R, K_s) positions in the K+1 cumulative sizes, one per key step
    solver_key: np.ndarray  # (R, K_s)

    @property
    def zero_col(self) -> int:
        return self.n_col - 1

    @property
    def sdis_col0(self) -> int:
        return self.n_gen + len(self.lng_gens)


def build_stack(st: Static) -> Stack:
    """Sort every region's blocks by decision cost (stable: ties keep the System's order;
    :func:`unstack` shares a run of equal keys in proportion)."""
    n_g, n_r = len(st.mc), len(st.regions)
    lng = np.flatnonzero(st.hub_of >= 0)
    finite = st.mc[np.isfinite(st.mc)]
    scarcity = (finite.max(initial=0.0) if finite.size else 0.0) + 1.0
    scarcity = min(scarcity, 0.5 * (scarcity + st.voll)) if scarcity < st.voll else scarcity
    key_g = np.where(st.is_res, -1.0, st.mc)
    cols_r: list[list[tuple[float, int]]] = [[] for _ in range(n_r)]
    sdis0 = n_g + len(lng)
    for r in range(n_r):
        cols_r[r].append((-2.0, sdis0 + r))
    for g in range(n_g):
        cols_r[st.gen_region[g]].append((float(key_g[g]), g))
    for j, g in enumerate(lng):
        cols_r[st.gen_region[g]].append((float(scarcity), n_g + j))
    n_col = sdis0 + n_r + 1
    n_k = max(len(c) for c in cols_r) if n_r else 0
    table = np.full((n_r, n_k), n_col - 1, np.int64)
    key = np.zeros((n_r, n_k + 1))
    for r, c in enumerate(cols_r):
        c = sorted(c, key=lambda kv: kv[0])
        for k, (kv, col) in enumerate(c):
            table[r, k] = col
            key[r, k] = kv
        key[r, len(c) : n_k] = c[-1][0] if c else 0.0
        key[r, n_k] = st.voll
    # the network solver only needs the stack where its cost changes: merge equal keys
    runs = [np.r_[np.flatnonzero(np.diff(key[r]) != 0), n_k] for r in range(n_r)]
    n_ks = max((len(x) for x in runs), default=1)
    pos = np.zeros((n_r, n_ks), np.int64)
    skey = np.zeros((n_r, n_ks))
    for r, x in enumerate(runs):
        pos[r, : len(x)] = x
        pos[r, len(x) :] = x[-1]
        skey[r] = key[r, pos[r]]
    return Stack(
        n_gen=n_g, lng_gens=lng, table=table, key=key, n_col=n_col, solver_pos=pos, solver_key=skey
    )


def cumulative(stack: Stack, blocks: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Cumulative stack sizes ``Q`` (n, R, K+1) from block availabilities (n, n_col) and demand
    (n, R); the last block is shedding, sized to the demand."""
    sizes = blocks[:, stack.table]  # (n, R, K)
    cum = np.cumsum(sizes, axis=2)
    shed_top = cum[:, :, -1] + demand
    return np.concatenate([cum, shed_top[:, :, None]], axis=2)


def unstack(stack: Stack, blocks: np.ndarray, cum: np.ndarray, x: np.ndarray):
    """Block outputs (n, n_col) and shedding (n, R) from the dispatch levels ``x`` (n, R): a
    run of equal keys filled in proportion to its blocks' sizes (module docstring)."""
    n = len(x)
    n_r, n_k = stack.table.shape
    key = stack.key[:, :n_k]
    pos = np.broadcast_to(np.arange(n_k), (n_r, n_k))
    starts = np.ones((n_r, n_k), bool)
    starts[:, 1:] = key[:, 1:] != key[:, :-1]
    ends = np.ones((n_r, n_k), bool)
    ends[:, :-1] = key[:, :-1] != key[:, 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, pos, n_k)[:, ::-1], axis=1)[:, ::-1]
    cumz = np.concatenate([np.zeros((n, n_r, 1)), cum[:, :, :n_k]], axis=2)  # size below k
    below = np.take_along_axis(cumz, np.broadcast_to(first, (n, n_r, n_k)), axis=2)
    top = np.take_along_axis(cumz, np.broadcast_to(last + 1, (n, n_r, n_k)), axis=2)
    sizes = blocks[:, stack.table]
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(top > below, (x[:, :, None] - below) / (top - below), 0.0)
    y = np.clip(theta, 0.0, 1.0) * sizes
    out = np.zeros((n, stack.n_col))
    # every column sits in one block, except the zero padding column whose outputs are all 0
    out[:, stack.table.ravel()] = y.reshape(n, -1)
    shed = np.clip(x - cum[:, :, -2], 0.0, None)
    return out, shed
