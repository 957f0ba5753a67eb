"""Read and check the CSV tables of a data folder (``data/vietnam`` by default).

Every table is checked when it is read: a missing file or column, a value that is not a number,
an empty cell (NaN), a negative capacity or cost, a fraction outside 0..1, or a region, technology
or fuel that the folder does not define raises one :class:`~energy_sim.errors.InputError` that
names the file, the column and line, the value and what is allowed. ``data/README.md`` documents
every column; ``data/SOURCES.md`` says where each figure comes from.

The columns are defined in :mod:`energy_sim.inputs.data_schema`; the tables of one scenario
year (interpolated between table years) come from :mod:`energy_sim.inputs.data_year`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.data_schema import (
    ASSUMPTIONS,
    DEMAND_TAGS,
    KINDS,
    MONTHS,
    NAME_PATTERN,
    NO_FUEL,
    REGIONAL_COAL,
    SHARE_TOLERANCE,
    TABLES,
    Col,
)

# ------------------------------------------------------------------------------ one table


def _line(i: int) -> int:
    """File line of the data row at position ``i`` (line 1 is the header)."""
    return int(i) + 2


def read_table(path: Path, columns: Iterable[Col]) -> pd.DataFrame:
    """Read one CSV table and check every column.

    Parameters
    ----------
    path
        The CSV file.
    columns
        The columns (extra columns are kept, unchecked); one with ``may_be_absent`` may be left
        out of the file and is then read as all empty.

    Returns
    -------
    DataFrame with a default index (row ``i`` is file line ``i + 2``).

    Raises
    ------
    InputError
        Missing or unreadable file, missing column, empty cell, non-numeric or out-of-range value.
    """
    columns = tuple(columns)
    if not path.is_file():
        raise InputError("data file not found", file=path, allowed="an existing CSV file")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read the CSV table: {err}".splitlines()[0], file=path) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c.name for c in columns if c.name not in df.columns and not c.may_be_absent]
    if missing:
        raise InputError(
            "missing column",
            file=path,
            field=missing[0],
            allowed="columns " + ", ".join(c.name for c in columns),
        )
    for col in columns:
        if col.name not in df.columns:  # a column that may be left out: read as all empty
            df[col.name] = ""
        df[col.name] = _check_column(df[col.name].str.strip(), col, path)
    return df


def _check_column(raw: pd.Series, col: Col, path: Path) -> pd.Series:
    if col.kind in ("name", "text"):
        for i, v in raw.items():
            if v == "" or (col.kind == "name" and not NAME_PATTERN.match(v)):
                raise InputError(
                    "empty cell" if v == "" else "not a valid name",
                    file=path,
                    field=f"{col.name}, line {_line(i)}",
                    value=v if v else None,
                    allowed=col.allowed(),
                )
        return raw
    values = pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype(float)
    for i, v in values.items():
        text = raw[i]
        bad = None
        if text == "" or text.lower() in ("nan", "na", "null"):
            if col.optional:
                continue
            bad = "empty cell (NaN)"
        elif math.isnan(v):
            bad = "not a number"
        elif math.isinf(v) and not (col.allow_inf and v > 0):
            bad = "infinite value"
        elif col.kind == "int" and math.isfinite(v) and v != round(v):
            bad = "not a whole number"
        elif col.lo is not None and (v < col.lo or (col.lo_open and v == col.lo)):
            bad = "negative value" if col.lo == 0 and v < 0 else "value too small"
        elif col.hi is not None and (v > col.hi or (col.hi_open and v == col.hi)):
            bad = "value too large"
        if bad:
            raise InputError(
                bad,
                file=path,
                field=f"{col.name}, line {_line(i)}",
                value=text if text else None,
                allowed=col.allowed(),
            )
    if col.kind == "int":
        return values.round().astype("Int64") if col.optional else values.round().astype(int)
    return values


def _check_known(
    df: pd.DataFrame, column: str, known: Iterable[str], path: Path, what: str
) -> None:
    known = list(known)
    for i, v in df[column].items():
        if v not in known:
            raise InputError(
                f"unknown {what}",
                file=path,
                field=f"{column}, line {_line(i)}",
                value=v,
                allowed="one of " + ", ".join(known),
            )


def _check_unique(df: pd.DataFrame, keys: list[str], path: Path) -> None:
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        row = df.iloc[i]
        raise InputError(
            "duplicate row",
            file=path,
            field=f"{', '.join(keys)}, line {_line(df.index[i])}",
            value=", ".join(str(row[k]) for k in keys),
            allowed=f"one row per {', '.join(keys)}",
        )


# ------------------------------------------------------------------------------ the folder


@dataclass
class DataTables:
    """All checked tables of one data folder (see ``data/README.md`` for the columns)."""

    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def path(self, name: str) -> Path:
        """Path of table ``name`` (``"fleet"`` -> ``<folder>/fleet.csv``)."""
        return self.folder / f"{name}.csv"

    @property
    def regions(self) -> list[str]:
        """Region ids in the order of regions.csv."""
        return list(self["regions"]["region"])

    @property
    def techs(self) -> list[str]:
        """Technology ids in the order of technologies.csv."""
        return list(self["technologies"]["tech"])

    def assumption(self, name: str) -> float:
        """A named assumption of assumptions.csv."""
        table = self["assumptions"]
        return float(table.loc[table["name"] == name, "value"].iloc[0])


def read_data(folder: str | Path) -> DataTables:
    """Read and check every table of a data folder.

    Parameters
    ----------
    folder
        The data folder (e.g. ``data/vietnam``).

    Returns
    -------
    DataTables

    Raises
    ------
    InputError
        Missing folder, file or column; empty, non-numeric or out-of-range value; duplicate
        row; unknown region, technology, fuel or kind; incomplete demand or hydro table.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("data folder not found", file=folder, allowed="an existing folder")
    data = DataTables(folder)
    for file, cols in TABLES.items():
        data.tables[file.removesuffix(".csv")] = read_table(folder / file, cols)
    _check_folder(data)
    return data


