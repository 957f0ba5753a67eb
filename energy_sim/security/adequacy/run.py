"""Running an assessment: one chunk of samples through the dispatch core (:func:`run_chunk`),
chunks joined (:func:`combine_chunks`), and :func:`assess`, which runs chunks in threads of
this process (:data:`THREADS` at once; 1: serially) or on a Dask cluster until the samples are
done or the EUE has converged."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import asdict
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.security.adequacy.capacities import plan_capacities
from energy_sim.security.adequacy.metrics import (
    EUE_ZERO_MWH,
    _annual,
    _mean_se,
    converged,
    summarise,
)
from energy_sim.security.adequacy.options import DEFAULT_OPTIONS, SHED_THRESHOLD_MW, AdequacyOptions
from energy_sim.security.adequacy.sampling import sample_chunk

__all__ = ["THREADS", "assess", "chunk_threads", "combine_chunks", "progress_bar", "run_chunk"]

#: Chunks :func:`assess` operates at once in threads when no Dask client is given.
THREADS = 2
#: Seconds the main thread waits for a chunk's thread at a time (Ctrl-C is seen in between).
WAIT_S = 0.2


def run_chunk(
    system: xr.Dataset,
    plan: xr.Dataset | None,
    chunk: int,
    size: int,
    seed: int,
    options: AdequacyOptions = DEFAULT_OPTIONS,
    dispatch: Callable[..., xr.Dataset] | None = None,
) -> xr.Dataset:
    """Sample one chunk, operate it with the dispatch core, keep what the statistics need.

    Returns
    -------
    xarray.Dataset
        Per sample (``sample`` = global index ``chunk*size + i``): ``unserved_energy_mwh``
        (sample, region), ``loss_of_load_hours`` (sample, region), ``loss_of_load_hours_system``,
        ``demand_mwh``, ``demand_scale``, ``weather_shift_days``, ``dry_year``; summed over the
        chunk's samples: ``shed_count`` (region, time: samples with shed > 0.1 MW),
        ``shed_sum_mw`` (region, time) and, when the dispatch reports LNG, ``lng_inventory_sum``
        (hub, time).
    """
    if dispatch is None:
        from energy_sim.operation import dispatch
    t0 = time.perf_counter()
    caps = plan_capacities(system, plan)
    draws = sample_chunk(system, caps["capacity_mw"], chunk, size, seed, options)
    t1 = time.perf_counter()
    res = dispatch(
        system,
        plan,
        samples=size,
        seed=None,
        availability=draws["availability"],
        demand=draws["demand"],
        hydro_cf_month=draws["hydro_cf_month"],
        keep_hourly=["shed_mw", "lng_inventory_mwh_th"],  # what the statistics need
        chunk_size=size,
        progress=False,
        screen=options.screen,
    )
    t2 = time.perf_counter()
    del draws["availability"]
    hours = _annual(system)
    shed = res["shed_mw"].transpose("sample", "region", "time").values
    lost = shed > SHED_THRESHOLD_MW
    regions = system["region"].values
    sample = np.arange(chunk * size, chunk * size + size)
    annual_demand = float((system["demand_mw"].sum("region").values * hours).sum())
    ds = xr.Dataset(
        {
            "unserved_energy_mwh": (("sample", "region"), (shed * hours).sum(axis=2)),
            "loss_of_load_hours": (("sample", "region"), (lost * hours).sum(axis=2)),
            "loss_of_load_hours_system": ("sample", (lost.any(axis=1) * hours).sum(axis=1)),
            "demand_mwh": ("sample", draws["demand_scale"] * annual_demand),
            "demand_scale": ("sample", draws["demand_scale"]),
            "weather_shift_days": ("sample", draws["weather_shift_days"]),
            "dry_year": ("sample", draws["dry_year"]),
            "shed_count": (("region", "time"), lost.sum(axis=0)),
            "shed_count_system": ("time", lost.any(axis=1).sum(axis=0)),
            "shed_sum_mw": (("region", "time"), shed.sum(axis=0)),
        },
        coords={"sample": sample, "region": regions, "time": system["time"].values},
    )
    if "screened" in res:  # proven shed-free by the adequacy screen (energy_sim.operation.screen)
        ds["screened"] = ("sample", np.asarray(res["screened"].values, bool))
    for var in ("unserved_energy_mwh", "loss_of_load_hours", "loss_of_load_hours_system"):
        if var in res:  # the core's own annual figures, when it reports them
            ds[var] = res[var].transpose(*ds[var].dims).assign_coords(sample=sample)
    if "lng_days_of_cover" in res and "sample" in res["lng_days_of_cover"].dims:
        cover = res["lng_days_of_cover"].transpose("sample", "hub").values
        ds["lng_days_of_cover"] = (("sample", "hub"), cover)
        ds = ds.assign_coords(hub=system["hub"].values)
    if "lng_inventory_mwh_th" in res and "sample" in res["lng_inventory_mwh_th"].dims:
        inv = res["lng_inventory_mwh_th"].transpose("sample", "hub", "time").values
        ds["lng_inventory_sum"] = (("hub", "time"), inv.sum(axis=0))
        ds["lng_inventory_min"] = (("sample", "hub"), inv.min(axis=2))
        ds = ds.assign_coords(hub=system["hub"].values)
    ds.attrs.update(n_samples=size, sample_s=t1 - t0, dispatch_s=t2 - t1)
    return ds


def combine_chunks(chunks: list[xr.Dataset]) -> xr.Dataset:
    """Join chunks: per-sample variables along ``sample``, chunk sums added."""
    per_sample = [v for v in chunks[0].data_vars if "sample" in chunks[0][v].dims]
    sums = [v for v in chunks[0].data_vars if "sample" not in chunks[0][v].dims]
    out = xr.concat([c[per_sample] for c in chunks], dim="sample")
    for var in sums:
        out[var] = sum(c[var] for c in chunks)
    out.attrs["n_samples"] = int(out.sizes["sample"])
    for key in ("sample_s", "dispatch_s"):  # time spent, summed over chunks
        out.attrs[key] = float(sum(c.attrs.get(key, 0.0) for c in chunks))
    return out


def _relative_se(chunks: list[xr.Dataset]) -> float:
    """``se(EUE)/EUE`` of the samples so far, with sub-kWh residue counted as zero (as
    :func:`summarise` does); NaN when no load was lost."""
    eue = np.concatenate(
        [
            np.where(
                (x := c["unserved_energy_mwh"].transpose("sample", "region").values) < EUE_ZERO_MWH,
                0.0,
                x,
            ).sum(axis=1)
            for c in chunks
        ]
    )
    mean, se = _mean_se(eue)
    return float(se / mean) if mean > EUE_ZERO_MWH else float("nan")


def assess(
    system: xr.Dataset,
    plan: xr.Dataset | None = None,
    *,
    samples: int = 1000,
    seed: int = 0,
    chunk_size: int = 100,
    rel_tol: float = 0.05,
    max_samples: int | None = None,
    progress: bool = False,
    options: AdequacyOptions | None = None,
    dispatch: Callable[..., xr.Dataset] | None = None,
    client: Any = None,
    threads: int | None = None,
    **option_values: Any,
) -> xr.Dataset:
    """Monte Carlo adequacy assessment of a plan on a chronological System.

    Runs chunks ``c = 0, 1, ...`` of ``chunk_size`` samples (seeded by
    :func:`chunk_seed`) until ``samples`` are done; then, if ``max_samples > samples``, goes on
    chunk by chunk while the relative standard error of EUE is ``>= rel_tol`` and fewer than
    ``max_samples`` samples are done. It never stops as converged before
    :data:`~energy_sim.security.adequacy.metrics.MIN_SAMPLES_CONVERGED` samples.

    Parameters
    ----------
    system
        Full-year chronological System (stresses already applied).
    plan
        Results with ``capacity_mw`` etc.; ``None`` assesses the existing fleet. Corridor
        outages recorded in ``system.attrs["stress"]`` are carried over to the plan.
    samples, seed, chunk_size
        Number of sample years (at least), seed, samples per dispatch call.
    rel_tol, max_samples
        Convergence tolerance on ``se(EUE)/EUE`` and the sample cap (default ``samples``).
    progress
        Show a rich progress bar.
    options, **option_values
        :class:`AdequacyOptions`, or its fields as keywords (``lole_standard_h=2.4``).
    dispatch
        The dispatch function (default :func:`energy_sim.operation.dispatch`).
    client
        A :class:`distributed.Client`: chunks run on its workers, a wave of one chunk per
        worker at a time; the convergence test still goes chunk by chunk in order, so the
        result is identical to the serial one (chunks past the stopping point are dropped).
    threads
        Without ``client``: chunks operated at once, each in a thread of this process
        (default :data:`THREADS`; 1: one after the other). The compiled kernels release the
        GIL, so one chunk's numpy steps run while another chunk's kernels do: on 2 cores the
        1,000-sample ``assess`` of the 2030 plan took 24.4 s wall instead of 28.2 s (run back
        to back), with peak memory about that many chunks' (2.4 against 1.45 GB). The numbers
        do not depend on it (each chunk is seeded on its own, chunks are joined in order and
        the convergence test runs chunk by chunk as serially). Where numba's threading layer
        cannot run kernels from several threads chunks run one after the other, with a
        warning (:func:`chunk_threads`). ``attrs["threads"]`` says how many ran at once.

    Returns
    -------
    xarray.Dataset
        See :func:`summarise`; ``attrs`` carry ``seed``, ``chunk_size``, ``elapsed_s``.
    """
    from energy_sim.security.stress import apply_stresses_to_plan

    if threads is not None and threads < 1:
        raise InputError(
            "threads must be at least 1", field="--threads", value=threads, allowed=">= 1"
        )
    if samples < 1 or chunk_size < 1:
        raise InputError(
            "samples and chunk size must be positive",
            field="--samples",
            value=samples,
            allowed=">= 1",
        )
    try:
        options = AdequacyOptions(**{**asdict(options or AdequacyOptions()), **option_values})
    except TypeError as err:
        raise InputError(
            str(err), field="options", allowed=", ".join(AdequacyOptions.__annotations__)
        ) from None
    if plan is not None:
        plan = apply_stresses_to_plan(plan, system)
    cap = max(samples, max_samples or samples)
    sizes = [min(chunk_size, cap - a) for a in range(0, cap, chunk_size)]
    first = -(-samples // chunk_size)  # chunks that cover `samples`
    started = time.perf_counter()
    chunks: list[xr.Dataset] = []
    used, note = (1, None) if client is not None else chunk_threads(threads)
    if note:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    pool = None
    if client is not None:
        run = _dask_batch(client, system, plan, seed, options, dispatch)
        wave = max(1, len(client.scheduler_info().get("workers", {})))
    elif used > 1:
        pool = ThreadPoolExecutor(used, thread_name_prefix="energy-sim-chunk")
        run = _thread_batch(pool, system, plan, seed, options, dispatch)
        wave = used
    else:
        run = _serial_batch(system, plan, seed, options, dispatch)
        wave = 1
    bar = progress_bar(progress, cap)
    try:
        with bar:
            task = bar.add_task("sample years", total=cap) if progress else None
            stop = False
            while len(chunks) < len(sizes) and not stop:
                k = len(chunks)
                todo = range(k, min(len(sizes), max(first, k + wave)))
                with closing(run([(i, sizes[i]) for i in todo])) as results:  # in order
                    for ds_chunk in results:
                        chunks.append(ds_chunk)
                        if task is not None:
                            bar.update(task, completed=sum(sizes[: len(chunks)]))
                        done = sum(c.sizes["sample"] for c in chunks)
                        # the convergence test after each chunk, as run serially
                        if len(chunks) >= first and converged(_relative_se(chunks), done, rel_tol):
                            stop = True
                            break
    except KeyboardInterrupt as err:
        # a chunk's kernels cannot be stopped from here: the command line ends the process
        # at once instead of waiting for the thread (as for HiGHS's)
        err.still_running = pool is not None  # type: ignore[attr-defined]
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    combined = combine_chunks(chunks)
    ds = summarise(system, plan, combined, options, rel_tol=rel_tol)
    ds.attrs.update(
        {
            "seed": seed,
            "chunk_size": chunk_size,
            "elapsed_s": time.perf_counter() - started,
            # samples the adequacy screen proved shed-free (the rest ran the full core)
            "screened_samples": int(combined["screened"].sum()) if "screened" in combined else 0,
            "threads": used,
            "sample_s": float(combined.attrs.get("sample_s", 0.0)),
            "dispatch_s": float(combined.attrs.get("dispatch_s", 0.0)),
        }
    )
    return ds


def chunk_threads(threads: int | None) -> tuple[int, str | None]:
    """Chunks to operate at once in threads: ``threads`` (default :data:`THREADS`), or 1 where
    numba's threading layer cannot run kernels from several threads at once
    (:data:`energy_sim.operation.kernels.THREADSAFE_LAYERS`), with a note saying why (None
    otherwise). :func:`assess` warns with the note; the command line prints it."""
    want = THREADS if threads is None else int(threads)
    if want <= 1:
        return 1, None
    from energy_sim.operation import kernels

    layer = kernels.threading_layer()
    if layer in kernels.THREADSAFE_LAYERS:
        return want, None
    return 1, (
        f"numba's threading layer ({layer}) cannot run kernels from several threads at once: "
        "chunks run one after the other (pip install tbb for TBB's)"
    )


def _serial_batch(system, plan, seed, options, dispatch) -> Callable:
    """A function that runs a list of ``(chunk, size)`` here, one after the other, yielding
    each chunk's result when it is done."""

    def batch(todo: list[tuple[int, int]]) -> Iterator[xr.Dataset]:
        for i, size in todo:
            yield run_chunk(system, plan, i, size, seed, options, dispatch)

    return batch


