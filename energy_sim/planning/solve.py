"""Pyomo -> HiGHS hand-off, solver options, status and timings; :func:`plan` is the public API.

Hand-off (measured, see docs/model.md): Pyomo's ``LinearStandardFormCompiler`` in mixed form
turns the model into sparse column-wise arrays, which go to ``highspy.Highs.passModel`` in
memory. No file is written unless the user asks for one (``export_lp``). Build, hand-off and
solve are timed separately and stored in the Results attrs (``build_s``, ``handoff_s``,
``solve_s``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
import xarray as xr
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from energy_sim.errors import InputError

#: HiGHS ``solver`` option per scenario ``solver.method``.
METHODS = {"simplex": "simplex", "ipm": "ipm", "ipx": "ipx", "pdlp": "pdlp", "hipo": "hipo"}
#: ``ipm`` is HiGHS's interior-point choice: with highspy-extras installed, HiPO handing over to
#: IPX for crossover; ``ipx`` is IPX alone.
#: What ``auto`` means (measured, docs/model.md): ``ipm`` with crossover (a vertex) up to
#: ``AUTO_HIPO_STEPS`` time steps; above, HiPO where this HiGHS build has it (the
#: ``highspy-extras`` package): 5x faster than IPX at 8h (59 s against 313 s).
DEFAULT_METHOD = "ipm"
AUTO_HIPO_STEPS = 1000

#: Steps per block of the split investment columns, by method (``build_model(split_steps=)``).
#: Measured (docs/model.md): HiPO factorises the normal equations once no column is dense,
#: 1.5x faster at 8h; IPX gets slower with the extra rows (2.6x at 8h), so it keeps one column.
SPLIT_STEPS = {"hipo": 12}

#: HiGHS options applied before the scenario's own, by method. HiPO: presolve would substitute
#: the block copies back into dense columns; normal equations instead of the augmented system;
#: costs and bounds scaled by 2^-10 (USD -> ~kUSD, MW -> ~GW inside the solver: costs
#: [6e-4, 1e3], bounds [2e-2, 4e1] instead of [0.65, 1e6] and [20, 4e4]). Measured on the
#: full hourly 2030 model (docs/model.md): unscaled, HiPO stalls near a 1e-3 gap after 83
#: iterations; scaled, it gets to 1.3e-4 after 111 (594 s), then stalls too. No crossover:
#: from HiPO's point HiGHS hands over to IPX, which took longer than the whole solve on the
#: full year; the interior point carries ~1e-3 MW of unserved energy and reserve shortfall per
#: step, which :func:`energy_sim.planning.kpis.shortfall_report` treats as solver noise.
METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "hipo": {
        "presolve": "off",
        "hipo_system": "normaleq",
        "user_objective_scale": -10,
        "user_bound_scale": -10,
        "run_crossover": "off",
    },
}

STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible_or_unbounded",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kInterrupt: "interrupted",
    highspy.HighsModelStatus.kMemoryLimit: "memory_limit",
}


def new_highs(verbose: bool = False) -> highspy.Highs:
    """A ``highspy.Highs`` instance; its start-up banner goes to the log only when ``verbose``.

    HiGHS prints its banner from C++ straight to file descriptor 1, so it is silenced by
    pointing that descriptor at /dev/null while the instance is created.
    """
    if verbose:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no real stdout (embedded interpreter)
            saved = None
        if saved is None:
            h = highspy.Highs()
        else:
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
    h.setOptionValue("output_flag", bool(verbose))
    return h


def hipo_available() -> bool:
    """Whether this HiGHS build can run HiPO (it needs the ``highspy-extras`` package)."""
    h = new_highs(False)
    return h.setOptionValue("solver", "hipo") == highspy.HighsStatus.kOk


@dataclass
class Solution:
    """What the solver returns, mapped back to the model's variables and rows."""

    status: str
    objective: float
    col_value: np.ndarray
    row_dual: np.ndarray
    col_of: dict[int, int]
    row_of: dict[int, int]
    handoff_s: float
    solve_s: float
    n_cols: int
    n_rows: int
    n_nz: int
    solver: str

    def values(self, var: np.ndarray) -> np.ndarray:
        """Solution values of an array of Pyomo variable data (fixed ones: their value)."""
        out = np.empty(len(var))
        get = self.col_of.get
        for i, v in enumerate(var.tolist()):
            j = get(id(v))
            if j is None:
                out[i] = v.value if v.value is not None else 0.0
            else:
                out[i] = self.col_value[j]
        return out

    def duals(self, con: pyo.Constraint | None, ids: np.ndarray) -> np.ndarray:
        """Row duals ``d(objective)/d(rhs)`` of a constraint block, in the order of ``ids``."""
        out = np.full(len(ids), np.nan)
        if con is None:
            return out
        get = self.row_of.get
        for i, k in enumerate(ids.tolist()):
            j = get(id(con[k]))
            if j is not None:
                out[i] = self.row_dual[j]
        return out


