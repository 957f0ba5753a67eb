"""Scenario files: the pydantic schema, YAML loading, ``extends:`` inheritance and clear errors.

A scenario is a YAML mapping (see ``docs/scenarios.md``). :func:`load_scenario` reads it,
deep-merges it over the files it ``extends``, resolves relative paths against the file that
names them, validates every field and checks every region and technology name against the data
folder. Any mistake raises one :class:`~energy_sim.errors.InputError` naming the file (and line),
the dotted field, the value and what is allowed. Reading YAML, following ``extends:`` and wording
pydantic's errors live in :mod:`energy_sim.inputs.scenario_io`.
"""

from __future__ import annotations

import csv
import importlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from energy_sim.errors import InputError
from energy_sim.inputs.scenario_io import (
    Origins,
    deep_merge,
    expand_overrides,
    load_chain,
    resolve_paths,
    validation_error,
)

#: Bundled data folder, used when a scenario names none.
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data" / "vietnam"

#: HiGHS options whose values are the strings "off" | "choose" | "on".
_HIGHS_ON_OFF = frozenset({"presolve", "parallel", "ranging", "run_crossover"})


# Numbers: no bools, no quoted strings, no NaN/inf sneaking through YAML.
Num = Annotated[float, Strict(), AllowInfNan(False)]
Int = Annotated[int, Strict()]

# ----------------------------------------------------------------------------------- schema


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Policies(_Section):
    """Energy policy constraints of the LP (MODEL.md, section 8)."""

    clean_share: Num | None = Field(None, ge=0, le=1)
    """Minimum share of annual demand served by clean generation, 0..1 (None: no target)."""
    co2_cap_t: Num | None = Field(None, ge=0)
    """Annual CO2 cap in tonnes (None: no cap)."""
    carbon_price_usd_per_t: Num = Field(0.0, ge=0)
    """Carbon price added to marginal costs, USD/tCO2."""
    pdp8_ranges: bool = True
    """Apply the national build ranges of ``<data>/build_ranges.csv`` for the year."""
    build_ranges: dict[str, tuple[Num | None, Num | None]] = Field(default_factory=dict)
    """Overrides/additions ``tech -> (min_mw, max_mw)`` of total national capacity; None = open."""

    @field_validator("build_ranges")
    @classmethod
    def _ranges_ordered(
        cls, value: dict[str, tuple[float | None, float | None]]
    ) -> dict[str, tuple[float | None, float | None]]:
        for tech, (lo, hi) in value.items():
            for bound in (lo, hi):
                if bound is not None and bound < 0:
                    raise PydanticCustomError(
                        "range_negative",
                        "build range of {key} has a negative bound",
                        {"key": tech, "allowed": "[min_mw, max_mw] with numbers >= 0 or null"},
                    )
            if lo is not None and hi is not None and lo > hi:
                raise PydanticCustomError(
                    "range_order",
                    "build range of {key} has min > max",
                    {"key": tech, "allowed": "[min_mw, max_mw] with min_mw <= max_mw"},
                )
        return value


class Investments(_Section):
    """Which new assets the LP may build."""

    new_corridors: bool = True
    """False: no new inter-regional transfer capacity (e.g. no new 500 kV lines)."""
    new_tanks: bool = True
    """False: no LNG tank expansion."""
    technologies: list[str] | None = None
    """Technologies that may be built (None: all)."""


class Profiles(_Section):
    """Optional CSV files replacing the generated hourly profiles (8760 rows, one column a region)."""

    demand: Path | None = None
    solar: Path | None = None
    wind_onshore: Path | None = None
    wind_offshore: Path | None = None


class Solver(_Section):
    """LP solver settings, passed to HiGHS."""

    method: Literal["auto", "hipo", "ipm", "simplex", "pdlp"] = "auto"
    time_limit_s: Num = Field(1800.0, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)
    """Passed to HiGHS as is (``{option_name: value}``)."""

    @field_validator("options")
    @classmethod
    def _scalar_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        # YAML 1.1 reads an unquoted on/off as true/false; these HiGHS options want the text.
        value = {
            key: ("on" if option else "off")
            if key in _HIGHS_ON_OFF and isinstance(option, bool)
            else option
            for key, option in value.items()
        }
        for key, option in value.items():
            if not isinstance(option, str | int | float | bool):
                raise PydanticCustomError(
                    "option_value",
                    "a HiGHS option takes a single value",
                    {"key": key, "allowed": "a number, true/false or text"},
                )
        return value


