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
