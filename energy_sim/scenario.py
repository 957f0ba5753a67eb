"""Scenario files: the pydantic schema, YAML loading, ``extends:`` inheritance and clear errors.

A scenario is a YAML mapping (see ``docs/scenarios.md``). :func:`load_scenario` reads it,
deep-merges it over the files it ``extends``, resolves relative paths against the file that
names them, validates every field and checks every region and technology name against the data
folder. Any mistake raises one :class:`~energy_sim.errors.InputError` naming the file (and line),
the dotted field, the value and what is allowed.
"""

from __future__ import annotations

import copy
import csv
import importlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

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

#: Bundled data folder, used when a scenario names none.
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data" / "vietnam"

#: Keys whose string values are paths relative to the file that names them.
_PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("data",),
    ("profiles", "demand"),
    ("profiles", "solar"),
    ("profiles", "wind_onshore"),
    ("profiles", "wind_offshore"),
)
#: Keys that are not inherited through ``extends`` (they describe one file, not a family).
_NOT_INHERITED = ("name", "extends")

#: HiGHS options whose values are the strings "off" | "choose" | "on".
_HIGHS_ON_OFF = frozenset({"presolve", "parallel", "ranging", "run_crossover"})

_RESOLUTION = re.compile(r"^(full|([1-9][0-9]*)([hd]))$")
_RESOLUTION_MAX = {"h": 8760, "d": 365}

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
    resolution: str = "full"
    """``full`` | ``Nh`` (chronological resampling to N hours) | ``Nd`` (N representative days)."""
    reserve_margin: Num = Field(0.15, ge=0, le=1)
    regional_reserve_margin: Num | dict[str, Num] | None = None
    voll_usd_per_mwh: Num = Field(10_000.0, gt=0)
    reserve_penalty_usd_per_mw: Num = Field(1_000_000.0, ge=0)
    policies: Policies = Field(default_factory=Policies)
    investments: Investments = Field(default_factory=Investments)
    profiles: Profiles = Field(default_factory=Profiles)
    solver: Solver = Field(default_factory=Solver)
    seed: Int = Field(1, ge=0)
    stress: list[dict[str, Any]] = Field(default_factory=list)
    """Stress tests (docs/stress.md); each a mapping with a string key ``test``."""

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution_syntax(cls, value: Any) -> str:
        match = _RESOLUTION.match(value) if isinstance(value, str) else None
        if match is None or (
            match.group(2) and int(match.group(2)) > _RESOLUTION_MAX[match.group(3)]
        ):
            raise PydanticCustomError(
                "resolution",
                "not a time resolution",
                {"allowed": "one of: full, Nh (N = 1..8760 hours), Nd (N = 1..365 days)"},
            )
        return value

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


# ------------------------------------------------------------------------------- YAML files


