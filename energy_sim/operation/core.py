"""The dispatch core's operation of one chunk of samples (arrays ``(sample, time, ...)``),
:func:`_operate`:

1. availability ``A[s,t,g] = cap_g * avail[g,t] * draw[s,g,t]`` and demand
   (:mod:`.chunk`);
2. reservoir hydro water-filled on the system net load (:mod:`.hydro`), or a given schedule;
3. storage scheduled on the net load left after hydro (or a given wish) and clipped to its
   state of charge (:mod:`.storage`);
4. every (sample, hour) cell dispatched over the regional merit-order stacks and the corridor
   graph (:mod:`.merit`, :mod:`.network`, :mod:`.kernels`), storage never charged with shed
   power; 4b. coal burn checked against the coal yards (:mod:`.coal`);
5. LNG burn checked against send-out, tanks, reserve and contract (:mod:`.lng`); cells where a
   hub cannot deliver are dispatched again with the LNG plants capped at what it can.

The later passes of the full core live in :mod:`.passes`, the annual figures and the Results
in :mod:`.results`."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field

import numpy as np

from energy_sim.operation import cell_kernels, coal, hydro, kernels, lng, merit, network, storage
from energy_sim.operation.inputs import Static

#: Loss of load counts hours whose shed exceeds this, MW.
SHED_THRESHOLD_MW = 0.1
#: Rounds that take storage charging out of hours where its region sheds, and discharge the
#: network could not place out of the store's schedule.
CHARGE_FIX_PASSES = 4
#: Run those rounds again after the coal and LNG steps (whose caps can shed where storage
#: charges), the fuel stores' groups held at their burn.
POST_FUEL_CHARGE_FIX = True
#: Discharge left unplaced by the network above this (MW) is taken out of the schedule.
SPILL_TOL_MW = 1e-6
#: Weight of the shed of earlier passes added to the need of the hours where it occurred.
SHORT_WEIGHT = 2.0
#: Tanks that cannot carry the burn give it up where other plants can take over
#: (:func:`lng.tank_allocation`) before the remaining short cells are capped pro rata.
TANK_ALLOCATION = True
#: Hubs whose tank runs dry inside a disruption window dispatched again first with their
#: LNG behind every other plant in the window (the scarcity order), before
#: :func:`lng.tank_allocation`. Off since 2026-12-05: the oil then took what the tank
#: could have given and the tank left the window with LNG unburnt (the toy of
#: tests/test_dispatch_lp.py 3.2 GWh_th, 1.28% above the LP against 0.98% without it; with
#: the LP's water and storage given, 0.93% against 0.000%); the tank allocation alone cuts
#: the burn only as far as the tank needs. No other case of that file moved.
SCARCITY_ORDER = False
#: Memory budget of one sample chunk's (time, gen) arrays, bytes.
CHUNK_BYTES = 300e6


@dataclass
class ChunkOut:
    """Hourly results of one chunk, arrays (sample, ..., time)."""

    gen: np.ndarray
    ch: np.ndarray
    dis: np.ndarray
    soc: np.ndarray
    flow: np.ndarray
    shed: np.ndarray
    price: np.ndarray
    send: np.ndarray
    inv: np.ndarray
    cst: np.ndarray  # (S, R, T) coal stock, 0 where a region has no yard
    dlv: np.ndarray  # (S, R, T) coal deliveries
    stats: dict = field(default_factory=dict)
    #: (S,) True where the adequacy screen proved the sample sheds nothing and its operation
    #: is the screen's (:mod:`.screen`); None when the chunk was not screened.
    screened: np.ndarray | None = None
    #: (S, R, T) demand response (MODEL.md constraint 9; :mod:`.demand_response`): load
    #: shifted up and down and interrupted; None without DR.
    dr_up: np.ndarray | None = None
    dr_down: np.ndarray | None = None
    dr_ilc: np.ndarray | None = None
    #: (S, H, T) steps whose LNG a short tank needed later (:func:`lng.tank_allocation`);
    #: None where no tank fell short.
    lng_scarce: np.ndarray | None = None


#: The per-sample arrays of a :class:`ChunkOut`, in the order the passes copy them.
FIELDS = ("gen", "ch", "dis", "soc", "flow", "shed", "price", "send", "inv", "cst", "dlv")


def _solve_cells_reference(
    stack: merit.Stack,
    grid: network.Grid,
    blocks: np.ndarray,
    dem: np.ndarray,
    fcap: np.ndarray,
    flow0: np.ndarray | None = None,
    with_price: bool = True,
):
    """Network dispatch of cells from block availabilities (n, columns) with the numpy
    reference of every step (``merit.cumulative``, ``network.solve_cells_reference``,
    ``merit.unstack``, ``network.prices_reference``): block outputs, shed, flows, unconverged
    count and prices. :func:`_solve_gen` is tested against it."""
    cum = merit.cumulative(stack, blocks, dem)
    steps = np.take_along_axis(cum, stack.solver_pos[None], axis=2)
    x, f, k = network.solve_cells_reference(steps, stack.solver_key, dem, fcap, grid, flow0=flow0)
    out, shed = merit.unstack(stack, blocks, cum, x)
    price = network.prices_reference(steps, stack.solver_key, x, f, fcap, grid)
    if not with_price:
        price = np.full_like(dem, np.nan)
    return out, shed, f, k, price


def _blocks(stack: merit.Stack, avail: np.ndarray, window: np.ndarray, sdis: np.ndarray):
    """Block availability (n, n_col) from generator availability (n, G), the LNG disruption
    flag of each LNG group (n, G_l) and storage discharge per region (n, R)."""
    n = len(avail)
    blocks = np.zeros((n, stack.n_col))
    blocks[:, : stack.n_gen] = avail
    if len(stack.lng_gens):
        a_l = avail[:, stack.lng_gens]
        blocks[:, stack.lng_gens] = np.where(window, 0.0, a_l)
        blocks[:, stack.n_gen : stack.sdis_col0] = np.where(window, a_l, 0.0)
    blocks[:, stack.sdis_col0 : stack.sdis_col0 + sdis.shape[1]] = sdis
    return blocks


def _gens(stack: merit.Stack, out: np.ndarray) -> np.ndarray:
    gen = out[:, : stack.n_gen].copy()
    if len(stack.lng_gens):
        gen[:, stack.lng_gens] += out[:, stack.n_gen : stack.sdis_col0]
    return gen


def draws_of(arr, idx: np.ndarray):
    """The samples ``idx`` of a draw with a leading sample axis (None stays None, a leading
    axis of 1 broadcasts and is kept whole)."""
    if arr is None:
        return None
    arr = np.asarray(arr)
    return arr if arr.shape[0] == 1 else arr[idx]


def _by_region(x: np.ndarray, region: np.ndarray, n_r: int) -> np.ndarray:
    """Sum of (S, St, T) per group into (S, T, R) by region (contiguous adds, no matmul over
    a transposed view)."""
    n_s, _, n_t = x.shape
    out = np.zeros((n_s, n_r, n_t))
    for j, r in enumerate(region):
        out[:, r] += x[:, j]
    return out.transpose(0, 2, 1)


def _columns(stack: merit.Stack) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kind, group and window/region of every block column (see
    :func:`cell_kernels.dispatch_gen_cells`), from the layout of :func:`_blocks`."""
    n_col = stack.n_col
    kind = np.full(n_col, cell_kernels.COL_ZERO, np.int64)
    gen = np.zeros(n_col, np.int64)
    aux = np.zeros(n_col, np.int64)
    kind[: stack.n_gen] = cell_kernels.COL_GEN
    gen[: stack.n_gen] = np.arange(stack.n_gen)
    for j, g in enumerate(stack.lng_gens):
        kind[g], aux[g] = cell_kernels.COL_LNG, j
        c = stack.n_gen + j
        kind[c], gen[c], aux[c] = cell_kernels.COL_LNG_SCARCE, g, j
    n_r = stack.table.shape[0]
    c0 = stack.sdis_col0
    kind[c0 : c0 + n_r] = cell_kernels.COL_STORAGE
    aux[c0 : c0 + n_r] = np.arange(n_r)
    return kind, gen, aux


