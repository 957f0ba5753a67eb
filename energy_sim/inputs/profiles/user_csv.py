"""A user's own hourly profile from a CSV file, checked cell by cell (:func:`read_profile_csv`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.profiles.calendar import HOURS, year_index

__all__ = ["read_profile_csv"]

_TIME_COLUMNS = {"time", "timestamp", "datetime", "date", "hour", "t"}
_MISSING = {"", "nan", "na", "n/a", "null", "none"}


def read_profile_csv(
    path: str | Path,
    columns: Sequence[str],
    kind: str,
    lower: float = 0.0,
    upper: float | None = None,
    *,
    year: int | None = None,
) -> pd.DataFrame:
    """Read a user's hourly profile: 8760 rows, one numeric column per name in ``columns``.

    A leading time column (``time``, ``timestamp``, ``datetime``, ``date``, ``hour``) is allowed
    and ignored; other extra columns are ignored too. Every cell of the named columns must be a
    finite number in ``[lower, upper]``.

    Parameters
    ----------
    path
        The CSV file.
    columns
        Column names required (usually the regions).
    kind
        What the profile is (``demand``, ``solar``, ...), used in messages.
    lower, upper
        Allowed range (``upper=None``: no upper bound).
    year
        If given, the result is indexed by :func:`year_index` of that year; else ``0..8759``.

    Raises
    ------
    InputError
        Missing file, wrong number of rows, missing column, empty or NaN cell, non-numeric
        cell, value out of range. The message names the file, the column, the row and the value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{kind} profile file not found", file=path, allowed="an existing CSV file"
        )
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(
            f"{kind} profile is not a readable CSV ({str(err).splitlines()[0]})", file=path
        ) from None
    table.columns = [str(c).strip() for c in table.columns]
    if len(table) != HOURS:
        raise InputError(
            f"{kind} profile has the wrong number of rows",
            file=path,
            value=len(table),
            allowed=f"{HOURS} rows after the header (one per hour of a 365-day year)",
        )
    out = {}
    for name in columns:
        if name not in table.columns:
            present = [c for c in table.columns if c.lower() not in _TIME_COLUMNS]
            raise InputError(
                f"{kind} profile has no column {name!r}",
                file=path,
                field=name,
                value=", ".join(present) if present else None,
                allowed=f"a header with the columns {', '.join(columns)}",
            )
        text = table[name].str.strip()
        missing = text.str.lower().isin(_MISSING).to_numpy()
        if missing.any():
            row = int(np.argmax(missing))
            raise InputError(
                f"empty or NaN cell in row {row + 1} (line {row + 2})",
                file=path,
                field=name,
                value=table[name].iloc[row],
                allowed="a number in every row",
            )
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"not a finite number in row {row + 1} (line {row + 2})",
                file=path,
                field=name,
                value=table[name].iloc[row],
                allowed="a finite number",
            )
        out_of_range = (values < lower) | (values > upper if upper is not None else False)
        if np.any(out_of_range):
            row = int(np.argmax(out_of_range))
            allowed = f">= {lower:g}" if upper is None else f"{lower:g} .. {upper:g}"
            raise InputError(
                f"value out of range in row {row + 1} (line {row + 2})",
                file=path,
                field=name,
                value=float(values[row]),
                allowed=allowed,
            )
        out[name] = values
    index = year_index(year) if year is not None else pd.RangeIndex(HOURS, name="hour")
    return pd.DataFrame(out, index=index, columns=list(columns))