def _check_folder(data: DataTables) -> None:
    """Cross-table checks: every name used is defined, every key is unique and complete."""
    p = data.path
    _check_unique(data["regions"], ["region"], p("regions"))
    _check_unique(data["technologies"], ["tech"], p("technologies"))
    regions, techs = data.regions, data.techs
    tech = data["technologies"]
    _check_known(tech, "kind", KINDS, p("technologies"), "technology kind")
    fuels = sorted(set(data["fuels"]["fuel"]))
    _check_known(tech, "fuel", [*fuels, NO_FUEL, REGIONAL_COAL], p("technologies"), "fuel")
    _check_known(data["regions"], "coal_fuel", fuels, p("regions"), "fuel")
    storage = tech[tech["kind"] == "storage"]
    for col in ("duration_h", "eff_charge", "eff_discharge"):
        bad = storage[storage[col] <= 0]
        if len(bad):
            raise InputError(
                "storage needs a positive value",
                file=p("technologies"),
                field=f"{col}, line {_line(bad.index[0])}",
                value=float(bad[col].iloc[0]),
                allowed="a number > 0 for kind storage",
            )
    for name, keys in (
        ("tech_costs", ["tech", "year"]),
        ("fuels", ["fuel", "year"]),
        ("build_limits", ["region", "tech", "year"]),
        ("build_ranges", ["tech", "year"]),
        ("corridors", ["from_region", "to_region"]),
        ("lng_hubs", ["hub", "year"]),
        ("hydro_monthly", ["region", "month"]),
        ("demand", ["year", "case"]),
        ("demand_regions", ["year", "region"]),
        ("assumptions", ["name"]),
    ):
        _check_unique(data[name], keys, p(name))
    for name in ("tech_costs", "fleet", "fleet_pdp8_2030", "build_limits", "build_ranges"):
        _check_known(data[name], "tech", techs, p(name), "technology")
    for name in (
        "fleet",
        "fleet_pdp8_2030",
        "build_limits",
        "lng_hubs",
        "hydro_monthly",
        "demand_regions",
    ):
        _check_known(data[name], "region", regions, p(name), "region")
    for name in ("fleet", "fleet_pdp8_2030"):
        _check_fleet_years(data[name], p(name))
    _check_known(data["demand"], "tag", DEMAND_TAGS, p("demand"), "tag")
    for col in ("from_region", "to_region"):
        _check_known(data["corridors"], col, regions, p("corridors"), "region")
    _check_complete(data)


def _check_fleet_years(fleet: pd.DataFrame, path: Path) -> None:
    """A row that lists both years must retire after it was commissioned."""
    both = fleet["commissioned"].notna() & fleet["retire_year"].notna()
    bad = fleet[both & (fleet["retire_year"] <= fleet["commissioned"])]
    if len(bad):
        i = bad.index[0]
        raise InputError(
            "retirement not after commissioning",
            file=path,
            field=f"retire_year, line {_line(i)}",
            value=int(bad.loc[i, "retire_year"]),
            allowed=f"> commissioned ({int(bad.loc[i, 'commissioned'])}) or empty",
        )


