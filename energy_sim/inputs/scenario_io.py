"""Reading scenario files: YAML with line numbers, ``extends:`` chains, relative paths, and
pydantic errors turned into one :class:`~energy_sim.errors.InputError`.

The schema itself and :func:`energy_sim.inputs.scenario.load_scenario` live in ``scenario.py``; this
module knows nothing about the fields beyond which ones hold paths.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from energy_sim.errors import InputError

#: Keys whose string values are paths relative to the file that names them.
PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("data",),
    ("profiles", "demand"),
    ("profiles", "solar"),
    ("profiles", "wind_onshore"),
    ("profiles", "wind_offshore"),
)
#: Keys that are not inherited through ``extends`` (they describe one file, not a family).
NOT_INHERITED = ("name", "extends")


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


def read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
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
    if raw is None or raw == {}:  # an empty file (or comments only) is a mistake, not "defaults"
        raise InputError(
            "the scenario file is empty",
            file=path,
            allowed="a mapping with at least one key, e.g. `extends: pdp8_2030.yaml`",
        )
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


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
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


def resolve_paths(raw: dict[str, Any], base: Path) -> None:
    """Make the relative path values of one file absolute against that file's folder."""
    for keys in PATH_KEYS:
        parent = raw
        for key in keys[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get(keys[-1]), str):
            path = Path(parent[keys[-1]]).expanduser()
            parent[keys[-1]] = str(path if path.is_absolute() else (base / path).resolve())


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaves(raw: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(raw, dict) and raw:
        return [p for k, v in raw.items() for p in _leaves(v, (*prefix, str(k)))]
    return [prefix]


class Origins:
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
            line = line_of(node, loc)
            return f"{source}:{line}" if line else str(source)
        for n in range(len(parts), 0, -1):
            if parts[:n] in self.by_key:
                source, node = self.by_key[parts[:n]]
                line = line_of(node, loc)
                return f"{source}:{line}" if line else str(source)
        return str(self.top)


def load_chain(path: Path, origins: Origins, chain: list[Path]) -> dict[str, Any]:
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
    raw, node = read_yaml(path)
    resolve_paths(raw, path.parent)
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
                file=f"{path}:{line_of(node, ('extends',))}",
                field="extends",
                value=parent_name,
                allowed=f"an existing file (looked for {parent})",
            )
        merged = load_chain(parent, origins, [*chain, path])
        for key in NOT_INHERITED:
            merged.pop(key, None)
    origins.record(raw, path, node)
    return deep_merge(merged, raw)


def expand_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
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


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last key of ``loc``."""
    model: type[BaseModel] = root
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


def _describe(error: dict[str, Any], root: type[BaseModel]) -> tuple[str, str | None]:
    """(message, allowed) for one pydantic error dict."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, error["loc"]
    if kind == "extra_forbidden":
        model = _model_at(loc, root)
        keys = ", ".join(model.model_fields) if model else None
        if model is root:  # source_file is set by the loader; extends is read before validation
            keys = "extends, " + ", ".join(k for k in root.model_fields if k != "source_file")
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


def validation_error(err: ValidationError, origins: Origins, root: type[BaseModel]) -> InputError:
    """The first pydantic error as one :class:`InputError` with file, field, value, allowed.

    Parameters
    ----------
    err
        What pydantic raised when validating the merged mapping against ``root``.
    origins
        Where each key was written (file and line).
    root
        The top-level model (to list the allowed keys of a section).
    """
    first = err.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    message, allowed = _describe(first, root)
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
