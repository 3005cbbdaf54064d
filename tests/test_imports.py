"""Every module imports on its own, first, in an interpreter that holds no ``qmlr`` module.

A module imported first (by a worker process unpickling a function, by doctest collection) must
not meet a partially initialized one. One clean interpreter imports the third-party libraries
``qmlr`` uses (seconds, once), then forks a child per module that imports that module alone: the
child starts with no ``qmlr`` module loaded, as a fresh interpreter would, at a fraction of the
cost of a fresh interpreter (torch) per module.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import qmlr

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(qmlr.__path__, "qmlr.") if not m.name.endswith("__main__")
)

#: The forking interpreter: preloads the libraries named on its command line, then imports each
#: module named on standard input in a forked child; prints one JSON object, module -> error text
#: ("" when the import succeeded).
_FORKER = r"""
import importlib, json, os, sys, traceback
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
assert not [m for m in sys.modules if m == "qmlr" or m.startswith("qmlr.")]
errors = {}
for module in sys.stdin.read().split():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            message = b""
        except BaseException:
            message = traceback.format_exc().encode()
        os.write(write, message[-4000:])
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode()
    errors[module] = text or ("" if status == 0 else f"child exited with status {status}")
print(json.dumps(errors))
"""


def third_party_imports(package: Path) -> list[str]:
    """The top-level names of every non-``qmlr``, non-standard-library module imported at the top
    of a module of ``package``.

    :param package: the package's folder.
    :return: sorted names.
    """
    names = set()
    for path in package.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return sorted(n for n in names if n != "qmlr" and n not in sys.stdlib_module_names)


@pytest.fixture(scope="module")
def import_errors() -> dict[str, str]:
    """Each module's import error in a clean forked child ("" when it imported)."""
    libraries = third_party_imports(Path(qmlr.__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", _FORKER, *libraries],
        input="\n".join(MODULES),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_preloaded_libraries_include_torch_and_exclude_qmlr() -> None:
    libraries = third_party_imports(Path(qmlr.__file__).parent)
    assert "torch" in libraries and "numpy" in libraries and "qmlr" not in libraries


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first_in_a_clean_interpreter(module: str, import_errors) -> None:
    assert import_errors[module] == "", f"import {module} failed:\n{import_errors[module]}"


#: Chapters whose imports load torch by design (none: the Methods chapter draws its circuit from
#: the stored gate list, and Reproducibility loads torch only where it retrains a cell).
TORCH_CHAPTERS: tuple[str, ...] = ()
#: What a chapter that only reads stored results need not load.
HEAVY = ("torch", "tensorcircuit")
BOOK = Path(__file__).resolve().parents[1] / "book"


def chapter_imports(chapter: Path) -> list[str]:
    """The ``qmlr`` import statements of a chapter's code cells, as source lines.

    :param chapter: a MyST chapter.
    :return: each statement, unparsed.
    """
    import jupytext

    found = []
    for cell in jupytext.read(chapter).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(code)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if (module or "").startswith("qmlr") or any(n.startswith("qmlr") for n in names):
                found.append(ast.unparse(node))
    return found


CHAPTERS = sorted(p for p in BOOK.glob("*.md") if chapter_imports(p))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_imports_qmlr_without_torch(chapter: Path) -> None:
    """Reading stored results needs no torch (a chapter's kernel starts about 2 s sooner): every
    ``qmlr`` import of a chapter loads neither torch nor tensorcircuit, but in
    :data:`TORCH_CHAPTERS`."""
    report = "import json, sys; print(json.dumps([m for m in HEAVY if m in sys.modules]))"
    code = "\n".join([f"HEAVY = {HEAVY!r}", *chapter_imports(chapter), report])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert (loaded != []) == (chapter.stem in TORCH_CHAPTERS), f"{chapter.stem} loads {loaded}"
