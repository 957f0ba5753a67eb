"""The package's folders follow the pipeline, and no module imports itself back.

Parses every module of ``energy_sim`` with :mod:`ast` (imports inside functions included, those
under ``if TYPE_CHECKING:`` left out) and checks two things:

- the folders form the DAG of docs/architecture.md, ``inputs <- planning, operation <- security
  <- analysis <- cli``: a module imports only from its own folder or a lower layer, never from a
  folder on its own layer or above;
- no two modules import each other, directly or through others (a cycle), lazily or not, and
  the Results writer does not import the LP's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "energy_sim"

#: Layer of each top-level folder or root module: a module may import its own folder and any
#: folder of a lower layer.
LAYER = {
    "errors": 0,
    "outputs": 1,
    "inputs": 2,
    "invariants": 3,
    "planning": 4,
    "operation": 4,
    "security": 5,
    "analysis": 6,
    "cli": 7,
    "__init__": 8,
    "__main__": 8,
}
#: Folders that count as one for the layer rule.
SAME: dict[str, str] = {}
#: Imports inside one folder that would tie a module to another's internals: the Results writer
#: takes the names and units it shares with the LP from ``energy_sim.inputs.contract``, not from
#: the model's modules.
FORBIDDEN = [("energy_sim.planning.results", "energy_sim.planning.model")]
#: Cycles left to other issues (none).
KNOWN_CYCLES: list[set[str]] = []


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports (the most specific name of each import)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            full = {f"{node.module}.{a.name}" for a in node.names}
            names.update(full & known or {node.module})
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return {n for n in names if n in known}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        # a submodule importing its own package (``from energy_sim.planning.model import
        # LPData`` in ``model.lng``) is how a package shares its definitions, not a cycle
        graph[name] = {t for t in _imports(path, set(mods)) if not name.startswith(t + ".")}
        graph[name].discard(name)
    return graph


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for src, targets in sorted(graph.items()):
        a = _folder(src)
        for dst in sorted(targets):
            b = _folder(dst)
            if SAME.get(a, a) == SAME.get(b, b):
                continue
            if b not in LAYER or a not in LAYER or LAYER[b] >= LAYER[a]:
                out.append(f"{src} ({a}) imports {dst} ({b})")
    return out


def test_every_folder_has_a_layer():
    folders = {_folder(m) for m in _modules()}
    assert folders <= set(LAYER), sorted(folders - set(LAYER))


def test_folders_import_only_lower_layers():
    assert _violations(_graph()) == []


def test_results_do_not_reach_into_the_model():
    graph = _graph()
    bad = [
        (src, dst)
        for src, prefix in FORBIDDEN
        for dst in graph[src]
        if dst == prefix or dst.startswith(prefix + ".")
    ]
    assert bad == []


def test_no_module_imports_itself_back():
    cycles = [c for c in _cycles(_graph()) if c not in KNOWN_CYCLES]
    assert cycles == []


@pytest.mark.parametrize(
    ("graph", "bad"),
    [
        # analysis above planning: fine one way, a violation the other
        ({"energy_sim.planning.results": {"energy_sim.analysis.compare"}}, 1),
        ({"energy_sim.analysis.compare": {"energy_sim.planning.results"}}, 0),
        # planning and operation share a layer: neither may import the other
        ({"energy_sim.operation.core": {"energy_sim.planning.solve"}}, 1),
        # inside one folder anything goes for the layer rule
        ({"energy_sim.analysis.plots": {"energy_sim.analysis.compare"}}, 0),
    ],
)
def test_the_layer_rule_flags_an_upward_import(graph, bad):
    assert len(_violations(graph)) == bad


def test_a_cycle_is_found():
    graph = {
        "energy_sim.analysis.compare": {"energy_sim.analysis.plots"},
        "energy_sim.analysis.plots": {"energy_sim.analysis.labels", "energy_sim.analysis.compare"},
        "energy_sim.analysis.labels": set(),
    }
    assert _cycles(graph) == [{"energy_sim.analysis.compare", "energy_sim.analysis.plots"}]
