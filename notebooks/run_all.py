"""Run every notebook top to bottom and store it with its outputs, so that a reader sees the
tables and figures without running anything.

    python notebooks/run_all.py            # the real settings (the scenario's resolution, 500 samples)
    python notebooks/run_all.py --fast     # ENERGY_SIM_FAST=1: a quick check, not results
    python notebooks/run_all.py --samples 30 03_energy_security.ipynb   # fewer sample years
    python notebooks/run_all.py 03_energy_security.ipynb    # one notebook

Each notebook runs in a fresh ``python3`` kernel from this folder, with ``ENERGY_SIM_RUNS``
pointing at a temporary folder (nothing is written into the working tree but the notebooks).
The notebook's metadata ``energy_sim`` records the version, the command, the date, whether
``ENERGY_SIM_FAST`` was set and the ``ENERGY_SIM_SAMPLES`` override (sample years per
assessment of notebook 03: 500 by default, over 11 minutes on 2 cores for its seven
assessments because stressed years that lose load take the full dispatch core; the stored
outputs use 100); execution timestamps are dropped so that a refresh that changes
nothing changes no line. CI does not use the stored outputs: ``tests/test_notebooks.py`` clears
them and runs every notebook from scratch.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def clear_outputs(book: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove every output and execution count (a notebook as if never run)."""
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return book


def execute(
    path: Path, runs: Path, fast: bool, samples: int | None = None, timeout: int = 14400
) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` from scratch in a fresh kernel; return it with outputs.

    Raises ``nbclient.exceptions.CellExecutionError`` (with the failing cell) on an error.
    """
    book = clear_outputs(nbformat.read(path, as_version=4))
    env = {"ENERGY_SIM_RUNS": str(runs)}
    if fast:
        env["ENERGY_SIM_FAST"] = "1"
    if samples is not None:
        env["ENERGY_SIM_SAMPLES"] = str(samples)
    keys = (*env, "ENERGY_SIM_FAST", "ENERGY_SIM_SAMPLES", "MPLBACKEND")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.pop("ENERGY_SIM_FAST", None)
    os.environ.pop("ENERGY_SIM_SAMPLES", None)
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend keeps the figures
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(
            book,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return book


def stamp(
    book: nbformat.NotebookNode, fast: bool, seconds: float, runs: Path, samples: int | None
) -> nbformat.NotebookNode:
    """Drop per-cell timestamps, write the temporary runs folder as ``$ENERGY_SIM_RUNS`` in the
    outputs, and record what made them in ``metadata.energy_sim``."""
    from energy_sim.outputs import provenance

    for cell in book.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            if "text" in out:
                out.text = out.text.replace(str(runs), "$ENERGY_SIM_RUNS")
            for kind in ("text/plain", "text/html"):
                if isinstance(out.get("data", {}).get(kind), str):
                    out.data[kind] = out.data[kind].replace(str(runs), "$ENERGY_SIM_RUNS")
    prov = provenance(command=["python", "notebooks/run_all.py", *sys.argv[1:]])
    book.metadata["energy_sim"] = {
        "version": prov["energy_sim_version"],
        "command": prov["command"],
        "created_utc": prov["created_utc"],
        "fast": fast,
        "samples": samples,
        "run_s": round(seconds, 1),
    }
    return book


def main(argv: list[str] | None = None) -> int:
    """Refresh the notebooks named in ``argv`` (default: every ``*.ipynb`` in this folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--fast", action="store_true", help="ENERGY_SIM_FAST=1 (a quick check)")
    parser.add_argument(
        "--samples", type=int, default=None, help="ENERGY_SIM_SAMPLES: sample years per assessment"
    )
    args = parser.parse_args(argv)
    paths = [HERE / n for n in args.notebooks] or sorted(HERE.glob("*.ipynb"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="energy_sim_notebooks_") as runs:
        for path in paths:
            started = time.perf_counter()
            book = execute(path, Path(runs), args.fast, args.samples)
            elapsed = time.perf_counter() - started
            nbformat.validate(book)
            nbformat.write(stamp(book, args.fast, elapsed, Path(runs), args.samples), path)
            print(f"{path.name}: {elapsed:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
