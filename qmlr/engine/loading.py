"""Load or compute a study's results from its definition: the store each profile reads and
writes, and the missing cells computed with the study's own compute and plan functions.

The functions here take a :class:`~qmlr.engine.definition.StudyDefinition`, not a study's name,
so a study module can load its own results (or another study's, by importing that module)
without the registry; :mod:`qmlr.studies.study` offers the same by name.

Example:
    >>> from qmlr.engine.definition import StudyDefinition
    >>> empty = StudyDefinition("demo", lambda profile: [])
    >>> results_of(empty, "smoke")
    []
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from qmlr.engine.definition import StudyDefinition
from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import run_cells, run_specs
from qmlr.engine.store import DEFAULT_RESULTS_DIR, CellResult, ResultStore, flat_record

_SMOKE_DIR: dict[str, Path] = {}
#: Environment variable naming a folder that the live profiles' results (smoke, tiny) go to,
#: one sub-folder per profile, shared by every process that sets it (the test suite sets it
#: once per session, so its chapter kernels and tests train each cell once).
LIVE_RESULTS_ENV = "QMLR_LIVE_RESULTS"
#: Results loaded by this process: (study, profile, folder) -> (the cell files' state, results).
_LOADED: dict[tuple[str, str, str], tuple[tuple, list[CellResult]]] = {}


def store_for(profile: str, results_dir: str | Path | None = None) -> ResultStore:
    """The store a profile reads and writes: ``results/`` for a stored profile (paper);
    otherwise (smoke, tiny) ``$QMLR_LIVE_RESULTS/<profile>`` where that variable is set, else a
    temporary folder shared by the process.

    :param profile: a profile name.
    :param results_dir: a folder that overrides both.
    :return: the store.

    Example:
        >>> store_for("paper").root == DEFAULT_RESULTS_DIR
        True
        >>> store_for("smoke").root == store_for("smoke").root != DEFAULT_RESULTS_DIR
        True
    """
    if results_dir is not None:
        return ResultStore(results_dir)
    if get_profile(profile).stored:
        return ResultStore(DEFAULT_RESULTS_DIR)
    if os.environ.get(LIVE_RESULTS_ENV):
        return ResultStore(Path(os.environ[LIVE_RESULTS_ENV]) / profile)
    if profile not in _SMOKE_DIR:
        _SMOKE_DIR[profile] = Path(tempfile.mkdtemp(prefix=f"qmlr-{profile}-"))
    return ResultStore(_SMOKE_DIR[profile])


def compute_specs(
    definition: StudyDefinition,
    specs: list,
    store: ResultStore,
    n_jobs: int = 2,
    progress: bool = True,
    backend: str = "loky",
    scheduler: str | None = None,
) -> list[CellResult]:
    """Compute the missing specs of a study with its own compute and plan functions.

    :param definition: the study.
    :param specs: the specs wanted.
    :param store: where results are read from and written to.
    :param n_jobs: local worker processes (loky backend).
    :param progress: show a progress bar.
    :param backend: ``"loky"`` (local worker processes) or ``"dask"`` (a Dask cluster).
    :param scheduler: the Dask scheduler's address, ``tcp://HOST:PORT`` (dask backend only).
    :return: results in the order of ``specs``.
    """
    options = dict(n_jobs=n_jobs, progress=progress, backend=backend, scheduler=scheduler)
    if definition.compute is None:  # a sweep: cells trained as ensembles
        return run_cells(specs, store, **options)
    plan = definition.plan or (lambda missing: [[s] for s in missing])
    return run_specs(specs, store, definition.compute, plan, **options)


def cells_state(folder: str | os.PathLike[str]) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time (ns) of every cell file in ``folder``: one ``stat``
    per file, no read. Two equal states mean no file was added, removed or rewritten.

    :param folder: a study's ``cells`` folder.
    :return: the sorted tuples (empty for a missing folder).

    Example:
        >>> cells_state("/nonexistent/cells")
        ()
    """
    try:
        with os.scandir(folder) as entries:
            found = [(e.name, e.stat()) for e in entries if e.name.endswith(".json")]
    except FileNotFoundError:
        return ()
    return tuple(sorted((name, st.st_size, st.st_mtime_ns) for name, st in found))


def results_of(
    definition: StudyDefinition, profile: str = "paper", results_dir: str | Path | None = None
) -> list[CellResult]:
    """Every cell of a study at ``profile``, computing the missing ones (with a progress bar).

    A process loads a study once: the results are kept with the state of the cell files
    (:func:`cells_state`) and read again only when a file was added, removed or rewritten.

    :param definition: the study.
    :param profile: profile name.
    :param results_dir: results folder override.
    :return: the results, in the study's order.
    """
    store = store_for(profile, results_dir)
    folder = store.root / definition.name / "cells"
    memo = (definition.name, profile, str(store.root.resolve()))
    if memo in _LOADED and _LOADED[memo][0] == cells_state(folder):
        return list(_LOADED[memo][1])
    before = cells_state(folder)
    results = compute_specs(definition, definition.cells(profile), store)
    if cells_state(folder) == before:  # nothing landed meanwhile (else: read again next time)
        _LOADED[memo] = (before, results)
    return list(results)


def available_of(
    definition: StudyDefinition, profile: str = "paper", results_dir: str | Path | None = None
) -> tuple[list[CellResult], int]:
    """The cells of a study a chapter can show without training: at a stored profile (paper)
    only those already on disk, so a study still being computed never trains at build time;
    at any other profile every cell, computed live as :func:`results_of` does.

    :param definition: the study.
    :param profile: profile name.
    :param results_dir: results folder override.
    :return: ``(results in the study's order, number of cells the study has)``; a chapter says
        "N of M cells computed" and judges nothing while N < M.
    """
    cells = definition.cells(profile)
    if not get_profile(profile).stored:
        return results_of(definition, profile, results_dir), len(cells)
    store = store_for(profile, results_dir)
    return [store.load(spec) for spec in cells if store.has(spec)], len(cells)


def records_of(
    definition: StudyDefinition, profile: str = "paper", results_dir: str | Path | None = None
) -> Any:
    """A study as a tidy ``pandas.DataFrame``, one row per cell (:func:`flat_record`).

    :param definition: the study.
    :param profile: profile name.
    :param results_dir: results folder override.
    :return: the records.
    """
    return pd.DataFrame([flat_record(r) for r in results_of(definition, profile, results_dir)])