def _check_complete(data: DataTables) -> None:
    p = data.path
    missing = sorted(set(data.techs) - set(data["tech_costs"]["tech"]))
    if missing:
        raise InputError(
            "technology without cost rows",
            file=p("tech_costs"),
            field="tech",
            value=missing[0],
            allowed="at least one row per technology of technologies.csv",
        )
    cor = data["corridors"]
    same = cor[cor["from_region"] == cor["to_region"]]
    if len(same):
        raise InputError(
            "a corridor must join two different regions",
            file=p("corridors"),
            field=f"to_region, line {_line(same.index[0])}",
            value=same["to_region"].iloc[0],
        )
    pairs = [tuple(sorted(x)) for x in zip(cor["from_region"], cor["to_region"], strict=True)]
    if len(set(pairs)) != len(pairs):
        raise InputError(
            "two corridors join the same pair of regions",
            file=p("corridors"),
            field="from_region, to_region",
            allowed="one row per pair of regions",
        )
    hubs = data["lng_hubs"]
    for hub, group in hubs.groupby("hub"):
        if group["region"].nunique() > 1:
            raise InputError(
                "an LNG hub must stay in one region",
                file=p("lng_hubs"),
                field="region",
                value=f"{hub}: {', '.join(sorted(group['region'].unique()))}",
            )
        bad = group[group["tankmax_mwh_th"] < group["tank0_mwh_th"]]
        if len(bad):
            raise InputError(
                "maximum tank below the existing tank",
                file=p("lng_hubs"),
                field=f"tankmax_mwh_th, line {_line(bad.index[0])}",
                value=float(bad["tankmax_mwh_th"].iloc[0]),
                allowed=f">= tank0_mwh_th ({bad['tank0_mwh_th'].iloc[0]:g})",
            )
    if (hubs.groupby("region")["hub"].nunique() > 1).any():
        raise InputError(
            "more than one LNG hub in a region",
            file=p("lng_hubs"),
            field="region",
            allowed="at most one hub per region",
        )
    ranges = data["build_ranges"]
    bad = ranges[ranges["max_mw"] < ranges["min_mw"]]
    if len(bad):
        raise InputError(
            "max_mw below min_mw",
            file=p("build_ranges"),
            field=f"max_mw, line {_line(bad.index[0])}",
            value=float(bad["max_mw"].iloc[0]),
            allowed=f">= min_mw ({bad['min_mw'].iloc[0]:g})",
        )
    for region, group in data["hydro_monthly"].groupby("region"):
        if sorted(group["month"]) != list(MONTHS):
            raise InputError(
                "a region needs exactly the months 1..12",
                file=p("hydro_monthly"),
                field="month",
                value=f"{region}: {sorted(group['month'])}",
                allowed="12 rows per region, months 1..12",
            )
    demand = data["demand"]
    lf = demand["energy_twh"] * 1e6 / (8760.0 * demand["peak_mw"])
    if (lf > 1).any():
        i = lf.idxmax()
        raise InputError(
            "annual energy exceeds peak x 8760 h",
            file=p("demand"),
            field=f"energy_twh, line {_line(i)}",
            value=float(demand.loc[i, "energy_twh"]),
            allowed=f"<= {demand.loc[i, 'peak_mw'] * 8760 / 1e6:g} TWh for that peak",
        )
    for year, group in data["demand_regions"].groupby("year"):
        missing = sorted(set(data.regions) - set(group["region"]))
        if missing:
            raise InputError(
                "regional energy share missing for a region",
                file=p("demand_regions"),
                field="region",
                value=f"{year}: {missing[0]}",
                allowed="one row per region for every year",
            )
        total = float(group["energy_share"].sum())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise InputError(
                "regional energy shares of a year do not add up to 1",
                file=p("demand_regions"),
                field=f"energy_share, year {year}",
                value=round(total, 6),
                allowed=f"a sum within 1 +- {SHARE_TOLERANCE:g}",
            )
    names = set(data["assumptions"]["name"])
    for name, (lo, hi) in ASSUMPTIONS.items():
        if name not in names:
            raise InputError(
                "missing assumption",
                file=p("assumptions"),
                field="name",
                value=name,
                allowed="rows " + ", ".join(ASSUMPTIONS),
            )
        value = data.assumption(name)
        if not lo <= value <= hi:
            raise InputError(
                "assumption out of range",
                file=p("assumptions"),
                field=name,
                value=value,
                allowed=f"{lo:g}..{hi:g}",
            )