def _solve_gen(
    stack: merit.Stack,
    grid: network.Grid,
    avail: np.ndarray,
    window: np.ndarray,
    sdis: np.ndarray,
    dem: np.ndarray,
    fcap: np.ndarray,
    flow0: np.ndarray | None = None,
    with_price: bool = True,
    chain: int = 0,
):
    """Network dispatch of cells from generator availability (n, G), LNG windows (n, G_l) and
    storage discharge (n, R), the blocks built inside the kernel
    (:func:`cell_kernels.dispatch_gen_cells`): generation (n, G), storage discharge placed (n, R),
    shed, flows, unconverged count and prices. Same results as :func:`_blocks`,
    :func:`_solve_cells_reference` and :func:`_gens` in turn, without the (n, columns)
    arrays."""
    n = len(dem)
    n_l = len(fcap)
    warm = flow0 is not None
    kind, gen, aux = _columns(stack)
    return cell_kernels.dispatch_gen_cells(
        np.ascontiguousarray(avail, dtype=float),
        np.ascontiguousarray(window, dtype=np.bool_),
        np.ascontiguousarray(sdis, dtype=float),
        kind,
        gen,
        aux,
        stack.table,
        stack.solver_pos,
        stack.solver_key,
        np.ascontiguousarray(dem, dtype=float),
        np.ascontiguousarray(np.broadcast_to(np.asarray(fcap, float), (n, n_l))),
        grid.frm,
        grid.to,
        grid.eta,
        grid.mv_src,
        grid.mv_dst,
        grid.out_moves,
        np.ascontiguousarray(flow0, dtype=float) if warm else np.zeros((n, n_l)),
        warm,
        400,
        with_price,
        int(chain),
    )