class _Loader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys (a silent overwrite is a user's mistake)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """Parse one scenario file; return its mapping and its node tree (for line numbers)."""
    if not path.is_file():
        raise InputError(
            "scenario file not found" if not path.exists() else "not a file",
            file=path,
            allowed="an existing .yaml file",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the file: {err}", file=path) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        start = getattr(err, "context_mark", None)
        if start is not None and mark is not None and start.line != mark.line:
            where += f" (in the block that starts on line {start.line + 1})"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(f"invalid YAML{where}: {problem}", file=path) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(
            "a scenario file must be a mapping of keys to values",
            file=path,
            value=type(raw).__name__,
            allowed="key: value lines",
        )
    bad = [k for k in raw if not isinstance(k, str)]
    if bad:
        raise InputError("keys must be names", file=path, value=bad[0], allowed="text keys")
    return raw, node


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node along ``loc`` in a composed YAML tree."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(part)]
            if not match:
                break
            key, node = match[-1]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    """Make the relative path values of one file absolute against that file's folder."""
    for keys in _PATH_KEYS:
        parent = raw
        for key in keys[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get(keys[-1]), str):
            path = Path(parent[keys[-1]]).expanduser()
            parent[keys[-1]] = str(path if path.is_absolute() else (base / path).resolve())


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaves(raw: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(raw, dict) and raw:
        return [p for k, v in raw.items() for p in _leaves(v, (*prefix, str(k)))]
    return [prefix]


class _Origins:
    """Which file (and YAML node tree) set each key path, to name it in error messages."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.by_key: dict[tuple[str, ...], tuple[Path | str, yaml.Node | None]] = {}

    def record(self, raw: dict[str, Any], source: Path | str, node: yaml.Node | None) -> None:
        for keys in _leaves(raw):
            self.by_key[keys] = (source, node)

    def where(self, loc: tuple[Any, ...]) -> str:
        """``file:line`` (or ``file``) where the value at ``loc`` was written."""
        parts = tuple(str(p) for p in loc)
        below = [k for k in self.by_key if k[: len(parts)] == parts]
        if below:  # a mapping or list given as a whole: the file of its last-set item
            source, node = self.by_key[below[-1]]
            line = _line_of(node, loc)
            return f"{source}:{line}" if line else str(source)
        for n in range(len(parts), 0, -1):
            if parts[:n] in self.by_key:
                source, node = self.by_key[parts[:n]]
                line = _line_of(node, loc)
                return f"{source}:{line}" if line else str(source)
        return str(self.top)


def _load_chain(path: Path, origins: _Origins, chain: list[Path]) -> dict[str, Any]:
    """Read ``path`` and the files it extends; return the merged mapping (paths resolved).

    ``chain`` holds the files read so far, child first, to detect a cycle.
    """
    real = path.resolve()
    if real in [p.resolve() for p in chain]:
        names = " -> ".join(p.name for p in [*chain, path])
        raise InputError(
            "circular extends",
            file=chain[-1],
            field="extends",
            value=names,
            allowed="a chain of files that ends in a file without extends",
        )
    raw, node = _read_yaml(path)
    _resolve_paths(raw, path.parent)
    parent_name = raw.pop("extends", None)
    merged: dict[str, Any] = {}
    if parent_name is not None:
        if not isinstance(parent_name, str) or not parent_name.strip():
            raise InputError(
                "extends must name a file",
                file=path,
                field="extends",
                value=parent_name,
                allowed="a path to another scenario YAML, relative to this file",
            )
        parent = Path(parent_name).expanduser()
        parent = parent if parent.is_absolute() else path.parent / parent
        if not parent.is_file():
            raise InputError(
                "extended file not found",
                file=f"{path}:{_line_of(node, ('extends',))}",
                field="extends",
                value=parent_name,
                allowed=f"an existing file (looked for {parent})",
            )
        merged = _load_chain(parent, origins, [*chain, path])
        for key in _NOT_INHERITED:
            merged.pop(key, None)
    origins.record(raw, path, node)
    return _deep_merge(merged, raw)


def _expand_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"policies.clean_share": 0.5}`` -> ``{"policies": {"clean_share": 0.5}}``."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        *head, last = str(key).split(".")
        target = out
        for part in head:
            target = target.setdefault(part, {})
        target[last] = value
    return out


# ------------------------------------------------------------------------ validation errors


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last key of ``loc``."""
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


_TYPE_WORDS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list [min, max]",
    "path_type": "a file or folder path",
}
_BOUND_WORDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _describe(error: dict[str, Any]) -> tuple[str, str | None]:
    """(message, allowed) for one pydantic error dict."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, error["loc"]
    if kind == "extra_forbidden":
        model = _model_at(loc)
        keys = ", ".join(model.model_fields) if model else None
        if model is Scenario:
            keys = "extends, " + ", ".join(k for k in Scenario.model_fields if k != "source_file")
        return "no such key", keys
    if kind == "missing":
        if len(loc) >= 2 and isinstance(loc[-1], int):
            return "incomplete list", "a list [min, max]"
        return "required key missing", None
    if kind in _BOUND_WORDS:
        (bound,) = ctx.values()
        number = (
            "a whole number"
            if isinstance(bound, int) and loc[-1] in ("year", "seed")
            else "a number"
        )
        return "out of range", f"{number} {_BOUND_WORDS[kind]} {bound:g}"
    if kind == "literal_error":
        allowed = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return "not an allowed value", f"one of: {allowed}"
    if kind in ("too_long", "too_short"):
        return "wrong number of items", "a list [min, max]"
    if kind in _TYPE_WORDS:
        return "wrong type", _TYPE_WORDS[kind]
    if "allowed" in ctx:
        return error["msg"], str(ctx["allowed"])
    return error["msg"].removeprefix("Value error, "), None


def _to_input_error(err: ValidationError, origins: _Origins) -> InputError:
    """The first pydantic error as one :class:`InputError` with file, field, value, allowed."""
    first = err.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    message, allowed = _describe(first)
    field = ".".join(str(p) for p in loc) or None
    value = first.get("input")
    if first["type"] == "missing":
        if isinstance(value, list) and loc and isinstance(loc[-1], int):
            loc = loc[:-1]  # a short [min, max] list: name the list, show what was given
            field = ".".join(str(p) for p in loc)
        else:
            value = None
    ctx = first.get("ctx") or {}
    if "key" in ctx:  # a validator of a whole mapping/list that knows which item is wrong
        loc = (*loc, ctx["key"])
        field = ".".join(str(p) for p in loc)
        try:
            value = value[ctx["key"]]
        except (KeyError, IndexError, TypeError):
            pass
    return InputError(message, file=origins.where(loc), field=field, value=value, allowed=allowed)


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


def _check_names(scn: Scenario, origins: _Origins) -> None:
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


def _check_stress(scn: Scenario, origins: _Origins) -> None:
    """Hand the stress list to :func:`energy_sim.stress.validate_stress` when it exists."""
    if not scn.stress:
        return
    try:
        stress = importlib.import_module("energy_sim.stress")
    except ModuleNotFoundError as err:
        if err.name == "energy_sim.stress":
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
    origins = _Origins(path)
    raw = _load_chain(path, origins, [])
    if overrides:
        extra = _expand_overrides(overrides)
        _resolve_paths(extra, Path.cwd())
        origins.record(extra, f"{path} (override)", None)
        raw = _deep_merge(raw, extra)
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
        raise _to_input_error(err, origins) from None
    _check_names(scn, origins)
    _check_stress(scn, origins)
    return scn
