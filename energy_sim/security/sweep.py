"""Many scenarios at once: plan (or take a plan), then assess adequacy; serial or on Dask.

What a sweep runs for each scenario
-----------------------------------
1. **prepare**: load the scenario, build its System at full hourly resolution (stress tests
   applied), and get the plan to assess:

   - ``plan=None`` (default): solve the capacity-expansion LP on the scenario's own resolution
     (:func:`energy_sim.planning.solve.plan`) — each scenario gets its own least-cost plan;
   - ``plan=PATH``: the same given plan (``results.nc``) for every scenario — the way to put one
     plan through a set of stress tests;
   - ``plan="existing"``: the existing fleet (``cap0``), no LP.

2. **chunks**: Monte Carlo chunks of :func:`energy_sim.security.adequacy.run_chunk`, each its own task,
   seeded by ``(seed, chunk index)``; ``seed=None`` takes each scenario's own ``seed``.
3. **summary**: :func:`energy_sim.security.adequacy.summarise` of the chunks.

The same three functions run in the same order serially (``serial=True``) or as tasks on Dask
distributed (a :class:`distributed.LocalCluster` of ``workers`` processes by default, or an
existing cluster via its ``scheduler`` address), so both give identical numbers. A sweep runs a
fixed number of samples per scenario (no early stop, so that chunks can run in parallel). A
scenario that fails (bad file, infeasible plan, ...) gets ``status = "failed"`` and its error
text; the others complete.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from energy_sim.errors import InputError
from energy_sim.security.adequacy import (
    AdequacyOptions,
    assessment_summary,
    combine_chunks,
    load_plan,
    run_chunk,
    summarise,
)

__all__ = ["Prepared", "local_cluster", "prepare_scenario", "sweep", "sweep_table"]

#: Scalars of each scenario's assessment gathered into the sweep dataset.
METRICS = {
    "lole_system_h": "h/yr",
    "lole_system_h_se": "h/yr",
    "eue_system_mwh": "MWh/yr",
    "eue_system_mwh_se": "MWh/yr",
    "eue_system_ppm": "ppm",
    "lolp_system": "1",
    "loss_of_load_year_probability": "1",
    "reserve_margin_achieved": "1",
}
REGION_METRICS = {"lole_h": "h/yr", "eue_mwh": "MWh/yr"}


class Prepared(dict):
    """What :func:`prepare_scenario` hands to the chunk tasks: ``name``, ``system`` (hourly),
    ``plan`` (Results or None), ``seed``, ``plan_source``."""


def _name_of(item: Any) -> str:
    if isinstance(item, xr.Dataset):
        return str(item.attrs.get("scenario") or "system")
    return Path(item).stem


def prepare_scenario(item: str | Path | xr.Dataset, plan: Any, seed: int | None) -> Prepared:
    """Load and build one scenario and get its plan (see the module docstring).

    Parameters
    ----------
    item
        A scenario YAML path, or a ready hourly System dataset.
    plan
        ``None`` (solve the LP), a path to ``results.nc``, an in-memory Results dataset, or
        ``"existing"``.
    seed
        The Monte Carlo seed; ``None`` takes the scenario's ``seed``.
    """
    from energy_sim.inputs.system import build_system

    name = _name_of(item)
    scenario_seed = 0
    if isinstance(item, xr.Dataset):
        system = item
        scenario_seed = int(item.attrs.get("seed", 0))
        plan_system = item
    else:
        from energy_sim.inputs.scenario import load_scenario

        scenario = load_scenario(item)
        name = scenario.name
        scenario_seed = int(scenario.seed)
        system = build_system(scenario, resolution="full")
        plan_system = build_system(scenario) if plan is None else None
    if plan is None:
        from energy_sim.planning.solve import plan as solve_plan

        result = solve_plan(plan_system)
        status = str(result.attrs.get("status", ""))
        if status != "optimal":
            raise RuntimeError(f"the LP of {name} ended with status {status!r}")
        result.attrs["stress"] = plan_system.attrs.get("stress", "[]")  # planned with them
        source = "lp"
    elif isinstance(plan, str) and plan == "existing":
        result, source = None, "existing"
    elif isinstance(plan, xr.Dataset):
        result, source = plan, str(plan.attrs.get("scenario", "given"))
    else:
        result, source = load_plan(plan), str(plan)
    return Prepared(
        name=name,
        system=system,
        plan=result,
        seed=scenario_seed if seed is None else int(seed),
        plan_source=source,
    )


def _chunk(prep: Prepared, index: int, size: int, options: AdequacyOptions) -> xr.Dataset:
    from energy_sim.security.stress import apply_stresses_to_plan

    plan = prep["plan"]
    if plan is not None:
        plan = apply_stresses_to_plan(plan, prep["system"])
    return run_chunk(prep["system"], plan, index, size, prep["seed"], options)


def _finish(
    prep: Prepared, options: AdequacyOptions, chunk_size: int, *chunks: xr.Dataset
) -> dict[str, Any]:
    from energy_sim.security.stress import apply_stresses_to_plan

    plan = prep["plan"]
    if plan is not None:
        plan = apply_stresses_to_plan(plan, prep["system"])
    ds = summarise(prep["system"], plan, combine_chunks(list(chunks)), options)
    ds.attrs.update(seed=prep["seed"], chunk_size=chunk_size, plan=prep["plan_source"])
    out = {"name": prep["name"], "assessment": _compact(ds), "summary": assessment_summary(ds)}
    if plan is not None and "capacity_mw" in plan:
        out["capacity_by_tech"] = (
            plan["capacity_mw"].groupby(prep["system"]["gen_tech"]).sum().to_series().to_dict()
        )
    return out


def _compact(ds: xr.Dataset) -> xr.Dataset:
    """The scalars and per-region statistics of an assessment (no per-sample or hourly data)."""
    keep = [v for v in (*METRICS, *REGION_METRICS) if v in ds]
    return ds[keep].copy()


def local_cluster(workers: int, *, processes: bool = True) -> Any:
    """A :class:`distributed.LocalCluster` for the dispatch core: one thread per worker.

    Dask's nannies start worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``, which turns
    off glibc's adaptive mmap threshold: every large numpy temporary then costs fresh page
    faults, and the dispatch core ran ~1.5x slower in a worker than in the main process
    (measured on the 2030 system). This cluster's workers start without it.
    """
    import dask
    from distributed import LocalCluster

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # no heartbeat noise when a cluster shuts down
        )


def _chunks(samples: int, chunk_size: int) -> list[int]:
    return [min(chunk_size, samples - a) for a in range(0, samples, chunk_size)]


def _run_serial(items, plan, seed, samples, chunk_size, options, progress) -> list[Any]:
    from energy_sim.security.adequacy.run import progress_bar

    sizes = _chunks(samples, chunk_size)
    out: list[Any] = []
    bar = progress_bar(progress, len(items) * (len(sizes) + 1))
    with bar:
        task = bar.add_task("sweep", total=len(items) * (len(sizes) + 1)) if progress else None
        for item in items:
            try:
                prep = prepare_scenario(item, plan, seed)
                chunks = [_chunk(prep, i, size, options) for i, size in enumerate(sizes)]
                out.append(_finish(prep, options, chunk_size, *chunks))
            except Exception as err:  # one scenario's failure is its result
                out.append(err)
            if task is not None:
                bar.update(task, advance=len(sizes) + 1)
    return out


def _run_dask(
    items, plan, seed, samples, chunk_size, options, progress, workers, scheduler, processes
) -> list[Any]:
    from distributed import Client, as_completed

    from energy_sim.security.adequacy.run import progress_bar

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise InputError(
                f"cannot reach the Dask scheduler ({err})",
                field="--scheduler",
                value=scheduler,
                allowed="an address like tcp://host:8786 of a running scheduler",
            ) from None
        cluster = None
    else:
        n = workers or min(os.cpu_count() or 1, max(1, len(items)))
        cluster = local_cluster(n, processes=processes)
        client = Client(cluster)
    sizes = _chunks(samples, chunk_size)
    try:
        finals = []
        every = []
        for item in items:
            prep = client.submit(prepare_scenario, item, plan, seed, pure=False)
            chunks = [
                client.submit(_chunk, prep, i, size, options, pure=False)
                for i, size in enumerate(sizes)
            ]
            final = client.submit(_finish, prep, options, chunk_size, *chunks, pure=False)
            finals.append(final)
            every.extend([prep, *chunks, final])
        bar = progress_bar(progress, len(every))
        with bar:
            task = bar.add_task("sweep", total=len(every)) if progress else None
            for _ in as_completed(every, raise_errors=False):
                if task is not None:
                    bar.advance(task)
        out: list[Any] = []
        for final in finals:
            err = final.exception() if final.status == "error" else None
            out.append(err if err is not None else final.result())
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sweep(
    scenarios: Sequence[str | Path | xr.Dataset],
    *,
    plan: str | Path | xr.Dataset | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    serial: bool = False,
    processes: bool = True,
    samples: int = 200,
    seed: int | None = None,
    chunk_size: int = 50,
    progress: bool = False,
    options: AdequacyOptions | None = None,
) -> xr.Dataset:
    """Assess many scenarios; gather the results along a ``scenario`` dim.

    Parameters
    ----------
    scenarios
        Scenario YAML files (or ready hourly System datasets).
    plan
        ``None``: plan each scenario with the LP; a ``results.nc`` path or Results: assess that
        plan under every scenario; ``"existing"``: assess the existing fleet.
    workers, scheduler, serial, processes
        Dask: a LocalCluster of ``workers`` (default: one per core, at most one per scenario)
        processes (threads if ``processes=False``), or the cluster at ``scheduler``;
        ``serial=True`` runs in this process without Dask.
    samples, seed, chunk_size
        Sample years per scenario, the seed (``None``: each scenario's own), samples per task.
    progress
        A rich progress bar over the tasks.
    options
        :class:`~energy_sim.security.adequacy.AdequacyOptions` for every scenario.

    Returns
    -------
    xarray.Dataset
        Dims ``scenario`` (and ``region``): the system-wide statistics of
        :data:`METRICS`, ``lole_h``/``eue_mwh`` by region, ``status`` (``ok``/``failed``),
        ``error`` (text, empty when ok), and ``attrs["summaries"]`` (JSON: name -> summary).
    """
    if not scenarios:
        raise InputError("no scenario to sweep", field="SCENARIO", allowed="one or more files")
    if samples < 1 or chunk_size < 1:
        raise InputError("samples must be positive", field="--samples", value=samples)
    options = options or AdequacyOptions()
    items = list(scenarios)
    if serial:
        results = _run_serial(items, plan, seed, samples, chunk_size, options, progress)
    else:
        results = _run_dask(
            items, plan, seed, samples, chunk_size, options, progress, workers, scheduler,
            processes,
        )  # fmt: skip
    return _gather(items, results, samples, seed, chunk_size, serial, plan)


def _error_text(err: BaseException) -> str:
    if isinstance(err, InputError):
        return err.render()
    return f"{type(err).__name__}: {err}"


def _gather(items, results, samples, seed, chunk_size, serial, plan) -> xr.Dataset:
    names = [
        r["name"] if isinstance(r, dict) else _name_of(i)
        for i, r in zip(items, results, strict=True)
    ]
    names = [n if names.count(n) == 1 else f"{n}#{k}" for k, n in enumerate(names)]
    ok = [r for r in results if isinstance(r, dict)]
    regions = ok[0]["assessment"]["region"].values if ok else np.array([], dtype=str)
    data: dict[str, Any] = {v: np.full(len(items), np.nan) for v in METRICS}
    data.update({v: np.full((len(items), len(regions)), np.nan) for v in REGION_METRICS})
    status, errors, summaries = [], [], {}
    for k, result in enumerate(results):
        if isinstance(result, dict):
            ds = result["assessment"]
            for v in METRICS:
                data[v][k] = float(ds[v])
            for v in REGION_METRICS:
                data[v][k] = ds[v].reindex(region=regions).values
            status.append("ok")
            errors.append("")
            summaries[names[k]] = {
                **result["summary"],
                "capacity_by_tech_mw": result.get("capacity_by_tech"),
            }
        else:
            status.append("failed")
            errors.append(_error_text(result))
            summaries[names[k]] = {"status": "failed", "error": errors[-1]}
    out = xr.Dataset(
        {
            **{v: ("scenario", data[v], {"units": u}) for v, u in METRICS.items()},
            **{
                v: (("scenario", "region"), data[v], {"units": u})
                for v, u in REGION_METRICS.items()
            },
            "status": ("scenario", np.array(status, dtype=object)),
            "error": ("scenario", np.array(errors, dtype=object)),
        },
        coords={"scenario": names, "region": regions},
        attrs={
            "kind": "sweep",
            "samples": samples,
            "seed": -1 if seed is None else int(seed),
            "chunk_size": chunk_size,
            "mode": "serial" if serial else "dask",
            "plan": "lp"
            if plan is None
            else str(plan if not isinstance(plan, xr.Dataset) else "given"),
            "summaries": json.dumps(summaries, default=float),
        },
    )
    return out


def sweep_table(ds: xr.Dataset) -> list[dict[str, Any]]:
    """One row per scenario: status, LOLE, EUE, EUE ppm, reserve margin, error."""
    rows = []
    for name in ds["scenario"].values:
        row = ds.sel(scenario=name)
        rows.append(
            {
                "scenario": str(name),
                "status": str(row["status"].values),
                "lole_h": float(row["lole_system_h"]),
                "lole_h_se": float(row["lole_system_h_se"]),
                "eue_mwh": float(row["eue_system_mwh"]),
                "eue_ppm": float(row["eue_system_ppm"]),
                "reserve_margin": float(row["reserve_margin_achieved"]),
                "error": str(row["error"].values),
            }
        )
    return rows