def _budgets(st: Static, hyd: np.ndarray, cf_month, n_s: int) -> np.ndarray:
    """Monthly energy budgets (S, Gh, 12) of the reservoir groups, MWh."""
    cf = st.cf_month[None, hyd] if cf_month is None else np.asarray(cf_month, float)[:, hyd]
    cf = np.where(np.isfinite(cf), cf, np.inf)
    budget = np.broadcast_to(cf * st.hours_month * st.cap[hyd, None], (n_s, len(hyd), 12))
    return np.where(np.isfinite(budget), budget, 1e30)


def _burn(gen: np.ndarray, to_hub: np.ndarray, n_s: int, n_t: int) -> np.ndarray:
    """LNG burn of each hub ``burn[s,n,t] = sum_{g of n} p[g]/eff_g`` (S, H, T) from the
    cells' generation (S*T, G), over the LNG-fed columns only
    (:func:`kernels.hub_burn`)."""
    gi = np.flatnonzero(to_hub.any(axis=1))
    hub = to_hub[gi].argmax(axis=1)
    return kernels.hub_burn(
        np.ascontiguousarray(gen), gi.astype(np.int64), hub.astype(np.int64),
        to_hub[gi, hub].astype(float), n_s, to_hub.shape[1],
    )  # fmt: skip


def _lng_spare(
    st: Static, av_c, gen, flow, n_s: int, n_t: int, least_efficient_first: bool = True
) -> np.ndarray:
    """Room other plants have to replace each hub's LNG (S, H, T), in MW_th of the hub's burn.

    The room in MW is the spare capacity of the non-LNG groups in the hub's region plus what
    the corridors into it could still bring from the neighbours' spare capacity. It becomes
    MW_th at the heat rate of the burn a cut gives up in that cell: with the cut taken out of
    the hub's least efficient groups first (:func:`_least_efficient_first`, the tank's
    allocation), ``spare_th = sum_k e_k/eff_k`` with ``e_k = min(gen_k, room - sum_{j<k} e_j)``
    over the groups in increasing efficiency, the room beyond their output at the best
    efficiency; with the cut shared in proportion (``least_efficient_first=False``, the
    contract's allocation), ``spare_th = room * burn/gen`` in the cell. (Before 2026-12-06
    one mean heat rate per hub: a combined cycle's cut then counted its
    ``mean(1/eff) * eff`` ~ 1.3x the room it had, the cells so capped were short, and their
    scarcity prices drew the North's water and storage to midday in the pathway's 2045.)
    """
    n_r = len(st.regions)
    other = st.hub_of < 0
    onehot = np.zeros((len(st.mc), n_r))
    onehot[np.flatnonzero(other), st.gen_region[other]] = 1.0
    spare = np.maximum(av_c - gen, 0.0) @ onehot  # (n_c, R)
    into = spare.copy()
    for l_, (a, b) in enumerate(zip(st.frm, st.to, strict=True)):
        room_b = np.maximum(st.fcap[l_] - flow[:, l_], 0.0)  # more a -> b
        room_a = np.maximum(st.fcap[l_] + flow[:, l_], 0.0)  # more b -> a
        into[:, b] += st.eta[l_] * np.minimum(room_b, spare[:, a])
        into[:, a] += st.eta[l_] * np.minimum(room_a, spare[:, b])
    room = into[:, st.hub_region]  # (n_c, H) MW
    gi = np.flatnonzero(st.hub_of >= 0)
    hub, eff = st.hub_of[gi], st.eff[gi]
    best = _best_efficiency(st)
    best_rate = np.divide(1.0, best, out=np.zeros_like(best), where=best > 0)
    out = gen[:, gi]  # (n_c, len(gi)) MW of the hubs' groups
    if least_efficient_first:
        sp = np.zeros_like(room)
        left = room.copy()
        for j in np.argsort(eff, kind="stable"):
            e = np.minimum(out[:, j], left[:, hub[j]])
            sp[:, hub[j]] += e / eff[j]
            left[:, hub[j]] -= e
        sp += left * best_rate
    else:
        g_h = np.zeros_like(room)
        b_h = np.zeros_like(room)
        np.add.at(g_h.T, hub, out.T)
        np.add.at(b_h.T, hub, (out / eff).T)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(g_h > 0, b_h / g_h, best_rate)
        sp = room * rate
    return sp.reshape(n_s, n_t, -1).transpose(0, 2, 1)