class CoalStocks(_Section):
    """Regional coal stockpiles (MODEL.md constraint 8), in days of full-load burn of the
    region's coal plants (``24*sum cap/eff``); every region with coal plant gets one yard."""

    stock_days: Num | dict[str, Num] = 0.0
    """Strategic floor of the stock, days of full burn (a number or ``{region: days}``, >= 0);
    released in a delivery shortfall like the LNG reserve (``phi``)."""
    yard_days: Num = Field(30.0, gt=0)
    """Yard size, days of full burn (an assumption: the default 30 d is not a published figure)."""
    delivery: Num = Field(1.0, gt=0)
    """Port and rail limit on deliveries, as a multiple of full-load burn (1: deliveries can keep
    the plants at full load; an assumption)."""
    refill_days: Num | None = Field(None, ge=0)
    """Days for the floor to come back after a shortfall; None: ``stock_days``."""

    @field_validator("stock_days", mode="before")
    @classmethod
    def _days_shape(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError(
                "stock_shape",
                "not a number of days",
                {"allowed": "a number of days >= 0 for every region, or {region: days}"},
            )
        return value

    @field_validator("stock_days")
    @classmethod
    def _days_range(cls, value: Any) -> Any:
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, days in items:
            if days < 0:
                ctx = {"allowed": "a number of days >= 0"} | ({} if key is None else {"key": key})
                raise PydanticCustomError("stock_range", "stock days out of range", ctx)
        return value

    def stock_of(self, regions: list[str]) -> list[float]:
        """``stock_days`` of each region in order (0 where not named)."""
        if isinstance(self.stock_days, dict):
            return [float(self.stock_days.get(r, 0.0)) for r in regions]
        return [float(self.stock_days)] * len(regions)


class Reserves(_Section):
    """Strategic fuel reserves (MODEL.md constraint 6; docs/model.md, "LNG strategic reserve")."""

    lng_refill_days: Num | dict[str, Num] | None = None
    """Days for an LNG hub's reserve floor to come back from 0 to the full reserve after a
    disruption (``phi = min(1, h/(24*refill_days))``); a number for every hub or
    ``{hub: days}``, >= 0 (0: at once); None (or a hub not named): the hub's ``reserve_days``."""

    @field_validator("lng_refill_days", mode="before")
    @classmethod
    def _refill_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError(
                "refill_shape",
                "not a refill time",
                {"allowed": "null, a number of days >= 0 for every hub, or {hub: days}"},
            )
        return value

    @field_validator("lng_refill_days")
    @classmethod
    def _refill_range(cls, value: Any) -> Any:
        items = (
            value.items() if isinstance(value, dict) else [] if value is None else [(None, value)]
        )
        for key, days in items:
            if days < 0:
                ctx = {"allowed": "a number of days >= 0"} | ({} if key is None else {"key": key})
                raise PydanticCustomError("refill_range", "refill time out of range", ctx)
        return value

    coal: CoalStocks | None = None
    """Coal stockpiles per region (None: none; the plants burn what they need, as before)."""

    def lng_refill_of(self, hubs: list[str]) -> list[float]:
        """``refill_days`` per hub in order, NaN where not given (the hub's reserve_days)."""
        value = self.lng_refill_days
        if value is None:
            return [float("nan")] * len(hubs)
        if isinstance(value, dict):
            return [float(value.get(h, float("nan"))) for h in hubs]
        return [float(value)] * len(hubs)


class GridLosses(_Section):
    """Transmission and distribution losses inside the regions (MODEL.md constraint 10).

    Demand at the regional busbar is ``final/(1 - rate[r])``; the data's demand (production +
    imports) carries ``base_rate``, which is divided out first, so the System's demand is
    ``demand*(1 - base_rate)/(1 - rate[r])`` - unchanged while ``rate == base_rate``.
    Corridor losses (``corridor_efficiency``) come on top.
    """

    base_rate: Num | None = Field(None, ge=0, lt=0.5)
    """T&D loss rate the data's demand carries; None: the data folder's ``td_loss_rate_base``
    assumption (data/vietnam: 6.24%, 2022, MoIT), 0 where the folder has none."""
    rate: Num | dict[str, Num] | None = None
    """T&D loss rate of the planning year, a number for every region or ``{region: rate}``
    (0 <= rate < 0.5); None (or a region not named): ``path`` at the year, else ``base_rate``."""
    path: dict[Int, Num] = Field(default_factory=dict)
    """National reduction path ``{year: rate}``, linear between its years and flat beyond them;
    empty: none."""

    @field_validator("rate", mode="before")
    @classmethod
    def _rate_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError(
                "loss_shape",
                "not a loss rate",
                {"allowed": "null, a number 0..0.5 for every region, or {region: number}"},
            )
        return value

    @field_validator("path", mode="before")
    @classmethod
    def _path_years(cls, value: Any) -> Any:
        # to_yaml writes the years as text keys (JSON mode): read "2030" back as 2030
        if isinstance(value, dict):
            return {
                int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in value.items()
            }
        return value

    @field_validator("rate", "path")
    @classmethod
    def _rate_range(cls, value: Any) -> Any:
        items = (
            value.items() if isinstance(value, dict) else [] if value is None else [(None, value)]
        )
        for key, rate in items:
            if not 0 <= rate < 0.5:
                ctx = {"allowed": "a loss rate 0 <= rate < 0.5"} | (
                    {} if key is None else {"key": key}
                )
                raise PydanticCustomError("loss_range", "loss rate out of range", ctx)
        return value

    def rates(self, regions: list[str], year: int, data_base: float) -> tuple[float, list[float]]:
        """``(base_rate, [rate of each region])`` for the planning ``year``."""
        base = float(data_base if self.base_rate is None else self.base_rate)
        if self.path:
            years = sorted(self.path)
            default = float(np.interp(year, years, [self.path[y] for y in years]))
        else:
            default = base
        if isinstance(self.rate, dict):
            return base, [float(self.rate.get(r, default)) for r in regions]
        return base, [default if self.rate is None else float(self.rate)] * len(regions)


class Scenario(_Section):
    """A validated scenario (built by :func:`load_scenario`).

    After :func:`load_scenario`, every path is absolute and ``regional_reserve_margin`` is
    ``None`` or a ``{region: margin}`` dict covering every region named.
    """

    name: str | None = None
    """Scenario name; defaults to the file stem."""
    description: str = ""
    source_file: Path | None = None
    """The YAML file the scenario was read from (set by :func:`load_scenario`)."""
    data: Path = DEFAULT_DATA
    """Data folder (CSV tables)."""
    year: Int = Field(2030, ge=2025, le=2050)
    demand_case: Literal["low", "high"] = "low"
    fleet: Literal["end2025", "pdp8_2030"] = "end2025"
    resolution: str = "12d"
    """``full`` | ``Nh`` (chronological resampling to N hours) | ``Nd`` (N representative days);
    default 12 representative days, the resolution docs/model.md recommends (the full hourly
    year does not reach an optimum within 15 minutes)."""
    reserve_margin: Num = Field(0.15, ge=0, le=1)
    regional_reserve_margin: Num | dict[str, Num] | None = None
    voll_usd_per_mwh: Num = Field(10_000.0, gt=0)
    reserve_penalty_usd_per_mw: Num = Field(1_000_000.0, ge=0)
    policies: Policies = Field(default_factory=Policies)
    investments: Investments = Field(default_factory=Investments)
    profiles: Profiles = Field(default_factory=Profiles)
    solver: Solver = Field(default_factory=Solver)
    reserves: Reserves = Field(default_factory=Reserves)
    grid_losses: GridLosses = Field(default_factory=GridLosses)
    seed: Int = Field(1, ge=0)
    stress: list[dict[str, Any]] = Field(default_factory=list)
    """Stress tests (docs/stress.md); each a mapping with a string key ``test``."""

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution_syntax(cls, value: Any) -> str:
        # One parser for the syntax and the ranges: the one the time aggregation uses.
        from energy_sim.inputs.timeseries import parse_resolution

        if isinstance(value, str) and re.fullmatch(r"full|[1-9][0-9]*[hd]", value):
            try:
                parse_resolution(value)
            except InputError as err:
                raise PydanticCustomError(
                    "resolution", "not a time resolution", {"allowed": err.allowed}
                ) from None
            return value
        raise PydanticCustomError(
            "resolution",
            "not a time resolution",
            {
                "allowed": "full, Nh with N in 1..168 (resample), Nd with N in 12..365 (representative days)"
            },
        )

    @field_validator("regional_reserve_margin", mode="before")
    @classmethod
    def _margin_shape(cls, value: Any) -> Any:
        # Dispatch on the shape here, so that errors are about the value, not about union arms.
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError(
                "margin_shape",
                "not a reserve margin",
                {"allowed": "null, a number 0..1 for every region, or {region: number}"},
            )
        return value

    @field_validator("regional_reserve_margin")
    @classmethod
    def _margin_range(cls, value: Any) -> Any:
        items = (
            value.items() if isinstance(value, dict) else [] if value is None else [(None, value)]
        )
        for key, margin in items:
            if not 0 <= margin <= 1:
                ctx = {"allowed": "a number 0..1"} | ({} if key is None else {"key": key})
                raise PydanticCustomError("margin_range", "reserve margin out of range", ctx)
        return value

    @field_validator("stress")
    @classmethod
    def _stress_named(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, item in enumerate(value):
            if not isinstance(item.get("test"), str):
                raise PydanticCustomError(
                    "stress_test",
                    "each stress test needs a string key 'test'",
                    {"key": i, "allowed": "a mapping like {test: lng_disruption, ...}"},
                )
        return value

    def to_yaml(self) -> str:
        """The merged, resolved scenario as YAML text (provenance for results).

        Returns
        -------
        str
            YAML that :func:`load_scenario` reads back to an equal scenario (``source_file``
            is written as a comment on the first line).
        """
        data = self.model_dump(mode="json", exclude={"source_file"})
        head = f"# source_file: {self.source_file}\n" if self.source_file else ""
        return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# -------------------------------------------------------------------------- data-level checks


def _data_names(data: Path, table: str, column: str, scenario_file: str) -> list[str]:
    """Unique values of ``column`` in ``<data>/<table>``, in file order."""
    path = data / table
    if not path.is_file():
        raise InputError(
            f"the data folder has no {table}", file=scenario_file, field="data", value=str(data)
        )
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.lstrip().startswith("#"))
        if rows.fieldnames is None or column not in rows.fieldnames:
            raise InputError(
                f"missing column {column!r}", file=path, value=rows.fieldnames, allowed=column
            )
        names = [row[column].strip() for row in rows if row.get(column)]
    return list(dict.fromkeys(names))


def _unknown(names: list[str], allowed: list[str], what: str, field: str, where: str) -> None:
    bad = [n for n in names if n not in allowed]
    if bad:
        raise InputError(
            f"unknown {what}",
            file=where,
            field=field,
            value=bad[0],
            allowed=", ".join(allowed),
        )


def _check_names(scn: Scenario, origins: Origins) -> None:
    """Regions, technologies and profile files named by the scenario exist; normalise margins."""
    top = str(origins.top)
    if not scn.data.is_dir():
        raise InputError(
            "data folder not found",
            file=origins.where(("data",)),
            field="data",
            value=str(scn.data),
            allowed="an existing folder of CSV tables (e.g. data/vietnam)",
        )
    regions = _data_names(scn.data, "regions.csv", "region", top)
    techs = _data_names(scn.data, "technologies.csv", "tech", top)

    margin = scn.regional_reserve_margin
    if isinstance(margin, dict):
        for region in margin:
            loc = ("regional_reserve_margin", region)
            _unknown([region], regions, "region", ".".join(loc), origins.where(loc))
    elif margin is not None:
        scn.regional_reserve_margin = {region: float(margin) for region in regions}

    for tech in scn.policies.build_ranges:
        loc = ("policies", "build_ranges", tech)
        _unknown([tech], techs, "technology", ".".join(loc), origins.where(loc))
    for i, tech in enumerate(scn.investments.technologies or []):
        loc = ("investments", "technologies", i)
        _unknown([tech], techs, "technology", "investments.technologies", origins.where(loc))

    losses = scn.grid_losses.rate
    if isinstance(losses, dict):
        for region in losses:
            loc = ("grid_losses", "rate", region)
            _unknown([region], regions, "region", ".".join(loc), origins.where(loc))

    coal = scn.reserves.coal
    if coal is not None and isinstance(coal.stock_days, dict):
        for region in coal.stock_days:
            loc = ("reserves", "coal", "stock_days", region)
            _unknown([region], regions, "region", ".".join(loc), origins.where(loc))

    refill = scn.reserves.lng_refill_days
    if isinstance(refill, dict) and refill:
        hubs = _data_names(scn.data, "lng_hubs.csv", "hub", top)
        for name in refill:
            loc = ("reserves", "lng_refill_days", name)
            _unknown([name], hubs, "LNG hub", ".".join(loc), origins.where(loc))

    for key in Profiles.model_fields:
        path = getattr(scn.profiles, key)
        if path is not None and not path.is_file():
            loc = ("profiles", key)
            raise InputError(
                "profile file not found",
                file=origins.where(loc),
                field=".".join(loc),
                value=str(path),
                allowed="an existing CSV file (path relative to the scenario file)",
            )


def _check_stress(scn: Scenario, origins: Origins) -> None:
    """Hand the stress list to :func:`energy_sim.inputs.stress.validate_stress` when it exists."""
    if not scn.stress:
        return
    try:
        stress = importlib.import_module("energy_sim.inputs.stress")
    except ModuleNotFoundError as err:
        if err.name == "energy_sim.inputs.stress":
            return
        raise
    if not hasattr(stress, "validate_stress"):
        return
    try:
        scn.stress = stress.validate_stress(scn.stress)
    except InputError as err:
        if err.file is None:
            index = re.match(r"stress[.\[](\d+)", err.field or "")
            loc = ("stress", int(index.group(1))) if index else ("stress",)
            err = InputError(
                err.message,
                file=origins.where(loc),
                field=err.field or "stress",
                value=err.value,
                allowed=err.allowed,
            )
        raise err from None


# --------------------------------------------------------------------------------- public API


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, merge, resolve and validate a scenario file.

    Parameters
    ----------
    path
        The scenario YAML file.
    overrides
        Values that replace the file's (e.g. ``{"resolution": "24d"}`` from the command line);
        dotted keys reach into sections (``{"policies.clean_share": 0.5}``). Relative paths
        in overrides resolve against the current directory. Validated like the file.

    Returns
    -------
    Scenario
        With absolute paths, ``name`` defaulting to the file stem, ``source_file`` set, and
        ``regional_reserve_margin`` normalised to ``None`` or ``{region: margin}``.

    Raises
    ------
    InputError
        For any mistake: unreadable or malformed YAML (with the line), a missing file, a
        circular ``extends``, an unknown key, a wrong type, a value out of range, an unknown
        region or technology, a missing data folder or profile file.
    """
    path = Path(path)
    origins = Origins(path)
    raw = load_chain(path, origins, [])
    if overrides:
        extra = expand_overrides(overrides)
        resolve_paths(extra, Path.cwd())
        origins.record(extra, f"{path} (override)", None)
        raw = deep_merge(raw, extra)
    if "source_file" in raw:
        raise InputError(
            "no such key",
            file=origins.where(("source_file",)),
            field="source_file",
            allowed="set by the loader, not in the file",
        )
    raw.setdefault("name", path.stem)
    raw["source_file"] = str(path.resolve())
    try:
        scn = Scenario.model_validate(raw)
    except ValidationError as err:
        raise validation_error(err, origins, Scenario) from None
    _check_names(scn, origins)
    _check_stress(scn, origins)
    return scn
