"""The parameters of each stress test: one pydantic model per test, with its defaults and the
values it allows (:mod:`energy_sim.inputs.stress` pairs each model with its transform).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Presets of the drought test: name -> (regions, months, factor).
DROUGHT_PRESETS: dict[str, tuple[list[str], list[int], float]] = {
    # 2023 northern drought: April-May inflows ~50% of normal (DATA.md [V]); June still dry.
    "2023_north": (["north"], [4, 5, 6], 0.5),
}


# ------------------------------------------------------------------------------- spec models


def _split_list(value: Any) -> Any:
    """``"a+b"`` or ``"a;b"`` (command line) -> ``["a", "b"]``; a list passes through."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[+;]", value) if part.strip()]
    return value


def _month_list(value: Any) -> Any:
    """Months as a list, ``"4-6"`` or ``"4+5+6"`` -> ``[4, 5, 6]``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        months: list[Any] = []
        for part in _split_list(value):
            match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
            if match:
                lo, hi = int(match.group(1)), int(match.group(2))
                months.extend(range(lo, hi + 1) if lo <= hi else [part])
            else:
                months.append(part)
        return months
    return value


class StressSpec(BaseModel):
    """Common base: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid")
    test: str


class WindowSpec(StressSpec):
    start: str | None = None
    """First day, ``YYYY-MM-DD`` (scenario year) or ``MM-DD``; ``None``: the whole year."""
    days: int | None = Field(None, ge=1, le=366)
    """Length of the window in days (needed with ``start``)."""

    @field_validator("start", mode="before")
    @classmethod
    def _start_text(cls, value: Any) -> Any:
        if isinstance(value, _dt.date):
            return value.isoformat()
        if value is None:
            return None
        text = str(value)
        if not re.fullmatch(r"(\d{4}-)?\d{2}-\d{2}", text):
            raise ValueError("not a date")
        try:
            _dt.date.fromisoformat(text if len(text) == 10 else f"2000-{text}")
        except ValueError:
            raise ValueError("not a date") from None
        return text


class LngDisruption(WindowSpec):
    """No LNG cargoes reach the chosen hubs for ``days`` from ``start`` (send-out from the
    tanks only: the dispatch and the LP draw down the inventory, strategic reserve included).
    ``hubs``: hub names, region names (every hub of the region) or ``all``."""

    test: Literal["lng_disruption"] = "lng_disruption"
    days: int = Field(30, ge=1, le=366)
    start: str | None = "06-01"
    hubs: list[str] | Literal["all"] = "all"

    _hubs = field_validator("hubs", mode="before")(lambda v: v if v == "all" else _split_list(v))


class Drought(StressSpec):
    """Hydro energy x ``factor`` in ``regions`` and ``months`` (or a ``preset``)."""

    test: Literal["drought"] = "drought"
    preset: Literal["2023_north"] | None = None
    factor: float | None = Field(None, ge=0, le=1)
    regions: list[str] | Literal["all"] | None = None
    months: list[int] | None = None
    include_ror: bool = True

    _regions = field_validator("regions", mode="before")(
        lambda v: v if v in (None, "all") else _split_list(v)
    )
    _months = field_validator("months", mode="before")(_month_list)

    @field_validator("months")
    @classmethod
    def _month_range(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 1 <= m <= 12 for m in value):
            raise ValueError("months must be 1..12")
        return value

    def resolved(self) -> tuple[list[str] | Literal["all"], list[int], float]:
        """Regions, months and factor after applying the preset (explicit values win)."""
        regions, months, factor = DROUGHT_PRESETS.get(self.preset or "", ("all", None, None))
        return (
            self.regions if self.regions is not None else regions,
            self.months if self.months is not None else (months or list(range(1, 13))),
            self.factor if self.factor is not None else (0.5 if factor is None else factor),
        )


class Heatwave(WindowSpec):
    """Demand x ``(1 + increase)`` over the window in ``regions``."""

    test: Literal["heatwave"] = "heatwave"
    increase: float = Field(0.1, ge=0, le=2)
    start: str | None = "06-01"
    days: int | None = Field(14, ge=1, le=366)
    regions: list[str] | Literal["all"] = "all"

    _regions = field_validator("regions", mode="before")(
        lambda v: v if v == "all" else _split_list(v)
    )


class CorridorOutage(StressSpec):
    """N-1: ``circuits_lost`` circuits of ``corridor`` out for the year:
    ``fcap0, fcapmax x (circuits - circuits_lost) / circuits``."""

    test: Literal["corridor_outage"] = "corridor_outage"
    corridor: str = "north-north_central"
    circuits_lost: int = Field(1, ge=1)


class ImportCut(WindowSpec):
    """Imports from ``source`` (laos, china or both) x ``factor`` over the window."""

    test: Literal["import_cut"] = "import_cut"
    source: Literal["laos", "china", "both"] = "both"
    factor: float = Field(0.0, ge=0, le=1)


class CoalShortfall(WindowSpec):
    """Coal plant availability x ``factor`` over the window (fuel supply shortfall)."""

    test: Literal["coal_shortfall"] = "coal_shortfall"
    factor: float = Field(0.7, ge=0, le=1)
    regions: list[str] | Literal["all"] = "all"

    _regions = field_validator("regions", mode="before")(
        lambda v: v if v == "all" else _split_list(v)
    )
