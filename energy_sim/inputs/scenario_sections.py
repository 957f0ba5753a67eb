"""The sections of a scenario file (pydantic models): policies, investments, profiles, the
solver's options, and the Resolution 70 levers (LNG and coal reserves, grid losses). The
scenario itself, its name checks and :func:`~energy_sim.inputs.scenario.load_scenario` are in
:mod:`energy_sim.inputs.scenario`; ``docs/scenarios.md`` documents every field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, field_validator
from pydantic_core import PydanticCustomError

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

    method: Literal["auto", "hipo", "ipm", "ipx", "simplex", "pdlp"] = "auto"
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


#: Range of each demand-response field: (lowest, highest, the rule's words for errors).
_DR_RANGES: dict[str, tuple[float, float, str]] = {
    "shift_share": (0.0, 1.0, "a share 0 <= x <= 1"),
    "shift_mw": (0.0, np.inf, "a number of MW >= 0"),
    "shift_cost_usd_per_mwh": (0.0, np.inf, "a cost in USD/MWh >= 0"),
    "ilc_mw": (0.0, np.inf, "a number of MW >= 0"),
    "ilc_mwh": (0.0, np.inf, "a number of MWh/yr >= 0, or null for no annual cap"),
    "ilc_price_usd_per_mwh": (0.0, np.inf, "a price in USD/MWh >= 0"),
    "credit_ilc": (0.0, 1.0, "a capacity credit 0 <= x <= 1"),
    "credit_shift": (0.0, 1.0, "a capacity credit 0 <= x <= 1"),
}


class DemandResponse(_Section):
    """Demand response and time-of-use (MODEL.md constraint 9; issue 14). Every field is a
    number for every region or ``{region: number}`` (a region not named gets the default).
    No published Vietnamese figures: the section is off unless a scenario gives it."""

    shift_share: Num | dict[str, Num] = 0.0
    """Share of each hour's demand that may be moved to another hour of the same day, 0..1."""
    shift_mw: Num | dict[str, Num] = 0.0
    """Most load shifted *into* an hour, MW (the time-of-use response's power limit)."""
    shift_cost_usd_per_mwh: Num | dict[str, Num] = 0.0
    """Cost of each MWh moved (counted on the MWh taken out of an hour), USD/MWh."""
    ilc_mw: Num | dict[str, Num] = 0.0
    """Interruptible load contracts, MW that can be interrupted in any hour."""
    ilc_mwh: Num | dict[str, Num] | None = None
    """Annual energy cap of the interruptions, MWh/yr; None: no cap."""
    ilc_price_usd_per_mwh: Num | dict[str, Num] = 1000.0
    """Price paid per MWh interrupted, USD/MWh (default 1,000: an assumption, between the
    dearest plant and VOLL)."""
    credit_ilc: Num | dict[str, Num] = 1.0
    """Capacity credit of ``ilc_mw`` in the reserve margin, 0..1."""
    credit_shift: Num | dict[str, Num] = 0.0
    """Capacity credit of the shiftable load (``min(shift_share*peak_r, shift_mw)``) in the
    reserve margin, 0..1."""

    @field_validator(*_DR_RANGES, mode="before")
    @classmethod
    def _dr_shape(cls, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError(
                "dr_shape",
                "not a number",
                {"allowed": "a number for every region, or {region: number}"},
            )
        return value

    @field_validator(*_DR_RANGES)
    @classmethod
    def _dr_range(cls, value: Any, info: Any) -> Any:
        lo, hi, words = _DR_RANGES[info.field_name]
        items = (
            value.items() if isinstance(value, dict) else [] if value is None else [(None, value)]
        )
        for key, x in items:
            if x is None and info.field_name == "ilc_mwh":
                continue
            if x is None or not lo <= x <= hi:
                ctx = {"allowed": words} | ({} if key is None else {"key": key})
                raise PydanticCustomError("dr_range", "demand-response value out of range", ctx)
        return value

    def of(self, name: str, regions: list[str]) -> list[float]:
        """Field ``name`` for each region in order (its default where a region is not named;
        inf for an ``ilc_mwh`` of None)."""
        value = getattr(self, name)
        default = DemandResponse.model_fields[name].default
        if isinstance(value, dict):
            got = [value.get(r, default) for r in regions]
        else:
            got = [value] * len(regions)
        return [float("inf") if x is None else float(x) for x in got]
