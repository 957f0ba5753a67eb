"""Economic dispatch over the meshed regional network, vectorised over cells (sample x hour).

Each cell is the one-hour problem

    min  sum_r C_r(x_r)
    s.t. x_r + sum_{l: b(l)=r} (eta_l*fwd_l - rev_l) + sum_{l: a(l)=r} (eta_l*rev_l - fwd_l) = D_r
         0 <= fwd_l, rev_l <= F_l,   0 <= x_r <= X_r

where ``x_r`` is how far region r is dispatched along its own merit-order stack (a piecewise
linear convex cost ``C_r`` whose last block is load shedding at VOLL, so ``X_r`` covers the
demand) and only one of ``fwd``/``rev`` is non-zero (the net flow ``f_l = fwd_l - rev_l``).

It is solved by successive shortest (most profitable) paths, the textbook method for
min-cost (generalised) flow. :func:`solve_cells` runs the compiled per-cell kernel
(:mod:`energy_sim.operation.cell_kernels`, cells in parallel); :func:`solve_cells_reference` is the
same method vectorised over cells in numpy, kept as the reference the kernel is tested against:

1. start from local dispatch ``x_r = D_r``, no flows;
2. for every region compute the marginal cost of one more MW, ``up_r`` (cost of the first
   block with headroom), and the saving of one MW less, ``down_r`` (cost of the last block in
   use; VOLL while shedding);
3. Bellman-Ford on the 6-node graph (``R-1`` rounds) finds for every source region the best
   value ``V_r = max(down_r, max_e rho_e * V_{dst(e)})`` reachable along moves ``e`` with
   residual capacity, where a move raises a flow (``rho = eta``) or lowers the opposite flow
   (``rho = 1/eta``);
4. every cell with ``V_src - up_src > tol`` pushes the largest amount along its best path that
   keeps every block, corridor and room bound (so one bound becomes tight each time);
5. repeat on the cells that still improve.

At convergence no path between any two regions can lower the cost: on a piecewise-linear convex
problem these are the optimality conditions (no negative-cost augmenting path). Every move keeps
the balance of every region exactly, so balance and limits hold by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Amounts (MW) below this are treated as zero.
EPS_MW = 1e-7
#: A path must gain at least this (USD/MWh at the source) to be pushed.
TOL_GAIN = 1e-6


@dataclass(frozen=True)
class Grid:
    """The corridor graph.

    Moves ``2l`` (a->b) and ``2l+1`` (b->a) for corridor ``l``; ``out_moves[r]`` lists the moves
    leaving region r, padded with the dummy move ``2L``.
    """

    n_region: int
    frm: np.ndarray
    to: np.ndarray
    eta: np.ndarray
    mv_src: np.ndarray
    mv_dst: np.ndarray
    out_moves: np.ndarray

    @classmethod
    def build(cls, n_region: int, frm: np.ndarray, to: np.ndarray, eta: np.ndarray) -> Grid:
        frm = np.asarray(frm, np.int64)
        to = np.asarray(to, np.int64)
        n_l = len(frm)
        mv_src = np.empty(2 * n_l, np.int64)
        mv_dst = np.empty(2 * n_l, np.int64)
        mv_src[0::2], mv_dst[0::2] = frm, to
        mv_src[1::2], mv_dst[1::2] = to, frm
        deg = np.bincount(mv_src, minlength=n_region).max(initial=0)
        out = np.full((n_region, max(int(deg), 1)), 2 * n_l, np.int64)
        fill = np.zeros(n_region, np.int64)
        for m, r in enumerate(mv_src):
            out[r, fill[r]] = m
            fill[r] += 1
        return cls(n_region, frm, to, np.asarray(eta, float), mv_src, mv_dst, out)


def _marginals(cum: np.ndarray, cost: np.ndarray, x: np.ndarray):
    """Marginal cost up/down and their rooms for every region of every cell.

    ``cum`` (K, n, R): cumulative capacity of each region's stack (block axis first so that the
    counts below are sums of contiguous slabs); ``cost`` (R, K).
    """
    n_k, n, n_r = cum.shape
    # a level within EPS_MW of a block's edge counts as on the edge: a rounding residue of
    # 1e-13 MW must not make a block the marginal one with no room to move (that would stop
    # every path through the region)
    up_i = np.count_nonzero(cum <= x + EPS_MW, axis=0)  # first block with headroom (K: none)
    dn_i = np.minimum(np.count_nonzero(cum < x - EPS_MW, axis=0), n_k - 1)  # last MW used
    ri = np.arange(n_r)[None, :]
    up_cost = np.where(up_i < n_k, cost[ri, np.minimum(up_i, n_k - 1)], np.inf)
    top = np.take_along_axis(cum, np.minimum(up_i, n_k - 1)[None], axis=0)[0]
    up_room = np.where(up_i < n_k, top - x, 0.0)
    below = np.take_along_axis(cum, np.maximum(dn_i - 1, 0)[None], axis=0)[0]
    dn_room = x - np.where(dn_i > 0, below, 0.0)
    dn_cost = np.where(x > EPS_MW, cost[ri, dn_i], -np.inf)
    return up_cost, up_room, dn_cost, np.maximum(dn_room, 0.0)


def _moves(flow: np.ndarray, fcap: np.ndarray, eta: np.ndarray):
    """Ratio and residual (in source MW) of every move, shape (n, 2L)."""
    n, n_l = flow.shape
    rho = np.empty((n, 2 * n_l))
    lim = np.empty((n, 2 * n_l))
    fwd = flow > -EPS_MW  # a flow within EPS of zero may turn either way
    rev = flow < EPS_MW
    rho[:, 0::2] = np.where(fwd, eta, 1.0 / eta)
    lim[:, 0::2] = np.where(fwd, fcap - flow, -flow * eta)
    rho[:, 1::2] = np.where(rev, eta, 1.0 / eta)
    lim[:, 1::2] = np.where(rev, fcap + flow, flow * eta)
    return rho, lim


def prices_reference(
    cum: np.ndarray, cost: np.ndarray, x: np.ndarray, flow: np.ndarray, fcap, grid: Grid
) -> np.ndarray:
    """Marginal price of each region at a solution: the cheapest way to serve one more MW,

        W_r = min(up_r, min_e W_q(e) / rho_e)

    over moves e from a region q into r with residual capacity (Bellman-Ford, R-1 rounds);
    VOLL where the cheapest way is to shed. ``cum`` (n, R, K) as in :func:`solve_cells`.
    """
    n, n_r, _ = cum.shape
    cumt = np.ascontiguousarray(cum.transpose(2, 0, 1))
    up_c, _, _, _ = _marginals(cumt, cost, x)
    if len(grid.frm) == 0:
        return up_c
    fcap = np.broadcast_to(np.asarray(fcap, float), flow.shape)
    rho, lim = _moves(flow, fcap, grid.eta[None, :])
    ok = lim > EPS_MW
    w = up_c.copy()
    for _ in range(n_r - 1):
        cand = np.where(ok, w[:, grid.mv_src] / rho, np.inf)  # reach dst from src
        new = w.copy()
        for m in range(cand.shape[1]):
            d = grid.mv_dst[m]
            new[:, d] = np.minimum(new[:, d], cand[:, m])
        if np.array_equal(new, w):
            break
        w = new
    return w


def _best_values(dn_c: np.ndarray, rho: np.ndarray, ok: np.ndarray, grid: Grid):
    """Bellman-Ford for the best displacement value reachable from each region (n, R),

        V_r = max(down_r, max_e rho_e * V_dst(e))   over moves e out of r with residual,

    and the move that attains it (-1: none, the region's own block). At most R-1 rounds; a
    cell whose values did not change in a round cannot change in a later one (its candidates
    depend on its own values only), so each round works on the cells still changing."""
    n, n_r = dn_c.shape
    n_mv = len(grid.mv_dst)
    om = grid.out_moves
    val = dn_c.copy()
    nxt = np.full((n, n_r), -1, np.int64)
    idx = None  # cells still changing (None: all)
    r_rho, r_nok, r_val, r_nxt = rho, ~ok, val, nxt
    for _r in range(n_r - 1):
        k = len(r_val)
        cand = np.empty((k, n_mv + 1))
        cand[:, n_mv] = -np.inf  # the padding move
        np.multiply(r_rho, r_val[:, grid.mv_dst], out=cand[:, :n_mv])
        np.copyto(cand[:, :n_mv], -np.inf, where=r_nok)
        best = cand[:, om[:, 0]]
        arg = np.where(best > -np.inf, om[:, 0][None, :], -1)
        for j in range(1, om.shape[1]):  # degree <= 4: unrolled max
            cj = cand[:, om[:, j]]
            up = cj > best
            best = np.where(up, cj, best)
            arg = np.where(up, om[:, j][None, :], arg)
        better = best > r_val * (1.0 + 1e-12) + 1e-12
        chg = better.any(axis=1)
        if not chg.any():
            break
        r_val = np.where(better, best, r_val)
        r_nxt = np.where(better, arg, r_nxt)
        if idx is None:
            val, nxt = r_val, r_nxt
            idx = np.flatnonzero(chg)
        else:
            val[idx], nxt[idx] = r_val, r_nxt
            idx = idx[chg]
        r_rho, r_nok, r_val, r_nxt = rho[idx], ~ok[idx], r_val[chg], r_nxt[chg]
    return val, nxt


def solve_cells_reference(
    cum: np.ndarray,
    cost: np.ndarray,
    demand: np.ndarray,
    fcap: np.ndarray,
    grid: Grid,
    *,
    flow0: np.ndarray | None = None,
    max_iter: int = 400,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Solve the network dispatch of n cells.

    Parameters
    ----------
    cum
        (n, R, K) cumulative capacity of each region's merit-order stack, MW; the last block is
        shedding with room for the whole demand.
    cost
        (R, K) decision cost of each block, USD/MWh, non-decreasing along K.
    demand
        (n, R) demand to serve, MW.
    fcap
        (n, L) or (L,) corridor capacity each way, MW.
    grid
        The corridor graph.
    flow0
        (n, L) flows to start from (a previous solution of similar cells); cells where they
        would need a region to run below zero or past its stack start from no flows.

    Returns
    -------
    x, flow, n_unconverged
        Dispatch level per region (n, R), net flow per corridor (n, L; positive a->b, MW sent)
        and the number of cells still improving after ``max_iter`` pushes.
    """
    n, n_r, _ = cum.shape
    n_l = len(grid.frm)
    cum = np.ascontiguousarray(cum.transpose(2, 0, 1))
    x = demand.astype(float, copy=True)
    flow = np.zeros((n, n_l))
    if n_l == 0 or n == 0:
        return x, flow, 0
    fcap = np.broadcast_to(np.asarray(fcap, float), (n, n_l))
    if flow0 is not None:
        f0 = np.clip(flow0, -fcap, fcap)
        sent = np.maximum(f0, 0.0)
        back = np.maximum(-f0, 0.0)
        x0 = demand.copy()
        # x_r = D_r + sum(sent from r) - sum(received by r)
        np.add.at(x0.T, grid.frm, (sent - grid.eta * back).T)
        np.add.at(x0.T, grid.to, (back - grid.eta * sent).T)
        ok = (x0 >= 0.0).all(axis=1) & (x0 <= cum[-1]).all(axis=1)
        x[ok] = x0[ok]
        flow[ok] = f0[ok]
    eta = grid.eta[None, :]
    act = np.arange(n)
    c_cum, c_x, c_f, c_cap = cum, x.copy(), flow.copy(), np.ascontiguousarray(fcap)
    left = 0
    dummy = 2 * n_l
    blocked = np.zeros((n, n_r), bool)
    for _ in range(max_iter):
        m = len(act)
        if m == 0:
            break
        rows = np.arange(m)
        up_c, up_r, dn_c, dn_r = _marginals(c_cum, cost, c_x)
        rho, lim = _moves(c_f, c_cap, eta)
        ok = lim > EPS_MW
        # Bellman-Ford for the best displacement value reachable from each region
        val, nxt = _best_values(dn_c, rho, ok, grid)
        gain = np.where(blocked, -np.inf, val - up_c)
        src = gain.argmax(axis=1)
        g = gain[rows, src]
        go = g > TOL_GAIN
        # follow the path
        node = src.copy()
        amount = up_r[rows, src]
        mult = np.ones(m)
        visited = np.zeros((m, n_r), bool)
        visited[rows, src] = True
        hops_m = np.full((m, n_r - 1), dummy, np.int64)
        hops_mult = np.zeros((m, n_r - 1))
        alive = go.copy()
        for h in range(n_r - 1):
            mv = nxt[rows, node]
            step = alive & (mv >= 0)
            if not step.any():
                break
            mvs = np.where(step, mv, 0)
            dst = grid.mv_dst[mvs]
            step &= ~visited[rows, dst]
            mvs = np.where(step, mvs, 0)
            hops_m[:, h] = np.where(step, mvs, dummy)
            hops_mult[:, h] = mult
            amount = np.where(step, np.minimum(amount, lim[rows, mvs] / mult), amount)
            mult = np.where(step, mult * rho[rows, mvs], mult)
            node = np.where(step, dst, node)
            visited[rows, node] = True
            alive = step
        amount = np.minimum(amount, dn_r[rows, node] / mult)
        realised = mult * dn_c[rows, node] - up_c[rows, src]
        pushed = go & (amount > EPS_MW) & (realised > TOL_GAIN) & (node != src)
        # a source whose best path cannot be pushed is set aside until something moves
        failed = go & ~pushed
        blocked[rows[failed], src[failed]] = True
        blocked[pushed] = False
        live = pushed | failed
        go = pushed
        amount = np.where(go, amount, 0.0)
        # apply
        c_x[rows, src] += amount
        c_x[rows, node] -= amount * mult
        for h in range(n_r - 1):
            mv = hops_m[:, h]
            use = go & (mv != dummy)
            if not use.any():
                continue
            mvs = np.where(use, mv, 0)
            cor = mvs // 2
            amt = amount * hops_mult[:, h]
            f_now = c_f[rows, cor]
            e = grid.eta[cor]
            forward = (mvs % 2) == 0
            inc = np.where(forward, f_now > -EPS_MW, f_now < EPS_MW)
            delta = np.where(inc, amt, amt / e)
            delta = np.where(forward, delta, -delta)
            c_f[rows, cor] = np.where(use, f_now + delta, f_now)
        done = ~live
        n_done = int(done.sum())
        if n_done and (n_done * 4 >= m or n_done == m):  # compact once a quarter is done
            idx = act[done]
            x[idx] = c_x[done]
            flow[idx] = c_f[done]
            keep = ~done
            act = act[keep]
            c_cum, c_x, c_f, c_cap = c_cum[:, keep], c_x[keep], c_f[keep], c_cap[keep]
            blocked = blocked[keep]
        elif not live.any():
            break
    else:
        left = int(live.sum()) if len(act) else 0
    if len(act):
        x[act] = c_x
        flow[act] = c_f
    np.clip(flow, -fcap, fcap, out=flow)
    return x, flow, left


def _fcap_cells(fcap, n: int, n_l: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(fcap, float), (n, n_l)))