def _operate(
    st, stack, grid, av, dem, cf_month, lng_av, sched, warm=None, short=None, with_price=True,
    stor=None, chain=False,
) -> ChunkOut:  # fmt: skip
    """Steps 2-5 for one chunk; ``sched`` (S, Gh, T) is a hydro schedule to use instead of
    water-filling on the system net load (None), ``stor`` a wished storage charge and
    discharge (S, St, T) to use instead of the system-net-load arbitrage (None).

    ``av`` (S, T, G) is left as it came: the reservoir columns that step 2 overwrites with
    the hydro schedule are put back afterwards (a copy of the whole chunk's availability,
    ~100 MB for 20 sample years, cost more than a tenth of the screen's time outside the
    kernels)."""
    hyd = np.flatnonzero(st.is_res & (st.cap > 0))
    if not av.flags.writeable:
        return _operate_on(
            st, stack, grid, av.copy(), dem, cf_month, lng_av, sched, warm, short,
            with_price, stor, chain,
        )  # fmt: skip
    kept = av[:, :, hyd].copy()
    try:
        return _operate_on(
            st, stack, grid, av, dem, cf_month, lng_av, sched, warm, short, with_price, stor,
            chain,
        )  # fmt: skip
    finally:
        av[:, :, hyd] = kept


@dataclass
class _Cells:
    """The network step's state over a chunk's cells (``n_c = S*T`` rows), which the coal and
    LNG steps dispatch again in part: generation (n_c, G), storage discharge placed, shed and
    flows, prices, the generator limits ``av_c`` later steps tighten, the LNG scarcity windows,
    the need (demand plus charge) and the storage discharge offered (n_c, R)."""

    stack: merit.Stack
    grid: network.Grid
    fcap: np.ndarray
    with_price: bool
    gen: np.ndarray
    used: np.ndarray
    shed: np.ndarray
    flow: np.ndarray
    price: np.ndarray
    av_c: np.ndarray
    win_c: np.ndarray
    need: np.ndarray
    dis_c: np.ndarray
    left: int = 0
    redispatched: int = 0  # cells dispatched again so far

    def redispatch(self, cells: np.ndarray, lim: np.ndarray, win: np.ndarray) -> None:
        """Dispatch ``cells`` again with generator limits ``lim`` and LNG windows ``win``,
        warm-started from their flows; results written in place."""
        self.redispatched += len(cells)
        g, u, sh, f, k, pr = _solve_gen(
            self.stack, self.grid, lim, win, self.dis_c[cells], self.need[cells], self.fcap,
            self.flow[cells], self.with_price,
        )  # fmt: skip
        self.gen[cells], self.used[cells], self.shed[cells] = g, u, sh
        self.flow[cells], self.price[cells] = f, pr
        self.left += k

    def cap_groups(
        self,
        cells: np.ndarray,
        groups: np.ndarray,
        share: np.ndarray,
        keep: bool = True,
        free: np.ndarray | None = None,
    ) -> None:
        """Cap ``groups`` in ``cells`` at ``share`` (len(cells), len(groups)) of their output
        so far and dispatch those cells again; with ``keep`` later steps keep the caps. Where
        ``free`` (same shape) is True a group (of a store that is not short) keeps its
        availability instead, and can take over what the capped groups give up."""
        lim = self.av_c[cells].copy()
        capped = np.minimum(lim[:, groups], self.gen[cells][:, groups] * share)
        if free is not None:
            capped = np.where(free, lim[:, groups], capped)
        lim[:, groups] = capped
        self.redispatch(cells, lim, self.win_c[cells])
        if keep:
            self.av_c = self.av_c.copy()
            self.av_c[cells] = lim


#: Rounds that cap the LNG groups of hubs still short (the last holds every LNG group), and
#: the coal groups of yards still short (the last holds every coal group).
LNG_CAP_ROUNDS = 3
COAL_CAP_ROUNDS = 3


def _best_efficiency(st: Static) -> np.ndarray:
    """(H,): the best efficiency of each hub's LNG groups (0 for a hub without any)."""
    fed = st.hub_of >= 0
    best = np.zeros(len(st.regas))
    np.maximum.at(best, st.hub_of[fed], st.eff[fed])
    return best


def _less_efficient(st: Static) -> np.ndarray:
    """(G, 1): 1 for the LNG groups below their hub's best efficiency, else 0."""
    fed = st.hub_of >= 0
    best = _best_efficiency(st)
    low = fed & (st.eff < best[np.maximum(st.hub_of, 0)] - 1e-9)
    return low[:, None].astype(float)


def _least_efficient_first(st: Static, gen: np.ndarray, gi: np.ndarray, frac: np.ndarray):
    """Share of its output each LNG group ``gi`` keeps (n, len(gi)) when its hub gives up
    ``frac`` (n, H) of its burn in each of n cells: the burn comes out of the hub's least
    efficient groups first (an open-cycle plant burns ~1.6x the LNG of a combined cycle per
    MWh; the LP, short of LNG, burns it in the combined cycles)."""
    burn_g = gen[:, gi] / st.eff[gi]  # (n, len(gi)) MW_th
    hub = st.hub_of[gi]
    left = np.zeros_like(frac)
    np.add.at(left.T, hub, burn_g.T)
    left *= frac  # MW_th each hub gives up
    share = np.ones_like(burn_g)
    for j in np.argsort(st.eff[gi], kind="stable"):
        take = np.minimum(burn_g[:, j], left[:, hub[j]])
        left[:, hub[j]] -= take
        with np.errstate(divide="ignore", invalid="ignore"):
            share[:, j] = np.where(burn_g[:, j] > 0, 1.0 - take / burn_g[:, j], 1.0)
    return np.clip(share, 0.0, 1.0)


