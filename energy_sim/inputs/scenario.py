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
from typing import Any, Literal

import yaml
from pydantic import (
    Field,
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
from energy_sim.inputs.scenario_sections import (
    DemandResponse,
    GridLosses,
    Int,
    Investments,
    Num,
    Policies,
    Profiles,
    Reserves,
    Solver,
    _Section,
)

#: Bundled data folder, used when a scenario names none.
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data" / "vietnam"


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
    resolution: str = "24d"
    """``full`` | ``Nh`` (chronological resampling to N hours) | ``Nd`` (N typical days + the
    peak day); default 24 typical days, chosen from the measured table in docs/model.md (cost
    within 0.1% of the 2-hour chronological year; the full hourly year does not reach an
    optimum within 15 minutes)."""
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
    demand_response: DemandResponse | None = None
    """Demand response and time-of-use per region (MODEL.md constraint 9); None: off."""
    seed: Int = Field(1, ge=0)
    stress: list[dict[str, Any]] = Field(default_factory=list)
    """Stress tests (docs/stress.md); each a mapping with a string key ``test``."""
    periods: list[Int] | None = None
    """Investment periods (years, increasing, 2026..2050) of a pathway from the ``fleet``
    (MODEL.md, Investment periods); None: one period, ``year``. With periods, ``year`` is
    replaced by each period's year."""
    foresight: Literal["perfect", "myopic"] = "perfect"
    """Pathway: one LP over all periods (perfect) or one LP per period in order (myopic)."""
    discount_rate: Num | None = Field(None, ge=0, le=1)
    """Real discount rate ``i`` of the annuities and of a pathway's discounting; None: the
    data folder's ``discount_rate`` assumption."""
    base_year: Int = Field(2025, ge=2000, le=2050)
    """Year money is discounted to in a pathway, ``y0`` (the existing fleet's year)."""
    last_period_years: Int | None = Field(None, ge=1, le=50)
    """Years the last period stands for; None: the gap between the last two periods (5 for a
    single period)."""
    by_period: dict[int, dict[str, Any]] = Field(default_factory=dict)
    """Per-period values, ``{year: {field: value}}``, merged over the scenario for that period
    only (e.g. ``{2050: {policies: {co2_cap_t: 0}}}``); keys must be periods."""

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

    @field_validator("periods")
    @classmethod
    def _periods_increasing(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        if not value or any(not 2026 <= y <= 2050 for y in value):
            raise PydanticCustomError(
                "periods", "not a list of period years", {"allowed": "years 2026..2050"}
            )
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise PydanticCustomError(
                "periods",
                "periods must increase",
                {"allowed": "increasing years, e.g. [2030, 2035]"},
            )
        return value

    @property
    def period_list(self) -> list[int]:
        """The investment periods: ``periods``, or ``[year]`` for a single-year scenario."""
        return list(self.periods) if self.periods else [int(self.year)]

    def for_period(self, year: int) -> Scenario:
        """The single-year scenario of one period: ``year`` set, ``by_period[year]`` merged in.

        Raises
        ------
        InputError
            When ``year`` is not a period, or when the merged values do not validate (the
            field is named ``by_period.<year>.<field>``).
        """
        if year not in self.period_list:
            raise InputError(
                "not a period of this scenario",
                file=self.source_file,
                field="--period",
                value=year,
                allowed=", ".join(str(p) for p in self.period_list),
            )
        raw = self.model_dump(mode="json", exclude={"source_file"})
        raw.update(year=int(year), periods=None, by_period={})
        raw = deep_merge(raw, self.by_period.get(year, {}))
        raw["source_file"] = None if self.source_file is None else str(self.source_file)
        try:
            return Scenario.model_validate(raw)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise InputError(
                str(first["msg"]),
                file=self.source_file,
                field=f"by_period.{year}.{loc}",
                value=first.get("input"),
                allowed=str((first.get("ctx") or {}).get("allowed", "")) or None,
            ) from None

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

    dr = scn.demand_response
    for name in DemandResponse.model_fields if dr is not None else []:
        value = getattr(dr, name)
        for region in value if isinstance(value, dict) else []:
            loc = ("demand_response", name, region)
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
    _check_periods(scn, origins)
    return scn


def _check_periods(scn: Scenario, origins: Origins) -> None:
    """``by_period`` names periods only, and every period's merged scenario validates."""
    if scn.by_period and not scn.periods:
        raise InputError(
            "by_period needs periods",
            file=origins.where(("by_period",)),
            field="by_period",
            value=sorted(scn.by_period),
            allowed="a scenario with periods: [...]",
        )
    for year in scn.by_period:
        if year not in scn.period_list:
            raise InputError(
                "by_period names a year that is not a period",
                file=origins.where(("by_period",)),
                field=f"by_period.{year}",
                value=year,
                allowed=", ".join(str(p) for p in scn.period_list),
            )
    for year in scn.periods or []:
        period = scn.for_period(year)
        _check_names(period, origins)
        _check_stress(period, origins)
