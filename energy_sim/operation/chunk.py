"""One chunk of samples through the dispatch core: the draws made arrays, then the adequacy
screen (:mod:`energy_sim.operation.screen`) and the full passes (:func:`passes.full_chunk`)
on the samples the screen cannot prove shed-free, or the full passes on all."""

from __future__ import annotations

import time as _time

import numpy as np

from energy_sim.operation import core, demand_response, kernels, merit, network, passes
from energy_sim.operation.inputs import Static
from energy_sim.operation.screen import screen_chunk


def run_chunk(
    st: Static,
    stack: merit.Stack,
    grid: network.Grid,
    avail_draw: np.ndarray | None,
    demand: np.ndarray | None,
    cf_month: np.ndarray | None,
    lng_draw: np.ndarray | None,
    n_s: int,
    with_price: bool = True,
    screen: bool = False,
) -> core.ChunkOut:
    """Operate one chunk of ``n_s`` samples; draws are (S, G, T), (S, R, T), (S, G, 12),
    (S, H, T) or None.

    With ``screen``, the adequacy screen (:func:`energy_sim.operation.screen.screen_chunk`)
    operates every sample first; the samples it proves shed-free keep its operation and only
    the others go through the passes below. With demand response, load is shifted before and
    interrupted after (:func:`_shift`, :func:`_interrupt`).

    Later passes re-place reservoir hydro in price terms over the zone each basin reaches
    (congestion and scarcity of the previous pass included, ``passes._zone_hydro``); every
    sample keeps the cheapest pass.
    """
    n_g, n_t = st.avail.shape
    n_r = len(st.regions)
    draw = np.ones((1, n_g, n_t)) if avail_draw is None else np.asarray(avail_draw)
    if draw.dtype not in (np.float32, np.float64):
        draw = draw.astype(float)
    av = kernels.availability(  # (S, T, G) = avail * cap * max(0, draw)
        np.ascontiguousarray(st.avail, dtype=float), st.cap.astype(float),
        np.ascontiguousarray(draw),
    )  # fmt: skip
    if av.shape[0] != n_s:
        av = np.ascontiguousarray(np.broadcast_to(av, (n_s, n_t, n_g)))
    dem = st.demand.T[None] if demand is None else np.asarray(demand, float).transpose(0, 2, 1)
    dem = np.ascontiguousarray(np.broadcast_to(np.maximum(dem, 0.0), (n_s, n_t, n_r)))
    lng_av = st.lng_av[None] if lng_draw is None else np.asarray(lng_draw, float)
    lng_av = np.broadcast_to(np.clip(lng_av, 0.0, 1.0), (n_s, len(st.regas), n_t))
    up = down = None
    if st.dr is not None and st.dr.shifts:
        dem, up, down = _shift(st, av, dem)
    if screen:
        out = _screened(st, stack, grid, av, dem, cf_month, lng_av, n_s, with_price)
    else:
        out = passes.full_chunk(st, stack, grid, av, dem, cf_month, lng_av, n_s, with_price)
    if st.dr is not None:
        _interrupt(st, out, up, down)
    return out


def _shift(st: Static, av: np.ndarray, dem: np.ndarray):
    """Demand response, before the operation (:mod:`.demand_response`): load shifted within
    each day on the regional net load; everything after, the screen included, sees the
    shifted demand (S, T, R). Returns it and the shifts up and down (S, R, T)."""
    free = (st.mc <= 0.0) & ~st.is_res & (st.hub_of < 0)
    onehot = np.zeros((len(st.mc), len(st.regions)))
    onehot[np.flatnonzero(free), st.gen_region[free]] = 1.0
    d = dem.transpose(0, 2, 1)
    net = d - (av @ onehot).transpose(0, 2, 1)
    up, down = demand_response.shift(st.dr, d, net, st.wdt)
    return np.ascontiguousarray((d + up - down).transpose(0, 2, 1)), up, down


def _interrupt(st: Static, out: core.ChunkOut, up, down) -> None:
    """Demand response, after the operation: interruptible load takes the shed within its
    contracts (in place); the shifts are recorded with it."""
    z = np.zeros_like(out.shed)
    out.dr_up = z if up is None else up
    out.dr_down = z if down is None else down
    out.dr_ilc = z
    if st.dr.interrupts:
        out.dr_ilc = demand_response.interrupt(st.dr, out.shed, st.wdt)
        out.shed = np.clip(out.shed - out.dr_ilc, 0.0, None)


def _screened(st, stack, grid, av, dem, cf_month, lng_av, n_s, with_price) -> core.ChunkOut:
    """The screen on every sample, the full passes on those it cannot prove shed-free."""
    t0 = _time.perf_counter()
    out, proven = screen_chunk(st, stack, grid, av, dem, cf_month, lng_av, with_price)
    stats = {f"screen_{k}": v for k, v in out.stats.items()}
    stats.update(screen_s=_time.perf_counter() - t0, screened=float(proven.sum()))
    rest = np.flatnonzero(~proven)
    if len(rest):
        full = passes.full_chunk(
            st, stack, grid, av[rest], dem[rest], core.draws_of(cf_month, rest), lng_av[rest],
            len(rest), with_price, adequacy=True,
        )  # fmt: skip
        for k in core.FIELDS:
            getattr(out, k)[rest] = getattr(full, k)
        for k, v in full.stats.items():
            stats[k] = stats.get(k, 0.0) + v
    out.stats = stats
    out.screened = proven
    return out
