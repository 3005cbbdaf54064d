"""Every module imports on its own, first, in a fresh interpreter.

The study modules register themselves through :mod:`qmlr.studies.experiments`, which imports them at
its end; a module imported first (by a worker process unpickling a function, by doctest collection)
must not meet a partially initialized one. This test would have caught such a cycle.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import qmlr

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(qmlr.__path__, "qmlr.") if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"import {module} failed:\n{done.stderr[-2000:]}"
