"""Who is in the System and what may be built: the generator and storage groups (region x
technology) with their existing and maximum capacity, the fuel and LNG hub of each group, the
national build ranges and the regional reserve margins of the scenario.

:func:`energy_sim.inputs.system.build_hourly_system` calls these in turn; each raises an
:class:`~energy_sim.errors.InputError` that names the file or scenario field at fault.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from energy_sim.errors import InputError
from energy_sim.inputs import data_year as DY
from energy_sim.inputs.data import DataTables
from energy_sim.inputs.data_schema import REGIONAL_COAL


def groups(scenario: Any, data: DataTables, techs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Generator and storage groups (region x tech) with existing and maximum capacity.

    ``cap0`` is the scenario fleet alive in the year; ``capmax = max(cap0, build limit)``,
    or ``cap0`` for technologies the scenario does not allow to be built. A group exists when
    ``cap0 > 0`` or ``capmax > 0``.
    """
    cap0 = DY.existing_capacity(data, scenario.fleet, scenario.year)
    limit = DY.build_limit(data, scenario.year)
    capmax = np.maximum(cap0, limit)
    allowed = scenario.investments.technologies
    if allowed is not None:
        frozen = [t for t in data.techs if t not in set(allowed)]
        capmax[frozen] = cap0[frozen]
    rows = []
    for tech in data.techs:
        for region in data.regions:
            c0, cm = float(cap0.loc[region, tech]), float(capmax.loc[region, tech])
            if c0 > 0 or cm > 0:
                rows.append((f"{region}/{tech}", region, tech, c0, cm))
    table = pd.DataFrame(rows, columns=["id", "region", "tech", "cap0", "capmax"]).set_index("id")
    is_storage = table["tech"].map(techs["kind"]).eq("storage")
    return {"gen": table[~is_storage], "storage": table[is_storage]}


def fuel_of(gen: pd.DataFrame, techs: pd.DataFrame, regions: pd.DataFrame) -> pd.Series:
    fuel = gen["tech"].map(techs["fuel"])
    coal = fuel == REGIONAL_COAL
    return fuel.where(~coal, gen["region"].map(regions.set_index("region")["coal_fuel"]))


def policy_ranges(scenario: Any, data: DataTables) -> tuple[np.ndarray, np.ndarray]:
    """National build range per tech: PDP8 rows of build_ranges.csv for the year (when
    ``policies.pdp8_ranges``), then ``policies.build_ranges`` (null = open)."""
    techs = data.techs
    lo = pd.Series(0.0, index=techs)
    hi = pd.Series(np.inf, index=techs)
    if scenario.policies.pdp8_ranges:
        ranges = DY.build_ranges(data, scenario.year)
        lo.loc[ranges.index] = ranges["min_mw"]
        hi.loc[ranges.index] = ranges["max_mw"]
    for tech, (a, b) in (scenario.policies.build_ranges or {}).items():
        if tech not in techs:
            raise InputError(
                "unknown technology",
                file=scenario.source_file,
                field=f"policies.build_ranges.{tech}",
                value=tech,
                allowed="one of " + ", ".join(techs),
            )
        lo[tech] = 0.0 if a is None else float(a)
        hi[tech] = np.inf if b is None else float(b)
    return lo.to_numpy(), hi.to_numpy()


def check_ranges(scenario: Any, data: DataTables, groups, lo: np.ndarray, hi: np.ndarray):
    """A range the groups cannot meet would make the LP infeasible: say so now."""
    table = pd.concat([groups["gen"], groups["storage"]])
    cap0 = table.groupby("tech")["cap0"].sum().reindex(data.techs, fill_value=0.0)
    capmax = table.groupby("tech")["capmax"].sum().reindex(data.techs, fill_value=0.0)
    source = "build_ranges.csv or policies.build_ranges"
    for j, tech in enumerate(data.techs):
        if lo[j] > capmax[tech] + 1e-6:
            raise InputError(
                f"the build range minimum of {tech} cannot be reached: the regional build "
                f"limits (and investments.technologies) allow at most {capmax[tech]:,.0f} MW",
                file=scenario.source_file,
                field=f"{source}: {tech}",
                value=float(lo[j]),
                allowed=f"a minimum <= {capmax[tech]:,.0f} MW",
            )
        if hi[j] < cap0[tech] - 1e-6:
            raise InputError(
                f"the build range maximum of {tech} is below the existing fleet "
                f"({cap0[tech]:,.0f} MW in {scenario.year})",
                file=scenario.source_file,
                field=f"{source}: {tech}",
                value=float(hi[j]),
                allowed=f"a maximum >= {cap0[tech]:,.0f} MW",
            )


def regional_margin(scenario: Any, regions: list[str]) -> np.ndarray:
    margin = scenario.regional_reserve_margin
    if margin is None:
        return np.full(len(regions), np.nan)
    if not isinstance(margin, dict):
        return np.full(len(regions), float(margin))
    for r in margin:
        if r not in regions:
            raise InputError(
                "unknown region",
                file=scenario.source_file,
                field=f"regional_reserve_margin.{r}",
                value=r,
                allowed="one of " + ", ".join(regions),
            )
    return np.array([np.nan if margin.get(r) is None else float(margin[r]) for r in regions])


def hub_of_gens(gen: pd.DataFrame, is_lng: np.ndarray, hubs: pd.DataFrame, data) -> list[str]:
    by_region = {r: h for h, r in hubs["region"].items()}
    out = []
    for (gid, row), lng in zip(gen.iterrows(), is_lng, strict=True):
        if not lng:
            out.append("")
            continue
        if row["region"] not in by_region:
            raise InputError(
                "LNG-fired plant in a region without an LNG hub",
                file=data.path("lng_hubs"),
                field="region",
                value=gid,
                allowed="a hub row for every region with LNG-fired capacity or build limit",
            )
        out.append(by_region[row["region"]])
    return out
