"""Let ``pytest --nbval`` (typed as is) execute the book's MyST-markdown chapters.

nbval only collects ``.ipynb`` files. The chapters are jupytext MyST notebooks, so this hook
converts each chapter of ``book/`` to a notebook in memory, injects papermill-style parameters
(``profile = "smoke"`` unless the environment variable ``QMLR_NBVAL_PROFILE`` says otherwise) and
hands it to nbval, which runs it cell by cell in a fresh kernel (working directory ``book/``) and
fails on any cell that raises. The chapters carry no stored outputs, so outputs are executed but
not compared.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

try:
    import nbval.plugin as _nbval_plugin
except ImportError:  # nbval is a test extra; without it --nbval does not exist either
    _nbval_plugin = None

NBVAL_PROFILE_ENV = "QMLR_NBVAL_PROFILE"
#: Set for the whole session (inherited by xdist workers and chapter kernels): the live
#: profiles' results go to one folder, so each smoke or tiny cell is trained once per session,
#: and no run starts worker processes of its own inside the suite's workers.
LIVE_RESULTS_ENV = "QMLR_LIVE_RESULTS"
MAX_JOBS_ENV = "QMLR_MAX_JOBS"


def pytest_configure(config: pytest.Config) -> None:
    """In the controlling process, before any worker starts: one shared folder for the live
    profiles' results (removed at exit) and one worker process per run."""
    if hasattr(config, "workerinput"):  # an xdist worker inherits the controller's variables
        return
    os.environ.setdefault(MAX_JOBS_ENV, "1")
    # one torch (OpenMP) thread per process: the suite's workers already fill the cores
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if not os.environ.get(LIVE_RESULTS_ENV):
        import atexit
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="qmlr-suite-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ[LIVE_RESULTS_ENV] = folder


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    opt = parent.config.option
    if _nbval_plugin is None or not (
        getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False)
    ):
        return None
    from qmlr.tools.book import is_chapter_file

    if not is_chapter_file(file_path):
        return None
    return MystChapter.from_parent(parent, path=file_path)


@contextlib.contextmanager
def _nbval_reads(notebook):
    """Make nbval's ``nbformat.read`` return ``notebook`` for the duration of the block."""

    class _Reader:
        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def read(*_args, **_kwargs):
            return notebook

    real = _nbval_plugin.nbformat
    _nbval_plugin.nbformat = _Reader()
    try:
        yield
    finally:
        _nbval_plugin.nbformat = real


if _nbval_plugin is not None:

    class MystChapter(_nbval_plugin.IPyNbFile):
        """An nbval collector reading a jupytext MyST chapter instead of an ``.ipynb``."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.compare_outputs = False

        def collect(self):
            from qmlr.tools.book import load_chapter_notebook

            profile = os.environ.get(NBVAL_PROFILE_ENV, "smoke")
            notebook = load_chapter_notebook(Path(self.fspath), {"profile": profile})
            with _nbval_reads(notebook):
                yield from super().collect()
