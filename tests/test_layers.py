"""The package's layers: imports point one way, no module imports itself round a circle, and
modules stay small.

``qmlr.core`` (the science) imports only itself; ``qmlr.engine`` (the machinery every study
shares) adds the core; ``qmlr.studies`` adds the engine; ``qmlr.report`` adds the studies;
``qmlr.tools`` may import anything. The test reads every import statement of every module
(top-level and inside functions) with :mod:`ast`, so an import placed inside a function to dodge
a cycle still counts; the graph of those imports must have no cycle, within a layer too; and a
``qmlr`` import inside a function is allowed only where :data:`LAZY_IMPORTS` says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import qmlr

PACKAGE = Path(qmlr.__file__).parent
#: Layers from the bottom up: a module may import its own layer and those listed before it.
LAYERS = ("core", "engine", "studies", "report", "tools")
#: Longest module (lines) and function (lines) the house allows.
MAX_MODULE_LINES = 650
MAX_FUNCTION_LINES = 80
#: The ``qmlr`` imports allowed inside a function, (importing module, imported module) -> why.
#: Not a way round a cycle (the cycle check counts these imports too): a deferred import only.
LAZY_IMPORTS: dict[tuple[str, str], str] = {
    # `python -m qmlr --help` and `python -m qmlr book ...` answer in a fraction of a second;
    # the registry and the study runner import torch and every study (seconds).
    ("qmlr.tools.cli", "qmlr.studies.registry"): "only `reproduce` needs every study (torch)",
    ("qmlr.tools.cli", "qmlr.studies.study"): "only `reproduce` needs every study (torch)",
    ("qmlr.tools.cli", "qmlr.report.phenotype"): "only `battery` needs the report (torch)",
    ("qmlr.tools.cli", "qmlr.report.battery"): "only `battery` needs the report (torch)",
    ("qmlr.tools.cli", "qmlr.studies.battery"): "only `battery` trains a reader's model",
    ("qmlr.tools.cli", "qmlr.engine.derived"): "only `derive` and `reproduce` store derived files",
    ("qmlr.tools.cli", "qmlr.report.stored"): "only `derive` and `reproduce` need every chapter",
    # sympy and the symbolic models cost a chapter's kernel about 0.8 s; the stored values
    # (read by most chapters) need them only where they are computed.
    ("qmlr.report.stored", "qmlr.report.analytic"): "sympy only to compute the discrepancies",
    ("qmlr.report.scorecard", "qmlr.report.analytic"): "sympy only to compute the checks",
}

#: The core modules that load torch (or tensorcircuit). Any module may import them inside the
#: function that trains, builds or measures a model, so that reading stored results never loads
#: torch: a chapter's kernel then starts about 2 s sooner (tests/test_imports.py checks the
#: chapters' modules load without it).
TORCH_SIDE: frozenset[str] = frozenset(
    {
        "qmlr.core.augment",
        "qmlr.core.curvature_metrics",
        "qmlr.core.models",
        "qmlr.core.qnn",
        "qmlr.core.shots",
        "qmlr.core.train",
        "qmlr.core.unlearn",
    }
)


def module_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(module: str) -> str | None:
    """The layer of a dotted ``qmlr`` module name (``None`` for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _imported(node: ast.AST, modules: set[str]) -> set[str]:
    """The ``qmlr`` modules one import statement names (``from a import b`` names ``a.b`` where
    that is a module of ``modules``, else ``a``)."""
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qmlr"):
        named = {f"{node.module}.{alias.name}" for alias in node.names}
        return {m if m in modules else node.module for m in named}
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name.startswith("qmlr")}
    return set()


def qmlr_imports(path: Path, modules: set[str] | None = None) -> set[str]:
    """Every ``qmlr`` module that ``path`` imports, anywhere in its code.

    :param path: a Python file.
    :param modules: the dotted names of the package's modules (default: every module of
        ``qmlr``), to tell ``from qmlr.x import module`` from ``from qmlr.x import name``.
    :return: dotted module names.
    """
    modules = all_modules() if modules is None else modules
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        found |= _imported(node, modules)
    return found


