"""The package's layers: imports point one way, and modules stay small.

``qmlr.core`` (the science) imports only itself; ``qmlr.studies`` imports the core and itself;
``qmlr.report`` adds the studies; ``qmlr.tools`` may import anything. The test reads every
import statement of every module (top-level and inside functions) with :mod:`ast`, so an import
placed inside a function to dodge a cycle still counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import qmlr

PACKAGE = Path(qmlr.__file__).parent
#: Layers from the bottom up: a module may import its own layer and those listed before it.
LAYERS = ("core", "studies", "report", "tools")
#: Longest module (lines) and function (lines) the house allows.
MAX_MODULE_LINES = 650
MAX_FUNCTION_LINES = 80


def module_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(module: str) -> str | None:
    """The layer of a dotted ``qmlr`` module name (``None`` for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def qmlr_imports(path: Path) -> set[str]:
    """Every ``qmlr`` module that ``path`` imports, anywhere in its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qmlr"):
            if node.module in {f"qmlr.{layer}" for layer in LAYERS} or node.module == "qmlr":
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("qmlr")}
    return found


def dotted(path: Path) -> str:
    return ".".join(("qmlr", *path.relative_to(PACKAGE).with_suffix("").parts))


def test_every_module_lives_in_a_layer() -> None:
    loose = [dotted(p) for p in module_files() if layer_of(dotted(p)) is None]
    assert sorted(loose) == ["qmlr.__init__", "qmlr.__main__"], loose


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


@pytest.mark.parametrize("path", module_files(), ids=dotted)
def test_modules_and_functions_are_small(path: Path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{dotted(path)} is too long"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{dotted(path)}: functions over {MAX_FUNCTION_LINES} lines: {long}"