def solve_cells(
    cum: np.ndarray,
    cost: np.ndarray,
    demand: np.ndarray,
    fcap: np.ndarray,
    grid: Grid,
    *,
    flow0: np.ndarray | None = None,
    max_iter: int = 400,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Solve the network dispatch of n cells with the compiled kernel.

    Same parameters, method and results as :func:`solve_cells_reference` (``cum`` (n, R, K),
    ``cost`` (R, K), ``demand`` (n, R), ``fcap`` (n, L) or (L,), ``flow0`` (n, L) or None);
    each cell is solved on its own (:func:`energy_sim.operation.cell_kernels.solve_cells`), cells in
    parallel across cores.
    """
    from energy_sim.operation import cell_kernels

    n, n_r, _ = cum.shape
    n_l = len(grid.frm)
    if n_l == 0 or n == 0:
        return demand.astype(float, copy=True), np.zeros((n, n_l)), 0
    warm = flow0 is not None
    f0 = np.ascontiguousarray(flow0, dtype=float) if warm else np.zeros((n, n_l))
    return cell_kernels.solve_cells(
        np.ascontiguousarray(cum, dtype=float),
        np.ascontiguousarray(cost, dtype=float),
        np.ascontiguousarray(demand, dtype=float),
        _fcap_cells(fcap, n, n_l),
        grid.frm,
        grid.to,
        grid.eta,
        grid.mv_dst,
        grid.out_moves,
        f0,
        warm,
        max_iter,
    )


def prices(
    cum: np.ndarray, cost: np.ndarray, x: np.ndarray, flow: np.ndarray, fcap, grid: Grid
) -> np.ndarray:
    """Marginal price of each region at a solution (compiled; see :func:`prices_reference`)."""
    from energy_sim.operation import cell_kernels

    n = len(x)
    return cell_kernels.cell_prices(
        np.ascontiguousarray(cum, dtype=float),
        np.ascontiguousarray(cost, dtype=float),
        np.ascontiguousarray(x, dtype=float),
        np.ascontiguousarray(flow, dtype=float).reshape(n, len(grid.frm)),
        _fcap_cells(fcap, n, len(grid.frm)),
        grid.eta,
        grid.mv_src,
        grid.mv_dst,
    )