def imports_in_functions(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, imported module)`` of every ``qmlr`` import inside a function of ``path``."""
    modules = all_modules()
    for func in ast.walk(ast.parse(path.read_text())):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                for module in sorted(_imported(node, modules)):
                    yield node.lineno, module


def dotted(path: Path) -> str:
    """The dotted module name of a file of the package (``qmlr.x`` for ``x/__init__.py``)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("qmlr", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def all_modules() -> set[str]:
    return {dotted(p) for p in module_files()} | {"qmlr"}


def import_graph() -> dict[str, set[str]]:
    """Module -> the ``qmlr`` modules it imports (anywhere in its code), for the whole package."""
    modules = all_modules()
    return {dotted(p): qmlr_imports(p, modules) & modules for p in module_files()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected components of more than one
    module, and modules importing themselves (Tarjan's algorithm, iterative).

    :param graph: module -> modules it imports.
    :return: each circle's modules, sorted.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return found


def test_every_module_lives_in_a_layer() -> None:
    loose = [dotted(p) for p in module_files() if layer_of(dotted(p)) is None]
    assert sorted(loose) == ["qmlr", "qmlr.__main__"], loose


@pytest.mark.parametrize("path", module_files(), ids=dotted)
def test_imports_point_down(path: Path) -> None:
    layer = layer_of(dotted(path))
    if layer is None:
        return
    allowed = LAYERS[: LAYERS.index(layer) + 1]
    upward = sorted(
        m for m in qmlr_imports(path) if layer_of(m) is not None and layer_of(m) not in allowed
    )
    assert not upward, f"{dotted(path)} ({layer}) imports a higher layer: {upward}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from qmlr.report.analysis import Verdict\n")
    assert qmlr_imports(bad) == {"qmlr.report.analysis"}
    assert layer_of("qmlr.report.analysis") not in LAYERS[:1]


def test_no_import_circle_anywhere() -> None:
    """No module of ``qmlr`` reaches itself through its imports (function-level ones included)."""
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_engine_knows_no_study() -> None:
    """The engine imports nothing above it: no study, no registry (the layer order says so; this
    names the rule the issue set)."""
    engine = {m: deps for m, deps in import_graph().items() if layer_of(m) == "engine"}
    assert engine, "no engine modules found"
    assert not {m: d for m, d in engine.items() if any(layer_of(x) == "studies" for x in d)}


@pytest.mark.parametrize("path", module_files(), ids=dotted)
def test_no_import_inside_a_function(path: Path) -> None:
    """A ``qmlr`` import sits at the top of its module, unless :data:`LAZY_IMPORTS` says why
    or it imports a :data:`TORCH_SIDE` module."""
    module = dotted(path)
    hidden = [
        f"line {line}: {imported}"
        for line, imported in imports_in_functions(path)
        if (module, imported) not in LAZY_IMPORTS and imported not in TORCH_SIDE
    ]
    assert not hidden, f"{module} imports inside a function: {hidden}"


def test_the_lazy_imports_are_still_there() -> None:
    """Every allowance of :data:`LAZY_IMPORTS` is used (a stale one would hide a new import)."""
    used = {
        (dotted(p), imported) for p in module_files() for _, imported in imports_in_functions(p)
    }
    assert set(LAZY_IMPORTS) <= used, set(LAZY_IMPORTS) - used
    assert TORCH_SIDE <= {imported for _, imported in used}, TORCH_SIDE


def _top_level(path: Path) -> tuple[set[str], bool]:
    """The ``qmlr`` modules ``path`` imports at its top level, and whether it imports torch or
    tensorcircuit there."""
    modules, heavy = all_modules(), False
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        found |= _imported(node, modules) & modules
        if isinstance(node, ast.Import):
            heavy |= any(a.name.split(".")[0] in ("torch", "tensorcircuit") for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            heavy |= node.module.split(".")[0] in ("torch", "tensorcircuit")
    return found, heavy


def test_the_torch_side_modules_load_torch() -> None:
    """Each :data:`TORCH_SIDE` module does load torch through its top-level imports (else it
    belongs at its importers' top)."""
    files = {dotted(p): p for p in module_files()}
    for module in TORCH_SIDE:
        seen, todo, heavy = set(), [module], False
        while todo and not heavy:
            name = todo.pop()
            if name in seen or name not in files:
                continue
            seen.add(name)
            imported, heavy = _top_level(files[name])
            todo += sorted(imported)
        assert heavy, f"{module} loads no torch: import it at the top"
