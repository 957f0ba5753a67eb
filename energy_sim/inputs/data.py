"""Read and check the CSV tables of a data folder (``data/vietnam`` by default).

Every table is checked when it is read: a missing file or column, a value that is not a number,
an empty cell (NaN), a negative capacity or cost, a fraction outside 0..1, or a region, technology
or fuel that the folder does not define raises one :class:`~energy_sim.errors.InputError` that
names the file, the column and line, the value and what is allowed. ``data/README.md`` documents
every column; ``data/SOURCES.md`` says where each figure comes from.

Values given for a few table years (technology costs, fuel prices, build limits, LNG hubs) are
interpolated linearly for the scenario year, ``x(y) = x(y0) + (y - y0)/(y1 - y0) * (x(y1) - x(y0))``,
and held constant outside the table's years.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from energy_sim.errors import InputError

#: Technology kinds and what the System does with them.
KINDS = (
    "thermal",
    "hydro_reservoir",
    "hydro_ror",
    "solar_utility",
    "solar_rooftop",
    "wind_onshore",
    "wind_offshore",
    "import",
    "storage",
)
#: A technology's ``fuel`` may name a fuel of fuels.csv, ``none``, or ``coal`` (the region's
#: ``coal_fuel`` of regions.csv).
NO_FUEL = "none"
REGIONAL_COAL = "coal"
MONTHS = tuple(range(1, 13))
#: How a row of demand.csv was obtained (data/SOURCES.md gives the source of each).
DEMAND_TAGS = ("published", "interpolated", "estimate")
#: The regional energy shares of one year must add up to 1 within this tolerance (they are
#: normalised to exactly 1 when used).
SHARE_TOLERANCE = 0.005
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Col:
    """One column of a table: its type and the values allowed.

    ``kind`` is ``name`` (an identifier), ``text``, ``num`` (float) or ``int``. Numbers are
    checked against ``lo``/``hi`` (inclusive unless ``lo_open``/``hi_open``); ``optional``
    numbers may be empty; ``inf`` is allowed only where ``allow_inf``.
    """

    name: str
    kind: str = "num"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    optional: bool = False
    allow_inf: bool = False

    def allowed(self) -> str:
        """The rule, in words, for error messages."""
        if self.kind == "name":
            return "a lower-case name (letters, digits, _)"
        if self.kind == "text":
            return "any text"
        what = "a whole number" if self.kind == "int" else "a number"
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {self.hi:g}")
        text = f"{what} {' and '.join(parts)}" if parts else what
        if self.allow_inf:
            text += " or inf"
        if self.optional:
            text += " (or empty)"
        return text


def _num(name: str, lo: float | None = 0.0, hi: float | None = None, **kw) -> Col:
    return Col(name, "num", lo, hi, **kw)


def _frac(name: str, **kw) -> Col:
    return Col(name, "num", 0.0, 1.0, **kw)


#: The tables of a data folder: file name -> columns.
TABLES: dict[str, tuple[Col, ...]] = {
    "regions.csv": (
        Col("region", "name"),
        Col("name", "text"),
        _num("latitude", -90, 90),
        _num("longitude", -180, 180),
        Col("coal_fuel", "name"),
        _frac("solar_utility_cf"),
        _frac("solar_rooftop_cf"),
        _frac("wind_onshore_cf"),
        _frac("wind_offshore_cf"),
    ),
    "technologies.csv": (
        Col("tech", "name"),
        Col("name", "text"),
        Col("kind", "name"),
        Col("fuel", "name"),
        _num("lifetime_yr", 0, lo_open=True),
        _frac("capacity_credit"),
        _frac("forced_outage_rate", hi_open=True),
        _num("mttr_h", 0, lo_open=True),
        _num("unit_size_mw", 0, lo_open=True),
        _frac("planned_derate", hi_open=True),
        Col("is_clean", "int", 0, 1),
        _num("duration_h"),
        _frac("eff_charge"),
        _frac("eff_discharge"),
        _frac("loss_per_h", hi_open=True),
    ),
    "tech_costs.csv": (
        Col("tech", "name"),
        Col("year", "int", 1900, 2200),
        _num("capex_musd_per_mw"),
        _num("capex_energy_musd_per_mwh"),
        _num("fom_kusd_per_mw_yr"),
        _num("vom_usd_per_mwh"),
        _frac("efficiency", lo_open=True),
    ),
    "fuels.csv": (
        Col("fuel", "name"),
        Col("year", "int", 1900, 2200),
        _num("price_usd_per_gj"),
        _num("co2_t_per_mwh_th"),
    ),
    "fleet.csv": (
        Col("region", "name"),
        Col("tech", "name"),
        _num("capacity_mw"),
        Col("retire_year", "int", 1900, 2200, optional=True),
    ),
    "fleet_pdp8_2030.csv": (
        Col("region", "name"),
        Col("tech", "name"),
        _num("capacity_mw"),
        Col("retire_year", "int", 1900, 2200, optional=True),
    ),
    "build_limits.csv": (
        Col("region", "name"),
        Col("tech", "name"),
        Col("year", "int", 1900, 2200),
        _num("max_mw", allow_inf=True),
    ),
    "build_ranges.csv": (
        Col("tech", "name"),
        Col("year", "int", 1900, 2200),
        _num("min_mw"),
        _num("max_mw", allow_inf=True),
    ),
    "corridors.csv": (
        Col("from_region", "name"),
        Col("to_region", "name"),
        _num("capacity_mw"),
        _num("length_km", 0, lo_open=True),
        _frac("efficiency", lo_open=True),
        _num("voltage_kv", 0, lo_open=True),
        Col("circuits", "int", 1),
        _num("capex_usd_per_mw_km"),
        _frac("fom_frac"),
        _num("lifetime_yr", 0, lo_open=True),
        _frac("import_credit"),
        _num("max_new_mw_2030", allow_inf=True),
        _num("max_new_mw_2045", allow_inf=True),
    ),
    "lng_hubs.csv": (
        Col("hub", "name"),
        Col("region", "name"),
        Col("year", "int", 1900, 2200),
        _num("terminal_mtpa"),
        _num("regas_mw_th"),
        _num("tank0_mwh_th"),
        _num("tankmax_mwh_th", allow_inf=True),
        _num("tank_capex_usd_per_mwh_th"),
        _num("reserve_days"),
        _num("contract_mwh_th", allow_inf=True),
    ),
    "hydro_monthly.csv": (
        Col("region", "name"),
        Col("month", "int", 1, 12),
        _frac("reservoir_cf_normal"),
        _frac("reservoir_cf_dry"),
        _frac("ror_cf_normal"),
        _frac("ror_cf_dry"),
    ),
    "demand.csv": (
        Col("year", "int", 1900, 2200),
        Col("case", "name"),
        _num("energy_twh", 0, lo_open=True),
        _num("peak_mw", 0, lo_open=True),
        Col("tag", "name"),
    ),
    "demand_regions.csv": (
        Col("year", "int", 1900, 2200),
        Col("region", "name"),
        _frac("energy_share"),
    ),
    "assumptions.csv": (
        Col("name", "name"),
        _num("value", None),
        Col("unit", "text"),
        Col("meaning", "text"),
    ),
}
#: Named assumptions every data folder must define, with their allowed range.
ASSUMPTIONS = {"discount_rate": (0.0, 1.0), "tank_lifetime_yr": (1.0, 200.0)}


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
        The required columns (extra columns are kept, unchecked).

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
    missing = [c.name for c in columns if c.name not in df.columns]
    if missing:
        raise InputError(
            "missing column",
            file=path,
            field=missing[0],
            allowed="columns " + ", ".join(c.name for c in columns),
        )
    for col in columns:
        df[col.name] = _check_column(df[col.name].str.strip(), col, path)
    return df


def _check_column(raw: pd.Series, col: Col, path: Path) -> pd.Series:
    if col.kind in ("name", "text"):
        for i, v in raw.items():
            if v == "" or (col.kind == "name" and not _NAME.match(v)):
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
    _check_known(data["demand"], "tag", DEMAND_TAGS, p("demand"), "tag")
    for col in ("from_region", "to_region"):
        _check_known(data["corridors"], col, regions, p("corridors"), "region")
    _check_complete(data)


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


# ------------------------------------------------------------------------- by scenario year


def interpolate_years(table: pd.DataFrame, key: str, year: int, columns: list[str]) -> pd.DataFrame:
    """Values of ``columns`` for ``year``, interpolated linearly between table years per ``key``.

    ``x(y) = x(y0) + (y - y0)/(y1 - y0) * (x(y1) - x(y0))`` for ``y0 <= y <= y1``; held at the
    first or last table year outside the table's range.

    Returns
    -------
    DataFrame indexed by ``key`` (in the table's order) with ``columns``.
    """
    out = {}
    for name, group in table.groupby(key, sort=False):
        group = group.sort_values("year")
        years = group["year"].to_numpy(dtype=float)
        out[name] = {
            c: float(np.interp(year, years, group[c].to_numpy(dtype=float))) for c in columns
        }
    frame = pd.DataFrame.from_dict(out, orient="index", columns=columns)
    frame.index.name = key
    return frame


def tech_table(data: DataTables, year: int) -> pd.DataFrame:
    """technologies.csv joined with tech_costs.csv interpolated to ``year`` (index ``tech``)."""
    cost_cols = [
        "capex_musd_per_mw",
        "capex_energy_musd_per_mwh",
        "fom_kusd_per_mw_yr",
        "vom_usd_per_mwh",
        "efficiency",
    ]
    costs = interpolate_years(data["tech_costs"], "tech", year, cost_cols)
    return data["technologies"].set_index("tech").join(costs)


def fuel_table(data: DataTables, year: int) -> pd.DataFrame:
    """Fuel price (USD/GJ) and CO2 content (tCO2/MWh_th) for ``year`` (index ``fuel``)."""
    return interpolate_years(data["fuels"], "fuel", year, ["price_usd_per_gj", "co2_t_per_mwh_th"])


def existing_capacity(data: DataTables, fleet: str, year: int) -> pd.DataFrame:
    """Existing capacity (MW) by region x tech in ``year``: rows not retired by then.

    A row counts when ``retire_year`` is empty or ``retire_year > year``.

    Parameters
    ----------
    fleet
        ``end2025`` (fleet.csv) or ``pdp8_2030`` (fleet_pdp8_2030.csv).
    """
    table = data["fleet" if fleet == "end2025" else f"fleet_{fleet}"]
    alive = table["retire_year"].isna() | (table["retire_year"] > year)
    cap = table[alive.fillna(True).astype(bool)].pivot_table(
        index="region", columns="tech", values="capacity_mw", aggfunc="sum", fill_value=0.0
    )
    return cap.reindex(index=data.regions, columns=data.techs, fill_value=0.0).astype(float)


def fleet_below_existing(data: DataTables, fleet: str, year: int) -> pd.DataFrame:
    """Region/technology pairs where ``fleet`` has less capacity in ``year`` than the end-2025
    fleet still alive then: a plan that shrinks a fleet without listing the retirement.

    ``short[r, j] = cap_end2025(r, j, year) - cap_fleet(r, j, year)`` for every pair with
    ``short > 0`` (both fleets net of the retirements they list, :func:`existing_capacity`).

    Returns
    -------
    DataFrame with columns ``region``, ``tech``, ``end2025_mw``, ``fleet_mw``, ``short_mw``
    (empty when the fleet is consistent).
    """
    base = existing_capacity(data, "end2025", year).stack()
    plan = existing_capacity(data, fleet, year).stack()
    short = base - plan
    bad = short[short > 1e-6]
    return pd.DataFrame(
        {
            "region": [r for r, _ in bad.index],
            "tech": [t for _, t in bad.index],
            "end2025_mw": base[bad.index].to_numpy(),
            "fleet_mw": plan[bad.index].to_numpy(),
            "short_mw": bad.to_numpy(),
        }
    )


def build_limit(data: DataTables, year: int) -> pd.DataFrame:
    """Maximum total capacity (MW) by region x tech for ``year`` (interpolated; 0 where absent)."""
    table = data["build_limits"]
    table = table.assign(key=table["region"] + "/" + table["tech"])
    lim = interpolate_years(table, "key", year, ["max_mw"])["max_mw"]
    out = pd.DataFrame(0.0, index=data.regions, columns=data.techs)
    for key, value in lim.items():
        region, tech = str(key).split("/")
        out.loc[region, tech] = value
    return out


def build_ranges(data: DataTables, year: int) -> pd.DataFrame:
    """National PDP8 ranges (min_mw, max_mw) for exactly ``year`` (index ``tech``; may be empty)."""
    table = data["build_ranges"]
    return table[table["year"] == year].set_index("tech")[["min_mw", "max_mw"]]


@dataclass(frozen=True)
class DemandPair:
    """A year's national demand: annual energy paired with its coincident peak (``Pmax``).

    Revised PDP8 (Decision 768) publishes each demand case as such a pair, e.g. 2030 low
    560.4 TWh with 89,655 MW. ``tag`` says how the row was obtained (``published``,
    ``interpolated`` or ``estimate``; data/SOURCES.md gives the source).
    """

    year: int
    case: str
    energy_twh: float
    peak_mw: float
    tag: str

    @property
    def load_factor(self) -> float:
        """``LF = E / (8760 h * Pmax)``."""
        return self.energy_twh * 1e6 / (8760.0 * self.peak_mw)


def _bracket(years: list[int], year: int, file: Path, what: str) -> tuple[int, int]:
    """The table years ``y0 <= year <= y1`` around ``year`` (no extrapolation)."""
    if not years or not years[0] <= year <= years[-1]:
        raise InputError(
            f"no {what} for this year",
            file=file,
            field="year",
            value=year,
            allowed=f"{years[0]}..{years[-1]}" if years else "a table with rows",
        )
    return max(y for y in years if y <= year), min(y for y in years if y >= year)


def demand_pair(data: DataTables, year: int, case: str) -> DemandPair:
    """National annual energy and coincident peak of ``case`` in ``year`` (demand.csv).

    Between table years both are interpolated geometrically (constant growth rate),
    ``x(y) = x(y0) * (x(y1)/x(y0))^((y - y0)/(y1 - y0))``; such a year is tagged
    ``interpolated``.

    Raises
    ------
    InputError
        The case is not in demand.csv, or the year is outside the table's years for that case.
    """
    table = data["demand"]
    rows = table[table["case"] == case]
    if rows.empty:
        raise InputError(
            "unknown demand case",
            file=data.path("demand"),
            field="case",
            value=case,
            allowed="one of " + ", ".join(sorted(set(table["case"]))),
        )
    rows = rows.set_index("year")
    y0, y1 = _bracket(sorted(rows.index), year, data.path("demand"), f"demand of case {case}")
    a, b = rows.loc[y0], rows.loc[y1]
    if y0 == y1:
        return DemandPair(year, case, float(a["energy_twh"]), float(a["peak_mw"]), str(a["tag"]))
    f = (year - y0) / (y1 - y0)
    energy = float(a["energy_twh"] * (b["energy_twh"] / a["energy_twh"]) ** f)
    peak = float(a["peak_mw"] * (b["peak_mw"] / a["peak_mw"]) ** f)
    return DemandPair(year, case, energy, peak, "interpolated")


def demand_shares(data: DataTables, year: int) -> pd.Series:
    """Regional shares of national energy in ``year`` (demand_regions.csv), summing to 1.

    Between table years each share is interpolated linearly, then the shares are divided by
    their sum, ``s_r(y) = s~_r(y) / sum_r s~_r(y)``; outside the table's years the first or last
    year's shares hold (shares are a split, not a forecast).
    """
    table = data["demand_regions"]
    if table.empty:
        raise InputError(
            "no regional energy shares",
            file=data.path("demand_regions"),
            allowed="one row per region for at least one year",
        )
    share = interpolate_years(table, "region", year, ["energy_share"])["energy_share"]
    share = share.reindex(data.regions)
    return share / share.sum()


def demand_table(data: DataTables, year: int, case: str) -> pd.DataFrame:
    """Annual energy by region for ``year`` and ``case``: ``E_r = s_r(y) * E(y)``.

    Returns
    -------
    DataFrame indexed by region with ``energy_twh`` and ``energy_share``; the national
    coincident peak the regions are scaled to is :func:`demand_pair`'s ``peak_mw``.
    """
    pair = demand_pair(data, year, case)
    share = demand_shares(data, year)
    return pd.DataFrame({"energy_twh": share * pair.energy_twh, "energy_share": share})


def hub_table(data: DataTables, year: int) -> pd.DataFrame:
    """LNG hubs for ``year`` (index ``hub``; numeric columns interpolated, plus ``region``)."""
    table = data["lng_hubs"]
    cols = [
        "regas_mw_th",
        "tank0_mwh_th",
        "tankmax_mwh_th",
        "tank_capex_usd_per_mwh_th",
        "reserve_days",
        "contract_mwh_th",
    ]
    out = interpolate_years(table, "hub", year, cols)
    out.insert(0, "region", table.groupby("hub", sort=False)["region"].first())
    return out


def corridor_table(data: DataTables, year: int) -> pd.DataFrame:
    """Corridors with ``max_new_mw`` for ``year`` (interpolated between 2030 and 2045).

    Index: corridor id ``"{from_region}-{to_region}"``.
    """
    cor = data["corridors"].copy()
    y = float(np.clip(year, 2030, 2045))
    f = (y - 2030.0) / 15.0
    a, b = cor["max_new_mw_2030"], cor["max_new_mw_2045"]
    cor["max_new_mw"] = np.where(np.isinf(a) | np.isinf(b), np.maximum(a, b), a + f * (b - a))
    cor.index = pd.Index(cor["from_region"] + "-" + cor["to_region"], name="corridor")
    return cor


def hydro_monthly(data: DataTables, column: str) -> pd.DataFrame:
    """One column of hydro_monthly.csv as a month (1..12) x region table (regions with rows)."""
    table = data["hydro_monthly"].pivot(index="month", columns="region", values=column)
    return table.reindex(columns=[r for r in data.regions if r in table.columns]).sort_index()
