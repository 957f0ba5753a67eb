"""Writing an assessment: ``{stem}.nc`` and ``{stem}.json``, each atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import xarray as xr

from energy_sim.adequacy.summary import assessment_summary

__all__ = ["atomic_write", "write_assessment"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Nothing is left behind when ``write`` fails; the file gets the usual mode (``0666 & ~umask``).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_assessment(ds: xr.Dataset, out_dir: str | Path, stem: str = "assessment") -> list[Path]:
    """Write ``{stem}.nc`` and ``{stem}.json`` into ``out_dir``, each atomically.

    Returns
    -------
    list of Path
        The two files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nc, js = out / f"{stem}.nc", out / f"{stem}.json"
    encoded = ds.copy()
    for var in encoded.data_vars:
        if encoded[var].dtype == bool:
            encoded[var] = encoded[var].astype("int8")
    atomic_write(nc, lambda p: encoded.to_netcdf(p, engine="h5netcdf"))
    text = json.dumps(assessment_summary(ds), indent=2, default=float)
    atomic_write(js, lambda p: p.write_text(text + "\n"))
    return [nc, js]