def solver_settings(system: xr.Dataset) -> tuple[str, float | None, dict[str, Any]]:
    """Method, time limit and raw HiGHS options from the System attr ``lp_solver_options``.

    ``auto`` becomes ``hipo`` for more than :data:`AUTO_HIPO_STEPS` steps when HiPO is
    available, else ``ipm``.

    The attr is the scenario's ``solver`` section as JSON: ``{"method": ..., "time_limit_s":
    ..., "options": {...}}`` (a flat dict is read as HiGHS options).
    """
    raw = system.attrs.get("lp_solver_options", "{}") or "{}"
    cfg = json.loads(raw) if isinstance(raw, str) else dict(raw)
    if not {"method", "time_limit_s", "options"} & set(cfg):
        cfg = {"options": cfg}
    method = str(cfg.get("method") or "auto")
    if method == "auto":
        large = system.sizes.get("time", 0) > AUTO_HIPO_STEPS
        method = "hipo" if large and hipo_available() else DEFAULT_METHOD
    if method not in METHODS:
        raise InputError(
            "unknown solver method",
            field="solver.method",
            value=method,
            allowed="auto, " + ", ".join(METHODS),
        )
    limit = cfg.get("time_limit_s")
    return method, (float(limit) if limit is not None else None), dict(cfg.get("options") or {})


def _offset(info: Any) -> float:
    """The objective's constant in the compiled standard form."""
    return float(info.c_offset[0]) if len(info.c_offset) else 0.0


