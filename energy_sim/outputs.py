"""What every file energy_sim writes shares: checked before the work, written atomically with
the user's umask, stamped with its provenance, and one writer per run folder at a time.

- :func:`check_folder` / :func:`check_file`: refuse an output place that cannot be written
  (an existing file where a folder is wanted, no permission) *before* a long solve, with one
  :class:`~energy_sim.errors.InputError`.
- :func:`atomic_write`: write to a temporary name beside the target, give it the mode a plain
  ``open()`` would (``0666 & ~umask``; ``tempfile.mkstemp`` makes ``0600``) and rename it.
- :func:`provenance`: the attrs every output carries (package version, command line, time,
  seed, scenario text and its hash, the plan it belongs to).
- :func:`folder_lock`: an exclusive lock of a run folder (the ``filelock`` package), so that two
  commands writing into one folder at the same time do not both report success.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import shlex
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import Any

from energy_sim.errors import InputError

__all__ = [
    "LOCK_NAME",
    "PROVENANCE_KEYS",
    "atomic_write",
    "check_file",
    "check_folder",
    "file_mode",
    "folder_lock",
    "new_run_id",
    "package_version",
    "provenance",
]

#: Attrs that say where an output came from (:func:`provenance` makes them; a plan adds
#: ``run_id``, the identity later files name as ``plan_run_id``).
PROVENANCE_KEYS = (
    "run_id",
    "energy_sim_version",
    "command",
    "created_utc",
    "scenario_name",
    "scenario_sha256",
    "scenario_yaml",
    "seed",
    "plan_run_id",
    "plan_scenario",
    "plan_file",
)

#: The lock file a command holds in a run folder while it writes there.
LOCK_NAME = ".energy-sim.lock"


def package_version() -> str:
    """The installed energy_sim version (``"unknown"`` when run from an uninstalled tree)."""
    try:
        return _dist_version("energy_sim")
    except PackageNotFoundError:  # pragma: no cover - the package is always installed in use
        return "unknown"


def file_mode() -> int:
    """The mode a new file gets from a plain ``open()``: ``0o666 & ~umask``."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    The file gets the mode of :func:`file_mode` (the user's umask decides who may read it).
    Nothing is left behind when ``write`` fails or is interrupted.

    Parameters
    ----------
    path
        The file to write; its folder is created if missing.
    write
        Writes the whole content to the path it is given.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _writable_folder(folder: Path, field: str) -> None:
    """Raise :class:`InputError` unless ``folder`` is, or can become, a writable folder."""
    probe = folder
    while not probe.exists():  # the nearest existing ancestor decides
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise InputError(
            "not a folder: a file of that name exists" if probe == folder else (
                f"cannot create the folder: {probe} is a file"
            ),
            field=field,
            value=str(folder),
            allowed="a folder (new or existing) that you may write to",
        )  # fmt: skip
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(
            "no permission to write there"
            + ("" if probe == folder else f" (cannot create folders in {probe})"),
            field=field,
            value=str(folder),
            allowed="a folder (new or existing) that you may write to",
        )


def check_folder(folder: str | Path, field: str = "--out") -> Path:
    """Check, before any long work, that results can be written into ``folder``.

    Nothing is created. Raises :class:`InputError` naming ``field`` when ``folder`` is an
    existing file, or it (or, when it does not exist yet, the nearest existing parent) is not
    writable.
    """
    path = Path(folder)
    _writable_folder(path, field)
    return path


def check_file(path: str | Path, field: str = "--output") -> Path:
    """Check, before any long work, that the file ``path`` can be written (or replaced).

    Raises :class:`InputError` naming ``field`` when ``path`` is an existing folder or its
    folder cannot be written to.
    """
    target = Path(path)
    if target.is_dir():
        raise InputError(
            "this is a folder, not a file",
            field=field,
            value=str(target),
            allowed="a file path in a folder you may write to",
        )
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(
            "no permission to replace this file",
            field=field,
            value=str(target),
            allowed="a file path in a folder you may write to",
        )
    _writable_folder(target.parent if str(target.parent) else Path("."), field)
    return target


def new_run_id() -> str:
    """A new identifier of a plan (``uuid4`` hex): what later files name as their plan."""
    return uuid.uuid4().hex


def provenance(
    *,
    scenario: Any = None,
    seed: int | None = None,
    plan: Any = None,
    command: list[str] | None = None,
) -> dict[str, str | int]:
    """The provenance attrs of an output file (NetCDF attrs, JSON keys, figure metadata).

    Parameters
    ----------
    scenario
        A :class:`~energy_sim.inputs.scenario.Scenario`: its resolved YAML (``Scenario.to_yaml``) is
        stored as ``scenario_yaml`` with its SHA-256 and name.
    seed
        The seed of the random draws, if any.
    plan
        A plan Results dataset (its ``run_id`` and ``scenario``) or a path to one; recorded as
        ``plan_run_id``, ``plan_scenario`` and ``plan_file``, and ``plan_period`` for one
        period of a pathway.
    command
        The command line (default ``sys.argv``).

    Returns
    -------
    dict
        ``energy_sim_version``, ``command``, ``created_utc``, and those of the above given.
    """
    out: dict[str, str | int] = {
        "energy_sim_version": package_version(),
        "command": shlex.join(
            [Path(sys.argv[0]).name, *sys.argv[1:]] if command is None else command
        ),
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    if scenario is not None:
        text = scenario.to_yaml()
        out["scenario_name"] = str(scenario.name)
        out["scenario_yaml"] = text
        out["scenario_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    if seed is not None:
        out["seed"] = int(seed)
    if plan is not None:
        attrs = getattr(plan, "attrs", None)
        if attrs is not None:
            out["plan_run_id"] = str(attrs.get("run_id", ""))
            out["plan_scenario"] = str(attrs.get("scenario", ""))
            if attrs.get("source_file"):
                out["plan_file"] = str(attrs["source_file"])
            if attrs.get("period") is not None:  # one period of a pathway (--period)
                out["plan_period"] = int(attrs["period"])
        else:
            out["plan_file"] = str(Path(plan).resolve())
    return out


@contextmanager
def folder_lock(folder: str | Path, field: str = "--out") -> Iterator[Path]:
    """Hold an exclusive lock of ``folder`` (created if missing) while writing into it.

    A second command that asks for the lock while the first holds it gets an
    :class:`InputError` at once (it does not wait and does not overwrite the first's files).
    The lock file (:data:`LOCK_NAME`) stays in the folder; only the lock itself is released.
    When the work fails or is interrupted in a folder this call created, the folder is removed
    again if nothing else was written into it.
    """
    from filelock import FileLock, Timeout

    path = Path(folder)
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path / LOCK_NAME), mode=file_mode())
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise InputError(
            "another energy-sim command is writing into this folder",
            field=field,
            value=str(path),
            allowed="wait for it to finish, or choose another folder",
        ) from None
    try:
        yield path
    except BaseException:
        lock.release()
        if created and [p.name for p in path.iterdir()] in ([], [LOCK_NAME]):
            (path / LOCK_NAME).unlink(missing_ok=True)
            path.rmdir()
        raise
    lock.release()