def _kept_shares(ok: np.ndarray, burn: np.ndarray, short: np.ndarray):
    """The cells (of ``n_c = S*T``) where a store falls short, and each store's share of its
    burn that it allows there, ``clip(ok/burn, 0, 1)`` (len(cells), X)."""
    n_s, n_x, n_t = burn.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(burn > 0, np.clip(ok / burn, 0.0, 1.0), 1.0)
    cells = np.flatnonzero(short.any(axis=1).reshape(n_s * n_t))
    return cells, ratio.transpose(0, 2, 1).reshape(n_s * n_t, n_x)[cells]


def _place_hydro(st: Static, av, dem, cf_month, sched, need_net: bool):
    """Step 2: reservoir hydro into ``av``'s reservoir columns (in place), water-filled on the
    system net load unless ``sched`` (S, Gh, T) is given; returns the net load left (S, T),
    or None when ``need_net`` is False."""
    n_s = av.shape[0]
    free = (st.mc <= 0.0) & ~st.is_res & (st.hub_of < 0)
    net = None  # the system net load (S, T), needed only to place hydro or storage here
    if need_net:
        net = dem.sum(axis=2) - av[:, :, free].sum(axis=2)
    hyd = np.flatnonzero(st.is_res & (st.cap > 0))
    if len(hyd):
        if sched is None:
            budget = _budgets(st, hyd, cf_month, n_s)
            h = hydro.schedule(net, av[:, :, hyd].transpose(0, 2, 1), budget, st.month, st.wdt)
        else:
            h = sched
        av[:, :, hyd] = h.transpose(0, 2, 1)
        if net is not None:
            net = net - h.sum(axis=1)
    return net


def _storage_wish(st: Static, net, short, n_s: int, n_t: int):
    """Step 3's wish when none is given: each storage group in turn (largest energy first)
    arbitrages the system net load the previous ones left (Gauss-Seidel), seeing
    ``SHORT_WEIGHT`` times the shed of earlier passes in its region on top."""
    n_st = len(st.pcap)
    free = (st.mc <= 0.0) & ~st.is_res & (st.hub_of < 0)
    disp = (~free) & ~st.is_res
    pi = storage.price_curve(
        st.mc[disp], st.cap[disp] * (st.avail[disp].mean(axis=1) if n_t else 0.0), st.voll
    )
    ch_w = np.zeros((n_s, n_st, n_t))
    dis_w = np.zeros((n_s, n_st, n_t))
    rest = net.copy()
    for j in np.argsort(-st.pcap * st.dur, kind="stable"):
        if st.pcap[j] <= 0:
            continue
        sig = rest if short is None else rest + SHORT_WEIGHT * short[:, :, st.stor_region[j]]
        c, d = storage.schedule(
            sig[:, None, :], pi, st.pcap[j : j + 1], st.dur[j : j + 1], st.eff_c[j : j + 1],
            st.eff_d[j : j + 1], st.dt,
        )  # fmt: skip
        ch_w[:, j], dis_w[:, j] = c[:, 0], d[:, 0]
        rest = rest + c[:, 0] - d[:, 0]
    return ch_w, dis_w


def _dispatch_network(st: Static, stack, grid, av, dem, ch, dis, soc, init0, warm, with_price,
                      chain):  # fmt: skip
    """Step 4: the network dispatch of every cell, then up to ``CHARGE_FIX_PASSES`` rounds
    that never charge storage with shed power and never count discharge the network could not
    place (the charge cut where its region sheds, the discharge cut to what its region used,
    the state of charge run again, the cells whose storage changed dispatched again). Returns
    the cells' state and the final charge, discharge and state of charge."""
    n_s, n_t, n_g = av.shape
    n_r = len(st.regions)
    n_c = n_s * n_t
    ch_r = _by_region(ch, st.stor_region, n_r)
    dis_r = _by_region(dis, st.stor_region, n_r)
    # LNG takes its ordinary merit place; only hubs whose tanks cannot carry a disruption
    # window through move behind every other plant (scarcity order) inside their windows
    win_c = np.zeros((n_c, len(stack.lng_gens)), bool)
    av_c = av.reshape(n_c, n_g)
    need = (dem + ch_r).reshape(n_c, n_r)
    f0 = None if warm is None else warm.flow.transpose(0, 2, 1).reshape(n_c, -1)
    gen, used, shed, flow, left, price = _solve_gen(
        stack, grid, av_c, win_c, dis_r.reshape(n_c, n_r), need, st.fcap, f0, with_price,
        chain=n_t if chain else 0,
    )  # fmt: skip
    cells_state = _Cells(
        stack, grid, st.fcap, with_price, gen, used, shed, flow, price, av_c, win_c, need,
        dis_r.reshape(n_c, n_r), left,
    )  # fmt: skip
    ch, dis, soc, fixed = _charge_fix(st, cells_state, dem, ch, dis, soc, init0)
    return cells_state, ch, dis, soc, fixed


