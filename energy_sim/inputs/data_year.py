"""The data tables of one scenario year.

Values given for a few table years (technology costs, fuel prices, build limits, LNG hubs) are
interpolated linearly for the scenario year, ``x(y) = x(y0) + (y - y0)/(y1 - y0) * (x(y1) - x(y0))``,
and held constant outside the table's years; the demand pair is interpolated geometrically
(:func:`demand_pair`). The tables are read and checked by :func:`energy_sim.inputs.data.read_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs.data import DataTables

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


def fleet_table(data: DataTables, fleet: str) -> pd.DataFrame:
    """The rows of a fleet: ``end2025`` (fleet.csv) or ``pdp8_2030`` (fleet_pdp8_2030.csv)."""
    return data["fleet" if fleet == "end2025" else f"fleet_{fleet}"]


def retirement_years(data: DataTables, fleet: str) -> pd.Series:
    """The first year each row of a fleet no longer stands (NaN: it stands in every year).

    The rule: a row stands in year ``y`` when

    - ``retire_year > y``, if ``retire_year`` is given (a listed retirement wins);
    - otherwise ``commissioned + lifetime_yr(tech) > y``, if ``commissioned`` is given
      (``lifetime_yr`` from technologies.csv);
    - otherwise always.

    So the retirement year is ``retire_year``, else ``commissioned + lifetime_yr``, else none.
    A row is not removed before its commissioning year: a fleet table is a starting fleet.

    Parameters
    ----------
    data
        The data tables.
    fleet
        ``end2025`` (fleet.csv) or ``pdp8_2030`` (fleet_pdp8_2030.csv).

    Returns
    -------
    Series of float years indexed like the fleet table (NaN where the row never retires).
    """
    table = fleet_table(data, fleet)
    life = table["tech"].map(data["technologies"].set_index("tech")["lifetime_yr"])
    listed = table["retire_year"].astype("Float64")
    by_life = table["commissioned"].astype("Float64") + life.astype("Float64")
    return listed.fillna(by_life).astype(float).rename("retirement_year")


def existing_capacity(data: DataTables, fleet: str, year: int) -> pd.DataFrame:
    """Existing capacity (MW) by region x tech in ``year``: the rows still standing then.

    A row stands when its retirement year (:func:`retirement_years`: the listed
    ``retire_year``, else ``commissioned + lifetime_yr``, else none) is empty or ``> year``.

    Parameters
    ----------
    fleet
        ``end2025`` (fleet.csv) or ``pdp8_2030`` (fleet_pdp8_2030.csv).
    """
    table = fleet_table(data, fleet)
    retire = retirement_years(data, fleet)
    alive = retire.isna() | (retire > year)
    cap = table[alive.to_numpy()].pivot_table(
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