def to_highs(m: pyo.ConcreteModel, h: highspy.Highs) -> tuple[dict[int, int], dict[int, int], Any]:
    """Compile ``m`` to mixed standard form and pass it to ``h`` (no file).

    Rows keep their sense (``==``, ``<=``, ``>=``); fixed variables move to the right-hand side.
    Returns the maps ``id(VarData) -> column`` and ``id(ConstraintData) -> row`` and the
    compiled form.
    """
    info = LinearStandardFormCompiler().write(m, mixed_form=True)
    A = info.A.tocsc()
    ncol, nrow = A.shape[1], A.shape[0]
    cols = info.columns
    lb = np.array([-np.inf if v.lb is None else v.lb for v in cols], dtype=float)
    ub = np.array([np.inf if v.ub is None else v.ub for v in cols], dtype=float)
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.array([s for _, s in info.rows], dtype=np.int8)
    row_lo = np.where(sense == 1, -np.inf, rhs)  # 1: <=, -1: >=, 0: ==
    row_up = np.where(sense == -1, np.inf, rhs)
    c = np.asarray(info.c.toarray()).ravel() if ncol else np.zeros(0)
    offset = _offset(info)
    status = h.passModel(
        int(ncol),
        int(nrow),
        int(A.nnz),
        1,  # column-wise
        1,  # minimise
        offset,
        c,
        lb,
        ub,
        row_lo,
        row_up,
        A.indptr[:-1].astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(float),
        np.zeros(ncol, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned an error)")
    col_of = {id(v): j for j, v in enumerate(cols)}
    row_of = {id(con): i for i, (con, _s) in enumerate(info.rows)}
    return col_of, row_of, info


def solve_model(
    m: pyo.ConcreteModel,
    *,
    method: str = DEFAULT_METHOD,
    time_limit_s: float | None = None,
    options: dict[str, Any] | None = None,
    export_lp: Path | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> Solution:
    """Hand ``m`` to HiGHS in memory, solve it and map the solution back.

    The solve runs in HiGHS's own thread (:func:`run_interruptible`): Ctrl-C cancels it within
    a fraction of a second and raises :class:`KeyboardInterrupt` here.

    Parameters
    ----------
    method
        ``simplex``, ``ipm`` (HiGHS's interior point with crossover), ``ipx`` (IPX only),
        ``pdlp`` or ``hipo`` (needs the
        ``highspy-extras`` package; :func:`plan` then builds the model with split investment
        columns, :data:`SPLIT_STEPS`, and :data:`METHOD_OPTIONS` apply).
    time_limit_s
        Wall-clock limit; reaching it gives status ``time_limit``.
    options
        Raw HiGHS options, applied last (over :data:`METHOD_OPTIONS` of the method).
    export_lp
        Also write the model (``.lp`` or ``.mps`` by extension) through HiGHS.
    progress
        Show HiGHS's log on the console.
    log
        Called with each message of HiGHS's log (whether or not it is shown on the console).
    """
    t0 = time.perf_counter()
    h = new_highs(progress)
    if log is not None:
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", bool(progress))
        h.cbLogging += lambda event: log(event.message)
    col_of, row_of, info = to_highs(m, h)
    handoff_s = time.perf_counter() - t0
    if export_lp is not None:
        _export(h, info, Path(export_lp))
    if h.setOptionValue("solver", METHODS[method]) != highspy.HighsStatus.kOk:
        raise InputError(
            f"this HiGHS build cannot use solver method {method!r}"
            " (HiPO needs the highspy-extras package)",
            field="solver.method",
            value=method,
            allowed="simplex, ipm, ipx, pdlp",
        )
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    opts = {**METHOD_OPTIONS.get(method, {}), **(options or {})}
    if method == "hipo":  # HiPO's factorisation is parallel; HiGHS's own default is half the cores
        opts.setdefault("threads", os.cpu_count() or 1)
    for key, val in opts.items():
        if h.setOptionValue(str(key), val) != highspy.HighsStatus.kOk:
            raise InputError(
                "HiGHS does not accept this option", field=f"solver.options.{key}", value=val
            )
    if "threads" in opts:  # HiGHS keeps one thread pool per process, sized by its first run
        highspy.Highs.resetGlobalScheduler(True)
    # The objective's constant (-ann*cap0 of the existing fleet, about -1.2e10 USD on the 2030
    # system) is added back after the solve: HiGHS's user scaling leaves it unscaled, where it
    # dominated the scaled objective and made HiPO's relative gap test stop early (0.17% above
    # the optimum at 8h).
    offset = _offset(info)  # known from the compiled form: no copy of the LP out of HiGHS
    h.changeObjectiveOffset(0.0)
    t1 = time.perf_counter()
    run_interruptible(h)
    status = _model_status(h)
    solver = f"highs-{method}"
    if status in FALLBACK_STATUSES and method != "simplex" and len(col_of) <= FALLBACK_MAX_COLUMNS:
        left = None if time_limit_s is None else time_limit_s - (time.perf_counter() - t1)
        if left is None or left > 0:
            _to_simplex(h, method, options or {}, left, log)
            run_interruptible(h)
            status = _model_status(h)
            solver = f"highs-{method}, then simplex"
    solve_s = time.perf_counter() - t1
    sol = h.getSolution()
    ncol = len(col_of)
    x = np.asarray(sol.col_value, dtype=float) if sol.value_valid else np.full(ncol, np.nan)
    y = np.asarray(sol.row_dual, dtype=float) if sol.dual_valid else np.full(len(row_of), np.nan)
    obj = float(h.getInfo().objective_function_value) + offset if sol.value_valid else float("nan")
    return Solution(
        status=status,
        objective=obj,
        col_value=x,
        row_dual=y,
        col_of=col_of,
        row_of=row_of,
        handoff_s=handoff_s,
        solve_s=solve_s,
        n_cols=ncol,
        n_rows=len(row_of),
        n_nz=int(info.A.nnz),
        solver=solver,
    )


#: Model statuses after which :func:`solve_model` solves the LP again by the simplex method,
#: on models of at most :data:`FALLBACK_MAX_COLUMNS` columns: the method stopped without a
#: verdict. HiPO ended "unknown" on the 2030 plan's 13 weeks from 1 May with the corridors into
#: the South out (228,422 columns); the simplex method found the optimum
#: (docs/dispatch.md). Larger models (the full hourly year, 1.2-1.3 M columns) keep the
#: status: there HiPO's "unknown" is an imprecise stop whose results are written and marked
#: (docs/model.md), and a simplex solve would take hours.
FALLBACK_STATUSES = ("unknown", "solve_error", "postsolve_error")
FALLBACK_MAX_COLUMNS = 500_000


def _model_status(h: highspy.Highs) -> str:
    """HiGHS's model status as a word (``optimal``, ``infeasible``, ``unknown``, ...)."""
    ms = h.getModelStatus()
    return STATUS.get(ms, h.modelStatusToString(ms).lower().replace(" ", "_"))


def _to_simplex(h: highspy.Highs, method: str, own: dict[str, Any], time_left_s, log) -> None:
    """Set ``h`` up to solve its LP again by the simplex method, from scratch, within what is
    left of the time limit: the options :data:`METHOD_OPTIONS` gave ``method`` (HiPO's: no
    presolve, scaled costs) go back to HiGHS's defaults unless the scenario set them
    (``own``). The Results say so in ``attrs['solver']`` (``highs-<method>, then simplex``)
    and the log (``highs.log``) gets a line."""
    msg = f"HiGHS's {method} ended without a verdict; solving the LP again by the simplex method"
    if log is not None:
        log(msg + "\n")
    defaults = new_highs(False)
    for key in sorted(set(METHOD_OPTIONS.get(method, {})) - set(own)):
        h.setOptionValue(key, defaults.getOptionValue(key)[1])
    h.setOptionValue("solver", "simplex")
    if time_left_s is not None:
        h.setOptionValue("time_limit", float(time_left_s))
    h.clearSolver()


#: Seconds to wait for HiGHS to stop after a cancel before giving up on its thread.
CANCEL_WAIT_S = 0.8


class SolveInterrupted(KeyboardInterrupt):
    """Ctrl-C during a HiGHS solve; ``still_running`` when HiGHS had not stopped yet.

    HiGHS polls for a cancel once per iteration; one interior-point iteration can take seconds
    on a large model. A process must not exit normally while HiGHS's thread runs (the C++
    runtime is torn down under it: a segmentation fault), so the CLI ends with ``os._exit``
    in that case (:func:`energy_sim.cli.common.user_errors`).
    """

    def __init__(self, still_running: bool) -> None:
        super().__init__("HiGHS solve interrupted")
        self.still_running = still_running


def run_interruptible(h: highspy.Highs, poll_s: float = 0.1) -> None:
    """Run ``h`` in HiGHS's solver thread; on Ctrl-C cancel it and re-raise.

    ``h.run()`` holds the main thread in C++ until the solve ends, so Python sees a
    ``KeyboardInterrupt`` only then (30 s and more on the 2030 model). Here the main thread waits
    in steps of ``poll_s``; a ``KeyboardInterrupt`` calls ``Highs.cancelSolve``, which the
    simplex and interior point interrupt callbacks honour at their next iteration, waits up to
    :data:`CANCEL_WAIT_S` for the thread to stop and raises :class:`SolveInterrupted`.

    Raises
    ------
    SolveInterrupted
        On Ctrl-C (a ``KeyboardInterrupt``), saying whether HiGHS's thread still runs.
    """
    h.HandleUserInterrupt = True
    h.startSolve()
    try:
        while not h.wait(poll_s)[0]:
            pass
    except KeyboardInterrupt:
        h.cancelSolve()
        deadline = time.monotonic() + CANCEL_WAIT_S
        stopped = False
        while not stopped and time.monotonic() < deadline:
            stopped = h.wait(poll_s)[0]
        raise SolveInterrupted(still_running=not stopped) from None


def _export(h: highspy.Highs, info: Any, path: Path) -> None:
    """Write the model with readable names through HiGHS (``.lp`` or ``.mps``)."""
    if path.suffix.lower() not in (".lp", ".mps"):
        raise InputError(
            "the model export must end in .lp or .mps", field="--export-lp", value=str(path)
        )
    names = [v.name.replace("[", "(").replace("]", ")") for v in info.columns]
    for j, name in enumerate(names):
        h.passColName(j, name)
    for i, (con, _sense) in enumerate(info.rows):  # mixed form: one row per constraint
        h.passRowName(i, con.name.replace("[", "(").replace("]", ")"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    h.writeModel(str(tmp))
    tmp.replace(path)


def plan(
    system: xr.Dataset,
    *,
    fixed_capacities: xr.Dataset | None = None,
    export_lp: Path | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Plan a System: build the LP, solve it with HiGHS and return the Results dataset.

    Parameters
    ----------
    system
        The System dataset (docs/architecture.md).
    fixed_capacities
        A Results dataset whose ``capacity_mw``, ``storage_power_mw``, ``corridor_capacity_mw``
        and ``tank_mwh_th`` fix every capacity (a pure dispatch LP).
    export_lp
        Also write the LP (``.lp`` / ``.mps``) to this path.
    progress
        Show the solver log on the console.
    log
        Called with each message of HiGHS's log (the CLI writes them to ``highs.log``).

    Returns
    -------
    xarray.Dataset
        Results with ``attrs['status']`` (``optimal`` or why not), ``build_s``, ``handoff_s``,
        ``solve_s``. An "optimal" answer that fails :func:`energy_sim.planning.results.check_invariants`
        gets status ``invariant_violation`` (and ``attrs['invariant_errors']``). A non-optimal
        status is never silently used: check ``attrs['status']``.
    """
    from energy_sim.planning.model import build_model

    method, limit, options = solver_settings(system)
    t0 = time.perf_counter()
    m = build_model(system, fixed_capacities=fixed_capacities, split_steps=SPLIT_STEPS.get(method))
    build_s = time.perf_counter() - t0
    sol = solve_model(
        m, method=method, time_limit_s=limit, options=options, export_lp=export_lp,
        progress=progress, log=log,
    )  # fmt: skip
    return checked_results(system, m, sol, build_s)


def checked_results(
    system: xr.Dataset, m: pyo.ConcreteModel, sol: Solution, build_s: float
) -> xr.Dataset:
    """The Results of a solve (:func:`energy_sim.planning.results.from_solution`); an optimal
    answer that fails :func:`~energy_sim.planning.results.check_invariants` gets status
    ``invariant_violation`` and ``attrs['invariant_errors']``."""
    from energy_sim.planning.results import check_invariants, from_solution

    results = from_solution(system, m, sol, build_s=build_s)
    if sol.status == "optimal":
        errors = check_invariants(system, results)
        if errors:
            results.attrs["status"] = "invariant_violation"
            results.attrs["invariant_errors"] = "; ".join(errors)
    return results


__all__ = [
    "AUTO_HIPO_STEPS",
    "DEFAULT_METHOD",
    "METHODS",
    "METHOD_OPTIONS",
    "SPLIT_STEPS",
    "Solution",
    "SolveInterrupted",
    "checked_results",
    "hipo_available",
    "plan",
    "run_interruptible",
    "solve_model",
    "solver_settings",
    "to_highs",
]