def _charge_fix(st: Static, cs: _Cells, dem, ch, dis, soc, init0, freeze=None):
    """Up to ``CHARGE_FIX_PASSES`` rounds that never charge storage with shed power and never
    count discharge the network could not place: the charge cut where its region sheds, the
    discharge cut to what its region used, the state of charge run again, the cells whose
    storage changed dispatched again (with the groups ``freeze`` held at most at their output
    so far: after the LNG and coal steps, a fuel store's burn must not grow). Returns the final
    charge, discharge and state of charge, and the number of cells dispatched again (None when
    no round ran).

    In the LP a region that sheds at step t never charges there: one MWh less charge sheds one
    MWh less now and loses at most ``eff_c*eff_d`` MWh of discharge later."""
    n_s, _, n_t = ch.shape
    n_r = len(st.regions)
    n_c = n_s * n_t
    ch_r = _by_region(ch, st.stor_region, n_r)
    dis_r = _by_region(dis, st.stor_region, n_r)
    fixed = None  # cells dispatched again, counted once a pass runs
    for _ in range(CHARGE_FIX_PASSES):
        sh = cs.shed.reshape(n_s, n_t, n_r)
        cut_r = np.minimum(ch_r, sh)  # (S, T, R)
        # discharge the network could not place (a region that cannot absorb or export it):
        # it stays in the store, else the balance would count energy nobody took
        spill_r = np.maximum(dis_r - cs.used.reshape(n_s, n_t, n_r), 0.0)
        if not (cut_r > network.EPS_MW).any() and not (spill_r > SPILL_TOL_MW).any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(ch_r > 0, cut_r / ch_r, 0.0)  # share of each region's charge cut
            frac_d = np.where(dis_r > 0, spill_r / dis_r, 0.0)  # and of its discharge
        ch_w2 = ch * (1.0 - frac[:, :, st.stor_region].transpose(0, 2, 1))
        ch_w2[ch_w2 < network.EPS_MW] = 0.0
        dis_w2 = dis * (1.0 - frac_d[:, :, st.stor_region].transpose(0, 2, 1))
        dis_w2[dis_w2 < network.EPS_MW] = 0.0
        ch, dis, soc = storage.simulate(
            ch_w2, dis_w2, st.pcap, st.dur, st.eff_c, st.eff_d, st.loss, st.dt, st.period, init0
        )
        ch_new = _by_region(ch, st.stor_region, n_r)
        dis_new = _by_region(dis, st.stor_region, n_r)
        moved = (np.abs(ch_new - ch_r) + np.abs(dis_new - dis_r)).sum(axis=2) > 0
        ch_r, dis_r = ch_new, dis_new
        cs.need = (dem + ch_r).reshape(n_c, n_r)
        cs.dis_c = dis_r.reshape(n_c, n_r)
        cells = np.flatnonzero(moved.reshape(n_c))
        lim = cs.av_c[cells]
        if freeze is not None and len(freeze):
            lim = lim.copy()
            lim[:, freeze] = np.minimum(lim[:, freeze], cs.gen[cells][:, freeze])
        cs.redispatch(cells, lim, cs.win_c[cells])
        fixed = (fixed or 0.0) + len(cells)
    return ch, dis, soc, fixed


def _coal_step(st: Static, cs: _Cells, n_s: int, n_t: int):
    """Step 4b, the coal yards (MODEL.md constraint 8, issue 14): cells whose coal burn the
    stock cannot carry are dispatched again with the groups of the short yards capped (up to
    :data:`COAL_CAP_ROUNDS` rounds; the groups of other yards keep their room and take over,
    but the last round holds them too); later steps keep the caps. Returns the stocks and
    deliveries (S, R, T)."""
    n_r = len(st.regions)
    gi = np.flatnonzero(st.gen_store >= 0)
    for i in range(COAL_CAP_ROUNDS):
        burn_y = coal.burn_of(st, cs.gen, n_s, n_t)
        ok_y, dlv_y, cst_y = coal.stocks(st, burn_y)
        cut_y = lng.short_steps(ok_y, burn_y)
        if not cut_y.any():
            break
        cells, ratio_c = _kept_shares(ok_y, burn_y, cut_y)
        share = ratio_c[:, st.gen_store[gi]]
        last = i == COAL_CAP_ROUNDS - 1  # the last round holds every coal group
        free = None if last else share >= 1.0 - 1e-12
        cs.cap_groups(cells, gi, share, free=free)
    else:
        ok_y, dlv_y, cst_y = coal.stocks(st, coal.burn_of(st, cs.gen, n_s, n_t))
    cst, dlv = np.zeros((n_s, n_r, n_t)), np.zeros((n_s, n_r, n_t))
    cst[:, st.coal_region], dlv[:, st.coal_region] = cst_y, dlv_y
    return cst, dlv