def _thread_batch(pool: ThreadPoolExecutor, system, plan, seed, options, dispatch) -> Callable:
    """A function that runs a list of ``(chunk, size)`` on the threads of ``pool``, yielding the
    results in order; closed early (a stop at convergence, Ctrl-C), it cancels the chunks not
    started. It waits for a chunk in slices of :data:`WAIT_S`, so that Ctrl-C stops it within
    about that long."""

    def batch(todo: list[tuple[int, int]]) -> Iterator[xr.Dataset]:
        futures = [
            pool.submit(run_chunk, system, plan, i, size, seed, options, dispatch)
            for i, size in todo
        ]
        try:
            for future in futures:
                # waiting in short slices: Ctrl-C reaches the main thread only between them
                # (the signal may land on a chunk's thread, which cannot act on it)
                while not wait([future], timeout=WAIT_S).done:
                    pass
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    return batch


def _dask_batch(client: Any, system, plan, seed, options, dispatch) -> Callable:
    """A function that runs a list of ``(chunk, size)`` on the cluster, yielding the results in
    order."""
    system_f = client.scatter(system, broadcast=True)
    plan_f = client.scatter(plan, broadcast=True) if plan is not None else None

    def batch(todo: list[tuple[int, int]]) -> Iterator[xr.Dataset]:
        futures = [
            client.submit(run_chunk, system_f, plan_f, i, size, seed, options, dispatch, pure=False)
            for i, size in todo
        ]
        yield from client.gather(futures)

    return batch


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_bar(show: bool, total: int) -> Any:
    """A transient rich progress bar of sample years when ``show``, else a no-op context."""
    if not show:
        return _NoBar()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
