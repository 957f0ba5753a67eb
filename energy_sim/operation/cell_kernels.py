"""Compiled (numba) kernels of the network dispatch of (sample, hour) cells: arrays in, arrays
out, cells or samples in parallel (``prange``).

Each kernel is the scalar form of a whole-array numpy function kept in the package as its
reference, and the tests compare the two on random inputs (``tests/test_dispatch_kernels.py``):

- :func:`solve_cells` <- ``network.solve_cells_reference``: the network dispatch of a
  (sample, hour) cell by successive most-profitable paths;
- :func:`cell_prices` <- ``network.prices_reference``: the regional marginal prices at a
  solution (Bellman-Ford, the cheapest way to serve one more MW);
- :func:`dispatch_gen_cells` <- ``core._blocks``, ``core._solve_cells_reference`` and
  ``core._gens``: stacks, network solve and outputs of cells, from the groups' availability.

``cache=True`` keeps the machine code on disk (``__pycache__``), as in :mod:`.kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: Same tolerances as the numpy reference (:mod:`energy_sim.operation.network`).
EPS_MW = 1e-7
TOL_GAIN = 1e-6
#: Cells per parallel task when the cells are independent (scratch arrays shared in a task).
RUN = 256


@njit(cache=True, inline="always")
def _marginals(cum, cost, x, r, up_c, up_r, dn_c, dn_r):
    """Marginal cost up/down of region r and the room at each (cf. network._marginals)."""
    n_k = cum.shape[1]
    xr = x[r]
    # up_i = #{k: cum <= x + EPS}, dn_i = #{k: cum < x - EPS}: branch-free counts over the
    # short stack (the sizes never fall, so these are the bisection points)
    hi = xr + EPS_MW
    lo = xr - EPS_MW
    up_i = 0
    dn_i = 0
    for m in range(n_k):
        c = cum[r, m]
        up_i += c <= hi
        dn_i += c < lo
    if dn_i > n_k - 1:
        dn_i = n_k - 1
    # every load before the first store: a store the compiler cannot prove apart from ``cum``
    # and ``cost`` made each later load wait for it (measured 12x slower)
    uc = np.inf
    ur = 0.0
    if up_i < n_k:
        uc = cost[r, up_i]
        ur = cum[r, up_i] - xr
    below = cum[r, dn_i - 1] if dn_i > 0 else 0.0
    dc = cost[r, dn_i] if xr > EPS_MW else -np.inf
    room = xr - below
    up_c[r] = uc
    up_r[r] = ur
    dn_r[r] = room if room > 0.0 else 0.0
    dn_c[r] = dc


@njit(cache=True, nogil=True)
def _workspace(n_r, n_l):
    """Scratch arrays of :func:`_solve_one` (floats, ints, flags), allocated once per run of
    cells instead of once per cell (a row holds the 2L moves and the padding move)."""
    m = max(n_r, 2 * n_l + 1, 1)
    return np.empty((12, m)), np.empty((3, m), np.int64), np.empty((3, m), np.bool_)


@njit(cache=True, nogil=True)
def _solve_one(
    cum, cost, dem, fcap, frm, to, eta, mv_dst, out_moves, f0, warm, max_iter, x, f, wf, wi, wb
):  # fmt: skip
    """Network dispatch of one cell in place (``x`` levels, ``f`` flows); True if converged.
    ``wf``, ``wi``, ``wb`` are scratch arrays (:func:`_workspace`), reused across cells.

    Successive most-profitable paths: from the start point, repeatedly find for every region
    the best displacement value ``V_r = max(down_r, max_e rho_e*V_dst(e))`` (Bellman-Ford over
    moves with residual capacity), take the source with the largest ``V_r - up_r`` and push
    the largest amount along its path that keeps every block, corridor and room bound.
    """
    n_r = cum.shape[0]
    n_k = cum.shape[1]
    n_l = frm.shape[0]
    n_mv = 2 * n_l
    deg = out_moves.shape[1]
    for r in range(n_r):
        x[r] = dem[r]
    for l_ in range(n_l):
        f[l_] = 0.0
    if n_l == 0:
        return True
    if warm:
        # start from the given flows where they keep every region inside its stack
        x0 = wf[0, :n_r]
        for r in range(n_r):
            x0[r] = dem[r]
        g0 = wf[1, :n_l]
        for l_ in range(n_l):
            v = f0[l_]
            if v < -fcap[l_]:
                v = -fcap[l_]
            if v > fcap[l_]:
                v = fcap[l_]
            g0[l_] = v
        # the reference's order: every sending end first, then every receiving end
        for l_ in range(n_l):
            sent = g0[l_] if g0[l_] > 0.0 else 0.0
            back = -g0[l_] if g0[l_] < 0.0 else 0.0
            x0[frm[l_]] += sent - eta[l_] * back
        for l_ in range(n_l):
            sent = g0[l_] if g0[l_] > 0.0 else 0.0
            back = -g0[l_] if g0[l_] < 0.0 else 0.0
            x0[to[l_]] += back - eta[l_] * sent
        ok = True
        for r in range(n_r):
            if x0[r] < 0.0 or x0[r] > cum[r, n_k - 1]:
                ok = False
        if ok:
            for r in range(n_r):
                x[r] = x0[r]
            for l_ in range(n_l):
                f[l_] = g0[l_]
    up_c = wf[2, :n_r]
    up_r = wf[3, :n_r]
    dn_c = wf[4, :n_r]
    dn_r = wf[5, :n_r]
    rho = wf[6, :n_mv]
    lim = wf[7, :n_mv]
    cand = wf[8, : n_mv + 1]
    cand[n_mv] = -np.inf
    val = wf[9, :n_r]
    hop_mult = wf[11, :n_r]
    nxt = wi[0, :n_r]
    hop_mv = wi[2, :n_r]
    ok_m = wb[0, :n_mv]
    blocked = wb[1, :n_r]
    visited = wb[2, :n_r]
    for r in range(n_r):
        blocked[r] = False
    for r in range(n_r):
        _marginals(cum, cost, x, r, up_c, up_r, dn_c, dn_r)
    for _ in range(max_iter):
        for l_ in range(n_l):
            fl = f[l_]
            e = eta[l_]
            if fl > -EPS_MW:
                rho[2 * l_] = e
                lim[2 * l_] = fcap[l_] - fl
            else:
                rho[2 * l_] = 1.0 / e
                lim[2 * l_] = -fl * e
            if fl < EPS_MW:
                rho[2 * l_ + 1] = e
                lim[2 * l_ + 1] = fcap[l_] + fl
            else:
                rho[2 * l_ + 1] = 1.0 / e
                lim[2 * l_ + 1] = fl * e
        for m in range(n_mv):
            ok_m[m] = lim[m] > EPS_MW
        # Bellman-Ford (Jacobi rounds, as the reference)
        for r in range(n_r):
            val[r] = dn_c[r]
            nxt[r] = -1
        for _round in range(n_r - 1):
            for m in range(n_mv):
                cand[m] = rho[m] * val[mv_dst[m]] if ok_m[m] else -np.inf
            # the candidates hold the round's old values, so each region's best is taken and
            # applied in one sweep (still Jacobi); the padding move 2L reads cand[2L] = -inf
            changed = False
            for r in range(n_r):
                m0 = out_moves[r, 0]
                b = cand[m0]
                a = m0 if b > -np.inf else -1
                # the second and third moves unrolled: a loop of unknown short length over
                # them made the whole network kernel ~8% slower
                if deg > 1:
                    m1 = out_moves[r, 1]
                    c1 = cand[m1]
                    if c1 > b:
                        b = c1
                        a = m1
                if deg > 2:
                    m2 = out_moves[r, 2]
                    c2 = cand[m2]
                    if c2 > b:
                        b = c2
                        a = m2
                for j in range(3, deg):
                    mj = out_moves[r, j]
                    cj = cand[mj]
                    if cj > b:
                        b = cj
                        a = mj
                if b > val[r] * (1.0 + 1e-12) + 1e-12:
                    val[r] = b
                    nxt[r] = a
                    changed = True
            if not changed:
                break
        src = 0
        g = -np.inf
        for r in range(n_r):
            gr = -np.inf if blocked[r] else val[r] - up_c[r]
            if gr > g:
                g = gr
                src = r
        if not g > TOL_GAIN:
            return True
        node = src
        amount = up_r[src]
        mult = 1.0
        for r in range(n_r):
            visited[r] = False
        visited[src] = True
        n_hop = 0
        for _h in range(n_r - 1):
            mv = nxt[node]
            if mv < 0:
                break
            dst = mv_dst[mv]
            if visited[dst]:
                break
            hop_mv[n_hop] = mv
            hop_mult[n_hop] = mult
            n_hop += 1
            a_ = lim[mv] / mult
            if a_ < amount:
                amount = a_
            mult = mult * rho[mv]
            node = dst
            visited[node] = True
        a_ = dn_r[node] / mult
        if a_ < amount:
            amount = a_
        realised = mult * dn_c[node] - up_c[src]
        if amount > EPS_MW and realised > TOL_GAIN and node != src:
            for r in range(n_r):
                blocked[r] = False
            x[src] += amount
            x[node] -= amount * mult
            # only the two ends of the path moved along their stacks
            _marginals(cum, cost, x, src, up_c, up_r, dn_c, dn_r)
            _marginals(cum, cost, x, node, up_c, up_r, dn_c, dn_r)
            for h in range(n_hop):
                mv = hop_mv[h]
                cor = mv // 2
                amt = amount * hop_mult[h]
                f_now = f[cor]
                forward = (mv % 2) == 0
                if forward:
                    inc = f_now > -EPS_MW
                else:
                    inc = f_now < EPS_MW
                delta = amt if inc else amt / eta[cor]
                f[cor] = f_now + delta if forward else f_now - delta
        else:
            blocked[src] = True
    return False


@njit(cache=True, parallel=True, nogil=True)
def solve_cells(cum, cost, dem, fcap, frm, to, eta, mv_dst, out_moves, flow0, warm, max_iter):
    """Network dispatch of n cells (see :func:`energy_sim.operation.network.solve_cells`).

    Parameters: ``cum`` (n, R, K) cumulative stack sizes (last block: shedding), ``cost``
    (R, K) block costs, ``dem`` (n, R), ``fcap`` (n, L), corridor graph arrays, ``flow0``
    (n, L) warm-start flows used where ``warm``. Returns levels (n, R), flows (n, L) and the
    number of cells not converged within ``max_iter`` pushes.
    """
    n = cum.shape[0]
    n_r = cum.shape[1]
    n_l = frm.shape[0]
    x = np.empty((n, n_r))
    f = np.empty((n, n_l))
    conv = np.empty(n, np.bool_)
    for i in prange(n):
        wf, wi, wb = _workspace(n_r, n_l)
        conv[i] = _solve_one(
            cum[i], cost, dem[i], fcap[i], frm, to, eta, mv_dst, out_moves, flow0[i], warm,
            max_iter, x[i], f[i], wf, wi, wb,
        )  # fmt: skip
        for l_ in range(n_l):
            if f[i, l_] < -fcap[i, l_]:
                f[i, l_] = -fcap[i, l_]
            elif f[i, l_] > fcap[i, l_]:
                f[i, l_] = fcap[i, l_]
    left = 0
    for i in range(n):
        if not conv[i]:
            left += 1
    return x, f, left


@njit(cache=True, parallel=True, nogil=True)
def cell_prices(cum, cost, x, flow, fcap, eta, mv_src, mv_dst):
    """Marginal price of each region of each cell, ``W_r = min(up_r, min_e W_q(e)/rho_e)``
    over moves from q into r with residual capacity (Bellman-Ford, Jacobi rounds)."""
    n = cum.shape[0]
    out = np.empty((n, cum.shape[1]))
    for i in prange(n):
        _cell_prices(cum[i], cost, x[i], flow[i], fcap[i], eta, mv_src, mv_dst, out[i])
    return out


@njit(cache=True, inline="always")
def _cell_prices(steps, cost, x, f, fcap, eta, mv_src, mv_dst, w):
    """Prices of one cell into ``w`` (see :func:`cell_prices`)."""
    n_r = steps.shape[0]
    n_l = eta.shape[0]
    n_mv = 2 * n_l
    up_c = np.empty(n_r)
    up_r = np.empty(n_r)
    dn_c = np.empty(n_r)
    dn_r = np.empty(n_r)
    for r in range(n_r):
        _marginals(steps, cost, x, r, up_c, up_r, dn_c, dn_r)
        w[r] = up_c[r]
    if n_l == 0:
        return
    rho = np.empty(n_mv)
    okm = np.empty(n_mv, np.bool_)
    for l_ in range(n_l):
        fl = f[l_]
        e = eta[l_]
        if fl > -EPS_MW:
            rho[2 * l_] = e
            okm[2 * l_] = fcap[l_] - fl > EPS_MW
        else:
            rho[2 * l_] = 1.0 / e
            okm[2 * l_] = -fl * e > EPS_MW
        if fl < EPS_MW:
            rho[2 * l_ + 1] = e
            okm[2 * l_ + 1] = fcap[l_] + fl > EPS_MW
        else:
            rho[2 * l_ + 1] = 1.0 / e
            okm[2 * l_ + 1] = fl * e > EPS_MW
    new = np.empty(n_r)
    for _round in range(n_r - 1):
        for r in range(n_r):
            new[r] = w[r]
        for m in range(n_mv):
            if okm[m]:
                c = w[mv_src[m]] / rho[m]
                d = mv_dst[m]
                if c < new[d]:
                    new[d] = c
        same = True
        for r in range(n_r):
            if new[r] != w[r]:
                same = False
            w[r] = new[r]
        if same:
            break


@njit(cache=True, nogil=True)
def _dispatch_one(
    bv, table, solver_pos, solver_key, dem, fcap, frm, to, eta, mv_src, mv_dst, out_moves, f0,
    warm, max_iter, with_price, y, shed, flow, price, cum, steps, x, wf, wi, wb,
):  # fmt: skip
    """Stacks, solve, block outputs (and prices) of one cell; True if converged.

    ``bv`` (n_col,) block availabilities, ``dem`` (R,), ``fcap`` (L,); writes the block
    outputs ``y`` (n_col,), ``shed`` (R,), ``flow`` (L,) and ``price`` (R,); ``cum``
    (R, K+1), ``steps`` (R, K_s), ``x`` (R,) and the workspace are scratch."""
    n_r = table.shape[0]
    n_k = table.shape[1]
    n_ks = solver_pos.shape[1]
    n_l = frm.shape[0]
    for r in range(n_r):
        c = 0.0
        for k in range(n_k):
            c += bv[table[r, k]]
            cum[r, k] = c
        cum[r, n_k] = c + dem[r]
        for k in range(n_ks):
            steps[r, k] = cum[r, solver_pos[r, k]]
    conv = _solve_one(
        steps, solver_key, dem, fcap, frm, to, eta, mv_dst, out_moves, f0, warm, max_iter, x,
        flow, wf, wi, wb,
    )  # fmt: skip
    for l_ in range(n_l):
        if flow[l_] < -fcap[l_]:
            flow[l_] = -fcap[l_]
        elif flow[l_] > fcap[l_]:
            flow[l_] = fcap[l_]
    for r in range(n_r):
        xr = x[r]
        lo = 0  # the first block of the run of equal keys
        below = 0.0  # the stack's size below it
        for j in range(n_ks):
            hi = solver_pos[r, j]  # the run's last position (n_k: shedding)
            if hi < lo:  # padding: the last run repeated
                continue
            top = hi if hi < n_k else n_k - 1
            if top >= lo:
                size = cum[r, top] - below
                theta = (xr - below) / size if size > 0.0 else 0.0
                if theta < 0.0:
                    theta = 0.0
                elif theta > 1.0:
                    theta = 1.0
                for k in range(lo, top + 1):
                    y[table[r, k]] = theta * bv[table[r, k]]
                below = cum[r, top]
            lo = hi + 1
        s = xr - cum[r, n_k - 1]
        shed[r] = s if s > 0.0 else 0.0
    if with_price:
        _cell_prices(steps, solver_key, x, flow, fcap, eta, mv_src, mv_dst, price)
    return conv


#: Kinds of block column for :func:`dispatch_gen_cells`.
COL_GEN, COL_LNG, COL_LNG_SCARCE, COL_STORAGE, COL_ZERO = 0, 1, 2, 3, 4


@njit(cache=True, parallel=True, nogil=True)
def dispatch_gen_cells(
    avail, window, sdis, col_kind, col_gen, col_aux, table, solver_pos, solver_key, dem, fcap,
    frm, to, eta, mv_src, mv_dst, out_moves, flow0, warm, max_iter, with_price, chain,
):  # fmt: skip
    """Merit-order stacks, network dispatch and outputs of n cells, folded back to groups.

    Per cell: the cumulative sizes ``Q[r,k] = sum_{j<=k} A[table[r,j]]`` with shedding on top
    (``Q[r,K] = Q[r,K-1] + D_r``), the network solve on the key steps ``Q[r, solver_pos]``
    (:func:`_solve_one`), then every block's output, a run of equal keys ``j`` (between two
    key steps) filled in proportion, ``y[r,k] = theta_j*A`` with ``theta_j = clip((x_r -
    Q_j-) / (Q_j+ - Q_j-), 0, 1)``, and the shed ``max(0, x_r - Q[r,K-1])`` (cf.
    ``merit.cumulative``/``merit.unstack``).
    ``warm``: each cell starts from ``flow0``. Otherwise, with ``chain > 0`` the cells form
    runs of ``chain`` consecutive steps (one sample's hours) solved in order, each starting
    from the flows of the step before (runs in parallel); with ``chain == 0`` cells start from
    no flows (in parallel tasks of :data:`RUN` cells).

    Block column ``c`` has the availability, by ``col_kind[c]``:

    - ``COL_GEN``: ``avail[g]`` of group ``g = col_gen[c]``;
    - ``COL_LNG``: ``avail[g]`` outside the disruption window ``window[col_aux[c]]``, 0 inside;
    - ``COL_LNG_SCARCE``: the same group's scarcity copy, ``avail[g]`` inside the window only;
    - ``COL_STORAGE``: the storage discharge ``sdis[r]`` of region ``r = col_aux[c]``;
    - ``COL_ZERO``: 0 (padding).

    Returns generation (n, G) (a group's ordinary plus scarcity block), storage discharge
    placed (n, R), shed (n, R), flows (n, L), unconverged count and prices (n, R).
    """
    n, n_g = avail.shape
    n_col = col_kind.shape[0]
    n_r = table.shape[0]
    n_l = frm.shape[0]
    gen = np.zeros((n, n_g))
    used = np.zeros((n, n_r))
    shed = np.empty((n, n_r))
    flow = np.empty((n, n_l))
    price = np.full((n, n_r), np.nan)
    conv = np.empty(n, np.bool_)
    linked = not warm and chain > 0
    size = chain if linked else RUN
    n_run = (n + size - 1) // size
    n_k = table.shape[1]
    for q in prange(n_run):
        prev = np.zeros(n_l)
        bv = np.empty(n_col)
        y = np.empty(n_col)
        cum = np.empty((n_r, n_k + 1))
        steps = np.empty((n_r, solver_pos.shape[1]))
        x = np.empty(n_r)
        wf, wi, wb = _workspace(n_r, n_l)
        for i in range(q * size, min(n, (q + 1) * size)):
            for c in range(n_col):
                kind = col_kind[c]
                if kind == COL_GEN:
                    bv[c] = avail[i, col_gen[c]]
                elif kind == COL_LNG:
                    bv[c] = 0.0 if window[i, col_aux[c]] else avail[i, col_gen[c]]
                elif kind == COL_LNG_SCARCE:
                    bv[c] = avail[i, col_gen[c]] if window[i, col_aux[c]] else 0.0
                elif kind == COL_STORAGE:
                    bv[c] = sdis[i, col_aux[c]]
                else:
                    bv[c] = 0.0
            start = flow0[i] if warm else prev
            conv[i] = _dispatch_one(
                bv, table, solver_pos, solver_key, dem[i], fcap[i], frm, to, eta, mv_src,
                mv_dst, out_moves, start, warm or (linked and i > q * size), max_iter,
                with_price, y, shed[i], flow[i], price[i], cum, steps, x, wf, wi, wb,
            )  # fmt: skip
            for l_ in range(n_l):
                prev[l_] = flow[i, l_]
            for c in range(n_col):
                kind = col_kind[c]
                if kind == COL_STORAGE:
                    used[i, col_aux[c]] += y[c]
                elif kind != COL_ZERO:
                    gen[i, col_gen[c]] += y[c]
    left = 0
    for i in range(n):
        if not conv[i]:
            left += 1
    return gen, used, shed, flow, left, price