def _lng_step(st: Static, cs: _Cells, lng_av, n_s: int, n_t: int, timing: dict):
    """Step 5, the LNG hubs: the annual contract spent where LNG is hardest to replace, the
    tanks run cyclically (:func:`lng.cyclic_inventory`); with :data:`SCARCITY_ORDER` (off)
    hubs whose tank runs dry inside a disruption window move to the scarcity order there; a
    tank short gives up burn at
    one level where other plants can take over (:func:`lng.tank_allocation`, least efficient
    plants first), and cells whose burn the tank still cannot carry are dispatched again with
    the LNG groups of the short hubs capped (up to :data:`LNG_CAP_ROUNDS` rounds; the plants
    of other hubs keep their room and take over, but the last round holds them too).
    Returns send-out and inventory (S, H, T) and the steps whose LNG a short tank needs
    later (S, H, T; None where no tank was short)."""
    n_h = len(st.regas)
    n_g = cs.gen.shape[1]
    n_c = n_s * n_t
    hub_l = st.hub_of[cs.stack.lng_gens]
    in_window = lng_av < 1.0  # (S, H, T)
    fed = st.hub_of >= 0
    gi = np.flatnonzero(fed)
    to_hub = np.zeros((n_g, n_h))
    to_hub[gi, st.hub_of[fed]] = 1.0 / st.eff[fed]
    reserve = st.reserve_days * 24.0 * (to_hub * st.cap[:, None]).sum(axis=0)
    smax = st.regas[None, :, None] * lng_av
    floor = lng.floors(reserve, smax, lng_av, st.dt, st.refill_days, st.period)

    def tanks(burn=None):
        """The burn of the cells' generation (unless given), the tanks run on it, and where
        they fall short."""
        burn = _burn(cs.gen, to_hub, n_s, n_t) if burn is None else burn
        ok, send, inv = lng.cyclic_inventory(burn, smax, floor, st.tank, st.contract, st.dt, st.wdt)
        return burn, ok, send, inv, lng.short_steps(ok, burn)

    burn = _burn(cs.gen, to_hub, n_s, n_t)
    needed = None  # steps whose LNG a short tank needs later
    limit = np.where(np.isfinite(st.contract), st.contract, np.inf)
    excess = burn @ st.wdt - limit  # the spare room costs: computed only when needed
    if (excess > 1e-6 * np.maximum(1.0, limit)).any():
        spare = _lng_spare(st, cs.av_c, cs.gen, cs.flow, n_s, n_t, least_efficient_first=False)
        keep = lng.contract_allocation(burn, spare, st.contract, st.wdt)
        if (keep < 1.0 - 1e-9).any():
            # the contract binds: spend it where LNG is hardest to replace
            keep_c = keep.transpose(0, 2, 1).reshape(n_c, n_h)
            cells = np.flatnonzero((keep_c < 1.0 - 1e-9).any(axis=1))
            share = keep_c[cells][:, st.hub_of[gi]]
            cs.cap_groups(cells, gi, share, free=share >= 1.0 - 1e-12)
            timing["lng_contract_cells"] = len(cells)
            burn = None  # the capped cells burn less: computed again
    burn, ok, send, inv, cut = tanks(burn)
    short = (cut & in_window).any(axis=2)  # (S, H): the tank runs dry inside a window
    if short.any() and len(hub_l) and SCARCITY_ORDER:
        scarce = in_window & short[:, :, None]
        cs.win_c = scarce[:, hub_l, :].transpose(0, 2, 1).reshape(n_c, len(hub_l))
        cells = np.flatnonzero(cs.win_c.any(axis=1))
        cs.redispatch(cells, cs.av_c[cells], cs.win_c[cells])
        burn, ok, send, inv, cut = tanks()
        timing["lng_scarcity_cells"] = len(cells)
    if cut.any() and TANK_ALLOCATION:
        # the tank cannot carry the burn: give it up where others can take over
        spare = _lng_spare(st, cs.av_c, cs.gen, cs.flow, n_s, n_t)
        keep, needed = lng.tank_allocation(
            burn, spare, smax, floor, st.tank, st.contract, st.dt, st.wdt,
            burn_low=_burn(cs.gen, to_hub * _less_efficient(st), n_s, n_t),
        )  # fmt: skip
        keep_c = keep.transpose(0, 2, 1).reshape(n_c, n_h)
        cells = np.flatnonzero((keep_c < 1.0 - 1e-9).any(axis=1))
        if len(cells):
            share = _least_efficient_first(st, cs.gen[cells], gi, 1.0 - keep_c[cells])
            free = (keep_c[cells] >= 1.0 - 1e-12)[:, st.hub_of[gi]]  # hubs not short
            cs.cap_groups(cells, gi, share, keep=False, free=free)
            burn, ok, send, inv, cut = tanks()
            timing["lng_tank_cells"] = len(cells)
    for i in range(LNG_CAP_ROUNDS):
        if not cut.any():
            break
        # the LNG groups of the hubs still short keep at most their share of the burn; in
        # the last round every LNG group of those cells is held at its output too
        cells, ratio_c = _kept_shares(ok, burn, cut)
        share = ratio_c[:, st.hub_of[gi]]
        free = None if i == LNG_CAP_ROUNDS - 1 else share >= 1.0 - 1e-12
        cs.cap_groups(cells, gi, share, keep=False, free=free)
        burn, ok, send, inv, cut = tanks()
        timing["lng_cells_redispatched"] = timing.get("lng_cells_redispatched", 0) + len(cells)
    return send, inv, needed


