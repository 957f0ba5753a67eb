"""The tables of a data folder: their columns, the values each column allows, and the names
the System gives a meaning to (technology kinds, the regional coal fuel, demand tags).

:mod:`energy_sim.inputs.data` reads a folder against these definitions;
``data/README.md`` documents every column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
#: What an identifier (region, technology, fuel, case) may look like.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Col:
    """One column of a table: its type and the values allowed.

    ``kind`` is ``name`` (an identifier), ``text``, ``num`` (float) or ``int``. Numbers are
    checked against ``lo``/``hi`` (inclusive unless ``lo_open``/``hi_open``); ``optional``
    numbers may be empty; ``inf`` is allowed only where ``allow_inf``; a column with
    ``may_be_absent`` may be left out of the file altogether (read as all empty, so it must be
    ``optional`` too).
    """

    name: str
    kind: str = "num"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    optional: bool = False
    allow_inf: bool = False
    may_be_absent: bool = False

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


#: Commissioning year of a fleet row (``commissioned``): with the technology's ``lifetime_yr`` it
#: gives the row's retirement when no ``retire_year`` is listed
#: (:func:`energy_sim.inputs.data_year.retirement_years`).
COMMISSIONED_YEARS = (1950, 2050)


def _fleet() -> tuple[Col, ...]:
    lo, hi = COMMISSIONED_YEARS
    return (
        Col("region", "name"),
        Col("tech", "name"),
        _num("capacity_mw"),
        Col("commissioned", "int", lo, hi, optional=True, may_be_absent=True),
        Col("retire_year", "int", 1900, 2200, optional=True),
    )


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
    "fleet.csv": _fleet(),
    "fleet_pdp8_2030.csv": _fleet(),
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