def _operate_on(
    st, stack, grid, av, dem, cf_month, lng_av, sched, warm, short, with_price, stor, chain
) -> ChunkOut:  # fmt: skip
    """:func:`_operate` on an ``av`` it may overwrite (its reservoir columns): steps 2
    (:func:`_place_hydro`), 3 (:func:`_storage_wish` or ``stor``, then the exact state of
    charge), 4 (:func:`_dispatch_network`), 4b (:func:`_coal_step`) and 5
    (:func:`_lng_step`)."""
    n_s, n_t, n_g = av.shape
    n_r, n_h = len(st.regions), len(st.regas)
    n_st = len(st.pcap)
    timing: dict[str, float] = {}
    t0 = _time.perf_counter()
    net = _place_hydro(st, av, dem, cf_month, sched, need_net=sched is None or stor is None)
    timing["hydro_s"] = _time.perf_counter() - t0
    t0 = _time.perf_counter()
    ch_w, dis_w = stor if stor is not None else _storage_wish(st, net, short, n_s, n_t)
    init0 = None
    if warm is not None and n_st:
        ends = np.r_[np.flatnonzero(st.period[1:] != st.period[:-1]), n_t - 1]
        init0 = warm.soc[:, :, ends].transpose(0, 2, 1)
    ch, dis, soc = storage.simulate(
        ch_w, dis_w, st.pcap, st.dur, st.eff_c, st.eff_d, st.loss, st.dt, st.period, init0
    )
    timing["storage_s"] = _time.perf_counter() - t0
    t0 = _time.perf_counter()
    cs, ch, dis, soc, fixed = _dispatch_network(
        st, stack, grid, av, dem, ch, dis, soc, init0, warm, with_price, chain
    )
    if fixed is not None:
        timing["charge_fix_cells"] = float(fixed)
    timing["network_s"] = _time.perf_counter() - t0
    before_fuel = cs.redispatched
    cst = dlv = np.zeros((n_s, n_r, n_t))
    if len(st.coal_region):
        t0 = _time.perf_counter()
        cst, dlv = _coal_step(st, cs, n_s, n_t)
        timing["coal_s"] = _time.perf_counter() - t0
    t0 = _time.perf_counter()
    send = inv = np.zeros((n_s, n_h, n_t))
    scarce = None
    if n_h:
        send, inv, scarce = _lng_step(st, cs, lng_av, n_s, n_t, timing)
    timing["lng_s"] = _time.perf_counter() - t0
    if POST_FUEL_CHARGE_FIX and n_st and cs.redispatched > before_fuel:
        # the fuel steps cap cells and can shed where storage charges: fix that again, with
        # the fuel stores' groups held at their burn so that their stocks stay feasible
        t0 = _time.perf_counter()
        frozen = np.flatnonzero((st.hub_of >= 0) | (st.gen_store >= 0))
        ch, dis, soc, fixed = _charge_fix(st, cs, dem, ch, dis, soc, init0, freeze=frozen)
        if fixed is not None:
            timing["charge_fix_after_fuel_cells"] = float(fixed)
            if len(st.coal_region):
                cst, dlv = _coal_step(st, cs, n_s, n_t)
            if n_h:
                send, inv, _ = _lng_step(st, cs, lng_av, n_s, n_t, {})
        timing["charge_fix_after_fuel_s"] = _time.perf_counter() - t0
    # storage discharge the network could not place
    timing["storage_curtailed_mw"] = float(np.clip(cs.dis_c - cs.used, 0, None).sum())
    timing["unconverged_cells"] = cs.left
    return ChunkOut(
        gen=cs.gen.reshape(n_s, n_t, n_g).transpose(0, 2, 1),
        ch=ch,
        dis=dis,
        soc=soc,
        flow=cs.flow.reshape(n_s, n_t, -1).transpose(0, 2, 1),
        shed=cs.shed.reshape(n_s, n_t, n_r).transpose(0, 2, 1),
        price=cs.price.reshape(n_s, n_t, n_r).transpose(0, 2, 1),
        send=send,
        inv=inv,
        cst=cst,
        dlv=dlv,
        stats=timing,
        lng_scarce=scarce,
    )
